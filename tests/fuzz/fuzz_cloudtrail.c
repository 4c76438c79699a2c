/*
 * fuzz_cloudtrail.c — libFuzzer target for CloudTrail input: the bytes are
 * scored as a log file's content and as one LookupEvents record, in the
 * default and the seed-compatible mode, and every alert is rendered as
 * NDJSON. Inputs that start with the gzip magic are also read as a file
 * (through a memfd), so the zlib reader sees them too. Nothing may crash,
 * leak or read out of bounds; bad input is only counted.
 *
 *   make fuzz && ./build/fuzz/fuzz_cloudtrail -max_len=65536 fixtures/cloudtrail
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sg_cloudtrail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum sg_status
emit(void *ctx, const struct sg_ct_alert *a, struct sg_error *err)
{
	struct sg_buf *b = ctx;

	sg_buf_reset(b);
	return sg_ct_alert_ndjson(a, b, err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sg_exposure_params *params;
	static int memfd = -1;
	static char memfd_path[64];
	struct sg_ct_options o;
	struct sg_ct_scan *s;
	struct sg_error err;
	struct sg_buf out;
	int mode;

	if (params == NULL) {
		params = malloc(sizeof(*params));
		if (params == NULL)
			return 0;
		sg_exposure_params_default(params);
		memfd = memfd_create("fuzz_cloudtrail", 0);
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	}
	for (mode = 0; mode < 2; mode++) {
		sg_buf_init(&out, 1 << 20);
		sg_err_init(&err);
		sg_ct_options_init(&o, params);
		o.seed_compatible = mode == 1;
		o.min_risk = 0;
		o.emit = emit;
		o.ctx = &out;
		if (sg_ct_scan_new(&s, &o, &err) != SG_OK) {
			sg_buf_dispose(&out);
			return 0;
		}
		(void)sg_ct_scan_buffer(s, (const char *)data, size, "fuzz", &err);
		(void)sg_ct_scan_record_json(s, (const char *)data, size, "fuzz", &err);
		if (mode == 0 && memfd >= 0 && size >= 2 && data[0] == 0x1f && data[1] == 0x8b &&
		    ftruncate(memfd, 0) == 0 && pwrite(memfd, data, size, 0) == (ssize_t)size)
			(void)sg_ct_scan_path(s, memfd_path, &err);
		sg_ct_scan_free(s);
		sg_buf_dispose(&out);
	}
	return 0;
}
