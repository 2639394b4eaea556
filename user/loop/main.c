/*
 * main.c - loop: the loop block devices (loop(4)) in user space. One
 * server is mounted on /dev/loop-control and /dev/loop0 ... loop7 (file
 * mounts, /etc/lumen.tab; a request names the file it came by). A loop
 * device serves the blocks of a backing file, which LOOP_SET_FD or
 * LOOP_CONFIGURE attach as the caller's descriptor, handed over on a
 * Unix socket (pass.c); reads and writes go to that descriptor, so they
 * reach the file with the rights it was opened with, never the server's
 * (docs/decisions/0039-loop.md, docs/storage.md).
 *
 * The main thread reads the channel and serves what needs no backing
 * file (OPEN, STAT, /dev/loop-control, the hand-over). A device's
 * READ, WRITE, FSYNC, IOCTL and CLOSE go to its own thread, in order,
 * so that a device backed by a file on an ext2 that is itself on a loop
 * device does not wait for itself, and one slow backing file holds up
 * no other device (decision 0041).
 *
 *     loop
 *
 * Everything is lost with the server: lumen restarts it with every
 * device detached, and the descriptors open on the old one fail with
 * EIO (an ext2 server on one then finds no file system: EIO).
 */
#include "loop.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTROL_RDEV (10 << 8 | 237) /* Linux's misc 10:237 */

pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;

/* The device a request names: a handle's, or by the path it came by
 * ("loop3", "loop-control"); -2 for no such name. */
static int loop_named(const struct lux_msg *m)
{
	const char *p = lux_path(m, 0);
	char *end;
	long n;

	if (m->req.handle)
		return loop_handles[m->req.handle - 1].dev;
	if (!p || strncmp(p, "loop", 4))
		return -2;
	if (!strcmp(p + 4, "-control"))
		return LOOP_CONTROL;
	n = strtol(p + 4, &end, 10);
	return end != p + 4 && !*end && n >= 0 && n < LOOP_MAX ? (int)n : -2;
}

/* Whether caller q may use a device for want: root, or the group disk
 * (mode 0660 root:disk, as Debian's udev makes them). */
static bool allowed(const struct lux_req *q, int want)
{
	return q->uid == 0 || (!(want & LUX_X_OK) && lux_in_group(q, GID_DISK));
}

/* A handle for device dev: its number (index + 1), or 0 when full. */
static uint64_t handle_new(int dev, bool write)
{
	for (int i = 0; i < HANDLES_MAX; i++)
		if (!loop_handles[i].used) {
			loop_handles[i] =
			    (struct loop_handle){true, write, dev};
			if (dev >= 0)
				loop_devs[dev].opens++;
			return i + 1;
		}
	return 0;
}

static void do_open(const struct lux_msg *m, int dev)
{
	const struct lux_req *q = &m->req;
	int acc = q->flags & LUX_O_ACCMODE;
	int want = (acc != LUX_O_WRONLY ? LUX_R_OK : 0) |
		   (acc != LUX_O_RDONLY ? LUX_W_OK : 0);
	struct lux_rep r = {
	    .mode = (dev == LOOP_CONTROL ? LUX_S_IFCHR : LUX_S_IFBLK) | 0660,
	    .events = LUX_POLLIN | LUX_POLLOUT};

	r.result = (q->flags & (LUX_O_CREAT | LUX_O_EXCL)) ==
			   (LUX_O_CREAT | LUX_O_EXCL)
		       ? -EEXIST
		   : q->flags & LUX_O_DIRECTORY          ? -ENOTDIR
		   : !allowed(q, want)                   ? -EACCES
		   : dev >= 0 && !loop_devs[dev].present ? -ENXIO
							 : 0;
	if (!r.result && !(r.handle = handle_new(dev, want & LUX_W_OK)))
		r.result = -ENFILE;
	lux_reply_full(LUX_SERVER_FD, q, &r, NULL, 0);
}

static void do_stat(const struct lux_msg *m, int dev)
{
	struct lux_stat st = {.dev = 5, .nlink = 1, .blksize = 4096};

	st.gid = GID_DISK;
	if (dev == LOOP_CONTROL) {
		st.mode = LUX_S_IFCHR | 0660;
		st.rdev = CONTROL_RDEV;
		st.ino = 1;
	} else {
		st.mode = LUX_S_IFBLK | 0660;
		st.rdev = 7 << 8 | dev;
		st.ino = loop_devs[dev].fd >= 0 ? loop_devs[dev].gen : 2 + dev;
		st.size = loop_devs[dev].size;
	}
	lux_reply(LUX_SERVER_FD, &m->req, 0, &st, sizeof(st));
}

/* Queue request q (its payload data, len bytes) for device d's thread.
 * A full queue makes the main thread wait: it bounds what a client can
 * make the server hold, QUEUE_MAX payloads a device. */
static void queue(struct loop_dev *d, const struct lux_req *q, const void *data,
		  long len)
{
	void *copy = NULL;
	int i;

	if (len > 0 && !(copy = malloc(len))) {
		if (q->op != LUX_CLOSE)
			lux_reply(LUX_SERVER_FD, q, -ENOMEM, NULL, 0);
		return;
	}
	if (copy)
		memcpy(copy, data, len);
	while (d->n == QUEUE_MAX)
		pthread_cond_wait(&d->room, &loop_lock);
	i = (d->head + d->n++) % QUEUE_MAX;
	d->q[i] = *q;
	d->data[i] = copy;
	d->len[i] = len;
	d->write[i] = q->handle && loop_handles[q->handle - 1].write;
	pthread_cond_signal(&d->more);
}

/* A device's thread: its queued requests, one at a time. */
static void *dev_main(void *arg)
{
	struct loop_dev *d = arg;

	pthread_mutex_lock(&loop_lock);
	for (;;) {
		while (!d->n)
			pthread_cond_wait(&d->more, &loop_lock);
		struct lux_req q = d->q[d->head];
		void *data = d->data[d->head];
		long len = d->len[d->head];
		bool write = d->write[d->head];
		d->head = (d->head + 1) % QUEUE_MAX;
		d->n--;
		pthread_cond_signal(&d->room);
		if (q.op == LUX_IOCTL)
			loop_ioctl(d, write, &q, data, len);
		else if (q.op == LUX_CLOSE) { /* its last close: auto clear */
			if (d->fd >= 0)
				loop_detach(d);
		} else
			loop_io(d, &q, data, len);
		free(data);
	}
	return NULL;
}

static void serve(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	int dev;

	if (q->handle > HANDLES_MAX ||
	    (q->handle && !loop_handles[q->handle - 1].used) ||
	    (dev = loop_named(m)) == -2) {
		if (q->op != LUX_CLOSE && q->op != LUX_CANCEL)
			lux_reply(LUX_SERVER_FD, q, -ENOENT, NULL, 0);
		return;
	}
	switch (q->op) {
	case LUX_OPEN:
		return do_open(m, dev);
	case LUX_STAT:
		return do_stat(m, dev);
	case LUX_ACCESS:
		return (void)lux_reply(LUX_SERVER_FD, q,
				       allowed(q, q->mode & 7) ? 0 : -EACCES,
				       NULL, 0);
	case LUX_READ:
	case LUX_WRITE:
	case LUX_FSYNC:
		if (dev == LOOP_CONTROL)
			break;
		return queue(&loop_devs[dev], q, m->data, len);
	case LUX_IOCTL:
		if (dev >= 0)
			return queue(&loop_devs[dev], q, m->data, len);
		return loop_ioctl(NULL, false, q, m->data, len);
	case LUX_CLOSE:
		if (loop_close(q))
			queue(&loop_devs[dev], q, NULL, 0);
		return;
	case LUX_CANCEL: /* the device's thread answers; the reply is dropped */
		return;
	case LUX_STATFS: { /* no blocks (df skips it), as devtmpfs */
		struct lux_statfs fs = {.type = 0x01021994,
					.bsize = 4096,
					.namelen = 255,
					.frsize = 4096};
		return (void)lux_reply(LUX_SERVER_FD, q, 0, &fs, sizeof(fs));
	}
	}
	lux_reply(LUX_SERVER_FD, q, dev == LOOP_CONTROL ? -EINVAL : -EPERM,
		  NULL, 0);
}

/* Serve the channel and the hand-over socket until the channel fails. */
static int run(void)
{
	static struct lux_msg m;
	struct pollfd p[1 + 1 + CONN_MAX];
	int n = 1 + pass_npoll();
	long len;

	for (;;) {
		p[0] = (struct pollfd){LUX_SERVER_FD, POLLIN, 0};
		pthread_mutex_lock(&loop_lock);
		pass_poll(p + 1);
		pthread_mutex_unlock(&loop_lock);
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		pthread_mutex_lock(&loop_lock);
		pass_events(p + 1);
		pthread_mutex_unlock(&loop_lock);
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		if ((len = lux_recv(LUX_SERVER_FD, &m)) >= 0) {
			pthread_mutex_lock(&loop_lock);
			serve(&m, len);
			pthread_mutex_unlock(&loop_lock);
		} else if (errno != EINTR)
			return errno == EPIPE ? 0 : 1;
	}
}

int main(void)
{
	pthread_t t;

	for (int i = 0; i < LOOP_MAX; i++) {
		struct loop_dev *d = &loop_devs[i];
		*d = (struct loop_dev){.present = true,
				       .fd = -1,
				       .block_size = 512,
				       .info.lo_number = i,
				       .buf = malloc(LUX_MAX_DATA)};
		pthread_cond_init(&d->more, NULL);
		pthread_cond_init(&d->room, NULL);
		if (!d->buf || pthread_create(&t, NULL, dev_main, d)) {
			fprintf(stderr, "loop: no thread for loop%d\n", i);
			return 1;
		}
	}
	if (pass_listen() < 0) {
		fprintf(stderr, "loop: @%s: %s\n", &LOOP_SOCKET[1],
			strerror(errno));
		return 1;
	}
	return run();
}
