/*
 * fuzz_evidence.c — libFuzzer target for `evidence verify`: a bundle is
 * untrusted input (SHA256SUMS, manifest.json, response metadata, raw
 * responses, report.json).
 *
 * The input is split at "\n--8<--\n" into up to five parts:
 *   0 SHA256SUMS (empty: the harness writes a correct one, so the fuzzer
 *     gets past the hashes into the manifest and re-derivation code)
 *   1 manifest.json (when it parses as an object, the harness replaces its
 *     "files" with the correct list, for the same reason)
 *   2 raw/us-east-1/ec2-DescribeSecurityGroups-p001.meta.json
 *   3 raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml
 *   4 report.json
 * Verify must never crash, and a problem always has a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sg_evidence.h"
#include "sg_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"SHA256SUMS", "manifest.json", "raw/us-east-1/ec2-DescribeSecurityGroups-p001.meta.json",
	"raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml", "report.json",
};
static const char *const kinds[] = { "", "", "response-meta", "response", "report" };

static char dir[64];

static void
put(const char *rel, const void *p, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (n > 0 && fwrite(p, 1, n, f) != n)
		abort();
	fclose(f);
}

static void
on_problem(void *ctx, enum sg_evidence_problem_kind kind, const char *path, const char *message)
{
	(void)ctx;
	(void)kind;
	if (path == NULL || message == NULL || message[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n--8<--\n";
	const char *part[5] = { "", "", "", "", "" };
	size_t len[5] = { 0, 0, 0, 0, 0 }, i, n = 0;
	const char *s = (const char *)data, *end = s + size;
	struct sg_evidence_verify_result res;
	struct sg_error err;
	char path[256], sha[65];

	if (dir[0] == '\0') {
		char tmpl[] = "/tmp/fuzz-evidence.XXXXXX";
		if (mkdtemp(tmpl) == NULL)
			abort();
		snprintf(dir, sizeof(dir), "%s", tmpl);
		snprintf(path, sizeof(path), "%s/raw", dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/raw/us-east-1", dir);
		mkdir(path, 0755);
	}
	while (n < 5) {
		const char *hit = size ? memmem(s, (size_t)(end - s), sep, sizeof(sep) - 1) : NULL;
		part[n] = s;
		len[n] = hit ? (size_t)(hit - s) : (size_t)(end - s);
		n++;
		if (hit == NULL)
			break;
		s = hit + sizeof(sep) - 1;
	}
	for (i = 2; i < 5; i++)
		put(names[i], part[i], len[i]);
	/* The manifest, its file list made right when it is an object. */
	{
		cJSON *m = cJSON_ParseWithLength(part[1], len[1]), *files;
		if (cJSON_IsObject(m) && (files = cJSON_CreateArray()) != NULL) {
			char *text;
			for (i = 2; i < 5; i++) {
				cJSON *f = cJSON_CreateObject();
				sg_sha256_hex(part[i], len[i], sha);
				cJSON_AddStringToObject(f, "path", names[i]);
				cJSON_AddNumberToObject(f, "bytes", (double)len[i]);
				cJSON_AddStringToObject(f, "sha256", sha);
				cJSON_AddStringToObject(f, "kind", kinds[i]);
				cJSON_AddItemToArray(files, f);
			}
			cJSON_DeleteItemFromObject(m, "files");
			cJSON_AddItemToObject(m, "files", files);
			text = cJSON_PrintUnformatted(m);
			if (text != NULL) {
				put(names[1], text, strlen(text));
				free(text);
			}
		} else {
			put(names[1], part[1], len[1]);
		}
		cJSON_Delete(m);
	}
	if (len[0] > 0) {
		put(names[0], part[0], len[0]);
	} else {
		char sums[2048] = "", line[400];
		for (i = 1; i < 5; i++) {
			struct sg_buf b;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			sg_buf_init(&b, (size_t)16 << 20);
			sg_err_init(&err);
			if (sg_file_read(path, &b, true, &err) != SG_OK)
				abort();
			sg_sha256_hex(b.data ? b.data : "", b.len, sha);
			sg_buf_dispose(&b);
			snprintf(line, sizeof(line), "%s  %s\n", sha, names[i]);
			strncat(sums, line, sizeof(sums) - strlen(sums) - 1);
		}
		put(names[0], sums, strlen(sums));
	}
	sg_err_init(&err);
	if (sg_evidence_verify(dir, on_problem, NULL, &res, &err) != SG_OK && err.msg[0] == '\0')
		abort();
	return 0;
}
