/*
 * cmd_events.c — 'sg-audit events': CloudTrail changes that opened a
 * security group to the internet, as NDJSON (one ECS document per alert)
 * or a table. See docs/events.md.
 *
 * Exit codes (the one table in cli.c, plus this rule for alerts):
 *   2  some input could not be read (a file, a record, a region or page of
 *      LookupEvents): the run is incomplete — wins over 1, as for scan;
 *      the alerts that were found are still written
 *   1  an alert reached --min-risk
 *   0  everything read, no alert
 *   3/4/5 usage, credentials, internal errors
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sg_cli.h"
#include "sg_cli_aws.h"
#include "sg_cloudtrail.h"
#include "sg_ec2.h"
#include "sg_util.h"

#define CMD "events"
#define MAX_FILES 256
#define MAX_REGIONS 64

enum fmt { FMT_NDJSON, FMT_TABLE };

struct row {
	int risk;
	char *cols[11];
};

struct ev_ctx {
	enum fmt fmt;
	FILE *out;
	struct sg_buf line;
	struct row *rows;
	size_t n_rows, rows_cap;
	bool write_failed;
};

static const char *const headers[11] = {
	"TIME", "RISK", "SEVERITY", "EVENT", "REGION", "GROUP", "ACTION", "PROTOCOL", "PORTS",
	"SOURCES", "USER",
};

static void
warn_cb(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "sg-audit: %s: %s\n", CMD, msg);
}

/* A copy fit for a terminal: control characters become '?', long text is cut. */
static char *
cell(const char *s, size_t max)
{
	size_t n = strlen(s), i, k = 0;
	char *out = malloc((n < max ? n : max) + 4);

	if (out == NULL)
		return NULL;
	for (i = 0; i < n && k < max; i++) {
		unsigned char c = (unsigned char)s[i];
		out[k++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (i < n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

static enum sg_status
emit_cb(void *vctx, const struct sg_ct_alert *a, struct sg_error *err)
{
	struct ev_ctx *c = vctx;
	enum sg_status st;

	if (c->fmt == FMT_NDJSON) {
		sg_buf_reset(&c->line);
		if ((st = sg_ct_alert_ndjson(a, &c->line, err)) != SG_OK)
			return st;
		if (fwrite(c->line.data, 1, c->line.len, c->out) != c->line.len)
			return sg_err_set(err, SG_EIO, "writing the output failed");
		return SG_OK;
	}
	{
		struct row *r;
		char risk[16];
		const char *sources = a->seed ? "" : a->sources;
		size_t i;

		if (c->n_rows == c->rows_cap) {
			size_t cap = c->rows_cap ? c->rows_cap * 2 : 64;
			struct row *nr = realloc(c->rows, cap * sizeof(*nr));
			if (nr == NULL)
				return sg_err_set(err, SG_ENOMEM, "out of memory");
			c->rows = nr;
			c->rows_cap = cap;
		}
		r = &c->rows[c->n_rows];
		snprintf(risk, sizeof(risk), "%d", a->risk);
		r->risk = a->risk;
		r->cols[0] = cell(a->timestamp, 25);
		r->cols[1] = cell(risk, 4);
		r->cols[2] = cell(sg_severity_name(a->severity), 10);
		r->cols[3] = cell(a->event_name, 32);
		r->cols[4] = cell(a->region, 16);
		r->cols[5] = cell(a->group, 24);
		r->cols[6] = cell(a->action, 8);
		r->cols[7] = cell(a->protocol, 8);
		r->cols[8] = cell(a->port_info, 28);
		r->cols[9] = cell(sources, 48);
		r->cols[10] = cell(a->user, 72);
		for (i = 0; i < 11; i++) {
			if (r->cols[i] == NULL) {
				while (i-- > 0)
					free(r->cols[i]);
				return sg_err_set(err, SG_ENOMEM, "out of memory");
			}
		}
		c->n_rows++;
	}
	return SG_OK;
}

static void
print_table(struct ev_ctx *c)
{
	size_t w[11], i, j;

	if (c->n_rows == 0) {
		fprintf(c->out, "No alerts.\n");
		return;
	}
	for (j = 0; j < 11; j++)
		w[j] = strlen(headers[j]);
	for (i = 0; i < c->n_rows; i++)
		for (j = 0; j < 11; j++)
			if (strlen(c->rows[i].cols[j]) > w[j])
				w[j] = strlen(c->rows[i].cols[j]);
	for (j = 0; j < 11; j++)
		fprintf(c->out, "%-*s%s", (int)w[j], headers[j], j < 10 ? "  " : "\n");
	for (i = 0; i < c->n_rows; i++)
		for (j = 0; j < 11; j++)
			fprintf(c->out, "%-*s%s", (int)w[j], c->rows[i].cols[j], j < 10 ? "  " : "\n");
}

static void
ctx_dispose(struct ev_ctx *c)
{
	size_t i, j;

	for (i = 0; i < c->n_rows; i++)
		for (j = 0; j < 11; j++)
			free(c->rows[i].cols[j]);
	free(c->rows);
	sg_buf_dispose(&c->line);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit events [--file PATH]... [--regions R1,R2|all] [--since 24h|7d|TIME]\n"
	    "                       [--until TIME] [--format ndjson|table] [--min-risk N]\n"
	    "                       [--seed-compatible] [--stats] [AWS options]\n"
	    "\n"
	    "Score CloudTrail events that opened (or closed) a security group to the internet:\n"
	    "AuthorizeSecurityGroupIngress/Egress, RevokeSecurityGroupIngress/Egress,\n"
	    "CreateSecurityGroup and ModifySecurityGroupRules, successful ones only.\n"
	    "Risk: all traffic 100, sensitive port 90, other port 75, ICMP 40, revoke 40.\n"
	    "\n"
	    "Sources:\n"
	    "  --file PATH         a .json or .json.gz CloudTrail log file, or a directory laid\n"
	    "                      out as delivered to S3 (AWSLogs/ACCOUNT/CloudTrail/REGION/...);\n"
	    "                      repeatable. Duplicate eventIDs are dropped.\n"
	    "  (no --file)         CloudTrail LookupEvents in each region of --regions\n"
	    "\n"
	    "Options:\n"
	    "  --regions LIST      regions to query (LookupEvents) or keep (files); 'all'\n"
	    "  --since WHEN        start: 24h, 7d, 90m, 2w, 2024-05-01, 2024-05-01T12:00:00Z,\n"
	    "                      epoch seconds (LookupEvents default: 24h)\n"
	    "  --until WHEN        end (default: now)\n"
	    "  --format FMT        ndjson (default; one ECS document per alert) or table\n"
	    "  --min-risk N        report alerts with risk >= N (default 1; 0 adds info notes)\n"
	    "  --seed-compatible   reproduce the original detection query exactly\n"
	    "  --stats             print counts and throughput to stderr at the end\n"
	    "\n"
	    "Exit: 0 no alert, 1 an alert at --min-risk, 2 some input unreadable (wins over 1;\n"
	    "      alerts found are still printed), 3 usage, 4 credentials, 5 internal error.\n"
	    "\n");
	sg_cli_aws_usage(f);
}

static bool
split_regions(char *list, const char **out, size_t *n)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (*tok == '\0')
			continue;
		if (*n >= MAX_REGIONS)
			return false;
		out[(*n)++] = tok;
	}
	return *n > 0;
}

static void
print_stats(const struct sg_ct_stats *st, double secs)
{
	double mb = (double)st->bytes_json / 1e6;

	fprintf(stderr,
	    "sg-audit: %s: %llu files, %.1f MB read, %.1f MB JSON, %llu records, %llu security-group "
	    "events (%llu duplicate, %llu failed, %llu filtered, %llu scored), %llu alerts; "
	    "%llu bad files, %llu bad records; %.2f s, %.0f events/s, %.1f MB/s\n",
	    CMD, (unsigned long long)st->files, (double)st->bytes_read / 1e6, mb,
	    (unsigned long long)st->records, (unsigned long long)st->sg_events,
	    (unsigned long long)st->duplicates, (unsigned long long)st->failed,
	    (unsigned long long)st->filtered, (unsigned long long)st->scored,
	    (unsigned long long)st->alerts, (unsigned long long)st->bad_files,
	    (unsigned long long)st->bad_records, secs,
	    secs > 0 ? (double)st->records / secs : 0.0, secs > 0 ? mb / secs : 0.0);
}

int
sg_cmd_events(int argc, char **argv)
{
	const char *files[MAX_FILES];
	const char *regions[MAX_REGIONS];
	size_t n_files = 0, n_regions = 0, i;
	const char *since_arg = NULL, *until_arg = NULL;
	bool all_regions = false, stats = false;
	struct sg_exposure_params *params = NULL;
	struct sg_ct_options o;
	struct sg_ct_scan *scan = NULL;
	struct sg_ct_lookup_args la;
	struct sg_cli_aws aws_opts;
	struct sg_cli_aws_session sess;
	bool aws_used = false, sess_open = false;
	struct ev_ctx c;
	struct sg_error err;
	enum sg_status st = SG_OK;
	time_t now = time(NULL);
	uint64_t t0;
	int rc, a;
	char *regions_copy = NULL;

	memset(&c, 0, sizeof(c));
	c.out = stdout;
	sg_buf_init(&c.line, 1 << 20);
	sg_err_init(&err);
	params = malloc(sizeof(*params));
	if (params == NULL)
		return SG_EXIT_INTERNAL;
	sg_exposure_params_default(params);
	sg_ct_options_init(&o, params);
	memset(&la, 0, sizeof(la));
	memset(&sess, 0, sizeof(sess));
	sg_cli_aws_init(&aws_opts);

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *val = NULL;
		char name[64];
		const char *eq = strchr(arg, '=');
		int used;
		int at = a;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			rc = SG_EXIT_CLEAN;
			goto out;
		}
		if (strncmp(arg, "--", 2) != 0) {
			rc = sg_cli_usage_error(CMD, "unexpected argument '%s'", arg);
			goto out;
		}
		if (eq != NULL && (size_t)(eq - arg) < sizeof(name)) {
			memcpy(name, arg, (size_t)(eq - arg));
			name[eq - arg] = '\0';
			val = eq + 1;
		} else {
			snprintf(name, sizeof(name), "%s", arg);
		}
		/* Flags without a value. */
		if (strcmp(name, "--seed-compatible") == 0 || strcmp(name, "--stats") == 0) {
			if (val != NULL) {
				rc = sg_cli_usage_error(CMD, "%s takes no value", name);
				goto out;
			}
			if (name[2] == 's' && name[3] == 'e')
				o.seed_compatible = true;
			else
				stats = true;
			continue;
		}
		/* AWS options (--endpoint-url, --profile, --region, --debug, ...): the shared parser. */
		used = sg_cli_aws_option(&aws_opts, CMD, argc, argv, &at);
		if (used < 0) {
			rc = SG_EXIT_USAGE;
			goto out;
		}
		if (used > 0) {
			a = at;
			aws_used = true;
			continue;
		}
		if (val == NULL) {
			if (a + 1 >= argc) {
				rc = sg_cli_usage_error(CMD, "%s needs a value", name);
				goto out;
			}
			val = argv[++a];
		}
		if (strcmp(name, "--file") == 0) {
			if (n_files >= MAX_FILES) {
				rc = sg_cli_usage_error(CMD, "at most %d --file options", MAX_FILES);
				goto out;
			}
			files[n_files++] = val;
		} else if (strcmp(name, "--regions") == 0) {
			if (strcmp(val, "all") == 0) {
				all_regions = true;
				continue;
			}
			free(regions_copy);
			regions_copy = strdup(val);
			n_regions = 0;
			if (regions_copy == NULL || !split_regions(regions_copy, regions, &n_regions)) {
				rc = sg_cli_usage_error(CMD, "--regions: expected all or R1,R2 (at most %d)",
				    MAX_REGIONS);
				goto out;
			}
			for (i = 0; i < n_regions; i++) {
				/* Region names become host names: only [a-z0-9-]. */
				if (!sg_ec2_region_name_valid(regions[i])) {
					rc = sg_cli_usage_error(CMD, "--regions: '%s' is not a region name",
					    regions[i]);
					goto out;
				}
			}
		} else if (strcmp(name, "--since") == 0) {
			since_arg = val;
		} else if (strcmp(name, "--until") == 0) {
			until_arg = val;
		} else if (strcmp(name, "--format") == 0) {
			if (strcmp(val, "ndjson") == 0 || strcmp(val, "json") == 0)
				c.fmt = FMT_NDJSON;
			else if (strcmp(val, "table") == 0)
				c.fmt = FMT_TABLE;
			else {
				rc = sg_cli_usage_error(CMD, "--format: expected ndjson or table, not '%s'",
				    val);
				goto out;
			}
		} else if (strcmp(name, "--min-risk") == 0) {
			long v;
			if (!sg_parse_long(sg_str_from(val), 0, 100, &v)) {
				rc = sg_cli_usage_error(CMD, "--min-risk: expected 0..100, not '%s'", val);
				goto out;
			}
			o.min_risk = (int)v;
		} else {
			rc = sg_cli_usage_error(CMD, "unknown option '%s'", name);
			goto out;
		}
	}
	if (since_arg != NULL && !sg_ct_parse_time(since_arg, now, &o.since)) {
		rc = sg_cli_usage_error(CMD, "--since: '%s' is not a duration (24h, 7d) or a time", since_arg);
		goto out;
	}
	if (until_arg != NULL && !sg_ct_parse_time(until_arg, now, &o.until)) {
		rc = sg_cli_usage_error(CMD, "--until: '%s' is not a duration (24h, 7d) or a time", until_arg);
		goto out;
	}
	if (o.since && o.until && o.since > o.until) {
		rc = sg_cli_usage_error(CMD, "--since is after --until");
		goto out;
	}
	if (n_regions > 0 && !all_regions) {
		o.regions = regions;
		o.n_regions = n_regions;
	}
	o.emit = emit_cb;
	o.warn = warn_cb;
	o.ctx = &c;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	if (n_files == 0) {
		/* LookupEvents: default window 24h; its bounds go to the server too. */
		if (o.since == 0)
			o.since = now - 86400;
		if (o.until == 0)
			o.until = now;
	}
	if ((st = sg_ct_scan_new(&scan, &o, &err)) != SG_OK)
		goto fail;
	t0 = sg_now_ms();
	if (n_files > 0) {
		if (aws_used) {
			rc = sg_cli_usage_error(CMD, "AWS options do not apply to --file");
			goto out;
		}
		for (i = 0; i < n_files && st == SG_OK; i++)
			st = sg_ct_scan_path(scan, files[i], &err);
	} else {
		la.regions = all_regions ? NULL : regions;
		la.n_regions = all_regions ? 0 : n_regions;
		la.all_regions = all_regions;
		la.since = o.since;
		la.until = o.until;
		if ((st = sg_cli_aws_open(&aws_opts, &sess, &err)) != SG_OK)
			goto fail;
		sess_open = true;
		st = sg_ct_lookup_run(scan, sess.aws, &la, &err);
	}
	if (st != SG_OK)
		goto fail;
	if (c.fmt == FMT_TABLE)
		print_table(&c);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		st = sg_err_set(&err, SG_EIO, "writing the output failed");
		goto fail;
	}
	if (stats || c.fmt == FMT_TABLE)
		print_stats(sg_ct_scan_stats(scan), (double)(sg_now_ms() - t0) / 1000.0);
	/* As for scan: an incomplete run says so (2) even when it found alerts (stdout has them). */
	if (sg_ct_scan_incomplete(scan)) {
		fprintf(stderr, "sg-audit: %s: incomplete: some input could not be read (see above)%s\n",
		    CMD, sg_ct_scan_stats(scan)->alerts > 0 ? "; the alerts found are on stdout" : "");
		rc = SG_EXIT_INCOMPLETE;
	} else if (sg_ct_scan_stats(scan)->alerts > 0) {
		rc = SG_EXIT_FINDINGS;
	} else {
		rc = SG_EXIT_CLEAN;
	}
	goto out;
fail:
	fflush(stdout);
	sg_cli_report_error(CMD, &err);
	rc = sg_exit_for_status(st);
out:
	sg_ct_scan_free(scan);
	if (sess_open)
		sg_cli_aws_close(&sess);
	ctx_dispose(&c);
	free(params);
	free(regions_copy);
	return rc;
}
