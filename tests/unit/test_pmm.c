/*
 * test_pmm.c - the physical page allocator (mm/pmm.c) over "physical
 * memory" that is a lazily backed host arena: every page handed out exactly
 * once, counts, exhaustion, contiguous runs, the bitmap pages, broken frees,
 * and an 8 GiB machine with holes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "host.h"
#include "mm.h"

#define ARENA_SIZE  (10 * GiB)
#define ARENA_PAGES (ARENA_SIZE / PAGE_SIZE)

static struct range_list layout;
static unsigned char *given; /* per page of the arena: handed out now */

/* Pages a range of npages keeps for its own bitmap, computed here apart
 * from the allocator: one bit a page, whole 64-bit words, whole pages. */
/* Pages at the start of a range that hold its bitmap (a bit a page) and
 * its reference counts (16 bits a page). */
static size_t bitmap_pages(size_t npages)
{
	size_t bytes = (npages + 63) / 64 * 8 + npages * 2;

	return (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
}

static size_t expected_total(void)
{
	size_t total = 0;

	for (unsigned i = 0; i < layout.n; i++) {
		size_t n = (layout.r[i].end - layout.r[i].base) / PAGE_SIZE;

		if (bitmap_pages(n) < n)
			total += n - bitmap_pages(n);
	}
	return total;
}

/* Give the allocator the ranges {base, end} in want. */
static void init_layout(const uint64_t *want, unsigned n)
{
	layout.n = 0;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(
		    range_add(&layout, want[2 * i], want[2 * i + 1]), 0);
	pmm_init(&layout);
	memset(given, 0, ARENA_PAGES);
	assert_int_equal(pmm_total_pages(), expected_total());
	assert_int_equal(pmm_free_pages(), expected_total());
}

#define INIT_LAYOUT(...)                                                       \
	init_layout((uint64_t[]){__VA_ARGS__},                                 \
		    sizeof((uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t) / 2)

/* Record npages pages at pa as handed out, checking that each lies in a
 * range of the layout, past its bitmap, and was not already handed out. */
static void record(uint64_t pa, size_t npages)
{
	unsigned i = 0;

	assert_true(pa != 0 && pa % PAGE_SIZE == 0);
	while (i < layout.n &&
	       !(pa >= layout.r[i].base && pa < layout.r[i].end))
		i++;
	assert_true(i < layout.n);
	assert_true(pa + npages * PAGE_SIZE <= layout.r[i].end);
	assert_true(pa >= layout.r[i].base + bitmap_pages((layout.r[i].end -
							   layout.r[i].base) /
							  PAGE_SIZE) *
						 PAGE_SIZE);
	for (size_t p = pa / PAGE_SIZE; p < pa / PAGE_SIZE + npages; p++) {
		assert_int_equal(given[p], 0);
		given[p] = 1;
	}
}

static void forget(uint64_t pa, size_t npages)
{
	for (size_t p = pa / PAGE_SIZE; p < pa / PAGE_SIZE + npages; p++) {
		assert_int_equal(given[p], 1);
		given[p] = 0;
	}
}

/* Allocate until memory runs out; returns how many pages came. Writes a
 * mark into each page if mark is set. */
static size_t alloc_all(bool mark)
{
	size_t n = 0;
	uint64_t pa;

	while ((pa = pmm_alloc()) != 0) {
		record(pa, 1);
		if (mark)
			*(uint64_t *)phys_to_virt(pa) = pa;
		n++;
	}
	assert_int_equal(pmm_free_pages(), 0);
	assert_int_equal(pmm_alloc(), 0);
	assert_int_equal(pmm_alloc_contig(1, 1), 0);
	return n;
}

/* Free every page recorded as handed out, checking marks if asked. */
static void free_all(bool marked)
{
	for (size_t p = 0; p < ARENA_PAGES; p++) {
		if (!given[p])
			continue;
		if (marked)
			assert_int_equal(
			    *(uint64_t *)phys_to_virt(p * PAGE_SIZE),
			    p * PAGE_SIZE);
		pmm_free(p * PAGE_SIZE);
		given[p] = 0;
	}
	assert_int_equal(pmm_free_pages(), pmm_total_pages());
}

static void check_locks(void)
{
	assert_int_equal(host_irqs_off, 0);
}

static void test_every_page_once(void **state)
{
	(void)state;
	/* From address 0; one page (no room for more than its bitmap); two
	 * pages (one usable); 32 MiB (8192 pages: 1 KiB of bitmap and 16 KiB
	 * of reference counts take 5 pages). */
	INIT_LAYOUT(0, 64 * KiB, MiB, MiB + 4 * KiB, 2 * MiB, 2 * MiB + 8 * KiB,
		    16 * MiB, 48 * MiB);
	assert_int_equal(pmm_total_pages(), 15 + 0 + 1 + 8187);
	assert_int_equal(alloc_all(true), 15 + 1 + 8187);
	free_all(true);
	/* All of it comes back, and can be had again. */
	assert_int_equal(alloc_all(true), pmm_total_pages());
	free_all(true);
	check_locks();
}

static void test_free_and_reuse(void **state)
{
	uint64_t a, b, c, pa;
	bool again = false;

	(void)state;
	INIT_LAYOUT(4 * MiB, 4 * MiB + 64 * PAGE_SIZE);
	assert_int_equal(pmm_total_pages(), 63);
	a = pmm_alloc();
	b = pmm_alloc();
	c = pmm_alloc();
	record(a, 1);
	record(b, 1);
	record(c, 1);
	assert_int_equal(pmm_free_pages(), 60);
	pmm_free(b);
	forget(b, 1);
	assert_int_equal(pmm_free_pages(), 61);
	/* b comes back among the remaining pages, a and c never do. */
	while ((pa = pmm_alloc()) != 0) {
		record(pa, 1);
		again |= pa == b;
	}
	assert_true(again);
	assert_int_equal(pmm_total_pages(), 63);
	free_all(false);
	check_locks();
}

/* With the hint in the last, partial bitmap word, the search must wrap to
 * the start rather than take the bits past the range's last page. */
static void test_search_wraps(void **state)
{
	uint64_t base = 8 * MiB;

	(void)state;
	INIT_LAYOUT(base, base + 130 * PAGE_SIZE);
	assert_int_equal(alloc_all(false), 129);
	pmm_free(base + 5 * PAGE_SIZE);
	forget(base + 5 * PAGE_SIZE, 1);
	assert_int_equal(pmm_alloc(), base + 5 * PAGE_SIZE);
	record(base + 5 * PAGE_SIZE, 1);
	assert_int_equal(pmm_alloc(), 0);
	free_all(false);
	check_locks();
}

static void unref_page(void *pa)
{
	pmm_unref(*(uint64_t *)pa);
}

/* A count that cannot grow refuses the reference (the sharing fails)
 * instead of stopping the kernel: a user can map one page of a memory
 * object 65,535 times. */
static void test_ref_saturates(void **state)
{
	(void)state;
	INIT_LAYOUT(0x100000, 0x200000);
	uint64_t pa = pmm_alloc();

	for (unsigned i = 1; i < UINT16_MAX; i++)
		assert_true(pmm_ref(pa));
	assert_false(pmm_ref(pa));
	assert_int_equal(pmm_refs(pa), UINT16_MAX);
	for (unsigned i = 0; i < UINT16_MAX; i++)
		pmm_unref(pa);
}

/* Copy-on-write sharing: a page lives while it has references. */
static void test_refcounts(void **state)
{
	(void)state;
	INIT_LAYOUT(0x100000, 0x200000);
	size_t before = pmm_free_pages();
	uint64_t pa = pmm_alloc();

	assert_int_equal(pmm_refs(pa), 1);
	pmm_ref(pa);
	pmm_ref(pa);
	assert_int_equal(pmm_refs(pa), 3);
	pmm_unref(pa);
	pmm_unref(pa);
	assert_int_equal(pmm_free_pages(), before - 1);
	assert_int_equal(pmm_refs(pa), 1);
	pmm_unref(pa);
	assert_int_equal(pmm_free_pages(), before);
	/* a page allocated again starts with one reference */
	uint64_t again = pmm_alloc_contig(1, 1);
	assert_int_equal(pmm_refs(again), 1);
	pmm_free(again);
	/* unreferencing a free page is a broken invariant */
	assert_non_null(host_panic_message(unref_page, &pa));
}

static void test_bitmap_pages_never_given(void **state)
{
	(void)state;
	/* 51200 pages need a bitmap of 6400 bytes and reference counts of
	 * 102400: 27 pages. */
	INIT_LAYOUT(256 * MiB, 456 * MiB);
	assert_int_equal(pmm_total_pages(), 51200 - 27);
	assert_int_equal(alloc_all(false), 51173);
	/* record() refused the bitmap pages; look at them once more. */
	assert_int_equal(given[256 * MiB / PAGE_SIZE], 0);
	assert_int_equal(given[256 * MiB / PAGE_SIZE + 26], 0);
	free_all(false);
	check_locks();
}

static void test_contig(void **state)
{
	static const size_t runs[][2] = {
	    {1, 1}, {3, 1}, {5, 8}, {16, 16}, {100, 64}, {512, 512}, {7, 2},
	};
	uint64_t pa[ARRAY_SIZE(runs)];
	size_t free_before;

	(void)state;
	/* Starting at page 3, so alignment is by physical address. */
	INIT_LAYOUT(0x3000, 0x3000 + 8 * MiB);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		free_before = pmm_free_pages();
		pa[i] = pmm_alloc_contig(runs[i][0], runs[i][1]);
		assert_int_equal(pa[i] / PAGE_SIZE % runs[i][1], 0);
		record(pa[i], runs[i][0]);
		assert_int_equal(pmm_free_pages(), free_before - runs[i][0]);
	}
	/* Single pages never land in a run. */
	alloc_all(false);
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		pmm_free_contig(pa[i], runs[i][0]);
		forget(pa[i], runs[i][0]);
	}
	free_all(false);
	/* Exactly all of memory, once. */
	pa[0] = pmm_alloc_contig(pmm_total_pages(), 1);
	assert_int_equal(pa[0], 0x3000 + 2 * PAGE_SIZE); /* after the bitmap */
	assert_int_equal(pmm_alloc_contig(1, 1), 0);
	pmm_free_contig(pa[0], pmm_total_pages());
	assert_int_equal(pmm_alloc_contig(pmm_total_pages() + 1, 1), 0);
	assert_int_equal(pmm_free_pages(), pmm_total_pages());
	check_locks();
}

static void test_contig_fragmented(void **state)
{
	uint64_t base = 64 * MiB, first = base + PAGE_SIZE, pa;

	(void)state;
	INIT_LAYOUT(base, base + 128 * PAGE_SIZE);
	alloc_all(false);
	/* Free every other page: plenty free, but no two together. */
	for (size_t i = 0; i < 127; i += 2) {
		pmm_free(first + i * PAGE_SIZE);
		forget(first + i * PAGE_SIZE, 1);
	}
	assert_int_equal(pmm_free_pages(), 64);
	assert_int_equal(pmm_alloc_contig(2, 1), 0);
	/* Now pages 9..11 of the range are free. */
	pmm_free(base + 10 * PAGE_SIZE);
	forget(base + 10 * PAGE_SIZE, 1);
	assert_int_equal(pmm_alloc_contig(4, 1), 0);
	/* Two pages from a multiple of 4: page 8 and 12 are in use. */
	assert_int_equal(pmm_alloc_contig(2, 4), 0);
	pa = pmm_alloc_contig(3, 1);
	assert_int_equal(pa, base + 9 * PAGE_SIZE);
	record(pa, 3);
	/* Pages 13..15 free: an even start skips 13. */
	pmm_free(base + 14 * PAGE_SIZE);
	forget(base + 14 * PAGE_SIZE, 1);
	pa = pmm_alloc_contig(2, 2);
	assert_int_equal(pa, base + 14 * PAGE_SIZE);
	record(pa, 2);
	free_all(false);
	check_locks();
}

static void contig_bad(void *arg)
{
	const size_t *args = arg;

	pmm_alloc_contig(args[0], args[1]);
}

static void test_contig_bad_args_panic(void **state)
{
	static const size_t bad[][2] = {{0, 1}, {1, 0}, {1, 3}, {4, 12}};
	const char *msg;

	(void)state;
	INIT_LAYOUT(MiB, 2 * MiB);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		msg = host_panic_message(contig_bad, (void *)bad[i]);
		assert_non_null(msg);
		assert_non_null(strstr(msg, "assertion failed"));
	}
	check_locks();
}

static void free_page(void *arg)
{
	pmm_free(*(uint64_t *)arg);
}

static void free_run(void *arg)
{
	pmm_free_contig(((uint64_t *)arg)[0], ((uint64_t *)arg)[1]);
}

/* fn(arg) must panic with a message that contains want. */
static void check_panics(void (*fn)(void *), void *arg, const char *want)
{
	const char *msg = host_panic_message(fn, arg);

	assert_non_null(msg);
	if (strstr(msg, want) == NULL)
		fail_msg("panic \"%s\" does not say \"%s\"", msg, want);
}

static void test_broken_frees_panic(void **state)
{
	uint64_t base = 32 * MiB, pa, bad;
	uint64_t run[2];

	(void)state;
	INIT_LAYOUT(base, base + MiB, 40 * MiB, 41 * MiB);
	pa = pmm_alloc();
	pmm_free(pa);
	check_panics(free_page, &pa, "already free");
	bad = base; /* the bitmap */
	check_panics(free_page, &bad, "never gave out");
	bad = 36 * MiB; /* between the ranges: the message names it */
	check_panics(free_page, &bad, "1 pages at 0x2400000, which");
	check_panics(unref_page, &bad, "page 0x2400000 is not allocated");
	bad = 100 * GiB; /* past all memory */
	check_panics(free_page, &bad, "never gave out");
	pa = pmm_alloc();
	bad = pa + 8; /* not a page boundary */
	check_panics(free_page, &bad, "never gave out");
	/* A run that goes past the end of its range. */
	run[0] = base + MiB - PAGE_SIZE;
	run[1] = 2;
	check_panics(free_run, run, "never gave out");
	/* A run of which one page is free. */
	run[0] = pa;
	run[1] = 2;
	check_panics(free_run, run, "already free");
	pmm_free(pa);
	assert_int_equal(pmm_free_pages(), pmm_total_pages());
	check_locks();
}

/* A free page must not be reported as a double free. */
static void test_child_sees_no_panic(void **state)
{
	uint64_t pa;

	(void)state;
	INIT_LAYOUT(MiB, 2 * MiB);
	pa = pmm_alloc();
	assert_null(host_panic_message(free_page, &pa));
	check_locks();
}

/*
 * A machine with 8 GiB in three ranges around the usual holes. Only the
 * bitmaps and reference counts (about 4.3 MiB) are touched in the arena.
 */
static void test_sparse_8gib(void **state)
{
	size_t total, free_before;
	uint64_t pa;

	(void)state;
	INIT_LAYOUT(0x1000, 0x9f000, 0x100000, 0xc0000000, 0x100000000,
		    0x240000000);
	total =
	    (0x9e000 + 0xbff00000 + 0x140000000ULL) / PAGE_SIZE - 1 - 408 - 680;
	assert_int_equal(pmm_total_pages(), total);
	assert_int_equal(alloc_all(false), total);
	free_all(false);
	/* 1 GiB aligned to 1 GiB: the second range has one at 1 GiB. */
	free_before = pmm_free_pages();
	pa = pmm_alloc_contig(GiB / PAGE_SIZE, GiB / PAGE_SIZE);
	assert_int_equal(pa, GiB);
	record(pa, GiB / PAGE_SIZE);
	assert_int_equal(pmm_free_pages(), free_before - GiB / PAGE_SIZE);
	/* 4 GiB aligned to 4 GiB fits nowhere; unaligned it does. */
	assert_int_equal(
	    pmm_alloc_contig(4 * GiB / PAGE_SIZE, 4 * GiB / PAGE_SIZE), 0);
	pa = pmm_alloc_contig(4 * GiB / PAGE_SIZE, 1);
	assert_int_equal(pa, 0x100000000 + 680 * PAGE_SIZE);
	record(pa, 4 * GiB / PAGE_SIZE);
	free_all(false);
	check_locks();
}

static int setup(void **state)
{
	(void)state;
	host_ram_init(ARENA_SIZE);
	given = calloc(ARENA_PAGES, 1);
	return given == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(given);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_page_once),
	    cmocka_unit_test(test_free_and_reuse),
	    cmocka_unit_test(test_search_wraps),
	    cmocka_unit_test(test_bitmap_pages_never_given),
	    cmocka_unit_test(test_refcounts),
	    cmocka_unit_test(test_ref_saturates),
	    cmocka_unit_test(test_contig),
	    cmocka_unit_test(test_contig_fragmented),
	    cmocka_unit_test(test_contig_bad_args_panic),
	    cmocka_unit_test(test_child_sees_no_panic),
	    cmocka_unit_test(test_broken_frees_panic),
	    cmocka_unit_test(test_sparse_8gib),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
