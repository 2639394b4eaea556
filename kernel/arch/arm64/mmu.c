/*
 * mmu.c - the kernel's page tables (TTBR1: the direct map of all RAM, the
 * kernel image with W^X, kernel stacks and device mappings) and user
 * address spaces (TTBR0). 4 KiB pages, 48-bit addresses, 4 levels.
 * User pages are never executable by the kernel (PXN), kernel pages never
 * by user mode (UXN). Every address space uses ASID 0: loading one drops
 * the previous one's (non-global) translations on this CPU.
 */
#include "arm64.h"
#include "sched.h"
#include "spinlock.h"
#include <lux/errno.h>
#include <lux/mman.h>

#define PTE_VALID  (1ULL << 0)
#define PTE_TABLE  (1ULL << 1) /* at levels 0-2; a page at level 3 */
#define PTE_DEVICE (1ULL << 2) /* AttrIndx 1 of MAIR (boot.S) */
#define PTE_USER   (1ULL << 6) /* AP[1]: EL0 may access */
#define PTE_RO     (1ULL << 7) /* AP[2]: read-only */
#define PTE_SH     (3ULL << 8) /* inner shareable */
#define PTE_AF     (1ULL << 10)
#define PTE_NG     (1ULL << 11)
#define PTE_PXN    (1ULL << 53)
#define PTE_UXN    (1ULL << 54)
#define PTE_KEPT   (1ULL << 55) /* not valid: a page kept with no access */
#define PTE_ADDR   0x0000fffffffff000ULL
#define PTE_KERNEL (PTE_VALID | PTE_TABLE | PTE_AF | PTE_SH | PTE_UXN)

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _end[];
extern char boot_stack_guard[];

uint64_t kernel_root_phys;
static uint64_t *kernel_root;
static uint64_t empty_root_phys; /* TTBR0 of kernel threads: no user half */
static struct spinlock kmap_lock = SPINLOCK_INIT;

/* Until the page allocator runs, page tables come from a bump range. */
static uint64_t bump_start, bump_next, bump_end;

static uint64_t pt_alloc(void)
{
	uint64_t pa;

	if (bump_end) {
		if (bump_next == bump_end)
			panic("mmu: out of boot page-table memory");
		pa = bump_next;
		bump_next += PAGE_SIZE;
	} else if (!(pa = pmm_alloc())) {
		return 0;
	}
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return pa;
}

static unsigned index_at(uintptr_t va, int level)
{
	return (va >> (PAGE_SHIFT + 9 * (3 - level))) & 511;
}

/*
 * The entry for va at level (3: 4 KiB, 2: 2 MiB, 1: 1 GiB) in the tables
 * under root, creating missing tables if alloc. NULL when a table is
 * missing (or cannot be allocated) or a block already maps va.
 */
static uint64_t *walk(uint64_t *root, uintptr_t va, int level, bool alloc)
{
	uint64_t *table = root;

	for (int l = 0; l < level; l++) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_VALID)) {
			uint64_t pa = alloc ? pt_alloc() : 0;
			if (!pa)
				return NULL;
			dsb(ishst);
			*e = pa | PTE_VALID | PTE_TABLE;
		} else if (!(*e & PTE_TABLE)) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[index_at(va, level)];
}

/* Page entry bits for prot (PROT_*); W^X is the caller's care. User
 * pages are never executable by the kernel, kernel pages never by users. */
static uint64_t pte_flags(unsigned prot, bool user)
{
	uint64_t e = PTE_VALID | PTE_TABLE | PTE_AF | PTE_SH;
	bool exec = (prot & PROT_EXEC) && !(prot & PROT_DEVICE);

	if (prot & PROT_DEVICE)
		e |= PTE_DEVICE;
	if (!(prot & PROT_WRITE))
		e |= PTE_RO;
	if (user)
		e |= PTE_USER | PTE_NG | PTE_PXN | (exec ? 0 : PTE_UXN);
	else
		e |= PTE_UXN | (exec ? 0 : PTE_PXN);
	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		e = (e & ~PTE_VALID) |
		    PTE_KEPT; /* PROT_NONE: kept, no access */
	return e;
}

/* The PROT_* a user entry grants: pte_flags the other way round. */
static unsigned pte_prot(uint64_t e)
{
	unsigned dev = (e & PTE_DEVICE) ? PROT_DEVICE : 0;

	if (!(e & PTE_VALID))
		return dev; /* kept with no access */
	return PROT_READ | ((e & PTE_RO) ? 0 : PROT_WRITE) | dev |
	       ((e & PTE_UXN) ? 0 : PROT_EXEC);
}

/* The valid entry mapping kernel address va (a page or a block), or 0. */
static uint64_t kernel_entry(uintptr_t va)
{
	uint64_t *table = kernel_root;

	for (int l = 0; l <= 3; l++) {
		uint64_t e = table[index_at(va, l)];
		if (!(e & PTE_VALID))
			return 0;
		if (l == 3 || !(e & PTE_TABLE))
			return e;
		table = phys_to_virt(e & PTE_ADDR);
	}
	return 0;
}

/* Map [va, va+len) to [pa, ...) with the largest blocks that fit. */
static void map_range(uintptr_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	while (len) {
		int level = 3;
		if (!((va | pa) & (GiB - 1)) && len >= GiB)
			level = 1;
		else if (!((va | pa) & (2 * MiB - 1)) && len >= 2 * MiB)
			level = 2;
		uint64_t size = 1ULL << (PAGE_SHIFT + 9 * (3 - level));
		uint64_t *e = walk(kernel_root, va, level, true);
		if (!e)
			panic("mmu: cannot map 0x%lx", va);
		*e = pa | (level < 3 ? flags & ~PTE_TABLE : flags);
		va += size;
		pa += size;
		len -= size;
	}
}

/* Take boot page tables from the first free range that boot.S's direct
 * map reaches (4 GiB from the image's GiB). */
BOOT_CODE static void choose_bump(const struct boot_info *bi)
{
	static struct range_list free;
	uint64_t lo = ALIGN_DOWN(kernel_phys, GiB), hi = lo + 4 * GiB;

	boot_free_memory(bi, &free);
	for (unsigned i = 0; i < free.n; i++) {
		uint64_t base = MAX(free.r[i].base, lo);
		uint64_t end = MIN(free.r[i].end, hi);
		if (base < end && end - base >= 256 * KiB) {
			bump_start = bump_next = base;
			bump_end = end;
			return;
		}
	}
	panic("mmu: no free memory near the kernel");
}

BOOT_CODE static void map_kernel(const char *start, const char *end,
				 unsigned prot)
{
	for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end;
	     va += PAGE_SIZE)
		if (va != (uintptr_t)boot_stack_guard)
			map_range(va, va - KERNEL_BASE + kernel_phys, PAGE_SIZE,
				  pte_flags(prot, false));
}

BOOT_CODE void arch_mm_init(struct boot_info *bi)
{
	choose_bump(bi);
	kernel_root_phys = pt_alloc();
	kernel_root = phys_to_virt(kernel_root_phys);
	empty_root_phys = pt_alloc();

	for (unsigned i = 0; i < bi->ram.n; i++) {
		uint64_t base = ALIGN_UP(bi->ram.r[i].base, PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(bi->ram.r[i].end, PAGE_SIZE);
		if (end > DIRECT_MAP_END - DIRECT_MAP_BASE)
			panic("mmu: RAM beyond the direct map (0x%lx)", end);
		if (base < end)
			map_range(DIRECT_MAP_BASE + base, base, end - base,
				  pte_flags(PROT_READ | PROT_WRITE, false));
	}
	map_kernel(_text, _etext, PROT_READ | PROT_EXEC);
	map_kernel(_rodata, _erodata, PROT_READ);
	map_kernel(_data, _end, PROT_READ | PROT_WRITE);
	console_remap();

	write_sysreg(ttbr1_el1, kernel_root_phys);
	write_sysreg(ttbr0_el1, empty_root_phys);
	isb();
	__asm__ volatile("tlbi vmalle1; dsb nsh; isb" : : : "memory");
	range_add(&bi->reserved, bump_start, bump_next);
	bump_end = 0;
}

void *map_phys(uint64_t pa, uint64_t len, bool uncached)
{
	unsigned prot = PROT_READ | PROT_WRITE | (uncached ? PROT_DEVICE : 0);
	uintptr_t va = DIRECT_MAP_BASE + ALIGN_DOWN(pa, PAGE_SIZE);

	spin_lock(&kmap_lock);
	for (; va < DIRECT_MAP_BASE + pa + len; va += PAGE_SIZE)
		if (!kernel_entry(va))
			map_range(va, va - DIRECT_MAP_BASE, PAGE_SIZE,
				  pte_flags(prot, false));
	dsb(ishst);
	isb();
	spin_unlock(&kmap_lock);
	return (void *)(DIRECT_MAP_BASE + pa);
}

int arch_kmap(uintptr_t va, uint64_t pa, unsigned prot)
{
	uint64_t *e;

	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EINVAL; /* W^X */
	spin_lock(&kmap_lock);
	e = walk(kernel_root, va, 3, true);
	if (e)
		*e = pa | pte_flags(prot, false);
	dsb(ishst);
	isb();
	spin_unlock(&kmap_lock);
	return e ? 0 : -ENOMEM;
}

void arch_kunmap(uintptr_t va, size_t npages, uint64_t pa[])
{
	spin_lock(&kmap_lock);
	for (size_t i = 0; i < npages; i++, va += PAGE_SIZE) {
		uint64_t *e = walk(kernel_root, va, 3, false);
		pa[i] = e && (*e & PTE_VALID) ? *e & PTE_ADDR : 0;
		if (pa[i]) {
			*e = 0;
			dsb(ishst);
			__asm__ volatile("tlbi vaale1, %0" : : "r"(va >> 12));
		}
	}
	dsb(nsh);
	spin_unlock(&kmap_lock);
}

/* Broadcast invalidation reaches every CPU: no interrupt needed. */
void arch_kflush(void)
{
	__asm__ volatile("dsb ishst; tlbi vmalle1is; dsb ish; isb"
			 :
			 :
			 : "memory");
}

/* The user half has its own root (TTBR0): nothing of the kernel's. */
int arch_as_create(struct arch_as *as)
{
	return (as->root = pt_alloc()) ? 0 : -ENOMEM;
}

/* Free the tables below a level-`level` table. */
static void free_tables(uint64_t *table, int level)
{
	for (int i = 0; level < 3 && i < 512; i++)
		if ((table[i] & PTE_VALID) && (table[i] & PTE_TABLE))
			free_tables(phys_to_virt(table[i] & PTE_ADDR),
				    level + 1);
	pmm_free(virt_to_phys(table));
}

void arch_as_destroy(struct arch_as *as)
{
	free_tables(phys_to_virt(as->root), 0);
}

/* Replacing a valid entry breaks it first (ARM ARM D8.14.1): invalid,
 * then every CPU's translation of it dropped, then the new one. */
int arch_umap(struct arch_as *as, uintptr_t va, uint64_t pa, unsigned prot)
{
	uint64_t *e = walk(phys_to_virt(as->root), va, 3, pa != 0);

	if (!e)
		return pa ? -ENOMEM : 0;
	if (*e & PTE_VALID) {
		*e = 0;
		__asm__ volatile("dsb ishst; tlbi vaae1is, %0; dsb ish"
				 :
				 : "r"(va >> 12)
				 : "memory");
	}
	*e = pa ? pa | pte_flags(prot, true) : 0;
	dsb(ishst);
	return 0;
}

uint64_t arch_ulookup(struct arch_as *as, uintptr_t va, unsigned *prot)
{
	uint64_t *e = walk(phys_to_virt(as->root), va, 3, false);

	if (!e || !(*e & (PTE_VALID | PTE_KEPT)))
		return 0;
	*prot = pte_prot(*e);
	return *e & PTE_ADDR;
}

static void for_each(uint64_t *table, int level, uintptr_t va, uintptr_t start,
		     uintptr_t end,
		     void (*fn)(void *, uintptr_t, uint64_t, unsigned),
		     void *arg)
{
	uint64_t span = 1ULL << (PAGE_SHIFT + 9 * (3 - level));
	int i = start > va ? (start - va) / span : 0; /* the first it covers */

	for (va += i * span; i < 512 && va < end; i++, va += span) {
		uint64_t e = table[i];
		if (!(e & (level < 3 ? PTE_VALID : PTE_VALID | PTE_KEPT)))
			continue;
		if (level < 3)
			for_each(phys_to_virt(e & PTE_ADDR), level + 1, va,
				 start, end, fn, arg);
		else
			fn(arg, va, e & PTE_ADDR, pte_prot(e));
	}
}

void arch_ufor_each(struct arch_as *as, uintptr_t start, uintptr_t end,
		    void (*fn)(void *, uintptr_t, uint64_t, unsigned),
		    void *arg)
{
	for_each(phys_to_virt(as->root), 0, 0, start, MIN(end, USER_TOP), fn,
		 arg);
}

/* Broadcast: every CPU drops it, whichever address space it runs (all
 * share ASID 0, so this may drop other spaces' entries too: harmless). */
void arch_as_flush(struct arch_as *as, uintptr_t va)
{
	(void)as;
	if (va)
		__asm__ volatile("dsb ishst; tlbi vaae1is, %0; dsb ish"
				 :
				 : "r"(va >> 12)
				 : "memory");
	else
		__asm__ volatile("dsb ishst; tlbi aside1is, xzr; dsb ish"
				 :
				 :
				 : "memory");
}

/* Load as (NULL: none) as this CPU's user half. */
void as_load(struct arch_as *old, struct arch_as *as)
{
	if (old == as)
		return;
	write_sysreg(ttbr0_el1, as ? as->root : empty_root_phys);
	__asm__ volatile("isb; tlbi aside1, xzr; dsb nsh; isb" : : : "memory");
}

void arch_use_as(struct arch_context *ctx, struct arch_as *as)
{
	preempt_disable(); /* ctx->as is what this CPU has loaded */
	if (ctx == &current_thread()->ctx)
		as_load(ctx->as, as);
	ctx->as = as;
	preempt_enable();
}

bool arch_kernel_readable(uintptr_t addr, uintptr_t len)
{
	if (addr < DIRECT_MAP_BASE || addr + len < addr)
		return false;
	for (uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len;
	     va += PAGE_SIZE)
		if (!kernel_entry(va) || (kernel_entry(va) & PTE_DEVICE))
			return false;
	return true;
}
