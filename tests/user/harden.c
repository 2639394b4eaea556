/*
 * harden: the protections a process meets from user space: W^X (lux
 * refuses memory both writable and executable, docs/syscalls.md: mmap and
 * mprotect fail with EACCES) and the guard below the stack (an overflow
 * ends in SIGSEGV, not in other memory). The wx_* cases are lux-specific:
 * Linux allows W+X mappings, so they fail there by design.
 */
#include "utest.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* mmap of PROT_WRITE|PROT_EXEC is refused, alone or with PROT_READ. */
static void wx_mmap(void)
{
	void *p = (void *)syscall(SYS_mmap, 0, UT_PAGE,
				  PROT_READ | PROT_WRITE | PROT_EXEC,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_ERR(p, EACCES);
	p = (void *)syscall(SYS_mmap, 0, UT_PAGE, PROT_WRITE | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_ERR(p, EACCES);
}

/* mprotect to W+X is refused and changes nothing; W then X works. */
static void wx_mprotect(void)
{
	char *p = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	p[0] = (char)0xc3; /* x86 ret */
	CHECK_ERR(syscall(SYS_mprotect, p, UT_PAGE,
			  PROT_READ | PROT_WRITE | PROT_EXEC),
		  EACCES);
	p[1] = 1; /* still writable */
	CHECK_EQ(mprotect(p, UT_PAGE, PROT_READ | PROT_EXEC), 0);
	CHECK_ERR(syscall(SYS_mprotect, p, UT_PAGE, PROT_WRITE | PROT_EXEC),
		  EACCES);
	munmap(p, UT_PAGE);
}

static int recurse(volatile char *prev, int depth)
{
	volatile char frame[4096];

	frame[0] = prev ? prev[0] + 1 : 0;
	if (depth == 0) /* never: the stack ends long before */
		return frame[0];
	return recurse(frame, depth - 1) + frame[4095];
}

/* Unbounded recursion ends in SIGSEGV at the stack's end. */
static void stack_overflow(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		_exit(recurse(NULL, 1 << 30));
	}
	CHECK(pid > 0);
	int status = ut_wait(pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGSEGV);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(wx_mmap),
	    UT_CASE(wx_mprotect),
	    UT_CASE(stack_overflow),
	};
	return ut_main(argc, argv, "harden", cases, UT_COUNT(cases));
}
