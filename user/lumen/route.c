/*
 * route.c - the mount table and longest-prefix routing (route.h).
 *
 * The rule itself (a mount point "/dev" covers "dev" and "dev/..." but
 * not "devx"; the newest, longest mount wins) is user/lib/routing.h,
 * which the personality routes by too.
 */
#include "route.h"
#include <errno.h>
#include <lux/proto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/routing.h"

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

/* The rest of path after src ("" for src itself) if path is src, or
 * below it when rec; NULL otherwise. */
static const char *bind_rest(const char *path, const char *src, bool rec)
{
	size_t k = strcmp(src, "/") ? strlen(src) : 0;

	if (!strcmp(path, src))
		return "";
	if (!rec || strncmp(path, src, k) || path[k] != '/' || !path[1])
		return NULL;
	return path + k;
}

int mtab_bind(struct mtab *t, const char *src, const char *target, bool rec)
{
	int n = t->n, r = -EINVAL;
	char path[LUX_PATH_MAX];

	for (int i = 0; i < n && r == -EINVAL; i++)
		if (!strcmp(t->m[i].path, src))
			r = 0;
	for (int i = 0; i < n && !r; i++) {
		const struct mount *m = &t->m[i];
		const char *rest = bind_rest(m->path, src, rec);
		if (!rest)
			continue;
		int len =
		    snprintf(path, sizeof(path), "%s%s",
			     strcmp(target, "/") || !*rest ? target : "", rest);
		r = len >= (int)sizeof(path)
			? -ENAMETOOLONG
			: mtab_add(t, path, m->file, m->owner, m->source,
				   m->fstype);
	}
	while (r && t->n > n) /* undo */
		mtab_remove(t, t->m[t->n - 1].path);
	return r;
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
		/* A file mount is a device node (a server on /dev/tty), which
		 * Linux has in devtmpfs, not as a mount. busybox's mke2fs
		 * took /dev/loop0 listed here for a mount point and refused
		 * to format it. */
		if (m->file)
			continue;
		int n = snprintf(buf + (len < size ? len : size),
				 len < size ? size - len : 0,
				 "%s %s %s %s 0 0\n", m->source, m->path,
				 m->fstype, m->ro ? "ro" : "rw");
		len += n > 0 ? n : 0;
	}
	return len;
}

/* Mount i of table t as the shared rule sees it (routing.h). */
static void mount_at(const void *t, int i, struct routing_mount *m)
{
	const struct mount *mt = &((const struct mtab *)t)->m[i];

	m->point = mt->path + 1;
	m->len = strlen(m->point);
	m->file = mt->file;
}

int route(const struct mtab *t, unsigned op, const char *path,
	  const char *path2, uint64_t *off, uint64_t *off2)
{
	struct routing_table rt = {t->n, t, mount_at};

	return routing_route(&rt, op, path, path2, off, off2);
}
