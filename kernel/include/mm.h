/*
 * mm.h - physical pages, the kernel heap and kernel stacks.
 */
#pragma once

#include "boot.h"
#include "kernel.h"
#include <arch_defs.h>

/* Every physical page is mapped at DIRECT_MAP_BASE + its address. */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(DIRECT_MAP_BASE + pa);
}

static inline uint64_t virt_to_phys(const void *va)
{
	return (uintptr_t)va - DIRECT_MAP_BASE;
}

/*
 * mm/pmm.c: the physical page allocator. One bitmap per free range, kept
 * in the first pages of that range, so there is no ceiling on memory.
 * pmm_init is called once, with page-aligned free ranges.
 * pmm_alloc returns the physical address of a page, or 0 when memory is
 * exhausted (page 0 is never handed out). pmm_alloc_contig returns npages
 * physically contiguous pages aligned to align_pages pages (a power of two),
 * for DMA and large kernel objects. The contents are not cleared.
 * Every call may be made from any CPU; they take the pmm lock.
 */
void pmm_init(const struct range_list *free);
uint64_t pmm_alloc(void);
uint64_t pmm_alloc_contig(size_t npages, size_t align_pages);
void pmm_free(uint64_t pa);
void pmm_free_contig(uint64_t pa, size_t npages);
size_t pmm_free_pages(void);
/* Reference counts of shared pages (copy on write, memory objects): a page
 * comes from pmm_alloc with one reference; pmm_ref adds one (false, and
 * none added, when the count is full: the sharing must fail);
 * pmm_unref frees the page when none is left. */
bool pmm_ref(uint64_t pa);
void pmm_unref(uint64_t pa);
unsigned pmm_refs(uint64_t pa);
size_t pmm_total_pages(void);

/*
 * mm/memobj.c: memory objects (memfd_create). memobj_size is true when f
 * is one, with its size in *size (if not NULL). memobj_page returns the
 * physical page at index i (made zero-filled on first use) with a
 * reference for the caller, or 0 past the end or when the pages allowed
 * to memory objects are used up. memobj_resize sets the size (ftruncate):
 * 0 or -errno. They take the object's lock; callers may hold mm->lock.
 */
struct file;
bool memobj_size(struct file *f, uint64_t *size);
uint64_t memobj_page(struct file *f, uint64_t i);
long memobj_resize(struct file *f, uint64_t size);
/* PROT_DEVICE for device memory (LUX_NR_MMIO: memobj_page gives its
 * pages with no reference), else 0. */
unsigned memobj_prot(struct file *f);
/* Kernel-only protection bit, beside PROT_*: a page of device memory,
 * mapped uncached and never executable, and no RAM page (never counted
 * by pmm_ref). */
#define PROT_DEVICE 8
/* And: a shared mapping of a file not open for writing (mprotect may not
 * make it writable: EACCES). */
#define PROT_NOWRITE 16

/*
 * mm/heap.c: kmalloc returns memory aligned to 16 bytes, or NULL when out
 * of memory; kzalloc clears it; kfree(NULL) does nothing. Small objects come
 * from per-size free lists refilled a page at a time; large ones are whole
 * contiguous pages. Callable from any CPU.
 */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/*
 * mm/kstack.c: kernel stacks of KSTACK_SIZE bytes, each mapped in the
 * kernel stack area with an unmapped guard page below it, so an overflow
 * faults instead of corrupting memory. Returns the stack's lowest address
 * (the top is base + KSTACK_SIZE), or 0 when out of memory.
 */
uintptr_t kstack_alloc(void);
void kstack_free(uintptr_t base);
/* The index of the kernel stack at base in the area: unique among the
 * stacks in use. */
uintptr_t kstack_slot(uintptr_t base);
