/*
 * file: file semantics on the root file system, as a program relies on
 * them. Reading and writing (append, pread, pwrite, lseek with SEEK_DATA
 * and SEEK_HOLE, holes), truncate,
 * the open flags (O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW),
 * directories, unlink while open, hard and symbolic links, rename,
 * getdents64, timestamps, the working directory and dirfds, umask, statfs,
 * access, shared offsets, sendfile, a 16 MiB file, the error names, a
 * Unix socket bound to a path, FIFOs (mkfifo: opens that wait for the
 * other side, EOF, EPIPE), and fcntl's lease and owner answers.
 *
 * Every case works in a fresh directory under /tmp made by main (the
 * program's working directory), named by the pid, and cleans up after
 * itself only where a later case would trip over what it left.
 */
#include "utest.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG_SIZE (16 << 20)

static char top[64]; /* the scratch directory, absolute */

/* ---- helpers -------------------------------------------------------- */

/* Create (or replace) path with the text s; return 0 or -1. */
static int put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* The whole content of path (up to size - 1 bytes) as a string in buf,
 * or "<errno name>" if it cannot be opened or read. */
static const char *get(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (n < 0) {
		snprintf(buf, size, "<%s>", ut_errno_name(errno));
	} else {
		buf[n] = 0;
	}
	if (fd >= 0)
		close(fd);
	return buf;
}

#define CHECK_CONTENT(path, want)                                              \
	do {                                                                   \
		char buf_[256];                                                \
		const char *got_ = get(path, buf_, sizeof(buf_));              \
		if (strcmp(got_, want) != 0) {                                 \
			ut_fail("line %d: %s holds \"%s\", expected \"%s\"",   \
				__LINE__, path, got_, want);                   \
			return;                                                \
		}                                                              \
	} while (0)

static long sys_getdents64(int fd, void *buf, size_t size)
{
	return syscall(SYS_getdents64, fd, buf, size);
}

static long sys_renameat2(const char *from, const char *to, unsigned flags)
{
	return syscall(SYS_renameat2, (long)AT_FDCWD, from, (long)AT_FDCWD, to,
		       flags);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* ---- reading and writing -------------------------------------------- */

static void create_read(void)
{
	int fd = open("cr", O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "hello, world", 12), 12);
	CHECK_EQ(close(fd), 0);
	char buf[32];
	fd = open("cr", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 12);
	CHECK(memcmp(buf, "hello, world", 12) == 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	CHECK_ERR(write(fd, "x", 1), EBADF);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 12);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, geteuid());
	close(fd);
	fd = open("cr", O_WRONLY);
	CHECK_ERR(read(fd, buf, 1), EBADF);
	close(fd);
}

static void append(void)
{
	CHECK_EQ(put("ap", "abc"), 0);
	int fd = open("ap", O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "def", 3), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	int other = open("ap", O_WRONLY);
	CHECK_EQ(write(other, "XY", 2), 2); /* overwrites at 0 */
	close(other);
	CHECK_EQ(write(fd, "gh", 2), 2);
	close(fd);
	CHECK_CONTENT("ap", "XYcdefgh");
}

static void pread_pwrite(void)
{
	CHECK_EQ(put("pp", "0123456789abcdef"), 0);
	int fd = open("pp", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 2, SEEK_SET), 2);
	CHECK_EQ(pwrite(fd, "XYZ", 3, 10), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 4, 9), 4);
	CHECK(memcmp(buf, "9XYZ", 4) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 2);
	CHECK_EQ(pread(fd, buf, 8, 14), 2);
	CHECK_EQ(pread(fd, buf, 8, 100), 0);
	CHECK_ERR(pread(fd, buf, 1, -1), EINVAL);
	CHECK_EQ(read(fd, buf, 2), 2);
	CHECK(memcmp(buf, "23", 2) == 0);
	close(fd);
	CHECK_CONTENT("pp", "0123456789XYZdef");
}

/* SEEK_DATA and SEEK_HOLE on a file without holes: data from the offset
 * to the end, where the only hole begins; ENXIO at or past the end. */
static void seek_data_hole(void)
{
	CHECK_EQ(put("sdh", "0123456789"), 0);
	int fd = open("sdh", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 0);
	CHECK_EQ(lseek(fd, 4, SEEK_DATA), 4);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4);
	CHECK_EQ(lseek(fd, 3, SEEK_HOLE), 10);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
	CHECK_EQ(lseek(fd, 9, SEEK_HOLE), 10);
	CHECK_ERR(lseek(fd, 10, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, 10, SEEK_HOLE), ENXIO);
	CHECK_ERR(lseek(fd, 50, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, -1, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, -1, SEEK_HOLE), ENXIO);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
	close(fd);
	fd = open("sdh-empty", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_ERR(lseek(fd, 0, SEEK_DATA), ENXIO);
	CHECK_ERR(lseek(fd, 0, SEEK_HOLE), ENXIO);
	close(fd);
}

/* Linux's struct statx. */
struct sx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad;
	uint64_t ino, size, blocks, attributes_mask;
	struct {
		int64_t sec;
		uint32_t nsec;
		int32_t pad;
	} atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t spare[14];
};

/* Whether statx's x and stat's st describe one file alike. */
static int sx_matches(const struct sx *x, const struct stat *st)
{
	return (x->mask & 0x7ff) == 0x7ff && x->mode == st->st_mode &&
	       x->ino == st->st_ino && x->size == (uint64_t)st->st_size &&
	       x->nlink == st->st_nlink && x->uid == st->st_uid &&
	       x->gid == st->st_gid && x->rdev_major == major(st->st_rdev) &&
	       x->rdev_minor == minor(st->st_rdev) &&
	       x->dev_major == major(st->st_dev) &&
	       x->dev_minor == minor(st->st_dev) &&
	       x->mtime.sec == st->st_mtim.tv_sec &&
	       x->mtime.nsec == (uint32_t)st->st_mtim.tv_nsec;
}

/* statx on every file system (this directory's, /dev, /proc, the root)
 * and on a pipe (AT_EMPTY_PATH) agrees with stat and fstat; flags and
 * mask are checked as Linux checks them. */
static void statx_everywhere(void)
{
	const char *paths[] = {"sxf",   ".", "/dev/null", "/proc/self/stat",
			       "/proc", "/"};
	struct stat st;
	struct sx x;
	int p[2];

	CHECK_EQ(put("sxf", "statx"), 0);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		memset(&x, 0xa5, sizeof(x));
		CHECK_EQ(syscall(SYS_statx, AT_FDCWD, paths[i], 0, 0x7ffL, &x),
			 0);
		CHECK_EQ(stat(paths[i], &st), 0);
		if (!sx_matches(&x, &st))
			return ut_fail("statx of %s differs from stat",
				       paths[i]);
	}
	CHECK_EQ(pipe(p), 0);
	int r = syscall(SYS_statx, p[0], "", AT_EMPTY_PATH, 0x7ffL, &x);
	CHECK_EQ(fstat(p[0], &st), 0);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(r, 0);
	CHECK(sx_matches(&x, &st) && S_ISFIFO(x.mode));
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "sxf", 0x6000L, 0x7ffL, &x),
		  EINVAL);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "sxf", 0x1L, 0x7ffL, &x),
		  EINVAL);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "sxf", 0L, 0x80000000L, &x),
		  EINVAL);
	CHECK_EQ(syscall(SYS_statx, AT_FDCWD, "sxf", 0x2000L, 0L, &x), 0);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "sxf", 0L, 0x7ffL, (void *)8),
		  EFAULT);
	CHECK_ERR(syscall(SYS_statx, AT_FDCWD, "no-sxf", 0L, 0x7ffL, &x),
		  ENOENT);
}

/* Whether /proc/mounts shows the mount on a path ending in name with
 * options starting with opts. */
static int mounted_as(const char *name, const char *opts)
{
	static char buf[16384];
	int fd = open("/proc/mounts", O_RDONLY), found = 0;
	long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char dev[256], dir[256], type[64], o[256];
		size_t len = strlen(name);
		if (sscanf(l, "%255s %255s %63s %255s", dev, dir, type, o) ==
			4 &&
		    strlen(dir) >= len &&
		    !strcmp(dir + strlen(dir) - len, name))
			found = !strncmp(o, opts, strlen(opts));
	}
	return found;
}

/* The changes a read-only mount refuses with EROFS, checked after each
 * name is there; reading works, a name that exists is EEXIST, a lookup
 * that fails first is ENOENT, and a link out of the mount still leads
 * to a file that may be written. */
static void read_only_refused(void)
{
	char buf[8];
	CHECK_ERR(open("rom/f", O_WRONLY), EROFS);
	CHECK_ERR(open("rom/f", O_RDONLY | O_TRUNC), EROFS);
	CHECK_ERR(open("rom/new", O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_ERR(creat("rom/new", 0644), EROFS);
	int fd = open("rom/f", O_RDONLY | O_CREAT, 0644); /* it is there */
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 2);
	close(fd);
	CHECK_ERR(mkdir("rom/d2", 0755), EROFS);
	CHECK_ERR(mkdir("rom/d", 0755), EEXIST);
	CHECK_ERR(unlink("rom/f"), EROFS);
	CHECK_ERR(unlink("rom/none"), EROFS);
	CHECK_ERR(rmdir("rom/d"), EROFS);
	CHECK_ERR(rename("rom/f", "rom/g"), EROFS);
	CHECK_ERR(link("rom/f", "rom/h"), EROFS);
	CHECK_ERR(symlink("x", "rom/s"), EROFS);
	CHECK_ERR(mknod("rom/p", S_IFIFO | 0644, 0), EROFS);
	CHECK_ERR(chmod("rom/f", 0600), EROFS);
	CHECK_ERR(chown("rom/f", 1, 1), EROFS);
	CHECK_ERR(utimes("rom/f", NULL), EROFS);
	CHECK_ERR(truncate("rom/f", 0), EROFS);
	CHECK_ERR(access("rom/f", W_OK), EROFS);
	CHECK_EQ(access("rom/f", R_OK), 0);
	CHECK_ERR(chmod("rom/none", 0600), ENOENT);
	CHECK_EQ(put("rom/out", "through"), 0); /* ../outside, writable */
	CHECK_CONTENT("outside", "through");
	CHECK(mounted_as("/rom", "ro"));
}

/* mount -o ro, remount rw, remount ro (tmpfs): while read-only every
 * change is EROFS; /proc/mounts says ro or rw. */
static void read_only_mount(void)
{
	CHECK_EQ(mkdir("rom", 0755), 0);
	CHECK_EQ(put("outside", "x"), 0);
	CHECK_EQ(mount("none", "rom", "tmpfs", MS_RDONLY, NULL), 0);
	int created = creat("rom/f", 0644), err = errno;
	int made = mkdir("rom/d", 0755), merr = errno;
	int rw = mount("none", "rom", "tmpfs", MS_REMOUNT, NULL);
	int after = put("rom/f", "ab") == 0 && mkdir("rom/d", 0755) == 0 &&
		    symlink("../outside", "rom/out") == 0 &&
		    mounted_as("/rom", "rw");
	int ro = mount("none", "rom", "tmpfs", MS_REMOUNT | MS_RDONLY, NULL);
	if (created < 0 && err == EROFS && made < 0 && merr == EROFS && !rw &&
	    after && !ro)
		read_only_refused();
	umount("rom");
	rmdir("rom");
	CHECK(created < 0 && err == EROFS);
	CHECK(made < 0 && merr == EROFS);
	CHECK_EQ(rw, 0);
	CHECK(after);
	CHECK_EQ(ro, 0);
}

static void seek(void)
{
	CHECK_EQ(put("sk", "0123456789"), 0);
	int fd = open("sk", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, -3, SEEK_END), 7);
	char c;
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, '7');
	CHECK_EQ(lseek(fd, 1, SEEK_CUR), 9);
	CHECK_EQ(lseek(fd, 0, SEEK_END), 10);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	CHECK_EQ(read(fd, &c, 1), 0);
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERR(lseek(fd, -11, SEEK_END), EINVAL);
	CHECK_ERR(lseek(fd, 0, 77), EINVAL);
	close(fd);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	long r = lseek(p[0], 0, SEEK_SET);
	int err = errno;
	close(p[0]);
	close(p[1]);
	errno = err;
	CHECK_ERR(r, ESPIPE);
}

static void sparse(void)
{
	int fd = open("hole", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "a", 1), 1);
	CHECK_EQ(lseek(fd, 8 << 20, SEEK_SET), 8 << 20);
	CHECK_EQ(write(fd, "z", 1), 1);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, (8 << 20) + 1);
	/* Two written bytes, far apart: a few pages, not 8 MiB. */
	if (st.st_blocks * 512 > 256 * 1024) {
		close(fd);
		return ut_fail("a sparse 8 MiB file uses %lld blocks of 512",
			       (long long)st.st_blocks);
	}
	static char buf[65536];
	memset(buf, 0x55, sizeof(buf));
	CHECK_EQ(pread(fd, buf, sizeof(buf), 4 << 20), (long)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i]) {
			close(fd);
			return ut_fail("hole byte %zu is %#x", i, buf[i]);
		}
	CHECK_EQ(pread(fd, buf, 4, (8 << 20) - 2), 3);
	CHECK(memcmp(buf, "\0\0z", 3) == 0);
	close(fd);
	unlink("hole");
}

static void truncate_file(void)
{
	CHECK_EQ(put("tr", "abcdefgh"), 0);
	CHECK_EQ(truncate("tr", 3), 0);
	CHECK_CONTENT("tr", "abc");
	CHECK_EQ(truncate("tr", 100), 0);
	struct stat st;
	CHECK_EQ(stat("tr", &st), 0);
	CHECK_EQ(st.st_size, 100);
	char buf[128];
	int fd = open("tr", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 100);
	CHECK(memcmp(buf, "abc", 3) == 0);
	for (int i = 3; i < 100; i++)
		CHECK_EQ(buf[i], 0);
	/* Shrink, grow again: the cut bytes must not come back. */
	CHECK_EQ(ftruncate(fd, 1), 0);
	CHECK_EQ(ftruncate(fd, 5), 0);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 5);
	CHECK(memcmp(buf, "a\0\0\0\0", 5) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 100); /* the offset stays */
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	close(fd);
	fd = open("tr", O_RDONLY);
	CHECK_ERR(ftruncate(fd, 0), EINVAL);
	close(fd);
	CHECK_ERR(truncate("nonexistent", 0), ENOENT);
	CHECK_EQ(mkdir("trdir", 0755), 0);
	CHECK_ERR(truncate("trdir", 0), EISDIR);
}

/* ---- open flags ----------------------------------------------------- */

static void excl_trunc(void)
{
	CHECK_EQ(put("ex", "data"), 0);
	CHECK_ERR(open("ex", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	CHECK_EQ(symlink("missing-target", "ex-dangling"), 0);
	CHECK_ERR(open("ex-dangling", O_WRONLY | O_CREAT | O_EXCL, 0644),
		  EEXIST);
	CHECK_CONTENT("ex", "data");
	int fd = open("ex", O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 0);
	close(fd);
	CHECK_ERR(open("ex-new", O_RDONLY), ENOENT);
	fd = open("ex-new", O_RDONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(stat("ex-new", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
}

static void directory_flags(void)
{
	CHECK_EQ(put("df", "x"), 0);
	CHECK_EQ(mkdir("dd", 0755), 0);
	CHECK_ERR(open("df", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERR(open("df/x", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("df/x", O_WRONLY | O_CREAT, 0644), ENOTDIR);
	CHECK_ERR(mkdir("df/x", 0755), ENOTDIR);
	CHECK_ERR(open("dd", O_WRONLY), EISDIR);
	CHECK_ERR(open("dd", O_RDWR), EISDIR);
	int fd = open("dd", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	char c;
	CHECK_ERR(read(fd, &c, 1), EISDIR);
	close(fd);
}

/* F_GETFL gives back the flags open kept, with the values of the
 * platform's <fcntl.h> (arm64's O_DIRECTORY, O_NOFOLLOW, O_DIRECT and
 * O_LARGEFILE are not x86_64's); O_LARGEFILE always, as Linux forces it
 * on 64-bit platforms (and musl adds it). */
static void getfl_flags(void)
{
	int seen = O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY |
		   O_NOFOLLOW | O_DIRECT | O_LARGEFILE;
	int d, f;

	CHECK_EQ(mkdir("gf", 0755), 0);
	CHECK_EQ(put("gf/f", "x"), 0);
	CHECK((d = open("gf", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) >= 0);
	CHECK_EQ(fcntl(d, F_GETFL) & seen,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_LARGEFILE);
	CHECK((f = open("gf/f", O_WRONLY | O_APPEND)) >= 0);
	CHECK_EQ(fcntl(f, F_GETFL) & seen, O_WRONLY | O_APPEND | O_LARGEFILE);
	CHECK_EQ(fcntl(f, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(fcntl(f, F_GETFL) & seen, O_WRONLY | O_NONBLOCK | O_LARGEFILE);
	close(d);
	close(f);
}

static void mkdir_rmdir(void)
{
	CHECK_EQ(mkdir("md", 0755), 0);
	CHECK_ERR(mkdir("md", 0755), EEXIST);
	struct stat st;
	CHECK_EQ(stat("md", &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(mkdir("md/sub", 0755), 0);
	CHECK_EQ(stat("md", &st), 0);
	CHECK_EQ(st.st_nlink, 3);
	CHECK_EQ(put("md/sub/f", "x"), 0);
	CHECK_ERR(rmdir("md"), ENOTEMPTY);
	CHECK_ERR(rmdir("md/sub/f"), ENOTDIR);
	CHECK_ERR(unlink("md/sub"), EISDIR);
	CHECK_ERR(rmdir("md/nothing"), ENOENT);
	CHECK_ERR(rmdir("md/sub/."), EINVAL);
	CHECK_EQ(unlink("md/sub/f"), 0);
	CHECK_EQ(rmdir("md/sub"), 0);
	CHECK_EQ(rmdir("md"), 0);
	CHECK_ERR(stat("md", &st), ENOENT);
	CHECK_ERR(mkdir("no/such/parent", 0755), ENOENT);
}

static void unlink_open(void)
{
	CHECK_EQ(put("uo", "still here"), 0);
	int fd = open("uo", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(unlink("uo"), 0);
	struct stat st;
	CHECK_ERR(stat("uo", &st), ENOENT);
	CHECK_ERR(unlink("uo"), ENOENT);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_nlink, 0);
	char buf[16] = {0};
	CHECK_EQ(read(fd, buf, sizeof(buf)), 10);
	CHECK(memcmp(buf, "still here", 10) == 0);
	CHECK_EQ(pwrite(fd, "STILL", 5, 0), 5);
	CHECK_EQ(pread(fd, buf, 5, 0), 5);
	CHECK(memcmp(buf, "STILL", 5) == 0);
	/* A new file of the same name is a different file. */
	CHECK_EQ(put("uo", "new"), 0);
	CHECK_CONTENT("uo", "new");
	CHECK_EQ(pread(fd, buf, 5, 0), 5);
	CHECK(memcmp(buf, "STILL", 5) == 0);
	close(fd);
}

/* ---- links ---------------------------------------------------------- */

static void hard_link(void)
{
	CHECK_EQ(put("h1", "one"), 0);
	CHECK_EQ(link("h1", "h2"), 0);
	struct stat a, b;
	CHECK_EQ(stat("h1", &a), 0);
	CHECK_EQ(stat("h2", &b), 0);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_nlink, 2);
	CHECK_EQ(b.st_nlink, 2);
	int fd = open("h2", O_WRONLY | O_APPEND);
	CHECK_EQ(write(fd, "+two", 4), 4);
	close(fd);
	CHECK_CONTENT("h1", "one+two");
	CHECK_ERR(link("h1", "h2"), EEXIST);
	CHECK_ERR(link("nonexistent", "h3"), ENOENT);
	CHECK_EQ(mkdir("hd", 0755), 0);
	CHECK_ERR(link("hd", "hd2"), EPERM);
	CHECK_EQ(unlink("h1"), 0);
	CHECK_EQ(stat("h2", &b), 0);
	CHECK_EQ(b.st_nlink, 1);
	CHECK_CONTENT("h2", "one+two");
}

static void symbolic_link(void)
{
	CHECK_EQ(put("starget", "through the link"), 0);
	CHECK_EQ(symlink("starget", "slink"), 0);
	struct stat st, lst;
	CHECK_EQ(stat("slink", &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 16);
	CHECK_EQ(lstat("slink", &lst), 0);
	CHECK(S_ISLNK(lst.st_mode));
	CHECK_EQ(lst.st_size, 7); /* strlen("starget") */
	char buf[64];
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(readlink("slink", buf, sizeof(buf)), 7);
	CHECK(memcmp(buf, "starget", 7) == 0 && buf[7] == 'x');
	CHECK_EQ(readlink("slink", buf, 3), 3); /* truncated, no error */
	/* the kernel refuses sizes <= 0 as an int (musl's readlink() turns
	 * 0 into a 1-byte buffer and returns 0, on Linux too) */
#ifdef SYS_readlink
	CHECK_ERR(syscall(SYS_readlink, "slink", buf, 0L), EINVAL);
#endif
	CHECK_ERR(syscall(SYS_readlinkat, AT_FDCWD, "slink", buf, 0L), EINVAL);
	CHECK_ERR(syscall(SYS_readlinkat, AT_FDCWD, "slink", buf, -1L), EINVAL);
	CHECK_ERR(syscall(SYS_readlinkat, AT_FDCWD, "slink", buf, 1L << 32),
		  EINVAL);
	CHECK_ERR(syscall(SYS_readlinkat, AT_FDCWD, "slink", buf, INT_MIN),
		  EINVAL);
	CHECK_EQ(
	    syscall(SYS_readlinkat, AT_FDCWD, "slink", buf, (1L << 32) | 3), 3);
	CHECK_ERR(readlink("starget", buf, sizeof(buf)), EINVAL);
	CHECK_CONTENT("slink", "through the link");
	CHECK_ERR(open("slink", O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERR(symlink("x", "slink"), EEXIST);
	/* A loop. */
	CHECK_EQ(symlink("loop-b", "loop-a"), 0);
	CHECK_EQ(symlink("loop-a", "loop-b"), 0);
	CHECK_ERR(open("loop-a", O_RDONLY), ELOOP);
	CHECK_ERR(stat("loop-a/x", &st), ELOOP);
	/* Relative targets resolve from the link's own directory. */
	CHECK_EQ(mkdir("sdir", 0755), 0);
	CHECK_EQ(mkdir("sdir/in", 0755), 0);
	CHECK_EQ(symlink("../starget", "sdir/up"), 0);
	CHECK_CONTENT("sdir/up", "through the link");
	CHECK_EQ(symlink("in", "sdir/down"), 0);
	CHECK_EQ(put("sdir/down/f", "inside"), 0);
	CHECK_CONTENT("sdir/in/f", "inside");
	/* ".." after a link to a directory: the kernel may remove it by
	 * name (lexically) or by the link's target; both reach this file. */
	CHECK_EQ(symlink(top, "sdir/abs"), 0);
	char path[128];
	snprintf(path, sizeof(path), "sdir/abs/sdir/in/f");
	CHECK_CONTENT(path, "inside");
	CHECK_EQ(symlink("nowhere", "sdangling"), 0);
	CHECK_ERR(stat("sdangling", &st), ENOENT);
	CHECK_EQ(lstat("sdangling", &st), 0);
	/* unlink removes the link, not the target. */
	CHECK_EQ(unlink("slink"), 0);
	CHECK_CONTENT("starget", "through the link");
}

/* ---- rename --------------------------------------------------------- */

static void rename_file(void)
{
	CHECK_EQ(put("rn-a", "A"), 0);
	CHECK_EQ(put("rn-b", "B"), 0);
	struct stat a, st;
	CHECK_EQ(stat("rn-a", &a), 0);
	CHECK_EQ(rename("rn-a", "rn-b"), 0);
	CHECK_ERR(stat("rn-a", &st), ENOENT);
	CHECK_EQ(stat("rn-b", &st), 0);
	CHECK_EQ(st.st_ino, a.st_ino);
	CHECK_CONTENT("rn-b", "A");
	CHECK_EQ(rename("rn-b", "rn-b"), 0);
	CHECK_CONTENT("rn-b", "A");
	CHECK_ERR(rename("rn-none", "rn-x"), ENOENT);
	CHECK_EQ(put("rn-c", "C"), 0);
	CHECK_ERR(sys_renameat2("rn-c", "rn-b", 1 /* RENAME_NOREPLACE */),
		  EEXIST);
	CHECK_CONTENT("rn-b", "A");
	CHECK_EQ(sys_renameat2("rn-c", "rn-d", 1), 0);
	CHECK_CONTENT("rn-d", "C");
	/* Across directories. */
	CHECK_EQ(mkdir("rn-dir", 0755), 0);
	CHECK_EQ(rename("rn-d", "rn-dir/d"), 0);
	CHECK_CONTENT("rn-dir/d", "C");
}

static void rename_dir(void)
{
	CHECK_EQ(mkdir("rd-a", 0755), 0);
	CHECK_EQ(put("rd-a/f", "f"), 0);
	CHECK_EQ(mkdir("rd-empty", 0755), 0);
	CHECK_EQ(rename("rd-a", "rd-empty"), 0); /* over an empty dir */
	CHECK_CONTENT("rd-empty/f", "f");
	CHECK_EQ(mkdir("rd-b", 0755), 0);
	CHECK_ERR(rename("rd-b", "rd-empty"), ENOTEMPTY);
	CHECK_EQ(put("rd-file", "x"), 0);
	CHECK_ERR(rename("rd-file", "rd-b"), EISDIR);
	CHECK_ERR(rename("rd-b", "rd-file"), ENOTDIR);
	CHECK_EQ(mkdir("rd-empty/sub", 0755), 0);
	CHECK_ERR(rename("rd-empty", "rd-empty/sub/x"), EINVAL);
	CHECK_ERR(rename("rd-empty", "rd-empty/x"), EINVAL);
	CHECK_EQ(rename("rd-empty", "rd-moved"), 0);
	CHECK_CONTENT("rd-moved/f", "f");
	struct stat st;
	CHECK_EQ(stat("rd-moved/sub", &st), 0);
	CHECK_ERR(stat("rd-empty", &st), ENOENT);
}

/* ---- directories ---------------------------------------------------- */

#define GD_FILES 60

static void dir_entries(void)
{
	CHECK_EQ(mkdir("gd", 0755), 0);
	char name[64];
	for (int i = 0; i < GD_FILES; i++) {
		snprintf(name, sizeof(name), "gd/file-%02d-with-a-long-name",
			 i);
		CHECK_EQ(put(name, ""), 0);
	}
	CHECK_EQ(mkdir("gd/sub", 0755), 0);
	CHECK_EQ(symlink("file-00-with-a-long-name", "gd/lnk"), 0);
	int fd = open("gd", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	char tiny[8];
	CHECK_ERR(sys_getdents64(fd, tiny, sizeof(tiny)), EINVAL);
	int seen[GD_FILES] = {0}, dot = 0, dotdot = 0, sub = 0, lnk = 0;
	char buf[256]; /* small: many calls, each continuing the last */
	long n;
	int calls = 0;
	while ((n = sys_getdents64(fd, buf, sizeof(buf))) > 0) {
		calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			int i;
			if (!strcmp(d->d_name, "."))
				dot++;
			else if (!strcmp(d->d_name, ".."))
				dotdot++;
			else if (!strcmp(d->d_name, "sub"))
				sub += d->d_type == DT_DIR ? 1 : 100;
			else if (!strcmp(d->d_name, "lnk"))
				lnk += d->d_type == DT_LNK ? 1 : 100;
			else if (sscanf(d->d_name, "file-%d-", &i) == 1 &&
				 i >= 0 && i < GD_FILES && d->d_type == DT_REG)
				seen[i]++;
			else
				ut_fail("unexpected entry \"%s\" type %d",
					d->d_name, d->d_type);
			off += d->d_reclen;
		}
	}
	int err = errno;
	CHECK_EQ(sys_getdents64(fd, buf, sizeof(buf)), 0); /* stays at end */
	close(fd);
	errno = err;
	CHECK_EQ(n, 0);
	CHECK(calls > 1);
	CHECK_EQ(dot, 1);
	CHECK_EQ(dotdot, 1);
	CHECK_EQ(sub, 1);
	CHECK_EQ(lnk, 1);
	for (int i = 0; i < GD_FILES; i++)
		if (seen[i] != 1)
			return ut_fail("file-%02d seen %d times", i, seen[i]);
	fd = open("gd/file-00-with-a-long-name", O_RDONLY);
	CHECK_ERR(sys_getdents64(fd, buf, sizeof(buf)), ENOTDIR);
	close(fd);
	/* readdir (libc over getdents64) after a rewind sees them again. */
	DIR *d = opendir("gd");
	CHECK(d != NULL);
	int count = 0;
	for (struct dirent *e; (e = readdir(d));)
		count++;
	rewinddir(d);
	int again = 0;
	for (struct dirent *e; (e = readdir(d));)
		again++;
	closedir(d);
	CHECK_EQ(count, GD_FILES + 4);
	CHECK_EQ(again, count);
}

static void timestamps(void)
{
	CHECK_EQ(put("ts", "x"), 0);
	struct timespec t[2] = {{1000, 500}, {2000, 700}};
	CHECK_EQ(utimensat(AT_FDCWD, "ts", t, 0), 0);
	struct stat st;
	CHECK_EQ(stat("ts", &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	CHECK_EQ(st.st_atim.tv_nsec, 500);
	CHECK_EQ(st.st_mtim.tv_sec, 2000);
	CHECK_EQ(st.st_mtim.tv_nsec, 700);
	/* UTIME_OMIT leaves one alone. */
	struct timespec o[2] = {{0, UTIME_OMIT}, {3000, 0}};
	CHECK_EQ(utimensat(AT_FDCWD, "ts", o, 0), 0);
	CHECK_EQ(stat("ts", &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	CHECK_EQ(st.st_mtim.tv_sec, 3000);
	/* A write moves mtime and ctime to now. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int fd = open("ts", O_WRONLY | O_APPEND);
	CHECK_EQ(write(fd, "y", 1), 1);
	close(fd);
	CHECK_EQ(stat("ts", &st), 0);
	CHECK(st.st_mtim.tv_sec >= now.tv_sec - 1);
	CHECK(st.st_ctim.tv_sec >= now.tv_sec - 1);
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	/* NULL times: now. */
	CHECK_EQ(utimensat(AT_FDCWD, "ts", t, 0), 0);
	CHECK_EQ(utimensat(AT_FDCWD, "ts", NULL, 0), 0);
	CHECK_EQ(stat("ts", &st), 0);
	CHECK(st.st_atim.tv_sec >= now.tv_sec - 1);
	CHECK(st.st_mtim.tv_sec >= now.tv_sec - 1);
	/* Creating a file moves its directory's mtime. */
	CHECK_EQ(mkdir("tsd", 0755), 0);
	CHECK_EQ(utimensat(AT_FDCWD, "tsd", t, 0), 0);
	CHECK_EQ(put("tsd/new", ""), 0);
	CHECK_EQ(stat("tsd", &st), 0);
	CHECK(st.st_mtim.tv_sec >= now.tv_sec - 1);
	CHECK_ERR(utimensat(AT_FDCWD, "nonexistent", t, 0), ENOENT);
}

static void cwd(void)
{
	char buf[PATH_MAX], want[PATH_MAX];
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(strcmp(buf, top) == 0);
	CHECK_EQ(mkdir("cw", 0755), 0);
	CHECK_EQ(mkdir("cw/deeper", 0755), 0);
	int here = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(here >= 0);
	int dfd = open("cw", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_EQ(chdir("cw/deeper"), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	snprintf(want, sizeof(want), "%s/cw/deeper", top);
	if (strcmp(buf, want) != 0) {
		fchdir(here);
		return ut_fail("getcwd \"%s\", expected \"%s\"", buf, want);
	}
	int ok = put("rel", "r") == 0;
	CHECK_EQ(chdir(".."), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	snprintf(want, sizeof(want), "%s/cw", top);
	CHECK_EQ(fchdir(here), 0);
	CHECK(strcmp(buf, want) == 0);
	CHECK(ok);
	CHECK_CONTENT("cw/deeper/rel", "r");
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(strcmp(buf, top) == 0);
	CHECK_ERR(syscall(SYS_getcwd, buf, 3), ERANGE);
	/* openat and friends relative to a dirfd. */
	int fd = openat(dfd, "at-file", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "at", 2), 2);
	close(fd);
	CHECK_CONTENT("cw/at-file", "at");
	CHECK_EQ(mkdirat(dfd, "at-dir", 0755), 0);
	struct stat st;
	CHECK_EQ(fstatat(dfd, "at-dir", &st, 0), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(unlinkat(dfd, "at-dir", AT_REMOVEDIR), 0);
	CHECK_ERR(fstatat(dfd, "at-dir", &st, 0), ENOENT);
	/* An absolute path ignores the dirfd. */
	snprintf(want, sizeof(want), "%s/cw/at-file", top);
	CHECK_EQ(fstatat(here, want, &st, 0), 0);
	CHECK_EQ(fstatat(dfd, "", &st, AT_EMPTY_PATH), 0);
	CHECK(S_ISDIR(st.st_mode));
	fd = open("cw/at-file", O_RDONLY);
	CHECK_ERR(openat(fd, "x", O_RDONLY), ENOTDIR);
	close(fd);
	CHECK_ERR(openat(12345, "x", O_RDONLY), EBADF);
	CHECK_ERR(chdir("cw/at-file"), ENOTDIR);
	CHECK_ERR(chdir("cw/none"), ENOENT);
	close(dfd);
	close(here);
}

/* A dirfd is an int: the upper half of the register is ignored, as
 * Linux does. Programs built with glibc (Debian's busybox) pass AT_FDCWD
 * with the upper half zero. */
static void dirfd_is_int(void)
{
	long cwd32 = (long)(unsigned int)AT_FDCWD;
	CHECK_EQ(put("di", "int"), 0);
	int fd = syscall(SYS_openat, cwd32, "di", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	struct stat st;
	CHECK_EQ(syscall(SYS_newfstatat, cwd32, "di", &st, 0), 0);
	CHECK_EQ(st.st_size, 3);
	CHECK_EQ(syscall(SYS_mkdirat, cwd32, "di-dir", 0755), 0);
	CHECK_EQ(syscall(SYS_unlinkat, cwd32, "di-dir", AT_REMOVEDIR), 0);
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	fd = syscall(SYS_openat, (long)dfd | (7L << 32), "di", O_RDONLY);
	close(dfd);
	CHECK(fd >= 0);
	close(fd);
}

static void umask_applied(void)
{
	mode_t old = umask(027);
	int fd = open("um-f", O_WRONLY | O_CREAT, 0777);
	int dir = mkdir("um-d", 0777);
	mode_t back = umask(old);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(dir, 0);
	CHECK_EQ(back, 027);
	struct stat st;
	CHECK_EQ(stat("um-f", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0750);
	CHECK_EQ(stat("um-d", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0750);
	/* chmod is not masked. */
	old = umask(077);
	CHECK_EQ(chmod("um-f", 0666), 0);
	umask(old);
	CHECK_EQ(stat("um-f", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0666);
}

static void statfs_works(void)
{
	struct statfs a, b;
	CHECK_EQ(statfs(".", &a), 0);
	CHECK(a.f_bsize > 0);
	CHECK(a.f_blocks >= a.f_bfree);
	CHECK(a.f_bfree >= a.f_bavail);
	CHECK(a.f_namelen >= 255);
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK_EQ(fstatfs(fd, &b), 0);
	close(fd);
	CHECK_EQ(b.f_type, a.f_type);
	CHECK_ERR(statfs("nonexistent", &a), ENOENT);
}

static void access_checks(void)
{
	CHECK_EQ(put("ac", "x"), 0);
	CHECK_EQ(chmod("ac", 0644), 0);
	CHECK_EQ(access("ac", F_OK), 0);
	CHECK_EQ(access("ac", R_OK | W_OK), 0);
	/* Even root needs one execute bit to execute. */
	CHECK_ERR(access("ac", X_OK), EACCES);
	CHECK_EQ(chmod("ac", 0100), 0);
	CHECK_EQ(access("ac", X_OK), 0);
	CHECK_EQ(faccessat(AT_FDCWD, "ac", R_OK, AT_EACCESS), 0);
	CHECK_ERR(access("nonexistent", F_OK), ENOENT);
	CHECK_ERR(access("ac", 0x10), EINVAL);
	CHECK_ERR(access("ac/x", F_OK), ENOTDIR);
}

/* faccessat(AT_SYMLINK_NOFOLLOW) asks about the link itself: a dangling
 * one exists, and its 0777 allows everything. */
static void access_nofollow(void)
{
	CHECK_EQ(symlink("/nowhere/at/all", "dangling"), 0);
	CHECK_EQ(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK,
			 AT_SYMLINK_NOFOLLOW),
		 0);
	CHECK_EQ(syscall(SYS_faccessat2, AT_FDCWD, "dangling", W_OK,
			 AT_SYMLINK_NOFOLLOW),
		 0);
	CHECK_ERR(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0),
		  ENOENT);
	CHECK_ERR(access("dangling", F_OK), ENOENT);
	CHECK_EQ(unlink("dangling"), 0);
}

/* "/proc/self/fd/N" into buf (32 bytes). */
static const char *fd_link(char *buf, int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* Entries of directory dir, "." and ".." included. */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return d ? n : -1;
}

/* An O_TMPFILE file in directory dir: it has no name and no link, is a
 * regular file with the mode asked (less the umask), can be written,
 * read, mapped shared (stores seen by pread) and opened again through
 * /proc/self/fd. */
static void tmpfile_in(const char *dir)
{
	char buf[64], link[32];
	struct stat st, st2;
	int before = count_entries(dir);
	int fd = open(dir, O_TMPFILE | O_RDWR, 0666);

	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644); /* umask 022 */
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(count_entries(dir), before);
	CHECK_EQ(write(fd, "unnamed", 7), 7);
	CHECK_EQ(ftruncate(fd, 4096), 0);
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(memcmp(p, "unnamed", 7), 0);
	memcpy(p, "mapped!", 7);
	CHECK_EQ(pread(fd, buf, 7, 0), 7);
	CHECK_EQ(memcmp(buf, "mapped!", 7), 0);
	CHECK_EQ(munmap(p, 4096), 0);
	int again = open(fd_link(link, fd), O_RDONLY);
	CHECK(again >= 0);
	CHECK_EQ(fstat(again, &st2), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(read(again, buf, 7), 7);
	CHECK_EQ(memcmp(buf, "mapped!", 7), 0);
	CHECK_ERR(write(again, "x", 1), EBADF);
	close(again);
	close(fd);
	CHECK_EQ(count_entries(dir), before);
}

static void tmpfile_unnamed(void)
{
	tmpfile_in(".");
}

static void tmpfile_shm(void)
{
	tmpfile_in("/dev/shm");
}

/* Linux's refusals: no write access, O_CREAT, not a directory, no such
 * directory, a file system without unnamed files (procfs). */
static void tmpfile_errors(void)
{
	CHECK_EQ(put("plain", "x"), 0);
	CHECK_ERR(open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
	CHECK_ERR(open(".", O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL);
	CHECK_ERR(open("plain", O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	CHECK_ERR(open("nonexistent", O_TMPFILE | O_RDWR, 0600), ENOENT);
	CHECK_ERR(open("/proc", O_TMPFILE | O_WRONLY, 0600), EOPNOTSUPP);
	int fd = open(".", O_TMPFILE | O_PATH, 0600); /* the directory */
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(unlink("plain"), 0);
}

/* Giving it a name: by the descriptor (AT_EMPTY_PATH, as root) and
 * through /proc/self/fd (AT_SYMLINK_FOLLOW); a name taken is EEXIST;
 * one that lost its names again can no longer be linked (ENOENT). */
static void tmpfile_link(void)
{
	char link[32], buf[16];
	struct stat st, named;
	int fd = open(".", O_TMPFILE | O_WRONLY, 0600);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "kept", 4), 4);
	CHECK_EQ(put("taken", "x"), 0);
	CHECK_ERR(linkat(AT_FDCWD, fd_link(link, fd), AT_FDCWD, "taken",
			 AT_SYMLINK_FOLLOW),
		  EEXIST);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, "named", 0), ENOENT);
	CHECK_EQ(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(stat("named", &named), 0);
	CHECK_EQ(named.st_ino, st.st_ino);
	CHECK_CONTENT("named", "kept");
	CHECK_EQ(linkat(AT_FDCWD, fd_link(link, fd), AT_FDCWD, "second",
			AT_SYMLINK_FOLLOW),
		 0);
	CHECK_EQ(stat("second", &named), 0);
	CHECK_EQ(named.st_ino, st.st_ino);
	CHECK_EQ(named.st_nlink, 2);
	CHECK_EQ(unlink("named"), 0);
	CHECK_EQ(unlink("second"), 0);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, "again", AT_EMPTY_PATH), ENOENT);
	CHECK_ERR(access("again", F_OK), ENOENT);
	CHECK_ERR(pread(fd, buf, 4, 0), EBADF); /* open for writing only */
	close(fd);
	CHECK_EQ(unlink("taken"), 0);
}

/* O_EXCL: never linkable, by either form (ENOENT), but open again. */
static void tmpfile_excl(void)
{
	char link[32], buf[8];
	int fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "excl", 4), 4);
	CHECK_ERR(linkat(AT_FDCWD, fd_link(link, fd), AT_FDCWD, "excl",
			 AT_SYMLINK_FOLLOW),
		  ENOENT);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, "excl", AT_EMPTY_PATH), ENOENT);
	CHECK_ERR(access("excl", F_OK), ENOENT);
	int again = open(link, O_RDONLY);
	CHECK(again >= 0);
	CHECK_EQ(read(again, buf, 4), 4);
	CHECK_EQ(memcmp(buf, "excl", 4), 0);
	close(again);
	close(fd);
}

/* The space an unnamed file held comes back at its last close. */
static void tmpfile_freed(void)
{
	static char block[65536];
	struct statfs before, full, after;
	int fd = open(".", O_TMPFILE | O_RDWR, 0600);

	CHECK(fd >= 0);
	CHECK_EQ(statfs(".", &before), 0);
	memset(block, 'z', sizeof(block));
	for (int i = 0; i < 32; i++) /* 2 MiB */
		CHECK_EQ(write(fd, block, sizeof(block)), (long)sizeof(block));
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(statfs(".", &full), 0);
	CHECK(full.f_bfree + (1 << 20) / full.f_bsize <= before.f_bfree);
	close(fd);
	CHECK_EQ(statfs(".", &after), 0);
	if (after.f_bfree + (256 << 10) / after.f_bsize < before.f_bfree)
		ut_fail(
		    "%llu blocks free before, %llu full, %llu after the close",
		    (unsigned long long)before.f_bfree,
		    (unsigned long long)full.f_bfree,
		    (unsigned long long)after.f_bfree);
}

/* /proc/self/fd/N of a FIFO opens a new end of the same pipe, by the
 * mode asked (the other direction too). */
static void fifo_proc_fd(void)
{
	char link[32], c = 0;
	int rw, w;

	CHECK_EQ(mkfifo("procfifo", 0600), 0);
	CHECK((rw = open("procfifo", O_RDONLY | O_NONBLOCK)) >= 0);
	CHECK((w = open(fd_link(link, rw), O_WRONLY)) >= 0);
	CHECK_EQ(write(w, "f", 1), 1);
	CHECK_EQ(read(rw, &c, 1), 1);
	CHECK_EQ(c, 'f');
	close(w);
	close(rw);
	CHECK_EQ(unlink("procfifo"), 0);
}

/* An anonymous pipe's /proc/self/fd/N (and /dev/fd/N) opens a new end of
 * the same pipe, by the mode asked; the ends count: the reader sees end
 * of file only once every write end went; the open never waits for the
 * other side (a FIFO's does). /dev/stdin, stdout and stderr
 * and /dev/fd are links into /proc/self/fd. */
static void pipe_proc_fd(void)
{
	char link[32], c = 0, buf[32];
	int p[2], w, r;
	struct stat st;

	CHECK_EQ(pipe(p), 0);
	CHECK((w = open(fd_link(link, p[0]), O_WRONLY | O_CLOEXEC)) >= 0);
	CHECK_EQ(fcntl(w, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(write(w, "p", 1), 1);
	snprintf(link, sizeof(link), "/dev/fd/%d", p[1]);
	CHECK((r = open(link, O_RDONLY)) >= 0);
	CHECK_EQ(read(r, &c, 1), 1);
	CHECK_EQ(c, 'p');
	CHECK_EQ(fstat(r, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	close(p[1]);
	CHECK_EQ(fcntl(r, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(read(r, &c, 1), -1); /* w still writes: no end of file */
	CHECK_EQ(errno, EAGAIN);
	close(w);
	CHECK_EQ(read(r, &c, 1), 0);
	CHECK_EQ(read(p[0], &c, 1), 0);
	close(r);
	close(p[0]);
	CHECK_EQ(pipe(p), 0); /* no writer left: a pipe's open never waits */
	CHECK_EQ(write(p[1], "q", 1), 1);
	close(p[1]);
	CHECK((r = open(fd_link(link, p[0]), O_RDONLY)) >= 0);
	CHECK_EQ(read(r, &c, 1), 1);
	CHECK_EQ(c, 'q');
	CHECK_EQ(read(r, &c, 1), 0);
	close(r);
	close(p[0]);
	CHECK_EQ(readlink("/dev/stdin", buf, sizeof(buf)), 15);
	CHECK(!memcmp(buf, "/proc/self/fd/0", 15));
	CHECK_EQ(readlink("/dev/stderr", buf, sizeof(buf)), 15);
	CHECK(!memcmp(buf, "/proc/self/fd/2", 15));
	CHECK_EQ(lstat("/dev/fd", &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(stat("/dev/fd", &st), 0);
	CHECK(S_ISDIR(st.st_mode));
}

/* Another user's pipe cannot be reopened through /proc (EACCES, as the
 * /proc/<pid>/fd directory is its owner's); a socket's link gives ENXIO. */
static void pipe_proc_fd_other(void)
{
	char link[64];
	int p[2], s[2], st = 0;
	pid_t pid;

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", s[0]);
	CHECK_EQ(open(link, O_RDWR), -1);
	CHECK_EQ(errno, ENXIO);
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)getpid(), p[1]);
	if ((pid = fork()) == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		int fd = open(link, O_WRONLY);
		_exit(fd < 0 && errno == EACCES ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
	close(p[1]);
	close(s[0]);
	close(s[1]);
}

static void dup_offset(void)
{
	CHECK_EQ(put("du", "abcdef"), 0);
	int a = open("du", O_RDONLY);
	CHECK(a >= 0);
	int b = dup(a);
	int c = open("du", O_RDONLY);
	char x;
	CHECK_EQ(read(a, &x, 1), 1);
	CHECK_EQ(read(b, &x, 1), 1);
	CHECK_EQ(x, 'b');
	CHECK_EQ(lseek(a, 0, SEEK_CUR), 2);
	CHECK_EQ(read(c, &x, 1), 1);
	CHECK_EQ(x, 'a');
	/* A forked child shares the offset too. */
	pid_t pid = fork();
	if (pid == 0)
		_exit(read(b, &x, 1) == 1 && x == 'c' ? 0 : 1);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(read(a, &x, 1), 1);
	CHECK_EQ(x, 'd');
	close(a);
	CHECK_EQ(read(b, &x, 1), 1);
	CHECK_EQ(x, 'e');
	close(b);
	close(c);
}

static void sendfile_copy(void)
{
	static char data[100000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);
	int in = open("sf-in", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(in >= 0);
	CHECK_EQ(write(in, data, sizeof(data)), (long)sizeof(data));
	int out = open("sf-out", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(out >= 0);
	off_t off = 1000;
	CHECK_EQ(sendfile(out, in, &off, 50000), 50000);
	CHECK_EQ(off, 51000);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), (long)sizeof(data)); /* unchanged */
	CHECK_EQ(lseek(in, 51000, SEEK_SET), 51000);
	long total = 0, n;
	while ((n = sendfile(out, in, NULL, 1 << 20)) > 0)
		total += n;
	CHECK_EQ(n, 0);
	CHECK_EQ(total, 49000);
	static char back[100000];
	CHECK_EQ(pread(out, back, sizeof(back), 0), 99000);
	close(in);
	close(out);
	CHECK(memcmp(back, data + 1000, 99000) == 0);
	/* To a pipe as well (what cat and cp may do). */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	in = open("sf-in", O_RDONLY);
	CHECK_EQ(sendfile(p[1], in, NULL, 1000), 1000);
	CHECK_EQ(read(p[0], back, sizeof(back)), 1000);
	close(in);
	close(p[0]);
	close(p[1]);
	CHECK(memcmp(back, data, 1000) == 0);
}

static volatile sig_atomic_t sf_handled;

static void on_sf_signal(int sig)
{
	(void)sig;
	sf_handled++;
}

/* A child that sends the parent SIGUSR1 every 50 ms, `count` times,
 * then reads the pipe p until EOF: a sendfile blocked on the full pipe
 * can go on then. */
static pid_t sf_poke(const int p[2], int count)
{
	pid_t parent = getpid(), pid = fork();
	char buf[4096];

	if (pid != 0)
		return pid;
	close(p[1]);
	for (int i = 0; i < count; i++) {
		usleep(50 * 1000);
		kill(parent, SIGUSR1);
	}
	while (read(p[0], buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* sendfile(pipe, in, NULL, 4096) into the full pipe p with SIGUSR1
 * handled (sa_flags flags), a child poking and draining as sf_poke: its
 * result, errno in *err. */
static long sf_blocked(int in, int p[2], int flags, int count, int *err)
{
	struct sigaction sa = {.sa_handler = on_sf_signal, .sa_flags = flags};
	int status;

	sigaction(SIGUSR1, &sa, NULL);
	sf_handled = 0;
	pid_t pid = sf_poke(p, count);
	long r = sendfile(p[1], in, NULL, 4096);
	*err = errno;
	kill(pid, SIGKILL); /* done with it, whatever it was doing */
	waitpid(pid, &status, 0);
	close(p[1]);
	close(p[0]);
	signal(SIGUSR1, SIG_DFL);
	return r;
}

/* A full pipe for sf_blocked: 0 or -1. */
static int full_pipe(int p[2])
{
	static char junk[4096];

	if (pipe(p) || fcntl(p[1], F_SETFL, O_NONBLOCK))
		return -1;
	while (write(p[1], junk, sizeof(junk)) > 0)
		;
	return errno == EAGAIN ? fcntl(p[1], F_SETFL, 0) : -1;
}

/* A signal ends a sendfile blocked on its output as it ends a write:
 * EINTR, or a restart with SA_RESTART (the personality's sendfile waits
 * with the program's signal mask, not its own). */
static void sendfile_signal(void)
{
	static char data[8192];
	int p[2], err;
	int in = open("sf-sig", O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(in >= 0);
	CHECK_EQ(write(in, data, sizeof(data)), (long)sizeof(data));
	CHECK_EQ(lseek(in, 0, SEEK_SET), 0);
	CHECK_EQ(full_pipe(p), 0);
	long r = sf_blocked(in, p, 0, 100, &err); /* drained after 5 s */
	errno = err;
	CHECK_ERR(r, EINTR);
	CHECK(sf_handled >= 1);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 0); /* nothing was taken */
	CHECK_EQ(full_pipe(p), 0);
	CHECK_EQ(sf_blocked(in, p, SA_RESTART, 4, &err), 4096);
	CHECK(sf_handled >= 1);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 4096);
	close(in);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static void big_file(void)
{
	static uint64_t block[8192]; /* 64 KiB */
	int fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	uint64_t sum = 0;
	for (int b = 0; b < BIG_SIZE / (int)sizeof(block); b++) {
		for (int i = 0; i < 8192; i++) {
			block[i] = mix(b * 8192ULL + i);
			sum += block[i];
		}
		if (!EXPECT_EQ(write(fd, block, sizeof(block)),
			       (long)sizeof(block)))
			break;
	}
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, BIG_SIZE);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	/* Read back in odd-sized pieces. */
	static char buf[65536 + 13];
	uint64_t got = 0, word = 0;
	long total = 0, n;
	int have = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++) {
			word |= (uint64_t)(unsigned char)buf[i] << (8 * have);
			if (++have == 8) {
				if (word != mix(total / 8)) {
					close(fd);
					return ut_fail("word %ld is wrong",
						       total / 8);
				}
				got += word;
				word = 0;
				have = 0;
				total += 8;
			}
		}
	}
	close(fd);
	CHECK_EQ(n, 0);
	CHECK_EQ(total, BIG_SIZE);
	CHECK(got == sum);
	CHECK_EQ(unlink("big"), 0);
}

static void error_names(void)
{
	char name[300];
	memset(name, 'n', sizeof(name));
	name[256] = 0; /* a 256-byte component */
	CHECK_ERR(open(name, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);
	CHECK_ERR(mkdir(name, 0755), ENAMETOOLONG);
	name[255] = 0; /* 255 is allowed */
	int fd = open(name, O_RDONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(unlink(name), 0);
	static char longpath[PATH_MAX + 100];
	memset(longpath, 0, sizeof(longpath));
	for (size_t i = 0; i + 2 < sizeof(longpath); i += 2)
		memcpy(longpath + i, "a/", 2);
	struct stat st;
	CHECK_ERR(stat(longpath, &st), ENAMETOOLONG);
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(open("no-such-file", O_RDONLY), ENOENT);
	CHECK_ERR(open("no-such-dir/file", O_WRONLY | O_CREAT, 0644), ENOENT);
	CHECK_ERR(open(".", O_WRONLY), EISDIR);
	CHECK_ERR(open("/", O_RDWR), EISDIR);
	CHECK_ERR(unlink("."), EISDIR);
	CHECK_ERR(rmdir("no-such-dir"), ENOENT);
	CHECK_ERR(open((char *)UT_KERNEL_ADDR, O_RDONLY), EFAULT);
}

static void io_vectors(void)
{
	int fd = open("iov", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
	CHECK_EQ(writev(fd, w, 3), 6);
	char x[3], y[5];
	struct iovec r[2] = {{x, 3}, {y, 5}};
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(readv(fd, r, 2), 6);
	CHECK(memcmp(x, "abc", 3) == 0 && memcmp(y, "def", 3) == 0);
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(fdatasync(fd), 0);
	close(fd);
}

static void fchmod_fchown(void)
{
	CHECK_EQ(put("fm", "x"), 0);
	int fd = open("fm", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fchmod(fd, 0604), 0);
	struct stat st;
	CHECK_EQ(stat("fm", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0604);
	CHECK_EQ(fchown(fd, 123, 456), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	close(fd);
	CHECK_EQ(st.st_uid, 123);
	CHECK_EQ(st.st_gid, 456);
	CHECK_EQ(chown("fm", -1, 789), 0);
	CHECK_EQ(lstat("fm", &st), 0);
	CHECK_EQ(st.st_uid, 123);
	CHECK_EQ(st.st_gid, 789);
	CHECK_EQ(symlink("fm", "fm-link"), 0);
	CHECK_EQ(lchown("fm-link", 5, 6), 0);
	CHECK_EQ(lstat("fm-link", &st), 0);
	CHECK_EQ(st.st_uid, 5);
	CHECK_EQ(stat("fm-link", &st), 0);
	CHECK_EQ(st.st_uid, 123);
}

/* ---- a Unix socket bound to a path ---------------------------------- */

static void unix_path_socket(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/sock", top);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(s >= 0);
	CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(s, 4), 0);
	struct stat st;
	CHECK_EQ(stat("sock", &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(bind(s2, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	close(s2);
	/* Connect through a relative path and talk. */
	struct sockaddr_un rel = {.sun_family = AF_UNIX};
	strcpy(rel.sun_path, "sock");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&rel, sizeof(rel)), 0);
	int acc = accept(s, NULL, NULL);
	CHECK(acc >= 0);
	CHECK_EQ(write(c, "ping", 4), 4);
	char buf[8];
	CHECK_EQ(read(acc, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ(write(acc, "pong", 4), 4);
	CHECK_EQ(read(c, buf, sizeof(buf)), 4);
	CHECK(memcmp(buf, "pong", 4) == 0);
	close(acc);
	close(c);
	/* Closed but still named: refused. Unnamed: not found. */
	close(s);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
	CHECK_EQ(unlink("sock"), 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)), ENOENT);
	/* A plain file is not a socket. */
	CHECK_EQ(put("notsock", "x"), 0);
	strcpy(rel.sun_path, "notsock");
	CHECK_ERR(connect(c, (struct sockaddr *)&rel, sizeof(rel)),
		  ECONNREFUSED);
	close(c);
	/* A datagram socket on a path. */
	struct sockaddr_un d = {.sun_family = AF_UNIX};
	strcpy(d.sun_path, "dgram");
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_EQ(bind(r, (struct sockaddr *)&d, sizeof(d)), 0);
	int w = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_EQ(sendto(w, "dg", 2, 0, (struct sockaddr *)&d, sizeof(d)), 2);
	CHECK_EQ(recv(r, buf, sizeof(buf), 0), 2);
	close(r);
	close(w);
	CHECK(memcmp(buf, "dg", 2) == 0);
}

/* ---- FIFOs (mkfifo) ---------------------------------------------------- */

/* The child's half of fifo_pairs: open "fifo" for writing (waits for the
 * parent's reader), write a greeting, exit (the writer goes: EOF). */
static void fifo_writer(void)
{
	int fd = open("fifo", O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "hello", 5), 5);
}

/* A blocking reader and a blocking writer meet; EOF when the writer goes;
 * the FIFO keeps no data between two sets of openers. */
static void fifo_pairs(void)
{
	char buf[16];
	CHECK_EQ(mkfifo("fifo", 0600), 0);
	for (int round = 0; round < 2; round++) {
		pid_t pid = ut_spawn(fifo_writer);
		int fd = open("fifo", O_RDONLY);
		CHECK(fd >= 0);
		ssize_t n = 0, k;
		while ((k = read(fd, buf + n, sizeof(buf) - n)) > 0)
			n += k;
		CHECK_EQ(k, 0);
		CHECK_EQ(n, 5);
		CHECK(memcmp(buf, "hello", 5) == 0);
		struct stat st, fst;
		CHECK_EQ(fstat(fd, &fst), 0);
		CHECK_EQ(stat("fifo", &st), 0);
		CHECK(S_ISFIFO(fst.st_mode));
		CHECK_EQ(fst.st_ino, st.st_ino);
		CHECK_ERR(lseek(fd, 0, SEEK_SET), ESPIPE);
		close(fd);
		CHECK(ut_join(pid));
	}
	CHECK_EQ(unlink("fifo"), 0);
}

/* O_NONBLOCK: a reader opens at once, a writer gets ENXIO without a
 * reader; O_RDWR opens at once and talks to itself; the writer gets
 * EPIPE and SIGPIPE once the readers are gone. */
static void fifo_nonblock(void)
{
	char buf[8];
	CHECK_EQ(mkfifo("nbfifo", 0600), 0);
	CHECK_ERR(open("nbfifo", O_WRONLY | O_NONBLOCK), ENXIO);
	int r = open("nbfifo", O_RDONLY | O_NONBLOCK);
	CHECK(r >= 0);
	CHECK_EQ(read(r, buf, sizeof(buf)), 0); /* no writer: EOF */
	int w = open("nbfifo", O_WRONLY | O_NONBLOCK);
	CHECK(w >= 0);
	CHECK_EQ(fcntl(w, F_GETPIPE_SZ), 65536);
	CHECK_EQ(fcntl(r, F_SETPIPE_SZ, 8192), 8192);
	CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(write(w, "abc", 3), 3);
	CHECK_EQ(read(r, buf, sizeof(buf)), 3);
	int rw = open("nbfifo", O_RDWR);
	CHECK(rw >= 0);
	CHECK_EQ(write(rw, "xy", 2), 2);
	CHECK_EQ(read(r, buf, 1), 1);
	CHECK_EQ(read(rw, buf + 1, 1), 1);
	CHECK(memcmp(buf, "xy", 2) == 0);
	close(rw);
	close(r);
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	CHECK_ERR(write(w, "z", 1), EPIPE);
	int sig = 0;
	struct timespec now = {0, 0};
	CHECK_EQ(sig = sigtimedwait(&pipe_set, NULL, &now), SIGPIPE);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(w);
	CHECK_EQ(unlink("nbfifo"), 0);
}

static void fifo_alarm(int sig)
{
	(void)sig;
}

/* A blocking open with no partner waits until a signal (no SA_RESTART):
 * EINTR; the interval timer repeats, so the open is interrupted however
 * late it starts to wait. */
static void fifo_open_eintr(void)
{
	struct sigaction sa = {.sa_handler = fifo_alarm}, old;
	struct itimerval it = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	CHECK_EQ(mkfifo("lonely", 0600), 0);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	int fd = open("lonely", O_RDONLY);
	int err = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CHECK_EQ(fd, -1);
	CHECK_EQ(err, EINTR);
	/* The interrupted reader is not counted: a writer still waits. */
	CHECK_ERR(open("lonely", O_WRONLY | O_NONBLOCK), ENXIO);
	CHECK_EQ(unlink("lonely"), 0);
}

/* fcntl's lease and owner answers where nothing was set: no lease
 * (F_GETLEASE F_UNLCK, releasing none EAGAIN), a write lease refused
 * while another open exists (EAGAIN), leases only on regular files
 * (EINVAL), no owner and no signal. */
static void lease_owner(void)
{
	int fd = open("leased", O_RDWR | O_CREAT, 0644), p[2];
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETLEASE), F_UNLCK);
	CHECK_ERR(fcntl(fd, F_SETLEASE, F_UNLCK), EAGAIN);
	CHECK_ERR(fcntl(fd, F_SETLEASE, 7), EINVAL);
	int other = open("leased", O_RDONLY);
	CHECK(other >= 0);
	CHECK_ERR(fcntl(fd, F_SETLEASE, F_WRLCK), EAGAIN);
	close(other);
	CHECK_EQ(fcntl(fd, F_GETOWN), 0);
	CHECK_EQ(fcntl(fd, F_GETSIG), 0);
	struct f_owner_ex own = {-1, -1};
	CHECK_EQ(fcntl(fd, F_GETOWN_EX, &own), 0);
	CHECK_EQ(own.type, F_OWNER_TID); /* none: Linux 6 says so */
	CHECK_EQ(own.pid, 0);
	close(fd);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(fcntl(p[0], F_GETLEASE), F_UNLCK);
	CHECK_ERR(fcntl(p[0], F_SETLEASE, F_RDLCK), EINVAL);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(unlink("leased"), 0);
}

static const struct ut_case cases[] = {
    UT_CASE(create_read),
    UT_CASE(append),
    UT_CASE(pread_pwrite),
    UT_CASE(seek),
    UT_CASE(seek_data_hole),
    UT_CASE(statx_everywhere),
    UT_CASE(read_only_mount),
    UT_CASE(sparse),
    UT_CASE(truncate_file),
    UT_CASE(excl_trunc),
    UT_CASE(directory_flags),
    UT_CASE(getfl_flags),
    UT_CASE(mkdir_rmdir),
    UT_CASE(unlink_open),
    UT_CASE(hard_link),
    UT_CASE(symbolic_link),
    UT_CASE(rename_file),
    UT_CASE(rename_dir),
    UT_CASE(dir_entries),
    UT_CASE(timestamps),
    UT_CASE(cwd),
    UT_CASE(dirfd_is_int),
    UT_CASE(umask_applied),
    UT_CASE(statfs_works),
    UT_CASE(access_checks),
    UT_CASE(access_nofollow),
    UT_CASE(tmpfile_unnamed),
    UT_CASE(tmpfile_shm),
    UT_CASE(tmpfile_errors),
    UT_CASE(tmpfile_link),
    UT_CASE(tmpfile_excl),
    UT_CASE(tmpfile_freed),
    UT_CASE(fifo_proc_fd),
    UT_CASE(pipe_proc_fd),
    UT_CASE(pipe_proc_fd_other),
    UT_CASE(dup_offset),
    UT_CASE(sendfile_copy),
    UT_CASE(sendfile_signal),
    UT_CASE(big_file),
    UT_CASE(error_names),
    UT_CASE(io_vectors),
    UT_CASE(fchmod_fchown),
    UT_CASE(unix_path_socket),
    UT_CASE(fifo_pairs),
    UT_CASE(fifo_nonblock),
    UT_CASE(fifo_open_eintr),
    UT_CASE(lease_owner),
};

/* Remove the tree at path (only what these cases make). */
static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	DIR *d = opendir(path);
	if (d) {
		char sub[PATH_MAX];
		for (struct dirent *e; (e = readdir(d));) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			remove_tree(sub);
		}
		closedir(d);
	}
	rmdir(path);
}

int main(int argc, char **argv)
{
	mkdir("/tmp", 01777); /* EEXIST normally */
	/* UTEST_TMP: another file system to run on (tests/user/ext2.c). */
	const char *tmp = getenv("UTEST_TMP");
	snprintf(top, sizeof(top), "%s/utest-file.%d", tmp ? tmp : "/tmp",
		 (int)getpid());
	remove_tree(top);
	if (mkdir(top, 0755) < 0 || chdir(top) < 0) {
		ut_print("utest: file/setup: FAIL cannot make %s: %s\n", top,
			 ut_errno_name(errno));
		return 1;
	}
	umask(022);
	int status = ut_main(argc, argv, "file", cases, UT_COUNT(cases));
	if (chdir("/") == 0)
		remove_tree(top);
	return status;
}
