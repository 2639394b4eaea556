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
 *     loop
 *
 * Everything is lost with the server: lumen restarts it with every
 * device detached, and the descriptors open on the old one fail with
 * EIO (an ext2 server on one then finds no file system: EIO).
 */
#include "loop.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONTROL_RDEV (10 << 8 | 237) /* Linux's misc 10:237 */

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
		return loop_io(m, len);
	case LUX_IOCTL:
		return loop_ioctl(m, len);
	case LUX_CLOSE:
		return loop_close(q);
	case LUX_CANCEL:
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
		pass_poll(p + 1);
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		pass_events(p + 1);
		if (!(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		if ((len = lux_recv(LUX_SERVER_FD, &m)) >= 0)
			serve(&m, len);
		else if (errno != EINTR)
			return errno == EPIPE ? 0 : 1;
	}
}

int main(void)
{
	for (int i = 0; i < LOOP_MAX; i++)
		loop_devs[i] = (struct loop_dev){.present = true,
						 .fd = -1,
						 .block_size = 512,
						 .info.lo_number = i};
	if (pass_listen() < 0) {
		fprintf(stderr, "loop: @%s: %s\n", &LOOP_SOCKET[1],
			strerror(errno));
		return 1;
	}
	return run();
}
