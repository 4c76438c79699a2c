/*
 * aws_json.c — JSON 1.1 error bodies (CloudTrail):
 *   {"__type": "com.amazon.coral.service#ExpiredTokenException", "message": "..."}
 * The code is the text after the last '#' and before any ':' (botocore's
 * rule); the message may be "message" or "Message".
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sg_aws.h"

#define JSON_ERROR_MAX_BYTES ((size_t)1 << 20)

static void
copy_clean(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[o] = '\0';
}

enum sg_status
sg_aws_parse_error_json(const char *body, size_t len, struct sg_aws_error_info *out,
                        struct sg_error *err)
{
	struct sg_aws_error_info info;
	const cJSON *type, *msg;
	const char *code, *hash, *colon;
	cJSON *root;

	if (len == 0)
		return sg_err_set(err, SG_EPARSE, "error response: empty body");
	if (len > JSON_ERROR_MAX_BYTES)
		return sg_err_set(err, SG_ELIMIT, "error response: larger than %zu bytes",
		    JSON_ERROR_MAX_BYTES);
	root = cJSON_ParseWithLength(body, len);
	if (root == NULL)
		return sg_err_set(err, SG_EPARSE, "error response: malformed JSON");
	memset(&info, 0, sizeof(info));
	type = cJSON_GetObjectItemCaseSensitive(root, "__type");
	if (!cJSON_IsString(type) || type->valuestring == NULL || type->valuestring[0] == '\0') {
		/* Some services put the code in "code" instead. */
		type = cJSON_GetObjectItemCaseSensitive(root, "code");
		if (!cJSON_IsString(type) || type->valuestring == NULL || type->valuestring[0] == '\0') {
			cJSON_Delete(root);
			return sg_err_set(err, SG_EPARSE, "error response: JSON without \"__type\"");
		}
	}
	code = type->valuestring;
	hash = strrchr(code, '#');
	if (hash != NULL)
		code = hash + 1;
	colon = strchr(code, ':');
	copy_clean(info.code, sizeof(info.code), code, colon ? (size_t)(colon - code) : strlen(code));
	msg = cJSON_GetObjectItemCaseSensitive(root, "message");
	if (!cJSON_IsString(msg))
		msg = cJSON_GetObjectItemCaseSensitive(root, "Message");
	if (cJSON_IsString(msg) && msg->valuestring != NULL)
		copy_clean(info.message, sizeof(info.message), msg->valuestring,
		    strlen(msg->valuestring));
	cJSON_Delete(root);
	if (info.code[0] == '\0')
		return sg_err_set(err, SG_EPARSE, "error response: empty \"__type\"");
	*out = info;
	return SG_OK;
}

enum sg_status
sg_aws_json_string(const char *body, size_t len, const char *name, struct sg_buf *out,
                   struct sg_error *err)
{
	const cJSON *v;
	cJSON *root;
	enum sg_status st;

	root = cJSON_ParseWithLength(body, len);
	if (root == NULL)
		return sg_err_set(err, SG_EPARSE, "response: malformed JSON");
	v = cJSON_GetObjectItemCaseSensitive(root, name);
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		cJSON_Delete(root);
		return SG_ENOTFOUND;
	}
	st = sg_buf_append_str(out, v->valuestring, err);
	cJSON_Delete(root);
	return st;
}

enum sg_status
sg_aws_json_with_string(const char *body, size_t len, const char *name, const char *value,
                        char **out, struct sg_error *err)
{
	cJSON *root, *s;
	char *text;

	root = len ? cJSON_ParseWithLength(body, len) : cJSON_CreateObject();
	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return sg_err_set(err, SG_EPARSE, "request body is not a JSON object");
	}
	s = cJSON_CreateString(value);
	if (s == NULL) {
		cJSON_Delete(root);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	if (cJSON_GetObjectItemCaseSensitive(root, name) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(root, name, s);
	else
		cJSON_AddItemToObject(root, name, s);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	*out = text;
	return SG_OK;
}
