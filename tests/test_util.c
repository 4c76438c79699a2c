/* test_util.c — sg_buf caps, first-error-wins, strict parsing, atomic writes, exit table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sg_buf.h"
#include "sg_cli.h"
#include "sg_err.h"
#include "sg_util.h"

static void
buf_append_within_cap_keeps_nul(void **state)
{
	struct sg_buf b;
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	sg_buf_init(&b, 8);
	assert_int_equal(sg_buf_append(&b, "abcd", 4, &err), SG_OK);
	assert_int_equal(sg_buf_appendf(&b, &err, "%d", 1234), SG_OK);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "abcd1234");
	sg_buf_dispose(&b);
	sg_buf_dispose(&b); /* twice is fine */
}

static void
buf_over_cap_frees_and_errors(void **state)
{
	struct sg_buf b;
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	sg_buf_init(&b, 5);
	assert_int_equal(sg_buf_append_str(&b, "abc", &err), SG_OK);
	assert_int_equal(sg_buf_append_str(&b, "def", &err), SG_ELIMIT);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(err.status, SG_ELIMIT);
	assert_non_null(strstr(err.msg, "5-byte limit"));
}

static void
buf_secret_detach_and_view(void **state)
{
	struct sg_buf b;
	struct sg_error err;
	size_t n = 0;
	char *s;
	int i;
	(void)state;

	sg_err_init(&err);
	sg_buf_init_secret(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(sg_buf_append_char(&b, 'x', &err), SG_OK);
	assert_int_equal(sg_buf_view(&b).len, 1000);
	s = sg_buf_detach(&b, &n);
	assert_int_equal(n, 1000);
	assert_int_equal(strlen(s), 1000);
	assert_null(b.data);
	free(s);
	s = sg_buf_detach(&b, &n);
	assert_string_equal(s, "");
	free(s);
}

static void
err_first_error_wins(void **state)
{
	struct sg_error err;
	(void)state;

	sg_err_init(&err);
	assert_int_equal(sg_err_set(&err, SG_EPARSE, "root cause %d", 1), SG_EPARSE);
	assert_int_equal(sg_err_set(&err, SG_EIO, "later"), SG_EIO);
	assert_int_equal(err.status, SG_EPARSE);
	sg_err_prefix(&err, "eu-west-1: ");
	assert_string_equal(err.msg, "eu-west-1: root cause 1");
	sg_err_set_aws(&err, 503, "RequestLimitExceeded", "abc");
	sg_err_set_aws(&err, 400, "Other", "def");
	assert_int_equal(err.http_status, 503);
	assert_string_equal(err.aws_code, "RequestLimitExceeded");
	assert_string_equal(err.request_id, "abc");
	assert_int_equal(sg_err_set(NULL, SG_EIO, "no record"), SG_EIO);
}

static void
parse_long_is_strict(void **state)
{
	static const struct { const char *in; long min, max; int ok; long want; } cases[] = {
		{ "0", 0, 65535, 1, 0 }, { "65535", 0, 65535, 1, 65535 },
		{ "65536", 0, 65535, 0, 0 }, { "-1", -1, 65535, 1, -1 },
		{ "-", -1, 1, 0, 0 }, { "", 0, 1, 0, 0 }, { " 1", 0, 9, 0, 0 },
		{ "1 ", 0, 9, 0, 0 }, { "x", 0, 9, 0, 0 }, { "+1", 0, 9, 0, 0 },
		{ "99999999999999999999", 0, 9, 0, 0 }, { "12a", 0, 100, 0, 0 },
	};
	size_t i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long v = 12345;
		bool ok = sg_parse_long(sg_str_from(cases[i].in), cases[i].min, cases[i].max, &v);
		assert_int_equal(ok, cases[i].ok);
		if (ok)
			assert_int_equal(v, cases[i].want);
	}
}

static void
atomic_write_replaces_whole_file(void **state)
{
	char dir[] = "/tmp/sg-test-XXXXXX", path[128];
	struct sg_buf b;
	struct sg_error err;
	struct stat st;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.json", dir);
	sg_err_init(&err);
	assert_int_equal(sg_file_write_atomic(path, "old", 3, 0644, &err), SG_OK);
	assert_int_equal(sg_file_write_atomic(path, "new!", 4, 0600, &err), SG_OK);
	sg_buf_init(&b, 100);
	assert_int_equal(sg_file_read(path, &b, false, &err), SG_OK);
	assert_string_equal(b.data, "new!");
	sg_buf_dispose(&b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* A cap smaller than the file fails and names the path. */
	sg_buf_init(&b, 2);
	assert_int_equal(sg_file_read(path, &b, false, &err), SG_ELIMIT);
	assert_non_null(strstr(err.msg, path));
	sg_err_init(&err);
	snprintf(path, sizeof(path), "%s/missing", dir);
	sg_buf_init(&b, 2);
	assert_int_equal(sg_file_read(path, &b, false, &err), SG_ENOTFOUND);
	/* A FIFO or a directory is refused at once, never waited on. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	sg_err_init(&err);
	sg_buf_init(&b, 100);
	assert_int_equal(sg_file_read(path, &b, false, &err), SG_EIO);
	assert_non_null(strstr(err.msg, "not a regular file"));
	unlink(path);
	sg_err_init(&err);
	sg_buf_init(&b, 100);
	assert_int_equal(sg_file_read(dir, &b, false, &err), SG_EIO);
	snprintf(path, sizeof(path), "%s/report.json", dir);
	unlink(path);
	rmdir(dir);
}

static void
time_round_trips(void **state)
{
	char buf[32];
	time_t t = 0;
	(void)state;

	assert_true(sg_time_parse_iso8601("2024-05-01T12:00:00Z", &t));
	sg_time_iso8601(t, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T12:00:00Z");
	sg_time_amz(t, buf, sizeof(buf));
	assert_string_equal(buf, "20240501T120000Z");
	assert_true(sg_time_parse_iso8601("2024-05-01T12:00:00.123Z", &t));
	assert_false(sg_time_parse_iso8601("2024-05-01 junk", &t));
}

static void
sha256_known_answer(void **state)
{
	char hex[65];
	(void)state;

	sg_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void
exit_table_covers_every_status(void **state)
{
	int st;
	(void)state;

	assert_int_equal(sg_exit_for_status(SG_OK), SG_EXIT_CLEAN);
	assert_int_equal(sg_exit_for_status(SG_EINVAL), SG_EXIT_USAGE);
	assert_int_equal(sg_exit_for_status(SG_ECREDS), SG_EXIT_AUTH);
	assert_int_equal(sg_exit_for_status(SG_EINTERNAL), SG_EXIT_INTERNAL);
	assert_int_equal(sg_exit_for_status(SG_ETHROTTLED), SG_EXIT_INCOMPLETE);
	for (st = 1; st < SG_STATUS_COUNT; st++) {
		assert_int_not_equal(sg_exit_for_status((enum sg_status)st), SG_EXIT_CLEAN);
		assert_string_not_equal(sg_status_name((enum sg_status)st), "EUNKNOWN");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_append_within_cap_keeps_nul),
		cmocka_unit_test(buf_over_cap_frees_and_errors),
		cmocka_unit_test(buf_secret_detach_and_view),
		cmocka_unit_test(err_first_error_wins),
		cmocka_unit_test(parse_long_is_strict),
		cmocka_unit_test(atomic_write_replaces_whole_file),
		cmocka_unit_test(time_round_trips),
		cmocka_unit_test(sha256_known_answer),
		cmocka_unit_test(exit_table_covers_every_status),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
