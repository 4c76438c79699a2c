/*
 * check_wide.c — "wide_public_source": ingress from a public CIDR broader than
 * a threshold (default /8 for IPv4, /32 for IPv6; sg-semantics.md §2). The
 * internet itself (/0) is the exposure check's business, not this one.
 *
 * Parameters: MaxPrefixV4 (8), MaxPrefixV6 (32): a public CIDR whose prefix
 * is SHORTER than this is reported.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "sg_check.h"

struct wide_params {
	long v4, v6;
};

static enum sg_status
wide_parse(const struct cJSON *params, const char *where, void **out, struct sg_error *err)
{
	static const char *const allowed[] = { "MaxPrefixV4", "MaxPrefixV6", NULL };
	struct wide_params *p;
	void *mem;
	enum sg_status st;

	if ((st = sg_check_params_new(params, allowed, where, sizeof(*p), &mem, err)) != SG_OK)
		return st;
	p = mem;
	p->v4 = 8;
	p->v6 = 32;
	if ((st = sg_check_param_int(params, "MaxPrefixV4", 1, 32, where, &p->v4, err)) != SG_OK ||
	    (st = sg_check_param_int(params, "MaxPrefixV6", 1, 128, where, &p->v6, err)) != SG_OK) {
		free(p);
		return st;
	}
	*out = p;
	return SG_OK;
}

static enum sg_status
wide_eval(const struct sg_check_env *env, const void *params, bool *applicable,
          struct sg_error *err)
{
	const struct wide_params *p = params;
	const struct sg_group *g = env->group;
	size_t i;
	enum sg_status st;

	*applicable = true;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		char reason[256], src[SG_CIDR_TEXT_MAX];
		long limit;

		if (r->direction != SG_INGRESS ||
		    (r->source != SG_SRC_CIDR4 && r->source != SG_SRC_CIDR6))
			continue;
		limit = r->cidr.family == 4 ? p->v4 : p->v6;
		if (r->cidr.prefix == 0 || r->cidr.prefix >= limit || !sg_cidr_is_public(&r->cidr))
			continue;
		sg_check_source_text(r, src, sizeof(src));
		snprintf(reason, sizeof(reason),
		    "Source %s is a public range wider than /%ld.", src, limit);
		if ((st = sg_check_emit_rule(env, r, SG_FINDING_FAIL, env->policy->severity,
		    reason, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

const struct sg_check_kind sg_check_wide_public_source = {
	.name = "wide_public_source",
	.summary = "ingress from a public CIDR broader than /8 (IPv4) or /32 (IPv6)",
	.parse = wide_parse,
	.free_params = free,
	.eval = wide_eval,
};
