/*
 * test_ramfs.c - the ramfs server (user/ramfs/) driven request by request
 * as the kernel would: files, directories, links, permissions for root and
 * for ordinary users, rename and unlink rules, sparse files, symbolic-link
 * FOLLOW replies, stable getdents positions, running out of memory, and
 * the boot fill from a cpio newc archive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fs.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Protocol flag values (Linux x86_64). */
#define NOW  ((1L << 30) - 1)
#define OMIT ((1L << 30) - 2)

static struct ramfs fs;
static struct {
	struct lux_req req;
	char data[LUX_MSG_MAX];
} msg;
static struct lux_rep rep;
static char out[LUX_MSG_MAX];
static long outlen;
static uint32_t cur_uid, cur_gid;

static int setup(void **state)
{
	(void)state;
	cur_uid = cur_gid = 0;
	return ramfs_init(&fs, 64 << 20);
}

static int teardown(void **state)
{
	(void)state;
	ramfs_destroy(&fs);
	if (fs.used)
		fprintf(stderr, "teardown: %llu bytes left\n",
			(unsigned long long)fs.used);
	return fs.used == 0 ? 0 : -1;
}

static void as(uint32_t uid, uint32_t gid)
{
	cur_uid = uid;
	cur_gid = gid;
}

/* A request op naming paths a and b (either may be NULL), from the
 * current user, with a payload of n more bytes of data when data. */
static struct lux_req *req_data(uint32_t op, const char *a, const char *b,
				const void *data, size_t n)
{
	size_t len = 0;

	memset(&msg.req, 0, sizeof(msg.req));
	if (a) {
		strcpy(msg.data, a);
		len = strlen(a) + 1;
	}
	if (b) {
		strcpy(msg.data + len, b);
		len += strlen(b) + 1;
	}
	if (data) {
		memcpy(msg.data + len, data, n);
		len += n;
	}
	msg.data[len] = 0;
	msg.req.op = op;
	msg.req.len = sizeof(msg.req) + len;
	msg.req.id = 42;
	msg.req.uid = cur_uid;
	msg.req.gid = cur_gid;
	return &msg.req;
}

static struct lux_req *req(uint32_t op, const char *a, const char *b)
{
	return req_data(op, a, b, NULL, 0);
}

/* Serve the request built: its result (0 for a FOLLOW). */
static int64_t run(void)
{
	memset(&rep, 0, sizeof(rep));
	outlen = ramfs_serve(&fs, &msg.req, msg.data, &rep, out);
	return rep.result;
}

/* Run a request that must be answered with a plain reply. */
static int64_t run_reply(void)
{
	int64_t res = run();
	assert_int_equal(rep.op, LUX_REPLY);
	return res;
}

static int64_t do_open(const char *path, uint32_t flags, uint32_t mode)
{
	struct lux_req *q = req(LUX_OPEN, path, NULL);
	q->flags = flags;
	q->mode = mode;
	int64_t res = run_reply();
	if (res < 0)
		return res;
	assert_true(rep.handle != 0);
	return rep.handle;
}

static void do_close(uint64_t h)
{
	req(LUX_CLOSE, NULL, NULL)->handle = h;
	assert_int_equal(ramfs_serve(&fs, &msg.req, msg.data, &rep, out), -1);
}

static int64_t do_write(uint64_t h, uint64_t off, const void *buf, size_t n)
{
	struct lux_req *q = req_data(LUX_WRITE, NULL, NULL, buf, n);
	q->handle = h;
	q->off = off;
	return run_reply();
}

static int64_t do_read(uint64_t h, uint64_t off, uint64_t count)
{
	struct lux_req *q = req(LUX_READ, NULL, NULL);
	q->handle = h;
	q->off = off;
	q->count = count;
	int64_t res = run_reply();
	if (res >= 0)
		assert_int_equal(outlen, res);
	return res;
}

static int64_t do_stat(const char *path, uint32_t flags, struct lux_stat *st)
{
	req(LUX_STAT, path, NULL)->flags = flags;
	int64_t res = run_reply();
	if (res == 0) {
		assert_int_equal(outlen, sizeof(*st));
		memcpy(st, out, sizeof(*st));
	}
	return res;
}

static int64_t do_stat_handle(uint64_t h, struct lux_stat *st)
{
	req(LUX_STAT, NULL, NULL)->handle = h;
	int64_t res = run_reply();
	if (res == 0)
		memcpy(st, out, sizeof(*st));
	return res;
}

static int64_t do_mkdir(const char *path, uint32_t mode)
{
	req(LUX_MKDIR, path, NULL)->mode = mode;
	return run_reply();
}

static int64_t do_unlink(const char *path, uint32_t flags)
{
	req(LUX_UNLINK, path, NULL)->flags = flags;
	return run_reply();
}

static int64_t do_rename(const char *a, const char *b, uint32_t flags)
{
	req(LUX_RENAME, a, b)->flags = flags;
	return run_reply();
}

static int64_t do_link(const char *a, const char *b)
{
	req(LUX_LINK, a, b);
	return run_reply();
}

static int64_t do_symlink(const char *path, const char *to)
{
	req(LUX_SYMLINK, path, to);
	return run_reply();
}

static int64_t do_chmod(const char *path, uint32_t mode)
{
	req(LUX_CHMOD, path, NULL)->mode = mode;
	return run_reply();
}

static int64_t do_chown(const char *path, uint32_t uid, uint32_t gid)
{
	struct lux_req *q = req(LUX_CHOWN, path, NULL);
	q->off = uid;
	q->count = gid;
	return run_reply();
}

static int64_t do_truncate(const char *path, uint64_t len)
{
	req(LUX_TRUNCATE, path, NULL)->off = len;
	return run_reply();
}

static int64_t do_access(const char *path, uint32_t mode)
{
	req(LUX_ACCESS, path, NULL)->mode = mode;
	return run_reply();
}

static int64_t do_utimens(const char *path, int64_t as, int64_t ans, int64_t ms,
			  int64_t mns)
{
	struct lux_req *q = req(LUX_UTIMENS, path, NULL);
	q->time[0][0] = as;
	q->time[0][1] = ans;
	q->time[1][0] = ms;
	q->time[1][1] = mns;
	return run_reply();
}

/* Create path with data (as the current user, mode 0644). */
static void make_file(const char *path, const char *data)
{
	int64_t h =
	    do_open(path, LUX_O_WRONLY | LUX_O_CREAT | LUX_O_TRUNC, 0644);
	assert_true(h > 0);
	assert_int_equal(do_write(h, 0, data, strlen(data)), strlen(data));
	do_close(h);
}

/* The whole content of path (at most 4 KiB), NUL-terminated in out. */
static const char *file_text(const char *path)
{
	static char text[4097];
	int64_t h = do_open(path, LUX_O_RDONLY, 0);
	assert_true(h > 0);
	int64_t n = do_read(h, 0, 4096);
	assert_true(n >= 0);
	memcpy(text, out, n);
	text[n] = 0;
	do_close(h);
	return text;
}

static void test_create_write_read(void **state)
{
	struct lux_stat st;
	(void)state;

	int64_t h = do_open("f", LUX_O_RDWR | LUX_O_CREAT, 0640);
	assert_true(h > 0);
	assert_int_equal(rep.mode, LUX_S_IFREG | 0640);
	assert_true(rep.events & 1);
	assert_int_equal(do_write(h, 0, "hello world", 11), 11);
	assert_int_equal(rep.off, 11);
	assert_int_equal(do_read(h, 6, 100), 5);
	assert_memory_equal(out, "world", 5);
	assert_int_equal(do_read(h, 11, 100), 0);
	assert_int_equal(do_read(h, 1000, 100), 0);
	do_close(h);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_int_equal(st.size, 11);
	assert_int_equal(st.mode, LUX_S_IFREG | 0640);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(st.blocks, 8);
	assert_int_equal(st.blksize, 4096);
	/* A write across a block boundary. */
	char big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = i * 7;
	h = do_open("f", LUX_O_RDWR, 0);
	assert_int_equal(do_write(h, 3000, big, sizeof(big)), sizeof(big));
	assert_int_equal(do_read(h, 3000, sizeof(big)), sizeof(big));
	assert_memory_equal(out, big, sizeof(big));
	do_close(h);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_int_equal(st.size, 13000);
	assert_int_equal(st.blocks, 4 * 8);
	assert_int_equal(do_stat("missing", 0, &st), -ENOENT);
}

static void test_open_flags(void **state)
{
	(void)state;
	make_file("f", "0123456789");
	assert_int_equal(do_mkdir("d", 0755), 0);
	assert_int_equal(
	    do_open("f", LUX_O_RDWR | LUX_O_CREAT | LUX_O_EXCL, 0644), -EEXIST);
	assert_int_equal(do_open("nope", LUX_O_RDONLY, 0), -ENOENT);
	assert_int_equal(do_open("f", LUX_O_RDONLY | LUX_O_DIRECTORY, 0),
			 -ENOTDIR);
	assert_int_equal(do_open("f", LUX_O_PATH | LUX_O_DIRECTORY, 0),
			 -ENOTDIR);
	assert_int_equal(do_open("d", LUX_O_WRONLY, 0), -EISDIR);
	assert_int_equal(do_open("d", LUX_O_RDONLY | LUX_O_CREAT, 0644),
			 -EISDIR);
	assert_true(do_open("d", LUX_O_RDONLY | LUX_O_DIRECTORY, 0) > 0);
	do_close(rep.handle);
	assert_int_equal(do_open("f/x", LUX_O_RDONLY, 0), -ENOTDIR);
	assert_int_equal(do_open("new/", LUX_O_RDWR | LUX_O_CREAT, 0644),
			 -EISDIR);
	assert_int_equal(do_open("f/", LUX_O_RDONLY, 0), -ENOTDIR);

	/* LUX_O_APPEND writes at the end whatever the position says. */
	int64_t h = do_open("f", LUX_O_WRONLY | LUX_O_APPEND, 0);
	struct lux_req *q = req_data(LUX_WRITE, NULL, NULL, "ab", 2);
	q->handle = h;
	q->off = 0;
	q->flags = LUX_O_APPEND;
	assert_int_equal(run_reply(), 2);
	assert_int_equal(rep.off, 12);
	do_close(h);
	assert_string_equal(file_text("f"), "0123456789ab");

	/* LUX_O_TRUNC empties it. */
	h = do_open("f", LUX_O_WRONLY | LUX_O_TRUNC, 0);
	assert_true(h > 0);
	do_close(h);
	assert_string_equal(file_text("f"), "");

	/* Reads and writes of a directory, of an unknown handle. */
	h = do_open("d", LUX_O_RDONLY, 0);
	assert_int_equal(do_read(h, 0, 10), -EISDIR);
	do_close(h);
	assert_int_equal(do_read(12345, 0, 10), -EBADF);
	assert_int_equal(do_write(12345, 0, "x", 1), -EBADF);
	req(LUX_IOCTL, NULL, NULL)->handle = 1;
	assert_int_equal(run_reply(), -ENOTTY);
	req(LUX_FSYNC, NULL, NULL)->handle = 1;
	assert_int_equal(run_reply(), 0);
	/* CANCEL and an unknown CLOSE take no reply and change nothing. */
	req(LUX_CANCEL, NULL, NULL);
	assert_int_equal(ramfs_serve(&fs, &msg.req, msg.data, &rep, out), -1);
	do_close(999999);
	req(200, "f", NULL);
	assert_int_equal(run_reply(), -ENOSYS);
}

static void test_exec_permission(void **state)
{
	(void)state;
	make_file("prog", "#!");
	assert_int_equal(do_chmod("prog", 0644), 0);
	assert_int_equal(do_open("prog", LUX_O_RDONLY | LUX_O_EXEC, 0),
			 -EACCES);
	assert_int_equal(do_chmod("prog", 0744), 0);
	int64_t h = do_open("prog", LUX_O_RDONLY | LUX_O_EXEC, 0);
	assert_true(h > 0);
	do_close(h);
	as(1000, 1000);
	assert_int_equal(do_open("prog", LUX_O_RDONLY | LUX_O_EXEC, 0),
			 -EACCES);
	as(0, 0);
	assert_int_equal(do_chmod("prog", 0755), 0);
	as(1000, 1000);
	h = do_open("prog", LUX_O_RDONLY | LUX_O_EXEC, 0);
	assert_true(h > 0);
	do_close(h);
	as(0, 0);
	assert_int_equal(do_open("", LUX_O_RDONLY | LUX_O_EXEC, 0), -EACCES);
	/* Root passes X on a file only when some x bit is set. */
	assert_int_equal(do_chmod("prog", 0600), 0);
	assert_int_equal(do_access("prog", 1), -EACCES);
	assert_int_equal(do_access("prog", 6), 0);
	assert_int_equal(do_access("prog", 8), -EINVAL);
}

static void test_permissions_non_root(void **state)
{
	struct lux_stat st;
	(void)state;

	make_file("rootfile", "secret");
	assert_int_equal(do_chmod("rootfile", 0600), 0);
	assert_int_equal(do_mkdir("private", 0700), 0);
	make_file("private/inner", "x");
	assert_int_equal(do_mkdir("home", 0755), 0);
	assert_int_equal(do_mkdir("home/u", 0755), 0);
	assert_int_equal(do_chown("home/u", 1000, 1000), 0);
	make_file("shared", "group data");
	assert_int_equal(do_chown("shared", 0, 50), 0);
	assert_int_equal(do_chmod("shared", 0660), 0);

	as(1000, 1000);
	/* Creating in a directory the user cannot write. */
	assert_int_equal(do_open("new", LUX_O_WRONLY | LUX_O_CREAT, 0644),
			 -EACCES);
	assert_int_equal(do_mkdir("newdir", 0755), -EACCES);
	assert_int_equal(do_unlink("rootfile", 0), -EACCES);
	assert_int_equal(do_rename("rootfile", "home/u/stolen", 0), -EACCES);
	/* Reading or writing without the bits. */
	assert_int_equal(do_open("rootfile", LUX_O_RDONLY, 0), -EACCES);
	assert_int_equal(do_open("shared", LUX_O_WRONLY, 0), -EACCES);
	assert_int_equal(do_truncate("rootfile", 0), -EACCES);
	assert_int_equal(do_access("rootfile", 4), -EACCES);
	assert_int_equal(do_access("rootfile", 0), 0);
	/* Searching a directory without x. */
	assert_int_equal(do_stat("private/inner", 0, &st), -EACCES);
	assert_int_equal(do_open("private", LUX_O_RDONLY, 0), -EACCES);
	/* The group's bits apply to a group member. */
	as(1001, 50);
	int64_t h = do_open("shared", LUX_O_RDWR, 0);
	assert_true(h > 0);
	do_close(h);
	/* In the user's own directory: create, chmod, but no give-away. */
	as(1000, 1000);
	make_file("home/u/mine", "m");
	assert_int_equal(do_stat("home/u/mine", 0, &st), 0);
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.gid, 1000);
	assert_int_equal(do_chmod("home/u/mine", 0600), 0);
	assert_int_equal(do_chmod("rootfile", 0666), -EPERM);
	assert_int_equal(do_chown("home/u/mine", 0, -1), -EPERM);
	assert_int_equal(do_chown("home/u/mine", -1, 50), -EPERM);
	assert_int_equal(do_chown("home/u/mine", -1, 1000), 0);
	assert_int_equal(do_chown("home/u/mine", 1000, -1), 0);
	assert_int_equal(do_chown("rootfile", -1, 1000), -EPERM);
	as(1001, 1001);
	assert_int_equal(do_open("home/u/mine", LUX_O_RDONLY, 0), -EACCES);
	assert_int_equal(do_unlink("home/u/mine", 0), -EACCES);
	as(0, 0);
	/* Root reads anything, gives files away. */
	h = do_open("home/u/mine", LUX_O_RDONLY, 0);
	assert_true(h > 0);
	do_close(h);
	assert_int_equal(do_chown("home/u/mine", 1001, 1001), 0);
	assert_int_equal(do_stat("home/u/mine", 0, &st), 0);
	assert_int_equal(st.uid, 1001);
}

static void test_setid_bits(void **state)
{
	struct lux_stat st;
	(void)state;

	assert_int_equal(do_mkdir("g", 02775), 0);
	assert_int_equal(do_chown("g", 0, 77), 0);
	as(1000, 1000);
	assert_int_equal(do_chmod("g", 02777), -EPERM);
	as(0, 0);
	assert_int_equal(do_chmod("g", 02777), 0);
	as(1000, 1000);
	/* A setgid directory hands its group down. */
	make_file("g/f", "x");
	assert_int_equal(do_mkdir("g/sub", 0755), 0);
	assert_int_equal(do_stat("g/f", 0, &st), 0);
	assert_int_equal(st.gid, 77);
	assert_int_equal(do_stat("g/sub", 0, &st), 0);
	assert_int_equal(st.gid, 77);
	assert_true(st.mode & LUX_S_ISGID);
	/* A write by a non-root user drops set-user-ID. */
	assert_int_equal(do_chmod("g/f", 04755), 0);
	int64_t h = do_open("g/f", LUX_O_WRONLY, 0);
	assert_int_equal(do_write(h, 0, "y", 1), 1);
	do_close(h);
	assert_int_equal(do_stat("g/f", 0, &st), 0);
	assert_int_equal(st.mode & 07777, 0755);
	/* So does a change of owner. */
	as(0, 0);
	assert_int_equal(do_chmod("g/f", 06755), 0);
	assert_int_equal(do_chown("g/f", 5, 5), 0);
	assert_int_equal(do_stat("g/f", 0, &st), 0);
	assert_int_equal(st.mode & 07777, 0755);
}

static void test_sticky_dir(void **state)
{
	(void)state;
	assert_int_equal(do_mkdir("tmp", 01777), 0);
	as(1000, 1000);
	make_file("tmp/a", "a");
	as(1001, 1001);
	make_file("tmp/b", "b");
	assert_int_equal(do_unlink("tmp/a", 0), -EPERM);
	assert_int_equal(do_rename("tmp/a", "tmp/c", 0), -EPERM);
	assert_int_equal(do_rename("tmp/b", "tmp/a", 0), -EPERM);
	assert_int_equal(do_unlink("tmp/b", 0), 0);
	as(1000, 1000);
	assert_int_equal(do_rename("tmp/a", "tmp/c", 0), 0);
	assert_int_equal(do_unlink("tmp/c", 0), 0);
}

static void test_mkdir_rmdir(void **state)
{
	struct lux_stat st;
	char name[300];
	(void)state;

	assert_int_equal(do_mkdir("a", 0755), 0);
	assert_int_equal(do_mkdir("a/b", 0700), 0);
	assert_int_equal(do_mkdir("a", 0755), -EEXIST);
	assert_int_equal(do_mkdir("x/y", 0755), -ENOENT);
	assert_int_equal(do_stat("a", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFDIR | 0755);
	assert_int_equal(st.nlink, 3);
	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.nlink, 3);
	assert_int_equal(st.ino, 1);
	make_file("a/f", "x");
	assert_int_equal(do_mkdir("a/f", 0755), -EEXIST);
	assert_int_equal(do_mkdir("a/f/g", 0755), -ENOTDIR);
	assert_int_equal(do_unlink("a", LUX_AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(do_unlink("a/b", 0), -EISDIR);
	assert_int_equal(do_unlink("a/f", LUX_AT_REMOVEDIR), -ENOTDIR);
	assert_int_equal(do_unlink("", LUX_AT_REMOVEDIR), -EBUSY);
	assert_int_equal(do_unlink("a/b", LUX_AT_REMOVEDIR), 0);
	assert_int_equal(do_unlink("a/f", 0), 0);
	assert_int_equal(do_unlink("a/f", 0), -ENOENT);
	assert_int_equal(do_stat("a", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(do_unlink("a", LUX_AT_REMOVEDIR), 0);
	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	/* Names: 255 bytes is the most. */
	memset(name, 'n', 255);
	name[255] = 0;
	assert_int_equal(do_mkdir(name, 0755), 0);
	name[255] = 'n';
	name[256] = 0;
	assert_int_equal(do_mkdir(name, 0755), -ENAMETOOLONG);
	assert_int_equal(do_open(name, LUX_O_RDONLY, 0), -ENAMETOOLONG);
}

static void test_rename(void **state)
{
	struct lux_stat st;
	(void)state;

	make_file("a", "old a");
	make_file("b", "old b");
	assert_int_equal(do_stat("a", 0, &st), 0);
	uint64_t ino_a = st.ino;
	/* Over an existing file: b's old object goes, even while open. */
	int64_t hb = do_open("b", LUX_O_RDONLY, 0);
	assert_int_equal(do_rename("a", "b", 0), 0);
	assert_int_equal(do_stat("a", 0, &st), -ENOENT);
	assert_int_equal(do_stat("b", 0, &st), 0);
	assert_int_equal(st.ino, ino_a);
	assert_string_equal(file_text("b"), "old a");
	assert_int_equal(do_read(hb, 0, 100), 5);
	assert_memory_equal(out, "old b", 5);
	do_close(hb);
	/* Same object: nothing happens. */
	assert_int_equal(do_link("b", "b2"), 0);
	assert_int_equal(do_rename("b", "b2", 0), 0);
	assert_int_equal(do_stat("b", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	/* Directories. */
	assert_int_equal(do_mkdir("d", 0755), 0);
	assert_int_equal(do_mkdir("d/sub", 0755), 0);
	assert_int_equal(do_mkdir("e", 0755), 0);
	assert_int_equal(do_mkdir("full", 0755), 0);
	make_file("full/x", "x");
	assert_int_equal(do_rename("d", "d/sub/in", 0), -EINVAL);
	assert_int_equal(do_rename("d", "d/in", 0), -EINVAL);
	assert_int_equal(do_rename("d", "full", 0), -ENOTEMPTY);
	assert_int_equal(do_rename("d", "b", 0), -ENOTDIR);
	assert_int_equal(do_rename("b", "e", 0), -EISDIR);
	assert_int_equal(do_rename("nothing", "z", 0), -ENOENT);
	assert_int_equal(do_rename("", "z", 0), -EBUSY);
	assert_int_equal(do_rename("b", "e", 1), -EEXIST);
	assert_int_equal(do_rename("b", "e", 8), -EINVAL);
	assert_int_equal(do_rename("b", "nb/", 0), -ENOTDIR);
	assert_int_equal(do_symlink("sl/", "b"), -ENOENT);
	assert_int_equal(do_link("b", "nl/"), -ENOENT);
	assert_int_equal(do_mkdir("nd/", 0755), 0);
	assert_int_equal(do_rename("nd/", "nd2/", 0), 0);
	assert_int_equal(do_unlink("nd2/", LUX_AT_REMOVEDIR), 0);
	/* Over an empty directory. */
	assert_int_equal(do_rename("d", "e", 0), 0);
	assert_int_equal(do_stat("e/sub", 0, &st), 0);
	assert_int_equal(do_stat("d", 0, &st), -ENOENT);
	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.nlink, 4); /* ".", "..", e, full */
	/* Into another directory: link counts follow. */
	assert_int_equal(do_rename("e", "full/e", 0), 0);
	assert_int_equal(do_stat("full", 0, &st), 0);
	assert_int_equal(st.nlink, 3);
	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.nlink, 3);
	assert_int_equal(do_stat("full/e/sub", 0, &st), 0);
	/* LUX_RENAME_NOREPLACE to a free name works. */
	assert_int_equal(do_rename("b2", "c", 1), 0);
	assert_int_equal(do_stat("c", 0, &st), 0);
	/* LUX_RENAME_EXCHANGE swaps a file and a directory. */
	assert_int_equal(do_rename("c", "full", 2), 0);
	assert_int_equal(do_stat("c/x", 0, &st), 0);
	assert_int_equal(do_stat("full", 0, &st), 0);
	assert_true(LUX_S_ISREG(st.mode));
	assert_int_equal(do_rename("c", "none", 2), -ENOENT);
	/* Moving a directory needs write permission on it for a user. */
	assert_int_equal(do_mkdir("pub", 0777), 0);
	assert_int_equal(do_mkdir("pub/ro", 0555), 0);
	assert_int_equal(do_mkdir("pub/to", 0777), 0);
	as(1000, 1000);
	assert_int_equal(do_mkdir("pub/mine", 0555), 0);
	assert_int_equal(do_rename("pub/mine", "pub/to/mine", 0), -EACCES);
	assert_int_equal(do_rename("pub/mine", "pub/mine2", 0), 0);
}

static void test_unlink_while_open(void **state)
{
	struct lux_stat st;
	(void)state;

	uint64_t before = fs.used;
	make_file("f", "still here");
	int64_t h = do_open("f", LUX_O_RDWR, 0);
	int64_t h2 = do_open("f", LUX_O_RDONLY, 0);
	assert_int_equal(h, h2); /* the handle is the object */
	assert_int_equal(do_unlink("f", 0), 0);
	assert_int_equal(do_stat("f", 0, &st), -ENOENT);
	assert_int_equal(do_stat_handle(h, &st), 0);
	assert_int_equal(st.nlink, 0);
	assert_int_equal(do_read(h, 0, 100), 10);
	assert_memory_equal(out, "still here", 10);
	assert_int_equal(do_write(h, 10, "!", 1), 1);
	/* One CLOSE per OPEN: the object lives until the last. */
	do_close(h);
	assert_int_equal(do_read(h, 0, 100), 11);
	do_close(h2);
	assert_int_equal(do_read(h, 0, 100), -EBADF);
	assert_int_equal(fs.used, before);
	/* A directory removed while open lists nothing. */
	assert_int_equal(do_mkdir("d", 0755), 0);
	h = do_open("d", LUX_O_RDONLY | LUX_O_DIRECTORY, 0);
	assert_int_equal(do_unlink("d", LUX_AT_REMOVEDIR), 0);
	struct lux_req *q = req(LUX_GETDENTS, NULL, NULL);
	q->handle = h;
	q->count = 4096;
	assert_int_equal(run_reply(), -ENOENT);
	do_close(h);
	assert_int_equal(fs.used, before);
}

/* O_TMPFILE (tmpfile.c): a file with no link, named by its hidden name
 * while open (never listed, never removed by it), linked once unless
 * O_EXCL, freed at its last close. */
static void test_tmpfile(void **state)
{
	struct lux_stat st;
	(void)state;

	uint64_t before = fs.used;
	assert_int_equal(do_mkdir("d", 0755), 0);
	uint64_t with_dir = fs.used;
	assert_int_equal(do_open("d/#1", LUX_O_RDWR | LUX_O_TMPFILE, 0600),
			 -EINVAL);
	assert_int_equal(
	    do_open("d/#00000000000000ab", LUX_O_RDONLY | LUX_O_TMPFILE, 0600),
	    -EINVAL);
	int64_t h =
	    do_open("d/#00000000000000ab", LUX_O_RDWR | LUX_O_TMPFILE, 0600);
	assert_true(h > 0);
	assert_int_equal(do_stat_handle(h, &st), 0);
	assert_int_equal(st.nlink, 0);
	assert_int_equal(do_write(h, 0, "data", 4), 4);
	/* the hidden name: in any directory, for the calls on the object */
	assert_int_equal(do_stat("#00000000000000ab", 0, &st), 0);
	assert_int_equal(do_unlink("d/#00000000000000ab", 0), -ENOENT);
	assert_int_equal(do_rename("d/#00000000000000ab", "x", 0), -ENOENT);
	assert_int_equal(do_link("d/#00000000000000ab", "d/named"), 0);
	assert_int_equal(do_stat_handle(h, &st), 0);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(do_unlink("d/named", 0), 0);
	assert_int_equal(do_link("d/#00000000000000ab", "d/again"), -ENOENT);
	do_close(h);
	assert_int_equal(do_stat("#00000000000000ab", 0, &st), -ENOENT);
	assert_int_equal(fs.used, with_dir);
	/* O_EXCL: never linkable */
	h = do_open("#00000000000000ac",
		    LUX_O_WRONLY | LUX_O_TMPFILE | LUX_O_EXCL, 0600);
	assert_true(h > 0);
	assert_int_equal(do_link("#00000000000000ac", "named"), -ENOENT);
	do_close(h);
	assert_int_equal(do_unlink("d", LUX_AT_REMOVEDIR), 0);
	assert_int_equal(fs.used, before);
}

static void test_hard_links(void **state)
{
	struct lux_stat st;
	(void)state;

	make_file("f", "shared");
	assert_int_equal(do_mkdir("d", 0755), 0);
	assert_int_equal(do_link("f", "d/g"), 0);
	assert_int_equal(do_stat("d/g", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(do_link("f", "d/g"), -EEXIST);
	assert_int_equal(do_link("d", "d2"), -EPERM);
	assert_int_equal(do_link("missing", "m"), -ENOENT);
	assert_int_equal(do_unlink("f", 0), 0);
	assert_string_equal(file_text("d/g"), "shared");
	assert_int_equal(do_stat("d/g", 0, &st), 0);
	assert_int_equal(st.nlink, 1);
	as(1000, 1000);
	/* protected hard links: another's file we may not write, before the
	 * directory's bits (as Linux's order) */
	assert_int_equal(do_link("d/g", "h"), -EPERM);
}

static void test_sparse_files(void **state)
{
	struct lux_stat st;
	(void)state;

	uint64_t before = fs.used;
	int64_t h = do_open("s", LUX_O_RDWR | LUX_O_CREAT, 0644);
	/* One byte at 1 GiB: one block, the rest reads as zeros. */
	assert_int_equal(do_write(h, 1ULL << 30, "z", 1), 1);
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.size, (1ULL << 30) + 1);
	assert_int_equal(st.blocks, 8);
	assert_true(fs.used - before < 64 * 1024);
	assert_int_equal(do_read(h, 12345, 65536), 65536);
	for (int i = 0; i < 65536; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(do_read(h, (1ULL << 30) - 2, 10), 3);
	assert_memory_equal(out, "\0\0z", 3);
	/* Shrinking frees blocks and zeroes the cut tail; growing again
	 * shows zeros, not the old bytes. */
	assert_int_equal(do_write(h, 0, "abcdefgh", 8), 8);
	assert_int_equal(do_truncate("s", 3), 0);
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.size, 3);
	assert_int_equal(st.blocks, 8);
	assert_int_equal(do_truncate("s", 8), 0);
	assert_int_equal(do_read(h, 0, 100), 8);
	assert_memory_equal(out, "abc\0\0\0\0\0", 8);
	/* Huge and empty: no memory. */
	assert_int_equal(do_truncate("s", 1ULL << 44), 0);
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.size, 1ULL << 44);
	assert_int_equal(do_write(h, (1ULL << 44) - 1, "e", 1), 1);
	assert_int_equal(do_read(h, (1ULL << 44) - 4096, 4096), 4096);
	assert_int_equal(out[4095], 'e');
	assert_int_equal(out[0], 0);
	assert_int_equal(do_truncate("s", 0), 0);
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(do_truncate("s", (uint64_t)-5), -EINVAL);
	assert_int_equal(do_truncate("", 0), -EISDIR);
	do_close(h);
	assert_int_equal(do_unlink("s", 0), 0);
	assert_int_equal(fs.used, before);
}

static void test_symlinks(void **state)
{
	struct lux_stat st;
	(void)state;

	assert_int_equal(do_mkdir("a", 0755), 0);
	assert_int_equal(do_symlink("a/l", "/target/dir"), 0);
	assert_int_equal(do_symlink("a/l", "x"), -EEXIST);
	assert_int_equal(do_symlink("a/e", ""), -ENOENT);
	/* A link inside the path: off covers "a/l", the payload is the
	 * target. */
	req(LUX_OPEN, "a/l/f", NULL);
	assert_int_equal(run(), 0);
	assert_int_equal(rep.op, LUX_FOLLOW);
	assert_int_equal(rep.off, 3);
	assert_int_equal(rep.off2, 0);
	assert_int_equal(outlen, 11);
	assert_memory_equal(out, "/target/dir", 11);
	/* At the end, followed by open and stat, not by lstat. */
	req(LUX_OPEN, "a/l", NULL);
	run();
	assert_int_equal(rep.op, LUX_FOLLOW);
	assert_int_equal(rep.off, 3);
	req(LUX_STAT, "a/l", NULL);
	run();
	assert_int_equal(rep.op, LUX_FOLLOW);
	assert_int_equal(do_stat("a/l", LUX_AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFLNK | 0777);
	assert_int_equal(st.size, 11);
	assert_int_equal(do_open("a/l", LUX_O_RDONLY | LUX_O_NOFOLLOW, 0),
			 -ELOOP);
	/* LUX_O_PATH | LUX_O_NOFOLLOW names the link itself. */
	int64_t h = do_open("a/l", LUX_O_PATH | LUX_O_NOFOLLOW, 0);
	assert_true(h > 0);
	assert_int_equal(do_stat_handle(h, &st), 0);
	assert_true(LUX_S_ISLNK(st.mode));
	do_close(h);
	assert_int_equal(
	    do_open("a/l", LUX_O_RDWR | LUX_O_CREAT | LUX_O_EXCL, 0644),
	    -EEXIST);
	assert_int_equal(do_mkdir("a/l", 0755), -EEXIST);
	/* A trailing slash follows. */
	req(LUX_STAT, "a/l/", NULL)->flags = LUX_AT_SYMLINK_NOFOLLOW;
	run();
	assert_int_equal(rep.op, LUX_FOLLOW);
	/* readlink does not follow. */
	req(LUX_READLINK, "a/l", NULL);
	assert_int_equal(run_reply(), 11);
	assert_memory_equal(out, "/target/dir", 11);
	make_file("file", "x");
	req(LUX_READLINK, "file", NULL);
	assert_int_equal(run_reply(), -EINVAL);
	/* The second path of a two-path call says off2 = 1. */
	req(LUX_RENAME, "file", "a/l/file");
	run();
	assert_int_equal(rep.op, LUX_FOLLOW);
	assert_int_equal(rep.off, 3);
	assert_int_equal(rep.off2, 1);
	/* rename and unlink act on the link itself. */
	assert_int_equal(do_rename("a/l", "a/m", 0), 0);
	assert_int_equal(do_stat("a/m", LUX_AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_true(LUX_S_ISLNK(st.mode));
	assert_int_equal(do_unlink("a/m", 0), 0);
	assert_int_equal(do_stat("a/m", LUX_AT_SYMLINK_NOFOLLOW, &st), -ENOENT);
	/* chown with LUX_AT_SYMLINK_NOFOLLOW changes the link. */
	assert_int_equal(do_symlink("rel", "file"), 0);
	req(LUX_CHOWN, "rel", NULL)->flags = LUX_AT_SYMLINK_NOFOLLOW;
	msg.req.off = 3;
	msg.req.count = 4;
	assert_int_equal(run_reply(), 0);
	assert_int_equal(do_stat("rel", LUX_AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_int_equal(st.uid, 3);
	/* A link in the middle is followed even by lstat, and a user needs
	 * search permission before a link is read. */
	req(LUX_STAT, "rel/x", NULL)->flags = LUX_AT_SYMLINK_NOFOLLOW;
	run();
	assert_int_equal(rep.op, LUX_FOLLOW);
	assert_int_equal(rep.off, 3);
	assert_memory_equal(out, "file", 4);
	assert_int_equal(do_chmod("a", 0700), 0);
	assert_int_equal(do_symlink("a/k", "/"), 0);
	as(1000, 1000);
	req(LUX_OPEN, "a/k/x", NULL);
	assert_int_equal(run(), -EACCES);
	assert_int_equal(rep.op, LUX_REPLY);
}

/* One getdents64 record. */
struct dent {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[256];
};

/* Parse len bytes of records at buf into d (at most max); their count. */
static int parse_dents(const char *buf, long len, struct dent *d, int max)
{
	int n = 0;
	for (long pos = 0; pos < len; n++) {
		assert_true(n < max);
		memcpy(&d[n].ino, buf + pos, 8);
		memcpy(&d[n].off, buf + pos + 8, 8);
		memcpy(&d[n].reclen, buf + pos + 16, 2);
		d[n].type = buf[pos + 18];
		assert_int_equal(d[n].reclen % 8, 0);
		assert_true(d[n].reclen >= 24);
		size_t nl = strnlen(buf + pos + 19, d[n].reclen - 19);
		assert_true(nl < (size_t)d[n].reclen - 19); /* NUL inside */
		memcpy(d[n].name, buf + pos + 19, nl + 1);
		pos += d[n].reclen;
		assert_true(pos <= len);
	}
	return n;
}

static long getdents(uint64_t h, uint64_t pos, uint64_t count)
{
	struct lux_req *q = req(LUX_GETDENTS, NULL, NULL);
	q->handle = h;
	q->off = pos;
	q->count = count;
	return run_reply();
}

static void test_getdents(void **state)
{
	struct dent d[64];
	char name[16];
	bool seen[20] = {false};
	(void)state;

	assert_int_equal(do_mkdir("d", 0755), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "d/f%d", i);
		make_file(name, "");
	}
	assert_int_equal(do_mkdir("d/sub", 0755), 0);
	assert_int_equal(do_symlink("d/ln", "f0"), 0);
	int64_t h = do_open("d", LUX_O_RDONLY | LUX_O_DIRECTORY, 0);
	/* Too small for one record. */
	assert_int_equal(getdents(h, 0, 10), -EINVAL);
	/* The first call: ".", "..", and a few. */
	long len = getdents(h, 0, 24 * 5);
	assert_true(len > 0);
	uint64_t pos = rep.off;
	int n = parse_dents(out, len, d, 64);
	assert_int_equal(n, 5);
	assert_string_equal(d[0].name, ".");
	assert_string_equal(d[1].name, "..");
	assert_int_equal(d[0].type, 4);
	assert_int_equal(d[1].ino, 1);
	assert_int_equal((uint64_t)d[4].off, pos);
	for (int i = 2; i < n; i++) {
		int k;
		assert_int_equal(sscanf(d[i].name, "f%d", &k), 1);
		seen[k] = true;
		assert_int_equal(d[i].type, 8);
	}
	/* Meanwhile an entry already listed and one not yet listed go, and
	 * new ones come: no entry repeats, none that stayed is skipped. */
	assert_int_equal(do_unlink("d/f0", 0), 0);
	assert_int_equal(do_unlink("d/f7", 0), 0);
	make_file("d/new", "");
	assert_int_equal(do_rename("d/f8", "d/f18", 0), 0);
	int total = n, rest = 0;
	for (;;) {
		len = getdents(h, pos, 4096);
		assert_true(len >= 0);
		if (len == 0)
			break;
		pos = rep.off;
		n = parse_dents(out, len, d, 64);
		for (int i = 0; i < n; i++) {
			int k;
			rest++;
			if (sscanf(d[i].name, "f%d", &k) == 1) {
				assert_false(seen[k]);
				seen[k] = true;
			} else if (!strcmp(d[i].name, "sub")) {
				assert_int_equal(d[i].type, 4);
			} else if (!strcmp(d[i].name, "ln")) {
				assert_int_equal(d[i].type, 10);
			} else {
				assert_string_equal(d[i].name, "new");
			}
		}
	}
	total += rest;
	for (int i = 0; i < 10; i++)
		assert_int_equal(seen[i], i != 7 && i != 8);
	assert_true(seen[18]);
	/* 12 at the start (f0-f9, sub, ln) + ".", ".." - f7 - f8 + f18 + new */
	assert_int_equal(total, 14);
	/* Listing from the start again sees the current set. */
	len = getdents(h, 0, 65536);
	assert_int_equal(parse_dents(out, len, d, 64), 2 + 9 + 2);
	do_close(h);
	h = do_open("d/f1", LUX_O_RDONLY, 0);
	assert_int_equal(getdents(h, 0, 4096), -ENOTDIR);
	do_close(h);
}

static void test_times(void **state)
{
	struct lux_stat st;
	(void)state;

	make_file("f", "x");
	assert_int_equal(do_utimens("f", 1000, 5, 2000, 6), 0);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_int_equal(st.time[0][0], 1000);
	assert_int_equal(st.time[0][1], 5);
	assert_int_equal(st.time[1][0], 2000);
	assert_int_equal(st.time[1][1], 6);
	assert_true(st.time[2][0] > 1000000000); /* ctime: now */
	/* OMIT keeps one, NOW sets the other. */
	assert_int_equal(do_utimens("f", 0, OMIT, 0, NOW), 0);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_int_equal(st.time[0][0], 1000);
	assert_true(st.time[1][0] > 1000000000);
	assert_int_equal(do_utimens("f", 0, 1000000000, 0, 0), -EINVAL);
	/* A write sets mtime and ctime; a read sets atime (relatime). */
	assert_int_equal(do_utimens("f", 1000, 0, 2000, 0), 0);
	int64_t h = do_open("f", LUX_O_RDWR, 0);
	assert_int_equal(do_read(h, 0, 1), 1);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_true(st.time[0][0] > 1000000000);
	assert_int_equal(st.time[1][0], 2000);
	assert_int_equal(do_write(h, 0, "y", 1), 1);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_true(st.time[1][0] > 1000000000);
	do_close(h);
	/* Creating and removing a name sets the directory's mtime. */
	assert_int_equal(do_mkdir("d", 0777), 0);
	assert_int_equal(do_utimens("d", 1, 0, 1, 0), 0);
	make_file("d/x", "");
	assert_int_equal(do_stat("d", 0, &st), 0);
	assert_true(st.time[1][0] > 1000000000);
	/* chmod sets ctime only. */
	assert_int_equal(do_utimens("f", 1, 0, 1, 0), 0);
	assert_int_equal(do_chmod("f", 0666), 0);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_int_equal(st.time[1][0], 1);
	/* Others: "now" with write permission, explicit times never. */
	as(1000, 1000);
	assert_int_equal(do_utimens("f", 0, NOW, 0, NOW), 0);
	assert_int_equal(do_utimens("f", 5, 0, 5, 0), -EPERM);
	as(0, 0);
	assert_int_equal(do_chmod("f", 0644), 0);
	as(1000, 1000);
	assert_int_equal(do_utimens("f", 0, NOW, 0, NOW), -EACCES);
}

static void test_mknod_statfs(void **state)
{
	struct lux_stat st;
	(void)state;

	req(LUX_MKNOD, "null", NULL)->mode = LUX_S_IFCHR | 0666;
	msg.req.off = (1 << 8) | 3;
	assert_int_equal(run_reply(), 0);
	assert_int_equal(do_stat("null", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFCHR | 0666);
	assert_int_equal(st.rdev, (1 << 8) | 3);
	assert_int_equal(do_open("null", LUX_O_RDWR, 0), -ENXIO);
	req(LUX_MKNOD, "fifo", NULL)->mode = LUX_S_IFIFO | 0600;
	assert_int_equal(run_reply(), 0);
	req(LUX_MKNOD, "plain", NULL)->mode = 0600;
	assert_int_equal(run_reply(), 0);
	assert_int_equal(do_stat("plain", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFREG | 0600);
	req(LUX_MKNOD, "dir", NULL)->mode = LUX_S_IFDIR | 0600;
	assert_int_equal(run_reply(), -EINVAL);
	req(LUX_MKNOD, "null", NULL)->mode = LUX_S_IFIFO | 0600;
	assert_int_equal(run_reply(), -EEXIST);
	as(1000, 1000);
	assert_int_equal(do_chmod("", 0777), -EPERM);
	as(0, 0);
	assert_int_equal(do_chmod("", 0777), 0);
	as(1000, 1000);
	req(LUX_MKNOD, "blk", NULL)->mode = LUX_S_IFBLK | 0600;
	assert_int_equal(run_reply(), -EPERM);
	req(LUX_MKNOD, "fifo2", NULL)->mode = LUX_S_IFIFO | 0600;
	assert_int_equal(run_reply(), 0);

	struct lux_statfs sf;
	req(LUX_STATFS, "", NULL);
	assert_int_equal(run_reply(), 0);
	assert_int_equal(outlen, sizeof(sf));
	memcpy(&sf, out, sizeof(sf));
	assert_int_equal(sf.type, RAMFS_MAGIC);
	assert_int_equal(sf.bsize, 4096);
	assert_int_equal(sf.blocks, (64 << 20) / 4096);
	assert_int_equal(sf.namelen, 255);
	uint64_t free_before = sf.bfree;
	make_file("big", "");
	int64_t h = do_open("big", LUX_O_WRONLY, 0);
	static char block[65536];
	assert_int_equal(do_write(h, 0, block, sizeof(block)), sizeof(block));
	do_close(h);
	req(LUX_STATFS, "", NULL);
	assert_int_equal(run_reply(), 0);
	memcpy(&sf, out, sizeof(sf));
	assert_true(sf.bfree <= free_before - 16);
	assert_int_equal(sf.bavail, sf.bfree);
}

static void test_out_of_memory(void **state)
{
	static char chunk[65536];
	(void)state;

	ramfs_destroy(&fs);
	assert_int_equal(ramfs_init(&fs, 256 * 1024), 0);
	int64_t h = do_open("f", LUX_O_WRONLY | LUX_O_CREAT, 0644);
	int64_t total = 0, n;
	memset(chunk, 'q', sizeof(chunk));
	while ((n = do_write(h, total, chunk, sizeof(chunk))) > 0)
		total += n;
	assert_int_equal(n, -ENOSPC);
	assert_true(total > 100 * 1024 && total < 256 * 1024);
	assert_true(fs.used <= fs.limit);
	/* Creating more fails cleanly too. */
	for (int i = 0; i < 100000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%d", i);
		int64_t r = do_mkdir(name, 0755);
		if (r < 0) {
			assert_int_equal(r, -ENOSPC);
			break;
		}
	}
	assert_int_equal(do_symlink("l", "target"), -ENOSPC);
	/* Freeing space lets writes go on. */
	do_close(h);
	assert_int_equal(do_unlink("f", 0), 0);
	make_file("g", "fits again");
	assert_string_equal(file_text("g"), "fits again");
}

/* A cpio newc archive being written. */
static char archive[512 * 1024];
static size_t alen;

static void cpio_add(const char *name, uint32_t ino, uint32_t mode,
		     uint32_t uid, uint32_t gid, uint32_t nlink, uint32_t mtime,
		     const char *data)
{
	size_t nsz = strlen(name) + 1, dsz = data ? strlen(data) : 0;
	alen += sprintf(archive + alen,
			"070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
			"%08X%08X",
			ino, mode, uid, gid, nlink, mtime, (unsigned)dsz, 0, 0,
			1, 5, (unsigned)nsz, 0);
	memcpy(archive + alen, name, nsz);
	alen += nsz;
	while (alen % 4)
		archive[alen++] = 0;
	memcpy(archive + alen, data ? data : "", dsz);
	alen += dsz;
	while (alen % 4)
		archive[alen++] = 0;
}

static void test_cpio_fill(void **state)
{
	struct lux_stat st;
	(void)state;

	alen = 0;
	cpio_add(".", 1, LUX_S_IFDIR | 0711, 0, 0, 2, 100, NULL);
	cpio_add("bin", 2, LUX_S_IFDIR | 0755, 0, 0, 2, 200, NULL);
	cpio_add("bin/hello", 3, LUX_S_IFREG | 0755, 5, 6, 1, 1234, "hi\n");
	cpio_add("bin/sh", 4, LUX_S_IFLNK | 0777, 0, 0, 1, 300, "hello");
	cpio_add("./etc/deep/conf", 5, LUX_S_IFREG | 0600, 0, 0, 1, 400, "k=v");
	/* A hard-linked pair: the data comes with the last name. */
	cpio_add("bin/a", 6, LUX_S_IFREG | 0755, 0, 0, 2, 500, NULL);
	cpio_add("bin/b", 6, LUX_S_IFREG | 0755, 0, 0, 2, 500, "linked");
	cpio_add("dev/console", 7, LUX_S_IFCHR | 0600, 0, 0, 1, 0, NULL);
	cpio_add("TRAILER!!!", 0, 0, 0, 0, 1, 0, NULL);
	assert_int_equal(cpio_fill(&fs, archive, alen), 0);

	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFDIR | 0711);
	assert_int_equal(do_stat("bin/hello", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFREG | 0755);
	assert_int_equal(st.uid, 5);
	assert_int_equal(st.gid, 6);
	assert_int_equal(st.time[1][0], 1234);
	assert_int_equal(st.size, 3);
	assert_string_equal(file_text("bin/hello"), "hi\n");
	assert_int_equal(do_stat("bin", 0, &st), 0);
	assert_int_equal(st.time[1][0], 200);
	req(LUX_READLINK, "bin/sh", NULL);
	assert_int_equal(run_reply(), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(do_stat("etc", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFDIR | 0755);
	assert_string_equal(file_text("etc/deep/conf"), "k=v");
	assert_int_equal(do_stat("bin/a", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	uint64_t ino = st.ino;
	assert_int_equal(do_stat("bin/b", 0, &st), 0);
	assert_int_equal(st.ino, ino);
	assert_string_equal(file_text("bin/a"), "linked");
	assert_int_equal(do_stat("dev/console", 0, &st), 0);
	assert_int_equal(st.mode, LUX_S_IFCHR | 0600);
	assert_int_equal(st.rdev, (1 << 8) | 5);
	assert_int_equal(do_stat("bin", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.nlink, 5); /* ".", "..", bin, etc, dev */

	/* A damaged archive: what came before its damage stays. */
	alen = 0;
	cpio_add("good", 1, LUX_S_IFREG | 0644, 0, 0, 1, 0, "g");
	size_t cut = alen;
	cpio_add("bad", 2, LUX_S_IFREG | 0644, 0, 0, 1, 0, "b");
	archive[cut + 10] = 'x'; /* not a hex digit */
	assert_int_equal(cpio_fill(&fs, archive, alen), -EINVAL);
	assert_string_equal(file_text("good"), "g");
	assert_int_equal(do_stat("bad", 0, &st), -ENOENT);
	/* Cut short, or a size past the end. */
	assert_int_equal(cpio_fill(&fs, archive, 50), -EINVAL);
	alen = 0;
	cpio_add("long", 1, LUX_S_IFREG | 0644, 0, 0, 1, 0, "data");
	assert_int_equal(cpio_fill(&fs, archive, alen - 4), -EINVAL);
	/* Names that climb out are refused, the rest still comes. */
	alen = 0;
	cpio_add("../escape", 1, LUX_S_IFREG | 0644, 0, 0, 1, 0, "e");
	cpio_add("after", 2, LUX_S_IFREG | 0644, 0, 0, 1, 0, "a");
	cpio_add("TRAILER!!!", 0, 0, 0, 0, 1, 0, NULL);
	assert_int_equal(cpio_fill(&fs, archive, alen), -EINVAL);
	assert_string_equal(file_text("after"), "a");
}

/* A reader for cpio_fill_from that gives at most 1000 bytes a call, of
 * the archive, and fails (-EIO) from byte fail_at on. */
static size_t fail_at;
static long piece_read(void *ctx, uint64_t off, void *dst, size_t n)
{
	(void)ctx;
	if (off >= fail_at)
		return -EIO;
	n = n < 1000 ? n : 1000;
	n = off + n <= alen ? n : alen - off;
	memcpy(dst, archive + off, n);
	return (long)n;
}

/* The boot fill through a reader (never the whole image in memory): a
 * file larger than the window arrives whole, entries on both sides of
 * it too; a reader that fails stops the fill with -EINVAL. */
static void test_cpio_fill_from(void **state)
{
	static char big[300001];
	struct lux_stat st;
	(void)state;

	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)('a' + i * 7 % 23);
	alen = 0;
	cpio_add("before", 1, LUX_S_IFREG | 0644, 0, 0, 1, 10, "one");
	cpio_add("bin/big", 2, LUX_S_IFREG | 0755, 0, 0, 1, 20, big);
	cpio_add("bin/link", 3, LUX_S_IFLNK | 0777, 0, 0, 1, 30, "big");
	cpio_add("after", 4, LUX_S_IFREG | 0644, 0, 0, 1, 40, "two");
	cpio_add("TRAILER!!!", 0, 0, 0, 0, 1, 0, NULL);
	fail_at = alen;
	assert_int_equal(cpio_fill_from(&fs, piece_read, NULL, alen), 0);
	assert_string_equal(file_text("before"), "one");
	assert_string_equal(file_text("after"), "two");
	assert_int_equal(do_stat("bin/big", 0, &st), 0);
	assert_int_equal(st.size, sizeof(big) - 1);
	assert_int_equal(st.time[1][0], 20);
	int64_t h = do_open("bin/big", LUX_O_RDONLY, 0);
	assert_true(h > 0);
	for (size_t off = 0; off < sizeof(big) - 1; off += 4096) {
		int64_t n = do_read(h, off, 4096);
		size_t want = sizeof(big) - 1 - off;
		assert_int_equal(n, want < 4096 ? want : 4096);
		assert_memory_equal(out, big + off, n);
	}
	do_close(h);
	req(LUX_READLINK, "bin/link", NULL);
	assert_int_equal(run_reply(), 3);
	assert_memory_equal(out, "big", 3);

	/* The reader fails inside the big file: what came before stays. */
	assert_int_equal(do_unlink("before", 0), 0);
	assert_int_equal(do_unlink("after", 0), 0);
	fail_at = 200000;
	assert_int_equal(cpio_fill_from(&fs, piece_read, NULL, alen), -EINVAL);
	assert_string_equal(file_text("before"), "one");
	assert_int_equal(do_stat("after", 0, &st), -ENOENT);
}

/* xorshift64: the same sequence on every run. */
static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Random requests, many of them nonsense, must never crash ramfs nor
 * break its books: every byte it holds stays counted (teardown checks
 * that freeing everything leaves 0) and within the limit. */
static void test_garbage_requests(void **state)
{
	static const char *const names[] = {"a", "b",  "a/b",   "b/a", "a/a/b",
					    "",  "a/", "b/b/b", "c"};
	static char junk[8192];
	(void)state;

	for (int i = 0; i < 200000; i++) {
		uint64_t r = rnd();
		const char *p1 = names[r % 9], *p2 = names[(r >> 4) % 9];
		size_t n = (r >> 8) % 3 == 0 ? (r >> 12) % sizeof(junk) : 0;
		for (size_t k = 0; k < n; k++)
			junk[k] = "ab/\0x"[rnd() % 5];
		struct lux_req *q =
		    n ? req_data(1 + (r >> 20) % 24, NULL, NULL, junk, n)
		      : req(1 + (r >> 20) % 24, p1, p2);
		q->handle = (r >> 25) % 4 ? 0 : (r >> 27) % 40;
		q->flags = (r >> 33) % 2 ? rnd() : rnd() & 0700303;
		q->mode = (r >> 34) % 2 ? rnd() : 0100000 | (rnd() & 07777);
		q->off = (r >> 35) % 2 ? rnd() : rnd() % 100000;
		q->count = rnd() % 100000;
		q->uid = q->gid = (r >> 36) % 3 ? 0 : 1000;
		q->time[0][1] = rnd() % 3 ? (int64_t)rnd() : NOW;
		if ((r >> 40) % 50 == 0)
			msg.req.len = (r >> 42) % sizeof(msg.req);
		memset(&rep, 0, sizeof(rep));
		long len = ramfs_serve(&fs, &msg.req, msg.data, &rep, out);
		assert_true(len >= -1 && len <= LUX_MAX_DATA);
		assert_true(rep.result <= LUX_MAX_DATA);
		assert_true(fs.used <= fs.limit);
	}
}

/* ---- a new instance finds the tree (recover.c) ------------------------ */

/* The server dies and a new one attaches to the same arena: its private
 * state (free lists, object table, open counts) is lost. */
static void crash(void)
{
	free(fs.pages);
	fs.pages = NULL;
	assert_int_equal(ramfs_attach(&fs, fs.head, fs.head->pages), 1);
}

static void expect_file(const char *path, const char *data)
{
	int64_t h = do_open(path, LUX_O_RDONLY, 0);
	assert_true(h > 0);
	assert_int_equal(do_read(h, 0, 100), strlen(data));
	assert_memory_equal(out, data, strlen(data));
	do_close(h);
}

static void test_recover_tree(void **state)
{
	(void)state;
	struct lux_stat st, st2;
	assert_int_equal(do_mkdir("/d", 0755), 0);
	assert_int_equal(do_mkdir("/d/e", 0700), 0);
	assert_int_equal(do_mkdir("/d/empty", 0700), 0);
	make_file("/d/e/f", "hello");
	assert_int_equal(do_link("/d/e/f", "/g"), 0);
	assert_int_equal(do_symlink("/s", "d/e/f"), 0);
	int64_t h = do_open("/sparse", LUX_O_WRONLY | LUX_O_CREAT, 0644);
	assert_int_equal(do_write(h, 10 << 20, "far", 3), 3);
	do_close(h);
	for (int i = 0; i < 40; i++) { /* a long directory list */
		char name[32];
		snprintf(name, sizeof(name), "/d/n%d", i);
		make_file(name, name);
	}
	assert_int_equal(do_rename("/d/n3", "/d/e/moved", 0), 0);
	assert_int_equal(do_stat("/d/e/f", 0, &st), 0);
	uint64_t used = fs.used, nodes = fs.nodes;
	/* open, then unlinked: its data goes with the old instance */
	h = do_open("/tmp-open", LUX_O_RDWR | LUX_O_CREAT, 0600);
	assert_int_equal(do_write(h, 0, "gone", 4), 4);
	assert_int_equal(do_unlink("/tmp-open", 0), 0);
	void *leak = ramfs_alloc(&fs, 300); /* made, never linked */
	assert_non_null(leak);
	/* an unnamed file (O_TMPFILE), open: it goes too */
	h = do_open("/d/#00000000000000aa", LUX_O_RDWR | LUX_O_TMPFILE, 0600);
	assert_true(h > 0);
	assert_int_equal(do_write(h, 0, "unnamed", 7), 7);
	assert_int_equal(do_stat("/d/#00000000000000aa", 0, &st2), 0);

	crash();
	assert_int_equal(fs.used, used);
	assert_int_equal(fs.nodes, nodes);
	assert_int_equal(do_stat("/d/#00000000000000aa", 0, &st2), -ENOENT);
	expect_file("/g", "hello");
	expect_file("/d/n7", "/d/n7");
	expect_file("/d/e/moved", "/d/n3");
	assert_int_equal(do_stat("/d/e/f", 0, &st2), 0);
	assert_int_equal(st2.ino, st.ino);
	assert_int_equal(st2.nlink, 2);
	assert_int_equal(do_stat("/d", 0, &st2), 0);
	assert_int_equal(st2.nlink, 4); /* ".", "..", e and empty */
	assert_int_equal(do_stat("/s", LUX_AT_SYMLINK_NOFOLLOW, &st2), 0);
	assert_true(LUX_S_ISLNK(st2.mode));
	assert_int_equal(st2.size, 5);
	h = do_open("/sparse", LUX_O_RDONLY, 0);
	assert_int_equal(do_read(h, (10 << 20) - 1, 10), 4);
	assert_memory_equal(out, "\0far", 4);
	do_close(h);
	/* the tree works on: new objects get new numbers */
	make_file("/d/e/new", "new");
	assert_int_equal(do_stat("/d/e/new", 0, &st2), 0);
	assert_true(st2.ino > st.ino);
	assert_int_equal(do_unlink("/d/e/moved", 0), 0);
	expect_file("/d/e/new", "new");
}

/* LUX_MAP on handle h, as the kernel sends it for a descriptor open for
 * reading and writing. */
static void map_req(int64_t h)
{
	struct lux_req *q = req(LUX_MAP, NULL, NULL);
	q->handle = h;
	q->flags = LUX_O_RDWR;
}

/* A mapped file (fmap.c): the object LUX_MAP hands out is the file's
 * bytes both ways; stores through a mapping reach the blocks at FSYNC
 * (a new instance, which has no object, finds them) but not before. */
static void test_fmap_writeback(void **state)
{
	(void)state;
	int64_t h = do_open("/m", LUX_O_RDWR | LUX_O_CREAT, 0644);
	assert_int_equal(do_write(h, 0, "hello", 5), 5);
	map_req(h);
	int fd = (int)run_reply();
	assert_true(fd >= 0);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_memory_equal(p, "hello", 5);
	p[0] = 'J';
	assert_int_equal(do_read(h, 0, 100), 5);
	assert_memory_equal(out, "Jello", 5);
	assert_int_equal(do_write(h, 1, "E", 1), 1);
	assert_int_equal(p[1], 'E');
	map_req(h); /* the same object again */
	assert_int_equal(run_reply(), fd);
	crash(); /* before a write-back: the blocks have write's byte only */
	expect_file("/m", "hEllo");
	h = do_open("/m", LUX_O_RDWR, 0);
	map_req(h);
	fd = (int)run_reply();
	assert_true(fd >= 0);
	munmap(p, 4096);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	p[4] = 'O';
	req(LUX_FSYNC, NULL, NULL)->handle = h;
	assert_int_equal(run_reply(), 0);
	crash();
	expect_file("/m", "hEllO");
	munmap(p, 4096);
	assert_int_equal(do_unlink("/m", 0), 0);
}

/* A crash between any two writes of an operation: the tree the next
 * instance finds is whole, with that operation undone or done. */
static void test_recover_crash_points(void **state)
{
	(void)state;
	struct lux_stat st;
	assert_int_equal(do_mkdir("/a", 0755), 0);
	assert_int_equal(do_mkdir("/b", 0755), 0);
	make_file("/a/x", "x");
	make_file("/a/y", "y");
	struct node *a, *b;
	assert_int_equal(do_stat("/a", 0, &st), 0);
	a = node_find(&fs, st.ino);
	assert_int_equal(do_stat("/b", 0, &st), 0);
	b = node_find(&fs, st.ino);
	struct dentry *x = dir_lookup(a, "x", 1);

	/* dir_add linked the entry but died before setting the tail */
	struct dentry *tail = b->dir.tail;
	assert_int_equal(dir_add(&fs, b, "x", 1, x->node), 0);
	b->dir.tail = tail;
	/* ... inside a rename of /a/x to /b/x: its intent written */
	fs.head->intent.to = b->dir.head;
	fs.head->intent.from_dir = a;
	fs.head->intent.x = x->node;
	fs.head->intent.from = x;
	crash();
	assert_int_equal(do_stat("/a/x", 0, &st), -ENOENT);
	expect_file("/b/x", "x");
	assert_int_equal(do_stat("/b/x", 0, &st), 0);
	assert_int_equal(st.nlink, 1);
	make_file("/b/z", "z"); /* the list's tail was mended */
	expect_file("/b/z", "z");
	assert_null(fs.head->intent.from);

	/* garbage where an object or a block should be: cut, not followed */
	assert_int_equal(do_stat("/a", 0, &st), 0);
	a = node_find(&fs, st.ino);
	dir_lookup(a, "y", 1)->node = (struct node *)(uintptr_t)0x1234;
	assert_int_equal(do_stat("/b/x", 0, &st), 0);
	struct node *f = node_find(&fs, st.ino);
	f->file.tree = (char *)fs.head + 3 * ARENA_PAGE + 64; /* misaligned */
	uint64_t used = fs.used;
	crash();
	assert_int_equal(do_stat("/a/y", 0, &st), -ENOENT);
	assert_int_equal(do_stat("/b/x", 0, &st), 0);
	assert_int_equal(st.size, 1);
	int64_t h = do_open("/b/x", LUX_O_RDONLY, 0);
	assert_int_equal(do_read(h, 0, 10), 1);
	assert_int_equal(out[0], 0); /* a hole now */
	do_close(h);
	assert_true(fs.used < used); /* y and x's block went */
	expect_file("/b/z", "z");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_create_write_read),
	    T(test_open_flags),
	    T(test_exec_permission),
	    T(test_permissions_non_root),
	    T(test_setid_bits),
	    T(test_sticky_dir),
	    T(test_mkdir_rmdir),
	    T(test_rename),
	    T(test_unlink_while_open),
	    T(test_tmpfile),
	    T(test_hard_links),
	    T(test_sparse_files),
	    T(test_symlinks),
	    T(test_getdents),
	    T(test_times),
	    T(test_mknod_statfs),
	    T(test_out_of_memory),
	    T(test_cpio_fill),
	    T(test_cpio_fill_from),
	    T(test_garbage_requests),
	    T(test_recover_tree),
	    T(test_recover_crash_points),
	    T(test_fmap_writeback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
