/*
 * sg_endpoint.h — where a request goes and how it is signed.
 *
 * Partitions aws, aws-cn and aws-us-gov with their host patterns
 * (../shared/reference/aws-protocol.md §1):
 *
 *   standard  {svc}.{region}.{dnsSuffix}        ec2.eu-west-1.amazonaws.com
 *   FIPS      {svc}-fips.{region}.{dnsSuffix}   ec2-fips.us-east-1.amazonaws.com
 *
 * FIPS is only offered where the endpoint exists (a table per service);
 * in GovCloud the plain endpoint already is the FIPS one. STS is always
 * regional (sts.{region}.amazonaws.com), never the legacy global host, whose
 * v1 tokens opt-in regions reject.
 *
 * An override URL (--endpoint-url, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_EC2,
 * _STS, _CLOUDTRAIL) replaces the host; the signing region stays the region
 * asked for. Plain http:// is accepted ONLY for such a user-named URL; a
 * resolved AWS endpoint is always https.
 */
#ifndef SG_ENDPOINT_H
#define SG_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_err.h"

enum sg_service {
	SG_SVC_EC2 = 0,
	SG_SVC_STS,
	SG_SVC_CLOUDTRAIL,
	SG_SVC_COUNT
};

#define SG_URL_MAX 512
#define SG_HOST_MAX 256
#define SG_REGION_MAX 64

struct sg_endpoint {
	char url[SG_URL_MAX];      /* "https://ec2.eu-west-1.amazonaws.com/" */
	char host[SG_HOST_MAX];    /* Host header value, with ":port" if one was given */
	char path[SG_URL_MAX];     /* request path, "/" unless the override had one */
	char region[SG_REGION_MAX];/* signing region */
	const char *service;       /* signing name: "ec2", "sts", "cloudtrail" */
	const char *partition;     /* "aws", "aws-cn", "aws-us-gov"; "custom" for an unknown region with an override */
	bool user_named;           /* came from an override URL */
	bool plain_http;           /* http:// (only ever when user_named) */
};

struct sg_endpoint_options {
	const char *endpoint_url;                /* applies to every service; NULL = none */
	const char *service_url[SG_SVC_COUNT];   /* per service; wins over endpoint_url */
	bool use_fips;
	bool use_dualstack;                      /* IPv4 and IPv6 names (*.api.aws) */
};

/* "ec2", "sts", "cloudtrail". */
const char *sg_service_name(enum sg_service svc);
/* Reverse of sg_service_name; false if unknown. */
bool sg_service_parse(const char *name, enum sg_service *out);

/*
 * The partition of a region name ("aws", "aws-cn", "aws-us-gov"), or NULL
 * when the name matches none of them (including pseudo-regions such as
 * aws-global or fips-us-east-1, which are never scanned).
 */
const char *sg_endpoint_partition(const char *region);

/* The DNS suffix of a partition ("amazonaws.com", "amazonaws.com.cn"); NULL if unknown. */
const char *sg_endpoint_dns_suffix(const char *partition);

/* A region name is syntactically sane: [a-z0-9-], 1..63 chars, no leading/trailing '-'. */
bool sg_endpoint_region_valid(const char *region);

/* Whether a FIPS endpoint exists for (service, region). */
bool sg_endpoint_has_fips(enum sg_service svc, const char *region);

/*
 * Resolve the endpoint for (svc, region). Errors: EINVAL for a malformed
 * region or override URL (the message names it), EUNSUPPORTED for FIPS
 * where none exists, ENOTFOUND for a region in no known partition without
 * an override.
 */
enum sg_status sg_endpoint_resolve(struct sg_endpoint *out, enum sg_service svc,
                                   const char *region,
                                   const struct sg_endpoint_options *opt,
                                   struct sg_error *err) SG_MUST_USE;

/*
 * Check and split an override URL: scheme http or https, a host (name,
 * IPv4, or [IPv6]), optional :port, optional path; no user info, query or
 * fragment. host_out gets host[:port] (SG_HOST_MAX), path_out the path
 * ("/" if none; SG_URL_MAX). The message names the URL on failure.
 */
enum sg_status sg_endpoint_parse_url(const char *url, bool *https_out, char *host_out,
                                     char *path_out, struct sg_error *err) SG_MUST_USE;

#endif
