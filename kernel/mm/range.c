/*
 * range.c - sets of physical address ranges, kept sorted by base with no
 * two touching or overlapping: the firmware memory map and what is free.
 */
#include "boot.h"

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
	memmove(&l->r[i + 1], &l->r[j], (l->n - j) * sizeof(l->r[0]));
	l->n = l->n + i + 1 - j;
	l->r[i] = (struct mem_range){base, end};
	return 0;
}

/*
 * What is left of each range is its part below base and its part above
 * end; l is built again from those. The upper parts go in last and from
 * the top down, so when a split does not fit, the one part that finds no
 * room is the split range's part above end.
 */
int range_remove(struct range_list *l, uint64_t base, uint64_t end)
{
	struct range_list old = *l;
	int err = 0;

	l->n = 0;
	for (unsigned i = 0; i < old.n; i++)
		range_add(l, old.r[i].base, MIN(old.r[i].end, base));
	for (unsigned i = old.n; i-- > 0;)
		err |= range_add(l, MAX(old.r[i].base, end), old.r[i].end);
	return err;
}

void range_align(struct range_list *l, uint64_t align)
{
	unsigned n = 0;

	assert(align != 0 && (align & (align - 1)) == 0);
	for (unsigned i = 0; i < l->n; i++) {
		uint64_t base = ALIGN_UP(l->r[i].base, align);
		uint64_t end = ALIGN_DOWN(l->r[i].end, align);

		if (base < end) /* keep the ones that do not vanish */
			l->r[n++] = (struct mem_range){base, end};
	}
	l->n = n;
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
