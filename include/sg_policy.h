/*
 * sg_policy.h — policies, the evaluation engine, findings and the PCI verdict.
 *
 * A POLICY is one JSON file in policies/ (docs/policies.md): metadata
 * (PolicyID, DisplayName, Severity, Runbook, Reports, ...), a CHECK KIND
 * implemented in C (src/check_*.c) with its Parameters, and embedded Tests.
 * A POLICY SET is every policy loaded, keyed by PolicyID; a later file with
 * the same id replaces the earlier one (that is how --policies DIR overrides
 * the shipped catalogue).
 *
 * EVALUATION (sg_policy_eval) is pure: no I/O, no clock (the caller passes
 * `now`, used only for waiver expiry). It runs every enabled policy on every
 * group of an inventory, applies waivers, and decides the PCI DSS 1.2.1
 * verdict. Time is linear in the number of rules.
 *
 * The RESULT owns every string reachable from it (an arena inside it): it
 * does not borrow from the inventory, the policy set or the waiver set, which
 * may be freed before it.
 *
 *     struct sg_policy_set *ps = sg_policy_set_new();
 *     if (sg_policy_set_load_default(ps, user_dir, &err) != SG_OK) ...
 *     struct sg_policy_scope scope = { .tags = tags, .n_tags = n, .regions_all = true };
 *     struct sg_policy_result *res;
 *     if (sg_policy_eval(inv, ps, waivers, &scope, time(NULL), &res, &err) != SG_OK) ...
 *     for (i = 0; i < res->n_findings; i++) ... res->findings[i] ...
 *     printf("PCI %s: %s\n", sg_pci_verdict_name(res->pci.verdict), res->pci.reason);
 *     sg_policy_result_free(res);
 *     sg_policy_set_free(ps);
 *
 * Order: findings are sorted by account, region, group id, policy id,
 * direction (ingress first), rule index (position in sg_group.rules); group
 * checks by account, region, group id, policy id. Two runs diff cleanly.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_err.h"
#include "sg_exposure.h"
#include "sg_record.h"

struct sg_waiver_set; /* sg_waiver.h */

/* Caps on untrusted policy input. */
#define SG_POLICY_FILE_MAX_BYTES ((size_t)4 << 20)
#define SG_POLICY_MAX_POLICIES 1024
#define SG_POLICY_MAX_TESTS 256

/* The PCI requirement the verdict is about, and its v4.0 successors. */
#define SG_PCI_REQUIREMENT "1.2.1"
#define SG_PCI_V4_INBOUND "1.3.1"
#define SG_PCI_V4_OUTBOUND "1.3.2"

/* ---------------------------------------------------------------- policies */

/* A list of short strings (PCI requirement ids, MITRE ids). */
struct sg_strlist {
	char **items;
	size_t n;
};

struct sg_check_kind; /* sg_check.h: the C implementation of a check */

struct sg_policy {
	char *id;            /* PolicyID, e.g. "AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic" */
	char *display_name;  /* DisplayName */
	char *description;
	enum sg_severity severity; /* Severity (a check may raise or lower it per finding) */
	char *runbook;       /* the fix */
	char *reference;     /* URL */
	struct sg_strlist pci_v321;  /* Reports["PCI DSS v3.2.1"] (alias "PCI") */
	struct sg_strlist pci_v4;    /* Reports["PCI DSS v4.0"] */
	struct sg_strlist mitre;     /* Reports["MITRE ATT&CK"], e.g. "TA0008:T1210" */
	bool enabled;
	const struct sg_check_kind *check;
	char *check_name;    /* Check, e.g. "internet_exposure" */
	void *params;        /* parsed Parameters, owned; the check kind knows the type */
	char *path;          /* file it was loaded from ("<memory>" for buffers) */
	char sha256[65];     /* of the file's bytes */
	void *tests_json;    /* the Tests array (cJSON, owned); run by sg_policy_run_tests */
	size_t n_tests;
	unsigned load_gen;   /* private: which load (directory) it came from */
};

struct sg_policy_set {
	struct sg_policy *policies; /* sorted by id after every load */
	size_t n;
	size_t cap;
	char catalogue_version[32]; /* sensitive-port catalogue (SG_CATALOGUE_VERSION) */
	char catalogue_sha256[65];  /* over the loaded policy files, see sg_policy_set_hash */
	struct sg_strlist dirs;     /* directories loaded, in order (for reports) */
	unsigned gen;               /* private: current load generation */
};

struct sg_policy_set *sg_policy_set_new(void);
void sg_policy_set_free(struct sg_policy_set *ps);

/*
 * Load one policy from memory. `name` names the input in errors
 * ("policies/x.json"). Rejects (SG_ECONFIG, message naming the file, the
 * entry and the reason): malformed JSON, missing or mistyped fields, an
 * unknown check kind or parameter, a duplicate PolicyID within `dup_scope`
 * loads (see below). A policy whose id is already in the set from an EARLIER
 * directory replaces it.
 */
enum sg_status sg_policy_set_load_buffer(struct sg_policy_set *ps, const char *name,
                                         const char *data, size_t len,
                                         struct sg_error *err) SG_MUST_USE;
enum sg_status sg_policy_set_load_file(struct sg_policy_set *ps, const char *path,
                                       struct sg_error *err) SG_MUST_USE;
/*
 * Load every *.json of `dir` (sorted by name). Two files of the same
 * directory with the same PolicyID are an error; a file replaces a policy
 * of the same id loaded from an earlier directory.
 */
enum sg_status sg_policy_set_load_dir(struct sg_policy_set *ps, const char *dir,
                                      struct sg_error *err) SG_MUST_USE;
/*
 * The catalogue every command uses. Base directory: the first that exists of
 * $SG_POLICY_DIR, the installed data dir (SG_POLICY_DATADIR, set by the
 * Makefile: PREFIX/share/sg-audit/policies), the source tree's policies/
 * (SG_POLICY_SRCDIR). Then `user_dir` (--policies DIR, may be NULL) adds or
 * replaces policies. Finally the catalogue hash is computed.
 */
enum sg_status sg_policy_set_load_default(struct sg_policy_set *ps, const char *user_dir,
                                          struct sg_error *err) SG_MUST_USE;
/*
 * catalogue_sha256 = SHA-256 over the lines "<file sha256>  <PolicyID>\n" of
 * every loaded policy sorted by PolicyID. Called by load_default; call it
 * yourself after loading by hand.
 */
void sg_policy_set_hash(struct sg_policy_set *ps);

const struct sg_policy *sg_policy_set_find(const struct sg_policy_set *ps, const char *id);

/* ---------------------------------------------------------------- findings */

/* Per group and policy (DESIGN.md "Verdicts"). */
enum sg_verdict {
	SG_VERDICT_PASS = 0,
	SG_VERDICT_FAIL,
	SG_VERDICT_WAIVED,        /* every failing finding is covered by a live waiver */
	SG_VERDICT_NOT_APPLICABLE
};

/* What one finding means for the verdict. */
enum sg_finding_state {
	SG_FINDING_FAIL = 0,  /* failing */
	SG_FINDING_WAIVED,    /* failing, but a live waiver matched: kept and shown */
	SG_FINDING_INFO,      /* reported only: authorized port, self reference, unscoped egress */
	SG_FINDING_UNKNOWN    /* could not be decided (prefix list not resolved): makes PCI INCOMPLETE */
};

/* How a waiver relates to a finding. */
enum sg_waiver_state {
	SG_WAIVER_NONE = 0,   /* no waiver names this finding */
	SG_WAIVER_LIVE,       /* a live waiver matched: state is WAIVED */
	SG_WAIVER_EXPIRED     /* only an expired waiver matched: still FAIL */
};

/* For group-sourced rules (inter-group policies). */
enum sg_ref_kind {
	SG_REF_NONE = 0,      /* the source is not a group */
	SG_REF_SELF,
	SG_REF_SAME_VPC,
	SG_REF_PEERED,        /* another VPC through peering */
	SG_REF_CROSS_ACCOUNT,
	SG_REF_STALE          /* the referenced group no longer exists */
};

struct sg_finding {
	/* the policy */
	const char *policy_id;
	const char *policy_title;   /* DisplayName */
	enum sg_severity severity;
	int risk;                   /* 0..100 (exposure score; policy-defined for others) */
	enum sg_finding_state state;
	/* the group */
	const char *account_id;
	const char *region;
	const char *vpc_id;         /* may be NULL */
	const char *group_id;
	const char *group_name;
	int eni_count;              /* -1 unknown, 0 not attached */
	const char *attachment;     /* "attached (2 ENIs)", "not attached", "unknown" */
	bool in_scope;              /* group in PCI scope (--scope-tag) */
	/* the rule (has_rule false for a group-level finding) */
	bool has_rule;
	enum sg_direction direction;
	int protocol;               /* SG_PROTO_ALL or 0..255 */
	const char *protocol_name;  /* "all", "tcp", "udp", "icmp", "icmpv6", "47" */
	int from_port;              /* normalized (sg_rule); ICMP: type */
	int to_port;                /* ICMP: code; -1 = all / no ports */
	const char *ports;          /* "22", "20-30", "all", "type 8 code 0", "type all" */
	enum sg_source_kind source_kind;
	const char *source;         /* "0.0.0.0/0", "pl-… (open-world: 0.0.0.0/0)",
	                               "sg-… (123456789012)", "0.0.0.0/1 + 128.0.0.0/1" */
	const char *rule_text;      /* "ingress tcp 22 from 0.0.0.0/0" */
	uint32_t rule_index;        /* index in sg_group.rules */
	uint32_t perm_index;        /* IpPermission index within its direction */
	enum sg_ref_kind ref_kind;
	const char *sensitive_ports;/* "20, 21, 22, 23" or NULL */
	/* the explanation */
	const char *reason;         /* one sentence */
	const char *fix;            /* the policy's Runbook */
	const char *pci_v321;       /* "1.2.1" (comma-separated) or NULL when not PCI-mapped */
	const char *pci_v4;         /* "1.3.1" / "1.3.2" or NULL */
	const char *mitre;          /* "TA0008:T1210" or NULL */
	/* waivers */
	enum sg_waiver_state waiver_state;
	const char *waiver;         /* "W3 ticket SEC-12 (owner, expires 2027-01-31): reason" or NULL */
	int waiver_index;           /* index in the waiver set, -1 if none */
};

/* One (group, policy) check: JUnit test cases, summary counts. */
struct sg_group_check {
	const char *policy_id;
	const char *account_id;
	const char *region;
	const char *group_id;
	const char *group_name;
	bool in_scope;
	enum sg_verdict verdict;
};

/* A waiver that is itself reported. */
enum sg_waiver_report_state {
	SG_WAIVER_REPORT_USED = 0,   /* live and matched at least one finding */
	SG_WAIVER_REPORT_EXPIRED,    /* past its expiry: it no longer works */
	SG_WAIVER_REPORT_STALE       /* live but matched nothing */
};

struct sg_waiver_report {
	int index;                  /* in the waiver set */
	const char *label;          /* "waivers.json entry 3 (ticket SEC-12)" */
	const char *policy_id;
	const char *group_id;
	const char *expires;        /* as written */
	enum sg_waiver_report_state state;
	size_t matched;             /* findings matched (live or expired) */
	const char *message;        /* one sentence for the report */
};

enum sg_pci_verdict {
	SG_PCIV_COMPLIANT = 0,
	SG_PCIV_NOT_COMPLIANT,
	SG_PCIV_INCOMPLETE
};

/*
 * The PCI DSS 1.2.1 verdict (docs/policies.md "PCI verdict"):
 *   INCOMPLETE     when a requested region is not SCANNED, or an in-scope
 *                  group has an UNKNOWN finding (unresolved prefix list);
 *                  this wins over NOT_COMPLIANT: a scan that did not see
 *                  everything never says anything but INCOMPLETE;
 *   NOT_COMPLIANT  when an in-scope group has a FAIL finding of a
 *                  PCI-mapped policy;
 *   COMPLIANT      otherwise (every in-scope group passes or is waived).
 * "Requested": with --regions all (scope.regions_all) a NOT_OPTED_IN region
 * was never asked for and does not count; a region named explicitly counts
 * whatever its state.
 */
struct sg_pci {
	enum sg_pci_verdict verdict;
	const char *requirement;    /* "1.2.1" */
	const char *reason;         /* one sentence: why this verdict */
	size_t groups_in_scope;
	size_t groups_failing;      /* in scope, at least one FAIL of a PCI-mapped policy */
	size_t groups_waived;       /* in scope, failing findings all waived */
	size_t fail_findings;       /* in scope, PCI-mapped, FAIL */
	size_t waived_findings;
	size_t unknown_findings;
	size_t regions_requested;
	size_t regions_incomplete;  /* requested and not SCANNED */
};

struct sg_policy_result {
	struct sg_finding *findings;
	size_t n_findings;
	struct sg_group_check *checks;
	size_t n_checks;
	struct sg_waiver_report *waivers;
	size_t n_waivers;
	struct sg_pci pci;
	/* counts over all findings (any scope) */
	size_t n_fail, n_waived, n_info, n_unknown;
	size_t groups_evaluated;
	size_t rules_evaluated;
	size_t policies_evaluated;
	char catalogue_version[32];
	char catalogue_sha256[65];
	struct sg_arena *arena;     /* private: owns the strings */
};

/*
 * What the scan was asked to cover. A group is in PCI scope when it carries
 * ANY of the KEY=VALUE tags (exact match); with n_tags == 0 every group is in
 * scope. regions_all: regions were requested as "all" (see struct sg_pci).
 */
struct sg_scope_tag {
	const char *key;
	const char *value;
};

struct sg_policy_scope {
	const struct sg_scope_tag *tags;
	size_t n_tags;
	bool regions_all;
};

/*
 * Parse "KEY=VALUE" (as given to --scope-tag) IN PLACE: the first '=' is
 * overwritten with NUL and out points into `text`. False when there is no
 * '=' or the key is empty (an empty value is allowed).
 */
bool sg_scope_tag_parse(char *text, struct sg_scope_tag *out);

/*
 * Evaluate. waivers and scope may be NULL (no waivers; every group in scope,
 * regions listed explicitly). `now` decides waiver expiry. On success *out is
 * a new result the caller frees with sg_policy_result_free.
 */
enum sg_status sg_policy_eval(const struct sg_inventory *inv, const struct sg_policy_set *ps,
                              const struct sg_waiver_set *waivers,
                              const struct sg_policy_scope *scope, time_t now,
                              struct sg_policy_result **out, struct sg_error *err) SG_MUST_USE;
void sg_policy_result_free(struct sg_policy_result *res);

const char *sg_verdict_name(enum sg_verdict v);              /* "PASS", "FAIL", ... */
const char *sg_finding_state_name(enum sg_finding_state s);  /* "FAIL", "WAIVED", "INFO", "UNKNOWN" */
const char *sg_pci_verdict_name(enum sg_pci_verdict v);      /* "COMPLIANT", ... */
const char *sg_ref_kind_name(enum sg_ref_kind k);            /* "self", "same-vpc", ... */
const char *sg_waiver_report_state_name(enum sg_waiver_report_state s);

/* ------------------------------------------------------------ policy tests */

/* One embedded test's outcome. */
struct sg_policy_test_outcome {
	const char *policy_id;
	char name[160];
	bool passed;
	char detail[512];  /* why it failed ("" when passed) */
};

/*
 * Run the embedded Tests of every policy in the set (enabled or not). Calls
 * `each` once per test in policy-id order; counts into *passed / *failed.
 * Returns non-OK only for an internal failure (ENOMEM), not for a failed test.
 */
enum sg_status sg_policy_run_tests(const struct sg_policy_set *ps,
                                   void (*each)(const struct sg_policy_test_outcome *o, void *ctx),
                                   void *ctx, size_t *passed, size_t *failed,
                                   struct sg_error *err) SG_MUST_USE;

#endif
