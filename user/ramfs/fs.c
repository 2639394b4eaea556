/*
 * fs.c - ramfs's request server: one request in, one reply out, with
 * tmpfs's semantics (permissions checked against the caller's uid/gid,
 * POSIX timestamps, symbolic links answered with LUX_FOLLOW). Here: path
 * walking, permissions, making and dropping names, and the dispatch.
 */
#include "serve.h"
#include <errno.h>
#include <string.h>

bool may(const struct node *n, const struct lux_req *q, uint32_t want)
{
	if (q->uid == 0)
		return !(want & MAY_X) || LUX_S_ISDIR(n->mode) ||
		       (n->mode & 0111);
	int shift = q->uid == n->uid ? 6 : lux_in_group(q, n->gid) ? 3 : 0;
	return ((n->mode >> shift) & want) == want;
}

bool may_delete(const struct lux_req *q, const struct node *dir,
		const struct node *n)
{
	return !(dir->mode & LUX_S_ISVTX) || q->uid == 0 ||
	       q->uid == dir->uid || q->uid == n->uid;
}

bool owner_or_root(const struct lux_req *q, const struct node *n)
{
	return q->uid == 0 || q->uid == n->uid;
}

/* Answer with LUX_FOLLOW: link is named by the first off bytes of path
 * `which`. */
static int follow(struct call *c, int which, size_t off, struct node *link)
{
	c->r->op = LUX_FOLLOW;
	c->r->off = off;
	c->r->off2 = which;
	memcpy(c->out, link->target, link->size);
	c->outlen = link->size;
	return -FOLLOWED;
}

/* Whether path `which` of c's request may end in an unnamed file's
 * hidden name (include/lux/proto.h: the calls on the object a path
 * names, never those that remove or make a name). */
static bool names_tmp(const struct call *c, int which)
{
	static const uint32_t ops =
	    1u << LUX_OPEN | 1u << LUX_STAT | 1u << LUX_LINK |
	    1u << LUX_ACCESS | 1u << LUX_CHMOD | 1u << LUX_CHOWN |
	    1u << LUX_UTIMENS | 1u << LUX_TRUNCATE | 1u << LUX_STATFS;

	return which == 0 && c->q->op < 32 && (ops >> c->q->op & 1);
}

int walk(struct call *c, int which, bool follow_last, struct walk *w)
{
	const char *path = c->path[which], *p = path, *end;
	struct node *dir = c->fs->root;

	memset(w, 0, sizeof(*w));
	if (!path)
		return -EINVAL;
	end = p + strlen(p);
	for (; end > p && end[-1] == '/'; end--)
		w->slash = true;
	while (p < end && *p == '/')
		p++;
	if (p == end) {
		w->dir = w->node = dir;
		w->name = p;
		return 0;
	}
	for (;;) {
		const char *e = memchr(p, '/', end - p);
		e = e ? e : end;
		size_t len = e - p;
		if (len > RAMFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.')))
			return -EINVAL; /* the kernel resolves these */
		if (!may(dir, c->q, MAY_X))
			return -EACCES;
		struct dentry *de = dir_lookup(dir, p, len);
		struct node *n = de ? de->node : NULL;
		if (e == end && !n && names_tmp(c, which))
			n = tmp_find(c->fs, p, len);
		if (e == end) {
			*w = (struct walk){dir, p, len, de, n, w->slash};
			if (n && LUX_S_ISLNK(n->mode) &&
			    (follow_last || w->slash))
				return follow(c, which, e - path, n);
			if (n && w->slash && !LUX_S_ISDIR(n->mode))
				return -ENOTDIR;
			return 0;
		}
		if (!n)
			return -ENOENT;
		if (LUX_S_ISLNK(n->mode))
			return follow(c, which, e - path, n);
		if (!LUX_S_ISDIR(n->mode))
			return -ENOTDIR;
		dir = n;
		for (p = e; p < end && *p == '/'; p++)
			;
	}
}

int target(struct call *c, bool follow_last, struct node **n)
{
	struct walk w;

	if (c->q->handle) {
		*n = node_find(c->fs, c->q->handle);
		return *n ? 0 : -EBADF;
	}
	int err = walk(c, 0, follow_last, &w);
	if (err)
		return err;
	*n = w.node;
	return *n ? 0 : -ENOENT;
}

int create(struct call *c, struct walk *w, uint32_t mode, struct node **out)
{
	struct node *dir = w->dir, *n;
	uint32_t gid = c->q->gid;

	if (w->node)
		return -EEXIST;
	if (w->slash && !LUX_S_ISDIR(mode))
		return -ENOENT; /* "name/" can only be a directory */
	if (!may(dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (dir->mode & LUX_S_ISGID) {
		gid = dir->gid;
		mode |= LUX_S_ISDIR(mode) ? LUX_S_ISGID : 0;
	}
	n = node_new(c->fs, mode, c->q->uid, gid);
	if (!n)
		return -ENOSPC;
	if (dir_add(c->fs, dir, w->name, w->len, n)) {
		n->nlink = 0;
		node_put(c->fs, n);
		return -ENOSPC;
	}
	if (LUX_S_ISDIR(mode)) {
		n->dir.parent = dir;
		dir->nlink++;
	}
	dir->mtime = dir->ctime = c->now;
	*out = n;
	return 0;
}

void drop(struct call *c, struct node *dir, struct node *n)
{
	n->ctime = c->now;
	node_unlinked(c->fs, dir, n);
}

static bool ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

void touch_atime(struct node *n, struct timespec now)
{
	if (ts_le(n->atime, n->mtime) || ts_le(n->atime, n->ctime) ||
	    now.tv_sec - n->atime.tv_sec >= 24 * 3600)
		n->atime = now;
}

/* A read-only file system's STAT of the path of c's request (which
 * would change it), following its final link as the request would: 0,
 * -errno or -FOLLOWED (the reply is the FOLLOW); -ENOENT on a handle. */
static int64_t readonly_stat(struct call *c)
{
	const struct lux_req *q = c->q;
	struct lux_req s = *q;
	int64_t r;

	if (q->handle)
		return -ENOENT;
	s.op = LUX_STAT;
	s.flags = lux_req_follows(q) ? 0 : LUX_AT_SYMLINK_NOFOLLOW;
	c->q = &s;
	r = op_stat(c);
	c->q = q;
	return r;
}

/* IOCTL: LUX_READONLY (include/lux/proto.h), root only; others ENOTTY. */
static int64_t op_ioctl(struct call *c)
{
	if (c->q->count != LUX_READONLY)
		return -ENOTTY;
	if (c->q->uid != 0)
		return -EPERM;
	c->fs->readonly = c->q->off != 0;
	return 0;
}

static int64_t serve(struct call *c)
{
	switch (c->q->op) {
	case LUX_OPEN:
		return op_open(c);
	case LUX_STAT:
		return op_stat(c);
	case LUX_MKDIR:
		return op_mkdir(c);
	case LUX_MKNOD:
		return op_mknod(c);
	case LUX_UNLINK:
		return op_unlink(c);
	case LUX_RENAME:
		return op_rename(c);
	case LUX_LINK:
		return op_link(c);
	case LUX_SYMLINK:
		return op_symlink(c);
	case LUX_READLINK:
		return op_readlink(c);
	case LUX_CHMOD:
		return op_chmod(c);
	case LUX_CHOWN:
		return op_chown(c);
	case LUX_UTIMENS:
		return op_utimens(c);
	case LUX_TRUNCATE:
		return op_truncate(c);
	case LUX_ACCESS:
		return op_access(c);
	case LUX_STATFS:
		return op_statfs(c);
	case LUX_READ:
		return op_read(c);
	case LUX_WRITE:
		return op_write(c);
	case LUX_GETDENTS:
		return op_getdents(c);
	case LUX_IOCTL:
		return op_ioctl(c);
	case LUX_FSYNC:
		return op_fsync(c);
	case LUX_MAP:
		return op_map(c);
	default:
		return -ENOSYS;
	}
}

long ramfs_serve(struct ramfs *fs, const struct lux_req *q, const char *data,
		 struct lux_rep *r, char *out)
{
	struct call c = {.fs = fs, .q = q, .data = data, .r = r, .out = out};

	if (q->op == LUX_CLOSE) {
		op_close(&c);
		return -1;
	}
	if (q->op == LUX_CANCEL)
		return -1; /* ramfs answers every request at once */
	c.n = q->len > sizeof(*q) ? q->len - sizeof(*q) : 0;
	c.path[0] = ""; /* no payload: the root */
	if (c.n) {
		const char *nul = memchr(data, 0, c.n);
		c.path[0] = data;
		if (nul && (size_t)(nul + 1 - data) < c.n)
			c.path[1] = nul + 1;
	}
	c.now = ramfs_now();
	r->op = LUX_REPLY;
	if (c.fs->readonly && lux_req_changes(q)) {
		int64_t st = readonly_stat(&c);
		if (st == -FOLLOWED)
			return c.outlen;
		if ((st = lux_readonly_answer(q, st)) != 1) {
			r->result = st;
			return 0;
		}
		c.outlen = 0;
	}
	int64_t result = serve(&c);
	if (result == -FOLLOWED)
		return c.outlen;
	if (result == -LUX_PARKED)
		return -1; /* answered when the lease break ends */
	r->result = result;
	return result < 0 ? 0 : c.outlen;
}
