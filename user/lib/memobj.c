/*
 * memobj.c - a server's own memory objects (memobj.h).
 */
#define _GNU_SOURCE
#include "memobj.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEMOBJ_PAGE 4096

int memobj_resize(int fd, uint64_t size)
{
	struct stat st;
	uint64_t from;

	if (fstat(fd, &st) < 0 || ftruncate(fd, (off_t)size) < 0)
		return -errno;
	from = (uint64_t)st.st_size & ~(uint64_t)(MEMOBJ_PAGE - 1);
	if (size > from && fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from,
				     (off_t)(size - from)))
		return -errno;
	return 0;
}

char *memobj_map(int fd, uint64_t size)
{
	void *p =
	    size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
		 : MAP_FAILED;
	return p == MAP_FAILED ? NULL : p;
}

int memobj_copy(int fd, uint64_t off, void *buf, size_t n, bool out)
{
	uint64_t base = off & ~(uint64_t)(MEMOBJ_PAGE - 1);
	char *p;

	if (!n)
		return 0;
	p = mmap(NULL, off + n - base, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)base);
	if (p == MAP_FAILED)
		return -ENOMEM;
	if (out)
		memcpy(buf, p + (off - base), n);
	else
		memcpy(p + (off - base), buf, n);
	munmap(p, off + n - base);
	return 0;
}
