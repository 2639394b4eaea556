/*
 * persona: calls the kernel reflects to the personality
 * (docs/decisions/0006-reflection.md), seen from a program: a number
 * nothing implements fails with ENOSYS; uname keeps every register but
 * rax, rcx and r11, never touches the program's stack, and works from
 * many threads, from a forked child and from signal handlers that
 * interrupt it. The last two cases are lux-specific (they fail on Linux
 * by design): a program that unmaps the personality's stacks or jumps
 * into its entry with garbage harms only itself.
 */
#include "utest.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lux/proto.h>

#define NR_NOBODY 335 /* unassigned on x86_64 and arm64 Linux */

static struct utsname want;

/* uname through the raw call, compared with the first answer. */
static int uname_same(void)
{
	struct utsname u;

	memset(&u, 0x5a, sizeof(u));
	return syscall(SYS_uname, &u) == 0 && !memcmp(&u, &want, sizeof(u));
}

static void nosys(void)
{
	CHECK_ERR(syscall(NR_NOBODY, 1, 2, 3, 4, 5, 6), ENOSYS);
	CHECK_ERR(syscall(NR_NOBODY), ENOSYS); /* named on the console once */
}

static void uname_regs(void)
{
	struct utsname u;

	CHECK_EQ(syscall(SYS_uname, &want), 0);
	for (uint64_t seed = 1; seed <= 4; seed++)
		CHECK(ut_syscall_keeps_regs(SYS_uname, (long)&u, 0, 0, seed));
	CHECK(!memcmp(&u, &want, sizeof(u)));
}

/* uname with the stack pointer at an unmapped page: a personality that
 * used the program's stack or red zone would fault. */
static void uname_no_stack_child(void)
{
#if defined(__x86_64__)
	struct utsname u;
	long r;

	__asm__ volatile("movq %%rsp, %%r12\n\t"
			 "movq $0x1000, %%rsp\n\t"
			 "syscall\n\t"
			 "movq %%r12, %%rsp"
			 : "=a"(r)
			 : "a"((long)SYS_uname), "D"(&u)
			 : "rcx", "r11", "r12", "memory");
	CHECK_EQ(r, 0);
	CHECK(!memcmp(&u, &want, sizeof(u)));
#else
	ut_fail("not written for this architecture");
#endif
}

static void uname_no_stack(void)
{
	CHECK_EQ(syscall(SYS_uname, &want), 0);
	ut_in_child(uname_no_stack_child);
}

#define THREADS 8

static void *uname_loop(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		if (!uname_same())
			return (void *)1;
	return NULL;
}

static void uname_threads(void)
{
	pthread_t t[THREADS];
	void *ret;

	CHECK_EQ(syscall(SYS_uname, &want), 0);
	for (int i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, uname_loop, (void *)300L),
			 0);
	CHECK_EQ(uname_loop((void *)300L), NULL);
	for (int i = 0; i < THREADS; i++) {
		CHECK_EQ(pthread_join(t[i], &ret), 0);
		CHECK_EQ(ret, NULL);
	}
}

static void uname_fork_child(void)
{
	pthread_t t;
	void *ret;

	/* the child's threads, too, get personality stacks of their own */
	CHECK_EQ(pthread_create(&t, NULL, uname_loop, (void *)200L), 0);
	CHECK_EQ(uname_loop((void *)200L), NULL);
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK_EQ(ret, NULL);
}

static void uname_fork(void)
{
	CHECK_EQ(syscall(SYS_uname, &want), 0);
	CHECK(uname_same()); /* the parent has a personality stack */
	pid_t pid = ut_spawn(uname_fork_child);
	CHECK(uname_loop((void *)200L) == NULL);
	ut_join(pid);
}

static volatile int handled, handler_bad;

static void on_usr1(int sig)
{
	(void)sig;
	if (!uname_same())
		handler_bad = 1;
	handled++;
}

static volatile int loop_done;

static void *uname_until_signalled(void *arg)
{
	(void)arg;
	long bad = 0;
	for (long i = 0; i < 200 || handled < 20; i++)
		bad += !uname_same();
	loop_done = 1;
	return (void *)bad;
}

/* Signals sent while a thread makes reflected calls: each handler runs
 * (on the program's stack, making a reflected call itself) and every
 * answer stays right. */
static void uname_signals(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	pthread_t t;
	void *ret;

	CHECK_EQ(syscall(SYS_uname, &want), 0);
	handled = handler_bad = loop_done = 0;
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK_EQ(pthread_create(&t, NULL, uname_until_signalled, NULL), 0);
	while (!loop_done) {
		pthread_kill(t, SIGUSR1);
		sched_yield();
	}
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK_EQ(ret, NULL);
	CHECK_EQ(handler_bad, 0);
	signal(SIGUSR1, SIG_DFL);
}

static int on_lux(void)
{
	return syscall(SYS_uname, &want) == 0 && !strcmp(want.sysname, "lux");
}

static void unmapped_child(void)
{
	CHECK(uname_same()); /* this thread's stack is mapped now */
	munmap((void *)LUX_PERSONA_STACKS,
	       LUX_PERSONA_STACKS_TOP - LUX_PERSONA_STACKS);
	syscall(SYS_uname, &want);
	ut_fail("uname returned without a personality stack");
}

/* A program that unmaps the personality's stacks is killed by SIGSEGV
 * at its next reflected call; nothing else is hurt. */
static void persona_unmapped(void)
{
	int status;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		unmapped_child();
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK(uname_same());
}

static void jump_child(void)
{
	uint64_t entry;

	/* the ELF header's e_entry, at offset 24 of the mapped image */
	memcpy(&entry, (const char *)LUX_PERSONA_BASE + 24, sizeof(entry));
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	((void (*)(long, long, long))entry)(SYS_uname, 12345, 0x10);
	_exit(0);
}

/* A program that calls the personality's entry itself, with a bogus
 * context: at worst it kills itself. */
static void persona_jump(void)
{
	int status;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		jump_child();
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK(uname_same());
}

/* The personality's checked copy (LUX_NR_UCOPY), called directly: bytes,
 * strings with their length, and EFAULT, ENAMETOOLONG, EINVAL for bad
 * input. Lux-specific (a native call). */
static void ucopy(void)
{
	char dst[16], *bad = (char *)8;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	memset(dst, 'x', sizeof(dst));
	CHECK_EQ(syscall(LUX_NR_UCOPY, dst, "abcd", 3, 0), 0);
	CHECK(!memcmp(dst, "abcx", 4));
	CHECK_EQ(
	    syscall(LUX_NR_UCOPY, dst, "hello", sizeof(dst), LUX_UCOPY_STR), 5);
	CHECK(!memcmp(dst, "hello\0x", 7)); /* nothing past the NUL */
	CHECK_ERR(syscall(LUX_NR_UCOPY, dst, "toolong", 7, LUX_UCOPY_STR),
		  ENAMETOOLONG);
	CHECK_ERR(syscall(LUX_NR_UCOPY, dst, bad, 4, LUX_UCOPY_STR), EFAULT);
	CHECK_ERR(syscall(LUX_NR_UCOPY, bad, "abc", 4, LUX_UCOPY_STR), EFAULT);
	CHECK_ERR(syscall(LUX_NR_UCOPY, dst, bad, 4, 0), EFAULT);
	CHECK_ERR(syscall(LUX_NR_UCOPY, dst, "abc", 4, 2), EINVAL);
}

static const struct ut_case cases[] = {
    UT_CASE(ucopy),         UT_CASE(nosys),
    UT_CASE(uname_regs),    UT_CASE(uname_no_stack),
    UT_CASE(uname_threads), UT_CASE(uname_fork),
    UT_CASE(uname_signals), UT_CASE(persona_unmapped),
    UT_CASE(persona_jump),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "persona", cases, UT_COUNT(cases));
}
