/*
 * serve.h - the request server's own definitions, shared by fs.c (paths,
 * permissions, dispatch), names.c (operations that make, move and remove
 * names), attr.c (attributes) and io.c (operations on open objects).
 */
#pragma once

#include "fs.h"
#include "lux.h"

#define MAY_R 4
#define MAY_W 2
#define MAY_X 1
/* Not an errno: the reply has become a LUX_FOLLOW. */
#define FOLLOWED 1000

/* One request being served. */
struct call {
	struct ramfs *fs;
	const struct lux_req *q;
	const char *path[2]; /* the payload's strings, NULL if missing */
	size_t n;            /* payload bytes */
	const char *data;
	struct lux_rep *r;
	char *out;
	long outlen;
	struct timespec now;
};

/* Where a path led: the last component's directory, name and object. */
struct walk {
	struct node *dir;
	const char *name;
	size_t len;
	struct dentry *de; /* NULL: missing (or the root) */
	struct node *node; /* NULL: missing */
	bool slash;        /* the path ended in '/' */
};

/* May the caller of q access n for `want` (MAY_R|MAY_W|MAY_X)? Root may
 * do anything but execute a file with no execute bit. */
bool may(const struct node *n, const struct lux_req *q, uint32_t want);
/* May the caller remove n from dir (the sticky bit)? */
bool may_delete(const struct lux_req *q, const struct node *dir,
		const struct node *n);
bool owner_or_root(const struct lux_req *q, const struct node *n);
/* Walk path `which` of the request to its last component, following a
 * link there when follow_last (or when the path ends in '/'). 0, -errno,
 * or -FOLLOWED. */
int walk(struct call *c, int which, bool follow_last, struct walk *w);
/* The object a request names: its handle, else its path. */
int target(struct call *c, bool follow_last, struct node **n);
/* OPEN with LUX_O_TMPFILE of w ("dir/" and a hidden name): a new
 * regular file with no link in w->dir, owned by the caller. */
int tmp_create(struct call *c, struct walk *w, struct node **out);
/* Make the object w names (missing) with mode, owned by the caller. */
int create(struct call *c, struct walk *w, uint32_t mode, struct node **out);
/* n lost its name in dir (already out of dir's list). */
void drop(struct call *c, struct node *dir, struct node *n);
/* Reading n: set its atime as Linux's relatime does. */
void touch_atime(struct node *n, struct timespec now);

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
