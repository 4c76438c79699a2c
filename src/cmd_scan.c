/*
 * cmd_scan.c — `sg-audit scan` (the default command).
 *
 * Scan every requested region (sg_scan.h), evaluate the policy catalogue
 * (sg_policy.h) with waivers and PCI scope, and report (sg_report_cli.h):
 * the table on a terminal, JSON otherwise, any number of --output files
 * written atomically, the diff against --baseline. `--format inventory`
 * prints the raw inventory (records and coverage, no policies) instead.
 * Progress goes to stderr only when stderr is a terminal.
 *
 * Exit (one table, src/cli.c): 0 clean, 1 failing findings at the
 * --fail-on/--fail-severity threshold, 2 a requested region or call did not
 * complete (wins over 1), 3 usage or configuration, 4 credentials, 5 internal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sg_cli.h"
#include "sg_cli_aws.h"
#include "sg_ec2.h"
#include "sg_evidence.h"
#include "sg_inventory_json.h"
#include "sg_policy.h"
#include "sg_report.h"
#include "sg_report_cli.h"
#include "sg_scan.h"
#include "sg_util.h"
#include "sg_waiver.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

#define MAX_REGION_ARGS 128
#define MAX_SCOPE_TAGS 32

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit [scan] [--regions all|R1,R2] [--format FORMAT] [-o FILE]\n"
	    "                [--output FORMAT:PATH]... [--baseline FILE] [--fail-on new|any|none]\n"
	    "                [--fail-severity LEVEL] [--waivers FILE] [--scope-tag KEY=VALUE]...\n"
	    "                [--policies DIR] [--evidence DIR] [AWS options]\n"
	    "\n"
	    "Read every security group of the requested regions, evaluate the policies,\n"
	    "and report: the PCI DSS 1.2.1 verdict, the findings with reason and fix, the\n"
	    "coverage of every region.\n"
	    "\n"
	    "  --regions all|R1,R2    regions to scan: all = every region the account has\n"
	    "                         enabled (DescribeRegions; the others are shown\n"
	    "                         NOT_OPTED_IN); default: the default region\n"
	    "                         (AWS_REGION, AWS_DEFAULT_REGION, the profile)\n"
	    "  --waivers FILE         accepted exceptions (owner, ticket, expiry)\n"
	    "  --scope-tag KEY=VALUE  groups in PCI scope carry this tag (repeatable;\n"
	    "                         default: every group)\n"
	    "  --policies DIR         add or replace policies from DIR\n"
	    "  --evidence DIR         also write an evidence bundle to DIR (new or empty): the\n"
	    "                         raw responses, report, policies, manifest, SHA256SUMS\n"
	    "                         (docs/evidence.md; check it with 'evidence verify')\n"
	    "  --format inventory     print the raw inventory JSON (no policies) instead\n"
	    "  --no-prefix-lists      do not resolve prefix lists' entries\n"
	    "  --no-network-interfaces  do not ask which groups are attached to an interface\n"
	    "                         (findings then show the attachment as unknown)\n"
	    "  --no-progress          no progress on stderr (default: shown on a terminal)\n"
	    "  --xml-file FILE        offline: read a saved DescribeSecurityGroups response\n"
	    "                         instead of calling AWS (repeatable; region from --region)\n"
	    "  --help                 show this help\n"
	    "\n"
	    "  The scan keeps one call in flight per region (--concurrency, default %d).\n"
	    "\n",
	    SG_SCAN_DEFAULT_CONCURRENCY);
	sg_report_cli_usage(f);
	fprintf(f, "\n");
	sg_cli_aws_usage(f);
	fprintf(f,
	    "\n"
	    "Exit codes: 0 clean, 1 failing findings at the threshold, 2 a requested\n"
	    "region or call did not complete (wins over 1), 3 usage or configuration\n"
	    "error, 4 credentials or authentication failure, 5 internal error.\n");
}

struct progress {
	bool on;
	bool shown;
};

static void
on_progress(void *ctx, const struct sg_scan_progress *p)
{
	struct progress *pr = ctx;

	if (!pr->on)
		return;
	fprintf(stderr, "\rsg-audit: scanning: %zu/%zu regions done, %zu pages, %zu groups\033[K",
	    p->regions_done, p->regions_total, p->pages, p->groups);
	fflush(stderr);
	pr->shown = true;
}

/* Split "a,b,c" into names (pointers into a copy the caller frees). */
static int
split_regions(char *list, const char **names, size_t *n)
{
	char *save = NULL, *tok;

	*n = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*tok == '\0')
			continue;
		if (*n == MAX_REGION_ARGS)
			return -1;
		names[(*n)++] = tok;
	}
	return *n == 0 ? -1 : 0;
}

/* Offline: parse saved pages as one region. */
static enum sg_status
scan_files(struct sg_inventory *inv, const char *region, const char *const *files, size_t n,
           struct sg_error *err)
{
	struct sg_region_coverage *cov = sg_inventory_add_region(inv, region);
	enum sg_status st = SG_OK;
	size_t i, rules = 0;

	if (cov == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < n && st == SG_OK; i++) {
		struct sg_buf b;
		struct sg_ec2_page pg;
		struct sg_ec2_where w;

		sg_buf_init(&b, SG_EC2_MAX_PAGE_BYTES);
		if ((st = sg_file_read(files[i], &b, true, err)) != SG_OK)
			break;
		memset(&w, 0, sizeof(w));
		w.region = region;
		w.page = (unsigned)i + 1;
		st = sg_ec2_parse_groups(&pg, inv, b.data, b.len, &w, err);
		if (st != SG_OK)
			sg_err_prefix(err, "%s: ", files[i]);
		else
			cov->pages++;
		sg_ec2_page_dispose(&pg);
		sg_buf_dispose(&b);
	}
	cov->state = st == SG_OK ? SG_REGION_SCANNED : SG_REGION_ERROR;
	if (st != SG_OK) {
		cov->error_code = strdup(sg_status_name(st));
		cov->error_message = strdup(err->msg);
	}
	cov->groups = inv->n_groups;
	for (i = 0; i < inv->n_groups; i++)
		rules += inv->groups[i].n_rules;
	cov->rules = rules;
	sg_inventory_sort(inv);
	return st;
}

/* "all groups" or "tag k=v, k2=v2": what the report says was in scope. */
static char *
scope_text(const struct sg_scope_tag *tags, size_t n)
{
	struct sg_buf b;
	struct sg_error e;
	size_t i;

	if (n == 0)
		return strdup("all groups");
	sg_err_init(&e);
	sg_buf_init(&b, 1 << 16);
	if (sg_buf_append_str(&b, n == 1 ? "tag " : "tags ", &e) != SG_OK)
		return NULL;
	for (i = 0; i < n; i++)
		if (sg_buf_appendf(&b, &e, "%s%s=%s", i ? ", " : "", tags[i].key, tags[i].value) !=
		    SG_OK)
			return NULL;
	return sg_buf_detach(&b, NULL);
}

/*
 * The run's clock. SG_FIXED_TIME (seconds since the epoch) pins it, so two
 * test runs produce byte-identical reports; otherwise the wall clock.
 */
static time_t
run_clock(void)
{
	const char *f = getenv("SG_FIXED_TIME");
	long v;

	if (f != NULL && sg_parse_long(sg_str_from(f), 0, 4102444800L, &v))
		return (time_t)v;
	return time(NULL);
}

/* Print the raw inventory JSON (--format inventory); exit by coverage. */
static int
print_inventory(const struct sg_inventory *inv, const char *output)
{
	struct sg_error err;
	char *json = NULL;
	enum sg_status st;

	sg_err_init(&err);
	if ((st = sg_inventory_to_json(&json, inv, true, &err)) != SG_OK) {
		sg_cli_report_error("scan", &err);
		return sg_exit_for_status(st);
	}
	if (output != NULL)
		st = sg_file_write_atomic(output, json, strlen(json), 0644, &err);
	else if (fputs(json, stdout) == EOF || fflush(stdout) != 0)
		st = sg_err_set(&err, SG_EIO, "writing the inventory to standard output failed");
	free(json);
	if (st != SG_OK) {
		sg_cli_report_error("scan", &err);
		return sg_exit_for_status(st);
	}
	return sg_scan_complete(inv) ? SG_EXIT_CLEAN : SG_EXIT_INCOMPLETE;
}

/*
 * The command line as typed, for the evidence manifest: option parsing edits
 * argv in place (--scope-tag KEY=VALUE loses its '='). NULL on ENOMEM.
 */
static char **
argv_dup(int argc, char **argv)
{
	char **c = calloc((size_t)argc + 1, sizeof(*c));
	int i;

	for (i = 0; c != NULL && i < argc; i++)
		if ((c[i] = strdup(argv[i])) == NULL) {
			while (i-- > 0)
				free(c[i]);
			free(c);
			return NULL;
		}
	return c;
}

static void
argv_free(int argc, char **c)
{
	int i;

	for (i = 0; c != NULL && i < argc; i++)
		free(c[i]);
	free(c);
}

/* Every response as received goes into the evidence bundle (any worker thread). */
static void
on_evidence(void *ctx, const struct sg_aws_response *resp, unsigned page, enum sg_status st)
{
	(void)st;
	/* A failure is sticky in the writer and reported by sg_evidence_finish. */
	if (sg_evidence_add_aws_response(ctx, resp, NULL, page, NULL) != SG_OK) {
	}
}

/* The end of the evidence bundle: report, policies, waivers, manifest. */
static enum sg_status
write_evidence(struct sg_evidence *ev, const char *dir, const struct sg_report *r,
               const struct sg_policy_set *ps, const char *waivers_path,
               const struct sg_inventory *inv, const struct sg_policy_scope *scope,
               const char *const *regions, size_t n_regions, time_t started, time_t finished,
               struct sg_error *err)
{
	static const char *const all[] = { "all" };
	struct sg_evidence_run run;
	struct sg_buf json;
	char sha[65];
	enum sg_status st;

	sg_buf_init(&json, SG_REPORT_MAX_BYTES);
	memset(&run, 0, sizeof(run));
	run.started = started;
	run.finished = finished;
	run.inv = inv;
	run.regions_requested = scope->regions_all ? all : regions;
	run.n_regions_requested = scope->regions_all ? 1 : n_regions;
	run.regions_all = scope->regions_all;
	run.scope_tags = scope->tags;
	run.n_scope_tags = scope->n_tags;
	if ((st = sg_report_render(r, SG_FMT_JSON, NULL, &json, err)) == SG_OK &&
	    (st = sg_evidence_add_file(ev, "report.json", json.data, json.len, NULL, err)) == SG_OK &&
	    (st = sg_evidence_add_policies(ev, ps, err)) == SG_OK &&
	    (st = sg_evidence_add_waivers(ev, waivers_path, err)) == SG_OK &&
	    (st = sg_evidence_finish(ev, &run, sha, err)) == SG_OK)
		fprintf(stderr, "sg-audit: evidence: %s: %zu responses, %zu files\n"
		    "sg-audit: evidence: manifest.json SHA-256 %s\n"
		    "sg-audit: evidence: record it; check with: sg-audit evidence verify "
		    "--expect-manifest-sha256 %s %s\n", dir, sg_evidence_responses(ev),
		    sg_evidence_files(ev) + 2, sha, sha, dir);
	sg_buf_dispose(&json);
	return st;
}

/* Evaluate the policies and write every report; returns the exit code. */
static int
evaluate_and_report(struct sg_inventory *inv, const struct sg_report_cli *rcli,
                    const char *policies_dir, const char *waivers_path,
                    const struct sg_policy_scope *scope, time_t started,
                    struct sg_evidence *ev, const char *ev_dir, const char *const *regions,
                    size_t n_regions)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_waiver_set *ws = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_report *r = NULL;
	struct sg_error err;
	enum sg_report_outcome outcome = SG_OUTCOME_CLEAN;
	enum sg_status st;
	char *scope_str = NULL;
	time_t now;
	int rc;

	sg_err_init(&err);
	if (ps == NULL) {
		st = sg_err_set(&err, SG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((st = sg_policy_set_load_default(ps, policies_dir, &err)) != SG_OK)
		goto fail;
	if (waivers_path != NULL && (st = sg_waiver_set_load(waivers_path, &ws, &err)) != SG_OK)
		goto fail;
	now = run_clock();
	if ((st = sg_policy_eval(inv, ps, ws, scope, now, &res, &err)) != SG_OK)
		goto fail;
	/* An expired or stale waiver is reported, never silently ignored. */
	{
		size_t k;
		for (k = 0; k < res->n_waivers; k++)
			if (res->waivers[k].state != SG_WAIVER_REPORT_USED)
				fprintf(stderr, "sg-audit: scan: %s: %s\n",
				    sg_waiver_report_state_name(res->waivers[k].state),
				    res->waivers[k].message);
	}
	if ((r = sg_report_new()) == NULL || (scope_str = scope_text(scope->tags, scope->n_tags)) ==
	    NULL) {
		st = sg_err_set(&err, SG_ENOMEM, "out of memory");
		goto fail;
	}
	/* The report's end time is the `now` the waivers were judged by (evidence verify re-runs it). */
	if ((st = sg_report_from_policy(r, inv, res, ps, SG_VERSION, started, now,
	    &err)) != SG_OK)
		goto fail;
	r->scope = scope_str;
	scope_str = NULL;
	/* The engine's result is copied into the report; free it before writing. */
	sg_policy_result_free(res);
	res = NULL;
	if ((st = sg_report_cli_finish(rcli, r, stdout, &outcome, &err)) != SG_OK)
		goto fail;
	if (ev != NULL && (st = write_evidence(ev, ev_dir, r, ps, waivers_path, inv, scope, regions,
	    n_regions, started, now, &err)) != SG_OK) {
		sg_err_prefix(&err, "evidence: ");
		goto fail;
	}
	rc = sg_exit_for_outcome(outcome);
	goto out;
fail:
	sg_cli_report_error("scan", &err);
	rc = sg_exit_for_status(st);
out:
	free(scope_str);
	sg_report_free(r);
	sg_policy_result_free(res);
	sg_waiver_set_free(ws);
	sg_policy_set_free(ps);
	return rc;
}

int
sg_cmd_scan(int argc, char **argv)
{
	struct sg_cli_aws opts;
	struct sg_cli_aws_session s;
	struct sg_scan_options so;
	struct sg_report_cli rcli;
	struct sg_inventory *inv = NULL;
	struct sg_error err;
	struct progress pr = { false, false };
	struct sg_scope_tag tags[MAX_SCOPE_TAGS];
	struct sg_policy_scope scope;
	enum sg_status st;
	const char *names[MAX_REGION_ARGS];
	const char *policies_dir = NULL, *waivers = NULL, *evidence_dir = NULL;
	struct sg_evidence *ev = NULL;
	char **argv_typed = argv_dup(argc, argv);
	char *regions_copy = NULL;
	const char **files = NULL;
	size_t n_names = 0, n_files = 0, n_tags = 0;
	bool all = false, no_progress = false, no_pl = false, inventory_only = false;
	bool no_eni = false;
	time_t started = run_clock();
	int i, r, rc = SG_EXIT_INTERNAL;

	sg_cli_aws_init(&opts);
	sg_report_cli_init(&rcli);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		r = sg_cli_aws_option(&opts, "scan", argc, argv, &i);
		if (r < 0)
			goto usage_out;
		if (r > 0)
			continue;
		/* The raw inventory is not a report format: looked at before the report flags. */
		if ((strcmp(a, "--format") == 0 && i + 1 < argc &&
		    strcmp(argv[i + 1], "inventory") == 0) || strcmp(a, "--format=inventory") == 0) {
			inventory_only = true;
			i += strcmp(a, "--format") == 0;
			continue;
		}
		r = sg_report_cli_option(&rcli, "scan", argc, argv, &i);
		if (r < 0)
			goto usage_out;
		if (r > 0)
			continue;
#define VALUE(flag) \
	(strcmp(a, flag) == 0 ? (i + 1 < argc ? (v = argv[++i]) : NULL) : \
	 strncmp(a, flag "=", sizeof(flag)) == 0 ? (v = a + sizeof(flag)) : NULL)
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			rc = SG_EXIT_CLEAN;
			goto done;
		} else if (strcmp(a, "--regions") == 0 || strncmp(a, "--regions=", 10) == 0) {
			if (VALUE("--regions") == NULL) {
				rc = sg_cli_usage_error("scan", "--regions needs all or R1,R2");
				goto done;
			}
			free(regions_copy);
			all = strcmp(v, "all") == 0;
			regions_copy = strdup(v);
			if (regions_copy == NULL)
				goto done;
			if (!all && split_regions(regions_copy, names, &n_names) != 0) {
				rc = sg_cli_usage_error("scan", "--regions: '%s' is not all or a list "
				    "of up to %d region names", v, MAX_REGION_ARGS);
				goto done;
			}
		} else if (strcmp(a, "--scope-tag") == 0 || strncmp(a, "--scope-tag=", 12) == 0) {
			if (VALUE("--scope-tag") == NULL || n_tags == MAX_SCOPE_TAGS ||
			    !sg_scope_tag_parse(argv[i] + (v - argv[i]), &tags[n_tags])) {
				rc = sg_cli_usage_error("scan", "--scope-tag needs KEY=VALUE (at most %d)",
				    MAX_SCOPE_TAGS);
				goto done;
			}
			n_tags++;
		} else if (strcmp(a, "--waivers") == 0 || strncmp(a, "--waivers=", 10) == 0) {
			if (VALUE("--waivers") == NULL || v[0] == '\0') {
				rc = sg_cli_usage_error("scan", "--waivers needs a file name");
				goto done;
			}
			waivers = v;
		} else if (strcmp(a, "--evidence") == 0 || strncmp(a, "--evidence=", 11) == 0) {
			if (VALUE("--evidence") == NULL || v[0] == '\0') {
				rc = sg_cli_usage_error("scan", "--evidence needs a directory");
				goto done;
			}
			evidence_dir = v;
		} else if (strcmp(a, "--policies") == 0 || strncmp(a, "--policies=", 11) == 0) {
			if (VALUE("--policies") == NULL || v[0] == '\0') {
				rc = sg_cli_usage_error("scan", "--policies needs a directory");
				goto done;
			}
			policies_dir = v;
		} else if (strcmp(a, "--xml-file") == 0 || strncmp(a, "--xml-file=", 11) == 0) {
			const char **nf;
			if (VALUE("--xml-file") == NULL) {
				rc = sg_cli_usage_error("scan", "--xml-file needs a file name");
				goto done;
			}
			nf = realloc(files, (n_files + 1) * sizeof(*files));
			if (nf == NULL)
				goto done;
			files = nf;
			files[n_files++] = v;
		} else if (strcmp(a, "--no-progress") == 0) {
			no_progress = true;
		} else if (strcmp(a, "--no-prefix-lists") == 0) {
			no_pl = true;
		} else if (strcmp(a, "--no-network-interfaces") == 0) {
			no_eni = true;
		} else {
			rc = sg_cli_usage_error("scan", "unknown option '%s'", a);
			goto done;
		}
#undef VALUE
	}

	sg_err_init(&err);
	if (evidence_dir != NULL && (n_files > 0 || inventory_only)) {
		rc = sg_cli_usage_error("scan", "--evidence needs a live scan with a report (not "
		    "--xml-file or --format inventory)");
		goto done;
	}
	inv = sg_inventory_new();
	if (inv == NULL)
		goto done;
	/* Before any call: a directory already in use is refused up front. */
	if (evidence_dir != NULL && argv_typed == NULL)
		goto done;
	if (evidence_dir != NULL && (st = sg_evidence_open(&ev, evidence_dir, argc, argv_typed,
	    &err)) != SG_OK) {
		sg_cli_report_error("scan", &err);
		rc = sg_exit_for_status(st);
		goto done;
	}
	if (n_files > 0) {
		st = scan_files(inv, opts.region[0] ? opts.region : "offline", files, n_files, &err);
		if (st != SG_OK)
			sg_cli_report_error("scan", &err);
	} else {
		if (opts.concurrency == 0)
			opts.concurrency = SG_SCAN_DEFAULT_CONCURRENCY;
		if ((st = sg_cli_aws_open(&opts, &s, &err)) != SG_OK) {
			sg_cli_report_error("scan", &err);
			rc = sg_exit_for_status(st);
			goto done;
		}
		sg_scan_options_init(&so);
		so.all_regions = all;
		so.regions = names;
		so.n_regions = all ? 0 : n_names;
		so.resolve_prefix_lists = !no_pl;
		so.network_interfaces = !no_eni;
		pr.on = !no_progress && isatty(STDERR_FILENO);
		so.progress = on_progress;
		so.progress_ctx = &pr;
		if (ev != NULL) {
			so.on_response = on_evidence;
			so.response_ctx = ev;
		}
		st = sg_scan_run(inv, s.aws, &so, &err);
		if (pr.shown)
			fprintf(stderr, "\r\033[K");
		sg_cli_aws_close(&s);
		if (st != SG_OK) {
			sg_cli_report_error("scan", &err);
			rc = sg_exit_for_status(st);
			goto done;
		}
	}

	if (inventory_only) {
		rc = print_inventory(inv, rcli.output_file);
		goto done;
	}
	scope.tags = tags;
	scope.n_tags = n_tags;
	scope.regions_all = all;
	rc = evaluate_and_report(inv, &rcli, policies_dir, waivers, &scope, started, ev,
	    evidence_dir, names, n_names);
	goto done;
usage_out:
	rc = SG_EXIT_USAGE;
done:
	sg_evidence_free(ev);
	argv_free(argc, argv_typed);
	sg_report_cli_dispose(&rcli);
	sg_inventory_free(inv);
	free(regions_copy);
	free(files);
	return rc;
}
