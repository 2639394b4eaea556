/*
 * routing.h - the routing rule for path requests, one copy for lumen
 * (user/lumen/route.c, the resolver) and the personality (user/persona/
 * path.c, which routes by its own copy of lumen's table): both must send
 * a request to the same server, so they share this code.
 *
 * Paths are compared without their leading '/': a mount point "dev"
 * covers "dev" and "dev/..." but not "devx"; the root mount "" covers
 * everything; a mount on a file covers its own name only. The newest of
 * equal mounts wins. Header-only: the includer provides size_t, bool,
 * strncmp and the E* values (Linux's, the same everywhere).
 */
#pragma once

#include <lux/proto.h>

/* Mount i as the rule sees it: its point without the leading '/', that
 * point's length, and whether it is mounted on a file. */
struct routing_mount {
	const char *point;
	size_t len;
	bool file;
};

/* A table: n mounts, each described by at(t, i, &m). */
struct routing_table {
	int n;
	const void *t;
	void (*at)(const void *t, int i, struct routing_mount *m);
};

/* The newest, longest mount covering rel (a path without its leading
 * '/'), or -1; skip_exact leaves out mounts on exactly rel (but the
 * root). Its mount point's length in *len. */
static inline int routing_lookup(const struct routing_table *rt,
				 const char *rel, bool skip_exact, size_t *len)
{
	int best = -1;

	*len = 0;
	for (int i = 0; i < rt->n; i++) {
		struct routing_mount m;
		size_t k;
		rt->at(rt->t, i, &m);
		k = m.len;
		if (strncmp(rel, m.point, k) ||
		    (k && rel[k] && (rel[k] != '/' || m.file)))
			continue; /* "/dev" does not cover "devx" */
		if (k && !rel[k] && skip_exact)
			continue;
		if (best < 0 || k >= *len) {
			best = i;
			*len = k;
		}
	}
	return best;
}

/* Is rel exactly the mount point of some mount (the root included)? */
static inline bool routing_is_mount_point(const struct routing_table *rt,
					  const char *rel)
{
	for (int i = 0; i < rt->n; i++) {
		struct routing_mount m;
		rt->at(rt->t, i, &m);
		if (!strncmp(rel, m.point, m.len) && !rel[m.len])
			return true;
	}
	return false;
}

/* Route one path: the mount index and the bytes to skip in *off so that
 * the server sees its own relative path ("" for its root; for a mount on
 * a file, the file's name: "tty" for /dev/tty). */
static inline int routing_one(const struct routing_table *rt, const char *path,
			      bool create, uint64_t *off)
{
	size_t lead = path[0] == '/', len;
	const char *rel = path + lead;
	int i = routing_lookup(rt, rel, create, &len);
	struct routing_mount m;

	if (i < 0)
		return create && routing_is_mount_point(rt, rel) ? -EEXIST
								 : -ENOENT;
	*off = lead + len + (len && rel[len] == '/');
	rt->at(rt->t, i, &m);
	if (m.file) { /* its server learns the name */
		len = m.len;
		while (len && m.point[len - 1] != '/')
			len--;
		*off = lead + len;
	}
	return i;
}

/* Route request op naming path, and path2 for RENAME and LINK (NULL
 * otherwise): the index of the mount that serves it, with *off (and
 * *off2) the bytes of each path its server does not see; or -ENOENT (no
 * mount), -EXDEV (two paths on different mounts), -EBUSY (unlink or
 * rename of a mount point), -EEXIST (link onto one). Creating a name
 * that is a mount point (MKDIR, MKNOD, SYMLINK) goes to the mount below
 * it, which holds the name. */
static inline int routing_route(const struct routing_table *rt, unsigned op,
				const char *path, const char *path2,
				uint64_t *off, uint64_t *off2)
{
	bool create = op == LUX_MKDIR || op == LUX_MKNOD || op == LUX_SYMLINK;
	int i, j;

	*off = *off2 = 0;
	if ((op == LUX_UNLINK || op == LUX_RENAME) &&
	    routing_is_mount_point(rt, path + (path[0] == '/')))
		return -EBUSY;
	if ((i = routing_one(rt, path, create, off)) < 0)
		return i;
	if ((op != LUX_RENAME && op != LUX_LINK) || !path2)
		return i;
	if (routing_is_mount_point(rt, path2 + (path2[0] == '/')))
		return op == LUX_RENAME ? -EBUSY : -EEXIST;
	if ((j = routing_one(rt, path2, false, off2)) < 0)
		return j;
	return i == j ? i : -EXDEV;
}
