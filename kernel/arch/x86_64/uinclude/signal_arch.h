/*
 * signal_arch.h - x86_64's part of tests/user/signal.c: clobber_regs (a
 * handler's change to registers the frame restores), fpu_rounding_state
 * and check_fpu_rounding_up (the x87 and SSE rounding controls),
 * kill_self_on_stack (kill with the stack pointer at the top of stack
 * memory), and the platform's own cases: SIGNAL_ARCH_FAULT_CASES (the
 * faults of invalid instructions, division, stack segment) and
 * SIGNAL_ARCH_CASES (a handler's initial FPU state, rt_sigreturn of an
 * edited or forged frame). Included by signal.c only, after its helpers.
 */
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Clobber vector and general registers the interrupted code keeps. */
static inline void clobber_regs(void)
{
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm7, %%xmm7\n\t"
			 "pxor %%xmm8, %%xmm8\n\tpxor %%xmm15, %%xmm15\n\t"
			 "xor %%r8, %%r8\n\txor %%r12, %%r12\n\t"
			 "xor %%r15, %%r15" ::
			     : "xmm0", "xmm7", "xmm8", "xmm15", "r8", "r12",
			       "r15");
}

/* The x87 control word and the MXCSR, for check_fpu_rounding_up. */
static inline uint64_t fpu_rounding_state(void)
{
	unsigned short cw;
	unsigned int mxcsr;

	__asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(cw), "=m"(mxcsr));
	return (uint64_t)cw << 32 | mxcsr;
}

/* Both rounding controls of state say "up", as fesetround set them. */
static void check_fpu_rounding_up(uint64_t state)
{
	CHECK_EQ(state >> 32 >> 10 & 3, 2);     /* x87 rounding: up */
	CHECK_EQ((uint32_t)state >> 13 & 3, 2); /* SSE rounding: up */
}

/* kill(getpid(), sig) with the stack pointer just below top. */
static void kill_self_on_stack(char *top, int sig)
{
	__asm__ volatile("mov %0, %%rsp\n\tsyscall"
			 :
			 : "r"(top - 8), "a"(SYS_kill), "D"(getpid()), "S"(sig)
			 : "rcx", "r11", "memory");
}
void ud2_site(void);
void hlt_site(void);
void stack_segment_site(void);
__asm__(".text\n"
	".globl ud2_site\n"
	"ud2_site: ud2\n"
	"\tret\n"
	".globl hlt_site\n"
	"hlt_site: hlt\n"
	"\tret\n"
	/* a non-canonical address through %rsp: a stack segment fault */
	".globl stack_segment_site\n"
	"stack_segment_site: movabsq $0x4000000000000000, %rax\n"
	"\tmovq (%rsp,%rax,1), %rax\n"
	"\tret\n");

static void call(void *fn)
{
	((void (*)(void))fn)();
}

static volatile int divisor, dividend = 1;

static void divide(void *arg)
{
	(void)arg;
	dividend = dividend / divisor;
}

static void sigill_sigfpe_sigbus(void)
{
	fresh();
	if (!expect_fault(call, (void *)ud2_site, SIGILL, ILL_ILLOPN,
			  (void *)ud2_site))
		return;
	/* a privileged instruction: general protection, SIGSEGV */
	if (!expect_fault(call, (void *)hlt_site, SIGSEGV, SI_KERNEL, NULL))
		return;
	divisor = 0;
	if (!expect_fault(divide, NULL, SIGFPE, FPE_INTDIV, (void *)-1))
		return;
	dividend = INT_MIN;
	divisor = -1;
	if (!expect_fault(divide, NULL, SIGFPE, FPE_INTDIV, (void *)-1))
		return;
	dividend = 1;
	/* CPUs raise #SS (SIGBUS); QEMU's TCG raises #GP (SIGSEGV) for
	 * it, so either is right here, with the same code and address */
	struct ut_fault f;
	int got = ut_fault(call, (void *)stack_segment_site, &f);
	if (got != SIGBUS && got != SIGSEGV)
		ut_fail("signal %d, expected %d or %d", got, SIGBUS, SIGSEGV);
	else if (f.code != SI_KERNEL || f.addr != NULL)
		ut_fail("si_code %d si_addr %p, expected %d and NULL", f.code,
			f.addr, SI_KERNEL);
}
static volatile int probe_round;
static volatile unsigned probe_mxcsr, probe_cw;

static void on_fpu_probe(int sig)
{
	(void)sig;
	unsigned short cw;
	unsigned int mxcsr;
	probe_round = fegetround();
	__asm__ volatile("fnstcw %0\n\tstmxcsr %1" : "=m"(cw), "=m"(mxcsr));
	probe_cw = cw, probe_mxcsr = mxcsr;
}

/* A handler starts with the FPU's initial state, as on Linux (x87 control
 * word 0x37f, MXCSR 0x1f80), whatever the program had set; the program's
 * state is back after it. */
static void handler_fpu_initial(void)
{
	fresh();
	set_disposition(SIGUSR1, on_fpu_probe);
	CHECK_EQ(fesetround(FE_UPWARD), 0);
	raise(SIGUSR1);
	int after = fegetround();
	fesetround(FE_TONEAREST);
	CHECK_EQ(probe_round, FE_TONEAREST);
	CHECK_EQ(probe_cw, 0x37f);
	CHECK_EQ(probe_mxcsr, 0x1f80);
	CHECK_EQ(after, FE_UPWARD);
}

#define MAGIC_R12  0x1234567890abcdefULL
#define MAGIC_XMM1 0x0badc0ffee0ddf00ULL

static char fpu_moved[4096] __attribute__((aligned(64)));
static volatile int edit_moved;

static void on_edit_frame(int sig, siginfo_t *si, void *p)
{
	(void)sig, (void)si;
	ucontext_t *uc = p;
	uc->uc_mcontext.gregs[REG_R12] = MAGIC_R12;
	if (edit_moved) { /* misaligned: no XRSTOR from there */
		memcpy(fpu_moved + 8, uc->uc_mcontext.fpregs, 1024);
		uc->uc_mcontext.fpregs = (void *)(fpu_moved + 8);
	}
	uc->uc_mcontext.fpregs->mxcsr |= 0x6000; /* round to zero */
	memcpy(&uc->uc_mcontext.fpregs->_xmm[1], &(uint64_t){MAGIC_XMM1}, 8);
	sigaddset(&uc->uc_sigmask, SIGUSR2);
}

/* rt_sigreturn loads what the frame holds when the handler returns: a
 * register, the FPU state (MXCSR, an XMM register) and the mask that the
 * handler changed there; also from an FPU state the handler moved to a
 * misaligned place, which XRSTOR cannot load where it lies. */
static void sigreturn_edited_frame(void)
{
	fresh();
	set_handler(SIGUSR2, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_edit_frame;
	sa.sa_flags = SA_SIGINFO;
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	for (edit_moved = 0; edit_moved < 2; edit_moved++) {
		uint64_t r12, xmm1;
		unsigned mxcsr, old_mxcsr;
		__asm__ volatile("stmxcsr %0" : "=m"(old_mxcsr));
		__asm__ volatile("xor %%r12, %%r12\n\tpxor %%xmm1, %%xmm1\n\t"
				 "syscall\n\t"
				 "mov %%r12, %1\n\tmovq %%xmm1, %2\n\t"
				 "stmxcsr %3"
				 : "+a"(*(long[]){SYS_kill}), "=r"(r12),
				   "=r"(xmm1), "=m"(mxcsr)
				 : "D"(getpid()), "S"(SIGUSR1)
				 : "rcx", "r11", "r12", "xmm1", "memory");
		__asm__ volatile("ldmxcsr %0" : : "m"(old_mxcsr));
		int usr2_blocked = blocked_now(SIGUSR2);
		block(SIGUSR2, SIG_UNBLOCK);
		CHECK_EQ(r12, MAGIC_R12);
		CHECK_EQ(xmm1, MAGIC_XMM1);
		CHECK_EQ(mxcsr & 0x6000, 0x6000);
		CHECK(usr2_blocked);
	}
}

static volatile int landed_pipe;

/* Where the forged frame resumes: report the I/O privilege level and
 * whether SIGKILL is blocked, then wait to be killed. */
static void landing(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(flags));
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	char report[2] = {(char)(flags >> 12 & 3),
			  (char)sigismember(&now, SIGTERM)};
	write(landed_pipe, report, 2);
	for (;;)
		pause();
}

/* rt_sigreturn from a frame the program made itself gives it the pc,
 * stack and mask it asked for, but no I/O privilege, and SIGKILL still
 * kills it (what a program skipping the personality's frames can do). */
static void sigreturn_forged(void)
{
	fresh();
	int fds[2];
	CHECK_EQ(pipe(fds), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		static char stack[16384] __attribute__((aligned(16)));
		static struct {
			uint64_t pad[4];
			ucontext_t uc;
		} fr;
		landed_pipe = fds[1];
		fr.uc.uc_mcontext.gregs[REG_RIP] = (uintptr_t)landing;
		fr.uc.uc_mcontext.gregs[REG_RSP] =
		    (uintptr_t)(stack + sizeof(stack) - 8);
		fr.uc.uc_mcontext.gregs[REG_EFL] = 0x3202; /* IOPL 3, IF */
		uint64_t cs, ss;
		__asm__("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
		fr.uc.uc_mcontext.gregs[REG_CSGSFS] = cs | ss << 48;
		fr.uc.uc_mcontext.fpregs = NULL;
		sigfillset(&fr.uc.uc_sigmask);
		__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall"
				 :
				 : "r"(&fr.uc)
				 : "rax", "rcx", "r11", "memory");
		_exit(99);
	}
	close(fds[1]);
	char report[2] = {9, 9};
	CHECK_EQ(read(fds[0], report, 2), 2);
	close(fds[0]);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	int status = ut_wait(pid);
	CHECK_EQ(report[0], 0); /* no I/O privilege */
	CHECK_EQ(report[1], 1); /* the mask it asked for */
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

#define SIGNAL_ARCH_FAULT_CASES UT_CASE(sigill_sigfpe_sigbus),
#define SIGNAL_ARCH_CASES                                                      \
	UT_CASE(handler_fpu_initial), UT_CASE(sigreturn_edited_frame),         \
	    UT_CASE(sigreturn_forged),
