/*
 * path.h - the personality's path requests (path.c): a path call becomes
 * one request, routed by the mount table this process keeps (fetched from
 * lumen with LUX_MOUNTS, stale when the resolver's generation moves) and
 * sent with the native LUX_NR_REQUEST to the server mounted there; a
 * FOLLOW reply splices the link's target in and routes again.
 */
#pragma once

#include "pathname.h"
#include "persona.h"

#define LINKS_MAX 40 /* symbolic links one walk may follow (ELOOP) */
#define AT_FDCWD  (-100)
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* One path request on its way. Only the fields below are set by
 * walk_init; the buffers are not cleared (the personality's stack is
 * small and clearing is slow). */
struct walk {
	struct lux_req q;  /* op, flags, mode, off, count, time */
	int npaths;        /* paths to resolve: 1 or 2 */
	bool jail;         /* they are the program's: the root applies */
	long base;         /* a directory outside the root they start from:
			    * LUX_REQ_BASE (root.c), 0 if none */
	const char *extra; /* a last string sent as it is (SYMLINK's target) */
	struct lux_rep rep;
	char data[LUX_PATH_MAX]; /* the reply's payload (follows rep) */
	char path[2][LUX_PATH_MAX];
	char scratch[LUX_PATH_MAX];
	char msg[sizeof(struct lux_req) + 3 * LUX_PATH_MAX];
};
_Static_assert(__builtin_offsetof(struct walk, data) ==
		   __builtin_offsetof(struct walk, rep) +
		       sizeof(struct lux_rep),
	       "the reply's payload follows its header");
_Static_assert(__builtin_offsetof(struct walk, data) % 8 == 0,
	       "a payload's structures are read in place");

/* Start a walk for op. */
void walk_init(struct walk *w, unsigned op);
/* Fetch the program's path upath into w->scratch and make it clean and
 * absolute in w->path[i] (relative to dirfd's directory or the current
 * one): 0 or -errno. */
int walk_path(struct walk *w, int i, long dirfd, long upath);
/* The same for a path the program named, already in the personality's
 * memory: inside the process's root (chroot, root.c). */
int walk_user(struct walk *w, int i, long dirfd, const char *rel);
/* The same for a real path of the system's own (the personality's, or
 * one the kernel gave): the root does not apply. */
int walk_set(struct walk *w, int i, long dirfd, const char *rel);
/* The directory rel is relative to into w->scratch (none when rel is
 * absolute or empty): 0 or -errno. */
int walk_base(struct walk *w, long dirfd, const char *rel);
/* Whether the process has a root: its requests then go by the resolver
 * (the kernel follows the REDIRECT). w->msg serves as a buffer. */
bool walk_jailed(struct walk *w);
/* Forget whether it has one (a route was refused: it may have now). */
void walk_unjail(void);
/* path_splice (pathname.h) into out (LUX_PATH_MAX bytes), inside the
 * process's root when w's paths are the program's (root.c). */
int walk_splice(struct walk *w, char *out, const char *path, size_t end,
		const char *target, size_t tlen);
/* Send w's request where the mount table says, following links: the
 * reply's result (>= 0; an OPEN's new descriptor) or -errno. */
long walk_run(struct walk *w);
/* The reply's payload bytes in w->data. */
size_t walk_payload(const struct walk *w);
/* Send w's request (no path) about the program's remote file fd, by its
 * handle (futimens): the result or -errno. */
long walk_fd(struct walk *w, int fd);
/* Send the request of op with the n strings str to the resolver itself
 * (MOUNT, UMOUNT): the result or -errno. */
long walk_resolver(struct walk *w, const char *const str[], int n);
