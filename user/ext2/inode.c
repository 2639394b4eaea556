/*
 * inode.c - in-core inodes: an inode a request or an open file uses is
 * read once from its table block and shared by every user (two names of
 * one file, a rename within one directory); iwrite copies it back into
 * the cached table block. The last reference to an inode without links
 * frees it with its blocks; until then it is on the orphan list.
 */
#include "ext2.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EA_MAGIC 0xEA020000

static struct inode **slot(struct ext2fs *fs, uint32_t num)
{
	return &fs->itable[num % ICACHE_HASH];
}

/* Where inode num lives: its table block and the byte offset in it. */
static void locate(const struct ext2fs *fs, uint32_t num, uint32_t *blk,
		   uint32_t *off)
{
	uint32_t ipg = fs->sb.s_inodes_per_group, i = (num - 1) % ipg;
	uint64_t byte = (uint64_t)i * fs->isize;

	*blk = fs->groups[(num - 1) / ipg].bg_inode_table + byte / fs->bsize;
	*off = byte % fs->bsize;
}

/* Bytes of the on-disk inode that struct ext2_inode mirrors: the old
 * 128, and of the large inode's fields only those i_extra_isize covers
 * (in-inode extended attributes follow them). */
static uint32_t mirrored(const struct ext2fs *fs, const struct ext2_inode *r)
{
	uint32_t extra = r->i_extra_isize;

	if (fs->isize <= 128)
		return 128;
	extra = extra < fs->isize - 128 ? extra : fs->isize - 128;
	return 128 + (extra < EXT2_EXTRA_ISIZE ? extra : EXT2_EXTRA_ISIZE);
}

struct inode *ifind(struct ext2fs *fs, uint32_t num)
{
	for (struct inode *ip = *slot(fs, num); ip; ip = ip->hnext)
		if (ip->num == num)
			return ip;
	return NULL;
}

struct inode *ihold(struct inode *ip)
{
	ip->refs++;
	return ip;
}

struct inode *iget(struct ext2fs *fs, uint32_t num, int *err)
{
	struct inode *ip = ifind(fs, num);
	uint32_t blk, off;

	if (ip)
		return ihold(ip);
	struct cbuf *b = NULL;
	if (num >= 1 && num <= fs->sb.s_inodes_count) {
		locate(fs, num, &blk, &off);
		b = bget(fs, blk, false);
	}
	if (!b) {
		*err = -EIO;
		return NULL;
	}
	if (!(ip = calloc(1, sizeof(*ip)))) {
		bput(b);
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(&ip->raw, b->data + off, 128);
	if (fs->isize > 128) { /* i_extra_isize first: it says how much */
		memcpy(&ip->raw.i_extra_isize, b->data + off + 128, 2);
		memcpy((char *)&ip->raw + 128, b->data + off + 128,
		       mirrored(fs, &ip->raw) - 128);
	}
	bput(b);
	ip->num = num;
	ip->refs = 1;
	ip->hnext = *slot(fs, num);
	*slot(fs, num) = ip;
	return ip;
}

int iwrite(struct ext2fs *fs, struct inode *ip)
{
	uint32_t blk, off;

	locate(fs, ip->num, &blk, &off);
	struct cbuf *b = bget(fs, blk, false);
	if (!b)
		return -EIO;
	memcpy(b->data + off, &ip->raw, mirrored(fs, &ip->raw));
	bdirty(fs, b, CLS_META);
	bput(b);
	return 0;
}

bool inode_fast_link(const struct ext2fs *fs, const struct inode *ip)
{
	uint32_t ea = ip->raw.i_file_acl ? fs->bsize / 512 : 0;

	return S_ISLNK(ip->raw.i_mode) && ip->raw.i_blocks == ea;
}

/* Does ip's i_block hold block pointers? */
static bool has_blocks(const struct ext2fs *fs, const struct inode *ip)
{
	uint32_t m = ip->raw.i_mode;

	return S_ISREG(m) || S_ISDIR(m) ||
	       (S_ISLNK(m) && !inode_fast_link(fs, ip));
}

/* Drop ip's reference to its extended attribute block. */
static void ea_release(struct ext2fs *fs, struct inode *ip)
{
	uint32_t blk = ip->raw.i_file_acl;
	struct cbuf *b;

	if (!blk)
		return;
	ip->raw.i_file_acl = 0;
	ip->raw.i_blocks -= fs->bsize / 512;
	if (!(b = bget(fs, blk, false)))
		return;
	uint32_t *h = (uint32_t *)b->data; /* magic, refcount, ... */
	if (h[0] == EA_MAGIC && h[1] > 1) {
		h[1]--;
		bdirty(fs, b, CLS_META);
		bput(b);
		return;
	}
	bput(b);
	block_free(fs, blk);
}

/* ip lost its last link and its last user: give back its blocks, its
 * attribute block and its number. */
static void inode_delete(struct ext2fs *fs, struct inode *ip)
{
	bool dir = S_ISDIR(ip->raw.i_mode);
	struct timespec now;

	if (has_blocks(fs, ip))
		data_truncate(fs, ip, 0);
	ea_release(fs, ip);
	clock_gettime(CLOCK_REALTIME, &now);
	ip->raw.i_dtime = now.tv_sec;
	inode_set_size(ip, 0);
	iwrite(fs, ip);
	inode_free(fs, ip->num, dir);
}

void iput(struct ext2fs *fs, struct inode *ip)
{
	if (ip && ip->obj && ip->refs == 2 && !ip->opens &&
	    !ip->raw.i_links_count)
		fmap_drop(fs, ip); /* the last user but the object's */
	if (!ip)
		return;
	ip->refs--;
	orphan_update(fs, ip); /* on the list while held with no link */
	if (ip->refs)
		return;
	if (!ip->raw.i_links_count && ip->raw.i_mode && !ip->raw.i_dtime)
		inode_delete(fs, ip);
	for (struct inode **p = slot(fs, ip->num); *p; p = &(*p)->hnext)
		if (*p == ip) {
			*p = ip->hnext;
			break;
		}
	free(ip);
}

uint64_t inode_size(const struct inode *ip)
{
	uint64_t size = ip->raw.i_size;

	if (S_ISREG(ip->raw.i_mode))
		size |= (uint64_t)ip->raw.i_size_high << 32;
	return size;
}

void inode_set_size(struct inode *ip, uint64_t size)
{
	ip->raw.i_size = size;
	if (S_ISREG(ip->raw.i_mode))
		ip->raw.i_size_high = size >> 32;
}

uint32_t inode_uid(const struct inode *ip)
{
	return ip->raw.i_uid | (uint32_t)ip->raw.i_uid_high << 16;
}

uint32_t inode_gid(const struct inode *ip)
{
	return ip->raw.i_gid | (uint32_t)ip->raw.i_gid_high << 16;
}

void inode_set_owner(struct inode *ip, uint32_t uid, uint32_t gid)
{
	ip->raw.i_uid = uid;
	ip->raw.i_uid_high = uid >> 16;
	ip->raw.i_gid = gid;
	ip->raw.i_gid_high = gid >> 16;
}

/* The seconds field of time which, and its extra field (NULL: the inode
 * has no room for it). */
static uint32_t *time_fields(const struct inode *ip, int which,
			     uint32_t **extra)
{
	struct ext2_inode *r = (struct ext2_inode *)&ip->raw;
	uint32_t *sec[3] = {&r->i_atime, &r->i_mtime, &r->i_ctime};
	uint32_t *ext[3] = {&r->i_atime_extra, &r->i_mtime_extra,
			    &r->i_ctime_extra};
	size_t end = (char *)(ext[which] + 1) - (char *)r;

	*extra = end <= 128 + (size_t)r->i_extra_isize ? ext[which] : NULL;
	return sec[which];
}

struct timespec inode_time(const struct ext2fs *fs, const struct inode *ip,
			   int which)
{
	uint32_t *extra, *sec = time_fields(ip, which, &extra);
	struct timespec t = {(int32_t)*sec, 0};

	if (extra && fs->isize > 128) {
		/* The extra field: two more bits of seconds (the epoch),
		 * then the nanoseconds. */
		t.tv_sec += (int64_t)(*extra & 3) << 32;
		t.tv_nsec = *extra >> 2;
	}
	return t;
}

void inode_set_time(const struct ext2fs *fs, struct inode *ip, int which,
		    struct timespec t)
{
	uint32_t *extra, *sec = time_fields(ip, which, &extra);

	*sec = (uint32_t)t.tv_sec;
	if (extra && fs->isize > 128) {
		int64_t epoch = (t.tv_sec - (int32_t)t.tv_sec) >> 32;
		*extra = (uint32_t)(t.tv_nsec << 2) | (epoch & 3);
	}
}

struct inode *inode_new(struct ext2fs *fs, struct inode *dir, uint32_t mode,
			uint32_t uid, uint32_t gid, int *err)
{
	uint32_t num = inode_alloc(fs, dir->num, S_ISDIR(mode), err), blk, off;
	struct inode *ip;
	struct timespec now;

	if (!num)
		return NULL;
	locate(fs, num, &blk, &off);
	struct cbuf *b = bget(fs, blk, false);
	if (!b || !(ip = calloc(1, sizeof(*ip)))) {
		bput(b);
		inode_free(fs, num, S_ISDIR(mode));
		*err = b ? -ENOMEM : -EIO;
		return NULL;
	}
	memset(b->data + off, 0, fs->isize); /* old attributes too */
	bput(b);
	ip->num = num;
	ip->refs = 1;
	ip->raw.i_mode = mode;
	if (fs->isize >= 128 + EXT2_EXTRA_ISIZE)
		ip->raw.i_extra_isize = EXT2_EXTRA_ISIZE;
	inode_set_owner(ip, uid, gid);
	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < 3; i++)
		inode_set_time(fs, ip, i, now);
	ip->raw.i_crtime = now.tv_sec;
	ip->raw.i_crtime_extra = ip->raw.i_ctime_extra;
	ip->raw.i_generation = (uint32_t)(now.tv_nsec ^ num * 2654435761u);
	ip->hnext = *slot(fs, num);
	*slot(fs, num) = ip;
	*err = iwrite(fs, ip);
	return ip;
}
