/* cli.c — command dispatch, --help/--version, and the exit-code table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sg_cli.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

/*
 * The one exit-code table. Each code's meaning is written once, here; the
 * --help text is printed from it and the docs are checked against it.
 */
static const struct sg_exit_info exit_codes[] = {
	{ SG_EXIT_CLEAN, "clean",
	  "clean: compliant, or nothing failing at the --fail-on/--fail-severity threshold" },
	{ SG_EXIT_FINDINGS, "findings",
	  "failing findings at the threshold (or an event alert at the threshold)" },
	{ SG_EXIT_INCOMPLETE, "incomplete",
	  "incomplete scan: a requested region or call did not complete (wins over 1)" },
	{ SG_EXIT_USAGE, "usage", "usage or configuration error" },
	{ SG_EXIT_AUTH, "auth", "credentials or authentication failure" },
	{ SG_EXIT_INTERNAL, "internal", "internal error" },
};

const struct sg_exit_info *
sg_cli_exit_codes(size_t *n)
{
	*n = sizeof(exit_codes) / sizeof(exit_codes[0]);
	return exit_codes;
}

int
sg_exit_for_outcome(enum sg_report_outcome o)
{
	switch (o) {
	case SG_OUTCOME_CLEAN: return SG_EXIT_CLEAN;
	case SG_OUTCOME_FINDINGS: return SG_EXIT_FINDINGS;
	case SG_OUTCOME_INCOMPLETE: return SG_EXIT_INCOMPLETE;
	}
	return SG_EXIT_INTERNAL;
}

/* Status -> exit code, for operations that failed before a report exists. */
int
sg_exit_for_status(enum sg_status st)
{
	static const unsigned char map[SG_STATUS_COUNT] = {
		[SG_OK] = SG_EXIT_CLEAN,
		[SG_ENOMEM] = SG_EXIT_INTERNAL,
		[SG_EINVAL] = SG_EXIT_USAGE,
		[SG_ELIMIT] = SG_EXIT_INCOMPLETE,
		[SG_EPARSE] = SG_EXIT_INCOMPLETE,
		[SG_EIO] = SG_EXIT_INCOMPLETE,
		[SG_ENET] = SG_EXIT_INCOMPLETE,
		[SG_ETIMEOUT] = SG_EXIT_INCOMPLETE,
		[SG_EHTTP] = SG_EXIT_INCOMPLETE,
		[SG_EAWS] = SG_EXIT_INCOMPLETE,
		[SG_EAUTH] = SG_EXIT_AUTH,
		[SG_EDENIED] = SG_EXIT_AUTH,
		[SG_ETHROTTLED] = SG_EXIT_INCOMPLETE,
		[SG_ECREDS] = SG_EXIT_AUTH,
		[SG_ECONFIG] = SG_EXIT_USAGE,
		[SG_ENOTFOUND] = SG_EXIT_USAGE,
		[SG_EUNSUPPORTED] = SG_EXIT_USAGE,
		[SG_EINTERNAL] = SG_EXIT_INTERNAL,
	};

	if ((unsigned)st >= SG_STATUS_COUNT)
		return SG_EXIT_INTERNAL;
	return map[st];
}

void
sg_cli_report_error(const char *cmd, const struct sg_error *err)
{
	fprintf(stderr, "sg-audit: %s%s%s", cmd ? cmd : "", cmd ? ": " : "",
	    err->msg[0] ? err->msg : sg_status_name(err->status));
	if ((err->aws_code[0] || err->http_status || err->request_id[0]) &&
	    strstr(err->msg, "HTTP ") == NULL) {
		fprintf(stderr, " (");
		if (err->aws_code[0])
			fprintf(stderr, "%s", err->aws_code);
		if (err->http_status)
			fprintf(stderr, "%sHTTP %ld", err->aws_code[0] ? ", " : "", err->http_status);
		if (err->request_id[0])
			fprintf(stderr, ", request id %s", err->request_id);
		fprintf(stderr, ")");
	}
	fputc('\n', stderr);
}

int
sg_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sg-audit: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'sg-audit %s --help'.\n", cmd);
	return SG_EXIT_USAGE;
}

int
sg_cli_flag_value(const char *name, int argc, char **argv, int *i, const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Sorted by name. */
static const struct command commands[] = {
	{ "call", sg_cmd_call, "send one raw AWS API call through sg-audit's client (diagnostics)" },
	{ "events", sg_cmd_events, "score CloudTrail events that opened a group to the internet" },
	{ "evidence", sg_cmd_evidence, "verify an evidence bundle offline (evidence verify DIR)" },
	{ "identity", sg_cmd_identity, "show the AWS account and caller ARN sg-audit would scan as" },
	{ "policies", sg_cmd_policies, "list policies, or run their embedded tests" },
	{ "scan", sg_cmd_scan, "scan security groups in every requested region (default)" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: sg-audit [COMMAND] [OPTIONS]\n"
	    "\n"
	    "Security-group posture scanner for AWS: PCI DSS 1.2.1 verdicts, findings\n"
	    "scored by risk, honest coverage. With no command, runs 'scan'.\n"
	    "\n"
	    "Commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
	    "\n"
	    "Run 'sg-audit COMMAND --help' for a command's options.\n"
	    "\n"
	    "Exit codes:\n");
	for (i = 0; i < sizeof(exit_codes) / sizeof(exit_codes[0]); i++)
		fprintf(f, "  %d  %s\n", exit_codes[i].code, exit_codes[i].meaning);
	fprintf(f,
	    "\n"
	    "  --help     show this help\n"
	    "  --version  show the version\n");
}

int
sg_cli_main(int argc, char **argv)
{
	size_t i;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return SG_EXIT_CLEAN;
	}
	if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0)) {
		printf("sg-audit %s\n", SG_VERSION);
		return SG_EXIT_CLEAN;
	}
	if (argc >= 2 && argv[1][0] != '-') {
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
		fprintf(stderr, "sg-audit: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return SG_EXIT_USAGE;
	}
	/* No command: scan, with argv[0] standing in as the command name. */
	{
		static char scan_name[] = "scan";
		argv[0] = scan_name;
	}
	return sg_cmd_scan(argc, argv);
}
