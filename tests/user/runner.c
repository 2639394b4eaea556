/*
 * runner: runs lux's user-space test programs, one after the other.
 *
 *     runner [DIR [PROG...]]     (DIR defaults to $UTEST_DIR, then /tests)
 *
 * A PROG may carry arguments after commas: `fuzz,-s,3,-n,2000` runs
 * `fuzz -s 3 -n 2000`.
 *
 * In the image it is /tests/runner, started as init (`init=/tests/runner`);
 * on Linux, `make utest-host` runs it on the build directory. Each program
 * runs in a child (fork, execve, wait4) with the runner's stdout, so its
 * `utest: <prog>/<case>: PASS|FAIL` lines go straight to the console.
 * The runner adds `utest: start <prog>` before each, `utest: <prog>:
 * exited <how>` when one ends other than by exit 0 or 1 (1 means it printed
 * its FAIL lines itself), and `utest: done` at the end. A watchdog child
 * kills a program that runs longer than WATCHDOG_S seconds. The list of
 * programs is fixed here, because directory listing comes later.
 */
#include "utest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_S 120

static const char *const programs[] = {
    "proc",   "mem",    "thread",  "futex",  "signal",   "time",    "efault",
    "fd",     "poll",   "sock",    "pgrp",   "grant",    "sysinfo", "memobj",
    "file",   "perm",   "devproc", "jobctl", "race",     "fuzzreg", "exhaust",
    "harden", "faults", "persona", "exec",   "bypass",   "ext2",    "sockname",
    "drv",    "lock",   "inet",    "shm",    "sysv",     "dyn",     "vmscale",
    "event",  "small",  "fmap",    "chroot", "debcalls", "sigio",   "loop",
    "lease",
};

extern char **environ;

/* A child that kills pid after WATCHDOG_S seconds and then exits 0. It
 * exits 2 without killing anything if it cannot sleep. */
static pid_t watchdog_start(pid_t pid)
{
	pid_t dog = fork();
	if (dog != 0)
		return dog;
	struct timespec t = {WATCHDOG_S, 0};
	while (nanosleep(&t, &t) < 0)
		if (errno != EINTR)
			_exit(2);
	kill(pid, SIGKILL);
	_exit(0);
}

/* Run one program ("name" or "name,arg,...") to its end and report how
 * it ended, if abnormally. */
static void run_program(const char *dir, const char *spec)
{
	char path[512], words[512], *argv[16] = {path};
	int argc = 1;
	snprintf(words, sizeof(words), "%s", spec);
	const char *name = strtok(words, ",");
	if (!name)
		return;
	while (argc < 15 && (argv[argc] = strtok(NULL, ",")))
		argc++;
	argv[argc] = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ut_print("utest: start %s\n", name);
	pid_t pid = fork();
	if (pid < 0) {
		ut_print("utest: %s: exited cannot fork: %s\n", name,
			 ut_errno_name(errno));
		return;
	}
	if (pid == 0) {
		execve(path, argv, environ);
		ut_print("utest: %s: exited cannot execute %s: %s\n", name,
			 path, ut_errno_name(errno));
		_exit(127);
	}
	pid_t dog = watchdog_start(pid);
	int status = ut_wait(pid);
	int fired = 0;
	if (dog > 0) {
		kill(dog, SIGKILL);
		int dog_status = ut_wait(dog);
		fired = WIFEXITED(dog_status) && WEXITSTATUS(dog_status) == 0;
	}
	char how[48];
	if (status == -1)
		ut_print("utest: %s: exited unknown: wait4 failed: %s\n", name,
			 ut_errno_name(errno));
	else if (fired && WIFSIGNALED(status))
		ut_print("utest: %s: exited timeout after %d s\n", name,
			 WATCHDOG_S);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		; /* the child said why it could not execute */
	else if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		ut_print("utest: %s: exited %s\n", name,
			 ut_status(status, how, sizeof(how)));
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("UTEST_DIR");
	if (!dir || !*dir)
		dir = "/tests";
	if (argc > 2) {
		for (int i = 2; i < argc; i++)
			run_program(dir, argv[i]);
	} else {
		for (int i = 0; i < UT_COUNT(programs); i++)
			run_program(dir, programs[i]);
	}
	ut_print("utest: done\n");
	if (getpid() != 1)
		return 0;
	/* As init: never exit; reap whatever is orphaned to us. */
	for (;;) {
		if (wait(NULL) < 0) {
			struct timespec t = {3600, 0};
			nanosleep(&t, NULL);
		}
	}
}
