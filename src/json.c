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

enum sg_status
sg_json_parse_capped(const char *name, const char *data, size_t len, size_t max_bytes,
                     cJSON **out, struct sg_error *err)
{
	cJSON *root;

	if (len > max_bytes)
		return sg_err_set(err, SG_ECONFIG, "%s: larger than %zu bytes", name, max_bytes);
	if (memchr(data, '\0', len) != NULL)
		return sg_err_set(err, SG_ECONFIG, "%s: contains a NUL byte", name);
	root = cJSON_ParseWithLength(data, len);
	if (root == NULL) {
		const char *at = cJSON_GetErrorPtr();
		size_t off = at && at >= data && at <= data + len ? (size_t)(at - data) : 0;
		return sg_err_set(err, SG_ECONFIG, "%s: malformed JSON near byte %zu", name, off);
	}
	*out = root;
	return SG_OK;
}
