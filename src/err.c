/* err.c — the first-error-wins error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sg_err.h"

void
sg_err_init(struct sg_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

enum sg_status
sg_err_set(struct sg_error *err, enum sg_status st, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->status != SG_OK || st == SG_OK)
		return st;
	err->status = st;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return st;
}

void
sg_err_prefix(struct sg_error *err, const char *fmt, ...)
{
	char pre[256], old[sizeof(err->msg)];
	size_t np, no;
	va_list ap;

	if (err == NULL || err->status == SG_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* prefix + old message, truncated to fit; always NUL-terminated. */
	np = strnlen(pre, sizeof(pre));
	if (np > sizeof(err->msg) - 1)
		np = sizeof(err->msg) - 1;
	no = strnlen(old, sizeof(old));
	if (no > sizeof(err->msg) - 1 - np)
		no = sizeof(err->msg) - 1 - np;
	memcpy(err->msg, pre, np);
	memcpy(err->msg + np, old, no);
	err->msg[np + no] = '\0';
}

static void
copy_field(char *dst, size_t cap, const char *src)
{
	if (src == NULL || dst[0] != '\0')
		return;
	snprintf(dst, cap, "%s", src);
}

void
sg_err_set_aws(struct sg_error *err, long http_status, const char *code,
               const char *request_id)
{
	if (err == NULL)
		return;
	if (err->http_status == 0)
		err->http_status = http_status;
	copy_field(err->aws_code, sizeof(err->aws_code), code);
	copy_field(err->request_id, sizeof(err->request_id), request_id);
}

const char *
sg_status_name(enum sg_status st)
{
	static const char *const names[SG_STATUS_COUNT] = {
		[SG_OK] = "OK",
		[SG_ENOMEM] = "ENOMEM",
		[SG_EINVAL] = "EINVAL",
		[SG_ELIMIT] = "ELIMIT",
		[SG_EPARSE] = "EPARSE",
		[SG_EIO] = "EIO",
		[SG_ENET] = "ENET",
		[SG_ETIMEOUT] = "ETIMEOUT",
		[SG_EHTTP] = "EHTTP",
		[SG_EAWS] = "EAWS",
		[SG_EAUTH] = "EAUTH",
		[SG_EDENIED] = "EDENIED",
		[SG_ETHROTTLED] = "ETHROTTLED",
		[SG_ECREDS] = "ECREDS",
		[SG_ECONFIG] = "ECONFIG",
		[SG_ENOTFOUND] = "ENOTFOUND",
		[SG_EUNSUPPORTED] = "EUNSUPPORTED",
		[SG_EINTERNAL] = "EINTERNAL",
	};

	if ((unsigned)st >= SG_STATUS_COUNT)
		return "EUNKNOWN";
	return names[st];
}
