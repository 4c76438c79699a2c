/*
 * evidence_verify.c — `sg-audit evidence verify DIR`, the file half:
 *
 *   1. SHA256SUMS is read (sha256sum's format: "<64 hex>  <path>");
 *   2. the directory is walked: every regular file must be listed
 *      (SHA256SUMS itself aside), every listed file must exist and hash to
 *      its line; symbolic links and other non-regular files are reported;
 *   3. manifest.json must be listed, parse, and its "files" list must agree
 *      with SHA256SUMS entry for entry (path, size, SHA-256);
 *   4. then evidence_rederive.c re-derives the findings.
 *
 * Nothing is written and nothing is trusted before its hash is checked:
 * the re-derivation only reads files that matched.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "evidence_internal.h"
#include "sg_util.h"

#define SUMS_MAX_BYTES ((size_t)SG_EVIDENCE_MAX_FILES * 600 + 4096)
#define MANIFEST_MAX_BYTES ((size_t)256 << 20)
#define WALK_MAX_DEPTH 8

const char *
sg_evidence_problem_name(enum sg_evidence_problem_kind k)
{
	static const char *const names[] = {
		"unreadable", "missing", "extra", "hash", "manifest", "reparse", "policy",
		"different",
	};

	if ((unsigned)k >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[k];
}

void
ev_problem(struct ev_verify *v, enum sg_evidence_problem_kind kind, const char *path,
           const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->out->problems++;
	if (kind == SG_EVP_UNREADABLE)
		v->out->unreadable = true;
	if (v->each != NULL)
		v->each(v->ctx, kind, path ? path : "", msg);
}

static int
cmp_listed(const void *a, const void *b)
{
	const struct ev_listed *x = *(const struct ev_listed *const *)a;
	const struct ev_listed *y = *(const struct ev_listed *const *)b;
	int c = strcmp(x->path, y->path);

	return c != 0 ? c : (x->line < y->line ? -1 : x->line > y->line);
}

static int
cmp_key_listed(const void *key, const void *elem)
{
	return strcmp((const char *)key, (*(const struct ev_listed *const *)elem)->path);
}

const struct ev_listed *
ev_find_listed(const struct ev_verify *v, const char *path)
{
	struct ev_listed *const *hit;

	/* A sorted index: SHA256SUMS is sorted by us, but an edited one need not be. */
	if (v->by_path == NULL || v->n_listed == 0)
		return NULL;
	hit = bsearch(path, v->by_path, v->n_listed_unique, sizeof(*v->by_path), cmp_key_listed);
	return hit != NULL ? *hit : NULL;
}

/* Sort the index; drop (and report) a path listed twice. */
static enum sg_status
index_listed(struct ev_verify *v, struct sg_error *err)
{
	size_t i, j;

	free(v->by_path);
	v->by_path = NULL;
	if (v->n_listed == 0)
		return SG_OK;
	if ((v->by_path = calloc(v->n_listed, sizeof(*v->by_path))) == NULL)
		return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
	for (i = 0; i < v->n_listed; i++)
		v->by_path[i] = &v->listed[i];
	qsort(v->by_path, v->n_listed, sizeof(*v->by_path), cmp_listed);
	for (i = 1, j = 1; i < v->n_listed; i++) {
		if (strcmp(v->by_path[i]->path, v->by_path[j - 1]->path) == 0) {
			ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_SUMS,
			    "line %zu: %s listed twice (first on line %zu)", v->by_path[i]->line,
			    v->by_path[i]->path, v->by_path[j - 1]->line);
			continue;
		}
		v->by_path[j++] = v->by_path[i];
	}
	/* The later duplicates stay in `listed` (checked like any line) but are never found. */
	v->n_listed_unique = j;
	return SG_OK;
}

enum sg_status
ev_read(struct ev_verify *v, const char *path, size_t max_bytes, struct sg_buf *out,
        struct sg_error *err)
{
	const struct ev_listed *l = ev_find_listed(v, path);
	char full[PATH_MAX];

	sg_buf_init(out, max_bytes);
	if (l == NULL || !l->matches)
		return sg_err_set(err, SG_ENOTFOUND, "%s: not a verified file of the bundle", path);
	snprintf(full, sizeof(full), "%s/%s", v->dir, path);
	return sg_file_read(full, out, true, err);
}

/* -------------------------------------------------------------- SHA256SUMS */

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A path as the writer makes them: relative, no "." / ".." components, no odd bytes. */
static bool
listed_path_ok(const char *p, size_t n)
{
	size_t i, start = 0;

	if (n == 0 || n > 1024 || p[0] == '/')
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t len = i - start;
			if (len == 0 || (len == 1 && p[start] == '.') ||
			    (len == 2 && p[start] == '.' && p[start + 1] == '.'))
				return false;
			start = i + 1;
			continue;
		}
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			return false;
	}
	return true;
}

static enum sg_status
read_sums(struct ev_verify *v, struct sg_error *err)
{
	char full[PATH_MAX];
	struct sg_buf b;
	struct sg_error e;
	size_t pos = 0, line = 0, cap = 0;
	enum sg_status st;

	sg_err_init(&e);
	sg_buf_init(&b, SUMS_MAX_BYTES);
	snprintf(full, sizeof(full), "%s/%s", v->dir, SG_EVIDENCE_SUMS);
	if ((st = sg_file_read(full, &b, false, &e)) != SG_OK) {
		if (st == SG_ENOMEM)
			return sg_err_set(err, st, "%s", e.msg);
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_SUMS,
		    "%s (%s)", e.msg, st == SG_ENOTFOUND ?
		    "not an evidence bundle, or the scan that wrote it did not finish" :
		    "cannot be read");
		return SG_OK;
	}
	while (pos < b.len) {
		const char *s = b.data + pos;
		size_t n = strcspn(s, "\n");
		const char *path;
		size_t plen;

		line++;
		pos += n + 1;
		if (n == 0)
			continue;
		/* "<hash>  <path>" (text) or "<hash> *<path>" (binary). */
		if (n < 67 || !is_hex64(s) || s[64] != ' ' || (s[65] != ' ' && s[65] != '*')) {
			ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_SUMS,
			    "line %zu is not '<sha256>  <path>'", line);
			continue;
		}
		path = s + 66;
		plen = n - 66;
		if (!listed_path_ok(path, plen)) {
			ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_SUMS,
			    "line %zu: '%.*s' is not a path inside the bundle", line,
			    (int)(plen > 200 ? 200 : plen), path);
			continue;
		}
		if (v->n_listed == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct ev_listed *nl = realloc(v->listed, nc * sizeof(*nl));
			if (nl == NULL)
				goto nomem;
			v->listed = nl;
			cap = nc;
		}
		memset(&v->listed[v->n_listed], 0, sizeof(v->listed[0]));
		if ((v->listed[v->n_listed].path = strndup(path, plen)) == NULL)
			goto nomem;
		memcpy(v->listed[v->n_listed].sha256, s, 64);
		v->listed[v->n_listed].sha256[64] = '\0';
		v->listed[v->n_listed].line = line;
		v->n_listed++;
	}
	sg_buf_dispose(&b);
	v->out->files_listed = v->n_listed;
	if (index_listed(v, err) != SG_OK)
		return err->status;
	if (v->n_listed == 0)
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_SUMS, "lists no file");
	return SG_OK;
nomem:
	sg_buf_dispose(&b);
	return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
}

/* ----------------------------------------------------------------- the walk */

struct walk {
	char **paths;
	size_t n, cap;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum sg_status
walk_dir(struct ev_verify *v, struct walk *w, const char *rel, int depth, struct sg_error *err)
{
	char full[PATH_MAX];
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	enum sg_status st = SG_OK;

	snprintf(full, sizeof(full), "%s%s%s", v->dir, *rel ? "/" : "", rel);
	if ((d = opendir(full)) == NULL) {
		ev_problem(v, *rel ? SG_EVP_EXTRA : SG_EVP_UNREADABLE, rel,
		    "%s: cannot read directory: %s", full, strerror(errno));
		return SG_OK;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (nn == NULL)
				goto nomem;
			names = nn;
			cap = nc;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && st == SG_OK; i++) {
		char child[PATH_MAX];
		struct stat sb;

		int c1 = snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		int c2 = snprintf(full, sizeof(full), "%s/%s", v->dir, child);

		if (c1 < 0 || (size_t)c1 >= sizeof(child) || c2 < 0 || (size_t)c2 >= sizeof(full)) {
			ev_problem(v, SG_EVP_EXTRA, names[i], "path too long");
		} else if (lstat(full, &sb) != 0) {
			ev_problem(v, SG_EVP_EXTRA, child, "cannot stat: %s", strerror(errno));
		} else if (S_ISDIR(sb.st_mode)) {
			if (depth >= WALK_MAX_DEPTH)
				ev_problem(v, SG_EVP_EXTRA, child, "directory nested too deep");
			else
				st = walk_dir(v, w, child, depth + 1, err);
		} else if (!S_ISREG(sb.st_mode)) {
			ev_problem(v, SG_EVP_EXTRA, child, "%s, not a regular file",
			    S_ISLNK(sb.st_mode) ? "a symbolic link" : "a special file");
		} else {
			if (w->n == w->cap) {
				size_t nc = w->cap ? w->cap * 2 : 256;
				char **np;
				if (w->n >= (size_t)SG_EVIDENCE_MAX_FILES * 2) {
					ev_problem(v, SG_EVP_UNREADABLE, rel, "more than %d files",
					    SG_EVIDENCE_MAX_FILES * 2);
					break;
				}
				if ((np = realloc(w->paths, nc * sizeof(*np))) == NULL)
					goto nomem;
				w->paths = np;
				w->cap = nc;
			}
			if ((w->paths[w->n] = strdup(child)) == NULL)
				goto nomem;
			w->n++;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return st;
nomem:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return sg_err_set(err, SG_ENOMEM, "evidence verify: out of memory");
}

/* Hash a file in bounded memory. */
static bool
hash_file(const char *path, char out[65], size_t *bytes, struct sg_error *err)
{
	struct sg_buf b;

	sg_buf_init(&b, SG_EVIDENCE_MAX_FILE_BYTES);
	if (sg_file_read(path, &b, true, err) != SG_OK)
		return false;
	sg_sha256_hex(b.data ? b.data : "", b.len, out);
	*bytes = b.len;
	sg_buf_dispose(&b);
	return true;
}

static enum sg_status
check_files(struct ev_verify *v, struct sg_error *err)
{
	struct walk w = { NULL, 0, 0 };
	enum sg_status st;
	size_t i;

	if ((st = walk_dir(v, &w, "", 0, err)) != SG_OK)
		goto out;
	/* Each listed file: present, and its content matches. */
	for (i = 0; i < v->n_listed; i++) {
		struct ev_listed *l = &v->listed[i];
		char full[PATH_MAX], sha[65];
		struct sg_error e;

		if (bsearch(&l->path, w.paths, w.n, sizeof(*w.paths), cmp_str) == NULL) {
			ev_problem(v, SG_EVP_MISSING, l->path,
			    "listed in SHA256SUMS but missing from the bundle");
			continue;
		}
		l->present = true;
		sg_err_init(&e);
		snprintf(full, sizeof(full), "%s/%s", v->dir, l->path);
		if (!hash_file(full, sha, &l->bytes, &e)) {
			if (e.status == SG_ENOMEM) {
				st = sg_err_set(err, SG_ENOMEM, "%s", e.msg);
				goto out;
			}
			ev_problem(v, SG_EVP_HASH, l->path, "%s", e.msg);
			continue;
		}
		if (strcmp(sha, l->sha256) != 0) {
			ev_problem(v, SG_EVP_HASH, l->path,
			    "content changed: SHA-256 is %s, SHA256SUMS says %s", sha, l->sha256);
			continue;
		}
		l->matches = true;
		v->out->files_verified++;
	}
	/* Each file on disk: listed (SHA256SUMS itself aside). */
	for (i = 0; i < w.n; i++) {
		if (strcmp(w.paths[i], SG_EVIDENCE_SUMS) == 0)
			continue;
		if (ev_find_listed(v, w.paths[i]) == NULL) {
			ev_problem(v, SG_EVP_EXTRA, w.paths[i],
			    "extra file: in the bundle but not listed in SHA256SUMS");
			v->extras++;
		}
	}
	st = SG_OK;
out:
	for (i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	return st;
}

/* ------------------------------------------------------------ the manifest */

static const char *
jstr(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void
check_manifest(struct ev_verify *v)
{
	const struct ev_listed *ml = ev_find_listed(v, SG_EVIDENCE_MANIFEST);
	const cJSON *files, *f, *fmt, *ver;
	char full[PATH_MAX];
	struct sg_buf b;
	struct sg_error e;
	size_t i, n;
	bool *seen;

	sg_err_init(&e);
	if (ml == NULL) {
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_MANIFEST,
		    "not listed in SHA256SUMS: the bundle cannot be tied to its manifest");
		return;
	}
	if (!ml->present)
		return; /* reported as missing */
	/* Parsed even when its hash is wrong, to report more; re-derivation then stops. */
	sg_buf_init(&b, MANIFEST_MAX_BYTES);
	snprintf(full, sizeof(full), "%s/%s", v->dir, SG_EVIDENCE_MANIFEST);
	if (sg_file_read(full, &b, false, &e) != SG_OK) {
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_MANIFEST, "%s", e.msg);
		return;
	}
	sg_sha256_hex(b.data ? b.data : "", b.len, v->out->manifest_sha256);
	v->manifest = cJSON_ParseWithLength(b.data ? b.data : "", b.len);
	sg_buf_dispose(&b);
	if (v->manifest == NULL || !cJSON_IsObject(v->manifest)) {
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_MANIFEST, "not valid JSON");
		cJSON_Delete(v->manifest);
		v->manifest = NULL;
		return;
	}
	fmt = cJSON_GetObjectItemCaseSensitive(v->manifest, "format");
	ver = cJSON_GetObjectItemCaseSensitive(v->manifest, "format_version");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, SG_EVIDENCE_FORMAT) != 0 ||
	    !cJSON_IsNumber(ver) || ver->valuedouble < 1 ||
	    ver->valuedouble > SG_EVIDENCE_FORMAT_VERSION) {
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_MANIFEST,
		    "not an %s manifest of format version 1..%d", SG_EVIDENCE_FORMAT,
		    SG_EVIDENCE_FORMAT_VERSION);
		cJSON_Delete(v->manifest);
		v->manifest = NULL;
		return;
	}
	{
		const cJSON *ident = cJSON_GetObjectItemCaseSensitive(v->manifest, "identity");
		const cJSON *run = cJSON_GetObjectItemCaseSensitive(v->manifest, "run");
		const char *acct = jstr(ident, "account_id"), *fin = jstr(run, "finished");
		snprintf(v->out->account_id, sizeof(v->out->account_id), "%s", acct ? acct : "");
		const char *tv = jstr(cJSON_GetObjectItemCaseSensitive(v->manifest, "tool"), "version");
		snprintf(v->out->finished, sizeof(v->out->finished), "%s", fin ? fin : "");
		snprintf(v->out->tool_version, sizeof(v->out->tool_version), "%s", tv ? tv : "");
	}
	files = cJSON_GetObjectItemCaseSensitive(v->manifest, "files");
	if (!cJSON_IsArray(files)) {
		ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST, "has no \"files\" list");
		return;
	}
	if ((seen = calloc(v->n_listed + 1, sizeof(bool))) == NULL) {
		ev_problem(v, SG_EVP_UNREADABLE, SG_EVIDENCE_MANIFEST, "out of memory");
		return;
	}
	n = 0;
	cJSON_ArrayForEach(f, files) {
		const char *path = jstr(f, "path"), *sha = jstr(f, "sha256");
		const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(f, "bytes");
		const struct ev_listed *l;

		n++;
		if (jstr(f, "kind") != NULL && strcmp(jstr(f, "kind"), "response-meta") == 0)
			v->out->responses++;
		if (path == NULL || sha == NULL || !cJSON_IsNumber(bytes)) {
			ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST,
			    "files entry %zu lacks path, bytes or sha256", n);
			continue;
		}
		if (strcmp(path, SG_EVIDENCE_MANIFEST) == 0 || strcmp(path, SG_EVIDENCE_SUMS) == 0) {
			ev_problem(v, SG_EVP_MANIFEST, SG_EVIDENCE_MANIFEST,
			    "files entry %zu names %s, which cannot list itself", n, path);
			continue;
		}
		if ((l = ev_find_listed(v, path)) == NULL) {
			ev_problem(v, SG_EVP_MANIFEST, path,
			    "in manifest.json's file list but not in SHA256SUMS");
			continue;
		}
		seen[l - v->listed] = true;
		if (strcmp(l->sha256, sha) != 0)
			ev_problem(v, SG_EVP_MANIFEST, path,
			    "manifest.json says SHA-256 %.64s, SHA256SUMS says %s", sha, l->sha256);
		else if (l->present && l->matches && (double)l->bytes != bytes->valuedouble)
			ev_problem(v, SG_EVP_MANIFEST, path,
			    "manifest.json says %.0f bytes, the file has %zu", bytes->valuedouble,
			    l->bytes);
	}
	for (i = 0; i < v->n_listed; i++)
		if (!seen[i] && strcmp(v->listed[i].path, SG_EVIDENCE_MANIFEST) != 0)
			ev_problem(v, SG_EVP_MANIFEST, v->listed[i].path,
			    "in SHA256SUMS but not in manifest.json's file list");
	free(seen);
}

/* ------------------------------------------------------------------ verify */

enum sg_status
sg_evidence_verify(const char *dir, sg_evidence_problem_fn each, void *ctx,
                   struct sg_evidence_verify_result *out, struct sg_error *err)
{
	struct ev_verify v;
	enum sg_status st;
	struct stat sb;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	v.dir = dir;
	v.each = each;
	v.ctx = ctx;
	v.out = out;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		ev_problem(&v, SG_EVP_UNREADABLE, "", "%s: %s", dir,
		    stat(dir, &sb) != 0 ? strerror(errno) : "not a directory");
		return SG_OK;
	}
	if ((st = read_sums(&v, err)) != SG_OK)
		goto out;
	if (!out->unreadable) {
		if ((st = check_files(&v, err)) != SG_OK)
			goto out;
		check_manifest(&v);
	}
	/*
	 * Re-derive only from files that are all intact: once one is missing or
	 * changed, that is the finding, and a cascade of differences it causes
	 * would only bury it. (An extra file changes nothing re-derived.)
	 */
	if (!out->unreadable && v.manifest != NULL) {
		bool intact = true;
		for (i = 0; i < v.n_listed; i++)
			if (!v.listed[i].matches)
				intact = false;
		if (intact && out->problems == v.extras)
			st = ev_rederive(&v, err);
		else
			out->rederive_skipped = true;
	}
out:
	cJSON_Delete(v.manifest);
	for (i = 0; i < v.n_listed; i++)
		free(v.listed[i].path);
	free(v.listed);
	free(v.by_path);
	return st;
}
