/*
 * sg_policy_cli.h — the policy flags of `sg-audit scan`, parsed in one place
 * (like sg_report_cli.h), and the evaluation step of a scan.
 *
 *   --policies DIR        add or replace policies (by PolicyID) over the catalogue
 *   --waivers FILE        waivers (docs/policies.md "Waivers")
 *   --scope-tag KEY=VALUE PCI scope: groups carrying any of these tags
 *                         (repeatable; default: every group is in scope)
 *
 * Typical use in a command:
 *
 *     struct sg_policy_cli pc;
 *     sg_policy_cli_init(&pc);
 *     for (i = 1; i < argc; i++) {
 *         int k = sg_policy_cli_option(&pc, "scan", argc, argv, &i);
 *         if (k < 0) { sg_policy_cli_dispose(&pc); return SG_EXIT_USAGE; }
 *         if (k > 0) continue;
 *         ...
 *     }
 *     ... scan into inv ...
 *     st = sg_policy_cli_evaluate(&pc, inv, regions_all, time(NULL), &ps, &res, &err);
 *     ... sg_report_from_policy(r, inv, res, ps, ...) ...
 *     sg_policy_result_free(res); sg_policy_set_free(ps);
 */
#ifndef SG_POLICY_CLI_H
#define SG_POLICY_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "sg_err.h"
#include "sg_policy.h"
#include "sg_record.h"

#define SG_POLICY_CLI_MAX_TAGS 64

struct sg_policy_cli {
	const char *policies_dir;   /* --policies (borrowed from argv) */
	const char *waivers;        /* --waivers (borrowed from argv) */
	struct sg_scope_tag tags[SG_POLICY_CLI_MAX_TAGS];
	size_t n_tags;
	char *tag_text[SG_POLICY_CLI_MAX_TAGS]; /* owned copies the tags point into */
};

void sg_policy_cli_init(struct sg_policy_cli *o);
void sg_policy_cli_dispose(struct sg_policy_cli *o);

/*
 * If argv[*i] is a policy flag ("--flag VALUE" or "--flag=VALUE"), record
 * it, advance *i past its value, return 1; 0 if not ours; on a bad value
 * print a usage error naming `cmd` and return -1.
 */
int sg_policy_cli_option(struct sg_policy_cli *o, const char *cmd, int argc, char **argv,
                         int *i);

/* Help lines for the policy flags. */
void sg_policy_cli_usage(FILE *f);

/*
 * Load the catalogue (sg_policy_set_load_default with --policies) and the
 * waivers, and evaluate inv. regions_all: regions were requested as "all".
 * On success *ps_out and *res_out are the caller's to free. Errors name the
 * policy or waiver file (SG_ECONFIG, SG_ENOTFOUND -> exit 3).
 */
enum sg_status sg_policy_cli_evaluate(const struct sg_policy_cli *o,
                                      const struct sg_inventory *inv, bool regions_all,
                                      time_t now, struct sg_policy_set **ps_out,
                                      struct sg_policy_result **res_out,
                                      struct sg_error *err) SG_MUST_USE;

#endif
