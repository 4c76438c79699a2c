/*
 * sg_waiver.h — waivers: accepted exceptions with an owner, a ticket and an
 * expiry date (--waivers FILE).
 *
 * File format (docs/policies.md "Waivers"), JSON:
 *
 *   {"Waivers": [
 *     {"PolicyID": "AWS.EC2.SecurityGroup.InternetExposure",
 *      "GroupId": "sg-0123",
 *      "Rule": {"Direction": "ingress", "Protocol": "tcp",     // optional; each field optional
 *               "FromPort": 22, "ToPort": 22, "Source": "203.0.113.0/24"},
 *      "Account": "123456789012", "Region": "us-east-1",      // optional
 *      "Reason": "bastion, ticket approved by the CISO",
 *      "Owner": "alice@example.com", "Ticket": "SEC-12",
 *      "Expires": "2027-01-31"}]}                              // valid through that UTC day
 *
 * A top-level array of entries is accepted too. A malformed file is
 * rejected whole (SG_ECONFIG) with a message naming the file, the entry
 * ("entry 3") and the problem.
 *
 * Matching is done by the policy engine (sg_policy_eval), which reports
 * each waiver as used, expired or stale.
 */
#ifndef SG_WAIVER_H
#define SG_WAIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sg_cidr.h"
#include "sg_err.h"
#include "sg_record.h"

#define SG_WAIVER_FILE_MAX_BYTES ((size_t)4 << 20)
#define SG_WAIVER_MAX_ENTRIES 10000

struct sg_waiver {
	char *policy_id;
	char *group_id;
	char *account_id;   /* NULL = any */
	char *region;       /* NULL = any */
	/* optional rule selector */
	bool has_direction;
	enum sg_direction direction;
	bool has_protocol;
	int protocol;       /* SG_PROTO_ALL or 0..255 */
	bool has_from, has_to;
	int from_port, to_port;   /* compared with the finding's normalized ports */
	char *source;       /* as written; NULL = any */
	bool source_is_cidr;
	struct sg_cidr source_cidr;
	/* accountability */
	char *reason;
	char *owner;
	char *ticket;
	char *expires_text; /* as written */
	time_t expires;     /* first second AFTER the waiver stops working */
	char *label;        /* "waivers.json entry 3 (ticket SEC-12)" */
};

struct sg_waiver_set {
	struct sg_waiver *items;
	size_t n;
	char *path;
};

/* Parse a waiver file's bytes; `name` names it in errors. *out on success. */
enum sg_status sg_waiver_set_parse(const char *name, const char *data, size_t len,
                                   struct sg_waiver_set **out,
                                   struct sg_error *err) SG_MUST_USE;
/* Read and parse a file (capped at SG_WAIVER_FILE_MAX_BYTES). */
enum sg_status sg_waiver_set_load(const char *path, struct sg_waiver_set **out,
                                  struct sg_error *err) SG_MUST_USE;
void sg_waiver_set_free(struct sg_waiver_set *ws);

/* Live at `now`: now < expires. */
bool sg_waiver_is_live(const struct sg_waiver *w, time_t now);

/*
 * Whether waiver w names this rule of this group for this policy. rule may
 * be NULL for a group-level finding (then only a waiver without a Rule
 * selector matches). source_text is the finding's source ("0.0.0.0/0",
 * "pl-…", "sg-…"): CIDRs compare parsed, anything else as text.
 */
bool sg_waiver_matches(const struct sg_waiver *w, const char *policy_id,
                       const struct sg_group *g, const struct sg_rule *rule);

#endif
