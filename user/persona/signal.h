/*
 * signal.h - the Linux signal ABI in the personality
 * (docs/decisions/0023-signal-upcall.md): the portable part (signal.c)
 * and the frame of the platform's file (e.g. x86_64/signal.c).
 */
#pragma once

#include "persona.h"
#include <lux/signal.h>

/* What the platform's frame code needs: the siginfo of s written into
 * info (128 bytes, every byte), as Linux lays it out for s's signal. */
void signal_info(int32_t info[32], const struct lux_persona_sig *s);

/* Build the Linux signal frame for s on the program's stack, below sp
 * (the alternate stack's top), or below the program's stack pointer when
 * sp is 0: ucontext with the registers and mask of ctx and stack (a
 * stack_t), siginfo, the FPU state; then make ctx call the handler with
 * the FPU in its initial state, returning to s's restorer. 0 or -EFAULT
 * (the stack cannot take it; nothing of ctx changed). */
int sigframe_push(struct lux_persona_ctx *ctx, const struct lux_persona_sig *s,
		  const uint64_t stack[3], uintptr_t sp);
/* rt_sigreturn: load ctx's registers, mask and the FPU state from the
 * frame the handler returned from. 0 or -EFAULT. */
int sigframe_pop(struct lux_persona_ctx *ctx);
/* After a successful exec: forget what the frame code made in the old
 * image's memory (the personality's own memory is carried over). */
void sigframe_exec(void);
/* The program's stack pointer in ctx. */
uintptr_t sigframe_sp(const struct lux_persona_ctx *ctx);
/* The platform's MINSIGSTKSZ (Linux's uapi value): the smallest
 * alternate stack sigaltstack accepts. */
extern const unsigned long sigframe_min_stack;

/* The platform's FPU access (x86_64.S). persona_fpu_size: the bytes
 * XSAVE writes for the enabled state, 0 when FXSAVE (512 bytes) is used.
 * persona_fpu_save: the registers to program address uarea (64-byte
 * aligned; xsave: persona_fpu_size()), 0 or -EFAULT; persona_fpu_restore
 * loads them from there as they are: 0, or -EFAULT if the CPU refused
 * them or a page was missing (some may be loaded). persona_fpu_load:
 * the registers from area, in the personality's memory, which must be
 * valid for XRSTOR or FXRSTOR. persona_xcr0: the enabled XSAVE state. */
unsigned persona_fpu_size(void);
long persona_fpu_save(long uarea, unsigned xsave);
long persona_fpu_restore(long uarea, unsigned xsave);
void persona_fpu_load(const void *area, unsigned xsave);
uint64_t persona_xcr0(void);

/* End the process as a signal it cannot take does (SIGSEGV, core). */
__attribute__((noreturn)) void persona_crash(void);
