/*
 * test_aws.c — the AWS client without a network: error parsing on every
 * sample in ../shared/reference/samples, retry classification, backoff
 * bounds, the retry quota, the rate limiter, query encoding, and the whole
 * retry loop driven through injected clock, sleep, randomness and transport.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sg_aws.h"
#include "sg_creds.h"
#include "sg_log.h"
#include "sg_sts.h"
#include "sg_util.h"

/* ---- helpers ------------------------------------------------------------ */

static char *
sample(const char *name, size_t *len)
{
	const char *shared = getenv("SG_SHARED");
	char path[4096];
	struct sg_buf b;
	struct sg_error err;
	char *s;

	snprintf(path, sizeof(path), "%s/reference/samples/%s", shared ? shared : "../shared", name);
	sg_err_init(&err);
	sg_buf_init(&b, 1 << 22);
	if (sg_file_read(path, &b, false, &err) != SG_OK)
		fail_msg("cannot read %s: %s", path, err.msg);
	s = sg_buf_detach(&b, len);
	return s;
}

/* ---- error parsing on every sample ------------------------------------------ */

struct err_case {
	const char *file;
	bool json;
	const char *code;
	const char *message_part;
	const char *request_id;
	long http;                 /* what AWS sends with it (aws-protocol.md §10) */
	enum sg_status status;
	enum sg_retry_class cls;
};

static const struct err_case err_cases[] = {
	{ "ec2-error.xml", false, "UnauthorizedOperation", "not authorized",
	  "6c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", 403, SG_EDENIED, SG_RETRY_NONE },
	{ "ec2-error-unauthorized.xml", false, "UnauthorizedOperation", "ec2:DescribeSecurityGroups",
	  "6c1a2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", 403, SG_EDENIED, SG_RETRY_NONE },
	{ "ec2-error-throttled.xml", false, "RequestLimitExceeded", "Request limit exceeded.",
	  "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e", 503, SG_ETHROTTLED, SG_RETRY_THROTTLE },
	{ "ec2-error-authfailure.xml", false, "AuthFailure", "not able to validate",
	  "868174ba-46a8-437d-8c6b-64ee448dd0dc", 401, SG_EAUTH, SG_RETRY_SKEW },
	{ "ec2-error-request-expired.xml", false, "RequestExpired", "Request has expired.",
	  "a43d7953-edec-4f82-adf4-f23b2b51500a", 400, SG_EAUTH, SG_RETRY_SKEW },
	{ "ec2-error-invalid-group.xml", false, "InvalidGroup.NotFound", "sg-0deadbeef00000000",
	  "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6", 400, SG_EAWS, SG_RETRY_NONE },
	{ "sts-error.xml", false, "ExpiredToken", "is expired",
	  "8f3e2d1c-0b9a-4f8e-a7d6-c5b4a3928171", 403, SG_EAUTH, SG_RETRY_EXPIRED },
	{ "sts-error-access-denied.xml", false, "AccessDenied", "sts:AssumeRole",
	  "3a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f", 403, SG_EDENIED, SG_RETRY_NONE },
	{ "sts-error-invalid-token.xml", false, "InvalidClientTokenId", "is invalid",
	  "3009c0db-efe7-11e9-bd84-ed486c0fc78b", 403, SG_EAUTH, SG_RETRY_NONE },
	{ "sts-error-throttling.xml", false, "Throttling", "Rate exceeded",
	  "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e", 400, SG_ETHROTTLED, SG_RETRY_THROTTLE },
	{ "cloudtrail-error-expired-token.json", true, "ExpiredTokenException", "is expired",
	  "", 400, SG_EAUTH, SG_RETRY_EXPIRED },
	{ "cloudtrail-error-invalid-time-range.json", true, "InvalidTimeRangeException",
	  "Start time must be before end time.", "", 400, SG_EAWS, SG_RETRY_NONE },
	{ "cloudtrail-error-throttling.json", true, "ThrottlingException", "Rate exceeded",
	  "", 400, SG_ETHROTTLED, SG_RETRY_THROTTLE },
	{ "cloudtrail-error-unrecognized-client.json", true, "UnrecognizedClientException",
	  "is invalid", "", 400, SG_EAUTH, SG_RETRY_NONE },
};

static void
error_samples_parse_classify_and_map(void **state)
{
	size_t i, len;
	(void)state;

	for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		struct sg_aws_error_info info;
		struct sg_error err;
		char *body = sample(c->file, &len);
		enum sg_status st;

		sg_err_init(&err);
		st = c->json ? sg_aws_parse_error_json(body, len, &info, &err)
		             : sg_aws_parse_error_xml(body, len, &info, &err);
		if (st != SG_OK)
			fail_msg("%s: %s", c->file, err.msg);
		if (strcmp(info.code, c->code) != 0)
			fail_msg("%s: code '%s', want '%s'", c->file, info.code, c->code);
		if (strstr(info.message, c->message_part) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", c->file, info.message, c->message_part);
		assert_string_equal(info.request_id, c->request_id);
		assert_int_equal(sg_aws_status_for(c->http, info.code), c->status);
		assert_int_equal(sg_aws_retry_classify(c->http, info.code, SG_NET_OK), c->cls);
		free(body);
	}
}

static void
error_sts_type_kept(void **state)
{
	struct sg_aws_error_info info;
	struct sg_error err;
	size_t len;
	char *body = sample("sts-error-throttling.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_aws_parse_error_xml(body, len, &info, &err), SG_OK);
	assert_string_equal(info.type, "Sender");
	free(body);
}

static void
error_xml_hostile_inputs_rejected(void **state)
{
	static const char *const bad[] = {
		"",
		"not xml",
		"<Response><Errors><Error><Code>X</Code></Error></Errors>",   /* unterminated */
		"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<Response><Errors><Error><Code>&x;</Code></Error></Errors></Response>",
		"<Other><Code>X</Code></Other>",
		"<Response><Code>X</Code></Response>",                      /* Code at the wrong place */
	};
	struct sg_aws_error_info info;
	struct sg_error err;
	size_t i;
	char deep[4096];
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_err_init(&err);
		if (sg_aws_parse_error_xml(bad[i], strlen(bad[i]), &info, &err) == SG_OK)
			fail_msg("accepted bad input %zu: code '%s'", i, info.code);
		assert_true(err.msg[0] != '\0');
	}
	/* Depth cap. */
	deep[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(deep, "<a>");
	sg_err_init(&err);
	assert_int_not_equal(sg_aws_parse_error_xml(deep, strlen(deep), &info, &err), SG_OK);
}

static void
error_xml_compatible_variants(void **state)
{
	/* moto nests <Errors> in <ErrorResponse>; botocore accepts it, so do we. */
	const char *moto = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error>"
	    "<Code>AuthFailure</Code><Message>AWS was not able to validate</Message><Type>Sender"
	    "</Type></Error></Errors><RequestId>m1</RequestId></ErrorResponse>\n";
	const char *ns = "<Response xmlns=\"urn:x\"><Errors><Error><Code> InvalidGroup.NotFound\n"
	    "</Code><Message>a &amp; b</Message></Error></Errors><RequestID>r</RequestID></Response>";
	struct sg_aws_error_info info;
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_aws_parse_error_xml(moto, strlen(moto), &info, &err), SG_OK);
	assert_string_equal(info.code, "AuthFailure");
	assert_string_equal(info.type, "Sender");
	assert_string_equal(info.request_id, "m1");
	assert_int_equal(sg_aws_parse_error_xml(ns, strlen(ns), &info, &err), SG_OK);
	assert_string_equal(info.code, "InvalidGroup.NotFound");
	assert_string_equal(info.message, "a & b");
}

static void
error_json_variants(void **state)
{
	struct sg_aws_error_info info;
	struct sg_error err;
	const char *j1 = "{\"__type\":\"com.amazon.coral.validate#ValidationException:http://x\","
	                 "\"Message\":\"bad\\u0007thing\"}";
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_aws_parse_error_json(j1, strlen(j1), &info, &err), SG_OK);
	assert_string_equal(info.code, "ValidationException");
	assert_string_equal(info.message, "bad thing"); /* control char sanitized */
	sg_err_init(&err);
	assert_int_not_equal(sg_aws_parse_error_json("{\"x\":1}", 7, &info, &err), SG_OK);
	sg_err_init(&err);
	assert_int_not_equal(sg_aws_parse_error_json("{", 1, &info, &err), SG_OK);
}

/* ---- classification and backoff ----------------------------------------------------- */

static void
classify_statuses_and_transport(void **state)
{
	(void)state;
	assert_int_equal(sg_aws_retry_classify(429, "", SG_NET_OK), SG_RETRY_THROTTLE);
	assert_int_equal(sg_aws_retry_classify(500, "", SG_NET_OK), SG_RETRY_TRANSIENT);
	assert_int_equal(sg_aws_retry_classify(502, "", SG_NET_OK), SG_RETRY_TRANSIENT);
	assert_int_equal(sg_aws_retry_classify(503, "Unavailable", SG_NET_OK), SG_RETRY_TRANSIENT);
	assert_int_equal(sg_aws_retry_classify(504, "", SG_NET_OK), SG_RETRY_TRANSIENT);
	assert_int_equal(sg_aws_retry_classify(500, "InternalError", SG_NET_OK), SG_RETRY_TRANSIENT);
	assert_int_equal(sg_aws_retry_classify(400, "InvalidParameterValue", SG_NET_OK), SG_RETRY_NONE);
	assert_int_equal(sg_aws_retry_classify(403, "UnauthorizedOperation", SG_NET_OK), SG_RETRY_NONE);
	assert_int_equal(sg_aws_retry_classify(503, "AccessDenied", SG_NET_OK), SG_RETRY_NONE);
	assert_int_equal(sg_aws_retry_classify(0, "", SG_NET_CONNECT), SG_RETRY_TRANSIENT);
	assert_int_equal(sg_aws_retry_classify(0, "", SG_NET_TIMEOUT), SG_RETRY_TIMEOUT);
	assert_int_equal(sg_aws_retry_classify(0, "", SG_NET_TLS), SG_RETRY_NONE);
	assert_int_equal(sg_aws_retry_classify(0, "", SG_NET_LIMIT), SG_RETRY_NONE);
	assert_int_equal(sg_aws_status_for(502, ""), SG_EHTTP);
	assert_int_equal(sg_aws_status_for(429, ""), SG_ETHROTTLED);
	assert_int_equal(sg_aws_status_for(400, "SignatureDoesNotMatch"), SG_EAUTH);
	assert_int_equal(sg_aws_status_for(400, "AccessDeniedException"), SG_EDENIED);
	assert_true(sg_aws_code_is_throttle("EC2ThrottledException"));
	assert_false(sg_aws_code_is_throttle("Throttle"));
}

static void
backoff_bounds_full_jitter_capped(void **state)
{
	unsigned a;
	double r;
	(void)state;

	for (a = 1; a <= 12; a++) {
		uint64_t cap = a >= 6 ? 20000 : (1000u << (a - 1));
		if (cap > 20000)
			cap = 20000;
		assert_int_equal(sg_aws_backoff_ms(a, 0.0, -1), 0);
		for (r = 0.0; r < 1.0; r += 0.125) {
			uint64_t d = sg_aws_backoff_ms(a, r, -1);
			assert_true(d <= cap);
			assert_int_equal(d, (uint64_t)(r * (double)cap));
		}
		assert_true(sg_aws_backoff_ms(a, 0.999999, -1) < cap);
	}
	assert_int_equal(sg_aws_backoff_ms(1000, 0.5, -1), 10000);
	/* Out-of-range randomness is treated as 0, never as a huge delay. */
	assert_int_equal(sg_aws_backoff_ms(3, 7.0, -1), 0);
	/* x-amz-retry-after: max(t, min(ra, t + 5 s)). */
	assert_int_equal(sg_aws_backoff_ms(1, 0.5, 3000), 3000);
	assert_int_equal(sg_aws_backoff_ms(1, 0.5, 100), 500);
	assert_int_equal(sg_aws_backoff_ms(1, 0.5, 60000), 5500);
}

static void
retry_quota_costs_and_refunds(void **state)
{
	struct sg_retry_quota q;
	unsigned cost = 0, n = 0;
	(void)state;

	sg_retry_quota_init(&q, 500);
	while (sg_retry_quota_take(&q, SG_RETRY_THROTTLE, &cost)) {
		assert_int_equal(cost, 5);
		n++;
	}
	assert_int_equal(n, 100);
	assert_int_equal(q.available, 0);
	sg_retry_quota_refund(&q, 5);
	assert_true(sg_retry_quota_take(&q, SG_RETRY_TRANSIENT, &cost));
	sg_retry_quota_refund(&q, 10);
	assert_false(sg_retry_quota_take(&q, SG_RETRY_TIMEOUT, &cost) == false && q.available < 10);
	sg_retry_quota_init(&q, 500);
	assert_true(sg_retry_quota_take(&q, SG_RETRY_TIMEOUT, &cost));
	assert_int_equal(cost, 10);
	sg_retry_quota_refund(&q, 1000);
	assert_int_equal(q.available, 500);
}

/* ---- fake clock ------------------------------------------------------------------------ */

struct fake {
	uint64_t now_ms;
	time_t wall0;
	uint64_t slept[64];
	size_t n_slept;
	double rnd;
	/* scripted transport */
	struct scripted {
		long status;
		const char *body;
		const char *date;           /* NULL = fake wall time */
		const char *retry_after;
		enum sg_net_fail nf;
	} script[16];
	size_t n_script, next;
	/* what was sent */
	char sent_body[16][2048];
	char sent_date[16][32];
	bool sent_auth[16];
	bool sent_token[16];
	char sent_url[16][256];
	size_t n_sent;
	int creds_gets, invalidations;
	time_t creds_expiration;
};

static uint64_t
f_now(void *ctx)
{
	return ((struct fake *)ctx)->now_ms;
}

static time_t
f_wall(void *ctx)
{
	struct fake *f = ctx;
	return f->wall0 + (time_t)(f->now_ms / 1000);
}

static void
f_sleep(void *ctx, uint64_t ms)
{
	struct fake *f = ctx;
	if (f->n_slept < 64)
		f->slept[f->n_slept++] = ms;
	f->now_ms += ms;
}

static double
f_random(void *ctx)
{
	return ((struct fake *)ctx)->rnd;
}

static enum sg_status
f_perform(void *ctx, const struct sg_http_request *req, struct sg_http_response *resp,
          struct sg_error *err)
{
	struct fake *f = ctx;
	const struct scripted *s;
	size_t i, k = f->n_sent < 16 ? f->n_sent : 15;
	char date[64];

	f->sent_auth[k] = f->sent_token[k] = false;
	f->sent_date[k][0] = '\0';
	snprintf(f->sent_url[k], sizeof(f->sent_url[k]), "%s", req->url);
	snprintf(f->sent_body[k], sizeof(f->sent_body[k]), "%.*s", (int)req->body_len,
	    (const char *)req->body);
	for (i = 0; i < req->n_headers; i++) {
		if (strcmp(req->headers[i].name, "Authorization") == 0)
			f->sent_auth[k] = true;
		if (strcmp(req->headers[i].name, "X-Amz-Security-Token") == 0)
			f->sent_token[k] = true;
		if (strcmp(req->headers[i].name, "X-Amz-Date") == 0)
			snprintf(f->sent_date[k], sizeof(f->sent_date[k]), "%s", req->headers[i].value);
	}
	f->n_sent++;
	f->now_ms += 7; /* a request takes time */
	assert_true(f->next < f->n_script);
	s = &f->script[f->next++];
	if (s->nf != SG_NET_OK) {
		resp->net_fail = s->nf;
		return sg_err_set(err, s->nf == SG_NET_TIMEOUT ? SG_ETIMEOUT : SG_ENET,
		    "POST %s: scripted failure", req->url);
	}
	resp->net_fail = SG_NET_OK;
	resp->status = s->status;
	sg_buf_reset(&resp->body);
	if (sg_buf_append_str(&resp->body, s->body ? s->body : "", err) != SG_OK)
		return SG_ENOMEM;
	if (s->date == NULL) {
		struct tm tm;
		time_t t = f_wall(f);
		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		snprintf(resp->date, sizeof(resp->date), "%s", date);
	} else {
		snprintf(resp->date, sizeof(resp->date), "%s", s->date);
	}
	snprintf(resp->retry_after, sizeof(resp->retry_after), "%s",
	    s->retry_after ? s->retry_after : "");
	snprintf(resp->request_id, sizeof(resp->request_id), "hdr-rid-%zu", f->n_sent);
	return SG_OK;
}

static enum sg_status
f_creds_get(void *ctx, struct sg_creds *out, struct sg_error *err)
{
	struct fake *f = ctx;
	struct sg_creds c;

	f->creds_gets++;
	sg_creds_init(&c);
	c.access_key_id = strdup("AKIDEXAMPLE");
	c.secret_access_key = strdup("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	c.session_token = strdup("FQoGZXIvYXdzEXAMPLETOKEN");
	c.expiration = f->creds_expiration;
	snprintf(c.source, sizeof(c.source), "test");
	if (!c.access_key_id || !c.secret_access_key || !c.session_token) {
		sg_creds_dispose(&c);
		return sg_err_set(err, SG_ENOMEM, "oom");
	}
	*out = c;
	return SG_OK;
}

static void
f_invalidate(void *ctx)
{
	((struct fake *)ctx)->invalidations++;
}

static struct sg_aws *
fake_client(struct fake *f, int max_attempts)
{
	struct sg_aws_config cfg;
	struct sg_aws_creds_source src = { f_creds_get, f_invalidate, f };
	struct sg_error err;
	struct sg_aws *aws = NULL;

	f->wall0 = 1714564800; /* 2024-05-01T12:00:00Z */
	f->rnd = 0.5;
	sg_aws_config_init(&cfg);
	cfg.max_attempts = max_attempts;
	snprintf(cfg.region, sizeof(cfg.region), "eu-west-1");
	cfg.hooks.now_ms = f_now;
	cfg.hooks.wall = f_wall;
	cfg.hooks.sleep_ms = f_sleep;
	cfg.hooks.random = f_random;
	cfg.hooks.perform = f_perform;
	cfg.hooks.ctx = f;
	sg_err_init(&err);
	assert_int_equal(sg_aws_new(&aws, &cfg, &src, &err), SG_OK);
	return aws;
}

static const char throttled[] = "<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
    "<Message>Request limit exceeded.</Message></Error></Errors><RequestID>rid-t</RequestID></Response>";
static const char ok_dsg[] = "<DescribeSecurityGroupsResponse><requestId>ok</requestId>"
    "<securityGroupInfo/></DescribeSecurityGroupsResponse>";

static void
throttle_retried_to_success_with_backoff(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_aws_params p;
	struct sg_error err;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
	f.script[1] = (struct scripted){ 500, "", NULL, NULL, SG_NET_OK };
	f.script[2] = (struct scripted){ 200, ok_dsg, NULL, NULL, SG_NET_OK };
	f.n_script = 3;
	aws = fake_client(&f, 3);
	sg_aws_params_init(&p);
	sg_err_init(&err);
	assert_int_equal(sg_aws_params_add(&p, "MaxResults", "1000", &err), SG_OK);
	sg_aws_response_init(&r);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeSecurityGroups", &p, &r, &err),
	    SG_OK);
	assert_int_equal(r.attempts, 3);
	assert_int_equal(r.http_status, 200);
	assert_string_equal(r.body.data, ok_dsg);
	assert_string_equal(r.request_body.data,
	    "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=1000");
	assert_string_equal(r.region, "eu-west-1");
	assert_string_equal(r.url, "https://ec2.eu-west-1.amazonaws.com/");
	assert_string_equal(r.partition, "aws");
	/* Backoff 0.5 * 1 s, then 0.5 * 2 s (the rate limiter never had to wait). */
	assert_int_equal(f.n_slept, 2);
	assert_int_equal(f.slept[0], 500);
	assert_int_equal(f.slept[1], 1000);
	assert_true(f.sent_auth[0] && f.sent_token[0]);
	assert_true(r.elapsed_ms >= 1500);
	sg_aws_response_dispose(&r);
	sg_aws_params_dispose(&p);
	sg_aws_free(aws);
}

static void
throttle_exhausts_attempts_with_named_error(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	size_t i;
	(void)state;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < 5; i++)
		f.script[i] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
	f.n_script = 5;
	aws = fake_client(&f, 5);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, "eu-west-1", "DescribeSecurityGroups", NULL,
	    &r, &err), SG_ETHROTTLED);
	assert_int_equal(f.n_sent, 5);
	assert_string_equal(err.msg, "eu-west-1 ec2 DescribeSecurityGroups: RequestLimitExceeded: "
	    "Request limit exceeded. (HTTP 503, request id rid-t; 5 attempts)");
	assert_string_equal(err.aws_code, "RequestLimitExceeded");
	assert_int_equal(err.http_status, 503);
	assert_string_equal(err.request_id, "rid-t");
	/* Backoff grows 500, 1000, 2000, 4000 (r = 0.5). */
	assert_int_equal(f.n_slept, 4);
	assert_int_equal(f.slept[3], 4000);
	/* The raw error body stays available. */
	assert_string_equal(r.body.data, throttled);
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

static void
auth_and_denied_errors_not_retried(void **state)
{
	static const char *const bodies[] = {
		"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>"
		"<Message>The security token included in the request is invalid.</Message></Error>"
		"<RequestId>r1</RequestId></ErrorResponse>",
		"<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>no</Message>"
		"</Error></Errors><RequestID>r2</RequestID></Response>",
		/* AuthFailure with a server Date that agrees with ours: not skew. */
		"<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to "
		"validate the provided access credentials</Message></Error></Errors>"
		"<RequestID>r3</RequestID></Response>",
	};
	static const long statuses[] = { 403, 403, 401 };
	static const enum sg_status want[] = { SG_EAUTH, SG_EDENIED, SG_EAUTH };
	size_t i;
	(void)state;

	for (i = 0; i < 3; i++) {
		struct fake f;
		struct sg_aws *aws;
		struct sg_aws_response r;
		struct sg_error err;

		memset(&f, 0, sizeof(f));
		f.script[0] = (struct scripted){ statuses[i], bodies[i], NULL, NULL, SG_NET_OK };
		f.n_script = 1;
		aws = fake_client(&f, 3);
		sg_aws_response_init(&r);
		sg_err_init(&err);
		assert_int_equal(sg_aws_query(aws, i == 0 ? SG_SVC_STS : SG_SVC_EC2, NULL,
		    i == 0 ? "GetCallerIdentity" : "DescribeSecurityGroups", NULL, &r, &err), want[i]);
		assert_int_equal(f.n_sent, 1);
		assert_int_equal(f.n_slept, 0);
		assert_int_equal(r.attempts, 1);
		assert_non_null(strstr(err.msg, "1 attempt)"));
		sg_aws_response_dispose(&r);
		sg_aws_free(aws);
	}
}

static void
skew_corrected_from_date_and_retried_once(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	const char *expired = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch"
	    "</Code><Message>Signature expired: 20240501T120000Z is now earlier than "
	    "20240501T125500Z (20240501T130000Z - 5 min.)</Message></Error><RequestId>s1</RequestId>"
	    "</ErrorResponse>";
	const char *ok = "<GetCallerIdentityResponse><GetCallerIdentityResult>"
	    "<Arn>arn:aws:iam::123456789012:user/a</Arn><UserId>AID</UserId>"
	    "<Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata>"
	    "<RequestId>x</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
	(void)state;

	memset(&f, 0, sizeof(f));
	/* The server is one hour ahead of us. */
	f.script[0] = (struct scripted){ 403, expired, "Wed, 01 May 2024 13:00:00 GMT", NULL,
	    SG_NET_OK };
	f.script[1] = (struct scripted){ 200, ok, NULL, NULL, SG_NET_OK };
	f.n_script = 2;
	aws = fake_client(&f, 1); /* the skew retry is extra: it works even with 1 attempt */
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_STS, NULL, "GetCallerIdentity", NULL, &r, &err),
	    SG_OK);
	assert_int_equal(f.n_sent, 2);
	assert_string_equal(f.sent_date[0], "20240501T120000Z");
	assert_string_equal(f.sent_date[1], "20240501T130000Z");
	assert_int_equal(sg_aws_clock_skew(aws), 3600);
	assert_int_equal(f.n_slept, 0);
	sg_aws_response_dispose(&r);

	/* A second skew error is not chased: one retry only, then the auth error. */
	f.script[2] = (struct scripted){ 403, expired, "Wed, 01 May 2024 15:00:00 GMT", NULL,
	    SG_NET_OK };
	f.script[3] = (struct scripted){ 403, expired, "Wed, 01 May 2024 17:00:00 GMT", NULL,
	    SG_NET_OK };
	f.n_script = 4;
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_STS, NULL, "GetCallerIdentity", NULL, &r, &err),
	    SG_EAUTH);
	assert_int_equal(f.n_sent, 4);
	assert_string_equal(err.aws_code, "SignatureDoesNotMatch");
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

static void
expired_token_refreshes_credentials_once(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	const char *exp = "{\"__type\":\"com.amazon.coral.service#ExpiredTokenException\","
	    "\"message\":\"The security token included in the request is expired\"}";
	(void)state;

	memset(&f, 0, sizeof(f));
	f.creds_expiration = 1714568400;
	f.script[0] = (struct scripted){ 400, exp, NULL, NULL, SG_NET_OK };
	f.script[1] = (struct scripted){ 200, "{\"Events\":[]}", NULL, NULL, SG_NET_OK };
	f.n_script = 2;
	aws = fake_client(&f, 3);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_json(aws, SG_SVC_CLOUDTRAIL, NULL, "LookupEvents",
	    "{\"MaxResults\":50}", 17, &r, &err), SG_OK);
	assert_int_equal(f.invalidations, 1);
	assert_int_equal(f.creds_gets, 2);
	assert_string_equal(f.sent_body[0], "{\"MaxResults\":50}");
	assert_string_equal(r.action, "LookupEvents");
	assert_string_equal(r.url, "https://cloudtrail.eu-west-1.amazonaws.com/");
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

static void
connection_errors_retried_then_reported(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 0, NULL, NULL, NULL, SG_NET_CONNECT };
	f.script[1] = (struct scripted){ 0, NULL, NULL, NULL, SG_NET_TIMEOUT };
	f.script[2] = (struct scripted){ 0, NULL, NULL, NULL, SG_NET_CONNECT };
	f.n_script = 3;
	aws = fake_client(&f, 3);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, "us-east-1", "DescribeRegions", NULL, &r,
	    &err), SG_ENET);
	assert_int_equal(f.n_sent, 3);
	assert_non_null(strstr(err.msg, "us-east-1 ec2 DescribeRegions: POST https://ec2.us-east-1"));
	assert_non_null(strstr(err.msg, "3 attempts"));
	assert_int_equal(r.http_status, 0);
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);

	/* TLS failures are not retried. */
	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 0, NULL, NULL, NULL, SG_NET_TLS };
	f.n_script = 1;
	aws = fake_client(&f, 3);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, "us-east-1", "DescribeRegions", NULL, &r,
	    &err), SG_ENET);
	assert_int_equal(f.n_sent, 1);
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

static void
earlier_attempt_code_not_carried_over(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
	f.script[1] = (struct scripted){ 502, "<html>bad gateway</html>", NULL, NULL, SG_NET_OK };
	f.n_script = 2;
	aws = fake_client(&f, 2);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeRegions", NULL, &r, &err),
	    SG_EHTTP);
	assert_string_equal(r.error_code, "");
	assert_int_equal(r.http_status, 502);
	assert_string_equal(err.aws_code, "");
	assert_non_null(strstr(err.msg, "HTTP 502 without an AWS error body"));
	sg_aws_response_dispose(&r);

	/* A transport failure after an HTTP error leaves no stale body behind. */
	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
	f.script[1] = (struct scripted){ 0, NULL, NULL, NULL, SG_NET_CONNECT };
	f.n_script = 2;
	sg_aws_free(aws);
	aws = fake_client(&f, 2);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeRegions", NULL, &r, &err),
	    SG_ENET);
	assert_int_equal(r.body.len, 0);
	assert_int_equal(r.http_status, 0);
	assert_string_equal(r.error_code, "");
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

static void
retry_after_header_honoured(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 503, throttled, NULL, "2500", SG_NET_OK };
	f.script[1] = (struct scripted){ 200, ok_dsg, NULL, NULL, SG_NET_OK };
	f.n_script = 2;
	aws = fake_client(&f, 3);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeSecurityGroups", NULL, &r,
	    &err), SG_OK);
	assert_int_equal(f.n_slept, 1);
	assert_int_equal(f.slept[0], 2500);
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

static void
retry_quota_stops_retry_storm(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	int i, retries = 0;
	(void)state;

	memset(&f, 0, sizeof(f));
	aws = fake_client(&f, 2);
	f.rnd = 0.0;
	/* 101 calls that each fail twice: 100 retries fit in 500 tokens, the 101st does not. */
	for (i = 0; i < 101; i++) {
		f.script[0] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
		f.script[1] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
		f.n_script = 2;
		f.next = 0;
		f.n_sent = 0;
		sg_aws_response_init(&r);
		sg_err_init(&err);
		assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeRegions", NULL, &r, &err),
		    SG_ETHROTTLED);
		retries += (int)f.n_sent - 1;
		if (i == 100) {
			assert_int_equal(f.n_sent, 1);
			assert_non_null(strstr(err.msg, "retry quota exhausted"));
		}
		sg_aws_response_dispose(&r);
	}
	assert_int_equal(retries, 100);
	sg_aws_free(aws);
}

static void
unsigned_call_has_no_authorization(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_aws_call c;
	struct sg_aws_params p;
	struct sg_error err;
	(void)state;

	memset(&f, 0, sizeof(f));
	f.script[0] = (struct scripted){ 400, "<ErrorResponse><Error><Code>InvalidIdentityToken"
	    "</Code><Message>m</Message></Error></ErrorResponse>", NULL, NULL, SG_NET_OK };
	f.n_script = 1;
	aws = fake_client(&f, 3);
	sg_aws_params_init(&p);
	sg_err_init(&err);
	assert_int_equal(sg_aws_params_add(&p, "WebIdentityToken", "secret-jwt", &err), SG_OK);
	memset(&c, 0, sizeof(c));
	c.service = SG_SVC_STS;
	c.action = "AssumeRoleWithWebIdentity";
	c.params = &p;
	c.unsigned_request = true;
	c.secret_body = true;
	sg_aws_response_init(&r);
	assert_int_equal(sg_aws_call(aws, &c, &r, &err), SG_EAUTH);
	assert_false(f.sent_auth[0]);
	assert_int_equal(f.creds_gets, 0);
	assert_int_equal(r.request_body.len, 0); /* the token is not kept for evidence */
	assert_null(strstr(err.msg, "secret-jwt"));
	sg_aws_response_dispose(&r);
	sg_aws_params_dispose(&p);
	sg_aws_free(aws);
}

/* ---- rate limiter ----------------------------------------------------------------------- */

static void
ratelimit_bucket_per_key(void **state)
{
	struct fake f;
	struct sg_aws_hooks h;
	struct sg_ratelimit *rl;
	struct sg_error err;
	uint64_t total = 0;
	int i;
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&h, 0, sizeof(h));
	h.now_ms = f_now;
	h.sleep_ms = f_sleep;
	h.ctx = &f;
	sg_err_init(&err);
	assert_int_equal(sg_ratelimit_new(&rl, &h, &err), SG_OK);
	/* Burst 20 free, then one every 100 ms at 10/s. */
	for (i = 0; i < 20; i++)
		assert_int_equal(sg_ratelimit_acquire(rl, "ec2/eu-west-1", 10.0, 20.0), 0);
	for (i = 0; i < 10; i++)
		total += sg_ratelimit_acquire(rl, "ec2/eu-west-1", 10.0, 20.0);
	assert_int_equal(f.now_ms, 1000);
	assert_true(total >= 1000 && total <= 1010);
	/* Another region has its own bucket. */
	assert_int_equal(sg_ratelimit_acquire(rl, "ec2/us-east-1", 10.0, 20.0), 0);
	/* CloudTrail: 2/s, burst 1. */
	assert_int_equal(sg_ratelimit_acquire(rl, "cloudtrail/eu-west-1", 2.0, 1.0), 0);
	assert_int_equal(sg_ratelimit_acquire(rl, "cloudtrail/eu-west-1", 2.0, 1.0), 500);
	/* Adaptive: two throttles slow the bucket to 0.49 of 10/s (burst 9.8). */
	assert_true(sg_ratelimit_feedback(rl, "ec2/us-east-1", true) < 0.71);
	assert_true(sg_ratelimit_feedback(rl, "ec2/us-east-1", true) < 0.5);
	f.now_ms += 10000; /* refill fully */
	for (i = 0, total = 0; i < 20; i++)
		total += sg_ratelimit_acquire(rl, "ec2/us-east-1", 10.0, 20.0);
	/* 9.8 tokens of burst at once, then one every ~204 ms. */
	assert_true(total >= 10 * 204 && total <= 11 * 205);
	/* Successes give the rate back, 5% each. */
	for (i = 0; i < 11; i++)
		sg_ratelimit_feedback(rl, "ec2/us-east-1", false);
	assert_true(sg_ratelimit_feedback(rl, "ec2/us-east-1", false) == 1.0);
	assert_true(sg_ratelimit_feedback(rl, "unknown", true) == 1.0);
	/* The floor: never below 0.5 requests/s. */
	for (i = 0; i < 40; i++)
		sg_ratelimit_feedback(rl, "cloudtrail/eu-west-1", true);
	f.now_ms += 100000;
	sg_ratelimit_acquire(rl, "cloudtrail/eu-west-1", 2.0, 1.0);
	assert_int_equal(sg_ratelimit_acquire(rl, "cloudtrail/eu-west-1", 2.0, 1.0), 2000);
	sg_ratelimit_free(rl);
}

/* ---- encoding, config, dates, STS parsing ----------------------------------------------- */

static void
params_encoding_matches_botocore(void **state)
{
	struct sg_aws_params p;
	struct sg_error err;
	const char *vals[] = { "opted-in", "opt-in-not-required" };
	const char *none[] = { NULL };
	(void)state;

	sg_aws_params_init(&p);
	sg_err_init(&err);
	assert_int_equal(sg_aws_params_add(&p, "Filter.1.Name", "opt-in-status", &err), SG_OK);
	assert_int_equal(sg_aws_params_add_ec2_list(&p, "Filter.1.Value", vals, 2, &err), SG_OK);
	assert_int_equal(sg_aws_params_add_ec2_list(&p, "GroupId", none, 0, &err), SG_OK);
	assert_int_equal(sg_aws_params_add(&p, "Filter.2.Value.1", "a b~c/d+e*", &err), SG_OK);
	assert_int_equal(sg_aws_params_add_query_list(&p, "TransitiveTagKeys", none, 0, &err), SG_OK);
	assert_int_equal(sg_aws_params_add_query_list(&p, "PolicyArns", vals, 1, &err), SG_OK);
	assert_int_equal(sg_aws_params_add_long(&p, "MaxResults", 1000, &err), SG_OK);
	assert_string_equal(p.enc.data,
	    "&Filter.1.Name=opt-in-status&Filter.1.Value.1=opted-in"
	    "&Filter.1.Value.2=opt-in-not-required&Filter.2.Value.1=a+b~c%2Fd%2Be%2A"
	    "&TransitiveTagKeys=&PolicyArns.member.1=opted-in&MaxResults=1000");
	sg_aws_params_dispose(&p);
}

static void
config_from_env(void **state)
{
	struct sg_aws_config cfg;
	struct sg_error err;
	(void)state;

	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2", 1);
	setenv("AWS_MAX_ATTEMPTS", "7", 1);
	setenv("AWS_REGION", "eu-south-2", 1);
	setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
	setenv("AWS_CA_BUNDLE", "/tmp/ca.pem", 1);
	sg_aws_config_init(&cfg);
	sg_err_init(&err);
	assert_int_equal(sg_aws_config_from_env(&cfg, &err), SG_OK);
	assert_string_equal(cfg.endpoint_url, "http://127.0.0.1:1");
	assert_string_equal(cfg.service_endpoint_url[SG_SVC_STS], "http://127.0.0.1:2");
	assert_string_equal(cfg.service_endpoint_url[SG_SVC_EC2], "");
	assert_int_equal(cfg.max_attempts, 7);
	assert_string_equal(cfg.region, "eu-south-2");
	assert_string_equal(cfg.ca_bundle, "/tmp/ca.pem");

	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	sg_aws_config_init(&cfg);
	assert_int_equal(sg_aws_config_from_env(&cfg, &err), SG_OK);
	assert_string_equal(cfg.endpoint_url, "");

	setenv("AWS_MAX_ATTEMPTS", "three", 1);
	sg_aws_config_init(&cfg);
	sg_err_init(&err);
	assert_int_equal(sg_aws_config_from_env(&cfg, &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "AWS_MAX_ATTEMPTS"));
	unsetenv("AWS_MAX_ATTEMPTS");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	setenv("AWS_ENDPOINT_URL_EC2", "localhost:4566", 1);
	sg_aws_config_init(&cfg);
	sg_err_init(&err);
	assert_int_equal(sg_aws_config_from_env(&cfg, &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "AWS_ENDPOINT_URL_EC2: "));
	unsetenv("AWS_ENDPOINT_URL_EC2");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_CA_BUNDLE");
}

static void
http_date_parse(void **state)
{
	time_t t;
	(void)state;

	assert_true(sg_aws_parse_http_date("Wed, 01 May 2024 12:00:00 GMT", &t));
	assert_int_equal(t, 1714564800);
	assert_false(sg_aws_parse_http_date("Wed, 01 Foo 2024 12:00:00 GMT", &t));
	assert_false(sg_aws_parse_http_date("2024-05-01T12:00:00Z", &t));
	assert_false(sg_aws_parse_http_date("Wed, 01 May 2024 12:00:00 GMT junk", &t));
	assert_false(sg_aws_parse_http_date("", &t));
}

static void
sts_caller_identity_samples(void **state)
{
	struct sg_identity id;
	struct sg_error err;
	size_t len;
	char *b = sample("sts-get-caller-identity.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_sts_parse_caller_identity(b, len, &id, &err), SG_OK);
	assert_string_equal(id.account, "123456789012");
	assert_string_equal(id.arn, "arn:aws:sts::123456789012:assumed-role/SecurityAudit/sg-audit-1714565100");
	assert_string_equal(id.user_id, "AROA3XFRBF535PLBIFPI4:sg-audit-1714565100");
	assert_string_equal(id.partition, "aws");
	assert_string_equal(id.request_id, "01234567-89ab-cdef-0123-456789abcdef");
	free(b);
	b = sample("sts-get-caller-identity-iam-user.xml", &len);
	assert_int_equal(sg_sts_parse_caller_identity(b, len, &id, &err), SG_OK);
	assert_string_equal(id.arn, "arn:aws:iam::123456789012:user/alice");
	free(b);
	b = sample("sts-error.xml", &len);
	assert_int_equal(sg_sts_parse_caller_identity(b, len, &id, &err), SG_EPARSE);
	free(b);
}

static void
sts_credentials_samples(void **state)
{
	struct sg_creds c;
	struct sg_error err;
	char arn[256];
	size_t len;
	char *b = sample("sts-assume-role.xml", &len);
	(void)state;

	sg_err_init(&err);
	sg_creds_init(&c);
	assert_int_equal(sg_sts_parse_credentials(b, len, "AssumeRole", &c, arn, sizeof(arn), &err),
	    SG_OK);
	assert_string_equal(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
	assert_string_equal(c.secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
	assert_true(strncmp(c.session_token, "IQoJb3JpZ2luX2VjEMT", 19) == 0);
	assert_int_equal(c.expiration, 1714568700);
	assert_string_equal(arn, "arn:aws:sts::210987654321:assumed-role/SecurityAudit/sg-audit");
	sg_creds_dispose(&c);
	free(b);
	b = sample("sts-assume-role-with-web-identity.xml", &len);
	assert_int_equal(sg_sts_parse_credentials(b, len, "AssumeRoleWithWebIdentity", &c, NULL, 0,
	    &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAJEXAMPLEXEG2JICEA");
	sg_creds_dispose(&c);
	/* Wrong operation name: the path does not match, nothing is found. */
	sg_err_init(&err);
	assert_int_equal(sg_sts_parse_credentials(b, len, "AssumeRole", &c, NULL, 0, &err), SG_EPARSE);
	assert_null(strstr(err.msg, "EXAMPLE"));
	free(b);
}

/* ---- batch / worker pool -------------------------------------------------------------------- */

struct page_ctx {
	struct sg_aws_batch *b;
	pthread_mutex_t lock;
	int done;
	int pages[4];
};

static enum sg_status
batch_perform(void *ctx, const struct sg_http_request *req, struct sg_http_response *resp,
              struct sg_error *err)
{
	(void)ctx;
	(void)req;
	resp->status = 200;
	resp->net_fail = SG_NET_OK;
	sg_buf_reset(&resp->body);
	return sg_buf_append_str(&resp->body, ok_dsg, err);
}

static void
on_page(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct page_ctx *pc = ctx;
	int idx = resp->region[0] == 'e' ? 0 : 1, again;
	struct sg_aws_call c;
	struct sg_error e;

	(void)err;
	assert_int_equal(st, SG_OK);
	pthread_mutex_lock(&pc->lock);
	again = ++pc->pages[idx] < 3;
	pc->done++;
	pthread_mutex_unlock(&pc->lock);
	if (again) {
		memset(&c, 0, sizeof(c));
		c.service = SG_SVC_EC2;
		c.region = resp->region;
		c.action = "DescribeSecurityGroups";
		sg_err_init(&e);
		assert_int_equal(sg_aws_submit(pc->b, &c, on_page, pc, &e), SG_OK);
	}
}

static void
batch_pages_submitted_from_callbacks(void **state)
{
	struct sg_aws_config cfg;
	struct sg_aws *aws;
	struct page_ctx pc;
	struct sg_aws_call c;
	struct sg_error err;
	struct fake f;
	struct sg_aws_creds_source src = { f_creds_get, NULL, &f };
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&pc, 0, sizeof(pc));
	pthread_mutex_init(&pc.lock, NULL);
	sg_aws_config_init(&cfg);
	cfg.concurrency = 4;
	cfg.hooks.perform = batch_perform;
	sg_err_init(&err);
	assert_int_equal(sg_aws_new(&aws, &cfg, &src, &err), SG_OK);
	assert_int_equal(sg_aws_batch_new(&pc.b, aws, &err), SG_OK);
	memset(&c, 0, sizeof(c));
	c.service = SG_SVC_EC2;
	c.action = "DescribeSecurityGroups";
	c.region = "eu-west-1";
	assert_int_equal(sg_aws_submit(pc.b, &c, on_page, &pc, &err), SG_OK);
	c.region = "us-east-1";
	assert_int_equal(sg_aws_submit(pc.b, &c, on_page, &pc, &err), SG_OK);
	sg_aws_batch_wait(pc.b);
	assert_int_equal(pc.done, 6);
	assert_int_equal(pc.pages[0], 3);
	assert_int_equal(pc.pages[1], 3);
	sg_aws_batch_free(pc.b);
	sg_aws_free(aws);
	pthread_mutex_destroy(&pc.lock);
}

/* ---- debug log redaction --------------------------------------------------------------------- */

struct sink {
	char text[16384];
	size_t len;
};

static void
sink_line(void *ctx, const char *line)
{
	struct sink *s = ctx;
	size_t n = strlen(line);
	if (s->len + n + 2 < sizeof(s->text)) {
		memcpy(s->text + s->len, line, n);
		s->len += n;
		s->text[s->len++] = '\n';
		s->text[s->len] = '\0';
	}
}

static void
debug_log_redacts_secrets(void **state)
{
	struct fake f;
	struct sg_aws *aws;
	struct sg_aws_response r;
	struct sg_error err;
	struct sink s;
	(void)state;

	memset(&f, 0, sizeof(f));
	memset(&s, 0, sizeof(s));
	f.script[0] = (struct scripted){ 503, throttled, NULL, NULL, SG_NET_OK };
	f.script[1] = (struct scripted){ 200, ok_dsg, NULL, NULL, SG_NET_OK };
	f.n_script = 2;
	aws = fake_client(&f, 3);
	sg_log_set_sink(sink_line, &s);
	sg_log_set_debug(true);
	sg_aws_response_init(&r);
	sg_err_init(&err);
	assert_int_equal(sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeSecurityGroups", NULL, &r,
	    &err), SG_OK);
	sg_log_set_debug(false);
	sg_log_set_sink(NULL, NULL);
	assert_non_null(strstr(s.text, "> POST https://ec2.eu-west-1.amazonaws.com/"));
	assert_non_null(strstr(s.text, "Authorization: [REDACTED]"));
	assert_non_null(strstr(s.text, "X-Amz-Security-Token: [REDACTED]"));
	assert_non_null(strstr(s.text, "retrying in 500 ms"));
	assert_null(strstr(s.text, "wJalrXUtnFEMI"));
	assert_null(strstr(s.text, "FQoGZXIvYXdzEXAMPLETOKEN"));
	assert_null(strstr(s.text, "Signature="));
	assert_true(sg_log_header_is_secret("x-aws-ec2-metadata-token", 24));
	assert_false(sg_log_header_is_secret("Content-Type", 12));
	sg_aws_response_dispose(&r);
	sg_aws_free(aws);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_samples_parse_classify_and_map),
		cmocka_unit_test(error_sts_type_kept),
		cmocka_unit_test(error_xml_hostile_inputs_rejected),
		cmocka_unit_test(error_xml_compatible_variants),
		cmocka_unit_test(error_json_variants),
		cmocka_unit_test(classify_statuses_and_transport),
		cmocka_unit_test(backoff_bounds_full_jitter_capped),
		cmocka_unit_test(retry_quota_costs_and_refunds),
		cmocka_unit_test(throttle_retried_to_success_with_backoff),
		cmocka_unit_test(throttle_exhausts_attempts_with_named_error),
		cmocka_unit_test(auth_and_denied_errors_not_retried),
		cmocka_unit_test(skew_corrected_from_date_and_retried_once),
		cmocka_unit_test(expired_token_refreshes_credentials_once),
		cmocka_unit_test(connection_errors_retried_then_reported),
		cmocka_unit_test(earlier_attempt_code_not_carried_over),
		cmocka_unit_test(retry_after_header_honoured),
		cmocka_unit_test(retry_quota_stops_retry_storm),
		cmocka_unit_test(unsigned_call_has_no_authorization),
		cmocka_unit_test(ratelimit_bucket_per_key),
		cmocka_unit_test(params_encoding_matches_botocore),
		cmocka_unit_test(config_from_env),
		cmocka_unit_test(http_date_parse),
		cmocka_unit_test(sts_caller_identity_samples),
		cmocka_unit_test(sts_credentials_samples),
		cmocka_unit_test(batch_pages_submitted_from_callbacks),
		cmocka_unit_test(debug_log_redacts_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
