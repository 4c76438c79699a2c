/*
 * report_json.c — the JSON report (docs/report-schema.md, SG_REPORT_SCHEMA_VERSION).
 *
 * Sections, in order: schema, run, identity, coverage, summary, policies,
 * findings, checks, inventory. The run/identity/coverage members come from
 * the run-metadata table and the finding objects from the finding table
 * (src/report.c), the same tables the other formats walk. Built as a cJSON
 * tree and printed once; key order is insertion order, so output is stable.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report_internal.h"
#include "sg_inventory_json.h"

static cJSON *
str_or_null(const char *s)
{
	return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static bool
add(cJSON *obj, const char *key, cJSON *item)
{
	if (item == NULL)
		return false;
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

static bool
add_num(cJSON *obj, const char *key, size_t v)
{
	return add(obj, key, cJSON_CreateNumber((double)v));
}

/* "a b c" -> ["a","b","c"] */
static cJSON *
split_list(const char *s)
{
	cJSON *arr = cJSON_CreateArray();
	char word[256];

	if (arr == NULL)
		return NULL;
	while (*s) {
		size_t n = strcspn(s, " ");
		if (n > 0) {
			if (n >= sizeof(word))
				n = sizeof(word) - 1;
			memcpy(word, s, n);
			word[n] = '\0';
			if (!add(arr, "", cJSON_CreateString(word)))
				goto fail;
		}
		s += strcspn(s, " ");
		while (*s == ' ')
			s++;
	}
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

static cJSON *
finding_json(const struct sg_report_finding *f)
{
	const struct sg_report_field *ff;
	size_t nf, j;
	char buf[SG_FIELD_BUF];
	cJSON *o = cJSON_CreateObject();
	char *key;

	if (o == NULL)
		return NULL;
	ff = sg_report_finding_fields(&nf);
	for (j = 0; j < nf; j++) {
		const char *v;
		cJSON *item;

		buf[0] = '\0';
		v = ff[j].get(f, buf, sizeof(buf));
		if (v[0] == '\0' && strcmp(ff[j].name, "rule") != 0)
			item = cJSON_CreateNull(); /* absent or not applicable, not an empty value */
		else if (ff[j].type == SG_FIELD_NUMBER)
			item = cJSON_CreateNumber(atof(v));
		else if (ff[j].type == SG_FIELD_BOOL)
			item = cJSON_CreateBool(strcmp(v, "true") == 0);
		else
			item = cJSON_CreateString(v);
		if (!add(o, ff[j].name, item))
			goto fail;
	}
	if (f->policy_title != NULL && !add(o, "policy_title", cJSON_CreateString(f->policy_title)))
		goto fail;
	if ((key = sg_report_finding_key(f)) == NULL)
		goto fail;
	if (!add(o, "key", cJSON_CreateString(key))) {
		free(key);
		goto fail;
	}
	free(key);
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static bool
add_meta_sections(const struct sg_report *r, cJSON *root, cJSON *run, cJSON *identity,
                  cJSON *coverage)
{
	const struct sg_report_meta_field *mf;
	size_t nm, j;
	char buf[SG_FIELD_BUF];

	(void)root;
	mf = sg_report_meta_fields(&nm);
	for (j = 0; j < nm; j++) {
		cJSON *sec = strcmp(mf[j].section, "run") == 0 ? run :
		    strcmp(mf[j].section, "identity") == 0 ? identity : coverage;
		const char *v;

		buf[0] = '\0';
		v = mf[j].get(r, buf, sizeof(buf));
		if (!add(sec, mf[j].name, mf[j].list ? split_list(v) :
		    v[0] ? cJSON_CreateString(v) : cJSON_CreateNull()))
			return false;
	}
	return true;
}

static cJSON *
regions_json(const struct sg_report *r)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < r->n_regions; i++) {
		const struct sg_report_region *g = &r->regions[i];
		cJSON *o = cJSON_CreateObject();
		if (!add(arr, "", o) || !add(o, "region", str_or_null(g->region)) ||
		    !add(o, "state", str_or_null(g->state)) ||
		    !add(o, "error_code", str_or_null(g->error_code)) ||
		    !add(o, "error_message", str_or_null(g->error_message)) ||
		    !add_num(o, "groups", g->groups) || !add_num(o, "rules", g->rules) ||
		    (g->attachments != NULL && !add(o, "attachments", cJSON_CreateString(g->attachments)))) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

static cJSON *
summary_json(const struct sg_report *r)
{
	const struct sg_report_counts *c = &r->counts;
	cJSON *o = cJSON_CreateObject(), *sev = NULL, *chk = NULL, *base = NULL;
	int s;

	if (o == NULL)
		return NULL;
	if (!add(o, "pci_dss_1_2_1", cJSON_CreateString(sg_report_pci_name(r->pci))) ||
	    !add_num(o, "groups", c->groups) || !add_num(o, "groups_in_scope", c->groups_in_scope) ||
	    !add_num(o, "groups_failing", c->groups_failing) ||
	    !add_num(o, "groups_waived", c->groups_waived) ||
	    !add_num(o, "regions_requested", c->regions_requested) ||
	    !add_num(o, "regions_scanned", c->regions_scanned) ||
	    !add_num(o, "findings", c->findings) || !add_num(o, "failing", c->failing) ||
	    !add_num(o, "failing_in_scope", c->failing_in_scope) ||
	    !add_num(o, "waived", c->waived) || !add_num(o, "info", c->info) ||
	    !add_num(o, "unknown", c->unknown))
		goto fail;
	if (!add(o, "by_severity", sev = cJSON_CreateObject()))
		goto fail;
	for (s = SG_SEV_CRITICAL; s >= SG_SEV_INFO; s--)
		if (!add_num(sev, sg_severity_name((enum sg_severity)s), c->by_severity[s]))
			goto fail;
	if (!add(o, "checks", chk = cJSON_CreateObject()) || !add_num(chk, "total", c->checks) ||
	    !add_num(chk, "pass", c->checks_pass) || !add_num(chk, "fail", c->checks_fail) ||
	    !add_num(chk, "waived", c->checks_waived) ||
	    !add_num(chk, "not_applicable", c->checks_na))
		goto fail;
	if (!r->has_baseline) {
		if (!add(o, "baseline", cJSON_CreateNull()))
			goto fail;
	} else if (!add(o, "baseline", base = cJSON_CreateObject()) ||
	    !add(base, "path", str_or_null(r->baseline_path)) ||
	    !add(base, "started", str_or_null(r->baseline_started)) ||
	    !add_num(base, "new", c->diff_new) || !add_num(base, "unchanged", c->diff_unchanged) ||
	    !add_num(base, "resolved", c->diff_resolved) ||
	    !add_num(base, "unverified", c->baseline_unverified)) {
		goto fail;
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *
policies_json(const struct sg_report *r)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < r->n_policies; i++) {
		const struct sg_report_policy *p = &r->policies[i];
		cJSON *o = cJSON_CreateObject();
		if (!add(arr, "", o) || !add(o, "id", str_or_null(p->id)) ||
		    !add(o, "title", str_or_null(p->title)) ||
		    !add(o, "severity", str_or_null(p->severity)) ||
		    !add(o, "pci", str_or_null(p->pci))) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

static cJSON *
checks_json(const struct sg_report *r)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	if (arr == NULL)
		return NULL;
	for (i = 0; i < r->n_checks; i++) {
		const struct sg_report_check *k = &r->checks[i];
		cJSON *o = cJSON_CreateObject();
		if (!add(arr, "", o) || !add(o, "policy_id", str_or_null(k->policy_id)) ||
		    !add(o, "account_id", str_or_null(k->account_id)) ||
		    !add(o, "region", str_or_null(k->region)) ||
		    !add(o, "group_id", str_or_null(k->group_id)) ||
		    !add(o, "group_name", str_or_null(k->group_name)) ||
		    !add(o, "in_scope", cJSON_CreateBool(k->in_scope)) ||
		    !add(o, "verdict", cJSON_CreateString(sg_report_check_name(k->verdict)))) {
			cJSON_Delete(arr);
			return NULL;
		}
	}
	return arr;
}

enum sg_status
sg_report_render_json(const struct sg_report *r, struct sg_buf *out, struct sg_error *err)
{
	cJSON *root = cJSON_CreateObject(), *run = NULL, *identity = NULL, *coverage = NULL;
	cJSON *findings = NULL, *inv = NULL;
	enum sg_status st = SG_OK;
	char *text = NULL;
	size_t i;

	if (root == NULL)
		return sg_err_set(err, SG_ENOMEM, "JSON report: out of memory");
	if (!add(root, "schema", cJSON_CreateString(SG_REPORT_SCHEMA)) ||
	    !add(root, "schema_version", cJSON_CreateNumber(SG_REPORT_SCHEMA_VERSION)) ||
	    !add(root, "run", run = cJSON_CreateObject()) ||
	    !add(root, "identity", identity = cJSON_CreateObject()) ||
	    !add(root, "coverage", coverage = cJSON_CreateObject()) ||
	    !add_meta_sections(r, root, run, identity, coverage) ||
	    !add(coverage, "regions", regions_json(r)) ||
	    !add(root, "summary", summary_json(r)) ||
	    !add(root, "policies", policies_json(r)) ||
	    !add(root, "findings", findings = cJSON_CreateArray()))
		goto nomem;
	for (i = 0; i < r->n_findings; i++)
		if (!add(findings, "", finding_json(&r->findings[i])))
			goto nomem;
	if (!add(root, "checks", checks_json(r)))
		goto nomem;
	/* The inventory export belongs to the scan module: one writer for records. */
	if (r->inventory != NULL) {
		if ((inv = sg_inventory_to_cjson(r->inventory)) == NULL || !add(root, "inventory", inv))
			goto nomem;
	} else if (!add(root, "inventory", cJSON_CreateNull())) {
		goto nomem;
	}
	if ((text = cJSON_Print(root)) == NULL)
		goto nomem;
	if ((st = sg_buf_append_str(out, text, err)) == SG_OK)
		st = sg_buf_append_char(out, '\n', err);
	goto out;
nomem:
	st = sg_err_set(err, SG_ENOMEM, "JSON report: out of memory");
out:
	free(text);
	cJSON_Delete(root);
	return st;
}
