/*
 * disk: the virtio-blk driver server through /dev/vda and /dev/vdb,
 * booted by tests/disk.py with two disks the host made: vda is an ext2
 * image (mke2fs on the host) that lumen mounts on /home at boot
 * (/etc/fstab), for the file tests, a file that must survive a
 * power-off, and the host's e2fsck afterwards; vdb (4 MiB) holds pattern
 * A in its first half, which the test reads; it writes pattern B into
 * the second half, which the host then checks in its image.
 *
 * Pattern seed: the 32-bit word at byte offset o is
 * (o / 4) * 2654435761 ^ seed, little-endian (tests/disk.py makes the
 * same). lux-specific (its disks); run by case name, never by the runner.
 */
#include "utest.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DISK_BYTES (4u << 20)
#define HALF       (DISK_BYTES / 2)
#define SEED_A     0x5a5a5a5au
#define SEED_B     0xa5a5a5a5u
#define SEED_C     0x3c3c3c3cu
#define MNT        "/home"
#define PERSIST    MNT "/persist"
#define PERSIST_SZ (1u << 20)
#define SEED_D     0x0f0f0f0fu
#define SEED_E     0xf00df00du
#define CHUNK      (64u << 10)
#define BIG_SZ     (64u << 20)
#define OP_SECONDS 60          /* one write or fsync longer than this: a hang */
#define BACK_MS    (60 * 1000) /* a restarted server must be back */
#define RAW_MOUNTS 40          /* more than lumen's service slots */

/* Fill buf with the pattern's bytes [off, off + len). */
static void pattern(uint32_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t o = off + i;
		uint32_t w = (uint32_t)(o / 4) * 2654435761u ^ seed;
		buf[i] = (unsigned char)(w >> (8 * (o % 4)));
	}
}

/* Whether fd's bytes [off, off + len) are the pattern, read in chunks of
 * chunk bytes; fails the case naming the first wrong offset. */
static int check_range(int fd, uint32_t seed, uint64_t off, size_t len,
		       size_t chunk)
{
	unsigned char *got = malloc(chunk), *want = malloc(chunk);
	int ok = got && want;

	for (size_t done = 0; ok && done < len; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;
		ssize_t r = pread(fd, got, n, off + done);
		pattern(seed, off + done, want, n);
		if (r != (ssize_t)n || memcmp(got, want, n)) {
			ut_fail("pread %zu at %llu: %zd, %s", n,
				(unsigned long long)(off + done), r,
				r == (ssize_t)n ? "wrong data" : "short");
			ok = 0;
		}
	}
	free(got);
	free(want);
	return ok;
}

static void node(void)
{
	struct stat st;
	int fd;

	CHECK_EQ(stat("/dev/vdb", &st), 0);
	CHECK(S_ISBLK(st.st_mode));
	CHECK_EQ(st.st_size, DISK_BYTES);
	CHECK_ERR(open("/dev/vdb", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK((fd = open("/dev/vdb", O_RDONLY)) >= 0);
	CHECK_EQ(lseek(fd, 0, SEEK_END), DISK_BYTES);
	char c;
	CHECK_EQ(pread(fd, &c, 1, DISK_BYTES), 0); /* the end */
	close(fd);
	CHECK((fd = open("/dev/vdb", O_RDWR)) >= 0);
	CHECK_ERR(pwrite(fd, "x", 1, DISK_BYTES), ENOSPC);
	close(fd);
}

static void not_mine_child(void)
{
	CHECK_EQ(setgid(1000), 0);
	CHECK_EQ(setuid(1000), 0);
	CHECK_ERR(open("/dev/vdb", O_RDONLY), EACCES);
	CHECK_ERR(access("/dev/vdb", R_OK), EACCES);
}

/* An ordinary user cannot use the disk (0660 root:disk). */
static void not_mine(void)
{
	ut_in_child(not_mine_child);
}

struct job {
	int fd;
	uint64_t off;
	size_t len, chunk;
	int ok;
};

static void *read_job(void *arg)
{
	struct job *j = arg;

	j->ok = check_range(j->fd, SEED_A, j->off, j->len, j->chunk);
	return NULL;
}

/* Pattern A through /dev/vdb, by four threads at once (requests in
 * flight together), in chunks of every kind: sector multiples, odd
 * sizes, more than one request's worth. */
static void pattern_read(void)
{
	static const size_t chunks[] = {4096, 1000, 65536, 200000};
	struct job jobs[4];
	pthread_t t[4];
	int fd = open("/dev/vdb", O_RDONLY);

	CHECK(fd >= 0);
	for (int i = 0; i < 4; i++) {
		jobs[i] =
		    (struct job){fd, i * (HALF / 4) + (i == 1 ? 3 : 0),
				 HALF / 4 - (i == 1 ? 3 : 0), chunks[i], 0};
		CHECK_EQ(pthread_create(&t[i], NULL, read_job, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT(jobs[i].ok);
	}
	close(fd);
}

static void *write_job(void *arg)
{
	struct job *j = arg;
	unsigned char *buf = malloc(j->chunk);

	j->ok = buf != NULL;
	for (size_t done = 0; j->ok && done < j->len; done += j->chunk) {
		size_t n = j->len - done < j->chunk ? j->len - done : j->chunk;
		pattern(SEED_B, j->off + done, buf, n);
		j->ok = pwrite(j->fd, buf, n, j->off + done) == (ssize_t)n;
	}
	free(buf);
	return NULL;
}

/* Pattern B into the second half, by four threads at once, aligned and
 * not (a write of part of a sector reads it first), then fsync (the
 * device's flush); read back here, and by the host in its image. */
static void pattern_write(void)
{
	static const size_t chunks[] = {65536, 4096, 1000, 512 * 3};
	struct job jobs[4];
	pthread_t t[4];
	int fd = open("/dev/vdb", O_RDWR);

	CHECK(fd >= 0);
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct job){fd, HALF + i * (HALF / 4), HALF / 4,
				       chunks[i], 0};
		CHECK_EQ(pthread_create(&t[i], NULL, write_job, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		EXPECT(jobs[i].ok);
	}
	CHECK_EQ(fsync(fd), 0);
	CHECK(check_range(fd, SEED_B, HALF, HALF, 65536));
	CHECK(check_range(fd, SEED_A, 0, 4096, 4096)); /* untouched */
	close(fd);
}

/* Whether /home is the ext2 disk lumen mounted. */
static int home_mounted(void)
{
	struct statfs fs;
	return statfs(MNT, &fs) == 0 && fs.f_type == 0xEF53;
}

/* The block device ioctls on /dev/vdb: its size in bytes and in sectors,
 * its sector size, as Linux answers them; EFAULT for a bad pointer;
 * ENOTTY for another command, and on files that are not a disk (ramfs,
 * ext2). */
static void blk_ioctl(void)
{
	uint64_t size = 0;
	unsigned long sectors = 0;
	int ssz = 0, fd;

	CHECK((fd = open("/dev/vdb", O_RDONLY)) >= 0);
	CHECK_EQ(ioctl(fd, BLKGETSIZE64, &size), 0);
	EXPECT_EQ(size, DISK_BYTES);
	CHECK_EQ(ioctl(fd, BLKGETSIZE, &sectors), 0);
	EXPECT_EQ(sectors, DISK_BYTES / 512);
	CHECK_EQ(ioctl(fd, BLKSSZGET, &ssz), 0);
	EXPECT_EQ(ssz, 512);
	CHECK_ERR(ioctl(fd, BLKGETSIZE64, (void *)8), EFAULT);
	CHECK_ERR(ioctl(fd, FIONREAD, &ssz), ENOTTY);
	close(fd);
	CHECK((fd = open("/tmp/blk_ioctl", O_RDWR | O_CREAT, 0644)) >= 0);
	CHECK_ERR(ioctl(fd, BLKGETSIZE64, &size), ENOTTY);
	close(fd);
	unlink("/tmp/blk_ioctl");
	CHECK(home_mounted());
	CHECK((fd = open(MNT "/blk_ioctl", O_RDWR | O_CREAT, 0644)) >= 0);
	CHECK_ERR(ioctl(fd, BLKSSZGET, &ssz), ENOTTY);
	close(fd);
	CHECK_EQ(unlink(MNT "/blk_ioctl"), 0);
}

/* /tests/file and /tests/perm on the ext2 disk: every case as on ramfs. */
static void ext2_files(void)
{
	char *file[] = {"/tests/file", NULL}, *perm[] = {"/tests/perm", NULL};
	int st;

	CHECK(home_mounted());
	CHECK_EQ(mkdir(MNT "/work", 01777), 0);
	if ((st = ut_run_in(file, MNT "/work", "/tmp/disk-file.log")) != 0) {
		ut_fail("/tests/file on the disk: status %d", st);
		ut_show_failures("/tmp/disk-file.log");
	}
	if ((st = ut_run_in(perm, MNT "/work", "/tmp/disk-perm.log")) != 0) {
		ut_fail("/tests/perm on the disk: status %d", st);
		ut_show_failures("/tmp/disk-perm.log");
	}
}

/* A file written and fsynced, then the power goes (tests/disk.py boots
 * again with persist_read). */
static void persist_write(void)
{
	unsigned char *buf = malloc(PERSIST_SZ);
	int fd;

	CHECK(buf != NULL);
	pattern(SEED_C, 0, buf, PERSIST_SZ);
	CHECK(home_mounted());
	CHECK((fd = open(PERSIST, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	CHECK_EQ(write(fd, buf, PERSIST_SZ), PERSIST_SZ);
	CHECK_EQ(fsync(fd), 0);
	close(fd);
	free(buf);
}

/* A file written, not synced, just before the power goes: lumen lets
 * the file system write it first (halt, poweroff, and the end of its
 * command as here). */
static void unsynced_write(void)
{
	int fd;

	CHECK(home_mounted());
	CHECK((fd = open(MNT "/unsynced", O_WRONLY | O_CREAT, 0644)) >= 0);
	CHECK_EQ(write(fd, "written last\n", 13), 13);
	close(fd);
}

/* After a power-off: the files are there, whole. */
static void persist_read(void)
{
	char buf[32] = {0};
	int fd;

	CHECK((fd = open(MNT "/unsynced", O_RDONLY)) >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 13);
	CHECK_EQ(strcmp(buf, "written last\n"), 0);
	close(fd);

	CHECK(home_mounted());
	CHECK((fd = open(PERSIST, O_RDONLY)) >= 0);
	CHECK(check_range(fd, SEED_C, 0, PERSIST_SZ, 65536));
	char c;
	CHECK_EQ(pread(fd, &c, 1, PERSIST_SZ), 0);
	close(fd);
}

/* The pid of the process whose command line is prog and then arg (arg
 * NULL: the one with the lowest number as its first argument, which is
 * /dev/vda's driver: lumen gives the PCI functions in order, and
 * tests/disk.py attaches vda first); 0 if there is none. */
static pid_t find_proc(const char *prog, const char *arg)
{
	char path[64], buf[256];
	unsigned long long best = ~0ull;
	DIR *d = opendir("/proc");
	pid_t pid = 0;
	int fd;

	for (struct dirent *e; d && (e = readdir(d));) {
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		size_t len = strlen(prog) + 1;
		if (n <= (ssize_t)len || memcmp(buf, prog, len))
			continue;
		buf[n] = 0;
		if (arg && strcmp(buf + len, arg))
			continue;
		unsigned long long key = arg ? 0 : strtoull(buf + len, NULL, 0);
		if (key < best) {
			best = key;
			pid = atoi(e->d_name);
		}
	}
	if (d)
		closedir(d);
	return pid;
}

/* Mount vdb (no file system) on /tmp/raw and wait until its ext2
 * server has exited: 1 if it did within BACK_MS. */
static int raw_mounted(void)
{
	struct stat st;
	int ms = 0;

	if (mount("/dev/vdb", "/tmp/raw", "ext2", 0, NULL) != 0) {
		ut_fail("mount: %s", strerror(errno));
		return 0;
	}
	EXPECT_ERR(stat("/tmp/raw/x", &st), EIO);
	for (; find_proc("/sbin/ext2", "/dev/vdb") && ms < BACK_MS; ms += 50)
		ut_sleep_ms(50);
	return ms < BACK_MS;
}

/* The id the kernel gives the next process: a child's, which exits at
 * once (ids are given in order and never reused; lumen's router thread
 * is the only thread any server makes). */
static pid_t next_pid(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid(p, NULL, 0);
	return p;
}

/* mount -t ext2 of a disk that holds no file system (vdb: a pattern):
 * mount(2) succeeds, calls on the mount fail with EIO, the server exits
 * saying so (LUX_EXIT_UNSERVABLE) and lumen does not restart it; umount
 * works, and rmdir of the mount point after it. The first mount waits a
 * second once its server is gone (restarts would come after 100, 200 and
 * 400 ms); RAW_MOUNTS more mounts and umounts follow, each after its
 * server gave up (lumen frees each one's slot: it has 32). Over all of
 * it lumen started one process a mount and no other: no restart (the
 * process ids it used; tests/disk.py also looks for lumen's lines). */
static void raw_mount(void)
{
	struct stat st;
	pid_t first, last;

	CHECK_EQ(mkdir("/tmp/raw", 0755), 0);
	CHECK((first = next_pid()) > 0);
	CHECK(raw_mounted());
	ut_sleep_ms(1000);
	EXPECT_EQ(find_proc("/sbin/ext2", "/dev/vdb"), 0);
	CHECK_ERR(stat("/tmp/raw/x", &st), EIO);
	CHECK_EQ(umount("/tmp/raw"), 0);
	for (int i = 0; i < RAW_MOUNTS; i++) {
		CHECK(raw_mounted());
		CHECK_EQ(umount("/tmp/raw"), 0);
	}
	CHECK((last = next_pid()) > 0);
	EXPECT_EQ(last - first - 1, 1 + RAW_MOUNTS);
	CHECK_EQ(rmdir("/tmp/raw"), 0);
}

/* Wait until a process prog (arg) other than old runs: its pid, or 0
 * after BACK_MS. lumen restarts a killed server after its back-off. */
static pid_t restarted(const char *prog, const char *arg, pid_t old)
{
	pid_t pid = 0;

	for (int ms = 0; ms < BACK_MS; ms += 50) {
		if ((pid = find_proc(prog, arg)) > 0 && pid != old)
			return pid;
		ut_sleep_ms(50);
	}
	return 0;
}

/* Write CHUNK-byte pieces of pattern seed into path, n times round its
 * first 1 MiB, each followed by fsync if sync; every call that fails is
 * counted, none may take longer than OP_SECONDS (SIGALRM ends the
 * process: the parent sees a hang). Writes one byte to note after the
 * first success. Exit status: 0. */
static _Noreturn void writer(const char *path, uint32_t seed, int n, bool sync,
			     int note)
{
	unsigned char *buf = malloc(CHUNK);
	int fd = -1, bad = 0;

	for (int i = 0; buf && i < n; i++) {
		uint64_t off = (uint64_t)(i % 16) * CHUNK;
		alarm(OP_SECONDS);
		if (fd < 0)
			fd = open(path, O_WRONLY | O_CREAT, 0644);
		pattern(seed, off, buf, CHUNK);
		bool ok = fd >= 0 && pwrite(fd, buf, CHUNK, off) == CHUNK &&
			  (!sync || fsync(fd) == 0);
		if (!ok && fd >= 0)
			close(fd), fd = -1; /* a file of a dead server */
		bad += !ok;
		if (ok && note >= 0 && write(note, "", 1) == 1)
			close(note), note = -1;
	}
	alarm(0);
	ut_print("disk: writer: %d of %d calls failed\n", bad, n);
	_exit(0);
}

/* Start writer in a child; return when it wrote once: its pid. */
static pid_t start_writer(const char *path, uint32_t seed, int n, bool sync)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		writer(path, seed, n, sync, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		pid = -pid; /* it never wrote */
	close(p[0]);
	return pid;
}

/* The writer ended by itself (no hang): its calls failed or not. */
static int writer_done(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return 0;
	if (WIFSIGNALED(st))
		ut_fail("writer killed by signal %d (%s)", WTERMSIG(st),
			WTERMSIG(st) == SIGALRM ? "a call hung" : "?");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Write and fsync path (CHUNK bytes of seed), read it back: 1 if all of
 * it worked. */
static int write_back(const char *path, uint32_t seed)
{
	unsigned char *buf = malloc(CHUNK);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), ok = 0;

	if (buf && fd >= 0) {
		pattern(seed, 0, buf, CHUNK);
		ok = pwrite(fd, buf, CHUNK, 0) == CHUNK && fsync(fd) == 0 &&
		     check_range(fd, seed, 0, CHUNK, CHUNK);
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* kill -9 of /dev/vda's driver while a client writes and fsyncs on
 * /home: the client's calls fail or succeed, none hangs; lumen restarts
 * the driver, the ext2 server opens it again, and new writes work
 * without the ext2 server having been restarted. */
static void driver_kill(void)
{
	pid_t drv, fs, w;

	CHECK(home_mounted());
	CHECK((drv = find_proc("/sbin/virtio-blk", NULL)) > 0);
	CHECK((fs = find_proc("/sbin/ext2", "/dev/vda")) > 0);
	CHECK((w = start_writer(MNT "/driver_kill", SEED_D, 200, true)) > 0);
	CHECK_EQ(kill(drv, SIGKILL), 0);
	CHECK(writer_done(w));
	CHECK(restarted("/sbin/virtio-blk", NULL, drv) > 0);
	CHECK(write_back(MNT "/after_driver", SEED_D));
	EXPECT_EQ(find_proc("/sbin/ext2", "/dev/vda"), fs);
}

/* kill -9 of the ext2 server while a client writes on /home: a file
 * whose fsync returned before is whole once lumen restarted it (the
 * host's e2fsck then checks the image: tests/disk.py). */
static void ext2_kill(void)
{
	pid_t fs, w;
	int fd = -1;

	CHECK(home_mounted());
	CHECK(write_back(MNT "/synced", SEED_E));
	CHECK((fs = find_proc("/sbin/ext2", "/dev/vda")) > 0);
	CHECK((w = start_writer(MNT "/ext2_kill", SEED_D, 400, false)) > 0);
	CHECK_EQ(kill(fs, SIGKILL), 0);
	CHECK(writer_done(w));
	CHECK(restarted("/sbin/ext2", "/dev/vda", fs) > 0);
	/* EIO until the new server serves the mount; anything else fails */
	for (int ms = 0; fd < 0 && ms < BACK_MS; ms += 50)
		if ((fd = open(MNT "/synced", O_RDONLY)) < 0 && errno == EIO)
			ut_sleep_ms(50);
		else if (fd < 0)
			break;
	CHECK(fd >= 0);
	EXPECT(check_range(fd, SEED_E, 0, CHUNK, CHUNK));
	close(fd);
}

/* FNV-1a over buf, from h. */
static uint64_t fnv(uint64_t h, const unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return h;
}

/* A 64 MiB file on /home, written, fsynced, read back: same checksum. */
static void big_file(void)
{
	unsigned char *buf = malloc(1u << 20);
	uint64_t put = 0xcbf29ce484222325ull, got = put;
	int fd;

	CHECK(buf != NULL);
	CHECK((fd = open(MNT "/big", O_RDWR | O_CREAT | O_TRUNC, 0644)) >= 0);
	for (uint64_t off = 0; off < BIG_SZ; off += 1u << 20) {
		pattern(SEED_E, off, buf, 1u << 20);
		put = fnv(put, buf, 1u << 20);
		CHECK_EQ(pwrite(fd, buf, 1u << 20, off), 1 << 20);
	}
	CHECK_EQ(fsync(fd), 0);
	for (uint64_t off = 0; off < BIG_SZ; off += 1u << 20) {
		CHECK_EQ(pread(fd, buf, 1u << 20, off), 1 << 20);
		got = fnv(got, buf, 1u << 20);
	}
	CHECK_EQ(pread(fd, buf, 1, BIG_SZ), 0);
	EXPECT(got == put);
	close(fd);
	CHECK_EQ(unlink(MNT "/big"), 0);
	free(buf);
}

/* The plug tests: files f<i> under PLUG_DIR, i from 0, of plug_size(i)
 * bytes of pattern SEED_C ^ i; of the first PLUG_SYNCED odd ones, 1, 5, 9
 * fsynced and 3, 7, 11 made durable by sync() (their numbers on the
 * console once that returned), none after them; the even ones later
 * removed or renamed. */
#define PLUG_DIR    MNT "/plug"
#define PLUG_FILES  4000 /* the host kills QEMU long before */
#define PLUG_MAX    64   /* numbers plug_read takes (plug=1,3,...) */
#define PLUG_SYNCED 6    /* as tests/disk.py: QEMU is killed after them */

static int plug_list[PLUG_MAX], plug_count = -1;

/* 4 KiB to ~300 KiB: direct, indirect and double-indirect blocks. */
static size_t plug_size(int i)
{
	return i % 5 == 3 ? 300000 + (size_t)i
			  : (size_t)(i % 7 + 1) * 12288 + 100;
}

static void plug_path(char *path, size_t n, const char *what, int i)
{
	snprintf(path, n, "%s/%s%d", PLUG_DIR, what, i);
}

/* Write file i in 16 KiB pieces; 0 on success. */
static int plug_file(int i)
{
	static unsigned char buf[16384];
	size_t size = plug_size(i);
	char path[64];
	int fd, ok;

	plug_path(path, sizeof(path), "f", i);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return -1;
	ok = 1;
	for (size_t off = 0; ok && off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		pattern(SEED_C ^ (uint32_t)i, off, buf, n);
		ok = pwrite(fd, buf, n, off) == (ssize_t)n;
	}
	bool synced = i % 2 && i < 2 * PLUG_SYNCED;
	if (ok && synced && i % 4 == 1 && fsync(fd) != 0)
		ok = 0;
	ok = close(fd) == 0 && ok;
	if (ok && synced && i % 4 == 3)
		sync(); /* the last one: nothing written after it is synced */
	if (ok && synced)
		ut_print("disk: plug synced %d\n", i);
	return ok ? 0 : -1;
}

/* The workload QEMU is killed in (tests/disk.py, after some "synced"
 * lines): files written one after the other, every second one fsynced;
 * of the others, one in two is removed and one in two renamed later, so
 * that names, inodes and blocks change all the time. It fails if it
 * ends, or a call fails. */
static void plug_write(void)
{
	char from[64], to[64];

	CHECK(home_mounted());
	CHECK_EQ(mkdir(PLUG_DIR, 0755), 0);
	for (int i = 0; i < PLUG_FILES; i++) {
		CHECK_EQ(plug_file(i), 0);
		if (i < 4 || i % 2)
			continue;
		plug_path(from, sizeof(from), "f", i - 4);
		plug_path(to, sizeof(to), "r", i - 4);
		if (i % 4)
			CHECK_EQ(unlink(from), 0);
		else
			CHECK_EQ(rename(from, to), 0);
	}
	ut_fail("%d files written: QEMU was not killed", PLUG_FILES);
}

/* After the plug was pulled: each file whose fsync had returned (the
 * host's list, plug=1,3,...) is whole, with its size. */
static void plug_read(void)
{
	struct stat st;
	char path[64];
	int fd;

	CHECK(plug_count > 0);
	CHECK(home_mounted());
	for (int k = 0; k < plug_count; k++) {
		int i = plug_list[k];
		plug_path(path, sizeof(path), "f", i);
		if ((fd = open(path, O_RDONLY)) < 0) {
			ut_fail("%s: %s", path, strerror(errno));
			continue;
		}
		if (fstat(fd, &st) != 0 || st.st_size != (off_t)plug_size(i))
			ut_fail("%s: size %lld, not %zu", path,
				(long long)st.st_size, plug_size(i));
		else if (!check_range(fd, SEED_C ^ (uint32_t)i, 0, plug_size(i),
				      65536))
			ut_fail("%s: wrong data", path);
		close(fd);
	}
}

/* plug=1,3,... among the arguments: plug_read's list. */
static void plug_args(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		if (strncmp(argv[a], "plug=", 5))
			continue;
		char *p = argv[a] + 5;
		for (plug_count = 0; *p && plug_count < PLUG_MAX;
		     plug_count++) {
			plug_list[plug_count] = (int)strtol(p, &p, 10);
			if (*p == ',')
				p++;
		}
	}
}

static const struct ut_case cases[] = {
    UT_CASE(node),          UT_CASE(blk_ioctl),      UT_CASE(not_mine),
    UT_CASE(pattern_read),  UT_CASE(pattern_write),  UT_CASE(ext2_files),
    UT_CASE(persist_write), UT_CASE(unsynced_write), UT_CASE(persist_read),
    UT_CASE(driver_kill),   UT_CASE(ext2_kill),      UT_CASE(big_file),
    UT_CASE(plug_write),    UT_CASE(plug_read),      UT_CASE(raw_mount),
};

int main(int argc, char **argv)
{
	plug_args(argc, argv);
	return ut_main(argc, argv, "disk", cases, UT_COUNT(cases));
}
