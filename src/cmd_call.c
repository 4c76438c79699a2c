/*
 * cmd_call.c — `sg-audit call`: one raw AWS API call (or a paginated series,
 * or one per region in parallel) through the same client the scan uses:
 * endpoints, signing, retries, rate limit, skew correction, --debug.
 * A diagnostic tool ("can sg-audit reach EC2 in eu-west-1 with these
 * credentials?") and the way integration tests and `make bench` drive the
 * client. The raw response body goes to stdout as received.
 *
 * Paging follows the design of the concurrent API: each region's next page
 * is submitted from the completion of the previous one, so pages within a
 * region are sequential while regions run in parallel.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_cli.h"
#include "sg_cli_aws.h"
#include "sg_util.h"

#define CALL_MAX_REGIONS 64
#define CALL_DEFAULT_MAX_PAGES 1000
#define TOKEN_MAX_BYTES 65536

struct call_state;

struct region_run {
	struct call_state *cs;
	char region[SG_REGION_MAX];
	unsigned pages;
	unsigned repeats_left;
	unsigned attempts;
	size_t bytes;
	enum sg_status st;
	struct sg_error err;
};

struct call_state {
	struct sg_aws_batch *batch;
	enum sg_service svc;
	const char *action;
	const struct sg_aws_params *params;   /* base parameters (Query) */
	const char *json;                     /* base body (JSON) */
	bool paginate;
	bool print_bodies;
	unsigned max_pages;
	pthread_mutex_t lock;                 /* stdout and the counters */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit call SERVICE ACTION [NAME=VALUE ...] [options] [AWS options]\n"
	    "\n"
	    "Send one AWS API call through sg-audit's client and print the raw response\n"
	    "body. SERVICE is ec2, sts or cloudtrail; ec2 and sts take Query parameters\n"
	    "as NAME=VALUE (Filter.1.Name=vpc-id), cloudtrail a JSON body (--body).\n"
	    "\n"
	    "  --body JSON          JSON 1.1 request body (cloudtrail; default {})\n"
	    "  --regions R1,R2,...  call every region in parallel; print a summary per region\n"
	    "  --paginate           follow NextToken until the last page\n"
	    "  --max-pages N        stop paginating after N pages (default 1000)\n"
	    "  --repeat N           send the call N times per region (for measurements)\n"
	    "  --quiet              do not print response bodies\n"
	    "  --help               show this help\n"
	    "\n");
	sg_cli_aws_usage(f);
}

static void on_done(void *ctx, struct sg_aws_response *resp, enum sg_status st,
                    const struct sg_error *err);

/* Submit the region's next call: the base call, plus NextToken when paging. */
static enum sg_status
submit_rr(struct region_run *rr, const char *token, struct sg_error *err)
{
	struct call_state *cs = rr->cs;
	struct sg_aws_params p;
	struct sg_aws_call c;
	char *json = NULL;
	enum sg_status st = SG_OK;

	memset(&c, 0, sizeof(c));
	c.service = cs->svc;
	c.region = rr->region;
	c.action = cs->action;
	sg_aws_params_init(&p);
	if (cs->svc == SG_SVC_CLOUDTRAIL) {
		c.json = true;
		if (token != NULL)
			st = sg_aws_json_with_string(cs->json, strlen(cs->json), "NextToken", token, &json,
			    err);
		c.json_body = json ? json : cs->json;
		c.json_len = strlen(c.json_body);
	} else {
		if (cs->params->enc.len > 0)
			st = sg_buf_append(&p.enc, cs->params->enc.data, cs->params->enc.len, err);
		if (st == SG_OK && token != NULL)
			st = sg_aws_params_add(&p, "NextToken", token, err);
		c.params = &p;
	}
	if (st == SG_OK)
		st = sg_aws_submit(cs->batch, &c, on_done, rr, err);
	sg_aws_params_dispose(&p);
	free(json);
	return st;
}

static void
on_done(void *ctx, struct sg_aws_response *resp, enum sg_status st, const struct sg_error *err)
{
	struct region_run *rr = ctx;
	struct call_state *cs = rr->cs;
	struct sg_buf token;
	struct sg_error e;
	enum sg_status ts = SG_ENOTFOUND;
	bool more = false;

	pthread_mutex_lock(&cs->lock);
	rr->pages++;
	rr->attempts += resp->attempts;
	rr->bytes += resp->body.len;
	if (cs->print_bodies && resp->body.len > 0) {
		fwrite(resp->body.data, 1, resp->body.len, stdout);
		if (resp->body.data[resp->body.len - 1] != '\n')
			fputc('\n', stdout);
	}
	if (st != SG_OK) {
		rr->st = st;
		rr->err = *err;
	}
	pthread_mutex_unlock(&cs->lock);
	if (st != SG_OK)
		return;

	sg_err_init(&e);
	sg_buf_init(&token, TOKEN_MAX_BYTES);
	if (cs->paginate) {
		if (cs->svc == SG_SVC_CLOUDTRAIL) {
			ts = sg_aws_json_string(resp->body.data, resp->body.len, "NextToken", &token, &e);
		} else {
			char path[128];
			snprintf(path, sizeof(path), "%sResponse/nextToken", cs->action);
			ts = sg_aws_xml_text(resp->body.data, resp->body.len, path, &token, &e);
		}
	}
	if (ts == SG_OK && token.len > 0) {
		if (rr->pages >= cs->max_pages) {
			rr->st = sg_err_set(&rr->err, SG_ELIMIT,
			    "%s %s %s: still a NextToken after %u pages (--max-pages)", rr->region,
			    sg_service_name(cs->svc), cs->action, rr->pages);
		} else {
			more = true;
			if (submit_rr(rr, token.data, &e) != SG_OK) {
				rr->st = e.status;
				rr->err = e;
			}
		}
	} else if (ts != SG_OK && ts != SG_ENOTFOUND) {
		rr->st = ts;
		rr->err = e;
		sg_err_prefix(&rr->err, "%s %s %s page %u: ", rr->region, sg_service_name(cs->svc),
		    cs->action, rr->pages);
	}
	if (!more && rr->st == SG_OK && rr->repeats_left > 1) {
		rr->repeats_left--;
		if (submit_rr(rr, NULL, &e) != SG_OK) {
			rr->st = e.status;
			rr->err = e;
		}
	}
	sg_buf_dispose(&token);
}

int
sg_cmd_call(int argc, char **argv)
{
	struct sg_cli_aws opts;
	struct sg_cli_aws_session s;
	struct sg_aws_params params;
	struct call_state cs;
	struct region_run *runs = NULL;
	struct sg_error err;
	enum sg_status st, worst = SG_OK;
	const char *pos[2] = { NULL, NULL }, *regions = NULL, *body = "{}";
	unsigned repeat = 1, n_regions = 0, i, requests = 0, attempts = 0;
	bool quiet = false, paginate = false, multi;
	long max_pages = CALL_DEFAULT_MAX_PAGES, v;
	int npos = 0, a, r, rc = SG_EXIT_CLEAN;
	uint64_t t0, ms;
	size_t bytes = 0;
	char *list = NULL, *tok, *save = NULL;

	sg_cli_aws_init(&opts);
	sg_aws_params_init(&params);
	sg_err_init(&err);
	for (a = 1; a < argc; a++) {
		const char *arg = argv[a];
		r = sg_cli_aws_option(&opts, "call", argc, argv, &a);
		if (r < 0)
			goto usage_fail;
		if (r > 0)
			continue;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			sg_aws_params_dispose(&params);
			return SG_EXIT_CLEAN;
		} else if (strcmp(arg, "--quiet") == 0) {
			quiet = true;
		} else if (strcmp(arg, "--paginate") == 0) {
			paginate = true;
		} else if (strcmp(arg, "--body") == 0 && a + 1 < argc) {
			body = argv[++a];
		} else if (strcmp(arg, "--regions") == 0 && a + 1 < argc) {
			regions = argv[++a];
		} else if (strcmp(arg, "--repeat") == 0 && a + 1 < argc) {
			if (!sg_parse_long(sg_str_from(argv[++a]), 1, 100000, &v)) {
				sg_cli_usage_error("call", "--repeat: '%s' is not a number from 1 to 100000",
				    argv[a]);
				goto usage_fail;
			}
			repeat = (unsigned)v;
		} else if (strcmp(arg, "--max-pages") == 0 && a + 1 < argc) {
			if (!sg_parse_long(sg_str_from(argv[++a]), 1, 1000000, &max_pages)) {
				sg_cli_usage_error("call", "--max-pages: '%s' is not a positive number", argv[a]);
				goto usage_fail;
			}
		} else if (arg[0] == '-' && arg[1] == '-') {
			sg_cli_usage_error("call", "unknown option '%s'", arg);
			goto usage_fail;
		} else if (npos < 2) {
			pos[npos++] = arg;
		} else {
			const char *eq = strchr(arg, '=');
			char key[256];
			if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(key)) {
				sg_cli_usage_error("call", "'%s' is not NAME=VALUE", arg);
				goto usage_fail;
			}
			memcpy(key, arg, (size_t)(eq - arg));
			key[eq - arg] = '\0';
			if (sg_aws_params_add(&params, key, eq + 1, &err) != SG_OK) {
				sg_cli_usage_error("call", "%s", err.msg);
				goto usage_fail;
			}
		}
	}
	memset(&cs, 0, sizeof(cs));
	if (npos < 2) {
		sg_cli_usage_error("call", "SERVICE and ACTION are required");
		goto usage_fail;
	}
	if (!sg_service_parse(pos[0], &cs.svc)) {
		sg_cli_usage_error("call", "unknown service '%s' (ec2, sts or cloudtrail)", pos[0]);
		goto usage_fail;
	}
	if (cs.svc == SG_SVC_CLOUDTRAIL && params.count > 0) {
		sg_cli_usage_error("call", "cloudtrail takes a JSON --body, not NAME=VALUE");
		goto usage_fail;
	}

	if (sg_cli_aws_open(&opts, &s, &err) != SG_OK) {
		sg_cli_report_error("call", &err);
		sg_aws_params_dispose(&params);
		return sg_exit_for_status(err.status);
	}
	/* Regions: the list, or the client's default region. */
	runs = calloc(CALL_MAX_REGIONS, sizeof(*runs));
	list = strdup(regions ? regions : s.region);
	if (runs == NULL || list == NULL) {
		fprintf(stderr, "sg-audit: call: out of memory\n");
		rc = SG_EXIT_INTERNAL;
		goto done;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!sg_endpoint_region_valid(tok) || n_regions == CALL_MAX_REGIONS) {
			rc = sg_cli_usage_error("call", "--regions: '%s' is not a valid region (at most %d)",
			    tok, CALL_MAX_REGIONS);
			goto done;
		}
		runs[n_regions].cs = &cs;
		runs[n_regions].repeats_left = repeat;
		snprintf(runs[n_regions].region, sizeof(runs[n_regions].region), "%s", tok);
		sg_err_init(&runs[n_regions].err);
		n_regions++;
	}
	multi = regions != NULL;
	cs.action = pos[1];
	cs.params = &params;
	cs.json = body;
	cs.paginate = paginate;
	cs.max_pages = (unsigned)max_pages;
	cs.print_bodies = !quiet && !multi;
	pthread_mutex_init(&cs.lock, NULL);
	if (sg_aws_batch_new(&cs.batch, s.aws, &err) != SG_OK) {
		sg_cli_report_error("call", &err);
		rc = sg_exit_for_status(err.status);
		pthread_mutex_destroy(&cs.lock);
		goto done;
	}
	t0 = sg_now_ms();
	for (i = 0; i < n_regions; i++)
		if (submit_rr(&runs[i], NULL, &runs[i].err) != SG_OK)
			runs[i].st = runs[i].err.status;
	sg_aws_batch_free(cs.batch);
	ms = sg_now_ms() - t0;
	pthread_mutex_destroy(&cs.lock);

	for (i = 0; i < n_regions; i++) {
		struct region_run *rr = &runs[i];
		requests += rr->pages;
		attempts += rr->attempts;
		bytes += rr->bytes;
		if (multi)
			printf("%-16s %-4s pages=%u attempts=%u bytes=%zu%s%s\n", rr->region,
			    rr->st == SG_OK ? "ok" : "FAIL", rr->pages, rr->attempts, rr->bytes,
			    rr->st == SG_OK ? "" : " error=", rr->st == SG_OK ? "" :
			    (rr->err.aws_code[0] ? rr->err.aws_code : sg_status_name(rr->st)));
		if (rr->st != SG_OK) {
			sg_cli_report_error("call", &rr->err);
			if (worst == SG_OK)
				worst = rr->st;
		}
	}
	if (multi || repeat > 1)
		fprintf(stderr, "sg-audit: call: %u responses (%u attempts, %zu bytes) from %u "
		    "region%s in %llu ms: %.1f responses/s\n", requests, attempts, bytes, n_regions,
		    n_regions == 1 ? "" : "s", (unsigned long long)ms,
		    ms ? (double)requests * 1000.0 / (double)ms : 0.0);
	st = worst;
	rc = st == SG_OK ? SG_EXIT_CLEAN : sg_exit_for_status(st);
done:
	free(list);
	free(runs);
	sg_cli_aws_close(&s);
	sg_aws_params_dispose(&params);
	return rc;
usage_fail:
	sg_aws_params_dispose(&params);
	return SG_EXIT_USAGE;
}
