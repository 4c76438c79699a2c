/*
 * check_default.c — "default_group_restricts_all" (Security Hub EC2.2): the
 * group named "default" of each VPC has no ingress and no egress rules. One
 * finding per rule it still has. Other groups: not applicable.
 *
 * Parameters: GroupName ("default").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sg_check.h"

struct default_params {
	char name[256];
};

static enum sg_status
default_parse(const struct cJSON *params, const char *where, void **out, struct sg_error *err)
{
	static const char *const allowed[] = { "GroupName", NULL };
	struct default_params *p;
	void *mem;
	const cJSON *v;
	enum sg_status st;

	if ((st = sg_check_params_new(params, allowed, where, sizeof(*p), &mem, err)) != SG_OK)
		return st;
	p = mem;
	snprintf(p->name, sizeof(p->name), "default");
	v = params ? cJSON_GetObjectItemCaseSensitive(params, "GroupName") : NULL;
	if (v != NULL) {
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0' ||
		    strlen(v->valuestring) >= sizeof(p->name)) {
			free(p);
			return sg_err_set(err, SG_ECONFIG,
			    "%s: parameter 'GroupName' must be a non-empty string", where);
		}
		snprintf(p->name, sizeof(p->name), "%s", v->valuestring);
	}
	*out = p;
	return SG_OK;
}

static enum sg_status
default_eval(const struct sg_check_env *env, const void *params, bool *applicable,
             struct sg_error *err)
{
	const struct default_params *p = params;
	const struct sg_group *g = env->group;
	size_t i;
	enum sg_status st;

	*applicable = g->group_name != NULL && strcmp(g->group_name, p->name) == 0;
	if (!*applicable)
		return SG_OK;
	for (i = 0; i < g->n_rules; i++) {
		const struct sg_rule *r = &g->rules[i];
		char reason[200];

		snprintf(reason, sizeof(reason),
		    "The default group still has %s rules; it should allow no traffic at all.",
		    r->direction == SG_INGRESS ? "ingress" : "egress");
		if ((st = sg_check_emit_rule(env, r, SG_FINDING_FAIL, env->policy->severity,
		    reason, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

const struct sg_check_kind sg_check_default_group = {
	.name = "default_group_restricts_all",
	.summary = "the VPC's default group has no ingress and no egress rules",
	.parse = default_parse,
	.free_params = free,
	.eval = default_eval,
};
