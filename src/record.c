/* record.c — the record model: protocols, rule normalization, inventory lifetime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"
#include "sg_record.h"
#include "sg_util.h"

static const struct {
	const char *name;
	int number;
} protocol_names[] = {
	{ "-1", SG_PROTO_ALL }, { "all", SG_PROTO_ALL }, { "icmp", SG_PROTO_ICMP },
	{ "tcp", SG_PROTO_TCP }, { "udp", SG_PROTO_UDP }, { "icmpv6", SG_PROTO_ICMPV6 },
};

bool
sg_protocol_parse(const char *text, int *out)
{
	size_t i;
	long v;

	if (text == NULL)
		return false;
	/* What EC2 sends, as it sends it, first (one per permission parsed). */
	switch (text[0]) {
	case 't': if (strcmp(text, "tcp") == 0) { *out = SG_PROTO_TCP; return true; } break;
	case 'u': if (strcmp(text, "udp") == 0) { *out = SG_PROTO_UDP; return true; } break;
	case '-': if (strcmp(text, "-1") == 0) { *out = SG_PROTO_ALL; return true; } break;
	default: break;
	}
	for (i = 0; i < sizeof(protocol_names) / sizeof(protocol_names[0]); i++) {
		if (strcasecmp(text, protocol_names[i].name) == 0) {
			*out = protocol_names[i].number;
			return true;
		}
	}
	if (!sg_parse_long(sg_str_from(text), 0, 255, &v))
		return false;
	*out = (int)v;
	return true;
}

const char *
sg_protocol_raw_copy(struct sg_arena *a, const char *text, size_t n)
{
	/* What EC2 sends nearly always: shared literals, no copy. */
	static const struct {
		const char *s;
		size_t n; /* strlen(s), said once here rather than per call */
	} common[] = { { "tcp", 3 }, { "udp", 3 }, { "-1", 2 }, { "icmp", 4 }, { "icmpv6", 6 } };
	size_t i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (common[i].n == n && memcmp(common[i].s, text, n) == 0)
			return common[i].s;
	return sg_arena_strndup(a, text, n);
}

const char *
sg_protocol_name(int protocol, char *buf, size_t cap)
{
	switch (protocol) {
	case SG_PROTO_ALL: return "all";
	case SG_PROTO_TCP: return "tcp";
	case SG_PROTO_UDP: return "udp";
	case SG_PROTO_ICMP: return "icmp";
	case SG_PROTO_ICMPV6: return "icmpv6";
	default:
		snprintf(buf, cap, "%d", protocol);
		return buf;
	}
}

bool
sg_protocol_has_ports(int protocol)
{
	return protocol == SG_PROTO_TCP || protocol == SG_PROTO_UDP;
}

bool
sg_protocol_is_icmp(int protocol)
{
	return protocol == SG_PROTO_ICMP || protocol == SG_PROTO_ICMPV6;
}

bool
sg_rule_normalize(struct sg_rule *r, struct sg_error *err)
{
	if (sg_protocol_has_ports(r->protocol)) {
		if (!r->has_ports || (r->raw_from == -1 && r->raw_to == -1)) {
			r->from_port = 0;
			r->to_port = 65535;
			return true;
		}
		if (r->raw_from < 0 || r->raw_from > 65535 || r->raw_to < 0 ||
		    r->raw_to > 65535 || r->raw_from > r->raw_to) {
			sg_err_set(err, SG_EPARSE, "port range %d-%d is not a valid %s range",
			    r->raw_from, r->raw_to, r->protocol == SG_PROTO_TCP ? "tcp" : "udp");
			return false;
		}
		r->from_port = r->raw_from;
		r->to_port = r->raw_to;
		return true;
	}
	if (sg_protocol_is_icmp(r->protocol)) {
		if (!r->has_ports) {
			r->from_port = -1;
			r->to_port = -1;
			return true;
		}
		if (r->raw_from < -1 || r->raw_from > 255 || r->raw_to < -1 || r->raw_to > 255) {
			sg_err_set(err, SG_EPARSE, "ICMP type/code %d/%d out of range",
			    r->raw_from, r->raw_to);
			return false;
		}
		r->from_port = r->raw_from;
		r->to_port = r->raw_to;
		return true;
	}
	/* All protocols, or a protocol without ports: the whole protocol. */
	r->from_port = -1;
	r->to_port = -1;
	return true;
}

bool
sg_rule_is_all_traffic(const struct sg_rule *r)
{
	if (r->protocol == SG_PROTO_ALL)
		return true;
	return sg_protocol_has_ports(r->protocol) && r->from_port <= 1 && r->to_port == 65535;
}

/* Grow an array of `size`-byte elements to hold one more; zero the new slot. */
static void *
grow_one(void **arr, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void *np = realloc(*arr, ncap * size);
		if (np == NULL)
			return NULL;
		*arr = np;
		*cap = ncap;
	}
	p = (char *)*arr + *n * size;
	memset(p, 0, size);
	(*n)++;
	return p;
}

struct sg_inventory *
sg_inventory_new(void)
{
	return calloc(1, sizeof(struct sg_inventory));
}

void
sg_group_dispose(struct sg_group *g)
{
	if (g == NULL)
		return;
	free(g->tags);
	free(g->rules);
	memset(g, 0, sizeof(*g));
}

void
sg_inventory_free(struct sg_inventory *inv)
{
	size_t i;

	if (inv == NULL)
		return;
	for (i = 0; i < inv->n_groups; i++)
		sg_group_dispose(&inv->groups[i]);
	for (i = 0; i < inv->n_prefix_lists; i++) {
		free(inv->prefix_lists[i].region);
		free(inv->prefix_lists[i].id);
		free(inv->prefix_lists[i].name);
		free(inv->prefix_lists[i].entries);
	}
	for (i = 0; i < inv->n_regions; i++) {
		free(inv->regions[i].region);
		free(inv->regions[i].error_code);
		free(inv->regions[i].error_message);
		free(inv->regions[i].attachments);
	}
	free(inv->groups);
	free(inv->prefix_lists);
	free(inv->regions);
	free(inv->account_id);
	free(inv->caller_arn);
	free(inv->partition);
	sg_arena_free(&inv->strings);
	free(inv);
}

struct sg_group *
sg_inventory_add_group(struct sg_inventory *inv)
{
	struct sg_group *g = grow_one((void **)&inv->groups, &inv->n_groups,
	    &inv->groups_cap, sizeof(*g));
	if (g != NULL)
		g->eni_count = -1;
	return g;
}

struct sg_prefix_list *
sg_inventory_add_prefix_list(struct sg_inventory *inv)
{
	return grow_one((void **)&inv->prefix_lists, &inv->n_prefix_lists,
	    &inv->prefix_lists_cap, sizeof(struct sg_prefix_list));
}

struct sg_region_coverage *
sg_inventory_add_region(struct sg_inventory *inv, const char *region)
{
	struct sg_region_coverage *r = grow_one((void **)&inv->regions, &inv->n_regions,
	    &inv->regions_cap, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->region = strdup(region);
	if (r->region == NULL) {
		inv->n_regions--;
		return NULL;
	}
	return r;
}

bool
sg_inventory_move_records(struct sg_inventory *inv, struct sg_inventory *from,
                          struct sg_region_coverage *cov)
{
	size_t k, rules = 0, n_groups = from->n_groups, n_pls = from->n_prefix_lists;

	/* The strings first: a group is only ever next to the arena holding its strings. */
	sg_arena_adopt(&inv->strings, &from->strings);
	for (k = 0; k < from->n_groups; k++) {
		struct sg_group *g = sg_inventory_add_group(inv);
		if (g == NULL)
			return false;
		*g = from->groups[k];
		memset(&from->groups[k], 0, sizeof(from->groups[k]));
		rules += g->n_rules;
	}
	from->n_groups = 0;
	for (k = 0; k < from->n_prefix_lists; k++) {
		struct sg_prefix_list *pl = sg_inventory_add_prefix_list(inv);
		if (pl == NULL)
			return false;
		*pl = from->prefix_lists[k];
		memset(&from->prefix_lists[k], 0, sizeof(from->prefix_lists[k]));
	}
	from->n_prefix_lists = 0;
	cov->groups = n_groups;
	cov->rules = rules;
	cov->prefix_lists = n_pls;
	return true;
}

struct sg_rule *
sg_group_add_rule(struct sg_group *g)
{
	return grow_one((void **)&g->rules, &g->n_rules, &g->rules_cap, sizeof(struct sg_rule));
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

const struct sg_prefix_list *
sg_inventory_find_prefix_list(const struct sg_inventory *inv, const char *region, const char *id)
{
	size_t i;

	for (i = 0; i < inv->n_prefix_lists; i++)
		if (cmp0(inv->prefix_lists[i].id, id) == 0 &&
		    (region == NULL || cmp0(inv->prefix_lists[i].region, region) == 0))
			return &inv->prefix_lists[i];
	return NULL;
}

static int
group_cmp(const void *pa, const void *pb)
{
	const struct sg_group *a = pa, *b = pb;
	int c;

	if ((c = cmp0(a->account_id, b->account_id)) != 0)
		return c;
	if ((c = cmp0(a->region, b->region)) != 0)
		return c;
	return cmp0(a->group_id, b->group_id);
}

void
sg_inventory_sort(struct sg_inventory *inv)
{
	if (inv->n_groups > 1)
		qsort(inv->groups, inv->n_groups, sizeof(inv->groups[0]), group_cmp);
}

const struct sg_group *
sg_inventory_find_group(const struct sg_inventory *inv, const char *region, const char *group_id)
{
	size_t i;

	for (i = 0; i < inv->n_groups; i++)
		if (cmp0(inv->groups[i].group_id, group_id) == 0 &&
		    (region == NULL || cmp0(inv->groups[i].region, region) == 0))
			return &inv->groups[i];
	return NULL;
}

const char *
sg_region_state_name(enum sg_region_state st)
{
	switch (st) {
	case SG_REGION_PENDING: return "PENDING";
	case SG_REGION_SCANNED: return "SCANNED";
	case SG_REGION_NOT_OPTED_IN: return "NOT_OPTED_IN";
	case SG_REGION_DENIED: return "DENIED";
	case SG_REGION_THROTTLED: return "THROTTLED";
	case SG_REGION_ERROR: return "ERROR";
	}
	return "UNKNOWN";
}
