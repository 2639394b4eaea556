/*
 * fs.h - what the kernel still does with path names (kernel/fs/): its
 * execve loads a program and AF_UNIX names find their socket file. The
 * path becomes absolute and lexically clean, then travels as a request
 * to the resolver (lumen), which redirects it to the server mounted
 * there; a server that meets a symbolic link answers FOLLOW, and the walk
 * starts again with the link's target spliced in. The path calls are the
 * personality's (user/persona/, docs/decisions/0007-...).
 */
#pragma once

#include "kernel.h"
#include <lux/proto.h>

#define NAME_MAX  255
#define LINKS_MAX 40 /* symbolic links one walk may follow (ELOOP) */

/*
 * fs/path.c (pure, host-tested): write into out (size bytes) the absolute
 * path that rel names from the absolute directory base (ignored when rel
 * starts with '/'), with "." and empty components dropped and ".." taking
 * away the component before it (never above "/"). When rel ends in '/',
 * "." or "..", the result ends in '/' (it must name a directory; "/" stays
 * "/"). Returns its length, or
 * -ENOENT for an empty rel, -ENAMETOOLONG if it does not fit or a
 * component is longer than NAME_MAX.
 */
int path_normalize(char *out, size_t size, const char *base, const char *rel);
/*
 * The path that results when the first link_end bytes of the clean
 * absolute path `path` name a symbolic link whose target is the tlen
 * bytes at target: the target (from the link's directory, or absolute)
 * followed by the rest of path, normalized into out. Returns as
 * path_normalize.
 */
int path_splice(char *out, size_t size, const char *path, size_t link_end,
		const char *target, size_t tlen);

/* One path request on its way: fs/walk.c. */
struct walk {
	struct lux_req q;  /* op and fields; the payload is built per hop */
	int npaths;        /* paths to resolve: 1 or 2 */
	const char *extra; /* a last string sent as it is (SYMLINK's target) */
	char path[2][LUX_PATH_MAX];
	struct lux_rep rep;
	char data[LUX_PATH_MAX]; /* the reply's payload (cut to this size) */
	char scratch[LUX_PATH_MAX];
	struct chan *srv; /* the server that answered (walk_run keep) */
};
/* A walk for op, or NULL when out of memory; walk_end frees it. */
struct walk *walk_alloc(unsigned op);
void walk_end(struct walk *w);
/* The path rel (kernel memory, not w->scratch; relative to the current
 * directory) into w->path[i], clean and absolute: 0 or -errno. */
int walk_set(struct walk *w, int i, const char *rel);
/* Send w's request through the resolver, following redirects and links:
 * the reply's result (>= 0) or -errno; with keep, w->srv is the server
 * that answered, with a reference walk_end drops. */
long walk_run(struct walk *w, bool keep);
/* The absolute path of the current directory into buf (LUX_PATH_MAX). */
void fs_cwd(char *buf);

/* fs/walk.c: the identity (dev, ino) of the socket file at path (kernel
 * memory), made first when create (EADDRINUSE if the name exists):
 * 0, or -errno (ECONNREFUSED when it is no socket). */
int fs_socket_node(const char *path, bool create, uint64_t node[2]);
