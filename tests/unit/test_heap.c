/*
 * test_heap.c - kmalloc and kfree (mm/heap.c) on top of the real pmm:
 * sizes, alignment, no overlap, reuse, pages coming back, running out of
 * memory, and the frees it must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "host.h"
#include "mm.h"

#define NOBJ 400

struct object {
	unsigned char *p;
	size_t size;
};

static struct object obj[NOBJ];

/* xorshift64: the same "random" sequence on every run. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_locks(void)
{
	assert_int_equal(host_irqs_off, 0);
}

static void alloc_object(unsigned i, size_t size)
{
	obj[i].size = size;
	obj[i].p = kmalloc(size);
	assert_non_null(obj[i].p);
	assert_int_equal((uintptr_t)obj[i].p % 16, 0);
	for (size_t b = 0; b < size; b++)
		obj[i].p[b] = (unsigned char)(i * 31 + b);
}

/* Object i still holds what alloc_object wrote: nothing overlapped it. */
static void check_object(unsigned i)
{
	for (size_t b = 0; b < obj[i].size; b++)
		if (obj[i].p[b] != (unsigned char)(i * 31 + b))
			fail_msg("object %u (%zu bytes) overwritten at %zu", i,
				 obj[i].size, b);
}

static void free_objects(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		check_object(i);
		kfree(obj[i].p);
	}
}

/* NOBJ objects of sizes from the seed, a few of them many pages. */
static void alloc_pattern(uint64_t seed)
{
	for (unsigned i = 0; i < NOBJ; i++) {
		uint64_t r = next_random(&seed);
		alloc_object(i, r % 16 == 0 ? r % 40000 : r % 2100);
	}
}

static void test_sizes(void **state)
{
	static const size_t sizes[] = {
	    0,    1,    15,   16,   17,    31,    32,     33,      48,   100,
	    127,  128,  200,  496,  1000,  2000,  2032,   2033,    2048, 4000,
	    4080, 4081, 4096, 8192, 10000, 65536, 100000, 1 << 20,
	};
	unsigned n = ARRAY_SIZE(sizes);

	(void)state;
	for (unsigned i = 0; i < n; i++)
		alloc_object(i, sizes[i]);
	/* No two overlap, header included. */
	for (unsigned i = 0; i < n; i++) {
		check_object(i);
		for (unsigned j = 0; j < i; j++)
			assert_true(obj[i].p + obj[i].size + 16 <= obj[j].p ||
				    obj[j].p + obj[j].size + 16 <= obj[i].p);
	}
	free_objects(n);
	kfree(NULL);
	check_locks();
}

static void test_reuse_after_free(void **state)
{
	void *p, *q;

	(void)state;
	p = kmalloc(100);
	kfree(p);
	/* The freed object is the next one of its size class. */
	q = kmalloc(100);
	assert_ptr_equal(p, q);
	kfree(q);
	q = kmalloc(90);
	assert_ptr_equal(p, q);
	kfree(q);
	check_locks();
}

static void test_counts_return_to_baseline(void **state)
{
	size_t baseline;

	(void)state;
	alloc_pattern(1);
	free_objects(NOBJ);
	baseline = pmm_free_pages();
	for (int round = 0; round < 3; round++) {
		alloc_pattern(1);
		assert_true(pmm_free_pages() < baseline);
		free_objects(NOBJ);
		assert_int_equal(pmm_free_pages(), baseline);
	}
	check_locks();
}

/* The pmm's free pages once the heap has given back the large objects it
 * keeps, which a request the pmm cannot meet makes it do. */
static size_t drained_free_pages(void)
{
	assert_null(kmalloc(GiB));
	return pmm_free_pages();
}

/* Large objects take whole pages, header included. Up to 17 pages, two
 * of a size stay with the heap when freed and are handed out again; the
 * rest go back to the pmm. */
static void test_large_pages_returned(void **state)
{
	static const size_t sizes[][2] = {
	    {2033, 1},          {PAGE_SIZE - 16, 1},      {PAGE_SIZE - 15, 2},
	    {3 * PAGE_SIZE, 4}, {16 * PAGE_SIZE + 1, 17}, {1 << 20, 257},
	};
	void *p[3];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t before = drained_free_pages(), pages = sizes[i][1];
		for (int k = 0; k < 3; k++) {
			p[k] = kmalloc(sizes[i][0]);
			assert_non_null(p[k]);
			assert_int_equal((uintptr_t)p[k] % PAGE_SIZE, 16);
			assert_int_equal(pmm_free_pages(),
					 before - (k + 1) * pages);
		}
		for (int k = 0; k < 3; k++)
			kfree(p[k]);
		size_t kept = pages <= 17 ? 2 * pages : 0;
		assert_int_equal(pmm_free_pages(), before - kept);
		/* a kept one comes back, the pmm is not asked */
		void *again = kmalloc(sizes[i][0]);
		assert_true(!kept || again == p[1] || again == p[2]);
		assert_int_equal(pmm_free_pages(),
				 before - (kept ? kept : pages));
		kfree(again);
	}
	check_locks();
}

static void test_kzalloc(void **state)
{
	unsigned char *p;

	(void)state;
	for (size_t size = 300; size < 20000; size += 9700) {
		p = kmalloc(size);
		memset(p, 0xff, size);
		kfree(p);
		p = kzalloc(size);
		assert_non_null(p);
		for (size_t i = 0; i < size; i++)
			assert_int_equal(p[i], 0);
		kfree(p);
	}
	check_locks();
}

static void test_too_big(void **state)
{
	size_t before = drained_free_pages();

	(void)state;
	assert_null(kmalloc(SIZE_MAX));
	assert_null(kmalloc(SIZE_MAX - 15));
	assert_null(kmalloc(SIZE_MAX / 2 + 1));
	assert_null(kzalloc(GiB));
	assert_null(kmalloc(pmm_free_pages() * PAGE_SIZE));
	assert_int_equal(pmm_free_pages(), before);
	check_locks();
}

/* Use up all memory, then every object the size classes still hold. */
static bool exhaust(void *arg)
{
	size_t pages = pmm_free_pages(), n = 0;
	void *p, *last = NULL;

	(void)arg;
	while ((p = kmalloc(1000)) != NULL) {
		last = p;
		n++;
	}
	/* Four to a page, from every free page. */
	if (n < pages * 4 || pmm_free_pages() != 0 || last == NULL)
		return false;
	for (size_t size = 16; size < 2048; size *= 2)
		while (kmalloc(size) != NULL)
			;
	if (kmalloc(0) != NULL || kmalloc(2032) != NULL ||
	    kmalloc(5000) != NULL)
		return false;
	/* Memory freed is memory to be had again. */
	kfree(last);
	return kmalloc(1000) == last && host_irqs_off == 0;
}

static void test_out_of_memory(void **state)
{
	(void)state;
	assert_true(host_in_child(exhaust, NULL));
}

static void double_free_small(void *arg)
{
	void *p = kmalloc(64);

	(void)arg;
	kfree(p);
	kfree(p);
}

static void double_free_large(void *arg)
{
	void *p = kmalloc(10000);

	(void)arg;
	kfree(p);
	kfree(p);
}

static void free_unaligned(void *arg)
{
	char *p = kmalloc(64);

	(void)arg;
	kfree(p + 1);
}

static void free_inside(void *arg)
{
	char *p = kzalloc(256);

	(void)arg;
	kfree(p + 64);
}

static void free_overwritten(void *arg)
{
	uint32_t *p = kmalloc(64);

	(void)arg;
	p[-4] = 0; /* a buffer underrun hits the header */
	kfree(p);
}

static void alloc_after_use_after_free(void *arg)
{
	uint32_t *p = kmalloc(64);

	(void)arg;
	kfree(p);
	p[-4] = 0x12345678;
	kmalloc(64);
}

static void check_panics(void (*fn)(void *), const char *want)
{
	const char *msg = host_panic_message(fn, NULL);

	assert_non_null(msg);
	if (strstr(msg, want) == NULL)
		fail_msg("panic \"%s\" does not say \"%s\"", msg, want);
}

static void test_broken_frees_panic(void **state)
{
	(void)state;
	check_panics(double_free_small, "already free");
	check_panics(double_free_large, "already free");
	check_panics(free_unaligned, "not returned by kmalloc");
	check_panics(free_inside, "corrupted or not from kmalloc");
	check_panics(free_overwritten, "corrupted or not from kmalloc");
	check_panics(alloc_after_use_after_free, "was overwritten");
	check_locks();
}

static int setup(void **state)
{
	struct range_list ram = {0};

	(void)state;
	host_ram_init(64 * MiB);
	range_add(&ram, MiB, 33 * MiB);
	pmm_init(&ram);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_reuse_after_free),
	    cmocka_unit_test(test_counts_return_to_baseline),
	    cmocka_unit_test(test_large_pages_returned),
	    cmocka_unit_test(test_kzalloc),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_broken_frees_panic),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
