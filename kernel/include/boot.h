/*
 * boot.h - what the platform's boot code hands to the portable kernel:
 * the memory map, the boot modules and the command line.
 */
#pragma once

#include "kernel.h"
#include <arch_defs.h>

#define RANGE_MAX       128
#define BOOT_MODULE_MAX 16
#define BOOT_CMDLINE    512

/* A physical address range [base, end). */
struct mem_range {
	uint64_t base, end;
};

/* A set of ranges kept sorted by base, with no two touching or overlapping. */
struct range_list {
	unsigned n;
	struct mem_range r[RANGE_MAX];
};

struct boot_module {
	uint64_t base, end; /* physical */
	char name[64];
};

struct boot_info {
	struct range_list ram;      /* usable RAM, as the firmware reports it */
	struct range_list reserved; /* RAM in use: kernel, modules, tables */
	struct boot_module mod[BOOT_MODULE_MAX];
	unsigned nmod;
	char cmdline[BOOT_CMDLINE];
	struct arch_boot_info arch; /* what only the platform needs */
};

/*
 * mm/range.c: pure range arithmetic, host-tested.
 * range_add merges [base, end) into l (0, or -1 when l is full).
 * range_remove cuts [base, end) out of l, splitting a range if needed
 * (0, or -1 when a split does not fit: then the part of that range above
 * end is dropped too, so [base, end) is gone from l either way).
 * range_align shrinks every range inward to multiples of align and drops
 * the ones that vanish. range_total is the sum of the lengths.
 */
int range_add(struct range_list *l, uint64_t base, uint64_t end);
int range_remove(struct range_list *l, uint64_t base, uint64_t end);
void range_align(struct range_list *l, uint64_t align);
uint64_t range_total(const struct range_list *l);

/*
 * The free physical memory: bi->ram, page-aligned, minus bi->reserved.
 * Used once by the boot CPU to seed the physical allocator.
 */
void boot_free_memory(const struct boot_info *bi, struct range_list *out);

/* The portable kernel's entry on the boot CPU, and on each other CPU. */
NORETURN void kmain(struct boot_info *bi);
NORETURN void kmain_ap(void);
