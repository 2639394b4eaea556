/*
 * blk.c - the block device under the file system: the image behind one
 * descriptor, read and written with pread and pwrite. It is any file
 * today (an image on ramfs or in the initrd) and a block device node
 * (/dev/vda) once the virtio-blk driver serves one: the server opens
 * either the same way, and this file is all that touches it.
 */
#include "ext2.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* After a call on the device failed with err: if the server behind it
 * is gone (its files fail with EIO or EBADF once it died) and the
 * device has a path, open the path again, which reaches the instance
 * lumen restarted. True if the call is worth one more try: the new
 * descriptor replaced the old one. Once per call (*tried): a device
 * error on a live driver is EIO too, and must not loop. While no driver
 * serves the path the open fails at once (EIO from lumen), so nothing
 * here waits. A path that names another device or image now (another
 * st_ino: a loop device detached by its server's crash, or attached to
 * another file since) is not taken: writing there would ruin it. */
static bool blk_reopen(struct blkdev *d, int err, bool *tried)
{
	struct stat st;
	int fd;

	if (!d->path || *tried || (err != EIO && err != EBADF))
		return false;
	*tried = true;
	if ((fd = open(d->path, O_RDWR | O_CLOEXEC)) < 0)
		return false;
	if (d->ino && (fstat(fd, &st) < 0 || st.st_ino != d->ino)) {
		close(fd);
		return false;
	}
	close(d->fd);
	d->fd = fd;
	d->reopens++;
	return true;
}

int blk_read(struct blkdev *d, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	bool tried = false;

	while (done < len) {
		ssize_t n =
		    pread(d->fd, (char *)buf + done, len - done, off + done);
		if (n < 0 && (errno == EINTR || blk_reopen(d, errno, &tried)))
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
	bool tried = false;

	if (d->fail_at && d->writes + 1 >= d->fail_at)
		return -EIO;
	while (done < len) {
		ssize_t n = pwrite(d->fd, (const char *)buf + done, len - done,
				   off + done);
		if (n < 0 && (errno == EINTR || blk_reopen(d, errno, &tried)))
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
	bool tried = false;
	int r;

	while ((r = fsync(d->fd)) < 0 && blk_reopen(d, errno, &tried))
		;
	if (r < 0 && errno != EINVAL && errno != ENOSYS)
		return -EIO;
	return 0;
}
