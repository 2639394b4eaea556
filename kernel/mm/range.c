/*
 * range.c - sets of physical address ranges, kept sorted by base with no
 * two touching or overlapping: the firmware memory map and what is free.
 */
#include "boot.h"

/* Move entries from..n-1 to start at index to, adjusting the count. */
static void range_shift(struct range_list *l, unsigned from, unsigned to)
{
	memmove(&l->r[to], &l->r[from], (l->n - from) * sizeof(l->r[0]));
	l->n = l->n + to - from;
}

int range_add(struct range_list *l, uint64_t base, uint64_t end)
{
	unsigned i = 0, j;

	if (base >= end)
		return 0;
	while (i < l->n && l->r[i].end < base)
		i++;
	/* Ranges i..j-1 overlap or touch [base, end): merge them into it. */
	for (j = i; j < l->n && l->r[j].base <= end; j++) {
		base = MIN(base, l->r[j].base);
		end = MAX(end, l->r[j].end);
	}
	if (i == j && l->n == RANGE_MAX)
		return -1;
	range_shift(l, j, i + 1);
	l->r[i] = (struct mem_range){base, end};
	return 0;
}

/*
 * When a split does not fit, the part of the split range above end is
 * dropped as well, so [base, end) is always gone from l afterwards.
 */
int range_remove(struct range_list *l, uint64_t base, uint64_t end)
{
	for (unsigned i = 0; i < l->n && base < end; i++) {
		struct mem_range *r = &l->r[i];

		if (r->end <= base || r->base >= end)
			continue;
		if (r->base < base && r->end > end) {
			if (l->n == RANGE_MAX) {
				r->end = base;
				return -1;
			}
			range_shift(l, i + 1, i + 2);
			l->r[i + 1] = (struct mem_range){end, r->end};
			r->end = base;
			return 0;
		}
		if (r->base >= base && r->end <= end) {
			range_shift(l, i + 1, i);
			i--; /* the next entry moved into i */
		} else if (r->base < base) {
			r->end = base;
		} else {
			r->base = end;
		}
	}
	return 0;
}

void range_align(struct range_list *l, uint64_t align)
{
	assert(align != 0 && (align & (align - 1)) == 0);
	for (unsigned i = 0; i < l->n; i++) {
		struct mem_range *r = &l->r[i];

		r->base = ALIGN_UP(r->base, align);
		r->end = ALIGN_DOWN(r->end, align);
		if (r->base >= r->end) {
			range_shift(l, i + 1, i);
			i--; /* look at the entry that moved into i */
		}
	}
}

uint64_t range_total(const struct range_list *l)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < l->n; i++)
		total += l->r[i].end - l->r[i].base;
	return total;
}

BOOT_CODE void boot_free_memory(const struct boot_info *bi,
				struct range_list *out)
{
	*out = bi->ram;
	range_align(out, PAGE_SIZE);
	/* A reserved range's partial pages are not free either. A split that
	 * does not fit loses some free memory, never frees reserved memory. */
	for (unsigned i = 0; i < bi->reserved.n; i++)
		range_remove(out, ALIGN_DOWN(bi->reserved.r[i].base, PAGE_SIZE),
			     ALIGN_UP(bi->reserved.r[i].end, PAGE_SIZE));
}
