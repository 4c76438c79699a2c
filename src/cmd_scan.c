/*
 * cmd_scan.c — `sg-audit scan` (the default command).
 *
 * Until the policy engine is wired in, the scan prints the INVENTORY: per
 * region its coverage, groups, rules and pages, then the groups; with
 * --format json the records and coverage (sg_inventory_json.h). Progress goes
 * to stderr only when stderr is a terminal.
 *
 * Exit: 0 when every requested region was scanned (or is not opted in),
 * 2 when any region was not (DENIED, THROTTLED, ERROR), otherwise the
 * status of what stopped the scan (3 usage, 4 credentials, ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_cli.h"
#include "sg_cli_aws.h"
#include "sg_ec2.h"
#include "sg_inventory_json.h"
#include "sg_scan.h"
#include "sg_util.h"

#define MAX_REGION_ARGS 128
#define GROUPS_SHOWN 60

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit [scan] [--regions all|R1,R2] [--format table|json] [-o FILE]\n"
	    "                [AWS options]\n"
	    "\n"
	    "Read every security group of the requested regions (DescribeSecurityGroups,\n"
	    "and GetManagedPrefixListEntries for the prefix lists rules name) and print\n"
	    "the inventory with each region's coverage.\n"
	    "\n"
	    "  --regions all|R1,R2    regions to scan: all = every region the account has\n"
	    "                         enabled (DescribeRegions; the others are shown\n"
	    "                         NOT_OPTED_IN); default: the default region\n"
	    "                         (AWS_REGION, AWS_DEFAULT_REGION, the profile)\n"
	    "  --format table|json    output format (default table)\n"
	    "  -o, --output FILE      write the output to FILE (atomically) instead of stdout\n"
	    "  --no-prefix-lists      do not resolve prefix lists' entries\n"
	    "  --no-progress          no progress on stderr (default: shown on a terminal)\n"
	    "  --xml-file FILE        offline: read a saved DescribeSecurityGroups response\n"
	    "                         instead of calling AWS (repeatable; region from --region)\n"
	    "  --help                 show this help\n"
	    "\n"
	    "  The scan keeps one call in flight per region (--concurrency, default %d).\n"
	    "\n",
	    SG_SCAN_DEFAULT_CONCURRENCY);
	sg_cli_aws_usage(f);
	fprintf(f,
	    "\n"
	    "Exit codes: 0 every requested region scanned, 2 a region or call did not\n"
	    "complete, 3 usage or configuration error, 4 credentials or authentication\n"
	    "failure, 5 internal error.\n");
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

static void
table(struct sg_buf *out, const struct sg_inventory *inv, struct sg_error *err)
{
	size_t i, groups = 0, rules = 0, pages = 0, scanned = 0, count[SG_REGION_ERROR + 1];
	enum sg_status st = SG_OK;

	memset(count, 0, sizeof(count));
	if (inv->account_id)
		st = sg_buf_appendf(out, err, "account %s%s%s%s\n\n", inv->account_id,
		    inv->caller_arn ? " (" : "", inv->caller_arn ? inv->caller_arn : "",
		    inv->caller_arn ? ")" : "");
	if (st == SG_OK)
		st = sg_buf_appendf(out, err, "%-16s %-13s %7s %7s %6s %5s  %s\n", "REGION",
		    "COVERAGE", "GROUPS", "RULES", "PAGES", "PLS", "DETAIL");
	for (i = 0; st == SG_OK && i < inv->n_regions; i++) {
		const struct sg_region_coverage *c = &inv->regions[i];
		char detail[200] = "";

		count[c->state]++;
		if (c->state == SG_REGION_SCANNED)
			scanned++;
		groups += c->groups;
		rules += c->rules;
		pages += c->pages;
		if (c->error_code)
			snprintf(detail, sizeof(detail), "%s: %.150s", c->error_code,
			    c->error_message ? c->error_message : "");
		if (c->state == SG_REGION_NOT_OPTED_IN)
			st = sg_buf_appendf(out, err, "%-16s %-13s %7s %7s %6s %5s  %s\n", c->region,
			    sg_region_state_name(c->state), "-", "-", "-", "-",
			    "not enabled for this account");
		else
			st = sg_buf_appendf(out, err, "%-16s %-13s %7zu %7zu %6zu %5zu  %s\n",
			    c->region, sg_region_state_name(c->state), c->groups, c->rules, c->pages,
			    c->prefix_lists, detail);
	}
	if (st == SG_OK)
		st = sg_buf_appendf(out, err, "%-16s %-13s %7zu %7zu %6zu\n\n", "total", "", groups,
		    rules, pages);
	if (st == SG_OK)
		st = sg_buf_appendf(out, err, "coverage: %zu of %zu regions scanned, %zu not opted "
		    "in, %zu denied, %zu throttled, %zu errors%s\n", scanned, inv->n_regions,
		    count[SG_REGION_NOT_OPTED_IN], count[SG_REGION_DENIED],
		    count[SG_REGION_THROTTLED], count[SG_REGION_ERROR],
		    sg_scan_complete(inv) ? "" : " -- INCOMPLETE: not every requested region was seen");
	if (st == SG_OK && inv->n_groups > 0)
		st = sg_buf_appendf(out, err, "\n%-16s %-22s %-28s %-22s %4s %4s\n", "REGION",
		    "GROUP", "NAME", "VPC", "IN", "OUT");
	for (i = 0; st == SG_OK && i < inv->n_groups && i < GROUPS_SHOWN; i++) {
		const struct sg_group *g = &inv->groups[i];
		size_t k, in = 0;

		for (k = 0; k < g->n_rules; k++)
			in += g->rules[k].direction == SG_INGRESS;
		st = sg_buf_appendf(out, err, "%-16s %-22s %-28.28s %-22s %4zu %4zu\n",
		    g->region ? g->region : "-", g->group_id, g->group_name ? g->group_name : "-",
		    g->vpc_id ? g->vpc_id : "-", in, g->n_rules - in);
	}
	if (st == SG_OK && inv->n_groups > GROUPS_SHOWN)
		st = sg_buf_appendf(out, err, "... and %zu more groups (--format json lists every "
		    "record)\n", inv->n_groups - GROUPS_SHOWN);
	(void)st; /* the buffer's error is in err; the caller checks out->data */
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

int
sg_cmd_scan(int argc, char **argv)
{
	struct sg_cli_aws opts;
	struct sg_cli_aws_session s;
	struct sg_scan_options so;
	struct sg_inventory *inv = NULL;
	struct sg_error err;
	struct progress pr = { false, false };
	struct sg_buf out;
	enum sg_status st;
	const char *names[MAX_REGION_ARGS];
	const char *format = "table", *output = NULL;
	char *regions_copy = NULL;
	const char **files = NULL;
	size_t n_names = 0, n_files = 0;
	bool all = false, no_progress = false, no_pl = false;
	int i, r, rc = SG_EXIT_INTERNAL;

	sg_cli_aws_init(&opts);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		r = sg_cli_aws_option(&opts, "scan", argc, argv, &i);
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
		} else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
			if (VALUE("--format") == NULL || (strcmp(v, "table") != 0 &&
			    strcmp(v, "json") != 0)) {
				rc = sg_cli_usage_error("scan", "--format must be table or json");
				goto done;
			}
			format = v;
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
		    strncmp(a, "--output=", 9) == 0) {
			if (strcmp(a, "-o") == 0)
				v = i + 1 < argc ? argv[++i] : NULL;
			else
				(void)VALUE("--output");
			if (v == NULL || v[0] == '\0') {
				rc = sg_cli_usage_error("scan", "%s needs a file name", a);
				goto done;
			}
			output = v;
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
		} else {
			rc = sg_cli_usage_error("scan", "unknown option '%s'", a);
			goto done;
		}
#undef VALUE
	}

	sg_err_init(&err);
	inv = sg_inventory_new();
	if (inv == NULL)
		goto done;
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
		pr.on = !no_progress && isatty(STDERR_FILENO);
		so.progress = on_progress;
		so.progress_ctx = &pr;
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

	sg_buf_init(&out, (size_t)1 << 30);
	sg_err_init(&err);
	if (strcmp(format, "json") == 0) {
		char *json = NULL;
		if (sg_inventory_to_json(&json, inv, true, &err) != SG_OK ||
		    sg_buf_append_str(&out, json, &err) != SG_OK) {
			free(json);
			sg_cli_report_error("scan", &err);
			goto done;
		}
		free(json);
	} else {
		table(&out, inv, &err);
		if (err.status != SG_OK) {
			sg_cli_report_error("scan", &err);
			goto done;
		}
	}
	if (output != NULL) {
		st = sg_file_write_atomic(output, out.data ? out.data : "", out.len, 0644, &err);
		if (st != SG_OK) {
			sg_cli_report_error("scan", &err);
			sg_buf_dispose(&out);
			rc = sg_exit_for_status(st);
			goto done;
		}
	} else if (out.len > 0 && fwrite(out.data, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "sg-audit: scan: writing the output failed\n");
		sg_buf_dispose(&out);
		rc = SG_EXIT_INCOMPLETE;
		goto done;
	}
	fflush(stdout);
	sg_buf_dispose(&out);
	rc = sg_scan_complete(inv) ? SG_EXIT_CLEAN : SG_EXIT_INCOMPLETE;
	goto done;
usage_out:
	rc = SG_EXIT_USAGE;
done:
	sg_inventory_free(inv);
	free(regions_copy);
	free(files);
	return rc;
}
