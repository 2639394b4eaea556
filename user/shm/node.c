/*
 * node.c - the shared-memory server's files: each a memory object
 * (memfd) of the server's. Reads and writes map the part of the object
 * they touch for the time of the copy, so they see what the clients'
 * mappings see.
 */
#define _GNU_SOURCE
#include "memobj.h"
#include "shm.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct shm_node shm_nodes[SHM_NODES];

bool shm_allowed(const struct lux_req *q, const struct shm_node *n, int want)
{
	unsigned bits = n->mode;

	if (q->uid == 0)
		return !(want & LUX_X_OK) || (bits & 0111);
	bits >>= q->uid == n->uid ? 6 : lux_in_group(q, n->gid) ? 3 : 0;
	return (want & ~bits & 7) == 0;
}

int shm_node_new(const struct lux_req *q, uint32_t mode)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	for (int i = 0; i < SHM_NODES; i++) {
		struct shm_node *n = &shm_nodes[i];
		if (n->used)
			continue;
		if ((n->fd = memfd_create("shm", MFD_CLOEXEC)) < 0)
			return -ENOMEM;
		n->used = true;
		n->mode = LUX_S_IFREG | (mode & 07777);
		n->uid = q->uid;
		n->gid = q->gid;
		n->nlink = n->opens = 0;
		n->tmp = 0;
		n->linkable = false;
		n->size = 0;
		n->time[0] = n->time[1] = n->time[2] = now;
		return i;
	}
	return -ENOSPC;
}

int shm_tmp_find(const char *name)
{
	uint64_t secret = lux_tmpname(name, strlen(name));

	for (int i = 0; secret && i < SHM_NODES; i++)
		if (shm_nodes[i].used && shm_nodes[i].opens &&
		    shm_nodes[i].tmp == secret)
			return i;
	return -ENOENT;
}

void shm_node_drop(int i)
{
	struct shm_node *n = &shm_nodes[i];

	if (n->used && !n->nlink && !n->opens) {
		close(n->fd); /* the pages live on in the clients' mappings */
		n->used = false;
	}
}

int shm_node_resize(int i, uint64_t size)
{
	if (ftruncate(shm_nodes[i].fd, (off_t)size) < 0)
		return -errno;
	shm_nodes[i].size = size;
	clock_gettime(CLOCK_REALTIME, &shm_nodes[i].time[1]);
	shm_nodes[i].time[2] = shm_nodes[i].time[1];
	return 0;
}

long shm_node_io(int i, uint64_t off, void *buf, size_t n, bool out)
{
	struct shm_node *s = &shm_nodes[i];
	long r;

	if (out && off >= s->size)
		return 0;
	if (out && n > s->size - off)
		n = s->size - off;
	if (!out && off + n > s->size && (r = shm_node_resize(i, off + n)) < 0)
		return r;
	if (!n)
		return 0;
	if ((r = memobj_copy(s->fd, off, buf, n, out)) < 0)
		return r;
	clock_gettime(CLOCK_REALTIME, &s->time[out ? 0 : 1]);
	if (!out)
		s->time[2] = s->time[1];
	return (long)n;
}
