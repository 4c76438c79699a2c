/*
 * fuzz_baseline.c — libFuzzer target for the baseline reader (src/baseline.c):
 * last night's JSON report is a file anyone with write access to the report
 * directory could edit. Whatever it holds, applying it must either fail and
 * leave the current report untouched, or mark every current finding new or
 * unchanged and only append resolved ones; rendering the result must work.
 *
 *   make fuzz && mkdir -p build/fuzz/corpus_baseline &&
 *   build/fuzz/fuzz_baseline -max_total_time=60 build/fuzz/corpus_baseline tests/golden
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_baseline.h"
#include "sg_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_report *
current(void)
{
	struct sg_report *r = sg_report_new();
	struct sg_report_region *g;
	struct sg_report_finding *f;

	if (r == NULL)
		abort();
	if ((g = sg_report_add_region(r)) == NULL || !sg_report_set(&g->region, "us-east-1") ||
	    !sg_report_set(&g->state, "SCANNED") || !sg_report_add_requested_region(r, "us-east-1"))
		abort();
	if ((f = sg_report_add_finding(r)) == NULL ||
	    !sg_report_set(&f->policy_id, "AWS.SecurityGroup.InternetExposure") ||
	    !sg_report_set(&f->account_id, "123456789012") ||
	    !sg_report_set(&f->region, "us-east-1") ||
	    !sg_report_set(&f->group_id, "sg-0a00000000000002") ||
	    !sg_report_set(&f->rule, "ingress tcp 22 from 0.0.0.0/0"))
		abort();
	f->severity = SG_SEV_CRITICAL;
	f->risk = 90;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_report *r = current();
	struct sg_error err;
	struct sg_buf b;
	size_t i;
	unsigned fmt;

	sg_err_init(&err);
	if (sg_baseline_apply(r, (const char *)data, size, "fuzz.json", &err) != SG_OK) {
		if (r->n_findings != 1 || r->findings[0].diff != SG_DIFF_NONE || r->has_baseline)
			abort(); /* a failed apply changed the report */
	} else {
		if (r->findings[0].diff != SG_DIFF_NEW && r->findings[0].diff != SG_DIFF_UNCHANGED)
			abort();
		for (i = 1; i < r->n_findings; i++)
			if (r->findings[i].diff != SG_DIFF_RESOLVED)
				abort();
	}
	sg_report_finish(r);
	for (fmt = 0; fmt < SG_FMT_COUNT; fmt++) {
		sg_buf_init(&b, SG_REPORT_MAX_BYTES);
		sg_err_init(&err);
		if (sg_report_render(r, (enum sg_report_format)fmt, NULL, &b, &err) != SG_OK)
			abort();
		sg_buf_dispose(&b);
	}
	sg_report_free(r);
	return 0;
}
