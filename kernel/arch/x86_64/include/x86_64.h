/*
 * x86_64.h - what the files of the x86_64 platform share with each other
 * (never included by portable code).
 */
#pragma once

#include "cpu.h"
#include "kernel.h"
#include "x86.h"
#include <arch.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x1b
#define SEL_UCODE 0x23
#define SEL_TSS   0x28

/* Interrupt vectors above the 32 exceptions. */
#define VEC_IRQ_BASE 32 /* interrupt lines 0..IRQ_LINES-1 (irq.c) */
#define VEC_TIMER    0xf0
#define VEC_TLB      0xf1
#define VEC_RESCHED  0xf2
#define VEC_SPURIOUS 0xff

/* CPU features found by cpu.c. */
extern bool cpu_has_nx, cpu_has_gbpages, cpu_has_smep, cpu_has_smap;
void cpu_detect_features(void);

/* paging.c: map [pa, pa+len) at DIRECT_MAP_BASE + pa (devices uncached);
 * returns the virtual address of pa. */
void *map_phys(uint64_t pa, uint64_t len, bool uncached);
extern uint64_t kernel_pml4_phys; /* the root: a PML5 with 5 levels */
extern int paging_levels;         /* 4, or 5 where the CPU has LA57 */

/* The saved state of an interrupted context, as entry.S pushes it. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void trap_init(void);
void trap_load(void);

/* acpi.c: the CPUs and interrupt controllers the firmware describes. */
struct madt_info {
	uint64_t lapic_phys;
	uint32_t apic_id[MAX_CPUS];
	unsigned ncpu;
	uint64_t ioapic_phys;
	uint32_t ioapic_gsi_base;
	uint32_t irq_to_gsi[16]; /* ISA IRQ overrides */
	uint16_t irq_flags[16];
	uint64_t ecam;     /* MCFG: PCI configuration space, segment 0 */
	uint8_t ecam_last; /* its last bus */
};
extern struct madt_info madt;
void acpi_init(const struct arch_boot_info *abi);
/* Enter ACPI S5 (soft off) if the FADT and DSDT said how; else return. */
void acpi_power_off(void);

/* apic.c */
void lapic_init(void);
void lapic_eoi(void);
uint32_t lapic_id(void);
void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low);
void ioapic_init(void);
void ioapic_route(unsigned irq, unsigned vector, uint32_t apic_id);
/* Mask or unmask ISA IRQ irq's input (routed before). */
void ioapic_mask(unsigned irq, bool masked);
void timer_calibrate(void);

/* ioport.c */
void io_load(struct arch_cpu *a, const struct arch_io *io);
/* Load io (not NULL) if the grants changed while its thread ran on this
 * CPU (on the way back to user mode from a system call). Interrupts
 * masked. */
void io_sync(struct arch_cpu *a, const struct arch_io *io);
/* serial.c */
void serial_init(void);

/* Flush npages pages from va (npages 0: every user page; TLB_ALL: every
 * page, global ones too) from the TLB of this CPU and of every other
 * online CPU (with as: every one that has as loaded), and wait until
 * done. Interrupts enabled. */
#define TLB_ALL ((size_t)-1)
struct arch_as;
void tlb_shootdown(uintptr_t va, size_t npages, struct arch_as *as);
/* paging.c: load as (NULL: the kernel's tables) on this CPU in place of
 * old, keeping both masks of CPUs true. Preemption off. */
void as_load(struct arch_as *old, struct arch_as *as);
void tlb_shootdown_interrupt(void);
/* cpu.c: load this CPU's GDT, TSS, IDT, per-CPU register, CR4 features. */
void cpu_load(struct cpu *c);

/* user.c and entry.S */
void user_cpu_init(void);
void syscall_entry(void);
struct arch_context *switch_stacks(struct arch_context *from,
				   struct arch_context *to);
void user_exception(struct trap_frame *f);
bool kernel_page_fault(struct trap_frame *f);
