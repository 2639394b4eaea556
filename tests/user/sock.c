/*
 * sock: AF_UNIX sockets. Stream socketpairs as byte streams (ping-pong,
 * merged and split writes, 64 MiB between processes), datagram and
 * seqpacket message boundaries and truncation, listen/connect/accept on
 * abstract names with their errors and the backlog, SCM_RIGHTS, socket
 * options, the MSG_* flags, EOF and shutdown, a peer closing while we
 * wait in recv, send, accept or poll, and eight pairs of processes at
 * once.
 *
 * Abstract names carry the pid, so runs never collide. A peer is a
 * forked child that arms alarm() first, so it can never outlive a broken
 * kernel; every wait in the parent ends when the child does.
 */
#include "utest.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_ALARM_S 20
#define LONG_WAIT_MS  10000

/* ---- helpers -------------------------------------------------------- */

static int sv[2]; /* the current case's socketpair, seen by its child */

static void close_sv(void)
{
	close(sv[0]);
	close(sv[1]);
}

/* Build the abstract address "\0lux-utest-<pid>-<tag>"; return its
 * length as bind and getsockname count it. */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1,
			 "lux-utest-%d-%s", (int)getpid(), tag);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

/* A listening stream socket bound to the abstract name tag, or -1. */
static int listener(const char *tag, int backlog)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, tag);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, len) || listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect a new stream socket (with extra socket type flags) to the
 * abstract name tag of process pid; return it, or -1 with errno set. */
static int connect_to(pid_t pid, const char *tag, int flags)
{
	struct sockaddr_un a;
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1,
			 "lux-utest-%d-%s", (int)pid, tag);
	int fd = socket(AF_UNIX, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return -1;
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	if (connect(fd, (struct sockaddr *)&a, len) != 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Read exactly len bytes; return 1, or 0 with the case failed. */
static int read_all(int fd, void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = read(fd, (char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ut_fail("read at %zu of %zu returned %zd (%s)", off,
				len, n, ut_errno_name(errno));
			return 0;
		}
		off += n;
	}
	return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, (const char *)buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ut_fail("write at %zu of %zu returned %zd (%s)", off,
				len, n, ut_errno_name(errno));
			return 0;
		}
		off += n;
	}
	return 1;
}

/* Fill fd's send side with non-blocking sends until EAGAIN; return the
 * bytes sent. */
static long fill_socket(int fd)
{
	static char block[4096];
	long total = 0;
	for (;;) {
		ssize_t n = send(fd, block, sizeof(block), MSG_DONTWAIT);
		if (n <= 0)
			return total;
		total += n;
	}
}

static int int_opt(int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, name, &v, &len) != 0 || len != sizeof(v))
		return -12345;
	return v;
}

/* ---- stream socketpairs --------------------------------------------- */

#define PINGS 200

static void pong_child(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	for (int i = 0; i < PINGS; i++) {
		uint32_t v;
		if (!read_all(sv[1], &v, sizeof(v)))
			return;
		CHECK_EQ(v, 2 * i);
		v++;
		if (!write_all(sv[1], &v, sizeof(v)))
			return;
	}
}

static void stream_pingpong(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = ut_spawn(pong_child);
	close(sv[1]);
	for (int i = 0; i < PINGS && pid > 0; i++) {
		uint32_t v = 2 * i;
		if (!write_all(sv[0], &v, sizeof(v)) ||
		    !read_all(sv[0], &v, sizeof(v)) || !EXPECT_EQ(v, 2 * i + 1))
			break;
	}
	close(sv[0]);
	ut_join(pid);
}

/* Two writes can arrive in one read; a small read takes part of one. */
static void stream_bytes(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char buf[32];
	CHECK_EQ(write(sv[0], "abc", 3), 3);
	CHECK_EQ(write(sv[0], "defg", 4), 4);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 7);
	CHECK(!memcmp(buf, "abcdefg", 7));
	CHECK_EQ(write(sv[1], "0123456789", 10), 10);
	CHECK_EQ(read(sv[0], buf, 3), 3);
	CHECK(!memcmp(buf, "012", 3));
	CHECK_EQ(read(sv[0], buf, 4), 4);
	CHECK(!memcmp(buf, "3456", 4));
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "789", 3));
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	close_sv();
}

#define BIG_SIZE (64L << 20)

/* The byte at offset i of the big transfer. */
static unsigned char big_byte(long i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (unsigned char)(x >> 24 ^ i);
}

/* Send BIG_SIZE bytes in chunks of varying size. */
static void big_sender(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	static unsigned char chunk[65536 + 17];
	for (long off = 0, k = 0; off < BIG_SIZE; k++) {
		long len = 1 + (k * 7919) % (long)sizeof(chunk);
		if (len > BIG_SIZE - off)
			len = BIG_SIZE - off;
		for (long i = 0; i < len; i++)
			chunk[i] = big_byte(off + i);
		if (!write_all(sv[1], chunk, len))
			return;
		off += len;
	}
	close(sv[1]);
}

static void stream_64mib(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = ut_spawn(big_sender);
	close(sv[1]);
	static unsigned char buf[100000];
	uint64_t sum = 0, want = 0;
	long got = 0;
	for (long i = 0; i < BIG_SIZE; i++)
		want = want * 31 + big_byte(i);
	for (;;) {
		ssize_t n = read(sv[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			sum = sum * 31 + buf[i];
		got += n;
	}
	close(sv[0]);
	int ok = ut_join(pid);
	CHECK_EQ(got, BIG_SIZE);
	CHECK_EQ(sum, want);
	CHECK(ok);
}

/* ---- message boundaries --------------------------------------------- */

/* Each recv gets one message; a short buffer truncates and drops the
 * rest of it, with MSG_TRUNC in msg_flags. */
static void check_boundaries(int type)
{
	CHECK_EQ(socketpair(AF_UNIX, type, 0, sv), 0);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_TYPE), type);
	char buf[64];
	CHECK_EQ(send(sv[0], "a", 1, 0), 1);
	CHECK_EQ(send(sv[0], "bb", 2, 0), 2);
	CHECK_EQ(send(sv[0], "ccc", 3, 0), 3);
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	CHECK_EQ(send(sv[0], "after", 5, 0), 5);
	CHECK_EQ(send(sv[0], "0123456789", 10, 0), 10);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 2);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK(!memcmp(buf, "ccc", 3));
	struct iovec iov = {buf, 4};
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	CHECK_EQ(recvmsg(sv[1], &m, 0), 4);
	CHECK(!memcmp(buf, "0123", 4));
	CHECK_EQ(m.msg_flags & MSG_TRUNC, MSG_TRUNC);
	m.msg_flags = 0;
	iov.iov_len = sizeof(buf);
	CHECK_EQ(recvmsg(sv[1], &m, 0), 5); /* the rest was dropped */
	CHECK(!memcmp(buf, "after", 5));
	CHECK_EQ(m.msg_flags & MSG_TRUNC, 0);
	/* with MSG_TRUNC given, recv returns the real length */
	CHECK_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 10);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close_sv();
}

static void dgram_boundaries(void)
{
	check_boundaries(SOCK_DGRAM);
	if (ut_failed())
		return;
	/* an empty datagram is a message too */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	char buf[8];
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 1);
	close_sv();
}

static void seqpacket_boundaries(void)
{
	check_boundaries(SOCK_SEQPACKET);
}

/* ---- listen, connect, accept ---------------------------------------- */

static void abstract_connect(void)
{
	struct sockaddr_un want, got;
	socklen_t want_len = abstract_addr(&want, "named");
	int lfd = listener("named", 4);
	CHECK(lfd >= 0);
	int c = connect_to(getpid(), "named", 0);
	CHECK(c >= 0);
	socklen_t len = sizeof(got);
	int a = accept(lfd, (struct sockaddr *)&got, &len);
	CHECK(a >= 0);
	/* the client is unnamed: only the family comes back */
	CHECK_EQ(len, sizeof(sa_family_t));
	CHECK_EQ(got.sun_family, AF_UNIX);
	len = sizeof(got);
	memset(&got, 0xff, sizeof(got));
	CHECK_EQ(getsockname(lfd, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, want_len);
	CHECK(!memcmp(&got, &want, want_len));
	len = sizeof(got);
	CHECK_EQ(getpeername(c, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, want_len);
	CHECK(!memcmp(&got, &want, want_len));
	len = sizeof(got);
	CHECK_EQ(getsockname(a, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, want_len); /* accepted: the listener's name */
	CHECK(!memcmp(&got, &want, want_len));
	len = sizeof(got);
	CHECK_EQ(getpeername(a, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, sizeof(sa_family_t));
	len = sizeof(got);
	CHECK_EQ(getsockname(c, (struct sockaddr *)&got, &len), 0);
	CHECK_EQ(len, sizeof(sa_family_t));
	char buf[8];
	CHECK_EQ(write(c, "hi", 2), 2);
	CHECK_EQ(read(a, buf, sizeof(buf)), 2);
	CHECK_EQ(write(a, "yo!", 3), 3);
	CHECK_EQ(read(c, buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "yo!", 3));
	close(c);
	close(a);
	close(lfd);
	/* the name is free again once its socket is closed */
	lfd = listener("named", 4);
	CHECK(lfd >= 0);
	close(lfd);
}

static void connect_errors(void)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "errors");
	int lfd = listener("errors", 4);
	CHECK(lfd >= 0);
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(other >= 0);
	CHECK_ERR(bind(other, (struct sockaddr *)&a, len), EADDRINUSE);
	CHECK_ERR(connect_to(getpid(), "nobody", 0), ECONNREFUSED);
	/* a name bound but not listening refuses too */
	struct sockaddr_un b;
	socklen_t blen = abstract_addr(&b, "bound-only");
	CHECK_EQ(bind(other, (struct sockaddr *)&b, blen), 0);
	CHECK_ERR(connect_to(getpid(), "bound-only", 0), ECONNREFUSED);
	CHECK_ERR(bind(other, (struct sockaddr *)&a, len), EINVAL);
	/* unconnected */
	char c = 0;
	CHECK_ERR(send(other, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	CHECK_ERR(getpeername(other, (struct sockaddr *)&b, &blen), ENOTCONN);
	CHECK_ERR(recv(other, &c, 1, MSG_DONTWAIT), EINVAL);
	CHECK_ERR(accept(other, NULL, NULL), EINVAL);
	/* connected */
	int s = connect_to(getpid(), "errors", 0);
	CHECK(s >= 0);
	CHECK_ERR(connect(s, (struct sockaddr *)&a, len), EISCONN);
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&a, len), EISCONN);
	CHECK_ERR(listen(s, 1), EINVAL);
	/* Abstract names are looked up per socket type: a datagram or
	 * seqpacket socket finds no stream listener (ECONNREFUSED, where a
	 * filesystem name would give EPROTOTYPE). */
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(d >= 0);
	CHECK_ERR(connect(d, (struct sockaddr *)&a, len), ECONNREFUSED);
	close(d);
	d = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK(d >= 0);
	CHECK_ERR(connect(d, (struct sockaddr *)&a, len), ECONNREFUSED);
	close(d);
	/* Linux takes SOCK_RAW for AF_UNIX as SOCK_DGRAM */
	d = socket(AF_UNIX, SOCK_RAW, 0);
	CHECK(d >= 0);
	CHECK_EQ(int_opt(d, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	close(d);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, 99, 0), EINVAL); /* not a type at all */
	close(s);
	close(other);
	close(lfd);
}

/*
 * AF_UNIX stream connect queues on the listener until its queue holds
 * more than the backlog: with listen(fd, 1), two connects complete at
 * once (connect returns 0 before any accept) and a third, non-blocking,
 * fails with EAGAIN (not EINPROGRESS as TCP would). Accepting one makes
 * room for one more.
 */
static void backlog_full(void)
{
	int lfd = listener("backlog", 1);
	CHECK(lfd >= 0);
	CHECK_EQ(fcntl(lfd, F_SETFL, O_NONBLOCK), 0); /* accept never waits */
	int c[4];
	c[0] = connect_to(getpid(), "backlog", SOCK_NONBLOCK);
	c[1] = connect_to(getpid(), "backlog", SOCK_NONBLOCK);
	c[2] = connect_to(getpid(), "backlog", SOCK_NONBLOCK);
	int err2 = errno;
	int a[4];
	a[0] = accept(lfd, NULL, NULL); /* room for one more */
	c[3] = connect_to(getpid(), "backlog", SOCK_NONBLOCK);
	a[1] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	a[2] = accept(lfd, NULL, NULL);
	a[3] = accept(lfd, NULL, NULL);
	int err_a3 = errno;
	int a1_flags = fcntl(a[1], F_GETFL), a2_flags = fcntl(a[2], F_GETFL);
	for (int i = 0; i < 4; i++) {
		close(c[i]);
		close(a[i]);
	}
	close(lfd);
	CHECK(c[0] >= 0 && c[1] >= 0);
	errno = err2;
	CHECK_ERR(c[2], EAGAIN);
	CHECK(a[0] >= 0);
	CHECK(c[3] >= 0);
	CHECK(a[1] >= 0 && a[2] >= 0);
	/* accept4's flag, not the listener's O_NONBLOCK, sets the new one */
	CHECK(a1_flags >= 0 && (a1_flags & O_NONBLOCK));
	CHECK(a2_flags >= 0 && !(a2_flags & O_NONBLOCK));
	errno = err_a3;
	CHECK_ERR(a[3], EAGAIN);
}

/* ---- SCM_RIGHTS ----------------------------------------------------- */

static int pipe_w; /* the pipe's write end, as the parent numbers it */

static void rights_child(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	int fd = ut_recv_fd(sv[1]);
	if (fd < 0)
		return;
	CHECK(fd != pipe_w && fd != sv[1]);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	struct stat a, b;
	CHECK_EQ(fstat(fd, &a), 0);
	CHECK_EQ(fstat(pipe_w, &b), 0); /* the copy fork gave us */
	CHECK(S_ISFIFO(a.st_mode));
	CHECK_EQ(a.st_ino, b.st_ino);
	close(pipe_w);
	CHECK_EQ(write(fd, "through", 7), 7);
}

/* A socket passed through its own connection, or two passed through
 * each other, and then closed: the queued references are dropped with the
 * queues and closing must not wait for itself (the child would hang, and
 * the alarm would kill it). */
static void pass_self_child(void)
{
	int p[2];
	alarm(10);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
	CHECK_EQ(ut_send_fd(p[0], p[0]), 1); /* p[0] in p[1]'s queue */
	CHECK_EQ(close(p[0]), 0);
	CHECK_EQ(close(p[1]), 0); /* drops the last reference to p[0] */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, p), 0);
	CHECK_EQ(ut_send_fd(p[0], p[1]), 1);
	CHECK_EQ(ut_send_fd(p[1], p[0]), 1); /* a cycle */
	CHECK_EQ(close(p[0]), 0);
	CHECK_EQ(close(p[1]), 0);
}

static void pass_self_close(void)
{
	pid_t pid = ut_spawn(pass_self_child);
	CHECK(pid > 0 && ut_join(pid));
}

/* A chain of n socket pairs, each pair's reading end queued (SCM_RIGHTS)
 * in the next pair's, only the last held by a descriptor: closing it
 * releases n sockets, one holding the next. The kernel once did that by
 * recursion and overflowed its stack at about 150. When loop_to >= 0,
 * the first pair's reading end also gets the last one, which makes the
 * chain a cycle that only the collector can free, and the descriptor
 * loop_to (queued first) is closed with it. */
static void chain_child(int n, int loop_to)
{
	int first_w = -1, prev = -1, p[2];
	alarm(60);
	for (int i = 0; i < n; i++) {
		if (!EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0))
			return;
		if (i == 0 && loop_to >= 0)
			CHECK_EQ(ut_send_fd(p[0], loop_to), 1);
		if (prev >= 0) {
			CHECK_EQ(ut_send_fd(p[0], prev), 1);
			close(prev);
		}
		if (i == 0 && loop_to >= 0)
			first_w = p[0];
		else
			close(p[0]);
		prev = p[1];
	}
	if (first_w >= 0) { /* the cycle's last edge */
		CHECK_EQ(ut_send_fd(first_w, prev), 1);
		close(first_w);
		close(loop_to);
	}
	CHECK_EQ(close(prev), 0);
}

static void chain_150_child(void)
{
	chain_child(150, -1);
}

static void chain_10000_child(void)
{
	chain_child(10000, -1);
}

static void sock_chain(void)
{
	CHECK(ut_join(ut_spawn(chain_150_child)));
	CHECK(ut_join(ut_spawn(chain_10000_child)));
	/* and the system still answers */
	int p[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
	CHECK_EQ(write(p[0], "x", 1), 1);
	close(p[0]);
	close(p[1]);
}

static void cycle_child(void)
{
	chain_child(10000, sv[0]);
}

/* A cycle of 10,000 sockets, unreachable once closed: the collector frees
 * it (in time linear in its size), and with it sv[0], whose peer then
 * reads EOF. */
static void sock_cycle(void)
{
	char c;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK(ut_join(ut_spawn(cycle_child)));
	close(sv[0]);
	alarm(60);
	CHECK_EQ(read(sv[1], &c, 1), 0);
	alarm(0);
	close(sv[1]);
}

static void scm_rights(void)
{
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pipe_w = p[1];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = ut_spawn(rights_child);
	close(sv[1]);
	int sent = ut_send_fd(sv[0], p[1]);
	close(p[1]); /* in flight, the descriptor keeps the pipe open */
	char buf[16];
	ssize_t n = read(p[0], buf, sizeof(buf));
	int ok = ut_join(pid);
	ssize_t eof = read(p[0], buf + 8, 8);
	close(p[0]);
	close(sv[0]);
	CHECK(sent);
	CHECK(ok);
	CHECK_EQ(n, 7);
	CHECK(!memcmp(buf, "through", 7));
	CHECK_EQ(eof, 0); /* every write end is gone */
}

/* A message refused whole (too big for a datagram, an address on a
 * connected stream, a bad buffer) takes none of its descriptors along:
 * the pipe's write end, closed here, is gone (EOF), not kept alive by a
 * reference the refused send forgot to drop. */
static void rights_refused(void)
{
	int p[2], d[2], small = 4608;
	static char big[16384];
	char c;
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "refused");
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, d), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(setsockopt(d[0], SOL_SOCKET, SO_SNDBUF, &small, 4), 0);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec v = {big, sizeof(big)};
	struct msghdr m = {.msg_iov = &v,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = sizeof(u.buf)};
	u.h.cmsg_level = SOL_SOCKET;
	u.h.cmsg_type = SCM_RIGHTS;
	u.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&u.h), &p[1], sizeof(int));
	CHECK_ERR(sendmsg(d[0], &m, 0), EMSGSIZE);
	m.msg_name = &a, m.msg_namelen = len, v.iov_len = 1;
	CHECK_ERR(sendmsg(sv[0], &m, MSG_NOSIGNAL), EISCONN);
	m.msg_name = NULL, v.iov_base = NULL;
	CHECK_ERR(sendmsg(sv[0], &m, MSG_NOSIGNAL), EFAULT);
	close(p[1]);
	CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(read(p[0], &c, 1), 0); /* EAGAIN if a reference leaked */
	close(p[0]);
	close(d[0]);
	close(d[1]);
	close_sv();
}

/* ---- socket options ------------------------------------------------- */

static void peercred_child(void)
{
	alarm(CHILD_ALARM_S);
	int s = connect_to(getppid(), "cred", 0);
	CHECK(s >= 0);
	struct ucred cr;
	socklen_t len = sizeof(cr);
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	CHECK_EQ(len, sizeof(cr));
	CHECK_EQ(cr.pid, getppid()); /* the listener's, at listen() */
	char c;
	CHECK_EQ(read(s, &c, 1), 0); /* until the parent is done */
	close(s);
}

static void peercred(void)
{
	int lfd = listener("cred", 1);
	CHECK(lfd >= 0);
	pid_t pid = ut_spawn(peercred_child);
	int a = accept(lfd, NULL, NULL);
	struct ucred cr = {0, 0, 0};
	socklen_t len = sizeof(cr);
	int r = getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	close(a);
	close(lfd);
	int ok = ut_join(pid);
	CHECK_EQ(r, 0);
	CHECK_EQ(len, sizeof(cr));
	CHECK_EQ(cr.pid, pid);
	CHECK_EQ(cr.uid, getuid());
	CHECK_EQ(cr.gid, getgid());
	CHECK(ok);
	/* a socketpair's peer is the process that made it */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	len = sizeof(cr);
	CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	CHECK_EQ(cr.pid, getpid());
	/* kept once the peer is gone, as Linux keeps them */
	close(sv[0]);
	memset(&cr, 0, sizeof(cr));
	CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &len), 0);
	CHECK_EQ(cr.pid, getpid());
	CHECK_EQ(cr.uid, getuid());
	CHECK_EQ(cr.gid, getgid());
	sv[0] = -1;
	close_sv();
}

static void sockopts(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_ERROR), 0);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_DOMAIN), AF_UNIX);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_ACCEPTCONN), 0);
	int snd = int_opt(sv[0], SOL_SOCKET, SO_SNDBUF);
	int rcv = int_opt(sv[0], SOL_SOCKET, SO_RCVBUF);
	CHECK(snd >= 4096);
	CHECK(rcv >= 4096);
	/* Linux doubles what is set, for its bookkeeping */
	int v = 32768;
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_SNDBUF), 2 * v);
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_RCVBUF), 2 * v);
	/* and keeps a floor */
	v = 1;
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)), 0);
	CHECK(int_opt(sv[0], SOL_SOCKET, SO_SNDBUF) >= 2048);
	char small = 0;
	socklen_t len = sizeof(small);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, 1), EINVAL);
	CHECK_ERR(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
	int lfd = listener("opts", 1);
	CHECK(lfd >= 0);
	CHECK_EQ(int_opt(lfd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	close(lfd);
	close_sv();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(int_opt(sv[0], SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	close_sv();
}

/* ---- MSG_* flags ---------------------------------------------------- */

static void dontwait_peek(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char buf[16];
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(sv[0], "peek", 4, 0), 4);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_PEEK), 4);
	CHECK(!memcmp(buf, "peek", 4));
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK), 2);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 4);
	CHECK(!memcmp(buf, "peek", 4));
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close_sv();
}

/* A zero-length read that finds data returns 0, and a peek with
 * MSG_WAITALL returns (Linux waits for the rest, which the child sends;
 * lux returns what is queued): both looped in the kernel for ever, deaf to
 * SIGKILL (found by the fuzzer). */
static void peek_rest_child(void)
{
	close(sv[1]);
	ut_sleep_ms(100);
	CHECK_EQ(write(sv[0], "123456789", 9), 9);
}

static void zero_len_peek(void)
{
	char buf[16];
	struct iovec iov = {buf, 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_EQ(recv(sv[1], buf, 0, 0), 0);
	CHECK_EQ(recvmsg(sv[1], &mh, MSG_PEEK | MSG_TRUNC), 0);
	pid_t pid = fork();
	if (pid == 0) {
		peek_rest_child();
		_exit(ut_failed() ? 1 : 0);
	}
	CHECK(pid > 0);
	long n = recv(sv[1], buf, 10, MSG_PEEK | MSG_WAITALL);
	CHECK(n >= 1 && n <= 10 && buf[0] == 'x');
	CHECK_EQ(ut_wait(pid), 0);
	close_sv();
}

/* Writes 100 bytes in four pieces, 20 ms apart. */
static void trickle_child(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	char piece[25];
	for (int i = 0; i < 4; i++) {
		memset(piece, 'a' + i, sizeof(piece));
		ut_sleep_ms(20);
		CHECK_EQ(write(sv[1], piece, sizeof(piece)), sizeof(piece));
	}
	char c;
	CHECK_EQ(read(sv[1], &c, 1), 0);
}

static void waitall(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = ut_spawn(trickle_child);
	close(sv[1]);
	char buf[100];
	ssize_t n = recv(sv[0], buf, sizeof(buf), MSG_WAITALL);
	close(sv[0]);
	int ok = ut_join(pid);
	CHECK_EQ(n, 100);
	CHECK(buf[0] == 'a' && buf[99] == 'd');
	CHECK(ok);
}

static volatile int pipe_hits;

static void on_sigpipe(int sig)
{
	(void)sig;
	pipe_hits++;
}

/* In a child: MSG_NOSIGNAL gives EPIPE alone; a plain send then kills us
 * with the default SIGPIPE. */
static void sigpipe_child(void)
{
	close(sv[1]);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	signal(SIGPIPE, on_sigpipe);
	CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
	CHECK_EQ(pipe_hits, 1);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(pipe_hits, 1);
	signal(SIGPIPE, SIG_DFL);
	send(sv[0], "x", 1, 0);
	ut_fail("still alive after send to a closed peer without "
		"MSG_NOSIGNAL");
}

static void nosignal(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		sigpipe_child();
		_exit(1);
	}
	close(sv[0]);
	CHECK(pid > 0);
	status = ut_wait(pid);
	char how[32];
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGPIPE)
		ut_fail("child ended with %s, expected signal %d",
			ut_status(status, how, sizeof(how)), SIGPIPE);
}

/* poll's POLLOUT on a stream means a PIPE_BUF (4096-byte) non-blocking
 * write goes in now, as for a pipe: with the peer's queue filled to just
 * under its buffer, poll said writable while the send got EAGAIN (an
 * event loop spun). The queue is filled a step at a time, so poll must
 * also say writable while there is room (the case cannot pass by never
 * seeing POLLOUT). */
static void pollout_means_room(void)
{
	static char big[8192];
	int small = 4096; /* 8192 as Linux doubles it */
	int writable = 0;
	for (size_t k = 64; k <= 8192 && !ut_failed(); k += 64) {
		CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, 4),
			 0);
		CHECK_EQ(send(sv[0], big, k, MSG_DONTWAIT), (long)k);
		struct pollfd p = {sv[0], POLLOUT, 0};
		CHECK(poll(&p, 1, 0) >= 0);
		if (p.revents & POLLOUT) {
			writable++;
			CHECK_EQ(send(sv[0], big, 4096, MSG_DONTWAIT), 4096L);
		}
		close_sv();
	}
	CHECK(writable > 0);
}

/* ---- EOF and shutdown ----------------------------------------------- */

static void eof_and_shutdown(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char buf[8];
	CHECK_EQ(write(sv[0], "last", 4), 4);
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
	struct pollfd p = {sv[1], POLLIN | POLLOUT | POLLRDHUP, 0};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 4); /* data before EOF */
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	/* the other direction still works */
	CHECK_EQ(write(sv[1], "back", 4), 4);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 4);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERR(shutdown(sv[0], 7), EINVAL);
	/* shut both ways on one side: the other sees POLLHUP */
	CHECK_EQ(shutdown(sv[1], SHUT_WR), 0);
	p = (struct pollfd){sv[1], POLLIN | POLLOUT, 0};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents & POLLHUP, POLLHUP);
	close_sv();
	/* after close, recv returns 0 */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(close(sv[0]), 0);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	close(sv[1]);
}

/* ---- a peer closing while we wait ----------------------------------- */

/* In a child: block in recv until the parent closes its end. */
static void recv_waiter(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	char c;
	CHECK_EQ(recv(sv[1], &c, 1, 0), 0);
}

/*
 * In a child: fill the buffer, then block in send until the parent closes
 * its end. A full send buffer means unread data at the peer, and closing
 * a stream socket with unread data resets the connection: the waiting
 * send fails with ECONNRESET; the next one with EPIPE.
 */
static void send_waiter(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	CHECK(fill_socket(sv[1]) > 0);
	static char block[4096];
	CHECK_ERR(send(sv[1], block, sizeof(block), MSG_NOSIGNAL), ECONNRESET);
	CHECK_ERR(send(sv[1], block, sizeof(block), MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(int_opt(sv[1], SOL_SOCKET, SO_ERROR), 0);
}

/* In a child: poll until the parent closes its end. */
static void poll_waiter(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	struct pollfd p = {sv[1], POLLIN, 0};
	CHECK_EQ(poll(&p, 1, LONG_WAIT_MS), 1);
	CHECK_EQ(p.revents, POLLIN | POLLHUP);
}

/* Start waiter with a fresh socketpair, give it 50 ms to block, check it
 * is still blocked, then close our end and join it. */
static void close_under(void (*waiter)(void))
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid_t pid = ut_spawn(waiter);
	close(sv[1]);
	ut_sleep_ms(50);
	int status;
	pid_t early = waitpid(pid, &status, WNOHANG);
	close(sv[0]);
	if (early != 0) {
		ut_fail("the child did not block (waitpid gave %d)", early);
		return;
	}
	ut_join(pid);
}

static void close_in_recv(void)
{
	close_under(recv_waiter);
}

static void close_in_send(void)
{
	close_under(send_waiter);
}

static void close_in_poll(void)
{
	close_under(poll_waiter);
}

/* ---- room for a poller ---------------------------------------------- */

/* In a child: poll for room on sv[0], whose peer's queue is over its
 * receive buffer, until the parent reads it empty. */
static void room_waiter(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[1]);
	struct pollfd p = {sv[0], POLLOUT, 0};
	CHECK_EQ(poll(&p, 1, -1), 1); /* a timeout would re-scan and pass */
	CHECK_EQ(p.revents, POLLOUT);
}

/* A read that makes room wakes a poll for POLLOUT on the other end (it
 * slept until the peer wrote back or closed). On Linux the poll may not
 * sleep at all (room is counted at the sender); the case holds there
 * too. */
static void read_wakes_poll(void)
{
	static char big[16384];
	int small = 4096;
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, 4), 0);
	CHECK_EQ(write(sv[0], big, sizeof(big)), (long)sizeof(big));
	pid_t pid = ut_spawn(room_waiter);
	close(sv[0]);
	ut_sleep_ms(50); /* let it block: the failure shows only then */
	read_all(sv[1], big, sizeof(big));
	ut_join(pid);
	close(sv[1]);
}

/*
 * accept: closing the listener from another thread is not defined to wake
 * accept (Linux keeps waiting, the file being in use). What is defined:
 * shutdown() of the listening socket, here from another process sharing
 * it, wakes accept with EINVAL; and a handled signal ends accept with
 * EINTR.
 */
static void close_in_accept(void)
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	int lfd = listener("accept-wait", 1);
	CHECK(lfd >= 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* accept in the parent; shut the shared listener down */
		alarm(CHILD_ALARM_S);
		ut_sleep_ms(50);
		_exit(shutdown(lfd, SHUT_RDWR) == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	int a = accept(lfd, NULL, NULL);
	int err = errno;
	int status = ut_wait(pid);
	close(lfd);
	close_sv();
	CHECK_EQ(status, 0);
	errno = err;
	CHECK_ERR(a, EINVAL);
}

static volatile int usr1_hits;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_hits++;
}

static void accept_eintr(void)
{
	int lfd = listener("accept-intr", 1);
	CHECK(lfd >= 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	usr1_hits = 0;
	pid_t target = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 500; i++) {
			kill(target, SIGUSR1);
			ut_sleep_ms(10);
		}
		_exit(0);
	}
	int a = accept(lfd, NULL, NULL);
	int err = errno;
	ut_kill(pid);
	signal(SIGUSR1, SIG_DFL);
	close(lfd);
	errno = err;
	CHECK_ERR(a, EINTR);
	CHECK(usr1_hits >= 1);
}

/* ---- eight pairs at once -------------------------------------------- */

#define PAIRS 8
#define SEQS  20000

static int hammer_index;

/* Send SEQS sequence numbers tagged with the pair's index, in batches of
 * varying size, then close. */
static void hammer_writer(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[0]);
	static uint32_t batch[257];
	for (uint32_t seq = 0, k = 0; seq < SEQS; k++) {
		uint32_t n = 1 + (k * 37 + hammer_index) % 257;
		if (n > SEQS - seq)
			n = SEQS - seq;
		for (uint32_t i = 0; i < n; i++)
			batch[i] = (uint32_t)hammer_index << 24 | (seq + i);
		if (!write_all(sv[1], batch, n * sizeof(uint32_t)))
			return;
		seq += n;
	}
}

/* Read with odd sizes and check every number arrives once, in order,
 * then EOF. */
static void hammer_reader(void)
{
	alarm(CHILD_ALARM_S);
	close(sv[1]);
	static unsigned char buf[4096 + 3];
	uint32_t next = 0, word = 0;
	int have = 0;
	for (int k = 0;; k++) {
		size_t want = 1 + (k * 101 + hammer_index) % sizeof(buf);
		ssize_t n = read(sv[0], buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++) {
			word |= (uint32_t)buf[i] << (8 * have);
			if (++have < 4)
				continue;
			CHECK_EQ(word, (uint32_t)hammer_index << 24 | next);
			next++;
			word = 0;
			have = 0;
		}
	}
	CHECK_EQ(have, 0);
	CHECK_EQ(next, SEQS);
}

static void parallel_pairs(void)
{
	pid_t pids[2 * PAIRS];
	int started = 0;
	for (int i = 0; i < PAIRS; i++) {
		if (!EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0))
			break;
		hammer_index = i;
		pids[started++] = ut_spawn(hammer_writer);
		pids[started++] = ut_spawn(hammer_reader);
		close_sv();
	}
	for (int i = 0; i < started; i++)
		ut_join(pids[i]);
}

static const struct ut_case cases[] = {
    UT_CASE(stream_pingpong),
    UT_CASE(stream_bytes),
    UT_CASE(stream_64mib),
    UT_CASE(dgram_boundaries),
    UT_CASE(seqpacket_boundaries),
    UT_CASE(abstract_connect),
    UT_CASE(connect_errors),
    UT_CASE(backlog_full),
    UT_CASE(scm_rights),
    UT_CASE(pass_self_close),
    UT_CASE(sock_chain),
    UT_CASE(sock_cycle),
    UT_CASE(peercred),
    UT_CASE(sockopts),
    UT_CASE(dontwait_peek),
    UT_CASE(zero_len_peek),
    UT_CASE(waitall),
    UT_CASE(nosignal),
    UT_CASE(pollout_means_room),
    UT_CASE(eof_and_shutdown),
    UT_CASE(close_in_recv),
    UT_CASE(close_in_send),
    UT_CASE(close_in_accept),
    UT_CASE(accept_eintr),
    UT_CASE(close_in_poll),
    UT_CASE(read_wakes_poll),
    UT_CASE(parallel_pairs),
    UT_CASE(rights_refused),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "sock", cases, UT_COUNT(cases));
}
