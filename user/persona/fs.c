/*
 * fs.c - the Linux calls that name a path, each one request sent by
 * walk_run (path.c). The *at forms are the core; the legacy forms (open,
 * stat, mkdir, ...) call them. Behaviour and errors are those the kernel
 * had (kernel/fs/calls.c before issue 12). The kernel keeps the current
 * directory (LUX_NR_CHDIR sets and reads it: a vfork child shares this
 * memory, not its directory) and the umask (the umask call's too).
 */
#include "fs.h"

/* A walk for op on (dirfd, upath) in w: 0 or -errno. */
static long start(struct walk *w, unsigned op, long dirfd, long upath)
{
	walk_init(w, op);
	return walk_path(w, 0, dirfd, upath);
}

/* A request on one path with the given fields and no payload back. */
static long path_call(unsigned op, long dirfd, long upath, unsigned flags,
		      unsigned mode, uint64_t off, uint64_t count)
{
	struct walk w;
	long r = start(&w, op, dirfd, upath);

	if (r)
		return r;
	w.q.flags = flags;
	w.q.mode = mode;
	w.q.off = off;
	w.q.count = count;
	r = walk_run(&w);
	return r < 0 ? r : 0;
}

/* A request on two paths (rename, link). */
static long two_path_call(unsigned op, long dfd1, long upath1, long dfd2,
			  long upath2, unsigned flags)
{
	struct walk w;
	long r = start(&w, op, dfd1, upath1);

	if (r)
		return r;
	w.npaths = 2;
	w.q.flags = flags;
	if (!(r = walk_path(&w, 1, dfd2, upath2)))
		r = walk_run(&w);
	return r < 0 ? r : 0;
}

long fs_openat(long dirfd, long upath, long flags, long mode)
{
	struct walk w;
	long r;

	if ((flags & LUX_O_TMPFILE) && !(flags & O_PATH))
		return fs_tmpfile(dirfd, upath, flags, mode);
	if ((r = start(&w, LUX_OPEN, dirfd, upath)))
		return r;
	w.q.flags = flags & ~LUX_O_TMPFILE; /* O_PATH: the directory's */
	w.q.mode = mode & 07777; /* the kernel clears the umask's bits */
	r = walk_run(&w);
	if (r == -LUX_EREOPEN && !(flags & O_PATH)) /* /proc/<pid>/fd/<pipe> */
		r = persona_syscall(LUX_NR_REOPEN, (long)w.rep.off,
				    (long)w.rep.off2, flags, 0, 0, 0);
	return r == -LUX_EREOPEN ? -ENXIO : r;
}

/* Whether the program's string at upath is empty (LUX_AT_EMPTY_PATH). */
static bool empty_path(long flags, long upath)
{
	char c;

	return (flags & LUX_AT_EMPTY_PATH) && !copy_in(&c, upath, 1) && !c;
}

/* The status of (dirfd, upath) per flags: *st points to it (in w, or in
 * own for LUX_AT_EMPTY_PATH with an empty path: fstat of dirfd). */
static long stat_at(struct walk *w, long dirfd, long upath, long flags,
		    struct lux_stat *own, const struct lux_stat **st)
{
	long r;

	*st = own;
	if (empty_path(flags, upath))
		return fs_fstat(dirfd, own);
	if ((r = start(w, LUX_STAT, dirfd, upath)))
		return r;
	w->q.flags = flags & LUX_AT_SYMLINK_NOFOLLOW;
	r = walk_run(w);
	if (r >= 0 && walk_payload(w) < sizeof(**st))
		r = -EIO;
	*st = (const struct lux_stat *)w->data; /* no copy: it is aligned */
	return r < 0 ? r : 0;
}

long fs_newfstatat(long dirfd, long upath, long ubuf, long flags)
{
	struct walk w;
	struct lux_stat own;
	const struct lux_stat *st;
	long r;

	if (empty_path(flags, upath))
		return fd_fstat(dirfd, ubuf);
	r = stat_at(&w, dirfd, upath, flags, &own, &st);
	return r ? r : fs_stat_out(ubuf, st);
}

/* Linux's dev_t encoding: the major and minor halves. */
static uint32_t dev_major(uint64_t dev)
{
	return ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffU);
}

static uint32_t dev_minor(uint64_t dev)
{
	return (dev & 0xff) | ((dev >> 12) & ~0xffU);
}

#define STATX_FLAGS_    0x6800 /* AT_NO_AUTOMOUNT, AT_STATX_*_SYNC */
#define STATX_SYNC_     0x6000 /* both: EINVAL */
#define STATX_RESERVED_ 0x80000000L

/* struct statx: the same on every platform (Linux's uapi/linux/stat.h).
 * Flags and mask checked as Linux's; every server's STAT fills the basic
 * fields, whatever the mask asked. */
long fs_statx(long dirfd, long upath, long flags, long mask, long ubuf)
{
	struct walk w;
	struct lux_stat own;
	const struct lux_stat *p;
	uint32_t b[64]; /* 256 bytes, filled by offset */
	long r;

	if ((flags &
	     ~(LUX_AT_SYMLINK_NOFOLLOW | LUX_AT_EMPTY_PATH | STATX_FLAGS_)) ||
	    (flags & STATX_SYNC_) == STATX_SYNC_ || (mask & STATX_RESERVED_))
		return -EINVAL;
	if ((r = stat_at(&w, dirfd, upath, flags, &own, &p)))
		return r;
	struct lux_stat st = *p;
	memset(b, 0, sizeof(b));
	b[0] = 0x7ff; /* STATX_BASIC_STATS */
	b[1] = st.blksize;
	b[4] = st.nlink;
	b[5] = st.uid;
	b[6] = st.gid;
	b[7] = st.mode & 0xffff;
	memcpy(&b[8], &st.ino, 8);
	memcpy(&b[10], &st.size, 8);
	memcpy(&b[12], &st.blocks, 8);
	int at[3] = {16, 28, 24}; /* atime, mtime, ctime (btime at 20: 0) */
	for (int i = 0; i < 3; i++) {
		memcpy(&b[at[i]], &st.time[i][0], 8);
		b[at[i] + 2] = st.time[i][1];
	}
	b[32] = dev_major(st.rdev);
	b[33] = dev_minor(st.rdev);
	b[34] = dev_major(st.dev);
	b[35] = dev_minor(st.dev);
	return copy_out(ubuf, b, sizeof(b));
}

long fs_mkdirat(long dirfd, long upath, long mode)
{
	return path_call(LUX_MKDIR, dirfd, upath, 0, mode & 07777, 0, 0);
}

long fs_mknodat(long dirfd, long upath, long mode, long dev)
{
	unsigned type = (mode & LUX_S_IFMT) ? mode & LUX_S_IFMT : LUX_S_IFREG;

	return path_call(LUX_MKNOD, dirfd, upath, 0, type | (mode & 07777),
			 (uint32_t)dev, 0);
}

long fs_unlinkat(long dirfd, long upath, long flags)
{
	struct walk w;
	long r;

	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~LUX_AT_REMOVEDIR)
		return -EINVAL;
	if ((r = start(&w, LUX_UNLINK, dirfd, upath)))
		return r;
	int dots = path_last_dots(w.data); /* the path as given */
	if (dots) /* "x/." and "x/.." name no entry to remove */
		return !flags ? -EISDIR : dots == 1 ? -EINVAL : -ENOTEMPTY;
	w.q.flags = flags;
	r = walk_run(&w);
	return r < 0 ? r : 0;
}

long fs_renameat2(long ofd, long old, long nfd, long new, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~3L)         /* RENAME_NOREPLACE, RENAME_EXCHANGE */
		return -EINVAL;
	return two_path_call(LUX_RENAME, ofd, old, nfd, new, flags);
}

long fs_linkat(long ofd, long old, long nfd, long new, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~(LUX_AT_SYMLINK_FOLLOW | LUX_AT_EMPTY_PATH))
		return -EINVAL;
	if (empty_path(flags, old) || (flags & LUX_AT_SYMLINK_FOLLOW))
		return fs_link_object(ofd, old, nfd, new,
				      empty_path(flags, old));
	return two_path_call(LUX_LINK, ofd, old, nfd, new, 0);
}

long fs_symlinkat(long utarget, long dirfd, long upath)
{
	struct walk w;
	char target[LUX_PATH_MAX];
	long r = str_in(target, utarget, sizeof(target));

	if (r <= 0)
		return r ? r : -ENOENT; /* an empty target */
	if ((r = start(&w, LUX_SYMLINK, dirfd, upath)))
		return r;
	w.extra = target;
	r = walk_run(&w);
	return r < 0 ? r : 0;
}

/* bufsiz is Linux's int: 0, negative or 2^32 is EINVAL (musl's readlink()
 * itself turns a size of 0 into 1 and returns 0, on Linux too). */
long fs_readlinkat(long dirfd, long upath, long ubuf, long lsize)
{
	int size = (int)lsize;
	struct walk w;
	long r;

	if (size <= 0)
		return -EINVAL;
	if ((r = start(&w, LUX_READLINK, dirfd, upath)))
		return r;
	if ((r = walk_run(&w)) >= 0) {
		r = MIN(walk_payload(&w), (size_t)size);
		if (copy_out(ubuf, w.data, r))
			r = -EFAULT;
	}
	return r;
}

long fs_fchmodat(long dirfd, long upath, long mode)
{
	return path_call(LUX_CHMOD, dirfd, upath, 0, mode & 07777, 0, 0);
}

/* uid and gid travel as 64-bit values; -1 (keep) stays -1. */
static uint64_t id_arg(long id)
{
	return (uint64_t)(int64_t)(int32_t)id;
}

long fs_fchownat(long dirfd, long upath, long uid, long gid, long flags)
{
	flags = (unsigned)flags;
	if (flags & ~(LUX_AT_SYMLINK_NOFOLLOW | LUX_AT_EMPTY_PATH))
		return -EINVAL;
	if (empty_path(flags, upath))
		return fd_fchown(dirfd, uid, gid);
	return path_call(LUX_CHOWN, dirfd, upath,
			 flags & LUX_AT_SYMLINK_NOFOLLOW, 0, id_arg(uid),
			 id_arg(gid));
}

/* utimensat's times (NULL: both now) into t: 0 or -EFAULT. */
static int times_in(long utimes, int64_t t[2][2])
{
	if (!utimes) {
		t[0][0] = t[1][0] = 0;
		t[0][1] = t[1][1] = LUX_UTIME_NOW;
		return 0;
	}
	return copy_in(t, utimes, 32);
}

long fs_utimensat(long dirfd, long upath, long utimes, long flags)
{
	struct walk w;
	long r;

	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~LUX_AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (!upath) { /* futimens: the descriptor's object by its handle */
		walk_init(&w, LUX_UTIMENS);
		w.npaths = 0;
		if ((r = times_in(utimes, w.q.time)))
			return r;
		if ((int)dirfd < 0)
			return -EBADF;
		return walk_fd(&w, (int)dirfd);
	}
	if ((r = start(&w, LUX_UTIMENS, dirfd, upath)))
		return r;
	w.q.flags = flags;
	if (!(r = times_in(utimes, w.q.time)))
		r = walk_run(&w);
	return r < 0 ? r : 0;
}

/* futimesat and utimes: struct timeval pairs, microseconds. */
long fs_futimesat(long dirfd, long upath, long utv)
{
	struct walk w;
	int64_t tv[2][2];
	long r;

	if ((r = start(&w, LUX_UTIMENS, dirfd, upath)))
		return r;
	if (!utv) {
		times_in(0, w.q.time);
	} else if (!(r = copy_in(tv, utv, sizeof(tv)))) {
		for (int i = 0; i < 2; i++) {
			w.q.time[i][0] = tv[i][0];
			w.q.time[i][1] = tv[i][1] * 1000;
		}
	}
	if (!r)
		r = walk_run(&w);
	return r < 0 ? r : 0;
}

long fs_truncate(long upath, long len)
{
	if (len < 0)
		return -EINVAL;
	return path_call(LUX_TRUNCATE, AT_FDCWD, upath, 0, 0, len, 0);
}

long fs_faccessat2(long dirfd, long upath, long mode, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	if (mode & ~7L)
		return -EINVAL;
	flags = (flags & LUX_AT_SYMLINK_NOFOLLOW) |
		(flags & LUX_AT_EACCESS ? 0 : LUX_ACCESS_REAL);
	return path_call(LUX_ACCESS, dirfd, upath, flags, mode, 0, 0);
}

/* Make the clean absolute path w->path[0] the current directory if the
 * caller may search it (X_OK), without a trailing '/'. */
static long set_cwd(struct walk *w)
{
	size_t len = strlen(w->path[0]);
	bool jail = w->jail; /* a link swapped in meanwhile stays inside */
	long r, base = w->base;

	walk_init(w, LUX_ACCESS);
	w->jail = jail;
	w->base = base;
	w->q.mode = 1; /* X_OK */
	if ((r = walk_run(w)) < 0)
		return r;
	if (len > 1 && w->path[0][len - 1] == '/')
		w->path[0][len - 1] = '\0'; /* "/a/" as "/a" */
	return native3(LUX_NR_CHDIR, w->path[0], 0, w->base);
}

long fs_chdir(long upath)
{
	struct walk w;
	const struct lux_stat *st = (const struct lux_stat *)w.data;
	long r = start(&w, LUX_STAT, AT_FDCWD, upath);

	if (r)
		return r;
	r = walk_run(&w);
	if (r >= 0 && walk_payload(&w) < sizeof(*st))
		r = -EIO;
	else if (r >= 0 && (st->mode & LUX_S_IFMT) != LUX_S_IFDIR)
		r = -ENOTDIR;
	return r < 0 ? r : set_cwd(&w);
}

long fs_fchdir(long fd)
{
	struct walk w;
	long r = native3(LUX_NR_FDPATH, fd, w.scratch, LUX_PATH_MAX);

	if (r < 0)
		return r;
	walk_init(&w, LUX_ACCESS);
	if ((r = walk_set(&w, 0, AT_FDCWD, w.scratch)))
		return r;
	w.jail = true; /* the root applies to links met on the way */
	w.base = LUX_REQ_BASE(fd); /* when fd is outside it, as on Linux */
	return set_cwd(&w);
}

long fs_statfs(long upath, long ubuf)
{
	struct walk w;
	long r = start(&w, LUX_STATFS, AT_FDCWD, upath);

	if (r)
		return r;
	if ((r = walk_run(&w)) < 0)
		return r;
	return fs_statfs_out(ubuf, (const struct lux_statfs *)w.data,
			     walk_payload(&w));
}

long fs_statfs_out(long ubuf, const struct lux_statfs *s, size_t n)
{
	if (n < sizeof(*s))
		return -EIO;
	uint64_t b[15] = {s->type,    s->bsize,  s->blocks, s->bfree,
			  s->bavail,  s->files,  s->ffree,  0,
			  s->namelen, s->frsize, s->flags};
	return copy_out(ubuf, b, 120) ? -EFAULT : 0;
}

#define MS_BIND 4096

/* MOUNT and UMOUNT go to lumen itself, which keeps the mount table:
 * source, target (clean, absolute) and type for MOUNT, the target alone
 * for UMOUNT. */
static long mount_call(unsigned op, long usrc, long utarget, long utype,
		       long flags)
{
	struct walk w;
	char src[LUX_PATH_MAX], type[LUX_PATH_MAX];
	const char *s[3] = {src, w.path[0], type};
	long r = start(&w, op, AT_FDCWD, utarget);

	src[0] = type[0] = '\0';
	if (!r && usrc && (flags & MS_BIND) &&
	    !(r = walk_path(&w, 1, AT_FDCWD, usrc)))
		s[0] = w.path[1]; /* a path, as the target */
	else if (!r && usrc && (r = str_in(src, usrc, sizeof(src))) > 0)
		r = 0;
	if (!r && utype && (r = str_in(type, utype, sizeof(type))) > 0)
		r = 0;
	if (r)
		return r;
	w.q.flags = flags;
	r = op == LUX_MOUNT ? walk_resolver(&w, s, 3)
			    : walk_resolver(&w, s + 1, 1);
	return r < 0 ? r : 0;
}

long fs_mount(long usrc, long utarget, long utype, long flags, long data)
{
	(void)data;
	return mount_call(LUX_MOUNT, usrc, utarget, utype, flags);
}

long fs_umount2(long utarget, long flags)
{
	return mount_call(LUX_UMOUNT, 0, utarget, 0, flags);
}
