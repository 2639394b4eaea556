/*
 * signal_arch.h - arm64's part of tests/user/signal.c: clobber_regs,
 * fpu_rounding_state and check_fpu_rounding_up (nothing beyond what
 * fegetround sees), kill_self_on_stack (kill with the stack pointer at
 * the top of stack memory), and the platform's own cases:
 * SIGNAL_ARCH_CASES (a handler without a restorer, also after an exec;
 * the frame's records).
 * Included by signal.c only, after its helpers.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline void clobber_regs(void)
{
}

static inline uint64_t fpu_rounding_state(void)
{
	return 0;
}

static void check_fpu_rounding_up(uint64_t state)
{
	(void)state;
}

/* kill(getpid(), sig) with the stack pointer at top. */
static void kill_self_on_stack(char *top, int sig)
{
	register long x8 __asm__("x8") = SYS_kill;
	register long x0 __asm__("x0") = getpid();
	register long x1 __asm__("x1") = sig;

	__asm__ volatile("mov sp, %1\n\tsvc #0"
			 : "+r"(x0)
			 : "r"(top - 16), "r"(x8), "r"(x1)
			 : "memory");
}
static volatile uint32_t seen_magic, seen_size;

/* The frame's first record: fpsimd_context (magic 0x46508001, 528
 * bytes); others may follow (Linux adds SVE's where the CPU has it). */
static void on_signal_records(int sig, siginfo_t *si, void *uc)
{
	const uint32_t *rec =
	    (const uint32_t *)((ucontext_t *)uc)->uc_mcontext.__reserved;
	(void)si;
	hits += sig == SIGUSR1;
	seen_magic = rec[0];
	seen_size = rec[1];
}

/* A handler installed without SA_RESTORER (glibc's sigaction, which
 * relies on Linux's vDSO) returns through the platform's trampoline, and
 * its frame carries Linux's records. Raw rt_sigaction: musl's sigaction
 * always sets a restorer. */
static void no_restorer(void)
{
	struct {
		void (*handler)(int, siginfo_t *, void *);
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} ka = {on_signal_records, SA_SIGINFO, NULL, 0};
	volatile long keep = 0x1234;

	fresh();
	CHECK_EQ(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1), 0);
	CHECK_EQ(hits, 3);
	CHECK_EQ(keep, 0x1234);
	CHECK_EQ(seen_magic, 0x46508001);
	CHECK_EQ(seen_size, 528);
	fresh();
}

/* The same after an exec by a process whose trampoline was made: the
 * new image gets one of its own (Debian's busybox shell, glibc's, took
 * SIGCHLD and then its child's exec'd dash or bash crashed returning
 * from their first handler, to the old image's trampoline address). The
 * child takes a signal, then execs this program's no_restorer alone. */
static void no_restorer_exec(void)
{
	struct {
		void (*handler)(int, siginfo_t *, void *);
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} ka = {on_signal_records, SA_SIGINFO, NULL, 0};
	char why[32];
	pid_t pid;
	int status;

	fresh();
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8) ||
		    syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1) ||
		    hits != 1 || null < 0 || dup2(null, 1) < 0)
			_exit(3);
		execl(ut_self, ut_self, "no_restorer", (char *)NULL);
		_exit(4);
	}
	status = ut_wait(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ut_fail("the exec'd no_restorer: %s",
			ut_status(status, why, sizeof(why)));
}

#define SIGNAL_ARCH_FAULT_CASES
#define SIGNAL_ARCH_CASES UT_CASE(no_restorer), UT_CASE(no_restorer_exec),
