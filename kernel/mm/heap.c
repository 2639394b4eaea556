/*
 * heap.c - kmalloc and kfree.
 *
 * Every object starts with a 16-byte header, which keeps the memory after
 * it 16-byte aligned. Small objects come in seven power-of-two sizes, 32 to
 * 2048 bytes counting the header; each size has a free list, refilled by
 * cutting up one page. Pages given to a size stay with it. Larger objects
 * are whole contiguous pages from the pmm, the header at the start of the
 * first page; on kfree, up to LARGE_KEEP of each size to LARGE_KEEP_PAGES
 * pages stay on a free list of their size (path walks, I/O buffers and
 * messages come and go at every call), the rest go back to the pmm, and
 * the kept ones too when the pmm runs out.
 * The header's magic tells a live object
 * from a freed one, which catches double frees and most stray pointers.
 *
 * Lock order: heap_lock, then the pmm's lock.
 */
#include "mm.h"
#include "spinlock.h"

#define HEAP_MIN_SHIFT 5 /* the smallest object: 32 bytes */
#define HEAP_CLASSES   7 /* 32, 64, ... 2048 */
#define HEAP_LARGE     HEAP_CLASSES
#define MAGIC_USED     0x6b616c6cU
#define MAGIC_FREE     0x6b667265U

struct heap_hdr {
	uint32_t magic;
	uint32_t class; /* size class, or HEAP_LARGE */
	union {
		struct heap_hdr *next; /* free: next on its class's list */
		size_t npages;         /* large: pages it spans */
	};
};
_Static_assert(sizeof(struct heap_hdr) == 16, "header keeps 16-byte alignment");

#define LARGE_KEEP_PAGES 17 /* a 64 KiB message and its header */
#define LARGE_KEEP       2

static struct heap_hdr *free_list[HEAP_CLASSES];
static struct heap_hdr *large_free[LARGE_KEEP_PAGES + 1];
static unsigned large_kept[LARGE_KEEP_PAGES + 1];
static struct spinlock heap_lock = SPINLOCK_INIT;

static size_t class_size(unsigned c)
{
	return (size_t)1 << (c + HEAP_MIN_SHIFT);
}

/* Give the kept large objects back to the pmm; false if there were none.
 * Called with heap_lock held. */
static bool heap_drain(void)
{
	bool any = false;

	for (size_t n = 1; n <= LARGE_KEEP_PAGES; n++)
		for (struct heap_hdr *h; (h = large_free[n]); any = true) {
			large_free[n] = h->next;
			large_kept[n]--;
			pmm_free_contig(virt_to_phys(h), n);
		}
	return any;
}

/* Cut a new page into free objects of class c; false when out of memory.
 * Called with heap_lock held. */
static bool heap_refill(unsigned c)
{
	uint64_t pa = pmm_alloc();
	char *page;

	if (pa == 0 && heap_drain())
		pa = pmm_alloc();
	if (pa == 0)
		return false;
	page = phys_to_virt(pa);
	for (size_t off = 0; off < PAGE_SIZE; off += class_size(c)) {
		struct heap_hdr *h = (struct heap_hdr *)(page + off);

		*h = (struct heap_hdr){MAGIC_FREE, c, {free_list[c]}};
		free_list[c] = h;
	}
	return true;
}

static void *alloc_small(unsigned c)
{
	struct heap_hdr *h;

	spin_lock(&heap_lock);
	if (free_list[c] == NULL && !heap_refill(c)) {
		spin_unlock(&heap_lock);
		return NULL;
	}
	h = free_list[c];
	if (h->magic != MAGIC_FREE || h->class != c)
		panic("kmalloc: free object %p was overwritten", (void *)h);
	free_list[c] = h->next;
	h->magic = MAGIC_USED;
	spin_unlock(&heap_lock);
	return h + 1;
}

static void *alloc_large(size_t size)
{
	size_t npages =
	    ALIGN_UP(size + sizeof(struct heap_hdr), PAGE_SIZE) / PAGE_SIZE;
	struct heap_hdr *h = NULL;

	if (npages <= LARGE_KEEP_PAGES) {
		spin_lock(&heap_lock);
		if ((h = large_free[npages])) {
			if (h->magic != MAGIC_FREE)
				panic("kmalloc: free object %p was overwritten",
				      (void *)h);
			large_free[npages] = h->next;
			large_kept[npages]--;
		}
		spin_unlock(&heap_lock);
	}
	if (!h) {
		uint64_t pa = pmm_alloc_contig(npages, 1);
		if (pa == 0) {
			spin_lock(&heap_lock);
			bool drained = heap_drain();
			spin_unlock(&heap_lock);
			if (drained)
				pa = pmm_alloc_contig(npages, 1);
		}
		if (pa == 0)
			return NULL;
		h = phys_to_virt(pa);
	}
	*h = (struct heap_hdr){MAGIC_USED, HEAP_LARGE, {.npages = npages}};
	return h + 1;
}

void *kmalloc(size_t size)
{
	unsigned c = 0;

	if (size > SIZE_MAX / 2)
		return NULL; /* more than any machine has; also no overflow */
	while (c < HEAP_CLASSES &&
	       class_size(c) < size + sizeof(struct heap_hdr))
		c++;
	return c < HEAP_CLASSES ? alloc_small(c) : alloc_large(size);
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	struct heap_hdr *h;

	if (p == NULL)
		return;
	if ((uintptr_t)p % 16 != 0)
		panic("kfree: %p was not returned by kmalloc", p);
	h = (struct heap_hdr *)p - 1;
	spin_lock(&heap_lock);
	if (h->magic != MAGIC_USED || h->class > HEAP_LARGE)
		panic("kfree: %p is %s", p,
		      h->magic == MAGIC_FREE ? "already free"
					     : "corrupted or not from kmalloc");
	h->magic = MAGIC_FREE;
	if (h->class == HEAP_LARGE) {
		size_t n = h->npages;
		if (n <= LARGE_KEEP_PAGES && large_kept[n] < LARGE_KEEP) {
			h->next = large_free[n];
			large_free[n] = h;
			large_kept[n]++;
			spin_unlock(&heap_lock);
			return;
		}
		spin_unlock(&heap_lock);
		pmm_free_contig(virt_to_phys(h), n);
		return;
	}
	h->next = free_list[h->class];
	free_list[h->class] = h;
	spin_unlock(&heap_lock);
}
