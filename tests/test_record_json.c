/*
 * test_record_json.c — the DescribeSecurityGroups JSON shape into the record
 * model: nulls, both Tags forms, protocol spellings, raw vs normalized
 * ports, one rule per source, and errors that name the element.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sg_record_json.h"
#include "sg_util.h"

static struct sg_inventory *
parse_ok(const char *json)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_error err;

	sg_err_init(&err);
	if (sg_record_json_groups("t.json", json, strlen(json), "us-east-1", inv, &err) != SG_OK)
		fail_msg("%s", err.msg);
	return inv;
}

static void
parse_bad(const char *json, const char *fragment)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_error err;

	sg_err_init(&err);
	assert_int_not_equal(sg_record_json_groups("t.json", json, strlen(json), NULL, inv, &err),
	    SG_OK);
	if (strstr(err.msg, fragment) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, fragment);
	assert_int_equal(inv->n_groups, 0); /* nothing half-built is kept */
	sg_inventory_free(inv);
}

static void
seed_shape_with_nulls_and_tag_map(void **state)
{
	struct sg_inventory *inv = parse_ok(
	    "{\"Description\": \"example VPC security group\", \"GroupId\": \"sg-abc123\","
	    " \"GroupName\": \"default\", \"IpPermissions\": [{\"FromPort\": 80, \"IpProtocol\": \"-1\","
	    " \"IpRanges\": null, \"Ipv6Ranges\": null, \"PrefixListIds\": null, \"ToPort\": 80,"
	    " \"UserIdGroupPairs\": [{\"Description\": null, \"GroupId\": \"sg-def123\", \"GroupName\": null,"
	    " \"PeeringStatus\": null, \"UserId\": \"123456789012\", \"VpcId\": null,"
	    " \"VpcPeeringConnectionId\": null}]}],"
	    " \"IpPermissionsEgress\": [{\"FromPort\": null, \"IpProtocol\": \"-1\","
	    " \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\", \"Description\": null}], \"Ipv6Ranges\": null,"
	    " \"PrefixListIds\": null, \"ToPort\": null, \"UserIdGroupPairs\": null}],"
	    " \"OwnerId\": \"123456789012\", \"Tags\": {\"environment\": \"pci\"}, \"VpcId\": \"vpc-abc111222333\"}");
	const struct sg_group *g = &inv->groups[0];

	(void)state;
	assert_int_equal(inv->n_groups, 1);
	assert_string_equal(g->group_id, "sg-abc123");
	assert_string_equal(g->region, "us-east-1");
	assert_int_equal(g->n_tags, 1);
	assert_string_equal(g->tags[0].key, "environment");
	assert_string_equal(g->tags[0].value, "pci");
	assert_int_equal(g->n_rules, 2);
	assert_int_equal(g->n_ingress_perms, 1);
	assert_int_equal(g->n_egress_perms, 1);
	/* protocol -1 with wire ports 80/80: raw kept, normalized "no ports". */
	assert_int_equal(g->rules[0].protocol, SG_PROTO_ALL);
	assert_true(g->rules[0].has_ports);
	assert_int_equal(g->rules[0].raw_from, 80);
	assert_int_equal(g->rules[0].from_port, -1);
	assert_int_equal(g->rules[0].source, SG_SRC_GROUP);
	assert_string_equal(g->rules[0].ref.user_id, "123456789012");
	assert_null(g->rules[0].ref.vpc_id);
	assert_int_equal(g->rules[1].direction, SG_EGRESS);
	assert_false(g->rules[1].has_ports);
	assert_true(sg_cidr_is_internet(&g->rules[1].cidr));
	sg_inventory_free(inv);
}

static void
one_rule_per_source_in_wire_order(void **state)
{
	struct sg_inventory *inv = parse_ok(
	    "{\"SecurityGroups\": [{\"GroupId\": \"sg-1\", \"Tags\": [{\"Key\": \"a\", \"Value\": \"b\"}],"
	    " \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22,"
	    "  \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}, {\"CidrIp\": \"192.0.2.0/24\"}],"
	    "  \"Ipv6Ranges\": [{\"CidrIpv6\": \"2001:db8::/32\"}], \"PrefixListIds\": [{\"PrefixListId\": \"pl-1\"}],"
	    "  \"UserIdGroupPairs\": [{\"GroupId\": \"sg-2\"}]},"
	    " {\"IpProtocol\": 17}, {\"IpProtocol\": \"icmp\", \"FromPort\": 8, \"ToPort\": -1, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]},"
	    " {\"IpProtocol\": \"udp\", \"FromPort\": -1, \"ToPort\": -1, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]},"
	    " {\"IpProtocol\": \"50\", \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/8\"}]}]}]}");
	const struct sg_group *g = &inv->groups[0];

	(void)state;
	assert_int_equal(g->n_ingress_perms, 5);
	assert_int_equal(g->n_rules, 8);
	assert_int_equal(g->rules[0].source, SG_SRC_CIDR4);
	assert_int_equal(g->rules[1].source, SG_SRC_CIDR4);
	assert_int_equal(g->rules[2].source, SG_SRC_CIDR6);
	assert_int_equal(g->rules[3].source, SG_SRC_PREFIX_LIST);
	assert_string_equal(g->rules[3].prefix_list_id, "pl-1");
	assert_int_equal(g->rules[4].source, SG_SRC_GROUP);
	assert_null(g->rules[4].ref.user_id);
	assert_int_equal(g->rules[4].perm_index, 0);
	/* icmp: type 8, code all: never ports. */
	assert_int_equal(g->rules[5].protocol, SG_PROTO_ICMP);
	assert_int_equal(g->rules[5].from_port, 8);
	assert_int_equal(g->rules[5].to_port, -1);
	assert_int_equal(g->rules[5].perm_index, 2);
	/* udp -1/-1: every port. */
	assert_int_equal(g->rules[6].from_port, 0);
	assert_int_equal(g->rules[6].to_port, 65535);
	/* esp: the whole protocol. */
	assert_int_equal(g->rules[7].protocol, 50);
	assert_int_equal(g->rules[7].from_port, -1);
	sg_inventory_free(inv);
}

static void
errors_name_the_element(void **state)
{
	(void)state;
	parse_bad("{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 70000, \"ToPort\": 1}]}",
	    "IpPermissions[0]: 'FromPort' must be an integer in -1..65535");
	parse_bad("{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 30, \"ToPort\": 20}]}",
	    "IpPermissions[0]: port range 30-20");
	parse_bad("{\"GroupId\": \"sg-1\", \"IpPermissionsEgress\": [{\"IpProtocol\": \"tcp\", \"IpRanges\": [{\"CidrIp\": \"10.0.0.0\"}]}]}",
	    "IpPermissionsEgress[0]: IpRanges[0]: CidrIp");
	parse_bad("{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"bogus\"}]}",
	    "IpProtocol 'bogus' is not a protocol");
	parse_bad("{\"GroupId\": \"sg-1\", \"Tags\": 5}", "'Tags' must be a list, a map or null");
	parse_bad("{\"GroupName\": \"x\"}", "has no GroupId");
	parse_bad("{\"GroupId\": \"sg-1\", \"IpPermissions\": {}}", "'IpPermissions' must be an array or null");
	parse_bad("{\"GroupId\": \"sg-1\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"Ipv6Ranges\": [{\"CidrIpv6\": \"10.0.0.0/8\"}]}]}",
	    "not an IPv6 CIDR");
	parse_bad("[1", "malformed JSON");
}

static void
fixture_accounts(void **state)
{
	struct sg_inventory *inv = NULL;
	struct sg_error err;
	struct sg_buf b;
	char path[1024];
	const char *root = getenv("SG_ROOT");
	const struct sg_group *g17;
	size_t i, not_opted = 0;

	(void)state;
	sg_err_init(&err);
	snprintf(path, sizeof(path), "%s/fixtures/accounts/demo.json", root ? root : ".");
	sg_buf_init(&b, (size_t)64 << 20);
	assert_int_equal(sg_file_read(path, &b, false, &err), SG_OK);
	if (sg_record_json_account(path, b.data, b.len, &inv, &err) != SG_OK)
		fail_msg("%s", err.msg);
	sg_buf_dispose(&b);
	assert_string_equal(inv->account_id, "123456789012");
	for (i = 0; i < inv->n_regions; i++)
		not_opted += inv->regions[i].state == SG_REGION_NOT_OPTED_IN;
	assert_int_equal(not_opted, 2);
	g17 = sg_inventory_find_group(inv, "eu-west-1", "sg-0ca5e170000000000");
	assert_non_null(g17);
	assert_int_equal(g17->eni_count, 0);
	assert_non_null(sg_inventory_find_prefix_list(inv, "eu-west-1", "pl-0128e9e6dde46e46c"));
	sg_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seed_shape_with_nulls_and_tag_map),
		cmocka_unit_test(one_rule_per_source_in_wire_order),
		cmocka_unit_test(errors_name_the_element),
		cmocka_unit_test(fixture_accounts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
