/*
 * fs.c - ramfs's request server: one request in, one reply out, with
 * tmpfs's semantics (permissions checked against the caller's uid/gid,
 * POSIX timestamps, symbolic links answered with LUX_FOLLOW).
 */
#include "fs.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* Flags as the protocol carries them: Linux's asm-generic (x86_64) values
 * on every platform, so never taken from the C library's headers. */
#define LX_O_ACCMODE        03
#define LX_O_RDONLY         00
#define LX_O_CREAT          0100
#define LX_O_EXCL           0200
#define LX_O_TRUNC          01000
#define LX_O_APPEND         02000
#define LX_O_DIRECTORY      0200000
#define LX_O_NOFOLLOW       0400000
#define LX_O_PATH           010000000
#define LX_AT_NOFOLLOW      0x100
#define LX_AT_REMOVEDIR     0x200
#define LX_AT_FOLLOW        0x400
#define LX_RENAME_NOREPLACE 1
#define LX_RENAME_EXCHANGE  2
#define LX_UTIME_NOW        ((1L << 30) - 1)
#define LX_UTIME_OMIT       ((1L << 30) - 2)
#define LX_POLLIN           0x1
#define LX_POLLOUT          0x4
#define MAY_R               4
#define MAY_W               2
#define MAY_X               1
/* Not an errno: the reply has become a LUX_FOLLOW. */
#define FOLLOWED 1000

/* One request being served. */
struct call {
	struct ramfs *fs;
	const struct lux_req *q;
	const char *path[2]; /* the payload's strings, NULL if missing */
	size_t n;            /* payload bytes */
	const char *data;
	struct lux_rep *r;
	char *out;
	long outlen;
	struct timespec now;
};

/* Where a path led: the last component's directory, name and object. */
struct walk {
	struct node *dir;
	const char *name;
	size_t len;
	struct dentry *de; /* NULL: missing (or the root) */
	struct node *node; /* NULL: missing */
	bool slash;        /* the path ended in '/' */
};

/* May the caller of q access n for `want` (MAY_R|MAY_W|MAY_X)? Root may
 * do anything but execute a file with no execute bit. */
static bool may(const struct node *n, const struct lux_req *q, uint32_t want)
{
	if (q->uid == 0)
		return !(want & MAY_X) || S_ISDIR(n->mode) || (n->mode & 0111);
	int shift = q->uid == n->uid ? 6 : q->gid == n->gid ? 3 : 0;
	return ((n->mode >> shift) & want) == want;
}

/* May the caller remove n from dir (the sticky bit)? */
static bool may_delete(const struct lux_req *q, const struct node *dir,
		       const struct node *n)
{
	return !(dir->mode & S_ISVTX) || q->uid == 0 || q->uid == dir->uid ||
	       q->uid == n->uid;
}

static bool owner_or_root(const struct lux_req *q, const struct node *n)
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

/* Walk path `which` of the request to its last component, following a
 * link there when follow_last (or when the path ends in '/'). 0, -errno,
 * or -FOLLOWED. */
static int walk(struct call *c, int which, bool follow_last, struct walk *w)
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
		if (e == end) {
			*w = (struct walk){dir, p, len, de, n, w->slash};
			if (n && S_ISLNK(n->mode) && (follow_last || w->slash))
				return follow(c, which, e - path, n);
			if (n && w->slash && !S_ISDIR(n->mode))
				return -ENOTDIR;
			return 0;
		}
		if (!n)
			return -ENOENT;
		if (S_ISLNK(n->mode))
			return follow(c, which, e - path, n);
		if (!S_ISDIR(n->mode))
			return -ENOTDIR;
		dir = n;
		for (p = e; p < end && *p == '/'; p++)
			;
	}
}

/* The object a request names: its handle, else its path. */
static int target(struct call *c, bool follow_last, struct node **n)
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

/* Make the object w names (missing) with mode, owned by the caller. */
static int create(struct call *c, struct walk *w, uint32_t mode,
		  struct node **out)
{
	struct node *dir = w->dir, *n;
	uint32_t gid = c->q->gid;

	if (w->node)
		return -EEXIST;
	if (!may(dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		mode |= S_ISDIR(mode) ? S_ISGID : 0;
	}
	n = node_new(c->fs, mode, c->q->uid, gid);
	if (!n)
		return -ENOSPC;
	if (dir_add(c->fs, dir, w->name, w->len, n)) {
		n->nlink = 0;
		node_put(c->fs, n);
		return -ENOSPC;
	}
	if (S_ISDIR(mode)) {
		n->dir.parent = dir;
		dir->nlink++;
	}
	dir->mtime = dir->ctime = c->now;
	*out = n;
	return 0;
}

/* n lost its name in dir (already out of dir's list). */
static void drop(struct call *c, struct node *dir, struct node *n)
{
	n->ctime = c->now;
	node_unlinked(c->fs, dir, n);
}

/* Is n the directory d or inside it? */
static bool inside(struct node *n, struct node *d)
{
	for (;; n = n->dir.parent) {
		if (n == d)
			return true;
		if (n == n->dir.parent)
			return false;
	}
}

static bool ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

/* Reading n: set its atime as Linux's relatime does. */
static void touch_atime(struct node *n, struct timespec now)
{
	if (ts_le(n->atime, n->mtime) || ts_le(n->atime, n->ctime) ||
	    now.tv_sec - n->atime.tv_sec >= 24 * 3600)
		n->atime = now;
}

/* The permission an open with flags needs on n, 0 or -errno. */
static int open_check(struct call *c, struct node *n, uint32_t fl)
{
	uint32_t acc = fl & LX_O_ACCMODE;
	uint32_t want = acc == LX_O_RDONLY ? MAY_R : MAY_W;

	if (acc == LX_O_ACCMODE || acc == 2)
		want |= MAY_R;
	if (fl & LX_O_TRUNC)
		want |= MAY_W;
	if (fl & LX_O_PATH)
		return 0;
	if ((fl & LX_O_DIRECTORY) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (S_ISDIR(n->mode) && (want & MAY_W))
		return -EISDIR;
	if (fl & LUX_O_EXEC) {
		if (!S_ISREG(n->mode) || !may(n, c->q, MAY_X))
			return -EACCES;
	}
	if (!may(n, c->q, want))
		return -EACCES;
	if (!S_ISREG(n->mode) && !S_ISDIR(n->mode))
		return -ENXIO; /* devices and FIFOs are other servers' */
	return 0;
}

static int64_t op_open(struct call *c)
{
	uint32_t fl = c->q->flags;
	bool excl = (fl & (LX_O_CREAT | LX_O_EXCL)) == (LX_O_CREAT | LX_O_EXCL);
	struct walk w;
	struct node *n;
	int err = walk(c, 0, !(fl & LX_O_NOFOLLOW) && !excl, &w);

	if (err)
		return err;
	n = w.node;
	if (!n) {
		if (!(fl & LX_O_CREAT))
			return -ENOENT;
		if (w.slash)
			return -EISDIR;
		err = create(c, &w, S_IFREG | (c->q->mode & 07777), &n);
		if (err)
			return err;
	} else {
		if (excl)
			return -EEXIST;
		if (S_ISLNK(n->mode) && !(fl & LX_O_PATH))
			return -ELOOP;
		if (S_ISDIR(n->mode) && (fl & LX_O_CREAT))
			return -EISDIR;
		err = open_check(c, n, fl);
		if (err)
			return err;
		if ((fl & LX_O_TRUNC) && !(fl & LX_O_PATH) &&
		    S_ISREG(n->mode)) {
			data_truncate(c->fs, n, 0);
			n->mtime = n->ctime = c->now;
		}
	}
	n->opens++;
	c->r->handle = n->ino;
	c->r->mode = n->mode;
	c->r->events = LX_POLLIN | LX_POLLOUT;
	return 0;
}

static int64_t op_stat(struct call *c)
{
	struct node *n;
	struct lux_stat *st = (struct lux_stat *)c->out;
	int err = target(c, !(c->q->flags & LX_AT_NOFOLLOW), &n);

	if (err)
		return err;
	memset(st, 0, sizeof(*st));
	st->dev = c->fs->dev;
	st->ino = n->ino;
	st->nlink = n->nlink;
	st->rdev = n->rdev;
	st->size = n->size;
	st->blksize = RAMFS_BLOCK;
	st->blocks =
	    S_ISREG(n->mode) ? n->file.blocks * (RAMFS_BLOCK / 512) : 0;
	st->mode = n->mode;
	st->uid = n->uid;
	st->gid = n->gid;
	struct timespec t[3] = {n->atime, n->mtime, n->ctime};
	for (int i = 0; i < 3; i++) {
		st->time[i][0] = t[i].tv_sec;
		st->time[i][1] = t[i].tv_nsec;
	}
	c->outlen = sizeof(*st);
	return 0;
}

static int64_t op_mkdir(struct call *c)
{
	struct walk w;
	struct node *n;
	int err = walk(c, 0, false, &w);

	if (err == -ENOTDIR && w.node && !S_ISDIR(w.node->mode))
		return -EEXIST; /* "file/" */
	return err ? err : create(c, &w, S_IFDIR | (c->q->mode & 01777), &n);
}

static int64_t op_mknod(struct call *c)
{
	uint32_t type = c->q->mode & S_IFMT, mode = c->q->mode & 07777;
	struct walk w;
	struct node *n;
	int err;

	type = type ? type : S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK &&
	    type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	if ((type == S_IFCHR || type == S_IFBLK) && c->q->uid != 0)
		return -EPERM;
	if ((err = walk(c, 0, false, &w)))
		return err == -ENOTDIR && w.node ? -EEXIST : err;
	if ((err = create(c, &w, type | mode, &n)))
		return err;
	if (type == S_IFCHR || type == S_IFBLK)
		n->rdev = c->q->off;
	return 0;
}

static int64_t op_unlink(struct call *c)
{
	bool rmdir = c->q->flags & LX_AT_REMOVEDIR;
	struct walk w;
	int err = walk(c, 0, false, &w);

	if (err)
		return err;
	if (!w.node)
		return -ENOENT;
	if (w.node == c->fs->root)
		return -EBUSY;
	if (rmdir && !S_ISDIR(w.node->mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(w.node->mode))
		return -EISDIR;
	if (!may(w.dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!may_delete(c->q, w.dir, w.node))
		return -EPERM;
	if (rmdir && w.node->dir.head)
		return -ENOTEMPTY;
	dir_remove(c->fs, w.dir, w.de);
	w.dir->mtime = w.dir->ctime = c->now;
	drop(c, w.dir, w.node);
	return 0;
}

/* A directory moving from one parent to another. */
static void reparent(struct node *n, struct node *from, struct node *to)
{
	if (S_ISDIR(n->mode) && from != to) {
		from->nlink--;
		to->nlink++;
		n->dir.parent = to;
	}
}

/* Could the objects a and b of a rename take each other's place (b may be
 * missing)? 0 or -errno. */
static int rename_check(struct call *c, struct walk *a, struct walk *b,
			bool exchange)
{
	struct node *x = a->node, *y = b->node;

	if (!may(a->dir, c->q, MAY_W | MAY_X) ||
	    !may(b->dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!may_delete(c->q, a->dir, x) || (y && !may_delete(c->q, b->dir, y)))
		return -EPERM;
	if (S_ISDIR(x->mode) && inside(b->dir, x))
		return -EINVAL;
	if (exchange && S_ISDIR(y->mode) && inside(a->dir, y))
		return -EINVAL;
	if (!exchange && y) {
		if (S_ISDIR(x->mode) && !S_ISDIR(y->mode))
			return -ENOTDIR;
		if (!S_ISDIR(x->mode) && S_ISDIR(y->mode))
			return -EISDIR;
		if (S_ISDIR(y->mode) && y->dir.head)
			return -ENOTEMPTY;
	}
	/* A directory changing parent rewrites its "..". */
	if (a->dir != b->dir &&
	    ((S_ISDIR(x->mode) && !may(x, c->q, MAY_W)) ||
	     (exchange && S_ISDIR(y->mode) && !may(y, c->q, MAY_W))))
		return -EACCES;
	return 0;
}

static int64_t op_rename(struct call *c)
{
	uint32_t fl = c->q->flags;
	bool exchange = fl & LX_RENAME_EXCHANGE;
	struct walk a, b;
	int err;

	if ((fl & ~(LX_RENAME_NOREPLACE | LX_RENAME_EXCHANGE)) ||
	    (exchange && (fl & LX_RENAME_NOREPLACE)))
		return -EINVAL;
	if ((err = walk(c, 0, false, &a)) || (err = walk(c, 1, false, &b)))
		return err;
	if (!a.node || (exchange && !b.node))
		return -ENOENT;
	if (a.node == c->fs->root || b.node == c->fs->root)
		return -EBUSY;
	if (b.node && (fl & LX_RENAME_NOREPLACE))
		return -EEXIST;
	if ((err = rename_check(c, &a, &b, exchange)))
		return err;
	if (a.node == b.node)
		return 0;
	struct node *x = a.node, *y = b.node;
	if (exchange) {
		a.de->node = y;
		b.de->node = x;
		reparent(x, a.dir, b.dir);
		reparent(y, b.dir, a.dir);
		y->ctime = c->now;
	} else if (y) {
		/* Reuse the entry: replacing needs no memory. */
		b.de->node = x;
		drop(c, b.dir, y);
		dir_remove(c->fs, a.dir, a.de);
		reparent(x, a.dir, b.dir);
	} else {
		if (dir_add(c->fs, b.dir, b.name, b.len, x))
			return -ENOSPC;
		dir_remove(c->fs, a.dir, a.de);
		reparent(x, a.dir, b.dir);
	}
	x->ctime = c->now;
	a.dir->mtime = a.dir->ctime = b.dir->mtime = b.dir->ctime = c->now;
	return 0;
}

static int64_t op_link(struct call *c)
{
	struct walk a, b;
	int err;

	if ((err = walk(c, 0, c->q->flags & LX_AT_FOLLOW, &a)) ||
	    (err = walk(c, 1, false, &b)))
		return err;
	if (!a.node)
		return -ENOENT;
	if (S_ISDIR(a.node->mode))
		return -EPERM;
	if (b.node)
		return -EEXIST;
	if (!may(b.dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (dir_add(c->fs, b.dir, b.name, b.len, a.node))
		return -ENOSPC;
	a.node->nlink++;
	a.node->ctime = b.dir->mtime = b.dir->ctime = c->now;
	return 0;
}

static int64_t op_symlink(struct call *c)
{
	const char *to = c->path[1];
	size_t len = to ? strlen(to) : 0;
	struct walk w;
	struct node *n;
	char *copy;
	int err;

	if (!len)
		return -ENOENT;
	if (len >= LUX_PATH_MAX)
		return -ENAMETOOLONG;
	if ((err = walk(c, 0, false, &w)))
		return err == -ENOTDIR && w.node ? -EEXIST : err;
	if (w.node)
		return -EEXIST;
	if (!(copy = ramfs_alloc(c->fs, len)))
		return -ENOSPC;
	if ((err = create(c, &w, S_IFLNK | 0777, &n))) {
		ramfs_free(c->fs, copy, len);
		return err;
	}
	memcpy(copy, to, len);
	n->target = copy;
	n->size = len;
	return 0;
}

static int64_t op_readlink(struct call *c)
{
	struct node *n;
	int err = target(c, false, &n);

	if (err)
		return err;
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	memcpy(c->out, n->target, n->size);
	c->outlen = n->size;
	touch_atime(n, c->now);
	return n->size;
}

static int64_t op_chmod(struct call *c)
{
	struct node *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (!owner_or_root(c->q, n))
		return -EPERM;
	uint32_t mode = c->q->mode & 07777;
	if (c->q->uid != 0 && c->q->gid != n->gid && !S_ISDIR(n->mode))
		mode &= ~S_ISGID;
	n->mode = (n->mode & S_IFMT) | mode;
	n->ctime = c->now;
	return 0;
}

static int64_t op_chown(struct call *c)
{
	uint32_t uid = c->q->off, gid = c->q->count, keep = (uint32_t)-1;
	const struct lux_req *q = c->q;
	struct node *n;
	int err = target(c, !(q->flags & LX_AT_NOFOLLOW), &n);

	if (err)
		return err;
	/* Only root gives a file away; its owner may change its group to
	 * the owner's own. */
	if (q->uid != 0 &&
	    ((uid != keep && (q->uid != n->uid || uid != n->uid)) ||
	     (gid != keep &&
	      (q->uid != n->uid || (gid != q->gid && gid != n->gid)))))
		return -EPERM;
	if (uid == keep && gid == keep)
		return 0;
	n->uid = uid != keep ? uid : n->uid;
	n->gid = gid != keep ? gid : n->gid;
	if (!S_ISDIR(n->mode)) {
		n->mode &= ~S_ISUID;
		if (n->mode & S_IXGRP)
			n->mode &= ~S_ISGID;
	}
	n->ctime = c->now;
	return 0;
}

/* Time t of a UTIMENS request into *out (kept for UTIME_OMIT). */
static int utime_take(const int64_t t[2], struct timespec now,
		      struct timespec *out)
{
	if (t[1] == LX_UTIME_OMIT)
		return 0;
	if (t[1] == LX_UTIME_NOW) {
		*out = now;
		return 0;
	}
	if (t[1] < 0 || t[1] > 999999999)
		return -EINVAL;
	*out = (struct timespec){t[0], t[1]};
	return 0;
}

static int64_t op_utimens(struct call *c)
{
	const int64_t(*t)[2] = c->q->time;
	struct node *n;
	struct timespec at, mt;
	int err = target(c, !(c->q->flags & LX_AT_NOFOLLOW), &n);

	if (err)
		return err;
	if (t[0][1] == LX_UTIME_OMIT && t[1][1] == LX_UTIME_OMIT)
		return 0;
	bool to_now = t[0][1] == LX_UTIME_NOW && t[1][1] == LX_UTIME_NOW;
	if (!owner_or_root(c->q, n) && !(to_now && may(n, c->q, MAY_W)))
		return to_now ? -EACCES : -EPERM;
	at = n->atime;
	mt = n->mtime;
	if ((err = utime_take(t[0], c->now, &at)) ||
	    (err = utime_take(t[1], c->now, &mt)))
		return err;
	n->atime = at;
	n->mtime = mt;
	n->ctime = c->now;
	return 0;
}

static int64_t op_truncate(struct call *c)
{
	struct node *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (S_ISDIR(n->mode))
		return -EISDIR;
	if (!S_ISREG(n->mode) || (int64_t)c->q->off < 0)
		return -EINVAL;
	if (!c->q->handle && !may(n, c->q, MAY_W))
		return -EACCES;
	if ((err = data_truncate(c->fs, n, c->q->off)))
		return err;
	n->mtime = n->ctime = c->now;
	return 0;
}

static int64_t op_access(struct call *c)
{
	struct node *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (c->q->mode & ~7u)
		return -EINVAL;
	return !c->q->mode || may(n, c->q, c->q->mode) ? 0 : -EACCES;
}

static int64_t op_statfs(struct call *c)
{
	struct lux_statfs *s = (struct lux_statfs *)c->out;
	struct ramfs *fs = c->fs;
	struct node *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	memset(s, 0, sizeof(*s));
	s->type = RAMFS_MAGIC;
	s->bsize = s->frsize = RAMFS_BLOCK;
	s->blocks = fs->limit / RAMFS_BLOCK;
	s->bfree = s->bavail = (fs->limit - fs->used) / RAMFS_BLOCK;
	/* Objects cost memory like blocks do: say how many more would fit. */
	s->ffree = (fs->limit - fs->used) / sizeof(struct node);
	s->files = fs->nodes + s->ffree;
	s->namelen = RAMFS_NAME_MAX;
	c->outlen = sizeof(*s);
	return 0;
}

/* The regular file a READ or WRITE names. */
static int open_file(struct call *c, struct node **n)
{
	if (!(*n = node_find(c->fs, c->q->handle)))
		return -EBADF;
	if (S_ISDIR((*n)->mode))
		return -EISDIR;
	return S_ISREG((*n)->mode) ? 0 : -EINVAL;
}

static int64_t op_read(struct call *c)
{
	struct node *n;
	int err = open_file(c, &n);

	if (err)
		return err;
	if ((int64_t)c->q->off < 0)
		return -EINVAL;
	size_t len = c->q->count < LUX_MAX_DATA ? c->q->count : LUX_MAX_DATA;
	c->outlen = data_read(n, c->q->off, c->out, len);
	touch_atime(n, c->now);
	return c->outlen;
}

static int64_t op_write(struct call *c)
{
	struct node *n;
	int err = open_file(c, &n);

	if (err)
		return err;
	uint64_t off = c->q->flags & LX_O_APPEND ? n->size : c->q->off;
	if ((int64_t)off < 0)
		return -EINVAL;
	long done = data_write(c->fs, n, off, c->data, c->n);
	if (done < 0)
		return done;
	if (done > 0) {
		n->mtime = n->ctime = c->now;
		if (c->q->uid != 0) {
			n->mode &= ~S_ISUID;
			if (n->mode & S_IXGRP)
				n->mode &= ~S_ISGID;
		}
	}
	c->r->off = off + done;
	return done;
}

static int64_t op_getdents(struct call *c)
{
	struct node *n = node_find(c->fs, c->q->handle);
	uint64_t next;

	if (!n)
		return -EBADF;
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!n->nlink)
		return -ENOENT;
	size_t room = c->q->count < LUX_MAX_DATA ? c->q->count : LUX_MAX_DATA;
	long len = dir_read(n, c->q->off, c->out, room, &next);
	if (len < 0)
		return len;
	c->outlen = len;
	c->r->off = next;
	touch_atime(n, c->now);
	return len;
}

static int64_t op_fsync(struct call *c)
{
	return node_find(c->fs, c->q->handle) ? 0 : -EBADF;
}

static void op_close(struct call *c)
{
	struct node *n = node_find(c->fs, c->q->handle);

	if (n && n->opens) {
		n->opens--;
		node_put(c->fs, n);
	}
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
		return -ENOTTY;
	case LUX_FSYNC:
		return op_fsync(c);
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
	if (c.n) {
		const char *nul = memchr(data, 0, c.n);
		c.path[0] = data;
		if (nul && (size_t)(nul + 1 - data) < c.n)
			c.path[1] = nul + 1;
	}
	c.now = ramfs_now();
	r->op = LUX_REPLY;
	int64_t result = serve(&c);
	if (result == -FOLLOWED)
		return c.outlen;
	r->result = result;
	return result < 0 ? 0 : c.outlen;
}
