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
 *   struct arch_context       a thread's saved kernel context
 *   ARCH_NAME                 the platform's name, as a string
 *
 * The link script defines _text/_etext around all kernel code.
 *
 * A platform that lacks any function here fails to link.
 */
#pragma once

#include "kernel.h"
#include <arch_defs.h>

struct arch_as;
struct arch_context;
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

/* Map one page of kernel virtual memory (va, pa page-aligned) with prot
 * (PROT_* of <lux/mman.h>); 0 or -ENOMEM. Writable and executable
 * together is refused (-EINVAL). */
int arch_kmap(uintptr_t va, uint64_t pa, unsigned prot);
/* Unmap npages kernel pages from va; pa[i] gets the physical page that
 * was mapped at page i (0 if none). Other CPUs may keep translations of
 * them: nothing may use va until arch_kflush, nor map it again. */
void arch_kunmap(uintptr_t va, size_t npages, uint64_t pa[]);
/* Make every CPU drop every kernel translation (one interrupt on each:
 * batch unmaps before it). Call with interrupts enabled. */
void arch_kflush(void);

/* --- User address spaces (struct arch_as: a page-table root) --- */

/* An empty user half sharing the kernel's half; 0 or -ENOMEM. */
int arch_as_create(struct arch_as *as);
/* Free its page tables; the caller has unmapped every user page. */
void arch_as_destroy(struct arch_as *as);
/* Map user page va to pa with prot (PROT_*, PROT_DEVICE: uncached and
 * never executable; no PROT_READ, WRITE or EXEC: the page stays mapped
 * but cannot be reached, as PROT_NONE keeps it), replacing what was
 * there; pa 0 unmaps. 0 or -ENOMEM. Other CPUs may keep a stale
 * translation until arch_as_flush. */
int arch_umap(struct arch_as *as, uintptr_t va, uint64_t pa, unsigned prot);
/* The page mapped at user address va and its prot (PROT_NONE, or
 * PROT_DEVICE alone, when it is kept with no access), or 0. */
uint64_t arch_ulookup(struct arch_as *as, uintptr_t va, unsigned *prot);
/* Call fn(arg, va, pa, prot) for each page mapped in [start, end) (kept
 * ones too), in address order; fn may remap or unmap that page with arch_umap. */
void arch_ufor_each(struct arch_as *as, uintptr_t start, uintptr_t end,
		    void (*fn)(void *arg, uintptr_t va, uint64_t pa,
			       unsigned prot),
		    void *arg);
/* Make every CPU drop its cached translations of as: of page va, or of
 * every page if va is 0. Called with interrupts enabled; on return no
 * CPU reaches a page through a translation removed before the call. */
void arch_as_flush(struct arch_as *as, uintptr_t va);

/* --- CPU --- */

/* This CPU's struct cpu. Valid after arch_cpu_init / on an AP from entry. */
struct cpu *this_cpu(void);
/* Enable interrupts and sleep until one arrives, atomically (no lost
 * wake-up between the two); returns with interrupts enabled. */
void arch_wait_for_interrupt(void);
/* Stop every other CPU at once, whatever it is doing (NMI or equivalent). */
void arch_stop_others(void);
/* Stop this CPU for good, interrupts off. */
NORETURN void arch_halt(void);
/* Write "vendor family model stepping name" for CPU cpu into buf (NUL
 * ended, cut to len): the length without the NUL. */
int arch_cpu_describe(unsigned cpu, char *buf, size_t len);
/* Turn the machine off (restart: reset it); returns if it cannot. */
void arch_power_off(bool restart);

/* --- Threads --- */

/* Prepare ctx so that the first arch_switch to it calls thread_entry on
 * the stack whose top is stack_top. */
void arch_thread_init(struct arch_context *ctx, uintptr_t stack_top);
/* Save the running kernel context in from and resume to. When from is
 * resumed later, this returns the context that was switched away from
 * then. Interrupts stay masked across the call. */
struct arch_context *arch_switch(struct arch_context *from,
				 struct arch_context *to);
/* Make CPU cpu (not this one) run sched_interrupt_exit soon (an IPI). */
void arch_send_resched(unsigned cpu);

/* --- User mode --- */

/* struct trap_frame: a saved user context, the platform's own layout. */
struct trap_frame;
/* Give ctx's thread a user context in as: FPU/vector state, user registers
 * and TLS pointer copied from parent (or, without one, the initial FPU
 * state and no TLS: exec). 0 or -ENOMEM. */
int arch_thread_user(struct arch_context *ctx, struct arch_as *as,
		     const struct arch_context *parent);
void arch_thread_free(struct arch_context *ctx);
/* Run ctx's thread in as (NULL: only the kernel's half), at once if it
 * is the running thread. */
void arch_use_as(struct arch_context *ctx, struct arch_as *as);
/* Write the running thread's FPU registers to its ctx (before copying). */
void arch_fpu_sync(struct arch_context *ctx);
/* The user registers saved at the top of ctx's kernel stack. */
struct trap_frame *arch_uregs(struct arch_context *ctx);
/* A fresh user context: run at pc with stack sp, all else zero. */
void arch_uregs_init(struct trap_frame *f, uintptr_t pc, uintptr_t sp);
/* Set the value a system call returns in f and, if sp != 0, its stack. */
void arch_uregs_set(struct trap_frame *f, long retval, uintptr_t sp);
/* Set ctx's thread pointer (TLS). */
void arch_set_tls(struct arch_context *ctx, uintptr_t tls);
/* Make the system call of f run again when f returns to user mode;
 * returns the call's number (what the restarted call needs in place of
 * its result). */
long arch_syscall_restart(struct trap_frame *f);
/* Reflection (kernel/proc/persona.c): write f's registers and the signal
 * mask as the struct lux_persona_ctx at user address ctx, and make f
 * enter the personality at pc with ctx as its first argument and sig as
 * its second; the stack pointer is sig, or ctx when sig is 0 (a reflected
 * call). For a signal (sig: its struct lux_persona_sig) the block's nr is
 * the trap number of the fault being signalled, else 0. 0, or -EFAULT if
 * the block cannot be written. */
int arch_persona_enter(struct trap_frame *f, uintptr_t ctx, uintptr_t pc,
		       uint64_t mask, uintptr_t sig);
/* LUX_NR_RESUME: load f and *mask from the struct lux_persona_ctx at
 * ctx, validated as rt_sigreturn validates a signal frame (a user pc,
 * user flags only). 0, or -EFAULT (f then holds a harmless context). */
int arch_persona_resume(struct trap_frame *f, uintptr_t ctx, uint64_t *mask);
/* Make f a system call nr with arguments a0..a2 as the program made it
 * (the first process's reflected start, proc_start_init). */
void arch_uregs_set_call(struct trap_frame *f, long nr, long a0, long a1,
			 long a2);
/* Make f continue at pc. */
void arch_uregs_set_pc(struct trap_frame *f, uintptr_t pc);
/* The program counter and the stack pointer of f, and the value a system
 * call returns in it. */
uintptr_t arch_uregs_pc(struct trap_frame *f);
uintptr_t arch_uregs_sp(struct trap_frame *f);
long arch_uregs_retval(struct trap_frame *f);
/* Leave the kernel for user mode with the registers in f. */
NORETURN void arch_enter_user(struct trap_frame *f);
/* Copy between kernel and user memory; the caller has checked that the
 * user range lies below USER_TOP. 0, or -EFAULT if a page is missing. */
int arch_copy_user(void *dst, const void *src, size_t n);

/* --- Hardware for user-space drivers --- */
struct arch_io; /* a process's I/O port permissions */
/* Add ports [base, base+count) to *io, allocated on first use: 0, -ENOMEM,
 * or -EINVAL for ports the platform lacks (or no port I/O at all). */
int arch_io_grant(struct arch_io **io, uint64_t base, uint64_t count);
void arch_io_free(struct arch_io *io);
/* Run ctx's thread with the port permissions io (NULL: none); effective
 * at once for the running thread, else at its next switch in or return
 * from a system call. */
void arch_use_io(struct arch_context *ctx, struct arch_io *io);
/* Deliver interrupt line irq (below 64) to irq_interrupt() (on), or mask
 * it (off); 0, or -EINVAL when the platform has no such line. */
int arch_irq_claim(unsigned irq, bool on);
/* Mask or unmask a claimed line (from interrupt context too). */
void arch_irq_mask(unsigned irq, bool masked);
/* The message (address, data) that raises line irq (from LUX_IRQ_MSI on):
 * 0, or -EINVAL for a line that is no message. */
int arch_msi(unsigned irq, uint64_t msg[2]);
/* The PCI configuration space of segment 0 (base, last bus): 0, -ENODEV. */
int arch_pci_ecam(uint64_t out[2]);

/* --- Interrupt masking on this CPU --- */

/* arch_defs.h defines these inline, as they are on every lock's path:
 * unsigned long arch_irq_save(void);  mask, return the previous state
 * void arch_irq_restore(unsigned long flags);
 * void arch_irq_enable(void);
 * bool arch_irq_enabled(void);
 * void arch_cpu_relax(void);  a hint inside spin loops (PAUSE, YIELD) */

/* --- Time --- */

/* Arm this CPU's one-shot timer: timer_interrupt() runs on this CPU at
 * deadline (ns on the arch_clock_ns scale), or at once if that is past.
 * A deadline beyond the hardware's range fires early; the handler checks
 * the clock. */
void arch_timer_set(uint64_t deadline_ns);

/* Nanoseconds since boot; monotonic and consistent across CPUs. */
uint64_t arch_clock_ns(void);
/* The battery-backed clock's time in seconds since 1970 (UTC). */
uint64_t arch_rtc_seconds(void);
/* Busy-wait at least ns nanoseconds: only for hardware start-up delays. */
void arch_delay_ns(uint64_t ns);

/* --- Debug console and fault reports --- */

/* Write one byte to the early debug console (polled; usable anywhere). */
void arch_console_putc(char c);
/* Whether [addr, addr+len) is mapped kernel memory that a backtrace may
 * read without faulting. (A frame record on every platform is two words:
 * the caller's frame pointer, then the return address.) */
bool arch_kernel_readable(uintptr_t addr, uintptr_t len);

/* --- What the platform calls in the portable kernel --- */

/* This CPU's one-shot timer fired (interrupt context, interrupts masked);
 * user_pc: where it interrupted user mode, 0 if it interrupted the kernel. */
void timer_interrupt(uintptr_t user_pc);
/* Claimed line irq fired (interrupt context): whether a driver holds it;
 * if so the line stays masked until the driver reads it. */
bool irq_interrupt(unsigned irq);
/* On the way out of every interrupt, with interrupts masked: may switch. */
void sched_interrupt_exit(void);
/* A new thread's first code; prev is the context switched away from. */
NORETURN void thread_entry(struct arch_context *prev);
/* A system call (interrupts enabled); returns its result. */
long syscall_dispatch(unsigned long nr, const long args[6]);
/* Resolve a user page fault at addr in the current address space for
 * access (PROT_READ, PROT_WRITE or PROT_EXEC): 0, or
 * -EFAULT where nothing is mapped, -EACCES where the access is not
 * allowed (or -ENOMEM). May sleep. */
int vm_fault(uintptr_t addr, unsigned access);
/* A user-mode fault the thread cannot continue from: signal signo with
 * si_code code and si_addr addr; SIGKILL (a page fault out of memory)
 * kills the process and logs why. */
void user_fault(int signo, int code, uintptr_t addr);
/* Last work before returning to user mode with f: signals. For a system
 * call, ret is its result and the value returned is what user mode gets
 * (ret, -EINTR, or the call number again after arch_syscall_restart). */
long user_return(struct trap_frame *f, long ret, bool syscall);
