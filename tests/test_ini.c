/* test_ini.c — AWS config/credentials file parsing: RawConfigParser semantics,
 * the reference samples, and precise errors for bad files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sg_buf.h"
#include "sg_ini.h"

static struct sg_ini *
parse_ok(const char *text)
{
	struct sg_ini *ini = NULL;
	struct sg_error err;

	sg_err_init(&err);
	if (sg_ini_parse(&ini, "t.ini", text, strlen(text), &err) != SG_OK)
		fail_msg("unexpected parse error: %s", err.msg);
	return ini;
}

static void
expect_error(const char *text, size_t len, enum sg_status st, const char *msg)
{
	struct sg_ini *ini = NULL;
	struct sg_error err;

	sg_err_init(&err);
	assert_int_equal(sg_ini_parse(&ini, "~/.aws/config", text, len, &err), st);
	assert_null(ini);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("error '%s' lacks '%s'", err.msg, msg);
}

static void
keys_values_and_comments(void **state)
{
	struct sg_ini *ini;
	unsigned line = 0;
	(void)state;

	ini = parse_ok("# top comment\n"
	               "; another\n"
	               "[default]\n"
	               "  Region   =   eu-west-1  \n"
	               "output: json\n"
	               "x = a = b\n"
	               "y = v # not a comment\n"
	               "empty =\n"
	               "\n"
	               "[profile two words]\n"
	               "k=v\n");
	assert_string_equal(sg_ini_get(ini, "default", "region", &line), "eu-west-1");
	assert_int_equal(line, 4);
	assert_string_equal(sg_ini_get(ini, "default", "output", NULL), "json");
	assert_string_equal(sg_ini_get(ini, "default", "x", NULL), "a = b");
	assert_string_equal(sg_ini_get(ini, "default", "y", NULL), "v # not a comment");
	assert_string_equal(sg_ini_get(ini, "default", "empty", NULL), "");
	assert_null(sg_ini_get(ini, "default", "Region", NULL)); /* lookups are lower-case */
	assert_string_equal(sg_ini_get(ini, "profile two words", "k", NULL), "v");
	assert_true(sg_ini_has_section(ini, "profile two words"));
	assert_false(sg_ini_has_section(ini, "Default")); /* section names keep case */
	assert_int_equal(sg_ini_section_count(ini), 2);
	assert_string_equal(sg_ini_section_name(ini, 1), "profile two words");
	sg_ini_free(ini);
}

static void
continuation_lines_match_python(void **state)
{
	struct sg_ini *ini;
	(void)state;

	/* Values checked against Python 3.11 RawConfigParser. */
	ini = parse_ok("[a]\nk = v\n\n\n   cont\n# c\n  more\nx=1\n"
	               "s3 =\n    addressing_style = path\n    signature_version = s3v4\n"
	               "[b]\n  indented = yes\n  [c]\n");
	assert_string_equal(sg_ini_get(ini, "a", "k", NULL), "v\n\n\ncont\nmore");
	assert_string_equal(sg_ini_get(ini, "a", "x", NULL), "1");
	assert_string_equal(sg_ini_get(ini, "a", "s3", NULL),
	    "\naddressing_style = path\nsignature_version = s3v4");
	/* A key indented right after a header is a key, and a deeper line after
	 * it continues it, even one that looks like a header. */
	assert_string_equal(sg_ini_get(ini, "b", "indented", NULL), "yes");
	sg_ini_free(ini);
	ini = parse_ok("[b]\nk = v\n  [c]\n");
	assert_string_equal(sg_ini_get(ini, "b", "k", NULL), "v\n[c]");
	assert_false(sg_ini_has_section(ini, "c"));
	sg_ini_free(ini);
}

static void
crlf_and_cr_line_ends(void **state)
{
	struct sg_ini *ini;
	unsigned line = 0;
	(void)state;

	ini = parse_ok("[default]\r\naws_access_key_id = AKID\r\n\r\n"
	               "aws_secret_access_key = SECRET\r\n[x]\rk = v\r");
	assert_string_equal(sg_ini_get(ini, "default", "aws_access_key_id", NULL), "AKID");
	assert_string_equal(sg_ini_get(ini, "default", "aws_secret_access_key", &line), "SECRET");
	assert_int_equal(line, 4);
	assert_string_equal(sg_ini_get(ini, "x", "k", &line), "v");
	assert_int_equal(line, 6);
	sg_ini_free(ini);
}

static void
default_section_feeds_every_section(void **state)
{
	struct sg_ini *ini;
	(void)state;

	ini = parse_ok("[DEFAULT]\nregion = us-west-2\n[p]\nk = v\n[q]\nregion = eu-north-1\n");
	assert_string_equal(sg_ini_get(ini, "p", "region", NULL), "us-west-2");
	assert_string_equal(sg_ini_get(ini, "q", "region", NULL), "eu-north-1");
	assert_string_equal(sg_ini_get(ini, "nosuch", "region", NULL), "us-west-2");
	sg_ini_free(ini);
	/* [DEFAULT] may reopen (Python), but its keys still may not repeat. */
	ini = parse_ok("[DEFAULT]\na = 1\n[p]\n[DEFAULT]\nb = 2\n");
	assert_string_equal(sg_ini_get(ini, "p", "b", NULL), "2");
	assert_int_equal(sg_ini_section_count(ini), 2);
	assert_int_equal(sg_ini_key_count(ini, 0), 2);
	{
		const char *v = NULL;
		assert_string_equal(sg_ini_key_at(ini, 0, 1, &v), "b");
		assert_string_equal(v, "2");
		assert_null(sg_ini_key_at(ini, 0, 2, &v));
		assert_null(sg_ini_key_at(ini, 5, 0, NULL));
	}
	sg_ini_free(ini);
	expect_error("[DEFAULT]\na = 1\n[DEFAULT]\nA = 2\n", 32, SG_ECONFIG,
	    "line 4: key 'a' in section [DEFAULT] repeats line 2");
}

static void
header_runs_to_last_bracket(void **state)
{
	struct sg_ini *ini;
	(void)state;

	ini = parse_ok("[a]b]\nk = 1\n[c] trailing\nk = 2\n");
	assert_string_equal(sg_ini_get(ini, "a]b", "k", NULL), "1");
	assert_string_equal(sg_ini_get(ini, "c", "k", NULL), "2");
	sg_ini_free(ini);
}

static void
empty_file_and_comments_only(void **state)
{
	struct sg_ini *ini;
	(void)state;

	ini = parse_ok("");
	assert_int_equal(sg_ini_section_count(ini), 0);
	assert_null(sg_ini_get(ini, "default", "region", NULL));
	sg_ini_free(ini);
	ini = parse_ok("# only\n\n   ; comments\n");
	assert_int_equal(sg_ini_section_count(ini), 0);
	sg_ini_free(ini);
	assert_null(sg_ini_get(NULL, "a", "b", NULL));
	sg_ini_free(NULL);
}

struct bad_case {
	const char *text;
	const char *msg;
};

static void
bad_files_get_precise_errors(void **state)
{
	static const struct bad_case cases[] = {
		{ "[default]\nregion = x\n[profile x\nk = v\n",
		  "~/.aws/config line 3: section header '[profile x' is not terminated" },
		{ "[default]\nregion = a\nRegion = b\n",
		  "~/.aws/config line 3: key 'region' in section [default] repeats line 2" },
		{ "[a]\n[b]\n[a]\n", "line 3: section [a] already appears at line 1" },
		{ "region = x\n[default]\n", "line 1: a key comes before any [section] header" },
		{ "[default]\naws_secret_access_key wJalrXUtnFEMI\n",
		  "line 2: expected 'key = value', a [section] header or a comment" },
		{ "[default]\n = v\n", "line 2: '=' with no key before it" },
		{ "[]\n", "line 1: section header '[]' has no name" },
		{ "[default]\nk = \xff\xfe\n", "line 2: not valid UTF-8 text" },
		{ "[default]\nk = \xc0\xaf\n", "line 2: not valid UTF-8 text" },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, strlen(cases[i].text), SG_ECONFIG, cases[i].msg);
}

static void
errors_never_quote_values(void **state)
{
	struct sg_ini *ini = NULL;
	struct sg_error err;
	const char *text = "[default]\naws_secret_access_key wJalrXUtnFEMI/K7MDENG\n";
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_ini_parse(&ini, "creds", text, strlen(text), &err), SG_ECONFIG);
	assert_null(strstr(err.msg, "wJalr"));
}

static void
binary_and_huge_files_rejected(void **state)
{
	static const char bin[] = "[default]\nk = v\n\0\x01\x02";
	char *big;
	size_t n = SG_INI_MAX_BYTES + 1;
	(void)state;

	expect_error(bin, sizeof(bin) - 1, SG_ECONFIG, "line 3: contains a NUL byte (binary file?)");
	/* A UTF-8 byte-order mark (Notepad): named, not "a key before any section". */
	expect_error("\xEF\xBB\xBF[default]\nregion = eu-west-1\n", 32, SG_ECONFIG,
	    "~/.aws/config line 1: starts with a UTF-8 byte-order mark; save it without one");
	big = malloc(n);
	assert_non_null(big);
	memset(big, '#', n);
	expect_error(big, n, SG_ECONFIG, "larger than 1048576 bytes");
	free(big);
}

static void
load_names_the_file(void **state)
{
	char dir[] = "/tmp/sg-ini-XXXXXX", path[64];
	struct sg_ini *ini = NULL;
	struct sg_error err;
	FILE *f;
	char *big;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config", dir);
	sg_err_init(&err);
	assert_int_equal(sg_ini_load(&ini, path, "~/.aws/config", &err), SG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "~/.aws/config: no such file"));

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[default]\nregion = eu-west-3\n", f);
	fclose(f);
	sg_err_init(&err);
	assert_int_equal(sg_ini_load(&ini, path, NULL, &err), SG_OK);
	assert_string_equal(sg_ini_get(ini, "default", "region", NULL), "eu-west-3");
	assert_string_equal(sg_ini_name(ini), path);
	sg_ini_free(ini);

	big = calloc(1, SG_INI_MAX_BYTES + 10);
	assert_non_null(big);
	memset(big, ';', SG_INI_MAX_BYTES + 9);
	f = fopen(path, "w");
	fputs(big, f);
	fclose(f);
	free(big);
	ini = NULL;
	sg_err_init(&err);
	assert_int_equal(sg_ini_load(&ini, path, "~/.aws/config", &err), SG_ECONFIG);
	assert_null(ini);
	assert_non_null(strstr(err.msg, "~/.aws/config: file is larger"));
	unlink(path);
	rmdir(dir);
}

static void
many_keys_and_sections_find_duplicates(void **state)
{
	struct sg_buf b;
	struct sg_error err;
	struct sg_ini *ini = NULL;
	int i;
	(void)state;

	/* Thousands of distinct keys and sections parse; a late duplicate is
	 * still found and names the first line (the index must not miss it). */
	sg_buf_init(&b, SG_INI_MAX_BYTES);
	sg_err_init(&err);
	for (i = 0; i < 3000; i++)
		assert_int_equal(sg_buf_appendf(&b, &err, "[s%d]\nk%d = %d\n", i, i, i), SG_OK);
	assert_int_equal(sg_buf_append_str(&b, "[big]\n", &err), SG_OK);
	for (i = 0; i < 5000; i++)
		assert_int_equal(sg_buf_appendf(&b, &err, "key%d = v\n", i), SG_OK);
	assert_int_equal(sg_ini_parse(&ini, "big", b.data, b.len, &err), SG_OK);
	assert_int_equal(sg_ini_section_count(ini), 3001);
	assert_string_equal(sg_ini_get(ini, "s2999", "k2999", NULL), "2999");
	assert_string_equal(sg_ini_get(ini, "big", "key4999", NULL), "v");
	sg_ini_free(ini);
	ini = NULL;
	assert_int_equal(sg_buf_append_str(&b, "KEY17 = again\n[s1234]\n", &err), SG_OK);
	assert_int_equal(sg_ini_parse(&ini, "big", b.data, b.len, &err), SG_ECONFIG);
	assert_non_null(strstr(err.msg, "big line 11002: key 'key17' in section [big] repeats line 6019"));
	sg_err_init(&err);
	/* Drop the duplicate key: the repeated section is caught instead. */
	b.len -= strlen("KEY17 = again\n[s1234]\n");
	assert_int_equal(sg_buf_append_str(&b, "[s1234]\n", &err), SG_OK);
	assert_int_equal(sg_ini_parse(&ini, "big", b.data, b.len, &err), SG_ECONFIG);
	assert_non_null(strstr(err.msg, "line 11002: section [s1234] already appears at line 2469"));
	assert_null(ini);
	sg_buf_dispose(&b);
}

/* The shared reference samples parse and carry what botocore reads from them. */
static void
reference_samples_parse(void **state)
{
	const char *shared = getenv("SG_SHARED");
	char path[512];
	struct sg_ini *ini = NULL;
	struct sg_error err;
	(void)state;

	if (shared == NULL)
		shared = "../shared";
	snprintf(path, sizeof(path), "%s/reference/samples/aws-config.ini", shared);
	sg_err_init(&err);
	assert_int_equal(sg_ini_load(&ini, path, NULL, &err), SG_OK);
	assert_string_equal(sg_ini_get(ini, "default", "region", NULL), "us-east-1");
	assert_string_equal(sg_ini_get(ini, "profile prod-audit", "source_profile", NULL),
	    "audit-source");
	assert_string_equal(sg_ini_get(ini, "profile helper", "credential_process", NULL),
	    "/usr/local/bin/get-aws-creds --account 123456789012 --role \"Security Audit\"");
	assert_string_equal(sg_ini_get(ini, "sso-session corp", "sso_region", NULL), "us-east-1");
	assert_string_equal(sg_ini_get(ini, "profile nested", "s3", NULL),
	    "\naddressing_style = path");
	sg_ini_free(ini);

	snprintf(path, sizeof(path), "%s/reference/samples/aws-credentials.ini", shared);
	sg_err_init(&err);
	assert_int_equal(sg_ini_load(&ini, path, NULL, &err), SG_OK);
	assert_string_equal(sg_ini_get(ini, "temp", "aws_access_key_id", NULL),
	    "ASIAIOSFODNN7EXAMPLE");
	assert_int_equal(sg_ini_section_count(ini), 3);
	sg_ini_free(ini);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_values_and_comments),
		cmocka_unit_test(continuation_lines_match_python),
		cmocka_unit_test(crlf_and_cr_line_ends),
		cmocka_unit_test(default_section_feeds_every_section),
		cmocka_unit_test(header_runs_to_last_bracket),
		cmocka_unit_test(empty_file_and_comments_only),
		cmocka_unit_test(bad_files_get_precise_errors),
		cmocka_unit_test(errors_never_quote_values),
		cmocka_unit_test(binary_and_huge_files_rejected),
		cmocka_unit_test(load_names_the_file),
		cmocka_unit_test(many_keys_and_sections_find_duplicates),
		cmocka_unit_test(reference_samples_parse),
	};
	return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
