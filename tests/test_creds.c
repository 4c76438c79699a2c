/* test_creds.c — the credentials chain: order, profiles, assume role,
 * credential_process, container, IMDSv2, refresh windows, and secrets kept
 * out of every message. HTTP and STS are fakes; nothing leaves the process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../src/creds_internal.h"
#include "sg_creds.h"
#include "sg_util.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
#define TOKEN "IQoJb3JpZ2luX2VjSESSIONTOKENEXAMPLE=="

static char tmpdir[64];

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_ACCOUNT_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ROLE_ARN",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME", "AWS_REGION",
	"AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_EC2_METADATA_V1_DISABLED",
	"AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
};

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static const char *
tpath(const char *name)
{
	static char buf[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmpdir, name);
	return buf[i];
}

static int
setup(void **state)
{
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(aws_vars) / sizeof(aws_vars[0]); i++)
		unsetenv(aws_vars[i]);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-creds-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	setenv("HOME", tmpdir, 1);
	/* No test may ever reach a real metadata service. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", tpath("config"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", tpath("credentials"), 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	(void)state;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* ---- fakes ---- */

static time_t fake_now = 1700000000;

static time_t
clock_fn(void *ctx)
{
	(void)ctx;
	return fake_now;
}

struct log_capture {
	char text[4096];
	int warnings;
};

static void
log_fn(void *ctx, enum sg_creds_log_level level, const char *msg)
{
	struct log_capture *c = ctx;
	size_t n = strlen(c->text);
	if (level == SG_CREDS_LOG_WARN)
		c->warnings++;
	snprintf(c->text + n, sizeof(c->text) - n, "%s\n", msg);
}

struct fake_sts {
	int calls;
	enum sg_status fail;          /* return this instead of credentials */
	long expires_in;              /* seconds from fake_now; 0 = 3600 */
	time_t fixed_expiration;      /* nonzero: always this expiration (a caching source) */
	char kinds[8][16];
	char arns[8][128];
	char sessions[8][80];
	char externals[8][80];
	char source_keys[8][64];
	char tokens[8][64];
	char regions[8][32];
	long durations[8];
	pthread_mutex_t mu;
};

static enum sg_status
sts_fn(void *ctx, const struct sg_creds_sts_request *req, struct sg_creds *out,
       struct sg_error *err)
{
	struct fake_sts *f = ctx;
	int i;
	char akid[64];

	pthread_mutex_lock(&f->mu);
	i = f->calls++ % 8;
	pthread_mutex_unlock(&f->mu);
	if (f->fail != SG_OK) {
		sg_err_set_aws(err, 403, "AccessDenied", "req-1");
		return sg_err_set(err, f->fail, "not authorized");
	}
	snprintf(f->kinds[i], sizeof(f->kinds[i]), "%s",
	    req->kind == SG_CREDS_STS_ASSUME_ROLE ? "role" : "web");
	snprintf(f->arns[i], sizeof(f->arns[i]), "%s", req->role_arn);
	snprintf(f->sessions[i], sizeof(f->sessions[i]), "%s", req->role_session_name);
	snprintf(f->externals[i], sizeof(f->externals[i]), "%s",
	    req->external_id ? req->external_id : "");
	snprintf(f->source_keys[i], sizeof(f->source_keys[i]), "%s",
	    req->source ? req->source->access_key_id : "");
	snprintf(f->tokens[i], sizeof(f->tokens[i]), "%s",
	    req->web_identity_token ? req->web_identity_token : "");
	snprintf(f->regions[i], sizeof(f->regions[i]), "%s", req->region);
	f->durations[i] = req->duration_seconds;
	snprintf(akid, sizeof(akid), "ASIAROLE%d", f->calls);
	out->access_key_id = strdup(akid);
	out->secret_access_key = strdup(SECRET);
	out->session_token = strdup(TOKEN);
	out->expiration = f->fixed_expiration ? f->fixed_expiration
	    : fake_now + (f->expires_in ? f->expires_in : 3600);
	return SG_OK;
}

struct fake_route {
	const char *method;
	const char *url;     /* exact */
	long status;         /* 0 = connection failure */
	const char *body;
	const char *need_header; /* a header that must be present, or NULL */
};

struct fake_http {
	const struct fake_route *routes;
	size_t n;
	int calls;
	char log[2048];
};

static enum sg_status
http_fn(void *ctx, const struct sg_creds_http_request *req, long *status, struct sg_buf *body,
        struct sg_error *err)
{
	struct fake_http *f = ctx;
	size_t i, n = strlen(f->log);

	f->calls++;
	snprintf(f->log + n, sizeof(f->log) - n, "%s %s\n", req->method, req->url);
	for (i = 0; i < f->n; i++) {
		const struct fake_route *r = &f->routes[i];
		bool hdr_ok = r->need_header == NULL;
		size_t h;
		if (strcmp(r->method, req->method) != 0 || strcmp(r->url, req->url) != 0)
			continue;
		for (h = 0; req->headers && req->headers[h] && !hdr_ok; h++)
			hdr_ok = strcmp(req->headers[h], r->need_header) == 0;
		if (!hdr_ok) {
			*status = 401;
			return SG_OK;
		}
		if (r->status == 0)
			return sg_err_set(err, SG_ETIMEOUT, "%s: timed out", req->url);
		*status = r->status;
		return sg_buf_append_str(body, r->body, err);
	}
	*status = 404;
	return SG_OK;
}

static struct sg_creds_options
opts_with(struct fake_sts *sts, struct fake_http *http, struct log_capture *log)
{
	struct sg_creds_options o;

	memset(&o, 0, sizeof(o));
	o.now = clock_fn;
	if (sts != NULL) {
		o.sts.assume = sts_fn;
		o.sts.ctx = sts;
	}
	if (http != NULL) {
		o.http.fetch = http_fn;
		o.http.ctx = http;
	}
	if (log != NULL) {
		o.log = log_fn;
		o.log_ctx = log;
	}
	return o;
}

static enum sg_status
resolve(const struct sg_creds_options *o, struct sg_creds *c, struct sg_error *err)
{
	sg_err_init(err);
	sg_creds_init(c);
	return sg_creds_resolve(c, o, err);
}

static void
assert_no_secret(const char *s)
{
	if (strstr(s, SECRET) || strstr(s, TOKEN) || strstr(s, "wJalr") || strstr(s, "IQoJ"))
		fail_msg("a secret leaked into: %s", s);
}

/* ---- record ---- */

static void
copy_and_dispose_wipe(void **state)
{
	struct sg_creds a, b;
	struct sg_error err;
	(void)state;

	sg_creds_init(&a);
	a.access_key_id = strdup("AKID");
	a.secret_access_key = strdup(SECRET);
	a.session_token = strdup(TOKEN);
	a.expiration = 42;
	snprintf(a.source, sizeof(a.source), "environment");
	sg_err_init(&err);
	assert_int_equal(sg_creds_copy(&b, &a, &err), SG_OK);
	sg_creds_dispose(&a);
	assert_null(a.secret_access_key);
	assert_string_equal(b.secret_access_key, SECRET);
	assert_string_equal(b.session_token, TOKEN);
	assert_null(b.account_id);
	assert_int_equal(b.expiration, 42);
	assert_string_equal(b.source, "environment");
	sg_creds_dispose(&b);
	sg_creds_dispose(&b);
	sg_creds_dispose(NULL);
}

/* ---- environment and files ---- */

static void
env_beats_profile_files(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	write_file("credentials", "[default]\naws_access_key_id = FILEKEY\n"
	    "aws_secret_access_key = " SECRET "\n", 0600);
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	setenv("AWS_PROFILE", "default", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ENVKEY");
	assert_string_equal(c.session_token, TOKEN);
	assert_string_equal(c.source, "environment");
	assert_int_equal(c.expiration, 0);
	sg_creds_dispose(&c);

	/* --profile removes the environment source, like the AWS CLI. */
	o.profile = "default";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "FILEKEY");
	assert_null(c.session_token);
	assert_string_equal(c.source, "profile default (credentials file)");
	sg_creds_dispose(&c);
}

static void
env_partial_is_an_error(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "AWS_SECRET_ACCESS_KEY is not"));
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", "soon", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "AWS_CREDENTIAL_EXPIRATION"));
	assert_no_secret(err.msg);
}

static void
profile_sections_config_vs_credentials(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	write_file("config",
	    "[default]\nregion = eu-west-1\n"
	    "[profile cfg]\naws_access_key_id = CFGKEY\naws_secret_access_key = " SECRET "\n"
	    "region = eu-central-1\n"
	    "[bare]\naws_access_key_id = NOTAPROFILE\naws_secret_access_key = x\n"
	    "[profile both]\naws_access_key_id = CFGBOTH\naws_secret_access_key = y\n"
	    "region = ap-south-1\n", 0600);
	write_file("credentials",
	    "[both]\naws_access_key_id = CREDBOTH\naws_secret_access_key = " SECRET "\n"
	    "aws_session_token = " TOKEN "\n", 0600);

	o.profile = "cfg";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "CFGKEY");
	assert_string_equal(c.source, "profile cfg (config file)");
	sg_creds_dispose(&c);

	/* The credentials file wins for the same profile. */
	o.profile = "both";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "CREDBOTH");
	assert_string_equal(c.session_token, TOKEN);
	sg_creds_dispose(&c);

	/* A bare [bare] in the config file is not a profile. */
	o.profile = "bare";
	assert_int_equal(resolve(&o, &c, &err), SG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "profile 'bare' not found in"));

	/* AWS_PROFILE naming a missing profile is an error too. */
	o.profile = NULL;
	setenv("AWS_PROFILE", "nosuch", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ENOTFOUND);
	unsetenv("AWS_PROFILE");

	/* An implicit default with no keys falls through to "nothing found". */
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "no AWS credentials found for profile default"));
	assert_non_null(strstr(err.msg, "imds: disabled by AWS_EC2_METADATA_DISABLED"));
	assert_non_null(strstr(err.msg, "container: not configured"));
}

static void
profile_section_names_like_botocore(void **state)
{
	static const struct {
		const char *profile;
		const char *region; /* NULL: not a profile */
	} cases[] = {
		{ "my name", "r-quoted" },
		{ "spaced", "r-spaced" },
		{ "x", NULL },          /* [profilex] is one word */
		{ "a", NULL },          /* [profile a b] has three */
		{ "default", "r-later" },
	};
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	size_t i;
	(void)state;

	write_file("config",
	    "[profile \"my name\"]\nregion = r-quoted\n"
	    "[profile   spaced]\nregion = r-spaced\n"
	    "[profilex]\nregion = r-x\n"
	    "[profile a b]\nregion = r-ab\n"
	    "[default]\nregion = r-default\n"
	    "[profile default]\nregion = r-later\n", 0600);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sg_creds_provider *p;
		struct sg_error err;
		char *v = NULL;
		enum sg_status st;

		o.profile = cases[i].profile;
		sg_err_init(&err);
		assert_int_equal(sg_creds_provider_new(&p, &o, &err), SG_OK);
		st = sg_creds_provider_profile_value(p, "region", &v, &err);
		if (cases[i].region == NULL) {
			assert_int_equal(st, SG_ENOTFOUND);
		} else {
			assert_int_equal(st, SG_OK);
			assert_string_equal(v, cases[i].region);
		}
		free(v);
		sg_creds_provider_free(p);
	}
}

static void
profile_value_lookup(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds_provider *p;
	struct sg_error err;
	char *v = NULL;
	(void)state;

	write_file("config", "[profile x]\nregion = eu-central-1\nmax_attempts = 5\n", 0600);
	write_file("credentials", "[x]\nregion = us-west-1\n", 0600);
	o.profile = "x";
	sg_err_init(&err);
	assert_int_equal(sg_creds_provider_new(&p, &o, &err), SG_OK);
	assert_string_equal(sg_creds_provider_profile(p), "x");
	assert_int_equal(sg_creds_provider_profile_value(p, "region", &v, &err), SG_OK);
	assert_string_equal(v, "us-west-1");
	free(v);
	assert_int_equal(sg_creds_provider_profile_value(p, "max_attempts", &v, &err), SG_OK);
	assert_string_equal(v, "5");
	free(v);
	assert_int_equal(sg_creds_provider_profile_value(p, "nope", &v, &err), SG_ENOTFOUND);
	assert_int_equal(err.status, SG_OK);
	sg_creds_provider_free(p);
	sg_creds_provider_free(NULL);
}

static void
bad_file_names_file_and_line(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	write_file("config", "[default]\nregion = x\n[profile x\n", 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_ECONFIG);
	assert_string_equal(err.msg, "~/config line 3: section header '[profile x' is not terminated");
	write_file("config", "[default]\r\nregion = x\r\n", 0600);
	write_file("credentials", "[default]\naws_access_key_id = A\naws_access_key_id = B\n", 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_ECONFIG);
	assert_non_null(strstr(err.msg, "~/credentials line 3: key 'aws_access_key_id' in section "
	    "[default] repeats line 2"));
}

static void
group_readable_credentials_warn_once(void **state)
{
	struct log_capture log;
	struct sg_creds_options o = opts_with(NULL, NULL, &log);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	memset(&log, 0, sizeof(log));
	/* /dev/null (world-readable, empty) is how tests switch the file off: no warning. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_ACCESS_KEY_ID", "K", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	sg_creds_dispose(&c);
	assert_int_equal(log.warnings, 0);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_SHARED_CREDENTIALS_FILE", tpath("credentials"), 1);
	write_file("credentials", "[default]\naws_access_key_id = K\naws_secret_access_key = "
	    SECRET "\n", 0644);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	sg_creds_dispose(&c);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	sg_creds_dispose(&c);
	assert_int_equal(log.warnings, 1);
	assert_non_null(strstr(log.text, "~/credentials is readable by others (mode 0644)"));
	assert_non_null(strstr(log.text, "chmod 600"));
	assert_no_secret(log.text);
}

/* A group/other-readable config file is harmless until it holds a secret
 * key; then it gets the same warning as the credentials file, once. */
static void
readable_config_with_secret_warns_once(void **state)
{
	struct log_capture log;
	struct sg_creds_options o = opts_with(NULL, NULL, &log);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	memset(&log, 0, sizeof(log));
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	write_file("config", "[default]\nregion = eu-west-1\n[profile other]\n"
	    "aws_access_key_id = K\naws_secret_access_key = " SECRET "\n", 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_int_equal(log.warnings, 0);
	write_file("config", "[default]\nregion = eu-west-1\n", 0644);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_int_equal(log.warnings, 0);
	write_file("config", "[default]\nregion = eu-west-1\n[profile other]\n"
	    "aws_access_key_id = K\naws_secret_access_key = " SECRET "\n", 0640);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_int_equal(log.warnings, 1);
	assert_non_null(strstr(log.text, "config is readable by its group (mode 0640)"));
	assert_non_null(strstr(log.text, "chmod 600"));
	assert_no_secret(log.text);
	setenv("AWS_SHARED_CREDENTIALS_FILE", tpath("credentials"), 1);
}

/* ---- credential_process ---- */

struct split_case {
	const char *cmd;
	int argc;
	const char *argv[5];
};

static void
split_command_like_shlex(void **state)
{
	static const struct split_case cases[] = {
		{ "/bin/helper", 1, { "/bin/helper" } },
		{ "  a   b\tc ", 3, { "a", "b", "c" } },
		{ "get --role \"Security Audit\"", 3, { "get", "--role", "Security Audit" } },
		{ "x 'single \"q\" \\n'", 2, { "x", "single \"q\" \\n" } },
		{ "x \"a\\\"b\\\\c\\d\"", 2, { "x", "a\"b\\c\\d" } },
		{ "x a\\ b", 2, { "x", "a b" } },
		{ "x '' \"\"", 3, { "x", "", "" } },
		{ "x a\"b c\"d", 2, { "x", "ab cd" } },
	};
	static const char *const bad[] = { "", "   ", "x 'open", "x \"open", "x \\" };
	size_t i;
	int j;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char **argv = NULL;
		size_t argc = 0;
		struct sg_error err;
		sg_err_init(&err);
		assert_int_equal(sg_creds_split_command(&argv, &argc, cases[i].cmd, &err), SG_OK);
		assert_int_equal(argc, cases[i].argc);
		for (j = 0; j < cases[i].argc; j++)
			assert_string_equal(argv[j], cases[i].argv[j]);
		assert_null(argv[argc]);
		sg_creds_argv_free(argv);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char **argv = NULL;
		size_t argc = 0;
		struct sg_error err;
		sg_err_init(&err);
		assert_int_equal(sg_creds_split_command(&argv, &argc, bad[i], &err), SG_ECONFIG);
		assert_null(argv);
	}
}

static void
process_profile(const char *script, const char *extra_args)
{
	char cfg[1024];

	write_file("helper.sh", script, 0700);
	snprintf(cfg, sizeof(cfg), "[profile helper]\ncredential_process = sh '%s' %s\n",
	    tpath("helper.sh"), extra_args);
	write_file("config", cfg, 0600);
}

static void
credential_process_resolves(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	process_profile("[ \"$1\" = \"Security Audit\" ] || exit 9\n"
	    "cat <<EOF\n{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \""
	    SECRET "\",\n \"SessionToken\": \"" TOKEN "\", \"Expiration\": \"2030-05-01T13:05:00Z\","
	    " \"AccountId\": \"123456789012\"}\nEOF\n", "\"Security Audit\"");
	o.profile = "helper";
	fake_now = 1700000000;
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAPROC");
	assert_string_equal(c.secret_access_key, SECRET);
	assert_string_equal(c.session_token, TOKEN);
	assert_string_equal(c.account_id, "123456789012");
	assert_int_equal(c.expiration, 1903871100);
	assert_string_equal(c.source, "credential_process (profile helper)");
	sg_creds_dispose(&c);

	/* No Expiration: never refreshed; no SessionToken: none. */
	process_profile("echo '{\"Version\":1,\"AccessKeyId\":\"AKIA\",\"SecretAccessKey\":\"s\"}'\n",
	    "");
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_int_equal(c.expiration, 0);
	assert_null(c.session_token);
	sg_creds_dispose(&c);
}

static void
credential_process_failures_keep_stdout_secret(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	o.profile = "helper";
	/* Non-zero exit: stderr is shown (truncated), stdout never. */
	process_profile("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET
	    "\"}'\necho 'token expired, run: login' >&2\nexit 3\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "credential_process for profile 'helper': 'sh' exited with "
	    "status 3: token expired, run: login"));
	assert_no_secret(err.msg);

	/* Malformed JSON holding a secret: the message must not quote it. */
	process_profile("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET
	    "\",}'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "not a JSON object"));
	assert_no_secret(err.msg);

	process_profile("echo '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET
	    "\"}'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "must be the number 1"));
	assert_no_secret(err.msg);

	process_profile("echo '{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"x\"}'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);

	process_profile("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET
	    "\",\"Expiration\":\"tomorrow\"}'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "Expiration is not an ISO 8601"));
	assert_no_secret(err.msg);

	process_profile("echo '{\"Version\":1,\"SecretAccessKey\":\"" SECRET "\"}'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "lacks AccessKeyId"));

	/* Already expired. */
	process_profile("echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"" SECRET
	    "\",\"Expiration\":\"2020-01-01T00:00:00Z\"}'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "expired at 2020-01-01T00:00:00Z"));

	/* A command that does not exist. */
	write_file("config", "[profile helper]\ncredential_process = /nonexistent/helper --x\n", 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "cannot run '/nonexistent/helper'"));
	write_file("config", "[profile helper]\ncredential_process = sg-no-such-helper-xyz\n", 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	/* glibc reports the failed exec; other spawners only exit 127. */
	assert_true(strstr(err.msg, "cannot run 'sg-no-such-helper-xyz'") != NULL ||
	    strstr(err.msg, "status 127 (not found in PATH?)") != NULL);

	write_file("config", "[profile helper]\ncredential_process = helper 'unterminated\n", 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_ECONFIG);
	assert_non_null(strstr(err.msg, "no closing quotation"));
}

static void
credential_process_time_and_size_limits(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	uint64_t t0;
	(void)state;

	o.profile = "helper";
	o.process_timeout_ms = 300;
	process_profile("exec sleep 5\n", "");
	t0 = sg_now_ms();
	assert_int_equal(resolve(&o, &c, &err), SG_ETIMEOUT);
	assert_true(sg_now_ms() - t0 < 3000);
	assert_non_null(strstr(err.msg, "did not finish within 300 ms"));

	o.process_timeout_ms = 5000;
	process_profile("head -c 200000 /dev/zero | tr '\\0' 'x'\n", "");
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "larger than 65536 bytes"));
}

/* ---- assume role ---- */

static void
assume_role_with_source_profile(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct sg_creds_options o = opts_with(&sts, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	write_file("config",
	    "[profile audit]\nrole_arn = arn:aws:iam::210987654321:role/SecurityAudit\n"
	    "source_profile = base\nrole_session_name = sg-audit\nexternal_id = ext-123\n"
	    "duration_seconds = 3600\nregion = eu-west-2\n"
	    "[profile org]\nrole_arn = arn:aws:iam::345678901234:role/OrgAudit\nsource_profile = audit\n",
	    0600);
	write_file("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = "
	    SECRET "\n", 0600);
	o.profile = "audit";
	fake_now = 1700000000;
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_int_equal(sts.calls, 1);
	assert_string_equal(sts.kinds[0], "role");
	assert_string_equal(sts.arns[0], "arn:aws:iam::210987654321:role/SecurityAudit");
	assert_string_equal(sts.sessions[0], "sg-audit");
	assert_string_equal(sts.externals[0], "ext-123");
	assert_int_equal(sts.durations[0], 3600);
	assert_string_equal(sts.source_keys[0], "AKIABASE");
	assert_string_equal(sts.regions[0], "eu-west-2");
	assert_string_equal(c.access_key_id, "ASIAROLE1");
	assert_string_equal(c.source, "assume-role arn:aws:iam::210987654321:role/SecurityAudit");
	assert_int_equal(c.expiration, fake_now + 3600);
	sg_creds_dispose(&c);

	/* Chain: org -> audit -> base; the region is the caller's. */
	o.profile = "org";
	o.region = "ap-southeast-2";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_int_equal(sts.calls, 3);
	assert_string_equal(sts.arns[1], "arn:aws:iam::210987654321:role/SecurityAudit");
	assert_string_equal(sts.source_keys[1], "AKIABASE");
	assert_string_equal(sts.arns[2], "arn:aws:iam::345678901234:role/OrgAudit");
	assert_string_equal(sts.source_keys[2], "ASIAROLE2");
	assert_string_equal(sts.regions[2], "ap-southeast-2");
	assert_true(strncmp(sts.sessions[2], "sg-audit-", 9) == 0);
	assert_string_equal(c.access_key_id, "ASIAROLE3");
	sg_creds_dispose(&c);

	/* STS refusing: the message names profile and role, keeps the AWS code. */
	sts.fail = SG_EDENIED;
	o.profile = "audit";
	assert_int_equal(resolve(&o, &c, &err), SG_EDENIED);
	assert_non_null(strstr(err.msg, "profile audit: AssumeRole "
	    "arn:aws:iam::210987654321:role/SecurityAudit: not authorized"));
	assert_string_equal(err.aws_code, "AccessDenied");
}

static void
assume_role_credential_source_and_source_kinds(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct sg_creds_options o = opts_with(&sts, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	process_profile("echo '{\"Version\":1,\"AccessKeyId\":\"ASIAPROC\",\"SecretAccessKey\":\"s\"}'\n",
	    "");
	{
		char cfg[1024];
		snprintf(cfg, sizeof(cfg),
		    "[profile fromenv]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Environment\n"
		    "[profile viaproc]\nrole_arn = arn:aws:iam::1:role/P\nsource_profile = proc\n"
		    "[profile proc]\ncredential_process = sh '%s'\n"
		    "[profile self]\nrole_arn = arn:aws:iam::1:role/S\nsource_profile = self\n"
		    "aws_access_key_id = AKIASELF\naws_secret_access_key = s\n"
		    "[profile loop1]\nrole_arn = arn:aws:iam::1:role/L1\nsource_profile = loop2\n"
		    "[profile loop2]\nrole_arn = arn:aws:iam::1:role/L2\nsource_profile = loop1\n"
		    "[profile badsrc]\nrole_arn = arn:aws:iam::1:role/B\ncredential_source = Laptop\n"
		    "[profile both]\nrole_arn = arn:aws:iam::1:role/B\ncredential_source = Environment\n"
		    "source_profile = self\n"
		    "[profile neither]\nrole_arn = arn:aws:iam::1:role/N\n"
		    "[profile missing]\nrole_arn = arn:aws:iam::1:role/M\nsource_profile = ghost\n"
		    "[profile imds]\nrole_arn = arn:aws:iam::1:role/I\ncredential_source = Ec2InstanceMetadata\n"
		    "[profile dur]\nrole_arn = arn:aws:iam::1:role/D\nsource_profile = self\n"
		    "duration_seconds = 60\n",
		    tpath("helper.sh"));
		write_file("config", cfg, 0600);
	}
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	o.profile = "fromenv";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(sts.source_keys[0], "AKIAENV");
	sg_creds_dispose(&c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");

	o.profile = "viaproc";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(sts.source_keys[1], "ASIAPROC");
	sg_creds_dispose(&c);

	o.profile = "self";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(sts.source_keys[2], "AKIASELF");
	sg_creds_dispose(&c);

	static const struct {
		const char *profile;
		enum sg_status st;
		const char *msg;
	} bad[] = {
		{ "loop1", SG_ECONFIG, "source_profile 'loop1' makes a loop" },
		{ "badsrc", SG_ECONFIG, "credential_source 'Laptop' is not one of" },
		{ "both", SG_ECONFIG, "sets both source_profile and credential_source" },
		{ "neither", SG_ECONFIG, "neither source_profile nor credential_source" },
		{ "missing", SG_ENOTFOUND, "source_profile 'ghost' does not exist" },
		{ "imds", SG_ECREDS, "credential_source Ec2InstanceMetadata provided no credentials" },
		{ "dur", SG_ECONFIG, "duration_seconds must be a whole number from 900 to 43200" },
		{ "fromenv", SG_ECREDS, "credential_source Environment provided no credentials" },
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.profile = bad[i].profile;
		assert_int_equal(resolve(&o, &c, &err), bad[i].st);
		if (strstr(err.msg, bad[i].msg) == NULL)
			fail_msg("profile %s: '%s' lacks '%s'", bad[i].profile, err.msg, bad[i].msg);
	}
}

static void
mfa_and_sso_say_what_to_do(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct sg_creds_options o = opts_with(&sts, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	char cfg[4096];
	const char *shared = getenv("SG_SHARED");
	FILE *f;
	size_t n;
	(void)state;

	/* The reference sample has an MFA role profile and both SSO forms. */
	snprintf(cfg, sizeof(cfg), "%s/reference/samples/aws-config.ini", shared ? shared : "../shared");
	f = fopen(cfg, "r");
	assert_non_null(f);
	n = fread(cfg, 1, sizeof(cfg) - 1, f);
	cfg[n] = '\0';
	fclose(f);
	write_file("config", cfg, 0600);
	write_file("credentials", "[audit-source]\naws_access_key_id = AKIAI44QH8DHBEXAMPLE\n"
	    "aws_secret_access_key = " SECRET "\n", 0600);

	o.profile = "prod-audit";
	assert_int_equal(resolve(&o, &c, &err), SG_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "profile prod-audit sets mfa_serial "
	    "(arn:aws:iam::123456789012:mfa/alice): sg-audit cannot prompt for an MFA code"));
	assert_non_null(strstr(err.msg, "aws sts get-session-token"));
	/* The chain through it stops there too. */
	o.profile = "org-audit";
	assert_int_equal(resolve(&o, &c, &err), SG_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "mfa_serial"));
	o.profile = "sso-admin";
	assert_int_equal(resolve(&o, &c, &err), SG_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "profile sso-admin uses IAM Identity Center (SSO)"));
	assert_non_null(strstr(err.msg, "aws sso login --profile sso-admin"));
	assert_non_null(strstr(err.msg, "aws configure export-credentials --profile sso-admin"));
	o.profile = "sso-legacy";
	assert_int_equal(resolve(&o, &c, &err), SG_EUNSUPPORTED);
	assert_int_equal(sts.calls, 0);

	/* The sample's plain source profile resolves. */
	o.profile = "audit-source";
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "AKIAI44QH8DHBEXAMPLE");
	sg_creds_dispose(&c);
}

static void
web_identity_from_env_and_profile(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct sg_creds_options o = opts_with(&sts, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	char cfg[512];
	(void)state;

	write_file("token", "eyJhbGciOiJSUzI1NiJ9.payload.sig\n", 0600);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/Pod", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tpath("token"), 1);
	setenv("AWS_ROLE_SESSION_NAME", "pod-1", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(sts.kinds[0], "web");
	assert_string_equal(sts.tokens[0], "eyJhbGciOiJSUzI1NiJ9.payload.sig");
	assert_string_equal(sts.sessions[0], "pod-1");
	assert_string_equal(sts.source_keys[0], "");
	assert_string_equal(c.source, "web-identity arn:aws:iam::123456789012:role/Pod");
	sg_creds_dispose(&c);
	unsetenv("AWS_ROLE_ARN");
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_SESSION_NAME");

	snprintf(cfg, sizeof(cfg), "[profile web]\nrole_arn = arn:aws:iam::1:role/W\n"
	    "web_identity_token_file = %s\n", tpath("missing-token"));
	write_file("config", cfg, 0600);
	o.profile = "web";
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "web identity token file"));
	snprintf(cfg, sizeof(cfg), "[profile web]\nrole_arn = arn:aws:iam::1:role/W\n"
	    "web_identity_token_file = %s\n", tpath("token"));
	write_file("config", cfg, 0600);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(sts.arns[1], "arn:aws:iam::1:role/W");
	sg_creds_dispose(&c);
}

static void
no_sts_hook_is_a_clear_error(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	write_file("config", "[profile r]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = b\n", 0600);
	write_file("credentials", "[b]\naws_access_key_id = K\naws_secret_access_key = s\n", 0600);
	o.profile = "r";
	assert_int_equal(resolve(&o, &c, &err), SG_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "no STS client is configured"));
}

/* ---- container and IMDS ---- */

static const char container_body[] =
    "{\"RoleArn\":\"arn:aws:iam::123456789012:role/task\",\"AccessKeyId\":\"ASIATASK\","
    "\"SecretAccessKey\":\"" SECRET "\",\"Token\":\"" TOKEN "\","
    "\"Expiration\":\"2030-05-01T18:12:40Z\",\"AccountId\":\"123456789012\"}";

static void
container_relative_and_full_uri(void **state)
{
	static const struct fake_route routes[] = {
		{ "GET", "http://169.254.170.2/v2/credentials/abc", 200, container_body, NULL },
		{ "GET", "http://127.0.0.1:9911/creds", 200, container_body, "Authorization: tok-123" },
		{ "GET", "http://127.0.0.1:9911/broken", 200, "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\""
		  SECRET "\"", NULL },
	};
	struct fake_http http = { routes, 3, 0, "" };
	struct sg_creds_options o = opts_with(NULL, &http, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIATASK");
	assert_string_equal(c.session_token, TOKEN);
	assert_string_equal(c.account_id, "123456789012");
	assert_string_equal(c.source, "container");
	sg_creds_dispose(&c);
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9911/creds", 1);
	write_file("ctok", "tok-123\n", 0600);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tpath("ctok"), 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-file-set", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIATASK");
	sg_creds_dispose(&c);

	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok-123", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	sg_creds_dispose(&c);

	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok\r\nX-Injected: 1", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "line break"));
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9911/broken", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_no_secret(err.msg);

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://evil.example.com/creds", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECONFIG);
	assert_non_null(strstr(err.msg, "must use https"));
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

static void
container_uri_rules(void **state)
{
	static const struct {
		const char *uri;
		bool ok;
	} cases[] = {
		{ "https://creds.example.com/x", true },
		{ "http://127.0.0.1:8080/x", true },
		{ "http://127.1.2.3/x", true },
		{ "http://localhost/x", true },
		{ "http://LOCALHOST:1/x", true },
		{ "http://[::1]:80/x", true },
		{ "http://169.254.170.2/v2", true },
		{ "http://169.254.170.23/v1/credentials", true },
		{ "http://[fd00:ec2::23]/x", true },
		{ "http://example.com/x", false },
		{ "http://127.0.0.1.evil.com/x", false },
		{ "http://user@127.0.0.1/x", false },
		{ "http://128.0.0.1/x", false },
		{ "ftp://127.0.0.1/x", false },
		{ "127.0.0.1/x", false },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (sg_creds_container_uri_allowed(cases[i].uri) != cases[i].ok)
			fail_msg("%s: expected %s", cases[i].uri, cases[i].ok ? "allowed" : "refused");
}

#define IMDS "http://127.0.0.1:7777"
static const char imds_creds_body[] =
    "{\"Code\":\"Success\",\"LastUpdated\":\"2024-05-01T11:48:12Z\",\"Type\":\"AWS-HMAC\","
    "\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"" SECRET "\",\"Token\":\"" TOKEN "\","
    "\"Expiration\":\"2030-05-01T18:12:40Z\"}";

static void
imds_v2_token_role_credentials(void **state)
{
	static const struct fake_route routes[] = {
		{ "PUT", IMDS "/latest/api/token", 200, "IMDSTOKEN-abc\n",
		  "x-aws-ec2-metadata-token-ttl-seconds: 21600" },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/", 200,
		  "sg-audit-instance-role\n", "x-aws-ec2-metadata-token: IMDSTOKEN-abc" },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/sg-audit-instance-role", 200,
		  imds_creds_body, "x-aws-ec2-metadata-token: IMDSTOKEN-abc" },
	};
	struct fake_http http = { routes, 3, 0, "" };
	struct sg_creds_options o = opts_with(NULL, &http, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	/* Disabled: not one request. */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", IMDS "/", 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_int_equal(http.calls, 0);

	unsetenv("AWS_EC2_METADATA_DISABLED");
	fake_now = 1700000000;
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(http.log,
	    "PUT " IMDS "/latest/api/token\n"
	    "GET " IMDS "/latest/meta-data/iam/security-credentials/\n"
	    "GET " IMDS "/latest/meta-data/iam/security-credentials/sg-audit-instance-role\n");
	assert_string_equal(c.access_key_id, "ASIAIMDS");
	assert_string_equal(c.session_token, TOKEN);
	assert_string_equal(c.source, "imds");
	sg_creds_dispose(&c);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void
imds_unreachable_or_failing(void **state)
{
	static const struct fake_route timeout_routes[] = {
		{ "PUT", IMDS "/latest/api/token", 0, "", NULL },
	};
	static const struct fake_route v1_routes[] = {
		{ "PUT", IMDS "/latest/api/token", 403, "", NULL },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/", 200, "role", NULL },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/role", 200,
		  "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAV1\",\"SecretAccessKey\":\"s\","
		  "\"Token\":\"t\",\"Expiration\":\"2023-11-14T22:20:00Z\"}", NULL },
	};
	static const struct fake_route bad_routes[] = {
		{ "PUT", IMDS "/latest/api/token", 200, "T", NULL },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/", 200, "../../etc", NULL },
	};
	static const struct fake_route code_routes[] = {
		{ "PUT", IMDS "/latest/api/token", 200, "T", NULL },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/", 200, "r", NULL },
		{ "GET", IMDS "/latest/meta-data/iam/security-credentials/r", 200,
		  "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\","
		  "\"SecretAccessKey\":\"" SECRET "\"}", NULL },
	};
	struct fake_http http = { timeout_routes, 1, 0, "" };
	struct sg_creds_options o = opts_with(NULL, &http, NULL);
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", IMDS, 1);
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "imds: not reachable at " IMDS " (ETIMEOUT)"));
	assert_int_equal(http.calls, 1);

	/* IMDSv2 refused (403): IMDSv1, and an expiry inside the refresh window
	 * (1700000400 - now = 400 s) is pushed 17..25 minutes out. */
	http = (struct fake_http){ v1_routes, 3, 0, "" };
	fake_now = 1700000000;
	assert_int_equal(resolve(&o, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAV1");
	assert_true(c.expiration >= fake_now + 17 * 60 && c.expiration <= fake_now + 25 * 60);
	sg_creds_dispose(&c);
	setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
	http = (struct fake_http){ v1_routes, 3, 0, "" };
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "token request to " IMDS " answered HTTP 403"));
	unsetenv("AWS_EC2_METADATA_V1_DISABLED");

	http = (struct fake_http){ bad_routes, 2, 0, "" };
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "IMDS returned an invalid role name"));

	http = (struct fake_http){ code_routes, 3, 0, "" };
	assert_int_equal(resolve(&o, &c, &err), SG_ECREDS);
	assert_non_null(strstr(err.msg, "Code is \"AssumeRoleUnauthorizedAccess\""));
	assert_no_secret(err.msg);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

/* ---- refresh ---- */

static void
refresh_windows_advisory_and_mandatory(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct log_capture log;
	struct sg_creds_options o = opts_with(&sts, NULL, &log);
	struct sg_creds_provider *p;
	struct sg_creds c;
	struct sg_error err;
	time_t t0 = 1700000000;
	(void)state;

	memset(&log, 0, sizeof(log));
	write_file("config", "[profile r]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = b\n", 0600);
	write_file("credentials", "[b]\naws_access_key_id = K\naws_secret_access_key = s\n", 0600);
	o.profile = "r";
	fake_now = t0;
	sg_err_init(&err);
	assert_int_equal(sg_creds_provider_new(&p, &o, &err), SG_OK);
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAROLE1");
	sg_creds_dispose(&c);

	/* 16 minutes left: cached. */
	fake_now = t0 + 3600 - 16 * 60;
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAROLE1");
	assert_int_equal(sts.calls, 1);
	sg_creds_dispose(&c);

	/* 14 minutes left, STS failing: advisory, keep the old ones. */
	fake_now = t0 + 3600 - 14 * 60;
	sts.fail = SG_ENET;
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAROLE1");
	assert_int_equal(sts.calls, 2);
	assert_non_null(strstr(log.text, "advisory refresh failed"));
	sg_creds_dispose(&c);

	/* 9 minutes left, STS failing: mandatory, an error. */
	fake_now = t0 + 3600 - 9 * 60;
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_ENET);
	assert_string_equal(err.aws_code, "AccessDenied");
	assert_null(c.access_key_id);

	/* STS back: new credentials, valid an hour from now. */
	sts.fail = SG_OK;
	sg_err_init(&err);
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAROLE4");
	assert_int_equal(c.expiration, fake_now + 3600);
	sg_creds_dispose(&c);

	/* 14 minutes left and STS fine: advisory refresh replaces them. */
	fake_now += 3600 - 14 * 60;
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAROLE5");
	sg_creds_dispose(&c);

	/* invalidate forces a fresh resolve. */
	sg_creds_provider_invalidate(p);
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "ASIAROLE6");
	sg_creds_dispose(&c);
	assert_no_secret(log.text);
	sg_creds_provider_free(p);
}

/* Provider for profile "r" (role via source profile b) with the fake STS. */
static struct sg_creds_provider *
role_provider(struct fake_sts *sts)
{
	struct sg_creds_options o = opts_with(sts, NULL, NULL);
	struct sg_creds_provider *p;
	struct sg_error err;

	write_file("config", "[profile r]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = b\n", 0600);
	write_file("credentials", "[b]\naws_access_key_id = K\naws_secret_access_key = s\n", 0600);
	o.profile = "r";
	sg_err_init(&err);
	assert_int_equal(sg_creds_provider_new(&p, &o, &err), SG_OK);
	return p;
}

static enum sg_status
get_once(struct sg_creds_provider *p)
{
	struct sg_creds c;
	struct sg_error err;
	enum sg_status st;

	sg_err_init(&err);
	sg_creds_init(&c);
	st = sg_creds_provider_get(p, &c, &err);
	if (st == SG_OK)
		assert_true(c.expiration > fake_now);
	sg_creds_dispose(&c);
	return st;
}

/* duration_seconds = 900 (the AWS minimum) must not mean an AssumeRole per request. */
static void
refresh_short_lived_credentials_fetched_once(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER, .expires_in = 900 };
	struct sg_creds_provider *p;
	time_t t0 = 1700000000;
	int i;
	(void)state;

	fake_now = t0;
	p = role_provider(&sts);
	/* 100 requests over the first 7 minutes: one fetch. */
	for (i = 0; i < 100; i++) {
		fake_now = t0 + i * 4;
		assert_int_equal(get_once(p), SG_OK);
	}
	assert_int_equal(sts.calls, 1);
	/* Into the advisory window (450 s left = lifetime / 2): exactly one refresh. */
	for (i = 0; i < 100; i++) {
		fake_now = t0 + 450 + i;
		assert_int_equal(get_once(p), SG_OK);
	}
	assert_int_equal(sts.calls, 2);
	sg_creds_provider_free(p);
}

/* Failed advisory refreshes are retried every 30 s, not on every request;
 * the mandatory window still forces one (and reports its failure). */
static void
refresh_advisory_failures_back_off(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER, .expires_in = 900 };
	struct sg_creds_provider *p;
	time_t t0 = 1700000000;
	int i;
	(void)state;

	fake_now = t0;
	p = role_provider(&sts);
	assert_int_equal(get_once(p), SG_OK);
	sts.fail = SG_ENET;
	for (i = 0; i < 90; i++) {          /* 500..411 s left */
		fake_now = t0 + 400 + i;
		assert_int_equal(get_once(p), SG_OK);
	}
	assert_int_equal(sts.calls, 3);     /* at 450 and 420 s left */
	/* Mandatory window (225 s left = lifetime / 4): every request tries, and fails. */
	fake_now = t0 + 900 - 225;
	assert_int_equal(get_once(p), SG_ENET);
	assert_int_equal(get_once(p), SG_ENET);
	assert_int_equal(sts.calls, 5);
	sts.fail = SG_OK;
	assert_int_equal(get_once(p), SG_OK);
	assert_int_equal(sts.calls, 6);
	assert_int_equal(get_once(p), SG_OK);
	assert_int_equal(sts.calls, 6);
	sg_creds_provider_free(p);
}

/* A source that keeps handing back the same short-lived credentials (a
 * credential_process with its own cache, Expiration 14 min ahead): a handful
 * of refreshes over their whole life, never one per request, and never an
 * expired credential handed out. */
static void
refresh_source_returning_short_lived_no_storm(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct sg_creds_provider *p;
	time_t t0 = 1700000000;
	int i;
	(void)state;

	fake_now = t0;
	sts.fixed_expiration = t0 + 14 * 60;
	p = role_provider(&sts);
	for (i = 0; i < 14 * 60; i++) {
		fake_now = t0 + i;
		assert_int_equal(get_once(p), SG_OK);
	}
	assert_true(sts.calls <= 12);
	/* Fresh hour-long credentials from an advisory refresh with 5 min left
	 * of a 1 h set: replaced once, then quiet. */
	sg_creds_provider_invalidate(p);
	sts.fixed_expiration = 0;
	sts.calls = 0;
	fake_now = t0;
	assert_int_equal(get_once(p), SG_OK);
	sts.expires_in = 300;             /* the refresh returns 5-minute ones */
	for (i = 0; i < 100; i++) {
		fake_now = t0 + 3600 - 14 * 60 + i;
		assert_int_equal(get_once(p), SG_OK);
	}
	assert_int_equal(sts.calls, 2);
	sg_creds_provider_free(p);
}

static void
static_credentials_never_refresh(void **state)
{
	struct sg_creds_options o = opts_with(NULL, NULL, NULL);
	struct sg_creds_provider *p;
	struct sg_creds c;
	struct sg_error err;
	(void)state;

	write_file("credentials", "[default]\naws_access_key_id = K1\naws_secret_access_key = s\n", 0600);
	sg_err_init(&err);
	assert_int_equal(sg_creds_provider_new(&p, &o, &err), SG_OK);
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	sg_creds_dispose(&c);
	/* Even when the file changes, the cached static keys stand. */
	write_file("credentials", "[default]\naws_access_key_id = K2\naws_secret_access_key = s\n", 0600);
	fake_now += 10 * 365 * 86400;
	assert_int_equal(sg_creds_provider_get(p, &c, &err), SG_OK);
	assert_string_equal(c.access_key_id, "K1");
	sg_creds_dispose(&c);
	sg_creds_provider_free(p);
}

struct thread_arg {
	struct sg_creds_provider *p;
	int ok;
};

static void *
getter(void *arg)
{
	struct thread_arg *a = arg;
	int i;

	for (i = 0; i < 50; i++) {
		struct sg_creds c;
		struct sg_error err;
		sg_err_init(&err);
		sg_creds_init(&c);
		if (sg_creds_provider_get(a->p, &c, &err) == SG_OK && c.secret_access_key != NULL)
			a->ok++;
		sg_creds_dispose(&c);
	}
	return NULL;
}

static void
threads_share_one_resolution(void **state)
{
	struct fake_sts sts = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct sg_creds_options o = opts_with(&sts, NULL, NULL);
	struct sg_creds_provider *p;
	struct sg_error err;
	pthread_t th[4];
	struct thread_arg args[4];
	int i;
	(void)state;

	write_file("config", "[profile r]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = b\n", 0600);
	write_file("credentials", "[b]\naws_access_key_id = K\naws_secret_access_key = s\n", 0600);
	o.profile = "r";
	sg_err_init(&err);
	assert_int_equal(sg_creds_provider_new(&p, &o, &err), SG_OK);
	for (i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ p, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, getter, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].ok, 50);
	}
	assert_int_equal(sts.calls, 1);
	sg_creds_provider_free(p);
}

static void
json_parser_kinds(void **state)
{
	struct sg_creds c;
	struct sg_error err;
	const char *shared = getenv("SG_SHARED");
	char path[512];
	struct sg_buf b;
	static const char *const files[] = { "credential-process.json", "imds-credentials.json",
		"container-credentials.json" };
	static const enum sg_creds_json_kind kinds[] = { SG_CREDS_JSON_PROCESS, SG_CREDS_JSON_IMDS,
		SG_CREDS_JSON_CONTAINER };
	size_t i;
	(void)state;

	/* The reference samples parse as their kind. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/reference/samples/%s", shared ? shared : "../shared",
		    files[i]);
		sg_buf_init(&b, 1 << 16);
		sg_err_init(&err);
		assert_int_equal(sg_file_read(path, &b, false, &err), SG_OK);
		sg_creds_init(&c);
		assert_int_equal(sg_creds_parse_json(&c, kinds[i], "t", b.data, b.len, &err), SG_OK);
		assert_string_equal(c.access_key_id, "ASIAIOSFODNN7EXAMPLE");
		assert_non_null(c.session_token);
		assert_true(c.expiration > 0);
		sg_creds_dispose(&c);
		sg_buf_dispose(&b);
	}
	sg_creds_init(&c);
	sg_err_init(&err);
	{
		static const char j[] = "{\"Version\":1,\"AccessKeyId\":5,\"SecretAccessKey\":\"" SECRET "\"}";
		assert_int_equal(sg_creds_parse_json(&c, SG_CREDS_JSON_PROCESS, "t", j, sizeof(j) - 1,
		    &err), SG_ECREDS);
	}
	assert_non_null(strstr(err.msg, "not a string"));
	assert_null(c.access_key_id);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_and_dispose_wipe),
		cmocka_unit_test_setup_teardown(env_beats_profile_files, setup, teardown),
		cmocka_unit_test_setup_teardown(env_partial_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_sections_config_vs_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_section_names_like_botocore, setup, teardown),
		cmocka_unit_test_setup_teardown(profile_value_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_file_names_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(group_readable_credentials_warn_once, setup, teardown),
		cmocka_unit_test_setup_teardown(readable_config_with_secret_warns_once, setup, teardown),
		cmocka_unit_test(split_command_like_shlex),
		cmocka_unit_test_setup_teardown(credential_process_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(credential_process_failures_keep_stdout_secret, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(credential_process_time_and_size_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(assume_role_with_source_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(assume_role_credential_source_and_source_kinds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(mfa_and_sso_say_what_to_do, setup, teardown),
		cmocka_unit_test_setup_teardown(web_identity_from_env_and_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(no_sts_hook_is_a_clear_error, setup, teardown),
		cmocka_unit_test_setup_teardown(container_relative_and_full_uri, setup, teardown),
		cmocka_unit_test(container_uri_rules),
		cmocka_unit_test_setup_teardown(imds_v2_token_role_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(imds_unreachable_or_failing, setup, teardown),
		cmocka_unit_test_setup_teardown(refresh_windows_advisory_and_mandatory, setup, teardown),
		cmocka_unit_test_setup_teardown(refresh_short_lived_credentials_fetched_once, setup, teardown),
		cmocka_unit_test_setup_teardown(refresh_advisory_failures_back_off, setup, teardown),
		cmocka_unit_test_setup_teardown(refresh_source_returning_short_lived_no_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(static_credentials_never_refresh, setup, teardown),
		cmocka_unit_test_setup_teardown(threads_share_one_resolution, setup, teardown),
		cmocka_unit_test(json_parser_kinds),
	};
	return cmocka_run_group_tests_name("creds", tests, NULL, NULL);
}
