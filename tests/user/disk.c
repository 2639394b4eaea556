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

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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

/* Run argv with UTEST_TMP=tmp and its output in log: its status. */
static int run_in(char *const argv[], const char *tmp, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		setenv("UTEST_TMP", tmp, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid < 0 ? -1 : ut_wait(pid);
}

/* Print the FAIL lines of log (a test program's output). */
static void show_failures(const char *log)
{
	static char buf[65536];
	int fd = open(log, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "FAIL") || strstr(line, "exited"))
			ut_print("  %s\n", line);
}

/* Whether /home is the ext2 disk lumen mounted. */
static int home_mounted(void)
{
	struct statfs fs;
	return statfs(MNT, &fs) == 0 && fs.f_type == 0xEF53;
}

/* /tests/file and /tests/perm on the ext2 disk: every case as on ramfs. */
static void ext2_files(void)
{
	char *file[] = {"/tests/file", NULL}, *perm[] = {"/tests/perm", NULL};
	int st;

	CHECK(home_mounted());
	CHECK_EQ(mkdir(MNT "/work", 01777), 0);
	if ((st = run_in(file, MNT "/work", "/tmp/disk-file.log")) != 0) {
		ut_fail("/tests/file on the disk: status %d", st);
		show_failures("/tmp/disk-file.log");
	}
	if ((st = run_in(perm, MNT "/work", "/tmp/disk-perm.log")) != 0) {
		ut_fail("/tests/perm on the disk: status %d", st);
		show_failures("/tmp/disk-perm.log");
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

static const struct ut_case cases[] = {
    UT_CASE(node),           UT_CASE(not_mine),     UT_CASE(pattern_read),
    UT_CASE(pattern_write),  UT_CASE(ext2_files),   UT_CASE(persist_write),
    UT_CASE(unsynced_write), UT_CASE(persist_read),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "disk", cases, UT_COUNT(cases));
}
