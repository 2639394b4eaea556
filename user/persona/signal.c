/*
 * signal.c - the Linux signal ABI of the personality
 * (docs/decisions/0023-signal-upcall.md): the kernel keeps dispositions,
 * masks, sending, the default actions and restarts, and enters the
 * personality for each caught signal (persona_signal), which runs its
 * handler on the program's stack or alternate stack with the mask
 * sigaction asked for; rt_sigreturn and sigaltstack are served here.
 * The frame's layout is the platform's (e.g. x86_64/signal.c).
 */
#include "signal.h"

#define BIT(sig) (1ULL << ((sig)-1))

/* What the personality keeps per thread: its alternate signal stack
 * (alt_size 0: none). It lies at the bottom of the thread's personality
 * stack slot, above the guard page: zero in a new thread (Linux disables
 * the alternate stack of a thread clone makes) and in a fork child (whose
 * thread maps a fresh slot), reset by exec (persona_signal_exec). */
struct signal_thread {
	uint64_t alt_sp, alt_size;
};

static struct signal_thread *signal_thread(struct lux_persona_ctx *ctx)
{
	uintptr_t top = (uintptr_t)ctx + sizeof(*ctx);

	return (struct signal_thread *)(top - LUX_PERSONA_SLOT + 4096);
}

void signal_info(int32_t info[32], const struct lux_persona_sig *s)
{
	int sig = s->signo;

	for (int i = 0; i < 32; i++)
		info[i] = 0;
	info[0] = sig;
	info[2] = s->code;
	if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) {
		info[4] = (int32_t)s->addr; /* si_addr */
		info[5] = (int32_t)(s->addr >> 32);
	} else {
		info[4] = s->pid, info[5] = s->uid, info[6] = s->status;
	}
}

/* The alternate stack th of the program ctx as a stack_t (sp, flags,
 * size), SS_ONSTACK when its stack pointer lies on it; whether it does. */
static int signal_altstack(struct lux_persona_ctx *ctx,
			   struct signal_thread *th, uint64_t ss[3])
{
	int on = sigframe_sp(ctx) - th->alt_sp < th->alt_size;

	ss[0] = th->alt_sp;
	ss[1] = (th->alt_size ? 0 : SS_DISABLE) | (on ? SS_ONSTACK : 0);
	ss[2] = th->alt_size;
	return on;
}

/* The kernel's upcall for caught signal s (x86_64.S: persona_entry): the
 * handler's frame on the program's stack, or on its alternate stack for
 * SA_ONSTACK when it is not on it already, and the mask it runs with
 * (sa_mask, and the signal itself unless SA_NODEFER). A stack that
 * cannot take the frame ends the process as Linux does (SIGSEGV). The
 * entry then resumes the program at the handler. */
void persona_signal(const struct lux_persona_sig *s)
{
	struct lux_persona_ctx *ctx = persona_ctx();
	struct signal_thread *th = signal_thread(ctx);
	uint64_t stack[3];
	uintptr_t sp = 0;

	if (!signal_altstack(ctx, th, stack) && (s->flags & SA_ONSTACK) &&
	    th->alt_size)
		sp = th->alt_sp + th->alt_size;
	if (sigframe_push(ctx, s, stack, sp) < 0)
		persona_crash();
	ctx->mask |= s->mask | (s->flags & SA_NODEFER ? 0 : BIT(s->signo));
}

/* rt_sigreturn(): the program continues as the frame at its stack says
 * (registers, mask, FPU state); a frame that cannot be read kills it
 * with SIGSEGV, as on Linux. Resumes the program itself, so that its
 * restored return register is never taken for the call's result. */
long persona_rt_sigreturn(void)
{
	if (sigframe_pop(persona_ctx()) < 0)
		persona_crash();
	native0(LUX_NR_RESUME);
	persona_crash(); /* not reached: a bad pc kills in the kernel */
}

/* sigaltstack(new, old): Linux's checks in Linux's order; the old
 * setting is written after the new one is taken. */
long persona_sigaltstack(long unew, long uold)
{
	struct lux_persona_ctx *ctx = persona_ctx();
	struct signal_thread *th = signal_thread(ctx);
	uint64_t ss[3], old[3];
	int on = signal_altstack(ctx, th, old);

	if (unew) {
		if (copy_in(ss, unew, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		if ((uint32_t)ss[1] & ~SS_DISABLE)
			return -EINVAL;
		if (!(ss[1] & SS_DISABLE) && ss[2] < sigframe_min_stack)
			return -ENOMEM;
		th->alt_sp = ss[1] & SS_DISABLE ? 0 : ss[0];
		th->alt_size = ss[1] & SS_DISABLE ? 0 : ss[2];
	}
	if (uold && copy_out(uold, old, sizeof(old)))
		return -EFAULT;
	return 0;
}

void persona_signal_exec(void)
{
	struct signal_thread *th = signal_thread(persona_ctx());

	th->alt_sp = th->alt_size = 0;
	sigframe_exec();
}
