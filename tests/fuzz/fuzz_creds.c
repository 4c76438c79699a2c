/*
 * fuzz_creds.c — libFuzzer target for the other untrusted inputs of the
 * credentials module: the credentials JSON (credential_process stdout, IMDS
 * and container bodies), the credential_process command splitter and the
 * container URI check. The first byte picks the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/creds_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_error err;
	char *s;

	if (size < 1)
		return 0;
	sg_err_init(&err);
	s = malloc(size);
	if (s == NULL)
		return 0;
	/* A NUL-terminated copy of the rest (embedded NULs end it early). */
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
	case 1:
	case 2: {
		struct sg_creds c;
		enum sg_creds_json_kind kind = (enum sg_creds_json_kind)(data[0] % 3);
		sg_creds_init(&c);
		if (sg_creds_parse_json(&c, kind, "fuzz", (const char *)data + 1, size - 1, &err) ==
		    SG_OK) {
			if (c.access_key_id == NULL || c.secret_access_key == NULL)
				abort();
		} else if (c.access_key_id != NULL || err.msg[0] == '\0') {
			abort();
		}
		sg_creds_dispose(&c);
		break;
	}
	case 3: {
		char **argv = NULL;
		size_t argc = 0, i;
		if (sg_creds_split_command(&argv, &argc, s, &err) == SG_OK) {
			if (argc == 0 || argv[argc] != NULL)
				abort();
			for (i = 0; i < argc; i++)
				if (argv[i] == NULL)
					abort();
			sg_creds_argv_free(argv);
		} else if (argv != NULL) {
			abort();
		}
		break;
	}
	default:
		(void)sg_creds_container_uri_allowed(s);
		break;
	}
	free(s);
	return 0;
}
