/* cli_aws.c — the shared AWS flags and client setup for commands (see sg_cli_aws.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_cli.h"
#include "sg_cli_aws.h"
#include "sg_log.h"
#include "sg_scan.h"
#include "sg_sts.h"
#include "sg_transport.h"
#include "sg_util.h"

void
sg_cli_aws_init(struct sg_cli_aws *o)
{
	memset(o, 0, sizeof(*o));
}

/*
 * Every command that talks to AWS prints this, so it must be true for each:
 * scan sets its own --concurrency default (one call in flight per region),
 * the others take the client's.
 */
void
sg_cli_aws_usage(FILE *f)
{
	fprintf(f,
	    "AWS options (shared by scan, events, identity, call):\n"
	    "  --region REGION        default region (else AWS_REGION, AWS_DEFAULT_REGION,\n"
	    "                         the profile's region, us-east-1)\n"
	    "  --profile NAME         named profile from ~/.aws/config and ~/.aws/credentials\n"
	    "  --endpoint-url URL     send every call to URL (also AWS_ENDPOINT_URL,\n"
	    "                         AWS_ENDPOINT_URL_EC2/_STS/_CLOUDTRAIL); http:// only here\n"
	    "  --max-attempts N       attempts per call, first included (default 3; AWS_MAX_ATTEMPTS)\n"
	    "  --max-rate R           requests per second per service and region (default 10;\n"
	    "                         CloudTrail never above 2)\n"
	    "  --concurrency N        calls in flight at once (default %d; scan: %d)\n"
	    "  --ca-bundle FILE       PEM CA bundle for TLS (also AWS_CA_BUNDLE)\n"
	    "  --connect-timeout S    seconds to connect, TLS included (default %ld)\n"
	    "  --timeout S            seconds for each attempt of a call, from connect to the\n"
	    "                         last byte of the response (default %ld); a timed-out\n"
	    "                         attempt counts against --max-attempts\n"
	    "  --debug                log every request and response line to stderr\n"
	    "                         (Authorization and tokens redacted)\n",
	    SG_AWS_DEFAULT_CONCURRENCY, SG_SCAN_DEFAULT_CONCURRENCY,
	    SG_TRANSPORT_DEFAULT_CONNECT_MS / 1000, SG_TRANSPORT_DEFAULT_TOTAL_MS / 1000);
}

/*
 * A plain decimal number ("5", "0.4", ".5", "1e3"): strtod alone would also
 * take leading blanks, a sign, hexadecimal ("0x10"), "inf" and "nan".
 */
static bool
parse_decimal(const char *v, double *out)
{
	char *end = NULL;

	if (!((*v >= '0' && *v <= '9') || *v == '.') ||
	    v[strspn(v, "0123456789.eE+-")] != '\0')
		return false;
	*out = strtod(v, &end);
	return end != v && *end == '\0';
}

static int
copy_opt(char *dst, size_t cap, const char *cmd, const char *flag, const char *v)
{
	if (*v == '\0' || strlen(v) >= cap) {
		sg_cli_usage_error(cmd, "%s: value is empty or too long", flag);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 1;
}

int
sg_cli_aws_option(struct sg_cli_aws *o, const char *cmd, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {
		"--endpoint-url", "--profile", "--region", "--max-attempts", "--max-rate",
		"--concurrency", "--ca-bundle", "--connect-timeout", "--timeout",
	};
	const char *v = NULL;
	size_t k;
	int r;

	if (strcmp(argv[*i], "--debug") == 0) {
		o->debug = true;
		return 1;
	}
	for (k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) {
		r = sg_cli_flag_value(with_value[k], argc, argv, i, &v);
		if (r == 0)
			continue;
		if (r < 0) {
			sg_cli_usage_error(cmd, "%s needs a value", with_value[k]);
			return -1;
		}
		break;
	}
	if (k == sizeof(with_value) / sizeof(with_value[0]))
		return 0;
	switch (k) {
	case 0: {
		char host[SG_HOST_MAX], path[SG_URL_MAX];
		struct sg_error e;
		bool https;
		sg_err_init(&e);
		if (sg_endpoint_parse_url(v, &https, host, path, &e) != SG_OK) {
			sg_cli_usage_error(cmd, "--endpoint-url: %s", e.msg);
			return -1;
		}
		return copy_opt(o->endpoint_url, sizeof(o->endpoint_url), cmd, "--endpoint-url", v);
	}
	case 1:
		return copy_opt(o->profile, sizeof(o->profile), cmd, "--profile", v);
	case 2:
		if (!sg_endpoint_region_valid(v)) {
			sg_cli_usage_error(cmd, "--region: '%s' is not a valid region name", v);
			return -1;
		}
		return copy_opt(o->region, sizeof(o->region), cmd, "--region", v);
	case 3: {
		long n;
		if (!sg_parse_long(sg_str_from(v), 1, SG_AWS_MAX_MAX_ATTEMPTS, &n)) {
			sg_cli_usage_error(cmd, "--max-attempts: '%s' is not a number from 1 to %d", v,
			    SG_AWS_MAX_MAX_ATTEMPTS);
			return -1;
		}
		o->max_attempts = (int)n;
		return 1;
	}
	case 4: {
		double d = 0.0;
		if (!parse_decimal(v, &d) || !(d > 0.0) || d > 10000.0) {
			sg_cli_usage_error(cmd, "--max-rate: '%s' is not a rate in (0, 10000] per second",
			    v);
			return -1;
		}
		o->max_rate = d;
		return 1;
	}
	case 5: {
		long n;
		if (!sg_parse_long(sg_str_from(v), 1, SG_AWS_MAX_CONCURRENCY, &n)) {
			sg_cli_usage_error(cmd, "--concurrency: '%s' is not a number from 1 to %d", v,
			    SG_AWS_MAX_CONCURRENCY);
			return -1;
		}
		o->concurrency = (int)n;
		return 1;
	}
	case 6:
		return copy_opt(o->ca_bundle, sizeof(o->ca_bundle), cmd, "--ca-bundle", v);
	case 7:
	case 8: {
		long *slot = k == 7 ? &o->connect_timeout_ms : &o->timeout_ms;
		double d = 0.0;
		/* Whole milliseconds, at least one; at most an hour. */
		if (!parse_decimal(v, &d) || !(d >= 0.001) || d > 3600.0) {
			sg_cli_usage_error(cmd, "%s: '%s' is not a number of seconds in "
			    "[0.001, 3600]", with_value[k], v);
			return -1;
		}
		*slot = (long)(d * 1000.0 + 0.5);
		return 1;
	}
	default:
		return 0;
	}
}

static void
creds_log(void *ctx, enum sg_creds_log_level level, const char *msg)
{
	(void)ctx;
	if (level == SG_CREDS_LOG_WARN)
		sg_log_warn("%s", msg);
	else
		sg_log_debug("%s", msg);
}

enum sg_status
sg_cli_aws_open(const struct sg_cli_aws *o, struct sg_cli_aws_session *s, struct sg_error *err)
{
	struct sg_aws_config cfg;
	struct sg_creds_options co;
	struct sg_aws_creds_source src;
	enum sg_status st;
	const char *sts_url;

	memset(s, 0, sizeof(*s));
	if (o->debug)
		sg_log_set_debug(true);
	sg_aws_config_init(&cfg);
	if ((st = sg_aws_config_from_env(&cfg, err)) != SG_OK)
		return st;
	if (o->endpoint_url[0])
		snprintf(cfg.endpoint_url, sizeof(cfg.endpoint_url), "%s", o->endpoint_url);
	if (o->ca_bundle[0])
		snprintf(cfg.ca_bundle, sizeof(cfg.ca_bundle), "%s", o->ca_bundle);
	if (o->max_attempts)
		cfg.max_attempts = o->max_attempts;
	if (o->max_rate > 0.0)
		cfg.max_rate = o->max_rate;
	if (o->concurrency)
		cfg.concurrency = o->concurrency;
	if (o->connect_timeout_ms)
		cfg.connect_timeout_ms = o->connect_timeout_ms;
	if (o->timeout_ms)
		cfg.total_timeout_ms = o->timeout_ms;
	cfg.debug = o->debug;

	memset(&co, 0, sizeof(co));
	co.profile = o->profile[0] ? o->profile : NULL;
	co.log = creds_log;

	/* The region: flag, then environment, then the profile (below), then us-east-1. */
	if (o->region[0])
		snprintf(cfg.region, sizeof(cfg.region), "%s", o->region);

	/*
	 * The profile's settings (region, max_attempts, ca_bundle, endpoint_url,
	 * use_fips_endpoint, use_dualstack_endpoint), each only where neither a
	 * flag nor the environment set it: a provider without hooks, just to read
	 * the files.
	 */
	{
		struct sg_creds_provider *tmp;
		static const char *const keys[] = { "region", "max_attempts", "ca_bundle",
			"endpoint_url", "use_fips_endpoint", "use_dualstack_endpoint" };
		char *val;
		size_t k;

		if ((st = sg_creds_provider_new(&tmp, &co, err)) != SG_OK)
			return st;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			long n;
			val = NULL;
			st = sg_creds_provider_profile_value(tmp, keys[k], &val, err);
			if (st == SG_ENOTFOUND)
				continue;
			if (st != SG_OK) {
				sg_creds_provider_free(tmp);
				return st;
			}
			if (k == 0 && cfg.region[0] == '\0') {
				if (!sg_endpoint_region_valid(val))
					st = sg_err_set(err, SG_ECONFIG,
					    "profile %s: region '%s' is not a valid region name",
					    sg_creds_provider_profile(tmp), val);
				else
					snprintf(cfg.region, sizeof(cfg.region), "%s", val);
			} else if (k == 1 && !o->max_attempts && getenv("AWS_MAX_ATTEMPTS") == NULL) {
				if (!sg_parse_long(sg_str_from(val), 1, SG_AWS_MAX_MAX_ATTEMPTS, &n))
					st = sg_err_set(err, SG_ECONFIG,
					    "profile %s: max_attempts '%s' is not a number from 1 to %d",
					    sg_creds_provider_profile(tmp), val, SG_AWS_MAX_MAX_ATTEMPTS);
				else
					cfg.max_attempts = (int)n;
			} else if (k == 2 && cfg.ca_bundle[0] == '\0') {
				snprintf(cfg.ca_bundle, sizeof(cfg.ca_bundle), "%s", val);
			} else if (k == 3 && cfg.endpoint_url[0] == '\0' &&
			    !sg_aws_env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
				char host[SG_HOST_MAX], path[SG_URL_MAX];
				bool https;
				if (sg_endpoint_parse_url(val, &https, host, path, err) != SG_OK) {
					sg_err_prefix(err, "profile %s: endpoint_url: ",
					    sg_creds_provider_profile(tmp));
					st = err->status;
				} else {
					snprintf(cfg.endpoint_url, sizeof(cfg.endpoint_url), "%s", val);
				}
			} else if (k == 4 && getenv("AWS_USE_FIPS_ENDPOINT") == NULL) {
				/* botocore's meaning: "true" (any case) turns it on. */
				cfg.use_fips = strcasecmp(val, "true") == 0;
			} else if (k == 5 && getenv("AWS_USE_DUALSTACK_ENDPOINT") == NULL) {
				cfg.use_dualstack = strcasecmp(val, "true") == 0;
			}
			free(val);
			if (st != SG_OK) {
				sg_creds_provider_free(tmp);
				return st;
			}
		}
		sg_creds_provider_free(tmp);
	}

	if ((st = sg_aws_new(&s->aws, &cfg, NULL, err)) != SG_OK)
		return st;
	snprintf(s->region, sizeof(s->region), "%s", sg_aws_default_region(s->aws));

	sts_url = cfg.service_endpoint_url[SG_SVC_STS][0] ? cfg.service_endpoint_url[SG_SVC_STS]
	                                                  : cfg.endpoint_url;
	co.region = s->region;
	co.sts_endpoint_url = sts_url[0] ? sts_url : NULL;
	co.http.fetch = sg_transport_creds_fetch;
	co.http.ctx = sg_aws_transport(s->aws);
	co.sts.assume = sg_sts_creds_assume;
	co.sts.ctx = s->aws;
	if ((st = sg_creds_provider_new(&s->creds, &co, err)) != SG_OK) {
		sg_aws_free(s->aws);
		s->aws = NULL;
		return st;
	}
	snprintf(s->profile, sizeof(s->profile), "%s", sg_creds_provider_profile(s->creds));
	src = sg_aws_creds_source_provider(s->creds);
	sg_aws_set_creds(s->aws, &src);
	sg_log_debug("client: region %s, profile %s, endpoint %s, max attempts %d, "
	    "concurrency %d, max rate %g/s", s->region, s->profile,
	    cfg.endpoint_url[0] ? cfg.endpoint_url : "(AWS)", cfg.max_attempts, cfg.concurrency,
	    cfg.max_rate > 0 ? cfg.max_rate : SG_AWS_DEFAULT_RATE);
	return SG_OK;
}

void
sg_cli_aws_close(struct sg_cli_aws_session *s)
{
	if (s == NULL)
		return;
	if (s->aws != NULL && sg_log_debug_enabled() && sg_aws_transport(s->aws) != NULL) {
		struct sg_transport_stats ts;
		sg_transport_stats(sg_aws_transport(s->aws), &ts);
		sg_log_debug("transport: %llu requests, %llu on reused connections, %llu curl handles, "
		    "clock skew %+ld s", (unsigned long long)ts.requests,
		    (unsigned long long)ts.connections_reused, (unsigned long long)ts.handles_created,
		    sg_aws_clock_skew(s->aws));
	}
	/* The client first: its workers may still use the provider. */
	sg_aws_free(s->aws);
	sg_creds_provider_free(s->creds);
	s->aws = NULL;
	s->creds = NULL;
}
