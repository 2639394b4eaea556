/*
 * alloc.c - block and inode allocation with the groups' bitmaps; the
 * free counts in the descriptors and the superblock follow every change
 * (they are written with the next sync).
 */
#include "ext2.h"
#include <errno.h>
#include <string.h>

/* The first clear bit of map in [from, to), or to. */
static uint32_t clear_bit(const uint8_t *map, uint32_t from, uint32_t to)
{
	uint32_t i = from;

	for (; i < to && (i & 7); i++)
		if (!(map[i / 8] & (1 << (i & 7))))
			return i;
	while (i + 8 <= to && map[i / 8] == 0xff)
		i += 8;
	for (; i < to; i++)
		if (!(map[i / 8] & (1 << (i & 7))))
			return i;
	return to;
}

/* Take a clear bit of bitmap block blk in [from, to): its index, or -1
 * (none; -2 an I/O error). */
static long take_bit(struct ext2fs *fs, uint32_t blk, uint32_t from,
		     uint32_t to)
{
	struct cbuf *b = bget(fs, blk, false);

	if (!b)
		return -2;
	uint32_t bit = clear_bit(b->data, from, to);
	if (bit < to) {
		b->data[bit / 8] |= 1 << (bit & 7);
		bdirty(fs, b, CLS_META);
	}
	bput(b);
	return bit < to ? (long)bit : -1;
}

/* Clear bit of bitmap block blk: whether it was set (0, 1, -EIO). */
static int drop_bit(struct ext2fs *fs, uint32_t blk, uint32_t bit)
{
	struct cbuf *b = bget(fs, blk, false);
	int was;

	if (!b)
		return -EIO;
	was = !!(b->data[bit / 8] & (1 << (bit & 7)));
	b->data[bit / 8] &= ~(1 << (bit & 7));
	bdirty(fs, b, CLS_META);
	bput(b);
	return was;
}

uint32_t block_alloc(struct ext2fs *fs, uint32_t goal, int *err)
{
	struct ext2_super *s = &fs->sb;
	uint32_t fdb = s->s_first_data_block, bpg = s->s_blocks_per_group;

	*err = -ENOSPC;
	if (!s->s_free_blocks_count ||
	    (fs->caller_uid != 0 &&
	     s->s_free_blocks_count <= s->s_r_blocks_count))
		return 0;
	if (goal < fdb || goal >= s->s_blocks_count)
		goal = fdb;
	uint32_t g0 = (goal - fdb) / bpg, start = (goal - fdb) % bpg;
	for (uint32_t i = 0; i <= fs->ngroups; i++) {
		uint32_t g = (g0 + i) % fs->ngroups;
		struct ext2_group *gd = &fs->groups[g];
		if (!gd->bg_free_blocks_count)
			continue;
		long bit = take_bit(fs, gd->bg_block_bitmap, i ? 0 : start,
				    ext2_group_blocks(fs, g));
		if (bit == -2) {
			*err = -EIO;
			return 0;
		}
		if (bit < 0)
			continue;
		gd->bg_free_blocks_count--;
		s->s_free_blocks_count--;
		fs->meta_dirty = true;
		*err = 0;
		return fdb + g * bpg + bit;
	}
	return 0;
}

void block_free(struct ext2fs *fs, uint32_t blk)
{
	struct ext2_super *s = &fs->sb;
	uint32_t fdb = s->s_first_data_block, bpg = s->s_blocks_per_group;

	if (blk < fdb || blk >= s->s_blocks_count)
		return; /* a corrupt pointer: nothing to give back */
	uint32_t g = (blk - fdb) / bpg;
	if (drop_bit(fs, fs->groups[g].bg_block_bitmap, (blk - fdb) % bpg) ==
	    1) {
		fs->groups[g].bg_free_blocks_count++;
		s->s_free_blocks_count++;
		fs->meta_dirty = true;
	}
	bforget(fs, blk);
}

/* The group for a new directory: among those with at least the average
 * of free inodes, the one with the fewest directories (spreads the tree,
 * as Linux's ext2 does in a simpler form). */
static uint32_t dir_group(struct ext2fs *fs)
{
	uint32_t avg = fs->sb.s_free_inodes_count / fs->ngroups, best = 0;
	bool found = false;

	for (uint32_t g = 0; g < fs->ngroups; g++) {
		struct ext2_group *gd = &fs->groups[g];
		if (!gd->bg_free_inodes_count || gd->bg_free_inodes_count < avg)
			continue;
		if (!found || gd->bg_used_dirs_count <
				  fs->groups[best].bg_used_dirs_count) {
			best = g;
			found = true;
		}
	}
	return best;
}

uint32_t inode_alloc(struct ext2fs *fs, uint32_t parent, bool dir, int *err)
{
	struct ext2_super *s = &fs->sb;
	uint32_t ipg = s->s_inodes_per_group;
	uint32_t g0 = dir ? dir_group(fs) : (parent - 1) / ipg;

	*err = -ENOSPC;
	if (!s->s_free_inodes_count)
		return 0;
	for (uint32_t i = 0; i < fs->ngroups; i++) {
		uint32_t g = (g0 + i) % fs->ngroups;
		struct ext2_group *gd = &fs->groups[g];
		if (!gd->bg_free_inodes_count)
			continue;
		uint32_t from = g == 0 ? s->s_first_ino - 1 : 0;
		long bit = take_bit(fs, gd->bg_inode_bitmap, from, ipg);
		if (bit == -2) {
			*err = -EIO;
			return 0;
		}
		if (bit < 0)
			continue;
		gd->bg_free_inodes_count--;
		gd->bg_used_dirs_count += dir;
		s->s_free_inodes_count--;
		fs->meta_dirty = true;
		*err = 0;
		return g * ipg + bit + 1;
	}
	return 0;
}

void inode_free(struct ext2fs *fs, uint32_t num, bool dir)
{
	uint32_t ipg = fs->sb.s_inodes_per_group, g = (num - 1) / ipg;

	if (num < fs->sb.s_first_ino || num > fs->sb.s_inodes_count)
		return;
	if (drop_bit(fs, fs->groups[g].bg_inode_bitmap, (num - 1) % ipg) == 1) {
		fs->groups[g].bg_free_inodes_count++;
		if (dir && fs->groups[g].bg_used_dirs_count)
			fs->groups[g].bg_used_dirs_count--;
		fs->sb.s_free_inodes_count++;
		fs->meta_dirty = true;
	}
}
