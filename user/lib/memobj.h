/*
 * memobj.h - a server's own memory objects (memfds), as the servers that
 * hand them to the kernel use them: ramfs and ext2 for mapped files
 * (docs/decisions/0032-file-mapping.md), shm for /dev/shm's files.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Make object fd size bytes long, its pages made now (so that the server
 * never touches a page the kernel could not make, which would be
 * SIGBUS): 0 or -errno (-ENOSPC: memory ran out; then fd may be left
 * longer, with pages missing). */
int memobj_resize(int fd, uint64_t size);

/* Object fd's first size bytes, mapped read-write (munmap them), or NULL
 * (also for size 0). */
char *memobj_map(int fd, uint64_t size);

/* Copy n bytes at off of object fd to (out) or from buf: 0 or -ENOMEM.
 * The object's part is mapped for the time of the copy. */
int memobj_copy(int fd, uint64_t off, void *buf, size_t n, bool out);
