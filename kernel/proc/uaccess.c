/*
 * uaccess.c - copies between kernel and user memory. Every user range is
 * checked to lie below USER_TOP without wrapping; a page that is missing
 * is faulted in, and one that may not be, gives -EFAULT.
 */
#include "proc.h"
#include <lux/errno.h>

bool user_range(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;

	return a + n >= a && a + n <= USER_TOP;
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
	return user_range(usrc, n) ? arch_copy_user(dst, usrc, n) : -EFAULT;
}

int copy_to_user(void *udst, const void *src, size_t n)
{
	return user_range(udst, n) ? arch_copy_user(udst, src, n) : -EFAULT;
}

long strncpy_from_user(char *dst, const char *usrc, size_t size)
{
	for (size_t done = 0; done < size;) {
		/* A piece at a time, not past the end of the page (mapped or
		 * not as a whole): paths are short, buffers long. */
		size_t n =
		    MIN(MIN(size - done, 128),
			PAGE_SIZE - ((uintptr_t)(usrc + done) % PAGE_SIZE));
		if (copy_from_user(dst + done, usrc + done, n) < 0)
			return -EFAULT;
		for (size_t i = done; i < done + n; i++)
			if (!dst[i])
				return i;
		done += n;
	}
	return -ENAMETOOLONG;
}
