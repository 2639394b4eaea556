/*
 * signal.c - arm64's Linux signal frame, built and read by the personality
 * (../signal.h): struct rt_sigframe (the siginfo, then struct ucontext:
 * flags, link, stack_t, mask, padding to 1024 bits, and the sigcontext:
 * fault address, x0-x30, sp, pc, pstate, then records in its 4096-byte
 * reserved area: the FP/SIMD state (fpsimd_context), a fault's ESR
 * (esr_context), the terminating null record), 16-byte aligned, below a
 * frame record (the program's x29, x30) at the top; as Linux lays it out.
 */
#include "../signal.h"
#include <lux/mman.h>

/* The constants of aarch64.S. */
_Static_assert(sizeof(struct lux_persona_ctx) == 304 &&
		   offsetof(struct lux_persona_ctx, sp) == 248 &&
		   offsetof(struct lux_persona_ctx, pc) == 256 &&
		   offsetof(struct lux_persona_ctx, pstate) == 264 &&
		   LUX_PERSONA_SLOT == 0x20000,
	       "aarch64.S's offsets");

#define FPSIMD_MAGIC 0x46508001
#define ESR_MAGIC    0x45535201
#define RESERVED     4096 /* sigcontext's record area */

/* Linux's struct fpsimd_context: the record's head, FPSR, FPCR, v0-v31. */
struct fpsimd {
	uint32_t magic, size, fpsr, fpcr;
	uint64_t v[64];
} __attribute__((aligned(16)));

struct sigframe {
	int32_t info[32];
	uint64_t flags, link, stack[3], mask;
	uint64_t unused[15]; /* sigset_t's room up to 1024 bits */
	uint64_t pad;        /* the sigcontext is 16-byte aligned */
	uint64_t fault_address, regs[31], sp, pc, pstate;
	uint64_t pad2;                /* the records are 16-byte aligned */
	struct fpsimd fp;             /* the records (RESERVED bytes) */
	uint32_t esr_magic, esr_size; /* esr_context, for a fault */
	uint64_t esr;
	uint64_t end[2]; /* the null record */
};

_Static_assert(offsetof(struct sigframe, flags) == 128 &&
		   offsetof(struct sigframe, fault_address) == 128 + 176 &&
		   offsetof(struct sigframe, fp) == 128 + 176 + 288,
	       "Linux's struct rt_sigframe");

/* What Linux allocates: struct rt_sigframe whole (its records' area too). */
#define FRAME_SIZE (offsetof(struct sigframe, fp) + RESERVED)

void persona_fpsimd_get(void *rec);
void persona_fpsimd_set(const void *rec);

/* The trampoline's page (sigframe_tramp), 0 before the first. */
static uintptr_t tramp;

/* The return address of a handler without SA_RESTORER (glibc's programs,
 * which Linux sends to its vDSO's trampoline): a page of the program's
 * own holding rt_sigreturn (a call from the personality's code is never
 * reflected), made at the first such signal, once per process (a fork
 * child inherits both; exec keeps the personality's memory but not the
 * page: sigframe_exec forgets it). 0 if it cannot be made. */
static uintptr_t sigframe_tramp(void)
{
	static const uint32_t code[2] = {0xd2801168,  /* mov x8, #139 */
					 0xd4000001}; /* svc #0 */
	uintptr_t p = __atomic_load_n(&tramp, __ATOMIC_ACQUIRE), won = 0;

	if (p)
		return p;
	p = persona_syscall(NR_mmap, 0, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p > -4096UL)
		return 0;
	if (copy_out(p, code, sizeof(code))) {
		native2(NR_munmap, p, 4096);
		return 0;
	}
	__asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\t"
			 "dsb ish\n\tisb" ::"r"(p)
			 : "memory");
	if (native3(NR_mprotect, p, 4096, PROT_READ | PROT_EXEC) < 0 ||
	    !__atomic_compare_exchange_n(&tramp, &won, p, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		native2(NR_munmap, p, 4096); /* another thread's is there */
		return won;
	}
	return p;
}

void sigframe_exec(void)
{
	__atomic_store_n(&tramp, 0, __ATOMIC_RELEASE);
}

/* Linux arm64's MINSIGSTKSZ (its uapi <asm/signal.h>; musl says 6144). */
const unsigned long sigframe_min_stack = 5120;

uintptr_t sigframe_sp(const struct lux_persona_ctx *ctx)
{
	return ctx->sp;
}

int sigframe_push(struct lux_persona_ctx *ctx, const struct lux_persona_sig *s,
		  const uint64_t stack[3], uintptr_t sp)
{
	struct sigframe fr;
	uintptr_t rec = ((sp ? sp : ctx->sp) - 16) & ~15UL; /* x29, x30 */
	uintptr_t at = rec - FRAME_SIZE;
	uintptr_t ret = s->flags & SA_RESTORER ? s->restorer : sigframe_tramp();
	uint64_t fp_rec[2] = {ctx->x[29], ctx->x[30]};
	size_t n = sizeof(fr);

	memset(&fr, 0, sizeof(fr));
	signal_info(fr.info, s);
	fr.stack[0] = stack[0], fr.stack[1] = stack[1], fr.stack[2] = stack[2];
	fr.mask = ctx->mask;
	fr.fault_address = ctx->nr ? s->addr : 0;
	for (int i = 0; i < 31; i++)
		fr.regs[i] = ctx->x[i];
	fr.sp = ctx->sp, fr.pc = ctx->pc, fr.pstate = ctx->pstate;
	fr.fp.magic = FPSIMD_MAGIC;
	fr.fp.size = sizeof(fr.fp);
	persona_fpsimd_get(&fr.fp);
	if (ctx->nr) { /* a fault's syndrome, then the null record */
		fr.esr_magic = ESR_MAGIC, fr.esr_size = 16;
		fr.esr = ctx->nr;
	} else { /* the null record right after the FP/SIMD one */
		n = offsetof(struct sigframe, esr_magic) + 16;
	}
	if (!ret || copy_out(at, &fr, n) ||
	    copy_out(rec, fp_rec, sizeof(fp_rec)))
		return -EFAULT;
	ctx->x[0] = s->signo;
	ctx->x[1] = at + offsetof(struct sigframe, info);
	ctx->x[2] = at + offsetof(struct sigframe, flags);
	ctx->x[29] = rec;
	ctx->x[30] = ret;
	ctx->sp = at;
	ctx->pc = s->handler;
	return 0;
}

/* The frame's records from its reserved area: the FP/SIMD one is
 * required (as on Linux), others are skipped; each record's size is a
 * multiple of 16 within the area, a null one ends them. 0 or -EFAULT. */
static int sigframe_fpsimd(uintptr_t area, struct fpsimd *fp)
{
	uint32_t head[2];
	int found = 0;

	for (uintptr_t off = 0; off + 16 <= RESERVED; off += head[1]) {
		if (copy_in(head, area + off, sizeof(head)))
			return -EFAULT;
		if (!head[0] && !head[1])
			return found ? 0 : -EFAULT;
		if (head[1] < 16 || head[1] % 16 || head[1] > RESERVED - off)
			return -EFAULT;
		if (head[0] == FPSIMD_MAGIC) {
			if (head[1] != sizeof(*fp) ||
			    copy_in(fp, area + off, sizeof(*fp)))
				return -EFAULT;
			found = 1;
		}
	}
	return -EFAULT;
}

int sigframe_pop(struct lux_persona_ctx *ctx)
{
	struct sigframe fr;
	size_t head = offsetof(struct sigframe, fp);

	if ((ctx->sp & 15) || copy_in(&fr, ctx->sp, head) ||
	    sigframe_fpsimd(ctx->sp + head, &fr.fp))
		return -EFAULT;
	for (int i = 0; i < 31; i++)
		ctx->x[i] = fr.regs[i];
	ctx->sp = fr.sp, ctx->pc = fr.pc, ctx->pstate = fr.pstate;
	ctx->orig_x0 = fr.regs[0];
	ctx->mask = fr.mask;
	persona_fpsimd_set(&fr.fp);
	return 0;
}
