/*
 * parse_bench.c — parse speed and memory of the DescribeSecurityGroups parser
 * (scripts/bench.d/11-parse.sh builds and runs it; figures only).
 *
 *   parse_bench MODE DIR [REPEATS]
 *
 * Reads every DIR/NAME.xml page (one at a time) and times, per MODE:
 *   reader       a bare libxml2 xmlTextReader pass over the bytes (the same
 *                reader options as the parser; nothing done per node)
 *   parse        sg_ec2_parse_groups: parse + normalize, records KEPT in one
 *                inventory (what a scan holds at the end)
 *   parse-drop   the same, each page's records freed after the page
 *   stream-drop  sg_ec2_parse_groups_stream reading the file in 64 KiB
 *                pieces (the page is never whole in memory), records freed
 *   stream       the same, records KEPT (same records whatever the page size:
 *                so peak RSS at two page sizes shows what the parser adds)
 *   compare      the bare reader and parse-drop over the same page one after
 *                the other, page by page, REPEATS rounds, each page's best
 *                time kept for each (see compare() below): on a shared
 *                machine the load changes between runs, so the two are only
 *                compared when measured side by side. CPU time only.
 *   compare-kept the same with the records kept, as parse does
 * The page bytes are read into memory before the clock starts (except in
 * stream-drop, where reading is part of the stream). Prints one line:
 *   MODE pages=N bytes=B rules=R groups=G wall_ms=W cpu_ms=C peak_rss_kb=K
 * with the best of REPEATS runs (default 3) for the times.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libxml/xmlreader.h>

#include "sg_ec2.h"
#include "sg_util.h"

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the process: the scheduler's own count, to the nanosecond. */
static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		perror(path);
		exit(2);
	}
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

static long
file_read(void *ctx, char *buf, size_t cap)
{
	size_t n = fread(buf, 1, cap > 65536 ? 65536 : cap, ctx);
	return ferror((FILE *)ctx) ? -1 : (long)n;
}

struct totals {
	double wall, cpu;
	size_t bytes, rules, groups;
};

/* The bare reader over one page: the parser's own options, nothing done per node. */
static void
bare_pass(const char *xml, size_t len, const char *name)
{
	xmlTextReaderPtr rd = xmlReaderForMemory(xml, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_BIG_LINES);
	int ret;

	while ((ret = xmlTextReaderRead(rd)) == 1)
		;
	xmlFreeTextReader(rd);
	if (ret != 0) {
		fprintf(stderr, "%s: reader failed\n", name);
		exit(1);
	}
}

/* sg-audit's parse of page number i (0-based) into inv; exits naming the page if it fails. */
static void
parse_page(struct sg_ec2_page *pg, struct sg_inventory *inv, const char *xml, size_t len,
           size_t i, const char *name)
{
	struct sg_ec2_where w = { "us-east-1", (unsigned)i + 1, NULL, 0 };
	struct sg_error err;

	sg_err_init(&err);
	if (sg_ec2_parse_groups(pg, inv, xml, len, &w, &err) != SG_OK) {
		fprintf(stderr, "%s: %s\n", name, err.msg);
		exit(1);
	}
}

/* One pass over every page in `mode` ("reader", "parse", "parse-drop", "stream-drop"). */
static void
run_pass(const char *mode, char **files, size_t n_files, struct totals *t)
{
	struct sg_inventory *inv = sg_inventory_new();
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < n_files; i++) {
		struct sg_ec2_page pg;
		struct sg_error err;
		struct sg_ec2_where w = { "us-east-1", (unsigned)i + 1, NULL, 0 };
		size_t len = 0;
		char *xml = NULL;
		double t0, c0;

		sg_err_init(&err);
		if (strncmp(mode, "stream", 6) == 0) {
			FILE *f = fopen(files[i], "rb");
			struct sg_inventory *pinv = strcmp(mode, "stream") == 0 ? inv :
			    sg_inventory_new();
			t0 = now_ms();
			c0 = cpu_ms();
			if (f == NULL || sg_ec2_parse_groups_stream(&pg, pinv, file_read, f, &w,
			    &err) != SG_OK) {
				fprintf(stderr, "%s: %s\n", files[i], err.msg);
				exit(1);
			}
			t->wall += now_ms() - t0;
			t->cpu += cpu_ms() - c0;
			if (pinv != inv)
				sg_inventory_free(pinv);
			fclose(f);
			t->bytes += pg.bytes;
			t->rules += pg.rules;
			t->groups += pg.groups;
			sg_ec2_page_dispose(&pg);
			continue;
		}
		xml = slurp(files[i], &len);
		t->bytes += len;
		t0 = now_ms();
		c0 = cpu_ms();
		if (strcmp(mode, "reader") == 0) {
			bare_pass(xml, len, files[i]);
			t->wall += now_ms() - t0;
			t->cpu += cpu_ms() - c0;
		} else {
			struct sg_inventory *pinv = strcmp(mode, "parse") == 0 ? inv :
			    sg_inventory_new();
			parse_page(&pg, pinv, xml, len, i, files[i]);
			/* time the parse, not the free */
			t->wall += now_ms() - t0;
			t->cpu += cpu_ms() - c0;
			t->rules += pg.rules;
			t->groups += pg.groups;
			sg_ec2_page_dispose(&pg);
			if (pinv != inv)
				sg_inventory_free(pinv);
		}
		free(xml);
	}
	sg_inventory_free(inv);
}

static void print(const char *mode, size_t n_files, const struct totals *t, double wall,
                  double cpu);


/*
 * compare / compare-kept: the bare reader and sg-audit's parse over the
 * same page one right after the other, page by page, in REPEATS rounds
 * (their order swapped every round), keeping each page's fastest time for
 * each. Load on a shared machine comes and goes over seconds; two passes
 * of a whole account apart see different machines, one page apart the same.
 * compare frees each page's records after it (untimed); compare-kept keeps
 * them all in one inventory, as a scan does, freed after the round.
 */
static void
compare(char **files, size_t n_files, int rounds, bool keep)
{
	double *best_r = calloc(n_files, sizeof(double));
	double *best_p = calloc(n_files, sizeof(double));
	struct totals a, b;
	size_t i;
	int r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (r = 0; r < rounds; r++) {
		struct sg_inventory *inv = sg_inventory_new();
		for (i = 0; i < n_files; i++) {
			struct sg_inventory *pinv = keep ? inv : sg_inventory_new();
			struct sg_ec2_page pg;
			size_t len;
			char *xml = slurp(files[i], &len);
			double tr = 0, tp, c0;
			int k;

			for (k = 0; k < 2; k++) {
				c0 = cpu_ms();
				if ((k == 0) != (r % 2 == 0)) {
					bare_pass(xml, len, files[i]);
					tr = cpu_ms() - c0;
					continue;
				}
				parse_page(&pg, pinv, xml, len, i, files[i]);
				tp = cpu_ms() - c0;
				if (r == 0 || tp < best_p[i])
					best_p[i] = tp;
				if (r == 0) {
					b.rules += pg.rules;
					b.groups += pg.groups;
				}
				sg_ec2_page_dispose(&pg);
			}
			if (r == 0 || tr < best_r[i])
				best_r[i] = tr;
			if (r == 0)
				a.bytes += len;
			if (!keep)
				sg_inventory_free(pinv);
			free(xml);
		}
		sg_inventory_free(inv);
	}
	for (i = 0; i < n_files; i++) {
		a.cpu += best_r[i];
		b.cpu += best_p[i];
	}
	b.bytes = a.bytes;
	print("reader", n_files, &a, a.cpu, a.cpu);
	print(keep ? "parse" : "parse-drop", n_files, &b, b.cpu, b.cpu);
	free(best_r);
	free(best_p);
}

static void
print(const char *mode, size_t n_files, const struct totals *t, double wall, double cpu)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("%s pages=%zu bytes=%zu rules=%zu groups=%zu wall_ms=%.1f cpu_ms=%.1f "
	    "peak_rss_kb=%ld\n", mode, n_files, t->bytes, t->rules, t->groups, wall, cpu,
	    ru.ru_maxrss);
}

int
main(int argc, char **argv)
{
	const char *mode, *dir;
	char **files = NULL;
	size_t n_files = 0, i, cap = 0;
	int repeats, r;
	DIR *d;
	struct dirent *e;

	if (argc < 3) {
		fprintf(stderr, "usage: parse_bench reader|parse|parse-drop|stream|stream-drop|compare|compare-kept "
		    "DIR [REPEATS]\n");
		return 2;
	}
	mode = argv[1];
	dir = argv[2];
	repeats = argc > 3 ? atoi(argv[3]) : 3;
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return 2;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".xml") != 0)
			continue;
		if (n_files == cap) {
			cap = cap ? cap * 2 : 256;
			files = realloc(files, cap * sizeof(*files));
		}
		files[n_files] = malloc(strlen(dir) + l + 2);
		sprintf(files[n_files++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	qsort(files, n_files, sizeof(*files), cmp);

	if (strcmp(mode, "compare") == 0 || strcmp(mode, "compare-kept") == 0) {
		compare(files, n_files, repeats, strcmp(mode, "compare-kept") == 0);
	} else {
		struct totals t;
		double bw = 1e18, bc = 1e18;
		for (r = 0; r < repeats; r++) {
			run_pass(mode, files, n_files, &t);
			if (t.wall < bw) bw = t.wall;
			if (t.cpu < bc) bc = t.cpu;
		}
		print(mode, n_files, &t, bw, bc);
	}
	for (i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
	return 0;
}
