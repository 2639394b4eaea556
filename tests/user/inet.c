/*
 * inet: Internet sockets (AF_INET, TCP and UDP), on lux served by the
 * TCP/IP server (user/net/, docs/decisions/0029-inet-sockets.md). Plain
 * Linux code: with no argument it runs the loopback cases (127.0.0.1),
 * on Linux (`make utest-host`) as on lux: tcp_echo, tcp_bulk,
 * tcp_refused, tcp_nonblock, tcp_names, addr_inuse, peek_dontwait,
 * tcp_shutdown, udp_echo, fork_share, not_socket, big_send (1 MiB in one
 * send, sendmsg, recv MSG_WAITALL), timeouts (SO_RCVTIMEO, SO_SNDTIMEO),
 * sigpipe, connect_error (SO_ERROR after a failed non-blocking connect),
 * many (50 connections at once), send_signal (a signal ends a blocking
 * send with the count of what went).
 *
 * The cases with a peer on the host run by name, or all cases with the
 * argument `all`, from tests/net.py, whose QEMU `guestfwd` runs
 * tests/netpeer.py on the host for each connection to 10.0.2.100:
 * host_echo (port 7, an echo), host_bulk (port 9: 16 MiB checked by its
 * CRC-32), wget (port 80: `busybox wget -O-` of a page); server_kill
 * (lux only, last: kill -9 of the TCP/IP server under open sockets).
 */
#include "utest.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST     "10.0.2.100" /* tests/net.py's guestfwd address */
#define ROUNDS   64
#define BULK     (1 << 20)
#define HOST_BIG (16 << 20)
#define WAIT_MS  60000 /* TCG on a loaded machine */
#define MANY     50    /* connections open at once */

static struct sockaddr_in addr(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* A TCP socket listening on 127.0.0.1, its port into *port. */
static int listener(int *port)
{
	struct sockaddr_in a = addr("127.0.0.1", 0);
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 4) || getsockname(fd, (struct sockaddr *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_to(const char *ip, int port)
{
	struct sockaddr_in a = addr(ip, port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Read exactly len bytes: 1, or 0 with the case failed. */
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

/* Wait for child pid: whether it exited 0. */
static int child_ok(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The echo client of tcp_echo: ROUNDS exchanges of 1 KiB. */
static int echo_client(const char *ip, int port)
{
	char out[1024], in[1024];
	int fd = connect_to(ip, port);

	if (fd < 0)
		return ut_fail("connect: %s", ut_errno_name(errno)), 1;
	for (int i = 0; i < ROUNDS; i++) {
		for (size_t k = 0; k < sizeof(out); k++)
			out[k] = (char)(i * 31 + k);
		if (!write_all(fd, out, sizeof(out)) ||
		    !read_all(fd, in, sizeof(in)))
			return 1;
		if (memcmp(in, out, sizeof(in)))
			return ut_fail("round %d: echo differs", i), 1;
	}
	close(fd);
	return 0;
}

static void tcp_echo(void)
{
	int port, lfd = listener(&port), c;
	char buf[4096];
	ssize_t n;

	CHECK(lfd >= 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(echo_client("127.0.0.1", port));
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		CHECK(write_all(c, buf, n));
	CHECK_EQ(n, 0);
	CHECK(child_ok(pid));
	close(c);
	close(lfd);
}

static uint32_t crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320 & -(crc & 1));
	}
	return ~crc;
}

/* 1 MiB one way; the receiver checks its CRC. */
static void tcp_bulk(void)
{
	static unsigned char buf[BULK];
	int port, lfd = listener(&port), c;
	uint32_t want;

	CHECK(lfd >= 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + i / 4096);
	want = crc32(0, buf, sizeof(buf));
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int fd = connect_to("127.0.0.1", port);
		_exit(fd < 0 || !write_all(fd, buf, sizeof(buf)));
	}
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	memset(buf, 0, sizeof(buf));
	CHECK(read_all(c, buf, sizeof(buf)));
	CHECK_EQ(read(c, buf, 1), 0);
	CHECK_EQ(crc32(0, buf, sizeof(buf)), want);
	CHECK(child_ok(pid));
	close(c);
	close(lfd);
}

static void tcp_refused(void)
{
	int port, lfd = listener(&port);

	CHECK(lfd >= 0);
	close(lfd); /* nobody listens there now */
	CHECK_ERR(connect_to("127.0.0.1", port), ECONNREFUSED);
}

/* Non-blocking connect: EINPROGRESS, then POLLOUT and SO_ERROR 0; to a
 * closed port, SO_ERROR ECONNREFUSED. */
static void tcp_nonblock(void)
{
	int port, lfd = listener(&port), err = -1;
	struct sockaddr_in a = addr("127.0.0.1", port);
	socklen_t len = sizeof(err);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	CHECK(lfd >= 0 && fd >= 0);
	int r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	CHECK(r == 0 || errno == EINPROGRESS);
	struct pollfd p = {fd, POLLOUT, 0};
	CHECK_EQ(poll(&p, 1, WAIT_MS), 1);
	CHECK(p.revents & POLLOUT);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, 0);
	int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	CHECK(c >= 0);
	char ch;
	CHECK_ERR(read(c, &ch, 1), EAGAIN);
	close(c);
	close(fd);
	close(lfd);
	/* refused */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	CHECK(r < 0);
	if (errno == EINPROGRESS) {
		p = (struct pollfd){fd, POLLOUT, 0};
		CHECK_EQ(poll(&p, 1, WAIT_MS), 1);
		CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
		CHECK_EQ(err, ECONNREFUSED);
	} else
		CHECK_EQ(errno, ECONNREFUSED);
	close(fd);
}

/* getsockname and getpeername on both ends; accept's address. */
static void tcp_names(void)
{
	int port, lfd = listener(&port), fd, c;
	struct sockaddr_in a, b, p;
	socklen_t la = sizeof(a), lb = sizeof(b), lp = sizeof(p);

	CHECK(lfd >= 0);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	CHECK((c = accept(lfd, (struct sockaddr *)&p, &lp)) >= 0);
	CHECK_EQ(lp, sizeof(p));
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &la), 0);
	CHECK_EQ(getpeername(c, (struct sockaddr *)&b, &lb), 0);
	CHECK_EQ(a.sin_family, AF_INET);
	CHECK_EQ(a.sin_port, b.sin_port);
	CHECK_EQ(a.sin_port, p.sin_port);
	CHECK_EQ(ntohl(b.sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK_EQ(getpeername(fd, (struct sockaddr *)&a, &la), 0);
	CHECK_EQ(ntohs(a.sin_port), port);
	CHECK_ERR(getpeername(lfd, (struct sockaddr *)&a, &la), ENOTCONN);
	int v = 1, t = 0;
	socklen_t lt = sizeof(t);
	CHECK_EQ(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &t, &lt), 0);
	CHECK_EQ(t, SOCK_STREAM);
	CHECK_EQ(getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &t, &lt), 0);
	CHECK_EQ(t, 1);
	close(c);
	close(fd);
	close(lfd);
}

static void addr_inuse(void)
{
	int port, lfd = listener(&port);
	struct sockaddr_in a = addr("127.0.0.1", port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	CHECK(lfd >= 0 && fd >= 0);
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, 8), EINVAL);
	a.sin_family = AF_UNIX;
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof(a)), EAFNOSUPPORT);
	close(fd);
	close(lfd);
}

/* MSG_DONTWAIT with nothing there, then MSG_PEEK leaves the data. */
static void peek_dontwait(void)
{
	int port, lfd = listener(&port), fd, c;
	char buf[8];

	CHECK(lfd >= 0);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	CHECK_ERR(recv(c, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(fd, "abcd", 4, MSG_NOSIGNAL), 4);
	struct pollfd p = {c, POLLIN, 0};
	CHECK_EQ(poll(&p, 1, WAIT_MS), 1);
	CHECK_EQ(recv(c, buf, 2, MSG_PEEK), 2);
	CHECK(!memcmp(buf, "ab", 2));
	CHECK_EQ(recv(c, buf, 4, MSG_WAITALL), 4);
	CHECK(!memcmp(buf, "abcd", 4));
	close(c);
	close(fd);
	close(lfd);
}

/* shutdown(SHUT_WR): the peer reads the end; the other way still works. */
static void tcp_shutdown(void)
{
	int port, lfd = listener(&port), fd, c;
	char buf[8];

	CHECK(lfd >= 0);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_EQ(shutdown(fd, SHUT_WR), 0);
	CHECK(read_all(c, buf, 1));
	CHECK_EQ(read(c, buf, 1), 0);
	CHECK_EQ(write(c, "yz", 2), 2);
	CHECK(read_all(fd, buf, 2));
	CHECK(!memcmp(buf, "yz", 2));
	CHECK_ERR(shutdown(fd, 7), EINVAL);
	close(c);
	close(fd);
	close(lfd);
}

/* UDP: sendto and recvfrom with addresses, connect and send. */
static void udp_echo(void)
{
	struct sockaddr_in a = addr("127.0.0.1", 0), b, from;
	socklen_t la = sizeof(a), lf = sizeof(from);
	int s = socket(AF_INET, SOCK_DGRAM, 0),
	    t = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[64];

	CHECK(s >= 0 && t >= 0);
	CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &la), 0);
	CHECK(a.sin_port != 0);
	CHECK_EQ(sendto(t, "ping", 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
	CHECK_EQ(
	    recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &lf), 4);
	CHECK(!memcmp(buf, "ping", 4));
	CHECK_EQ(lf, sizeof(from));
	CHECK_EQ(sendto(s, "pong!", 5, 0, (struct sockaddr *)&from, lf), 5);
	CHECK_EQ(recv(t, buf, sizeof(buf), 0), 5);
	CHECK(!memcmp(buf, "pong!", 5));
	CHECK_EQ(connect(t, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(send(t, "two", 3, 0), 3);
	CHECK_EQ(write(t, "three", 5), 5);
	CHECK_EQ(read(s, buf, sizeof(buf)), 3);
	CHECK_EQ(read(s, buf, 2), 2); /* a datagram cut to the read */
	CHECK(!memcmp(buf, "th", 2));
	CHECK_ERR(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	b = addr("127.0.0.1", 0);
	CHECK_EQ(getpeername(t, (struct sockaddr *)&b, &la), 0);
	CHECK_EQ(b.sin_port, a.sin_port);
	close(s);
	close(t);
}

/* A socket is an ordinary descriptor: a forked child and a dup use it. */
static void fork_share(void)
{
	int port, lfd = listener(&port), fd, c;
	char buf[4];

	CHECK(lfd >= 0);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int c2 = accept(lfd, NULL, NULL);
		_exit(c2 < 0 || write(c2, "kid", 3) != 3);
	}
	CHECK(child_ok(pid));
	CHECK((c = dup(fd)) >= 0);
	close(fd);
	CHECK(read_all(c, buf, 3));
	CHECK(!memcmp(buf, "kid", 3));
	CHECK_EQ(read(c, buf, 1), 0); /* the child's end closed at its exit */
	close(c);
	close(lfd);
}

static void not_socket(void)
{
	int p[2];
	struct sockaddr_in a = addr("127.0.0.1", 1);

	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(connect(p[0], (struct sockaddr *)&a, sizeof(a)), ENOTSOCK);
	CHECK_ERR(listen(p[0], 1), ENOTSOCK);
	CHECK_ERR(shutdown(p[0], SHUT_RD), ENOTSOCK);
	CHECK_ERR(listen(-1, 1), EBADF);
	CHECK_ERR(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK_ERR(connect(fd, (void *)8, sizeof(a)), EFAULT);
	CHECK_ERR(read(fd, p, 1), ENOTCONN);
	close(fd);
	close(p[0]);
	close(p[1]);
}

/* A connected pair on loopback: *a the connecting end, *b the accepted
 * one: whether it worked. */
static int pair(int *a, int *b)
{
	int port, lfd = listener(&port);

	*a = lfd >= 0 ? connect_to("127.0.0.1", port) : -1;
	*b = *a >= 0 ? accept(lfd, NULL, NULL) : -1;
	if (lfd >= 0)
		close(lfd);
	return *b >= 0;
}

/* One blocking send and one sendmsg of 1 MiB each go whole (past the
 * 8 KiB of one request), and recv with MSG_WAITALL takes 1 MiB whole. */
static void big_send(void)
{
	static unsigned char buf[BULK], in[BULK];
	int fd, c;

	CHECK(pair(&fd, &c));
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 11 + i / 8192);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct iovec v[2] = {{buf, BULK / 2},
				     {buf + BULK / 2, BULK / 2}};
		struct msghdr h = {.msg_iov = v, .msg_iovlen = 2};
		_exit(send(fd, buf, BULK, MSG_NOSIGNAL) != BULK ||
		      sendmsg(fd, &h, MSG_NOSIGNAL) != BULK ||
		      send(fd, buf, BULK, 0) != BULK);
	}
	for (int round = 0; round < 3; round++) {
		memset(in, 0, sizeof(in));
		CHECK_EQ(recv(c, in, BULK, MSG_WAITALL), BULK);
		CHECK(!memcmp(in, buf, BULK));
	}
	CHECK(child_ok(pid));
	close(fd);
	CHECK_EQ(recv(c, in, BULK, MSG_WAITALL), 0);
	close(c);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocking send to a peer that does not read, interrupted by a signal
 * without SA_RESTART: it returns the bytes that went, and exactly those
 * arrive (through write's path and through MSG_NOSIGNAL's). */
static void send_signal(void)
{
	static char big[32 << 20]; /* more than Linux's buffers hold */
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	struct itimerval it = {{0, 0}, {0, 300000}};
	int fd, c;

	for (int flags = 0; flags <= MSG_NOSIGNAL; flags += MSG_NOSIGNAL) {
		size_t got = 0;
		ssize_t n, k;
		CHECK(pair(&fd, &c));
		CHECK_EQ(sigaction(SIGALRM, &sa, &old), 0);
		CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
		n = send(fd, big, sizeof(big), flags);
		sigaction(SIGALRM, &old, NULL);
		CHECK(n > 0 && n < (ssize_t)sizeof(big));
		CHECK_EQ(shutdown(fd, SHUT_WR), 0);
		while ((k = read(c, big, 65536)) > 0)
			got += k;
		CHECK_EQ(got, (size_t)n);
		close(fd);
		close(c);
	}
}

static long long ms_since(long long t0)
{
	return (ut_now_ns() - t0) / 1000000;
}

/* SO_RCVTIMEO: recv and accept fail with EAGAIN after the time; the
 * option reads back. SO_SNDTIMEO: a send with no room left fails with
 * EAGAIN after the time (after a short count when part went). */
static void timeouts(void)
{
	struct timeval tv = {0, 300000}, back;
	socklen_t len = sizeof(back);
	int port, lfd = listener(&port), fd, c;
	static char buf[65536];
	long long t0;

	CHECK(lfd >= 0);
	CHECK_EQ(setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	CHECK_EQ(getsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
	CHECK_EQ(len, sizeof(back));
	CHECK_EQ(back.tv_sec, 0);
	CHECK_EQ(back.tv_usec, 300000);
	t0 = ut_now_ns();
	CHECK_ERR(accept(lfd, NULL, NULL), EAGAIN);
	CHECK(ms_since(t0) >= 250);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	CHECK_EQ(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	t0 = ut_now_ns();
	CHECK_ERR(recv(c, buf, 1, 0), EAGAIN);
	CHECK(ms_since(t0) >= 250);
	CHECK_ERR(read(c, buf, 1), EAGAIN);
	tv.tv_usec = 1000000;
	CHECK_ERR(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
		  EDOM);
	CHECK_ERR(setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, 4), EINVAL);
	tv.tv_usec = 200000;
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	ssize_t n = 0;
	for (int i = 0; i < 4096 && (n = send(fd, buf, sizeof(buf), 0)) > 0;
	     i++)
		;
	CHECK_ERR(n, EAGAIN);
	close(c);
	close(fd);
	close(lfd);
}

static volatile sig_atomic_t pipes;

static void on_pipe(int sig)
{
	(void)sig;
	pipes++;
}

/* A write after shutdown(SHUT_WR): EPIPE and SIGPIPE, from write, send
 * and sendto; none with MSG_NOSIGNAL. */
static void sigpipe(void)
{
	struct sigaction sa = {.sa_handler = on_pipe}, old;
	int fd, c;

	CHECK(pair(&fd, &c));
	CHECK_EQ(sigaction(SIGPIPE, &sa, &old), 0);
	CHECK_EQ(shutdown(fd, SHUT_WR), 0);
	pipes = 0;
	EXPECT_ERR(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	EXPECT_EQ(pipes, 0);
	EXPECT_ERR(write(fd, "x", 1), EPIPE);
	EXPECT_EQ(pipes, 1);
	EXPECT_ERR(send(fd, "x", 1, 0), EPIPE);
	EXPECT_EQ(pipes, 2);
	EXPECT_ERR(send(fd, "x", 1, MSG_DONTWAIT), EPIPE);
	EXPECT_EQ(pipes, 3);
	EXPECT_ERR(send(fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL), EPIPE);
	EXPECT_EQ(pipes, 3);
	sigaction(SIGPIPE, &old, NULL);
	close(c);
	close(fd);
}

/* A non-blocking connect that fails: poll reports it, SO_ERROR gives
 * ECONNREFUSED once, then 0. */
static void connect_error(void)
{
	int port, lfd = listener(&port), err = -1;
	struct sockaddr_in a = addr("127.0.0.1", port);
	socklen_t len = sizeof(err);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	CHECK(lfd >= 0 && fd >= 0);
	close(lfd);
	int r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	CHECK(r < 0);
	if (errno == EINPROGRESS) {
		struct pollfd p = {fd, POLLOUT, 0};
		CHECK_EQ(poll(&p, 1, WAIT_MS), 1);
		CHECK(p.revents & (POLLOUT | POLLERR));
		CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
		CHECK_EQ(err, ECONNREFUSED);
	} else
		CHECK_EQ(errno, ECONNREFUSED);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, 0);
	close(fd);
}

/* MANY connections open at once on loopback, each echoing its own
 * line; re-listening raises the backlog, as on Linux. */
static void many(void)
{
	int port, lfd = listener(&port), fd[MANY], c[MANY];
	char want[32], got[32];

	CHECK(lfd >= 0);
	CHECK_EQ(listen(lfd, MANY + 4), 0);
	for (int i = 0; i < MANY; i++) {
		CHECK((fd[i] = connect_to("127.0.0.1", port)) >= 0);
		CHECK((c[i] = accept(lfd, NULL, NULL)) >= 0);
	}
	for (int i = 0; i < MANY; i++) {
		int n = snprintf(want, sizeof(want), "line %d\n", i);
		CHECK(write_all(fd[i], want, n));
	}
	for (int i = 0; i < MANY; i++) {
		int n = snprintf(want, sizeof(want), "line %d\n", i);
		CHECK(read_all(c[i], got, n));
		CHECK(write_all(c[i], got, n));
	}
	for (int i = 0; i < MANY; i++) {
		int n = snprintf(want, sizeof(want), "line %d\n", i);
		CHECK(read_all(fd[i], got, n));
		CHECK(!memcmp(got, want, n));
	}
	for (int i = 0; i < MANY; i++) {
		close(fd[i]);
		close(c[i]);
	}
	close(lfd);
}

/* Open TCP sockets into fds until socket() fails or max are open: how
 * many (errno the failure's). */
static int fill(int *fds, int max)
{
	int n = 0;

	while (n < max && (fds[n] = socket(AF_INET, SOCK_STREAM, 0)) >= 0)
		n++;
	return n;
}

/* The server's limits (lux only): a uid other than root gets 3/4 of the
 * TCP sockets (192 of 256, then ENOBUFS), so root still gets one; root
 * may take the rest (ENFILE when none is left); closing gives them
 * back. */
static void sock_limit(void)
{
	static int fds[512];
	int p[2], q[2], n = 0, e = 0, fd;
	char ch;

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (setuid(1000))
			_exit(2);
		n = fill(fds, 512);
		e = errno;
		if (write(p[1], &n, sizeof(n)) != sizeof(n) ||
		    write(p[1], &e, sizeof(e)) != sizeof(e))
			_exit(3);
		close(q[1]);
		_exit(read(q[0], &ch, 1) != 0); /* hold them until told */
	}
	close(q[0]);
	EXPECT_EQ(read(p[0], &n, sizeof(n)), sizeof(n));
	EXPECT_EQ(read(p[0], &e, sizeof(e)), sizeof(e));
	EXPECT_EQ(e, ENOBUFS);
	EXPECT_EQ(n, 192);
	n = fill(fds, 512);
	e = errno;
	EXPECT(n > 0); /* the share left root some */
	while (n-- > 0)
		close(fds[n]);
	close(q[1]);
	close(p[0]);
	close(p[1]);
	CHECK(child_ok(pid));
	CHECK_EQ(e, ENFILE);
	CHECK((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	close(fd);
}

static int leased(void);

/* MANY connections open at once to the host's echo (port 8: cat). */
static void host_many(void)
{
	int fd[MANY];
	char want[32], got[32];

	CHECK(leased());
	for (int i = 0; i < MANY; i++)
		CHECK((fd[i] = connect_to(HOST, 8)) >= 0);
	for (int i = 0; i < MANY; i++) {
		int n = snprintf(want, sizeof(want), "host %d\n", i);
		CHECK(write_all(fd[i], want, n));
	}
	for (int i = 0; i < MANY; i++) {
		int n = snprintf(want, sizeof(want), "host %d\n", i);
		CHECK(read_all(fd[i], got, n));
		CHECK(!memcmp(got, want, n));
	}
	for (int i = 0; i < MANY; i++)
		close(fd[i]);
}

/* Run busybox with argv (argv[0] the applet) with stdin the text in
 * and stdout a pipe: its pid, *out the pipe's reading end. */
static pid_t busybox(char *const argv[], const char *in, int *out)
{
	int i[2], o[2];
	pid_t pid;

	if (pipe(i) || pipe(o))
		return -1;
	if ((pid = fork()) == 0) {
		dup2(i[0], 0);
		dup2(o[1], 1);
		close(i[1]);
		close(o[0]);
		execv("/bin/busybox", argv);
		_exit(127);
	}
	close(i[0]);
	close(o[1]);
	if (write(i[1], in, strlen(in)) != (ssize_t)strlen(in))
		pid = -1;
	close(i[1]);
	*out = o[0];
	return pid;
}

/* Everything fd gives until its end (or WAIT_MS of silence), as a
 * string in buf (size bytes). */
static void slurp(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n = 0;
	struct pollfd p = {fd, POLLIN, 0};

	while (got < size - 1 && poll(&p, 1, WAIT_MS) == 1 &&
	       (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
}

/* Ask tests/net.py, on the host, to act for case (a line on the
 * console; the host connects through its hostfwd ports). */
static void host_do(const char *what)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "inet-host: %s\n", what);

	EXPECT(write(1, line, n) == n);
}

/* busybox nc to the host's echo (port 7): what it sends comes back. */
static void nc_out(void)
{
	char *argv[] = {"nc", HOST, "7", NULL}, buf[64];
	int out;
	pid_t pid;

	CHECK(leased());
	CHECK((pid = busybox(argv, "hello nc\n", &out)) > 0);
	slurp(out, buf, sizeof(buf));
	close(out);
	CHECK(child_ok(pid));
	CHECK_EQ(strcmp(buf, "hello nc\n"), 0);
}

/* busybox nc -l in lux, the host connecting through hostfwd (guest port
 * 8082): the host's line comes out, nc's stdin goes to the host (which
 * checks it: tests/net.py). */
static void nc_in(void)
{
	char *argv[] = {"nc", "-l", "-p", "8082", NULL}, buf[64];
	int out;
	pid_t pid;

	CHECK(leased());
	CHECK((pid = busybox(argv, "from lux\n", &out)) > 0);
	host_do("nc_in nc 8082");
	slurp(out, buf, sizeof(buf));
	close(out);
	CHECK(child_ok(pid));
	CHECK_EQ(strcmp(buf, "from host\n"), 0);
}

/* busybox httpd in lux (guest port 8080) fetched by the host through
 * hostfwd; the host sends the page back to this program (guest port
 * 8081) to compare. */
static void httpd(void)
{
	static const char page[] = "hello from lux httpd\n";
	struct sockaddr_in a = addr("0.0.0.0", 8081);
	char *argv[] = {"httpd", "-f", "-p", "8080", "-h", "/tmp/www", NULL};
	char buf[256];
	int fd, lfd = socket(AF_INET, SOCK_STREAM, 0), out, one = 1;
	pid_t pid;

	CHECK(leased());
	CHECK(lfd >= 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	CHECK_EQ(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(lfd, 1), 0);
	mkdir("/tmp/www", 0755);
	CHECK((fd = open("/tmp/www/index.html", O_WRONLY | O_CREAT | O_TRUNC,
			 0644)) >= 0);
	CHECK(write_all(fd, page, sizeof(page) - 1));
	close(fd);
	CHECK((pid = busybox(argv, "", &out)) > 0);
	host_do("httpd get 8080 /index.html 8081");
	struct pollfd p = {lfd, POLLIN, 0};
	EXPECT_EQ(poll(&p, 1, WAIT_MS), 1);
	fd = accept(lfd, NULL, NULL);
	EXPECT(fd >= 0);
	if (fd >= 0) {
		slurp(fd, buf, sizeof(buf));
		close(fd);
		EXPECT_EQ(strcmp(buf, page), 0);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(out);
	close(lfd);
}

/* Run busybox applet argv[0] (stdin empty): its output in buf (size
 * bytes), whether it exited 0. */
static int run_out(char *const argv[], char *buf, size_t size)
{
	int out;
	pid_t pid = busybox(argv, "", &out);

	if (pid < 0)
		return 0;
	slurp(out, buf, size);
	close(out);
	return child_ok(pid);
}

/* Whether text has a line containing each of the words (NULL-ended). */
static int has_line(const char *text, const char *const *words)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l += !!l) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		int all = 1;
		for (int i = 0; words[i] && all; i++)
			all = memmem(l, n, words[i], strlen(words[i])) != NULL;
		if (all)
			return 1;
	}
	return 0;
}

/* busybox ifconfig and route show the interfaces (ioctls SIOCGIF* and
 * /proc/net/dev, /proc/net/route, served by the TCP/IP server). */
static void ifconfig(void)
{
	static char buf[4096];
	char *ifc[] = {"ifconfig", NULL}, *rt[] = {"route", "-n", NULL};
	static const char *const eth[] = {"eth0", "HWaddr 52:54:00:12:34:56",
					  NULL},
				 *addr[] = {"inet addr:10.0.2.15",
					    "Bcast:10.0.2.255",
					    "Mask:255.255.255.0", NULL},
				 *up[] = {"UP", "BROADCAST", "RUNNING", NULL},
				 *lo[] = {"inet addr:127.0.0.1",
					  "Mask:255.0.0.0", NULL},
				 *net[] = {"10.0.2.0",      "0.0.0.0",
					   "255.255.255.0", "U",
					   "eth0",          NULL};

	CHECK(leased());
	CHECK(run_out(ifc, buf, sizeof(buf)));
	EXPECT(has_line(buf, eth));
	EXPECT(has_line(buf, addr));
	EXPECT(has_line(buf, up));
	EXPECT(has_line(buf, lo));
	CHECK(run_out(rt, buf, sizeof(buf)));
	EXPECT(has_line(buf, net));
}

/* busybox ip addr, ip link and ip route (NETLINK_ROUTE, served by the
 * TCP/IP server's user/net/netlink.c): the loopback interface, with or
 * without a network device. */
static void ip_lo(void)
{
	static char buf[8192];
	char *addr[] = {"ip", "addr", NULL}, *link[] = {"ip", "link", NULL},
	     *rt[] = {"ip", "route", NULL};
	static const char *const lo[] = {"inet 127.0.0.1/8", "scope host", "lo",
					 NULL},
				 *flags[] = {"lo:", "<LOOPBACK,UP,LOWER_UP>",
					     "mtu 65536", NULL},
				 *ll[] = {"link/loopback", "00:00:00:00:00:00",
					  NULL};

	CHECK(run_out(addr, buf, sizeof(buf)));
	EXPECT(has_line(buf, lo));
	EXPECT(has_line(buf, flags));
	CHECK(run_out(link, buf, sizeof(buf)));
	EXPECT(has_line(buf, flags));
	EXPECT(has_line(buf, ll));
	EXPECT(!strstr(buf, "inet "));
	CHECK(run_out(rt, buf, sizeof(buf)));
}

/* The same with the network device: eth0's address, MAC and routes. */
static void ip_eth(void)
{
	static char buf[8192];
	char *addr[] = {"ip", "addr", NULL}, *link[] = {"ip", "link", NULL},
	     *rt[] = {"ip", "route", NULL};
	static const char *const in[] = {"inet 10.0.2.15/24", "brd 10.0.2.255",
					 "eth0", NULL},
				 *flags[] = {"eth0:", "BROADCAST", "UP",
					     "LOWER_UP", NULL},
				 *mac[] = {"link/ether 52:54:00:12:34:56",
					   "brd ff:ff:ff:ff:ff:ff", NULL},
				 *lo[] = {"inet 127.0.0.1/8", "lo", NULL},
				 *net[] = {"10.0.2.0/24", "dev eth0",
					   "src 10.0.2.15", NULL};

	CHECK(leased());
	CHECK(run_out(addr, buf, sizeof(buf)));
	EXPECT(has_line(buf, in));
	EXPECT(has_line(buf, flags));
	EXPECT(has_line(buf, mac));
	EXPECT(has_line(buf, lo));
	CHECK(run_out(link, buf, sizeof(buf)));
	EXPECT(has_line(buf, flags));
	EXPECT(has_line(buf, mac));
	CHECK(run_out(rt, buf, sizeof(buf)));
	EXPECT(has_line(buf, net));
}

/* Linux's netlink(7) and rtnetlink(7) (musl has no linux/ headers). */
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 1
#define NLM_F_ACK     4
#define NLM_F_DUMP    0x300
#define NLMSG_ERROR   2
#define NLMSG_DONE    3
#define RTM_NEWLINK   16
#define RTM_GETLINK   18
#define IFLA_IFNAME   3

struct sockaddr_nl {
	unsigned short nl_family, nl_pad;
	unsigned nl_pid, nl_groups;
};

struct nlmsghdr {
	unsigned nlmsg_len;
	unsigned short nlmsg_type, nlmsg_flags;
	unsigned nlmsg_seq, nlmsg_pid;
};

struct ifinfomsg {
	unsigned char ifi_family, pad;
	unsigned short ifi_type;
	int ifi_index;
	unsigned ifi_flags, ifi_change;
};

/* Read the answers to request seq on netlink socket fd until NLMSG_DONE
 * or an NLMSG_ERROR: whether an RTM_NEWLINK named "lo" came (*err: the
 * NLMSG_ERROR's error, 1 for none). */
static int nl_answers(int fd, unsigned seq, int *err)
{
	static char buf[16384];
	struct sockaddr_nl from;
	struct iovec v = {buf, sizeof(buf)};
	struct msghdr m = {.msg_name = &from,
			   .msg_namelen = 128,
			   .msg_iov = &v,
			   .msg_iovlen = 1};
	int lo = 0;

	*err = 1;
	for (;;) {
		m.msg_namelen = 128;
		ssize_t n = recvmsg(fd, &m, 0);
		if (n <= 0 || m.msg_namelen != sizeof(from) ||
		    from.nl_family != AF_NETLINK || from.nl_pid)
			return 0;
		for (ssize_t at = 0; at + 16 <= n;) {
			struct nlmsghdr h;
			memcpy(&h, buf + at, sizeof(h));
			if (h.nlmsg_len < 16 || h.nlmsg_len > n - at ||
			    h.nlmsg_seq != seq)
				return 0;
			if (h.nlmsg_type == NLMSG_DONE)
				return lo;
			if (h.nlmsg_type == NLMSG_ERROR) {
				memcpy(err, buf + at + 16, 4);
				return lo;
			}
			/* the attributes after the ifinfomsg: length, type */
			for (unsigned k = 32; h.nlmsg_type == RTM_NEWLINK &&
					      k + 4 <= h.nlmsg_len;) {
				unsigned short al, t;
				memcpy(&al, buf + at + k, 2);
				memcpy(&t, buf + at + k + 2, 2);
				if (al < 4 || k + al > h.nlmsg_len)
					break;
				lo |= t == IFLA_IFNAME && al == 7 &&
				      !memcmp(buf + at + k + 4, "lo", 3);
				k += (al + 3) & ~3u;
			}
			at += (h.nlmsg_len + 3) & ~3u;
		}
	}
}

/* NETLINK_ROUTE: malformed messages (shorter than a header or than
 * their nlmsg_len) are dropped unanswered, never a hang or a crash of
 * the server; a change is refused; a dump still works after them. */
static void netlink_bad(void)
{
	struct sockaddr_nl a = {.nl_family = AF_NETLINK};
	socklen_t len = sizeof(a);
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} q = {{sizeof(q), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 7, 0},
	       {.ifi_family = AF_UNSPEC}};
	struct nlmsghdr bad = q.h;
	char buf[64];
	int fd, err;

	EXPECT_ERR(socket(AF_NETLINK, SOCK_STREAM, 0), ESOCKTNOSUPPORT);
	EXPECT_ERR(socket(AF_NETLINK, SOCK_RAW, 31), EPROTONOSUPPORT);
	CHECK((fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)) >= 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	EXPECT(len == sizeof(a) && a.nl_family == AF_NETLINK);
	EXPECT(a.nl_pid == (unsigned)getpid());
	EXPECT(write(fd, &q, 8) == 8); /* shorter than a header */
	bad.nlmsg_len = 4096;          /* longer than what came */
	EXPECT(write(fd, &bad, sizeof(bad)) == sizeof(bad));
	bad.nlmsg_len = 4; /* shorter than its header */
	EXPECT(write(fd, &bad, sizeof(bad)) == sizeof(bad));
	EXPECT_ERR(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	EXPECT(write(fd, &q, sizeof(q)) == sizeof(q));
	EXPECT(nl_answers(fd, 7, &err) && err == 1);
	q.h.nlmsg_type = RTM_NEWLINK; /* no name, no index: refused */
	q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	q.h.nlmsg_seq = 8;
	EXPECT(write(fd, &q, sizeof(q)) == sizeof(q));
	EXPECT(!nl_answers(fd, 8, &err) && err < 0);
	close(fd);
}

/* The pid of the process running path (its cmdline's first word), or 0. */
static pid_t pid_of(const char *path)
{
	char name[300], buf[64];
	DIR *d = opendir("/proc");
	pid_t pid = 0;
	int fd;

	for (struct dirent *e; d && (e = readdir(d));) {
		snprintf(name, sizeof(name), "/proc/%s/cmdline", e->d_name);
		if ((fd = open(name, O_RDONLY)) < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && !strcmp((buf[n] = 0, buf), path))
			pid = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return pid;
}

/* A child blocked in read (or accept) on fd: exits 0 when the call fails
 * with err. */
static pid_t blocked(int fd, int accepting, int err)
{
	char ch;
	pid_t pid = fork();

	if (pid == 0)
		_exit(!((accepting ? accept(fd, NULL, NULL)
				   : read(fd, &ch, 1)) < 0 &&
			errno == err));
	return pid;
}

/* kill -9 of the TCP/IP server under open sockets (lux only): waiting
 * reads and accepts fail with ECONNRESET, poll reports the end, writes
 * fail with EPIPE; lumen restarts the server and a new connection
 * works. */
static void server_kill(void)
{
	int port, lfd = listener(&port), fd, c, ms = 0;
	pid_t net = pid_of("/sbin/net"), r, a;
	char buf[4];

	CHECK(net > 0);
	CHECK(lfd >= 0);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	CHECK((r = blocked(c, 0, ECONNRESET)) > 0);
	CHECK((a = blocked(lfd, 1, ECONNRESET)) > 0);
	CHECK_EQ(kill(net, SIGKILL), 0);
	struct pollfd p = {fd, POLLIN, 0};
	CHECK_EQ(poll(&p, 1, WAIT_MS), 1);
	CHECK(p.revents & (POLLHUP | POLLERR));
	CHECK(child_ok(r));
	CHECK(child_ok(a));
	CHECK_ERR(read(fd, buf, 1), ECONNRESET);
	CHECK_ERR(send(fd, "x", 1, MSG_NOSIGNAL), ECONNRESET);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(fd, "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(c);
	close(fd);
	close(lfd);
	while ((lfd = listener(&port)) < 0 && ms < WAIT_MS) {
		ut_sleep_ms(50); /* lumen restarts it */
		ms += 50;
	}
	CHECK(lfd >= 0);
	CHECK(pid_of("/sbin/net") != net);
	CHECK((fd = connect_to("127.0.0.1", port)) >= 0);
	CHECK((c = accept(lfd, NULL, NULL)) >= 0);
	CHECK_EQ(write(fd, "new", 3), 3);
	CHECK(read_all(c, buf, 3));
	CHECK(!memcmp(buf, "new", 3));
	close(c);
	close(fd);
	close(lfd);
}

/* Whether the TCP/IP server has its DHCP lease (lux's /run/net), within
 * WAIT_MS: lwIP's client asks on its own timers. */
static int leased(void)
{
	char buf[256] = "";
	int fd;

	for (int ms = 0; ms < WAIT_MS; ms += 100) {
		if ((fd = open("/run/net", O_RDONLY)) >= 0) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = 0;
			close(fd);
		}
		if (strstr(buf, " 10.0.2.15 "))
			return 1;
		ut_sleep_ms(100);
	}
	ut_fail("/run/net says \"%s\"", buf);
	return 0;
}

static void host_echo(void)
{
	CHECK(leased());
	CHECK_EQ(echo_client(HOST, 7), 0);
}

/* 16 MiB from the host: its first 4 bytes are the CRC of the rest. */
static void host_bulk(void)
{
	static unsigned char buf[65536];
	int fd = leased() ? connect_to(HOST, 9) : -1;
	uint32_t crc = 0, want;
	size_t got = 0;
	ssize_t n;

	CHECK(leased());
	CHECK(fd >= 0);
	CHECK(read_all(fd, &want, 4));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crc = crc32(crc, buf, n);
		got += n;
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(got, HOST_BIG);
	CHECK_EQ(crc, want);
	close(fd);
}

/* busybox wget -O- of the host's page: its text on wget's stdout. */
static void wget(void)
{
	int p[2];
	char buf[256] = "";
	size_t got = 0;
	ssize_t n;

	CHECK(leased());
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		execl("/bin/busybox", "wget", "-q", "-O-",
		      "http://" HOST "/lux.txt", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (got < sizeof(buf) - 1 &&
	       (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(p[0]);
	CHECK(child_ok(pid));
	CHECK(strstr(buf, "hello from the host") != NULL);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(tcp_echo),
	    UT_CASE(tcp_bulk),
	    UT_CASE(tcp_refused),
	    UT_CASE(tcp_nonblock),
	    UT_CASE(tcp_names),
	    UT_CASE(addr_inuse),
	    UT_CASE(peek_dontwait),
	    UT_CASE(tcp_shutdown),
	    UT_CASE(udp_echo),
	    UT_CASE(fork_share),
	    UT_CASE(not_socket),
	    UT_CASE(big_send),
	    UT_CASE(timeouts),
	    UT_CASE(sigpipe),
	    UT_CASE(connect_error),
	    UT_CASE(many),
	    UT_CASE(send_signal),
	    UT_CASE(sock_limit),
	    UT_CASE(host_echo),
	    UT_CASE(host_bulk),
	    UT_CASE(host_many),
	    UT_CASE(wget),
	    UT_CASE(nc_out),
	    UT_CASE(nc_in),
	    UT_CASE(httpd),
	    UT_CASE(ifconfig),
	    UT_CASE(ip_lo),
	    UT_CASE(ip_eth),
	    UT_CASE(netlink_bad),
	    UT_CASE(server_kill), /* last: the new server's lease comes later */
	};
	if (argc == 2 && !strcmp(argv[1], "all")) /* tests/net.py */
		return ut_main(1, argv, "inet", cases, UT_COUNT(cases));
	if (argc < 2) { /* all but the host's */
		static const char *loop[] = {"",
					     "tcp_echo",
					     "tcp_bulk",
					     "tcp_refused",
					     "tcp_nonblock",
					     "tcp_names",
					     "addr_inuse",
					     "peek_dontwait",
					     "tcp_shutdown",
					     "udp_echo",
					     "fork_share",
					     "not_socket",
					     "big_send",
					     "timeouts",
					     "sigpipe",
					     "connect_error",
					     "many",
					     "send_signal",
					     "ip_lo",
					     "netlink_bad"};
		loop[0] = argv[0];
		return ut_main(UT_COUNT(loop), (char **)loop, "inet", cases,
			       UT_COUNT(cases));
	}
	return ut_main(argc, argv, "inet", cases, UT_COUNT(cases));
}
