/* inventory_json.c — records and coverage as JSON (see sg_inventory_json.h). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sg_inventory_json.h"

/* Add a string member unless it is absent; false on ENOMEM. */
static bool
add_str(cJSON *o, const char *key, const char *v)
{
	return v == NULL || cJSON_AddStringToObject(o, key, v) != NULL;
}

/*
 * Integers go in as raw text: cJSON would print an integral number with
 * "%d" too (same bytes), but only after a "%1.15g" and sscanf round trip
 * per number, which dominated writing a large inventory.
 */
static bool
add_num(cJSON *o, const char *key, long long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return cJSON_AddRawToObject(o, key, p) != NULL;
}

static bool
add_bool(cJSON *o, const char *key, bool v)
{
	return cJSON_AddBoolToObject(o, key, v) != NULL;
}

static const char *
source_name(enum sg_source_kind k)
{
	switch (k) {
	case SG_SRC_CIDR4: return "ipv4";
	case SG_SRC_CIDR6: return "ipv6";
	case SG_SRC_PREFIX_LIST: return "prefix_list";
	case SG_SRC_GROUP: return "group";
	}
	return "unknown";
}

cJSON *
sg_rule_to_cjson(const struct sg_rule *r)
{
	cJSON *o = cJSON_CreateObject(), *g;
	char pbuf[16], cidr[SG_CIDR_TEXT_MAX];
	bool ok;

	if (o == NULL)
		return NULL;
	ok = add_str(o, "direction", r->direction == SG_EGRESS ? "egress" : "ingress") &&
	    add_str(o, "protocol", sg_protocol_name(r->protocol, pbuf, sizeof(pbuf))) &&
	    add_num(o, "protocol_number", r->protocol) &&
	    add_str(o, "protocol_raw", r->protocol_raw) &&
	    add_bool(o, "all_traffic", sg_rule_is_all_traffic(r));
	if (ok && sg_protocol_has_ports(r->protocol))
		ok = add_num(o, "from_port", r->from_port) && add_num(o, "to_port", r->to_port);
	else if (ok && sg_protocol_is_icmp(r->protocol))
		ok = add_num(o, "icmp_type", r->from_port) && add_num(o, "icmp_code", r->to_port);
	if (ok)
		ok = add_bool(o, "ports_on_wire", r->has_ports);
	if (ok && r->has_ports)
		ok = add_num(o, "wire_from_port", r->raw_from) &&
		    add_num(o, "wire_to_port", r->raw_to);
	if (ok)
		ok = add_str(o, "source", source_name(r->source));
	if (ok) {
		switch (r->source) {
		case SG_SRC_CIDR4:
		case SG_SRC_CIDR6:
			sg_cidr_format(&r->cidr, cidr, sizeof(cidr));
			ok = add_str(o, "cidr", cidr);
			break;
		case SG_SRC_PREFIX_LIST:
			ok = add_str(o, "prefix_list_id", r->prefix_list_id);
			break;
		case SG_SRC_GROUP:
			g = cJSON_AddObjectToObject(o, "group");
			ok = g != NULL && add_str(g, "user_id", r->ref.user_id) &&
			    add_str(g, "group_id", r->ref.group_id) &&
			    add_str(g, "group_name", r->ref.group_name) &&
			    add_str(g, "vpc_id", r->ref.vpc_id) &&
			    add_str(g, "peering_id", r->ref.peering_id) &&
			    add_str(g, "peering_status", r->ref.peering_status);
			break;
		}
	}
	if (ok)
		ok = add_str(o, "description", r->description) &&
		    add_num(o, "permission_index", r->perm_index);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
sg_group_to_cjson(const struct sg_group *g)
{
	cJSON *o = cJSON_CreateObject(), *tags, *rules;
	size_t i;
	bool ok;

	if (o == NULL)
		return NULL;
	ok = add_str(o, "account_id", g->account_id) && add_str(o, "region", g->region) &&
	    add_str(o, "group_id", g->group_id) && add_str(o, "group_name", g->group_name) &&
	    add_str(o, "description", g->description) && add_str(o, "vpc_id", g->vpc_id) &&
	    add_str(o, "arn", g->arn);
	tags = ok ? cJSON_AddArrayToObject(o, "tags") : NULL;
	for (i = 0; tags != NULL && i < g->n_tags; i++) {
		cJSON *t = cJSON_CreateObject();
		if (t == NULL || !add_str(t, "key", g->tags[i].key) ||
		    !add_str(t, "value", g->tags[i].value)) {
			cJSON_Delete(t);
			tags = NULL;
			break;
		}
		cJSON_AddItemToArray(tags, t);
	}
	ok = tags != NULL && add_num(o, "ingress_permissions", g->n_ingress_perms) &&
	    add_num(o, "egress_permissions", g->n_egress_perms) &&
	    (g->eni_count < 0 || add_num(o, "network_interfaces", g->eni_count));
	rules = ok ? cJSON_AddArrayToObject(o, "rules") : NULL;
	for (i = 0; rules != NULL && i < g->n_rules; i++) {
		cJSON *r = sg_rule_to_cjson(&g->rules[i]);
		if (r == NULL) {
			rules = NULL;
			break;
		}
		cJSON_AddItemToArray(rules, r);
	}
	if (rules == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
sg_coverage_to_cjson(const struct sg_region_coverage *c)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (!add_str(o, "region", c->region) ||
	    !add_str(o, "state", sg_region_state_name(c->state)) ||
	    !add_str(o, "error_code", c->error_code) ||
	    !add_str(o, "error_message", c->error_message) || !add_num(o, "groups", (long long)c->groups) ||
	    !add_num(o, "rules", (long long)c->rules) || !add_num(o, "pages", (long long)c->pages) ||
	    !add_num(o, "prefix_lists", (long long)c->prefix_lists) ||
	    (c->attachments != NULL && !add_str(o, "attachments", c->attachments))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
prefix_list_to_cjson(const struct sg_prefix_list *pl)
{
	cJSON *o = cJSON_CreateObject(), *e;
	char cidr[SG_CIDR_TEXT_MAX];
	size_t i;

	if (o == NULL)
		return NULL;
	if (!add_str(o, "region", pl->region) || !add_str(o, "id", pl->id) ||
	    !add_str(o, "name", pl->name) || !add_bool(o, "resolved", pl->resolved) ||
	    (e = cJSON_AddArrayToObject(o, "entries")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (i = 0; i < pl->n_entries; i++) {
		cJSON *s;
		sg_cidr_format(&pl->entries[i], cidr, sizeof(cidr));
		if ((s = cJSON_CreateString(cidr)) == NULL) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToArray(e, s);
	}
	return o;
}

cJSON *
sg_inventory_to_cjson(const struct sg_inventory *inv)
{
	cJSON *o = cJSON_CreateObject(), *cov, *groups, *pls;
	size_t i;

	if (o == NULL)
		return NULL;
	if (!add_str(o, "account_id", inv->account_id) ||
	    !add_str(o, "caller_arn", inv->caller_arn) ||
	    !add_str(o, "partition", inv->partition) ||
	    (cov = cJSON_AddArrayToObject(o, "coverage")) == NULL)
		goto fail;
	for (i = 0; i < inv->n_regions; i++) {
		cJSON *x = sg_coverage_to_cjson(&inv->regions[i]);
		if (x == NULL)
			goto fail;
		cJSON_AddItemToArray(cov, x);
	}
	if ((groups = cJSON_AddArrayToObject(o, "groups")) == NULL)
		goto fail;
	for (i = 0; i < inv->n_groups; i++) {
		cJSON *x = sg_group_to_cjson(&inv->groups[i]);
		if (x == NULL)
			goto fail;
		cJSON_AddItemToArray(groups, x);
	}
	if ((pls = cJSON_AddArrayToObject(o, "prefix_lists")) == NULL)
		goto fail;
	for (i = 0; i < inv->n_prefix_lists; i++) {
		cJSON *x = prefix_list_to_cjson(&inv->prefix_lists[i]);
		if (x == NULL)
			goto fail;
		cJSON_AddItemToArray(pls, x);
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

enum sg_status
sg_inventory_to_json(char **out, const struct sg_inventory *inv, bool pretty,
                     struct sg_error *err)
{
	cJSON *o = sg_inventory_to_cjson(inv);
	char *text, *res;
	size_t n;

	if (o == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory writing the inventory as JSON");
	text = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (text == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory writing the inventory as JSON");
	n = strlen(text);
	res = malloc(n + 2);
	if (res == NULL) {
		cJSON_free(text);
		return sg_err_set(err, SG_ENOMEM, "out of memory writing the inventory as JSON");
	}
	memcpy(res, text, n);
	res[n] = '\n';
	res[n + 1] = '\0';
	cJSON_free(text);
	*out = res;
	return SG_OK;
}
