/* test_record.c — CIDRs, protocol parsing, rule normalization, the exposure scorer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "sg_cidr.h"
#include "sg_exposure.h"
#include "sg_record.h"

/*
 * sg_cidr_parse reads IPv4 itself: it must take exactly what inet_pton
 * takes. Random short strings over digits and dots (and a few others),
 * each with "/32", against inet_pton(AF_INET).
 */
static void
cidr_ipv4_agrees_with_inet_pton(void **state)
{
	static const char alphabet[] = "0123456789....0125x /";
	uint32_t seed = 12345;
	unsigned agree_ok = 0, n;

	(void)state;
	for (n = 0; n < 200000; n++) {
		char addr[24], text[32];
		unsigned char want[4];
		struct sg_cidr c;
		size_t len, i;
		int ok;

		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 16) % 17;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			addr[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		addr[len] = '\0';
		if (strchr(addr, '/') != NULL)
			continue;
		snprintf(text, sizeof(text), "%s/32", addr);
		ok = inet_pton(AF_INET, addr, want) == 1;
		if (ok != sg_cidr_parse(sg_str_from(text), 4, &c))
			fail_msg("'%s': inet_pton says %d, sg_cidr_parse the opposite", addr, ok);
		if (ok) {
			assert_memory_equal(c.addr, want, 4);
			agree_ok++;
		}
	}
	/* The alphabet makes valid addresses common enough to compare bytes. */
	assert_true(agree_ok > 100);
	/* And the classic edges. */
	{
		static const char *const cases[] = { "1.2.3.4", "255.255.255.255", "0.0.0.0",
			"256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3",
			"1.2.3.", "1.2.3.00", "1.2.3.0", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4" };
		size_t i;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char text[40];
			unsigned char want[4];
			struct sg_cidr c;
			int ok = inet_pton(AF_INET, cases[i], want) == 1;
			snprintf(text, sizeof(text), "%s/32", cases[i]);
			if (ok != sg_cidr_parse(sg_str_from(text), 4, &c))
				fail_msg("'%s': inet_pton says %d, sg_cidr_parse the opposite",
				    cases[i], ok);
		}
	}
}

static void
cidr_parse_table(void **state)
{
	static const struct {
		const char *in;
		int family;
		int ok;
		const char *canon;
		int internet;
		int host_bits;
	} cases[] = {
		{ "0.0.0.0/0", 0, 1, "0.0.0.0/0", 1, 0 },
		{ "0.0.0.0/00", 0, 1, "0.0.0.0/0", 1, 0 },
		{ "::/0", 0, 1, "::/0", 1, 0 },
		{ "::0/0", 0, 1, "::/0", 1, 0 },
		{ "0:0:0:0:0:0:0:0/0", 0, 1, "::/0", 1, 0 },
		{ "10.1.2.3/8", 0, 1, "10.0.0.0/8", 0, 1 },
		{ "100.68.0.18/18", 0, 1, "100.68.0.0/18", 0, 1 },
		{ "192.168.1.0/24", 0, 1, "192.168.1.0/24", 0, 0 },
		{ "2001:DB8::1/32", 0, 1, "2001:db8::/32", 0, 1 },
		{ "1.2.3.4/32", 0, 1, "1.2.3.4/32", 0, 0 },
		{ "1.2.3.4/33", 0, 0, NULL, 0, 0 },
		{ "1.2.3.4", 0, 0, NULL, 0, 0 },
		{ "1.2.3/8", 0, 0, NULL, 0, 0 },
		{ "256.0.0.0/8", 0, 0, NULL, 0, 0 },
		{ "1.2.3.4/-1", 0, 0, NULL, 0, 0 },
		{ "1.2.3.4/ 8", 0, 0, NULL, 0, 0 },
		{ "/8", 0, 0, NULL, 0, 0 },
		{ "::/129", 0, 0, NULL, 0, 0 },
		{ "0.0.0.0/0", 6, 0, NULL, 0, 0 },
		{ "::/0", 4, 0, NULL, 0, 0 },
		{ "", 0, 0, NULL, 0, 0 },
		{ "0.0.0.0/0x", 0, 0, NULL, 0, 0 },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_cidr c;
		char buf[SG_CIDR_TEXT_MAX];
		bool ok = sg_cidr_parse(sg_str_from(cases[i].in), cases[i].family, &c);
		if (ok != (bool)cases[i].ok)
			fail_msg("case %zu '%s': parse %d, want %d", i, cases[i].in, ok, cases[i].ok);
		if (!ok)
			continue;
		sg_cidr_format(&c, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].canon);
		assert_int_equal(sg_cidr_is_internet(&c), cases[i].internet);
		assert_int_equal(c.had_host_bits, cases[i].host_bits);
	}
}

static bool
covers(const char *const *texts, size_t n, int family)
{
	struct sg_cidr c[8];
	const struct sg_cidr *p[8];
	size_t i;

	for (i = 0; i < n; i++) {
		assert_true(sg_cidr_parse(sg_str_from(texts[i]), 0, &c[i]));
		p[i] = &c[i];
	}
	return sg_cidr_union_covers_all(p, n, family);
}

static void
cidr_union_effectively_open(void **state)
{
	const char *halves[] = { "0.0.0.0/1", "128.0.0.0/1" };
	const char *one_half[] = { "0.0.0.0/1" };
	const char *gap[] = { "0.0.0.0/2", "128.0.0.0/1" };
	const char *overlap[] = { "128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2", "10.0.0.0/8" };
	const char *quarters[] = { "192.0.0.0/2", "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2" };
	const char *v6halves[] = { "::/1", "8000::/1" };
	const char *mixed[] = { "0.0.0.0/1", "8000::/1", "128.0.0.0/1" };
	const char *internet[] = { "0.0.0.0/0" };
	(void)state;

	assert_true(covers(halves, 2, 4));
	assert_false(covers(one_half, 1, 4));
	assert_false(covers(gap, 2, 4));
	assert_true(covers(overlap, 4, 4));
	assert_true(covers(quarters, 4, 4));
	assert_true(covers(v6halves, 2, 6));
	assert_false(covers(v6halves, 2, 4));
	assert_true(covers(mixed, 3, 4));
	assert_false(covers(mixed, 3, 6));
	assert_true(covers(internet, 1, 4));
	assert_false(sg_cidr_union_covers_all(NULL, 0, 4));
}

static void
cidr_public_and_contains(void **state)
{
	static const struct { const char *in; int pub; } cases[] = {
		{ "10.0.0.0/8", 0 }, { "10.1.0.0/16", 0 }, { "172.16.0.0/12", 0 },
		{ "192.168.0.0/16", 0 }, { "100.64.0.0/10", 0 }, { "127.0.0.1/32", 0 },
		{ "169.254.0.0/16", 0 }, { "203.0.113.0/24", 0 }, { "224.0.0.0/4", 0 },
		{ "8.0.0.0/7", 1 }, { "0.0.0.0/1", 1 }, { "0.0.0.0/0", 1 }, { "52.0.0.0/8", 1 },
		{ "fc00::/7", 0 }, { "fe80::/10", 0 }, { "2001:db8::/32", 0 }, { "::1/128", 0 },
		{ "2600::/12", 1 }, { "2000::/3", 1 }, { "::/0", 1 }, { "4000::/3", 0 },
	};
	struct sg_cidr a, b;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(sg_cidr_parse(sg_str_from(cases[i].in), 0, &a));
		if (sg_cidr_is_public(&a) != (bool)cases[i].pub)
			fail_msg("%s: public %d want %d", cases[i].in, !cases[i].pub, cases[i].pub);
	}
	assert_true(sg_cidr_parse(sg_str_from("10.0.0.0/8"), 0, &a));
	assert_true(sg_cidr_parse(sg_str_from("10.2.0.0/16"), 0, &b));
	assert_true(sg_cidr_contains(&a, &b));
	assert_false(sg_cidr_contains(&b, &a));
}

static void
protocol_names_and_numbers(void **state)
{
	static const struct { const char *in; int ok; int want; } cases[] = {
		{ "tcp", 1, 6 }, { "TCP", 1, 6 }, { "6", 1, 6 }, { "udp", 1, 17 }, { "17", 1, 17 },
		{ "icmp", 1, 1 }, { "icmpv6", 1, 58 }, { "58", 1, 58 }, { "-1", 1, SG_PROTO_ALL },
		{ "all", 1, SG_PROTO_ALL }, { "47", 1, 47 }, { "256", 0, 0 }, { "-2", 0, 0 },
		{ "gre", 0, 0 }, { "", 0, 0 }, { "tcpx", 0, 0 }, { "-1 ", 0, 0 }, { "-10", 0, 0 },
		{ "Udp", 1, 17 },
	};
	size_t i;
	char buf[8];
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int p = 999;
		assert_int_equal(sg_protocol_parse(cases[i].in, &p), cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(p, cases[i].want);
	}
	assert_string_equal(sg_protocol_name(47, buf, sizeof(buf)), "47");
	assert_string_equal(sg_protocol_name(SG_PROTO_ALL, buf, sizeof(buf)), "all");
}

static void
normalize_table(void **state)
{
	static const struct {
		int proto, has, rf, rt, ok, from, to, all;
	} cases[] = {
		{ SG_PROTO_ALL, 0, 0, 0, 1, -1, -1, 1 },          /* DSG encoding of all traffic */
		{ SG_PROTO_ALL, 1, -1, -1, 1, -1, -1, 1 },        /* -1/-1 encoding: same thing */
		{ SG_PROTO_TCP, 0, 0, 0, 1, 0, 65535, 1 },        /* absent ports: every port */
		{ SG_PROTO_TCP, 1, -1, -1, 1, 0, 65535, 1 },
		{ SG_PROTO_TCP, 1, 1, 65535, 1, 1, 65535, 1 },
		{ SG_PROTO_TCP, 1, 0, 65535, 1, 0, 65535, 1 },
		{ SG_PROTO_TCP, 1, 2, 65535, 1, 2, 65535, 0 },
		{ SG_PROTO_UDP, 1, 22, 22, 1, 22, 22, 0 },
		{ SG_PROTO_TCP, 1, 30, 20, 0, 0, 0, 0 },
		{ SG_PROTO_TCP, 1, 0, 65536, 0, 0, 0, 0 },
		{ SG_PROTO_ICMP, 1, -1, -1, 1, -1, -1, 0 },       /* ICMP type/code, never ports */
		{ SG_PROTO_ICMP, 1, 8, 0, 1, 8, 0, 0 },
		{ SG_PROTO_ICMPV6, 0, 0, 0, 1, -1, -1, 0 },
		{ SG_PROTO_ICMP, 1, 300, 0, 0, 0, 0, 0 },
		{ 47, 0, 0, 0, 1, -1, -1, 0 },                    /* gre: whole protocol */
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_rule r;
		struct sg_error err;
		memset(&r, 0, sizeof(r));
		sg_err_init(&err);
		r.protocol = cases[i].proto;
		r.has_ports = cases[i].has;
		r.raw_from = cases[i].rf;
		r.raw_to = cases[i].rt;
		if (sg_rule_normalize(&r, &err) != (bool)cases[i].ok)
			fail_msg("case %zu: normalize ok=%d", i, !cases[i].ok);
		if (!cases[i].ok) {
			assert_int_equal(err.status, SG_EPARSE);
			continue;
		}
		assert_int_equal(r.from_port, cases[i].from);
		assert_int_equal(r.to_port, cases[i].to);
		assert_int_equal(sg_rule_is_all_traffic(&r), cases[i].all);
	}
}

/* The scorer on the rule shapes of sg-semantics.md §5 (source already internet). */
static void
exposure_scores_the_cases(void **state)
{
	static const struct {
		const char *what;
		int proto, from, to;
		enum sg_exposure_kind kind;
		int risk;
		const char *sev;
		int first_ports[4];
	} cases[] = {
		{ "1/2: -1 all traffic", SG_PROTO_ALL, -1, -1, SG_EXPOSE_ALL_TRAFFIC, 100, "critical", { 20, 21, 22, 23 } },
		{ "3: tcp 0-65535", SG_PROTO_TCP, 0, 65535, SG_EXPOSE_ALL_TRAFFIC, 100, "critical", { 20, 21, 22, 23 } },
		{ "4: tcp 1-65535", SG_PROTO_TCP, 1, 65535, SG_EXPOSE_ALL_TRAFFIC, 100, "critical", { 20, 21, 22, 23 } },
		{ "5: udp 0-65535", SG_PROTO_UDP, 0, 65535, SG_EXPOSE_ALL_TRAFFIC, 100, "critical", { 20, 21, 22, 23 } },
		{ "6: tcp 20-30", SG_PROTO_TCP, 20, 30, SG_EXPOSE_SENSITIVE, 90, "critical", { 20, 21, 22, 23 } },
		{ "7: udp 22", SG_PROTO_UDP, 22, 22, SG_EXPOSE_SENSITIVE, 90, "critical", { 22, 0, 0, 0 } },
		{ "8: icmp all", SG_PROTO_ICMP, -1, -1, SG_EXPOSE_ICMP, 40, "low", { 0, 0, 0, 0 } },
		{ "8b: icmp echo 8/0 is not port 8", SG_PROTO_ICMP, 8, 0, SG_EXPOSE_ICMP, 40, "low", { 0, 0, 0, 0 } },
		{ "8c: icmpv6 type 22 is not port 22", SG_PROTO_ICMPV6, 22, -1, SG_EXPOSE_ICMP, 40, "low", { 0, 0, 0, 0 } },
		{ "9: tcp 22", SG_PROTO_TCP, 22, 22, SG_EXPOSE_SENSITIVE, 90, "critical", { 22, 0, 0, 0 } },
		{ "11: tcp 443", SG_PROTO_TCP, 443, 443, SG_EXPOSE_AUTHORIZED, 0, "info", { 0, 0, 0, 0 } },
		{ "11b: tcp 80-443 not all authorized", SG_PROTO_TCP, 80, 443, SG_EXPOSE_SENSITIVE, 90, "critical", { 110, 135, 143, 0 } },
		{ "11c: udp 443 is not authorized", SG_PROTO_UDP, 443, 443, SG_EXPOSE_PORTS, 75, "high", { 0, 0, 0, 0 } },
		{ "15: tcp 1433", SG_PROTO_TCP, 1433, 1433, SG_EXPOSE_SENSITIVE, 90, "critical", { 1433, 0, 0, 0 } },
		{ "range string trap: tcp 100-200", SG_PROTO_TCP, 100, 200, SG_EXPOSE_SENSITIVE, 90, "critical", { 110, 135, 143, 0 } },
		{ "tcp 8443", SG_PROTO_TCP, 8443, 8443, SG_EXPOSE_PORTS, 75, "high", { 0, 0, 0, 0 } },
		{ "gre", 47, -1, -1, SG_EXPOSE_PORTS, 75, "high", { 0, 0, 0, 0 } },
		{ "tcp 2-65535 is not every port", SG_PROTO_TCP, 2, 65535, SG_EXPOSE_SENSITIVE, 90, "critical", { 20, 21, 22, 23 } },
	};
	struct sg_exposure_params *p = malloc(sizeof(*p));
	size_t i, j;
	(void)state;

	assert_non_null(p);
	sg_exposure_params_default(p);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_exposure e;
		sg_exposure_score(p, cases[i].proto, cases[i].from, cases[i].to, &e);
		if (e.kind != cases[i].kind || e.risk != cases[i].risk)
			fail_msg("%s: kind %d risk %d", cases[i].what, e.kind, e.risk);
		assert_string_equal(sg_severity_name(e.severity), cases[i].sev);
		for (j = 0; j < 4 && cases[i].first_ports[j]; j++)
			assert_int_equal(e.sensitive_ports[j], cases[i].first_ports[j]);
		if (cases[i].kind == SG_EXPOSE_ALL_TRAFFIC) {
			size_t n;
			(void)sg_exposure_catalogue(&n);
			assert_int_equal(e.n_sensitive, n);
		}
	}
	/* Removing 443 from the authorized list makes case 11 a failing 75. */
	{
		struct sg_exposure e;
		sg_portset_remove(&p->authorized_tcp, 443);
		sg_exposure_score(p, SG_PROTO_TCP, 443, 443, &e);
		assert_int_equal(e.risk, 75);
		/* An authorized sensitive port is not counted as sensitive. */
		sg_portset_add(&p->authorized_tcp, 22);
		sg_exposure_score(p, SG_PROTO_TCP, 22, 22, &e);
		assert_int_equal(e.kind, SG_EXPOSE_AUTHORIZED);
	}
	free(p);
}

static void
catalogue_is_the_union(void **state)
{
	static const int seed[] = { 22, 23, 3389, 1433, 3306, 5432, 5984, 6379, 7000, 7001, 8020,
		8086, 8888, 9042, 9160, 9200, 9300, 11211, 27017, 27018, 27019, 50070 };
	static const int ec2_19[] = { 20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000,
		3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300 };
	struct sg_exposure_params *p = malloc(sizeof(*p));
	size_t i, n, count = 0;
	(void)state;

	assert_non_null(p);
	sg_exposure_params_default(p);
	for (i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
		assert_true(sg_portset_has(&p->sensitive, (unsigned)seed[i]));
		assert_true(p->sensitive_origin[seed[i]] & SG_PORT_FROM_SEED);
	}
	for (i = 0; i < sizeof(ec2_19) / sizeof(ec2_19[0]); i++) {
		assert_true(sg_portset_has(&p->sensitive, (unsigned)ec2_19[i]));
		assert_true(p->sensitive_origin[ec2_19[i]] & SG_PORT_FROM_EC2_19);
	}
	for (i = 0; i < 65536; i++)
		count += sg_portset_has(&p->sensitive, (unsigned)i);
	(void)sg_exposure_catalogue(&n);
	assert_int_equal(count, n);
	assert_int_equal(n, 37); /* 22 + 24 - 9 shared */
	free(p);
}

static void
inventory_lifetime(void **state)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_group *g;
	struct sg_rule *r;
	int i;
	(void)state;

	assert_non_null(inv);
	for (i = 0; i < 20; i++) {
		char id[32];
		g = sg_inventory_add_group(inv);
		assert_non_null(g);
		snprintf(id, sizeof(id), "sg-%04d", 19 - i);
		g->group_id = sg_arena_strdup(&inv->strings, id);
		g->region = sg_arena_strdup(&inv->strings, i % 2 ? "us-east-1" : "eu-west-1");
		r = sg_group_add_rule(g);
		assert_non_null(r);
		r->description = sg_arena_strdup(&inv->strings, "x");
		assert_int_equal(g->eni_count, -1);
	}
	assert_non_null(sg_inventory_add_region(inv, "eu-west-1"));
	sg_inventory_sort(inv);
	assert_string_equal(inv->groups[0].region, "eu-west-1");
	assert_true(strcmp(inv->groups[0].group_id, inv->groups[1].group_id) < 0);
	assert_non_null(sg_inventory_find_group(inv, "us-east-1", "sg-0000"));
	assert_null(sg_inventory_find_group(inv, "eu-west-1", "sg-0000"));
	assert_string_equal(sg_region_state_name(SG_REGION_NOT_OPTED_IN), "NOT_OPTED_IN");
	sg_inventory_free(inv);
	sg_inventory_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cidr_parse_table),
		cmocka_unit_test(cidr_union_effectively_open),
		cmocka_unit_test(cidr_public_and_contains),
		cmocka_unit_test(cidr_ipv4_agrees_with_inet_pton),
		cmocka_unit_test(protocol_names_and_numbers),
		cmocka_unit_test(normalize_table),
		cmocka_unit_test(exposure_scores_the_cases),
		cmocka_unit_test(catalogue_is_the_union),
		cmocka_unit_test(inventory_lifetime),
	};
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
