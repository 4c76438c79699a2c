/*
 * evidence_rederive.c — `sg-audit evidence verify DIR`, the second half:
 * from the raw responses, the bundled policies and waivers alone, derive
 * the report again and compare it with the bundled report.json.
 *
 * The inventory is rebuilt the way the scan builds it (src/scan.c):
 *   - per region of the manifest's coverage, in that order, the
 *     DescribeSecurityGroups pages p001, p002, ... are parsed with the scan's
 *     own parser (sg_ec2_parse_groups) until the first page that failed or
 *     has no NextToken; each page's NextToken must be the next page's
 *     request NextToken;
 *   - every prefix list a rule of the region names gets an entry; it is
 *     resolved when its GetManagedPrefixListEntries pages all answered 2xx,
 *     parsed, and the last one had no NextToken; prefix lists sorted by id;
 *   - identity and per-region states come from the manifest, whose groups,
 *     rules, pages and prefix-list counts must agree with what was re-parsed.
 * Then the policies run with the scan's scope and `now` = the scan's end
 * time (so a waiver is judged live or expired as of the scan), the report
 * model is filled and rendered to JSON by the report module, and the
 * findings, group checks, PCI verdict, summary and inventory are compared
 * with report.json. Each difference is reported with the finding's key and
 * the field.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "evidence_internal.h"
#include "sg_ec2.h"
#include "sg_policy.h"
#include "sg_record.h"
#include "sg_report.h"
#include "sg_scan.h"
#include "sg_sts.h"
#include "sg_util.h"
#include "sg_waiver.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

#define DIFF_SHOWN_MAX 40            /* difference messages before "... and N more" */
#define REPORT_MAX_BYTES ((size_t)512 << 20)

struct raw {
	char *meta_path;
	char *body_path;
	char *region;
	char *action;
	char *subject;
	char *next_token_sent;  /* request parameter NextToken; NULL = none */
	char *prefix_list_id;   /* request parameter PrefixListId */
	unsigned page;
	unsigned received_as;   /* 1, or 2.. for an answer received again (sg_evidence.h) */
	long http_status;
	bool withheld;
};

struct rd {
	struct ev_verify *v;
	struct raw *raws;
	size_t n_raws, cap_raws;
	size_t diffs;           /* difference messages shown */
	bool other_version;     /* the bundle was made by another sg-audit version */
	size_t diffs_hidden;
};

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double
jnum(const cJSON *o, const char *key, double dflt)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(it) ? it->valuedouble : dflt;
}

/* A difference: shown up to DIFF_SHOWN_MAX, always counted as a problem. */
static void SG_PRINTF(3, 4)
diff(struct rd *d, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->diffs >= DIFF_SHOWN_MAX) {
		d->diffs_hidden++;
		d->v->out->problems++;
		return;
	}
	d->diffs++;
	ev_problem(d->v, SG_EVP_DIFFERENT, path, "%s", msg);
}

static void
raws_dispose(struct rd *d)
{
	size_t i;

	for (i = 0; i < d->n_raws; i++) {
		struct raw *r = &d->raws[i];
		free(r->meta_path);
		free(r->body_path);
		free(r->region);
		free(r->action);
		free(r->subject);
		free(r->next_token_sent);
		free(r->prefix_list_id);
	}
	free(d->raws);
}

static char *
dup0(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Read every response's metadata (files of kind "response-meta" that verified). */
static enum sg_status
load_raws(struct rd *d, struct sg_error *err)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(d->v->manifest, "files"), *f;

	cJSON_ArrayForEach(f, files) {
		const char *path = jstr(f, "path"), *kind = jstr(f, "kind");
		const char *region, *action, *file, *slash;
		const cJSON *req, *params, *pair;
		struct sg_buf b;
		struct sg_error e;
		cJSON *m;
		struct raw *r;

		if (path == NULL || kind == NULL || strcmp(kind, "response-meta") != 0)
			continue;
		sg_err_init(&e);
		if (ev_read(d->v, path, (size_t)16 << 20, &b, &e) != SG_OK) {
			if (e.status == SG_ENOMEM)
				return sg_err_set(err, SG_ENOMEM, "%s", e.msg);
			continue; /* its own problem is reported already */
		}
		m = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
		sg_buf_dispose(&b);
		region = jstr(m, "region");
		action = jstr(m, "action");
		file = jstr(m, "response_file");
		if (m == NULL || region == NULL || action == NULL || file == NULL ||
		    strchr(file, '/') != NULL || jnum(m, "page", 0) < 1) {
			ev_problem(d->v, SG_EVP_REPARSE, path,
			    "response metadata is not valid (region, action, page, response_file)");
			cJSON_Delete(m);
			continue;
		}
		if (d->n_raws == d->cap_raws) {
			size_t nc = d->cap_raws ? d->cap_raws * 2 : 64;
			struct raw *nr = realloc(d->raws, nc * sizeof(*nr));
			if (nr == NULL) {
				cJSON_Delete(m);
				return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
			}
			d->raws = nr;
			d->cap_raws = nc;
		}
		r = &d->raws[d->n_raws++];
		memset(r, 0, sizeof(*r));
		r->meta_path = strdup(path);
		slash = strrchr(path, '/');
		if ((r->body_path = malloc((size_t)(slash - path) + strlen(file) + 2)) != NULL)
			sprintf(r->body_path, "%.*s/%s", (int)(slash - path), path, file);
		r->region = strdup(region);
		r->action = strdup(action);
		r->subject = dup0(jstr(m, "subject"));
		r->page = (unsigned)jnum(m, "page", 0);
		r->received_as = (unsigned)jnum(m, "received_as", 1);
		r->http_status = (long)jnum(m, "http_status", 0);
		r->withheld = jstr(m, "withheld") != NULL;
		req = cJSON_GetObjectItemCaseSensitive(m, "request");
		params = cJSON_GetObjectItemCaseSensitive(req, "params");
		cJSON_ArrayForEach(pair, params) {
			const cJSON *k = cJSON_GetArrayItem(pair, 0), *val = cJSON_GetArrayItem(pair, 1);
			if (!cJSON_IsString(k) || !cJSON_IsString(val))
				continue;
			if (strcmp(k->valuestring, "NextToken") == 0 && r->next_token_sent == NULL)
				r->next_token_sent = strdup(val->valuestring);
			else if (strcmp(k->valuestring, "PrefixListId") == 0 && r->prefix_list_id == NULL)
				r->prefix_list_id = strdup(val->valuestring);
		}
		cJSON_Delete(m);
		if (r->meta_path == NULL || r->body_path == NULL || r->region == NULL ||
		    r->action == NULL)
			return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
	}
	return SG_OK;
}

static int
cmp_raw(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int c;

	if ((c = strcmp(x->region, y->region)) != 0)
		return c;
	if ((c = strcmp(x->action, y->action)) != 0)
		return c;
	if ((c = strcmp(x->subject ? x->subject : "", y->subject ? y->subject : "")) != 0)
		return c;
	return x->page < y->page ? -1 : x->page > y->page;
}

/* ------------------------------------------------------------ the policies */

static struct sg_policy_set *
load_policies(struct rd *d, struct sg_error *err)
{
	const cJSON *pol = cJSON_GetObjectItemCaseSensitive(d->v->manifest, "policies");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(pol, "files"), *f;
	const char *want = jstr(pol, "catalogue_sha256");
	struct sg_policy_set *ps;
	bool ok = true;

	if (!cJSON_IsObject(pol) || !cJSON_IsArray(files)) {
		ev_problem(d->v, SG_EVP_POLICY, SG_EVIDENCE_MANIFEST,
		    "lists no policies: nothing to re-derive the findings with");
		return NULL;
	}
	if ((ps = sg_policy_set_new()) == NULL) {
		sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		return NULL;
	}
	cJSON_ArrayForEach(f, files) {
		const char *path = jstr(f, "path"), *source = jstr(f, "source");
		struct sg_buf b;
		struct sg_error e;

		sg_err_init(&e);
		if (path == NULL) {
			ev_problem(d->v, SG_EVP_POLICY, SG_EVIDENCE_MANIFEST, "a policy entry has no path");
			ok = false;
			continue;
		}
		if (ev_read(d->v, path, SG_POLICY_FILE_MAX_BYTES, &b, &e) != SG_OK) {
			if (e.status == SG_ENOMEM) {
				sg_err_set(err, SG_ENOMEM, "%s", e.msg);
				sg_policy_set_free(ps);
				return NULL;
			}
			ok = false; /* missing or changed: reported already */
			continue;
		}
		/* Loaded under its original name, so any text naming the file is the same. */
		if (sg_policy_set_load_buffer(ps, source ? source : path, b.data ? b.data : "",
		    b.len, &e) != SG_OK) {
			ev_problem(d->v, SG_EVP_POLICY, path, "cannot be loaded: %s", e.msg);
			ok = false;
		}
		sg_buf_dispose(&b);
	}
	if (!ok) {
		sg_policy_set_free(ps);
		return NULL;
	}
	sg_policy_set_hash(ps);
	if (want == NULL || strcmp(want, ps->catalogue_sha256) != 0)
		ev_problem(d->v, SG_EVP_POLICY, SG_EVIDENCE_MANIFEST,
		    "policy catalogue hash of the bundled policies is %s, the manifest says %s",
		    ps->catalogue_sha256, want ? want : "(none)");
	return ps;
}

static bool
load_waivers(struct rd *d, struct sg_waiver_set **out, struct sg_error *err)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(d->v->manifest, "waivers");
	const char *path = jstr(w, "path"), *source = jstr(w, "source");
	struct sg_buf b;
	struct sg_error e;

	*out = NULL;
	if (w == NULL || cJSON_IsNull(w))
		return true;
	sg_err_init(&e);
	if (path == NULL) {
		ev_problem(d->v, SG_EVP_POLICY, SG_EVIDENCE_MANIFEST, "waivers entry has no path");
		return false;
	}
	if (ev_read(d->v, path, SG_WAIVER_FILE_MAX_BYTES, &b, &e) != SG_OK) {
		if (e.status == SG_ENOMEM)
			sg_err_set(err, SG_ENOMEM, "%s", e.msg);
		return false;
	}
	if (sg_waiver_set_parse(source ? source : path, b.data ? b.data : "", b.len, out,
	    &e) != SG_OK) {
		ev_problem(d->v, SG_EVP_POLICY, path, "cannot be loaded: %s", e.msg);
		sg_buf_dispose(&b);
		return false;
	}
	sg_buf_dispose(&b);
	return true;
}

/* --------------------------------------------------------- the inventory */

static bool
state_parse(const char *name, enum sg_region_state *out)
{
	int s;

	for (s = SG_REGION_PENDING; s <= SG_REGION_ERROR; s++)
		if (name != NULL && strcmp(name, sg_region_state_name((enum sg_region_state)s)) == 0) {
			*out = (enum sg_region_state)s;
			return true;
		}
	return false;
}

/* Distinct prefix list ids named by groups[first..] (in order of appearance). */
static bool
collect_prefix_lists(const struct sg_inventory *rinv, size_t first, char ***ids, size_t *n)
{
	size_t i, j, k;

	for (i = first; i < rinv->n_groups; i++) {
		const struct sg_group *g = &rinv->groups[i];
		for (j = 0; j < g->n_rules; j++) {
			const char *id = g->rules[j].prefix_list_id;
			char **ni;
			if (g->rules[j].source != SG_SRC_PREFIX_LIST || id == NULL)
				continue;
			for (k = 0; k < *n; k++)
				if (strcmp((*ids)[k], id) == 0)
					break;
			if (k < *n)
				continue;
			if ((ni = realloc(*ids, (*n + 1) * sizeof(*ni))) == NULL)
				return false;
			*ids = ni;
			if ((ni[*n] = strdup(id)) == NULL)
				return false;
			(*n)++;
		}
	}
	return true;
}

/* A set of borrowed strings (group ids of one region), open addressing. */
struct idset {
	const char **slots;
	size_t cap, n;
};

static size_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return (size_t)h;
}

/* 1 added, 0 already there, -1 ENOMEM. */
static int
idset_add(struct idset *set, const char *s)
{
	size_t i, mask;

	if ((set->n + 1) * 2 > set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 256, j;
		const char **ns = calloc(ncap, sizeof(*ns));
		if (ns == NULL)
			return -1;
		for (j = 0; j < set->cap; j++) {
			if (set->slots[j] == NULL)
				continue;
			for (i = fnv1a(set->slots[j]) & (ncap - 1); ns[i] != NULL; i = (i + 1) & (ncap - 1))
				;
			ns[i] = set->slots[j];
		}
		free(set->slots);
		set->slots = ns;
		set->cap = ncap;
	}
	mask = set->cap - 1;
	for (i = fnv1a(s) & mask; set->slots[i] != NULL; i = (i + 1) & mask)
		if (strcmp(set->slots[i], s) == 0)
			return 0;
	set->slots[i] = s;
	set->n++;
	return 1;
}

/*
 * Whether a group of groups[first..] repeats an id the region returned
 * before. Ids are borrowed from rinv, which only grows while the set lives
 * (the strings themselves never move).
 */
static int
repeats_group(struct idset *seen, const struct sg_inventory *rinv, size_t first)
{
	size_t i;

	for (i = first; i < rinv->n_groups; i++) {
		int r;
		if (rinv->groups[i].group_id == NULL)
			continue;
		if ((r = idset_add(seen, rinv->groups[i].group_id)) <= 0)
			return r < 0 ? -1 : 1;
	}
	return 0;
}

static int
cmp_pl(const void *a, const void *b)
{
	return strcmp(((const struct sg_prefix_list *)a)->id, ((const struct sg_prefix_list *)b)->id);
}

/* Parse one region's pages into rinv; fills the coverage counts of cov. */
static enum sg_status
region_rebuild(struct rd *d, struct sg_inventory *rinv, struct sg_region_coverage *cov,
               struct sg_error *err)
{
	const char *region = cov->region;
	bool scanned = cov->state == SG_REGION_SCANNED;
	char **pl_ids = NULL, *prev_next = NULL;
	size_t n_pl = 0, i, k;
	unsigned expect = 1, empty_streak = 0;
	bool chain_open = false, failed_page = false;
	struct idset seen = { NULL, 0, 0 };
	int rep;
	enum sg_status st = SG_OK;

	/* DescribeSecurityGroups pages in page order (raws are sorted). */
	for (i = 0; i < d->n_raws; i++) {
		struct raw *r = &d->raws[i];
		struct sg_ec2_page pg;
		struct sg_ec2_where w;
		struct sg_buf b;
		struct sg_error e;
		size_t first = rinv->n_groups;

		if (strcmp(r->region, region) != 0 || strcmp(r->action, "DescribeSecurityGroups") != 0)
			continue;
		if (r->received_as > 1)
			continue; /* asked for ahead and answered again: never used by the scan */
		if (r->page != expect) {
			/* In a region the scan did not finish, the chain simply ended there. */
			if (scanned)
				diff(d, r->meta_path, "DescribeSecurityGroups page %u follows page %u: "
				    "a page is missing or out of order", r->page, expect - 1);
			break;
		}
		if (expect > 1 && (prev_next == NULL || r->next_token_sent == NULL ||
		    strcmp(prev_next, r->next_token_sent) != 0)) {
			/*
			 * A page asked for ahead with a token that the parse then
			 * contradicted: the scan stopped before it (and discarded it).
			 */
			if (scanned)
				diff(d, r->meta_path, "NextToken sent is not the one page %u returned: "
				    "the pages are not one chain", r->page - 1);
			break;
		}
		expect++;
		free(prev_next);
		prev_next = NULL;
		chain_open = false;
		if (r->http_status < 200 || r->http_status > 299 || r->withheld) {
			failed_page = true;
			break; /* the scan stopped this region's chain at a failed call */
		}
		sg_err_init(&e);
		if (ev_read(d->v, r->body_path, SG_EC2_MAX_PAGE_BYTES, &b, &e) != SG_OK) {
			if (e.status == SG_ENOMEM) {
				st = sg_err_set(err, SG_ENOMEM, "%s", e.msg);
				goto out;
			}
			break; /* missing or changed: reported already */
		}
		memset(&w, 0, sizeof(w));
		w.region = region;
		w.page = r->page;
		st = sg_ec2_parse_groups(&pg, rinv, b.data ? b.data : "", b.len, &w, &e);
		sg_buf_dispose(&b);
		if (st == SG_OK && (rep = repeats_group(&seen, rinv, first)) != 0) {
			if (rep < 0) {
				sg_ec2_page_dispose(&pg);
				st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
				goto out;
			}
			/*
			 * The scan stops a chain whose page repeats a group (paging that
			 * does not advance): the page's groups stay, its prefix lists are
			 * not asked for. Mirror that.
			 */
			sg_ec2_page_dispose(&pg);
			d->v->out->responses_parsed++;
			cov->pages++;
			break;
		}
		/* A page that failed to parse asks for no prefix list (as in the scan). */
		if (st == SG_OK && !collect_prefix_lists(rinv, first, &pl_ids, &n_pl)) {
			sg_ec2_page_dispose(&pg);
			st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
			goto out;
		}
		if (st != SG_OK) {
			sg_ec2_page_dispose(&pg);
			if (st == SG_ENOMEM) {
				sg_err_set(err, st, "%s", e.msg);
				goto out;
			}
			st = SG_OK;
			/* Expected when the scan itself stopped there (region ERROR). */
			if (scanned)
				ev_problem(d->v, SG_EVP_REPARSE, r->body_path, "%s", e.msg);
			break;
		}
		d->v->out->responses_parsed++;
		cov->pages++;
		empty_streak = pg.groups == 0 ? empty_streak + 1 : 0;
		if (pg.next_token != NULL && empty_streak >= SG_SCAN_MAX_EMPTY_PAGES) {
			sg_ec2_page_dispose(&pg);
			break; /* the scan's guard: paging that does not advance */
		}
		if (pg.next_token != NULL) {
			prev_next = pg.next_token;
			pg.next_token = NULL;
			chain_open = true;
		}
		sg_ec2_page_dispose(&pg);
	}
	if (scanned && expect == 1)
		diff(d, "raw/", "%s is SCANNED in the manifest but the bundle holds no "
		    "DescribeSecurityGroups response for it", region);
	if (scanned && failed_page)
		diff(d, "raw/", "%s is SCANNED in the manifest but DescribeSecurityGroups page "
		    "p%03u did not succeed", region, expect - 1);
	if (scanned && chain_open)
		diff(d, "raw/", "%s is SCANNED in the manifest but its last DescribeSecurityGroups "
		    "page (p%03u) has a NextToken and no next page is in the bundle", region,
		    expect - 1);

	/* Prefix lists named by the region's rules, resolved from their own pages. */
	for (k = 0; k < n_pl; k++) {
		struct sg_prefix_list *pl = sg_inventory_add_prefix_list(rinv), got;
		bool ok = true, any = false;
		unsigned pexpect = 1;
		char *pnext = NULL;

		if (pl == NULL || (pl->region = strdup(region)) == NULL ||
		    (pl->id = strdup(pl_ids[k])) == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
			goto out;
		}
		memset(&got, 0, sizeof(got));
		for (i = 0; i < d->n_raws && ok; i++) {
			struct raw *r = &d->raws[i];
			struct sg_ec2_where w;
			struct sg_buf b;
			struct sg_error e;
			char *next = NULL;

			if (strcmp(r->region, region) != 0 ||
			    strcmp(r->action, "GetManagedPrefixListEntries") != 0 ||
			    r->prefix_list_id == NULL || strcmp(r->prefix_list_id, pl_ids[k]) != 0 ||
			    r->received_as > 1)
				continue;
			any = true;
			if (r->page != pexpect ||
			    (pexpect > 1 && (pnext == NULL || r->next_token_sent == NULL ||
			     strcmp(pnext, r->next_token_sent) != 0))) {
				diff(d, r->meta_path, "prefix list %s: page %u is not the next page of "
				    "one chain", pl_ids[k], r->page);
				ok = false;
				break;
			}
			pexpect++;
			free(pnext);
			pnext = NULL;
			if (r->http_status < 200 || r->http_status > 299 || r->withheld) {
				ok = false;
				break;
			}
			sg_err_init(&e);
			if (ev_read(d->v, r->body_path, SG_EC2_MAX_PAGE_BYTES, &b, &e) != SG_OK) {
				ok = false;
				break;
			}
			memset(&w, 0, sizeof(w));
			w.region = region;
			w.page = r->page;
			w.detail = pl_ids[k];
			if (sg_ec2_parse_prefix_list_entries(&next, &got, b.data ? b.data : "", b.len,
			    &w, &e) != SG_OK) {
				if (scanned)
					ev_problem(d->v, SG_EVP_REPARSE, r->body_path, "%s", e.msg);
				ok = false;
			} else {
				d->v->out->responses_parsed++;
				pnext = next;
			}
			sg_buf_dispose(&b);
		}
		if (ok && any && pnext == NULL) {
			pl->entries = got.entries;
			pl->n_entries = got.n_entries;
			pl->resolved = true;
		} else {
			free(got.entries);
		}
		free(pnext);
	}
	if (rinv->n_prefix_lists > 1)
		qsort(rinv->prefix_lists, rinv->n_prefix_lists, sizeof(rinv->prefix_lists[0]), cmp_pl);
out:
	free(seen.slots);
	free(prev_next);
	for (k = 0; k < n_pl; k++)
		free(pl_ids[k]);
	free(pl_ids);
	return st;
}

static int
cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Which groups are attached, from the region's DescribeNetworkInterfaces
 * pages, as the scan reads them: the chain must answer 2xx, parse, and end
 * without a NextToken (its guards: a repeated token, SG_SCAN_MAX_EMPTY_PAGES
 * empty pages); then every group's eni_count is the number of (interface,
 * group) pairs naming it. Otherwise eni_count stays unknown (-1): the scan
 * does not mark the region for it.
 */
static enum sg_status
eni_rebuild(struct rd *d, struct sg_inventory *rinv, const char *region, bool *counted,
            struct sg_error *err)
{
	char **ids = NULL, *prev = NULL;
	size_t n_ids = 0, cap = 0, i, k;
	unsigned expect = 1, empty = 0;
	bool done = false, any = false;
	struct idset tokens = { NULL, 0, 0 };
	char **token_store = NULL;
	size_t n_tok = 0;
	enum sg_status st = SG_OK;

	for (i = 0; i < d->n_raws; i++) {
		struct raw *r = &d->raws[i];
		struct sg_ec2_eni_page pg;
		struct sg_ec2_where w;
		struct sg_buf b;
		struct sg_error e;
		char **nt;

		if (strcmp(r->region, region) != 0 ||
		    strcmp(r->action, "DescribeNetworkInterfaces") != 0 || r->received_as > 1)
			continue;
		any = true;
		if (r->page != expect || (expect > 1 && (prev == NULL || r->next_token_sent == NULL ||
		    strcmp(prev, r->next_token_sent) != 0)))
			break;
		expect++;
		if (r->http_status < 200 || r->http_status > 299 || r->withheld)
			break;
		sg_err_init(&e);
		if (ev_read(d->v, r->body_path, SG_EC2_MAX_PAGE_BYTES, &b, &e) != SG_OK) {
			if (e.status == SG_ENOMEM) {
				st = sg_err_set(err, SG_ENOMEM, "%s", e.msg);
				goto out;
			}
			break;
		}
		memset(&w, 0, sizeof(w));
		w.region = region;
		w.page = r->page;
		if (sg_ec2_parse_network_interfaces(&pg, b.data ? b.data : "", b.len, &w, &e) != SG_OK) {
			sg_buf_dispose(&b);
			break;
		}
		sg_buf_dispose(&b);
		d->v->out->responses_parsed++;
		if (n_ids + pg.n_group_ids > cap) {
			size_t nc = cap ? cap : 64;
			while (nc < n_ids + pg.n_group_ids)
				nc *= 2;
			if ((nt = realloc(ids, nc * sizeof(*ids))) == NULL) {
				sg_ec2_eni_page_dispose(&pg);
				st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
				goto out;
			}
			ids = nt;
			cap = nc;
		}
		for (k = 0; k < pg.n_group_ids; k++) {
			ids[n_ids++] = pg.group_ids[k];
			pg.group_ids[k] = NULL;
		}
		empty = pg.interfaces == 0 ? empty + 1 : 0;
		free(prev);
		prev = pg.next_token;
		pg.next_token = NULL;
		sg_ec2_eni_page_dispose(&pg);
		if (prev == NULL) {
			done = true;
			break;
		}
		/* The scan's guards: a token seen before, or empty pages that do not end. */
		if ((nt = realloc(token_store, (n_tok + 1) * sizeof(*nt))) == NULL ||
		    (token_store = nt, (nt[n_tok] = strdup(prev)) == NULL)) {
			st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
			goto out;
		}
		n_tok++;
		{
			int added = idset_add(&tokens, token_store[n_tok - 1]);
			if (added < 0) {
				st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
				goto out;
			}
			if (added == 0 || empty >= SG_SCAN_MAX_EMPTY_PAGES)
				break;
		}
	}
	*counted = any && done;
	if (any && done) {
		if (n_ids > 1)
			qsort(ids, n_ids, sizeof(*ids), cmp_strp);
		for (k = 0; k < rinv->n_groups; k++) {
			const char *gid = rinv->groups[k].group_id;
			size_t lo = 0, hi = n_ids;
			int count = 0;
			if (gid == NULL)
				continue;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(ids[mid], gid) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			while (lo < n_ids && strcmp(ids[lo], gid) == 0) {
				count++;
				lo++;
			}
			rinv->groups[k].eni_count = count;
		}
	}
out:
	for (k = 0; k < n_ids; k++)
		free(ids[k]);
	free(ids);
	for (k = 0; k < n_tok; k++)
		free(token_store[k]);
	free(token_store);
	free(tokens.slots);
	free(prev);
	return st;
}

/*
 * Prefix-list names from the region's DescribeManagedPrefixLists answers, as
 * the scan takes them: every answer that arrived (2xx) and parses names the
 * lists it holds; a name that cannot be read stays unknown (NULL).
 */
static enum sg_status
pl_names_rebuild(struct rd *d, struct sg_inventory *rinv, const char *region,
                 struct sg_error *err)
{
	size_t i, j, k;

	for (i = 0; i < d->n_raws; i++) {
		struct raw *r = &d->raws[i];
		struct sg_ec2_pl_names got;
		struct sg_ec2_where w;
		struct sg_buf b;
		struct sg_error e;

		if (strcmp(r->region, region) != 0 ||
		    strcmp(r->action, "DescribeManagedPrefixLists") != 0 || r->withheld ||
		    r->http_status < 200 || r->http_status > 299)
			continue;
		sg_err_init(&e);
		if (ev_read(d->v, r->body_path, SG_EC2_MAX_PAGE_BYTES, &b, &e) != SG_OK) {
			if (e.status == SG_ENOMEM)
				return sg_err_set(err, SG_ENOMEM, "%s", e.msg);
			continue;
		}
		memset(&w, 0, sizeof(w));
		w.region = region;
		w.page = r->page;
		if (sg_ec2_parse_prefix_list_names(&got, b.data ? b.data : "", b.len, &w, &e) !=
		    SG_OK) {
			sg_buf_dispose(&b);
			continue;
		}
		sg_buf_dispose(&b);
		d->v->out->responses_parsed++;
		for (j = 0; j < got.n; j++)
			for (k = 0; k < rinv->n_prefix_lists; k++) {
				struct sg_prefix_list *pl = &rinv->prefix_lists[k];
				if (got.items[j].name == NULL || pl->name != NULL || pl->id == NULL ||
				    strcmp(pl->id, got.items[j].id) != 0)
					continue;
				pl->name = got.items[j].name;
				got.items[j].name = NULL;
			}
		sg_ec2_pl_names_dispose(&got);
	}
	return SG_OK;
}

static enum sg_status
build_inventory(struct rd *d, struct sg_inventory *inv, struct sg_error *err)
{
	const cJSON *m = d->v->manifest;
	const cJSON *ident = cJSON_GetObjectItemCaseSensitive(m, "identity");
	const cJSON *cov = cJSON_GetObjectItemCaseSensitive(m, "coverage"), *c;
	size_t i;

	if ((jstr(ident, "account_id") && !(inv->account_id = strdup(jstr(ident, "account_id")))) ||
	    (jstr(ident, "caller_arn") && !(inv->caller_arn = strdup(jstr(ident, "caller_arn")))) ||
	    (jstr(ident, "partition") && !(inv->partition = strdup(jstr(ident, "partition")))))
		return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
	cJSON_ArrayForEach(c, cov) {
		const char *name = jstr(c, "region"), *state = jstr(c, "state");
		struct sg_region_coverage *rc;
		struct sg_inventory *rinv;
		enum sg_region_state rs;
		enum sg_status st;
		bool counted = false;

		if (name == NULL || !state_parse(state, &rs)) {
			ev_problem(d->v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST,
			    "a coverage entry lacks a region or a known state");
			continue;
		}
		if ((rc = sg_inventory_add_region(inv, name)) == NULL)
			return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		rc->state = rs;
		if ((jstr(c, "error_code") && !(rc->error_code = strdup(jstr(c, "error_code")))) ||
		    (jstr(c, "error_message") &&
		     !(rc->error_message = strdup(jstr(c, "error_message")))))
			return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		if (rs == SG_REGION_NOT_OPTED_IN)
			continue;
		if ((rinv = sg_inventory_new()) == NULL)
			return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		/* rc may move when inv grows: work on the index. */
		st = region_rebuild(d, rinv, &inv->regions[inv->n_regions - 1], err);
		if (st == SG_OK)
			st = eni_rebuild(d, rinv, name, &counted, err);
		if (st == SG_OK)
			st = pl_names_rebuild(d, rinv, name, err);
		if (st == SG_OK && !sg_inventory_move_records(inv, rinv,
		    &inv->regions[inv->n_regions - 1]))
			st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		sg_inventory_free(rinv);
		if (st != SG_OK)
			return st;
		rc = &inv->regions[inv->n_regions - 1];
		/*
		 * Attachment state as the manifest says (its reason, like the error
		 * message, is the scan's); "counted" must agree with the bundled
		 * DescribeNetworkInterfaces pages either way.
		 */
		{
			const char *att = jstr(c, "attachments");
			if (att != NULL && (strcmp(att, "counted") == 0) != counted)
				diff(d, SG_EVIDENCE_MANIFEST, "coverage of %s: the manifest says the "
				    "attachments are '%s', the raw DescribeNetworkInterfaces responses %s",
				    name, att, counted ? "hold a complete chain" :
				    "do not hold a complete chain");
			if (att != NULL && (rc->attachments = strdup(att)) == NULL)
				return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		}
		{
			static const char *const keys[] = { "groups", "rules", "pages", "prefix_lists" };
			size_t got[4];
			got[0] = rc->groups;
			got[1] = rc->rules;
			got[2] = rc->pages;
			got[3] = rc->prefix_lists;
			for (i = 0; i < 4; i++) {
				double want = jnum(c, keys[i], -1);
				if (want >= 0 && want != (double)got[i])
					diff(d, SG_EVIDENCE_MANIFEST, "coverage of %s: the manifest says %.0f %s, "
					    "the raw responses hold %zu", name, want, keys[i], got[i]);
			}
		}
	}
	/* Security-group responses of a region the coverage does not name. */
	for (i = 0; i < d->n_raws; i++) {
		const struct raw *r = &d->raws[i];
		size_t k;
		bool known = false;
		if (strcmp(r->action, "DescribeSecurityGroups") != 0 &&
		    strcmp(r->action, "GetManagedPrefixListEntries") != 0)
			continue;
		for (k = 0; k < inv->n_regions; k++)
			if (strcmp(inv->regions[k].region, r->region) == 0)
				known = true;
		if (!known)
			diff(d, r->meta_path, "a %s response of region %s, which the manifest's "
			    "coverage does not name", r->action, r->region);
	}
	sg_inventory_sort(inv);
	d->v->out->groups = inv->n_groups;
	return SG_OK;
}

/*
 * The caller identity the manifest states must be the one STS answered
 * (GetCallerIdentity is in the bundle when the scan identified the caller).
 */
static enum sg_status
check_identity(struct rd *d, struct sg_error *err)
{
	const cJSON *ident = cJSON_GetObjectItemCaseSensitive(d->v->manifest, "identity");
	const char *acct = jstr(ident, "account_id"), *arn = jstr(ident, "caller_arn");
	size_t i;

	for (i = 0; i < d->n_raws; i++) {
		const struct raw *r = &d->raws[i];
		struct sg_identity id;
		struct sg_buf b;
		struct sg_error e;

		if (strcmp(r->action, "GetCallerIdentity") != 0 || r->withheld ||
		    r->http_status < 200 || r->http_status > 299)
			continue;
		sg_err_init(&e);
		if (ev_read(d->v, r->body_path, (size_t)1 << 20, &b, &e) != SG_OK) {
			if (e.status == SG_ENOMEM)
				return sg_err_set(err, SG_ENOMEM, "%s", e.msg);
			continue;
		}
		memset(&id, 0, sizeof(id));
		if (sg_sts_parse_caller_identity(b.data ? b.data : "", b.len, &id, &e) != SG_OK) {
			ev_problem(d->v, SG_EVP_REPARSE, r->body_path, "%s", e.msg);
		} else {
			d->v->out->responses_parsed++;
			if (acct == NULL || strcmp(acct, id.account) != 0 || arn == NULL ||
			    strcmp(arn, id.arn) != 0)
				diff(d, SG_EVIDENCE_MANIFEST, "identity is account %s, %s; the "
				    "GetCallerIdentity response (%s) says account %s, %s",
				    acct ? acct : "(none)", arn ? arn : "(none)", r->body_path, id.account,
				    id.arn);
		}
		sg_buf_dispose(&b);
	}
	return SG_OK;
}

/* ------------------------------------------------------------ comparison */

/* Short text of a JSON value for messages. */
static void
jtext(const cJSON *it, char *buf, size_t cap)
{
	char *p;

	if (it == NULL) {
		snprintf(buf, cap, "(absent)");
		return;
	}
	if (cJSON_IsString(it)) {
		snprintf(buf, cap, "\"%.200s\"", it->valuestring);
		return;
	}
	p = cJSON_PrintUnformatted(it);
	snprintf(buf, cap, "%.200s", p ? p : "?");
	free(p);
}

/* Compare members of two objects; `what` names the row. Returns differences. */
static size_t
compare_members(struct rd *d, const char *what, const cJSON *bundled, const cJSON *derived,
                const char *const *skip)
{
	const cJSON *it;
	size_t n = 0, s;
	char a[256], b[256];

	cJSON_ArrayForEach(it, derived) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(bundled, it->string);
		bool skipped = false;
		for (s = 0; skip != NULL && skip[s] != NULL; s++)
			if (strcmp(skip[s], it->string) == 0)
				skipped = true;
		if (skipped || (o != NULL && cJSON_Compare(o, it, true)))
			continue;
		/* A field this build's report has and an older sg-audit's did not. */
		if (o == NULL && d->other_version)
			continue;
		jtext(o, a, sizeof(a));
		jtext(it, b, sizeof(b));
		diff(d, SG_EVIDENCE_REPORT, "%s: %s is %s in report.json, re-derived %s", what,
		    it->string, a, b);
		n++;
	}
	cJSON_ArrayForEach(it, bundled) {
		bool skipped = false;
		for (s = 0; skip != NULL && skip[s] != NULL; s++)
			if (strcmp(skip[s], it->string) == 0)
				skipped = true;
		if (!skipped && cJSON_GetObjectItemCaseSensitive(derived, it->string) == NULL) {
			diff(d, SG_EVIDENCE_REPORT, "%s: %s is in report.json only", what, it->string);
			n++;
		}
	}
	return n;
}

typedef void (*rowkey_fn)(const cJSON *row, char *buf, size_t cap);

static void
finding_key(const cJSON *row, char *buf, size_t cap)
{
	const char *k = jstr(row, "key");
	snprintf(buf, cap, "%s", k ? k : "?");
}

static void
check_key(const cJSON *row, char *buf, size_t cap)
{
	const char *p = jstr(row, "policy_id"), *a = jstr(row, "account_id");
	const char *r = jstr(row, "region"), *g = jstr(row, "group_id");
	snprintf(buf, cap, "%s|%s|%s|%s", p ? p : "", a ? a : "", r ? r : "", g ? g : "");
}

/* Rows of a JSON array with their keys, sorted by key (then position) for lookups. */
struct keyed {
	const cJSON *row;
	char *key;
	size_t pos;
	bool used;
};

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

static int
cmp_pos(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void
keyed_free(struct keyed *k, size_t n)
{
	size_t i;

	for (i = 0; k != NULL && i < n; i++)
		free(k[i].key);
	free(k);
}

static struct keyed *
keyed_build(const cJSON *arr, rowkey_fn keyf, size_t *n_out)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	struct keyed *k = calloc(n + 1, sizeof(*k));
	const cJSON *it;
	char buf[2048];

	if (k == NULL)
		return NULL;
	cJSON_ArrayForEach(it, arr) {
		keyf(it, buf, sizeof(buf));
		k[i].row = it;
		k[i].pos = i;
		if ((k[i].key = strdup(buf)) == NULL) {
			keyed_free(k, i);
			return NULL;
		}
		i++;
	}
	qsort(k, n, sizeof(*k), cmp_keyed);
	*n_out = n;
	return k;
}

/* The first unused row with this key (in array order), or NULL. */
static struct keyed *
keyed_take(struct keyed *k, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(k[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(k[lo].key, key) == 0; lo++)
		if (!k[lo].used) {
			k[lo].used = true;
			return &k[lo];
		}
	return NULL;
}

/*
 * Match rows by key (first unused row with the same key), compare members.
 * `drop` skips bundled rows whose member `drop_key` equals `drop_value`
 * (resolved baseline findings: they are not in this scan's raw data).
 */
static enum sg_status
compare_rows(struct rd *d, const char *label, const cJSON *bundled, const cJSON *derived,
             rowkey_fn keyf, const char *const *skip, const char *drop_key,
             const char *drop_value, size_t *n_bundled, size_t *n_derived, size_t *matching,
             struct sg_error *err)
{
	struct keyed *dk, *hit;
	const cJSON *b;
	size_t nd = 0, j;

	*n_bundled = *n_derived = *matching = 0;
	if ((dk = keyed_build(derived, keyf, &nd)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
	*n_derived = nd;
	cJSON_ArrayForEach(b, bundled) {
		char key[2048], what[2200];
		const char *dv = drop_key ? jstr(b, drop_key) : NULL;

		if (dv != NULL && drop_value != NULL && strcmp(dv, drop_value) == 0)
			continue;
		(*n_bundled)++;
		keyf(b, key, sizeof(key));
		snprintf(what, sizeof(what), "%s %s", label, key);
		if ((hit = keyed_take(dk, nd, key)) == NULL) {
			const char *st = jstr(b, "status") ? jstr(b, "status") : jstr(b, "verdict");
			diff(d, SG_EVIDENCE_REPORT, "%s (%s) is in report.json but the raw responses "
			    "and policies do not produce it", what, st ? st : "?");
			continue;
		}
		if (compare_members(d, what, b, hit->row, skip) == 0)
			(*matching)++;
	}
	/* In array order, so messages come in report order. */
	qsort(dk, nd, sizeof(*dk), cmp_pos);
	for (j = 0; j < nd; j++)
		if (!dk[j].used) {
			const char *st = jstr(dk[j].row, "status") ? jstr(dk[j].row, "status") :
			    jstr(dk[j].row, "verdict");
			diff(d, SG_EVIDENCE_REPORT, "%s %s (%s) is re-derived from the raw responses but "
			    "missing from report.json", label, dk[j].key, st ? st : "?");
		}
	keyed_free(dk, nd);
	return SG_OK;
}

static void
group_key(const cJSON *row, char *buf, size_t cap)
{
	const char *r = jstr(row, "region"), *g = jstr(row, "group_id");
	snprintf(buf, cap, "%s|%s", r ? r : "?", g ? g : "?");
}

/* Inventory: by group (region, id), then prefix lists and coverage as wholes. */
static enum sg_status
compare_inventory(struct rd *d, const cJSON *bundled, const cJSON *derived, struct sg_error *err)
{
	const cJSON *bg = cJSON_GetObjectItemCaseSensitive(bundled, "groups");
	const cJSON *dg = cJSON_GetObjectItemCaseSensitive(derived, "groups"), *g;
	static const char *const parts[] = { "account_id", "caller_arn", "partition", "coverage",
	                                     "prefix_lists" };
	struct keyed *dk, *hit;
	size_t i, nd = 0;

	if (bundled == NULL || cJSON_IsNull(bundled)) {
		if (derived != NULL && !cJSON_IsNull(derived))
			diff(d, SG_EVIDENCE_REPORT, "report.json has no inventory section");
		return SG_OK;
	}
	if (cJSON_Compare(bundled, derived, true))
		return SG_OK;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(bundled, parts[i]);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(derived, parts[i]);
		if (!(a == NULL && b == NULL) && (a == NULL || b == NULL || !cJSON_Compare(a, b, true)))
			diff(d, SG_EVIDENCE_REPORT, "inventory: %s differs from the raw responses and "
			    "manifest", parts[i]);
	}
	if ((dk = keyed_build(dg, group_key, &nd)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
	cJSON_ArrayForEach(g, bg) {
		char key[2048];
		group_key(g, key, sizeof(key));
		if ((hit = keyed_take(dk, nd, key)) == NULL)
			diff(d, SG_EVIDENCE_REPORT, "inventory: group %s is in report.json but in no "
			    "raw response", key);
		else if (!cJSON_Compare(g, hit->row, true))
			diff(d, SG_EVIDENCE_REPORT, "inventory: group %s differs from the raw responses",
			    key);
	}
	qsort(dk, nd, sizeof(*dk), cmp_pos);
	for (i = 0; i < nd; i++)
		if (!dk[i].used)
			diff(d, SG_EVIDENCE_REPORT, "inventory: group %s of the raw responses is missing "
			    "from report.json", dk[i].key);
	keyed_free(dk, nd);
	return SG_OK;
}

static enum sg_status
compare_reports(struct rd *d, const cJSON *bundled, const cJSON *derived, struct sg_error *err)
{
	static const char *const finding_skip[] = { "diff", NULL };
	static const char *const summary_skip[] = { "baseline", NULL };
	static const char *const run_fields[] = { "tool_version", "catalogue_version",
	                                          "catalogue_sha256", "started", "finished" };
	const cJSON *bs = cJSON_GetObjectItemCaseSensitive(bundled, "summary");
	const cJSON *ds = cJSON_GetObjectItemCaseSensitive(derived, "summary");
	const cJSON *br = cJSON_GetObjectItemCaseSensitive(bundled, "run");
	const cJSON *dr = cJSON_GetObjectItemCaseSensitive(derived, "run");
	const cJSON *bp = cJSON_GetObjectItemCaseSensitive(bs, "pci_dss_1_2_1");
	const cJSON *dp = cJSON_GetObjectItemCaseSensitive(ds, "pci_dss_1_2_1");
	size_t nb, nd, nm, i;
	enum sg_status st;
	char a[256], b[256];

	snprintf(d->v->out->pci, sizeof(d->v->out->pci), "%s", cJSON_IsString(bp) ?
	    bp->valuestring : "");
	if (bp == NULL || dp == NULL || !cJSON_Compare(bp, dp, true)) {
		jtext(bp, a, sizeof(a));
		jtext(dp, b, sizeof(b));
		diff(d, SG_EVIDENCE_REPORT, "PCI DSS 1.2.1 verdict is %s in report.json, re-derived %s",
		    a, b);
	}
	st = compare_rows(d, "finding", cJSON_GetObjectItemCaseSensitive(bundled, "findings"),
	    cJSON_GetObjectItemCaseSensitive(derived, "findings"), finding_key, finding_skip,
	    "diff", "resolved", &d->v->out->findings_report, &d->v->out->findings_derived,
	    &d->v->out->findings_matching, err);
	if (st != SG_OK)
		return st;
	st = compare_rows(d, "check", cJSON_GetObjectItemCaseSensitive(bundled, "checks"),
	    cJSON_GetObjectItemCaseSensitive(derived, "checks"), check_key, NULL, NULL, NULL,
	    &nb, &nd, &nm, err);
	if (st != SG_OK)
		return st;
	d->v->out->checks_matching = nm;
	/* Counts that do not depend on a baseline. */
	{
		const cJSON *it;
		cJSON_ArrayForEach(it, ds) {
			const cJSON *o;
			bool skip = false;
			for (i = 0; summary_skip[i] != NULL; i++)
				if (strcmp(it->string, summary_skip[i]) == 0)
					skip = true;
			if (skip || strcmp(it->string, "pci_dss_1_2_1") == 0)
				continue;
			o = cJSON_GetObjectItemCaseSensitive(bs, it->string);
			if (o == NULL && d->other_version)
				continue;
			if (o == NULL || !cJSON_Compare(o, it, true)) {
				jtext(o, a, sizeof(a));
				jtext(it, b, sizeof(b));
				diff(d, SG_EVIDENCE_REPORT, "summary: %s is %s in report.json, re-derived %s",
				    it->string, a, b);
			}
		}
	}
	for (i = 0; i < sizeof(run_fields) / sizeof(run_fields[0]); i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(br, run_fields[i]);
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(dr, run_fields[i]);
		if (x == NULL || y == NULL || !cJSON_Compare(x, y, true)) {
			jtext(x, a, sizeof(a));
			jtext(y, b, sizeof(b));
			diff(d, SG_EVIDENCE_REPORT, "run: %s is %s in report.json, the manifest and "
			    "bundled policies give %s", run_fields[i], a, b);
		}
	}
	{
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(bundled, "identity");
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(derived, "identity");
		if (x == NULL || y == NULL || !cJSON_Compare(x, y, true))
			diff(d, SG_EVIDENCE_REPORT, "identity differs from the manifest's");
		x = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(bundled,
		    "coverage"), "regions");
		y = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(derived,
		    "coverage"), "regions");
		if (x == NULL || y == NULL || !cJSON_Compare(x, y, true))
			diff(d, SG_EVIDENCE_REPORT, "coverage differs from the manifest and raw responses");
		x = cJSON_GetObjectItemCaseSensitive(bundled, "policies");
		y = cJSON_GetObjectItemCaseSensitive(derived, "policies");
		if (x == NULL || y == NULL || !cJSON_Compare(x, y, true))
			diff(d, SG_EVIDENCE_REPORT, "the policy list differs from the bundled policies");
	}
	return compare_inventory(d, cJSON_GetObjectItemCaseSensitive(bundled, "inventory"),
	    cJSON_GetObjectItemCaseSensitive(derived, "inventory"), err);
}

/*
 * run.scope of a rendered report, read from its first lines without parsing
 * the whole (possibly huge) document; NULL when not found there.
 */
static const char *
bundled_scope(const char *text, size_t len, char *scope_buf, size_t cap)
{
	static const char key[] = "\"scope\":";
	const char *run_end, *p, *eol;
	size_t n = len < 16384 ? len : 16384;
	char frag[700];
	cJSON *j;

	run_end = memmem(text, n, "\"identity\":", 11);
	p = memmem(text, run_end ? (size_t)(run_end - text) : n, key, sizeof(key) - 1);
	if (p == NULL)
		return NULL;
	eol = memchr(p, '\n', n - (size_t)(p - text));
	if (eol == NULL || (size_t)(eol - p) > 600)
		return NULL;
	/* One member on its own line: "scope":\t"...",  -> {"scope":"..."} */
	snprintf(frag, sizeof(frag), "{%.*s}", (int)(eol - p), p);
	if (strlen(frag) >= 3 && frag[strlen(frag) - 2] == ',') {
		frag[strlen(frag) - 2] = '}';
		frag[strlen(frag) - 1] = '\0';
	}
	j = cJSON_Parse(frag);
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "scope"))) {
		cJSON_Delete(j);
		return NULL;
	}
	snprintf(scope_buf, cap, "%s",
	    cJSON_GetObjectItemCaseSensitive(j, "scope")->valuestring);
	cJSON_Delete(j);
	return scope_buf;
}

/* --------------------------------------------------------------- driver */

enum sg_status
ev_rederive(struct ev_verify *v, struct sg_error *err)
{
	struct rd d;
	const cJSON *m = v->manifest;
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(m, "run");
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(run, "scope_tags"), *t;
	const cJSON *regions_all = cJSON_GetObjectItemCaseSensitive(run, "regions_all");
	const cJSON *tool = cJSON_GetObjectItemCaseSensitive(m, "tool");
	const char *report_path = jstr(m, "report");
	struct sg_policy_set *ps = NULL;
	struct sg_waiver_set *ws = NULL;
	struct sg_inventory *inv = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_report *rep = NULL;
	struct sg_scope_tag *scope_tags = NULL;
	char **tag_text = NULL;
	size_t n_tags = 0, i;
	struct sg_policy_scope scope;
	struct sg_buf rb, ob;
	struct sg_error e;
	cJSON *bundled = NULL, *derived = NULL;
	time_t started = 0, finished = 0;
	enum sg_status st = SG_OK;
	char scope_text[512];

	memset(&d, 0, sizeof(d));
	d.v = v;
	/*
	 * The report is re-rendered by THIS build. A bundle from another version
	 * may lack fields added since: those are not differences (fields it has
	 * must still agree).
	 */
	d.other_version = jstr(tool, "version") == NULL || strcmp(jstr(tool, "version"),
	    SG_VERSION) != 0;
	sg_buf_init(&rb, 0);
	sg_buf_init(&ob, REPORT_MAX_BYTES);
	sg_err_init(&e);

	if ((st = load_raws(&d, err)) != SG_OK)
		goto out;
	if (d.n_raws > 1)
		qsort(d.raws, d.n_raws, sizeof(d.raws[0]), cmp_raw);
	if (!sg_time_parse_iso8601(jstr(run, "started") ? jstr(run, "started") : "", &started) ||
	    !sg_time_parse_iso8601(jstr(run, "finished") ? jstr(run, "finished") : "", &finished)) {
		ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST,
		    "run.started / run.finished are not UTC times: waivers cannot be judged");
		goto out;
	}
	if (report_path == NULL) {
		ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST,
		    "names no report: there are no findings to check");
		goto out;
	}
	if ((ps = load_policies(&d, err)) == NULL)
		goto out;
	if (!load_waivers(&d, &ws, err))
		goto out;
	if ((inv = sg_inventory_new()) == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		goto out;
	}
	if ((st = check_identity(&d, err)) != SG_OK || (st = build_inventory(&d, inv, err)) != SG_OK)
		goto out;

	/* The scope the scan evaluated with. */
	n_tags = (size_t)cJSON_GetArraySize(tags);
	if (n_tags > 0) {
		scope_tags = calloc(n_tags, sizeof(*scope_tags));
		tag_text = calloc(n_tags, sizeof(*tag_text));
		if (scope_tags == NULL || tag_text == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
			goto out;
		}
	}
	i = 0;
	cJSON_ArrayForEach(t, tags) {
		if (i >= n_tags)
			break;
		if (!cJSON_IsString(t) || (tag_text[i] = strdup(t->valuestring)) == NULL ||
		    !sg_scope_tag_parse(tag_text[i], &scope_tags[i])) {
			ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST,
			    "run.scope_tags entry %zu is not KEY=VALUE", i + 1);
			goto out;
		}
		i++;
	}
	memset(&scope, 0, sizeof(scope));
	scope.tags = scope_tags;
	scope.n_tags = n_tags;
	scope.regions_all = cJSON_IsTrue(regions_all);

	if ((st = sg_policy_eval(inv, ps, ws, &scope, finished, &res, &e)) != SG_OK) {
		if (st == SG_ENOMEM) {
			sg_err_set(err, st, "%s", e.msg);
			goto out;
		}
		ev_problem(v, SG_EVP_POLICY, "", "the policies cannot be re-run: %s", e.msg);
		st = SG_OK;
		goto out;
	}
	v->out->rederived = true;
	if ((rep = sg_report_new()) == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		goto out;
	}
	if ((st = sg_report_from_policy(rep, inv, res, ps, jstr(tool, "version"), started, finished,
	    err)) != SG_OK)
		goto out;
	/* The engine's result is copied into the report: free it before the big buffers. */
	sg_policy_result_free(res);
	res = NULL;
	sg_report_finish(rep);
	if ((st = ev_read(v, report_path, REPORT_MAX_BYTES, &rb, &e)) != SG_OK) {
		st = SG_OK;
		if (e.status == SG_ENOMEM)
			st = sg_err_set(err, SG_ENOMEM, "%s", e.msg);
		/* Missing or changed: reported already; count the derived findings anyway. */
		v->out->findings_derived = rep->n_findings;
		goto out;
	}
	/*
	 * run.scope is display text the scan writes from the scope tags (which
	 * the manifest holds and the evaluation used): take it as written, so
	 * that an identical report renders to identical bytes.
	 */
	if (!sg_report_set(&rep->scope, bundled_scope(rb.data ? rb.data : "", rb.len, scope_text,
	    sizeof(scope_text)))) {
		st = sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
		goto out;
	}
	if ((st = sg_report_render(rep, SG_FMT_JSON, NULL, &ob, err)) != SG_OK)
		goto out;
	/*
	 * Fast path: the same bytes. Every finding, check, count and verdict is
	 * then equal; nothing needs parsing (a large account's report is 100 MB).
	 */
	if (ob.len == rb.len && memcmp(ob.data ? ob.data : "", rb.data ? rb.data : "", rb.len) == 0) {
		v->out->findings_report = v->out->findings_derived = v->out->findings_matching =
		    rep->n_findings;
		v->out->checks_matching = rep->n_checks;
		snprintf(v->out->pci, sizeof(v->out->pci), "%s", sg_report_pci_name(rep->pci));
		goto out;
	}
	/* Different bytes (a --baseline run, or a difference): compare structurally. */
	sg_report_free(rep);
	rep = NULL;
	sg_inventory_free(inv);
	inv = NULL;
	if ((derived = cJSON_ParseWithLength(ob.data ? ob.data : "", ob.len)) == NULL) {
		st = sg_err_set(err, SG_EINTERNAL, "evidence verify: the re-derived report is not JSON");
		goto out;
	}
	sg_buf_dispose(&ob);
	bundled = cJSON_ParseWithLength(rb.data ? rb.data : "", rb.len);
	sg_buf_dispose(&rb);
	if (bundled == NULL || !cJSON_IsObject(bundled) ||
	    jstr(bundled, "schema") == NULL || strcmp(jstr(bundled, "schema"), SG_REPORT_SCHEMA) != 0) {
		ev_problem(v, SG_EVP_DIFFERENT, report_path, "not an %s JSON report",
		    SG_REPORT_SCHEMA);
		goto out;
	}
	st = compare_reports(&d, bundled, derived, err);
	if (d.diffs_hidden > 0)
		ev_problem(v, SG_EVP_DIFFERENT, SG_EVIDENCE_REPORT, "... and %zu more differences",
		    d.diffs_hidden);
	/* That summary line is itself not a new problem. */
	if (d.diffs_hidden > 0)
		v->out->problems--;
out:
	cJSON_Delete(bundled);
	cJSON_Delete(derived);
	sg_buf_dispose(&rb);
	sg_buf_dispose(&ob);
	sg_report_free(rep);
	sg_policy_result_free(res);
	sg_inventory_free(inv);
	sg_waiver_set_free(ws);
	sg_policy_set_free(ps);
	for (i = 0; i < n_tags && tag_text != NULL; i++)
		free(tag_text[i]);
	free(tag_text);
	free(scope_tags);
	raws_dispose(&d);
	return st;
}
