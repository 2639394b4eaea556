/*
 * ksyms.c - function names for fault reports. The table is generated from
 * the linked kernel by tools/mksyms.py and linked in by the second link.
 */
#include "kernel.h"

extern const uint64_t ksym_count;
extern const uint64_t ksym_addrs[];
extern const uint32_t ksym_names[];
extern const char ksym_strings[];
extern char _text[], _etext[];

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	uint64_t lo = 0, hi = ksym_count;

	if (addr < (uintptr_t)_text || addr >= (uintptr_t)_etext || !hi)
		return NULL;
	while (hi - lo > 1) { /* the last symbol at or below addr */
		uint64_t mid = (lo + hi) / 2;
		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (ksym_addrs[lo] > addr)
		return NULL;
	*offset = addr - ksym_addrs[lo];
	return ksym_strings + ksym_names[lo];
}
