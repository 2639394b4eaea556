/*
 * fmap: mmap of regular files as Linux maps them: MAP_SHARED stores seen
 * by read and by another process's mapping, writes seen by mappings,
 * MAP_PRIVATE copy on write (a private mapping sees the file until it
 * writes a page, and its stores never reach the file), both across fork,
 * stores after the descriptor's close, mprotect read-only then a store
 * (SIGSEGV), a read-only descriptor (EACCES), msync's checks, madvise
 * (MADV_DONTNEED keeps shared data, drops a private copy), pages past the
 * end (SIGBUS), ftruncate of a mapped file, and a file of several MiB.
 * On lux the file's server hands the kernel a memory object for it
 * (docs/decisions/0032-file-mapping.md); UTEST_TMP names another file
 * system to run on (tests/user/ext2.c runs it on ext2).
 */
#include "utest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG    UT_PAGE
#define LARGE (6UL << 20) /* several MiB */

static char path[128];

/* The test file made anew with size bytes of pattern c + offset / 512,
 * open read-write. */
static int make_file(size_t size, char c)
{
	static char buf[4096];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	for (size_t off = 0; fd >= 0 && off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(c + (off + i) / 512);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* The byte at off of the file, read with pread on a new descriptor. */
static int byte_at(off_t off)
{
	int fd = open(path, O_RDONLY);
	char c;
	long n = fd < 0 ? -1 : pread(fd, &c, 1, off);

	close(fd);
	return n == 1 ? (unsigned char)c : -1;
}

static char *map(int fd, size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A MAP_SHARED store is in the file for read at once. */
static void shared_store_read(void)
{
	int fd = make_file(2 * PG, 'a');
	char *p, c;

	CHECK(fd >= 0);
	CHECK((p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	EXPECT_EQ(p[0], 'a');
	EXPECT_EQ(p[PG + 1], 'a' + (PG + 1) / 512);
	p[10] = 'X';
	p[PG + 20] = 'Y';
	CHECK_EQ(pread(fd, &c, 1, 10), 1);
	EXPECT_EQ(c, 'X');
	EXPECT_EQ(byte_at(PG + 20), 'Y');
	EXPECT_EQ(munmap(p, 2 * PG), 0);
	EXPECT_EQ(byte_at(10), 'X'); /* and after the unmap */
	close(fd);
}

/* write() to the file is seen by mappings made before it. */
static void write_seen_by_map(void)
{
	int fd = make_file(PG, 'a');
	char *s, *q;

	CHECK(fd >= 0);
	CHECK((s = map(fd, PG, PROT_READ, MAP_SHARED)));
	CHECK((q = map(fd, PG, PROT_READ, MAP_PRIVATE)));
	EXPECT_EQ(s[100], 'a');
	EXPECT_EQ(q[100], 'a');
	CHECK_EQ(pwrite(fd, "W", 1, 100), 1);
	EXPECT_EQ(s[100], 'W');
	EXPECT_EQ(q[100], 'W'); /* an untouched private page sees the file */
	munmap(s, PG);
	munmap(q, PG);
	close(fd);
}

/* A store by another process, through its own mapping of the file, is
 * seen by this one's mapping. */
static void other_process(void)
{
	int fd = make_file(PG, 'a'), st;
	char *p;

	CHECK(fd >= 0);
	CHECK((p = map(fd, PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	EXPECT_EQ(p[7], 'a');
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open(path, O_RDWR);
		char *c = cfd < 0 ? NULL : map(cfd, PG, PROT_WRITE, MAP_SHARED);
		if (c)
			c[7] = 'C';
		_exit(c ? 0 : 1);
	}
	CHECK(pid > 0);
	st = ut_wait(pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(p[7], 'C');
	p[8] = 'P';
	EXPECT_EQ(byte_at(8), 'P');
	munmap(p, PG);
	close(fd);
}

/* MAP_PRIVATE: a store makes the page a private copy, never the file's;
 * the other pages still see the file. */
static void private_cow(void)
{
	int fd = make_file(2 * PG, 'a');
	char *q;

	CHECK(fd >= 0);
	CHECK((q = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	q[5] = 'Q';
	EXPECT_EQ(q[5], 'Q');
	EXPECT_EQ(byte_at(5), 'a');
	CHECK_EQ(pwrite(fd, "F", 1, 6), 1);
	EXPECT_EQ(q[6], 'a'); /* the copy was made before */
	CHECK_EQ(pwrite(fd, "G", 1, PG + 6), 1);
	EXPECT_EQ(q[PG + 6], 'G'); /* never stored to: the file's page */
	munmap(q, 2 * PG);
	close(fd);
}

/* Across fork a shared mapping stays shared both ways and a private one
 * is copied. */
static void across_fork(void)
{
	int fd = make_file(PG, 'a'), st;
	char *s, *q;

	CHECK(fd >= 0);
	CHECK((s = map(fd, PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	CHECK((q = map(fd, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	s[1] = 'p';
	q[1] = 'q';
	pid_t pid = fork();
	if (pid == 0) {
		int ok = s[1] == 'p' && q[1] == 'q';
		s[2] = 'S';
		q[2] = 'Q';
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0);
	st = ut_wait(pid);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(s[2], 'S');
	EXPECT_EQ(byte_at(2), 'S');
	EXPECT_EQ(q[2], 'a'); /* the child's private store was its own */
	EXPECT_EQ(q[1], 'q');
	munmap(s, PG);
	munmap(q, PG);
	close(fd);
}

/* Stores after the descriptor's close still reach the file. */
static void store_after_close(void)
{
	int fd = make_file(PG, 'a');
	char *p;

	CHECK(fd >= 0);
	CHECK((p = map(fd, PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	CHECK_EQ(close(fd), 0);
	p[3] = 'Z';
	EXPECT_EQ(byte_at(3), 'Z');
	munmap(p, PG);
	EXPECT_EQ(byte_at(3), 'Z');
}

/* mprotect to read-only, then a store: SIGSEGV, and the file keeps its
 * byte; back to read-write, the store works. */
static void mprotect_ro(void)
{
	int fd = make_file(PG, 'a');
	struct ut_fault f;
	char *p;

	CHECK(fd >= 0);
	CHECK((p = map(fd, PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	p[0] = 'b';
	CHECK_EQ(mprotect(p, PG, PROT_READ), 0);
	EXPECT_EQ(ut_probe(p + 9, 1, &f), SIGSEGV);
	EXPECT_EQ(byte_at(9), 'a');
	EXPECT_EQ(p[0], 'b');
	CHECK_EQ(mprotect(p, PG, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(ut_probe(p + 9, 1, &f), 0);
	munmap(p, PG);
	close(fd);
}

/* A descriptor open read-only: no writable shared mapping (EACCES), nor
 * mprotect to writable later; a private writable one is fine. */
static void rdonly_eacces(void)
{
	int wfd = make_file(PG, 'a'), fd = open(path, O_RDONLY);
	char *p;

	close(wfd);
	CHECK(fd >= 0);
	errno = 0;
	EXPECT(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
	       MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
	CHECK((p = map(fd, PG, PROT_READ, MAP_SHARED)));
	EXPECT_EQ(p[0], 'a');
	EXPECT_ERR(mprotect(p, PG, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, PG);
	CHECK((p = map(fd, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	p[0] = 'x';
	EXPECT_EQ(byte_at(0), 'a');
	munmap(p, PG);
	close(fd);
}

/* msync: its checks, and MS_SYNC and MS_ASYNC on a shared mapping. */
static void msync_calls(void)
{
	int fd = make_file(2 * PG, 'a');
	char *p;

	CHECK(fd >= 0);
	CHECK((p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	p[0] = 'm';
	EXPECT_EQ(msync(p, 2 * PG, MS_SYNC), 0);
	EXPECT_EQ(msync(p, PG, MS_ASYNC), 0);
	EXPECT_EQ(msync(p, 2 * PG, MS_INVALIDATE), 0);
	EXPECT_ERR(msync(p + 1, PG, MS_SYNC), EINVAL);
	EXPECT_ERR(msync(p, PG, MS_SYNC | MS_ASYNC), EINVAL);
	EXPECT_ERR(msync(p, PG, 0x100), EINVAL);
	EXPECT_EQ(byte_at(0), 'm');
	munmap(p + PG, PG);
	EXPECT_ERR(msync(p, 2 * PG, MS_SYNC), ENOMEM);
	munmap(p, PG);
	close(fd);
}

/* MADV_DONTNEED: a shared mapping keeps the file's data; a private one
 * loses its copy and sees the file again. */
static void madvise_dontneed(void)
{
	int fd = make_file(PG, 'a');
	char *s, *q;

	CHECK(fd >= 0);
	CHECK((s = map(fd, PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	CHECK((q = map(fd, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	s[4] = 's';
	q[4] = 'q';
	CHECK_EQ(madvise(s, PG, MADV_DONTNEED), 0);
	CHECK_EQ(madvise(q, PG, MADV_DONTNEED), 0);
	EXPECT_EQ(s[4], 's');
	EXPECT_EQ(q[4], 's'); /* the file's byte, not a zero */
	EXPECT_EQ(byte_at(4), 's');
	munmap(s, PG);
	munmap(q, PG);
	close(fd);
}

/* Past the end: the rest of the last page reads as zeros, a page wholly
 * past it is SIGBUS; growing the file makes it readable. */
static void past_eof(void)
{
	int fd = make_file(100, 'a');
	struct ut_fault f;
	char *p;

	CHECK(fd >= 0);
	CHECK((p = map(fd, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	EXPECT_EQ(p[99], 'a');
	EXPECT_EQ(p[100], 0);
	EXPECT_EQ(p[PG - 1], 0);
	EXPECT_EQ(ut_probe(p + PG, 0, &f), SIGBUS);
	EXPECT_EQ(f.addr, p + PG);
	CHECK_EQ(ftruncate(fd, 2 * PG), 0);
	EXPECT_EQ(ut_probe(p + PG, 0, &f), 0);
	EXPECT_EQ(p[PG], 0);
	p[PG + 1] = 'g';
	EXPECT_EQ(byte_at(PG + 1), 'g');
	EXPECT_EQ(ut_probe(p + 2 * PG, 1, &f), SIGBUS);
	munmap(p, 3 * PG);
	close(fd);
}

/* ftruncate of a mapped file: shrinking makes the cut page SIGBUS (one
 * the mapping never touched: lux keeps touched ones, decision 0004) and
 * the rest of the last page zeros; growing again shows zeros. */
static void truncate_mapped(void)
{
	int fd = make_file(3 * PG, 'a');
	struct ut_fault f;
	char *p;

	CHECK(fd >= 0);
	CHECK((p = map(fd, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED)));
	EXPECT_EQ(p[PG + 50], 'a' + (PG + 50) / 512);
	CHECK_EQ(ftruncate(fd, PG + 10), 0);
	EXPECT_EQ(p[PG + 9], 'a' + (PG + 9) / 512);
	EXPECT_EQ(p[PG + 50], 0);
	EXPECT_EQ(ut_probe(p + 2 * PG, 0, &f), SIGBUS);
	CHECK_EQ(ftruncate(fd, 3 * PG), 0);
	EXPECT_EQ(p[2 * PG + 5], 0);
	EXPECT_EQ(byte_at(PG + 50), 0);
	p[2 * PG + 5] = 't';
	EXPECT_EQ(byte_at(2 * PG + 5), 't');
	munmap(p, 3 * PG);
	close(fd);
}

/* A file of several MiB: every page read through the mapping, stored to,
 * and the stores read back with read(). */
static void large_file(void)
{
	int fd = make_file(LARGE, 'a');
	char *p, c;
	long bad = 0;

	CHECK(fd >= 0);
	CHECK((p = map(fd, LARGE, PROT_READ | PROT_WRITE, MAP_SHARED)));
	for (size_t off = 0; off < LARGE; off += PG) {
		bad += p[off + 600] != (char)('a' + (off + 600) / 512);
		p[off + 7] = (char)(off / PG);
	}
	EXPECT_EQ(bad, 0);
	for (size_t off = 0; off < LARGE; off += 97 * PG) {
		CHECK_EQ(pread(fd, &c, 1, (off_t)off + 7), 1);
		bad += c != (char)(off / PG);
	}
	EXPECT_EQ(bad, 0);
	munmap(p, LARGE);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(shared_store_read), UT_CASE(write_seen_by_map),
	    UT_CASE(other_process),     UT_CASE(private_cow),
	    UT_CASE(across_fork),       UT_CASE(store_after_close),
	    UT_CASE(mprotect_ro),       UT_CASE(rdonly_eacces),
	    UT_CASE(msync_calls),       UT_CASE(madvise_dontneed),
	    UT_CASE(past_eof),          UT_CASE(truncate_mapped),
	    UT_CASE(large_file),
	};
	const char *tmp = getenv("UTEST_TMP");

	mkdir("/tmp", 01777); /* EEXIST normally */
	snprintf(path, sizeof(path), "%s/utest-fmap.%d", tmp ? tmp : "/tmp",
		 (int)getpid());
	int status = ut_main(argc, argv, "fmap", cases, UT_COUNT(cases));
	unlink(path);
	return status;
}
