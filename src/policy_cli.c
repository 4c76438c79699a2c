/* policy_cli.c — --policies, --waivers, --scope-tag and the evaluation step of a scan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_cli.h"
#include "sg_policy_cli.h"
#include "sg_waiver.h"

void
sg_policy_cli_init(struct sg_policy_cli *o)
{
	memset(o, 0, sizeof(*o));
}

void
sg_policy_cli_dispose(struct sg_policy_cli *o)
{
	size_t i;

	for (i = 0; i < o->n_tags; i++)
		free(o->tag_text[i]);
	memset(o, 0, sizeof(*o));
}

/* "--flag VALUE" or "--flag=VALUE": the value, or NULL if argv[*i] is not this flag. */
static const char *
flag_value(const char *flag, int argc, char **argv, int *i, bool *missing)
{
	size_t n = strlen(flag);
	const char *a = argv[*i];

	*missing = false;
	if (strncmp(a, flag, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int
sg_policy_cli_option(struct sg_policy_cli *o, const char *cmd, int argc, char **argv, int *i)
{
	const char *v;
	bool missing;

	if ((v = flag_value("--policies", argc, argv, i, &missing)) != NULL || missing) {
		if (missing || v[0] == '\0') {
			sg_cli_usage_error(cmd, "--policies needs a directory");
			return -1;
		}
		o->policies_dir = v;
		return 1;
	}
	if ((v = flag_value("--waivers", argc, argv, i, &missing)) != NULL || missing) {
		if (missing || v[0] == '\0') {
			sg_cli_usage_error(cmd, "--waivers needs a file");
			return -1;
		}
		o->waivers = v;
		return 1;
	}
	if ((v = flag_value("--scope-tag", argc, argv, i, &missing)) != NULL || missing) {
		char *copy;
		if (missing) {
			sg_cli_usage_error(cmd, "--scope-tag needs KEY=VALUE");
			return -1;
		}
		if (o->n_tags >= SG_POLICY_CLI_MAX_TAGS) {
			sg_cli_usage_error(cmd, "--scope-tag: at most %d tags", SG_POLICY_CLI_MAX_TAGS);
			return -1;
		}
		copy = strdup(v);
		if (copy == NULL || !sg_scope_tag_parse(copy, &o->tags[o->n_tags])) {
			free(copy);
			sg_cli_usage_error(cmd, "--scope-tag: '%s' is not KEY=VALUE", v);
			return -1;
		}
		o->tag_text[o->n_tags++] = copy;
		return 1;
	}
	return 0;
}

void
sg_policy_cli_usage(FILE *f)
{
	fprintf(f,
	    "  --policies DIR         add or replace policies (by PolicyID) from DIR/*.json\n"
	    "  --waivers FILE         accepted exceptions: a live waiver turns FAIL into WAIVED\n"
	    "  --scope-tag KEY=VALUE  PCI scope: groups with any of these tags (repeatable;\n"
	    "                         default: every group is in scope)\n");
}

enum sg_status
sg_policy_cli_evaluate(const struct sg_policy_cli *o, const struct sg_inventory *inv,
                       bool regions_all, time_t now, struct sg_policy_set **ps_out,
                       struct sg_policy_result **res_out, struct sg_error *err)
{
	struct sg_policy_set *ps = sg_policy_set_new();
	struct sg_waiver_set *ws = NULL;
	struct sg_policy_result *res = NULL;
	struct sg_policy_scope scope;
	enum sg_status st;

	if (ps == NULL)
		return sg_err_set(err, SG_ENOMEM, "out of memory");
	if ((st = sg_policy_set_load_default(ps, o->policies_dir, err)) != SG_OK)
		goto fail;
	if (o->waivers != NULL && (st = sg_waiver_set_load(o->waivers, &ws, err)) != SG_OK) {
		if (st == SG_ENOTFOUND)
			sg_err_prefix(err, "--waivers: ");
		goto fail;
	}
	scope.tags = o->tags;
	scope.n_tags = o->n_tags;
	scope.regions_all = regions_all;
	if ((st = sg_policy_eval(inv, ps, ws, &scope, now, &res, err)) != SG_OK)
		goto fail;
	sg_waiver_set_free(ws);
	*ps_out = ps;
	*res_out = res;
	return SG_OK;
fail:
	sg_waiver_set_free(ws);
	sg_policy_set_free(ps);
	return st;
}
