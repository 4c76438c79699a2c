/*
 * check_egress.c — "unrestricted_egress": egress to the internet (0.0.0.0/0,
 * ::/0, or a prefix list holding one) on all traffic. PCI 1.2.1 covers
 * outbound traffic too, but every group starts with this stock rule: so it
 * FAILS only for groups explicitly in PCI scope (--scope-tag); without a
 * scope tag it is reported as info; a group outside an explicit scope is
 * not applicable.
 *
 * Parameters: AllTrafficOnly (true): false also reports narrower egress to
 * the internet.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "sg_check.h"

struct egress_params {
	bool all_only;
};

static enum sg_status
egress_parse(const struct cJSON *params, const char *where, void **out, struct sg_error *err)
{
	static const char *const allowed[] = { "AllTrafficOnly", NULL };
	struct egress_params *p;
	void *mem;
	enum sg_status st;

	if ((st = sg_check_params_new(params, allowed, where, sizeof(*p), &mem, err)) != SG_OK)
		return st;
	p = mem;
	p->all_only = true;
	if ((st = sg_check_param_bool(params, "AllTrafficOnly", where, &p->all_only, err)) != SG_OK) {
		free(p);
		return st;
	}
	*out = p;
	return SG_OK;
}

static enum sg_status
egress_eval(const struct sg_check_env *env, const void *params, bool *applicable,
            struct sg_error *err)
{
	const struct egress_params *p = params;
	const struct sg_group *g = env->group;
	size_t i;
	enum sg_status st;

	*applicable = !env->scope_given || env->in_scope;
	if (!*applicable)
		return SG_OK;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		enum sg_finding_state state;
		const struct sg_prefix_list *pl;
		char reason[256], src[SG_CIDR_TEXT_MAX + 8], ports[40], proto[8];
		bool unresolved, all;

		if (r->direction != SG_EGRESS || r->source == SG_SRC_GROUP)
			continue;
		all = sg_rule_is_all_traffic(r);
		if (p->all_only && !all)
			continue;
		sg_check_source_text(r, src, sizeof(src));
		if (!sg_check_source_is_internet(env, r, &unresolved, &pl)) {
			if (!unresolved)
				continue;
			snprintf(reason, sizeof(reason),
			    "Prefix list %s was not resolved by the scan; whether egress to it reaches "
			    "the internet is unknown.", src);
			state = env->scope_given ? SG_FINDING_UNKNOWN : SG_FINDING_INFO;
		} else {
			sg_check_ports_text(r, ports, sizeof(ports));
			if (all)
				snprintf(reason, sizeof(reason),
				    "All outbound traffic to the internet (%s) is allowed%s.", src,
				    env->scope_given ? " from a group in PCI scope" :
				    " (info: no --scope-tag, so no group is explicitly in PCI scope)");
			else
				snprintf(reason, sizeof(reason),
				    "Outbound %s %s to the internet (%s) is allowed.",
				    sg_protocol_name(r->protocol, proto, sizeof(proto)), ports, src);
			state = env->scope_given ? SG_FINDING_FAIL : SG_FINDING_INFO;
		}
		if ((st = sg_check_emit_rule(env, r, state,
		    state == SG_FINDING_INFO ? SG_SEV_INFO : env->policy->severity, reason,
		    err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

const struct sg_check_kind sg_check_unrestricted_egress = {
	.name = "unrestricted_egress",
	.summary = "all-traffic egress to the internet: fails in explicit PCI scope, info otherwise",
	.parse = egress_parse,
	.free_params = free,
	.eval = egress_eval,
};
