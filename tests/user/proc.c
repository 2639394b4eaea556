/*
 * proc: processes. fork with copy-on-write, vfork, execve with arguments,
 * environment and auxiliary vector, exit and wait statuses (wait4,
 * waitpid, waitid), process and thread ids, uname, getrandom, resource
 * limits, sched_yield, CPU affinity, nice values, user and group ids,
 * the core-dump bit, CLONE_PARENT, the parent-death signal and the child
 * subreaper.
 *
 * `proc exec-check ...` and `proc exec-exit N` are the modes the execve
 * cases start this same program in; they print nothing.
 */
#include "utest.h"
#include "utest_arch.h"

#include <limits.h>
#include <pthread.h>
#include <sys/prctl.h>

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXEC_OK 33 /* what exec-check exits with when all is well */

extern char **environ;

/* ---- fork and copy-on-write ----------------------------------------- */

#define COW_BIG (1 << 20)

static int cow_global = 1;
static volatile int *cow_stack;
static volatile char *cow_small, *cow_big;

/* The child must see the memory as it was at fork, then its own writes. */
static void cow_child(void)
{
	ut_sleep_ms(20); /* the parent usually writes its values first */
	CHECK_EQ(cow_global, 1);
	CHECK_EQ(*cow_stack, 10);
	CHECK_EQ(cow_small[99], 's');
	for (long i = 0; i < COW_BIG; i += UT_PAGE)
		CHECK_EQ(cow_big[i], 'b');
	cow_global = 2;
	*cow_stack = 20;
	cow_small[99] = 'c';
	for (long i = 0; i < COW_BIG; i += UT_PAGE)
		cow_big[i] = 'c';
	CHECK_EQ(cow_global, 2);
	CHECK_EQ(*cow_stack, 20);
	CHECK_EQ(cow_small[99], 'c');
	for (long i = 0; i < COW_BIG; i += UT_PAGE)
		CHECK_EQ(cow_big[i], 'c');
}

static void fork_cow(void)
{
	volatile int on_stack = 10;
	cow_stack = &on_stack;
	cow_small = malloc(100);
	cow_big = malloc(COW_BIG);
	CHECK(cow_small && cow_big);
	cow_global = 1;
	cow_small[99] = 's';
	for (long i = 0; i < COW_BIG; i += UT_PAGE)
		cow_big[i] = 'b';
	pid_t pid = ut_spawn(cow_child);
	cow_global = 3;
	on_stack = 30;
	cow_small[99] = 'p';
	for (long i = 0; i < COW_BIG; i += UT_PAGE)
		cow_big[i] = 'p';
	int child_ok = ut_join(pid);
	CHECK_EQ(cow_global, 3);
	CHECK_EQ(on_stack, 30);
	CHECK_EQ(cow_small[99], 'p');
	for (long i = 0; i < COW_BIG; i += UT_PAGE)
		CHECK_EQ(cow_big[i], 'p');
	free((void *)cow_small);
	free((void *)cow_big);
	CHECK(child_ok);
}

static pid_t ids_parent;

static void ids_child(void)
{
	CHECK(getpid() != ids_parent);
	CHECK_EQ(getppid(), ids_parent);
	CHECK_EQ(syscall(SYS_getpid), getpid());
	CHECK_EQ(syscall(SYS_gettid), getpid());
}

static void fork_ids(void)
{
	ids_parent = getpid();
	CHECK(ids_parent > 0);
	CHECK_EQ(syscall(SYS_getpid), ids_parent);
	CHECK_EQ(syscall(SYS_gettid), ids_parent);
	CHECK(getppid() >= 0);
	ut_in_child(ids_child);
}

/* ---- exit and wait statuses ----------------------------------------- */

static void exit_codes(void)
{
	static const int codes[] = {0, 1, 2, 42, 127, 128, 200, 255, 256, -1};
	for (int i = 0; i < UT_COUNT(codes); i++) {
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(codes[i]);
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status));
		CHECK_EQ(WEXITSTATUS(status), codes[i] & 0xff);
	}
}

static void wait_any(void)
{
	pid_t pids[3];
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(11 + i);
	}
	int seen = 0;
	for (int n = 0; n < 3; n++) {
		int status;
		pid_t got = wait(&status);
		CHECK(got > 0);
		int i = 0;
		while (i < 3 && pids[i] != got)
			i++;
		CHECK(i < 3 && !(seen & 1 << i));
		seen |= 1 << i;
		CHECK(WIFEXITED(status));
		CHECK_EQ(WEXITSTATUS(status), 11 + i);
	}
	CHECK_ERR(wait(NULL), ECHILD);
}

static void wait_echild(void)
{
	CHECK_ERR(wait(NULL), ECHILD);
	CHECK_ERR(waitpid(getpid(), NULL, 0), ECHILD);
	CHECK_ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
	if (getppid() > 0)
		CHECK_ERR(waitpid(getppid(), NULL, 0), ECHILD);
}

/* A child that sleeps until it is killed (or gives up after 10 s). */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		ut_sleep_ms(10000);
		_exit(99);
	}
	return pid;
}

static void wait_nohang(void)
{
	pid_t pid = sleeper();
	CHECK(pid > 0);
	int status = 12345;
	long got = waitpid(pid, &status, WNOHANG);
	kill(pid, SIGKILL);
	CHECK_EQ(got, 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGKILL);
	CHECK_ERR(waitpid(pid, &status, 0), ECHILD);
}

static void wait_signaled(void)
{
	static const int sigs[] = {SIGTERM, SIGKILL, SIGUSR2, SIGINT};
	for (int i = 0; i < UT_COUNT(sigs); i++) {
		pid_t pid = sleeper();
		CHECK(pid > 0);
		CHECK_EQ(kill(pid, sigs[i]), 0);
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status));
		CHECK_EQ(WTERMSIG(status), sigs[i]);
	}
}

static void wait4_rusage(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(5);
	struct rusage ru;
	int status;
	memset(&ru, 0xff, sizeof(ru));
	CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	CHECK(ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
}

static void waitid_exited(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(77);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_EXITED);
	memset(&si, 0, sizeof(si));
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_status, 77);
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED), ECHILD);
}

static void waitid_killed(void)
{
	pid_t pid = sleeper();
	CHECK(pid > 0);
	siginfo_t si;
	si.si_pid = 12345;
	long got = waitid(P_PID, pid, &si, WEXITED | WNOHANG);
	int nohang_pid = si.si_pid;
	kill(pid, SIGKILL);
	CHECK_EQ(got, 0);
	CHECK_EQ(nohang_pid, 0); /* Linux clears the siginfo */
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_status, SIGKILL);
}

static void waitid_stopped(void)
{
	pid_t pid = sleeper();
	CHECK(pid > 0);
	siginfo_t si;
	CHECK_EQ(kill(pid, SIGSTOP), 0);
	memset(&si, 0, sizeof(si));
	long got = waitid(P_PID, pid, &si, WSTOPPED);
	if (!EXPECT_EQ(got, 0) || !EXPECT_EQ(si.si_code, CLD_STOPPED) ||
	    !EXPECT_EQ(si.si_status, SIGSTOP)) {
		ut_kill(pid);
		return;
	}
	CHECK_EQ(kill(pid, SIGCONT), 0);
	memset(&si, 0, sizeof(si));
	got = waitid(P_PID, pid, &si, WCONTINUED);
	ut_kill(pid);
	CHECK_EQ(got, 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_code, CLD_CONTINUED);
	CHECK_EQ(si.si_status, SIGCONT);
}

/* ---- vfork and execve ----------------------------------------------- */

static volatile int vfork_value;
static char vfork_stack[16384] __attribute__((aligned(16)));

static int vfork_child(void *arg)
{
	(void)arg;
	/* The parent is suspended until we exit: it must not see the value
	 * before the write, however long we take. */
	struct timespec t = {0, 30000000};
	nanosleep(&t, NULL);
	vfork_value = 42;
	return 9;
}

/* What vfork is made of, CLONE_VM | CLONE_VFORK, through clone on a stack
 * of its own, so that it is the same call on every platform (musl's vfork
 * is a plain fork where Linux has no vfork number, as on arm64). */
static void vfork_shares(void)
{
	vfork_value = 0;
	pid_t pid = clone(vfork_child, vfork_stack + sizeof(vfork_stack),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	CHECK(pid > 0);
	CHECK_EQ(vfork_value, 42);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 9);
}

static void vfork_exec(void)
{
	char *argv[] = {(char *)ut_self, "exec-exit", "45", NULL};
	pid_t pid = vfork();
	if (pid == 0) {
		execve(ut_self, argv, environ);
		_exit(127);
	}
	CHECK(pid > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 45);
}

/* The checks exec-check makes, in order; it exits 10 + the index of the
 * first that fails, else EXEC_OK. */
static const char *const exec_checks[] = {
    "argc is 6",
    "argv[2..4] are \"a b\", \"\", \"third\" and argv[6] is NULL",
    "the pid is the one before execve",
    "environ is exactly UTEST_A=1, UTEST_B=x=y",
    "auxv AT_PAGESZ is 4096",
    "auxv AT_RANDOM, AT_PHDR, AT_ENTRY are set",
    "auxv AT_UID, AT_EUID, AT_GID, AT_EGID match the ids",
    "SIGUSR1 with a handler before execve is SIG_DFL after",
    "SIGUSR2 ignored before execve is still ignored",
    "the signal mask (SIGHUP blocked) is kept",
};

static int exec_check(int argc, char **argv)
{
	int ok[UT_COUNT(exec_checks)];
	ok[0] = argc == 6;
	ok[1] = argc >= 5 && !strcmp(argv[2], "a b") && !argv[3][0] &&
		!strcmp(argv[4], "third") && !argv[argc];
	ok[2] = argc == 6 && getpid() == atoi(argv[5]);
	ok[3] = environ[0] && !strcmp(environ[0], "UTEST_A=1") && environ[1] &&
		!strcmp(environ[1], "UTEST_B=x=y") && !environ[2];
	ok[4] = getauxval(AT_PAGESZ) == 4096;
	ok[5] =
	    getauxval(AT_RANDOM) && getauxval(AT_PHDR) && getauxval(AT_ENTRY);
	ok[6] =
	    getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
	    getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid();
	struct sigaction sa1, sa2;
	sigset_t mask;
	ok[7] = !sigaction(SIGUSR1, NULL, &sa1) && sa1.sa_handler == SIG_DFL;
	ok[8] = !sigaction(SIGUSR2, NULL, &sa2) && sa2.sa_handler == SIG_IGN;
	ok[9] = !sigprocmask(SIG_BLOCK, NULL, &mask) &&
		sigismember(&mask, SIGHUP) && !sigismember(&mask, SIGUSR1);
	for (int i = 0; i < UT_COUNT(exec_checks); i++)
		if (!ok[i])
			return 10 + i;
	return EXEC_OK;
}

static void exec_handler(int sig)
{
	(void)sig;
}

/* In the child: set up signal state, then execve into exec-check. */
static void exec_child(void)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", getpid());
	char *argv[] = {(char *)ut_self, "exec-check", "a b", "",
			"third",         pid,          NULL};
	char *envp[] = {"UTEST_A=1", "UTEST_B=x=y", NULL};
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	signal(SIGUSR1, exec_handler);
	signal(SIGUSR2, SIG_IGN);
	sigprocmask(SIG_BLOCK, &block, NULL);
	execve(ut_self, argv, envp);
	_exit(127);
}

static void execve_args(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exec_child();
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	int code = WEXITSTATUS(status);
	if (code >= 10 && code < 10 + UT_COUNT(exec_checks)) {
		ut_fail("after execve, not true: %s", exec_checks[code - 10]);
		return;
	}
	CHECK_EQ(code, EXEC_OK);
}

static void execve_fails(void)
{
	char *argv[] = {"nothing", NULL};
	CHECK_ERR(execve("/tests/no-such-program", argv, environ), ENOENT);
	CHECK_ERR(execve("", argv, environ), ENOENT);
}

static void execve_enoent(void)
{
	ut_in_child(execve_fails);
}

/* ---- identity and system information -------------------------------- */

static void uname_sysname(void)
{
	struct utsname u;
	CHECK_EQ(uname(&u), 0);
	if (strcmp(u.sysname, "lux") != 0)
		ut_fail("sysname is \"%s\", expected \"lux\" (lux-specific: "
			"fails on Linux by design)",
			u.sysname);
}

static void uname_fields(void)
{
	struct utsname u;
	memset(&u, 'x', sizeof(u));
	CHECK_EQ(uname(&u), 0);
	CHECK(memchr(u.sysname, 0, sizeof(u.sysname)));
	CHECK(memchr(u.nodename, 0, sizeof(u.nodename)));
	CHECK(memchr(u.release, 0, sizeof(u.release)));
	CHECK(memchr(u.version, 0, sizeof(u.version)));
	CHECK(memchr(u.machine, 0, sizeof(u.machine)));
	CHECK(u.sysname[0] && u.release[0] && u.version[0]);
	/* programs check the Linux ABI level (glibc refuses below 3.2) */
	unsigned major = 0, minor = 0;
	CHECK_EQ(sscanf(u.release, "%u.%u", &major, &minor), 2);
	CHECK(major > 3 || (major == 3 && minor >= 2));
	CHECK(!strcmp(u.machine, UT_MACHINE));
}

/* Unimplemented numbers, each called many times by several processes,
 * fail with ENOSYS; the kernel logs each once per boot (the host harness
 * checks the console holds no such line twice). */
static void enosys_child(void)
{
	static const long nrs[] = {500, 1024 + 14, 100000, 0x7fffffff};
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < UT_COUNT(nrs); k++)
			CHECK_ERR(syscall(nrs[k], 0, 0, 0, 0, 0, 0), ENOSYS);
}

static void enosys_once(void)
{
	for (int i = 0; i < 3; i++)
		CHECK(ut_in_child(enosys_child));
}

/* Long lines written in pieces while another process makes the kernel
 * log 100 lines (100 unimplemented numbers, each logged once per boot):
 * no line may cut another. The host harness checks the console: every
 * kernel line starts a line, every "klog-line" is whole. */
#define KLOG_LINES 100

static void klog_child(void)
{
	for (long nr = 600; nr < 700; nr++) {
		CHECK_ERR(syscall(nr, 0, 0, 0, 0, 0, 0), ENOSYS);
		sched_yield(); /* between the parent's pieces */
	}
}

static void klog_lines(void)
{
	char line[200];
	pid_t pid = ut_spawn(klog_child);
	for (int i = 0; i < KLOG_LINES; i++) {
		int n = snprintf(line, sizeof(line), "klog-line %03d ", i);
		memset(line + n, 'x', 120);
		memcpy(line + n + 120, " end\n", 5);
		size_t len = n + 125, third = len / 3;
		CHECK_EQ(write(1, line, third), third);
		sched_yield();
		CHECK_EQ(write(1, line + third, third), third);
		sched_yield();
		CHECK_EQ(write(1, line + 2 * third, len - 2 * third),
			 len - 2 * third);
	}
	CHECK(ut_join(pid));
}

static void random_bytes(void)
{
	unsigned char a[256], b[256], zero[256] = {0};
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	CHECK_EQ(getrandom(a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(getrandom(b, sizeof(b), GRND_NONBLOCK), sizeof(b));
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_EQ(getrandom(a, 0, 0), 0);
	CHECK_ERR(getrandom(a, 16, 0x80), EINVAL);
	/* 256 bytes taken one at a time are not all equal either */
	for (int i = 0; i < 256; i++)
		CHECK_EQ(syscall(SYS_getrandom, &a[i], 1, 0), 1);
	int same = 1;
	for (int i = 1; i < 256; i++)
		same &= a[i] == a[0];
	CHECK(!same);
}

static void limits_child(void)
{
	struct rlimit old, now, set = {64, 100};
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK(old.rlim_cur >= 3 && old.rlim_cur <= old.rlim_max);
	CHECK(old.rlim_max >= 100);
	CHECK_EQ(prlimit(0, RLIMIT_NOFILE, &set, &now), 0);
	CHECK_EQ(now.rlim_cur, old.rlim_cur);
	CHECK_EQ(now.rlim_max, old.rlim_max);
	CHECK_EQ(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &now),
		 0);
	CHECK_EQ(now.rlim_cur, 64);
	CHECK_EQ(now.rlim_max, 100);
	set.rlim_cur = 200; /* soft above hard */
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &set), EINVAL);
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
	CHECK_EQ(now.rlim_cur, 64);
}

static void rlimits(void)
{
	struct rlimit r;
	CHECK_EQ(getrlimit(RLIMIT_STACK, &r), 0);
	CHECK(r.rlim_cur > 0 && r.rlim_cur <= r.rlim_max);
	CHECK_EQ(getrlimit(RLIMIT_AS, &r), 0);
	CHECK(r.rlim_cur <= r.rlim_max);
	CHECK_ERR(getrlimit(999, &r), EINVAL);
	CHECK_ERR(syscall(SYS_prlimit64, 0, 999, NULL, &r), EINVAL);
	ut_in_child(limits_child);
}

static void yield(void)
{
	for (int i = 0; i < 100; i++)
		CHECK_EQ(sched_yield(), 0);
}

static void affinity_child(void)
{
	cpu_set_t all, one, now;
	CHECK_EQ(sched_getaffinity(0, sizeof(all), &all), 0);
	int ncpu = CPU_COUNT(&all);
	CHECK(ncpu >= 1);
	long size = syscall(SYS_sched_getaffinity, 0, sizeof(all), &now);
	CHECK(size >= 8 && size % 8 == 0 && size <= (long)sizeof(all));
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &now), EINVAL);
	CPU_ZERO(&one);
	CHECK_ERR(sched_setaffinity(0, sizeof(one), &one), EINVAL);
	for (int cpu = 0, seen = 0; seen < ncpu && seen < 8; cpu++) {
		if (!CPU_ISSET(cpu, &all))
			continue;
		seen++;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		CHECK_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
		CHECK_EQ(sched_getaffinity(0, sizeof(now), &now), 0);
		CHECK(CPU_EQUAL(&now, &one));
		/* once the call returns, the thread runs on that CPU */
		unsigned int on = ~0u;
		CHECK_EQ(syscall(SYS_getcpu, &on, NULL, NULL), 0);
		CHECK_EQ(on, cpu);
		sched_yield();
		CHECK_EQ(syscall(SYS_getcpu, &on, NULL, NULL), 0);
		CHECK_EQ(on, cpu);
	}
	CHECK_EQ(sched_setaffinity(0, sizeof(all), &all), 0);
}

static void affinity(void)
{
	ut_in_child(affinity_child);
}

static void priority_child(void)
{
	errno = 0;
	int nice0 = getpriority(PRIO_PROCESS, 0);
	CHECK_EQ(errno, 0);
	CHECK(nice0 >= -20 && nice0 <= 19);
	/* the raw call returns 20 - nice, so that it is never negative */
	CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20 - nice0);
	int want = nice0 + 5 > 19 ? 19 : nice0 + 5;
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, want), 0);
	errno = 0;
	CHECK_EQ(getpriority(PRIO_PROCESS, getpid()), want);
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 100), 0); /* clamped */
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
	CHECK_ERR(getpriority(42, 0), EINVAL);
	/* another process's: anyone may read it; no such process ESRCH */
	int fds[2];
	char c;
	CHECK_EQ(pipe(fds), 0);
	pid_t child = fork();
	if (child == 0) { /* it inherits the nice value (19) */
		int inherited = getpriority(PRIO_PROCESS, 0) == 19;
		setpriority(PRIO_PROCESS, 0, 17);
		write(fds[1], inherited ? "x" : "n", 1);
		pause();
		_exit(0);
	}
	CHECK(child > 0);
	CHECK_EQ(read(fds[0], &c, 1), 1);
	close(fds[0]);
	close(fds[1]);
	CHECK_EQ(c, 'x');
	CHECK_EQ(getpriority(PRIO_PROCESS, child), 17);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CHECK_ERR(getpriority(PRIO_PROCESS, child), ESRCH);
	CHECK_ERR(getpriority(PRIO_PROCESS, INT_MAX), ESRCH);
	CHECK_ERR(getpriority(PRIO_PROCESS, -1), ESRCH);
}

/* set_robust_list takes Linux's 24-byte head only (musl's threads
 * register theirs); an empty list (next pointing to the head itself). */
static void robust_list_child(void)
{
	static long head[3];
	head[0] = (long)head;
	CHECK_ERR(syscall(SYS_set_robust_list, head, 23), EINVAL);
	CHECK_ERR(syscall(SYS_set_robust_list, head, 48), EINVAL);
	CHECK_EQ(syscall(SYS_set_robust_list, head, 24), 0);
}

static void robust_list(void)
{
	ut_in_child(robust_list_child);
}

static void priority(void)
{
	ut_in_child(priority_child);
}

static void ids(void)
{
	CHECK_EQ(getuid(), syscall(SYS_getuid));
	CHECK_EQ(geteuid(), syscall(SYS_geteuid));
	CHECK_EQ(getgid(), syscall(SYS_getgid));
	CHECK_EQ(getegid(), syscall(SYS_getegid));
	uid_t r, e, s;
	CHECK_EQ(getresuid(&r, &e, &s), 0);
	CHECK(r == getuid() && e == geteuid());
	gid_t gr, ge, gs;
	CHECK_EQ(getresgid(&gr, &ge, &gs), 0);
	CHECK(gr == getgid() && ge == getegid());
	CHECK(getgroups(0, NULL) >= 0);
	CHECK_EQ(setuid(geteuid()), 0);
	CHECK_EQ(setgid(getegid()), 0);
	CHECK_EQ(geteuid(), e);
}

/* The raw getrlimit and setrlimit (musl's wrappers use prlimit64): the
 * same limits as prlimit64; setrlimit reads its buffer first (EFAULT
 * before EINVAL, as Linux), getrlimit checks the resource first. */
static void rlimit_raw_child(void)
{
	struct rlimit old, r, now;

	CHECK_EQ(syscall(SYS_getrlimit, RLIMIT_NOFILE, &old), 0);
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &now), 0);
	CHECK(old.rlim_cur == now.rlim_cur && old.rlim_max == now.rlim_max);
	r = (struct rlimit){old.rlim_cur / 2, old.rlim_max};
	CHECK_EQ(syscall(SYS_setrlimit, RLIMIT_NOFILE, &r), 0);
	CHECK_EQ(syscall(SYS_getrlimit, RLIMIT_NOFILE, &now), 0);
	CHECK(now.rlim_cur == r.rlim_cur && now.rlim_max == r.rlim_max);
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_setrlimit, 999, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_setrlimit, 999, &r), EINVAL);
	CHECK_ERR(syscall(SYS_getrlimit, 999, &r), EINVAL);
	r = (struct rlimit){old.rlim_max, old.rlim_cur / 2};
	CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, &r), EINVAL);
}

static void rlimit_raw(void)
{
	ut_in_child(rlimit_raw_child);
}

/* setfsuid and setfsgid with -1 or the current id change nothing and
 * return the file-system id, which is the effective one. */
static void fs_ids(void)
{
	CHECK_EQ(syscall(SYS_setfsuid, -1), geteuid());
	CHECK_EQ(syscall(SYS_setfsgid, -1), getegid());
	CHECK_EQ(syscall(SYS_setfsuid, geteuid()), geteuid());
	CHECK_EQ(syscall(SYS_setfsgid, getegid()), getegid());
}

static void *name_thread(void *arg)
{
	char name[16] = "";

	(void)arg;
	prctl(PR_GET_NAME, name);
	return strcmp(name, "a-rather-long-n") ? (void *)1 : NULL;
}

/* prctl's thread names: cut at 15 bytes, inherited by a new thread,
 * EFAULT for a bad pointer either way, EINVAL for another option. */
static void prctl_child(void)
{
	char name[32];
	pthread_t t;
	void *ret;

	memset(name, 'x', sizeof(name));
	CHECK_EQ(prctl(PR_SET_NAME, "a-rather-long-name"), 0);
	CHECK_EQ(prctl(PR_GET_NAME, name), 0);
	CHECK(!strcmp(name, "a-rather-long-n") && name[16] == 'x');
	CHECK_EQ(pthread_create(&t, NULL, name_thread, NULL), 0);
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK_EQ(ret, NULL);
	CHECK_ERR(prctl(PR_SET_NAME, (char *)8), EFAULT);
	CHECK_ERR(prctl(PR_GET_NAME, (char *)8), EFAULT);
	CHECK_ERR(prctl(0x7fff1234, 0), EINVAL);
	CHECK_EQ(prctl(PR_GET_NAME, name), 0);
	CHECK(!strcmp(name, "a-rather-long-n"));
}

static void prctl_names(void)
{
	ut_in_child(prctl_child);
}

/* ---- core-dump bit, CLONE_PARENT, parent-death signal, subreaper ---- */

/* Wait for a child that sets RLIMIT_CORE to core bytes and aborts, in the
 * scratch directory dir (Linux writes its core file there): its wait
 * status, with waitid's si_code in *code. */
static int abort_with_core(const char *dir, long core, int *code)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = {core, core};
		if (chdir(dir) < 0 || setrlimit(RLIMIT_CORE, &rl) < 0)
			_exit(1);
		signal(SIGABRT, SIG_DFL);
		raise(SIGABRT);
		_exit(2);
	}
	siginfo_t si = {0};
	if (pid < 0 || waitid(P_PID, pid, &si, WEXITED | WNOWAIT) < 0)
		return -1;
	*code = si.si_code;
	return ut_wait(pid);
}

/* The wait status's core-dump bit (0x80, WCOREDUMP) and waitid's
 * CLD_DUMPED: set for a signal whose default action dumps core, unless
 * RLIMIT_CORE is 0 (then CLD_KILLED, as Linux); lux writes no core
 * file, Linux may (removed here). */
static void core_dump_bit(void)
{
	char dir[] = "/tmp/utest-core.XXXXXX";
	int code = 0;
	CHECK(mkdtemp(dir) != NULL);
	int st = abort_with_core(dir, 0, &code);
	int st2 = 0, code2 = 0;
	if (st >= 0)
		st2 = abort_with_core(dir, 64 << 20, &code2);
	char path[64];
	snprintf(path, sizeof(path), "%s/core", dir);
	unlink(path);
	rmdir(dir); /* fails if Linux named its core file otherwise: kept */
	CHECK(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	CHECK(!WCOREDUMP(st));
	CHECK_EQ(code, CLD_KILLED);
	CHECK(WIFSIGNALED(st2) && WTERMSIG(st2) == SIGABRT);
	CHECK(WCOREDUMP(st2));
	CHECK_EQ(code2, CLD_DUMPED);
}

/* CLONE_PARENT: the new process is the caller's sibling, a child of the
 * caller's parent (which waits for it); the caller cannot. */
static void clone_parent(void)
{
	int p[2];
	pid_t self = getpid(), g = -1;
	CHECK_EQ(pipe(p), 0);
	pid_t mid = fork();
	if (mid == 0) {
		long r = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (r == 0)
			_exit(getppid() == self ? 7 : 8);
		int gpid = (int)r;
		int ok = write(p[1], &gpid, sizeof(gpid)) == sizeof(gpid);
		_exit(ok && r > 0 && waitpid(gpid, NULL, 0) < 0 &&
			      errno == ECHILD
			  ? 0
			  : 1);
	}
	close(p[1]);
	CHECK(mid > 0);
	CHECK_EQ(read(p[0], &g, sizeof(g)), (long)sizeof(g));
	close(p[0]);
	int st = ut_wait(mid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = ut_wait(g);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 7);
}

/* The grandchild of pdeath_subreaper: asks for SIGUSR1 at its parent's
 * death, checks that a fork child does not inherit it, says it is ready
 * and waits for the signal; then its parent must be the subreaper top.
 * Exits 0 when all held, else the number of the check that failed. */
static int pdeath_grandchild(int ready, pid_t top)
{
	sigset_t usr1;
	int sig = 0;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR1) < 0)
		return 2;
	if (prctl(PR_GET_PDEATHSIG, &sig) < 0 || sig != SIGUSR1)
		return 3;
	pid_t d = fork();
	if (d == 0)
		_exit(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == 0 ? 0 : 1);
	int st = ut_wait(d);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return 4;
	if (write(ready, "r", 1) != 1)
		return 5;
	struct timespec limit = {20, 0};
	if (sigtimedwait(&usr1, NULL, &limit) != SIGUSR1)
		return 6;
	return getppid() == top ? 0 : 7;
}

/* PR_SET_PDEATHSIG and PR_SET_CHILD_SUBREAPER: a grandchild's parent
 * exits; the grandchild gets its signal and is reparented to this
 * process (a subreaper), which waits for it. */
static void pdeath_subreaper(void)
{
	int p[2], on = 0;
	pid_t top = getpid();
	CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65), EINVAL);
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &on), 0);
	CHECK_EQ(on, 1);
	CHECK_EQ(pipe(p), 0);
	pid_t mid = fork();
	if (mid == 0) {
		pid_t c = fork();
		if (c == 0)
			_exit(pdeath_grandchild(p[1], top));
		char b;
		_exit(c > 0 && read(p[0], &b, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	close(p[1]);
	int st = ut_wait(mid), st2;
	pid_t c = waitpid(-1, &st2, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(c > 0 && c != mid);
	CHECK(WIFEXITED(st2));
	CHECK_EQ(WEXITSTATUS(st2), 0);
	CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &on), 0);
	CHECK_EQ(on, 0);
}

static const struct ut_case cases[] = {
    UT_CASE(rlimit_raw),    UT_CASE(fs_ids),
    UT_CASE(prctl_names),   UT_CASE(fork_cow),
    UT_CASE(fork_ids),      UT_CASE(exit_codes),
    UT_CASE(wait_any),      UT_CASE(wait_echild),
    UT_CASE(wait_nohang),   UT_CASE(wait_signaled),
    UT_CASE(wait4_rusage),  UT_CASE(waitid_exited),
    UT_CASE(waitid_killed), UT_CASE(waitid_stopped),
    UT_CASE(vfork_shares),  UT_CASE(vfork_exec),
    UT_CASE(execve_args),   UT_CASE(execve_enoent),
    UT_CASE(uname_sysname), UT_CASE(uname_fields),
    UT_CASE(random_bytes),  UT_CASE(enosys_once),
    UT_CASE(klog_lines),    UT_CASE(rlimits),
    UT_CASE(yield),         UT_CASE(affinity),
    UT_CASE(priority),      UT_CASE(robust_list),
    UT_CASE(ids),           UT_CASE(core_dump_bit),
    UT_CASE(clone_parent),  UT_CASE(pdeath_subreaper),
};

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "exec-check"))
		return exec_check(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "exec-exit"))
		return atoi(argv[2]);
	return ut_main(argc, argv, "proc", cases, UT_COUNT(cases));
}
