/*
 * signal: signals as Linux delivers them. sigaction with SA_SIGINFO and
 * its siginfo, masks (sigprocmask, sa_mask, SA_NODEFER, SA_RESETHAND),
 * standard signals coalescing and real-time ones queueing, kill, tgkill
 * and raise, sigaltstack, rt_sigsuspend and pause, EINTR from nanosleep
 * and wait4 and SA_RESTART restarting wait4, default actions (terminate,
 * ignore, stop and continue), SIGCHLD, faults turned into SIGSEGV, SIGBUS,
 * SIGILL and SIGFPE with their si_code and si_addr, and the FPU and
 * register state kept across a handler.
 *
 * Each case starts from default dispositions and an empty mask. Signals
 * from another process come from a "signaller" child that repeats them,
 * so no case depends on when a signal arrives.
 */
#include "utest.h"
#include "utest_arch.h"

#include <fenv.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIGRT 40 /* real-time; musl keeps 32 to 34 for itself */

static const int test_signals[] = {SIGUSR1, SIGUSR2, SIGCHLD, SIGTERM,
				   SIGALRM, SIGRT,   SIGSEGV};

static volatile int hits, hits_rt;
static volatile int seen_code, seen_pid, seen_uid, seen_tid;
static volatile void *seen_stack;
static sigset_t seen_mask;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	int local;
	if (sig == SIGRT) {
		hits_rt++;
		return;
	}
	hits++;
	seen_code = si->si_code;
	seen_pid = si->si_pid;
	seen_uid = si->si_uid;
	seen_tid = (int)syscall(SYS_gettid);
	seen_stack = &local;
	sigprocmask(SIG_BLOCK, NULL, &seen_mask);
}

static void set_handler(int sig, int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, NULL);
}

static void set_disposition(int sig, void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(sig, &sa, NULL);
}

/* Back to default dispositions, an empty mask and zero counters. */
static void fresh(void)
{
	/* Ignoring discards what a previous case's signaller left pending
	 * (it may send once more before ut_kill ends it). */
	for (int i = 0; i < UT_COUNT(test_signals); i++) {
		set_disposition(test_signals[i], SIG_IGN);
		set_disposition(test_signals[i], SIG_DFL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	hits = hits_rt = seen_code = seen_pid = seen_uid = seen_tid = 0;
	seen_stack = NULL;
}

static void block(int sig, int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(how, &set, NULL);
}

static int blocked_now(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

/* A child that sends sig to this process every 10 ms for up to 5 s. */
static pid_t signaller(int sig)
{
	pid_t target = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 500; i++) {
			kill(target, sig);
			ut_sleep_ms(10);
		}
		_exit(0);
	}
	return pid;
}

/* A child that sleeps until killed (or 10 s). */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		ut_sleep_ms(10000);
		_exit(99);
	}
	return pid;
}

/* ---- handlers, siginfo and masks ------------------------------------ */

static void siginfo_raise(void)
{
	fresh();
	set_handler(SIGUSR1, 0);
	CHECK_EQ(raise(SIGUSR1), 0);
	CHECK_EQ(hits, 1); /* delivered before raise returned */
	CHECK_EQ(seen_code, SI_TKILL);
	CHECK_EQ(seen_pid, getpid());
	CHECK_EQ(seen_uid, getuid());
	CHECK_EQ(kill(getpid(), SIGUSR1), 0);
	CHECK_EQ(hits, 2);
	CHECK_EQ(seen_code, SI_USER);
	CHECK_EQ(seen_pid, getpid());
}

static void sigaction_old(void)
{
	fresh();
	struct sigaction sa, old;
	CHECK_EQ(sigaction(SIGUSR2, NULL, &old), 0);
	CHECK(old.sa_handler == SIG_DFL);
	set_handler(SIGUSR2, SA_RESTART);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	CHECK_EQ(sigaction(SIGUSR2, &sa, &old), 0);
	CHECK(old.sa_sigaction == on_signal);
	CHECK((old.sa_flags & (SA_SIGINFO | SA_RESTART)) ==
	      (SA_SIGINFO | SA_RESTART));
	CHECK_EQ(raise(SIGUSR2), 0); /* ignored */
	CHECK_EQ(hits, 0);
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	CHECK_EQ(sigaction(SIGKILL, NULL, &old), 0);
	CHECK_ERR(syscall(SYS_rt_sigaction, 0, NULL, &old, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, 65, NULL, &old, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 4), EINVAL);
}

static void mask_blocks(void)
{
	fresh();
	set_handler(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	CHECK_EQ(raise(SIGUSR1), 0);
	CHECK_EQ(hits, 0);
	sigset_t pending;
	CHECK_EQ(sigpending(&pending), 0);
	CHECK(sigismember(&pending, SIGUSR1));
	block(SIGUSR1, SIG_UNBLOCK);
	CHECK_EQ(hits, 1); /* delivered as sigprocmask returned */
	CHECK_EQ(sigpending(&pending), 0);
	CHECK(!sigismember(&pending, SIGUSR1));
	/* SIGKILL and SIGSTOP cannot be blocked */
	sigset_t all;
	sigfillset(&all);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &all, NULL), 0);
	CHECK(!blocked_now(SIGKILL) && !blocked_now(SIGSTOP));
	CHECK(blocked_now(SIGUSR1));
	CHECK_ERR(syscall(SYS_rt_sigprocmask, 99, &all, NULL, 8), EINVAL);
}

static void handler_mask(void)
{
	fresh();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	CHECK_EQ(hits, 1);
	CHECK(sigismember(&seen_mask, SIGUSR1)); /* itself, during it */
	CHECK(sigismember(&seen_mask, SIGUSR2)); /* sa_mask */
	CHECK(!blocked_now(SIGUSR1) && !blocked_now(SIGUSR2));
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	CHECK_EQ(hits, 2);
	CHECK(!sigismember(&seen_mask, SIGUSR1));
}

static void resethand(void)
{
	fresh();
	set_handler(SIGUSR2, SA_RESETHAND);
	raise(SIGUSR2);
	CHECK_EQ(hits, 1);
	struct sigaction old;
	CHECK_EQ(sigaction(SIGUSR2, NULL, &old), 0);
	CHECK(old.sa_handler == SIG_DFL);
}

static void coalesce_and_queue(void)
{
	fresh();
	set_handler(SIGUSR1, 0);
	set_handler(SIGRT, 0);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRT);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (int i = 0; i < 3; i++) {
		raise(SIGUSR1);
		raise(SIGRT);
	}
	CHECK_EQ(hits + hits_rt, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(hits, 1);    /* standard signals are pending or not */
	CHECK_EQ(hits_rt, 3); /* real-time signals queue */
}

/* ---- sending --------------------------------------------------------- */

static volatile int target_tid, target_stop;

static void *sit(void *arg)
{
	(void)arg;
	target_tid = (int)syscall(SYS_gettid);
	while (!target_stop)
		ut_sleep_ms(1);
	return NULL;
}

static void tgkill_thread(void)
{
	fresh();
	set_handler(SIGUSR1, SA_RESTART);
	pthread_t t;
	target_tid = target_stop = 0;
	CHECK_EQ(pthread_create(&t, NULL, sit, NULL), 0);
	for (int i = 0; i < 5000 && !target_tid; i++)
		ut_sleep_ms(1);
	long r = syscall(SYS_tgkill, getpid(), target_tid, SIGUSR1);
	for (int i = 0; i < 5000 && !hits; i++)
		ut_sleep_ms(1);
	int wrong = syscall(SYS_tgkill, getpid() + 100000, target_tid, 0);
	int wrong_err = errno;
	/* Linux: tgid must be a process id; -1 is not "any process" */
	int any = syscall(SYS_tgkill, -1, target_tid, 0);
	int any_err = errno;
	target_stop = 1;
	pthread_join(t, NULL);
	CHECK_EQ(r, 0);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_tid, target_tid);
	CHECK_EQ(seen_code, SI_TKILL);
	errno = wrong_err;
	CHECK_ERR(wrong, ESRCH);
	errno = any_err;
	CHECK_ERR(any, EINVAL);
}

static void kill_errors(void)
{
	fresh();
	CHECK_EQ(kill(getpid(), 0), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(0);
	CHECK(ut_wait(pid) == 0);
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(kill(getpid(), 65), EINVAL);
	CHECK_ERR(kill(getpid(), -1), EINVAL);
}

/* ---- alternate stack and waiting for signals ------------------------- */

static void altstack(void)
{
	fresh();
	size_t size = 64 * 1024;
	char *mem = malloc(size);
	CHECK(mem != NULL);
	stack_t ss = {.ss_sp = mem, .ss_size = size, .ss_flags = 0};
	stack_t old;
	CHECK_EQ(sigaltstack(&ss, &old), 0);
	set_handler(SIGUSR1, SA_ONSTACK);
	set_handler(SIGUSR2, 0);
	raise(SIGUSR1);
	char *on = (char *)seen_stack;
	raise(SIGUSR2);
	char *off = (char *)seen_stack;
	CHECK_EQ(sigaltstack(NULL, &old), 0);
	CHECK_EQ(old.ss_flags, 0); /* not on it any more */
	CHECK(old.ss_sp == mem && old.ss_size == size);
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ(sigaltstack(&ss, NULL), 0);
	CHECK_EQ(sigaltstack(NULL, &old), 0);
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	ss.ss_flags = 0;
	ss.ss_size = 1024;
	CHECK_ERR(sigaltstack(&ss, NULL), ENOMEM);
	free(mem);
	CHECK_EQ(hits, 2);
	CHECK(on >= mem && on < mem + size);
	CHECK(off < mem || off >= mem + size);
}

/* sigaltstack takes a stack of the platform's MINSIGSTKSZ (Linux's: 2048
 * on x86_64, 5120 on arm64), not one byte less (ENOMEM). The raw call:
 * musl checks against its own header's value first. */
static void altstack_min_size(void)
{
	char *mem = malloc(UT_MINSIGSTKSZ);
	stack_t ss = {.ss_sp = mem, .ss_size = UT_MINSIGSTKSZ - 1}, old;

	CHECK(mem != NULL);
	CHECK_ERR(syscall(SYS_sigaltstack, &ss, NULL), ENOMEM);
	ss.ss_size = UT_MINSIGSTKSZ;
	CHECK_EQ(syscall(SYS_sigaltstack, &ss, NULL), 0);
	CHECK_EQ(syscall(SYS_sigaltstack, NULL, &old), 0);
	CHECK(old.ss_sp == mem && old.ss_size == UT_MINSIGSTKSZ);
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ(syscall(SYS_sigaltstack, &ss, NULL), 0);
	free(mem);
}

static void sigsuspend_pending(void)
{
	fresh();
	set_handler(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	raise(SIGUSR1);
	sigset_t none;
	sigemptyset(&none);
	CHECK_ERR(sigsuspend(&none), EINTR);
	CHECK_EQ(hits, 1);
	CHECK(blocked_now(SIGUSR1)); /* the old mask is back */
	CHECK_ERR(syscall(SYS_rt_sigsuspend, &none, 4), EINVAL);
}

static void sigsuspend_wait(void)
{
	fresh();
	set_handler(SIGUSR1, 0);
	block(SIGUSR1, SIG_BLOCK);
	pid_t pid = signaller(SIGUSR1);
	CHECK(pid > 0);
	sigset_t none;
	sigemptyset(&none);
	long r = sigsuspend(&none);
	int err = errno;
	int was_blocked = blocked_now(SIGUSR1);
	ut_kill(pid);
	errno = err;
	CHECK_ERR(r, EINTR);
	CHECK(hits >= 1);
	CHECK(was_blocked);
}

/* clock_nanosleep too (the personality's, over a ppoll with the
 * program's mask): EINTR, the time left for a relative sleep only. */
static void clock_nanosleep_eintr(void)
{
	static const int flags[] = {0, TIMER_ABSTIME};
	for (int i = 0; i < 2; i++) {
		fresh();
		set_handler(SIGUSR1, SA_RESTART);
		pid_t pid = signaller(SIGUSR1);
		CHECK(pid > 0);
		struct timespec t = {10, 0}, rem = {-1, -1};
		if (flags[i]) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			t.tv_sec += 10;
		}
		long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, flags[i],
				 &t, &rem);
		int err = errno;
		ut_kill(pid);
		errno = err;
		CHECK_ERR(r, EINTR);
		CHECK(hits >= 1);
		long long left = rem.tv_sec * 1000000000LL + rem.tv_nsec;
		if (flags[i])
			CHECK(rem.tv_sec == -1 && rem.tv_nsec == -1);
		else
			CHECK(left > 0 && left <= 10001000000LL);
	}
}

/*
 * Signals that keep arriving from another CPU while the personality
 * finishes a wait that one of them ended (poll's and nanosleep's, made
 * with the program's mask): each must run its handler on the program's
 * registers once the call returns, never in the middle of the
 * personality's own code (an interrupt there once did: SIGSEGV).
 */
static volatile int storm_done;

/* Interrupts for wait_storm: each munmap of a page this process touched
 * makes the kernel interrupt the other CPUs that run it (TLB shootdown). */
static void *storm_unmapper(void *arg)
{
	(void)arg;
	while (!storm_done) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		*p = 1;
		munmap(p, 4096);
	}
	return NULL;
}

static void wait_storm(void)
{
	sigset_t all, old;
	pthread_t th;

	fresh();
	set_handler(SIGUSR1, SA_RESTART);
	storm_done = 0;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread takes none */
	/* with one CPU there is no other to interrupt this one */
	bool smp = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	CHECK(!smp || pthread_create(&th, NULL, storm_unmapper, NULL) == 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pid_t target = getpid(), pid = fork();
	if (pid == 0) {
		for (;;) {
			kill(target, SIGUSR1);
			if (!smp)
				ut_sleep_ms(1); /* let the waits begin */
		}
	}
	CHECK(pid > 0);
	int intr = 0;
	long long end = ut_now_ns() + 5000000000LL; /* enough when slow */
	for (int i = 0; i < 2000 && ut_now_ns() < end; i++) {
		struct timespec t = {0, 200000};
		if (i & 1)
			intr += poll(NULL, 0, 1) < 0 && errno == EINTR;
		else
			intr += nanosleep(&t, NULL) < 0 && errno == EINTR;
	}
	ut_kill(pid);
	storm_done = 1;
	if (smp)
		pthread_join(th, NULL);
	CHECK(intr > 0);
	CHECK(hits >= intr);
}

static void pause_eintr(void)
{
	fresh();
	set_handler(SIGUSR1, SA_RESTART); /* pause is never restarted */
	pid_t pid = signaller(SIGUSR1);
	CHECK(pid > 0);
	long r = pause();
	int err = errno;
	ut_kill(pid);
	errno = err;
	CHECK_ERR(r, EINTR);
	CHECK(hits >= 1);
}

/* pause and clock_nanosleep (the personality's) wait with the program's
 * own mask: a signal it blocks, pending and fatal by default, neither
 * ends the wait nor is delivered; the one it takes ends it. */
static void waits_keep_mask(void)
{
	for (int i = 0; i < 2; i++) {
		fresh();
		set_handler(SIGUSR1, 0);
		block(SIGUSR2, SIG_BLOCK);
		CHECK_EQ(kill(getpid(), SIGUSR2), 0);
		pid_t pid = signaller(SIGUSR1);
		CHECK(pid > 0);
		struct timespec t = {10, 0};
		long r = i ? syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0,
				     &t, NULL)
			   : pause();
		int err = errno;
		ut_kill(pid);
		errno = err;
		CHECK_ERR(r, EINTR);
		CHECK(hits >= 1);
		sigset_t pending;
		CHECK_EQ(sigpending(&pending), 0);
		CHECK(sigismember(&pending, SIGUSR2));
		CHECK(blocked_now(SIGUSR2));
		set_disposition(SIGUSR2, SIG_IGN); /* discard it */
	}
}

/* nanosleep is interrupted by a handler, SA_RESTART or not, and says
 * how much of the time is left. */
static void nanosleep_eintr(void)
{
	static const int flags[] = {0, SA_RESTART};
	for (int i = 0; i < 2; i++) {
		fresh();
		set_handler(SIGUSR1, flags[i]);
		pid_t pid = signaller(SIGUSR1);
		CHECK(pid > 0);
		struct timespec t = {10, 0}, rem = {0, 0};
		long r = nanosleep(&t, &rem);
		int err = errno;
		ut_kill(pid);
		errno = err;
		CHECK_ERR(r, EINTR);
		CHECK(hits >= 1);
		/* Linux may add its timer slack (50 us) to what is left */
		long long left = rem.tv_sec * 1000000000LL + rem.tv_nsec;
		CHECK(left > 0 && left <= 10001000000LL);
	}
}

static void wait4_eintr(void)
{
	fresh();
	set_handler(SIGUSR1, 0);
	pid_t child = sleeper();
	pid_t pid = signaller(SIGUSR1);
	CHECK(child > 0 && pid > 0);
	int status;
	long r = wait4(child, &status, 0, NULL);
	int err = errno;
	ut_kill(pid);
	ut_kill(child);
	errno = err;
	CHECK_ERR(r, EINTR);
	CHECK(hits >= 1);
}

/* With SA_RESTART, wait4 sleeps on through handlers until the child ends:
 * a second child signals us five times and then kills the first. */
static void wait4_restart(void)
{
	fresh();
	set_handler(SIGUSR1, SA_RESTART);
	pid_t child = sleeper();
	CHECK(child > 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 5; i++) {
			kill(parent, SIGUSR1);
			ut_sleep_ms(10);
		}
		kill(child, SIGTERM);
		_exit(0);
	}
	int status = 0;
	long r = wait4(child, &status, 0, NULL);
	int err = errno;
	ut_wait(pid);
	if (r < 0)
		ut_kill(child);
	errno = err;
	CHECK_EQ(r, child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	CHECK(hits >= 1);
}

/* ---- default actions and SIGCHLD ------------------------------------- */

static void default_actions(void)
{
	fresh();
	pid_t pid = sleeper();
	CHECK(pid > 0);
	CHECK_EQ(kill(pid, SIGTERM), 0);
	int status = ut_wait(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* ignored by default: SIGCHLD, SIGURG, SIGWINCH; by SIG_IGN: TERM */
	set_disposition(SIGTERM, SIG_IGN);
	pid = sleeper();
	set_disposition(SIGTERM, SIG_DFL);
	CHECK(pid > 0);
	kill(pid, SIGCHLD);
	kill(pid, SIGURG);
	kill(pid, SIGWINCH);
	kill(pid, SIGTERM);
	ut_sleep_ms(20);
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	status = ut_wait(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void stop_continue(void)
{
	fresh();
	pid_t pid = sleeper();
	CHECK(pid > 0);
	int status = 0;
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	long r = waitpid(pid, &status, WUNTRACED);
	if (r != pid || !WIFSTOPPED(status)) {
		ut_kill(pid);
		CHECK_EQ(r, pid);
		CHECK(WIFSTOPPED(status));
	}
	CHECK_EQ(WSTOPSIG(status), SIGSTOP);
	CHECK_EQ(kill(pid, SIGCONT), 0);
	r = waitpid(pid, &status, WCONTINUED);
	ut_kill(pid);
	CHECK_EQ(r, pid);
	CHECK(WIFCONTINUED(status));
}

static void sigchld_handler(void)
{
	fresh();
	set_handler(SIGCHLD, SA_RESTART);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(3);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(hits, 1);
	CHECK_EQ(seen_code, CLD_EXITED);
	CHECK_EQ(seen_pid, pid);
}

static void sigchld_default(void)
{
	fresh();
	/* the default is to ignore it: a sleep goes on, the zombie stays */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(4);
	struct timespec t = {0, 100000000};
	CHECK_EQ(nanosleep(&t, NULL), 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);
	/* SIG_IGN reaps children itself: wait4 ends with ECHILD */
	set_disposition(SIGCHLD, SIG_IGN);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(5);
	long r = waitpid(pid, &status, 0);
	int err = errno;
	set_disposition(SIGCHLD, SIG_DFL);
	errno = err;
	CHECK_ERR(r, ECHILD);
}

/* ---- faults ----------------------------------------------------------- */

static void read_at(void *p)
{
	(void)*(volatile char *)p;
}

/* Want fn(arg) to raise sig with code, at addr unless addr is (void *)-1. */
static int expect_fault(void (*fn)(void *), void *arg, int sig, int code,
			void *addr)
{
	struct ut_fault f;
	int got = ut_fault(fn, arg, &f);
	if (got != sig) {
		ut_fail("signal %d, expected %d", got, sig);
		return 0;
	}
	if (f.code != code || (addr != (void *)-1 && f.addr != addr)) {
		ut_fail("si_code %d si_addr %p, expected %d and %p", f.code,
			f.addr, code, addr);
		return 0;
	}
	return 1;
}

static void segv_faults(void)
{
	fresh();
	if (!expect_fault(read_at, NULL, SIGSEGV, SEGV_MAPERR, NULL))
		return;
	void *kernel = UT_KERNEL_ADDR;
	if (!expect_fault(read_at, kernel, SIGSEGV, SEGV_MAPERR, kernel))
		return;
#ifdef UT_NONCANONICAL
	/* non-canonical: a general protection fault, no address */
	expect_fault(read_at, UT_NONCANONICAL, SIGSEGV, SI_KERNEL, NULL);
#endif
}

/* The platform's own: clobber_regs, fpu_rounding_state,
 * check_fpu_rounding_up, kill_self_on_stack, and the cases of
 * SIGNAL_ARCH_FAULT_CASES and SIGNAL_ARCH_CASES
 * (kernel/arch/<name>/uinclude/signal_arch.h). */
#include "signal_arch.h"

static void die_by_null(void)
{
	(void)*(volatile int *)16;
}

static void segv_in_handler(int sig)
{
	(void)sig;
	die_by_null();
}

/* Wait for child pid of case `how`: true if SIGSEGV ended it, else a
 * failure naming how it ended. */
static bool reaped_by_segv(pid_t pid, int how)
{
	int status = ut_wait(pid);
	char buf[32];

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		return true;
	ut_fail("case %d: child ended with %s, not SIGSEGV", how,
		ut_status(status, buf, sizeof(buf)));
	return false;
}

/* A fault with no handler, inside its own handler, or while blocked: the
 * process dies by SIGSEGV (Linux unblocks and resets it, never loops). */
static void fault_kills(void)
{
	fresh();
	for (int how = 0; how < 3; how++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			if (how == 1)
				set_disposition(SIGSEGV, segv_in_handler);
			if (how == 2)
				block(SIGSEGV, SIG_BLOCK);
			die_by_null();
			_exit(0);
		}
		if (!reaped_by_segv(pid, how))
			return;
	}
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		abort();
	int status = ut_wait(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* ---- state kept across a handler ------------------------------------ */

static volatile double fp_sink;

static void clobber_fpu(int sig)
{
	(void)sig;
	fesetround(FE_TOWARDZERO);
	volatile double x = 1.0;
	for (int i = 0; i < 50; i++)
		x = x * 1.1 + 0.3;
	fp_sink = x;
	clobber_regs();
	hits++;
}

static void fpu_preserved(void)
{
	fresh();
	set_disposition(SIGUSR1, clobber_fpu);
	CHECK_EQ(fesetround(FE_UPWARD), 0);
	int ok = ut_syscall_keeps_regs(SYS_kill, getpid(), SIGUSR1, 0, 7);
	int round = fegetround();
	uint64_t hw_round = fpu_rounding_state();
	fesetround(FE_TONEAREST);
	CHECK(ok);
	CHECK_EQ(hits, 1);
	CHECK_EQ(round, FE_UPWARD);
	check_fpu_rounding_up(hw_round);
	volatile double third = 1.0, three = 3.0;
	CHECK(third / three > 0.333333 && third / three < 0.333334);
}

/* ---- the frame: alternate stack, flags, FPU, rt_sigreturn ------------ */

static char *nest_mem;
static volatile char *nest_at[2];
static volatile int nest_onstack, nest_eperm;

static void on_nested(int sig)
{
	char local;
	if (sig == SIGUSR2) {
		nest_at[1] = &local;
		return;
	}
	nest_at[0] = &local;
	stack_t cur, ss = {.ss_sp = nest_mem, .ss_size = 65536};
	nest_onstack =
	    sigaltstack(NULL, &cur) == 0 && cur.ss_flags == SS_ONSTACK;
	nest_eperm = sigaltstack(&ss, NULL) == -1 && errno == EPERM;
	raise(SIGUSR2);
}

/* A handler on the alternate stack (SA_ONSTACK) sees SS_ONSTACK, cannot
 * change the stack (EPERM), and a second SA_ONSTACK handler it lets in
 * runs below it on the same stack, not from its top again. */
static void altstack_nested(void)
{
	fresh();
	size_t size = 65536;
	nest_mem = malloc(size);
	CHECK(nest_mem != NULL);
	stack_t ss = {.ss_sp = nest_mem, .ss_size = size};
	CHECK_EQ(sigaltstack(&ss, NULL), 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_nested;
	sa.sa_flags = SA_ONSTACK;
	CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	nest_at[0] = nest_at[1] = NULL;
	raise(SIGUSR1);
	ss.ss_flags = SS_DISABLE;
	CHECK_EQ(sigaltstack(&ss, NULL), 0);
	char *outer = (char *)nest_at[0], *inner = (char *)nest_at[1];
	CHECK(outer >= nest_mem && outer < nest_mem + size);
	CHECK(inner >= nest_mem && inner < outer);
	CHECK(nest_onstack);
	CHECK(nest_eperm);
	free(nest_mem);
}

static volatile int reset_dfl, reset_blocked;

static void on_reset(int sig)
{
	struct sigaction now;
	sigaction(sig, NULL, &now);
	reset_dfl = now.sa_handler == SIG_DFL;
	reset_blocked = blocked_now(sig);
}

/* SA_RESETHAND: the action is the default already while the handler
 * runs, and the signal is blocked in it unless SA_NODEFER. */
static void resethand_in_handler(void)
{
	fresh();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_reset;
	sa.sa_flags = SA_RESETHAND;
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	raise(SIGUSR1);
	CHECK(reset_dfl && reset_blocked);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	reset_dfl = reset_blocked = 0;
	raise(SIGUSR1);
	CHECK(reset_dfl && !reset_blocked);
}

/* A handler whose frame cannot be written (an alternate stack nobody can
 * write, or a stack pointer at an unmapped page) kills the process with
 * SIGSEGV, as on Linux; the kernel never loops on it. */
static void frame_unwritable(void)
{
	fresh();
	for (int how = 0; how < 2; how++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			char *bad = mmap(NULL, 65536, PROT_NONE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			stack_t ss = {.ss_sp = bad, .ss_size = 65536};
			set_handler(SIGUSR1, SA_ONSTACK);
			if (how == 0) {
				sigaltstack(&ss, NULL);
				raise(SIGUSR1);
			} else
				kill_self_on_stack(bad + 65536, SIGUSR1);
			_exit(0);
		}
		if (!reaped_by_segv(pid, how))
			return;
	}
}

static const struct ut_case cases[] = {
    UT_CASE(siginfo_raise),
    UT_CASE(sigaction_old),
    UT_CASE(mask_blocks),
    UT_CASE(handler_mask),
    UT_CASE(resethand),
    UT_CASE(coalesce_and_queue),
    UT_CASE(tgkill_thread),
    UT_CASE(kill_errors),
    UT_CASE(altstack),
    UT_CASE(altstack_min_size),
    UT_CASE(sigsuspend_pending),
    UT_CASE(sigsuspend_wait),
    UT_CASE(pause_eintr),
    UT_CASE(nanosleep_eintr),
    UT_CASE(clock_nanosleep_eintr),
    UT_CASE(wait_storm),
    UT_CASE(waits_keep_mask),
    UT_CASE(wait4_eintr),
    UT_CASE(wait4_restart),
    UT_CASE(default_actions),
    UT_CASE(stop_continue),
    UT_CASE(sigchld_handler),
    UT_CASE(sigchld_default),
    UT_CASE(segv_faults),
    SIGNAL_ARCH_FAULT_CASES UT_CASE(fault_kills),
    UT_CASE(fpu_preserved),
    UT_CASE(altstack_nested),
    UT_CASE(resethand_in_handler),
    UT_CASE(frame_unwritable),
    SIGNAL_ARCH_CASES};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "signal", cases, UT_COUNT(cases));
}
