/*
 * tmpfile.c - O_TMPFILE: regular files made with no name, named only by
 * their hidden name while a descriptor of them is open, until LINK gives
 * them one (include/lux/proto.h, docs/decisions/0037-tmpfile.md). An
 * unnamed file is an ordinary object with no link: the last CLOSE frees
 * it (node_put), and a new instance after a crash, which reaches only
 * what the tree reaches, frees it with the rest of the unreachable
 * chunks (recover.c).
 */
#include "serve.h"
#include <errno.h>

/* A scan of the object table: hidden names are looked up only where no
 * entry has the name, and only by the calls that follow /proc/self/fd. */
struct node *tmp_find(struct ramfs *fs, const char *name, size_t len)
{
	uint64_t secret = lux_tmpname(name, len);

	for (int b = 0; secret && b < RAMFS_HASH; b++)
		for (struct node *n = fs->table[b]; n; n = n->hnext)
			if (LUX_S_ISREG(n->mode) && n->opens &&
			    n->file.tmp == secret)
				return n;
	return NULL;
}

int tmp_create(struct call *c, struct walk *w, struct node **out)
{
	const struct lux_req *q = c->q;
	uint64_t secret = lux_tmpname(w->name, w->len);
	uint32_t acc = q->flags & LUX_O_ACCMODE, gid = q->gid;
	struct node *n;

	if (!secret || w->slash || (q->flags & LUX_O_CREAT) ||
	    (acc != LUX_O_WRONLY && acc != LUX_O_RDWR))
		return -EINVAL;
	if (w->node)
		return -EEXIST; /* the same number twice: never by chance */
	if (!may(w->dir, q, MAY_W | MAY_X))
		return -EACCES;
	if (w->dir->mode & LUX_S_ISGID)
		gid = w->dir->gid;
	if (!(n = node_new(c->fs, LUX_S_IFREG | (q->mode & 07777), q->uid,
			   gid)))
		return -ENOSPC;
	n->nlink = 0;
	n->file.tmp = secret;
	n->linkable = !(q->flags & LUX_O_EXCL);
	*out = n;
	return 0;
}
