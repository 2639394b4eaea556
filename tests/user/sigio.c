/*
 * sigio: signal-driven I/O. O_ASYNC with F_SETOWN, F_SETOWN_EX and
 * F_SETSIG on pipes and Unix sockets (a listening socket's new connection
 * too): the owner gets SIGIO, or the F_SETSIG signal with si_code POLL_IN
 * or POLL_OUT, si_fd and si_band; the owner and signal commands' answers
 * and errors; the sender's permission (a process that could not kill the
 * owner does not signal it); a flood of readiness changes with a blocked
 * real-time signal queues a bounded number and falls back to SIGIO.
 *
 * Linux sends the signal from the call that changed the readiness, so it
 * is pending when that call returns: the cases block the signals and look
 * with sigtimedwait (zero timeout: pending now or not at all).
 */
#include "utest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RTSIG (SIGRTMIN + 3)

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

/* The pending signal sig taken into *si: whether there was one. */
static int take(int sig, siginfo_t *si)
{
	sigset_t s;
	struct timespec zero = {0, 0};

	sigemptyset(&s);
	sigaddset(&s, sig);
	return sigtimedwait(&s, si, &zero) == sig;
}

/* fd owned by this process, O_ASYNC|O_NONBLOCK, F_SETSIG sig. */
static int make_async(int fd, int sig)
{
	return fcntl(fd, F_SETOWN, getpid()) == 0 &&
	       fcntl(fd, F_SETSIG, sig) == 0 &&
	       fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) == 0;
}

static void pipe_sigio(void)
{
	int p[2];
	siginfo_t si;

	block_sigs();
	CHECK(pipe(p) == 0);
	CHECK(make_async(p[0], 0));
	CHECK((fcntl(p[0], F_GETFL) & O_ASYNC) != 0);
	CHECK(!take(SIGIO, &si)); /* setting it sends nothing */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(take(SIGIO, &si));
	CHECK_EQ(si.si_code, SI_KERNEL);
	CHECK_EQ(read(p[0], &si, 1), 1);
	CHECK(!take(SIGIO, &si)); /* a read does not signal the reader */
	CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(!take(SIGIO, &si)); /* O_ASYNC off: nothing */
	close(p[0]);
	close(p[1]);
}

static void pipe_setsig(void)
{
	int p[2];
	siginfo_t si;
	char buf[4096];

	block_sigs();
	CHECK(pipe(p) == 0);
	CHECK(make_async(p[0], RTSIG));
	CHECK_EQ(fcntl(p[0], F_GETSIG), RTSIG);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK(take(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, p[0]);
	CHECK((si.si_band & POLLIN) != 0);
	CHECK(!take(SIGIO, &si));
	/* the write end: a read that makes room is POLL_OUT */
	CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CHECK(make_async(p[1], RTSIG));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	CHECK(!take(RTSIG, &si)); /* its own writes do not signal it */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), (long)sizeof(buf));
	CHECK(take(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_OUT);
	CHECK_EQ(si.si_fd, p[1]);
	CHECK((si.si_band & POLLOUT) != 0);
	close(p[0]);
	/* the last reader gone: the writer hears of it (POLLERR) */
	CHECK(take(RTSIG, &si));
	CHECK_EQ(si.si_fd, p[1]);
	close(p[1]);
}

static void pipe_hangup(void)
{
	int p[2];
	siginfo_t si;

	block_sigs();
	CHECK(pipe(p) == 0);
	CHECK(make_async(p[0], RTSIG));
	close(p[1]); /* end of file is readable: POLL_IN */
	CHECK(take(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, p[0]);
	close(p[0]);
}

static void sock_pair(void)
{
	int sv[2];
	siginfo_t si;

	block_sigs();
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(make_async(sv[0], RTSIG));
	CHECK_EQ(write(sv[0], "x", 1), 1);
	CHECK(!take(RTSIG, &si)); /* its own send: nothing */
	CHECK_EQ(write(sv[1], "y", 1), 1);
	CHECK(take(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, sv[0]);
	close(sv[0]);
	close(sv[1]);
}

static void sock_dgram(void)
{
	int sv[2];
	siginfo_t si;

	block_sigs();
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	CHECK(make_async(sv[1], 0));
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK(take(SIGIO, &si));
	close(sv[0]);
	close(sv[1]);
}

static void sock_listen(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int l, c;
	siginfo_t si;

	block_sigs();
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "sigio-%d",
		 (int)getpid()); /* abstract */
	socklen_t len =
	    offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
	CHECK((l = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	CHECK(bind(l, (struct sockaddr *)&a, len) == 0);
	CHECK(listen(l, 4) == 0);
	CHECK(make_async(l, RTSIG));
	CHECK((c = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	CHECK(!take(RTSIG, &si));
	CHECK(connect(c, (struct sockaddr *)&a, len) == 0);
	CHECK(take(RTSIG, &si));
	CHECK_EQ(si.si_code, POLL_IN);
	CHECK_EQ(si.si_fd, l);
	close(c);
	close(l);
}

static void owner_calls(void)
{
	int p[2];
	struct f_owner_ex ex = {0, 0};

	CHECK(pipe(p) == 0);
	CHECK_EQ(fcntl(p[0], F_GETOWN), 0);
	CHECK_EQ(fcntl(p[0], F_GETSIG), 0);
	CHECK_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	CHECK_EQ(ex.pid, 0);
	CHECK_EQ(fcntl(p[0], F_SETOWN, getpid()), 0);
	CHECK_EQ(fcntl(p[0], F_GETOWN), getpid());
	CHECK_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	CHECK_EQ(ex.type, F_OWNER_PID);
	CHECK_EQ(ex.pid, getpid());
	CHECK_EQ(fcntl(p[0], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(fcntl(p[0], F_GETOWN), -getpgrp());
	CHECK_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0);
	CHECK_EQ(ex.type, F_OWNER_PGRP);
	CHECK_EQ(ex.pid, getpgrp());
	ex = (struct f_owner_ex){F_OWNER_TID, gettid()};
	CHECK_EQ(fcntl(p[0], F_SETOWN_EX, &ex), 0);
	CHECK_EQ(fcntl(p[0], F_GETOWN), gettid());
	CHECK_EQ(fcntl(p[1], F_GETOWN), 0); /* each open file its own */
	CHECK_ERR(fcntl(p[0], F_SETOWN, 0x7ffffff0), ESRCH);
	ex = (struct f_owner_ex){3, getpid()};
	CHECK_ERR(fcntl(p[0], F_SETOWN_EX, &ex), EINVAL);
	CHECK_ERR(fcntl(p[0], F_SETOWN_EX, (void *)8), EFAULT);
	CHECK_ERR(fcntl(p[0], F_SETSIG, 65), EINVAL);
	CHECK_ERR(fcntl(p[0], F_SETSIG, -1), EINVAL);
	/* the signal is an int: the register's upper half is ignored */
	CHECK_EQ(syscall(SYS_fcntl, p[0], F_SETSIG, (1L << 32) | SIGUSR2), 0);
	CHECK_EQ(fcntl(p[0], F_GETSIG), SIGUSR2);
	CHECK_EQ(fcntl(p[0], F_SETSIG, SIGUSR1), 0);
	CHECK_EQ(fcntl(p[0], F_GETSIG), SIGUSR1);
	int d = dup(p[0]); /* the owner is the open file's */
	CHECK_EQ(fcntl(d, F_GETSIG), SIGUSR1);
	close(d);
	close(p[0]);
	close(p[1]);
}

/* A process group owner: every member gets the signal. */
static void group_owner(void)
{
	int p[2], go[2];
	siginfo_t si;
	pid_t kid;

	block_sigs();
	CHECK(pipe(p) == 0 && pipe(go) == 0);
	CHECK(setpgid(0, 0) == 0);
	if (!(kid = fork())) {
		close(go[1]);
		char c;
		int ok = read(go[0], &c, 1) == 1 && take(SIGIO, &si);
		_exit(ok ? 0 : 1);
	}
	CHECK(kid > 0);
	CHECK(make_async(p[0], 0));
	CHECK_EQ(fcntl(p[0], F_SETOWN, -getpgrp()), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(take(SIGIO, &si));
	CHECK_EQ(write(go[1], "g", 1), 1);
	int st;
	CHECK_EQ(waitpid(kid, &st, 0), kid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]), close(p[1]), close(go[0]), close(go[1]);
}

/* A process that could not kill the owner does not signal it: an
 * unprivileged child names its root parent as the owner. The same child
 * as root does signal it (the control). */
static void perm_child(int p[2], int drop)
{
	if (drop && setuid(65534) != 0)
		_exit(2);
	if (fcntl(p[0], F_SETOWN, getppid()) != 0 ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) != 0)
		_exit(3);
	_exit(write(p[1], "x", 1) == 1 ? 0 : 4);
}

static void permission(void)
{
	siginfo_t si;
	int st;

	CHECK(getuid() == 0); /* the tests run as root */
	block_sigs();
	for (int drop = 1; drop >= 0; drop--) {
		int p[2];
		pid_t kid;
		CHECK(pipe(p) == 0);
		if (!(kid = fork()))
			perm_child(p, drop);
		CHECK(kid > 0);
		CHECK_EQ(waitpid(kid, &st, 0), kid);
		CHECK_EQ(st, 0);
		CHECK_EQ(take(SIGIO, &si), !drop);
		close(p[0]);
		close(p[1]);
	}
}

/* Many readiness changes with the real-time signal blocked: each queues
 * an instance up to a bound; past it, SIGIO stands in. */
static void flood(void)
{
	int p[2], n = 0;
	siginfo_t si;
	enum { WRITES = 2000 };

	block_sigs();
	CHECK(pipe(p) == 0);
	CHECK(make_async(p[0], RTSIG));
	for (int i = 0; i < WRITES; i++) {
		char c;
		CHECK_EQ(write(p[1], "x", 1), 1);
		CHECK_EQ(read(p[0], &c, 1), 1);
	}
	while (take(RTSIG, &si))
		n++;
	CHECK(n >= 1 && n <= WRITES);
	if (n < WRITES) /* the queue was full: SIGIO stood in */
		CHECK(take(SIGIO, &si));
	close(p[0]);
	close(p[1]);
}

/* Read through a signalfd, the F_SETSIG signal's fd and band are in
 * ssi_fd and ssi_band (they were in ssi_status and ssi_pid). */
static void pipe_signalfd(void)
{
	struct signalfd_siginfo ssi;
	sigset_t s;
	int p[2], sfd;

	block_sigs();
	sigemptyset(&s);
	sigaddset(&s, RTSIG);
	CHECK((sfd = signalfd(-1, &s, SFD_NONBLOCK)) >= 0);
	CHECK(pipe(p) == 0);
	CHECK(make_async(p[0], RTSIG));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(read(sfd, &ssi, sizeof(ssi)), (long)sizeof(ssi));
	CHECK_EQ((int)ssi.ssi_signo, RTSIG);
	CHECK_EQ(ssi.ssi_code, POLL_IN);
	CHECK_EQ(ssi.ssi_fd, p[0]);
	CHECK((ssi.ssi_band & POLLIN) != 0);
	CHECK_EQ((int)ssi.ssi_pid, 0);
	CHECK_EQ(ssi.ssi_status, 0);
	close(p[0]);
	close(p[1]);
	close(sfd);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(pipe_sigio),  UT_CASE(pipe_setsig),   UT_CASE(pipe_hangup),
	    UT_CASE(sock_pair),   UT_CASE(sock_dgram),    UT_CASE(sock_listen),
	    UT_CASE(owner_calls), UT_CASE(group_owner),   UT_CASE(permission),
	    UT_CASE(flood),       UT_CASE(pipe_signalfd),
	};
	return ut_main(argc, argv, "sigio", cases, UT_COUNT(cases));
}
