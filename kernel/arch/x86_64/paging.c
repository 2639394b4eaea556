/*
 * paging.c - the kernel's page tables: the direct map of all RAM, the
 * kernel image with W^X, kernel stacks and device mappings.
 */
#include "mm.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include "spinlock.h"
#include "x86_64.h"

#define PTE_P    (1ULL << 0)
#define PTE_W    (1ULL << 1)
#define PTE_U    (1ULL << 2)
#define PTE_PWT  (1ULL << 3)
#define PTE_PCD  (1ULL << 4)
#define PTE_PS   (1ULL << 7)
#define PTE_G    (1ULL << 8)
#define PTE_NX   (1ULL << 63)
#define PTE_KEPT (1ULL << 9) /* not present: a page kept with no access */
#define PTE_ADDR 0x000ffffffffff000ULL

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _end[];
extern char boot_stack_guard[];

uint64_t kernel_pml4_phys;
int paging_levels = 4;
static uint64_t *kernel_pml4;
static uint64_t nx; /* PTE_NX where the CPU has it, else 0 */
static struct spinlock kmap_lock = SPINLOCK_INIT;

/* Until the page allocator runs, page tables come from a bump range. */
static uint64_t bump_start, bump_next, bump_end;

static uint64_t pt_alloc(void)
{
	uint64_t pa;

	if (bump_end) {
		if (bump_next == bump_end)
			panic("paging: out of boot page-table memory");
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
	return (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/*
 * The entry for va at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) in the tables
 * under root, creating missing tables (with table_flags) if alloc. NULL
 * when a table is missing (or cannot be allocated) or a larger page
 * already maps va.
 */
static uint64_t *walk(uint64_t *root, uintptr_t va, int level, bool alloc,
		      uint64_t table_flags)
{
	uint64_t *table = root;

	for (int l = paging_levels; l > level; l--) {
		uint64_t *e = &table[index_at(va, l)];
		if (!(*e & PTE_P)) {
			uint64_t pa = alloc ? pt_alloc() : 0;
			if (!pa)
				return NULL;
			*e = pa | table_flags;
		} else if (*e & PTE_PS) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[index_at(va, level)];
}

/* Page-table entry flags for prot (PROT_*); W^X is the caller's care. */
static uint64_t pte_flags(unsigned prot)
{
	uint64_t dev = (prot & PROT_DEVICE) ? PTE_PCD | PTE_PWT | nx : 0;

	if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return PTE_KEPT |
		       dev; /* PROT_NONE: the page stays, no access */
	return PTE_P | ((prot & PROT_WRITE) ? PTE_W : 0) | dev |
	       ((prot & PROT_EXEC) ? 0 : nx);
}

/* The PROT_* an entry grants: pte_flags the other way round. */
static unsigned pte_prot(uint64_t e)
{
	unsigned dev = (e & PTE_PCD) ? PROT_DEVICE : 0;

	if (!(e & PTE_P))
		return dev; /* kept with no access */
	return PROT_READ | ((e & PTE_W) ? PROT_WRITE : 0) | dev |
	       ((e & PTE_NX) ? 0 : PROT_EXEC);
}

/* Whether va is mapped, by a page of any size. */
static bool is_mapped(uintptr_t va)
{
	uint64_t *table = kernel_pml4;

	for (int l = paging_levels; l >= 1; l--) {
		uint64_t e = table[index_at(va, l)];
		if (!(e & PTE_P))
			return false;
		if (l == 1 || (e & PTE_PS))
			return true;
		table = phys_to_virt(e & PTE_ADDR);
	}
	return false;
}

/* Map [va, va+len) to [pa, ...) with the largest pages that fit. */
static void map_range(uintptr_t va, uint64_t pa, uint64_t len, uint64_t flags)
{
	while (len) {
		int level = 1;
		if (cpu_has_gbpages && !((va | pa) & (GiB - 1)) && len >= GiB)
			level = 3;
		else if (!((va | pa) & (2 * MiB - 1)) && len >= 2 * MiB)
			level = 2;
		uint64_t size = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
		uint64_t *e = walk(kernel_pml4, va, level, true, PTE_P | PTE_W);
		if (!e)
			panic("paging: cannot map 0x%lx", va);
		*e = pa | flags | (level > 1 ? PTE_PS : 0);
		va += size;
		pa += size;
		len -= size;
	}
}

/* Take boot page tables from the first free range in the first GiB,
 * where boot.S's mapping reaches. */
BOOT_CODE static void choose_bump(const struct boot_info *bi)
{
	static struct range_list free;

	boot_free_memory(bi, &free);
	for (unsigned i = 0; i < free.n; i++) {
		uint64_t end = MIN(free.r[i].end, GiB);
		if (free.r[i].base < end && end - free.r[i].base >= 64 * KiB) {
			bump_start = bump_next = free.r[i].base;
			bump_end = end;
			return;
		}
	}
	panic("paging: no free memory below 1 GiB");
}

BOOT_CODE static void map_kernel(const char *start, const char *end,
				 uint64_t flags)
{
	uintptr_t va = (uintptr_t)start;

	for (; va < (uintptr_t)end; va += PAGE_SIZE)
		if (va != (uintptr_t)boot_stack_guard)
			map_range(va, va - KERNEL_BASE, PAGE_SIZE, flags);
}

BOOT_CODE void arch_mm_init(struct boot_info *bi)
{
	cpu_detect_features();
	paging_levels = (read_cr4() & CR4_LA57) ? 5 : 4; /* boot.S chose */
	kprintf("lux: paging: %d levels\n", paging_levels);
	if (cpu_has_nx) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
		nx = PTE_NX;
	}
	choose_bump(bi);
	kernel_pml4_phys = pt_alloc();
	kernel_pml4 = phys_to_virt(kernel_pml4_phys);

	for (unsigned i = 0; i < bi->ram.n; i++) {
		uint64_t base = ALIGN_UP(bi->ram.r[i].base, PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(bi->ram.r[i].end, PAGE_SIZE);
		if (end > DIRECT_MAP_END - DIRECT_MAP_BASE)
			panic("paging: RAM beyond the direct map (0x%lx)", end);
		if (base < end)
			map_range(DIRECT_MAP_BASE + base, base, end - base,
				  PTE_P | PTE_W | PTE_G | nx);
	}
	map_kernel(_text, _etext, PTE_P | PTE_G);
	map_kernel(_rodata, _erodata, PTE_P | PTE_G | nx);
	map_kernel(_data, _end, PTE_P | PTE_W | PTE_G | nx);
	/* Every table of the kernel's half exists before the first address
	 * space copies it: the kernel-stack area's too. */
	for (uintptr_t va = KSTACK_AREA; va < KSTACK_AREA_END; va += 512 * GiB)
		walk(kernel_pml4, va, 3, true, PTE_P | PTE_W);

	write_cr4(read_cr4() | CR4_PGE);
	write_cr3(kernel_pml4_phys);
	range_add(&bi->reserved, bump_start, bump_next);
	bump_end = 0;
}

void *map_phys(uint64_t pa, uint64_t len, bool uncached)
{
	uint64_t flags = PTE_P | PTE_W | PTE_G | nx;
	uintptr_t va = DIRECT_MAP_BASE + ALIGN_DOWN(pa, PAGE_SIZE);

	if (uncached)
		flags |= PTE_PCD | PTE_PWT;
	spin_lock(&kmap_lock);
	for (; va < DIRECT_MAP_BASE + pa + len; va += PAGE_SIZE)
		if (!is_mapped(va))
			map_range(va, va - DIRECT_MAP_BASE, PAGE_SIZE, flags);
	spin_unlock(&kmap_lock);
	return (void *)(DIRECT_MAP_BASE + pa);
}

int arch_kmap(uintptr_t va, uint64_t pa, unsigned prot)
{
	uint64_t *e;

	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EINVAL; /* W^X */
	spin_lock(&kmap_lock);
	e = walk(kernel_pml4, va, 1, true, PTE_P | PTE_W);
	if (e)
		*e = pa | pte_flags(prot) | PTE_G;
	spin_unlock(&kmap_lock);
	return e ? 0 : -ENOMEM;
}

void arch_kunmap(uintptr_t va, size_t npages, uint64_t pa[])
{
	spin_lock(&kmap_lock);
	for (size_t i = 0; i < npages; i++, va += PAGE_SIZE) {
		uint64_t *e = walk(kernel_pml4, va, 1, false, 0);
		pa[i] = e && (*e & PTE_P) ? *e & PTE_ADDR : 0;
		if (pa[i])
			*e = 0, invlpg(va);
	}
	spin_unlock(&kmap_lock);
}

void arch_kflush(void)
{
	tlb_shootdown(0, TLB_ALL, NULL);
}

/* A user address space shares the kernel's half: the top 256 entries of
 * its PML4 are copies of the kernel's, which never change after boot. */
int arch_as_create(struct arch_as *as)
{
	uint64_t *root;

	if (!(as->root = pt_alloc()))
		return -ENOMEM;
	root = phys_to_virt(as->root);
	memcpy(root + 256, kernel_pml4 + 256, 256 * sizeof(*root));
	return 0;
}

/* Free the tables below a level-`level` table's first n entries. */
static void free_tables(uint64_t *table, int level, int n)
{
	for (int i = 0; i < n; i++)
		if (level > 1 && (table[i] & PTE_P) && !(table[i] & PTE_PS))
			free_tables(phys_to_virt(table[i] & PTE_ADDR),
				    level - 1, 512);
	pmm_free(virt_to_phys(table));
}

void arch_as_destroy(struct arch_as *as)
{
	free_tables(phys_to_virt(as->root), paging_levels, 256);
}

int arch_umap(struct arch_as *as, uintptr_t va, uint64_t pa, unsigned prot)
{
	uint64_t *e =
	    walk(phys_to_virt(as->root), va, 1, pa != 0, PTE_P | PTE_W | PTE_U);

	if (!e)
		return pa ? -ENOMEM : 0;
	*e = pa ? pa | pte_flags(prot) | PTE_U : 0;
	if (read_cr3() == as->root)
		invlpg(va);
	return 0;
}

uint64_t arch_ulookup(struct arch_as *as, uintptr_t va, unsigned *prot)
{
	uint64_t *e = walk(phys_to_virt(as->root), va, 1, false, 0);

	if (!e || !(*e & (PTE_P | PTE_KEPT)))
		return 0;
	*prot = pte_prot(*e);
	return *e & PTE_ADDR;
}

static void for_each(uint64_t *table, int level, uintptr_t va, uintptr_t start,
		     uintptr_t end,
		     void (*fn)(void *, uintptr_t, uint64_t, unsigned),
		     void *arg)
{
	uint64_t span = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	int i = start > va ? (start - va) / span : 0; /* the first it covers */

	for (va += i * span; i < 512 && va < end; i++, va += span) {
		uint64_t e = table[i];
		if (!(e & (level > 1 ? PTE_P : PTE_P | PTE_KEPT)))
			continue;
		if (level > 1)
			for_each(phys_to_virt(e & PTE_ADDR), level - 1, va,
				 start, end, fn, arg);
		else
			fn(arg, va, e & PTE_ADDR, pte_prot(e));
	}
}

void arch_ufor_each(struct arch_as *as, uintptr_t start, uintptr_t end,
		    void (*fn)(void *, uintptr_t, uint64_t, unsigned),
		    void *arg)
{
	for_each(phys_to_virt(as->root), paging_levels, 0, start,
		 MIN(end, USER_TOP), fn, arg);
}

void arch_as_flush(struct arch_as *as, uintptr_t va)
{
	tlb_shootdown(va, va ? 1 : 0, as);
}

void as_load(struct arch_as *old, struct arch_as *as)
{
	uint64_t bit = 1ULL << this_cpu()->id;

	if (old == as)
		return;
	if (as)
		__atomic_or_fetch(&as->cpus, bit, __ATOMIC_SEQ_CST);
	write_cr3(as ? as->root : kernel_pml4_phys);
	if (old)
		__atomic_and_fetch(&old->cpus, ~bit, __ATOMIC_SEQ_CST);
}

bool arch_kernel_readable(uintptr_t addr, uintptr_t len)
{
	if (addr < DIRECT_MAP_BASE || addr + len < addr)
		return false;
	for (uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len;
	     va += PAGE_SIZE)
		if (!is_mapped(va))
			return false;
	return true;
}
