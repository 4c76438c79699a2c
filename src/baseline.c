/*
 * baseline.c — NEW / UNCHANGED / RESOLVED against last night's JSON report.
 *
 * The previous report is untrusted input of bounded size (a file anyone
 * with write access to the report directory could edit): it is parsed with
 * cJSON under a size cap, every member is type-checked, and any problem
 * leaves the current report untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sg_baseline.h"
#include "sg_util.h"

/* One finding read from the baseline. */
struct old {
	char *key;
	struct sg_report_finding f; /* strings borrowed from the cJSON tree */
};

static const char *
member_str(const cJSON *o, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
old_cmp(const void *a, const void *b)
{
	return strcmp(((const struct old *)a)->key, ((const struct old *)b)->key);
}

static bool
region_scanned(const struct sg_report *r, const char *account, const char *region)
{
	size_t i;

	/* A finding of another account than this run's was not looked at. */
	if (account != NULL && r->account_id != NULL && strcmp(account, r->account_id) != 0)
		return false;
	for (i = 0; i < r->n_regions; i++)
		if (r->regions[i].region && region && strcmp(r->regions[i].region, region) == 0)
			return r->regions[i].state && strcmp(r->regions[i].state, "SCANNED") == 0;
	return false;
}

static bool
copy_resolved(struct sg_report *r, const struct sg_report_finding *src)
{
	struct sg_report_finding *f = sg_report_add_finding(r);

	if (f == NULL)
		return false;
	if (!sg_report_finding_copy(f, src))
		return false;
	f->diff = SG_DIFF_RESOLVED;
	return true;
}

/* An integer member in [lo, hi], or false. */
static bool
member_int(const cJSON *o, const char *name, int lo, int hi, int *out)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(m) || m->valuedouble < lo || m->valuedouble > hi)
		return false;
	*out = (int)m->valuedouble;
	return true;
}

/*
 * The scope, mappings and rule parts of a baseline finding, when it has them
 * (reports written before these keys existed do not: the row then has
 * in_scope false and no rule parts). Strings borrowed from the tree.
 */
static void
read_parts(const cJSON *item, struct sg_report_finding *f)
{
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(item, "in_scope");
	const char *dir = member_str(item, "direction"), *kind = member_str(item, "source_kind");

	f->in_scope = cJSON_IsTrue(scope);
	f->pci_v321 = (char *)(uintptr_t)member_str(item, "pci_dss_v3_2_1");
	f->pci_v4 = (char *)(uintptr_t)member_str(item, "pci_dss_v4_0");
	f->mitre = (char *)(uintptr_t)member_str(item, "mitre_attack");
	if (dir == NULL || kind == NULL || !sg_report_source_kind_parse(kind, &f->source_kind))
		return;
	f->has_rule = true;
	f->direction = strcmp(dir, "egress") == 0 ? SG_EGRESS : SG_INGRESS;
	f->protocol = (char *)(uintptr_t)member_str(item, "protocol");
	f->source = (char *)(uintptr_t)member_str(item, "source");
	f->has_ports = member_int(item, "from_port", 0, 65535, &f->from_port) &&
	    member_int(item, "to_port", 0, 65535, &f->to_port);
	f->has_icmp = !f->has_ports && member_int(item, "icmp_type", -1, 255, &f->icmp_type) &&
	    member_int(item, "icmp_code", -1, 255, &f->icmp_code);
}

static enum sg_report_status
status_parse(const char *s)
{
	if (s != NULL && strcmp(s, "WAIVED") == 0)
		return SG_RSTAT_WAIVED;
	if (s != NULL && strcmp(s, "INFO") == 0)
		return SG_RSTAT_INFO;
	return SG_RSTAT_FAIL;
}

enum sg_status
sg_baseline_apply(struct sg_report *r, const char *json, size_t len, const char *name,
                  struct sg_error *err)
{
	cJSON *root = NULL;
	const cJSON *schema, *ver, *arr, *item, *run;
	struct old *olds = NULL;
	char **cur = NULL;
	size_t n_old = 0, n_cur = 0, i, n_current, unverified = 0, before = r->n_findings;
	enum sg_status st = SG_OK;

	root = cJSON_ParseWithLength(json, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		st = sg_err_set(err, SG_EPARSE, "baseline %s: not valid JSON", name);
		goto out;
	}
	schema = cJSON_GetObjectItemCaseSensitive(root, "schema");
	ver = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
	if (!cJSON_IsString(schema) || strcmp(schema->valuestring, SG_REPORT_SCHEMA) != 0) {
		st = sg_err_set(err, SG_ECONFIG,
		    "baseline %s: not an sg-audit JSON report (\"schema\" is not \"%s\")", name,
		    SG_REPORT_SCHEMA);
		goto out;
	}
	if (!cJSON_IsNumber(ver) || ver->valuedouble < 1 ||
	    ver->valuedouble > SG_REPORT_SCHEMA_VERSION) {
		st = sg_err_set(err, SG_ECONFIG,
		    "baseline %s: schema_version is not one this sg-audit reads (1..%d)", name,
		    SG_REPORT_SCHEMA_VERSION);
		goto out;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "findings");
	if (!cJSON_IsArray(arr)) {
		st = sg_err_set(err, SG_EPARSE, "baseline %s: \"findings\" is not an array", name);
		goto out;
	}
	olds = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(*olds));
	if (olds == NULL)
		goto nomem;
	i = 0;
	cJSON_ArrayForEach(item, arr) {
		struct old *o = &olds[n_old];
		const char *diff, *sev;
		const cJSON *risk;

		i++;
		if (!cJSON_IsObject(item)) {
			st = sg_err_set(err, SG_EPARSE, "baseline %s: finding %zu is not an object",
			    name, i);
			goto out;
		}
		diff = member_str(item, "diff");
		if (diff != NULL && strcmp(diff, "resolved") == 0)
			continue; /* gone already last time */
		o->f.policy_id = (char *)(uintptr_t)member_str(item, "policy_id");
		o->f.account_id = (char *)(uintptr_t)member_str(item, "account_id");
		o->f.region = (char *)(uintptr_t)member_str(item, "region");
		o->f.group_id = (char *)(uintptr_t)member_str(item, "group_id");
		o->f.rule = (char *)(uintptr_t)member_str(item, "rule");
		if (o->f.policy_id == NULL || o->f.region == NULL || o->f.group_id == NULL) {
			st = sg_err_set(err, SG_EPARSE,
			    "baseline %s: finding %zu lacks policy_id, region or group_id", name, i);
			goto out;
		}
		o->f.policy_title = (char *)(uintptr_t)member_str(item, "policy_title");
		o->f.group_name = (char *)(uintptr_t)member_str(item, "group_name");
		o->f.vpc_id = (char *)(uintptr_t)member_str(item, "vpc_id");
		o->f.reason = (char *)(uintptr_t)member_str(item, "reason");
		o->f.fix = (char *)(uintptr_t)member_str(item, "fix");
		o->f.waiver = (char *)(uintptr_t)member_str(item, "waiver");
		o->f.attachment = (char *)(uintptr_t)member_str(item, "attachment");
		sev = member_str(item, "severity");
		if (sev == NULL || !sg_severity_parse(sev, &o->f.severity))
			o->f.severity = SG_SEV_INFO;
		risk = cJSON_GetObjectItemCaseSensitive(item, "risk");
		o->f.risk = cJSON_IsNumber(risk) && risk->valuedouble >= 0 &&
		    risk->valuedouble <= 100 ? (int)risk->valuedouble : 0;
		o->f.status = status_parse(member_str(item, "status"));
		read_parts(item, &o->f);
		if ((o->key = sg_report_finding_key(&o->f)) == NULL)
			goto nomem;
		n_old++;
	}
	if (n_old > 1)
		qsort(olds, n_old, sizeof(*olds), old_cmp);

	/* Current findings' keys, sorted, to find the resolved ones. */
	n_current = r->n_findings;
	cur = calloc(n_current + 1, sizeof(*cur));
	if (cur == NULL)
		goto nomem;
	for (i = 0; i < n_current; i++) {
		struct old probe, *hit;
		if ((cur[n_cur] = sg_report_finding_key(&r->findings[i])) == NULL)
			goto nomem;
		probe.key = cur[n_cur];
		hit = n_old ? bsearch(&probe, olds, n_old, sizeof(*olds), old_cmp) : NULL;
		r->findings[i].diff = hit != NULL ? SG_DIFF_UNCHANGED : SG_DIFF_NEW;
		n_cur++;
	}
	if (n_cur > 1)
		qsort(cur, n_cur, sizeof(*cur), key_cmp);
	for (i = 0; i < n_old; i++) {
		if (i > 0 && strcmp(olds[i].key, olds[i - 1].key) == 0)
			continue; /* same identity twice: one finding */
		if (n_cur && bsearch(&olds[i].key, cur, n_cur, sizeof(*cur), key_cmp) != NULL)
			continue;
		if (!region_scanned(r, olds[i].f.account_id, olds[i].f.region)) {
			unverified++;
			continue;
		}
		if (!copy_resolved(r, &olds[i].f))
			goto nomem;
	}
	if (!sg_report_set(&r->baseline_path, name))
		goto nomem;
	run = cJSON_GetObjectItemCaseSensitive(root, "run");
	if (!sg_report_set(&r->baseline_started, member_str(run, "started")))
		goto nomem;
	r->has_baseline = true;
	r->counts.baseline_unverified = unverified;
	goto out;
nomem:
	st = sg_err_set(err, SG_ENOMEM, "baseline %s: out of memory", name);
out:
	if (st != SG_OK) {
		/* Leave r as it was: drop appended rows, clear marks. */
		while (r->n_findings > before) {
			sg_report_finding_dispose(&r->findings[--r->n_findings]);
		}
		for (i = 0; i < r->n_findings; i++)
			r->findings[i].diff = SG_DIFF_NONE;
	}
	for (i = 0; i < n_old; i++)
		free(olds[i].key);
	free(olds);
	for (i = 0; i < n_cur; i++)
		free(cur[i]);
	free(cur);
	cJSON_Delete(root);
	return st;
}

enum sg_status
sg_baseline_apply_file(struct sg_report *r, const char *path, struct sg_error *err)
{
	struct sg_buf b;
	enum sg_status st;

	sg_buf_init(&b, SG_BASELINE_MAX_BYTES);
	st = sg_file_read(path, &b, false, err);
	if (st != SG_OK) {
		sg_err_prefix(err, "baseline: ");
		return st;
	}
	st = sg_baseline_apply(r, b.data ? b.data : "", b.len, path, err);
	sg_buf_dispose(&b);
	return st;
}
