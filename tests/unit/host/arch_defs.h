/*
 * arch_defs.h (host) - the platform constants for host unit tests, found
 * before any real platform's on the include path. "Physical memory" is an
 * arena the test maps with host_ram_init(): address pa is host_ram + pa.
 */
#pragma once

#include <stdint.h>

extern unsigned char *host_ram;

#define PAGE_SHIFT      12
#define PAGE_SIZE       (1UL << PAGE_SHIFT)
#define DIRECT_MAP_BASE ((uintptr_t)host_ram)
#define KSTACK_SIZE     (16 * 1024UL)

/* Real platforms define these inline here; host.c has them. */
unsigned long arch_irq_save(void);
void arch_irq_restore(unsigned long flags);
void arch_cpu_relax(void);

struct arch_cpu {
	uint32_t id;
};

struct arch_boot_info {
	uint64_t rsdp;
};
