/*
 * tmpfile.c - O_TMPFILE: regular files made with no name, named only by
 * their hidden name while a descriptor of them is open, until LINK gives
 * them one (include/lux/proto.h, docs/decisions/0037-tmpfile.md). An
 * unnamed file is an inode with no link that the open holds: the last
 * CLOSE frees it (iput), as an open file that lost its last name. The
 * hidden name and whether the file may be linked live in the in-core
 * inode only; the inode is on the orphan list (orphan.c) until it is
 * linked or freed, so that a server that dies leaves it to the next
 * mount to free.
 */
#include "serve.h"
#include <errno.h>
#include <sys/stat.h>

bool names_tmp(const struct call *c, int which)
{
	static const uint32_t ops =
	    1u << LUX_OPEN | 1u << LUX_STAT | 1u << LUX_LINK |
	    1u << LUX_ACCESS | 1u << LUX_CHMOD | 1u << LUX_CHOWN |
	    1u << LUX_UTIMENS | 1u << LUX_TRUNCATE | 1u << LUX_STATFS;

	return which == 0 && c->q->op < 32 && (ops >> c->q->op & 1);
}

/* A scan of the in-core inodes: an open file is always one of them. */
struct inode *tmp_find(struct ext2fs *fs, const char *name, size_t len)
{
	uint64_t secret = lux_tmpname(name, len);

	for (int b = 0; secret && b < ICACHE_HASH; b++)
		for (struct inode *ip = fs->itable[b]; ip; ip = ip->hnext)
			if (ip->opens && ip->tmp == secret)
				return ip;
	return NULL;
}

int tmp_create(struct call *c, struct walk *w, struct inode **out)
{
	const struct lux_req *q = c->q;
	uint64_t secret = lux_tmpname(w->name, w->len);
	uint32_t acc = q->flags & LUX_O_ACCMODE, gid = q->gid;
	struct inode *n;
	int err;

	if (!secret || w->slash || (q->flags & LUX_O_CREAT) ||
	    (acc != LUX_O_WRONLY && acc != LUX_O_RDWR))
		return -EINVAL;
	if (w->node)
		return -EEXIST; /* the same number twice: never by chance */
	if (!may(w->dir, q, MAY_W | MAY_X))
		return -EACCES;
	if (!w->dir->raw.i_links_count)
		return -ENOENT; /* removed while a walk held it */
	if (w->dir->raw.i_mode & S_ISGID)
		gid = inode_gid(w->dir);
	n = inode_new(c->fs, w->dir, S_IFREG | (q->mode & 07777), q->uid, gid,
		      &err);
	if (!n)
		return err;
	if (err) { /* iwrite failed: the inode goes again */
		iput(c->fs, n);
		return err;
	}
	n->tmp = secret;
	n->linkable = !(q->flags & LUX_O_EXCL);
	orphan_update(c->fs, n);
	*out = n;
	return 0;
}
