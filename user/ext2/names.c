/*
 * names.c - the requests that make, move and remove names: open (with
 * O_CREAT), mkdir, mknod, unlink and rmdir, rename, link, symlink. A new
 * name is written after the inode it names, a name goes before its inode
 * does, and a rename adds the new name before it removes the old: what a
 * crash between two writes leaves, e2fsck repairs (docs/storage.md).
 */
#include "serve.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* The permission an open with flags needs on n, 0 or -errno. */
static int open_check(struct call *c, struct inode *n, uint32_t fl)
{
	uint32_t acc = fl & LUX_O_ACCMODE, mode = n->raw.i_mode;
	uint32_t want = acc == LUX_O_RDONLY ? MAY_R : MAY_W;

	if (acc == LUX_O_ACCMODE || acc == 2)
		want |= MAY_R;
	if (fl & LUX_O_TRUNC)
		want |= MAY_W;
	if ((fl & LUX_O_DIRECTORY) && !S_ISDIR(mode))
		return -ENOTDIR;
	if (fl & LUX_O_PATH)
		return 0; /* names the object, no access to it */
	if (S_ISDIR(mode) && (want & MAY_W))
		return -EISDIR;
	if ((fl & LUX_O_EXEC) && (!S_ISREG(mode) || !may(n, c->q, MAY_X)))
		return -EACCES;
	if (!may(n, c->q, want))
		return -EACCES;
	if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISFIFO(mode))
		return -ENXIO; /* devices are other servers'; FIFOs the
				* kernel's pipes (docs/decisions/0034) */
	return 0;
}

/* Open the existing object n of w with flags fl: 0 or -errno. */
static int open_existing(struct call *c, struct inode *n, uint32_t fl)
{
	bool excl =
	    (fl & (LUX_O_CREAT | LUX_O_EXCL)) == (LUX_O_CREAT | LUX_O_EXCL);

	if (excl)
		return -EEXIST;
	if (S_ISLNK(n->raw.i_mode) && !(fl & LUX_O_PATH))
		return -ELOOP;
	if (S_ISDIR(n->raw.i_mode) && (fl & LUX_O_CREAT))
		return -EISDIR;
	return open_check(c, n, fl);
}

int64_t op_open(struct call *c)
{
	uint32_t fl = c->q->flags;
	bool excl =
	    (fl & (LUX_O_CREAT | LUX_O_EXCL)) == (LUX_O_CREAT | LUX_O_EXCL);
	struct walk w;
	struct inode *n = NULL;
	bool tmp = fl & LUX_O_TMPFILE;
	int err = walk(c, 0, !(fl & LUX_O_NOFOLLOW) && !excl && !tmp, &w);

	if (err)
		return err;
	if (tmp) {
		err = tmp_create(c, &w, &n);
	} else if (w.node) {
		err = open_existing(c, w.node, fl);
		n = w.node;
		w.node = NULL;
	} else if (!(fl & LUX_O_CREAT)) {
		err = -ENOENT;
	} else if (w.slash) {
		err = -EISDIR;
	} else {
		struct made m = {S_IFREG | (c->q->mode & 07777), 0, NULL};
		err = create(c, &w, &m, &n);
	}
	walk_put(c, &w);
	if (!err) /* a lease in the way, or the break was started? */
		err = lux_lease_open(LUX_SERVER_FD, c->q, n->num);
	if (!err && (fl & LUX_O_TRUNC) && !(fl & LUX_O_PATH) &&
	    S_ISREG(n->raw.i_mode)) {
		if ((err = data_truncate(c->fs, n, 0)))
			lux_lease_forget(c->q, n->num);
		else
			stamp(c, n, T_MTIME | T_CTIME);
	}
	if (err) {
		iput(c->fs, n);
		return err;
	}
	n->opens++; /* the open keeps the walk's reference */
	c->r->handle = n->num;
	c->r->mode = n->raw.i_mode;
	c->r->events = LUX_POLLIN | LUX_POLLOUT;
	return 0;
}

/* Make the object path 0 names: mkdir, mknod, symlink. */
static int64_t make(struct call *c, const struct made *m)
{
	struct walk w;
	struct inode *n;
	int err = walk(c, 0, false, &w);

	if (err == -ENOTDIR && w.exists)
		return -EEXIST; /* "file/" */
	if (err)
		return err;
	if (!(err = create(c, &w, m, &n)))
		iput(c->fs, n);
	walk_put(c, &w);
	return err;
}

int64_t op_mkdir(struct call *c)
{
	struct made m = {S_IFDIR | (c->q->mode & 01777), 0, NULL};

	return make(c, &m);
}

int64_t op_mknod(struct call *c)
{
	uint32_t type = c->q->mode & S_IFMT;
	struct made m = {0, c->q->off, NULL};

	type = type ? type : S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK &&
	    type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	if ((type == S_IFCHR || type == S_IFBLK) && c->q->uid != 0)
		return -EPERM;
	m.mode = type | (c->q->mode & 07777);
	return make(c, &m);
}

int64_t op_symlink(struct call *c)
{
	const char *to = c->path[1];
	size_t len = to ? strlen(to) : 0;
	struct made m = {S_IFLNK | 0777, 0, to};

	if (!len)
		return -ENOENT;
	if (len >= LUX_PATH_MAX || len + 1 > c->fs->bsize)
		return -ENAMETOOLONG;
	return make(c, &m);
}

/* May w's object go (unlink, or rmdir when rmdir)? 0 or -errno. */
static int unlink_check(struct call *c, struct walk *w, bool rmdir)
{
	struct inode *n = w->node;

	if (!n)
		return -ENOENT;
	if (n->num == EXT2_ROOT_INO)
		return -EBUSY;
	if (rmdir && !S_ISDIR(n->raw.i_mode))
		return -ENOTDIR;
	if (!rmdir && S_ISDIR(n->raw.i_mode))
		return -EISDIR;
	if (!may(w->dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!may_delete(c->q, w->dir, n))
		return -EPERM;
	if (rmdir) {
		int empty = dir_empty(c->fs, n);
		if (empty <= 0)
			return empty < 0 ? empty : -ENOTEMPTY;
	}
	return 0;
}

int64_t op_unlink(struct call *c)
{
	bool rmdir = c->q->flags & LUX_AT_REMOVEDIR;
	struct walk w;
	int err = walk(c, 0, false, &w);

	if (err)
		return err;
	if (!(err = unlink_check(c, &w, rmdir)) &&
	    !(err = dir_remove(c->fs, w.dir, w.pos))) {
		stamp(c, w.dir, T_MTIME | T_CTIME);
		drop(c, w.dir, w.node);
	}
	walk_put(c, &w);
	return err;
}

/* Is the directory d the directory x or inside it? 0, 1, -errno. */
static int inside(struct ext2fs *fs, struct inode *d, struct inode *x)
{
	uint32_t num = d->num, up;
	int err = 0;

	/* A tree deeper than its inodes is a loop: stop there. */
	for (uint32_t i = 0; i <= fs->sb.s_inodes_count; i++) {
		if (num == x->num)
			return 1;
		if (num == EXT2_ROOT_INO)
			return 0;
		struct inode *ip = iget(fs, num, &err);
		if (!ip)
			return err;
		err = dir_parent(fs, ip, &up);
		iput(fs, ip);
		if (err)
			return err;
		num = up;
	}
	return -EIO;
}

/* The directory n moves from the directory `from` to `to`: its ".." and
 * both link counts follow. */
static int reparent(struct call *c, struct inode *n, struct inode *from,
		    struct inode *to)
{
	uint32_t up;
	uint64_t pos;
	int err;

	if (!S_ISDIR(n->raw.i_mode) || from == to)
		return 0;
	if ((err = dir_lookup(c->fs, n, "..", 2, &up, &pos)))
		return err;
	if (!up)
		return -EIO;
	if ((err = dir_retarget(c->fs, n, pos, to->num, S_IFDIR)))
		return err;
	to->raw.i_links_count++;
	from->raw.i_links_count--;
	iwrite(c->fs, to);
	return iwrite(c->fs, from);
}

/* Could the objects of a and b of a rename take each other's place (b
 * may be missing)? 0 or -errno. */
static int rename_check(struct call *c, struct walk *a, struct walk *b,
			bool exchange)
{
	struct inode *x = a->node, *y = b->node;
	bool xdir = S_ISDIR(x->raw.i_mode), ydir = y && S_ISDIR(y->raw.i_mode);
	int in;

	if (!may(a->dir, c->q, MAY_W | MAY_X) ||
	    !may(b->dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!may_delete(c->q, a->dir, x) || (y && !may_delete(c->q, b->dir, y)))
		return -EPERM;
	if (xdir && (in = inside(c->fs, b->dir, x)))
		return in < 0 ? in : -EINVAL;
	if (exchange && ydir && (in = inside(c->fs, a->dir, y)))
		return in < 0 ? in : -EINVAL;
	if (!exchange && y) {
		if (xdir && !ydir)
			return -ENOTDIR;
		if (!xdir && ydir)
			return -EISDIR;
		if (ydir && (in = dir_empty(c->fs, y)) <= 0)
			return in < 0 ? in : -ENOTEMPTY;
	}
	if (xdir && !y && a->dir != b->dir &&
	    b->dir->raw.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	/* A directory changing parent rewrites its "..". */
	if (a->dir != b->dir && ((xdir && !may(x, c->q, MAY_W)) ||
				 (exchange && ydir && !may(y, c->q, MAY_W))))
		return -EACCES;
	return 0;
}

/* Carry out a checked rename of a's object to b (replacing b's object
 * unless exchange, which swaps them): 0 or -errno. */
static int rename_do(struct call *c, struct walk *a, struct walk *b,
		     bool exchange)
{
	struct inode *x = a->node, *y = b->node;
	struct ext2fs *fs = c->fs;
	int err;

	if (exchange) {
		if ((err = dir_retarget(fs, b->dir, b->pos, x->num,
					x->raw.i_mode)) ||
		    (err = dir_retarget(fs, a->dir, a->pos, y->num,
					y->raw.i_mode)) ||
		    (err = reparent(c, x, a->dir, b->dir)) ||
		    (err = reparent(c, y, b->dir, a->dir)))
			return err;
		stamp(c, y, T_CTIME);
	} else if (y) {
		if ((err = dir_retarget(fs, b->dir, b->pos, x->num,
					x->raw.i_mode)))
			return err;
		drop(c, b->dir, y);
		if ((err = dir_remove(fs, a->dir, a->pos)) ||
		    (err = reparent(c, x, a->dir, b->dir)))
			return err;
	} else {
		if ((err = dir_add(fs, b->dir, b->name, b->len, x->num,
				   x->raw.i_mode)) ||
		    (err = dir_remove(fs, a->dir, a->pos)) ||
		    (err = reparent(c, x, a->dir, b->dir)))
			return err;
	}
	stamp(c, x, T_CTIME);
	stamp(c, a->dir, T_MTIME | T_CTIME);
	stamp(c, b->dir, T_MTIME | T_CTIME);
	return 0;
}

int64_t op_rename(struct call *c)
{
	uint32_t fl = c->q->flags;
	bool exchange = fl & LUX_RENAME_EXCHANGE;
	struct walk a, b = {0};
	int err;

	if ((fl & ~(LUX_RENAME_NOREPLACE | LUX_RENAME_EXCHANGE)) ||
	    (exchange && (fl & LUX_RENAME_NOREPLACE)))
		return -EINVAL;
	if ((err = walk(c, 0, false, &a)))
		return err;
	if ((err = walk(c, 1, false, &b)))
		goto out;
	if (!a.node || (exchange && !b.node))
		err = -ENOENT;
	else if (a.node->num == EXT2_ROOT_INO ||
		 (b.node && b.node->num == EXT2_ROOT_INO))
		err = -EBUSY;
	else if (b.node && (fl & LUX_RENAME_NOREPLACE))
		err = -EEXIST;
	else if (!S_ISDIR(a.node->raw.i_mode) && (a.slash || b.slash))
		err = -ENOTDIR;
	else if (a.node == b.node)
		err = 0; /* one inode, two names (or one): as Linux, nothing */
	else if (!(err = rename_check(c, &a, &b, exchange)))
		err = rename_do(c, &a, &b, exchange);
out:
	walk_put(c, &b);
	walk_put(c, &a);
	return err;
}

/* Linux's protected hard links (fs.protected_hardlinks = 1): the owner of
 * n and root may link it; others only a regular file they may read and
 * write that is neither setuid nor setgid-executable. */
static bool may_link(const struct lux_req *q, const struct inode *n)
{
	uint32_t m = n->raw.i_mode, sgid_x = S_ISGID | S_IXGRP;

	return owner_or_root(q, n) ||
	       (S_ISREG(m) && !(m & S_ISUID) && (m & sgid_x) != sgid_x &&
		may(n, q, MAY_R | MAY_W));
}

/* Link checks: 0 or -errno. */
static int link_check(struct call *c, struct walk *a, struct walk *b)
{
	if (!a->node)
		return -ENOENT;
	if (S_ISDIR(a->node->raw.i_mode))
		return -EPERM;
	if (b->node)
		return -EEXIST;
	if (b->slash)
		return -ENOENT;
	if (!may_link(c->q, a->node))
		return -EPERM;
	if (!may(b->dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!b->dir->raw.i_links_count)
		return -ENOENT;
	if (!a->node->raw.i_links_count && !a->node->linkable)
		return -ENOENT; /* an open file with no name left, or an
				 * unnamed one opened O_EXCL */
	if (a->node->raw.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	return 0;
}

int64_t op_link(struct call *c)
{
	struct walk a, b = {0};
	int err;

	if ((err = walk(c, 0, c->q->flags & LUX_AT_SYMLINK_FOLLOW, &a)))
		return err;
	if (!(err = walk(c, 1, false, &b)) && !(err = link_check(c, &a, &b))) {
		struct inode *x = a.node;
		x->linkable = false;
		x->raw.i_links_count++;
		stamp(c, x, T_CTIME);
		if ((err = dir_add(c->fs, b.dir, b.name, b.len, x->num,
				   x->raw.i_mode))) {
			x->raw.i_links_count--;
			iwrite(c->fs, x);
		} else {
			stamp(c, b.dir, T_MTIME | T_CTIME);
		}
	}
	walk_put(c, &b);
	walk_put(c, &a);
	return err;
}
