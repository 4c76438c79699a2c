/*
 * sg_buf.h — a growable byte buffer with a size cap from birth, and borrowed
 * string views.
 *
 * Every buffer has a max_bytes cap set at init. An append that would pass the
 * cap, or an allocation that fails, FREES the buffer and returns an error, so
 * partial data never escapes (curl's dynbuf does the same). The content is
 * always NUL-terminated (the NUL is not counted in len and not in the cap).
 *
 * A buffer marked secret (sg_buf_init_secret) is wiped with OPENSSL_cleanse
 * whenever its memory is released or moved.
 *
 *     struct sg_buf b;
 *     sg_buf_init(&b, 1 << 20);
 *     if (sg_buf_append(&b, "abc", 3, err) != SG_OK) return err->status;
 *     ... use b.data, b.len ...
 *     sg_buf_dispose(&b);
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_err.h"

struct sg_buf {
	char *data;      /* NULL until the first append; NUL-terminated after */
	size_t len;      /* bytes used, excluding the NUL */
	size_t alloc;    /* bytes allocated */
	size_t max_bytes;/* cap on len */
	bool secret;     /* wipe on release */
};

/* A borrowed (pointer, length) view; not NUL-terminated in general. */
struct sg_str {
	const char *p;
	size_t len;
};

#define SG_STR_LIT(s) ((struct sg_str){ (s), sizeof(s) - 1 })

void sg_buf_init(struct sg_buf *b, size_t max_bytes);
void sg_buf_init_secret(struct sg_buf *b, size_t max_bytes);

/* Append n bytes. On failure the buffer is freed (len 0) and err set. */
enum sg_status sg_buf_append(struct sg_buf *b, const void *p, size_t n,
                             struct sg_error *err) SG_MUST_USE;
enum sg_status sg_buf_append_str(struct sg_buf *b, const char *s,
                                 struct sg_error *err) SG_MUST_USE;
enum sg_status sg_buf_append_char(struct sg_buf *b, char c,
                                  struct sg_error *err) SG_MUST_USE;
enum sg_status sg_buf_appendf(struct sg_buf *b, struct sg_error *err,
                              const char *fmt, ...) SG_PRINTF(3, 4) SG_MUST_USE;

/* Forget the content but keep the allocation (wiped if secret). */
void sg_buf_reset(struct sg_buf *b);

/*
 * Hand the content over: returns a malloc'd NUL-terminated string (an empty
 * one if nothing was appended) that the caller frees, and leaves the buffer
 * empty. *len_out, if not NULL, receives the length. NULL on ENOMEM.
 */
char *sg_buf_detach(struct sg_buf *b, size_t *len_out);

/* Release the memory (wiped first if secret). Accepts an already-disposed buffer. */
void sg_buf_dispose(struct sg_buf *b);

/* View of a buffer's content. */
struct sg_str sg_buf_view(const struct sg_buf *b);

/* Views */
struct sg_str sg_str_from(const char *s);
bool sg_str_eq(struct sg_str a, const char *s);
/* malloc'd NUL-terminated copy; NULL on ENOMEM. */
char *sg_str_dup(struct sg_str s);

#endif
