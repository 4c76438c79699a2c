/* cmd_policies.c — 'sg-audit policies'. Not built yet: says so and exits non-zero. */
#include <stdio.h>

#include "sg_cli.h"

int
sg_cmd_policies(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sg-audit: 'policies' is not built yet in this version\n");
	return SG_EXIT_USAGE;
}
