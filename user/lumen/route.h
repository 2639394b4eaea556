/*
 * route.h - lumen's mount table and the longest-prefix routing of path
 * requests (route.c). Pure logic, no system calls: the host unit tests
 * (tests/unit/test_lumen_route.c) run it as it is.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOUNT_MAX 64

struct mount {
	char *path;    /* absolute, no trailing '/': "/", "/dev", "/dev/tty" */
	bool file;     /* covers only this exact path (a device node) */
	int owner;     /* who serves it (lumen's service index) */
	char *source;  /* for /run/mounts: "devfs", "none" */
	char *fstype;  /* for /run/mounts: "devfs", "proc" */
	bool ro;       /* mounted read-only (its server refuses changes) */
	bool any_root; /* reached from every chroot (sockets, SysV IPC) */
};

struct mtab {
	struct mount m[MOUNT_MAX];
	int n;
};

/* Add a mount of path (absolute, normalized) served by owner; a later
 * mount on the same path hides the earlier one. Returns 0, -ENOSPC when
 * the table is full, -EINVAL for a relative path, -ENOMEM. */
int mtab_add(struct mtab *t, const char *path, bool file, int owner,
	     const char *source, const char *fstype);
/* A bind mount: every mount on exactly src (and with rec every mount
 * below it) is mounted again at target plus the rest of its path, served
 * by the same owner, in the same order. Returns 0, -EINVAL when nothing
 * is mounted on src (a server's subdirectory cannot be bound: it sees
 * paths from its own mount point), -ENAMETOOLONG, -ENOSPC or -ENOMEM
 * (the table as it was). */
int mtab_bind(struct mtab *t, const char *src, const char *target, bool rec);
/* Remove the newest mount on exactly path: its owner, or -EINVAL when
 * nothing is mounted there. */
int mtab_remove(struct mtab *t, const char *path);
/* How many mounts owner serves. */
int mtab_count(const struct mtab *t, int owner);
/* The table in /proc/mounts format ("devfs /dev devfs rw 0 0\n" a line),
 * its file mounts left out, into buf (NUL-terminated, cut at size): the
 * length it needs. */
size_t mtab_format(const struct mtab *t, char *buf, size_t size);

/* Route request op (enum lux_op) naming path, and path2 for RENAME and
 * LINK (NULL otherwise). Returns the index of the mount that serves it and
 * sets *off (and *off2) to the bytes of the path to skip so that the
 * server sees its own relative path ("" for its root; the file's name for
 * a mount on a file, "tty" for /dev/tty); or -errno: ENOENT
 * (no mount), EXDEV (the two paths on different mounts), EBUSY (unlink or
 * rename of a mount point). Creating a name that is a mount point (MKDIR,
 * MKNOD, SYMLINK) goes to the mount below it, which holds the name. */
int route(const struct mtab *t, unsigned op, const char *path,
	  const char *path2, uint64_t *off, uint64_t *off2);
