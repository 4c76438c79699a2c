/*
 * sg_cloudtrail.h — CloudTrail security-group change detection.
 *
 * Reads CloudTrail records (log files as delivered to S3, or LookupEvents
 * pages), keeps the six security-group events of sg-semantics.md §9 that
 * succeeded, and scores each with the posture scan's own scorer
 * (sg_exposure.h) and CIDR parser (sg_cidr.h):
 *
 *   authorize/modify opening the internet    100 / 90 / 75 (40 for ICMP)
 *   revoke of an internet rule               40 ("closed")
 *   authorized internet port (tcp 80, 443)   0, info
 *
 * Two modes:
 *   default          every permission of an event examined, CIDRs parsed,
 *                    IPv6, ICMP, ingress and egress told apart,
 *                    ModifySecurityGroupRules' own request shape read;
 *                    one alert per (event, exposed permission).
 *   seed-compatible  the original detection query, bug for bug: first
 *                    permission only, "0.0.0.0/0" / "::/0" found by
 *                    substring in the raw record, its port list and its
 *                    scores; one alert per event. (docs/events.md lists
 *                    every case where the two differ.)
 *
 *     struct sg_ct_options o;
 *     sg_ct_options_init(&o, &params);          // params: sg_exposure_params
 *     o.emit = my_emit; o.ctx = me;             // called once per alert
 *     struct sg_ct_scan *s;
 *     if (sg_ct_scan_new(&s, &o, err) != SG_OK) ...
 *     st = sg_ct_scan_path(s, "AWSLogs/", err);  // files or S3 layout dirs
 *     ... s's stats say what was read, skipped and found ...
 *     sg_ct_scan_free(s);
 *
 * Bad input never stops a run: a file or record that cannot be read is
 * reported through o.warn (naming the file, the record index and the
 * eventID when known), counted in the stats, and the rest is processed.
 * Only ENOMEM, a failing emit callback or a bad argument end a call early.
 */
#ifndef SG_CLOUDTRAIL_H
#define SG_CLOUDTRAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_err.h"
#include "sg_exposure.h"
#include "sg_record.h"

/* Caps on untrusted input. */
#define SG_CT_MAX_FILE_BYTES ((size_t)256 << 20)   /* uncompressed, per log file */
#define SG_CT_MAX_RECORD_BYTES ((size_t)4 << 20)   /* one record's JSON text */
#define SG_CT_MAX_SOURCES 4096                     /* sources in one permission */
#define SG_CT_MAX_WARNINGS_PER_FILE 20             /* then one "... and N more" line */

/* Which of the six events a record is (SG_CT_EV_NONE: not scored). */
enum sg_ct_event {
	SG_CT_EV_NONE = 0,
	SG_CT_EV_AUTHORIZE_INGRESS,
	SG_CT_EV_AUTHORIZE_EGRESS,
	SG_CT_EV_REVOKE_INGRESS,
	SG_CT_EV_REVOKE_EGRESS,
	SG_CT_EV_CREATE_GROUP,
	SG_CT_EV_MODIFY_RULES
};

/* The six names, in sg-semantics.md §9 order. */
extern const char *const sg_ct_event_names[6];
enum sg_ct_event sg_ct_event_from_name(const char *name);

/*
 * One alert. Every pointer is borrowed and valid only during the emit
 * callback. Strings are never NULL ("" when the record lacked the field).
 */
struct sg_ct_alert {
	bool seed;                 /* produced in seed-compatible mode */
	int risk;                  /* 100 / 90 / 75 / 40 / 0 */
	enum sg_severity severity;
	const char *timestamp;     /* the record's eventTime, as given */
	const char *event_id;
	const char *event_name;
	const char *account;       /* label Account and host.name */
	const char *group;         /* label Security Group */
	const char *user;          /* label User and user.name */
	const char *source_ip;
	const char *region;
	const char *protocol;      /* label Protocol, network.protocol: ipProtocol as sent */
	const char *port_info;     /* "all ports", "port(s) 22-22", "ICMP type 8 code -1", ... */
	const char *action;        /* "opened" or "closed" */
	const char *message;
	/* Default mode only (seed alerts leave these empty/zero): */
	const char *direction;     /* "ingress", "egress", "unknown" (ModifySecurityGroupRules) */
	const char *sources;       /* "0.0.0.0/0, ::/0", "prefix list pl-… (contents unknown)" */
	const char *kind;          /* "all-traffic", "sensitive-port", "port", "icmp",
	                              "authorized-port", "prefix-list-unknown" */
	const uint16_t *sensitive_ports;
	size_t n_sensitive;        /* listed; may be fewer than found */
	size_t n_sensitive_total;
	int perm_index;            /* 0-based index of the permission in the event */
	/* Where it came from, for humans: "path/to/file.json.gz record 7" or "us-east-1 LookupEvents". */
	const char *origin;
};

typedef enum sg_status (*sg_ct_emit_fn)(void *ctx, const struct sg_ct_alert *a,
                                        struct sg_error *err);
/* A human-readable problem with the input ("file.json.gz: record 3 (eventID …): ..."). */
typedef void (*sg_ct_warn_fn)(void *ctx, const char *msg);

struct sg_ct_options {
	const struct sg_exposure_params *params; /* borrowed; the posture scan's scorer */
	bool seed_compatible;
	int min_risk;              /* alerts below are neither emitted nor counted; default 1 */
	time_t since;              /* keep records with eventTime >= since (0 = no bound) */
	time_t until;              /* ... and <= until (0 = no bound) */
	const char *const *regions;/* keep records whose awsRegion is listed; NULL = all */
	size_t n_regions;
	sg_ct_emit_fn emit;
	sg_ct_warn_fn warn;        /* NULL: problems are only counted */
	void *ctx;                 /* passed to emit and warn */
};

void sg_ct_options_init(struct sg_ct_options *o, const struct sg_exposure_params *params);

struct sg_ct_stats {
	uint64_t files;            /* log files opened */
	uint64_t bytes_read;       /* bytes read from disk or the network */
	uint64_t bytes_json;       /* uncompressed JSON bytes parsed */
	uint64_t records;          /* records seen */
	uint64_t sg_events;        /* records that are one of the six events */
	uint64_t duplicates;       /* dropped: eventID seen before in this run */
	uint64_t failed;           /* dropped: errorCode set */
	uint64_t filtered;         /* dropped: outside --since/--until/--regions */
	uint64_t scored;           /* successful, unique, in-range SG events scored */
	uint64_t alerts;           /* alerts emitted (risk >= min_risk) */
	int max_risk;              /* highest risk emitted, -1 if none */
	uint64_t bad_files;        /* files that could not be read, or only in part */
	uint64_t bad_records;      /* records reported and skipped */
};

struct sg_ct_scan;

/* A scan keeps the options (copied; pointers inside borrowed), the eventID set and stats. */
enum sg_status sg_ct_scan_new(struct sg_ct_scan **out, const struct sg_ct_options *o,
                              struct sg_error *err) SG_MUST_USE;
void sg_ct_scan_free(struct sg_ct_scan *s);
const struct sg_ct_stats *sg_ct_scan_stats(const struct sg_ct_scan *s);
/* True when some input could not be read (bad files or records): the run is incomplete. */
bool sg_ct_scan_incomplete(const struct sg_ct_scan *s);
/* Record that something outside the scanner (a region, a page) was not read. */
void sg_ct_scan_mark_incomplete(struct sg_ct_scan *s);

/*
 * Score one record given as JSON text (a LookupEvents CloudTrailEvent
 * string, or a test's literal). `origin` names where it came from in
 * messages. A malformed record is reported and counted, not an error.
 */
enum sg_status sg_ct_scan_record_json(struct sg_ct_scan *s, const char *json, size_t len,
                                      const char *origin, struct sg_error *err) SG_MUST_USE;

/*
 * Score a log file's content: one JSON object {"Records": [...]} (already
 * decompressed). Records are parsed one at a time; a record that is not
 * valid JSON, nested deeper than cJSON's limit, or over
 * SG_CT_MAX_RECORD_BYTES is reported and skipped when its end can still be
 * found, and the file's remaining records are still processed.
 */
enum sg_status sg_ct_scan_buffer(struct sg_ct_scan *s, const char *data, size_t len,
                                 const char *origin, struct sg_error *err) SG_MUST_USE;

/*
 * Score a path: a .json or .json.gz file (gzip is recognized by its magic
 * bytes and inflated in chunks into a per-file buffer capped at
 * SG_CT_MAX_FILE_BYTES), or a directory walked recursively in name order
 * (the S3 layout AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/…), taking
 * files ending in .json or .json.gz and skipping the CloudTrail-Digest,
 * -Insight, -NetworkActivity and -Aggregated trees and symlinked
 * directories. Memory is bounded by the largest file, not by their number.
 * A missing top-level path is ENOTFOUND; unreadable files below it are
 * reported and counted.
 */
enum sg_status sg_ct_scan_path(struct sg_ct_scan *s, const char *path,
                               struct sg_error *err) SG_MUST_USE;

/*
 * Decompress (if gzip) and read a whole file into out (caller-initialised;
 * its cap applies). A truncated gzip stream or one that passes the cap
 * keeps what was inflated so far in out and returns EPARSE/ELIMIT with a
 * message naming the path. Exported for the bench's parse-only floor.
 */
enum sg_status sg_ct_read_file(const char *path, struct sg_buf *out, uint64_t *bytes_read,
                               struct sg_error *err) SG_MUST_USE;

/* ---- output ------------------------------------------------------------------ */

/*
 * One NDJSON line (with the trailing '\n') for an alert, appended to out.
 * Keys in a fixed order: timestamp, event{start,end[,id,risk_score]},
 * message, labels{Severity, Account, Security Group, User, Source IP,
 * Event, Region, Protocol, Port Range, Action, Tactic, Technique},
 * host.name, user.name, source.ip, cloud{region, service.name},
 * network.protocol, rule{name, description, mitre_tactics,
 * mitre_techniques, severity, references}[, sg_audit{...}]. The bracketed
 * parts are default mode only. Invalid UTF-8 in record strings becomes U+FFFD.
 */
enum sg_status sg_ct_alert_ndjson(const struct sg_ct_alert *a, struct sg_buf *out,
                                  struct sg_error *err) SG_MUST_USE;

/* ---- LookupEvents (src/cloudtrail_lookup.c) ------------------------------------ */

struct sg_aws;

struct sg_ct_lookup_args {
	const char *const *regions;  /* n_regions names; none and !all_regions: the default region */
	size_t n_regions;
	bool all_regions;            /* every enabled region (EC2 DescribeRegions) */
	time_t since;                /* window sent as StartTime/EndTime (epoch seconds) */
	time_t until;
	unsigned max_pages;          /* per (region, event name); 0 = SG_CT_LOOKUP_MAX_PAGES */
};

#define SG_CT_LOOKUP_MAX_PAGES 1000u

/*
 * Query LookupEvents in each region through `aws`: one series per event
 * name (LookupAttributes EventName=…, StartTime/EndTime, MaxResults 50,
 * NextToken paging), all series and regions submitted to the client's
 * worker pool, at most 2 requests per second per region (the client's
 * cloudtrail rate limiter; retries on ThrottlingException are the
 * client's). The records are then scored in (EventTime, EventId, region)
 * order, so paging never changes the output. A series that fails is
 * reported through the scan's warn callback and marks the scan incomplete;
 * the call fails only on ENOMEM, when the region list cannot be had, or
 * when every series failed on credentials (EAUTH, ECREDS).
 */
enum sg_status sg_ct_lookup_run(struct sg_ct_scan *s, struct sg_aws *aws,
                                const struct sg_ct_lookup_args *a,
                                struct sg_error *err) SG_MUST_USE;

/* ---- time and options -------------------------------------------------------- */

/*
 * Parse --since/--until: a duration back from `now` ("90m", "24h", "7d",
 * "2w"), an ISO-8601 UTC time ("2024-05-01T12:00:00Z", or a date
 * "2024-05-01" meaning its midnight), "now", or epoch seconds.
 */
bool sg_ct_parse_time(const char *text, time_t now, time_t *out);

#endif
