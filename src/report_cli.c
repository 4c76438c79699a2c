/* report_cli.c — the report flags of `scan` and the end of a scan (sg_report_cli.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_baseline.h"
#include "sg_cli.h"
#include "sg_report_cli.h"

void
sg_report_cli_init(struct sg_report_cli *o)
{
	memset(o, 0, sizeof(*o));
	o->format = SG_FMT_TABLE;
	o->fail_on = SG_FAIL_ON_ANY;
	o->fail_severity = SG_SEV_LOW;
}

void
sg_report_cli_dispose(struct sg_report_cli *o)
{
	sg_report_outputs_dispose(&o->outputs);
	free(o->output_file);
	free(o->baseline);
	memset(o, 0, sizeof(*o));
}

void
sg_report_cli_usage(FILE *f)
{
	fprintf(f,
	    "Report options:\n"
	    "  --format FORMAT        table, json, csv, html or junit on stdout (default: table\n"
	    "                         on a terminal, else json)\n"
	    "  -o, --output-file FILE write the --format report to FILE instead (atomically)\n"
	    "  --output FORMAT:PATH   also write FORMAT to PATH; repeatable; '-' is stdout.\n"
	    "                         With --output alone, stdout is quiet unless a terminal\n"
	    "  --baseline FILE        previous JSON report: mark findings new, unchanged or\n"
	    "                         resolved (a missing file: everything is new)\n"
	    "  --fail-on new|any|none which failing findings give exit code 1 (default any)\n"
	    "  --fail-severity LEVEL  only failing findings at LEVEL or above count: info, low\n"
	    "                         (default), medium, high, critical\n"
	    "  --no-color             no colour in the table (also NO_COLOR)\n");
}

static int
set_str(char **field, const char *v, const char *cmd, const char *flag)
{
	if (v[0] == '\0') {
		sg_cli_usage_error(cmd, "%s: empty value", flag);
		return -1;
	}
	if (!sg_report_set(field, v)) {
		fprintf(stderr, "sg-audit: %s: out of memory\n", cmd);
		return -1;
	}
	return 1;
}

int
sg_report_cli_option(struct sg_report_cli *o, const char *cmd, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {
		"--format", "--output-file", "-o", "--output", "--baseline", "--fail-on",
		"--fail-severity",
	};
	const char *v = NULL;
	size_t k;
	int r = 0;

	if (strcmp(argv[*i], "--no-color") == 0) {
		o->no_color = true;
		return 1;
	}
	for (k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
		r = sg_cli_flag_value(with_value[k], argc, argv, i, &v);
		if (r != 0)
			break;
	}
	if (r == 0)
		return 0;
	if (r < 0) {
		sg_cli_usage_error(cmd, "%s needs a value", with_value[k]);
		return -1;
	}
	switch (k) {
	case 0:
		if (!sg_report_format_parse(v, &o->format)) {
			sg_cli_usage_error(cmd, "--format: '%s' is not one of table, json, csv, html, junit",
			    v);
			return -1;
		}
		o->format_given = true;
		return 1;
	case 1:
	case 2:
		return set_str(&o->output_file, v, cmd, "--output-file");
	case 3: {
		struct sg_error err;
		sg_err_init(&err);
		if (sg_report_outputs_add(&o->outputs, v, &err) != SG_OK) {
			sg_cli_usage_error(cmd, "%s", err.msg);
			return -1;
		}
		return 1;
	}
	case 4:
		return set_str(&o->baseline, v, cmd, "--baseline");
	case 5:
		if (!sg_fail_on_parse(v, &o->fail_on)) {
			sg_cli_usage_error(cmd, "--fail-on: '%s' is not one of new, any, none", v);
			return -1;
		}
		return 1;
	default:
		if (!sg_severity_parse(v, &o->fail_severity)) {
			sg_cli_usage_error(cmd,
			    "--fail-severity: '%s' is not one of info, low, medium, high, critical", v);
			return -1;
		}
		return 1;
	}
}

enum sg_status
sg_report_cli_finish(const struct sg_report_cli *o, struct sg_report *r, FILE *stdout_file,
                     enum sg_report_outcome *outcome, struct sg_error *err)
{
	struct sg_report_outputs all = { 0 };
	struct sg_report_opts opts = { false, 100 };
	bool tty = isatty(fileno(stdout_file)) == 1;
	enum sg_status st = SG_OK;
	size_t i;

	if (o->baseline != NULL) {
		st = sg_baseline_apply_file(r, o->baseline, err);
		if (st == SG_ENOTFOUND) {
			/* The first night: nothing to compare with, everything is new. */
			static const char empty[] = "{\"schema\":\"" SG_REPORT_SCHEMA "\","
			    "\"schema_version\":1,\"findings\":[]}";
			fprintf(stderr, "sg-audit: baseline %s does not exist yet: every finding is new\n",
			    o->baseline);
			sg_err_init(err);
			st = sg_baseline_apply(r, empty, sizeof(empty) - 1, o->baseline, err);
		} else if (st == SG_EPARSE || st == SG_EIO || st == SG_ELIMIT) {
			/* A baseline that cannot be used is the operator's configuration. */
			err->status = st = SG_ECONFIG;
		}
		if (st != SG_OK)
			return st;
	}
	sg_report_finish(r);

	/* Where the --format report goes; then every --output. */
	{
		const char *target = NULL;
		enum sg_report_format fmt = o->format;
		char spec[4200];

		if (o->output_file != NULL) {
			target = o->output_file;
			if (!o->format_given)
				fmt = SG_FMT_JSON;
		} else if (o->format_given || o->outputs.n == 0) {
			target = "-";
			if (!o->format_given)
				fmt = tty ? SG_FMT_TABLE : SG_FMT_JSON;
		} else if (tty) {
			target = "-";
			fmt = SG_FMT_TABLE;
		}
		if (target != NULL) {
			snprintf(spec, sizeof(spec), "%s:%s", sg_report_format_name(fmt), target);
			if ((st = sg_report_outputs_add(&all, spec, err)) != SG_OK)
				goto out;
		}
		for (i = 0; i < o->outputs.n; i++) {
			snprintf(spec, sizeof(spec), "%s:%s",
			    sg_report_format_name(o->outputs.items[i].format), o->outputs.items[i].path);
			if ((st = sg_report_outputs_add(&all, spec, err)) != SG_OK)
				goto out;
		}
	}
	opts.color = !o->no_color && tty && sg_report_want_color(fileno(stdout_file));
	st = sg_report_write_outputs(r, &all, &opts, stdout_file, err);
	*outcome = sg_report_decide(r, o->fail_on, o->fail_severity);
out:
	sg_report_outputs_dispose(&all);
	return st;
}
