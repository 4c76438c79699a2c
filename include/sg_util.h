/*
 * sg_util.h — small shared helpers: bounded file reads, atomic file writes,
 * strict number parsing, UTC time formatting. Look here before writing one.
 */
#ifndef SG_UTIL_H
#define SG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_err.h"

/*
 * Read a whole file into `out` (initialised by the caller with its cap via
 * sg_buf_init). Errors name the path: missing file (ENOTFOUND), I/O (EIO),
 * larger than the cap (ELIMIT), NUL byte when !allow_nul (EPARSE).
 */
enum sg_status sg_file_read(const char *path, struct sg_buf *out, bool allow_nul,
                            struct sg_error *err) SG_MUST_USE;

/*
 * Write `len` bytes to `path` atomically: a temporary file in the same
 * directory, fsync, rename over the target, fsync the directory. A crash at
 * any moment leaves either the old file or the new one, whole. mode e.g. 0644.
 */
enum sg_status sg_file_write_atomic(const char *path, const void *data, size_t len,
                                    unsigned mode, struct sg_error *err) SG_MUST_USE;

/*
 * Parse a whole decimal integer in [min, max]; no sign other than a leading
 * '-', no spaces, no trailing bytes. Returns false if invalid.
 */
bool sg_parse_long(struct sg_str s, long min, long max, long *out);

/* Format t as "2024-05-01T12:00:00Z" into buf (at least 21 bytes). */
void sg_time_iso8601(time_t t, char *buf, size_t cap);
/* Format t as "20240501T120000Z" into buf (at least 17 bytes). */
void sg_time_amz(time_t t, char *buf, size_t cap);
/* Parse "2024-05-01T12:00:00Z" (fractional seconds and +00:00 accepted). */
bool sg_time_parse_iso8601(const char *s, time_t *out);

/*
 * strdup(s), or NULL when s is NULL. A failed copy returns NULL and sets
 * *failed (left alone otherwise), so a run of copies is checked once.
 * The caller frees the copy.
 */
char *sg_strdup_or_null(const char *s, bool *failed);

/* Monotonic milliseconds, for timeouts and rate limits. */
uint64_t sg_now_ms(void);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void sg_hex(const unsigned char *in, size_t n, char *out);

/* SHA-256 of data as 64 hex chars + NUL. */
void sg_sha256_hex(const void *data, size_t len, char out[65]);

#endif
