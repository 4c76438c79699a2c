/*
 * sigv4_buf.c - the capped buffer and percent-encoding used by the signer.
 */
#include "sigv4_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
sv_buf_init(struct sv_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
	b->secret = false;
}

void
sv_buf_dispose(struct sv_buf *b)
{
	if (b->p != NULL) {
		if (b->secret)
			OPENSSL_cleanse(b->p, b->alloc);
		free(b->p);
	}
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
}

static enum sigv4_status
sv_buf_reserve(struct sv_buf *b, size_t n)
{
	size_t need, alloc;
	char *np;

	if (n > b->max - b->len)
		return SIGV4_ERR_TOO_LARGE;
	need = b->len + n + 1;
	if (need <= b->alloc)
		return SIGV4_OK;
	alloc = b->alloc != 0 ? b->alloc : 64;
	while (alloc < need)
		alloc *= 2;
	if (alloc > b->max + 1)
		alloc = b->max + 1;
	/* Not realloc(): a secret buffer must not leave a stale copy behind. */
	np = malloc(alloc);
	if (np == NULL)
		return SIGV4_ERR_NOMEM;
	if (b->p != NULL) {
		memcpy(np, b->p, b->len + 1);
		if (b->secret)
			OPENSSL_cleanse(b->p, b->alloc);
		free(b->p);
	}
	b->p = np;
	b->alloc = alloc;
	return SIGV4_OK;
}

enum sigv4_status
sv_buf_put(struct sv_buf *b, const void *data, size_t n)
{
	enum sigv4_status st = sv_buf_reserve(b, n);

	if (st != SIGV4_OK)
		return st;
	if (n != 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return SIGV4_OK;
}

enum sigv4_status
sv_buf_puts(struct sv_buf *b, const char *s)
{
	return sv_buf_put(b, s, strlen(s));
}

enum sigv4_status
sv_buf_putc(struct sv_buf *b, char c)
{
	return sv_buf_put(b, &c, 1);
}

enum sigv4_status
sv_buf_steal(struct sv_buf *b, char **out)
{
	if (b->p == NULL) {
		enum sigv4_status st = sv_buf_reserve(b, 0);
		if (st != SIGV4_OK)
			return st;
		b->p[0] = '\0';
	}
	*out = b->p;
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	return SIGV4_OK;
}

static bool
sv_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_' || c == '.' || c == '~';
}

enum sigv4_status
sv_uri_encode(struct sv_buf *b, const char *s, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	enum sigv4_status st;

	/* Copy runs of safe bytes in one call: most input is plain. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if (sv_unreserved(c) || (keep_slash && c == '/')) {
			run++;
			continue;
		}
		if (run != 0) {
			st = sv_buf_put(b, s + i - run, run);
			if (st != SIGV4_OK)
				return st;
			run = 0;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0x0f];
		st = sv_buf_put(b, esc, 3);
		if (st != SIGV4_OK)
			return st;
	}
	if (run != 0)
		return sv_buf_put(b, s + n - run, run);
	return SIGV4_OK;
}
