/*
 * debcalls: the small calls Debian's programs made that lux lacked
 * (user/persona/debian.c; docs/syscalls.md, "What Debian's programs
 * need"): mincore (grep), posix_fadvise (sort, tar) and the extended
 * attribute calls (ls -l, cp, tar). Each answers as Linux does, never
 * ENOSYS: mincore's EINVAL, ENOMEM and EFAULT and every touched page
 * resident; fadvise's EBADF, ESPIPE and EINVAL; an attribute call's
 * ENOENT, EBADF and ERANGE before anything else, then what a file system
 * without attributes (lux's: EOPNOTSUPP) or without this one (Linux's
 * tmpfs: ENODATA) says. Passes on Linux too.
 */
#include "utest.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static char file[64];

static void mincore_pages(void)
{
	unsigned char vec[4] = {0};
	char *p = mmap(NULL, 3 * UT_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	memset(p, 1, 3 * UT_PAGE);
	EXPECT_EQ(mincore(p, 3 * UT_PAGE, vec), 0);
	EXPECT(vec[0] & vec[1] & vec[2] & 1);
	EXPECT_EQ(mincore(p, 1, vec), 0); /* a part of a page: that page */
	EXPECT_ERR(mincore(p + 1, UT_PAGE, vec), EINVAL);
	EXPECT_ERR(mincore(p, UT_PAGE, (unsigned char *)8), EFAULT);
	CHECK_EQ(munmap(p + UT_PAGE, UT_PAGE), 0);
	EXPECT_ERR(mincore(p, 3 * UT_PAGE, vec), ENOMEM);
	munmap(p, 3 * UT_PAGE);
}

static void fadvise_checks(void)
{
	int fds[2], fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	EXPECT_EQ(syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	EXPECT_EQ(posix_fadvise(fd, 0, 4096, POSIX_FADV_DONTNEED), 0);
	EXPECT_EQ(posix_fadvise(fd, 0, 0, 99), EINVAL);
	EXPECT_EQ(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL), EINVAL);
	EXPECT_EQ(posix_fadvise(999, 0, 0, POSIX_FADV_NORMAL), EBADF);
	CHECK_EQ(pipe(fds), 0);
	EXPECT_EQ(posix_fadvise(fds[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
	close(fds[0]);
	close(fds[1]);
	close(fd);
}

/* An attribute call on a file that exists: never ENOSYS. */
static int no_attr(long r)
{
	return EXPECT(r < 0 && (errno == EOPNOTSUPP || errno == ENODATA));
}

static void xattr_checks(void)
{
	char buf[64], big[300];
	int fd = open(file, O_RDWR | O_CREAT, 0600);

	CHECK(fd >= 0);
	no_attr(getxattr(file, "user.x", buf, sizeof(buf)));
	no_attr(lgetxattr(file, "system.posix_acl_access", buf, sizeof(buf)));
	no_attr(fgetxattr(fd, "user.x", buf, sizeof(buf)));
	no_attr(removexattr(file, "user.x"));
	EXPECT(listxattr(file, buf, sizeof(buf)) >= 0 || errno == EOPNOTSUPP);
	EXPECT(flistxattr(fd, buf, sizeof(buf)) >= 0 || errno == EOPNOTSUPP);
	EXPECT_ERR(getxattr("/no/such", "user.x", buf, sizeof(buf)), ENOENT);
	EXPECT_ERR(llistxattr("/no/such", buf, sizeof(buf)), ENOENT);
	EXPECT_ERR(fgetxattr(999, "user.x", buf, sizeof(buf)), EBADF);
	EXPECT_ERR(getxattr(file, "", buf, sizeof(buf)), ERANGE);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	EXPECT_ERR(getxattr(file, big, buf, sizeof(buf)), ERANGE);
	EXPECT_ERR(getxattr(file, (char *)8, buf, sizeof(buf)), EFAULT);
	EXPECT_ERR(setxattr(file, "user.x", "v", 1, 4), EINVAL);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(mincore_pages),
	    UT_CASE(fadvise_checks),
	    UT_CASE(xattr_checks),
	};

	snprintf(file, sizeof(file), "/tmp/debcalls.%d", (int)getpid());
	int r = ut_main(argc, argv, "debcalls", cases, UT_COUNT(cases));
	unlink(file);
	return r;
}
