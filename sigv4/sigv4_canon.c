/*
 * sigv4_canon.c - the canonical request: URI, query, headers, payload hash.
 *
 * Everything here is a pure function of its inputs; nothing touches the
 * secret key.  The canonicalizer is the part exposed to untrusted-looking
 * input (paths and query strings built from API parameters), so every
 * input is size-capped and validated before use, and the fuzz target
 * tests/fuzz/fuzz_sigv4.c drives it.
 */
#include "sigv4_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* ---- character classes --------------------------------------------- */

/* RFC 9110 tchar: what a method or a header name may consist of. */
static bool
sv_is_tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
sv_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool
sv_is_ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
sv_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ---- canonical URI ----------------------------------------------------- */

static enum sigv4_status
sv_check_path(const char *path, size_t n)
{
	size_t i;

	if (n > SIGV4_MAX_URL_BYTES)
		return SIGV4_ERR_TOO_LARGE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		/* '?' or '#' means the caller left the query or a fragment in. */
		if (sv_is_ctl(c) || c == '?' || c == '#')
			return SIGV4_ERR_BAD_PATH;
	}
	return SIGV4_OK;
}

static enum sigv4_status
sv_put_segment(struct sv_buf *b, const char *s, size_t n, bool encode)
{
	return encode ? sv_uri_encode(b, s, n, false) : sv_buf_put(b, s, n);
}

/*
 * Normalized: split on '/', drop empty and "." segments, let ".." drop the
 * previous one (never above the root), and keep a trailing '/' only if the
 * path itself ends in '/'.  That is what botocore and aws-c-auth do (so
 * "/a/b/.." is "/a", where RFC 3986 5.2.4 would say "/a/"); matching the
 * SDKs matters more than the RFC here.  `marks` remembers where each kept
 * segment starts in the output so ".." can cut it off; `root` is where the
 * path starts in `b`, just past its leading '/'.
 */
static enum sigv4_status
sv_uri_normalized(struct sv_buf *b, const char *path, size_t n, bool encode)
{
	size_t *marks, depth = 0, i = 0, root = b->len + 1;
	enum sigv4_status st;

	marks = malloc((n / 2 + 2) * sizeof(*marks));
	if (marks == NULL)
		return SIGV4_ERR_NOMEM;
	st = sv_buf_putc(b, '/');
	while (st == SIGV4_OK && i < n) {
		size_t start, len;

		while (i < n && path[i] == '/')
			i++;
		start = i;
		while (i < n && path[i] != '/')
			i++;
		len = i - start;
		if (len == 0 || (len == 1 && path[start] == '.'))
			continue;
		if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (depth > 0) {
				b->len = marks[--depth];
				b->p[b->len] = '\0';
			}
			continue;
		}
		marks[depth++] = b->len;
		if (b->len > root)
			st = sv_buf_putc(b, '/');
		if (st == SIGV4_OK)
			st = sv_put_segment(b, path + start, len, encode);
	}
	if (st == SIGV4_OK && n > 0 && path[n - 1] == '/' && b->len > root)
		st = sv_buf_putc(b, '/');
	free(marks);
	return st;
}

static enum sigv4_status
sv_put_canonical_uri(struct sv_buf *b, const char *path, const struct sigv4_options *opt)
{
	size_t n;
	enum sigv4_status st;

	if (path == NULL || path[0] == '\0')
		path = "/";
	n = strlen(path);
	st = sv_check_path(path, n);
	if (st != SIGV4_OK)
		return st;
	if (opt->normalize_path)
		return sv_uri_normalized(b, path, n, opt->double_encode_path);
	if (path[0] != '/') {
		st = sv_buf_putc(b, '/');
		if (st != SIGV4_OK)
			return st;
	}
	return opt->double_encode_path ? sv_uri_encode(b, path, n, true) : sv_buf_put(b, path, n);
}

enum sigv4_status
sigv4_canonical_uri(char **out, const char *path, const struct sigv4_options *opt)
{
	struct sv_buf b;
	enum sigv4_status st;

	if (out == NULL || opt == NULL)
		return SIGV4_ERR_INVALID_ARG;
	sv_buf_init(&b, SV_MAX_OUTPUT_BYTES);
	st = sv_put_canonical_uri(&b, path, opt);
	if (st == SIGV4_OK)
		st = sv_buf_steal(&b, out);
	sv_buf_dispose(&b);
	return st;
}

/* ---- canonical query ----------------------------------------------------- */

struct sv_param {
	char *key;   /* encoded */
	char *value; /* encoded */
};

struct sv_params {
	struct sv_param *v;
	size_t n;
	size_t cap;
};

static void
sv_params_dispose(struct sv_params *ps)
{
	size_t i;

	/* Query mode puts the session token among the values: wipe them. */
	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].key);
		OPENSSL_cleanse(ps->v[i].value, strlen(ps->v[i].value));
		free(ps->v[i].value);
	}
	free(ps->v);
	ps->v = NULL;
	ps->n = ps->cap = 0;
}

/* Percent-decodes s[0..n) into `dec` (reset first).  A '%' not followed
 * by two hex digits is an error: guessing would sign something other
 * than what the server will decode. */
static enum sigv4_status
sv_query_decode(struct sv_buf *dec, const char *s, size_t n)
{
	size_t i;
	enum sigv4_status st = SIGV4_OK;

	dec->len = 0;
	if (dec->p != NULL)
		dec->p[0] = '\0';
	for (i = 0; i < n && st == SIGV4_OK; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (n - i < 3)
				return SIGV4_ERR_BAD_QUERY;
			hi = sv_hexval((unsigned char)s[i + 1]);
			lo = sv_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return SIGV4_ERR_BAD_QUERY;
			st = sv_buf_putc(dec, (char)(unsigned char)((hi << 4) | lo));
			i += 2;
		} else {
			st = sv_buf_putc(dec, (char)c);
		}
	}
	if (st == SIGV4_OK && dec->p == NULL)
		st = sv_buf_put(dec, "", 0);
	return st;
}

/* Adds one parameter given decoded key and value. */
static enum sigv4_status
sv_params_add(struct sv_params *ps, const char *k, size_t kn, const char *v, size_t vn)
{
	struct sv_buf kb, vb;
	enum sigv4_status st;

	if (ps->n == ps->cap) {
		size_t cap = ps->cap != 0 ? ps->cap * 2 : 8;
		struct sv_param *nv;

		if (ps->n >= SIGV4_MAX_QUERY_PARAMS + 8)
			return SIGV4_ERR_TOO_LARGE;
		nv = realloc(ps->v, cap * sizeof(*nv));
		if (nv == NULL)
			return SIGV4_ERR_NOMEM;
		ps->v = nv;
		ps->cap = cap;
	}
	sv_buf_init(&kb, SV_MAX_OUTPUT_BYTES);
	sv_buf_init(&vb, SV_MAX_OUTPUT_BYTES);
	vb.secret = true;
	st = sv_uri_encode(&kb, k, kn, false);
	if (st == SIGV4_OK)
		st = sv_uri_encode(&vb, v, vn, false);
	if (st == SIGV4_OK)
		st = sv_buf_steal(&kb, &ps->v[ps->n].key);
	if (st == SIGV4_OK) {
		st = sv_buf_steal(&vb, &ps->v[ps->n].value);
		if (st == SIGV4_OK)
			ps->n++;
		else
			free(ps->v[ps->n].key);
	}
	sv_buf_dispose(&kb);
	sv_buf_dispose(&vb);
	return st;
}

/* Query keys the signer itself writes in query mode. */
static const char *const sv_presign_keys[] = {
	"X-Amz-Algorithm",
	"X-Amz-Credential",
	"X-Amz-Date",
	"X-Amz-Expires",
	"X-Amz-SignedHeaders",
	"X-Amz-Security-Token",
	"X-Amz-Signature",
};

static bool
sv_ascii_caseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + ('a' - 'A'));
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + ('a' - 'A'));
		if (x != y)
			return false;
	}
	return true;
}

static bool
sv_is_presign_key(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(sv_presign_keys) / sizeof(sv_presign_keys[0]); i++) {
		if (strlen(sv_presign_keys[i]) == n && sv_ascii_caseeq(sv_presign_keys[i], k, n))
			return true;
	}
	return false;
}

static enum sigv4_status
sv_params_parse(struct sv_params *ps, const char *query, bool reject_presign_keys)
{
	size_t n, i = 0;
	struct sv_buf kd, vd;
	enum sigv4_status st = SIGV4_OK;

	if (query == NULL)
		return SIGV4_OK;
	n = strlen(query);
	if (n > SIGV4_MAX_URL_BYTES)
		return SIGV4_ERR_TOO_LARGE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)query[i];
		if (sv_is_ctl(c) || c == '#')
			return SIGV4_ERR_BAD_QUERY;
	}
	sv_buf_init(&kd, SIGV4_MAX_URL_BYTES);
	sv_buf_init(&vd, SIGV4_MAX_URL_BYTES);
	vd.secret = true;
	i = 0;
	while (st == SIGV4_OK && i < n) {
		size_t start = i, end, eq;

		while (i < n && query[i] != '&')
			i++;
		end = i;
		if (i < n)
			i++; /* skip '&' */
		if (end == start)
			continue; /* "a&&b": nothing between the '&'s */
		if (ps->n >= SIGV4_MAX_QUERY_PARAMS) {
			st = SIGV4_ERR_TOO_LARGE;
			break;
		}
		eq = start;
		while (eq < end && query[eq] != '=')
			eq++;
		st = sv_query_decode(&kd, query + start, eq - start);
		if (st == SIGV4_OK)
			st = sv_query_decode(
			    &vd, eq < end ? query + eq + 1 : "", eq < end ? end - eq - 1 : 0);
		if (st == SIGV4_OK && reject_presign_keys && sv_is_presign_key(kd.p, kd.len))
			st = SIGV4_ERR_BAD_QUERY;
		if (st == SIGV4_OK)
			st = sv_params_add(ps, kd.p, kd.len, vd.p, vd.len);
	}
	sv_buf_dispose(&kd);
	sv_buf_dispose(&vd);
	return st;
}

static int
sv_param_cmp(const void *a, const void *b)
{
	const struct sv_param *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->value, y->value);
}

static enum sigv4_status
sv_params_put(struct sv_buf *b, struct sv_params *ps)
{
	size_t i;
	enum sigv4_status st = SIGV4_OK;

	if (ps->n > 1)
		qsort(ps->v, ps->n, sizeof(ps->v[0]), sv_param_cmp);
	for (i = 0; i < ps->n && st == SIGV4_OK; i++) {
		if (i != 0)
			st = sv_buf_putc(b, '&');
		if (st == SIGV4_OK)
			st = sv_buf_puts(b, ps->v[i].key);
		if (st == SIGV4_OK)
			st = sv_buf_putc(b, '=');
		if (st == SIGV4_OK)
			st = sv_buf_puts(b, ps->v[i].value);
	}
	return st;
}

enum sigv4_status
sigv4_canonical_query(char **out, const char *query)
{
	struct sv_params ps = { NULL, 0, 0 };
	struct sv_buf b;
	enum sigv4_status st;

	if (out == NULL)
		return SIGV4_ERR_INVALID_ARG;
	sv_buf_init(&b, SV_MAX_OUTPUT_BYTES);
	st = sv_params_parse(&ps, query, false);
	if (st == SIGV4_OK)
		st = sv_params_put(&b, &ps);
	if (st == SIGV4_OK)
		st = sv_buf_steal(&b, out);
	sv_params_dispose(&ps);
	sv_buf_dispose(&b);
	return st;
}

/* ---- canonical headers --------------------------------------------------- */

struct sv_hdr {
	char *name;   /* lower-case */
	char *value;  /* trimmed, inner whitespace runs folded to one space */
	size_t order; /* arrival order, to keep repeated headers stable */
};

struct sv_hdrs {
	struct sv_hdr v[SIGV4_MAX_HEADERS + 4];
	size_t n;
};

static void
sv_hdrs_dispose(struct sv_hdrs *hs)
{
	size_t i;

	/* Values may hold the session token: wipe them. */
	for (i = 0; i < hs->n; i++) {
		free(hs->v[i].name);
		if (hs->v[i].value != NULL)
			OPENSSL_cleanse(hs->v[i].value, strlen(hs->v[i].value));
		free(hs->v[i].value);
	}
	hs->n = 0;
}

/* Headers proxies and HTTP stacks add or rewrite on the way: signing them
 * would break the signature for reasons outside the caller's control.
 * (botocore leaves out the first four as well.) */
static const char *const sv_unsigned_headers[] = {
	"expect",
	"transfer-encoding",
	"user-agent",
	"x-amzn-trace-id",
	"connection",
	"keep-alive",
	"proxy-connection",
	"te",
	"upgrade",
};

/* Headers only the signer may write. */
static const char *const sv_reserved_headers[] = {
	"authorization",
	"x-amz-date",
	"x-amz-security-token",
};

static bool
sv_in_table(const char *name, const char *const *table, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(name, table[i]) == 0)
			return true;
	}
	return false;
}

#define SV_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static enum sigv4_status
sv_check_header(const struct sigv4_header *h)
{
	size_t i;

	if (h->name == NULL || (h->value == NULL && h->value_len != 0))
		return SIGV4_ERR_INVALID_ARG;
	if (h->name_len > SIGV4_MAX_NAME_BYTES || h->value_len > SIGV4_MAX_HEADER_BYTES ||
	    h->name_len + h->value_len > SIGV4_MAX_HEADER_BYTES)
		return SIGV4_ERR_HEADER_TOO_LARGE;
	if (h->name_len == 0)
		return SIGV4_ERR_BAD_HEADER_NAME;
	for (i = 0; i < h->name_len; i++) {
		if (!sv_is_tchar((unsigned char)h->name[i]))
			return SIGV4_ERR_BAD_HEADER_NAME;
	}
	/* CR or LF would let a value smuggle a header line (or a whole second
     * request) past the signature; NUL would truncate it in C.  Callers
     * unfold obs-fold continuation lines before signing. */
	for (i = 0; i < h->value_len; i++) {
		unsigned char c = (unsigned char)h->value[i];
		if (sv_is_ctl(c) && c != '\t')
			return SIGV4_ERR_BAD_HEADER_VALUE;
	}
	return SIGV4_OK;
}

/* Adds a header already validated; copies and canonicalizes it. */
static enum sigv4_status
sv_hdrs_add(
    struct sv_hdrs *hs, const char *name, size_t name_len, const char *value, size_t value_len)
{
	struct sv_hdr *h;
	size_t i, o = 0;
	bool space = false;

	if (hs->n >= SV_COUNT(hs->v))
		return SIGV4_ERR_TOO_MANY_HEADERS;
	h = &hs->v[hs->n];
	h->name = malloc(name_len + 1);
	h->value = malloc(value_len + 1);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return SIGV4_ERR_NOMEM;
	}
	for (i = 0; i < name_len; i++) {
		unsigned char c = (unsigned char)name[i];
		h->name[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	h->name[name_len] = '\0';
	/* Trim, and fold every inner run of spaces/tabs to one space. */
	for (i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (sv_is_ows(c)) {
			space = o != 0;
			continue;
		}
		if (space)
			h->value[o++] = ' ';
		space = false;
		h->value[o++] = (char)c;
	}
	h->value[o] = '\0';
	h->order = hs->n;
	hs->n++;
	return SIGV4_OK;
}

static int
sv_hdr_cmp(const void *a, const void *b)
{
	const struct sv_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order ? 1 : 0;
}

/* Collects, validates and sorts the headers to sign. */
static enum sigv4_status
sv_hdrs_collect(struct sv_hdrs *hs, const struct sigv4_request *req,
    const struct sigv4_options *opt, const struct sigv4_credentials *cred, const char *amz_date,
    const char *payload_hash)
{
	size_t i;
	bool have_host = false;
	enum sigv4_status st;
	bool header_mode = opt->mode == SIGV4_MODE_HEADER;

	if (req->n_headers > SIGV4_MAX_HEADERS)
		return SIGV4_ERR_TOO_MANY_HEADERS;
	if (req->n_headers != 0 && req->headers == NULL)
		return SIGV4_ERR_INVALID_ARG;
	for (i = 0; i < req->n_headers; i++) {
		const struct sigv4_header *h = &req->headers[i];
		char lname[SIGV4_MAX_NAME_BYTES + 1];
		size_t k;

		st = sv_check_header(h);
		if (st != SIGV4_OK)
			return st;
		for (k = 0; k < h->name_len; k++) {
			unsigned char c = (unsigned char)h->name[k];
			lname[k] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
		}
		lname[h->name_len] = '\0';
		if (sv_in_table(lname, sv_reserved_headers, SV_COUNT(sv_reserved_headers)) ||
		    (header_mode && opt->sign_body && strcmp(lname, "x-amz-content-sha256") == 0))
			return SIGV4_ERR_RESERVED_HEADER;
		if (strcmp(lname, "host") == 0) {
			if (have_host || req->host != NULL)
				return SIGV4_ERR_DUPLICATE_HOST;
			have_host = true;
		}
		if (sv_in_table(lname, sv_unsigned_headers, SV_COUNT(sv_unsigned_headers)))
			continue;
		st = sv_hdrs_add(hs, h->name, h->name_len, h->value, h->value_len);
		if (st != SIGV4_OK)
			return st;
	}
	if (req->host != NULL) {
		struct sigv4_header h = sigv4_header_make("host", req->host);

		st = sv_check_header(&h);
		if (st == SIGV4_OK && h.value_len == 0)
			st = SIGV4_ERR_MISSING_HOST;
		if (st == SIGV4_OK)
			st = sv_hdrs_add(hs, h.name, h.name_len, h.value, h.value_len);
		if (st != SIGV4_OK)
			return st;
		have_host = true;
	}
	if (!have_host)
		return SIGV4_ERR_MISSING_HOST;
	if (header_mode) {
		st = sv_hdrs_add(hs, "x-amz-date", 10, amz_date, strlen(amz_date));
		if (st == SIGV4_OK && cred->token != NULL && !opt->omit_session_token)
			st = sv_hdrs_add(
			    hs, "x-amz-security-token", 20, cred->token, strlen(cred->token));
		if (st == SIGV4_OK && opt->sign_body)
			st = sv_hdrs_add(
			    hs, "x-amz-content-sha256", 20, payload_hash, strlen(payload_hash));
		if (st != SIGV4_OK)
			return st;
	}
	qsort(hs->v, hs->n, sizeof(hs->v[0]), sv_hdr_cmp);
	return SIGV4_OK;
}

/* "name:v1,v2\n" per distinct name into `b`; "a;b" into `sig`. */
static enum sigv4_status
sv_hdrs_put(struct sv_buf *b, struct sv_buf *sig, const struct sv_hdrs *hs)
{
	size_t i;
	enum sigv4_status st = SIGV4_OK;

	for (i = 0; i < hs->n && st == SIGV4_OK; i++) {
		bool first = i == 0 || strcmp(hs->v[i - 1].name, hs->v[i].name) != 0;
		bool last = i + 1 == hs->n || strcmp(hs->v[i + 1].name, hs->v[i].name) != 0;

		if (first) {
			if (i != 0)
				st = sv_buf_putc(sig, ';');
			if (st == SIGV4_OK)
				st = sv_buf_puts(sig, hs->v[i].name);
			if (st == SIGV4_OK)
				st = sv_buf_puts(b, hs->v[i].name);
			if (st == SIGV4_OK)
				st = sv_buf_putc(b, ':');
		} else {
			st = sv_buf_putc(b, ',');
		}
		if (st == SIGV4_OK)
			st = sv_buf_puts(b, hs->v[i].value);
		if (st == SIGV4_OK && last)
			st = sv_buf_putc(b, '\n');
	}
	return st;
}

/* ---- payload hash, method -------------------------------------------------- */

enum sigv4_status
sv_payload_hash(char out[SIGV4_MAX_PAYLOAD_HASH_BYTES + 1], const struct sigv4_request *req)
{
	if (req->payload_hash != NULL) {
		size_t i, n = strlen(req->payload_hash);

		/* 64 hex digits or a token such as UNSIGNED-PAYLOAD or
         * STREAMING-AWS4-HMAC-SHA256-PAYLOAD. */
		if (n == 0 || n > SIGV4_MAX_PAYLOAD_HASH_BYTES)
			return SIGV4_ERR_BAD_PAYLOAD_HASH;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)req->payload_hash[i];
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			        (c >= '0' && c <= '9') || c == '-' || c == '_'))
				return SIGV4_ERR_BAD_PAYLOAD_HASH;
		}
		memcpy(out, req->payload_hash, n + 1);
		return SIGV4_OK;
	}
	if (req->body == NULL && req->body_len != 0)
		return SIGV4_ERR_INVALID_ARG;
	return sv_sha256_hex(out, req->body != NULL ? req->body : "", req->body_len);
}

static enum sigv4_status
sv_check_method(const char *method)
{
	size_t i, n;

	if (method == NULL)
		return SIGV4_ERR_BAD_METHOD;
	n = strlen(method);
	if (n == 0 || n > 32)
		return SIGV4_ERR_BAD_METHOD;
	for (i = 0; i < n; i++) {
		if (!sv_is_tchar((unsigned char)method[i]))
			return SIGV4_ERR_BAD_METHOD;
	}
	return SIGV4_OK;
}

/* ---- the canonical request ------------------------------------------------ */

/* Query mode: the X-Amz-* parameters that are part of what is signed. */
static enum sigv4_status
sv_add_presign_params(struct sv_params *ps, const struct sigv4_options *opt,
    const struct sigv4_credentials *cred, const char *amz_date, const char *signed_headers)
{
	char *scope = NULL;
	struct sv_buf cr;
	char expires[16];
	enum sigv4_status st;

	if (opt->expires_s == 0 || opt->expires_s > SIGV4_MAX_EXPIRES_S)
		return SIGV4_ERR_BAD_EXPIRES;
	st = sv_scope(&scope, opt);
	if (st != SIGV4_OK)
		return st;
	sv_buf_init(&cr, SV_MAX_OUTPUT_BYTES);
	st = sv_buf_puts(&cr, cred->key_id);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&cr, '/');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&cr, scope);
	snprintf(expires, sizeof(expires), "%u", (unsigned)opt->expires_s);
	if (st == SIGV4_OK)
		st = sv_params_add(ps, "X-Amz-Algorithm", 15, "AWS4-HMAC-SHA256", 16);
	if (st == SIGV4_OK)
		st = sv_params_add(ps, "X-Amz-Credential", 16, cr.p, cr.len);
	if (st == SIGV4_OK)
		st = sv_params_add(ps, "X-Amz-Date", 10, amz_date, strlen(amz_date));
	if (st == SIGV4_OK)
		st = sv_params_add(ps, "X-Amz-Expires", 13, expires, strlen(expires));
	if (st == SIGV4_OK && cred->token != NULL && !opt->omit_session_token)
		st =
		    sv_params_add(ps, "X-Amz-Security-Token", 20, cred->token, strlen(cred->token));
	if (st == SIGV4_OK)
		st = sv_params_add(
		    ps, "X-Amz-SignedHeaders", 19, signed_headers, strlen(signed_headers));
	sv_buf_dispose(&cr);
	free(scope);
	return st;
}

enum sigv4_status
sigv4_canonical_request(char **out, char **signed_headers_out, const struct sigv4_request *req,
    const struct sigv4_options *opt, const struct sigv4_credentials *cred)
{
	struct sv_hdrs *hs = NULL;
	struct sv_params ps = { NULL, 0, 0 };
	struct sv_buf b, sig;
	char amz_date[SIGV4_AMZ_DATE_BYTES];
	char payload[SIGV4_MAX_PAYLOAD_HASH_BYTES + 1];
	char *creq = NULL, *sigs = NULL;
	enum sigv4_status st;

	if (out == NULL || req == NULL || opt == NULL)
		return SIGV4_ERR_INVALID_ARG;
	st = sv_check_credentials(cred);
	if (st != SIGV4_OK)
		return st;
	st = sigv4_format_amz_date(amz_date, opt->time);
	if (st != SIGV4_OK)
		return st;
	st = sv_check_scope(opt);
	if (st != SIGV4_OK)
		return st;
	st = sv_check_method(req->method);
	if (st != SIGV4_OK)
		return st;
	st = sv_payload_hash(payload, req);
	if (st != SIGV4_OK)
		return st;

	hs = calloc(1, sizeof(*hs));
	if (hs == NULL)
		return SIGV4_ERR_NOMEM;
	sv_buf_init(&b, SV_MAX_OUTPUT_BYTES);
	sv_buf_init(&sig, SV_MAX_OUTPUT_BYTES);
	/* The canonical request may hold the session token. */
	b.secret = true;

	st = sv_hdrs_collect(hs, req, opt, cred, amz_date, payload);
	if (st != SIGV4_OK)
		goto cleanup;
	/* Method, then URI. */
	st = sv_buf_puts(&b, req->method);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '\n');
	if (st == SIGV4_OK)
		st = sv_put_canonical_uri(&b, req->path, opt);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '\n');
	if (st != SIGV4_OK)
		goto cleanup;
	/* Headers go to a side buffer first: query mode needs the signed list
     * inside the query, which comes before the headers. */
	{
		struct sv_buf hb;

		sv_buf_init(&hb, SV_MAX_OUTPUT_BYTES);
		hb.secret = true;
		st = sv_hdrs_put(&hb, &sig, hs);
		if (st == SIGV4_OK && sig.p == NULL)
			st = sv_buf_put(&sig, "", 0);
		if (st == SIGV4_OK)
			st = sv_params_parse(&ps, req->query, opt->mode == SIGV4_MODE_QUERY);
		if (st == SIGV4_OK && opt->mode == SIGV4_MODE_QUERY)
			st = sv_add_presign_params(&ps, opt, cred, amz_date, sig.p);
		if (st == SIGV4_OK)
			st = sv_params_put(&b, &ps);
		if (st == SIGV4_OK)
			st = sv_buf_putc(&b, '\n');
		if (st == SIGV4_OK)
			st = sv_buf_put(&b, hb.p != NULL ? hb.p : "", hb.len);
		sv_buf_dispose(&hb);
	}
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '\n');
	if (st == SIGV4_OK)
		st = sv_buf_put(&b, sig.p, sig.len);
	if (st == SIGV4_OK)
		st = sv_buf_putc(&b, '\n');
	if (st == SIGV4_OK)
		st = sv_buf_puts(&b, payload);
	if (st != SIGV4_OK)
		goto cleanup;

	st = sv_buf_steal(&b, &creq);
	if (st == SIGV4_OK && signed_headers_out != NULL)
		st = sv_buf_steal(&sig, &sigs);
	if (st != SIGV4_OK)
		goto cleanup;
	*out = creq;
	if (signed_headers_out != NULL)
		*signed_headers_out = sigs;
	creq = NULL;
	sigs = NULL;

cleanup:
	if (creq != NULL)
		OPENSSL_cleanse(creq, strlen(creq));
	free(creq);
	free(sigs);
	sv_params_dispose(&ps);
	sv_buf_dispose(&b);
	sv_buf_dispose(&sig);
	if (hs != NULL) {
		sv_hdrs_dispose(hs);
		free(hs);
	}
	return st;
}
