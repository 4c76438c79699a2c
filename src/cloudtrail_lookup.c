/*
 * cloudtrail_lookup.c — CloudTrail LookupEvents (JSON 1.1) as a source of
 * records (aws-protocol.md §8.1).
 *
 * LookupEvents takes one lookup attribute, so each region gets six series,
 * one per event name of sg-semantics.md §9 (EventSource=ec2.amazonaws.com
 * would page through every EC2 call, Describe* included). Every series is
 * a chain of pages on the client's worker pool: a page's callback submits
 * the next page, so pages of one series stay in order while series and
 * regions overlap. The client's rate limiter keeps each region at its
 * documented 2 requests per second and retries throttling.
 *
 * The records are gathered first and scored afterwards in (EventTime,
 * EventId, region) order: the output never depends on page boundaries or
 * on which region answered first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudtrail_internal.h"
#include "sg_aws.h"
#include "sg_ec2.h"

/* One record kept for scoring. */
struct lk_rec {
	double time;       /* EventTime (epoch seconds) */
	char *event_id;
	const char *region;
	char *json;        /* CloudTrailEvent */
	size_t len;
};

struct lookup;

/* One (region, event name) chain of pages. */
struct series {
	struct lookup *L;
	const char *region;
	const char *name;
	unsigned page;           /* pages requested so far */
	char *token;             /* NextToken sent with the current page, NULL on page 1 */
	enum sg_status st;       /* first failure */
	struct sg_error err;
	unsigned bad_events;     /* Events items without a usable CloudTrailEvent */
	char bad_first[256];
};

struct lookup {
	pthread_mutex_t lock;
	struct sg_aws_batch *batch;
	const struct sg_ct_lookup_args *args;
	unsigned max_pages;
	struct lk_rec *recs;
	size_t n, cap;
	uint64_t bytes;
	bool oom;
};

static char *
request_body(const struct series *sr, const char *token)
{
	const struct sg_ct_lookup_args *a = sr->L->args;
	cJSON *o = cJSON_CreateObject(), *attrs, *attr;
	char *s = NULL;

	if (o == NULL)
		return NULL;
	attrs = cJSON_AddArrayToObject(o, "LookupAttributes");
	attr = cJSON_CreateObject();
	if (attrs == NULL || attr == NULL) {
		cJSON_Delete(attr);
		goto out;
	}
	cJSON_AddItemToArray(attrs, attr);
	if (cJSON_AddStringToObject(attr, "AttributeKey", "EventName") == NULL ||
	    cJSON_AddStringToObject(attr, "AttributeValue", sr->name) == NULL ||
	    cJSON_AddNumberToObject(o, "StartTime", (double)a->since) == NULL ||
	    cJSON_AddNumberToObject(o, "EndTime", (double)a->until) == NULL ||
	    cJSON_AddNumberToObject(o, "MaxResults", 50) == NULL)
		goto out;
	if (token != NULL && cJSON_AddStringToObject(o, "NextToken", token) == NULL)
		goto out;
	s = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return s;
}

static void on_page(void *ctx, struct sg_aws_response *resp, enum sg_status st,
                    const struct sg_error *err);

/* Submit the series' next page (token NULL for the first). */
static enum sg_status
submit_page(struct series *sr, const char *token, struct sg_error *err)
{
	struct sg_aws_call call;
	char *body;
	enum sg_status st;

	free(sr->token);
	sr->token = NULL;
	if (token != NULL && (sr->token = strdup(token)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	body = request_body(sr, token);
	if (body == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	memset(&call, 0, sizeof(call));
	call.service = SG_SVC_CLOUDTRAIL;
	call.region = sr->region;
	call.action = "LookupEvents";
	call.json = true;
	call.json_body = body;
	call.json_len = strlen(body);
	sr->page++;
	st = sg_aws_submit(sr->L->batch, &call, on_page, sr, err);
	cJSON_free(body);
	return st;
}

static void
series_fail(struct series *sr, enum sg_status st, const char *msg)
{
	if (sr->st != SG_OK)
		return;
	sr->st = st;
	sg_err_set(&sr->err, st, "%s", msg);
}

static void
keep_event(struct series *sr, const cJSON *ev, unsigned index)
{
	struct lookup *L = sr->L;
	const cJSON *rec = cJSON_GetObjectItemCaseSensitive(ev, "CloudTrailEvent");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(ev, "EventId");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "EventTime");
	struct lk_rec r;

	if (!cJSON_IsObject(ev) || !cJSON_IsString(rec)) {
		if (sr->bad_events++ == 0)
			snprintf(sr->bad_first, sizeof(sr->bad_first), "page %u event %u: %s", sr->page,
			    index, cJSON_IsObject(ev) ? "CloudTrailEvent is not a string"
			    : "not an object");
		return;
	}
	memset(&r, 0, sizeof(r));
	r.time = cJSON_IsNumber(t) ? t->valuedouble : 0.0;
	r.region = sr->region;
	r.len = strlen(rec->valuestring);
	r.json = strdup(rec->valuestring);
	r.event_id = strdup(cJSON_IsString(id) ? id->valuestring : "");
	pthread_mutex_lock(&L->lock);
	if (r.json == NULL || r.event_id == NULL) {
		L->oom = true;
	} else if (L->n == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 256;
		struct lk_rec *nr = realloc(L->recs, cap * sizeof(*nr));
		if (nr == NULL) {
			L->oom = true;
		} else {
			L->recs = nr;
			L->cap = cap;
		}
	}
	if (!L->oom) {
		L->recs[L->n++] = r;
		L->bytes += r.len;
		r.json = r.event_id = NULL;
	}
	pthread_mutex_unlock(&L->lock);
	free(r.json);
	free(r.event_id);
}

static void
on_page(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct series *sr = ctx;
	const cJSON *events, *ev, *next;
	cJSON *doc;
	unsigned i = 0;
	struct sg_error serr;

	if (st != SG_OK) {
		sr->st = st;
		sr->err = *err;
		return;
	}
	doc = cJSON_ParseWithLength(resp->body.data ? resp->body.data : "", resp->body.len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		series_fail(sr, SG_EPARSE, "response is not a JSON object");
		return;
	}
	events = cJSON_GetObjectItemCaseSensitive(doc, "Events");
	if (events != NULL && !cJSON_IsArray(events) && !cJSON_IsNull(events)) {
		cJSON_Delete(doc);
		series_fail(sr, SG_EPARSE, "Events is not a list");
		return;
	}
	cJSON_ArrayForEach(ev, events)
		keep_event(sr, ev, i++);
	next = cJSON_GetObjectItemCaseSensitive(doc, "NextToken");
	if (cJSON_IsString(next) && next->valuestring[0] != '\0') {
		if (sr->token != NULL && strcmp(sr->token, next->valuestring) == 0)
			series_fail(sr, SG_EPARSE, "the service returned the same NextToken again");
		else if (sr->page >= sr->L->max_pages) {
			char msg[96];
			snprintf(msg, sizeof(msg), "still more pages after %u; stopped", sr->page);
			series_fail(sr, SG_ELIMIT, msg);
		} else {
			sg_err_init(&serr);
			if (submit_page(sr, next->valuestring, &serr) != SG_OK) {
				sr->st = serr.status;
				sr->err = serr;
			}
		}
	} else if (next != NULL && !cJSON_IsNull(next) && !cJSON_IsString(next)) {
		series_fail(sr, SG_EPARSE, "NextToken is not a string");
	}
	cJSON_Delete(doc);
}

static int
rec_cmp(const void *pa, const void *pb)
{
	const struct lk_rec *a = pa, *b = pb;
	int c;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if ((c = strcmp(a->event_id, b->event_id)) != 0)
		return c;
	return strcmp(a->region, b->region);
}

/* Every enabled region, from EC2 DescribeRegions in the default region. */
static enum sg_status
enabled_regions(struct sg_aws *aws, struct sg_ec2_region_list *out, struct sg_error *err)
{
	struct sg_aws_response resp;
	struct sg_ec2_where where;
	enum sg_status st;

	sg_aws_response_init(&resp);
	st = sg_aws_query(aws, SG_SVC_EC2, NULL, "DescribeRegions", NULL, &resp, err);
	if (st == SG_OK) {
		memset(&where, 0, sizeof(where));
		where.region = sg_aws_default_region(aws);
		st = sg_ec2_parse_regions(out, resp.body.data ? resp.body.data : "", resp.body.len,
		    &where, err);
	}
	sg_aws_response_dispose(&resp);
	if (st != SG_OK)
		sg_err_prefix(err, "listing regions for LookupEvents: ");
	return st;
}

static bool
creds_status(enum sg_status st)
{
	return st == SG_EAUTH || st == SG_ECREDS;
}

enum sg_status
sg_ct_lookup_run(struct sg_ct_scan *s, struct sg_aws *aws, const struct sg_ct_lookup_args *a,
                 struct sg_error *err)
{
	struct sg_ec2_region_list rl;
	const char **regions = NULL;
	size_t n_regions = 0, n_series, i, k, creds_failed = 0;
	struct series *series = NULL;
	struct lookup L;
	enum sg_status st = SG_OK;
	const char *first_creds = NULL;

	memset(&rl, 0, sizeof(rl));
	memset(&L, 0, sizeof(L));
	pthread_mutex_init(&L.lock, NULL);
	L.args = a;
	L.max_pages = a->max_pages ? a->max_pages : SG_CT_LOOKUP_MAX_PAGES;

	if (a->all_regions) {
		if ((st = enabled_regions(aws, &rl, err)) != SG_OK)
			goto out;
		regions = calloc(rl.n ? rl.n : 1, sizeof(*regions));
		if (regions == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < rl.n; i++)
			if (rl.items[i].enabled)
				regions[n_regions++] = rl.items[i].name;
	} else if (a->n_regions > 0) {
		regions = calloc(a->n_regions, sizeof(*regions));
		if (regions == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < a->n_regions; i++)
			regions[n_regions++] = a->regions[i];
	} else {
		regions = calloc(1, sizeof(*regions));
		if (regions == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
		regions[n_regions++] = sg_aws_default_region(aws);
	}

	n_series = n_regions * 6;
	series = calloc(n_series ? n_series : 1, sizeof(*series));
	if (series == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto out;
	}
	if ((st = sg_aws_batch_new(&L.batch, aws, err)) != SG_OK)
		goto out;
	for (i = 0; i < n_regions; i++) {
		for (k = 0; k < 6; k++) {
			struct series *sr = &series[i * 6 + k];
			sr->L = &L;
			sr->region = regions[i];
			sr->name = sg_ct_event_names[k];
			sg_err_init(&sr->err);
			if ((st = submit_page(sr, NULL, err)) != SG_OK)
				break;
		}
		if (st != SG_OK)
			break;
	}
	sg_aws_batch_free(L.batch); /* waits for every page, including those callbacks queued */
	L.batch = NULL;
	if (st != SG_OK)
		goto out;
	if (L.oom) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory keeping LookupEvents records");
		goto out;
	}

	/* Credentials refused everywhere: one error, not one line per series. */
	for (i = 0; i < n_series; i++) {
		if (creds_status(series[i].st)) {
			creds_failed++;
			if (first_creds == NULL)
				first_creds = series[i].err.msg;
		}
	}
	if (n_series > 0 && creds_failed == n_series) {
		st = sg_err_set(err, series[0].st, "LookupEvents failed in every region: %s",
		    first_creds);
		for (i = 0; i < n_series; i++)
			if (series[i].err.aws_code[0]) {
				sg_err_set_aws(err, series[i].err.http_status, series[i].err.aws_code,
				    series[i].err.request_id);
				break;
			}
		goto out;
	}

	/* Report what did not come back; one region's failure does not hide the others. */
	for (i = 0; i < n_series; i++) {
		struct series *sr = &series[i];
		char msg[1200];

		if (sr->bad_events > 0) {
			snprintf(msg, sizeof(msg), "%s LookupEvents EventName=%s: %u events unusable "
			    "(first: %s)", sr->region, sr->name, sr->bad_events, sr->bad_first);
			s->st.bad_records += sr->bad_events;
			if (s->o.warn)
				s->o.warn(s->o.ctx, msg);
		}
		if (sr->st == SG_OK)
			continue;
		snprintf(msg, sizeof(msg), "%s LookupEvents EventName=%s page %u: %s", sr->region,
		    sr->name, sr->page, sr->err.msg[0] ? sr->err.msg : sg_status_name(sr->st));
		if (s->o.warn)
			s->o.warn(s->o.ctx, msg);
		sg_ct_scan_mark_incomplete(s);
	}

	if (L.n > 1)
		qsort(L.recs, L.n, sizeof(*L.recs), rec_cmp);
	s->st.bytes_read += L.bytes;
	for (i = 0; i < L.n && st == SG_OK; i++) {
		char origin[160];
		snprintf(origin, sizeof(origin), "%s LookupEvents event %s", L.recs[i].region,
		    L.recs[i].event_id);
		/* The event id comes from the service: keep it printable in messages. */
		sg_ct_sanitize(origin, origin, sizeof(origin));
		st = sg_ct_scan_record_json(s, L.recs[i].json, L.recs[i].len, origin, err);
		/* Per-record warnings are throttled per file; here per record is enough. */
		s->file_warnings = 0;
	}
out:
	if (L.batch != NULL)
		sg_aws_batch_free(L.batch);
	for (i = 0; series != NULL && i < n_regions * 6; i++)
		free(series[i].token);
	for (i = 0; i < L.n; i++) {
		free(L.recs[i].json);
		free(L.recs[i].event_id);
	}
	free(L.recs);
	free(series);
	free(regions);
	sg_ec2_region_list_dispose(&rl);
	pthread_mutex_destroy(&L.lock);
	return st;
}
