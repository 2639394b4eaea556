/*
 * cpu.h - per-CPU data. Each CPU finds its own struct cpu through
 * this_cpu(), which the platform implements with a per-CPU register.
 */
#pragma once

#include "kernel.h"
#include "sched.h"
#include <arch_defs.h>

#define MAX_CPUS 64

struct cpu {
	unsigned id;          /* dense index, 0 is the boot CPU */
	volatile bool online; /* set by the CPU itself once it runs kmain_ap */
	uintptr_t stack;      /* base of its boot/idle kernel stack */
	struct sched_cpu sched;
	struct arch_cpu arch; /* the platform's own per-CPU state */
};

/* Read this_cpu()->field, or add to it (an int), in one indivisible
 * instruction: no preemption between finding the CPU and the access can
 * make it another CPU's. */
#define CPU_OFFSET(field)                                                      \
	((long)offsetof(struct cpu, field) - (long)offsetof(struct cpu, arch))
#define this_cpu_read(field)                                                   \
	arch_percpu_read(__typeof__(((struct cpu *)0)->field),                 \
			 CPU_OFFSET(field))
#define this_cpu_add32(field, n) arch_percpu_add32(CPU_OFFSET(field), n)

/* The thread running on this CPU: one load from the per-CPU area, inline
 * so that every subsystem (memory code included) finds it without calling
 * into the scheduler or process code. */
static inline struct thread *current_thread(void)
{
	return this_cpu_read(sched.current);
}

/* The process of the running thread (NULL for a kernel thread). */
static inline struct proc *current_proc(void)
{
	return current_thread()->proc;
}

extern struct cpu cpus[MAX_CPUS];
extern unsigned ncpus; /* CPUs the firmware lists (online or not) */

/* How many CPUs have come online. */
unsigned cpus_online(void);
