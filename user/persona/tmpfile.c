/*
 * tmpfile.c - O_TMPFILE, and the linkat forms that name a file by what
 * a path's final link (or a descriptor) leads to
 * (docs/decisions/0037-tmpfile.md). An unnamed file is the server's: the
 * OPEN names the directory and a hidden name made of a random number
 * (include/lux/proto.h), which the kernel keeps as the descriptor's path.
 * So /proc/self/fd/N leads to the hidden name, which names the file at
 * its server while it is open: opening that path opens the file again,
 * and linkat through it links the file. Nobody else learns the number
 * unless it may read the process's descriptors (procfs's and
 * LUX_NR_PROCINFO's rule, Linux's for /proc/<pid>/fd).
 */
#include "fs.h"

/* A number for a hidden name, never 0 (0: getrandom failed). */
static uint64_t tmp_number(void)
{
	uint64_t v = 0;

	for (int i = 0; !v && i < 4; i++)
		if (native3(NR_getrandom, &v, sizeof(v), 0) != sizeof(v))
			v = 0;
	return v;
}

/* Append "/#" and the hidden name's digits to the clean path p. */
static long tmp_append(char *p, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(p);

	if (len + 1 + LUX_TMPNAME_LEN >= LUX_PATH_MAX)
		return -ENAMETOOLONG;
	if (len && p[len - 1] != '/')
		p[len++] = '/';
	p[len++] = '#';
	for (int i = 60; i >= 0; i -= 4)
		p[len++] = hex[v >> i & 15];
	p[len] = '\0';
	return 0;
}

/* The OPEN met no name to make: the directory's own error (ENOENT,
 * ENOTDIR), else its server keeps no unnamed files (EOPNOTSUPP). */
static long tmp_refused(struct walk *w, long dirfd, long upath)
{
	const struct lux_stat *st = (const struct lux_stat *)w->data;
	long r;

	walk_init(w, LUX_STAT);
	if ((r = walk_path(w, 0, dirfd, upath)) || (r = walk_run(w)) < 0)
		return r;
	if (walk_payload(w) < sizeof(*st))
		return -EIO;
	return (st->mode & LUX_S_IFMT) == LUX_S_IFDIR ? -EOPNOTSUPP : -ENOTDIR;
}

long fs_tmpfile(long dirfd, long upath, long flags, long mode)
{
	struct walk w;
	unsigned acc = flags & O_ACCMODE;
	uint64_t number = tmp_number();
	long r;

	if ((acc != O_WRONLY && acc != O_RDWR) || (flags & LUX_O_CREAT))
		return -EINVAL; /* Linux's: O_TMPFILE must write */
	if (!number)
		return -EAGAIN;
	walk_init(&w, LUX_OPEN);
	if ((r = walk_path(&w, 0, dirfd, upath)) ||
	    (r = tmp_append(w.path[0], number)))
		return r;
	w.q.flags = (flags & ~LUX_O_DIRECTORY) | LUX_O_TMPFILE;
	w.q.mode = mode & 07777; /* the kernel clears the umask's bits */
	r = walk_run(&w);
	return r == -ENOENT ? tmp_refused(&w, dirfd, upath) : r;
}

/* "/proc/self/fd/" and fd's digits into p (64 bytes). */
static void fd_path(char *p, long fd)
{
	char digits[12];
	int n = 0;

	strlcpy(p, "/proc/self/fd/", 64);
	do
		digits[n++] = '0' + fd % 10;
	while ((fd /= 10));
	for (size_t at = strlen(p); n;)
		p[at++] = digits[--n], p[at] = '\0';
}

long fs_link_object(long ofd, long old, long nfd, long new, bool empty)
{
	struct walk w;
	char self[64];
	long r;

	walk_init(&w, LUX_STAT);
	if (empty && native2(NR_fcntl, ofd, F_GETFD) < 0)
		return (int)ofd == AT_FDCWD ? -EPERM : -EBADF;
	if (empty)
		fd_path(self, (int)ofd), r = walk_set(&w, 0, AT_FDCWD, self);
	else
		r = walk_path(&w, 0, ofd, old);
	if (r || (r = walk_run(&w)) < 0) /* path[0] is the object's now */
		return r;
	walk_init(&w, LUX_LINK);
	w.npaths = 2;
	if (!(r = walk_path(&w, 1, nfd, new)))
		r = walk_run(&w);
	return r < 0 ? r : 0;
}
