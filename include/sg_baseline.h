/*
 * sg_baseline.h — the nightly diff: compare this run's findings with the
 * previous JSON report (docs/report-schema.md).
 *
 * A finding's identity is sg_report_finding_key: policy id + account +
 * region + group id + rule identity, so a rule that changes its description
 * or a group that is renamed is the same finding, and a wider port range is
 * a new one. Every current finding becomes NEW or UNCHANGED; every finding
 * of the baseline that is gone is appended as RESOLVED — but only when its
 * region was scanned this time. One in a region not scanned now is not
 * resolved, only unknown: it is counted in counts.baseline_unverified.
 */
#ifndef SG_BASELINE_H
#define SG_BASELINE_H

#include <stddef.h>

#include "sg_err.h"
#include "sg_report.h"

/*
 * Apply the baseline in `json` (len bytes; `name` names it in errors and in
 * the report) to r. Call after r's findings and coverage are filled and
 * before sg_report_finish. SG_EPARSE / SG_ECONFIG with a message naming the
 * file when it is not an sg-audit JSON report of a known schema version;
 * r is unchanged on error.
 */
enum sg_status sg_baseline_apply(struct sg_report *r, const char *json, size_t len,
                                 const char *name, struct sg_error *err) SG_MUST_USE;

/* The same, reading the file at path (capped at SG_BASELINE_MAX_BYTES). */
enum sg_status sg_baseline_apply_file(struct sg_report *r, const char *path,
                                      struct sg_error *err) SG_MUST_USE;

#endif
