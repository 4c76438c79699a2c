/*
 * sg_record.h — the record model: security groups and their normalized rules.
 *
 * The EC2 API groups sources inside one IpPermission; sg-audit works on
 * NORMALIZED RULES, ONE SOURCE EACH (../shared/DESIGN.md, sg-semantics.md §1):
 * direction, protocol, port range or ICMP type/code, and exactly one source
 * (IPv4 CIDR, IPv6 CIDR, managed prefix list, or group reference).
 *
 * Normalization (sg_rule_normalize does it; parsers call it):
 *   protocol  "-1"/"all" -> SG_PROTO_ALL; "tcp"->6, "udp"->17, "icmp"->1,
 *             "icmpv6"->58; a number 0..255 as given.
 *   tcp/udp   absent ports or -1..-1 -> 0..65535 (every port)
 *   icmp(v6)  from_port = type, to_port = code; -1 = all. NEVER ports.
 *   all / other protocols: no ports (from = to = -1): the whole protocol.
 * The raw wire values are kept too (has_ports, raw_from, raw_to), because the
 * seed Panther policy is defined on them (null ports vs 0..65535).
 *
 * Ownership: an sg_inventory owns everything reachable from it, and
 * sg_inventory_free releases it all. All strings are NUL-terminated copies
 * (never pointers into libxml2/cJSON trees); NULL means absent.
 *
 * The strings of groups, rules and tags (the const char * fields below)
 * live in the inventory's arena, inv->strings (sg_arena.h), or are string
 * literals: make them with sg_arena_strdup(&inv->strings, s) and never
 * free() one. A million rules then cost a few hundred allocations, not
 * millions, and groups move between inventories by struct copy once their
 * arena has been adopted (sg_arena_adopt). The inventory's own fields,
 * prefix lists and region coverage are malloc'd one by one.
 */
#ifndef SG_RECORD_H
#define SG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_arena.h"
#include "sg_cidr.h"
#include "sg_err.h"

#define SG_PROTO_ALL (-1)
#define SG_PROTO_ICMP 1
#define SG_PROTO_TCP 6
#define SG_PROTO_UDP 17
#define SG_PROTO_ICMPV6 58

enum sg_direction { SG_INGRESS = 0, SG_EGRESS = 1 };

enum sg_source_kind {
	SG_SRC_CIDR4 = 0,
	SG_SRC_CIDR6,
	SG_SRC_PREFIX_LIST,
	SG_SRC_GROUP
};

/* A reference to another security group (UserIdGroupPair). */
struct sg_group_ref {
	const char *user_id;        /* owner account of the referenced group; may be NULL (stale) */
	const char *group_id;
	const char *group_name;
	const char *vpc_id;
	const char *peering_id;     /* vpcPeeringConnectionId */
	const char *peering_status; /* free text: active, pending-acceptance, deleted, ... */
};

struct sg_rule {
	enum sg_direction direction;
	int protocol;        /* SG_PROTO_ALL or 0..255 */
	int from_port;       /* normalized, see above */
	int to_port;
	bool has_ports;      /* fromPort/toPort were present on the wire */
	int raw_from;        /* wire values when has_ports */
	int raw_to;
	const char *protocol_raw;  /* as received: "tcp", "-1", "58", ... */
	enum sg_source_kind source;
	struct sg_cidr cidr;     /* SG_SRC_CIDR4 / SG_SRC_CIDR6 */
	const char *prefix_list_id;    /* SG_SRC_PREFIX_LIST */
	struct sg_group_ref ref; /* SG_SRC_GROUP */
	const char *description;
	uint32_t perm_index; /* index of the IpPermission within its direction (0-based) */
};

struct sg_tag {
	const char *key;
	const char *value;
};

struct sg_group {
	const char *account_id;  /* ownerId */
	const char *region;
	const char *group_id;
	const char *group_name;
	const char *description;
	const char *vpc_id;      /* NULL for EC2-Classic */
	const char *arn;
	struct sg_tag *tags;
	size_t n_tags;
	struct sg_rule *rules;  /* ingress rules first, then egress, each in wire order */
	size_t n_rules;
	size_t rules_cap;
	uint32_t n_ingress_perms;  /* IpPermission items (before normalization) */
	uint32_t n_egress_perms;
	int eni_count;     /* network interfaces attached; -1 = unknown */
};

/* A managed prefix list and its entries, resolved from GetManagedPrefixListEntries. */
struct sg_prefix_list {
	char *region;
	char *id;
	char *name;
	struct sg_cidr *entries;
	size_t n_entries;
	bool resolved;     /* entries were read successfully */
};

/* Per-region coverage (../shared/DESIGN.md "Verdicts"). */
enum sg_region_state {
	SG_REGION_PENDING = 0,
	SG_REGION_SCANNED,
	SG_REGION_NOT_OPTED_IN,
	SG_REGION_DENIED,
	SG_REGION_THROTTLED,
	SG_REGION_ERROR
};

struct sg_region_coverage {
	char *region;
	enum sg_region_state state;
	char *error_code;    /* AWS code or sg status name; NULL when scanned */
	char *error_message; /* NULL when scanned */
	size_t groups;
	size_t rules;
	size_t pages;
	size_t prefix_lists;
	/*
	 * Whether each group's attachment (sg_group.eni_count) is known, from the
	 * region's DescribeNetworkInterfaces chain: "counted"; "denied: <AWS code>"
	 * (UnauthorizedOperation, ...); "error: <AWS code or sg status name>";
	 * "not requested" (the scan was told not to ask). NULL when the region was
	 * not scanned. Attachment is extra information: it never changes state.
	 */
	char *attachments;
};

struct sg_inventory {
	char *account_id;
	char *caller_arn;
	char *partition;
	struct sg_group *groups;
	size_t n_groups;
	size_t groups_cap;
	struct sg_prefix_list *prefix_lists;
	size_t n_prefix_lists;
	size_t prefix_lists_cap;
	struct sg_region_coverage *regions; /* in requested order */
	size_t n_regions;
	size_t regions_cap;
	struct sg_arena strings; /* every group, rule and tag string */
};

/* Parse a wire protocol ("tcp", "-1", "58", "all") into SG_PROTO_ALL or 0..255. */
bool sg_protocol_parse(const char *text, int *out);
/*
 * A rule's protocol_raw for the wire text s[0..n): a shared literal for the
 * common "tcp", "udp", "-1", "icmp" and "icmpv6", otherwise a copy in the
 * arena. NULL only when out of memory.
 */
const char *sg_protocol_raw_copy(struct sg_arena *a, const char *text, size_t n);
/* "tcp", "udp", "icmp", "icmpv6", "all" or the number as text; buf >= 8 bytes. */
const char *sg_protocol_name(int protocol, char *buf, size_t cap);
/* tcp or udp: the protocols whose rules have real ports. */
bool sg_protocol_has_ports(int protocol);
bool sg_protocol_is_icmp(int protocol);

/*
 * Fill rule->from_port/to_port from protocol and the raw ports (has_ports,
 * raw_from, raw_to). Rejects (returns false, message in err naming the
 * values) a tcp/udp range outside 0..65535 or with from > to, and an ICMP
 * type/code outside -1..255.
 */
bool sg_rule_normalize(struct sg_rule *rule, struct sg_error *err);

/* tcp/udp covering 0..65535 or 1..65535, or protocol all: "all traffic". */
bool sg_rule_is_all_traffic(const struct sg_rule *rule);

/* Inventory lifetime and growth (arrays grow; strings are copied in). */
struct sg_inventory *sg_inventory_new(void);
void sg_inventory_free(struct sg_inventory *inv);
/* Append an empty group/prefix list/region; returns a pointer valid until the next add. */
struct sg_group *sg_inventory_add_group(struct sg_inventory *inv);
struct sg_prefix_list *sg_inventory_add_prefix_list(struct sg_inventory *inv);
struct sg_region_coverage *sg_inventory_add_region(struct sg_inventory *inv, const char *region);
struct sg_rule *sg_group_add_rule(struct sg_group *g);
/*
 * Move every group and prefix list of `from` (one region's records) to the
 * end of inv's, their strings with them (from's arena is adopted), and count
 * them into cov (groups, rules, prefix_lists). from keeps its coverage and is
 * left without records. false when out of memory: what was moved stays in
 * inv, and both inventories can still be freed.
 */
bool sg_inventory_move_records(struct sg_inventory *inv, struct sg_inventory *from,
                               struct sg_region_coverage *cov);
/* Free the arrays a group owns (not the group, not its strings: they are the arena's). */
void sg_group_dispose(struct sg_group *g);
/* Lookups (NULL if absent). */
const struct sg_prefix_list *sg_inventory_find_prefix_list(const struct sg_inventory *inv,
                                                           const char *region, const char *id);
const struct sg_group *sg_inventory_find_group(const struct sg_inventory *inv,
                                               const char *region, const char *group_id);
/* Sort groups by (account, region, group id) for deterministic output. */
void sg_inventory_sort(struct sg_inventory *inv);

const char *sg_region_state_name(enum sg_region_state st);

#endif
