/*
 * sg_json.h — helpers shared by the JSON file loaders (policies, waivers).
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <cjson/cJSON.h>

#include "sg_err.h"

/*
 * Check that every member of `obj` is named in the NULL-terminated `allowed`
 * list and that no name appears twice (cJSON would silently use the first of
 * two equal keys). Errors are SG_ECONFIG, prefixed with `where`.
 */
enum sg_status sg_json_only_keys(const cJSON *obj, const char *const *allowed,
                                 const char *where, struct sg_error *err) SG_MUST_USE;

#endif
