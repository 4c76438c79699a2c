/*
 * sg_aws.h — the AWS client: request building (EC2/STS Query, CloudTrail
 * JSON 1.1), SigV4 signing through sigv4/, error parsing of all three error
 * shapes, retries (AWS "standard" mode), a client-side rate limit per
 * (service, region), clock-skew correction, and concurrent requests.
 *
 * One struct sg_aws per process, shared by every thread:
 *
 *     struct sg_aws_config cfg;
 *     sg_aws_config_init(&cfg);
 *     if (sg_aws_config_from_env(&cfg, err) != SG_OK) ...   // then CLI flags
 *     struct sg_aws *aws;
 *     if (sg_aws_new(&aws, &cfg, &creds_source, err) != SG_OK) ...
 *
 *     struct sg_aws_params p;
 *     sg_aws_params_init(&p);
 *     sg_aws_params_add(&p, "MaxResults", "1000", err);
 *     struct sg_aws_response resp;
 *     sg_aws_response_init(&resp);
 *     st = sg_aws_query(aws, SG_SVC_EC2, "eu-west-1", "DescribeSecurityGroups",
 *                       &p, &resp, err);
 *     ... resp.body holds the raw XML (success or not) ...
 *     sg_aws_response_dispose(&resp);
 *     sg_aws_params_dispose(&p);
 *
 * Concurrency: sg_aws_query/sg_aws_json/sg_aws_call block the calling
 * thread and may be called from many threads at once. For fan-out, submit
 * calls to a batch: they run on the client's pool of `concurrency` worker
 * threads, each completion callback runs on a worker, and a callback may
 * submit more (the next page of the same region), so pages within a
 * region stay sequential while regions run in parallel:
 *
 *     struct sg_aws_batch *b;
 *     sg_aws_batch_new(&b, aws, err);
 *     for each region: sg_aws_submit(b, &call, on_page, region_ctx, err);
 *     sg_aws_batch_wait(b);      // returns when every call, including
 *     sg_aws_batch_free(b);      // those submitted by callbacks, is done
 *
 * Retries (standard mode): up to max_attempts (default 3, --max-attempts,
 * AWS_MAX_ATTEMPTS) for throttling codes, HTTP 429/500/502/503/504,
 * connection errors and timeouts; never for authentication or
 * authorization errors. Delay before retry n (1-based failed attempt):
 * rand[0,1) * min(2^(n-1) s, 20 s); x-amz-retry-after (ms) is honoured as
 * max(delay, min(retry_after, delay + 5 s)). A process-wide retry quota of
 * 500 tokens (5 per retry, 10 after a timeout; refunded on success) stops
 * retry storms. On a clock-skew error (RequestExpired,
 * SignatureDoesNotMatch, AuthFailure, InvalidSignatureException,
 * RequestTimeTooSkewed, RequestInTheFuture) whose response Date is more
 * than SG_AWS_SKEW_THRESHOLD_S away from the local clock, the offset is
 * recorded (used for all later signing) and the call is retried once —
 * that retry is extra, outside max_attempts. On ExpiredToken the
 * credentials source is invalidated and the call retried once.
 *
 * Rate limit: a token bucket per (service, region) is taken before every
 * attempt; a throttling answer slows that bucket down (x0.7, floor 0.5/s)
 * and successes speed it back up (+5% of the configured rate each). Defaults: ec2 and sts 10 requests/s, burst 20; cloudtrail
 * 2 requests/s, burst 1 (LookupEvents' documented account limit).
 * --max-rate R sets ec2/sts to R/s with burst 2R, and cloudtrail to
 * min(R, 2)/s.
 *
 * Secrets never leave: the Authorization header, session token and secret
 * key are not logged (sg_log.h redacts) nor put into any error message.
 */
#ifndef SG_AWS_H
#define SG_AWS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_creds.h"
#include "sg_endpoint.h"
#include "sg_err.h"
#include "sg_transport.h"

#define SG_AWS_DEFAULT_MAX_ATTEMPTS 3
#define SG_AWS_MAX_MAX_ATTEMPTS 20
#define SG_AWS_DEFAULT_CONCURRENCY 8
#define SG_AWS_MAX_CONCURRENCY 64
#define SG_AWS_DEFAULT_RATE 10.0         /* ec2/sts requests per second per region */
#define SG_AWS_CLOUDTRAIL_RATE 2.0       /* LookupEvents: 2/s per account per region */
#define SG_AWS_MIN_RATE 0.5              /* adaptive floor, requests per second */
#define SG_AWS_THROTTLE_BETA 0.7         /* rate factor after a throttling answer */
#define SG_AWS_RECOVERY_STEP 0.05        /* rate factor regained per success */
#define SG_AWS_RETRY_QUOTA 500u
#define SG_AWS_RETRY_COST 5u
#define SG_AWS_RETRY_TIMEOUT_COST 10u
#define SG_AWS_MAX_BACKOFF_MS 20000u
#define SG_AWS_SKEW_THRESHOLD_S 240      /* SigV4 tolerates ~5 min */
#define SG_AWS_EC2_VERSION "2016-11-15"
#define SG_AWS_STS_VERSION "2011-06-15"
#define SG_AWS_CLOUDTRAIL_TARGET_PREFIX "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."

/*
 * Injectable clock, sleep, randomness and transport, for tests. Any NULL
 * member falls back to the real thing (monotonic clock, time(NULL),
 * nanosleep, a thread-safe PRNG, the libcurl transport).
 */
struct sg_aws_hooks {
	uint64_t (*now_ms)(void *ctx);                /* monotonic milliseconds */
	time_t (*wall)(void *ctx);                    /* UTC seconds, before skew correction */
	void (*sleep_ms)(void *ctx, uint64_t ms);
	double (*random)(void *ctx);                  /* uniform in [0, 1) */
	enum sg_status (*perform)(void *ctx, const struct sg_http_request *req,
	                          struct sg_http_response *resp, struct sg_error *err);
	void *ctx;
};

/*
 * Client configuration. Strings are fixed arrays so the struct can be
 * copied and filled from env and flags without ownership questions.
 */
struct sg_aws_config {
	char endpoint_url[SG_URL_MAX];                      /* all services; "" = none */
	char service_endpoint_url[SG_SVC_COUNT][SG_URL_MAX];/* per service; wins */
	char region[SG_REGION_MAX];                         /* default region; "" = us-east-1 */
	char ca_bundle[PATH_MAX];                           /* "" = system store */
	char user_agent[128];                               /* "" = sg-audit/VERSION */
	int max_attempts;                                   /* total, including the first */
	double max_rate;                                    /* 0 = defaults above */
	int concurrency;                                    /* worker threads for batches */
	long connect_timeout_ms;
	long total_timeout_ms;
	size_t max_response_bytes;
	bool use_fips;                                      /* AWS_USE_FIPS_ENDPOINT */
	bool use_dualstack;                                 /* AWS_USE_DUALSTACK_ENDPOINT */
	bool debug;                                         /* --debug */
	struct sg_aws_hooks hooks;
};

/* Defaults: 3 attempts, default rates, 8 workers, 10 s connect, 60 s total, 64 MiB. */
void sg_aws_config_init(struct sg_aws_config *cfg);

/*
 * Overlay the environment: AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2,
 * AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_CLOUDTRAIL (all ignored when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), AWS_MAX_ATTEMPTS,
 * AWS_CA_BUNDLE, AWS_REGION then AWS_DEFAULT_REGION, AWS_USE_FIPS_ENDPOINT.
 * A malformed value is an EINVAL naming the variable.
 */
enum sg_status sg_aws_config_from_env(struct sg_aws_config *cfg, struct sg_error *err) SG_MUST_USE;

/* An environment variable set to "true" (any case) or "1". */
bool sg_aws_env_true(const char *name);

/*
 * Where signing credentials come from. get() fills *out (a copy the client
 * disposes); invalidate() (may be NULL) forces a fresh resolve after the
 * service said the token expired. Typically wraps sg_creds_provider
 * (sg_aws_creds_source_provider()). Must be thread-safe.
 */
struct sg_aws_creds_source {
	enum sg_status (*get)(void *ctx, struct sg_creds *out, struct sg_error *err);
	void (*invalidate)(void *ctx);
	void *ctx;
};

/* A source backed by a credentials provider (borrowed; must outlive the client). */
struct sg_aws_creds_source sg_aws_creds_source_provider(struct sg_creds_provider *p);

/* ---- query parameters ------------------------------------------------- */

/*
 * Form-encoded Query parameters, kept already encoded (each added pair
 * becomes "&key=value" with RFC 3986 unreserved characters literal, space
 * as '+', everything else %XX upper-case — what botocore sends).
 * Action and Version are added by the client.
 */
struct sg_aws_params {
	struct sg_buf enc;
	unsigned count;
};

void sg_aws_params_init(struct sg_aws_params *p);
void sg_aws_params_dispose(struct sg_aws_params *p);
enum sg_status sg_aws_params_add(struct sg_aws_params *p, const char *key, const char *value,
                                 struct sg_error *err) SG_MUST_USE;
enum sg_status sg_aws_params_add_long(struct sg_aws_params *p, const char *key, long value,
                                      struct sg_error *err) SG_MUST_USE;
/* EC2 list: Name.1=v1&Name.2=v2; nothing at all when n == 0. */
enum sg_status sg_aws_params_add_ec2_list(struct sg_aws_params *p, const char *name,
                                          const char *const *values, size_t n,
                                          struct sg_error *err) SG_MUST_USE;
/* awsQuery (STS) list: Name.member.1=v1...; "Name=" when n == 0. */
enum sg_status sg_aws_params_add_query_list(struct sg_aws_params *p, const char *name,
                                            const char *const *values, size_t n,
                                            struct sg_error *err) SG_MUST_USE;
/* Form-encode s into out (appended). */
enum sg_status sg_aws_form_encode(struct sg_buf *out, const char *s, size_t len,
                                  struct sg_error *err) SG_MUST_USE;

/* ---- responses ----------------------------------------------------------- */

/*
 * One call's outcome. Filled on success AND on failure when an HTTP answer
 * arrived (the raw error body is evidence too). Caller-owned:
 * sg_aws_response_init() before, sg_aws_response_dispose() after.
 */
struct sg_aws_response {
	long http_status;              /* of the last attempt; 0 if none arrived */
	struct sg_buf body;            /* raw body of the last attempt */
	struct sg_buf headers;         /* raw header block of the last attempt */
	struct sg_buf request_body;    /* the body sent ("" when the call held a secret) */
	char request_id[96];
	char date[64];                 /* server Date header */
	char url[SG_URL_MAX];
	char region[SG_REGION_MAX];
	char action[64];
	char partition[16];
	enum sg_service service;
	char error_code[96];           /* AWS error code of the last attempt, "" if none */
	char error_message[512];       /* sanitized; never contains secrets we sent */
	unsigned attempts;             /* attempts made, including a skew/expiry retry */
	uint64_t elapsed_ms;           /* first attempt to last answer, sleeps included */
	time_t signed_at;              /* signing time of the last attempt (skew-corrected) */
};

void sg_aws_response_init(struct sg_aws_response *r);
void sg_aws_response_dispose(struct sg_aws_response *r);

/* ---- the client -------------------------------------------------------------- */

struct sg_aws;

/*
 * Create a client. cfg is copied; creds (may be NULL for now, see
 * sg_aws_set_creds) is copied, its ctx borrowed.
 */
enum sg_status sg_aws_new(struct sg_aws **out, const struct sg_aws_config *cfg,
                          const struct sg_aws_creds_source *creds,
                          struct sg_error *err) SG_MUST_USE;
/* Set the credentials source after creation (the provider may need the client for STS). */
void sg_aws_set_creds(struct sg_aws *aws, const struct sg_aws_creds_source *creds);
/* Stops the worker pool (after pending batches finish) and frees. Accepts NULL. */
void sg_aws_free(struct sg_aws *aws);

/* The copied configuration (read-only). */
const struct sg_aws_config *sg_aws_get_config(const struct sg_aws *aws);
/* The effective default region ("us-east-1" when none configured). */
const char *sg_aws_default_region(const struct sg_aws *aws);
/* Clock offset (server minus local, seconds) learnt from skew errors. */
long sg_aws_clock_skew(const struct sg_aws *aws);
/* The transport (for sg_transport_creds_fetch: IMDS/container credential fetches). */
struct sg_transport *sg_aws_transport(struct sg_aws *aws);

/* One call, fully described. Every pointer is borrowed for the call. */
struct sg_aws_call {
	enum sg_service service;
	const char *region;                 /* NULL = default region */
	const char *action;                 /* Query Action, or JSON operation name */
	const struct sg_aws_params *params; /* Query; NULL = none */
	const char *json_body;              /* JSON 1.1: body (NULL = "{}") */
	size_t json_len;
	bool json;                          /* JSON 1.1 protocol (CloudTrail) */
	const struct sg_creds *creds;       /* sign with these, not the source (STS AssumeRole) */
	bool unsigned_request;              /* send without Authorization (AssumeRoleWithWebIdentity) */
	bool secret_body;                   /* the body holds a secret: never keep or log it */
	const char *endpoint_url;           /* per-call user-named override; NULL = config */
};

/*
 * Run one call with rate limiting, signing, retries and skew correction.
 * SG_OK only for an HTTP 2xx. Errors carry the code, HTTP status and
 * request id (sg_err_set_aws) and a message naming the call:
 *   "eu-west-1 ec2 DescribeSecurityGroups: RequestLimitExceeded: Request
 *    limit exceeded (HTTP 503, request id 2b7c...; 3 attempts)"
 * Statuses: ETHROTTLED (throttling codes), EAUTH (bad/expired credentials,
 * signature, skew), EDENIED (UnauthorizedOperation, AccessDenied…), EAWS
 * (any other AWS error), EHTTP (error status without an AWS error body),
 * ENET / ETIMEOUT / ELIMIT (transport), ECREDS (no credentials).
 */
enum sg_status sg_aws_call(struct sg_aws *aws, const struct sg_aws_call *call,
                           struct sg_aws_response *resp, struct sg_error *err) SG_MUST_USE;

/* EC2 or STS Query call (Version chosen by service). */
enum sg_status sg_aws_query(struct sg_aws *aws, enum sg_service svc, const char *region,
                            const char *action, const struct sg_aws_params *params,
                            struct sg_aws_response *resp, struct sg_error *err) SG_MUST_USE;

/*
 * JSON 1.1 call (CloudTrail). `target` is the operation ("LookupEvents")
 * or a full X-Amz-Target value.
 */
enum sg_status sg_aws_json(struct sg_aws *aws, enum sg_service svc, const char *region,
                           const char *target, const char *body, size_t body_len,
                           struct sg_aws_response *resp, struct sg_error *err) SG_MUST_USE;

/* ---- concurrent calls ----------------------------------------------------------- */

struct sg_aws_batch;

/*
 * Completion callback, run on a worker thread. `resp` and `err` belong to
 * the client and are disposed when the callback returns: take what you
 * need (sg_aws_response_take_body moves the body out). The callback may
 * call sg_aws_submit() on the same batch. Callbacks of one batch may run
 * concurrently: protect shared state.
 */
typedef void (*sg_aws_done_fn)(void *ctx, struct sg_aws_response *resp, enum sg_status st,
                               const struct sg_error *err);

enum sg_status sg_aws_batch_new(struct sg_aws_batch **out, struct sg_aws *aws,
                                struct sg_error *err) SG_MUST_USE;
/* Queue a call (deep-copied). Errors only on ENOMEM or a freed batch. */
enum sg_status sg_aws_submit(struct sg_aws_batch *b, const struct sg_aws_call *call,
                             sg_aws_done_fn done, void *ctx, struct sg_error *err) SG_MUST_USE;
/* Wait until every submitted call (and any submitted by callbacks) completed. */
void sg_aws_batch_wait(struct sg_aws_batch *b);
/* Wait, then free. Accepts NULL. */
void sg_aws_batch_free(struct sg_aws_batch *b);

/* Move the body out of a response: *out gets it, resp->body is left empty. */
void sg_aws_response_take_body(struct sg_aws_response *resp, struct sg_buf *out);

/* ---- building blocks, exported for tests -------------------------------------- */

/* Parsed AWS error (any of the three shapes). Strings sanitized and capped. */
struct sg_aws_error_info {
	char code[96];
	char message[512];
	char request_id[96];
	char type[16];          /* STS "Sender"/"Receiver", else "" */
};

/*
 * Initialise libxml2 once for the whole process. libxml2's first-use set-up
 * (encoding handlers) races when two threads parse at once, so sg_aws_new
 * calls this before any worker thread exists; any other program that parses
 * XML from several threads must call it first too. Idempotent, thread-safe.
 */
void sg_aws_xml_init(void);

/*
 * XML errors: EC2 <Response><Errors><Error><Code/><Message/></Error></Errors>
 * <RequestID/></Response> and STS <ErrorResponse><Error><Type/><Code/>
 * <Message/></Error><RequestId/></ErrorResponse>. EPARSE if neither shape.
 * (libxml2 reader, XML_PARSE_NONET, no entities, no DTD; src/aws_xml.c)
 */
enum sg_status sg_aws_parse_error_xml(const char *body, size_t len,
                                      struct sg_aws_error_info *out,
                                      struct sg_error *err) SG_MUST_USE;
/*
 * JSON errors: {"__type": "prefix#Code:extra", "message"|"Message": "..."}.
 * The code is the text after '#' and before ':'. (src/aws_json.c)
 */
enum sg_status sg_aws_parse_error_json(const char *body, size_t len,
                                       struct sg_aws_error_info *out,
                                       struct sg_error *err) SG_MUST_USE;

enum sg_retry_class {
	SG_RETRY_NONE = 0,   /* not retryable */
	SG_RETRY_THROTTLE,   /* throttling code or HTTP 429 */
	SG_RETRY_TRANSIENT,  /* 500/502/503/504, transient codes, connection errors */
	SG_RETRY_TIMEOUT,    /* connect/read timeout (higher quota cost) */
	SG_RETRY_SKEW,       /* a clock-skew code: retry once if the Date says so */
	SG_RETRY_EXPIRED     /* expired token: refresh credentials, retry once */
};

/* Classify a failed attempt (code "" when none parsed; nf for transport failures). */
enum sg_retry_class sg_aws_retry_classify(long http_status, const char *code,
                                          enum sg_net_fail nf);
bool sg_aws_code_is_throttle(const char *code);
/* The status an AWS error code (or bare HTTP status) maps to. */
enum sg_status sg_aws_status_for(long http_status, const char *code);

/*
 * Backoff before the retry that follows failed attempt `attempt` (1-based):
 * r * min(2^(attempt-1) * 1000, 20000) ms, r in [0,1); with retry_after_ms
 * >= 0, max(t, min(retry_after_ms, t + 5000)).
 */
uint64_t sg_aws_backoff_ms(unsigned attempt, double r, long retry_after_ms);

/* Retry quota (token bucket without refill; refunds on success). */
struct sg_retry_quota {
	unsigned capacity;
	unsigned available;
};
void sg_retry_quota_init(struct sg_retry_quota *q, unsigned capacity);
/* Take the cost of one retry of class cls; false (nothing taken) if not enough left. */
bool sg_retry_quota_take(struct sg_retry_quota *q, enum sg_retry_class cls, unsigned *cost_out);
/* Refund after a success: `amount` (the last retry's cost, or 1 for a first-try success). */
void sg_retry_quota_refund(struct sg_retry_quota *q, unsigned amount);

/* Token bucket rate limiter keyed by a string ("ec2/eu-west-1"). Thread-safe. */
struct sg_ratelimit;
enum sg_status sg_ratelimit_new(struct sg_ratelimit **out, const struct sg_aws_hooks *hooks,
                                struct sg_error *err) SG_MUST_USE;
void sg_ratelimit_free(struct sg_ratelimit *rl);
/* Block until one token is available for `key` (created full with `burst`); returns ms waited. */
uint64_t sg_ratelimit_acquire(struct sg_ratelimit *rl, const char *key, double rate, double burst);
/*
 * Adaptive feedback for `key`: a throttling answer multiplies the bucket's
 * rate by SG_AWS_THROTTLE_BETA (floor SG_AWS_MIN_RATE requests/s, burst
 * shrinking to 2x the rate), each success gives back SG_AWS_RECOVERY_STEP
 * of the configured rate. Returns the bucket's rate factor now (1.0 for an
 * unknown key).
 */
double sg_ratelimit_feedback(struct sg_ratelimit *rl, const char *key, bool throttled);

/*
 * Small readers for callers that need one value from a response (a page
 * token, a request id) without a full parser:
 *
 * sg_aws_xml_text: the text of the element at `path`, local names from the
 * root ("DescribeSecurityGroupsResponse/nextToken"), appended to `out`
 * (initialised by the caller with its cap). SG_ENOTFOUND, without a message,
 * when the element is absent; EPARSE for malformed XML. Same parser limits
 * as the error reader (no DTD, no entities, depth and size caps).
 */
enum sg_status sg_aws_xml_text(const char *body, size_t len, const char *path,
                               struct sg_buf *out, struct sg_error *err) SG_MUST_USE;
/*
 * sg_aws_json_string: a top-level string member of a JSON object
 * ("NextToken"), appended to `out`. SG_ENOTFOUND (no message) if absent or
 * not a string; EPARSE for malformed JSON.
 */
enum sg_status sg_aws_json_string(const char *body, size_t len, const char *name,
                                  struct sg_buf *out, struct sg_error *err) SG_MUST_USE;
/*
 * sg_aws_json_with_string: a copy of the JSON object `body` with the
 * top-level member `name` set to the string `value` (added or replaced),
 * as a malloc'd compact JSON text in *out. For following NextToken.
 */
enum sg_status sg_aws_json_with_string(const char *body, size_t len, const char *name,
                                       const char *value, char **out,
                                       struct sg_error *err) SG_MUST_USE;

/* Parse an HTTP Date ("Tue, 24 Nov 2026 01:07:37 GMT"); false if malformed. */
bool sg_aws_parse_http_date(const char *s, time_t *out);

#endif
