/*
 * route.c - the mount table and longest-prefix routing (route.h).
 *
 * Paths are compared without their leading '/': the kernel sends absolute
 * normalized paths, and a mount point "/dev" covers "dev" and "dev/..."
 * but not "devx"; the root mount "" covers everything. A file mount covers
 * its own name only.
 */
#include "route.h"
#include <errno.h>
#include <lux/proto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mtab_add(struct mtab *t, const char *path, bool file, int owner,
	     const char *source, const char *fstype)
{
	struct mount *m = &t->m[t->n];

	if (path[0] != '/')
		return -EINVAL;
	if (t->n == MOUNT_MAX)
		return -ENOSPC;
	*m = (struct mount){.file = file && path[1], .owner = owner};
	m->path = strdup(path);
	m->source = strdup(source);
	m->fstype = strdup(fstype);
	if (!m->path || !m->source || !m->fstype) {
		free(m->path);
		free(m->source);
		free(m->fstype);
		return -ENOMEM;
	}
	t->n++;
	return 0;
}

int mtab_remove(struct mtab *t, const char *path)
{
	for (int i = t->n - 1; i >= 0; i--) {
		struct mount m = t->m[i];
		if (strcmp(m.path, path))
			continue;
		memmove(&t->m[i], &t->m[i + 1], (t->n - i - 1) * sizeof(m));
		t->n--;
		free(m.path);
		free(m.source);
		free(m.fstype);
		return m.owner;
	}
	return -EINVAL;
}

int mtab_count(const struct mtab *t, int owner)
{
	int n = 0;

	for (int i = 0; i < t->n; i++)
		n += t->m[i].owner == owner;
	return n;
}

size_t mtab_format(const struct mtab *t, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = 0;
	for (int i = 0; i < t->n; i++) {
		const struct mount *m = &t->m[i];
		int n =
		    snprintf(buf + (len < size ? len : size),
			     len < size ? size - len : 0, "%s %s %s rw 0 0\n",
			     m->source, m->path, m->fstype);
		len += n > 0 ? n : 0;
	}
	return len;
}

/* The newest, longest mount covering rel (a path without its leading '/'),
 * or -1; skip_exact leaves out mounts on exactly rel (but the root). Its
 * mount point's length in *len. */
static int lookup(const struct mtab *t, const char *rel, bool skip_exact,
		  size_t *len)
{
	int best = -1;

	*len = 0;
	for (int i = 0; i < t->n; i++) {
		const char *mp = t->m[i].path + 1;
		size_t n = strlen(mp);
		if (strncmp(rel, mp, n) ||
		    (n && rel[n] && (rel[n] != '/' || t->m[i].file)))
			continue; /* "/dev" does not cover "devx" */
		if (n && !rel[n] && skip_exact)
			continue;
		if (best < 0 || n >= *len) {
			best = i;
			*len = n;
		}
	}
	return best;
}

/* Is rel exactly the mount point of some mount (the root included)? */
static bool is_mount_point(const struct mtab *t, const char *rel)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->m[i].path + 1, rel))
			return true;
	return false;
}

/* Route one path: the mount index and the bytes to skip in *off. */
static int route_one(const struct mtab *t, const char *path, bool create,
		     uint64_t *off)
{
	size_t lead = path[0] == '/', len;
	const char *rel = path + lead;
	int i = lookup(t, rel, create, &len);

	if (i < 0)
		return create && is_mount_point(t, rel) ? -EEXIST : -ENOENT;
	*off = lead + len + (len && rel[len] == '/');
	if (t->m[i].file) /* its server learns the name: "tty", "console" */
		*off = lead + (strrchr(t->m[i].path, '/') - t->m[i].path);
	return i;
}

int route(const struct mtab *t, unsigned op, const char *path,
	  const char *path2, uint64_t *off, uint64_t *off2)
{
	bool create = op == LUX_MKDIR || op == LUX_MKNOD || op == LUX_SYMLINK;
	const char *rel = path + (path[0] == '/');
	int i, j;

	*off = *off2 = 0;
	if ((op == LUX_UNLINK || op == LUX_RENAME) && is_mount_point(t, rel))
		return -EBUSY;
	if ((i = route_one(t, path, create, off)) < 0)
		return i;
	if ((op != LUX_RENAME && op != LUX_LINK) || !path2)
		return i;
	rel = path2 + (path2[0] == '/');
	if (is_mount_point(t, rel))
		return op == LUX_RENAME ? -EBUSY : -EEXIST;
	if ((j = route_one(t, path2, false, off2)) < 0)
		return j;
	return i == j ? i : -EXDEV;
}
