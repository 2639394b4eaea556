/*
 * main.c - virtio-net: a driver server for one virtio 1.x network device
 * (virtio 1.x, 5.1), serving its frames to one client through a file
 * mount (/dev/net0) and the request protocol (docs/network.md):
 *
 *     virtio-net REGS IRQ
 *
 * REGS is the physical address of the device's registers (a PCI
 * function's configuration page, or a virtio-mmio device's registers)
 * and IRQ its interrupt line (an MSI line, or the virtio-mmio device's
 * own), both granted by lumen, which appends them to the command. The
 * transport is user/virtio/ (the only code that knows PCI or
 * virtio-mmio); this file knows the network device: the
 * receive queue (0) and the transmit queue (1), both on the one
 * interrupt line, with configuration changes (the link) on it too.
 *
 * Receive: RX_N buffers of BUF bytes in DMA memory stay with the device.
 * A frame it fills waits in its buffer, in arrival order, until the
 * client's READ takes it: the reply is written straight from the buffer
 * (its header in the buffer's first bytes, where the device wrote its
 * virtio header), then the buffer goes back to the device. With no
 * client, frames go back at once (dropped). A client that does not read
 * holds the buffers, and the device drops what comes meanwhile.
 *
 * Transmit: a WRITE's frame is copied into a free one of TX_N buffers and
 * handed to the device; the reply comes at once. With every buffer in
 * flight the server stops reading its channel until one comes back, so
 * writers wait in the kernel's queue.
 */
#include "virtio.h"
#include <errno.h>
#include <lux.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NET_F_MAC    5
#define NET_F_STATUS 16
#define NET_S_LINK   1
#define RXQ          0
#define TXQ          1
#define QUEUE_PAGES  3    /* descriptors, available ring, used ring */
#define BUF          2048 /* a buffer: two a page */
#define RX_N         64
#define TX_N         32
#define HDR          12 /* struct virtio_net_hdr, num_buffers included */
#define FRAME_OFF    64 /* the frame in a buffer: a struct lux_rep before */
#define FRAME_MIN    14 /* an Ethernet header */
#define FRAME_MAX    1514
#define WAIT_MAX     16 /* READs waiting for a frame */

_Static_assert(sizeof(struct lux_rep) <= FRAME_OFF, "a reply fits before");

static struct virtio_dev dev;
static struct virtq rxq, txq;
static char *rx_buf, *tx_buf; /* RX_N and TX_N buffers */
static uint64_t *pa;          /* each DMA page's physical address */
static unsigned rx_pg, tx_pg; /* their first pages in pa[] */
static uint16_t ready[RX_N];  /* filled buffers, oldest first */
static uint32_t ready_len[RX_N];
static unsigned ready_head, nready;
static bool tx_busy[TX_N];
static unsigned ntx;
static struct lux_req waiting[WAIT_MAX]; /* READs with no frame yet */
static unsigned nwaiting;
static uint64_t client; /* the open's handle, 0 for none */
static uint64_t next_handle = 1;
static uint32_t events; /* the poll events the kernel last heard */
static struct lux_netinfo info;
static uint64_t features;

static uint64_t buf_pa(unsigned first_page, unsigned i)
{
	return pa[first_page + i / 2] + (i % 2) * BUF;
}

/* Give receive buffer i back to the device. */
static void rx_give(unsigned i)
{
	rxq.desc[i] =
	    (struct virtq_desc){buf_pa(rx_pg, i) + FRAME_OFF - HDR,
				BUF - FRAME_OFF + HDR, VIRTQ_DESC_F_WRITE, 0};
	virtq_submit(&rxq, i);
}

/* Tell the kernel the client's poll events if they changed. */
static void notify(void)
{
	uint32_t ev =
	    (nready ? LUX_POLLIN : 0) | (ntx < txq.size ? LUX_POLLOUT : 0);

	if (client && ev != events)
		lux_notify(LUX_SERVER_FD, client, ev);
	events = ev;
}

/* Answer READ q with the oldest frame, written from its buffer, which
 * then goes back to the device. */
static void reply_frame(const struct lux_req *q)
{
	unsigned i = ready[ready_head];
	uint32_t n = ready_len[ready_head];
	char *b = rx_buf + i * BUF;
	struct lux_rep *r = (struct lux_rep *)(b + FRAME_OFF - sizeof(*r));

	n = n < q->count ? n : (uint32_t)q->count; /* a datagram: cut */
	*r = (struct lux_rep){
	    .op = LUX_REPLY, .len = sizeof(*r) + n, .id = q->id, .result = n};
	if (write(LUX_SERVER_FD, r, r->len) < 0)
		perror("virtio-net: reply");
	ready_head = (ready_head + 1) % RX_N;
	nready--;
	rx_give(i);
}

/* The device filled receive buffer i with len bytes (its header first). */
static void rx_done(unsigned i, uint32_t len)
{
	if (!client || len < HDR + FRAME_MIN || i >= rxq.size) {
		if (i < rxq.size)
			rx_give(i);
		return;
	}
	ready[(ready_head + nready) % RX_N] = i;
	ready_len[(ready_head + nready) % RX_N] = len - HDR;
	nready++;
	if (nwaiting) {
		reply_frame(&waiting[0]);
		memmove(waiting, waiting + 1, --nwaiting * sizeof(waiting[0]));
	}
}

/* Read the link state; log a change unless quiet. */
static void link_check(bool quiet)
{
	uint16_t s = NET_S_LINK;
	uint8_t gen;

	if (features & (1ULL << NET_F_STATUS))
		do {
			gen = vt_config_gen(&dev);
			s = *(volatile uint16_t *)(dev.device + 6);
		} while (gen != vt_config_gen(&dev));
	if (!quiet && (s & NET_S_LINK) != (info.flags & LUX_NETINFO_LINK))
		fprintf(stderr, "virtio-net: link %s\n",
			s & NET_S_LINK ? "up" : "down");
	info.flags = s & NET_S_LINK ? LUX_NETINFO_LINK : 0;
}

/* The device interrupted: take what it finished on both queues. */
static void interrupted(void)
{
	uint32_t len;
	int head;

	while ((head = virtq_next_used(&rxq, &len)) >= 0)
		rx_done(head, len);
	while ((head = virtq_next_used(&txq, NULL)) >= 0)
		if (head < TX_N && tx_busy[head]) {
			tx_busy[head] = false;
			ntx--;
		}
	link_check(false);
	notify();
}

/* WRITE: one frame to the device; false when every buffer is busy. */
static bool do_write(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	unsigned i = 0;

	if (len < FRAME_MIN || len > FRAME_MAX) {
		lux_reply(LUX_SERVER_FD, q,
			  len < FRAME_MIN ? -EINVAL : -EMSGSIZE, NULL, 0);
		return true;
	}
	if (ntx == txq.size) { /* at most TX_N */
		if (!(q->flags & LUX_O_NONBLOCK))
			return false;
		lux_reply(LUX_SERVER_FD, q, -EAGAIN, NULL, 0);
		return true;
	}
	while (tx_busy[i])
		i++;
	memset(tx_buf + i * BUF, 0, HDR); /* no offloads */
	memcpy(tx_buf + i * BUF + HDR, m->data, len);
	tx_busy[i] = true;
	ntx++;
	txq.desc[i] = (struct virtq_desc){buf_pa(tx_pg, i), HDR + len, 0, 0};
	virtq_submit(&txq, i);
	lux_reply(LUX_SERVER_FD, q, len, NULL, 0);
	return true;
}

/* READ: the oldest frame, or wait for one (EAGAIN if O_NONBLOCK). */
static void do_read(const struct lux_req *q)
{
	if (nready)
		reply_frame(q);
	else if (q->flags & LUX_O_NONBLOCK)
		lux_reply(LUX_SERVER_FD, q, -EAGAIN, NULL, 0);
	else if (nwaiting == WAIT_MAX)
		lux_reply(LUX_SERVER_FD, q, -ENOBUFS, NULL, 0);
	else
		waiting[nwaiting++] = *q;
}

/* OPEN: root only (raw frames, as Linux's CAP_NET_RAW), one client at a
 * time. */
static void do_open(const struct lux_req *q)
{
	struct lux_rep r = {.mode = LUX_S_IFCHR | 0600};

	r.result = (q->flags & (LUX_O_CREAT | LUX_O_EXCL)) ==
			   (LUX_O_CREAT | LUX_O_EXCL)
		       ? -EEXIST
		   : q->flags & LUX_O_DIRECTORY ? -ENOTDIR
		   : q->uid != 0                ? -EACCES
		   : client                     ? -EBUSY
						: 0;
	if (!r.result) {
		client = r.handle = next_handle++;
		events = r.events = (nready ? LUX_POLLIN : 0) |
				    (ntx < txq.size ? LUX_POLLOUT : 0);
	}
	lux_reply_full(LUX_SERVER_FD, q, &r, NULL, 0);
}

/* The client closed: its frames go back to the device. */
static void do_close(void)
{
	client = 0;
	nwaiting = 0;
	for (; nready; nready--, ready_head = (ready_head + 1) % RX_N)
		rx_give(ready[ready_head]);
}

static void do_cancel(uint64_t id)
{
	for (unsigned i = 0; i < nwaiting; i++)
		if (waiting[i].id == id) {
			memmove(waiting + i, waiting + i + 1,
				(--nwaiting - i) * sizeof(waiting[0]));
			return;
		}
}

static void do_stat(const struct lux_req *q)
{
	struct lux_stat st = {.dev = 5, .ino = 1, .nlink = 1, .blksize = BUF};

	st.mode = LUX_S_IFCHR | 0600;
	lux_reply(LUX_SERVER_FD, q, 0, &st, sizeof(st));
}

/* Serve m: false when it must wait (a WRITE with no free buffer). */
static bool serve(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	bool by_handle =
	    q->op == LUX_READ || q->op == LUX_WRITE || q->op == LUX_IOCTL;

	if (by_handle && (!q->handle || q->handle != client)) {
		lux_reply(LUX_SERVER_FD, q, -EBADF, NULL, 0);
		return true;
	}
	switch (q->op) {
	case LUX_OPEN:
		do_open(q);
		break;
	case LUX_STAT:
		do_stat(q);
		break;
	case LUX_READ:
		do_read(q);
		break;
	case LUX_WRITE:
		if (!do_write(m, len))
			return false;
		break;
	case LUX_IOCTL:
		lux_reply(LUX_SERVER_FD, q,
			  q->count == LUX_NETINFO ? 0 : -ENOTTY, &info,
			  q->count == LUX_NETINFO ? sizeof(info) : 0);
		break;
	case LUX_CLOSE:
		if (q->handle == client)
			do_close();
		break;
	case LUX_CANCEL:
		do_cancel(q->id);
		break;
	case LUX_ACCESS:
		lux_reply(LUX_SERVER_FD, q, q->uid == 0 ? 0 : -EACCES, NULL, 0);
		break;
	default:
		lux_reply(LUX_SERVER_FD, q, -EPERM, NULL, 0);
	}
	notify();
	return true;
}

/* Negotiate features; read the MAC. */
static int negotiate(void)
{
	uint64_t want = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << NET_F_MAC) |
			(1ULL << NET_F_STATUS);
	uint8_t gen;

	vt_set_status(&dev, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER);
	features = vt_features(&dev) & want;
	if (!(features & (1ULL << VIRTIO_F_VERSION_1)) ||
	    !(features & (1ULL << NET_F_MAC)))
		return -ENODEV; /* legacy only, or no address of its own */
	vt_set_features(&dev, features);
	vt_set_status(&dev,
		      VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER | VIRTIO_FEATURES_OK);
	if (!(vt_status(&dev) & VIRTIO_FEATURES_OK))
		return -ENODEV;
	do {
		gen = vt_config_gen(&dev);
		for (int i = 0; i < 6; i++)
			info.mac[i] = dev.device[i];
	} while (gen != vt_config_gen(&dev));
	return 0;
}

/* Set up both queues and their buffers in DMA memory, start the device. */
static int setup(void)
{
	char *mem;
	int r;

	if ((r = negotiate()) < 0)
		return r;
	rx_pg = 2 * QUEUE_PAGES;
	tx_pg = rx_pg + RX_N * BUF / 4096;
	mem = dma_alloc((tx_pg + TX_N * BUF / 4096) * 4096, &pa);
	if (!mem)
		return -ENOMEM;
	rx_buf = mem + rx_pg * 4096;
	tx_buf = mem + tx_pg * 4096;
	if ((r = virtq_init(&rxq, &dev, RXQ, RX_N, mem, pa)) < 0 ||
	    (r = virtq_init(&txq, &dev, TXQ, TX_N, mem + QUEUE_PAGES * 4096,
			    pa + QUEUE_PAGES)) < 0 ||
	    (r = vt_config_irq(&dev)) < 0)
		return r;
	vt_set_status(&dev, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER |
				VIRTIO_FEATURES_OK | VIRTIO_DRIVER_OK);
	for (unsigned i = 0; i < rxq.size; i++)
		rx_give(i);
	link_check(true);
	return 0;
}

/* Serve requests and interrupts until the channel fails. */
static int run(void)
{
	static struct lux_msg m;
	long len = 0;
	bool held = false; /* m is a WRITE waiting for a buffer */

	for (;;) {
		struct pollfd p[2] = {{dev.irq_fd, POLLIN, 0},
				      {LUX_SERVER_FD, held ? 0 : POLLIN, 0}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & POLLIN) {
			if (vt_interrupted(&dev) < 0 && errno != EINTR)
				return 1;
			interrupted();
		}
		if (held && serve(&m, len))
			held = false;
		if (!held && (p[1].revents & (POLLIN | POLLHUP))) {
			if ((len = lux_recv(LUX_SERVER_FD, &m)) >= 0)
				held = !serve(&m, len);
			else if (errno != EINTR)
				return errno == EPIPE ? 0 : 1;
		}
	}
}

int main(int argc, char **argv)
{
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: virtio-net REGS IRQ\n");
		return 2;
	}
	if ((r = vt_open(&dev, strtoull(argv[1], NULL, 0),
			 (int)strtol(argv[2], NULL, 0))) < 0 ||
	    (r = setup()) < 0) {
		fprintf(stderr, "virtio-net %s: %s\n", argv[1], strerror(-r));
		if (dev.common)
			vt_set_status(&dev, VIRTIO_FAILED);
		return 1;
	}
	fprintf(stderr, "virtio-net: %02x:%02x:%02x:%02x:%02x:%02x, link %s\n",
		info.mac[0], info.mac[1], info.mac[2], info.mac[3], info.mac[4],
		info.mac[5], info.flags & LUX_NETINFO_LINK ? "up" : "down");
	return run();
}
