/*
 * check_seed.c — "inter_group_seed": the Panther policy
 * AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic with its exact
 * meaning (sg-semantics.md §6).
 *
 * For each ingress IpPermission that has group pairs: FAIL when FromPort or
 * ToPort is null, or when they are exactly 0 and 65535; otherwise PASS. A
 * group with no IpPermissions passes. The protocol is never looked at (the
 * seed's first test, protocol -1 with ports 80/80, expects PASS), so this
 * works on the RAW wire ports (has_ports, raw_from, raw_to), not the
 * normalized ones. One finding per group pair of a failing permission.
 */
#include <stdio.h>

#include <cJSON.h>

#include "sg_check.h"

static enum sg_status
seed_parse(const struct cJSON *params, const char *where, void **out, struct sg_error *err)
{
	static const char *const allowed[] = { NULL };

	*out = NULL;
	return sg_check_param_only(params, allowed, where, err);
}

static void
seed_free(void *p)
{
	(void)p;
}

static enum sg_status
seed_eval(const struct sg_check_env *env, const void *params, bool *applicable,
          struct sg_error *err)
{
	const struct sg_group *g = env->group;
	size_t i;

	(void)params;
	*applicable = true;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		char reason[256];
		enum sg_status st;

		if (r->direction != SG_INGRESS || r->source != SG_SRC_GROUP)
			continue;
		if (r->has_ports && !(r->raw_from == 0 && r->raw_to == 65535))
			continue;
		if (!r->has_ports)
			snprintf(reason, sizeof(reason),
			    "Ingress from group %s has no port restriction (FromPort/ToPort absent).",
			    r->ref.group_id ? r->ref.group_id : "?");
		else
			snprintf(reason, sizeof(reason),
			    "Ingress from group %s allows ports 0-65535.",
			    r->ref.group_id ? r->ref.group_id : "?");
		if ((st = sg_check_emit_rule(env, r, SG_FINDING_FAIL, env->policy->severity,
		    reason, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

const struct sg_check_kind sg_check_inter_group_seed = {
	.name = "inter_group_seed",
	.summary = "Panther semantics: group-sourced ingress permission with null ports or 0-65535 fails; protocol ignored",
	.parse = seed_parse,
	.free_params = seed_free,
	.eval = seed_eval,
};
