/*
 * sg_scan.h — the scan: which regions, every security group in each, the
 * prefix lists their rules name, and honest per-region coverage.
 *
 * Flow (all calls on the client's worker pool, one batch):
 *
 *   STS GetCallerIdentity ─┐  (who scanned; in parallel)
 *   DescribeRegions AllRegions=true ──► plan: requested regions the account
 *        has enabled are scanned; the others are NOT_OPTED_IN (no call made);
 *        a requested name DescribeRegions does not list is a usage error.
 *   per region, all regions at once (bounded by the client's concurrency):
 *        DescribeSecurityGroups MaxResults=1000, NextToken paging (pages of
 *        one region are strictly sequential: each needs the last token)
 *        GetManagedPrefixListEntries for every prefix list a rule names, as
 *        soon as a page names it (in parallel with the next page)
 *        DescribeManagedPrefixLists PrefixListId.N (no MaxResults with ids) for
 *        the prefix lists a page names first: their names (sg_prefix_list.name);
 *        a failure there leaves the names unknown with a warning, coverage
 *        untouched
 *        DescribeNetworkInterfaces MaxResults=1000 beside them: how many
 *        interfaces each group is attached to (sg_group.eni_count)
 *
 * Coverage per region (sg_record.h): SCANNED with groups, rules and pages
 * counted; NOT_OPTED_IN; DENIED (UnauthorizedOperation, AccessDenied,
 * AuthFailure in an enabled region); THROTTLED (retries spent); ERROR (the
 * code — AWS's, or the sg status name such as EPARSE — and the message).
 * A call failing mid-region (page 3 of 5, a prefix list) marks the region
 * with the FIRST failure; the groups read before it stay in the inventory.
 *
 * Attachment (DescribeNetworkInterfaces) is extra information, not coverage:
 * the groups are complete without it, so its failure never marks the region.
 * The groups' eni_count stays -1 ("unknown"), one warning per region goes to
 * stderr, and the region's coverage says why in `attachments` ("denied:
 * UnauthorizedOperation", "error: EPARSE", ...; "counted" when every page
 * was read; a partial count is never used). The interface chain has the
 * same guards as the group pages.
 *
 * Paging guards: a NextToken seen before in the same chain, a group id a
 * region already returned, SG_SCAN_MAX_EMPTY_PAGES empty pages in a row
 * that still carry a token, or more than max_pages pages: each stops the
 * chain with an ERROR naming the page, never a loop.
 */
#ifndef SG_SCAN_H
#define SG_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_aws.h"
#include "sg_err.h"
#include "sg_record.h"

#define SG_SCAN_MAX_RESULTS 1000        /* DescribeSecurityGroups page size (5..1000) */
#define SG_SCAN_PL_MAX_RESULTS 100      /* GetManagedPrefixListEntries page size (1..100) */
#define SG_SCAN_PL_NAMES_PER_CALL 100   /* PrefixListId.N per DescribeManagedPrefixLists */
#define SG_SCAN_DEFAULT_MAX_PAGES 10000 /* per call chain: 10 million groups */
#define SG_SCAN_MAX_EMPTY_PAGES 10      /* empty pages in a row that still carry a token */
/* One call in flight per commercial region, so no region's next page queues behind others. */
#define SG_SCAN_DEFAULT_CONCURRENCY 34

struct sg_scan_progress {
	size_t regions_total; /* regions to scan (not counting NOT_OPTED_IN ones) */
	size_t regions_done;
	size_t pages;         /* DescribeSecurityGroups pages read so far, all regions */
	size_t groups;
};

struct sg_aws_response;

struct sg_scan_options {
	const char *const *regions; /* explicit names (duplicates ignored); used when !all_regions */
	size_t n_regions;
	bool all_regions;           /* every region DescribeRegions lists */
	const char *api_region;     /* where DescribeRegions and STS go; NULL = client default */
	bool identity;              /* STS GetCallerIdentity fills account_id, caller_arn, partition */
	bool resolve_prefix_lists;  /* GetManagedPrefixListEntries for every prefix list named */
	bool network_interfaces;    /* DescribeNetworkInterfaces: sets each group's eni_count
	                             * (a failure there leaves it -1 with a warning; the
	                             * region's coverage is not affected) */
	unsigned max_pages;         /* per chain; 0 = SG_SCAN_DEFAULT_MAX_PAGES */
	/* Called (serialized, from worker threads) whenever a page or region completes. */
	void (*progress)(void *ctx, const struct sg_scan_progress *p);
	void *progress_ctx;
	/*
	 * Every response as received (success or not), for the evidence bundle:
	 * called from worker threads, possibly concurrently; page is 1-based for
	 * paged calls, 0 otherwise. resp is borrowed for the call.
	 */
	void (*on_response)(void *ctx, const struct sg_aws_response *resp, unsigned page,
	                    enum sg_status st);
	void *response_ctx;
};

/* Defaults: the client's default region only; identity, prefix lists, interfaces on. */
void sg_scan_options_init(struct sg_scan_options *o);

/*
 * Scan into inv (usually new and empty): groups sorted by (account, region,
 * group id); coverage in inv->regions in the requested order (explicit
 * names as given; for all regions, sorted by name); prefix lists resolved.
 *
 * SG_OK means the scan ran, whatever each region's outcome: look at the
 * coverage (sg_scan_complete). A failure status means no scan could be
 * made: ENOTFOUND for a requested region the account does not have (the
 * message lists what it has), EINVAL for a malformed name, the
 * DescribeRegions error when all regions were asked for and they could not
 * be listed, the STS error (EAUTH, ECREDS, ...) when the caller cannot be
 * identified, ENOMEM.
 */
enum sg_status sg_scan_run(struct sg_inventory *inv, struct sg_aws *aws,
                           const struct sg_scan_options *opt,
                           struct sg_error *err) SG_MUST_USE;

/* Every region in the coverage was SCANNED or NOT_OPTED_IN (nothing left unseen). */
bool sg_scan_complete(const struct sg_inventory *inv);

/* The region state a failed call's status and AWS error code stand for. */
enum sg_region_state sg_scan_state_for(enum sg_status st, const char *aws_code);

#endif
