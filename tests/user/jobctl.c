/*
 * jobctl: sessions, process groups and the controlling terminal, as a
 * job-control shell uses them. setsid, setpgid and its rules, getpgid and
 * getsid, kill and wait4 on a process group; then, in a session of its
 * own with a controlling terminal: the foreground group (TIOCGPGRP,
 * TIOCSPGRP), SIGTTIN for a background reader and SIGTTOU for a background
 * writer under TOSTOP, raw mode through tcsetattr, the window size.
 *
 * The terminal: on lux, /dev/console, taken over with TIOCSCTTY (we run
 * as root); on Linux a new pseudo-terminal, since the tests may run
 * under a pipe. Without one the terminal cases fail, saying why.
 * Every child arms alarm() first, so a missing signal ends it instead of
 * leaving it blocked on the terminal.
 */
#include "utest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CHILD_ALARM_S 20

/* ---- helpers -------------------------------------------------------- */

/* A child that blocks until the pipe's write end closes, then exits with
 * code. The caller closes its copy of gate[1] to release it. */
static pid_t gated_child(int gate[2], pid_t pgid, int code)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		if (pgid >= 0)
			setpgid(0, pgid);
		close(gate[1]);
		char c;
		while (read(gate[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(code);
	}
	if (pid > 0 && pgid >= 0)
		setpgid(pid, pgid ? pgid : pid); /* both sides: no race */
	return pid;
}

/* ---- sessions and groups -------------------------------------------- */

static void new_session_child(void)
{
	pid_t me = getpid(), old = getsid(0);
	CHECK(old != me);
	CHECK_EQ(setsid(), me);
	CHECK_EQ(getsid(0), me);
	CHECK_EQ(getsid(me), me);
	CHECK_EQ(getpgrp(), me);
	CHECK_EQ(getpgid(0), me);
	CHECK_ERR(setsid(), EPERM);      /* already a group leader */
	CHECK_ERR(setpgid(0, 0), EPERM); /* a session leader stays */
	CHECK_EQ(getsid(getppid()), old);
	/* No controlling terminal in a new session. */
	CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO);
}

static void new_session(void)
{
	ut_in_child(new_session_child);
	/* A group leader cannot make a session. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setpgid(0, 0))
			_exit(2);
		_exit(setsid() < 0 && errno == EPERM ? 0 : 1);
	}
	CHECK_EQ(ut_wait(pid), 0);
}

static void process_groups(void)
{
	int gate[2];
	CHECK_EQ(pipe(gate), 0);
	pid_t a = gated_child(gate, 0, 0);
	pid_t b = gated_child(gate, a, 0);
	pid_t c = gated_child(gate, -1, 0);
	CHECK(a > 0 && b > 0 && c > 0);
	EXPECT_EQ(getpgid(a), a);
	EXPECT_EQ(getpgid(b), a);
	EXPECT_EQ(getpgid(c), getpgrp());
	EXPECT_EQ(getsid(a), getsid(0));
	/* Moving between groups of the same session. */
	EXPECT_EQ(setpgid(c, a), 0);
	EXPECT_EQ(getpgid(c), a);
	EXPECT_EQ(setpgid(c, c), 0);
	EXPECT_EQ(getpgid(c), c);
	/* The rules. */
	EXPECT_ERR(setpgid(c, 999999), EPERM); /* no such group */
	EXPECT_ERR(setpgid(a, -1), EINVAL);
	EXPECT_ERR(setpgid(999999, 0), ESRCH);
	if (getppid() > 1)
		EXPECT_ERR(setpgid(getppid(), 0), ESRCH); /* not our child */
	EXPECT_ERR(getpgid(999999), ESRCH);
	EXPECT_ERR(getsid(999999), ESRCH);
	EXPECT_EQ(setpgid(0, getpgrp()), 0); /* no change */
	close(gate[1]);
	close(gate[0]);
	EXPECT_EQ(ut_wait(a), 0);
	EXPECT_EQ(ut_wait(b), 0);
	EXPECT_EQ(ut_wait(c), 0);
	/* A child in another session. */
	int ready[2];
	CHECK_EQ(pipe(ready), 0);
	pid_t s = fork();
	if (s == 0) {
		alarm(CHILD_ALARM_S);
		setsid();
		close(ready[1]);
		char ch;
		(void)!read(ready[0], &ch, 1);
		_exit(0);
	}
	close(ready[0]);
	while (getsid(s) != s)
		ut_sleep_ms(1);
	EXPECT_ERR(setpgid(s, s), EPERM);
	EXPECT_ERR(setpgid(s, getpgrp()), EPERM);
	close(ready[1]);
	EXPECT_EQ(ut_wait(s), 0);
	/* A child that has called execve may not be moved. */
	int exec_pipe[2];
	CHECK_EQ(pipe2(exec_pipe, O_CLOEXEC), 0);
	pid_t e = fork();
	if (e == 0) {
		char *argv[] = {"sleep", "20", NULL}, *envp[] = {NULL};
		execve("/bin/sleep", argv, envp);
		_exit(127);
	}
	close(exec_pipe[1]);
	char ch;
	CHECK_EQ(read(exec_pipe[0], &ch, 1), 0); /* closed by the exec */
	close(exec_pipe[0]);
	/* Linux marks the exec before it closes the descriptors; a kernel
	 * may do it the other way round, so allow it a moment. */
	long r = setpgid(e, e);
	for (int i = 0; i < 200 && r == 0; i++) {
		ut_sleep_ms(5);
		r = setpgid(e, e);
	}
	EXPECT_ERR(r, EACCES);
	ut_kill(e);
}

static void kill_group(void)
{
	int gate[2];
	CHECK_EQ(pipe(gate), 0);
	pid_t kids[3], outsider = gated_child(gate, -1, 0);
	kids[0] = gated_child(gate, 0, 0);
	kids[1] = gated_child(gate, kids[0], 0);
	kids[2] = gated_child(gate, kids[0], 0);
	pid_t g = kids[0];
	EXPECT_EQ(kill(-g, 0), 0);
	EXPECT_EQ(kill(-g, SIGTERM), 0);
	for (int i = 0; i < 3; i++) {
		int st = ut_wait(kids[i]);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM) {
			char how[32];
			ut_fail("member %d ended with %s", i,
				ut_status(st, how, sizeof(how)));
		}
	}
	int st;
	EXPECT_EQ(waitpid(outsider, &st, WNOHANG), 0); /* not in the group */
	EXPECT_ERR(kill(-g, 0), ESRCH);
	EXPECT_ERR(kill(-999999, SIGTERM), ESRCH);
	close(gate[1]);
	close(gate[0]);
	EXPECT_EQ(ut_wait(outsider), 0);
}

static void wait_group(void)
{
	int gate[2];
	CHECK_EQ(pipe(gate), 0);
	pid_t a1 = gated_child(gate, 0, 1);
	pid_t a2 = gated_child(gate, a1, 2);
	pid_t b = gated_child(gate, 0, 3);
	close(gate[1]);
	close(gate[0]);
	int st, codes = 0;
	for (int i = 0; i < 2; i++) {
		pid_t got = wait4(-a1, &st, 0, NULL);
		if (got != a1 && got != a2) {
			ut_kill(b);
			return ut_fail("wait4(-group) gave %d (%s)", got,
				       ut_errno_name(errno));
		}
		codes += WEXITSTATUS(st);
	}
	EXPECT_EQ(codes, 3);
	EXPECT_ERR(wait4(-a1, &st, 0, NULL), ECHILD);
	EXPECT_EQ(wait4(-1, &st, 0, NULL), b);
	EXPECT_EQ(WEXITSTATUS(st), 3);
	EXPECT_ERR(wait4(-1, &st, WNOHANG, NULL), ECHILD);
}

/* pid arguments are ints: Linux ignores the upper half of the register.
 * Programs built with glibc (Debian's busybox: `kill %1`, the shell's
 * wait) pass negative pids with the upper half zero. */
static void pid_args_are_int(void)
{
	int gate[2];
	CHECK_EQ(pipe(gate), 0);
	pid_t a = gated_child(gate, 0, 5);
	pid_t b = gated_child(gate, -1, 6);
	long minus_a = (long)(unsigned int)-a;
	EXPECT_EQ(syscall(SYS_kill, minus_a, 0), 0);
	EXPECT_EQ(syscall(SYS_getpgid, (long)a | (1L << 32)), a);
	close(gate[1]);
	close(gate[0]);
	int st = 0;
	EXPECT_EQ(syscall(SYS_wait4, minus_a, &st, 0, NULL), a);
	EXPECT_EQ(WEXITSTATUS(st), 5);
	EXPECT_EQ(syscall(SYS_wait4, (long)(unsigned int)-1, &st, 0, NULL), b);
	EXPECT_EQ(WEXITSTATUS(st), 6);
	ut_wait(a); /* in case a wait4 above failed */
	ut_wait(b);
}

/* A group lives while a member does, zombies included: a shell's
 * pipeline `echo x | read v` whose leader has exited but is not reaped
 * yet is still a group to join and to give the terminal. */
static void zombie_keeps_group(void)
{
	pid_t a = fork();
	if (a == 0) {
		setpgid(0, 0);
		_exit(0);
	}
	setpgid(a, a);
	siginfo_t si;
	CHECK_EQ(waitid(P_PID, a, &si, WEXITED | WNOWAIT), 0); /* a zombie */
	int gate[2];
	CHECK_EQ(pipe(gate), 0);
	pid_t b = gated_child(gate, -1, 0);
	EXPECT_EQ(setpgid(b, a), 0);
	EXPECT_EQ(getpgid(b), a);
	EXPECT_EQ(kill(-a, 0), 0);
	EXPECT_EQ(kill(a, 0), 0);
	close(gate[1]);
	close(gate[0]);
	EXPECT_EQ(ut_wait(b), 0);
	EXPECT_EQ(ut_wait(a), 0);
}

/* ---- the controlling terminal --------------------------------------- */

static int tty = -1; /* the session's controlling terminal */

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* In a new session: open a terminal and make it ours; return whether. */
static int take_terminal(void)
{
	if (setsid() < 0)
		return EXPECT(0 && "setsid");
	if (on_lux()) {
		tty = open("/dev/console", O_RDWR);
		if (tty < 0) {
			ut_fail("open /dev/console: %s", ut_errno_name(errno));
			return 0;
		}
		return EXPECT(ioctl(tty, TIOCSCTTY, 1) == 0);
	}
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		ut_fail("no pseudo-terminal to test with: %s",
			ut_errno_name(errno));
		return 0;
	}
	const char *name = ptsname(master);
	tty = name ? open(name, O_RDWR) : -1;
	if (tty < 0) {
		ut_fail("open %s: %s", name ? name : "pts",
			ut_errno_name(errno));
		return 0;
	}
	/* master stays open (leaked on purpose) until this child exits. */
	return EXPECT(ioctl(tty, TIOCSCTTY, 0) == 0);
}

static void (*terminal_case)(void);

static void terminal_child(void)
{
	alarm(CHILD_ALARM_S * 2);
	if (take_terminal())
		terminal_case();
}

static void in_terminal(void (*fn)(void))
{
	terminal_case = fn;
	ut_in_child(terminal_child);
}

static void foreground_child(void)
{
	pid_t me = getpid();
	CHECK_EQ(tcgetpgrp(tty), me);
	CHECK_EQ(tcgetsid(tty), me);
	CHECK_EQ(isatty(tty), 1);
	int again = open("/dev/tty", O_RDWR); /* now names our terminal */
	CHECK(again >= 0);
	CHECK_EQ(tcgetpgrp(again), me);
	close(again);
	int gate[2];
	CHECK_EQ(pipe(gate), 0);
	pid_t job = gated_child(gate, 0, 0);
	CHECK_EQ(tcsetpgrp(tty, job), 0);
	EXPECT_EQ(tcgetpgrp(tty), job);
	/* Now in the background: taking the terminal back needs SIGTTOU
	 * blocked, as a shell does. */
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	EXPECT_EQ(tcsetpgrp(tty, me), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	EXPECT_EQ(tcgetpgrp(tty), me);
	/* Groups of other sessions are refused. */
	EXPECT_ERR(tcsetpgrp(tty, getpgid(getppid())), EPERM);
	/* A group whose only member is an unreaped zombie still counts. */
	pid_t z = fork();
	if (z == 0) {
		setpgid(0, 0);
		_exit(0);
	}
	setpgid(z, z);
	siginfo_t si;
	EXPECT_EQ(waitid(P_PID, z, &si, WEXITED | WNOWAIT), 0);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	EXPECT_EQ(tcsetpgrp(tty, z), 0);
	EXPECT_EQ(tcsetpgrp(tty, me), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	ut_wait(z);
	close(gate[1]);
	close(gate[0]);
	EXPECT_EQ(ut_wait(job), 0);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	int r = ioctl(p[0], TIOCGPGRP, &me);
	int err = errno;
	close(p[0]);
	close(p[1]);
	errno = err;
	CHECK_ERR(r, ENOTTY);
}

static void foreground(void)
{
	in_terminal(foreground_child);
}

/* Fork a child in a background group doing fn; return how it stopped or
 * ended (waitpid with WUNTRACED). It is killed afterwards. */
static int background(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		setpgid(0, 0);
		_exit(fn());
	}
	setpgid(pid, pid);
	int st = -1;
	while (waitpid(pid, &st, WUNTRACED) < 0 && errno == EINTR)
		;
	if (WIFSTOPPED(st))
		ut_kill(pid);
	return st;
}

static int bg_read(void)
{
	char c;
	return read(tty, &c, 1) < 0 ? 10 + errno : 1;
}

static int bg_read_ignored(void)
{
	signal(SIGTTIN, SIG_IGN);
	char c;
	return read(tty, &c, 1) < 0 && errno == EIO ? 0 : 1;
}

static void on_ttin(int sig)
{
	(void)sig;
}

/* sendfile from the terminal reads it: in the background, SIGTTIN
 * caught, it fails with EINTR once the handler ran, as a read does (the
 * personality must give the restart to the program, not make its read
 * again: the terminal would answer EIO; Linux takes a terminal as
 * sendfile's input since 6.5). */
static int bg_sendfile(void)
{
	struct sigaction sa = {.sa_handler = on_ttin};
	int p[2];

	if (pipe(p) || sigaction(SIGTTIN, &sa, NULL))
		return 2;
	return sendfile(p[1], tty, NULL, 1) < 0 ? 10 + errno : 1;
}

static int bg_write(void)
{
	return write(tty, "\n", 1) == 1 ? 0 : 10 + errno;
}

static int expect_stop(int st, int sig, const char *what)
{
	if (WIFSTOPPED(st) && WSTOPSIG(st) == sig)
		return 1;
	char how[32];
	ut_fail("%s: %s, expected stopped by %d", what,
		ut_status(st, how, sizeof(how)), sig);
	return 0;
}

static void background_io_child(void)
{
	CHECK_EQ(tcgetpgrp(tty), getpid());
	if (!expect_stop(background(bg_read), SIGTTIN, "background read"))
		return;
	CHECK_EQ(background(bg_read_ignored), 0);
	int st = background(bg_sendfile);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 10 + EINTR);
	/* Without TOSTOP a background write goes through; with it, the
	 * writer stops. */
	CHECK_EQ(background(bg_write), 0);
	struct termios t, orig;
	CHECK_EQ(tcgetattr(tty, &orig), 0);
	t = orig;
	t.c_lflag |= TOSTOP;
	CHECK_EQ(tcsetattr(tty, TCSANOW, &t), 0);
	st = background(bg_write);
	tcsetattr(tty, TCSANOW, &orig);
	expect_stop(st, SIGTTOU, "background write under TOSTOP");
}

static void background_io(void)
{
	in_terminal(background_io_child);
}

static void raw_mode_child(void)
{
	struct termios orig, raw, got;
	CHECK_EQ(tcgetattr(tty, &orig), 0);
	CHECK(orig.c_lflag & ICANON);
	raw = orig;
	raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(ICRNL | IXON);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	CHECK_EQ(tcsetattr(tty, TCSANOW, &raw), 0);
	int ok = tcgetattr(tty, &got) == 0;
	tcsetattr(tty, TCSANOW, &orig);
	CHECK(ok);
	CHECK_EQ(got.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
	CHECK_EQ(got.c_iflag & (ICRNL | IXON), 0);
	CHECK_EQ(got.c_cc[VMIN], 1);
	CHECK_EQ(got.c_cc[VTIME], 0);
	CHECK_EQ(got.c_cc[VINTR], orig.c_cc[VINTR]);
	CHECK_EQ(tcgetattr(tty, &got), 0);
	CHECK_EQ(got.c_lflag, orig.c_lflag);
	CHECK_EQ(got.c_iflag, orig.c_iflag);
	CHECK_EQ(got.c_cc[VMIN], orig.c_cc[VMIN]);
	CHECK_EQ(got.c_cc[VERASE], orig.c_cc[VERASE]);
}

static void raw_mode(void)
{
	in_terminal(raw_mode_child);
}

static volatile sig_atomic_t winched;

static void on_winch(int sig)
{
	(void)sig;
	winched = 1;
}

static void window_size_child(void)
{
	struct winsize orig, ws = {.ws_row = 31, .ws_col = 101}, got;
	CHECK_EQ(ioctl(tty, TIOCGWINSZ, &orig), 0);
	if (orig.ws_row == 31 && orig.ws_col == 101)
		ws.ws_row = 32;
	signal(SIGWINCH, on_winch);
	CHECK_EQ(ioctl(tty, TIOCSWINSZ, &ws), 0);
	int ok = ioctl(tty, TIOCGWINSZ, &got) == 0;
	for (int i = 0; i < 100 && !winched; i++)
		ut_sleep_ms(10);
	ioctl(tty, TIOCSWINSZ, &orig);
	CHECK(ok);
	CHECK_EQ(got.ws_row, ws.ws_row);
	CHECK_EQ(got.ws_col, 101);
	CHECK(winched);
}

static void window_size(void)
{
	in_terminal(window_size_child);
}

static const struct ut_case cases[] = {
    UT_CASE(new_session),      UT_CASE(process_groups),
    UT_CASE(kill_group),       UT_CASE(wait_group),
    UT_CASE(pid_args_are_int), UT_CASE(zombie_keeps_group),
    UT_CASE(foreground),       UT_CASE(background_io),
    UT_CASE(raw_mode),         UT_CASE(window_size),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "jobctl", cases, UT_COUNT(cases));
}
