/*
 * small: the Linux calls of a few lines each that programs make in
 * passing (user/persona/small.c): fadvise64 and readahead, the extended
 * attribute calls, the scheduling-policy questions, personality, and
 * sendmmsg and recvmmsg,
 * with Linux's errors in Linux's order. Passes on Linux and on lux (where
 * a file has no extended attributes: EOPNOTSUPP).
 */
#include "utest.h"
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static char path[200], link_path[220];

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* A pid that names no process: a reaped child's. */
static pid_t gone_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void fadvise(void)
{
	int fd = open(path, O_RDONLY), p[2];

	CHECK(fd >= 0);
	for (int advice = 0; advice <= 5; advice++)
		CHECK_EQ(syscall(SYS_fadvise64, fd, 0, 100, advice), 0);
	CHECK_ERR(syscall(SYS_fadvise64, fd, 0, 100, 6), EINVAL);
	CHECK_ERR(syscall(SYS_fadvise64, 999, 0, 0, 0), EBADF);
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(syscall(SYS_fadvise64, p[0], 0, 0, 9), ESPIPE);
	CHECK_EQ(readahead(fd, 0, 4096), 0);
	CHECK_ERR(readahead(p[0], 0, 4096), EINVAL);
	CHECK_ERR(readahead(p[1], 0, 4096), EBADF);
	CHECK_ERR(readahead(999, 0, 4096), EBADF);
	close(fd);
	CHECK((fd = open(path, O_WRONLY)) >= 0);
	CHECK_ERR(readahead(fd, 0, 4096), EBADF);
	close(fd), close(p[0]), close(p[1]);
}

/* An attribute nobody set: ENODATA where the file system keeps them,
 * EOPNOTSUPP where it does not (always on lux). */
static int no_attr(long r)
{
	return r == -1 &&
	       (errno == EOPNOTSUPP || (!on_lux() && errno == ENODATA));
}

static void xattr(void)
{
	char buf[64], missing[240];
	int fd = open(path, O_RDONLY);

	snprintf(missing, sizeof(missing), "%s.none/x", path);
	CHECK(fd >= 0);
	CHECK(no_attr(getxattr(path, "user.lux", buf, sizeof(buf))));
	CHECK(no_attr(lgetxattr(link_path, "user.lux", buf, sizeof(buf))));
	CHECK(no_attr(fgetxattr(fd, "user.lux", buf, sizeof(buf))));
	CHECK(listxattr(path, buf, sizeof(buf)) >= 0);
	CHECK(flistxattr(fd, buf, sizeof(buf)) >= 0);
	if (on_lux()) {
		CHECK_EQ(listxattr(path, buf, sizeof(buf)), 0);
		CHECK_ERR(setxattr(path, "user.lux", "1", 1, 0), EOPNOTSUPP);
		CHECK_ERR(fremovexattr(fd, "user.lux"), EOPNOTSUPP);
	}
	CHECK_ERR(setxattr(path, "user.lux", "1", 1, 4), EINVAL);
	/* the link's target is missing: only the l forms reach the link */
	CHECK_ERR(getxattr(link_path, "user.lux", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(listxattr(link_path, buf, sizeof(buf)), ENOENT);
	CHECK(llistxattr(link_path, buf, sizeof(buf)) >= 0);
	CHECK_ERR(getxattr(missing, "user.lux", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(lremovexattr(missing, "user.lux"), ENOENT);
	CHECK_ERR(lsetxattr(missing, "user.lux", "1", 1, 0), ENOENT);
	CHECK_ERR(fgetxattr(999, "user.lux", buf, sizeof(buf)), EBADF);
	CHECK_ERR(flistxattr(999, buf, sizeof(buf)), EBADF);
	CHECK_ERR(fsetxattr(999, "user.lux", "1", 1, 0), EBADF);
	close(fd);
}

static void sched_policy(void)
{
	struct sched_param sp = {.sched_priority = 7};
	struct timespec ts = {-1, -1};
	pid_t gone = gone_pid();

	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_IDLE), 0);
	CHECK_ERR(sched_get_priority_max(42), EINVAL);
	CHECK_EQ(syscall(SYS_sched_getscheduler, 0), SCHED_OTHER);
	CHECK_EQ(syscall(SYS_sched_getscheduler, getpid()), SCHED_OTHER);
	CHECK_ERR(syscall(SYS_sched_getscheduler, -1), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getscheduler, gone), ESRCH);
	CHECK_EQ(syscall(SYS_sched_getparam, 0, &sp), 0);
	CHECK_EQ(sp.sched_priority, 0);
	CHECK_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getparam, gone, &sp), ESRCH);
	CHECK_ERR(syscall(SYS_sched_getparam, 0, (void *)8), EFAULT);
	CHECK_EQ(syscall(SYS_sched_rr_get_interval, 0, &ts), 0);
	CHECK(ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK_ERR(syscall(SYS_sched_rr_get_interval, gone, &ts), ESRCH);
}

/* sched_getattr in a child that lowered its priority (nice 5). */
static void getattr_child(void)
{
	uint32_t attr[16];

	CHECK_EQ(nice(5), 5);
	memset(attr, 0xff, sizeof(attr));
	CHECK_EQ(syscall(SYS_sched_getattr, 0, attr, 56, 0), 0);
	CHECK_EQ(attr[0], 56);          /* size */
	CHECK_EQ(attr[1], SCHED_OTHER); /* policy */
	CHECK_EQ(attr[2] | attr[3], 0); /* flags */
	CHECK_EQ((int32_t)attr[4], 5);  /* nice */
	CHECK_EQ(attr[5], 0);           /* priority */
	CHECK_EQ(attr[14], 0xffffffff); /* past what it wrote */
	CHECK_EQ(syscall(SYS_sched_getattr, 0, attr, 64, 0), 0);
	CHECK_EQ(attr[0], 56);
	CHECK_ERR(syscall(SYS_sched_getattr, 0, attr, 47, 0), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getattr, 0, attr, 8192, 0), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getattr, 0, attr, 56, 1), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getattr, 0, NULL, 56, 0), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getattr, -1, attr, 56, 0), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getattr, gone_pid(), attr, 56, 0), ESRCH);
	CHECK_ERR(syscall(SYS_sched_getattr, 0, (void *)8, 56, 0), EFAULT);
}

static void sched_getattr(void)
{
	ut_in_child(getattr_child);
}

/* sendmmsg and recvmmsg (the calls themselves: musl's sendmmsg is a
 * loop of sendmsg): several datagrams a call, msg_len set. */
static void mmsg(void)
{
	char out[3][8] = {"a", "bb", "ccc"}, in[4][8];
	struct iovec oi[3], ii[4];
	struct mmsghdr om[3], im[4];
	struct timespec t = {0, 0};
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	memset(om, 0, sizeof(om));
	memset(im, 0, sizeof(im));
	for (int i = 0; i < 4; i++) {
		ii[i] = (struct iovec){in[i], sizeof(in[i])};
		im[i].msg_hdr.msg_iov = &ii[i];
		im[i].msg_hdr.msg_iovlen = 1;
		if (i == 3)
			break;
		oi[i] = (struct iovec){out[i], i + 1};
		om[i].msg_hdr.msg_iov = &oi[i];
		om[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(syscall(SYS_sendmmsg, sv[0], om, 3, 0), 3);
	CHECK_EQ(om[0].msg_len, 1);
	CHECK_EQ(om[2].msg_len, 3);
	CHECK_EQ(syscall(SYS_recvmmsg, sv[1], im, 4, MSG_WAITFORONE, NULL), 3);
	CHECK_EQ(im[0].msg_len, 1);
	CHECK_EQ(im[2].msg_len, 3);
	CHECK(!memcmp(in[1], "bb", 2) && !memcmp(in[2], "ccc", 3));
	CHECK_ERR(syscall(SYS_recvmmsg, sv[1], im, 4, MSG_DONTWAIT, NULL),
		  EAGAIN);
	/* the time is checked after each datagram: 0 ends after one */
	CHECK_EQ(syscall(SYS_sendmmsg, sv[0], om, 2, 0), 2);
	CHECK_EQ(syscall(SYS_recvmmsg, sv[1], im, 4, 0, &t), 1);
	CHECK(t.tv_sec == 0 && t.tv_nsec == 0);
	CHECK_EQ(syscall(SYS_recvmmsg, sv[1], im, 4, MSG_DONTWAIT, NULL), 1);
	CHECK_EQ(im[0].msg_len, 2);
	t.tv_nsec = 1000000000;
	CHECK_ERR(syscall(SYS_recvmmsg, sv[1], im, 4, 0, &t), EINVAL);
	CHECK_ERR(syscall(SYS_sendmmsg, sv[0], (void *)8, 1, 0), EFAULT);
	CHECK_ERR(syscall(SYS_sendmmsg, 99, om, 1, 0), EBADF);
	CHECK_EQ(syscall(SYS_sendmmsg, sv[0], om, 0, 0), 0);
	close(sv[0]);
	close(sv[1]);
}

static void persona(void)
{
	CHECK_EQ(personality(0xffffffff), PER_LINUX);
	CHECK_EQ(personality(PER_LINUX), PER_LINUX);
	CHECK_EQ(personality(0xffffffff), PER_LINUX);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(fadvise),       UT_CASE(xattr), UT_CASE(sched_policy),
	    UT_CASE(sched_getattr), UT_CASE(mmsg),  UT_CASE(persona),
	};
	const char *tmp = getenv("UTEST_TMP");
	int fd, status;

	mkdir("/tmp", 01777); /* EEXIST normally */
	snprintf(path, sizeof(path), "%s/utest-small.%d", tmp ? tmp : "/tmp",
		 (int)getpid());
	snprintf(link_path, sizeof(link_path), "%s.link", path);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "lux", 3) != 3 ||
	    symlink("/nonexistent/none", link_path)) {
		ut_print("utest: small/setup: FAIL cannot make %s: %s\n", path,
			 ut_errno_name(errno));
		return 1;
	}
	close(fd);
	status = ut_main(argc, argv, "small", cases, UT_COUNT(cases));
	unlink(link_path);
	unlink(path);
	return status;
}
