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

/* The slot holding block idx's pointer, made (tables and levels) when
 * create; NULL when it does not exist or memory ran out. */
static void **block_slot(struct ramfs *fs, struct node *f, uint64_t idx,
			 bool create)
{
	while (idx >= span(f->file.depth)) {
		if (!create)
			return NULL;
		if (f->file.root) {
			void **t = ramfs_alloc(fs, TABLE_SIZE);
			if (!t)
				return NULL;
			memset(t, 0, TABLE_SIZE);
			t[0] = f->file.root;
			f->file.root = t;
		}
		f->file.depth++;
	}
	void **p = &f->file.root;
	for (int level = f->file.depth; level > 0; level--) {
		if (!*p) {
			if (!create || !(*p = ramfs_alloc(fs, TABLE_SIZE)))
				return NULL;
			memset(*p, 0, TABLE_SIZE);
		}
		int shift = FANOUT_BITS * (level - 1);
		p = &((void **)*p)[(idx >> shift) & (FANOUT - 1)];
	}
	return p;
}

long data_read(struct node *f, uint64_t off, char *buf, size_t len)
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

long data_write(struct ramfs *fs, struct node *f, uint64_t off, const char *buf,
		size_t len)
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
		if (slot && !*slot && (*slot = ramfs_alloc(fs, RAMFS_BLOCK))) {
			memset(*slot, 0, RAMFS_BLOCK);
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

int data_truncate(struct ramfs *fs, struct node *f, uint64_t size)
{
	if (size > RAMFS_MAX_SIZE)
		return -EFBIG;
	if (size < f->size) {
		uint64_t keep = (size + RAMFS_BLOCK - 1) / RAMFS_BLOCK;
		free_from(fs, f, &f->file.root, f->file.depth, 0, keep);
		void **slot = block_slot(fs, f, size / RAMFS_BLOCK, false);
		if (size % RAMFS_BLOCK && slot && *slot)
			memset((char *)*slot + size % RAMFS_BLOCK, 0,
			       RAMFS_BLOCK - size % RAMFS_BLOCK);
	}
	f->size = size;
	return 0;
}
