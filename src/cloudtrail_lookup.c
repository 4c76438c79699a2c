/*
 * cloudtrail_lookup.c — CloudTrail LookupEvents as a source of records.
 * Placeholder until the AWS client lands: says plainly that it is not built.
 */
#include <string.h>

#include "cloudtrail_internal.h"

void
sg_ct_lookup_args_init(struct sg_ct_lookup_args *a)
{
	memset(a, 0, sizeof(*a));
}

void
sg_ct_lookup_args_dispose(struct sg_ct_lookup_args *a)
{
	(void)a;
}

int
sg_ct_lookup_option(struct sg_ct_lookup_args *a, int argc, char **argv, int i,
                    struct sg_error *err)
{
	(void)a;
	(void)argc;
	(void)argv;
	(void)i;
	(void)err;
	return 0;
}

bool
sg_ct_lookup_args_used(const struct sg_ct_lookup_args *a)
{
	return a->aws_used;
}

const char *
sg_ct_lookup_usage(void)
{
	return "";
}

enum sg_status
sg_ct_lookup_run(struct sg_ct_scan *s, struct sg_ct_lookup_args *a, struct sg_error *err)
{
	(void)s;
	(void)a;
	return sg_err_set(err, SG_EUNSUPPORTED, "LookupEvents is not built yet in this version; "
	    "use --file");
}
