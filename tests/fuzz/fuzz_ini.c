/*
 * fuzz_ini.c — libFuzzer target for the AWS config/credentials parser.
 * Every input must either parse or fail with a message naming a line; a
 * successful parse is then queried so lookups run over whatever came out.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_ini *ini = NULL;
	struct sg_error err;
	size_t i, n;

	sg_err_init(&err);
	if (sg_ini_parse(&ini, "fuzz", (const char *)data, size, &err) != SG_OK) {
		/* A failure always says why, and never leaves an object behind. */
		if (err.msg[0] == '\0' || ini != NULL)
			abort();
		return 0;
	}
	n = sg_ini_section_count(ini);
	for (i = 0; i < n; i++) {
		const char *name = sg_ini_section_name(ini, i);
		unsigned line = 0;
		const char *v;
		if (name == NULL || !sg_ini_has_section(ini, name))
			abort();
		v = sg_ini_get(ini, name, "aws_access_key_id", &line);
		if (v != NULL && line == 0)
			abort();
		(void)sg_ini_get(ini, name, "region", NULL);
	}
	(void)sg_ini_get(ini, "profile x", "role_arn", NULL);
	sg_ini_free(ini);
	return 0;
}
