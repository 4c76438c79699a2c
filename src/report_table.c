/*
 * report_table.c — the terminal table: the answer first, then what to fix.
 *
 * Layout (readable in 100 columns; long values wrap with a hanging indent):
 *   run metadata (two lines)
 *   PCI DSS 1.2.1 verdict, groups in scope / failing / waived, regions
 *   scanned of requested, finding counts, the baseline diff
 *   coverage of regions that were not scanned
 *   findings grouped by region: severity, group, then rule / reason / fix
 *   findings resolved since the baseline
 *
 * Labels come from the field tables in report.c. Every value that came from
 * AWS is printed with control bytes replaced, so a group name cannot carry
 * terminal escape sequences to the reader's screen.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_BOLDRED "\033[1;31m"

struct tw {
	struct sg_buf *out;
	struct sg_error *err;
	bool color;
	int width;
	enum sg_status st;
};

static void
put(struct tw *t, const char *s)
{
	if (t->st == SG_OK)
		t->st = sg_buf_append_str(t->out, s, t->err);
}

static void
putc_(struct tw *t, char c)
{
	if (t->st == SG_OK)
		t->st = sg_buf_append_char(t->out, c, t->err);
}

static void
put_count(struct tw *t, size_t n)
{
	if (t->st == SG_OK)
		t->st = sg_buf_appendf(t->out, t->err, " - %zu finding%s\n", n, n == 1 ? "" : "s");
}

static void
col(struct tw *t, const char *code)
{
	if (t->color)
		put(t, code);
}

/*
 * Untrusted text: control bytes (and DEL) become '?', and so do the C1
 * controls U+0080..U+009F in UTF-8 (C2 80..C2 9F): some terminals take
 * U+009B as CSI, the start of an escape sequence.
 */
static void
put_clean(struct tw *t, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			putc_(t, '?');
			i++;
			continue;
		}
		putc_(t, (c < 0x20 || c == 0x7f) ? '?' : (char)c);
	}
}

/*
 * Write `text` starting at column `col0`, wrapping at t->width on spaces;
 * continuation lines start at column `indent`. Ends with a newline.
 */
static void
put_wrapped(struct tw *t, const char *text, int col0, int indent)
{
	int column = col0;
	bool first = true;
	const char *s = text;

	while (*s) {
		size_t word;

		s += strspn(s, " ");
		if (*s == '\0')
			break;
		word = strcspn(s, " ");
		/* The space goes out only once the next word is known to fit. */
		if (!first && column + 1 + (int)word > t->width && column > indent) {
			int k;
			putc_(t, '\n');
			for (k = 0; k < indent; k++)
				putc_(t, ' ');
			column = indent;
		} else if (!first) {
			putc_(t, ' ');
			column++;
		}
		put_clean(t, s, word);
		column += (int)word;
		s += word;
		first = false;
	}
	putc_(t, '\n');
}

static const char *
sev_color(enum sg_severity s)
{
	switch (s) {
	case SG_SEV_CRITICAL: return C_BOLDRED;
	case SG_SEV_HIGH: return C_RED;
	case SG_SEV_MEDIUM: return C_YELLOW;
	case SG_SEV_LOW: return C_CYAN;
	case SG_SEV_INFO: return C_DIM;
	}
	return "";
}

static void
upper(char *dst, size_t cap, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i]; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

/* "  Label   value" with the value wrapped under itself. */
static void
labelled(struct tw *t, int indent, const char *label, const char *value)
{
	char lab[32];
	int k;

	if (value == NULL || value[0] == '\0')
		return;
	for (k = 0; k < indent; k++)
		putc_(t, ' ');
	snprintf(lab, sizeof(lab), "%-10s", label);
	col(t, C_DIM);
	put(t, lab);
	col(t, C_RESET);
	putc_(t, ' ');
	put_wrapped(t, value, indent + 11, indent + 11);
}

static const char *
field(const struct sg_report_finding *f, const char *name, char *buf, size_t cap)
{
	const struct sg_report_field *fd = sg_report_field_find(name);

	buf[0] = '\0';
	return fd != NULL ? fd->get(f, buf, cap) : "";
}

static const char *
label(const char *name)
{
	const struct sg_report_field *fd = sg_report_field_find(name);

	return fd != NULL ? fd->label : name;
}

static void
finding_block(struct tw *t, const struct sg_report_finding *f)
{
	char buf[SG_FIELD_BUF], sev[16], line[512], pol[SG_FIELD_BUF + 64], pci[SG_FIELD_BUF];

	upper(sev, sizeof(sev), sg_severity_name(f->severity));
	put(t, "  ");
	col(t, sev_color(f->severity));
	snprintf(line, sizeof(line), "%-9s", sev);
	put(t, line);
	col(t, C_RESET);
	put(t, " ");
	col(t, C_BOLD);
	put_clean(t, f->group_id ? f->group_id : "-", 64);
	col(t, C_RESET);
	if (f->group_name != NULL && f->group_name[0]) {
		put(t, " (");
		put_clean(t, f->group_name, 60);
		put(t, ")");
	}
	if (f->status != SG_RSTAT_FAIL) {
		put(t, "  ");
		put(t, sg_report_status_name(f->status));
	}
	if (f->diff == SG_DIFF_NEW) {
		put(t, "  ");
		col(t, C_YELLOW);
		put(t, "NEW");
		col(t, C_RESET);
	}
	putc_(t, '\n');
	labelled(t, 12, label("rule"), field(f, "rule", buf, sizeof(buf)));
	labelled(t, 12, label("reason"), field(f, "reason", buf, sizeof(buf)));
	labelled(t, 12, label("fix"), field(f, "fix", buf, sizeof(buf)));
	labelled(t, 12, label("waiver"), field(f, "waiver", buf, sizeof(buf)));
	labelled(t, 12, label("attachment"), field(f, "attachment", buf, sizeof(buf)));
	/*
	 * "SG.X, risk 90, PCI 1.2.1 / 1.3.1 (out of scope)". When that does not
	 * fit, the PCI part goes whole onto the next line rather than being
	 * broken inside "(out of scope)".
	 */
	snprintf(pci, sizeof(pci), "%s%s%s%s%s%s", f->pci_v321 || f->pci_v4 ? "PCI " : "",
	    f->pci_v321 ? f->pci_v321 : "", f->pci_v321 && f->pci_v4 ? " / " : "",
	    f->pci_v4 ? f->pci_v4 : "", f->in_scope || !(f->pci_v321 || f->pci_v4) ? "" : " ",
	    f->in_scope ? "" : "(out of scope)");
	snprintf(pol, sizeof(pol), "%s, risk %d%s%s", f->policy_id ? f->policy_id : "-", f->risk,
	    pci[0] ? ", " : "", pci);
	if (23 + (int)strlen(pol) <= t->width || pci[0] == '\0') {
		labelled(t, 12, label("policy_id"), pol);
	} else {
		int k;
		snprintf(pol, sizeof(pol), "%s, risk %d,", f->policy_id ? f->policy_id : "-", f->risk);
		labelled(t, 12, label("policy_id"), pol);
		for (k = 0; k < 23; k++)
			putc_(t, ' ');
		put_wrapped(t, pci, 23, 23);
	}
}

/* Most severe first; the array is in canonical order, so pointer order breaks ties. */
static int
by_severity(const void *pa, const void *pb)
{
	const struct sg_report_finding *a = *(const struct sg_report_finding *const *)pa;
	const struct sg_report_finding *b = *(const struct sg_report_finding *const *)pb;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return a < b ? -1 : a > b;
}

static void
header(struct tw *t, const struct sg_report *r)
{
	const struct sg_report_meta_field *mf;
	size_t nm, j;
	char buf[SG_FIELD_BUF], lab[40];

	col(t, C_BOLD);
	put(t, "sg-audit security-group scan");
	col(t, C_RESET);
	putc_(t, '\n');
	mf = sg_report_meta_fields(&nm);
	for (j = 0; j < nm; j++) {
		const char *v;
		buf[0] = '\0';
		v = mf[j].get(r, buf, sizeof(buf));
		if (v[0] == '\0')
			v = "-";
		snprintf(lab, sizeof(lab), "  %-19s", mf[j].label);
		col(t, C_DIM);
		put(t, lab);
		col(t, C_RESET);
		put_wrapped(t, v, 21, 21);
	}
	putc_(t, '\n');
}

static void
summary(struct tw *t, const struct sg_report *r)
{
	const struct sg_report_counts *c = &r->counts;
	char line[512];

	put(t, "PCI DSS 1.2.1  ");
	col(t, r->pci == SG_PCI_COMPLIANT ? C_BOLD C_GREEN :
	    r->pci == SG_PCI_NOT_COMPLIANT ? C_BOLDRED : C_BOLD C_YELLOW);
	put(t, r->pci == SG_PCI_COMPLIANT ? "COMPLIANT" :
	    r->pci == SG_PCI_NOT_COMPLIANT ? "NOT COMPLIANT" : "INCOMPLETE");
	col(t, C_RESET);
	if (r->pci == SG_PCI_INCOMPLETE)
		put(t, " (not every requested region was scanned)");
	putc_(t, '\n');
	snprintf(line, sizeof(line),
	    "  groups in scope %zu   failing %zu   waived %zu   regions scanned %zu of %zu\n",
	    c->groups_in_scope, c->groups_failing, c->groups_waived, c->regions_scanned,
	    c->regions_requested);
	put(t, line);
	snprintf(line, sizeof(line),
	    "  findings %zu: %zu critical, %zu high, %zu medium, %zu low, %zu info\n"
	    "    %zu failing, of which %zu in scope (these decide PCI), %zu waived\n",
	    c->findings, c->by_severity[SG_SEV_CRITICAL], c->by_severity[SG_SEV_HIGH],
	    c->by_severity[SG_SEV_MEDIUM], c->by_severity[SG_SEV_LOW], c->by_severity[SG_SEV_INFO],
	    c->failing, c->failing_in_scope, c->waived);
	put(t, line);
	if (c->unknown > 0) {
		snprintf(line, sizeof(line),
		    "  %zu finding%s could not be decided (e.g. a prefix list not resolved)\n",
		    c->unknown, c->unknown == 1 ? "" : "s");
		put(t, line);
	}
	if (r->has_baseline) {
		snprintf(line, sizeof(line),
		    "  since baseline %s: %zu new, %zu unchanged, %zu resolved",
		    r->baseline_started ? r->baseline_started : "-", c->diff_new, c->diff_unchanged,
		    c->diff_resolved);
		put(t, line);
		if (c->baseline_unverified) {
			snprintf(line, sizeof(line), ", %zu not rechecked (region not scanned)",
			    c->baseline_unverified);
			put(t, line);
		}
		putc_(t, '\n');
	}
	putc_(t, '\n');
}

static void
coverage(struct tw *t, const struct sg_report *r)
{
	size_t i;
	char line[256];
	bool any = false, skipped = false, unknown = false;

	for (i = 0; i < r->n_regions; i++) {
		const struct sg_report_region *g = &r->regions[i];
		if (sg_report_region_scanned(g) || !sg_report_region_requested(r, g))
			continue;
		if (!any) {
			col(t, C_BOLD);
			put(t, "Not scanned");
			col(t, C_RESET);
			putc_(t, '\n');
			any = true;
		}
		snprintf(line, sizeof(line), "  %-16s ", g->region ? g->region : "-");
		put(t, line);
		col(t, C_YELLOW);
		snprintf(line, sizeof(line), "%-13s ", g->state ? g->state : "-");
		put(t, line);
		col(t, C_RESET);
		snprintf(line, sizeof(line), "%s%s%s", g->error_code ? g->error_code : "",
		    g->error_code && g->error_message ? ": " : "",
		    g->error_message ? g->error_message : "");
		put_wrapped(t, line, 33, 33);
	}
	/*
	 * Regions whose attachment could not be read (DescribeNetworkInterfaces
	 * failed): their findings say "unknown". A region also listed above as not
	 * scanned is here too, since the groups it did read have findings; JUnit
	 * uses the same predicate.
	 */
	for (i = 0; i < r->n_regions; i++) {
		const struct sg_report_region *g = &r->regions[i];
		if (!sg_report_region_attachment_unknown(g))
			continue;
		if (!unknown) {
			col(t, C_BOLD);
			put(t, "Attachment unknown");
			col(t, C_RESET);
			putc_(t, '\n');
			unknown = true;
		}
		snprintf(line, sizeof(line), "  %-16s ", g->region ? g->region : "-");
		put(t, line);
		snprintf(line, sizeof(line), "DescribeNetworkInterfaces %s", g->attachments);
		put_wrapped(t, line, 19, 19);
	}
	/* Regions that exist but were not asked for (not opted in): one quiet paragraph. */
	{
		struct sg_buf list;
		struct sg_error e2;

		sg_err_init(&e2);
		sg_buf_init(&list, 1 << 16);
		for (i = 0; i < r->n_regions && t->st == SG_OK; i++) {
			const struct sg_report_region *g = &r->regions[i];
			if (sg_report_region_requested(r, g))
				continue;
			if (sg_buf_appendf(&list, &e2, "%s%s", skipped ? ", " : "",
			    g->region ? g->region : "-") != SG_OK) {
				t->st = sg_err_set(t->err, e2.status, "table report: %s", e2.msg);
				break;
			}
			skipped = true;
		}
		if (skipped && t->st == SG_OK) {
			put(t, "Not requested (not opted in): ");
			put_wrapped(t, list.data, 30, 2);
		}
		sg_buf_dispose(&list);
	}
	if (any || skipped)
		putc_(t, '\n');
}

enum sg_status
sg_report_render_table(const struct sg_report *r, const struct sg_report_opts *o,
                       struct sg_buf *out, struct sg_error *err)
{
	struct tw t = { out, err, o->color, o->width > 40 ? o->width : 100, SG_OK };
	size_t i, start, n;

	header(&t, r);
	summary(&t, r);
	coverage(&t, r);

	/*
	 * Current findings, sorted by region already: one block per region, the
	 * most severe first (ties keep the canonical order). INFO findings are
	 * never failing: they are counted here and listed in the other formats.
	 */
	for (start = 0; start < r->n_findings; start = i) {
		const char *region = r->findings[start].region ? r->findings[start].region : "-";
		const struct sg_report_finding **shown;
		size_t n_shown = 0, n_info = 0, k;

		if (r->findings[start].diff == SG_DIFF_RESOLVED)
			break;
		for (i = start, n = 0; i < r->n_findings && r->findings[i].diff != SG_DIFF_RESOLVED &&
		    strcmp(r->findings[i].region ? r->findings[i].region : "-", region) == 0; i++)
			n++;
		if ((shown = calloc(n, sizeof(*shown))) == NULL)
			return sg_err_set(err, SG_ENOMEM, "table report: out of memory");
		for (k = start; k < start + n; k++) {
			if (r->findings[k].status == SG_RSTAT_INFO)
				n_info++;
			else
				shown[n_shown++] = &r->findings[k];
		}
		if (n_shown > 1)
			qsort(shown, n_shown, sizeof(*shown), by_severity);
		col(&t, C_BOLD);
		put_clean(&t, region, 64);
		col(&t, C_RESET);
		put_count(&t, n_shown);
		for (k = 0; k < n_shown; k++)
			finding_block(&t, shown[k]);
		free(shown);
		if (n_info > 0 && t.st == SG_OK)
			t.st = sg_buf_appendf(out, err, "  + %zu informational finding%s (not failing; "
			    "listed in the JSON, CSV and HTML reports)\n", n_info, n_info == 1 ? "" : "s");
		putc_(&t, '\n');
	}
	if (r->counts.findings == 0)
		put(&t, "No findings.\n\n");

	if (r->counts.diff_resolved > 0) {
		col(&t, C_BOLD);
		put(&t, "Resolved since the baseline");
		col(&t, C_RESET);
		putc_(&t, '\n');
		for (i = 0; i < r->n_findings; i++) {
			const struct sg_report_finding *f = &r->findings[i];
			char line[SG_FIELD_BUF];
			if (f->diff != SG_DIFF_RESOLVED)
				continue;
			snprintf(line, sizeof(line), "%s %s %s: %s", f->region ? f->region : "-",
			    f->group_id ? f->group_id : "-", f->policy_id ? f->policy_id : "-",
			    f->rule && f->rule[0] ? f->rule : (f->reason ? f->reason : ""));
			put(&t, "  ");
			put_wrapped(&t, line, 2, 4);
		}
		putc_(&t, '\n');
	}
	return t.st;
}
