/*
 * orphan.c - the orphan list, as ext3 and ext4 keep it and e2fsck reads
 * it: the inodes with no link that an open still holds (a file removed
 * while open, every O_TMPFILE file) are chained from the superblock's
 * s_last_orphan through their i_dtime (0 ends the chain). A server that
 * dies leaves the list on the disk; the next mount frees every inode on
 * it before serving. Each inode on the list is in core (held), so taking
 * one off finds its predecessor among the in-core inodes.
 */
#include "ext2.h"

/* Take ip off the list: its predecessor (or the head) skips it. */
static void orphan_remove(struct ext2fs *fs, struct inode *ip)
{
	uint32_t *next = &fs->sb.s_last_orphan;
	struct inode *p = NULL;

	while (*next && *next != ip->num) {
		if (!(p = ifind(fs, *next)) || !p->orphan)
			break; /* never: every orphan is in core */
		next = &p->raw.i_dtime;
	}
	if (*next == ip->num) {
		*next = ip->raw.i_dtime;
		if (p)
			iwrite(fs, p);
	}
	ip->raw.i_dtime = 0;
}

void orphan_update(struct ext2fs *fs, struct inode *ip)
{
	bool want = !ip->raw.i_links_count && ip->refs && ip->raw.i_mode;

	if (want == ip->orphan || (want && ip->raw.i_dtime))
		return; /* as it should be, or deleted already */
	if (want) {
		ip->raw.i_dtime = fs->sb.s_last_orphan;
		fs->sb.s_last_orphan = ip->num;
	} else {
		orphan_remove(fs, ip);
	}
	ip->orphan = want;
	fs->meta_dirty = true;
	iwrite(fs, ip);
}

void orphan_release(struct ext2fs *fs)
{
	uint32_t num = fs->sb.s_last_orphan, left = fs->sb.s_inodes_count;
	struct inode *ip;
	int err;

	fs->sb.s_last_orphan = 0;
	/* A damaged chain ends at a number out of range, or at an inode
	 * freed already (its i_dtime is a time): at most every inode once. */
	while (num >= fs->sb.s_first_ino && num <= fs->sb.s_inodes_count &&
	       left-- && (ip = iget(fs, num, &err))) {
		num = ip->raw.i_dtime;
		ip->raw.i_dtime = 0;
		iwrite(fs, ip);
		iput(fs, ip); /* no link: freed with its blocks */
	}
}
