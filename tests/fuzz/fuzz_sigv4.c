/* fuzz_sigv4.c - libFuzzer target for the SigV4 canonicalizer.
 *
 * Input: one flag byte, then fields separated by 0xFF (a byte UTF-8 never
 * uses): path, query, method, then header name/value pairs.  Besides
 * "no crash, no leak, no sanitizer report" it checks properties that must
 * hold for every input that signs:
 *   - the canonical URI and query use only unreserved bytes, '/', '&', '='
 *     and well-formed upper-case %XX escapes;
 *   - a normalized URI has no empty, "." or ".." segment;
 *   - canonicalizing a canonical query again changes nothing;
 *   - the canonical request holds no CR, no NUL and exactly as many lines
 *     as its structure says;
 *   - a failure leaves the output pointer untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

#define MAX_FIELDS 16

static struct sigv4_credentials *g_cred;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_encoded(const char *s, int allow_query_punct)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			continue;
		if (c == '/' && !allow_query_punct)
			continue;
		if ((c == '&' || c == '=') && allow_query_punct)
			continue;
		if (c == '%') {
			unsigned char h = (unsigned char)s[i + 1],
			              l = (unsigned char)(h ? s[i + 2] : 0);

			if (((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F')) &&
			    ((l >= '0' && l <= '9') || (l >= 'A' && l <= 'F'))) {
				i += 2;
				continue;
			}
		}
		abort();
	}
}

static void
check_normalized(const char *uri)
{
	if (uri[0] != '/' || strstr(uri, "//") != NULL || strstr(uri, "/./") != NULL ||
	    strstr(uri, "/../") != NULL)
		abort();
	{
		size_t n = strlen(uri);

		if ((n >= 2 && strcmp(uri + n - 2, "/.") == 0) ||
		    (n >= 3 && strcmp(uri + n - 3, "/..") == 0))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *fields[MAX_FIELDS];
	size_t nf = 0, i;
	uint8_t flags;
	struct sigv4_options opt;
	struct sigv4_request req;
	struct sigv4_header hdr[MAX_FIELDS / 2];
	size_t nh = 0;
	char *out = (char *)(uintptr_t)0x1, *again = NULL;
	struct sigv4_result *res = (struct sigv4_result *)(uintptr_t)0x1;

	if (size < 1 || size > 65536)
		return 0;
	if (g_cred == NULL &&
	    sigv4_credentials_new(&g_cred, "AKIDEXAMPLE",
	        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "token") != SIGV4_OK)
		abort();
	flags = data[0];
	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	/* Split on 0xFF.  Fields are NUL-terminated C strings, so a NUL in
	 * the input shortens a field; header values below are (ptr, len)
	 * views over the raw bytes and can carry NULs. */
	fields[nf++] = copy;
	for (i = 0; i + 1 < size && nf < MAX_FIELDS; i++) {
		if ((unsigned char)copy[i] == 0xFF) {
			copy[i] = '\0';
			fields[nf++] = copy + i + 1;
		}
	}

	sigv4_options_init(&opt, "us-east-1", (flags & 1) ? "s3" : "ec2", 1440938160);
	opt.normalize_path = (flags & 2) == 0;
	opt.sign_body = (flags & 4) != 0;
	opt.omit_session_token = (flags & 8) != 0;
	opt.mode = (flags & 16) ? SIGV4_MODE_QUERY : SIGV4_MODE_HEADER;

	/* Stage 1: the canonical URI. */
	if (sigv4_canonical_uri(&out, fields[0], &opt) == SIGV4_OK) {
		if (opt.double_encode_path)
			check_encoded(out, 0);
		if (opt.normalize_path)
			check_normalized(out);
		free(out);
	} else if (out != (char *)(uintptr_t)0x1) {
		abort();
	}

	/* Stage 2: the canonical query, and its idempotence. */
	out = (char *)(uintptr_t)0x1;
	if (nf > 1 && sigv4_canonical_query(&out, fields[1]) == SIGV4_OK) {
		check_encoded(out, 1);
		if (sigv4_canonical_query(&again, out) != SIGV4_OK || strcmp(again, out) != 0)
			abort();
		free(again);
		free(out);
	} else if (out != (char *)(uintptr_t)0x1) {
		abort();
	}

	/* Stage 3: a whole request. */
	memset(&req, 0, sizeof(req));
	req.path = fields[0];
	req.query = nf > 1 ? fields[1] : NULL;
	req.method = nf > 2 ? fields[2] : "GET";
	req.host = (flags & 32) ? NULL : "example.amazonaws.com";
	for (i = 3; i + 1 < nf; i += 2) {
		hdr[nh].name = fields[i];
		hdr[nh].name_len = strlen(fields[i]);
		hdr[nh].value = fields[i + 1];
		hdr[nh].value_len = strlen(fields[i + 1]);
		nh++;
	}
	req.headers = hdr;
	req.n_headers = nh;
	req.body = data;
	req.body_len = size;
	if (sigv4_sign(&res, NULL, &req, &opt, g_cred) == SIGV4_OK) {
		const char *c = res->canonical_request;
		size_t lines = 1, headers = 1;

		if (strchr(c, '\r') != NULL || strlen(res->signature) != 64)
			abort();
		for (i = 0; c[i] != '\0'; i++)
			lines += c[i] == '\n';
		for (i = 0; res->signed_headers[i] != '\0'; i++)
			headers += res->signed_headers[i] == ';';
		/* method, uri, query, one line per header, blank, list, hash */
		if (lines != 6 + headers)
			abort();
		sigv4_result_free(res);
	} else if (res != (struct sigv4_result *)(uintptr_t)0x1) {
		abort();
	}
	free(copy);
	return 0;
}
