/*
 * main.c - virtio-blk: a driver server for one virtio block device
 * (virtio 1.x, 5.2), serving it as a block device node (/dev/vda, a file
 * mount lumen makes: every path it is sent names the disk) through the
 * request protocol: OPEN, STAT, READ,
 * WRITE, FSYNC (the device's flush), at any offset and length, and IOCTL
 * (BLKGETSIZE64, BLKGETSIZE, BLKSSZGET).
 *
 *     virtio-blk REGS IRQ
 *
 * REGS is the physical address of the device's registers (a PCI
 * function's configuration page, or a virtio-mmio device's registers)
 * and IRQ its interrupt line (an MSI line, or the virtio-mmio device's
 * own), both granted by lumen, which starts one server per device
 * (docs/storage.md). Up to SLOTS_MAX
 * requests are in flight at once, each in a slot of its own: its chain
 * of descriptors, its header and status byte, and a buffer of
 * LUX_MAX_DATA plus a sector at each end. A write that does not cover
 * whole sectors reads them first; it runs alone, so that no other write
 * to those sectors can come between its read and its write.
 */
#include "virtio.h"
#include <errno.h>
#include <lux.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR      512
#define BUF_PAGES   17              /* LUX_MAX_DATA and a sector at each end */
#define DPS         (BUF_PAGES + 2) /* descriptors a slot owns */
#define SLOTS_MAX   8
#define QUEUE_PAGES 3 /* descriptors, available ring, used ring */
#define HDR_PAGE    QUEUE_PAGES
#define GID_DISK    6 /* the group that may use disks, as on Debian */
#define BLK_F_RO    5
#define BLK_F_FLUSH 9

enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4 };

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

struct slot {
	bool busy;
	bool rmw;         /* an unaligned write, reading its sectors */
	struct lux_req q; /* the request it serves */
	uint64_t start;   /* the device offset buf[0] holds */
	uint64_t len;     /* the request's bytes */
	char *buf;        /* BUF_PAGES of DMA memory */
	const uint64_t *pa;
	struct blk_hdr *hdr; /* then the status byte, 16 bytes on */
	uint64_t hdr_pa;
	char *save; /* an unaligned write's data */
};

static struct virtio_dev dev;
static struct virtq vq;
static struct slot slots[SLOTS_MAX];
static unsigned nslots, nbusy;
static bool exclusive; /* an unaligned write is in flight */
static uint64_t capacity, features;

static volatile uint8_t *status_of(struct slot *s)
{
	return (volatile uint8_t *)s->hdr + 16;
}

/* Give the device a request of type for bytes of the slot's buffer at
 * device offset start (sector aligned). */
static void dev_start(struct slot *s, uint32_t type, uint64_t start,
		      uint32_t bytes)
{
	unsigned head = (s - slots) * DPS, d = head;
	uint16_t dir = type == T_IN ? VIRTQ_DESC_F_WRITE : 0;

	*s->hdr = (struct blk_hdr){.type = type, .sector = start / SECTOR};
	*status_of(s) = 0xff;
	s->start = start;
	vq.desc[d] =
	    (struct virtq_desc){s->hdr_pa, 16, VIRTQ_DESC_F_NEXT, d + 1};
	for (uint32_t done = 0; done < bytes; done += 4096) {
		d++;
		uint32_t n = bytes - done < 4096 ? bytes - done : 4096;
		vq.desc[d] = (struct virtq_desc){
		    s->pa[done / 4096], n, VIRTQ_DESC_F_NEXT | dir, d + 1};
	}
	d++;
	vq.desc[d] =
	    (struct virtq_desc){s->hdr_pa + 16, 1, VIRTQ_DESC_F_WRITE, 0};
	virtq_submit(&vq, head);
}

/* The sectors covering [off, off + len): their start and length. */
static uint32_t cover(uint64_t off, uint64_t len, uint64_t *start)
{
	*start = off / SECTOR * SECTOR;
	return (off + len + SECTOR - 1) / SECTOR * SECTOR - *start;
}

static struct slot *free_slot(void)
{
	for (unsigned i = 0; i < nslots; i++)
		if (!slots[i].busy)
			return &slots[i];
	return NULL;
}

/* Whether caller q may use the disk for want (LUX_R_OK, LUX_W_OK): root,
 * or the group disk (mode 0660 root:disk). */
static bool allowed(const struct lux_req *q, int want)
{
	return q->uid == 0 || (!(want & LUX_X_OK) && lux_in_group(q, GID_DISK));
}

static void do_open(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	int acc = q->flags & LUX_O_ACCMODE;
	int want = (acc != LUX_O_WRONLY ? LUX_R_OK : 0) |
		   (acc != LUX_O_RDONLY ? LUX_W_OK : 0);
	struct lux_rep r = {.handle = 1,
			    .mode = LUX_S_IFBLK | 0660,
			    .events = LUX_POLLIN | LUX_POLLOUT};

	r.result = (q->flags & (LUX_O_CREAT | LUX_O_EXCL)) ==
			   (LUX_O_CREAT | LUX_O_EXCL)
		       ? -EEXIST
		   : q->flags & LUX_O_DIRECTORY ? -ENOTDIR
		   : !allowed(q, want)          ? -EACCES
		   : (want & LUX_W_OK) && (features & (1ULL << BLK_F_RO))
		       ? -EROFS
		       : 0;
	lux_reply_full(LUX_SERVER_FD, q, &r, NULL, 0);
}

static void do_stat(const struct lux_msg *m)
{
	struct lux_stat st = {.dev = 5, .ino = 1, .nlink = 1, .size = capacity};

	st.rdev = 253 << 8; /* Linux's virtblk major, minor 0 */
	st.blksize = 4096;
	st.mode = LUX_S_IFBLK | 0660;
	st.gid = GID_DISK;
	lux_reply(LUX_SERVER_FD, &m->req, 0, &st, sizeof(st));
}

/* Linux's block device ioctls (include/uapi/linux/fs.h). */
#define BLKGETSIZE   0x1260     /* unsigned long: the size in sectors */
#define BLKSSZGET    0x1268     /* int: the logical sector size */
#define BLKGETSIZE64 0x80081272 /* uint64_t: the size in bytes */

/* IOCTL (the command in count): the disk's size and sector size, written
 * back as the personality's table says (user/persona/fdcalls.c); any
 * other command is ENOTTY. */
static void do_ioctl(const struct lux_req *q)
{
	uint64_t size = q->count == BLKGETSIZE ? capacity / SECTOR : capacity;
	uint32_t sector = SECTOR;

	if (q->count == BLKSSZGET)
		lux_reply(LUX_SERVER_FD, q, 0, &sector, sizeof(sector));
	else if (q->count == BLKGETSIZE || q->count == BLKGETSIZE64)
		lux_reply(LUX_SERVER_FD, q, 0, &size, sizeof(size));
	else
		lux_reply(LUX_SERVER_FD, q, -ENOTTY, NULL, 0);
}

/* READ: the covering sectors into a slot; answered by finish(). */
static void start_read(struct slot *s, const struct lux_req *q)
{
	uint64_t n = q->count < LUX_MAX_DATA ? q->count : LUX_MAX_DATA, start;

	if (q->off >= capacity || !n) {
		lux_reply(LUX_SERVER_FD, q, 0, NULL, 0);
		return;
	}
	n = n < capacity - q->off ? n : capacity - q->off;
	s->busy = true;
	nbusy++;
	s->q = *q;
	s->len = n;
	n = cover(q->off, n, &start);
	dev_start(s, T_IN, start, n);
}

/* WRITE: whole sectors go at once; others read their sectors first. */
static void start_write(struct slot *s, const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	uint64_t n = len, start;
	uint32_t bytes;

	if (q->off >= capacity || n == 0) {
		lux_reply(LUX_SERVER_FD, q, n ? -ENOSPC : 0, NULL, 0);
		return;
	}
	n = n < capacity - q->off ? n : capacity - q->off;
	bytes = cover(q->off, n, &start);
	s->busy = true;
	nbusy++;
	s->q = *q;
	s->len = n;
	if (start == q->off && bytes == n) {
		memcpy(s->buf, m->data, n);
		dev_start(s, T_OUT, start, bytes);
		return;
	}
	memcpy(s->save, m->data, n);
	s->rmw = exclusive = true;
	dev_start(s, T_IN, start, bytes);
}

/* Serve m if it can start now: false when it must wait for a slot (or
 * for an unaligned write to end, or to be alone to start one). */
static bool serve(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	struct slot *s = free_slot();
	bool io = q->op == LUX_READ || q->op == LUX_WRITE || q->op == LUX_FSYNC;
	bool aligned = q->off % SECTOR == 0 && len % SECTOR == 0;

	if (io &&
	    (!s || exclusive || (q->op == LUX_WRITE && !aligned && nbusy)))
		return false;
	switch (q->op) {
	case LUX_OPEN:
		do_open(m);
		break;
	case LUX_STAT:
		do_stat(m);
		break;
	case LUX_READ:
		start_read(s, q);
		break;
	case LUX_WRITE:
		start_write(s, m, len);
		break;
	case LUX_FSYNC:
		if (!(features & (1ULL << BLK_F_FLUSH))) {
			lux_reply(LUX_SERVER_FD, q, 0, NULL, 0);
			break;
		}
		s->busy = true;
		nbusy++;
		s->q = *q;
		dev_start(s, T_FLUSH, 0, 0);
		break;
	case LUX_CLOSE:
	case LUX_CANCEL: /* a late reply is dropped by the kernel */
		break;
	case LUX_ACCESS:
		lux_reply(LUX_SERVER_FD, q,
			  allowed(q, q->mode & 7) ? 0 : -EACCES, NULL, 0);
		break;
	case LUX_IOCTL:
		do_ioctl(q);
		break;
	default:
		lux_reply(LUX_SERVER_FD, q, -EPERM, NULL, 0);
	}
	return true;
}

/* The device is done with slot s: answer its request, or write the
 * sectors an unaligned write has read. */
static void finish(struct slot *s)
{
	bool ok = *status_of(s) == 0;
	struct lux_rep r = {.result = ok ? (int64_t)s->len : -EIO};

	if (s->rmw && ok) {
		s->rmw = false;
		memcpy(s->buf + (s->q.off - s->start), s->save, s->len);
		dev_start(s, T_OUT, s->start,
			  cover(s->q.off, s->len, &s->start));
		return;
	}
	s->busy = s->rmw = false;
	nbusy--;
	if (s->q.op == LUX_WRITE)
		exclusive = false;
	if (s->q.op == LUX_READ)
		lux_reply(LUX_SERVER_FD, &s->q, r.result,
			  s->buf + (s->q.off - s->start), ok ? s->len : 0);
	else if (s->q.op == LUX_FSYNC)
		lux_reply(LUX_SERVER_FD, &s->q, ok ? 0 : -EIO, NULL, 0);
	else {
		r.off = s->q.off + (ok ? s->len : 0);
		lux_reply_full(LUX_SERVER_FD, &s->q, &r, NULL, 0);
	}
}

/* Negotiate features, set up the queue and the slots in DMA memory. */
static int setup(void)
{
	uint64_t offered, *pa;
	char *mem;
	int r;

	vt_set_status(&dev, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER);
	offered = vt_features(&dev);
	features = offered & ((1ULL << VIRTIO_F_VERSION_1) |
			      (1ULL << BLK_F_FLUSH) | (1ULL << BLK_F_RO));
	if (!(features & (1ULL << VIRTIO_F_VERSION_1)))
		return -ENODEV; /* a legacy-only device */
	vt_set_features(&dev, features);
	vt_set_status(&dev,
		      VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER | VIRTIO_FEATURES_OK);
	if (!(vt_status(&dev) & VIRTIO_FEATURES_OK))
		return -ENODEV;
	mem = dma_alloc((QUEUE_PAGES + 1 + SLOTS_MAX * BUF_PAGES) * 4096, &pa);
	if (!mem)
		return -ENOMEM;
	if ((r = virtq_init(&vq, &dev, 0, 256, mem, pa)) < 0)
		return r;
	nslots = vq.size / DPS < SLOTS_MAX ? vq.size / DPS : SLOTS_MAX;
	for (unsigned i = 0; i < nslots; i++) {
		struct slot *s = &slots[i];
		s->buf = mem + (QUEUE_PAGES + 1 + i * BUF_PAGES) * 4096;
		s->pa = pa + QUEUE_PAGES + 1 + i * BUF_PAGES;
		s->hdr = (struct blk_hdr *)(mem + HDR_PAGE * 4096 + i * 32);
		s->hdr_pa = pa[HDR_PAGE] + i * 32;
		if (!(s->save = malloc(LUX_MAX_DATA)))
			return -ENOMEM;
	}
	capacity = *(volatile uint64_t *)dev.device * SECTOR;
	vt_set_status(&dev, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER |
				VIRTIO_FEATURES_OK | VIRTIO_DRIVER_OK);
	return nslots ? 0 : -ENODEV;
}

/* Serve requests and completions until the channel fails. */
static int run(void)
{
	static struct lux_msg m;
	long len = 0;
	bool waiting = false; /* m holds a request that could not start */
	int head;

	for (;;) {
		struct pollfd p[2] = {{dev.irq_fd, POLLIN, 0},
				      {LUX_SERVER_FD, waiting ? 0 : POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & POLLIN) {
			if (vt_interrupted(&dev) < 0 && errno != EINTR)
				return 1;
			while ((head = virtq_next_used(&vq, NULL)) >= 0)
				if (head % DPS == 0 && head / DPS < (int)nslots)
					finish(&slots[head / DPS]);
		}
		if (waiting && serve(&m, len))
			waiting = false;
		if (!waiting && (p[1].revents & (POLLIN | POLLHUP))) {
			if ((len = lux_recv(LUX_SERVER_FD, &m)) >= 0)
				waiting = !serve(&m, len);
			else if (errno != EINTR)
				return errno == EPIPE ? 0 : 1;
		}
	}
}

int main(int argc, char **argv)
{
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: virtio-blk REGS IRQ\n");
		return 2;
	}
	if ((r = vt_open(&dev, strtoull(argv[1], NULL, 0),
			 (int)strtol(argv[2], NULL, 0))) < 0 ||
	    (r = setup()) < 0) {
		fprintf(stderr, "virtio-blk %s: %s\n", argv[1], strerror(-r));
		if (dev.common)
			vt_set_status(&dev, VIRTIO_FAILED);
		return 1;
	}
	return run();
}
