/*
 * sg_ec2.h — streaming parsers for the EC2 responses the scan reads:
 * DescribeSecurityGroups pages, DescribeRegions, GetManagedPrefixListEntries,
 * DescribeNetworkInterfaces (which groups are attached to an interface),
 * DescribeManagedPrefixLists (the names of the prefix lists rules name).
 * The only module that includes libxml2.
 *
 * How the XML is read (../shared/reference/aws-protocol.md §3):
 *   - libxml2's xmlTextReader walks the document node by node; no DOM tree of
 *     a page is ever built, and the reader frees nodes it has moved past, so
 *     memory does not grow with the page (only with the records kept).
 *   - Options: XML_PARSE_NONET, and never XML_PARSE_NOENT, XML_PARSE_DTDLOAD,
 *     XML_PARSE_DTDATTR or XML_PARSE_HUGE. Input is read as UTF-8 whatever the
 *     XML declaration says (EC2 only sends UTF-8); invalid UTF-8 is an error.
 *   - A DOCTYPE is refused outright, before libxml2 sees the bytes: EC2 never
 *     sends one, and it is how entity expansion ("billion laughs") and external
 *     entities (a SYSTEM entity naming a local file) get in.
 *   - Caps: SG_EC2_MAX_PAGE_BYTES per response (SG_ELIMIT), SG_EC2_MAX_DEPTH
 *     element nesting (SG_ELIMIT), SG_EC2_MAX_TEXT_BYTES per element text
 *     (SG_ELIMIT). libxml2's own limits stay on (no XML_PARSE_HUGE).
 *   - The structure is walked, never searched: an <item> means a group only
 *     as a child of <securityGroupInfo>. Elements are matched on their local
 *     names; unknown elements (and everything under them) are skipped; any
 *     order of known elements is accepted; a known scalar element given twice
 *     in one object is an error (the input is ambiguous).
 *   - The ROOT element must be the operation's (<DescribeSecurityGroupsResponse>
 *     ...); a wrong root is an error (an EC2 error document <Response> gets a
 *     message saying so). The root's namespace must be absent or an EC2 API
 *     namespace (http://ec2.amazonaws.com/doc/<version>/, any version):
 *     anything else is an error, because it is not an EC2 response. Below the
 *     root, namespaces are ignored (local names only), as botocore does.
 *
 * Every error names the call: "eu-west-1 DescribeSecurityGroups page 3:
 * <fromPort> 'x' is not a port number (line 41)". Values quoted in messages
 * are truncated and control characters replaced.
 *
 * On error, groups completed before the bad spot stay in the inventory (the
 * caller marks the region incomplete); the half-read group is dropped.
 */
#ifndef SG_EC2_H
#define SG_EC2_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_err.h"
#include "sg_record.h"

#define SG_EC2_MAX_PAGE_BYTES ((size_t)64 << 20) /* one response */
#define SG_EC2_MAX_DEPTH 64                      /* element nesting */
#define SG_EC2_MAX_TEXT_BYTES ((size_t)64 << 10) /* text of one element */

/* Where the bytes came from, for messages and for the records. */
struct sg_ec2_where {
	const char *region;    /* "eu-west-1"; copied into each group; NULL = unknown */
	unsigned page;         /* 1-based page number; 0 = not a paged call */
	const char *detail;    /* extra context, e.g. the prefix list id; NULL = none */
	size_t max_page_bytes; /* 0 = SG_EC2_MAX_PAGE_BYTES */
};

/* What one page held. Dispose with sg_ec2_page_dispose. */
struct sg_ec2_page {
	char *next_token;     /* malloc'd; NULL on the last page (absent or empty) */
	char request_id[96];  /* "" if absent */
	size_t groups;        /* groups appended to the inventory */
	size_t permissions;   /* IpPermission items read */
	size_t rules;         /* normalized rules (one source each) appended */
	size_t bytes;         /* bytes parsed */
};

void sg_ec2_page_init(struct sg_ec2_page *p);
void sg_ec2_page_dispose(struct sg_ec2_page *p);

/*
 * Parse one DescribeSecurityGroups response held in memory (no copy is made,
 * no tree is built) and append its groups, with normalized rules, to inv.
 * out is initialised here; on SG_OK it holds the next token (caller frees
 * with sg_ec2_page_dispose) and the counts; on failure out->next_token is
 * NULL but the counts say what was appended before the error.
 * Errors: SG_ELIMIT (a cap), SG_EPARSE (malformed XML, a DOCTYPE, a wrong
 * root, a bad value), SG_ENOMEM.
 */
enum sg_status sg_ec2_parse_groups(struct sg_ec2_page *out, struct sg_inventory *inv,
                                   const char *xml, size_t len,
                                   const struct sg_ec2_where *where,
                                   struct sg_error *err) SG_MUST_USE;

/*
 * A byte source for the streaming variant: copy up to cap bytes into buf and
 * return how many (0 at the end), or -1 on failure.
 */
typedef long (*sg_ec2_read_fn)(void *ctx, char *buf, size_t cap);

/*
 * The same parse pulling bytes from `read` as it goes, so a page that is not
 * in memory (a file, a pipe) is parsed in bounded memory; passing the page
 * cap stops it with SG_ELIMIT as soon as the cap is crossed.
 */
enum sg_status sg_ec2_parse_groups_stream(struct sg_ec2_page *out, struct sg_inventory *inv,
                                          sg_ec2_read_fn read, void *read_ctx,
                                          const struct sg_ec2_where *where,
                                          struct sg_error *err) SG_MUST_USE;

/* One region of a DescribeRegions answer. */
struct sg_ec2_region {
	char *name;          /* "eu-south-2" (syntax checked) */
	char *endpoint;      /* regionEndpoint; NULL if absent */
	char *opt_in_status; /* as received; NULL if absent */
	bool enabled;        /* opt-in-not-required, opted-in, absent or unknown: true;
	                      * not-opted-in: false */
};

struct sg_ec2_region_list {
	struct sg_ec2_region *items; /* in the order received */
	size_t n;
	size_t cap;
};

void sg_ec2_region_list_dispose(struct sg_ec2_region_list *l);
/* The entry for a name, or NULL. */
const struct sg_ec2_region *sg_ec2_region_list_find(const struct sg_ec2_region_list *l,
                                                    const char *name);

/*
 * Parse a DescribeRegions response into out (initialised here; on failure it
 * is left empty). A region name repeated is an error.
 */
enum sg_status sg_ec2_parse_regions(struct sg_ec2_region_list *out, const char *xml,
                                    size_t len, const struct sg_ec2_where *where,
                                    struct sg_error *err) SG_MUST_USE;

/*
 * Parse one GetManagedPrefixListEntries page and append its entries (CIDRs
 * validated and canonicalized) to pl->entries. *next_token_out is set on
 * SG_OK (malloc'd, NULL on the last page). On failure pl is unchanged.
 */
enum sg_status sg_ec2_parse_prefix_list_entries(char **next_token_out,
                                                struct sg_prefix_list *pl,
                                                const char *xml, size_t len,
                                                const struct sg_ec2_where *where,
                                                struct sg_error *err) SG_MUST_USE;

/* One DescribeNetworkInterfaces page, reduced to what the scan needs. */
struct sg_ec2_eni_page {
	char **group_ids;     /* one entry per (interface, group) pair, in order */
	size_t n_group_ids;
	size_t interfaces;    /* networkInterfaceSet items */
	char *next_token;     /* malloc'd; NULL on the last page */
	char request_id[96];
};

/*
 * Parse a DescribeNetworkInterfaces response (networkInterfaceSet/item/
 * groupSet/item/groupId; everything else skipped). out is initialised here
 * and left empty on failure. Dispose with sg_ec2_eni_page_dispose.
 */
enum sg_status sg_ec2_parse_network_interfaces(struct sg_ec2_eni_page *out, const char *xml,
                                               size_t len, const struct sg_ec2_where *where,
                                               struct sg_error *err) SG_MUST_USE;
void sg_ec2_eni_page_dispose(struct sg_ec2_eni_page *p);

/* One managed prefix list's name, from DescribeManagedPrefixLists. */
struct sg_ec2_pl_name {
	char *id;
	char *name;          /* NULL if absent */
};

struct sg_ec2_pl_names {
	struct sg_ec2_pl_name *items; /* in the order received */
	size_t n;
	char *next_token;    /* malloc'd; NULL on the last page */
	char request_id[96];
};

/*
 * Parse a DescribeManagedPrefixLists response (prefixListSet/item/
 * prefixListId and prefixListName; everything else skipped). out is
 * initialised here and left empty on failure. Dispose with
 * sg_ec2_pl_names_dispose.
 */
enum sg_status sg_ec2_parse_prefix_list_names(struct sg_ec2_pl_names *out, const char *xml,
                                              size_t len, const struct sg_ec2_where *where,
                                              struct sg_error *err) SG_MUST_USE;
void sg_ec2_pl_names_dispose(struct sg_ec2_pl_names *p);

/* Whether a region name is plausible: [a-z0-9-], 1..63 chars, no leading/trailing '-'. */
bool sg_ec2_region_name_valid(const char *name);

#endif
