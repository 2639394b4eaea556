/*
 * pmm.c - the physical page allocator.
 *
 * Each free range has a bitmap, one bit a page, set while the page is in
 * use. The bitmap lives in the range's own first pages (through the direct
 * map); those pages stay marked in use and are never counted. Searches go
 * 64 pages a step. Each range remembers the word of its last allocation and
 * starts the next search there (next fit), so a single page is found
 * without rescanning the full part of the range.
 */
#include "mm.h"
#include "spinlock.h"

struct pmm_range {
	uint64_t base;    /* physical address of its first page */
	size_t npages;    /* pages in the range, the bitmap's included */
	size_t nbitmap;   /* pages the bitmap takes at the start */
	size_t nfree;     /* pages free now */
	size_t hint;      /* bitmap word where the next search starts */
	uint64_t *bitmap; /* bit i set: page i in use */
};

static struct pmm_range ranges[RANGE_MAX];
static unsigned nranges;
static struct spinlock pmm_lock = SPINLOCK_INIT;

static size_t bitmap_words(const struct pmm_range *r)
{
	return (r->npages + 63) / 64;
}

static bool page_used(const struct pmm_range *r, size_t i)
{
	return r->bitmap[i / 64] >> (i % 64) & 1;
}

static void mark_pages(struct pmm_range *r, size_t i, size_t n, bool used)
{
	for (; n > 0; i++, n--) {
		if (used)
			r->bitmap[i / 64] |= 1ULL << (i % 64);
		else
			r->bitmap[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* Index of the first free page at or after page i; r->npages if none.
 * The bits past the last page stay clear, so the first of them is
 * r->npages itself. */
static size_t next_free(const struct pmm_range *r, size_t i)
{
	size_t w = i / 64;
	uint64_t avail;

	if (i >= r->npages)
		return r->npages;
	avail = ~r->bitmap[w] & (~0ULL << (i % 64));
	while (avail == 0) {
		if (++w == bitmap_words(r))
			return r->npages;
		avail = ~r->bitmap[w];
	}
	return w * 64 + __builtin_ctzll(avail);
}

BOOT_CODE void pmm_init(const struct range_list *free)
{
	nranges = 0;
	for (unsigned i = 0; i < free->n; i++) {
		struct pmm_range *r = &ranges[nranges];

		assert(free->r[i].base % PAGE_SIZE == 0 &&
		       free->r[i].end % PAGE_SIZE == 0);
		r->base = free->r[i].base;
		r->npages = (free->r[i].end - r->base) / PAGE_SIZE;
		r->nbitmap =
		    ALIGN_UP(bitmap_words(r) * 8, PAGE_SIZE) / PAGE_SIZE;
		if (r->nbitmap >= r->npages)
			continue; /* no room for a page besides its bitmap */
		r->bitmap = phys_to_virt(r->base);
		memset(r->bitmap, 0, bitmap_words(r) * 8);
		mark_pages(r, 0, r->nbitmap, true);
		r->nfree = r->npages - r->nbitmap;
		r->hint = 0;
		nranges++;
	}
}

uint64_t pmm_alloc(void)
{
	uint64_t pa = 0;

	spin_lock(&pmm_lock);
	for (unsigned i = 0; i < nranges && pa == 0; i++) {
		struct pmm_range *r = &ranges[i];
		size_t page;

		if (r->nfree == 0)
			continue;
		page = next_free(r, r->hint * 64);
		if (page == r->npages)
			page = next_free(r, 0);
		mark_pages(r, page, 1, true);
		r->nfree--;
		r->hint = page / 64;
		pa = r->base + page * PAGE_SIZE;
	}
	spin_unlock(&pmm_lock);
	return pa;
}

/* Take npages free pages of r starting at a physical page number that is
 * a multiple of align; their address, or 0. Called with pmm_lock held. */
static uint64_t take_run(struct pmm_range *r, size_t npages, size_t align)
{
	size_t pfn = r->base / PAGE_SIZE, start = 0, i;

	for (;;) {
		start = ALIGN_UP(pfn + next_free(r, start), align) - pfn;
		if (start >= r->npages || npages > r->npages - start)
			return 0;
		for (i = start; i < start + npages && !page_used(r, i); i++)
			;
		if (i == start + npages)
			break;
		start = i + 1;
	}
	mark_pages(r, start, npages, true);
	r->nfree -= npages;
	return r->base + start * PAGE_SIZE;
}

uint64_t pmm_alloc_contig(size_t npages, size_t align_pages)
{
	uint64_t pa = 0;

	assert(npages > 0 && align_pages > 0 &&
	       (align_pages & (align_pages - 1)) == 0);
	spin_lock(&pmm_lock);
	for (unsigned i = 0; i < nranges && pa == 0; i++)
		if (ranges[i].nfree >= npages)
			pa = take_run(&ranges[i], npages, align_pages);
	spin_unlock(&pmm_lock);
	return pa;
}

/* The range whose allocatable pages hold [pa, pa + npages pages). */
static struct pmm_range *range_of(uint64_t pa, size_t npages)
{
	for (unsigned i = 0; i < nranges; i++) {
		struct pmm_range *r = &ranges[i];
		uint64_t first = r->base + r->nbitmap * PAGE_SIZE;
		uint64_t end = r->base + r->npages * PAGE_SIZE;

		if (pa >= first && pa < end && npages <= (end - pa) / PAGE_SIZE)
			return r;
	}
	return NULL;
}

void pmm_free_contig(uint64_t pa, size_t npages)
{
	struct pmm_range *r;

	spin_lock(&pmm_lock);
	r = range_of(pa, npages);
	if (r == NULL || pa % PAGE_SIZE != 0)
		panic("pmm: freeing %zu pages at %#lx, which it never gave out",
		      npages, (unsigned long)pa);
	for (size_t i = (pa - r->base) / PAGE_SIZE; npages > 0; i++, npages--) {
		if (!page_used(r, i))
			panic("pmm: freeing page %#lx, which is already free",
			      (unsigned long)(r->base + i * PAGE_SIZE));
		mark_pages(r, i, 1, false);
		r->nfree++;
	}
	spin_unlock(&pmm_lock);
}

void pmm_free(uint64_t pa)
{
	pmm_free_contig(pa, 1);
}

size_t pmm_free_pages(void)
{
	size_t n = 0;

	spin_lock(&pmm_lock);
	for (unsigned i = 0; i < nranges; i++)
		n += ranges[i].nfree;
	spin_unlock(&pmm_lock);
	return n;
}

size_t pmm_total_pages(void)
{
	size_t n = 0;

	for (unsigned i = 0; i < nranges; i++)
		n += ranges[i].npages - ranges[i].nbitmap;
	return n;
}
