/*
 * kstack.c - kernel stacks in their own virtual area, each slot one
 * unmapped guard page followed by KSTACK_SIZE bytes of stack.
 */
#include "mm.h"
#include "spinlock.h"
#include <arch.h>
#include <lux/mman.h>

#define SLOT_SIZE (KSTACK_SIZE + PAGE_SIZE)

struct free_slot {
	uintptr_t base;
	struct free_slot *next;
};

static struct spinlock kstack_lock = SPINLOCK_INIT;
static uintptr_t next_slot = KSTACK_AREA;
static struct free_slot *free_slots;
/* Freed slots wait here until one TLB flush makes them reusable: a flush
 * interrupts every CPU, so it is paid once per STALE_BATCH stacks, not
 * once per exit (a killed fork bomb's exits waited minutes for them). */
#define STALE_BATCH 64
static struct free_slot *stale;
static unsigned nstale;

/* With no free slot, make the stale ones free with one flush. */
static void slots_refresh(void)
{
	struct free_slot *list, *last;

	spin_lock(&kstack_lock);
	if (free_slots || nstale < STALE_BATCH) {
		spin_unlock(&kstack_lock);
		return;
	}
	list = stale;
	stale = NULL;
	nstale = 0;
	spin_unlock(&kstack_lock);
	arch_kflush();
	for (last = list; last->next; last = last->next)
		;
	spin_lock(&kstack_lock);
	last->next = free_slots;
	free_slots = list;
	spin_unlock(&kstack_lock);
}

static uintptr_t slot_get(void)
{
	uintptr_t base = 0;
	struct free_slot *f;

	spin_lock(&kstack_lock);
	if ((f = free_slots)) {
		free_slots = f->next;
		base = f->base;
	} else if (next_slot + SLOT_SIZE <= KSTACK_AREA_END) {
		base = next_slot + PAGE_SIZE;
		next_slot += SLOT_SIZE;
	}
	spin_unlock(&kstack_lock);
	kfree(f);
	return base;
}

/* Return an unmapped slot for reuse after the next flush; if the list
 * node cannot be allocated the virtual slot is simply not reused (the
 * area is 1 TiB). */
static void slot_put(uintptr_t base)
{
	struct free_slot *f = kmalloc(sizeof(*f));

	if (!f)
		return;
	f->base = base;
	spin_lock(&kstack_lock);
	f->next = stale;
	stale = f;
	nstale++;
	spin_unlock(&kstack_lock);
}

static void unmap_pages(uintptr_t base, size_t npages)
{
	uint64_t pa[KSTACK_SIZE / PAGE_SIZE];

	arch_kunmap(base, npages, pa);
	for (size_t i = 0; i < npages; i++)
		if (pa[i])
			pmm_free(pa[i]);
}

uintptr_t kstack_slot(uintptr_t base)
{
	return (base - KSTACK_AREA) / SLOT_SIZE;
}

uintptr_t kstack_alloc(void)
{
	slots_refresh();
	uintptr_t base = slot_get();

	if (!base)
		return 0;
	for (size_t i = 0; i < KSTACK_SIZE / PAGE_SIZE; i++) {
		uint64_t pa = pmm_alloc();
		if (!pa || arch_kmap(base + i * PAGE_SIZE, pa,
				     PROT_READ | PROT_WRITE) < 0) {
			if (pa)
				pmm_free(pa);
			unmap_pages(base, i);
			slot_put(base);
			return 0;
		}
	}
	return base;
}

void kstack_free(uintptr_t base)
{
	unmap_pages(base, KSTACK_SIZE / PAGE_SIZE);
	slot_put(base);
}
