/*
 * sg_cidr.h — IPv4/IPv6 CIDRs parsed, validated and canonicalized.
 *
 * "The internet" is decided on parsed values, never by string comparison:
 * 0.0.0.0/0, ::/0, and spellings like 0.0.0.0/00 or ::0/0 all parse to the
 * same thing. Shared by the EC2 parser, the policy engine and CloudTrail scoring.
 */
#ifndef SG_CIDR_H
#define SG_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"

struct sg_cidr {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefix;   /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network address, host bits cleared; IPv4 in addr[0..3] */
	bool had_host_bits; /* the text had bits set past the prefix (canonicalized away) */
};

/* Longest canonical text: IPv6 (45) + "/128" + NUL. */
#define SG_CIDR_TEXT_MAX 50

/*
 * Parse "a.b.c.d/n" or an IPv6 "x::y/n" (family 0 = either, 4 or 6 = only
 * that one). A bare address without "/n" is rejected: AWS always sends the
 * prefix. Returns false on anything malformed (range, characters, length).
 */
bool sg_cidr_parse(struct sg_str text, int family, struct sg_cidr *out);

/* Canonical text (inet_ntop form) into buf of SG_CIDR_TEXT_MAX bytes. */
void sg_cidr_format(const struct sg_cidr *c, char *buf, size_t cap);

/* 0.0.0.0/0 or ::/0. */
bool sg_cidr_is_internet(const struct sg_cidr *c);

/*
 * A public address range: not RFC 1918, loopback, link-local, CGNAT
 * (100.64/10), multicast, reserved, documentation, benchmarking; for IPv6 not
 * ULA (fc00::/7), link-local, loopback, multicast, documentation. A CIDR that
 * straddles private space (e.g. 0.0.0.0/1) counts as public.
 */
bool sg_cidr_is_public(const struct sg_cidr *c);

/* a contains b (same family, a's prefix <= b's, b's network inside a). */
bool sg_cidr_contains(const struct sg_cidr *a, const struct sg_cidr *b);

/*
 * Whether the union of n CIDRs of `family` covers the whole address space
 * (e.g. 0.0.0.0/1 + 128.0.0.0/1). CIDRs of the other family are ignored.
 * Runs in O(n log n); allocates a scratch copy (returns false on ENOMEM).
 */
bool sg_cidr_union_covers_all(const struct sg_cidr *const *cidrs, size_t n, int family);

#endif
