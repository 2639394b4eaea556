/*
 * fdcalls.c - the calls on a descriptor that a server answers when the
 * descriptor is a remote file: fstat, lseek, pread64, pwrite64,
 * getdents64, ftruncate, fsync, fchmod, fchown, fstatfs, ioctl; and
 * sendfile, which works between any two descriptors.
 */
#include "chan.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/mman.h>

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* fd's file with a reference if it is remote; else NULL and *r is
 * -EBADF (no such descriptor) or other (not remote). */
static struct file *remote(long fd, long *r, long other)
{
	struct file *f = fd_get(fd);

	*r = f ? 0 : -EBADF;
	if (f && !rfile_info(f, NULL, NULL, NULL)) {
		file_put(f);
		*r = other;
		return NULL;
	}
	return f;
}

/* Send req about remote file f; reply payload into buf: the result. */
static long ask(struct file *f, struct lux_req *req, struct lux_rep *rep,
		void *buf, size_t size)
{
	long r;

	if (!req)
		return -ENOMEM;
	r = rfile_call(f, req, rep, buf, size);
	return r ? r : rep->result;
}

/* Send req (consumed) about remote file fd: the result; -EINVAL when fd
 * is not remote. */
static long fs_fd_call(long fd, struct lux_req *req, void *buf, size_t size)
{
	struct lux_rep rep;
	long r;
	struct file *f = remote(fd, &r, -EINVAL);

	if (!f) {
		chan_msg_free(req);
		return r;
	}
	r = ask(f, req, &rep, buf, size);
	file_put(f);
	return r;
}

/* A request op by handle with off and mode set, nothing back. */
static long fd_op(long fd, unsigned op, uint64_t off, uint64_t count,
		  unsigned mode)
{
	struct lux_req *req = chan_msg_alloc(op, 0);

	if (req) {
		req->off = off;
		req->count = count;
		req->mode = mode;
	}
	if (!req)
		return fd_open(fd) ? -ENOMEM : -EBADF;
	long r = fs_fd_call(fd, req, NULL, 0);
	return r < 0 ? r : 0;
}

/* The status of descriptor fd (a server's STAT for a remote file). */
static long fs_fstat(long fd, struct lux_stat *st)
{
	struct lux_rep rep;
	struct file *f = fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	if (rfile_info(f, NULL, NULL, NULL)) {
		r = ask(f, chan_msg_alloc(LUX_STAT, 0), &rep, st, sizeof(*st));
		if (r >= 0 && chan_payload(&rep, sizeof(*st)) < sizeof(*st))
			r = -EIO;
	} else { /* pipes, sockets, the console: the object is its identity */
		*st = (struct lux_stat){.nlink = 1,
					.blksize = 4096,
					.mode = f->mode,
					.ino = (uintptr_t)f->priv >> 4,
					.dev = 0xf,
					.uid = current_proc()->cred.uid.eff,
					.gid = current_proc()->cred.gid.eff};
		memobj_size(f, &st->size);
	}
	file_put(f);
	return r < 0 ? r : 0;
}

long sys_fstat(long fd, long ubuf)
{
	struct lux_stat st;
	long r = fs_fstat(fd, &st);

	return r ? r : arch_stat_copy((void *)ubuf, &st);
}

/* rfile positions are kept here, in struct file's remote part: lseek
 * reads and sets them through rfile_seek. */
long sys_lseek(long fd, long offset, long whence)
{
	struct lux_stat st;
	long r, base = 0;
	struct file *f = remote(fd, &r, -ESPIPE);

	if (!f)
		return r;
	if (whence == SEEK_CUR)
		base = rfile_pos(f, -1);
	else if (whence == SEEK_END)
		base = (r = fs_fstat(fd, &st)) ? r : (long)st.size;
	else if (whence != SEEK_SET)
		r = -EINVAL;
	if (!r && (base < 0 || base + offset < 0))
		r = base < 0 ? base : -EINVAL;
	if (!r)
		r = rfile_pos(f, base + offset);
	file_put(f);
	return r;
}

/* pread64 and pwrite64: at pos, the file position untouched. */
static long prw(long fd, long ubuf, long n, long pos, bool writing)
{
	long r;
	struct file *f = remote(fd, &r, -ESPIPE);
	unsigned acc = f ? f->flags & O_ACCMODE : 0;
	uint64_t at = pos;

	if (!f)
		return r;
	if (pos < 0 || n < 0)
		r = -EINVAL;
	else if (acc == (writing ? O_RDONLY : O_WRONLY))
		r = -EBADF;
	else
		r = rfile_io(f, (char *)ubuf, n, &at, writing);
	file_put(f);
	return r;
}

long sys_pread64(long fd, long ubuf, long n, long pos)
{
	return prw(fd, ubuf, n, pos, false);
}

long sys_pwrite64(long fd, long ubuf, long n, long pos)
{
	return prw(fd, ubuf, n, pos, true);
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

long sys_getdents64(long fd, long ubuf, long n)
{
	struct lux_rep rep;
	long r;
	struct file *f = remote(fd, &r, -ENOTDIR);
	size_t want = MIN((size_t)n, (size_t)LUX_MAX_DATA);
	char *buf = f ? kmalloc(want) : NULL;
	struct lux_req *req = buf ? chan_msg_alloc(LUX_GETDENTS, 0) : NULL;

	if (f && n <= 0)
		r = -EINVAL;
	else if (req) {
		req->off = rfile_pos(f, -1);
		req->count = want;
		r = ask(f, req, &rep, buf, want);
		req = NULL;
		if (r >= 0) {
			size_t got = chan_payload(&rep, want);
			r = dirents_valid(buf, got);
			if ((size_t)r < got && !r)
				r = -EIO;
			else if (copy_to_user((void *)ubuf, buf, r))
				r = -EFAULT;
			else
				rfile_pos(f, rep.off);
		}
	} else if (f) {
		r = -ENOMEM;
	}
	chan_msg_free(req);
	kfree(buf);
	file_put(f);
	return r;
}

long sys_ftruncate(long fd, long len)
{
	struct file *f = fd_get(fd);
	bool writable = f && (f->flags & O_ACCMODE) != O_RDONLY;
	long r = len < 0 || !writable   ? -EINVAL
		 : memobj_size(f, NULL) ? memobj_resize(f, len)
					: 1;

	file_put(f);
	if (!f)
		return -EBADF;
	if (r <= 0)
		return r;
	return fd_op(fd, LUX_TRUNCATE, len, 0, 0);
}

long sys_fsync(long fd)
{
	return fd_op(fd, LUX_FSYNC, 0, 0, 0);
}

long sys_fdatasync(long fd)
{
	return fd_op(fd, LUX_FSYNC, 0, 0, 0);
}

long sys_fchmod(long fd, long mode)
{
	return fd_op(fd, LUX_CHMOD, 0, 0, mode & 07777);
}

long sys_fchown(long fd, long uid, long gid)
{
	return fd_op(fd, LUX_CHOWN, (uint64_t)(int64_t)(int32_t)uid,
		     (uint64_t)(int64_t)(int32_t)gid, 0);
}

/* STATFS's payload laid out as Linux's struct statfs (64-bit: every
 * field a long but f_fsid) at ubuf. */
static long fs_statfs_copy(long ubuf, const struct lux_rep *rep,
			   const void *data)
{
	struct lux_statfs s;
	uint64_t b[15] = {0};

	if (chan_payload(rep, sizeof(s)) < sizeof(s))
		return -EIO;
	memcpy(&s, data, sizeof(s));
	uint64_t v[] = {s.type,    s.bsize,  s.blocks, s.bfree,
			s.bavail,  s.files,  s.ffree,  0,
			s.namelen, s.frsize, s.flags};
	memcpy(b, v, sizeof(v));
	return copy_to_user((void *)ubuf, b, 120) ? -EFAULT : 0;
}

long sys_fstatfs(long fd, long ubuf)
{
	struct lux_statfs s;
	struct lux_rep rep;
	long r;
	struct file *f = remote(fd, &r, -ENOSYS);

	if (!f)
		return r;
	r = ask(f, chan_msg_alloc(LUX_STATFS, 0), &rep, &s, sizeof(s));
	file_put(f);
	return r < 0 ? r : fs_statfs_copy(ubuf, &rep, &s);
}

/* The terminal ioctls servers answer, with the bytes each reads from and
 * writes back to its argument (Linux's asm-generic numbers; the kernel's
 * termios is 36 bytes). Any other command is ENOTTY. */
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
};

#define FIONBIO  0x5421
#define FIONCLEX 0x5450
#define FIOCLEX  0x5451

/* The ioctls the kernel answers for any descriptor. */
static long ioctl_local(long fd, unsigned cmd, long arg)
{
	int on;

	if (cmd == FIONBIO) {
		if (copy_from_user(&on, (void *)arg, sizeof(on)))
			return -EFAULT;
		long fl = sys_fcntl(fd, F_GETFL, 0);
		return fl < 0 ? fl
			      : sys_fcntl(fd, F_SETFL,
					  on ? fl | O_NONBLOCK
					     : fl & ~(long)O_NONBLOCK);
	}
	long r = sys_fcntl(fd, F_SETFD, cmd == FIOCLEX ? FD_CLOEXEC : 0);
	return r < 0 ? r : 0;
}

long sys_ioctl(long fd, long cmd, long arg)
{
	struct lux_rep rep;
	unsigned i = 0;
	char out[36];
	long r;
	struct file *f;

	if (cmd == FIONBIO || cmd == FIOCLEX || cmd == FIONCLEX)
		return ioctl_local(fd, cmd, arg);
	if (!(f = remote(fd, &r, -ENOTTY)))
		return r;
	while (i < ARRAY_SIZE(ioctls) && ioctls[i].cmd != (unsigned)cmd)
		i++;
	struct lux_req *req = i < ARRAY_SIZE(ioctls)
				  ? chan_msg_alloc(LUX_IOCTL, ioctls[i].in)
				  : NULL;
	if (i == ARRAY_SIZE(ioctls))
		r = -ENOTTY;
	else if (req && copy_from_user(req + 1, (void *)arg, ioctls[i].in))
		r = -EFAULT;
	else if (req) {
		req->count = cmd;
		req->off = arg;
		r = ask(f, req, &rep, out, ioctls[i].out);
		req = NULL;
		if (r >= 0 && chan_payload(&rep, ioctls[i].out) < ioctls[i].out)
			r = -EIO;
		else if (r >= 0 &&
			 copy_to_user((void *)arg, out, ioctls[i].out))
			r = -EFAULT;
	} else {
		r = -ENOMEM;
	}
	chan_msg_free(req);
	file_put(f);
	return r;
}

#define SENDFILE_CHUNK (64 * KiB)

/* Write all n bytes at ubuf to f: the bytes written, or -errno if none. */
static long write_all(struct file *f, char *ubuf, long n)
{
	long done = 0, w = 0;

	while (done < n && (w = f->ops->write(f, ubuf + done, n - done)) > 0)
		done += w;
	return done ? done : w;
}

/* sendfile between any two descriptors: through a bounce buffer mapped
 * in the caller's own memory for the call, so every file kind's read and
 * write serve it unchanged. With an offset, in_fd must be seekable. */
long sys_sendfile(long out_fd, long in_fd, long uoff, long count)
{
	struct file *in = fd_get(in_fd), *out = fd_get(out_fd);
	struct mm *mm = current_proc()->mm;
	uint64_t pos = 0;
	long r = 0, done = 0, buf = 0;

	if (!in || !out || (in->flags & O_ACCMODE) == O_WRONLY ||
	    (out->flags & O_ACCMODE) == O_RDONLY || !in->ops->read ||
	    !out->ops->write)
		r = -EBADF;
	else if (uoff && !rfile_info(in, NULL, NULL, NULL))
		r = -ESPIPE;
	else if (uoff && copy_from_user(&pos, (void *)uoff, sizeof(pos)))
		r = -EFAULT;
	else if (count < 0)
		r = -EINVAL;
	if (!r && count)
		r = buf = vm_map(mm, 0, SENDFILE_CHUNK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	while (r >= 0 && done < count) {
		long want = MIN(count - done, (long)SENDFILE_CHUNK), n, w;
		n = uoff ? rfile_io(in, (char *)buf, want, &pos, false)
			 : in->ops->read(in, (char *)buf, want);
		if (n <= 0 || (w = write_all(out, (char *)buf, n)) < 0) {
			r = n < 0 ? n : n ? w : 0;
			break;
		}
		done += w;
		if (w < n && uoff) /* what was read but not written stays */
			pos -= n - w;
		else if (w < n && rfile_info(in, NULL, NULL, NULL))
			rfile_pos(in, rfile_pos(in, -1) - (n - w));
		if (w < n || n < want)
			break;
	}
	if (buf > 0)
		vm_unmap(mm, buf, SENDFILE_CHUNK);
	if (uoff && (done || r >= 0) &&
	    copy_to_user((void *)uoff, &pos, sizeof(pos)))
		r = -EFAULT;
	file_put(in);
	file_put(out);
	return done ? done : r < 0 ? r : 0;
}
