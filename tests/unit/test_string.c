/*
 * test_string.c - the kernel's memory and string functions (lib/string.c),
 * against byte-at-a-time models, at every alignment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel.h"

#define CANARY 0xa5

static unsigned char buf[256], model[256], src[256];

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + seed);
}

static void fill_canary(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = CANARY;
}

static void test_memset(void **state)
{
	(void)state;
	for (size_t off = 0; off < 16; off++) {
		for (size_t len = 0; len < 80; len++) {
			fill_canary(buf, sizeof(buf));
			/* Only the low byte of c counts. */
			assert_ptr_equal(memset(buf + off, 0x15c, len),
					 buf + off);
			for (size_t i = 0; i < sizeof(buf); i++) {
				bool in = i >= off && i < off + len;
				assert_int_equal(buf[i], in ? 0x5c : CANARY);
			}
		}
	}
}

static void test_memcpy(void **state)
{
	(void)state;
	fill_pattern(src, sizeof(src), 3);
	for (size_t so = 0; so < 16; so++) {
		for (size_t d = 0; d < 16; d++) {
			for (size_t len = 0; len < 90; len++) {
				fill_canary(buf, sizeof(buf));
				assert_ptr_equal(memcpy(buf + d, src + so, len),
						 buf + d);
				for (size_t i = 0; i < sizeof(buf); i++) {
					bool in = i >= d && i < d + len;
					assert_int_equal(buf[i],
							 in ? src[so + i - d]
							    : CANARY);
				}
			}
		}
	}
}

/* Move len bytes from offset 100 to 100 + shift, overlapping or not. */
static void test_memmove_overlap(void **state)
{
	(void)state;
	for (int shift = -20; shift <= 20; shift++) {
		for (size_t len = 0; len < 100; len++) {
			size_t from = 100, to = 100 + shift;

			fill_pattern(buf, sizeof(buf), 11);
			fill_pattern(model, sizeof(model), 11);
			for (size_t i = 0; i < len; i++)
				model[to + i] = buf[from + i];
			assert_ptr_equal(memmove(buf + to, buf + from, len),
					 buf + to);
			assert_memory_equal(buf, model, sizeof(buf));
		}
	}
}

static void test_memcmp(void **state)
{
	unsigned char a[] = {1, 2, 3, 0x80}, b[] = {1, 2, 3, 0x01};

	(void)state;
	assert_int_equal(memcmp(a, a, sizeof(a)), 0);
	assert_int_equal(memcmp(a, b, 3), 0);
	assert_int_equal(memcmp(a, b, 0), 0);
	/* Bytes compare as unsigned char. */
	assert_true(memcmp(a, b, 4) > 0);
	assert_true(memcmp(b, a, 4) < 0);
}

static void test_strlen(void **state)
{
	char s[1001];

	(void)state;
	assert_int_equal(strlen(""), 0);
	assert_int_equal(strlen("a"), 1);
	assert_int_equal(strlen("hello\0world"), 5);
	for (size_t i = 0; i < 1000; i++)
		s[i] = 'x';
	s[1000] = '\0';
	assert_int_equal(strlen(s), 1000);
	assert_int_equal(strlen(s + 3), 997);
}

static void test_strlcpy(void **state)
{
	char d[8];

	(void)state;
	assert_int_equal(strlcpy(d, "abc", sizeof(d)), 3);
	assert_string_equal(d, "abc");
	assert_int_equal(strlcpy(d, "abcdefgh", sizeof(d)), 8);
	assert_string_equal(d, "abcdefg");
	assert_int_equal(strlcpy(d, "", sizeof(d)), 0);
	assert_string_equal(d, "");
	assert_int_equal(strlcpy(d, "xyz", 1), 3);
	assert_string_equal(d, "");
	/* Size 0 writes nothing at all. */
	d[0] = 'q';
	assert_int_equal(strlcpy(d, "xyz", 0), 3);
	assert_int_equal(d[0], 'q');
}

static void test_strcmp(void **state)
{
	(void)state;
	assert_int_equal(strcmp("", ""), 0);
	assert_int_equal(strcmp("abc", "abc"), 0);
	assert_true(strcmp("abc", "abd") < 0);
	assert_true(strcmp("abd", "abc") > 0);
	assert_true(strcmp("ab", "abc") < 0);
	assert_true(strcmp("abc", "ab") > 0);
	assert_true(strcmp("\xff", "a") > 0); /* unsigned char order */
	assert_int_equal(strncmp("abcx", "abcy", 3), 0);
	assert_true(strncmp("abcx", "abcy", 4) < 0);
	assert_int_equal(strncmp("a", "b", 0), 0);
	assert_int_equal(strncmp("ab", "ab", 100), 0);
	assert_true(strncmp("ab", "abc", 100) < 0);
}

static void test_strstr(void **state)
{
	const char *hay = "the quick brown fox", *a = "aaab", *empty = "";

	(void)state;
	assert_ptr_equal(strstr(hay, "quick"), hay + 4);
	assert_ptr_equal(strstr(hay, "fox"), hay + 16);
	assert_ptr_equal(strstr(hay, "the"), hay);
	assert_ptr_equal(strstr(hay, ""), hay);
	assert_null(strstr(hay, "foxes"));
	assert_null(strstr(hay, "cat"));
	assert_ptr_equal(strstr(a, "aab"), a + 1); /* after a false start */
	assert_null(strstr("ab", "abc"));
	assert_ptr_equal(strstr(empty, ""), empty);
	assert_null(strstr(empty, "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memset),
	    cmocka_unit_test(test_memcpy),
	    cmocka_unit_test(test_memmove_overlap),
	    cmocka_unit_test(test_memcmp),
	    cmocka_unit_test(test_strlen),
	    cmocka_unit_test(test_strlcpy),
	    cmocka_unit_test(test_strcmp),
	    cmocka_unit_test(test_strstr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
