/*
 * root.c - chroot: the process's root, kept by the kernel (LUX_NR_ROOT:
 * set by root only, copied by fork, kept by exec) and applied here to
 * every path a program names (docs/decisions/0036-debian-root.md). A
 * path inside the root is cleaned as if the root were "/" and then
 * prefixed with it, so that ".." stops there; an absolute name and a
 * symbolic link's absolute target start there. A path outside it (a
 * current directory or descriptor left outside, as Linux allows) is
 * cleaned as it is. The servers and lumen only ever see real paths.
 */
#include "fs.h"

#define ROOT_UNKNOWN 0 /* not asked since exec */
#define ROOT_NONE    1
#define ROOT_SET     2

static int root_state; /* per image: exec starts at ROOT_UNKNOWN */

/* The process's root into buf (LUX_PATH_MAX bytes), without a trailing
 * '/': its length, 0 when it is "/" (no chroot), or -errno. Only whether
 * there is one is cached; the string is always the kernel's. */
static long root_get(char *buf)
{
	int s = __atomic_load_n(&root_state, __ATOMIC_ACQUIRE);
	long r;

	if (s == ROOT_NONE)
		return 0;
	if ((r = native2(LUX_NR_ROOT, buf, LUX_PATH_MAX)) < 0)
		return r;
	r = r <= 2 ? 0 : r - 1; /* with its NUL: "/" is 2 */
	__atomic_compare_exchange_n(&root_state, &s, r ? ROOT_SET : ROOT_NONE,
				    false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	return r;
}

/* Whether the clean real path p is the root (n bytes at r) or below it. */
static bool root_has(const char *p, const char *r, size_t n)
{
	return !strncmp(p, r, n) && (p[n] == '/' || !p[n]);
}

/* Put the n bytes of r in front of the path at p: 0 or -ENAMETOOLONG. */
static int root_prefix(char *p, const char *r, size_t n)
{
	size_t len = strlen(p);

	if (len + n + 1 > LUX_PATH_MAX)
		return -ENAMETOOLONG;
	memmove(p + n, p, len + 1);
	memcpy(p, r, n);
	return (int)(len + n);
}

int walk_user(struct walk *w, int i, long dirfd, const char *rel)
{
	char *root = w->msg; /* free until the request is sent */
	long n = root_get(root);
	int r;

	if (n <= 0)
		return n < 0 ? (int)n : walk_set(w, i, dirfd, rel);
	w->jail = true;
	if ((r = walk_base(w, dirfd, rel)) < 0)
		return r;
	const char *base = w->scratch;
	bool in = *rel == '/' || root_has(base, root, n);
	if (!in) /* the kernel lets it name paths outside: as Linux does */
		w->base = LUX_REQ_BASE((int)dirfd);
	if (in)
		base = *rel == '/' || !base[n] ? "/" : base + n;
	r = path_normalize(w->path[i], LUX_PATH_MAX, base, rel);
	if (r >= 0 && in)
		r = root_prefix(w->path[i], root, n);
	return r < 0 ? r : 0;
}

bool walk_jailed(struct walk *w)
{
	return root_get(w->msg) > 0;
}

void walk_unjail(void)
{
	__atomic_store_n(&root_state, ROOT_UNKNOWN, __ATOMIC_RELEASE);
}

int walk_splice(struct walk *w, char *out, const char *path, size_t end,
		const char *target, size_t tlen)
{
	char *root = w->msg; /* free once the reply came */
	long n = w->jail ? root_get(root) : 0;
	int r;

	if (n < 0)
		return (int)n;
	bool inside = n && root_has(path, root, n);
	if (inside)
		path += n, end -= n;
	r = path_splice(out, LUX_PATH_MAX, path, end, target, tlen);
	if (r >= 0 && (inside || (n && tlen && *target == '/')))
		r = root_prefix(out, root, n);
	return r;
}

long fs_chroot(long upath)
{
	struct walk w;
	const struct lux_stat *st = (const struct lux_stat *)w.data;
	size_t len;
	long r;

	walk_init(&w, LUX_STAT);
	if ((r = walk_path(&w, 0, AT_FDCWD, upath)) || (r = walk_run(&w)) < 0)
		return r;
	if (walk_payload(&w) < sizeof(*st))
		return -EIO;
	if ((st->mode & LUX_S_IFMT) != LUX_S_IFDIR)
		return -ENOTDIR;
	walk_init(&w, LUX_ACCESS); /* search permission, as chdir */
	w.jail = true;
	w.q.mode = 1;
	if ((r = walk_run(&w)) < 0)
		return r;
	len = strlen(w.path[0]);
	if (len > 1 && w.path[0][len - 1] == '/')
		w.path[0][len - 1] = '\0';
	if ((r = native2(LUX_NR_ROOT, w.path[0], 0)) < 0)
		return r;
	if (strcmp(w.path[0], "/"))
		__atomic_store_n(&root_state, ROOT_SET, __ATOMIC_RELEASE);
	return 0;
}

long fs_getcwd(long ubuf, long size)
{
	static const char unreachable[] = "(unreachable)";
	char cwd[LUX_PATH_MAX + sizeof(unreachable)], root[LUX_PATH_MAX];
	long n = root_get(root), k = sizeof(unreachable) - 1;
	long r = n < 0 ? n : native2(LUX_NR_CHDIR, cwd + k, LUX_PATH_MAX);
	char *p = cwd + k;

	if (r > 0 && n && root_has(p, root, n)) {
		p += n, r -= n; /* as the root sees it */
		if (!*p)
			*--p = '/', r++;
	} else if (r > 0 && n) {
		memcpy(cwd, unreachable, k); /* Linux's mark */
		p = cwd, r += k;
	}
	if (r > size)
		return -ERANGE;
	return r < 0 ? r : copy_out(ubuf, p, r) ? -EFAULT : r;
}
