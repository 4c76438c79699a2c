/*
 * creds_internal.h — pieces of the credentials module shared between its
 * source files and exposed to tests/test_creds.c. Not a public interface.
 */
#ifndef SG_CREDS_INTERNAL_H
#define SG_CREDS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sg_creds.h"

/* Caps on what the outside world may hand us. */
#define SG_CREDS_JSON_MAX_BYTES ((size_t)64 << 10)    /* process/IMDS/container JSON */
#define SG_CREDS_TOKEN_MAX_BYTES ((size_t)16 << 10)   /* web identity / container token */
#define SG_CREDS_STDERR_KEEP 4096                     /* stderr kept for a message */
#define SG_CREDS_STDERR_SHOW 200                      /* ... of which shown */
#define SG_CREDS_MAX_ARGS 256
#define SG_CREDS_PROCESS_TIMEOUT_MS 60000L

/* Which JSON document a credentials body is. */
enum sg_creds_json_kind {
	SG_CREDS_JSON_PROCESS,   /* credential_process: Version 1, SessionToken */
	SG_CREDS_JSON_IMDS,      /* IMDS: Code "Success", Token */
	SG_CREDS_JSON_CONTAINER  /* ECS/EKS: Token, optional AccountId */
};

/*
 * Parse a credentials JSON body into *out (overwritten on success only).
 * `what` names the source for messages ("credential_process for profile
 * 'x'"). Messages never quote the body. A missing Expiration is 0 (never).
 */
enum sg_status sg_creds_parse_json(struct sg_creds *out, enum sg_creds_json_kind kind,
                                   const char *what, const char *data, size_t len,
                                   struct sg_error *err) SG_MUST_USE;

/*
 * Split a command line shell-style (POSIX shlex: whitespace separates,
 * '…' literal, "…" with \\ escaping " \\ $ ` and newline, \\ outside quotes
 * escapes anything) without running a shell. *argv_out is a NULL-terminated
 * malloc'd array freed with sg_creds_argv_free(); *argc_out its length (> 0).
 */
enum sg_status sg_creds_split_command(char ***argv_out, size_t *argc_out, const char *cmd,
                                      struct sg_error *err) SG_MUST_USE;
void sg_creds_argv_free(char **argv);

/*
 * Run a credential_process command and parse its output. `profile` is only
 * for messages. Non-zero exit: SG_ECREDS with a truncated, sanitised stderr
 * (never stdout). Over time: the child is killed, SG_ETIMEOUT.
 */
enum sg_status sg_creds_run_process(struct sg_creds *out, const char *cmd, const char *profile,
                                    long timeout_ms, struct sg_error *err) SG_MUST_USE;

/* The environment lookups, so tests can see them in one place. */
bool sg_creds_env_true(const char *name);

/* Copy `src` into a fixed field, truncating, always NUL-terminated. */
void sg_creds_set_source(struct sg_creds *c, const char *fmt, ...) SG_PRINTF(2, 3);

/* ---- HTTP sources (creds_http.c) --------------------------------------- */

struct sg_creds_http_ctx {
	const struct sg_creds_http *http; /* the hook (fetch never NULL here) */
	time_t now;
	/* Where a non-fatal "not available" reason goes, for the final message. */
	char *why;
	size_t why_cap;
	const char *imds_endpoint_cfg;    /* profile ec2_metadata_service_endpoint, or NULL */
	const char *imds_mode_cfg;        /* profile ec2_metadata_service_endpoint_mode, or NULL */
	/* Debug lines (method, URL, status; never headers or bodies). May be NULL. */
	void (*debug)(void *ctx, const char *msg);
	void *debug_ctx;
};

/*
 * IMDSv2 (token, role name, role credentials). *found false (SG_OK) when
 * IMDS is disabled, unreachable, times out or has no role; the reason goes
 * to ctx->why. Errors only for a broken answer from a reachable IMDS.
 */
enum sg_status sg_creds_from_imds(struct sg_creds_http_ctx *ctx, struct sg_creds *out,
                                  bool *found, struct sg_error *err) SG_MUST_USE;

/*
 * Container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI).
 * *found false when neither variable is set; any failure once configured is
 * an error, as in botocore.
 */
enum sg_status sg_creds_from_container(struct sg_creds_http_ctx *ctx, struct sg_creds *out,
                                       bool *found, struct sg_error *err) SG_MUST_USE;

/* Whether a container full URI may be used (§7.5): https, or an allowed host. */
bool sg_creds_container_uri_allowed(const char *uri);

#endif
