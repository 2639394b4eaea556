/*
 * poll: waiting on descriptors. poll on pipes (POLLIN, POLLOUT, POLLHUP,
 * POLLERR, POLLNVAL, negative fds, timeouts, a wake-up from another
 * process, a hundred descriptors), ppoll and pselect6 with a signal mask,
 * select's fd_set semantics and its timeout update, and eventfd2.
 *
 * ppoll, select and pselect6 are called raw: musl's wrappers pass the
 * kernel a copy of the timeout, which hides the kernel's update of it.
 * A peer that must wake a waiter is a forked child, which arms alarm() so
 * that it can never outlive a broken kernel; every wait has a timeout.
 */
#include "utest.h"
#include "utest_arch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_ALARM_S 10 /* a peer child dies by SIGALRM after this */
#define LONG_WAIT_MS  10000

/* ---- helpers -------------------------------------------------------- */

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* poll one fd for events with timeout ms; return revents, or -1 with the
 * case failed when poll itself does not return 0 or 1 as it should. */
static int poll_one(int fd, short events, int ms)
{
	struct pollfd p = {fd, events, 0x7fff};
	int n = poll(&p, 1, ms);
	if (n < 0 || n > 1) {
		ut_fail("poll(%d) returned %d (%s)", fd, n,
			ut_errno_name(errno));
		return -1;
	}
	if (n == 0 && p.revents != 0) {
		ut_fail("poll(%d) returned 0 with revents %#x", fd, p.revents);
		return -1;
	}
	return p.revents;
}

/* Fill the pipe's write end until a non-blocking write says EAGAIN;
 * return the bytes written. */
static long fill_pipe(int wfd)
{
	static char block[4096];
	int flags = fcntl(wfd, F_GETFL);
	fcntl(wfd, F_SETFL, flags | O_NONBLOCK);
	long total = 0;
	for (;;) {
		ssize_t n = write(wfd, block, sizeof(block));
		if (n <= 0)
			break;
		total += n;
	}
	fcntl(wfd, F_SETFL, flags);
	return total;
}

/* A child that sleeps ms, then writes len bytes of buf to fd and exits. */
static pid_t delayed_writer(int fd, const void *buf, size_t len, long ms)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		ut_sleep_ms(ms);
		_exit(write(fd, buf, len) == (ssize_t)len ? 0 : 1);
	}
	return pid;
}

static long long ms_since(long long start_ns)
{
	return (ut_now_ns() - start_ns) / 1000000;
}

/* ---- poll on pipes -------------------------------------------------- */

static void pipe_pollin(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(poll_one(p[0], POLLIN, 0), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll_one(p[0], POLLIN, 0), POLLIN);
	/* only asked-for events, apart from the always-reported ones */
	CHECK_EQ(poll_one(p[0], POLLOUT, 0), 0);
	CHECK_EQ(poll_one(p[0], POLLIN | POLLRDNORM, 0), POLLIN | POLLRDNORM);
	char c;
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(poll_one(p[0], POLLIN, 0), 0);
	close_pair(p);
}

static void pipe_pollout(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(poll_one(p[1], POLLOUT, 0), POLLOUT);
	CHECK_EQ(poll_one(p[1], POLLIN, 0), 0);
	long size = fill_pipe(p[1]);
	CHECK(size >= 4096);
	CHECK_EQ(poll_one(p[1], POLLOUT, 0), 0);
	static char sink[4096];
	for (long left = size; left > 0;) {
		ssize_t n = read(p[0], sink, sizeof(sink));
		CHECK(n > 0);
		left -= n;
	}
	CHECK_EQ(poll_one(p[1], POLLOUT, 0), POLLOUT);
	close_pair(p);
}

static void pipe_pollhup(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(close(p[1]), 0);
	/* POLLHUP is reported even when not asked for, beside the data */
	CHECK_EQ(poll_one(p[0], POLLIN, 0), POLLIN | POLLHUP);
	CHECK_EQ(poll_one(p[0], 0, 0), POLLHUP);
	char buf[4];
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);
	CHECK_EQ(poll_one(p[0], POLLIN, 0), POLLHUP);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

static void pipe_pollerr(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(close(p[0]), 0);
	/* Linux reports room as well as the error */
	CHECK_EQ(poll_one(p[1], POLLOUT, 0), POLLOUT | POLLERR);
	CHECK_EQ(poll_one(p[1], 0, 0), POLLERR);
	close(p[1]);
}

static void timeout_zero(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLIN, 0}};
	CHECK_EQ(poll(fds, 2, 0), 0);
	CHECK_EQ(fds[0].revents, 0);
	CHECK_EQ(fds[1].revents, 0);
	CHECK_EQ(poll(NULL, 0, 0), 0);
	close_pair(p);
}

static void timeout_50ms(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	struct pollfd fd = {p[0], POLLIN, 0};
	long long start = ut_now_ns();
	CHECK_EQ(poll(&fd, 1, 50), 0);
	CHECK(ms_since(start) >= 50);
	start = ut_now_ns();
	CHECK_EQ(poll(NULL, 0, 50), 0);
	CHECK(ms_since(start) >= 50);
	close_pair(p);
}

static void woken_by_write(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = delayed_writer(p[1], "w", 1, 50);
	CHECK(pid > 0);
	struct pollfd fd = {p[0], POLLIN, 0};
	int n = poll(&fd, 1, LONG_WAIT_MS);
	int status = ut_wait(pid);
	CHECK_EQ(n, 1);
	CHECK_EQ(fd.revents, POLLIN);
	CHECK_EQ(status, 0);
	close_pair(p);
}

static void negative_fd(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct pollfd fds[3] = {
	    {-1, POLLIN, 0x7fff}, {p[0], POLLIN, 0}, {-42, POLLOUT, 0x7fff}};
	CHECK_EQ(poll(fds, 3, 0), 1);
	CHECK_EQ(fds[0].revents, 0);
	CHECK_EQ(fds[1].revents, POLLIN);
	CHECK_EQ(fds[2].revents, 0);
	/* only negative fds: the timeout runs out */
	long long start = ut_now_ns();
	CHECK_EQ(poll(fds, 1, 20), 0);
	CHECK(ms_since(start) >= 20);
	close_pair(p);
}

static void closed_fd(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	int dead = dup(p[0]);
	CHECK(dead >= 0);
	CHECK_EQ(close(dead), 0);
	struct pollfd fds[2] = {{dead, POLLIN, 0}, {p[1], POLLOUT, 0}};
	/* POLLNVAL counts as an event, asked for or not */
	CHECK_EQ(poll(fds, 2, LONG_WAIT_MS), 2);
	CHECK_EQ(fds[0].revents, POLLNVAL);
	CHECK_EQ(fds[1].revents, POLLOUT);
	fds[0].events = 0;
	CHECK_EQ(poll(fds, 1, LONG_WAIT_MS), 1);
	CHECK_EQ(fds[0].revents, POLLNVAL);
	close_pair(p);
}

#ifdef SYS_poll
static void poll_errors(void)
{
	struct pollfd fd = {0, POLLIN, 0};
	/* more fds than RLIMIT_NOFILE allows */
	CHECK_ERR(syscall(SYS_poll, &fd, 1UL << 30, 0), EINVAL);
	CHECK_ERR(syscall(SYS_poll, NULL, 1, 0), EFAULT);
}
#endif

#define MANY 100

/* 100 pipes; data in four of them: poll reports exactly those four. */
static void many_fds(void)
{
	static int p[MANY][2];
	static struct pollfd fds[MANY];
	static const int ready[] = {0, 7, 63, 99};
	int opened = 0;
	for (; opened < MANY; opened++)
		if (pipe(p[opened]) != 0)
			break;
	if (!EXPECT_EQ(opened, MANY))
		goto out;
	for (int i = 0; i < UT_COUNT(ready); i++)
		if (!EXPECT_EQ(write(p[ready[i]][1], "r", 1), 1))
			goto out;
	for (int i = 0; i < MANY; i++)
		fds[i] = (struct pollfd){p[i][0], POLLIN, 0x7fff};
	if (!EXPECT_EQ(poll(fds, MANY, LONG_WAIT_MS), UT_COUNT(ready)))
		goto out;
	for (int i = 0, r = 0; i < MANY; i++) {
		int want = r < UT_COUNT(ready) && ready[r] == i;
		r += want;
		if (fds[i].revents != (want ? POLLIN : 0)) {
			ut_fail("pipe %d has revents %#x", i, fds[i].revents);
			goto out;
		}
	}
out:
	for (int i = 0; i < opened; i++)
		close_pair(p[i]);
}

/* ---- ppoll and signal masks ----------------------------------------- */

static volatile int hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

/* SIGUSR1 caught by on_usr1 and blocked in the process mask, none
 * pending. */
static void signal_setup(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hits = 0;
}

static void signal_reset(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	signal(SIGUSR1, SIG_IGN); /* drops a pending one */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGUSR1, SIG_DFL);
}

static int usr1_blocked(void)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGUSR1);
}

/* A child that sends SIGUSR1 to this process every 10 ms for 5 s. */
static pid_t signaller(void)
{
	pid_t target = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 500; i++) {
			kill(target, SIGUSR1);
			ut_sleep_ms(10);
		}
		_exit(0);
	}
	return pid;
}

static long sys_ppoll(struct pollfd *fds, unsigned long n, struct timespec *t,
		      const sigset_t *mask)
{
	return syscall(SYS_ppoll, fds, n, t, mask, 8);
}

/* A pending SIGUSR1 that ppoll's mask blocks does not end it early; with
 * an empty mask, ppoll returns EINTR at once and the handler runs. */
static void ppoll_mask_pending(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	signal_setup();
	raise(SIGUSR1);
	sigset_t usr1, none;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	struct pollfd fd = {p[0], POLLIN, 0};
	struct timespec t = {0, 50000000};
	long long start = ut_now_ns();
	long r = sys_ppoll(&fd, 1, &t, &usr1);
	long long took = ms_since(start);
	int hits_blocked = hits;
	t = (struct timespec){10, 0};
	long r2 = sys_ppoll(&fd, 1, &t, &none);
	int err = errno, hits_open = hits, still_blocked = usr1_blocked();
	signal_reset();
	close_pair(p);
	CHECK_EQ(r, 0);
	CHECK(took >= 50);
	CHECK_EQ(hits_blocked, 0);
	errno = err;
	CHECK_ERR(r2, EINTR);
	CHECK_EQ(hits_open, 1);
	CHECK(still_blocked); /* the process mask is back */
}

/* A signal from another process: blocked by ppoll's mask it does not
 * interrupt the wait; unblocked it does, with EINTR. */
static void ppoll_mask_signaller(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	signal_setup();
	pid_t pid = signaller();
	CHECK(pid > 0);
	sigset_t usr1, none;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	struct pollfd fd = {p[0], POLLIN, 0};
	struct timespec t = {0, 100000000};
	long r = sys_ppoll(&fd, 1, &t, &usr1);
	int hits_blocked = hits;
	t = (struct timespec){10, 0};
	long r2 = sys_ppoll(&fd, 1, &t, &none);
	int err = errno, hits_open = hits;
	ut_kill(pid);
	signal_reset();
	close_pair(p);
	CHECK_EQ(r, 0);
	CHECK_EQ(hits_blocked, 0);
	errno = err;
	CHECK_ERR(r2, EINTR);
	CHECK_EQ(hits_open, 1);
}

static void ppoll_timeout(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	struct pollfd fd = {p[0], POLLIN, 0};
	struct timespec t = {0, 30000000};
	long long start = ut_now_ns();
	long r = sys_ppoll(&fd, 1, &t, NULL);
	long long took = ms_since(start);
	struct timespec bad = {0, 1000000000};
	long r2 = sys_ppoll(&fd, 1, &bad, NULL);
	int err = errno;
	close_pair(p);
	CHECK_EQ(r, 0);
	CHECK(took >= 30);
	/* the kernel writes back what is left: nothing */
	CHECK_EQ(t.tv_sec, 0);
	CHECK_EQ(t.tv_nsec, 0);
	errno = err;
	CHECK_ERR(r2, EINVAL);
}

/* ---- select and pselect6 -------------------------------------------- */

#ifdef SYS_select /* the legacy calls; pselect6 is everywhere */
static long sys_select(int n, fd_set *r, fd_set *w, fd_set *e,
		       struct timeval *t)
{
	return syscall(SYS_select, n, r, w, e, t);
}

static void select_sets(void)
{
	int empty[2], full[2];
	CHECK_EQ(pipe(empty), 0);
	CHECK_EQ(pipe(full), 0);
	CHECK_EQ(write(full[1], "d", 1), 1);
	fd_set r, w, e;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&e);
	FD_SET(empty[0], &r);
	FD_SET(full[0], &r);
	FD_SET(empty[1], &w);
	FD_SET(full[0], &w); /* a read end is never writable */
	FD_SET(empty[0], &e);
	int nfds = 1 + (empty[1] > full[1] ? empty[1] : full[1]);
	struct timeval t = {0, 0};
	long n = sys_select(nfds, &r, &w, &e, &t);
	int r_empty = FD_ISSET(empty[0], &r), r_full = FD_ISSET(full[0], &r);
	int w_empty = FD_ISSET(empty[1], &w), w_full = FD_ISSET(full[0], &w);
	int e_empty = FD_ISSET(empty[0], &e);
	/* the count is of bits set over all three sets */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(full[0], &r);
	FD_SET(full[1], &r);
	FD_SET(full[1], &w);
	long n2 = sys_select(nfds, &r, &w, NULL, &t);
	int r2_wend = FD_ISSET(full[1], &r);
	close_pair(empty);
	close_pair(full);
	CHECK_EQ(n, 2);
	CHECK(!r_empty && r_full && w_empty && !w_full && !e_empty);
	CHECK_EQ(n2, 2);
	CHECK(!r2_wend);
}

/* A timeout that runs out: 0, not earlier, and tv written back as 0. */
static void select_timeout(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval t = {0, 50000};
	long long start = ut_now_ns();
	long n = sys_select(p[0] + 1, &r, NULL, NULL, &t);
	long long took = ms_since(start);
	int still = FD_ISSET(p[0], &r);
	start = ut_now_ns();
	struct timeval t2 = {0, 20000};
	long n2 = sys_select(0, NULL, NULL, NULL, &t2);
	long long took2 = ms_since(start);
	close_pair(p);
	CHECK_EQ(n, 0);
	CHECK(took >= 50);
	CHECK(!still);
	CHECK_EQ(t.tv_sec, 0);
	CHECK_EQ(t.tv_usec, 0);
	CHECK_EQ(n2, 0);
	CHECK(took2 >= 20);
}

/* Woken by a write: the timeout left is less than given, by at least the
 * time the kernel saw pass (which is within what we measured). */
static void select_woken(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = delayed_writer(p[1], "w", 1, 50);
	CHECK(pid > 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timeval t = {10, 0};
	long long start = ut_now_ns();
	long n = sys_select(p[0] + 1, &r, NULL, NULL, &t);
	long long took_us = (ut_now_ns() - start) / 1000;
	int set = FD_ISSET(p[0], &r);
	int status = ut_wait(pid);
	close_pair(p);
	CHECK_EQ(n, 1);
	CHECK(set);
	CHECK_EQ(status, 0);
	long long left_us = t.tv_sec * 1000000LL + t.tv_usec;
	CHECK(t.tv_usec >= 0 && t.tv_usec < 1000000);
	CHECK(left_us < 10000000);
	CHECK(left_us + took_us + 1 >= 10000000);
}

static void select_errors(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	int dead = dup(p[0]);
	CHECK(dead >= 0);
	CHECK_EQ(close(dead), 0);
	fd_set r;
	struct timeval t = {0, 0};
	FD_ZERO(&r);
	FD_SET(dead, &r);
	FD_SET(p[0], &r);
	long bad = sys_select(dead + 1, &r, NULL, NULL, &t);
	int bad_err = errno;
	/* a closed fd at or past nfds is not looked at */
	FD_ZERO(&r);
	FD_SET(dead, &r);
	long past = sys_select(dead, &r, NULL, NULL, &t);
	FD_ZERO(&r);
	long neg = sys_select(-1, &r, NULL, NULL, &t);
	int neg_err = errno;
	struct timeval badt = {0, -1};
	long badtime = sys_select(1, &r, NULL, NULL, &badt);
	int badtime_err = errno;
	/* a ready fd beyond nfds is not reported */
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	long beyond = sys_select(p[0], &r, NULL, NULL, &t);
	/* nfds may be as large as FD_SETSIZE */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	long whole = sys_select(FD_SETSIZE, &r, NULL, NULL, &t);
	close_pair(p);
	errno = bad_err;
	CHECK_ERR(bad, EBADF);
	CHECK_EQ(past, 0);
	errno = neg_err;
	CHECK_ERR(neg, EINVAL);
	errno = badtime_err;
	CHECK_ERR(badtime, EINVAL);
	CHECK_EQ(beyond, 0);
	CHECK_EQ(whole, 1);
}
#endif

struct pselect_mask {
	const sigset_t *set;
	size_t size;
};

static long sys_pselect6(int n, fd_set *r, fd_set *w, struct timespec *t,
			 const sigset_t *mask)
{
	struct pselect_mask m = {mask, 8};
	return syscall(SYS_pselect6, n, r, w, NULL, t, mask ? &m : NULL);
}

static void pselect6_sets(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timespec t = {0, 0};
	long n = sys_pselect6(p[1] + 1, &r, &w, &t, NULL);
	int rset = FD_ISSET(p[0], &r), wset = FD_ISSET(p[1], &w);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	t = (struct timespec){0, 30000000};
	long long start = ut_now_ns();
	long n2 = sys_pselect6(p[0] + 1, &r, NULL, &t, NULL);
	long long took = ms_since(start);
	t = (struct timespec){0, 1000000000};
	long n3 = sys_pselect6(p[0] + 1, &r, NULL, &t, NULL);
	int err3 = errno;
	close_pair(p);
	CHECK_EQ(n, 1);
	CHECK(!rset && wset);
	CHECK_EQ(n2, 0);
	CHECK(took >= 30);
	errno = err3;
	CHECK_ERR(n3, EINVAL);
}

static void pselect6_mask(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	signal_setup();
	raise(SIGUSR1);
	sigset_t usr1, none;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	struct timespec t = {0, 50000000};
	long long start = ut_now_ns();
	long n = sys_pselect6(p[0] + 1, &r, NULL, &t, &usr1);
	long long took = ms_since(start);
	int hits_blocked = hits;
	FD_SET(p[0], &r);
	t = (struct timespec){10, 0};
	long n2 = sys_pselect6(p[0] + 1, &r, NULL, &t, &none);
	int err = errno, hits_open = hits, still_blocked = usr1_blocked();
	signal_reset();
	close_pair(p);
	CHECK_EQ(n, 0);
	CHECK(took >= 50);
	CHECK_EQ(hits_blocked, 0);
	errno = err;
	CHECK_ERR(n2, EINTR);
	CHECK_EQ(hits_open, 1);
	CHECK(still_blocked);
}

#ifdef SYS_select
/* Bad pointers: a set, the timeout or pselect6's mask pair that cannot
 * be read, a set that cannot be written back, are EFAULT; a mask size
 * other than 8 is EINVAL. */
static void select_efault(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	fd_set *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	FD_ZERO(ro);
	FD_SET(p[0], ro);
	CHECK_EQ(mprotect(ro, 4096, PROT_READ), 0);
	struct timeval t = {0, 0};
	struct timespec ts = {0, 0};
	struct pollfd pfd = {p[0], POLLIN, 0};
	long r1 = sys_select(p[0] + 1, (fd_set *)8, NULL, NULL, &t);
	int e1 = errno;
	long r2 = sys_select(p[0] + 1, NULL, NULL, NULL, (struct timeval *)8);
	int e2 = errno;
	long r3 = sys_select(p[0] + 1, ro, NULL, NULL, &t); /* ready */
	int e3 = errno;
	long r4 = syscall(SYS_pselect6, p[0] + 1, ro, NULL, NULL, &ts, 8L);
	int e4 = errno;
	struct pselect_mask m = {(const sigset_t *)8, 8};
	long r5 = syscall(SYS_pselect6, 1, NULL, NULL, NULL, &ts, &m);
	int e5 = errno;
	sigset_t none;
	sigemptyset(&none);
	m = (struct pselect_mask){&none, 4};
	long r6 = syscall(SYS_pselect6, 1, NULL, NULL, NULL, &ts, &m);
	int e6 = errno;
	long r7 = syscall(SYS_poll, (struct pollfd *)8, 1, 0);
	int e7 = errno;
	long r8 = syscall(SYS_poll, &pfd, 1, 0);
	munmap(ro, 4096);
	close_pair(p);
	errno = e1;
	CHECK_ERR(r1, EFAULT);
	errno = e2;
	CHECK_ERR(r2, EFAULT);
	errno = e3;
	CHECK_ERR(r3, EFAULT);
	errno = e4;
	CHECK_ERR(r4, EFAULT);
	errno = e5;
	CHECK_ERR(r5, EFAULT);
	errno = e6;
	CHECK_ERR(r6, EINVAL);
	errno = e7;
	CHECK_ERR(r7, EFAULT);
	CHECK_EQ(r8, 1);
	CHECK_EQ(pfd.revents, POLLIN);
}
#endif

static volatile int alarms;
static volatile uintptr_t alarm_pc, alarm_sp;

static void on_alarm_info(int sig, siginfo_t *si, void *uc)
{
	int here;

	(void)sig, (void)si;
	alarm_pc = UT_UC_PC((ucontext_t *)uc);
	alarm_sp = (uintptr_t)&here;
	alarms++;
}

/* wait(): a wait of 5 s that a timer's SIGALRM (SA_RESTART) ends after
 * 30 ms. Each must fail with EINTR (select and poll are not restarted),
 * the handler running once, on the program's stack (near the caller's
 * frame), interrupting the program's code at the call. */
static void interrupted(const char *what, long (*wait)(void))
{
	struct sigaction sa = {.sa_sigaction = on_alarm_info,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	struct itimerval it = {{0, 0}, {0, 30000}};
	int here;
	long r;

	alarms = 0;
	alarm_pc = alarm_sp = 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	long long start = ut_now_ns();
	r = wait();
	int err = errno;
	long long took = ms_since(start);
	signal(SIGALRM, SIG_DFL);
	errno = err;
	if (!EXPECT_ERR(r, EINTR) || !EXPECT_EQ(alarms, 1) ||
	    !EXPECT(took < 4000))
		return ut_fail("%s", what);
	uintptr_t sp = (uintptr_t)&here;
	if (!EXPECT(alarm_sp < sp && sp - alarm_sp < (1 << 20)))
		return ut_fail("%s: handler stack %#lx, caller's %#lx", what,
			       (unsigned long)alarm_sp, (unsigned long)sp);
	/* lux's personality lives in the top MiB; a program's text never */
	if (!EXPECT(alarm_pc < 0x7ffffff00000UL))
		ut_fail("%s: handler interrupted %#lx", what,
			(unsigned long)alarm_pc);
}

#ifdef SYS_select
static long select_5s(void)
{
	struct timeval t = {5, 0};
	return sys_select(0, NULL, NULL, NULL, &t);
}
#endif

#ifdef SYS_poll
static long poll_5s(void)
{
	int p[2];
	if (pipe(p))
		return -2;
	struct pollfd pfd = {p[0], POLLIN, 0};
	long r = syscall(SYS_poll, &pfd, 1, 5000);
	int err = errno;
	close_pair(p);
	errno = err;
	return r;
}
#endif

static long pselect6_5s(void)
{
	struct timespec t = {5, 0};
	return sys_pselect6(0, NULL, NULL, &t, NULL);
}

static void select_signal(void)
{
#ifdef SYS_select
	interrupted("select", select_5s);
	interrupted("poll", poll_5s);
#endif
	interrupted("pselect6", pselect6_5s);
}

/* ---- eventfd2 ------------------------------------------------------- */

#ifdef SYS_eventfd
/* The legacy eventfd: eventfd2 without flags (blocking, kept across
 * exec). */
static void eventfd_legacy(void)
{
	uint64_t v = 0;
	int fd = syscall(SYS_eventfd, 3);
	CHECK(fd >= 0);
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	long n = read(fd, &v, 8);
	close(fd);
	CHECK_EQ(n, 8);
	CHECK_EQ(v, 3);
	CHECK_EQ(fl & O_NONBLOCK, 0);
	CHECK_EQ(fdfl & FD_CLOEXEC, 0);
}
#endif

static int sys_eventfd2(unsigned int initval, int flags)
{
	return (int)syscall(SYS_eventfd2, initval, flags);
}

static void eventfd_counter(void)
{
	int fd = sys_eventfd2(5, 0);
	CHECK(fd >= 0);
	uint64_t v = 0;
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 5);
	v = 3;
	CHECK_EQ(write(fd, &v, 8), 8);
	v = 4;
	CHECK_EQ(write(fd, &v, 8), 8);
	char big[16];
	CHECK_EQ(read(fd, big, sizeof(big)), 8); /* more room is fine */
	memcpy(&v, big, 8);
	CHECK_EQ(v, 7);
	CHECK_EQ(poll_one(fd, POLLIN, 0), 0); /* reset to 0 */
	v = 0;
	CHECK_EQ(write(fd, &v, 8), 8); /* adding 0 is allowed */
	CHECK_EQ(poll_one(fd, POLLIN, 0), 0);
	close(fd);
}

static void eventfd_semaphore(void)
{
	int fd = sys_eventfd2(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	CHECK(fd >= 0);
	uint64_t v = 10;
	CHECK_EQ(write(fd, &v, 8), 8);
	for (int i = 0; i < 12; i++) {
		v = 0;
		CHECK_EQ(read(fd, &v, 8), 8);
		CHECK_EQ(v, 1);
	}
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void eventfd_nonblock(void)
{
	int fd = sys_eventfd2(0, EFD_NONBLOCK);
	CHECK(fd >= 0);
	CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	uint64_t v;
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	/* the counter stops at 2^64 - 2; a write past it would block */
	v = 0xfffffffffffffffeULL;
	CHECK_EQ(write(fd, &v, 8), 8);
	v = 1;
	CHECK_ERR(write(fd, &v, 8), EAGAIN);
	CHECK_EQ(poll_one(fd, POLLIN | POLLOUT, 0), POLLIN);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 0xfffffffffffffffeULL);
	CHECK_EQ(poll_one(fd, POLLIN | POLLOUT, 0), POLLOUT);
	close(fd);
}

static int blocked_fd;

/* In a child: read blocks until the parent writes 9. */
static void eventfd_reader(void)
{
	alarm(CHILD_ALARM_S);
	uint64_t v = 0;
	CHECK_EQ(read(blocked_fd, &v, 8), 8);
	CHECK_EQ(v, 9);
}

static void eventfd_blocks(void)
{
	blocked_fd = sys_eventfd2(0, 0);
	CHECK(blocked_fd >= 0);
	pid_t pid = ut_spawn(eventfd_reader);
	CHECK(pid > 0);
	ut_sleep_ms(50);
	int status;
	pid_t early = waitpid(pid, &status, WNOHANG);
	uint64_t v = 9;
	ssize_t w = write(blocked_fd, &v, 8);
	int ok = ut_join(pid);
	close(blocked_fd);
	CHECK_EQ(early, 0); /* still blocked after 50 ms */
	CHECK_EQ(w, 8);
	CHECK(ok);
}

static void eventfd_einval(void)
{
	int fd = sys_eventfd2(1, EFD_NONBLOCK);
	CHECK(fd >= 0);
	uint64_t v = 0xffffffffffffffffULL;
	CHECK_ERR(write(fd, &v, 8), EINVAL);
	CHECK_ERR(write(fd, &v, 7), EINVAL);
	CHECK_ERR(write(fd, &v, 1), EINVAL);
	CHECK_ERR(read(fd, &v, 7), EINVAL);
	CHECK_ERR(read(fd, &v, 0), EINVAL);
	v = 0;
	CHECK_EQ(read(fd, &v, 8), 8); /* nothing was added */
	CHECK_EQ(v, 1);
	close(fd);
	CHECK_ERR(sys_eventfd2(0, 0x40), EINVAL);
}

static void eventfd_poll(void)
{
	int fd = sys_eventfd2(0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(poll_one(fd, POLLIN | POLLOUT, 0), POLLOUT);
	uint64_t v = 1;
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(poll_one(fd, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(poll_one(fd, POLLIN, 0), 0);
	/* a write from another process wakes poll */
	v = 2;
	pid_t pid = delayed_writer(fd, &v, 8, 30);
	CHECK(pid > 0);
	int rev = poll_one(fd, POLLIN, LONG_WAIT_MS);
	int status = ut_wait(pid);
	CHECK_EQ(rev, POLLIN);
	CHECK_EQ(status, 0);
	close(fd);
}

static void eventfd_cloexec(void)
{
	int fd = sys_eventfd2(0, EFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	fd = sys_eventfd2(0, 0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
	CHECK_EQ(EFD_CLOEXEC, O_CLOEXEC);
	CHECK_EQ(EFD_NONBLOCK, O_NONBLOCK);
}

static const struct ut_case cases[] = {
    UT_CASE(pipe_pollin),
    UT_CASE(pipe_pollout),
    UT_CASE(pipe_pollhup),
    UT_CASE(pipe_pollerr),
    UT_CASE(timeout_zero),
    UT_CASE(timeout_50ms),
    UT_CASE(woken_by_write),
    UT_CASE(negative_fd),
    UT_CASE(closed_fd),
#ifdef SYS_poll
    UT_CASE(poll_errors),
#endif
    UT_CASE(many_fds),
    UT_CASE(ppoll_mask_pending),
    UT_CASE(ppoll_mask_signaller),
    UT_CASE(ppoll_timeout),
#ifdef SYS_select
    UT_CASE(select_sets),
    UT_CASE(select_timeout),
    UT_CASE(select_woken),
    UT_CASE(select_errors),
#endif
    UT_CASE(pselect6_sets),
    UT_CASE(pselect6_mask),
#ifdef SYS_select
    UT_CASE(select_efault),
#endif
    UT_CASE(select_signal),
#ifdef SYS_eventfd
    UT_CASE(eventfd_legacy),
#endif
    UT_CASE(eventfd_counter),
    UT_CASE(eventfd_semaphore),
    UT_CASE(eventfd_nonblock),
    UT_CASE(eventfd_blocks),
    UT_CASE(eventfd_einval),
    UT_CASE(eventfd_poll),
    UT_CASE(eventfd_cloexec),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "poll", cases, UT_COUNT(cases));
}
