/*
 * pgrp: job control. Sessions and process groups (setsid, setpgid,
 * getpgid, getsid, getpgrp) with Linux's error rules, signals to a group
 * (kill(0, ...) and kill(-pgrp, ...)) and waiting for a group's children
 * (wait4 with 0 or -pgrp, waitid with P_PGID).
 *
 * `pgrp sleeper` is the mode the exec case starts this program in: it
 * writes one byte to stdout, then waits for stdin to close.
 */
#include "utest.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NO_SUCH_ID 0x3ffffff0 /* above any pid Linux or lux hands out */

/* A child that waits (at most 10 s) for its release pipe to close, then
 * exits with status code. */
static pid_t spawn_waiting(int release[2], int code)
{
	pid_t pid = fork();
	char c;

	if (pid == 0) {
		close(release[1]);
		alarm(10);
		while (read(release[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(code);
	}
	return pid;
}

static void ids_of_self(void)
{
	CHECK(getpgrp() > 0);
	CHECK_EQ(getpgid(0), getpgrp());
	CHECK_EQ(getpgid(getpid()), getpgrp());
	CHECK_EQ(syscall(SYS_getpgid, 0), getpgrp());
	CHECK(getsid(0) > 0);
	CHECK_EQ(getsid(getpid()), getsid(0));
	CHECK_ERR(getpgid(NO_SUCH_ID), ESRCH);
	CHECK_ERR(getsid(NO_SUCH_ID), ESRCH);
	CHECK_ERR(getpgid(-1), ESRCH);
}

/* A fork inherits its parent's group and session. */
static void ids_inherited(void)
{
	int rel[2];
	CHECK(pipe(rel) == 0);
	pid_t pid = spawn_waiting(rel, 0);
	CHECK(pid > 0);
	close(rel[0]);
	EXPECT_EQ(getpgid(pid), getpgrp());
	EXPECT_EQ(getsid(pid), getsid(0));
	close(rel[1]);
	CHECK_EQ(ut_wait(pid), 0);
}

static void setsid_child(void)
{
	pid_t me = getpid();
	CHECK(getsid(0) != me);
	CHECK_EQ(setsid(), me);
	CHECK_EQ(getsid(0), me);
	CHECK_EQ(getpgrp(), me);
	CHECK_ERR(setsid(), EPERM);              /* it leads a group now */
	CHECK_ERR(setpgid(0, 0), EPERM);         /* a session leader stays */
	CHECK_ERR(setpgid(0, getppid()), EPERM); /* other session */
}

static void setsid_new_session(void)
{
	ut_in_child(setsid_child);
}

static void setsid_leader_child(void)
{
	CHECK_EQ(setpgid(0, 0), 0);
	CHECK_EQ(getpgrp(), getpid());
	CHECK_ERR(setsid(), EPERM);
}

static void setsid_group_leader(void)
{
	ut_in_child(setsid_leader_child);
}

static void setpgid_child(void)
{
	int rel[2];
	CHECK(pipe(rel) == 0);
	pid_t pid = spawn_waiting(rel, 0);
	CHECK(pid > 0);
	close(rel[0]);
	EXPECT_EQ(setpgid(pid, pid), 0);
	EXPECT_EQ(getpgid(pid), pid);
	EXPECT_EQ(getsid(pid), getsid(0));
	EXPECT_EQ(setpgid(pid, getpgrp()), 0); /* back again */
	EXPECT_EQ(getpgid(pid), getpgrp());
	EXPECT_EQ(setpgid(pid, 0), 0); /* 0: its own pid */
	EXPECT_EQ(getpgid(pid), pid);
	EXPECT_EQ(getpgrp() != pid, 1); /* the caller stayed */
	close(rel[1]);
	CHECK_EQ(ut_wait(pid), 0);
}

static void setpgid_errors(void)
{
	int rel[2];
	CHECK_ERR(setpgid(0, -1), EINVAL);
	CHECK_ERR(setpgid(NO_SUCH_ID, 0), ESRCH);
	CHECK_ERR(setpgid(getppid(), 0), ESRCH);  /* not a child */
	CHECK_ERR(setpgid(0, NO_SUCH_ID), EPERM); /* no such group */
	CHECK(pipe(rel) == 0);
	pid_t pid = spawn_waiting(rel, 0);
	CHECK(pid > 0);
	close(rel[0]);
	/* The caller may not join a group that exists only in its wish. */
	EXPECT_ERR(setpgid(0, pid), EPERM);
	close(rel[1]);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_ERR(setpgid(pid, pid), ESRCH); /* reaped */
}

/* A child that exec'd cannot be moved by its parent any more. */
static void setpgid_after_exec(void)
{
	int rel[2], ready[2];
	char c;
	CHECK(pipe(rel) == 0 && pipe(ready) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(rel[0], 0);
		dup2(ready[1], 1);
		close(rel[1]);
		execl(ut_self, ut_self, "sleeper", (char *)NULL);
		_exit(127);
	}
	close(rel[0]);
	close(ready[1]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	EXPECT_ERR(setpgid(pid, pid), EACCES);
	EXPECT_EQ(getpgid(pid), getpgrp());
	close(rel[1]);
	close(ready[0]);
	CHECK_EQ(ut_wait(pid), 0);
}

/* A child in a session of its own cannot be moved either. */
static void setpgid_other_session(void)
{
	int rel[2], ready[2];
	char c;
	CHECK(pipe(rel) == 0 && pipe(ready) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(rel[1]);
		setsid();
		write(ready[1], "x", 1);
		alarm(10);
		read(rel[0], &c, 1);
		_exit(0);
	}
	close(rel[0]);
	close(ready[1]);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	EXPECT_EQ(getsid(pid), pid);
	EXPECT_ERR(setpgid(pid, pid), EPERM);
	EXPECT_ERR(setpgid(pid, getpgrp()), EPERM);
	close(rel[1]);
	close(ready[0]);
	CHECK_EQ(ut_wait(pid), 0);
}

/* kill(-pgrp) reaches every member of the group and no one else. */
static void kill_group(void)
{
	int rel[2];
	CHECK(pipe(rel) == 0);
	pid_t a = spawn_waiting(rel, 0);
	CHECK(a > 0);
	setpgid(a, a);
	pid_t b = spawn_waiting(rel, 0);
	CHECK(b > 0);
	EXPECT_EQ(setpgid(b, a), 0);
	pid_t c = spawn_waiting(rel, 5); /* stays in the caller's group */
	CHECK(c > 0);
	close(rel[0]);
	/* A pid_t argument is 32 bits: the upper half of the register does
	 * not count (glibc's kill leaves it zero). */
	EXPECT_EQ(syscall(SYS_kill, (long)(uint32_t)-a, 0), 0);
	EXPECT_EQ(kill(-a, SIGTERM), 0);
	int sa = ut_wait(a), sb = ut_wait(b);
	EXPECT(WIFSIGNALED(sa) && WTERMSIG(sa) == SIGTERM);
	EXPECT(WIFSIGNALED(sb) && WTERMSIG(sb) == SIGTERM);
	close(rel[1]);
	int sc = ut_wait(c);
	EXPECT(WIFEXITED(sc) && WEXITSTATUS(sc) == 5);
	CHECK_ERR(kill(-a, 0), ESRCH); /* the group is gone */
	CHECK_ERR(kill(-NO_SUCH_ID, SIGTERM), ESRCH);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* Runs as a group leader: kill(0) reaches it and its child. */
static void kill_zero_leader(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	CHECK_EQ(setpgid(0, 0), 0);
	pid_t g = fork();
	CHECK(g >= 0);
	if (g == 0) {
		for (int i = 0; i < 10000 && !got_usr1; i++)
			ut_sleep_ms(1);
		_exit(got_usr1 ? 0 : 1);
	}
	CHECK_EQ(kill(0, SIGUSR1), 0);
	for (int i = 0; i < 10000 && !got_usr1; i++)
		ut_sleep_ms(1);
	CHECK_EQ(got_usr1, 1);
	int st = ut_wait(g);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void kill_zero(void)
{
	ut_in_child(kill_zero_leader); /* the caller itself must survive */
}

/* wait4(0) waits for the caller's group, wait4(-pgrp) for that group. */
static void wait_group(void)
{
	int rel[2], st;
	CHECK(pipe(rel) == 0);
	pid_t a = spawn_waiting(rel, 1);
	CHECK(a > 0);
	setpgid(a, a);
	close(rel[0]);
	pid_t b = fork();
	CHECK(b >= 0);
	if (b == 0)
		_exit(2);
	EXPECT_EQ(waitpid(0, &st, 0), b); /* a still runs, in another group */
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	EXPECT_ERR(waitpid(0, &st, WNOHANG), ECHILD);
	EXPECT_EQ(waitpid(-a, &st, WNOHANG), 0);
	EXPECT_EQ(syscall(SYS_wait4, (long)(uint32_t)-a, &st, WNOHANG, 0), 0);
	EXPECT_ERR(waitpid(-NO_SUCH_ID, &st, WNOHANG), ECHILD);
	close(rel[1]);
	EXPECT_EQ(waitpid(-a, &st, 0), a);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

static void waitid_pgid(void)
{
	int rel[2];
	siginfo_t si;
	CHECK(pipe(rel) == 0);
	pid_t a = spawn_waiting(rel, 3);
	CHECK(a > 0);
	setpgid(a, a);
	close(rel[0]);
	memset(&si, 0, sizeof(si));
	EXPECT_EQ(waitid(P_PGID, a, &si, WEXITED | WNOHANG), 0);
	EXPECT_EQ(si.si_pid, 0);
	EXPECT_ERR(waitid(P_PGID, getpgrp(), &si, WEXITED | WNOHANG), ECHILD);
	EXPECT_ERR(waitid(P_PGID, -1, &si, WEXITED), EINVAL);
	close(rel[1]);
	EXPECT_EQ(waitid(P_PGID, a, &si, WEXITED), 0);
	EXPECT_EQ(si.si_pid, a);
	EXPECT_EQ(si.si_code, CLD_EXITED);
	EXPECT_EQ(si.si_status, 3);
}

/* A job stopped with SIGTSTP and continued with SIGCONT, all through its
 * group as a shell's fg does, still dies of SIGINT. */
static void stop_cont_int(void)
{
	int st;
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		for (int i = 0; i < 100; i++)
			ut_sleep_ms(100); /* 10 s, in many sleeps */
		_exit(3);
	}
	setpgid(pid, pid);
	EXPECT_EQ(kill(-pid, SIGTSTP), 0);
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
	EXPECT_EQ(kill(-pid, SIGCONT), 0);
	EXPECT_EQ(waitpid(pid, &st, WCONTINUED), pid);
	EXPECT(WIFCONTINUED(st));
	EXPECT_EQ(kill(-pid, SIGINT), 0);
	st = ut_wait(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGINT);
}

static volatile sig_atomic_t chld_codes[3], chld_count;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (chld_count < 3)
		chld_codes[chld_count] = si->si_code;
	chld_count++;
}

/* Wait (at most 10 s) until n SIGCHLDs came. */
static int chld_wait(int n)
{
	for (int i = 0; i < 10000 && chld_count < n; i++)
		ut_sleep_ms(1);
	return chld_count >= n;
}

/* A shell learns that its job stopped or continued from SIGCHLD (ash
 * sleeps in sigsuspend until one comes). */
static void sigchld_stop_cont(void)
{
	struct sigaction sa = {.sa_sigaction = on_chld,
			       .sa_flags = SA_SIGINFO | SA_RESTART},
			 old;
	int st;
	chld_count = 0;
	sigaction(SIGCHLD, &sa, &old);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			ut_sleep_ms(100);
		_exit(3);
	}
	EXPECT_EQ(kill(pid, SIGTSTP), 0);
	EXPECT(chld_wait(1));
	EXPECT_EQ(chld_codes[0], CLD_STOPPED);
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT_EQ(kill(pid, SIGCONT), 0);
	EXPECT(chld_wait(2));
	EXPECT_EQ(chld_codes[1], CLD_CONTINUED);
	EXPECT_EQ(kill(pid, SIGINT), 0);
	EXPECT(chld_wait(3));
	EXPECT_EQ(chld_codes[2], CLD_KILLED);
	st = ut_wait(pid);
	EXPECT(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
	/* SA_NOCLDSTOP: only the end is reported */
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	chld_count = 0;
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			ut_sleep_ms(100);
		_exit(3);
	}
	EXPECT_EQ(kill(pid, SIGSTOP), 0);
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT(chld_wait(1));
	ut_wait(pid);
	EXPECT_EQ(chld_count, 1);
	EXPECT_EQ(chld_codes[0], CLD_KILLED);
	sigaction(SIGCHLD, &old, NULL);
}

/* An exited, unreaped leader keeps its group and its ids: a pipeline's
 * later members join it and kill reaches it. */
static void zombie_group(void)
{
	siginfo_t si;
	int rel[2];
	pid_t a = fork();
	CHECK(a >= 0);
	if (a == 0)
		_exit(0);
	setpgid(a, a);
	CHECK_EQ(waitid(P_PID, a, &si, WEXITED | WNOWAIT), 0);
	CHECK(pipe(rel) == 0);
	pid_t b = spawn_waiting(rel, 0);
	CHECK(b > 0);
	close(rel[0]);
	EXPECT_EQ(setpgid(b, a), 0);
	EXPECT_EQ(getpgid(b), a);
	EXPECT_EQ(getpgid(a), a);
	EXPECT_EQ(getsid(a), getsid(0));
	EXPECT_EQ(kill(a, 0), 0);
	EXPECT_EQ(kill(-a, 0), 0);
	close(rel[1]);
	EXPECT_EQ(ut_wait(b), 0);
	EXPECT_EQ(ut_wait(a), 0);
	EXPECT_ERR(kill(a, 0), ESRCH); /* reaped */
}

static int hup_pipe = -1;

static void on_hup(int sig)
{
	(void)sig;
	write(hup_pipe, "H", 1);
	_exit(0);
}

/* A stopped job whose group loses its last link to the rest of its
 * session (the parent in another group exits) gets SIGHUP and SIGCONT,
 * so it does not stay stopped forever. */
static void orphaned_stopped_group(void)
{
	int p[2], st;
	char c = 0;
	CHECK(pipe(p) == 0);
	pid_t a = fork();
	CHECK(a >= 0);
	if (a == 0) {
		setsid(); /* a session whose groups only a and b are in */
		pid_t b = fork();
		if (b == 0) {
			struct sigaction sa = {.sa_handler = on_hup};
			hup_pipe = p[1];
			sigaction(SIGHUP, &sa, NULL);
			setpgid(0, 0);
			raise(SIGSTOP);
			write(p[1], "C", 1); /* continued without a SIGHUP */
			_exit(1);
		}
		setpgid(b, b);
		alarm(10);
		_exit(waitpid(b, &st, WUNTRACED) == b && WIFSTOPPED(st) ? 0
									: 2);
	}
	close(p[1]);
	st = ut_wait(a);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	struct pollfd pf = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pf, 1, 10000), 1);
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(c, 'H');
	close(p[0]);
}

static const struct ut_case cases[] = {
    UT_CASE(ids_of_self),        UT_CASE(ids_inherited),
    UT_CASE(setsid_new_session), UT_CASE(setsid_group_leader),
    UT_CASE(setpgid_child),      UT_CASE(setpgid_errors),
    UT_CASE(setpgid_after_exec), UT_CASE(setpgid_other_session),
    UT_CASE(kill_group),         UT_CASE(kill_zero),
    UT_CASE(zombie_group),       UT_CASE(orphaned_stopped_group),
    UT_CASE(stop_cont_int),      UT_CASE(sigchld_stop_cont),
    UT_CASE(wait_group),         UT_CASE(waitid_pgid),
};

int main(int argc, char **argv)
{
	char c;

	if (argc == 2 && !strcmp(argv[1], "sleeper")) {
		write(1, "x", 1);
		alarm(10);
		read(0, &c, 1);
		return 0;
	}
	return ut_main(argc, argv, "pgrp", cases, UT_COUNT(cases));
}
