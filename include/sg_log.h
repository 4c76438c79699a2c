/*
 * sg_log.h — --debug logging to stderr, with secrets redacted.
 *
 * Debug lines go to stderr as "sg-audit: debug: ...", one whole line per
 * call (a mutex keeps lines from interleaving when several threads log).
 * Nothing is printed unless sg_log_set_debug(true) was called.
 *
 * Redaction is by header NAME, never by guessing at values: Authorization,
 * X-Amz-Security-Token, and any header whose name mentions a token, secret,
 * credential, signature, password or cookie has its value replaced by
 * "[REDACTED]". Request and response BODIES are never logged (an STS
 * AssumeRole response carries a secret key), only their sizes.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_err.h"

void sg_log_set_debug(bool on);
bool sg_log_debug_enabled(void);

/* One debug line (a newline is added). No-op when debug is off. */
void sg_log_debug(const char *fmt, ...) SG_PRINTF(1, 2);

/* One warning line "sg-audit: warning: ..." (always printed). */
void sg_log_warn(const char *fmt, ...) SG_PRINTF(1, 2);

/* Whether a header of this name carries a secret and must never be shown. */
bool sg_log_header_is_secret(const char *name, size_t name_len);

/*
 * Append "Name: value" for a header to `out` (cap bytes, always
 * NUL-terminated, truncated if needed), with the value replaced by
 * "[REDACTED]" when the name is secret, and control characters shown as '?'.
 */
void sg_log_format_header(char *out, size_t cap, const char *name, size_t name_len,
                          const char *value, size_t value_len);

/*
 * Redirect debug and warning output (tests). NULL restores stderr. The
 * callback receives whole lines without the trailing newline.
 */
void sg_log_set_sink(void (*sink)(void *ctx, const char *line), void *ctx);

#endif
