/*
 * devfs - the /dev server: the memory devices null, zero, full, random
 * and urandom, and the device names registered with mknod(2) (lumen adds
 * console, tty and ttyS0, which it mounts the tty server on; drivers add
 * theirs). It only lists and describes a registered name: opening one goes
 * to the server mounted on it, never here (ENXIO if nothing is).
 *
 * Four symbolic links lead into /proc/self/fd, as on Linux: fd, stdin,
 * stdout and stderr.
 *
 * The smallest complete server, and the example docs/servers.md walks
 * through. Every answer comes at once, so nothing is ever pending, and a
 * handle names a node (its index + 1), not an open: there is no state per
 * descriptor, and CLOSE and CANCEL need no work.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lux.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define NODES_MAX     64
#define TMPFS_MAGIC   0x01021994 /* devtmpfs reports tmpfs's */
#define DEVFS_DEV     makedev(0, 6)
#define ROOT          0  /* node index of the directory itself */
#define DIRENT_HEADER 19 /* linux_dirent64 before its name */

enum kind {
	DIR_ROOT,
	DEV_NULL,
	DEV_ZERO,
	DEV_FULL,
	DEV_RANDOM,
	LINK,
	REGISTERED
};

struct node {
	char name[32];
	enum kind kind;
	uint32_t mode, uid, gid;
	uint64_t rdev; /* a LINK's: the target's index in links[] */
	struct timespec time;
};

static const char *const links[] = {"/proc/self/fd", "/proc/self/fd/0",
				    "/proc/self/fd/1", "/proc/self/fd/2"};

static struct node nodes[NODES_MAX] = {
    {"", DIR_ROOT, LUX_S_IFDIR | 0755, 0, 0, 0, {0}},
    {"null", DEV_NULL, LUX_S_IFCHR | 0666, 0, 0, 0x103, {0}},
    {"zero", DEV_ZERO, LUX_S_IFCHR | 0666, 0, 0, 0x105, {0}},
    {"full", DEV_FULL, LUX_S_IFCHR | 0666, 0, 0, 0x107, {0}},
    {"random", DEV_RANDOM, LUX_S_IFCHR | 0666, 0, 0, 0x108, {0}},
    {"urandom", DEV_RANDOM, LUX_S_IFCHR | 0666, 0, 0, 0x109, {0}},
    /* where lumen mounts the shared-memory server (a directory, so that
     * lumen mounts a tree there, not a device node) */
    {"shm", DIR_ROOT, LUX_S_IFDIR | 01777, 0, 0, 0, {0}},
    {"fd", LINK, LUX_S_IFLNK | 0777, 0, 0, 0, {0}},
    {"stdin", LINK, LUX_S_IFLNK | 0777, 0, 0, 1, {0}},
    {"stdout", LINK, LUX_S_IFLNK | 0777, 0, 0, 2, {0}},
    {"stderr", LINK, LUX_S_IFLNK | 0777, 0, 0, 3, {0}},
};
static int nnodes = 11;

/* The node a request names: by handle, or by path (one name, or "" for
 * the directory; a link with more after it, which serve follows).
 * -ENOENT, -ENOTDIR or -EBADF when there is none. */
static int find(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0), *slash;

	if (m->req.handle)
		return m->req.handle <= (uint64_t)nnodes
			   ? (int)m->req.handle - 1
			   : -EBADF;
	if (!path)
		return -EINVAL;
	slash = strchr(path, '/');
	for (int i = 0; i < nnodes; i++)
		if (!strncmp(nodes[i].name, path,
			     slash ? (size_t)(slash - path)
				   : strlen(path) + 1) &&
		    (!slash || !nodes[i].name[slash - path]))
			return slash && i != ROOT && nodes[i].kind != LINK
				   ? -ENOTDIR
				   : i;
	return -ENOENT;
}

/* Whether the caller of q may access n as `want` (LUX_R_OK, LUX_W_OK,
 * LUX_X_OK); root may read and write anything. */
static bool allowed(const struct lux_req *q, const struct node *n, int want)
{
	unsigned bits = n->mode;

	if (q->uid == 0)
		return !(want & LUX_X_OK) || (bits & 0111);
	bits >>= q->uid == n->uid ? 6 : lux_in_group(q, n->gid) ? 3 : 0;
	return (want & ~bits & 7) == 0;
}

static int open_want(uint32_t flags)
{
	int acc = flags & LUX_O_ACCMODE;
	return (acc != LUX_O_WRONLY ? LUX_R_OK : 0) |
	       (acc != LUX_O_RDONLY ? LUX_W_OK : 0) |
	       (flags & LUX_O_EXEC ? LUX_X_OK : 0);
}

static void do_open(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	int i = find(m);
	struct lux_rep r = {0};

	if (i == -ENOENT && (q->flags & LUX_O_CREAT))
		i = -EACCES; /* devfs holds devices only: mknod makes them */
	if (i >= 0 && (q->flags & (LUX_O_CREAT | LUX_O_EXCL)) ==
			  (LUX_O_CREAT | LUX_O_EXCL))
		i = -EEXIST;
	if (i == ROOT && ((q->flags & LUX_O_ACCMODE) != LUX_O_RDONLY ||
			  (q->flags & (LUX_O_CREAT | LUX_O_TRUNC))))
		i = -EISDIR; /* before the permission check, as on Linux */
	if (i >= 0 && !allowed(q, &nodes[i], open_want(q->flags)))
		i = -EACCES;
	if (i > ROOT && (q->flags & LUX_O_DIRECTORY))
		i = -ENOTDIR;
	if (i >= 0 && nodes[i].kind == REGISTERED)
		i = -ENXIO; /* its driver serves it under its own mount */
	if (i >= 0 && nodes[i].kind == LINK)
		i = -ELOOP; /* O_NOFOLLOW (serve follows it otherwise) */
	if (i < 0) {
		lux_reply(LUX_SERVER_FD, q, i, NULL, 0);
		return;
	}
	r.handle = i + 1;
	r.mode = nodes[i].mode;
	r.events =
	    i == ROOT ? LUX_POLLIN : LUX_POLLIN | LUX_POLLOUT; /* never waits */
	lux_reply_full(LUX_SERVER_FD, q, &r, NULL, 0);
}

static void do_stat(const struct lux_msg *m)
{
	int i = find(m);
	struct lux_stat st = {0};

	if (i < 0) {
		lux_reply(LUX_SERVER_FD, &m->req, i, NULL, 0);
		return;
	}
	st.dev = DEVFS_DEV;
	st.ino = i + 1;
	st.nlink = i == ROOT ? 2 : 1;
	st.rdev = nodes[i].kind == LINK ? 0 : nodes[i].rdev;
	st.size = nodes[i].kind == LINK ? strlen(links[nodes[i].rdev]) : 0;
	st.blksize = 4096;
	st.mode = nodes[i].mode;
	st.uid = nodes[i].uid;
	st.gid = nodes[i].gid;
	for (int t = 0; t < 3; t++) {
		st.time[t][0] = nodes[i].time.tv_sec;
		st.time[t][1] = nodes[i].time.tv_nsec;
	}
	lux_reply(LUX_SERVER_FD, &m->req, 0, &st, sizeof(st));
}

static void do_read(const struct lux_msg *m)
{
	static char buf[LUX_MAX_DATA];
	size_t n = m->req.count < sizeof(buf) ? m->req.count : sizeof(buf);
	int i = find(m);
	long r = (long)n;

	if (i < 0 || i == ROOT) {
		lux_reply(LUX_SERVER_FD, &m->req, i < 0 ? i : -EISDIR, NULL, 0);
		return;
	}
	if (nodes[i].kind == DEV_NULL)
		r = n = 0;
	else if (nodes[i].kind == DEV_RANDOM)
		r = getrandom(buf, n, 0) < 0 ? -errno : (long)n;
	else
		memset(buf, 0, n);
	lux_reply(LUX_SERVER_FD, &m->req, r, buf, r > 0 ? n : 0);
}

static void do_write(const struct lux_msg *m, long len)
{
	struct lux_rep r = {.result = len};
	int i = find(m);

	if (i < 0 || i == ROOT)
		r.result = i < 0 ? i : -EISDIR;
	else if (nodes[i].kind == DEV_FULL)
		r.result = -ENOSPC;
	r.off = m->req.off + (r.result > 0 ? r.result : 0);
	lux_reply_full(LUX_SERVER_FD, &m->req, &r, NULL, 0);
}

/* Directory entries from position off ("." and ".." first, then the
 * nodes), as many as fit in count bytes. */
static void do_getdents(const struct lux_msg *m)
{
	static char buf[LUX_MAX_DATA];
	size_t count = m->req.count < sizeof(buf) ? m->req.count : sizeof(buf);
	size_t used = 0;
	uint64_t pos = m->req.off;
	struct lux_rep r = {0};

	if (m->req.handle != ROOT + 1) {
		lux_reply(LUX_SERVER_FD, &m->req, -ENOTDIR, NULL, 0);
		return;
	}
	for (; pos < (uint64_t)nnodes + 1; pos++) {
		const char *name = pos == 0   ? "."
				   : pos == 1 ? ".."
					      : nodes[pos - 1].name;
		size_t len = DIRENT_HEADER + strlen(name) + 1;
		size_t reclen = (len + 7) & ~(size_t)7;
		uint64_t ino = pos < 2 ? 1 : pos;
		int64_t next = pos + 1;
		uint16_t rl = reclen;
		uint8_t type = pos < 2 ? DT_DIR : nodes[pos - 1].mode >> 12;
		if (used + reclen > count)
			break;
		memset(buf + used, 0, reclen);
		memcpy(buf + used, &ino, 8);
		memcpy(buf + used + 8, &next, 8);
		memcpy(buf + used + 16, &rl, 2);
		buf[used + 18] = type;
		strcpy(buf + used + DIRENT_HEADER, name);
		used += reclen;
	}
	if (!used && pos < (uint64_t)nnodes + 1)
		r.result = -EINVAL; /* not even one entry fits */
	else
		r.result = used;
	r.off = pos;
	lux_reply_full(LUX_SERVER_FD, &m->req, &r, buf, used);
}

/* Register a device name (root only): what lumen and drivers do. */
static int do_mknod(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	struct node *n = &nodes[nnodes];

	if (m->req.uid != 0)
		return -EPERM;
	if (find(m) != -ENOENT)
		return find(m) < 0 ? find(m) : -EEXIST;
	if (!path || !*path || strchr(path, '/'))
		return -ENOENT;
	if (!LUX_S_ISCHR(m->req.mode) && !LUX_S_ISBLK(m->req.mode))
		return -EINVAL;
	if (strlen(path) >= sizeof(n->name))
		return -ENAMETOOLONG;
	if (nnodes == NODES_MAX)
		return -ENOSPC;
	*n = (struct node){.kind = REGISTERED,
			   .mode = m->req.mode,
			   .uid = m->req.uid,
			   .gid = m->req.gid,
			   .rdev = m->req.off};
	strcpy(n->name, path);
	clock_gettime(CLOCK_REALTIME, &n->time);
	nnodes++;
	return 0;
}

static int do_access(const struct lux_msg *m)
{
	int i = find(m);

	if (i < 0)
		return i;
	return allowed(&m->req, &nodes[i], m->req.mode & 7) ? 0 : -EACCES;
}

static void do_statfs(const struct lux_msg *m)
{
	struct lux_statfs sf = {
	    .type = TMPFS_MAGIC, .bsize = 4096, .namelen = 255, .frsize = 4096};
	int i = find(m);

	sf.files = nnodes;
	lux_reply(LUX_SERVER_FD, &m->req, i < 0 ? i : 0, &sf,
		  i < 0 ? 0 : sizeof(sf));
}

/* A request by path through or to a link that it must follow: answered
 * with its target (whether it was). */
static bool follow(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	int i = q->handle ? -1 : find(m);
	struct lux_rep r = {.op = LUX_FOLLOW};
	const char *target;

	if (i < 0 || nodes[i].kind != LINK ||
	    (lux_path(m, 0)[strlen(nodes[i].name)] != '/' &&
	     !lux_req_follows(q)))
		return false;
	target = links[nodes[i].rdev];
	r.off = strlen(nodes[i].name);
	lux_reply_full(LUX_SERVER_FD, q, &r, target, strlen(target));
	return true;
}

/* Answer one request (CLOSE and CANCEL get no answer). */
static void serve(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	int i;

	if (q->op < LUX_REPLY && q->op != LUX_CLOSE && q->op != LUX_CANCEL &&
	    follow(m))
		return;
	switch (q->op) {
	case LUX_OPEN:
		return do_open(m);
	case LUX_STAT:
		return do_stat(m);
	case LUX_READ:
		return do_read(m);
	case LUX_WRITE:
		return do_write(m, len);
	case LUX_GETDENTS:
		return do_getdents(m);
	case LUX_STATFS:
		return do_statfs(m);
	case LUX_CLOSE:
	case LUX_CANCEL:
		return;
	case LUX_MKNOD:
		lux_reply(LUX_SERVER_FD, q, do_mknod(m), NULL, 0);
		return;
	case LUX_ACCESS:
		lux_reply(LUX_SERVER_FD, q, do_access(m), NULL, 0);
		return;
	case LUX_IOCTL:
		lux_reply(LUX_SERVER_FD, q, -ENOTTY, NULL, 0);
		return;
	}
	/* Everything else changes names or attributes, which devfs keeps
	 * fixed: the errors Linux gives for a device or a missing name. */
	i = find(m);
	if (q->op == LUX_READLINK && i >= 0 && nodes[i].kind == LINK) {
		const char *target = links[nodes[i].rdev];
		lux_reply(LUX_SERVER_FD, q, strlen(target), target,
			  strlen(target));
		return;
	}
	lux_reply(LUX_SERVER_FD, q,
		  i < 0 ? i
		  : q->op == LUX_READLINK || q->op == LUX_TRUNCATE ||
			  q->op == LUX_FSYNC
		      ? -EINVAL
		      : -EPERM,
		  NULL, 0);
}

int main(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < nnodes; i++)
		nodes[i].time = now;
	return lux_serve("devfs", serve);
}
