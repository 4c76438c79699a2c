/* endpoint.c — partitions, host patterns, FIPS and endpoint overrides. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sg_endpoint.h"

static const char *const service_names[SG_SVC_COUNT] = {
	[SG_SVC_EC2] = "ec2",
	[SG_SVC_STS] = "sts",
	[SG_SVC_CLOUDTRAIL] = "cloudtrail",
};

const char *
sg_service_name(enum sg_service svc)
{
	return (unsigned)svc < SG_SVC_COUNT ? service_names[svc] : "?";
}

bool
sg_service_parse(const char *name, enum sg_service *out)
{
	unsigned i;

	for (i = 0; i < SG_SVC_COUNT; i++)
		if (strcmp(name, service_names[i]) == 0) {
			*out = (enum sg_service)i;
			return true;
		}
	return false;
}

/*
 * Match "<prefix>-<word>-<digits>" where <word> is [A-Za-z0-9_]+ (regex \w+)
 * and prefix is one of the given alternatives; the regexes of
 * partitions.json, written out by hand so no regex engine is needed.
 */
static bool
match_region(const char *r, const char *const *prefixes)
{
	size_t i, n;
	const char *p;

	for (i = 0; prefixes[i] != NULL; i++) {
		n = strlen(prefixes[i]);
		if (strncmp(r, prefixes[i], n) != 0 || r[n] != '-')
			continue;
		p = r + n + 1;
		/* \w+ is greedy but may not swallow the final -\d+: find the last '-'. */
		{
			const char *last = strrchr(p, '-'), *q;
			if (last == NULL || last == p)
				continue;
			for (q = p; q < last; q++)
				if (!(isalnum((unsigned char)*q) || *q == '_'))
					break;
			if (q != last)
				continue;
			q = last + 1;
			if (*q == '\0')
				continue;
			for (; *q; q++)
				if (!isdigit((unsigned char)*q))
					break;
			if (*q == '\0')
				return true;
		}
	}
	return false;
}

struct partition {
	const char *name;
	const char *dns_suffix;
	const char *dualstack_suffix; /* IPv4 and IPv6: {service}.{region}.{this} */
	const char *const *prefixes;
};

static const char *const aws_prefixes[] = { "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", NULL };
static const char *const cn_prefixes[] = { "cn", NULL };
static const char *const gov_prefixes[] = { "us-gov", NULL };

/* Most specific first: us-gov-west-1 also matches the aws pattern us-\w+-\d+
 * only if \w could hold '-', which it cannot, but keep GovCloud first anyway. */
static const struct partition partitions[] = {
	{ "aws-us-gov", "amazonaws.com", "api.aws", gov_prefixes },
	{ "aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn", cn_prefixes },
	{ "aws", "amazonaws.com", "api.aws", aws_prefixes },
};

const char *
sg_endpoint_partition(const char *region)
{
	size_t i;

	if (region == NULL || !sg_endpoint_region_valid(region))
		return NULL;
	for (i = 0; i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (match_region(region, partitions[i].prefixes))
			return partitions[i].name;
	return NULL;
}

static const struct partition *
partition_named(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(partitions) / sizeof(partitions[0]); i++)
		if (strcmp(name, partitions[i].name) == 0)
			return &partitions[i];
	return NULL;
}

const char *
sg_endpoint_dns_suffix(const char *partition)
{
	const struct partition *p = partition_named(partition);

	return p ? p->dns_suffix : NULL;
}

bool
sg_endpoint_region_valid(const char *region)
{
	size_t i, n;

	if (region == NULL)
		return false;
	n = strlen(region);
	if (n == 0 || n >= SG_REGION_MAX || region[0] == '-' || region[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)region[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

/* Regions with a FIPS endpoint in the aws partition (endpoints.json). */
static const char *const fips_ec2[] = {
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", NULL
};
static const char *const fips_us4[] = { "us-east-1", "us-east-2", "us-west-1", "us-west-2", NULL };

static bool
in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool
sg_endpoint_has_fips(enum sg_service svc, const char *region)
{
	const char *part = sg_endpoint_partition(region);

	if (part == NULL || strcmp(part, "aws-cn") == 0)
		return false;
	if (strcmp(part, "aws-us-gov") == 0)
		return true; /* the plain endpoint is FIPS */
	return in_list(svc == SG_SVC_EC2 ? fips_ec2 : fips_us4, region);
}

static bool
host_char_ok(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

enum sg_status
sg_endpoint_parse_url(const char *url, bool *https_out, char *host_out, char *path_out,
                      struct sg_error *err)
{
	const char *p, *host, *end, *q;
	size_t hostlen;
	bool https;

	if (url == NULL || *url == '\0')
		return sg_err_set(err, SG_EINVAL, "endpoint URL is empty");
	if (strlen(url) >= SG_URL_MAX)
		return sg_err_set(err, SG_EINVAL, "endpoint URL is longer than %d bytes", SG_URL_MAX - 1);
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return sg_err_set(err, SG_EINVAL,
			    "endpoint URL '%s': contains a space or control character", url);
	if (strncmp(url, "https://", 8) == 0) {
		https = true;
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		https = false;
		host = url + 7;
	} else {
		return sg_err_set(err, SG_EINVAL,
		    "endpoint URL '%s': must start with https:// (or http:// for a local endpoint)", url);
	}
	end = host + strcspn(host, "/?#");
	if (*end == '?' || *end == '#' || strpbrk(end, "?#") != NULL)
		return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': a query or fragment is not allowed", url);
	if (memchr(host, '@', (size_t)(end - host)) != NULL)
		return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': user info is not allowed", url);
	hostlen = (size_t)(end - host);
	if (hostlen == 0)
		return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': no host", url);
	if (hostlen >= SG_HOST_MAX)
		return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': host too long", url);
	/* host: name/IPv4, or [IPv6]; then optional :port */
	q = host;
	if (*q == '[') {
		const char *close = memchr(q, ']', hostlen);
		if (close == NULL)
			return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': unterminated [IPv6] host", url);
		for (p = q + 1; p < close; p++)
			if (!(isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
				return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': bad IPv6 host", url);
		q = close + 1;
	} else {
		for (; q < end && *q != ':'; q++)
			if (!host_char_ok((unsigned char)*q))
				return sg_err_set(err, SG_EINVAL,
				    "endpoint URL '%s': bad character '%c' in host", url, *q);
		if (q == host)
			return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': no host", url);
	}
	if (q < end) {
		unsigned long port = 0;
		if (*q != ':' || q + 1 == end)
			return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': bad port", url);
		for (p = q + 1; p < end; p++) {
			if (!isdigit((unsigned char)*p) || port > 65535)
				return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': bad port", url);
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port == 0 || port > 65535)
			return sg_err_set(err, SG_EINVAL, "endpoint URL '%s': port out of range", url);
	}
	/*
	 * libcurl leaves a default port out of the Host header, so the signed
	 * host must leave it out too or the signature would not match.
	 */
	if (hostlen > 4 && https && memcmp(host + hostlen - 4, ":443", 4) == 0)
		hostlen -= 4;
	else if (hostlen > 3 && !https && memcmp(host + hostlen - 3, ":80", 3) == 0)
		hostlen -= 3;
	memcpy(host_out, host, hostlen);
	host_out[hostlen] = '\0';
	snprintf(path_out, SG_URL_MAX, "%s", *end == '/' ? end : "/");
	*https_out = https;
	return SG_OK;
}

enum sg_status
sg_endpoint_resolve(struct sg_endpoint *out, enum sg_service svc, const char *region,
                    const struct sg_endpoint_options *opt, struct sg_error *err)
{
	struct sg_endpoint ep;
	const struct partition *part;
	const char *override = NULL, *suffix;
	enum sg_status st;
	bool https, dual, fips;

	if ((unsigned)svc >= SG_SVC_COUNT)
		return sg_err_set(err, SG_EINTERNAL, "unknown service %d", (int)svc);
	if (!sg_endpoint_region_valid(region))
		return sg_err_set(err, SG_EINVAL, "'%s' is not a valid region name",
		    region ? region : "(none)");
	memset(&ep, 0, sizeof(ep));
	ep.service = service_names[svc];
	snprintf(ep.region, sizeof(ep.region), "%s", region);
	ep.partition = sg_endpoint_partition(region);
	if (opt != NULL) {
		override = opt->service_url[svc];
		if (override == NULL || *override == '\0')
			override = opt->endpoint_url;
		if (override != NULL && *override == '\0')
			override = NULL;
	}
	if (override != NULL) {
		st = sg_endpoint_parse_url(override, &https, ep.host, ep.path, err);
		if (st != SG_OK)
			return st;
		snprintf(ep.url, sizeof(ep.url), "%s", override);
		ep.user_named = true;
		ep.plain_http = !https;
		if (ep.partition == NULL)
			ep.partition = "custom";
		*out = ep;
		return SG_OK;
	}
	if (ep.partition == NULL)
		return sg_err_set(err, SG_ENOTFOUND,
		    "region '%s' is not in a known partition (aws, aws-cn, aws-us-gov)", region);
	/*
	 * Dual-stack (IPv4 and IPv6) names keep the service and region and
	 * change the suffix, FIPS ones add "-fips" to the service, as the SDKs'
	 * endpoint rules build them. In GovCloud the plain IPv4 name is already
	 * FIPS; its dual-stack FIPS name has the "-fips".
	 */
	dual = opt != NULL && opt->use_dualstack;
	part = partition_named(ep.partition);
	suffix = dual ? part->dualstack_suffix : part->dns_suffix;
	fips = opt != NULL && opt->use_fips;
	if (fips && !sg_endpoint_has_fips(svc, region))
		return sg_err_set(err, SG_EUNSUPPORTED,
		    "%s has no FIPS endpoint in %s", ep.service, region);
	if (fips && (dual || strcmp(ep.partition, "aws-us-gov") != 0))
		snprintf(ep.host, sizeof(ep.host), "%s-fips.%s.%s", ep.service, region, suffix);
	else
		snprintf(ep.host, sizeof(ep.host), "%s.%s.%s", ep.service, region, suffix);
	snprintf(ep.path, sizeof(ep.path), "/");
	snprintf(ep.url, sizeof(ep.url), "https://%s/", ep.host);
	*out = ep;
	return SG_OK;
}
