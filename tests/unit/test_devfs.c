/*
 * test_devfs.c - the /dev server (user/devfs/), the real program, driven
 * on the host (server_host.h): the test plays the kernel, sending
 * requests and checking the replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server_host.h"

#ifndef DEVFS_BIN
#error "DEVFS_BIN names the devfs program"
#endif

static int start(void **state)
{
	(void)state;
	return host_start(DEVFS_BIN);
}

static int stop(void **state)
{
	(void)state;
	return host_stop();
}

static uint64_t open_path(const char *path, int flags, uint32_t want_mode)
{
	struct reply *r = call_path(
	    (struct lux_req){.op = LUX_OPEN, .flags = flags, .uid = 1000},
	    path);

	assert_int_equal(r->rep.result, 0);
	assert_int_not_equal(r->rep.handle, 0);
	assert_int_equal(r->rep.mode, want_mode);
	return r->rep.handle;
}

static void devices_read_and_write(void **state)
{
	(void)state;
	uint64_t null = open_path("null", LUX_O_RDWR, LUX_S_IFCHR | 0666);
	uint64_t zero = open_path("zero", LUX_O_RDWR, LUX_S_IFCHR | 0666);
	uint64_t full = open_path("full", LUX_O_WRONLY, LUX_S_IFCHR | 0666);
	uint64_t rnd = open_path("urandom", LUX_O_RDONLY, LUX_S_IFCHR | 0666);
	struct reply *r;

	r = call((struct lux_req){.op = LUX_READ, .handle = null, .count = 10},
		 NULL, 0);
	assert_int_equal(r->rep.result, 0);
	assert_int_equal(r->n, 0);
	r = call((struct lux_req){.op = LUX_WRITE, .handle = null, .off = 5},
		 "hello", 5);
	assert_int_equal(r->rep.result, 5);
	assert_int_equal(r->rep.off, 10);
	r = call(
	    (struct lux_req){.op = LUX_READ, .handle = zero, .count = 70000},
	    NULL, 0);
	assert_int_equal(r->rep.result, LUX_MAX_DATA); /* one payload's worth */
	assert_int_equal(r->n, LUX_MAX_DATA);
	for (size_t i = 0; i < r->n; i++)
		if (r->data[i])
			fail_msg("/dev/zero byte %zu is %d", i, r->data[i]);
	r = call((struct lux_req){.op = LUX_WRITE, .handle = full}, "x", 1);
	assert_int_equal(r->rep.result, -ENOSPC);
	char a[64];
	r = call((struct lux_req){.op = LUX_READ, .handle = rnd, .count = 64},
		 NULL, 0);
	assert_int_equal(r->rep.result, 64);
	memcpy(a, r->data, 64);
	r = call((struct lux_req){.op = LUX_READ, .handle = rnd, .count = 64},
		 NULL, 0);
	assert_int_equal(r->rep.result, 64);
	assert_memory_not_equal(a, r->data, 64);
	r = call(
	    (struct lux_req){.op = LUX_IOCTL, .handle = null, .count = 0x5401},
	    NULL, 0);
	assert_int_equal(r->rep.result, -ENOTTY);
	/* CLOSE is one-way: the next reply answers the next request */
	struct lux_req close_req = {.op = LUX_CLOSE, .handle = null};
	host_send(&close_req, NULL, 0);
	r = call((struct lux_req){.op = LUX_READ, .handle = 999}, NULL, 0);
	assert_int_equal(r->rep.result, -EBADF);
}

static void stat_numbers(void **state)
{
	static const struct {
		const char *name;
		unsigned major, minor;
	} devs[] = {{"null", 1, 3},
		    {"zero", 1, 5},
		    {"full", 1, 7},
		    {"random", 1, 8},
		    {"urandom", 1, 9}};
	struct lux_stat st;
	(void)state;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		struct reply *r =
		    call_path((struct lux_req){.op = LUX_STAT, .uid = 1000},
			      devs[i].name);
		assert_int_equal(r->rep.result, 0);
		assert_int_equal(r->n, sizeof(st));
		memcpy(&st, r->data, sizeof(st));
		assert_int_equal(st.mode, LUX_S_IFCHR | 0666);
		assert_int_equal(major(st.rdev), devs[i].major);
		assert_int_equal(minor(st.rdev), devs[i].minor);
		assert_int_not_equal(st.time[1][0], 0);
	}
	struct reply *r =
	    call_path((struct lux_req){.op = LUX_STAT, .uid = 1000}, "");
	memcpy(&st, r->data, sizeof(st));
	assert_int_equal(st.mode, LUX_S_IFDIR | 0755);
	r = call_path((struct lux_req){.op = LUX_STAT}, "nope");
	assert_int_equal(r->rep.result, -ENOENT);
	r = call_path((struct lux_req){.op = LUX_STAT}, "null/x");
	assert_int_equal(r->rep.result, -ENOTDIR);
}

/* The names GETDENTS lists from position off on, in count bytes. */
static int list(uint64_t dir, uint64_t *off, size_t count, char names[][32])
{
	struct reply *r = call(
	    (struct lux_req){
		.op = LUX_GETDENTS, .handle = dir, .off = *off, .count = count},
	    NULL, 0);
	int n = 0;

	assert_true(r->rep.result >= 0);
	assert_int_equal(r->rep.result, r->n);
	for (size_t at = 0; at < r->n; n++) {
		uint16_t reclen;
		memcpy(&reclen, r->data + at + 16, 2);
		assert_true(reclen >= 20 && reclen % 8 == 0);
		assert_true(at + reclen <= r->n);
		snprintf(names[n], 32, "%s", r->data + at + 19);
		at += reclen;
	}
	*off = r->rep.off;
	return n;
}

static void mknod_and_list(void **state)
{
	char names[64][32];
	uint64_t off = 0;
	struct reply *r;
	(void)state;

	/* only root registers devices */
	r = call_path((struct lux_req){.op = LUX_MKNOD,
				       .uid = 1000,
				       .mode = LUX_S_IFCHR | 0620,
				       .off = makedev(5, 1)},
		      "console");
	assert_int_equal(r->rep.result, -EPERM);
	r = call_path((struct lux_req){.op = LUX_MKNOD,
				       .mode = LUX_S_IFCHR | 0620,
				       .off = makedev(5, 1)},
		      "console");
	assert_int_equal(r->rep.result, 0);
	r = call_path(
	    (struct lux_req){.op = LUX_MKNOD, .mode = LUX_S_IFCHR | 0620},
	    "console");
	assert_int_equal(r->rep.result, -EEXIST);
	/* listed and described here, opened through its own mount only */
	r = call_path((struct lux_req){.op = LUX_OPEN, .flags = LUX_O_RDWR},
		      "console");
	assert_int_equal(r->rep.result, -ENXIO);
	r = call_path((struct lux_req){.op = LUX_STAT}, "console");
	struct lux_stat st;
	memcpy(&st, r->data, sizeof(st));
	assert_int_equal(st.mode, LUX_S_IFCHR | 0620);
	assert_int_equal(st.rdev, makedev(5, 1));

	uint64_t dir =
	    open_path("", LUX_O_RDONLY | LUX_O_DIRECTORY, LUX_S_IFDIR | 0755);
	int n = list(dir, &off, 4096, names);
	const char *want[] = {".",      "..",      "null",   "zero", "full",
			      "random", "urandom", "shm",    "fd",   "stdin",
			      "stdout", "stderr",  "console"};
	assert_int_equal(n, 13);
	for (int i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	assert_int_equal(list(dir, &off, 4096, names), 0); /* the end */
	/* a small buffer takes the entries a few at a time, none lost */
	off = 0;
	int total = 0, got;
	while ((got = list(dir, &off, 56, names)) > 0)
		total += got;
	assert_int_equal(total, 13);
	r = call(
	    (struct lux_req){.op = LUX_GETDENTS, .handle = dir, .count = 8},
	    NULL, 0);
	assert_int_equal(r->rep.result, -EINVAL);
}

/* fd, stdin, stdout and stderr: links into /proc/self/fd, followed
 * (LUX_FOLLOW naming the link's bytes) by every call that follows one, or
 * on the way to a name inside; described and read as links themselves. */
static void links(void **state)
{
	struct reply *r;
	struct lux_stat st;
	(void)state;

	r = call_path_any((struct lux_req){.op = LUX_OPEN}, "fd/3");
	assert_int_equal(r->rep.op, LUX_FOLLOW);
	assert_int_equal(r->rep.off, 2);
	assert_int_equal(r->n, 13);
	assert_memory_equal(r->data, "/proc/self/fd", 13);
	r = call_path_any(
	    (struct lux_req){.op = LUX_OPEN, .flags = LUX_O_WRONLY}, "stderr");
	assert_int_equal(r->rep.op, LUX_FOLLOW);
	assert_int_equal(r->rep.off, 6);
	assert_memory_equal(r->data, "/proc/self/fd/2", 15);
	r = call_path((struct lux_req){.op = LUX_OPEN, .flags = LUX_O_NOFOLLOW},
		      "stdin");
	assert_int_equal(r->rep.op, LUX_REPLY);
	assert_int_equal(r->rep.result, -ELOOP);
	r = call_path((struct lux_req){.op = LUX_READLINK}, "stdout");
	assert_int_equal(r->rep.result, 15);
	assert_memory_equal(r->data, "/proc/self/fd/1", 15);
	r = call_path(
	    (struct lux_req){.op = LUX_STAT, .flags = LUX_AT_SYMLINK_NOFOLLOW},
	    "fd");
	assert_int_equal(r->rep.result, 0);
	memcpy(&st, r->data, sizeof(st));
	assert_int_equal(st.mode, LUX_S_IFLNK | 0777);
	assert_int_equal(st.size, 13);
	r = call_path_any((struct lux_req){.op = LUX_STAT}, "fd");
	assert_int_equal(r->rep.op, LUX_FOLLOW);
	r = call_path((struct lux_req){.op = LUX_UNLINK}, "stdin");
	assert_int_equal(r->rep.result, -EPERM);
	r = call_path((struct lux_req){.op = LUX_STAT}, "null/x");
	assert_int_equal(r->rep.result, -ENOTDIR);
}

static void permissions_and_errors(void **state)
{
	struct reply *r;
	(void)state;

	/* what a shell's "> /dev/null" sends */
	r = call_path(
	    (struct lux_req){.op = LUX_OPEN,
			     .uid = 1000,
			     .flags = LUX_O_WRONLY | LUX_O_CREAT | LUX_O_TRUNC,
			     .mode = 0644},
	    "null");
	assert_int_equal(r->rep.result, 0);
	r = call_path((struct lux_req){.op = LUX_OPEN,
				       .uid = 1000,
				       .flags = LUX_O_WRONLY | LUX_O_CREAT,
				       .mode = 0644},
		      "newfile");
	assert_int_equal(r->rep.result, -EACCES);
	r = call_path(
	    (struct lux_req){.op = LUX_OPEN, .uid = 1000, .flags = LUX_O_RDWR},
	    "");
	assert_int_equal(r->rep.result, -EISDIR);
	r = call_path((struct lux_req){.op = LUX_OPEN,
				       .uid = 1000,
				       .flags = LUX_O_RDONLY | LUX_O_EXEC},
		      "null");
	assert_int_equal(r->rep.result, -EACCES);
	r = call_path(
	    (struct lux_req){.op = LUX_ACCESS, .uid = 1000, .mode = LUX_W_OK},
	    "zero");
	assert_int_equal(r->rep.result, 0);
	r = call_path(
	    (struct lux_req){.op = LUX_ACCESS, .uid = 1000, .mode = LUX_W_OK},
	    "");
	assert_int_equal(r->rep.result, -EACCES);
	/* group bits for a supplementary group, as for the effective one */
	r = call_path((struct lux_req){.op = LUX_MKNOD,
				       .gid = 7,
				       .mode = LUX_S_IFCHR | 0060,
				       .off = makedev(4, 64)},
		      "grpdev");
	assert_int_equal(r->rep.result, 0);
	struct lux_req q = {.op = LUX_ACCESS, .uid = 1000, .gid = 1000};
	q.mode = LUX_R_OK | LUX_W_OK;
	assert_int_equal(call_path(q, "grpdev")->rep.result, -EACCES);
	q.ngroups = 2, q.groups[0] = 3, q.groups[1] = 7;
	assert_int_equal(call_path(q, "grpdev")->rep.result, 0);
	r = call_path((struct lux_req){.op = LUX_UNLINK, .uid = 0}, "null");
	assert_int_equal(r->rep.result, -EPERM);
	r = call_path((struct lux_req){.op = LUX_STATFS}, "");
	struct lux_statfs sf;
	assert_int_equal(r->n, sizeof(sf));
	memcpy(&sf, r->data, sizeof(sf));
	assert_int_equal(sf.type, 0x01021994);
}

static void survives_garbage(void **state)
{
	static const char *const names[] = {"",        "null",   "zero",
					    "full",    "random", "urandom",
					    "console", "fd/1",   "stdin"};
	(void)state;

	host_fuzz(20000, 1, names, 9);
	struct reply *r = call_path((struct lux_req){.op = LUX_STAT}, "null");
	assert_int_equal(r->rep.result, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(devices_read_and_write),
	    cmocka_unit_test(stat_numbers),
	    cmocka_unit_test(mknod_and_list),
	    cmocka_unit_test(links),
	    cmocka_unit_test(permissions_and_errors),
	    cmocka_unit_test(survives_garbage),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start, stop);
}
