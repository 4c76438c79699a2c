/*
 * test_evidence.c — the evidence bundle: the writer (names, hashes,
 * manifest, SHA256SUMS, atomic files, refusing a used directory, sticky
 * failures, secrets kept out, concurrent adds) and the verifier (a good
 * bundle verifies; a changed byte, a deleted file, an added file, and a
 * report.json whose findings were edited with every hash recomputed are
 * each caught and named).
 *
 * A bundle is made the way the scan makes one: raw DescribeSecurityGroups
 * and GetManagedPrefixListEntries pages parsed by the scan's parser into an
 * inventory, the shipped policies and a waiver evaluated as of the scan's
 * end, the report rendered by the report module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sg_buf.h"
#include "sg_ec2.h"
#include "sg_evidence.h"
#include "sg_policy.h"
#include "sg_record.h"
#include "sg_report.h"
#include "sg_util.h"
#include "sg_waiver.h"

#define ACCOUNT "123456789012"
#define T_START ((time_t)1767225600)   /* 2026-01-01T00:00:00Z */
#define T_END ((time_t)1767225607)     /* 2026-01-01T00:00:07Z */
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "FQoGZXIvYXdzEXAMPLEsessionTOKEN//+=="

static const char *
root(void)
{
	const char *r = getenv("SG_ROOT");
	return r != NULL ? r : ".";
}

/* ---- raw pages ------------------------------------------------------------ */

#define NS "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\""

static const char page1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeSecurityGroupsResponse " NS "><requestId>req-p1</requestId>"
    "<securityGroupInfo><item><ownerId>" ACCOUNT "</ownerId><groupId>sg-0000000000000web1</groupId>"
    "<groupName>web</groupName><groupDescription>web tier</groupDescription>"
    "<vpcId>vpc-0aaa1111</vpcId><ipPermissions>"
    "<item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>"
    "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
    "<item><ipProtocol>tcp</ipProtocol><fromPort>3389</fromPort><toPort>3389</toPort>"
    "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
    "<item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort>"
    "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
    "</ipPermissions><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol>"
    "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
    "</ipPermissionsEgress></item></securityGroupInfo>"
    "<nextToken>tok/2+=</nextToken></DescribeSecurityGroupsResponse>\n";

static const char page2[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeSecurityGroupsResponse " NS "><requestId>req-p2</requestId>"
    "<securityGroupInfo><item><ownerId>" ACCOUNT "</ownerId><groupId>sg-00000000000000db1</groupId>"
    "<groupName>db</groupName><groupDescription>database</groupDescription>"
    "<vpcId>vpc-0aaa1111</vpcId><ipPermissions>"
    "<item><ipProtocol>tcp</ipProtocol><fromPort>5432</fromPort><toPort>5432</toPort>"
    "<prefixListIds><item><prefixListId>pl-0123456789abcdef0</prefixListId></item>"
    "</prefixListIds></item></ipPermissions><ipPermissionsEgress/></item>"
    "<item><ownerId>" ACCOUNT "</ownerId><groupId>sg-0000000000default</groupId>"
    "<groupName>default</groupName><groupDescription>default VPC security group</groupDescription>"
    "<vpcId>vpc-0aaa1111</vpcId><ipPermissions/><ipPermissionsEgress/></item>"
    "</securityGroupInfo></DescribeSecurityGroupsResponse>\n";

static const char pl_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<GetManagedPrefixListEntriesResponse " NS "><requestId>req-pl</requestId><entrySet>"
    "<item><cidr>198.51.100.0/24</cidr></item><item><cidr>0.0.0.0/0</cidr></item>"
    "</entrySet></GetManagedPrefixListEntriesResponse>\n";

static const char eni_page[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<DescribeNetworkInterfacesResponse " NS "><requestId>req-eni</requestId>"
    "<networkInterfaceSet><item><networkInterfaceId>eni-0123</networkInterfaceId>"
    "<groupSet><item><groupId>sg-0000000000000web1</groupId><groupName>web</groupName></item>"
    "</groupSet></item><item><networkInterfaceId>eni-0456</networkInterfaceId>"
    "<groupSet><item><groupId>sg-0000000000000web1</groupId></item></groupSet></item>"
    "</networkInterfaceSet></DescribeNetworkInterfacesResponse>\n";

static const char sts_page[] =
    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<GetCallerIdentityResult><Arn>arn:aws:iam::" ACCOUNT ":user/auditor</Arn>"
    "<UserId>AIDAEXAMPLE</UserId><Account>" ACCOUNT "</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>req-sts</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>\n";

/* Waiver: live at the scan's end (2026-01-01), expired by the time anyone verifies. */
static const char waivers_json[] =
    "{\"Waivers\": [{\"PolicyID\": \"AWS.SecurityGroup.InternetExposure\","
    " \"GroupId\": \"sg-0000000000000web1\","
    " \"Rule\": {\"Direction\": \"ingress\", \"Protocol\": \"tcp\", \"FromPort\": 3389, \"ToPort\": 3389},"
    " \"Reason\": \"migration window\", \"Owner\": \"ops@example.com\", \"Ticket\": \"SEC-7\","
    " \"Expires\": \"2026-02-01\"}]}\n";

/* ---- temporary directories ----------------------------------------------- */

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/sg-evidence-test.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void
rm_rf(const char *path)
{
	char cmd[PATH_MAX + 32];

	/* Only ever our own mkdtemp directories. */
	assert_true(strncmp(path, "/tmp/sg-evidence-test.", 22) == 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static char *
slurp(const char *dir, const char *rel, size_t *len)
{
	char path[PATH_MAX * 2];
	struct sg_buf b;
	struct sg_error err;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	sg_err_init(&err);
	sg_buf_init(&b, (size_t)64 << 20);
	if (sg_file_read(path, &b, true, &err) != SG_OK)
		return NULL;
	return sg_buf_detach(&b, len);
}

static void
spit(const char *dir, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static bool
exists(const char *dir, const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &sb) == 0;
}

/* ---- making a bundle as the scan does ---------------------------------- */

static void
add_resp(struct sg_evidence *ev, const char *service, const char *region, const char *action,
         const char *subject, unsigned page, const char *body, const char *req)
{
	struct sg_evidence_response r;
	struct sg_error err;

	memset(&r, 0, sizeof(r));
	r.service = service;
	r.region = region;
	r.action = action;
	r.subject = subject;
	r.page = page;
	r.body = body;
	r.body_len = strlen(body);
	r.request_body = req;
	r.request_len = strlen(req);
	r.http_status = 200;
	r.request_id = "req";
	r.date = "Thu, 01 Jan 2026 00:00:03 GMT";
	r.attempts = 1;
	r.received = T_START + 3;
	r.endpoint = "http://user:pw@127.0.0.1:4566/?X-Amz-Security-Token=" TOKEN;
	sg_err_init(&err);
	if (sg_evidence_add_response(ev, &r, &err) != SG_OK)
		fail_msg("%s", err.msg);
}

struct made {
	char *dir;
	char manifest_sha[65];
};

/* A whole bundle: `variant` 1 leaves out the waivers (for a differing re-run). */
static struct made
make_bundle(void)
{
	static const char *const argv_c[] = {
		"sg-audit", "scan", "--regions", "us-east-1", "--evidence", "DIR",
		"--secret-access-key", SECRET, "--session-token=" TOKEN,
		"--endpoint-url", "http://127.0.0.1:1/?X-Amz-Signature=abc",
	};
	char *argv[11];
	struct made m;
	struct sg_evidence *ev = NULL;
	struct sg_error err;
	struct sg_inventory *inv;
	struct sg_policy_set *ps;
	struct sg_waiver_set *ws = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_report *rep;
	struct sg_ec2_page pg;
	struct sg_ec2_where w = { "us-east-1", 1, NULL, 0 };
	struct sg_region_coverage *cov;
	struct sg_prefix_list *pl;
	struct sg_evidence_run run;
	struct sg_buf out;
	struct sg_policy_scope scope = { NULL, 0, false };
	const char *regions[] = { "us-east-1" };
	char path[PATH_MAX], wpath[PATH_MAX], *next = NULL;
	size_t rules = 0, i;

	m.dir = tmpdir();
	sg_err_init(&err);
	for (i = 0; i < 11; i++)
		argv[i] = strdup(argv_c[i]);
	snprintf(path, sizeof(path), "%s/bundle", m.dir);
	if (sg_evidence_open(&ev, path, 11, argv, &err) != SG_OK)
		fail_msg("%s", err.msg);
	for (i = 0; i < 11; i++)
		free(argv[i]);

	add_resp(ev, "sts", "us-east-1", "GetCallerIdentity", NULL, 1, sts_page,
	    "Action=GetCallerIdentity&Version=2011-06-15");
	add_resp(ev, "ec2", "us-east-1", "DescribeSecurityGroups", NULL, 1, page1,
	    "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=1000");
	add_resp(ev, "ec2", "us-east-1", "DescribeSecurityGroups", NULL, 2, page2,
	    "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=1000&NextToken=tok%2F2%2B%3D");
	/*
	 * The same page number answered again (a scan that asked ahead, then
	 * stopped): kept as p002-d2, never used for the inventory.
	 */
	add_resp(ev, "ec2", "us-east-1", "DescribeSecurityGroups", NULL, 2, page1,
	    "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=1000&NextToken=other");
	add_resp(ev, "ec2", "us-east-1", "GetManagedPrefixListEntries", "pl-0123456789abcdef0", 1,
	    pl_page, "Action=GetManagedPrefixListEntries&Version=2016-11-15&"
	    "PrefixListId=pl-0123456789abcdef0&MaxResults=100");

	add_resp(ev, "ec2", "us-east-1", "DescribeNetworkInterfaces", NULL, 1, eni_page,
	    "Action=DescribeNetworkInterfaces&Version=2016-11-15&MaxResults=1000");

	/* The inventory, as the scan builds it. */
	inv = sg_inventory_new();
	assert_non_null(inv);
	inv->account_id = strdup(ACCOUNT);
	inv->caller_arn = strdup("arn:aws:iam::" ACCOUNT ":user/auditor");
	inv->partition = strdup("aws");
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, page1, strlen(page1), &w, &err), SG_OK);
	sg_ec2_page_dispose(&pg);
	w.page = 2;
	assert_int_equal(sg_ec2_parse_groups(&pg, inv, page2, strlen(page2), &w, &err), SG_OK);
	sg_ec2_page_dispose(&pg);
	pl = sg_inventory_add_prefix_list(inv);
	assert_non_null(pl);
	pl->region = strdup("us-east-1");
	pl->id = strdup("pl-0123456789abcdef0");
	w.page = 1;
	w.detail = pl->id;
	assert_int_equal(sg_ec2_parse_prefix_list_entries(&next, pl, pl_page, strlen(pl_page), &w,
	    &err), SG_OK);
	assert_null(next);
	pl->resolved = true;
	/* Attachment from DescribeNetworkInterfaces: web on two interfaces, the others on none. */
	for (i = 0; i < inv->n_groups; i++)
		inv->groups[i].eni_count = strcmp(inv->groups[i].group_id, "sg-0000000000000web1") == 0 ?
		    2 : 0;
	for (i = 0; i < inv->n_groups; i++)
		rules += inv->groups[i].n_rules;
	cov = sg_inventory_add_region(inv, "us-east-1");
	assert_non_null(cov);
	cov->state = SG_REGION_SCANNED;
	cov->groups = inv->n_groups;
	cov->rules = rules;
	cov->pages = 2;
	cov->prefix_lists = 1;
	sg_inventory_sort(inv);

	ps = sg_policy_set_new();
	assert_non_null(ps);
	snprintf(path, sizeof(path), "%s/policies", root());
	if (sg_policy_set_load_dir(ps, path, &err) != SG_OK)
		fail_msg("%s", err.msg);
	sg_policy_set_hash(ps);
	snprintf(wpath, sizeof(wpath), "%s/waivers.json", m.dir);
	spit(m.dir, "waivers.json", waivers_json, strlen(waivers_json));
	if (sg_waiver_set_load(wpath, &ws, &err) != SG_OK)
		fail_msg("%s", err.msg);
	if (sg_policy_eval(inv, ps, ws, &scope, T_END, &res, &err) != SG_OK)
		fail_msg("%s", err.msg);
	rep = sg_report_new();
	assert_non_null(rep);
	if (sg_report_from_policy(rep, inv, res, ps, SG_VERSION, T_START, T_END, &err) != SG_OK)
		fail_msg("%s", err.msg);
	sg_report_finish(rep);
	sg_buf_init(&out, SG_REPORT_MAX_BYTES);
	assert_int_equal(sg_report_render(rep, SG_FMT_JSON, NULL, &out, &err), SG_OK);

	if (sg_evidence_add_policies(ev, ps, &err) != SG_OK ||
	    sg_evidence_add_waivers(ev, wpath, &err) != SG_OK ||
	    sg_evidence_add_file(ev, "report.json", out.data, out.len, NULL, &err) != SG_OK)
		fail_msg("%s", err.msg);
	memset(&run, 0, sizeof(run));
	run.started = T_START;
	run.finished = T_END;
	run.inv = inv;
	run.regions_requested = regions;
	run.n_regions_requested = 1;
	if (sg_evidence_finish(ev, &run, m.manifest_sha, &err) != SG_OK)
		fail_msg("%s", err.msg);
	assert_int_equal(sg_evidence_responses(ev), 6);

	sg_buf_dispose(&out);
	sg_report_free(rep);
	sg_policy_result_free(res);
	sg_waiver_set_free(ws);
	sg_policy_set_free(ps);
	sg_inventory_free(inv);
	sg_evidence_free(ev);
	if (snprintf(path, sizeof(path), "%s/bundle", m.dir) >= (int)sizeof(path))
		fail_msg("path too long");
	free(m.dir);
	m.dir = strdup(path);
	return m;
}

static void
made_free(struct made *m)
{
	char *slash = strrchr(m->dir, '/');

	*slash = '\0'; /* the mkdtemp parent */
	rm_rf(m->dir);
	free(m->dir);
}

/* ---- verify helpers --------------------------------------------------------- */

struct problems {
	size_t n;
	size_t by_kind[SG_EVP_DIFFERENT + 1];
	char text[8192];
};

static void
collect(void *ctx, enum sg_evidence_problem_kind kind, const char *path, const char *message)
{
	struct problems *p = ctx;
	size_t len = strlen(p->text);

	p->n++;
	p->by_kind[kind]++;
	snprintf(p->text + len, sizeof(p->text) - len, "%s %s: %s\n",
	    sg_evidence_problem_name(kind), path, message);
}

static struct sg_evidence_verify_result
verify(const char *dir, struct problems *p)
{
	struct sg_evidence_verify_result res;
	struct sg_error err;

	memset(p, 0, sizeof(*p));
	sg_err_init(&err);
	if (sg_evidence_verify(dir, collect, p, &res, &err) != SG_OK)
		fail_msg("%s", err.msg);
	return res;
}

/* Recompute manifest.json's entry for `rel` and all of SHA256SUMS: a careful attacker. */
static void
rehash(const char *dir, const char *rel)
{
	size_t len, mlen, i;
	char *data = slurp(dir, rel, &len), *mtext, sha[65], *out;
	cJSON *m, *files, *f;
	struct sg_buf sums;
	struct sg_error err;

	assert_non_null(data);
	sg_sha256_hex(data, len, sha);
	free(data);
	mtext = slurp(dir, "manifest.json", &mlen);
	assert_non_null(mtext);
	m = cJSON_Parse(mtext);
	free(mtext);
	assert_non_null(m);
	files = cJSON_GetObjectItem(m, "files");
	cJSON_ArrayForEach(f, files) {
		if (strcmp(cJSON_GetObjectItem(f, "path")->valuestring, rel) != 0)
			continue;
		cJSON_ReplaceItemInObject(f, "sha256", cJSON_CreateString(sha));
		cJSON_ReplaceItemInObject(f, "bytes", cJSON_CreateNumber((double)len));
	}
	out = cJSON_Print(m);
	spit(dir, "manifest.json", out, strlen(out));
	free(out);
	/* SHA256SUMS from scratch over the manifest's list and the manifest. */
	sg_err_init(&err);
	sg_buf_init(&sums, (size_t)16 << 20);
	data = slurp(dir, "manifest.json", &len);
	sg_sha256_hex(data, len, sha);
	free(data);
	assert_int_equal(sg_buf_appendf(&sums, &err, "%s  manifest.json\n", sha), SG_OK);
	cJSON_ArrayForEach(f, files) {
		const char *p = cJSON_GetObjectItem(f, "path")->valuestring;
		data = slurp(dir, p, &len);
		assert_non_null(data);
		sg_sha256_hex(data, len, sha);
		free(data);
		assert_int_equal(sg_buf_appendf(&sums, &err, "%s  %s\n", sha, p), SG_OK);
	}
	spit(dir, "SHA256SUMS", sums.data, sums.len);
	sg_buf_dispose(&sums);
	cJSON_Delete(m);
	(void)i;
}

/* ---- writer ------------------------------------------------------------------ */

static void
test_writer_layout_hashes_and_manifest(void **state)
{
	struct made m = make_bundle();
	size_t len, i, n = 0;
	char *sums, *manifest, *line, sha[65], *save = NULL;
	cJSON *mj, *files, *f;
	const char *prev = "";
	static const char *const expected[] = {
		"raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml",
		"raw/us-east-1/ec2-DescribeSecurityGroups-p001.meta.json",
		"raw/us-east-1/ec2-DescribeSecurityGroups-p002.xml",
		"raw/us-east-1/ec2-DescribeSecurityGroups-p002-d2.xml",
		"raw/us-east-1/ec2-DescribeSecurityGroups-p002-d2.meta.json",
		"raw/us-east-1/ec2-GetManagedPrefixListEntries-pl-0123456789abcdef0-p001.xml",
		"raw/us-east-1/sts-GetCallerIdentity-p001.xml",
		"report.json", "waivers.json", "manifest.json", "SHA256SUMS",
		"policies/AWS.SecurityGroup.InternetExposure.json",
	};

	(void)state;
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (!exists(m.dir, expected[i]))
			fail_msg("missing %s", expected[i]);
	/* Raw bodies are the bytes as received. */
	manifest = slurp(m.dir, "raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml", &len);
	assert_int_equal(len, strlen(page1));
	assert_memory_equal(manifest, page1, len);
	free(manifest);

	/* The printed manifest hash is the file's. */
	manifest = slurp(m.dir, "manifest.json", &len);
	sg_sha256_hex(manifest, len, sha);
	assert_string_equal(sha, m.manifest_sha);
	mj = cJSON_Parse(manifest);
	free(manifest);
	assert_non_null(mj);
	assert_string_equal(cJSON_GetObjectItem(mj, "format")->valuestring, SG_EVIDENCE_FORMAT);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(mj, "run"), "finished")->valuestring,
	    "2026-01-01T00:00:07Z");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(mj, "identity"),
	    "account_id")->valuestring, ACCOUNT);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(mj,
	    "coverage"), 0), "state")->valuestring, "SCANNED");
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(mj, "policies"), "catalogue_sha256"));
	/* Files sorted by path, each with the right hash and size. */
	files = cJSON_GetObjectItem(mj, "files");
	cJSON_ArrayForEach(f, files) {
		const char *p = cJSON_GetObjectItem(f, "path")->valuestring;
		char *data = slurp(m.dir, p, &len);
		assert_non_null(data);
		sg_sha256_hex(data, len, sha);
		free(data);
		assert_string_equal(sha, cJSON_GetObjectItem(f, "sha256")->valuestring);
		assert_int_equal((size_t)cJSON_GetObjectItem(f, "bytes")->valuedouble, len);
		assert_true(strcmp(prev, p) < 0);
		prev = p;
		n++;
	}
	cJSON_Delete(mj);
	/* SHA256SUMS: the manifest's files plus manifest.json, sha256sum format. */
	sums = slurp(m.dir, "SHA256SUMS", &len);
	i = 0;
	for (line = strtok_r(sums, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) > 66);
		assert_memory_equal(line + 64, "  ", 2);
		i++;
	}
	assert_int_equal(i, n + 1);
	free(sums);
	/* coreutils agrees (the assessor's check). */
	{
		char cmd[PATH_MAX + 64];
		snprintf(cmd, sizeof(cmd), "cd '%s' && sha256sum --quiet -c SHA256SUMS", m.dir);
		assert_int_equal(system(cmd), 0);
	}
	made_free(&m);
}

static void
test_writer_meta_has_request_and_no_secrets(void **state)
{
	struct made m = make_bundle();
	size_t len;
	char *meta = slurp(m.dir, "raw/us-east-1/ec2-DescribeSecurityGroups-p002.meta.json", &len);
	cJSON *j, *params;
	char cmd[PATH_MAX + 128];

	(void)state;
	assert_non_null(meta);
	j = cJSON_Parse(meta);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "page")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(j, "http_status")->valueint, 200);
	assert_string_equal(cJSON_GetObjectItem(j, "received")->valuestring, "2026-01-01T00:00:03Z");
	/* The endpoint without userinfo or query. */
	assert_string_equal(cJSON_GetObjectItem(j, "endpoint")->valuestring, "http://127.0.0.1:4566/");
	params = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "request"), "params");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(params, 3), 0)->valuestring,
	    "NextToken");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetArrayItem(params, 3), 1)->valuestring,
	    "tok/2+=");
	cJSON_Delete(j);
	free(meta);
	/* No byte of the bundle holds the secret, the token or a signature. */
	snprintf(cmd, sizeof(cmd), "grep -rqF -e '%s' -e '%s' -e 'Signature=abc' -e 'pw@' '%s'",
	    SECRET, TOKEN, m.dir);
	assert_int_not_equal(system(cmd), 0);
	meta = slurp(m.dir, "manifest.json", &len);
	assert_non_null(strstr(meta, "\"--secret-access-key\", \"[REDACTED]\""));
	assert_non_null(strstr(meta, "--session-token=[REDACTED]"));
	assert_non_null(strstr(meta, "X-Amz-Signature=[REDACTED]"));
	free(meta);
	made_free(&m);
}

static void
test_writer_refuses_used_directory(void **state)
{
	char *d = tmpdir(), path[PATH_MAX];
	struct sg_evidence *ev = NULL;
	struct sg_error err;

	(void)state;
	/* An empty existing directory is fine. */
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, d, 0, NULL, &err), SG_OK);
	sg_evidence_free(ev);
	/* A non-empty one is refused, naming the path. */
	spit(d, "old-report.json", "{}", 2);
	sg_err_init(&err);
	ev = NULL;
	assert_int_equal(sg_evidence_open(&ev, d, 0, NULL, &err), SG_EINVAL);
	assert_null(ev);
	assert_non_null(strstr(err.msg, d));
	assert_non_null(strstr(err.msg, "not empty"));
	/* A file is refused. */
	snprintf(path, sizeof(path), "%s/old-report.json", d);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "not a directory"));
	/* A missing parent is an I/O error, not a crash. */
	snprintf(path, sizeof(path), "%s/no/such/dir", d);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_EIO);
	rm_rf(d);
	free(d);
}

static void
test_writer_sticky_failure_writes_no_manifest(void **state)
{
	char *d = tmpdir(), path[PATH_MAX];
	struct sg_evidence *ev = NULL;
	struct sg_evidence_response r;
	struct sg_evidence_run run;
	struct sg_error err;

	(void)state;
	snprintf(path, sizeof(path), "%s/b", d);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_OK);
	memset(&r, 0, sizeof(r));
	r.service = "ec2";
	r.region = "../etc";       /* not a region name: refused */
	r.action = "DescribeSecurityGroups";
	r.page = 1;
	r.body = "x";
	r.body_len = 1;
	assert_int_equal(sg_evidence_add_response(ev, &r, NULL), SG_EINVAL);
	/* Later adds are no-ops returning the first failure. */
	r.region = "eu-west-1";
	sg_err_init(&err);
	assert_int_equal(sg_evidence_add_response(ev, &r, &err), SG_EINVAL);
	assert_non_null(strstr(err.msg, "../etc"));
	assert_false(exists(path, "raw/eu-west-1"));
	memset(&run, 0, sizeof(run));
	sg_err_init(&err);
	assert_int_equal(sg_evidence_finish(ev, &run, NULL, &err), SG_EINVAL);
	assert_false(exists(path, "manifest.json"));
	assert_false(exists(path, "SHA256SUMS"));
	sg_evidence_free(ev);
	rm_rf(d);
	free(d);
}

static void
test_writer_duplicate_and_bad_names(void **state)
{
	char *d = tmpdir(), path[PATH_MAX];
	struct sg_evidence *ev = NULL;
	struct sg_evidence_run run;
	struct sg_error err;
	char sha[65];

	(void)state;
	snprintf(path, sizeof(path), "%s/b", d);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_OK);
	add_resp(ev, "ec2", "eu-west-1", "DescribeRegions", NULL, 1, "<x/>", "Action=DescribeRegions");
	sg_err_init(&err);
	assert_int_equal(sg_evidence_add_file(ev, "manifest.json", "{}", 2, NULL, &err), SG_EINVAL);
	sg_evidence_free(ev);

	/* Fresh writer: a page received again is kept under another name. */
	rm_rf(d);
	free(d);
	d = tmpdir();
	snprintf(path, sizeof(path), "%s/b", d);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_OK);
	add_resp(ev, "ec2", "eu-west-1", "DescribeRegions", NULL, 1, "<x/>", "Action=DescribeRegions");
	/* The same page again is kept under -d2, then -d3; page 0 is page 1. */
	add_resp(ev, "ec2", "eu-west-1", "DescribeRegions", NULL, 1, "<y/>", "Action=DescribeRegions");
	add_resp(ev, "ec2", "eu-west-1", "DescribeRegions", NULL, 0, "<z/>", "Action=DescribeRegions");
	memset(&run, 0, sizeof(run));
	assert_int_equal(sg_evidence_finish(ev, &run, sha, &err), SG_OK);
	sg_evidence_free(ev);
	{
		size_t len;
		char *y = slurp(path, "raw/eu-west-1/ec2-DescribeRegions-p001-d2.xml", &len);
		char *z = slurp(path, "raw/eu-west-1/ec2-DescribeRegions-p001-d3.xml", &len);
		char *meta = slurp(path, "raw/eu-west-1/ec2-DescribeRegions-p001-d3.meta.json", &len);
		assert_non_null(y);
		assert_non_null(z);
		assert_string_equal(y, "<y/>");
		assert_string_equal(z, "<z/>");
		assert_non_null(strstr(meta, "\"received_as\":\t3"));
		free(y);
		free(z);
		free(meta);
	}

	/* Names a bundle file cannot have. */
	rm_rf(d);
	free(d);
	d = tmpdir();
	snprintf(path, sizeof(path), "%s/b", d);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_OK);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_add_file(ev, "../escape", "x", 1, NULL, &err), SG_EINVAL);
	sg_evidence_free(ev);
	rm_rf(d);
	free(d);
}

static void
test_writer_withholds_credentials(void **state)
{
	static const char assume[] =
	    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12"
	    "</AccessKeyId><SecretAccessKey>" SECRET "</SecretAccessKey><SessionToken>" TOKEN
	    "</SessionToken></Credentials></AssumeRoleResult></AssumeRoleResponse>";
	char *d = tmpdir(), path[PATH_MAX], *meta;
	struct sg_evidence *ev = NULL;
	struct sg_error err;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/b", d);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_OK);
	add_resp(ev, "sts", "us-east-1", "AssumeRole", NULL, 1, assume,
	    "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&TokenCode=123456"
	    "&X-Amz-Security-Token=" TOKEN);
	/* Some other call whose body carries credentials anyway. */
	add_resp(ev, "sts", "us-east-1", "Odd", NULL, 1, assume, "");
	sg_evidence_free(ev);
	meta = slurp(path, "raw/us-east-1/sts-AssumeRole-p001.meta.json", &len);
	assert_non_null(meta);
	assert_non_null(strstr(meta, "\"withheld\":\t\"the response carries credentials\""));
	assert_non_null(strstr(meta, "TokenCode=[REDACTED]"));
	assert_null(strstr(meta, TOKEN));
	free(meta);
	meta = slurp(path, "raw/us-east-1/sts-AssumeRole-p001.xml", &len);
	assert_int_equal(len, 0);
	free(meta);
	meta = slurp(path, "raw/us-east-1/sts-Odd-p001.xml", &len);
	assert_int_equal(len, 0);
	free(meta);
	rm_rf(d);
	free(d);
}

static void
test_redaction_rules(void **state)
{
	static const struct {
		const char *prev, *arg, *want;
	} cases[] = {
		{ "--secret-access-key", SECRET, "[REDACTED]" },
		{ "--session-token", "abc", "[REDACTED]" },
		{ "--profile", "prod", "prod" },
		{ NULL, "--session-token=abc", "--session-token=[REDACTED]" },
		{ NULL, "AWS_SECRET_ACCESS_KEY=x", "AWS_SECRET_ACCESS_KEY=[REDACTED]" },
		{ NULL, "AKIAIOSFODNN7EXAMPLE", "[REDACTED]" },
		{ NULL, SECRET, "[REDACTED]" },
		{ NULL, "--scope-tag=env=pci", "--scope-tag=env=pci" },
		{ NULL, "https://u:p@h/x?a=1&X-Amz-Signature=s", "https://[REDACTED]@h/x?a=1&X-Amz-Signature=[REDACTED]" },
		{ NULL, "--endpoint-url=http://h/?Token=t", "--endpoint-url=http://h/?Token=[REDACTED]" },
		{ "--regions", "all", "all" },
		{ "--evidence", "/tmp/bundle", "/tmp/bundle" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = sg_evidence_redact_arg(cases[i].prev, cases[i].arg);
		assert_non_null(got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: '%s' -> '%s', want '%s'", i, cases[i].arg, got, cases[i].want);
		free(got);
	}
	assert_true(sg_evidence_name_is_secret("X-Amz-Security-Token", 20));
	assert_true(sg_evidence_name_is_secret("Authorization", 13));
	assert_true(sg_evidence_name_is_secret("SecretAccessKey", 15));
	assert_false(sg_evidence_name_is_secret("NextToken", 9));
	assert_false(sg_evidence_name_is_secret("nextToken", 9));
	assert_false(sg_evidence_name_is_secret("MaxResults", 10));
	assert_false(sg_evidence_name_is_secret("PrefixListId", 12));
}

struct thread_arg {
	struct sg_evidence *ev;
	const char *region;
};

static void *
adder(void *p)
{
	struct thread_arg *a = p;
	unsigned i;

	for (i = 1; i <= 20; i++) {
		char body[64];
		snprintf(body, sizeof(body), "<page n=\"%u\" region=\"%s\"/>", i, a->region);
		add_resp(a->ev, "ec2", a->region, "DescribeRegions", NULL, i, body, "Action=x");
	}
	return NULL;
}

static void
test_writer_concurrent_regions(void **state)
{
	static const char *const regions[] = { "eu-west-1", "us-east-1", "ap-south-1", "sa-east-1" };
	struct thread_arg args[4];
	pthread_t th[4];
	char *d = tmpdir(), path[PATH_MAX];
	struct sg_evidence *ev = NULL;
	struct sg_evidence_run run;
	struct sg_evidence_verify_result res;
	struct problems p;
	struct sg_error err;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/b", d);
	sg_err_init(&err);
	assert_int_equal(sg_evidence_open(&ev, path, 0, NULL, &err), SG_OK);
	for (i = 0; i < 4; i++) {
		args[i].ev = ev;
		args[i].region = regions[i];
		assert_int_equal(pthread_create(&th[i], NULL, adder, &args[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(sg_evidence_responses(ev), 80);
	memset(&run, 0, sizeof(run));
	assert_int_equal(sg_evidence_finish(ev, &run, NULL, &err), SG_OK);
	sg_evidence_free(ev);
	/* Files all there and hashed; but with no report there is nothing to re-derive. */
	res = verify(path, &p);
	assert_int_equal(res.files_verified, 161);
	assert_int_equal(res.responses, 80);
	assert_int_equal(p.by_kind[SG_EVP_HASH] + p.by_kind[SG_EVP_MISSING] +
	    p.by_kind[SG_EVP_EXTRA], 0);
	assert_int_equal(p.n, 1);
	assert_non_null(strstr(p.text, "names no report"));
	/* No temporary file is left behind by the atomic writes. */
	{
		char cmd[PATH_MAX + 64];
		snprintf(cmd, sizeof(cmd), "find '%s' -name '*.tmp.*' | grep -q .", path);
		assert_int_not_equal(system(cmd), 0);
	}
	rm_rf(d);
	free(d);
}

/* ---- verify ------------------------------------------------------------------- */

static void
test_verify_good_bundle(void **state)
{
	struct made m = make_bundle();
	struct problems p;
	struct sg_evidence_verify_result res = verify(m.dir, &p);

	(void)state;
	if (p.n != 0)
		fail_msg("problems:\n%s", p.text);
	assert_int_equal(res.problems, 0);
	assert_true(res.rederived);
	assert_int_equal(res.responses, 6);
	assert_int_equal(res.responses_parsed, 5); /* 2 pages, 1 prefix list, ENIs, STS */
	assert_int_equal(res.groups, 3);
	assert_true(res.findings_derived >= 4);
	assert_int_equal(res.findings_matching, res.findings_derived);
	assert_int_equal(res.findings_report, res.findings_derived);
	assert_string_equal(res.manifest_sha256, m.manifest_sha);
	assert_string_equal(res.pci, "NOT_COMPLIANT");
	/* The waiver was live at the scan's end (though expired now): WAIVED re-derived. */
	{
		size_t len;
		char *rep = slurp(m.dir, "report.json", &len);
		assert_non_null(strstr(rep, "\"WAIVED\""));
		/* Attachment came from the DescribeNetworkInterfaces page and re-derived equal. */
		assert_non_null(strstr(rep, "attached (2 ENIs)"));
		free(rep);
	}
	made_free(&m);
}

static void
test_verify_one_byte_changed(void **state)
{
	struct made m = make_bundle();
	const char *rel = "raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml";
	size_t len;
	char *data = slurp(m.dir, rel, &len), *at;
	struct problems p;
	struct sg_evidence_verify_result res;

	(void)state;
	at = strstr(data, "3389");
	at[0] = '4'; /* 4389: the RDP rule is now something else */
	spit(m.dir, rel, data, len);
	free(data);
	res = verify(m.dir, &p);
	assert_int_equal(p.by_kind[SG_EVP_HASH], 1);
	assert_non_null(strstr(p.text, rel));
	assert_non_null(strstr(p.text, "content changed"));
	assert_true(res.problems >= 1);
	made_free(&m);
}

static void
test_verify_file_deleted(void **state)
{
	struct made m = make_bundle();
	const char *rel = "raw/us-east-1/ec2-DescribeSecurityGroups-p002.xml";
	char path[PATH_MAX];
	struct problems p;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", m.dir, rel);
	assert_int_equal(unlink(path), 0);
	(void)verify(m.dir, &p);
	assert_int_equal(p.by_kind[SG_EVP_MISSING], 1);
	assert_non_null(strstr(p.text, rel));
	assert_non_null(strstr(p.text, "missing from the bundle"));
	made_free(&m);
}

static void
test_verify_file_added(void **state)
{
	struct made m = make_bundle();
	struct problems p;

	(void)state;
	spit(m.dir, "raw/us-east-1/ec2-DescribeSecurityGroups-p003.xml", "<x/>", 4);
	(void)verify(m.dir, &p);
	assert_int_equal(p.by_kind[SG_EVP_EXTRA], 1);
	assert_int_equal(p.n, 1);
	assert_non_null(strstr(p.text, "p003.xml"));
	assert_non_null(strstr(p.text, "not listed"));
	made_free(&m);
}

static void
test_verify_report_edited_and_rehashed(void **state)
{
	struct made m = make_bundle();
	size_t len;
	char *rep = slurp(m.dir, "report.json", &len), *at;
	struct problems p;
	struct sg_evidence_verify_result res;

	(void)state;
	/* Hide the SSH exposure: FAIL -> WAIVED on the first failing finding of port 22. */
	at = strstr(rep, "ingress tcp 22 from 0.0.0.0/0");
	assert_non_null(at);
	while (at > rep && strncmp(at, "\"status\":", 9) != 0)
		at--;
	assert_memory_equal(at, "\"status\":\t\"FAIL\"", 16);
	memcpy(at, "\"status\":\t\"INFO\"", 16);
	spit(m.dir, "report.json", rep, len);
	free(rep);
	rehash(m.dir, "report.json");
	res = verify(m.dir, &p);
	/* Every file checks out; the findings do not. */
	assert_int_equal(p.by_kind[SG_EVP_HASH] + p.by_kind[SG_EVP_MISSING] +
	    p.by_kind[SG_EVP_EXTRA] + p.by_kind[SG_EVP_MANIFEST], 0);
	assert_true(p.by_kind[SG_EVP_DIFFERENT] >= 1);
	assert_non_null(strstr(p.text, "ingress tcp 22 from 0.0.0.0/0: status is \"INFO\" in "
	    "report.json, re-derived \"FAIL\""));
	assert_true(res.findings_matching < res.findings_derived);
	made_free(&m);
}

static void
test_verify_raw_edited_and_rehashed(void **state)
{
	struct made m = make_bundle();
	const char *rel = "raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml";
	size_t len;
	char *data = slurp(m.dir, rel, &len), *at;
	struct problems p;

	(void)state;
	/* Narrow the SSH rule in the raw response; leave the report as it was. */
	at = strstr(data, "<cidrIp>0.0.0.0/0</cidrIp>");
	memcpy(at, "<cidrIp>0.0.0.0/8</cidrIp>", 26);
	spit(m.dir, rel, data, len);
	free(data);
	rehash(m.dir, rel);
	(void)verify(m.dir, &p);
	assert_int_equal(p.by_kind[SG_EVP_HASH], 0);
	assert_true(p.by_kind[SG_EVP_DIFFERENT] >= 1);
	assert_non_null(strstr(p.text, "is in report.json but the raw responses and policies do "
	    "not produce it"));
	made_free(&m);
}

static void
test_verify_not_a_bundle(void **state)
{
	char *d = tmpdir();
	struct problems p;
	struct sg_evidence_verify_result res;

	(void)state;
	res = verify(d, &p);
	assert_true(res.unreadable);
	assert_int_equal(p.by_kind[SG_EVP_UNREADABLE], 1);
	assert_non_null(strstr(p.text, "SHA256SUMS"));
	rm_rf(d);
	free(d);
}

static void
test_verify_manifest_disagrees(void **state)
{
	struct made m = make_bundle();
	size_t len;
	char *sums = slurp(m.dir, "SHA256SUMS", &len), *nl;
	struct problems p;

	(void)state;
	/* Drop the last line of SHA256SUMS: that file becomes extra and unlisted by SHA256SUMS. */
	sums[len - 1] = '\0';
	nl = strrchr(sums, '\n');
	spit(m.dir, "SHA256SUMS", sums, (size_t)(nl - sums) + 1);
	free(sums);
	(void)verify(m.dir, &p);
	assert_int_equal(p.by_kind[SG_EVP_EXTRA], 1);
	assert_true(p.by_kind[SG_EVP_MANIFEST] >= 1);
	assert_non_null(strstr(p.text, "in manifest.json's file list but not in SHA256SUMS"));
	made_free(&m);
}

static void
test_verify_identity_rewritten(void **state)
{
	struct made m = make_bundle();
	size_t len;
	char *text = slurp(m.dir, "manifest.json", &len), *out;
	cJSON *j = cJSON_Parse(text);
	struct problems p;

	(void)state;
	free(text);
	/* Claim another scanner; fix every hash. STS's answer still says who it was. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "identity"), "caller_arn",
	    cJSON_CreateString("arn:aws:iam::" ACCOUNT ":user/someone-else"));
	out = cJSON_Print(j);
	cJSON_Delete(j);
	spit(m.dir, "manifest.json", out, strlen(out));
	free(out);
	rehash(m.dir, "report.json");
	(void)verify(m.dir, &p);
	assert_int_equal(p.by_kind[SG_EVP_HASH] + p.by_kind[SG_EVP_MANIFEST], 0);
	assert_non_null(strstr(p.text, "user/someone-else; the GetCallerIdentity response "
	    "(raw/us-east-1/sts-GetCallerIdentity-p001.xml) says account " ACCOUNT
	    ", arn:aws:iam::" ACCOUNT ":user/auditor"));
	made_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writer_layout_hashes_and_manifest),
		cmocka_unit_test(test_writer_meta_has_request_and_no_secrets),
		cmocka_unit_test(test_writer_refuses_used_directory),
		cmocka_unit_test(test_writer_sticky_failure_writes_no_manifest),
		cmocka_unit_test(test_writer_duplicate_and_bad_names),
		cmocka_unit_test(test_writer_withholds_credentials),
		cmocka_unit_test(test_redaction_rules),
		cmocka_unit_test(test_writer_concurrent_regions),
		cmocka_unit_test(test_verify_good_bundle),
		cmocka_unit_test(test_verify_one_byte_changed),
		cmocka_unit_test(test_verify_file_deleted),
		cmocka_unit_test(test_verify_file_added),
		cmocka_unit_test(test_verify_report_edited_and_rehashed),
		cmocka_unit_test(test_verify_raw_edited_and_rehashed),
		cmocka_unit_test(test_verify_not_a_bundle),
		cmocka_unit_test(test_verify_manifest_disagrees),
		cmocka_unit_test(test_verify_identity_rewritten),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
