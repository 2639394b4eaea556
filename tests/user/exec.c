/*
 * exec: execve and execveat, which the personality implements
 * (docs/decisions/0008-exec-in-the-personality.md), and the native calls
 * under them used directly, bypassing the personality. The execveat
 * cases also pass on Linux; the native_* and bootfile cases are
 * lux-specific (they fail on Linux by design): LUX_NR_EXEC called by a
 * program with garbage fails cleanly, and called for real (from program
 * code, with threads running, from a vfork child) harms only the caller;
 * LUX_NR_BOOTFILE reads only executables of the boot image, and only
 * while no resolver is named.
 *
 * `exec exit N` is the mode the execveat cases start; `exec script-arg
 * ...` the one the boot image's "#!" scripts (root/tests/exec-*) start,
 * which are lux's (on Linux the script cases fail: no /tests).
 */
#include "utest.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lux/proto.h>

extern char **environ;

/* Run execveat(dirfd, path, {self, "exit", "7"}, flags) in a child: its
 * exit status, or 100 + execveat's errno. */
static int run_execveat(int dirfd, const char *path, int flags)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = {(char *)ut_self, "exit", "7", NULL};
		syscall(SYS_execveat, dirfd, path, argv, environ, flags);
		_exit(100 + errno);
	}
	int status = ut_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void execveat_runs(void)
{
	CHECK_EQ(run_execveat(AT_FDCWD, ut_self, 0), 7);
	CHECK_EQ(run_execveat(AT_FDCWD, ut_self, AT_SYMLINK_NOFOLLOW), 7);
	CHECK_EQ(run_execveat(AT_FDCWD, "/tests/no-such-program", 0),
		 100 + ENOENT);
	CHECK_EQ(run_execveat(AT_FDCWD, ut_self, 0x4), 100 + EINVAL);
}

/* Run execve(path, {path, "x"}) in a child: its exit status, or 100 +
 * execve's errno. */
static int run_script(const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = {(char *)path, "x", NULL};
		execve(path, argv, environ);
		_exit(100 + errno);
	}
	int status = ut_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "#!" scripts: the interpreter with its one argument, the script's path
 * and the script's arguments; a script as interpreter; loops end. */
static void script(void)
{
	CHECK_EQ(run_script("/tests/exec-script"), 9);
	CHECK_EQ(run_script("/tests/exec-script2"), 10);
	CHECK_EQ(run_script("/tests/exec-loop"), 100 + ELOOP);
	CHECK_EQ(run_script("/tests/exec-noint"), 100 + ENOEXEC);
}

/* What a script's interpreter was given: 9 (or 10 for a script run by a
 * script) if it is as Linux gives it, else 8. */
static int script_mode(int argc, char **argv)
{
	if (argc == 4)
		return !strcmp(argv[2], "/tests/exec-script") &&
			       !strcmp(argv[3], "x")
			   ? 9
			   : 8;
	return argc == 5 && !strcmp(argv[2], "/tests/exec-script") &&
		       !strcmp(argv[3], "/tests/exec-script2") &&
		       !strcmp(argv[4], "x")
		   ? 10
		   : 8;
}

/* The status of a child that ran fn. */
static int child_status(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	return ut_wait(pid);
}

static void native_garbage_child(void)
{
	static const char cmd[] = "a\0b";

	CHECK_ERR(syscall(LUX_NR_EXEC, (char *)1, cmd, sizeof(cmd)), EFAULT);
	CHECK_ERR(syscall(LUX_NR_EXEC, "x", (char *)1, 4), EFAULT);
	CHECK_ERR(syscall(LUX_NR_EXEC, "x", cmd, 257), EINVAL);
	CHECK_ERR(syscall(LUX_NR_EXEC, "x", cmd, -1L), EINVAL);
	/* nothing changed: the program and its personality still run */
	struct utsname u;
	CHECK_EQ(uname(&u), 0);
}

/* Bad pointers and lengths fail before anything changes. */
static void native_garbage(void)
{
	ut_in_child(native_garbage_child);
}

static void exec_directly(void)
{
	syscall(LUX_NR_EXEC, "direct", "direct", 7);
	_exit(3); /* not reached: this code is gone */
}

/* Called from the program, the primitive takes away the program's own
 * code: the process dies of SIGSEGV, nobody else notices. */
static void native_direct(void)
{
	int status = child_status(exec_directly);

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

static void *spin_uname(void *arg)
{
	struct utsname u;

	(void)arg;
	for (;;)
		uname(&u);
	return NULL;
}

static void exec_with_threads(void)
{
	pthread_t t;

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t, NULL, spin_uname, NULL))
			_exit(4);
	exec_directly();
}

/* With other threads running (in and out of the personality), they end
 * first, and the process dies as above: no hang, no harm. */
static void native_threads(void)
{
	int status = child_status(exec_with_threads);

	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

/* A vfork child that calls the primitive leaves its parent's memory, and
 * the parent's personality, as they were, and releases the parent. */
static void native_vfork(void)
{
	volatile int mark = 42;
	struct utsname u;
	pid_t pid = vfork();

	if (pid == 0) {
		syscall(LUX_NR_EXEC, "vfork", "vfork", 6);
		_exit(3);
	}
	CHECK(pid > 0);
	int status = ut_wait(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	CHECK_EQ(mark, 42);
	CHECK_EQ(uname(&u), 0);
	CHECK_EQ(run_execveat(AT_FDCWD, ut_self, 0), 7); /* exec still works */
}

/* LUX_NR_BOOTFILE: while no resolver is named, executables of the boot
 * image only; after, nothing (ENOENT). */
static void bootfile(void)
{
	char buf[4];
	long r = syscall(LUX_NR_BOOTFILE, "/tests/exec", 0, buf, sizeof(buf));

	if (r < 0) { /* lumen named a resolver: programs come from servers */
		CHECK_ERR(r, ENOENT);
		CHECK_ERR(syscall(LUX_NR_BOOTFILE, "/tests/exec", 0, NULL, 0),
			  ENOENT);
		return;
	}
	CHECK_EQ(r, 4);
	CHECK(!memcmp(buf, "\177ELF", 4));
	CHECK(syscall(LUX_NR_BOOTFILE, "/tests/exec", 0, NULL, 0) > 4);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, "/etc/passwd", 0, buf, 4), EACCES);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, "/tests", 0, buf, 4), EACCES);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, "/nothing", 0, buf, 4), ENOENT);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, "tests/exec", 0, buf, 4), ENOENT);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, "/tests/exec", 0, (char *)1, 4),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, (char *)1, 0, buf, 4), EFAULT);
	CHECK_ERR(syscall(LUX_NR_BOOTFILE, "/tests/exec", -1L, buf, 4), EINVAL);
}

static const struct ut_case cases[] = {
    UT_CASE(execveat_runs), UT_CASE(script),         UT_CASE(native_garbage),
    UT_CASE(native_direct), UT_CASE(native_threads), UT_CASE(native_vfork),
    UT_CASE(bootfile),
};

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (argc >= 2 && !strcmp(argv[1], "script-arg"))
		return script_mode(argc, argv);
	return ut_main(argc, argv, "exec", cases, UT_COUNT(cases));
}
