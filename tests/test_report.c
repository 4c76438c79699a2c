/*
 * test_report.c — every report format against golden files, CSV injection,
 * the baseline diff, the exit-code decision matrix, multi-output plumbing,
 * and a writer killed mid-write leaving the previous report whole.
 *
 * Goldens live in tests/golden/. After an intended change of output:
 *     SG_UPDATE_GOLDEN=1 build/tests/test_report
 * and review the diff.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "sg_baseline.h"
#include "sg_policy.h"
#include "sg_record_json.h"
#include "sg_cli.h"
#include "sg_report.h"
#include "sg_report_cli.h"
#include "sg_util.h"
#include "sg_waiver.h"
#include "../src/report_internal.h"
#include "report_fixture.h"

/* ---- helpers ------------------------------------------------------------ */

static const char *
root(void)
{
	const char *r = getenv("SG_ROOT");
	return r != NULL ? r : ".";
}

static char *
render(const struct sg_report *r, enum sg_report_format fmt, bool color)
{
	struct sg_report_opts o = { color, 100 };
	struct sg_error err;
	struct sg_buf b;

	sg_err_init(&err);
	sg_buf_init(&b, SG_REPORT_MAX_BYTES);
	assert_int_equal(sg_report_render(r, fmt, &o, &b, &err), SG_OK);
	return sg_buf_detach(&b, NULL);
}

static char *
slurp(const char *path)
{
	struct sg_buf b;
	struct sg_error err;

	sg_err_init(&err);
	sg_buf_init(&b, (size_t)1 << 30);
	if (sg_file_read(path, &b, false, &err) != SG_OK)
		return NULL;
	return sg_buf_detach(&b, NULL);
}

static void
golden(const char *name, const char *got)
{
	char path[4096];
	char *want;

	snprintf(path, sizeof(path), "%s/tests/golden/%s", root(), name);
	if (getenv("SG_UPDATE_GOLDEN") != NULL) {
		struct sg_error err;
		sg_err_init(&err);
		assert_int_equal(sg_file_write_atomic(path, got, strlen(got), 0644, &err), SG_OK);
		fprintf(stderr, "updated %s\n", path);
		return;
	}
	want = slurp(path);
	if (want == NULL)
		fail_msg("golden file %s missing (run with SG_UPDATE_GOLDEN=1)", path);
	if (strcmp(want, got) != 0) {
		char out[4200];
		struct sg_error err;
		snprintf(out, sizeof(out), "%s/build/%s.got", root(), name);
		sg_err_init(&err);
		if (sg_file_write_atomic(out, got, strlen(got), 0644, &err) != SG_OK)
			out[0] = '\0';
		free(want);
		fail_msg("%s differs from the golden file; got output in %s. If the change is "
		    "intended (writer, policy text, fixture), run SG_UPDATE_GOLDEN=1 "
		    "build/tests/test_report, review and commit tests/golden/", name, out);
	}
	free(want);
}

/* ---- goldens ------------------------------------------------------------ */

static void
golden_formats(void **state)
{
	static const struct {
		enum sg_report_format fmt;
		const char *file;
	} cases[] = {
		{ SG_FMT_TABLE, "report.txt" }, { SG_FMT_JSON, "report.json" },
		{ SG_FMT_CSV, "report.csv" },   { SG_FMT_HTML, "report.html" },
		{ SG_FMT_JUNIT, "report.junit.xml" },
	};
	struct sg_report *r = sg_test_fixture_report();
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = render(r, cases[i].fmt, false);
		golden(cases[i].file, got);
		free(got);
	}
	sg_test_fixture_free(r);
}

/* Two renders of the same result are byte-identical (no clock, no addresses). */
static void
output_is_deterministic(void **state)
{
	struct sg_report *a = sg_test_fixture_report(), *b = sg_test_fixture_report();
	unsigned f;
	(void)state;

	for (f = 0; f < SG_FMT_COUNT; f++) {
		char *x = render(a, (enum sg_report_format)f, false);
		char *y = render(b, (enum sg_report_format)f, false);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
	sg_test_fixture_free(a);
	sg_test_fixture_free(b);
}

/* Run metadata reaches every format. */
static void
metadata_in_every_format(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	unsigned f;
	(void)state;

	for (f = 0; f < SG_FMT_COUNT; f++) {
		char *x = render(r, (enum sg_report_format)f, false);
		assert_non_null(strstr(x, r->tool_version));
		assert_non_null(strstr(x, r->catalogue_version));
		assert_non_null(strstr(x, r->catalogue_hash));
		assert_non_null(strstr(x, "2026-11-24T01:00:00Z"));
		assert_non_null(strstr(x, "2026-11-24T01:00:07Z"));
		assert_non_null(strstr(x, r->account_id));
		/* the ARN's '/' is escaped nowhere; ':' neither */
		assert_non_null(strstr(x, "user/auditor"));
		assert_non_null(strstr(x, r->partition));
		assert_non_null(strstr(x, "ap-south-1"));
		free(x);
	}
	sg_test_fixture_free(r);
}

/* ---- table -------------------------------------------------------------- */

static void
table_answer_first_and_fits_100_columns(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	char *t, *line, *save = NULL, *pci, *first_finding;
	int k;
	(void)state;

	/* Many regions not opted in (as with --regions all): still 100 columns. */
	for (k = 0; k < 25; k++) {
		struct sg_report_region *g = sg_report_add_region(r);
		char name[32];
		snprintf(name, sizeof(name), "xx-region-%d", k);
		assert_non_null(g);
		assert_true(sg_report_set(&g->region, name));
		assert_true(sg_report_set(&g->state, "NOT_OPTED_IN"));
	}
	t = render(r, SG_FMT_TABLE, false);
	assert_non_null(strstr(t, "Not requested (not opted in): xx-region-0,"));
	pci = strstr(t, "PCI DSS 1.2.1");
	first_finding = strstr(t, "CRITICAL");

	assert_non_null(pci);
	assert_non_null(first_finding);
	assert_true(pci < first_finding);
	assert_null(strchr(t, '\033'));
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 100)
			fail_msg("line longer than 100 columns: %s", line);
	free(t);
	sg_test_fixture_free(r);
}

static void
table_colour_only_when_asked_and_escapes_stripped(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	struct sg_report_finding *f;
	char *t;
	(void)state;

	t = render(r, SG_FMT_TABLE, true);
	assert_non_null(strstr(t, "\033[1;31m"));
	free(t);
	/* A group name carrying a terminal escape reaches the screen defanged. */
	f = &r->findings[0];
	assert_true(sg_report_set(&f->group_name, "evil\033]0;pwned\007name\xc2\x9b""31m\xc3\xa9"));
	t = render(r, SG_FMT_TABLE, false);
	assert_null(strchr(t, '\033'));
	assert_null(strchr(t, '\007'));
	assert_null(strstr(t, "\xc2\x9b"));
	/* C1 CSI defanged; ordinary UTF-8 (e with acute) kept. */
	assert_non_null(strstr(t, "evil?]0;pwned?name?31m\xc3\xa9"));
	free(t);
	sg_test_fixture_free(r);
}

static void
no_color_env_disables_colour(void **state)
{
	(void)state;
	setenv("NO_COLOR", "1", 1);
	assert_false(sg_report_want_color(STDOUT_FILENO));
	unsetenv("NO_COLOR");
	/* cmocka's stdout is not a terminal here (make check pipes it) or is; */
	/* either way a non-tty descriptor never gets colour: */
	{
		int p[2];
		assert_int_equal(pipe(p), 0);
		assert_false(sg_report_want_color(p[1]));
		close(p[0]);
		close(p[1]);
	}
}

/* ---- CSV ------------------------------------------------------------------ */

static void
csv_cells_neutralised_and_quoted(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain", "plain" },
		{ "=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"" },
		{ "+1+1", "'+1+1" },
		{ "-2+3", "'-2+3" },
		{ "@SUM(A1)", "'@SUM(A1)" },
		{ "\t=1", "'\t=1" },
		{ "\r=1", "\"'\r=1\"" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\nlines", "\"two\nlines\"" },
		{ "a=b", "a=b" },       /* only a leading sign is dangerous */
		{ "", "" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_buf b;
		struct sg_error err;
		sg_err_init(&err);
		sg_buf_init(&b, 4096);
		assert_int_equal(sg_report_csv_cell(&b, cases[i].in, &err), SG_OK);
		assert_string_equal(b.data ? b.data : "", cases[i].out);
		sg_buf_dispose(&b);
	}
}

/* The fixture's hostile group name and description come out neutralised. */
static void
csv_report_neutralises_hostile_names(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	char *c = render(r, SG_FMT_CSV, false), *line, *save = NULL;
	size_t rows = 0;
	(void)state;

	assert_non_null(strstr(c, ",'=cmd|' /C calc'!A0,"));
	assert_null(strstr(c, ",=cmd"));
	assert_non_null(strstr(c, "\r\n"));
	/* one row per finding plus the header */
	for (line = strstr(c, "\r\n"); line; line = strstr(line + 2, "\r\n"))
		rows++;
	assert_int_equal(rows, r->n_findings + 1);
	(void)save;
	free(c);
	sg_test_fixture_free(r);
}

/* ---- HTML ----------------------------------------------------------------- */

static void
html_self_contained_and_escaped(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	char *h = render(r, SG_FMT_HTML, false);
	(void)state;

	/* No external resource of any kind. */
	assert_null(strstr(h, " src="));
	assert_null(strstr(h, " href="));
	assert_null(strstr(h, "url("));
	assert_null(strstr(h, "@import"));
	assert_non_null(strstr(h, "default-src 'none'"));
	/* The fixture's "<script>" group name is text, not markup. */
	assert_non_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_int_equal((int)(strstr(h, "<script>") != NULL), 1);
	assert_null(strstr(strstr(h, "<script>") + 1, "<script>"));
	free(h);
	sg_test_fixture_free(r);
}

/* ---- JUnit ---------------------------------------------------------------- */

static void
junit_one_case_per_group_and_policy(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	char *x = render(r, SG_FMT_JUNIT, false), *p;
	size_t cases = 0, fails = 0;
	(void)state;

	for (p = strstr(x, "<testcase "); p; p = strstr(p + 1, "<testcase "))
		cases++;
	for (p = strstr(x, "<failure "); p; p = strstr(p + 1, "<failure "))
		fails++;
	assert_int_equal(cases, r->n_checks + r->n_regions);
	assert_int_equal(fails, r->counts.checks_fail);
	assert_non_null(strstr(x, "<error type=\"DENIED\""));
	free(x);
	sg_test_fixture_free(r);
}

/*
 * The table's "Attachment unknown" paragraph and JUnit's <system-out> flag the
 * same regions: a region cut short (DENIED after some pages) whose interfaces
 * were denied too is in both, after its <error>; HTML's column escapes the
 * value like any other text from AWS.
 */
static void
attachment_unknown_same_regions_everywhere(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	char *t, *x, *h, *cs, *ce, *e, *so;
	size_t i;
	(void)state;

	free(r->regions[2].attachments);
	r->regions[2].attachments = strdup("error: A<&\"B");
	assert_non_null(r->regions[2].attachments);
	t = render(r, SG_FMT_TABLE, false);
	x = render(r, SG_FMT_JUNIT, false);
	h = render(r, SG_FMT_HTML, false);
	for (i = 0; i < r->n_regions; i++) {
		const struct sg_report_region *g = &r->regions[i];
		char head[128], line[160];
		bool in_table, in_junit;

		snprintf(head, sizeof(head), "name=\"%s\"", g->region);
		cs = strstr(x, head);
		assert_non_null(cs);
		/* The case ends at its own "/>" when self-closed, else at </testcase>. */
		ce = cs[strlen(head)] == '/' ? cs + strlen(head) : strstr(cs, "</testcase>");
		so = strstr(cs, "<system-out>");
		in_junit = so != NULL && ce != NULL && so < ce;
		snprintf(line, sizeof(line), "  %-16s DescribeNetworkInterfaces %s", g->region,
		    g->attachments ? g->attachments : "");
		in_table = g->attachments != NULL && strstr(t, line) != NULL;
		assert_int_equal((int)in_table, (int)sg_report_region_attachment_unknown(g));
		assert_int_equal((int)in_junit, (int)in_table);
		if (in_junit) {
			e = strstr(cs, "<error ");
			/* JUnit's order inside a case: error before system-out. */
			assert_true(e == NULL || e > ce || e < so);
		}
	}
	assert_non_null(strstr(x, "<system-out>attachment unknown: DescribeNetworkInterfaces "
	    "error: A&lt;&amp;&quot;B</system-out>"));
	assert_non_null(strstr(h, "<td>error: A&lt;&amp;&quot;B</td>"));
	free(t);
	free(x);
	free(h);
	sg_test_fixture_free(r);
}

/* ---- baseline ------------------------------------------------------------- */

static struct sg_report_finding *
find(struct sg_report *r, const char *group, const char *rule)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++)
		if (strcmp(r->findings[i].group_id, group) == 0 &&
		    strcmp(r->findings[i].rule, rule) == 0)
			return &r->findings[i];
	return NULL;
}

static void
baseline_new_unchanged_resolved(void **state)
{
	struct sg_report *prev = sg_test_fixture_report();
	struct sg_report *cur = sg_test_fixture_report();
	struct sg_report_finding *f;
	struct sg_error err;
	char *json;
	size_t total = cur->n_findings;
	(void)state;

	json = render(prev, SG_FMT_JSON, false);
	/* Tonight: one rule fixed (gone), one new rule opened, one renamed group. */
	f = find(cur, "sg-0a1b2c3d4e5f60001", "ingress tcp 3389 from 0.0.0.0/0");
	assert_non_null(f);
	assert_true(sg_report_set(&f->rule, "ingress tcp 3389 from 203.0.113.0/24"));
	f = find(cur, "sg-0a1b2c3d4e5f60002", "ingress tcp 22 from 0.0.0.0/0");
	assert_non_null(f);
	assert_true(sg_report_set(&f->group_name, "renamed")); /* same identity */
	sg_err_init(&err);
	assert_int_equal(sg_baseline_apply(cur, json, strlen(json), "last.json", &err), SG_OK);
	sg_report_finish(cur);
	assert_true(cur->has_baseline);
	assert_int_equal(cur->counts.diff_new, 1);
	assert_int_equal(cur->counts.diff_unchanged, total - 1);
	assert_int_equal(cur->counts.diff_resolved, 1);
	assert_int_equal(cur->counts.findings, total);
	assert_int_equal(cur->n_findings, total + 1);
	f = find(cur, "sg-0a1b2c3d4e5f60001", "ingress tcp 3389 from 0.0.0.0/0");
	assert_non_null(f);
	assert_int_equal(f->diff, SG_DIFF_RESOLVED);
	assert_int_equal(find(cur, "sg-0a1b2c3d4e5f60001",
	    "ingress tcp 3389 from 203.0.113.0/24")->diff, SG_DIFF_NEW);
	/* Resolved rows sort after every current one. */
	assert_int_equal(cur->findings[cur->n_findings - 1].diff, SG_DIFF_RESOLVED);
	assert_string_equal(cur->baseline_started, "2026-11-24T01:00:00Z");

	/* The diff reaches every format. */
	{
		unsigned fmt;
		for (fmt = 0; fmt < SG_FMT_COUNT; fmt++) {
			char *x = render(cur, (enum sg_report_format)fmt, false);
			assert_non_null(strstr(x, "resolved"));
			free(x);
		}
	}
	free(json);
	sg_test_fixture_free(prev);
	sg_test_fixture_free(cur);
}

/* A finding in a region that was not scanned tonight is not "resolved". */
static void
baseline_unscanned_region_is_unverified(void **state)
{
	struct sg_report *prev = sg_test_fixture_report();
	struct sg_report *cur = sg_test_fixture_report();
	struct sg_error err;
	char *json;
	size_t i, gone = 0;
	(void)state;

	json = render(prev, SG_FMT_JSON, false);
	/* Tonight eu-west-1 is denied: its findings vanish from the scan. */
	for (i = 0; i < cur->n_regions; i++)
		if (strcmp(cur->regions[i].region, "eu-west-1") == 0)
			assert_true(sg_report_set(&cur->regions[i].state, "DENIED"));
	for (i = 0; i < cur->n_findings; i++) {
		if (strcmp(cur->findings[i].region, "eu-west-1") == 0) {
			assert_true(sg_report_set(&cur->findings[i].region, "eu-west-1-gone"));
			gone++;
		}
	}
	assert_true(gone > 0);
	sg_err_init(&err);
	assert_int_equal(sg_baseline_apply(cur, json, strlen(json), "last.json", &err), SG_OK);
	sg_report_finish(cur);
	assert_int_equal(cur->counts.diff_resolved, 0);
	assert_int_equal(cur->counts.baseline_unverified, gone);
	free(json);
	sg_test_fixture_free(prev);
	sg_test_fixture_free(cur);
}

static void
baseline_rejects_foreign_files_and_leaves_report_alone(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"schema\":\"other\",\"schema_version\":1,\"findings\":[]}",
		"{\"schema\":\"sg-audit/report\",\"schema_version\":99,\"findings\":[]}",
		"{\"schema\":\"sg-audit/report\",\"schema_version\":1,\"findings\":{}}",
		"{\"schema\":\"sg-audit/report\",\"schema_version\":1,\"findings\":[{\"region\":1}]}",
		"{\"schema\":\"sg-audit/report\",\"schema_version\":1,\"findings\":[7]}",
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sg_report *cur = sg_test_fixture_report();
		size_t n = cur->n_findings, j;
		struct sg_error err;
		enum sg_status st;

		sg_err_init(&err);
		st = sg_baseline_apply(cur, bad[i], strlen(bad[i]), "old.json", &err);
		assert_true(st == SG_EPARSE || st == SG_ECONFIG);
		assert_non_null(strstr(err.msg, "old.json"));
		assert_int_equal(cur->n_findings, n);
		assert_false(cur->has_baseline);
		for (j = 0; j < n; j++)
			assert_int_equal(cur->findings[j].diff, SG_DIFF_NONE);
		sg_test_fixture_free(cur);
	}
}

/* An empty baseline: everything is new. A missing file is a usage error. */
static void
baseline_empty_and_missing(void **state)
{
	const char *empty = "{\"schema\":\"sg-audit/report\",\"schema_version\":1,"
	                    "\"run\":{\"started\":null},\"findings\":[]}";
	struct sg_report *cur = sg_test_fixture_report();
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_baseline_apply(cur, empty, strlen(empty), "e.json", &err), SG_OK);
	sg_report_finish(cur);
	assert_int_equal(cur->counts.diff_new, cur->counts.findings);
	assert_int_equal(cur->counts.diff_resolved, 0);
	sg_err_init(&err);
	assert_int_equal(sg_baseline_apply_file(cur, "/nonexistent/last.json", &err),
	    SG_ENOTFOUND);
	assert_int_equal(sg_exit_for_status(err.status), SG_EXIT_USAGE);
	sg_test_fixture_free(cur);
}

/* ---- exit decision -------------------------------------------------------- */

struct decide_case {
	const char *name;
	enum sg_report_pci pci;
	/* one finding, or none when sev < 0 */
	int sev;
	enum sg_report_status status;
	enum sg_report_diff diff;
	enum sg_fail_on fail_on;
	enum sg_severity fail_sev;
	enum sg_report_outcome want;
	int want_exit;
};

static void
exit_decision_matrix(void **state)
{
	static const struct decide_case cases[] = {
		{ "clean, any", SG_PCI_COMPLIANT, -1, SG_RSTAT_FAIL, SG_DIFF_NONE, SG_FAIL_ON_ANY,
		  SG_SEV_LOW, SG_OUTCOME_CLEAN, 0 },
		{ "fail, any", SG_PCI_NOT_COMPLIANT, SG_SEV_HIGH, SG_RSTAT_FAIL, SG_DIFF_NONE,
		  SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_FINDINGS, 1 },
		{ "fail, none", SG_PCI_NOT_COMPLIANT, SG_SEV_CRITICAL, SG_RSTAT_FAIL, SG_DIFF_NONE,
		  SG_FAIL_ON_NONE, SG_SEV_LOW, SG_OUTCOME_CLEAN, 0 },
		{ "fail below severity", SG_PCI_NOT_COMPLIANT, SG_SEV_LOW, SG_RSTAT_FAIL,
		  SG_DIFF_NONE, SG_FAIL_ON_ANY, SG_SEV_HIGH, SG_OUTCOME_CLEAN, 0 },
		{ "fail at severity", SG_PCI_NOT_COMPLIANT, SG_SEV_HIGH, SG_RSTAT_FAIL,
		  SG_DIFF_NONE, SG_FAIL_ON_ANY, SG_SEV_HIGH, SG_OUTCOME_FINDINGS, 1 },
		{ "fail above severity", SG_PCI_NOT_COMPLIANT, SG_SEV_CRITICAL, SG_RSTAT_FAIL,
		  SG_DIFF_NONE, SG_FAIL_ON_ANY, SG_SEV_HIGH, SG_OUTCOME_FINDINGS, 1 },
		{ "new, fail-on new", SG_PCI_NOT_COMPLIANT, SG_SEV_HIGH, SG_RSTAT_FAIL, SG_DIFF_NEW,
		  SG_FAIL_ON_NEW, SG_SEV_LOW, SG_OUTCOME_FINDINGS, 1 },
		{ "unchanged, fail-on new", SG_PCI_NOT_COMPLIANT, SG_SEV_CRITICAL, SG_RSTAT_FAIL,
		  SG_DIFF_UNCHANGED, SG_FAIL_ON_NEW, SG_SEV_LOW, SG_OUTCOME_CLEAN, 0 },
		{ "unchanged, fail-on any", SG_PCI_NOT_COMPLIANT, SG_SEV_CRITICAL, SG_RSTAT_FAIL,
		  SG_DIFF_UNCHANGED, SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_FINDINGS, 1 },
		{ "no baseline, fail-on new", SG_PCI_NOT_COMPLIANT, SG_SEV_HIGH, SG_RSTAT_FAIL,
		  SG_DIFF_NONE, SG_FAIL_ON_NEW, SG_SEV_LOW, SG_OUTCOME_FINDINGS, 1 },
		{ "resolved never alerts", SG_PCI_COMPLIANT, SG_SEV_CRITICAL, SG_RSTAT_FAIL,
		  SG_DIFF_RESOLVED, SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_CLEAN, 0 },
		{ "waived never alerts", SG_PCI_COMPLIANT, SG_SEV_CRITICAL, SG_RSTAT_WAIVED,
		  SG_DIFF_NEW, SG_FAIL_ON_ANY, SG_SEV_INFO, SG_OUTCOME_CLEAN, 0 },
		{ "info never alerts", SG_PCI_COMPLIANT, SG_SEV_INFO, SG_RSTAT_INFO, SG_DIFF_NEW,
		  SG_FAIL_ON_ANY, SG_SEV_INFO, SG_OUTCOME_CLEAN, 0 },
		{ "incomplete, clean", SG_PCI_INCOMPLETE, -1, SG_RSTAT_FAIL, SG_DIFF_NONE,
		  SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_INCOMPLETE, 2 },
		{ "incomplete wins over findings", SG_PCI_INCOMPLETE, SG_SEV_CRITICAL, SG_RSTAT_FAIL,
		  SG_DIFF_NEW, SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_INCOMPLETE, 2 },
		{ "incomplete even with fail-on none", SG_PCI_INCOMPLETE, -1, SG_RSTAT_FAIL,
		  SG_DIFF_NONE, SG_FAIL_ON_NONE, SG_SEV_LOW, SG_OUTCOME_INCOMPLETE, 2 },
		{ "unknown is incomplete, never clean", SG_PCI_INCOMPLETE, SG_SEV_HIGH,
		  SG_RSTAT_UNKNOWN, SG_DIFF_NONE, SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_INCOMPLETE, 2 },
		{ "fail outside PCI scope still alerts", SG_PCI_COMPLIANT, SG_SEV_HIGH, SG_RSTAT_FAIL,
		  SG_DIFF_NONE, SG_FAIL_ON_ANY, SG_SEV_LOW, SG_OUTCOME_FINDINGS, 1 },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *c = &cases[i];
		struct sg_report *r = sg_report_new();
		enum sg_report_outcome got;

		assert_non_null(r);
		r->pci = c->pci;
		if (c->sev >= 0) {
			struct sg_report_finding *f = sg_report_add_finding(r);
			f->severity = (enum sg_severity)c->sev;
			f->status = c->status;
			f->diff = c->diff;
		}
		got = sg_report_decide(r, c->fail_on, c->fail_sev);
		if (got != c->want || sg_exit_for_outcome(got) != c->want_exit)
			fail_msg("case '%s': outcome %d exit %d, want %d exit %d", c->name, (int)got,
			    sg_exit_for_outcome(got), (int)c->want, c->want_exit);
		sg_report_free(r);
	}
}

static void
fail_on_and_severity_parse(void **state)
{
	enum sg_fail_on f;
	enum sg_severity s;
	(void)state;

	assert_true(sg_fail_on_parse("new", &f) && f == SG_FAIL_ON_NEW);
	assert_true(sg_fail_on_parse("any", &f) && f == SG_FAIL_ON_ANY);
	assert_true(sg_fail_on_parse("none", &f) && f == SG_FAIL_ON_NONE);
	assert_false(sg_fail_on_parse("all", &f));
	assert_false(sg_fail_on_parse("", &f));
	assert_true(sg_severity_parse("high", &s) && s == SG_SEV_HIGH);
	assert_false(sg_severity_parse("urgent", &s));
}

/* The one exit table is documented, row by row, in README.md and the man page. */
static void
exit_codes_documented(void **state)
{
	static const char *const docs[] = { "README.md", "docs/sg-audit.1" };
	const struct sg_exit_info *t;
	size_t n, i, d;
	(void)state;

	t = sg_cli_exit_codes(&n);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++)
		assert_int_equal(t[i].code, (int)i);
	for (d = 0; d < 2; d++) {
		char path[4096], *text;
		snprintf(path, sizeof(path), "%s/%s", root(), docs[d]);
		text = slurp(path);
		if (text == NULL)
			fail_msg("%s missing", path);
		for (i = 0; i < n; i++) {
			char needle[64];
			if (d == 0)
				snprintf(needle, sizeof(needle), "| %d | ", t[i].code);
			else
				snprintf(needle, sizeof(needle), ".B %d\n", t[i].code);
			if (strstr(text, needle) == NULL)
				fail_msg("%s does not document exit code %d (%s)", docs[d], t[i].code,
				    t[i].name);
		}
		free(text);
	}
}

/* ---- outputs -------------------------------------------------------------- */

static void
outputs_parse(void **state)
{
	struct sg_report_outputs o = { 0 };
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_report_outputs_add(&o, "json:/tmp/a.json", &err), SG_OK);
	assert_int_equal(sg_report_outputs_add(&o, "html:C:/odd:name.html", &err), SG_OK);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.items[1].format, SG_FMT_HTML);
	assert_string_equal(o.items[1].path, "C:/odd:name.html"); /* split at the first ':' */
	assert_int_equal(sg_report_outputs_add(&o, "xml:/tmp/a", &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "unknown format 'xml'"));
	sg_err_init(&err);
	assert_int_equal(sg_report_outputs_add(&o, "json", &err), SG_EINVAL);
	sg_err_init(&err);
	assert_int_equal(sg_report_outputs_add(&o, "csv:", &err), SG_EINVAL);
	sg_err_init(&err);
	assert_int_equal(sg_report_outputs_add(&o, "csv:/tmp/a.json", &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "given twice"));
	assert_int_equal(o.n, 2);
	sg_report_outputs_dispose(&o);
}

static void
outputs_write_every_file(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	struct sg_report_outputs o = { 0 };
	struct sg_report_opts opts = { true, 100 };
	struct sg_error err;
	char dir[] = "/tmp/sg-report-XXXXXX", spec[256], path[256];
	unsigned f;
	FILE *devnull = fopen("/dev/null", "w");
	(void)state;

	assert_non_null(mkdtemp(dir));
	sg_err_init(&err);
	for (f = 0; f < SG_FMT_COUNT; f++) {
		snprintf(spec, sizeof(spec), "%s:%s/out.%s", sg_report_format_name(f), dir,
		    sg_report_format_name(f));
		assert_int_equal(sg_report_outputs_add(&o, spec, &err), SG_OK);
	}
	assert_int_equal(sg_report_outputs_add(&o, "table:-", &err), SG_OK);
	assert_int_equal(sg_report_write_outputs(r, &o, &opts, devnull, &err), SG_OK);
	for (f = 0; f < SG_FMT_COUNT; f++) {
		char *want = render(r, (enum sg_report_format)f, false), *got;
		snprintf(path, sizeof(path), "%s/out.%s", dir, sg_report_format_name(f));
		got = slurp(path);
		assert_non_null(got);
		assert_string_equal(got, want); /* files never get colour */
		free(got);
		free(want);
		unlink(path);
	}
	/* An unwritable target is reported, naming the path; the others still land. */
	sg_report_outputs_dispose(&o);
	snprintf(spec, sizeof(spec), "json:%s/missing-dir/x.json", dir);
	assert_int_equal(sg_report_outputs_add(&o, spec, &err), SG_OK);
	snprintf(spec, sizeof(spec), "csv:%s/ok.csv", dir);
	assert_int_equal(sg_report_outputs_add(&o, spec, &err), SG_OK);
	assert_int_equal(sg_report_write_outputs(r, &o, &opts, devnull, &err), SG_EIO);
	assert_non_null(strstr(err.msg, "missing-dir"));
	snprintf(path, sizeof(path), "%s/ok.csv", dir);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
	sg_report_outputs_dispose(&o);
	fclose(devnull);
	sg_test_fixture_free(r);
}

/*
 * A report killed mid-write leaves the previous file whole. A child writes a
 * large JSON report over `path` in a loop; as soon as its temporary file
 * appears (it is between open and rename) the parent SIGKILLs it. The target
 * must still be the previous report, byte for byte.
 */
static bool
tmp_exists(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".tmp.") != NULL)
			found = true;
	closedir(d);
	return found;
}

static void
clean_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".tmp.") != NULL) {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	closedir(d);
}

static void
killed_mid_write_keeps_previous_file(void **state)
{
	struct sg_report *big = sg_test_fixture_big_report(25000);
	struct sg_report *small = sg_test_fixture_report();
	struct sg_report_outputs o = { 0 };
	struct sg_error err;
	char dir[] = "/tmp/sg-report-kill-XXXXXX", spec[320], path[256];
	char *prev;
	int round, caught = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	snprintf(spec, sizeof(spec), "json:%s", path);
	sg_err_init(&err);
	assert_int_equal(sg_report_outputs_add(&o, spec, &err), SG_OK);
	assert_int_equal(sg_report_write_outputs(small, &o, NULL, stdout, &err), SG_OK);
	prev = slurp(path);
	assert_non_null(prev);

	for (round = 0; round < 4; round++) {
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			struct sg_error e2;
			for (;;) {
				sg_err_init(&e2);
				if (sg_report_write_outputs(big, &o, NULL, stdout, &e2) != SG_OK)
					_exit(3);
			}
		}
		/* Wait (at most 90 s: valgrind is slow) for the temporary file, then kill. */
		{
			uint64_t t0 = sg_now_ms();
			while (!tmp_exists(dir) && sg_now_ms() - t0 < 90000)
				usleep(200);
		}
		if (tmp_exists(dir))
			caught++;
		/* A little jitter so the kill lands at different points of the write. */
		usleep((useconds_t)(round * 1500));
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		{
			char *now = slurp(path);
			assert_non_null(now);
			/* Either the previous report, whole, or (if the kill came after a
			 * rename) a whole new one: never a torn file. */
			if (strcmp(now, prev) != 0) {
				size_t n = strlen(now);
				assert_true(n > 2 && strcmp(now + n - 2, "}\n") == 0);
				assert_non_null(strstr(now, "\"schema\":\t\"sg-audit/report\""));
				free(prev);
				prev = now;
			} else {
				free(now);
			}
		}
		clean_tmp(dir);
	}
	assert_true(caught >= 1);
	free(prev);
	unlink(path);
	rmdir(dir);
	sg_report_outputs_dispose(&o);
	sg_test_fixture_free(big);
	sg_test_fixture_free(small);
}


/* ---- the report flags and the end of a scan -------------------------------- */

static int
parse_args(struct sg_report_cli *o, int argc, const char *const *args)
{
	char *argv[16];
	int i, k;

	for (i = 0; i < argc; i++)
		argv[i] = (char *)(uintptr_t)args[i];
	for (i = 1; i < argc; i++) {
		k = sg_report_cli_option(o, "scan", argc, argv, &i);
		if (k <= 0)
			return k == 0 ? -2 : -1;
	}
	return 0;
}

static void
report_flags_parse(void **state)
{
	static const char *const good[] = {
		"scan", "--format", "csv", "--output=json:/tmp/x.json", "--output", "html:/tmp/x.html",
		"--baseline", "/tmp/last.json", "--fail-on=new", "--fail-severity", "high",
		"-o", "/tmp/out.csv", "--no-color",
	};
	static const char *const bad[][3] = {
		{ "scan", "--format", "xml" },
		{ "scan", "--fail-on", "some" },
		{ "scan", "--fail-severity", "urgent" },
		{ "scan", "--output", "pdf:/tmp/x" },
		{ "scan", "--baseline", "" },
		{ "scan", "--format", NULL },
	};
	struct sg_report_cli o;
	size_t i;
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
	(void)state;

	sg_report_cli_init(&o);
	assert_int_equal(parse_args(&o, 14, good), 0);
	assert_int_equal(o.format, SG_FMT_CSV);
	assert_true(o.format_given);
	assert_int_equal(o.outputs.n, 2);
	assert_string_equal(o.baseline, "/tmp/last.json");
	assert_int_equal(o.fail_on, SG_FAIL_ON_NEW);
	assert_int_equal(o.fail_severity, SG_SEV_HIGH);
	assert_string_equal(o.output_file, "/tmp/out.csv");
	assert_true(o.no_color);
	sg_report_cli_dispose(&o);

	/* Bad values are usage errors (messages to stderr, silenced here). */
	dup2(null, STDERR_FILENO);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_report_cli_init(&o);
		assert_int_equal(parse_args(&o, bad[i][2] ? 3 : 2, bad[i]), -1);
		sg_report_cli_dispose(&o);
	}
	{
		static const char *const other[] = { "scan", "--regions", "all" };
		sg_report_cli_init(&o);
		assert_int_equal(parse_args(&o, 3, other), -2); /* not ours */
		sg_report_cli_dispose(&o);
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
}

/* Nightly shape: first night without a baseline file, then the next night. */
static void
report_cli_finish_nightly(void **state)
{
	struct sg_report_cli o;
	struct sg_report *r;
	struct sg_error err;
	enum sg_report_outcome outcome;
	char dir[] = "/tmp/sg-report-cli-XXXXXX", spec[320], base[256], *json;
	FILE *out = tmpfile();
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(base, sizeof(base), "%s/last.json", dir);
	snprintf(spec, sizeof(spec), "json:%s", base);

	/* Night 1: the baseline does not exist yet; stdout (not a tty) stays quiet. */
	sg_report_cli_init(&o);
	o.baseline = strdup(base);
	o.fail_on = SG_FAIL_ON_NEW;
	sg_err_init(&err);
	assert_int_equal(sg_report_outputs_add(&o.outputs, spec, &err), SG_OK);
	r = sg_test_fixture_report();
	/* Make the run complete so the decision is about findings. */
	assert_true(sg_report_set(&r->regions[2].state, "SCANNED"));
	dup2(null, STDERR_FILENO);
	assert_int_equal(sg_report_cli_finish(&o, r, out, &outcome, &err), SG_OK);
	dup2(saved, STDERR_FILENO);
	assert_int_equal(r->counts.diff_new, r->counts.findings);
	assert_int_equal(outcome, SG_OUTCOME_FINDINGS);
	assert_int_equal(ftell(out), 0);
	json = slurp(base);
	assert_non_null(json);
	free(json);
	sg_test_fixture_free(r);

	/* Night 2: same findings, baseline and output are the same file. */
	r = sg_test_fixture_report();
	assert_true(sg_report_set(&r->regions[2].state, "SCANNED"));
	assert_int_equal(sg_report_cli_finish(&o, r, out, &outcome, &err), SG_OK);
	assert_int_equal(r->counts.diff_new, 0);
	assert_int_equal(r->counts.diff_unchanged, r->counts.findings);
	assert_int_equal(outcome, SG_OUTCOME_CLEAN); /* nothing new */
	sg_test_fixture_free(r);

	/* A baseline that is not an sg-audit report: configuration error, exit 3. */
	assert_int_equal(sg_file_write_atomic(base, "{}", 2, 0644, &err), SG_OK);
	r = sg_test_fixture_report();
	assert_int_equal(sg_report_cli_finish(&o, r, out, &outcome, &err), SG_ECONFIG);
	assert_int_equal(sg_exit_for_status(err.status), SG_EXIT_USAGE);
	sg_test_fixture_free(r);
	sg_report_cli_dispose(&o);

	/* No --output and no --format: stdout gets JSON when it is not a terminal. */
	sg_report_cli_init(&o);
	r = sg_test_fixture_report();
	sg_err_init(&err);
	assert_int_equal(sg_report_cli_finish(&o, r, out, &outcome, &err), SG_OK);
	assert_true(ftell(out) > 0);
	assert_int_equal(outcome, SG_OUTCOME_INCOMPLETE);
	sg_test_fixture_free(r);
	sg_report_cli_dispose(&o);

	unlink(base);
	rmdir(dir);
	fclose(out);
	close(saved);
	close(null);
}


/* ---- the real engine on a fixture account ---------------------------------- */

/*
 * tests/golden/account.json (fixture account format) read with the record
 * reader, every policy of policies/ evaluated with tests/golden/waivers.json
 * and PCI scope environment=pci, at the fixture's fixed time. The inventory
 * must outlive the report (the JSON embeds it).
 */
struct engine_run {
	struct sg_inventory *inv;
	struct sg_report *r;
};

static void
engine_run(struct engine_run *e)
{
	char path[4096], tag[] = "environment=pci";
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_waiver_set *ws = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_scope_tag st;
	struct sg_policy_scope scope;
	struct sg_error err;
	char *text;

	sg_err_init(&err);
	snprintf(path, sizeof(path), "%s/tests/golden/account.json", root());
	text = slurp(path);
	assert_non_null(text);
	if (sg_record_json_account(path, text, strlen(text), &e->inv, &err) != SG_OK)
		fail_msg("%s", err.msg);
	free(text);
	/* The scan fills these from STS; the fixture reader leaves them to us. */
	if (e->inv->caller_arn == NULL)
		e->inv->caller_arn = strdup("arn:aws:iam::123456789012:user/auditor");
	if (e->inv->partition == NULL)
		e->inv->partition = strdup("aws");
	sg_inventory_sort(e->inv);
	snprintf(path, sizeof(path), "%s/policies", root());
	assert_non_null(ps);
	if (sg_policy_set_load_dir(ps, path, &err) != SG_OK)
		fail_msg("%s", err.msg);
	sg_policy_set_hash(ps);
	snprintf(path, sizeof(path), "%s/tests/golden/waivers.json", root());
	if (sg_waiver_set_load(path, &ws, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_true(sg_scope_tag_parse(tag, &st));
	scope.tags = &st;
	scope.n_tags = 1;
	scope.regions_all = true;
	if (sg_policy_eval(e->inv, ps, ws, &scope, FX_START, &res, &err) != SG_OK)
		fail_msg("%s", err.msg);
	e->r = sg_report_new();
	assert_non_null(e->r);
	assert_int_equal(sg_report_from_policy(e->r, e->inv, res, ps, "0.1.0", FX_START,
	    FX_START + 7, &err), SG_OK);
	assert_true(sg_report_set(&e->r->scope, "tag environment=pci"));
	/*
	 * The real hash changes with any edit of any policy file (a new embedded
	 * test, say): check it is the set's, then pin it so the goldens only
	 * change when the output really does.
	 */
	assert_string_equal(e->r->catalogue_hash, ps->catalogue_sha256);
	assert_int_equal(strlen(e->r->catalogue_hash), 64);
	assert_true(sg_report_set(&e->r->catalogue_hash, "(pinned by tests/test_report.c)"));
	sg_report_finish(e->r);
	sg_policy_result_free(res);
	sg_waiver_set_free(ws);
	sg_policy_set_free(ps);
}

static void
engine_run_free(struct engine_run *e)
{
	sg_report_free(e->r);
	sg_inventory_free(e->inv);
}

static void
golden_formats_real_engine(void **state)
{
	static const struct {
		enum sg_report_format fmt;
		const char *file;
	} cases[] = {
		{ SG_FMT_TABLE, "engine.txt" }, { SG_FMT_JSON, "engine.json" },
		{ SG_FMT_CSV, "engine.csv" },   { SG_FMT_HTML, "engine.html" },
		{ SG_FMT_JUNIT, "engine.junit.xml" },
	};
	struct engine_run e;
	size_t i;
	(void)state;

	engine_run(&e);
	/* The account has findings of every kind and an unopted region (not requested). */
	assert_true(e.r->counts.failing > 0);
	assert_true(e.r->counts.waived > 0);
	assert_true(e.r->counts.info > 0);
	assert_int_equal(e.r->n_regions_requested, 2);
	assert_int_equal(e.r->pci, SG_PCI_NOT_COMPLIANT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = render(e.r, cases[i].fmt, false);
		golden(cases[i].file, got);
		free(got);
	}
	engine_run_free(&e);
}

/* The JSON report carries the full rule export: every group and rule evaluated. */
static void
json_inventory_has_every_rule(void **state)
{
	struct engine_run e;
	char *json, *p;
	size_t i, groups = 0, want_rules = 0, rules = 0;
	(void)state;

	engine_run(&e);
	json = render(e.r, SG_FMT_JSON, false);
	p = strstr(json, "\"inventory\":");
	assert_non_null(p);
	for (i = 0; i < e.inv->n_groups; i++) {
		want_rules += e.inv->groups[i].n_rules;
		assert_non_null(strstr(p, e.inv->groups[i].group_id));
	}
	for (; (p = strstr(p, "\"direction\":")) != NULL; p++)
		rules++;
	for (p = strstr(json, "\"group_name\":"); p; p = strstr(p + 1, "\"description\":"))
		groups++;
	assert_int_equal(rules, want_rules);
	assert_true(groups > 0);
	free(json);
	engine_run_free(&e);
}

/* Last night = this fixture; tonight someone closes SSH on web: one resolved. */
static void
engine_baseline_round_trip(void **state)
{
	struct engine_run a, b;
	struct sg_error err;
	char *json;
	size_t i, closed = 0;
	(void)state;

	engine_run(&a);
	json = render(a.r, SG_FMT_JSON, false);
	engine_run(&b);
	/* Rebuild tonight's report without the SSH finding, as if the rule were gone. */
	for (i = 0; i < b.r->n_findings; i++) {
		struct sg_report_finding *f = &b.r->findings[i];
		if (strstr(f->rule, "tcp 22 ") != NULL && strcmp(f->group_id, "sg-0a00000000000002") == 0) {
			assert_true(sg_report_set(&f->policy_id, "gone"));
			closed++;
		}
	}
	assert_true(closed > 0);
	sg_err_init(&err);
	assert_int_equal(sg_baseline_apply(b.r, json, strlen(json), "last.json", &err), SG_OK);
	sg_report_finish(b.r);
	assert_int_equal(b.r->counts.diff_resolved, closed);
	assert_int_equal(b.r->counts.diff_new, closed); /* the renamed rows */
	assert_int_equal(b.r->counts.diff_unchanged, b.r->counts.findings - closed);
	/* The resolved row read back from last night's JSON keeps scope, PCI and rule parts. */
	{
		const struct sg_report_finding *f = &b.r->findings[b.r->n_findings - 1];
		assert_int_equal(f->diff, SG_DIFF_RESOLVED);
		assert_true(f->in_scope);
		assert_string_equal(f->pci_v4, "1.3.1");
		assert_true(f->has_rule && f->has_ports && !f->has_icmp);
		assert_int_equal(f->from_port, 22);
		assert_int_equal(f->to_port, 22);
		assert_string_equal(f->protocol, "tcp");
		assert_int_equal(f->source_kind, SG_SRC_CIDR4);
		assert_string_equal(f->source, "0.0.0.0/0");
	}
	free(json);
	engine_run_free(&a);
	engine_run_free(&b);
}


/* ---- the finding's scope, PCI mappings and rule parts ----------------------- */

static const struct sg_report_finding *
engine_find(const struct sg_report *r, const char *group, const char *policy, const char *rule)
{
	size_t i;

	for (i = 0; i < r->n_findings; i++) {
		const struct sg_report_finding *f = &r->findings[i];
		if (strcmp(f->group_id, group) == 0 && strcmp(f->policy_id, policy) == 0 &&
		    strncmp(f->rule, rule, strlen(rule)) == 0)
			return f;
	}
	fail_msg("no finding %s %s '%s'", group, policy, rule);
	return NULL;
}

/* The JSON object of one finding, found by its key. */
static const cJSON *
json_find(const cJSON *root, const struct sg_report_finding *f)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "findings"), *item;
	char *key = sg_report_finding_key(f);

	assert_non_null(key);
	cJSON_ArrayForEach(item, arr) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(item, "key");
		if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0) {
			free(key);
			return item;
		}
	}
	fail_msg("finding %s not in the JSON", key);
	return NULL;
}

static void
assert_json_null(const cJSON *o, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsNull(m))
		fail_msg("%s is not null", name);
}

static void
assert_json_int(const cJSON *o, const char *name, int want)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsNumber(m) || (int)m->valuedouble != want)
		fail_msg("%s is not %d", name, want);
}

static void
assert_json_str(const cJSON *o, const char *name, const char *want)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!cJSON_IsString(m) || strcmp(m->valuestring, want) != 0)
		fail_msg("%s is not \"%s\"", name, want);
}

#define IEXP "AWS.SecurityGroup.InternetExposure"

static void
finding_scope_pci_and_rule_parts(void **state)
{
	struct engine_run e;
	const struct sg_report_finding *f;
	const cJSON *o;
	cJSON *root;
	char *json, *text;
	size_t i, failing_scoped = 0;
	(void)state;

	engine_run(&e);
	json = render(e.r, SG_FMT_JSON, false);
	root = cJSON_Parse(json);
	assert_non_null(root);

	/* ICMP: a type and a code (-1 = every), never ports; the group is out of scope. */
	f = engine_find(e.r, "sg-0a00000000000005", IEXP, "ingress icmp");
	assert_true(f->has_rule && f->has_icmp && !f->has_ports);
	assert_int_equal(f->icmp_type, -1);
	assert_int_equal(f->icmp_code, -1);
	assert_false(f->in_scope);
	o = json_find(root, f);
	assert_json_str(o, "protocol", "icmp");
	assert_json_int(o, "icmp_type", -1);
	assert_json_int(o, "icmp_code", -1);
	assert_json_null(o, "from_port");
	assert_json_null(o, "to_port");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "in_scope")));
	assert_json_str(o, "pci_dss_v3_2_1", "1.2.1");
	assert_json_str(o, "pci_dss_v4_0", "1.3.1");
	assert_json_str(o, "mitre_attack", "TA0001:T1190");

	/* A tcp range: ports, no ICMP; a udp range too. */
	f = engine_find(e.r, "sg-0e00000000000002", IEXP, "ingress tcp 0-65535");
	o = json_find(root, f);
	assert_json_str(o, "direction", "ingress");
	assert_json_str(o, "protocol", "tcp");
	assert_json_int(o, "from_port", 0);
	assert_json_int(o, "to_port", 65535);
	assert_json_null(o, "icmp_type");
	assert_json_null(o, "icmp_code");
	assert_json_str(o, "source_kind", "ipv4");
	assert_json_str(o, "source", "0.0.0.0/0");
	f = engine_find(e.r, "sg-0e00000000000002", IEXP, "ingress udp 8000-8100");
	assert_true(f->has_ports && !f->has_icmp);
	assert_int_equal(f->from_port, 8000);
	assert_int_equal(f->to_port, 8100);

	/* A prefix-list source: the id (and the list's name), not the sentence. */
	f = engine_find(e.r, "sg-0a00000000000003", IEXP, "ingress tcp 3389");
	assert_true(f->in_scope);
	o = json_find(root, f);
	assert_json_str(o, "source_kind", "prefix-list");
	assert_json_str(o, "source", "pl-0aaa000000000001 (open-world)");
	assert_json_int(o, "from_port", 3389);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "in_scope")));

	/* A group source: account/group-id; "all" has neither ports nor ICMP. */
	f = engine_find(e.r, "sg-0a00000000000004", "AWS.SecurityGroup.StrictInterGroupTraffic",
	    "ingress all");
	o = json_find(root, f);
	assert_json_str(o, "source_kind", "group");
	assert_json_str(o, "source", "123456789012/sg-0a00000000000002");
	assert_json_str(o, "protocol", "all");
	assert_json_null(o, "from_port");
	assert_json_null(o, "icmp_type");
	assert_json_str(o, "mitre_attack", "TA0008:T1210");

	/* An egress rule maps to PCI DSS v4.0 1.3.2. */
	f = engine_find(e.r, "sg-0a00000000000002", "AWS.SecurityGroup.UnrestrictedEgress", "egress");
	o = json_find(root, f);
	assert_json_str(o, "direction", "egress");
	assert_json_str(o, "pci_dss_v4_0", "1.3.2");
	assert_json_null(o, "mitre_attack");
	/* The default group's policy maps both; each rule's finding names its direction's. */
	f = engine_find(e.r, "sg-0a00000000000001", "AWS.SecurityGroup.DefaultRestrictsAllTraffic",
	    "egress");
	assert_string_equal(f->pci_v4, "1.3.2");
	assert_false(f->in_scope);
	f = engine_find(e.r, "sg-0a00000000000001", "AWS.SecurityGroup.DefaultRestrictsAllTraffic",
	    "ingress");
	assert_string_equal(f->pci_v4, "1.3.1");

	/* The failing count that decides PCI is the in-scope one, in JSON and table. */
	for (i = 0; i < e.r->n_findings; i++)
		if (e.r->findings[i].status == SG_RSTAT_FAIL && e.r->findings[i].in_scope)
			failing_scoped++;
	assert_true(failing_scoped > 0 && failing_scoped < e.r->counts.failing);
	assert_int_equal(e.r->counts.failing_in_scope, failing_scoped);
	assert_json_int(cJSON_GetObjectItemCaseSensitive(root, "summary"), "failing_in_scope",
	    (int)failing_scoped);
	text = render(e.r, SG_FMT_TABLE, false);
	{
		char want[96];
		snprintf(want, sizeof(want), "%zu failing, of which %zu in scope", e.r->counts.failing,
		    failing_scoped);
		assert_non_null(strstr(text, want));
	}
	assert_non_null(strstr(text, "PCI 1.2.1 / 1.3.2\n"));
	assert_non_null(strstr(text, "PCI 1.2.1 / 1.3.1 (out of scope)\n"));
	free(text);

	/* CSV: the new columns; HTML: In scope and PCI columns, the scope filter. */
	text = render(e.r, SG_FMT_CSV, false);
	assert_non_null(strstr(text, ",in_scope,pci_dss_v3_2_1,pci_dss_v4_0,mitre_attack,direction,"
	    "protocol,from_port,to_port,icmp_type,icmp_code,source_kind,source,"));
	assert_non_null(strstr(text, ",false,1.2.1,1.3.1,TA0001:T1190,ingress,icmp,,,-1,-1,ipv4,"
	    "0.0.0.0/0,"));
	free(text);
	text = render(e.r, SG_FMT_HTML, false);
	assert_non_null(strstr(text, ">In scope</th>"));
	assert_non_null(strstr(text, ">PCI 4.0</th>"));
	assert_non_null(strstr(text, "id=\"f-scope\""));
	assert_non_null(strstr(text, "data-scope=\"out of scope\""));
	assert_null(strstr(text, ">ICMP type</th>")); /* rule parts: the Rule column has them */
	free(text);

	cJSON_Delete(root);
	free(json);
	engine_run_free(&e);
}

/* ---- model ---------------------------------------------------------------- */

static void
finding_key_escapes_separators(void **state)
{
	struct sg_report_finding a = { 0 }, b = { 0 };
	char *ka, *kb;
	(void)state;

	a.policy_id = (char *)(uintptr_t)"p";
	a.account_id = (char *)(uintptr_t)"1";
	a.region = (char *)(uintptr_t)"r";
	a.group_id = (char *)(uintptr_t)"g|x";
	a.rule = (char *)(uintptr_t)"y";
	b = a;
	b.group_id = (char *)(uintptr_t)"g";
	b.rule = (char *)(uintptr_t)"x|y";
	ka = sg_report_finding_key(&a);
	kb = sg_report_finding_key(&b);
	assert_string_not_equal(ka, kb);
	assert_string_equal(ka, "p|1|r|g\\|x|y");
	free(ka);
	free(kb);
}

static void
finish_derives_verdict_without_engine(void **state)
{
	struct sg_report *r = sg_test_fixture_report();
	(void)state;

	/* The fixture has a DENIED region: INCOMPLETE, whatever else. */
	assert_int_equal(r->pci, SG_PCI_INCOMPLETE);
	assert_int_equal(r->counts.regions_requested, 3);
	assert_int_equal(r->counts.regions_scanned, 2);
	sg_test_fixture_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(golden_formats),
		cmocka_unit_test(golden_formats_real_engine),
		cmocka_unit_test(json_inventory_has_every_rule),
		cmocka_unit_test(engine_baseline_round_trip),
		cmocka_unit_test(finding_scope_pci_and_rule_parts),
		cmocka_unit_test(output_is_deterministic),
		cmocka_unit_test(metadata_in_every_format),
		cmocka_unit_test(table_answer_first_and_fits_100_columns),
		cmocka_unit_test(table_colour_only_when_asked_and_escapes_stripped),
		cmocka_unit_test(no_color_env_disables_colour),
		cmocka_unit_test(csv_cells_neutralised_and_quoted),
		cmocka_unit_test(csv_report_neutralises_hostile_names),
		cmocka_unit_test(html_self_contained_and_escaped),
		cmocka_unit_test(junit_one_case_per_group_and_policy),
		cmocka_unit_test(attachment_unknown_same_regions_everywhere),
		cmocka_unit_test(baseline_new_unchanged_resolved),
		cmocka_unit_test(baseline_unscanned_region_is_unverified),
		cmocka_unit_test(baseline_rejects_foreign_files_and_leaves_report_alone),
		cmocka_unit_test(baseline_empty_and_missing),
		cmocka_unit_test(exit_decision_matrix),
		cmocka_unit_test(fail_on_and_severity_parse),
		cmocka_unit_test(exit_codes_documented),
		cmocka_unit_test(outputs_parse),
		cmocka_unit_test(outputs_write_every_file),
		cmocka_unit_test(killed_mid_write_keeps_previous_file),
		cmocka_unit_test(report_flags_parse),
		cmocka_unit_test(report_cli_finish_nightly),
		cmocka_unit_test(finding_key_escapes_separators),
		cmocka_unit_test(finish_derives_verdict_without_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
