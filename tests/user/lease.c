/*
 * lease: file leases (fcntl's F_SETLEASE and F_GETLEASE,
 * docs/decisions/0040-leases.md). Who may take which lease and the
 * errors; an open that conflicts (a writer against any lease, anyone
 * against a write lease) or a truncate by path: the holder is sent SIGIO,
 * or its F_SETSIG signal with si_code POLL_MSG and si_fd, F_GETLEASE
 * shows the type the lease is broken to, and the opener waits until the
 * holder downgrades, unlocks or closes; O_NONBLOCK fails at once with
 * EWOULDBLOCK; a signal ends the wait (EINTR) and a killed opener leaves
 * nothing behind; F_SETLEASE F_UNLCK clears the owner and the signal. The break time (45 s) never runs out here.
 */
#include "utest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RTSIG (SIGRTMIN + 4)
#define NAME  "leased"

/* Block SIGIO and RTSIG, and drop any pending instance. */
static void block_sigs(void)
{
	sigset_t s;
	struct timespec zero = {0, 0};

	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	sigaddset(&s, RTSIG);
	sigprocmask(SIG_BLOCK, &s, NULL);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
}

/* Wait up to 10 s for signal sig: whether it came, its info in *si. */
static int wait_sig(int sig, siginfo_t *si)
{
	sigset_t s;
	struct timespec t = {10, 0};

	sigemptyset(&s);
	sigaddset(&s, sig);
	return sigtimedwait(&s, si, &t) == sig;
}

/* A new NAME of n bytes, owned by the caller; -1 on failure. */
static int make_file(int n)
{
	int fd = open(NAME, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd >= 0 && ftruncate(fd, n) < 0)
		return -1;
	return fd < 0 ? -1 : close(fd);
}

/* Whether child kid is still running (waiting in its open) 200 ms on. */
static int still_waiting(pid_t kid)
{
	int st;

	usleep(200000);
	return waitpid(kid, &st, WNOHANG) == 0;
}

/* kid's exit status, 0 meaning its call succeeded. */
static int status_of(pid_t kid)
{
	int st;

	if (waitpid(kid, &st, 0) != kid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

/* A child that opens NAME with flags: exits 0 if the open succeeded,
 * else errno (EINTR after SIGUSR1, which it handles without restart).
 * It closes what it inherited first: a lease goes with its description's
 * last close, which a child's copy would hold off. */
static void on_usr1(int sig)
{
	(void)sig;
}

static pid_t opener(int flags)
{
	pid_t kid = fork();

	if (kid == 0) {
		struct sigaction sa = {.sa_handler = on_usr1};
		sigaction(SIGUSR1, &sa, NULL);
		for (int i = 3; i < 64; i++)
			close(i);
		int fd = open(NAME, flags);
		_exit(fd >= 0 ? 0 : errno);
	}
	return kid;
}

/* Who may take which lease, and what stops it. */
static void grant_refuse(void)
{
	int rw, rd, other, dir, st;

	CHECK_EQ(make_file(10), 0);
	CHECK((rw = open(NAME, O_RDWR)) >= 0);
	CHECK_ERR(fcntl(rw, F_SETLEASE, F_RDLCK), EAGAIN); /* not read-only */
	CHECK_ERR(fcntl(rw, F_SETLEASE, 7), EINVAL);
	CHECK_ERR(fcntl(rw, F_SETLEASE, F_UNLCK), EAGAIN); /* has none */
	CHECK_EQ(fcntl(rw, F_SETLEASE, F_WRLCK), 0);       /* the only open */
	CHECK_EQ(fcntl(rw, F_GETLEASE), F_WRLCK);
	CHECK_EQ(fcntl(rw, F_GETOWN), getpid()); /* the taker owns it */
	CHECK_EQ(fcntl(rw, F_SETLEASE, F_UNLCK), 0);
	CHECK_EQ(fcntl(rw, F_GETLEASE), F_UNLCK);
	CHECK((rd = open(NAME, O_RDONLY)) >= 0);
	CHECK_ERR(fcntl(rd, F_SETLEASE, F_RDLCK), EAGAIN); /* rw writes */
	CHECK_ERR(fcntl(rd, F_SETLEASE, F_WRLCK), EAGAIN); /* rw is open */
	close(rw);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_RDLCK), 0);
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_RDLCK);
	CHECK((other = open(NAME, O_RDONLY)) >= 0); /* a reader: no break */
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_RDLCK);
	CHECK_EQ(fcntl(other, F_GETLEASE), F_UNLCK); /* the description's */
	CHECK_ERR(fcntl(rd, F_SETLEASE, F_WRLCK), EAGAIN);
	CHECK_EQ(fcntl(other, F_SETLEASE, F_RDLCK), 0); /* two readers */
	close(other);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_WRLCK), 0); /* an upgrade */
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_WRLCK);
	close(rd);
	CHECK((dir = open(".", O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK_ERR(fcntl(dir, F_SETLEASE, F_RDLCK), EINVAL);
	close(dir);
	pid_t kid = fork(); /* another's file: EACCES */
	if (kid == 0) {
		int fd = open(NAME, O_RDONLY);
		if (fd < 0 || setuid(65534) < 0)
			_exit(2);
		_exit(fcntl(fd, F_SETLEASE, F_RDLCK) < 0 && errno == EACCES
			  ? 0
			  : 1);
	}
	CHECK(kid > 0);
	CHECK_EQ(waitpid(kid, &st, 0), kid);
	CHECK_EQ(st, 0);
	CHECK_EQ(unlink(NAME), 0);
}

/* /proc/sys/fs/lease-break-time: the break's seconds (45, Linux's
 * default; lux's, which cannot be changed). */
static void break_time(void)
{
	char buf[16] = {0};
	int fd = open("/proc/sys/fs/lease-break-time", O_RDONLY);

	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
	CHECK_EQ(atoi(buf), 45);
	close(fd);
}

/* A writer's open breaks a read lease: the holder's F_SETSIG signal with
 * POLL_MSG and si_fd; the lease shows F_UNLCK; the writer waits until
 * the holder unlocks. */
static void read_break(void)
{
	int rd;
	siginfo_t si;
	pid_t kid;

	block_sigs();
	CHECK_EQ(make_file(10), 0);
	CHECK((rd = open(NAME, O_RDONLY)) >= 0);
	CHECK_EQ(fcntl(rd, F_SETSIG, RTSIG), 0);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_RDLCK), 0);
	CHECK((kid = opener(O_WRONLY)) > 0);
	CHECK(wait_sig(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_MSG);
	CHECK_EQ(si.si_fd, rd);
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_UNLCK); /* being broken to */
	CHECK(still_waiting(kid));
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_UNLCK), 0);
	CHECK_EQ(status_of(kid), 0);
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_UNLCK);
	close(rd);
	CHECK_EQ(unlink(NAME), 0);
}

/* A reader's open breaks a write lease to a read lease: plain SIGIO
 * (no F_SETSIG), F_GETLEASE F_RDLCK during the break, the reader goes
 * on once the holder downgrades. */
static void write_to_read(void)
{
	int fd;
	siginfo_t si;
	pid_t kid;

	block_sigs();
	CHECK_EQ(make_file(10), 0);
	CHECK((fd = open(NAME, O_RDONLY)) >= 0);
	CHECK_EQ(fcntl(fd, F_SETLEASE, F_WRLCK), 0);
	CHECK((kid = opener(O_RDONLY)) > 0);
	CHECK(wait_sig(SIGIO, &si));
	CHECK_EQ(si.si_code, SI_KERNEL);
	CHECK_EQ(fcntl(fd, F_GETLEASE), F_RDLCK);
	CHECK(still_waiting(kid));
	CHECK_EQ(fcntl(fd, F_SETLEASE, F_RDLCK), 0);
	CHECK_EQ(status_of(kid), 0);
	CHECK_EQ(fcntl(fd, F_GETLEASE), F_RDLCK); /* the break is over */
	close(fd);
	CHECK_EQ(unlink(NAME), 0);
}

/* O_NONBLOCK: EWOULDBLOCK at once, and the break is started all the
 * same; then the holder's close lets a waiting opener through. */
static void nonblock_close(void)
{
	int rd;
	siginfo_t si;
	pid_t kid;

	block_sigs();
	CHECK_EQ(make_file(10), 0);
	CHECK((rd = open(NAME, O_RDONLY)) >= 0);
	CHECK_EQ(fcntl(rd, F_SETSIG, RTSIG), 0);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_RDLCK), 0);
	CHECK((kid = opener(O_WRONLY | O_NONBLOCK)) > 0);
	CHECK_EQ(status_of(kid), EWOULDBLOCK);
	CHECK(wait_sig(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_MSG);
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_UNLCK);
	CHECK((kid = opener(O_RDWR)) > 0);
	CHECK(still_waiting(kid));
	close(rd); /* the lease goes with the description */
	CHECK_EQ(status_of(kid), 0);
	CHECK_EQ(unlink(NAME), 0);
}

/* truncate(2) by path breaks a read lease and waits. */
static void truncate_breaks(void)
{
	int rd;
	siginfo_t si;
	struct stat st;
	pid_t kid;

	block_sigs();
	CHECK_EQ(make_file(10), 0);
	CHECK((rd = open(NAME, O_RDONLY)) >= 0);
	CHECK_EQ(fcntl(rd, F_SETSIG, RTSIG), 0);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_RDLCK), 0);
	if ((kid = fork()) == 0)
		_exit(truncate(NAME, 3) == 0 ? 0 : errno);
	CHECK(kid > 0);
	CHECK(wait_sig(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_MSG);
	CHECK(still_waiting(kid));
	CHECK_EQ(fstat(rd, &st), 0);
	CHECK_EQ(st.st_size, 10); /* not yet */
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_UNLCK), 0);
	CHECK_EQ(status_of(kid), 0);
	CHECK_EQ(fstat(rd, &st), 0);
	CHECK_EQ(st.st_size, 3);
	close(rd);
	CHECK_EQ(unlink(NAME), 0);
}

/* A signal ends the waiting open with EINTR; a killed opener leaves
 * nothing: once the holder unlocks, a new read lease is granted (no
 * writer is counted) and a new writer breaks it again. */
static void interrupted(void)
{
	int rd;
	siginfo_t si;
	pid_t kid;

	block_sigs();
	CHECK_EQ(make_file(10), 0);
	CHECK((rd = open(NAME, O_RDONLY)) >= 0);
	CHECK_EQ(fcntl(rd, F_SETSIG, RTSIG), 0);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_RDLCK), 0);
	CHECK((kid = opener(O_WRONLY)) > 0);
	CHECK(wait_sig(RTSIG, &si));
	CHECK(still_waiting(kid));
	CHECK_EQ(kill(kid, SIGUSR1), 0);
	CHECK_EQ(status_of(kid), EINTR);
	CHECK((kid = opener(O_WRONLY)) > 0);
	CHECK(still_waiting(kid));
	CHECK_EQ(kill(kid, SIGKILL), 0);
	CHECK_EQ(status_of(kid), 100 + SIGKILL);
	CHECK_EQ(fcntl(rd, F_GETLEASE), F_UNLCK); /* still being broken */
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_UNLCK), 0);
	CHECK_EQ(fcntl(rd, F_GETSIG), 0); /* as Linux: an unlock clears */
	CHECK_EQ(fcntl(rd, F_GETOWN), 0); /* the signal and the owner */
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_RDLCK), 0);
	CHECK((kid = opener(O_WRONLY)) > 0);
	CHECK(wait_sig(SIGIO, &si));
	CHECK_EQ(si.si_code, SI_KERNEL);
	CHECK_EQ(fcntl(rd, F_SETLEASE, F_UNLCK), 0);
	CHECK_EQ(status_of(kid), 0);
	close(rd);
	CHECK_EQ(unlink(NAME), 0);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(grant_refuse),    UT_CASE(read_break),
	    UT_CASE(write_to_read),   UT_CASE(nonblock_close),
	    UT_CASE(truncate_breaks), UT_CASE(interrupted),
	    UT_CASE(break_time),
	};
	return ut_main(argc, argv, "lease", cases, UT_COUNT(cases));
}
