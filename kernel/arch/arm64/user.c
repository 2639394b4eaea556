/*
 * user.c - what user mode needs of the arm64 CPU: FP/SIMD state and the
 * thread pointer (TPIDR_EL0) per thread, saved and loaded at every
 * switch, user register frames, system-call restarts, and the
 * personality's upcall context.
 */
#include "arm64.h"
#include "proc.h"
#include "sched.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/persona_ctx.h>
#include <lux/proto.h>

#define CPACR_FPEN (3UL << 20)  /* FP/SIMD at EL0 and EL1 untrapped */
#define PSR_NZCV   0xf0000000UL /* the flags a program may set */

/* The FP/SIMD registers of a user thread (switch.S's layout). */
struct arch_fpu {
	__uint128_t v[32];
	uint32_t fpsr, fpcr;
};

void fpu_save(struct arch_fpu *fpu);
void fpu_load(const struct arch_fpu *fpu);
struct arch_context *switch_stacks(struct arch_context *from,
				   struct arch_context *to);

/* Per CPU, before any thread runs: FP/SIMD for user threads (the kernel
 * itself never touches those registers); UAO off, so that the user
 * copies' LDTR/STTR stay unprivileged under PAN (boot.S sets PAN); no
 * firmware value left where programs read. */
void arm64_user_cpu_init(void)
{
	write_sysreg(cpacr_el1, read_sysreg(cpacr_el1) | CPACR_FPEN);
	write_sysreg(tpidrro_el0, 0); /* readable by all: lux leaves it 0 */
	if ((read_sysreg(id_aa64mmfr2_el1) >> 4) & 0xf)
		write_sysreg(s3_0_c4_c2_4, 0); /* UAO */
	isb();
}

void arch_thread_init(struct arch_context *ctx, uintptr_t stack_top)
{
	extern char thread_trampoline[];
	/* the top keeps room for the user registers (arch_uregs); then
	 * switch_stacks' frame: x29 0 (ends backtraces), x30, x19-x28 */
	uint64_t *sp = (uint64_t *)(stack_top - sizeof(struct trap_frame)) - 12;

	memset(sp, 0, 12 * sizeof(*sp));
	sp[1] = (uintptr_t)thread_trampoline;
	ctx->sp = (uintptr_t)sp;
	ctx->kstack_top = stack_top;
}

int arch_thread_user(struct arch_context *ctx, struct arch_as *as,
		     const struct arch_context *parent)
{
	if (!ctx->fpu && !(ctx->fpu = kmalloc(sizeof(struct arch_fpu))))
		return -ENOMEM;
	/* a switch saves the registers of the running thread over ctx->fpu:
	 * not while exec builds its initial state there */
	preempt_disable();
	if (parent) { /* its registers are in parent: arch_fpu_sync */
		memcpy(ctx->fpu, parent->fpu, sizeof(struct arch_fpu));
		memcpy(arch_uregs(ctx),
		       arch_uregs((struct arch_context *)parent),
		       sizeof(struct trap_frame));
		ctx->tls = parent->tls;
	} else { /* Linux's initial state: all zero, round to nearest */
		memset(ctx->fpu, 0, sizeof(struct arch_fpu));
		ctx->tls = 0;
	}
	arch_use_as(ctx, as);
	if (ctx == &current_thread()->ctx) { /* exec: load the new state */
		fpu_load(ctx->fpu);
		write_sysreg(tpidr_el0, ctx->tls);
	}
	preempt_enable();
	return 0;
}

void arch_thread_free(struct arch_context *ctx)
{
	kfree(ctx->fpu);
	ctx->fpu = NULL;
}

/* The running thread's FP/SIMD registers and thread pointer (which the
 * program sets itself, MSR TPIDR_EL0) are in the CPU: save them first
 * when someone (fork) copies ctx of the current thread. */
void arch_fpu_sync(struct arch_context *ctx)
{
	fpu_save(ctx->fpu);
	ctx->tls = read_sysreg(tpidr_el0);
}

struct arch_context *arch_switch(struct arch_context *from,
				 struct arch_context *to)
{
	this_cpu()->arch.kstack_top = to->kstack_top;
	if (from->fpu)
		arch_fpu_sync(from);
	if (to->fpu) {
		fpu_load(to->fpu);
		write_sysreg(tpidr_el0, to->tls);
	}
	as_load(from->as, to->as);
	return switch_stacks(from, to);
}

struct trap_frame *arch_uregs(struct arch_context *ctx)
{
	return (struct trap_frame *)ctx->kstack_top - 1;
}

void arch_uregs_init(struct trap_frame *f, uintptr_t pc, uintptr_t sp)
{
	memset(f, 0, sizeof(*f)); /* pstate 0: EL0t, interrupts unmasked */
	f->pc = pc;
	f->sp = sp;
}

void arch_uregs_set(struct trap_frame *f, long retval, uintptr_t sp)
{
	f->x[0] = retval;
	if (sp)
		f->sp = sp;
}

void arch_uregs_set_call(struct trap_frame *f, long nr, long a0, long a1,
			 long a2)
{
	f->x[8] = nr;
	f->x[0] = f->orig_x0 = a0;
	f->x[1] = a1, f->x[2] = a2;
}

void arch_set_tls(struct arch_context *ctx, uintptr_t tls)
{
	ctx->tls = tls;
	if (ctx == &current_thread()->ctx)
		write_sysreg(tpidr_el0, tls);
}

/* clone's arguments come in the generic order: flags, stack, parent tid,
 * TLS, child tid. */
long sys_clone(long flags, long sp, long ptid, long tls, long ctid)
{
	return do_clone(flags, sp, (int *)ptid, (int *)ctid, tls);
}

/* The call's number stays in x8; x0, its first argument, comes back. */
long arch_syscall_restart(struct trap_frame *f)
{
	f->pc -= 4; /* the SVC instruction again */
	return f->orig_x0;
}

uintptr_t arch_uregs_pc(struct trap_frame *f)
{
	return f->pc;
}

uintptr_t arch_uregs_sp(struct trap_frame *f)
{
	return f->sp;
}

long arch_uregs_retval(struct trap_frame *f)
{
	return f->x[0];
}

void arch_uregs_set_pc(struct trap_frame *f, uintptr_t pc)
{
	f->pc = pc;
}

/* The block begins as the trap frame (x0-x30, sp, pc, pstate: one copy
 * each way), then its own words; it is 16-byte aligned below the slot's
 * top, as sp must be. */
#define CTX_HEAD offsetof(struct lux_persona_ctx, mask)
_Static_assert(CTX_HEAD == offsetof(struct trap_frame, orig_x0) &&
		   offsetof(struct lux_persona_ctx, pstate) ==
		       offsetof(struct trap_frame, pstate) &&
		   sizeof(struct lux_persona_ctx) % 16 == 0 &&
		   sizeof(struct lux_persona_sig) % 16 == 0,
	       "struct lux_persona_ctx starts as struct trap_frame");

int arch_persona_enter(struct trap_frame *f, uintptr_t ctx, uintptr_t pc,
		       uint64_t mask, uintptr_t sig)
{
	unsigned ec = ESR_EC(f->esr);
	uint64_t tail[3] = {mask, /* nr: */
			    !sig                   ? f->x[8]
			    : ec && ec != EC_SVC64 ? f->esr
						   : 0,
			    f->orig_x0};
	int r = copy_to_user((void *)ctx, f, CTX_HEAD);

	if (!r)
		r = copy_to_user((void *)(ctx + CTX_HEAD), tail, sizeof(tail));
	f->pc = pc;
	f->x[0] = ctx;
	f->x[1] = sig;
	f->sp = sig ? sig : ctx;
	f->pstate = 0; /* EL0t, no flags, no single step */
	f->upcall = 1; /* x0 is the argument: no call's result over it */
	return r;
}

int arch_persona_resume(struct trap_frame *f, uintptr_t ctx, uint64_t *mask)
{
	uint64_t tail[3]; /* mask, nr, orig_x0 */
	int r = copy_from_user(f, (void *)ctx, CTX_HEAD);

	if (!r)
		r = copy_from_user(tail, (void *)(ctx + CTX_HEAD),
				   sizeof(tail));
	f->pstate &= PSR_NZCV; /* EL0t, interrupts on, no step */
	if (r || f->pc >= USER_TOP) {
		f->pc = 0; /* a harmless context: the caller kills */
		return -EFAULT;
	}
	*mask = tail[0];
	f->orig_x0 = tail[2];
	return 0;
}

NORETURN void arch_enter_user(struct trap_frame *f)
{
	arch_irq_save();
	arm64_eret(f);
}
