/*
 * signal.c - x86_64's Linux signal frame, built and read by the
 * personality (../signal.h): at the stack pointer the return address
 * (the restorer), then struct ucontext (flags, link, stack_t, sigcontext,
 * mask) and the siginfo; the FPU state (XSAVE or FXSAVE layout) lies
 * above it, 64-byte aligned, below the 128-byte red zone.
 */
#include "../signal.h"

/* The constants of x86_64.S. */
_Static_assert(sizeof(struct lux_persona_ctx) == 184 &&
		   offsetof(struct lux_persona_ctx, r10) == 40 &&
		   offsetof(struct lux_persona_ctx, rdi) == 72 &&
		   offsetof(struct lux_persona_ctx, rax) == 112 &&
		   offsetof(struct lux_persona_ctx, rip) == 136 &&
		   offsetof(struct lux_persona_ctx, rflags) == 152 &&
		   offsetof(struct lux_persona_ctx, rsp) == 160 &&
		   LUX_PERSONA_SLOT == 0x20000,
	       "x86_64.S's offsets");

/* Linux x86_64's MINSIGSTKSZ (its uapi <asm/signal.h>). */
const unsigned long sigframe_min_stack = 2048;

/* Nothing to forget: every handler on x86_64 has its own restorer. */
void sigframe_exec(void)
{
}

struct sigframe {
	uint64_t restorer;
	uint64_t flags, link, stack[3];
	uint64_t gregs[23]; /* sigcontext: see greg_at */
	uint64_t fpstate, reserved[8];
	uint64_t mask;
	int32_t info[32];
};

#define FPU_MAX    4096                  /* XSAVE sizes beyond are refused */
#define MXCSR_KEEP 0xffffffff0000ffbfULL /* MXCSR_MASK; MXCSR but DAZ */

/* The block's words in sigcontext order: r8-r15, rdi, rsi, rbp, rbx, rdx,
 * rax, rcx, rsp, rip, eflags. */
#define W(r) (offsetof(struct lux_persona_ctx, r) / 8)
static const uint8_t greg_at[18] = {
    W(r8),  W(r9),  W(r10), W(r11), W(r12), W(r13), W(r14), W(r15), W(rdi),
    W(rsi), W(rbp), W(rbx), W(rdx), W(rax), W(rcx), W(rsp), W(rip), W(rflags)};

/* The FPU state of a handler's start: Linux's initial one (FCW 0x37f,
 * MXCSR 0x1f80, all else zero; an XSAVE header asking for the initial
 * state of every component). */
static const uint64_t fpu_initial[72]
    __attribute__((aligned(64))) = {[0] = 0x37f, [3] = 0x1f80};

uintptr_t sigframe_sp(const struct lux_persona_ctx *ctx)
{
	return ctx->rsp;
}

int sigframe_push(struct lux_persona_ctx *ctx, const struct lux_persona_sig *s,
		  const uint64_t stack[3], uintptr_t sp)
{
	struct sigframe fr;
	uint64_t *c = (uint64_t *)ctx;
	unsigned xsave = persona_fpu_size();
	uintptr_t area =
	    ((sp ? sp : ctx->rsp - 128) - (xsave ? xsave : 512)) & ~63UL;
	uintptr_t at = ((area - sizeof(fr)) & ~15UL) - 8;

	fr.restorer = s->restorer;
	fr.flags = fr.link = 0;
	fr.stack[0] = stack[0], fr.stack[1] = stack[1], fr.stack[2] = stack[2];
	for (int i = 0; i < 18; i++)
		fr.gregs[i] = c[greg_at[i]];
	fr.gregs[18] = ctx->cs | ctx->ss << 48;     /* cs, gs, fs, ss */
	fr.gregs[19] = 0;                           /* err */
	fr.gregs[20] = ctx->nr;                     /* trapno */
	fr.gregs[21] = ctx->mask;                   /* oldmask */
	fr.gregs[22] = ctx->nr == 14 ? s->addr : 0; /* cr2 */
	fr.fpstate = area;
	for (int i = 0; i < 8; i++)
		fr.reserved[i] = 0;
	fr.mask = ctx->mask;
	signal_info(fr.info, s);
	if (xsave > FPU_MAX || persona_fpu_save(area, xsave) ||
	    copy_out(at, &fr, sizeof(fr)))
		return -EFAULT;
	ctx->rip = s->handler;
	ctx->rsp = at;
	ctx->rdi = s->signo;
	ctx->rsi = at + offsetof(struct sigframe, info);
	ctx->rdx = at + offsetof(struct sigframe, flags);
	ctx->rax = 0;
	ctx->rflags &= ~(1UL << 10 | 1UL << 8); /* DF, TF */
	persona_fpu_load(fpu_initial, xsave);
	return 0;
}

/* The frame's FPU state, when the CPU refuses to load it as it is (or it
 * is misaligned), is copied here and made harmless first: what XRSTOR
 * or FXRSTOR would fault on (MXCSR's reserved bits, XSAVE header bits
 * the system does not enable, a compacted format) is cleared. */
static int fpu_sanitized(uint64_t fpstate, unsigned xsave)
{
	uint64_t fpu[FPU_MAX / 8] __attribute__((aligned(64)));

	if (xsave > FPU_MAX || copy_in(fpu, fpstate, xsave ? xsave : 512))
		return -EFAULT;
	fpu[3] &= MXCSR_KEEP; /* MXCSR's reserved bits */
	if (xsave) {
		fpu[64] &= persona_xcr0(); /* XSTATE_BV */
		for (int i = 65; i < 72; i++)
			fpu[i] = 0; /* XCOMP_BV, reserved */
	}
	persona_fpu_load(fpu, xsave);
	return 0;
}

/* Whether the FPU state at fpstate is one the sanitizing would not
 * change (the usual case: the frame the personality wrote), so that
 * XRSTOR or FXRSTOR may load it where it is. */
static int fpu_clean(uint64_t fpstate, unsigned xsave)
{
	uint64_t mxcsr, hdr[8];

	if ((fpstate & (xsave ? 63 : 15)) || copy_in(&mxcsr, fpstate + 24, 8) ||
	    (mxcsr & ~MXCSR_KEEP))
		return 0;
	if (!xsave)
		return 1;
	if (copy_in(hdr, fpstate + 512, sizeof(hdr)) ||
	    (hdr[0] & ~persona_xcr0()))
		return 0;
	for (int i = 1; i < 8; i++)
		if (hdr[i])
			return 0;
	return 1;
}

int sigframe_pop(struct lux_persona_ctx *ctx)
{
	struct sigframe fr;
	uint64_t *c = (uint64_t *)ctx;
	unsigned xsave;

	if (copy_in(&fr, ctx->rsp - 8, sizeof(fr)))
		return -EFAULT;
	for (int i = 0; i < 18; i++)
		c[greg_at[i]] = fr.gregs[i];
	ctx->mask = fr.mask;
	if (!fr.fpstate)
		return 0;
	xsave = persona_fpu_size();
	if (fpu_clean(fr.fpstate, xsave) &&
	    !persona_fpu_restore(fr.fpstate, xsave))
		return 0; /* else another thread changed it meanwhile */
	return fpu_sanitized(fr.fpstate, xsave);
}
