/*
 * fdcalls.c - the Linux calls on a descriptor that are not the kernel's
 * fast path: fstat, getdents64, ftruncate, fsync, fdatasync, fchmod,
 * fchown, fstatfs, ioctl and sendfile (docs/decisions/0022). Each is a
 * request about the descriptor's object (LUX_NR_REQUEST with
 * LUX_REQ_FD(fd)): the kernel stamps the caller's identity and the
 * object's handle and checks what only it knows (the descriptor's access
 * mode, O_PATH); a server answers for its files, the kernel for its own
 * objects (STAT, and TRUNCATE of a memory object; EINVAL for anything
 * else). Behaviour and errors are those the kernel had (kernel/fs/
 * fdcalls.c before issue 12). read, write, lseek, pread64, pwrite64 and
 * fcntl stay the kernel's; close_range closes or marks one descriptor at
 * a time with them (after LUX_NR_UNSHARE for CLOSE_RANGE_UNSHARE).
 */
#include "fs.h"
#include <lux/fcntl.h>
#include <lux/loop.h>

#define SEEK_SET 0
#define SEEK_CUR 1
/* The reply payload LUX_NR_REQUEST returns at most (2 * LUX_PATH_MAX). */
#define FD_PAYLOAD_MAX 8192

/* The end of the program's half of the address space: the image's
 * reserved range ends one page below it (include/lux/proto.h). */
#define USER_END (LUX_PERSONA_LIMIT + 4096)

/* copy_in and copy_out with the range check the kernel made before every
 * copy, a copy of no bytes too (EFAULT outside the program's half). */
static int user_in(void *dst, long usrc, size_t n)
{
	uint64_t a = usrc;

	return a + n < a || a + n > USER_END ? -EFAULT : copy_in(dst, usrc, n);
}

static int user_out(long udst, const void *src, size_t n)
{
	uint64_t a = udst;

	return a + n < a || a + n > USER_END ? -EFAULT : copy_out(udst, src, n);
}

/* A request about a descriptor's object, with room for IOCTL's input. */
struct fd_msg {
	struct lux_req q;
	char in[sizeof(struct loop_pass)];
};

/* Set m up as op with the given fields and no input. */
static void fd_msg_init(struct fd_msg *m, unsigned op, uint64_t off,
			uint64_t count, unsigned mode)
{
	m->q.op = op;
	m->q.len = sizeof(m->q);
	m->q.flags = 0;
	m->q.mode = mode;
	m->q.off = off;
	m->q.count = count;
}

/* Send m about the object of descriptor fd (a C int, as Linux's); the
 * reply's header and at most size bytes of its payload into rep: the
 * reply's result, or the kernel's -errno (EBADF: no such descriptor or
 * O_PATH; EINVAL: the kernel's own object, or not open for writing). */
static long fd_request(long fd, struct fd_msg *m, struct lux_rep *rep,
		       size_t size)
{
	long r;

	if ((int)fd < 0) /* LUX_REQ_FD names only descriptors >= 0 */
		return -EBADF;
	r = persona_syscall(LUX_NR_REQUEST, LUX_REQ_FD((int)fd), 0, (long)m,
			    (long)rep, sizeof(*rep) + size, 0);
	return r < 0 ? r : rep->result;
}

/* A request with no payload either way: 0 or -errno (EINVAL too for a
 * descriptor of the kernel's own objects, as the kernel's calls gave). */
static long fd_simple(long fd, unsigned op, uint64_t off, uint64_t count,
		      unsigned mode)
{
	struct fd_msg m;
	struct lux_rep rep;
	long r;

	fd_msg_init(&m, op, off, count, mode);
	r = fd_request(fd, &m, &rep, 0);
	return r < 0 ? r : 0;
}

/* Why a call on fd cannot go on, on an error path: -EBADF when there is
 * no such descriptor, other for the kernel's own objects (lseek's
 * ESPIPE), err for a server's file. */
static long fd_why(long fd, long other, long err)
{
	long r = native3(NR_lseek, fd, 0, SEEK_CUR);

	return r == -EBADF ? r : r == -ESPIPE ? other : err;
}

long fs_fstat(long fd, struct lux_stat *st)
{
	struct {
		struct lux_rep rep;
		struct lux_stat st;
	} a;
	struct fd_msg m;
	long r;

	fd_msg_init(&m, LUX_STAT, 0, 0, 0);
	r = fd_request(fd, &m, &a.rep, sizeof(a.st));
	if (r >= 0 && a.rep.len < sizeof(a))
		r = -EIO;
	if (r >= 0)
		*st = a.st;
	return r < 0 ? r : 0;
}

long fd_fstat(long fd, long ubuf)
{
	struct lux_stat st;
	long r = fs_fstat(fd, &st);

	return r ? r : fs_stat_out(ubuf, &st);
}

/* The bytes of whole, well-formed linux_dirent64 records at the start of
 * buf (n bytes): a server's mistake must not send readdir round in
 * circles (a zero d_reclen) or past the data. */
static size_t dirents_valid(const char *buf, size_t n)
{
	size_t at = 0, end;
	uint16_t reclen;

	while (at + 20 <= n) {
		memcpy(&reclen, buf + at + 16, sizeof(reclen));
		if (reclen < 20 || reclen % 8 || reclen > n - at)
			break;
		for (end = at + 19; end < at + reclen && buf[end];)
			end++; /* the name's NUL */
		if (end == at + reclen)
			break;
		at += reclen;
	}
	return at;
}

/* getdents64 at the position the kernel keeps for the descriptor (read
 * and set with lseek), at most FD_PAYLOAD_MAX bytes a call. */
long fd_getdents64(long fd, long ubuf, long n)
{
	struct {
		struct lux_rep rep;
		char data[FD_PAYLOAD_MAX];
	} a;
	struct fd_msg m;
	long pos = native3(NR_lseek, fd, 0, SEEK_CUR), r;

	if (pos < 0)
		return pos == -ESPIPE ? -ENOTDIR : pos;
	if (n <= 0)
		return -EINVAL;
	fd_msg_init(&m, LUX_GETDENTS, pos, MIN((size_t)n, sizeof(a.data)), 0);
	if ((r = fd_request(fd, &m, &a.rep, sizeof(a.data))) < 0)
		return r;
	size_t got = MIN(a.rep.len - sizeof(a.rep), sizeof(a.data));
	r = dirents_valid(a.data, got);
	if (!r && got)
		return -EIO;
	if (user_out(ubuf, a.data, r))
		return -EFAULT;
	native3(NR_lseek, fd, a.rep.off, SEEK_SET);
	return r;
}

long fd_ftruncate(long fd, long len)
{
	if (len < 0) /* as the kernel did: EBADF first */
		return native2(NR_fcntl, fd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	return fd_simple(fd, LUX_TRUNCATE, len, 0, 0);
}

long fd_fsync(long fd)
{
	return fd_simple(fd, LUX_FSYNC, 0, 0, 0);
}

/* syncfs: a server's FSYNC writes its whole file system already; a
 * descriptor with nothing to write (a pipe, a socket) succeeds. */
long fd_syncfs(long fd)
{
	long r = fd_fsync(fd);

	return r == -EINVAL ? 0 : r;
}

long fd_fchmod(long fd, long mode)
{
	return fd_simple(fd, LUX_CHMOD, 0, 0, mode & 07777);
}

long fd_fchown(long fd, long uid, long gid)
{
	return fd_simple(fd, LUX_CHOWN, (uint64_t)(int64_t)(int32_t)uid,
			 (uint64_t)(int64_t)(int32_t)gid, 0);
}

long fd_fstatfs(long fd, long ubuf)
{
	struct {
		struct lux_rep rep;
		struct lux_statfs s;
	} a;
	struct fd_msg m;
	long r;

	fd_msg_init(&m, LUX_STATFS, 0, 0, 0);
	r = fd_request(fd, &m, &a.rep, sizeof(a.s));
	if (r == -EINVAL)
		return -ENOSYS; /* the kernel's objects have no file system */
	if (r < 0)
		return r;
	return fs_statfs_out(ubuf, &a.s, a.rep.len - sizeof(a.rep));
}

/* The ioctls servers answer (a terminal's, a disk's), with the bytes each
 * reads from and writes back to its argument (Linux's asm-generic numbers;
 * the kernel's termios is 36 bytes). Any other command is ENOTTY. */
static const struct {
	unsigned cmd;
	uint8_t in, out;
} ioctls[] = {
    {0x5401, 0, 36}, /* TCGETS */
    {0x5402, 36, 0}, /* TCSETS */
    {0x5403, 36, 0}, /* TCSETSW */
    {0x5404, 36, 0}, /* TCSETSF */
    {0x5409, 0, 0},  /* TCSBRK */
    {0x540a, 0, 0},  /* TCXONC */
    {0x540b, 0, 0},  /* TCFLSH */
    {0x540e, 0, 0},  /* TIOCSCTTY */
    {0x540f, 0, 4},  /* TIOCGPGRP */
    {0x5410, 4, 0},  /* TIOCSPGRP */
    {0x5411, 0, 4},  /* TIOCOUTQ */
    {0x5413, 0, 8},  /* TIOCGWINSZ */
    {0x5414, 8, 0},  /* TIOCSWINSZ */
    {0x541b, 0, 4},  /* FIONREAD */
    {0x5422, 0, 0},  /* TIOCNOTTY */
    {0x5429, 0, 4},  /* TIOCGSID */
    /* a disk's (user/virtio-blk): BLKGETSIZE, BLKSSZGET, BLKGETSIZE64 */
    {0x1260, 0, 8},
    {0x1268, 0, 4},
    {0x80081272, 0, 8},
    /* a loop device's (user/loop): LOOP_SET_FD and LOOP_CONFIGURE send
     * a struct loop_pass (fd_loop), the others an integer or a status */
    {0x125e, 0, 4}, /* BLKROGET */
    {LOOP_SET_FD, sizeof(struct loop_pass), 0},
    {LOOP_CONFIGURE, sizeof(struct loop_pass), 0},
    {LOOP_CLR_FD, 0, 0},
    {LOOP_SET_STATUS, sizeof(struct loop_info), 0},
    {LOOP_GET_STATUS, 0, sizeof(struct loop_info)},
    {LOOP_SET_STATUS64, sizeof(struct loop_info64), 0},
    {LOOP_GET_STATUS64, 0, sizeof(struct loop_info64)},
    {LOOP_SET_CAPACITY, 0, 0},
    {LOOP_SET_DIRECT_IO, 0, 0},
    {LOOP_SET_BLOCK_SIZE, 0, 0},
    {LOOP_CTL_ADD, 0, 0},
    {LOOP_CTL_REMOVE, 0, 0},
    {LOOP_CTL_GET_FREE, 0, 0},
    {LUX_NETINFO, 0, 8}, /* a network driver's (user/virtio-net) */
    /* an Internet socket's (user/net/ifinfo.c): struct ifreq both ways,
     * SIOCGIFFLAGS, ADDR, DSTADDR, BRDADDR, NETMASK, METRIC, MTU,
     * HWADDR, INDEX, TXQLEN, MAP; SIOCGIFCONF is inet_ifconf's */
    {0x8913, 40, 40},
    {0x8915, 40, 40},
    {0x8917, 40, 40},
    {0x8919, 40, 40},
    {0x891b, 40, 40},
    {0x891d, 40, 40},
    {0x8921, 40, 40},
    {0x8927, 40, 40},
    {0x8933, 40, 40},
    {0x8942, 40, 40},
    {0x8970, 40, 40},
};

#define FIONBIO     0x5421
#define SIOCGIFCONF 0x8912
#define FIONCLEX    0x5450
#define FIOCLEX     0x5451

/* The ioctls on any descriptor: its O_NONBLOCK and close-on-exec flags,
 * with fcntl. */
static long ioctl_flags(long fd, unsigned cmd, long arg)
{
	int on;

	if (cmd == FIONBIO) {
		if (copy_in(&on, arg, sizeof(on)))
			return -EFAULT;
		long fl = native2(NR_fcntl, fd, F_GETFL);
		return fl < 0 ? fl
			      : native3(NR_fcntl, fd, F_SETFL,
					on ? fl | O_NONBLOCK
					   : fl & ~(long)O_NONBLOCK);
	}
	long r =
	    native3(NR_fcntl, fd, F_SETFD, cmd == FIOCLEX ? FD_CLOEXEC : 0);
	return r < 0 ? r : 0;
}

/* LOOP_SET_FD's and LOOP_CONFIGURE's input into m (loop.c): the socket
 * to close after the request (-1: none), or -errno. */
static long fd_loop(long cmd, long arg, struct fd_msg *m)
{
	struct loop_config c;

	if (cmd == LOOP_SET_FD)
		return loop_pass_in(arg, NULL, (struct loop_pass *)m->in);
	if (user_in(&c, arg, sizeof(c)))
		return -EFAULT;
	return loop_pass_in(c.fd, &c, (struct loop_pass *)m->in);
}

long fd_ioctl(long fd, long cmd, long arg)
{
	struct {
		struct lux_rep rep;
		char out[sizeof(struct loop_info64)];
	} a;
	struct fd_msg m;
	unsigned i = 0;
	long r, sock = -1;

	if (cmd == FIONBIO || cmd == FIOCLEX || cmd == FIONCLEX)
		return ioctl_flags(fd, cmd, arg);
	if (cmd == SIOCGIFCONF)
		return inet_ifconf(fd, arg);
	while (i < sizeof(ioctls) / sizeof(ioctls[0]) &&
	       ioctls[i].cmd != (unsigned)cmd)
		i++;
	if (i == sizeof(ioctls) / sizeof(ioctls[0]))
		return fd_why(fd, -ENOTTY, -ENOTTY);
	fd_msg_init(&m, LUX_IOCTL, arg, (unsigned)cmd, 0);
	m.q.len += ioctls[i].in;
	if (cmd == LOOP_SET_FD || cmd == LOOP_CONFIGURE)
		sock = fd_loop(cmd, arg, &m);
	else if (user_in(m.in, arg, ioctls[i].in))
		sock = -EFAULT;
	if (sock < -1)
		return fd_why(fd, -ENOTTY, sock);
	r = fd_request(fd, &m, &a.rep, ioctls[i].out);
	if (sock >= 0)
		native1(NR_close, sock);
	if (r == -EINVAL) /* the kernel's own objects have no ioctls */
		r = (cmd & 0xff00) == 0x4c00 ? fd_why(fd, -ENOTTY, r) : -ENOTTY;
	if (r < 0)
		return r;
	if (a.rep.len - sizeof(a.rep) < ioctls[i].out)
		return -EIO;
	return user_out(arg, a.out, ioctls[i].out) ? -EFAULT : r;
}

/* Write all n bytes of buf to fd: the bytes written, or -errno if none. */
static long write_all(long fd, const char *buf, long n)
{
	long done = 0, w = 0;

	while (done < n &&
	       (w = native3(NR_write, fd, buf + done, n - done)) > 0)
		done += w;
	return done ? done : w;
}

/* sendfile's checks, in the kernel's old order: both descriptors open
 * the right way (EBADF), an offset only for a seekable in_fd (ESPIPE),
 * readable (EFAULT), and count (EINVAL). */
static long sendfile_check(long out, long in, long uoff, long count,
			   uint64_t *pos)
{
	long fi = native2(NR_fcntl, in, F_GETFL);
	long fo = native2(NR_fcntl, out, F_GETFL);

	if (fi < 0 || fo < 0 || (fi & O_ACCMODE) == O_WRONLY ||
	    (fo & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (uoff && native3(NR_lseek, in, 0, SEEK_CUR) < 0)
		return -ESPIPE;
	if (uoff && copy_in(pos, uoff, sizeof(*pos)))
		return -EFAULT;
	return count < 0 ? -EINVAL : 0;
}

/* sendfile between any two descriptors: read and write through a buffer
 * on this stack, as many bytes a round as a server's READ carries. What
 * was read but not written goes back to in_fd (its position, or *offset
 * when given). */
long fd_sendfile(long out, long in, long uoff, long count)
{
	char buf[LUX_MAX_DATA];
	uint64_t pos = 0;
	long done = 0, r = sendfile_check(out, in, uoff, count, &pos);

	while (!r && done < count) {
		long want = MIN(count - done, (long)sizeof(buf)), w;
		long n = uoff ? native4(NR_pread64, in, buf, want, pos)
			      : native3(NR_read, in, buf, want);
		if (n <= 0) {
			r = n;
			break;
		}
		w = write_all(out, buf, n);
		done += w > 0 ? w : 0;
		pos += w > 0 ? w : 0;
		if (w < n && !uoff) /* a pipe cannot take them back */
			native3(NR_lseek, in, -(n - (w > 0 ? w : 0)), SEEK_CUR);
		if (w < 0)
			r = w;
		if (w < n || n < want)
			break;
	}
	if (uoff && (done || r >= 0) && copy_out(uoff, &pos, sizeof(pos)))
		r = -EFAULT;
	return done ? done : r;
}

/* close_range: descriptors first..last (32-bit numbers, last >= first,
 * else EINVAL; flags CLOSE_RANGE_CLOEXEC and CLOSE_RANGE_UNSHARE only,
 * EINVAL) closed, or marked close-on-exec; with UNSHARE the table is made
 * the caller's own first. Numbers past the table's end hold nothing. */
long fd_close_range(long first, long last, long flags)
{
	unsigned lo = first, hi = last;
	long r;

	if (lo > hi || (flags & ~(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE)))
		return -EINVAL;
	if ((flags & CLOSE_RANGE_UNSHARE) && (r = native0(LUX_NR_UNSHARE)))
		return r;
	for (unsigned fd = lo; fd <= hi && fd < LUX_FD_MAX; fd++)
		if (flags & CLOSE_RANGE_CLOEXEC)
			native3(NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
		else
			native1(NR_close, fd);
	return 0;
}
