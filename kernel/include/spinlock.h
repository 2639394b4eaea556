/*
 * spinlock.h - short critical sections between CPUs. Interrupts are masked
 * on the local CPU while a spinlock is held, so an interrupt handler may
 * take a lock its CPU's thread code also takes, and the holder is never
 * preempted. Hold one only for a few
 * instructions' worth of work; never sleep with one held.
 */
#pragma once

#include "kernel.h"
#include <arch.h>

/* sched.c: the per-CPU preemption count that every held spinlock raises;
 * preempt_enable reschedules if it drops to zero with one pending. */
void preempt_disable(void);
void preempt_enable(void);

struct spinlock {
	volatile uint32_t locked;
	unsigned long
	    saved; /* interrupt state of the holder, restored on release */
};

#define SPINLOCK_INIT                                                          \
	{                                                                      \
		0, 0                                                           \
	}

/* Take l without touching the interrupt flag (the caller masked it). */
static inline void spin_acquire(struct spinlock *l)
{
	preempt_disable();
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			arch_cpu_relax();
}

static inline void spin_release(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	preempt_enable();
}

static inline void spin_lock(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	spin_acquire(l);
	l->saved = flags;
}

static inline bool spin_trylock(struct spinlock *l)
{
	unsigned long flags = arch_irq_save();

	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		arch_irq_restore(flags);
		return false;
	}
	preempt_disable();
	l->saved = flags;
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	unsigned long flags = l->saved;

	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	arch_irq_restore(flags);
	preempt_enable();
}
