/*
 * debian.c - small calls Debian's userland makes that lux lacked (found
 * by running it: docs/syscalls.md, "What Debian's programs need"):
 * mincore (grep), posix_fadvise (sort, tar), and the extended-attribute
 * calls (ls -l asks for ACLs; cp and tar may copy attributes). No lux
 * file system keeps extended attributes, so those fail as Linux's do on
 * such a file system, EOPNOTSUPP, after the same checks of the name and
 * the file that Linux makes first.
 */
#include "fs.h"

#define MADV_NORMAL      0
#define POSIX_FADV_MAX   5 /* POSIX_FADV_NOREUSE */
#define XATTR_NAME_MAX   255
#define XATTR_SIZE_MAX   65536
#define XATTR_CREATE     1
#define XATTR_REPLACE    2
#define S_ISFIFO_MODE(m) (((m)&LUX_S_IFMT) == 0010000)

long persona_mincore(long addr, long len, long uvec)
{
	static const char resident[256] = {[0 ... 255] = 1};
	long r = persona_syscall(NR_madvise, addr, len, MADV_NORMAL, 0, 0, 0);
	unsigned long pages = ((unsigned long)len + 4095) / 4096;

	if (r < 0) /* EINVAL unaligned, ENOMEM where nothing is mapped */
		return r;
	/* lux never pages out: every mapped page counts as resident. */
	for (unsigned long i = 0; i < pages; i += sizeof(resident))
		if (copy_out(uvec + i, resident,
			     MIN(pages - i, sizeof(resident))))
			return -EFAULT;
	return 0;
}

long persona_fadvise(long fd, long off, long len, long advice)
{
	struct lux_stat st;
	long r = fs_fstat(fd, &st);

	(void)off;
	if (r < 0)
		return r;
	if (S_ISFIFO_MODE(st.mode))
		return -ESPIPE;
	if (advice < 0 || advice > POSIX_FADV_MAX || len < 0)
		return -EINVAL;
	return 0; /* advice only: every server caches as it sees fit */
}

/* The attribute name at uname: 0, EFAULT, or ERANGE (empty or too long),
 * as Linux checks it before the file. */
static long xattr_name(long uname)
{
	char name[XATTR_NAME_MAX + 2];
	long n = str_in(name, uname, sizeof(name));

	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? n : 0;
}

/* Whether the file exists for the program: the path's (following a last
 * link when follow) or the descriptor's (upath 0) errors, else 0. */
static long xattr_file(long fd, long upath, bool follow)
{
	struct lux_stat st;
	struct walk w;
	long r;

	if (!upath)
		return fs_fstat(fd, &st);
	walk_init(&w, LUX_STAT);
	if ((r = walk_path(&w, 0, AT_FDCWD, upath)))
		return r;
	w.q.flags = follow ? 0 : LUX_AT_SYMLINK_NOFOLLOW;
	r = walk_run(&w);
	return r < 0 ? r : 0;
}

long persona_xattr(long nr, long a0, long uname, long size, long flags)
{
	bool fd = nr == NR_fsetxattr || nr == NR_fgetxattr ||
		  nr == NR_flistxattr || nr == NR_fremovexattr;
	bool follow = nr == NR_setxattr || nr == NR_getxattr ||
		      nr == NR_listxattr || nr == NR_removexattr;
	bool set =
	    nr == NR_setxattr || nr == NR_lsetxattr || nr == NR_fsetxattr;
	bool list =
	    nr == NR_listxattr || nr == NR_llistxattr || nr == NR_flistxattr;
	long r;

	if (set && ((flags & ~(long)(XATTR_CREATE | XATTR_REPLACE)) ||
		    (unsigned long)size > XATTR_SIZE_MAX))
		return (flags & ~3L) ? -EINVAL : -E2BIG;
	if (!list && (r = xattr_name(uname)))
		return r;
	if ((r = xattr_file(a0, fd ? 0 : a0, follow)))
		return r;
	return -EOPNOTSUPP; /* no lux file system keeps them */
}
