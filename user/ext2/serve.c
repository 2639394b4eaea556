/*
 * serve.c - the ext2 request server: one request in, one reply out, with
 * Linux's semantics (permissions checked against the caller's uid, gid
 * and groups, POSIX timestamps, symbolic links answered with
 * LUX_FOLLOW). Here: path walking, permissions, making and dropping
 * names, and the dispatch.
 */
#include "serve.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

bool may(const struct inode *n, const struct lux_req *q, uint32_t want)
{
	uint32_t mode = n->raw.i_mode;

	if (q->uid == 0)
		return !(want & MAY_X) || S_ISDIR(mode) || (mode & 0111);
	int shift = q->uid == inode_uid(n)          ? 6
		    : lux_in_group(q, inode_gid(n)) ? 3
						    : 0;
	return ((mode >> shift) & want) == want;
}

bool may_delete(const struct lux_req *q, const struct inode *dir,
		const struct inode *n)
{
	return !(dir->raw.i_mode & S_ISVTX) || q->uid == 0 ||
	       q->uid == inode_uid(dir) || q->uid == inode_uid(n);
}

bool owner_or_root(const struct lux_req *q, const struct inode *n)
{
	return q->uid == 0 || q->uid == inode_uid(n);
}

long link_target(struct ext2fs *fs, struct inode *n, char *buf)
{
	uint64_t size = inode_size(n);

	if (size >= LUX_PATH_MAX || size >= fs->bsize)
		return -EIO;
	if (inode_fast_link(fs, n)) {
		if (size >= EXT2_FAST_LINK)
			return -EIO;
		memcpy(buf, n->raw.i_block, size);
		return size;
	}
	long len = data_read(fs, n, 0, buf, size);
	return len == (long)size ? len : -EIO;
}

/* Answer with LUX_FOLLOW: link is named by the first off bytes of path
 * `which`. Lets link go. */
static int follow(struct call *c, int which, size_t off, struct inode *link)
{
	long len = link_target(c->fs, link, c->out);

	iput(c->fs, link);
	if (len < 0)
		return len;
	c->r->op = LUX_FOLLOW;
	c->r->off = off;
	c->r->off2 = which;
	c->outlen = len;
	return -FOLLOWED;
}

void walk_put(struct call *c, struct walk *w)
{
	iput(c->fs, w->node);
	iput(c->fs, w->dir);
	w->node = w->dir = NULL;
}

/* The last component: fill w (dir and n held) and apply the rules for a
 * link or a non-directory there. */
static int walk_last(struct call *c, int which, bool follow_last,
		     struct walk *w, size_t off)
{
	struct inode *n = w->node;

	if (n && S_ISLNK(n->raw.i_mode) && (follow_last || w->slash)) {
		iput(c->fs, w->dir);
		w->dir = w->node = NULL;
		return follow(c, which, off, n);
	}
	if (n && w->slash && !S_ISDIR(n->raw.i_mode)) {
		walk_put(c, w);
		w->exists = true; /* "file/": mkdir says EEXIST */
		return -ENOTDIR;
	}
	return 0;
}

int walk(struct call *c, int which, bool follow_last, struct walk *w)
{
	const char *path = c->path[which], *p = path, *end;
	struct inode *dir, *n;
	int err = 0;

	memset(w, 0, sizeof(*w));
	if (!path)
		return -EINVAL;
	if (!(dir = iget(c->fs, EXT2_ROOT_INO, &err)))
		return err;
	end = p + strlen(p);
	for (; end > p && end[-1] == '/'; end--)
		w->slash = true;
	while (p < end && *p == '/')
		p++;
	if (p == end) {
		w->dir = dir;
		w->node = ihold(dir);
		w->name = p;
		return 0;
	}
	for (;;) {
		const char *e = memchr(p, '/', end - p);
		e = e ? e : end;
		size_t len = e - p;
		uint32_t ino = 0;
		uint64_t pos = 0;
		n = NULL;
		if (len > EXT2_NAME_MAX)
			err = -ENAMETOOLONG;
		else if (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.')))
			err = -EINVAL; /* the kernel resolves these */
		else if (!S_ISDIR(dir->raw.i_mode))
			err = -ENOTDIR;
		else if (!may(dir, c->q, MAY_X))
			err = -EACCES;
		else if (!(err = dir_lookup(c->fs, dir, p, len, &ino, &pos)) &&
			 ino && !(n = iget(c->fs, ino, &err)))
			;
		if (err)
			break;
		if (e == end && !n && names_tmp(c, which) &&
		    (n = tmp_find(c->fs, p, len)))
			ihold(n);
		if (e == end) {
			bool slash = w->slash;
			*w = (struct walk){dir, p, len, n, pos, slash, false};
			return walk_last(c, which, follow_last, w, e - path);
		}
		if (!n) {
			err = -ENOENT;
			break;
		}
		if (S_ISLNK(n->raw.i_mode)) {
			iput(c->fs, dir);
			return follow(c, which, e - path, n);
		}
		iput(c->fs, dir);
		dir = n;
		for (p = e; p < end && *p == '/'; p++)
			;
	}
	iput(c->fs, dir);
	return err;
}

int target(struct call *c, bool follow_last, struct inode **n)
{
	struct walk w;

	if (c->q->handle) {
		struct inode *ip = NULL;
		if (c->q->handle <= UINT32_MAX)
			ip = ifind(c->fs, c->q->handle);
		if (!ip || !ip->opens)
			return -EBADF;
		*n = ihold(ip);
		return 0;
	}
	int err = walk(c, 0, follow_last, &w);
	if (err)
		return err;
	*n = w.node;
	iput(c->fs, w.dir);
	return *n ? 0 : -ENOENT;
}

/* The device number as ext2 keeps it in i_block (Linux's old encoding
 * when it fits, else the new one in the second slot). */
static void set_rdev(struct inode *n, uint64_t dev)
{
	uint32_t major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffu);
	uint32_t minor = (dev & 0xff) | ((dev >> 12) & ~0xffu);

	if (major < 256 && minor < 256)
		n->raw.i_block[0] = major << 8 | minor;
	else
		n->raw.i_block[1] =
		    (minor & 0xff) | major << 8 | (minor & ~0xffu) << 12;
}

/* Give the new inode n its contents: a directory's first block, a
 * link's target, a device's number. */
static int fill_new(struct call *c, struct inode *n, struct inode *dir,
		    const struct made *m)
{
	uint32_t type = m->mode & S_IFMT;
	struct ext2fs *fs = c->fs;

	if (type == S_IFDIR)
		return dir_init(fs, n, dir->num);
	if (type == S_IFCHR || type == S_IFBLK)
		set_rdev(n, m->rdev);
	if (type == S_IFLNK) {
		size_t len = strlen(m->target);
		if (len < EXT2_FAST_LINK) {
			memcpy(n->raw.i_block, m->target, len);
			inode_set_size(n, len);
		} else {
			long done = data_write(fs, n, 0, m->target, len);
			if (done != (long)len)
				return done < 0 ? done : -ENOSPC;
		}
	}
	return iwrite(fs, n);
}

int create(struct call *c, struct walk *w, const struct made *m,
	   struct inode **out)
{
	struct inode *dir = w->dir, *n;
	uint32_t gid = c->q->gid, mode = m->mode;
	bool isdir = S_ISDIR(mode);
	int err;

	if (w->node)
		return -EEXIST;
	if (w->slash && !isdir)
		return -ENOENT; /* "name/" can only be a directory */
	if (!may(dir, c->q, MAY_W | MAY_X))
		return -EACCES;
	if (!dir->raw.i_links_count)
		return -ENOENT; /* removed while a walk held it */
	if (isdir && dir->raw.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	if (dir->raw.i_mode & S_ISGID) {
		gid = inode_gid(dir);
		mode |= isdir ? S_ISGID : 0;
	}
	if (!(n = inode_new(c->fs, dir, mode, c->q->uid, gid, &err)))
		return err;
	n->raw.i_links_count = isdir ? 2 : 1;
	if ((err = fill_new(c, n, dir, m)) ||
	    (err = dir_add(c->fs, dir, w->name, w->len, n->num, mode))) {
		n->raw.i_links_count = 0;
		iput(c->fs, n);
		return err;
	}
	if (isdir)
		dir->raw.i_links_count++;
	stamp(c, dir, T_MTIME | T_CTIME);
	*out = n;
	return 0;
}

void drop(struct call *c, struct inode *dir, struct inode *n)
{
	if (S_ISDIR(n->raw.i_mode)) {
		n->raw.i_links_count = 0; /* its name and its "." */
		if (dir->raw.i_links_count > 1)
			dir->raw.i_links_count--;
		iwrite(c->fs, dir);
	} else if (n->raw.i_links_count) {
		n->raw.i_links_count--;
	}
	stamp(c, n, T_CTIME);
}

void stamp(struct call *c, struct inode *n, int which)
{
	for (int i = 0; i < 3; i++)
		if (which & (1 << i))
			inode_set_time(c->fs, n, i, c->now);
	iwrite(c->fs, n);
}

static bool ts_le(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec);
}

void touch_atime(struct call *c, struct inode *n)
{
	struct timespec at = inode_time(c->fs, n, 0);

	if (ts_le(at, inode_time(c->fs, n, 1)) ||
	    ts_le(at, inode_time(c->fs, n, 2)) ||
	    c->now.tv_sec - at.tv_sec >= 24 * 3600)
		stamp(c, n, T_ATIME);
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
	static int64_t (*const ops[])(struct call *) = {
	    [LUX_OPEN] = op_open,         [LUX_STAT] = op_stat,
	    [LUX_MKDIR] = op_mkdir,       [LUX_MKNOD] = op_mknod,
	    [LUX_UNLINK] = op_unlink,     [LUX_RENAME] = op_rename,
	    [LUX_LINK] = op_link,         [LUX_SYMLINK] = op_symlink,
	    [LUX_READLINK] = op_readlink, [LUX_CHMOD] = op_chmod,
	    [LUX_CHOWN] = op_chown,       [LUX_UTIMENS] = op_utimens,
	    [LUX_TRUNCATE] = op_truncate, [LUX_ACCESS] = op_access,
	    [LUX_STATFS] = op_statfs,     [LUX_READ] = op_read,
	    [LUX_WRITE] = op_write,       [LUX_GETDENTS] = op_getdents,
	    [LUX_FSYNC] = op_fsync,       [LUX_MAP] = op_map,
	};
	uint32_t op = c->q->op;

	if (op == LUX_IOCTL)
		return op_ioctl(c);
	if (op >= sizeof(ops) / sizeof(ops[0]) || !ops[op])
		return -ENOSYS;
	return ops[op](c);
}

long ext2_serve(struct ext2fs *fs, const struct lux_req *q, const char *data,
		struct lux_rep *r, char *out)
{
	struct call c = {.fs = fs, .q = q, .data = data, .r = r, .out = out};

	fs->caller_uid = q->uid;
	if (q->op == LUX_CLOSE) {
		op_close(&c);
		return -1;
	}
	if (q->op == LUX_CANCEL)
		return -1; /* every request is answered at once */
	c.n = q->len > sizeof(*q) ? q->len - sizeof(*q) : 0;
	c.path[0] = ""; /* no payload: the root */
	if (c.n) {
		const char *nul = memchr(data, 0, c.n);
		c.path[0] = data;
		if (nul && (size_t)(nul + 1 - data) < c.n)
			c.path[1] = nul + 1;
	}
	clock_gettime(CLOCK_REALTIME, &c.now);
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
