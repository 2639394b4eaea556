/*
 * data.c - the bytes of a regular file: 4 KiB blocks made on first write,
 * found through a tree of 512-pointer tables (like page tables) that grows
 * a level at a time as the file does. A missing block is a hole and reads
 * as zeros, so a sparse file costs only the blocks written.
 */
#include "fs.h"
#include <errno.h>
#include <string.h>

#define FANOUT_BITS 9
#define FANOUT      (1 << FANOUT_BITS)
#define TABLE_SIZE  (FANOUT * sizeof(void *))

/* Blocks a tree of `depth` table levels reaches. */
static uint64_t span(int depth)
{
	return 1ULL << (FANOUT_BITS * depth);
}

/* A new table, zeroed before anything links it; NULL when full. */
static void **new_table(struct ramfs *fs)
{
	void **t = ramfs_alloc(fs, TABLE_SIZE);

	if (t)
		memset(t, 0, TABLE_SIZE);
	ramfs_order();
	return t;
}

static void *tree_of(void *root, int depth)
{
	return (void *)((uintptr_t)root | (uintptr_t)depth);
}

/* The slot holding block idx's pointer, made (tables and levels) when
 * create; NULL when it does not exist or memory ran out. At depth 0 the
 * slot is the tree pointer itself (no level bits to keep). */
static void **block_slot(struct ramfs *fs, struct node *f, uint64_t idx,
			 bool create)
{
	while (idx >= span(data_depth(f))) {
		void **t = NULL;
		if (!create || (data_root(f) && !(t = new_table(fs))))
			return NULL;
		if (t)
			t[0] = data_root(f);
		ramfs_order();
		/* one store: a crash sees the old tree or the new one */
		f->file.tree = tree_of(t, data_depth(f) + 1);
	}
	int depth = data_depth(f);
	void **p = &f->file.tree;
	if (depth > 0 && !data_root(f)) {
		void **t;
		if (!create || !(t = new_table(fs)))
			return NULL;
		f->file.tree = tree_of(t, depth);
	}
	for (int level = depth; level > 0; level--) {
		void **t = level == depth ? data_root(f) : *p;
		if (!t && (!create || !(t = *p = new_table(fs))))
			return NULL;
		int shift = FANOUT_BITS * (level - 1);
		p = &t[(idx >> shift) & (FANOUT - 1)];
	}
	return p;
}

long data_read(struct node *f, uint64_t off, char *buf, size_t len)
{
	return f->file.obj ? fmap_read(f, off, buf, len)
			   : blocks_read(f, off, buf, len);
}

long data_write(struct ramfs *fs, struct node *f, uint64_t off, const char *buf,
		size_t len)
{
	long done = blocks_write(fs, f, off, buf, len);

	if (f->file.obj && done > 0)
		fmap_update(fs, f, off, buf, done);
	return done;
}

long blocks_read(struct node *f, uint64_t off, char *buf, size_t len)
{
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = f->size - off;
	for (size_t done = 0; done < len;) {
		uint64_t pos = off + done, in = pos % RAMFS_BLOCK;
		size_t n = RAMFS_BLOCK - in;
		if (n > len - done)
			n = len - done;
		void **slot = block_slot(NULL, f, pos / RAMFS_BLOCK, false);
		if (slot && *slot)
			memcpy(buf + done, (char *)*slot + in, n);
		else
			memset(buf + done, 0, n);
		done += n;
	}
	return len;
}

long blocks_write(struct ramfs *fs, struct node *f, uint64_t off,
		  const char *buf, size_t len)
{
	if (off > RAMFS_MAX_SIZE || len > RAMFS_MAX_SIZE - off)
		return -EFBIG;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done, in = pos % RAMFS_BLOCK;
		size_t n = RAMFS_BLOCK - in;
		if (n > len - done)
			n = len - done;
		void **slot = block_slot(fs, f, pos / RAMFS_BLOCK, true);
		void *b = slot && !*slot ? ramfs_alloc(fs, RAMFS_BLOCK) : NULL;
		if (b) { /* zeroed before it is linked */
			memset(b, 0, RAMFS_BLOCK);
			ramfs_order();
			*slot = b;
			f->file.blocks++;
		}
		if (!slot || !*slot)
			break;
		memcpy((char *)*slot + in, buf + done, n);
		done += n;
	}
	if (done && off + done > f->size)
		f->size = off + done;
	return done || !len ? (long)done : -ENOSPC;
}

/* Free the blocks of the subtree *p (level table levels above its blocks,
 * first block base) from block `from` on; *p itself goes when all of it
 * does. */
static void free_from(struct ramfs *fs, struct node *f, void **p, int level,
		      uint64_t base, uint64_t from)
{
	if (!*p || base + span(level) <= from)
		return;
	if (level > 0) {
		void **t = *p;
		for (int i = 0; i < FANOUT; i++)
			free_from(fs, f, &t[i], level - 1,
				  base + i * span(level - 1), from);
	}
	if (base >= from) {
		ramfs_free(fs, *p, level ? TABLE_SIZE : RAMFS_BLOCK);
		if (!level)
			f->file.blocks--;
		*p = NULL;
	}
}

/* Claim the tables and blocks of the subtree *p (level table levels
 * above its blocks, first block base) for recovery: a pointer that
 * cannot be one, or a part wholly past block keep, is cut; the blocks
 * kept are counted. Recursion is at most five levels deep. */
static void claim_tree(struct ramfs *fs, struct node *f, void **p, int level,
		       uint64_t base, uint64_t keep)
{
	if (!*p)
		return;
	if (base >= keep || !arena_claim(fs, *p, RAMFS_BLOCK)) {
		*p = NULL;
		return;
	}
	if (level == 0) {
		f->file.blocks++;
		return;
	}
	for (int i = 0; i < FANOUT; i++)
		claim_tree(fs, f, &((void **)*p)[i], level - 1,
			   base + i * span(level - 1), keep);
}

int data_truncate(struct ramfs *fs, struct node *f, uint64_t size)
{
	if (size > RAMFS_MAX_SIZE)
		return -EFBIG;
	if (size < f->size) {
		uint64_t keep = (size + RAMFS_BLOCK - 1) / RAMFS_BLOCK;
		void *root = data_root(f);
		f->size = size; /* first: what is cut is past the end */
		free_from(fs, f, &root, data_depth(f), 0, keep);
		if (!root)
			f->file.tree = NULL;
		void **slot = block_slot(fs, f, size / RAMFS_BLOCK, false);
		if (size % RAMFS_BLOCK && slot && *slot)
			memset((char *)*slot + size % RAMFS_BLOCK, 0,
			       RAMFS_BLOCK - size % RAMFS_BLOCK);
	}
	f->size = size;
	if (f->file.obj)
		fmap_update(fs, f, size, NULL, 0);
	return 0;
}

void data_recover(struct ramfs *fs, struct node *f)
{
	uint64_t keep = (f->size + RAMFS_BLOCK - 1) / RAMFS_BLOCK;
	void *root = data_root(f);
	int depth = data_depth(f);

	f->file.blocks = 0;
	f->file.obj = f->file.obj_rw = 0; /* the old instance's object went
					   * with it */
	if (depth > 5 || f->size > RAMFS_MAX_SIZE) {
		f->file.tree = NULL;
		f->size = 0;
		return;
	}
	claim_tree(fs, f, &root, depth, 0, keep);
	f->file.tree = root ? tree_of(root, depth) : NULL;
	void **slot = block_slot(fs, f, f->size / RAMFS_BLOCK, false);
	if (f->size % RAMFS_BLOCK && slot && *slot)
		memset((char *)*slot + f->size % RAMFS_BLOCK, 0,
		       RAMFS_BLOCK - f->size % RAMFS_BLOCK);
}
