/*
 * dir.c - directories: blocks of variable-length entries, each block's
 * entries covering it exactly (rec_len), an unused entry having inode 0.
 * A name goes into the first entry with room (splitting it), else into a
 * new block at the end; a removed entry joins its predecessor. Positions
 * (getdents) are byte offsets in the directory, as on Linux.
 */
#include "ext2.h"
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define DIRENT64_HEAD 19 /* linux_dirent64 before its name */

/* A directory block being walked. */
struct dblock {
	struct cbuf *b;
	uint32_t lb;
};

static uint8_t ftype(uint32_t mode)
{
	static const uint8_t types[16] = {
	    [S_IFREG >> 12] = 1, [S_IFDIR >> 12] = 2, [S_IFCHR >> 12] = 3,
	    [S_IFBLK >> 12] = 4, [S_IFIFO >> 12] = 5, [S_IFSOCK >> 12] = 6,
	    [S_IFLNK >> 12] = 7,
	};
	return types[(mode >> 12) & 15];
}

/* Load logical block lb of dir (NULL b for a hole): 0 or -EIO. */
static int dblock_get(struct ext2fs *fs, struct inode *dir, uint32_t lb,
		      struct dblock *d)
{
	uint32_t pb;
	bool fresh;
	int err = data_map(fs, dir, lb, false, &pb, &fresh);

	d->lb = lb;
	d->b = NULL;
	if (err || !pb)
		return err;
	return (d->b = bget(fs, pb, false)) ? 0 : -EIO;
}

static struct ext2_dirent *entry_at(struct cbuf *b, uint32_t off)
{
	return (struct ext2_dirent *)(b->data + off);
}

/* Is the entry at off of a bsize block well formed? */
static bool entry_ok(const struct ext2fs *fs, struct cbuf *b, uint32_t off)
{
	struct ext2_dirent *e;

	if (off + 8 > fs->bsize)
		return false;
	e = entry_at(b, off);
	return e->rec_len >= 12 && !(e->rec_len & 3) &&
	       off + e->rec_len <= fs->bsize &&
	       EXT2_DIRENT_LEN(e->name_len) <= e->rec_len;
}

static uint32_t dir_blocks(const struct ext2fs *fs, const struct inode *dir)
{
	return inode_size(dir) / fs->bsize;
}

/* Mark a changed directory block; a hashed directory we change becomes a
 * plain one (this server keeps no hash index). */
static void dblock_dirty(struct ext2fs *fs, struct inode *dir, struct cbuf *b)
{
	bdirty(fs, b, CLS_DIR);
	if (dir->raw.i_flags & EXT2_INDEX_FL) {
		dir->raw.i_flags &= ~EXT2_INDEX_FL;
		iwrite(fs, dir);
	}
}

static bool dot_or_dotdot(const struct ext2_dirent *e)
{
	const char *n = (const char *)(e + 1);

	return (e->name_len == 1 && n[0] == '.') ||
	       (e->name_len == 2 && n[0] == '.' && n[1] == '.');
}

/* The first live entry of dir named name (len bytes), or with name NULL
 * the first but . and ..: 1 with *ino and *pos (its byte offset) set, 0
 * if there is none, -EIO for a broken entry, or -errno. */
static int dir_find(struct ext2fs *fs, struct inode *dir, const char *name,
		    size_t len, uint32_t *ino, uint64_t *pos)
{
	struct dblock d;
	int err;

	for (uint32_t lb = 0; lb < dir_blocks(fs, dir); lb++) {
		if ((err = dblock_get(fs, dir, lb, &d)))
			return err;
		for (uint32_t off = 0; d.b && off < fs->bsize;) {
			if (!entry_ok(fs, d.b, off)) {
				bput(d.b);
				return -EIO;
			}
			struct ext2_dirent *e = entry_at(d.b, off);
			if (e->inode && (name ? e->name_len == len &&
						    !memcmp(e + 1, name, len)
					      : !dot_or_dotdot(e))) {
				*ino = e->inode;
				*pos = (uint64_t)lb * fs->bsize + off;
				bput(d.b);
				return 1;
			}
			off += e->rec_len;
		}
		bput(d.b);
	}
	return 0;
}

int dir_lookup(struct ext2fs *fs, struct inode *dir, const char *name,
	       size_t len, uint32_t *ino, uint64_t *pos)
{
	int r;

	*ino = 0;
	r = dir_find(fs, dir, name, len, ino, pos);
	return r < 0 ? r : 0;
}

/* Write name -> ino into the entry e (rec_len kept). */
static void entry_fill(struct ext2fs *fs, struct ext2_dirent *e,
		       const char *name, size_t len, uint32_t ino,
		       uint32_t mode)
{
	e->inode = ino;
	e->name_len = len;
	e->file_type = fs->filetype ? ftype(mode) : 0;
	memcpy(e + 1, name, len);
}

/* Room for an entry of need bytes in block b: the entry to use (split
 * off an entry's slack when needed), or NULL. */
static struct ext2_dirent *room_in(struct ext2fs *fs, struct cbuf *b,
				   uint32_t need, int *err)
{
	for (uint32_t off = 0; off < fs->bsize;) {
		if (!entry_ok(fs, b, off)) {
			*err = -EIO;
			return NULL;
		}
		struct ext2_dirent *e = entry_at(b, off);
		uint32_t used = e->inode ? EXT2_DIRENT_LEN(e->name_len) : 0;
		if (e->rec_len - used >= need) {
			if (!used)
				return e;
			struct ext2_dirent *n = entry_at(b, off + used);
			n->rec_len = e->rec_len - used;
			e->rec_len = used;
			return n;
		}
		off += e->rec_len;
	}
	return NULL;
}

int dir_add(struct ext2fs *fs, struct inode *dir, const char *name, size_t len,
	    uint32_t ino, uint32_t mode)
{
	uint32_t need = EXT2_DIRENT_LEN(len), n = dir_blocks(fs, dir), pb;
	struct dblock d;
	bool fresh;
	int err = 0;

	for (uint32_t lb = 0; lb < n; lb++) {
		if ((err = dblock_get(fs, dir, lb, &d)))
			return err;
		struct ext2_dirent *e = d.b ? room_in(fs, d.b, need, &err) : 0;
		if (e) {
			entry_fill(fs, e, name, len, ino, mode);
			dblock_dirty(fs, dir, d.b);
		}
		bput(d.b);
		if (e || err)
			return err;
	}
	if ((err = data_map(fs, dir, n, true, &pb, &fresh)))
		return err;
	struct cbuf *b = bget(fs, pb, true);
	if (!b)
		return -EIO;
	struct ext2_dirent *e = entry_at(b, 0);
	e->rec_len = fs->bsize;
	entry_fill(fs, e, name, len, ino, mode);
	dblock_dirty(fs, dir, b);
	bput(b);
	inode_set_size(dir, (uint64_t)(n + 1) * fs->bsize);
	return iwrite(fs, dir);
}

int dir_remove(struct ext2fs *fs, struct inode *dir, uint64_t pos)
{
	uint32_t at = pos % fs->bsize, prev = UINT32_MAX;
	struct dblock d;
	int err = dblock_get(fs, dir, pos / fs->bsize, &d);

	if (err || !d.b)
		return err ? err : -EIO;
	for (uint32_t off = 0; off < at; off += entry_at(d.b, off)->rec_len) {
		if (!entry_ok(fs, d.b, off)) {
			bput(d.b);
			return -EIO;
		}
		prev = off;
	}
	struct ext2_dirent *e = entry_at(d.b, at);
	if (prev != UINT32_MAX)
		entry_at(d.b, prev)->rec_len += e->rec_len;
	else
		e->inode = 0;
	dblock_dirty(fs, dir, d.b);
	bput(d.b);
	return 0;
}

int dir_retarget(struct ext2fs *fs, struct inode *dir, uint64_t pos,
		 uint32_t ino, uint32_t mode)
{
	struct dblock d;
	int err = dblock_get(fs, dir, pos / fs->bsize, &d);

	if (err || !d.b)
		return err ? err : -EIO;
	struct ext2_dirent *e = entry_at(d.b, pos % fs->bsize);
	e->inode = ino;
	e->file_type = fs->filetype ? ftype(mode) : 0;
	dblock_dirty(fs, dir, d.b);
	bput(d.b);
	return 0;
}

int dir_init(struct ext2fs *fs, struct inode *dir, uint32_t parent)
{
	uint32_t pb;
	bool fresh;
	int err = data_map(fs, dir, 0, true, &pb, &fresh);

	if (err)
		return err;
	struct cbuf *b = bget(fs, pb, true);
	if (!b)
		return -EIO;
	struct ext2_dirent *dot = entry_at(b, 0), *up = entry_at(b, 12);
	dot->rec_len = 12;
	entry_fill(fs, dot, ".", 1, dir->num, S_IFDIR);
	up->rec_len = fs->bsize - 12;
	entry_fill(fs, up, "..", 2, parent, S_IFDIR);
	bdirty(fs, b, CLS_DIR);
	bput(b);
	inode_set_size(dir, fs->bsize);
	return iwrite(fs, dir);
}

int dir_empty(struct ext2fs *fs, struct inode *dir)
{
	uint32_t ino;
	uint64_t pos;
	int r = dir_find(fs, dir, NULL, 0, &ino, &pos);

	return r < 0 ? r : !r;
}

int dir_parent(struct ext2fs *fs, struct inode *dir, uint32_t *parent)
{
	uint64_t pos;
	int err = dir_lookup(fs, dir, "..", 2, parent, &pos);

	return err ? err : *parent ? 0 : -EIO;
}

/* Append one getdents64 record to buf at *len (room bytes): false if it
 * does not fit. */
static bool dirent_put(char *buf, size_t room, size_t *len,
		       const struct ext2_dirent *e, uint64_t next)
{
	static const uint8_t dt[8] = {0, 8, 4, 2, 6, 1, 12, 10};
	size_t reclen = (DIRENT64_HEAD + e->name_len + 1 + 7) & ~(size_t)7;
	uint64_t ino = e->inode;
	uint16_t r16 = reclen;
	char *p = buf + *len;

	if (reclen > room - *len)
		return false;
	memset(p, 0, reclen);
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next, 8);
	memcpy(p + 16, &r16, 2);
	p[18] = e->file_type < 8 ? dt[e->file_type] : 0;
	memcpy(p + DIRENT64_HEAD, e + 1, e->name_len);
	*len += reclen;
	return true;
}

long dir_read(struct ext2fs *fs, struct inode *dir, uint64_t pos, char *buf,
	      size_t room, uint64_t *next)
{
	size_t len = 0;
	struct dblock d;
	int err;

	*next = pos;
	for (uint32_t lb = pos / fs->bsize; lb < dir_blocks(fs, dir); lb++) {
		if ((err = dblock_get(fs, dir, lb, &d)))
			return len ? (long)len : err;
		uint64_t base = (uint64_t)lb * fs->bsize;
		for (uint32_t off = 0; d.b && off < fs->bsize;) {
			if (!entry_ok(fs, d.b, off)) {
				bput(d.b);
				return len ? (long)len : -EIO;
			}
			struct ext2_dirent *e = entry_at(d.b, off);
			uint64_t after = base + off + e->rec_len;
			/* An entry before pos was read already (pos may
			 * fall inside one that was merged since). */
			if (base + off >= pos && e->inode) {
				if (!dirent_put(buf, room, &len, e, after)) {
					bput(d.b);
					return len ? (long)len : -EINVAL;
				}
			}
			if (base + off >= pos)
				*next = after;
			off += e->rec_len;
		}
		bput(d.b);
		*next = *next > base + fs->bsize ? *next : base + fs->bsize;
	}
	return len;
}
