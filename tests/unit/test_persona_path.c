/*
 * test_persona_path.c - the personality's lexical path names
 * (user/persona/pathname.c): the same rules as the kernel's copy
 * (test_path.c), and which last components are "." or "..", which
 * unlinkat and rmdir refuse as Linux does.
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
	check_norm("/", "a", "/a");
	check_norm("/x/y", "../z/./w", "/x/z/w");
	check_norm("/x", "/a//b/", "/a/b/");
	check_norm("/", "../..", "/");
	check_norm("/a", ".", "/a/");
	assert_int_equal(path_normalize(out, sizeof(out), "/", ""), -ENOENT);
	assert_int_equal(path_normalize(out, 4, "/", "abcd"), -ENAMETOOLONG);
}

static void test_splice(void **state)
{
	(void)state;
	assert_int_equal(path_splice(out, sizeof(out), "/a/link/c", 7, "b/", 2),
			 6);
	assert_string_equal(out, "/a/b/c");
	assert_int_equal(path_splice(out, sizeof(out), "/bin/sh", 7, "/x", 2),
			 2);
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
	    cmocka_unit_test(test_splice),
	    cmocka_unit_test(test_last_dots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
