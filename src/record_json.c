/* record_json.c — DescribeSecurityGroups JSON shape -> sg_group (see sg_record_json.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sg_record_json.h"
#include "sg_util.h"

#define MAX_STR 4096

/* Optional string, borrowed from the tree: absent or null -> NULL; a non-string is an error. */
static enum sg_status
get_str(const cJSON *obj, const char *key, const char *where, const char **out,
        struct sg_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return SG_OK;
	if (!cJSON_IsString(v))
		return sg_err_set(err, SG_EPARSE, "%s: '%s' must be a string or null", where, key);
	if (strlen(v->valuestring) > MAX_STR)
		return sg_err_set(err, SG_EPARSE, "%s: '%s' is longer than %d bytes", where, key,
		    MAX_STR);
	*out = v->valuestring;
	return SG_OK;
}

/* get_str, copied with malloc (prefix lists: not in the arena). */
static enum sg_status
opt_str(const cJSON *obj, const char *key, const char *where, char **out, struct sg_error *err)
{
	const char *v;
	enum sg_status st;

	*out = NULL;
	if ((st = get_str(obj, key, where, &v, err)) != SG_OK)
		return st;
	if (v != NULL && (*out = strdup(v)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	return SG_OK;
}

/* get_str, copied into the inventory's arena (strings of groups, rules and tags). */
static enum sg_status
keep_str(struct sg_arena *a, const cJSON *obj, const char *key, const char *where,
         const char **out, struct sg_error *err)
{
	const char *v;
	enum sg_status st;

	*out = NULL;
	if ((st = get_str(obj, key, where, &v, err)) != SG_OK)
		return st;
	if (v != NULL && (*out = sg_arena_strdup(a, v)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	return SG_OK;
}

/* Optional array: absent or null -> NULL. */
static enum sg_status
opt_array(const cJSON *obj, const char *key, const char *where, const cJSON **out,
          struct sg_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return SG_OK;
	if (!cJSON_IsArray(v))
		return sg_err_set(err, SG_EPARSE, "%s: '%s' must be an array or null", where, key);
	*out = v;
	return SG_OK;
}

static enum sg_status
opt_port(const cJSON *obj, const char *key, const char *where, bool *present, int *out,
         struct sg_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*present = false;
	if (v == NULL || cJSON_IsNull(v))
		return SG_OK;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
	    v->valuedouble < -1 || v->valuedouble > 65535)
		return sg_err_set(err, SG_EPARSE, "%s: '%s' must be an integer in -1..65535", where,
		    key);
	*present = true;
	*out = (int)v->valuedouble;
	return SG_OK;
}

static enum sg_status
parse_tags(struct sg_arena *a, const cJSON *obj, struct sg_group *g, const char *where,
           struct sg_error *err)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(obj, "Tags"), *it;
	size_t n, i = 0;

	if (tags == NULL || cJSON_IsNull(tags))
		return SG_OK;
	if (!cJSON_IsArray(tags) && !cJSON_IsObject(tags))
		return sg_err_set(err, SG_EPARSE, "%s: 'Tags' must be a list, a map or null", where);
	n = (size_t)cJSON_GetArraySize(tags);
	if (n > 1000)
		return sg_err_set(err, SG_EPARSE, "%s: more than 1000 tags", where);
	if (n == 0)
		return SG_OK;
	g->tags = calloc(n, sizeof(*g->tags));
	if (g->tags == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	cJSON_ArrayForEach(it, tags) {
		const char *k = NULL, *v = NULL;
		enum sg_status st;
		if (cJSON_IsObject(tags)) {
			/* map form: {"environment": "pci"} */
			if (!cJSON_IsString(it) && !cJSON_IsNull(it))
				return sg_err_set(err, SG_EPARSE, "%s: tag '%.60s' value must be a string",
				    where, it->string ? it->string : "");
			k = sg_arena_strdup(a, it->string ? it->string : "");
			v = sg_arena_strdup(a, cJSON_IsString(it) ? it->valuestring : "");
			if (k == NULL || v == NULL)
				return sg_err_set(err, SG_ENOMEM, "out of memory");
		} else {
			if (!cJSON_IsObject(it))
				return sg_err_set(err, SG_EPARSE, "%s: Tags[%zu] must be an object", where, i);
			if ((st = keep_str(a, it, "Key", where, &k, err)) != SG_OK ||
			    (st = keep_str(a, it, "Value", where, &v, err)) != SG_OK)
				return st;
			if (k == NULL)
				return sg_err_set(err, SG_EPARSE, "%s: Tags[%zu] has no Key", where, i);
		}
		g->tags[g->n_tags].key = k;
		g->tags[g->n_tags].value = v;
		g->n_tags++;
		i++;
	}
	return SG_OK;
}

/* Start a rule for one source of permission `perm`. */
static struct sg_rule *
new_rule(struct sg_group *g, const struct sg_rule *proto)
{
	struct sg_rule *r = sg_group_add_rule(g);

	if (r != NULL)
		*r = *proto; /* protocol_raw is already the arena's */
	return r;
}

static enum sg_status
parse_perm(struct sg_arena *a, const cJSON *perm, enum sg_direction dir, uint32_t index,
           struct sg_group *g, const char *where0, struct sg_error *err)
{
	struct sg_rule base;
	const cJSON *v, *arr, *it;
	char where[400], num[16];
	bool has_from, has_to;
	enum sg_status st;
	size_t i;

	snprintf(where, sizeof(where), "%s: %s[%u]", where0,
	    dir == SG_INGRESS ? "IpPermissions" : "IpPermissionsEgress", index);
	if (!cJSON_IsObject(perm))
		return sg_err_set(err, SG_EPARSE, "%s: must be an object", where);
	memset(&base, 0, sizeof(base));
	base.direction = dir;
	base.perm_index = index;
	v = cJSON_GetObjectItemCaseSensitive(perm, "IpProtocol");
	if (cJSON_IsString(v)) {
		base.protocol_raw = v->valuestring;
	} else if (cJSON_IsNumber(v)) {
		snprintf(num, sizeof(num), "%d", (int)v->valuedouble);
		base.protocol_raw = num;
	} else {
		return sg_err_set(err, SG_EPARSE, "%s: 'IpProtocol' missing or not a string", where);
	}
	if (!sg_protocol_parse(base.protocol_raw, &base.protocol))
		return sg_err_set(err, SG_EPARSE, "%s: IpProtocol '%.20s' is not a protocol", where,
		    base.protocol_raw);
	if ((base.protocol_raw = sg_protocol_raw_copy(a, base.protocol_raw,
	    strlen(base.protocol_raw))) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if ((st = opt_port(perm, "FromPort", where, &has_from, &base.raw_from, err)) != SG_OK ||
	    (st = opt_port(perm, "ToPort", where, &has_to, &base.raw_to, err)) != SG_OK)
		return st;
	/* The seed policy treats either port being null as "no ports". */
	base.has_ports = has_from && has_to;
	if (!base.has_ports)
		base.raw_from = base.raw_to = 0;
	if (!sg_rule_normalize(&base, err)) {
		sg_err_prefix(err, "%s: ", where);
		return err->status ? err->status : SG_EPARSE;
	}

	if ((st = opt_array(perm, "IpRanges", where, &arr, err)) != SG_OK)
		return st;
	i = 0;
	cJSON_ArrayForEach(it, arr) {
		struct sg_rule *r;
		const cJSON *c = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "CidrIp") : NULL;
		struct sg_cidr cidr;
		if (!cJSON_IsString(c) || !sg_cidr_parse(sg_str_from(c->valuestring), 4, &cidr))
			return sg_err_set(err, SG_EPARSE, "%s: IpRanges[%zu]: CidrIp missing or not an IPv4 CIDR",
			    where, i);
		if ((r = new_rule(g, &base)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		r->source = SG_SRC_CIDR4;
		r->cidr = cidr;
		if ((st = keep_str(a, it, "Description", where, &r->description, err)) != SG_OK)
			return st;
		i++;
	}
	if ((st = opt_array(perm, "Ipv6Ranges", where, &arr, err)) != SG_OK)
		return st;
	i = 0;
	cJSON_ArrayForEach(it, arr) {
		struct sg_rule *r;
		const cJSON *c = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "CidrIpv6") : NULL;
		struct sg_cidr cidr;
		if (!cJSON_IsString(c) || !sg_cidr_parse(sg_str_from(c->valuestring), 6, &cidr))
			return sg_err_set(err, SG_EPARSE,
			    "%s: Ipv6Ranges[%zu]: CidrIpv6 missing or not an IPv6 CIDR", where, i);
		if ((r = new_rule(g, &base)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		r->source = SG_SRC_CIDR6;
		r->cidr = cidr;
		if ((st = keep_str(a, it, "Description", where, &r->description, err)) != SG_OK)
			return st;
		i++;
	}
	if ((st = opt_array(perm, "PrefixListIds", where, &arr, err)) != SG_OK)
		return st;
	i = 0;
	cJSON_ArrayForEach(it, arr) {
		struct sg_rule *r;
		if (!cJSON_IsObject(it))
			return sg_err_set(err, SG_EPARSE, "%s: PrefixListIds[%zu] must be an object",
			    where, i);
		if ((r = new_rule(g, &base)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		r->source = SG_SRC_PREFIX_LIST;
		if ((st = keep_str(a, it, "PrefixListId", where, &r->prefix_list_id, err)) != SG_OK ||
		    (st = keep_str(a, it, "Description", where, &r->description, err)) != SG_OK)
			return st;
		if (r->prefix_list_id == NULL)
			return sg_err_set(err, SG_EPARSE, "%s: PrefixListIds[%zu] has no PrefixListId",
			    where, i);
		i++;
	}
	if ((st = opt_array(perm, "UserIdGroupPairs", where, &arr, err)) != SG_OK)
		return st;
	i = 0;
	cJSON_ArrayForEach(it, arr) {
		struct sg_rule *r;
		if (!cJSON_IsObject(it))
			return sg_err_set(err, SG_EPARSE, "%s: UserIdGroupPairs[%zu] must be an object",
			    where, i);
		if ((r = new_rule(g, &base)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		r->source = SG_SRC_GROUP;
		if ((st = keep_str(a, it, "UserId", where, &r->ref.user_id, err)) != SG_OK ||
		    (st = keep_str(a, it, "GroupId", where, &r->ref.group_id, err)) != SG_OK ||
		    (st = keep_str(a, it, "GroupName", where, &r->ref.group_name, err)) != SG_OK ||
		    (st = keep_str(a, it, "VpcId", where, &r->ref.vpc_id, err)) != SG_OK ||
		    (st = keep_str(a, it, "VpcPeeringConnectionId", where, &r->ref.peering_id, err)) != SG_OK ||
		    (st = keep_str(a, it, "PeeringStatus", where, &r->ref.peering_status, err)) != SG_OK ||
		    (st = keep_str(a, it, "Description", where, &r->description, err)) != SG_OK)
			return st;
		if (r->ref.group_id == NULL && r->ref.group_name == NULL)
			return sg_err_set(err, SG_EPARSE,
			    "%s: UserIdGroupPairs[%zu] names no GroupId or GroupName", where, i);
		i++;
	}
	return SG_OK;
}

static enum sg_status
parse_perms(struct sg_arena *a, const cJSON *obj, const char *key, enum sg_direction dir,
            struct sg_group *g, uint32_t *count, const char *where, struct sg_error *err)
{
	const cJSON *arr, *it;
	uint32_t i = 0;
	enum sg_status st;

	if ((st = opt_array(obj, key, where, &arr, err)) != SG_OK)
		return st;
	cJSON_ArrayForEach(it, arr) {
		if ((st = parse_perm(a, it, dir, i, g, where, err)) != SG_OK)
			return st;
		i++;
	}
	*count = i;
	return SG_OK;
}

enum sg_status
sg_record_json_group(const struct cJSON *obj, const char *region, struct sg_inventory *inv,
                     const char *where, struct sg_error *err)
{
	struct sg_group *g;
	enum sg_status st;

	if (!cJSON_IsObject(obj))
		return sg_err_set(err, SG_EPARSE, "%s: a security group must be an object", where);
	g = sg_inventory_add_group(inv);
	if (g == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if ((st = keep_str(&inv->strings, obj, "GroupId", where, &g->group_id, err)) != SG_OK ||
	    (st = keep_str(&inv->strings, obj, "GroupName", where, &g->group_name, err)) != SG_OK ||
	    (st = keep_str(&inv->strings, obj, "Description", where, &g->description, err)) != SG_OK ||
	    (st = keep_str(&inv->strings, obj, "VpcId", where, &g->vpc_id, err)) != SG_OK ||
	    (st = keep_str(&inv->strings, obj, "OwnerId", where, &g->account_id, err)) != SG_OK)
		goto fail;
	if (g->group_id == NULL) {
		st = sg_err_set(err, SG_EPARSE, "%s: security group has no GroupId", where);
		goto fail;
	}
	if (region != NULL && (g->region = sg_arena_strdup(&inv->strings, region)) == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto fail;
	}
	if (g->account_id == NULL && inv->account_id != NULL &&
	    (g->account_id = sg_arena_strdup(&inv->strings, inv->account_id)) == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((st = parse_tags(&inv->strings, obj, g, where, err)) != SG_OK ||
	    (st = parse_perms(&inv->strings, obj, "IpPermissions", SG_INGRESS, g,
	    &g->n_ingress_perms, where, err)) != SG_OK ||
	    (st = parse_perms(&inv->strings, obj, "IpPermissionsEgress", SG_EGRESS, g,
	    &g->n_egress_perms, where, err)) != SG_OK)
		goto fail;
	return SG_OK;
fail:
	sg_group_dispose(g);
	inv->n_groups--;
	return st;
}

enum sg_status
sg_record_json_prefix_list(const struct cJSON *obj, const char *region,
                           struct sg_inventory *inv, const char *where, struct sg_error *err)
{
	struct sg_prefix_list *pl;
	const cJSON *entries, *it, *res;
	enum sg_status st;
	size_t n, i = 0;

	if (!cJSON_IsObject(obj))
		return sg_err_set(err, SG_EPARSE, "%s: a prefix list must be an object", where);
	pl = sg_inventory_add_prefix_list(inv);
	if (pl == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if ((st = opt_str(obj, "PrefixListId", where, &pl->id, err)) != SG_OK ||
	    (st = opt_str(obj, "PrefixListName", where, &pl->name, err)) != SG_OK)
		goto fail;
	if (pl->id == NULL) {
		st = sg_err_set(err, SG_EPARSE, "%s: prefix list has no PrefixListId", where);
		goto fail;
	}
	if (region != NULL && (pl->region = strdup(region)) == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((st = opt_array(obj, "Entries", where, &entries, err)) != SG_OK)
		goto fail;
	n = entries ? (size_t)cJSON_GetArraySize(entries) : 0;
	if (n > 100000) {
		st = sg_err_set(err, SG_EPARSE, "%s: more than 100000 prefix list entries", where);
		goto fail;
	}
	pl->entries = calloc(n ? n : 1, sizeof(*pl->entries));
	if (pl->entries == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto fail;
	}
	cJSON_ArrayForEach(it, entries) {
		const cJSON *c = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "Cidr") : NULL;
		if (!cJSON_IsString(c) ||
		    !sg_cidr_parse(sg_str_from(c->valuestring), 0, &pl->entries[i])) {
			st = sg_err_set(err, SG_EPARSE, "%s: prefix list %s Entries[%zu]: Cidr missing or invalid",
			    where, pl->id, i);
			goto fail;
		}
		i++;
	}
	pl->n_entries = i;
	res = cJSON_GetObjectItemCaseSensitive(obj, "Resolved");
	pl->resolved = !cJSON_IsFalse(res);
	return SG_OK;
fail:
	free(pl->id);
	free(pl->name);
	free(pl->region);
	free(pl->entries);
	inv->n_prefix_lists--;
	return st;
}

static cJSON *
parse_capped(const char *name, const char *data, size_t len, struct sg_error *err)
{
	cJSON *root;

	if (len > SG_RECORD_JSON_MAX_BYTES) {
		sg_err_set(err, SG_ELIMIT, "%s: larger than %zu bytes", name,
		    (size_t)SG_RECORD_JSON_MAX_BYTES);
		return NULL;
	}
	root = cJSON_ParseWithLength(data, len);
	if (root == NULL)
		sg_err_set(err, SG_EPARSE, "%s: malformed JSON", name);
	return root;
}

enum sg_status
sg_record_json_groups(const char *name, const char *data, size_t len, const char *region,
                      struct sg_inventory *inv, struct sg_error *err)
{
	cJSON *root = parse_capped(name, data, len, err);
	const cJSON *arr, *it;
	enum sg_status st = SG_OK;
	size_t i = 0;

	if (root == NULL)
		return err->status;
	arr = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "SecurityGroups") : root;
	if (arr == NULL) {
		st = sg_record_json_group(root, region, inv, name, err);
	} else if (!cJSON_IsArray(arr)) {
		st = sg_err_set(err, SG_EPARSE, "%s: expected an array of security groups", name);
	} else {
		cJSON_ArrayForEach(it, arr) {
			char where[300];
			snprintf(where, sizeof(where), "%s: SecurityGroups[%zu]", name, i++);
			if ((st = sg_record_json_group(it, region, inv, where, err)) != SG_OK)
				break;
		}
	}
	cJSON_Delete(root);
	return st;
}

static enum sg_status
account_region(const cJSON *reg, struct sg_inventory *inv, const char *name,
               struct sg_error *err)
{
	const cJSON *rn = cJSON_GetObjectItemCaseSensitive(reg, "RegionName");
	const cJSON *opt = cJSON_GetObjectItemCaseSensitive(reg, "OptInStatus");
	const cJSON *arr, *it, *gs;
	struct sg_region_coverage *cov;
	size_t first = inv->n_groups, i = 0, k;
	enum sg_status st;
	char where[300];

	if (!cJSON_IsString(rn))
		return sg_err_set(err, SG_EPARSE, "%s: a region has no RegionName", name);
	cov = sg_inventory_add_region(inv, rn->valuestring);
	if (cov == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if (cJSON_IsString(opt) && strcmp(opt->valuestring, "not-opted-in") == 0) {
		cov->state = SG_REGION_NOT_OPTED_IN;
		return SG_OK;
	}
	cov->state = SG_REGION_SCANNED;
	arr = cJSON_GetObjectItemCaseSensitive(reg, "ManagedPrefixLists");
	if (!cJSON_IsArray(arr))
		arr = NULL;
	cJSON_ArrayForEach(it, arr) {
		snprintf(where, sizeof(where), "%s: %s ManagedPrefixLists[%zu]", name,
		    rn->valuestring, i++);
		if ((st = sg_record_json_prefix_list(it, rn->valuestring, inv, where, err)) != SG_OK)
			return st;
	}
	i = 0;
	arr = cJSON_GetObjectItemCaseSensitive(reg, "SecurityGroups");
	if (!cJSON_IsArray(arr))
		arr = NULL;
	cJSON_ArrayForEach(it, arr) {
		snprintf(where, sizeof(where), "%s: %s SecurityGroups[%zu]", name, rn->valuestring,
		    i++);
		if ((st = sg_record_json_group(it, rn->valuestring, inv, where, err)) != SG_OK)
			return st;
	}
	inv->regions[inv->n_regions - 1].groups = inv->n_groups - first;
	/* Attachment: a group is attached when some ENI names it. */
	for (k = first; k < inv->n_groups; k++)
		inv->groups[k].eni_count = 0;
	arr = cJSON_GetObjectItemCaseSensitive(reg, "NetworkInterfaces");
	if (!cJSON_IsArray(arr))
		arr = NULL;
	cJSON_ArrayForEach(it, arr) {
		const cJSON *gid;
		gs = cJSON_GetObjectItemCaseSensitive(it, "Groups");
		if (!cJSON_IsArray(gs))
			gs = NULL;
		cJSON_ArrayForEach(gid, gs) {
			const char *id = cJSON_IsString(gid) ? gid->valuestring :
			    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(gid, "GroupId")) ?
			    cJSON_GetObjectItemCaseSensitive(gid, "GroupId")->valuestring : NULL;
			if (id == NULL)
				continue;
			for (k = first; k < inv->n_groups; k++)
				if (strcmp(inv->groups[k].group_id, id) == 0)
					inv->groups[k].eni_count++;
		}
	}
	for (k = first; k < inv->n_groups; k++)
		inv->regions[inv->n_regions - 1].rules += inv->groups[k].n_rules;
	return SG_OK;
}

enum sg_status
sg_record_json_account(const char *name, const char *data, size_t len,
                       struct sg_inventory **out, struct sg_error *err)
{
	cJSON *root = parse_capped(name, data, len, err);
	const cJSON *v, *reg;
	struct sg_inventory *inv;
	enum sg_status st = SG_OK;

	if (root == NULL)
		return err->status;
	inv = sg_inventory_new();
	if (inv == NULL) {
		cJSON_Delete(root);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "AccountId");
	if (cJSON_IsString(v) && (inv->account_id = strdup(v->valuestring)) == NULL)
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
	v = cJSON_GetObjectItemCaseSensitive(root, "Regions");
	if (st == SG_OK && !cJSON_IsArray(v))
		st = sg_err_set(err, SG_EPARSE, "%s: 'Regions' must be an array", name);
	if (st == SG_OK) {
		cJSON_ArrayForEach(reg, v) {
			if ((st = account_region(reg, inv, name, err)) != SG_OK)
				break;
		}
	}
	cJSON_Delete(root);
	if (st != SG_OK) {
		sg_inventory_free(inv);
		return st;
	}
	*out = inv;
	return SG_OK;
}
