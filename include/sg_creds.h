/*
 * sg_creds.h — AWS credentials: the record, and a thread-safe provider that
 * resolves them the way the AWS CLI (botocore) does and refreshes them before
 * they expire.
 *
 * Chain, first hit wins (docs/credentials.md has the details):
 *   1. environment   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
 *                    skipped when a profile was named explicitly (--profile),
 *                    like the AWS CLI
 *   2. assume role   profile role_arn + source_profile | credential_source
 *                    (chains allowed), or role_arn + web_identity_token_file,
 *                    or env AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE
 *   3. shared credentials file  [NAME] aws_access_key_id/aws_secret_access_key
 *   4. config file static keys  [profile NAME] / [default]
 *   5. credential_process       (config or credentials file)
 *   6. container     AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI
 *   7. IMDSv2        unless AWS_EC2_METADATA_DISABLED=true
 * Profiles using mfa_serial or SSO fail with a message saying what to do.
 *
 * Secrets: secret_access_key and session_token are never formatted into any
 * message; sg_creds_dispose() wipes them before freeing.
 *
 *     struct sg_creds_options o = { .profile = NULL, .region = "eu-west-1" };
 *     struct sg_creds_provider *p;
 *     if (sg_creds_provider_new(&p, &o, err) != SG_OK) return err->status;
 *     struct sg_creds c;
 *     if (sg_creds_provider_get(p, &c, err) == SG_OK) { ...sign...; sg_creds_dispose(&c); }
 *     sg_creds_provider_free(p);
 */
#ifndef SG_CREDS_H
#define SG_CREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_err.h"

/*
 * Refresh windows (seconds before expiration): the advisory one is
 * min(15 min, lifetime / 2), the mandatory one min(10 min, lifetime / 4),
 * where lifetime = expiration - the time the provider obtained them, so
 * short-lived credentials (900 s) are not "due" on every request.
 */
#define SG_CREDS_ADVISORY_REFRESH_S (15 * 60)
#define SG_CREDS_MANDATORY_REFRESH_S (10 * 60)
/* After a failed advisory refresh, or one that handed back credentials still
 * inside the window, wait this long before the next advisory attempt. */
#define SG_CREDS_ADVISORY_RETRY_S 30

struct sg_creds {
	char *access_key_id;     /* malloc'd */
	char *secret_access_key; /* malloc'd, wiped on dispose */
	char *session_token;     /* malloc'd, wiped on dispose; NULL if none */
	time_t expiration;       /* 0 = never expires */
	/*
	 * Where they came from, for --debug and evidence; never a secret:
	 * "environment", "profile NAME (credentials file)", "profile NAME (config
	 * file)", "assume-role arn:…", "web-identity arn:…", "credential_process
	 * (profile NAME)", "container", "imds". Truncated to fit.
	 */
	char source[64];
	char *account_id;        /* malloc'd, optional (NULL) */
};

/* Zero a record (all pointers NULL). */
void sg_creds_init(struct sg_creds *c);

/* Wipe secret and token (OPENSSL_cleanse), free everything, leave it zeroed.
 * Accepts NULL and an already-disposed record. */
void sg_creds_dispose(struct sg_creds *c);

/* Deep copy src into *out (overwritten; dispose it first if it held data). */
enum sg_status sg_creds_copy(struct sg_creds *out, const struct sg_creds *src,
                             struct sg_error *err) SG_MUST_USE;

/* ---- HTTP hook (IMDS and container credentials) -------------------------
 *
 * The provider never includes curl: it calls this hook. The CLI wires it to
 * the project transport (sg_transport_creds_fetch in sg_transport.h); tests
 * inject fakes. With no hook (fetch == NULL) the container and IMDS sources
 * report "no HTTP transport configured" and are skipped, so nothing is ever
 * fetched behind the caller's back. Header values may be secrets (IMDS token, container
 * authorization token): a hook must never log them.
 */
struct sg_creds_http_request {
	const char *method;              /* "GET" or "PUT" */
	const char *url;                 /* absolute http(s) URL */
	const char *const *headers;      /* "Name: value" strings, NULL-terminated; may be NULL */
	long timeout_ms;                 /* whole-request timeout (connect included) */
	size_t max_bytes;                /* cap on the response body */
};

struct sg_creds_http {
	/*
	 * Perform one request. On SG_OK, *status_out holds the HTTP status (any,
	 * including 4xx/5xx) and `body` (already initialised by the caller with
	 * sg_buf_init_secret and the cap) holds the body. Connection failures
	 * return SG_ENET, timeouts SG_ETIMEOUT, both with a message.
	 */
	enum sg_status (*fetch)(void *ctx, const struct sg_creds_http_request *req,
	                        long *status_out, struct sg_buf *body,
	                        struct sg_error *err);
	void *ctx;
};

/* ---- STS hook (assume role) ----------------------------------------------
 *
 * The CLI wires it to the project STS client (sg_sts_creds_assume in
 * sg_sts.h, which sits above this module); tests inject fakes. With no hook
 * (assume == NULL) a role profile fails with "no STS client is configured".
 */
enum sg_creds_sts_kind {
	SG_CREDS_STS_ASSUME_ROLE,                /* signed with req->source */
	SG_CREDS_STS_ASSUME_ROLE_WITH_WEB_IDENTITY /* unsigned; uses web_identity_token */
};

struct sg_creds_sts_request {
	enum sg_creds_sts_kind kind;
	const struct sg_creds *source;   /* AssumeRole: credentials to sign with */
	const char *region;              /* always set: options region, AWS_REGION,
	                                    AWS_DEFAULT_REGION, the profile's region, us-east-1 */
	const char *endpoint_url;        /* options.sts_endpoint_url (NULL = regional default) */
	const char *role_arn;
	const char *role_session_name;   /* always set (default "sg-audit-<unix time>") */
	const char *external_id;         /* NULL if none */
	long duration_seconds;           /* 0 = let STS decide (1 h) */
	const char *web_identity_token;  /* web identity only; a secret */
};

struct sg_creds_sts {
	/* Fill *out (initialised empty) with the returned credentials and their
	 * expiration; the provider then sets out->source. Errors carry the AWS code. */
	enum sg_status (*assume)(void *ctx, const struct sg_creds_sts_request *req,
	                         struct sg_creds *out, struct sg_error *err);
	void *ctx;
};

/* ---- Options -------------------------------------------------------------- */

enum sg_creds_log_level { SG_CREDS_LOG_DEBUG, SG_CREDS_LOG_WARN };

struct sg_creds_options {
	/*
	 * Profile named on the command line (--profile). NULL = AWS_PROFILE, then
	 * AWS_DEFAULT_PROFILE, then "default". A non-NULL profile disables the
	 * environment source, as the AWS CLI does.
	 */
	const char *profile;
	const char *region;              /* for regional STS; NULL = profile region / AWS_REGION / us-east-1 */
	const char *config_file;         /* NULL = AWS_CONFIG_FILE or ~/.aws/config */
	const char *credentials_file;    /* NULL = AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */
	const char *sts_endpoint_url;    /* passed through to the STS hook; NULL = default */
	long process_timeout_ms;         /* credential_process time limit; 0 = 60 s */
	struct sg_creds_http http;       /* zeroed = no HTTP sources (see above) */
	struct sg_creds_sts sts;         /* zeroed = no assume role (see above) */
	/* Wall clock for expiry decisions; NULL = time(NULL). */
	time_t (*now)(void *ctx);
	void *now_ctx;
	/*
	 * Diagnostics (never contain secrets). NULL = warnings to stderr as
	 * "sg-audit: warning: …", debug dropped.
	 */
	void (*log)(void *ctx, enum sg_creds_log_level level, const char *msg);
	void *log_ctx;
};

/* ---- Provider ---------------------------------------------------------------- */

struct sg_creds_provider;

/*
 * Create a provider. Reads nothing yet besides copying the options (strings
 * are copied; hooks and contexts are borrowed and must outlive the provider).
 * *out is set only on success; free with sg_creds_provider_free().
 */
enum sg_status sg_creds_provider_new(struct sg_creds_provider **out,
                                     const struct sg_creds_options *opts,
                                     struct sg_error *err) SG_MUST_USE;

/*
 * Current credentials, as a copy the caller disposes. The first call resolves
 * the chain. Later calls refresh inside the advisory window (at most once per
 * SG_CREDS_ADVISORY_RETRY_S after a failure or an unhelpful refresh; a failed
 * refresh is tolerated while the old ones are outside the mandatory window)
 * and must refresh inside the mandatory window (a failure is returned). See
 * SG_CREDS_ADVISORY_REFRESH_S for the window sizes. Safe to call from
 * several threads; only one refreshes at a time.
 */
enum sg_status sg_creds_provider_get(struct sg_creds_provider *p, struct sg_creds *out,
                                     struct sg_error *err) SG_MUST_USE;

/*
 * Forget the cached credentials so the next get resolves again (call it when
 * the service answered ExpiredToken / InvalidClientTokenId mid-scan).
 */
void sg_creds_provider_invalidate(struct sg_creds_provider *p);

/* The resolved profile name (never NULL). Borrowed; lives as long as p. */
const char *sg_creds_provider_profile(const struct sg_creds_provider *p);

/*
 * A value from the selected profile ("region", "max_attempts", "ca_bundle"…),
 * with botocore's merge: the credentials file's [NAME] wins over the config
 * file's [profile NAME] / [default].
 * On SG_OK *out is a malloc'd copy; SG_ENOTFOUND if the key is absent (no
 * message set in that case). Do not use for secret keys.
 */
enum sg_status sg_creds_provider_profile_value(struct sg_creds_provider *p,
                                               const char *key, char **out,
                                               struct sg_error *err) SG_MUST_USE;

void sg_creds_provider_free(struct sg_creds_provider *p);

/* One-shot resolution without refresh (creates and frees a provider). */
enum sg_status sg_creds_resolve(struct sg_creds *out, const struct sg_creds_options *opts,
                                struct sg_error *err) SG_MUST_USE;

#endif
