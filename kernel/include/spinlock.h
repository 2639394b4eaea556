/*
 * spinlock.h - short critical sections between CPUs. Interrupts are masked
 * on the local CPU while a spinlock is held, so an interrupt handler may
 * take a lock its CPU's thread code also takes. Hold one only for a few
 * instructions' worth of work; never sleep with one held.
 */
#pragma once

#include "kernel.h"
#include <arch.h>

struct spinlock {
	volatile uint32_t locked;
	unsigned long
	    saved; /* interrupt state of the holder, restored on release */
};

#define SPINLOCK_INIT                                                          \
	{                                                                      \
		0, 0                                                           \
	}

static inline void spin_lock(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
	l->saved = flags;
}

static inline bool spin_trylock(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		arch_irq_restore(flags);
		return false;
	}
	l->saved = flags;
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	unsigned long flags = l->saved;

	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	arch_irq_restore(flags);
}
