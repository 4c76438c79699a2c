/*
 * sg_report_cli.h — the report flags of `sg-audit scan`, parsed in one place
 * (as sg_cli_aws.h does for the AWS flags), and the end of a scan: baseline,
 * verdict, every output written, the exit outcome.
 *
 *   --format table|json|csv|html|junit   report on stdout (default: table on a
 *                                        terminal, else json)
 *   -o FILE, --output-file FILE          the --format report to FILE instead
 *   --output FORMAT:PATH                 another report (repeatable; "-" = stdout)
 *   --baseline PREVIOUS.json             new / unchanged / resolved
 *   --fail-on new|any|none               which failing findings give exit 1
 *   --fail-severity LEVEL                only at this severity or above
 *   --no-color                           no ANSI colour in the table
 *
 * Typical command:
 *
 *     struct sg_report_cli rc;
 *     sg_report_cli_init(&rc);
 *     for (i = 1; i < argc; i++) {
 *         int k = sg_report_cli_option(&rc, "scan", argc, argv, &i);
 *         if (k < 0) { sg_report_cli_dispose(&rc); return SG_EXIT_USAGE; }
 *         if (k > 0) continue;
 *         ...
 *     }
 *     ... scan, evaluate, sg_report_from_policy(r, ...) ...
 *     st = sg_report_cli_finish(&rc, r, stdout, &outcome, &err);
 *     rc = st != SG_OK ? sg_exit_for_status(st) : sg_exit_for_outcome(outcome);
 */
#ifndef SG_REPORT_CLI_H
#define SG_REPORT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "sg_err.h"
#include "sg_report.h"

struct sg_report_cli {
	struct sg_report_outputs outputs;   /* --output, in order given */
	bool format_given;
	enum sg_report_format format;       /* --format */
	char *output_file;                  /* -o FILE */
	char *baseline;                     /* --baseline */
	enum sg_fail_on fail_on;            /* default any */
	enum sg_severity fail_severity;     /* default low */
	bool no_color;
};

void sg_report_cli_init(struct sg_report_cli *o);
void sg_report_cli_dispose(struct sg_report_cli *o);

/*
 * If argv[*i] is a report flag ("--flag VALUE" or "--flag=VALUE"), record it,
 * advance *i past its value, return 1; 0 if not ours; on a bad value print a
 * usage error naming `cmd` and return -1.
 */
int sg_report_cli_option(struct sg_report_cli *o, const char *cmd, int argc, char **argv,
                         int *i);

/* Help lines for the report flags. */
void sg_report_cli_usage(FILE *f);

/*
 * Finish a scan's report: apply the baseline (a missing file is noted on
 * stderr and every finding is new; an unreadable or foreign one is
 * SG_ECONFIG), sg_report_finish, write every output (stdout per the rules
 * above, colour when stdout is a terminal without NO_COLOR or --no-color),
 * and decide the outcome. Returns the first error; outputs are all attempted.
 */
enum sg_status sg_report_cli_finish(const struct sg_report_cli *o, struct sg_report *r,
                                    FILE *stdout_file, enum sg_report_outcome *outcome,
                                    struct sg_error *err) SG_MUST_USE;

#endif
