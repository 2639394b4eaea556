/*
 * io.c - the requests on an open object (by handle): read, write,
 * getdents, fsync, and close, which ends an object once nothing names it.
 */
#include "serve.h"
#include <errno.h>
#include <string.h>

/* The regular file a READ or WRITE names. */
static int open_file(struct call *c, struct node **n)
{
	if (!(*n = node_find(c->fs, c->q->handle)))
		return -EBADF;
	if (LUX_S_ISDIR((*n)->mode))
		return -EISDIR;
	return LUX_S_ISREG((*n)->mode) ? 0 : -EINVAL;
}

int64_t op_read(struct call *c)
{
	struct node *n;
	int err = open_file(c, &n);

	if (err)
		return err;
	if ((int64_t)c->q->off < 0)
		return -EINVAL;
	size_t len = c->q->count < LUX_MAX_DATA ? c->q->count : LUX_MAX_DATA;
	long got = data_read(n, c->q->off, c->out, len);
	if (got < 0)
		return got;
	c->outlen = got;
	touch_atime(n, c->now);
	return got;
}

int64_t op_write(struct call *c)
{
	struct node *n;
	int err = open_file(c, &n);

	if (err)
		return err;
	uint64_t off = c->q->flags & LUX_O_APPEND ? n->size : c->q->off;
	if ((int64_t)off < 0)
		return -EINVAL;
	long done = data_write(c->fs, n, off, c->data, c->n);
	if (done < 0)
		return done;
	if (done > 0) {
		n->mtime = n->ctime = c->now;
		if (c->q->uid != 0) {
			n->mode &= ~LUX_S_ISUID;
			if (n->mode & LUX_S_IXGRP)
				n->mode &= ~LUX_S_ISGID;
		}
	}
	c->r->off = off + done;
	return done;
}

int64_t op_getdents(struct call *c)
{
	struct node *n = node_find(c->fs, c->q->handle);
	uint64_t next;

	if (!n)
		return -EBADF;
	if (!LUX_S_ISDIR(n->mode))
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

/* fsync writes back what mappings stored in every mapped file (msync
 * and sync come here too), so that a restart finds it. */
int64_t op_fsync(struct call *c)
{
	return node_find(c->fs, c->q->handle) ? fmap_writeback_all(c->fs)
					      : -EBADF;
}

/* LUX_MAP: the object the kernel maps (the access mode was its check). */
int64_t op_map(struct call *c)
{
	struct node *n = node_find(c->fs, c->q->handle);

	return n ? fmap_map(c->fs, n,
			    (c->q->flags & LUX_O_ACCMODE) == LUX_O_RDWR)
		 : -EBADF;
}

void op_close(struct call *c)
{
	struct node *n = node_find(c->fs, c->q->handle);

	if (n && n->opens) {
		if (n->opens == 1 && n->nlink && LUX_S_ISREG(n->mode))
			fmap_writeback(c->fs, n);
		n->opens--;
		node_put(c->fs, n);
	}
}
