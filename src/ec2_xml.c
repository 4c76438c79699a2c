/*
 * ec2_xml.c — streaming parsers for EC2 XML responses (see sg_ec2.h).
 *
 * One small engine serves the three responses. The shape of each is a table
 * of edges (parent state, child local name) -> (child state, field); the
 * engine keeps a stack of frames as libxml2's reader walks the document, so
 * a name is only ever looked up among the children its parent may have.
 * Element names are compared as pointers: the reader interns every name in
 * its dictionary, and an edge remembers the reader's pointer for its name
 * the first time an element of that name comes under its parent
 * (learn_name).
 *
 * Objects (a group, a permission, a source, a tag, a region, an entry) begin
 * when their element opens and are finished when it closes, because EC2 does
 * not promise element order: a permission's <ipProtocol> may come after its
 * <ipRanges>, so its rules are built only at </item>.
 *
 * A scalar (an element that holds text) is mostly whole in the reader's tree
 * by the time its start is read, because libxml2's parser runs ahead of the
 * reader: its value is then stored from the text node at once, and the walk
 * steps over its text and end (whole_text, on_scalar). Otherwise its text is
 * collected node by node and stored at its end.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlreader.h>

#include "sg_buf.h"
#include "sg_ec2.h"
#include "sg_util.h"

#define EC2_NS_PREFIX "http://ec2.amazonaws.com/doc/"
/* The prolog (XML declaration, comments, PIs) is checked before libxml2 runs. */
#define PROLOG_MAX ((size_t)64 << 10)

enum kind { K_GROUPS, K_REGIONS, K_PLE, K_ENI, K_MPL };

enum st {
	ST_SKIP = 0, /* an unknown element and everything under it */
	ST_TEXT,     /* a scalar element: collect its text */
	ST_DOC,      /* before the root */
	ST_DSG_ROOT,
	ST_SGINFO,
	ST_GROUP,
	ST_PERMS_IN,
	ST_PERMS_EG,
	ST_PERM,
	ST_PAIRS,
	ST_PAIR,
	ST_V4S,
	ST_V4,
	ST_V6S,
	ST_V6,
	ST_PLS,
	ST_PL,
	ST_TAGS,
	ST_TAG,
	ST_DR_ROOT,
	ST_RINFO,
	ST_REGION,
	ST_PLE_ROOT,
	ST_ENTRIES,
	ST_ENTRY,
	ST_ENI_ROOT,
	ST_ENIS,
	ST_ENI,
	ST_ENI_GROUPS,
	ST_ENI_GROUP,
	ST_MPL_ROOT,
	ST_MPLS,
	ST_MPL,
	ST_COUNT
};

enum fld {
	F_NONE = 0,
	F_REQUEST_ID,
	F_NEXT_TOKEN,
	F_G_OWNER,
	F_G_ID,
	F_G_NAME,
	F_G_DESC,
	F_G_VPC,
	F_G_ARN,
	F_P_PROTO,
	F_P_FROM,
	F_P_TO,
	F_PAIR_USER,
	F_PAIR_GID,
	F_PAIR_GNAME,
	F_PAIR_VPC,
	F_PAIR_PCX,
	F_PAIR_PSTATUS,
	F_SRC_DESC,
	F_V4_CIDR,
	F_V6_CIDR,
	F_PL_ID,
	F_TAG_KEY,
	F_TAG_VALUE,
	F_R_NAME,
	F_R_ENDPOINT,
	F_R_OPTIN,
	F_E_CIDR,
	F_ENI_GROUP_ID,
	F_MPL_ID,
	F_MPL_NAME
};

struct edge {
	enum st parent;
	const char *name;
	enum st child;
	enum fld fld;
};

/*
 * The response shapes (aws-protocol.md §3.2, §3.3; botocore's ec2 model),
 * each parent's children in the order EC2 sends them (see on_element's hint).
 */
static const struct edge edges[] = {
	{ ST_DSG_ROOT, "requestId", ST_TEXT, F_REQUEST_ID },
	{ ST_DSG_ROOT, "securityGroupInfo", ST_SGINFO, F_NONE },
	{ ST_DSG_ROOT, "nextToken", ST_TEXT, F_NEXT_TOKEN },
	{ ST_SGINFO, "item", ST_GROUP, F_NONE },
	{ ST_GROUP, "ownerId", ST_TEXT, F_G_OWNER },
	{ ST_GROUP, "groupId", ST_TEXT, F_G_ID },
	{ ST_GROUP, "groupName", ST_TEXT, F_G_NAME },
	{ ST_GROUP, "groupDescription", ST_TEXT, F_G_DESC },
	{ ST_GROUP, "vpcId", ST_TEXT, F_G_VPC },
	{ ST_GROUP, "ipPermissions", ST_PERMS_IN, F_NONE },
	{ ST_GROUP, "ipPermissionsEgress", ST_PERMS_EG, F_NONE },
	{ ST_GROUP, "tagSet", ST_TAGS, F_NONE },
	{ ST_GROUP, "securityGroupArn", ST_TEXT, F_G_ARN },
	{ ST_PERMS_IN, "item", ST_PERM, F_NONE },
	{ ST_PERMS_EG, "item", ST_PERM, F_NONE },
	{ ST_PERM, "ipProtocol", ST_TEXT, F_P_PROTO },
	{ ST_PERM, "fromPort", ST_TEXT, F_P_FROM },
	{ ST_PERM, "toPort", ST_TEXT, F_P_TO },
	{ ST_PERM, "groups", ST_PAIRS, F_NONE },
	{ ST_PERM, "ipRanges", ST_V4S, F_NONE },
	{ ST_PERM, "ipv6Ranges", ST_V6S, F_NONE },
	{ ST_PERM, "prefixListIds", ST_PLS, F_NONE },
	{ ST_PAIRS, "item", ST_PAIR, F_NONE },
	{ ST_PAIR, "userId", ST_TEXT, F_PAIR_USER },
	{ ST_PAIR, "groupId", ST_TEXT, F_PAIR_GID },
	{ ST_PAIR, "groupName", ST_TEXT, F_PAIR_GNAME },
	{ ST_PAIR, "vpcId", ST_TEXT, F_PAIR_VPC },
	{ ST_PAIR, "vpcPeeringConnectionId", ST_TEXT, F_PAIR_PCX },
	{ ST_PAIR, "peeringStatus", ST_TEXT, F_PAIR_PSTATUS },
	{ ST_PAIR, "description", ST_TEXT, F_SRC_DESC },
	{ ST_V4S, "item", ST_V4, F_NONE },
	{ ST_V4, "cidrIp", ST_TEXT, F_V4_CIDR },
	{ ST_V4, "description", ST_TEXT, F_SRC_DESC },
	{ ST_V6S, "item", ST_V6, F_NONE },
	{ ST_V6, "cidrIpv6", ST_TEXT, F_V6_CIDR },
	{ ST_V6, "description", ST_TEXT, F_SRC_DESC },
	{ ST_PLS, "item", ST_PL, F_NONE },
	{ ST_PL, "prefixListId", ST_TEXT, F_PL_ID },
	{ ST_PL, "description", ST_TEXT, F_SRC_DESC },
	{ ST_TAGS, "item", ST_TAG, F_NONE },
	{ ST_TAG, "key", ST_TEXT, F_TAG_KEY },
	{ ST_TAG, "value", ST_TEXT, F_TAG_VALUE },
	{ ST_DR_ROOT, "requestId", ST_TEXT, F_REQUEST_ID },
	{ ST_DR_ROOT, "regionInfo", ST_RINFO, F_NONE },
	{ ST_RINFO, "item", ST_REGION, F_NONE },
	{ ST_REGION, "regionName", ST_TEXT, F_R_NAME },
	{ ST_REGION, "regionEndpoint", ST_TEXT, F_R_ENDPOINT },
	{ ST_REGION, "optInStatus", ST_TEXT, F_R_OPTIN },
	{ ST_PLE_ROOT, "requestId", ST_TEXT, F_REQUEST_ID },
	{ ST_PLE_ROOT, "nextToken", ST_TEXT, F_NEXT_TOKEN },
	{ ST_PLE_ROOT, "entrySet", ST_ENTRIES, F_NONE },
	{ ST_ENTRIES, "item", ST_ENTRY, F_NONE },
	{ ST_ENTRY, "cidr", ST_TEXT, F_E_CIDR },
	{ ST_ENTRY, "description", ST_TEXT, F_SRC_DESC },
	{ ST_ENI_ROOT, "requestId", ST_TEXT, F_REQUEST_ID },
	{ ST_ENI_ROOT, "nextToken", ST_TEXT, F_NEXT_TOKEN },
	{ ST_ENI_ROOT, "networkInterfaceSet", ST_ENIS, F_NONE },
	{ ST_ENIS, "item", ST_ENI, F_NONE },
	{ ST_ENI, "groupSet", ST_ENI_GROUPS, F_NONE },
	{ ST_ENI_GROUPS, "item", ST_ENI_GROUP, F_NONE },
	{ ST_ENI_GROUP, "groupId", ST_TEXT, F_ENI_GROUP_ID },
	{ ST_MPL_ROOT, "requestId", ST_TEXT, F_REQUEST_ID },
	{ ST_MPL_ROOT, "nextToken", ST_TEXT, F_NEXT_TOKEN },
	{ ST_MPL_ROOT, "prefixListSet", ST_MPLS, F_NONE },
	{ ST_MPLS, "item", ST_MPL, F_NONE },
	{ ST_MPL, "prefixListId", ST_TEXT, F_MPL_ID },
	{ ST_MPL, "prefixListName", ST_TEXT, F_MPL_NAME },
};
#define N_EDGES (sizeof(edges) / sizeof(edges[0]))

static const struct {
	const char *root;
	const char *action;
	enum st st;
} kinds[] = {
	[K_GROUPS] = { "DescribeSecurityGroupsResponse", "DescribeSecurityGroups", ST_DSG_ROOT },
	[K_REGIONS] = { "DescribeRegionsResponse", "DescribeRegions", ST_DR_ROOT },
	[K_PLE] = { "GetManagedPrefixListEntriesResponse", "GetManagedPrefixListEntries",
	    ST_PLE_ROOT },
	[K_ENI] = { "DescribeNetworkInterfacesResponse", "DescribeNetworkInterfaces",
	    ST_ENI_ROOT },
	[K_MPL] = { "DescribeManagedPrefixListsResponse", "DescribeManagedPrefixLists",
	    ST_MPL_ROOT },
};

struct frame {
	enum st st;
	enum fld fld;
	const xmlChar *name; /* interned local name, for messages */
	const void *node;    /* the reader's node for it: its end comes on the same node */
};

struct pending_tag {
	const char *key;   /* in the inventory's arena */
	const char *value;
	bool has_key, has_value;
};

struct ctx {
	enum kind kind;
	const struct sg_ec2_where *where;
	struct sg_error *err;
	enum sg_status status;
	xmlTextReaderPtr reader;
	const xmlChar *iname[N_EDGES]; /* edges[i].name as the reader interned it; NULL until met */
	unsigned short first[ST_COUNT], last[ST_COUNT]; /* edge index range per parent */
	unsigned short hint[ST_COUNT]; /* per parent: the edge to try first */

	struct frame stack[SG_EC2_MAX_DEPTH + 1];
	int depth; /* frames in use */
	bool root_seen;

	/* Text of the scalar element being read node by node (on_text). */
	char *text;
	size_t text_len, text_cap;
	/* The value set_field stores: that text, or a text node's own content (on_scalar). */
	const char *val;
	size_t val_len;
	/* Reads the walk steps over unseen: the text and end of a scalar on_scalar stored. */
	int steps;

	/* Results. */
	char *next_token;
	char request_id[96];
	bool has_next_token, has_request_id;

	/* K_GROUPS */
	struct sg_inventory *inv;
	const char *region_name; /* where->region in inv's arena, once per page */
	struct sg_group g;       /* the group being read; moved into inv at </item> */
	size_t tags_cap;
	struct pending_tag tag;
	enum sg_direction dir;
	/* the permission being read */
	bool in_perm;
	char proto[32];      /* <ipProtocol> ("tcp", "-1", "58"); longer is never a protocol */
	size_t proto_len;
	bool has_proto;
	bool has_from, has_to;
	long from, to;
	/*
	 * The group's rules are collected in a scratch array reused from group
	 * to group, and handed to the group at </item> in one allocation of the
	 * exact size: growing each group's array by doubling would ask malloc
	 * for >1 KiB blocks over and over, and glibc answers those by
	 * consolidating its fast bins, full of libxml2's freed nodes (measured:
	 * it slowed libxml2 itself).
	 */
	struct sg_rule *scratch;
	size_t n_scratch, scratch_cap;
	size_t perm_first;    /* the permission's rules are scratch[perm_first..]:
	                       * sources first, protocol and ports at </item> */
	bool src_has_value;   /* the current source has its cidr/id */
	size_t groups, perms, rules;

	/* K_REGIONS */
	struct sg_ec2_region_list *regions;
	struct sg_ec2_region region;

	/* K_PLE */
	struct sg_cidr *entries;
	size_t n_entries, entries_cap;
	bool entry_has_cidr;

	/* K_ENI */
	struct sg_ec2_eni_page *eni;
	size_t eni_cap;
	bool eni_has_group;

	/* K_MPL */
	struct sg_ec2_pl_names *mpl;
	size_t mpl_cap;
	struct sg_ec2_pl_name cur_pl;

	/* libxml2's first error */
	char xml_msg[256];
	int xml_line;
	bool xml_failed;
	/* stream input */
	bool over_cap;
	size_t bytes;
};

/* ---- messages ---------------------------------------------------------- */

/* Quote untrusted text for a message: at most 60 bytes, controls as '?'. */
static void
quote(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0, lim = n > 60 ? 60 : n;

	if (lim < n) /* do not cut a UTF-8 sequence */
		while (lim > 0 && ((unsigned char)s[lim] & 0xC0) == 0x80)
			lim--;
	for (i = 0; i < lim && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (lim < n && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int
line_no(struct ctx *c)
{
	xmlNodePtr n;
	long line;

	/* The node's own line: the parser's position runs ahead of the reader. */
	if (c->reader == NULL || (n = xmlTextReaderCurrentNode(c->reader)) == NULL)
		return 0;
	line = xmlGetLineNo(n);
	/* Past 65534 libxml2 only knows "65535 or more": say nothing rather than mislead. */
	return line > 0 && line < 65535 ? (int)line : 0;
}

/*
 * Error paths are kept out of line (COLD): their message buffers would
 * otherwise give every hot function they are inlined into a stack canary
 * to check on each element.
 */
#define COLD __attribute__((cold, noinline))

/* Set the first error, prefixed with "region Action page N: ". */
static enum sg_status fail(struct ctx *c, enum sg_status st, const char *fmt, ...)
    SG_PRINTF(3, 4) COLD;
static enum sg_status
fail(struct ctx *c, enum sg_status st, const char *fmt, ...)
{
	char msg[512], pre[200];
	const struct sg_ec2_where *w = c->where;
	int line;
	va_list ap;

	if (c->status != SG_OK)
		return c->status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(pre, sizeof(pre), "%s%s%s%s%s", w->region ? w->region : "",
	    w->region ? " " : "", kinds[c->kind].action, w->detail ? " " : "",
	    w->detail ? w->detail : "");
	line = line_no(c);
	if (w->page > 0 && line > 0)
		sg_err_set(c->err, st, "%s page %u: %s (line %d)", pre, w->page, msg, line);
	else if (w->page > 0)
		sg_err_set(c->err, st, "%s page %u: %s", pre, w->page, msg);
	else if (line > 0)
		sg_err_set(c->err, st, "%s: %s (line %d)", pre, msg, line);
	else
		sg_err_set(c->err, st, "%s: %s", pre, msg);
	c->status = st;
	return st;
}

static void
on_xml_error(void *arg, xmlErrorPtr e)
{
	struct ctx *c = arg;
	size_t n;

	if (e == NULL || e->level < XML_ERR_ERROR || c->xml_failed)
		return;
	c->xml_failed = true;
	c->xml_line = e->line;
	snprintf(c->xml_msg, sizeof(c->xml_msg), "%s", e->message ? e->message : "unknown error");
	/* libxml2 messages end in a newline and may add a "Bytes: ..." line. */
	for (n = 0; c->xml_msg[n]; n++)
		if (c->xml_msg[n] == '\n') {
			c->xml_msg[n] = '\0';
			break;
		}
	while (n > 0 && (c->xml_msg[n - 1] == ' ' || c->xml_msg[n - 1] == '!'))
		c->xml_msg[--n] = '\0';
}

/* ---- the prolog check (before libxml2 sees anything) --------------------- */

static bool
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static const char *
find(const char *p, const char *end, const char *needle)
{
	size_t nl = strlen(needle);

	while ((size_t)(end - p) >= nl) {
		const char *q = memchr(p, needle[0], (size_t)(end - p - (ptrdiff_t)nl + 1));
		if (q == NULL)
			return NULL;
		if (memcmp(q, needle, nl) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

/* The encoding named by an XML declaration must be UTF-8 (or absent). */
static enum sg_status
check_xml_decl(struct ctx *c, const char *p, const char *end)
{
	const char *e = find(p, end, "encoding");
	char enc[32], q[80];
	size_t n = 0;
	char quo;

	if (e == NULL)
		return SG_OK;
	e += 8;
	while (e < end && is_ws(*e))
		e++;
	if (e >= end || *e != '=')
		return SG_OK; /* libxml2 will call the declaration malformed */
	e++;
	while (e < end && is_ws(*e))
		e++;
	if (e >= end || (*e != '"' && *e != '\''))
		return SG_OK;
	quo = *e++;
	while (e + n < end && e[n] != quo && n < sizeof(enc) - 1)
		n++;
	memcpy(enc, e, n);
	enc[n] = '\0';
	if (strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF8") == 0)
		return SG_OK;
	quote(enc, n, q, sizeof(q));
	return fail(c, SG_EPARSE, "XML declares encoding '%s'; EC2 responses are UTF-8", q);
}

/*
 * Walk the prolog: an optional UTF-8 byte order mark, the XML declaration,
 * comments, processing instructions and white space, up to the first element.
 * A DOCTYPE there is refused (entity declarations are how billion-laughs and
 * external-entity attacks arrive; EC2 never sends one). *complete is false
 * when the prolog runs past the bytes given (stream input: read more).
 * `more` says more bytes may follow (a stream not at its end and under
 * PROLOG_MAX): nothing is then judged on what the next bytes could change,
 * so a page gets the same answer however its bytes were split.
 */
static enum sg_status
check_prolog(struct ctx *c, const char *buf, size_t len, bool more, bool *complete)
{
	const char *p = buf, *end = buf + len, *q;

	*complete = false;
	/* A byte order mark cut short by a read is not yet "not XML". */
	if (more && len < 3 && memcmp(p, "\xEF\xBB\xBF", len) == 0)
		return SG_OK;
	if (more && len < 2 && (p[0] == '\xFE' || p[0] == '\xFF'))
		return SG_OK;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	else if (len >= 2 && (memcmp(p, "\xFE\xFF", 2) == 0 || memcmp(p, "\xFF\xFE", 2) == 0))
		return fail(c, SG_EPARSE, "the response is UTF-16; EC2 responses are UTF-8");
	for (;;) {
		while (p < end && is_ws(*p))
			p++;
		if (p == end)
			return SG_OK;
		if (*p != '<')
			return fail(c, SG_EPARSE, "the response is not XML (it does not start with '<')");
		if (end - p < 9)
			return SG_OK; /* too short to decide; libxml2 or more bytes will */
		if (p[1] == '\0')
			return fail(c, SG_EPARSE, "the response is UTF-16/32; EC2 responses are UTF-8");
		if (p[1] == '?') {
			q = find(p, end, "?>");
			if (q == NULL)
				return SG_OK;
			if (p == buf || (p == buf + 3 && buf[0] == '\xEF')) {
				if (check_xml_decl(c, p, q) != SG_OK)
					return c->status;
			}
			p = q + 2;
		} else if (memcmp(p, "<!--", 4) == 0) {
			q = find(p + 4, end, "-->");
			if (q == NULL)
				return SG_OK;
			p = q + 3;
		} else if (memcmp(p, "<!DOCTYPE", 9) == 0 || memcmp(p, "<!doctype", 9) == 0) {
			bool ent = find(p, end, "<!ENTITY") != NULL;
			/*
			 * Refused either way; the message says whether it declares
			 * entities, so read on as far as memory input is looked at.
			 */
			if (!ent && more)
				return SG_OK;
			return fail(c, SG_EPARSE, "a DOCTYPE%s is not allowed in an EC2 response "
			    "(DTDs and entities are refused)",
			    ent ? " with entity declarations" : "");
		} else {
			*complete = true;
			return SG_OK;
		}
	}
}

/* ---- object lifetimes ---------------------------------------------------- */

static void
perm_reset(struct ctx *c)
{
	c->has_proto = false;
	c->proto_len = 0;
	c->has_from = c->has_to = false;
	c->from = c->to = 0;
	c->in_perm = false;
}

/* The scratch rules' strings are in the inventory's arena: nothing to free. */
static void
scratch_reset(struct ctx *c)
{
	c->n_scratch = 0;
}

static void
tag_reset(struct pending_tag *t)
{
	memset(t, 0, sizeof(*t));
}

static void
region_reset(struct sg_ec2_region *r)
{
	free(r->name);
	free(r->endpoint);
	free(r->opt_in_status);
	memset(r, 0, sizeof(*r));
}

static void
ctx_dispose(struct ctx *c)
{
	perm_reset(c);
	scratch_reset(c);
	free(c->scratch);
	tag_reset(&c->tag);
	sg_group_dispose(&c->g);
	region_reset(&c->region);
	free(c->cur_pl.id);
	free(c->cur_pl.name);
	free(c->entries);
	free(c->text);
	free(c->next_token);
	if (c->reader)
		xmlFreeTextReader(c->reader);
}

/* ---- values -------------------------------------------------------------- */

static const struct sg_rule zero_rule;

/* The element's text without surrounding ASCII white space (for numbers, CIDRs). */
static struct sg_str
trimmed(const struct ctx *c)
{
	struct sg_str s = { c->val, c->val_len };

	while (s.len && is_ws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_ws(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* The text into a malloc'd string: for what outlives the inventory (tokens, regions, ...). */
static enum sg_status
dup_text(struct ctx *c, char **slot, const xmlChar *name)
{
	if (*slot != NULL)
		return fail(c, SG_EPARSE, "<%s> appears twice in one object", (const char *)name);
	*slot = malloc(c->val_len + 1);
	if (*slot == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	memcpy(*slot, c->val, c->val_len);
	(*slot)[c->val_len] = '\0';
	return SG_OK;
}

/* The text into the inventory's arena: for the strings of groups, rules and tags. */
static enum sg_status
keep_text(struct ctx *c, const char **slot, const xmlChar *name)
{
	if (*slot != NULL)
		return fail(c, SG_EPARSE, "<%s> appears twice in one object", (const char *)name);
	if ((*slot = sg_arena_strndup(&c->inv->strings, c->val, c->val_len)) == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	return SG_OK;
}

static COLD enum sg_status
bad_value(struct ctx *c, const xmlChar *name, const char *what)
{
	char q[80];

	quote(c->val, c->val_len, q, sizeof(q));
	return fail(c, SG_EPARSE, "<%s> '%s' is not %s", (const char *)name, q, what);
}

static struct sg_rule *
cur_src(struct ctx *c)
{
	return c->n_scratch ? &c->scratch[c->n_scratch - 1] : NULL;
}

static enum sg_status
set_port(struct ctx *c, const xmlChar *name, bool *has, long *val)
{
	if (*has)
		return fail(c, SG_EPARSE, "<%s> appears twice in one permission",
		    (const char *)name);
	if (!sg_parse_long(trimmed(c), -1, 65535, val))
		return bad_value(c, name, "a port number");
	*has = true;
	return SG_OK;
}

static enum sg_status
set_cidr(struct ctx *c, const xmlChar *name, int family, struct sg_cidr *out, bool *has)
{
	if (*has)
		return fail(c, SG_EPARSE, "<%s> appears twice in one object", (const char *)name);
	if (!sg_cidr_parse(trimmed(c), family, out))
		return bad_value(c, name, family == 4 ? "an IPv4 CIDR" :
		    family == 6 ? "an IPv6 CIDR" : "a CIDR");
	*has = true;
	return SG_OK;
}

/*
 * A prefix list entry's CIDR. Out of line (like every helper with a local
 * whose address is taken): set_field is inlined into the per-element path,
 * and such a local would give that path a stack canary to check each time.
 */
static __attribute__((noinline)) enum sg_status
add_entry(struct ctx *c, const xmlChar *name)
{
	struct sg_cidr cidr;

	if (set_cidr(c, name, 0, &cidr, &c->entry_has_cidr) != SG_OK)
		return c->status;
	if (c->n_entries == c->entries_cap) {
		size_t ncap = c->entries_cap ? c->entries_cap * 2 : 16;
		void *np = realloc(c->entries, ncap * sizeof(*c->entries));
		if (np == NULL)
			return fail(c, SG_ENOMEM, "out of memory");
		c->entries = np;
		c->entries_cap = ncap;
	}
	c->entries[c->n_entries++] = cidr;
	return SG_OK;
}

/* A scalar element closed: store its text where it belongs. */
static enum sg_status
set_field(struct ctx *c, enum fld f, const xmlChar *name)
{
	/*
	 * The source's fields arrive only inside a source element, whose begin
	 * made the last scratch rule: cur_src is asked in the cases that use
	 * it, not for every field.
	 */
	switch (f) {
	case F_NONE:
		return SG_OK;
	case F_REQUEST_ID:
		if (c->has_request_id)
			return fail(c, SG_EPARSE, "<requestId> appears twice");
		c->has_request_id = true;
		quote(c->val, c->val_len, c->request_id, sizeof(c->request_id));
		return SG_OK;
	case F_NEXT_TOKEN:
		if (c->has_next_token)
			return fail(c, SG_EPARSE, "<nextToken> appears twice");
		c->has_next_token = true;
		if (c->val_len == 0)
			return SG_OK; /* an empty token ends paging, as in botocore */
		return dup_text(c, &c->next_token, name);
	case F_G_OWNER: return keep_text(c, &c->g.account_id, name);
	case F_G_ID: return keep_text(c, &c->g.group_id, name);
	case F_G_NAME: return keep_text(c, &c->g.group_name, name);
	case F_G_DESC: return keep_text(c, &c->g.description, name);
	case F_G_VPC: return keep_text(c, &c->g.vpc_id, name);
	case F_G_ARN: return keep_text(c, &c->g.arn, name);
	case F_P_PROTO:
		if (c->has_proto)
			return fail(c, SG_EPARSE, "<ipProtocol> appears twice in one object");
		/* No NUL to look for: a text node's content ends at its first. */
		if (c->val_len >= sizeof(c->proto))
			return bad_value(c, name, "a protocol");
		memcpy(c->proto, c->val, c->val_len + 1);
		c->proto_len = c->val_len;
		c->has_proto = true;
		return SG_OK;
	case F_P_FROM: return set_port(c, name, &c->has_from, &c->from);
	case F_P_TO: return set_port(c, name, &c->has_to, &c->to);
	case F_PAIR_USER: return keep_text(c, &cur_src(c)->ref.user_id, name);
	case F_PAIR_GID: return keep_text(c, &cur_src(c)->ref.group_id, name);
	case F_PAIR_GNAME: return keep_text(c, &cur_src(c)->ref.group_name, name);
	case F_PAIR_VPC: return keep_text(c, &cur_src(c)->ref.vpc_id, name);
	case F_PAIR_PCX: return keep_text(c, &cur_src(c)->ref.peering_id, name);
	case F_PAIR_PSTATUS: return keep_text(c, &cur_src(c)->ref.peering_status, name);
	case F_SRC_DESC:
		if (c->kind == K_PLE)
			return SG_OK; /* entry descriptions are not kept in the model */
		return keep_text(c, &cur_src(c)->description, name);
	case F_V4_CIDR: return set_cidr(c, name, 4, &cur_src(c)->cidr, &c->src_has_value);
	case F_V6_CIDR: return set_cidr(c, name, 6, &cur_src(c)->cidr, &c->src_has_value);
	case F_PL_ID:
		if (c->val_len == 0)
			return bad_value(c, name, "a prefix list id");
		c->src_has_value = true;
		return keep_text(c, &cur_src(c)->prefix_list_id, name);
	case F_TAG_KEY:
		c->tag.has_key = true;
		return keep_text(c, &c->tag.key, name);
	case F_TAG_VALUE:
		c->tag.has_value = true;
		return keep_text(c, &c->tag.value, name);
	case F_R_NAME:
		if (c->region.name != NULL)
			return fail(c, SG_EPARSE, "<regionName> appears twice in one object");
		if (c->val_len >= 64 || memchr(c->val, '\0', c->val_len) ||
		    !sg_ec2_region_name_valid(c->val))
			return bad_value(c, name, "a region name");
		return dup_text(c, &c->region.name, name);
	case F_R_ENDPOINT: return dup_text(c, &c->region.endpoint, name);
	case F_R_OPTIN: return dup_text(c, &c->region.opt_in_status, name);
	case F_ENI_GROUP_ID: {
		struct sg_ec2_eni_page *e = c->eni;
		if (c->eni_has_group)
			return fail(c, SG_EPARSE, "<groupId> appears twice in one object");
		if (c->val_len == 0)
			return bad_value(c, name, "a group id");
		if (e->n_group_ids == c->eni_cap) {
			size_t ncap = c->eni_cap ? c->eni_cap * 2 : 64;
			void *np = realloc(e->group_ids, ncap * sizeof(*e->group_ids));
			if (np == NULL)
				return fail(c, SG_ENOMEM, "out of memory");
			e->group_ids = np;
			c->eni_cap = ncap;
		}
		e->group_ids[e->n_group_ids] = NULL;
		if (dup_text(c, &e->group_ids[e->n_group_ids], name) != SG_OK)
			return c->status;
		e->n_group_ids++;
		c->eni_has_group = true;
		return SG_OK;
	}
	case F_MPL_ID:
		if (c->val_len == 0)
			return bad_value(c, name, "a prefix list id");
		return dup_text(c, &c->cur_pl.id, name);
	case F_MPL_NAME: return dup_text(c, &c->cur_pl.name, name);
	case F_E_CIDR:
		return add_entry(c, name);
	}
	return SG_OK;
}

/* ---- begin / end of objects ---------------------------------------------- */

static enum sg_status
begin(struct ctx *c, enum st st, const struct frame *parent)
{
	switch (st) {
	case ST_GROUP:
		memset(&c->g, 0, sizeof(c->g));
		c->g.eni_count = -1;
		c->tags_cap = 0;
		scratch_reset(c);
		return SG_OK;
	case ST_PERM:
		perm_reset(c);
		c->in_perm = true;
		c->perm_first = c->n_scratch;
		c->dir = parent->st == ST_PERMS_EG ? SG_EGRESS : SG_INGRESS;
		return SG_OK;
	case ST_PAIR:
	case ST_V4:
	case ST_V6:
	case ST_PL: {
		/* Built in place; finish_perm completes it. */
		struct sg_rule *r;
		if (c->n_scratch == c->scratch_cap) {
			size_t ncap = c->scratch_cap ? c->scratch_cap * 2 : 64;
			void *np = realloc(c->scratch, ncap * sizeof(*c->scratch));
			if (np == NULL)
				return fail(c, SG_ENOMEM, "out of memory");
			c->scratch = np;
			c->scratch_cap = ncap;
		}
		r = &c->scratch[c->n_scratch++];
		*r = zero_rule; /* a copy, not memset: no `rep stos` start-up per source */
		r->source = st == ST_PAIR ? SG_SRC_GROUP : st == ST_V4 ? SG_SRC_CIDR4 :
		    st == ST_V6 ? SG_SRC_CIDR6 : SG_SRC_PREFIX_LIST;
		c->src_has_value = false;
		return SG_OK;
	}
	case ST_TAG:
		tag_reset(&c->tag);
		return SG_OK;
	case ST_REGION:
		region_reset(&c->region);
		return SG_OK;
	case ST_ENTRY:
		c->entry_has_cidr = false;
		return SG_OK;
	case ST_ENI:
		c->eni->interfaces++;
		return SG_OK;
	case ST_ENI_GROUP:
		c->eni_has_group = false;
		return SG_OK;
	case ST_MPL:
		free(c->cur_pl.id);
		free(c->cur_pl.name);
		memset(&c->cur_pl, 0, sizeof(c->cur_pl));
		return SG_OK;
	default:
		return SG_OK;
	}
}

static COLD enum sg_status
bad_protocol(struct ctx *c)
{
	char q[80];

	quote(c->proto, c->proto_len, q, sizeof(q));
	return fail(c, SG_EPARSE, "<ipProtocol> '%s' is not a protocol", q);
}

/* sg_rule_normalize refused the rule: run it again for its message. */
static COLD enum sg_status
bad_ports(struct ctx *c, struct sg_rule *tmpl)
{
	struct sg_error nerr;

	sg_err_init(&nerr);
	(void)sg_rule_normalize(tmpl, &nerr);
	return fail(c, SG_EPARSE, "%s", nerr.msg);
}

/*
 * Complete the permission's rules (one per source): protocol and ports
 * normalized. Out of line: its template rule's address is taken (see
 * add_entry), and it runs once per permission, not per element.
 */
static __attribute__((noinline)) enum sg_status
finish_perm(struct ctx *c)
{
	struct sg_rule tmpl; /* only what sg_rule_normalize reads and writes */
	uint32_t index;
	size_t i;

	if (!c->has_proto)
		return fail(c, SG_EPARSE, "an <ipPermissions%s> item has no <ipProtocol>",
		    c->dir == SG_EGRESS ? "Egress" : "");
	tmpl.protocol_raw = NULL;
	if (!sg_protocol_parse(c->proto, &tmpl.protocol))
		return bad_protocol(c);
	if (c->has_from != c->has_to)
		return fail(c, SG_EPARSE, "<%s> without <%s> in a permission",
		    c->has_from ? "fromPort" : "toPort", c->has_from ? "toPort" : "fromPort");
	tmpl.has_ports = c->has_from;
	tmpl.raw_from = c->has_from ? (int)c->from : 0;
	tmpl.raw_to = c->has_to ? (int)c->to : 0;
	/* No error record on the hot path: only a failure needs the message. */
	if (!sg_rule_normalize(&tmpl, NULL))
		return bad_ports(c, &tmpl);
	index = c->dir == SG_EGRESS ? c->g.n_egress_perms++ : c->g.n_ingress_perms++;
	c->perms++;
	if (c->perm_first < c->n_scratch &&
	    (tmpl.protocol_raw = sg_protocol_raw_copy(&c->inv->strings, c->proto,
	    c->proto_len)) == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	for (i = c->perm_first; i < c->n_scratch; i++) {
		struct sg_rule *r = &c->scratch[i];

		r->protocol_raw = tmpl.protocol_raw;
		r->direction = c->dir;
		r->protocol = tmpl.protocol;
		r->from_port = tmpl.from_port;
		r->to_port = tmpl.to_port;
		r->has_ports = tmpl.has_ports;
		r->raw_from = tmpl.raw_from;
		r->raw_to = tmpl.raw_to;
		r->perm_index = index;
		c->rules++;
	}
	perm_reset(c);
	return SG_OK;
}

/*
 * Hand the scratch rules to the group in one exact allocation: ingress rules
 * first, then egress, each in wire order (the elements may come reordered).
 */
static enum sg_status
move_rules(struct ctx *c)
{
	struct sg_group *g = &c->g;
	size_t i, k = 0, n = c->n_scratch;
	bool sorted = true;

	if (n == 0)
		return SG_OK;
	g->rules = malloc(n * sizeof(*g->rules));
	if (g->rules == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	for (i = 1; i < n; i++)
		if (c->scratch[i - 1].direction > c->scratch[i].direction)
			sorted = false;
	if (sorted) {
		memcpy(g->rules, c->scratch, n * sizeof(*g->rules));
	} else {
		for (i = 0; i < n; i++)
			if (c->scratch[i].direction == SG_INGRESS)
				g->rules[k++] = c->scratch[i];
		for (i = 0; i < n; i++)
			if (c->scratch[i].direction == SG_EGRESS)
				g->rules[k++] = c->scratch[i];
	}
	g->n_rules = g->rules_cap = n;
	c->n_scratch = 0; /* the strings now belong to the group */
	return SG_OK;
}

static enum sg_status
finish_group(struct ctx *c)
{
	struct sg_group *dst;

	if (c->g.group_id == NULL || c->g.group_id[0] == '\0')
		return fail(c, SG_EPARSE, "a <securityGroupInfo> item has no <groupId>");
	if (move_rules(c) != SG_OK)
		return c->status;
	/* One copy of the region's name for every group of the page. */
	if (c->where->region != NULL && c->region_name == NULL &&
	    (c->region_name = sg_arena_strdup(&c->inv->strings, c->where->region)) == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	c->g.region = c->region_name;
	dst = sg_inventory_add_group(c->inv);
	if (dst == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	*dst = c->g;
	memset(&c->g, 0, sizeof(c->g));
	c->groups++;
	return SG_OK;
}

static enum sg_status
finish_tag(struct ctx *c)
{
	struct sg_group *g = &c->g;

	if (!c->tag.has_key)
		return fail(c, SG_EPARSE, "a <tagSet> item has no <key>");
	if (g->n_tags == c->tags_cap) {
		size_t ncap = c->tags_cap ? c->tags_cap * 2 : 4;
		void *np = realloc(g->tags, ncap * sizeof(*g->tags));
		if (np == NULL)
			return fail(c, SG_ENOMEM, "out of memory");
		g->tags = np;
		c->tags_cap = ncap;
	}
	if (c->tag.value == NULL)
		c->tag.value = "";
	g->tags[g->n_tags].key = c->tag.key;
	g->tags[g->n_tags].value = c->tag.value;
	g->n_tags++;
	tag_reset(&c->tag);
	return SG_OK;
}

static enum sg_status
finish_region(struct ctx *c)
{
	struct sg_ec2_region_list *l = c->regions;

	if (c->region.name == NULL)
		return fail(c, SG_EPARSE, "a <regionInfo> item has no <regionName>");
	if (sg_ec2_region_list_find(l, c->region.name) != NULL)
		return fail(c, SG_EPARSE, "region '%s' is listed twice", c->region.name);
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		void *np = realloc(l->items, ncap * sizeof(*l->items));
		if (np == NULL)
			return fail(c, SG_ENOMEM, "out of memory");
		l->items = np;
		l->cap = ncap;
	}
	c->region.enabled = c->region.opt_in_status == NULL ||
	    strcmp(c->region.opt_in_status, "not-opted-in") != 0;
	l->items[l->n++] = c->region;
	memset(&c->region, 0, sizeof(c->region));
	return SG_OK;
}

static enum sg_status
end(struct ctx *c, const struct frame *f)
{
	/* Most ends are a scalar's: tested first, outside the jump table. */
	if (f->st == ST_TEXT) {
		c->val = c->text_len ? c->text : "";
		c->val_len = c->text_len;
		return set_field(c, f->fld, f->name);
	}
	switch (f->st) {
	case ST_GROUP:
		return finish_group(c);
	case ST_PERM:
		return finish_perm(c);
	case ST_PAIR:
		if (cur_src(c)->ref.group_id == NULL && cur_src(c)->ref.group_name == NULL)
			return fail(c, SG_EPARSE, "a <groups> item has no <groupId>");
		return SG_OK;
	case ST_V4:
		if (!c->src_has_value)
			return fail(c, SG_EPARSE, "an <ipRanges> item has no <cidrIp>");
		return SG_OK;
	case ST_V6:
		if (!c->src_has_value)
			return fail(c, SG_EPARSE, "an <ipv6Ranges> item has no <cidrIpv6>");
		return SG_OK;
	case ST_PL:
		if (!c->src_has_value)
			return fail(c, SG_EPARSE, "a <prefixListIds> item has no <prefixListId>");
		return SG_OK;
	case ST_TAG:
		return finish_tag(c);
	case ST_REGION:
		return finish_region(c);
	case ST_ENTRY:
		if (!c->entry_has_cidr)
			return fail(c, SG_EPARSE, "an <entrySet> item has no <cidr>");
		return SG_OK;
	case ST_ENI_GROUP:
		if (!c->eni_has_group)
			return fail(c, SG_EPARSE, "a <groupSet> item has no <groupId>");
		return SG_OK;
	case ST_MPL: {
		struct sg_ec2_pl_names *m = c->mpl;
		if (c->cur_pl.id == NULL)
			return fail(c, SG_EPARSE, "a <prefixListSet> item has no <prefixListId>");
		if (m->n == c->mpl_cap) {
			size_t ncap = c->mpl_cap ? c->mpl_cap * 2 : 16;
			void *np = realloc(m->items, ncap * sizeof(*m->items));
			if (np == NULL)
				return fail(c, SG_ENOMEM, "out of memory");
			m->items = np;
			c->mpl_cap = ncap;
		}
		m->items[m->n++] = c->cur_pl;
		memset(&c->cur_pl, 0, sizeof(c->cur_pl));
		return SG_OK;
	}
	default:
		return SG_OK;
	}
}

/* ---- the walk ------------------------------------------------------------ */

static size_t
page_cap(const struct sg_ec2_where *w)
{
	size_t cap = w->max_page_bytes ? w->max_page_bytes : SG_EC2_MAX_PAGE_BYTES;
	return cap > (size_t)INT_MAX ? (size_t)INT_MAX : cap;
}

static enum sg_status
push(struct ctx *c, enum st st, enum fld fld, const xmlChar *name)
{
	if (c->depth > SG_EC2_MAX_DEPTH)
		return fail(c, SG_ELIMIT, "elements nested deeper than %d", SG_EC2_MAX_DEPTH);
	c->stack[c->depth].st = st;
	c->stack[c->depth].fld = fld;
	c->stack[c->depth].name = name;
	c->stack[c->depth].node = NULL;
	c->depth++;
	if (st == ST_TEXT) {
		/* Most elements are scalars: nothing to begin, no jump table. */
		c->text_len = 0;
		return SG_OK;
	}
	return begin(c, st, c->depth >= 2 ? &c->stack[c->depth - 2] : NULL);
}

static enum sg_status
pop(struct ctx *c)
{
	struct frame f;

	if (c->depth == 0)
		return fail(c, SG_EINTERNAL, "unbalanced element end");
	f = c->stack[--c->depth];
	return end(c, &f);
}

/*
 * States with nothing to begin or end: lists, and elements skipped. A
 * self-closed element of one (<groups/>, <ipv6Ranges/> and <prefixListIds/>
 * in most permissions) opens no frame at all.
 */
static const bool inert[ST_COUNT] = {
	[ST_SKIP] = true, [ST_SGINFO] = true, [ST_PERMS_IN] = true, [ST_PERMS_EG] = true,
	[ST_PAIRS] = true, [ST_V4S] = true, [ST_V6S] = true, [ST_PLS] = true,
	[ST_TAGS] = true, [ST_RINFO] = true, [ST_ENTRIES] = true, [ST_ENIS] = true,
	[ST_ENI_GROUPS] = true, [ST_MPLS] = true,
};

/*
 * Open the frame of an element that starts at `node`; a self-closed element
 * is ended at once (the reader shows no end for it).
 */
static enum sg_status
open_element(struct ctx *c, enum st st, enum fld fld, const xmlChar *name, const xmlNode *node)
{
	/*
	 * An element with a child already read is not empty (the reader's own
	 * first test): the reader is asked only about the others.
	 */
	bool empty = node->children == NULL && xmlTextReaderIsEmptyElement(c->reader) == 1;

	if (empty && inert[st] && c->depth <= SG_EC2_MAX_DEPTH)
		return SG_OK;
	if (push(c, st, fld, name) != SG_OK)
		return c->status;
	if (empty)
		return pop(c);
	c->stack[c->depth - 1].node = node;
	return SG_OK;
}

/* The document's root element: once, and only the one this kind expects. */
static COLD enum sg_status
on_root(struct ctx *c, const xmlNode *node, const xmlChar *name)
{
	const xmlChar *ns;
	char q[80];

	if (c->root_seen)
		return fail(c, SG_EPARSE, "more than one root element");
	c->root_seen = true;
	if (strcmp((const char *)name, kinds[c->kind].root) != 0) {
		quote((const char *)name, strlen((const char *)name), q, sizeof(q));
		if (strcmp(q, "Response") == 0 || strcmp(q, "ErrorResponse") == 0)
			return fail(c, SG_EPARSE, "the service sent an error document <%s> "
			    "where <%s> was expected", q, kinds[c->kind].root);
		return fail(c, SG_EPARSE, "root element <%s> is not <%s>", q,
		    kinds[c->kind].root);
	}
	ns = xmlTextReaderConstNamespaceUri(c->reader);
	if (ns != NULL && strncmp((const char *)ns, EC2_NS_PREFIX,
	    sizeof(EC2_NS_PREFIX) - 1) != 0) {
		quote((const char *)ns, strlen((const char *)ns), q, sizeof(q));
		return fail(c, SG_EPARSE, "root element is in namespace '%s', not EC2's "
		    "(" EC2_NS_PREFIX "...)", q);
	}
	return open_element(c, kinds[c->kind].st, F_NONE, name, node);
}

/*
 * A name not matched under this parent so far: compare it as a string with
 * the parent's edges not met yet, and keep the reader's pointer for the one
 * it names. Returns the edge's index, or c->last[pst] for an unknown name.
 * Learning names as the document brings them, rather than interning the
 * table up front, leaves the reader's dictionary holding the document's
 * names only, in the document's order, as a bare reader pass has it: every
 * name added lengthens the chains libxml2 walks for each element it reads.
 */
static __attribute__((noinline)) unsigned
learn_name(struct ctx *c, enum st pst, const xmlChar *name)
{
	unsigned i;

	for (i = c->first[pst]; i < c->last[pst]; i++)
		if (c->iname[i] == NULL && strcmp(edges[i].name, (const char *)name) == 0) {
			c->iname[i] = name;
			break;
		}
	return i;
}

/*
 * The content of a scalar element the reader's tree already holds whole at
 * its start, or NULL. Whole: its only child is one text node, and the
 * element is closed. The parser runs ahead of the reader, and it adds a
 * node after an element only once that element has ended: so the element is
 * closed when it, or one of its nearest ancestors, has a next sibling (the
 * nodes the reader has freed are unlinked, so a sibling pointer is never
 * stale). Most scalars pass (93% of a synthetic account's); the others are
 * read node by node.
 */
static const xmlChar *
whole_text(const xmlNode *n)
{
	const xmlNode *t = n->children;
	int up;

	if (t == NULL || t != n->last || t->type != XML_TEXT_NODE || t->content == NULL)
		return NULL;
	for (up = 0; up < 4 && n != NULL; up++, n = n->parent)
		if (n->next != NULL)
			return t->content;
	return NULL;
}

/*
 * A scalar whole at its start (whole_text): its value is stored straight
 * from the text node, with no copy into c->text, and the walk steps over the
 * two reads that follow, the text node and the element's end, without
 * asking the reader for them: the tree has shown all they hold. The reads
 * are still made, so the reader frees the nodes and reports any XML error
 * past them, as it would.
 */
static enum sg_status
on_scalar(struct ctx *c, enum fld fld, const xmlChar *name, const xmlChar *v, size_t n)
{
	c->val = (const char *)v;
	c->val_len = n;
	c->steps = 2;
	return set_field(c, fld, name);
}

/*
 * An element starts at `node`. `name` is its local name, interned in the
 * reader's dictionary (what xmlTextReaderConstLocalName returns for an element).
 */
static enum sg_status
on_element(struct ctx *c, const xmlNode *node, const xmlChar *name)
{
	enum st pst;
	unsigned i;

	if (name == NULL)
		return fail(c, SG_ENOMEM, "out of memory");
	if (c->depth == 0)
		return on_root(c, node, name);
	pst = c->stack[c->depth - 1].st;
	if (pst == ST_TEXT)
		return fail(c, SG_EPARSE, "element <%s> inside <%s>, which holds text only",
		    (const char *)name, (const char *)c->stack[c->depth - 1].name);
	if (pst != ST_SKIP) {
		/*
		 * EC2 sends an object's children in one order: try the edge after
		 * the last one matched under this parent first, then them all.
		 */
		i = c->hint[pst];
		if (i >= c->last[pst] || c->iname[i] != name)
			for (i = c->first[pst]; i < c->last[pst] && c->iname[i] != name; i++)
				;
		if (i >= c->last[pst])
			i = learn_name(c, pst, name);
		if (i < c->last[pst]) {
			const xmlChar *v;
			size_t n;
			c->hint[pst] = (unsigned short)(i + 1 < c->last[pst] ? i + 1 : c->first[pst]);
			/*
			 * A text over the cap is left to the node-by-node path, so
			 * its error is the same (and names the same line) whichever
			 * way the page arrived.
			 */
			if (edges[i].child == ST_TEXT && c->depth < SG_EC2_MAX_DEPTH &&
			    (v = whole_text(node)) != NULL &&
			    (n = strlen((const char *)v)) <= SG_EC2_MAX_TEXT_BYTES)
				return on_scalar(c, edges[i].fld, name, v, n);
			return open_element(c, edges[i].child, edges[i].fld, name, node);
		}
	}
	return open_element(c, ST_SKIP, F_NONE, name, node);
}

/* Text or CDATA; v is the node's content (what xmlTextReaderConstValue returns). */
static enum sg_status
on_text(struct ctx *c, const xmlChar *v)
{
	size_t n;

	if (c->depth == 0 || c->stack[c->depth - 1].st != ST_TEXT)
		return SG_OK; /* white space between elements, or text of skipped ones */
	if (v == NULL)
		return SG_OK;
	n = strlen((const char *)v);
	if (n > SG_EC2_MAX_TEXT_BYTES - c->text_len)
		return fail(c, SG_ELIMIT, "<%s> text is longer than %zu bytes",
		    (const char *)c->stack[c->depth - 1].name, SG_EC2_MAX_TEXT_BYTES);
	if (c->text_len + n + 1 > c->text_cap) {
		size_t ncap = c->text_cap ? c->text_cap : 256;
		void *np;
		while (ncap < c->text_len + n + 1)
			ncap *= 2;
		np = realloc(c->text, ncap);
		if (np == NULL)
			return fail(c, SG_ENOMEM, "out of memory");
		c->text = np;
		c->text_cap = ncap;
	}
	memcpy(c->text + c->text_len, v, n);
	c->text_len += n;
	c->text[c->text_len] = '\0';
	return SG_OK;
}

static const struct sg_ec2_where no_where;

/* where may be NULL (no region or page to name in messages). */
static enum sg_status
ctx_init(struct ctx *c, enum kind kind, const struct sg_ec2_where *where, struct sg_error *err)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->where = where ? where : &no_where;
	c->err = err;
	for (i = 0; i < ST_COUNT; i++)
		c->first[i] = c->last[i] = 0;
	/* edges[] is grouped by parent: record each parent's range. */
	for (i = 0; i < N_EDGES; i++) {
		enum st p = edges[i].parent;
		if (c->last[p] == 0)
			c->first[p] = (unsigned short)i;
		c->last[p] = (unsigned short)(i + 1);
	}
	for (i = 0; i < ST_COUNT; i++)
		c->hint[i] = c->first[i];
	return SG_OK;
}

static enum sg_status
walk(struct ctx *c)
{
	int ret = 0;

	xmlTextReaderSetStructuredErrorHandler(c->reader, on_xml_error, c);

	while (c->status == SG_OK && (ret = xmlTextReaderRead(c->reader)) == 1) {
		if (c->steps > 0) {
			c->steps--;
			continue;
		}
		/*
		 * The node's own type first: xmlTextReaderNodeType() scans every
		 * text node to tell white space from text, which this walk does not
		 * need; it is asked only to tell an element's start from its end.
		 */
		xmlNodePtr n = xmlTextReaderCurrentNode(c->reader);
		if (n == NULL)
			continue;
		switch (n->type) {
		case XML_ELEMENT_NODE:
			/*
			 * Start or end? The reader reports an element's end on the
			 * same node as its start, and that node is on top of our stack
			 * (it stays allocated while open, so no other element can
			 * have its address); any other element node is a start.
			 */
			if (c->depth > 0 && c->stack[c->depth - 1].node == (const void *)n)
				pop(c);
			else
				on_element(c, n, n->name);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			on_text(c, n->content);
			break;
		case XML_DTD_NODE:
		case XML_DOCUMENT_TYPE_NODE:
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_NODE:
		case XML_ENTITY_DECL:
			/* Unreachable past the prolog check; kept as a second lock. */
			fail(c, SG_EPARSE, "DTDs and entity references are not allowed");
			break;
		default:
			break; /* comments, processing instructions */
		}
	}
	if (c->status != SG_OK)
		return c->status;
	if (ret < 0 || c->xml_failed) {
		xmlTextReaderPtr r0 = c->reader;
		if (c->over_cap) {
			c->reader = NULL; /* the cap is about bytes, not a line */
			fail(c, SG_ELIMIT, "the response is larger than %zu bytes",
			    page_cap(c->where));
			c->reader = r0;
			return c->status;
		}
		{
			/* Name libxml2's line, not the reader's position (it runs ahead). */
			xmlTextReaderPtr r = c->reader;
			c->reader = NULL;
			if (c->xml_line > 0)
				fail(c, SG_EPARSE, "malformed XML at line %d: %s", c->xml_line,
				    c->xml_failed ? c->xml_msg : "parse error");
			else
				fail(c, SG_EPARSE, "malformed XML: %s",
				    c->xml_failed ? c->xml_msg : "parse error");
			c->reader = r;
		}
		return c->status;
	}
	if (!c->root_seen || c->depth != 0)
		return fail(c, SG_EPARSE, "the document ended early");
	return SG_OK;
}

/* ---- entry points -------------------------------------------------------- */

/* Never NOENT (entity substitution), DTDLOAD, DTDATTR or HUGE. */
#define READER_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES)

static enum sg_status
open_memory(struct ctx *c, const char *xml, size_t len)
{
	bool complete;

	c->bytes = len;
	if (len > page_cap(c->where))
		return fail(c, SG_ELIMIT, "the response is %zu bytes, over the %zu-byte limit",
		    len, page_cap(c->where));
	if (xml == NULL || len == 0)
		return fail(c, SG_EPARSE, "the response body is empty");
	if (check_prolog(c, xml, len < PROLOG_MAX ? len : PROLOG_MAX, false, &complete) != SG_OK)
		return c->status;
	if (!complete && len >= PROLOG_MAX)
		return fail(c, SG_ELIMIT, "no element within the first %zu bytes", PROLOG_MAX);
	c->reader = xmlReaderForMemory(xml, (int)len, NULL, NULL, READER_OPTIONS);
	if (c->reader == NULL)
		return fail(c, SG_ENOMEM, "cannot create an XML reader");
	return SG_OK;
}

static enum sg_status
finish_status(struct ctx *c)
{
	return c->status;
}

/*
 * Hand over the page's request id (when request_id is not NULL) and, only
 * when the page parsed, its NextToken (when next_token is not NULL): a
 * failed page leaves no token to follow.
 */
static void
take_ids(struct ctx *c, char *request_id, char **next_token)
{
	if (request_id != NULL)
		memcpy(request_id, c->request_id, sizeof(c->request_id));
	if (c->status == SG_OK && next_token != NULL) {
		*next_token = c->next_token;
		c->next_token = NULL;
	}
}

/* What an entry point keeps from a walked page before its ctx goes; out is its target. */
typedef void (*collect_fn)(struct ctx *c, void *out);

/*
 * The one in-memory parse behind every sg_ec2_parse_* entry point: the
 * caller has run ctx_init and pointed the ctx at its target; this opens and
 * walks the page, lets `collect` (may be NULL) take what it keeps from it,
 * then the request id and NextToken (take_ids; either slot may be NULL),
 * and disposes of the ctx. Returns the first error (the ctx's status).
 */
static enum sg_status
parse_memory(struct ctx *c, const char *xml, size_t len, collect_fn collect, void *out,
             char *request_id, char **next_token)
{
	if (open_memory(c, xml, len) == SG_OK)
		walk(c);
	if (collect != NULL)
		collect(c, out);
	take_ids(c, request_id, next_token);
	ctx_dispose(c);
	return finish_status(c);
}

void
sg_ec2_page_init(struct sg_ec2_page *p)
{
	memset(p, 0, sizeof(*p));
}

void
sg_ec2_page_dispose(struct sg_ec2_page *p)
{
	if (p == NULL)
		return;
	free(p->next_token);
	memset(p, 0, sizeof(*p));
}

static void
groups_counts(struct ctx *c, void *arg)
{
	struct sg_ec2_page *out = arg;

	out->groups = c->groups;
	out->permissions = c->perms;
	out->rules = c->rules;
	out->bytes = c->bytes;
}

enum sg_status
sg_ec2_parse_groups(struct sg_ec2_page *out, struct sg_inventory *inv, const char *xml,
                    size_t len, const struct sg_ec2_where *where, struct sg_error *err)
{
	struct ctx c;

	sg_ec2_page_init(out);
	ctx_init(&c, K_GROUPS, where, err);
	c.inv = inv;
	return parse_memory(&c, xml, len, groups_counts, out, out->request_id, &out->next_token);
}

/* Stream input: the prolog is read ahead and checked, then handed to libxml2 first. */
struct stream {
	struct ctx *c;
	sg_ec2_read_fn read;
	void *read_ctx;
	char *head;       /* prolog read ahead */
	size_t head_len, head_off;
	size_t cap;
	bool eof;
};

static int
stream_read(void *arg, char *buf, int len)
{
	struct stream *s = arg;
	long n;

	if (len <= 0)
		return 0;
	if (s->head_off < s->head_len) {
		size_t k = s->head_len - s->head_off;
		if (k > (size_t)len)
			k = (size_t)len;
		memcpy(buf, s->head + s->head_off, k);
		s->head_off += k;
		return (int)k;
	}
	if (s->eof)
		return 0;
	n = s->read(s->read_ctx, buf, (size_t)len);
	if (n < 0 || n > len)
		return -1;
	if (n == 0) {
		s->eof = true;
		return 0;
	}
	s->c->bytes += (size_t)n;
	if (s->c->bytes > s->cap) {
		s->c->over_cap = true;
		return -1;
	}
	return (int)n;
}

static int
stream_close(void *arg)
{
	(void)arg;
	return 0;
}

enum sg_status
sg_ec2_parse_groups_stream(struct sg_ec2_page *out, struct sg_inventory *inv,
                           sg_ec2_read_fn read, void *read_ctx,
                           const struct sg_ec2_where *where, struct sg_error *err)
{
	struct ctx c;
	struct stream s;
	bool complete = false;

	sg_ec2_page_init(out);
	ctx_init(&c, K_GROUPS, where, err);
	c.inv = inv;
	memset(&s, 0, sizeof(s));
	s.c = &c;
	s.read = read;
	s.read_ctx = read_ctx;
	s.cap = page_cap(c.where);
	s.head = malloc(PROLOG_MAX);
	if (s.head == NULL) {
		fail(&c, SG_ENOMEM, "out of memory");
		goto done;
	}
	/* Read until the prolog is over (or the cap on it), then check it. */
	while (!complete && !s.eof && s.head_len < PROLOG_MAX) {
		long n = read(read_ctx, s.head + s.head_len, PROLOG_MAX - s.head_len);
		if (n < 0) {
			fail(&c, SG_EIO, "reading the response failed");
			goto done;
		}
		if (n == 0)
			s.eof = true;
		s.head_len += (size_t)n;
		c.bytes = s.head_len;
		if (check_prolog(&c, s.head, s.head_len, !s.eof && s.head_len < PROLOG_MAX,
		    &complete) != SG_OK)
			goto done;
	}
	if (s.head_len == 0) {
		fail(&c, SG_EPARSE, "the response body is empty");
		goto done;
	}
	if (!complete && s.head_len >= PROLOG_MAX) {
		fail(&c, SG_ELIMIT, "no element within the first %zu bytes", PROLOG_MAX);
		goto done;
	}
	if (c.bytes > s.cap) {
		fail(&c, SG_ELIMIT, "the response is larger than %zu bytes", s.cap);
		goto done;
	}
	c.reader = xmlReaderForIO(stream_read, stream_close, &s, NULL, NULL, READER_OPTIONS);
	if (c.reader == NULL) {
		fail(&c, SG_ENOMEM, "cannot create an XML reader");
		goto done;
	}
	walk(&c);
done:
	groups_counts(&c, out);
	take_ids(&c, out->request_id, &out->next_token);
	ctx_dispose(&c);
	free(s.head);
	return finish_status(&c);
}

void
sg_ec2_region_list_dispose(struct sg_ec2_region_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		region_reset(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

const struct sg_ec2_region *
sg_ec2_region_list_find(const struct sg_ec2_region_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	return NULL;
}

enum sg_status
sg_ec2_parse_regions(struct sg_ec2_region_list *out, const char *xml, size_t len,
                     const struct sg_ec2_where *where, struct sg_error *err)
{
	struct ctx c;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, K_REGIONS, where, err);
	c.regions = out;
	if (parse_memory(&c, xml, len, NULL, NULL, NULL, NULL) != SG_OK)
		sg_ec2_region_list_dispose(out);
	return finish_status(&c);
}

/* K_PLE: once the page parsed, append its entries to pl (before its NextToken is taken). */
static void
ple_append(struct ctx *c, void *arg)
{
	struct sg_prefix_list *pl = arg;

	if (c->status == SG_OK && c->n_entries > 0) {
		void *np = realloc(pl->entries, (pl->n_entries + c->n_entries) * sizeof(*pl->entries));
		if (np == NULL) {
			fail(c, SG_ENOMEM, "out of memory");
		} else {
			pl->entries = np;
			memcpy(pl->entries + pl->n_entries, c->entries,
			    c->n_entries * sizeof(*c->entries));
			pl->n_entries += c->n_entries;
		}
	}
}

enum sg_status
sg_ec2_parse_prefix_list_entries(char **next_token_out, struct sg_prefix_list *pl,
                                 const char *xml, size_t len,
                                 const struct sg_ec2_where *where, struct sg_error *err)
{
	struct ctx c;

	*next_token_out = NULL;
	ctx_init(&c, K_PLE, where, err);
	return parse_memory(&c, xml, len, ple_append, pl, NULL, next_token_out);
}

void
sg_ec2_eni_page_dispose(struct sg_ec2_eni_page *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_group_ids; i++)
		free(p->group_ids[i]);
	free(p->group_ids);
	free(p->next_token);
	memset(p, 0, sizeof(*p));
}

enum sg_status
sg_ec2_parse_network_interfaces(struct sg_ec2_eni_page *out, const char *xml, size_t len,
                                const struct sg_ec2_where *where, struct sg_error *err)
{
	struct ctx c;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, K_ENI, where, err);
	c.eni = out;
	if (parse_memory(&c, xml, len, NULL, NULL, out->request_id, &out->next_token) != SG_OK)
		sg_ec2_eni_page_dispose(out);
	return finish_status(&c);
}

void
sg_ec2_pl_names_dispose(struct sg_ec2_pl_names *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->items[i].id);
		free(p->items[i].name);
	}
	free(p->items);
	free(p->next_token);
	memset(p, 0, sizeof(*p));
}

enum sg_status
sg_ec2_parse_prefix_list_names(struct sg_ec2_pl_names *out, const char *xml, size_t len,
                               const struct sg_ec2_where *where, struct sg_error *err)
{
	struct ctx c;

	memset(out, 0, sizeof(*out));
	ctx_init(&c, K_MPL, where, err);
	c.mpl = out;
	if (parse_memory(&c, xml, len, NULL, NULL, out->request_id, &out->next_token) != SG_OK)
		sg_ec2_pl_names_dispose(out);
	return finish_status(&c);
}

bool
sg_ec2_region_name_valid(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	return true;
}
