/*
 * test_cloudtrail.c — CloudTrail scoring (default and seed-compatible),
 * log-file reading (gzip, S3 layout, dedupe), hostile input, NDJSON.
 *
 * The table `cases` is the list the issue asks for: every case where the
 * default mode and --seed-compatible differ carries the reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "sg_cloudtrail.h"
#include "sg_exposure.h"
#include "sg_util.h"

/* ---- harness ---------------------------------------------------------------------- */

struct got {
	char text[4096];      /* "risk/perm/action;..." (default) or "risk action ports" (seed) */
	char ndjson[16384];
	char warnings[8192];
	int n;
	int n_warn;
};

static enum sg_status
collect(void *ctx, const struct sg_ct_alert *a, struct sg_error *err)
{
	struct got *g = ctx;
	struct sg_buf b;
	size_t n = strlen(g->text);
	enum sg_status st;

	if (a->seed)
		snprintf(g->text + n, sizeof(g->text) - n, "%s%d %s %s|%s", g->n ? ";" : "", a->risk,
		    a->action, a->port_info, a->message);
	else
		snprintf(g->text + n, sizeof(g->text) - n, "%s%d/%d/%s", g->n ? ";" : "", a->risk,
		    a->perm_index, a->action);
	sg_buf_init(&b, 1 << 16);
	if ((st = sg_ct_alert_ndjson(a, &b, err)) != SG_OK)
		return st;
	n = strlen(g->ndjson);
	snprintf(g->ndjson + n, sizeof(g->ndjson) - n, "%s", b.data);
	sg_buf_dispose(&b);
	g->n++;
	return SG_OK;
}

static void
warned(void *ctx, const char *msg)
{
	struct got *g = ctx;
	size_t n = strlen(g->warnings);

	snprintf(g->warnings + n, sizeof(g->warnings) - n, "%s\n", msg);
	g->n_warn++;
}

static struct sg_exposure_params *params;

static int
setup(void **state)
{
	(void)state;
	params = malloc(sizeof(*params));
	sg_exposure_params_default(params);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(params);
	return 0;
}

static struct sg_ct_scan *
new_scan(struct got *g, bool seed, int min_risk)
{
	struct sg_ct_options o;
	struct sg_ct_scan *s = NULL;
	struct sg_error err;

	memset(g, 0, sizeof(*g));
	sg_err_init(&err);
	sg_ct_options_init(&o, params);
	o.seed_compatible = seed;
	o.min_risk = min_risk;
	o.emit = collect;
	o.warn = warned;
	o.ctx = g;
	assert_int_equal(sg_ct_scan_new(&s, &o, &err), SG_OK);
	return s;
}

/* A record in CloudTrail's shape with the given parts. */
static char *
record(const char *name, const char *error_code, const char *req, const char *resp,
       const char *id)
{
	static char buf[16384];

	snprintf(buf, sizeof(buf),
	    "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\","
	    "\"principalId\":\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111122223333:user/tester\","
	    "\"accountId\":\"111122223333\",\"accessKeyId\":\"AKIAEXAMPLE\",\"userName\":\"tester\"},"
	    "\"eventTime\":\"2024-05-01T12:00:00Z\",\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventName\":\"%s\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"198.51.100.7\","
	    "\"userAgent\":\"aws-cli/2\",%s%s%s\"requestParameters\":%s,\"responseElements\":%s,"
	    "\"requestID\":\"r-1\",\"eventID\":\"%s\",\"readOnly\":false,\"eventType\":\"AwsApiCall\","
	    "\"managementEvent\":true,\"recipientAccountId\":\"111122223333\"}",
	    name, error_code ? "\"errorCode\":\"" : "", error_code ? error_code : "",
	    error_code ? "\"," : "", req, resp ? resp : "null", id ? id : "ev-1");
	return buf;
}

static void
run_one(const char *json, bool seed, int min_risk, struct got *g)
{
	struct sg_ct_scan *s = new_scan(g, seed, min_risk);
	struct sg_error err;

	sg_err_init(&err);
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "test", &err), SG_OK);
	sg_ct_scan_free(s);
}

/* ---- the case table ------------------------------------------------------------------- */

#define PERM(proto, ports, ranges, v6, pl) \
	"{\"ipProtocol\":\"" proto "\"" ports ",\"groups\":{},\"ipRanges\":" ranges \
	",\"ipv6Ranges\":" v6 ",\"prefixListIds\":" pl "}"
#define PORTS(f, t) ",\"fromPort\":" #f ",\"toPort\":" #t
#define V4(c) "{\"items\":[{\"cidrIp\":\"" c "\"}]}"
#define V6(c) "{\"items\":[{\"cidrIpv6\":\"" c "\"}]}"
#define NONE "{}"
#define REQ(...) "{\"groupId\":\"sg-0123456789abcdef0\",\"ipPermissions\":{\"items\":[" \
	__VA_ARGS__ "]}}"
#define OKRESP "{\"requestId\":\"r-1\",\"_return\":true}"
#define MODIFY(rules) "{\"ModifySecurityGroupRulesRequest\":{\"GroupId\":\"sg-0123456789abcdef0\"," \
	"\"SecurityGroupRule\":" rules "}}"
#define MRULE(id, body) "{\"SecurityGroupRuleId\":\"" id "\",\"SecurityGroupRule\":" body ",\"tag\":1}"

struct ct_case {
	const char *name;
	const char *event;
	const char *error_code;
	const char *req;
	const char *resp;
	const char *want_default;  /* at --min-risk 0 */
	const char *want_seed;     /* "risk action ports" of the one seed alert, "" = none */
	const char *why;           /* why the modes differ; NULL when they agree */
};

static const struct ct_case cases[] = {
	/* Risk levels. */
	{ "all traffic -1 from 0.0.0.0/0", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("-1", "", V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "100/0/opened", "100 opened all ports", NULL },
	{ "tcp 0-65535", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(0, 65535), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "100/0/opened", "100 opened all ports", NULL },
	{ "udp 0-65535", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("udp", PORTS(0, 65535), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "100/0/opened", "100 opened all ports", NULL },
	{ "tcp 1-65535", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(1, 65535), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "100/0/opened", "90 opened port(s) 1-65535",
	  "every port of tcp is 1-65535 too (sg-semantics §1); the query knows only 0-65535 and "
	  "scores it as a sensitive range" },
	{ "tcp 22", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "90/0/opened", "90 opened port(s) 22-22", NULL },
	{ "tcp 20-30 holds 20..23", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(20, 30), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "90/0/opened", "90 opened port(s) 20-30", NULL },
	{ "tcp 3300-3310 holds 3306", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(3300, 3310), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "90/0/opened", "75 opened port(s) 3300-3310",
	  "the query tests only the range's ends and whether it spans 22 or 3389; the scorer "
	  "finds 3306 inside the range" },
	{ "tcp 8080 (EC2.19 list)", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(8080, 8080), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "90/0/opened", "75 opened port(s) 8080-8080",
	  "the catalogue is the seed list plus Security Hub EC2.19 (sg-semantics §4); 8080 is "
	  "only in EC2.19" },
	{ "tcp 8000 (no list)", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(8000, 8000), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "75/0/opened", "75 opened port(s) 8000-8000", NULL },
	{ "udp 22 from ::/0", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("udp", PORTS(22, 22), NONE, V6("::/0"), NONE)), OKRESP,
	  "90/0/opened", "90 opened port(s) 22-22", NULL },
	{ "tcp 3389 from ::/0", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(3389, 3389), NONE, V6("::/0"), NONE)), OKRESP,
	  "90/0/opened", "90 opened port(s) 3389-3389", NULL },
	{ "icmp all", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("icmp", PORTS(-1, -1), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "40/0/opened", "75 opened port(s) -1--1",
	  "ICMP type/code are not ports: the scorer gives ICMP 40 (low); the query treats it as a "
	  "port and scores 75" },
	{ "icmpv6 from ::/0", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("icmpv6", PORTS(128, 0), NONE, V6("::/0"), NONE)), OKRESP,
	  "40/0/opened", "75 opened port(s) 128-0",
	  "ICMPv6 echo (type 128) is not port 128..0; scored 40 as ICMP" },
	{ "gre (47)", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("47", "", V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "75/0/opened", "75 opened port(s) 0-0", NULL },
	{ "tcp 443 authorized port", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(443, 443), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "0/0/opened", "75 opened port(s) 443-443",
	  "tcp 80 and 443 are authorized internet ports (sg-semantics §3): info (0), shown only "
	  "with --min-risk 0" },
	/* Multi-permission and where 0.0.0.0/0 appears. */
	{ "second permission opens ssh", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(443, 443), V4("10.0.0.0/8"), NONE, NONE) ","
	      PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "90/1/opened", "75 opened port(s) 443-443",
	  "the query reads only the first permission (443 from 10/8) and pairs it with the "
	  "0.0.0.0/0 of the second; every permission is examined" },
	{ "three permissions, two exposed", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE) ","
	      PERM("tcp", PORTS(5432, 5432), V4("192.168.0.0/16"), NONE, NONE) ","
	      PERM("-1", "", NONE, V6("::/0"), NONE)), OKRESP,
	  "90/0/opened;100/2/opened", "90 opened port(s) 22-22",
	  "one alert per exposed permission; the query reports one per event (the first "
	  "permission's)" },
	{ "0.0.0.0/0 only in a description", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), "{\"items\":[{\"cidrIp\":\"10.0.0.0/8\",\"description\":"
	      "\"not 0.0.0.0/0 - office only\"}]}", NONE, NONE)), OKRESP,
	  "", "90 opened port(s) 22-22",
	  "the query finds 0.0.0.0/0 by substring anywhere in the raw record; CIDRs are parsed" },
	{ "::0/0 spelled differently", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), NONE, V6("::0/0"), NONE)), OKRESP,
	  "90/0/opened", "",
	  "::0/0 is the whole IPv6 internet once parsed; the substring '::/0' is not in it" },
	{ "0.0.0.0/1 + 128.0.0.0/1", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), "{\"items\":[{\"cidrIp\":\"0.0.0.0/1\"},"
	      "{\"cidrIp\":\"128.0.0.0/1\"}]}", NONE, NONE)), OKRESP,
	  "90/0/opened", "",
	  "two halves cover all of IPv4 (sg-semantics §2, effectively open); no '0.0.0.0/0' "
	  "substring" },
	{ "v4 and v6 in one permission", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(27017, 27017), V4("0.0.0.0/0"), V6("::/0"), NONE)), OKRESP,
	  "90/0/opened", "90 opened port(s) 27017-27017", NULL },
	{ "prefix list only", "AuthorizeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), NONE, NONE,
	      "{\"items\":[{\"prefixListId\":\"pl-0a1b2c3d4e5f6a7b8\"}]}")), OKRESP,
	  "0/0/opened", "",
	  "a prefix list cannot be resolved from the event: reported as info (contents unknown), "
	  "not scored" },
	{ "group reference only", "AuthorizeSecurityGroupIngress", NULL,
	  REQ("{\"ipProtocol\":\"-1\",\"groups\":{\"items\":[{\"groupId\":\"sg-0fff\"}]},"
	      "\"ipRanges\":{},\"ipv6Ranges\":{},\"prefixListIds\":{}}"), OKRESP,
	  "", "", NULL },
	{ "legacy flat form", "AuthorizeSecurityGroupIngress", NULL,
	  "{\"groupId\":\"sg-0123456789abcdef0\",\"ipProtocol\":\"tcp\",\"fromPort\":22,"
	  "\"toPort\":22,\"cidrIp\":\"0.0.0.0/0\"}", OKRESP,
	  "90/0/opened", "75 opened port(s) 0-0",
	  "the flat (legacy) request form has no ipPermissions, so the query sees no ports" },
	/* Egress. */
	{ "egress -1 to 0.0.0.0/0", "AuthorizeSecurityGroupEgress", NULL,
	  REQ(PERM("-1", "", V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "", "100 opened all ports",
	  "egress to the internet is not exposure to it (ingress and egress told apart)" },
	{ "revoke egress", "RevokeSecurityGroupEgress", NULL,
	  REQ(PERM("-1", "", V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "", "40 closed all ports",
	  "revoking an egress rule closes no internet exposure" },
	/* Revokes. */
	{ "revoke ingress ssh", "RevokeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP,
	  "40/0/closed", "40 closed port(s) 22-22", NULL },
	{ "revoke ingress of a private rule", "RevokeSecurityGroupIngress", NULL,
	  REQ(PERM("tcp", PORTS(22, 22), V4("10.0.0.0/8"), NONE, NONE)), OKRESP,
	  "", "", NULL },
	{ "revoke by rule id", "RevokeSecurityGroupIngress", NULL,
	  "{\"groupId\":\"sg-0123456789abcdef0\",\"securityGroupRuleIds\":{\"items\":["
	  "{\"securityGroupRuleId\":\"sgr-0aaa\"}]}}",
	  "{\"requestId\":\"r-1\",\"_return\":true,\"revokedSecurityGroupRuleSet\":{\"items\":["
	  "{\"groupId\":\"sg-0123456789abcdef0\",\"securityGroupRuleId\":\"sgr-0aaa\","
	  "\"isEgress\":false,\"ipProtocol\":\"tcp\",\"fromPort\":3389,\"toPort\":3389,"
	  "\"cidrIpv4\":\"0.0.0.0/0\"}]}}",
	  "40/0/closed", "40 closed port(s) 0-0", NULL },
	/* Failed and other events. */
	{ "failed (errorCode)", "AuthorizeSecurityGroupIngress", "Client.InvalidPermission.Duplicate",
	  REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), "null",
	  "", "", NULL },
	{ "dry run is a failure too", "AuthorizeSecurityGroupIngress", "Client.DryRunOperation",
	  REQ(PERM("-1", "", V4("0.0.0.0/0"), NONE, NONE)), "null", "", "", NULL },
	{ "create group, description with 0.0.0.0/0", "CreateSecurityGroup", NULL,
	  "{\"groupName\":\"open\",\"groupDescription\":\"allows 0.0.0.0/0 on 443\","
	  "\"vpcId\":\"vpc-1\"}", "{\"requestId\":\"r\",\"_return\":true,\"groupId\":\"sg-0new\"}",
	  "", "40 closed port(s) 0-0",
	  "CreateSecurityGroup carries no rules; the query matches the description and, as the "
	  "name lacks 'Authorize', calls it 'closed' with risk 40" },
	{ "not an SG event", "RunInstances", NULL,
	  "{\"instanceType\":\"t3.micro\",\"note\":\"0.0.0.0/0\"}", OKRESP, "", "", NULL },
	/* ModifySecurityGroupRules. */
	{ "modify: one rule opens ssh", "ModifySecurityGroupRules", NULL,
	  MODIFY(MRULE("sgr-1", "{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
	      "\"CidrIpv4\":\"0.0.0.0/0\",\"Description\":\"vendor\"}")),
	  "{\"ModifySecurityGroupRulesResponse\":{\"requestId\":\"r\",\"return\":true}}",
	  "90/0/opened", "40 closed port(s) 0-0",
	  "the query reads groupId/ipPermissions, which ModifySecurityGroupRules does not have, "
	  "and the name lacks 'Authorize': an SSH opening becomes 'closed', 40, on group unknown" },
	{ "modify: array, second rule all traffic v6", "ModifySecurityGroupRules", NULL,
	  MODIFY("[" MRULE("sgr-1", "{\"IpProtocol\":\"tcp\",\"FromPort\":3306,\"ToPort\":3306,"
	      "\"ReferencedGroupId\":\"sg-0a\"}") "," MRULE("sgr-2", "{\"IpProtocol\":\"-1\","
	      "\"CidrIpv6\":\"::/0\"}") "]"),
	  "{\"ModifySecurityGroupRulesResponse\":{\"requestId\":\"r\",\"return\":true}}",
	  "100/1/opened", "40 closed port(s) 0-0",
	  "the request's own shape is read; the query scores it as a 40 'closed'" },
	{ "modify: narrowed to a private range", "ModifySecurityGroupRules", NULL,
	  MODIFY(MRULE("sgr-1", "{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
	      "\"CidrIpv4\":\"10.1.0.0/16\"}")),
	  "{\"ModifySecurityGroupRulesResponse\":{\"requestId\":\"r\",\"return\":true}}",
	  "", "", NULL },
};

static void
case_table(void **state)
{
	size_t i, differ = 0;
	struct got g;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ct_case *c = &cases[i];
		const char *json = record(c->event, c->error_code, c->req, c->resp, "ev-1");
		char seed_text[4096];
		bool same_risk;

		run_one(json, false, 0, &g);
		if (strcmp(g.text, c->want_default) != 0) {
			print_error("case '%s' default: got '%s' want '%s' (warnings: %s)\n", c->name,
			    g.text, c->want_default, g.warnings);
			fail();
		}
		assert_int_equal(g.n_warn, 0);
		json = record(c->event, c->error_code, c->req, c->resp, "ev-1");
		run_one(json, true, 0, &g);
		/* Compare "risk action ports" (the part before '|', which is the message). */
		snprintf(seed_text, sizeof(seed_text), "%s", g.text);
		if (strchr(seed_text, '|'))
			*strchr(seed_text, '|') = '\0';
		if (strcmp(seed_text, c->want_seed) != 0) {
			print_error("case '%s' seed: got '%s' want '%s'\n", c->name, seed_text,
			    c->want_seed);
			fail();
		}
		/* A case without a reason must really agree: same risk (or both silent). */
		same_risk = (c->want_default[0] == '\0' && c->want_seed[0] == '\0') ||
		    (c->want_default[0] != '\0' && c->want_seed[0] != '\0' &&
		     atoi(c->want_default) == atoi(c->want_seed) && strchr(c->want_default, ';') == NULL);
		if (c->why == NULL && !same_risk) {
			print_error("case '%s' differs between modes but has no reason\n", c->name);
			fail();
		}
		if (c->why != NULL)
			differ++;
	}
	print_message("%zu cases, %zu where default and seed-compatible differ\n",
	    sizeof(cases) / sizeof(cases[0]), differ);
}

/* ---- details of alerts ------------------------------------------------------------------- */

static void
seed_message_and_labels(void **state)
{
	struct got g;
	const char *json;
	(void)state;

	json = record("ModifySecurityGroupRules", NULL,
	    MODIFY(MRULE("sgr-1", "{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
	        "\"CidrIpv4\":\"0.0.0.0/0\"}")), OKRESP, "ev-9");
	run_one(json, true, 1, &g);
	assert_non_null(strstr(g.text, "|Security group closed to internet: port(s) 0-0 on group "
	    "unknown"));
	assert_non_null(strstr(g.ndjson, "\"Security Group\":\"\""));
	assert_non_null(strstr(g.ndjson, "\"Protocol\":\"unknown\""));
	assert_non_null(strstr(g.ndjson, "\"network\":{\"protocol\":\"\"}"));
	assert_non_null(strstr(g.ndjson, "\"Severity\":\"LOW\""));
	assert_null(strstr(g.ndjson, "sg_audit"));
	assert_null(strstr(g.ndjson, "risk_score"));

	json = record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, "ev-9");
	run_one(json, false, 1, &g);
	assert_non_null(strstr(g.ndjson, "\"message\":\"Security group opened to internet: port(s) "
	    "22-22 on group sg-0123456789abcdef0\""));
	assert_non_null(strstr(g.ndjson, "\"event\":{\"start\":\"2024-05-01T12:00:00Z\","
	    "\"end\":\"2024-05-01T12:00:00Z\",\"id\":\"ev-9\",\"risk_score\":90}"));
	assert_non_null(strstr(g.ndjson, "\"sensitive_ports\":[22]"));
	assert_non_null(strstr(g.ndjson, "\"direction\":\"ingress\""));
}

/* The exact document for one seed alert: key order and every constant. */
static void
ndjson_golden_seed(void **state)
{
	struct got g;
	const char *json;
	static const char want[] =
	    "{\"timestamp\":\"2024-05-01T12:00:00Z\",\"event\":{\"start\":\"2024-05-01T12:00:00Z\","
	    "\"end\":\"2024-05-01T12:00:00Z\"},\"message\":\"Security group opened to internet: "
	    "port(s) 22-22 on group sg-0123456789abcdef0\",\"labels\":{\"Severity\":\"CRITICAL\","
	    "\"Account\":\"111122223333\",\"Security Group\":\"sg-0123456789abcdef0\",\"User\":"
	    "\"arn:aws:iam::111122223333:user/tester\",\"Source IP\":\"198.51.100.7\",\"Event\":"
	    "\"AuthorizeSecurityGroupIngress\",\"Region\":\"eu-west-1\",\"Protocol\":\"tcp\","
	    "\"Port Range\":\"port(s) 22-22\",\"Action\":\"opened\",\"Tactic\":\"Defense Evasion\","
	    "\"Technique\":\"T1562.007\"},\"host\":{\"name\":\"111122223333\"},\"user\":{\"name\":"
	    "\"arn:aws:iam::111122223333:user/tester\"},\"source\":{\"ip\":\"198.51.100.7\"},"
	    "\"cloud\":{\"region\":\"eu-west-1\",\"service\":{\"name\":\"ec2\"}},\"network\":"
	    "{\"protocol\":\"tcp\"},\"rule\":{\"name\":\"AWS EC2 Security Group Permissive Changes\","
	    "\"description\":\"Detects modifications to EC2 security groups that allow unrestricted "
	    "access from the internet (0.0.0.0/0), especially on sensitive ports commonly targeted "
	    "by attackers.\",\"mitre_tactics\":[\"Defense Evasion\",\"Initial Access\"],"
	    "\"mitre_techniques\":[\"T1562.007\"],\"severity\":\"critical\",\"references\":["
	    "\"https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-rules.html\","
	    "\"https://docs.aws.amazon.com/vpc/latest/userguide/VPC_SecurityGroups.html\"]}}\n";
	(void)state;

	json = record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, "ev-9");
	run_one(json, true, 1, &g);
	assert_string_equal(g.ndjson, want);
}

static void
ndjson_escapes_and_replaces_bad_utf8(void **state)
{
	struct sg_ct_alert a;
	struct sg_buf b;
	struct sg_error err;
	uint16_t none[1] = { 0 };
	(void)state;

	memset(&a, 0, sizeof(a));
	a.timestamp = a.event_id = a.event_name = a.account = a.source_ip = a.region = "";
	a.protocol = a.port_info = a.action = a.direction = a.sources = a.kind = a.origin = "";
	a.group = "sg-\"quoted\"\\";
	a.user = "bad\xff\xfe utf8 \xc3\xa9 ok \x1b[31m";
	a.message = "line\nbreak";
	a.sensitive_ports = none;
	sg_err_init(&err);
	sg_buf_init(&b, 1 << 16);
	assert_int_equal(sg_ct_alert_ndjson(&a, &b, &err), SG_OK);
	assert_non_null(strstr(b.data, "\"Security Group\":\"sg-\\\"quoted\\\"\\\\\""));
	assert_non_null(strstr(b.data, "\"User\":\"bad\xef\xbf\xbd\xef\xbf\xbd utf8 \xc3\xa9 ok "
	    "\\u001b[31m\""));
	assert_non_null(strstr(b.data, "\"message\":\"line\\nbreak\""));
	sg_buf_dispose(&b);
}

static void
default_fields_fallbacks(void **state)
{
	struct got g;
	/* AWS service caller: no arn, no accountId; the group owner is recipientAccountId. */
	static const char json[] =
	    "{\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"cloudformation.amazonaws.com\"},"
	    "\"eventTime\":\"2024-05-01T12:00:00Z\",\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventName\":\"AuthorizeSecurityGroupIngress\",\"awsRegion\":\"eu-west-1\","
	    "\"sourceIPAddress\":\"cloudformation.amazonaws.com\",\"requestParameters\":{"
	    "\"groupName\":\"legacy\",\"ipPermissions\":{\"items\":[{\"ipProtocol\":\"tcp\","
	    "\"fromPort\":6379,\"toPort\":6379,\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/0\"}]}}]}},"
	    "\"eventID\":\"svc-1\",\"recipientAccountId\":\"444455556666\"}";
	(void)state;

	run_one(json, false, 1, &g);
	assert_string_equal(g.text, "90/0/opened");
	assert_non_null(strstr(g.ndjson, "\"Account\":\"444455556666\""));
	assert_non_null(strstr(g.ndjson, "\"User\":\"cloudformation.amazonaws.com\""));
	assert_non_null(strstr(g.ndjson, "\"Security Group\":\"legacy\""));
	run_one(json, true, 1, &g);
	assert_non_null(strstr(g.ndjson, "\"Account\":\"\""));
	assert_non_null(strstr(g.ndjson, "\"User\":\"\""));
}

/* ModifySecurityGroupRules names a rule by id: an earlier Authorize response says its direction. */
static void
modify_direction_from_earlier_authorize(void **state)
{
	struct got g;
	struct sg_ct_scan *s = new_scan(&g, false, 1);
	struct sg_error err;
	char json[16384];
	const char *modify_rule = "{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22,"
	    "\"CidrIpv4\":\"0.0.0.0/0\"}";
	(void)state;

	sg_err_init(&err);
	/* An egress rule sgr-e and an ingress rule sgr-i are created (private sources: no alert). */
	snprintf(json, sizeof(json), "%s", record("AuthorizeSecurityGroupEgress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("10.0.0.0/8"), NONE, NONE)),
	    "{\"requestId\":\"r\",\"_return\":true,\"securityGroupRuleSet\":{\"items\":[{"
	    "\"securityGroupRuleId\":\"sgr-e\",\"isEgress\":true,\"ipProtocol\":\"tcp\"}]}}", "c1"));
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "t", &err), SG_OK);
	snprintf(json, sizeof(json), "%s", record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("10.0.0.0/8"), NONE, NONE)),
	    "{\"requestId\":\"r\",\"_return\":true,\"securityGroupRuleSet\":{\"items\":[{"
	    "\"securityGroupRuleId\":\"sgr-i\",\"isEgress\":false,\"ipProtocol\":\"tcp\"}]}}", "c2"));
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "t", &err), SG_OK);
	assert_int_equal(g.n, 0);
	/* Both are opened to the world, and a third rule nobody saw created. */
	{
		char req[4096];
		snprintf(req, sizeof(req), "{\"ModifySecurityGroupRulesRequest\":{\"GroupId\":\"sg-1\","
		    "\"SecurityGroupRule\":[{\"SecurityGroupRuleId\":\"sgr-e\",\"SecurityGroupRule\":%s},"
		    "{\"SecurityGroupRuleId\":\"sgr-i\",\"SecurityGroupRule\":%s},"
		    "{\"SecurityGroupRuleId\":\"sgr-x\",\"SecurityGroupRule\":%s}]}}",
		    modify_rule, modify_rule, modify_rule);
		snprintf(json, sizeof(json), "%s", record("ModifySecurityGroupRules", NULL, req,
		    OKRESP, "m1"));
	}
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "t", &err), SG_OK);
	assert_string_equal(g.text, "90/1/opened;90/2/opened");
	assert_non_null(strstr(g.ndjson, "\"direction\":\"ingress\""));
	assert_non_null(strstr(g.ndjson, "\"direction\":\"unknown\""));
	assert_null(strstr(g.ndjson, "\"direction\":\"egress\""));
	sg_ct_scan_free(s);
}

static void
min_risk_filters_and_counts(void **state)
{
	struct got g;
	struct sg_ct_scan *s = new_scan(&g, false, 75);
	struct sg_error err;
	const char *json;
	(void)state;

	sg_err_init(&err);
	json = record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("icmp", PORTS(-1, -1), V4("0.0.0.0/0"), NONE, NONE) ","
	        PERM("tcp", PORTS(9200, 9300), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, "a");
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "t", &err), SG_OK);
	assert_string_equal(g.text, "90/1/opened");
	assert_int_equal(sg_ct_scan_stats(s)->alerts, 1);
	assert_int_equal(sg_ct_scan_stats(s)->max_risk, 90);
	assert_false(sg_ct_scan_incomplete(s));
	sg_ct_scan_free(s);
}

static void
duplicates_dropped_across_calls(void **state)
{
	struct got g;
	struct sg_ct_scan *s = new_scan(&g, false, 1);
	struct sg_error err;
	char json[16384];
	int i;
	(void)state;

	sg_err_init(&err);
	for (i = 0; i < 3000; i++) {
		char id[32];
		snprintf(id, sizeof(id), "id-%d", i % 1500);
		snprintf(json, sizeof(json), "%s", record("AuthorizeSecurityGroupIngress", NULL,
		    REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, id));
		assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "t", &err), SG_OK);
	}
	assert_int_equal(sg_ct_scan_stats(s)->alerts, 1500);
	assert_int_equal(sg_ct_scan_stats(s)->duplicates, 1500);
	sg_ct_scan_free(s);
}

static void
filters_since_until_regions(void **state)
{
	struct got g;
	struct sg_ct_options o;
	struct sg_ct_scan *s;
	struct sg_error err;
	const char *regions[] = { "us-east-1" };
	const char *json;
	(void)state;

	memset(&g, 0, sizeof(g));
	sg_err_init(&err);
	sg_ct_options_init(&o, params);
	o.emit = collect;
	o.ctx = &g;
	assert_true(sg_ct_parse_time("2024-05-01T11:00:00Z", 0, &o.since));
	assert_true(sg_ct_parse_time("2024-05-01T13:00:00Z", 0, &o.until));
	o.regions = regions;
	o.n_regions = 1;
	assert_int_equal(sg_ct_scan_new(&s, &o, &err), SG_OK);
	json = record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, "x");
	/* record() says eu-west-1: filtered out. */
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "t", &err), SG_OK);
	assert_int_equal(sg_ct_scan_stats(s)->filtered, 1);
	assert_int_equal(g.n, 0);
	sg_ct_scan_free(s);
}

static void
parse_time_forms(void **state)
{
	time_t t, now = 1714608000;
	(void)state;

	assert_true(sg_ct_parse_time("24h", now, &t));
	assert_int_equal(t, now - 86400);
	assert_true(sg_ct_parse_time("7d", now, &t));
	assert_int_equal(t, now - 7 * 86400);
	assert_true(sg_ct_parse_time("90m", now, &t));
	assert_int_equal(t, now - 5400);
	assert_true(sg_ct_parse_time("now", now, &t));
	assert_int_equal(t, now);
	assert_true(sg_ct_parse_time("2024-05-01", now, &t));
	assert_int_equal(t, 1714521600);
	assert_true(sg_ct_parse_time("2024-05-01T12:00:00Z", now, &t));
	assert_int_equal(t, 1714564800);
	assert_true(sg_ct_parse_time("1714521600", now, &t));
	assert_int_equal(t, 1714521600);
	assert_false(sg_ct_parse_time("", now, &t));
	assert_false(sg_ct_parse_time("24x", now, &t));
	assert_false(sg_ct_parse_time("h", now, &t));
	assert_false(sg_ct_parse_time("-5h", now, &t));
	assert_false(sg_ct_parse_time("yesterday", now, &t));
}

/* ---- malformed records -------------------------------------------------------------------- */

static void
wrong_types_reported_and_skipped(void **state)
{
	static const struct {
		const char *req;
		const char *want;
	} bad[] = {
		{ REQ(PERM("tcp", ",\"fromPort\":\"22\",\"toPort\":22", V4("0.0.0.0/0"), NONE, NONE)),
		  "fromPort is not a whole number" },
		{ REQ(PERM("tcp", PORTS(22.5, 23), V4("0.0.0.0/0"), NONE, NONE)),
		  "fromPort is not a whole number" },
		{ REQ(PERM("tcp", PORTS(70000, 70000), V4("0.0.0.0/0"), NONE, NONE)), "70000" },
		{ REQ(PERM("tcp", PORTS(30, 20), V4("0.0.0.0/0"), NONE, NONE)), "permission 0" },
		{ "{\"groupId\":\"sg-1\",\"ipPermissions\":\"all\"}", "ipPermissions is not a list" },
		{ REQ(PERM("tcp", PORTS(22, 22), "{\"items\":[{\"cidrIp\":5}]}", NONE, NONE)),
		  "cidrIp is not a string" },
		{ REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/33"), NONE, NONE)),
		  "'0.0.0.0/33' is not an IPv4 CIDR" },
		{ REQ(PERM("tcp", PORTS(22, 22), V4("::/0"), NONE, NONE)), "is not an IPv4 CIDR" },
		{ REQ(PERM("bogus", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), "not a protocol" },
		{ "[1,2]", "requestParameters is not an object" },
		{ "\"x\"", "requestParameters is not an object" },
		{ REQ("7"), "permission 0 is not an object" },
	};
	struct got g;
	struct sg_ct_scan *s = new_scan(&g, false, 1);
	struct sg_error err;
	char json[16384];
	size_t i;
	(void)state;

	sg_err_init(&err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char id[16];
		snprintf(id, sizeof(id), "bad-%zu", i);
		snprintf(json, sizeof(json), "%s", record("AuthorizeSecurityGroupIngress", NULL,
		    bad[i].req, OKRESP, id));
		assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "f.json", &err), SG_OK);
		if (strstr(g.warnings, bad[i].want) == NULL || strstr(g.warnings, id) == NULL) {
			print_error("bad case %zu: want '%s' and '%s' in: %s\n", i, bad[i].want, id,
			    g.warnings);
			fail();
		}
		g.warnings[0] = '\0';
	}
	/* A good record after all that still scores. */
	snprintf(json, sizeof(json), "%s", record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, "good"));
	assert_int_equal(sg_ct_scan_record_json(s, json, strlen(json), "f.json", &err), SG_OK);
	assert_string_equal(g.text, "90/0/opened");
	assert_int_equal(sg_ct_scan_stats(s)->bad_records, sizeof(bad) / sizeof(bad[0]));
	assert_true(sg_ct_scan_incomplete(s));
	sg_ct_scan_free(s);
}

static void
top_level_wrong_types(void **state)
{
	static const char *const bad[] = {
		"[]", "\"just a string\"", "{\"eventName\":42}",
		"{\"eventName\":\"AuthorizeSecurityGroupIngress\",\"eventSource\":7}",
		"{\"eventName\":\"AuthorizeSecurityGroupIngress\",\"errorCode\":{}}",
		"{\"eventName\":\"AuthorizeSecurityGroupIngress\",\"eventID\":1}",
		"{\"eventName\":\"AuthorizeSecurityGroupIngress\",\"userIdentity\":\"root\"}",
		"{\"eventName\":\"AuthorizeSecurityGroupIngress\",\"awsRegion\":[1]}",
		"{\"eventName\":\"AuthorizeSecurityGroupIngress\",\"userIdentity\":{\"arn\":1}}",
		"{\"eventName\":", /* invalid JSON */
	};
	struct got g;
	struct sg_ct_scan *s = new_scan(&g, false, 1);
	struct sg_error err;
	size_t i;
	(void)state;

	sg_err_init(&err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sg_ct_scan_record_json(s, bad[i], strlen(bad[i]), "t", &err), SG_OK);
	assert_int_equal(sg_ct_scan_stats(s)->bad_records, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(g.n, 0);
	sg_ct_scan_free(s);

	/* The seed query's casts: the same records are silently null, not errors. */
	s = new_scan(&g, true, 1);
	for (i = 2; i < sizeof(bad) / sizeof(bad[0]) - 1; i++)
		assert_int_equal(sg_ct_scan_record_json(s, bad[i], strlen(bad[i]), "t", &err), SG_OK);
	assert_int_equal(sg_ct_scan_stats(s)->bad_records, 0);
	sg_ct_scan_free(s);
}

/* ---- log files --------------------------------------------------------------------------- */

static char tmpdir[256];

static const char *
shared_path(const char *rel, char *buf, size_t cap)
{
	const char *shared = getenv("SG_SHARED");
	snprintf(buf, cap, "%s/%s", shared ? shared : "../shared", rel);
	return buf;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
write_gz(const char *path, const void *data, size_t len)
{
	gzFile f = gzopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(gzwrite(f, data, (unsigned)len), (int)len);
	gzclose(f);
}

static char *
slurp(const char *path, size_t *len)
{
	struct sg_buf b;
	struct sg_error err;

	sg_err_init(&err);
	sg_buf_init(&b, 64 << 20);
	assert_int_equal(sg_file_read(path, &b, true, &err), SG_OK);
	return sg_buf_detach(&b, len);
}

static void
mk_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-ct-test-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void
rm_tmpdir(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
}

#define S3_SAMPLE "reference/samples/s3/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/" \
	"123456789012_CloudTrail_us-east-1_20240501T1235Z_Q2x7bT0a9Wf3kLmN.json.gz"

static void
sample_files_all_scored(void **state)
{
	static const struct {
		const char *rel;
		const char *want_default;  /* at --min-risk 0 */
		int seed_alerts;
	} samples[] = {
		{ "reference/samples/cloudtrail-log-authorize-ingress.json",
		  "90/0/opened;0/1/opened;0/1/opened", 2 },
		{ "reference/samples/cloudtrail-log-revoke.json", "40/0/closed", 2 },
		{ "reference/samples/cloudtrail-log-modify-sg-rules.json", "90/0/opened;100/1/opened", 2 },
		{ S3_SAMPLE, "90/0/opened;0/1/opened;0/1/opened;90/0/opened;100/1/opened;40/0/closed", 6 },
		{ "reference/samples/s3", "90/0/opened;0/1/opened;0/1/opened;90/0/opened;100/1/opened;"
		  "40/0/closed", 6 },
	};
	struct got g;
	struct sg_error err;
	char path[1024];
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		struct sg_ct_scan *s = new_scan(&g, false, 0);
		sg_err_init(&err);
		assert_int_equal(sg_ct_scan_path(s, shared_path(samples[i].rel, path, sizeof(path)),
		    &err), SG_OK);
		if (strcmp(g.text, samples[i].want_default) != 0) {
			print_error("%s: got %s want %s\n%s", samples[i].rel, g.text,
			    samples[i].want_default, g.warnings);
			fail();
		}
		assert_false(sg_ct_scan_incomplete(s));
		if (strstr(samples[i].rel, ".gz") || strstr(samples[i].rel, "/s3")) {
			assert_int_equal(sg_ct_scan_stats(s)->records, 11);
			assert_int_equal(sg_ct_scan_stats(s)->duplicates, 1);
			assert_int_equal(sg_ct_scan_stats(s)->failed, 1);
			assert_int_equal(sg_ct_scan_stats(s)->sg_events, 10);
		}
		sg_ct_scan_free(s);

		s = new_scan(&g, true, 0);
		assert_int_equal(sg_ct_scan_path(s, path, &err), SG_OK);
		assert_int_equal(g.n, samples[i].seed_alerts);
		sg_ct_scan_free(s);
	}
}

static void
lookup_sample_records_scored(void **state)
{
	/* The CloudTrailEvent strings of the LookupEvents sample, one by one. */
	struct got g;
	struct sg_ct_scan *s = new_scan(&g, false, 1);
	struct sg_error err;
	char path[1024];
	size_t len;
	char *body = slurp(shared_path("reference/samples/cloudtrail-lookup-events.json", path,
	    sizeof(path)), &len);
	/* Each "CloudTrailEvent" string, unescaped by hand (the sample escapes only quotes). */
	const char *p = body;
	int n = 0;
	(void)state;

	sg_err_init(&err);
	while ((p = strstr(p, "\"CloudTrailEvent\": \"")) != NULL) {
		char *rec = malloc(len), *o = rec;
		p += strlen("\"CloudTrailEvent\": \"");
		while (*p && *p != '"') {
			if (*p == '\\' && p[1]) {
				p++;
			}
			*o++ = *p++;
		}
		*o = '\0';
		assert_int_equal(sg_ct_scan_record_json(s, rec, strlen(rec), "lookup", &err), SG_OK);
		free(rec);
		n++;
	}
	assert_int_equal(n, 3);
	assert_string_equal(g.text, "90/0/opened;90/0/opened");
	assert_int_equal(sg_ct_scan_stats(s)->bad_records, 0);
	sg_ct_scan_free(s);
	free(body);
}

static char *
good_record(const char *id)
{
	return record("AuthorizeSecurityGroupIngress", NULL,
	    REQ(PERM("tcp", PORTS(22, 22), V4("0.0.0.0/0"), NONE, NONE)), OKRESP, id);
}

static void
truncated_gzip_keeps_earlier_records(void **state)
{
	struct got g;
	struct sg_ct_scan *s;
	struct sg_error err;
	char path[1024], *gzdata;
	struct sg_buf log;
	size_t len;
	int i;
	(void)state;

	mk_tmpdir();
	sg_err_init(&err);
	sg_buf_init(&log, 8 << 20);
	assert_int_equal(sg_buf_append_str(&log, "{\"Records\":[", &err), SG_OK);
	for (i = 0; i < 400; i++) {
		char id[32];
		snprintf(id, sizeof(id), "t-%04d", i);
		if (i)
			assert_int_equal(sg_buf_append_char(&log, ',', &err), SG_OK);
		assert_int_equal(sg_buf_append_str(&log, good_record(id), &err), SG_OK);
	}
	assert_int_equal(sg_buf_append_str(&log, "]}", &err), SG_OK);
	snprintf(path, sizeof(path), "%s/full.json.gz", tmpdir);
	write_gz(path, log.data, log.len);
	gzdata = slurp(path, &len);
	snprintf(path, sizeof(path), "%s/cut.json.gz", tmpdir);
	write_file(path, gzdata, len / 2);

	s = new_scan(&g, false, 1);
	assert_int_equal(sg_ct_scan_path(s, path, &err), SG_OK);
	assert_non_null(strstr(g.warnings, "cut.json.gz: truncated gzip stream"));
	assert_true(strstr(g.warnings, "the file ends inside the Records array") != NULL ||
	    strstr(g.warnings, "JSON ends before the record") != NULL);
	assert_true(g.n > 50 && g.n < 400);
	assert_int_equal(sg_ct_scan_stats(s)->bad_files, 1);
	assert_true(sg_ct_scan_incomplete(s));
	sg_ct_scan_free(s);

	/* The cap: a small buffer keeps what fits and says so. */
	{
		struct sg_buf b;
		uint64_t nread;
		snprintf(path, sizeof(path), "%s/full.json.gz", tmpdir);
		sg_buf_init(&b, 1000);
		sg_err_init(&err);
		assert_int_equal(sg_ct_read_file(path, &b, &nread, &err), SG_ELIMIT);
		assert_int_equal(b.len, 1000);
		assert_non_null(strstr(err.msg, "full.json.gz: more than 1000 bytes"));
		sg_buf_dispose(&b);
	}
	free(gzdata);
	sg_buf_dispose(&log);
	rm_tmpdir();
}

static void
multi_member_gzip(void **state)
{
	struct got g;
	struct sg_ct_scan *s;
	struct sg_error err;
	char path[1024], a[1024], b[1024];
	char *pa, *pb, *both;
	size_t la, lb;
	const char *part1 = "{\"Records\":[";
	char part2[20000];
	(void)state;

	mk_tmpdir();
	sg_err_init(&err);
	snprintf(part2, sizeof(part2), "%s]}", good_record("mm-1"));
	snprintf(a, sizeof(a), "%s/a.gz", tmpdir);
	snprintf(b, sizeof(b), "%s/b.gz", tmpdir);
	write_gz(a, part1, strlen(part1));
	write_gz(b, part2, strlen(part2));
	pa = slurp(a, &la);
	pb = slurp(b, &lb);
	both = malloc(la + lb);
	memcpy(both, pa, la);
	memcpy(both + la, pb, lb);
	snprintf(path, sizeof(path), "%s/both.json.gz", tmpdir);
	write_file(path, both, la + lb);
	s = new_scan(&g, false, 1);
	assert_int_equal(sg_ct_scan_path(s, path, &err), SG_OK);
	assert_string_equal(g.text, "90/0/opened");
	assert_false(sg_ct_scan_incomplete(s));
	sg_ct_scan_free(s);
	free(pa);
	free(pb);
	free(both);
	rm_tmpdir();
}

static void
hostile_records_in_one_file(void **state)
{
	struct got g;
	struct sg_ct_scan *s;
	struct sg_error err;
	struct sg_buf log;
	char path[1024];
	int i;
	(void)state;

	mk_tmpdir();
	sg_err_init(&err);
	sg_buf_init(&log, 64 << 20);
	assert_int_equal(sg_buf_appendf(&log, &err, "{\"Records\":[%s,", good_record("h-0")), SG_OK);
	/* record 1: nested 5000 deep */
	for (i = 0; i < 5000; i++)
		assert_int_equal(sg_buf_append_char(&log, '[', &err), SG_OK);
	for (i = 0; i < 5000; i++)
		assert_int_equal(sg_buf_append_char(&log, ']', &err), SG_OK);
	/* record 2: a 5 MiB string (over the record cap) */
	assert_int_equal(sg_buf_append_str(&log, ",{\"eventName\":\"x\",\"blob\":\"", &err), SG_OK);
	for (i = 0; i < 5 * 1024; i++)
		assert_int_equal(sg_buf_append(&log, "................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "................................................................................"
		    "..................................................", 1024, &err), SG_OK);
	assert_int_equal(sg_buf_append_str(&log, "\"},", &err), SG_OK);
	/* record 3: wrong types */
	assert_int_equal(sg_buf_appendf(&log, &err, "%s,", record("AuthorizeSecurityGroupIngress",
	    NULL, REQ(PERM("tcp", ",\"fromPort\":[22],\"toPort\":22", V4("0.0.0.0/0"), NONE, NONE)),
	    OKRESP, "h-3")), SG_OK);
	/* record 4: invalid JSON inside balanced braces */
	assert_int_equal(sg_buf_append_str(&log, "{\"eventName\": tru},", &err), SG_OK);
	/* record 5: a 1 MiB description is fine */
	assert_int_equal(sg_buf_append_str(&log, "{\"eventName\":\"AuthorizeSecurityGroupIngress\","
	    "\"eventID\":\"h-5\",\"requestParameters\":{\"groupId\":\"sg-1\",\"ipPermissions\":"
	    "{\"items\":[{\"ipProtocol\":\"-1\",\"ipRanges\":{\"items\":[{\"cidrIp\":\"0.0.0.0/0\","
	    "\"description\":\"", &err), SG_OK);
	for (i = 0; i < 1024 * 1024; i++)
		assert_int_equal(sg_buf_append_char(&log, 'd', &err), SG_OK);
	assert_int_equal(sg_buf_append_str(&log, "\"}]}}]}}},", &err), SG_OK);
	assert_int_equal(sg_buf_appendf(&log, &err, "%s]}", good_record("h-6")), SG_OK);
	snprintf(path, sizeof(path), "%s/hostile.json", tmpdir);
	write_file(path, log.data, log.len);

	s = new_scan(&g, false, 1);
	assert_int_equal(sg_ct_scan_path(s, path, &err), SG_OK);
	assert_string_equal(g.text, "90/0/opened;100/0/opened;90/0/opened");
	assert_non_null(strstr(g.warnings, "hostile.json: record 1: JSON nested deeper than 1000 "
	    "levels; record skipped"));
	assert_non_null(strstr(g.warnings, "hostile.json: record 2: 5"));
	assert_non_null(strstr(g.warnings, "over the 4194304-byte cap"));
	assert_non_null(strstr(g.warnings, "hostile.json record 3 (eventID h-3): permission 0: "
	    "fromPort is not a whole number"));
	assert_non_null(strstr(g.warnings, "hostile.json: record 4: invalid JSON at byte"));
	assert_int_equal(sg_ct_scan_stats(s)->records, 7);
	assert_int_equal(sg_ct_scan_stats(s)->bad_records, 4);
	assert_int_equal(sg_ct_scan_stats(s)->bad_files, 1);
	sg_ct_scan_free(s);

	/* Not a log file at all, a Records that is not an array, garbage after a record. */
	{
		static const char *const files[] = {
			"not json", "{\"Records\": {\"a\": 1}}", "{\"Other\": [1,2,{\"x\":[]}]}",
			"{\"Records\":[{\"eventName\":\"x\"} {\"eventName\":\"y\"}]}", "", "{\"Records\":[",
		};
		for (i = 0; i < 6; i++) {
			snprintf(path, sizeof(path), "%s/bad%d.json", tmpdir, i);
			write_file(path, files[i], strlen(files[i]));
			s = new_scan(&g, false, 1);
			assert_int_equal(sg_ct_scan_path(s, path, &err), SG_OK);
			assert_true(sg_ct_scan_incomplete(s));
			assert_non_null(strstr(g.warnings, path));
			sg_ct_scan_free(s);
		}
	}
	sg_buf_dispose(&log);
	rm_tmpdir();
}

static void
s3_layout_walk_order_and_skips(void **state)
{
	struct got g;
	struct sg_ct_scan *s;
	struct sg_error err;
	char path[2048], dir[1024], cmd[2048];
	static char body[40000];
	(void)state;

	mk_tmpdir();
	sg_err_init(&err);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01 "
	    "%s/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/02 "
	    "%s/AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01", tmpdir, tmpdir, tmpdir);
	assert_int_equal(system(cmd), 0);
	snprintf(dir, sizeof(dir), "%s/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05", tmpdir);
	/* Day 2 written first: the walk must still visit day 1 first (name order). */
	snprintf(body, sizeof(body), "{\"Records\":[%s]}", good_record("day2"));
	snprintf(path, sizeof(path), "%s/02/111122223333_CloudTrail_eu-west-1_20240502T0000Z_b.json.gz",
	    dir);
	write_gz(path, body, strlen(body));
	snprintf(body, sizeof(body), "{\"Records\":[%s,%s]}", good_record("day1"),
	    good_record("day2"));
	snprintf(path, sizeof(path), "%s/01/111122223333_CloudTrail_eu-west-1_20240501T0000Z_a.json",
	    dir);
	write_file(path, body, strlen(body));
	snprintf(path, sizeof(path), "%s/01/README.txt", dir);
	write_file(path, "ignored", 7);
	snprintf(body, sizeof(body), "{\"Records\":[%s]}", good_record("digest"));
	snprintf(path, sizeof(path), "%s/AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/"
	    "d.json.gz", tmpdir);
	write_gz(path, body, strlen(body));

	s = new_scan(&g, false, 1);
	assert_int_equal(sg_ct_scan_path(s, tmpdir, &err), SG_OK);
	assert_int_equal(sg_ct_scan_stats(s)->files, 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(sg_ct_scan_stats(s)->duplicates, 1);
	assert_non_null(strstr(g.ndjson, "\"id\":\"day1\""));
	assert_true(strstr(g.ndjson, "day1") < strstr(g.ndjson, "day2"));
	assert_null(strstr(g.ndjson, "digest"));
	assert_false(sg_ct_scan_incomplete(s));
	sg_ct_scan_free(s);

	/* A missing path is an error; an empty directory is incomplete. */
	s = new_scan(&g, false, 1);
	snprintf(path, sizeof(path), "%s/nope", tmpdir);
	assert_int_equal(sg_ct_scan_path(s, path, &err), SG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "nope"));
	snprintf(path, sizeof(path), "%s/AWSLogs/111122223333/CloudTrail-Digest", tmpdir);
	sg_err_init(&err);
	assert_int_equal(sg_ct_scan_path(s, path, &err), SG_OK); /* walked into: skipped tree */
	sg_ct_scan_free(s);
	rm_tmpdir();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(case_table),
		cmocka_unit_test(seed_message_and_labels),
		cmocka_unit_test(ndjson_golden_seed),
		cmocka_unit_test(ndjson_escapes_and_replaces_bad_utf8),
		cmocka_unit_test(default_fields_fallbacks),
		cmocka_unit_test(modify_direction_from_earlier_authorize),
		cmocka_unit_test(min_risk_filters_and_counts),
		cmocka_unit_test(duplicates_dropped_across_calls),
		cmocka_unit_test(filters_since_until_regions),
		cmocka_unit_test(parse_time_forms),
		cmocka_unit_test(wrong_types_reported_and_skipped),
		cmocka_unit_test(top_level_wrong_types),
		cmocka_unit_test(sample_files_all_scored),
		cmocka_unit_test(lookup_sample_records_scored),
		cmocka_unit_test(truncated_gzip_keeps_earlier_records),
		cmocka_unit_test(multi_member_gzip),
		cmocka_unit_test(hostile_records_in_one_file),
		cmocka_unit_test(s3_layout_walk_order_and_skips),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
