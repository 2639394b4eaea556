/*
 * io.c - the requests on an open object (by handle): read, write,
 * getdents, fsync, and close, which lets the inode go (and frees it once
 * it has no name left).
 */
#include "serve.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* The open inode a request's handle names (not held), or NULL. */
static struct inode *opened(struct call *c)
{
	struct inode *n = NULL;

	if (c->q->handle && c->q->handle <= UINT32_MAX)
		n = ifind(c->fs, c->q->handle);
	return n && n->opens ? n : NULL;
}

/* The regular file a READ or WRITE names. */
static int open_file(struct call *c, struct inode **n)
{
	if (!(*n = opened(c)))
		return -EBADF;
	if (S_ISDIR((*n)->raw.i_mode))
		return -EISDIR;
	return S_ISREG((*n)->raw.i_mode) ? 0 : -EINVAL;
}

int64_t op_read(struct call *c)
{
	struct inode *n;
	int err = open_file(c, &n);

	if (err)
		return err;
	if ((int64_t)c->q->off < 0)
		return -EINVAL;
	size_t len = c->q->count < LUX_MAX_DATA ? c->q->count : LUX_MAX_DATA;
	long got = data_read(c->fs, n, c->q->off, c->out, len);
	if (got < 0)
		return got;
	c->outlen = got;
	touch_atime(c, n);
	return got;
}

int64_t op_write(struct call *c)
{
	struct inode *n;
	int err = open_file(c, &n);

	if (err)
		return err;
	uint64_t off = c->q->flags & LUX_O_APPEND ? inode_size(n) : c->q->off;
	if ((int64_t)off < 0)
		return -EINVAL;
	long done = data_write(c->fs, n, off, c->data, c->n);
	if (done < 0)
		return done;
	if (done > 0) {
		if (c->q->uid != 0) {
			n->raw.i_mode &= ~S_ISUID;
			if (n->raw.i_mode & S_IXGRP)
				n->raw.i_mode &= ~S_ISGID;
		}
		stamp(c, n, T_MTIME | T_CTIME);
	}
	c->r->off = off + done;
	return done;
}

int64_t op_getdents(struct call *c)
{
	struct inode *n = opened(c);
	uint64_t next;

	if (!n)
		return -EBADF;
	if (!S_ISDIR(n->raw.i_mode))
		return -ENOTDIR;
	if (!n->raw.i_links_count)
		return -ENOENT;
	size_t room = c->q->count < LUX_MAX_DATA ? c->q->count : LUX_MAX_DATA;
	long len = dir_read(c->fs, n, c->q->off, c->out, room, &next);
	if (len < 0)
		return len;
	c->outlen = len;
	c->r->off = next;
	touch_atime(c, n);
	return len;
}

/* LUX_MAP: the object the kernel maps (the access mode was its check). */
int64_t op_map(struct call *c)
{
	struct inode *n = opened(c);

	return n ? fmap_map(c->fs, n,
			    (c->q->flags & LUX_O_ACCMODE) == LUX_O_RDWR)
		 : -EBADF;
}

/* fsync and fdatasync write every dirty block of the file system, not
 * just the file's (and what mappings stored in every mapped file):
 * simpler, and what a sync (msync too) needs anyway. */
int64_t op_fsync(struct call *c)
{
	if (!opened(c))
		return -EBADF;
	return ext2_sync(c->fs);
}

void op_close(struct call *c)
{
	struct inode *n = opened(c);

	if (n) {
		if (n->opens == 1 && n->raw.i_links_count)
			fmap_writeback(c->fs, n);
		n->opens--;
		iput(c->fs, n);
	}
}
