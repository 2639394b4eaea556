/*
 * test_proto.c - the protocol's constants (include/lux/fcntl.h, stat.h,
 * poll.h) are defined by hand once, with Linux's asm-generic values: check
 * each against the host C library's, which on a host whose Linux uses
 * the asm-generic open flags are exactly those (decision 0018). On another
 * host the values legitimately differ (O_DIRECTORY...), so the check needs
 * such a host and fails elsewhere rather than pass vacuously.
 */
#define _GNU_SOURCE /* O_DIRECT, O_PATH, POLLRDHUP, ... */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <lux/proto.h>
#include <poll.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct pair {
	const char *name;
	long lux, host;
};
#define PAIR(n)                                                                \
	{                                                                      \
#n, LUX_##n, n                                                 \
	}
#define PAIR_AS(n, h)                                                          \
	{                                                                      \
#n, LUX_##n, h                                                 \
	}

/* Fail naming the first constant whose value is not the host's. */
static void check_pairs(const struct pair *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].lux != p[i].host)
			fail_msg("LUX_%s is %#lo, the host's Linux says %#lo",
				 p[i].name, p[i].lux, p[i].host);
}

/* The host's open flags are asm-generic's where platforms differ. */
static void test_generic_host(void **state)
{
	(void)state;
	if (O_DIRECTORY != 0200000 || O_NOFOLLOW != 0400000 ||
	    O_DIRECT != 040000)
		fail_msg("the protocol's values are Linux's asm-generic ones: "
			 "run on a host whose <fcntl.h> has them");
}

static void test_open_flags(void **state)
{
	static const struct pair p[] = {
	    PAIR(O_ACCMODE),
	    PAIR(O_RDONLY),
	    PAIR(O_WRONLY),
	    PAIR(O_RDWR),
	    PAIR(O_CREAT),
	    PAIR(O_EXCL),
	    PAIR(O_NOCTTY),
	    PAIR(O_TRUNC),
	    PAIR(O_APPEND),
	    PAIR(O_NONBLOCK),
	    PAIR(O_ASYNC),
	    PAIR(O_DSYNC),
	    PAIR(O_DIRECT),
	    PAIR_AS(O_LARGEFILE, 0100000), /* glibc's is 0 on 64-bit */
	    PAIR(O_DIRECTORY),
	    PAIR(O_NOFOLLOW),
	    PAIR(O_NOATIME),
	    PAIR(O_CLOEXEC),
	    PAIR(O_SYNC),
	    PAIR(O_PATH),
	};
	(void)state;
	check_pairs(p, sizeof(p) / sizeof(p[0]));
	/* LUX_O_EXEC must be a bit no Linux open flag uses. */
	assert_int_equal(LUX_O_EXEC &
			     (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY |
			      O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |
			      O_DIRECT | 0100000 | O_DIRECTORY | O_NOFOLLOW |
			      O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH),
			 0);
}

static void test_at_flags(void **state)
{
	static const struct pair p[] = {
	    PAIR(AT_SYMLINK_NOFOLLOW),
	    PAIR(AT_REMOVEDIR),
	    PAIR(AT_EACCESS),
	    PAIR(AT_SYMLINK_FOLLOW),
	    PAIR(AT_EMPTY_PATH),
	    PAIR(F_OK),
	    PAIR(X_OK),
	    PAIR(W_OK),
	    PAIR(R_OK),
	    PAIR(RENAME_NOREPLACE),
	    PAIR(RENAME_EXCHANGE),
	    PAIR(UTIME_NOW),
	    PAIR(UTIME_OMIT),
	    /* struct lux_lock's type is fcntl's l_type, passed through */
	    PAIR_AS(LOCK_RD, F_RDLCK),
	    PAIR_AS(LOCK_WR, F_WRLCK),
	    PAIR_AS(LOCK_UN, F_UNLCK),
	};
	(void)state;
	check_pairs(p, sizeof(p) / sizeof(p[0]));
}

static void test_modes(void **state)
{
	static const struct pair p[] = {
	    PAIR(S_IFMT),  PAIR(S_IFSOCK), PAIR(S_IFLNK), PAIR(S_IFREG),
	    PAIR(S_IFBLK), PAIR(S_IFDIR),  PAIR(S_IFCHR), PAIR(S_IFIFO),
	    PAIR(S_ISUID), PAIR(S_ISGID),  PAIR(S_ISVTX), PAIR(S_IXGRP),
	};
	(void)state;
	check_pairs(p, sizeof(p) / sizeof(p[0]));
	for (unsigned m = 0; m <= 0170000; m += 010000) {
		assert_int_equal(LUX_S_ISDIR(m), S_ISDIR(m));
		assert_int_equal(LUX_S_ISREG(m), S_ISREG(m));
		assert_int_equal(LUX_S_ISLNK(m), S_ISLNK(m));
		assert_int_equal(LUX_S_ISCHR(m), S_ISCHR(m));
		assert_int_equal(LUX_S_ISBLK(m), S_ISBLK(m));
		assert_int_equal(LUX_S_ISFIFO(m), S_ISFIFO(m));
		assert_int_equal(LUX_S_ISSOCK(m), S_ISSOCK(m));
	}
}

static void test_poll_events(void **state)
{
	static const struct pair p[] = {
	    PAIR(POLLIN),     PAIR(POLLPRI),    PAIR(POLLOUT),
	    PAIR(POLLERR),    PAIR(POLLHUP),    PAIR(POLLNVAL),
	    PAIR(POLLRDNORM), PAIR(POLLWRNORM), PAIR(POLLRDHUP),
	};
	(void)state;
	check_pairs(p, sizeof(p) / sizeof(p[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generic_host),
	    cmocka_unit_test(test_open_flags),
	    cmocka_unit_test(test_at_flags),
	    cmocka_unit_test(test_modes),
	    cmocka_unit_test(test_poll_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
