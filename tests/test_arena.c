/* test_arena.c — the string arena (sg_arena.h) and the record model's use of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sg_arena.h"
#include "sg_record.h"

/* Many small copies across chunk boundaries: each keeps its own bytes. */
static void
copies_survive_chunk_growth(void **state)
{
	struct sg_arena a = SG_ARENA_INIT;
	char *p[5000], want[32];
	size_t i;

	(void)state;
	for (i = 0; i < 5000; i++) {
		snprintf(want, sizeof(want), "string-%zu", i);
		p[i] = sg_arena_strdup(&a, want);
		assert_non_null(p[i]);
	}
	for (i = 0; i < 5000; i++) {
		snprintf(want, sizeof(want), "string-%zu", i);
		assert_string_equal(p[i], want);
	}
	assert_true(a.used_bytes > 5000 * 8);
	sg_arena_free(&a);
	assert_null(a.head);
	assert_int_equal(a.used_bytes, 0);
	/* Reusable after free. */
	assert_string_equal(sg_arena_strdup(&a, "again"), "again");
	sg_arena_free(&a);
}

/* strndup stops at n, NUL-terminates, and copies an empty string. */
static void
strndup_bounds(void **state)
{
	struct sg_arena a = SG_ARENA_INIT;
	const char *s;

	(void)state;
	s = sg_arena_strndup(&a, "tcpXYZ", 3);
	assert_string_equal(s, "tcp");
	s = sg_arena_strndup(&a, "ignored", 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_null(sg_arena_strdup(&a, NULL));
	sg_arena_free(&a);
	sg_arena_free(NULL);
}

/* A string larger than a chunk gets its own; the head's free space is kept. */
static void
large_strings_do_not_waste_the_head(void **state)
{
	struct sg_arena a = SG_ARENA_INIT;
	char *big = malloc(200000), *small1, *small2, *copy;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 199999);
	big[199999] = '\0';
	small1 = sg_arena_strdup(&a, "first");
	copy = sg_arena_strdup(&a, big);
	small2 = sg_arena_strdup(&a, "second");
	assert_non_null(copy);
	assert_int_equal(strlen(copy), 199999);
	/* The second small string follows the first in the same chunk. */
	assert_ptr_equal(small2, small1 + strlen("first") + 1);
	assert_string_equal(small1, "first");
	free(big);
	sg_arena_free(&a);

	/* A large string into an empty arena, then small ones. */
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'y', 69999);
	big[69999] = '\0';
	copy = sg_arena_strdup(&a, big);
	small1 = sg_arena_strdup(&a, "after");
	assert_int_equal(strlen(copy), 69999);
	assert_string_equal(small1, "after");
	free(big);
	sg_arena_free(&a);
}

/* Adopting moves chunks without copying: pointers from both stay valid. */
static void
adopt_moves_every_chunk(void **state)
{
	struct sg_arena a = SG_ARENA_INIT, b = SG_ARENA_INIT, empty = SG_ARENA_INIT;
	const char *pa[300], *pb[300];
	char want[32];
	size_t i, used;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "a-%zu", i);
		pa[i] = sg_arena_strdup(&a, want);
		snprintf(want, sizeof(want), "b-%zu", i);
		pb[i] = sg_arena_strdup(&b, want);
	}
	used = a.used_bytes + b.used_bytes;
	sg_arena_adopt(&a, &b);
	assert_null(b.head);
	assert_int_equal(a.used_bytes, used);
	sg_arena_adopt(&a, &empty); /* nothing to move */
	sg_arena_adopt(&empty, &a); /* into an empty arena: takes it whole */
	assert_null(a.head);
	for (i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), "a-%zu", i);
		assert_string_equal(pa[i], want);
		snprintf(want, sizeof(want), "b-%zu", i);
		assert_string_equal(pb[i], want);
	}
	/* The adopter keeps allocating from its head. */
	assert_string_equal(sg_arena_strdup(&empty, "more"), "more");
	sg_arena_free(&empty); /* ASan/valgrind: every chunk freed exactly once */
}

/* Common protocol texts are shared literals; others are arena copies. */
static void
protocol_raw_is_interned(void **state)
{
	struct sg_arena a = SG_ARENA_INIT;
	const char *t1 = sg_protocol_raw_copy(&a, "tcp", 3);
	const char *t2 = sg_protocol_raw_copy(&a, "tcpx", 3);
	const char *n, *m;

	(void)state;
	assert_ptr_equal(t1, t2);
	assert_string_equal(sg_protocol_raw_copy(&a, "-1", 2), "-1");
	assert_null(a.head); /* nothing copied yet */
	n = sg_protocol_raw_copy(&a, "58", 2);
	m = sg_protocol_raw_copy(&a, "TCP", 3);
	assert_string_equal(n, "58");
	assert_string_equal(m, "TCP"); /* as received: case kept */
	assert_non_null(a.head);
	sg_arena_free(&a);
}

/* Moving a region's records carries their strings and counts them. */
static void
move_records_carries_strings(void **state)
{
	struct sg_inventory *inv = sg_inventory_new(), *reg = sg_inventory_new();
	struct sg_region_coverage *cov;
	struct sg_group *g;
	struct sg_rule *r;
	int i;

	(void)state;
	assert_non_null(inv);
	assert_non_null(reg);
	for (i = 0; i < 3; i++) {
		char id[32];
		snprintf(id, sizeof(id), "sg-%d", i);
		g = sg_inventory_add_group(reg);
		assert_non_null(g);
		g->group_id = sg_arena_strdup(&reg->strings, id);
		r = sg_group_add_rule(g);
		assert_non_null(r);
		r->description = sg_arena_strdup(&reg->strings, "rule");
		r = sg_group_add_rule(g);
		assert_non_null(r);
	}
	cov = sg_inventory_add_region(inv, "eu-west-1");
	assert_non_null(cov);
	assert_true(sg_inventory_move_records(inv, reg, cov));
	assert_int_equal(cov->groups, 3);
	assert_int_equal(cov->rules, 6);
	assert_int_equal(cov->prefix_lists, 0);
	assert_int_equal(reg->n_groups, 0);
	assert_null(reg->strings.head);
	sg_inventory_free(reg); /* the strings are inv's now */
	assert_string_equal(inv->groups[2].group_id, "sg-2");
	assert_string_equal(inv->groups[0].rules[0].description, "rule");
	sg_inventory_free(inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copies_survive_chunk_growth),
		cmocka_unit_test(strndup_bounds),
		cmocka_unit_test(large_strings_do_not_waste_the_head),
		cmocka_unit_test(adopt_moves_every_chunk),
		cmocka_unit_test(protocol_raw_is_interned),
		cmocka_unit_test(move_records_carries_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
