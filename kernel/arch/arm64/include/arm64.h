/*
 * arm64.h - system-register access and what the arm64 files share.
 */
#pragma once

#include "boot.h"
#include "cpu.h"
#include "mm.h"
#include <arch.h>

#define read_sysreg(r)                                                         \
	({                                                                     \
		uint64_t v_;                                                   \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                    \
		v_;                                                            \
	})
#define write_sysreg(r, v)                                                     \
	__asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")
#define isb()    __asm__ volatile("isb" : : : "memory")
#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")

/* ESR_EL1 exception classes (ARM ARM D17.2.37). */
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_SVC64    0x15
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25

/* SGIs this kernel sends. */
#define SGI_RESCHED 0
#define SGI_STOP    1

/* What the device tree told start.c about the machine. */
#define ARM64_MAX_CPUS 64
struct arm64_platform {
	uint64_t gicd, gicr, gicr_len; /* GICv3 distributor, redistributors */
	uint64_t uart, rtc;            /* PL011 and PL031 (0: none) */
	unsigned uart_spi;             /* the PL011's SPI number */
	unsigned timer_ppi;            /* the virtual timer's INTID */
	bool psci_smc;                 /* PSCI through SMC, else HVC */
	uint64_t ecam, ecam_len;       /* PCI configuration space */
	unsigned ecam_last_bus;
	unsigned ncpus;
	uint64_t mpidr[ARM64_MAX_CPUS];
};
extern struct arm64_platform plat;
extern uint64_t kernel_phys; /* where the image's first byte is */

/* start.c: the PL011 mapped (after arch_mm_init: through map_phys) */
void console_remap(void);
/* mmu.c */
void as_load(struct arch_as *old, struct arch_as *as);
/* Map [pa, pa+len) at DIRECT_MAP_BASE + pa (uncached: device memory). */
void *map_phys(uint64_t pa, uint64_t len, bool uncached);
extern uint64_t kernel_root_phys, boot_ttbr0_phys;
/* cpu.c */
void cpu_load(struct cpu *c);
uint64_t psci_call(uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2);
/* gic.c */
void gic_cpu_init(void);
void gic_send_sgi(unsigned cpu, unsigned sgi);
void gic_send_sgi_others(unsigned sgi);
unsigned gic_ack(void);
void gic_eoi(unsigned intid);
/* timer.c */
void timer_init(void);
void timer_cpu_init(void);
void timer_mask(void);
uint64_t timer_count(void);
void timer_throttle(uint64_t t0);
/* trap.c */
void arm64_el1_sync(struct trap_frame *f);
void arm64_irq(struct trap_frame *f);
/* a64u's user side */
void arm64_user_cpu_init(void);
bool arm64_copy_fixup(struct trap_frame *f);
void arm64_el0_sync(struct trap_frame *f);
void arm64_el0_exit(struct trap_frame *f);
NORETURN void arm64_eret(struct trap_frame *f);
