/*
 * arch.h - everything a platform provides to the portable kernel, each with
 * its contract. kernel/arch/<name>/ implements it; <arch_defs.h> (found on
 * the include path of the chosen platform) supplies the constants and types:
 *
 *   PAGE_SIZE, PAGE_SHIFT     the base page size
 *   KERNEL_BASE               virtual address of physical 0 in the kernel image
 *   DIRECT_MAP_BASE           virtual address of physical 0 in the direct map
 *   KSTACK_AREA, KSTACK_AREA_END  virtual range for kernel stacks
 *   KSTACK_SIZE               bytes in a kernel stack
 *   struct arch_cpu           the platform's part of struct cpu
 *   struct arch_boot_info     the platform's part of struct boot_info
 *   ARCH_NAME                 the platform's name, as a string
 *
 * The link script defines _text/_etext around all kernel code.
 *
 * A platform that lacks any function here fails to link.
 */
#pragma once

#include "kernel.h"

struct boot_info;
struct cpu;

/* --- Boot (called once, by the boot CPU, in this order, from kmain) --- */

/* Map all of bi->ram at DIRECT_MAP_BASE and the kernel image with W^X,
 * switch to these tables; add the pages it took to bi->reserved. */
void arch_mm_init(struct boot_info *bi);
/* Descriptor tables, exception handlers and per-CPU data of the boot CPU. */
void arch_cpu_init(void);
/* Interrupt controllers, the monotonic clock and the per-CPU timer. */
void arch_irq_init(struct boot_info *bi);
/* Start every other CPU the firmware lists; each runs kmain_ap(). Returns
 * once each has come online or timed out. */
void arch_start_cpus(void);

/* --- Kernel mappings --- */

#define MAP_READ  1u
#define MAP_WRITE 2u
#define MAP_EXEC  4u
/* Map one page of kernel virtual memory (va, pa page-aligned); 0 or
 * -ENOMEM. Writable and executable together is refused (-EINVAL). */
int arch_kmap(uintptr_t va, uint64_t pa, unsigned prot);
/* Unmap one kernel page and flush it from every CPU's TLB; returns the
 * physical page that was mapped there (0 if none). Call with interrupts
 * enabled: the flush waits for the other CPUs. */
uint64_t arch_kunmap(uintptr_t va);

/* --- CPU --- */

/* This CPU's struct cpu. Valid after arch_cpu_init / on an AP from entry. */
struct cpu *this_cpu(void);
/* A hint inside spin loops (PAUSE, YIELD). */
void arch_cpu_relax(void);
/* Enable interrupts and sleep until one arrives, atomically (no lost
 * wake-up between the two); returns with interrupts enabled. */
void arch_wait_for_interrupt(void);
/* Stop every other CPU at once, whatever it is doing (NMI or equivalent). */
void arch_stop_others(void);
/* Stop this CPU for good, interrupts off. */
NORETURN void arch_halt(void);

/* --- Interrupt masking on this CPU --- */

unsigned long arch_irq_save(void); /* mask, return the previous state */
void arch_irq_restore(unsigned long flags);
void arch_irq_enable(void);
bool arch_irq_enabled(void);

/* --- Time --- */

/* Arm this CPU's one-shot timer: timer_interrupt() runs on this CPU at
 * deadline (ns on the arch_clock_ns scale), or at once if that is past.
 * A deadline beyond the hardware's range fires early; the handler checks
 * the clock. */
void arch_timer_set(uint64_t deadline_ns);

/* Nanoseconds since boot; monotonic and consistent across CPUs. */
uint64_t arch_clock_ns(void);
/* Busy-wait at least ns nanoseconds: only for hardware start-up delays. */
void arch_delay_ns(uint64_t ns);

/* --- Debug console and fault reports --- */

/* Write one byte to the early debug console (polled; usable anywhere). */
void arch_console_putc(char c);
/* The frame pointer of the caller, for backtraces. A frame record on
 * every platform is two words: the caller's frame pointer, then the
 * return address. */
uintptr_t arch_frame_pointer(void);
/* Whether [addr, addr+len) is mapped kernel memory that a backtrace may
 * read without faulting. */
bool arch_kernel_readable(uintptr_t addr, uintptr_t len);

/* --- What the platform calls in the portable kernel --- */

/* This CPU's one-shot timer fired (interrupt context, interrupts masked). */
void timer_interrupt(void);
