/*
 * path.c - the personality's one resolution loop for every path call
 * (path.h). Lumen's mount table is kept here, per process, so that a
 * request goes straight to the server mounted on its path: the table
 * comes from lumen (LUX_MOUNTS) with the resolver's generation, and the
 * kernel refuses a request routed by an old generation (ESTALE), so a
 * mount or umount is seen by every process at once. The table is routed
 * by lumen's own rule (user/lib/routing.h); when it cannot be had,
 * lumen is asked per request (LUX_REDIRECT) as before.
 *
 * Threads share the table: a sequence count guards it (odd while it is
 * written); a reader that meets a write, or a writer that meets another,
 * goes without the cache for that request, so that nothing ever waits
 * (a fork child may inherit a count left odd: it then always asks).
 */
#include "fs.h"
#include "persona.h"
#include "../lib/routing.h"

#define MOUNTS_MAX 64
#define POOL_MAX   (2 * LUX_PATH_MAX) /* LUX_MOUNTS' reply payload */
#define STALE_MAX  64 /* routes refused as stale before giving up: EIO */

#define native6(nr, a, b, c, d, e, f)                                          \
	persona_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d),        \
			(long)(e), (long)(f))

static struct {
	uint32_t seq; /* odd while written */
	uint64_t gen; /* the resolver's generation of this table; 0: none */
	uint64_t bad; /* a generation the kernel refused */
	int n;
	struct {
		int32_t fd;
		uint16_t file, len;
		uint32_t at; /* in pool: the path without its '/', NUL */
	} m[MOUNTS_MAX];
	char pool[POOL_MAX + MOUNTS_MAX];
} mt;

/* Where a request goes: LUX_NR_REQUEST's target and generation, and the
 * bytes of each path the server does not see. */
struct route {
	long target;
	uint64_t gen;
	size_t skip[2];
};

/* Mount i's point without its leading '/' ("" for the root), and its
 * length in *n; every index is bounded, so a torn read cannot fault. */
static const char *mount_point(int i, size_t *n)
{
	uint32_t at = mt.m[i].at % POOL_MAX;

	*n = mt.m[i].len % (POOL_MAX - at);
	return mt.pool + at;
}

/* Mount i of the cached table as the shared rule sees it (routing.h). */
static void mount_at(const void *t, int i, struct routing_mount *m)
{
	(void)t;
	m->point = mount_point(i, &m->len);
	m->file = mt.m[i].file;
}

/* Route w's request by the table, by lumen's rule: 0 or -errno. */
static int route_table(const struct walk *w, struct route *rt)
{
	struct routing_table t = {mt.n % (MOUNTS_MAX + 1), NULL, mount_at};
	uint64_t off[2];
	int i =
	    routing_route(&t, w->q.op, w->path[0],
			  w->npaths == 2 ? w->path[1] : NULL, &off[0], &off[1]);

	if (i < 0)
		return i;
	rt->skip[0] = off[0], rt->skip[1] = off[1];
	rt->target = mt.m[i].fd;
	return rt->target < 0 ? -EIO : 0; /* being restarted */
}

/* Route w by the cached table: 0 or -errno, or 1 when the table cannot
 * be used (none, stale, or being written). */
static int route_cached(const struct walk *w, struct route *rt)
{
	uint32_t s = __atomic_load_n(&mt.seq, __ATOMIC_ACQUIRE);
	int r;

	if ((s & 1) || !mt.gen ||
	    mt.gen == __atomic_load_n(&mt.bad, __ATOMIC_RELAXED))
		return 1;
	rt->gen = mt.gen;
	r = route_table(w, rt);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&mt.seq, __ATOMIC_RELAXED) == s ? r : 1;
}

/* Store LUX_MOUNTS' reply (size payload bytes at data) as the table,
 * unless another thread is writing it. */
static void mounts_store(uint64_t gen, const char *data, size_t size)
{
	uint32_t s = __atomic_load_n(&mt.seq, __ATOMIC_RELAXED);
	size_t off = 0, at = 0;
	struct lux_mount e;
	int n = 0;

	if ((s & 1) ||
	    !__atomic_compare_exchange_n(&mt.seq, &s, s + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	for (; off + sizeof(e) <= size && n < MOUNTS_MAX; n++) {
		memcpy(&e, data + off, sizeof(e));
		if (off + sizeof(e) + e.len > size || !e.len ||
		    data[off + sizeof(e)] != '/' ||
		    at + e.len > sizeof(mt.pool))
			break; /* malformed: no table */
		memcpy(mt.pool + at, data + off + sizeof(e) + 1, e.len - 1);
		mt.pool[at + e.len - 1] = '\0';
		mt.m[n].fd = e.fd;
		mt.m[n].file = e.file;
		mt.m[n].len = e.len - 1;
		mt.m[n].at = at;
		at += e.len;
		off = (off + sizeof(e) + e.len + 7) & ~(size_t)7;
	}
	mt.n = n;
	mt.gen = off >= size ? gen : 0;
	__atomic_store_n(&mt.seq, s + 2, __ATOMIC_RELEASE);
}

/* Fetch the mount table from lumen into the cache. */
static void mounts_fetch(void)
{
	struct {
		struct lux_rep rep;
		char data[POOL_MAX];
	} b;
	struct lux_req q;

	q.op = LUX_MOUNTS;
	q.len = sizeof(q);
	q.flags = q.mode = 0;
	q.off = q.count = 0;
	if (native6(LUX_NR_REQUEST, LUX_REQ_RESOLVER, 0, &q, &b, sizeof(b), 0) <
		0 ||
	    b.rep.op != LUX_REPLY || b.rep.result < 0 || !b.rep.off)
		return;
	mounts_store(b.rep.off, b.data,
		     MIN(b.rep.len - sizeof(b.rep), sizeof(b.data)));
}

/* Where a path starts for a server that does not see its first skip
 * bytes: after them and any '/'. */
static size_t server_start(const char *path, size_t skip)
{
	while (skip && path[skip] == '/')
		skip++;
	return skip;
}

/* Send w's request with the n strings s as its payload to target (at
 * generation gen), the reply into w->rep and w->data: 0 or -errno. */
static long send_strs(struct walk *w, long target, uint64_t gen,
		      const char *const s[], int n)
{
	struct lux_req *q = (struct lux_req *)w->msg;
	char *p = (char *)(q + 1);

	for (int i = 0; i < n; i++) {
		size_t k = strlen(s[i]) + 1;
		memcpy(p, s[i], k);
		p += k;
	}
	q->op = w->q.op;
	q->len = p - w->msg;
	q->flags = w->q.flags;
	q->mode = w->q.mode;
	q->off = w->q.off;
	q->count = w->q.count;
	q->time[0][0] = w->q.time[0][0]; /* no memcpy: lib.c's is bytewise */
	q->time[0][1] = w->q.time[0][1];
	q->time[1][0] = w->q.time[1][0];
	q->time[1][1] = w->q.time[1][1];
	long r;
	do /* a lease held it up: ask again (decision 0040) */
		r = native6(LUX_NR_REQUEST, target, gen, q, &w->rep,
			    sizeof(w->rep) + sizeof(w->data),
			    q->op == LUX_OPEN ? w->path[0] : NULL);
	while (!r && w->rep.op == LUX_REPLY && w->rep.result == -LUX_ELEASE);
	return r;
}

/* Send w's request along rt, each path from server_start on. */
static long send(struct walk *w, const struct route *rt)
{
	const char *s[3];
	int n = 0;

	for (; n < w->npaths; n++)
		s[n] = w->path[n] + server_start(w->path[n], rt->skip[n]);
	if (w->extra)
		s[n++] = w->extra;
	return send_strs(w, rt->target, rt->gen, s, n);
}

/* Route w: by the cache (fetched first if need be), else by asking lumen
 * (a REDIRECT names the server and the generation): 0 or -errno. An
 * error the cached table gives (EBUSY for a mount point, EIO for a server
 * being restarted, ...) is checked against a fresh table: no server sees
 * the request, so the kernel cannot refuse a stale generation (a mount
 * point just unmounted would stay EBUSY to rmdir). */
static long route(struct walk *w, struct route *rt)
{
	bool jail = walk_jailed(w);
	int r = jail ? 0 : route_cached(w, rt);
	long s;

	if (jail) { /* the kernel follows lumen's REDIRECT itself */
		rt->target = LUX_REQ_RESOLVER;
		rt->gen = w->base;
		rt->skip[0] = rt->skip[1] = 0;
		return 0;
	}
	if (r != 0) {
		mounts_fetch();
		r = route_cached(w, rt);
	}
	if (r <= 0)
		return r;
	rt->target = LUX_REQ_RESOLVER;
	rt->gen = 0;
	rt->skip[0] = rt->skip[1] = 0;
	if ((s = send(w, rt)) < 0)
		return s;
	if (w->rep.op != LUX_REDIRECT && w->rep.op != LUX_REPLY)
		return -EIO;
	if (w->rep.result < 0) /* lumen's answer: no such mount */
		return w->rep.result;
	if (w->rep.op != LUX_REDIRECT)
		return -EIO;
	rt->target = w->rep.result;
	rt->gen = w->rep.handle;
	rt->skip[0] = MIN(w->rep.off, strlen(w->path[0]));
	rt->skip[1] = MIN(w->rep.off2, strlen(w->path[1]));
	return 0;
}

size_t walk_payload(const struct walk *w)
{
	return MIN(w->rep.len - sizeof(w->rep), sizeof(w->data));
}

/* FOLLOW: splice the link's target (the payload) into the path it names,
 * which was sent minus skip[i] bytes. */
static int follow(struct walk *w, const size_t skip[2])
{
	int i = w->rep.off2 ? 1 : 0;
	char *path = w->path[i];
	size_t start = i < w->npaths ? server_start(path, skip[i]) : 0;

	if (i >= w->npaths || w->rep.off > strlen(path + start))
		return -EIO;
	int r = walk_splice(w, w->scratch, path, start + w->rep.off, w->data,
			    walk_payload(w));
	if (r >= 0)
		memcpy(path, w->scratch, r + 1);
	return r < 0 ? r : 0;
}

long walk_run(struct walk *w)
{
	for (int links = 0, stale = 0;;) {
		struct route rt;
		long r = route(w, &rt);

		if (!r)
			r = send(w, &rt);
		if (r == -ESTALE && ++stale < STALE_MAX) {
			__atomic_store_n(&mt.bad, rt.gen, __ATOMIC_RELAXED);
			walk_unjail();
			continue;
		}
		if (r == -ESTALE)
			return -EIO;
		if (r < 0)
			return r;
		if (w->rep.op == LUX_FOLLOW) {
			if (++links > LINKS_MAX)
				return -ELOOP;
			if ((r = follow(w, rt.skip)))
				return r;
			continue;
		}
		if (w->rep.op != LUX_REPLY)
			return -EIO; /* a server redirecting: not its job */
		return w->rep.result;
	}
}

long walk_resolver(struct walk *w, const char *const str[], int n)
{
	long r = send_strs(w, LUX_REQ_RESOLVER, 0, str, n);

	return r < 0 ? r : w->rep.result;
}

long walk_fd(struct walk *w, int fd)
{
	long r = send_strs(w, LUX_REQ_FD(fd), 0, NULL, 0);

	return r < 0 ? r : w->rep.result;
}

void walk_init(struct walk *w, unsigned op)
{
	w->q.op = op;
	w->q.flags = w->q.mode = 0;
	w->q.off = w->q.count = 0;
	w->q.time[0][0] = w->q.time[0][1] = 0;
	w->q.time[1][0] = w->q.time[1][1] = 0;
	w->npaths = 1;
	w->jail = false;
	w->base = 0;
	w->extra = NULL;
	w->path[1][0] = '\0';
}

int walk_base(struct walk *w, long dirfd, const char *rel)
{
	char *base = w->scratch;
	long r;

	if (rel[0] != '/' && (int)dirfd == AT_FDCWD) { /* an int, as Linux */
		if ((r = native2(LUX_NR_CHDIR, base, LUX_PATH_MAX)) < 0)
			return r;
	} else if (rel[0] != '/' && rel[0] &&
		   (r = native3(LUX_NR_FDPATH, dirfd, base, LUX_PATH_MAX)) <
		       0) {
		return r;
	}
	return 0;
}

int walk_set(struct walk *w, int i, long dirfd, const char *rel)
{
	long r = walk_base(w, dirfd, rel);

	if (!r)
		r = path_normalize(w->path[i], LUX_PATH_MAX, w->scratch, rel);
	return r < 0 ? r : 0;
}

int walk_path(struct walk *w, int i, long dirfd, long upath)
{
	long r = str_in(w->data, upath, LUX_PATH_MAX);

	return r < 0 ? r : walk_user(w, i, dirfd, w->data);
}

/* sync: every mounted file system's dirty data to its device, as FSYNC
 * on its mount point (a server's FSYNC writes all it holds: ext2's its
 * whole cache, then the disk's flush). The table is fetched fresh; a
 * mount on a file, or one the caller may not open, is left to its
 * server's own write-back. */
void fs_sync(void)
{
	char point[LUX_PATH_MAX];

	mounts_fetch();
	for (int i = 0; i < MOUNTS_MAX; i++) {
		uint32_t s = __atomic_load_n(&mt.seq, __ATOMIC_ACQUIRE);
		size_t n = 0;
		bool dir = !(s & 1) && i < mt.n && !mt.m[i].file;
		const char *p = dir ? mount_point(i, &n) : "";

		point[0] = '/';
		memcpy(point + 1, p, MIN(n, sizeof(point) - 2));
		point[1 + MIN(n, sizeof(point) - 2)] = '\0';
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!dir || __atomic_load_n(&mt.seq, __ATOMIC_RELAXED) != s)
			continue;
		long fd =
		    fs_openat(AT_FDCWD, (long)point, O_RDONLY | O_CLOEXEC, 0);
		if (fd >= 0) {
			fd_fsync(fd);
			persona_syscall(NR_close, fd, 0, 0, 0, 0, 0);
		}
	}
}
