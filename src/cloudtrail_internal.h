/*
 * cloudtrail_internal.h — what src/cloudtrail*.c share and nobody else sees:
 * the scan object and the cJSON-facing record entry point. cJSON stays out
 * of the public header (sg_cloudtrail.h).
 */
#ifndef SG_CLOUDTRAIL_INTERNAL_H
#define SG_CLOUDTRAIL_INTERNAL_H

#include <cjson/cJSON.h>

#include "sg_cloudtrail.h"

/*
 * eventIDs of the security-group events already seen in this run, kept as
 * the first 128 bits of their SHA-256 (16 bytes a slot, no per-id
 * allocation; a collision would need 2^64 ids, and a crafted one a SHA-256
 * preimage). Only the six events are kept, so the set grows with the
 * number of security-group changes, not with the number of files.
 */
struct ct_id {
	uint64_t a;        /* 0 in both halves = empty slot */
	uint64_t b;
};

struct ct_idset {
	struct ct_id *slots;
	size_t n;
	size_t cap;        /* power of two */
};

struct ct_src {
	enum sg_source_kind kind;
	struct sg_cidr cidr;       /* SG_SRC_CIDR4 / SG_SRC_CIDR6 */
	const char *prefix_list;   /* SG_SRC_PREFIX_LIST; borrowed from the record tree */
};

struct ct_perm {
	int index;
	const char *direction;     /* "ingress", "egress", "unknown" */
	const char *protocol_raw;  /* borrowed */
	struct sg_rule rule;       /* protocol, ports (normalized) — no owned strings */
	size_t src_first;
	size_t n_src;
};

struct sg_ct_scan {
	struct sg_ct_options o;
	struct sg_ct_stats st;
	struct ct_idset ids;
	/*
	 * Rule ids (sgr-…) that Authorize responses of this run created, by
	 * direction: ModifySecurityGroupRules names a rule by id only, and these
	 * say whether it is ingress or egress when its creation was seen.
	 */
	struct ct_idset rules_ingress;
	struct ct_idset rules_egress;
	bool incomplete;
	/* Per-file warning throttle (reset by the file reader). */
	unsigned file_warnings;
	unsigned file_warnings_dropped;
	/* Scratch reused across records. */
	struct ct_perm *perms;
	size_t n_perms, perms_cap;
	struct ct_src *srcs;
	size_t n_srcs, srcs_cap;
	const struct sg_cidr **cidr_ptrs;
};

/*
 * Score one parsed record. raw/raw_len is the record's own JSON text (the
 * seed-compatible mode searches it); origin and index (-1 = none) name it
 * in warnings and alerts.
 */
enum sg_status sg_ct_scan_record(struct sg_ct_scan *s, const cJSON *rec, const char *raw,
                                 size_t raw_len, const char *origin, long index,
                                 struct sg_error *err) SG_MUST_USE;

/* Report a problem with the input (throttled per file) and count nothing. */
void sg_ct_warnf(struct sg_ct_scan *s, const char *fmt, ...) SG_PRINTF(2, 3);

/* Copy s into out (cap bytes) with control characters replaced, cut at 80 bytes. */
void sg_ct_sanitize(const char *s, char *out, size_t cap);

/*
 * Find the end of the JSON value starting at p (structure only: strings
 * with escapes, brackets to any depth, no recursion). Returns the end, or
 * NULL if the value does not end before `end`; *max_depth gets the deepest
 * nesting seen.
 */
const char *sg_ct_skip_value(const char *p, const char *end, size_t *max_depth);

#endif
