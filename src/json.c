/* json.c — helpers shared by the JSON file loaders. */
#include <stdbool.h>
#include <string.h>

#include "sg_json.h"

enum sg_status
sg_json_only_keys(const cJSON *obj, const char *const *allowed, const char *where,
                  struct sg_error *err)
{
	const cJSON *it, *g;
	size_t k;

	cJSON_ArrayForEach(it, obj) {
		bool ok = false;
		for (k = 0; allowed[k] != NULL; k++)
			if (it->string != NULL && strcmp(it->string, allowed[k]) == 0)
				ok = true;
		if (!ok)
			return sg_err_set(err, SG_ECONFIG, "%s: unknown field '%.60s'", where,
			    it->string ? it->string : "");
		for (g = obj->child; g != it; g = g->next)
			if (strcmp(g->string, it->string) == 0)
				return sg_err_set(err, SG_ECONFIG, "%s: duplicate field '%s'",
				    where, it->string);
	}
	return SG_OK;
}
