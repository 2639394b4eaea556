/*
 * fmap.c - mapping of ramfs's files (docs/decisions/0032-file-mapping.md).
 * A file's first LUX_MAP copies its bytes into a memory object (memfd) of
 * this instance, which the kernel maps for every mapping of the file, in
 * any process; from then on the object is the file's current bytes: reads
 * come from it, writes and truncates go to both it and the arena's
 * blocks. Stores made through a mapping reach the blocks at write-back
 * (fsync of any file, the last close of this one), so that a restarted
 * instance, which cannot have the old one's objects, finds the file as it
 * was at its last write-back. The object goes with the file.
 */
#define _GNU_SOURCE
#include "fs.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#define OBJ(f) ((int)(f)->file.obj - 1)
#define PAGE   RAMFS_BLOCK

/* Copy n bytes at off of object fd to (out) or from buf: 0 or -errno.
 * The object's part is mapped for the time of the copy. */
static int obj_copy(int fd, uint64_t off, void *buf, size_t n, bool out)
{
	uint64_t base = off & ~(uint64_t)(RAMFS_BLOCK - 1);
	char *p;

	if (!n)
		return 0;
	p = mmap(NULL, off + n - base, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)base);
	if (p == MAP_FAILED)
		return -ENOMEM;
	if (out)
		memcpy(buf, p + (off - base), n);
	else
		memcpy(p + (off - base), buf, n);
	munmap(p, off + n - base);
	return 0;
}

/* Make object fd size bytes long, its pages made now (so that this
 * server never touches a page the kernel could not make, which would be
 * SIGBUS): 0 or -errno (-ENOSPC: memory ran out; then fd may be left
 * longer, with pages missing). */
static int obj_resize(int fd, uint64_t size)
{
	struct stat st;
	uint64_t from;

	if (fstat(fd, &st) < 0 || ftruncate(fd, (off_t)size) < 0)
		return -errno;
	from = (uint64_t)st.st_size & ~(uint64_t)(PAGE - 1);
	if (size > from && fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from,
				     (off_t)(size - from)))
		return -errno;
	return 0;
}

/* Object fd's first size bytes, mapped (unmap with obj_unmap), or NULL
 * (also for size 0). */
static char *obj_map(int fd, uint64_t size)
{
	void *p =
	    size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
		 : MAP_FAILED;
	return p == MAP_FAILED ? NULL : p;
}

static void obj_unmap(char *p, uint64_t size)
{
	if (p)
		munmap(p, size);
}

/* Copy f's blocks into the new object fd, whose pages are made and zero
 * (holes and zero blocks need no copy): 0 or -ENOMEM. */
static int fmap_fill(struct node *f, int fd)
{
	static char block[RAMFS_BLOCK], zero[RAMFS_BLOCK];
	char *p = obj_map(fd, f->size);

	if (!p)
		return f->size ? -ENOMEM : 0;
	for (uint64_t off = 0; off < f->size; off += RAMFS_BLOCK) {
		long n = blocks_read(f, off, block, RAMFS_BLOCK);
		if (memcmp(block, zero, n))
			memcpy(p + off, block, n);
	}
	obj_unmap(p, f->size);
	return 0;
}

long fmap_map(struct ramfs *fs, struct node *f, bool rw)
{
	int fd, err;

	if (!LUX_S_ISREG(f->mode))
		return -ENODEV;
	f->file.obj_rw |= rw && f->file.obj;
	if (f->file.obj)
		return OBJ(f);
	if ((fd = memfd_create("ramfs", MFD_CLOEXEC)) < 0)
		return -ENOMEM;
	if (!(err = obj_resize(fd, f->size)))
		err = fmap_fill(f, fd);
	if (err) {
		close(fd);
		return -ENOMEM; /* ENOSPC, EFBIG: mmap's word for it */
	}
	f->file.obj = fd + 1;
	f->file.obj_rw = rw;
	fs->mapped++;
	return fd;
}

long fmap_read(struct node *f, uint64_t off, char *buf, size_t len)
{
	if (off >= f->size)
		return 0;
	if (len > f->size - off)
		len = f->size - off;
	int err = obj_copy(OBJ(f), off, buf, len, true);
	return err ? err : (long)len;
}

void fmap_update(struct ramfs *fs, struct node *f, uint64_t off,
		 const char *buf, size_t len)
{
	/* out of memory: the file is its blocks again */
	if (obj_resize(OBJ(f), f->size) ||
	    (buf && obj_copy(OBJ(f), off, (void *)buf, len, false)))
		fmap_drop(fs, f);
}

int fmap_writeback(struct ramfs *fs, struct node *f)
{
	static char disk[RAMFS_BLOCK];
	char *p = f->file.obj_rw ? obj_map(OBJ(f), f->size) : NULL;
	int err = 0;

	if (!p) /* never writable (libraries): nothing to look at */
		return f->file.obj_rw && f->size ? -ENOMEM : 0;
	for (uint64_t off = 0; !err && off < f->size; off += RAMFS_BLOCK) {
		size_t n =
		    f->size - off < RAMFS_BLOCK ? f->size - off : RAMFS_BLOCK;
		blocks_read(f, off, disk, n);
		if (memcmp(p + off, disk, n) &&
		    blocks_write(fs, f, off, p + off, n) != (long)n)
			err = -ENOSPC;
	}
	obj_unmap(p, f->size);
	return err;
}

int fmap_writeback_all(struct ramfs *fs)
{
	int err = 0;

	for (int i = 0; fs->mapped && i < RAMFS_HASH; i++)
		for (struct node *n = fs->table[i]; n; n = n->hnext)
			if (LUX_S_ISREG(n->mode) && n->file.obj)
				err = fmap_writeback(fs, n) ?: err;
	return err;
}

void fmap_drop(struct ramfs *fs, struct node *f)
{
	if (LUX_S_ISREG(f->mode) && f->file.obj) {
		close(OBJ(f)); /* the pages live on in the mappings */
		f->file.obj = f->file.obj_rw = 0;
		fs->mapped--;
	}
}
