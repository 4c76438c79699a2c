/* buf.c — capped growable buffer (see sg_buf.h for the contract). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sg_buf.h"

void
sg_buf_init(struct sg_buf *b, size_t max_bytes)
{
	memset(b, 0, sizeof(*b));
	b->max_bytes = max_bytes;
}

void
sg_buf_init_secret(struct sg_buf *b, size_t max_bytes)
{
	sg_buf_init(b, max_bytes);
	b->secret = true;
}

void
sg_buf_dispose(struct sg_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL && b->secret)
		OPENSSL_cleanse(b->data, b->alloc);
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void
sg_buf_reset(struct sg_buf *b)
{
	if (b->data != NULL) {
		if (b->secret)
			OPENSSL_cleanse(b->data, b->alloc);
		b->data[0] = '\0';
	}
	b->len = 0;
}

/* Make room for n more bytes plus the NUL. Frees the buffer on failure. */
static enum sg_status
grow(struct sg_buf *b, size_t n, struct sg_error *err)
{
	size_t need, nalloc;
	char *p;

	if (n > b->max_bytes || b->len > b->max_bytes - n) {
		size_t cap = b->max_bytes;
		sg_buf_dispose(b);
		return sg_err_set(err, SG_ELIMIT,
		    "data exceeds the %zu-byte limit", cap);
	}
	need = b->len + n + 1;
	if (need <= b->alloc)
		return SG_OK;
	nalloc = b->alloc ? b->alloc : 64;
	while (nalloc < need)
		nalloc = nalloc > ((size_t)-1) / 2 ? need : nalloc * 2;
	if (b->secret) {
		/* realloc could leave a stale copy of the secret behind. */
		p = malloc(nalloc);
		if (p != NULL && b->data != NULL)
			memcpy(p, b->data, b->len + 1);
		if (p != NULL && b->data != NULL) {
			OPENSSL_cleanse(b->data, b->alloc);
			free(b->data);
		}
	} else {
		p = realloc(b->data, nalloc);
	}
	if (p == NULL) {
		sg_buf_dispose(b);
		return sg_err_set(err, SG_ENOMEM, "out of memory growing a buffer to %zu bytes", nalloc);
	}
	b->data = p;
	b->alloc = nalloc;
	return SG_OK;
}

enum sg_status
sg_buf_append(struct sg_buf *b, const void *p, size_t n, struct sg_error *err)
{
	enum sg_status st;

	if ((st = grow(b, n, err)) != SG_OK)
		return st;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return SG_OK;
}

enum sg_status
sg_buf_append_str(struct sg_buf *b, const char *s, struct sg_error *err)
{
	return sg_buf_append(b, s, strlen(s), err);
}

enum sg_status
sg_buf_append_char(struct sg_buf *b, char c, struct sg_error *err)
{
	return sg_buf_append(b, &c, 1, err);
}

enum sg_status
sg_buf_appendf(struct sg_buf *b, struct sg_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum sg_status st;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sg_err_set(err, SG_EINTERNAL, "format error");
	if ((st = grow(b, (size_t)n, err)) != SG_OK)
		return st;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return SG_OK;
}

char *
sg_buf_detach(struct sg_buf *b, size_t *len_out)
{
	char *p = b->data;

	if (p == NULL) {
		p = calloc(1, 1);
		if (p == NULL)
			return NULL;
	}
	if (len_out != NULL)
		*len_out = b->len;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

struct sg_str
sg_buf_view(const struct sg_buf *b)
{
	struct sg_str s = { b->data ? b->data : "", b->len };
	return s;
}

struct sg_str
sg_str_from(const char *s)
{
	struct sg_str v = { s ? s : "", s ? strlen(s) : 0 };
	return v;
}

bool
sg_str_eq(struct sg_str a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && memcmp(a.p, s, n) == 0;
}

char *
sg_str_dup(struct sg_str s)
{
	char *p = malloc(s.len + 1);

	if (p == NULL)
		return NULL;
	if (s.len > 0)
		memcpy(p, s.p, s.len);
	p[s.len] = '\0';
	return p;
}
