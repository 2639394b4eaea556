/*
 * main.c - /sbin/ext2 <image>: serve the ext2 file system in the image
 * (any file today, a block device node once a disk driver serves one) on
 * the channel lumen gives it (descriptor LUX_SERVER_FD). Dirty blocks are
 * written by fsync, when the cache needs room, and after a second with no
 * request; the end of the channel (unmounted, no file open) syncs and
 * exits.
 */
#include "ext2.h"
#include "lux.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CACHE_BYTES (8u << 20)
#define IDLE_MS     1000

/* Wait for a request; after IDLE_MS without one, write what is dirty. */
static void wait_request(struct ext2fs *fs)
{
	struct pollfd p = {LUX_SERVER_FD, POLLIN, 0};
	bool dirty = fs->cache.ndirty || fs->meta_dirty;

	while (dirty && poll(&p, 1, IDLE_MS) == 0) {
		if (ext2_sync(fs) < 0)
			fprintf(stderr, "ext2: write-back failed\n");
		dirty = false;
	}
}

static int serve_loop(struct ext2fs *fs)
{
	static struct lux_msg m;
	static char out[LUX_MSG_MAX];

	for (;;) {
		wait_request(fs);
		long n = lux_recv(LUX_SERVER_FD, &m);
		if (n < 0 && errno == EPIPE)
			return ext2_unmount(fs) < 0;
		if (n < 0) {
			if (errno == EINTR || errno == EPROTO)
				continue;
			fprintf(stderr, "ext2: channel: %s\n", strerror(errno));
			ext2_unmount(fs);
			return 1;
		}
		struct lux_rep r = {0};
		long len = ext2_serve(fs, &m.req, m.data, &r, out);
		if (len >= 0 &&
		    lux_reply_full(LUX_SERVER_FD, &m.req, &r, out, len) < 0)
			fprintf(stderr, "ext2: reply: %s\n", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	static struct ext2fs fs;
	int fd, err;

	if (argc != 2) {
		fprintf(stderr, "usage: ext2 image\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "ext2: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((err = ext2_mount(&fs, fd, CACHE_BYTES))) {
		fprintf(stderr, "ext2: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return serve_loop(&fs);
}
