/*
 * fuzz_aws_response.c — libFuzzer target for every reader of AWS answers in
 * the client (src/aws_xml.c, src/aws_json.c): the XML and JSON error
 * parsers, the STS GetCallerIdentity and credentials parsers, the token
 * readers, and the HTTP Date parser. Checks that whatever is accepted is
 * NUL-terminated, capped and free of control characters.
 *
 *   make fuzz && mkdir -p build/fuzz/corpus_aws &&
 *   build/fuzz/fuzz_aws_response -max_total_time=60 build/fuzz/corpus_aws \
 *       ../shared/reference/samples
 *
 * (libFuzzer writes new inputs into the FIRST directory: keep the shared
 * samples second, read-only.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_aws.h"
#include "sg_creds.h"
#include "sg_sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
clean(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	size_t i;

	if (n == cap)
		abort(); /* not terminated */
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			abort(); /* a control character escaped sanitizing */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct sg_aws_error_info info;
	struct sg_identity id;
	struct sg_creds c;
	struct sg_error err;
	struct sg_buf b;
	char arn[256], *text = NULL, *date;
	time_t t;

	sg_err_init(&err);
	if (sg_aws_parse_error_xml(body, size, &info, &err) == SG_OK) {
		clean(info.code, sizeof(info.code));
		clean(info.message, sizeof(info.message));
		clean(info.request_id, sizeof(info.request_id));
		if (info.code[0] == '\0')
			abort();
	}
	sg_err_init(&err);
	if (sg_aws_parse_error_json(body, size, &info, &err) == SG_OK) {
		clean(info.code, sizeof(info.code));
		clean(info.message, sizeof(info.message));
	}
	sg_err_init(&err);
	if (sg_sts_parse_caller_identity(body, size, &id, &err) == SG_OK) {
		clean(id.account, sizeof(id.account));
		clean(id.arn, sizeof(id.arn));
		if (strlen(id.account) != 12)
			abort();
	}
	sg_creds_init(&c);
	sg_err_init(&err);
	if (sg_sts_parse_credentials(body, size, "AssumeRole", &c, arn, sizeof(arn), &err) == SG_OK) {
		if (c.access_key_id == NULL || c.secret_access_key == NULL || c.session_token == NULL)
			abort();
		sg_creds_dispose(&c);
	}
	sg_buf_init(&b, 4096);
	sg_err_init(&err);
	(void)sg_aws_xml_text(body, size, "DescribeSecurityGroupsResponse/nextToken", &b, &err);
	sg_buf_dispose(&b);
	sg_buf_init(&b, 4096);
	sg_err_init(&err);
	(void)sg_aws_json_string(body, size, "NextToken", &b, &err);
	sg_buf_dispose(&b);
	sg_err_init(&err);
	if (sg_aws_json_with_string(body, size, "NextToken", "t", &text, &err) == SG_OK)
		free(text);
	date = malloc(size + 1);
	if (date != NULL) {
		memcpy(date, data, size);
		date[size] = '\0';
		(void)sg_aws_parse_http_date(date, &t);
		free(date);
	}
	return 0;
}
