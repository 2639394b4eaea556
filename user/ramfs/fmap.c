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
#include "memobj.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#define OBJ(f) ((int)(f)->file.obj - 1)
#define PAGE   RAMFS_BLOCK

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
	char *p = memobj_map(fd, f->size);

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
	if (!(err = memobj_resize(fd, f->size)))
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
	int err = memobj_copy(OBJ(f), off, buf, len, true);
	return err ? err : (long)len;
}

void fmap_update(struct ramfs *fs, struct node *f, uint64_t off,
		 const char *buf, size_t len)
{
	/* out of memory: the file is its blocks again */
	if (memobj_resize(OBJ(f), f->size) ||
	    (buf && memobj_copy(OBJ(f), off, (void *)buf, len, false)))
		fmap_drop(fs, f);
}

int fmap_writeback(struct ramfs *fs, struct node *f)
{
	static char disk[RAMFS_BLOCK];
	char *p = f->file.obj_rw ? memobj_map(OBJ(f), f->size) : NULL;
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
