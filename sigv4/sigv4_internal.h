/*
 * sigv4_internal.h - shared between the sigv4/ sources only; not installed.
 */
#ifndef SIGV4_INTERNAL_H
#define SIGV4_INTERNAL_H

#include "sigv4.h"

/* Upper bound for any string the library builds (canonical request,
 * presigned query).  The input caps keep real requests far below it. */
#define SV_MAX_OUTPUT_BYTES (1u << 20)

/*
 * A growable byte buffer with a cap fixed at init, always NUL-terminated
 * once anything was written.  On any failure the caller disposes it; a
 * buffer marked `secret` is cleansed before its memory is released, also
 * when it grows.
 */
struct sv_buf {
	char *p;
	size_t len;
	size_t alloc;
	size_t max;
	bool secret;
};

void sv_buf_init(struct sv_buf *b, size_t max);
void sv_buf_dispose(struct sv_buf *b);
SIGV4_MUST_CHECK enum sigv4_status sv_buf_put(struct sv_buf *b, const void *data, size_t n);
SIGV4_MUST_CHECK enum sigv4_status sv_buf_puts(struct sv_buf *b, const char *s);
SIGV4_MUST_CHECK enum sigv4_status sv_buf_putc(struct sv_buf *b, char c);
/* Hands the string over (an empty buffer gives ""); the buffer is reset. */
SIGV4_MUST_CHECK enum sigv4_status sv_buf_steal(struct sv_buf *b, char **out);

/* Appends `s[0..n)` percent-encoded: bytes outside A-Z a-z 0-9 - _ . ~
 * become %XX (upper-case hex); '/' is kept if keep_slash. */
SIGV4_MUST_CHECK enum sigv4_status sv_uri_encode(struct sv_buf *b, const char *s, size_t n, bool keep_slash);

/* Credentials internals (sigv4_crypto.c). */
struct sigv4_credentials {
	char *key_id;
	char *secret; /* cleansed on free */
	size_t secret_len;
	char *token;                   /* NULL if none; cleansed on free */
	unsigned char fingerprint[32]; /* SHA-256(secret), to key the cache */
};

/* Checks that region and service are usable scope parts. */
SIGV4_MUST_CHECK enum sigv4_status sv_check_scope(const struct sigv4_options *opt);

/* Checks credentials are present (SIGV4_ERR_MISSING_CREDENTIALS if not). */
SIGV4_MUST_CHECK enum sigv4_status sv_check_credentials(const struct sigv4_credentials *cred);

/* Hex SHA-256 of data into out[65]. */
SIGV4_MUST_CHECK enum sigv4_status sv_sha256_hex(char out[SIGV4_HEX_BYTES], const void *data, size_t n);

/* The payload hash of `req` (hex SHA-256 of the body, or the validated
 * precomputed value) into out. */
SIGV4_MUST_CHECK enum sigv4_status
sv_payload_hash(char out[SIGV4_MAX_PAYLOAD_HASH_BYTES + 1], const struct sigv4_request *req);

/* date8 ("20150830") and the scope "<date>/<region>/<service>/aws4_request"
 * into a heap string. */
SIGV4_MUST_CHECK enum sigv4_status sv_scope(char **out, const struct sigv4_options *opt);

#endif /* SIGV4_INTERNAL_H */
