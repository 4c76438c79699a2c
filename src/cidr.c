/* cidr.c — parse, canonicalize and reason about IPv4/IPv6 CIDRs. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_cidr.h"
#include "sg_util.h"

static void
clear_host_bits(struct sg_cidr *c)
{
	unsigned nbytes = c->family == 4 ? 4 : 16, i;
	bool had = false;

	for (i = 0; i < nbytes; i++) {
		unsigned bit0 = i * 8;
		uint8_t keep;
		if (bit0 >= c->prefix)
			keep = 0;
		else if (bit0 + 8 <= c->prefix)
			keep = 0xff;
		else
			keep = (uint8_t)(0xff << (8 - (c->prefix - bit0)));
		if (c->addr[i] & (uint8_t)~keep)
			had = true;
		c->addr[i] &= keep;
	}
	c->had_host_bits = had;
}

/*
 * "a.b.c.d/n" in one pass. The address exactly as inet_pton(AF_INET) takes
 * it: four decimal octets 0..255, no leading zeros ("010" is refused),
 * nothing else (tests/test_record.c compares the two); the prefix 1 to 3
 * digits, leading zeros allowed, at most 32. Written out because the parser
 * meets one per IPv4 rule, and inet_pton wants a NUL-terminated copy.
 */
static bool
parse_ipv4_cidr(const char *p, size_t n, struct sg_cidr *out)
{
	uint32_t addr = 0, mask;
	unsigned octet = 0, octets = 0, digits = 0, prefix = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch >= '0' && ch <= '9') {
			if (digits > 0 && octet == 0)
				return false; /* a leading zero */
			octet = octet * 10 + (unsigned)(ch - '0');
			if (octet > 255)
				return false;
			digits++;
		} else if (ch == '.' || ch == '/') {
			if (digits == 0 || (ch == '.') != (octets < 3))
				return false;
			addr = addr << 8 | octet;
			octet = digits = 0;
			if (++octets == 4)
				break;
		} else {
			return false;
		}
	}
	/* The prefix: what follows the '/'. */
	if (octets != 4 || n - ++i == 0 || n - i > 3)
		return false;
	for (; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch < '0' || ch > '9')
			return false;
		prefix = prefix * 10 + (unsigned)(ch - '0');
	}
	if (prefix > 32)
		return false;
	mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
	memset(out, 0, sizeof(*out));
	out->family = 4;
	out->prefix = (uint8_t)prefix;
	out->had_host_bits = (addr & ~mask) != 0;
	addr &= mask;
	out->addr[0] = (uint8_t)(addr >> 24);
	out->addr[1] = (uint8_t)(addr >> 16);
	out->addr[2] = (uint8_t)(addr >> 8);
	out->addr[3] = (uint8_t)addr;
	return true;
}

bool
sg_cidr_parse(struct sg_str text, int family, struct sg_cidr *out)
{
	char addr[64];
	const char *slash;
	struct sg_cidr c;
	long prefix;
	size_t alen;

	if (text.len == 0 || text.len >= sizeof(addr) + 5)
		return false;
	if (family != 6 && parse_ipv4_cidr(text.p, text.len, out))
		return true;
	/* IPv4 is decided above: what is left is IPv6 or nothing. */
	if (family == 4)
		return false;
	slash = memchr(text.p, '/', text.len);
	if (slash == NULL)
		return false;
	alen = (size_t)(slash - text.p);
	if (alen == 0 || alen >= sizeof(addr))
		return false;
	memset(&c, 0, sizeof(c));
	memcpy(addr, text.p, alen);
	addr[alen] = '\0';
	if (strchr(addr, ':') == NULL || inet_pton(AF_INET6, addr, c.addr) != 1)
		return false;
	c.family = 6;
	{
		struct sg_str ps = { slash + 1, text.len - alen - 1 };
		if (ps.len == 0 || ps.len > 3 || ps.p[0] == '-')
			return false;
		if (!sg_parse_long(ps, 0, 128, &prefix))
			return false;
	}
	c.prefix = (uint8_t)prefix;
	clear_host_bits(&c);
	*out = c;
	return true;
}

void
sg_cidr_format(const struct sg_cidr *c, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';
	snprintf(buf, cap, "%s/%u", a, (unsigned)c->prefix);
}

bool
sg_cidr_is_internet(const struct sg_cidr *c)
{
	return (c->family == 4 || c->family == 6) && c->prefix == 0;
}

bool
sg_cidr_contains(const struct sg_cidr *a, const struct sg_cidr *b)
{
	struct sg_cidr t;

	if (a->family != b->family || a->prefix > b->prefix)
		return false;
	t = *b;
	t.prefix = a->prefix;
	clear_host_bits(&t);
	return memcmp(t.addr, a->addr, a->family == 4 ? 4 : 16) == 0;
}

/* IANA special-purpose ranges that are not public internet space. */
static const char *const special4[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24",
	"192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/4", "240.0.0.0/4",
};
static const char *const special6[] = {
	"::/128", "::1/128", "::ffff:0:0/96", "100::/64", "2001:db8::/32",
	"fc00::/7", "fe80::/10", "ff00::/8",
};

#define N_SPECIAL4 (sizeof(special4) / sizeof(special4[0]))
#define N_SPECIAL6 (sizeof(special6) / sizeof(special6[0]))

/* Parsed once: the public check runs per rule on million-rule accounts. */
static struct sg_cidr parsed4[N_SPECIAL4], parsed6[N_SPECIAL6], gua6;
static pthread_once_t parsed_once = PTHREAD_ONCE_INIT;

static void
parse_specials(void)
{
	size_t i;

	for (i = 0; i < N_SPECIAL4; i++)
		(void)sg_cidr_parse(sg_str_from(special4[i]), 4, &parsed4[i]);
	for (i = 0; i < N_SPECIAL6; i++)
		(void)sg_cidr_parse(sg_str_from(special6[i]), 6, &parsed6[i]);
	(void)sg_cidr_parse(sg_str_from("2000::/3"), 6, &gua6);
}

static bool
within_any(const struct sg_cidr *c, const struct sg_cidr *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sg_cidr_contains(&list[i], c))
			return true;
	return false;
}

bool
sg_cidr_is_public(const struct sg_cidr *c)
{
	pthread_once(&parsed_once, parse_specials);
	if (c->family == 4)
		return !within_any(c, parsed4, N_SPECIAL4);
	if (c->family == 6) {
		/* Only 2000::/3 is allocated global unicast; a CIDR must reach into it. */
		if (!sg_cidr_contains(&gua6, c) && !sg_cidr_contains(c, &gua6))
			return false;
		return !within_any(c, parsed6, N_SPECIAL6);
	}
	return false;
}

/* An address interval [lo, hi] as big-endian bytes, so memcmp orders them. */
struct span {
	uint8_t lo[16];
	uint8_t hi[16];
};

static int
span_cmp(const void *a, const void *b)
{
	return memcmp(((const struct span *)a)->lo, ((const struct span *)b)->lo, 16);
}

/* x + 1 into out; returns false on overflow (x was all ones). */
static bool
plus_one(const uint8_t x[16], uint8_t out[16])
{
	int i;

	memcpy(out, x, 16);
	for (i = 15; i >= 0; i--) {
		if (out[i] != 0xff) {
			out[i]++;
			return true;
		}
		out[i] = 0;
	}
	return false;
}

bool
sg_cidr_union_covers_all(const struct sg_cidr *const *cidrs, size_t n, int family)
{
	struct span *s;
	size_t i, m = 0;
	unsigned nbytes = family == 4 ? 4 : 16, bits = family == 4 ? 32 : 128;
	uint8_t reach[16], next[16], zero[16] = { 0 };
	bool covered = false, have = false;

	if (n == 0)
		return false;
	s = calloc(n, sizeof(*s));
	if (s == NULL)
		return false;
	for (i = 0; i < n; i++) {
		const struct sg_cidr *c = cidrs[i];
		unsigned b;
		if (c == NULL || c->family != family)
			continue;
		/* Right-align into 16 bytes so IPv4 works with the same code. */
		memcpy(s[m].lo + (16 - nbytes), c->addr, nbytes);
		memcpy(s[m].hi, s[m].lo, 16);
		for (b = c->prefix; b < bits; b++) {
			unsigned bit = (128 - bits) + b;
			s[m].hi[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		}
		m++;
	}
	qsort(s, m, sizeof(*s), span_cmp);
	/* Sweep: the union must start at 0 and leave no gap up to the top. */
	for (i = 0; i < m; i++) {
		if (!have) {
			if (memcmp(s[i].lo, zero, 16) != 0)
				break;
			memcpy(reach, s[i].hi, 16);
			have = true;
		} else {
			if (plus_one(reach, next) && memcmp(s[i].lo, next, 16) > 0)
				break;
			if (memcmp(s[i].hi, reach, 16) > 0)
				memcpy(reach, s[i].hi, 16);
		}
	}
	if (have) {
		/* Top of the family's space: all ones in its low `bits`. */
		uint8_t top[16];
		memset(top, 0, 16);
		memset(top + (16 - nbytes), 0xff, nbytes);
		covered = memcmp(reach, top, 16) >= 0;
	}
	free(s);
	return covered;
}
