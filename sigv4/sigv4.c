/*
 * sigv4.c - status strings, options, time, the string to sign, the
 * Authorization header and sigv4_sign(), which runs every stage.
 */
#include "sigv4_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* One table, indexed by status, so a new code cannot lack a message. */
static const char *const sv_messages[] = {
	[SIGV4_OK] = "success",
	[SIGV4_ERR_NOMEM] = "out of memory",
	[SIGV4_ERR_INVALID_ARG] = "invalid argument (NULL where a value is required)",
	[SIGV4_ERR_MISSING_CREDENTIALS] = "missing credentials: no access key id or secret key",
	[SIGV4_ERR_BAD_CREDENTIALS] =
	    "unusable credentials: access key id not alphanumeric, or a value too long or "
	    "containing control characters",
	[SIGV4_ERR_BAD_TIME] = "unusable signing time (must be after 1970 and before year 10000)",
	[SIGV4_ERR_BAD_SCOPE] = "region or service empty, too long or with characters other than "
	                        "A-Z a-z 0-9 - _ .",
	[SIGV4_ERR_BAD_METHOD] = "HTTP method empty, too long or not a token",
	[SIGV4_ERR_BAD_PATH] = "path contains a control character, '?' or '#'",
	[SIGV4_ERR_BAD_QUERY] = "query contains a malformed %-escape, a control character, '#', or "
	                        "(presigning) an X-Amz-* parameter the signer sets",
	[SIGV4_ERR_BAD_HEADER_NAME] = "header name empty or not an HTTP token",
	[SIGV4_ERR_BAD_HEADER_VALUE] =
	    "header value contains CR, LF, NUL or another control character",
	[SIGV4_ERR_HEADER_TOO_LARGE] = "header larger than the signer's cap",
	[SIGV4_ERR_TOO_MANY_HEADERS] = "too many headers",
	[SIGV4_ERR_RESERVED_HEADER] = "request already carries a header the signer sets "
	                              "(Authorization, X-Amz-Date, X-Amz-Security-Token, "
	                              "x-amz-content-sha256)",
	[SIGV4_ERR_MISSING_HOST] = "no host: set request.host or a Host header",
	[SIGV4_ERR_DUPLICATE_HOST] = "host given more than once",
	[SIGV4_ERR_BAD_PAYLOAD_HASH] = "precomputed payload hash malformed",
	[SIGV4_ERR_BAD_EXPIRES] = "presign expiry must be 1..604800 seconds",
	[SIGV4_ERR_TOO_LARGE] = "path, query or parameter count over the signer's cap",
	[SIGV4_ERR_CRYPTO] = "libcrypto failure",
	[SIGV4_ERR_THREAD] = "mutex failure",
};

const char *
sigv4_strerror(enum sigv4_status status)
{
	size_t i = (size_t)status;

	if (i < sizeof(sv_messages) / sizeof(sv_messages[0]) && sv_messages[i] != NULL)
		return sv_messages[i];
	return "unknown sigv4 status";
}

void
sigv4_options_init(struct sigv4_options *opt, const char *region, const char *service, time_t when)
{
	/* S3 signs the path exactly as sent; every other service wants it
     * normalized and encoded once more. */
	bool s3 = service != NULL && strcmp(service, "s3") == 0;

	memset(opt, 0, sizeof(*opt));
	opt->region = region;
	opt->service = service;
	opt->time = when;
	opt->mode = SIGV4_MODE_HEADER;
	opt->normalize_path = !s3;
	opt->double_encode_path = !s3;
	opt->sign_body = false;
	opt->omit_session_token = false;
	opt->expires_s = 3600;
}

/* ---- time ------------------------------------------------------------------
 * Civil-date arithmetic (H. Hinnant's algorithms) rather than gmtime_r/timegm:
 * no feature macros, no locale, no time zone, and exact range checks. */

#define SV_MAX_TIME ((time_t)253402300799) /* 9999-12-31T23:59:59Z */

static long long
sv_days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (long long)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (long long)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
sv_civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Writes exactly `width` decimal digits of v (the caller range-checked v). */
static void
sv_put_digits(char *out, unsigned long long v, size_t width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

enum sigv4_status
sigv4_format_amz_date(char out[SIGV4_AMZ_DATE_BYTES], time_t when)
{
	long long days, secs, y;
	unsigned m, d;

	if (out == NULL)
		return SIGV4_ERR_INVALID_ARG;
	/* 0 is what an unset time looks like; refuse it rather than sign 1970. */
	if (when <= 0 || when > SV_MAX_TIME)
		return SIGV4_ERR_BAD_TIME;
	days = (long long)when / 86400;
	secs = (long long)when % 86400;
	sv_civil_from_days(days, &y, &m, &d);
	sv_put_digits(out, (unsigned long long)y, 4);
	sv_put_digits(out + 4, m, 2);
	sv_put_digits(out + 6, d, 2);
	out[8] = 'T';
	sv_put_digits(out + 9, (unsigned long long)(secs / 3600), 2);
	sv_put_digits(out + 11, (unsigned long long)(secs / 60 % 60), 2);
	sv_put_digits(out + 13, (unsigned long long)(secs % 60), 2);
	out[15] = 'Z';
	out[16] = '\0';
	return SIGV4_OK;
}

static bool
sv_digits(const char *s, size_t n, unsigned *out)
{
	size_t i;
	unsigned v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

enum sigv4_status
sigv4_parse_amz_date(time_t *out, const char *s)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, se;
	long long t;
	bool leap;

	if (out == NULL || s == NULL)
		return SIGV4_ERR_INVALID_ARG;
	if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' || !sv_digits(s, 4, &y) ||
	    !sv_digits(s + 4, 2, &mo) || !sv_digits(s + 6, 2, &d) || !sv_digits(s + 9, 2, &h) ||
	    !sv_digits(s + 11, 2, &mi) || !sv_digits(s + 13, 2, &se))
		return SIGV4_ERR_BAD_TIME;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 59)
		return SIGV4_ERR_BAD_TIME;
	t = sv_days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + se;
	if (t <= 0)
		return SIGV4_ERR_BAD_TIME;
	*out = (time_t)t;
	return SIGV4_OK;
}

/* ---- scope, string to sign, Authorization ------------------------------- */

enum sigv4_status
sv_scope(char **out, const struct sigv4_options *opt)
{
	char amz_date[SIGV4_AMZ_DATE_BYTES];
	struct sv_buf b;
	enum sigv4_status st;

	st = sigv4_format_amz_date(amz_date, opt->time);
	if (st == SIGV4_OK)
		st = sv_check_scope(opt);
	if (st != SIGV4_OK)
		return st;
	sv_buf_init(&b, 4 * SIGV4_MAX_SCOPE_PART);
	st = sv_buf_put(&b, amz_date, 8);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '/');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, opt->region);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '/');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, opt->service);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "/aws4_request");
	if (st == SIGV4_OK)
		st = sv_buf_steal(&b, out);
	sv_buf_dispose(&b);
	return st;
}

enum sigv4_status
sigv4_string_to_sign(char **out, const char *canonical_request, const struct sigv4_options *opt)
{
	char amz_date[SIGV4_AMZ_DATE_BYTES];
	char hash[SIGV4_HEX_BYTES];
	char *scope = NULL;
	struct sv_buf b;
	enum sigv4_status st;

	if (out == NULL || canonical_request == NULL || opt == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sigv4_format_amz_date(amz_date, opt->time);
	if (st == SIGV4_OK)
		st = sv_scope(&scope, opt);
	if (st == SIGV4_OK)
		st = sv_sha256_hex(hash, canonical_request, strlen(canonical_request));
	if (st != SIGV4_OK) {
		free(scope);
		return st;
	}
	sv_buf_init(&b, SV_MAX_OUTPUT_BYTES);
	st = sv_buf_puts(&b, "AWS4-HMAC-SHA256\n");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, amz_date);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '\n');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, scope);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '\n');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, hash);
	if (st == SIGV4_OK)
		st = sv_buf_steal(&b, out);
	sv_buf_dispose(&b);
	free(scope);
	return st;
}

enum sigv4_status
sigv4_authorization(char **out, const struct sigv4_credentials *cred,
    const struct sigv4_options *opt, const char *signed_headers, const char *signature)
{
	char *scope = NULL;
	struct sv_buf b;
	enum sigv4_status st;

	if (out == NULL || opt == NULL || signed_headers == NULL || signature == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sv_check_credentials(cred);
	if (st == SIGV4_OK)
		st = sv_scope(&scope, opt);
	if (st != SIGV4_OK)
		return st;
	sv_buf_init(&b, SV_MAX_OUTPUT_BYTES);
	st = sv_buf_puts(&b, "AWS4-HMAC-SHA256 Credential=");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, cred->key_id);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '/');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, scope);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, ", SignedHeaders=");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, signed_headers);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, ", Signature=");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, signature);
	if (st == SIGV4_OK)
		st = sv_buf_steal(&b, out);
	sv_buf_dispose(&b);
	free(scope);
	return st;
}

/* ---- the whole request ------------------------------------------------------ */

static void
sv_free_wiped(char *p)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

void
sigv4_result_free(struct sigv4_result *res)
{
	if (res == NULL)
		return;
	/* The token may appear in the query, the canonical request and its
     * own header copy. */
	sv_free_wiped(res->query);
	sv_free_wiped(res->canonical_request);
	free(res->string_to_sign);
	free(res->signed_headers);
	/* DESIGN.md counts the Authorization header among the secrets. */
	sv_free_wiped(res->authorization);
	sv_free_wiped(res->security_token);
	free(res);
}

/* Query mode: the caller's raw query, then the X-Amz-* parameters in the
 * order AWS's own presigners write them. */
static enum sigv4_status
sv_presigned_query(struct sigv4_result *res, const struct sigv4_request *req,
    const struct sigv4_options *opt, const struct sigv4_credentials *cred)
{
	char *scope = NULL;
	char expires[16];
	struct sv_buf b;
	enum sigv4_status st;

	st = sv_scope(&scope, opt);
	if (st != SIGV4_OK)
		return st;
	snprintf(expires, sizeof(expires), "%u", (unsigned)opt->expires_s);
	sv_buf_init(&b, SV_MAX_OUTPUT_BYTES);
	b.secret = true;
	if (req->query != NULL && req->query[0] != '\0') {
		st = sv_buf_puts(&b, req->query);
		if (st == SIGV4_OK)
			st = sv_buf_putc(&b, '&');
	}
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
	if (st == SIGV4_OK)
		st = sv_uri_encode(&b, cred->key_id, strlen(cred->key_id), false);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "%2F");
	if (st == SIGV4_OK)
		st = sv_uri_encode(&b, scope, strlen(scope), false);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "&X-Amz-Date=");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, res->amz_date);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "&X-Amz-SignedHeaders=");
	if (st == SIGV4_OK)
		st = sv_uri_encode(&b, res->signed_headers, strlen(res->signed_headers), false);
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "&X-Amz-Expires=");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, expires);
	/* With omit_session_token the token is still sent, just not signed. */
	if (st == SIGV4_OK && cred->token != NULL) {
		st = sv_buf_puts(&b, "&X-Amz-Security-Token=");
		if (st == SIGV4_OK)
			st = sv_uri_encode(&b, cred->token, strlen(cred->token), false);
	}
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, "&X-Amz-Signature=");
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, res->signature);
	if (st == SIGV4_OK)
		st = sv_buf_steal(&b, &res->query);
	sv_buf_dispose(&b);
	free(scope);
	return st;
}

static void
sv_set_header(struct sigv4_result *res, const char *name, const char *value)
{
	res->headers[res->n_headers++] = sigv4_header_make(name, value);
}

enum sigv4_status
sigv4_sign(struct sigv4_result **out, struct sigv4_signer *signer, const struct sigv4_request *req,
    const struct sigv4_options *opt, const struct sigv4_credentials *cred)
{
	struct sigv4_result *res;
	unsigned char key[SIGV4_KEY_BYTES];
	char date8[9];
	enum sigv4_status st;

	if (out == NULL || req == NULL || opt == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sv_check_credentials(cred);
	if (st != SIGV4_OK)
		return st;
	if (opt->mode != SIGV4_MODE_HEADER && opt->mode != SIGV4_MODE_QUERY)
		return SIGV4_ERR_INVALID_ARG;
	res = calloc(1, sizeof(*res));
	if (res == NULL)
		return SIGV4_ERR_NOMEM;

	st = sigv4_format_amz_date(res->amz_date, opt->time);
	if (st == SIGV4_OK)
		st = sigv4_canonical_request(
		    &res->canonical_request, &res->signed_headers, req, opt, cred);
	if (st == SIGV4_OK)
		st = sigv4_string_to_sign(&res->string_to_sign, res->canonical_request, opt);
	if (st != SIGV4_OK)
		goto cleanup;
	memcpy(date8, res->amz_date, 8);
	date8[8] = '\0';
	st = sigv4_signer_signing_key(key, signer, cred, date8, opt->region, opt->service);
	if (st == SIGV4_OK)
		st = sigv4_signature(res->signature, key, res->string_to_sign);
	OPENSSL_cleanse(key, sizeof(key));
	if (st != SIGV4_OK)
		goto cleanup;

	if (opt->mode == SIGV4_MODE_QUERY) {
		st = sv_presigned_query(res, req, opt, cred);
		goto cleanup;
	}
	st = sigv4_authorization(
	    &res->authorization, cred, opt, res->signed_headers, res->signature);
	if (st != SIGV4_OK)
		goto cleanup;
	sv_set_header(res, "X-Amz-Date", res->amz_date);
	if (cred->token != NULL) {
		size_t n = strlen(cred->token);

		res->security_token = malloc(n + 1);
		if (res->security_token == NULL) {
			st = SIGV4_ERR_NOMEM;
			goto cleanup;
		}
		memcpy(res->security_token, cred->token, n + 1);
		sv_set_header(res, "X-Amz-Security-Token", res->security_token);
	}
	if (opt->sign_body) {
		st = sv_payload_hash(res->payload_hash, req);
		if (st != SIGV4_OK)
			goto cleanup;
		sv_set_header(res, "x-amz-content-sha256", res->payload_hash);
	}
	sv_set_header(res, "Authorization", res->authorization);

cleanup:
	if (st != SIGV4_OK) {
		sigv4_result_free(res);
		return st;
	}
	*out = res;
	return SIGV4_OK;
}
