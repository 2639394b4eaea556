/*
 * fuzzreg: the kernel bugs the system-call fuzzer (fuzz.c) found, each
 * reduced to the calls that showed it. The seeds that found them run in
 * make test too (tests/run.py, FUZZ_REGRESSIONS); these cases say what
 * each bug was, and fail on a kernel that has it, without luck or timing.
 */
#include "utest.h"
#include "utest_arch.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_SETTLS 0x80000

#ifdef UT_TLS_MUST_BE_USER
/* clone with CLONE_SETTLS and a TLS base outside user space: the kernel
 * loaded it into FS_BASE when the child first ran, and a non-canonical
 * value faulted in kernel mode (general protection, a panic). Linux
 * refuses it with EPERM, as arch_prctl(ARCH_SET_FS) does. (x86_64's
 * argument order and segment base: arm64's TPIDR_EL0 takes any value.) */
static void clone_bad_tls(void)
{
	static const unsigned long bad[] = {
	    0x8000000000000000UL, 0x0000800000000000UL, 0xffff800000000000UL};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		long r =
		    syscall(SYS_clone, SIGCHLD | CLONE_SETTLS, 0, 0, 0, bad[i]);
		if (r == 0)
			_exit(0); /* a kernel that took it: the child */
		if (r > 0)
			ut_wait(r);
		CHECK_ERR(r, EPERM);
	}
}
#endif

/* Wait for a child that must end by itself; fail if it takes more than
 * `seconds` (far more than it needs: a kernel with the bug needs hours). */
static void join_within(pid_t pid, int seconds, const char *what)
{
	for (int i = 0; i < seconds * 10; i++) {
		int status;
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			return;
		}
		ut_sleep_ms(100);
	}
	kill(pid, SIGKILL);
	ut_fail("%s still running after %d s", what, seconds);
}

/* Map two pages at 16 TiB, where nothing else lies, and drop them with a
 * range of 16 TiB: 2^32 pages. */
static void madvise_all(void)
{
	char *p =
	    mmap((void *)(1UL << 44), 2 * UT_PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)(1UL << 44))
		_exit(2);
	p[0] = 1;
	long r = syscall(SYS_madvise, p, 1UL << 44, MADV_DONTNEED);
	_exit(r == -1 && errno == ENOMEM && p[0] == 0 ? 0 : 1);
}

/* madvise over a huge range: the kernel went page by page through all of
 * it (here 2^32 steps), holding the memory lock and deaf to SIGKILL. Linux answers at once, ENOMEM for the unmapped
 * part, having dropped the mapped pages. */
static void madvise_huge(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		madvise_all();
	join_within(pid, 60, "madvise of 16 TiB");
}

#define FRAME_ROUNDS 3000
static volatile int handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void on_alrm(int sig)
{
	(void)sig;
}

/* Each round's SIGUSR1 frame goes to an alternate stack whose pages were
 * just dropped, so writing it faults, while SIGALRM comes every ms. */
static void frames_that_fault(void)
{
	size_t size = 16 * UT_PAGE;
	char *alt = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = {.ss_sp = alt, .ss_size = size};
	struct sigaction usr = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	struct sigaction alrm = {.sa_handler = on_alrm};
	struct itimerval tick = {{0, 1000}, {0, 1000}};
	if (alt == MAP_FAILED || sigaltstack(&ss, NULL) ||
	    sigaction(SIGUSR1, &usr, NULL) || sigaction(SIGALRM, &alrm, NULL) ||
	    setitimer(ITIMER_REAL, &tick, NULL))
		_exit(2);
	for (int i = 0; i < FRAME_ROUNDS; i++) {
		madvise(alt, size, MADV_DONTNEED);
		syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1);
	}
	_exit(handled == FRAME_ROUNDS ? 0 : 1);
}

/* The kernel wrote a handler's frame holding the process's signal lock.
 * A fault on the frame's page enabled interrupts; the alarm's timer
 * firing then on the same CPU sent SIGALRM, spun on that lock with
 * interrupts masked, and the next TLB shootdown stopped every CPU (seed
 * 3 as root, child 35, found it). On a kernel with the bug this case
 * does not fail: the machine stops, and the boot's timeout fails. */
static void signal_frame_fault(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		frames_that_fault();
	join_within(pid, 120, "signal frames that fault");
}

/* An eventfd counter 16 short of its maximum, then a blocking write of
 * 100, which must wait for a read. The kernel's wait asked only for room
 * for 1, so it never slept and never looked at signals: the writer spun
 * in the kernel, and SIGKILL did not end it (seed 3 as root, child 53). */
static void eventfd_write_waits(void)
{
	int fd = eventfd(0, 0);
	uint64_t near_full = UINT64_MAX - 17, more = 100;
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, &near_full, 8), 8);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(write(fd, &more, 8) == 8 ? 3 : 4);
	ut_sleep_ms(200);
	int status;
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0); /* still waiting */
	kill(pid, SIGKILL);
	for (int i = 0; i < 600 && waitpid(pid, &status, WNOHANG) == 0; i++)
		ut_sleep_ms(100);
	close(fd);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		ut_fail("the writer survives SIGKILL for 60 s");
		return;
	}
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* fcntl with a descriptor whose register has high bits set: the kernel
 * found the file by the low 32 bits, then indexed the close-on-exec
 * bitmap with all 64 (a page fault in kernel mode, and F_SETFD wrote far
 * outside the table). Linux takes the low 32 bits, as C's int does. */
static void fcntl_wide_fd(void)
{
	static const unsigned long high[] = {1UL << 32, 0xffffffff00000000UL,
					     0x8000000000000000UL};
	int fd = dup(1);
	CHECK(fd >= 0);
	for (unsigned i = 0; i < sizeof(high) / sizeof(high[0]); i++) {
		CHECK_EQ(syscall(SYS_fcntl, high[i] | fd, F_SETFD, FD_CLOEXEC),
			 0);
		CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		CHECK_EQ(syscall(SYS_fcntl, high[i] | fd, F_SETFD, 0), 0);
		CHECK_EQ(syscall(SYS_fcntl, high[i] | fd, F_GETFD), 0);
	}
	close(fd);
}

static const struct ut_case cases[] = {
#ifdef UT_TLS_MUST_BE_USER
    UT_CASE(clone_bad_tls),
#endif
    UT_CASE(madvise_huge),        UT_CASE(signal_frame_fault),
    UT_CASE(eventfd_write_waits), UT_CASE(fcntl_wide_fd),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "fuzzreg", cases, UT_COUNT(cases));
}
