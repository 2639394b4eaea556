/*
 * serve.h - the request server's own definitions, shared by serve.c
 * (paths, permissions, making names, the dispatch), names.c (operations
 * that make, move and remove names) and attr.c (attributes and the
 * operations on open files). Its rules are ramfs's (user/ramfs/), which
 * are Linux's: the same tests hold for both.
 */
#pragma once

#include "ext2.h"
#include "lux.h"

/* Protocol flags are include/lux/'s LUX_ names (ext2.h includes them). */
#define MAY_R         4
#define MAY_W         2
#define MAY_X         1
#define EXT2_LINK_MAX 32000 /* Linux's ext2 */
/* Not an errno: the reply has become a LUX_FOLLOW. */
#define FOLLOWED 1000

/* One request being served. */
struct call {
	struct ext2fs *fs;
	const struct lux_req *q;
	const char *path[2]; /* the payload's strings, NULL if missing */
	size_t n;            /* payload bytes */
	const char *data;
	struct lux_rep *r;
	char *out;
	long outlen;
	struct timespec now;
};

/* Where a path led: the last component's directory, name and object,
 * each held (walk_put lets them go). */
struct walk {
	struct inode *dir;
	const char *name;
	size_t len;
	struct inode *node; /* NULL: missing */
	uint64_t pos;       /* the entry's position in dir */
	bool slash;         /* the path ended in '/' */
	bool exists;        /* (on -ENOTDIR) the last component exists */
};

/* What a new object is made with (create). */
struct made {
	uint32_t mode;
	uint64_t rdev;      /* devices */
	const char *target; /* symbolic links */
};

bool may(const struct inode *n, const struct lux_req *q, uint32_t want);
bool may_delete(const struct lux_req *q, const struct inode *dir,
		const struct inode *n);
bool owner_or_root(const struct lux_req *q, const struct inode *n);
/* Walk path `which` of the request to its last component, following a
 * link there when follow_last (or when the path ends in '/'). 0 with w
 * held, or -errno / -FOLLOWED with nothing held. */
int walk(struct call *c, int which, bool follow_last, struct walk *w);
void walk_put(struct call *c, struct walk *w);
/* The object a request names, held: its handle, else its path. */
int target(struct call *c, bool follow_last, struct inode **n);
/* OPEN with LUX_O_TMPFILE of w ("dir/" and a hidden name): a new
 * regular file with no link, owned by the caller; *out held. */
int tmp_create(struct call *c, struct walk *w, struct inode **out);
/* Whether path `which` of c's request may end in a hidden name. */
bool names_tmp(const struct call *c, int which);
/* Make the object w names (missing), owned by the caller; *out held. */
int create(struct call *c, struct walk *w, const struct made *m,
	   struct inode **out);
/* n lost its name in dir (already out of dir's blocks). */
void drop(struct call *c, struct inode *dir, struct inode *n);
/* Reading n: set its atime as Linux's relatime does. */
void touch_atime(struct call *c, struct inode *n);
/* Set n's times named in which (T_ATIME | T_MTIME | T_CTIME) to now and
 * write it. */
#define T_ATIME 1
#define T_MTIME 2
#define T_CTIME 4
void stamp(struct call *c, struct inode *n, int which);
/* A symbolic link's target into buf (LUX_PATH_MAX bytes): its length or
 * -errno. */
long link_target(struct ext2fs *fs, struct inode *n, char *buf);

/* The operations: the reply's result (the payload in c->out, c->outlen). */
int64_t op_open(struct call *c);
int64_t op_mkdir(struct call *c);
int64_t op_mknod(struct call *c);
int64_t op_unlink(struct call *c);
int64_t op_rename(struct call *c);
int64_t op_link(struct call *c);
int64_t op_symlink(struct call *c);
int64_t op_stat(struct call *c);
int64_t op_readlink(struct call *c);
int64_t op_chmod(struct call *c);
int64_t op_chown(struct call *c);
int64_t op_utimens(struct call *c);
int64_t op_truncate(struct call *c);
int64_t op_access(struct call *c);
int64_t op_statfs(struct call *c);
int64_t op_read(struct call *c);
int64_t op_write(struct call *c);
int64_t op_getdents(struct call *c);
int64_t op_fsync(struct call *c);
int64_t op_map(struct call *c);
void op_close(struct call *c);
