/*
 * transport.c — HTTPS on libcurl (see sg_transport.h for the design).
 * The only file in sg-audit that includes curl.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "sg_transport.h"
#include "sg_util.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

/* Easy handles kept for reuse; more may exist while many requests run. */
#define POOL_MAX 64
/* "scheme://host:port" of the last request a pooled handle sent (truncated). */
#define POOL_KEY_MAX 160

/*
 * A pooled handle and the origin it last talked to. Each easy handle keeps
 * its own connection cache (libcurl does not support sharing one between
 * handles used concurrently in different threads), so a request takes the
 * handle that last talked to its host when there is one: that handle holds
 * the kept-alive connection.
 */
struct pool_entry {
	CURL *h;
	char key[POOL_KEY_MAX];
};

struct sg_transport {
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	struct pool_entry pool[POOL_MAX];
	size_t n_pool;
	long connect_timeout_ms;
	long total_timeout_ms;
	size_t max_response_bytes;
	char *ca_bundle;
	char *user_agent;
	atomic_uint_fast64_t n_requests;
	atomic_uint_fast64_t n_reused;
	atomic_uint_fast64_t n_handles;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

const char *
sg_transport_curl_version(void)
{
	return curl_version();
}

void
sg_http_response_init(struct sg_http_response *r)
{
	memset(r, 0, sizeof(*r));
	sg_buf_init(&r->body, SG_TRANSPORT_DEFAULT_MAX_BYTES);
	sg_buf_init(&r->headers, SG_TRANSPORT_MAX_HEADER_BYTES);
}

void
sg_http_response_dispose(struct sg_http_response *r)
{
	if (r == NULL)
		return;
	sg_buf_dispose(&r->body);
	sg_buf_dispose(&r->headers);
}

static void
share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
	struct sg_transport *t = ctx;
	(void)h;
	(void)access;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&t->share_locks[data]);
}

static void
share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
	struct sg_transport *t = ctx;
	(void)h;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&t->share_locks[data]);
}

enum sg_status
sg_transport_new(struct sg_transport **out, const struct sg_transport_config *cfg,
                 struct sg_error *err)
{
	struct sg_transport *t;
	char ua[64];
	int i;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return sg_err_set(err, SG_ENET, "libcurl initialisation failed: %s",
		    curl_easy_strerror(global_rc));
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&t->share_locks[i], NULL);
	pthread_mutex_init(&t->pool_lock, NULL);
	t->connect_timeout_ms = cfg && cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
	                                                         : SG_TRANSPORT_DEFAULT_CONNECT_MS;
	t->total_timeout_ms = cfg && cfg->total_timeout_ms > 0 ? cfg->total_timeout_ms
	                                                     : SG_TRANSPORT_DEFAULT_TOTAL_MS;
	t->max_response_bytes = cfg && cfg->max_response_bytes > 0 ? cfg->max_response_bytes
	                                                         : SG_TRANSPORT_DEFAULT_MAX_BYTES;
	snprintf(ua, sizeof(ua), "sg-audit/%s", SG_VERSION);
	t->user_agent = strdup(cfg && cfg->user_agent ? cfg->user_agent : ua);
	if (cfg && cfg->ca_bundle && *cfg->ca_bundle)
		t->ca_bundle = strdup(cfg->ca_bundle);
	t->share = curl_share_init();
	if (t->user_agent == NULL || t->share == NULL ||
	    (cfg && cfg->ca_bundle && *cfg->ca_bundle && t->ca_bundle == NULL)) {
		sg_transport_free(t);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	curl_share_setopt(t->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(t->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(t->share, CURLSHOPT_USERDATA, t);
	curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(t->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	/*
	 * Not CURL_LOCK_DATA_CONNECT: CURLSHOPT_SHARE's documentation says a
	 * shared connection cache between handles performing concurrently in
	 * different threads is not supported. Connections stay per handle;
	 * the pool's host affinity (handle_get) finds them again.
	 */
	*out = t;
	return SG_OK;
}

void
sg_transport_free(struct sg_transport *t)
{
	size_t i;
	int j;

	if (t == NULL)
		return;
	/* Easy handles first: they hold references into the share. */
	for (i = 0; i < t->n_pool; i++)
		curl_easy_cleanup(t->pool[i].h);
	if (t->share != NULL)
		curl_share_cleanup(t->share);
	for (j = 0; j < CURL_LOCK_DATA_LAST; j++)
		pthread_mutex_destroy(&t->share_locks[j]);
	pthread_mutex_destroy(&t->pool_lock);
	free(t->ca_bundle);
	free(t->user_agent);
	free(t);
}

void
sg_transport_stats(struct sg_transport *t, struct sg_transport_stats *out)
{
	out->requests = atomic_load(&t->n_requests);
	out->connections_reused = atomic_load(&t->n_reused);
	out->handles_created = atomic_load(&t->n_handles);
}

/* "scheme://authority" of an absolute URL into key (truncated to fit). */
static void
origin_key(const char *url, char *key, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t n = p ? (size_t)(p - url) + 3 : 0;

	n += strcspn(url + n, "/?#");
	if (n >= cap)
		n = cap - 1;
	memcpy(key, url, n);
	key[n] = '\0';
}

/*
 * A handle for a request to `key`: the pooled one that last talked to the
 * same origin (it holds the kept-alive connection), else the one idle the
 * longest (least likely to be some busy host's), else a new one.
 */
static CURL *
handle_get(struct sg_transport *t, const char *key)
{
	CURL *h = NULL;
	size_t i;

	pthread_mutex_lock(&t->pool_lock);
	if (t->n_pool > 0) {
		i = t->n_pool;
		while (i > 0 && strcmp(t->pool[i - 1].key, key) != 0)
			i--;
		i = i > 0 ? i - 1 : 0;
		h = t->pool[i].h;
		memmove(&t->pool[i], &t->pool[i + 1], (t->n_pool - i - 1) * sizeof(t->pool[0]));
		t->n_pool--;
	}
	pthread_mutex_unlock(&t->pool_lock);
	if (h == NULL) {
		h = curl_easy_init();
		if (h != NULL)
			atomic_fetch_add(&t->n_handles, 1);
	}
	return h;
}

static void
handle_put(struct sg_transport *t, CURL *h, const char *key)
{
	pthread_mutex_lock(&t->pool_lock);
	if (t->n_pool < POOL_MAX) {
		t->pool[t->n_pool].h = h;
		snprintf(t->pool[t->n_pool].key, sizeof(t->pool[0].key), "%s", key);
		t->n_pool++;
		h = NULL;
	}
	pthread_mutex_unlock(&t->pool_lock);
	if (h != NULL)
		curl_easy_cleanup(h);
}

struct xfer {
	struct sg_http_response *resp;
	size_t cap;
	bool over_cap;
	bool headers_over_cap;
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t n = size * nmemb;

	if (x->resp->body.len + n > x->cap) {
		x->over_cap = true;
		return 0; /* abort the transfer: CURLE_WRITE_ERROR */
	}
	if (sg_buf_append(&x->resp->body, ptr, n, NULL) != SG_OK) {
		x->over_cap = true;
		return 0;
	}
	return n;
}

/* Copy a header value (trimmed) into a fixed field. */
static void
copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static bool
header_is(const char *line, size_t n, const char *name, const char **value, size_t *vlen)
{
	size_t k = strlen(name);

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return false;
	*value = line + k + 1;
	*vlen = n - k - 1;
	return true;
}

static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	struct sg_http_response *r = x->resp;
	size_t n = size * nmemb;
	const char *v;
	size_t vn;

	/*
	 * A new status line starts a new response (after a proxy CONNECT or a
	 * 1xx): only the final response's headers are kept.
	 */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		sg_buf_reset(&r->headers);
		r->date[0] = r->request_id[0] = r->retry_after[0] = r->content_type[0] = '\0';
	}
	if (!x->headers_over_cap) {
		if (sg_buf_append(&r->headers, ptr, n, NULL) != SG_OK) {
			/* Keep going: headers are metadata; the cap only stops hoarding. */
			x->headers_over_cap = true;
			sg_buf_init(&r->headers, SG_TRANSPORT_MAX_HEADER_BYTES);
		}
	}
	if (header_is(ptr, n, "date", &v, &vn))
		copy_value(r->date, sizeof(r->date), v, vn);
	else if (header_is(ptr, n, "x-amzn-requestid", &v, &vn) ||
	    header_is(ptr, n, "x-amz-request-id", &v, &vn))
		copy_value(r->request_id, sizeof(r->request_id), v, vn);
	else if (header_is(ptr, n, "x-amz-retry-after", &v, &vn))
		copy_value(r->retry_after, sizeof(r->retry_after), v, vn);
	else if (header_is(ptr, n, "content-type", &v, &vn))
		copy_value(r->content_type, sizeof(r->content_type), v, vn);
	return n;
}

static void
slist_free_wiped(struct curl_slist *l)
{
	struct curl_slist *p;

	/* Header lines may hold the Authorization value or a session token. */
	for (p = l; p != NULL; p = p->next)
		if (p->data != NULL)
			OPENSSL_cleanse(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static enum sg_net_fail
classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return SG_NET_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return SG_NET_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR: /* mostly a reset during the handshake */
	case CURLE_WEIRD_SERVER_REPLY:
		return SG_NET_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
		return SG_NET_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return SG_NET_LIMIT;
	default:
		return SG_NET_OTHER;
	}
}

enum sg_status
sg_transport_perform(struct sg_transport *t, const struct sg_http_request *req,
                     struct sg_http_response *resp, struct sg_error *err)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct sg_buf line;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	char key[POOL_KEY_MAX];
	CURL *h;
	CURLcode rc;
	enum sg_status st = SG_OK;
	uint64_t t0;
	long status = 0, nconn = 0;
	size_t i, cap;
	bool is_http;

	resp->status = 0;
	resp->net_fail = SG_NET_OK;
	sg_buf_reset(&resp->body);
	sg_buf_reset(&resp->headers);
	resp->date[0] = resp->request_id[0] = resp->retry_after[0] = resp->content_type[0] = '\0';

	is_http = strncasecmp(req->url, "http://", 7) == 0;
	if (is_http && !req->allow_http) {
		resp->net_fail = SG_NET_OTHER;
		return sg_err_set(err, SG_EINVAL,
		    "%s: plain http is only allowed for an endpoint named with --endpoint-url "
		    "or AWS_ENDPOINT_URL", req->url);
	}
	if (!is_http && strncasecmp(req->url, "https://", 8) != 0) {
		resp->net_fail = SG_NET_OTHER;
		return sg_err_set(err, SG_EINVAL, "%s: not an http(s) URL", req->url);
	}
	cap = req->max_response_bytes ? req->max_response_bytes : t->max_response_bytes;
	resp->body.max_bytes = cap;

	origin_key(req->url, key, sizeof(key));
	h = handle_get(t, key);
	if (h == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory (curl handle)");
	/* A reset handle keeps its connections; options are set afresh each time. */
	curl_easy_reset(h);

	/* Header lines: built in a secret buffer, copied by curl, wiped after. */
	sg_buf_init_secret(&line, 20000);
	for (i = 0; i < req->n_headers && st == SG_OK; i++) {
		sg_buf_reset(&line);
		if (sg_buf_appendf(&line, err, "%s: %s", req->headers[i].name,
		    req->headers[i].value) != SG_OK) {
			st = err ? err->status : SG_ELIMIT;
			break;
		}
		tmp = curl_slist_append(hdrs, line.data);
		if (tmp == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			break;
		}
		hdrs = tmp;
	}
	sg_buf_dispose(&line);
	if (st == SG_OK) {
		/* No "Expect: 100-continue" round trip, and no Accept: */
		tmp = curl_slist_append(hdrs, "Expect:");
		if (tmp == NULL)
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
		else
			hdrs = tmp;
	}
	if (st != SG_OK) {
		slist_free_wiped(hdrs);
		handle_put(t, h, key);
		return st;
	}

	memset(&x, 0, sizeof(x));
	x.resp = resp;
	x.cap = cap;
	errbuf[0] = '\0';

	curl_easy_setopt(h, CURLOPT_SHARE, t->share);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, req->allow_http ? "http,https" : "https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, t->connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    req->total_timeout_ms > 0 ? req->total_timeout_ms : t->total_timeout_ms);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_bundle);
	curl_easy_setopt(h, CURLOPT_USERAGENT, t->user_agent);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * Each handle's own cache: a handle may serve every host in turn (34
	 * regions x 3 services), and libcurl's default of 5 would close the
	 * oldest and every region would pay a new TLS handshake per page.
	 */
	curl_easy_setopt(h, CURLOPT_MAXCONNECTS, SG_TRANSPORT_MAX_CONNECTIONS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	t0 = sg_now_ms();
	rc = curl_easy_perform(h);
	resp->elapsed_ms = sg_now_ms() - t0;
	atomic_fetch_add(&t->n_requests, 1);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn);
	/* Drop our pointers from the handle before it goes back to the pool. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	slist_free_wiped(hdrs);

	if (rc == CURLE_WRITE_ERROR && x.over_cap)
		resp->net_fail = SG_NET_LIMIT;
	else
		resp->net_fail = classify(rc);
	if (rc == CURLE_OK) {
		resp->status = status;
		resp->reused_connection = nconn == 0;
		if (nconn == 0)
			atomic_fetch_add(&t->n_reused, 1);
	} else {
		const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
		switch (resp->net_fail) {
		case SG_NET_LIMIT:
			st = sg_err_set(err, SG_ELIMIT, "%s %s: response larger than the %zu-byte limit",
			    req->method, req->url, cap);
			break;
		case SG_NET_TIMEOUT:
			st = sg_err_set(err, SG_ETIMEOUT, "%s %s: timed out (%s)", req->method,
			    req->url, why);
			break;
		case SG_NET_TLS:
			st = sg_err_set(err, SG_ENET, "%s %s: TLS failure: %s", req->method,
			    req->url, why);
			break;
		case SG_NET_OTHER:
			if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
				st = sg_err_set(err, SG_EINVAL, "%s %s: protocol not allowed (%s)",
				    req->method, req->url, why);
				break;
			}
			/* fall through */
		case SG_NET_OK:
		case SG_NET_CONNECT:
		default:
			st = sg_err_set(err, SG_ENET, "%s %s: %s", req->method, req->url, why);
			break;
		}
		resp->status = 0;
		sg_buf_reset(&resp->body);
	}
	/* The body buffer may have been freed by a failed append: keep it usable. */
	if (resp->body.data == NULL)
		sg_buf_init(&resp->body, cap);
	handle_put(t, h, key);
	return st;
}

#include "sg_creds.h"

#define CREDS_MAX_HEADERS 8

enum sg_status
sg_transport_creds_fetch(void *ctx, const struct sg_creds_http_request *req, long *status_out,
                         struct sg_buf *body, struct sg_error *err)
{
	struct sg_transport *t = ctx;
	struct sg_http_header hh[CREDS_MAX_HEADERS];
	char names[CREDS_MAX_HEADERS][128];
	struct sg_http_request hr;
	struct sg_http_response resp;
	enum sg_status st;
	size_t n = 0;

	if (t == NULL)
		return sg_err_set(err, SG_EINTERNAL, "credentials fetch without a transport");
	for (; req->headers != NULL && req->headers[n] != NULL; n++) {
		const char *line = req->headers[n], *colon = strchr(line, ':');
		size_t nl;
		if (n == CREDS_MAX_HEADERS)
			return sg_err_set(err, SG_EINTERNAL, "too many headers for %s", req->url);
		if (colon == NULL || (nl = (size_t)(colon - line)) == 0 || nl >= sizeof(names[n]))
			return sg_err_set(err, SG_EINTERNAL, "malformed header for %s", req->url);
		memcpy(names[n], line, nl);
		names[n][nl] = '\0';
		colon++;
		while (*colon == ' ')
			colon++;
		hh[n].name = names[n];
		hh[n].value = colon;
	}
	memset(&hr, 0, sizeof(hr));
	hr.method = req->method;
	hr.url = req->url;
	hr.headers = hh;
	hr.n_headers = n;
	hr.allow_http = true;
	hr.total_timeout_ms = req->timeout_ms;
	hr.max_response_bytes = req->max_bytes ? req->max_bytes : body->max_bytes;
	sg_http_response_init(&resp);
	resp.body.secret = true; /* credentials documents */
	st = sg_transport_perform(t, &hr, &resp, err);
	if (st == SG_OK) {
		*status_out = resp.status;
		st = sg_buf_append(body, resp.body.data ? resp.body.data : "", resp.body.len, err);
	}
	sg_http_response_dispose(&resp);
	return st;
}
