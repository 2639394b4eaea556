/*
 * main.c - ramfs, the root file system server: fills itself from the boot
 * image's cpio archive (when it holds a LUX_GRANT_BOOTDATA grant; without
 * one, as a second instance for `mount -t tmpfs`, it starts empty), then
 * answers requests on its channel (descriptor LUX_SERVER_FD) one at a
 * time, blocking only in the channel's read.
 *
 * The root's instance is built into lumen (ramfs_main with a state
 * descriptor): its arena is a memory object lumen keeps, mapped at
 * RAMFS_ARENA; a restarted instance finds the tree there (recover.c)
 * instead of filling an empty one. /sbin/ramfs (prog.c) is a tmpfs,
 * with private memory.
 */
#include "fs.h"
#include "lux.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BOOT_CHUNK (1 << 20)
/* Far from programs, their heap, their stack and mmap's own choices. */
#define RAMFS_ARENA   ((void *)0x200000000000UL)
#define DEFAULT_LIMIT (256ULL << 20)

/* The memory ramfs may hold: half of RAM (as tmpfs), else 256 MiB. */
static uint64_t memory_limit(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return DEFAULT_LIMIT;
	/* Half of memory, as the kernel allows memory objects in all, less
	 * what the kernel charges for the object's page array (8 bytes a
	 * page), the arena's header and a page of slack: a full ramfs is
	 * full in df too. */
	uint64_t half = (uint64_t)pages * size / 2;
	return half - half / 512 - 3 * size;
}

/* Is there a byte of the boot image at off? -1: no boot image to read. */
static int boot_has(uint64_t off)
{
	char c;
	long n;

	while ((n = lux_bootdata(off, &c, 1)) < 0 && errno == EINTR)
		;
	return n < 0 ? -1 : n > 0;
}

/* The boot image's size, found by probing (doubling, then bisecting) so
 * that one allocation holds it; -1 if ramfs may not read it. */
static long boot_size(void)
{
	uint64_t lo = 1, hi = BOOT_CHUNK; /* bytes before lo exist */
	int has;

	if ((has = boot_has(0)) <= 0)
		return has;
	while ((has = boot_has(hi - 1)) > 0 && hi < (1ULL << 40)) {
		lo = hi;
		hi *= 2;
	}
	if (has > 0)
		return -1;
	while (hi - lo > 1) { /* byte lo-1 exists, byte hi-1 does not */
		uint64_t mid = lo + (hi - lo) / 2;
		if (boot_has(mid - 1) > 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* cpio_fill_from's reader of the boot image. */
static long boot_read(void *ctx, uint64_t off, void *dst, size_t n)
{
	long r;

	(void)ctx;
	while ((r = lux_bootdata(off, dst, n)) < 0 && errno == EINTR)
		;
	return r;
}

/* Add the boot image's files, read a window at a time (never the whole
 * image in memory: that cost a page fault per page, a copy and an unmap
 * at every boot); false if there is none to read. Start-up only. */
static bool boot_fill(struct ramfs *fs)
{
	long size = boot_size();

	if (size <= 0)
		return size == 0;
	int err = cpio_fill_from(fs, boot_read, NULL, size);
	if (err)
		fprintf(stderr, "ramfs: boot image: %s\n", strerror(-err));
	return true;
}

/* Map the arena kept in the memory object state_fd (sized now if new)
 * and attach to it: 1 a tree was found, 0 an empty one made, -1. */
static int state_open(struct ramfs *fs, int state_fd)
{
	struct stat st;
	uint64_t limit = memory_limit();

	if (fstat(state_fd, &st) < 0)
		return -1;
	if (st.st_size == 0) {
		st.st_size = (limit / ARENA_PAGE + 1) * ARENA_PAGE;
		if (ftruncate(state_fd, st.st_size) < 0)
			return -1;
	}
	void *base = mmap(RAMFS_ARENA, st.st_size, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_FIXED_NOREPLACE, state_fd, 0);
	if (base == MAP_FAILED)
		return -1;
	memset(fs, 0, sizeof(*fs));
	fs->state_fd = state_fd;
	fs->limit = st.st_size - ARENA_PAGE;
	return ramfs_attach(fs, base, st.st_size / ARENA_PAGE);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static struct ramfs *lease_fs;

/* lux_lease_owner: leases on regular files. */
static int lease_owner(uint64_t obj, uint32_t *uid)
{
	struct node *n = node_find(lease_fs, obj);

	if (!n || !LUX_S_ISREG(n->mode))
		return -EINVAL;
	*uid = n->uid;
	return 0;
}

int ramfs_main(int state_fd)
{
	static struct ramfs fs;
	static struct lux_msg m;
	static char out[LUX_MSG_MAX];
	double start = now_s();
	int found = state_fd >= 0 ? state_open(&fs, state_fd)
				  : ramfs_init(&fs, memory_limit());

	if (found < 0) {
		fprintf(stderr, "ramfs: no memory\n");
		return 1;
	}
	if (found) {
		fprintf(stderr,
			"ramfs: found %llu objects, %llu KiB, in %.0f ms\n",
			(unsigned long long)fs.nodes,
			(unsigned long long)fs.used / 1024,
			(now_s() - start) * 1000);
	} else {
		fs.head->dev = getpid();
		/* Without a boot image this is a tmpfs: anyone may create. */
		if (!boot_fill(&fs))
			fs.root->mode = LUX_S_IFDIR | 01777;
		ramfs_order();
		fs.head->filled = 1;
	}
	fs.dev = fs.head->dev;
	lease_fs = &fs;
	lux_lease_owner = lease_owner;
	for (;;) {
		long n = lux_recv(LUX_SERVER_FD, &m);
		if (n < 0 && errno == EPIPE)
			return 0; /* no client end is left */
		if (n < 0) {
			if (errno == EINTR || errno == EPROTO)
				continue;
			fprintf(stderr, "ramfs: channel: %s\n",
				strerror(errno));
			return 1;
		}
		if (lux_lock_serve(LUX_SERVER_FD, &m.req, m.data, n))
			continue;
		struct lux_rep r = {0};
		long len = ramfs_serve(&fs, &m.req, m.data, &r, out);
		if (len >= 0 &&
		    lux_reply_full(LUX_SERVER_FD, &m.req, &r, out, len) < 0)
			fprintf(stderr, "ramfs: reply: %s\n", strerror(errno));
	}
}
