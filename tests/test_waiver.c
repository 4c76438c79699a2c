/*
 * test_waiver.c — waiver files (errors name the entry and the problem) and
 * waivers in evaluation: live -> WAIVED (kept and shown), expired -> still
 * FAIL and reported, matching nothing -> stale.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sg_policy.h"
#include "sg_record_json.h"
#include "sg_waiver.h"

#define JAN_2026 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

static void
expect_bad(const char *json, const char *fragment)
{
	struct sg_waiver_set *ws = NULL;
	struct sg_error err;

	sg_err_init(&err);
	assert_int_equal(sg_waiver_set_parse("w.json", json, strlen(json), &ws, &err), SG_ECONFIG);
	assert_null(ws);
	if (strstr(err.msg, fragment) == NULL || strncmp(err.msg, "w.json", 6) != 0)
		fail_msg("message '%s' lacks '%s'", err.msg, fragment);
}

#define W(extra) "{\"PolicyID\": \"P\", \"GroupId\": \"sg-1\", \"Reason\": \"r\", " \
	"\"Owner\": \"o\", \"Ticket\": \"T-1\", \"Expires\": \"2026-06-30\"" extra "}"

static void
malformed_files_name_entry_and_problem(void **state)
{
	(void)state;
	expect_bad("{\"Waivers\": [" W("") ", {\"PolicyID\": \"P\"}]}", "entry 2: missing 'GroupId'");
	expect_bad("[" W(", \"Expires\": \"2026-02-30\"") "]", "duplicate");
	expect_bad("[{\"PolicyID\": \"P\", \"GroupId\": \"sg-1\", \"Reason\": \"r\", \"Owner\": \"o\", "
	    "\"Ticket\": \"T\", \"Expires\": \"2026-02-30\"}]", "entry 1: Expires '2026-02-30'");
	expect_bad("[" W(", \"Rule\": {\"Protocol\": \"tcpp\"}") "]", "entry 1: Rule.Protocol");
	expect_bad("[" W(", \"Rule\": {\"FromPort\": 70000}") "]", "Rule.FromPort");
	expect_bad("[" W(", \"Rule\": {\"Source\": \"10.0.0.0/33\"}") "]", "not a valid CIDR");
	expect_bad("[" W(", \"Colour\": \"red\"") "]", "entry 1: unknown field 'Colour'");
	expect_bad("{\"Waiverz\": []}", "unknown top-level field 'Waiverz'");
	expect_bad("{\"Waivers\": [", "malformed JSON");
	expect_bad("[" W(", \"Owner\": 5") "]", "duplicate");
	expect_bad("[{\"PolicyID\": \"P\", \"GroupId\": \"sg-1\", \"Reason\": \"r\", \"Owner\": 5, "
	    "\"Ticket\": \"T\", \"Expires\": \"2026-01-01\"}]", "entry 1: 'Owner' must be a non-empty string");
	expect_bad("\"x\"", "expected {\"Waivers\"");
}

static void
expiry_is_through_the_named_day(void **state)
{
	struct sg_waiver_set *ws = NULL;
	struct sg_error err;
	const char *j = "[" W("") "]";

	(void)state;
	sg_err_init(&err);
	assert_int_equal(sg_waiver_set_parse("w.json", j, strlen(j), &ws, &err), SG_OK);
	assert_int_equal(ws->n, 1);
	/* 2026-06-30 is valid through 23:59:59Z that day. */
	assert_true(sg_waiver_is_live(&ws->items[0], (time_t)1782863999));
	assert_false(sg_waiver_is_live(&ws->items[0], (time_t)1782864000));
	assert_string_equal(ws->items[0].label, "waiver 1 (ticket T-1)");
	sg_waiver_set_free(ws);
}

static struct sg_policy_set *
load_policies(void)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_error err;
	char dir[1024];
	const char *root = getenv("SG_ROOT");

	sg_err_init(&err);
	snprintf(dir, sizeof(dir), "%s/policies", root ? root : ".");
	if (sg_policy_set_load_dir(ps, dir, &err) != SG_OK)
		fail_msg("%s", err.msg);
	return ps;
}

static const char group_json[] =
	"{\"GroupId\": \"sg-0ssh\", \"GroupName\": \"bastion\", \"OwnerId\": \"111\", \"VpcId\": \"vpc-1\","
	" \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22,"
	"   \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]},"
	"  {\"IpProtocol\": \"tcp\", \"FromPort\": 3389, \"ToPort\": 3389,"
	"   \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}]}],"
	" \"IpPermissionsEgress\": []}";

static void
live_expired_stale(void **state)
{
	struct sg_policy_set *ps = load_policies();
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_waiver_set *ws = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_error err;
	size_t i, waived = 0, failed = 0;
	const char *w =
	    "{\"Waivers\": ["
	    /* 1: live, matches the ssh rule exactly */
	    "{\"PolicyID\": \"AWS.SecurityGroup.InternetExposure\", \"GroupId\": \"sg-0ssh\","
	    " \"Rule\": {\"Direction\": \"ingress\", \"Protocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22,"
	    "  \"Source\": \"0.0.0.0/0\"}, \"Reason\": \"bastion\", \"Owner\": \"alice\","
	    " \"Ticket\": \"SEC-1\", \"Expires\": \"2026-12-31\"},"
	    /* 2: expired, would match rdp */
	    "{\"PolicyID\": \"AWS.SecurityGroup.InternetExposure\", \"GroupId\": \"sg-0ssh\","
	    " \"Rule\": {\"Protocol\": \"6\", \"FromPort\": 3389}, \"Reason\": \"old\", \"Owner\": \"bob\","
	    " \"Ticket\": \"SEC-2\", \"Expires\": \"2025-12-31\"},"
	    /* 3: live, matches nothing (wrong port) */
	    "{\"PolicyID\": \"AWS.SecurityGroup.InternetExposure\", \"GroupId\": \"sg-0ssh\","
	    " \"Rule\": {\"Protocol\": \"tcp\", \"FromPort\": 23, \"ToPort\": 23}, \"Reason\": \"telnet\","
	    " \"Owner\": \"carol\", \"Ticket\": \"SEC-3\", \"Expires\": \"2027-01-01\"},"
	    /* 4: live, other group */
	    "{\"PolicyID\": \"AWS.SecurityGroup.InternetExposure\", \"GroupId\": \"sg-0gone\","
	    " \"Reason\": \"gone\", \"Owner\": \"dan\", \"Ticket\": \"SEC-4\", \"Expires\": \"2027-01-01\"}"
	    "]}";

	(void)state;
	sg_err_init(&err);
	assert_int_equal(sg_record_json_groups("g", group_json, strlen(group_json), "us-east-1", inv,
	    &err), SG_OK);
	assert_int_equal(sg_waiver_set_parse("w.json", w, strlen(w), &ws, &err), SG_OK);
	assert_int_equal(sg_policy_eval(inv, ps, ws, NULL, JAN_2026, &res, &err), SG_OK);
	for (i = 0; i < res->n_findings; i++) {
		const struct sg_finding *f = &res->findings[i];
		if (strcmp(f->policy_id, "AWS.SecurityGroup.InternetExposure") != 0)
			continue;
		if (f->from_port == 22) {
			/* Kept and shown, never hidden. */
			assert_int_equal(f->state, SG_FINDING_WAIVED);
			assert_int_equal(f->waiver_state, SG_WAIVER_LIVE);
			assert_non_null(strstr(f->waiver, "SEC-1"));
			waived++;
		} else {
			assert_int_equal(f->state, SG_FINDING_FAIL);
			assert_int_equal(f->waiver_state, SG_WAIVER_EXPIRED);
			assert_non_null(strstr(f->waiver, "EXPIRED"));
			failed++;
		}
	}
	assert_int_equal(waived, 1);
	assert_int_equal(failed, 1);
	assert_int_equal(res->n_waivers, 4);
	assert_int_equal(res->waivers[0].state, SG_WAIVER_REPORT_USED);
	assert_int_equal(res->waivers[1].state, SG_WAIVER_REPORT_EXPIRED);
	assert_int_equal(res->waivers[1].matched, 1);
	assert_int_equal(res->waivers[2].state, SG_WAIVER_REPORT_STALE);
	assert_int_equal(res->waivers[3].state, SG_WAIVER_REPORT_STALE);
	assert_non_null(strstr(res->waivers[2].message, "matches no failing finding"));
	assert_int_equal(res->pci.verdict, SG_PCIV_NOT_COMPLIANT);
	sg_policy_result_free(res);

	/* After the expired one is renewed the group is WAIVED and PCI compliant. */
	ws->items[1].expires = JAN_2026 + 86400;
	assert_int_equal(sg_policy_eval(inv, ps, ws, NULL, JAN_2026, &res, &err), SG_OK);
	assert_int_equal(res->pci.verdict, SG_PCIV_COMPLIANT);
	assert_int_equal(res->pci.groups_waived, 1);
	for (i = 0; i < res->n_checks; i++)
		if (strcmp(res->checks[i].policy_id, "AWS.SecurityGroup.InternetExposure") == 0)
			assert_int_equal(res->checks[i].verdict, SG_VERDICT_WAIVED);
	sg_policy_result_free(res);
	sg_waiver_set_free(ws);
	sg_inventory_free(inv);
	sg_policy_set_free(ps);
}

static void
matching_rules(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_waiver_set *ws = NULL;
	struct sg_error err;
	const struct sg_group *g;
	const char *w = "[" W(", \"Rule\": {\"Source\": \"0.0.0.0/00\"}") "," W("") ","
	    W(", \"Region\": \"eu-west-1\"") "]";

	(void)state;
	sg_err_init(&err);
	assert_int_equal(sg_record_json_groups("g", group_json, strlen(group_json), "us-east-1", inv,
	    &err), SG_OK);
	assert_int_equal(sg_waiver_set_parse("w.json", w, strlen(w), &ws, &err), SG_OK);
	g = &inv->groups[0];
	inv->groups[0].group_id = "sg-1"; /* a literal: record strings are never freed one by one */
	/* CIDRs compare parsed: 0.0.0.0/00 is 0.0.0.0/0. */
	assert_true(sg_waiver_matches(&ws->items[0], "P", g, &g->rules[0]));
	assert_false(sg_waiver_matches(&ws->items[0], "Q", g, &g->rules[0]));
	/* No Rule selector: every rule of the group, and group-level findings. */
	assert_true(sg_waiver_matches(&ws->items[1], "P", g, &g->rules[1]));
	assert_true(sg_waiver_matches(&ws->items[1], "P", g, NULL));
	assert_false(sg_waiver_matches(&ws->items[0], "P", g, NULL));
	/* Region must agree when given. */
	assert_false(sg_waiver_matches(&ws->items[2], "P", g, &g->rules[0]));
	sg_waiver_set_free(ws);
	sg_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_files_name_entry_and_problem),
		cmocka_unit_test(expiry_is_through_the_named_day),
		cmocka_unit_test(live_expired_stale),
		cmocka_unit_test(matching_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
