/*
 * event: epoll, timerfd and signalfd. epoll's errors in Linux's order,
 * level and edge triggering, one-shot and its re-arming, pipes (HUP and
 * ERR), Unix sockets (RDHUP), a terminal, a watched descriptor closed
 * (dropped when its file's last descriptor goes), a set shared across
 * fork, a set inside a set, poll and a blocking wait on a set, a wait
 * woken by another process, epoll_pwait's mask. timerfd: one-shot,
 * periodic (the expirations counted), absolute on CLOCK_REALTIME,
 * gettime, errors, in an epoll set. signalfd: blocked signals read as
 * struct signalfd_siginfo, poll, the mask changed, a blocking read woken.
 *
 * Every wait has a timeout; a peer child arms alarm() so that it can
 * never outlive a broken kernel.
 */
#include "utest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILD_ALARM_S 10
#define LONG_MS       10000

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* epoll_wait for one event with timeout ms: the count, the event in *ev. */
static int wait1(int ep, struct epoll_event *ev, int ms)
{
	memset(ev, 0, sizeof(*ev));
	return epoll_wait(ep, ev, 1, ms);
}

static int add(int ep, int fd, unsigned events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* A child that sleeps ms, then writes a byte to fd and exits. */
static pid_t delayed_write(int fd, long ms)
{
	pid_t pid = fork();
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		ut_sleep_ms(ms);
		_exit(write(fd, "x", 1) == 1 ? 0 : 1);
	}
	return pid;
}

static void epoll_errors(void)
{
	int p[2], ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	CHECK(ep >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(epoll_create1(1), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_create1, O_NONBLOCK), EINVAL);
#ifdef SYS_epoll_create
	CHECK_ERR(syscall(SYS_epoll_create, 0), EINVAL);
	int old = syscall(SYS_epoll_create, 1);
	CHECK(old >= 0);
	close(old);
#endif
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void *)8), EFAULT);
	CHECK_ERR(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &ev), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev), EBADF);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	CHECK_ERR(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, 7, p[0], &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &ev), ENOENT);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), ENOENT);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), EINVAL);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev), 0);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT);
	/* a regular file cannot be polled */
	int f = open(ut_self, O_RDONLY);
	CHECK(f >= 0);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
	CHECK_ERR(epoll_wait(ep, &ev, 0, 0), EINVAL);
	CHECK_ERR(epoll_wait(p[0], &ev, 1, 0), EINVAL);
	CHECK_ERR(epoll_wait(99, &ev, 1, 0), EBADF);
	close(f);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* Level triggered: reported while readable, with its data. */
static void epoll_level(void)
{
	int p[2], ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev;
	char c;
	CHECK(ep >= 0);
	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 0x1234567890abcdefULL), 0);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
		CHECK_EQ(ev.events, EPOLLIN);
		CHECK_EQ(ev.data.u64, 0x1234567890abcdefULL);
	}
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(wait1(ep, &ev, 0), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* Edge triggered: once per arrival; drained to EAGAIN, the next arrival
 * is reported again. (Each end in a set of its own: lux may report an
 * edge again after activity at the other end of the pipe, where Linux
 * filters by event; decision 0031.) */
static void epoll_edge(void)
{
	int p[2], ep = epoll_create1(0), epw = epoll_create1(0);
	struct epoll_event ev;
	char buf[16];
	CHECK_EQ(pipe2(p, O_NONBLOCK), 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	CHECK_EQ(add(epw, p[1], EPOLLOUT | EPOLLET, 2), 0);
	CHECK_EQ(wait1(epw, &ev, LONG_MS), 1); /* writable: once */
	CHECK_EQ(ev.data.u64, 2);
	CHECK_EQ(wait1(epw, &ev, 0), 0);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 1);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(wait1(ep, &ev, 0), 0); /* still readable, no new edge */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	CHECK_EQ(write(p[1], "d", 1), 1);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 1);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
	close(epw);
}

/* One-shot: reported once, then silent until EPOLL_CTL_MOD re-arms it. */
static void epoll_oneshot(void)
{
	int p[2], ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
				 .data.u64 = 7};
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 7);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	CHECK_EQ(write(p[1], "b", 1), 1);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 8;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 8);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* A pipe's ends: HUP on the read end when the writer goes, ERR on the
 * write end when the reader goes, both reported without asking. */
static void epoll_pipe_ends(void)
{
	int p[2], q[2], ep = epoll_create1(0);
	struct epoll_event ev;
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	CHECK_EQ(add(ep, p[0], 0, 1), 0);
	CHECK_EQ(add(ep, q[1], EPOLLOUT, 2), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	struct epoll_event mod = {.events = 0, .data.u64 = 2};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, q[1], &mod), 0);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	close(p[1]);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 1);
	CHECK_EQ(ev.events, EPOLLHUP);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	close(q[0]);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 2);
	CHECK_EQ(ev.events, EPOLLERR);
	close(p[0]);
	close(q[1]);
	close(ep);
}

/* A Unix stream socket: IN when the peer writes, RDHUP when it shuts its
 * writing down, OUT throughout. */
static void epoll_unix(void)
{
	int s[2], ep = epoll_create1(0);
	struct epoll_event ev;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	CHECK_EQ(add(ep, s[0], EPOLLIN | EPOLLRDHUP, 1), 0);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	CHECK_EQ(write(s[1], "x", 1), 1);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	char c;
	CHECK_EQ(read(s[0], &c, 1), 1);
	CHECK_EQ(shutdown(s[1], SHUT_WR), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.events, EPOLLIN | EPOLLRDHUP);
	struct epoll_event mod = {.events = EPOLLOUT, .data.u64 = 3};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, s[0], &mod), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_EQ(ev.data.u64, 3);
	close(s[0]);
	close(s[1]);
	close(ep);
}

/* A terminal (lux: the console; Linux: a pseudo-terminal) is writable. */
static void epoll_tty(void)
{
	int tty, ep = epoll_create1(0);
	struct epoll_event ev;
	if (on_lux()) {
		tty = open("/dev/console", O_RDWR | O_NOCTTY);
	} else {
		int master = posix_openpt(O_RDWR | O_NOCTTY);
		CHECK(master >= 0 && grantpt(master) == 0 &&
		      unlockpt(master) == 0);
		tty = open(ptsname(master), O_RDWR | O_NOCTTY);
	}
	CHECK(tty >= 0);
	CHECK_EQ(isatty(tty), 1);
	CHECK_EQ(add(ep, tty, EPOLLOUT, 5), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.events, EPOLLOUT);
	CHECK_EQ(ev.data.u64, 5);
	close(tty);
	close(ep);
}

/* A watched descriptor closed: the entry stays while another descriptor
 * of its file does (dup), and goes with the last one (the file is not
 * kept: its pipe's writer sees EPIPE; the number can be added anew). */
static void epoll_close_removes(void)
{
	int p[2], ep = epoll_create1(0);
	struct epoll_event ev;
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 9), 0);
	int d = dup(p[0]);
	CHECK(d >= 0);
	close(p[0]);
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 9);
	close(d);
	CHECK_ERR(write(p[1], "b", 1), EPIPE);
	CHECK_EQ(wait1(ep, &ev, 0), 0);
	int q[2];
	CHECK_EQ(pipe(q), 0); /* takes p[0]'s number again */
	CHECK_EQ(q[0], p[0]);
	CHECK_EQ(add(ep, q[0], EPOLLIN, 10), 0);
	close(q[0]);
	close(q[1]);
	close(p[1]);
	close(ep);
}

/* The set is shared across fork: the child's ADD is the parent's; the
 * parent's blocking wait is woken by the child's write. */
static void epoll_fork_shared(void)
{
	int p[2], ep = epoll_create1(0);
	struct epoll_event ev;
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		if (add(ep, p[0], EPOLLIN, 42) != 0)
			_exit(1);
		ut_sleep_ms(100);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 2);
	}
	CHECK(pid > 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 42);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_ERR(add(ep, p[0], EPOLLIN, 1), EEXIST);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* Sets in sets: the inner one's readiness is the outer's IN; a set that
 * holds a set goes into no other, and a loop is refused (ELOOP). */
static void epoll_nested(void)
{
	int p[2], in = epoll_create1(0), out = epoll_create1(0);
	struct epoll_event ev;
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(add(in, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(out, in, EPOLLIN, 2), 0);
	CHECK_ERR(add(in, out, EPOLLIN, 3), ELOOP);
	CHECK_EQ(wait1(out, &ev, 0), 0);
	pid_t pid = delayed_write(p[1], 100);
	CHECK_EQ(wait1(out, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 2);
	CHECK_EQ(ev.events, EPOLLIN);
	CHECK_EQ(wait1(in, &ev, 0), 1);
	CHECK_EQ(ut_wait(pid), 0);
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
}

/* poll on a set: readable when one of its entries is ready, and a
 * blocking poll wakes when one becomes ready. */
static void epoll_polled(void)
{
	int p[2], ep = epoll_create1(0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	struct pollfd pf = {ep, POLLIN, 0};
	CHECK_EQ(poll(&pf, 1, 0), 0);
	pid_t pid = delayed_write(p[1], 100);
	CHECK_EQ(poll(&pf, 1, LONG_MS), 1);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK_EQ(ut_wait(pid), 0);
	int d = dup(ep); /* a descriptor like any */
	struct epoll_event ev;
	CHECK_EQ(wait1(d, &ev, 0), 1);
	close(d);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/* epoll_pwait with a mask that lets SIGUSR1 in (blocked otherwise): the
 * wait ends with EINTR and the handler ran; the program's mask is back. */
static void epoll_pwait_mask(void)
{
	int ep = epoll_create1(0), p[2];
	sigset_t block, none, now;
	struct epoll_event ev;
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 1), 0);
	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	got_usr1 = 0;
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		alarm(CHILD_ALARM_S);
		ut_sleep_ms(100);
		_exit(kill(parent, SIGUSR1) ? 1 : 0);
	}
	CHECK_ERR(epoll_pwait(ep, &ev, 1, LONG_MS, &none), EINTR);
	CHECK_EQ(got_usr1, 1);
	sigprocmask(SIG_SETMASK, NULL, &now);
	CHECK_EQ(sigismember(&now, SIGUSR1), 1);
	CHECK_EQ(ut_wait(pid), 0);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGUSR1, SIG_DFL);
	struct timespec ts = {0, 1000000};
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), 0);
	ts.tv_nsec = -1;
	CHECK_ERR(syscall(SYS_epoll_pwait2, ep, &ev, 1, &ts, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_epoll_pwait, ep, &ev, 1, 0, &none, 4), EINVAL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* A one-shot timer: not readable before, one expiration after; gettime
 * says it is disarmed then. */
static void timerfd_oneshot(void)
{
	int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	uint64_t n;
	CHECK(t >= 0);
	CHECK_EQ(fcntl(t, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(read(t, &n, 8), EAGAIN);
	struct itimerspec its = {{0, 0}, {0, 50000000}}, cur;
	CHECK_EQ(timerfd_settime(t, 0, &its, NULL), 0);
	CHECK_EQ(timerfd_gettime(t, &cur), 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
	      cur.it_value.tv_nsec <= 50000000);
	long long t0 = ut_now_ns();
	struct pollfd pf = {t, POLLIN, 0};
	CHECK_EQ(poll(&pf, 1, LONG_MS), 1);
	CHECK(ut_now_ns() - t0 >= 40000000);
	CHECK_EQ(read(t, &n, 8), 8);
	CHECK_EQ(n, 1);
	CHECK_ERR(read(t, &n, 8), EAGAIN);
	CHECK_EQ(timerfd_gettime(t, &cur), 0);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
	close(t);
}

/* A periodic timer counts every expiration; a blocking read waits for
 * the next; disarming stops it. */
static void timerfd_periodic(void)
{
	int t = timerfd_create(CLOCK_BOOTTIME, 0);
	uint64_t n;
	struct itimerspec its = {{0, 10000000}, {0, 10000000}}, cur;
	CHECK(t >= 0);
	CHECK_EQ(timerfd_settime(t, 0, &its, NULL), 0);
	ut_sleep_ms(200);
	CHECK_EQ(read(t, &n, 8), 8);
	CHECK(n >= 10 && n <= 1000);
	CHECK_EQ(read(t, &n, 8), 8); /* blocks until the next */
	CHECK(n >= 1);
	CHECK_EQ(timerfd_gettime(t, &cur), 0);
	CHECK_EQ(cur.it_interval.tv_nsec, 10000000);
	memset(&its, 0, sizeof(its));
	CHECK_EQ(timerfd_settime(t, 0, &its, &cur), 0);
	CHECK_EQ(cur.it_interval.tv_nsec, 10000000);
	struct pollfd pf = {t, POLLIN, 0};
	CHECK_EQ(poll(&pf, 1, 50), 0);
	close(t);
}

/* An absolute time on CLOCK_REALTIME, in an epoll set. */
static void timerfd_abstime(void)
{
	int t = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct timespec now;
	struct epoll_event ev;
	uint64_t n;
	CHECK(t >= 0);
	CHECK_EQ(add(ep, t, EPOLLIN, 11), 0);
	clock_gettime(CLOCK_REALTIME, &now);
	struct itimerspec its = {{0, 0}, {now.tv_sec, now.tv_nsec}};
	its.it_value.tv_nsec += 50000000;
	if (its.it_value.tv_nsec >= 1000000000)
		its.it_value.tv_sec++, its.it_value.tv_nsec -= 1000000000;
	CHECK_EQ(timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	CHECK_EQ(ev.data.u64, 11);
	CHECK_EQ(read(t, &n, 8), 8);
	CHECK_EQ(n, 1);
	/* long past: expired at once */
	its.it_value.tv_sec = 1;
	CHECK_EQ(timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL), 0);
	CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
	close(t);
	close(ep);
}

static void timerfd_errors(void)
{
	int p[2], t = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {{0, 0}, {0, 1000000000}};
	uint64_t n = 1;
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(timerfd_create(12345, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
	CHECK_ERR(timerfd_settime(t, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = 1;
	CHECK_ERR(timerfd_settime(t, 8, &its, NULL), EINVAL);
	CHECK_ERR(timerfd_settime(t, 0, (void *)8, NULL), EFAULT);
	CHECK_ERR(timerfd_settime(p[0], 0, &its, NULL), EINVAL);
	CHECK_ERR(timerfd_settime(99, 0, &its, NULL), EBADF);
	CHECK_ERR(timerfd_gettime(p[0], (void *)&its), EINVAL);
	CHECK_ERR(timerfd_gettime(t, NULL), EFAULT);
	CHECK_ERR(write(t, &n, 8), EINVAL);
	CHECK_ERR(read(t, &n, 4), EINVAL);
	close(p[0]);
	close(p[1]);
	close(t);
}

/* signalfd: SIGUSR1 and SIGUSR2 blocked and sent are read as
 * signalfd_siginfo, in number order; poll sees them; EAGAIN after. */
static void signalfd_read(void)
{
	sigset_t set;
	struct signalfd_siginfo si[2];
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int s = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(s >= 0);
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(read(s, si, sizeof(si)), EAGAIN);
	struct pollfd pf = {s, POLLIN, 0};
	CHECK_EQ(poll(&pf, 1, 0), 0);
	CHECK_EQ(kill(getpid(), SIGUSR2), 0);
	CHECK_EQ(kill(getpid(), SIGUSR1), 0);
	CHECK_EQ(poll(&pf, 1, LONG_MS), 1);
	CHECK_ERR(read(s, si, 100), EINVAL);
	CHECK_EQ(read(s, si, sizeof(si)), 2 * (long)sizeof(si[0]));
	CHECK_EQ(si[0].ssi_signo, SIGUSR1);
	CHECK_EQ(si[0].ssi_code, SI_USER);
	CHECK_EQ(si[0].ssi_pid, getpid());
	CHECK_EQ(si[0].ssi_uid, getuid());
	CHECK_EQ(si[1].ssi_signo, SIGUSR2);
	CHECK_ERR(read(s, si, sizeof(si)), EAGAIN);
	/* only the mask's signals */
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, SIGUSR2);
	CHECK_EQ(signalfd(s, &one, 0), s);
	CHECK_EQ(kill(getpid(), SIGUSR1), 0);
	CHECK_ERR(read(s, si, sizeof(si)), EAGAIN);
	sigset_t pending;
	sigpending(&pending);
	CHECK_EQ(sigismember(&pending, SIGUSR1), 1);
	signal(SIGUSR1, SIG_IGN); /* drops it */
	signal(SIGUSR1, SIG_DFL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(s);
}

static void signalfd_errors(void)
{
	sigset_t set;
	int p[2];
	sigemptyset(&set);
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(signalfd(-1, &set, 1), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, &set, 4, 0), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, (void *)8, 8, 0), EFAULT);
	CHECK_ERR(signalfd(p[0], &set, 0), EINVAL);
	CHECK_ERR(signalfd(99, &set, 0), EBADF);
	close(p[0]);
	close(p[1]);
}

/* A blocking read and an epoll wait are woken by a signal another
 * process sends. */
static void signalfd_wakes(void)
{
	sigset_t set;
	struct signalfd_siginfo si;
	struct epoll_event ev;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int s = signalfd(-1, &set, 0), ep = epoll_create1(0);
	CHECK(s >= 0);
	CHECK_EQ(add(ep, s, EPOLLIN, 4), 0);
	pid_t parent = getpid();
	for (int round = 0; round < 2; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(CHILD_ALARM_S);
			ut_sleep_ms(100);
			_exit(kill(parent, SIGUSR1) ? 1 : 0);
		}
		CHECK(pid > 0);
		if (round)
			CHECK_EQ(wait1(ep, &ev, LONG_MS), 1);
		CHECK_EQ(read(s, &si, sizeof(si)), (long)sizeof(si));
		CHECK_EQ(si.ssi_signo, SIGUSR1);
		CHECK_EQ(si.ssi_pid, pid);
		CHECK_EQ(ut_wait(pid), 0);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(s);
	close(ep);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(epoll_errors),      UT_CASE(epoll_level),
	    UT_CASE(epoll_edge),        UT_CASE(epoll_oneshot),
	    UT_CASE(epoll_pipe_ends),   UT_CASE(epoll_unix),
	    UT_CASE(epoll_tty),         UT_CASE(epoll_close_removes),
	    UT_CASE(epoll_fork_shared), UT_CASE(epoll_nested),
	    UT_CASE(epoll_polled),      UT_CASE(epoll_pwait_mask),
	    UT_CASE(timerfd_oneshot),   UT_CASE(timerfd_periodic),
	    UT_CASE(timerfd_abstime),   UT_CASE(timerfd_errors),
	    UT_CASE(signalfd_read),     UT_CASE(signalfd_errors),
	    UT_CASE(signalfd_wakes),
	};
	return ut_main(argc, argv, "event", cases, UT_COUNT(cases));
}
