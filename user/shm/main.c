/*
 * main.c - the shared-memory server, mounted on /dev/shm (lumen.tab): a
 * flat directory (mode 1777, as Linux's tmpfs there) of files kept in
 * memory objects (node.c), for shm_open and sem_open. A handle names a
 * file by its node (index + 1), or the directory (ROOT); a node lives
 * while a name or an open description keeps it. Not kept: directories,
 * device nodes and symbolic links (EPERM).
 */
#include "shm.h"
#include "sysv.h"
#include <poll.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>

#define ROOT             ((uint64_t)SHM_NODES + 1)
#define TMPFS_MAGIC      0x01021994
#define DIRENT_HEADER    19 /* linux_dirent64 before its name */
#define RENAME_NOREPLACE 1
#define UTIME_NOW        ((1l << 30) - 1l)
#define UTIME_OMIT       ((1l << 30) - 2l)

struct name {
	char name[SHM_NAME];
	int node; /* the file (a free entry has no name) */
};

static struct name names[SHM_NAMES];

/* The entry named path: its index, -ENOENT (none; *free a free entry or
 * -1), -ENOTDIR (a file's name then '/'), -ENAMETOOLONG. */
static int lookup(const char *path, int *free)
{
	const char *slash = strchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : strlen(path);

	*free = -1;
	if (len >= SHM_NAME)
		return -ENAMETOOLONG;
	for (int i = 0; i < SHM_NAMES; i++) {
		if (!names[i].name[0]) {
			if (*free < 0)
				*free = i;
		} else if (!strncmp(names[i].name, path, len) &&
			   !names[i].name[len]) {
			return slash ? -ENOTDIR : i;
		}
	}
	return -ENOENT;
}

/* The node a request names by handle (or -EBADF), or by path: the node,
 * ROOT for "", -errno. */
static long target(const struct lux_msg *m, int n)
{
	const char *path = lux_path(m, n);
	int e, free;

	if (m->req.handle == ROOT)
		return ROOT;
	if (m->req.handle)
		return m->req.handle <= SHM_NODES &&
			       shm_nodes[m->req.handle - 1].used
			   ? (long)m->req.handle - 1
			   : -EBADF;
	if (!path)
		return -EINVAL;
	if (!*path)
		return ROOT;
	if ((e = lookup(path, &free)) >= 0)
		return names[e].node;
	return e == -ENOENT ? shm_tmp_find(path) : e;
}

static void fill_stat(long i, struct lux_stat *st)
{
	struct shm_node *n = i == (long)ROOT ? NULL : &shm_nodes[i];

	*st = (struct lux_stat){.dev = 0x16, .ino = i + 2, .blksize = 4096};
	st->nlink = n ? n->nlink : 2;
	st->mode = n ? n->mode : LUX_S_IFDIR | 01777;
	if (n) {
		st->uid = n->uid, st->gid = n->gid, st->size = n->size;
		st->blocks = (n->size + 511) / 512;
		for (int t = 0; t < 3; t++)
			st->time[t][0] = n->time[t].tv_sec,
			st->time[t][1] = n->time[t].tv_nsec;
	}
}

static int want_of(uint32_t flags)
{
	int acc = flags & LUX_O_ACCMODE;
	return (acc != LUX_O_WRONLY ? LUX_R_OK : 0) |
	       (acc != LUX_O_RDONLY ? LUX_W_OK : 0);
}

/* OPEN with LUX_O_TMPFILE of path (a hidden name in the directory, where
 * anyone may write): a new file with no name; its index or -errno. */
static long tmp_new(const struct lux_req *q, const char *path, int e)
{
	int acc = q->flags & LUX_O_ACCMODE;
	uint64_t secret = lux_tmpname(path, strlen(path));
	long i;

	if (e >= 0)
		return -EEXIST;
	if (e != -ENOENT || strchr(path, '/'))
		return e; /* "file/#x" ENOTDIR, "dir/#x" ENOENT */
	if (!secret || (q->flags & LUX_O_CREAT) ||
	    (acc != LUX_O_WRONLY && acc != LUX_O_RDWR))
		return -EINVAL;
	if (shm_tmp_find(path) >= 0)
		return -EEXIST; /* the same number twice: never by chance */
	if ((i = shm_node_new(q, q->mode)) < 0)
		return i;
	shm_nodes[i].tmp = secret;
	shm_nodes[i].linkable = !(q->flags & LUX_O_EXCL);
	return i;
}

/* OPEN: the file or directory named, made if O_CREAT asks. */
static long do_open(const struct lux_msg *m, struct lux_rep *r)
{
	const struct lux_req *q = &m->req;
	const char *path = lux_path(m, 0);
	int free, e = path && *path ? lookup(path, &free) : 0;
	int acc = q->flags & LUX_O_ACCMODE;
	long i = e >= 0 && path && *path ? names[e].node
		 : e == -ENOENT          ? shm_tmp_find(path)
					 : e;

	if (!path)
		return -EINVAL;
	if (!strncmp(path, ".sysv/", 6))
		return sysv_open(q, path, r);
	if (q->flags & LUX_O_TMPFILE) {
		if ((i = tmp_new(q, path, e)) < 0)
			return i;
	} else if (!*path) { /* the directory */
		if (acc != LUX_O_RDONLY || (q->flags & LUX_O_CREAT))
			return -EISDIR;
		r->handle = ROOT, r->mode = LUX_S_IFDIR | 01777;
		r->events = LUX_POLLIN;
		return 0;
	} else if (i == -ENOENT && (q->flags & LUX_O_CREAT)) {
		if (strchr(path, '/'))
			return -ENOENT;
		if (free < 0 || (i = shm_node_new(q, q->mode)) < 0)
			return -ENOSPC;
		strcpy(names[free].name, path);
		names[free].node = i;
		shm_nodes[i].nlink = 1;
	} else if (i < 0) {
		return i;
	} else if ((q->flags & (LUX_O_CREAT | LUX_O_EXCL)) ==
		   (LUX_O_CREAT | LUX_O_EXCL)) {
		return -EEXIST;
	} else if (!shm_allowed(q, &shm_nodes[i],
				want_of(q->flags) |
				    (q->flags & LUX_O_TRUNC ? LUX_W_OK : 0))) {
		return -EACCES;
	} else if (q->flags & LUX_O_DIRECTORY) {
		return -ENOTDIR;
	}
	if ((e = lux_lease_open(LUX_SERVER_FD, q, i + 1)))
		return e; /* a lease in the way, or the break was started */
	if (q->flags & LUX_O_TRUNC)
		shm_node_resize(i, 0); /* giving back memory cannot fail */
	shm_nodes[i].opens++;
	r->handle = i + 1, r->mode = shm_nodes[i].mode;
	r->events = LUX_POLLIN | LUX_POLLOUT;
	return 0;
}

/* Whether the caller of q may remove or replace the name of node i in
 * the sticky directory: its owner or root. */
static bool may_unlink(const struct lux_req *q, int i)
{
	return q->uid == 0 || q->uid == shm_nodes[i].uid;
}

static long do_unlink(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	int free, e = path && *path ? lookup(path, &free) : -EBUSY;
	int i;

	if (e < 0)
		return e;
	if (m->req.flags & LUX_AT_REMOVEDIR)
		return -ENOTDIR;
	if (!may_unlink(&m->req, i = names[e].node))
		return -EPERM;
	names[e].name[0] = 0;
	shm_nodes[i].nlink--;
	shm_node_drop(i);
	return 0;
}

/* LINK (keep the old name) and RENAME (drop it): the second path becomes
 * a name of the first one's node. */
static long do_link(const struct lux_msg *m, bool rename)
{
	const char *from = lux_path(m, 0), *to = lux_path(m, 1);
	int free, ef = from && *from ? lookup(from, &free) : -EPERM;
	int et = to && *to ? lookup(to, &free) : -EEXIST;
	int i = ef >= 0                    ? names[ef].node
		: ef == -ENOENT && !rename ? shm_tmp_find(from)
					   : ef;

	if (i < 0)
		return i;
	if (et < 0 && (et != -ENOENT || strchr(to, '/')))
		return et == -ENOENT ? -ENOENT : et;
	if (rename && (m->req.flags & ~RENAME_NOREPLACE))
		return -EINVAL;
	if (et >= 0 && (!rename || (m->req.flags & RENAME_NOREPLACE)))
		return -EEXIST;
	if ((rename && !may_unlink(&m->req, i)) ||
	    (et >= 0 && !may_unlink(&m->req, names[et].node)))
		return -EPERM;
	if (ef >= 0 && et == ef)
		return 0;
	if (!shm_nodes[i].nlink && !shm_nodes[i].linkable)
		return -ENOENT; /* an unnamed file opened O_EXCL */
	if (et < 0 && free < 0)
		return -ENOSPC;
	if (et >= 0) { /* replaced */
		shm_nodes[names[et].node].nlink--;
		shm_node_drop(names[et].node);
		free = et;
	}
	strcpy(names[free].name, to);
	names[free].node = i;
	if (rename)
		names[ef].name[0] = 0;
	else
		shm_nodes[i].nlink++;
	shm_nodes[i].linkable = false;
	return 0;
}

/* CHMOD, CHOWN, UTIMENS: Linux's rules for who may. */
static long do_attr(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	long i = target(m, 0);
	struct shm_node *n = i >= 0 && i != (long)ROOT ? &shm_nodes[i] : NULL;
	bool owner = n && (q->uid == 0 || q->uid == n->uid);

	if (i < 0 || !n)
		return i < 0 ? i : -EPERM;
	if (q->op == LUX_CHMOD && owner)
		n->mode = (n->mode & LUX_S_IFMT) | (q->mode & 07777);
	else if (q->op == LUX_CHOWN &&
		 (q->uid == 0 ||
		  (owner && (q->off == (uint32_t)-1 || q->off == n->uid) &&
		   (q->count == (uint32_t)-1 || lux_in_group(q, q->count))))) {
		n->uid = q->off == (uint32_t)-1 ? n->uid : q->off;
		n->gid = q->count == (uint32_t)-1 ? n->gid : q->count;
	} else if (q->op == LUX_UTIMENS &&
		   (owner || shm_allowed(q, n, LUX_W_OK))) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		for (int t = 0; t < 2; t++)
			if (q->time[t][1] == UTIME_NOW)
				n->time[t] = now;
			else if (q->time[t][1] != UTIME_OMIT)
				n->time[t] = (struct timespec){q->time[t][0],
							       q->time[t][1]};
	} else {
		return -EPERM;
	}
	clock_gettime(CLOCK_REALTIME, &n->time[2]);
	return 0;
}

static void do_getdents(const struct lux_msg *m)
{
	static char buf[LUX_MAX_DATA];
	size_t count = m->req.count < sizeof(buf) ? m->req.count : sizeof(buf);
	size_t used = 0;
	uint64_t pos = m->req.off;
	struct lux_rep r = {0};

	if (m->req.handle != ROOT) {
		lux_reply(LUX_SERVER_FD, &m->req, -ENOTDIR, NULL, 0);
		return;
	}
	for (; pos < SHM_NAMES + 2; pos++) {
		if (pos >= 2 && !names[pos - 2].name[0])
			continue;
		const char *name = pos == 0   ? "."
				   : pos == 1 ? ".."
					      : names[pos - 2].name;
		size_t reclen = (DIRENT_HEADER + strlen(name) + 8) & ~(size_t)7;
		uint64_t ino = pos < 2 ? 1 : (uint64_t)names[pos - 2].node + 2;
		int64_t next = pos + 1;
		uint16_t rl = reclen;
		if (used + reclen > count)
			break;
		memset(buf + used, 0, reclen);
		memcpy(buf + used, &ino, 8);
		memcpy(buf + used + 8, &next, 8);
		memcpy(buf + used + 16, &rl, 2);
		buf[used + 18] = pos < 2 ? DT_DIR : DT_REG;
		strcpy(buf + used + DIRENT_HEADER, name);
		used += reclen;
	}
	r.result = !used && pos < SHM_NAMES + 2 ? -EINVAL : (long)used;
	r.off = pos;
	lux_reply_full(LUX_SERVER_FD, &m->req, &r, buf, used);
}

/* READ and WRITE at off (O_APPEND: at the end) on an open file. */
static void do_io(const struct lux_msg *m, long len)
{
	static char buf[LUX_MAX_DATA];
	const struct lux_req *q = &m->req;
	long i = target(m, 0);
	struct lux_rep r = {0};
	bool out = q->op == LUX_READ;
	uint64_t off = q->off;
	size_t n = out ? (q->count < sizeof(buf) ? q->count : sizeof(buf))
		       : (size_t)len;

	if (i == (long)ROOT)
		i = -EISDIR;
	if (i >= 0 && !out && (q->flags & LUX_O_APPEND))
		off = shm_nodes[i].size;
	r.result =
	    i < 0 ? i
		  : shm_node_io(i, off, out ? buf : (void *)m->data, n, out);
	r.off = off + (r.result > 0 ? r.result : 0);
	lux_reply_full(LUX_SERVER_FD, q, &r, buf,
		       out && r.result > 0 ? (size_t)r.result : 0);
}

/* Requests answered with a result and no payload. */
static long do_simple(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	long i = target(m, 0);

	switch (q->op) {
	case LUX_UNLINK:
		return do_unlink(m);
	case LUX_LINK:
	case LUX_RENAME:
		return do_link(m, q->op == LUX_RENAME);
	case LUX_CHMOD:
	case LUX_CHOWN:
	case LUX_UTIMENS:
		return do_attr(m);
	case LUX_MKDIR:
	case LUX_MKNOD:
	case LUX_SYMLINK:
		return i >= 0 ? -EEXIST : i == -ENOENT ? -EPERM : i;
	}
	if (i < 0)
		return i;
	switch (q->op) {
	case LUX_TRUNCATE:
		if (i == (long)ROOT)
			return -EISDIR;
		if (!q->handle && !shm_allowed(q, &shm_nodes[i], LUX_W_OK))
			return -EACCES;
		long e = q->handle
			     ? 0
			     : lux_lease_break(LUX_SERVER_FD, q, i + 1, true);
		return e ? e : shm_node_resize(i, q->off);
	case LUX_ACCESS:
		return i == (long)ROOT ||
			       shm_allowed(q, &shm_nodes[i], q->mode & 7)
			   ? 0
			   : -EACCES;
	case LUX_MAP: /* the object itself, which the kernel maps */
		return i == (long)ROOT ? -ENODEV : shm_nodes[i].fd;
	case LUX_FSYNC:
		return 0;
	case LUX_IOCTL:
		return -ENOTTY;
	}
	return -EINVAL;
}

static void serve(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	struct lux_rep r = {0};
	struct lux_stat st;
	struct lux_statfs sf = {.type = TMPFS_MAGIC,
				.bsize = 4096,
				.namelen = SHM_NAME - 1,
				.frsize = 4096,
				.files = SHM_NODES};
	long i;

	if (lux_lock_serve(LUX_SERVER_FD, q, m->data, len))
		return;
	switch (q->op) {
	case LUX_OPEN:
		if ((r.result = do_open(m, &r)) != -LUX_PARKED)
			lux_reply_full(LUX_SERVER_FD, q, &r, NULL, 0);
		return;
	case LUX_IOCTL:
		if (q->handle == ROOT || q->handle >= SYSV_UNDO_HANDLE)
			return sysv_ioctl(m, len);
		break;
	case LUX_CLOSE:
		sysv_undo_close(q->handle);
		if (q->handle && q->handle <= SHM_NODES &&
		    shm_nodes[q->handle - 1].used) {
			shm_nodes[q->handle - 1].opens--;
			shm_node_drop(q->handle - 1);
		}
		return;
	case LUX_CANCEL:
		return sysv_cancel(q->id);
	case LUX_STAT:
		if ((i = target(m, 0)) >= 0)
			fill_stat(i, &st);
		lux_reply(LUX_SERVER_FD, q, i < 0 ? i : 0, &st,
			  i < 0 ? 0 : sizeof(st));
		return;
	case LUX_STATFS:
		i = target(m, 0);
		lux_reply(LUX_SERVER_FD, q, i < 0 ? i : 0, &sf,
			  i < 0 ? 0 : sizeof(sf));
		return;
	case LUX_READ:
	case LUX_WRITE:
		return do_io(m, len);
	case LUX_GETDENTS:
		return do_getdents(m);
	}
	long res = do_simple(m);
	if (res != -LUX_PARKED)
		lux_reply(LUX_SERVER_FD, q, res, NULL, 0);
}

/* lux_lease_owner: leases on the files, not the directory or SysV's. */
static int lease_owner(uint64_t obj, uint32_t *uid)
{
	if (obj - 1 >= SHM_NODES || !shm_nodes[obj - 1].used ||
	    !LUX_S_ISREG(shm_nodes[obj - 1].mode))
		return -EINVAL;
	*uid = shm_nodes[obj - 1].uid;
	return 0;
}

/* lux_serve's loop, with the time limits of semtimedop's waits. */
int main(void)
{
	static struct lux_msg m;

	lux_lease_owner = lease_owner;
	for (;;) {
		struct pollfd p = {.fd = LUX_SERVER_FD, .events = POLLIN};
		int64_t ms = sysv_timeout_ms(), lease = lux_lease_timeout();
		ms = lease >= 0 && (ms < 0 || lease < ms) ? lease : ms;
		if (poll(&p, 1, ms > 1000000 ? 1000000 : (int)ms) <= 0)
			continue;
		long len = lux_recv(LUX_SERVER_FD, &m);
		if (len >= 0)
			serve(&m, len);
		else if (errno == EPIPE)
			return 0;
		else if (errno != EINTR && errno != EPROTO && errno != EAGAIN)
			return 1;
	}
}
