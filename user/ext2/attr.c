/*
 * attr.c - the requests about an object's attributes: stat, readlink,
 * chmod, chown, utimens, truncate, access, statfs.
 */
#include "serve.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* The device number of a device inode, as stat gives it. */
static uint64_t get_rdev(const struct inode *n)
{
	uint32_t old = n->raw.i_block[0], nw = n->raw.i_block[1];
	uint64_t major, minor;

	if (old) {
		major = (old >> 8) & 0xff;
		minor = old & 0xff;
	} else {
		major = (nw & 0xfff00) >> 8;
		minor = (nw & 0xff) | ((nw >> 12) & 0xfff00);
	}
	return (major & 0xfff) << 8 | (major & ~0xfffull) << 32 |
	       (minor & 0xff) | (minor & ~0xffull) << 12;
}

int64_t op_stat(struct call *c)
{
	struct inode *n;
	struct lux_stat *st = (struct lux_stat *)c->out;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	uint32_t mode = n->raw.i_mode;
	memset(st, 0, sizeof(*st));
	st->dev = c->fs->dev_id;
	st->ino = n->num;
	st->nlink = n->raw.i_links_count;
	if (S_ISCHR(mode) || S_ISBLK(mode))
		st->rdev = get_rdev(n);
	st->size = inode_size(n);
	st->blksize = c->fs->bsize;
	st->blocks = n->raw.i_blocks;
	st->mode = mode;
	st->uid = inode_uid(n);
	st->gid = inode_gid(n);
	for (int i = 0; i < 3; i++) {
		struct timespec t = inode_time(c->fs, n, i);
		st->time[i][0] = t.tv_sec;
		st->time[i][1] = t.tv_nsec;
	}
	iput(c->fs, n);
	c->outlen = sizeof(*st);
	return 0;
}

int64_t op_readlink(struct call *c)
{
	struct inode *n;
	long len;
	int err = target(c, false, &n);

	if (err)
		return err;
	if (!S_ISLNK(n->raw.i_mode)) {
		len = -EINVAL;
	} else if ((len = link_target(c->fs, n, c->out)) >= 0) {
		c->outlen = len;
		touch_atime(c, n);
	}
	iput(c->fs, n);
	return len;
}

int64_t op_chmod(struct call *c)
{
	struct inode *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (!owner_or_root(c->q, n)) {
		iput(c->fs, n);
		return -EPERM;
	}
	uint32_t mode = c->q->mode & 07777, type = n->raw.i_mode & S_IFMT;
	if (c->q->uid != 0 && !lux_in_group(c->q, inode_gid(n)) &&
	    type != S_IFDIR)
		mode &= ~S_ISGID;
	n->raw.i_mode = type | mode;
	stamp(c, n, T_CTIME);
	iput(c->fs, n);
	return 0;
}

/* May the caller of q give n the owner uid and group gid (-1: keep)? */
static bool may_chown(const struct lux_req *q, const struct inode *n,
		      uint32_t uid, uint32_t gid)
{
	uint32_t keep = (uint32_t)-1, owner = inode_uid(n);

	/* Only root gives a file away; its owner may change its group to
	 * a group the owner is in. */
	if (q->uid == 0)
		return true;
	if (uid != keep && (q->uid != owner || uid != owner))
		return false;
	return gid == keep || (q->uid == owner &&
			       (lux_in_group(q, gid) || gid == inode_gid(n)));
}

int64_t op_chown(struct call *c)
{
	uint32_t uid = c->q->off, gid = c->q->count, keep = (uint32_t)-1;
	struct inode *n;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	if (!may_chown(c->q, n, uid, gid)) {
		iput(c->fs, n);
		return -EPERM;
	}
	if (uid != keep || gid != keep) {
		inode_set_owner(n, uid != keep ? uid : inode_uid(n),
				gid != keep ? gid : inode_gid(n));
		if (!S_ISDIR(n->raw.i_mode)) {
			n->raw.i_mode &= ~S_ISUID;
			if (n->raw.i_mode & S_IXGRP)
				n->raw.i_mode &= ~S_ISGID;
		}
		stamp(c, n, T_CTIME);
	}
	iput(c->fs, n);
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

/* Set n's atime and mtime as the request says: 0 or -errno. */
static int utimens_set(struct call *c, struct inode *n)
{
	const int64_t(*t)[2] = c->q->time;
	bool to_now = t[0][1] == LUX_UTIME_NOW && t[1][1] == LUX_UTIME_NOW;
	struct timespec at = inode_time(c->fs, n, 0);
	struct timespec mt = inode_time(c->fs, n, 1);
	int err;

	if (t[0][1] == LUX_UTIME_OMIT && t[1][1] == LUX_UTIME_OMIT)
		return 0;
	if (!owner_or_root(c->q, n) && !(to_now && may(n, c->q, MAY_W)))
		return to_now ? -EACCES : -EPERM;
	if ((err = utime_take(t[0], c->now, &at)) ||
	    (err = utime_take(t[1], c->now, &mt)))
		return err;
	inode_set_time(c->fs, n, 0, at);
	inode_set_time(c->fs, n, 1, mt);
	stamp(c, n, T_CTIME);
	return 0;
}

int64_t op_utimens(struct call *c)
{
	struct inode *n;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	err = utimens_set(c, n);
	iput(c->fs, n);
	return err;
}

int64_t op_truncate(struct call *c)
{
	struct inode *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	if (S_ISDIR(n->raw.i_mode))
		err = -EISDIR;
	else if (!S_ISREG(n->raw.i_mode) || (int64_t)c->q->off < 0)
		err = -EINVAL;
	else if (!c->q->handle && !may(n, c->q, MAY_W))
		err = -EACCES;
	else if (!c->q->handle &&
		 (err = lux_lease_break(LUX_SERVER_FD, c->q, n->num, true)))
		; /* a lease in the way */
	else if (!(err = data_truncate(c->fs, n, c->q->off)))
		stamp(c, n, T_MTIME | T_CTIME);
	iput(c->fs, n);
	return err;
}

int64_t op_access(struct call *c)
{
	struct inode *n;
	int err = target(c, !(c->q->flags & LUX_AT_SYMLINK_NOFOLLOW), &n);

	if (err)
		return err;
	if (c->q->mode & ~7u)
		err = -EINVAL;
	else if (c->q->mode && !may(n, c->q, c->q->mode))
		err = -EACCES;
	iput(c->fs, n);
	return err;
}

/* Does group g hold a copy of the superblock and descriptors? */
static bool has_super(const struct ext2fs *fs, uint32_t g)
{
	if (g <= 1 || !(fs->sb.s_feature_ro_compat & EXT2_RO_COMPAT_SPARSE))
		return true;
	for (uint32_t p = 3; p <= 7; p += 2) {
		uint32_t x = g;
		while (x % p == 0)
			x /= p;
		if (x == 1)
			return true;
	}
	return false;
}

int64_t op_statfs(struct call *c)
{
	struct lux_statfs *s = (struct lux_statfs *)c->out;
	struct ext2fs *fs = c->fs;
	struct ext2_super *sb = &fs->sb;
	struct inode *n;
	int err = target(c, true, &n);

	if (err)
		return err;
	iput(fs, n);
	/* As Linux's ext2: the blocks the groups' own metadata take (the
	 * superblock copies and descriptors, two bitmaps, the inode table)
	 * are not counted. */
	uint64_t overhead = sb->s_first_data_block;
	uint32_t itb =
	    (sb->s_inodes_per_group * fs->isize + fs->bsize - 1) / fs->bsize;
	for (uint32_t g = 0; g < fs->ngroups; g++)
		overhead +=
		    (has_super(fs, g) ? 1 + fs->gdt_blocks : 0) + 2 + itb;
	memset(s, 0, sizeof(*s));
	s->type = EXT2_MAGIC;
	s->bsize = s->frsize = fs->bsize;
	s->blocks = sb->s_blocks_count - overhead;
	s->bfree = sb->s_free_blocks_count;
	s->bavail = s->bfree > sb->s_r_blocks_count
			? s->bfree - sb->s_r_blocks_count
			: 0;
	s->files = sb->s_inodes_count;
	s->ffree = sb->s_free_inodes_count;
	s->namelen = EXT2_NAME_MAX;
	c->outlen = sizeof(*s);
	return 0;
}
