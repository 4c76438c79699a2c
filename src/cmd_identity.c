/*
 * cmd_identity.c — `sg-audit identity`: who would scan. STS
 * GetCallerIdentity through the configured credentials, printing the
 * account, caller ARN, partition and where the credentials came from.
 * Never a secret: not the secret key, not the token, not even the key id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sg_cli.h"
#include "sg_cli_aws.h"
#include "sg_sts.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: sg-audit identity [--format text|json] [AWS options]\n"
	    "\n"
	    "Show the AWS identity sg-audit would scan as (STS GetCallerIdentity):\n"
	    "account, caller ARN, partition and the credential source.\n"
	    "\n"
	    "  --format text|json     output format (default text)\n"
	    "  --help                 show this help\n"
	    "\n");
	sg_cli_aws_usage(f);
}

static int
print_json(const struct sg_identity *id, const char *source, const char *profile,
           const char *region)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	if (o == NULL ||
	    cJSON_AddStringToObject(o, "account", id->account) == NULL ||
	    cJSON_AddStringToObject(o, "arn", id->arn) == NULL ||
	    cJSON_AddStringToObject(o, "user_id", id->user_id) == NULL ||
	    cJSON_AddStringToObject(o, "partition", id->partition) == NULL ||
	    cJSON_AddStringToObject(o, "credential_source", source) == NULL ||
	    cJSON_AddStringToObject(o, "profile", profile) == NULL ||
	    cJSON_AddStringToObject(o, "region", region) == NULL ||
	    cJSON_AddStringToObject(o, "request_id", id->request_id) == NULL ||
	    (s = cJSON_Print(o)) == NULL) {
		cJSON_Delete(o);
		fprintf(stderr, "sg-audit: identity: out of memory\n");
		return SG_EXIT_INTERNAL;
	}
	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
	return SG_EXIT_CLEAN;
}

int
sg_cmd_identity(int argc, char **argv)
{
	struct sg_cli_aws opts;
	struct sg_cli_aws_session s;
	struct sg_identity id;
	struct sg_creds c;
	struct sg_error err;
	enum sg_status st;
	const char *format = "text";
	char source[sizeof(c.source)];
	int i, r, rc;

	sg_cli_aws_init(&opts);
	for (i = 1; i < argc; i++) {
		r = sg_cli_aws_option(&opts, "identity", argc, argv, &i);
		if (r < 0)
			return SG_EXIT_USAGE;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return SG_EXIT_CLEAN;
		}
		if (strcmp(argv[i], "--format") == 0 || strncmp(argv[i], "--format=", 9) == 0) {
			const char *v = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (v == NULL || (strcmp(v, "text") != 0 && strcmp(v, "json") != 0))
				return sg_cli_usage_error("identity", "--format must be text or json");
			format = v;
			continue;
		}
		return sg_cli_usage_error("identity", "unknown option '%s'", argv[i]);
	}

	sg_err_init(&err);
	if ((st = sg_cli_aws_open(&opts, &s, &err)) != SG_OK) {
		sg_cli_report_error("identity", &err);
		return sg_exit_for_status(st);
	}
	/* Resolve credentials first, so a missing source is reported as such. */
	sg_creds_init(&c);
	if ((st = sg_creds_provider_get(s.creds, &c, &err)) != SG_OK) {
		sg_cli_report_error("identity", &err);
		sg_cli_aws_close(&s);
		return sg_exit_for_status(st);
	}
	snprintf(source, sizeof(source), "%s", c.source[0] ? c.source : "unknown");
	sg_creds_dispose(&c);

	st = sg_sts_get_caller_identity(s.aws, NULL, &id, &err);
	if (st != SG_OK) {
		sg_cli_report_error("identity", &err);
		sg_cli_aws_close(&s);
		return sg_exit_for_status(st);
	}
	if (strcmp(format, "json") == 0) {
		rc = print_json(&id, source, s.profile, s.region);
	} else {
		printf("account            %s\n", id.account);
		printf("arn                %s\n", id.arn);
		printf("user id            %s\n", id.user_id);
		printf("partition          %s\n", id.partition);
		printf("credential source  %s\n", source);
		printf("profile            %s\n", s.profile);
		printf("region             %s\n", s.region);
		rc = SG_EXIT_CLEAN;
	}
	sg_cli_aws_close(&s);
	return rc;
}
