/*
 * test_scan.c — the scan orchestration against a scripted EC2/STS world
 * (the client's perform hook stands in for HTTP; calls run concurrently on
 * the client's real worker pool). Proves the region plan, paging, the paging
 * guards, prefix-list resolution and the coverage each failure gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sg_aws.h"
#include "sg_scan.h"

/* ---- the scripted world ----------------------------------------------------- */

#define MAX_REGIONS 8
#define MAX_LOG 256

enum fault_kind { F_NONE, F_HTTP_ERROR, F_MALFORMED, F_REPEAT_TOKEN, F_ENDLESS, F_DUP_GROUP };

struct wregion {
	const char *name;
	const char *opt_in;     /* "opt-in-not-required", "opted-in", "not-opted-in" */
	unsigned groups_per_page;
	unsigned pages;         /* >= 1 */
	bool with_prefix_list;  /* first group's rule names pl-0<region index> */
	/* fault on DescribeSecurityGroups page `fault_page` (1-based) */
	enum fault_kind fault;
	unsigned fault_page;
	long fault_status;
	const char *fault_code;
	/* fault on GetManagedPrefixListEntries */
	long pl_fault_status;
	const char *pl_fault_code;
	/* DescribeNetworkInterfaces: interface i is attached to group i % groups, and
	 * interface 0 also to group 1 */
	unsigned enis;
	long eni_fault_status;
	const char *eni_fault_code;
};

struct world {
	pthread_mutex_t lock;
	struct wregion regions[MAX_REGIONS];
	size_t n_regions;
	long regions_status;    /* DescribeRegions answer: 0 = 200 */
	const char *regions_code;
	long sts_status;
	const char *sts_code;
	/* log of calls: "region Action page" */
	char log[MAX_LOG][160];
	size_t n_log;
};

static struct world W;

static void
world_reset(void)
{
	pthread_mutex_destroy(&W.lock);
	memset(&W, 0, sizeof(W));
	pthread_mutex_init(&W.lock, NULL);
}

static struct wregion *
add_region(const char *name, const char *opt_in, unsigned pages, unsigned per_page)
{
	struct wregion *r = &W.regions[W.n_regions++];

	r->name = name;
	r->opt_in = opt_in;
	r->pages = pages;
	r->groups_per_page = per_page;
	return r;
}

static struct wregion *
find_region(const char *name)
{
	size_t i;

	for (i = 0; i < W.n_regions; i++)
		if (strcmp(W.regions[i].name, name) == 0)
			return &W.regions[i];
	return NULL;
}

/* Value of a form parameter in a body (no decoding needed for our values). */
static bool
param(const char *body, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = body;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == body || p[-1] == '&') && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, "&");
			if (n >= cap)
				n = cap - 1;
			memcpy(out, p + kl + 1, n);
			out[n] = '\0';
			return true;
		}
		p += kl;
	}
	return false;
}

static enum sg_status
reply(struct sg_http_response *resp, long status, const char *body, struct sg_error *err)
{
	resp->net_fail = SG_NET_OK;
	resp->status = status;
	sg_buf_reset(&resp->body);
	return sg_buf_append_str(&resp->body, body, err);
}

static enum sg_status
reply_error(struct sg_http_response *resp, long status, const char *code, struct sg_error *err)
{
	char b[512];

	snprintf(b, sizeof(b), "<Response><Errors><Error><Code>%s</Code><Message>scripted %s"
	    "</Message></Error></Errors><RequestID>rid-err</RequestID></Response>", code, code);
	return reply(resp, status, b, err);
}

static enum sg_status
dsg_page(struct wregion *r, size_t ri, unsigned page, struct sg_http_response *resp,
         struct sg_error *err)
{
	struct sg_buf b;
	enum sg_status st;
	unsigned g, first;
	bool endless = r->fault == F_ENDLESS;

	sg_buf_init(&b, 1 << 20);
	st = sg_buf_appendf(&b, err, "<DescribeSecurityGroupsResponse xmlns=\"http://ec2.amazonaws"
	    ".com/doc/2016-11-15/\"><requestId>%s-%u</requestId><securityGroupInfo>", r->name, page);
	first = (page - 1) * r->groups_per_page;
	if (r->fault == F_DUP_GROUP && page == r->fault_page)
		first = 0;
	for (g = 0; st == SG_OK && page <= r->pages && g < r->groups_per_page; g++) {
		unsigned n = first + g;
		st = sg_buf_appendf(&b, err, "<item><ownerId>123456789012</ownerId>"
		    "<groupId>sg-%02zu%015u</groupId><groupName>g%u</groupName>"
		    "<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort>"
		    "<toPort>22</toPort><ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges>"
		    "%s</item></ipPermissions><ipPermissionsEgress/></item>", ri, n, n,
		    r->with_prefix_list && n == 0 ? "<prefixListIds><item><prefixListId>pl-0shared"
		    "</prefixListId></item></prefixListIds>" : "");
	}
	if (st == SG_OK)
		st = sg_buf_append_str(&b, "</securityGroupInfo>", err);
	if (st == SG_OK && (page < r->pages || endless)) {
		if (r->fault == F_REPEAT_TOKEN && page >= r->fault_page)
			st = sg_buf_appendf(&b, err, "<nextToken>t%u</nextToken>", r->fault_page);
		else if (endless)
			st = sg_buf_appendf(&b, err, "<nextToken>t%u</nextToken>", page + 1);
		else
			st = sg_buf_appendf(&b, err, "<nextToken>t%u</nextToken>", page + 1);
	}
	if (st == SG_OK)
		st = sg_buf_append_str(&b, "</DescribeSecurityGroupsResponse>", err);
	if (st == SG_OK)
		st = reply(resp, 200, b.data, err);
	sg_buf_dispose(&b);
	return st;
}

static enum sg_status
w_perform(void *ctx, const struct sg_http_request *req, struct sg_http_response *resp,
          struct sg_error *err)
{
	char body[4096], action[64] = "", region[64] = "", tok[64] = "";
	const char *h = strstr(req->url, "://");
	struct wregion *r;
	unsigned page = 1;
	size_t n;
	(void)ctx;

	snprintf(body, sizeof(body), "%.*s", (int)req->body_len, (const char *)req->body);
	param(body, "Action", action, sizeof(action));
	/* https://ec2.eu-west-1.amazonaws.com/ */
	if (h != NULL && (h = strchr(h + 3, '.')) != NULL) {
		n = strcspn(h + 1, ".");
		snprintf(region, sizeof(region), "%.*s", (int)n, h + 1);
	}
	if (param(body, "NextToken", tok, sizeof(tok)))
		page = (unsigned)atoi(tok + 1);
	pthread_mutex_lock(&W.lock);
	if (W.n_log < MAX_LOG)
		snprintf(W.log[W.n_log++], sizeof(W.log[0]), "%s %s %u", region, action, page);
	pthread_mutex_unlock(&W.lock);

	if (strcmp(action, "GetCallerIdentity") == 0) {
		if (W.sts_status)
			return reply_error(resp, W.sts_status, W.sts_code, err);
		return reply(resp, 200, "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/"
		    "doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/"
		    "audit</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
		    "</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId>"
		    "</ResponseMetadata></GetCallerIdentityResponse>", err);
	}
	if (strcmp(action, "DescribeRegions") == 0) {
		struct sg_buf b;
		enum sg_status st;
		size_t i;

		if (W.regions_status)
			return reply_error(resp, W.regions_status, W.regions_code, err);
		sg_buf_init(&b, 1 << 20);
		st = sg_buf_append_str(&b, "<DescribeRegionsResponse><regionInfo>", err);
		/* listed in reverse: the scan sorts them */
		for (i = W.n_regions; st == SG_OK && i-- > 0;)
			st = sg_buf_appendf(&b, err, "<item><regionName>%s</regionName><optInStatus>%s"
			    "</optInStatus></item>", W.regions[i].name, W.regions[i].opt_in);
		if (st == SG_OK)
			st = sg_buf_append_str(&b, "</regionInfo></DescribeRegionsResponse>", err);
		if (st == SG_OK)
			st = reply(resp, 200, b.data, err);
		sg_buf_dispose(&b);
		return st;
	}
	r = find_region(region);
	if (r == NULL || strcmp(r->opt_in, "not-opted-in") == 0)
		return reply_error(resp, 401, "AuthFailure", err);
	if (strcmp(action, "GetManagedPrefixListEntries") == 0) {
		if (r->pl_fault_status)
			return reply_error(resp, r->pl_fault_status, r->pl_fault_code, err);
		if (page == 1)
			return reply(resp, 200, "<GetManagedPrefixListEntriesResponse><entrySet><item>"
			    "<cidr>0.0.0.0/0</cidr></item></entrySet><nextToken>t2</nextToken>"
			    "</GetManagedPrefixListEntriesResponse>", err);
		return reply(resp, 200, "<GetManagedPrefixListEntriesResponse><entrySet><item>"
		    "<cidr>192.0.2.0/24</cidr></item></entrySet></GetManagedPrefixListEntriesResponse>",
		    err);
	}
	if (strcmp(action, "DescribeNetworkInterfaces") == 0) {
		struct sg_buf b;
		enum sg_status st;
		unsigned i, total = r->pages * r->groups_per_page;
		size_t ri = (size_t)(r - W.regions);

		if (r->eni_fault_status)
			return reply_error(resp, r->eni_fault_status, r->eni_fault_code, err);
		sg_buf_init(&b, 1 << 20);
		st = sg_buf_append_str(&b, "<DescribeNetworkInterfacesResponse><networkInterfaceSet>", err);
		for (i = 0; st == SG_OK && i < r->enis; i++) {
			char second[96] = "";
			if (i == 0 && total > 1)
				snprintf(second, sizeof(second), "<item><groupId>sg-%02zu%015u</groupId>"
				    "</item>", ri, 1u);
			st = sg_buf_appendf(&b, err, "<item><networkInterfaceId>eni-%u</networkInterfaceId>"
			    "<groupSet><item><groupId>sg-%02zu%015u</groupId></item>%s</groupSet></item>",
			    i, ri, i % total, second);
		}
		if (st == SG_OK)
			st = sg_buf_append_str(&b, "</networkInterfaceSet></DescribeNetworkInterfacesResponse>",
			    err);
		if (st == SG_OK)
			st = reply(resp, 200, b.data, err);
		sg_buf_dispose(&b);
		return st;
	}
	if (strcmp(action, "DescribeSecurityGroups") == 0) {
		if (strstr(body, "MaxResults=1000") == NULL)
			return reply_error(resp, 400, "MissingMaxResults", err);
		if (r->fault_page == page && r->fault == F_HTTP_ERROR)
			return reply_error(resp, r->fault_status, r->fault_code, err);
		if (r->fault_page == page && r->fault == F_MALFORMED)
			return reply(resp, 200, "<DescribeSecurityGroupsResponse><securityGroupInfo>"
			    "<item><groupId>sg-x</groupId><fromPort>", err);
		return dsg_page(r, (size_t)(r - W.regions), page, resp, err);
	}
	return reply_error(resp, 400, "InvalidAction", err);
}

static double
w_random(void *ctx)
{
	(void)ctx;
	return 0.0; /* no backoff */
}

static void
w_sleep(void *ctx, uint64_t ms)
{
	(void)ctx;
	(void)ms;
}

static enum sg_status
w_creds(void *ctx, struct sg_creds *out, struct sg_error *err)
{
	(void)ctx;
	sg_creds_init(out);
	out->access_key_id = strdup("AKIDEXAMPLE");
	out->secret_access_key = strdup("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	snprintf(out->source, sizeof(out->source), "test");
	if (out->access_key_id == NULL || out->secret_access_key == NULL) {
		sg_creds_dispose(out);
		return sg_err_set(err, SG_ENOMEM, "oom");
	}
	return SG_OK;
}

static struct sg_aws *
client(void)
{
	struct sg_aws_config cfg;
	struct sg_aws_creds_source src = { w_creds, NULL, NULL };
	struct sg_error err;
	struct sg_aws *aws = NULL;

	sg_aws_config_init(&cfg);
	cfg.max_attempts = 2;
	cfg.concurrency = 6;
	cfg.max_rate = 10000;
	snprintf(cfg.region, sizeof(cfg.region), "us-east-1");
	cfg.hooks.perform = w_perform;
	cfg.hooks.random = w_random;
	cfg.hooks.sleep_ms = w_sleep;
	sg_err_init(&err);
	assert_int_equal(sg_aws_new(&aws, &cfg, &src, &err), SG_OK);
	return aws;
}

static size_t
calls(const char *prefix)
{
	size_t i, n = 0;

	for (i = 0; i < W.n_log; i++)
		n += strncmp(W.log[i], prefix, strlen(prefix)) == 0;
	return n;
}

static const struct sg_region_coverage *
cov(const struct sg_inventory *inv, const char *region)
{
	size_t i;

	for (i = 0; i < inv->n_regions; i++)
		if (strcmp(inv->regions[i].region, region) == 0)
			return &inv->regions[i];
	fail_msg("no coverage for %s", region);
	return NULL;
}

struct run {
	struct sg_inventory *inv;
	struct sg_error err;
	enum sg_status st;
	size_t progress_calls;
	struct sg_scan_progress last;
};

static void
on_progress(void *ctx, const struct sg_scan_progress *p)
{
	struct run *r = ctx;
	r->progress_calls++;
	r->last = *p;
}

static void
run_scan(struct run *r, bool all, const char *const *names, size_t n)
{
	struct sg_aws *aws = client();
	struct sg_scan_options o;

	memset(r, 0, sizeof(*r));
	sg_scan_options_init(&o);
	o.all_regions = all;
	o.regions = names;
	o.n_regions = n;
	o.progress = on_progress;
	o.progress_ctx = r;
	r->inv = sg_inventory_new();
	sg_err_init(&r->err);
	r->st = sg_scan_run(r->inv, aws, &o, &r->err);
	sg_aws_free(aws);
}

/* ---- tests -------------------------------------------------------------------- */

static void
all_regions_scans_enabled_ones_and_pages_through(void **state)
{
	struct run r;
	size_t i;
	(void)state;

	world_reset();
	add_region("us-east-1", "opt-in-not-required", 3, 4)->enis = 5;
	add_region("eu-west-1", "opt-in-not-required", 1, 2);
	add_region("ap-south-2", "not-opted-in", 1, 1);
	add_region("eu-south-2", "opted-in", 2, 1);
	/* Another partition's regions are not the account's (a stand-in may list them). */
	add_region("cn-north-1", "opt-in-not-required", 1, 1);
	add_region("us-gov-west-1", "opt-in-not-required", 1, 1);
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(r.inv->n_regions, 4);
	assert_int_equal(calls("cn-north-1"), 0);
	assert_int_equal(calls("us-gov-west-1"), 0);
	/* sorted by name */
	assert_string_equal(r.inv->regions[0].region, "ap-south-2");
	assert_string_equal(r.inv->regions[1].region, "eu-south-2");
	assert_string_equal(r.inv->regions[3].region, "us-east-1");
	assert_int_equal(cov(r.inv, "ap-south-2")->state, SG_REGION_NOT_OPTED_IN);
	assert_null(cov(r.inv, "ap-south-2")->attachments); /* never asked */
	assert_null(cov(r.inv, "ap-south-2")->error_code);
	assert_int_equal(calls("ap-south-2"), 0); /* never called */
	assert_int_equal(cov(r.inv, "us-east-1")->state, SG_REGION_SCANNED);
	assert_int_equal(cov(r.inv, "us-east-1")->pages, 3);
	assert_int_equal(cov(r.inv, "us-east-1")->groups, 12);
	assert_int_equal(cov(r.inv, "us-east-1")->rules, 12);
	assert_int_equal(cov(r.inv, "eu-south-2")->state, SG_REGION_SCANNED);
	assert_int_equal(cov(r.inv, "eu-south-2")->pages, 2);
	assert_int_equal(calls("us-east-1 DescribeSecurityGroups"), 3);
	assert_int_equal(calls("us-east-1 DescribeNetworkInterfaces"), 1);
	assert_string_equal(cov(r.inv, "us-east-1")->attachments, "counted");
	assert_string_equal(cov(r.inv, "eu-south-2")->attachments, "counted");
	assert_int_equal(r.inv->n_groups, 12 + 2 + 2);
	for (i = 1; i < r.inv->n_groups; i++) /* sorted by (account, region, group id) */
		assert_true(strcmp(r.inv->groups[i - 1].region, r.inv->groups[i].region) < 0 ||
		    (strcmp(r.inv->groups[i - 1].region, r.inv->groups[i].region) == 0 &&
		     strcmp(r.inv->groups[i - 1].group_id, r.inv->groups[i].group_id) < 0));
	/* Interfaces: groups 0..4 of us-east-1 have one each, group 1 a second, others none. */
	for (i = 0; i < r.inv->n_groups; i++) {
		const struct sg_group *g = &r.inv->groups[i];
		int want = 0;
		if (strcmp(g->region, "us-east-1") == 0) {
			unsigned n = (unsigned)atoi(g->group_id + 5);
			want = n < 5 ? 1 : 0;
			if (n == 1)
				want = 2;
		}
		if (g->eni_count != want)
			fail_msg("%s %s: eni_count %d, expected %d", g->region, g->group_id,
			    g->eni_count, want);
	}
	assert_string_equal(r.inv->account_id, "123456789012");
	assert_string_equal(r.inv->caller_arn, "arn:aws:iam::123456789012:user/audit");
	assert_string_equal(r.inv->partition, "aws");
	assert_true(sg_scan_complete(r.inv));
	assert_int_equal(r.last.regions_total, 3);
	assert_int_equal(r.last.regions_done, 3);
	assert_int_equal(r.last.pages, 6);
	assert_int_equal(r.last.groups, 16);
	sg_inventory_free(r.inv);
}

static void
named_regions_are_checked_and_kept_in_order(void **state)
{
	static const char *const names[] = { "eu-west-1", "us-east-1", "eu-west-1", "ap-south-2" };
	static const char *const unknown[] = { "us-east-1", "eu-wst-1" };
	static const char *const malformed[] = { "US_EAST_1" };
	struct run r;
	(void)state;

	world_reset();
	add_region("us-east-1", "opt-in-not-required", 1, 1);
	add_region("eu-west-1", "opt-in-not-required", 1, 1);
	add_region("ap-south-2", "not-opted-in", 1, 1);
	add_region("ca-central-1", "opt-in-not-required", 1, 1);
	run_scan(&r, false, names, 4);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(r.inv->n_regions, 3); /* duplicate dropped, order kept */
	assert_string_equal(r.inv->regions[0].region, "eu-west-1");
	assert_string_equal(r.inv->regions[1].region, "us-east-1");
	assert_string_equal(r.inv->regions[2].region, "ap-south-2");
	assert_int_equal(r.inv->regions[2].state, SG_REGION_NOT_OPTED_IN);
	assert_int_equal(calls("ca-central-1"), 0);
	sg_inventory_free(r.inv);

	world_reset();
	add_region("us-east-1", "opt-in-not-required", 1, 1);
	run_scan(&r, false, unknown, 2);
	assert_int_equal(r.st, SG_ENOTFOUND);
	assert_string_equal(r.err.msg, "unknown region 'eu-wst-1': DescribeRegions lists 1 regions "
	    "for this account (us-east-1)");
	assert_int_equal(calls("us-east-1 DescribeSecurityGroups"), 0); /* checked before any scan */
	sg_inventory_free(r.inv);

	run_scan(&r, false, malformed, 1);
	assert_int_equal(r.st, SG_EINVAL);
	assert_string_equal(r.err.msg, "'US_EAST_1' is not a region name");
	sg_inventory_free(r.inv);
}

/* No --regions: the client's default region only. */
static void
default_region_only(void **state)
{
	struct run r;
	(void)state;

	world_reset();
	add_region("us-east-1", "opt-in-not-required", 1, 1);
	add_region("eu-west-1", "opt-in-not-required", 1, 1);
	run_scan(&r, false, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(r.inv->n_regions, 1);
	assert_string_equal(r.inv->regions[0].region, "us-east-1");
	assert_int_equal(calls("eu-west-1"), 0);
	sg_inventory_free(r.inv);
}

struct fault_case {
	const char *name;
	enum fault_kind kind;
	unsigned page;
	long status;
	const char *code;
	enum sg_region_state state;
	const char *error_code;
	const char *msg; /* substring */
	size_t pages, groups;
};

static const struct fault_case fault_cases[] = {
	{ "denied mid-region", F_HTTP_ERROR, 3, 403, "UnauthorizedOperation", SG_REGION_DENIED,
	  "UnauthorizedOperation", "eu-west-1 ec2 DescribeSecurityGroups: UnauthorizedOperation", 2, 4 },
	{ "access denied", F_HTTP_ERROR, 1, 403, "AccessDenied", SG_REGION_DENIED, "AccessDenied",
	  NULL, 0, 0 },
	{ "auth failure in an enabled region", F_HTTP_ERROR, 1, 401, "AuthFailure",
	  SG_REGION_DENIED, "AuthFailure", NULL, 0, 0 },
	{ "throttled", F_HTTP_ERROR, 2, 503, "RequestLimitExceeded", SG_REGION_THROTTLED,
	  "RequestLimitExceeded", "2 attempts", 1, 2 },
	{ "server error", F_HTTP_ERROR, 2, 500, "InternalError", SG_REGION_ERROR, "InternalError",
	  NULL, 1, 2 },
	{ "bad token", F_HTTP_ERROR, 2, 400, "InvalidPaginationToken", SG_REGION_ERROR,
	  "InvalidPaginationToken", NULL, 1, 2 },
	{ "malformed page", F_MALFORMED, 2, 0, NULL, SG_REGION_ERROR, "EPARSE",
	  "eu-west-1 DescribeSecurityGroups page 2: malformed XML", 1, 2 },
	{ "repeated token", F_REPEAT_TOKEN, 2, 0, NULL, SG_REGION_ERROR, "EAWS",
	  "eu-west-1 DescribeSecurityGroups page 2: the NextToken repeats an earlier one; paging "
	  "does not advance", 2, 4 },
	{ "endless token", F_ENDLESS, 0, 0, NULL, SG_REGION_ERROR, "EAWS",
	  "eu-west-1 DescribeSecurityGroups page 13: 10 empty pages in a row, each with a new "
	  "NextToken; paging does not advance", 13, 6 },
	{ "page repeats groups", F_DUP_GROUP, 2, 0, NULL, SG_REGION_ERROR, "EAWS",
	  "eu-west-1 DescribeSecurityGroups page 2: group sg-01000000000000000 was already "
	  "returned by an earlier page", 2, 4 },
};

/* Every failure gives its coverage; groups read before it stay; other regions are fine. */
static void
faults_give_the_right_coverage(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(fault_cases) / sizeof(fault_cases[0]); i++) {
		const struct fault_case *fc = &fault_cases[i];
		struct wregion *w;
		const struct sg_region_coverage *c;
		struct run r;

		world_reset();
		add_region("us-east-1", "opt-in-not-required", 2, 2);
		w = add_region("eu-west-1", "opt-in-not-required", 3, 2);
		w->fault = fc->kind;
		w->fault_page = fc->page;
		w->fault_status = fc->status;
		w->fault_code = fc->code;
		run_scan(&r, true, NULL, 0);
		if (r.st != SG_OK)
			fail_msg("%s: scan status %d: %s", fc->name, r.st, r.err.msg);
		c = cov(r.inv, "eu-west-1");
		if (c->state != fc->state)
			fail_msg("%s: state %s, expected %s (%s)", fc->name,
			    sg_region_state_name(c->state), sg_region_state_name(fc->state),
			    c->error_message ? c->error_message : "");
		assert_non_null(c->error_code);
		assert_string_equal(c->error_code, fc->error_code);
		assert_non_null(c->error_message);
		if (fc->msg && strstr(c->error_message, fc->msg) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", fc->name, c->error_message, fc->msg);
		if (c->pages != fc->pages || c->groups != fc->groups)
			fail_msg("%s: pages %zu groups %zu, expected %zu and %zu", fc->name, c->pages,
			    c->groups, fc->pages, fc->groups);
		assert_int_equal(cov(r.inv, "us-east-1")->state, SG_REGION_SCANNED);
		assert_int_equal(cov(r.inv, "us-east-1")->groups, 4);
		assert_false(sg_scan_complete(r.inv));
		sg_inventory_free(r.inv);
	}
}

static void
prefix_lists_resolved_across_pages(void **state)
{
	struct wregion *w;
	const struct sg_prefix_list *pl;
	struct run r;
	char buf[SG_CIDR_TEXT_MAX];
	(void)state;

	world_reset();
	w = add_region("us-east-1", "opt-in-not-required", 2, 3);
	w->with_prefix_list = true;
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(r.inv->n_prefix_lists, 1);
	pl = sg_inventory_find_prefix_list(r.inv, "us-east-1", "pl-0shared");
	assert_non_null(pl);
	assert_true(pl->resolved);
	assert_int_equal(pl->n_entries, 2); /* two pages of entries */
	assert_true(sg_cidr_is_internet(&pl->entries[0]));
	sg_cidr_format(&pl->entries[1], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.0/24");
	assert_int_equal(cov(r.inv, "us-east-1")->prefix_lists, 1);
	assert_int_equal(calls("us-east-1 GetManagedPrefixListEntries"), 2);
	sg_inventory_free(r.inv);

	/* A prefix list that cannot be read leaves the region incomplete. */
	world_reset();
	w = add_region("us-east-1", "opt-in-not-required", 1, 2);
	w->with_prefix_list = true;
	w->pl_fault_status = 403;
	w->pl_fault_code = "UnauthorizedOperation";
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(cov(r.inv, "us-east-1")->state, SG_REGION_DENIED);
	assert_non_null(strstr(cov(r.inv, "us-east-1")->error_message, "(prefix list pl-0shared)"));
	assert_int_equal(cov(r.inv, "us-east-1")->groups, 2);
	pl = sg_inventory_find_prefix_list(r.inv, "us-east-1", "pl-0shared");
	assert_non_null(pl);
	assert_false(pl->resolved);
	sg_inventory_free(r.inv);
}

/* Interfaces that cannot be read leave attachment unknown, not the region incomplete. */
static void
network_interfaces_failure_is_not_coverage(void **state)
{
	struct wregion *w;
	struct run r;
	size_t i;
	(void)state;

	world_reset();
	w = add_region("us-east-1", "opt-in-not-required", 2, 2);
	w->eni_fault_status = 403;
	w->eni_fault_code = "UnauthorizedOperation";
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(cov(r.inv, "us-east-1")->state, SG_REGION_SCANNED);
	assert_true(sg_scan_complete(r.inv));
	assert_int_equal(r.inv->n_groups, 4);
	for (i = 0; i < r.inv->n_groups; i++)
		assert_int_equal(r.inv->groups[i].eni_count, -1);
	/* The coverage says why, by the AWS code, without changing the state. */
	assert_string_equal(cov(r.inv, "us-east-1")->attachments, "denied: UnauthorizedOperation");
	sg_inventory_free(r.inv);

	/* A server error is an error, not a denial. */
	world_reset();
	w = add_region("us-east-1", "opt-in-not-required", 2, 2);
	w->eni_fault_status = 400;
	w->eni_fault_code = "InvalidParameterValue";
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(cov(r.inv, "us-east-1")->state, SG_REGION_SCANNED);
	assert_string_equal(cov(r.inv, "us-east-1")->attachments, "error: InvalidParameterValue");
	sg_inventory_free(r.inv);
}

static void
describe_regions_failure(void **state)
{
	static const char *const names[] = { "eu-west-1" };
	struct run r;
	(void)state;

	/* All regions cannot be known: the scan stops, naming why. */
	world_reset();
	add_region("eu-west-1", "opt-in-not-required", 1, 1);
	W.regions_status = 403;
	W.regions_code = "UnauthorizedOperation";
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_EDENIED);
	assert_non_null(strstr(r.err.msg, "cannot list the account's regions (name them with "
	    "--regions R1,R2): us-east-1 ec2 DescribeRegions: UnauthorizedOperation"));
	assert_string_equal(r.err.aws_code, "UnauthorizedOperation");
	assert_int_equal(r.inv->n_regions, 0);
	sg_inventory_free(r.inv);

	/* Named regions are still scanned. */
	run_scan(&r, false, names, 1);
	assert_int_equal(r.st, SG_OK);
	assert_int_equal(cov(r.inv, "eu-west-1")->state, SG_REGION_SCANNED);
	sg_inventory_free(r.inv);

	/* Bad credentials stop everything. */
	W.regions_status = 401;
	W.regions_code = "AuthFailure";
	run_scan(&r, false, names, 1);
	assert_int_equal(r.st, SG_EAUTH);
	sg_inventory_free(r.inv);
}

/* An empty region list is an error, never a clean scan of nothing. */
static void
no_regions_listed_is_an_error(void **state)
{
	struct run r;
	(void)state;

	world_reset();
	add_region("cn-north-1", "opt-in-not-required", 1, 1); /* another partition only */
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_EAWS);
	assert_string_equal(r.err.msg, "us-east-1 DescribeRegions listed no region of partition "
	    "aws; nothing could be scanned");
	assert_int_equal(r.inv->n_regions, 0);
	sg_inventory_free(r.inv);
}

static void
identity_failure_stops_the_scan(void **state)
{
	struct run r;
	(void)state;

	world_reset();
	add_region("us-east-1", "opt-in-not-required", 1, 1);
	W.sts_status = 403;
	W.sts_code = "InvalidClientTokenId";
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_EAUTH);
	assert_non_null(strstr(r.err.msg, "GetCallerIdentity"));
	assert_int_equal(r.inv->n_regions, 0);
	sg_inventory_free(r.inv);
}

/* Many regions, many pages, few workers: nothing lost, nothing twice (run under ASan/TSan). */
static void
many_regions_concurrently(void **state)
{
	static const char *const names[] = { "us-east-1", "us-east-2", "us-west-1", "us-west-2",
		"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1" };
	struct run r;
	size_t i;
	(void)state;

	world_reset();
	for (i = 0; i < 8; i++) {
		struct wregion *w = add_region(names[i], "opt-in-not-required", 1 + (unsigned)i % 4, 25);
		w->with_prefix_list = i % 2 == 0;
	}
	run_scan(&r, true, NULL, 0);
	assert_int_equal(r.st, SG_OK);
	assert_true(sg_scan_complete(r.inv));
	assert_int_equal(r.inv->n_groups, 25 * (1 + 2 + 3 + 4) * 2);
	assert_int_equal(r.inv->n_prefix_lists, 4);
	for (i = 0; i < r.inv->n_prefix_lists; i++)
		assert_true(r.inv->prefix_lists[i].resolved);
	assert_int_equal(r.last.pages, (1 + 2 + 3 + 4) * 2);
	sg_inventory_free(r.inv);
}

static void
state_for_statuses(void **state)
{
	(void)state;
	assert_int_equal(sg_scan_state_for(SG_EDENIED, "UnauthorizedOperation"), SG_REGION_DENIED);
	assert_int_equal(sg_scan_state_for(SG_EAUTH, "AuthFailure"), SG_REGION_DENIED);
	assert_int_equal(sg_scan_state_for(SG_ETHROTTLED, "RequestLimitExceeded"),
	    SG_REGION_THROTTLED);
	assert_int_equal(sg_scan_state_for(SG_EPARSE, ""), SG_REGION_ERROR);
	assert_int_equal(sg_scan_state_for(SG_ENET, ""), SG_REGION_ERROR);
	assert_int_equal(sg_scan_state_for(SG_ELIMIT, ""), SG_REGION_ERROR);
	assert_int_equal(sg_scan_state_for(SG_EAWS, "InternalError"), SG_REGION_ERROR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_regions_scans_enabled_ones_and_pages_through),
		cmocka_unit_test(named_regions_are_checked_and_kept_in_order),
		cmocka_unit_test(default_region_only),
		cmocka_unit_test(faults_give_the_right_coverage),
		cmocka_unit_test(prefix_lists_resolved_across_pages),
		cmocka_unit_test(network_interfaces_failure_is_not_coverage),
		cmocka_unit_test(describe_regions_failure),
		cmocka_unit_test(no_regions_listed_is_an_error),
		cmocka_unit_test(identity_failure_stops_the_scan),
		cmocka_unit_test(many_regions_concurrently),
		cmocka_unit_test(state_for_statuses),
	};

	pthread_mutex_init(&W.lock, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
