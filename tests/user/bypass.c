/*
 * bypass: a program that skips the personality and speaks the native
 * calls and the protocol itself (LUX_NR_REQUEST, include/lux/proto.h)
 * gets no more than the Linux calls would give it (issue 12, design point
 * 5): a forged identity in a request is overwritten by the kernel, so a
 * user cannot read root's 0600 file nor mount; only PID 1 may name the
 * resolver; requests on handles, unknown operations and malformed
 * messages are refused; a stale route is refused; a storm of random
 * requests to lumen and to every server leaves them all answering;
 * requests about a descriptor (LUX_REQ_FD) get no more than the Linux
 * call on it would (fd_requests, fd_storm); every process's cached
 * mount table sees a mount and an umount at once; LUX_NR_WAIT reaps only
 * the caller's own children, as wait4, and only root may stop the
 * machine with LUX_NR_REBOOT; LUX_NR_ALARM sets the caller's own timer,
 * as setitimer; LUX_NR_AFFINITY sets another user's CPUs only for root,
 * as sched_setaffinity; LUX_NR_CHDIR reads only the caller's directory,
 * LUX_NR_UNSHARE unshares only the caller's descriptor table, as
 * LUX_NR_PROCCTL sets only the caller's parent-death signal and
 * subreaper flag (native_procctl_own); LUX_LOCK
 * neither sees nor releases more of another's locks than F_GETLK and
 * F_SETLK would, and a server keeps a bounded number (lock_owner);
 * LUX_SOCK_LISTEN and LUX_SOCK_SHUTDOWN are listen and shutdown, and the
 * TCP/IP server's requests give a user no port below 1024 and no
 * connection it was not handed (native_inet); LUX_NR_EPOLL and
 * LUX_NR_EVENT check what epoll, timerfd and signalfd would, and a
 * 1 ns timer or a signal mask of all costs nothing (native_event);
 * LUX_NR_PROCINFO's items refuse another user's process as /proc does
 * (native_procinfo_items); only root makes a server read-only
 * (readonly_root_only); a chrooted user names nothing outside its root
 * (chroot_native); the loop server's hand-over socket gives no more
 * than LOOP_SET_FD (loop_handover).
 *
 * lux-specific by design: on Linux every case fails (no native calls).
 * Must start as root, as it does on lux.
 */
#include "utest.h"

#include <sys/prctl.h>

#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <lux/loop.h>
#include <lux/proto.h>
#include <stddef.h>
#include <sys/un.h>

#define USER 1000

static char dir[64], secret[96];

/* One request: the header and its payload. */
static struct {
	struct lux_req q;
	char data[3 * LUX_PATH_MAX];
} m;

/* The reply: the header and its payload. */
static struct {
	struct lux_rep rep;
	char data[2 * LUX_PATH_MAX];
} a;

static long request(long target, long gen)
{
	return syscall(LUX_NR_REQUEST, target, gen, &m, &a, sizeof(a), NULL);
}

/* Make m a request op with the n strings s and a forged identity: root,
 * in every group, another pid. */
static void forge(unsigned op, const char *const s[], int n)
{
	char *p = m.data;

	memset(&m.q, 0, sizeof(m.q));
	m.q.op = op;
	for (int i = 0; i < n; i++) {
		strcpy(p, s[i]);
		p += strlen(s[i]) + 1;
	}
	m.q.len = p - (char *)&m;
	m.q.pid = 1;
	m.q.uid = m.q.gid = 0;
	m.q.ngroups = LUX_NGROUPS;
	for (int i = 0; i < LUX_NGROUPS; i++)
		m.q.groups[i] = i;
}

/* Send the forged request for the absolute path to the server lumen
 * redirects it to, the path cut as lumen says: the reply's result, or
 * -1000 - errno when a call failed. */
static long via_redirect(unsigned op, const char *path, unsigned flags,
			 unsigned mode)
{
	const char *s[1] = {path};
	long r;

	forge(op, s, 1);
	m.q.flags = flags;
	m.q.mode = mode;
	if ((r = request(LUX_REQ_RESOLVER, 0)) < 0)
		return -1000 - errno;
	if (a.rep.op != LUX_REDIRECT)
		return -2000;
	long fd = a.rep.result, gen = a.rep.handle, off = a.rep.off;
	s[0] = path + off;
	while (*s[0] == '/')
		s[0]++;
	forge(op, s, 1);
	m.q.flags = flags;
	m.q.mode = mode;
	if ((r = request(fd, gen)) < 0)
		return -1000 - errno;
	return a.rep.op == LUX_REPLY ? a.rep.result : -3000;
}

/* In a child: become uid and gid USER with no supplementary groups. */
static int drop(void)
{
	return EXPECT(setgroups(0, NULL) == 0) && EXPECT(setgid(USER) == 0) &&
	       EXPECT(setuid(USER) == 0);
}

static void setup(void)
{
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/bypass.%d", (int)getpid());
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	mkdir(dir, 0755);
	unlink(secret);
	fd = open(secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		(void)!write(fd, "root's", 6);
		close(fd);
	}
}

static void cleanup(void)
{
	unlink(secret);
	rmdir(dir);
}

static void secret_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(open(secret, O_RDONLY), EACCES); /* the personality */
	CHECK_EQ(via_redirect(LUX_OPEN, secret, O_RDONLY, 0), -EACCES);
	CHECK_EQ(via_redirect(LUX_OPEN, secret, O_RDWR | O_TRUNC, 0), -EACCES);
	CHECK_EQ(via_redirect(LUX_TRUNCATE, secret, 0, 0), -EACCES);
	CHECK_EQ(via_redirect(LUX_CHMOD, secret, 0, 0777), -EPERM);
	CHECK_EQ(via_redirect(LUX_UNLINK, secret, 0, 0), -EACCES);
	/* ACCESS: the effective ids, or the real ones, are the kernel's */
	CHECK_EQ(via_redirect(LUX_ACCESS, secret, 0, 4), -EACCES);
	CHECK_EQ(via_redirect(LUX_ACCESS, secret, LUX_ACCESS_REAL, 4), -EACCES);
}

/* A user forging root's identity cannot open root's 0600 file. */
static void forged_identity(void)
{
	struct stat st;

	setup();
	CHECK(stat(secret, &st) == 0 && (st.st_mode & 0777) == 0600);
	ut_in_child(secret_child);
	CHECK(stat(secret, &st) == 0 && st.st_size == 6);
	cleanup();
}

static void resolver_child(void)
{
	int ch[2];

	CHECK_EQ(syscall(LUX_NR_CHANNEL, ch), 0);
	CHECK_ERR(syscall(LUX_NR_RESOLVER, ch[1]), EPERM); /* root, not 1 */
	if (!drop())
		return;
	CHECK_ERR(syscall(LUX_NR_RESOLVER, ch[1]), EPERM);
	CHECK_ERR(syscall(LUX_NR_RESOLVER, 0), EPERM);
}

/* Only PID 1 names the resolver, root or not. */
static void not_resolver(void)
{
	ut_in_child(resolver_child);
}

static void mount_child(void)
{
	const char *s[3] = {"none", dir, "tmpfs"};

	if (!drop())
		return;
	CHECK_ERR(mount("none", dir, "tmpfs", 0, NULL), EPERM);
	forge(LUX_MOUNT, s, 3);
	CHECK_EQ(request(LUX_REQ_RESOLVER, 0), 0);
	CHECK_EQ(a.rep.result, -EPERM);
	forge(LUX_UMOUNT, s + 1, 1);
	CHECK_EQ(request(LUX_REQ_RESOLVER, 0), 0);
	CHECK_EQ(a.rep.result, -EPERM);
	s[1] = "/dev";
	forge(LUX_UMOUNT, s + 1, 1);
	CHECK_EQ(request(LUX_REQ_RESOLVER, 0), 0);
	CHECK_EQ(a.rep.result, -EPERM);
}

/* A user forging root's identity cannot mount or unmount. */
static void no_mount(void)
{
	struct stat st;

	setup();
	ut_in_child(mount_child);
	CHECK_EQ(stat("/dev/null", &st), 0); /* /dev is still there */
	cleanup();
}

/* The current generation and the client end serving "/" (LUX_MOUNTS). */
static int root_route(long *fd, long *gen)
{
	forge(LUX_MOUNTS, NULL, 0);
	if (!EXPECT_EQ(request(LUX_REQ_RESOLVER, 0), 0) ||
	    !EXPECT_EQ(a.rep.result, 0) || !EXPECT(a.rep.off > 0))
		return 0;
	struct lux_mount e;
	memcpy(&e, a.data, sizeof(e));
	*fd = e.fd;
	*gen = a.rep.off;
	return EXPECT(e.len == 1 && a.data[sizeof(e)] == '/') &&
	       EXPECT(e.fd >= 0);
}

/* Only path operations naming no handle pass; anything malformed or
 * stale is refused before it is sent. */
static void refused(void)
{
	static const unsigned ops[] = {LUX_READ,   LUX_WRITE, LUX_GETDENTS,
				       LUX_IOCTL,  LUX_FSYNC, LUX_CLOSE,
				       LUX_CANCEL, 0,         LUX_MOUNTS + 1,
				       LUX_REPLY,  LUX_NOTIFY};
	const char *s[1] = {""};
	long fd, gen;
	int p[2];

	CHECK(root_route(&fd, &gen));
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		forge(ops[i], s, 1);
		m.q.handle = 1;
		CHECK_ERR(request(fd, gen), EINVAL);
		CHECK_ERR(request(LUX_REQ_RESOLVER, 0), EINVAL);
	}
	forge(LUX_STAT, s, 1);
	CHECK_EQ(request(fd, gen), 0); /* the root's status */
	CHECK_EQ(a.rep.result, 0);
	CHECK_ERR(request(fd, gen + 1), ESTALE);
	CHECK_ERR(request(fd, gen + 1000), ESTALE);
	CHECK_ERR(request(9000, gen), EBADF);
	CHECK_ERR(request(0, gen), EBADF); /* lumen's 0: no client end */
	m.q.len = sizeof(m.q) - 1;
	CHECK_ERR(request(fd, gen), EINVAL);
	m.q.len = LUX_MSG_MAX + 1;
	CHECK_ERR(request(fd, gen), EINVAL);
	forge(LUX_STAT, s, 1);
	CHECK_ERR(syscall(LUX_NR_REQUEST, fd, gen, 8, &a, sizeof(a), 0),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_REQUEST, fd, gen, &m, 8, sizeof(a), 0),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_REQUEST, fd, gen, &m, &a, 8, 0), EINVAL);
	/* about a descriptor: what the kernel does not serve on a pipe,
	 * READ on a handle (fd_requests has the rest) */
	CHECK_EQ(pipe(p), 0);
	forge(LUX_UTIMENS, NULL, 0);
	CHECK_ERR(request(LUX_REQ_FD(p[0]), 0), EINVAL);
	CHECK_ERR(request(LUX_REQ_FD(4000), 0), EBADF);
	int f = open("/", O_RDONLY);
	CHECK(f >= 0);
	forge(LUX_READ, NULL, 0);
	CHECK_ERR(request(LUX_REQ_FD(f), 0), EINVAL);
	forge(LUX_STAT, NULL, 0);
	CHECK_EQ(request(LUX_REQ_FD(f), 0), 0);
	CHECK_EQ(a.rep.result, 0);
	close(f);
	close(p[0]);
	close(p[1]);
}

/* Random bytes from a small generator (repeatable). */
static uint64_t seed = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void storm_child(void)
{
	long targets[8 + 1], gen = 0;
	int n = 0;

	if (!drop())
		return;
	/* every server of the mount table, and lumen */
	forge(LUX_MOUNTS, NULL, 0);
	CHECK_EQ(request(LUX_REQ_RESOLVER, 0), 0);
	gen = a.rep.off;
	for (size_t off = 0;
	     off + sizeof(struct lux_mount) <= a.rep.len - sizeof(a.rep) &&
	     n < 8;) {
		struct lux_mount e;
		memcpy(&e, a.data + off, sizeof(e));
		targets[n++] = e.fd;
		off = (off + sizeof(e) + e.len + 7) & ~7UL;
	}
	targets[n++] = LUX_REQ_RESOLVER;
	for (int i = 0; i < 3000; i++) {
		unsigned op = 1 + rnd() % LUX_MOUNTS;
		if (op >= LUX_READ && op <= LUX_CANCEL)
			op = LUX_STAT;
		size_t len = rnd() % 64;
		for (size_t k = 0; k < len; k++) /* NULs, '/', '.', bytes */
			m.data[k] = "\0/./a.\377x"[rnd() % 9];
		memset(&m.q, 0, sizeof(m.q));
		m.q.op = op;
		m.q.len = sizeof(m.q) + len;
		m.q.flags = rnd();
		m.q.mode = rnd();
		m.q.off = rnd();
		m.q.count = rnd() % 3 ? rnd() % 70000 : rnd();
		m.q.time[0][1] = rnd();
		long t = targets[rnd() % n];
		long r = request(t, gen);
		CHECK(r == 0 || errno == ESTALE || errno == EIO);
	}
}

/* Lumen and every server still answer (after a storm). */
static void servers_answer(void)
{
	struct stat st;
	char buf[8];

	CHECK_EQ(stat("/", &st), 0);
	CHECK_EQ(stat("/dev/null", &st), 0);
	CHECK_EQ(stat("/proc/self", &st), 0);
	int fd = open("/etc/hostname", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	close(fd);
}

/* Random malformed requests from a user to lumen and every server: all
 * refused, nothing crashes, everyone still answers afterwards. */
static void storm(void)
{
	ut_in_child(storm_child);
	servers_answer();
}

/* A request op about descriptor fd with off and mode (forged identity):
 * the reply's result, or -1000 - errno when the kernel refused it. */
static long on_fd(int fd, unsigned op, uint64_t off, unsigned mode)
{
	forge(op, NULL, 0);
	m.q.off = off;
	m.q.mode = mode;
	return request(LUX_REQ_FD(fd), 0) < 0 ? -1000 - errno : a.rep.result;
}

/* The size and mode of path (-1 if it cannot be seen). */
static long long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long long)st.st_size;
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_mode & 07777;
}

static int ro = -1, own_fd = -1, dirfd_ = -1, opath = -1, mem = -1;
static int pipes[2] = {-1, -1}, socks[2] = {-1, -1};

/* The operations no descriptor may carry, each refused by the kernel. */
static const unsigned fd_refused_ops[] = {
    LUX_OPEN,   LUX_MKDIR,   LUX_MKNOD,      LUX_UNLINK, LUX_RENAME,
    LUX_LINK,   LUX_SYMLINK, LUX_READLINK,   LUX_ACCESS, LUX_READ,
    LUX_WRITE,  LUX_CLOSE,   LUX_CANCEL,     LUX_MOUNT,  LUX_UMOUNT,
    LUX_MOUNTS, 0,           LUX_MOUNTS + 1, 31,         32,
    LUX_REPLY,  LUX_NOTIFY};

static void fd_child(void)
{
	if (!drop())
		return;
	/* root's 0644 file, open for reading: no write, truncate, chmod,
	 * chown or times through the handle, whatever the header says */
	for (unsigned i = 0; i < sizeof(fd_refused_ops) / sizeof(unsigned); i++)
		CHECK_EQ(on_fd(ro, fd_refused_ops[i], 0, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(ro, LUX_TRUNCATE, 0, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(ro, LUX_CHMOD, 0, 0777), -EPERM);
	forge(LUX_CHOWN, NULL, 0);
	m.q.off = USER;
	m.q.count = USER;
	CHECK_EQ(request(LUX_REQ_FD(ro), 0), 0);
	CHECK_EQ(a.rep.result, -EPERM);
	forge(LUX_UTIMENS, NULL, 0);
	CHECK_EQ(request(LUX_REQ_FD(ro), 0), 0); /* times 0: not "now" */
	CHECK_EQ(a.rep.result, -EPERM);
	CHECK_EQ(on_fd(ro, LUX_STAT, 0, 0), 0);
	CHECK_EQ(on_fd(ro, LUX_FSYNC, 0, 0), 0); /* as fsync(2) */
	CHECK_EQ(on_fd(ro, LUX_GETDENTS, 0, 0), -ENOTDIR);
	CHECK_EQ(on_fd(ro, LUX_IOCTL, 0, 0), -ENOTTY);
	/* its own file, open for reading: chmod as fchmod(2) allows */
	CHECK_EQ(on_fd(own_fd, LUX_CHMOD, 0, 0600), 0);
	/* a directory: no truncate (open for reading), huge counts cut */
	CHECK_EQ(on_fd(dirfd_, LUX_TRUNCATE, 0, 0), -1000 - EINVAL);
	forge(LUX_GETDENTS, NULL, 0);
	m.q.count = ~0ULL;
	m.q.off = ~0ULL >> 1;
	CHECK_EQ(request(LUX_REQ_FD(dirfd_), 0), 0);
	CHECK(a.rep.len <= sizeof(a));
	/* O_PATH: only STAT and STATFS */
	CHECK_EQ(on_fd(opath, LUX_STAT, 0, 0), 0);
	CHECK_EQ(on_fd(opath, LUX_STATFS, 0, 0), 0);
	CHECK_EQ(on_fd(opath, LUX_CHMOD, 0, 0777), -1000 - EBADF);
	CHECK_EQ(on_fd(opath, LUX_TRUNCATE, 0, 0), -1000 - EBADF);
	CHECK_EQ(on_fd(opath, LUX_GETDENTS, 0, 0), -1000 - EBADF);
	CHECK_EQ(on_fd(opath, LUX_IOCTL, 0, 0), -1000 - EBADF);
	/* the kernel's own objects: STAT, a memory object's TRUNCATE */
	CHECK_EQ(on_fd(pipes[0], LUX_STAT, 0, 0), 0);
	struct lux_stat st;
	memcpy(&st, a.data, sizeof(st));
	CHECK_EQ(st.mode & S_IFMT, S_IFIFO);
	CHECK_EQ(st.uid, USER); /* the caller, never the header's root */
	CHECK_EQ(on_fd(socks[0], LUX_STAT, 0, 0), 0);
	memcpy(&st, a.data, sizeof(st));
	CHECK_EQ(st.mode & S_IFMT, S_IFSOCK);
	CHECK_EQ(on_fd(pipes[0], LUX_TRUNCATE, 0, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(pipes[1], LUX_TRUNCATE, 0, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(socks[0], LUX_CHMOD, 0, 0777), -1000 - EINVAL);
	CHECK_EQ(on_fd(pipes[1], LUX_IOCTL, 0, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(socks[1], LUX_GETDENTS, 0, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(mem, LUX_TRUNCATE, 8192, 0), 0);
	CHECK_EQ(on_fd(mem, LUX_STAT, 0, 0), 0);
	memcpy(&st, a.data, sizeof(st));
	CHECK_EQ(st.size, 8192);
	CHECK_EQ(on_fd(mem, LUX_TRUNCATE, 1ULL << 63, 0), -1000 - EINVAL);
	CHECK_EQ(on_fd(mem, LUX_TRUNCATE, ~0ULL >> 2, 0), -1000 - EFBIG);
	CHECK_EQ(on_fd(mem, LUX_FSYNC, 0, 0), -1000 - EINVAL);
	/* bad pointers and targets */
	forge(LUX_STAT, NULL, 0);
	CHECK_ERR(syscall(LUX_NR_REQUEST, LUX_REQ_FD(ro), 0, UT_KERNEL_ADDR, &a,
			  sizeof(a), 0),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_REQUEST, LUX_REQ_FD(ro), 0, &m, UT_KERNEL_ADDR,
			  sizeof(a), 0),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_REQUEST, LUX_REQ_FD(pipes[0]), 0, &m,
			  UT_KERNEL_ADDR, sizeof(a), 0),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_REQUEST, LUX_REQ_FD(ro), 0, &m, &a, 8, 0),
		  EINVAL);
	CHECK_ERR(request(LUX_REQ_FD(LUX_FD_MAX), 0), EBADF);
	CHECK_ERR(request(LUX_REQ_FD(0x7fffffffL), 0), EBADF);
	m.q.len = LUX_MSG_MAX + 1;
	CHECK_ERR(request(LUX_REQ_FD(ro), 0), EINVAL);
}

/* Requests about descriptors from a user forging root's identity: the
 * operations allowed are only those of the calls on a descriptor, with
 * Linux's answers (a read-only descriptor cannot be truncated, root's
 * file cannot be chmod-ed or chown-ed, O_PATH allows only STAT and
 * STATFS, the kernel's own objects answer STAT, a memory object
 * TRUNCATE); nothing changes. */
static void fd_requests(void)
{
	char own[128];

	setup();
	snprintf(own, sizeof(own), "%s/own", dir);
	CHECK((ro = open(secret, O_RDONLY)) >= 0); /* root's, 0600 */
	CHECK_EQ(fchmod(ro, 0644), 0);
	CHECK((own_fd = open(own, O_RDONLY | O_CREAT, 0644)) >= 0);
	CHECK_EQ(fchown(own_fd, USER, USER), 0);
	CHECK((dirfd_ = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK((opath = open(secret, O_PATH)) >= 0);
	CHECK((mem = memfd_create("bypass", 0)) >= 0);
	CHECK_EQ(pipe(pipes), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, socks), 0);
	ut_in_child(fd_child);
	CHECK_EQ(size_of(secret), 6);
	CHECK_EQ(mode_of(secret), 0644);
	CHECK_EQ(mode_of(own), 0600);
	int fds[] = {ro,       own_fd,   dirfd_,   opath,   mem,
		     pipes[0], pipes[1], socks[0], socks[1]};
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	unlink(own);
	cleanup();
}

static void fd_storm_child(void)
{
	int fds[8], n = 0;

	if (!drop())
		return;
	fds[n++] = open("/", O_RDONLY | O_DIRECTORY);
	fds[n++] = open("/etc/hostname", O_RDONLY);
	fds[n++] = open("/dev/null", O_RDWR);
	fds[n++] = open("/proc/uptime", O_RDONLY);
	fds[n++] = open("/", O_PATH);
	fds[n++] = memfd_create("storm", 0);
	CHECK_EQ(pipe(fds + n), 0);
	n += 2;
	for (int i = 0; i < n; i++)
		CHECK(fds[i] >= 0);
	for (int i = 0; i < 3000; i++) {
		unsigned op = rnd() % 3 ? rnd() % 24 : rnd();
		size_t len = rnd() % 64;
		memset(&m.q, 0, sizeof(m.q));
		for (size_t k = 0; k < len; k++)
			m.data[k] = (char)rnd();
		m.q.op = op;
		m.q.len = sizeof(m.q) + len;
		m.q.flags = rnd();
		m.q.mode = rnd();
		m.q.off = rnd() % 3 ? rnd() % 100000 : rnd();
		m.q.count = rnd() % 3 ? rnd() % 70000 : rnd();
		m.q.time[0][1] = rnd();
		m.q.time[1][1] = rnd();
		long r = request(LUX_REQ_FD(fds[rnd() % n]), 0);
		CHECK(r == 0 || errno == EINVAL || errno == EBADF ||
		      errno == EFBIG || errno == ENOMEM);
	}
}

/* Random requests about a user's descriptors of every kind (a file, a
 * directory, a device, a procfs file, O_PATH, a memory object, a pipe):
 * each answered or refused, nothing crashes, the servers still answer. */
static void fd_storm(void)
{
	ut_in_child(fd_storm_child);
	servers_answer();
}

static int go[2], done[2];
static char inside[128];

/* Wait for the parent's word, stat `inside`, report the errno (0: it
 * exists); twice. */
static void seer(void)
{
	struct stat st;
	char c;

	for (int i = 0; i < 2; i++) {
		if (!EXPECT_EQ(read(go[0], &c, 1), 1))
			return;
		int err = stat(inside, &st) < 0 ? errno : 0;
		if (!EXPECT_EQ(write(done[1], &err, sizeof(err)), sizeof(err)))
			return;
	}
}

/* A process that routed by the mount table before a mount and an umount
 * sees both at once (each makes the generation move: ESTALE, a new
 * table), as does the process that made them. */
static void mount_seen_at_once(void)
{
	struct stat st;
	int err = -1;
	pid_t pid;

	setup();
	snprintf(inside, sizeof(inside), "%s/inside", dir);
	CHECK_EQ(stat("/", &st), 0); /* the table is cached before fork */
	CHECK(pipe(go) == 0 && pipe(done) == 0);
	CHECK((pid = ut_spawn(seer)) > 0);
	CHECK_EQ(mount("none", dir, "tmpfs", 0, NULL), 0);
	int fd = open(inside, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(write(go[1], "m", 1), 1);
	CHECK_EQ(read(done[0], &err, sizeof(err)), sizeof(err));
	CHECK_EQ(err, 0); /* the new mount's file */
	CHECK_EQ(umount(dir), 0);
	CHECK_ERR(stat(inside, &st), ENOENT);
	CHECK_EQ(write(go[1], "u", 1), 1);
	CHECK_EQ(read(done[0], &err, sizeof(err)), sizeof(err));
	CHECK_EQ(err, ENOENT); /* ramfs's directory again, empty */
	ut_join(pid);
	for (int i = 0; i < 2; i++)
		close(go[i]), close(done[i]);
	cleanup();
}

static long native_wait(long pid, long pgid, long options, void *res)
{
	return syscall(LUX_NR_WAIT, pid, pgid, options, res);
}

/* LUX_NR_WAIT, the primitive of the personality's wait4 and waitid,
 * called directly reaps only the caller's own children, as wait4: not
 * its parent, not a grandchild, not a group's members that are not its
 * children; bad options and a bad result pointer fail as wait4's (the
 * child reaped all the same). */
static void native_wait_own_children(void)
{
	uint64_t res[3];
	int go[2], info[2];
	pid_t grandchild;
	char c;

	CHECK(pipe(go) == 0 && pipe(info) == 0);
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) { /* a grandchild that waits for go's EOF */
		close(go[1]);
		pid_t g = fork();
		if (g == 0) {
			read(go[0], &c, 1);
			_exit(0);
		}
		write(info[1], &g, sizeof(g));
		_exit(ut_wait(g) == 0 ? 0 : 1);
	}
	close(go[0]);
	close(info[1]);
	CHECK_EQ(read(info[0], &grandchild, sizeof(grandchild)),
		 sizeof(grandchild));
	close(info[0]);
	EXPECT_ERR(native_wait(grandchild, 0, WNOHANG, res), ECHILD);
	EXPECT_ERR(native_wait(getppid(), 0, WNOHANG, res), ECHILD);
	EXPECT_ERR(native_wait(0, child + 100000, WNOHANG, res), ECHILD);
	EXPECT_ERR(native_wait(child, 0, 0x40, res), EINVAL);
	EXPECT_EQ(native_wait(child, 0, WNOHANG, res), 0);
	close(go[1]); /* the grandchild ends, then the child */
	EXPECT_ERR(native_wait(child, 0, 0, (void *)8), EFAULT);
	EXPECT_ERR(native_wait(child, 0, WNOHANG, res), ECHILD);
	if ((child = fork()) == 0)
		_exit(7);
	CHECK(child > 0);
	EXPECT_EQ(native_wait(-1, -1, 0, res), child);
	EXPECT_EQ(res[0], 7 << 8);
}

static void reboot_as_user(void)
{
	CHECK_EQ(setuid(USER), 0);
	CHECK_ERR(syscall(LUX_NR_REBOOT, LUX_REBOOT_HALT), EPERM);
	CHECK_ERR(syscall(LUX_NR_REBOOT, LUX_REBOOT_POWER_OFF), EPERM);
	CHECK_ERR(syscall(LUX_NR_REBOOT, 99), EPERM);
}

/* LUX_NR_REBOOT, the primitive of the personality's reboot, called
 * directly: only root may stop the machine, as with reboot; root gets
 * EINVAL for anything but halt, power off and restart. */
static void native_reboot_root_only(void)
{
	CHECK(ut_in_child(reboot_as_user));
	CHECK_ERR(syscall(LUX_NR_REBOOT, 3), EINVAL);
	CHECK_ERR(syscall(LUX_NR_REBOOT, -1), EINVAL);
}

/* LUX_NR_EPOLL and LUX_NR_EVENT called directly: flags, operations,
 * batch sizes and pointers checked; a timer descriptor of 1 ns counts
 * its expirations without waking more than once; a signal descriptor
 * of every signal never takes SIGKILL or SIGSTOP. */
/* A native call with every argument a long (a variadic int would leave
 * the register's upper half undefined). */
#define NAT(...) nat_call((const long[]){__VA_ARGS__, 0, 0, 0, 0, 0, 0})
static long nat_call(const long *a)
{
	return syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}

static void native_event(void)
{
	struct lux_epoll_event ev[2];
	uint64_t old[2], n, all = ~0ULL;
	char buf[128];
	int p[2], efd = eventfd(0L, 0L);
	CHECK_EQ(pipe(p), 0L);
	CHECK_ERR(NAT(LUX_NR_EPOLL, LUX_EPOLL_CREATE, 1), EINVAL);
	int ep = NAT(LUX_NR_EPOLL, LUX_EPOLL_CREATE, 0L);
	CHECK(ep >= 0L);
	CHECK_ERR(NAT(LUX_NR_EPOLL, 9, ep, p[0], 1, 0L), EINVAL);
	CHECK_EQ(NAT(LUX_NR_EPOLL, 1, ep, p[1], 4, 77), 0L);
	CHECK_ERR(NAT(LUX_NR_EPOLL, LUX_EPOLL_WAIT, ep, 0L, (long)ev, 0L, 0L),
		  EINVAL);
	CHECK_ERR(NAT(LUX_NR_EPOLL, LUX_EPOLL_WAIT, ep, LUX_EPOLL_BATCH + 1,
		      (long)ev, 0L, 0L),
		  EINVAL);
	CHECK_ERR(NAT(LUX_NR_EPOLL, LUX_EPOLL_WAIT, ep, 2, (long)UT_KERNEL_ADDR,
		      0L, 0L),
		  EFAULT);
	CHECK_ERR(NAT(LUX_NR_EPOLL, LUX_EPOLL_WAIT, ep, 2, (long)ev, 0L,
		      (long)UT_KERNEL_ADDR),
		  EFAULT);
	CHECK_EQ(NAT(LUX_NR_EPOLL, LUX_EPOLL_WAIT, ep, 2, (long)ev, 0L, 0L), 1);
	CHECK_EQ(ev[0].data, 77);
	CHECK_ERR(NAT(LUX_NR_EPOLL, LUX_EPOLL_WAIT, p[0], 2, (long)ev, 0L, 0L),
		  EINVAL);
	CHECK_ERR(NAT(LUX_NR_EVENT, 9, 0L, 0L, 0L, 0L), EINVAL);
	CHECK_ERR(NAT(LUX_NR_EVENT, LUX_EVENT_TIMERFD, 1, 0L), EINVAL);
	CHECK_ERR(
	    NAT(LUX_NR_EVENT, LUX_EVENT_TIMERSET, efd, -1L, 0L, (long)old),
	    EINVAL);
	CHECK_ERR(
	    NAT(LUX_NR_EVENT, LUX_EVENT_TIMERSET, p[0], -1L, 0L, (long)old),
	    EINVAL);
	int t = NAT(LUX_NR_EVENT, LUX_EVENT_TIMERFD, 0L, 1);
	CHECK(t >= 0L);
	CHECK_ERR(NAT(LUX_NR_EVENT, LUX_EVENT_TIMERSET, t, -1L, 0L,
		      (long)UT_KERNEL_ADDR),
		  EFAULT);
	CHECK_EQ(NAT(LUX_NR_EVENT, LUX_EVENT_TIMERSET, t, 1, 1, (long)old), 1);
	ut_sleep_ms(20);
	CHECK_EQ(read(t, &n, 8), 8);
	CHECK(n > 1000000);
	int s = NAT(LUX_NR_EVENT, LUX_EVENT_SIGNALFD, -1, all, 04000);
	CHECK(s >= 0L);
	CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN);
	CHECK_ERR(NAT(LUX_NR_EVENT, LUX_EVENT_SIGNALFD, p[0], all, 0L), EINVAL);
	close(s);
	close(t);
	close(ep);
	close(efd);
	close(p[0]);
	close(p[1]);
}

/* LUX_NR_ALARM, the primitive of the personality's setitimer, getitimer
 * and alarm, called directly: the caller's own timer only, read back as
 * set; -1 keeps it; a bad result pointer EFAULT, the timer set all the
 * same. */
static void native_alarm_own_timer(void)
{
	uint64_t old[2];

	CHECK_EQ(syscall(LUX_NR_ALARM, 3600000000000L, 5000, old, 0), 0);
	CHECK_EQ(syscall(LUX_NR_ALARM, -1L, 0, old, 0), 0);
	EXPECT_EQ(old[0], 5000);
	EXPECT(old[1] > 3500000000000 && old[1] <= 3600000000000);
	CHECK_ERR(syscall(LUX_NR_ALARM, 7000000000000L, 0, (void *)8, 0),
		  EFAULT);
	CHECK_EQ(syscall(LUX_NR_ALARM, 0, 0, old, 0), 0);
	EXPECT_EQ(old[0], 0);
	EXPECT(old[1] > 6900000000000 && old[1] <= 7000000000000);
	CHECK_EQ(syscall(LUX_NR_ALARM, -1L, 0, old, 0), 0);
	EXPECT_EQ(old[0], 0);
	EXPECT_EQ(old[1], 0);
}

/* A timer with a 1 ns interval (setitimer can make one of 512 ns by an
 * overflowing tv_sec) fires at most once per timer interrupt: periods it
 * fell behind are skipped. Before, each expiry re-armed at the missed
 * deadline plus the interval, so the timer interrupt looped over every
 * period it fell behind, longer each time, with interrupts masked: the
 * CPU hung and the child could not even be killed. */
static void native_alarm_storm(void)
{
	uint64_t old[2];
	int st;

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGALRM, SIG_IGN);
		syscall(LUX_NR_ALARM, 1, 1, old, 0);
		for (;;)
			;
	}
	usleep(200000);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	st = ut_wait(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* LUX_NR_ALARM's CPU-time timers (1 ITIMER_VIRTUAL, 2 ITIMER_PROF) called
 * directly: the caller's own, read back as set (a value too large for the
 * clock is cut, not wrapped), not the child's after fork; another timer
 * EINVAL; a bad result pointer EFAULT, the timer set all the same. */
static void native_cputimer_own(void)
{
	uint64_t old[2];

	for (long which = 1; which <= 2; which++) {
		CHECK_EQ(
		    syscall(LUX_NR_ALARM, 3600000000000L, 7000, old, which), 0);
		CHECK_EQ(syscall(LUX_NR_ALARM, -1L, 0, old, which), 0);
		EXPECT_EQ(old[0], 7000);
		EXPECT(old[1] > 3500000000000 && old[1] <= 3600000000000);
		pid_t pid = fork();
		if (pid == 0)
			_exit(syscall(LUX_NR_ALARM, -1L, 0, old, which) ||
			      old[0] || old[1]);
		CHECK_EQ(ut_wait(pid), 0);
		CHECK_ERR(syscall(LUX_NR_ALARM, -2L, 0, (void *)8, which),
			  EFAULT);
		CHECK_EQ(syscall(LUX_NR_ALARM, 0, 0, old, which), 0);
		EXPECT(old[1] > (1ULL << 61) && old[1] <= (1ULL << 62));
		CHECK_EQ(syscall(LUX_NR_ALARM, -1L, 0, old, which), 0);
		EXPECT_EQ(old[1], 0);
	}
	CHECK_ERR(syscall(LUX_NR_ALARM, 1000, 0, old, 3L), EINVAL);
	CHECK_ERR(syscall(LUX_NR_ALARM, 1000, 0, old, -1L), EINVAL);
}

/* CPU-time timers of 1 ns, both, on a spinning child that ignores their
 * signals: they fire at most once per tick, so the system goes on (this
 * test's sleep ends) and the child dies by SIGKILL. */
static void native_cputimer_storm(void)
{
	uint64_t old[2];
	int st;

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGPROF, SIG_IGN);
		signal(SIGVTALRM, SIG_IGN);
		syscall(LUX_NR_ALARM, 1, 1, old, 1);
		syscall(LUX_NR_ALARM, 1, 1, old, 2);
		for (;;)
			;
	}
	usleep(300000);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	st = ut_wait(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* LUX_NR_CHDIR's read form, getcwd's primitive, called directly: the
 * caller's own directory only (there is no pid to name another's), as
 * getcwd says it; too small ERANGE, a bad buffer EFAULT; and setting a
 * relative one EINVAL, the directory unchanged. */
static void native_cwd_own(void)
{
	char buf[256], want[256];

	CHECK(getcwd(want, sizeof(want)) != NULL);
	CHECK_EQ(syscall(LUX_NR_CHDIR, buf, sizeof(buf)), strlen(want) + 1);
	CHECK(strcmp(buf, want) == 0);
	CHECK_ERR(syscall(LUX_NR_CHDIR, buf, strlen(want)), ERANGE);
	CHECK_ERR(syscall(LUX_NR_CHDIR, buf, -1L), ERANGE);
	CHECK_ERR(syscall(LUX_NR_CHDIR, (void *)8, sizeof(buf)), EFAULT);
	CHECK_ERR(syscall(LUX_NR_CHDIR, "tmp", 0), EINVAL);
	CHECK_ERR(syscall(LUX_NR_CHDIR, (void *)8, 0), EFAULT);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(strcmp(buf, want) == 0);
}

/* native_procinfo_items as a user: root's (PID 1's) program, directory,
 * descriptors and areas are EACCES, as /proc/1/exe, cwd, fd/ and maps
 * are on Linux; its threads and its own details are not. */
static void procinfo_as_user(void)
{
	char buf[4096];
	uint64_t from = 0;

	CHECK(drop());
	for (long item = LUX_PROCINFO_EXE; item <= LUX_PROCINFO_MAPS; item++)
		CHECK_ERR(syscall(LUX_NR_PROCINFO, 1, buf, item, sizeof(buf)),
			  EACCES);
	CHECK_ERR(
	    syscall(LUX_NR_PROCINFO, 1, buf, LUX_PROCINFO_FD + 0, sizeof(buf)),
	    EACCES);
	CHECK(syscall(LUX_NR_PROCINFO, 1, buf, LUX_PROCINFO_TASKS,
		      sizeof(buf)) >= 1);
	CHECK(syscall(LUX_NR_PROCINFO, getpid(), buf, LUX_PROCINFO_CWD,
		      sizeof(buf)) > 1);
	memcpy(buf, &from, sizeof(from));
	CHECK(syscall(LUX_NR_PROCINFO, getpid(), buf, LUX_PROCINFO_MAPS,
		      sizeof(buf)) > 0);
}

/* LUX_READONLY as a user, straight to ramfs: EPERM, and /tmp stays
 * writable (only root remounts, as on Linux). */
static void readonly_as_user(void)
{
	char path[64];
	int fd;

	CHECK(drop());
	CHECK((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) >= 0);
	memset(&m, 0, sizeof(m));
	m.q.op = LUX_IOCTL;
	m.q.len = sizeof(m.q);
	m.q.count = LUX_READONLY;
	m.q.off = 1;
	m.q.uid = 0; /* forged: the kernel stamps the caller's */
	CHECK_EQ(request(LUX_REQ_FD(fd), 0), 0);
	CHECK_EQ(a.rep.result, -EPERM);
	close(fd);
	snprintf(path, sizeof(path), "/tmp/bypass-ro.%d", (int)getpid());
	CHECK((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	close(fd);
	CHECK_EQ(unlink(path), 0);
}

/* The LUX_READONLY IOCTL, which makes a file system server refuse every
 * change: only root may send it. */
static void readonly_root_only(void)
{
	CHECK(ut_in_child(readonly_as_user));
}

/* LUX_NR_PROCINFO's items, the primitive under /proc/<pid>/exe, cwd, fd/,
 * maps and task/, called directly: another user's are refused as Linux
 * refuses the files; bad items, pids, sizes and buffers fail cleanly;
 * a buffer too small is ERANGE, never an overrun. */
static void native_procinfo_items(void)
{
	char buf[64];

	CHECK(ut_in_child(procinfo_as_user));
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), buf, 5L, sizeof(buf)),
		  EINVAL);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), buf, -1L, sizeof(buf)),
		  EINVAL);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), buf,
			  LUX_PROCINFO_FD + LUX_FD_MAX, sizeof(buf)),
		  EINVAL);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, 999999, buf, LUX_PROCINFO_CWD,
			  sizeof(buf)),
		  ESRCH);
	CHECK_ERR(
	    syscall(LUX_NR_PROCINFO, getpid(), buf, LUX_PROCINFO_CWD, -1L),
	    EINVAL);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), buf, LUX_PROCINFO_EXE, 2L),
		  ERANGE);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), (void *)8,
			  LUX_PROCINFO_EXE, sizeof(buf)),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), (void *)8,
			  LUX_PROCINFO_MAPS, sizeof(buf)),
		  EFAULT);
	CHECK_ERR(syscall(LUX_NR_PROCINFO, getpid(), buf, LUX_PROCINFO_FD + 999,
			  sizeof(buf)),
		  EBADF);
	CHECK(syscall(LUX_NR_PROCINFO, getpid(), buf, LUX_PROCINFO_EXE,
		      sizeof(buf)) > 1);
	CHECK(buf[0] == '/');
}

static void root_as_user(void)
{
	char buf[64];

	if (!drop())
		return;
	CHECK_ERR(syscall(LUX_NR_ROOT, "/tmp", 0), EPERM);
	CHECK_ERR(syscall(LUX_NR_ROOT, "/", 0), EPERM);
	CHECK_EQ(syscall(LUX_NR_ROOT, buf, sizeof(buf)), 2);
	CHECK(strcmp(buf, "/") == 0);
}

static void root_set_child(void)
{
	char buf[64];

	CHECK_ERR(syscall(LUX_NR_ROOT, "tmp", 0), EINVAL);
	CHECK_ERR(syscall(LUX_NR_ROOT, (void *)8, 0), EFAULT);
	CHECK_ERR(syscall(LUX_NR_ROOT, buf, 1L), ERANGE);
	CHECK_EQ(syscall(LUX_NR_ROOT, "/tmp", 0), 0);
	CHECK_EQ(syscall(LUX_NR_ROOT, buf, sizeof(buf)), 5);
	CHECK(strcmp(buf, "/tmp") == 0);
	/* (this image's personality knew it had no root: the kernel refuses
	 * its next route to a server, ESTALE, and it asks again) */
	CHECK(setuid(USER) == 0); /* kept by a user it became, who ... */
	CHECK_ERR(syscall(LUX_NR_ROOT, "/", 0), EPERM); /* cannot undo it */
	CHECK_EQ(syscall(LUX_NR_ROOT, buf, sizeof(buf)), 5);
}

/* LUX_NR_ROOT, chroot's primitive, called directly: a user may read its
 * root but never set it, not even to "/" (EPERM, as chroot without
 * CAP_SYS_CHROOT); root's relative path EINVAL, a bad one EFAULT; a
 * root set is kept through setuid and cannot be undone by the user. */
static void native_root_only(void)
{
	CHECK(ut_in_child(root_as_user));
	CHECK(ut_in_child(root_set_child));
}

/* native_inet as a user: the TCP/IP server's requests, made directly,
 * give what the socket calls would: no port below 1024 (EACCES), no
 * connection by a token it was not given, a socket only by its own
 * descriptor. */
static void inet_as_user(void)
{
	int fd;

	CHECK_EQ(setuid(USER), 0);
	CHECK((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&m, 0, sizeof(m));
	m.q.op = LUX_IOCTL;
	m.q.len = sizeof(m.q) + 16;
	m.q.count = LUX_INET_BIND;
	m.q.uid = 0; /* forged: the kernel stamps the caller's */
	uint16_t fam = AF_INET, port = htons(80);
	memcpy(m.data, &fam, 2);
	memcpy(m.data + 2, &port, 2);
	CHECK_EQ(request(LUX_REQ_FD(fd), 0), 0);
	CHECK_EQ(a.rep.result, -EACCES);
	m.q.count = LUX_INET_ACCEPT; /* not listening */
	CHECK_EQ(request(LUX_REQ_FD(fd), 0), 0);
	CHECK_EQ(a.rep.result, -EINVAL);
	CHECK_ERR(open("/run/inet/accept/0123456789abcdef", O_RDWR),
		  ECONNABORTED);
	CHECK_ERR(open("/run/inet/accept/0", O_RDWR), ECONNABORTED);
	CHECK_ERR(open("/run/inet/raw", O_RDWR), ENOENT);
	close(fd);
}

/* LUX_NR_SOCKET's LUX_SOCK_LISTEN and LUX_SOCK_SHUTDOWN, called
 * directly, are Linux's listen and shutdown (their errors too), and the
 * TCP/IP server's requests give a user no more than its socket calls. */
static void native_inet(void)
{
	int p[2], d = socket(AF_UNIX, SOCK_DGRAM, 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	CHECK(d >= 0 && s >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(syscall(LUX_NR_SOCKET, LUX_SOCK_LISTEN, p[0], 1), ENOTSOCK);
	CHECK_ERR(syscall(LUX_NR_SOCKET, LUX_SOCK_LISTEN, -1, 1), EBADF);
	CHECK_ERR(syscall(LUX_NR_SOCKET, LUX_SOCK_LISTEN, d, 1), EOPNOTSUPP);
	CHECK_ERR(syscall(LUX_NR_SOCKET, LUX_SOCK_LISTEN, s, 1), EINVAL);
	CHECK_ERR(syscall(LUX_NR_SOCKET, LUX_SOCK_SHUTDOWN, s, 0), ENOTCONN);
	CHECK_ERR(syscall(LUX_NR_SOCKET, LUX_SOCK_SHUTDOWN, d, 5), EINVAL);
	CHECK_ERR(syscall(LUX_NR_SOCKET, 99, s, 0), EINVAL);
	close(p[0]);
	close(p[1]);
	close(d);
	close(s);
	CHECK(ut_in_child(inet_as_user));
}

/* The child of native_unshare_own: shares its parent's table, makes it
 * its own with LUX_NR_UNSHARE, then closes fd in its copy only. */
static int unshare_child(void *arg)
{
	int fd = *(int *)arg;

	if (syscall(LUX_NR_UNSHARE) != 0 || close(fd) != 0)
		_exit(1);
	_exit(fcntl(fd, F_GETFD) == -1 && errno == EBADF ? 0 : 2);
}

/* LUX_NR_UNSHARE, the primitive of close_range's CLOSE_RANGE_UNSHARE,
 * called directly acts on the caller's table only: 0 when it is its own
 * already; a CLONE_FILES child gets a copy, whose closes the parent does
 * not see. */
static void native_unshare_own(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int p[2];

	CHECK_EQ(syscall(LUX_NR_UNSHARE), 0);
	CHECK_EQ(pipe(p), 0);
	pid_t pid = clone(unshare_child, stack + sizeof(stack),
			  CLONE_FILES | SIGCHLD, &p[0]);
	CHECK(pid > 0);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(fcntl(p[0], F_GETFD), 0); /* still open here */
	close(p[0]);
	close(p[1]);
}

/* LUX_NR_PROCCTL called directly acts on the caller only (it names no
 * other process), as prctl: bad requests EINVAL, a value read back by
 * prctl, and a fork child starts without either setting. */
static void native_procctl_own(void)
{
	int sig = -1;

	/* every argument a long: syscall() reads six of them */
	CHECK_ERR(syscall(LUX_NR_PROCCTL, 2L, 0L), EINVAL);
	CHECK_ERR(syscall(LUX_NR_PROCCTL, (long)LUX_PROC_PDEATHSIG, 65L),
		  EINVAL);
	CHECK_EQ(
	    syscall(LUX_NR_PROCCTL, (long)LUX_PROC_PDEATHSIG, (long)SIGUSR2),
	    0);
	CHECK_EQ(prctl(PR_GET_PDEATHSIG, &sig), 0);
	CHECK_EQ(sig, SIGUSR2);
	CHECK_EQ(syscall(LUX_NR_PROCCTL, (long)LUX_PROC_SUBREAPER, 5L), 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(syscall(LUX_NR_PROCCTL, (long)LUX_PROC_PDEATHSIG, -1L) ==
				  0 &&
			      syscall(LUX_NR_PROCCTL, (long)LUX_PROC_SUBREAPER,
				      -1L) == 0
			  ? 0
			  : 1);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(syscall(LUX_NR_PROCCTL, (long)LUX_PROC_SUBREAPER, 0L), 1);
	CHECK_EQ(syscall(LUX_NR_PROCCTL, (long)LUX_PROC_PDEATHSIG, 0L),
		 SIGUSR2);
}

static pid_t affinity_target;

static void affinity_as_user(void)
{
	uint64_t old = 0, one;

	CHECK_EQ(setuid(USER), 0);
	/* reading another user's mask is anyone's, as sched_getaffinity */
	CHECK(syscall(LUX_NR_AFFINITY, affinity_target, 0, 0, &old) >= 0);
	CHECK(old != 0);
	one = old & -old;
	CHECK_ERR(syscall(LUX_NR_AFFINITY, affinity_target, 1, one, NULL),
		  EPERM);
	CHECK_ERR(syscall(LUX_NR_AFFINITY, affinity_target, 1, one, &old),
		  EPERM);
	/* its own: yes, and a mask of no online CPU EINVAL */
	CHECK(syscall(LUX_NR_AFFINITY, 0, 1, one, NULL) >= 0);
	CHECK_ERR(syscall(LUX_NR_AFFINITY, 0, 1, 0, NULL), EINVAL);
	CHECK_ERR(syscall(LUX_NR_AFFINITY, 0, 0, 0, (void *)8), EFAULT);
	CHECK_ERR(syscall(LUX_NR_AFFINITY, 0x7fffffff, 0, 0, &old), ESRCH);
}

/* LUX_NR_AFFINITY, the primitive of the personality's sched_getaffinity,
 * sched_setaffinity and getcpu, called directly: a user cannot set the
 * CPUs of root's process (EPERM, its mask unchanged), root can; once
 * set, the caller runs on its CPU, as getcpu says. */
static void native_affinity_rules(void)
{
	uint64_t before = 0, after = 0, one;
	int go[2];
	char c;

	CHECK_EQ(pipe(go), 0);
	affinity_target = fork();
	CHECK(affinity_target >= 0);
	if (affinity_target == 0) {
		close(go[1]);
		read(go[0], &c, 1);
		_exit(0);
	}
	close(go[0]);
	CHECK(syscall(LUX_NR_AFFINITY, affinity_target, 0, 0, &before) >= 0);
	CHECK(ut_in_child(affinity_as_user));
	CHECK(syscall(LUX_NR_AFFINITY, affinity_target, 0, 0, &after) >= 0);
	CHECK_EQ(after, before);
	one = before & -before;
	CHECK(syscall(LUX_NR_AFFINITY, affinity_target, 1, one, NULL) >= 0);
	CHECK(syscall(LUX_NR_AFFINITY, affinity_target, 0, 0, &after) >= 0);
	CHECK_EQ(after, one);
	close(go[1]);
	CHECK_EQ(ut_wait(affinity_target), 0);
	unsigned cpu = ~0u;
	CHECK(syscall(LUX_NR_AFFINITY, 0, 1, one, NULL) >= 0);
	CHECK_EQ(syscall(SYS_getcpu, &cpu, NULL, NULL), 0);
	CHECK_EQ(cpu, __builtin_ctzll(one));
	CHECK(syscall(LUX_NR_AFFINITY, 0, 1, before, NULL) >= 0);
}

/* A LOCK request about fd, forged (root, pid 1, count a guess at
 * another description's number), for type over [start, end]: the
 * reply's result, or -1000 - errno when the kernel refused it. */
static long raw_lock(int fd, unsigned flags, uint32_t type, int64_t start,
		     int64_t end)
{
	struct lux_lock l = {start, end, type, 1};

	forge(LUX_LOCK, NULL, 0);
	m.q.flags = flags;
	m.q.count = 1; /* OPEN ids start at 1: someone's description */
	memcpy(m.data, &l, sizeof(l));
	m.q.len = sizeof(m.q) + sizeof(l);
	return request(LUX_REQ_FD(fd), 0) < 0 ? -1000 - errno : a.rep.result;
}

static char lock_file[96];
static pid_t lock_holder;

/* With the personality skipped, as uid 1000: a forged pid or
 * description number releases nothing of the holder's, GET shows its
 * lock and pid (as F_GETLK would), UNLOCK cannot be sent, malformed
 * requests are refused, a waiting request blocks no other, and the
 * locks one owner may hold are bounded (ENOLCK). */
static void lock_child(void)
{
	int fd = open(lock_file, O_RDWR), n = 0;
	long r;
	struct lux_lock got;

	CHECK(fd >= 0);
	if (!drop())
		return;
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET, LUX_LOCK_UN, 0, INT64_MAX), 0);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET | LUX_LOCK_OFD, LUX_LOCK_UN, 0,
			  INT64_MAX),
		 0);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_GET, LUX_LOCK_WR, 0, 0), 0);
	memcpy(&got, a.data, sizeof(got));
	CHECK_EQ(got.type, LUX_LOCK_WR);
	CHECK_EQ(got.pid, lock_holder);
	CHECK_EQ(got.end, 9);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET, LUX_LOCK_WR, 5, 5), -EAGAIN);
	CHECK_EQ(on_fd(fd, LUX_UNLOCK, 0, 0), -1000 - EINVAL);
	CHECK_EQ(raw_lock(fd, 3, LUX_LOCK_WR, 0, 0), -EINVAL);
	CHECK_EQ(raw_lock(fd, 16, LUX_LOCK_WR, 0, 0), -EINVAL);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET, 7, 0, 0), -EINVAL);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET, LUX_LOCK_WR, 9, 8), -EINVAL);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET, LUX_LOCK_WR, -2, 8), -EINVAL);
	/* an OFD lock's owner is the kernel's number of the description,
	 * whatever count the request says: one descriptor is one owner,
	 * another open of the file another */
	int other = open(lock_file, O_RDWR);
	CHECK(other >= 0);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_SET | LUX_LOCK_OFD, LUX_LOCK_WR, 50, 50),
		 0);
	m.q.count = 2;
	CHECK_EQ(request(LUX_REQ_FD(fd), 0), 0);
	CHECK_EQ(a.rep.result, 0);
	CHECK_EQ(
	    raw_lock(other, LUX_LOCK_SET | LUX_LOCK_OFD, LUX_LOCK_WR, 50, 50),
	    -EAGAIN);
	close(other);
	forge(LUX_LOCK, NULL, 0); /* no payload */
	CHECK_EQ(request(LUX_REQ_FD(fd), 0), 0);
	CHECK_EQ(a.rep.result, -EINVAL);
	pid_t waiter = fork();
	if (waiter == 0) /* waits for the holder's lock, forever */
		_exit(raw_lock(fd, LUX_LOCK_WAIT, LUX_LOCK_WR, 0, 0) == 0);
	ut_sleep_ms(100);
	while ((r = raw_lock(fd, LUX_LOCK_SET, LUX_LOCK_RD, 100 + 2 * n,
			     100 + 2 * n)) == 0 &&
	       n < 100000)
		n++;
	CHECK_EQ(r, -ENOLCK);
	CHECK(n >= 1000 && n <= 1024);
	CHECK_EQ(raw_lock(fd, LUX_LOCK_GET, LUX_LOCK_WR, 102, 102), 0);
	memcpy(&got, a.data, sizeof(got));
	CHECK_EQ(got.type, LUX_LOCK_UN); /* its own locks: no conflict */
	ut_kill(waiter);                 /* CANCEL: the server drops its wait */
}

static void lock_owner(void)
{
	struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 10};
	int fd;

	snprintf(lock_file, sizeof(lock_file), "/tmp/bypass-lock.%d",
		 (int)getpid());
	lock_holder = getpid();
	CHECK((fd = open(lock_file, O_RDWR | O_CREAT | O_TRUNC, 0666)) >= 0);
	CHECK_EQ(fchmod(fd, 0666), 0);
	CHECK_EQ(fcntl(fd, F_SETLK, &l), 0);
	ut_in_child(lock_child);
	/* the holder's lock is whole; the child's went with it */
	l.l_type = F_UNLCK;
	CHECK_EQ(fcntl(fd, F_SETLK, &l), 0);
	l = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
	CHECK_EQ(fcntl(fd, F_OFD_SETLK, &l), 0); /* nothing of the child's */
	close(fd);
	unlink(lock_file);
	servers_answer();
}

/* chroot_native: a jail under dir with a file "in", a link "abs" whose
 * absolute target is the real path of dir/outside, a file any user may
 * read: only the root confines what the user is refused below. */
static char jail[128], outside[128], in_jail[160];

static int jail_make(void)
{
	char link[160];
	int fd;

	snprintf(jail, sizeof(jail), "%s/jail", dir);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	snprintf(in_jail, sizeof(in_jail), "%s/in", jail);
	snprintf(link, sizeof(link), "%s/abs", jail);
	mkdir(dir, 0755);
	mkdir(jail, 0755);
	unlink(link);
	if (symlink(outside, link))
		return 0;
	for (int i = 0; i < 2; i++) {
		fd = open(i ? in_jail : outside, O_WRONLY | O_CREAT | O_TRUNC,
			  0644);
		if (fd < 0 || write(fd, i ? "in" : "out", i ? 2 : 3) < 0)
			return 0;
		close(fd);
	}
	return 1;
}

static void jail_clean(void)
{
	char link[160];

	snprintf(link, sizeof(link), "%s/abs", jail);
	unlink(link);
	unlink(in_jail);
	unlink(outside);
	rmdir(jail);
	rmdir(dir);
}

/* A native OPEN of path (from base) through the resolver: the new
 * descriptor, or -errno. */
static long native_open(const char *path, long base, const char *name)
{
	const char *s[1] = {path};

	forge(LUX_OPEN, s, 1);
	if (syscall(LUX_NR_REQUEST, (long)LUX_REQ_RESOLVER, base, &m, &a,
		    sizeof(a), name) < 0)
		return -errno;
	return a.rep.op == LUX_REPLY ? a.rep.result : -1000 - (long)a.rep.op;
}

/* What descriptor fd reads, as a string in buf (16 bytes). */
static const char *fd_text(long fd, char *buf)
{
	ssize_t n = fd >= 0 ? read(fd, buf, 15) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

static void jailed_child(void)
{
	char buf[160], up[192];
	long fd, gen, r;
	const char *two[2] = {in_jail, outside};

	CHECK(chroot(jail) == 0 && chdir("/") == 0);
	int inside_fd = open("/", O_RDONLY | O_DIRECTORY);
	if (!drop())
		return;
	/* An outside path, or one that climbs: no such file, as on Linux. */
	CHECK_EQ(native_open(outside, 0, NULL), -ENOENT);
	snprintf(up, sizeof(up), "%s/../outside", jail);
	CHECK_EQ(native_open(up, 0, NULL), -ENOENT);
	snprintf(up, sizeof(up), "%s/./../outside", jail);
	CHECK_EQ(native_open(up, 0, NULL), -ENOENT);
	CHECK_EQ(native_open("/", 0, NULL), -ENOENT);
	CHECK_EQ(native_open("/run/inet/../../etc/passwd", 0, NULL), -ENOENT);
	/* A base claimed that is inside: still confined. */
	CHECK_EQ(native_open(outside, LUX_REQ_BASE(AT_FDCWD), NULL), -ENOENT);
	CHECK_EQ(native_open(outside, LUX_REQ_BASE(inside_fd), NULL), -ENOENT);
	CHECK_EQ(native_open(outside, LUX_REQ_BASE(99), NULL), -ENOENT);
	/* Its real path inside the root opens; the descriptor's name is the
	 * kernel's, not the one the caller gave. */
	CHECK_EQ(strcmp(fd_text(native_open(in_jail, 0, NULL), buf), "in"), 0);
	fd = native_open(jail, 0, "/");
	CHECK(fd >= 0);
	CHECK(syscall(LUX_NR_FDPATH, fd, buf, sizeof(buf)) > 0);
	CHECK_EQ(strcmp(buf, jail), 0);
	CHECK_EQ(native_open(outside, LUX_REQ_BASE(fd), NULL), -ENOENT);
	close(fd);
	/* A link with an absolute target: the FOLLOW, its offset counted in
	 * the path as sent; the target spliced as it is names a path outside. */
	snprintf(up, sizeof(up), "%s/abs", jail);
	const char *s[1] = {up};
	forge(LUX_OPEN, s, 1);
	CHECK_EQ(syscall(LUX_NR_REQUEST, (long)LUX_REQ_RESOLVER, 0L, &m, &a,
			 sizeof(a), NULL),
		 0);
	CHECK_EQ(a.rep.op, LUX_FOLLOW);
	CHECK_EQ(a.rep.off, strlen(up));
	CHECK_EQ(native_open("/tmp", 0, NULL), -ENOENT);
	/* Straight to the server of "/", by the table: refused. */
	CHECK(root_route(&fd, &gen));
	s[0] = outside + 1;
	forge(LUX_OPEN, s, 1);
	CHECK_ERR(request(fd, gen), ESTALE);
	s[0] = in_jail + 1;
	forge(LUX_STAT, s, 1);
	CHECK_ERR(request(fd, gen), ESTALE);
	/* Two paths, the second outside; making a directory outside. */
	forge(LUX_RENAME, two, 2);
	CHECK_ERR(request(LUX_REQ_RESOLVER, 0), ENOENT);
	forge(LUX_LINK, two, 2);
	CHECK_ERR(request(LUX_REQ_RESOLVER, 0), ENOENT);
	snprintf(up, sizeof(up), "%s/made", dir);
	s[0] = up;
	forge(LUX_MKDIR, s, 1);
	CHECK_ERR(request(LUX_REQ_RESOLVER, 0), ENOENT);
	/* The current directory cannot be set outside, not even to "/". */
	CHECK_ERR(syscall(LUX_NR_CHDIR, "/", 0, 0), ENOENT);
	CHECK_ERR(syscall(LUX_NR_CHDIR, dir, 0, LUX_REQ_BASE(AT_FDCWD)),
		  ENOENT);
	CHECK_EQ(syscall(LUX_NR_CHDIR, jail, 0, 0), 0);
	r = syscall(LUX_NR_CHDIR, buf, sizeof(buf));
	CHECK(r > 0 && strcmp(buf, jail) == 0);
}

static void free_child(void)
{
	char buf[16];
	int out = open(dir, O_RDONLY | O_DIRECTORY);

	CHECK(out >= 0 && chroot(jail) == 0 && chdir("/") == 0);
	if (!drop())
		return;
	/* A directory held outside the root frees the paths from it, as
	 * ".." from it does on Linux. */
	CHECK_EQ(
	    strcmp(fd_text(native_open(outside, LUX_REQ_BASE(out), NULL), buf),
		   "out"),
	    0);
	CHECK_EQ(native_open(outside, 0, NULL), -ENOENT);
	CHECK_EQ(syscall(LUX_NR_CHDIR, dir, 0, LUX_REQ_BASE(out)), 0);
	CHECK_EQ(
	    strcmp(fd_text(native_open(outside, LUX_REQ_BASE(AT_FDCWD), NULL),
			   buf),
		   "out"),
	    0);
}

/* A chrooted process that dropped root, speaking the native calls
 * itself, names nothing outside its root: paths outside or climbing out
 * of it (ENOENT, as on Linux), a claimed base inside it, a descriptor
 * named as the caller likes, a link's target spliced as it likes, a
 * server addressed directly (ESTALE: only by the resolver), two-path
 * operations, LUX_NR_CHDIR. A directory held outside, opened before
 * chroot, frees it, as on Linux. */
static void chroot_native(void)
{
	CHECK(jail_make());
	CHECK(ut_in_child(jailed_child));
	CHECK(ut_in_child(free_child));
	CHECK_EQ(access(outside, F_OK), 0);
	jail_clean();
}

/* A ticket of the loop server for fd, asked on its socket directly
 * (docs/decisions/0039-loop.md): the connection (which keeps the
 * descriptor there), or -1. */
static int loop_ticket(int fd, uint64_t *t)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, LOOP_SOCKET, sizeof(LOOP_SOCKET) - 1);
	if (s >= 0 &&
	    connect(s, (struct sockaddr *)&a,
		    offsetof(struct sockaddr_un, sun_path) +
			sizeof(LOOP_SOCKET) - 1) == 0 &&
	    ut_send_fd(s, fd) && recv(s, t, sizeof(*t), 0) == sizeof(*t))
		return s;
	if (s >= 0)
		close(s);
	return -1;
}

static void loop_user(void)
{
	uint64_t t = 0;
	int f = open("/dev/null", O_RDWR), s;

	if (!drop())
		return;
	CHECK((s = loop_ticket(f, &t)) >= 0); /* its own descriptor */
	CHECK(t != 0);
	CHECK_ERR(open("/dev/loop7", O_RDWR), EACCES);
	CHECK_ERR(open("/dev/loop7", O_RDONLY), EACCES);
	CHECK_ERR(open("/dev/loop-control", O_RDWR), EACCES);
	close(s);
}

/* LOOP_SET_FD through a request made by hand: the ticket's input. */
static long loop_set_fd(int dev, uint64_t ticket)
{
	struct loop_pass p = {.ticket = ticket};

	forge(LUX_IOCTL, NULL, 0);
	m.q.count = LOOP_SET_FD;
	memcpy(m.data, &p, sizeof(p));
	m.q.len = sizeof(m.q) + sizeof(p);
	return request(LUX_REQ_FD(dev), 0) < 0 ? -1000 - errno : a.rep.result;
}

/* The loop server's hand-over spoken to directly gives no more than
 * LOOP_SET_FD: a user can hand over its own descriptors only and open
 * no loop device to use the ticket on; a ticket no hand-over gave
 * attaches nothing (EBADF); a real one is good once. */
static void loop_handover(void)
{
	uint64_t t = 0;
	int dev = open("/dev/loop7", O_RDWR), f = open("/dev/null", O_RDWR), s;

	ut_in_child(loop_user);
	CHECK(dev >= 0 && f >= 0);
	CHECK_EQ(loop_set_fd(dev, 0x0123456789abcdefULL), -EBADF);
	CHECK((s = loop_ticket(f, &t)) >= 0);
	CHECK_EQ(loop_set_fd(dev, t), -EINVAL); /* taken: no file to back */
	CHECK_EQ(loop_set_fd(dev, t), -EBADF);
	close(s);
	close(f);
	close(dev);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(forged_identity),
	    UT_CASE(not_resolver),
	    UT_CASE(no_mount),
	    UT_CASE(refused),
	    UT_CASE(storm),
	    UT_CASE(mount_seen_at_once),
	    UT_CASE(fd_requests),
	    UT_CASE(fd_storm),
	    UT_CASE(native_wait_own_children),
	    UT_CASE(native_reboot_root_only),
	    UT_CASE(native_alarm_own_timer),
	    UT_CASE(native_alarm_storm),
	    UT_CASE(native_cputimer_own),
	    UT_CASE(native_cputimer_storm),
	    UT_CASE(native_affinity_rules),
	    UT_CASE(native_cwd_own),
	    UT_CASE(native_root_only),
	    UT_CASE(native_unshare_own),
	    UT_CASE(native_procctl_own),
	    UT_CASE(lock_owner),
	    UT_CASE(native_inet),
	    UT_CASE(native_event),
	    UT_CASE(native_procinfo_items),
	    UT_CASE(readonly_root_only),
	    UT_CASE(chroot_native),
	    UT_CASE(loop_handover),
	};
	return ut_main(argc, argv, "bypass", cases, UT_COUNT(cases));
}
