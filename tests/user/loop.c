/*
 * loop: loop block devices at the ioctl level (loop(4)), as Linux gives
 * them: /dev/loop-control's LOOP_CTL_GET_FREE, ADD and REMOVE; a device
 * attached to a file with LOOP_SET_FD or LOOP_CONFIGURE serves the
 * file's bytes (from the offset, up to the size limit) both ways;
 * LOOP_GET_STATUS(64) and LOOP_SET_STATUS(64), read-only devices, auto
 * clear, LOOP_CLR_FD; the errors (ENXIO unbound, EBUSY, EBADF, EINVAL,
 * ENOTTY, EEXIST, ENODEV) and the permissions (root, or the node's
 * mode: an ordinary user gets EACCES); an ordinary user opening
 * connection after connection to lux's hand-over socket makes no
 * LOOP_SET_FD of root's fail. The backing file is under
 * $UTEST_TMP, else /tmp. Runs as root, on Linux (where loop devices
 * exist) and on lux (user/loop/).
 */
#include "utest.h"

#include <fcntl.h>
#include <grp.h>
#include <lux/loop.h> /* Linux's ABI, as include/uapi/linux/loop.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE         (1 << 20)
#define BLKGETSIZE64 0x80081272

static char path[256];

/* The byte at offset i of the backing file. */
static unsigned char pattern(long i)
{
	return (unsigned char)(i * 7 + i / 4096);
}

/* Make the backing file: SIZE bytes of pattern. */
static int backing(void)
{
	const char *tmp = getenv("UTEST_TMP");
	static unsigned char buf[SIZE];
	int fd;

	snprintf(path, sizeof(path), "%s/loop-%d.img", tmp ? tmp : "/tmp",
		 (int)getpid());
	for (long i = 0; i < SIZE; i++)
		buf[i] = pattern(i);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!EXPECT(fd >= 0) || !EXPECT_EQ(write(fd, buf, SIZE), SIZE))
		return -1;
	return fd;
}

/* A free device, opened with flags: its descriptor, its number in *n. */
static int free_dev(int flags, int *n)
{
	char name[32];
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), fd;

	if (!EXPECT(ctl >= 0))
		return -1;
	*n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (!EXPECT(*n >= 0))
		return -1;
	snprintf(name, sizeof(name), "/dev/loop%d", *n);
	fd = open(name, flags | O_CLOEXEC);
	EXPECT(fd >= 0);
	return fd;
}

static void unbound(void)
{
	struct loop_info64 li;
	uint64_t size = 1;
	char b[16];
	int n, fd = free_dev(O_RDWR, &n);

	CHECK(fd >= 0);
	CHECK_ERR(ioctl(fd, LOOP_GET_STATUS64, &li), ENXIO);
	CHECK_ERR(ioctl(fd, LOOP_CLR_FD, 0), ENXIO);
	CHECK_ERR(ioctl(fd, LOOP_SET_STATUS64, &li), ENXIO);
	CHECK_EQ(ioctl(fd, BLKGETSIZE64, &size), 0);
	CHECK_EQ(size, 0);
	CHECK_EQ(read(fd, b, sizeof(b)), 0);
	CHECK_ERR(ioctl(fd, LOOP_SET_FD, -1), EBADF);
	CHECK_ERR(ioctl(fd, LOOP_SET_FD, 1000), EBADF);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	CHECK_ERR(ioctl(fd, LOOP_SET_FD, dir), EINVAL);
	close(dir);
	close(fd);
}

/* Read the device at off and compare with the file at base + off. */
static int same(int fd, long off, long base, long n)
{
	static unsigned char b[65536];

	if (!EXPECT_EQ(pread(fd, b, n, off), n))
		return 0;
	for (long i = 0; i < n; i++)
		if (b[i] != pattern(base + off + i))
			return EXPECT_EQ(off + i, -1);
	return 1;
}

static void attach(void)
{
	struct loop_info64 li;
	struct stat st, dst;
	uint64_t size;
	int n, file = backing(), fd = free_dev(O_RDWR, &n);

	CHECK(file >= 0 && fd >= 0);
	CHECK_EQ(ioctl(fd, LOOP_SET_FD, file), 0);
	CHECK_ERR(ioctl(fd, LOOP_SET_FD, file), EBUSY);
	CHECK_EQ(fstat(file, &st), 0);
	CHECK_EQ(fstat(fd, &dst), 0);
	CHECK(S_ISBLK(dst.st_mode));
	CHECK_EQ(ioctl(fd, LOOP_GET_STATUS64, &li), 0);
	CHECK_EQ(li.lo_number, n);
	CHECK_EQ(li.lo_inode, st.st_ino);
	CHECK_EQ(li.lo_offset, 0);
	CHECK_EQ(li.lo_flags & LO_FLAGS_READ_ONLY, 0);
	CHECK_EQ(ioctl(fd, BLKGETSIZE64, &size), 0);
	CHECK_EQ(size, SIZE);
	CHECK_EQ(lseek(fd, 0, SEEK_END), SIZE);
	CHECK(same(fd, 0, 0, 65536) && same(fd, SIZE - 4096, 0, 4096));
	CHECK(same(fd, 12345, 0, 777));
	CHECK_EQ(pwrite(fd, "written", 7, 8192), 7);
	CHECK_EQ(fsync(fd), 0);
	char b[8] = {0};
	CHECK_EQ(pread(file, b, 7, 8192), 7);
	CHECK(!memcmp(b, "written", 7));
	CHECK_EQ(pread(fd, b, 8, SIZE), 0);
	CHECK_ERR(pwrite(fd, b, 8, SIZE), ENOSPC);

	/* An offset and a size limit; the name as given. */
	li.lo_offset = 4096 * 3;
	li.lo_sizelimit = 65536;
	strcpy((char *)li.lo_file_name, "backing");
	CHECK_EQ(ioctl(fd, LOOP_SET_STATUS64, &li), 0);
	memset(&li, 0, sizeof(li));
	CHECK_EQ(ioctl(fd, LOOP_GET_STATUS64, &li), 0);
	CHECK_EQ(li.lo_offset, 4096 * 3);
	CHECK_EQ(li.lo_sizelimit, 65536);
	CHECK(!strcmp((char *)li.lo_file_name, "backing"));
	CHECK_EQ(ioctl(fd, BLKGETSIZE64, &size), 0);
	CHECK_EQ(size, 65536);
	CHECK(same(fd, 0, 4096 * 3, 65536));
	CHECK_EQ(pread(fd, b, 8, 65536), 0);

	/* The old structure. */
	struct loop_info old;
	CHECK_EQ(ioctl(fd, LOOP_GET_STATUS, &old), 0);
	CHECK_EQ(old.lo_offset, 4096 * 3);
	CHECK_EQ(old.lo_number, n);
	old.lo_offset = 512;
	CHECK_EQ(ioctl(fd, LOOP_SET_STATUS, &old), 0);
	CHECK_EQ(ioctl(fd, LOOP_GET_STATUS64, &li), 0);
	CHECK_EQ(li.lo_offset, 512);
	CHECK(same(fd, 0, 512, 4096));

	CHECK_EQ(ioctl(fd, LOOP_CLR_FD, 0), 0);
	CHECK_ERR(ioctl(fd, LOOP_GET_STATUS64, &li), ENXIO);
	close(fd);
	close(file);
	unlink(path);
}

static void read_only(void)
{
	struct loop_info64 li;
	int n, file = backing(), fd = free_dev(O_RDWR, &n);

	CHECK(file >= 0 && fd >= 0);
	close(file);
	CHECK((file = open(path, O_RDONLY)) >= 0);
	CHECK_EQ(ioctl(fd, LOOP_SET_FD, file), 0);
	close(file);
	CHECK_EQ(ioctl(fd, LOOP_GET_STATUS64, &li), 0);
	CHECK(li.lo_flags & LO_FLAGS_READ_ONLY);
	CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
	CHECK(same(fd, 4096, 0, 4096));
	CHECK_EQ(ioctl(fd, LOOP_CLR_FD, 0), 0);
	close(fd);
	unlink(path);
}

static void configure(void)
{
	struct loop_config c = {0};
	struct loop_info64 li;
	char name[32];
	int n, file = backing(), fd = free_dev(O_RDWR, &n);

	CHECK(file >= 0 && fd >= 0);
	c.fd = file;
	c.info.lo_offset = 1024;
	c.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	CHECK_EQ(ioctl(fd, LOOP_CONFIGURE, &c), 0);
	CHECK_ERR(ioctl(fd, LOOP_CONFIGURE, &c), EBUSY);
	close(file);
	CHECK_EQ(ioctl(fd, LOOP_GET_STATUS64, &li), 0);
	CHECK_EQ(li.lo_offset, 1024);
	CHECK_EQ(li.lo_flags & (LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR),
		 LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR);
	CHECK(same(fd, 0, 1024, 8192));
	CHECK_ERR(pwrite(fd, "x", 1, 0), EPERM);
	/* Auto clear: detached with its last close. */
	close(fd);
	snprintf(name, sizeof(name), "/dev/loop%d", n);
	CHECK((fd = open(name, O_RDONLY)) >= 0);
	CHECK_ERR(ioctl(fd, LOOP_GET_STATUS64, &li), ENXIO);
	close(fd);
	unlink(path);
}

/* LOOP_CLR_FD while another descriptor is open on the device: detached
 * when that one closes (auto clear). */
static void clear_deferred(void)
{
	struct loop_info64 li;
	char name[32];
	int n, file = backing(), fd = free_dev(O_RDWR, &n), fd2;

	CHECK(file >= 0 && fd >= 0);
	snprintf(name, sizeof(name), "/dev/loop%d", n);
	CHECK_EQ(ioctl(fd, LOOP_SET_FD, file), 0);
	close(file);
	CHECK((fd2 = open(name, O_RDONLY)) >= 0);
	CHECK_EQ(ioctl(fd, LOOP_CLR_FD, 0), 0);
	CHECK(same(fd2, 0, 0, 4096));
	close(fd);
	close(fd2);
	CHECK((fd = open(name, O_RDONLY)) >= 0);
	CHECK_ERR(ioctl(fd, LOOP_GET_STATUS64, &li), ENXIO);
	close(fd);
	unlink(path);
}

static void control(void)
{
	int ctl = open("/dev/loop-control", O_RDWR), n, file = backing(), fd;
	struct stat st;

	CHECK(ctl >= 0 && file >= 0);
	CHECK_EQ(fstat(ctl, &st), 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK((fd = free_dev(O_RDWR, &n)) >= 0);
	CHECK_EQ(ioctl(fd, LOOP_SET_FD, file), 0);
	CHECK(ioctl(ctl, LOOP_CTL_GET_FREE) != n);
	CHECK_ERR(ioctl(ctl, LOOP_CTL_REMOVE, n), EBUSY);
	CHECK_ERR(ioctl(ctl, LOOP_CTL_ADD, n), EEXIST);
	CHECK_ERR(ioctl(ctl, LOOP_CTL_REMOVE, 1000000), ENODEV);
	CHECK_ERR(ioctl(ctl, LOOP_SET_FD, file), ENOSYS);
	CHECK_ERR(ioctl(file, LOOP_SET_FD, file), ENOTTY);
	CHECK_ERR(ioctl(file, LOOP_CTL_GET_FREE), ENOTTY);
	CHECK_EQ(ioctl(fd, LOOP_CLR_FD, 0), 0);
	close(fd);
	/* A free device removed and added again. */
	CHECK((n = ioctl(ctl, LOOP_CTL_GET_FREE)) >= 0);
	CHECK_EQ(ioctl(ctl, LOOP_CTL_REMOVE, n), 0);
	CHECK_ERR(ioctl(ctl, LOOP_CTL_REMOVE, n), ENODEV);
	CHECK_EQ(ioctl(ctl, LOOP_CTL_ADD, n), n);
	close(ctl);
	close(file);
	unlink(path);
}

static void as_user(void)
{
	char name[32];
	int n, fd = free_dev(O_RDONLY, &n);

	if (!EXPECT(fd >= 0))
		return;
	close(fd);
	snprintf(name, sizeof(name), "/dev/loop%d", n);
	if (!EXPECT(setgroups(0, NULL) == 0) || !EXPECT(setgid(1000) == 0) ||
	    !EXPECT(setuid(1000) == 0))
		return;
	EXPECT_ERR(open("/dev/loop-control", O_RDWR), EACCES);
	EXPECT_ERR(open(name, O_RDWR), EACCES);
	EXPECT_ERR(open(name, O_RDONLY), EACCES);
}

static void permissions(void)
{
	ut_in_child(as_user);
}

/* As uid 1000, connect to lux's hand-over socket again and again (64
 * held at a time, a pause each 16; on Linux there is no such socket),
 * after a byte on ready. */
static void flood(int ready)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s[64], n = 0;

	memcpy(a.sun_path, LOOP_SOCKET, sizeof(LOOP_SOCKET) - 1);
	if (setgroups(0, NULL) || setgid(1000) || setuid(1000))
		_exit(1);
	for (int first = 1;; first = 0) {
		if (n == 64)
			while (n)
				close(s[--n]);
		if (n % 16 == 15) /* room for the others on one CPU */
			ut_sleep_ms(1);
		if ((s[n] = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0)
			_exit(1);
		if (connect(s[n], (struct sockaddr *)&a,
			    offsetof(struct sockaddr_un, sun_path) +
				sizeof(LOOP_SOCKET) - 1) == 0)
			n++;
		else
			close(s[n]);
		if (first && write(ready, "x", 1) != 1)
			_exit(1);
	}
}

/* Root's LOOP_SET_FD while an ordinary user floods the hand-over
 * socket: each succeeds (lux closed the oldest connection for a new
 * one, which could be root's between its ticket and its ioctl: EBADF). */
static void flooded(void)
{
	int n, file = backing(), fd = free_dev(O_RDWR, &n), p[2], bad = 0;
	char name[32], c;
	pid_t pid;

	CHECK(file >= 0 && fd >= 0 && pipe(p) == 0);
	close(fd);
	snprintf(name, sizeof(name), "/dev/loop%d", n);
	if ((pid = fork()) == 0)
		flood(p[1]);
	CHECK(pid > 0);
	close(p[1]);
	EXPECT_EQ(read(p[0], &c, 1), 1);
	/* Detached by the last close (Linux's LOOP_CLR_FD waits for it). */
	for (int i = 0; i < 200; i++) {
		if (!EXPECT((fd = open(name, O_RDWR)) >= 0))
			break;
		bad += ioctl(fd, LOOP_SET_FD, file) != 0;
		ioctl(fd, LOOP_CLR_FD, 0);
		close(fd);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(bad, 0);
	close(p[0]);
	close(file);
	unlink(path);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(unbound),     UT_CASE(attach),         UT_CASE(read_only),
	    UT_CASE(configure),   UT_CASE(clear_deferred), UT_CASE(control),
	    UT_CASE(permissions), UT_CASE(flooded),
	};
	return ut_main(argc, argv, "loop", cases, UT_COUNT(cases));
}
