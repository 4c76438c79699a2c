/*
 * sg_cli_aws.h — the AWS flags every AWS-calling command shares (scan,
 * events, identity, call), parsed in one place so no command re-implements
 * them:
 *
 *   --endpoint-url URL   --profile NAME     --region REGION
 *   --max-attempts N     --max-rate R       --concurrency N
 *   --ca-bundle FILE     --connect-timeout S --timeout S     --debug
 *
 * Precedence: flag > environment (sg_aws_config_from_env) > profile
 * (region) > defaults. Typical command:
 *
 *     struct sg_cli_aws o;
 *     sg_cli_aws_init(&o);
 *     for (i = 1; i < argc; i++) {
 *         int r = sg_cli_aws_option(&o, "scan", argc, argv, &i);
 *         if (r < 0) return SG_EXIT_USAGE;      // message already printed
 *         if (r > 0) continue;                  // consumed (with its value)
 *         ... the command's own flags ...
 *     }
 *     struct sg_cli_aws_session s;
 *     if (sg_cli_aws_open(&o, &s, &err) != SG_OK) { report; exit code }
 *     ... s.aws ...
 *     sg_cli_aws_close(&s);
 */
#ifndef SG_CLI_AWS_H
#define SG_CLI_AWS_H

#include <stdbool.h>
#include <stdio.h>

#include "sg_aws.h"
#include "sg_creds.h"
#include "sg_err.h"

struct sg_cli_aws {
	char endpoint_url[SG_URL_MAX];
	char profile[128];
	char region[SG_REGION_MAX];
	char ca_bundle[PATH_MAX];
	int max_attempts;      /* 0 = not given */
	double max_rate;       /* 0 = not given */
	int concurrency;       /* 0 = not given */
	long connect_timeout_ms; /* 0 = not given */
	long timeout_ms;         /* each attempt's whole time; 0 = not given */
	bool debug;
};

void sg_cli_aws_init(struct sg_cli_aws *o);

/*
 * If argv[*i] is one of the shared flags ("--flag VALUE" or "--flag=VALUE"),
 * record it, advance *i past its value and return 1; return 0 if it is not
 * one of ours; on a bad value print a usage error naming `cmd` and return -1.
 */
int sg_cli_aws_option(struct sg_cli_aws *o, const char *cmd, int argc, char **argv, int *i);

/* Help lines for the shared flags (for a command's --help). */
void sg_cli_aws_usage(FILE *f);

/* An open client: the aws client and the credentials provider it signs with. */
struct sg_cli_aws_session {
	struct sg_aws *aws;
	struct sg_creds_provider *creds;
	char region[SG_REGION_MAX];  /* effective default region */
	char profile[128];           /* resolved profile name */
};

/*
 * Build the configuration (defaults, environment, profile region, flags),
 * create the client and the credentials provider, and wire the provider's
 * HTTP and STS hooks to this client. Errors: EINVAL for a bad environment
 * value, anything sg_aws_new / sg_creds_provider_new return.
 */
enum sg_status sg_cli_aws_open(const struct sg_cli_aws *o, struct sg_cli_aws_session *s,
                               struct sg_error *err) SG_MUST_USE;
void sg_cli_aws_close(struct sg_cli_aws_session *s);

#endif
