/*
 * efault: bad pointers given to system calls. Each pointer-taking call is
 * tried with five bad addresses: NULL, the start of the kernel's direct
 * map (0xffff800000000000), the kernel image (0xffffffff80100000), a
 * non-canonical address, and an object that straddles the end of a
 * mapping (its second half unmapped). Each must fail with EFAULT, or do
 * what Linux documents for it (a short count for getrandom, for instance),
 * and never crash the process or the kernel. The calls are made raw with
 * syscall(), because some libc wrappers would touch the memory first.
 */
#include "utest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KINDS 5
static const char *const kind_name[KINDS] = {
    "NULL", "direct map", "kernel image", "non-canonical", "half-mapped",
};

/* Two pages, the second unmapped: `hole` is where the mapping ends. */
static char *hole;

static int make_hole(void)
{
	char *p = mmap(NULL, 2 * UT_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p + UT_PAGE, UT_PAGE) != 0)
		return 0;
	memset(p, 0, UT_PAGE);
	hole = p + UT_PAGE;
	return 1;
}

/* Bad pointer of kind k for an object of `size` bytes. */
static void *bad(int k, size_t size)
{
	switch (k) {
	case 0:
		return NULL;
	case 1:
		return UT_KERNEL_ADDR;
	case 2:
		return (void *)0xffffffff80100000UL;
	case 3:
		return (void *)0x8000000000000000UL;
	default:
		return hole - (size / 2 & ~7UL); /* half in, half out */
	}
}

/* Want call(p) to fail with EFAULT for every kind of bad pointer from
 * `first` on. */
static int efault_each(const char *what, long (*call)(void *), size_t size,
		       int first)
{
	for (int k = first; k < KINDS; k++) {
		errno = 0;
		long r = call(bad(k, size));
		if (r != -1 || errno != EFAULT) {
			ut_fail("%s(%s) returned %ld (%s), expected EFAULT",
				what, kind_name[k], r, ut_errno_name(errno));
			return 0;
		}
	}
	return 1;
}

#define CHECK_EFAULT(what, call, size)                                         \
	do {                                                                   \
		if (!efault_each(what, call, size, 0))                         \
			return;                                                \
	} while (0)
/* For a pointer that may be NULL ("not given"): every other kind. */
#define CHECK_EFAULT_OPT(what, call, size)                                     \
	do {                                                                   \
		if (!efault_each(what, call, size, 1))                         \
			return;                                                \
	} while (0)

/* ---- calls, one per pointer argument -------------------------------- */

static long call_uname(void *p)
{
	return syscall(SYS_uname, p);
}

static long call_clock_gettime(void *p)
{
	return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p);
}

static long call_clock_getres(void *p)
{
	return syscall(SYS_clock_getres, CLOCK_MONOTONIC, p);
}

static long call_gettimeofday(void *p)
{
	return syscall(SYS_gettimeofday, p, NULL);
}

static long call_nanosleep(void *p)
{
	return syscall(SYS_nanosleep, p, NULL);
}

static long call_clock_nanosleep(void *p)
{
	long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL);
	return r;
}

static long call_getitimer(void *p)
{
	return syscall(SYS_getitimer, ITIMER_REAL, p);
}

static long call_setitimer(void *p)
{
	return syscall(SYS_setitimer, ITIMER_REAL, p, NULL);
}

static long call_sigaction_new(void *p)
{
	return syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8);
}

static long call_sigaction_old(void *p)
{
	return syscall(SYS_rt_sigaction, SIGUSR2, NULL, p, 8);
}

static long call_sigprocmask_new(void *p)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8);
}

static long call_sigprocmask_old(void *p)
{
	return syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8);
}

static long call_sigpending(void *p)
{
	return syscall(SYS_rt_sigpending, p, 8);
}

static long call_sigsuspend(void *p)
{
	return syscall(SYS_rt_sigsuspend, p, 8);
}

static long call_sigaltstack_new(void *p)
{
	return syscall(SYS_sigaltstack, p, NULL);
}

static long call_sigaltstack_old(void *p)
{
	return syscall(SYS_sigaltstack, NULL, p);
}

static long call_prlimit_new(void *p)
{
	return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, p, NULL);
}

static long call_prlimit_old(void *p)
{
	return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p);
}

static long call_getrlimit(void *p)
{
	return syscall(SYS_getrlimit, RLIMIT_NOFILE, p);
}

static long call_getaffinity(void *p)
{
	return syscall(SYS_sched_getaffinity, 0, 128, p);
}

static long call_setaffinity(void *p)
{
	return syscall(SYS_sched_setaffinity, 0, 8, p);
}

static long call_getcwd(void *p)
{
	return syscall(SYS_getcwd, p, 4096);
}

static long call_getcpu(void *p)
{
	return syscall(SYS_getcpu, p, NULL, NULL);
}

static long call_getresuid(void *p)
{
	return syscall(SYS_getresuid, p, p, p);
}

static long call_pipe2(void *p)
{
	return syscall(SYS_pipe2, p, 0);
}

static long call_futex_wait(void *p)
{
	return syscall(SYS_futex, p, 0 /* FUTEX_WAIT */, 0, NULL, NULL, 0);
}

static long call_futex_wake(void *p)
{
	return syscall(SYS_futex, p, 1 /* FUTEX_WAKE */, 1, NULL, NULL, 0);
}

static int futex_word;

static long call_futex_timeout(void *p)
{
	return syscall(SYS_futex, &futex_word, 0, 0, p, NULL, 0);
}

/* ---- cases ------------------------------------------------------------ */

static void write_bad(void)
{
	CHECK(make_hole());
	for (int k = 0; k < KINDS - 1; k++) {
		errno = 0;
		long r = syscall(SYS_write, 1, bad(k, 8), 8);
		if (r != -1 || errno != EFAULT) {
			ut_fail("write(%s) returned %ld (%s)", kind_name[k], r,
				ut_errno_name(errno));
			return;
		}
	}
	/* Half-mapped: a terminal or pipe takes nothing and says EFAULT, a
	 * file takes what is mapped and returns that short count. Only one
	 * byte, a newline, is mapped. */
	hole[-1] = '\n';
	long r = syscall(SYS_write, 1, hole - 1, 32);
	if (!(r == -1 && errno == EFAULT) && r != 1)
		ut_fail("write(half-mapped, 32) returned %ld (%s)", r,
			ut_errno_name(errno));
}

static void read_bad(void)
{
	CHECK(make_hole());
	/* the address is refused before the read could block */
	for (int k = 1; k < KINDS - 1; k++) {
		errno = 0;
		long r = syscall(SYS_read, 0, bad(k, 8), 8);
		if (r != -1 || errno != EFAULT) {
			ut_fail("read(0, %s) returned %ld (%s)", kind_name[k],
				r, ut_errno_name(errno));
			return;
		}
	}
}

static int fd_open(int fd)
{
	return syscall(SYS_fcntl, fd, F_GETFD) >= 0;
}

/* pipe2 makes both descriptors before it stores them: when the store
 * fails, Linux takes them back, so the next two are still free. */
static void pipe_bad(void)
{
	CHECK(make_hole());
	int fds[2];
	errno = 0;
	if (syscall(SYS_pipe2, fds, 0) != 0) {
		ut_fail("pipe2: %s (this case needs pipes)",
			ut_errno_name(errno));
		return;
	}
	int next = 0;
	while (fd_open(next))
		next++;
	CHECK(!fd_open(next + 1));
	CHECK_EFAULT("pipe2", call_pipe2, 8);
	CHECK(!fd_open(next));
	CHECK(!fd_open(next + 1));
	CHECK_EQ(write(fds[1], "0123456789abcdefghijklmnopqrstuv", 32), 32);
	for (int k = 0; k < KINDS; k++)
		CHECK_ERR(syscall(SYS_read, fds[0], bad(k, 32), 32), EFAULT);
	char buf[64];
	CHECK_EQ(read(fds[0], buf, sizeof(buf)), 32); /* nothing was lost */
	for (int k = 0; k < KINDS; k++)
		CHECK_ERR(syscall(SYS_write, fds[1], bad(k, 32), 32), EFAULT);
	close(fds[0]);
	close(fds[1]);
}

static void time_calls(void)
{
	CHECK(make_hole());
	CHECK_EFAULT("clock_gettime", call_clock_gettime, 16);
	CHECK_EFAULT_OPT("clock_getres", call_clock_getres, 16);
	CHECK_EFAULT_OPT("gettimeofday", call_gettimeofday, 16);
	CHECK_EFAULT("nanosleep", call_nanosleep, 16);
	CHECK_EFAULT("clock_nanosleep", call_clock_nanosleep, 16);
	CHECK_EFAULT("getitimer", call_getitimer, 32);
	CHECK_EFAULT_OPT("setitimer", call_setitimer, 32);
}

static void uname_bad(void)
{
	CHECK(make_hole());
	CHECK_EFAULT("uname", call_uname, sizeof(struct utsname));
}

static void getrandom_bad(void)
{
	CHECK(make_hole());
	for (int k = 0; k < KINDS - 1; k++)
		CHECK_ERR(syscall(SYS_getrandom, bad(k, 32), 32, 0), EFAULT);
	/* Linux 5.18 and later fill what is mapped and return its size;
	 * earlier kernels said EFAULT. */
	long r = syscall(SYS_getrandom, hole - 16, 32, 0);
	if (r != 16 && !(r == -1 && errno == EFAULT))
		ut_fail("getrandom(half-mapped, 32) returned %ld (%s)", r,
			ut_errno_name(errno));
}

static void signal_calls(void)
{
	CHECK(make_hole());
	struct sigaction before, after;
	sigaction(SIGUSR1, NULL, &before);
	CHECK_EFAULT_OPT("rt_sigaction new", call_sigaction_new, 32);
	sigaction(SIGUSR1, NULL, &after);
	CHECK(before.sa_handler == after.sa_handler);
	CHECK_EFAULT_OPT("rt_sigaction old", call_sigaction_old, 32);
	sigset_t mask_before, mask_after;
	sigprocmask(SIG_BLOCK, NULL, &mask_before);
	CHECK_EFAULT_OPT("rt_sigprocmask new", call_sigprocmask_new, 8);
	CHECK_EFAULT_OPT("rt_sigprocmask old", call_sigprocmask_old, 8);
	sigprocmask(SIG_BLOCK, NULL, &mask_after);
	CHECK(!memcmp(&mask_before, &mask_after, 8));
	CHECK_EFAULT("rt_sigpending", call_sigpending, 8);
	CHECK_EFAULT("rt_sigsuspend", call_sigsuspend, 8);
	CHECK_EFAULT_OPT("sigaltstack new", call_sigaltstack_new, 24);
	CHECK_EFAULT_OPT("sigaltstack old", call_sigaltstack_old, 24);
}

static void limit_calls(void)
{
	CHECK(make_hole());
	CHECK_EFAULT_OPT("prlimit64 new", call_prlimit_new, 16);
	CHECK_EFAULT_OPT("prlimit64 old", call_prlimit_old, 16);
	CHECK_EFAULT("getrlimit", call_getrlimit, 16);
	CHECK_EFAULT("sched_getaffinity", call_getaffinity, 8);
	CHECK_EFAULT("sched_setaffinity", call_setaffinity, 8);
	CHECK_EFAULT_OPT("getcpu", call_getcpu, 4);
	CHECK_EFAULT("getcwd", call_getcwd, 2);
	CHECK_EFAULT("getresuid", call_getresuid, 4);
}

/* wait4 and waitid reap the child first and then fail to store the
 * status: EFAULT, and the child is gone. waitid writes only the first
 * fields of the siginfo, so its half-mapped one is cut after 8 bytes. */
static void wait_calls(void)
{
	CHECK(make_hole());
	for (int what = 0; what < 3; what++) {
		for (int k = 1; k < KINDS; k++) {
			pid_t pid = fork();
			CHECK(pid >= 0);
			if (pid == 0)
				_exit(3);
			long r;
			if (what == 0)
				r = syscall(SYS_wait4, pid, bad(k, 4), 0, NULL);
			else if (what == 1)
				r = syscall(SYS_wait4, pid, NULL, 0,
					    bad(k, sizeof(struct rusage)));
			else
				r = syscall(SYS_waitid, P_PID, pid, bad(k, 16),
					    WEXITED, NULL);
			int err = errno;
			long again = waitpid(pid, NULL, WNOHANG);
			if (r != -1 || err != EFAULT || again != -1) {
				static const char *const names[] = {
				    "wait4 status", "wait4 rusage",
				    "waitid info"};
				ut_fail("%s(%s): returned %ld (%s), then "
					"waitpid %ld",
					names[what], kind_name[k], r,
					ut_errno_name(err), again);
				if (again == 0)
					ut_wait(pid);
				return;
			}
		}
	}
}

/* set_tid_address takes any pointer; the write at exit is dropped. */
static void set_tid_address_bad(void)
{
	CHECK(make_hole());
	for (int k = 0; k < KINDS; k++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			long tid = syscall(SYS_set_tid_address, bad(k, 4));
			syscall(SYS_exit, tid == syscall(SYS_gettid) ? 7 : 8);
		}
		int status = ut_wait(pid);
		if (status != 7 << 8) {
			char buf[32];
			ut_fail("%s: child ended with %s, expected exit 7",
				kind_name[k], ut_status(status, buf, 32));
			return;
		}
	}
}

/* The environment of an execve that should fail: if it runs the program
 * all the same, main sees the marker and exits 3. */
static char *exec_env[] = {"UTEST_EXECED=1", NULL};

static void exec_with(const char *path, char *const *argv, char *const *envp)
{
	errno = 0;
	long r = syscall(SYS_execve, path, argv, envp);
	if (r != -1 || errno != EFAULT)
		ut_fail("execve returned %ld (%s)", r, ut_errno_name(errno));
}

static void execve_child(void)
{
	CHECK(make_hole());
	char *argv[] = {(char *)ut_self, NULL};
	for (int k = 0; k < KINDS; k++) {
		/* a path with no end before the hole */
		memset(hole - 64, '/', 64);
		const char *path = k == KINDS - 1 ? hole - 64 : bad(k, 0);
		exec_with(path, argv, exec_env);
		CHECK(!ut_failed());
	}
	for (int k = 1; k < KINDS; k++) {
		exec_with(ut_self, bad(k, 16), exec_env);
		exec_with(ut_self, argv, bad(k, 16));
		char *bad_arg[] = {(char *)ut_self, bad(k, 0), NULL};
		exec_with(ut_self, bad_arg, exec_env);
		CHECK(!ut_failed());
	}
}

static void execve_bad(void)
{
	ut_in_child(execve_child);
}

static void futex_bad(void)
{
	CHECK(make_hole());
	CHECK_EFAULT("futex wait", call_futex_wait, 4);
	CHECK_EFAULT_OPT("futex wait timeout", call_futex_timeout, 16);
	/* waking needs no access to a private word, only a valid range */
	for (int k = 1; k < KINDS - 1; k++)
		CHECK_ERR(call_futex_wake(bad(k, 4)), EFAULT);
}

#ifdef SYS_arch_prctl
static long call_arch_prctl(void *p)
{
	return syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, p);
}

static void arch_prctl_bad(void)
{
	CHECK(make_hole());
	CHECK_EFAULT("arch_prctl", call_arch_prctl, 8);
}
#endif

static const struct ut_case cases[] = {
    UT_CASE(write_bad),
    UT_CASE(pipe_bad),
    UT_CASE(time_calls),
    UT_CASE(uname_bad),
    UT_CASE(getrandom_bad),
    UT_CASE(signal_calls),
    UT_CASE(limit_calls),
    UT_CASE(wait_calls),
    UT_CASE(set_tid_address_bad),
    UT_CASE(execve_bad),
    UT_CASE(futex_bad),
#ifdef SYS_arch_prctl
    UT_CASE(arch_prctl_bad),
#endif
    /* last: a kernel that blocks before checking the address hangs */
    UT_CASE(read_bad),
};

int main(int argc, char **argv)
{
	/* if a bad execve ran this program anyway, say so by the status */
	if (getenv("UTEST_EXECED"))
		return 3;
	for (int i = 1; i < argc; i++) {
		int known = 0;
		for (int c = 0; c < UT_COUNT(cases); c++)
			known |= !strcmp(argv[i], cases[c].name);
		if (!known)
			return 3;
	}
	return ut_main(argc, argv, "efault", cases, UT_COUNT(cases));
}
