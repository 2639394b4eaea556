/*
 * fmap.c - mapping of ext2's files (docs/decisions/0032-file-mapping.md).
 * A file's first LUX_MAP copies its bytes into a memory object (memfd) of
 * the server's, which the kernel maps for every mapping of the file, in
 * any process: the file's page cache while the server runs. From then on
 * reads come from the object, and writes and truncates go to both it and
 * the blocks. Stores made through a mapping reach the blocks at
 * write-back: every sync (fsync or msync of any file, the idle write-back
 * of dirty blocks, unmount) and the last close of the file; the blocks
 * reach the disk as any dirty block does. The object holds a reference on
 * the in-core inode, dropped when the file has neither a name nor an open
 * descriptor left.
 */
#define _GNU_SOURCE
#include "ext2.h"
#include "memobj.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE   4096
#define OBJ(p) ((p)->obj - 1)

/* Copy ip's bytes into the new object fd, whose pages are made and zero
 * (holes and zero blocks need no copy): 0 or -errno (-EIO, -ENOMEM). */
static int fmap_fill(struct ext2fs *fs, struct inode *ip, int fd)
{
	static char page[PAGE], zero[PAGE];
	uint64_t size = inode_size(ip);
	char *p = memobj_map(fd, size);
	long n = 0;

	if (!p)
		return size ? -ENOMEM : 0;
	for (uint64_t off = 0; off < size && n >= 0; off += PAGE)
		if ((n = file_read(fs, ip, off, page, PAGE)) > 0 &&
		    memcmp(page, zero, n))
			memcpy(p + off, page, n);
	munmap(p, size);
	return n < 0 ? (int)n : 0;
}

long fmap_map(struct ext2fs *fs, struct inode *ip, bool rw)
{
	int fd, err;

	if (!S_ISREG(ip->raw.i_mode))
		return -ENODEV;
	ip->obj_rw |= rw;
	if (ip->obj)
		return OBJ(ip);
	if ((fd = memfd_create("ext2", MFD_CLOEXEC)) < 0)
		return -ENOMEM;
	if (!(err = memobj_resize(fd, inode_size(ip))))
		err = fmap_fill(fs, ip, fd);
	if (err) {
		close(fd);
		ip->obj_rw = false;
		return err == -EIO ? err : -ENOMEM; /* ENOSPC, EFBIG: mmap's */
	}
	ip->obj = fd + 1;
	ihold(ip);
	return fd;
}

long fmap_read(struct inode *ip, uint64_t off, char *buf, size_t len)
{
	uint64_t size = inode_size(ip);

	if (off >= size)
		return 0;
	if (len > size - off)
		len = size - off;
	int err = memobj_copy(OBJ(ip), off, buf, len, true);
	return err ? err : (long)len;
}

void fmap_update(struct ext2fs *fs, struct inode *ip, uint64_t off,
		 const char *buf, size_t len)
{
	if (memobj_resize(OBJ(ip), inode_size(ip)) ||
	    (buf && memobj_copy(OBJ(ip), off, (void *)buf, len, false)))
		fmap_drop(fs, ip); /* out of memory: the file is the blocks
				    * again */
}

int fmap_writeback(struct ext2fs *fs, struct inode *ip)
{
	static char disk[PAGE];
	uint64_t size = inode_size(ip);
	char *p = ip->obj && ip->obj_rw ? memobj_map(OBJ(ip), size) : NULL;
	long err = 0;

	if (!p) /* never writable (libraries): nothing to look at */
		return ip->obj && ip->obj_rw && size ? -ENOMEM : 0;
	for (uint64_t off = 0; !err && off < size; off += PAGE) {
		size_t n = size - off < PAGE ? size - off : PAGE;
		if ((err = file_read(fs, ip, off, disk, n)) >= 0)
			err = memcmp(p + off, disk, n)
				  ? file_write(fs, ip, off, p + off, n)
				  : (long)n;
		err = err < 0 ? err : err != (long)n ? -ENOSPC : 0;
	}
	munmap(p, size);
	return (int)err;
}

int fmap_writeback_all(struct ext2fs *fs)
{
	int err = 0;

	for (int i = 0; i < ICACHE_HASH; i++)
		for (struct inode *ip = fs->itable[i]; ip; ip = ip->hnext)
			if (ip->obj)
				err = fmap_writeback(fs, ip) ?: err;
	return err;
}

void fmap_drop(struct ext2fs *fs, struct inode *ip)
{
	if (ip->obj) {
		close(OBJ(ip)); /* the pages live on in the mappings */
		ip->obj = 0;
		ip->obj_rw = false;
		iput(fs, ip);
	}
}
