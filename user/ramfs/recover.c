/*
 * recover.c - a new ramfs instance finds the tree its predecessor left in
 * the arena and checks it before serving: every pointer it follows must
 * be a chunk of the arena of the right size that nothing else claimed
 * (arena_claim), every object a known type; what fails is cut off (an
 * entry dropped, a block made a hole), never followed. Link counts,
 * directory sizes, parents and the list's back links are recomputed from
 * what is reached, and the chunks reached are the only ones taken: the
 * free space is rebuilt from them (mark and sweep), so a crash leaks
 * nothing. Open descriptors died with the old instance: every object's
 * open count starts at 0, and an object that had no name left goes.
 *
 * The walk is iterative (a directory's place, the entry naming the child
 * being walked, is kept in its open count meanwhile), so a deep tree
 * cannot overflow the stack.
 */
#include "fs.h"
#include <string.h>

/* Is n, just claimed, an object this ramfs can have made? */
static bool node_valid(struct ramfs *fs, struct node *n)
{
	switch (n->mode & LUX_S_IFMT) {
	case LUX_S_IFDIR:
	case LUX_S_IFCHR:
	case LUX_S_IFBLK:
	case LUX_S_IFIFO:
	case LUX_S_IFSOCK:
		return true;
	case LUX_S_IFREG:
		data_recover(fs, n);
		return true;
	case LUX_S_IFLNK:
		return n->size && n->size < LUX_PATH_MAX &&
		       arena_claim(fs, n->target, n->size);
	}
	return false;
}

/* The object an entry names, claimed and checked on its first visit;
 * NULL if the entry must go (not an object, or a directory seen
 * already: a directory has one name). */
static struct node *visit(struct ramfs *fs, struct dentry *de)
{
	struct node *n = de->node;

	if (arena_claim(fs, n, sizeof(*n))) {
		if (!node_valid(fs, n)) {
			ramfs_free(fs, n, sizeof(*n));
			return NULL;
		}
		n->nlink = LUX_S_ISDIR(n->mode) ? 2 : 0;
		n->opens = 0;
		n->hnext = fs->table[n->ino % RAMFS_HASH];
		fs->table[n->ino % RAMFS_HASH] = n;
		fs->nodes++;
		if (n->ino >= fs->head->next_ino)
			fs->head->next_ino = n->ino + 1;
		return n;
	}
	/* claimed before: a second name of a file (in the table), or not
	 * an object at all */
	uintptr_t off = (uintptr_t)n - (uintptr_t)fs->head;
	if (off % 64 || off < ARENA_PAGE ||
	    off + sizeof(*n) > fs->head->top * ARENA_PAGE)
		return NULL;
	for (struct node *m = fs->table[n->ino % RAMFS_HASH]; m; m = m->hnext)
		if (m == n)
			return LUX_S_ISDIR(n->mode) ? NULL : n;
	return NULL;
}

/* The entry at *link, claimed; NULL (the list ends here) if it is none. */
static struct dentry *entry_at(struct ramfs *fs, struct dentry *de)
{
	uintptr_t off = (uintptr_t)de - (uintptr_t)fs->head;

	if (!de || off % 64 || off < ARENA_PAGE ||
	    off >= fs->head->top * ARENA_PAGE || de->len == 0 ||
	    de->len > RAMFS_NAME_MAX ||
	    !arena_claim(fs, de, sizeof(*de) + de->len + 1))
		return NULL;
	de->name[de->len] = 0;
	return de;
}

/* A directory's entries are all walked: set its tail, size and cookie. */
static void dir_done(struct node *dir, struct dentry *last, uint64_t count,
		     uint64_t max_cookie)
{
	dir->dir.tail = last;
	dir->size = (2 + count) * DIR_ENTRY_SIZE;
	if (dir->dir.next_cookie <= max_cookie)
		dir->dir.next_cookie = max_cookie + 1;
}

/* Finish the rename the old instance was doing (names.c): the new name
 * names x, the old one goes. */
static void roll_forward(struct ramfs *fs)
{
	typeof(fs->head->intent) *in = &fs->head->intent;

	if (!in->from)
		return;
	if (in->exchange) {
		in->from->node = in->y;
		in->to->node = in->x;
	} else {
		in->to->node = in->x;
		struct dentry **link = &in->from_dir->dir.head;
		while (*link && *link != in->from)
			link = &(*link)->next;
		if (*link)
			*link = in->from->next;
	}
	memset(in, 0, sizeof(*in));
}

void ramfs_recover(struct ramfs *fs)
{
	struct node *dir = fs->head->root;
	struct dentry *de, **link, *prev = NULL;
	uint64_t count = 0, max_cookie = 1;

	roll_forward(fs);
	if (!arena_claim(fs, dir, sizeof(*dir)) || !LUX_S_ISDIR(dir->mode)) {
		fs->root = NULL; /* nothing to save: attach starts afresh */
		return;
	}
	fs->root = dir;
	dir->nlink = 2;
	dir->opens = 0;
	dir->dir.parent = dir;
	dir->hnext = NULL;
	fs->table[dir->ino % RAMFS_HASH] = dir;
	fs->nodes = 1;
	link = &dir->dir.head;
	for (;;) {
		if (!(de = entry_at(fs, *link))) {
			*link =
			    NULL; /* the list ends at what is not an entry */
			dir_done(dir, prev, count, max_cookie);
			if (dir == fs->root)
				return;
			/* back to the parent, after the entry naming dir */
			de = (struct dentry *)dir->dir.parent->opens;
			dir->dir.parent->opens = 0;
			dir = dir->dir.parent;
			prev = de;
			link = &de->next;
			count = 0; /* recounted below from the list */
			max_cookie = 1;
			for (struct dentry *e = dir->dir.head; e != de->next;
			     e = e->next, count++)
				if (e->cookie > max_cookie)
					max_cookie = e->cookie;
			continue;
		}
		struct node *n = visit(fs, de);
		if (!n) { /* unlink it and give its chunk back */
			*link = de->next;
			ramfs_free(fs, de, sizeof(*de) + de->len + 1);
			continue;
		}
		de->prev = prev;
		count++;
		if (de->cookie > max_cookie)
			max_cookie = de->cookie;
		if (!LUX_S_ISDIR(n->mode) || !n->dir.head) {
			n->nlink += !LUX_S_ISDIR(n->mode);
			dir->nlink += LUX_S_ISDIR(n->mode);
			if (LUX_S_ISDIR(n->mode)) {
				n->dir.parent = dir;
				dir_done(n, NULL, 0, 1);
			}
			prev = de;
			link = &de->next;
			continue;
		}
		/* a directory with entries: walk it, keeping our place */
		dir->nlink++;
		n->dir.parent = dir;
		dir->opens = (uintptr_t)de;
		dir = n;
		prev = NULL;
		link = &n->dir.head;
		count = 0;
		max_cookie = 1;
	}
}
