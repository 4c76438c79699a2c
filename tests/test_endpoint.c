/* test_endpoint.c — the endpoint table: partitions, hosts, FIPS, overrides. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sg_endpoint.h"

struct ep_case {
	enum sg_service svc;
	const char *region;
	bool fips;
	enum sg_status want;
	const char *url;
	const char *partition;
};

static const struct ep_case cases[] = {
	{ SG_SVC_EC2, "eu-south-2", false, SG_OK, "https://ec2.eu-south-2.amazonaws.com/", "aws" },
	{ SG_SVC_EC2, "us-east-1", false, SG_OK, "https://ec2.us-east-1.amazonaws.com/", "aws" },
	{ SG_SVC_EC2, "il-central-1", false, SG_OK, "https://ec2.il-central-1.amazonaws.com/", "aws" },
	{ SG_SVC_EC2, "mx-central-1", false, SG_OK, "https://ec2.mx-central-1.amazonaws.com/", "aws" },
	{ SG_SVC_EC2, "ap-southeast-7", false, SG_OK, "https://ec2.ap-southeast-7.amazonaws.com/", "aws" },
	{ SG_SVC_EC2, "cn-north-1", false, SG_OK, "https://ec2.cn-north-1.amazonaws.com.cn/", "aws-cn" },
	{ SG_SVC_EC2, "cn-northwest-1", false, SG_OK, "https://ec2.cn-northwest-1.amazonaws.com.cn/", "aws-cn" },
	{ SG_SVC_EC2, "us-gov-west-1", false, SG_OK, "https://ec2.us-gov-west-1.amazonaws.com/", "aws-us-gov" },
	{ SG_SVC_STS, "eu-west-1", false, SG_OK, "https://sts.eu-west-1.amazonaws.com/", "aws" },
	{ SG_SVC_STS, "cn-north-1", false, SG_OK, "https://sts.cn-north-1.amazonaws.com.cn/", "aws-cn" },
	{ SG_SVC_CLOUDTRAIL, "eu-central-2", false, SG_OK, "https://cloudtrail.eu-central-2.amazonaws.com/", "aws" },
	/* FIPS where it exists */
	{ SG_SVC_EC2, "us-east-1", true, SG_OK, "https://ec2-fips.us-east-1.amazonaws.com/", "aws" },
	{ SG_SVC_EC2, "ca-west-1", true, SG_OK, "https://ec2-fips.ca-west-1.amazonaws.com/", "aws" },
	{ SG_SVC_STS, "us-west-2", true, SG_OK, "https://sts-fips.us-west-2.amazonaws.com/", "aws" },
	{ SG_SVC_CLOUDTRAIL, "us-east-2", true, SG_OK, "https://cloudtrail-fips.us-east-2.amazonaws.com/", "aws" },
	/* GovCloud: the plain endpoint is the FIPS one */
	{ SG_SVC_EC2, "us-gov-east-1", true, SG_OK, "https://ec2.us-gov-east-1.amazonaws.com/", "aws-us-gov" },
	/* ... and not where it does not */
	{ SG_SVC_EC2, "eu-west-1", true, SG_EUNSUPPORTED, NULL, NULL },
	{ SG_SVC_STS, "ca-central-1", true, SG_EUNSUPPORTED, NULL, NULL },
	{ SG_SVC_EC2, "cn-north-1", true, SG_EUNSUPPORTED, NULL, NULL },
	/* not regions */
	{ SG_SVC_EC2, "aws-global", false, SG_ENOTFOUND, NULL, NULL },
	{ SG_SVC_EC2, "fips-us-east-1", false, SG_ENOTFOUND, NULL, NULL },
	{ SG_SVC_EC2, "us-east", false, SG_ENOTFOUND, NULL, NULL },
	{ SG_SVC_EC2, "xx-east-1", false, SG_ENOTFOUND, NULL, NULL },
	{ SG_SVC_EC2, "us-east-1a", false, SG_ENOTFOUND, NULL, NULL },
	{ SG_SVC_EC2, "US-EAST-1", false, SG_EINVAL, NULL, NULL },
	{ SG_SVC_EC2, "us-east-1.evil.com", false, SG_EINVAL, NULL, NULL },
	{ SG_SVC_EC2, "", false, SG_EINVAL, NULL, NULL },
};

static void
endpoint_table(void **state)
{
	struct sg_endpoint_options o;
	struct sg_endpoint ep;
	struct sg_error err;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sg_status st;
		memset(&o, 0, sizeof(o));
		o.use_fips = cases[i].fips;
		sg_err_init(&err);
		st = sg_endpoint_resolve(&ep, cases[i].svc, cases[i].region, &o, &err);
		if (st != cases[i].want)
			fail_msg("%s %s fips=%d: status %d, want %d (%s)", sg_service_name(cases[i].svc),
			    cases[i].region, cases[i].fips, st, cases[i].want, err.msg);
		if (st != SG_OK) {
			assert_true(err.msg[0] != '\0');
			continue;
		}
		assert_string_equal(ep.url, cases[i].url);
		assert_string_equal(ep.partition, cases[i].partition);
		assert_string_equal(ep.region, cases[i].region);
		assert_string_equal(ep.service, sg_service_name(cases[i].svc));
		assert_string_equal(ep.path, "/");
		assert_false(ep.user_named);
		assert_false(ep.plain_http);
		assert_non_null(strstr(ep.url, ep.host));
	}
}

/* Dual-stack names, as the SDKs' endpoint rules build them (IPv4 and IPv6). */
static void
dualstack_names(void **state)
{
	static const struct {
		enum sg_service svc;
		const char *region;
		bool fips;
		const char *url;
	} ds[] = {
		{ SG_SVC_EC2, "eu-south-2", false, "https://ec2.eu-south-2.api.aws/" },
		{ SG_SVC_EC2, "us-east-1", true, "https://ec2-fips.us-east-1.api.aws/" },
		{ SG_SVC_EC2, "cn-north-1", false, "https://ec2.cn-north-1.api.amazonwebservices.com.cn/" },
		{ SG_SVC_EC2, "us-gov-east-1", false, "https://ec2.us-gov-east-1.api.aws/" },
		/* GovCloud's IPv4 name is FIPS as it is; its dual-stack FIPS name is not. */
		{ SG_SVC_EC2, "us-gov-east-1", true, "https://ec2-fips.us-gov-east-1.api.aws/" },
		{ SG_SVC_STS, "us-east-1", false, "https://sts.us-east-1.api.aws/" },
		{ SG_SVC_STS, "us-east-2", true, "https://sts-fips.us-east-2.api.aws/" },
		{ SG_SVC_CLOUDTRAIL, "us-east-1", false, "https://cloudtrail.us-east-1.api.aws/" },
	};
	struct sg_endpoint_options o;
	struct sg_endpoint ep;
	struct sg_error err;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.use_dualstack = true;
		o.use_fips = ds[i].fips;
		sg_err_init(&err);
		assert_int_equal(sg_endpoint_resolve(&ep, ds[i].svc, ds[i].region, &o, &err), SG_OK);
		assert_string_equal(ep.url, ds[i].url);
		assert_string_equal(ep.region, ds[i].region); /* the signing region is unchanged */
	}
	/* FIPS where there is none stays an error, dual-stack or not. */
	o.use_fips = true;
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_EC2, "eu-west-1", &o, &err), SG_EUNSUPPORTED);
	/* A user-named endpoint wins over dual-stack, as over FIPS. */
	o.use_fips = false;
	o.endpoint_url = "http://127.0.0.1:4566";
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_EC2, "eu-west-1", &o, &err), SG_OK);
	assert_string_equal(ep.url, "http://127.0.0.1:4566");
}

static void
override_urls(void **state)
{
	struct sg_endpoint_options o;
	struct sg_endpoint ep;
	struct sg_error err;
	(void)state;

	memset(&o, 0, sizeof(o));
	o.endpoint_url = "http://127.0.0.1:4566";
	o.service_url[SG_SVC_STS] = "https://sts.example.test:8443/base";
	sg_err_init(&err);
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_EC2, "eu-west-1", &o, &err), SG_OK);
	assert_string_equal(ep.url, "http://127.0.0.1:4566");
	assert_string_equal(ep.host, "127.0.0.1:4566");
	assert_string_equal(ep.path, "/");
	assert_string_equal(ep.region, "eu-west-1");
	assert_string_equal(ep.partition, "aws");
	assert_true(ep.user_named && ep.plain_http);
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_STS, "eu-west-1", &o, &err), SG_OK);
	assert_string_equal(ep.host, "sts.example.test:8443");
	assert_string_equal(ep.path, "/base");
	assert_false(ep.plain_http);
	/* Default ports are not part of the signed Host (curl omits them). */
	o.service_url[SG_SVC_CLOUDTRAIL] = "https://ct.example.test:443/";
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_CLOUDTRAIL, "eu-west-1", &o, &err), SG_OK);
	assert_string_equal(ep.host, "ct.example.test");
	o.service_url[SG_SVC_CLOUDTRAIL] = "http://127.0.0.1:80";
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_CLOUDTRAIL, "eu-west-1", &o, &err), SG_OK);
	assert_string_equal(ep.host, "127.0.0.1");
	o.service_url[SG_SVC_CLOUDTRAIL] = "http://127.0.0.1:8080";
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_CLOUDTRAIL, "eu-west-1", &o, &err), SG_OK);
	assert_string_equal(ep.host, "127.0.0.1:8080");
	/* An override makes any well-formed region usable (local endpoints). */
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_EC2, "local-test", &o, &err), SG_OK);
	assert_string_equal(ep.partition, "custom");
	/* FIPS does not apply to a user-named endpoint. */
	o.use_fips = true;
	assert_int_equal(sg_endpoint_resolve(&ep, SG_SVC_EC2, "eu-west-1", &o, &err), SG_OK);
}

static void
override_url_validation(void **state)
{
	static const char *const bad[] = {
		"ftp://x", "127.0.0.1:4566", "http://", "https://user:pw@host/", "http://h/?q=1",
		"http://h/#f", "http://h:0/", "http://h:65536/", "http://h:12x/", "http://h o/",
		"http://[::1/", "http://h\r\n/", "file:///etc/passwd", "",
	};
	static const char *const good[] = {
		"http://127.0.0.1:5000", "https://ec2.eu-west-1.amazonaws.com/", "http://[::1]:8080/",
		"http://localhost/", "https://vpce-0123.ec2.us-east-1.vpce.amazonaws.com",
	};
	char host[SG_HOST_MAX], path[SG_URL_MAX];
	struct sg_error err;
	bool https;
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sg_err_init(&err);
		if (sg_endpoint_parse_url(bad[i], &https, host, path, &err) == SG_OK)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(err.status, SG_EINVAL);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		sg_err_init(&err);
		if (sg_endpoint_parse_url(good[i], &https, host, path, &err) != SG_OK)
			fail_msg("rejected '%s': %s", good[i], err.msg);
	}
}

static void
partitions_and_services(void **state)
{
	enum sg_service s;
	(void)state;

	assert_string_equal(sg_endpoint_partition("us-gov-west-1"), "aws-us-gov");
	assert_string_equal(sg_endpoint_partition("cn-north-1"), "aws-cn");
	assert_string_equal(sg_endpoint_partition("af-south-1"), "aws");
	assert_null(sg_endpoint_partition("eusc-de-east-1"));
	assert_null(sg_endpoint_partition(NULL));
	assert_string_equal(sg_endpoint_dns_suffix("aws-cn"), "amazonaws.com.cn");
	assert_true(sg_service_parse("cloudtrail", &s));
	assert_int_equal(s, SG_SVC_CLOUDTRAIL);
	assert_false(sg_service_parse("s3", &s));
	assert_true(sg_endpoint_has_fips(SG_SVC_EC2, "ca-central-1"));
	assert_false(sg_endpoint_has_fips(SG_SVC_CLOUDTRAIL, "ca-central-1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(endpoint_table),
		cmocka_unit_test(dualstack_names),
		cmocka_unit_test(override_urls),
		cmocka_unit_test(override_url_validation),
		cmocka_unit_test(partitions_and_services),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
