/*
 * test_printf.c - the kernel's vsnprintf and snprintf (lib/printf.c):
 * integer conversions against the host C library, at every buffer size;
 * the rest against expected strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <sys/types.h>

#include "host.h"
#include "kernel.h"

/* The kernel's output for fmt must be the host's, whole and cut short to
 * every buffer size, with the same return value. */
static void same_v(int line, const char *fmt, va_list ap)
{
	char want[256], got[256];
	va_list aq;
	int w, g;

	for (size_t size = 0; size < sizeof(got); size++) {
		va_copy(aq, ap);
		w = host_vsnprintf(want, sizeof(want), fmt, aq);
		va_end(aq);
		memset(got, '#', sizeof(got));
		va_copy(aq, ap);
		g = vsnprintf(got, size, fmt, aq);
		va_end(aq);
		if (size > 0)
			want[MIN(size - 1, (size_t)w)] = '\0';
		if (g != w || (size > 0 && strcmp(got, want) != 0))
			fail_msg("line %d: \"%s\" with size %zu gave \"%.*s\" "
				 "(%d), host \"%s\" (%d)",
				 line, fmt, size, (int)MIN(size, sizeof(got)),
				 got, g, want, w);
		if (got[size] != '#' || (size == 0 && got[0] != '#'))
			fail_msg("line %d: \"%s\" wrote past size %zu", line,
				 fmt, size);
		if (size > (size_t)w + 1)
			break;
	}
}

PRINTF_LIKE(2, 3) static void same(int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	same_v(line, fmt, ap);
	va_end(ap);
}

/* The same, for formats the compiler warns about though C defines them
 * (a flag that another overrides; hh and h with int arguments). */
static void same_raw(int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	same_v(line, fmt, ap);
	va_end(ap);
}

/* The kernel's output for fmt must be expect. */
static void expect_v(int line, const char *expect, const char *fmt, va_list ap)
{
	char got[256];
	int n = vsnprintf(got, sizeof(got), fmt, ap);

	if (strcmp(got, expect) != 0 || n != (int)strlen(expect))
		fail_msg("line %d: \"%s\" gave \"%s\" (%d), want \"%s\"", line,
			 fmt, got, n, expect);
}

PRINTF_LIKE(3, 4)
static void expect(int line, const char *want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	expect_v(line, want, fmt, ap);
	va_end(ap);
}

/* The same, for formats the compiler would rightly warn about. */
static void expect_raw(int line, const char *want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	expect_v(line, want, fmt, ap);
	va_end(ap);
}

#define SAME(...)       same(__LINE__, __VA_ARGS__)
#define SAME_RAW(...)   same_raw(__LINE__, __VA_ARGS__)
#define EXPECT(...)     expect(__LINE__, __VA_ARGS__)
#define EXPECT_RAW(...) expect_raw(__LINE__, __VA_ARGS__)

static void test_signed(void **state)
{
	(void)state;
	SAME("%d", 0);
	SAME("%d|%i", -1, -3);
	SAME("%d %d", INT_MIN, INT_MAX);
	SAME_RAW("[%5d] [%-5d] [%05d] [%-05d]", 42, 42, -42, 42);
	SAME("[%.3d] [%.0d] [%5.0d] [%.0d]", 7, 0, 0, 1);
	SAME("[%8.3d] [%08.3d] [%-8.3d]", -7, -7, -7);
	SAME_RAW("%hhd %hhd %hd %hd", 200, -1, 40000, -32768);
	SAME("%ld %ld", LONG_MIN, LONG_MAX);
	SAME("%lld %lli", LLONG_MIN, LLONG_MAX);
	SAME("%zd %td %ti", (ssize_t)-5, (ptrdiff_t)-9, (ptrdiff_t)PTRDIFF_MAX);
	SAME("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
	SAME("[%.*d] [%.*d] [%*.*d]", 4, 5, -1, 5, 8, 4, -12);
}

static void test_unsigned(void **state)
{
	(void)state;
	SAME("%u %u", 0u, UINT_MAX);
	SAME("%x %X %o", 0xdeadbeefu, 0xabcdefu, 0777u);
	SAME("[%8x] [%-8X] [%08o] [%.6x]", 0x1fu, 0x1fu, 8u, 0xabu);
	SAME("[%.0x] [%.0u] [%.0o]", 0u, 0u, 0u);
	SAME_RAW("%hhx %hhu %hx %hu", 0x1ff, -1, 0x12345, 70000);
	SAME("%lu %lx %llu %llx", ULONG_MAX, 0x123456789abcdef0ul, ULLONG_MAX,
	     0xfedcba9876543210ull);
	SAME("%016lx %zu %zx %tx", 0xfffful, SIZE_MAX, (size_t)0x1000,
	     (ptrdiff_t)4096);
	/* More arguments than fit in registers: some come from the stack. */
	SAME("%d %u %x %ld %lu %c %s %d %lld %x", 1, 2u, 3u, 4l, 5ul, '6', "7",
	     8, 9ll, 10u);
}

static void test_strings_and_chars(void **state)
{
	char unterminated[3] = {'x', 'y', 'z'}, buf[8];
	const char *null = NULL;

	(void)state;
	SAME("%s|%s|", "abc", "");
	SAME("[%5s] [%-5s] [%.2s] [%.0s] [%7.2s]", "abc", "abc", "abc", "abc",
	     "abc");
	SAME("[%*s] [%.*s]", -6, "ab", 2, "abc");
	SAME("%c%c%c [%3c] [%-3c]", 'a', 'b', 'c', 'x', 'y');
	SAME("100%% %d%%", 5);
	/* Precision bounds what is read, so the string needs no NUL. */
	EXPECT("xyz", "%.3s", unterminated);
	EXPECT("(null)", "%s", null);
	EXPECT("[  (null)]", "[%8s]", null);
	/* %c writes a NUL like any other character. */
	assert_int_equal(snprintf(buf, sizeof(buf), "a%cb", '\0'), 3);
	assert_memory_equal(buf, "a\0b", 4);
	EXPECT("no conversions", "no conversions");
}

static void test_pointers(void **state)
{
	(void)state;
	SAME("%p", (void *)0x1234);
	SAME("[%18p] [%-18p]", (void *)0xabcdef, (void *)0xabcdef);
	EXPECT("0x0", "%p", NULL);
	EXPECT("0xffff800000001000", "%p", (void *)0xffff800000001000ul);
}

static void test_malformed(void **state)
{
	(void)state;
	EXPECT_RAW("abc%", "abc%");
	EXPECT_RAW("%", "%");
	EXPECT_RAW("%q|%k", "%q|%k");
	/* An unknown conversion takes no argument. */
	EXPECT_RAW("%y7", "%y%d", 7);
}

static void test_truncation(void **state)
{
	char buf[16];

	(void)state;
	memset(buf, '#', sizeof(buf));
	assert_int_equal(snprintf(buf, 5, "hello %s", "world"), 11);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], '#');
	assert_int_equal(snprintf(buf, 12, "hello world"), 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(snprintf(buf, 11, "hello world"), 11);
	assert_string_equal(buf, "hello worl");
	assert_int_equal(snprintf(buf, 1, "hello"), 5);
	assert_string_equal(buf, "");
	/* Size 0 writes nothing, so dst may be NULL. */
	buf[0] = '#';
	assert_int_equal(snprintf(buf, 0, "hello"), 5);
	assert_int_equal(buf[0], '#');
	assert_int_equal(snprintf(NULL, 0, "%1000d|%s", 1, "abc"), 1004);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signed),
	    cmocka_unit_test(test_unsigned),
	    cmocka_unit_test(test_strings_and_chars),
	    cmocka_unit_test(test_pointers),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
