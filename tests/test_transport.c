/*
 * test_transport.c — the libcurl transport against a tiny HTTP/1.1 server
 * on 127.0.0.1 (a thread per connection, port chosen by the kernel):
 * bodies and headers kept, size cap, timeouts, plain-http refusal, no
 * redirects, no Expect: 100-continue, User-Agent, connection reuse across
 * threads, connection errors classified.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "sg_transport.h"

static int listen_fd = -1;
static int port;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static int n_connections;
/* Connections accepted per extra listener (by slot), so a test counts only
 * its own hosts' connections whatever earlier tests left behind. */
#define MAX_LISTENERS 32
static int n_listeners;
static int listener_fd[MAX_LISTENERS];
static int listener_conns[MAX_LISTENERS];

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
respond(int fd, int status, const char *extra, const char *body, size_t len)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
	    "HTTP/1.1 %d X\r\nDate: Wed, 01 May 2024 12:00:00 GMT\r\nx-amzn-RequestId: rid-1\r\n"
	    "Content-Type: text/xml\r\nContent-Length: %zu\r\n%s\r\n", status, len, extra);
	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

static void *
conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[65536];
	size_t have = 0;

	for (;;) {
		char *end, *cl, path[256];
		size_t hlen, blen = 0;
		ssize_t r;

		while ((end = memmem(buf, have, "\r\n\r\n", 4)) == NULL) {
			r = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
			if (r <= 0)
				goto out;
			have += (size_t)r;
		}
		buf[have] = '\0';
		hlen = (size_t)(end - buf) + 4;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl != NULL && cl < end)
			blen = (size_t)strtoul(cl + 17, NULL, 10);
		while (have < hlen + blen) {
			r = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
			if (r <= 0)
				goto out;
			have += (size_t)r;
		}
		if (sscanf(buf, "%*s %255s", path) != 1)
			goto out;
		if (strcmp(path, "/ok") == 0) {
			respond(fd, 200, "x-amz-retry-after: 1500\r\n", "hello", 5);
		} else if (strcmp(path, "/echo") == 0) {
			respond(fd, 200, "", buf, hlen); /* the request head as body */
		} else if (strcmp(path, "/big") == 0) {
			char *big = malloc(100000);
			if (big == NULL)
				goto out;
			memset(big, 'x', 100000);
			respond(fd, 200, "", big, 100000);
			free(big);
		} else if (strcmp(path, "/redirect") == 0) {
			respond(fd, 302, "Location: /ok\r\n", "", 0);
		} else if (strcmp(path, "/hang") == 0) {
			sleep(2);
			goto out;
		} else if (strcmp(path, "/err") == 0) {
			respond(fd, 503, "", "<Response/>", 11);
		} else {
			respond(fd, 404, "", "", 0);
		}
		memmove(buf, buf + hlen + blen, have - hlen - blen);
		have -= hlen + blen;
	}
out:
	close(fd);
	return NULL;
}

static void *
server_main(void *arg)
{
	int lfd = arg ? (int)(intptr_t)arg : listen_fd;
	for (;;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			return NULL;
		pthread_mutex_lock(&srv_lock);
		n_connections++;
		for (int k = 0; k < n_listeners; k++)
			if (listener_fd[k] == lfd)
				listener_conns[k]++;
		pthread_mutex_unlock(&srv_lock);
		if (pthread_create(&t, NULL, conn_main, (void *)(intptr_t)fd) == 0)
			pthread_detach(t);
		else
			close(fd);
	}
}

static int
setup(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t t;
	int one = 1;
	(void)state;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	if (bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(listen_fd, 16) != 0)
		return -1;
	getsockname(listen_fd, (struct sockaddr *)&a, &alen);
	port = ntohs(a.sin_port);
	pthread_create(&t, NULL, server_main, NULL);
	pthread_detach(t);
	/* Tests must never leave 127.0.0.1: drop any proxy from the environment. */
	unsetenv("http_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("https_proxy");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	return 0;
}

static void
url(char *out, size_t cap, const char *path)
{
	snprintf(out, cap, "http://127.0.0.1:%d%s", port, path);
}

static struct sg_transport *
new_transport(long total_ms, size_t cap)
{
	struct sg_transport_config c;
	struct sg_transport *t = NULL;
	struct sg_error err;

	memset(&c, 0, sizeof(c));
	c.total_timeout_ms = total_ms;
	c.max_response_bytes = cap;
	sg_err_init(&err);
	assert_int_equal(sg_transport_new(&t, &c, &err), SG_OK);
	return t;
}

static void
get_ok_keeps_body_and_metadata(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char u[128];
	(void)state;

	url(u, sizeof(u), "/ok");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	req.allow_http = true;
	sg_http_response_init(&resp);
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_OK);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body.data, "hello");
	assert_string_equal(resp.date, "Wed, 01 May 2024 12:00:00 GMT");
	assert_string_equal(resp.request_id, "rid-1");
	assert_string_equal(resp.retry_after, "1500");
	assert_string_equal(resp.content_type, "text/xml");
	assert_non_null(strstr(resp.headers.data, "HTTP/1.1 200"));
	sg_http_response_dispose(&resp);
	sg_transport_free(t);
}

static void
post_sends_headers_without_expect(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_http_header h[] = { { "Content-Type", "application/x-www-form-urlencoded" },
	                              { "X-Test", "yes" } };
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char u[128], body[4000];
	(void)state;

	memset(body, 'a', sizeof(body)); /* large enough that curl would send Expect */
	url(u, sizeof(u), "/echo");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = u;
	req.headers = h;
	req.n_headers = 2;
	req.body = body;
	req.body_len = sizeof(body);
	req.allow_http = true;
	sg_http_response_init(&resp);
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_OK);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body.data, "POST /echo HTTP/1.1"));
	assert_non_null(strstr(resp.body.data, "X-Test: yes"));
	assert_non_null(strstr(resp.body.data, "User-Agent: sg-audit/"));
	assert_non_null(strstr(resp.body.data, "Content-Length: 4000"));
	assert_null(strcasestr(resp.body.data, "Expect:"));
	sg_http_response_dispose(&resp);
	sg_transport_free(t);
}

static void
plain_http_refused_unless_allowed(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char u[128];
	(void)state;

	url(u, sizeof(u), "/ok");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	sg_http_response_init(&resp);
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "plain http"));
	sg_err_init(&err);
	req.url = "ftp://127.0.0.1/x";
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_EINVAL);
	sg_http_response_dispose(&resp);
	sg_transport_free(t);
}

static void
redirects_not_followed(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char u[128];
	(void)state;

	url(u, sizeof(u), "/redirect");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	req.allow_http = true;
	sg_http_response_init(&resp);
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_OK);
	assert_int_equal(resp.status, 302);
	sg_http_response_dispose(&resp);
	sg_transport_free(t);
}

static void
response_size_capped(void **state)
{
	struct sg_transport *t = new_transport(0, 1000);
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	char u[128];
	(void)state;

	url(u, sizeof(u), "/big");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	req.allow_http = true;
	sg_http_response_init(&resp);
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_ELIMIT);
	assert_int_equal(resp.net_fail, SG_NET_LIMIT);
	assert_int_equal(resp.body.len, 0);
	/* A per-request cap overrides the transport's. */
	sg_err_init(&err);
	req.max_response_bytes = 200000;
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_OK);
	assert_int_equal(resp.body.len, 100000);
	sg_http_response_dispose(&resp);
	sg_transport_free(t);
}

static void
timeout_and_refused_classified(void **state)
{
	struct sg_transport *t = new_transport(300, 0);
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	char u[128];
	int fd;
	(void)state;

	url(u, sizeof(u), "/hang");
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	req.allow_http = true;
	sg_http_response_init(&resp);
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_ETIMEOUT);
	assert_int_equal(resp.net_fail, SG_NET_TIMEOUT);
	assert_int_equal(resp.status, 0);

	/* A port nobody listens on. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &alen);
	close(fd);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(a.sin_port));
	sg_err_init(&err);
	assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_ENET);
	assert_int_equal(resp.net_fail, SG_NET_CONNECT);
	assert_non_null(strstr(err.msg, u));
	sg_http_response_dispose(&resp);
	sg_transport_free(t);
}

/* Send req n times on t; returns how many answered 200 (thread workers' body). */
static int
perform_ok(struct sg_transport *t, const struct sg_http_request *req, int n)
{
	struct sg_http_response resp;
	struct sg_error err;
	int i, ok = 0;

	sg_http_response_init(&resp);
	for (i = 0; i < n; i++) {
		sg_err_init(&err);
		if (sg_transport_perform(t, req, &resp, &err) == SG_OK && resp.status == 200)
			ok++;
	}
	sg_http_response_dispose(&resp);
	return ok;
}

struct worker {
	struct sg_transport *t;
	int ok;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct sg_http_request req;
	char u[128];

	url(u, sizeof(u), "/ok");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = u;
	req.body = "x=1";
	req.body_len = 3;
	req.allow_http = true;
	w->ok = perform_ok(w->t, &req, 25);
	return NULL;
}

static void
threads_share_connections(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_transport_stats s;
	struct worker w[4];
	pthread_t th[4];
	int i, before;
	(void)state;

	pthread_mutex_lock(&srv_lock);
	before = n_connections;
	pthread_mutex_unlock(&srv_lock);
	for (i = 0; i < 4; i++) {
		w[i].t = t;
		w[i].ok = 0;
		pthread_create(&th[i], NULL, worker_main, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].ok, 25);
	}
	sg_transport_stats(t, &s);
	assert_int_equal(s.requests, 100);
	pthread_mutex_lock(&srv_lock);
	/* 100 requests over at most a handful of kept-alive connections. */
	assert_true(n_connections - before <= 8);
	pthread_mutex_unlock(&srv_lock);
	assert_true(s.connections_reused >= 92);
	sg_transport_free(t);
}

/* Another listener on 127.0.0.1 (a distinct host:port for curl's cache). */
static int
extra_listener(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t t;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 16) != 0)
		return -1;
	getsockname(fd, (struct sockaddr *)&a, &alen);
	pthread_mutex_lock(&srv_lock);
	if (n_listeners < MAX_LISTENERS)
		listener_fd[n_listeners++] = fd;
	pthread_mutex_unlock(&srv_lock);
	pthread_create(&t, NULL, server_main, (void *)(intptr_t)fd);
	pthread_detach(t);
	return ntohs(a.sin_port);
}

/* Connections the listeners on these ports have accepted so far. */
static int
conns_of(const int *ports, int n)
{
	int i, k, total = 0;
	struct sockaddr_in a;
	socklen_t alen;

	pthread_mutex_lock(&srv_lock);
	for (k = 0; k < n_listeners; k++) {
		alen = sizeof(a);
		if (getsockname(listener_fd[k], (struct sockaddr *)&a, &alen) != 0)
			continue;
		for (i = 0; i < n; i++)
			if (ntohs(a.sin_port) == ports[i])
				total += listener_conns[k];
	}
	pthread_mutex_unlock(&srv_lock);
	return total;
}

/*
 * Like 12 regions visited in turn from one worker: each host keeps its
 * connection between visits. Sequential, so exact: one handle, 12
 * connections, 24 reuses. Counted per listener, so nothing another test
 * left behind (or valgrind's slowness) can change the figures.
 */
static void
many_hosts_keep_their_connections(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_transport_stats st;
	struct sg_http_request req;
	struct sg_http_response resp;
	struct sg_error err;
	int ports[12], i, round;
	char u[128];
	(void)state;

	for (i = 0; i < 12; i++)
		assert_true((ports[i] = extra_listener()) > 0);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	req.allow_http = true;
	sg_http_response_init(&resp);
	for (round = 0; round < 3; round++)
		for (i = 0; i < 12; i++) {
			snprintf(u, sizeof(u), "http://127.0.0.1:%d/ok", ports[i]);
			sg_err_init(&err);
			assert_int_equal(sg_transport_perform(t, &req, &resp, &err), SG_OK);
			assert_int_equal(resp.status, 200);
		}
	sg_http_response_dispose(&resp);
	assert_int_equal(conns_of(ports, 12), 12);
	sg_transport_stats(t, &st);
	assert_int_equal(st.handles_created, 1);
	assert_int_equal(st.connections_reused, 24);
	sg_transport_free(t);
}

struct host_worker {
	struct sg_transport *t;
	int port;
	int ok;
};

static void *
host_worker_main(void *arg)
{
	struct host_worker *w = arg;
	struct sg_http_request req;
	char u[128];

	snprintf(u, sizeof(u), "http://127.0.0.1:%d/ok", w->port);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = u;
	req.allow_http = true;
	w->ok = perform_ok(w->t, &req, 25);
	return NULL;
}

/*
 * Concurrent workers on different hosts (regions scanned in parallel): with
 * no connection cache shared between threads, each request still finds its
 * host's kept-alive connection through the pool's host affinity.
 */
static void
concurrent_hosts_reuse_connections(void **state)
{
	struct sg_transport *t = new_transport(0, 0);
	struct sg_transport_stats st;
	struct host_worker w[4];
	pthread_t th[4];
	int ports[4], i;
	(void)state;

	for (i = 0; i < 4; i++) {
		assert_true((ports[i] = extra_listener()) > 0);
		w[i].t = t;
		w[i].port = ports[i];
		w[i].ok = 0;
	}
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, host_worker_main, &w[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].ok, 25);
	}
	sg_transport_stats(t, &st);
	assert_int_equal(st.requests, 100);
	/* A new connection only while handles first meet their hosts. */
	assert_true(conns_of(ports, 4) <= 8);
	assert_true(st.connections_reused >= 92);
	sg_transport_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_ok_keeps_body_and_metadata),
		cmocka_unit_test(post_sends_headers_without_expect),
		cmocka_unit_test(plain_http_refused_unless_allowed),
		cmocka_unit_test(redirects_not_followed),
		cmocka_unit_test(response_size_capped),
		cmocka_unit_test(timeout_and_refused_classified),
		cmocka_unit_test(threads_share_connections),
		cmocka_unit_test(many_hosts_keep_their_connections),
		cmocka_unit_test(concurrent_hosts_reuse_connections),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
