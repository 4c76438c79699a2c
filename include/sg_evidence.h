/*
 * sg_evidence.h — the pre-audit evidence bundle (DESIGN.md use case 3):
 * the raw API responses as received, who scanned, when, which regions were
 * covered, the report and the policies that produced it, every file hashed,
 * re-checkable offline (`sg-audit evidence verify DIR`, docs/evidence.md).
 *
 * Layout of a bundle (every name deterministic, every file written
 * atomically with sg_file_write_atomic):
 *
 *   DIR/raw/<region>/<service>-<Action>[-<subject>]-p<NNN>[-dN].xml   body as received
 *   DIR/raw/<region>/<service>-<Action>[-<subject>]-p<NNN>.meta.json
 *   DIR/report.json                 the JSON report of the scan
 *   DIR/policies/<PolicyID>.json    every policy file evaluated
 *   DIR/waivers.json                the waiver file, when one was used
 *   DIR/manifest.json               run metadata + every file above with size and SHA-256
 *   DIR/SHA256SUMS                  every file (manifest.json too), `sha256sum -c` format
 *
 * (.json instead of .xml for JSON 1.1 services such as CloudTrail.)
 *
 * WRITER. The scan opens a bundle, adds each response from its response
 * handler (any thread; the writer has its own lock), adds the report, the
 * policies and the waivers, then finishes:
 *
 *     struct sg_evidence *ev = NULL;
 *     if (evidence_dir && sg_evidence_open(&ev, evidence_dir, argc, argv, err) != SG_OK)
 *             return ...;                      // not new/empty: refused
 *     ... in the response callback, BEFORE taking the body out:
 *     if (ev) (void)!sg_evidence_add_aws_response(ev, resp, subject, page, NULL);
 *     ... after evaluation and rendering:
 *     sg_evidence_add_policies(ev, ps, err);
 *     sg_evidence_add_waivers(ev, waivers_path, err);       // NULL = none
 *     sg_evidence_add_file(ev, "report.json", json, len, err);
 *     struct sg_evidence_run run = { .started = t0, .finished = now, .inv = inv, ... };
 *     sg_evidence_finish(ev, &run, manifest_sha256, err);   // print it
 *     sg_evidence_free(ev);
 *
 * The first failure of any add is STICKY: later adds become no-ops and
 * sg_evidence_finish returns it without writing manifest.json/SHA256SUMS
 * (a bundle without them never verifies), so a response handler may ignore
 * the status of sg_evidence_add_*.
 *
 * SECRETS never enter a bundle: no request headers are stored at all
 * (Authorization, X-Amz-Security-Token, X-Amz-Date), only the form body sent,
 * and in it any parameter whose name looks secret is replaced by
 * "[REDACTED]"; a response body that carries credentials (STS AssumeRole*,
 * GetSessionToken, GetFederationToken, anything with a SecretAccessKey or
 * SessionToken element) is withheld — its metadata says so; the command line
 * is recorded with secret-looking values replaced by "[REDACTED]".
 *
 * VERIFY (offline, no network, no clock): every file listed in SHA256SUMS
 * exists and matches, no file is missing or extra, manifest.json agrees;
 * then every raw DescribeSecurityGroups / GetManagedPrefixListEntries
 * response is re-parsed into an inventory, the bundled policies (and
 * waivers, judged as of the scan's end time) are re-run, and the findings,
 * group checks and PCI verdict are compared with report.json.
 */
#ifndef SG_EVIDENCE_H
#define SG_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sg_err.h"

struct sg_aws_response;   /* sg_aws.h */
struct sg_inventory;      /* sg_record.h */
struct sg_policy_set;     /* sg_policy.h */
struct sg_scope_tag;      /* sg_policy.h */

#define SG_EVIDENCE_FORMAT "sg-audit/evidence"
#define SG_EVIDENCE_FORMAT_VERSION 1
#define SG_EVIDENCE_MANIFEST "manifest.json"
#define SG_EVIDENCE_SUMS "SHA256SUMS"
#define SG_EVIDENCE_REPORT "report.json"
#define SG_EVIDENCE_WAIVERS "waivers.json"
#define SG_EVIDENCE_MAX_PAGE 99999         /* p001..p999, then p1000.. per (region, call, subject) */
#define SG_EVIDENCE_MAX_FILE_BYTES ((size_t)256 << 20)
#define SG_EVIDENCE_MAX_FILES 200000

struct sg_evidence;

/*
 * Open a bundle in `dir`: created if absent (its parent must exist), or
 * used if it is an EMPTY directory. Anything else — a non-empty directory,
 * a file — is refused with SG_EINVAL naming the path, so an old bundle is
 * never mixed with a new one. argc/argv is the command line to record
 * (copied and redacted now; argv may be NULL). *out on success; free with
 * sg_evidence_free.
 */
enum sg_status sg_evidence_open(struct sg_evidence **out, const char *dir, int argc,
                                char *const *argv, struct sg_error *err) SG_MUST_USE;

/* Frees the writer. Files already written stay. Accepts NULL. */
void sg_evidence_free(struct sg_evidence *ev);

/* One API response with what was sent for it. Every pointer is borrowed. */
struct sg_evidence_response {
	const char *service;      /* "ec2", "sts", "cloudtrail" */
	const char *region;       /* signing region, e.g. "eu-west-1" */
	const char *action;       /* "DescribeSecurityGroups" */
	const char *subject;      /* what the call was about when one region has several
	                           * such calls (a prefix list id); NULL = none */
	unsigned page;            /* 1-based page number within (region, action, subject);
	                           * 0 = not a paged call (stored as page 1) */
	const char *body;         /* the response body exactly as received */
	size_t body_len;
	const char *request_body; /* the form (or JSON) body sent; NULL/"" = unknown */
	size_t request_len;
	long http_status;         /* 0 = no HTTP answer */
	const char *request_id;   /* "" / NULL = none */
	const char *date;         /* the server's Date header; "" / NULL = none */
	unsigned attempts;        /* attempts made for this answer */
	time_t received;          /* UTC; 0 = now */
	const char *endpoint;     /* URL the request went to (query and userinfo are dropped); NULL = none */
};

/*
 * Store one response: the body unmodified in raw/<region>/<name>.xml (or
 * .json) and its metadata in <name>.meta.json. Thread-safe. The same
 * (region, action, subject, page) received again — a scan that asked for
 * the next page ahead and then stopped — is kept too, as <name>-d2, -d3 ...
 * in the order added, with "received_as" 2, 3 ... in its metadata; verify
 * never uses those for the inventory. SG_EINVAL for a bad
 * region/action/subject name, a page > SG_EVIDENCE_MAX_PAGE, or a finished
 * bundle.
 */
enum sg_status sg_evidence_add_response(struct sg_evidence *ev,
                                        const struct sg_evidence_response *r,
                                        struct sg_error *err) SG_MUST_USE;

/*
 * The same from an AWS client response (sg_aws.h): service, region, action,
 * body, request body, status, request id, Date, attempts and URL are taken
 * from resp. Call it before the body is taken out of resp. subject NULL: for
 * GetManagedPrefixListEntries the PrefixListId sent is used. Fits the scan's
 * sg_scan_options.on_response hook as is:
 *
 *     static void on_response(void *ctx, const struct sg_aws_response *resp,
 *                             unsigned page, enum sg_status st)
 *     { (void)st; if (sg_evidence_add_aws_response(ctx, resp, NULL, page, NULL)) {} }
 */
enum sg_status sg_evidence_add_aws_response(struct sg_evidence *ev,
                                            const struct sg_aws_response *resp,
                                            const char *subject, unsigned page,
                                            struct sg_error *err) SG_MUST_USE;

/*
 * Store a named file: `name` is relative to the bundle ("report.json",
 * "policies/x.json"), made of [A-Za-z0-9._-] components, not under raw/,
 * not manifest.json or SHA256SUMS. `source` (may be NULL) is where it came
 * from, recorded in the manifest. Thread-safe.
 */
enum sg_status sg_evidence_add_file(struct sg_evidence *ev, const char *name,
                                    const void *data, size_t len, const char *source,
                                    struct sg_error *err) SG_MUST_USE;

/*
 * Store every policy of ps as policies/<PolicyID>.json: the file each was
 * loaded from is read again and must still have the SHA-256 recorded at
 * load time (SG_ECONFIG naming the file otherwise). The catalogue version
 * and hash are taken for the manifest.
 */
enum sg_status sg_evidence_add_policies(struct sg_evidence *ev, const struct sg_policy_set *ps,
                                        struct sg_error *err) SG_MUST_USE;

/* Store the waiver file (as waivers.json). path NULL: none used; SG_OK. */
enum sg_status sg_evidence_add_waivers(struct sg_evidence *ev, const char *path,
                                       struct sg_error *err) SG_MUST_USE;

/* What the manifest says about the run. Pointers borrowed for the call. */
struct sg_evidence_run {
	time_t started;            /* UTC */
	time_t finished;           /* UTC; MUST be the `now` given to sg_policy_eval:
	                            * verify judges waiver expiry as of this second */
	const struct sg_inventory *inv;  /* account, caller ARN, partition, per-region
	                                  * coverage (in requested order); may be NULL */
	const char *const *regions_requested; /* as asked ("all" expanded or not) */
	size_t n_regions_requested;
	bool regions_all;          /* --regions all (sg_policy_scope.regions_all) */
	const struct sg_scope_tag *scope_tags; /* --scope-tag KEY=VALUE */
	size_t n_scope_tags;
	const char *tool_version;  /* NULL = this build's */
};

/*
 * Write manifest.json and SHA256SUMS, and give the manifest's SHA-256 (64
 * hex + NUL) in manifest_sha256 (may be NULL) — the value an assessor
 * records. Returns the first sticky failure of an earlier add instead, and
 * then writes nothing. After finish, adds are refused.
 */
enum sg_status sg_evidence_finish(struct sg_evidence *ev, const struct sg_evidence_run *run,
                                  char manifest_sha256[65], struct sg_error *err) SG_MUST_USE;

/* Counts so far (for messages): responses stored, files stored. */
size_t sg_evidence_responses(const struct sg_evidence *ev);
size_t sg_evidence_files(const struct sg_evidence *ev);

/* ------------------------------------------------------------------ verify */

/* Why a bundle did not verify. */
enum sg_evidence_problem_kind {
	SG_EVP_UNREADABLE = 0, /* not a bundle / cannot be read: manifest or SHA256SUMS missing or malformed */
	SG_EVP_MISSING,        /* listed but absent */
	SG_EVP_EXTRA,          /* present but not listed */
	SG_EVP_HASH,           /* content does not match its SHA-256 */
	SG_EVP_MANIFEST,       /* manifest.json disagrees with SHA256SUMS or itself */
	SG_EVP_REPARSE,        /* a raw response cannot be re-parsed */
	SG_EVP_POLICY,         /* bundled policies/waivers cannot be loaded or hash differently */
	SG_EVP_DIFFERENT       /* re-derived findings/checks/verdict differ from report.json */
};

/* Called once per problem, in a deterministic order. `path` names the file ("" if none). */
typedef void (*sg_evidence_problem_fn)(void *ctx, enum sg_evidence_problem_kind kind,
                                       const char *path, const char *message);

struct sg_evidence_verify_result {
	size_t files_listed;       /* lines of SHA256SUMS */
	size_t files_verified;     /* hash matched */
	size_t responses;          /* raw responses in the bundle */
	size_t responses_parsed;   /* re-parsed (DescribeSecurityGroups, GetManagedPrefixListEntries) */
	size_t groups;             /* groups re-derived */
	size_t findings_report;    /* findings in report.json (current ones) */
	size_t findings_derived;   /* findings re-derived */
	size_t findings_matching;
	size_t checks_matching;
	size_t problems;           /* total problems reported */
	bool unreadable;           /* an SG_EVP_UNREADABLE problem: not verifiable at all */
	bool rederived;            /* the re-derivation ran */
	bool rederive_skipped;     /* not attempted: a listed file is missing or changed,
	                            * or the manifest disagrees (those problems say why) */
	char pci[32];              /* PCI verdict in report.json ("" if unknown) */
	char manifest_sha256[65];  /* of manifest.json as found */
	char account_id[32];
	char finished[32];         /* the scan's end time as recorded */
	char tool_version[32];     /* sg-audit version that made the bundle */
};

/*
 * Verify the bundle in dir. Every problem is passed to `each` (may be NULL)
 * and counted in out->problems. Returns SG_OK when the checks could be run
 * (out->problems == 0 means it verified), or an error for an internal
 * failure (ENOMEM). Never touches the network or the bundle.
 */
enum sg_status sg_evidence_verify(const char *dir, sg_evidence_problem_fn each, void *ctx,
                                  struct sg_evidence_verify_result *out,
                                  struct sg_error *err) SG_MUST_USE;

/* "unreadable", "missing", "extra", "hash", "manifest", "reparse", "policy", "different". */
const char *sg_evidence_problem_name(enum sg_evidence_problem_kind k);

/*
 * Redaction helpers (exported for tests): whether an option or parameter
 * name looks like it carries a secret; and a command-line argument's
 * recorded form (malloc'd; NULL on ENOMEM). `prev` is the previous argument
 * (a value after "--secret-key" is redacted whole).
 */
bool sg_evidence_name_is_secret(const char *name, size_t len);
char *sg_evidence_redact_arg(const char *prev, const char *arg);

#endif
