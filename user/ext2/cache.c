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
	c->wstage = malloc(CACHE_RUN);
	c->rstage = malloc(CACHE_RUN);
	if (!c->bufs || !c->hash || !c->mem || !c->wstage || !c->rstage) {
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
	ahead_stop(c);
	free(c->bufs);
	free(c->hash);
	free(c->mem);
	free(c->wstage);
	free(c->rstage);
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

/* b (out of the hash) holds block blk now. */
static void install(struct cache *c, struct cbuf *b, uint32_t blk)
{
	b->blk = blk;
	b->valid = true;
	b->hnext = *chain(c, blk);
	*chain(c, blk) = b;
}

bool cache_has(struct ext2fs *fs, uint32_t blk)
{
	return lookup(&fs->cache, blk) != NULL;
}

uint32_t cache_read_limit(struct ext2fs *fs, uint32_t blk, uint32_t n,
			  size_t bytes)
{
	uint32_t most = bytes / fs->bsize;

	/* Never more than a quarter of the cache: what was read stays
	 * until the reader gets to it. */
	most = most < fs->cache.nbuf / 4 ? most : fs->cache.nbuf / 4;
	n = n < most ? n : most;
	if (blk >= fs->sb.s_blocks_count)
		return 0;
	return n < fs->sb.s_blocks_count - blk ? n
					       : fs->sb.s_blocks_count - blk;
}

void cache_readahead(struct ext2fs *fs, uint32_t blk, uint32_t n)
{
	struct cache *c = &fs->cache;
	uint32_t k = 0;

	n = cache_read_limit(fs, blk, n, CACHE_RUN);
	while (k < n && !lookup(c, blk + k))
		k++;
	if (k < 2 || blk_read(&fs->dev, (uint64_t)blk * fs->bsize, c->rstage,
			      (size_t)k * fs->bsize) < 0)
		return;
	cache_fill(fs, blk, k, c->rstage);
}

void cache_fill(struct ext2fs *fs, uint32_t blk, uint32_t n, const uint8_t *src)
{
	struct cache *c = &fs->cache;

	for (uint32_t i = 0; i < n; i++) {
		if (lookup(c, blk + i))
			continue;
		struct cbuf *b = victim(fs); /* adds no block: blk + i is new */
		if (!b)
			return;
		if (b->valid)
			unhash(c, b);
		memcpy(b->data, src + (size_t)i * fs->bsize, fs->bsize);
		install(c, b, blk + i);
		touch(c, b);
	}
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
		install(c, b, blk);
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
	ahead_touch(&fs->cache, b->blk);
	if (!b->dirty)
		fs->cache.ndirty++;
	/* A block keeps the latest class it was written as. */
	b->dirty = 1 + cls;
}

void bforget(struct ext2fs *fs, uint32_t blk)
{
	struct cbuf *b = lookup(&fs->cache, blk);

	ahead_touch(&fs->cache, blk);
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

/* Write the dirty blocks list[0..n), in block order, each run of
 * consecutive blocks (up to CACHE_RUN bytes) in one device write: 0 or
 * -EIO (the blocks not written stay dirty). */
static int write_runs(struct ext2fs *fs, struct cbuf **list, uint32_t n)
{
	struct cache *c = &fs->cache;
	uint32_t most = CACHE_RUN / fs->bsize;

	for (uint32_t i = 0, k; i < n; i += k) {
		const uint8_t *src = list[i]->data;
		for (k = 1; i + k < n && k < most &&
			    list[i + k]->blk == list[i]->blk + k;
		     k++)
			;
		if (k > 1) {
			for (uint32_t j = 0; j < k; j++)
				memcpy(c->wstage + (size_t)j * fs->bsize,
				       list[i + j]->data, fs->bsize);
			src = c->wstage;
		}
		int err =
		    blk_write(&fs->dev, (uint64_t)list[i]->blk * fs->bsize, src,
			      (size_t)k * fs->bsize);
		if (err)
			return err;
		for (uint32_t j = 0; j < k; j++)
			list[i + j]->dirty = 0;
		c->ndirty -= k;
	}
	return 0;
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
		err = write_runs(fs, list, n);
	}
	free(list);
	return err;
}
