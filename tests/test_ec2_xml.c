/*
 * test_ec2_xml.c — the EC2 XML parsers: every DescribeSecurityGroups sample in
 * ../shared/reference/samples and fixtures/xml, normalization of every rule
 * kind, exact error messages, and hostile input (billion laughs, XXE, deep
 * nesting, a 100 MB page, invalid UTF-8, wrong root and namespace, unknown
 * and reordered elements) with bounded memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "sg_ec2.h"
#include "sg_inventory_json.h"
#include "sg_record.h"
#include "sg_util.h"

static char shared_dir[1024];
static char root_dir[1024];

static void
init_dirs(void)
{
	const char *s = getenv("SG_SHARED"), *r = getenv("SG_ROOT");

	snprintf(shared_dir, sizeof(shared_dir), "%s", s ? s : "../shared");
	snprintf(root_dir, sizeof(root_dir), "%s", r ? r : ".");
}

/* Read a file into a malloc'd buffer (test helper; fails the test if missing). */
static char *
slurp(const char *path, size_t *len)
{
	struct sg_buf b;
	struct sg_error err;
	char *s;

	sg_err_init(&err);
	sg_buf_init(&b, (size_t)128 << 20);
	if (sg_file_read(path, &b, true, &err) != SG_OK)
		fail_msg("%s", err.msg);
	s = sg_buf_detach(&b, len);
	assert_non_null(s);
	return s;
}

static char *
sample(const char *name, size_t *len)
{
	char path[1400];

	snprintf(path, sizeof(path), "%s/reference/samples/%s", shared_dir, name);
	return slurp(path, len);
}

static char *
fixture(const char *name, size_t *len)
{
	char path[1400];

	snprintf(path, sizeof(path), "%s/fixtures/xml/%s", root_dir, name);
	return slurp(path, len);
}

static const struct sg_ec2_where use1_p1 = { "us-east-1", 1, NULL, 0 };

/* Parse a whole text; returns the status, fills *inv (new) and the page. */
static enum sg_status
parse_text(const char *xml, struct sg_inventory **inv, struct sg_ec2_page *pg,
           struct sg_error *err, const struct sg_ec2_where *w)
{
	sg_err_init(err);
	*inv = sg_inventory_new();
	assert_non_null(*inv);
	return sg_ec2_parse_groups(pg, *inv, xml, strlen(xml), w ? w : &use1_p1, err);
}

static const struct sg_rule *
rule_at(const struct sg_group *g, size_t i)
{
	assert_true(i < g->n_rules);
	return &g->rules[i];
}

static void
cidr_is(const struct sg_rule *r, const char *text)
{
	char buf[SG_CIDR_TEXT_MAX];

	assert_true(r->source == SG_SRC_CIDR4 || r->source == SG_SRC_CIDR6);
	sg_cidr_format(&r->cidr, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

/* ---- samples ------------------------------------------------------------- */

static void
sample_page1_every_rule_kind(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	const struct sg_group *g;
	const struct sg_rule *r;
	size_t len;
	char *xml = sample("describe-security-groups.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err), SG_OK);
	assert_int_equal(pg.groups, 3);
	assert_int_equal(pg.permissions, 9);
	assert_int_equal(pg.rules, 13);
	assert_string_equal(pg.next_token,
	    "eyJ2IjoiMiIsImMiOiJ6cm9LbEVaWk1aT2JLbU1nQ2VJb0l3PT0iLCJzIjoiMSJ9");
	assert_string_equal(pg.request_id, "3f5a9c2e-7b1d-4e0a-9c61-2d8e5b7a1f04");
	assert_int_equal(inv->n_groups, 3);

	g = &inv->groups[0];
	assert_string_equal(g->group_id, "sg-0a1b2c3d4e5f60718");
	assert_string_equal(g->group_name, "web-public");
	assert_string_equal(g->description, "Public web tier");
	assert_string_equal(g->account_id, "123456789012");
	assert_string_equal(g->vpc_id, "vpc-0fedcba9876543210");
	assert_string_equal(g->region, "us-east-1");
	assert_string_equal(g->arn,
	    "arn:aws:ec2:us-east-1:123456789012:security-group/sg-0a1b2c3d4e5f60718");
	assert_int_equal(g->n_ingress_perms, 6);
	assert_int_equal(g->n_egress_perms, 1);
	assert_int_equal(g->n_rules, 11);
	assert_int_equal(g->n_tags, 2);
	assert_string_equal(g->tags[1].key, "owner");
	assert_string_equal(g->tags[1].value, "platform-team & friends"); /* &amp; decoded */

	r = rule_at(g, 0); /* tcp 22 from 0.0.0.0/0 with a description */
	assert_int_equal(r->direction, SG_INGRESS);
	assert_int_equal(r->protocol, SG_PROTO_TCP);
	assert_string_equal(r->protocol_raw, "tcp");
	assert_int_equal(r->from_port, 22);
	assert_int_equal(r->to_port, 22);
	assert_true(r->has_ports);
	cidr_is(r, "0.0.0.0/0");
	assert_string_equal(r->description, "temporary ssh - remove");
	assert_int_equal(r->perm_index, 0);
	r = rule_at(g, 1);
	cidr_is(r, "198.51.100.7/32");
	assert_null(r->description);
	assert_int_equal(r->perm_index, 0);
	r = rule_at(g, 3); /* ::/0 on 443 */
	assert_int_equal(r->source, SG_SRC_CIDR6);
	cidr_is(r, "::/0");
	assert_int_equal(r->perm_index, 1);
	r = rule_at(g, 4); /* same-account group pair */
	assert_int_equal(r->source, SG_SRC_GROUP);
	assert_string_equal(r->ref.user_id, "123456789012");
	assert_string_equal(r->ref.group_id, "sg-0123456789abcdef0");
	assert_string_equal(r->description, "from internal alb");
	assert_int_equal(r->from_port, 8080);
	assert_int_equal(r->to_port, 8090);
	r = rule_at(g, 5); /* cross-account peering pair */
	assert_string_equal(r->ref.user_id, "210987654321");
	assert_string_equal(r->ref.vpc_id, "vpc-0aa11bb22cc33dd44");
	assert_string_equal(r->ref.peering_id, "pcx-0123abcd4567ef890");
	assert_string_equal(r->ref.peering_status, "active");
	r = rule_at(g, 6); /* prefix list */
	assert_int_equal(r->source, SG_SRC_PREFIX_LIST);
	assert_string_equal(r->prefix_list_id, "pl-0a1b2c3d4e5f6a7b8");
	assert_string_equal(r->description, "corp office prefix list");
	r = rule_at(g, 7); /* icmp -1/-1: type and code, never ports */
	assert_int_equal(r->protocol, SG_PROTO_ICMP);
	assert_int_equal(r->from_port, -1);
	assert_int_equal(r->to_port, -1);
	assert_true(r->has_ports);
	assert_false(sg_rule_is_all_traffic(r));
	r = rule_at(g, 8); /* protocol "58" without ports = all of icmpv6 */
	assert_int_equal(r->protocol, SG_PROTO_ICMPV6);
	assert_string_equal(r->protocol_raw, "58");
	assert_false(r->has_ports);
	assert_int_equal(r->from_port, -1);
	cidr_is(r, "2001:db8::/32");
	r = rule_at(g, 9); /* egress -1 without ports: all traffic (DescribeSecurityGroups' encoding) */
	assert_int_equal(r->direction, SG_EGRESS);
	assert_int_equal(r->protocol, SG_PROTO_ALL);
	assert_false(r->has_ports);
	assert_true(sg_rule_is_all_traffic(r));
	cidr_is(r, "0.0.0.0/0");
	cidr_is(rule_at(g, 10), "::/0");

	g = &inv->groups[1]; /* default group: -1 from itself */
	assert_string_equal(g->group_name, "default");
	r = rule_at(g, 0);
	assert_int_equal(r->protocol, SG_PROTO_ALL);
	assert_string_equal(r->ref.group_id, "sg-0123456789abcdef0");
	assert_null(r->ref.peering_id);

	g = &inv->groups[2]; /* no rules, no tags */
	assert_int_equal(g->n_rules, 0);
	assert_int_equal(g->n_tags, 0);
	assert_null(g->tags);

	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);
	free(xml);
}

/* Every DescribeSecurityGroups sample parses, and pages accumulate in one inventory. */
static void
every_sample_parses_and_pages_accumulate(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	char pat[1400];
	glob_t gl;
	size_t i, total = 0;
	(void)state;

	snprintf(pat, sizeof(pat), "%s/reference/samples/describe-security-groups*.xml", shared_dir);
	assert_int_equal(glob(pat, 0, NULL, &gl), 0);
	assert_true(gl.gl_pathc >= 3);
	for (i = 0; i < gl.gl_pathc; i++) {
		struct sg_ec2_page pg;
		struct sg_error err;
		struct sg_ec2_where w = { "eu-west-1", (unsigned)i + 1, NULL, 0 };
		size_t len;
		char *xml = slurp(gl.gl_pathv[i], &len);

		sg_err_init(&err);
		if (sg_ec2_parse_groups(&pg, inv, xml, len, &w, &err) != SG_OK)
			fail_msg("%s: %s", gl.gl_pathv[i], err.msg);
		assert_true(pg.request_id[0] != '\0');
		total += pg.groups;
		sg_ec2_page_dispose(&pg);
		free(xml);
	}
	assert_int_equal(inv->n_groups, total);
	assert_int_equal(total, 4); /* 3 + 1 + 0 */
	globfree(&gl);
	sg_inventory_free(inv);
}

static void
empty_page_and_last_page_have_no_token(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	size_t len;
	char *xml = sample("describe-security-groups-empty.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err), SG_OK);
	assert_null(pg.next_token);
	assert_int_equal(pg.groups, 0);
	assert_int_equal(inv->n_groups, 0);
	sg_ec2_page_dispose(&pg);
	free(xml);
	xml = sample("describe-security-groups-last-page.xml", &len);
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err), SG_OK);
	assert_null(pg.next_token);
	assert_int_equal(inv->n_groups, 1);
	sg_ec2_page_dispose(&pg);
	free(xml);
	sg_inventory_free(inv);
}

/* ---- fixtures/xml -------------------------------------------------------- */

static void
unknown_and_reordered_elements_parse(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	const struct sg_group *g;
	const struct sg_rule *r;
	size_t len;
	char *xml = fixture("unknown-and-reordered.xml", &len);
	(void)state;

	sg_err_init(&err);
	if (sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_string_equal(pg.next_token, "tok-2");
	assert_string_equal(pg.request_id, "req-reordered");
	/* Items under unknown elements are neither groups nor rules. */
	assert_int_equal(inv->n_groups, 1);
	g = &inv->groups[0];
	assert_string_equal(g->group_id, "sg-0reordered0000001");
	assert_string_equal(g->description, "Reordered & extended <ok>");
	assert_int_equal(g->n_ingress_perms, 3);
	assert_int_equal(g->n_egress_perms, 1);
	assert_int_equal(g->n_rules, 5);
	/* Egress came first on the wire; ingress rules still come first. */
	r = rule_at(g, 0);
	assert_int_equal(r->direction, SG_INGRESS);
	assert_int_equal(r->source, SG_SRC_GROUP);
	assert_string_equal(r->ref.peering_status, "active");
	assert_string_equal(r->ref.user_id, "210987654321");
	assert_int_equal(r->from_port, 22); /* " 22 " trimmed, protocol read after the ports */
	assert_int_equal(r->to_port, 22);
	r = rule_at(g, 1);
	cidr_is(r, "0.0.0.0/0");
	assert_string_equal(r->description, "ssh");
	r = rule_at(g, 2); /* icmpv6 type 128 code 0 */
	assert_int_equal(r->protocol, SG_PROTO_ICMPV6);
	assert_int_equal(r->from_port, 128);
	assert_int_equal(r->to_port, 0);
	cidr_is(r, "2001:db8::/64"); /* host bits cleared, lower case */
	assert_true(r->cidr.had_host_bits);
	r = rule_at(g, 3); /* GRE (47): no ports, the whole protocol */
	assert_int_equal(r->protocol, 47);
	assert_int_equal(r->from_port, -1);
	assert_int_equal(r->source, SG_SRC_PREFIX_LIST);
	r = rule_at(g, 4);
	assert_int_equal(r->direction, SG_EGRESS);
	cidr_is(r, "10.1.0.0/16");
	assert_int_equal(g->n_tags, 3);
	assert_string_equal(g->tags[0].key, "cdata");
	assert_string_equal(g->tags[0].value, "a<b> & \"c\"");
	assert_string_equal(g->tags[1].value, "");
	assert_string_equal(g->tags[2].key, "caf\xc3\xa9 & \xe6\x9d\xb1\xe4\xba\xac");
	assert_string_equal(g->tags[2].value, "Z\xc3\xbcrich \xe2\x80\x93 \xf0\x9f\x9a\x80");
	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);
	free(xml);
}

struct bad_case {
	const char *file;
	enum sg_status status;
	const char *msg; /* substring of the message */
	size_t groups_kept;
};

static const struct bad_case bad_fixtures[] = {
	{ "billion-laughs.xml", SG_EPARSE,
	  "us-east-1 DescribeSecurityGroups page 1: a DOCTYPE with entity declarations is not allowed", 0 },
	{ "xxe-local-file.xml", SG_EPARSE, "DOCTYPE with entity declarations is not allowed", 0 },
	{ "doctype-no-entities.xml", SG_EPARSE, "a DOCTYPE is not allowed", 0 },
	{ "invalid-utf8.xml", SG_EPARSE, "malformed XML at line 5: Input is not proper UTF-8", 0 },
	{ "latin1-declared.xml", SG_EPARSE, "XML declares encoding 'ISO-8859-1'; EC2 responses are UTF-8", 0 },
	{ "wrong-namespace.xml", SG_EPARSE,
	  "root element is in namespace 'http://evil.example.com/doc/2016-11-15/', not EC2's", 0 },
	{ "wrong-root.xml", SG_EPARSE,
	  "root element <DescribeInstancesResponse> is not <DescribeSecurityGroupsResponse>", 0 },
	{ "truncated.xml", SG_EPARSE, "malformed XML at line 7", 1 },
	{ "bad-port.xml", SG_EPARSE,
	  "us-east-1 DescribeSecurityGroups page 1: <fromPort> 'x' is not a port number (line 12)", 0 },
};

static void
hostile_fixtures_fail_clearly(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad_fixtures) / sizeof(bad_fixtures[0]); i++) {
		const struct bad_case *bc = &bad_fixtures[i];
		struct sg_inventory *inv = sg_inventory_new();
		struct sg_ec2_page pg;
		struct sg_error err;
		size_t len;
		char *xml = fixture(bc->file, &len);

		sg_err_init(&err);
		assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err), bc->status);
		if (strstr(err.msg, bc->msg) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", bc->file, err.msg, bc->msg);
		assert_null(pg.next_token);
		assert_int_equal(inv->n_groups, bc->groups_kept);
		assert_int_equal(pg.groups, bc->groups_kept);
		/* Nothing from the file leaks into the message. */
		assert_null(strstr(err.msg, "root:x:"));
		assert_null(strstr(err.msg, "lollol"));
		sg_inventory_free(inv);
		free(xml);
	}
}

/* A complete group before the bad spot stays; the half-read one is dropped. */
static void
truncated_page_keeps_complete_groups(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	size_t len;
	char *xml = fixture("truncated.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err), SG_EPARSE);
	assert_int_equal(inv->n_groups, 1);
	assert_string_equal(inv->groups[0].group_id, "sg-0aaaaaaaaaaaaaaa1");
	sg_inventory_free(inv);
	free(xml);
}

/* ---- inline cases -------------------------------------------------------- */

#define HEAD "<DescribeSecurityGroupsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">" \
	"<securityGroupInfo><item><ownerId>1</ownerId><groupId>sg-1</groupId>"
#define TAIL "</item></securityGroupInfo></DescribeSecurityGroupsResponse>"
#define PERM(x) "<ipPermissions><item>" x "</item></ipPermissions>"
#define V4 "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>"

struct inline_case {
	const char *name;
	const char *xml;
	enum sg_status status;
	const char *msg; /* exact message, or NULL */
};

static const struct inline_case inline_cases[] = {
	{ "port not a number", HEAD PERM("<ipProtocol>tcp</ipProtocol><fromPort>x</fromPort>"
	  "<toPort>22</toPort>" V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <fromPort> 'x' is not a port number (line 1)" },
	{ "bad port on line 3", HEAD "\n" PERM("<ipProtocol>tcp</ipProtocol>\n<fromPort>x</fromPort>\n"
	  "<toPort>22</toPort>" V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <fromPort> 'x' is not a port number (line 3)" },
	{ "bad port split by a comment, line 3", HEAD "\n" PERM("<ipProtocol>tcp</ipProtocol>\n"
	  "<fromPort>2<!-- c -->x</fromPort>\n<toPort>22</toPort>" V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <fromPort> '2x' is not a port number (line 3)" },
	{ "port over 65535", HEAD PERM("<ipProtocol>tcp</ipProtocol><fromPort>1</fromPort>"
	  "<toPort>65536</toPort>" V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <toPort> '65536' is not a port number (line 1)" },
	{ "reversed tcp range", HEAD PERM("<ipProtocol>tcp</ipProtocol><fromPort>90</fromPort>"
	  "<toPort>80</toPort>" V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: port range 90-80 is not a valid tcp range (line 1)" },
	{ "icmp type out of range", HEAD PERM("<ipProtocol>icmp</ipProtocol><fromPort>300</fromPort>"
	  "<toPort>0</toPort>" V4) TAIL, SG_EPARSE, NULL },
	{ "bad protocol", HEAD PERM("<ipProtocol>tcpx</ipProtocol>" V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <ipProtocol> 'tcpx' is not a protocol (line 1)" },
	{ "protocol 256", HEAD PERM("<ipProtocol>256</ipProtocol>" V4) TAIL, SG_EPARSE, NULL },
	{ "missing protocol", HEAD PERM(V4) TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: an <ipPermissions> item has no <ipProtocol> (line 1)" },
	{ "only one port", HEAD PERM("<ipProtocol>tcp</ipProtocol><fromPort>22</fromPort>" V4) TAIL,
	  SG_EPARSE, NULL },
	{ "bad ipv4 cidr", HEAD PERM("<ipProtocol>tcp</ipProtocol>"
	  "<ipRanges><item><cidrIp>300.1.2.3/8</cidrIp></item></ipRanges>") TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <cidrIp> '300.1.2.3/8' is not an IPv4 CIDR (line 1)" },
	{ "ipv6 in cidrIp", HEAD PERM("<ipProtocol>tcp</ipProtocol>"
	  "<ipRanges><item><cidrIp>::/0</cidrIp></item></ipRanges>") TAIL, SG_EPARSE, NULL },
	{ "ipv4 in cidrIpv6", HEAD PERM("<ipProtocol>tcp</ipProtocol>"
	  "<ipv6Ranges><item><cidrIpv6>0.0.0.0/0</cidrIpv6></item></ipv6Ranges>") TAIL, SG_EPARSE, NULL },
	{ "cidr without prefix", HEAD PERM("<ipProtocol>tcp</ipProtocol>"
	  "<ipRanges><item><cidrIp>10.0.0.1</cidrIp></item></ipRanges>") TAIL, SG_EPARSE, NULL },
	{ "range without cidr", HEAD PERM("<ipProtocol>tcp</ipProtocol>"
	  "<ipRanges><item><description>x</description></item></ipRanges>") TAIL, SG_EPARSE, NULL },
	{ "pair without group id", HEAD PERM("<ipProtocol>-1</ipProtocol>"
	  "<groups><item><userId>1</userId></item></groups>") TAIL, SG_EPARSE, NULL },
	{ "group without id", "<DescribeSecurityGroupsResponse><securityGroupInfo><item>"
	  "<groupName>x</groupName></item></securityGroupInfo></DescribeSecurityGroupsResponse>",
	  SG_EPARSE, NULL },
	{ "duplicate groupId", HEAD "<groupId>sg-2</groupId>" TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: <groupId> appears twice in one object (line 1)" },
	{ "element inside a scalar", HEAD "<groupName><b>x</b></groupName>" TAIL, SG_EPARSE, NULL },
	{ "tag without key", HEAD "<tagSet><item><value>v</value></item></tagSet>" TAIL, SG_EPARSE,
	  NULL },
	{ "undefined entity", HEAD "<groupName>&bogus;</groupName>" TAIL, SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: malformed XML at line 1: Entity 'bogus' not defined" },
	{ "two roots", HEAD TAIL "<DescribeSecurityGroupsResponse/>", SG_EPARSE, NULL },
	{ "not xml", "{\"json\": true}", SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: the response is not XML (it does not start with '<')" },
	{ "empty", "", SG_EPARSE, "eu-west-1 DescribeSecurityGroups page 3: the response body is empty" },
	{ "error document", "<Response><Errors><Error><Code>AuthFailure</Code><Message>m</Message>"
	  "</Error></Errors><RequestID>r</RequestID></Response>", SG_EPARSE,
	  "eu-west-1 DescribeSecurityGroups page 3: the service sent an error document <Response> "
	  "where <DescribeSecurityGroupsResponse> was expected (line 1)" },
	{ "doctype after comment", "<!-- c --><!DOCTYPE x [<!ENTITY a 'b'>]>" HEAD TAIL, SG_EPARSE,
	  NULL },
	{ "utf-16 bom", "\xff\xfe<\0", SG_EPARSE, NULL },
	/* Accepted: */
	{ "no namespace", "<DescribeSecurityGroupsResponse><securityGroupInfo/>"
	  "</DescribeSecurityGroupsResponse>", SG_OK, NULL },
	{ "older EC2 namespace", "<DescribeSecurityGroupsResponse "
	  "xmlns=\"http://ec2.amazonaws.com/doc/2013-10-15/\"><securityGroupInfo/>"
	  "</DescribeSecurityGroupsResponse>", SG_OK, NULL },
	{ "utf-8 bom and declaration", "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>"
	  HEAD TAIL, SG_OK, NULL },
	{ "tcp -1/-1 = every port", HEAD PERM("<ipProtocol>tcp</ipProtocol><fromPort>-1</fromPort>"
	  "<toPort>-1</toPort>" V4) TAIL, SG_OK, NULL },
	{ "protocol name in capitals", HEAD PERM("<ipProtocol>TCP</ipProtocol>" V4) TAIL, SG_OK, NULL },
};

static void
inline_cases_table(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(inline_cases) / sizeof(inline_cases[0]); i++) {
		const struct inline_case *ic = &inline_cases[i];
		const struct sg_ec2_where w = { "eu-west-1", 3, NULL, 0 };
		struct sg_inventory *inv;
		struct sg_ec2_page pg;
		struct sg_error err;
		size_t len = strlen(ic->xml);
		enum sg_status st;

		if (strcmp(ic->name, "utf-16 bom") == 0)
			len = 4;
		sg_err_init(&err);
		inv = sg_inventory_new();
		st = sg_ec2_parse_groups(&pg, inv, ic->xml, len, &w, &err);
		if (st != ic->status)
			fail_msg("%s: status %s, expected %s (%s)", ic->name, sg_status_name(st),
			    sg_status_name(ic->status), err.msg);
		if (ic->msg != NULL && strcmp(err.msg, ic->msg) != 0)
			fail_msg("%s: message\n  '%s'\nexpected\n  '%s'", ic->name, err.msg, ic->msg);
		if (st != SG_OK && strncmp(err.msg, "eu-west-1 DescribeSecurityGroups page 3: ", 41) != 0)
			fail_msg("%s: message does not name the call: '%s'", ic->name, err.msg);
		if (st == SG_OK && strcmp(ic->name, "tcp -1/-1 = every port") == 0) {
			const struct sg_rule *r = &inv->groups[0].rules[0];
			assert_int_equal(r->from_port, 0);
			assert_int_equal(r->to_port, 65535);
			assert_int_equal(r->raw_from, -1);
			assert_true(sg_rule_is_all_traffic(r));
		}
		sg_ec2_page_dispose(&pg);
		sg_inventory_free(inv);
	}
}

/* ---- generated hostile input --------------------------------------------- */

static long
max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
deep_nesting_is_capped(void **state)
{
	const size_t depth = 10000;
	size_t cap = depth * 8 + 200, i, o = 0;
	char *xml = malloc(cap);
	struct sg_inventory *inv;
	struct sg_ec2_page pg;
	struct sg_error err;
	(void)state;

	assert_non_null(xml);
	o += (size_t)sprintf(xml + o, "<DescribeSecurityGroupsResponse>");
	for (i = 0; i < depth; i++)
		o += (size_t)sprintf(xml + o, "<a>");
	for (i = 0; i < depth; i++)
		o += (size_t)sprintf(xml + o, "</a>");
	o += (size_t)sprintf(xml + o, "</DescribeSecurityGroupsResponse>");
	assert_int_equal(parse_text(xml, &inv, &pg, &err, NULL), SG_ELIMIT);
	assert_string_equal(err.msg,
	    "us-east-1 DescribeSecurityGroups page 1: elements nested deeper than 64 (line 1)");
	sg_inventory_free(inv);
	/* The same depth inside known structure (nested <item>s) is capped too. */
	o = 0;
	o += (size_t)sprintf(xml + o, "<DescribeSecurityGroupsResponse><securityGroupInfo>");
	for (i = 0; i < depth; i++)
		o += (size_t)sprintf(xml + o, "<item>");
	assert_int_equal(parse_text(xml, &inv, &pg, &err, NULL), SG_ELIMIT);
	sg_inventory_free(inv);
	free(xml);
}

static void
long_text_is_capped(void **state)
{
	size_t n = SG_EC2_MAX_TEXT_BYTES + 10;
	char *xml = malloc(n + 400);
	struct sg_inventory *inv;
	struct sg_ec2_page pg;
	struct sg_error err;
	int o;
	(void)state;

	assert_non_null(xml);
	o = sprintf(xml, HEAD "<groupDescription>");
	memset(xml + o, 'd', n);
	strcpy(xml + (size_t)o + n, "</groupDescription>" TAIL);
	assert_int_equal(parse_text(xml, &inv, &pg, &err, NULL), SG_ELIMIT);
	assert_non_null(strstr(err.msg, "<groupDescription> text is longer than 65536 bytes"));
	sg_inventory_free(inv);
	/* Just under the cap is fine, and is kept whole. */
	memset(xml + o, 'd', SG_EC2_MAX_TEXT_BYTES);
	strcpy(xml + (size_t)o + SG_EC2_MAX_TEXT_BYTES, "</groupDescription>" TAIL);
	assert_int_equal(parse_text(xml, &inv, &pg, &err, NULL), SG_OK);
	assert_int_equal(strlen(inv->groups[0].description), SG_EC2_MAX_TEXT_BYTES);
	sg_inventory_free(inv);
	free(xml);
}

/* A generated page: a head, `n` bytes of groups, a tail; produced in chunks. */
struct gen {
	size_t want, done;
	unsigned long seq;
	char pend[512];
	size_t pend_len, pend_off;
	int phase; /* 0 head, 1 body, 2 tail, 3 end */
	bool padding; /* the body is unknown elements (skipped), not groups */
};

static long
gen_read(void *arg, char *buf, size_t cap)
{
	struct gen *g = arg;
	size_t k;

	if (g->pend_off == g->pend_len) {
		g->pend_off = 0;
		if (g->phase == 0) {
			g->pend_len = (size_t)snprintf(g->pend, sizeof(g->pend),
			    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			    "<DescribeSecurityGroupsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
			    "<requestId>big</requestId><securityGroupInfo>");
			g->phase = 1;
		} else if (g->phase == 1 && g->done < g->want && g->padding) {
			g->pend_len = (size_t)snprintf(g->pend, sizeof(g->pend),
			    "<futureField><item><groupId>sg-%017lx</groupId><ipPermissions><item>"
			    "<ipProtocol>-1</ipProtocol></item></ipPermissions></item></futureField>\n",
			    g->seq++);
		} else if (g->phase == 1 && g->done < g->want) {
			g->pend_len = (size_t)snprintf(g->pend, sizeof(g->pend),
			    "<item><ownerId>123456789012</ownerId><groupId>sg-%017lx</groupId>"
			    "<groupName>g%lu</groupName><groupDescription>generated</groupDescription>"
			    "<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort>%lu</fromPort>"
			    "<toPort>%lu</toPort><ipRanges><item><cidrIp>10.%lu.%lu.0/24</cidrIp></item>"
			    "</ipRanges></item></ipPermissions></item>\n", g->seq, g->seq,
			    g->seq % 65536, g->seq % 65536, (g->seq >> 8) & 255, g->seq & 255);
			g->seq++;
		} else if (g->phase <= 1) {
			g->pend_len = (size_t)snprintf(g->pend, sizeof(g->pend),
			    "</securityGroupInfo></DescribeSecurityGroupsResponse>\n");
			g->phase = 3;
		} else {
			return 0;
		}
	}
	k = g->pend_len - g->pend_off;
	if (k > cap)
		k = cap;
	memcpy(buf, g->pend + g->pend_off, k);
	g->pend_off += k;
	g->done += k;
	return (long)k;
}

/* A 100 MB page: refused at the 64 MiB cap while streaming, memory bounded. */
static void
hundred_megabyte_page_is_refused_in_bounded_memory(void **state)
{
	struct gen g;
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	struct sg_ec2_where w = { "us-east-1", 2, NULL, 0 };
	long before = max_rss_kb();
	char *big;
	(void)state;

	memset(&g, 0, sizeof(g));
	g.want = (size_t)100 << 20;
	if (getenv("SG_VALGRIND") != NULL) {
		/* valgrind is ~50x slower: the same mechanism at a tenth of the size */
		g.want = (size_t)10 << 20;
		w.max_page_bytes = (size_t)6 << 20;
	}
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_groups_stream(&pg, inv, gen_read, &g, &w, &err), SG_ELIMIT);
	if (w.max_page_bytes == 0) {
		assert_string_equal(err.msg, "us-east-1 DescribeSecurityGroups page 2: the response "
		    "is larger than 67108864 bytes");
		assert_true(g.done > SG_EC2_MAX_PAGE_BYTES);
		assert_true(g.done < SG_EC2_MAX_PAGE_BYTES + (1 << 20));
		/* The groups read before the cap are kept (about 330 bytes of XML each). */
		assert_true(inv->n_groups > 150000);
	}
	print_message("    100 MB page: stopped after %zu bytes, %zu groups kept, "
	    "max RSS grew %ld KiB\n", g.done, inv->n_groups, max_rss_kb() - before);
	sg_inventory_free(inv);

	/* In memory: refused from its length, before parsing. */
	big = malloc((size_t)100 << 20);
	assert_non_null(big);
	memcpy(big, "<DescribeSecurityGroupsResponse>", 32);
	inv = sg_inventory_new();
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, big, (size_t)100 << 20, &w, &err), SG_ELIMIT);
	assert_int_equal(inv->n_groups, 0);
	free(big);
	sg_inventory_free(inv);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

/*
 * Parser memory does not grow with the page: 60 MB of elements streamed
 * through the reader (skipped, so no records are kept) raise the peak RSS by
 * a few MiB, not by the page size. Runs first, while the peak is still low.
 */
static void
stream_memory_does_not_grow_with_page_size(void **state)
{
	struct sg_ec2_page pg;
	struct sg_error err;
	const struct sg_ec2_where w = { "us-east-1", 1, NULL, 0 };
	struct gen g;
	struct sg_inventory *inv;
	long before = max_rss_kb(), grew;
	(void)state;

	memset(&g, 0, sizeof(g));
	g.want = (size_t)60 << 20;
	if (getenv("SG_VALGRIND") != NULL)
		g.want = (size_t)6 << 20;
	g.padding = true;
	sg_err_init(&err);
	inv = sg_inventory_new();
	assert_int_equal(sg_ec2_parse_groups_stream(&pg, inv, gen_read, &g, &w, &err), SG_OK);
	assert_int_equal(inv->n_groups, 0);
	assert_true(pg.bytes > g.want);
	grew = max_rss_kb() - before;
	print_message("    60 MB streamed page: peak RSS grew %ld KiB\n", grew);
#ifndef UNDER_SANITIZER
	if (getenv("SG_VALGRIND") == NULL)
		assert_true(grew < 16 * 1024);
#endif
	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);

	/* And a page of real groups in the stream gives them all. */
	memset(&g, 0, sizeof(g));
	g.want = (size_t)4 << 20;
	inv = sg_inventory_new();
	assert_int_equal(sg_ec2_parse_groups_stream(&pg, inv, gen_read, &g, &w, &err), SG_OK);
	assert_true(inv->n_groups > 10000);
	assert_int_equal(pg.groups, inv->n_groups);
	assert_int_equal(pg.rules, inv->n_groups);
	assert_int_equal(pg.bytes, g.done);
	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);
}

/* The stream variant gives the same records as the memory one, even 1-7 bytes at a time. */
struct trickle {
	const char *p;
	size_t len, off;
	unsigned n;
	bool one; /* a byte a read */
};

static long
trickle_read(void *arg, char *buf, size_t cap)
{
	struct trickle *t = arg;
	size_t k = t->one ? 1 : 1 + (t->n++ % 7);

	if (k > cap)
		k = cap;
	if (k > t->len - t->off)
		k = t->len - t->off;
	memcpy(buf, t->p + t->off, k);
	t->off += k;
	return (long)k;
}

static void
stream_equals_memory(void **state)
{
	static const char *const files[] = { "describe-security-groups.xml",
		"describe-security-groups-last-page.xml", "describe-security-groups-empty.xml" };
	size_t i;
	(void)state;

	for (i = 0; i < 3; i++) {
		struct sg_inventory *a = sg_inventory_new(), *b = sg_inventory_new();
		struct sg_ec2_page pa, pb;
		struct sg_error err;
		struct trickle t;
		char *ja, *jb;
		size_t len;
		char *xml = sample(files[i], &len);

		sg_err_init(&err);
		assert_int_equal(sg_ec2_parse_groups(&pa, a, xml, len, &use1_p1, &err), SG_OK);
		memset(&t, 0, sizeof(t));
		t.p = xml;
		t.len = len;
		assert_int_equal(sg_ec2_parse_groups_stream(&pb, b, trickle_read, &t, &use1_p1, &err),
		    SG_OK);
		assert_int_equal(sg_inventory_to_json(&ja, a, false, &err), SG_OK);
		assert_int_equal(sg_inventory_to_json(&jb, b, false, &err), SG_OK);
		assert_string_equal(ja, jb);
		assert_int_equal(pa.bytes, pb.bytes);
		if (pa.next_token)
			assert_string_equal(pa.next_token, pb.next_token);
		else
			assert_null(pb.next_token);
		free(ja);
		free(jb);
		sg_ec2_page_dispose(&pa);
		sg_ec2_page_dispose(&pb);
		sg_inventory_free(a);
		sg_inventory_free(b);
		free(xml);
	}
}

/*
 * A scalar's value is the same whichever way the parser reads it: whole at
 * its start (one text node, the element already closed) or node by node (its
 * text split by a comment, or not yet parsed when the reader reaches it, as
 * when the page arrives a byte at a time).
 */
static void
scalar_shapes_read_alike(void **state)
{
	static const char xml[] =
	    "<DescribeSecurityGroupsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	    "<requestId>r-1</requestId><securityGroupInfo><item>"
	    "<ownerId>111122223333</ownerId><groupId>sg-1</groupId>"
	    "<groupName>web &amp; db</groupName>"
	    "<groupDescription>caf&#233; <!-- split -->tier</groupDescription>"
	    "<vpcId><![CDATA[vpc-<1>]]></vpcId>"
	    "<ipPermissions><item><ipProtocol>tcp</ipProtocol><fromPort> 22 </fromPort>"
	    "<toPort>2<!-- c -->2</toPort><groups/>"
	    "<ipRanges><item><cidrIp>10.0.0.1/8</cidrIp><description></description></item>"
	    "<item><description>last &lt;here&gt;</description><cidrIp>\n 192.0.2.0/24\n</cidrIp>"
	    "</item></ipRanges></item></ipPermissions>"
	    "<tagSet><item><key>k</key><value/></item><item><key>Name</key>"
	    "<value>end</value></item></tagSet></item></securityGroupInfo>"
	    "</DescribeSecurityGroupsResponse>";
	char *json[3];
	int way;
	(void)state;

	for (way = 0; way < 3; way++) {
		struct sg_inventory *inv = sg_inventory_new();
		struct sg_ec2_page pg;
		struct sg_error err;
		struct trickle t;
		const struct sg_group *g;

		sg_err_init(&err);
		memset(&t, 0, sizeof(t));
		t.p = xml;
		t.len = sizeof(xml) - 1;
		if (way == 0)
			assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, sizeof(xml) - 1, &use1_p1,
			    &err), SG_OK);
		else {
			t.one = way == 2; /* 1-7 bytes a read, or 1 */
			assert_int_equal(sg_ec2_parse_groups_stream(&pg, inv, trickle_read, &t,
			    &use1_p1, &err), SG_OK);
		}
		assert_int_equal(inv->n_groups, 1);
		g = &inv->groups[0];
		assert_string_equal(g->group_name, "web & db");
		assert_string_equal(g->description, "caf\xc3\xa9 tier");
		assert_string_equal(g->vpc_id, "vpc-<1>");
		assert_int_equal(g->n_rules, 2);
		assert_int_equal(g->rules[0].from_port, 22);
		assert_int_equal(g->rules[0].to_port, 22);
		assert_string_equal(g->rules[0].description, "");
		assert_int_equal(g->rules[0].cidr.prefix, 8);
		assert_int_equal(g->rules[0].cidr.addr[0], 10);
		assert_true(g->rules[0].cidr.had_host_bits);
		assert_string_equal(g->rules[1].description, "last <here>");
		assert_int_equal(g->rules[1].cidr.prefix, 24);
		assert_int_equal(g->rules[1].cidr.addr[0], 192);
		assert_int_equal(g->n_tags, 2);
		assert_string_equal(g->tags[0].value, "");
		assert_string_equal(g->tags[1].value, "end");
		assert_string_equal(pg.request_id, "r-1");
		assert_int_equal(sg_inventory_to_json(&json[way], inv, false, &err), SG_OK);
		if (way > 0)
			assert_string_equal(json[way], json[0]);
		sg_ec2_page_dispose(&pg);
		sg_inventory_free(inv);
	}
	for (way = 0; way < 3; way++)
		free(json[way]);
}

/*
 * What one DescribeSecurityGroups parse gave, as text: the status, and the
 * message on failure or the inventory JSON, request id and NextToken on
 * success. From memory (t NULL) or streamed through t.
 */
static char *
groups_outcome(const char *xml, size_t len, struct trickle *t)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_ec2_page pg;
	struct sg_error err;
	enum sg_status st;
	char *json = NULL, *out;
	size_t cap;

	assert_non_null(inv);
	sg_err_init(&err);
	if (t == NULL)
		st = sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err);
	else
		st = sg_ec2_parse_groups_stream(&pg, inv, trickle_read, t, &use1_p1, &err);
	if (st == SG_OK) {
		struct sg_error jerr;
		sg_err_init(&jerr);
		assert_int_equal(sg_inventory_to_json(&json, inv, false, &jerr), SG_OK);
	}
	cap = 1024 + (json ? strlen(json) : 0) + (pg.next_token ? strlen(pg.next_token) : 0);
	out = malloc(cap);
	assert_non_null(out);
	if (st == SG_OK)
		snprintf(out, cap, "ok\n%s\nrequest_id=%s\nnext_token=%s", json, pg.request_id,
		    pg.next_token ? pg.next_token : "(none)");
	else
		snprintf(out, cap, "status %d: %s", (int)st, err.msg);
	free(json);
	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);
	return out;
}

/* The same page from memory and a byte a read gives the same outcome. */
static void
memory_and_bytewise_agree(const char *what, const char *xml, size_t len)
{
	struct trickle t;
	char *a, *b;

	memset(&t, 0, sizeof(t));
	t.p = xml;
	t.len = len;
	t.one = true;
	a = groups_outcome(xml, len, NULL);
	b = groups_outcome(xml, len, &t);
	if (strcmp(a, b) != 0)
		fail_msg("%s: from memory:\n%s\na byte a read:\n%s", what, a, b);
	free(a);
	free(b);
}

/*
 * The prolog check judges nothing the next bytes could change: a byte order
 * mark, or a DOCTYPE's entity declarations, split across reads gives what
 * the whole page in memory gives (a BOM cut by a 1-byte read was "not XML").
 */
static void
prolog_split_across_reads(void **state)
{
	static const char *const pages[] = {
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<DescribeSecurityGroupsResponse><requestId>r-1</requestId>"
		"<securityGroupInfo/></DescribeSecurityGroupsResponse>",
		"\xEF\xBB\xBF<DescribeSecurityGroupsResponse><securityGroupInfo><item>"
		"<groupId>sg-1</groupId></item></securityGroupInfo></DescribeSecurityGroupsResponse>",
		"\xEF\xBB\xBF",
		"\xEF\xBB",
		"\xFF\xFE<\0a\0/\0>\0",
		"\xFE",
		"<!DOCTYPE x [\n  <!ENTITY a \"aaaaaaaaaa\">\n]>\n<DescribeSecurityGroupsResponse/>",
		"<!DOCTYPE x SYSTEM \"http://example.com/x.dtd\">\n<DescribeSecurityGroupsResponse/>",
	};
	static const size_t lens[] = { 0, 0, 3, 2, 8, 1, 0, 0 };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char what[32];
		snprintf(what, sizeof(what), "prolog case %zu", i);
		memory_and_bytewise_agree(what, pages[i], lens[i] ? lens[i] : strlen(pages[i]));
	}
}

/*
 * Every XML page in the shared samples and fixtures/xml, parsed as a
 * DescribeSecurityGroups page from memory and a byte at a time, gives the
 * same outcome: the records (as JSON), request id and NextToken when it
 * parses, the same error when it does not. From memory the parser is
 * mostly ahead of the reader (scalars take the whole-text path); a byte at
 * a time it never is (they are read node by node).
 */
static void
every_xml_file_reads_alike_from_memory_and_bytewise(void **state)
{
	static const char *const dirs[] = { "reference/samples", "fixtures/xml" };
	size_t d, i, files = 0;
	(void)state;

	for (d = 0; d < 2; d++) {
		char pat[1400];
		glob_t gl;

		snprintf(pat, sizeof(pat), "%s/%s/*.xml", d == 0 ? shared_dir : root_dir, dirs[d]);
		assert_int_equal(glob(pat, 0, NULL, &gl), 0);
		for (i = 0; i < gl.gl_pathc; i++) {
			size_t len;
			char *xml = slurp(gl.gl_pathv[i], &len);

			memory_and_bytewise_agree(gl.gl_pathv[i], xml, len);
			free(xml);
			files++;
		}
		globfree(&gl);
	}
	assert_true(files >= 30);
}

/* ---- DescribeRegions and GetManagedPrefixListEntries --------------------- */

static void
regions_all_sample(void **state)
{
	struct sg_ec2_region_list l;
	struct sg_error err;
	const struct sg_ec2_region *r;
	const struct sg_ec2_where w = { "us-east-1", 0, NULL, 0 };
	size_t len, i, enabled = 0, opted_in = 0;
	char *xml = sample("describe-regions-all.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_regions(&l, xml, len, &w, &err), SG_OK);
	assert_int_equal(l.n, 34);
	for (i = 0; i < l.n; i++) {
		enabled += l.items[i].enabled;
		opted_in += l.items[i].opt_in_status && strcmp(l.items[i].opt_in_status, "opted-in") == 0;
	}
	assert_int_equal(enabled, 20);
	assert_int_equal(opted_in, 3);
	r = sg_ec2_region_list_find(&l, "eu-south-2"); /* has a geographySet: skipped */
	assert_non_null(r);
	assert_true(r->enabled);
	assert_string_equal(r->endpoint, "ec2.eu-south-2.amazonaws.com");
	r = sg_ec2_region_list_find(&l, "ap-south-2");
	assert_false(r->enabled);
	assert_string_equal(r->opt_in_status, "not-opted-in");
	assert_null(sg_ec2_region_list_find(&l, "xx-nowhere-1"));
	sg_ec2_region_list_dispose(&l);
	free(xml);

	xml = sample("describe-regions-enabled.xml", &len);
	assert_int_equal(sg_ec2_parse_regions(&l, xml, len, &w, &err), SG_OK);
	assert_int_equal(l.n, 20);
	for (i = 0; i < l.n; i++)
		assert_true(l.items[i].enabled);
	sg_ec2_region_list_dispose(&l);
	free(xml);
}

static void
regions_errors(void **state)
{
	static const struct {
		const char *xml;
		const char *msg;
	} cases[] = {
		{ "<DescribeRegionsResponse><regionInfo><item><regionName>Bad_Region</regionName>"
		  "</item></regionInfo></DescribeRegionsResponse>",
		  "us-east-1 DescribeRegions: <regionName> 'Bad_Region' is not a region name (line 1)" },
		{ "<DescribeRegionsResponse><regionInfo><item><regionName>a-1</regionName></item>"
		  "<item><regionName>a-1</regionName></item></regionInfo></DescribeRegionsResponse>",
		  "us-east-1 DescribeRegions: region 'a-1' is listed twice (line 1)" },
		{ "<DescribeRegionsResponse><regionInfo><item><optInStatus>opted-in</optInStatus>"
		  "</item></regionInfo></DescribeRegionsResponse>",
		  "us-east-1 DescribeRegions: a <regionInfo> item has no <regionName> (line 1)" },
		{ "<DescribeSecurityGroupsResponse/>",
		  "us-east-1 DescribeRegions: root element <DescribeSecurityGroupsResponse> is not "
		  "<DescribeRegionsResponse> (line 1)" },
	};
	const struct sg_ec2_where w = { "us-east-1", 0, NULL, 0 };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_ec2_region_list l;
		struct sg_error err;

		sg_err_init(&err);
		assert_int_equal(sg_ec2_parse_regions(&l, cases[i].xml, strlen(cases[i].xml), &w, &err),
		    SG_EPARSE);
		assert_string_equal(err.msg, cases[i].msg);
		assert_int_equal(l.n, 0);
		assert_null(l.items);
	}
}

static void
prefix_list_entries_pages(void **state)
{
	static const char p1[] =
	    "<GetManagedPrefixListEntriesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	    "<requestId>r1</requestId><entrySet>"
	    "<item><cidr>198.51.100.0/24</cidr><description>HQ</description></item>"
	    "<item><description>reordered</description><cidr>0.0.0.0/0</cidr></item>"
	    "</entrySet><nextToken>n2</nextToken></GetManagedPrefixListEntriesResponse>";
	static const char p2[] =
	    "<GetManagedPrefixListEntriesResponse><entrySet><item><cidr>2001:db8::/32</cidr></item>"
	    "</entrySet></GetManagedPrefixListEntriesResponse>";
	static const char bad[] =
	    "<GetManagedPrefixListEntriesResponse><entrySet><item><cidr>nope</cidr></item>"
	    "</entrySet></GetManagedPrefixListEntriesResponse>";
	struct sg_prefix_list pl;
	struct sg_error err;
	const struct sg_ec2_where w1 = { "eu-west-1", 1, "pl-0abc", 0 };
	const struct sg_ec2_where w2 = { "eu-west-1", 2, "pl-0abc", 0 };
	char *next = NULL, buf[SG_CIDR_TEXT_MAX];
	(void)state;

	memset(&pl, 0, sizeof(pl));
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_prefix_list_entries(&next, &pl, p1, strlen(p1), &w1, &err),
	    SG_OK);
	assert_string_equal(next, "n2");
	free(next);
	assert_int_equal(pl.n_entries, 2);
	assert_true(sg_cidr_is_internet(&pl.entries[1]));
	assert_int_equal(sg_ec2_parse_prefix_list_entries(&next, &pl, p2, strlen(p2), &w2, &err),
	    SG_OK);
	assert_null(next);
	assert_int_equal(pl.n_entries, 3);
	sg_cidr_format(&pl.entries[2], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32");
	assert_int_equal(sg_ec2_parse_prefix_list_entries(&next, &pl, bad, strlen(bad), &w2, &err),
	    SG_EPARSE);
	assert_string_equal(err.msg, "eu-west-1 GetManagedPrefixListEntries pl-0abc page 2: "
	    "<cidr> 'nope' is not a CIDR (line 1)");
	assert_int_equal(pl.n_entries, 3); /* unchanged on failure */
	free(pl.entries);
}

static void
network_interfaces_page(void **state)
{
	static const char page[] =
	    "<DescribeNetworkInterfacesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
	    "<requestId>r</requestId><networkInterfaceSet>"
	    "<item><networkInterfaceId>eni-1</networkInterfaceId>"
	    "<attachment><groupSet><item><groupId>sg-not-this</groupId></item></groupSet></attachment>"
	    "<groupSet><item><groupId>sg-a</groupId><groupName>a</groupName></item>"
	    "<item><groupName>b</groupName><groupId>sg-b</groupId></item></groupSet>"
	    "<privateIpAddressesSet><item><privateIpAddress>10.0.0.1</privateIpAddress></item>"
	    "</privateIpAddressesSet></item>"
	    "<item><groupSet/><networkInterfaceId>eni-2</networkInterfaceId></item>"
	    "<item><groupSet><item><groupId>sg-a</groupId></item></groupSet></item>"
	    "</networkInterfaceSet><nextToken>n2</nextToken></DescribeNetworkInterfacesResponse>";
	static const char bad[] = "<DescribeNetworkInterfacesResponse><networkInterfaceSet><item>"
	    "<groupSet><item><groupName>x</groupName></item></groupSet></item></networkInterfaceSet>"
	    "</DescribeNetworkInterfacesResponse>";
	const struct sg_ec2_where w = { "eu-west-1", 2, NULL, 0 };
	struct sg_ec2_eni_page pg;
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, page, strlen(page), &w, &err), SG_OK);
	assert_int_equal(pg.interfaces, 3);
	/* Only the interface's own groupSet counts, not one nested elsewhere. */
	assert_int_equal(pg.n_group_ids, 3);
	assert_string_equal(pg.group_ids[0], "sg-a");
	assert_string_equal(pg.group_ids[1], "sg-b");
	assert_string_equal(pg.group_ids[2], "sg-a");
	assert_string_equal(pg.next_token, "n2");
	sg_ec2_eni_page_dispose(&pg);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, bad, strlen(bad), &w, &err), SG_EPARSE);
	assert_string_equal(err.msg, "eu-west-1 DescribeNetworkInterfaces page 2: a <groupSet> item "
	    "has no <groupId> (line 1)");
	assert_null(pg.group_ids);
	assert_int_equal(pg.n_group_ids, 0);
}

/* The fixture pages: AWS's shape, every other nested list skipped. */
static void
network_interfaces_fixtures(void **state)
{
	const struct sg_ec2_where w = { "eu-west-1", 1, NULL, 0 };
	struct sg_ec2_eni_page pg;
	struct sg_error err;
	size_t len;
	char *xml = fixture("describe-network-interfaces.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, len, &w, &err), SG_OK);
	assert_int_equal(pg.interfaces, 3);
	/* A <groupId> outside <groupSet>, and a tag keyed "groupId", are not groups. */
	assert_int_equal(pg.n_group_ids, 3);
	assert_string_equal(pg.group_ids[0], "sg-0a1b2c3d4e5f60001");
	assert_string_equal(pg.group_ids[1], "sg-0a1b2c3d4e5f60002");
	assert_string_equal(pg.group_ids[2], "sg-0a1b2c3d4e5f60001");
	assert_string_equal(pg.next_token, "eyJ2IjoyLCJjIjoiZW5pLTAifQ==");
	assert_string_equal(pg.request_id, "fc45294c-006b-457b-bab9-012f5b3b0e40");
	sg_ec2_eni_page_dispose(&pg);
	free(xml);

	xml = fixture("describe-network-interfaces-last-page.xml", &len);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, len, &w, &err), SG_OK);
	assert_int_equal(pg.interfaces, 1);
	assert_int_equal(pg.n_group_ids, 1);
	assert_string_equal(pg.group_ids[0], "sg-0a1b2c3d4e5f60003");
	assert_null(pg.next_token);
	sg_ec2_eni_page_dispose(&pg);
	free(xml);

	xml = fixture("describe-network-interfaces-empty.xml", &len);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, len, &w, &err), SG_OK);
	assert_int_equal(pg.interfaces, 0);
	assert_int_equal(pg.n_group_ids, 0);
	assert_null(pg.next_token);
	sg_ec2_eni_page_dispose(&pg);
	free(xml);
}

/*
 * Hostile or malformed DescribeNetworkInterfaces input: the same refusals as
 * the group pages (DOCTYPE, entities, encodings, namespaces, roots), and its
 * own (a group without an id, an id twice), each leaving the page empty.
 */
static void
network_interfaces_hostile(void **state)
{
	static const struct {
		const char *file;
		enum sg_status status;
		const char *msg;
	} cases[] = {
		{ "billion-laughs.xml", SG_EPARSE, "DOCTYPE" },
		{ "xxe-local-file.xml", SG_EPARSE, "DOCTYPE" },
		{ "doctype-no-entities.xml", SG_EPARSE, "DOCTYPE" },
		{ "invalid-utf8.xml", SG_EPARSE, "UTF-8" },
		{ "latin1-declared.xml", SG_EPARSE, "encoding" },
		{ "eni-wrong-namespace.xml", SG_EPARSE, "namespace" },
		/* A security-group page is not an interface page. */
		{ "unknown-and-reordered.xml", SG_EPARSE, "DescribeNetworkInterfacesResponse" },
		{ "eni-group-without-id.xml", SG_EPARSE,
		  "eu-west-1 DescribeNetworkInterfaces page 4: a <groupSet> item has no <groupId>" },
		{ "eni-duplicate-group-id.xml", SG_EPARSE, "<groupId> appears twice in one object" },
	};
	const struct sg_ec2_where w = { "eu-west-1", 4, NULL, 0 };
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_ec2_eni_page pg;
		struct sg_error err;
		size_t len;
		char *xml = fixture(cases[i].file, &len);

		sg_err_init(&err);
		assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, len, &w, &err),
		    cases[i].status);
		if (strstr(err.msg, cases[i].msg) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", cases[i].file, err.msg, cases[i].msg);
		assert_null(pg.group_ids);
		assert_int_equal(pg.n_group_ids, 0);
		assert_null(pg.next_token);
		assert_null(strstr(err.msg, "root:x:"));
		assert_null(strstr(err.msg, "lollol"));
		sg_ec2_eni_page_dispose(&pg);
		free(xml);
	}
}

/* Generated: deep nesting inside the interface list, a huge id, a page over the cap. */
static void
network_interfaces_caps(void **state)
{
	static const char head[] = "<DescribeNetworkInterfacesResponse><networkInterfaceSet><item>"
	    "<groupSet><item><groupId>";
	static const char tail[] = "</groupId></item></groupSet></item></networkInterfaceSet>"
	    "</DescribeNetworkInterfacesResponse>";
	const size_t depth = 10000, n = SG_EC2_MAX_TEXT_BYTES + 10;
	struct sg_ec2_where w = { "eu-west-1", 1, NULL, 0 };
	struct sg_ec2_eni_page pg;
	struct sg_error err;
	size_t o = 0, i;
	char *xml = malloc(depth * 8 + n + 400);
	(void)state;

	assert_non_null(xml);
	o += (size_t)sprintf(xml, "<DescribeNetworkInterfacesResponse><networkInterfaceSet>");
	for (i = 0; i < depth; i++)
		o += (size_t)sprintf(xml + o, "<item>");
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, o, &w, &err), SG_ELIMIT);
	assert_non_null(strstr(err.msg, "elements nested deeper than 64"));
	assert_int_equal(pg.n_group_ids, 0);

	o = (size_t)sprintf(xml, "%s", head);
	memset(xml + o, 'g', n);
	o += n;
	o += (size_t)sprintf(xml + o, "%s", tail);
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, o, &w, &err), SG_ELIMIT);
	if (strstr(err.msg, "<groupId> text is longer than 65536 bytes") == NULL)
		fail_msg("message: %s", err.msg);
	assert_null(pg.group_ids);

	/* A page over the caller's cap is refused before any of it is read. */
	o = (size_t)sprintf(xml, "%ssg-1%s", head, tail);
	w.max_page_bytes = o - 1;
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, o, &w, &err), SG_ELIMIT);
	assert_null(pg.group_ids);
	w.max_page_bytes = o;
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_network_interfaces(&pg, xml, o, &w, &err), SG_OK);
	assert_int_equal(pg.n_group_ids, 1);
	sg_ec2_eni_page_dispose(&pg);
	free(xml);
}

/* DescribeManagedPrefixLists: ids and names, in order; a name may be absent. */
static void
prefix_list_names(void **state)
{
	static const char no_id[] = "<DescribeManagedPrefixListsResponse><prefixListSet><item>"
	    "<prefixListName>x</prefixListName></item></prefixListSet>"
	    "</DescribeManagedPrefixListsResponse>";
	const struct sg_ec2_where w = { "eu-west-1", 1, NULL, 0 };
	struct sg_ec2_pl_names got;
	struct sg_error err;
	size_t len;
	char *xml = fixture("describe-managed-prefix-lists.xml", &len);
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_prefix_list_names(&got, xml, len, &w, &err), SG_OK);
	assert_int_equal(got.n, 3);
	assert_string_equal(got.items[0].id, "pl-0128e9e6dde46e46c");
	assert_string_equal(got.items[0].name, "open-world"); /* not the tag's "decoy" */
	assert_string_equal(got.items[1].id, "pl-6da54004");
	assert_string_equal(got.items[1].name, "com.amazonaws.eu-west-1.s3 & co");
	assert_string_equal(got.items[2].id, "pl-0000000000000000a");
	assert_null(got.items[2].name);
	assert_null(got.next_token);
	sg_ec2_pl_names_dispose(&got);
	free(xml);

	assert_int_equal(sg_ec2_parse_prefix_list_names(&got, no_id, strlen(no_id), &w, &err),
	    SG_EPARSE);
	assert_string_equal(err.msg, "eu-west-1 DescribeManagedPrefixLists page 1: a "
	    "<prefixListSet> item has no <prefixListId> (line 1)");
	assert_null(got.items);
	xml = fixture("billion-laughs.xml", &len);
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_prefix_list_names(&got, xml, len, &w, &err), SG_EPARSE);
	assert_null(got.items);
	free(xml);
	xml = fixture("describe-network-interfaces.xml", &len);
	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_prefix_list_names(&got, xml, len, &w, &err), SG_EPARSE);
	assert_null(got.items);
	free(xml);
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_has_records_and_icmp_is_not_ports(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_region_coverage *cov;
	struct sg_ec2_page pg;
	struct sg_error err;
	size_t len;
	char *xml = sample("describe-security-groups.xml", &len), *json;
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, xml, len, &use1_p1, &err), SG_OK);
	cov = sg_inventory_add_region(inv, "us-east-1");
	cov->state = SG_REGION_SCANNED;
	cov->groups = 3;
	cov->pages = 1;
	assert_int_equal(sg_inventory_to_json(&json, inv, false, &err), SG_OK);
	assert_non_null(strstr(json, "\"coverage\":[{\"region\":\"us-east-1\",\"state\":\"SCANNED\","
	    "\"groups\":3,\"rules\":0,\"pages\":1,\"prefix_lists\":0}]"));
	assert_non_null(strstr(json, "\"protocol\":\"icmp\",\"protocol_number\":1,"
	    "\"protocol_raw\":\"icmp\",\"all_traffic\":false,\"icmp_type\":-1,\"icmp_code\":-1,"
	    "\"ports_on_wire\":true,\"wire_from_port\":-1,\"wire_to_port\":-1,\"source\":\"ipv4\","
	    "\"cidr\":\"10.0.0.0/8\""));
	assert_non_null(strstr(json, "\"direction\":\"egress\",\"protocol\":\"all\","
	    "\"protocol_number\":-1,\"protocol_raw\":\"-1\",\"all_traffic\":true,"
	    "\"ports_on_wire\":false,\"source\":\"ipv4\",\"cidr\":\"0.0.0.0/0\""));
	assert_non_null(strstr(json, "\"group\":{\"user_id\":\"210987654321\",\"group_id\":"
	    "\"sg-0ffeeddccbbaa9988\",\"vpc_id\":\"vpc-0aa11bb22cc33dd44\",\"peering_id\":"
	    "\"pcx-0123abcd4567ef890\",\"peering_status\":\"active\"}"));
	assert_non_null(strstr(json, "{\"key\":\"owner\",\"value\":\"platform-team & friends\"}"));
	assert_int_equal(json[strlen(json) - 1], '\n');
	free(json);
	sg_ec2_page_dispose(&pg);
	sg_inventory_free(inv);
	free(xml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_memory_does_not_grow_with_page_size),
		cmocka_unit_test(sample_page1_every_rule_kind),
		cmocka_unit_test(every_sample_parses_and_pages_accumulate),
		cmocka_unit_test(empty_page_and_last_page_have_no_token),
		cmocka_unit_test(unknown_and_reordered_elements_parse),
		cmocka_unit_test(hostile_fixtures_fail_clearly),
		cmocka_unit_test(truncated_page_keeps_complete_groups),
		cmocka_unit_test(inline_cases_table),
		cmocka_unit_test(deep_nesting_is_capped),
		cmocka_unit_test(long_text_is_capped),
		cmocka_unit_test(hundred_megabyte_page_is_refused_in_bounded_memory),
		cmocka_unit_test(stream_equals_memory),
		cmocka_unit_test(scalar_shapes_read_alike),
		cmocka_unit_test(prolog_split_across_reads),
		cmocka_unit_test(every_xml_file_reads_alike_from_memory_and_bytewise),
		cmocka_unit_test(regions_all_sample),
		cmocka_unit_test(regions_errors),
		cmocka_unit_test(prefix_list_entries_pages),
		cmocka_unit_test(network_interfaces_page),
		cmocka_unit_test(network_interfaces_fixtures),
		cmocka_unit_test(network_interfaces_hostile),
		cmocka_unit_test(network_interfaces_caps),
		cmocka_unit_test(prefix_list_names),
		cmocka_unit_test(json_has_records_and_icmp_is_not_ports),
	};

	init_dirs();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
