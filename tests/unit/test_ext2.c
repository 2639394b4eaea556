/*
 * test_ext2.c - the ext2 server (user/ext2/) driven request by request
 * as the kernel would, on image files made by the host's mke2fs (1 KiB
 * and 4 KiB blocks), each checked afterwards with `e2fsck -fn` (must be
 * clean) and `debugfs` (what the server wrote reads back the same on the
 * host, and what mke2fs -d put in reads back the same through the
 * server). e2fsprogs is required: without mke2fs every test fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ext2.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Protocol flag values (Linux x86_64). */
#define O_RD      0
#define O_WR      1
#define O_RW      2
#define O_CREAT_  0100
#define O_EXCL_   0200
#define O_TRUNC_  01000
#define O_DIR     0200000
#define AT_NOFOL  0x100
#define AT_RMDIR  0x200
#define RN_NOREPL 1
#define RN_EXCH   2

#define CACHE (1u << 20) /* small, so that tests run through eviction */

static struct ext2fs fs;
static int img_fd = -1;
static char dir_path[64], img[96];
static struct {
	struct lux_req req;
	char data[LUX_MSG_MAX];
} msg;
static struct lux_rep rep;
static char out[LUX_MSG_MAX];
static long outlen;
static uint32_t cur_uid, cur_gid, cur_groups[2], cur_ngroups;

/* Run a shell command, its output to the test's stderr: exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Make the image: mke2fs -t ext2 with block size bs, kib KiB, and extra
 * options; then mount it. */
static void mkfs(int bs, int kib, const char *opts)
{
	assert_int_equal(sh("mke2fs -q -F -t ext2 -b %d %s %s %dk >&2 2>&1", bs,
			    opts, img, kib),
			 0);
	img_fd = open(img, O_RDWR);
	assert_true(img_fd >= 0);
	assert_int_equal(ext2_mount(&fs, img_fd, CACHE), 0);
}

static void umount_fs(void)
{
	assert_int_equal(ext2_unmount(&fs), 0);
	close(img_fd);
	img_fd = -1;
}

static void remount(void)
{
	umount_fs();
	img_fd = open(img, O_RDWR);
	assert_true(img_fd >= 0);
	assert_int_equal(ext2_mount(&fs, img_fd, CACHE), 0);
}

/* e2fsck -fn must find the image clean. */
static void fsck_clean(void)
{
	assert_int_equal(sh("e2fsck -fn %s >%s/fsck.log 2>&1 || "
			    "{ cat %s/fsck.log >&2; exit 1; }",
			    img, dir_path, dir_path),
			 0);
}

/* Unmount (every dirty block written) and check the image. */
static void umount_check(void)
{
	umount_fs();
	fsck_clean();
}

static int setup(void **state)
{
	(void)state;
	cur_uid = cur_gid = cur_ngroups = 0;
	strcpy(dir_path, "/tmp/test_ext2.XXXXXX");
	if (!mkdtemp(dir_path))
		return -1;
	snprintf(img, sizeof(img), "%s/img", dir_path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (img_fd >= 0) {
		ext2_drop(&fs);
		close(img_fd);
		img_fd = -1;
	}
	return sh("rm -rf %s", dir_path);
}

static void as(uint32_t uid, uint32_t gid)
{
	cur_uid = uid;
	cur_gid = gid;
	cur_ngroups = 0;
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
	msg.req.ngroups = cur_ngroups;
	memcpy(msg.req.groups, cur_groups, sizeof(cur_groups));
	return &msg.req;
}

static struct lux_req *req(uint32_t op, const char *a, const char *b)
{
	return req_data(op, a, b, NULL, 0);
}

static int64_t run(void)
{
	memset(&rep, 0, sizeof(rep));
	outlen = ext2_serve(&fs, &msg.req, msg.data, &rep, out);
	return rep.result;
}

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
	assert_int_equal(ext2_serve(&fs, &msg.req, msg.data, &rep, out), -1);
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

static int64_t do_truncate(const char *path, uint64_t size)
{
	req(LUX_TRUNCATE, path, NULL)->off = size;
	return run_reply();
}

static void do_statfs(struct lux_statfs *s)
{
	req(LUX_STATFS, "", NULL);
	assert_int_equal(run_reply(), 0);
	memcpy(s, out, sizeof(*s));
}

/* Byte i of the test pattern of a file seeded seed. */
static uint8_t pat(uint64_t i, uint32_t seed)
{
	uint64_t x = (i / 8 + 1) * 0x9E3779B97F4A7C15ull ^ seed;
	return (uint8_t)(x >> (8 * (i % 8)));
}

static void fill_pat(char *buf, uint64_t off, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = pat(off + i, seed);
}

/* Write size bytes of pattern seed to the new file path, in chunks. */
static void write_file(const char *path, uint64_t size, uint32_t seed)
{
	static char buf[LUX_MAX_DATA];
	int64_t h = do_open(path, O_WR | O_CREAT_ | O_TRUNC_, 0644);

	assert_true(h > 0);
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		fill_pat(buf, off, n, seed);
		assert_int_equal(do_write(h, off, buf, n), n);
		off += n;
	}
	do_close(h);
}

/* The file path reads back as pattern seed of size bytes. */
static void check_file(const char *path, uint64_t size, uint32_t seed)
{
	static char want[LUX_MAX_DATA];
	int64_t h = do_open(path, O_RD, 0);

	assert_true(h > 0);
	for (uint64_t off = 0; off < size;) {
		int64_t n = do_read(h, off, LUX_MAX_DATA);
		assert_true(n > 0);
		fill_pat(want, off, n, seed);
		assert_memory_equal(out, want, n);
		off += n;
	}
	assert_int_equal(do_read(h, size, 10), 0);
	do_close(h);
}

/* debugfs on the host reads path as pattern seed of size bytes. */
static void host_check(const char *path, uint64_t size, uint32_t seed)
{
	char cmd[512], *buf = malloc(size + 1);
	FILE *f;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /%s' %s 2>/dev/null", path,
		 img);
	assert_non_null(f = popen(cmd, "r"));
	size_t got = fread(buf, 1, size + 1, f);
	pclose(f);
	assert_int_equal(got, size);
	for (uint64_t i = 0; i < size; i++)
		if ((uint8_t)buf[i] != pat(i, seed))
			fail_msg("%s: byte %llu differs", path,
				 (unsigned long long)i);
	free(buf);
}

/* ---- the tests ----------------------------------------------------- */

/* Files of every size class: direct, indirect, double and triple
 * indirect blocks, written and read back, then checked on the host. */
static void files_sizes(int bs)
{
	uint64_t p = bs / 4;
	uint64_t sizes[] = {0,
			    1,
			    100,
			    (uint64_t)bs,
			    12 * (uint64_t)bs + 1,
			    (12 + p + 5) * bs + 7};

	mkfs(bs, 16384, "");
	char name[32];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		write_file(name, sizes[i], i);
		check_file(name, sizes[i], i);
	}
	struct lux_stat st;
	assert_int_equal(do_stat("f5", 0, &st), 0);
	assert_int_equal(st.size, sizes[5]);
	/* data blocks plus one indirect, one double, one in it */
	assert_int_equal(st.blocks, (12 + p + 6 + 3) * (bs / 512));
	assert_int_equal(st.blksize, bs);
	remount();
	check_file("f5", sizes[5], 5);
	assert_int_equal(do_unlink("f4", 0), 0);
	umount_check();
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		if (i != 4)
			host_check(name, sizes[i], i);
	}
}

static void test_files_1k(void **state)
{
	(void)state;
	files_sizes(1024);
}

static void test_files_4k(void **state)
{
	(void)state;
	files_sizes(4096);
}

/* Holes read as zeros and take no blocks; a triple-indirect block far
 * out; truncate down frees blocks and zeroes the tail, up makes a
 * hole. */
static void test_sparse_truncate(void **state)
{
	(void)state;
	mkfs(1024, 8192, "");
	uint64_t far = 70ull << 20; /* past 12 + 256 + 65536 blocks */
	int64_t h = do_open("s", O_RW | O_CREAT_, 0644);
	char buf[3000];
	fill_pat(buf, 0, sizeof(buf), 7);
	assert_int_equal(do_write(h, 0, buf, sizeof(buf)), sizeof(buf));
	assert_int_equal(do_write(h, far, "end", 3), 3);
	struct lux_stat st;
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.size, far + 3);
	/* 3 data blocks + the far one with its 3 index blocks */
	assert_int_equal(st.blocks, 7 * 2);
	assert_int_equal(do_read(h, 5000, 100), 100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(do_read(h, far, 10), 3);
	assert_memory_equal(out, "end", 3);

	/* Down into the middle of a block: the tail reads as zeros when
	 * the file grows again. */
	assert_int_equal(do_truncate("s", 1500), 0);
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.blocks, 2 * 2);
	assert_int_equal(do_truncate("s", 4000), 0);
	assert_int_equal(do_read(h, 0, 4000), 4000);
	assert_memory_equal(out, buf, 1500);
	for (int i = 1500; i < 4000; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(do_write(h, 6000, "x", 1), 1);
	assert_int_equal(do_read(h, 4000, 2001), 2001);
	for (int i = 0; i < 2000; i++)
		assert_int_equal(out[i], 0);
	do_close(h);
	assert_int_equal(do_truncate("s", 0), 0);
	assert_int_equal(do_stat("s", 0, &st), 0);
	assert_int_equal(st.blocks, 0);
	/* A sparse file for the host to read. */
	h = do_open("t", O_RW | O_CREAT_, 0644);
	assert_int_equal(do_write(h, 1 << 20, buf, sizeof(buf)), sizeof(buf));
	do_close(h);
	umount_check();
	char cmd[256];
	snprintf(
	    cmd, sizeof(cmd),
	    "debugfs -R 'cat /t' %s 2>/dev/null | cmp -s -n %d - /dev/zero",
	    img, 1 << 20);
	assert_int_equal(sh("%s", cmd), 0);
}

/* mkdir and rmdir, link counts, ENOTEMPTY; a directory of many entries
 * grows block by block, lists every name once, and shrinks in use. */
static void test_directories(void **state)
{
	(void)state;
	mkfs(1024, 8192, "");
	struct lux_stat st;
	assert_int_equal(do_mkdir("d", 0755), 0);
	assert_int_equal(do_mkdir("d", 0755), -EEXIST);
	write_file("file", 1, 1);
	assert_int_equal(do_mkdir("file/", 0755), -EEXIST);
	assert_int_equal(do_mkdir("file/x", 0755), -ENOTDIR);
	assert_int_equal(do_symlink("file/x", "t"), -ENOTDIR);
	assert_int_equal(do_open("file/", O_RD, 0), -ENOTDIR);
	assert_int_equal(do_mkdir("d/e", 0700), 0);
	assert_int_equal(do_stat("d", 0, &st), 0);
	assert_int_equal(st.nlink, 3);
	assert_true(S_ISDIR(st.mode));
	assert_int_equal(do_unlink("d", AT_RMDIR), -ENOTEMPTY);
	assert_int_equal(do_unlink("d", 0), -EISDIR);
	assert_int_equal(do_unlink("d/e", AT_RMDIR), 0);
	assert_int_equal(do_stat("d", 0, &st), 0);
	assert_int_equal(st.nlink, 2);

	enum { N = 1500 };
	char name[64];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "d/file-with-a-long-name-%04d", i);
		int64_t h = do_open(name, O_WR | O_CREAT_ | O_EXCL_, 0600);
		assert_true(h > 0);
		do_close(h);
	}
	assert_int_equal(do_stat("d", 0, &st), 0);
	assert_true(st.size > 40 * 1024);
	for (int i = 0; i < N; i += 2) {
		snprintf(name, sizeof(name), "d/file-with-a-long-name-%04d", i);
		assert_int_equal(do_unlink(name, 0), 0);
	}
	/* getdents: every name left exactly once, in small reads */
	static char seen[N];
	memset(seen, 0, sizeof(seen));
	int64_t h = do_open("d", O_RD | O_DIR, 0), count = 0;
	uint64_t pos = 0;
	for (;;) {
		struct lux_req *q = req(LUX_GETDENTS, NULL, NULL);
		q->handle = h;
		q->off = pos;
		q->count = 500;
		int64_t n = run_reply();
		assert_true(n >= 0);
		if (n == 0)
			break;
		pos = rep.off;
		for (int64_t o = 0; o < n;) {
			uint16_t reclen;
			memcpy(&reclen, out + o + 16, 2);
			const char *nm = out + o + 19;
			int k;
			if (sscanf(nm, "file-with-a-long-name-%d", &k) == 1) {
				assert_int_equal(seen[k], 0);
				assert_int_equal(k % 2, 1);
				assert_int_equal(out[o + 18], 8); /* DT_REG */
				seen[k] = 1;
				count++;
			}
			o += reclen;
		}
	}
	do_close(h);
	assert_int_equal(count, N / 2);
	/* The space freed is reused. */
	assert_int_equal(do_stat("d", 0, &st), 0);
	uint64_t size = st.size;
	for (int i = 0; i < N; i += 2) {
		snprintf(name, sizeof(name), "d/file-with-a-long-name-%04d", i);
		assert_true(do_open(name, O_WR | O_CREAT_, 0600) > 0);
		do_close(rep.handle);
	}
	assert_int_equal(do_stat("d", 0, &st), 0);
	assert_int_equal(st.size, size);
	umount_check();
	assert_int_equal(sh("test $(debugfs -R 'ls -l /d' %s 2>/dev/null | "
			    "grep -c file-with) = %d",
			    img, N),
			 0);
}

/* rename: in a directory, across directories (".." follows), over a
 * file, over an empty directory, Linux's errors, exchange, noreplace. */
static void test_rename(void **state)
{
	(void)state;
	mkfs(4096, 16384, "");
	struct lux_stat st, st2;
	write_file("a", 5000, 1);
	write_file("b", 300, 2);
	assert_int_equal(do_mkdir("d1", 0755), 0);
	assert_int_equal(do_mkdir("d2", 0755), 0);
	assert_int_equal(do_mkdir("d1/sub", 0755), 0);
	assert_int_equal(do_mkdir("d1/sub/deep", 0755), 0);
	assert_int_equal(do_mkdir("empty", 0755), 0);
	assert_int_equal(do_mkdir("full", 0755), 0);
	assert_int_equal(do_mkdir("full/x", 0755), 0);

	assert_int_equal(do_rename("a", "a2", 0), 0);
	assert_int_equal(do_stat("a", 0, &st), -ENOENT);
	check_file("a2", 5000, 1);
	assert_int_equal(do_rename("a2", "b", 0), 0); /* over a file */
	check_file("b", 5000, 1);
	assert_int_equal(do_stat("a2", 0, &st), -ENOENT);
	assert_int_equal(do_rename("d1/sub", "d2/sub", 0), 0);
	assert_int_equal(do_stat("d1", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(do_stat("d2", 0, &st), 0);
	assert_int_equal(st.nlink, 3);
	assert_int_equal(do_stat("d2/sub/deep", 0, &st), 0);
	assert_int_equal(do_rename("d2", "d2/sub/deep/x", 0), -EINVAL);
	assert_int_equal(do_rename("d2/sub", "d2/sub", 0), 0);
	assert_int_equal(do_rename("b", "empty", 0), -EISDIR);
	assert_int_equal(do_rename("d1", "b", 0), -ENOTDIR);
	assert_int_equal(do_rename("d1", "full", 0), -ENOTEMPTY);
	assert_int_equal(do_rename("d1", "empty", 0), 0); /* over empty dir */
	assert_int_equal(do_stat("d1", 0, &st), -ENOENT);
	assert_int_equal(do_stat("", 0, &st), 0);
	assert_int_equal(st.nlink, 6); /* . .. lost+found empty d2 full */
	assert_int_equal(do_rename("missing", "x", 0), -ENOENT);
	write_file("c", 10, 3);
	assert_int_equal(do_rename("c", "b", RN_NOREPL), -EEXIST);
	assert_int_equal(do_stat("b", 0, &st), 0);
	assert_int_equal(do_rename("c", "d2/sub", RN_EXCH), 0);
	assert_int_equal(do_stat("c", 0, &st2), 0);
	assert_true(S_ISDIR(st2.mode));
	assert_int_equal(do_stat("c/deep", 0, &st2), 0);
	check_file("d2/sub", 10, 3);
	assert_int_equal(do_stat("", 0, &st2), 0);
	assert_int_equal(st2.nlink, 7);
	assert_int_equal(do_rename("c", "x", RN_EXCH), -ENOENT);
	/* A hard link renamed over its other name: nothing happens. */
	assert_int_equal(do_link("b", "b2"), 0);
	assert_int_equal(do_rename("b", "b2", 0), 0);
	assert_int_equal(do_stat("b", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	umount_check();
	host_check("b2", 5000, 1);
	assert_int_equal(
	    sh("debugfs -R 'ls /c' %s 2>/dev/null | grep -q deep", img), 0);
}

/* Hard links share the inode; symbolic links, fast and slow, answer
 * FOLLOW in a walk and readlink; unlinking an open file keeps it. */
static void test_links(void **state)
{
	(void)state;
	mkfs(1024, 8192, "");
	struct lux_stat st, st2;
	write_file("f", 2000, 4);
	assert_int_equal(do_link("f", "g"), 0);
	assert_int_equal(do_link("f", "g"), -EEXIST);
	assert_int_equal(do_mkdir("d", 0755), 0);
	assert_int_equal(do_link("d", "d2"), -EPERM);
	assert_int_equal(do_stat("f", 0, &st), 0);
	assert_int_equal(do_stat("g", 0, &st2), 0);
	assert_int_equal(st.ino, st2.ino);
	assert_int_equal(st2.nlink, 2);
	assert_int_equal(do_unlink("f", 0), 0);
	check_file("g", 2000, 4);

	char slow[200];
	memset(slow, 'x', sizeof(slow) - 1);
	slow[sizeof(slow) - 1] = 0;
	memcpy(slow, "d/", 2);
	assert_int_equal(do_symlink("fast", "g"), 0);
	assert_int_equal(do_symlink("slow", slow), 0);
	assert_int_equal(do_symlink("fast", "x"), -EEXIST);
	req(LUX_READLINK, "fast", NULL);
	assert_int_equal(run_reply(), 1);
	assert_memory_equal(out, "g", 1);
	req(LUX_READLINK, "slow", NULL);
	assert_int_equal(run_reply(), strlen(slow));
	assert_memory_equal(out, slow, strlen(slow));
	assert_int_equal(do_stat("slow", AT_NOFOL, &st), 0);
	assert_true(S_ISLNK(st.mode));
	assert_int_equal(st.size, strlen(slow));
	assert_int_equal(st.blocks, 2);
	/* A stat through the link is the kernel's to finish: FOLLOW. */
	req(LUX_STAT, "fast/x", NULL);
	run();
	assert_int_equal(rep.op, LUX_FOLLOW);
	assert_int_equal(rep.off, 4);
	assert_int_equal(outlen, 1);

	/* Unlinked while open: readable until closed, then freed. */
	struct lux_statfs s0, s1;
	do_statfs(&s0);
	write_file("open", 50000, 5);
	int64_t h = do_open("open", O_RD, 0);
	assert_int_equal(do_unlink("open", 0), 0);
	assert_int_equal(do_read(h, 40000, 100), 100);
	do_close(h);
	do_statfs(&s1);
	assert_int_equal(s1.bfree, s0.bfree);
	assert_int_equal(s1.ffree, s0.ffree);
	assert_int_equal(do_unlink("slow", 0), 0);
	assert_int_equal(do_symlink("slow2", slow), 0);
	umount_check();
	assert_int_equal(sh("debugfs -R 'stat /slow2' %s 2>/dev/null | "
			    "grep -q 'Type: symlink'",
			    img),
			 0);
}

/* Permissions and owners as Linux checks them, groups included. */
static void test_permissions(void **state)
{
	(void)state;
	mkfs(1024, 4096, "");
	struct lux_stat st;
	assert_int_equal(do_mkdir("home", 0755), 0);
	assert_int_equal(do_chown("home", 1000, 1000), 0);
	as(1000, 1000);
	write_file("home/mine", 10, 1);
	assert_int_equal(do_open("x", O_WR | O_CREAT_, 0644), -EACCES);
	assert_int_equal(do_stat("home/mine", 0, &st), 0);
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.gid, 1000);
	assert_int_equal(do_chmod("home/mine", 0640), 0);
	assert_int_equal(do_chown("home/mine", 0, -1), -EPERM);
	assert_int_equal(do_chown("home/mine", -1, 50), -EPERM);
	cur_groups[0] = 50;
	cur_ngroups = 1;
	assert_int_equal(do_chown("home/mine", -1, 50), 0);
	as(2000, 2000);
	assert_int_equal(do_open("home/mine", O_RD, 0), -EACCES);
	assert_int_equal(do_chmod("home/mine", 0777), -EPERM);
	assert_int_equal(do_unlink("home/mine", 0), -EACCES);
	cur_groups[0] = 50;
	cur_ngroups = 1;
	int64_t h = do_open("home/mine", O_RD, 0); /* group 50 may read */
	assert_true(h > 0);
	do_close(h);
	assert_int_equal(do_open("home/mine", O_WR, 0), -EACCES);
	as(0, 0);
	assert_int_equal(do_chmod("home", 0700), 0);
	as(2000, 2000);
	assert_int_equal(do_stat("home/mine", 0, &st), -EACCES);
	as(0, 0);
	assert_int_equal(do_chown("home/mine", 3000, 3000), 0);
	assert_int_equal(do_stat("home/mine", 0, &st), 0);
	assert_int_equal(st.uid, 3000);
	assert_int_equal(st.mode & 07777, 0640);
	/* Sticky /tmp: only the owner removes. */
	assert_int_equal(do_mkdir("tmp", 01777), 0);
	as(1000, 1000);
	write_file("tmp/a", 1, 1);
	as(2000, 2000);
	assert_int_equal(do_unlink("tmp/a", 0), -EPERM);
	as(1000, 1000);
	assert_int_equal(do_unlink("tmp/a", 0), 0);
	as(0, 0);
	umount_check();
	assert_int_equal(sh("debugfs -R 'stat /home/mine' %s 2>/dev/null | "
			    "grep -q 'User:  3000'",
			    img),
			 0);
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

/* Timestamps keep their nanoseconds in large inodes (and lose them in
 * 128-byte ones, as on Linux), across a remount; the host reads the
 * same times. */
static void times_on(int isize)
{
	char opts[32];
	struct lux_stat st;

	snprintf(opts, sizeof(opts), "-I %d", isize);
	mkfs(1024, 4096, opts);
	write_file("t", 10, 1);
	assert_int_equal(do_stat("t", 0, &st), 0);
	int64_t ctime = st.time[2][0];
	assert_int_equal(do_utimens("t", 1000, 500, 1700000000, 700), 0);
	assert_int_equal(do_utimens("t", 5, (1L << 30) - 2, 6, (1L << 30) - 2),
			 0); /* both UTIME_OMIT: nothing changes */
	assert_int_equal(do_utimens("t", 0, 1000000000, 0, 0), -EINVAL);
	remount();
	assert_int_equal(do_stat("t", 0, &st), 0);
	assert_int_equal(st.time[0][0], 1000);
	assert_int_equal(st.time[0][1], isize > 128 ? 500 : 0);
	assert_int_equal(st.time[1][0], 1700000000);
	assert_int_equal(st.time[1][1], isize > 128 ? 700 : 0);
	assert_true(st.time[2][0] >= ctime);
	as(1000, 1000);
	assert_int_equal(do_utimens("t", 1, 0, 2, 0), -EPERM);
	as(0, 0);
	umount_check();
	/* 700 ns: 700 << 2 in the extra field */
	assert_int_equal(sh("debugfs -R 'stat /t' %s 2>/dev/null | "
			    "grep -q 'mtime: 0x6553f100%s'",
			    img, isize > 128 ? ":00000af0" : " --"),
			 0);
}

static void test_times(void **state)
{
	(void)state;
	times_on(256);
	times_on(128);
}

/* statfs agrees with what dumpe2fs reads from the superblock. */
static void test_statfs(void **state)
{
	(void)state;
	mkfs(4096, 32768, "");
	write_file("f", 1 << 20, 1);
	assert_int_equal(do_mkdir("d", 0755), 0);
	assert_int_equal(ext2_sync(&fs), 0);
	struct lux_statfs s;
	do_statfs(&s);
	assert_int_equal(s.type, 0xEF53);
	assert_int_equal(s.bsize, 4096);
	assert_int_equal(s.namelen, 255);
	assert_int_equal(sh("dumpe2fs -h %s 2>/dev/null | grep -q "
			    "'^Free blocks: *%llu$'",
			    img, (unsigned long long)s.bfree),
			 0);
	assert_int_equal(sh("dumpe2fs -h %s 2>/dev/null | grep -q "
			    "'^Free inodes: *%llu$'",
			    img, (unsigned long long)s.ffree),
			 0);
	assert_int_equal(sh("dumpe2fs -h %s 2>/dev/null | grep -q "
			    "'^Inode count: *%llu$'",
			    img, (unsigned long long)s.files),
			 0);
	assert_true(s.bavail < s.bfree);
	assert_true(s.blocks < 8192 && s.blocks > 7000);
	umount_check();
}

/* Writing until the device is full: ENOSPC (a short write first), the
 * reserved blocks are root's, and the image stays clean. */
static void test_enospc(void **state)
{
	(void)state;
	mkfs(1024, 2048, "");
	static char buf[LUX_MAX_DATA];
	struct lux_statfs s;
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(do_mkdir("u", 0777), 0);
	as(1000, 1000);
	int64_t h = do_open("u/fill", O_WR | O_CREAT_, 0644), r;
	uint64_t off = 0;
	while ((r = do_write(h, off, buf, sizeof(buf))) > 0)
		off += r;
	assert_int_equal(r, -ENOSPC);
	do_close(h);
	do_statfs(&s);
	assert_int_equal(s.bavail, 0);
	assert_true(s.bfree > 0);
	as(0, 0);
	h = do_open("rootfill", O_WR | O_CREAT_, 0644);
	off = 0;
	while ((r = do_write(h, off, buf, sizeof(buf))) > 0)
		off += r;
	assert_int_equal(r, -ENOSPC);
	do_close(h);
	do_statfs(&s);
	assert_int_equal(s.bfree, 0);
	assert_int_equal(do_mkdir("nospace", 0755), -ENOSPC);
	remount();
	fsck_clean();
	assert_int_equal(do_unlink("u/fill", 0), 0);
	write_file("after", 100000, 9);
	umount_check();
	host_check("after", 100000, 9);
}

/* Files put in by mke2fs -d read back identically through the server;
 * the server's changes to them read back on the host. */
static void test_host_files(void **state)
{
	(void)state;
	assert_int_equal(sh("mkdir -p %s/src/sub && cd %s/src && "
			    "head -c 300000 /dev/urandom > big && "
			    "printf hello > sub/small && ln -s sub/small ln && "
			    "ln big big2",
			    dir_path, dir_path),
			 0);
	char opts[128];
	snprintf(opts, sizeof(opts), "-d %s/src", dir_path);
	mkfs(1024, 8192, opts);
	char path[160];
	snprintf(path, sizeof(path), "%s/src/big", dir_path);
	FILE *f = fopen(path, "rb");
	static char want[300000];
	assert_int_equal(fread(want, 1, sizeof(want), f), sizeof(want));
	fclose(f);
	int64_t h = do_open("big2", O_RW, 0);
	for (uint64_t off = 0; off < sizeof(want);) {
		int64_t n = do_read(h, off, LUX_MAX_DATA);
		assert_true(n > 0);
		assert_memory_equal(out, want + off, n);
		off += n;
	}
	assert_int_equal(do_write(h, 1000, "CHANGED", 7), 7);
	do_close(h);
	h = do_open("sub/small", O_RD, 0);
	assert_int_equal(do_read(h, 0, 100), 5);
	assert_memory_equal(out, "hello", 5);
	do_close(h);
	req(LUX_READLINK, "ln", NULL);
	assert_int_equal(run_reply(), 9);
	assert_memory_equal(out, "sub/small", 9);
	struct lux_stat st;
	assert_int_equal(do_stat("big", 0, &st), 0);
	assert_int_equal(st.nlink, 2);
	umount_check();
	memcpy(want + 1000, "CHANGED", 7);
	snprintf(path, sizeof(path), "%s/src/big", dir_path);
	f = fopen(path, "wb");
	fwrite(want, 1, sizeof(want), f);
	fclose(f);
	assert_int_equal(
	    sh("debugfs -R 'cat /big' %s 2>/dev/null | cmp - %s", img, path),
	    0);
}

/* A crash: what fsync wrote is there after a restart; what came after
 * may be lost, and e2fsck can repair the image (-fy), clean after. */
static void test_restart(void **state)
{
	(void)state;
	mkfs(1024, 8192, "");
	write_file("kept", 200000, 3);
	int64_t h = do_open("kept", O_RD, 0);
	req(LUX_FSYNC, NULL, NULL)->handle = h;
	assert_int_equal(run_reply(), 0);
	do_close(h);
	write_file("maybe", 300000, 4);
	assert_int_equal(do_mkdir("newdir", 0755), 0);
	ext2_drop(&fs); /* killed: nothing more is written */
	close(img_fd);
	int rc = sh("e2fsck -fy %s >%s/fsck.log 2>&1", img, dir_path);
	assert_true(rc == 0 || rc == 1);
	fsck_clean();
	img_fd = open(img, O_RDWR);
	assert_int_equal(ext2_mount(&fs, img_fd, CACHE), 0);
	check_file("kept", 200000, 3);
	umount_check();
}

/* Work on top of a synced state: new files, a directory tree, a rename,
 * an unlink, a file removed while open, a symbolic link. */
static void crash_workload(void)
{
	write_file("new1", 20000, 11);
	assert_int_equal(do_mkdir("nd", 0755), 0);
	assert_int_equal(do_mkdir("nd/sub", 0755), 0);
	write_file("nd/sub/f", 5000, 12);
	assert_int_equal(do_rename("nd/sub", "moved", 0), 0);
	assert_int_equal(do_unlink("a/gone", 0), 0);
	assert_int_equal(do_symlink("nd/ln", "../moved/f"), 0);
	int64_t h = do_open("new1", O_RD, 0);
	assert_true(h > 0);
	assert_int_equal(do_unlink("new1", 0), 0); /* open at the crash */
}

/* A crash after every number of block writes of a sync: e2fsck -fy
 * repairs what is left (exit 0 or 1, never "uncorrected"), finds it
 * clean after, and the files synced before read back the same. */
static void test_crash_points(void **state)
{
	(void)state;
	bool done = false;
	int points = 0, repaired = 0;
	for (uint64_t n = 1; !done; n += n / 8 + 1) {
		mkfs(1024, 4096, "");
		assert_int_equal(do_mkdir("a", 0755), 0);
		write_file("a/kept", 70000, 21);
		write_file("a/gone", 3000, 22);
		assert_int_equal(ext2_sync(&fs), 0);
		crash_workload();
		fs.dev.fail_at = fs.dev.writes + n;
		done = ext2_sync(&fs) == 0;
		ext2_drop(&fs);
		close(img_fd);
		img_fd = -1;
		int rc = sh("e2fsck -fy %s >%s/fsck.log 2>&1", img, dir_path);
		if (rc != 0 && rc != 1)
			fail_msg("crash after %llu writes: e2fsck -fy exit %d",
				 (unsigned long long)n, rc);
		repaired += rc == 1;
		points++;
		fsck_clean();
		img_fd = open(img, O_RDWR);
		assert_int_equal(ext2_mount(&fs, img_fd, CACHE), 0);
		check_file("a/kept", 70000, 21);
		umount_fs();
	}
	/* A crash among the data blocks (written first) leaves the last
	 * synced state, clean; a crash among the metadata, or after the
	 * sync with a removed file still open, leaves work for e2fsck. */
	fprintf(stderr, "# %d crash points, %d repaired\n", points, repaired);
	assert_true(points >= 5 && repaired >= 2);
}

/* Write size bytes of pattern seed through the open handle h. */
static void write_open(int64_t h, uint64_t size, uint32_t seed)
{
	static char buf[LUX_MAX_DATA];

	for (uint64_t off = 0; off < size; off += LUX_MAX_DATA) {
		size_t n =
		    size - off < LUX_MAX_DATA ? size - off : LUX_MAX_DATA;
		fill_pat(buf, off, n, seed);
		assert_int_equal(do_write(h, off, buf, n), n);
	}
}

/* The orphan list: a file removed while open and an O_TMPFILE file,
 * written, synced (on the disk with no link), then a crash; the next
 * mount frees both: e2fsck -fn finds the image clean and every block
 * and inode is free again. A linked O_TMPFILE file leaves the list. */
static void test_orphans(void **state)
{
	(void)state;
	struct lux_statfs before, after;
	mkfs(1024, 8192, "");
	do_statfs(&before);
	write_file("gone", 400 * 1024, 31);
	int64_t h = do_open("gone", O_RW, 0);
	assert_true(h > 0);
	assert_int_equal(do_unlink("gone", 0), 0);
	write_open(h, 500 * 1024, 32);
	int64_t t = do_open("#00000000000000a1", O_RW | LUX_O_TMPFILE, 0600);
	assert_true(t > 0);
	write_open(t, 300 * 1024, 33);
	int64_t k = do_open("#00000000000000b2", O_RW | LUX_O_TMPFILE, 0600);
	assert_true(k > 0);
	write_open(k, 100 * 1024, 34);
	assert_int_equal(do_link("#00000000000000b2", "kept"), 0);
	assert_int_equal(ext2_sync(&fs), 0); /* the idle write-back */
	ext2_drop(&fs);                      /* killed with all three open */
	close(img_fd);
	img_fd = open(img, O_RDWR);
	assert_int_equal(ext2_mount(&fs, img_fd, CACHE), 0);
	check_file("kept", 100 * 1024, 34);
	assert_int_equal(do_unlink("kept", 0), 0);
	do_statfs(&after);
	assert_int_equal(after.bfree, before.bfree);
	assert_int_equal(after.ffree, before.ffree);
	umount_check();
}

/* A 64 MiB file by checksum, both ways; its throughput goes to stderr. */
static void test_64mib(void **state)
{
	(void)state;
	mkfs(4096, 100 << 10, "");
	uint64_t size = 64ull << 20;
	struct timespec t0, t1, t2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	write_file("big", size, 64);
	assert_int_equal(ext2_sync(&fs), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	check_file("big", size, 64);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	double w = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	double r = t2.tv_sec - t1.tv_sec + (t2.tv_nsec - t1.tv_nsec) / 1e9;
	fprintf(stderr,
		"# 64 MiB: write+sync %.0f MiB/s, read %.0f MiB/s "
		"(with the test's pattern work)\n",
		64 / w, 64 / r);
	umount_check();
	host_check("big", size, 64);
}

/* The physical block of logical block lb of the file at path. */
static uint32_t phys_of(const char *path, uint64_t lb)
{
	int64_t h = do_open(path, O_RD, 0);
	uint32_t pb;
	bool fresh;

	assert_true(h > 0);
	assert_int_equal(data_map(&fs, ifind(&fs, h), lb, false, &pb, &fresh),
			 0);
	do_close(h);
	assert_true(pb != 0);
	return pb;
}

/* Read-ahead: a block written, written back and dropped from the cache
 * while a read-ahead that covers it is in flight (its read done before
 * the write) must not come back with the read-ahead's older copy; a
 * read-ahead nothing wrote to fills the cache. */
static void test_readahead_stale(void **state)
{
	(void)state;
	mkfs(4096, 8192, "");
	write_file("f", 64 * 4096, 5);
	remount();
	uint32_t pb = phys_of("f", 4), last = fs.sb.s_blocks_count - 1;
	ahead_start(&fs, pb, 8);
	ahead_settle(&fs.cache); /* the old contents are read */
	struct cbuf *b = bget(&fs, pb, false);
	assert_non_null(b);
	memset(b->data, 0xab, fs.bsize);
	bdirty(&fs, b, CLS_DATA);
	bput(b);
	assert_int_equal(cache_flush(&fs), 0);
	for (uint32_t i = 0; i < fs.cache.nbuf; i++) /* pb out */
		bput(bget(&fs, last - i, false));
	assert_false(cache_has(&fs, pb));
	ahead_collect(&fs);
	assert_non_null(b = bget(&fs, pb, false));
	assert_int_equal(b->data[0], 0xab);
	assert_int_equal(b->data[fs.bsize - 1], 0xab);
	bput(b);
	pb = phys_of("f", 20);
	ahead_start(&fs, pb, 8);
	ahead_collect(&fs);
	for (uint32_t i = 0; i < 8; i++)
		assert_true(cache_has(&fs, pb + i));
}

/* Read-ahead when the device's driver died (reads fail): the read is
 * dropped, the server opens the device again, and reads and later
 * read-aheads go on through the new descriptor. */
static void test_readahead_reopen(void **state)
{
	(void)state;
	mkfs(4096, 8192, "");
	write_file("f", 64 * 4096, 6);
	remount();
	uint32_t pb = phys_of("f", 0);
	int dead = open(img, O_WRONLY); /* reads fail: EBADF */
	assert_true(dead >= 0);
	fs.dev.fd = dead;
	fs.dev.path = img;
	fs.dev.reopens++;
	ahead_start(&fs, pb, 8);
	ahead_collect(&fs);
	assert_false(cache_has(&fs, pb));
	check_file("f", 64 * 4096, 6);
	assert_int_equal(fs.dev.reopens, 2);
	assert_true(fs.dev.fd != dead);
	pb = phys_of("f", 40);
	remount(); /* the cache empty, the image's descriptor again */
	ahead_start(&fs, pb, 8);
	ahead_collect(&fs);
	assert_true(cache_has(&fs, pb + 7));
}

int main(void)
{
	/* e2fsprogs lives in /sbin, which a user's PATH may lack. */
	char path[4096];
	snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin", getenv("PATH"));
	setenv("PATH", path, 1);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_files_1k),         T(test_files_4k), T(test_sparse_truncate),
	    T(test_directories),      T(test_rename),   T(test_links),
	    T(test_permissions),      T(test_statfs),   T(test_enospc),
	    T(test_host_files),       T(test_times),    T(test_restart),
	    T(test_crash_points),     T(test_64mib),    T(test_readahead_stale),
	    T(test_readahead_reopen), T(test_orphans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
