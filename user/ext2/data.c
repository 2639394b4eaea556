/*
 * data.c - file contents through ext2's block map: twelve direct
 * pointers, then trees of one, two and three levels of index blocks. A
 * zero pointer is a hole (reads as zeros). Bytes past the end of a file
 * in its last block are kept zero, so that growing a file shows zeros.
 */
#include "ext2.h"
#include <errno.h>
#include <string.h>

/* The i_block slot and the index path of logical block lb: the depth of
 * the tree (0: a direct pointer), or -EFBIG. */
static int block_path(const struct ext2fs *fs, uint64_t lb, uint32_t idx[4])
{
	uint64_t p = fs->ppb;

	if (lb < EXT2_NDIR) {
		idx[0] = lb;
		return 0;
	}
	lb -= EXT2_NDIR;
	if (lb < p) {
		idx[0] = EXT2_IND;
		idx[1] = lb;
		return 1;
	}
	lb -= p;
	if (lb < p * p) {
		idx[0] = EXT2_DIND;
		idx[1] = lb / p;
		idx[2] = lb % p;
		return 2;
	}
	lb -= p * p;
	if (lb >= p * p * p)
		return -EFBIG;
	idx[0] = EXT2_TIND;
	idx[1] = lb / (p * p);
	idx[2] = lb / p % p;
	idx[3] = lb % p;
	return 3;
}

/* Where ip's next block should go: after the last one allocated for it,
 * else at the start of its group. */
static uint32_t goal(const struct ext2fs *fs, const struct inode *ip)
{
	if (fs->goal_ino == ip->num)
		return fs->goal;
	return fs->sb.s_first_data_block + (ip->num - 1) /
					       fs->sb.s_inodes_per_group *
					       fs->sb.s_blocks_per_group;
}

/* Fill the empty pointer *slot with a new block (an index block, zeroed,
 * when index): 0 or -errno. */
static int fill(struct ext2fs *fs, struct inode *ip, uint32_t *slot, bool index)
{
	int err;
	uint32_t nb = block_alloc(fs, goal(fs, ip), &err);

	if (!nb)
		return err;
	if (index) {
		struct cbuf *z = bget(fs, nb, true);
		if (!z) {
			block_free(fs, nb);
			return -EIO;
		}
		bdirty(fs, z, CLS_META);
		bput(z);
	}
	*slot = nb;
	ip->raw.i_blocks += fs->bsize / 512;
	fs->goal = nb + 1;
	fs->goal_ino = ip->num;
	return 0;
}

int data_map(struct ext2fs *fs, struct inode *ip, uint64_t lb, bool alloc,
	     uint32_t *out, bool *fresh)
{
	uint32_t idx[4], *slot;
	int depth = block_path(fs, lb, idx), err = 0;
	struct cbuf *held = NULL; /* the index block slot is in */

	*out = 0;
	*fresh = false;
	if (depth < 0)
		return depth;
	slot = &ip->raw.i_block[idx[0]];
	for (int d = 0;; d++) {
		if (!*slot) {
			if (!alloc)
				break;
			if ((err = fill(fs, ip, slot, d < depth)))
				break;
			if (held)
				bdirty(fs, held, CLS_META);
			*fresh = d == depth;
		}
		if (d == depth) {
			*out = *slot;
			break;
		}
		struct cbuf *next = bget(fs, *slot, false);
		bput(held);
		if (!(held = next)) {
			err = -EIO;
			break;
		}
		slot = &((uint32_t *)next->data)[idx[d + 1]];
	}
	bput(held);
	return err;
}

/* Before reading logical block lb (at physical pb, not cached) of ip:
 * bring in with it the blocks that follow it on the device and in the
 * file, up to CACHE_RUN bytes and the end of the file. */
static void read_ahead(struct ext2fs *fs, struct inode *ip, uint64_t lb,
		       uint32_t pb)
{
	uint64_t end = (inode_size(ip) + fs->bsize - 1) / fs->bsize;
	uint32_t k = 1, most = CACHE_RUN / fs->bsize, next;
	bool fresh;

	while (k < most && lb + k < end &&
	       !data_map(fs, ip, lb + k, false, &next, &fresh) &&
	       next == pb + k)
		k++;
	cache_readahead(fs, pb, k);
}

/* After reading logical block lb of ip: have the blocks that follow
 * the cached ones after it read in the background (ahead_start), as many
 * as are consecutive on the device, up to AHEAD_BYTES and the end of the
 * file. */
static void read_next(struct ext2fs *fs, struct inode *ip, uint64_t lb)
{
	uint64_t end = (inode_size(ip) + fs->bsize - 1) / fs->bsize;
	uint32_t most = AHEAD_BYTES / fs->bsize, first = 0, k = 0, pb;
	uint64_t stop = lb + 1 + CACHE_RUN / fs->bsize + most;
	bool fresh;

	for (uint64_t l = lb + 1; l < end && l < stop && k < most; l++) {
		if (data_map(fs, ip, l, false, &pb, &fresh) || !pb)
			break;
		bool cached = cache_has(fs, pb);
		if (!k && cached)
			continue;
		if (k && (cached || pb != first + k))
			break;
		first = k++ ? first : pb;
	}
	ahead_start(fs, first, k);
}

long data_read(struct ext2fs *fs, struct inode *ip, uint64_t off, char *buf,
	       size_t len)
{
	return ip->obj ? fmap_read(ip, off, buf, len)
		       : file_read(fs, ip, off, buf, len);
}

long data_write(struct ext2fs *fs, struct inode *ip, uint64_t off,
		const char *buf, size_t len)
{
	long done = file_write(fs, ip, off, buf, len);

	if (ip->obj && done > 0)
		fmap_update(fs, ip, off, buf, done);
	return done;
}

long file_read(struct ext2fs *fs, struct inode *ip, uint64_t off, char *buf,
	       size_t len)
{
	uint64_t size = inode_size(ip);
	size_t done = 0;

	if (off >= size)
		return 0;
	len = len < size - off ? len : size - off;
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t in = pos % fs->bsize, n = fs->bsize - in, pb;
		bool fresh;
		n = n < len - done ? n : len - done;
		int err = data_map(fs, ip, pos / fs->bsize, false, &pb, &fresh);
		if (err)
			return done ? (long)done : err;
		if (!pb) {
			memset(buf + done, 0, n);
		} else {
			if (!cache_has(fs, pb)) {
				ahead_collect(fs);
				if (!cache_has(fs, pb))
					read_ahead(fs, ip, pos / fs->bsize, pb);
				read_next(fs, ip, pos / fs->bsize);
			}
			struct cbuf *b = bget(fs, pb, false);
			if (!b)
				return done ? (long)done : -EIO;
			memcpy(buf + done, b->data + in, n);
			bput(b);
		}
		done += n;
	}
	return done;
}

/* Zero ip's last block past byte size (it is about to be exposed). */
static int zero_tail(struct ext2fs *fs, struct inode *ip, uint64_t size)
{
	uint32_t in = size % fs->bsize, pb;
	bool fresh;
	int err;

	if (!in)
		return 0;
	if ((err = data_map(fs, ip, size / fs->bsize, false, &pb, &fresh)) ||
	    !pb)
		return err;
	struct cbuf *b = bget(fs, pb, false);
	if (!b)
		return -EIO;
	memset(b->data + in, 0, fs->bsize - in);
	bdirty(fs, b, CLS_DATA);
	bput(b);
	return 0;
}

long file_write(struct ext2fs *fs, struct inode *ip, uint64_t off,
		const char *buf, size_t len)
{
	uint64_t size = inode_size(ip);
	size_t done = 0;
	int err = 0;

	if (off >= fs->max_size)
		return len ? -EFBIG : 0;
	len = len < fs->max_size - off ? len : fs->max_size - off;
	if (off > size && (err = zero_tail(fs, ip, size)))
		return err;
	while (done < len) {
		uint64_t pos = off + done;
		uint32_t in = pos % fs->bsize, n = fs->bsize - in, pb;
		bool fresh;
		n = n < len - done ? n : len - done;
		if ((err =
			 data_map(fs, ip, pos / fs->bsize, true, &pb, &fresh)))
			break;
		struct cbuf *b = bget(fs, pb, fresh || n == fs->bsize);
		if (!b) {
			err = -EIO;
			break;
		}
		memcpy(b->data + in, buf + done, n);
		bdirty(fs, b, CLS_DATA);
		bput(b);
		done += n;
	}
	if (off + done > size)
		inode_set_size(ip, off + done);
	int werr = iwrite(fs, ip);
	if (!done)
		return err ? err : werr;
	return done;
}

/* Free the blocks under *slot, a tree of depth levels of index covering
 * the logical blocks from base on, that lie at or past logical block
 * from; clear *slot once none is left. Whether *slot changed. */
static bool free_tree(struct ext2fs *fs, struct inode *ip, uint32_t *slot,
		      int depth, uint64_t base, uint64_t from)
{
	uint64_t span = 1;

	for (int d = 0; d < depth; d++)
		span *= fs->ppb;
	if (!*slot || base + span <= from)
		return false;
	if (depth > 0) {
		struct cbuf *b = bget(fs, *slot, false);
		bool changed = false, left = false;
		if (!b)
			return false; /* unreadable: its blocks stay used */
		uint32_t *e = (uint32_t *)b->data;
		for (uint32_t i = 0; i < fs->ppb; i++) {
			changed |= free_tree(fs, ip, &e[i], depth - 1,
					     base + i * (span / fs->ppb), from);
			left |= e[i] != 0;
		}
		if (changed)
			bdirty(fs, b, CLS_META);
		bput(b);
		if (left)
			return false;
	}
	block_free(fs, *slot);
	ip->raw.i_blocks -= fs->bsize / 512;
	*slot = 0;
	return true;
}

int data_truncate(struct ext2fs *fs, struct inode *ip, uint64_t size)
{
	uint64_t old = inode_size(ip), p = fs->ppb;
	uint64_t from = (size + fs->bsize - 1) / fs->bsize;
	int err;

	if (size > fs->max_size)
		return -EFBIG;
	if ((err = zero_tail(fs, ip, size < old ? size : old)))
		return err;
	if (size < old) {
		uint32_t *b = ip->raw.i_block;
		for (int i = 0; i < EXT2_NDIR; i++)
			free_tree(fs, ip, &b[i], 0, i, from);
		free_tree(fs, ip, &b[EXT2_IND], 1, EXT2_NDIR, from);
		free_tree(fs, ip, &b[EXT2_DIND], 2, EXT2_NDIR + p, from);
		free_tree(fs, ip, &b[EXT2_TIND], 3, EXT2_NDIR + p + p * p,
			  from);
	}
	inode_set_size(ip, size);
	if (ip->obj)
		fmap_update(fs, ip, size, NULL, 0);
	return iwrite(fs, ip);
}
