/* check_common.c — the check-kind registry and helpers shared by src/check_*.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sg_check.h"
#include "sg_util.h"

/* Sorted by name. */
static const struct sg_check_kind *const kinds[] = {
	&sg_check_default_group,
	&sg_check_inter_group_seed,
	&sg_check_inter_group_strict,
	&sg_check_internet_exposure,
	&sg_check_unrestricted_egress,
	&sg_check_wide_public_source,
};

const struct sg_check_kind *const *
sg_check_kinds(size_t *n)
{
	*n = sizeof(kinds) / sizeof(kinds[0]);
	return kinds;
}

const struct sg_check_kind *
sg_check_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

int
sg_check_risk_for(enum sg_severity s)
{
	switch (s) {
	case SG_SEV_INFO: return 0;
	case SG_SEV_LOW: return 25;
	case SG_SEV_MEDIUM: return 50;
	case SG_SEV_HIGH: return 75;
	case SG_SEV_CRITICAL: return 90;
	}
	return 0;
}

enum sg_status
sg_check_emit_rule(const struct sg_check_env *env, const struct sg_rule *r,
                   enum sg_finding_state state, enum sg_severity severity, const char *reason,
                   struct sg_error *err)
{
	struct sg_check_draft d = { 0 };

	d.state = state;
	d.severity = severity;
	d.risk = sg_check_risk_for(severity);
	d.rule = r;
	d.reason = reason;
	return sg_check_emit(env, &d, err);
}

enum sg_status
sg_check_param_only(const struct cJSON *params, const char *const *allowed, const char *where,
                    struct sg_error *err)
{
	const cJSON *it;
	size_t i;

	if (params == NULL)
		return SG_OK;
	if (!cJSON_IsObject(params))
		return sg_err_set(err, SG_ECONFIG, "%s: Parameters must be an object", where);
	cJSON_ArrayForEach(it, params) {
		bool ok = false;
		for (i = 0; allowed[i] != NULL; i++)
			if (it->string != NULL && strcmp(it->string, allowed[i]) == 0)
				ok = true;
		if (!ok)
			return sg_err_set(err, SG_ECONFIG, "%s: unknown parameter '%s'", where,
			    it->string ? it->string : "");
	}
	return SG_OK;
}

enum sg_status
sg_check_params_new(const struct cJSON *params, const char *const *allowed, const char *where,
                    size_t size, void **out, struct sg_error *err)
{
	void *p;
	enum sg_status st;

	if ((st = sg_check_param_only(params, allowed, where, err)) != SG_OK)
		return st;
	p = calloc(1, size);
	if (p == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	*out = p;
	return SG_OK;
}

enum sg_status
sg_check_param_bool(const struct cJSON *params, const char *key, const char *where, bool *out,
                    struct sg_error *err)
{
	const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, key) : NULL;

	if (v == NULL)
		return SG_OK;
	if (!cJSON_IsBool(v))
		return sg_err_set(err, SG_ECONFIG, "%s: parameter '%s' must be true or false",
		    where, key);
	*out = cJSON_IsTrue(v);
	return SG_OK;
}

enum sg_status
sg_check_param_int(const struct cJSON *params, const char *key, long min, long max,
                   const char *where, long *out, struct sg_error *err)
{
	const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, key) : NULL;
	double d;

	if (v == NULL)
		return SG_OK;
	if (!cJSON_IsNumber(v))
		return sg_err_set(err, SG_ECONFIG, "%s: parameter '%s' must be a number", where, key);
	d = v->valuedouble;
	if (d != (double)(long)d || d < (double)min || d > (double)max)
		return sg_err_set(err, SG_ECONFIG, "%s: parameter '%s' must be an integer in %ld..%ld",
		    where, key, min, max);
	*out = (long)d;
	return SG_OK;
}

/* "22" or "8000-8100" */
static bool
parse_port_range(const char *s, long *from, long *to)
{
	const char *dash = strchr(s, '-');

	if (dash == NULL) {
		if (!sg_parse_long(sg_str_from(s), 0, 65535, from))
			return false;
		*to = *from;
		return true;
	}
	if (!sg_parse_long((struct sg_str){ s, (size_t)(dash - s) }, 0, 65535, from) ||
	    !sg_parse_long(sg_str_from(dash + 1), 0, 65535, to))
		return false;
	return *from <= *to;
}

enum sg_status
sg_check_param_ports(const struct cJSON *params, const char *key, const char *where,
                     struct sg_portset *set, bool *present, struct sg_error *err)
{
	const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, key) : NULL;
	const cJSON *it;
	size_t i = 0;

	if (v == NULL)
		return SG_OK;
	if (!cJSON_IsArray(v))
		return sg_err_set(err, SG_ECONFIG, "%s: parameter '%s' must be an array of ports",
		    where, key);
	if (present != NULL)
		*present = true;
	cJSON_ArrayForEach(it, v) {
		long from, to, p;
		if (cJSON_IsNumber(it)) {
			double d = it->valuedouble;
			if (d != (double)(long)d || d < 0 || d > 65535)
				return sg_err_set(err, SG_ECONFIG,
				    "%s: parameter '%s' item %zu is not a port number (0..65535)",
				    where, key, i + 1);
			from = to = (long)d;
		} else if (cJSON_IsString(it)) {
			if (!parse_port_range(it->valuestring, &from, &to))
				return sg_err_set(err, SG_ECONFIG,
				    "%s: parameter '%s' item %zu ('%.40s') is not a port or FROM-TO range",
				    where, key, i + 1, it->valuestring);
		} else {
			return sg_err_set(err, SG_ECONFIG,
			    "%s: parameter '%s' item %zu must be a number or a \"FROM-TO\" string",
			    where, key, i + 1);
		}
		for (p = from; p <= to; p++)
			sg_portset_add(set, (unsigned)p);
		i++;
	}
	return SG_OK;
}

enum sg_status
sg_check_param_severity(const struct cJSON *params, const char *key, const char *where,
                        enum sg_severity *out, struct sg_error *err)
{
	const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, key) : NULL;

	if (v == NULL)
		return SG_OK;
	if (!cJSON_IsString(v) || !sg_severity_parse(v->valuestring, out))
		return sg_err_set(err, SG_ECONFIG,
		    "%s: parameter '%s' must be one of info, low, medium, high, critical",
		    where, key);
	return SG_OK;
}

bool
sg_check_source_is_internet(const struct sg_check_env *env, const struct sg_rule *r,
                            bool *unresolved, const struct sg_prefix_list **plp)
{
	const struct sg_prefix_list *pl;
	size_t i;

	*unresolved = false;
	if (plp != NULL)
		*plp = NULL;
	switch (r->source) {
	case SG_SRC_CIDR4:
	case SG_SRC_CIDR6:
		return sg_cidr_is_internet(&r->cidr);
	case SG_SRC_PREFIX_LIST:
		pl = sg_inventory_find_prefix_list(env->inv, env->group->region, r->prefix_list_id);
		if (pl == NULL)
			pl = sg_inventory_find_prefix_list(env->inv, NULL, r->prefix_list_id);
		if (plp != NULL)
			*plp = pl;
		if (pl == NULL || !pl->resolved) {
			*unresolved = true;
			return false;
		}
		for (i = 0; i < pl->n_entries; i++)
			if (sg_cidr_is_internet(&pl->entries[i]))
				return true;
		return false;
	case SG_SRC_GROUP:
		return false;
	}
	return false;
}

void
sg_check_source_text(const struct sg_rule *r, char *buf, size_t cap)
{
	switch (r->source) {
	case SG_SRC_CIDR4:
	case SG_SRC_CIDR6:
		sg_cidr_format(&r->cidr, buf, cap);
		return;
	case SG_SRC_PREFIX_LIST:
		snprintf(buf, cap, "%s", r->prefix_list_id ? r->prefix_list_id : "pl-?");
		return;
	case SG_SRC_GROUP:
		if (r->ref.user_id != NULL)
			snprintf(buf, cap, "%s/%s", r->ref.user_id,
			    r->ref.group_id ? r->ref.group_id : "sg-?");
		else
			snprintf(buf, cap, "%s", r->ref.group_id ? r->ref.group_id : "sg-?");
		return;
	}
	snprintf(buf, cap, "?");
}

void
sg_check_ports_text(const struct sg_rule *r, char *buf, size_t cap)
{
	if (r->protocol == SG_PROTO_ALL) {
		snprintf(buf, cap, "all");
	} else if (sg_protocol_has_ports(r->protocol)) {
		if (r->from_port == r->to_port)
			snprintf(buf, cap, "%d", r->from_port);
		else
			snprintf(buf, cap, "%d-%d", r->from_port, r->to_port);
	} else if (sg_protocol_is_icmp(r->protocol)) {
		if (r->from_port < 0)
			snprintf(buf, cap, "type all");
		else if (r->to_port < 0)
			snprintf(buf, cap, "type %d code all", r->from_port);
		else
			snprintf(buf, cap, "type %d code %d", r->from_port, r->to_port);
	} else {
		snprintf(buf, cap, "all");
	}
}

void
sg_check_port_list_text(const uint16_t *ports, size_t listed, size_t total, char *buf,
                        size_t cap)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < listed && off < cap; i++) {
		n = snprintf(buf + off, cap - off, "%s%u", i ? ", " : "", (unsigned)ports[i]);
		if (n < 0)
			return;
		off += (size_t)n;
	}
	if (total > listed && off < cap)
		(void)snprintf(buf + off, cap - off, " (%zu in all)", total);
}
