/*
 * arch_defs.h (x86_64) - constants and types the portable kernel needs
 * from this platform; see kernel/include/arch.h.
 *
 * Virtual memory map (4-level paging, 48-bit addresses):
 *   0000000000000000 - 00007fffffffffff  user space (128 TiB)
 *   ffff800000000000 - ffffbfffffffffff  direct map of all RAM (64 TiB)
 *   ffffc00000000000 - ffffc0ffffffffff  kernel stacks, each under a guard
 *   ffffffff80000000 - ffffffffffffffff  kernel image (phys + KERNEL_BASE)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define ARCH_NAME       "x86_64"
#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define KERNEL_BASE     0xffffffff80000000UL
#define DIRECT_MAP_BASE 0xffff800000000000UL
#define DIRECT_MAP_END  0xffffc00000000000UL
#define KSTACK_AREA     0xffffc00000000000UL
#define KSTACK_AREA_END 0xffffc10000000000UL
#define KSTACK_SIZE     (16 * 1024UL)

/* Read a `type` or add to an int at byte offset `off` (a constant) from
 * this CPU's struct arch_cpu in one instruction, which a preemption cannot
 * split from finding the CPU (%gs holds its address in the kernel). */
#define arch_percpu_read(type, off)                                            \
	({                                                                     \
		type v_;                                                       \
		__asm__ volatile("mov %%gs:%c1, %0" : "=r"(v_) : "i"(off));    \
		v_;                                                            \
	})
#define arch_percpu_add32(off, n)                                              \
	__asm__ volatile("addl %1, %%gs:%c0" : : "i"(off), "ri"(n) : "memory")

#define RFLAGS_IF (1UL << 9)

static inline unsigned long arch_irq_save(void)
{
	unsigned long f;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(f) : : "memory");
	return f & RFLAGS_IF;
}

static inline void arch_irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void arch_irq_restore(unsigned long flags)
{
	if (flags)
		arch_irq_enable();
}

static inline bool arch_irq_enabled(void)
{
	unsigned long f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f & RFLAGS_IF;
}

static inline void arch_cpu_relax(void)
{
	__asm__ volatile("pause");
}

#define IOMAP_BYTES 8192 /* one bit for each of the 65536 I/O ports */

/* The 64-bit task-state segment (Intel SDM vol. 3, 8.7). */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* stacks for entering rings 0-2 */
	uint64_t reserved1;
	uint64_t ist[7]; /* interrupt stacks, chosen per IDT entry */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* sizeof(struct tss): no port allowed */
	/* The running process's I/O permission bitmap (a clear bit allows
	 * a port), then the 0xff byte the CPU wants after it. */
	uint8_t iomap[IOMAP_BYTES + 1];
} __attribute__((packed));

struct arch_cpu {
	struct cpu *self;     /* at %gs:0, so this_cpu() is one load */
	uintptr_t kstack_top; /* %gs:8: the running thread's, for syscalls */
	uintptr_t user_rsp;   /* %gs:16: scratch during syscall entry */
	uint32_t apic_id;     /* local APIC id from the MADT */
	uint64_t gdt[7];   /* null, kcode, kdata, udata, ucode, tss (2 words) */
	uint64_t io_stamp; /* which arch_io tss.iomap holds (0: none) */
	unsigned io_len;   /* bytes of tss.iomap that may be clear */
	struct tss tss;
};

#define USER_TOP 0x0000800000000000UL /* user addresses lie below */
/* System calls only this platform has (see kernel/sys/syscall.c). */
#define ARCH_SYSCALLS                                                          \
	SYS(arch_prctl), SYS(clone), SYS(fork), SYS(vfork), SYS(dup2), SYS(pipe)
/* Open flags as F_GETFL returns them: the protocol's are x86_64's. */
#define arch_open_flags(fl) (fl)

/* A user address space: the physical address of its PML4. */
struct arch_as {
	uint64_t root;
	volatile uint64_t cpus; /* CPUs that have it loaded: bit per id */
};

/* A thread's machine state while it does not run: the callee-saved
 * registers and the resume address are on its kernel stack (switch.S). */
struct arch_context {
	uintptr_t sp;         /* saved kernel stack pointer */
	uintptr_t kstack_top; /* rsp0: where entries from user mode begin */
	struct arch_as *as;   /* the address space it runs in, or NULL */
	void *fpu;            /* x87/SSE/AVX state (a page), NULL if kernel */
	uint64_t fs_base;     /* its thread pointer (arch_prctl) */
	struct arch_io *io;   /* the I/O ports it may use, or NULL */
};

struct arch_boot_info {
	uint8_t rsdp[36]; /* a copy of the ACPI RSDP (v1: 20 bytes, v2: 36) */
	bool have_rsdp;
};
