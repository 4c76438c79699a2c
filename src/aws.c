/*
 * aws.c — the AWS client: building, signing, sending, classifying and
 * retrying calls; the rate limiter, the retry quota and the worker pool.
 * The contract is in include/sg_aws.h.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "sg_aws.h"
#include "sg_log.h"
#include "sg_util.h"
#include "sigv4.h"

/* ---- configuration ------------------------------------------------------- */

void
sg_aws_config_init(struct sg_aws_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_attempts = SG_AWS_DEFAULT_MAX_ATTEMPTS;
	cfg->concurrency = SG_AWS_DEFAULT_CONCURRENCY;
	cfg->connect_timeout_ms = SG_TRANSPORT_DEFAULT_CONNECT_MS;
	cfg->total_timeout_ms = SG_TRANSPORT_DEFAULT_TOTAL_MS;
	cfg->max_response_bytes = SG_TRANSPORT_DEFAULT_MAX_BYTES;
}

static bool
env_true(const char *v)
{
	return v != NULL && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

bool
sg_aws_env_true(const char *name)
{
	return env_true(getenv(name));
}

static enum sg_status
env_copy(char *dst, size_t cap, const char *name, struct sg_error *err)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		return SG_OK;
	if (strlen(v) >= cap)
		return sg_err_set(err, SG_EINVAL, "%s is longer than %zu bytes", name, cap - 1);
	memcpy(dst, v, strlen(v) + 1);
	return SG_OK;
}

enum sg_status
sg_aws_config_from_env(struct sg_aws_config *cfg, struct sg_error *err)
{
	static const char *const svc_env[SG_SVC_COUNT] = {
		[SG_SVC_EC2] = "AWS_ENDPOINT_URL_EC2",
		[SG_SVC_STS] = "AWS_ENDPOINT_URL_STS",
		[SG_SVC_CLOUDTRAIL] = "AWS_ENDPOINT_URL_CLOUDTRAIL",
	};
	const char *v;
	enum sg_status st;
	long n;
	int i;

	if (!env_true(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
		char host[SG_HOST_MAX], path[SG_URL_MAX];
		bool https;

		if ((st = env_copy(cfg->endpoint_url, sizeof(cfg->endpoint_url), "AWS_ENDPOINT_URL",
		    err)) != SG_OK)
			return st;
		if (cfg->endpoint_url[0] &&
		    (st = sg_endpoint_parse_url(cfg->endpoint_url, &https, host, path, err)) != SG_OK) {
			sg_err_prefix(err, "AWS_ENDPOINT_URL: ");
			return st;
		}
		for (i = 0; i < SG_SVC_COUNT; i++) {
			if ((st = env_copy(cfg->service_endpoint_url[i],
			    sizeof(cfg->service_endpoint_url[i]), svc_env[i], err)) != SG_OK)
				return st;
			if (cfg->service_endpoint_url[i][0] &&
			    (st = sg_endpoint_parse_url(cfg->service_endpoint_url[i], &https, host, path,
			    err)) != SG_OK) {
				sg_err_prefix(err, "%s: ", svc_env[i]);
				return st;
			}
		}
	}
	v = getenv("AWS_MAX_ATTEMPTS");
	if (v != NULL && *v != '\0') {
		if (!sg_parse_long(sg_str_from(v), 1, SG_AWS_MAX_MAX_ATTEMPTS, &n))
			return sg_err_set(err, SG_EINVAL,
			    "AWS_MAX_ATTEMPTS '%s' is not a number from 1 to %d", v,
			    SG_AWS_MAX_MAX_ATTEMPTS);
		cfg->max_attempts = (int)n;
	}
	if ((st = env_copy(cfg->ca_bundle, sizeof(cfg->ca_bundle), "AWS_CA_BUNDLE", err)) != SG_OK)
		return st;
	v = getenv("AWS_REGION");
	if (v == NULL || *v == '\0')
		v = getenv("AWS_DEFAULT_REGION");
	if (v != NULL && *v != '\0') {
		if (!sg_endpoint_region_valid(v))
			return sg_err_set(err, SG_EINVAL, "region '%s' (from the environment) is not a "
			    "valid region name", v);
		snprintf(cfg->region, sizeof(cfg->region), "%s", v);
	}
	if (env_true(getenv("AWS_USE_FIPS_ENDPOINT")))
		cfg->use_fips = true;
	if (env_true(getenv("AWS_USE_DUALSTACK_ENDPOINT")))
		cfg->use_dualstack = true;
	return SG_OK;
}

/* ---- parameters ---------------------------------------------------------- */

#define PARAMS_MAX_BYTES ((size_t)1 << 20)

void
sg_aws_params_init(struct sg_aws_params *p)
{
	sg_buf_init(&p->enc, PARAMS_MAX_BYTES);
	p->count = 0;
}

void
sg_aws_params_dispose(struct sg_aws_params *p)
{
	if (p == NULL)
		return;
	sg_buf_dispose(&p->enc);
	p->count = 0;
}

enum sg_status
sg_aws_form_encode(struct sg_buf *out, const char *s, size_t len, struct sg_error *err)
{
	static const char hex[] = "0123456789ABCDEF";
	char tmp[3];
	size_t i;
	enum sg_status st;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			st = sg_buf_append_char(out, (char)c, err);
		} else if (c == ' ') {
			st = sg_buf_append_char(out, '+', err);
		} else {
			tmp[0] = '%';
			tmp[1] = hex[c >> 4];
			tmp[2] = hex[c & 15];
			st = sg_buf_append(out, tmp, 3, err);
		}
		if (st != SG_OK)
			return st;
	}
	return SG_OK;
}

enum sg_status
sg_aws_params_add(struct sg_aws_params *p, const char *key, const char *value,
                  struct sg_error *err)
{
	enum sg_status st;

	if (key == NULL || *key == '\0' || value == NULL)
		return sg_err_set(err, SG_EINTERNAL, "query parameter without a key or value");
	if ((st = sg_buf_append_char(&p->enc, '&', err)) != SG_OK ||
	    (st = sg_aws_form_encode(&p->enc, key, strlen(key), err)) != SG_OK ||
	    (st = sg_buf_append_char(&p->enc, '=', err)) != SG_OK ||
	    (st = sg_aws_form_encode(&p->enc, value, strlen(value), err)) != SG_OK) {
		sg_err_prefix(err, "query parameters: ");
		return st;
	}
	p->count++;
	return SG_OK;
}

enum sg_status
sg_aws_params_add_long(struct sg_aws_params *p, const char *key, long value,
                       struct sg_error *err)
{
	char v[32];

	snprintf(v, sizeof(v), "%ld", value);
	return sg_aws_params_add(p, key, v, err);
}

static enum sg_status
add_list(struct sg_aws_params *p, const char *name, const char *infix,
         const char *const *values, size_t n, struct sg_error *err)
{
	char key[256];
	enum sg_status st;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(key, sizeof(key), "%s.%s%zu", name, infix, i + 1) >= sizeof(key))
			return sg_err_set(err, SG_EINVAL, "query parameter name '%s' too long", name);
		if ((st = sg_aws_params_add(p, key, values[i], err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

enum sg_status
sg_aws_params_add_ec2_list(struct sg_aws_params *p, const char *name,
                           const char *const *values, size_t n, struct sg_error *err)
{
	/* EC2 sends no parameter at all for an empty list. */
	return add_list(p, name, "", values, n, err);
}

enum sg_status
sg_aws_params_add_query_list(struct sg_aws_params *p, const char *name,
                             const char *const *values, size_t n, struct sg_error *err)
{
	/* awsQuery sends "Name=" for an empty list. */
	if (n == 0)
		return sg_aws_params_add(p, name, "", err);
	return add_list(p, name, "member.", values, n, err);
}

/* ---- responses ------------------------------------------------------------- */

void
sg_aws_response_init(struct sg_aws_response *r)
{
	memset(r, 0, sizeof(*r));
	sg_buf_init(&r->body, SG_TRANSPORT_DEFAULT_MAX_BYTES);
	sg_buf_init(&r->headers, SG_TRANSPORT_MAX_HEADER_BYTES);
	sg_buf_init(&r->request_body, PARAMS_MAX_BYTES + 4096);
}

void
sg_aws_response_dispose(struct sg_aws_response *r)
{
	if (r == NULL)
		return;
	sg_buf_dispose(&r->body);
	sg_buf_dispose(&r->headers);
	sg_buf_dispose(&r->request_body);
}

void
sg_aws_response_take_body(struct sg_aws_response *resp, struct sg_buf *out)
{
	*out = resp->body;
	sg_buf_init(&resp->body, out->max_bytes);
}

/* ---- classification ------------------------------------------------------------ */

static bool
code_in(const char *code, const char *const *list)
{
	if (code == NULL || *code == '\0')
		return false;
	for (; *list; list++)
		if (strcmp(code, *list) == 0)
			return true;
	return false;
}

/* botocore retries/standard.py and aws-sdk-js-v3 (identical lists). */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
	"TooManyRequestsException", "ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
	"LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException", NULL
};
static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
	"InternalError", "InternalFailure", "InternalServerError", "ServerInternal",
	"ServiceUnavailable", "Unavailable", "IDPCommunicationError", NULL
};
static const char *const skew_codes[] = {
	"AuthFailure", "InvalidSignatureException", "RequestExpired", "RequestInTheFuture",
	"RequestTimeTooSkewed", "SignatureDoesNotMatch", NULL
};
static const char *const expired_codes[] = {
	"ExpiredToken", "ExpiredTokenException", NULL
};
static const char *const auth_codes[] = {
	"AuthFailure", "RequestExpired", "SignatureDoesNotMatch", "InvalidClientTokenId",
	"ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
	"InvalidSignatureException", "IncompleteSignature", "IncompleteSignatureException",
	"MissingAuthenticationToken", "MissingAuthenticationTokenException",
	"InvalidAccessKeyId", "RequestTimeTooSkewed", "RequestInTheFuture", "InvalidToken",
	"InvalidIdentityToken", "IDPRejectedClaim", NULL
};
static const char *const denied_codes[] = {
	"UnauthorizedOperation", "AccessDenied", "AccessDeniedException", "UnauthorizedAccess",
	NULL
};

bool
sg_aws_code_is_throttle(const char *code)
{
	return code_in(code, throttle_codes);
}

enum sg_retry_class
sg_aws_retry_classify(long http_status, const char *code, enum sg_net_fail nf)
{
	switch (nf) {
	case SG_NET_OK:
		break;
	case SG_NET_TIMEOUT:
		return SG_RETRY_TIMEOUT;
	case SG_NET_CONNECT:
		return SG_RETRY_TRANSIENT;
	case SG_NET_TLS:
	case SG_NET_LIMIT:
	case SG_NET_OTHER:
	default:
		return SG_RETRY_NONE;
	}
	if (code_in(code, throttle_codes) || http_status == 429)
		return SG_RETRY_THROTTLE;
	if (code_in(code, skew_codes))
		return SG_RETRY_SKEW;
	if (code_in(code, expired_codes))
		return SG_RETRY_EXPIRED;
	if (code_in(code, transient_codes))
		return SG_RETRY_TRANSIENT;
	if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
		/* An auth/deny code never becomes retryable through its status. */
		if (code_in(code, auth_codes) || code_in(code, denied_codes))
			return SG_RETRY_NONE;
		return SG_RETRY_TRANSIENT;
	}
	return SG_RETRY_NONE;
}

enum sg_status
sg_aws_status_for(long http_status, const char *code)
{
	if (code == NULL || *code == '\0') {
		if (http_status == 429)
			return SG_ETHROTTLED;
		if (http_status == 401)
			return SG_EAUTH;
		if (http_status == 403)
			return SG_EDENIED;
		return SG_EHTTP;
	}
	if (code_in(code, throttle_codes))
		return SG_ETHROTTLED;
	if (code_in(code, auth_codes))
		return SG_EAUTH;
	if (code_in(code, denied_codes))
		return SG_EDENIED;
	return SG_EAWS;
}

uint64_t
sg_aws_backoff_ms(unsigned attempt, double r, long retry_after_ms)
{
	uint64_t cap = 1000;
	double t;

	if (attempt == 0)
		attempt = 1;
	if (r < 0.0 || !(r < 1.0))
		r = 0.0;
	/* 2^(attempt-1) s, capped at 20 s (without overflowing the shift). */
	if (attempt - 1 >= 5)
		cap = SG_AWS_MAX_BACKOFF_MS;
	else
		cap <<= (attempt - 1);
	if (cap > SG_AWS_MAX_BACKOFF_MS)
		cap = SG_AWS_MAX_BACKOFF_MS;
	t = r * (double)cap;
	if (retry_after_ms >= 0) {
		double ra = (double)retry_after_ms, hi = t + 5000.0;
		if (ra > hi)
			ra = hi;
		if (ra > t)
			t = ra;
	}
	return (uint64_t)t;
}

void
sg_retry_quota_init(struct sg_retry_quota *q, unsigned capacity)
{
	q->capacity = capacity;
	q->available = capacity;
}

bool
sg_retry_quota_take(struct sg_retry_quota *q, enum sg_retry_class cls, unsigned *cost_out)
{
	unsigned cost = cls == SG_RETRY_TIMEOUT ? SG_AWS_RETRY_TIMEOUT_COST : SG_AWS_RETRY_COST;

	if (q->available < cost)
		return false;
	q->available -= cost;
	if (cost_out != NULL)
		*cost_out = cost;
	return true;
}

void
sg_retry_quota_refund(struct sg_retry_quota *q, unsigned amount)
{
	q->available = q->available + amount > q->capacity ? q->capacity : q->available + amount;
}

bool
sg_aws_parse_http_date(const char *s, time_t *out)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char mon[4], wd[4], zone[4];
	int d, y, hh, mm, ss, m, n = 0;
	struct tm tm;

	/* IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"): what AWS sends. Parsed
	 * by hand because strptime's %b depends on the locale. */
	if (s == NULL || strlen(s) > 40)
		return false;
	if (sscanf(s, "%3[A-Za-z], %d %3s %d %d:%d:%d %3s%n", wd, &d, mon, &y, &hh, &mm, &ss,
	    zone, &n) != 8)
		return false;
	if (s[n] != '\0' || strcmp(zone, "GMT") != 0 || strlen(wd) != 3)
		return false;
	for (m = 0; m < 12; m++)
		if (strcmp(mon, months[m]) == 0)
			break;
	if (m == 12 || d < 1 || d > 31 || y < 1970 || y > 9999 || hh > 23 || mm > 59 || ss > 60 ||
	    hh < 0 || mm < 0 || ss < 0)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	*out = timegm(&tm);
	return true;
}

/* ---- default hooks ------------------------------------------------------------------ */

static uint64_t
real_now_ms(void *ctx)
{
	(void)ctx;
	return sg_now_ms();
}

static time_t
real_wall(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static void
real_sleep_ms(void *ctx, uint64_t ms)
{
	struct timespec ts, rem;
	(void)ctx;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

static double
real_random(void *ctx)
{
	uint64_t v = 0;
	(void)ctx;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint64_t)sg_now_ms() * 6364136223846793005ull;
	return (double)(v >> 11) / 9007199254740992.0; /* 53 bits -> [0, 1) */
}

/* ---- rate limiter -------------------------------------------------------------------- */

struct bucket {
	char key[96];
	double tokens;
	uint64_t last_ms;
	double factor;   /* adaptive: share of the configured rate in use, (0, 1] */
};

struct sg_ratelimit {
	pthread_mutex_t lock;
	struct bucket *b;
	size_t n, cap;
	uint64_t (*now_ms)(void *ctx);
	void (*sleep_ms)(void *ctx, uint64_t ms);
	void *ctx;
};

enum sg_status
sg_ratelimit_new(struct sg_ratelimit **out, const struct sg_aws_hooks *hooks,
                 struct sg_error *err)
{
	struct sg_ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	pthread_mutex_init(&rl->lock, NULL);
	rl->now_ms = hooks && hooks->now_ms ? hooks->now_ms : real_now_ms;
	rl->sleep_ms = hooks && hooks->sleep_ms ? hooks->sleep_ms : real_sleep_ms;
	rl->ctx = hooks ? hooks->ctx : NULL;
	*out = rl;
	return SG_OK;
}

void
sg_ratelimit_free(struct sg_ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->b);
	free(rl);
}

uint64_t
sg_ratelimit_acquire(struct sg_ratelimit *rl, const char *key, double rate, double burst)
{
	struct bucket *bk = NULL;
	uint64_t now, wait = 0;
	size_t i;

	if (rate <= 0.0)
		return 0;
	if (burst < 1.0)
		burst = 1.0;
	pthread_mutex_lock(&rl->lock);
	now = rl->now_ms(rl->ctx);
	for (i = 0; i < rl->n; i++)
		if (strcmp(rl->b[i].key, key) == 0) {
			bk = &rl->b[i];
			break;
		}
	if (bk == NULL) {
		if (rl->n == rl->cap) {
			size_t ncap = rl->cap ? rl->cap * 2 : 16;
			struct bucket *nb = realloc(rl->b, ncap * sizeof(*nb));
			if (nb == NULL) {
				/* No memory for a bucket: send unthrottled rather than fail. */
				pthread_mutex_unlock(&rl->lock);
				return 0;
			}
			rl->b = nb;
			rl->cap = ncap;
		}
		bk = &rl->b[rl->n++];
		snprintf(bk->key, sizeof(bk->key), "%s", key);
		bk->tokens = burst;
		bk->last_ms = now;
		bk->factor = 1.0;
	}
	/* After throttling the bucket runs slower, and its burst shrinks with it. */
	rate *= bk->factor;
	if (rate < SG_AWS_MIN_RATE)
		rate = SG_AWS_MIN_RATE;
	if (burst > 2.0 * rate)
		burst = 2.0 * rate < 1.0 ? 1.0 : 2.0 * rate;
	if (now > bk->last_ms) {
		bk->tokens += (double)(now - bk->last_ms) * rate / 1000.0;
		if (bk->tokens > burst)
			bk->tokens = burst;
		bk->last_ms = now;
	}
	/*
	 * Reserve the token now, even into debt, and sleep off the debt outside
	 * the lock: callers are served in arrival order and nobody spins.
	 */
	bk->tokens -= 1.0;
	if (bk->tokens < 0.0)
		wait = (uint64_t)ceil(-bk->tokens * 1000.0 / rate);
	pthread_mutex_unlock(&rl->lock);
	if (wait > 0)
		rl->sleep_ms(rl->ctx, wait);
	return wait;
}

double
sg_ratelimit_feedback(struct sg_ratelimit *rl, const char *key, bool throttled)
{
	double f = 1.0;
	size_t i;

	pthread_mutex_lock(&rl->lock);
	for (i = 0; i < rl->n; i++) {
		struct bucket *bk = &rl->b[i];
		if (strcmp(bk->key, key) != 0)
			continue;
		/*
		 * Multiplicative decrease, additive increase (the shape of the SDKs'
		 * adaptive mode, without its CUBIC curve): the service said the
		 * account's bucket is empty, so this client backs off for everyone
		 * sharing it and creeps back as calls succeed.
		 */
		if (throttled) {
			bk->factor *= SG_AWS_THROTTLE_BETA;
			if (bk->factor < 0.01)
				bk->factor = 0.01;
		} else if (bk->factor < 1.0) {
			bk->factor += SG_AWS_RECOVERY_STEP;
			if (bk->factor > 1.0)
				bk->factor = 1.0;
		}
		f = bk->factor;
		break;
	}
	pthread_mutex_unlock(&rl->lock);
	return f;
}

/* ---- the client ------------------------------------------------------------------------ */

struct job;

struct sg_aws {
	struct sg_aws_config cfg;
	struct sg_aws_hooks hooks;        /* defaults filled in */
	struct sg_aws_creds_source creds;
	pthread_mutex_t creds_lock;       /* guards `creds` (set after creation) */
	struct sg_transport *transport;
	struct sigv4_signer *signer;
	struct sg_ratelimit *rl;
	pthread_mutex_t quota_lock;
	struct sg_retry_quota quota;
	atomic_long skew_s;
	/* worker pool */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	struct job *head, *tail;
	pthread_t *threads;
	int n_threads;
	bool stopping;
};

static enum sg_status
transport_perform_hook(void *ctx, const struct sg_http_request *req,
                       struct sg_http_response *resp, struct sg_error *err)
{
	return sg_transport_perform(ctx, req, resp, err);
}

static enum sg_status
provider_get(void *ctx, struct sg_creds *out, struct sg_error *err)
{
	return sg_creds_provider_get(ctx, out, err);
}

static void
provider_invalidate(void *ctx)
{
	sg_creds_provider_invalidate(ctx);
}

struct sg_aws_creds_source
sg_aws_creds_source_provider(struct sg_creds_provider *p)
{
	struct sg_aws_creds_source s = { provider_get, provider_invalidate, p };
	return s;
}

enum sg_status
sg_aws_new(struct sg_aws **out, const struct sg_aws_config *cfg,
           const struct sg_aws_creds_source *creds, struct sg_error *err)
{
	struct sg_transport_config tc;
	struct sg_aws *aws;
	enum sg_status st;

	/* Before any worker thread exists: libxml2's first use is not thread-safe. */
	sg_aws_xml_init();
	aws = calloc(1, sizeof(*aws));
	if (aws == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	aws->cfg = *cfg;
	if (aws->cfg.max_attempts < 1)
		aws->cfg.max_attempts = SG_AWS_DEFAULT_MAX_ATTEMPTS;
	if (aws->cfg.max_attempts > SG_AWS_MAX_MAX_ATTEMPTS)
		aws->cfg.max_attempts = SG_AWS_MAX_MAX_ATTEMPTS;
	if (aws->cfg.concurrency < 1)
		aws->cfg.concurrency = SG_AWS_DEFAULT_CONCURRENCY;
	if (aws->cfg.concurrency > SG_AWS_MAX_CONCURRENCY)
		aws->cfg.concurrency = SG_AWS_MAX_CONCURRENCY;
	aws->hooks = cfg->hooks;
	if (aws->hooks.now_ms == NULL)
		aws->hooks.now_ms = real_now_ms;
	if (aws->hooks.wall == NULL)
		aws->hooks.wall = real_wall;
	if (aws->hooks.sleep_ms == NULL)
		aws->hooks.sleep_ms = real_sleep_ms;
	if (aws->hooks.random == NULL)
		aws->hooks.random = real_random;
	if (creds != NULL)
		aws->creds = *creds;
	pthread_mutex_init(&aws->creds_lock, NULL);
	pthread_mutex_init(&aws->quota_lock, NULL);
	pthread_mutex_init(&aws->pool_lock, NULL);
	pthread_cond_init(&aws->pool_cond, NULL);
	sg_retry_quota_init(&aws->quota, SG_AWS_RETRY_QUOTA);
	if (cfg->debug)
		sg_log_set_debug(true);

	if (aws->hooks.perform == NULL) {
		memset(&tc, 0, sizeof(tc));
		tc.connect_timeout_ms = cfg->connect_timeout_ms;
		tc.total_timeout_ms = cfg->total_timeout_ms;
		tc.max_response_bytes = cfg->max_response_bytes;
		tc.ca_bundle = cfg->ca_bundle[0] ? cfg->ca_bundle : NULL;
		tc.user_agent = cfg->user_agent[0] ? cfg->user_agent : NULL;
		if ((st = sg_transport_new(&aws->transport, &tc, err)) != SG_OK) {
			sg_aws_free(aws);
			return st;
		}
		aws->hooks.perform = transport_perform_hook;
		aws->hooks.ctx = aws->transport;
		/* The clock hooks were not injected either way: they ignore ctx. */
	}
	if (sigv4_signer_new(&aws->signer) != SIGV4_OK) {
		sg_aws_free(aws);
		return sg_err_set(err, SG_ENOMEM, "cannot create the SigV4 signer");
	}
	if ((st = sg_ratelimit_new(&aws->rl, &aws->hooks, err)) != SG_OK) {
		sg_aws_free(aws);
		return st;
	}
	*out = aws;
	return SG_OK;
}

void
sg_aws_set_creds(struct sg_aws *aws, const struct sg_aws_creds_source *creds)
{
	pthread_mutex_lock(&aws->creds_lock);
	if (creds != NULL)
		aws->creds = *creds;
	else
		memset(&aws->creds, 0, sizeof(aws->creds));
	pthread_mutex_unlock(&aws->creds_lock);
}

const struct sg_aws_config *
sg_aws_get_config(const struct sg_aws *aws)
{
	return &aws->cfg;
}

const char *
sg_aws_default_region(const struct sg_aws *aws)
{
	return aws->cfg.region[0] ? aws->cfg.region : "us-east-1";
}

long
sg_aws_clock_skew(const struct sg_aws *aws)
{
	return atomic_load(&((struct sg_aws *)(uintptr_t)aws)->skew_s);
}

struct sg_transport *
sg_aws_transport(struct sg_aws *aws)
{
	return aws->transport;
}

/* ---- one call ------------------------------------------------------------------------------ */

static bool
action_valid(const char *a)
{
	size_t n;

	if (a == NULL || *a == '\0' || (n = strlen(a)) >= 64)
		return false;
	for (; *a; a++)
		if (!isalnum((unsigned char)*a) && *a != '.' && *a != '_')
			return false;
	return true;
}

static void
rate_for(const struct sg_aws *aws, enum sg_service svc, double *rate, double *burst)
{
	double r = aws->cfg.max_rate > 0.0 ? aws->cfg.max_rate : SG_AWS_DEFAULT_RATE;

	if (svc == SG_SVC_CLOUDTRAIL) {
		*rate = r < SG_AWS_CLOUDTRAIL_RATE ? r : SG_AWS_CLOUDTRAIL_RATE;
		*burst = 1.0;
	} else {
		*rate = r;
		*burst = 2.0 * r < 1.0 ? 1.0 : 2.0 * r;
	}
}

static void
log_request(const struct sg_http_request *hr, const char *what, unsigned attempt, unsigned max)
{
	char line[3072], h[512];
	size_t i, o;

	if (!sg_log_debug_enabled())
		return;
	o = (size_t)snprintf(line, sizeof(line), "> %s %s %s attempt %u/%u body %zu bytes;",
	    hr->method, hr->url, what, attempt, max, hr->body_len);
	for (i = 0; i < hr->n_headers && o < sizeof(line); i++) {
		sg_log_format_header(h, sizeof(h), hr->headers[i].name, strlen(hr->headers[i].name),
		    hr->headers[i].value, strlen(hr->headers[i].value));
		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s;", h);
	}
	sg_log_debug("%s", line);
}

static void
log_response(const struct sg_http_response *r, const char *url, const char *what,
             unsigned attempt, unsigned max, enum sg_status st, const struct sg_error *e)
{
	char hdrs[2048], h[512];
	size_t o = 0;
	const char *p, *end, *nl, *colon;

	if (!sg_log_debug_enabled())
		return;
	if (st != SG_OK) {
		sg_log_debug("< %s %s attempt %u/%u failed after %llu ms: %s", url, what, attempt, max,
		    (unsigned long long)r->elapsed_ms, e->msg);
		return;
	}
	hdrs[0] = '\0';
	p = r->headers.data ? r->headers.data : "";
	end = p + r->headers.len;
	/* Every response header, redacted by name like the request's. */
	for (; p < end && o < sizeof(hdrs); p = nl + 1) {
		size_t n;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		colon = memchr(p, ':', n);
		if (colon != NULL) {
			const char *v = colon + 1;
			size_t vn = n - (size_t)(v - p);
			while (vn > 0 && *v == ' ') {
				v++;
				vn--;
			}
			sg_log_format_header(h, sizeof(h), p, (size_t)(colon - p), v, vn);
			o += (size_t)snprintf(hdrs + o, sizeof(hdrs) - o, " %s;", h);
		}
		if (nl == end)
			break;
	}
	sg_log_debug("< %ld %s %s attempt %u/%u body %zu bytes in %llu ms%s;%s", r->status, url,
	    what, attempt, max, r->body.len, (unsigned long long)r->elapsed_ms,
	    r->reused_connection ? " (connection reused)" : "", hdrs);
}

/* Move an HTTP response's body and headers into the aws response. */
static void
keep_http(struct sg_aws_response *resp, struct sg_http_response *hr)
{
	sg_buf_dispose(&resp->body);
	sg_buf_dispose(&resp->headers);
	resp->body = hr->body;
	resp->headers = hr->headers;
	sg_buf_init(&hr->body, resp->body.max_bytes);
	sg_buf_init(&hr->headers, SG_TRANSPORT_MAX_HEADER_BYTES);
	resp->http_status = hr->status;
	snprintf(resp->date, sizeof(resp->date), "%s", hr->date);
	snprintf(resp->request_id, sizeof(resp->request_id), "%s", hr->request_id);
}

/* Sign and send one attempt. */
static enum sg_status
attempt_once(struct sg_aws *aws, const struct sg_aws_call *call, const struct sg_endpoint *ep,
             const char *body, size_t body_len, const char *target, const char *what,
             unsigned attempt, unsigned max, struct sg_http_response *hr,
             time_t *signed_at, long *signed_skew, bool *creds_refreshable,
             struct sg_error *err)
{
	struct sg_http_header hh[6];
	struct sigv4_header sh[2];
	struct sigv4_request sreq;
	struct sigv4_options opt;
	struct sigv4_result *res = NULL;
	struct sigv4_credentials *scred = NULL;
	struct sg_creds c;
	struct sg_aws_creds_source src;
	struct sg_http_request req;
	enum sigv4_status sv;
	enum sg_status st = SG_OK;
	const char *ctype = call->json ? "application/x-amz-json-1.1"
	                               : "application/x-www-form-urlencoded; charset=utf-8";
	size_t nh = 0, ns = 0, i;
	time_t when;

	sg_creds_init(&c);
	hh[nh++] = (struct sg_http_header){ "Content-Type", ctype };
	sh[ns++] = sigv4_header_make("Content-Type", ctype);
	if (target != NULL) {
		hh[nh++] = (struct sg_http_header){ "X-Amz-Target", target };
		sh[ns++] = sigv4_header_make("X-Amz-Target", target);
	}
	*signed_skew = atomic_load(&aws->skew_s);
	when = aws->hooks.wall(aws->hooks.ctx) + *signed_skew;
	*signed_at = when;

	if (!call->unsigned_request) {
		if (call->creds != NULL) {
			if ((st = sg_creds_copy(&c, call->creds, err)) != SG_OK)
				goto done;
		} else {
			pthread_mutex_lock(&aws->creds_lock);
			src = aws->creds;
			pthread_mutex_unlock(&aws->creds_lock);
			if (src.get == NULL) {
				st = sg_err_set(err, SG_ECREDS, "no credentials source configured");
				goto done;
			}
			if ((st = src.get(src.ctx, &c, err)) != SG_OK)
				goto done;
			*creds_refreshable = c.expiration != 0 && src.invalidate != NULL;
		}
		sv = sigv4_credentials_new(&scred, c.access_key_id, c.secret_access_key,
		    c.session_token);
		if (sv != SIGV4_OK) {
			st = sg_err_set(err, SG_ECREDS, "credentials (%s) cannot sign: %s",
			    c.source[0] ? c.source : "unknown source", sigv4_strerror(sv));
			goto done;
		}
		memset(&sreq, 0, sizeof(sreq));
		sreq.method = "POST";
		sreq.path = ep->path;
		sreq.host = ep->host;
		sreq.headers = sh;
		sreq.n_headers = ns;
		sreq.body = body;
		sreq.body_len = body_len;
		sigv4_options_init(&opt, ep->region, ep->service, when);
		sv = sigv4_sign(&res, aws->signer, &sreq, &opt, scred);
		if (sv != SIGV4_OK) {
			st = sg_err_set(err, sv == SIGV4_ERR_NOMEM ? SG_ENOMEM : SG_EINTERNAL,
			    "signing failed: %s", sigv4_strerror(sv));
			goto done;
		}
		for (i = 0; i < res->n_headers && nh < sizeof(hh) / sizeof(hh[0]); i++)
			hh[nh++] = (struct sg_http_header){ res->headers[i].name, res->headers[i].value };
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = ep->url;
	req.headers = hh;
	req.n_headers = nh;
	req.body = body;
	req.body_len = body_len;
	req.allow_http = ep->user_named && ep->plain_http;
	req.max_response_bytes = aws->cfg.max_response_bytes;
	log_request(&req, what, attempt, max);
	st = aws->hooks.perform(aws->hooks.ctx, &req, hr, err);
	log_response(hr, ep->url, what, attempt, max, st, err);
done:
	sigv4_result_free(res);
	sigv4_credentials_free(scred);
	sg_creds_dispose(&c);
	return st;
}

enum sg_status
sg_aws_call(struct sg_aws *aws, const struct sg_aws_call *call, struct sg_aws_response *resp,
            struct sg_error *err)
{
	struct sg_endpoint_options eo;
	struct sg_endpoint ep;
	struct sg_http_response hr;
	struct sg_aws_error_info info;
	struct sg_error aerr, perr;
	struct sg_buf body;
	char what[160], target_buf[256];
	const char *region, *target = NULL, *version;
	enum sg_status st;
	enum sg_retry_class cls = SG_RETRY_NONE;
	unsigned attempt = 0, max = (unsigned)aws->cfg.max_attempts, last_cost = 0, cost = 0;
	bool skew_used = false, expired_used = false, refreshable = false, quota_out = false;
	double rate, burst;
	char key[SG_REGION_MAX + 16];
	uint64_t t0, delay;
	time_t signed_at = 0;
	long signed_skew = 0; /* the clock offset this attempt was signed with */
	int i;

	region = call->region && *call->region ? call->region : sg_aws_default_region(aws);
	snprintf(what, sizeof(what), "%s %s %s", region, sg_service_name(call->service),
	    call->action ? call->action : "?");
	if (!action_valid(call->action))
		return sg_err_set(err, SG_EINTERNAL, "%s: invalid action name", what);

	memset(&eo, 0, sizeof(eo));
	eo.endpoint_url = call->endpoint_url && *call->endpoint_url ? call->endpoint_url
	                                                            : aws->cfg.endpoint_url;
	for (i = 0; i < SG_SVC_COUNT; i++)
		eo.service_url[i] = aws->cfg.service_endpoint_url[i];
	if (call->endpoint_url && *call->endpoint_url)
		eo.service_url[call->service] = call->endpoint_url;
	eo.use_fips = aws->cfg.use_fips;
	eo.use_dualstack = aws->cfg.use_dualstack;
	sg_err_init(&perr);
	if ((st = sg_endpoint_resolve(&ep, call->service, region, &eo, &perr)) != SG_OK) {
		sg_err_set(err, st, "%s: %s", what, perr.msg);
		return st;
	}

	/* The body. */
	sg_buf_init(&body, PARAMS_MAX_BYTES + 4096);
	if (call->json) {
		if (strchr(call->action, '.') != NULL) {
			target = call->action;
			snprintf(what, sizeof(what), "%s %s %s", region, sg_service_name(call->service),
			    strrchr(call->action, '.') + 1);
		} else {
			snprintf(target_buf, sizeof(target_buf), "%s%s",
			    SG_AWS_CLOUDTRAIL_TARGET_PREFIX, call->action);
			target = target_buf;
		}
		st = call->json_body ? sg_buf_append(&body, call->json_body, call->json_len, err)
		                     : sg_buf_append_str(&body, "{}", err);
	} else {
		version = call->service == SG_SVC_STS ? SG_AWS_STS_VERSION : SG_AWS_EC2_VERSION;
		st = sg_buf_appendf(&body, err, "Action=%s&Version=%s", call->action, version);
		if (st == SG_OK && call->params != NULL && call->params->enc.len > 0)
			st = sg_buf_append(&body, call->params->enc.data, call->params->enc.len, err);
	}
	if (st != SG_OK) {
		sg_err_prefix(err, "%s: request body: ", what);
		sg_buf_dispose(&body);
		return st;
	}
	if (call->secret_body)
		body.secret = true;

	/* The response record. */
	sg_buf_reset(&resp->body);
	sg_buf_reset(&resp->headers);
	sg_buf_reset(&resp->request_body);
	snprintf(resp->url, sizeof(resp->url), "%s", ep.url);
	snprintf(resp->region, sizeof(resp->region), "%s", region);
	snprintf(resp->action, sizeof(resp->action), "%s",
	    call->json && strrchr(call->action, '.') ? strrchr(call->action, '.') + 1 : call->action);
	snprintf(resp->partition, sizeof(resp->partition), "%s", ep.partition);
	resp->service = call->service;
	resp->http_status = 0;
	resp->request_id[0] = resp->date[0] = resp->error_code[0] = resp->error_message[0] = '\0';
	if (!call->secret_body && sg_buf_append(&resp->request_body, body.data, body.len, NULL) != SG_OK)
		sg_buf_init(&resp->request_body, PARAMS_MAX_BYTES + 4096);

	rate_for(aws, call->service, &rate, &burst);
	snprintf(key, sizeof(key), "%s/%s", ep.service, region);
	t0 = aws->hooks.now_ms(aws->hooks.ctx);
	sg_http_response_init(&hr);
	hr.body.max_bytes = aws->cfg.max_response_bytes ? aws->cfg.max_response_bytes
	                                               : SG_TRANSPORT_DEFAULT_MAX_BYTES;
	for (;;) {
		attempt++;
		resp->attempts = attempt;
		/* Nothing of an earlier attempt may be mistaken for this one's. */
		resp->error_code[0] = resp->error_message[0] = '\0';
		sg_ratelimit_acquire(aws->rl, key, rate, burst);
		sg_err_init(&aerr);
		memset(&info, 0, sizeof(info));
		st = attempt_once(aws, call, &ep, body.data, body.len, target, what, attempt, max, &hr,
		    &signed_at, &signed_skew, &refreshable, &aerr);
		resp->signed_at = signed_at;
		if (st != SG_OK && hr.net_fail == SG_NET_OK) {
			/* Failed before sending (credentials, signing): never retried. */
			break;
		}
		if (st == SG_OK) {
			keep_http(resp, &hr);
			if (resp->http_status >= 200 && resp->http_status < 300) {
				sg_ratelimit_feedback(aws->rl, key, false);
				pthread_mutex_lock(&aws->quota_lock);
				sg_retry_quota_refund(&aws->quota, last_cost ? last_cost : 1);
				pthread_mutex_unlock(&aws->quota_lock);
				break;
			}
			/* An error answer: parse whichever shape the protocol uses. */
			sg_err_init(&perr);
			if (resp->body.len > 0 &&
			    (call->json ? sg_aws_parse_error_json(resp->body.data, resp->body.len, &info, &perr)
			                : sg_aws_parse_error_xml(resp->body.data, resp->body.len, &info, &perr)) == SG_OK) {
				snprintf(resp->error_code, sizeof(resp->error_code), "%s", info.code);
				snprintf(resp->error_message, sizeof(resp->error_message), "%s", info.message);
				if (info.request_id[0])
					snprintf(resp->request_id, sizeof(resp->request_id), "%s",
					    info.request_id);
			}
			cls = sg_aws_retry_classify(resp->http_status, resp->error_code, SG_NET_OK);
			st = sg_aws_status_for(resp->http_status, resp->error_code);
		} else {
			cls = sg_aws_retry_classify(0, "", hr.net_fail);
			resp->http_status = 0;
			resp->request_id[0] = resp->date[0] = '\0';
			sg_buf_reset(&resp->body);
			sg_buf_reset(&resp->headers);
		}

		if (cls == SG_RETRY_THROTTLE) {
			double f = sg_ratelimit_feedback(aws->rl, key, true);
			sg_log_debug("%s: throttled; client rate for %s now %.2f/s", what, key,
			    rate * f < SG_AWS_MIN_RATE ? SG_AWS_MIN_RATE : rate * f);
		}

		/* Clock skew: correct once from the server's Date, then retry. */
		if (cls == SG_RETRY_SKEW && !skew_used) {
			time_t server, local = aws->hooks.wall(aws->hooks.ctx);
			if (sg_aws_parse_http_date(resp->date, &server)) {
				/*
				 * Compare with the offset THIS attempt was signed with:
				 * a concurrent call may already have corrected the shared
				 * one, and this request still needs its retry.
				 */
				long delta = (long)(server - local), cur = signed_skew;
				if (labs(delta - cur) > SG_AWS_SKEW_THRESHOLD_S) {
					atomic_store(&aws->skew_s, delta);
					skew_used = true;
					max++;
					sg_log_debug("%s: %s: server clock is %+ld s from ours; "
					    "correcting and retrying once", what, resp->error_code, delta);
					continue;
				}
			}
		}
		/* Expired temporary credentials: refresh once and retry. */
		if ((cls == SG_RETRY_EXPIRED ||
		    (strcmp(resp->error_code, "RequestExpired") == 0)) &&
		    !expired_used && refreshable && call->creds == NULL) {
			struct sg_aws_creds_source src;
			pthread_mutex_lock(&aws->creds_lock);
			src = aws->creds;
			pthread_mutex_unlock(&aws->creds_lock);
			if (src.invalidate != NULL) {
				src.invalidate(src.ctx);
				expired_used = true;
				max++;
				sg_log_debug("%s: %s: refreshing credentials and retrying once", what,
				    resp->error_code);
				continue;
			}
		}
		if ((cls == SG_RETRY_THROTTLE || cls == SG_RETRY_TRANSIENT || cls == SG_RETRY_TIMEOUT) &&
		    attempt < max) {
			bool ok;
			long ra = -1;
			pthread_mutex_lock(&aws->quota_lock);
			ok = sg_retry_quota_take(&aws->quota, cls, &cost);
			pthread_mutex_unlock(&aws->quota_lock);
			if (!ok) {
				quota_out = true;
				break;
			}
			last_cost = cost;
			{
				long v;
				if (hr.retry_after[0] && sg_parse_long(sg_str_from(hr.retry_after), 0,
				    3600000L, &v))
					ra = v;
			}
			delay = sg_aws_backoff_ms(attempt, aws->hooks.random(aws->hooks.ctx), ra);
			sg_log_debug("%s: %s (attempt %u/%u); retrying in %llu ms", what,
			    resp->error_code[0] ? resp->error_code :
			    resp->http_status ? "HTTP error" : aerr.msg, attempt, max,
			    (unsigned long long)delay);
			if (delay > 0)
				aws->hooks.sleep_ms(aws->hooks.ctx, delay);
			continue;
		}
		break;
	}
	resp->elapsed_ms = aws->hooks.now_ms(aws->hooks.ctx) - t0;

	if (st != SG_OK) {
		char tail[192];
		snprintf(tail, sizeof(tail), "%u attempt%s%s", attempt, attempt == 1 ? "" : "s",
		    quota_out ? ", retry quota exhausted" : "");
		if (resp->http_status != 0) {
			if (resp->error_code[0])
				sg_err_set(err, st, "%s: %s: %s (HTTP %ld%s%s; %s)", what, resp->error_code,
				    resp->error_message[0] ? resp->error_message : "(no message)",
				    resp->http_status, resp->request_id[0] ? ", request id " : "",
				    resp->request_id, tail);
			else
				sg_err_set(err, st, "%s: HTTP %ld without an AWS error body (%zu bytes%s%s; %s)",
				    what, resp->http_status, resp->body.len,
				    resp->request_id[0] ? ", request id " : "", resp->request_id, tail);
			sg_err_set_aws(err, resp->http_status, resp->error_code[0] ? resp->error_code : NULL,
			    resp->request_id[0] ? resp->request_id : NULL);
		} else {
			sg_err_set(err, st, "%s: %s (%s)", what, aerr.msg[0] ? aerr.msg : sg_status_name(st),
			    tail);
		}
	}
	sg_http_response_dispose(&hr);
	sg_buf_dispose(&body);
	return st;
}

enum sg_status
sg_aws_query(struct sg_aws *aws, enum sg_service svc, const char *region, const char *action,
             const struct sg_aws_params *params, struct sg_aws_response *resp,
             struct sg_error *err)
{
	struct sg_aws_call c;

	memset(&c, 0, sizeof(c));
	c.service = svc;
	c.region = region;
	c.action = action;
	c.params = params;
	return sg_aws_call(aws, &c, resp, err);
}

enum sg_status
sg_aws_json(struct sg_aws *aws, enum sg_service svc, const char *region, const char *target,
            const char *body, size_t body_len, struct sg_aws_response *resp,
            struct sg_error *err)
{
	struct sg_aws_call c;

	memset(&c, 0, sizeof(c));
	c.service = svc;
	c.region = region;
	c.action = target;
	c.json = true;
	c.json_body = body;
	c.json_len = body ? body_len : 0;
	return sg_aws_call(aws, &c, resp, err);
}

/* ---- concurrent calls: a pool of worker threads ------------------------------------------ */

struct sg_aws_batch {
	struct sg_aws *aws;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t pending;
};

/* A deep copy of a submitted call. */
struct job {
	struct job *next;
	struct sg_aws_batch *batch;
	struct sg_aws_call call;
	struct sg_aws_params params;
	struct sg_creds creds;
	char *region, *action, *json_body, *endpoint_url;
	sg_aws_done_fn done;
	void *ctx;
};

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	sg_aws_params_dispose(&j->params);
	sg_creds_dispose(&j->creds);
	free(j->region);
	free(j->action);
	if (j->json_body != NULL && j->call.secret_body)
		OPENSSL_cleanse(j->json_body, j->call.json_len);
	free(j->json_body);
	free(j->endpoint_url);
	free(j);
}

static void
batch_done(struct sg_aws_batch *b)
{
	pthread_mutex_lock(&b->lock);
	if (--b->pending == 0)
		pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

static void *
worker_main(void *arg)
{
	struct sg_aws *aws = arg;
	struct sg_aws_response resp;
	struct sg_error err;
	struct job *j;
	enum sg_status st;

	for (;;) {
		pthread_mutex_lock(&aws->pool_lock);
		while (aws->head == NULL && !aws->stopping)
			pthread_cond_wait(&aws->pool_cond, &aws->pool_lock);
		if (aws->head == NULL) {
			pthread_mutex_unlock(&aws->pool_lock);
			break;
		}
		j = aws->head;
		aws->head = j->next;
		if (aws->head == NULL)
			aws->tail = NULL;
		pthread_mutex_unlock(&aws->pool_lock);

		sg_aws_response_init(&resp);
		sg_err_init(&err);
		st = sg_aws_call(aws, &j->call, &resp, &err);
		if (j->done != NULL)
			j->done(j->ctx, &resp, st, &err);
		sg_aws_response_dispose(&resp);
		{
			struct sg_aws_batch *b = j->batch;
			job_free(j);
			batch_done(b);
		}
	}
	return NULL;
}

/* Start the workers on first use. Called with pool_lock held. */
static enum sg_status
pool_start_locked(struct sg_aws *aws, struct sg_error *err)
{
	int i, n = aws->cfg.concurrency;

	if (aws->threads != NULL)
		return SG_OK;
	aws->threads = calloc((size_t)n, sizeof(*aws->threads));
	if (aws->threads == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (pthread_create(&aws->threads[i], NULL, worker_main, aws) != 0)
			break;
		aws->n_threads++;
	}
	if (aws->n_threads == 0) {
		free(aws->threads);
		aws->threads = NULL;
		return sg_err_set(err, SG_EINTERNAL, "cannot start worker threads");
	}
	return SG_OK;
}

enum sg_status
sg_aws_batch_new(struct sg_aws_batch **out, struct sg_aws *aws, struct sg_error *err)
{
	struct sg_aws_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	b->aws = aws;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	*out = b;
	return SG_OK;
}

enum sg_status
sg_aws_submit(struct sg_aws_batch *b, const struct sg_aws_call *call, sg_aws_done_fn done,
              void *ctx, struct sg_error *err)
{
	struct sg_aws *aws = b->aws;
	struct job *j;
	enum sg_status st;
	bool fail = false;

	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	sg_aws_params_init(&j->params);
	sg_creds_init(&j->creds);
	j->call = *call;
	j->batch = b;
	j->done = done;
	j->ctx = ctx;
	j->region = sg_strdup_or_null(call->region, &fail);
	j->action = sg_strdup_or_null(call->action, &fail);
	j->endpoint_url = sg_strdup_or_null(call->endpoint_url, &fail);
	if (call->json_body != NULL) {
		j->json_body = malloc(call->json_len + 1);
		if (j->json_body == NULL) {
			fail = true;
		} else {
			memcpy(j->json_body, call->json_body, call->json_len);
			j->json_body[call->json_len] = '\0';
		}
	}
	if (!fail && call->params != NULL && call->params->enc.len > 0 &&
	    sg_buf_append(&j->params.enc, call->params->enc.data, call->params->enc.len, err) != SG_OK)
		fail = true;
	if (!fail && call->creds != NULL && sg_creds_copy(&j->creds, call->creds, err) != SG_OK)
		fail = true;
	if (fail) {
		job_free(j);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	j->call.region = j->region;
	j->call.action = j->action;
	j->call.endpoint_url = j->endpoint_url;
	j->call.json_body = j->json_body;
	j->call.params = call->params ? &j->params : NULL;
	j->call.creds = call->creds ? &j->creds : NULL;

	pthread_mutex_lock(&b->lock);
	b->pending++;
	pthread_mutex_unlock(&b->lock);

	pthread_mutex_lock(&aws->pool_lock);
	if (aws->stopping) {
		pthread_mutex_unlock(&aws->pool_lock);
		job_free(j);
		batch_done(b);
		return sg_err_set(err, SG_EINTERNAL, "client is shutting down");
	}
	if ((st = pool_start_locked(aws, err)) != SG_OK) {
		pthread_mutex_unlock(&aws->pool_lock);
		job_free(j);
		batch_done(b);
		return st;
	}
	if (aws->tail != NULL)
		aws->tail->next = j;
	else
		aws->head = j;
	aws->tail = j;
	pthread_cond_signal(&aws->pool_cond);
	pthread_mutex_unlock(&aws->pool_lock);
	return SG_OK;
}

void
sg_aws_batch_wait(struct sg_aws_batch *b)
{
	pthread_mutex_lock(&b->lock);
	while (b->pending > 0)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

void
sg_aws_batch_free(struct sg_aws_batch *b)
{
	if (b == NULL)
		return;
	sg_aws_batch_wait(b);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	free(b);
}

void
sg_aws_free(struct sg_aws *aws)
{
	int i;

	if (aws == NULL)
		return;
	pthread_mutex_lock(&aws->pool_lock);
	aws->stopping = true;
	pthread_cond_broadcast(&aws->pool_cond);
	pthread_mutex_unlock(&aws->pool_lock);
	for (i = 0; i < aws->n_threads; i++)
		pthread_join(aws->threads[i], NULL);
	free(aws->threads);
	sg_ratelimit_free(aws->rl);
	sigv4_signer_free(aws->signer);
	sg_transport_free(aws->transport);
	pthread_mutex_destroy(&aws->creds_lock);
	pthread_mutex_destroy(&aws->quota_lock);
	pthread_mutex_destroy(&aws->pool_lock);
	pthread_cond_destroy(&aws->pool_cond);
	free(aws);
}
