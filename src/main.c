/* main.c — sg-audit entry point; everything lives in the library. */
#include "sg_cli.h"

int
main(int argc, char **argv)
{
	return sg_cli_main(argc, argv);
}
