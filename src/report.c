/*
 * report.c — the report model, its field tables, the verdict, the exit
 * decision and the multi-output plumbing. The writers live in
 * report_{table,json,csv,html,junit}.c and all walk the tables defined here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_report.h"
#include "report_internal.h"
#include "sg_policy.h"
#include "sg_util.h"

/* ---- lifetime ------------------------------------------------------------ */

struct sg_report *
sg_report_new(void)
{
	return calloc(1, sizeof(struct sg_report));
}

void
sg_report_finding_dispose(struct sg_report_finding *f)
{
	free(f->pci_v321);
	free(f->pci_v4);
	free(f->mitre);
	free(f->protocol);
	free(f->source);
	free(f->policy_id);
	free(f->policy_title);
	free(f->account_id);
	free(f->region);
	free(f->group_id);
	free(f->group_name);
	free(f->vpc_id);
	free(f->rule);
	free(f->reason);
	free(f->fix);
	free(f->waiver);
	free(f->attachment);
}

void
sg_report_free(struct sg_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->tool_version);
	free(r->catalogue_version);
	free(r->catalogue_hash);
	free(r->account_id);
	free(r->caller_arn);
	free(r->partition);
	free(r->scope);
	for (i = 0; i < r->n_regions_requested; i++)
		free(r->regions_requested[i]);
	free(r->regions_requested);
	for (i = 0; i < r->n_regions; i++) {
		free(r->regions[i].region);
		free(r->regions[i].state);
		free(r->regions[i].error_code);
		free(r->regions[i].error_message);
		free(r->regions[i].attachments);
	}
	free(r->regions);
	for (i = 0; i < r->n_findings; i++)
		sg_report_finding_dispose(&r->findings[i]);
	free(r->findings);
	for (i = 0; i < r->n_checks; i++) {
		free(r->checks[i].policy_id);
		free(r->checks[i].account_id);
		free(r->checks[i].region);
		free(r->checks[i].group_id);
		free(r->checks[i].group_name);
	}
	free(r->checks);
	for (i = 0; i < r->n_policies; i++) {
		free(r->policies[i].id);
		free(r->policies[i].title);
		free(r->policies[i].severity);
		free(r->policies[i].pci);
	}
	free(r->policies);
	free(r->baseline_path);
	free(r->baseline_started);
	free(r->pci_reason);
	free(r);
}

/* Grow an array by one zeroed element; NULL on ENOMEM. */
static void *
grow_one(void **arr, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *na;
		if (ncap > ((size_t)-1) / size)
			return NULL;
		na = realloc(*arr, ncap * size);
		if (na == NULL)
			return NULL;
		*arr = na;
		*cap = ncap;
	}
	p = (char *)*arr + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

struct sg_report_finding *
sg_report_add_finding(struct sg_report *r)
{
	return grow_one((void **)&r->findings, &r->n_findings, &r->findings_cap,
	    sizeof(*r->findings));
}

struct sg_report_check *
sg_report_add_check(struct sg_report *r)
{
	return grow_one((void **)&r->checks, &r->n_checks, &r->checks_cap, sizeof(*r->checks));
}

struct sg_report_region *
sg_report_add_region(struct sg_report *r)
{
	return grow_one((void **)&r->regions, &r->n_regions, &r->regions_cap, sizeof(*r->regions));
}

struct sg_report_policy *
sg_report_add_policy(struct sg_report *r)
{
	return grow_one((void **)&r->policies, &r->n_policies, &r->policies_cap,
	    sizeof(*r->policies));
}

bool
sg_report_finding_copy(struct sg_report_finding *dst, const struct sg_report_finding *src)
{
	struct sg_report_finding *f = dst;

	/* Scalars in one go, then every string pointer replaced by its own copy. */
	*f = *src;
	f->policy_id = f->policy_title = f->account_id = f->region = NULL;
	f->group_id = f->group_name = f->vpc_id = f->rule = f->reason = f->fix = NULL;
	f->waiver = f->attachment = f->pci_v321 = f->pci_v4 = f->mitre = NULL;
	f->protocol = f->source = NULL;
	return sg_report_set(&f->policy_id, src->policy_id) &&
	    sg_report_set(&f->policy_title, src->policy_title) &&
	    sg_report_set(&f->account_id, src->account_id) &&
	    sg_report_set(&f->region, src->region) && sg_report_set(&f->group_id, src->group_id) &&
	    sg_report_set(&f->group_name, src->group_name) &&
	    sg_report_set(&f->vpc_id, src->vpc_id) && sg_report_set(&f->rule, src->rule) &&
	    sg_report_set(&f->reason, src->reason) && sg_report_set(&f->fix, src->fix) &&
	    sg_report_set(&f->waiver, src->waiver) &&
	    sg_report_set(&f->attachment, src->attachment) &&
	    sg_report_set(&f->pci_v321, src->pci_v321) && sg_report_set(&f->pci_v4, src->pci_v4) &&
	    sg_report_set(&f->mitre, src->mitre) && sg_report_set(&f->protocol, src->protocol) &&
	    sg_report_set(&f->source, src->source);
}

static const char *const source_kind_names[] = {
	[SG_SRC_CIDR4] = "ipv4",
	[SG_SRC_CIDR6] = "ipv6",
	[SG_SRC_PREFIX_LIST] = "prefix-list",
	[SG_SRC_GROUP] = "group",
};

const char *
sg_report_source_kind_name(enum sg_source_kind k)
{
	return (unsigned)k < sizeof(source_kind_names) / sizeof(source_kind_names[0]) ?
	    source_kind_names[k] : "?";
}

bool
sg_report_source_kind_parse(const char *name, enum sg_source_kind *out)
{
	unsigned i;

	for (i = 0; i < sizeof(source_kind_names) / sizeof(source_kind_names[0]); i++) {
		if (strcmp(name, source_kind_names[i]) == 0) {
			*out = (enum sg_source_kind)i;
			return true;
		}
	}
	return false;
}

bool
sg_report_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}

bool
sg_report_add_requested_region(struct sg_report *r, const char *region)
{
	char **na;
	char *copy = strdup(region);

	if (copy == NULL)
		return false;
	na = realloc(r->regions_requested, (r->n_regions_requested + 1) * sizeof(*na));
	if (na == NULL) {
		free(copy);
		return false;
	}
	r->regions_requested = na;
	r->regions_requested[r->n_regions_requested++] = copy;
	return true;
}

/* ---- names ------------------------------------------------------------- */

static const char *const format_names[SG_FMT_COUNT] = {
	[SG_FMT_TABLE] = "table",
	[SG_FMT_JSON] = "json",
	[SG_FMT_CSV] = "csv",
	[SG_FMT_HTML] = "html",
	[SG_FMT_JUNIT] = "junit",
};

const char *
sg_report_format_name(enum sg_report_format fmt)
{
	return (unsigned)fmt < SG_FMT_COUNT ? format_names[fmt] : "?";
}

bool
sg_report_format_parse(const char *name, enum sg_report_format *out)
{
	unsigned i;

	for (i = 0; i < SG_FMT_COUNT; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum sg_report_format)i;
			return true;
		}
	}
	return false;
}

const char *
sg_report_status_name(enum sg_report_status s)
{
	switch (s) {
	case SG_RSTAT_FAIL: return "FAIL";
	case SG_RSTAT_WAIVED: return "WAIVED";
	case SG_RSTAT_INFO: return "INFO";
	case SG_RSTAT_UNKNOWN: return "UNKNOWN";
	}
	return "?";
}

const char *
sg_report_diff_name(enum sg_report_diff d)
{
	switch (d) {
	case SG_DIFF_NONE: return "";
	case SG_DIFF_NEW: return "new";
	case SG_DIFF_UNCHANGED: return "unchanged";
	case SG_DIFF_RESOLVED: return "resolved";
	}
	return "?";
}

const char *
sg_report_check_name(enum sg_report_check_verdict v)
{
	switch (v) {
	case SG_CHECK_PASS: return "PASS";
	case SG_CHECK_FAIL: return "FAIL";
	case SG_CHECK_WAIVED: return "WAIVED";
	case SG_CHECK_NOT_APPLICABLE: return "NOT_APPLICABLE";
	}
	return "?";
}

const char *
sg_report_pci_name(enum sg_report_pci v)
{
	switch (v) {
	case SG_PCI_COMPLIANT: return "COMPLIANT";
	case SG_PCI_NOT_COMPLIANT: return "NOT_COMPLIANT";
	case SG_PCI_INCOMPLETE: return "INCOMPLETE";
	}
	return "?";
}

static const char *const fail_on_names[] = {
	[SG_FAIL_ON_ANY] = "any",
	[SG_FAIL_ON_NEW] = "new",
	[SG_FAIL_ON_NONE] = "none",
};

bool
sg_fail_on_parse(const char *text, enum sg_fail_on *out)
{
	unsigned i;

	for (i = 0; i < sizeof(fail_on_names) / sizeof(fail_on_names[0]); i++) {
		if (strcmp(text, fail_on_names[i]) == 0) {
			*out = (enum sg_fail_on)i;
			return true;
		}
	}
	return false;
}

const char *
sg_fail_on_name(enum sg_fail_on f)
{
	return (unsigned)f < sizeof(fail_on_names) / sizeof(fail_on_names[0]) ?
	    fail_on_names[f] : "?";
}

/* ---- the field tables ---------------------------------------------------- */

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static const char *f_diff(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return sg_report_diff_name(f->diff); }
static const char *f_status(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return sg_report_status_name(f->status); }
static const char *f_severity(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return sg_severity_name(f->severity); }
static const char *f_risk(const struct sg_report_finding *f, char *b, size_t c)
{ snprintf(b, c, "%d", f->risk); return b; }
static const char *f_policy(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->policy_id); }
static const char *f_account(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->account_id); }
static const char *f_region(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->region); }
static const char *f_group_id(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->group_id); }
static const char *f_group_name(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->group_name); }
static const char *f_vpc(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->vpc_id); }
static const char *f_rule(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->rule); }
static const char *f_reason(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->reason); }
static const char *f_fix(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->fix); }
static const char *f_waiver(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->waiver); }
static const char *f_attachment(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->attachment); }
static const char *f_in_scope(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return f->in_scope ? "true" : "false"; }
static const char *f_pci_v321(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->pci_v321); }
static const char *f_pci_v4(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->pci_v4); }
static const char *f_mitre(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return nz(f->mitre); }
static const char *f_direction(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return !f->has_rule ? "" : f->direction == SG_EGRESS ? "egress" : "ingress"; }
static const char *f_protocol(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return f->has_rule ? nz(f->protocol) : ""; }
static const char *f_from_port(const struct sg_report_finding *f, char *b, size_t c)
{ if (!f->has_rule || !f->has_ports) return ""; snprintf(b, c, "%d", f->from_port); return b; }
static const char *f_to_port(const struct sg_report_finding *f, char *b, size_t c)
{ if (!f->has_rule || !f->has_ports) return ""; snprintf(b, c, "%d", f->to_port); return b; }
static const char *f_icmp_type(const struct sg_report_finding *f, char *b, size_t c)
{ if (!f->has_rule || !f->has_icmp) return ""; snprintf(b, c, "%d", f->icmp_type); return b; }
static const char *f_icmp_code(const struct sg_report_finding *f, char *b, size_t c)
{ if (!f->has_rule || !f->has_icmp) return ""; snprintf(b, c, "%d", f->icmp_code); return b; }
static const char *f_source_kind(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return f->has_rule ? sg_report_source_kind_name(f->source_kind) : ""; }
static const char *f_source(const struct sg_report_finding *f, char *b, size_t c)
{ (void)b; (void)c; return f->has_rule ? nz(f->source) : ""; }

/*
 * The one finding table. Order here is the column order of CSV and HTML and
 * the key order of JSON; the terminal table picks the fields it lays out by
 * name (sg_report_field_find) but takes its labels from here.
 */
static const struct sg_report_field finding_fields[] = {
	{ "severity", "Severity", SG_FIELD_TEXT, false, f_severity },
	{ "risk", "Risk", SG_FIELD_NUMBER, false, f_risk },
	{ "status", "Status", SG_FIELD_TEXT, false, f_status },
	{ "diff", "Change", SG_FIELD_TEXT, false, f_diff },
	{ "policy_id", "Policy", SG_FIELD_TEXT, false, f_policy },
	{ "account_id", "Account", SG_FIELD_TEXT, false, f_account },
	{ "region", "Region", SG_FIELD_TEXT, false, f_region },
	{ "group_id", "Group", SG_FIELD_TEXT, false, f_group_id },
	{ "group_name", "Group name", SG_FIELD_TEXT, false, f_group_name },
	{ "vpc_id", "VPC", SG_FIELD_TEXT, false, f_vpc },
	{ "rule", "Rule", SG_FIELD_TEXT, false, f_rule },
	{ "reason", "Reason", SG_FIELD_TEXT, false, f_reason },
	{ "fix", "Fix", SG_FIELD_TEXT, false, f_fix },
	{ "waiver", "Waiver", SG_FIELD_TEXT, false, f_waiver },
	{ "attachment", "Attachment", SG_FIELD_TEXT, false, f_attachment },
	/*
	 * Added after the first release of schema 1: appended, so CSV readers
	 * that pick finding columns by position keep working.
	 */
	{ "in_scope", "In scope", SG_FIELD_BOOL, false, f_in_scope },
	{ "pci_dss_v3_2_1", "PCI 3.2.1", SG_FIELD_TEXT, false, f_pci_v321 },
	{ "pci_dss_v4_0", "PCI 4.0", SG_FIELD_TEXT, false, f_pci_v4 },
	{ "mitre_attack", "MITRE ATT&CK", SG_FIELD_TEXT, false, f_mitre },
	{ "direction", "Direction", SG_FIELD_TEXT, true, f_direction },
	{ "protocol", "Protocol", SG_FIELD_TEXT, true, f_protocol },
	{ "from_port", "From port", SG_FIELD_NUMBER, true, f_from_port },
	{ "to_port", "To port", SG_FIELD_NUMBER, true, f_to_port },
	{ "icmp_type", "ICMP type", SG_FIELD_NUMBER, true, f_icmp_type },
	{ "icmp_code", "ICMP code", SG_FIELD_NUMBER, true, f_icmp_code },
	{ "source_kind", "Source kind", SG_FIELD_TEXT, true, f_source_kind },
	{ "source", "Source", SG_FIELD_TEXT, true, f_source },
};

const struct sg_report_field *
sg_report_finding_fields(size_t *n)
{
	*n = sizeof(finding_fields) / sizeof(finding_fields[0]);
	return finding_fields;
}

const struct sg_report_field *
sg_report_field_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(finding_fields) / sizeof(finding_fields[0]); i++)
		if (strcmp(finding_fields[i].name, name) == 0)
			return &finding_fields[i];
	return NULL;
}

static const char *m_tool(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->tool_version); }
static const char *m_cat(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->catalogue_version); }
static const char *m_hash(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->catalogue_hash); }
static const char *m_started(const struct sg_report *r, char *b, size_t c)
{ if (r->started == 0) return ""; sg_time_iso8601(r->started, b, c); return b; }
static const char *m_finished(const struct sg_report *r, char *b, size_t c)
{ if (r->finished == 0) return ""; sg_time_iso8601(r->finished, b, c); return b; }
static const char *m_account(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->account_id); }
static const char *m_arn(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->caller_arn); }
static const char *m_partition(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->partition); }
static const char *m_scope(const struct sg_report *r, char *b, size_t c)
{ (void)b; (void)c; return nz(r->scope); }

/* Space-separated lists; JSON renders the same data as arrays. */
static const char *
m_requested(const struct sg_report *r, char *b, size_t c)
{
	size_t i, used = 0;

	b[0] = '\0';
	for (i = 0; i < r->n_regions_requested && used < c; i++) {
		int k = snprintf(b + used, c - used, "%s%s", i ? " " : "", r->regions_requested[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	return b;
}

static const char *
m_scanned(const struct sg_report *r, char *b, size_t c)
{
	size_t i, used = 0;

	b[0] = '\0';
	for (i = 0; i < r->n_regions && used < c; i++) {
		int k;
		if (!sg_report_region_scanned(&r->regions[i]))
			continue;
		k = snprintf(b + used, c - used, "%s%s", used ? " " : "", r->regions[i].region);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	return b;
}

/* Run metadata, in the order every format shows it. */
static const struct sg_report_meta_field meta_fields[] = {
	{ "tool_version", "sg-audit", "run", false, m_tool },
	{ "catalogue_version", "Catalogue", "run", false, m_cat },
	{ "catalogue_sha256", "Catalogue SHA-256", "run", false, m_hash },
	{ "started", "Started (UTC)", "run", false, m_started },
	{ "finished", "Finished (UTC)", "run", false, m_finished },
	{ "scope", "Scope", "run", false, m_scope },
	{ "account_id", "Account", "identity", false, m_account },
	{ "caller_arn", "Caller", "identity", false, m_arn },
	{ "partition", "Partition", "identity", false, m_partition },
	{ "regions_requested", "Regions requested", "coverage", true, m_requested },
	{ "regions_scanned", "Regions scanned", "coverage", true, m_scanned },
};

const struct sg_report_meta_field *
sg_report_meta_fields(size_t *n)
{
	*n = sizeof(meta_fields) / sizeof(meta_fields[0]);
	return meta_fields;
}

bool
sg_report_region_requested(const struct sg_report *r, const struct sg_report_region *g)
{
	size_t i;

	/* Without a requested list (hand-built reports) every listed region counts. */
	if (r->n_regions_requested == 0)
		return true;
	for (i = 0; i < r->n_regions_requested; i++)
		if (g->region != NULL && strcmp(r->regions_requested[i], g->region) == 0)
			return true;
	return false;
}

bool
sg_report_region_scanned(const struct sg_report_region *g)
{
	return g->state != NULL && strcmp(g->state, "SCANNED") == 0;
}

bool
sg_report_region_attachment_unknown(const struct sg_report_region *g)
{
	return g->attachments != NULL && strcmp(g->attachments, "counted") != 0 &&
	    strcmp(g->attachments, "not requested") != 0;
}

/* ---- identity, ordering, counting ---------------------------------------- */

static bool
key_part(struct sg_buf *b, const char *s, bool last)
{
	struct sg_error e;

	sg_err_init(&e);
	for (s = nz(s); *s; s++) {
		if ((*s == '|' || *s == '\\') && sg_buf_append_char(b, '\\', &e) != SG_OK)
			return false;
		if (sg_buf_append_char(b, *s, &e) != SG_OK)
			return false;
	}
	return last || sg_buf_append_char(b, '|', &e) == SG_OK;
}

char *
sg_report_finding_key(const struct sg_report_finding *f)
{
	struct sg_buf b;

	sg_buf_init(&b, 1 << 16);
	if (!key_part(&b, f->policy_id, false) || !key_part(&b, f->account_id, false) ||
	    !key_part(&b, f->region, false) || !key_part(&b, f->group_id, false) ||
	    !key_part(&b, f->rule, true))
		return NULL;
	return sg_buf_detach(&b, NULL);
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(nz(a), nz(b));
}

static int
finding_cmp(const void *pa, const void *pb)
{
	const struct sg_report_finding *a = pa, *b = pb;
	int c;

	/* Resolved ones go last, so the current findings read first. */
	if ((a->diff == SG_DIFF_RESOLVED) != (b->diff == SG_DIFF_RESOLVED))
		return a->diff == SG_DIFF_RESOLVED ? 1 : -1;
	if ((c = cmp0(a->account_id, b->account_id)) != 0 ||
	    (c = cmp0(a->region, b->region)) != 0 ||
	    (c = cmp0(a->group_id, b->group_id)) != 0 ||
	    (c = cmp0(a->policy_id, b->policy_id)) != 0 ||
	    (c = cmp0(a->rule, b->rule)) != 0)
		return c;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	return cmp0(a->reason, b->reason);
}

static int
check_cmp(const void *pa, const void *pb)
{
	const struct sg_report_check *a = pa, *b = pb;
	int c;

	if ((c = cmp0(a->account_id, b->account_id)) != 0 ||
	    (c = cmp0(a->region, b->region)) != 0 ||
	    (c = cmp0(a->group_id, b->group_id)) != 0)
		return c;
	return cmp0(a->policy_id, b->policy_id);
}

static int
policy_cmp(const void *pa, const void *pb)
{
	const struct sg_report_policy *a = pa, *b = pb;

	return cmp0(a->id, b->id);
}

static bool
same_group(const struct sg_report_check *a, const struct sg_report_check *b)
{
	return cmp0(a->account_id, b->account_id) == 0 && cmp0(a->region, b->region) == 0 &&
	    cmp0(a->group_id, b->group_id) == 0;
}

void
sg_report_finish(struct sg_report *r)
{
	struct sg_report_counts *c = &r->counts;
	size_t i, j;

	if (r->n_findings > 1)
		qsort(r->findings, r->n_findings, sizeof(*r->findings), finding_cmp);
	if (r->n_checks > 1)
		qsort(r->checks, r->n_checks, sizeof(*r->checks), check_cmp);
	if (r->n_policies > 1)
		qsort(r->policies, r->n_policies, sizeof(*r->policies), policy_cmp);

	/* Keep what the engine or the baseline decided and finish cannot derive. */
	{
		struct sg_report_counts keep = *c;
		memset(c, 0, sizeof(*c));
		c->baseline_unverified = keep.baseline_unverified;
		if (r->pci_decided) {
			c->groups_in_scope = keep.groups_in_scope;
			c->groups_failing = keep.groups_failing;
			c->groups_waived = keep.groups_waived;
			c->regions_requested = keep.regions_requested;
			c->regions_scanned = keep.regions_scanned;
		}
	}
	for (i = 0; i < r->n_findings; i++) {
		const struct sg_report_finding *f = &r->findings[i];
		if (f->diff == SG_DIFF_RESOLVED) {
			c->diff_resolved++;
			continue;
		}
		c->findings++;
		if ((unsigned)f->severity <= SG_SEV_CRITICAL)
			c->by_severity[f->severity]++;
		if (f->status == SG_RSTAT_FAIL) {
			c->failing++;
			if (f->in_scope)
				c->failing_in_scope++;
		}
		else if (f->status == SG_RSTAT_WAIVED)
			c->waived++;
		else if (f->status == SG_RSTAT_UNKNOWN)
			c->unknown++;
		else
			c->info++;
		if (f->diff == SG_DIFF_NEW)
			c->diff_new++;
		else if (f->diff == SG_DIFF_UNCHANGED)
			c->diff_unchanged++;
	}

	/* Checks are sorted by group: walk one group at a time. */
	for (i = 0; i < r->n_checks; i = j) {
		bool scoped = false, failing = false, waived = false;
		for (j = i; j < r->n_checks && same_group(&r->checks[i], &r->checks[j]); j++) {
			const struct sg_report_check *k = &r->checks[j];
			c->checks++;
			switch (k->verdict) {
			case SG_CHECK_PASS: c->checks_pass++; break;
			case SG_CHECK_FAIL: c->checks_fail++; break;
			case SG_CHECK_WAIVED: c->checks_waived++; break;
			case SG_CHECK_NOT_APPLICABLE: c->checks_na++; break;
			}
			if (!k->in_scope)
				continue;
			scoped = true;
			if (k->verdict == SG_CHECK_FAIL)
				failing = true;
			else if (k->verdict == SG_CHECK_WAIVED)
				waived = true;
		}
		c->groups++;
		if (r->pci_decided)
			continue;
		if (scoped)
			c->groups_in_scope++;
		if (failing)
			c->groups_failing++;
		else if (waived)
			c->groups_waived++;
	}
	if (r->pci_decided)
		return;

	c->regions_requested = r->n_regions_requested;
	for (i = 0; i < r->n_regions; i++)
		if (sg_report_region_scanned(&r->regions[i]))
			c->regions_scanned++;

	if (c->regions_scanned < c->regions_requested || c->regions_scanned < r->n_regions ||
	    c->unknown > 0)
		r->pci = SG_PCI_INCOMPLETE;
	else if (c->groups_failing > 0)
		r->pci = SG_PCI_NOT_COMPLIANT;
	else
		r->pci = SG_PCI_COMPLIANT;
}

/* ---- exit decision --------------------------------------------------------- */

enum sg_report_outcome
sg_report_decide(const struct sg_report *r, enum sg_fail_on fail_on,
                 enum sg_severity fail_severity)
{
	size_t i;

	if (r->pci == SG_PCI_INCOMPLETE)
		return SG_OUTCOME_INCOMPLETE;
	if (fail_on == SG_FAIL_ON_NONE)
		return SG_OUTCOME_CLEAN;
	for (i = 0; i < r->n_findings; i++) {
		const struct sg_report_finding *f = &r->findings[i];
		if (f->status != SG_RSTAT_FAIL || f->diff == SG_DIFF_RESOLVED)
			continue;
		if (f->severity < fail_severity)
			continue;
		if (fail_on == SG_FAIL_ON_NEW && f->diff == SG_DIFF_UNCHANGED)
			continue;
		return SG_OUTCOME_FINDINGS;
	}
	return SG_OUTCOME_CLEAN;
}

bool
sg_report_want_color(int fd)
{
	const char *nc = getenv("NO_COLOR");

	/* no-color.org: present and not empty disables colour. */
	if (nc != NULL && nc[0] != '\0')
		return false;
	return isatty(fd) == 1;
}

/* ---- rendering and outputs -------------------------------------------------- */

enum sg_status
sg_report_render(const struct sg_report *r, enum sg_report_format fmt,
                 const struct sg_report_opts *opts, struct sg_buf *out, struct sg_error *err)
{
	static const struct sg_report_opts defaults = { false, 100 };

	if (opts == NULL)
		opts = &defaults;
	switch (fmt) {
	case SG_FMT_TABLE: return sg_report_render_table(r, opts, out, err);
	case SG_FMT_JSON: return sg_report_render_json(r, out, err);
	case SG_FMT_CSV: return sg_report_render_csv(r, out, err);
	case SG_FMT_HTML: return sg_report_render_html(r, out, err);
	case SG_FMT_JUNIT: return sg_report_render_junit(r, out, err);
	case SG_FMT_COUNT: break;
	}
	return sg_err_set(err, SG_EINTERNAL, "report: unknown format %d", (int)fmt);
}

enum sg_status
sg_report_outputs_add(struct sg_report_outputs *o, const char *spec, struct sg_error *err)
{
	const char *colon = strchr(spec, ':');
	enum sg_report_format fmt;
	char name[16];
	size_t i, n;
	struct sg_report_output *item;

	if (colon == NULL)
		return sg_err_set(err, SG_EINVAL,
		    "--output '%s': expected FORMAT:PATH (table, json, csv, html, junit)", spec);
	n = (size_t)(colon - spec);
	if (n == 0 || n >= sizeof(name))
		return sg_err_set(err, SG_EINVAL, "--output '%s': unknown format", spec);
	memcpy(name, spec, n);
	name[n] = '\0';
	if (!sg_report_format_parse(name, &fmt))
		return sg_err_set(err, SG_EINVAL,
		    "--output '%s': unknown format '%s' (table, json, csv, html, junit)", spec, name);
	if (colon[1] == '\0')
		return sg_err_set(err, SG_EINVAL, "--output '%s': empty path", spec);
	for (i = 0; i < o->n; i++)
		if (strcmp(o->items[i].path, colon + 1) == 0)
			return sg_err_set(err, SG_EINVAL, "--output '%s': path '%s' given twice",
			    spec, colon + 1);
	item = grow_one((void **)&o->items, &o->n, &o->cap, sizeof(*o->items));
	if (item == NULL)
		return sg_err_set(err, SG_ENOMEM, "--output: out of memory");
	item->format = fmt;
	if ((item->path = strdup(colon + 1)) == NULL) {
		o->n--;
		return sg_err_set(err, SG_ENOMEM, "--output: out of memory");
	}
	return SG_OK;
}

void
sg_report_outputs_dispose(struct sg_report_outputs *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->items[i].path);
	free(o->items);
	memset(o, 0, sizeof(*o));
}

enum sg_status
sg_report_write_outputs(const struct sg_report *r, const struct sg_report_outputs *o,
                        const struct sg_report_opts *opts, FILE *stdout_file,
                        struct sg_error *err)
{
	enum sg_status first = SG_OK, st;
	size_t i;

	for (i = 0; i < o->n; i++) {
		const struct sg_report_output *it = &o->items[i];
		struct sg_report_opts fo = opts ? *opts : (struct sg_report_opts){ false, 100 };
		struct sg_buf b;
		bool to_stdout = strcmp(it->path, "-") == 0;

		/* Colour only ever goes to a terminal, never into a file. */
		if (!to_stdout)
			fo.color = false;
		sg_buf_init(&b, SG_REPORT_MAX_BYTES);
		st = sg_report_render(r, it->format, &fo, &b, err);
		if (st == SG_OK && to_stdout) {
			if (b.len && (fwrite(b.data, 1, b.len, stdout_file) != b.len ||
			    fflush(stdout_file) != 0))
				st = sg_err_set(err, SG_EIO, "writing the %s report to standard output failed",
				    sg_report_format_name(it->format));
		} else if (st == SG_OK) {
			st = sg_file_write_atomic(it->path, b.data ? b.data : "", b.len, 0644, err);
		} else {
			sg_err_prefix(err, "%s report: ", sg_report_format_name(it->format));
		}
		sg_buf_dispose(&b);
		if (st != SG_OK && first == SG_OK)
			first = st;
	}
	return first;
}

/* ---- from the policy engine ------------------------------------------------ */

static enum sg_report_status
status_from(enum sg_finding_state s)
{
	switch (s) {
	case SG_FINDING_FAIL: return SG_RSTAT_FAIL;
	case SG_FINDING_WAIVED: return SG_RSTAT_WAIVED;
	case SG_FINDING_INFO: return SG_RSTAT_INFO;
	case SG_FINDING_UNKNOWN: return SG_RSTAT_UNKNOWN;
	}
	return SG_RSTAT_UNKNOWN;
}

static enum sg_report_check_verdict
check_from(enum sg_verdict v)
{
	switch (v) {
	case SG_VERDICT_PASS: return SG_CHECK_PASS;
	case SG_VERDICT_FAIL: return SG_CHECK_FAIL;
	case SG_VERDICT_WAIVED: return SG_CHECK_WAIVED;
	case SG_VERDICT_NOT_APPLICABLE: return SG_CHECK_NOT_APPLICABLE;
	}
	return SG_CHECK_NOT_APPLICABLE;
}

static enum sg_report_pci
pci_from(enum sg_pci_verdict v)
{
	switch (v) {
	case SG_PCIV_COMPLIANT: return SG_PCI_COMPLIANT;
	case SG_PCIV_NOT_COMPLIANT: return SG_PCI_NOT_COMPLIANT;
	case SG_PCIV_INCOMPLETE: return SG_PCI_INCOMPLETE;
	}
	return SG_PCI_INCOMPLETE;
}

/*
 * The source as the report names it: the engine's text, except a prefix
 * list, whose text is a sentence ("prefix list pl-… (open-world) containing
 * the internet"): there the id alone, plus its name when the inventory has it.
 */
static char *
source_text(const struct sg_inventory *inv, const struct sg_finding *s)
{
	const char *src = s->source != NULL ? s->source : "", *pl;
	char id[64], out[256];
	size_t n, i;

	if (s->source_kind != SG_SRC_PREFIX_LIST || (pl = strstr(src, "pl-")) == NULL)
		return strdup(src);
	n = strspn(pl, "pl-0123456789abcdefABCDEF");
	if (n >= sizeof(id))
		n = sizeof(id) - 1;
	memcpy(id, pl, n);
	id[n] = '\0';
	snprintf(out, sizeof(out), "%s", id);
	for (i = 0; inv != NULL && i < inv->n_prefix_lists; i++) {
		const struct sg_prefix_list *p = &inv->prefix_lists[i];
		if (p->id != NULL && strcmp(p->id, id) == 0 && p->name != NULL && p->name[0] &&
		    (p->region == NULL || s->region == NULL || strcmp(p->region, s->region) == 0)) {
			snprintf(out, sizeof(out), "%s (%s)", id, p->name);
			break;
		}
	}
	return strdup(out);
}

/*
 * PCI DSS v4.0 for one finding. A policy about whole groups (the default
 * group's) maps both 1.3.1 (inbound to the CDE) and 1.3.2 (outbound from
 * it); a finding about one rule is about one direction, so it names the one
 * requirement that rule breaks. Anything else is the policy's mapping as is.
 */
static const char *
pci_v4_for(const struct sg_finding *s)
{
	if (s->pci_v4 == NULL || !s->has_rule ||
	    (strcmp(s->pci_v4, "1.3.1, 1.3.2") != 0 && strcmp(s->pci_v4, "1.3.2, 1.3.1") != 0))
		return s->pci_v4;
	return s->direction == SG_EGRESS ? "1.3.2" : "1.3.1";
}

static bool
copy_finding(struct sg_report *r, const struct sg_inventory *inv, const struct sg_finding *s)
{
	struct sg_report_finding *f = sg_report_add_finding(r);

	if (f == NULL)
		return false;
	f->severity = s->severity;
	f->risk = s->risk;
	f->status = status_from(s->state);
	f->diff = SG_DIFF_NONE;
	f->in_scope = s->in_scope;
	if (s->has_rule) {
		f->has_rule = true;
		f->direction = s->direction;
		f->source_kind = s->source_kind;
		/* sg_record.h: tcp/udp carry a port range, icmp(v6) a type and code. */
		if (sg_protocol_has_ports(s->protocol)) {
			f->has_ports = true;
			f->from_port = s->from_port;
			f->to_port = s->to_port;
		} else if (sg_protocol_is_icmp(s->protocol)) {
			f->has_icmp = true;
			f->icmp_type = s->from_port < 0 ? -1 : s->from_port;
			f->icmp_code = s->from_port < 0 || s->to_port < 0 ? -1 : s->to_port;
		}
		if (!sg_report_set(&f->protocol, s->protocol_name ? s->protocol_name : "") ||
		    (f->source = source_text(inv, s)) == NULL)
			return false;
	}
	return sg_report_set(&f->policy_id, s->policy_id) &&
	    sg_report_set(&f->policy_title, s->policy_title) &&
	    sg_report_set(&f->account_id, s->account_id) && sg_report_set(&f->region, s->region) &&
	    sg_report_set(&f->group_id, s->group_id) &&
	    sg_report_set(&f->group_name, s->group_name) && sg_report_set(&f->vpc_id, s->vpc_id) &&
	    sg_report_set(&f->rule, s->has_rule && s->rule_text ? s->rule_text : "") &&
	    sg_report_set(&f->reason, s->reason) && sg_report_set(&f->fix, s->fix) &&
	    sg_report_set(&f->waiver, s->waiver) && sg_report_set(&f->attachment, s->attachment) &&
	    sg_report_set(&f->pci_v321, s->pci_v321) && sg_report_set(&f->pci_v4, pci_v4_for(s)) &&
	    sg_report_set(&f->mitre, s->mitre);
}

static char *
join_list(const struct sg_strlist *l)
{
	struct sg_buf b;
	struct sg_error e;
	size_t i;

	if (l->n == 0)
		return NULL;
	sg_err_init(&e);
	sg_buf_init(&b, 4096);
	for (i = 0; i < l->n; i++)
		if (sg_buf_appendf(&b, &e, "%s%s", i ? ", " : "", l->items[i]) != SG_OK)
			return NULL;
	return sg_buf_detach(&b, NULL);
}

enum sg_status
sg_report_from_policy(struct sg_report *r, const struct sg_inventory *inv,
                      const struct sg_policy_result *res, const struct sg_policy_set *ps,
                      const char *tool_version, time_t started, time_t finished,
                      struct sg_error *err)
{
	size_t i;
	bool drop_not_opted = res->pci.regions_requested < inv->n_regions;

	r->started = started;
	r->finished = finished;
	r->inventory = inv;
	if (!sg_report_set(&r->tool_version, tool_version) ||
	    !sg_report_set(&r->catalogue_version, res->catalogue_version) ||
	    !sg_report_set(&r->catalogue_hash, res->catalogue_sha256) ||
	    !sg_report_set(&r->account_id, inv->account_id) ||
	    !sg_report_set(&r->caller_arn, inv->caller_arn) ||
	    !sg_report_set(&r->partition, inv->partition) ||
	    !sg_report_set(&r->pci_reason, res->pci.reason))
		goto nomem;
	for (i = 0; i < inv->n_regions; i++) {
		const struct sg_region_coverage *c = &inv->regions[i];
		struct sg_report_region *g = sg_report_add_region(r);
		if (g == NULL || !sg_report_set(&g->region, c->region) ||
		    !sg_report_set(&g->state, sg_region_state_name(c->state)) ||
		    !sg_report_set(&g->error_code, c->error_code) ||
		    !sg_report_set(&g->error_message, c->error_message) ||
		    !sg_report_set(&g->attachments, c->attachments))
			goto nomem;
		g->groups = c->groups;
		g->rules = c->rules;
		/* With --regions all, a region not opted in was never asked for. */
		if (drop_not_opted && c->state == SG_REGION_NOT_OPTED_IN)
			continue;
		if (!sg_report_add_requested_region(r, c->region))
			goto nomem;
	}
	for (i = 0; i < res->n_findings; i++)
		if (!copy_finding(r, inv, &res->findings[i]))
			goto nomem;
	for (i = 0; i < res->n_checks; i++) {
		const struct sg_group_check *s = &res->checks[i];
		struct sg_report_check *k = sg_report_add_check(r);
		if (k == NULL || !sg_report_set(&k->policy_id, s->policy_id) ||
		    !sg_report_set(&k->account_id, s->account_id) ||
		    !sg_report_set(&k->region, s->region) ||
		    !sg_report_set(&k->group_id, s->group_id) ||
		    !sg_report_set(&k->group_name, s->group_name))
			goto nomem;
		k->in_scope = s->in_scope;
		k->verdict = check_from(s->verdict);
	}
	for (i = 0; ps != NULL && i < ps->n; i++) {
		const struct sg_policy *p = &ps->policies[i];
		struct sg_report_policy *q;
		if (!p->enabled)
			continue;
		if ((q = sg_report_add_policy(r)) == NULL || !sg_report_set(&q->id, p->id) ||
		    !sg_report_set(&q->title, p->display_name) ||
		    !sg_report_set(&q->severity, sg_severity_name(p->severity)))
			goto nomem;
		if (p->pci_v321.n > 0 && (q->pci = join_list(&p->pci_v321)) == NULL)
			goto nomem;
	}
	r->pci = pci_from(res->pci.verdict);
	r->pci_decided = true;
	r->counts.groups_in_scope = res->pci.groups_in_scope;
	r->counts.groups_failing = res->pci.groups_failing;
	r->counts.groups_waived = res->pci.groups_waived;
	r->counts.regions_requested = res->pci.regions_requested;
	r->counts.regions_scanned = res->pci.regions_requested - res->pci.regions_incomplete;
	return SG_OK;
nomem:
	return sg_err_set(err, SG_ENOMEM, "report: out of memory");
}
