/*
 * ext2.c - the ext2 server (user/ext2/) mounted through lumen with
 * mount(2), its backing store an image file on ramfs: files made by the
 * host's mke2fs read back, what is written survives an unmount and a
 * killed server (after fsync), and the file and permission test programs
 * (tests/user/file.c, perm.c) pass on an ext2 mount as they do on ramfs.
 * lux-specific: on Linux mounting an image file needs a loop device and
 * root, so every case fails there by design. `ext2 --mount image dir`
 * only mounts (for the shell: tests/system/ext2.py).
 */
#include "utest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define SEED     "/tests/ext2.img" /* mke2fs -t ext2 -d tests/user/ext2-seed */
#define EXT2_FS  0xEF53
#define RESTARTS 300 /* tries, 100 ms apart, for lumen to restart it */

static char dir[64];

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* Copy file from to a new file to: 0 or -1. */
static int copy(const char *from, const char *to)
{
	char buf[8192];
	int in = open(from, O_RDONLY), out = -1;
	long n = 0;

	if (in >= 0)
		out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			n = -1;
	close(in);
	if (out < 0 || close(out) < 0)
		return -1;
	return n == 0 ? 0 : -1;
}

/* The whole file path into buf (size bytes with a NUL): its length or
 * -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	long n = strlen(text);

	if (fd < 0)
		return -1;
	int ok = write(fd, text, n) == n && fsync(fd) == 0;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* Mount the image at img on dir (made if missing). */
static int mount_img(const char *img)
{
	mkdir(dir, 0755);
	return mount(img, dir, "ext2", 0, NULL);
}

/* The image mke2fs made on the host: its files read back, a file
 * written, unmounted and mounted again, reads back too; the mount
 * point, unmounted, can be removed. */
static void seed_image(void)
{
	char buf[256], path[128];
	struct statfs sf;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	CHECK_EQ(copy(SEED, "/tmp/ext2-seed.img"), 0);
	CHECK_EQ(mount_img("/tmp/ext2-seed.img"), 0);
	snprintf(path, sizeof(path), "%s/hello.txt", dir);
	CHECK_EQ(slurp(path, buf, sizeof(buf)), 29);
	EXPECT_EQ(strcmp(buf, "hello from the host's mke2fs\n"), 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	CHECK_EQ(slurp(path, buf, sizeof(buf)), 7);
	EXPECT_EQ(strcmp(buf, "nested\n"), 0);
	CHECK_EQ(readlink(path, buf, sizeof(buf)), 14);
	CHECK_EQ(statfs(dir, &sf), 0);
	EXPECT_EQ(sf.f_type, EXT2_FS);
	EXPECT_EQ(sf.f_bsize, 1024);
	snprintf(path, sizeof(path), "%s/dir/new.txt", dir);
	CHECK_EQ(put(path, "written on lux\n"), 0);
	CHECK_EQ(umount(dir), 0);
	CHECK_ERR(slurp(path, buf, sizeof(buf)), ENOENT);
	CHECK_EQ(mount_img("/tmp/ext2-seed.img"), 0);
	CHECK_EQ(slurp(path, buf, sizeof(buf)), 15);
	EXPECT_EQ(strcmp(buf, "written on lux\n"), 0);
	CHECK_EQ(umount(dir), 0);
	CHECK_EQ(rmdir(dir), 0); /* no longer a mount point: not EBUSY */
	CHECK_EQ(unlink("/tmp/ext2-seed.img"), 0);
}

/* A 32 MiB image made by busybox's mke2fs (256-byte inodes):
 * /tests/file and /tests/perm run in it. */
static void file_programs(void)
{
	char *mkfs[] = {"/bin/busybox",       "mke2fs", "-q", "-F", "-I", "256",
			"/tmp/ext2-work.img", "32768",  NULL};
	char *file[] = {"/tests/file", NULL}, *perm[] = {"/tests/perm", NULL};
	char *lock[] = {"/tests/lock", NULL}, *fmap[] = {"/tests/fmap", NULL};
	int fd, st;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	CHECK((fd = open("/tmp/ext2-work.img", O_RDWR | O_CREAT | O_TRUNC,
			 0600)) >= 0);
	CHECK_EQ(ftruncate(fd, 32 << 20), 0);
	close(fd);
	CHECK_EQ(ut_run_in(mkfs, "/tmp", "/tmp/ext2-mkfs.log"), 0);
	CHECK_EQ(mount_img("/tmp/ext2-work.img"), 0);
	if ((st = ut_run_in(file, dir, "/tmp/ext2-file.log")) != 0) {
		ut_fail("/tests/file on ext2: status %d", st);
		ut_show_failures("/tmp/ext2-file.log");
	}
	if ((st = ut_run_in(perm, dir, "/tmp/ext2-perm.log")) != 0) {
		ut_fail("/tests/perm on ext2: status %d", st);
		ut_show_failures("/tmp/ext2-perm.log");
	}
	if ((st = ut_run_in(lock, dir, "/tmp/ext2-lock.log")) != 0) {
		ut_fail("/tests/lock on ext2: status %d", st);
		ut_show_failures("/tmp/ext2-lock.log");
	}
	if ((st = ut_run_in(fmap, dir, "/tmp/ext2-fmap.log")) != 0) {
		ut_fail("/tests/fmap on ext2: status %d", st);
		ut_show_failures("/tmp/ext2-fmap.log");
	}
	CHECK_EQ(umount(dir), 0);
}

/* The pid of the ext2 server serving img, or 0. */
static pid_t server_pid(const char *img)
{
	char path[64], buf[256];
	DIR *d = opendir("/proc");
	pid_t pid = 0;

	for (struct dirent *e; d && !pid && (e = readdir(d));) {
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		long n = slurp(path, buf, sizeof(buf));
		if (n > 11 && !strcmp(buf, "/sbin/ext2") &&
		    !strcmp(buf + 11, img))
			pid = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return pid;
}

/* Stores through a shared mapping reach the disk: made after the last
 * close, at unmount; made while open, at msync (MS_SYNC), which a kill
 * of the server right after cannot undo. */
static void mapped_sync(void)
{
	const char *img = "/tmp/ext2-work.img";
	char path[128], buf[64];
	long n = -1;
	pid_t pid;
	char *p;
	int fd;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	CHECK_EQ(mount_img(img), 0);
	snprintf(path, sizeof(path), "%s/mapped", dir);
	CHECK_EQ(put(path, "...................\n"), 0);
	CHECK((fd = open(path, O_RDWR)) >= 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	close(fd);
	memcpy(p, "after close", 11);
	munmap(p, 4096);
	CHECK_EQ(umount(dir), 0);
	CHECK_EQ(mount_img(img), 0);
	CHECK_EQ(slurp(path, buf, sizeof(buf)), 20);
	EXPECT_EQ(strcmp(buf, "after close........\n"), 0);
	CHECK((fd = open(path, O_RDWR)) >= 0);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	memcpy(p, "kept by msync", 13);
	CHECK_EQ(msync(p, 4096, MS_SYNC), 0);
	CHECK((pid = server_pid(img)) > 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	munmap(p, 4096);
	close(fd);
	for (int i = 0; i < RESTARTS && n < 0; i++) {
		if ((n = slurp(path, buf, sizeof(buf))) < 0)
			ut_sleep_ms(100);
	}
	CHECK_EQ(n, 20);
	EXPECT_EQ(strcmp(buf, "kept by msync......\n"), 0);
	CHECK_EQ(umount(dir), 0);
}

/* Write 256 KiB into fd and fsync: 0 or -1. */
static int fill(int fd)
{
	static char buf[64 << 10];

	memset(buf, 'o', sizeof(buf));
	for (int i = 0; i < 4; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return -1;
	return fsync(fd);
}

/* The orphan list (docs/storage.md): a file removed while open and an
 * O_TMPFILE file, written and fsynced, are on the disk with no link when
 * the server is killed; the server lumen restarts frees them at its
 * mount, so every block and inode they held is free again. */
static void orphans(void)
{
	const char *img = "/tmp/ext2-work.img";
	struct statfs before, after;
	char path[128];
	int fd, tmp, got = -1;
	pid_t pid;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	CHECK_EQ(mount_img(img), 0);
	CHECK_EQ(statfs(dir, &before), 0);
	snprintf(path, sizeof(path), "%s/orphan", dir);
	CHECK((fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644)) >= 0);
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(fill(fd), 0);
	CHECK((tmp = open(dir, O_TMPFILE | O_RDWR, 0600)) >= 0);
	CHECK_EQ(fill(tmp), 0);
	CHECK((pid = server_pid(img)) > 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	close(fd);
	close(tmp);
	/* The new server answers once its mount freed the orphans. */
	for (int i = 0; i < RESTARTS && got < 0; i++) {
		pid_t now = server_pid(img);
		if (!now || now == pid || (got = statfs(dir, &after)) < 0)
			ut_sleep_ms(100);
	}
	CHECK_EQ(got, 0);
	EXPECT_EQ(after.f_bfree, before.f_bfree);
	EXPECT_EQ(after.f_ffree, before.f_ffree);
	CHECK_EQ(umount(dir), 0);
}

/* Killed mid-use, the server is restarted by lumen: what fsync wrote is
 * there, on the image and through the mount. */
static void killed_server(void)
{
	const char *img = "/tmp/ext2-work.img";
	char path[128], buf[64];
	long n = -1;
	pid_t pid;

	if (!on_lux()) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	CHECK_EQ(mount_img(img), 0);
	snprintf(path, sizeof(path), "%s/synced", dir);
	CHECK_EQ(put(path, "kept across a kill\n"), 0);
	CHECK((pid = server_pid(img)) > 0);
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	/* A file open on the dead server fails; lumen starts a new one. */
	EXPECT_ERR(read(fd, buf, sizeof(buf)), EIO);
	close(fd);
	for (int i = 0; i < RESTARTS && n < 0; i++) {
		if ((n = slurp(path, buf, sizeof(buf))) < 0)
			ut_sleep_ms(100);
	}
	CHECK_EQ(n, 19);
	EXPECT_EQ(strcmp(buf, "kept across a kill\n"), 0);
	EXPECT(server_pid(img) != pid);
	CHECK_EQ(umount(dir), 0);
	CHECK_EQ(unlink(img), 0);
}

static const struct ut_case cases[] = {
    UT_CASE(seed_image), UT_CASE(file_programs), UT_CASE(mapped_sync),
    UT_CASE(orphans),    UT_CASE(killed_server),
};

int main(int argc, char **argv)
{
	/* `ext2 --mount image dir`: mount(2) for the shell, whose busybox
	 * mount wants a loop device for an image file (system/ext2). */
	if (argc == 4 && !strcmp(argv[1], "--mount")) {
		if (mount(argv[2], argv[3], "ext2", 0, NULL) == 0)
			return 0;
		ut_print("ext2: mount %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/ext2-mnt.%d", (int)getpid());
	int status = ut_main(argc, argv, "ext2", cases, UT_COUNT(cases));
	rmdir(dir);
	return status;
}
