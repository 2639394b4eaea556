/*
 * lib.c - the personality's checked copies and string routines (persona.h).
 * The compiler may also emit calls to memcpy and memset itself.
 */
#include "persona.h"

/* The platform's copies (e.g. x86_64.S), which fail with -EFAULT through the
 * fixup word of the context block, which ends this thread's stack. */
long persona_copy(void *dst, const void *src, size_t n);
long persona_strcpy(char *dst, const char *src, size_t size);

int copy_in(void *dst, long usrc, size_t n)
{
	return (int)persona_copy(dst, (const void *)usrc, n);
}

int copy_out(long udst, const void *src, size_t n)
{
	return (int)persona_copy((void *)udst, src, n);
}

long str_in(char *dst, long usrc, size_t size)
{
	return persona_strcpy(dst, (const char *)usrc, size);
}

struct lux_persona_ctx *persona_ctx(void)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);

	return (struct lux_persona_ctx *)((fp | (LUX_PERSONA_SLOT - 1)) + 1) -
	       1;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	char *d = dst;

	while (n--)
		*d++ = (char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, (size_t)-1);
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t k = n < size - 1 ? n : size - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}
