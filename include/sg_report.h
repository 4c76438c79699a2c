/*
 * sg_report.h — turning one scan into what people and machines read.
 *
 * The report module knows nothing of HTTP or of how policies evaluate. It
 * works on a flat REPORT MODEL (struct sg_report): run metadata, coverage,
 * one row per finding, one row per (group, policy) check, counts. The scan
 * command fills it from the policy engine's result (sg_report_from_policy);
 * a baseline (last night's JSON report) is read back into the same rows.
 *
 * Every writer walks ONE field table (curl's tool_writeout idea): the same
 * table names the JSON keys, the CSV columns, the HTML columns and the
 * labels of the terminal table, so the formats cannot drift apart.
 *
 * Formats: table (terminal), json (docs/report-schema.md), csv (one row per
 * finding, spreadsheet-safe), html (one self-contained file), junit (one
 * test case per group and policy).
 *
 * Ownership: an sg_report owns every string reachable from it, except
 * `inventory`, which is borrowed (may be NULL) and must outlive the report.
 * sg_report_free accepts NULL.
 *
 *     struct sg_report *r = sg_report_new();
 *     ... fill r (or sg_report_from_policy) ...
 *     sg_report_finish(r);                       // sort, count, verdict
 *     sg_report_render(r, SG_FMT_JSON, &opts, &buf, &err);
 */
#ifndef SG_REPORT_H
#define SG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_err.h"
#include "sg_exposure.h"
#include "sg_record.h"

/* Bumped on any incompatible change of the JSON report (docs/report-schema.md). */
#define SG_REPORT_SCHEMA "sg-audit/report"
#define SG_REPORT_SCHEMA_VERSION 1

/* Cap on one rendered report and on a baseline file read back. */
#define SG_REPORT_MAX_BYTES ((size_t)512 << 20)
#define SG_BASELINE_MAX_BYTES ((size_t)256 << 20)

enum sg_report_format {
	SG_FMT_TABLE = 0,
	SG_FMT_JSON,
	SG_FMT_CSV,
	SG_FMT_HTML,
	SG_FMT_JUNIT,
	SG_FMT_COUNT
};

/* What a finding row means for the verdict. */
enum sg_report_status {
	SG_RSTAT_FAIL = 0, /* failing: counts against PCI 1.2.1 when in_scope */
	SG_RSTAT_WAIVED,   /* a live waiver matched; kept and shown, not failing */
	SG_RSTAT_INFO,     /* reported only (authorized port, unscoped egress, ...) */
	SG_RSTAT_UNKNOWN   /* could not be decided (unresolved prefix list): INCOMPLETE */
};

/* Where a finding stands against the baseline. */
enum sg_report_diff {
	SG_DIFF_NONE = 0,  /* no baseline given */
	SG_DIFF_NEW,
	SG_DIFF_UNCHANGED,
	SG_DIFF_RESOLVED   /* in the baseline, gone now (region scanned this time) */
};

/* Per group and policy (JUnit test cases, summary counts). */
enum sg_report_check_verdict {
	SG_CHECK_PASS = 0,
	SG_CHECK_FAIL,
	SG_CHECK_WAIVED,
	SG_CHECK_NOT_APPLICABLE
};

enum sg_report_pci {
	SG_PCI_COMPLIANT = 0,
	SG_PCI_NOT_COMPLIANT,
	SG_PCI_INCOMPLETE
};

struct sg_report_finding {
	char *policy_id;
	char *policy_title;
	char *account_id;
	char *region;
	char *group_id;
	char *group_name;
	char *vpc_id;
	char *rule;        /* rule identity, e.g. "ingress tcp 22 from 0.0.0.0/0"; "" for a group-level finding */
	char *reason;
	char *fix;
	char *waiver;      /* waiver id and reason when WAIVED, else NULL */
	char *attachment;  /* "attached (2 ENIs)", "unattached", NULL if unknown */
	enum sg_severity severity;
	int risk;          /* 0..100 */
	enum sg_report_status status;
	enum sg_report_diff diff;
	/* PCI scope and mappings (the policy's), so a reader can filter on them. */
	bool in_scope;     /* the group is in PCI scope (--scope-tag); only these decide the verdict */
	char *pci_v321;    /* PCI DSS v3.2.1 requirement(s), "1.2.1"; NULL when not PCI-mapped */
	char *pci_v4;      /* PCI DSS v4.0, "1.3.1" (inbound) / "1.3.2" (outbound); NULL if none */
	char *mitre;       /* MITRE ATT&CK "TA0008:T1210"; NULL if none */
	/*
	 * The rule in parts (`rule` is the same rule as one string). has_rule
	 * false: a group-level finding, and nothing below is set. Ports and ICMP
	 * type/code are never mixed: tcp/udp have ports, icmp/icmpv6 have a type
	 * and a code, other protocols (and "all") have neither.
	 */
	bool has_rule;
	enum sg_direction direction;
	char *protocol;    /* "tcp", "udp", "icmp", "icmpv6", "all", or a number "47" */
	bool has_ports;
	int from_port, to_port;     /* 0..65535 when has_ports */
	bool has_icmp;
	int icmp_type, icmp_code;   /* -1 = every type / every code, when has_icmp */
	enum sg_source_kind source_kind;
	char *source;      /* CIDR, "pl-… (name)", or "account/sg-…" */
};

struct sg_report_check {
	char *policy_id;
	char *account_id;
	char *region;
	char *group_id;
	char *group_name;
	bool in_scope;
	enum sg_report_check_verdict verdict;
};

struct sg_report_region {
	char *region;
	char *state;          /* SCANNED, NOT_OPTED_IN, DENIED, THROTTLED, ERROR */
	char *error_code;     /* NULL when scanned */
	char *error_message;  /* NULL when scanned */
	char *attachments;    /* sg_region_coverage.attachments: "counted", "denied: CODE",
	                       * ...; NULL when not scanned */
	size_t groups;
	size_t rules;
};

struct sg_report_policy {
	char *id;
	char *title;
	char *severity;
	char *pci;            /* "1.2.1" mapping text, NULL if not PCI-mapped */
};

/* Counts, filled by sg_report_finish. */
struct sg_report_counts {
	size_t findings;                 /* current findings (not resolved ones) */
	size_t by_severity[SG_SEV_CRITICAL + 1];
	size_t failing, waived, info, unknown; /* current findings by status */
	size_t failing_in_scope;         /* failing ones in in-scope groups: these decide PCI */
	size_t groups, groups_in_scope, groups_failing, groups_waived;
	size_t regions_requested, regions_scanned;
	size_t checks, checks_pass, checks_fail, checks_waived, checks_na;
	size_t diff_new, diff_unchanged, diff_resolved;
	size_t baseline_unverified;      /* baseline findings in regions not scanned now */
};

struct sg_report {
	/* Run metadata (shown in every format). */
	char *tool_version;
	char *catalogue_version;
	char *catalogue_hash;     /* sha256 of the policy catalogue */
	time_t started;           /* UTC */
	time_t finished;
	char *account_id;
	char *caller_arn;
	char *partition;
	char *scope;              /* "all groups" or "tag environment=pci" */
	char **regions_requested;
	size_t n_regions_requested;

	struct sg_report_region *regions;   /* coverage, in requested order */
	size_t n_regions;
	struct sg_report_finding *findings; /* current ones, then resolved ones */
	size_t n_findings;
	struct sg_report_check *checks;
	size_t n_checks;
	struct sg_report_policy *policies;
	size_t n_policies;

	bool has_baseline;
	char *baseline_path;
	char *baseline_started;   /* run.started of the baseline, as written there */

	const struct sg_inventory *inventory; /* borrowed; NULL: no inventory section */

	/*
	 * The PCI verdict. sg_report_from_policy copies the engine's (pci_decided
	 * set, with its reason and group counts); otherwise sg_report_finish
	 * derives it from the checks and coverage.
	 */
	enum sg_report_pci pci;
	bool pci_decided;
	char *pci_reason;
	struct sg_report_counts counts;   /* filled by sg_report_finish */

	size_t findings_cap, checks_cap, regions_cap, policies_cap;
};

/* Rendering options. */
struct sg_report_opts {
	bool color;        /* table: ANSI colour */
	int width;         /* table: wrap width; 0 = 100 */
};

struct sg_report *sg_report_new(void);
void sg_report_free(struct sg_report *r);

/* Append an empty row (NULL on ENOMEM); pointers stay valid until the next add. */
struct sg_report_finding *sg_report_add_finding(struct sg_report *r);
struct sg_report_check *sg_report_add_check(struct sg_report *r);
struct sg_report_region *sg_report_add_region(struct sg_report *r);
struct sg_report_policy *sg_report_add_policy(struct sg_report *r);
/* Copy every field of src into the empty row dst (strings duplicated); false on ENOMEM. */
bool sg_report_finding_copy(struct sg_report_finding *dst, const struct sg_report_finding *src);
/* Free a row's strings (the row itself belongs to its report). */
void sg_report_finding_dispose(struct sg_report_finding *f);
/* "ipv4", "ipv6", "prefix-list", "group" */
const char *sg_report_source_kind_name(enum sg_source_kind k);
bool sg_report_source_kind_parse(const char *name, enum sg_source_kind *out);
/* Copy a string into a report field (frees the old value); false on ENOMEM. */
bool sg_report_set(char **field, const char *value);
bool sg_report_add_requested_region(struct sg_report *r, const char *region);

struct sg_policy_result;
struct sg_policy_set;

/*
 * Fill r from one evaluation: run metadata (tool version, catalogue version
 * and hash from res; account, caller ARN, partition from inv; started and
 * finished as given), coverage (inv->regions, in requested order), the
 * policies of ps (may be NULL), every finding and check, and the engine's PCI
 * verdict. inv is kept borrowed for the JSON inventory. Strings are copied.
 * SG_ENOMEM on allocation failure.
 */
enum sg_status sg_report_from_policy(struct sg_report *r, const struct sg_inventory *inv,
                                     const struct sg_policy_result *res,
                                     const struct sg_policy_set *ps, const char *tool_version,
                                     time_t started, time_t finished,
                                     struct sg_error *err) SG_MUST_USE;

/*
 * Sort rows deterministically (account, region, group id, policy, rule),
 * count them, and decide the PCI 1.2.1 verdict: INCOMPLETE when any requested
 * region was not scanned (a scan that did not see everything never says
 * COMPLIANT), else NOT_COMPLIANT when an in-scope check failed, else COMPLIANT.
 */
void sg_report_finish(struct sg_report *r);

/*
 * Render r as `fmt` into out (initialised by the caller; appended to).
 * Returns SG_OK or the buffer's error (out freed).
 */
enum sg_status sg_report_render(const struct sg_report *r, enum sg_report_format fmt,
                                const struct sg_report_opts *opts, struct sg_buf *out,
                                struct sg_error *err) SG_MUST_USE;

/* Format names: "table", "json", "csv", "html", "junit". */
const char *sg_report_format_name(enum sg_report_format fmt);
bool sg_report_format_parse(const char *name, enum sg_report_format *out);

/* Names used in every format. */
const char *sg_report_status_name(enum sg_report_status s);   /* "FAIL", "WAIVED", "INFO", "UNKNOWN" */
const char *sg_report_diff_name(enum sg_report_diff d);       /* "", "new", "unchanged", "resolved" */
const char *sg_report_check_name(enum sg_report_check_verdict v); /* "PASS", ... */
const char *sg_report_pci_name(enum sg_report_pci v);         /* "COMPLIANT", ... */

/* ---- the field table -------------------------------------------------- */

/* What JSON makes of a field's text: "" is null for every type but `rule`. */
enum sg_report_field_type {
	SG_FIELD_TEXT = 0,
	SG_FIELD_NUMBER,   /* a JSON number */
	SG_FIELD_BOOL      /* "true"/"false": a JSON boolean */
};

/* One column of a finding. `get` writes into buf when it must format. */
struct sg_report_field {
	const char *name;   /* JSON key, CSV header */
	const char *label;  /* table and HTML heading */
	enum sg_report_field_type type;
	bool detail;        /* a part of another column (the rule's): JSON and CSV only */
	const char *(*get)(const struct sg_report_finding *f, char *buf, size_t cap);
};
/* The finding fields in output order. */
const struct sg_report_field *sg_report_finding_fields(size_t *n);

/* One item of run metadata: name, label, and its value ("" if unknown). */
struct sg_report_meta_field {
	const char *name;
	const char *label;
	const char *section; /* JSON object it belongs to: "run", "identity", "coverage" */
	bool list;           /* space-separated value; a JSON array */
	const char *(*get)(const struct sg_report *r, char *buf, size_t cap);
};
const struct sg_report_meta_field *sg_report_meta_fields(size_t *n);

/*
 * The finding's identity across runs: policy id, account, region, group id
 * and rule identity, joined by '|' (a '|' or '\\' inside a part is escaped
 * with '\\'). Used by the baseline diff. malloc'd; NULL on ENOMEM.
 */
char *sg_report_finding_key(const struct sg_report_finding *f);

/* ---- several outputs in one run ----------------------------------------- */

struct sg_report_output {
	enum sg_report_format format;
	char *path;        /* "-" = standard output */
};

struct sg_report_outputs {
	struct sg_report_output *items;
	size_t n;
	size_t cap;
};

/*
 * Parse "FORMAT:PATH" (split at the first ':') and add it. SG_EINVAL with a
 * message naming the argument on an unknown format, an empty path, or a path
 * given twice.
 */
enum sg_status sg_report_outputs_add(struct sg_report_outputs *o, const char *spec,
                                     struct sg_error *err) SG_MUST_USE;
void sg_report_outputs_dispose(struct sg_report_outputs *o);

/*
 * Render and write every output: files atomically (temporary file, fsync,
 * rename; sg_file_write_atomic), "-" to `stdout_file`. Every output is
 * attempted; the first error is returned. mode 0644 for files.
 */
enum sg_status sg_report_write_outputs(const struct sg_report *r,
                                       const struct sg_report_outputs *o,
                                       const struct sg_report_opts *opts, FILE *stdout_file,
                                       struct sg_error *err) SG_MUST_USE;

/* The baseline diff lives in include/sg_baseline.h. */

/* ---- exit decision ------------------------------------------------------ */

enum sg_fail_on {
	SG_FAIL_ON_ANY = 0, /* any failing finding at or above the severity */
	SG_FAIL_ON_NEW,     /* only new ones (against the baseline; all are new without one) */
	SG_FAIL_ON_NONE     /* findings never decide the exit code */
};

bool sg_fail_on_parse(const char *text, enum sg_fail_on *out);
const char *sg_fail_on_name(enum sg_fail_on f);

/* What the run amounts to; the CLI maps it to an exit code (sg_exit_for_outcome). */
enum sg_report_outcome {
	SG_OUTCOME_CLEAN = 0,
	SG_OUTCOME_FINDINGS,   /* failing findings that meet --fail-on/--fail-severity */
	SG_OUTCOME_INCOMPLETE  /* a requested region did not complete */
};

/*
 * Decide the outcome. INCOMPLETE wins (a scan that did not see everything
 * cannot be called clean, and its alert must say so); then FINDINGS when a
 * FAIL finding (never WAIVED or INFO) with severity >= fail_severity exists
 * and fail_on is ANY, or is NEW and the finding is new (or no baseline was
 * given); else CLEAN. Resolved findings never alert.
 */
enum sg_report_outcome sg_report_decide(const struct sg_report *r, enum sg_fail_on fail_on,
                                        enum sg_severity fail_severity);

/* Does the terminal want colour? false when NO_COLOR is set (any value) or fd is not a tty. */
bool sg_report_want_color(int fd);

#endif
