/*
 * shm.h - the shared-memory server (docs/decisions/0030-shared-memory.md):
 * /dev/shm, a flat directory of files each kept in a memory object of the
 * server's, which it hands to the kernel when a client maps the file
 * (LUX_MAP), so that every MAP_SHARED mapping of a file, in any process,
 * maps the same pages that read and write reach.
 */
#pragma once

#include <lux.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define SHM_NODES 512 /* files, linked or still open */
#define SHM_NAMES 512 /* directory entries */
#define SHM_NAME  256 /* bytes of a name with its NUL (NAME_MAX + 1) */

/* A file: its memory object (a descriptor of the server's), attributes,
 * and what keeps it: names (nlink) and open descriptions (opens). */
struct shm_node {
	bool used;
	int fd; /* the memory object */
	uint32_t mode, uid, gid, nlink, opens;
	bool linkable; /* O_TMPFILE without O_EXCL, never linked yet */
	uint64_t tmp;  /* O_TMPFILE: the number of its hidden name, or 0 */
	uint64_t size;
	struct timespec time[3]; /* atime, mtime, ctime */
};

extern struct shm_node shm_nodes[SHM_NODES];

/* Whether the caller of q may access node n as want (LUX_R_OK, LUX_W_OK,
 * LUX_X_OK); root reads and writes anything. */
bool shm_allowed(const struct lux_req *q, const struct shm_node *n, int want);
/* A new node (nlink 0, opens 0) of mode for the caller of q: its index,
 * or -ENOSPC, -ENOMEM. */
int shm_node_new(const struct lux_req *q, uint32_t mode);
/* The open unnamed file whose hidden name is name (include/lux/proto.h,
 * docs/decisions/0037-tmpfile.md): its index, or -ENOENT. */
int shm_tmp_find(const char *name);
/* Free node i if nothing keeps it any more. */
void shm_node_drop(int i);
/* Resize node i's object: 0 or -errno. */
int shm_node_resize(int i, uint64_t size);
/* Copy n bytes at off of node i to (out) or from buf: bytes, or -errno. */
long shm_node_io(int i, uint64_t off, void *buf, size_t n, bool out);
