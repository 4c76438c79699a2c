/*
 * report_junit.c — JUnit XML so CI systems show failures natively.
 *
 * One test case per (group, policy) check: PASS passes, FAIL carries a
 * <failure> listing that group's findings for the policy, WAIVED and
 * NOT_APPLICABLE are <skipped> with the reason. One test suite per policy,
 * plus a first suite "coverage" with one case per requested region (a
 * region not scanned is an <error>, so an incomplete scan is never green)
 * and the run metadata as <properties>.
 */
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

struct jw {
	struct sg_buf *out;
	struct sg_error *err;
	enum sg_status st;
};

static void
raw(struct jw *w, const char *s)
{
	if (w->st == SG_OK)
		w->st = sg_buf_append_str(w->out, s, w->err);
}

static void
esc(struct jw *w, const char *s)
{
	if (w->st == SG_OK)
		w->st = sg_report_xml_escape(w->out, s ? s : "", w->err);
}

static void
num(struct jw *w, size_t v)
{
	if (w->st == SG_OK)
		w->st = sg_buf_appendf(w->out, w->err, "%zu", v);
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Order of checks and findings alike: account, region, group, policy. */
static int
check_vs_finding(const struct sg_report_check *k, const struct sg_report_finding *f)
{
	int c;

	if ((c = cmp0(k->account_id, f->account_id)) != 0 ||
	    (c = cmp0(k->region, f->region)) != 0 ||
	    (c = cmp0(k->group_id, f->group_id)) != 0)
		return c;
	return cmp0(k->policy_id, f->policy_id);
}

/*
 * The same regions the table lists under "Attachment unknown": after the
 * case's <error> if any (JUnit's order: error, then system-out).
 */
static void
attachment_out(struct jw *w, const struct sg_report_region *g)
{
	if (!sg_report_region_attachment_unknown(g))
		return;
	raw(w, "      <system-out>attachment unknown: DescribeNetworkInterfaces ");
	esc(w, g->attachments);
	raw(w, "</system-out>\n");
}

static void
coverage_suite(struct jw *w, const struct sg_report *r)
{
	const struct sg_report_meta_field *mf;
	size_t nm, j, i, errors = 0;
	char buf[SG_FIELD_BUF];

	size_t skipped = 0;

	for (i = 0; i < r->n_regions; i++) {
		if (!sg_report_region_requested(r, &r->regions[i]))
			skipped++;
		else if (!sg_report_region_scanned(&r->regions[i]))
			errors++;
	}
	raw(w, "  <testsuite name=\"coverage\" tests=\"");
	num(w, r->n_regions);
	raw(w, "\" failures=\"0\" errors=\"");
	num(w, errors);
	raw(w, "\" skipped=\"");
	num(w, skipped);
	raw(w, "\">\n    <properties>\n");
	mf = sg_report_meta_fields(&nm);
	for (j = 0; j < nm; j++) {
		buf[0] = '\0';
		raw(w, "      <property name=\"");
		raw(w, mf[j].name);
		raw(w, "\" value=\"");
		esc(w, mf[j].get(r, buf, sizeof(buf)));
		raw(w, "\"/>\n");
	}
	raw(w, "      <property name=\"pci_dss_1_2_1\" value=\"");
	raw(w, sg_report_pci_name(r->pci));
	raw(w, "\"/>\n");
	if (r->has_baseline) {
		raw(w, "      <property name=\"baseline\" value=\"");
		esc(w, r->baseline_path);
		raw(w, "\"/>\n      <property name=\"baseline_new\" value=\"");
		num(w, r->counts.diff_new);
		raw(w, "\"/>\n      <property name=\"baseline_unchanged\" value=\"");
		num(w, r->counts.diff_unchanged);
		raw(w, "\"/>\n      <property name=\"baseline_resolved\" value=\"");
		num(w, r->counts.diff_resolved);
		raw(w, "\"/>\n");
	}
	raw(w, "    </properties>\n");
	for (i = 0; i < r->n_regions; i++) {
		const struct sg_report_region *g = &r->regions[i];
		raw(w, "    <testcase classname=\"sg-audit.coverage\" name=\"");
		esc(w, g->region);
		if (sg_report_region_scanned(g) && !sg_report_region_attachment_unknown(g)) {
			raw(w, "\"/>\n");
			continue;
		}
		raw(w, "\">\n");
		if (!sg_report_region_scanned(g) && !sg_report_region_requested(r, g)) {
			raw(w, "      <skipped message=\"not requested: ");
			esc(w, g->state);
			raw(w, "\"/>\n");
		} else if (!sg_report_region_scanned(g)) {
			raw(w, "      <error type=\"");
			esc(w, g->state);
			raw(w, "\" message=\"");
			esc(w, g->state);
			raw(w, ": ");
			esc(w, g->error_code);
			if (g->error_code && g->error_message)
				raw(w, ": ");
			esc(w, g->error_message);
			raw(w, "\"/>\n");
		}
		/* A region cut short keeps the groups read so far: their findings say "unknown" too. */
		attachment_out(w, g);
		raw(w, "    </testcase>\n");
	}
	raw(w, "  </testsuite>\n");
}

static void
failure_body(struct jw *w, const struct sg_report *r, size_t lo, size_t hi)
{
	size_t i;

	for (i = lo; i < hi; i++) {
		const struct sg_report_finding *f = &r->findings[i];
		raw(w, "[");
		raw(w, sg_severity_name(f->severity));
		raw(w, " ");
		raw(w, sg_report_status_name(f->status));
		raw(w, "] ");
		esc(w, f->rule && f->rule[0] ? f->rule : "(group)");
		raw(w, "\nreason: ");
		esc(w, f->reason);
		raw(w, "\nfix: ");
		esc(w, f->fix);
		raw(w, "\n");
	}
}

enum sg_status
sg_report_render_junit(const struct sg_report *r, struct sg_buf *out, struct sg_error *err)
{
	struct jw w = { out, err, SG_OK };
	size_t *lo = NULL, *hi = NULL, i, fi, ncur, nfail = 0, nskip = 0, nerr = 0, p;

	/* Findings of each check: one merge pass over both sorted lists. */
	if (r->n_checks > 0) {
		lo = calloc(r->n_checks, sizeof(*lo));
		hi = calloc(r->n_checks, sizeof(*hi));
		if (lo == NULL || hi == NULL) {
			free(lo);
			free(hi);
			return sg_err_set(err, SG_ENOMEM, "JUnit report: out of memory");
		}
	}
	for (ncur = 0; ncur < r->n_findings && r->findings[ncur].diff != SG_DIFF_RESOLVED; ncur++)
		;
	for (i = 0, fi = 0; i < r->n_checks; i++) {
		while (fi < ncur && check_vs_finding(&r->checks[i], &r->findings[fi]) > 0)
			fi++;
		lo[i] = fi;
		while (fi < ncur && check_vs_finding(&r->checks[i], &r->findings[fi]) == 0)
			fi++;
		hi[i] = fi;
		if (r->checks[i].verdict == SG_CHECK_FAIL)
			nfail++;
		else if (r->checks[i].verdict != SG_CHECK_PASS)
			nskip++;
	}
	for (i = 0; i < r->n_regions; i++) {
		if (!sg_report_region_requested(r, &r->regions[i]))
			nskip++;
		else if (!sg_report_region_scanned(&r->regions[i]))
			nerr++;
	}

	raw(&w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"sg-audit\" tests=\"");
	num(&w, r->n_checks + r->n_regions);
	raw(&w, "\" failures=\"");
	num(&w, nfail);
	raw(&w, "\" errors=\"");
	num(&w, nerr);
	raw(&w, "\" skipped=\"");
	num(&w, nskip);
	raw(&w, "\">\n");
	coverage_suite(&w, r);

	/*
	 * One suite per policy, in policy order. Policies are found in the
	 * checks (sorted by group first), so each new id opens a suite; a
	 * policy's cases are picked by a scan of the checks (n_policies small).
	 */
	for (p = 0; p < r->n_checks; p++) {
		const char *pid = r->checks[p].policy_id;
		size_t k, tests = 0, fails = 0, skips = 0;
		bool seen = false;
		for (k = 0; k < p && !seen; k++)
			seen = cmp0(r->checks[k].policy_id, pid) == 0;
		if (seen)
			continue;
		for (k = p; k < r->n_checks; k++) {
			if (cmp0(r->checks[k].policy_id, pid) != 0)
				continue;
			tests++;
			if (r->checks[k].verdict == SG_CHECK_FAIL)
				fails++;
			else if (r->checks[k].verdict != SG_CHECK_PASS)
				skips++;
		}
		raw(&w, "  <testsuite name=\"");
		esc(&w, pid);
		raw(&w, "\" tests=\"");
		num(&w, tests);
		raw(&w, "\" failures=\"");
		num(&w, fails);
		raw(&w, "\" errors=\"0\" skipped=\"");
		num(&w, skips);
		raw(&w, "\">\n");
		for (k = p; k < r->n_checks; k++) {
			const struct sg_report_check *c = &r->checks[k];
			if (cmp0(c->policy_id, pid) != 0)
				continue;
			raw(&w, "    <testcase classname=\"");
			esc(&w, pid);
			raw(&w, ".");
			esc(&w, c->region);
			raw(&w, "\" name=\"");
			esc(&w, c->group_id);
			if (c->group_name && c->group_name[0]) {
				raw(&w, " (");
				esc(&w, c->group_name);
				raw(&w, ")");
			}
			switch (c->verdict) {
			case SG_CHECK_PASS:
				raw(&w, "\"/>\n");
				continue;
			case SG_CHECK_FAIL:
				raw(&w, "\">\n      <failure type=\"");
				esc(&w, hi[k] > lo[k] ?
				    sg_severity_name(r->findings[lo[k]].severity) : "FAIL");
				raw(&w, "\" message=\"");
				esc(&w, hi[k] > lo[k] ? r->findings[lo[k]].reason : "failed");
				raw(&w, "\">");
				failure_body(&w, r, lo[k], hi[k]);
				raw(&w, "</failure>\n");
				break;
			case SG_CHECK_WAIVED:
				raw(&w, "\">\n      <skipped message=\"waived: ");
				esc(&w, hi[k] > lo[k] && r->findings[lo[k]].waiver ?
				    r->findings[lo[k]].waiver : "live waiver");
				raw(&w, "\"/>\n");
				break;
			case SG_CHECK_NOT_APPLICABLE:
				raw(&w, "\">\n      <skipped message=\"not applicable\"/>\n");
				break;
			}
			raw(&w, "    </testcase>\n");
		}
		raw(&w, "  </testsuite>\n");
	}
	raw(&w, "</testsuites>\n");
	free(lo);
	free(hi);
	return w.st;
}
