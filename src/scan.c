/*
 * scan.c — the scan orchestration (see sg_scan.h).
 *
 * Everything runs as completion callbacks on the client's worker pool, in
 * one batch: the DescribeRegions callback plans the regions and submits each
 * region's first page; a page's callback parses it, submits the prefix-list
 * calls it newly needs and the next page. sg_aws_batch_wait() returns when
 * the last chain ends. Pages of a region are sequential by nature (each needs
 * the previous token), regions and prefix lists run side by side, so the
 * scan takes about as long as its longest region.
 *
 * Each region reads into its own inventory (no lock on the hot path: only
 * its page chain appends groups); prefix-list callbacks of that region take
 * the region's lock. At the end the regional inventories are merged in
 * requested order and the groups sorted.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_aws.h"
#include "sg_ec2.h"
#include "sg_endpoint.h"
#include "sg_log.h"
#include "sg_scan.h"
#include "sg_sts.h"
#include "sg_util.h"

/* ---- a small set of strings (tokens seen, group ids seen) ----------------- */

struct strset {
	char **slots;
	size_t cap, n; /* cap is a power of two */
};

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Insert s; 1 if added, 0 if it was there, -1 on ENOMEM. */
static int
strset_add(struct strset *set, const char *s)
{
	size_t i, mask;

	if ((set->n + 1) * 2 > set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 64, j;
		char **ns = calloc(ncap, sizeof(*ns));
		if (ns == NULL)
			return -1;
		for (j = 0; j < set->cap; j++) {
			if (set->slots[j] == NULL)
				continue;
			i = (size_t)fnv1a(set->slots[j]) & (ncap - 1);
			while (ns[i] != NULL)
				i = (i + 1) & (ncap - 1);
			ns[i] = set->slots[j];
		}
		free(set->slots);
		set->slots = ns;
		set->cap = ncap;
	}
	mask = set->cap - 1;
	for (i = (size_t)fnv1a(s) & mask; set->slots[i] != NULL; i = (i + 1) & mask)
		if (strcmp(set->slots[i], s) == 0)
			return 0;
	if ((set->slots[i] = strdup(s)) == NULL)
		return -1;
	set->n++;
	return 1;
}

static void
strset_dispose(struct strset *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* ---- state ------------------------------------------------------------------ */

struct scan;

struct region_job {
	struct scan *scan;
	char name[SG_REGION_MAX];
	bool enabled;             /* false: NOT_OPTED_IN, no call made */
	pthread_mutex_t lock;     /* prefix_lists of inv, outstanding, the failure */
	struct sg_inventory *inv; /* this region's groups and prefix lists */
	int outstanding;          /* call chains still running */
	/* first failure */
	bool failed;
	enum sg_region_state state;
	char *error_code;
	char *error_message;
	/*
	 * The DescribeSecurityGroups chain. Its callbacks hold page_lock: with
	 * the next page asked for before this one is parsed, two of them can run
	 * at once, and pages must be read in order.
	 */
	pthread_mutex_t page_lock;
	bool stopped;             /* the chain ended early: discard pages still coming */
	unsigned page;            /* pages read */
	unsigned empty_streak;
	struct strset tokens;
	struct strset group_ids;
	struct strset pl_ids;     /* prefix lists already asked for (under lock) */
	unsigned pl_names_calls;  /* DescribeManagedPrefixLists calls made (page chain only) */
	/* The DescribeNetworkInterfaces chain (only its own callbacks, one at a time). */
	char **eni_groups;        /* a group id per (interface, group) pair */
	size_t n_eni_groups, eni_groups_cap;
	unsigned eni_pages, eni_empty;
	bool eni_done;            /* every page read: eni_count can be set */
	char *eni_error;          /* why not (the message, for the warning) */
	char *eni_state;          /* why not, for the coverage: "denied: CODE", "error: CODE" */
	struct strset eni_tokens;
};

struct pl_job {
	struct region_job *rj;
	char id[128];
	size_t index;             /* into rj->inv->prefix_lists */
	unsigned page;
	struct sg_prefix_list got; /* entries collected so far */
	struct strset tokens;
};

struct scan {
	struct sg_aws *aws;
	const struct sg_scan_options *opt;
	const char *api_region;
	struct sg_aws_batch *batch;
	pthread_mutex_t lock;     /* everything below */
	enum sg_status fatal;
	struct sg_error fatal_err;
	bool have_identity;
	struct sg_identity identity;
	struct region_job *jobs;  /* in requested order */
	size_t n_jobs;
	struct sg_scan_progress progress;
	unsigned max_pages;
};

static void
set_fatal(struct scan *s, enum sg_status st, const struct sg_error *err, const char *fallback)
{
	pthread_mutex_lock(&s->lock);
	if (s->fatal == SG_OK) {
		s->fatal = st;
		if (err != NULL)
			s->fatal_err = *err;
		else
			sg_err_set(&s->fatal_err, st, "%s", fallback);
		if (s->fatal_err.status == SG_OK)
			s->fatal_err.status = st;
		if (s->fatal_err.msg[0] == '\0')
			snprintf(s->fatal_err.msg, sizeof(s->fatal_err.msg), "%s", fallback);
	}
	pthread_mutex_unlock(&s->lock);
}

static void
report_progress(struct scan *s, size_t pages, size_t groups, bool region_done)
{
	struct sg_scan_progress p;

	pthread_mutex_lock(&s->lock);
	s->progress.pages += pages;
	s->progress.groups += groups;
	if (region_done)
		s->progress.regions_done++;
	p = s->progress;
	if (s->opt->progress != NULL)
		s->opt->progress(s->opt->progress_ctx, &p);
	pthread_mutex_unlock(&s->lock);
}

enum sg_region_state
sg_scan_state_for(enum sg_status st, const char *aws_code)
{
	(void)aws_code;
	switch (st) {
	case SG_OK: return SG_REGION_SCANNED;
	case SG_EDENIED:
	case SG_EAUTH: return SG_REGION_DENIED;
	case SG_ETHROTTLED: return SG_REGION_THROTTLED;
	default: return SG_REGION_ERROR;
	}
}

/* Record the region's first failure (later ones are consequences or noise). */
static void
region_fail(struct region_job *rj, enum sg_status st, const struct sg_error *err,
            const char *context)
{
	char msg[sizeof(err->msg) + 160];

	pthread_mutex_lock(&rj->lock);
	if (!rj->failed) {
		rj->failed = true;
		rj->state = sg_scan_state_for(st, err->aws_code);
		rj->error_code = strdup(err->aws_code[0] ? err->aws_code : sg_status_name(st));
		if (context != NULL)
			snprintf(msg, sizeof(msg), "%s (%s)", err->msg[0] ? err->msg :
			    sg_status_name(st), context);
		else
			snprintf(msg, sizeof(msg), "%s", err->msg[0] ? err->msg : sg_status_name(st));
		rj->error_message = strdup(msg);
	}
	pthread_mutex_unlock(&rj->lock);
}

/* A chain of this region ended; the last one to end reports the region done. */
static void
chain_end(struct region_job *rj)
{
	int left;

	pthread_mutex_lock(&rj->lock);
	left = --rj->outstanding;
	pthread_mutex_unlock(&rj->lock);
	if (left == 0)
		report_progress(rj->scan, 0, 0, true);
}

static void
hook_response(struct scan *s, const struct sg_aws_response *resp, unsigned page,
              enum sg_status st)
{
	if (s->opt->on_response != NULL)
		s->opt->on_response(s->opt->response_ctx, resp, page, st);
}

/* ---- submitting EC2 calls ------------------------------------------------------ */

/* Queue one EC2 Query call `action` in `region` with params p (the caller's). */
static enum sg_status
submit_ec2(struct scan *s, const char *region, const char *action,
           const struct sg_aws_params *p, sg_aws_done_fn done, void *ctx, struct sg_error *err)
{
	struct sg_aws_call call;

	memset(&call, 0, sizeof(call));
	call.service = SG_SVC_EC2;
	call.region = region;
	call.action = action;
	call.params = p;
	return sg_aws_submit(s->batch, &call, done, ctx, err);
}

/*
 * Queue one page of a paged EC2 call in rj's region: id_key=id first when
 * id_key is not NULL (GetManagedPrefixListEntries' PrefixListId), then
 * MaxResults, then NextToken unless this is the first page (token NULL).
 */
static enum sg_status
submit_page(struct region_job *rj, const char *action, const char *id_key, const char *id,
            long max_results, const char *token, sg_aws_done_fn done, void *ctx,
            struct sg_error *err)
{
	struct sg_aws_params p;
	enum sg_status st = SG_OK;

	sg_aws_params_init(&p);
	if ((id_key == NULL || (st = sg_aws_params_add(&p, id_key, id, err)) == SG_OK) &&
	    (st = sg_aws_params_add_long(&p, "MaxResults", max_results, err)) == SG_OK &&
	    (token == NULL || (st = sg_aws_params_add(&p, "NextToken", token, err)) == SG_OK))
		st = submit_ec2(rj->scan, rj->name, action, &p, done, ctx, err);
	sg_aws_params_dispose(&p);
	return st;
}

/* ---- GetManagedPrefixListEntries -------------------------------------------- */

static void on_pl_page(void *ctx, struct sg_aws_response *resp, enum sg_status st,
                       const struct sg_error *err);

static enum sg_status
submit_pl_page(struct pl_job *pj, const char *token, struct sg_error *err)
{
	return submit_page(pj->rj, "GetManagedPrefixListEntries", "PrefixListId", pj->id,
	    SG_SCAN_PL_MAX_RESULTS, token, on_pl_page, pj, err);
}

static void
pl_job_free(struct pl_job *pj)
{
	free(pj->got.entries);
	strset_dispose(&pj->tokens);
	free(pj);
}

static void
pl_finish(struct pl_job *pj, bool ok)
{
	struct region_job *rj = pj->rj;

	pthread_mutex_lock(&rj->lock);
	if (ok) {
		struct sg_prefix_list *pl = &rj->inv->prefix_lists[pj->index];
		free(pl->entries);
		pl->entries = pj->got.entries;
		pl->n_entries = pj->got.n_entries;
		pl->resolved = true;
		pj->got.entries = NULL;
	}
	pthread_mutex_unlock(&rj->lock);
	chain_end(rj);
	pl_job_free(pj);
}

static void
on_pl_page(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct pl_job *pj = ctx;
	struct region_job *rj = pj->rj;
	struct scan *s = rj->scan;
	struct sg_error perr;
	struct sg_ec2_where w;
	char *next = NULL, context[200];
	int added;

	pj->page++;
	hook_response(s, resp, pj->page, st);
	snprintf(context, sizeof(context), "prefix list %s", pj->id);
	if (st != SG_OK) {
		region_fail(rj, st, err, context);
		pl_finish(pj, false);
		return;
	}
	sg_err_init(&perr);
	memset(&w, 0, sizeof(w));
	w.region = rj->name;
	w.page = pj->page;
	w.detail = pj->id;
	st = sg_ec2_parse_prefix_list_entries(&next, &pj->got, resp->body.data, resp->body.len,
	    &w, &perr);
	if (st != SG_OK) {
		region_fail(rj, st, &perr, NULL);
		pl_finish(pj, false);
		return;
	}
	if (next == NULL) {
		pl_finish(pj, true);
		return;
	}
	added = strset_add(&pj->tokens, next);
	if (added <= 0 || pj->page >= s->max_pages) {
		sg_err_set(&perr, added < 0 ? SG_ENOMEM : SG_EAWS,
		    "%s GetManagedPrefixListEntries %s page %u: %s", rj->name, pj->id, pj->page,
		    added < 0 ? "out of memory" : added == 0 ?
		    "the NextToken repeats an earlier one; paging does not advance" :
		    "too many pages");
		region_fail(rj, perr.status, &perr, NULL);
		free(next);
		pl_finish(pj, false);
		return;
	}
	st = submit_pl_page(pj, next, &perr);
	free(next);
	if (st != SG_OK) {
		region_fail(rj, st, &perr, context);
		pl_finish(pj, false);
	}
}

/*
 * Ask for a prefix list the first time a rule of this region names it; true
 * when it is new (its name is then asked for too, see after_page).
 */
static bool
want_prefix_list(struct region_job *rj, const char *id)
{
	struct scan *s = rj->scan;
	struct sg_prefix_list *pl;
	struct pl_job *pj;
	struct sg_error err;
	size_t index;
	int added;

	sg_err_init(&err);
	pthread_mutex_lock(&rj->lock);
	added = strset_add(&rj->pl_ids, id);
	if (added <= 0) {
		pthread_mutex_unlock(&rj->lock);
		if (added < 0)
			region_fail(rj, SG_ENOMEM, &err, "out of memory");
		return false;
	}
	pl = sg_inventory_add_prefix_list(rj->inv);
	if (pl == NULL || (pl->region = strdup(rj->name)) == NULL ||
	    (pl->id = strdup(id)) == NULL) {
		pthread_mutex_unlock(&rj->lock);
		sg_err_set(&err, SG_ENOMEM, "out of memory");
		region_fail(rj, SG_ENOMEM, &err, NULL);
		return false;
	}
	index = rj->inv->n_prefix_lists - 1;
	if (!s->opt->resolve_prefix_lists) {
		pthread_mutex_unlock(&rj->lock);
		return true;
	}
	rj->outstanding++;
	pthread_mutex_unlock(&rj->lock);

	pj = calloc(1, sizeof(*pj));
	if (pj == NULL) {
		sg_err_set(&err, SG_ENOMEM, "out of memory");
		region_fail(rj, SG_ENOMEM, &err, NULL);
		chain_end(rj);
		return true;
	}
	pj->rj = rj;
	pj->index = index;
	snprintf(pj->id, sizeof(pj->id), "%s", id);
	if (submit_pl_page(pj, NULL, &err) != SG_OK) {
		region_fail(rj, err.status, &err, NULL);
		pl_finish(pj, false);
	}
	return true;
}

/* ---- DescribeManagedPrefixLists: the names ------------------------------------ */

/*
 * A name is extra information (a finding says "prefix list pl-... (corp-vpn)"):
 * if it cannot be read the rules are still decided by the entries, so the
 * region is not marked; the name stays unknown and the scan says so once.
 */
struct names_job {
	struct region_job *rj;
	unsigned call;            /* 1-based, in page order: the evidence's page number */
};

static void
on_pl_names(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct names_job *nj = ctx;
	struct region_job *rj = nj->rj;
	struct sg_ec2_pl_names got;
	struct sg_ec2_where w;
	struct sg_error perr;
	size_t i, k;

	hook_response(rj->scan, resp, nj->call, st);
	free(nj);
	sg_err_init(&perr);
	if (st != SG_OK) {
		sg_log_warn("%s: prefix list names unknown: %s", rj->name, err->msg);
		chain_end(rj);
		return;
	}
	memset(&w, 0, sizeof(w));
	w.region = rj->name;
	if (sg_ec2_parse_prefix_list_names(&got, resp->body.data, resp->body.len, &w, &perr) !=
	    SG_OK) {
		sg_log_warn("%s: prefix list names unknown: %s", rj->name, perr.msg);
		chain_end(rj);
		return;
	}
	pthread_mutex_lock(&rj->lock);
	for (i = 0; i < got.n; i++) {
		for (k = 0; k < rj->inv->n_prefix_lists; k++) {
			struct sg_prefix_list *pl = &rj->inv->prefix_lists[k];
			if (got.items[i].name == NULL || pl->name != NULL ||
			    strcmp(pl->id, got.items[i].id) != 0)
				continue;
			pl->name = got.items[i].name;
			got.items[i].name = NULL;
		}
	}
	pthread_mutex_unlock(&rj->lock);
	sg_ec2_pl_names_dispose(&got);
	chain_end(rj);
}

/*
 * One DescribeManagedPrefixLists for the prefix lists a page named first:
 * PrefixListId.N and no MaxResults (EC2 refuses ids with MaxResults).
 */
static void
want_pl_names(struct region_job *rj, const char *const *ids, size_t n)
{
	struct sg_aws_params p;
	struct sg_error err;
	struct names_job *nj;
	enum sg_status st = SG_OK;
	size_t i;

	if (n == 0)
		return;
	sg_err_init(&err);
	if ((nj = calloc(1, sizeof(*nj))) == NULL) {
		sg_log_warn("%s: prefix list names unknown: out of memory", rj->name);
		return;
	}
	nj->rj = rj;
	nj->call = ++rj->pl_names_calls;
	sg_aws_params_init(&p);
	for (i = 0; i < n && st == SG_OK; i++) {
		char key[48];
		snprintf(key, sizeof(key), "PrefixListId.%zu", i + 1);
		st = sg_aws_params_add(&p, key, ids[i], &err);
	}
	pthread_mutex_lock(&rj->lock);
	rj->outstanding++;
	pthread_mutex_unlock(&rj->lock);
	if (st == SG_OK)
		st = submit_ec2(rj->scan, rj->name, "DescribeManagedPrefixLists", &p, on_pl_names, nj,
		    &err);
	sg_aws_params_dispose(&p);
	if (st != SG_OK) {
		sg_log_warn("%s: prefix list names unknown: %s", rj->name, err.msg);
		free(nj);
		chain_end(rj);
	}
}

/* ---- DescribeSecurityGroups ----------------------------------------------------- */

static void on_sg_page(void *ctx, struct sg_aws_response *resp, enum sg_status st,
                       const struct sg_error *err);

static enum sg_status
submit_sg_page(struct region_job *rj, const char *token, struct sg_error *err)
{
	return submit_page(rj, "DescribeSecurityGroups", NULL, NULL, SG_SCAN_MAX_RESULTS, token, on_sg_page, rj,
	    err);
}

/*
 * Checks on a page just parsed: no group id the region already returned
 * (an endpoint serving the same page again would otherwise loop or count
 * groups twice), and prefix lists to ask for.
 */
static enum sg_status
after_page(struct region_job *rj, size_t first, struct sg_error *err)
{
	const char *names[SG_SCAN_PL_NAMES_PER_CALL];
	size_t i, j, n_names = 0;

	for (i = first; i < rj->inv->n_groups; i++) {
		const struct sg_group *g = &rj->inv->groups[i];
		int added = strset_add(&rj->group_ids, g->group_id);
		if (added < 0)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		if (added == 0)
			return sg_err_set(err, SG_EAWS, "%s DescribeSecurityGroups page %u: group %s "
			    "was already returned by an earlier page; paging does not advance",
			    rj->name, rj->page, g->group_id);
	}
	for (i = first; i < rj->inv->n_groups; i++) {
		const struct sg_group *g = &rj->inv->groups[i];
		for (j = 0; j < g->n_rules; j++) {
			if (g->rules[j].source != SG_SRC_PREFIX_LIST ||
			    !want_prefix_list(rj, g->rules[j].prefix_list_id) ||
			    !rj->scan->opt->resolve_prefix_lists)
				continue;
			/* The strings are the rules': they stay put until the scan ends. */
			names[n_names++] = g->rules[j].prefix_list_id;
			if (n_names == SG_SCAN_PL_NAMES_PER_CALL) {
				want_pl_names(rj, names, n_names);
				n_names = 0;
			}
		}
	}
	want_pl_names(rj, names, n_names);
	return SG_OK;
}

/*
 * The page's nextToken, read from the tail of the bytes when it is the
 * document's last element -- "<nextToken>TOKEN</nextToken></...Response>",
 * as AWS and the stand-ins write it -- and made only of token characters;
 * NULL otherwise (then the next page waits for the parse). This only lets
 * the next request go out while the page is parsed: the parser reads the
 * token properly and must find the same one.
 */
static char *
tail_token(const char *body, size_t len)
{
	static const char open[] = "<nextToken>", close[] = "</nextToken>";
	const char *end = body + len, *p, *q, *t;
	size_t n;

	if (body == NULL)
		return NULL;
	p = end;
	while (p > body && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\r' || p[-1] == '\t'))
		p--;
	/* </DescribeSecurityGroupsResponse> */
	q = p;
	while (q > body && q[-1] != '<')
		q--;
	if (q == body || (size_t)(p - q) < 2 || q[0] != '/' || p[-1] != '>')
		return NULL;
	p = q - 1;
	while (p > body && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\r' || p[-1] == '\t'))
		p--;
	if ((size_t)(p - body) < sizeof(close) - 1 ||
	    memcmp(p - (sizeof(close) - 1), close, sizeof(close) - 1) != 0)
		return NULL;
	p -= sizeof(close) - 1;
	for (t = p; t > body && t[-1] != '>'; t--) {
		char ch = t[-1];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '+' || ch == '/' || ch == '=' || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~'))
			return NULL;
		if (p - t > 8192)
			return NULL;
	}
	n = (size_t)(p - t);
	if (n == 0 || (size_t)(t - body) < sizeof(open) - 1 ||
	    memcmp(t - (sizeof(open) - 1), open, sizeof(open) - 1) != 0)
		return NULL;
	return strndup(t, n);
}

/*
 * Before asking for the page after page `page` with the token it carried: no
 * loop, no runaway. Changes nothing when it fails (the token is remembered
 * only when it passes).
 */
static enum sg_status
page_guard(struct region_job *rj, const char *token, unsigned page, struct sg_error *err)
{
	int added;

	if (page >= rj->scan->max_pages)
		return sg_err_set(err, SG_ELIMIT, "%s DescribeSecurityGroups: more than %u pages; "
		    "stopped", rj->name, rj->scan->max_pages);
	added = strset_add(&rj->tokens, token);
	if (added < 0)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if (added == 0)
		return sg_err_set(err, SG_EAWS, "%s DescribeSecurityGroups page %u: the NextToken "
		    "repeats an earlier one; paging does not advance", rj->name, page);
	return SG_OK;
}

static void
on_sg_page(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct region_job *rj = ctx;
	struct scan *s = rj->scan;
	struct sg_ec2_page pg;
	struct sg_ec2_where w;
	struct sg_error perr;
	size_t first;
	char *early = NULL;
	bool submitted = false;

	sg_err_init(&perr);
	sg_ec2_page_init(&pg);
	pthread_mutex_lock(&rj->page_lock);
	first = rj->inv->n_groups;
	hook_response(s, resp, rj->page + 1, st);
	if (rj->stopped)
		goto out; /* asked for ahead, but the chain has ended since */
	if (st != SG_OK) {
		region_fail(rj, st, err, NULL);
		goto stop;
	}
	/* Ask for the next page first, then parse this one while it travels. */
	early = tail_token(resp->body.data, resp->body.len);
	if (early != NULL) {
		struct sg_error gerr;
		sg_err_init(&gerr);
		if (page_guard(rj, early, rj->page + 1, &gerr) != SG_OK) {
			/* Read the page anyway; the check after the parse says why it stops. */
			free(early);
			early = NULL;
		} else if ((st = submit_sg_page(rj, early, &perr)) != SG_OK) {
			goto fail;
		} else {
			submitted = true;
		}
	}
	memset(&w, 0, sizeof(w));
	w.region = rj->name;
	w.page = rj->page + 1;
	st = sg_ec2_parse_groups(&pg, rj->inv, resp->body.data, resp->body.len, &w, &perr);
	if (st != SG_OK) {
		/* Groups completed before the bad spot stay; the region is marked. */
		report_progress(s, 0, pg.groups, false);
		goto fail;
	}
	rj->page++;
	rj->empty_streak = pg.groups == 0 ? rj->empty_streak + 1 : 0;
	report_progress(s, 1, pg.groups, false);
	if ((st = after_page(rj, first, &perr)) != SG_OK)
		goto fail;
	if (pg.next_token != NULL && rj->empty_streak >= SG_SCAN_MAX_EMPTY_PAGES) {
		st = sg_err_set(&perr, SG_EAWS, "%s DescribeSecurityGroups page %u: %u empty pages "
		    "in a row, each with a new NextToken; paging does not advance", rj->name,
		    rj->page, rj->empty_streak);
		goto fail;
	}
	if (early != NULL) {
		if (pg.next_token == NULL || strcmp(pg.next_token, early) != 0) {
			st = sg_err_set(&perr, SG_EPARSE, "%s DescribeSecurityGroups page %u: the "
			    "nextToken read at the end of the page is not the one the page holds",
			    rj->name, rj->page);
			goto fail;
		}
		goto out; /* the next page is on its way */
	}
	if (pg.next_token == NULL)
		goto stop; /* the last page: the chain ends here */
	/* The token was not at the tail: ask now. */
	if ((st = page_guard(rj, pg.next_token, rj->page, &perr)) != SG_OK ||
	    (st = submit_sg_page(rj, pg.next_token, &perr)) != SG_OK)
		goto fail;
	submitted = true;
	goto out;
fail:
	region_fail(rj, st, &perr, NULL);
stop:
	rj->stopped = true;
out:
	pthread_mutex_unlock(&rj->page_lock);
	/* Exactly one callback ends the chain: the one that asked for no more. */
	if (!submitted && (rj->stopped || st != SG_OK))
		chain_end(rj);
	free(early);
	sg_ec2_page_dispose(&pg);
}

/* ---- DescribeNetworkInterfaces: which groups are attached ------------------------- */

static void on_eni_page(void *ctx, struct sg_aws_response *resp, enum sg_status st,
                        const struct sg_error *err);

static enum sg_status
submit_eni_page(struct region_job *rj, const char *token, struct sg_error *err)
{
	return submit_page(rj, "DescribeNetworkInterfaces", NULL, NULL, SG_SCAN_MAX_RESULTS, token, on_eni_page, rj,
	    err);
}

/*
 * Attachment is extra information (a finding shows whether the group is in
 * use): if it cannot be read the groups are still complete, so the region is
 * not marked; the groups' eni_count stays unknown and the scan warns.
 */
static void
eni_fail(struct region_job *rj, enum sg_status st, const struct sg_error *err, const char *msg)
{
	if (rj->eni_error == NULL) {
		const char *code = err != NULL && err->aws_code[0] ? err->aws_code :
		    sg_status_name(st);
		char buf[160];
		snprintf(buf, sizeof(buf), "%s: %s",
		    sg_scan_state_for(st, code) == SG_REGION_DENIED ? "denied" : "error", code);
		rj->eni_error = strdup(msg != NULL && msg[0] ? msg : code);
		rj->eni_state = strdup(buf);
	}
	chain_end(rj);
}

static void
on_eni_page(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct region_job *rj = ctx;
	struct sg_ec2_eni_page pg;
	struct sg_ec2_where w;
	struct sg_error perr;
	size_t i;
	int added;

	rj->eni_pages++;
	hook_response(rj->scan, resp, rj->eni_pages, st);
	if (st != SG_OK) {
		eni_fail(rj, st, err, err->msg);
		return;
	}
	sg_err_init(&perr);
	memset(&w, 0, sizeof(w));
	w.region = rj->name;
	w.page = rj->eni_pages;
	if (sg_ec2_parse_network_interfaces(&pg, resp->body.data, resp->body.len, &w, &perr) !=
	    SG_OK) {
		eni_fail(rj, perr.status, &perr, perr.msg);
		return;
	}
	if (rj->n_eni_groups + pg.n_group_ids > rj->eni_groups_cap) {
		size_t ncap = rj->eni_groups_cap ? rj->eni_groups_cap : 64;
		void *np;
		while (ncap < rj->n_eni_groups + pg.n_group_ids)
			ncap *= 2;
		if ((np = realloc(rj->eni_groups, ncap * sizeof(*rj->eni_groups))) == NULL) {
			sg_ec2_eni_page_dispose(&pg);
			eni_fail(rj, SG_ENOMEM, NULL, "out of memory");
			return;
		}
		rj->eni_groups = np;
		rj->eni_groups_cap = ncap;
	}
	for (i = 0; i < pg.n_group_ids; i++) {
		rj->eni_groups[rj->n_eni_groups++] = pg.group_ids[i];
		pg.group_ids[i] = NULL;
	}
	rj->eni_empty = pg.interfaces == 0 ? rj->eni_empty + 1 : 0;
	if (pg.next_token == NULL) {
		rj->eni_done = true;
		sg_ec2_eni_page_dispose(&pg);
		chain_end(rj);
		return;
	}
	added = strset_add(&rj->eni_tokens, pg.next_token);
	if (added <= 0 || rj->eni_pages >= rj->scan->max_pages ||
	    rj->eni_empty >= SG_SCAN_MAX_EMPTY_PAGES) {
		sg_err_set(&perr, added < 0 ? SG_ENOMEM : SG_EAWS,
		    "%s DescribeNetworkInterfaces page %u: %s", rj->name, rj->eni_pages,
		    added < 0 ? "out of memory" : added == 0 ?
		    "the NextToken repeats an earlier one; paging does not advance" :
		    rj->eni_pages >= rj->scan->max_pages ? "too many pages" :
		    "empty pages that do not end; paging does not advance");
		sg_ec2_eni_page_dispose(&pg);
		eni_fail(rj, perr.status, NULL, perr.msg);
		return;
	}
	if (submit_eni_page(rj, pg.next_token, &perr) != SG_OK) {
		sg_ec2_eni_page_dispose(&pg);
		eni_fail(rj, perr.status, &perr, perr.msg);
		return;
	}
	sg_ec2_eni_page_dispose(&pg);
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* How many (interface, group) pairs name `id` in a sorted list. */
static int
count_sorted(char **ids, size_t n, const char *id)
{
	size_t lo = 0, hi = n;
	int count = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ids[mid], id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < n && strcmp(ids[lo], id) == 0) {
		count++;
		lo++;
	}
	return count;
}

/* ---- planning: DescribeRegions and STS ---------------------------------------- */

static void
start_regions(struct scan *s)
{
	size_t i, total = 0;

	for (i = 0; i < s->n_jobs; i++)
		total += s->jobs[i].enabled;
	pthread_mutex_lock(&s->lock);
	s->progress.regions_total = total;
	pthread_mutex_unlock(&s->lock);
	/*
	 * The API region goes first: its connection is already open (it just
	 * answered DescribeRegions) and it is usually the home region, the one
	 * with the most groups. The others follow in order.
	 */
	for (i = 0; i < 2 * s->n_jobs; i++) {
		struct region_job *rj = &s->jobs[i % s->n_jobs];
		bool api = strcmp(rj->name, s->api_region) == 0;
		struct sg_error err;

		if (!rj->enabled || (i < s->n_jobs) != api)
			continue;
		sg_err_init(&err);
		rj->outstanding = s->opt->network_interfaces ? 2 : 1;
		if (submit_sg_page(rj, NULL, &err) != SG_OK) {
			region_fail(rj, err.status, &err, NULL);
			chain_end(rj);
		}
	}
	/* Interfaces after every first page: the pages are the critical path. */
	for (i = 0; s->opt->network_interfaces && i < s->n_jobs; i++) {
		struct region_job *rj = &s->jobs[i];
		struct sg_error err;

		if (!rj->enabled)
			continue;
		sg_err_init(&err);
		if (submit_eni_page(rj, NULL, &err) != SG_OK)
			eni_fail(rj, err.status, &err, err.msg);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Make the region jobs: names (sorted when all), enabled or not. */
static enum sg_status
plan(struct scan *s, const struct sg_ec2_region_list *listed, struct sg_error *err)
{
	const struct sg_scan_options *o = s->opt;
	const char **names;
	size_t n = 0, i, j;

	if (o->all_regions) {
		/*
		 * Credentials work in one partition only (aws-protocol.md 1.4), and
		 * AWS lists only that partition's regions; a stand-in that lists more
		 * (moto lists cn-* and us-gov-*) must not turn them into failures.
		 */
		const char *part = sg_endpoint_partition(s->api_region);
		names = calloc(listed->n ? listed->n : 1, sizeof(*names));
		if (names == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		for (i = 0; i < listed->n; i++) {
			const char *rp = sg_endpoint_partition(listed->items[i].name);
			if (part != NULL && rp != NULL && strcmp(part, rp) != 0) {
				sg_log_debug("scan: %s is in partition %s, not %s: not scanned",
				    listed->items[i].name, rp, part);
				continue;
			}
			names[n++] = listed->items[i].name;
		}
		qsort(names, n, sizeof(*names), cmp_str);
		if (n == 0) {
			/* Every account has regions: an empty list is a broken answer, and a
			 * scan of nothing must not pass for a clean one. */
			free(names);
			return sg_err_set(err, SG_EAWS, "%s DescribeRegions listed no region of "
			    "partition %s; nothing could be scanned", s->api_region,
			    part ? part : "(unknown)");
		}
	} else {
		names = calloc(o->n_regions ? o->n_regions : 1, sizeof(*names));
		if (names == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		for (i = 0; i < o->n_regions; i++) {
			bool dup = false;
			for (j = 0; j < n; j++)
				dup = dup || strcmp(names[j], o->regions[i]) == 0;
			if (!dup)
				names[n++] = o->regions[i];
		}
	}
	/* Check every explicit name before any region call goes out. */
	for (i = 0; i < n && !o->all_regions; i++) {
		if (!sg_ec2_region_name_valid(names[i])) {
			sg_err_set(err, SG_EINVAL, "'%s' is not a region name", names[i]);
			free(names);
			return SG_EINVAL;
		}
		if (listed != NULL && sg_ec2_region_list_find(listed, names[i]) == NULL) {
			char known[512];
			size_t k, off = 0;
			known[0] = '\0';
			for (k = 0; k < listed->n && off + 70 < sizeof(known); k++)
				off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s",
				    k ? ", " : "", listed->items[k].name);
			if (k < listed->n)
				snprintf(known + off, sizeof(known) - off, ", ...");
			sg_err_set(err, SG_ENOTFOUND, "unknown region '%s': DescribeRegions lists %zu "
			    "regions for this account (%s)", names[i], listed->n, known);
			free(names);
			return SG_ENOTFOUND;
		}
	}
	s->jobs = calloc(n ? n : 1, sizeof(*s->jobs));
	if (s->jobs == NULL) {
		free(names);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		struct region_job *rj = &s->jobs[i];
		const struct sg_ec2_region *r = listed ? sg_ec2_region_list_find(listed, names[i]) : NULL;

		rj->scan = s;
		snprintf(rj->name, sizeof(rj->name), "%s", names[i]);
		rj->enabled = r == NULL || r->enabled;
		pthread_mutex_init(&rj->lock, NULL);
		pthread_mutex_init(&rj->page_lock, NULL);
		rj->inv = sg_inventory_new();
		s->n_jobs++;
		if (rj->inv == NULL) {
			free(names);
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		}
	}
	free(names);
	return SG_OK;
}

static void
on_regions(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct scan *s = ctx;
	struct sg_ec2_region_list l;
	struct sg_ec2_where w;
	struct sg_error perr;
	bool have_list = false;

	hook_response(s, resp, 0, st);
	sg_err_init(&perr);
	memset(&l, 0, sizeof(l));
	if (st == SG_OK) {
		memset(&w, 0, sizeof(w));
		w.region = s->api_region;
		st = sg_ec2_parse_regions(&l, resp->body.data, resp->body.len, &w, &perr);
		err = &perr;
		have_list = st == SG_OK;
	}
	if (!have_list) {
		/*
		 * Without the list: all regions cannot be known, and bad credentials
		 * stop everything. Named regions are still scanned; their names are
		 * only checked for syntax, and opt-in status shows as each call's
		 * answer.
		 */
		if (s->opt->all_regions || st == SG_EAUTH || st == SG_ECREDS) {
			struct sg_error e2 = *err;
			if (s->opt->all_regions)
				sg_err_prefix(&e2, "cannot list the account's regions (name them with "
				    "--regions R1,R2): ");
			set_fatal(s, st, &e2, "DescribeRegions failed");
			return;
		}
		sg_log_warn("cannot check the region names: %s", err->msg);
	}
	sg_err_init(&perr);
	if ((st = plan(s, have_list ? &l : NULL, &perr)) != SG_OK) {
		set_fatal(s, st, &perr, "planning the scan failed");
		sg_ec2_region_list_dispose(&l);
		return;
	}
	sg_ec2_region_list_dispose(&l);
	start_regions(s);
}

static void
on_identity(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct scan *s = ctx;
	struct sg_identity id;
	struct sg_error perr;

	hook_response(s, resp, 0, st);
	if (st != SG_OK) {
		set_fatal(s, st, err, "GetCallerIdentity failed");
		return;
	}
	sg_err_init(&perr);
	if ((st = sg_sts_parse_caller_identity(resp->body.data, resp->body.len, &id, &perr)) != SG_OK) {
		set_fatal(s, st, &perr, "GetCallerIdentity answer unreadable");
		return;
	}
	pthread_mutex_lock(&s->lock);
	s->identity = id;
	s->have_identity = true;
	pthread_mutex_unlock(&s->lock);
}

/* ---- assembling the result -------------------------------------------------------- */

static int
cmp_pl(const void *a, const void *b)
{
	const struct sg_prefix_list *x = a, *y = b;
	return strcmp(x->id, y->id);
}

/* Move region jobs' records into inv (groups and prefix lists), coverage in order. */
static enum sg_status
merge(struct scan *s, struct sg_inventory *inv, struct sg_error *err)
{
	size_t i, k;

	for (i = 0; i < s->n_jobs; i++) {
		struct region_job *rj = &s->jobs[i];
		struct sg_region_coverage *cov = sg_inventory_add_region(inv, rj->name);

		if (cov == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		if (!rj->enabled)
			cov->state = SG_REGION_NOT_OPTED_IN;
		else if (rj->failed)
			cov->state = rj->state;
		else
			cov->state = SG_REGION_SCANNED;
		cov->error_code = rj->error_code;
		cov->error_message = rj->error_message;
		rj->error_code = rj->error_message = NULL;
		cov->pages = rj->page;
		if (rj->enabled) {
			const char *att = !s->opt->network_interfaces ? "not requested" :
			    rj->eni_done ? "counted" : rj->eni_state != NULL ? rj->eni_state :
			    "error: EINTERNAL";
			if ((cov->attachments = strdup(att)) == NULL)
				return sg_err_set(err, SG_ENOMEM, "out of memory");
		}
		if (rj->eni_done) {
			if (rj->n_eni_groups > 1)
				qsort(rj->eni_groups, rj->n_eni_groups, sizeof(*rj->eni_groups), cmp_strp);
			for (k = 0; k < rj->inv->n_groups; k++)
				rj->inv->groups[k].eni_count = count_sorted(rj->eni_groups,
				    rj->n_eni_groups, rj->inv->groups[k].group_id);
		} else if (rj->enabled && rj->eni_error != NULL && s->opt->network_interfaces) {
			sg_log_warn("%s: which groups are attached to a network interface is unknown "
			    "(the groups are complete; findings show the attachment as unknown): %s",
			    rj->name, rj->eni_error);
		}
		if (rj->inv->n_prefix_lists > 1)
			qsort(rj->inv->prefix_lists, rj->inv->n_prefix_lists,
			    sizeof(rj->inv->prefix_lists[0]), cmp_pl);
		if (!sg_inventory_move_records(inv, rj->inv, cov))
			return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	sg_inventory_sort(inv);
	return SG_OK;
}

static void
scan_dispose(struct scan *s)
{
	size_t i, k;

	for (i = 0; i < s->n_jobs; i++) {
		struct region_job *rj = &s->jobs[i];
		sg_inventory_free(rj->inv);
		free(rj->error_code);
		free(rj->error_message);
		strset_dispose(&rj->tokens);
		strset_dispose(&rj->group_ids);
		strset_dispose(&rj->pl_ids);
		strset_dispose(&rj->eni_tokens);
		for (k = 0; k < rj->n_eni_groups; k++)
			free(rj->eni_groups[k]);
		free(rj->eni_groups);
		free(rj->eni_error);
		free(rj->eni_state);
		pthread_mutex_destroy(&rj->lock);
		pthread_mutex_destroy(&rj->page_lock);
	}
	free(s->jobs);
	pthread_mutex_destroy(&s->lock);
}

void
sg_scan_options_init(struct sg_scan_options *o)
{
	memset(o, 0, sizeof(*o));
	o->identity = true;
	o->resolve_prefix_lists = true;
	o->network_interfaces = true;
}

enum sg_status
sg_scan_run(struct sg_inventory *inv, struct sg_aws *aws, const struct sg_scan_options *opt,
            struct sg_error *err)
{
	struct scan s;
	struct sg_aws_call call;
	struct sg_aws_params p;
	enum sg_status st;
	const char *def[1];
	struct sg_scan_options o = *opt;
	uint64_t t0 = sg_now_ms();

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	sg_err_init(&s.fatal_err);
	s.aws = aws;
	s.api_region = opt->api_region ? opt->api_region : sg_aws_default_region(aws);
	s.max_pages = opt->max_pages ? opt->max_pages : SG_SCAN_DEFAULT_MAX_PAGES;
	if (!o.all_regions && o.n_regions == 0) {
		def[0] = sg_aws_default_region(aws);
		o.regions = def;
		o.n_regions = 1;
	}
	s.opt = &o;

	if ((st = sg_aws_batch_new(&s.batch, aws, err)) != SG_OK)
		goto out;
	memset(&call, 0, sizeof(call));
	if (o.identity) {
		call.service = SG_SVC_STS;
		call.region = s.api_region;
		call.action = "GetCallerIdentity";
		if ((st = sg_aws_submit(s.batch, &call, on_identity, &s, err)) != SG_OK)
			goto wait;
	}
	sg_aws_params_init(&p);
	if ((st = sg_aws_params_add(&p, "AllRegions", "true", err)) == SG_OK)
		st = submit_ec2(&s, s.api_region, "DescribeRegions", &p, on_regions, &s, err);
	sg_aws_params_dispose(&p);
wait:
	sg_aws_batch_free(s.batch);
	s.batch = NULL;
	if (st != SG_OK)
		goto out;
	if (s.fatal != SG_OK) {
		st = s.fatal;
		sg_err_set(err, st, "%s", s.fatal_err.msg);
		if (s.fatal_err.aws_code[0] || s.fatal_err.http_status)
			sg_err_set_aws(err, s.fatal_err.http_status, s.fatal_err.aws_code,
			    s.fatal_err.request_id);
		goto out;
	}
	if (s.have_identity) {
		free(inv->account_id);
		free(inv->caller_arn);
		free(inv->partition);
		inv->account_id = strdup(s.identity.account);
		inv->caller_arn = strdup(s.identity.arn);
		inv->partition = strdup(s.identity.partition);
		if (!inv->account_id || !inv->caller_arn || !inv->partition) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
	}
	st = merge(&s, inv, err);
	sg_log_debug("scan: %zu regions (%zu to scan), %zu pages, %zu groups in %llu ms",
	    s.n_jobs, s.progress.regions_total, s.progress.pages, s.progress.groups,
	    (unsigned long long)(sg_now_ms() - t0));
out:
	scan_dispose(&s);
	return st;
}

bool
sg_scan_complete(const struct sg_inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n_regions; i++)
		if (inv->regions[i].state != SG_REGION_SCANNED &&
		    inv->regions[i].state != SG_REGION_NOT_OPTED_IN)
			return false;
	return true;
}
