/*
 * blk.c - the block device under the file system: the image behind one
 * descriptor, read and written with pread and pwrite. It is any file
 * today (an image on ramfs or in the initrd) and a block device node
 * (/dev/vda) once the virtio-blk driver serves one: the server opens
 * either the same way, and this file is all that touches it.
 */
#include "ext2.h"
#include <errno.h>
#include <unistd.h>

int blk_read(struct blkdev *d, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n =
		    pread(d->fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* an error, or past the device's end */
		done += n;
	}
	d->reads++;
	return 0;
}

int blk_write(struct blkdev *d, uint64_t off, const void *buf, size_t len)
{
	size_t done = 0;

	if (d->fail_at && d->writes + 1 >= d->fail_at)
		return -EIO;
	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done,
				   off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		done += n;
	}
	d->writes++;
	return 0;
}

int blk_flush(struct blkdev *d)
{
	/* A file on a server that keeps no volatile cache (ramfs) may not
	 * implement fsync; what it holds is as stable as it gets. */
	if (fsync(d->fd) < 0 && errno != EINVAL && errno != ENOSYS)
		return -EIO;
	return 0;
}
