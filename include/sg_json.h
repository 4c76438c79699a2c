/*
 * sg_json.h — helpers shared by the JSON file loaders (policies, waivers).
 */
#ifndef SG_JSON_H
#define SG_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sg_err.h"

/*
 * Check that every member of `obj` is named in the NULL-terminated `allowed`
 * list and that no name appears twice (cJSON would silently use the first of
 * two equal keys). Errors are SG_ECONFIG, prefixed with `where`.
 */
enum sg_status sg_json_only_keys(const cJSON *obj, const char *const *allowed,
                                 const char *where, struct sg_error *err) SG_MUST_USE;

/*
 * Parse one JSON file's bytes into *out (caller frees with cJSON_Delete).
 * Refuses, with SG_ECONFIG prefixed by `name`: more than max_bytes, an
 * embedded NUL (cJSON would stop there and ignore the rest), and malformed
 * JSON (naming the byte offset). *out is written only on success.
 */
enum sg_status sg_json_parse_capped(const char *name, const char *data, size_t len,
                                    size_t max_bytes, cJSON **out,
                                    struct sg_error *err) SG_MUST_USE;

#endif
