/*
 * lock: fcntl's record locks (POSIX and open-file-description) and flock,
 * as Linux keeps them: conflicts between processes, ranges split and
 * merged, F_GETLK's answers, l_whence and negative lengths, the errors
 * (EAGAIN, EBADF, EINVAL, EOVERFLOW, EDEADLK, EINTR), F_SETLKW woken by
 * a release, release on any close and on SIGKILL, OFD locks shared
 * across fork and POSIX locks not inherited, flock's shared and
 * exclusive locks, LOCK_NB, inheritance and release on the last close.
 * On lux the file's server keeps them (user/lib/lock.c); UTEST_TMP names
 * another file system to run on (tests/user/ext2.c runs it on ext2).
 */
#include "utest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 20000 /* generous: a loaded 2-core machine */

static char path[128];

/* The test file, 100 bytes, open with flags. */
static int open_file(int flags)
{
	return open(path, flags);
}

static int lk(int fd, int cmd, int type, int whence, off_t start, off_t len)
{
	struct flock l = {
	    .l_type = type, .l_whence = whence, .l_start = start, .l_len = len};

	return fcntl(fd, cmd, &l);
}

/* Ask from a new process (whose own locks cannot answer): F_GETLK for
 * type over [start, start+len) on a descriptor of its own; into *l. */
static int getlk_other(int type, off_t start, off_t len, struct flock *l)
{
	int p[2], st;

	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open_file(O_RDWR);
		struct flock q = {.l_type = type,
				  .l_whence = SEEK_SET,
				  .l_start = start,
				  .l_len = len};
		if (fd < 0 || fcntl(fd, F_GETLK, &q) < 0)
			_exit(1);
		_exit(write(p[1], &q, sizeof(q)) == sizeof(q) ? 0 : 1);
	}
	close(p[1]);
	int n = read(p[0], l, sizeof(*l));
	close(p[0]);
	st = ut_wait(pid);
	return n == sizeof(*l) && st == 0 ? 0 : -1;
}

/* The lock another process sees over [start, start+len) as "T start len"
 * ("U" for none), for compact checks. */
static const char *seen(int type, off_t start, off_t len)
{
	static char buf[64];
	struct flock l;

	if (getlk_other(type, start, len, &l) < 0)
		return "error";
	if (l.l_type == F_UNLCK)
		return "U";
	snprintf(buf, sizeof(buf), "%c %lld %lld%s",
		 l.l_type == F_WRLCK ? 'W' : 'R', (long long)l.l_start,
		 (long long)l.l_len,
		 l.l_pid == getpid() ? ""
		 : l.l_pid == -1     ? " ofd"
				     : " other");
	return buf;
}

#define CHECK_SEEN(type, start, len, want)                                     \
	do {                                                                   \
		const char *s_ = seen(type, start, len);                       \
		if (strcmp(s_, want)) {                                        \
			ut_fail("line %d: seen %s, want %s", __LINE__, s_,     \
				want);                                         \
			return;                                                \
		}                                                              \
	} while (0)

/* Read one byte from fd within WAIT_MS: the byte, or -1. */
static int read_byte(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	char c;

	if (poll(&p, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return (unsigned char)c;
}

/* The end of a child that was to say `want` on fd: reaped if it did,
 * else killed (a failed case never leaves a child waiting forever). */
static void end_child(pid_t pid, int fd, int want)
{
	if (EXPECT_EQ(read_byte(fd, WAIT_MS), want))
		EXPECT_EQ(ut_wait(pid), 0);
	else
		ut_kill(pid);
}

static void say(int fd, char c)
{
	if (write(fd, &c, 1) != 1)
		_exit(3);
}

/* Another process cannot take what one holds; F_GETLK names it. */
static void conflict(void)
{
	int fd = open_file(O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10), 0);
	CHECK_SEEN(F_RDLCK, 5, 1, "W 0 10");
	CHECK_SEEN(F_RDLCK, 10, 10, "U");
	CHECK_SEEN(F_RDLCK, 20, 1, "U");
	CHECK_SEEN(F_WRLCK, 25, 100, "R 20 10");
	pid_t pid = fork();
	if (pid == 0) {
		int f = open_file(O_RDWR);
		int a = lk(f, F_SETLK, F_WRLCK, SEEK_SET, 9, 1) < 0 ? errno : 0;
		int b = lk(f, F_SETLK, F_RDLCK, SEEK_SET, 10, 20);
		int c =
		    lk(f, F_SETLK, F_WRLCK, SEEK_SET, 20, 1) < 0 ? errno : 0;
		_exit(a == EAGAIN && b == 0 && c == EAGAIN ? 0 : 1);
	}
	CHECK_EQ(ut_wait(pid), 0);
	/* the owner's own locks never conflict: it may take any of it */
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100), 0);
	CHECK_SEEN(F_RDLCK, 50, 1, "W 0 100");
	close(fd);
}

/* One owner's ranges: a lock over part of another is split, touching
 * ones of one type merge, an unlock cuts a hole. */
static void split_merge(void)
{
	int fd = open_file(O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100), 0);
	CHECK_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20), 0);
	CHECK_SEEN(F_WRLCK, 0, 100, "W 0 40");
	CHECK_SEEN(F_WRLCK, 40, 20, "U");
	CHECK_SEEN(F_WRLCK, 50, 50, "W 60 40");
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 40, 20), 0);
	CHECK_SEEN(F_RDLCK, 40, 20, "U");
	CHECK_SEEN(F_WRLCK, 45, 1, "R 40 20");
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, 5), 0); /* split */
	CHECK_SEEN(F_WRLCK, 0, 12, "W 0 10");
	CHECK_SEEN(F_WRLCK, 10, 5, "R 10 5");
	CHECK_SEEN(F_WRLCK, 15, 1, "W 15 25");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100), 0); /* merge */
	CHECK_SEEN(F_RDLCK, 99, 1, "W 0 100");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, 100), 0); /* next */
	CHECK_SEEN(F_RDLCK, 0, 1, "W 0 200");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 300, 0), 0); /* to EOF */
	CHECK_SEEN(F_RDLCK, 1000000, 1, "W 300 0");
	CHECK_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
	CHECK_SEEN(F_WRLCK, 0, 0, "U");
	close(fd);
}

/* l_whence SEEK_CUR and SEEK_END, negative lengths, and the ranges
 * Linux refuses. */
static void whence(void)
{
	int fd = open_file(O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 50, SEEK_SET), 50);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 10, -5), 0);
	CHECK_SEEN(F_RDLCK, 0, 100, "W 55 5");
	CHECK_EQ(lk(fd, F_SETLK, F_RDLCK, SEEK_END, -10, 0), 0);
	CHECK_SEEN(F_WRLCK, 80, 0, "R 90 0");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_END, -100, 10), 0);
	CHECK_SEEN(F_RDLCK, 0, 1, "W 0 10");
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), EINVAL);
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 3, -4), EINVAL);
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, SEEK_END, -101, 1), EINVAL);
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, 7, 0, 1), EINVAL);
	CHECK_ERR(lk(fd, F_SETLK, 9, SEEK_SET, 0, 1), EINVAL);
	CHECK_ERR(lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1), EINVAL);
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0x7fffffffffffffffLL, 2),
		  EOVERFLOW);
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 0x7fffffffffffffffLL, 1),
		  EOVERFLOW);
	CHECK_ERR(fcntl(fd, F_SETLK, (void *)8), EFAULT);
	CHECK_ERR(fcntl(fd, F_GETLK, UT_KERNEL_ADDR), EFAULT);
	close(fd);
}

/* A lock the descriptor's access mode does not allow is EBADF; so is a
 * descriptor that is not open, or O_PATH. */
static void badf(void)
{
	int ro = open_file(O_RDONLY), wo = open_file(O_WRONLY);
	int op = open(path, O_PATH);
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	CHECK(ro >= 0 && wo >= 0 && op >= 0);
	CHECK_ERR(lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(lk(wo, F_SETLKW, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(lk(ro, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_EQ(lk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), 0);
	CHECK_EQ(lk(wo, F_SETLK, F_WRLCK, SEEK_SET, 5, 1), 0);
	CHECK_EQ(lk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
	CHECK_EQ(fcntl(ro, F_GETLK, &l), 0); /* GET needs no access */
	CHECK_EQ(l.l_type, F_UNLCK);
	CHECK_ERR(lk(op, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(lk(op, F_GETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(flock(op, LOCK_SH), EBADF);
	CHECK_ERR(lk(999, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERR(flock(999, LOCK_SH), EBADF);
	CHECK_ERR(flock(ro, 0), EINVAL);
	CHECK_ERR(flock(ro, LOCK_SH | LOCK_EX), EINVAL);
	CHECK_EQ(flock(ro, LOCK_EX), 0); /* flock needs no access mode */
	close(ro), close(wo), close(op);
}

/* F_SETLKW waits while another process holds the range, and goes on
 * when it is released. */
static void setlkw_wakes(void)
{
	int fd = open_file(O_RDWR), p[2];

	CHECK(fd >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int f = open_file(O_RDWR);
		say(p[1], 's');
		if (lk(f, F_SETLKW, F_RDLCK, SEEK_SET, 5, 10) == 0)
			say(p[1], 'g');
		_exit(0);
	}
	EXPECT_EQ(read_byte(p[0], WAIT_MS), 's');
	EXPECT_EQ(read_byte(p[0], 300), -1); /* still waiting */
	EXPECT_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 5), 0); /* not yet */
	EXPECT_EQ(read_byte(p[0], 300), -1);
	EXPECT_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 5, 5), 0);
	end_child(pid, p[0], 'g');
	close(p[0]), close(p[1]);
	close(fd);
}

static void on_timeout(int sig)
{
	(void)sig;
}

/* F_SETLKW for a write lock of byte `at` that ends with EINTR after
 * WAIT_MS at the latest (a missed deadlock fails, never hangs): 0 or
 * errno. */
static int setlkw_bounded(int fd, off_t at)
{
	struct sigaction sa = {.sa_handler = on_timeout}, old;
	int e;

	sigaction(SIGALRM, &sa, &old);
	alarm(WAIT_MS / 1000);
	e = lk(fd, F_SETLKW, F_WRLCK, SEEK_SET, at, 1) < 0 ? errno : 0;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return e;
}

/* Two processes each waiting for the other's lock: one of them gets
 * EDEADLK (the one whose wait would close the circle), and once it lets
 * its own lock go the other gets its lock. */
static void deadlock(void)
{
	int fd = open_file(O_RDWR), p[2], q[2];

	CHECK(fd >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int f = open_file(O_RDWR);
		if (lk(f, F_SETLK, F_WRLCK, SEEK_SET, 1, 1) < 0)
			_exit(2);
		say(p[1], 'h');
		int e = setlkw_bounded(f, 0);
		say(p[1], e == EDEADLK ? 'd' : e == 0 ? 'g' : 'x');
		if (e == EDEADLK)
			lk(f, F_SETLK, F_UNLCK, SEEK_SET, 1, 1);
		read_byte(q[0], WAIT_MS); /* hold on until the parent is done */
		_exit(0);
	}
	CHECK_EQ(read_byte(p[0], WAIT_MS), 'h');
	int e = setlkw_bounded(fd, 1);
	if (e == EDEADLK) {
		EXPECT_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1), 0);
		EXPECT_EQ(read_byte(p[0], WAIT_MS), 'g');
	} else {
		EXPECT_EQ(e, 0);
		EXPECT_EQ(read_byte(p[0], WAIT_MS), 'd');
	}
	say(q[1], 'e');
	EXPECT_EQ(ut_wait(pid), 0);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
	close(fd);
}

/* A process's POSIX locks go at any close of the file by it: another
 * descriptor of it, a dup, dup2 over one, or exec's close-on-exec. */
static void close_releases(void)
{
	int fd = open_file(O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	int other = open_file(O_RDONLY);
	CHECK(other >= 0);
	CHECK_SEEN(F_RDLCK, 0, 1, "W 0 10");
	CHECK_EQ(close(other), 0);
	CHECK_SEEN(F_RDLCK, 0, 1, "U");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	int d = dup(fd);
	CHECK_EQ(close(d), 0);
	CHECK_SEEN(F_RDLCK, 0, 1, "U");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	d = open_file(O_RDONLY);
	CHECK_EQ(dup2(fd, d), d); /* closes d's file first */
	CHECK_SEEN(F_RDLCK, 0, 1, "U");
	CHECK_EQ(close(d), 0);
	/* the OFD's lock stays: only its description's last close ends it */
	CHECK_EQ(lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	other = open_file(O_RDONLY);
	CHECK_EQ(close(other), 0);
	CHECK_SEEN(F_RDLCK, 0, 1, "W 0 10 ofd");
	CHECK_EQ(close(fd), 0);
	CHECK_SEEN(F_RDLCK, 0, 1, "U");
}

/* A process killed while it holds a lock loses it: a waiter goes on. */
static void kill_releases(void)
{
	int p[2], q[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	pid_t holder = fork();
	if (holder == 0) {
		int f = open_file(O_RDWR);
		if (lk(f, F_SETLK, F_WRLCK, SEEK_SET, 0, 0) == 0)
			say(p[1], 'h');
		for (;;)
			pause();
	}
	CHECK_EQ(read_byte(p[0], WAIT_MS), 'h');
	pid_t waiter = fork();
	if (waiter == 0) {
		int f = open_file(O_RDWR);
		say(q[1], 's');
		if (lk(f, F_SETLKW, F_WRLCK, SEEK_SET, 50, 1) == 0)
			say(q[1], 'g');
		_exit(0);
	}
	EXPECT_EQ(read_byte(q[0], WAIT_MS), 's');
	EXPECT_EQ(read_byte(q[0], 300), -1);
	CHECK_EQ(kill(holder, SIGKILL), 0);
	ut_wait(holder);
	end_child(waiter, q[0], 'g');
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

/* OFD locks belong to the open file description: a forked child shares
 * them, another open of the file conflicts even in the same process,
 * and they conflict with POSIX locks. POSIX locks are not inherited. */
static void ofd_fork(void)
{
	int fd = open_file(O_RDWR);
	struct flock l = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};

	CHECK(fd >= 0);
	CHECK_ERR(fcntl(fd, F_OFD_SETLK, &l), EINVAL); /* l_pid must be 0 */
	CHECK_ERR(fcntl(fd, F_OFD_GETLK, &l), EINVAL);
	CHECK_EQ(lk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, 10), 0);
	int other = open_file(O_RDWR);
	CHECK_ERR(lk(other, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1), EAGAIN);
	CHECK_ERR(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 1), EAGAIN);
	CHECK_ERR(lk(other, F_OFD_SETLK, F_WRLCK, SEEK_SET, 25, 1), EAGAIN);
	l = (struct flock){
	    .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
	CHECK_EQ(fcntl(other, F_OFD_GETLK, &l), 0);
	CHECK_EQ(l.l_type, F_WRLCK);
	CHECK_EQ(l.l_pid, -1);
	CHECK_EQ(l.l_len, 10);
	pid_t pid = fork();
	if (pid == 0) {
		int a = lk(fd, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 5);
		int b =
		    lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, 1) < 0 ? errno : 0;
		int c = lk(other, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1) < 0
			    ? errno
			    : 0;
		_exit(a == 0 && b == EAGAIN && c == EAGAIN ? 0 : 1);
	}
	CHECK_EQ(ut_wait(pid), 0);
	/* the child turned [0, 5) into a read lock of the same description */
	CHECK_SEEN(F_WRLCK, 0, 5, "R 0 5 ofd");
	CHECK_SEEN(F_RDLCK, 0, 10, "W 5 5 ofd");
	close(other);
	close(fd);
	CHECK_SEEN(F_WRLCK, 0, 0, "U");
}

/* flock: shared and exclusive locks of open file descriptions, LOCK_NB,
 * conversion, inherited through fork, gone with the last close; apart
 * from fcntl's locks. */
static void flock_semantics(void)
{
	int a = open_file(O_RDONLY), b = open_file(O_RDONLY);

	CHECK(a >= 0 && b >= 0);
	CHECK_EQ(flock(a, LOCK_SH), 0);
	CHECK_EQ(flock(b, LOCK_SH | LOCK_NB), 0);
	CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_EQ(flock(a, LOCK_UN), 0);
	CHECK_EQ(flock(a, LOCK_UN), 0); /* none: fine */
	CHECK_EQ(flock(b, LOCK_EX | LOCK_NB), 0);
	CHECK_ERR(flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	CHECK_EQ(flock(b, LOCK_EX), 0); /* held already */
	/* fcntl's locks do not meet flock's */
	int w = open_file(O_RDWR);
	CHECK_EQ(lk(w, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0);
	CHECK_EQ(close(w), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int x = flock(b, LOCK_EX | LOCK_NB);
		int y = flock(a, LOCK_EX | LOCK_NB) < 0 ? errno : 0;
		_exit(x == 0 && y == EWOULDBLOCK ? 0 : 1);
	}
	CHECK_EQ(ut_wait(pid), 0);
	int d = dup(b);
	CHECK_EQ(close(b), 0);
	CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK); /* d has it */
	CHECK_EQ(close(d), 0);
	CHECK_EQ(flock(a, LOCK_EX | LOCK_NB), 0);
	/* a waiting flock goes on when the holder's last close comes */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		int f = open_file(O_RDONLY);
		close(a); /* the parent's close below is the last */
		say(p[1], 's');
		if (flock(f, LOCK_SH) == 0)
			say(p[1], 'g');
		_exit(0);
	}
	EXPECT_EQ(read_byte(p[0], WAIT_MS), 's');
	EXPECT_EQ(read_byte(p[0], 300), -1);
	EXPECT_EQ(close(a), 0);
	end_child(pid, p[0], 'g');
	close(p[0]), close(p[1]);
}

static int hpipe[2];

static void on_alarm(int sig)
{
	(void)sig;
	say(hpipe[1], 'a');
}

/* A child waits in call (0: F_SETLKW, 1: F_OFD_SETLKW, 2: flock) for the
 * parent's lock; a signal's handler runs. Without SA_RESTART the wait
 * ends with EINTR; with it, the wait goes on and ends when the parent
 * releases the lock. */
static void interrupted(int call, int restart)
{
	int fd = open_file(O_RDWR), p[2];

	CHECK(fd >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(hpipe), 0);
	CHECK_EQ(flock(fd, LOCK_EX), 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_alarm,
				       .sa_flags = restart ? SA_RESTART : 0};
		int f = open_file(O_RDWR), r;
		sigaction(SIGALRM, &sa, NULL);
		/* again and again: one that came before the wait began
		 * cannot leave it waiting forever */
		struct itimerval it = {{0, 200000}, {0, 200000}};
		setitimer(ITIMER_REAL, &it, NULL);
		if (call == 2)
			r = flock(f, LOCK_EX);
		else
			r = lk(f, call ? F_OFD_SETLKW : F_SETLKW, F_WRLCK,
			       SEEK_SET, 0, 1);
		say(p[1], r == 0 ? 'g' : errno == EINTR ? 'i' : 'x');
		_exit(0);
	}
	EXPECT_EQ(read_byte(hpipe[0], WAIT_MS), 'a');
	if (restart) {
		EXPECT_EQ(read_byte(p[0], 300), -1); /* waits again */
		EXPECT_EQ(flock(fd, LOCK_UN), 0);
		EXPECT_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
		end_child(pid, p[0], 'g');
	} else {
		end_child(pid, p[0], 'i');
	}
	close(p[0]), close(p[1]), close(hpipe[0]), close(hpipe[1]);
	close(fd);
}

static void eintr(void)
{
	for (int call = 0; call < 3 && !ut_failed(); call++)
		interrupted(call, 0);
}

static void restart(void)
{
	for (int call = 0; call < 3 && !ut_failed(); call++)
		interrupted(call, 1);
}

/* Many small locks of one owner: each taken, or (lux, a bound per
 * owner) ENOLCK; then one unlock drops them all and nothing is left. */
static void many(void)
{
	int fd = open_file(O_RDWR), n = 0, e = 0;
	struct utsname u;

	CHECK(fd >= 0);
	for (int i = 0; i < 3000 && !e; i++)
		if (lk(fd, F_SETLK, i % 2 ? F_RDLCK : F_WRLCK, SEEK_SET, 2 * i,
		       1) == 0)
			n++;
		else
			e = errno;
	CHECK_EQ(uname(&u), 0);
	if (!strcmp(u.sysname, "lux")) {
		CHECK_EQ(e, ENOLCK); /* lux bounds each owner */
		CHECK(n >= 1000);
	} else {
		CHECK_EQ(e, 0);
	}
	CHECK_SEEN(F_WRLCK, 2, 1, "R 2 1");
	CHECK_EQ(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0), 0);
	CHECK_SEEN(F_WRLCK, 0, 0, "U");
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0), 0); /* room again */
	close(fd);
}

/* Locks on a device file (on lux devfs keeps them, through the server
 * library's loop): they conflict between processes, and the server goes
 * on serving. */
static void device(void)
{
	int fd = open("/dev/null", O_RDWR);
	struct stat st;

	CHECK(fd >= 0);
	CHECK_EQ(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10), 0);
	CHECK_EQ(flock(fd, LOCK_EX | LOCK_NB), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int f = open("/dev/null", O_RDWR);
		int a = lk(f, F_SETLK, F_RDLCK, SEEK_SET, 5, 1) < 0 ? errno : 0;
		int b = flock(f, LOCK_SH | LOCK_NB) < 0 ? errno : 0;
		int c = lk(f, F_SETLK, F_RDLCK, SEEK_SET, 10, 1);
		_exit(a == EAGAIN && b == EWOULDBLOCK && c == 0 ? 0 : 1);
	}
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(close(fd), 0);
	CHECK_EQ(stat("/dev/null", &st), 0);
	CHECK((fd = open("/dev/null", O_RDWR)) >= 0);
	CHECK_EQ(flock(fd, LOCK_EX | LOCK_NB), 0); /* the last close freed it */
	CHECK_EQ(close(fd), 0);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(conflict),       UT_CASE(split_merge),
	    UT_CASE(whence),         UT_CASE(badf),
	    UT_CASE(setlkw_wakes),   UT_CASE(deadlock),
	    UT_CASE(close_releases), UT_CASE(kill_releases),
	    UT_CASE(ofd_fork),       UT_CASE(flock_semantics),
	    UT_CASE(eintr),          UT_CASE(restart),
	    UT_CASE(many),           UT_CASE(device),
	};
	const char *tmp = getenv("UTEST_TMP");
	char buf[100];

	mkdir("/tmp", 01777); /* EEXIST normally */
	snprintf(path, sizeof(path), "%s/utest-lock.%d", tmp ? tmp : "/tmp",
		 (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'x', sizeof(buf));
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf)) {
		ut_print("utest: lock/setup: FAIL cannot make %s: %s\n", path,
			 ut_errno_name(errno));
		return 1;
	}
	close(fd);
	int status = ut_main(argc, argv, "lock", cases, UT_COUNT(cases));
	unlink(path);
	return status;
}
