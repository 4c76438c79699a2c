/*
 * events_floor.c — the floor for `make bench`'s CloudTrail figures: only
 * decompress (the same zlib reader sg-audit uses, sg_ct_read_file) and
 * parse with cJSON each file named on stdin, then free it. No scoring, no
 * dedupe, no output. Prints files, records and bytes.
 *
 *   events_floor whole     cJSON_ParseWithLength of the whole file
 *   events_floor records   the Records array parsed one record at a time,
 *                          each tree freed before the next (what
 *                          sg-audit's reader does, minus the scoring)
 *
 * Built and run by scripts/bench.d/30-events.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sg_cloudtrail.h"

/* Parse the records of {"Records":[...]} one by one; returns how many, or -1. */
static long
per_record(const char *p, const char *end)
{
	const char *q;
	long n = 0;

	p = strstr(p, "\"Records\"");
	if (p == NULL || (p = memchr(p, '[', (size_t)(end - p))) == NULL)
		return -1;
	p++;
	for (;;) {
		cJSON *rec;

		while (p < end && (*p == ' ' || *p == '\n' || *p == ','))
			p++;
		if (p >= end || *p == ']')
			return n;
		rec = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &q, 0);
		if (rec == NULL)
			return -1;
		cJSON_Delete(rec);
		p = q;
		n++;
	}
}

int
main(int argc, char **argv)
{
	int whole = argc < 2 || strcmp(argv[1], "records") != 0;
	char path[4096];
	struct sg_buf buf;
	unsigned long long bytes = 0, records = 0, files = 0;

	sg_buf_init(&buf, SG_CT_MAX_FILE_BYTES);
	while (fgets(path, sizeof(path), stdin) != NULL) {
		struct sg_error err;
		uint64_t nread;
		cJSON *doc;

		path[strcspn(path, "\n")] = '\0';
		sg_err_init(&err);
		sg_buf_reset(&buf);
		buf.max_bytes = SG_CT_MAX_FILE_BYTES;
		if (sg_ct_read_file(path, &buf, &nread, &err) != SG_OK) {
			fprintf(stderr, "floor: %s\n", err.msg);
			return 1;
		}
		if (whole) {
			doc = cJSON_ParseWithLength(buf.data, buf.len);
			if (doc == NULL) {
				fprintf(stderr, "floor: %s: not JSON\n", path);
				return 1;
			}
			records += (unsigned long long)cJSON_GetArraySize(
			    cJSON_GetObjectItemCaseSensitive(doc, "Records"));
			cJSON_Delete(doc);
		} else {
			long n = per_record(buf.data, buf.data + buf.len);
			if (n < 0) {
				fprintf(stderr, "floor: %s: not a log file\n", path);
				return 1;
			}
			records += (unsigned long long)n;
		}
		bytes += buf.len;
		files++;
	}
	sg_buf_dispose(&buf);
	printf("%llu files %llu records %llu bytes\n", files, records, bytes);
	return 0;
}
