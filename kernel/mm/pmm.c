/*
 * pmm.c - the physical page allocator.
 *
 * Each free range has a bitmap, one bit a page, set while the page is in
 * use. The bitmap lives in the range's own first pages (through the direct
 * map); those pages stay marked in use and are never counted. Searches skip
 * a word of 64 used pages at a time. Each range remembers where its last
 * allocation ended and starts the next search there (next fit), so a page
 * is found without rescanning the full part of the range.
 */
#include "mm.h"
#include "spinlock.h"

struct pmm_range {
	uint64_t base;    /* physical address of its first page */
	size_t npages;    /* pages in the range, the bitmap's included */
	size_t nbitmap;   /* pages the bitmap takes at the start */
	size_t nfree;     /* pages free now */
	size_t hint;      /* page where the next search starts */
	uint64_t *bitmap; /* bit i set: page i in use */
	uint16_t *refs;   /* references to page i (copy-on-write sharing) */
};

static struct pmm_range ranges[RANGE_MAX];
static unsigned nranges;
static size_t total_pages;
static struct spinlock pmm_lock = SPINLOCK_INIT;

static bool page_used(const struct pmm_range *r, size_t i)
{
	return r->bitmap[i / 64] >> (i % 64) & 1;
}

/* Mark pages i..i+n-1 in use or free, keeping r->nfree. */
static void mark_pages(struct pmm_range *r, size_t i, size_t n, bool used)
{
	r->nfree = used ? r->nfree - n : r->nfree + n;
	for (; n > 0; i++, n--) {
		if (used)
			r->bitmap[i / 64] |= 1ULL << (i % 64);
		else
			r->bitmap[i / 64] &= ~(1ULL << (i % 64));
	}
}

/* Index of the first free page at or after page i; r->npages if none.
 * The bits past the last page stay clear, so a word of pages all in use
 * never runs past the end. */
static size_t next_free(const struct pmm_range *r, size_t i)
{
	while (i < r->npages && page_used(r, i)) /* a full word at once */
		i += (i % 64 == 0 && r->bitmap[i / 64] == ~0ULL) ? 64 : 1;
	return i;
}

/* The first page at or after page i that starts npages free pages at a
 * physical page number that is a multiple of align; r->npages if none. */
static size_t find_run(const struct pmm_range *r, size_t i, size_t npages,
		       size_t align)
{
	size_t pfn = r->base / PAGE_SIZE, end;

	for (;;) {
		i = ALIGN_UP(pfn + next_free(r, i), align) - pfn;
		if (i >= r->npages || npages > r->npages - i)
			return r->npages;
		for (end = i; end < i + npages && !page_used(r, end); end++)
			;
		if (end == i + npages)
			return i;
		i = end + 1;
	}
}

BOOT_CODE void pmm_init(const struct range_list *free)
{
	nranges = total_pages = 0;
	for (unsigned i = 0; i < free->n; i++) {
		struct pmm_range *r = &ranges[nranges];
		size_t words;

		assert(free->r[i].base % PAGE_SIZE == 0 &&
		       free->r[i].end % PAGE_SIZE == 0);
		r->base = free->r[i].base;
		r->npages = (free->r[i].end - r->base) / PAGE_SIZE;
		words = (r->npages + 63) / 64;
		r->nbitmap =
		    ALIGN_UP(words * 8 + r->npages * 2, PAGE_SIZE) / PAGE_SIZE;
		if (r->nbitmap >= r->npages)
			continue; /* no room for a page besides its bitmap */
		r->bitmap = phys_to_virt(r->base);
		r->refs = (uint16_t *)(r->bitmap + words);
		memset(r->bitmap, 0, words * 8);
		r->nfree = r->npages;
		mark_pages(r, 0, r->nbitmap, true);
		r->hint = 0;
		total_pages += r->nfree;
		nranges++;
	}
}

/* Take npages pages of r as pmm_alloc_contig describes, searching from the
 * hint on, then from the start; their address, or 0. Called with pmm_lock
 * held. */
static uint64_t take_run(struct pmm_range *r, size_t npages, size_t align)
{
	size_t i = find_run(r, r->hint, npages, align);

	if (i == r->npages)
		i = find_run(r, 0, npages, align);
	if (i == r->npages)
		return 0;
	mark_pages(r, i, npages, true);
	for (size_t p = i; p < i + npages; p++)
		r->refs[p] = 1;
	r->hint = i + npages;
	return r->base + i * PAGE_SIZE;
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

uint64_t pmm_alloc(void)
{
	return pmm_alloc_contig(1, 1);
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
	size_t first;

	spin_lock(&pmm_lock);
	r = range_of(pa, npages);
	if (r == NULL || pa % PAGE_SIZE != 0)
		panic(
		    "pmm: freeing %zu pages at 0x%lx, which it never gave out",
		    npages, (unsigned long)pa);
	first = (pa - r->base) / PAGE_SIZE;
	for (size_t i = first; i < first + npages; i++)
		if (!page_used(r, i))
			panic("pmm: freeing page 0x%lx, which is already free",
			      (unsigned long)(r->base + i * PAGE_SIZE));
	mark_pages(r, first, npages, false);
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
	return total_pages;
}

/* The range and index of an allocated page; panics on any other. Called
 * with pmm_lock held. */
static struct pmm_range *page_of(uint64_t pa, size_t *index)
{
	struct pmm_range *r = range_of(pa, 1);

	if (!r || pa % PAGE_SIZE || !page_used(r, (pa - r->base) / PAGE_SIZE))
		panic("pmm: page 0x%lx is not allocated", (unsigned long)pa);
	*index = (pa - r->base) / PAGE_SIZE;
	return r;
}

bool pmm_ref(uint64_t pa)
{
	size_t i;

	spin_lock(&pmm_lock);
	struct pmm_range *r = page_of(pa, &i);
	bool room = r->refs[i] < UINT16_MAX;
	r->refs[i] += room;
	spin_unlock(&pmm_lock);
	return room;
}

void pmm_unref(uint64_t pa)
{
	size_t i;

	spin_lock(&pmm_lock);
	struct pmm_range *r = page_of(pa, &i);
	if (--r->refs[i] == 0)
		mark_pages(r, i, 1, false);
	spin_unlock(&pmm_lock);
}

unsigned pmm_refs(uint64_t pa)
{
	size_t i;
	unsigned n;

	spin_lock(&pmm_lock);
	n = page_of(pa, &i)->refs[i];
	spin_unlock(&pmm_lock);
	return n;
}
