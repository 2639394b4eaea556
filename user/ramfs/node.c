/*
 * node.c - ramfs's objects: the object table (handle = inode number,
 * never reused) and the end of an object's life.
 */
#include "fs.h"
#include <errno.h>
#include <string.h>

struct timespec ramfs_now(void)
{
	struct timespec t = {0, 0};

	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

struct node *node_new(struct ramfs *fs, uint32_t mode, uint32_t uid,
		      uint32_t gid)
{
	struct node *n = ramfs_alloc(fs, sizeof(*n));

	if (!n)
		return NULL;
	memset(n, 0, sizeof(*n));
	n->ino = fs->head->next_ino++;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	n->nlink = LUX_S_ISDIR(mode) ? 2 : 1;
	n->atime = n->mtime = n->ctime =
	    fs->fill_time.tv_sec ? fs->fill_time : ramfs_now();
	if (LUX_S_ISDIR(mode)) {
		n->dir.next_cookie = 2;
		n->size = 2 * DIR_ENTRY_SIZE;
	}
	struct node **b = &fs->table[n->ino % RAMFS_HASH];
	n->hnext = *b;
	*b = n;
	fs->nodes++;
	return n;
}

struct node *node_find(struct ramfs *fs, uint64_t ino)
{
	struct node *n = fs->table[ino % RAMFS_HASH];

	while (n && n->ino != ino)
		n = n->hnext;
	return n;
}

void node_put(struct ramfs *fs, struct node *n)
{
	if (n->nlink || n->opens || n == fs->root)
		return;
	struct node **b = &fs->table[n->ino % RAMFS_HASH];
	while (*b != n)
		b = &(*b)->hnext;
	*b = n->hnext;
	if (LUX_S_ISREG(n->mode)) {
		fmap_drop(fs, n);
		data_truncate(fs, n, 0);
	} else if (LUX_S_ISLNK(n->mode))
		ramfs_free(fs, n->target, n->size);
	fs->nodes--;
	ramfs_free(fs, n, sizeof(*n));
}

void node_unlinked(struct ramfs *fs, struct node *dir, struct node *n)
{
	if (LUX_S_ISDIR(n->mode)) {
		n->nlink = 0;
		n->dir.parent = n; /* its old parent may go before it does */
		dir->nlink--;
	} else {
		n->nlink--;
	}
	node_put(fs, n);
}
