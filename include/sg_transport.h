/*
 * sg_transport.h — HTTPS on libcurl. The ONLY module that includes curl.
 *
 * Design (why threads and not the multi interface): every request the
 * client sends is a small blocking state machine — wait for the rate
 * limiter, sign, send, maybe sleep and retry, maybe correct the clock and
 * retry. Written as straight-line code on a worker thread that is easy to
 * read and to test; on the multi interface every one of those waits would
 * become a timer callback. So the transport is synchronous and
 * thread-safe: sg_transport_perform() may be called from any number of
 * threads at once. Each call borrows a curl easy handle from a pool (one
 * per concurrently running request, kept for reuse). All handles share the
 * DNS cache and TLS session cache through a CURLSH; each keeps its own
 * connection cache, because libcurl does not support sharing that between
 * handles used concurrently in different threads. A request borrows the
 * pooled handle that last talked to its origin, so kept-alive connections
 * are still found again. The aws client (sg_aws.h) runs its concurrent
 * requests on a pool of N worker threads over this.
 *
 * Fixed policy, not options:
 *   - TLS peer and host verification always on; a CA bundle may be named
 *     (AWS_CA_BUNDLE / --ca-bundle) but never switched off.
 *   - https only, unless the request says allow_http (set only for an
 *     endpoint the user named, and for link-local credential endpoints).
 *   - no redirects followed; "Expect: 100-continue" disabled.
 *   - proxies from the environment (https_proxy, HTTPS_PROXY, no_proxy,
 *     NO_PROXY) as libcurl reads them.
 *   - response bodies capped (max_response_bytes); over the cap: SG_ELIMIT.
 *   - User-Agent: sg-audit/VERSION (or the configured string).
 */
#ifndef SG_TRANSPORT_H
#define SG_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"
#include "sg_err.h"

#define SG_TRANSPORT_DEFAULT_CONNECT_MS 10000L
#define SG_TRANSPORT_DEFAULT_TOTAL_MS 60000L
#define SG_TRANSPORT_DEFAULT_MAX_BYTES ((size_t)64 << 20) /* 64 MiB */
#define SG_TRANSPORT_MAX_HEADER_BYTES ((size_t)64 << 10)  /* all response headers */
#define SG_TRANSPORT_MAX_CONNECTIONS 200L                  /* kept-alive connections, all hosts */

struct sg_transport_config {
	long connect_timeout_ms;   /* 0 = default */
	long total_timeout_ms;     /* 0 = default */
	size_t max_response_bytes; /* 0 = default */
	const char *ca_bundle;     /* PEM file; NULL = system store (copied) */
	const char *user_agent;    /* NULL = "sg-audit/VERSION" (copied) */
};

struct sg_http_header {
	const char *name;
	const char *value;
};

struct sg_http_request {
	const char *method;                   /* "GET", "POST", "PUT" */
	const char *url;
	const struct sg_http_header *headers; /* sent as given; may carry secrets */
	size_t n_headers;
	const void *body;                     /* NULL with body_len 0: no body */
	size_t body_len;
	bool allow_http;                      /* permit a plain http:// URL */
	long total_timeout_ms;                /* 0 = the transport's */
	size_t max_response_bytes;            /* 0 = the transport's */
};

/* How a request failed below HTTP (drives retry decisions). */
enum sg_net_fail {
	SG_NET_OK = 0,
	SG_NET_CONNECT,   /* DNS, refused, reset, proxy: retryable */
	SG_NET_TIMEOUT,   /* connect or transfer timeout: retryable, costs more quota */
	SG_NET_TLS,       /* certificate or handshake failure: not retryable */
	SG_NET_LIMIT,     /* response over the size cap: not retryable */
	SG_NET_OTHER      /* anything else (bad URL, protocol refused): not retryable */
};

/*
 * What came back. Owned by the caller: sg_http_response_init() before the
 * call, sg_http_response_dispose() after, whatever the outcome.
 * The body and the raw header block are kept exactly as received (after
 * content decoding), for the evidence bundle.
 */
struct sg_http_response {
	long status;             /* HTTP status; 0 when no response */
	struct sg_buf body;      /* response body */
	struct sg_buf headers;   /* raw header lines of the final response, "Name: value\r\n"... */
	char date[64];           /* Date header, "" if none */
	char request_id[96];     /* x-amzn-RequestId / x-amz-request-id, "" if none */
	char retry_after[32];    /* x-amz-retry-after (milliseconds), "" if none */
	char content_type[128];
	enum sg_net_fail net_fail;
	uint64_t elapsed_ms;     /* whole transfer */
	bool reused_connection;  /* a kept-alive connection was reused */
};

void sg_http_response_init(struct sg_http_response *r);
void sg_http_response_dispose(struct sg_http_response *r);

struct sg_transport;

/* Create a transport (calls curl_global_init once per process). */
enum sg_status sg_transport_new(struct sg_transport **out,
                                const struct sg_transport_config *cfg,
                                struct sg_error *err) SG_MUST_USE;
void sg_transport_free(struct sg_transport *t);

/*
 * Send one request and wait for the answer. Thread-safe.
 *
 * Returns SG_OK whenever an HTTP response arrived, whatever its status
 * (4xx/5xx included: classifying those is the caller's business). Below
 * HTTP: SG_ENET (connection, DNS, TLS), SG_ETIMEOUT, SG_ELIMIT (body over
 * the cap), SG_EINVAL (plain http not allowed, bad URL); resp->net_fail
 * says which, and the message names the URL and the libcurl reason.
 */
enum sg_status sg_transport_perform(struct sg_transport *t, const struct sg_http_request *req,
                                    struct sg_http_response *resp,
                                    struct sg_error *err) SG_MUST_USE;

/* Counters since creation (for --debug and bench). */
struct sg_transport_stats {
	uint64_t requests;
	uint64_t connections_reused;
	uint64_t handles_created;
};
void sg_transport_stats(struct sg_transport *t, struct sg_transport_stats *out);

/*
 * Adapter for the credentials provider's HTTP hook (sg_creds_options.http,
 * struct sg_creds_http in sg_creds.h): ctx is a struct sg_transport *.
 * Plain http is allowed here (IMDS at 169.254.169.254, container endpoints):
 * the provider validates those URLs before calling. Header values (IMDS
 * token, container authorization) are secrets and never logged.
 */
struct sg_creds_http_request;
enum sg_status sg_transport_creds_fetch(void *ctx, const struct sg_creds_http_request *req,
                                        long *status_out, struct sg_buf *body,
                                        struct sg_error *err);

/* The libcurl version string (for --version / debug). */
const char *sg_transport_curl_version(void);

#endif
