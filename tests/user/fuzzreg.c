/*
 * fuzzreg: the kernel bugs the system-call fuzzer (fuzz.c) found, each
 * reduced to the calls that showed it. The seeds that found them run in
 * make test too (tests/run.py, FUZZ_REGRESSIONS); these cases say what
 * each bug was, and fail on a kernel that has it, without luck or timing.
 */
#include "utest.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLONE_SETTLS 0x80000

/* clone with CLONE_SETTLS and a TLS base outside user space: the kernel
 * loaded it into FS_BASE when the child first ran, and a non-canonical
 * value faulted in kernel mode (general protection, a panic). Linux
 * refuses it with EPERM, as arch_prctl(ARCH_SET_FS) does. */
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

static const struct ut_case cases[] = {
    UT_CASE(clone_bad_tls),
    UT_CASE(madvise_huge),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "fuzzreg", cases, UT_COUNT(cases));
}
