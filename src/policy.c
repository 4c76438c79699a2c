/*
 * policy.c — policy files: loading, validation, the policy set, the
 * catalogue hash. Evaluation lives in policy_eval.c, embedded tests in
 * policy_tests.c.
 *
 * Policy files are untrusted input: size-capped, parsed by cJSON (nesting
 * limited), every field type-checked, unknown fields rejected, and every
 * error names the file, the entry and the reason.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "sg_json.h"
#include "sg_check.h"
#include "sg_policy.h"
#include "sg_util.h"

#ifndef SG_POLICY_DATADIR
#define SG_POLICY_DATADIR "/usr/local/share/sg-audit/policies"
#endif
#ifndef SG_POLICY_SRCDIR
#define SG_POLICY_SRCDIR "policies"
#endif

static void
strlist_dispose(struct sg_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static bool
strlist_add(struct sg_strlist *l, const char *s)
{
	char **np = realloc(l->items, (l->n + 1) * sizeof(*np));

	if (np == NULL)
		return false;
	l->items = np;
	if ((l->items[l->n] = strdup(s)) == NULL)
		return false;
	l->n++;
	return true;
}

static void
policy_dispose(struct sg_policy *p)
{
	free(p->id);
	free(p->display_name);
	free(p->description);
	free(p->runbook);
	free(p->reference);
	strlist_dispose(&p->pci_v321);
	strlist_dispose(&p->pci_v4);
	strlist_dispose(&p->mitre);
	free(p->check_name);
	if (p->check != NULL && p->params != NULL)
		p->check->free_params(p->params);
	free(p->path);
	cJSON_Delete(p->tests_json);
	memset(p, 0, sizeof(*p));
}

struct sg_policy_set *
sg_policy_set_new(void)
{
	struct sg_policy_set *ps = calloc(1, sizeof(*ps));

	if (ps != NULL)
		snprintf(ps->catalogue_version, sizeof(ps->catalogue_version), "%s",
		    SG_CATALOGUE_VERSION);
	return ps;
}

void
sg_policy_set_free(struct sg_policy_set *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->n; i++)
		policy_dispose(&ps->policies[i]);
	free(ps->policies);
	strlist_dispose(&ps->dirs);
	free(ps);
}

const struct sg_policy *
sg_policy_set_find(const struct sg_policy_set *ps, const char *id)
{
	size_t lo = 0, hi = ps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ps->policies[mid].id, id);
		if (c == 0)
			return &ps->policies[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
policy_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sg_policy *)a)->id, ((const struct sg_policy *)b)->id);
}

/* ---- field readers: each names the file and the field on error ---- */

static enum sg_status
get_string(const cJSON *obj, const char *key, bool required, const char *name, char **out,
           struct sg_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (v == NULL || cJSON_IsNull(v)) {
		if (required)
			return sg_err_set(err, SG_ECONFIG, "%s: missing field '%s'", name, key);
		return SG_OK;
	}
	if (!cJSON_IsString(v))
		return sg_err_set(err, SG_ECONFIG, "%s: field '%s' must be a string", name, key);
	if (required && v->valuestring[0] == '\0')
		return sg_err_set(err, SG_ECONFIG, "%s: field '%s' must not be empty", name, key);
	if (strlen(v->valuestring) > 16384)
		return sg_err_set(err, SG_ECONFIG, "%s: field '%s' is longer than 16384 bytes",
		    name, key);
	if ((*out = strdup(v->valuestring)) == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	return SG_OK;
}

static enum sg_status
get_strlist(const cJSON *arr, const char *name, const char *key, struct sg_strlist *out,
            struct sg_error *err)
{
	const cJSON *it;

	if (!cJSON_IsArray(arr))
		return sg_err_set(err, SG_ECONFIG, "%s: Reports['%s'] must be an array of strings",
		    name, key);
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it) || it->valuestring[0] == '\0' || strlen(it->valuestring) > 64)
			return sg_err_set(err, SG_ECONFIG,
			    "%s: Reports['%s'] must hold non-empty strings (at most 64 bytes)", name, key);
		if (!strlist_add(out, it->valuestring))
			return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	return SG_OK;
}

static enum sg_status
parse_reports(const cJSON *obj, const char *name, struct sg_policy *p, struct sg_error *err)
{
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(obj, "Reports");
	const cJSON *it;
	enum sg_status st;

	if (rep == NULL || cJSON_IsNull(rep))
		return SG_OK;
	if (!cJSON_IsObject(rep))
		return sg_err_set(err, SG_ECONFIG, "%s: field 'Reports' must be an object", name);
	cJSON_ArrayForEach(it, rep) {
		const char *k = it->string ? it->string : "";
		struct sg_strlist *dst;
		if (strcmp(k, "PCI") == 0 || strcmp(k, "PCI DSS v3.2.1") == 0)
			dst = &p->pci_v321;
		else if (strcmp(k, "PCI DSS v4.0") == 0)
			dst = &p->pci_v4;
		else if (strcmp(k, "MITRE ATT&CK") == 0)
			dst = &p->mitre;
		else
			return sg_err_set(err, SG_ECONFIG,
			    "%s: Reports: unknown framework '%.60s' (known: \"PCI DSS v3.2.1\" (or "
			    "\"PCI\"), \"PCI DSS v4.0\", \"MITRE ATT&CK\")", name, k);
		if ((st = get_strlist(it, name, k, dst, err)) != SG_OK)
			return st;
	}
	return SG_OK;
}

/* Validate the Tests array's shape now, so a bad file is rejected at load. */
static enum sg_status
check_tests(const cJSON *tests, const char *name, size_t *n, struct sg_error *err)
{
	static const char *const allowed[] = {
		"Name", "ExpectedResult", "Resource", "ExpectedFindings", "PrefixLists",
		"EniCount", "ScopeTags", "Parameters", "Region", NULL
	};
	const cJSON *t;
	size_t i = 0;

	*n = 0;
	if (tests == NULL || cJSON_IsNull(tests))
		return SG_OK;
	if (!cJSON_IsArray(tests))
		return sg_err_set(err, SG_ECONFIG, "%s: field 'Tests' must be an array", name);
	cJSON_ArrayForEach(t, tests) {
		const cJSON *f, *v;
		i++;
		if (i > SG_POLICY_MAX_TESTS)
			return sg_err_set(err, SG_ECONFIG, "%s: more than %d tests", name,
			    SG_POLICY_MAX_TESTS);
		if (!cJSON_IsObject(t))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu] must be an object", name, i);
		cJSON_ArrayForEach(f, t) {
			size_t k;
			bool ok = false;
			for (k = 0; allowed[k] != NULL; k++)
				if (f->string != NULL && strcmp(f->string, allowed[k]) == 0)
					ok = true;
			if (!ok)
				return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: unknown field '%.60s'",
				    name, i, f->string ? f->string : "");
		}
		v = cJSON_GetObjectItemCaseSensitive(t, "Name");
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'Name' must be a non-empty string",
			    name, i);
		v = cJSON_GetObjectItemCaseSensitive(t, "ExpectedResult");
		if (!cJSON_IsBool(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu] ('%.80s'): 'ExpectedResult' must be true or false",
			    name, i, cJSON_GetObjectItemCaseSensitive(t, "Name")->valuestring);
		v = cJSON_GetObjectItemCaseSensitive(t, "Resource");
		if (!cJSON_IsObject(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu] ('%.80s'): 'Resource' must be an object",
			    name, i, cJSON_GetObjectItemCaseSensitive(t, "Name")->valuestring);
		v = cJSON_GetObjectItemCaseSensitive(t, "ExpectedFindings");
		if (v != NULL && !cJSON_IsArray(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'ExpectedFindings' must be an array",
			    name, i);
		v = cJSON_GetObjectItemCaseSensitive(t, "PrefixLists");
		if (v != NULL && !cJSON_IsArray(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'PrefixLists' must be an array",
			    name, i);
		v = cJSON_GetObjectItemCaseSensitive(t, "ScopeTags");
		if (v != NULL && !cJSON_IsArray(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'ScopeTags' must be an array",
			    name, i);
		v = cJSON_GetObjectItemCaseSensitive(t, "EniCount");
		if (v != NULL && !cJSON_IsNumber(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'EniCount' must be a number",
			    name, i);
		v = cJSON_GetObjectItemCaseSensitive(t, "Parameters");
		if (v != NULL && !cJSON_IsObject(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'Parameters' must be an object",
			    name, i);
		v = cJSON_GetObjectItemCaseSensitive(t, "Region");
		if (v != NULL && !cJSON_IsString(v))
			return sg_err_set(err, SG_ECONFIG, "%s: Tests[%zu]: 'Region' must be a string",
			    name, i);
	}
	*n = i;
	return SG_OK;
}

static const char *const known_fields[] = {
	"PolicyID", "DisplayName", "Description", "Severity", "Runbook", "Reference", "Reports",
	"Enabled", "Check", "Parameters", "Tests",
	/* Panther fields kept for familiarity; not used. */
	"AnalysisType", "ResourceTypes", "Tags", "Filename", NULL
};

/* Parse one policy object into *p (zeroed by the caller). */
static enum sg_status
parse_policy(const cJSON *root, const char *name, struct sg_policy *p, struct sg_error *err)
{
	const cJSON *v;
	char *sev = NULL, *where;
	size_t where_len;
	enum sg_status st;

	if (!cJSON_IsObject(root))
		return sg_err_set(err, SG_ECONFIG, "%s: a policy file holds one JSON object", name);
	if ((st = sg_json_only_keys(root, known_fields, name, err)) != SG_OK)
		return st;
	if ((st = get_string(root, "PolicyID", true, name, &p->id, err)) != SG_OK)
		return st;
	if (strlen(p->id) > 200 || strspn(p->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(p->id))
		return sg_err_set(err, SG_ECONFIG,
		    "%s: PolicyID '%.60s' may only hold letters, digits, '.', '_' and '-' (at most 200)",
		    name, p->id);
	if ((st = get_string(root, "DisplayName", true, name, &p->display_name, err)) != SG_OK ||
	    (st = get_string(root, "Description", false, name, &p->description, err)) != SG_OK ||
	    (st = get_string(root, "Runbook", true, name, &p->runbook, err)) != SG_OK ||
	    (st = get_string(root, "Reference", false, name, &p->reference, err)) != SG_OK ||
	    (st = get_string(root, "Check", true, name, &p->check_name, err)) != SG_OK ||
	    (st = get_string(root, "Severity", true, name, &sev, err)) != SG_OK)
		goto out;
	if (!sg_severity_parse(sev, &p->severity)) {
		st = sg_err_set(err, SG_ECONFIG,
		    "%s: Severity '%.40s' is not one of Info, Low, Medium, High, Critical", name, sev);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "Enabled");
	if (v == NULL) {
		st = sg_err_set(err, SG_ECONFIG, "%s: missing field 'Enabled'", name);
		goto out;
	}
	if (!cJSON_IsBool(v)) {
		st = sg_err_set(err, SG_ECONFIG, "%s: field 'Enabled' must be true or false", name);
		goto out;
	}
	p->enabled = cJSON_IsTrue(v);
	if ((st = parse_reports(root, name, p, err)) != SG_OK)
		goto out;
	p->check = sg_check_find(p->check_name);
	if (p->check == NULL) {
		size_t n, k;
		const struct sg_check_kind *const *all = sg_check_kinds(&n);
		char known[400] = "";
		for (k = 0; k < n; k++) {
			strncat(known, k ? ", " : "", sizeof(known) - strlen(known) - 1);
			strncat(known, all[k]->name, sizeof(known) - strlen(known) - 1);
		}
		st = sg_err_set(err, SG_ECONFIG, "%s: unknown check '%.60s' (known: %s)", name,
		    p->check_name, known);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "Parameters");
	if (v != NULL && cJSON_IsNull(v))
		v = NULL;
	where_len = strlen(name) + 16;
	where = malloc(where_len);
	if (where == NULL) {
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(where, where_len, "%s: Parameters", name);
	st = p->check->parse(v, where, &p->params, err);
	free(where);
	if (st != SG_OK)
		goto out;
	v = cJSON_GetObjectItemCaseSensitive(root, "Tests");
	if ((st = check_tests(v, name, &p->n_tests, err)) != SG_OK)
		goto out;
	if (v != NULL && !cJSON_IsNull(v)) {
		p->tests_json = cJSON_Duplicate(v, 1);
		if (p->tests_json == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	free(sev);
	return st;
}

enum sg_status
sg_policy_set_load_buffer(struct sg_policy_set *ps, const char *name, const char *data,
                          size_t len, struct sg_error *err)
{
	cJSON *root;
	struct sg_policy p;
	struct sg_policy *slot = NULL;
	enum sg_status st;
	size_t i;

	memset(&p, 0, sizeof(p));
	if (name == NULL)
		name = "<memory>";
	if ((st = sg_json_parse_capped(name, data, len, SG_POLICY_FILE_MAX_BYTES, &root, err)) != SG_OK)
		return st;
	st = parse_policy(root, name, &p, err);
	cJSON_Delete(root);
	if (st != SG_OK) {
		policy_dispose(&p);
		return st;
	}
	p.path = strdup(name);
	if (p.path == NULL) {
		policy_dispose(&p);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	sg_sha256_hex(data, len, p.sha256);
	p.load_gen = ps->gen;
	for (i = 0; i < ps->n; i++) {
		if (strcmp(ps->policies[i].id, p.id) != 0)
			continue;
		if (ps->policies[i].load_gen == ps->gen) {
			st = sg_err_set(err, SG_ECONFIG, "%s: duplicate PolicyID '%s' (already in %s)",
			    name, p.id, ps->policies[i].path);
			policy_dispose(&p);
			return st;
		}
		/* A later directory replaces the policy. */
		policy_dispose(&ps->policies[i]);
		slot = &ps->policies[i];
		break;
	}
	if (slot == NULL) {
		if (ps->n >= SG_POLICY_MAX_POLICIES) {
			policy_dispose(&p);
			return sg_err_set(err, SG_ELIMIT, "%s: more than %d policies", name,
			    SG_POLICY_MAX_POLICIES);
		}
		if (ps->n == ps->cap) {
			size_t ncap = ps->cap ? ps->cap * 2 : 16;
			struct sg_policy *np = realloc(ps->policies, ncap * sizeof(*np));
			if (np == NULL) {
				policy_dispose(&p);
				return sg_err_set(err, SG_ENOMEM, "out of memory");
			}
			ps->policies = np;
			ps->cap = ncap;
		}
		slot = &ps->policies[ps->n++];
	}
	*slot = p;
	qsort(ps->policies, ps->n, sizeof(ps->policies[0]), policy_cmp);
	return SG_OK;
}

enum sg_status
sg_policy_set_load_file(struct sg_policy_set *ps, const char *path, struct sg_error *err)
{
	struct sg_buf b;
	enum sg_status st;

	sg_buf_init(&b, SG_POLICY_FILE_MAX_BYTES);
	if ((st = sg_file_read(path, &b, false, err)) != SG_OK) {
		sg_buf_dispose(&b);
		if (st == SG_EPARSE || st == SG_ELIMIT)
			err->status = SG_ECONFIG;
		return err->status;
	}
	ps->gen++;
	st = sg_policy_set_load_buffer(ps, path, b.data ? b.data : "", b.len, err);
	sg_buf_dispose(&b);
	return st;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum sg_status
sg_policy_set_load_dir(struct sg_policy_set *ps, const char *dir, struct sg_error *err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	enum sg_status st = SG_OK;

	d = opendir(dir);
	if (d == NULL)
		return sg_err_set(err, errno == ENOENT ? SG_ENOTFOUND : SG_EIO,
		    "policy directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (nn == NULL) {
				st = sg_err_set(err, SG_ENOMEM, "out of memory");
				goto out;
			}
			names = nn;
			cap = ncap;
		}
		if (n >= SG_POLICY_MAX_POLICIES) {
			st = sg_err_set(err, SG_ELIMIT, "policy directory %s: more than %d files", dir,
			    SG_POLICY_MAX_POLICIES);
			goto out;
		}
		names[n] = malloc(strlen(dir) + l + 2);
		if (names[n] == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
			goto out;
		}
		sprintf(names[n], "%s/%s", dir, de->d_name);
		n++;
	}
	qsort(names, n, sizeof(*names), name_cmp);
	ps->gen++;
	for (i = 0; i < n && st == SG_OK; i++) {
		struct sg_buf b;
		sg_buf_init(&b, SG_POLICY_FILE_MAX_BYTES);
		st = sg_file_read(names[i], &b, false, err);
		if (st != SG_OK) {
			if (st == SG_EPARSE || st == SG_ELIMIT)
				st = err->status = SG_ECONFIG;
		} else {
			st = sg_policy_set_load_buffer(ps, names[i], b.data ? b.data : "", b.len, err);
		}
		sg_buf_dispose(&b);
	}
	if (st == SG_OK && !strlist_add(&ps->dirs, dir))
		st = sg_err_set(err, SG_ENOMEM, "out of memory");
out:
	closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return st;
}

static bool
is_dir(const char *p)
{
	struct stat sb;

	return p != NULL && p[0] != '\0' && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

enum sg_status
sg_policy_set_load_default(struct sg_policy_set *ps, const char *user_dir,
                           struct sg_error *err)
{
	const char *env = getenv("SG_POLICY_DIR");
	const char *base = NULL;
	enum sg_status st;

	if (env != NULL && env[0] != '\0') {
		/* Named explicitly: it must exist. */
		if (!is_dir(env))
			return sg_err_set(err, SG_ENOTFOUND,
			    "SG_POLICY_DIR=%s is not a directory", env);
		base = env;
	} else if (is_dir(SG_POLICY_DATADIR)) {
		base = SG_POLICY_DATADIR;
	} else if (is_dir(SG_POLICY_SRCDIR)) {
		base = SG_POLICY_SRCDIR;
	}
	if (base == NULL && user_dir == NULL)
		return sg_err_set(err, SG_ENOTFOUND,
		    "no policy directory found (tried $SG_POLICY_DIR, %s, %s); use --policies DIR",
		    SG_POLICY_DATADIR, SG_POLICY_SRCDIR);
	if (base != NULL && (st = sg_policy_set_load_dir(ps, base, err)) != SG_OK)
		return st;
	if (user_dir != NULL) {
		if (!is_dir(user_dir))
			return sg_err_set(err, SG_ENOTFOUND, "--policies %s: not a directory", user_dir);
		if ((st = sg_policy_set_load_dir(ps, user_dir, err)) != SG_OK)
			return st;
	}
	sg_policy_set_hash(ps);
	return SG_OK;
}

void
sg_policy_set_hash(struct sg_policy_set *ps)
{
	struct sg_buf b;
	struct sg_error e;
	size_t i;

	sg_err_init(&e);
	sg_buf_init(&b, (size_t)1 << 20);
	for (i = 0; i < ps->n; i++)
		if (sg_buf_appendf(&b, &e, "%s  %s\n", ps->policies[i].sha256,
		    ps->policies[i].id) != SG_OK)
			break;
	sg_sha256_hex(b.data ? b.data : "", b.len, ps->catalogue_sha256);
	sg_buf_dispose(&b);
}

bool
sg_scope_tag_parse(char *text, struct sg_scope_tag *out)
{
	char *eq = text ? strchr(text, '=') : NULL;

	if (eq == NULL || eq == text)
		return false;
	*eq = '\0';
	out->key = text;
	out->value = eq + 1;
	return true;
}

const char *
sg_verdict_name(enum sg_verdict v)
{
	switch (v) {
	case SG_VERDICT_PASS: return "PASS";
	case SG_VERDICT_FAIL: return "FAIL";
	case SG_VERDICT_WAIVED: return "WAIVED";
	case SG_VERDICT_NOT_APPLICABLE: return "NOT_APPLICABLE";
	}
	return "UNKNOWN";
}

const char *
sg_finding_state_name(enum sg_finding_state s)
{
	switch (s) {
	case SG_FINDING_FAIL: return "FAIL";
	case SG_FINDING_WAIVED: return "WAIVED";
	case SG_FINDING_INFO: return "INFO";
	case SG_FINDING_UNKNOWN: return "UNKNOWN";
	}
	return "UNKNOWN";
}

const char *
sg_pci_verdict_name(enum sg_pci_verdict v)
{
	switch (v) {
	case SG_PCIV_COMPLIANT: return "COMPLIANT";
	case SG_PCIV_NOT_COMPLIANT: return "NOT_COMPLIANT";
	case SG_PCIV_INCOMPLETE: return "INCOMPLETE";
	}
	return "INCOMPLETE";
}

const char *
sg_ref_kind_name(enum sg_ref_kind k)
{
	switch (k) {
	case SG_REF_NONE: return "none";
	case SG_REF_SELF: return "self";
	case SG_REF_SAME_VPC: return "same-vpc";
	case SG_REF_PEERED: return "peered";
	case SG_REF_CROSS_ACCOUNT: return "cross-account";
	case SG_REF_STALE: return "stale";
	}
	return "none";
}

const char *
sg_waiver_report_state_name(enum sg_waiver_report_state s)
{
	switch (s) {
	case SG_WAIVER_REPORT_USED: return "USED";
	case SG_WAIVER_REPORT_EXPIRED: return "EXPIRED";
	case SG_WAIVER_REPORT_STALE: return "STALE";
	}
	return "STALE";
}
