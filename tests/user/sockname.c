/*
 * sockname: Unix-socket names and the native socket calls
 * (LUX_NR_SOCKET, LUX_NR_SOCKMSG, include/lux/proto.h;
 * docs/decisions/0021-socket-names.md) made directly by an ordinary user,
 * skipping the personality (issue 12, design point 5). The kernel keys a
 * path name by the socket file a descriptor names, which only its server
 * hands out, so such a program can neither bind over another user's
 * socket file nor connect to a socket in a directory it cannot search;
 * forged descriptors, lengths and pointers are refused, and the kernel
 * and its sockets go on working.
 *
 * lux-specific by design: on Linux every case fails (no native calls).
 * Must start as root, as it does on lux.
 */
#include "utest.h"

#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <lux/proto.h>

#define USER 1000

static char dir[64];   /* /tmp/sockname.<pid>: root's, 0755 */
static char priv[96];  /* dir/private: root's, 0700 */
static char stale[96]; /* dir/stale: root's socket file, nobody bound */
static char live[96];  /* dir/live: root's listening socket */
static char inner[96]; /* priv/s: root's listening socket, out of reach */

static long sockctl(long op, long a, long b, long c, long d)
{
	return syscall(LUX_NR_SOCKET, op, a, b, c, d);
}

static long sockmsg(int fd, int recv, struct lux_sockmsg *m, int flags)
{
	return syscall(LUX_NR_SOCKMSG, fd, recv, m, flags);
}

static struct sockaddr_un sun_at(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return a;
}

/* A stream socket bound to path (and listening), or -1. */
static int bound(const char *path, int listening)
{
	struct sockaddr_un a = sun_at(path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    (listening && listen(s, 4))) {
		close(s);
		return -1;
	}
	return s;
}

/* In a child: become uid and gid USER with no supplementary groups. */
static int drop(void)
{
	return EXPECT(setgroups(0, NULL) == 0) && EXPECT(setgid(USER) == 0) &&
	       EXPECT(setuid(USER) == 0);
}

/* Root's tree: dir with the stale and the live socket, priv with inner.
 * The listening sockets' descriptors in l[2]. */
static int setup(int l[2])
{
	snprintf(dir, sizeof(dir), "/tmp/sockname.%d", (int)getpid());
	snprintf(priv, sizeof(priv), "%s/private", dir);
	snprintf(stale, sizeof(stale), "%s/stale", dir);
	snprintf(live, sizeof(live), "%s/live", dir);
	snprintf(inner, sizeof(inner), "%s/s", priv);
	if (!EXPECT_EQ(mkdir(dir, 0755), 0) || !EXPECT_EQ(mkdir(priv, 0700), 0))
		return 0;
	int s = bound(stale, 0);
	close(s);
	l[0] = bound(live, 1);
	l[1] = bound(inner, 1);
	return EXPECT(s >= 0) && EXPECT(l[0] >= 0) && EXPECT(l[1] >= 0);
}

static void cleanup(int l[2])
{
	close(l[0]);
	close(l[1]);
	unlink(inner);
	rmdir(priv);
	unlink(stale);
	unlink(live);
	rmdir(dir);
}

/* The user binds through the native call with a descriptor of root's
 * stale or live socket file (it may reach both): refused, as the
 * personality's bind is. */
static void bind_over_child(void)
{
	struct sockaddr_un a = sun_at(stale), b = sun_at(live);
	int s = socket(AF_UNIX, SOCK_STREAM, 0), f, g;

	if (!drop())
		return;
	CHECK(s >= 0);
	CHECK_ERR(bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	CHECK((f = open(stale, O_PATH)) >= 0);
	CHECK((g = open(live, O_PATH)) >= 0);
	CHECK_ERR(sockctl(LUX_SOCK_BIND, s, (long)&a, sizeof(a), f),
		  EADDRINUSE); /* root's file */
	CHECK_ERR(sockctl(LUX_SOCK_BIND, s, (long)&b, sizeof(b), g),
		  EADDRINUSE); /* root's, and bound */
	/* the user's own socket file, left by a socket it closed: its own */
	char mine[64];
	snprintf(mine, sizeof(mine), "/tmp/sockname-user.%d", (int)getpid());
	struct sockaddr_un m = sun_at(mine);
	int t = bound(mine, 0), h = open(mine, O_PATH);
	CHECK(t >= 0 && h >= 0);
	close(t);
	CHECK_EQ(sockctl(LUX_SOCK_BIND, s, (long)&m, sizeof(m), h), 0);
	unlink(mine);
}

static void bind_over(void)
{
	int l[2] = {-1, -1}, c = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = sun_at(stale);

	if (setup(l) && ut_in_child(bind_over_child))
		EXPECT_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)),
			   ECONNREFUSED); /* still nobody's */
	close(c);
	cleanup(l);
}

static int ready[2], go[2];

/* The user cannot reach inner (priv is 0700): no descriptor of its file,
 * and no other descriptor will do for it. */
static void private_child(void)
{
	struct sockaddr_un a = sun_at(inner);
	int c = socket(AF_UNIX, SOCK_STREAM, 0), p[2];
	long forged[5];
	char k;

	if (!drop())
		return;
	CHECK(c >= 0 && pipe(p) == 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)), EACCES);
	CHECK_ERR(open(inner, O_PATH), EACCES);
	CHECK_ERR(sockctl(LUX_SOCK_CONNECT, c, (long)&a, sizeof(a), -1), EBADF);
	forged[0] = open(dir, O_PATH);             /* a directory */
	forged[1] = open("/etc/hostname", O_PATH); /* a regular file */
	forged[2] = c;                             /* a socket itself */
	forged[3] = p[0];                          /* a pipe */
	forged[4] = open("/dev/null", O_RDONLY);   /* a device */
	for (int i = 0; i < 5; i++) {
		CHECK(forged[i] >= 0);
		EXPECT_ERR(sockctl(LUX_SOCK_CONNECT, c, (long)&a, sizeof(a),
				   forged[i]),
			   ECONNREFUSED);
		struct lux_sockmsg m = {.name = (uint64_t)&a,
					.namelen = sizeof(a),
					.namefd = (int)forged[i]};
		int d = socket(AF_UNIX, SOCK_DGRAM, 0);
		EXPECT_ERR(sockmsg(d, 0, &m, 0), ECONNREFUSED);
		close(d);
	}
	/* Bound to its own file under inner's bytes: it owns a name that
	 * reads like inner's, but inner's listener keeps inner (below). */
	char mine[64];
	snprintf(mine, sizeof(mine), "/tmp/sockname-priv.%d", (int)getpid());
	int t = bound(mine, 0), h = open(mine, O_PATH),
	    s = socket(AF_UNIX, 1, 0);
	CHECK(t >= 0 && h >= 0 && s >= 0);
	close(t);
	CHECK_EQ(sockctl(LUX_SOCK_BIND, s, (long)&a, sizeof(a), h), 0);
	CHECK_EQ(listen(s, 4), 0);
	unlink(mine);
	CHECK_EQ(write(ready[1], "b", 1), 1); /* root connects now */
	CHECK_EQ(read(go[0], &k, 1), 1);
}

static void private_socket(void)
{
	int l[2] = {-1, -1}, c = socket(AF_UNIX, SOCK_STREAM, 0), a = -1;
	struct sockaddr_un in = sun_at(inner);
	pid_t pid;
	char k;

	if (!setup(l) || !EXPECT(pipe(ready) == 0 && pipe(go) == 0))
		return cleanup(l);
	if ((pid = ut_spawn(private_child)) > 0 &&
	    EXPECT_EQ(read(ready[0], &k, 1), 1) &&
	    EXPECT_EQ(connect(c, (struct sockaddr *)&in, sizeof(in)), 0)) {
		a = accept(l[1], NULL, NULL); /* root's listener has it */
		EXPECT(a >= 0);
	}
	EXPECT_EQ(write(go[1], "g", 1), 1);
	ut_join(pid);
	for (int i = 0; i < 2; i++)
		close(ready[i]), close(go[i]);
	close(a);
	close(c);
	cleanup(l);
}

/* Forged arguments of every kind, from a user: refused, nothing leaks,
 * and sockets still work afterwards. */
static void forged_child(void)
{
	struct sockaddr_un a = sun_at("\0forged"), good = a;
	struct lux_sockinfo info;
	int sv[2], p[2], dg[2], s, fds[2];
	char k = 'k', buf[8];

	if (!drop())
		return;
	CHECK(pipe(p) == 0 && (s = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) == 0);
	int next = dup(0); /* the lowest free descriptor, to see leaks */
	close(next);
	EXPECT_ERR(sockctl(-1, 0, 0, 0, 0), EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_SHUTDOWN + 1, 0, 0, 0, 0), EINVAL);
	EXPECT_ERR(sockctl(1L << 40, 0, 0, 0, 0), EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_NEW, 99, 0, 0, 0), EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_NEW, 1 | 0x100000, 0, 0, 0), EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_NEW, 1, (long)UT_KERNEL_ADDR, 0, 0),
		   EFAULT);
	EXPECT_ERR(sockctl(LUX_SOCK_NEW, 1, 8, 0, 0), EFAULT);
	EXPECT_EQ(dup(0), next); /* the pair was closed again */
	close(next);
	long lens[] = {0, 2, 111, -1, 1L << 40};
	for (int i = 0; i < 5; i++)
		EXPECT_ERR(sockctl(LUX_SOCK_BIND, s, (long)&a, lens[i], -1),
			   EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_BIND, s, 0, 10, -1), EFAULT);
	EXPECT_ERR(sockctl(LUX_SOCK_BIND, s, (long)UT_KERNEL_ADDR, 10, -1),
		   EFAULT);
	a.sun_family = AF_INET;
	EXPECT_ERR(sockctl(LUX_SOCK_BIND, s, (long)&a, 10, -1), EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_BIND, p[0], (long)&good, 10, -1), ENOTSOCK);
	EXPECT_ERR(sockctl(LUX_SOCK_BIND, 999, (long)&good, 10, -1), EBADF);
	EXPECT_ERR(sockctl(LUX_SOCK_CONNECT, s, (long)&good, 10, -1),
		   ECONNREFUSED);
	EXPECT_ERR(sockctl(LUX_SOCK_ACCEPT, s, 0x1234, 0, 0), EINVAL);
	EXPECT_ERR(sockctl(LUX_SOCK_INFO, s, 0, 0, 0), EFAULT);
	EXPECT_ERR(sockctl(LUX_SOCK_INFO, s, (long)UT_KERNEL_ADDR, 0, 0),
		   EFAULT);
	EXPECT_ERR(sockctl(LUX_SOCK_INFO, p[1], (long)&info, 0, 0), ENOTSOCK);
	EXPECT_EQ(sockctl(LUX_SOCK_SETBUF, s, 1, -1, 0), 0);
	EXPECT_EQ(sockctl(LUX_SOCK_INFO, s, (long)&info, 0, 0), 0);
	EXPECT_EQ(info.rcvbuf, 4 << 20); /* the kernel's bound */
	/* Messages: the struct, its vectors, names and descriptors. */
	struct iovec v = {&k, 1}, many[17];
	struct lux_sockmsg m = {.iov = (uint64_t)&v, .iovlen = 1};
	EXPECT_ERR(sockmsg(sv[0], 0, NULL, 0), EFAULT);
	EXPECT_ERR(sockmsg(sv[0], 1, UT_KERNEL_ADDR, 0), EFAULT);
	m.iovlen = 17, m.iov = (uint64_t)many;
	EXPECT_ERR(sockmsg(sv[0], 0, &m, 0), EMSGSIZE);
	m.iovlen = 1, m.iov = (uint64_t)UT_KERNEL_ADDR;
	EXPECT_ERR(sockmsg(sv[0], 0, &m, 0), EFAULT);
	m.iov = (uint64_t)&v;
	m.nfds = 254;
	EXPECT_ERR(sockmsg(sv[0], 0, &m, 0), EINVAL);
	m.nfds = 1, m.fds = 0;
	EXPECT_ERR(sockmsg(sv[0], 0, &m, 0), EFAULT);
	fds[0] = 999;
	m.fds = (uint64_t)fds;
	EXPECT_ERR(sockmsg(sv[0], 0, &m, 0), EBADF);
	m.nfds = 0, m.namelen = 10, m.name = 0;
	EXPECT_ERR(sockmsg(dg[0], 0, &m, 0), EFAULT);
	/* A descriptor comes, but its numbers cannot be written: EFAULT,
	 * and what came stays closable. */
	fds[0] = p[0];
	m = (struct lux_sockmsg){
	    .iov = (uint64_t)&v, .iovlen = 1, .nfds = 1, .fds = (uint64_t)fds};
	EXPECT_EQ(sockmsg(sv[0], 0, &m, 0), 1);
	m.fds = (uint64_t)UT_KERNEL_ADDR;
	EXPECT_ERR(sockmsg(sv[1], 1, &m, 0), EFAULT);
	m = (struct lux_sockmsg){.iov = (uint64_t)&v, .iovlen = 1};
	EXPECT_EQ(sockmsg(sv[0], 0, &m, 0), 1);
	m.name = (uint64_t)UT_KERNEL_ADDR;
	EXPECT_ERR(sockmsg(sv[1], 1, &m, 0), EFAULT); /* the source's name */
	/* Everything still works. */
	EXPECT_EQ(write(sv[0], "ok", 2), 2);
	EXPECT_EQ(read(sv[1], buf, sizeof(buf)), 2);
	EXPECT_EQ(send(dg[0], "dg", 2, 0), 2);
	EXPECT_EQ(recv(dg[1], buf, sizeof(buf), 0), 2);
}

static void forged(void)
{
	ut_in_child(forged_child);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(bind_over),
	    UT_CASE(private_socket),
	    UT_CASE(forged),
	};
	return ut_main(argc, argv, "sockname", cases, UT_COUNT(cases));
}
