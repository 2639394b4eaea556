/*
 * dev.c - a loop device's requests: its blocks read and written on the
 * backing file (at the offset, up to the size limit), and Linux's loop
 * ioctls (include/uapi/linux/loop.h, loop(4)) on it and on
 * /dev/loop-control, with Linux's errors.
 */
#include "loop.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECTOR       512
#define BLKGETSIZE   0x1260
#define BLKSSZGET    0x1268
#define BLKGETSIZE64 0x80081272
#define BLKROGET     0x125e
#define LOOP_MAJOR   7

struct loop_dev loop_devs[LOOP_MAX];
struct loop_handle loop_handles[HANDLES_MAX];

static void reply(const struct lux_req *q, int64_t r)
{
	lux_reply(LUX_SERVER_FD, q, r, NULL, 0);
}

/* The backing file's size. Calls on a backing file are made without
 * loop_lock: they may wait for a server (an ext2 on another loop
 * device) that waits for this one's main thread. */
static uint64_t file_size(int fd)
{
	struct stat st;
	uint64_t size = 0;

	pthread_mutex_unlock(&loop_lock);
	if (fstat(fd, &st) == 0) {
		size = S_ISBLK(st.st_mode) ? (uint64_t)lseek(fd, 0, SEEK_END)
					   : (uint64_t)st.st_size;
		if (size == (uint64_t)-1)
			size = 0;
	}
	pthread_mutex_lock(&loop_lock);
	return size;
}

/* The bytes d serves: the backing file's from the offset, cut to the
 * size limit, in whole sectors (Linux's get_size). */
static void loop_resize(struct loop_dev *d)
{
	uint64_t size = file_size(d->fd);

	size = size > d->info.lo_offset ? size - d->info.lo_offset : 0;
	if (d->info.lo_sizelimit && size > d->info.lo_sizelimit)
		size = d->info.lo_sizelimit;
	d->size = size / SECTOR * SECTOR;
}

void loop_io(struct loop_dev *d, const struct lux_req *q, const void *data,
	     long len)
{
	uint64_t n = q->op == LUX_READ ? q->count : (uint64_t)len;
	uint64_t at = d->info.lo_offset + q->off;
	ssize_t r;

	if (d->fd < 0) /* detached: as Linux's, a device of no bytes */
		n = 0;
	if (q->op == LUX_FSYNC) {
		pthread_mutex_unlock(&loop_lock);
		r = d->fd >= 0 && fsync(d->fd) < 0 && errno != EINVAL &&
			    errno != ENOSYS
			? -errno
			: 0;
		pthread_mutex_lock(&loop_lock);
		return reply(q, r);
	}
	if (q->op == LUX_WRITE && n && (d->info.lo_flags & LO_FLAGS_READ_ONLY))
		return reply(q, -EPERM);
	n = n < LUX_MAX_DATA ? n : LUX_MAX_DATA;
	if (q->off >= d->size || !n)
		return reply(q, q->op == LUX_WRITE && n ? -ENOSPC : 0);
	n = n < d->size - q->off ? n : d->size - q->off;
	/* d->fd and d->buf are this thread's alone while it is unlocked:
	 * only it attaches and detaches d. */
	pthread_mutex_unlock(&loop_lock);
	r = q->op == LUX_READ ? pread(d->fd, d->buf, n, at)
			      : pwrite(d->fd, data, n, at);
	pthread_mutex_lock(&loop_lock);
	if (q->op == LUX_READ) {
		lux_reply(LUX_SERVER_FD, q, r < 0 ? -EIO : r, d->buf,
			  r < 0 ? 0 : r);
		return;
	}
	struct lux_rep rep = {.result = r < 0 ? -EIO : r,
			      .off = q->off + (r < 0 ? 0 : r)};
	lux_reply_full(LUX_SERVER_FD, q, &rep, NULL, 0);
}

/* Whether fd can back a loop device: a regular file or a block device
 * that is no loop device (a device's thread would wait on itself). */
static int loop_backing_ok(int fd, struct stat *st)
{
	int fl = fcntl(fd, F_GETFL), r;

	pthread_mutex_unlock(&loop_lock); /* as file_size */
	r = fl < 0 || (fl & O_PATH) || fstat(fd, st) < 0 ? -EBADF : 0;
	pthread_mutex_lock(&loop_lock);
	if (r < 0)
		return r;
	if (S_ISBLK(st->st_mode) && st->st_rdev >> 8 == LOOP_MAJOR)
		return -EINVAL;
	return S_ISREG(st->st_mode) || S_ISBLK(st->st_mode) ? 0 : -EINVAL;
}

/* LOOP_SET_STATUS64 (and the others' info): what may change of it. */
static int loop_set_info(struct loop_dev *d, const struct loop_info64 *in)
{
	uint32_t keep = d->info.lo_flags & ~(uint32_t)LO_FLAGS_AUTOCLEAR;

	if (in->lo_encrypt_type || in->lo_encrypt_key_size)
		return -EINVAL;
	d->info.lo_offset = in->lo_offset;
	d->info.lo_sizelimit = in->lo_sizelimit;
	d->info.lo_flags =
	    keep | (in->lo_flags & (LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN));
	memcpy(d->info.lo_file_name, in->lo_file_name, LO_NAME_SIZE);
	memcpy(d->info.lo_crypt_name, in->lo_crypt_name, LO_NAME_SIZE);
	d->info.lo_file_name[LO_NAME_SIZE - 1] = 0;
	d->info.lo_crypt_name[LO_NAME_SIZE - 1] = 0;
	loop_resize(d);
	return 0;
}

/* LOOP_SET_FD and LOOP_CONFIGURE: attach the descriptor handed over for
 * p's ticket (read-only unless both it and the handle allow writing). */
static int loop_attach(struct loop_dev *d, bool write,
		       const struct loop_pass *p, bool configure)
{
	int fd = pass_take(p->ticket), r;
	struct stat st;

	if (fd < 0)
		return -EBADF;
	if ((r = loop_backing_ok(fd, &st)) < 0 ||
	    (r = d->fd >= 0 ? -EBUSY : 0) ||
	    (r = configure && p->block_size &&
			 (p->block_size < 512 || p->block_size > 4096 ||
			  (p->block_size & (p->block_size - 1)))
		     ? -EINVAL
		     : 0)) {
		close(fd);
		return r;
	}
	d->fd = fd;
	d->block_size = configure && p->block_size ? p->block_size : SECTOR;
	d->info = (struct loop_info64){.lo_number = d - loop_devs};
	d->info.lo_device = st.st_dev;
	d->info.lo_inode = st.st_ino;
	d->info.lo_rdevice = S_ISBLK(st.st_mode) ? st.st_rdev : 0;
	if (!write || (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
		d->info.lo_flags = LO_FLAGS_READ_ONLY;
	getrandom(&d->gen, sizeof(d->gen), 0);
	if (!configure)
		return loop_resize(d), 0;
	d->info.lo_flags |= p->info.lo_flags & LO_FLAGS_READ_ONLY;
	if ((r = loop_set_info(d, &p->info)) < 0)
		loop_detach(d);
	return r;
}

void loop_detach(struct loop_dev *d)
{
	close(d->fd);
	d->fd = -1;
	d->size = 0;
	d->block_size = SECTOR;
	d->info = (struct loop_info64){.lo_number = d - loop_devs};
}

/* LOOP_GET_STATUS: loop_info64 in the old structure (EOVERFLOW when it
 * does not fit), LOOP_SET_STATUS the other way. */
static int loop_old_status(struct loop_dev *d, const struct lux_req *q,
			   const void *in)
{
	struct loop_info o = {0};
	struct loop_info64 n = d->info;

	if (q->count == LOOP_GET_STATUS) {
		o.lo_number = n.lo_number;
		o.lo_device = n.lo_device;
		o.lo_inode = n.lo_inode;
		o.lo_rdevice = n.lo_rdevice;
		o.lo_offset = n.lo_offset;
		o.lo_flags = n.lo_flags;
		memcpy(o.lo_name, n.lo_file_name, LO_NAME_SIZE);
		if (o.lo_device != n.lo_device ||
		    o.lo_rdevice != n.lo_rdevice ||
		    (uint64_t)o.lo_offset != n.lo_offset)
			return -EOVERFLOW;
		return lux_reply(LUX_SERVER_FD, q, 0, &o, sizeof(o)), 1;
	}
	memcpy(&o, in, sizeof(o));
	n.lo_offset = o.lo_offset >= 0 ? o.lo_offset : 0;
	n.lo_sizelimit = 0;
	n.lo_encrypt_type = o.lo_encrypt_type;
	n.lo_encrypt_key_size = o.lo_encrypt_key_size;
	n.lo_flags = o.lo_flags;
	memcpy(n.lo_file_name, o.lo_name, LO_NAME_SIZE);
	return loop_set_info(d, &n);
}

/* LOOP_CLR_FD: detached now, or when the last other opener closes. */
static int loop_clear(struct loop_dev *d)
{
	if (d->opens > 1)
		d->info.lo_flags |= LO_FLAGS_AUTOCLEAR;
	else
		loop_detach(d);
	return 0;
}

/* A device's ioctl q (its input data, len bytes): the result, or 1 when
 * answered already. */
static int64_t loop_dev_ioctl(struct loop_dev *d, bool write,
			      const struct lux_req *q, const void *in, long len)
{
	uint64_t sectors = d->size / SECTOR;
	int ro = !!(d->info.lo_flags & LO_FLAGS_READ_ONLY);

	switch (q->count) {
	case LOOP_SET_FD:
	case LOOP_CONFIGURE:
		if (len < (long)sizeof(struct loop_pass))
			return -EINVAL;
		return loop_attach(d, write, in, q->count == LOOP_CONFIGURE);
	case BLKGETSIZE64:
		return lux_reply(LUX_SERVER_FD, q, 0, &d->size, 8), 1;
	case BLKGETSIZE:
		return lux_reply(LUX_SERVER_FD, q, 0, &sectors, 8), 1;
	case BLKROGET:
		return lux_reply(LUX_SERVER_FD, q, 0, &ro, 4), 1;
	case BLKSSZGET:
		return lux_reply(LUX_SERVER_FD, q, 0, &d->block_size, 4), 1;
	}
	if (d->fd < 0) /* the rest need a backing file */
		return (q->count & 0xff00) == 0x4c00 ? -ENXIO : -ENOTTY;
	switch (q->count) {
	case LOOP_CLR_FD:
		return loop_clear(d);
	case LOOP_GET_STATUS64:
		return lux_reply(LUX_SERVER_FD, q, 0, &d->info,
				 sizeof(d->info)),
		       1;
	case LOOP_SET_STATUS64:
		if (len < (long)sizeof(struct loop_info64))
			return -EINVAL;
		return loop_set_info(d, in);
	case LOOP_GET_STATUS:
	case LOOP_SET_STATUS:
		if (q->count == LOOP_SET_STATUS &&
		    len < (long)sizeof(struct loop_info))
			return -EINVAL;
		return loop_old_status(d, q, in);
	case LOOP_SET_CAPACITY:
		return loop_resize(d), 0;
	case LOOP_SET_DIRECT_IO:
		return 0;
	case LOOP_SET_BLOCK_SIZE:
		if (q->off < 512 || q->off > 4096 || (q->off & (q->off - 1)))
			return -EINVAL;
		d->block_size = q->off;
		return 0;
	}
	return -ENOTTY;
}

/* /dev/loop-control's ioctl q: the device number, or -errno. */
static int64_t loop_ctl_ioctl(const struct lux_req *q)
{
	int64_t n = (int64_t)q->off;

	if (q->count == LOOP_CTL_GET_FREE) {
		for (int i = 0; i < LOOP_MAX; i++)
			if (loop_devs[i].present && loop_devs[i].fd < 0)
				return i;
		for (int i = 0; i < LOOP_MAX; i++)
			if (!loop_devs[i].present)
				return loop_devs[i].present = true, i;
		return -ENOSPC;
	}
	if (q->count == LOOP_CTL_ADD) {
		for (int i = 0; n < 0 && i < LOOP_MAX; i++)
			if (!loop_devs[i].present)
				n = i;
		if (n < 0 || n >= LOOP_MAX)
			return -ENOSPC; /* a fixed set of device files */
		if (loop_devs[n].present)
			return -EEXIST;
		return loop_devs[n].present = true, n;
	}
	if (q->count != LOOP_CTL_REMOVE)
		return -ENOSYS; /* as Linux's loop-control */
	if (n < 0 || n >= LOOP_MAX || !loop_devs[n].present)
		return -ENODEV;
	if (loop_devs[n].fd >= 0 || loop_devs[n].opens)
		return -EBUSY;
	loop_devs[n].present = false;
	return 0;
}

void loop_ioctl(struct loop_dev *d, bool write, const struct lux_req *q,
		const void *data, long len)
{
	int64_t r =
	    d ? loop_dev_ioctl(d, write, q, data, len) : loop_ctl_ioctl(q);

	if (!d || r != 1)
		reply(q, r);
}

bool loop_close(const struct lux_req *q)
{
	struct loop_handle *h = &loop_handles[q->handle - 1];
	struct loop_dev *d = h->dev >= 0 ? &loop_devs[h->dev] : NULL;

	h->used = false;
	return d && !--d->opens && d->fd >= 0 &&
	       (d->info.lo_flags & LO_FLAGS_AUTOCLEAR);
}
