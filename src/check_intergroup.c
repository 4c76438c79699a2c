/*
 * check_intergroup.c — "inter_group_strict": what the seed policy misses
 * (sg-semantics.md §6). A group-sourced ingress rule that allows all traffic
 * (protocol -1, or every port of tcp/udp — on NORMALIZED ports, so tcp
 * 1-65535 counts) fails. Every finding says what the reference is: self,
 * same VPC, peered VPC, another account, or stale.
 *
 * Parameters:
 *   SelfFails        (false)  a self reference fails instead of being info
 *   RaisedSeverity   ("high") severity for cross-account and peered references
 *   ReportStale      (true)   a stale reference on a narrower rule is reported as info
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sg_check.h"

struct strict_params {
	bool self_fails;
	bool report_stale;
	enum sg_severity raised;
};

static enum sg_status
strict_parse(const struct cJSON *params, const char *where, void **out, struct sg_error *err)
{
	static const char *const allowed[] = { "SelfFails", "RaisedSeverity", "ReportStale", NULL };
	struct strict_params *p;
	void *mem;
	enum sg_status st;

	if ((st = sg_check_params_new(params, allowed, where, sizeof(*p), &mem, err)) != SG_OK)
		return st;
	p = mem;
	p->raised = SG_SEV_HIGH;
	p->report_stale = true;
	if ((st = sg_check_param_bool(params, "SelfFails", where, &p->self_fails, err)) != SG_OK ||
	    (st = sg_check_param_bool(params, "ReportStale", where, &p->report_stale, err)) != SG_OK ||
	    (st = sg_check_param_severity(params, "RaisedSeverity", where, &p->raised, err)) != SG_OK) {
		free(p);
		return st;
	}
	*out = p;
	return SG_OK;
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static enum sg_ref_kind
classify(const struct sg_group *g, const struct sg_rule *r)
{
	const struct sg_group_ref *ref = &r->ref;

	if (ref->group_id != NULL && cmp0(ref->group_id, g->group_id) == 0 &&
	    (ref->user_id == NULL || g->account_id == NULL || cmp0(ref->user_id, g->account_id) == 0))
		return SG_REF_SELF;
	/* AWS drops UserId and GroupName once the referenced group is deleted. */
	if (ref->user_id == NULL || (ref->peering_status != NULL &&
	    strcmp(ref->peering_status, "deleted") == 0))
		return SG_REF_STALE;
	if (g->account_id != NULL && cmp0(ref->user_id, g->account_id) != 0)
		return SG_REF_CROSS_ACCOUNT;
	if (ref->peering_id != NULL ||
	    (ref->vpc_id != NULL && g->vpc_id != NULL && cmp0(ref->vpc_id, g->vpc_id) != 0))
		return SG_REF_PEERED;
	return SG_REF_SAME_VPC;
}

static enum sg_status
strict_eval(const struct sg_check_env *env, const void *params, bool *applicable,
            struct sg_error *err)
{
	const struct strict_params *p = params;
	const struct sg_group *g = env->group;
	size_t i;

	*applicable = true;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		struct sg_check_draft d = { 0 };
		char reason[320], what[64], proto[8];
		enum sg_ref_kind kind;
		bool all;
		enum sg_status st;

		if (r->direction != SG_INGRESS || r->source != SG_SRC_GROUP)
			continue;
		kind = classify(g, r);
		all = sg_rule_is_all_traffic(r);
		if (!all && !(kind == SG_REF_STALE && p->report_stale))
			continue;
		if (r->protocol == SG_PROTO_ALL)
			snprintf(what, sizeof(what), "all traffic");
		else if (all)
			snprintf(what, sizeof(what), "every %s port",
			    sg_protocol_name(r->protocol, proto, sizeof(proto)));
		else
			snprintf(what, sizeof(what), "%s",
			    sg_protocol_name(r->protocol, proto, sizeof(proto)));
		d.rule = r;
		d.ref_kind = kind;
		d.severity = env->policy->severity;
		d.state = SG_FINDING_FAIL;
		switch (kind) {
		case SG_REF_SELF:
			d.state = p->self_fails ? SG_FINDING_FAIL : SG_FINDING_INFO;
			if (!p->self_fails)
				d.severity = SG_SEV_INFO;
			snprintf(reason, sizeof(reason),
			    "Members of the group may send each other %s (self reference).", what);
			break;
		case SG_REF_STALE:
			if (!all) {
				d.state = SG_FINDING_INFO;
				d.severity = SG_SEV_INFO;
			}
			snprintf(reason, sizeof(reason),
			    "Rule allows %s from %s, a group that no longer exists (stale reference).",
			    what, r->ref.group_id ? r->ref.group_id : "?");
			break;
		case SG_REF_CROSS_ACCOUNT:
			d.severity = p->raised;
			snprintf(reason, sizeof(reason),
			    "Group %s in another account (%s) may send %s to this group.",
			    r->ref.group_id ? r->ref.group_id : "?", r->ref.user_id, what);
			break;
		case SG_REF_PEERED:
			d.severity = p->raised;
			snprintf(reason, sizeof(reason),
			    "Group %s in a peered VPC%s%s may send %s to this group.",
			    r->ref.group_id ? r->ref.group_id : "?",
			    r->ref.peering_id ? " via " : "",
			    r->ref.peering_id ? r->ref.peering_id : "", what);
			break;
		case SG_REF_SAME_VPC:
		case SG_REF_NONE:
			snprintf(reason, sizeof(reason),
			    "Group %s in the same VPC may send %s to this group.",
			    r->ref.group_id ? r->ref.group_id : "?", what);
			break;
		}
		d.risk = sg_check_risk_for(d.severity);
		d.reason = reason;
		if ((st = sg_check_emit(env, &d, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

const struct sg_check_kind sg_check_inter_group_strict = {
	.name = "inter_group_strict",
	.summary = "group-sourced ingress allowing all traffic fails; names self / same-vpc / peered / cross-account / stale",
	.parse = strict_parse,
	.free_params = free,
	.eval = strict_eval,
};
