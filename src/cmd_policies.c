/*
 * cmd_policies.c — 'sg-audit policies list | test [FILE…] | bench'.
 *
 *   policies list [--policies DIR]          the catalogue: id, severity, check, PCI, title
 *   policies test [--policies DIR] [FILE…]  run embedded tests; exit 1 on any failure
 *   policies bench [--rules N]              time sg_policy_eval on a synthetic account
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_check.h"
#include "sg_cli.h"
#include "sg_policy.h"
#include "sg_record_json.h"
#include "sg_util.h"
#include "sg_waiver.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit policies list [--policies DIR]\n"
	    "       sg-audit policies test [--policies DIR] [FILE...]\n"
	    "       sg-audit policies bench [--rules N] [--policies DIR]\n"
	    "       sg-audit policies eval --account FILE [--scope-tag K=V]... [--regions-all]\n"
	    "                              [--waivers FILE] [--now EPOCH] [--policies DIR]\n"
	    "\n"
	    "Policies come from $SG_POLICY_DIR, else the installed data dir, else the\n"
	    "source tree's policies/; --policies DIR adds or replaces policies by PolicyID.\n"
	    "'test' runs every policy's embedded tests (or only those of FILE...) and exits\n"
	    "non-zero when any fails. 'eval' evaluates a fixture account file\n"
	    "(fixtures/README.md format) offline: one line per finding, then the PCI verdict.\n");
}

static void
print_test(const struct sg_policy_test_outcome *o, void *ctx)
{
	(void)ctx;
	printf("%s %s: %s\n", o->passed ? "PASS" : "FAIL", o->policy_id, o->name);
	if (!o->passed)
		printf("    %s\n", o->detail);
}

static int
cmd_list(struct sg_policy_set *ps)
{
	size_t i, k;

	printf("catalogue %s sha256 %s (%zu policies", ps->catalogue_version,
	    ps->catalogue_sha256, ps->n);
	for (k = 0; k < ps->dirs.n; k++)
		printf("%s%s", k ? ", " : " from ", ps->dirs.items[k]);
	printf(")\n");
	printf("%-58s %-8s %-8s %-28s %-12s %s\n", "POLICY", "SEVERITY", "ENABLED", "CHECK",
	    "PCI", "TITLE");
	for (i = 0; i < ps->n; i++) {
		const struct sg_policy *p = &ps->policies[i];
		char pci[64] = "";
		for (k = 0; k < p->pci_v321.n; k++) {
			strncat(pci, k ? "," : "", sizeof(pci) - strlen(pci) - 1);
			strncat(pci, p->pci_v321.items[k], sizeof(pci) - strlen(pci) - 1);
		}
		for (k = 0; k < p->pci_v4.n; k++) {
			strncat(pci, (k || p->pci_v321.n) ? "," : "", sizeof(pci) - strlen(pci) - 1);
			strncat(pci, p->pci_v4.items[k], sizeof(pci) - strlen(pci) - 1);
		}
		printf("%-58s %-8s %-8s %-28s %-12s %s\n", p->id, sg_severity_name(p->severity),
		    p->enabled ? "yes" : "no", p->check_name, pci[0] ? pci : "-", p->display_name);
	}
	return SG_EXIT_CLEAN;
}

static int
cmd_test(struct sg_policy_set *ps)
{
	struct sg_error err;
	size_t passed = 0, failed = 0;

	sg_err_init(&err);
	if (sg_policy_run_tests(ps, print_test, NULL, &passed, &failed, &err) != SG_OK) {
		sg_cli_report_error("policies test", &err);
		return sg_exit_for_status(err.status);
	}
	printf("%zu passed, %zu failed\n", passed, failed);
	if (passed + failed == 0) {
		fprintf(stderr, "sg-audit: policies test: no embedded tests found\n");
		return SG_EXIT_FINDINGS;
	}
	return failed ? SG_EXIT_FINDINGS : SG_EXIT_CLEAN;
}

/* ---- bench: a synthetic account, evaluated once, timed ---- */

static uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64*: deterministic, good enough for synthetic rules. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static bool
bench_fill(struct sg_inventory *inv, size_t n_rules, size_t per_group)
{
	static const char *const regions[] = { "eu-west-1", "us-east-1", "us-west-2" };
	uint64_t s = 0x5eed5eed12345ULL;
	size_t made = 0, gi = 0;
	struct sg_prefix_list *pl;
	char buf[64];

	inv->account_id = strdup("123456789012");
	pl = sg_inventory_add_prefix_list(inv);
	if (inv->account_id == NULL || pl == NULL)
		return false;
	pl->id = strdup("pl-0bench");
	pl->region = strdup("us-east-1");
	pl->entries = calloc(2, sizeof(*pl->entries));
	if (pl->id == NULL || pl->region == NULL || pl->entries == NULL)
		return false;
	(void)sg_cidr_parse(sg_str_from("0.0.0.0/0"), 4, &pl->entries[0]);
	(void)sg_cidr_parse(sg_str_from("10.0.0.0/8"), 4, &pl->entries[1]);
	pl->n_entries = 2;
	pl->resolved = true;
	for (gi = 0; gi < sizeof(regions) / sizeof(regions[0]); gi++) {
		struct sg_region_coverage *rc = sg_inventory_add_region(inv, regions[gi]);
		if (rc == NULL)
			return false;
		rc->state = SG_REGION_SCANNED;
	}
	gi = 0;
	while (made < n_rules) {
		struct sg_group *g = sg_inventory_add_group(inv);
		size_t k, nr = per_group;
		if (g == NULL)
			return false;
		snprintf(buf, sizeof(buf), "sg-%017zx", gi);
		g->group_id = sg_arena_strdup(&inv->strings, buf);
		snprintf(buf, sizeof(buf), gi % 50 == 0 ? "default" : "bench-%zu", gi);
		g->group_name = sg_arena_strdup(&inv->strings, buf);
		g->account_id = sg_arena_strdup(&inv->strings, "123456789012");
		g->region = sg_arena_strdup(&inv->strings, regions[gi % 3]);
		g->vpc_id = sg_arena_strdup(&inv->strings, "vpc-0bench");
		g->eni_count = (int)(gi % 3);
		if (g->group_id == NULL || g->group_name == NULL || g->account_id == NULL ||
		    g->region == NULL || g->vpc_id == NULL)
			return false;
		if (nr > n_rules - made)
			nr = n_rules - made;
		for (k = 0; k < nr; k++) {
			struct sg_rule *r = sg_group_add_rule(g);
			uint64_t x = rng_next(&s);
			unsigned kind = (unsigned)(x % 100);
			if (r == NULL)
				return false;
			r->direction = k + 1 == nr ? SG_EGRESS : SG_INGRESS;
			r->perm_index = (uint32_t)k;
			switch ((x >> 8) % 6) {
			case 0: r->protocol = SG_PROTO_ALL; break;
			case 1: case 2: case 3: r->protocol = SG_PROTO_TCP; break;
			case 4: r->protocol = SG_PROTO_UDP; break;
			default: r->protocol = SG_PROTO_ICMP; break;
			}
			r->has_ports = r->protocol != SG_PROTO_ALL;
			r->raw_from = (int)((x >> 16) % 65000);
			r->raw_to = r->raw_from + (int)((x >> 32) % 4);
			if (r->protocol == SG_PROTO_ICMP)
				r->raw_from = r->raw_to = -1;
			(void)sg_rule_normalize(r, NULL);
			if (kind < 10) {
				r->source = SG_SRC_CIDR4; /* the internet */
				(void)sg_cidr_parse(sg_str_from("0.0.0.0/0"), 4, &r->cidr);
			} else if (kind < 15) {
				r->source = SG_SRC_CIDR6;
				(void)sg_cidr_parse(sg_str_from("::/0"), 6, &r->cidr);
			} else if (kind < 55) {
				r->source = SG_SRC_CIDR4;
				snprintf(buf, sizeof(buf), "10.%u.%u.0/24", (unsigned)(x >> 40) & 255,
				    (unsigned)(x >> 48) & 255);
				(void)sg_cidr_parse(sg_str_from(buf), 4, &r->cidr);
			} else if (kind < 65) {
				r->source = SG_SRC_CIDR4;
				snprintf(buf, sizeof(buf), "%u.0.0.0/7", 2 + 2 * ((unsigned)(x >> 40) % 20));
				(void)sg_cidr_parse(sg_str_from(buf), 4, &r->cidr);
			} else if (kind < 70) {
				r->source = SG_SRC_PREFIX_LIST;
				r->prefix_list_id = sg_arena_strdup(&inv->strings, "pl-0bench");
			} else {
				r->source = SG_SRC_GROUP;
				snprintf(buf, sizeof(buf), "sg-%017zx", (size_t)(x >> 20) % (gi + 1));
				r->ref.group_id = sg_arena_strdup(&inv->strings, buf);
				r->ref.user_id = sg_arena_strdup(&inv->strings,
				    kind < 95 ? "123456789012" : "210987654321");
			}
		}
		made += nr;
		gi++;
	}
	return true;
}

static double
now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmd_bench(struct sg_policy_set *ps, long rules)
{
	struct sg_inventory *inv = sg_inventory_new();
	struct sg_policy_result *res = NULL;
	struct sg_error err;
	size_t i;
	double t0, t1, c0, c1;

	sg_err_init(&err);
	for (i = 0; i < ps->n; i++)
		ps->policies[i].enabled = true;
	if (inv == NULL || !bench_fill(inv, (size_t)rules, 100)) {
		fprintf(stderr, "sg-audit: policies bench: out of memory\n");
		sg_inventory_free(inv);
		return SG_EXIT_INTERNAL;
	}
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	if (sg_policy_eval(inv, ps, NULL, NULL, (time_t)1700000000, &res, &err) != SG_OK) {
		sg_cli_report_error("policies bench", &err);
		sg_inventory_free(inv);
		return sg_exit_for_status(err.status);
	}
	t1 = now_s(CLOCK_MONOTONIC);
	c1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	printf("policy eval: %zu rules, %zu groups, %zu policies (all enabled): %.3f s wall, "
	    "%.3f s cpu (%.0f rules/s); %zu findings (%zu fail, %zu info), PCI %s\n",
	    res->rules_evaluated, res->groups_evaluated, res->policies_evaluated, t1 - t0, c1 - c0,
	    (double)res->rules_evaluated / (c1 - c0 > 0 ? c1 - c0 : 1e-9), res->n_findings,
	    res->n_fail, res->n_info, sg_pci_verdict_name(res->pci.verdict));
	sg_policy_result_free(res);
	sg_inventory_free(inv);
	return SG_EXIT_CLEAN;
}

#define MAX_TAGS 32

struct eval_opts {
	const char *account;
	const char *waivers;
	struct sg_scope_tag tags[MAX_TAGS];
	size_t n_tags;
	bool regions_all;
	time_t now;
};

/* Offline evaluation of a fixture account: the engine's output, line by line. */
static int
cmd_eval(struct sg_policy_set *ps, const struct eval_opts *o)
{
	struct sg_inventory *inv = NULL;
	struct sg_waiver_set *ws = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_policy_scope scope;
	struct sg_error err;
	struct sg_buf b;
	size_t i;
	int rc = SG_EXIT_CLEAN;

	sg_err_init(&err);
	sg_buf_init(&b, SG_RECORD_JSON_MAX_BYTES);
	if (o->account == NULL) {
		sg_buf_dispose(&b);
		return sg_cli_usage_error("policies eval", "--account FILE is required");
	}
	if (sg_file_read(o->account, &b, false, &err) != SG_OK ||
	    sg_record_json_account(o->account, b.data ? b.data : "", b.len, &inv, &err) != SG_OK ||
	    (o->waivers != NULL && sg_waiver_set_load(o->waivers, &ws, &err) != SG_OK)) {
		sg_buf_dispose(&b);
		sg_cli_report_error("policies eval", &err);
		sg_inventory_free(inv);
		return sg_exit_for_status(err.status);
	}
	sg_buf_dispose(&b);
	scope.tags = o->tags;
	scope.n_tags = o->n_tags;
	scope.regions_all = o->regions_all;
	if (sg_policy_eval(inv, ps, ws, &scope, o->now, &res, &err) != SG_OK) {
		sg_cli_report_error("policies eval", &err);
		rc = sg_exit_for_status(err.status);
		goto out;
	}
	for (i = 0; i < res->n_findings; i++) {
		const struct sg_finding *f = &res->findings[i];
		printf("%s %s %s %s %s %s %d [%s]%s%s%s%s | %s%s%s\n", f->account_id, f->region,
		    f->group_id, f->policy_id, sg_finding_state_name(f->state),
		    sg_severity_name(f->severity), f->risk, f->rule_text,
		    f->ref_kind != SG_REF_NONE ? " ref=" : "",
		    f->ref_kind != SG_REF_NONE ? sg_ref_kind_name(f->ref_kind) : "",
		    f->in_scope ? "" : " out-of-scope",
		    f->eni_count == 0 ? " not-attached" : "", f->reason,
		    f->waiver ? " | waiver: " : "", f->waiver ? f->waiver : "");
	}
	for (i = 0; i < res->n_waivers; i++)
		printf("WAIVER %s %s\n", sg_waiver_report_state_name(res->waivers[i].state),
		    res->waivers[i].message);
	printf("PCI %s: %s - %s\n", res->pci.requirement, sg_pci_verdict_name(res->pci.verdict),
	    res->pci.reason);
	rc = res->pci.verdict == SG_PCIV_COMPLIANT ? SG_EXIT_CLEAN :
	    res->pci.verdict == SG_PCIV_INCOMPLETE ? SG_EXIT_INCOMPLETE : SG_EXIT_FINDINGS;
out:
	sg_policy_result_free(res);
	sg_waiver_set_free(ws);
	sg_inventory_free(inv);
	return rc;
}

int
sg_cmd_policies(int argc, char **argv)
{
	struct sg_policy_set *ps;
	struct sg_error err;
	const char *sub, *dir = NULL;
	char **files = NULL;
	size_t n_files = 0;
	long rules = 1000000;
	struct eval_opts eo;
	int i, rc;

	memset(&eo, 0, sizeof(eo));
	eo.now = time(NULL);

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EXIT_USAGE : SG_EXIT_CLEAN;
	}
	sub = argv[1];
	if (strcmp(sub, "list") != 0 && strcmp(sub, "test") != 0 && strcmp(sub, "bench") != 0 &&
	    strcmp(sub, "eval") != 0)
		return sg_cli_usage_error("policies",
		    "unknown subcommand '%s' (list, test, eval, bench)", sub);
	files = calloc((size_t)argc, sizeof(*files));
	if (files == NULL)
		return SG_EXIT_INTERNAL;
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--policies") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (strncmp(argv[i], "--policies=", 11) == 0) {
			dir = argv[i] + 11;
		} else if (strcmp(argv[i], "--rules") == 0 && i + 1 < argc &&
		    strcmp(sub, "bench") == 0) {
			if (!sg_parse_long(sg_str_from(argv[++i]), 1, 100000000, &rules)) {
				free(files);
				return sg_cli_usage_error("policies", "--rules: '%s' is not 1..100000000",
				    argv[i]);
			}
		} else if (strcmp(sub, "eval") == 0 && strcmp(argv[i], "--account") == 0 && i + 1 < argc) {
			eo.account = argv[++i];
		} else if (strcmp(sub, "eval") == 0 && strcmp(argv[i], "--waivers") == 0 && i + 1 < argc) {
			eo.waivers = argv[++i];
		} else if (strcmp(sub, "eval") == 0 && strcmp(argv[i], "--regions-all") == 0) {
			eo.regions_all = true;
		} else if (strcmp(sub, "eval") == 0 && strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
			long t;
			if (!sg_parse_long(sg_str_from(argv[++i]), 0, 253402300799L, &t)) {
				free(files);
				return sg_cli_usage_error("policies", "--now: '%s' is not epoch seconds",
				    argv[i]);
			}
			eo.now = (time_t)t;
		} else if (strcmp(sub, "eval") == 0 && strcmp(argv[i], "--scope-tag") == 0 && i + 1 < argc) {
			if (eo.n_tags >= MAX_TAGS || !sg_scope_tag_parse(argv[++i], &eo.tags[eo.n_tags])) {
				free(files);
				return sg_cli_usage_error("policies", "--scope-tag: expected KEY=VALUE");
			}
			eo.n_tags++;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			free(files);
			usage(stdout);
			return SG_EXIT_CLEAN;
		} else if (argv[i][0] == '-' || strcmp(sub, "test") != 0) {
			free(files);
			return sg_cli_usage_error("policies", "unexpected argument '%s'", argv[i]);
		} else {
			files[n_files++] = argv[i];
		}
	}
	sg_err_init(&err);
	ps = sg_policy_set_new();
	if (ps == NULL) {
		free(files);
		return SG_EXIT_INTERNAL;
	}
	if (n_files > 0) {
		size_t k;
		for (k = 0; k < n_files; k++)
			if (sg_policy_set_load_file(ps, files[k], &err) != SG_OK)
				break;
		if (err.status == SG_OK)
			sg_policy_set_hash(ps);
	} else {
		if (sg_policy_set_load_default(ps, dir, &err) != SG_OK) {
			/* reported below */
		}
	}
	free(files);
	if (err.status != SG_OK) {
		char cmd[32];
		snprintf(cmd, sizeof(cmd), "policies %s", sub);
		sg_cli_report_error(cmd, &err);
		sg_policy_set_free(ps);
		return sg_exit_for_status(err.status);
	}
	if (strcmp(sub, "list") == 0)
		rc = cmd_list(ps);
	else if (strcmp(sub, "test") == 0)
		rc = cmd_test(ps);
	else if (strcmp(sub, "eval") == 0)
		rc = cmd_eval(ps, &eo);
	else
		rc = cmd_bench(ps, rules);
	sg_policy_set_free(ps);
	return rc;
}
