/*
 * creds_http.c — credentials served over HTTP: IMDSv2 (§7.4) and the
 * ECS/EKS container endpoint (§7.5). HTTP goes through the hook in
 * struct sg_creds_http, never through curl directly.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "creds_internal.h"
#include "sg_buf.h"
#include "sg_util.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_DEFAULT_ENDPOINT_V6 "http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL_HEADER "x-aws-ec2-metadata-token-ttl-seconds: 21600"
#define IMDS_ROLE_PATH "/latest/meta-data/iam/security-credentials/"
#define CONTAINER_HOST "http://169.254.170.2"

static void
why(struct sg_creds_http_ctx *ctx, const char *fmt, ...) SG_PRINTF(2, 3);

static void
why(struct sg_creds_http_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->why == NULL || ctx->why_cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(ctx->why, ctx->why_cap, fmt, ap);
	va_end(ap);
}

bool
sg_creds_env_true(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && strcasecmp(v, "true") == 0;
}

/* A positive integer from the environment, or `def`. */
static long
env_long(const char *name, long min, long max, long def)
{
	const char *v = getenv(name);
	long n;

	if (v == NULL || !sg_parse_long(sg_str_from(v), min, max, &n))
		return def;
	return n;
}

static enum sg_status
fetch(struct sg_creds_http_ctx *ctx, const char *method, const char *url,
      const char *const *headers, long timeout_ms, struct sg_buf *body, long *status,
      struct sg_error *err)
{
	struct sg_creds_http_request req = {
		.method = method,
		.url = url,
		.headers = headers,
		.timeout_ms = timeout_ms,
		.max_bytes = SG_CREDS_JSON_MAX_BYTES,
	};

	enum sg_status st;

	sg_buf_dispose(body);
	sg_buf_init_secret(body, SG_CREDS_JSON_MAX_BYTES);
	*status = 0;
	st = ctx->http->fetch(ctx->http->ctx, &req, status, body, err);
	if (ctx->debug != NULL) {
		char line[640];
		if (st == SG_OK)
			snprintf(line, sizeof(line), "credentials: %s %s -> HTTP %ld, %zu bytes", method,
			    url, *status, body->len);
		else
			snprintf(line, sizeof(line), "credentials: %s %s -> %s", method, url,
			    sg_status_name(st));
		ctx->debug(ctx->debug_ctx, line);
	}
	return st;
}

/* A role name goes into a URL path: accept IAM's character set only. */
static bool
valid_role_name(struct sg_str s)
{
	size_t i;

	if (s.len == 0 || s.len > 128)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (!(isalnum(c) || strchr("+=,.@_-", c) != NULL))
			return false;
	}
	return true;
}

enum sg_status
sg_creds_from_imds(struct sg_creds_http_ctx *ctx, struct sg_creds *out, bool *found,
                   struct sg_error *err)
{
	const char *base;
	char url[512], role[160];
	char *token_header = NULL;
	const char *hdrs[2] = { NULL, NULL };
	const char *put_hdrs[2] = { IMDS_TOKEN_TTL_HEADER, NULL };
	struct sg_buf body;
	struct sg_error e2;
	long status = 0, timeout_ms, attempts, a;
	size_t blen, n;
	enum sg_status st = SG_OK;
	bool v1_ok = !sg_creds_env_true("AWS_EC2_METADATA_V1_DISABLED");

	*found = false;
	if (sg_creds_env_true("AWS_EC2_METADATA_DISABLED")) {
		why(ctx, "disabled by AWS_EC2_METADATA_DISABLED");
		return SG_OK;
	}
	base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	if (base == NULL || *base == '\0')
		base = ctx->imds_endpoint_cfg;
	if (base == NULL || *base == '\0') {
		const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
		if (mode == NULL)
			mode = ctx->imds_mode_cfg;
		base = mode != NULL && strcasecmp(mode, "IPv6") == 0 ? IMDS_DEFAULT_ENDPOINT_V6 :
		    IMDS_DEFAULT_ENDPOINT;
	}
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (blen > 300 || (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)) {
		return sg_err_set(err, SG_ECONFIG,
		    "IMDS endpoint must be an http:// or https:// URL (AWS_EC2_METADATA_SERVICE_ENDPOINT)");
	}
	timeout_ms = 1000 * env_long("AWS_METADATA_SERVICE_TIMEOUT", 1, 60, 1);
	attempts = env_long("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 10, 1);
	sg_buf_init_secret(&body, SG_CREDS_JSON_MAX_BYTES);

	/* 1. Session token. */
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)blen, base);
	for (a = 0; a < attempts; a++) {
		sg_err_init(&e2);
		st = fetch(ctx, "PUT", url, put_hdrs, timeout_ms, &body, &status, &e2);
		if (st == SG_OK && status < 500)
			break;
	}
	if (st != SG_OK) {
		/* Unreachable or timed out: no IMDS here (hop limit, not on EC2). */
		why(ctx, "not reachable at %.*s (%s)", (int)blen, base, sg_status_name(st));
		st = SG_OK;
		goto done;
	}
	if (status == 200) {
		struct sg_str t = { body.data ? body.data : "", body.len };
		while (t.len > 0 && (t.p[t.len - 1] == '\n' || t.p[t.len - 1] == '\r'))
			t.len--;
		if (t.len == 0 || t.len > 4096 || memchr(t.p, '\n', t.len) || memchr(t.p, '\r', t.len)) {
			st = sg_err_set(err, SG_ECREDS, "IMDS at %.*s returned an unusable token",
			    (int)blen, base);
			goto done;
		}
		n = t.len + sizeof("x-aws-ec2-metadata-token: ");
		token_header = malloc(n);
		if (token_header == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(token_header, n, "x-aws-ec2-metadata-token: %.*s", (int)t.len, t.p);
		hdrs[0] = token_header;
	} else if ((status == 403 || status == 404 || status == 405) && v1_ok) {
		/* IMDSv2 unavailable: botocore falls back to IMDSv1 (no token). */
	} else {
		why(ctx, "token request to %.*s answered HTTP %ld", (int)blen, base, status);
		goto done;
	}

	/* 2. Role name. */
	snprintf(url, sizeof(url), "%.*s" IMDS_ROLE_PATH, (int)blen, base);
	sg_err_init(&e2);
	st = fetch(ctx, "GET", url, hdrs, timeout_ms, &body, &status, &e2);
	if (st != SG_OK) {
		why(ctx, "role name request failed (%s)", sg_status_name(st));
		st = SG_OK;
		goto done;
	}
	if (status != 200) {
		why(ctx, "no instance profile role (HTTP %ld)", status);
		goto done;
	}
	{
		struct sg_str r = { body.data ? body.data : "", body.len };
		const char *nl = memchr(r.p, '\n', r.len);
		if (nl != NULL)
			r.len = (size_t)(nl - r.p);
		while (r.len > 0 && (r.p[r.len - 1] == '\r' || r.p[r.len - 1] == ' '))
			r.len--;
		if (r.len == 0) {
			why(ctx, "no instance profile role attached");
			goto done;
		}
		if (!valid_role_name(r)) {
			st = sg_err_set(err, SG_ECREDS, "IMDS returned an invalid role name");
			goto done;
		}
		snprintf(role, sizeof(role), "%.*s", (int)r.len, r.p);
	}

	/* 3. The role's credentials. */
	snprintf(url, sizeof(url), "%.*s" IMDS_ROLE_PATH "%s", (int)blen, base, role);
	sg_err_init(&e2);
	st = fetch(ctx, "GET", url, hdrs, timeout_ms, &body, &status, &e2);
	if (st != SG_OK) {
		why(ctx, "credentials request failed (%s)", sg_status_name(st));
		st = SG_OK;
		goto done;
	}
	if (status != 200) {
		why(ctx, "credentials for role %s: HTTP %ld", role, status);
		goto done;
	}
	{
		char what[200];
		snprintf(what, sizeof(what), "IMDS credentials for role %s", role);
		st = sg_creds_parse_json(out, SG_CREDS_JSON_IMDS, what, body.data ? body.data : "",
		    body.len, err);
		if (st != SG_OK)
			goto done;
	}
	/*
	 * Credentials already inside the refresh window mean IMDS is having a
	 * bad day; like botocore, pretend they last 15 min + 2..10 min longer so
	 * every request does not go back to it.
	 */
	if (out->expiration != 0 && out->expiration - ctx->now < SG_CREDS_ADVISORY_REFRESH_S) {
		unsigned r = 0;
		FILE *f = fopen("/dev/urandom", "rb");
		if (f != NULL) {
			if (fread(&r, sizeof(r), 1, f) != 1)
				r = 0;
			fclose(f);
		}
		out->expiration = ctx->now + SG_CREDS_ADVISORY_REFRESH_S + 120 + (time_t)(r % 481);
	}
	sg_creds_set_source(out, "imds");
	*found = true;
done:
	if (token_header != NULL) {
		OPENSSL_cleanse(token_header, strlen(token_header));
		free(token_header);
	}
	sg_buf_dispose(&body);
	return st;
}

/* Lower-cased host of an http(s) URL into out; false if malformed. */
static bool
url_host(const char *uri, char *out, size_t cap, bool *https)
{
	const char *p, *end;
	size_t n, i;

	if (strncasecmp(uri, "https://", 8) == 0) {
		*https = true;
		p = uri + 8;
	} else if (strncasecmp(uri, "http://", 7) == 0) {
		*https = false;
		p = uri + 7;
	} else {
		return false;
	}
	if (strpbrk(p, "@") != NULL && strpbrk(p, "@") < p + strcspn(p, "/?#"))
		return false; /* userinfo: refuse rather than guess */
	if (*p == '[') {
		end = strchr(p, ']');
		if (end == NULL)
			return false;
		p++;
	} else {
		end = p + strcspn(p, ":/?#");
	}
	n = (size_t)(end - p);
	if (n == 0 || n >= cap)
		return false;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)p[i]);
	out[n] = '\0';
	return true;
}

bool
sg_creds_container_uri_allowed(const char *uri)
{
	char host[256];
	bool https = false;
	unsigned a, b, c, d;
	char tail;

	if (!url_host(uri, host, sizeof(host), &https))
		return false;
	if (https)
		return true;
	if (strcmp(host, "localhost") == 0 || strcmp(host, "169.254.170.2") == 0 ||
	    strcmp(host, "169.254.170.23") == 0 || strcmp(host, "fd00:ec2::23") == 0 ||
	    strcmp(host, "::1") == 0 || strcmp(host, "0:0:0:0:0:0:0:1") == 0)
		return true;
	/* Any 127.0.0.0/8 address, written as a plain dotted quad. */
	if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 && b < 256 &&
	    c < 256 && d < 256)
		return true;
	return false;
}

/* The container authorization token: file (re-read each time) or env. */
static enum sg_status
container_token(char **out, struct sg_error *err)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *env = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct sg_buf b;
	enum sg_status st;
	size_t n;

	*out = NULL;
	sg_buf_init_secret(&b, SG_CREDS_TOKEN_MAX_BYTES);
	if (file != NULL && *file != '\0') {
		struct sg_error e2;
		sg_err_init(&e2);
		if ((st = sg_file_read(file, &b, false, &e2)) != SG_OK)
			return sg_err_set(err, SG_ECREDS,
			    "container credentials: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: %s", e2.msg);
	} else if (env != NULL && *env != '\0') {
		if ((st = sg_buf_append_str(&b, env, err)) != SG_OK)
			return st;
	} else {
		return SG_OK;
	}
	n = b.len;
	/* A trailing newline from `echo > file` is not part of the token. */
	while (n > 0 && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
		n--;
	if (memchr(b.data, '\n', n) != NULL || memchr(b.data, '\r', n) != NULL) {
		sg_buf_dispose(&b);
		return sg_err_set(err, SG_ECREDS,
		    "container credentials: the authorization token contains a line break");
	}
	b.data[n] = '\0';
	b.len = n;
	*out = sg_buf_detach(&b, NULL);
	sg_buf_dispose(&b);
	if (*out == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	return SG_OK;
}

enum sg_status
sg_creds_from_container(struct sg_creds_http_ctx *ctx, struct sg_creds *out, bool *found,
                        struct sg_error *err)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	char *url = NULL, *token = NULL, *auth = NULL;
	const char *hdrs[2] = { NULL, NULL };
	struct sg_buf body;
	struct sg_error e2;
	long status = 0;
	int attempt;
	enum sg_status st = SG_OK;

	*found = false;
	sg_buf_init_secret(&body, SG_CREDS_JSON_MAX_BYTES);
	if (rel != NULL && *rel != '\0') {
		size_t n = strlen(CONTAINER_HOST) + strlen(rel) + 2;
		if (strlen(rel) > 2048)
			return sg_err_set(err, SG_ECONFIG, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is too long");
		url = malloc(n);
		if (url == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		snprintf(url, n, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
	} else if (full != NULL && *full != '\0') {
		if (strlen(full) > 2048)
			return sg_err_set(err, SG_ECONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI is too long");
		if (!sg_creds_container_uri_allowed(full))
			return sg_err_set(err, SG_ECONFIG,
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback "
			    "address, localhost, 169.254.170.2, 169.254.170.23 or fd00:ec2::23");
		url = strdup(full);
		if (url == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
	} else {
		why(ctx, "not configured");
		return SG_OK;
	}

	if ((st = container_token(&token, err)) != SG_OK)
		goto done;
	if (token != NULL) {
		size_t n = strlen(token) + sizeof("Authorization: ");
		auth = malloc(n);
		if (auth == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto done;
		}
		snprintf(auth, n, "Authorization: %s", token);
		hdrs[0] = auth;
	}
	/* botocore: 2 s timeout, 3 attempts, 1 s apart. We retry only what can
	 * get better: no answer at all, or a 5xx. */
	for (attempt = 1;; attempt++) {
		sg_err_init(&e2);
		st = fetch(ctx, "GET", url, hdrs, 2000, &body, &status, &e2);
		if (st == SG_OK && status < 500)
			break;
		if (attempt == 3)
			break;
		sleep(1);
	}
	if (st != SG_OK) {
		st = sg_err_set(err, SG_ECREDS, "container credentials: %s", e2.msg);
		goto done;
	}
	if (status != 200) {
		st = sg_err_set(err, SG_ECREDS, "container credentials endpoint answered HTTP %ld", status);
		goto done;
	}
	st = sg_creds_parse_json(out, SG_CREDS_JSON_CONTAINER, "container credentials",
	    body.data ? body.data : "", body.len, err);
	if (st != SG_OK)
		goto done;
	sg_creds_set_source(out, "container");
	*found = true;
done:
	if (token != NULL) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	if (auth != NULL) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	free(url);
	sg_buf_dispose(&body);
	return st;
}
