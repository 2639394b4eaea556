/*
 * persona: calls the kernel reflects to the personality
 * (docs/decisions/0006-reflection.md), seen from a program: a number
 * nothing implements fails with ENOSYS; uname keeps every register but
 * rax, rcx and r11, never touches the program's stack, and works from
 * many threads, from a forked child and from signal handlers that
 * interrupt it, and fails with EFAULT on a buffer it cannot write. The
 * last cases are lux-specific (they fail on Linux by design): a program
 * that unmaps the personality's stacks, jumps into its entry with garbage
 * or resumes a context block it forged (LUX_NR_RESUME) harms only
 * itself and gains nothing rt_sigreturn would not give it.
 */
#include "utest.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lux/persona_ctx.h>
#include <lux/proto.h>

#define NR_NOBODY 335 /* unassigned on x86_64 and arm64 Linux */
/* Markers uname_marked puts in two registers the call keeps. */
#define MARK1 0x1234567887654321L
#define MARK2 0x0badc0ffee15900dL

/* The platform's registers: uname_stackless, uname_marked, CTX_*,
 * resume_landing, check_landing_flags, forge_block, RESUME_BAD_PCS
 * (kernel/arch/<name>/uinclude/persona_arch.h). */
#include "persona_arch.h"

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
	struct utsname u;

	CHECK_EQ(uname_stackless(&u), 0);
	CHECK(!memcmp(&u, &want, sizeof(u)));
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

/* On lux only (a failure on Linux, by design): run child in a forked
 * process, which then exits 0, and reap it into *status; false, with
 * the failure recorded, when that cannot be done. */
static bool reap_child(void (*child)(void), int *status)
{
	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		child();
		_exit(0);
	}
	return EXPECT(pid > 0) && EXPECT_EQ(waitpid(pid, status, 0), pid);
}

/* A program that unmaps the personality's stacks is killed by SIGSEGV
 * at its next reflected call; nothing else is hurt. */
static void persona_unmapped(void)
{
	int status;

	if (!reap_child(unmapped_child, &status))
		return;
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

	if (!reap_child(jump_child, &status))
		return;
	CHECK(WIFSIGNALED(status));
	CHECK(uname_same());
}

/* A buffer the program cannot write: EFAULT from the personality's
 * checked copy, which recovers from the fault (the kernel resumes it at
 * its fixup); the personality keeps working. On lux the personality's own
 * image is such a buffer too. */
static void uname_readonly(void)
{
	char *ro =
	    mmap(NULL, UT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK_EQ(syscall(SYS_uname, &want), 0);
	CHECK(ro != MAP_FAILED);
	for (int i = 0; i < 3; i++) {
		CHECK_ERR(syscall(SYS_uname, ro), EFAULT);
		CHECK(uname_same());
	}
	munmap(ro, UT_PAGE);
	if (on_lux()) {
		CHECK_ERR(syscall(SYS_uname, LUX_PERSONA_BASE), EFAULT);
		CHECK(uname_same());
	}
}

/* This thread's context block (struct lux_persona_ctx): after a uname
 * made with markers in two registers, the slot whose block holds them
 * (probed through a pipe, which fails with EFAULT where nothing is
 * mapped). NULL if none. */
static struct lux_persona_ctx *find_ctx(void)
{
	struct lux_persona_ctx c;
	struct utsname u;
	int fds[2];

	if (uname_marked(&u) != 0 || pipe(fds) != 0)
		return NULL;
	for (long i = 0; i < 65536; i++) {
		struct lux_persona_ctx *p =
		    (struct lux_persona_ctx *)(LUX_PERSONA_STACKS_TOP -
					       i * LUX_PERSONA_SLOT) -
		    1;
		if (write(fds[1], p, sizeof(*p)) != sizeof(*p))
			continue;
		if (read(fds[0], &c, sizeof(c)) == sizeof(c) &&
		    c.CTX_M1 == MARK1 && c.CTX_M2 == MARK2) {
			close(fds[0]), close(fds[1]);
			return p;
		}
	}
	close(fds[0]), close(fds[1]);
	return NULL;
}

/* Where a forged resume lands: what it found, then resume_landed(). */
uint64_t land_rax, land_flags, land_cs, land_r12;
extern char resume_landing[];
static char land_stack[8192] __attribute__((aligned(16)));

void resume_landed(void);
void resume_landed(void)
{
	sigset_t set;

	CHECK_EQ(land_rax, 4242);
	CHECK_EQ(land_r12, 77);
	CHECK_EQ(land_cs & 3, 3); /* user mode */
	check_landing_flags(land_flags);
	CHECK_EQ(sigprocmask(SIG_BLOCK, NULL, &set), 0);
	CHECK(sigismember(&set, SIGUSR1));
	CHECK(!sigismember(&set, SIGKILL) && !sigismember(&set, SIGSTOP));
	_exit(ut_failed() ? 1 : 0);
}

/* LUX_NR_RESUME called by the program on a block it forged: it gets the
 * registers and the pc it asked for (as with rt_sigreturn), but never
 * kernel mode, I/O privilege, interrupts off or SIGKILL blocked. */
static void resume_forged_child(void)
{
	struct lux_persona_ctx *c = find_ctx();

	if (!c) {
		ut_fail("no context block holds this thread's registers");
		return;
	}
	c->CTX_PC = (uintptr_t)resume_landing;
	c->CTX_SP = (uintptr_t)(land_stack + sizeof(land_stack));
	c->CTX_M1 = 77;
	forge_block(c);
	c->mask = ~0ULL;
	syscall(LUX_NR_RESUME);
	ut_fail("LUX_NR_RESUME returned");
}

/* A forged block with a kernel or non-canonical pc: SIGSEGV; with a
 * non-canonical stack pointer: the program's first push faults (SIGSEGV,
 * or SIGBUS where the CPU reports #SS). The kernel lives on. */
static void resume_bad_pc_child(void)
{
	static const uint64_t pcs[] = RESUME_BAD_PCS;
	int status;

	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct lux_persona_ctx *c = find_ctx();
			if (c) {
				c->CTX_PC =
				    pcs[i] ? pcs[i] : (uintptr_t)resume_landing;
				c->CTX_SP =
				    pcs[i] ? c->CTX_SP : 0x0000900000000000UL;
				syscall(LUX_NR_RESUME);
			}
			_exit(2);
		}
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		if (sig != SIGSEGV && (pcs[i] || sig != SIGBUS))
			ut_fail("case %d: status 0x%x", i, status);
	}
	CHECK(uname_same());
}

static void resume_forged(void)
{
	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	ut_in_child(resume_forged_child);
}

static void resume_bad_pc(void)
{
	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	resume_bad_pc_child();
}

static void signal_unmapped_child(void)
{
	signal(SIGUSR1, on_usr1);
	CHECK(uname_same()); /* this thread's stack is mapped now */
	munmap((void *)LUX_PERSONA_STACKS,
	       LUX_PERSONA_STACKS_TOP - LUX_PERSONA_STACKS);
	raise(SIGUSR1);
	ut_fail("a handler ran without a personality stack");
}

/* A caught signal to a program that unmapped the personality's stacks:
 * the upcall cannot write its block and the process dies by SIGSEGV
 * (docs/decisions/0023-signal-upcall.md); nothing else is hurt. */
static void signal_unmapped(void)
{
	int status;

	if (!reap_child(signal_unmapped_child, &status))
		return;
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK(uname_same());
}

static void signal_forged_child(void)
{
	static struct lux_persona_sig s = {
	    .signo = SIGUSR1, .handler = 0x1000, .mask = ~0ULL};
	uint64_t entry;

	memcpy(&entry, (const char *)LUX_PERSONA_BASE + 24, sizeof(entry));
	CHECK(uname_same()); /* a context block to resume exists */
	((void (*)(long, void *))entry)(0, &s);
	_exit(0);
}

/* A program that enters the personality as the kernel does for a signal,
 * with a record it forged, only resumes its own last context or dies:
 * it stays killable, and the system is unharmed. */
static void signal_entry_forged(void)
{
	int status = 0;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	pid_t pid = fork();
	if (pid == 0)
		signal_forged_child();
	CHECK(pid > 0);
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		ut_sleep_ms(10);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) || WIFEXITED(status));
	CHECK(uname_same());
}

static const struct ut_case cases[] = {
    UT_CASE(nosys),
    UT_CASE(uname_regs),
    UT_CASE(uname_no_stack),
    UT_CASE(uname_readonly),
    UT_CASE(uname_threads),
    UT_CASE(uname_fork),
    UT_CASE(uname_signals),
    UT_CASE(persona_unmapped),
    UT_CASE(persona_jump),
    UT_CASE(resume_forged),
    UT_CASE(resume_bad_pc),
    UT_CASE(signal_unmapped),
    UT_CASE(signal_entry_forged),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "persona", cases, UT_COUNT(cases));
}
