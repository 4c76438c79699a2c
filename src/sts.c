/*
 * sts.c — GetCallerIdentity, AssumeRole, AssumeRoleWithWebIdentity over the
 * aws client (always the regional STS endpoint), and the adapter the
 * credentials provider calls to assume roles.
 */
#include <stdio.h>
#include <string.h>

#include "sg_log.h"
#include "sg_sts.h"

enum sg_status
sg_sts_get_caller_identity(struct sg_aws *aws, const char *region, struct sg_identity *out,
                           struct sg_error *err)
{
	struct sg_aws_response resp;
	enum sg_status st;

	sg_aws_response_init(&resp);
	st = sg_aws_query(aws, SG_SVC_STS, region, "GetCallerIdentity", NULL, &resp, err);
	if (st == SG_OK) {
		st = sg_sts_parse_caller_identity(resp.body.data, resp.body.len, out, err);
		if (st != SG_OK)
			sg_err_prefix(err, "%s sts GetCallerIdentity: ", resp.region);
		else if (out->request_id[0] == '\0')
			snprintf(out->request_id, sizeof(out->request_id), "%s", resp.request_id);
	}
	sg_aws_response_dispose(&resp);
	return st;
}

/* RoleSessionName: 2..64 of [\w+=,.@-]. */
static bool
session_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, i;

	if (n < 2 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("_+=,.@-", c) != NULL))
			return false;
	}
	return true;
}

static enum sg_status
check_common(const char *op, const char *role_arn, const char *session, long duration,
             struct sg_error *err)
{
	if (role_arn == NULL || strncmp(role_arn, "arn:", 4) != 0 || strlen(role_arn) > 2048)
		return sg_err_set(err, SG_ECONFIG, "sts %s: role ARN '%s' is not an ARN", op,
		    role_arn ? role_arn : "(none)");
	if (!session_name_ok(session))
		return sg_err_set(err, SG_ECONFIG,
		    "sts %s: role session name '%s' must be 2-64 characters of [A-Za-z0-9_+=,.@-]",
		    op, session ? session : "(none)");
	if (duration != 0 && (duration < 900 || duration > 43200))
		return sg_err_set(err, SG_ECONFIG,
		    "sts %s: duration %ld s is outside 900..43200", op, duration);
	return SG_OK;
}

static enum sg_status
run_assume(struct sg_aws *aws, struct sg_aws_call *call, const char *op, const char *role_arn,
           struct sg_creds *out, struct sg_error *err)
{
	struct sg_aws_response resp;
	struct sg_creds c;
	char arn[1024];
	enum sg_status st;

	sg_aws_response_init(&resp);
	sg_creds_init(&c);
	st = sg_aws_call(aws, call, &resp, err);
	if (st == SG_OK) {
		st = sg_sts_parse_credentials(resp.body.data, resp.body.len, op, &c, arn, sizeof(arn),
		    err);
		if (st != SG_OK)
			sg_err_prefix(err, "%s sts %s: ", resp.region, op);
	}
	/* The body held the new secret key and token. */
	resp.body.secret = true;
	sg_aws_response_dispose(&resp);
	if (st != SG_OK)
		return st;
	snprintf(c.source, sizeof(c.source), "%s %s",
	    strcmp(op, "AssumeRole") == 0 ? "assume-role" : "web-identity", role_arn);
	sg_log_debug("sts %s: credentials for %s (key id %.4s..., expiring %ld)", op,
	    arn[0] ? arn : role_arn, c.access_key_id, (long)c.expiration);
	*out = c;
	return SG_OK;
}

enum sg_status
sg_sts_assume_role(struct sg_aws *aws, const char *region, const struct sg_creds *source,
                   const struct sg_sts_assume_role_params *p, struct sg_creds *out,
                   struct sg_error *err)
{
	struct sg_aws_params params;
	struct sg_aws_call call;
	enum sg_status st;

	if ((st = check_common("AssumeRole", p->role_arn, p->role_session_name,
	    p->duration_seconds, err)) != SG_OK)
		return st;
	if (source == NULL)
		return sg_err_set(err, SG_ECREDS, "sts AssumeRole %s: no source credentials",
		    p->role_arn);
	sg_aws_params_init(&params);
	params.enc.secret = true; /* may carry an MFA token code */
	if ((st = sg_aws_params_add(&params, "RoleArn", p->role_arn, err)) != SG_OK ||
	    (st = sg_aws_params_add(&params, "RoleSessionName", p->role_session_name, err)) != SG_OK ||
	    (p->duration_seconds && (st = sg_aws_params_add_long(&params, "DurationSeconds",
	        p->duration_seconds, err)) != SG_OK) ||
	    (p->external_id && (st = sg_aws_params_add(&params, "ExternalId", p->external_id,
	        err)) != SG_OK) ||
	    (p->serial_number && (st = sg_aws_params_add(&params, "SerialNumber", p->serial_number,
	        err)) != SG_OK) ||
	    (p->token_code && (st = sg_aws_params_add(&params, "TokenCode", p->token_code,
	        err)) != SG_OK) ||
	    (p->source_identity && (st = sg_aws_params_add(&params, "SourceIdentity",
	        p->source_identity, err)) != SG_OK)) {
		sg_aws_params_dispose(&params);
		return st;
	}
	memset(&call, 0, sizeof(call));
	call.service = SG_SVC_STS;
	call.region = region;
	call.action = "AssumeRole";
	call.params = &params;
	call.creds = source;
	call.secret_body = p->token_code != NULL;
	st = run_assume(aws, &call, "AssumeRole", p->role_arn, out, err);
	sg_aws_params_dispose(&params);
	return st;
}

enum sg_status
sg_sts_assume_role_with_web_identity(struct sg_aws *aws, const char *region,
                                     const char *role_arn, const char *role_session_name,
                                     const char *web_identity_token, long duration_seconds,
                                     struct sg_creds *out, struct sg_error *err)
{
	struct sg_aws_params params;
	struct sg_aws_call call;
	enum sg_status st;
	const char *op = "AssumeRoleWithWebIdentity";

	if ((st = check_common(op, role_arn, role_session_name, duration_seconds, err)) != SG_OK)
		return st;
	if (web_identity_token == NULL || *web_identity_token == '\0')
		return sg_err_set(err, SG_ECREDS, "sts %s %s: the web identity token is empty", op,
		    role_arn);
	sg_aws_params_init(&params);
	params.enc.secret = true;
	if ((st = sg_aws_params_add(&params, "RoleArn", role_arn, err)) != SG_OK ||
	    (st = sg_aws_params_add(&params, "RoleSessionName", role_session_name, err)) != SG_OK ||
	    (duration_seconds && (st = sg_aws_params_add_long(&params, "DurationSeconds",
	        duration_seconds, err)) != SG_OK) ||
	    (st = sg_aws_params_add(&params, "WebIdentityToken", web_identity_token, err)) != SG_OK) {
		sg_aws_params_dispose(&params);
		return st;
	}
	memset(&call, 0, sizeof(call));
	call.service = SG_SVC_STS;
	call.region = region;
	call.action = op;
	call.params = &params;
	call.unsigned_request = true; /* authtype none */
	call.secret_body = true;
	st = run_assume(aws, &call, op, role_arn, out, err);
	sg_aws_params_dispose(&params);
	return st;
}

enum sg_status
sg_sts_creds_assume(void *ctx, const struct sg_creds_sts_request *req, struct sg_creds *out,
                    struct sg_error *err)
{
	struct sg_aws *aws = ctx;
	struct sg_sts_assume_role_params p;
	struct sg_aws_call call;

	(void)call;
	if (aws == NULL)
		return sg_err_set(err, SG_EINTERNAL, "STS hook called without a client");
	if (req->kind == SG_CREDS_STS_ASSUME_ROLE_WITH_WEB_IDENTITY)
		return sg_sts_assume_role_with_web_identity(aws, req->region, req->role_arn,
		    req->role_session_name, req->web_identity_token, req->duration_seconds, out, err);
	memset(&p, 0, sizeof(p));
	p.role_arn = req->role_arn;
	p.role_session_name = req->role_session_name;
	p.external_id = req->external_id;
	p.duration_seconds = req->duration_seconds;
	return sg_sts_assume_role(aws, req->region, req->source, &p, out, err);
}
