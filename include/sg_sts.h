/*
 * sg_sts.h — STS: GetCallerIdentity (who is scanning, for every report),
 * AssumeRole and AssumeRoleWithWebIdentity (for the credentials chain).
 *
 * STS is always called at the regional endpoint (sts.<region>.amazonaws.com
 * or the user's override): tokens from the legacy global endpoint fail in
 * opt-in regions.
 */
#ifndef SG_STS_H
#define SG_STS_H

#include <stddef.h>
#include <time.h>

#include "sg_aws.h"
#include "sg_creds.h"
#include "sg_err.h"

struct sg_identity {
	char account[32];
	char arn[1024];
	char user_id[256];
	char partition[16];      /* from the ARN: "aws", "aws-cn", "aws-us-gov" */
	char request_id[96];
};

/* Parse a GetCallerIdentityResponse body. EPARSE naming what is missing. */
enum sg_status sg_sts_parse_caller_identity(const char *body, size_t len,
                                            struct sg_identity *out,
                                            struct sg_error *err) SG_MUST_USE;

/*
 * Parse an AssumeRole / AssumeRoleWithWebIdentity response (op is the
 * operation name) into *out (sg_creds_init'ed by the caller; filled only on
 * success). assumed_arn (may be NULL) receives AssumedRoleUser/Arn.
 * The secret and token travel only through wiped buffers.
 */
enum sg_status sg_sts_parse_credentials(const char *body, size_t len, const char *op,
                                        struct sg_creds *out, char *assumed_arn,
                                        size_t arn_cap, struct sg_error *err) SG_MUST_USE;

/* GetCallerIdentity in `region` (NULL = the client's default). */
enum sg_status sg_sts_get_caller_identity(struct sg_aws *aws, const char *region,
                                          struct sg_identity *out,
                                          struct sg_error *err) SG_MUST_USE;

struct sg_sts_assume_role_params {
	const char *role_arn;           /* required */
	const char *role_session_name;  /* required, 2..64 of [\w+=,.@-] */
	const char *external_id;        /* NULL = none */
	long duration_seconds;          /* 0 = STS default (1 h); else 900..43200 */
	const char *serial_number;      /* MFA device; NULL = none */
	const char *token_code;         /* MFA code; a secret-ish value, never logged */
	const char *source_identity;    /* NULL = none */
};

/* AssumeRole signed with `source`; the new credentials in *out (caller disposes). */
enum sg_status sg_sts_assume_role(struct sg_aws *aws, const char *region,
                                  const struct sg_creds *source,
                                  const struct sg_sts_assume_role_params *p,
                                  struct sg_creds *out, struct sg_error *err) SG_MUST_USE;

/* AssumeRoleWithWebIdentity: an UNSIGNED call carrying the token (a secret). */
enum sg_status sg_sts_assume_role_with_web_identity(struct sg_aws *aws, const char *region,
                                                    const char *role_arn,
                                                    const char *role_session_name,
                                                    const char *web_identity_token,
                                                    long duration_seconds,
                                                    struct sg_creds *out,
                                                    struct sg_error *err) SG_MUST_USE;

/*
 * Adapter for sg_creds_options.sts (struct sg_creds_sts): ctx is the
 * struct sg_aws * to call through. Fills out->source with
 * "assume-role ARN" / "web-identity ARN".
 */
enum sg_status sg_sts_creds_assume(void *ctx, const struct sg_creds_sts_request *req,
                                   struct sg_creds *out, struct sg_error *err);

#endif
