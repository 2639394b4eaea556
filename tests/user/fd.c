/*
 * fd: the descriptor table and pipes. pipe2 with its flags, end of file,
 * EPIPE and SIGPIPE, blocking and waking readers and writers, O_NONBLOCK,
 * PIPE_BUF atomicity, large transfers, dup, dup2, dup3, fcntl descriptor
 * and status flags, close and close_range, FD_CLOEXEC across execve,
 * descriptors shared by fork, readv and writev, bad descriptors and the
 * RLIMIT_NOFILE limit, and a pipe's capacity (F_GETPIPE_SZ, F_SETPIPE_SZ).
 *
 * pipe2, dup3, fcntl and close_range are called raw: musl's pipe2 and
 * F_DUPFD_CLOEXEC fall back to other calls when the kernel refuses, and
 * its dup3 answers dup3(fd, fd) itself. A blocking call that might never
 * be woken is bounded by a deadline (SIGALRM without SA_RESTART), so a
 * missing wake-up fails with EINTR instead of hanging.
 *
 * `fd cloexec-check OPEN CLOSED` is the mode the execve case starts this
 * same program in; it prints nothing and reports by its exit status.
 */
#include "utest.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEADLINE_S          10 /* without progress: a missing wake-up */
#define EXEC_OK             33 /* what cloexec-check exits with when all is well */
#define CLOSE_RANGE_CLOEXEC (1U << 2)

extern char **environ;

static long sys_pipe2(int fds[2], int flags)
{
	return syscall(SYS_pipe2, fds, flags);
}

static long sys_fcntl(int fd, int cmd, long arg)
{
	return syscall(SYS_fcntl, fd, cmd, arg);
}

static long sys_dup3(int old, int new, int flags)
{
	return syscall(SYS_dup3, old, new, flags);
}

static long sys_close_range(unsigned int first, unsigned int last,
			    unsigned int flags)
{
	return syscall(SYS_close_range, first, last, flags);
}

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static int fd_is_open(int fd)
{
	return sys_fcntl(fd, F_GETFD, 0) >= 0;
}

/* The lowest descriptor not in use: what the next pipe2 or dup gets. */
static int lowest_free(void)
{
	int fd = 0;
	while (fd_is_open(fd))
		fd++;
	return fd;
}

static void deadline_handler(int sig)
{
	(void)sig;
}

/*
 * Interrupt whatever blocks DEADLINE_S seconds from now: it fails with
 * EINTR. Every case and every child arms it first (alarms do not survive
 * fork), loops re-arm it for each step, so it measures a lack of progress,
 * however slow the machine; each case re-arms what the last one left.
 */
static void deadline_arm(void)
{
	static int installed; /* fork keeps the handler, and this */
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = deadline_handler;
		sigaction(SIGALRM, &sa, NULL);
		installed = 1;
	}
	alarm(DEADLINE_S);
}

/* Read n bytes, fewer only at end of file. Returns the count, or -1 (and
 * errno) on an error, including EINTR from the deadline. */
static long read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		long r = read(fd, (char *)buf + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

/* Write n bytes; returns n, or -1 (and errno) on an error. */
static long write_full(int fd, const void *buf, size_t n)
{
	size_t put = 0;
	while (put < n) {
		long w = write(fd, (const char *)buf + put, n - put);
		if (w <= 0)
			return -1;
		put += w;
	}
	return n;
}

/* Fill a pipe whose write end fd is non-blocking with the byte c: pages,
 * then single bytes, until EAGAIN. Returns how much it took, or -1 if a
 * write failed otherwise. */
static long fill_pipe(int fd, char c)
{
	static char page[4096];
	memset(page, c, sizeof(page));
	long total = 0;
	for (size_t chunk = sizeof(page); chunk; chunk = chunk > 1 ? 1 : 0) {
		long w;
		while ((w = write(fd, page, chunk)) > 0)
			total += w;
		if (errno != EAGAIN)
			return -1;
	}
	return total;
}

/* ---- pipes ------------------------------------------------------------ */

static void pipe_basic(void)
{
	int p[2] = {-1, -1};
	char buf[64];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY);
	CHECK_EQ(sys_fcntl(p[1], F_GETFL, 0), O_WRONLY);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), 0);
	/* a read of 0 bytes returns at once, even on an empty pipe */
	long r = read(p[0], buf, 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(write(p[1], "hello, ", 7), 7);
	CHECK_EQ(write(p[1], "pipe", 4), 4);
	CHECK_EQ(write(p[1], buf, 0), 0);
	CHECK_EQ(read(p[0], buf, 0), 0);
	/* a read returns what is there, never waits for more */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read(p[0], buf, 3), 3);
	CHECK(!memcmp(buf, "hel", 3));
	r = read(p[0], buf + 3, sizeof(buf) - 3);
	CHECK(r >= 1 && r <= 8);
	CHECK_EQ(read_full(p[0], buf + 3 + r, 8 - r), 8 - r);
	CHECK(!strcmp(buf, "hello, pipe"));
	/* bytes written in pieces come out in order */
	for (int i = 0; i < 10; i++)
		CHECK_EQ(write(p[1], &"0123456789"[i], 1), 1);
	CHECK_EQ(read_full(p[0], buf, 10), 10);
	CHECK(!memcmp(buf, "0123456789", 10));
	close_pair(p);
}

/* The child holds a write end for a while, then exits. */
static int eof_fds[2];

static void eof_child(void)
{
	deadline_arm();
	close(eof_fds[0]);
	ut_sleep_ms(50);
	CHECK_EQ(write(eof_fds[1], "late", 4), 4);
}

static void pipe_eof(void)
{
	int p[2];
	char buf[16];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, O_NONBLOCK), 0);
	int w2 = dup(p[1]);
	CHECK(w2 >= 0);
	CHECK_EQ(write(p[1], "xyz", 3), 3);
	CHECK_EQ(close(p[1]), 0);
	/* one write end is still open: no end of file, only no data */
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(write(w2, "ab", 2), 2);
	CHECK_EQ(close(w2), 0);
	/* data written before the last close is still read, then EOF */
	CHECK_EQ(read(p[0], buf, 1), 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 1);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);

	/* a blocked reader: woken by data, then by the last close (exit) */
	CHECK_EQ(sys_pipe2(eof_fds, 0), 0);
	pid_t pid = ut_spawn(eof_child);
	close(eof_fds[1]);
	deadline_arm();
	long n = read_full(eof_fds[0], buf, sizeof(buf));
	close(eof_fds[0]);
	int child_ok = ut_join(pid);
	CHECK_EQ(n, 4);
	CHECK(!memcmp(buf, "late", 4));
	CHECK(child_ok);
}

/* With SIGPIPE ignored: EPIPE, and nothing kills us. */
static void epipe_ignored_child(void)
{
	int p[2];
	deadline_arm();
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(close(p[0]), 0);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	CHECK_ERR(write(p[1], "xy", 2), EPIPE);
	/* Linux returns 0 for an empty write before looking for readers */
	CHECK_EQ(write(p[1], "", 0), 0);
	struct iovec iov = {"abc", 3};
	CHECK_ERR(writev(p[1], &iov, 1), EPIPE);
}

/* With SIGPIPE blocked: EPIPE, and SIGPIPE is left pending. */
static void epipe_blocked_child(void)
{
	int p[2];
	sigset_t set, pending;
	deadline_arm();
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	CHECK_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(close(p[0]), 0);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(sigpending(&pending), 0);
	CHECK(sigismember(&pending, SIGPIPE));
	int sig = 0;
	CHECK_EQ(sigwait(&set, &sig), 0);
	CHECK_EQ(sig, SIGPIPE);
}

/* A writer blocked on a full pipe gets EPIPE when the reader goes. */
static int epipe_fds[2], epipe_ready[2];

static void epipe_blocked_writer(void)
{
	static char page[4096];
	deadline_arm();
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	close(epipe_fds[0]);
	CHECK_EQ(sys_fcntl(epipe_fds[1], F_SETFL, O_NONBLOCK), 0);
	CHECK(fill_pipe(epipe_fds[1], 'f') >= 4096);
	CHECK_EQ(sys_fcntl(epipe_fds[1], F_SETFL, 0), 0);
	CHECK_EQ(write(epipe_ready[1], "r", 1), 1);
	deadline_arm();
	long w = write(epipe_fds[1], page, sizeof(page));
	CHECK_ERR(w, EPIPE);
}

static void pipe_epipe(void)
{
	deadline_arm();
	/* SIGPIPE by default kills the writer */
	int p[2];
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(close(p[0]), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		deadline_arm();
		signal(SIGPIPE, SIG_DFL);
		write(p[1], "x", 1);
		_exit(1);
	}
	close(p[1]);
	int status = ut_wait(pid);
	char how[32];
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGPIPE) {
		ut_fail("writer ended with %s, expected signal %d (SIGPIPE)",
			ut_status(status, how, sizeof(how)), SIGPIPE);
		return;
	}
	CHECK(ut_in_child(epipe_ignored_child));
	CHECK(ut_in_child(epipe_blocked_child));

	/* the reader closes only once the pipe is full: no race */
	char ready = 0;
	CHECK_EQ(sys_pipe2(epipe_fds, 0), 0);
	CHECK_EQ(sys_pipe2(epipe_ready, 0), 0);
	pid = ut_spawn(epipe_blocked_writer);
	close(epipe_fds[1]);
	close(epipe_ready[1]);
	deadline_arm();
	long n = read(epipe_ready[0], &ready, 1);
	close(epipe_ready[0]);
	ut_sleep_ms(50); /* let it block; it gets EPIPE either way */
	close(epipe_fds[0]);
	int child_ok = ut_join(pid);
	CHECK_EQ(n, 1);
	CHECK(child_ok);
}

static int block_fds[2];
static long block_capacity;

/* Drain a full pipe, after the parent has had time to block on it. */
static void block_drainer(void)
{
	long total = block_capacity + 4096;
	deadline_arm();
	char *buf = malloc(total);
	CHECK(buf);
	ut_sleep_ms(50);
	deadline_arm();
	long n = read_full(block_fds[0], buf, total);
	CHECK_EQ(n, total);
	for (long i = 0; i < total; i++)
		CHECK_EQ(buf[i], i < block_capacity ? 'f' : 'w');
	free(buf);
}

static void pipe_block(void)
{
	char buf[8];
	int *p = block_fds;
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	/* a reader blocked on an empty pipe */
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		deadline_arm();
		ut_sleep_ms(50);
		_exit(write(p[1], "wake", 4) == 4 ? 0 : 1);
	}
	deadline_arm();
	long n = read(p[0], buf, sizeof(buf));
	int status = ut_wait(pid);
	CHECK_EQ(n, 4);
	CHECK(!memcmp(buf, "wake", 4));
	CHECK_EQ(status, 0);

	/* a writer blocked on a full pipe */
	CHECK_EQ(sys_fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	block_capacity = fill_pipe(p[1], 'f');
	CHECK(block_capacity >= 4096);
	CHECK_EQ(sys_fcntl(p[1], F_SETFL, 0), 0);
	pid = ut_spawn(block_drainer);
	static char page[4096];
	memset(page, 'w', sizeof(page));
	deadline_arm();
	long w = write(p[1], page, sizeof(page));
	close_pair(p);
	int child_ok = ut_join(pid);
	CHECK_EQ(w, 4096);
	CHECK(child_ok);
}

static void pipe_nonblock(void)
{
	int p[2];
	char buf[16];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, O_NONBLOCK), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY | O_NONBLOCK);
	CHECK_EQ(sys_fcntl(p[1], F_GETFL, 0), O_WRONLY | O_NONBLOCK);
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	CHECK(fill_pipe(p[1], 'n') >= 4096);
	CHECK_ERR(write(p[1], "x", 1), EAGAIN);
	CHECK_ERR(write(p[1], buf, sizeof(buf)), EAGAIN);
	close_pair(p);

	/* the same through F_SETFL; the access mode cannot be changed */
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY);
	CHECK_EQ(sys_fcntl(p[0], F_SETFL, O_NONBLOCK | O_WRONLY), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY | O_NONBLOCK);
	CHECK_EQ(sys_fcntl(p[1], F_SETFL, O_NONBLOCK | O_RDWR), 0);
	CHECK_EQ(sys_fcntl(p[1], F_GETFL, 0), O_WRONLY | O_NONBLOCK);
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	long cap = fill_pipe(p[1], 'n');
	CHECK(cap >= 4096);
	CHECK_ERR(write(p[1], "x", 1), EAGAIN);
	/* reading one byte is not room for a whole page, but for a byte */
	CHECK_EQ(read(p[0], buf, 1), 1);
	CHECK_EQ(buf[0], 'n');
	/* back to blocking: reads see the data, then would block */
	CHECK_EQ(sys_fcntl(p[0], F_SETFL, 0), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), sizeof(buf));
	close(p[1]);
	/* with no writer, an empty non-blocking pipe is at EOF, not EAGAIN */
	CHECK_EQ(sys_fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	long left = cap - 1 - (long)sizeof(buf);
	char *rest = malloc(left + 1);
	CHECK(rest);
	long n = read_full(p[0], rest, left + 1);
	free(rest);
	CHECK_EQ(n, left);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

#define ATOMIC_WRITERS 3
#define ATOMIC_RECORDS 1000
#define RECORD         PIPE_BUF

/* A record: the writer's id and sequence number, then its id repeated. */
struct record {
	int id;
	int seq;
	unsigned char fill[RECORD - 2 * sizeof(int)];
};
_Static_assert(sizeof(struct record) == PIPE_BUF, "one record per PIPE_BUF");

static int atomic_fds[2];
static int atomic_id;

static void atomic_writer(void)
{
	static struct record rec;
	deadline_arm();
	close(atomic_fds[0]);
	rec.id = atomic_id;
	memset(rec.fill, 'A' + atomic_id, sizeof(rec.fill));
	for (int i = 0; i < ATOMIC_RECORDS; i++) {
		rec.seq = i;
		deadline_arm();
		/* a blocking write of up to PIPE_BUF bytes is never short */
		CHECK_EQ(write(atomic_fds[1], &rec, sizeof(rec)), sizeof(rec));
	}
}

/* Read records to EOF: each from one writer, in each writer's order. */
static void atomic_read(int fd)
{
	static struct record rec;
	int count[ATOMIC_WRITERS] = {0};
	long n;
	while (deadline_arm(),
	       (n = read_full(fd, &rec, sizeof(rec))) == sizeof(rec)) {
		int id = rec.id;
		if (id < 0 || id >= ATOMIC_WRITERS) {
			ut_fail("record with writer id %d", id);
			break;
		}
		if (rec.seq != count[id]) {
			ut_fail("writer %d: record %d came as number %d", id,
				rec.seq, count[id]);
			break;
		}
		count[id]++;
		for (size_t i = 0; i < sizeof(rec.fill); i++)
			if (rec.fill[i] != 'A' + id) {
				ut_fail("writer %d record %d: byte %zu is %#x: "
					"records interleaved",
					id, rec.seq, i, rec.fill[i]);
				break;
			}
		if (ut_failed())
			break;
	}
	if (ut_failed())
		return;
	CHECK_EQ(n, 0);
	for (int i = 0; i < ATOMIC_WRITERS; i++)
		CHECK_EQ(count[i], ATOMIC_RECORDS);
}

static void pipe_atomic(void)
{
	pid_t pids[ATOMIC_WRITERS];
	deadline_arm();
	CHECK_EQ(sys_pipe2(atomic_fds, 0), 0);
	for (int i = 0; i < ATOMIC_WRITERS; i++) {
		atomic_id = i;
		pids[i] = ut_spawn(atomic_writer);
	}
	close(atomic_fds[1]);
	atomic_read(atomic_fds[0]);
	/* on a failure, closing makes the writers die of SIGPIPE */
	close(atomic_fds[0]);
	for (int i = 0; i < ATOMIC_WRITERS; i++)
		ut_join(pids[i]);
}

#define BIG_SIZE (8L << 20)

static int big_fds[2];

/* Byte i of the stream: a mix of i, so that lost, repeated or swapped
 * pieces change the checksum. */
static unsigned char big_byte(uint64_t i)
{
	return ((i * 0x9e3779b97f4a7c15ULL) >> 56) ^ i;
}

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define FNV_START 0xcbf29ce484222325ULL

static void big_writer(void)
{
	static const size_t sizes[] = {1,   4097, 3,      65537,
				       777, 4095, 100003, 13};
	static unsigned char buf[100003];
	deadline_arm();
	close(big_fds[0]);
	long off = 0;
	for (int i = 0; off < BIG_SIZE; i++) {
		size_t n = sizes[i % UT_COUNT(sizes)];
		if (n > (size_t)(BIG_SIZE - off))
			n = BIG_SIZE - off;
		for (size_t j = 0; j < n; j++)
			buf[j] = big_byte(off + j);
		deadline_arm();
		CHECK_EQ(write_full(big_fds[1], buf, n), n);
		off += n;
	}
}

static void big_read(int fd)
{
	static const size_t sizes[] = {7, 65539, 1, 4093, 33333, 4096};
	static unsigned char buf[65539];
	uint64_t sum = FNV_START, want = FNV_START;
	long total = 0;
	for (int i = 0;; i++) {
		deadline_arm();
		long n = read(fd, buf, sizes[i % UT_COUNT(sizes)]);
		if (n <= 0) {
			CHECK_EQ(n, 0);
			break;
		}
		sum = fnv1a(sum, buf, n);
		total += n;
	}
	CHECK_EQ(total, BIG_SIZE);
	for (long off = 0; off < BIG_SIZE; off += sizeof(buf)) {
		long n = BIG_SIZE - off < (long)sizeof(buf) ? BIG_SIZE - off
							    : (long)sizeof(buf);
		for (long j = 0; j < n; j++)
			buf[j] = big_byte(off + j);
		want = fnv1a(want, buf, n);
	}
	if (sum != want)
		ut_fail("checksum %#llx, expected %#llx",
			(unsigned long long)sum, (unsigned long long)want);
}

static void pipe_big(void)
{
	deadline_arm();
	CHECK_EQ(sys_pipe2(big_fds, 0), 0);
	pid_t pid = ut_spawn(big_writer);
	close(big_fds[1]);
	big_read(big_fds[0]);
	close(big_fds[0]);
	ut_join(pid);
}

/* ---- the descriptor table ------------------------------------------- */

static void dup_child(void)
{
	int p[2], q[2];
	char c;
	struct rlimit rl;
	deadline_arm();
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	int limit = rl.rlim_cur > 100000 ? 100000 : (int)rl.rlim_cur;
	CHECK(limit > 110);
	CHECK_EQ(sys_pipe2(p, 0), 0);
	/* dup: the lowest free descriptor, sharing the open file */
	int low = lowest_free();
	int a = dup(p[0]);
	CHECK_EQ(a, low);
	int next = lowest_free();
	int b = dup(p[0]);
	CHECK_EQ(b, next);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(dup(p[1]), a);
	CHECK_EQ(sys_fcntl(a, F_GETFL, 0), O_WRONLY);
	CHECK_EQ(write(a, "d", 1), 1);
	CHECK_EQ(read(b, &c, 1), 1);
	CHECK_EQ(c, 'd');

	/* dup2 onto an open descriptor closes what it was first */
	CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	CHECK_EQ(sys_pipe2(q, 0), 0);
	CHECK_EQ(dup2(p[1], q[0]), q[0]);
	CHECK_EQ(sys_fcntl(q[0], F_GETFL, 0), O_WRONLY);
	CHECK_ERR(write(q[1], "x", 1), EPIPE); /* its only reader is gone */
	CHECK_EQ(write(q[0], "y", 1), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'y');
	CHECK_EQ(dup2(p[0], p[0]), p[0]);
	int unused = lowest_free();
	CHECK_ERR(dup2(unused, unused), EBADF);

	/* dup3: O_CLOEXEC only, never onto itself */
	CHECK_ERR(sys_dup3(p[0], p[0], 0), EINVAL);
	CHECK_ERR(sys_dup3(p[0], p[0], O_CLOEXEC), EINVAL);
	CHECK_ERR(sys_dup3(p[0], unused, O_NONBLOCK), EINVAL);
	CHECK(!fd_is_open(unused));
	CHECK_EQ(sys_dup3(p[0], unused, O_CLOEXEC), unused);
	CHECK_EQ(sys_fcntl(unused, F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), 0);
	CHECK_EQ(sys_dup3(p[1], unused, 0), unused); /* replaces, clears */
	CHECK_EQ(sys_fcntl(unused, F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(unused, F_GETFL, 0), O_WRONLY);
	CHECK_EQ(close(unused), 0);

	/* bad old descriptors, and new ones out of range */
	CHECK_ERR(dup(-1), EBADF);
	CHECK_ERR(dup(1000000), EBADF);
	CHECK_ERR(dup(unused), EBADF);
	CHECK_ERR(dup2(-1, unused), EBADF);
	CHECK(!fd_is_open(90));
	CHECK_ERR(dup2(90, unused), EBADF);
	CHECK_ERR(sys_dup3(unused, 90, 0), EBADF);
	CHECK_ERR(sys_dup3(-1, unused, O_CLOEXEC), EBADF);
	CHECK_ERR(dup2(p[0], -1), EBADF);
	CHECK_ERR(dup2(p[0], limit), EBADF);
	CHECK_ERR(sys_dup3(p[0], limit, 0), EBADF);
	CHECK(!fd_is_open(unused));

	/* F_DUPFD: the lowest free at or above the minimum */
	CHECK(!fd_is_open(100) && !fd_is_open(101) && !fd_is_open(102));
	CHECK_EQ(sys_fcntl(p[0], F_DUPFD, 100), 100);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(p[1], F_DUPFD, 100), 101);
	CHECK_EQ(sys_fcntl(101, F_GETFL, 0), O_WRONLY);
	CHECK_EQ(sys_fcntl(100, F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(p[0], F_DUPFD_CLOEXEC, 100), 102);
	CHECK_EQ(sys_fcntl(102, F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_fcntl(p[0], F_DUPFD, 0), unused);
	CHECK_ERR(sys_fcntl(p[0], F_DUPFD, limit), EINVAL);
	CHECK_ERR(sys_fcntl(p[0], F_DUPFD_CLOEXEC, limit), EINVAL);
	CHECK_ERR(sys_fcntl(p[0], F_DUPFD, -1), EINVAL);
	CHECK_ERR(sys_fcntl(-1, F_DUPFD, 0), EBADF);
	CHECK_ERR(sys_fcntl(1000000, F_DUPFD_CLOEXEC, 0), EBADF);

	/* F_SETFD: per descriptor, only FD_CLOEXEC kept; F_SETFL: shared */
	CHECK_EQ(sys_fcntl(p[0], F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_fcntl(100, F_GETFD, 0), 0);
	int d = dup(p[0]);
	CHECK(d >= 0);
	CHECK_EQ(sys_fcntl(d, F_GETFD, 0), 0); /* dup clears it */
	CHECK_EQ(sys_fcntl(p[0], F_SETFD, 0xff), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(sys_fcntl(p[0], F_SETFD, 0), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(d, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY | O_NONBLOCK);
	CHECK_EQ(sys_fcntl(100, F_GETFL, 0), O_RDONLY | O_NONBLOCK);
	CHECK_ERR(read(100, &c, 1), EAGAIN);
}

static void dup_calls(void)
{
	deadline_arm();
	ut_in_child(dup_child);
}

static void close_child(void)
{
	int p[2], open_low[3];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(close(p[0]), 0);
	CHECK_ERR(close(p[0]), EBADF);
	CHECK_EQ(close(p[1]), 0);
	CHECK_ERR(close(p[1]), EBADF);

	/* close_range(3, ~0U): everything from 3 on, whatever was open */
	for (int fd = 0; fd < 3; fd++)
		open_low[fd] = sys_fcntl(fd, F_GETFD, 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(sys_pipe2(p, i & 1 ? O_CLOEXEC : 0), 0);
	CHECK_EQ(dup2(p[0], 99), 99);
	CHECK_EQ(sys_close_range(3, ~0U, 0), 0);
	for (int fd = 3; fd < 128; fd++)
		CHECK_ERR(sys_fcntl(fd, F_GETFD, 0), EBADF);
	for (int fd = 0; fd < 3; fd++)
		CHECK_EQ(sys_fcntl(fd, F_GETFD, 0), open_low[fd]);
	CHECK_EQ(sys_close_range(3, ~0U, 0), 0); /* nothing left: still 0 */

	/* a range in the middle */
	int fds[6];
	for (int i = 0; i < 3; i++)
		CHECK_EQ(sys_pipe2(fds + 2 * i, 0), 0);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(fds[i], 3 + i);
	CHECK_EQ(sys_close_range(4, 6, 0), 0);
	for (int fd = 3; fd < 9; fd++)
		CHECK_EQ(fd_is_open(fd), fd < 4 || fd > 6);
	CHECK_ERR(sys_close_range(5, 4, 0), EINVAL);
	CHECK_ERR(sys_close_range(3, ~0U, 0x80), EINVAL);
	CHECK(fd_is_open(3) && fd_is_open(7) && fd_is_open(8));

	/* CLOSE_RANGE_CLOEXEC marks instead of closing */
	CHECK_EQ(dup2(3, 99), 99);
	CHECK_EQ(sys_close_range(3, ~0U, CLOSE_RANGE_CLOEXEC), 0);
	for (int fd = 3; fd < 128; fd++) {
		int want_open = fd == 3 || fd == 7 || fd == 8 || fd == 99;
		CHECK_EQ(sys_fcntl(fd, F_GETFD, 0),
			 want_open ? FD_CLOEXEC : -1);
	}
	for (int fd = 0; fd < 3; fd++)
		CHECK_EQ(sys_fcntl(fd, F_GETFD, 0), open_low[fd]);
}

static void close_calls(void)
{
	deadline_arm();
	ut_in_child(close_child);
}

/* Parse "3,4,5" into fds; return how many, at most max. */
static int parse_fds(const char *s, int *fds, int max)
{
	int n = 0;
	while (*s && n < max) {
		char *end;
		fds[n++] = strtol(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* The checks cloexec-check makes; it exits 10 + the index of the first
 * that fails, else EXEC_OK. */
static const char *const cloexec_checks[] = {
    "the arguments are two lists of descriptors",
    "each descriptor without FD_CLOEXEC is open, its flag still clear",
    "each descriptor with FD_CLOEXEC is closed",
    "O_NONBLOCK on the kept write end survives execve",
    "the kept write end still writes into the pipe",
};

/* In the exec'd image: argv[2] lists the descriptors that must be open
 * (the first the pipe's write end), argv[3] those that must be closed. */
static int cloexec_check(int argc, char **argv)
{
	int open_fds[16], closed_fds[16], n_open = 0, n_closed = 0;
	if (argc == 4) {
		n_open = parse_fds(argv[2], open_fds, 16);
		n_closed = parse_fds(argv[3], closed_fds, 16);
	}
	if (n_open < 1 || n_closed < 1)
		return 10;
	for (int i = 0; i < n_open; i++)
		if (sys_fcntl(open_fds[i], F_GETFD, 0) != 0)
			return 11;
	for (int i = 0; i < n_closed; i++)
		if (sys_fcntl(closed_fds[i], F_GETFD, 0) != -1 ||
		    errno != EBADF)
			return 12;
	if (sys_fcntl(open_fds[0], F_GETFL, 0) != (O_WRONLY | O_NONBLOCK))
		return 13;
	if (write(open_fds[0], "exec", 4) != 4)
		return 14;
	return EXEC_OK;
}

/* In the child: descriptors with and without FD_CLOEXEC, then execve. */
static void cloexec_child(int p[2])
{
	int q[2];
	char open_list[64], closed_list[64];
	close(p[0]);
	sys_fcntl(p[1], F_SETFL, O_NONBLOCK);
	int kept_read = -1;
	if (sys_pipe2(q, O_CLOEXEC) == 0) {
		kept_read = dup(q[0]); /* dup clears FD_CLOEXEC */
	}
	int marked = dup(p[1]);
	sys_fcntl(marked, F_SETFD, FD_CLOEXEC);
	int by_dup3 = sys_dup3(p[1], 60, O_CLOEXEC);
	int by_dupfd = sys_fcntl(p[1], F_DUPFD_CLOEXEC, 70);
	int kept_dupfd = sys_fcntl(p[1], F_DUPFD, 80);
	snprintf(open_list, sizeof(open_list), "%d,%d,%d", p[1], kept_read,
		 kept_dupfd);
	snprintf(closed_list, sizeof(closed_list), "%d,%d,%d,%d,%d,%d", q[0],
		 q[1], marked, by_dup3, by_dupfd, 1000);
	char *argv[] = {(char *)ut_self, "cloexec-check", open_list,
			closed_list, NULL};
	execve(ut_self, argv, environ);
	_exit(127);
}

static void cloexec_exec(void)
{
	int p[2];
	char buf[16];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		cloexec_child(p);
	close(p[1]);
	int status = ut_wait(pid);
	deadline_arm();
	long n = read_full(p[0], buf, sizeof(buf));
	close(p[0]);
	CHECK(WIFEXITED(status));
	int code = WEXITSTATUS(status);
	if (code >= 10 && code < 10 + UT_COUNT(cloexec_checks)) {
		ut_fail("after execve, not true: %s",
			cloexec_checks[code - 10]);
		return;
	}
	CHECK_EQ(code, EXEC_OK);
	CHECK_EQ(n, 4);
	CHECK(!memcmp(buf, "exec", 4));
}

static int shares_fds[2];

static void shares_child(void)
{
	deadline_arm();
	CHECK_EQ(write(shares_fds[1], "child.", 6), 6);
	/* status flags belong to the open file, which the parent shares */
	CHECK_EQ(sys_fcntl(shares_fds[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(close(shares_fds[1]), 0);
	CHECK_EQ(close(shares_fds[0]), 0);
}

static void fork_shares(void)
{
	char buf[32];
	int *p = shares_fds;
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(write(p[1], "parent.", 7), 7);
	CHECK(ut_in_child(shares_child));
	/* the child's close closed only its own descriptors */
	CHECK_EQ(sys_fcntl(p[0], F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(p[1], F_GETFD, 0), 0);
	CHECK_EQ(sys_fcntl(p[0], F_GETFL, 0), O_RDONLY | O_NONBLOCK);
	CHECK_EQ(write(p[1], "again", 5), 5);
	CHECK_EQ(close(p[1]), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read_full(p[0], buf, sizeof(buf) - 1), 18);
	CHECK(!strcmp(buf, "parent.child.again"));
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

static void readv_writev(void)
{
	int p[2];
	char a[2], b[5], c[100];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, O_NONBLOCK), 0);
	struct iovec out[3] = {{"abc", 3}, {"defgh", 5}, {"ijklmnop", 8}};
	CHECK_EQ(writev(p[1], out, 3), 16);
	struct iovec in[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {c, sizeof(c)}};
	memset(c, 0, sizeof(c));
	CHECK_EQ(readv(p[0], in, 3), 16);
	CHECK(!memcmp(a, "ab", 2));
	CHECK(!memcmp(b, "cdefg", 5));
	CHECK(!strcmp(c, "hijklmnop"));
	/* empty entries are skipped; a short pipe fills the first ones */
	struct iovec gaps[3] = {{"", 0}, {"xyz", 3}, {NULL, 0}};
	CHECK_EQ(writev(p[1], gaps, 3), 3);
	CHECK_EQ(readv(p[0], in, 3), 3);
	CHECK(!memcmp(a, "xy", 2) && b[0] == 'z');
	CHECK_EQ(writev(p[1], out, 0), 0);
	CHECK_EQ(readv(p[0], in, 0), 0);
	CHECK_ERR(readv(p[0], in, 3), EAGAIN);
	CHECK_ERR(syscall(SYS_writev, p[1], out, -1), EINVAL);
	CHECK_ERR(syscall(SYS_readv, p[0], in, -1), EINVAL);
	CHECK_ERR(syscall(SYS_writev, p[1], out, IOV_MAX + 1), EINVAL);
	CHECK_ERR(syscall(SYS_readv, p[0], in, IOV_MAX + 1), EINVAL);
	CHECK_ERR(syscall(SYS_writev, p[1], out, INT_MAX), EINVAL);
	CHECK_ERR(readv(p[0], in, 3), EAGAIN); /* nothing was written */
	close_pair(p);
}

static void bad_fds(void)
{
	int p[2];
	char c = 0;
	struct iovec iov = {&c, 1};
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, O_NONBLOCK), 0);
	int never = lowest_free() + 7;
	CHECK(!fd_is_open(never));
	const int fds[] = {-1, 1000000, never};
	for (int i = 0; i < UT_COUNT(fds); i++) {
		int fd = fds[i];
		CHECK_ERR(read(fd, &c, 1), EBADF);
		CHECK_ERR(read(fd, &c, 0), EBADF);
		CHECK_ERR(write(fd, &c, 1), EBADF);
		CHECK_ERR(write(fd, &c, 0), EBADF);
		CHECK_ERR(readv(fd, &iov, 1), EBADF);
		CHECK_ERR(writev(fd, &iov, 1), EBADF);
		CHECK_ERR(close(fd), EBADF);
		CHECK_ERR(sys_fcntl(fd, F_GETFD, 0), EBADF);
		CHECK_ERR(sys_fcntl(fd, F_SETFD, FD_CLOEXEC), EBADF);
		CHECK_ERR(sys_fcntl(fd, F_GETFL, 0), EBADF);
		CHECK_ERR(sys_fcntl(fd, F_SETFL, O_NONBLOCK), EBADF);
		CHECK_ERR(dup(fd), EBADF);
	}
	CHECK(!fd_is_open(never));
	/* the wrong end of a pipe, even for zero bytes */
	CHECK_ERR(read(p[1], &c, 1), EBADF);
	CHECK_ERR(read(p[1], &c, 0), EBADF);
	CHECK_ERR(readv(p[1], &iov, 1), EBADF);
	CHECK_ERR(write(p[0], &c, 1), EBADF);
	CHECK_ERR(write(p[0], &c, 0), EBADF);
	CHECK_ERR(writev(p[0], &iov, 1), EBADF);
	CHECK_ERR(read(p[0], &c, 1), EAGAIN); /* nothing went in */
	close_pair(p);
}

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#endif
#define HIGH_BITS (0xffffffffL << 32) /* ignored: descriptors are 32-bit */

/* close_range bounds anywhere in 32 bits (a bound >= 2^31 once became a
 * negative index and faulted in the kernel), unknown flags, and
 * descriptor numbers with their upper register bits set. */
static void huge_child(void)
{
	int p[2];
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	CHECK_EQ(sys_close_range(0x80000000U, ~0U, 0), 0);
	CHECK_EQ(sys_close_range(INT_MAX, INT_MAX, 0), 0);
	CHECK_EQ(sys_close_range(~0U, ~0U, 0), 0);
	CHECK_EQ(sys_close_range(0x80000000U, ~0U, CLOSE_RANGE_CLOEXEC), 0);
	CHECK_EQ(sys_close_range(INT_MAX, ~0U, CLOSE_RANGE_UNSHARE), 0);
	CHECK_ERR(sys_close_range(~0U, 0x80000000U, 0), EINVAL);
	CHECK_ERR(sys_close_range(2000, 1000, 0), EINVAL);
	CHECK_ERR(sys_close_range(p[0], p[0], 1), EINVAL);
	CHECK_ERR(sys_close_range(p[0], p[0], 8), EINVAL);
	CHECK_ERR(sys_close_range(p[0], p[0], 0x80000000U), EINVAL);
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK_EQ(fcntl(p[1], F_GETFD), 0);

	CHECK_EQ(syscall(SYS_fcntl, HIGH_BITS | p[0], F_SETFD, FD_CLOEXEC), 0);
	CHECK_EQ(syscall(SYS_fcntl, HIGH_BITS | p[0], F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_fcntl, (1L << 32) | p[0], F_GETFD, 0), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_fcntl, p[0], F_DUPFD, (1L << 32) | 40), 40);
	CHECK_ERR(syscall(SYS_fcntl, p[0], F_DUPFD, INT_MAX), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, p[0], F_DUPFD, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_fcntl, p[0], F_DUPFD_CLOEXEC, 1L << 31), EINVAL);
#ifdef SYS_dup2
	CHECK_EQ(syscall(SYS_dup2, HIGH_BITS | p[0], HIGH_BITS | 41), 41);
#else
	CHECK_EQ(syscall(SYS_dup3, HIGH_BITS | p[0], HIGH_BITS | 41, 0), 41);
#endif
	CHECK_EQ(syscall(SYS_dup3, p[0], (1L << 32) | 42, 0), 42);
	CHECK_ERR(syscall(SYS_dup3, p[0], HIGH_BITS | p[0], 0), EINVAL);
#ifdef SYS_dup2
	CHECK_ERR(syscall(SYS_dup2, p[0], INT_MAX), EBADF);
	CHECK_ERR(syscall(SYS_dup2, p[0], -1L), EBADF);
#endif
	CHECK_ERR(syscall(SYS_dup3, p[0], 0x80000000L, 0), EBADF);
	CHECK_EQ(syscall(SYS_close, HIGH_BITS | 40), 0);
	CHECK(!fd_is_open(40));
	CHECK_EQ(syscall(SYS_close, (1L << 32) | 41), 0);
	CHECK_ERR(syscall(SYS_close, 0x80000000L), EBADF);
	CHECK(fd_is_open(42) && fd_is_open(p[0]) && fd_is_open(p[1]));
	CHECK_EQ(write(p[1], "x", 1), 1);
}

static void huge_fds(void)
{
	deadline_arm();
	ut_in_child(huge_child);
}

static int unshare_fd;

/* A process sharing its parent's table (CLONE_FILES) unshares it before
 * closing: the parent keeps its descriptor. */
static void unshare_child(void)
{
	CHECK_EQ(sys_close_range(unshare_fd, unshare_fd, CLOSE_RANGE_UNSHARE),
		 0);
	CHECK(!fd_is_open(unshare_fd));
	_exit(ut_failed() ? 1 : 0);
}

static void unshare_close(void)
{
	int p[2], status;
	deadline_arm();
	CHECK_EQ(sys_pipe2(p, 0), 0);
	unshare_fd = p[0];
	pid_t pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		unshare_child();
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK(fd_is_open(p[0]));
	/* without UNSHARE the shared table loses it */
	pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(sys_close_range(p[0], p[0], 0) ? 1 : 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK(!fd_is_open(p[0]));
	close(p[1]);
}

#define LIMIT_LOW 64

/* Fill the table under a low soft limit: every descriptor below it. */
static void limit_child(void)
{
	struct rlimit rl;
	int p[2];
	deadline_arm();
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur > LIMIT_LOW) {
		rl.rlim_cur = LIMIT_LOW;
		CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	int limit = rl.rlim_cur;
	CHECK(limit >= 8);
	int last[2] = {-1, -1};
	while (sys_pipe2(p, 0) == 0) {
		last[0] = p[0];
		last[1] = p[1];
	}
	CHECK_EQ(errno, EMFILE);
	CHECK(last[0] >= 0);
	/* with one slot left, pipe2 fails and leaves it free */
	int one = lowest_free();
	CHECK(one >= limit - 1);
	if (one == limit - 1)
		CHECK_EQ(dup(last[0]), one);
	int open = 0;
	for (int fd = 0; fd < limit; fd++)
		open += fd_is_open(fd);
	CHECK_EQ(open, limit);
	CHECK_ERR(sys_pipe2(p, 0), EMFILE);
	CHECK_ERR(dup(last[0]), EMFILE);
	CHECK_ERR(sys_fcntl(last[0], F_DUPFD, 0), EMFILE);
	CHECK_ERR(sys_fcntl(last[0], F_DUPFD_CLOEXEC, 3), EMFILE);
	CHECK_ERR(dup2(last[0], limit), EBADF);
	CHECK_ERR(sys_fcntl(last[0], F_DUPFD, limit), EINVAL);
	/* dup2 onto an open descriptor needs no new slot */
	CHECK_EQ(dup2(last[0], last[1]), last[1]);
	/* one free slot is not enough for a pipe, two are */
	CHECK_EQ(close(last[1]), 0);
	CHECK_ERR(sys_pipe2(p, 0), EMFILE);
	CHECK(!fd_is_open(last[1]));
	CHECK_EQ(close(last[0]), 0);
	CHECK_EQ(sys_pipe2(p, 0), 0);
	int lo = last[0] < last[1] ? last[0] : last[1];
	int hi = last[0] < last[1] ? last[1] : last[0];
	CHECK_EQ(p[0], lo);
	CHECK_EQ(p[1], hi);
	CHECK_EQ(write(p[1], "!", 1), 1);
}

static void fd_limit(void)
{
	deadline_arm();
	ut_in_child(limit_child);
}

/* A non-root child: more than /proc/sys/fs/pipe-max-size (1 MiB) is
 * EPERM, 1 MiB itself is allowed. */
static void pipe_size_user(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(setuid(1000), 0);
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 2 << 20), EPERM);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1 << 20), 1 << 20);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 1 << 20);
}

/* F_GETPIPE_SZ and F_SETPIPE_SZ: 64 KiB at first, a new size rounds up
 * to a power of two pages and really is the capacity (a full ring takes
 * no more), a ring holding more than the new size is EBUSY, data
 * survives a resize, and only pipes have a size (EBADF). */
static void pipe_size(void)
{
	int p[2], s[2];
	char buf[20000];
	CHECK_EQ(pipe2(p, O_NONBLOCK), 0);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 3 * 4096), 16384);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 16384);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 0), 4096);
	CHECK_EQ(fcntl(p[0], F_SETPIPE_SZ, 16384), 16384);
	memset(buf, 'p', sizeof(buf));
	CHECK_EQ(write(p[1], buf, sizeof(buf)), 16384);
	CHECK_ERR(write(p[1], buf, 1), EAGAIN);
	CHECK_ERR(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	CHECK_EQ(read(p[0], buf, 16384 - 10), 16384 - 10);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 10);
	CHECK_ERR(fcntl(p[0], F_SETPIPE_SZ, 0x80000001u), EINVAL);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	CHECK_ERR(fcntl(s[0], F_GETPIPE_SZ), EBADF);
	CHECK_ERR(fcntl(s[0], F_SETPIPE_SZ, 4096), EBADF);
	close(s[0]);
	close(s[1]);
	close(p[0]);
	close(p[1]);
	ut_in_child(pipe_size_user);
}

static const struct ut_case cases[] = {
    UT_CASE(pipe_basic),    UT_CASE(pipe_eof),      UT_CASE(pipe_epipe),
    UT_CASE(pipe_block),    UT_CASE(pipe_nonblock), UT_CASE(pipe_atomic),
    UT_CASE(pipe_big),      UT_CASE(dup_calls),     UT_CASE(close_calls),
    UT_CASE(cloexec_exec),  UT_CASE(fork_shares),   UT_CASE(readv_writev),
    UT_CASE(bad_fds),       UT_CASE(fd_limit),      UT_CASE(huge_fds),
    UT_CASE(unshare_close), UT_CASE(pipe_size),
};

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "cloexec-check"))
		return cloexec_check(argc, argv);
	return ut_main(argc, argv, "fd", cases, UT_COUNT(cases));
}
