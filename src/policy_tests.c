/*
 * policy_tests.c — running the Tests embedded in policy files.
 *
 * Each test evaluates its policy alone on one group (Resource, in the
 * DescribeSecurityGroups JSON shape) with optional context: PrefixLists
 * (scanned entries), EniCount, ScopeTags ("KEY=VALUE"), Region, and
 * Parameters replacing the policy's own. ExpectedResult true means the group
 * does not fail (PASS, NOT_APPLICABLE or info-only findings); false means it
 * fails. ExpectedFindings, when present, must match the findings one for
 * one, in order, on every field given (docs/policies.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "policy_internal.h"
#include "sg_check.h"
#include "sg_record_json.h"

#define MAX_SCOPE_TAGS 16

static bool
field_str(const cJSON *exp, const char *key, const char *actual, char *detail, size_t cap,
          size_t idx, bool substring)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(exp, key);

	if (v == NULL)
		return true;
	if (!cJSON_IsString(v)) {
		snprintf(detail, cap, "ExpectedFindings[%zu].%s must be a string", idx, key);
		return false;
	}
	if (actual == NULL)
		actual = "";
	if (substring ? strstr(actual, v->valuestring) != NULL : strcmp(actual, v->valuestring) == 0)
		return true;
	snprintf(detail, cap, "finding %zu: %s is '%.200s', expected %s'%.100s'", idx + 1, key,
	    actual, substring ? "to contain " : "", v->valuestring);
	return false;
}

static bool
field_int(const cJSON *exp, const char *key, long actual, char *detail, size_t cap, size_t idx)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(exp, key);

	if (v == NULL)
		return true;
	if (!cJSON_IsNumber(v)) {
		snprintf(detail, cap, "ExpectedFindings[%zu].%s must be a number", idx, key);
		return false;
	}
	if ((long)v->valuedouble == actual)
		return true;
	snprintf(detail, cap, "finding %zu: %s is %ld, expected %ld", idx + 1, key, actual,
	    (long)v->valuedouble);
	return false;
}

static bool
match_findings(const cJSON *expected, const struct sg_policy_result *res, char *detail,
               size_t cap)
{
	const cJSON *e;
	size_t i = 0, n = (size_t)cJSON_GetArraySize(expected);

	if (n != res->n_findings) {
		size_t off = (size_t)snprintf(detail, cap, "%zu findings, expected %zu",
		    res->n_findings, n);
		for (i = 0; i < res->n_findings && off < cap; i++) {
			int w = snprintf(detail + off, cap - off, "%s %s risk %d '%s'", i ? ";" : ":",
			    sg_finding_state_name(res->findings[i].state), res->findings[i].risk,
			    res->findings[i].rule_text);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		return false;
	}
	cJSON_ArrayForEach(e, expected) {
		const struct sg_finding *f = &res->findings[i];
		if (!cJSON_IsObject(e)) {
			snprintf(detail, cap, "ExpectedFindings[%zu] must be an object", i);
			return false;
		}
		if (!field_str(e, "State", sg_finding_state_name(f->state), detail, cap, i, false) ||
		    !field_int(e, "Risk", f->risk, detail, cap, i) ||
		    !field_str(e, "Severity", sg_severity_name(f->severity), detail, cap, i, false) ||
		    !field_str(e, "Direction", f->has_rule ? (f->direction == SG_INGRESS ?
		    "ingress" : "egress") : "", detail, cap, i, false) ||
		    !field_str(e, "Protocol", f->protocol_name, detail, cap, i, false) ||
		    !field_str(e, "Ports", f->ports, detail, cap, i, false) ||
		    !field_str(e, "Source", f->source, detail, cap, i, true) ||
		    !field_str(e, "SensitivePorts", f->sensitive_ports, detail, cap, i, false) ||
		    !field_str(e, "RefKind", sg_ref_kind_name(f->ref_kind), detail, cap, i, false) ||
		    !field_str(e, "ReasonContains", f->reason, detail, cap, i, true) ||
		    !field_str(e, "Attachment", f->attachment, detail, cap, i, false))
			return false;
		i++;
	}
	return true;
}

/* Run one test; fills o->passed / o->detail. Returns non-OK only on ENOMEM. */
static enum sg_status
run_one(const struct sg_policy *p, const cJSON *t, struct sg_policy_test_outcome *o,
        struct sg_error *err)
{
	struct sg_inventory *inv = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_policy copy = *p;
	const struct sg_policy *list[1];
	struct sg_scope_tag tags[MAX_SCOPE_TAGS];
	char tagbuf[MAX_SCOPE_TAGS][256];
	struct sg_policy_scope scope = { tags, 0, false };
	const cJSON *v, *it;
	const char *region = "us-east-1";
	void *override = NULL;
	struct sg_error e;
	char where[400];
	bool expected, failed = false;
	size_t i;
	enum sg_status st = SG_OK;

	sg_err_init(&e);
	o->passed = false;
	snprintf(where, sizeof(where), "%s: test '%s'", p->path, o->name);
	v = cJSON_GetObjectItemCaseSensitive(t, "Region");
	if (cJSON_IsString(v))
		region = v->valuestring;
	inv = sg_inventory_new();
	if (inv == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	v = cJSON_GetObjectItemCaseSensitive(t, "PrefixLists");
	cJSON_ArrayForEach(it, v) {
		if (sg_record_json_prefix_list(it, region, inv, where, &e) != SG_OK) {
			snprintf(o->detail, sizeof(o->detail), "PrefixLists: %.400s", e.msg);
			goto out;
		}
	}
	if (sg_record_json_group(cJSON_GetObjectItemCaseSensitive(t, "Resource"), region, inv,
	    where, &e) != SG_OK) {
		snprintf(o->detail, sizeof(o->detail), "Resource: %.400s", e.msg);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(t, "EniCount");
	inv->groups[0].eni_count = cJSON_IsNumber(v) ? (int)v->valuedouble : 1;
	v = cJSON_GetObjectItemCaseSensitive(t, "ScopeTags");
	cJSON_ArrayForEach(it, v) {
		if (scope.n_tags >= MAX_SCOPE_TAGS || !cJSON_IsString(it) ||
		    strlen(it->valuestring) >= sizeof(tagbuf[0])) {
			snprintf(o->detail, sizeof(o->detail), "ScopeTags: too many or not strings");
			goto out;
		}
		snprintf(tagbuf[scope.n_tags], sizeof(tagbuf[0]), "%s", it->valuestring);
		if (!sg_scope_tag_parse(tagbuf[scope.n_tags], &tags[scope.n_tags])) {
			snprintf(o->detail, sizeof(o->detail), "ScopeTags: '%s' is not KEY=VALUE",
			    it->valuestring);
			goto out;
		}
		scope.n_tags++;
	}
	v = cJSON_GetObjectItemCaseSensitive(t, "Parameters");
	if (v != NULL) {
		if (p->check->parse(v, where, &override, &e) != SG_OK) {
			snprintf(o->detail, sizeof(o->detail), "%.450s", e.msg);
			goto out;
		}
		copy.params = override;
	}
	list[0] = &copy;
	st = sg_policy_eval_list(inv, list, 1, NULL, NULL, &scope, 0, &res, &e);
	if (st != SG_OK) {
		snprintf(o->detail, sizeof(o->detail), "evaluation failed: %.400s", e.msg);
		if (st == SG_ENOMEM) {
			sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
		st = SG_OK;
		goto out;
	}
	failed = res->n_checks > 0 && res->checks[0].verdict == SG_VERDICT_FAIL;
	expected = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ExpectedResult"));
	if (expected == failed) {
		size_t off = (size_t)snprintf(o->detail, sizeof(o->detail),
		    "expected %s, got %s", expected ? "PASS" : "FAIL",
		    sg_verdict_name(res->checks[0].verdict));
		for (i = 0; i < res->n_findings && off < sizeof(o->detail); i++) {
			int w = snprintf(o->detail + off, sizeof(o->detail) - off, "%s %s '%s'",
			    i ? ";" : ":", sg_finding_state_name(res->findings[i].state),
			    res->findings[i].reason);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(t, "ExpectedFindings");
	if (v != NULL && !match_findings(v, res, o->detail, sizeof(o->detail)))
		goto out;
	o->passed = true;
	o->detail[0] = '\0';
out:
	if (override != NULL)
		p->check->free_params(override);
	sg_policy_result_free(res);
	sg_inventory_free(inv);
	return st;
}

enum sg_status
sg_policy_run_tests(const struct sg_policy_set *ps,
                    void (*each)(const struct sg_policy_test_outcome *o, void *ctx), void *ctx,
                    size_t *passed, size_t *failed, struct sg_error *err)
{
	size_t i;
	enum sg_status st;

	*passed = *failed = 0;
	for (i = 0; i < ps->n; i++) {
		const struct sg_policy *p = &ps->policies[i];
		const cJSON *t;
		cJSON_ArrayForEach(t, (const cJSON *)p->tests_json) {
			struct sg_policy_test_outcome o;
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "Name");
			memset(&o, 0, sizeof(o));
			o.policy_id = p->id;
			snprintf(o.name, sizeof(o.name), "%s", cJSON_IsString(name) ? name->valuestring : "?");
			if ((st = run_one(p, t, &o, err)) != SG_OK)
				return st;
			if (o.passed)
				(*passed)++;
			else
				(*failed)++;
			if (each != NULL)
				each(&o, ctx);
		}
	}
	return SG_OK;
}
