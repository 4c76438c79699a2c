/*
 * creds.c — the credentials record and the provider: the botocore chain,
 * profiles (assume role, web identity, files), and refresh (see sg_creds.h).
 * credential_process lives in creds_process.c, IMDS/container in creds_http.c.
 */
#include <ctype.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "creds_internal.h"
#include "sg_creds.h"
#include "sg_ini.h"
#include "sg_util.h"

void
sg_creds_init(struct sg_creds *c)
{
	memset(c, 0, sizeof(*c));
}

/* Wipe a secret string in place, then free it. */
static void
free_secret(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void
sg_creds_dispose(struct sg_creds *c)
{
	if (c == NULL)
		return;
	free(c->access_key_id);
	free_secret(c->secret_access_key);
	free_secret(c->session_token);
	free(c->account_id);
	sg_creds_init(c);
}

enum sg_status
sg_creds_copy(struct sg_creds *out, const struct sg_creds *src, struct sg_error *err)
{
	struct sg_creds c;
	bool failed = false;

	sg_creds_init(&c);
	c.access_key_id = sg_strdup_or_null(src->access_key_id, &failed);
	c.secret_access_key = sg_strdup_or_null(src->secret_access_key, &failed);
	c.session_token = sg_strdup_or_null(src->session_token, &failed);
	c.account_id = sg_strdup_or_null(src->account_id, &failed);
	c.expiration = src->expiration;
	memcpy(c.source, src->source, sizeof(c.source));
	c.source[sizeof(c.source) - 1] = '\0';
	if (failed) {
		sg_creds_dispose(&c);
		return sg_err_set(err, SG_ENOMEM, "out of memory copying credentials");
	}
	*out = c;
	return SG_OK;
}

/* ======================================================================
 * The provider: the chain, profiles, refresh.
 * ====================================================================== */

#define MAX_ROLE_CHAIN 16

struct sg_creds_provider {
	pthread_mutex_t mu;
	/* Options, strings copied. */
	char *profile;
	bool profile_explicit;   /* --profile given: the env source is skipped */
	bool profile_from_env;   /* AWS_PROFILE / AWS_DEFAULT_PROFILE */
	char *region;
	char *config_path, *config_disp;
	char *creds_path, *creds_disp;
	char *sts_endpoint_url;
	long process_timeout_ms;
	struct sg_creds_http http;
	struct sg_creds_sts sts;
	time_t (*now)(void *ctx);
	void *now_ctx;
	void (*log)(void *ctx, enum sg_creds_log_level level, const char *msg);
	void *log_ctx;
	/* Lazily loaded files (NULL when absent). */
	bool files_loaded;
	struct sg_ini *config, *creds;
	/* Config-file sections that are profiles, as botocore maps them. */
	struct cfg_profile {
		char *profile;
		const char *section; /* borrowed from config */
	} *cfg_map;
	size_t n_cfg_map;
	/* Cache. */
	bool have;
	struct sg_creds cached;
	time_t obtained;         /* when `cached` was fetched: its lifetime starts here */
	time_t next_advisory;    /* no advisory refresh before this (0 = any time) */
};

/* One resolution in progress. */
struct resolve {
	struct sg_creds_provider *p;
	time_t now;
	char tried[640];   /* "environment: not set; ..." for the final message */
};

static void
plog(const struct sg_creds_provider *p, enum sg_creds_log_level lvl, const char *fmt, ...)
    SG_PRINTF(3, 4);

static void
plog(const struct sg_creds_provider *p, enum sg_creds_log_level lvl, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->log != NULL)
		p->log(p->log_ctx, lvl, msg);
	else if (lvl == SG_CREDS_LOG_WARN)
		fprintf(stderr, "sg-audit: warning: %s\n", msg);
}

static void
tried(struct resolve *r, const char *fmt, ...) SG_PRINTF(2, 3);

static void
tried(struct resolve *r, const char *fmt, ...)
{
	size_t n = strlen(r->tried);
	va_list ap;

	if (n + 3 >= sizeof(r->tried))
		return;
	if (n > 0) {
		memcpy(r->tried + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->tried + n, sizeof(r->tried) - n, fmt, ap);
	va_end(ap);
}

static time_t
now_of(const struct sg_creds_provider *p)
{
	return p->now != NULL ? p->now(p->now_ctx) : time(NULL);
}

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && *v != '\0' ? v : NULL;
}

/* Expand a leading "~/" like os.path.expanduser. */
static char *
expand_home(const char *path)
{
	const char *home;
	char *out;
	size_t n;

	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
		return strdup(path);
	home = getenv("HOME");
	if (home == NULL || *home == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "";
	}
	n = strlen(home) + strlen(path);
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s%s", home, path + 1);
	return out;
}

/* "~/.aws/config" for a path under $HOME, for messages. */
static char *
display_path(const char *path)
{
	const char *home = getenv("HOME");
	size_t h;
	char *out;

	if (home != NULL && (h = strlen(home)) > 1 && strncmp(path, home, h) == 0 && path[h] == '/') {
		out = malloc(strlen(path) - h + 2);
		if (out != NULL)
			sprintf(out, "~%s", path + h);
		return out;
	}
	return strdup(path);
}

static enum sg_status
resolve_path(char **path, char **disp, const char *opt, const char *env, const char *def,
             struct sg_error *err)
{
	const char *v = opt != NULL ? opt : env_nonempty(env);

	*path = expand_home(v != NULL ? v : def);
	*disp = *path != NULL ? display_path(*path) : NULL;
	if (*path == NULL || *disp == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	return SG_OK;
}

static void
free_cfg_map(struct sg_creds_provider *p)
{
	size_t i;

	for (i = 0; i < p->n_cfg_map; i++)
		free(p->cfg_map[i].profile);
	free(p->cfg_map);
	p->cfg_map = NULL;
	p->n_cfg_map = 0;
}

/*
 * botocore's build_profile_map: "[default]" is the profile default; a section
 * starting with "profile" is split shell-style and names a profile when it
 * has exactly two words ('[profile "my name"]', '[profile   x]'); later
 * sections win. Anything else ([sso-session x], bare [x]) is not a profile.
 */
static enum sg_status
build_cfg_map(struct sg_creds_provider *p, struct sg_error *err)
{
	size_t i, n = sg_ini_section_count(p->config);

	if (n == 0)
		return SG_OK;
	p->cfg_map = calloc(n, sizeof(*p->cfg_map));
	if (p->cfg_map == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *sect = sg_ini_section_name(p->config, i);
		char **argv = NULL, *prof = NULL;
		size_t argc = 0, j;
		struct sg_error e2;

		sg_err_init(&e2);
		if (strcmp(sect, "default") == 0) {
			prof = strdup("default");
		} else if (strncmp(sect, "profile", 7) == 0 &&
		           sg_creds_split_command(&argv, &argc, sect, &e2) == SG_OK) {
			if (argc == 2)
				prof = strdup(argv[1]);
			sg_creds_argv_free(argv);
			if (argc != 2)
				continue;
		} else {
			continue;
		}
		if (prof == NULL)
			return sg_err_set(err, SG_ENOMEM, "out of memory");
		for (j = 0; j < p->n_cfg_map; j++)
			if (strcmp(p->cfg_map[j].profile, prof) == 0)
				break;
		if (j < p->n_cfg_map) {
			free(prof);
			p->cfg_map[j].section = sect;
		} else {
			p->cfg_map[p->n_cfg_map].profile = prof;
			p->cfg_map[p->n_cfg_map].section = sect;
			p->n_cfg_map++;
		}
	}
	return SG_OK;
}

static const char *
config_section(const struct sg_creds_provider *p, const char *profile)
{
	size_t i;

	for (i = 0; i < p->n_cfg_map; i++)
		if (strcmp(p->cfg_map[i].profile, profile) == 0)
			return p->cfg_map[i].section;
	return NULL;
}

void
sg_creds_provider_free(struct sg_creds_provider *p)
{
	if (p == NULL)
		return;
	free_cfg_map(p);
	sg_creds_dispose(&p->cached);
	sg_ini_free(p->config);
	sg_ini_free(p->creds);
	free(p->profile);
	free(p->region);
	free(p->config_path);
	free(p->config_disp);
	free(p->creds_path);
	free(p->creds_disp);
	free(p->sts_endpoint_url);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

enum sg_status
sg_creds_provider_new(struct sg_creds_provider **out, const struct sg_creds_options *opts,
                      struct sg_error *err)
{
	static const struct sg_creds_options none;
	struct sg_creds_provider *p;
	const char *prof;
	enum sg_status st;

	if (opts == NULL)
		opts = &none;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return sg_err_set(err, SG_ENOMEM, "cannot create a mutex");
	}
	if (opts->profile != NULL && *opts->profile != '\0') {
		prof = opts->profile;
		p->profile_explicit = true;
	} else if ((prof = env_nonempty("AWS_PROFILE")) != NULL ||
	           (prof = env_nonempty("AWS_DEFAULT_PROFILE")) != NULL) {
		p->profile_from_env = true;
	} else {
		prof = "default";
	}
	p->profile = strdup(prof);
	p->region = opts->region ? strdup(opts->region) : NULL;
	p->sts_endpoint_url = opts->sts_endpoint_url ? strdup(opts->sts_endpoint_url) : NULL;
	if (p->profile == NULL || (opts->region && !p->region) ||
	    (opts->sts_endpoint_url && !p->sts_endpoint_url)) {
		sg_creds_provider_free(p);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	if ((st = resolve_path(&p->config_path, &p->config_disp, opts->config_file,
	    "AWS_CONFIG_FILE", "~/.aws/config", err)) != SG_OK ||
	    (st = resolve_path(&p->creds_path, &p->creds_disp, opts->credentials_file,
	    "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", err)) != SG_OK) {
		sg_creds_provider_free(p);
		return st;
	}
	p->process_timeout_ms = opts->process_timeout_ms > 0 ? opts->process_timeout_ms :
	    SG_CREDS_PROCESS_TIMEOUT_MS;
	p->http = opts->http;
	p->sts = opts->sts;
	p->now = opts->now;
	p->now_ctx = opts->now_ctx;
	p->log = opts->log;
	p->log_ctx = opts->log_ctx;
	*out = p;
	return SG_OK;
}

/*
 * Warn (once per process and file kind) about a credentials or config file
 * that others can read. The config file is warned about only when it holds
 * a secret key: a 0644 config with just regions and role ARNs is normal and
 * harmless, and warning on it would teach people to ignore the warning.
 */
enum perm_kind { PERM_CREDENTIALS, PERM_CONFIG };

static bool
ini_holds_secret(const struct sg_ini *ini)
{
	size_t i, n = ini ? sg_ini_section_count(ini) : 0;

	for (i = 0; i < n; i++)
		if (sg_ini_get(ini, sg_ini_section_name(ini, i), "aws_secret_access_key", NULL) != NULL)
			return true;
	return false;
}

static void
check_permissions(const struct sg_creds_provider *p, enum perm_kind kind, const char *path,
                  const char *disp)
{
	static pthread_mutex_t once_mu = PTHREAD_MUTEX_INITIALIZER;
	static bool warned[2];
	struct stat sb;
	bool warn = false;

	/* Only regular files: /dev/null (how tests and CI switch the file off)
	 * is world-readable and holds nothing. */
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || (sb.st_mode & (S_IRGRP | S_IROTH)) == 0)
		return;
	if (kind == PERM_CONFIG && !ini_holds_secret(p->config))
		return;
	pthread_mutex_lock(&once_mu);
	if (!warned[kind])
		warned[kind] = warn = true;
	pthread_mutex_unlock(&once_mu);
	if (warn)
		plog(p, SG_CREDS_LOG_WARN,
		    "%s is readable by %s (mode %04o); it holds secret keys: chmod 600 %s",
		    disp, (sb.st_mode & S_IROTH) ? "others" : "its group",
		    (unsigned)(sb.st_mode & 07777), disp);
}

static enum sg_status
load_files(struct sg_creds_provider *p, struct sg_error *err)
{
	struct sg_error e2;
	enum sg_status st;

	if (p->files_loaded)
		return SG_OK;
	sg_err_init(&e2);
	st = sg_ini_load(&p->config, p->config_path, p->config_disp, &e2);
	if (st == SG_ENOTFOUND) {
		p->config = NULL;
	} else if (st != SG_OK) {
		return sg_err_set(err, st, "%s", e2.msg);
	} else {
		check_permissions(p, PERM_CONFIG, p->config_path, p->config_disp);
	}
	sg_err_init(&e2);
	st = sg_ini_load(&p->creds, p->creds_path, p->creds_disp, &e2);
	if (st == SG_ENOTFOUND) {
		p->creds = NULL;
	} else if (st != SG_OK) {
		sg_ini_free(p->config);
		p->config = NULL;
		return sg_err_set(err, st, "%s", e2.msg);
	} else {
		check_permissions(p, PERM_CREDENTIALS, p->creds_path, p->creds_disp);
	}
	if ((st = build_cfg_map(p, err)) != SG_OK) {
		free_cfg_map(p);
		sg_ini_free(p->config);
		sg_ini_free(p->creds);
		p->config = p->creds = NULL;
		return st;
	}
	p->files_loaded = true;
	return SG_OK;
}

/* A key of a profile in the config file ([profile NAME] / [default]). */
static const char *
config_get(const struct sg_creds_provider *p, const char *name, const char *key)
{
	const char *sect = config_section(p, name);

	return sect != NULL ? sg_ini_get(p->config, sect, key, NULL) : NULL;
}

static const char *
credsfile_get(const struct sg_creds_provider *p, const char *name, const char *key)
{
	if (p->creds == NULL || !sg_ini_has_section(p->creds, name))
		return NULL;
	return sg_ini_get(p->creds, name, key, NULL);
}

/* botocore's merged profile: the credentials file wins over the config file. */
static const char *
prof_get(const struct sg_creds_provider *p, const char *name, const char *key)
{
	const char *v = credsfile_get(p, name, key);
	return v != NULL ? v : config_get(p, name, key);
}

static bool
prof_exists(const struct sg_creds_provider *p, const char *name)
{
	return sg_ini_has_section(p->creds, name) || config_section(p, name) != NULL;
}

static bool
nonempty(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Fill a record from static strings (copied). */
static enum sg_status
creds_static(struct sg_creds *out, const char *akid, const char *secret, const char *token,
             const char *account, struct sg_error *err)
{
	struct sg_creds c;

	sg_creds_init(&c);
	c.access_key_id = strdup(akid);
	c.secret_access_key = strdup(secret);
	c.session_token = nonempty(token) ? strdup(token) : NULL;
	c.account_id = nonempty(account) ? strdup(account) : NULL;
	if (!c.access_key_id || !c.secret_access_key || (nonempty(token) && !c.session_token) ||
	    (nonempty(account) && !c.account_id)) {
		sg_creds_dispose(&c);
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	}
	sg_creds_dispose(out);
	*out = c;
	return SG_OK;
}

/* ---- environment ---- */

static enum sg_status
src_env(struct resolve *r, struct sg_creds *out, bool *found, struct sg_error *err)
{
	const char *akid = env_nonempty("AWS_ACCESS_KEY_ID");
	const char *secret = env_nonempty("AWS_SECRET_ACCESS_KEY");
	const char *token = env_nonempty("AWS_SESSION_TOKEN");
	const char *exp = env_nonempty("AWS_CREDENTIAL_EXPIRATION");
	enum sg_status st;

	*found = false;
	if (token == NULL)
		token = env_nonempty("AWS_SECURITY_TOKEN");
	if (akid == NULL) {
		tried(r, "environment: AWS_ACCESS_KEY_ID not set");
		return SG_OK;
	}
	if (secret == NULL)
		return sg_err_set(err, SG_ECREDS,
		    "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
	if ((st = creds_static(out, akid, secret, token, env_nonempty("AWS_ACCOUNT_ID"), err)) != SG_OK)
		return st;
	if (exp != NULL && !sg_time_parse_iso8601(exp, &out->expiration)) {
		sg_creds_dispose(out);
		return sg_err_set(err, SG_ECREDS,
		    "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 UTC time (like 2024-05-01T13:05:00Z)");
	}
	sg_creds_set_source(out, "environment");
	*found = true;
	return SG_OK;
}

/* ---- static keys in a file ---- */

static enum sg_status
src_file_keys(struct resolve *r, const char *name, bool config_file, struct sg_creds *out,
              bool *found, struct sg_error *err)
{
	const struct sg_creds_provider *p = r->p;
	const char *(*get)(const struct sg_creds_provider *, const char *, const char *) =
	    config_file ? config_get : credsfile_get;
	const char *akid = get(p, name, "aws_access_key_id");
	const char *secret = get(p, name, "aws_secret_access_key");
	const char *token = get(p, name, "aws_session_token");
	const char *disp = config_file ? p->config_disp : p->creds_disp;
	enum sg_status st;

	*found = false;
	if (token == NULL)
		token = get(p, name, "aws_security_token");
	if (!nonempty(akid)) {
		tried(r, "profile %s: no keys in %s", name, disp);
		return SG_OK;
	}
	if (!nonempty(secret))
		return sg_err_set(err, SG_ECREDS,
		    "%s: profile %s has aws_access_key_id but no aws_secret_access_key", disp, name);
	if ((st = creds_static(out, akid, secret, token, get(p, name, "aws_account_id"), err)) != SG_OK)
		return st;
	sg_creds_set_source(out, "profile %s (%s file)", name, config_file ? "config" : "credentials");
	*found = true;
	return SG_OK;
}

/* ---- HTTP sources ---- */

static void
http_debug(void *ctx, const char *msg)
{
	plog(ctx, SG_CREDS_LOG_DEBUG, "%s", msg);
}

static enum sg_status
src_http(struct resolve *r, const char *profile, bool imds, struct sg_creds *out, bool *found,
         struct sg_error *err)
{
	char reason[200] = "";
	struct sg_creds_http_ctx ctx = {
		.http = &r->p->http,
		.now = r->now,
		.why = reason,
		.why_cap = sizeof(reason),
		.imds_endpoint_cfg = prof_get(r->p, profile, "ec2_metadata_service_endpoint"),
		.imds_mode_cfg = prof_get(r->p, profile, "ec2_metadata_service_endpoint_mode"),
		.debug = http_debug,
		.debug_ctx = r->p,
	};
	enum sg_status st;

	*found = false;
	if (r->p->http.fetch == NULL) {
		if (imds && sg_creds_env_true("AWS_EC2_METADATA_DISABLED")) {
			tried(r, "imds: disabled by AWS_EC2_METADATA_DISABLED");
			return SG_OK;
		}
		if (!imds && !env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") &&
		    !env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
			tried(r, "container: not configured");
			return SG_OK;
		}
		/* No transport was wired in: say so rather than pretend. */
		tried(r, "%s: no HTTP transport configured", imds ? "imds" : "container");
		return SG_OK;
	}
	st = imds ? sg_creds_from_imds(&ctx, out, found, err) :
	    sg_creds_from_container(&ctx, out, found, err);
	if (st == SG_OK && !*found)
		tried(r, "%s: %s", imds ? "imds" : "container", reason);
	return st;
}

/* ---- assume role and web identity ---- */

static bool
valid_session_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalnum(c) || strchr("_+=,.@-", c) != NULL))
			return false;
	}
	return true;
}

static const char *
sts_region(struct resolve *r)
{
	const char *v;

	if (nonempty(r->p->region))
		return r->p->region;
	if ((v = env_nonempty("AWS_REGION")) != NULL || (v = env_nonempty("AWS_DEFAULT_REGION")) != NULL)
		return v;
	if (nonempty(v = prof_get(r->p, r->p->profile, "region")))
		return v;
	return "us-east-1";
}

/* Call the STS hook and label the result. */
static enum sg_status
call_sts(struct resolve *r, struct sg_creds_sts_request *req, const char *profile,
         struct sg_creds *out, struct sg_error *err)
{
	struct sg_creds c;
	enum sg_status st;
	char session[80];

	if (req->role_session_name == NULL) {
		snprintf(session, sizeof(session), "sg-audit-%lld", (long long)r->now);
		req->role_session_name = session;
	}
	req->region = sts_region(r);
	req->endpoint_url = r->p->sts_endpoint_url;
	if (r->p->sts.assume == NULL)
		return sg_err_set(err, SG_EUNSUPPORTED,
		    "profile %s assumes role %s, but no STS client is configured", profile, req->role_arn);
	plog(r->p, SG_CREDS_LOG_DEBUG, "credentials: %s %s (session %s, region %s) for profile %s",
	    req->kind == SG_CREDS_STS_ASSUME_ROLE ? "AssumeRole" : "AssumeRoleWithWebIdentity",
	    req->role_arn, req->role_session_name, req->region, profile);
	sg_creds_init(&c);
	st = r->p->sts.assume(r->p->sts.ctx, req, &c, err);
	if (st != SG_OK) {
		sg_creds_dispose(&c);
		sg_err_prefix(err, "profile %s: %s %s: ", profile,
		    req->kind == SG_CREDS_STS_ASSUME_ROLE ? "AssumeRole" : "AssumeRoleWithWebIdentity",
		    req->role_arn);
		return st;
	}
	if (c.access_key_id == NULL || c.secret_access_key == NULL) {
		sg_creds_dispose(&c);
		return sg_err_set(err, SG_EINTERNAL, "STS hook returned no credentials");
	}
	sg_creds_set_source(&c, "%s %s",
	    req->kind == SG_CREDS_STS_ASSUME_ROLE ? "assume-role" : "web-identity", req->role_arn);
	sg_creds_dispose(out);
	*out = c;
	return SG_OK;
}

static enum sg_status
read_token_file(const char *path, char **out, struct sg_error *err)
{
	struct sg_buf b;
	struct sg_error e2;
	char *exp;
	enum sg_status st;

	sg_buf_init_secret(&b, SG_CREDS_TOKEN_MAX_BYTES);
	sg_err_init(&e2);
	exp = expand_home(path);
	if (exp == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	st = sg_file_read(exp, &b, false, &e2);
	free(exp);
	if (st != SG_OK)
		return sg_err_set(err, SG_ECREDS, "web identity token file %s", e2.msg);
	while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (b.len == 0) {
		sg_buf_dispose(&b);
		return sg_err_set(err, SG_ECREDS, "web identity token file %s is empty", path);
	}
	*out = sg_buf_detach(&b, NULL);
	sg_buf_dispose(&b);
	return *out ? SG_OK : sg_err_set(err, SG_ENOMEM, "out of memory");
}

/*
 * Web identity: role_arn + web_identity_token_file from the environment
 * (unless a profile was named explicitly) or the profile, key by key, as
 * botocore does.
 */
static enum sg_status
src_web_identity(struct resolve *r, const char *profile, bool use_env, struct sg_creds *out,
                 bool *found, struct sg_error *err)
{
	const char *arn = use_env ? env_nonempty("AWS_ROLE_ARN") : NULL;
	const char *file = use_env ? env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
	const char *session = use_env ? env_nonempty("AWS_ROLE_SESSION_NAME") : NULL;
	struct sg_creds_sts_request req;
	char *token = NULL;
	enum sg_status st;

	*found = false;
	if (arn == NULL)
		arn = prof_get(r->p, profile, "role_arn");
	if (file == NULL)
		file = prof_get(r->p, profile, "web_identity_token_file");
	if (session == NULL)
		session = prof_get(r->p, profile, "role_session_name");
	if (!nonempty(arn) || !nonempty(file))
		return SG_OK;
	if (nonempty(session) && !valid_session_name(session))
		return sg_err_set(err, SG_ECONFIG,
		    "profile %s: role_session_name must be 2-64 characters of [A-Za-z0-9_+=,.@-]", profile);
	if ((st = read_token_file(file, &token, err)) != SG_OK)
		return st;
	memset(&req, 0, sizeof(req));
	req.kind = SG_CREDS_STS_ASSUME_ROLE_WITH_WEB_IDENTITY;
	req.role_arn = arn;
	req.role_session_name = nonempty(session) ? session : NULL;
	req.web_identity_token = token;
	st = call_sts(r, &req, profile, out, err);
	OPENSSL_cleanse(token, strlen(token));
	free(token);
	if (st == SG_OK)
		*found = true;
	return st;
}

static enum sg_status
sso_or_mfa_message(const char *profile, bool sso, const char *mfa, struct sg_error *err)
{
	if (sso)
		return sg_err_set(err, SG_EUNSUPPORTED,
		    "profile %s uses IAM Identity Center (SSO), which sg-audit does not read directly. "
		    "Run 'aws sso login --profile %s', then either export the credentials "
		    "(eval \"$(aws configure export-credentials --profile %s --format env)\") or add "
		    "'credential_process = aws configure export-credentials --profile %s' to a profile "
		    "and use that one", profile, profile, profile, profile);
	return sg_err_set(err, SG_EUNSUPPORTED,
	    "profile %s sets mfa_serial (%s): sg-audit cannot prompt for an MFA code. Get temporary "
	    "credentials first (aws sts get-session-token --serial-number %s --token-code CODE, or "
	    "'aws configure export-credentials --profile %s --format env' after an interactive "
	    "aws call) and export them, or use a role that does not require MFA",
	    profile, mfa, mfa, profile);
}

static bool
has_sso(const struct sg_creds_provider *p, const char *profile)
{
	return nonempty(prof_get(p, profile, "sso_session")) ||
	    nonempty(prof_get(p, profile, "sso_start_url")) ||
	    nonempty(prof_get(p, profile, "sso_account_id"));
}

static bool
has_static(const struct sg_creds_provider *p, const char *profile)
{
	return nonempty(prof_get(p, profile, "aws_access_key_id"));
}

static bool
is_assume_role_profile(const struct sg_creds_provider *p, const char *profile)
{
	return nonempty(prof_get(p, profile, "role_arn")) &&
	    !nonempty(prof_get(p, profile, "web_identity_token_file"));
}

static enum sg_status profile_providers(struct resolve *r, const char *profile, bool use_env,
                                        struct sg_creds *out, bool *found, struct sg_error *err);

struct visited {
	const char *names[MAX_ROLE_CHAIN];
	size_t n;
};

static enum sg_status
src_assume_role(struct resolve *r, const char *profile, struct visited *v, struct sg_creds *out,
                struct sg_error *err)
{
	const struct sg_creds_provider *p = r->p;
	const char *arn = prof_get(p, profile, "role_arn");
	const char *src = prof_get(p, profile, "source_profile");
	const char *csrc = prof_get(p, profile, "credential_source");
	const char *mfa = prof_get(p, profile, "mfa_serial");
	const char *session = prof_get(p, profile, "role_session_name");
	const char *ext = prof_get(p, profile, "external_id");
	const char *dur = prof_get(p, profile, "duration_seconds");
	struct sg_creds_sts_request req;
	struct sg_creds source;
	bool found = false;
	long duration = 0;
	size_t i;
	enum sg_status st;

	if (nonempty(mfa))
		return sso_or_mfa_message(profile, false, mfa, err);
	if (nonempty(src) && nonempty(csrc))
		return sg_err_set(err, SG_ECONFIG,
		    "profile %s sets both source_profile and credential_source; keep one", profile);
	if (!nonempty(src) && !nonempty(csrc))
		return sg_err_set(err, SG_ECONFIG,
		    "profile %s has role_arn but neither source_profile nor credential_source", profile);
	if (nonempty(session) && !valid_session_name(session))
		return sg_err_set(err, SG_ECONFIG,
		    "profile %s: role_session_name must be 2-64 characters of [A-Za-z0-9_+=,.@-]", profile);
	if (nonempty(dur) && !sg_parse_long(sg_str_from(dur), 900, 43200, &duration))
		return sg_err_set(err, SG_ECONFIG,
		    "profile %s: duration_seconds must be a whole number from 900 to 43200", profile);
	if (nonempty(ext) && (strlen(ext) < 2 || strlen(ext) > 1224))
		return sg_err_set(err, SG_ECONFIG, "profile %s: external_id must be 2-1224 characters",
		    profile);
	if (v->n >= MAX_ROLE_CHAIN)
		return sg_err_set(err, SG_ECONFIG, "profile %s: role chain longer than %d profiles",
		    profile, MAX_ROLE_CHAIN);
	v->names[v->n++] = profile;

	sg_creds_init(&source);
	if (nonempty(csrc)) {
		if (strcmp(csrc, "Environment") == 0)
			st = src_env(r, &source, &found, err);
		else if (strcmp(csrc, "Ec2InstanceMetadata") == 0)
			st = src_http(r, profile, true, &source, &found, err);
		else if (strcmp(csrc, "EcsContainer") == 0)
			st = src_http(r, profile, false, &source, &found, err);
		else
			return sg_err_set(err, SG_ECONFIG,
			    "profile %s: credential_source '%.40s' is not one of Environment, "
			    "Ec2InstanceMetadata, EcsContainer", profile, csrc);
		if (st != SG_OK)
			goto done;
		if (!found) {
			st = sg_err_set(err, SG_ECREDS,
			    "profile %s: credential_source %s provided no credentials (%s)", profile, csrc,
			    r->tried);
			goto done;
		}
	} else {
		if (!prof_exists(p, src)) {
			st = sg_err_set(err, SG_ENOTFOUND,
			    "profile %s: source_profile '%.64s' does not exist in %s or %s", profile, src,
			    p->config_disp, p->creds_disp);
			goto done;
		}
		for (i = 0; i < v->n; i++) {
			if (strcmp(v->names[i], src) != 0)
				continue;
			/* A profile may name itself when it holds the keys. */
			if (strcmp(src, profile) == 0 && has_static(p, src))
				break;
			st = sg_err_set(err, SG_ECONFIG,
			    "profile %s: source_profile '%s' makes a loop", profile, src);
			goto done;
		}
		if (has_static(p, src) || !is_assume_role_profile(p, src)) {
			/* The source profile's own credentials (not its role). */
			st = profile_providers(r, src, false, &source, &found, err);
			if (st == SG_OK && !found)
				st = sg_err_set(err, SG_ECREDS,
				    "profile %s: source_profile %s has no credentials", profile, src);
		} else {
			st = src_assume_role(r, src, v, &source, err);
		}
		if (st != SG_OK)
			goto done;
	}
	memset(&req, 0, sizeof(req));
	req.kind = SG_CREDS_STS_ASSUME_ROLE;
	req.source = &source;
	req.role_arn = arn;
	req.role_session_name = nonempty(session) ? session : NULL;
	req.external_id = nonempty(ext) ? ext : NULL;
	req.duration_seconds = duration;
	st = call_sts(r, &req, profile, out, err);
done:
	sg_creds_dispose(&source);
	return st;
}

/*
 * A profile's own sources, in botocore's ProfileProviderBuilder order: web
 * identity, SSO, the credentials file, credential_process, config file keys.
 */
static enum sg_status
profile_providers(struct resolve *r, const char *profile, bool use_env, struct sg_creds *out,
                  bool *found, struct sg_error *err)
{
	const struct sg_creds_provider *p = r->p;
	const char *proc;
	enum sg_status st;

	*found = false;
	if ((st = src_web_identity(r, profile, use_env, out, found, err)) != SG_OK || *found)
		return st;
	if (has_sso(p, profile))
		return sso_or_mfa_message(profile, true, NULL, err);
	if ((st = src_file_keys(r, profile, false, out, found, err)) != SG_OK || *found)
		return st;
	proc = prof_get(p, profile, "credential_process");
	if (nonempty(proc)) {
		plog(p, SG_CREDS_LOG_DEBUG, "credentials: running credential_process for profile %s",
		    profile);
		st = sg_creds_run_process(out, proc, profile, p->process_timeout_ms, err);
		if (st == SG_OK)
			*found = true;
		return st;
	}
	return src_file_keys(r, profile, true, out, found, err);
}

/* The whole chain. */
static enum sg_status
resolve_chain(struct resolve *r, struct sg_creds *out, struct sg_error *err)
{
	struct sg_creds_provider *p = r->p;
	const char *profile = p->profile;
	bool found = false;
	enum sg_status st;

	if ((st = load_files(p, err)) != SG_OK)
		return st;
	if (!p->profile_explicit) {
		if ((st = src_env(r, out, &found, err)) != SG_OK || found)
			return st;
	} else {
		tried(r, "environment: skipped (--profile given)");
	}
	if (!prof_exists(p, profile) && (p->profile_explicit || p->profile_from_env))
		return sg_err_set(err, SG_ENOTFOUND, "profile '%s' not found in %s or %s", profile,
		    p->config_disp, p->creds_disp);
	if (is_assume_role_profile(p, profile)) {
		struct visited v = { .n = 0 };
		return src_assume_role(r, profile, &v, out, err);
	}
	if ((st = profile_providers(r, profile, !p->profile_explicit, out, &found, err)) != SG_OK ||
	    found)
		return st;
	if ((st = src_http(r, profile, false, out, &found, err)) != SG_OK || found)
		return st;
	if ((st = src_http(r, profile, true, out, &found, err)) != SG_OK || found)
		return st;
	return sg_err_set(err, SG_ECREDS, "no AWS credentials found for profile %s (tried: %s)",
	    profile, r->tried);
}

/* Resolve afresh into *out; p->mu held. */
static enum sg_status
resolve_locked(struct sg_creds_provider *p, time_t now, struct sg_creds *out, struct sg_error *err)
{
	struct resolve r;
	struct sg_creds c;
	enum sg_status st;

	memset(&r, 0, sizeof(r));
	r.p = p;
	r.now = now;
	sg_creds_init(&c);
	st = resolve_chain(&r, &c, err);
	if (st != SG_OK) {
		sg_creds_dispose(&c);
		return st;
	}
	if (c.expiration != 0 && c.expiration <= now) {
		char when[32];
		sg_time_iso8601(c.expiration, when, sizeof(when));
		st = sg_err_set(err, SG_ECREDS, "credentials from %s expired at %s", c.source, when);
		sg_creds_dispose(&c);
		return st;
	}
	plog(p, SG_CREDS_LOG_DEBUG, "credentials: resolved from %s%s", c.source,
	    c.expiration ? " (temporary)" : "");
	*out = c;
	return SG_OK;
}

/*
 * Refresh windows sized to the credentials' lifetime (expiration minus the
 * time we obtained them). Fixed 15/10-minute windows would make credentials
 * that live 15 minutes or less (duration_seconds = 900, the AWS minimum, or a
 * credential_process handing out short ones) "due" on every request, so every
 * API call would fetch new ones first.
 */
static time_t
advisory_window(time_t lifetime)
{
	time_t w = lifetime > 0 ? lifetime / 2 : 0;
	return w < SG_CREDS_ADVISORY_REFRESH_S ? w : SG_CREDS_ADVISORY_REFRESH_S;
}

static time_t
mandatory_window(time_t lifetime)
{
	time_t w = lifetime > 0 ? lifetime / 4 : 0;
	return w < SG_CREDS_MANDATORY_REFRESH_S ? w : SG_CREDS_MANDATORY_REFRESH_S;
}

enum sg_status
sg_creds_provider_get(struct sg_creds_provider *p, struct sg_creds *out, struct sg_error *err)
{
	struct sg_creds fresh;
	struct sg_error e2;
	time_t now, left, lifetime;
	enum sg_status st;

	pthread_mutex_lock(&p->mu);
	now = now_of(p);
	left = p->have ? p->cached.expiration - now : 0;
	lifetime = p->have ? p->cached.expiration - p->obtained : 0;
	if (p->have && p->cached.expiration != 0 && left <= advisory_window(lifetime) &&
	    (left <= mandatory_window(lifetime) || now >= p->next_advisory)) {
		bool mandatory = left <= mandatory_window(lifetime);
		sg_creds_init(&fresh);
		sg_err_init(&e2);
		st = resolve_locked(p, now, &fresh, &e2);
		if (st == SG_OK) {
			/*
			 * The source may hand back credentials that are no fresher
			 * (a credential_process with its own cache, IMDS on a bad
			 * day). Their windows restart from now, so they are not due
			 * again at once; and no advisory retry for 30 s either.
			 */
			if (fresh.expiration != 0 &&
			    fresh.expiration - now <= advisory_window(lifetime))
				p->next_advisory = now + SG_CREDS_ADVISORY_RETRY_S;
			else
				p->next_advisory = 0;
			sg_creds_dispose(&p->cached);
			p->cached = fresh;
			p->obtained = now;
		} else if (mandatory) {
			/* Keep the cache: an invalidate-free retry may still succeed. */
			sg_err_set(err, st, "%s", e2.msg);
			if (e2.aws_code[0] || e2.http_status)
				sg_err_set_aws(err, e2.http_status, e2.aws_code, e2.request_id);
			pthread_mutex_unlock(&p->mu);
			return st;
		} else {
			p->next_advisory = now + SG_CREDS_ADVISORY_RETRY_S;
			plog(p, SG_CREDS_LOG_DEBUG,
			    "credentials: advisory refresh failed, keeping the current ones: %s", e2.msg);
		}
	} else if (!p->have) {
		sg_creds_init(&fresh);
		st = resolve_locked(p, now, &fresh, err);
		if (st != SG_OK) {
			pthread_mutex_unlock(&p->mu);
			return st;
		}
		p->cached = fresh;
		p->have = true;
		p->obtained = now;
		p->next_advisory = 0;
	}
	st = sg_creds_copy(out, &p->cached, err);
	pthread_mutex_unlock(&p->mu);
	return st;
}

void
sg_creds_provider_invalidate(struct sg_creds_provider *p)
{
	pthread_mutex_lock(&p->mu);
	sg_creds_dispose(&p->cached);
	p->have = false;
	p->next_advisory = 0;
	pthread_mutex_unlock(&p->mu);
}

const char *
sg_creds_provider_profile(const struct sg_creds_provider *p)
{
	return p->profile;
}

enum sg_status
sg_creds_provider_profile_value(struct sg_creds_provider *p, const char *key, char **out,
                                struct sg_error *err)
{
	const char *v;
	enum sg_status st;

	pthread_mutex_lock(&p->mu);
	if ((st = load_files(p, err)) == SG_OK) {
		v = prof_get(p, p->profile, key);
		if (v == NULL) {
			st = SG_ENOTFOUND;
		} else if ((*out = strdup(v)) == NULL) {
			st = sg_err_set(err, SG_ENOMEM, "out of memory");
		}
	}
	pthread_mutex_unlock(&p->mu);
	return st;
}

enum sg_status
sg_creds_resolve(struct sg_creds *out, const struct sg_creds_options *opts, struct sg_error *err)
{
	struct sg_creds_provider *p;
	enum sg_status st;

	if ((st = sg_creds_provider_new(&p, opts, err)) != SG_OK)
		return st;
	st = sg_creds_provider_get(p, out, err);
	sg_creds_provider_free(p);
	return st;
}
