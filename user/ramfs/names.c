/*
 * names.c - the requests that make, move and remove names: open (with
 * O_CREAT), mkdir, mknod, unlink and rmdir, rename, link, symlink.
 */
#include "serve.h"
#include <errno.h>
#include <string.h>

/* The permission an open with flags needs on n, 0 or -errno. */
static int open_check(struct call *c, struct node *n, uint32_t fl)
{
	uint32_t acc = fl & LUX_O_ACCMODE;
	uint32_t want = acc == LUX_O_RDONLY ? MAY_R : MAY_W;

	if (acc == LUX_O_ACCMODE || acc == 2)
		want |= MAY_R;
	if (fl & LUX_O_TRUNC)
		want |= MAY_W;
	if ((fl & LUX_O_DIRECTORY) && !LUX_S_ISDIR(n->mode))
		return -ENOTDIR;
	if (fl & LUX_O_PATH)
		return 0; /* names the object, no access to it */
	if (LUX_S_ISDIR(n->mode) && (want & MAY_W))
		return -EISDIR;
	if (fl & LUX_O_EXEC) {
		if (!LUX_S_ISREG(n->mode) || !may(n, c->q, MAY_X))
			return -EACCES;
	}
	if (!may(n, c->q, want))
		return -EACCES;
	if (!LUX_S_ISREG(n->mode) && !LUX_S_ISDIR(n->mode) &&
	    !LUX_S_ISFIFO(n->mode))
		return -ENXIO; /* devices are other servers'; FIFOs the
				* kernel's pipes (docs/decisions/0034) */
	return 0;
}

int64_t op_open(struct call *c)
{
	uint32_t fl = c->q->flags;
	bool excl =
	    (fl & (LUX_O_CREAT | LUX_O_EXCL)) == (LUX_O_CREAT | LUX_O_EXCL);
	struct walk w;
	struct node *n;
	bool tmp = fl & LUX_O_TMPFILE;
	int err = walk(c, 0, !(fl & LUX_O_NOFOLLOW) && !excl && !tmp, &w);

	if (err)
		return err;
	n = w.node;
	if (tmp) {
		if ((err = tmp_create(c, &w, &n)))
			return err;
	} else if (!n) {
		if (!(fl & LUX_O_CREAT))
			return -ENOENT;
		if (w.slash)
			return -EISDIR;
		err = create(c, &w, LUX_S_IFREG | (c->q->mode & 07777), &n);
		if (err)
			return err;
	} else {
		if (excl)
			return -EEXIST;
		if (LUX_S_ISLNK(n->mode) && !(fl & LUX_O_PATH))
			return -ELOOP;
		if (LUX_S_ISDIR(n->mode) && (fl & LUX_O_CREAT))
			return -EISDIR;
		err = open_check(c, n, fl);
		if (err)
			return err;
	}
	if ((err = lux_lease_open(LUX_SERVER_FD, c->q, n->ino)))
		return err; /* a lease in the way, or the break was started */
	if ((fl & LUX_O_TRUNC) && !(fl & LUX_O_PATH) && LUX_S_ISREG(n->mode)) {
		data_truncate(c->fs, n, 0);
		n->mtime = n->ctime = c->now;
	}
	n->opens++;
	c->r->handle = n->ino;
	c->r->mode = n->mode;
	c->r->events = LUX_POLLIN | LUX_POLLOUT;
	return 0;
}

int64_t op_mkdir(struct call *c)
{
	struct walk w;
	struct node *n;
	int err = walk(c, 0, false, &w);

	if (err == -ENOTDIR && w.node && !LUX_S_ISDIR(w.node->mode))
		return -EEXIST; /* "file/" */
	return err ? err
		   : create(c, &w, LUX_S_IFDIR | (c->q->mode & 01777), &n);
}

int64_t op_mknod(struct call *c)
{
	uint32_t type = c->q->mode & LUX_S_IFMT, mode = c->q->mode & 07777;
	struct walk w;
	struct node *n;
	int err;

	type = type ? type : LUX_S_IFREG;
	if (type != LUX_S_IFREG && type != LUX_S_IFCHR && type != LUX_S_IFBLK &&
	    type != LUX_S_IFIFO && type != LUX_S_IFSOCK)
		return -EINVAL;
	if ((type == LUX_S_IFCHR || type == LUX_S_IFBLK) && c->q->uid != 0)
		return -EPERM;
	if ((err = walk(c, 0, false, &w)))
		return err == -ENOTDIR && w.node ? -EEXIST : err;
	if ((err = create(c, &w, type | mode, &n)))
		return err;
	if (type == LUX_S_IFCHR || type == LUX_S_IFBLK)
		n->rdev = c->q->off;
	return 0;
}

int64_t op_unlink(struct call *c)
{
	bool rmdir = c->q->flags & LUX_AT_REMOVEDIR;
	struct walk w;
	int err = walk(c, 0, false, &w);

	if (err)
		return err;
	if (!w.node)
		return -ENOENT;
	if (w.node == c->fs->root)
		return -EBUSY;
	if (rmdir && !LUX_S_ISDIR(w.node->mode))
		return -ENOTDIR;
	if (!rmdir && LUX_S_ISDIR(w.node->mode))
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

/* A directory moving from one parent to another. */
static void reparent(struct node *n, struct node *from, struct node *to)
{
	if (LUX_S_ISDIR(n->mode) && from != to) {
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
	if (LUX_S_ISDIR(x->mode) && inside(b->dir, x))
		return -EINVAL;
	if (exchange && LUX_S_ISDIR(y->mode) && inside(a->dir, y))
		return -EINVAL;
	if (!exchange && y) {
		if (LUX_S_ISDIR(x->mode) && !LUX_S_ISDIR(y->mode))
			return -ENOTDIR;
		if (!LUX_S_ISDIR(x->mode) && LUX_S_ISDIR(y->mode))
			return -EISDIR;
		if (LUX_S_ISDIR(y->mode) && y->dir.head)
			return -ENOTEMPTY;
	}
	/* A directory changing parent rewrites its "..". */
	if (a->dir != b->dir &&
	    ((LUX_S_ISDIR(x->mode) && !may(x, c->q, MAY_W)) ||
	     (exchange && LUX_S_ISDIR(y->mode) && !may(y, c->q, MAY_W))))
		return -EACCES;
	return 0;
}

/* Write down the rename about to change the tree (from: a's entry, to:
 * the entry that will name x), so that an instance finding it after a
 * crash completes it (recover.c): x never loses both names, nor a
 * directory keeps two. */
static void intend(struct ramfs *fs, const struct walk *a, struct dentry *from,
		   struct dentry *to, struct node *x, struct node *y)
{
	typeof(fs->head->intent) *in = &fs->head->intent;

	in->to = to;
	in->from_dir = a->dir;
	in->x = x;
	in->y = y;
	in->exchange = y != NULL;
	ramfs_order();
	in->from = from; /* last: the intent holds from here on */
	ramfs_order();
}

int64_t op_rename(struct call *c)
{
	uint32_t fl = c->q->flags;
	bool exchange = fl & LUX_RENAME_EXCHANGE;
	struct walk a, b;
	int err;

	if ((fl & ~(LUX_RENAME_NOREPLACE | LUX_RENAME_EXCHANGE)) ||
	    (exchange && (fl & LUX_RENAME_NOREPLACE)))
		return -EINVAL;
	if ((err = walk(c, 0, false, &a)) || (err = walk(c, 1, false, &b)))
		return err;
	if (!a.node || (exchange && !b.node))
		return -ENOENT;
	if (a.node == c->fs->root || b.node == c->fs->root)
		return -EBUSY;
	if (b.node && (fl & LUX_RENAME_NOREPLACE))
		return -EEXIST;
	if (!LUX_S_ISDIR(a.node->mode) && (a.slash || b.slash))
		return -ENOTDIR;
	if ((err = rename_check(c, &a, &b, exchange)))
		return err;
	if (a.node == b.node)
		return 0;
	struct node *x = a.node, *y = b.node;
	if (exchange) {
		intend(c->fs, &a, a.de, b.de, x, y);
		a.de->node = y;
		b.de->node = x;
		reparent(x, a.dir, b.dir);
		reparent(y, b.dir, a.dir);
		y->ctime = c->now;
	} else if (y) {
		/* Reuse the entry: replacing needs no memory. */
		intend(c->fs, &a, a.de, b.de, x, NULL);
		b.de->node = x;
		drop(c, b.dir, y);
		dir_remove(c->fs, a.dir, a.de);
		reparent(x, a.dir, b.dir);
	} else {
		if (dir_add(c->fs, b.dir, b.name, b.len, x))
			return -ENOSPC;
		intend(c->fs, &a, a.de, b.dir->dir.tail, x, NULL);
		dir_remove(c->fs, a.dir, a.de);
		reparent(x, a.dir, b.dir);
	}
	ramfs_order();
	c->fs->head->intent.from = NULL; /* done */
	x->ctime = c->now;
	a.dir->mtime = a.dir->ctime = b.dir->mtime = b.dir->ctime = c->now;
	return 0;
}

/* Linux's protected hard links (fs.protected_hardlinks = 1): the owner of
 * n and root may link it; others only a regular file they may read and
 * write that is neither setuid nor setgid-executable. */
static bool may_link(const struct lux_req *q, const struct node *n)
{
	uint32_t m = n->mode, sgid_x = LUX_S_ISGID | LUX_S_IXGRP;

	return owner_or_root(q, n) ||
	       (LUX_S_ISREG(m) && !(m & LUX_S_ISUID) &&
		(m & sgid_x) != sgid_x && may(n, q, MAY_R | MAY_W));
}

int64_t op_link(struct call *c)
{
	struct walk a, b;
	int err;

	if ((err = walk(c, 0, c->q->flags & LUX_AT_SYMLINK_FOLLOW, &a)) ||
	    (err = walk(c, 1, false, &b)))
		return err;
	if (!a.node)
		return -ENOENT;
	if (LUX_S_ISDIR(a.node->mode))
		return -EPERM;
	if (b.node)
		return -EEXIST;
	if (b.slash)
		return -ENOENT;
	if (!may_link(c->q, a.node))
		return -EPERM;
	if (!may(b.dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!a.node->nlink && !a.node->linkable)
		return -ENOENT; /* an unnamed file opened O_EXCL */
	if (dir_add(c->fs, b.dir, b.name, b.len, a.node))
		return -ENOSPC;
	a.node->linkable = 0;
	a.node->nlink++;
	a.node->ctime = b.dir->mtime = b.dir->ctime = c->now;
	return 0;
}

int64_t op_symlink(struct call *c)
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
	if ((err = create(c, &w, LUX_S_IFLNK | 0777, &n))) {
		ramfs_free(c->fs, copy, len);
		return err;
	}
	memcpy(copy, to, len);
	n->target = copy;
	n->size = len;
	return 0;
}
