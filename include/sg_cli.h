/*
 * sg_cli.h — the command line. Only the CLI turns statuses into exit codes,
 * through the one table in src/cli.c (sg_exit_for_status).
 *
 * Each command lives in src/cmd_<name>.c as `int sg_cmd_<name>(int argc, char **argv)`
 * where argv[0] is the command name; it returns an exit code from enum sg_exit.
 */
#ifndef SG_CLI_H
#define SG_CLI_H

#include <stdio.h>

#include "sg_err.h"
#include "sg_report.h"

/* Exit codes, documented in README.md and the man page. */
enum sg_exit {
	SG_EXIT_CLEAN = 0,      /* compliant / nothing failing / no alert */
	SG_EXIT_FINDINGS = 1,   /* failing findings (or an alert at the threshold) */
	SG_EXIT_INCOMPLETE = 2, /* a requested region or call did not complete */
	SG_EXIT_USAGE = 3,      /* usage or configuration error */
	SG_EXIT_AUTH = 4,       /* credentials or authentication failure */
	SG_EXIT_INTERNAL = 5    /* internal error */
};

/*
 * THE exit-code table (src/cli.c): code, name, meaning. --help prints it;
 * README.md and docs/sg-audit.1 document it, and tests/test_report.c checks
 * that both name every row.
 */
struct sg_exit_info {
	int code;
	const char *name;
	const char *meaning;
};
const struct sg_exit_info *sg_cli_exit_codes(size_t *n);

/* The exit code for a failed operation's status. */
int sg_exit_for_status(enum sg_status st);

/* The exit code for a finished scan's outcome (sg_report_decide). */
int sg_exit_for_outcome(enum sg_report_outcome o);

/* Print "sg-audit: <cmd>: <message> [(AWS code, HTTP n, request id)]" to stderr. */
void sg_cli_report_error(const char *cmd, const struct sg_error *err);

/* Usage error: print "sg-audit: <cmd>: <message>" and a hint; returns SG_EXIT_USAGE. */
int sg_cli_usage_error(const char *cmd, const char *fmt, ...) SG_PRINTF(2, 3);

/*
 * Match argv[*i] against option `name`, as "--name VALUE" or "--name=VALUE".
 * Returns 1 on a match (*value points into argv; *i advanced past a separate
 * value), 0 when argv[*i] is another option, -1 when the value is missing.
 */
int sg_cli_flag_value(const char *name, int argc, char **argv, int *i, const char **value);

int sg_cli_main(int argc, char **argv);

/* Commands (src/cmd_*.c). */
int sg_cmd_scan(int argc, char **argv);
int sg_cmd_events(int argc, char **argv);
int sg_cmd_evidence(int argc, char **argv);
int sg_cmd_policies(int argc, char **argv);
int sg_cmd_identity(int argc, char **argv);
int sg_cmd_call(int argc, char **argv);

#endif
