/*
 * super.c - mounting an ext2 image: the superblock and the group
 * descriptors are read once and kept in memory (the free counts change
 * with every allocation); a sync copies them back into their blocks,
 * which the cache writes last.
 */
#include "ext2.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "ext2's structures are used as they are on disk");

#define SUPER_OFFSET 1024

uint32_t ext2_group_blocks(const struct ext2fs *fs, uint32_t g)
{
	uint32_t bpg = fs->sb.s_blocks_per_group;

	if (g + 1 < fs->ngroups)
		return bpg;
	return fs->sb.s_blocks_count - fs->sb.s_first_data_block -
	       (fs->ngroups - 1) * bpg;
}

/* Check what the superblock says before anything trusts it: 0 or
 * -errno. */
static int super_check(struct ext2fs *fs)
{
	struct ext2_super *s = &fs->sb;

	if (s->s_magic != EXT2_MAGIC || s->s_log_block_size > 2)
		return -EINVAL;
	if (s->s_rev_level >= 1 &&
	    ((s->s_feature_incompat & ~EXT2_INCOMPAT_SUPPORTED) ||
	     (s->s_feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED)))
		return -EOPNOTSUPP;
	fs->bsize = 1024u << s->s_log_block_size;
	fs->ppb = fs->bsize / 4;
	fs->isize = s->s_rev_level >= 1 ? s->s_inode_size : 128;
	if (s->s_rev_level == 0)
		s->s_first_ino = 11;
	if (fs->isize < 128 || fs->isize > fs->bsize ||
	    (fs->isize & (fs->isize - 1)) || !s->s_blocks_per_group ||
	    !s->s_inodes_per_group || s->s_blocks_per_group > 8 * fs->bsize ||
	    s->s_inodes_per_group > 8 * fs->bsize ||
	    s->s_first_data_block >= s->s_blocks_count ||
	    s->s_first_ino <= EXT2_ROOT_INO)
		return -EINVAL;
	fs->filetype = s->s_rev_level >= 1 &&
		       (s->s_feature_incompat & EXT2_INCOMPAT_FILETYPE);
	fs->ngroups = (s->s_blocks_count - s->s_first_data_block +
		       s->s_blocks_per_group - 1) /
		      s->s_blocks_per_group;
	if ((uint64_t)fs->ngroups * s->s_inodes_per_group != s->s_inodes_count)
		return -EINVAL;
	fs->gdt_blocks =
	    (fs->ngroups * sizeof(struct ext2_group) + fs->bsize - 1) /
	    fs->bsize;
	return 0;
}

/* The largest file: what the block map reaches, and what i_blocks (in
 * 512-byte units, 32 bits) can count. */
static uint64_t max_size(const struct ext2fs *fs)
{
	uint64_t p = fs->ppb, blocks = EXT2_NDIR + p + p * p + p * p * p;
	uint64_t bytes = blocks * fs->bsize;
	uint64_t limit = ((1ULL << 32) - 1) * 512 - (1 + p + p * p) * fs->bsize;

	return bytes < limit ? bytes : limit;
}

int ext2_mount(struct ext2fs *fs, int fd, size_t cache_bytes)
{
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->dev.fd = fd;
	if ((err = blk_read(&fs->dev, SUPER_OFFSET, &fs->sb, sizeof(fs->sb))))
		return err;
	if ((err = super_check(fs)))
		return err;
	size_t gsize = (size_t)fs->gdt_blocks * fs->bsize;
	if (!(fs->groups = malloc(gsize)))
		return -ENOMEM;
	uint64_t goff = (uint64_t)(fs->sb.s_first_data_block + 1) * fs->bsize;
	if ((err = blk_read(&fs->dev, goff, fs->groups, gsize)))
		goto fail;
	uint32_t nbuf = cache_bytes / fs->bsize;
	if ((err = cache_init(&fs->cache, nbuf < 64 ? 64 : nbuf, fs->bsize)))
		goto fail;
	fs->max_size = max_size(fs);
	/* st_dev: the same in every instance serving this image. */
	for (int i = 0; i < 16; i++)
		fs->dev_id = fs->dev_id * 131 + fs->sb.s_uuid[i];
	fs->sb.s_mnt_count++;
	fs->sb.s_mtime = time(NULL);
	fs->meta_dirty = true;
	orphan_release(fs); /* what a server that died left held */
	return 0;
fail:
	free(fs->groups);
	fs->groups = NULL;
	return err;
}

/* Copy n bytes from src into the device at byte off, through the cache. */
static int meta_put(struct ext2fs *fs, uint64_t off, const void *src, size_t n)
{
	while (n) {
		uint32_t in = off % fs->bsize, len = fs->bsize - in;
		len = len < n ? len : n;
		struct cbuf *b = bget(fs, off / fs->bsize, false);
		if (!b)
			return -EIO;
		memcpy(b->data + in, src, len);
		bdirty(fs, b, CLS_SUPER);
		bput(b);
		off += len;
		src = (const char *)src + len;
		n -= len;
	}
	return 0;
}

int ext2_write_meta(struct ext2fs *fs)
{
	int err;

	if (!fs->meta_dirty)
		return 0;
	fs->sb.s_wtime = time(NULL);
	uint64_t goff = (uint64_t)(fs->sb.s_first_data_block + 1) * fs->bsize;
	if ((err = meta_put(fs, goff, fs->groups,
			    fs->ngroups * sizeof(struct ext2_group))) ||
	    (err = meta_put(fs, SUPER_OFFSET, &fs->sb, sizeof(fs->sb))))
		return err;
	fs->meta_dirty = false;
	return 0;
}

int ext2_sync(struct ext2fs *fs)
{
	int err;

	if ((err = fmap_writeback_all(fs)) || (err = ext2_write_meta(fs)) ||
	    (err = cache_flush(fs)))
		return err;
	return blk_flush(&fs->dev);
}

int ext2_unmount(struct ext2fs *fs)
{
	int err = ext2_sync(fs);

	ext2_drop(fs);
	return err;
}

void ext2_drop(struct ext2fs *fs)
{
	for (int i = 0; i < ICACHE_HASH; i++)
		while (fs->itable[i]) {
			struct inode *ip = fs->itable[i];
			fs->itable[i] = ip->hnext;
			if (ip->obj)
				close(ip->obj - 1);
			free(ip);
		}
	cache_free(&fs->cache);
	free(fs->groups);
	fs->groups = NULL;
}
