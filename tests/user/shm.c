/*
 * shm: shared memory between processes: memfd_create's flags, anonymous
 * MAP_SHARED across fork, /dev/shm through shm_open (mapping coherent
 * with read and write) and sem_open (a producer and a consumer across
 * fork), and the permission rules of a /dev/shm file for another uid.
 * Runs as root (the uid cases drop to 1000 in a child).
 */
#include "utest.h"
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW    (PROT_READ | PROT_WRITE)
#define ITEMS 2000
#define SLOTS 8
#define USER  1000

static char name[64], name2[64];

/* Names of this run's objects (two runs never meet). */
static void names(const char *what)
{
	snprintf(name, sizeof(name), "/ut-%s-%d", what, (int)getpid());
	snprintf(name2, sizeof(name2), "/ut-%s2-%d", what, (int)getpid());
}

static void memfd_flags(void)
{
	int fd = memfd_create("a", MFD_CLOEXEC), fd2 = memfd_create("b", 0);
	int fd3 = memfd_create("c", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	CHECK(fd >= 0 && fd2 >= 0 && fd3 >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd2, F_GETFD), 0);
	CHECK_EQ(fcntl(fd3, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(memfd_create("d", 0x100), EINVAL);
	close(fd);
	close(fd2);
	close(fd3);
}

/* A child's stores to an anonymous shared area reach its parent, both
 * ways, while both run: the child produces, the parent consumes. */
static void anon_shared_fork(void)
{
	volatile int *p =
	    mmap(NULL, UT_PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long sum = 0;
	pid_t pid;

	CHECK(p != MAP_FAILED);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		for (int i = 1; i <= ITEMS; i++) {
			while (__atomic_load_n(&p[0], __ATOMIC_ACQUIRE) != 0)
				sched_yield();
			p[1] = i;
			__atomic_store_n(&p[0], 1, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	for (int i = 1; i <= ITEMS; i++) {
		while (__atomic_load_n(&p[0], __ATOMIC_ACQUIRE) != 1)
			sched_yield();
		sum += p[1];
		__atomic_store_n(&p[0], 0, __ATOMIC_RELEASE);
	}
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(sum, (long)ITEMS * (ITEMS + 1) / 2);
	munmap((void *)p, UT_PAGE);
}

/* shm_open in two processes maps one object; read and write of the file
 * see the mapping's bytes and the other way round; shm_unlink removes the
 * name while the object lives on in the mappings. */
static void shm_open_fork(void)
{
	char buf[16] = {0};
	int fd, st;
	char *p;
	pid_t pid;

	names("open");
	CHECK((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	CHECK_ERR(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(ftruncate(fd, 2 * UT_PAGE), 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		int cfd = shm_open(name, O_RDWR, 0);
		char *c = cfd < 0
			      ? MAP_FAILED
			      : mmap(NULL, 2 * UT_PAGE, RW, MAP_SHARED, cfd, 0);
		if (c == MAP_FAILED)
			_exit(2);
		strcpy(c + UT_PAGE, "from the child");
		_exit(0);
	}
	CHECK_EQ(ut_wait(pid), 0);
	p = mmap(NULL, 2 * UT_PAGE, RW, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(strcmp(p + UT_PAGE, "from the child") == 0);
	CHECK_EQ(pread(fd, buf, 14, UT_PAGE), 14);
	CHECK(memcmp(buf, "from the child", 14) == 0);
	CHECK_EQ(pwrite(fd, "written", 8, 100), 8);
	CHECK(strcmp(p + 100, "written") == 0);
	struct stat sb;
	CHECK_EQ(fstat(fd, &sb), 0);
	CHECK_EQ(sb.st_size, 2 * UT_PAGE);
	CHECK(S_ISREG(sb.st_mode));
	CHECK_EQ(sb.st_mode & 0777, 0600);
	/* the name is listed in /dev/shm */
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int seen = 0;
	CHECK(d);
	while ((e = readdir(d)))
		seen |= strcmp(e->d_name, name + 1) == 0;
	closedir(d);
	CHECK(seen);
	CHECK_EQ(shm_unlink(name), 0);
	CHECK_ERR(shm_open(name, O_RDWR, 0), ENOENT);
	CHECK_ERR(shm_unlink(name), ENOENT);
	/* still mapped, still shared with the descriptor */
	p[200] = 'x';
	CHECK_EQ(pread(fd, buf, 1, 200), 1);
	CHECK_EQ(buf[0], 'x');
	st = munmap(p, 2 * UT_PAGE);
	CHECK_EQ(st, 0);
	close(fd);
}

struct ring {
	int slot[SLOTS];
	int head, tail;
};

/* A bounded buffer in a shm_open object, guarded by two named
 * semaphores: the child produces ITEMS numbers, the parent consumes. */
static void sem_open_fork(void)
{
	sem_t *items, *slots;
	struct ring *r;
	long sum = 0;
	int fd;
	pid_t pid;

	names("sem");
	sem_unlink(name);
	sem_unlink(name2);
	items = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	slots = sem_open(name2, O_CREAT | O_EXCL, 0600, SLOTS);
	CHECK(items != SEM_FAILED && slots != SEM_FAILED);
	CHECK(sem_open(name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED);
	CHECK_EQ(errno, EEXIST);
	char ring[80];
	snprintf(ring, sizeof(ring), "%s-ring", name);
	CHECK((fd = shm_open(ring, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	CHECK_EQ(ftruncate(fd, sizeof(*r)), 0);
	r = mmap(NULL, sizeof(*r), RW, MAP_SHARED, fd, 0);
	CHECK(r != MAP_FAILED);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) { /* the producer opens them by name again */
		sem_t *it = sem_open(name, 0), *sl = sem_open(name2, 0);
		if (it == SEM_FAILED || sl == SEM_FAILED)
			_exit(2);
		for (int i = 1; i <= ITEMS; i++) {
			while (sem_wait(sl))
				;
			r->slot[r->head++ % SLOTS] = i;
			sem_post(it);
		}
		_exit(0);
	}
	for (int i = 1; i <= ITEMS; i++) {
		while (sem_wait(items))
			;
		sum += r->slot[r->tail++ % SLOTS];
		sem_post(slots);
	}
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(sum, (long)ITEMS * (ITEMS + 1) / 2);
	int v = -1;
	CHECK_EQ(sem_getvalue(slots, &v), 0);
	CHECK_EQ(v, SLOTS);
	CHECK_EQ(sem_trywait(items), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(sem_unlink(name), 0);
	CHECK_EQ(sem_unlink(name2), 0);
	CHECK(sem_open(name, 0) == SEM_FAILED);
	CHECK_EQ(errno, ENOENT);
	sem_close(items);
	sem_close(slots);
	CHECK_EQ(shm_unlink(ring), 0);
	munmap(r, sizeof(*r));
	close(fd);
}

/* As uid 1000: a 0600 file of root's cannot be opened; a 0644 one only
 * for reading, mapped shared read-only (never writable, mprotect too);
 * neither can be unlinked (the sticky directory). */
static void other_uid(void)
{
	int fd;
	char *p;

	if (!EXPECT(setgroups(0, NULL) == 0) || !EXPECT(setgid(USER) == 0) ||
	    !EXPECT(setuid(USER) == 0))
		return;
	CHECK_ERR(shm_open(name, O_RDWR, 0), EACCES);
	CHECK_ERR(shm_open(name, O_RDONLY, 0), EACCES);
	CHECK_ERR(shm_unlink(name), EPERM);
	CHECK_ERR(shm_open(name2, O_RDWR, 0), EACCES);
	CHECK_ERR(shm_open(name2, O_RDWR | O_TRUNC, 0), EACCES);
	CHECK((fd = shm_open(name2, O_RDONLY, 0)) >= 0);
	CHECK(mmap(NULL, UT_PAGE, RW, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EACCES);
	p = mmap(NULL, UT_PAGE, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(p[0], 'r');
	CHECK_ERR(mprotect(p, UT_PAGE, RW), EACCES);
	CHECK_ERR(ftruncate(fd, 0), EINVAL);
	/* a private mapping may be written: the copy is the caller's */
	char *q = mmap(NULL, UT_PAGE, RW, MAP_PRIVATE, fd, 0);
	CHECK(q != MAP_FAILED);
	q[0] = 'w';
	CHECK_EQ(p[0], 'r');
	CHECK_ERR(shm_unlink(name2), EPERM);
	close(fd);
}

static void perm_other_uid(void)
{
	int fd, fd2;

	if (geteuid() != 0) {
		ut_fail("shm/perm_other_uid must run as root");
		return;
	}
	names("perm");
	CHECK((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) >= 0);
	CHECK((fd2 = shm_open(name2, O_RDWR | O_CREAT | O_EXCL, 0644)) >= 0);
	CHECK_EQ(pwrite(fd2, "r", 1, 0), 1);
	CHECK_EQ(ftruncate(fd2, UT_PAGE), 0);
	ut_in_child(other_uid);
	char c = 0;
	CHECK_EQ(pread(fd2, &c, 1, 0), 1);
	CHECK_EQ(c, 'r');
	CHECK_EQ(shm_unlink(name), 0);
	CHECK_EQ(shm_unlink(name2), 0);
	close(fd);
	close(fd2);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(memfd_flags),    UT_CASE(anon_shared_fork),
	    UT_CASE(shm_open_fork),  UT_CASE(sem_open_fork),
	    UT_CASE(perm_other_uid),
	};
	return ut_main(argc, argv, "shm", cases, UT_COUNT(cases));
}
