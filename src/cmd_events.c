/* cmd_events.c — 'sg-audit events'. Not built yet: says so and exits non-zero. */
#include <stdio.h>

#include "sg_cli.h"

int
sg_cmd_events(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sg-audit: 'events' is not built yet in this version\n");
	return SG_EXIT_USAGE;
}
