/*
 * attr.c - the requests about an object's attributes: stat, readlink,
 * chmod, chown, utimens, truncate, access, statfs.
 */
#include "serve.h"
#include <errno.h>
#include <string.h>

int64_t op_stat(struct call *c)
{
	struct node *n;
	struct lux_stat *st = (struct lux_stat *)c->out;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

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
	    LUX_S_ISREG(n->mode) ? n->file.blocks * (RAMFS_BLOCK / 512) : 0;
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

int64_t op_readlink(struct call *c)
{
	struct node *n;
	int err = target(c, false, &n);

	if (err)
		return err;
	if (!LUX_S_ISLNK(n->mode))
		return -EINVAL;
	memcpy(c->out, n->target, n->size);
	c->outlen = n->size;
	touch_atime(n, c->now);
	return n->size;
}

int64_t op_chmod(struct call *c)
{
	struct node *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (!owner_or_root(c->q, n))
		return -EPERM;
	uint32_t mode = c->q->mode & 07777;
	if (c->q->uid != 0 && !lux_in_group(c->q, n->gid) &&
	    !LUX_S_ISDIR(n->mode))
		mode &= ~LUX_S_ISGID;
	n->mode = (n->mode & LUX_S_IFMT) | mode;
	n->ctime = c->now;
	return 0;
}

int64_t op_chown(struct call *c)
{
	uint32_t uid = c->q->off, gid = c->q->count, keep = (uint32_t)-1;
	const struct lux_req *q = c->q;
	struct node *n;
	int err = target(c, !(q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	/* Only root gives a file away; its owner may change its group to
	 * a group the owner is in. */
	if (q->uid != 0 &&
	    ((uid != keep && (q->uid != n->uid || uid != n->uid)) ||
	     (gid != keep &&
	      (q->uid != n->uid || (!lux_in_group(q, gid) && gid != n->gid)))))
		return -EPERM;
	if (uid == keep && gid == keep)
		return 0;
	n->uid = uid != keep ? uid : n->uid;
	n->gid = gid != keep ? gid : n->gid;
	if (!LUX_S_ISDIR(n->mode)) {
		n->mode &= ~LUX_S_ISUID;
		if (n->mode & LUX_S_IXGRP)
			n->mode &= ~LUX_S_ISGID;
	}
	n->ctime = c->now;
	return 0;
}

/* Time t of a UTIMENS request into *out (kept for UTIME_OMIT). */
static int utime_take(const int64_t t[2], struct timespec now,
		      struct timespec *out)
{
	if (t[1] == LUX_UTIME_OMIT)
		return 0;
	if (t[1] == LUX_UTIME_NOW) {
		*out = now;
		return 0;
	}
	if (t[1] < 0 || t[1] > 999999999)
		return -EINVAL;
	*out = (struct timespec){t[0], t[1]};
	return 0;
}

int64_t op_utimens(struct call *c)
{
	const int64_t(*t)[2] = c->q->time;
	struct node *n;
	struct timespec at, mt;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	if (t[0][1] == LUX_UTIME_OMIT && t[1][1] == LUX_UTIME_OMIT)
		return 0;
	bool to_now = t[0][1] == LUX_UTIME_NOW && t[1][1] == LUX_UTIME_NOW;
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

int64_t op_truncate(struct call *c)
{
	struct node *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (LUX_S_ISDIR(n->mode))
		return -EISDIR;
	if (!LUX_S_ISREG(n->mode) || (int64_t)c->q->off < 0)
		return -EINVAL;
	if (!c->q->handle && !may(n, c->q, MAY_W))
		return -EACCES;
	if (!c->q->handle &&
	    (err = lux_lease_break(LUX_SERVER_FD, c->q, n->ino, true)))
		return err;
	if ((err = data_truncate(c->fs, n, c->q->off)))
		return err;
	n->mtime = n->ctime = c->now;
	return 0;
}

int64_t op_access(struct call *c)
{
	struct node *n;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	if (c->q->mode & ~7u)
		return -EINVAL;
	return !c->q->mode || may(n, c->q, c->q->mode) ? 0 : -EACCES;
}

int64_t op_statfs(struct call *c)
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
	s->bfree = s->bavail = arena_free_pages(fs) * ARENA_PAGE / RAMFS_BLOCK;
	/* Objects cost memory like blocks do: say how many more would fit. */
	s->ffree = (fs->limit - fs->used) / sizeof(struct node);
	s->files = fs->nodes + s->ffree;
	s->namelen = RAMFS_NAME_MAX;
	c->outlen = sizeof(*s);
	return 0;
}
