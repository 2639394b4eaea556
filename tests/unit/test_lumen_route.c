/*
 * test_lumen_route.c - lumen's mount table and path routing
 * (user/lumen/route.c): longest-prefix matching on whole path
 * components, file mounts, the root, the bytes to skip, two-path
 * operations, mount points that cannot be removed, and /run/mounts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "route.h"
#include <errno.h>
#include <lux/proto.h>
#include <string.h>

enum { RAMFS, DEVFS, TTY, PROCFS, TMPFS };

static struct mtab t;

/* The table lumen builds at boot: / ramfs, /dev devfs, the tty on three
 * device files, /proc procfs. Mount i of the table serves owner i there. */
static int setup(void **state)
{
	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(mtab_add(&t, "/", false, RAMFS, "ramfs", "ramfs"), 0);
	assert_int_equal(mtab_add(&t, "/dev", false, DEVFS, "devfs", "devfs"),
			 0);
	assert_int_equal(mtab_add(&t, "/dev/console", true, TTY, "tty", "tty"),
			 0);
	assert_int_equal(mtab_add(&t, "/dev/tty", true, TTY, "tty", "tty"), 0);
	assert_int_equal(mtab_add(&t, "/proc", false, PROCFS, "proc", "proc"),
			 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	while (t.n)
		mtab_remove(&t, t.m[t.n - 1].path);
	return 0;
}

/* Route a one-path op; check the owner and what the server sees. */
static void check(unsigned op, const char *path, int owner, const char *rel)
{
	uint64_t off, off2;
	int i = route(&t, op, path, NULL, &off, &off2);

	assert_true(i >= 0);
	assert_int_equal(t.m[i].owner, owner);
	assert_true(off <= strlen(path));
	assert_string_equal(path + off, rel);
}

static void check_err(unsigned op, const char *path, const char *path2, int err)
{
	uint64_t off, off2;

	assert_int_equal(route(&t, op, path, path2, &off, &off2), -err);
}

static void test_longest_prefix(void **state)
{
	(void)state;
	check(LUX_OPEN, "/etc/profile", RAMFS, "etc/profile");
	check(LUX_OPEN, "/dev/null", DEVFS, "null");
	check(LUX_OPEN, "/proc/1/stat", PROCFS, "1/stat");
	check(LUX_STAT, "/proc", PROCFS, "");
}

static void test_whole_components(void **state)
{
	(void)state;
	/* "/dev" covers "/dev/..." only, never "/devx" or "/dev2/x". */
	check(LUX_OPEN, "/devx", RAMFS, "devx");
	check(LUX_OPEN, "/dev2/x", RAMFS, "dev2/x");
	check(LUX_OPEN, "/procfoo/1", RAMFS, "procfoo/1");
	check(LUX_OPEN, "/de", RAMFS, "de");
}

static void test_root(void **state)
{
	(void)state;
	check(LUX_STAT, "/", RAMFS, "");
	check(LUX_OPEN, "/bin", RAMFS, "bin");
	check(LUX_OPEN, "/dev/", DEVFS, "");
}

static void test_mount_point_itself(void **state)
{
	(void)state;
	check(LUX_OPEN, "/dev", DEVFS, "");
	/* A server mounted on files sees their names: one tty server
	 * tells /dev/tty from /dev/console. */
	check(LUX_OPEN, "/dev/console", TTY, "console");
	check(LUX_STAT, "/dev/tty", TTY, "tty");
}

static void test_file_mount_exact_only(void **state)
{
	(void)state;
	/* The file mount covers its own name: not the names that start
	 * with it, nor names below it (devfs says ENOTDIR for those). */
	check(LUX_OPEN, "/dev/tty0", DEVFS, "tty0");
	check(LUX_OPEN, "/dev/ttyS0", DEVFS, "ttyS0");
	check(LUX_OPEN, "/dev/tty/x", DEVFS, "tty/x");
	check(LUX_OPEN, "/dev/consolex", DEVFS, "consolex");
}

static void test_newest_mount_wins(void **state)
{
	(void)state;
	assert_int_equal(mtab_add(&t, "/proc", false, TMPFS, "none", "tmpfs"),
			 0);
	check(LUX_OPEN, "/proc/x", TMPFS, "x");
	assert_int_equal(mtab_remove(&t, "/proc"), TMPFS);
	check(LUX_OPEN, "/proc/x", PROCFS, "x");
	assert_int_equal(mtab_remove(&t, "/nothing"), -EINVAL);
}

static void test_deeper_mount(void **state)
{
	(void)state;
	assert_int_equal(
	    mtab_add(&t, "/tmp/a/b", false, TMPFS, "none", "tmpfs"), 0);
	check(LUX_OPEN, "/tmp/a/b/c/d", TMPFS, "c/d");
	check(LUX_OPEN, "/tmp/a/bc", RAMFS, "tmp/a/bc");
	check(LUX_OPEN, "/tmp/a", RAMFS, "tmp/a");
}

static void test_no_root_mount(void **state)
{
	(void)state;
	teardown(NULL);
	assert_int_equal(mtab_add(&t, "/dev", false, DEVFS, "devfs", "devfs"),
			 0);
	check_err(LUX_OPEN, "/etc", NULL, ENOENT);
	check(LUX_OPEN, "/dev/null", DEVFS, "null");
	check_err(LUX_MKDIR, "/dev", NULL, EEXIST);
}

static void test_two_paths_same_mount(void **state)
{
	uint64_t off, off2;
	const char *a = "/tmp/a", *b = "/home/lux/b";
	int i = route(&t, LUX_RENAME, a, b, &off, &off2);

	(void)state;
	assert_true(i >= 0);
	assert_int_equal(t.m[i].owner, RAMFS);
	assert_string_equal(a + off, "tmp/a");
	assert_string_equal(b + off2, "home/lux/b");

	a = "/dev/x";
	b = "/dev/y/z";
	i = route(&t, LUX_LINK, a, b, &off, &off2);
	assert_true(i >= 0);
	assert_int_equal(t.m[i].owner, DEVFS);
	assert_string_equal(a + off, "x");
	assert_string_equal(b + off2, "y/z");
}

static void test_two_paths_exdev(void **state)
{
	(void)state;
	check_err(LUX_RENAME, "/tmp/a", "/dev/a", EXDEV);
	check_err(LUX_LINK, "/proc/1/stat", "/tmp/stat", EXDEV);
	check_err(LUX_LINK, "/dev/console", "/dev/c2", EXDEV);
}

static void test_symlink_target_not_routed(void **state)
{
	uint64_t off, off2 = 99;
	int i = route(&t, LUX_SYMLINK, "/tmp/l", "/proc/self", &off, &off2);

	(void)state;
	assert_true(i >= 0);
	assert_int_equal(t.m[i].owner, RAMFS);
	assert_int_equal(off, 1);
	assert_int_equal(off2, 0);
}

static void test_mount_points_are_busy(void **state)
{
	(void)state;
	check_err(LUX_UNLINK, "/dev/console", NULL, EBUSY);
	check_err(LUX_UNLINK, "/proc", NULL, EBUSY);
	check_err(LUX_UNLINK, "/", NULL, EBUSY);
	check_err(LUX_RENAME, "/proc", "/proc2", EBUSY);
	check_err(LUX_RENAME, "/tmp/x", "/dev/tty", EBUSY);
	check_err(LUX_LINK, "/tmp/x", "/dev", EEXIST);
	check(LUX_UNLINK, "/dev/null", DEVFS, "null");
}

static void test_create_on_mount_point(void **state)
{
	(void)state;
	/* The name of a mount point lives in the file system below it:
	 * lumen makes /dev/console in devfs with the tty mounted on it. */
	check(LUX_MKNOD, "/dev/console", DEVFS, "console");
	check(LUX_MKDIR, "/proc", RAMFS, "proc");
	check(LUX_SYMLINK, "/dev/tty", DEVFS, "tty");
	check(LUX_MKDIR, "/proc/x", PROCFS, "x");
	check(LUX_MKDIR, "/", RAMFS, ""); /* ramfs says EEXIST */
}

static void test_relative_paths(void **state)
{
	(void)state;
	/* The same answers for paths sent without their leading '/'. */
	check(LUX_OPEN, "dev/null", DEVFS, "null");
	check(LUX_OPEN, "dev", DEVFS, "");
	check(LUX_OPEN, "", RAMFS, "");
	check(LUX_OPEN, "dev/console", TTY, "console");
}

static void test_table_limits(void **state)
{
	(void)state;
	assert_int_equal(mtab_add(&t, "dev", false, DEVFS, "x", "x"), -EINVAL);
	while (t.n < MOUNT_MAX)
		assert_int_equal(mtab_add(&t, "/m", false, TMPFS, "x", "x"), 0);
	assert_int_equal(mtab_add(&t, "/m", false, TMPFS, "x", "x"), -ENOSPC);
	assert_int_equal(mtab_count(&t, TMPFS), MOUNT_MAX - 5);
	assert_int_equal(mtab_count(&t, TTY), 2);
}

static void test_format(void **state)
{
	char buf[256], small[10];
	/* No file mounts (the tty's device nodes): busybox's mke2fs takes
	 * a device listed as a mount point for mounted. */
	const char *want = "ramfs / ramfs rw 0 0\n"
			   "devfs /dev devfs rw 0 0\n"
			   "proc /proc proc rw 0 0\n";

	(void)state;
	assert_int_equal(mtab_format(&t, buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(mtab_format(&t, small, sizeof(small)), strlen(want));
	assert_string_equal(small, "ramfs / r");
}

/* A bind mount: /dev alone, or with rbind the tty's file mounts below
 * it too, served by the same owners at the new place; nothing mounted
 * on the source is EINVAL; a full table is left as it was. */
static void test_bind(void **state)
{
	(void)state;
	assert_int_equal(mtab_add(&t, "/jail", false, TMPFS, "x", "ext2"), 0);
	assert_int_equal(mtab_bind(&t, "/dev", "/jail/dev", false), 0);
	check(LUX_OPEN, "/jail/dev/null", DEVFS, "null");
	check(LUX_OPEN, "/jail/dev/tty", DEVFS, "tty");
	assert_int_equal(mtab_remove(&t, "/jail/dev"), DEVFS);
	assert_int_equal(mtab_bind(&t, "/dev", "/jail/dev", true), 0);
	check(LUX_OPEN, "/jail/dev/tty", TTY, "tty");
	check(LUX_OPEN, "/jail/dev/console", TTY, "console");
	check(LUX_STAT, "/jail/dev", DEVFS, "");
	check(LUX_OPEN, "/jail/etc", TMPFS, "etc");
	assert_int_equal(mtab_count(&t, TTY), 4);
	assert_int_equal(mtab_bind(&t, "/jail/dev/x", "/y", true), -EINVAL);
	assert_int_equal(mtab_bind(&t, "/", "/all", true), 0);
	check(LUX_OPEN, "/all/proc/1", PROCFS, "1");
	check(LUX_OPEN, "/all/jail/dev/tty", TTY, "tty");
	int n = t.n;
	while (t.n < MOUNT_MAX - 1)
		assert_int_equal(mtab_add(&t, "/m", false, TMPFS, "x", "x"), 0);
	assert_int_equal(mtab_bind(&t, "/dev", "/z", true), -ENOSPC);
	assert_int_equal(t.n, MOUNT_MAX - 1);
	assert_true(n < t.n);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_longest_prefix),
	    T(test_whole_components),
	    T(test_root),
	    T(test_mount_point_itself),
	    T(test_file_mount_exact_only),
	    T(test_newest_mount_wins),
	    T(test_deeper_mount),
	    T(test_no_root_mount),
	    T(test_two_paths_same_mount),
	    T(test_two_paths_exdev),
	    T(test_symlink_target_not_routed),
	    T(test_mount_points_are_busy),
	    T(test_create_on_mount_point),
	    T(test_relative_paths),
	    T(test_table_limits),
	    T(test_format),
	    T(test_bind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
