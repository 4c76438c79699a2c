/*
 * test_policy.c — the policy engine: every policy's embedded tests, the
 * seventeen cases on the demo fixture account, the PCI verdict rules,
 * deterministic order, the loader's rejections, and each check kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cJSON.h>

#include "sg_check.h"
#include "sg_policy.h"
#include "sg_record_json.h"
#include "sg_util.h"
#include "sg_waiver.h"

static const char *
root(void)
{
	const char *r = getenv("SG_ROOT");
	return r ? r : ".";
}

static struct sg_policy_set *
load_policies(void)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_error err;
	char dir[1024];

	sg_err_init(&err);
	snprintf(dir, sizeof(dir), "%s/policies", root());
	assert_non_null(ps);
	if (sg_policy_set_load_dir(ps, dir, &err) != SG_OK)
		fail_msg("%s", err.msg);
	sg_policy_set_hash(ps);
	return ps;
}

static struct sg_inventory *
load_account(const char *name)
{
	struct sg_inventory *inv = NULL;
	struct sg_error err;
	struct sg_buf b;
	char path[1024];

	sg_err_init(&err);
	snprintf(path, sizeof(path), "%s/fixtures/accounts/%s", root(), name);
	sg_buf_init(&b, (size_t)64 << 20);
	if (sg_file_read(path, &b, false, &err) != SG_OK ||
	    sg_record_json_account(path, b.data, b.len, &inv, &err) != SG_OK)
		fail_msg("%s", err.msg);
	sg_buf_dispose(&b);
	return inv;
}

static struct sg_policy_result *
eval(const struct sg_inventory *inv, const struct sg_policy_set *ps,
     const struct sg_waiver_set *ws, const struct sg_policy_scope *scope)
{
	struct sg_policy_result *res = NULL;
	struct sg_error err;

	sg_err_init(&err);
	if (sg_policy_eval(inv, ps, ws, scope, 1767225600 /* 2026-01-01 */, &res, &err) != SG_OK)
		fail_msg("%s", err.msg);
	return res;
}

/* ---- every embedded test of every shipped policy ---- */

static void
print_failure(const struct sg_policy_test_outcome *o, void *ctx)
{
	(void)ctx;
	if (!o->passed)
		print_error("FAIL %s: %s: %s\n", o->policy_id, o->name, o->detail);
}

static void
embedded_tests_all_pass(void **state)
{
	struct sg_policy_set *ps = load_policies();
	struct sg_error err;
	size_t passed, failed;

	(void)state;
	sg_err_init(&err);
	assert_int_equal(sg_policy_run_tests(ps, print_failure, NULL, &passed, &failed, &err), SG_OK);
	assert_int_equal(failed, 0);
	assert_true(passed >= 60);
	sg_policy_set_free(ps);
}

/* ---- the seventeen cases on the demo fixture ---- */

struct case_row {
	int n;
	const char *group_id;
	const char *policy;
	const char *state;   /* expected state of the policy's finding; NULL = no finding */
	int risk;
	const char *sensitive; /* NULL = don't care */
};

#define EXP "AWS.SecurityGroup.InternetExposure"
#define SEED "AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic"
#define STRICT "AWS.SecurityGroup.StrictInterGroupTraffic"

static const struct case_row cases[] = {
	{ 1, "sg-0ca5e010000000000", EXP, "FAIL", 100, NULL },
	{ 2, "sg-0ca5e020000000000", EXP, "FAIL", 100, NULL },
	{ 3, "sg-0ca5e030000000000", EXP, "FAIL", 100, NULL },
	{ 4, "sg-0ca5e040000000000", EXP, "FAIL", 100, NULL },
	{ 5, "sg-0ca5e050000000000", EXP, "FAIL", 100, NULL },
	{ 6, "sg-0ca5e060000000000", EXP, "FAIL", 90, "20, 21, 22, 23, 25" },
	{ 7, "sg-0ca5e070000000000", EXP, "FAIL", 90, "22" },
	{ 8, "sg-0ca5e080000000000", EXP, "FAIL", 40, NULL },
	{ 9, "sg-0ca5e090000000000", EXP, "FAIL", 90, "22" },
	{ 10, "sg-0ca5e100000000000", EXP, "FAIL", 90, "22" },
	{ 11, "sg-0ca5e110000000000", EXP, "INFO", 0, NULL },
	{ 12, "sg-0ca5e120000000000", SEED, "FAIL", 25, NULL },
	{ 12, "sg-0ca5e120000000000", STRICT, "FAIL", 50, NULL },
	{ 13, "sg-0ca5e130000000000", SEED, NULL, 0, NULL },
	{ 13, "sg-0ca5e130000000000", STRICT, "FAIL", 50, NULL },
	{ 14, "sg-0ca5e140000000000", SEED, "FAIL", 25, NULL },
	{ 14, "sg-0ca5e140000000000", STRICT, "INFO", 0, NULL },
	{ 15, "sg-0ca5e150000000000", EXP, "FAIL", 90, "1433" },
	{ 16, "sg-0ca5e160000000000", EXP, "FAIL", 90, "22" },
	{ 17, "sg-0ca5e170000000000", EXP, "FAIL", 90, "3389" },
};

static void
seventeen_cases_on_demo(void **state)
{
	struct sg_policy_set *ps = load_policies();
	struct sg_inventory *inv = load_account("demo.json");
	struct sg_policy_result *res = eval(inv, ps, NULL, NULL);
	size_t c, i, seen[18] = { 0 };

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct case_row *k = &cases[c];
		size_t n = 0;
		for (i = 0; i < res->n_findings; i++) {
			const struct sg_finding *f = &res->findings[i];
			if (strcmp(f->group_id, k->group_id) != 0 || strcmp(f->policy_id, k->policy) != 0)
				continue;
			n++;
			if (k->state == NULL)
				fail_msg("case %d: %s: unexpected finding %s", k->n, k->policy, f->reason);
			if (strcmp(sg_finding_state_name(f->state), k->state) != 0 || f->risk != k->risk)
				fail_msg("case %d: %s: got %s %d, want %s %d (%s)", k->n, k->policy,
				    sg_finding_state_name(f->state), f->risk, k->state, k->risk, f->reason);
			if (k->sensitive != NULL)
				assert_string_equal(f->sensitive_ports, k->sensitive);
			if (k->n == 17)
				assert_string_equal(f->attachment, "not attached");
			if (k->n == 10)
				assert_non_null(strstr(f->source, "0.0.0.0/1 + 128.0.0.0/1"));
			if (k->n == 16)
				assert_non_null(strstr(f->source, "pl-0128e9e6dde46e46c"));
			if (k->n == 8)
				assert_string_equal(f->protocol_name, "icmp");
		}
		if (k->state != NULL && n != 1)
			fail_msg("case %d: %s: %zu findings, want 1", k->n, k->policy, n);
		seen[k->n]++;
	}
	for (c = 1; c <= 17; c++)
		assert_true(seen[c] > 0);
	/* Case 1: every catalogue port is listed as exposed too. */
	for (i = 0; i < res->n_findings; i++)
		if (strcmp(res->findings[i].group_id, "sg-0ca5e010000000000") == 0 &&
		    strcmp(res->findings[i].policy_id, EXP) == 0)
			assert_non_null(strstr(res->findings[i].sensitive_ports, "50070"));
	sg_policy_result_free(res);
	sg_inventory_free(inv);
	sg_policy_set_free(ps);
}

/* ---- PCI verdict rules ---- */

static void
pci_verdicts(void **state)
{
	struct sg_policy_set *ps = load_policies();
	struct sg_inventory *demo = load_account("demo.json");
	struct sg_inventory *clean = load_account("clean.json");
	struct sg_scope_tag tag = { "environment", "pci" };
	struct sg_policy_scope all = { NULL, 0, true }, named = { NULL, 0, false };
	struct sg_policy_scope pci_all = { &tag, 1, true };
	struct sg_policy_result *res;

	(void)state;
	res = eval(demo, ps, NULL, &all);
	assert_int_equal(res->pci.verdict, SG_PCIV_NOT_COMPLIANT);
	assert_true(res->pci.fail_findings > 0);
	assert_int_equal(res->pci.regions_incomplete, 0);
	sg_policy_result_free(res);

	/* Regions named explicitly: a not-opted-in region IS incomplete, and that wins. */
	res = eval(demo, ps, NULL, &named);
	assert_int_equal(res->pci.verdict, SG_PCIV_INCOMPLETE);
	assert_int_equal(res->pci.regions_incomplete, 2);
	assert_non_null(strstr(res->pci.reason, "NOT_OPTED_IN"));
	sg_policy_result_free(res);

	res = eval(clean, ps, NULL, &all);
	assert_int_equal(res->pci.verdict, SG_PCIV_COMPLIANT);
	assert_int_equal(res->n_fail, 0);
	sg_policy_result_free(res);

	res = eval(clean, ps, NULL, &pci_all);
	assert_int_equal(res->pci.verdict, SG_PCIV_COMPLIANT);
	assert_true(res->pci.groups_in_scope > 0);
	assert_true(res->pci.groups_in_scope < clean->n_groups);
	sg_policy_result_free(res);

	/* A region that was denied keeps the verdict from COMPLIANT. */
	clean->regions[0].state = SG_REGION_DENIED;
	res = eval(clean, ps, NULL, &all);
	assert_int_equal(res->pci.verdict, SG_PCIV_INCOMPLETE);
	sg_policy_result_free(res);
	clean->regions[0].state = SG_REGION_SCANNED;

	/* An unresolved prefix list is UNKNOWN: never a silent pass. */
	{
		size_t i;
		for (i = 0; i < demo->n_prefix_lists; i++)
			demo->prefix_lists[i].resolved = false;
		res = eval(demo, ps, NULL, &pci_all);
		assert_true(res->n_unknown > 0);
		sg_policy_result_free(res);
	}
	sg_inventory_free(demo);
	sg_inventory_free(clean);
	sg_policy_set_free(ps);
}

static void
unresolved_prefix_list_makes_incomplete(void **state)
{
	struct sg_policy_set *ps = load_policies();
	struct sg_inventory *clean = load_account("clean.json");
	struct sg_policy_scope all = { NULL, 0, true };
	struct sg_policy_result *res;
	struct sg_rule *r;

	(void)state;
	r = sg_group_add_rule(&clean->groups[1]);
	assert_non_null(r);
	r->direction = SG_INGRESS;
	r->protocol = SG_PROTO_TCP;
	r->has_ports = true;
	r->raw_from = r->raw_to = 22;
	assert_true(sg_rule_normalize(r, NULL));
	r->source = SG_SRC_PREFIX_LIST;
	r->prefix_list_id = sg_arena_strdup(&clean->strings, "pl-0notscanned");
	res = eval(clean, ps, NULL, &all);
	assert_int_equal(res->pci.verdict, SG_PCIV_INCOMPLETE);
	assert_int_equal(res->n_unknown, 1);
	assert_non_null(strstr(res->pci.reason, "prefix lists"));
	sg_policy_result_free(res);
	sg_inventory_free(clean);
	sg_policy_set_free(ps);
}

/* ---- order and purity ---- */

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static void
deterministic_order(void **state)
{
	struct sg_policy_set *ps = load_policies();
	struct sg_inventory *inv = load_account("demo.json");
	struct sg_policy_result *a, *b;
	size_t i;

	(void)state;
	a = eval(inv, ps, NULL, NULL);
	/* Reverse the inventory: the output must not change. */
	for (i = 0; i < inv->n_groups / 2; i++) {
		struct sg_group t = inv->groups[i];
		inv->groups[i] = inv->groups[inv->n_groups - 1 - i];
		inv->groups[inv->n_groups - 1 - i] = t;
	}
	b = eval(inv, ps, NULL, NULL);
	assert_int_equal(a->n_findings, b->n_findings);
	for (i = 0; i < a->n_findings; i++) {
		assert_string_equal(a->findings[i].group_id, b->findings[i].group_id);
		assert_string_equal(a->findings[i].rule_text, b->findings[i].rule_text);
		assert_string_equal(a->findings[i].reason, b->findings[i].reason);
	}
	for (i = 1; i < a->n_findings; i++) {
		const struct sg_finding *p = &a->findings[i - 1], *f = &a->findings[i];
		int c = cmp0(p->account_id, f->account_id);
		if (c == 0)
			c = cmp0(p->region, f->region);
		if (c == 0)
			c = cmp0(p->group_id, f->group_id);
		if (c == 0)
			c = cmp0(p->policy_id, f->policy_id);
		if (c == 0)
			c = (int)p->direction - (int)f->direction;
		if (c == 0)
			c = p->rule_index > f->rule_index ? 1 : 0;
		assert_true(c <= 0);
	}
	assert_int_equal(a->n_checks, inv->n_groups * a->policies_evaluated);
	sg_policy_result_free(a);
	sg_policy_result_free(b);
	sg_inventory_free(inv);
	sg_policy_set_free(ps);
}

/* ---- loader ---- */

static void
expect_reject(const char *json, const char *fragment)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_error err;

	sg_err_init(&err);
	assert_int_equal(sg_policy_set_load_buffer(ps, "p.json", json, strlen(json), &err),
	    SG_ECONFIG);
	if (strstr(err.msg, fragment) == NULL || strstr(err.msg, "p.json") == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, fragment);
	sg_policy_set_free(ps);
}

#define BASE "\"PolicyID\": \"T.X\", \"DisplayName\": \"x\", \"Severity\": \"High\", " \
	"\"Runbook\": \"fix\", \"Enabled\": true"

static void
loader_rejects(void **state)
{
	(void)state;
	expect_reject("{" BASE ", \"Check\": \"nope\"}", "unknown check 'nope'");
	expect_reject("{" BASE "}", "missing field 'Check'");
	expect_reject("{\"PolicyID\": 7, \"DisplayName\": \"x\"}", "field 'PolicyID' must be a string");
	expect_reject("{" BASE ", \"Check\": \"internet_exposure\", \"Parameters\": {\"Ports\": \"22\"}}",
	    "parameter 'Ports' must be an array");
	expect_reject("{" BASE ", \"Check\": \"wide_public_source\", \"Parameters\": {\"MaxPrefixV4\": 40}}",
	    "'MaxPrefixV4' must be an integer in 1..32");
	expect_reject("{" BASE ", \"Check\": \"inter_group_strict\", \"Parameters\": {\"SelfFails\": 1}}",
	    "'SelfFails' must be true or false");
	expect_reject("{" BASE ", \"Check\": \"internet_exposure\", \"Reports\": {\"SOX\": [\"1\"]}}",
	    "unknown framework 'SOX'");
	expect_reject("{" BASE ", \"Check\": \"internet_exposure\", \"Tests\": [{\"Name\": \"t\", "
	    "\"ExpectedResult\": true}]}", "Tests[1] ('t'): 'Resource' must be an object");
	expect_reject("[1, 2]", "holds one JSON object");
	expect_reject("{\"PolicyID\": \"bad id!\", " BASE "}", "duplicate field 'PolicyID'");
	expect_reject("{\"PolicyID\": \"bad id!\", \"DisplayName\": \"x\", \"Severity\": \"High\", "
	    "\"Runbook\": \"fix\", \"Enabled\": true, \"Check\": \"internet_exposure\"}",
	    "may only hold letters");
}

static void
loader_duplicates_and_replacement(void **state)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_error err;
	const char *a = "{" BASE ", \"Check\": \"internet_exposure\"}";
	const char *b = "{" BASE ", \"Check\": \"wide_public_source\"}";
	char h1[65];

	(void)state;
	sg_err_init(&err);
	ps->gen = 1;
	assert_int_equal(sg_policy_set_load_buffer(ps, "a.json", a, strlen(a), &err), SG_OK);
	sg_policy_set_hash(ps);
	memcpy(h1, ps->catalogue_sha256, sizeof(h1));
	/* Same load (directory): a duplicate id is an error naming both files. */
	assert_int_equal(sg_policy_set_load_buffer(ps, "b.json", b, strlen(b), &err), SG_ECONFIG);
	assert_non_null(strstr(err.msg, "b.json: duplicate PolicyID 'T.X' (already in a.json)"));
	/* A later load replaces it, and the catalogue hash changes. */
	sg_err_init(&err);
	ps->gen = 2;
	assert_int_equal(sg_policy_set_load_buffer(ps, "b.json", b, strlen(b), &err), SG_OK);
	assert_int_equal(ps->n, 1);
	assert_string_equal(ps->policies[0].check_name, "wide_public_source");
	sg_policy_set_hash(ps);
	assert_string_not_equal(h1, ps->catalogue_sha256);
	assert_non_null(sg_policy_set_find(ps, "T.X"));
	assert_null(sg_policy_set_find(ps, "T.Y"));
	sg_policy_set_free(ps);
}

/* ---- check kinds, one by one, on hand-built groups ---- */

static struct sg_policy_result *
eval_one(const char *check, const char *params, const char *group_json,
         const struct sg_policy_scope *scope)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_policy_result *res;
	struct sg_error err;
	char pol[2048];

	sg_err_init(&err);
	snprintf(pol, sizeof(pol), "{" BASE ", \"Check\": \"%s\", \"Reports\": {\"PCI\": [\"1.2.1\"]}%s%s}",
	    check, params ? ", \"Parameters\": " : "", params ? params : "");
	if (sg_policy_set_load_buffer(ps, "p.json", pol, strlen(pol), &err) != SG_OK ||
	    sg_record_json_groups("g.json", group_json, strlen(group_json), "us-east-1", inv,
	    &err) != SG_OK)
		fail_msg("%s", err.msg);
	res = eval(inv, ps, NULL, scope);
	sg_inventory_free(inv);
	sg_policy_set_free(ps);
	return res;
}

#define G(perms) "{\"GroupId\": \"sg-1\", \"GroupName\": \"g\", \"OwnerId\": \"111\", " \
	"\"VpcId\": \"vpc-1\", \"IpPermissions\": [" perms "], \"IpPermissionsEgress\": []}"

static void
check_seed_ignores_protocol(void **state)
{
	struct sg_policy_result *r;

	(void)state;
	r = eval_one("inter_group_seed", NULL, G("{\"IpProtocol\": \"-1\", \"FromPort\": 80, "
	    "\"ToPort\": 80, \"UserIdGroupPairs\": [{\"UserId\": \"111\", \"GroupId\": \"sg-2\"}]}"), NULL);
	assert_int_equal(r->n_findings, 0);
	assert_int_equal(r->checks[0].verdict, SG_VERDICT_PASS);
	sg_policy_result_free(r);
	r = eval_one("inter_group_seed", NULL, G("{\"IpProtocol\": \"udp\", \"FromPort\": 0, "
	    "\"ToPort\": 65535, \"UserIdGroupPairs\": [{\"UserId\": \"111\", \"GroupId\": \"sg-2\"}]}"), NULL);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->checks[0].verdict, SG_VERDICT_FAIL);
	sg_policy_result_free(r);
}

static void
check_exposure_custom_ports(void **state)
{
	struct sg_policy_result *r;

	(void)state;
	r = eval_one("internet_exposure", "{\"Ports\": [\"9200-9300\"], \"UsePolicySeverity\": true}",
	    G("{\"IpProtocol\": \"tcp\", \"FromPort\": 9250, \"ToPort\": 9250, \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]},"
	      "{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22, \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}"), NULL);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].severity, SG_SEV_HIGH);
	assert_int_equal(r->findings[0].risk, 75);
	assert_string_equal(r->findings[0].ports, "9250");
	sg_policy_result_free(r);
}

static void
check_exposure_icmp_type_is_not_a_port(void **state)
{
	struct sg_policy_result *r;

	(void)state;
	/* icmp type 22 code 0: never "port 22". */
	r = eval_one("internet_exposure", NULL,
	    G("{\"IpProtocol\": \"icmp\", \"FromPort\": 22, \"ToPort\": 0, \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}"), NULL);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].risk, 40);
	assert_null(r->findings[0].sensitive_ports);
	assert_string_equal(r->findings[0].ports, "type 22 code 0");
	sg_policy_result_free(r);
}

static void
check_default_group_and_egress(void **state)
{
	struct sg_scope_tag tag = { "env", "pci" };
	struct sg_policy_scope scope = { &tag, 1, false };
	struct sg_policy_result *r;
	const char *g = "{\"GroupId\": \"sg-1\", \"GroupName\": \"default\", \"OwnerId\": \"111\", "
	    "\"Tags\": [{\"Key\": \"env\", \"Value\": \"pci\"}], \"IpPermissions\": [], "
	    "\"IpPermissionsEgress\": [{\"IpProtocol\": \"-1\", \"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}]}]}";

	(void)state;
	r = eval_one("default_group_restricts_all", NULL, g, NULL);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].direction, SG_EGRESS);
	sg_policy_result_free(r);
	r = eval_one("unrestricted_egress", NULL, g, &scope);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].state, SG_FINDING_FAIL);
	assert_true(r->findings[0].in_scope);
	sg_policy_result_free(r);
	r = eval_one("unrestricted_egress", NULL, g, NULL);
	assert_int_equal(r->findings[0].state, SG_FINDING_INFO);
	assert_int_equal(r->pci.verdict, SG_PCIV_COMPLIANT);
	sg_policy_result_free(r);
}

static void
check_wide_public_threshold(void **state)
{
	struct sg_policy_result *r;

	(void)state;
	r = eval_one("wide_public_source", "{\"MaxPrefixV4\": 16}",
	    G("{\"IpProtocol\": \"tcp\", \"FromPort\": 1, \"ToPort\": 1, \"IpRanges\": [{\"CidrIp\": \"3.0.0.0/12\"}, {\"CidrIp\": \"3.0.0.0/16\"}, {\"CidrIp\": \"172.16.0.0/12\"}]}"), NULL);
	assert_int_equal(r->n_findings, 1);
	assert_string_equal(r->findings[0].source, "3.0.0.0/12");
	sg_policy_result_free(r);
}

static void
scope_tag_parse(void **state)
{
	char a[] = "environment=pci", b[] = "novalue", c[] = "=x", d[] = "k=";
	struct sg_scope_tag t;

	(void)state;
	assert_true(sg_scope_tag_parse(a, &t));
	assert_string_equal(t.key, "environment");
	assert_string_equal(t.value, "pci");
	assert_false(sg_scope_tag_parse(b, &t));
	assert_false(sg_scope_tag_parse(c, &t));
	assert_true(sg_scope_tag_parse(d, &t));
	assert_string_equal(t.value, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(embedded_tests_all_pass),
		cmocka_unit_test(seventeen_cases_on_demo),
		cmocka_unit_test(pci_verdicts),
		cmocka_unit_test(unresolved_prefix_list_makes_incomplete),
		cmocka_unit_test(deterministic_order),
		cmocka_unit_test(loader_rejects),
		cmocka_unit_test(loader_duplicates_and_replacement),
		cmocka_unit_test(check_seed_ignores_protocol),
		cmocka_unit_test(check_exposure_custom_ports),
		cmocka_unit_test(check_exposure_icmp_type_is_not_a_port),
		cmocka_unit_test(check_default_group_and_egress),
		cmocka_unit_test(check_wide_public_threshold),
		cmocka_unit_test(scope_tag_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
