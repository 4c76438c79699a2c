/*
 * evidence.c — the evidence bundle writer (sg_evidence.h, docs/evidence.md).
 *
 * Every file is hashed from the bytes in memory and written with
 * sg_file_write_atomic; its (path, size, SHA-256) is recorded in a list
 * that becomes the manifest's "files" and SHA256SUMS, both sorted by path,
 * so a bundle's listing never depends on which region answered first.
 *
 * Locking: one mutex guards the file list, the name set and directory
 * creation. The (slow, fsync'ing) writes happen outside it, so regions do
 * not wait on each other's disk flushes.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sg_aws.h"
#include "sg_evidence.h"
#include "sg_policy.h"
#include "sg_record.h"
#include "sg_util.h"

#ifndef SG_VERSION
#define SG_VERSION "0.0.0"
#endif

#define REDACTED "[REDACTED]"

struct ev_file {
	char *path;        /* relative to the bundle */
	size_t bytes;
	char sha256[65];
	const char *kind;  /* "response", "response-meta", "report", "policy", "waivers", "file" */
	char *source;      /* where a named file came from; NULL */
	char *policy_id;   /* kind "policy" */
};

struct sg_evidence {
	pthread_mutex_t mu;
	char *dir;
	char **argv;       /* redacted copy */
	size_t argc;
	struct ev_file *files;
	size_t n_files;
	size_t cap_files;
	size_t responses;
	bool finished;
	bool failed;       /* sticky first failure in `fail` */
	struct sg_error fail;
	bool has_policies;
	char catalogue_version[32];
	char catalogue_sha256[65];
	bool has_waivers;
	char *waivers_source;
	bool has_report;
	char **claims;     /* response base names taken (raw/<region>/<base>) */
	size_t n_claims, cap_claims;
};

/* ------------------------------------------------------------- redaction */

bool
sg_evidence_name_is_secret(const char *name, size_t len)
{
	/* Compared on the name lower-cased with '-' and '_' dropped. */
	static const char *const secret_words[] = {
		"secret", "password", "passwd", "signature", "credential",
		"authorization", "token", "cookie", "privatekey", "apikey",
	};
	/* Paging tokens are opaque cursors, not secrets: keep them. */
	static const char *const paging[] = { "nexttoken", "paginationtoken", "continuationtoken" };
	char norm[128];
	size_t i, n = 0;

	for (i = 0; i < len && name[i] != '\0' && n + 1 < sizeof(norm); i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '-' || c == '_' || c == '.')
			continue;
		norm[n++] = (char)tolower(c);
	}
	norm[n] = '\0';
	for (i = 0; i < sizeof(paging) / sizeof(paging[0]); i++) {
		size_t pl = strlen(paging[i]);
		if (n >= pl && strcmp(norm + n - pl, paging[i]) == 0)
			return false;
	}
	for (i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
		if (strstr(norm, secret_words[i]) != NULL)
			return true;
	return false;
}

/* AKIA/ASIA + 16 upper-case letters or digits: an access key id. */
static bool
looks_like_key_id(const char *s, size_t len)
{
	size_t i;

	if (len != 20 || (strncmp(s, "AKIA", 4) != 0 && strncmp(s, "ASIA", 4) != 0))
		return false;
	for (i = 4; i < len; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* 40 base64 characters with at least one of each class: a secret access key. */
static bool
looks_like_secret_key(const char *s, size_t len)
{
	bool lower = false, upper = false, digit = false;
	size_t i;

	if (len != 40)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (islower(c))
			lower = true;
		else if (isupper(c))
			upper = true;
		else if (isdigit(c))
			digit = true;
		else if (c != '/' && c != '+')
			return false;
	}
	return lower && upper && digit;
}

/* Redact secret-named values of a query string "a=1&b=2" (appended to out). */
static bool
redact_query(struct sg_buf *out, const char *q, size_t len)
{
	size_t i = 0;

	while (i <= len) {
		size_t end = i, eq;
		while (end < len && q[end] != '&')
			end++;
		for (eq = i; eq < end && q[eq] != '='; eq++)
			;
		if (eq < end && sg_evidence_name_is_secret(q + i, eq - i)) {
			if (sg_buf_append(out, q + i, eq + 1 - i, NULL) != SG_OK ||
			    sg_buf_append_str(out, REDACTED, NULL) != SG_OK)
				return false;
		} else if (end > i && sg_buf_append(out, q + i, end - i, NULL) != SG_OK) {
			return false;
		}
		if (end < len && sg_buf_append_char(out, '&', NULL) != SG_OK)
			return false;
		i = end + 1;
	}
	return true;
}

/* A URL without userinfo, with secret-named query values redacted. */
static char *
redact_url(const char *url)
{
	struct sg_buf b;
	const char *scheme = strstr(url, "://"), *host, *at, *q, *end;

	sg_buf_init(&b, 1 << 16);
	if (scheme == NULL)
		return NULL;
	host = scheme + 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (sg_buf_append(&b, url, (size_t)(host - url), NULL) != SG_OK)
		return NULL;
	if (at != NULL) {
		if (sg_buf_append_str(&b, REDACTED "@", NULL) != SG_OK)
			return NULL;
		host = at + 1;
	}
	q = strchr(host, '?');
	if (q == NULL) {
		if (sg_buf_append_str(&b, host, NULL) != SG_OK)
			return NULL;
	} else {
		if (sg_buf_append(&b, host, (size_t)(q + 1 - host), NULL) != SG_OK ||
		    !redact_query(&b, q + 1, strlen(q + 1)))
			return NULL;
	}
	return sg_buf_detach(&b, NULL);
}

char *
sg_evidence_redact_arg(const char *prev, const char *arg)
{
	const char *eq;

	if (arg == NULL)
		return NULL;
	/* The value after "--secret-access-key" (no '=' in the option). */
	if (prev != NULL && prev[0] == '-' && strchr(prev, '=') == NULL &&
	    sg_evidence_name_is_secret(prev, strlen(prev)) && arg[0] != '-')
		return strdup(REDACTED);
	if (looks_like_key_id(arg, strlen(arg)) || looks_like_secret_key(arg, strlen(arg)))
		return strdup(REDACTED);
	{
		const char *sc = strstr(arg, "://"), *eq0 = strchr(arg, '=');
		if (sc != NULL && (eq0 == NULL || eq0 > sc))
			return redact_url(arg);
	}
	/* "--name=value" and "NAME=value" */
	eq = strchr(arg, '=');
	if (eq != NULL) {
		const char *name = arg;
		size_t nlen = (size_t)(eq - arg);
		const char *val = eq + 1;
		while (nlen > 0 && *name == '-') {
			name++;
			nlen--;
		}
		if (sg_evidence_name_is_secret(name, nlen) || looks_like_key_id(val, strlen(val)) ||
		    looks_like_secret_key(val, strlen(val))) {
			struct sg_buf b;
			sg_buf_init(&b, 1 << 16);
			if (sg_buf_append(&b, arg, (size_t)(eq + 1 - arg), NULL) != SG_OK ||
			    sg_buf_append_str(&b, REDACTED, NULL) != SG_OK)
				return NULL;
			return sg_buf_detach(&b, NULL);
		}
		if (strstr(val, "://") != NULL) {
			char *u = redact_url(val);
			struct sg_buf b;
			if (u == NULL)
				return NULL;
			sg_buf_init(&b, 1 << 16);
			if (sg_buf_append(&b, arg, (size_t)(eq + 1 - arg), NULL) != SG_OK ||
			    sg_buf_append_str(&b, u, NULL) != SG_OK) {
				free(u);
				return NULL;
			}
			free(u);
			return sg_buf_detach(&b, NULL);
		}
	}
	return strdup(arg);
}

/* -------------------------------------------------------------- helpers */

static bool
name_chars_ok(const char *s, size_t max, bool allow_dot_dash)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c))
			continue;
		if (allow_dot_dash && (c == '.' || c == '-' || c == '_'))
			continue;
		return false;
	}
	return true;
}

static bool
region_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* A relative bundle path: components of [A-Za-z0-9._-], none "." or "..". */
static bool
rel_path_ok(const char *p)
{
	const char *s = p;

	if (p == NULL || *p == '\0' || strlen(p) > 512)
		return false;
	while (*s) {
		size_t n = strcspn(s, "/");
		size_t i;
		if (n == 0 || s[0] == '.')
			return false;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (!isalnum(c) && c != '.' && c != '-' && c != '_')
				return false;
		}
		s += n;
		if (*s == '/')
			s++;
		if (*s == '\0' && s[-1] == '/')
			return false;
	}
	return true;
}

/* Keep the first failure; later adds become no-ops. Caller holds mu. */
static void
stick(struct sg_evidence *ev, const struct sg_error *e)
{
	if (!ev->failed) {
		ev->failed = true;
		ev->fail = *e;
	}
}

static enum sg_status
fail_locked(struct sg_evidence *ev, struct sg_error *err, const struct sg_error *e)
{
	stick(ev, e);
	if (err != NULL && err->status == SG_OK)
		*err = *e;
	return e->status;
}

static enum sg_status
fail(struct sg_evidence *ev, struct sg_error *err, const struct sg_error *e)
{
	enum sg_status st;

	pthread_mutex_lock(&ev->mu);
	st = fail_locked(ev, err, e);
	pthread_mutex_unlock(&ev->mu);
	return st;
}

/* mkdir -p of a directory below the bundle (caller holds mu). */
static enum sg_status
mkdirs_locked(struct sg_evidence *ev, const char *rel, struct sg_error *err)
{
	char path[PATH_MAX];
	size_t base = strlen(ev->dir);
	int n = snprintf(path, sizeof(path), "%s/%s", ev->dir, rel);
	size_t i;

	if (n < 0 || (size_t)n >= sizeof(path))
		return sg_err_set(err, SG_EINVAL, "%s/%s: path too long", ev->dir, rel);
	for (i = base + 1; ; i++) {
		if (path[i] == '/' || path[i] == '\0') {
			char c = path[i];
			path[i] = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return sg_err_set(err, SG_EIO, "%s: cannot create directory: %s", path,
				    strerror(errno));
			path[i] = c;
			if (c == '\0')
				break;
		}
	}
	return SG_OK;
}

/*
 * Reserve `rel` in the file list (refusing a duplicate) and create its
 * directory. The entry is filled now; the write follows outside the lock.
 */
static enum sg_status
reserve(struct sg_evidence *ev, const char *rel, const void *data, size_t len, const char *kind,
        const char *source, const char *policy_id, struct sg_error *err)
{
	struct sg_error e;
	struct ev_file *f;
	const char *slash;
	size_t i;
	enum sg_status st = SG_OK;

	sg_err_init(&e);
	pthread_mutex_lock(&ev->mu);
	if (ev->failed) {
		/* Sticky: report the first failure again, write nothing. */
		if (err != NULL && err->status == SG_OK)
			*err = ev->fail;
		st = ev->fail.status;
		goto out;
	}
	if (ev->finished) {
		sg_err_set(&e, SG_EINVAL, "%s: evidence bundle already finished; cannot add %s",
		    ev->dir, rel);
		st = fail_locked(ev, err, &e);
		goto out;
	}
	for (i = 0; i < ev->n_files; i++)
		if (strcmp(ev->files[i].path, rel) == 0) {
			sg_err_set(&e, SG_EINVAL, "%s/%s: added twice to the evidence bundle",
			    ev->dir, rel);
			st = fail_locked(ev, err, &e);
			goto out;
		}
	if (ev->n_files >= SG_EVIDENCE_MAX_FILES) {
		sg_err_set(&e, SG_ELIMIT, "%s: more than %d files in the evidence bundle", ev->dir,
		    SG_EVIDENCE_MAX_FILES);
		st = fail_locked(ev, err, &e);
		goto out;
	}
	if ((slash = strrchr(rel, '/')) != NULL) {
		char d[PATH_MAX];
		snprintf(d, sizeof(d), "%.*s", (int)(slash - rel), rel);
		if (mkdirs_locked(ev, d, &e) != SG_OK) {
			st = fail_locked(ev, err, &e);
			goto out;
		}
	}
	if (ev->n_files == ev->cap_files) {
		size_t nc = ev->cap_files ? ev->cap_files * 2 : 64;
		struct ev_file *nf = realloc(ev->files, nc * sizeof(*nf));
		if (nf == NULL)
			goto nomem;
		ev->files = nf;
		ev->cap_files = nc;
	}
	f = &ev->files[ev->n_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(rel);
	f->source = source ? strdup(source) : NULL;
	f->policy_id = policy_id ? strdup(policy_id) : NULL;
	if (f->path == NULL || (source && f->source == NULL) || (policy_id && f->policy_id == NULL)) {
		free(f->path);
		free(f->source);
		free(f->policy_id);
		goto nomem;
	}
	f->bytes = len;
	f->kind = kind;
	sg_sha256_hex(data ? data : "", len, f->sha256);
	ev->n_files++;
	goto out;
nomem:
	sg_err_set(&e, SG_ENOMEM, "evidence bundle: out of memory");
	st = fail_locked(ev, err, &e);
out:
	pthread_mutex_unlock(&ev->mu);
	return st;
}

static enum sg_status
write_file(struct sg_evidence *ev, const char *rel, const void *data, size_t len,
           struct sg_error *err)
{
	char path[PATH_MAX];
	struct sg_error e;
	int n = snprintf(path, sizeof(path), "%s/%s", ev->dir, rel);

	sg_err_init(&e);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		sg_err_set(&e, SG_EINVAL, "%s/%s: path too long", ev->dir, rel);
		return fail(ev, err, &e);
	}
	if (sg_file_write_atomic(path, data ? data : "", len, 0644, &e) != SG_OK)
		return fail(ev, err, &e);
	return SG_OK;
}

static enum sg_status
store(struct sg_evidence *ev, const char *rel, const void *data, size_t len, const char *kind,
      const char *source, const char *policy_id, struct sg_error *err)
{
	enum sg_status st = reserve(ev, rel, data, len, kind, source, policy_id, err);

	if (st != SG_OK)
		return st;
	return write_file(ev, rel, data, len, err);
}

/* --------------------------------------------------------------- opening */

enum sg_status
sg_evidence_open(struct sg_evidence **out, const char *dir, int argc, char *const *argv,
                 struct sg_error *err)
{
	struct sg_evidence *ev;
	struct stat sb;
	size_t len;
	int i;

	if (dir == NULL || *dir == '\0')
		return sg_err_set(err, SG_EINVAL, "--evidence: an empty directory name");
	len = strlen(dir);
	if (len + 600 >= PATH_MAX)
		return sg_err_set(err, SG_EINVAL, "%s: evidence directory path too long", dir);
	if (stat(dir, &sb) == 0) {
		DIR *d;
		struct dirent *de;
		bool empty = true;

		if (!S_ISDIR(sb.st_mode))
			return sg_err_set(err, SG_EINVAL,
			    "%s: exists and is not a directory (an evidence bundle needs a new "
			    "or empty directory)", dir);
		if ((d = opendir(dir)) == NULL)
			return sg_err_set(err, SG_EIO, "%s: cannot read directory: %s", dir,
			    strerror(errno));
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
				empty = false;
				break;
			}
		closedir(d);
		if (!empty)
			return sg_err_set(err, SG_EINVAL,
			    "%s: directory is not empty (an evidence bundle needs a new or empty "
			    "directory; refusing to mix with what is there)", dir);
	} else if (errno != ENOENT) {
		return sg_err_set(err, SG_EIO, "%s: %s", dir, strerror(errno));
	} else if (mkdir(dir, 0755) != 0) {
		return sg_err_set(err, SG_EIO, "%s: cannot create directory: %s", dir,
		    strerror(errno));
	}

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return sg_err_set(err, SG_ENOMEM, "evidence bundle: out of memory");
	pthread_mutex_init(&ev->mu, NULL);
	sg_err_init(&ev->fail);
	/* Strip trailing slashes so names read "DIR/raw/..." */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if ((ev->dir = strndup(dir, len)) == NULL)
		goto nomem;
	if (argc > 0 && argv != NULL) {
		if ((ev->argv = calloc((size_t)argc, sizeof(char *))) == NULL)
			goto nomem;
		for (i = 0; i < argc && argv[i] != NULL; i++) {
			ev->argv[i] = sg_evidence_redact_arg(i > 0 ? argv[i - 1] : NULL, argv[i]);
			if (ev->argv[i] == NULL)
				goto nomem;
			ev->argc++;
		}
	}
	*out = ev;
	return SG_OK;
nomem:
	sg_evidence_free(ev);
	return sg_err_set(err, SG_ENOMEM, "evidence bundle: out of memory");
}

void
sg_evidence_free(struct sg_evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	for (i = 0; i < ev->n_files; i++) {
		free(ev->files[i].path);
		free(ev->files[i].source);
		free(ev->files[i].policy_id);
	}
	free(ev->files);
	for (i = 0; i < ev->argc; i++)
		free(ev->argv[i]);
	free(ev->argv);
	for (i = 0; i < ev->n_claims; i++)
		free(ev->claims[i]);
	free(ev->claims);
	free(ev->waivers_source);
	free(ev->dir);
	pthread_mutex_destroy(&ev->mu);
	free(ev);
}

size_t
sg_evidence_responses(const struct sg_evidence *ev)
{
	return ev ? ev->responses : 0;
}

size_t
sg_evidence_files(const struct sg_evidence *ev)
{
	return ev ? ev->n_files : 0;
}

/* ------------------------------------------------------------- responses */

/* Responses that carry credentials are never stored (their metadata says so). */
static const char *
withheld_reason(const char *action, const char *body, size_t len)
{
	static const char *const actions[] = {
		"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML",
		"GetSessionToken", "GetFederationToken", "GetRoleCredentials",
	};
	static const char *const markers[] = {
		"SecretAccessKey", "SessionToken", "secretAccessKey", "sessionToken",
	};
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(action, actions[i]) == 0)
			return "the response carries credentials";
	for (i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (body != NULL && memmem(body, len, markers[i], strlen(markers[i])) != NULL)
			return "the response carries credentials";
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Form-decode s[0..n) into a malloc'd string ('+' is a space). */
static char *
form_decode(const char *s, size_t n)
{
	char *o = malloc(n + 1);
	size_t i, j = 0;

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			o[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			o[j++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			    hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			o[j++] = s[i];
		}
	}
	o[j] = '\0';
	return o;
}

/*
 * The request as recorded: {"body": form body with secret-named values
 * redacted, "params": [[name, value], ...] decoded, in the order sent}.
 * A JSON body (CloudTrail) is kept as text, secret-named members redacted.
 */
static cJSON *
request_json(const char *body, size_t len)
{
	cJSON *o = cJSON_CreateObject(), *params;
	struct sg_buf red;
	size_t i = 0;
	const char *s;

	if (o == NULL)
		return NULL;
	if (body == NULL || len == 0) {
		cJSON_AddNullToObject(o, "body");
		cJSON_AddNullToObject(o, "params");
		return o;
	}
	if (body[0] == '{') {
		cJSON *j = cJSON_ParseWithLength(body, len), *it, *next;
		char *txt;
		if (j == NULL) {
			cJSON_AddStringToObject(o, "body", "[REDACTED: unparseable JSON body]");
		} else {
			for (it = j->child; it != NULL; it = next) {
				cJSON *r;
				next = it->next;
				if (it->string == NULL ||
				    !sg_evidence_name_is_secret(it->string, strlen(it->string)))
					continue;
				if ((r = cJSON_CreateString(REDACTED)) == NULL ||
				    !cJSON_ReplaceItemViaPointer(j, it, r)) {
					/* Could not redact: keep nothing of the body. */
					cJSON_Delete(r);
					cJSON_Delete(j);
					j = NULL;
					break;
				}
			}
			txt = j ? cJSON_PrintUnformatted(j) : strdup(REDACTED);
			cJSON_Delete(j);
			if (txt == NULL || cJSON_AddStringToObject(o, "body", txt) == NULL) {
				free(txt);
				cJSON_Delete(o);
				return NULL;
			}
			free(txt);
		}
		cJSON_AddNullToObject(o, "params");
		return o;
	}
	sg_buf_init(&red, SG_EVIDENCE_MAX_FILE_BYTES);
	if (!redact_query(&red, body, len) ||
	    cJSON_AddStringToObject(o, "body", red.data ? red.data : "") == NULL)
		goto fail;
	if ((params = cJSON_AddArrayToObject(o, "params")) == NULL)
		goto fail;
	s = red.data;
	while (s != NULL && s[i]) {
		size_t end = i + strcspn(s + i, "&"), eq = i + strcspn(s + i, "=&");
		cJSON *pair = cJSON_CreateArray();
		char *k = form_decode(s + i, eq - i);
		char *v = eq < end ? form_decode(s + eq + 1, end - eq - 1) : strdup("");
		if (pair == NULL || k == NULL || v == NULL ||
		    !cJSON_AddItemToArray(params, pair)) {
			cJSON_Delete(pair);
			free(k);
			free(v);
			goto fail;
		}
		cJSON_AddItemToArray(pair, cJSON_CreateString(k));
		cJSON_AddItemToArray(pair, cJSON_CreateString(v));
		free(k);
		free(v);
		i = s[end] ? end + 1 : end;
	}
	sg_buf_dispose(&red);
	return o;
fail:
	sg_buf_dispose(&red);
	cJSON_Delete(o);
	return NULL;
}

static cJSON *
str_or_null(const char *s)
{
	return s != NULL && *s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/*
 * Take a response's base name "raw/<region>/<base>". The same page can
 * arrive twice: a scan that asks for the next page before parsing this one
 * receives that request's answer even when this page then fails, under the
 * page number it was not given. Both answers are evidence: the first keeps
 * the name, a later one is "<base>-d2", "-d3", ... (*dup_out 2, 3, ...),
 * in the order they were added, so numbering stays deterministic.
 */
static enum sg_status
claim_base(struct sg_evidence *ev, const char *rel_base, char *out, size_t cap,
           unsigned *dup_out, struct sg_error *err)
{
	struct sg_error e;
	unsigned d;
	size_t i;

	sg_err_init(&e);
	pthread_mutex_lock(&ev->mu);
	for (d = 1; d < 100; d++) {
		bool taken = false;
		int n = d == 1 ? snprintf(out, cap, "%s", rel_base) :
		    snprintf(out, cap, "%s-d%u", rel_base, d);
		if (n < 0 || (size_t)n >= cap)
			break;
		for (i = 0; i < ev->n_claims && !taken; i++)
			taken = strcmp(ev->claims[i], out) == 0;
		if (taken)
			continue;
		if (ev->n_claims == ev->cap_claims) {
			size_t nc = ev->cap_claims ? ev->cap_claims * 2 : 64;
			char **ncl = realloc(ev->claims, nc * sizeof(*ncl));
			if (ncl == NULL)
				break;
			ev->claims = ncl;
			ev->cap_claims = nc;
		}
		if ((ev->claims[ev->n_claims] = strdup(out)) == NULL)
			break;
		ev->n_claims++;
		*dup_out = d;
		pthread_mutex_unlock(&ev->mu);
		return SG_OK;
	}
	if (d < 100)
		sg_err_set(&e, SG_ENOMEM, "evidence: %s: out of memory or name too long", rel_base);
	else
		sg_err_set(&e, SG_ELIMIT, "evidence: %s: received 99 times", rel_base);
	pthread_mutex_unlock(&ev->mu);
	return fail(ev, err, &e);
}

enum sg_status
sg_evidence_add_response(struct sg_evidence *ev, const struct sg_evidence_response *r,
                         struct sg_error *err)
{
	char base[320], rel[480], claimed[480], meta_rel[512], when[32], sha[65];
	const char *ext, *withheld;
	const char *body = r->body ? r->body : "";
	size_t body_len = r->body ? r->body_len : 0;
	struct sg_error e;
	cJSON *m = NULL, *req;
	char *text = NULL, *endpoint = NULL;
	unsigned page, dup = 1;
	enum sg_status st;

	sg_err_init(&e);
	if (!name_chars_ok(r->service, 32, true) || !region_ok(r->region) ||
	    !name_chars_ok(r->action, 96, false) ||
	    (r->subject != NULL && !name_chars_ok(r->subject, 128, true))) {
		sg_err_set(&e, SG_EINVAL,
		    "evidence: cannot name a response (service '%.32s', region '%.64s', action "
		    "'%.96s', subject '%.128s'): only letters, digits, '.', '-', '_'",
		    r->service ? r->service : "", r->region ? r->region : "",
		    r->action ? r->action : "", r->subject ? r->subject : "");
		return fail(ev, err, &e);
	}
	if (r->page > SG_EVIDENCE_MAX_PAGE) {
		sg_err_set(&e, SG_EINVAL, "evidence: %s %s: page %u outside 1..%d", r->region,
		    r->action, r->page, SG_EVIDENCE_MAX_PAGE);
		return fail(ev, err, &e);
	}
	if (body_len > SG_EVIDENCE_MAX_FILE_BYTES) {
		sg_err_set(&e, SG_ELIMIT, "evidence: %s %s page %u: response of %zu bytes is over "
		    "the %zu-byte cap", r->region, r->action, r->page, body_len,
		    SG_EVIDENCE_MAX_FILE_BYTES);
		return fail(ev, err, &e);
	}
	ext = strcmp(r->service, "cloudtrail") == 0 ? "json" : "xml";
	/* A call that is not paged is its own page 1. */
	page = r->page == 0 ? 1 : r->page;
	snprintf(base, sizeof(base), "%s-%s%s%s-p%03u", r->service, r->action,
	    r->subject ? "-" : "", r->subject ? r->subject : "", page);
	snprintf(rel, sizeof(rel), "raw/%s/%s", r->region, base);
	if (claim_base(ev, rel, claimed, sizeof(claimed), &dup, err) != SG_OK)
		return ev->fail.status;
	if (snprintf(rel, sizeof(rel), "%s.%s", claimed, ext) >= (int)sizeof(rel) ||
	    snprintf(meta_rel, sizeof(meta_rel), "%s.meta.json", claimed) >= (int)sizeof(meta_rel)) {
		sg_err_set(&e, SG_EINVAL, "evidence: %s: name too long", claimed);
		return fail(ev, err, &e);
	}
	withheld = withheld_reason(r->action, body, body_len);
	if (withheld != NULL) {
		body = "";
		body_len = 0;
	}
	sg_sha256_hex(body, body_len, sha);
	sg_time_iso8601(r->received ? r->received : time(NULL), when, sizeof(when));
	if (r->endpoint != NULL && *r->endpoint != '\0') {
		/* Scheme, host and path only: a query string or userinfo never goes in. */
		const char *sc = strstr(r->endpoint, "://");
		if (sc != NULL) {
			const char *host = sc + 3, *at, *stop;
			stop = host + strcspn(host, "/?#");
			at = memchr(host, '@', (size_t)(stop - host));
			if (at != NULL)
				host = at + 1;
			stop = host + strcspn(host, "?#");
			if ((endpoint = malloc((size_t)(sc + 3 - r->endpoint) +
			    (size_t)(stop - host) + 1)) != NULL)
				sprintf(endpoint, "%.*s%.*s", (int)(sc + 3 - r->endpoint), r->endpoint,
				    (int)(stop - host), host);
		}
	}

	/* Metadata, keys in a fixed order. */
	if ((m = cJSON_CreateObject()) == NULL)
		goto nomem;
	cJSON_AddStringToObject(m, "format", SG_EVIDENCE_FORMAT "/response");
	cJSON_AddStringToObject(m, "service", r->service);
	cJSON_AddStringToObject(m, "region", r->region);
	cJSON_AddStringToObject(m, "action", r->action);
	cJSON_AddItemToObject(m, "subject", str_or_null(r->subject));
	cJSON_AddNumberToObject(m, "page", page);
	/* 1: the first answer under this page number; 2, 3...: received again (claim_base). */
	cJSON_AddNumberToObject(m, "received_as", dup);
	cJSON_AddStringToObject(m, "response_file", strrchr(rel, '/') + 1);
	cJSON_AddNumberToObject(m, "response_bytes", (double)body_len);
	cJSON_AddStringToObject(m, "response_sha256", sha);
	cJSON_AddItemToObject(m, "withheld", str_or_null(withheld));
	cJSON_AddNumberToObject(m, "http_status", (double)r->http_status);
	cJSON_AddItemToObject(m, "request_id", str_or_null(r->request_id));
	cJSON_AddItemToObject(m, "date", str_or_null(r->date));
	cJSON_AddNumberToObject(m, "attempts", r->attempts);
	cJSON_AddStringToObject(m, "received", when);
	cJSON_AddItemToObject(m, "endpoint", str_or_null(endpoint));
	if ((req = request_json(r->request_body, r->request_body ? r->request_len : 0)) == NULL ||
	    !cJSON_AddItemToObject(m, "request", req)) {
		cJSON_Delete(req);
		goto nomem;
	}
	if ((text = cJSON_Print(m)) == NULL)
		goto nomem;
	cJSON_Delete(m);
	m = NULL;
	free(endpoint);
	endpoint = NULL;

	if ((st = store(ev, rel, body, body_len, "response", NULL, NULL, err)) == SG_OK) {
		size_t tl = strlen(text);
		text[tl] = '\n'; /* cJSON_Print leaves no newline: add one in place of the NUL */
		st = store(ev, meta_rel, text, tl + 1, "response-meta", NULL, NULL, err);
	}
	free(text);
	if (st == SG_OK) {
		pthread_mutex_lock(&ev->mu);
		ev->responses++;
		pthread_mutex_unlock(&ev->mu);
	}
	return st;
nomem:
	cJSON_Delete(m);
	free(text);
	free(endpoint);
	sg_err_set(&e, SG_ENOMEM, "evidence: out of memory");
	return fail(ev, err, &e);
}

/*
 * The decoded value of form parameter `name` in body (first occurrence),
 * into out; false if absent or too long.
 */
static bool
form_param(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	size_t i = 0, nl = strlen(name);

	while (body != NULL && i < len) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > nl && memcmp(body + i, name, nl) == 0 && body[i + nl] == '=') {
			char *v = form_decode(body + i + nl + 1, end - i - nl - 1);
			bool ok = v != NULL && strlen(v) < cap;
			if (ok)
				memcpy(out, v, strlen(v) + 1);
			free(v);
			return ok;
		}
		i = end + 1;
	}
	return false;
}

enum sg_status
sg_evidence_add_aws_response(struct sg_evidence *ev, const struct sg_aws_response *resp,
                             const char *subject, unsigned page, struct sg_error *err)
{
	struct sg_evidence_response r;
	char pl_id[128];

	/*
	 * One region reads several prefix lists, each with its own pages: the
	 * list's id, taken from the request sent, keeps their names apart.
	 */
	if (subject == NULL && strcmp(resp->action, "GetManagedPrefixListEntries") == 0 &&
	    form_param(resp->request_body.data, resp->request_body.len, "PrefixListId", pl_id,
	        sizeof(pl_id)))
		subject = pl_id;
	memset(&r, 0, sizeof(r));
	r.service = sg_service_name(resp->service);
	r.region = resp->region;
	r.action = resp->action;
	r.subject = subject;
	r.page = page;
	r.body = resp->body.data;
	r.body_len = resp->body.len;
	r.request_body = resp->request_body.data;
	r.request_len = resp->request_body.len;
	r.http_status = resp->http_status;
	r.request_id = resp->request_id;
	r.date = resp->date;
	r.attempts = resp->attempts;
	r.received = 0;
	r.endpoint = resp->url;
	return sg_evidence_add_response(ev, &r, err);
}

/* ----------------------------------------------------------------- files */

static bool
reserved_name(const char *name)
{
	return strcmp(name, SG_EVIDENCE_MANIFEST) == 0 || strcmp(name, SG_EVIDENCE_SUMS) == 0 ||
	    strncmp(name, "raw/", 4) == 0 || strcmp(name, "raw") == 0;
}

enum sg_status
sg_evidence_add_file(struct sg_evidence *ev, const char *name, const void *data, size_t len,
                     const char *source, struct sg_error *err)
{
	struct sg_error e;
	const char *kind = "file";
	enum sg_status st;

	sg_err_init(&e);
	if (!rel_path_ok(name) || reserved_name(name)) {
		sg_err_set(&e, SG_EINVAL, "evidence: '%.200s' cannot be a file name in a bundle",
		    name ? name : "");
		return fail(ev, err, &e);
	}
	if (strcmp(name, SG_EVIDENCE_REPORT) == 0)
		kind = "report";
	else if (strcmp(name, SG_EVIDENCE_WAIVERS) == 0)
		kind = "waivers";
	st = store(ev, name, data, len, kind, source, NULL, err);
	if (st == SG_OK && strcmp(kind, "report") == 0) {
		pthread_mutex_lock(&ev->mu);
		ev->has_report = true;
		pthread_mutex_unlock(&ev->mu);
	}
	return st;
}

enum sg_status
sg_evidence_add_policies(struct sg_evidence *ev, const struct sg_policy_set *ps,
                         struct sg_error *err)
{
	struct sg_error e;
	size_t i;
	enum sg_status st;

	sg_err_init(&e);
	for (i = 0; i < ps->n; i++) {
		const struct sg_policy *p = &ps->policies[i];
		struct sg_buf b;
		char sha[65], rel[300];

		if (!name_chars_ok(p->id, 200, true)) {
			sg_err_set(&e, SG_ECONFIG, "evidence: policy id '%.200s' cannot be a file name",
			    p->id);
			return fail(ev, err, &e);
		}
		sg_buf_init(&b, SG_POLICY_FILE_MAX_BYTES);
		if (p->path == NULL || sg_file_read(p->path, &b, false, &e) != SG_OK) {
			if (p->path == NULL)
				sg_err_set(&e, SG_ECONFIG, "evidence: policy %s has no file", p->id);
			sg_err_prefix(&e, "evidence: policy %s: ", p->id);
			return fail(ev, err, &e);
		}
		sg_sha256_hex(b.data ? b.data : "", b.len, sha);
		if (strcmp(sha, p->sha256) != 0) {
			sg_buf_dispose(&b);
			sg_err_set(&e, SG_ECONFIG, "evidence: %s changed since it was loaded "
			    "(SHA-256 %s, loaded %s); the bundle would not show the policy evaluated",
			    p->path, sha, p->sha256);
			return fail(ev, err, &e);
		}
		snprintf(rel, sizeof(rel), "policies/%s.json", p->id);
		st = store(ev, rel, b.data, b.len, "policy", p->path, p->id, err);
		sg_buf_dispose(&b);
		if (st != SG_OK)
			return st;
	}
	pthread_mutex_lock(&ev->mu);
	ev->has_policies = true;
	snprintf(ev->catalogue_version, sizeof(ev->catalogue_version), "%s", ps->catalogue_version);
	snprintf(ev->catalogue_sha256, sizeof(ev->catalogue_sha256), "%s", ps->catalogue_sha256);
	pthread_mutex_unlock(&ev->mu);
	return SG_OK;
}

enum sg_status
sg_evidence_add_waivers(struct sg_evidence *ev, const char *path, struct sg_error *err)
{
	struct sg_buf b;
	struct sg_error e;
	enum sg_status st;

	if (path == NULL)
		return SG_OK;
	sg_err_init(&e);
	sg_buf_init(&b, SG_EVIDENCE_MAX_FILE_BYTES);
	if (sg_file_read(path, &b, false, &e) != SG_OK) {
		sg_err_prefix(&e, "evidence: waivers: ");
		return fail(ev, err, &e);
	}
	st = store(ev, SG_EVIDENCE_WAIVERS, b.data, b.len, "waivers", path, NULL, err);
	sg_buf_dispose(&b);
	if (st == SG_OK) {
		pthread_mutex_lock(&ev->mu);
		ev->has_waivers = true;
		free(ev->waivers_source);
		ev->waivers_source = strdup(path);
		pthread_mutex_unlock(&ev->mu);
	}
	return st;
}

/* ---------------------------------------------------------------- finish */

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct ev_file *)a)->path, ((const struct ev_file *)b)->path);
}

static bool
add_str_array(cJSON *obj, const char *key, const char *const *items, size_t n)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, key);
	size_t i;

	if (arr == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(items[i] ? items[i] : "")))
			return false;
	return true;
}

static cJSON *
manifest_json(struct sg_evidence *ev, const struct sg_evidence_run *run)
{
	cJSON *m = cJSON_CreateObject(), *o, *arr;
	const struct sg_inventory *inv = run->inv;
	char t[32];
	size_t i;

	if (m == NULL)
		return NULL;
	cJSON_AddStringToObject(m, "format", SG_EVIDENCE_FORMAT);
	cJSON_AddNumberToObject(m, "format_version", SG_EVIDENCE_FORMAT_VERSION);
	if ((o = cJSON_AddObjectToObject(m, "tool")) == NULL)
		goto fail;
	cJSON_AddStringToObject(o, "name", "sg-audit");
	cJSON_AddStringToObject(o, "version", run->tool_version ? run->tool_version : SG_VERSION);

	if ((o = cJSON_AddObjectToObject(m, "run")) == NULL)
		goto fail;
	sg_time_iso8601(run->started, t, sizeof(t));
	cJSON_AddStringToObject(o, "started", t);
	sg_time_iso8601(run->finished, t, sizeof(t));
	cJSON_AddStringToObject(o, "finished", t);
	if (!add_str_array(o, "command_line", (const char *const *)ev->argv, ev->argc) ||
	    !add_str_array(o, "regions_requested", run->regions_requested,
	        run->n_regions_requested))
		goto fail;
	cJSON_AddBoolToObject(o, "regions_all", run->regions_all);
	if ((arr = cJSON_AddArrayToObject(o, "scope_tags")) == NULL)
		goto fail;
	for (i = 0; i < run->n_scope_tags; i++) {
		char kv[512];
		snprintf(kv, sizeof(kv), "%s=%s", run->scope_tags[i].key, run->scope_tags[i].value);
		cJSON_AddItemToArray(arr, cJSON_CreateString(kv));
	}

	if ((o = cJSON_AddObjectToObject(m, "identity")) == NULL)
		goto fail;
	cJSON_AddItemToObject(o, "account_id", str_or_null(inv ? inv->account_id : NULL));
	cJSON_AddItemToObject(o, "caller_arn", str_or_null(inv ? inv->caller_arn : NULL));
	cJSON_AddItemToObject(o, "partition", str_or_null(inv ? inv->partition : NULL));

	if ((arr = cJSON_AddArrayToObject(m, "coverage")) == NULL)
		goto fail;
	for (i = 0; inv != NULL && i < inv->n_regions; i++) {
		const struct sg_region_coverage *c = &inv->regions[i];
		cJSON *r = cJSON_CreateObject();
		if (r == NULL || !cJSON_AddItemToArray(arr, r))
			goto fail;
		cJSON_AddStringToObject(r, "region", c->region ? c->region : "");
		cJSON_AddStringToObject(r, "state", sg_region_state_name(c->state));
		cJSON_AddItemToObject(r, "error_code", str_or_null(c->error_code));
		cJSON_AddItemToObject(r, "error_message", str_or_null(c->error_message));
		cJSON_AddNumberToObject(r, "groups", (double)c->groups);
		cJSON_AddNumberToObject(r, "rules", (double)c->rules);
		cJSON_AddNumberToObject(r, "pages", (double)c->pages);
		cJSON_AddNumberToObject(r, "prefix_lists", (double)c->prefix_lists);
		if (c->attachments != NULL)
			cJSON_AddStringToObject(r, "attachments", c->attachments);
	}

	if (!ev->has_policies) {
		cJSON_AddNullToObject(m, "policies");
	} else {
		if ((o = cJSON_AddObjectToObject(m, "policies")) == NULL)
			goto fail;
		cJSON_AddStringToObject(o, "catalogue_version", ev->catalogue_version);
		cJSON_AddStringToObject(o, "catalogue_sha256", ev->catalogue_sha256);
		if ((arr = cJSON_AddArrayToObject(o, "files")) == NULL)
			goto fail;
		for (i = 0; i < ev->n_files; i++) {
			const struct ev_file *f = &ev->files[i];
			cJSON *p;
			if (strcmp(f->kind, "policy") != 0)
				continue;
			if ((p = cJSON_CreateObject()) == NULL || !cJSON_AddItemToArray(arr, p))
				goto fail;
			cJSON_AddStringToObject(p, "path", f->path);
			cJSON_AddStringToObject(p, "policy_id", f->policy_id);
			cJSON_AddItemToObject(p, "source", str_or_null(f->source));
			cJSON_AddStringToObject(p, "sha256", f->sha256);
		}
	}
	if (!ev->has_waivers) {
		cJSON_AddNullToObject(m, "waivers");
	} else {
		if ((o = cJSON_AddObjectToObject(m, "waivers")) == NULL)
			goto fail;
		cJSON_AddStringToObject(o, "path", SG_EVIDENCE_WAIVERS);
		cJSON_AddItemToObject(o, "source", str_or_null(ev->waivers_source));
	}
	cJSON_AddItemToObject(m, "report", ev->has_report ? cJSON_CreateString(SG_EVIDENCE_REPORT)
	    : cJSON_CreateNull());
	cJSON_AddNumberToObject(m, "responses", (double)ev->responses);

	if ((arr = cJSON_AddArrayToObject(m, "files")) == NULL)
		goto fail;
	for (i = 0; i < ev->n_files; i++) {
		const struct ev_file *f = &ev->files[i];
		cJSON *p = cJSON_CreateObject();
		if (p == NULL || !cJSON_AddItemToArray(arr, p))
			goto fail;
		cJSON_AddStringToObject(p, "path", f->path);
		cJSON_AddNumberToObject(p, "bytes", (double)f->bytes);
		cJSON_AddStringToObject(p, "sha256", f->sha256);
		cJSON_AddStringToObject(p, "kind", f->kind);
	}
	return m;
fail:
	cJSON_Delete(m);
	return NULL;
}

enum sg_status
sg_evidence_finish(struct sg_evidence *ev, const struct sg_evidence_run *run,
                   char manifest_sha256[65], struct sg_error *err)
{
	struct sg_error e;
	struct sg_buf sums;
	cJSON *m = NULL;
	char *text = NULL, msha[65];
	size_t i, tl;
	enum sg_status st;

	sg_err_init(&e);
	pthread_mutex_lock(&ev->mu);
	if (ev->failed) {
		if (err != NULL && err->status == SG_OK)
			*err = ev->fail;
		st = ev->fail.status;
		pthread_mutex_unlock(&ev->mu);
		return st;
	}
	if (ev->finished) {
		pthread_mutex_unlock(&ev->mu);
		return sg_err_set(err, SG_EINVAL, "%s: evidence bundle already finished", ev->dir);
	}
	ev->finished = true;
	qsort(ev->files, ev->n_files, sizeof(ev->files[0]), cmp_file);
	m = manifest_json(ev, run);
	pthread_mutex_unlock(&ev->mu);
	if (m == NULL || (text = cJSON_Print(m)) == NULL) {
		cJSON_Delete(m);
		sg_err_set(&e, SG_ENOMEM, "evidence: manifest: out of memory");
		return fail(ev, err, &e);
	}
	cJSON_Delete(m);
	tl = strlen(text);
	text[tl++] = '\n';
	sg_sha256_hex(text, tl, msha);
	st = write_file(ev, SG_EVIDENCE_MANIFEST, text, tl, err);
	free(text);
	if (st != SG_OK)
		return st;

	/* SHA256SUMS: every file and the manifest, sorted by path, sha256sum's text format. */
	sg_buf_init(&sums, (size_t)SG_EVIDENCE_MAX_FILES * 600 + 4096);
	st = SG_OK;
	{
		bool manifest_done = false;
		for (i = 0; i <= ev->n_files && st == SG_OK; i++) {
			const char *path = i < ev->n_files ? ev->files[i].path : NULL;
			if (!manifest_done && (path == NULL || strcmp(SG_EVIDENCE_MANIFEST, path) < 0)) {
				st = sg_buf_appendf(&sums, &e, "%s  %s\n", msha, SG_EVIDENCE_MANIFEST);
				manifest_done = true;
			}
			if (st == SG_OK && path != NULL)
				st = sg_buf_appendf(&sums, &e, "%s  %s\n", ev->files[i].sha256, path);
		}
	}
	if (st != SG_OK) {
		sg_buf_dispose(&sums);
		return fail(ev, err, &e);
	}
	st = write_file(ev, SG_EVIDENCE_SUMS, sums.data, sums.len, err);
	sg_buf_dispose(&sums);
	if (st != SG_OK)
		return st;
	if (manifest_sha256 != NULL)
		memcpy(manifest_sha256, msha, 65);
	return SG_OK;
}
