/*
 * test_persona_path.c - the personality's lexical path names
 * (user/persona/pathname.c): joining, ".", "..", "//", the length limits,
 * splicing a symbolic link's target in, and which last components are
 * "." or "..", which unlinkat and rmdir refuse as Linux does. (The
 * kernel's copy, kernel/fs/path.c, and its test_path.c went with the
 * socket names, docs/decisions/0021-socket-names.md.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pathname.h"
#include <lux/proto.h>

static char out[LUX_PATH_MAX];

static void check_norm(const char *base, const char *rel, const char *want)
{
	int r = path_normalize(out, sizeof(out), base, rel);

	assert_int_equal(r, (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_normalize(void **state)
{
	(void)state;
	check_norm("/", "/", "/");
	check_norm("/", "a", "/a");
	check_norm("/usr", "bin//sh", "/usr/bin/sh");
	check_norm("/usr/lib", "../bin/./sh", "/usr/bin/sh");
	/* a name that must be a directory keeps one trailing slash */
	check_norm("/usr/lib", "../bin/./sh/", "/usr/bin/sh/");
	check_norm("/a", "b//", "/a/b/");
	check_norm("/a", "b/.", "/a/b/");
	check_norm("/a/b", "..", "/a/");
	check_norm("/a/b", "c/..", "/a/b/");
	check_norm("/", "a/..", "/");
	check_norm("/a/b", "/x/../y", "/y");
	check_norm("/a", "../../..", "/");
	check_norm("/a/b/c", "../x", "/a/b/x");
	check_norm("/", ".", "/");
	check_norm("/", "./..//.", "/");
	check_norm("/a/", "b", "/a/b");
	check_norm("/a", "...", "/a/...");
	check_norm("/a", "..b/.c", "/a/..b/.c");
	check_norm("//x//", "y", "/x/y");
}

static void test_errors(void **state)
{
	static char name[NAME_MAX + 2], longp[LUX_PATH_MAX + 2];

	(void)state;
	assert_int_equal(path_normalize(out, sizeof(out), "/a", ""), -ENOENT);
	memset(name, 'n', NAME_MAX);
	assert_int_equal(path_normalize(out, sizeof(out), "/", name),
			 NAME_MAX + 1);
	name[NAME_MAX] = 'n';
	assert_int_equal(path_normalize(out, sizeof(out), "/", name),
			 -ENAMETOOLONG);
	for (size_t i = 0; i < sizeof(longp) - 1; i++)
		longp[i] = i % 2 ? '/' : 'x';
	assert_int_equal(path_normalize(out, sizeof(out), "/", longp),
			 -ENAMETOOLONG);
	/* The same, but ".." brings it back under the limit. */
	for (size_t i = 0; i + 3 < sizeof(longp) - 1; i += 4)
		memcpy(longp + i, "x/..", 4);
	longp[sizeof(longp) - 2] = '\0';
	assert_true(path_normalize(out, sizeof(out), "/", longp) > 0);
	assert_int_equal(path_normalize(out, 1, "/", "a"), -ENAMETOOLONG);
	assert_int_equal(path_normalize(out, 3, "/", "ab"), -ENAMETOOLONG);
	assert_int_equal(path_normalize(out, 4, "/", "ab"), 3);
	assert_int_equal(path_normalize(out, 4, "/", "ab/"), -ENAMETOOLONG);
	assert_int_equal(path_normalize(out, 5, "/", "ab/"), 4);
}

static void check_splice(const char *path, size_t link_end, const char *t,
			 const char *want)
{
	int r = path_splice(out, sizeof(out), path, link_end, t, strlen(t));

	assert_int_equal(r, (int)strlen(want));
	assert_string_equal(out, want);
}

static void test_splice(void **state)
{
	(void)state;
	/* /a/link -> b: relative to /a, the rest appended. */
	check_splice("/a/link/c", 7, "b", "/a/b/c");
	check_splice("/a/link", 7, "b/d", "/a/b/d");
	check_splice("/a/link/c", 7, "/abs/x", "/abs/x/c");
	check_splice("/a/link/c", 7, "../up", "/up/c");
	check_splice("/link", 5, "..", "/");
	check_splice("/a/link", 7, "b/", "/a/b/");
	check_splice("/a/link/", 7, "b", "/a/b/");
	check_splice("/a/link/c", 7, "b/", "/a/b/c");
	check_splice("/bin/sh", 7, "busybox", "/bin/busybox");
	/* the target is not NUL-terminated: only tlen bytes count */
	assert_int_equal(path_splice(out, sizeof(out), "/l", 2, "xyz", 1), 2);
	assert_string_equal(out, "/x");
	assert_int_equal(path_splice(out, sizeof(out), "/l", 2, "", 0),
			 -ENOENT);
}

static void test_last_dots(void **state)
{
	(void)state;
	assert_int_equal(path_last_dots("."), 1);
	assert_int_equal(path_last_dots("a/b/."), 1);
	assert_int_equal(path_last_dots("a/.//"), 1);
	assert_int_equal(path_last_dots(".."), 2);
	assert_int_equal(path_last_dots("/x/../"), 2);
	assert_int_equal(path_last_dots("a/.b"), 0);
	assert_int_equal(path_last_dots("a/..."), 0);
	assert_int_equal(path_last_dots("/"), 0);
	assert_int_equal(path_last_dots("a"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_splice),
	    cmocka_unit_test(test_last_dots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
