/*
 * cmd_evidence.c — `sg-audit evidence verify [--expect-manifest-sha256 HEX] DIR`.
 *
 * Offline check of an evidence bundle (docs/evidence.md). Exit codes, from
 * the one table of src/cli.c:
 *   0 (clean)      everything verified
 *   1 (findings)   the bundle does not verify: a file changed, missing or
 *                  extra, the manifest disagrees, or the findings re-derived
 *                  from the raw responses differ from report.json
 *   2 (incomplete) not verifiable at all: no SHA256SUMS or manifest.json,
 *                  unreadable or not a bundle (e.g. the scan never finished)
 *   3 (usage)      bad arguments
 *   5 (internal)   out of memory or a bug
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sg_cli.h"
#include "sg_evidence.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit evidence verify [--expect-manifest-sha256 HEX] [--quiet] DIR\n"
	    "\n"
	    "Verify an evidence bundle written by 'sg-audit scan --evidence DIR', offline:\n"
	    "every file against SHA256SUMS and manifest.json (nothing missing, nothing extra),\n"
	    "then the findings re-derived from the raw API responses with the bundled\n"
	    "policies and waivers (judged as of the scan's end) against report.json.\n"
	    "\n"
	    "  --expect-manifest-sha256 HEX  the manifest SHA-256 recorded when the bundle\n"
	    "                                was made; a different manifest fails\n"
	    "  --quiet                       print only problems and the verdict line\n"
	    "\n"
	    "Exit codes: 0 verified; 1 does not verify (tampered, incomplete file set, or\n"
	    "findings differ); 2 not a readable bundle; 3 usage; 5 internal error.\n");
}

struct printer {
	size_t shown;
};

static void
on_problem(void *ctx, enum sg_evidence_problem_kind kind, const char *path, const char *message)
{
	struct printer *p = ctx;

	p->shown++;
	printf("FAIL %-9s %s%s%s\n", sg_evidence_problem_name(kind), path,
	    *path ? ": " : "", message);
}

static bool
hex64(const char *s)
{
	size_t i;

	if (strlen(s) != 64)
		return false;
	for (i = 0; i < 64; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int
verify(int argc, char **argv)
{
	const char *dir = NULL, *expect = NULL;
	struct sg_evidence_verify_result res;
	struct printer pr = { 0 };
	struct sg_error err;
	bool quiet = false;
	char want[65];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return SG_EXIT_CLEAN;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			quiet = true;
		} else if (strcmp(a, "--expect-manifest-sha256") == 0 ||
		    strncmp(a, "--expect-manifest-sha256=", 25) == 0) {
			if (a[24] == '=')
				expect = a + 25;
			else if (i + 1 < argc)
				expect = argv[++i];
			else
				return sg_cli_usage_error("evidence verify",
				    "--expect-manifest-sha256 needs a value");
			if (!hex64(expect))
				return sg_cli_usage_error("evidence verify",
				    "--expect-manifest-sha256: '%.80s' is not 64 hex digits", expect);
		} else if (a[0] == '-' && a[1] != '\0') {
			return sg_cli_usage_error("evidence verify", "unknown option '%s'", a);
		} else if (dir == NULL) {
			dir = a;
		} else {
			return sg_cli_usage_error("evidence verify", "one bundle directory, please "
			    "('%s' and '%s' given)", dir, a);
		}
	}
	if (dir == NULL)
		return sg_cli_usage_error("evidence verify", "which bundle? (evidence verify DIR)");

	sg_err_init(&err);
	if (sg_evidence_verify(dir, on_problem, &pr, &res, &err) != SG_OK) {
		sg_cli_report_error("evidence verify", &err);
		return sg_exit_for_status(err.status);
	}
	if (expect != NULL && !res.unreadable) {
		for (i = 0; i < 64; i++)
			want[i] = (char)tolower((unsigned char)expect[i]);
		want[64] = '\0';
		if (strcmp(want, res.manifest_sha256) != 0) {
			on_problem(&pr, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST, "");
			printf("     manifest.json SHA-256 is %s, expected %s\n",
			    res.manifest_sha256[0] ? res.manifest_sha256 : "(none)", want);
			res.problems++;
		}
	}
	if (!quiet && !res.unreadable) {
		printf("bundle:              %s\n", dir);
		printf("manifest.json:       SHA-256 %s\n", res.manifest_sha256);
		if (res.account_id[0] || res.finished[0])
			printf("scan:                account %s, finished %s, sg-audit %s\n",
			    res.account_id[0] ? res.account_id : "?", res.finished[0] ? res.finished : "?",
			    res.tool_version[0] ? res.tool_version : "?");
		printf("files verified:      %zu of %zu listed in SHA256SUMS\n", res.files_verified,
		    res.files_listed);
		if (res.rederived)
			printf("responses re-parsed: %zu of %zu raw responses (%zu groups)\n",
			    res.responses_parsed, res.responses, res.groups);
		else
			printf("responses:           %zu raw responses\n", res.responses);
		if (res.rederived)
			printf("findings re-derived: %zu (%zu matching report.json's %zu); "
			    "group checks matching: %zu\n", res.findings_derived,
			    res.findings_matching, res.findings_report, res.checks_matching);
		else if (res.rederive_skipped)
			printf("findings re-derived: not attempted: the files above do not verify\n");
		else
			printf("findings re-derived: not done (see the problems above)\n");
		if (res.pci[0])
			printf("PCI DSS 1.2.1:       %s (report.json)\n", res.pci);
	}
	if (res.problems == 0) {
		printf("verified: the bundle is intact and its findings re-derive from its raw "
		    "responses\n");
		return SG_EXIT_CLEAN;
	}
	printf("NOT VERIFIED: %zu problem%s\n", res.problems, res.problems == 1 ? "" : "s");
	fflush(stdout);
	fprintf(stderr, "sg-audit: evidence verify: %s does not verify (%zu problem%s%s)\n", dir,
	    res.problems, res.problems == 1 ? "" : "s",
	    res.unreadable ? "; not a readable evidence bundle" : "");
	return res.unreadable ? SG_EXIT_INCOMPLETE : SG_EXIT_FINDINGS;
}

int
sg_cmd_evidence(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? SG_EXIT_USAGE : SG_EXIT_CLEAN;
	}
	if (strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	return sg_cli_usage_error("evidence", "unknown subcommand '%s' (evidence verify DIR)",
	    argv[1]);
}
