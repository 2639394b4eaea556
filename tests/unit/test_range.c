/*
 * test_range.c - range arithmetic (mm/range.c): merging, splitting,
 * aligning, the free-memory computation at boot, and a random sequence of
 * operations checked against a simple model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "boot.h"

static struct range_list list;
static struct boot_info bi;

/* Sorted, non-empty, and no two ranges overlapping or touching. */
static void check_invariant(const struct range_list *l)
{
	assert_true(l->n <= RANGE_MAX);
	for (unsigned i = 0; i < l->n; i++) {
		assert_true(l->r[i].base < l->r[i].end);
		if (i > 0)
			assert_true(l->r[i - 1].end < l->r[i].base);
	}
}

/* l must hold exactly the n ranges {base, end} given in want. */
static void check_ranges(const struct range_list *l, const uint64_t *want,
			 unsigned n)
{
	check_invariant(l);
	assert_int_equal(l->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(l->r[i].base, want[2 * i]);
		assert_int_equal(l->r[i].end, want[2 * i + 1]);
	}
}

#define CHECK_RANGES(l, ...)                                                   \
	check_ranges(l, (uint64_t[]){__VA_ARGS__},                             \
		     sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t) / 2)

/* RANGE_MAX ranges [10 i, 10 i + 5). */
static void fill_list(void)
{
	list.n = 0;
	for (unsigned i = 0; i < RANGE_MAX; i++)
		assert_int_equal(range_add(&list, 10 * i, 10 * i + 5), 0);
	assert_int_equal(list.n, RANGE_MAX);
}

static void test_add_sorts_and_merges(void **state)
{
	(void)state;
	list.n = 0;
	assert_int_equal(range_add(&list, 100, 200), 0);
	assert_int_equal(range_add(&list, 0, 10), 0);
	assert_int_equal(range_add(&list, 50, 60), 0);
	CHECK_RANGES(&list, 0, 10, 50, 60, 100, 200);
	/* Touching ranges merge. */
	assert_int_equal(range_add(&list, 10, 20), 0);
	CHECK_RANGES(&list, 0, 20, 50, 60, 100, 200);
	/* One range can join two neighbours. */
	assert_int_equal(range_add(&list, 60, 100), 0);
	CHECK_RANGES(&list, 0, 20, 50, 200);
	/* Inside an existing range: nothing changes. */
	assert_int_equal(range_add(&list, 5, 15), 0);
	CHECK_RANGES(&list, 0, 20, 50, 200);
	/* Overlapping one end. */
	assert_int_equal(range_add(&list, 40, 55), 0);
	assert_int_equal(range_add(&list, 190, 250), 0);
	CHECK_RANGES(&list, 0, 20, 40, 250);
	/* Empty ranges are ignored. */
	assert_int_equal(range_add(&list, 30, 30), 0);
	assert_int_equal(range_add(&list, 35, 31), 0);
	CHECK_RANGES(&list, 0, 20, 40, 250);
	/* Swallowing everything. */
	assert_int_equal(range_add(&list, 0, 1000), 0);
	CHECK_RANGES(&list, 0, 1000);
	assert_int_equal(range_add(&list, UINT64_MAX - 10, UINT64_MAX), 0);
	CHECK_RANGES(&list, 0, 1000, UINT64_MAX - 10, UINT64_MAX);
}

static void test_add_when_full(void **state)
{
	struct range_list before;

	(void)state;
	fill_list();
	before = list;
	/* A new range does not fit, and the list stays as it was. */
	assert_int_equal(range_add(&list, 10000, 10001), -1);
	assert_memory_equal(&list, &before, sizeof(list));
	assert_int_equal(range_add(&list, 6, 8), -1);
	assert_memory_equal(&list, &before, sizeof(list));
	/* Merging needs no new entry. */
	assert_int_equal(range_add(&list, 3, 7), 0);
	assert_int_equal(range_add(&list, 5, 10), 0);
	assert_int_equal(list.n, RANGE_MAX - 1);
	assert_int_equal(list.r[0].base, 0);
	assert_int_equal(list.r[0].end, 15);
	check_invariant(&list);
}

static void test_remove(void **state)
{
	(void)state;
	list.n = 0;
	range_add(&list, 0, 100);
	range_add(&list, 200, 300);
	range_add(&list, 400, 500);
	/* Split in the middle. */
	assert_int_equal(range_remove(&list, 50, 60), 0);
	CHECK_RANGES(&list, 0, 50, 60, 100, 200, 300, 400, 500);
	/* Cut a head and a tail. */
	assert_int_equal(range_remove(&list, 0, 10), 0);
	assert_int_equal(range_remove(&list, 90, 120), 0);
	CHECK_RANGES(&list, 10, 50, 60, 90, 200, 300, 400, 500);
	/* Across several ranges: one vanishes, two are cut. */
	assert_int_equal(range_remove(&list, 80, 450), 0);
	CHECK_RANGES(&list, 10, 50, 60, 80, 450, 500);
	/* Nothing there, or empty. */
	assert_int_equal(range_remove(&list, 1000, 2000), 0);
	assert_int_equal(range_remove(&list, 50, 60), 0);
	assert_int_equal(range_remove(&list, 20, 20), 0);
	assert_int_equal(range_remove(&list, 30, 20), 0);
	CHECK_RANGES(&list, 10, 50, 60, 80, 450, 500);
	/* Exactly one whole range. */
	assert_int_equal(range_remove(&list, 60, 80), 0);
	CHECK_RANGES(&list, 10, 50, 450, 500);
	assert_int_equal(range_remove(&list, 0, UINT64_MAX), 0);
	assert_int_equal(list.n, 0);
}

static void test_remove_split_when_full(void **state)
{
	(void)state;
	fill_list();
	/* Cutting a head or tail still works. */
	assert_int_equal(range_remove(&list, 20, 21), 0);
	assert_int_equal(range_remove(&list, 34, 35), 0);
	assert_int_equal(list.n, RANGE_MAX);
	/* A split does not fit: the range loses everything from 52 up. */
	assert_int_equal(range_remove(&list, 52, 53), -1);
	assert_int_equal(list.n, RANGE_MAX);
	assert_int_equal(list.r[5].base, 50);
	assert_int_equal(list.r[5].end, 52);
	assert_int_equal(list.r[2].base, 21);
	assert_int_equal(list.r[3].end, 34);
	assert_int_equal(list.r[6].base, 60);
	assert_int_equal(list.r[RANGE_MAX - 1].end, 10 * (RANGE_MAX - 1) + 5);
	check_invariant(&list);
}

/* Removing nothing, or what is not there, from a full list changes none
 * of it. */
static void test_remove_nothing_when_full(void **state)
{
	struct range_list before;

	(void)state;
	fill_list();
	before = list;
	assert_int_equal(range_remove(&list, 52, 52), 0);
	assert_int_equal(range_remove(&list, 53, 51), 0);
	assert_int_equal(range_remove(&list, 6, 9), 0);
	assert_int_equal(range_remove(&list, 10000, 20000), 0);
	assert_memory_equal(&list, &before, sizeof(list));
}

static void test_align(void **state)
{
	(void)state;
	list.n = 0;
	range_add(&list, 0x1001, 0x3fff);
	range_add(&list, 0x5000, 0x5fff);
	range_add(&list, 0x6001, 0x6fff);
	range_add(&list, 0x10000, 0x20000);
	range_add(&list, 0x20001, 0x20002);
	range_align(&list, 0x1000);
	CHECK_RANGES(&list, 0x2000, 0x3000, 0x10000, 0x20000);
	range_align(&list, 0x1000);
	CHECK_RANGES(&list, 0x2000, 0x3000, 0x10000, 0x20000);
	range_align(&list, 0x10000);
	CHECK_RANGES(&list, 0x10000, 0x20000);
	range_align(&list, 0x20000);
	assert_int_equal(list.n, 0);
}

static void test_total(void **state)
{
	(void)state;
	list.n = 0;
	assert_int_equal(range_total(&list), 0);
	range_add(&list, 0x1000, 0x3000);
	range_add(&list, 0x100000000, 0x300000000);
	assert_int_equal(range_total(&list), 0x2000 + 0x200000000);
}

static void test_boot_free_memory(void **state)
{
	(void)state;
	bi.ram.n = bi.reserved.n = 0;
	range_add(&bi.ram, 0, 0x9fc00);
	range_add(&bi.ram, 0x100000, 0x7fdf123);
	range_add(&bi.ram, 0x100000000, 0x180000000);
	/* The kernel image, ending inside a page. */
	range_add(&bi.reserved, 0x100000, 0x2345678);
	/* A module inside one page, and firmware data across the hole. */
	range_add(&bi.reserved, 0x3000010, 0x3000020);
	range_add(&bi.reserved, 0x9e800, 0x100800);
	/* Outside RAM altogether. */
	range_add(&bi.reserved, 0xfee00000, 0xfee01000);
	/* The last byte of a range. */
	range_add(&bi.reserved, 0x17fffffff, 0x180000000);
	boot_free_memory(&bi, &list);
	CHECK_RANGES(&list, 0, 0x9e000, 0x2346000, 0x3000000, 0x3001000,
		     0x7fdf000, 0x100000000, 0x17ffff000);
	/* The input is left alone. */
	assert_int_equal(bi.ram.n, 3);
	assert_int_equal(bi.ram.r[1].end, 0x7fdf123);
}

/* xorshift64: the same "random" sequence on every run. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Random adds and removes over [0, 200) against a map of which points are
 * in the set. 200 points hold at most 100 separate ranges, so nothing
 * ever overflows.
 */
static void test_random_against_model(void **state)
{
	bool model[200] = {0}, seen[200];
	uint64_t seed = 0x9e3779b97f4a7c15;

	(void)state;
	list.n = 0;
	for (int step = 0; step < 20000; step++) {
		uint64_t a = next_random(&seed) % 200;
		uint64_t b = a + next_random(&seed) % (step % 3 ? 8 : 60);
		bool add = next_random(&seed) % 2;

		b = b > 200 ? 200 : b;
		if (add)
			assert_int_equal(range_add(&list, a, b), 0);
		else
			assert_int_equal(range_remove(&list, a, b), 0);
		for (uint64_t x = a; x < b; x++)
			model[x] = add;
		check_invariant(&list);
		for (int x = 0; x < 200; x++)
			seen[x] = false;
		for (unsigned i = 0; i < list.n; i++)
			for (uint64_t x = list.r[i].base; x < list.r[i].end;
			     x++)
				seen[x] = true;
		assert_memory_equal(seen, model, sizeof(model));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_sorts_and_merges),
	    cmocka_unit_test(test_add_when_full),
	    cmocka_unit_test(test_remove),
	    cmocka_unit_test(test_remove_split_when_full),
	    cmocka_unit_test(test_remove_nothing_when_full),
	    cmocka_unit_test(test_align),
	    cmocka_unit_test(test_total),
	    cmocka_unit_test(test_boot_free_memory),
	    cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
