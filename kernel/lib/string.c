/*
 * string.c - the C memory and string functions, the kernel's only copies.
 *
 * The compiler may turn a byte loop into a call to memset or memcpy, which
 * here would call itself; no_builtin forbids that in these functions.
 * Bulk work goes a 64-bit word at a time where the addresses allow it.
 */
#include "kernel.h"

#define NO_BUILTIN __attribute__((no_builtin))

/* A word that may alias any object, so word copies of bytes are legal. */
typedef uint64_t __attribute__((may_alias)) word_t;
#define WORD sizeof(word_t)

NO_BUILTIN void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	for (; n > 0 && (uintptr_t)d % WORD != 0; n--)
		*d++ = (unsigned char)c;
	for (; n >= WORD; n -= WORD, d += WORD)
		*(word_t *)d = (unsigned char)c * 0x0101010101010101ULL;
	while (n-- > 0)
		*d++ = (unsigned char)c;
	return dst;
}

/* Copies forwards, so memmove may use it whenever dst is below src. Once
 * dst is aligned, copies words if src is aligned too. */
NO_BUILTIN void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (; n > 0 && (uintptr_t)d % WORD != 0; n--)
		*d++ = *s++;
	for (; n >= WORD && (uintptr_t)s % WORD == 0; n -= WORD) {
		*(word_t *)d = *(const word_t *)s;
		d += WORD;
		s += WORD;
	}
	while (n-- > 0)
		*d++ = *s++;
	return dst;
}

NO_BUILTIN void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n-- > 0)
		d[n] = s[n];
	return dst;
}

NO_BUILTIN int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n > 0; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

NO_BUILTIN size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* Copy at most size - 1 bytes and terminate; returns strlen(src), so a
 * result >= size means the copy was cut short. */
NO_BUILTIN size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = MIN(len, size - 1);
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

NO_BUILTIN int strncmp(const char *a, const char *b, size_t n)
{
	for (; n > 0; n--, a++, b++)
		if (*a != *b || *a == '\0')
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

NO_BUILTIN int strcmp(const char *a, const char *b)
{
	return strncmp(a, b, SIZE_MAX);
}

NO_BUILTIN char *strstr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncmp(hay, needle, n) == 0)
			return (char *)hay;
	return n == 0 ? (char *)hay : NULL;
}
