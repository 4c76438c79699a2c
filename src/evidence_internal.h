/*
 * evidence_internal.h — shared between the verifier's two halves:
 * evidence_verify.c (files, hashes, manifest) and evidence_rederive.c
 * (re-parse the raw responses, re-run the policies, compare with the report).
 */
#ifndef SG_EVIDENCE_INTERNAL_H
#define SG_EVIDENCE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_buf.h"
#include "sg_evidence.h"

struct cJSON;

struct ev_listed {
	char *path;
	char sha256[65];   /* as listed in SHA256SUMS */
	bool present;
	bool matches;      /* present and hash equal */
	size_t bytes;      /* actual size when present */
	size_t line;       /* in SHA256SUMS */
};

struct ev_verify {
	const char *dir;
	sg_evidence_problem_fn each;
	void *ctx;
	struct sg_evidence_verify_result *out;
	struct ev_listed *listed;  /* SHA256SUMS, in its order */
	size_t n_listed;
	struct ev_listed **by_path;/* the same, sorted by path, duplicates dropped */
	size_t n_listed_unique;    /* entries of by_path */
	struct cJSON *manifest;    /* parsed manifest.json (NULL if unreadable) */
	size_t extras;             /* extra files reported */
};

/* Report one problem (counted; passed to the callback). */
void ev_problem(struct ev_verify *v, enum sg_evidence_problem_kind kind, const char *path,
                const char *fmt, ...) SG_PRINTF(4, 5);

/* The listed entry for a path, NULL if not listed. */
const struct ev_listed *ev_find_listed(const struct ev_verify *v, const char *path);

/*
 * Read a bundled file that is listed and matched its hash (a file that did
 * not is never re-used: its problem is reported already). SG_ENOTFOUND if
 * it is not usable; out initialised here.
 */
enum sg_status ev_read(struct ev_verify *v, const char *path, size_t max_bytes,
                       struct sg_buf *out, struct sg_error *err) SG_MUST_USE;

/* Re-parse, re-evaluate, compare (evidence_rederive.c). */
enum sg_status ev_rederive(struct ev_verify *v, struct sg_error *err) SG_MUST_USE;

#endif
