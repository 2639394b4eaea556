/*
 * arch_defs.h (arm64) - constants and types the portable kernel needs
 * from this platform; see kernel/include/arch.h.
 *
 * Virtual memory map (4 KiB pages, 48-bit addresses, 4 levels):
 *   0000000000000000 - 0000ffffffffffff  user space (256 TiB, TTBR0)
 *   ffff000000000000 - ffff3fffffffffff  direct map of all RAM (64 TiB)
 *   ffff800000000000 - ffff80ffffffffff  kernel stacks, each under a guard
 *   ffffffff80000000 -                   kernel image, wherever it was loaded
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define ARCH_NAME       "arm64"
#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define KERNEL_BASE     0xffffffff80000000UL
#define DIRECT_MAP_BASE 0xffff000000000000UL
#define DIRECT_MAP_END  0xffff400000000000UL
#define KSTACK_AREA     0xffff800000000000UL
#define KSTACK_AREA_END 0xffff810000000000UL
#define KSTACK_SIZE     (16 * 1024UL)

/* Read a `type` or add to an int at byte offset `off` (a constant) from
 * this CPU's struct arch_cpu. TPIDR_EL1 holds its address; interrupts are
 * masked around the access so a preemption cannot move the thread to
 * another CPU between finding the CPU and the access. */
#define arch_percpu_read(type, off)                                            \
	({                                                                     \
		unsigned long f_ = arch_irq_save();                            \
		char *p_;                                                      \
		__asm__ volatile("mrs %0, tpidr_el1" : "=r"(p_));              \
		type v_ = *(volatile type *)(p_ + (off));                      \
		arch_irq_restore(f_);                                          \
		v_;                                                            \
	})
#define arch_percpu_add32(off, n)                                              \
	do {                                                                   \
		unsigned long f_ = arch_irq_save();                            \
		char *p_;                                                      \
		__asm__ volatile("mrs %0, tpidr_el1" : "=r"(p_));              \
		*(volatile int *)(p_ + (off)) += (n);                          \
		arch_irq_restore(f_);                                          \
	} while (0)

#define DAIF_I (1UL << 7)

static inline unsigned long arch_irq_save(void)
{
	unsigned long f;
	__asm__ volatile("mrs %0, daif; msr daifset, #2"
			 : "=r"(f)
			 :
			 : "memory");
	return !(f & DAIF_I);
}

static inline void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" : : : "memory");
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags)
		arch_irq_enable();
}

static inline bool arch_irq_enabled(void)
{
	unsigned long f;
	__asm__ volatile("mrs %0, daif" : "=r"(f));
	return !(f & DAIF_I);
}

static inline void arch_cpu_relax(void)
{
	__asm__ volatile("yield" : : : "memory");
}

struct arch_cpu {
	struct cpu *self;      /* at TPIDR_EL1 + 0: this_cpu() is one load */
	uintptr_t kstack_top;  /* +8: the running thread's */
	uintptr_t emerg_stack; /* +16: top of the stack for overflow reports */
	uint64_t mpidr;        /* affinity (MPIDR_EL1 bits 0-23, 32-39) */
	volatile uint64_t *gicr_sgi; /* its redistributor's SGI frame */
};

#define USER_TOP 0x0001000000000000UL /* user addresses lie below */
/* System calls only this platform has (see kernel/sys/syscall.c). */
#define ARCH_SYSCALLS SYS(clone)

/* Open flags as F_GETFL returns them: arm64's O_DIRECT and O_LARGEFILE
 * are the protocol's shifted left by two, O_DIRECTORY and O_NOFOLLOW
 * shifted right (include/lux/fcntl.h). */
#define arch_open_flags(fl)                                                    \
	(((fl) & ~0740000u) | ((fl)&0140000u) << 2 | ((fl)&0600000u) >> 2)

/* A user address space: the physical address of its TTBR0 table. */
struct arch_as {
	uint64_t root;
};

/* A thread's machine state while it does not run: the callee-saved
 * registers and the resume address are on its kernel stack. */
struct arch_context {
	uintptr_t sp;         /* saved kernel stack pointer */
	uintptr_t kstack_top; /* where entries from user mode begin */
	struct arch_as *as;   /* the address space it runs in, or NULL */
	struct arch_fpu *fpu; /* v0-v31, FPCR, FPSR; NULL: a kernel thread */
	uint64_t tls;         /* TPIDR_EL0 */
};

/* What the exception entry saves (vectors.S), 16-byte aligned. */
struct trap_frame {
	uint64_t x[31];    /* x0..x30 */
	uint64_t sp;       /* SP_EL0 (from EL0) or the interrupted SP (EL1) */
	uint64_t pc;       /* ELR_EL1 */
	uint64_t pstate;   /* SPSR_EL1 */
	uint64_t orig_x0;  /* x0 at an svc: what a restarted call needs */
	uint64_t esr, far; /* ESR_EL1, FAR_EL1 at entry */
	uint64_t upcall;   /* a64u: the frame enters the personality */
};

struct arch_boot_info {
	uint64_t dtb; /* physical address of the device tree */
};
