/*
 * calls.c - the system calls that name a path: each is one request sent
 * by walk_run (fs/walk.c). The *at forms are the core; the x86_64-only
 * legacy forms (open, stat, mkdir, ...) are thin wrappers.
 */
#include "chan.h"
#include "fs.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EACCESS          0x200
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EMPTY_PATH       0x1000
#define S_IFMT              0170000
#define S_IFDIR             0040000
#define S_IFREG             0100000
#define S_IFSOCK            0140000
#define UTIME_NOW           ((1L << 30) - 1)

/* A walk for op on (dirfd, upath), or NULL with *r set. */
static struct walk *walk_start(unsigned op, long dirfd, long upath, long *r)
{
	struct walk *w = walk_alloc(op);

	*r = w ? walk_path(w, 0, dirfd, upath) : -ENOMEM;
	if (*r) {
		walk_end(w);
		return NULL;
	}
	return w;
}

/* A request on one path with the given fields and no payload back. */
static long path_call(unsigned op, long dirfd, long upath, unsigned flags,
		      unsigned mode, uint64_t off, uint64_t count)
{
	long r;
	struct walk *w = walk_start(op, dirfd, upath, &r);

	if (!w)
		return r;
	w->q.flags = flags;
	w->q.mode = mode;
	w->q.off = off;
	w->q.count = count;
	r = walk_run(w, false);
	walk_end(w);
	return r < 0 ? r : 0;
}

/* A request on two paths (rename, link). */
static long two_path_call(unsigned op, long dfd1, long upath1, long dfd2,
			  long upath2, unsigned flags)
{
	long r;
	struct walk *w = walk_start(op, dfd1, upath1, &r);

	if (!w)
		return r;
	w->npaths = 2;
	w->q.flags = flags;
	if (!(r = walk_path(w, 1, dfd2, upath2)))
		r = walk_run(w, false);
	walk_end(w);
	return r < 0 ? r : 0;
}

static unsigned creation_mode(long mode)
{
	return mode & 07777 & ~current_proc()->umask;
}

long sys_openat(long dirfd, long upath, long flags, long mode)
{
	struct file *f = NULL;
	long r;
	struct walk *w = walk_start(LUX_OPEN, dirfd, upath, &r);

	if (!w)
		return r;
	w->q.flags = flags;
	w->q.mode = creation_mode(mode);
	r = walk_run(w, true);
	if (r >= 0 && !(f = rfile_create(w->srv, &w->rep,
					 flags & (O_ACCMODE | O_APPEND |
						  O_NONBLOCK | O_PATH),
					 w->path[0])))
		r = -ENOMEM;
	if (f && (r = fd_install(f, 0, flags & O_CLOEXEC)) < 0)
		file_put(f);
	walk_end(w);
	return r;
}

long sys_open(long upath, long flags, long mode)
{
	return sys_openat(AT_FDCWD, upath, flags, mode);
}

long sys_creat(long upath, long mode)
{
	return sys_openat(AT_FDCWD, upath, 01101, mode); /* CREAT|TRUNC|WR */
}

/* The status of (dirfd, upath) per flags into *st; AT_EMPTY_PATH with
 * an empty path is fstat of dirfd. */
static long stat_at(long dirfd, long upath, long flags, struct lux_stat *st)
{
	char c;
	long r;

	if ((flags & AT_EMPTY_PATH) && !copy_from_user(&c, (void *)upath, 1) &&
	    !c)
		return fs_fstat(dirfd, st);
	struct walk *w = walk_start(LUX_STAT, dirfd, upath, &r);
	if (!w)
		return r;
	w->q.flags = flags & AT_SYMLINK_NOFOLLOW;
	r = walk_run(w, false);
	if (r >= 0 && chan_payload(&w->rep, sizeof(*st)) < sizeof(*st))
		r = -EIO;
	if (r >= 0)
		memcpy(st, w->data, sizeof(*st));
	walk_end(w);
	return r < 0 ? r : 0;
}

long sys_newfstatat(long dirfd, long upath, long ubuf, long flags)
{
	struct lux_stat st;
	long r = stat_at(dirfd, upath, flags, &st);

	return r ? r : arch_stat_copy((void *)ubuf, &st);
}

long sys_stat(long upath, long ubuf)
{
	return sys_newfstatat(AT_FDCWD, upath, ubuf, 0);
}

long sys_lstat(long upath, long ubuf)
{
	return sys_newfstatat(AT_FDCWD, upath, ubuf, AT_SYMLINK_NOFOLLOW);
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

/* struct statx: the same on every platform (Linux's uapi/linux/stat.h). */
long sys_statx(long dirfd, long upath, long flags, long mask, long ubuf)
{
	struct lux_stat st;
	uint32_t b[64] = {0}; /* 256 bytes, filled by offset */
	long r = stat_at(dirfd, upath, flags, &st);

	(void)mask;
	if (r)
		return r;
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
	return copy_to_user((void *)ubuf, b, sizeof(b));
}

long sys_mkdirat(long dirfd, long upath, long mode)
{
	return path_call(LUX_MKDIR, dirfd, upath, 0, creation_mode(mode), 0, 0);
}

long sys_mkdir(long upath, long mode)
{
	return sys_mkdirat(AT_FDCWD, upath, mode);
}

long sys_mknodat(long dirfd, long upath, long mode, long dev)
{
	unsigned type = (mode & S_IFMT) ? mode & S_IFMT : S_IFREG;

	return path_call(LUX_MKNOD, dirfd, upath, 0, type | creation_mode(mode),
			 (uint32_t)dev, 0);
}

long sys_mknod(long upath, long mode, long dev)
{
	return sys_mknodat(AT_FDCWD, upath, mode, dev);
}

long sys_unlinkat(long dirfd, long upath, long flags)
{
	long r;
	struct walk *w;

	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	if (!(w = walk_start(LUX_UNLINK, dirfd, upath, &r)))
		return r;
	int dots = path_last_dots(w->data); /* the path as given */
	if (dots) /* "x/." and "x/.." name no entry to remove */
		r = !flags ? -EISDIR : dots == 1 ? -EINVAL : -ENOTEMPTY;
	else {
		w->q.flags = flags;
		r = walk_run(w, false);
	}
	walk_end(w);
	return r < 0 ? r : 0;
}

long sys_unlink(long upath)
{
	return sys_unlinkat(AT_FDCWD, upath, 0);
}

long sys_rmdir(long upath)
{
	return sys_unlinkat(AT_FDCWD, upath, AT_REMOVEDIR);
}

long sys_renameat2(long ofd, long old, long nfd, long new, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~3L)         /* RENAME_NOREPLACE, RENAME_EXCHANGE */
		return -EINVAL;
	return two_path_call(LUX_RENAME, ofd, old, nfd, new, flags);
}

long sys_renameat(long ofd, long old, long nfd, long new)
{
	return sys_renameat2(ofd, old, nfd, new, 0);
}

long sys_rename(long old, long new)
{
	return sys_renameat2(AT_FDCWD, old, AT_FDCWD, new, 0);
}

long sys_linkat(long ofd, long old, long nfd, long new, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return two_path_call(LUX_LINK, ofd, old, nfd, new, flags);
}

long sys_link(long old, long new)
{
	return sys_linkat(AT_FDCWD, old, AT_FDCWD, new, 0);
}

long sys_symlinkat(long utarget, long dirfd, long upath)
{
	char *target = kmalloc(LUX_PATH_MAX);
	long r = target
		     ? strncpy_from_user(target, (char *)utarget, LUX_PATH_MAX)
		     : -ENOMEM;
	struct walk *w =
	    r > 0 ? walk_start(LUX_SYMLINK, dirfd, upath, &r) : NULL;

	if (!r)
		r = -ENOENT; /* an empty target */
	if (w) {
		w->extra = target;
		r = walk_run(w, false);
	}
	walk_end(w);
	kfree(target);
	return r < 0 ? r : 0;
}

long sys_symlink(long utarget, long upath)
{
	return sys_symlinkat(utarget, AT_FDCWD, upath);
}

/* bufsiz is Linux's int: 0, negative or 2^32 is EINVAL (musl's readlink()
 * itself turns a size of 0 into 1 and returns 0, on Linux too). */
long sys_readlinkat(long dirfd, long upath, long ubuf, long lsize)
{
	int size = (int)lsize;
	long r;
	struct walk *w;

	if (size <= 0)
		return -EINVAL;
	if (!(w = walk_start(LUX_READLINK, dirfd, upath, &r)))
		return r;
	if ((r = walk_run(w, false)) >= 0) {
		r = MIN(chan_payload(&w->rep, sizeof(w->data)), (size_t)size);
		if (copy_to_user((void *)ubuf, w->data, r))
			r = -EFAULT;
	}
	walk_end(w);
	return r;
}

long sys_readlink(long upath, long ubuf, long size)
{
	return sys_readlinkat(AT_FDCWD, upath, ubuf, size);
}

long sys_fchmodat(long dirfd, long upath, long mode)
{
	return path_call(LUX_CHMOD, dirfd, upath, 0, mode & 07777, 0, 0);
}

long sys_chmod(long upath, long mode)
{
	return sys_fchmodat(AT_FDCWD, upath, mode);
}

/* uid and gid travel as 64-bit values; -1 (keep) stays -1. */
static uint64_t id_arg(long id)
{
	return (uint64_t)(int64_t)(int32_t)id;
}

long sys_fchownat(long dirfd, long upath, long uid, long gid, long flags)
{
	char c;

	flags = (unsigned)flags;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((flags & AT_EMPTY_PATH) && !copy_from_user(&c, (void *)upath, 1) &&
	    !c)
		return sys_fchown(dirfd, uid, gid);
	return path_call(LUX_CHOWN, dirfd, upath, flags & AT_SYMLINK_NOFOLLOW,
			 0, id_arg(uid), id_arg(gid));
}

long sys_chown(long upath, long uid, long gid)
{
	return sys_fchownat(AT_FDCWD, upath, uid, gid, 0);
}

long sys_lchown(long upath, long uid, long gid)
{
	return sys_fchownat(AT_FDCWD, upath, uid, gid, AT_SYMLINK_NOFOLLOW);
}

/* utimensat's times (NULL: both now) into t. */
static int times_from_user(long utimes, int64_t t[2][2])
{
	if (!utimes) {
		t[0][0] = t[1][0] = 0;
		t[0][1] = t[1][1] = UTIME_NOW;
		return 0;
	}
	return copy_from_user(t, (void *)utimes, 32);
}

long sys_utimensat(long dirfd, long upath, long utimes, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	struct lux_req *req;
	long r;
	struct walk *w;

	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (!upath) { /* futimens */
		if (!(req = chan_msg_alloc(LUX_UTIMENS, 0)))
			return -ENOMEM;
		if ((r = times_from_user(utimes, req->time))) {
			chan_msg_free(req);
			return r;
		}
		return fs_fd_call(dirfd, req, NULL, 0);
	}
	if (!(w = walk_start(LUX_UTIMENS, dirfd, upath, &r)))
		return r;
	w->q.flags = flags;
	if (!(r = times_from_user(utimes, w->q.time)))
		r = walk_run(w, false);
	walk_end(w);
	return r < 0 ? r : 0;
}

/* futimesat and utimes: struct timeval pairs, microseconds. */
long sys_futimesat(long dirfd, long upath, long utv)
{
	int64_t tv[2][2];
	long r;
	struct walk *w;

	if (!(w = walk_start(LUX_UTIMENS, dirfd, upath, &r)))
		return r;
	if (!utv) {
		times_from_user(0, w->q.time);
	} else if (!(r = copy_from_user(tv, (void *)utv, sizeof(tv)))) {
		for (int i = 0; i < 2; i++) {
			w->q.time[i][0] = tv[i][0];
			w->q.time[i][1] = tv[i][1] * 1000;
		}
	}
	if (!r)
		r = walk_run(w, false);
	walk_end(w);
	return r < 0 ? r : 0;
}

long sys_utimes(long upath, long utv)
{
	return sys_futimesat(AT_FDCWD, upath, utv);
}

long sys_truncate(long upath, long len)
{
	if (len < 0)
		return -EINVAL;
	return path_call(LUX_TRUNCATE, AT_FDCWD, upath, 0, 0, len, 0);
}

long sys_faccessat2(long dirfd, long upath, long mode, long flags)
{
	flags = (unsigned)flags; /* an int: only its bits count */
	if (mode & ~7L)
		return -EINVAL;
	flags = (flags & AT_SYMLINK_NOFOLLOW) |
		(flags & AT_EACCESS ? 0 : LUX_ACCESS_REAL);
	return path_call(LUX_ACCESS, dirfd, upath, flags, mode, 0, 0);
}

long sys_faccessat(long dirfd, long upath, long mode)
{
	return sys_faccessat2(dirfd, upath, mode, 0);
}

long sys_access(long upath, long mode)
{
	return sys_faccessat2(AT_FDCWD, upath, mode, 0);
}

/* Make path (clean, absolute) the current directory. */
static long set_cwd(const char *path)
{
	struct proc *p = current_proc();
	size_t len = strlen(path);
	char *cwd = kmalloc(len + 1), *old;

	if (!cwd)
		return -ENOMEM;
	if (len > 1 && path[len - 1] == '/')
		len--; /* "/a/" as "/a" */
	memcpy(cwd, path, len);
	cwd[len] = '\0';
	spin_lock(&p->sig_lock);
	old = p->cwd;
	p->cwd = cwd;
	spin_unlock(&p->sig_lock);
	kfree(old);
	return 0;
}

long sys_chdir(long upath)
{
	long r;
	struct walk *w = walk_start(LUX_STAT, AT_FDCWD, upath, &r);
	const struct lux_stat *st;

	if (!w)
		return r;
	r = walk_run(w, false);
	st = (const struct lux_stat *)w->data;
	if (r >= 0 && chan_payload(&w->rep, sizeof(w->data)) < sizeof(*st))
		r = -EIO;
	else if (r >= 0 && (st->mode & S_IFMT) != S_IFDIR)
		r = -ENOTDIR;
	if (r >= 0) { /* and the caller may search it */
		w->q = (struct lux_req){.op = LUX_ACCESS, .mode = 1};
		r = walk_run(w, false);
	}
	if (r >= 0)
		r = set_cwd(w->path[0]);
	walk_end(w);
	return r;
}

long sys_fchdir(long fd)
{
	struct file *f = fd_get(fd);
	struct walk *w = walk_alloc(LUX_ACCESS);
	const char *path;
	long r = -ENOTDIR;

	if (!f || !w) {
		r = f ? -ENOMEM : -EBADF;
	} else if (rfile_info(f, NULL, NULL, &path) &&
		   (f->mode & S_IFMT) == S_IFDIR) {
		w->q.mode = 1; /* X_OK: the caller may search it */
		if (!(r = walk_set(w, 0, AT_FDCWD, path)) &&
		    (r = walk_run(w, false)) >= 0)
			r = set_cwd(path);
	}
	walk_end(w);
	file_put(f);
	return r;
}

long sys_getcwd(long ubuf, long size)
{
	char *cwd = kmalloc(LUX_PATH_MAX);
	long r;

	if (!cwd)
		return -ENOMEM;
	fs_cwd(cwd);
	r = strlen(cwd) + 1;
	if (r > size)
		r = -ERANGE;
	else if (copy_to_user((void *)ubuf, cwd, r))
		r = -EFAULT;
	kfree(cwd);
	return r;
}

long sys_umask(long mask)
{
	return __atomic_exchange_n(&current_proc()->umask, mask & 0777,
				   __ATOMIC_RELAXED);
}

long sys_statfs(long upath, long ubuf)
{
	long r;
	struct walk *w = walk_start(LUX_STATFS, AT_FDCWD, upath, &r);

	if (!w)
		return r;
	if ((r = walk_run(w, false)) >= 0)
		r = fs_statfs_copy(ubuf, &w->rep, w->data);
	walk_end(w);
	return r;
}

/* MOUNT and UMOUNT go to lumen itself, which keeps the mount table:
 * source, target (clean, absolute) and type for MOUNT, the target alone
 * for UMOUNT. */
static long mount_call(unsigned op, long usrc, long utarget, long utype,
		       long flags)
{
	long r, u[3] = {usrc, 0, utype};
	struct walk *w = walk_start(op, AT_FDCWD, utarget, &r);
	char *strs = w ? kzalloc(2 * LUX_PATH_MAX) : NULL;
	const char *s[3] = {strs, w ? w->path[0] : NULL, strs + LUX_PATH_MAX};
	struct chan *c = NULL;
	struct lux_req *req = NULL;

	if (w && !strs)
		r = -ENOMEM;
	for (int i = 0; strs && !r && i < 3; i += 2) {
		long n = u[i] ? strncpy_from_user((char *)s[i], (char *)u[i],
						  LUX_PATH_MAX)
			      : 0;
		r = n < 0 ? n : 0;
	}
	if (!r && !(c = chan_resolver()))
		r = -ENOENT;
	if (!r && !(req = op == LUX_MOUNT ? walk_msg(op, s, 3)
					  : walk_msg(op, s + 1, 1)))
		r = -ENOMEM;
	if (req) {
		req->flags = flags;
		if (!(r = chan_call(c, req, &w->rep, NULL, 0, NULL)))
			r = w->rep.result;
	}
	if (c)
		chan_put(c);
	kfree(strs);
	walk_end(w);
	return r < 0 ? r : 0;
}

long sys_mount(long usrc, long utarget, long utype, long flags, long data)
{
	(void)data;
	return mount_call(LUX_MOUNT, usrc, utarget, utype, flags);
}

long sys_umount2(long utarget, long flags)
{
	return mount_call(LUX_UMOUNT, 0, utarget, 0, flags);
}

int fs_socket_node(const char *path, bool create, uint64_t node[2])
{
	struct walk *w = walk_alloc(create ? LUX_MKNOD : LUX_STAT);
	const struct lux_stat *st = w ? (const struct lux_stat *)w->data : NULL;
	long r = w ? walk_set(w, 0, AT_FDCWD, path) : -ENOMEM;

	if (!r && create) {
		w->q.mode = S_IFSOCK | creation_mode(0777);
		if ((r = walk_run(w, false)) == -EEXIST)
			r = -EADDRINUSE;
		w->q = (struct lux_req){.op = LUX_STAT};
	}
	if (r >= 0 && (r = walk_run(w, false)) >= 0) {
		if (chan_payload(&w->rep, sizeof(w->data)) < sizeof(*st))
			r = -EIO;
		else if ((st->mode & S_IFMT) != S_IFSOCK)
			r = -ECONNREFUSED;
		else
			node[0] = st->dev, node[1] = st->ino;
	}
	walk_end(w);
	return r < 0 ? (int)r : 0;
}
