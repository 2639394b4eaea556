/*
 * main.c - /sbin/ext2 <image>: serve the ext2 file system in the image
 * (any file today, a block device node once a disk driver serves one) on
 * the channel lumen gives it (descriptor LUX_SERVER_FD). Dirty blocks are
 * written by fsync, when the cache needs room, and after a second with no
 * request; the end of the channel (unmounted, no file open) syncs and
 * exits.
 */
#define _GNU_SOURCE
#include "ext2.h"
#include "lux.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_BYTES (8u << 20)
#define IDLE_MS     1000

static volatile sig_atomic_t stopping; /* SIGTERM came: sync and end */

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Wait for a request (false: SIGTERM came instead); after IDLE_MS
 * without one, write what is dirty. SIGTERM is blocked but while
 * waiting here, so it cannot come between the check and the wait. */
static bool wait_request(struct ext2fs *fs, const sigset_t *open)
{
	struct pollfd p = {LUX_SERVER_FD, POLLIN, 0};
	bool dirty = fs->cache.ndirty || fs->meta_dirty;
	int r;

	while (!stopping) {
		/* a lease break's end (lux_lease_timeout) comes first? */
		int ms = lux_lease_timeout();
		bool lease = ms >= 0 && (!dirty || ms < IDLE_MS);
		ms = lease ? ms : IDLE_MS;
		struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
		if ((r = ppoll(&p, 1, dirty || lease ? &t : NULL, open)) > 0)
			return true;
		if (r == 0 && !lease && ext2_sync(fs) < 0)
			fprintf(stderr, "ext2: write-back failed\n");
		dirty = dirty && (r < 0 || lease);
	}
	return false;
}

static struct ext2fs *lease_fs;

/* lux_lease_owner: an open file's inode is in the cache. */
static int lease_owner(uint64_t obj, uint32_t *uid)
{
	struct inode *n = obj >> 32 ? NULL : ifind(lease_fs, (uint32_t)obj);

	if (!n || !S_ISREG(n->raw.i_mode))
		return -EINVAL;
	*uid = inode_uid(n);
	return 0;
}

static int serve_loop(struct ext2fs *fs)
{
	static struct lux_msg m;
	static char out[LUX_MSG_MAX];

	sigset_t term, open;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &open);
	sigaction(SIGTERM, &(struct sigaction){.sa_handler = on_term}, NULL);
	sigdelset(&open, SIGTERM);
	lease_fs = fs;
	lux_lease_owner = lease_owner;
	for (;;) {
		if (!wait_request(fs, &open))
			return ext2_unmount(fs) <
			       0; /* halt, poweroff, reboot */
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
		if (lux_lock_serve(LUX_SERVER_FD, &m.req, m.data, n))
			continue;
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
	struct stat st;
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
		bool fs_bad = err == -EINVAL || err == -EOPNOTSUPP;
		fprintf(stderr, "ext2: %s: %s%s\n", argv[1], strerror(-err),
			fs_bad ? " (no ext2 file system this server can serve)"
			       : "");
		return fs_bad ? LUX_EXIT_UNSERVABLE : 1; /* EIO: a driver's */
	}
	fs.dev.path = argv[1];   /* a restarted driver: open it again */
	if (fstat(fd, &st) == 0) /* ... if it is still the same device */
		fs.dev.ino = st.st_ino;
	return serve_loop(&fs);
}
