/*
 * memobj: memory objects through Linux's interface, memfd_create +
 * ftruncate + mmap(MAP_SHARED, fd). Pages shared by every mapping and by
 * every process holding the descriptor (fork, SCM_RIGHTS), a mapping that
 * outlives the descriptor, zero-filled pages on demand, resizing (SIGBUS
 * past the end, zeros after a shrink and a regrow), private mappings,
 * the errors, and (on lux) running out of the pages objects may hold:
 * SIGBUS, never a crash, and the memory comes back.
 */
#include "utest.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW     (PROT_READ | PROT_WRITE)
#define SHARED MAP_SHARED

/* A new object of size bytes. */
static int object(size_t size)
{
	int fd = memfd_create("utest", MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static char *map_obj(int fd, size_t len, int prot, int flags, off_t off)
{
	char *p = mmap(NULL, len, prot, flags, fd, off);
	return p == MAP_FAILED ? NULL : p;
}

static void create_map(void)
{
	int fd = object(3 * UT_PAGE);
	struct stat st;

	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 3 * UT_PAGE);
	CHECK(S_ISREG(st.st_mode));
	char *a = map_obj(fd, 3 * UT_PAGE, RW, SHARED, 0);
	char *b = map_obj(fd, 3 * UT_PAGE, PROT_READ, SHARED, 0);
	char *c = map_obj(fd, UT_PAGE, RW, SHARED, 2 * UT_PAGE);
	CHECK(a && b && c && a != b);
	for (size_t i = 0; i < 3 * UT_PAGE; i++)
		CHECK_EQ(b[i], 0); /* fresh pages read as zeros */
	strcpy(a + 100, "one object");
	CHECK_EQ(strcmp(b + 100, "one object"), 0);
	c[5] = 'x'; /* page 2 of the object, through the offset mapping */
	CHECK_EQ(a[2 * UT_PAGE + 5], 'x');
	CHECK_EQ(close(fd), 0);
	a[UT_PAGE] = 'y'; /* the mappings hold the object: no descriptor */
	CHECK_EQ(b[UT_PAGE], 'y');
	CHECK_EQ(munmap(a, 3 * UT_PAGE), 0);
	CHECK_EQ(b[100], 'o');
	CHECK_EQ(munmap(b, 3 * UT_PAGE), 0);
	CHECK_EQ(munmap(c, UT_PAGE), 0);
}

static char *fork_area;
static int fork_fd;

static void fork_child(void)
{
	char *p = map_obj(fork_fd, UT_PAGE, RW, SHARED, 0);
	if (!EXPECT(p))
		return;
	strcpy(fork_area, "from the inherited mapping");
	strcpy(p + 200, "from the inherited descriptor");
}

static void share_fork(void)
{
	CHECK((fork_fd = object(UT_PAGE)) >= 0);
	CHECK((fork_area = map_obj(fork_fd, UT_PAGE, RW, SHARED, 0)));
	CHECK(ut_in_child(fork_child));
	CHECK_EQ(strcmp(fork_area, "from the inherited mapping"), 0);
	CHECK_EQ(strcmp(fork_area + 200, "from the inherited descriptor"), 0);
	munmap(fork_area, UT_PAGE);
	close(fork_fd);
}

static int rights_sock;

/* A process that never held the object gets it by SCM_RIGHTS. */
static void rights_child(void)
{
	int fd = ut_recv_fd(rights_sock);
	char *p;

	if (!EXPECT(fd >= 0) ||
	    !EXPECT((p = map_obj(fd, 2 * UT_PAGE, RW, SHARED, 0))))
		return;
	EXPECT_EQ(strcmp(p, "parent"), 0);
	strcpy(p + UT_PAGE, "child");
}

static void share_rights(void)
{
	int sv[2], fd = memfd_create("rights", 0);
	char *p;

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 2 * UT_PAGE), 0);
	CHECK(p = map_obj(fd, 2 * UT_PAGE, RW, SHARED, 0));
	strcpy(p, "parent");
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	rights_sock = sv[1];
	pid_t pid = ut_spawn(rights_child);
	CHECK(pid > 0);
	EXPECT(ut_send_fd(sv[0], fd));
	close(fd); /* only the mapping and the message hold it now */
	close(sv[0]);
	close(sv[1]);
	CHECK(ut_join(pid));
	CHECK_EQ(strcmp(p + UT_PAGE, "child"), 0);
	munmap(p, 2 * UT_PAGE);
}

/* Past the end is SIGBUS; growing makes the pages, zeroed; shrinking
 * zeroes the tail of the last page and cuts the rest. */
static void resize(void)
{
	int fd = object(UT_PAGE);
	char *p;

	CHECK(fd >= 0);
	CHECK(p = map_obj(fd, 4 * UT_PAGE, RW, SHARED, 0));
	memset(p, 'a', UT_PAGE);
	struct ut_fault f;
	CHECK_EQ(ut_probe(p + UT_PAGE, 0, &f), SIGBUS);
	CHECK_EQ(f.code, BUS_ADRERR);
	CHECK(f.addr == p + UT_PAGE);
	CHECK_EQ(ftruncate(fd, 4 * UT_PAGE), 0);
	CHECK_EQ(ut_probe(p + 3 * UT_PAGE, 1, NULL), 0);
	CHECK_EQ(p[3 * UT_PAGE], 0);
	CHECK_EQ(ftruncate(fd, 100), 0);
	char *q = map_obj(fd, 4 * UT_PAGE, RW, SHARED, 0);
	CHECK(q);
	CHECK_EQ(q[99], 'a');
	CHECK_EQ(q[100], 0); /* the tail of the last page reads as zeros */
	CHECK_EQ(ut_probe(q + 2 * UT_PAGE, 0, NULL), SIGBUS);
	CHECK_EQ(ftruncate(fd, 4 * UT_PAGE), 0);
	CHECK_EQ(q[2 * UT_PAGE + 1], 0); /* a new page, zeroed */
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 4 * UT_PAGE);
	munmap(p, 4 * UT_PAGE);
	munmap(q, 4 * UT_PAGE);
	close(fd);
}

/* MAP_PRIVATE reads the object until the first write copies the page. */
static void private_map(void)
{
	int fd = object(UT_PAGE);
	char *s, *p;

	CHECK(fd >= 0);
	CHECK(s = map_obj(fd, UT_PAGE, RW, SHARED, 0));
	CHECK(p = map_obj(fd, UT_PAGE, RW, MAP_PRIVATE, 0));
	strcpy(s, "shared");
	CHECK_EQ(strcmp(p, "shared"), 0);
	strcpy(p, "mine");
	CHECK_EQ(strcmp(s, "shared"), 0);
	CHECK_EQ(strcmp(p, "mine"), 0);
	munmap(s, UT_PAGE);
	munmap(p, UT_PAGE);
	close(fd);
}

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* fallocate makes pages now (so that a touch cannot fail later): mode 0
 * grows the object, FALLOC_FL_KEEP_SIZE does not. */
static void allocate(void)
{
	int fd = object(UT_PAGE);
	struct stat st;
	char *p;

	CHECK(fd >= 0);
	CHECK_EQ(fallocate(fd, 0, 0, 3 * UT_PAGE), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 3 * UT_PAGE);
	CHECK_EQ(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 8 * UT_PAGE), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 3 * UT_PAGE);
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_ERR(fallocate(fd, 0, -1, UT_PAGE), EINVAL);
	CHECK(p = map_obj(fd, 3 * UT_PAGE, RW, SHARED, 0));
	CHECK_EQ(p[2 * UT_PAGE + 5], 0);
	munmap(p, 3 * UT_PAGE);
	close(fd);
}

static void errors(void)
{
	int fd = object(UT_PAGE), pfd[2];

	CHECK(fd >= 0);
	CHECK_ERR(memfd_create("x", 0x100), EINVAL);
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	if (on_lux()) /* no larger than memory (Linux: tmpfs's own limit) */
		CHECK_ERR(ftruncate(fd, 1LL << 62), EFBIG);
	CHECK(mmap(NULL, UT_PAGE, RW, SHARED, 999, 0) == MAP_FAILED);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(pipe(pfd), 0);
	CHECK(mmap(NULL, UT_PAGE, PROT_READ, SHARED, pfd[0], 0) == MAP_FAILED);
	CHECK_EQ(errno, ENODEV);
	CHECK(mmap(NULL, UT_PAGE, RW, SHARED, fd, 100) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	/* an offset far past the end maps, and faults when touched */
	char *p = map_obj(fd, UT_PAGE, RW, SHARED, 1L << 40);
	CHECK(p);
	CHECK_EQ(ut_probe(p, 0, NULL), SIGBUS);
	munmap(p, UT_PAGE);
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

static size_t exhaust_pages;
static volatile size_t exhaust_done;

static void exhaust_bus(int sig)
{
	(void)sig;
	_exit(exhaust_done > exhaust_pages / 8 &&
		      exhaust_done <= exhaust_pages / 2 + 64
		  ? 0
		  : 1);
}

/* Touch an object as large as memory: SIGBUS when objects have used
 * their share (half of memory), never a kernel crash. */
static void exhaust_child(void)
{
	int fd = object(exhaust_pages * UT_PAGE);
	char *p;

	if (!EXPECT(fd >= 0) ||
	    !EXPECT(p = map_obj(fd, exhaust_pages * UT_PAGE, RW, SHARED, 0)))
		return;
	signal(SIGBUS, exhaust_bus);
	for (exhaust_done = 0; exhaust_done < exhaust_pages; exhaust_done++)
		p[exhaust_done * UT_PAGE] = 1;
	ut_fail("touched all %zu pages: no limit", exhaust_pages);
}

/* Each object's page array counts too: sizing objects as large as
 * memory, without touching a page, runs out (ENOMEM) long before the
 * kernel's heap would (each array is 1/512 of its object's size). */
static void array_charge(void)
{
	static int fds[600];
	long phys = sysconf(_SC_PHYS_PAGES) * UT_PAGE;
	int n = 0, err = 0;

	if (!on_lux()) /* Linux's sparse files cost nothing */
		return;
	while (n < 600 && (fds[n] = memfd_create("big", 0)) >= 0) {
		if (ftruncate(fds[n], phys) < 0) {
			err = errno;
			close(fds[n]);
			break;
		}
		n++;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	CHECK_EQ(err, ENOMEM);
	CHECK(n > 64 && n < 300); /* ~256: half of memory in 1 MiB arrays */
	int fd = object(UT_PAGE); /* all given back */
	char *p = fd >= 0 ? map_obj(fd, UT_PAGE, RW, SHARED, 0) : NULL;
	CHECK(p);
	CHECK_EQ(ut_probe(p, 1, NULL), 0);
	munmap(p, UT_PAGE);
	close(fd);
}

static void exhaust(void)
{
	if (!on_lux()) /* Linux would call its OOM killer */
		return;
	exhaust_pages = sysconf(_SC_PHYS_PAGES);
	CHECK(exhaust_pages > 0);
	CHECK(ut_in_child(exhaust_child));
	/* the child's object went with it: a new one gets pages again */
	int fd = object(UT_PAGE);
	char *p = fd >= 0 ? map_obj(fd, UT_PAGE, RW, SHARED, 0) : NULL;
	CHECK(p);
	CHECK_EQ(ut_probe(p, 1, NULL), 0);
	munmap(p, UT_PAGE);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(create_map), UT_CASE(share_fork),   UT_CASE(share_rights),
	    UT_CASE(resize),     UT_CASE(private_map),  UT_CASE(errors),
	    UT_CASE(allocate),   UT_CASE(array_charge), UT_CASE(exhaust),
	};
	return ut_main(argc, argv, "memobj", cases, UT_COUNT(cases));
}
