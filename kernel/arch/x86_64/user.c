/*
 * user.c - what user mode needs of the x86_64 CPU: the SYSCALL entry,
 * FPU/SSE/AVX state per thread, the TLS pointer, user register frames,
 * and turning user faults into signals.
 */
#include "mm.h"
#include "file.h"
#include "sched.h"
#include "proc.h"
#include "syscall.h"
#include "x86_64.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include <lux/persona_ctx.h>
#include <lux/proto.h>
#include <lux/signal.h>

#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define MSR_SFMASK 0xc0000084
#define EFER_SCE   (1u << 0)
#define XCR0_X87   1
#define XCR0_SSE   2
#define XCR0_AVX   4

static bool use_xsave;
static uint64_t xcr0;

static void xsetbv(uint32_t reg, uint64_t v)
{
	__asm__ volatile("xsetbv"
			 :
			 : "c"(reg), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

/* Enable SYSCALL and the FPU with SSE (and AVX where present) on this
 * CPU; the kernel itself never touches FPU registers. */
void user_cpu_init(void)
{
	uint32_t r[4];

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((uint64_t)0x10 << 48) | ((uint64_t)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_SFMASK, 0x47700); /* TF, IF, DF, IOPL, NT, AC */
	write_cr0((read_cr0() & ~(1u << 2)) | (1u << 1)); /* EM off, MP on */
	write_cr4(read_cr4() | (1u << 9) | (1u << 10)); /* OSFXSR, OSXMMEXCPT */
	cpuid(1, 0, r);
	use_xsave = r[2] & (1u << 26);
	if (use_xsave) {
		write_cr4(read_cr4() | (1u << 18)); /* OSXSAVE */
		xcr0 =
		    XCR0_X87 | XCR0_SSE | ((r[2] & (1u << 28)) ? XCR0_AVX : 0);
		xsetbv(0, xcr0);
	}
}

static void fpu_save(void *area)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xcr0), "d"(0)
				 : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void fpu_restore(const void *area)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)"
				 :
				 : "r"(area), "a"((uint32_t)xcr0), "d"(0)
				 : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

void arch_thread_init(struct arch_context *ctx, uintptr_t stack_top)
{
	extern char thread_trampoline[];
	/* the top keeps room for the user registers (arch_uregs) */
	uint64_t *sp = (uint64_t *)(stack_top - sizeof(struct trap_frame)) - 3;

	sp[0] = (uintptr_t)thread_trampoline;
	sp[1] = sp[2] = 0; /* so thread_entry starts 16-byte aligned */
	sp -= 6; /* r15 r14 r13 r12 rbx rbp: all zero, ending backtraces */
	memset(sp, 0, 6 * sizeof(*sp));
	ctx->sp = (uintptr_t)sp;
	ctx->kstack_top = stack_top;
}

int arch_thread_user(struct arch_context *ctx, struct arch_as *as,
		     const struct arch_context *parent)
{
	uint64_t pa;

	if (!ctx->fpu) {
		if (!(pa = pmm_alloc()))
			return -ENOMEM;
		ctx->fpu = phys_to_virt(pa);
	}
	/* a switch saves the registers of the running thread over ctx->fpu:
	 * not while exec builds its initial state there */
	preempt_disable();
	if (parent) {
		memcpy(ctx->fpu, parent->fpu, PAGE_SIZE);
		memcpy(arch_uregs(ctx),
		       arch_uregs((struct arch_context *)parent),
		       sizeof(struct trap_frame));
		ctx->fs_base = parent->fs_base;
	} else { /* the initial state: FCW 0x37f, MXCSR 0x1f80 */
		memset(ctx->fpu, 0, PAGE_SIZE);
		*(uint16_t *)ctx->fpu = 0x37f;
		((uint32_t *)ctx->fpu)[6] = 0x1f80;
		ctx->fs_base = 0;
	}
	arch_use_as(ctx, as);
	if (ctx == &current_thread()->ctx) { /* exec: load the new state */
		fpu_restore(ctx->fpu);
		wrmsr(MSR_FS_BASE, ctx->fs_base);
	}
	preempt_enable();
	return 0;
}

void arch_use_as(struct arch_context *ctx, struct arch_as *as)
{
	preempt_disable(); /* ctx->as is what this CPU has loaded */
	if (ctx == &current_thread()->ctx)
		as_load(ctx->as, as);
	ctx->as = as;
	preempt_enable();
}

void arch_thread_free(struct arch_context *ctx)
{
	if (ctx->fpu)
		pmm_free(virt_to_phys(ctx->fpu));
	ctx->fpu = NULL;
}

/* The running thread's FPU state is in the registers: save it first when
 * someone (fork) reads ctx->fpu of the current thread. */
void arch_fpu_sync(struct arch_context *ctx)
{
	fpu_save(ctx->fpu);
}

struct arch_context *arch_switch(struct arch_context *from,
				 struct arch_context *to)
{
	struct arch_cpu *a = &this_cpu()->arch;

	if (from->fpu)
		fpu_save(from->fpu);
	a->kstack_top = a->tss.rsp[0] = to->kstack_top;
	io_load(a, to->io);
	if (to->fpu) {
		fpu_restore(to->fpu);
		wrmsr(MSR_FS_BASE, to->fs_base);
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
	memset(f, 0, sizeof(*f));
	f->rip = pc;
	f->rsp = sp;
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	f->rflags = RFLAGS_IF;
}

void arch_uregs_set(struct trap_frame *f, long retval, uintptr_t sp)
{
	f->rax = retval;
	if (sp)
		f->rsp = sp;
}

void arch_uregs_set_call(struct trap_frame *f, long nr, long a0, long a1,
			 long a2)
{
	f->rax = f->error = nr;
	f->rdi = a0, f->rsi = a1, f->rdx = a2;
}

void arch_set_tls(struct arch_context *ctx, uintptr_t tls)
{
	ctx->fs_base = tls;
	if (ctx == &current_thread()->ctx)
		wrmsr(MSR_FS_BASE, tls);
}

#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

long sys_arch_prctl(long code, long addr)
{
	struct arch_context *ctx = &current_thread()->ctx;

	if (code == ARCH_SET_FS) {
		if ((uintptr_t)addr >= USER_TOP)
			return -EPERM;
		arch_set_tls(ctx, addr);
		return 0;
	}
	if (code == ARCH_GET_FS)
		return copy_to_user((void *)addr, &ctx->fs_base, 8);
	return -EINVAL;
}

/* clone's arguments come in x86_64's order: flags, stack, parent tid,
 * child tid, TLS. */
long sys_clone(long flags, long sp, long ptid, long ctid, long tls)
{
	return do_clone(flags, sp, (int *)ptid, (int *)ctid, tls);
}

long sys_fork(void)
{
	return do_clone(SIGCHLD, 0, NULL, NULL, 0);
}

long sys_vfork(void)
{
	return do_clone(0x4000 | 0x100 | SIGCHLD, 0, NULL, NULL, 0);
}

/* From syscall_entry, interrupts masked. The call's number stays in the
 * frame's error slot for a restart. The personality's resume, which
 * takes no argument, skips the table. */
void x86_syscall(struct trap_frame *f)
{
	long r;

	f->error = f->rax;
	arch_irq_enable();
	if (f->error == LUX_NR_RESUME) {
		r = sys_lux_resume();
	} else {
		long args[6] = {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9};
		r = syscall_dispatch(f->rax, args);
	}
	f->rax = user_return(f, r, true);
	arch_irq_save();
	struct arch_io *io = current_thread()->ctx.io;
	if (io)
		io_sync(&this_cpu()->arch, io);
}

long arch_syscall_restart(struct trap_frame *f)
{
	f->rip -= 2; /* the SYSCALL instruction again */
	return f->error;
}

uintptr_t arch_uregs_pc(struct trap_frame *f)
{
	return f->rip;
}

uintptr_t arch_uregs_sp(struct trap_frame *f)
{
	return f->rsp;
}

long arch_uregs_retval(struct trap_frame *f)
{
	return f->rax;
}

#define USER_FLAGS 0x254dd5 /* CF PF AF ZF SF TF DF OF AC ID */

/* The context block is the trap frame, the mask in its vector slot. */
_Static_assert(offsetof(struct lux_persona_ctx, mask) ==
		       offsetof(struct trap_frame, vector) &&
		   offsetof(struct lux_persona_ctx, fixup) ==
		       sizeof(struct trap_frame),
	       "struct lux_persona_ctx is struct trap_frame");

int arch_persona_enter(struct trap_frame *f, uintptr_t ctx, uintptr_t pc,
		       uint64_t mask, uintptr_t sig)
{
	int r;

	if (sig)
		f->error = f->vector < 32 ? f->vector : 0;
	f->vector = mask; /* a system call's 256 meanwhile */
	r = copy_to_user((void *)ctx, f, sizeof(*f));
	f->vector = 256;
	f->rip = pc;
	f->rdi = ctx;
	f->rsi = sig;
	/* 8 below a multiple of 16, as after a call; a signal's record too */
	f->rsp = sig ? sig : ctx;
	f->rflags &= ~(1u << 18 | 1u << 10 | 1u << 8); /* AC, DF, TF */
	return r;
}

int arch_persona_resume(struct trap_frame *f, uintptr_t ctx, uint64_t *mask)
{
	uint64_t flags = f->rflags;
	int r = copy_from_user(f, (void *)ctx, sizeof(*f));

	*mask = f->vector;
	f->vector = 256; /* a system call's, as syscall_entry set it */
	f->rflags = (flags & ~USER_FLAGS) | (f->rflags & USER_FLAGS);
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	if (f->rip >= USER_TOP) /* a non-canonical rip faults IRETQ */
		f->rip = 0, r = -EFAULT;
	return r;
}

void arch_uregs_set_pc(struct trap_frame *f, uintptr_t pc)
{
	f->rip = pc;
}

/* What a page fault's error code says was tried: write, fetch or read. */
static unsigned fault_access(struct trap_frame *f)
{
	return (f->error & 2)    ? PROT_WRITE
	       : (f->error & 16) ? PROT_EXEC
				 : PROT_READ;
}

/* An exception in user mode: resolve a page fault, else signal it. */
void user_exception(struct trap_frame *f)
{
	static const uint8_t signals[32] = {
	    [0] = SIGFPE,   [1] = SIGTRAP,  [3] = SIGTRAP, [4] = SIGSEGV,
	    [5] = SIGSEGV,  [6] = SIGILL,   [7] = SIGFPE,  [12] = SIGBUS,
	    [13] = SIGSEGV, [14] = SIGSEGV, [16] = SIGFPE, [17] = SIGBUS,
	    [19] = SIGFPE};
	/* si_code per vector: ILL_ILLOPN, FPE_INTDIV, BUS_ADRALN, and
	 * SI_KERNEL (address 0) for a general protection fault */
	static const uint8_t codes[32] = {
	    [0] = 1,  [6] = 2,  [12] = 128, [13] = 128,
	    [17] = 1, [16] = 7, [19] = 7};
	uintptr_t addr = f->vector == 14                      ? read_cr2()
			 : f->vector == 12 || f->vector == 13 ? 0
							      : f->rip;
	int sig = signals[f->vector] ? signals[f->vector] : SIGSEGV, r = 0;

	arch_irq_enable();
	if (f->vector != 14)
		user_fault(sig, codes[f->vector], addr);
	else if ((r = vm_fault(addr, fault_access(f))) == -ENXIO)
		user_fault(SIGBUS, BUS_ADRERR, addr); /* past an object's end */
	else if (r < 0)
		user_fault(r == -ENOMEM ? SIGKILL : sig,
			   r == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, addr);
	user_return(f, 0, false);
	arch_irq_save();
}

/* A page fault in the kernel: a user copy touching a page that is not
 * there yet gets it; one that cannot be resolved fails with -EFAULT. */
bool kernel_page_fault(struct trap_frame *f)
{
	extern char uaccess_insn[], uaccess_insn2[], uaccess_fault[];
	uintptr_t addr = read_cr2();

	if ((f->rip != (uintptr_t)uaccess_insn &&
	     f->rip != (uintptr_t)uaccess_insn2) ||
	    addr >= USER_TOP)
		return false;
	arch_irq_enable();
	if (vm_fault(addr, fault_access(f)) < 0)
		f->rip = (uintptr_t)uaccess_fault;
	arch_irq_save();
	return true;
}
