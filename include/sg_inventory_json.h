/*
 * sg_inventory_json.h — the inventory (records and per-region coverage) as
 * JSON. The one place records become JSON: `scan --format json` prints it
 * until the report module's versioned schema lands, and that schema embeds
 * it rather than writing records a second way.
 *
 * Shape (keys in this order; absent strings are omitted, never null):
 *   { "account_id", "caller_arn", "partition",
 *     "coverage": [ { "region", "state", "error_code", "error_message",
 *                     "groups", "rules", "pages", "prefix_lists",
 *                     "attachments" (counted | denied: CODE | error: CODE |
 *                                    not requested; absent when not scanned) } ],
 *     "groups": [ { "account_id", "region", "group_id", "group_name",
 *                   "description", "vpc_id", "arn",
 *                   "tags": [ { "key", "value" } ],
 *                   "ingress_permissions", "egress_permissions",
 *                   "network_interfaces" (interfaces the group is attached to;
 *                                         absent when unknown),
 *                   "rules": [ RULE ] } ],
 *     "prefix_lists": [ { "region", "id", "name", "resolved", "entries": [cidr] } ] }
 *   RULE = { "direction": "ingress"|"egress",
 *            "protocol": "all"|"tcp"|"udp"|"icmp"|"icmpv6"|"<number>",
 *            "protocol_number": -1..255, "protocol_raw": as received,
 *            "all_traffic": bool,
 *            tcp/udp:   "from_port", "to_port"     (normalized: absent or -1 = 0..65535)
 *            icmp(v6):  "icmp_type", "icmp_code"   (-1 = all; never ports)
 *            "ports_on_wire": bool, and when true "wire_from_port", "wire_to_port",
 *            "source": "ipv4"|"ipv6"|"prefix_list"|"group",
 *            "cidr" | "prefix_list_id" | "group": { "user_id", "group_id",
 *                "group_name", "vpc_id", "peering_id", "peering_status" },
 *            "description", "permission_index" }
 */
#ifndef SG_INVENTORY_JSON_H
#define SG_INVENTORY_JSON_H

#include <stdbool.h>

#include "sg_err.h"
#include "sg_record.h"

struct cJSON; /* cJSON's node; only JSON writers include cJSON.h */

/* A new cJSON object for the inventory (caller frees with cJSON_Delete); NULL on ENOMEM. */
struct cJSON *sg_inventory_to_cjson(const struct sg_inventory *inv);
/* One rule / one group / one coverage entry as cJSON (for writers that embed them). */
struct cJSON *sg_rule_to_cjson(const struct sg_rule *r);
struct cJSON *sg_group_to_cjson(const struct sg_group *g);
struct cJSON *sg_coverage_to_cjson(const struct sg_region_coverage *c);

/*
 * The inventory as a malloc'd NUL-terminated JSON text (pretty-printed or
 * compact), ending in a newline. SG_ENOMEM on failure.
 */
enum sg_status sg_inventory_to_json(char **out, const struct sg_inventory *inv, bool pretty,
                                    struct sg_error *err) SG_MUST_USE;

#endif
