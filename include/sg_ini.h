/*
 * sg_ini.h — the AWS shared config/credentials file format, read the way
 * botocore reads it (Python RawConfigParser, strict mode):
 *
 *   [section]            names are case-sensitive, kept as written inside []
 *   key = value          or "key: value"; the first '=' or ':' splits;
 *                        keys are trimmed and lower-cased, values trimmed
 *   # comment / ; comment   whole lines only ("a = b # c" keeps "b # c")
 *   key =                an indented line after a key continues its value
 *       sub = value      (joined with '\n'; botocore reads that as a nested
 *                        sub-section, e.g. "s3 =\n  addressing_style = path")
 *   [DEFAULT]            its keys are defaults for every section, and it may
 *                        appear more than once (Python)
 *
 * Deliberately stricter than Python: "[name" with no ']' is an error even
 * when the line also holds '=' or ':' (Python would take "[name" as a key),
 * NUL bytes are refused, and whitespace and case folding are ASCII-only.
 *
 * Lines may end in LF, CRLF or CR. Errors name the file (as given in
 * `display_name`) and line, and never quote a value: a line in a
 * credentials file may hold a secret. Rejected: more than SG_INI_MAX_BYTES,
 * NUL bytes (binary), invalid UTF-8, a key before any section, a line that
 * is neither section, key nor comment, an unterminated "[section", an empty
 * key, a section or key that appears twice (naming both lines).
 *
 * Values are treated as secrets: wiped when the ini is freed.
 */
#ifndef SG_INI_H
#define SG_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_err.h"

#define SG_INI_MAX_BYTES ((size_t)1 << 20) /* 1 MiB */

struct sg_ini;

/*
 * Parse `len` bytes. On success *out is a new ini the caller frees with
 * sg_ini_free(); on failure *out is untouched and err says file and line
 * (status SG_ECONFIG, size included: a bad file is a configuration error).
 */
enum sg_status sg_ini_parse(struct sg_ini **out, const char *display_name,
                            const char *data, size_t len,
                            struct sg_error *err) SG_MUST_USE;

/*
 * Read and parse a file. A missing file returns SG_ENOTFOUND with a message
 * (callers that treat absence as normal check for that status).
 */
enum sg_status sg_ini_load(struct sg_ini **out, const char *path,
                           const char *display_name,
                           struct sg_error *err) SG_MUST_USE;

/*
 * The value of `key` (lower-case) in `section`, falling back to [DEFAULT];
 * NULL if absent. *line_out (may be NULL) receives its line number.
 * Borrowed: valid until sg_ini_free().
 */
const char *sg_ini_get(const struct sg_ini *ini, const char *section, const char *key,
                       unsigned *line_out);

bool sg_ini_has_section(const struct sg_ini *ini, const char *section);

/* Sections in file order ([DEFAULT] included), for listing profiles. */
size_t sg_ini_section_count(const struct sg_ini *ini);
const char *sg_ini_section_name(const struct sg_ini *ini, size_t i);

/* Keys of section i in file order; *value_out (may be NULL) gets the value.
 * NULL past the end. Borrowed: valid until sg_ini_free(). */
size_t sg_ini_key_count(const struct sg_ini *ini, size_t section);
const char *sg_ini_key_at(const struct sg_ini *ini, size_t section, size_t i,
                          const char **value_out);

/* The display name given at parse time. */
const char *sg_ini_name(const struct sg_ini *ini);

/* Free (values wiped first). Accepts NULL. */
void sg_ini_free(struct sg_ini *ini);

#endif
