/*
 * cache.c - the block cache: a fixed set of buffers, found by block
 * number through a hash table, reused least recently used first. Writes
 * stay in the cache (write-back) until a sync, or until a buffer is
 * needed and the least recently used one is dirty: then every dirty block
 * is written, class by class (data, then bitmaps and inodes, then
 * directories, then the superblock and descriptors), so that the device
 * only ever sees whole batches in that order (docs/storage.md).
 */
#include "ext2.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cache_init(struct cache *c, uint32_t nbuf, uint32_t bsize)
{
	memset(c, 0, sizeof(*c));
	c->nbuf = nbuf;
	for (c->nhash = 64; c->nhash < nbuf; c->nhash *= 2)
		;
	c->bufs = calloc(nbuf, sizeof(*c->bufs));
	c->hash = calloc(c->nhash, sizeof(*c->hash));
	c->mem = malloc((size_t)nbuf * bsize);
	if (!c->bufs || !c->hash || !c->mem) {
		cache_free(c);
		return -ENOMEM;
	}
	c->lru.next = c->lru.prev = &c->lru;
	for (uint32_t i = 0; i < nbuf; i++) {
		struct cbuf *b = &c->bufs[i];
		b->data = c->mem + (size_t)i * bsize;
		b->prev = c->lru.prev;
		b->next = &c->lru;
		c->lru.prev->next = b;
		c->lru.prev = b;
	}
	return 0;
}

void cache_free(struct cache *c)
{
	free(c->bufs);
	free(c->hash);
	free(c->mem);
	memset(c, 0, sizeof(*c));
}

static struct cbuf **chain(struct cache *c, uint32_t blk)
{
	return &c->hash[(blk * 2654435761u) & (c->nhash - 1)];
}

static void unhash(struct cache *c, struct cbuf *b)
{
	struct cbuf **p = chain(c, b->blk);

	for (; *p; p = &(*p)->hnext)
		if (*p == b) {
			*p = b->hnext;
			break;
		}
	b->valid = false;
}

/* Move b to the most recently used end. */
static void touch(struct cache *c, struct cbuf *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	b->prev = c->lru.prev;
	b->next = &c->lru;
	c->lru.prev->next = b;
	c->lru.prev = b;
}

/* The least recently used unpinned buffer, clean (flushing everything if
 * it is dirty): NULL if every buffer is pinned or the flush failed. */
static struct cbuf *victim(struct ext2fs *fs)
{
	struct cache *c = &fs->cache;

	for (struct cbuf *b = c->lru.next; b != &c->lru; b = b->next) {
		if (b->pins)
			continue;
		if (b->dirty && cache_flush(fs) < 0)
			return NULL;
		return b;
	}
	return NULL;
}

static struct cbuf *lookup(struct cache *c, uint32_t blk)
{
	for (struct cbuf *b = *chain(c, blk); b; b = b->hnext)
		if (b->blk == blk)
			return b;
	return NULL;
}

struct cbuf *bget(struct ext2fs *fs, uint32_t blk, bool fresh)
{
	struct cache *c = &fs->cache;
	struct cbuf *b = lookup(c, blk);

	if (blk >= fs->sb.s_blocks_count)
		return NULL; /* a corrupt pointer: never past the device */
	if (b) {
		c->hits++;
		if (fresh)
			memset(b->data, 0, fs->bsize);
	} else {
		c->misses++;
		if (!(b = victim(fs)))
			return NULL;
		if (b->valid)
			unhash(c, b);
		if (fresh)
			memset(b->data, 0, fs->bsize);
		else if (blk_read(&fs->dev, (uint64_t)blk * fs->bsize, b->data,
				  fs->bsize) < 0)
			return NULL;
		b->blk = blk;
		b->valid = true;
		b->hnext = *chain(c, blk);
		*chain(c, blk) = b;
	}
	b->pins++;
	touch(c, b);
	return b;
}

void bput(struct cbuf *b)
{
	if (b)
		b->pins--;
}

void bdirty(struct ext2fs *fs, struct cbuf *b, enum cache_class cls)
{
	if (!b->dirty)
		fs->cache.ndirty++;
	/* A block keeps the latest class it was written as. */
	b->dirty = 1 + cls;
}

void bforget(struct ext2fs *fs, uint32_t blk)
{
	struct cbuf *b = lookup(&fs->cache, blk);

	if (b && !b->pins) {
		if (b->dirty)
			fs->cache.ndirty--;
		b->dirty = 0;
		unhash(&fs->cache, b);
	}
}

static int by_block(const void *a, const void *b)
{
	uint32_t x = (*(struct cbuf *const *)a)->blk;
	uint32_t y = (*(struct cbuf *const *)b)->blk;

	return x < y ? -1 : x > y;
}

int cache_flush(struct ext2fs *fs)
{
	struct cache *c = &fs->cache;
	struct cbuf **list;
	int err = 0;

	if (!c->ndirty)
		return 0;
	if (!(list = malloc(c->nbuf * sizeof(*list))))
		return -ENOMEM;
	c->flushes++;
	for (int cls = 0; cls < CLS_COUNT && !err; cls++) {
		uint32_t n = 0;
		for (uint32_t i = 0; i < c->nbuf; i++)
			if (c->bufs[i].dirty == 1 + cls)
				list[n++] = &c->bufs[i];
		qsort(list, n, sizeof(*list), by_block);
		for (uint32_t i = 0; i < n && !err; i++) {
			err = blk_write(&fs->dev,
					(uint64_t)list[i]->blk * fs->bsize,
					list[i]->data, fs->bsize);
			if (!err) {
				list[i]->dirty = 0;
				c->ndirty--;
			}
		}
	}
	free(list);
	return err;
}
