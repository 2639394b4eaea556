/*
 * lock.c - fcntl's record locks (F_GETLK, F_SETLK, F_SETLKW and the
 * open-file-description F_OFD_* forms) and flock: each is a LUX_LOCK
 * request about the descriptor's object, kept by the file's server
 * (user/lib/lock.c). The kernel serves the other fcntl commands and
 * reflects these here. The personality turns the program's range
 * (l_whence, l_start, l_len) into an absolute one as Linux does, checks
 * the descriptor's access mode, and repeats a wait the server woke; the
 * owner (the process, or the open file description) is the kernel's to
 * say, never the request's.
 */
#include "fs.h"
#include <lux/fcntl.h>

#define F_GETLK      5
#define F_SETLK      6
#define F_SETLKW     7
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#define F_SETLEASE   1024
#define F_GETLEASE   1025
#define LOCK_SH      1
#define LOCK_EX      2
#define LOCK_NB      4
#define LOCK_UN      8
#define SEEK_SET     0
#define SEEK_CUR     1
#define SEEK_END     2

/* Linux's struct flock, the same on every 64-bit platform. */
struct linux_flock {
	int16_t type, whence;
	int64_t start, len;
	int32_t pid;
};

/* Send a LOCK request about fd (flags: what and whose) for *a; a GET's
 * answer into *a. A wait the server woke is asked again: the lock is
 * taken by the request that finds it free. 0 or -errno. */
static long lock_request(long fd, unsigned flags, struct lux_lock *a)
{
	struct {
		struct lux_req q;
		struct lux_lock a;
	} m;
	struct {
		struct lux_rep rep;
		struct lux_lock a;
	} r;
	long res;

	memset(&m, 0, sizeof(m));
	m.q.op = LUX_LOCK;
	m.q.len = sizeof(m);
	m.q.flags = flags;
	m.a = *a;
	if ((int)fd < 0)
		return -EBADF;
	do {
		res = persona_syscall(LUX_NR_REQUEST, LUX_REQ_FD((int)fd), 0,
				      (long)&m, (long)&r, sizeof(r), 0);
		if (res >= 0)
			res = r.rep.result;
	} while (res == 1 && (flags & 3) == LUX_LOCK_WAIT);
	if (res >= 0 && (flags & 3) == LUX_LOCK_GET) {
		if (r.rep.len < sizeof(r))
			return -EIO;
		*a = r.a;
	}
	return res < 0 ? res : 0;
}

/* The program's range from l as absolute bytes [start, end] (Linux's
 * flock_to_posix_lock): 0, -EINVAL or -EOVERFLOW. */
static long lock_range(long fd, const struct linux_flock *l, struct lux_lock *a)
{
	int64_t base = 0;
	struct lux_stat st;
	long r;

	if (l->whence == SEEK_CUR) {
		if ((base = native3(NR_lseek, fd, 0, SEEK_CUR)) < 0)
			return base;
	} else if (l->whence == SEEK_END) {
		if ((r = fs_fstat(fd, &st)) < 0)
			return r;
		base = (int64_t)st.size;
	} else if (l->whence != SEEK_SET) {
		return -EINVAL;
	}
	if (l->start > INT64_MAX - base)
		return -EOVERFLOW;
	a->start = base + l->start;
	if (a->start < 0)
		return -EINVAL;
	if (l->len > 0) {
		if (l->len - 1 > INT64_MAX - a->start)
			return -EOVERFLOW;
		a->end = a->start + l->len - 1;
	} else if (l->len < 0) {
		if (a->start + l->len < 0)
			return -EINVAL;
		a->end = a->start - 1;
		a->start += l->len;
	} else {
		a->end = INT64_MAX;
	}
	return 0;
}

/* F_GETLK's answer: the conflicting lock, or l_type F_UNLCK alone. */
static long lock_answer(long ul, struct linux_flock *l,
			const struct lux_lock *a)
{
	l->type = (int16_t)a->type;
	if (a->type != LUX_LOCK_UN) {
		l->whence = SEEK_SET;
		l->start = a->start;
		l->len = a->end == INT64_MAX ? 0 : a->end - a->start + 1;
		l->pid = a->pid;
	}
	return copy_out(ul, l, sizeof(*l));
}

/* F_SETLEASE and F_GETLEASE: the server keeps the lease of the open file
 * description (user/lib/lock.c, decision 0040), and the kernel signals
 * its owner when the server breaks it (LUX_F_LEASE, before the request:
 * a break may come as soon as it is granted; the owner after, as Linux
 * sets it only for a lease, and clears it and the signal at an unlock).
 * -ENOSYS: not one of these commands. */
static long lease_fcntl(long fd, long cmd, long type)
{
	struct lux_lock a = {.type = LUX_LOCK_UN};
	long r;

	if (cmd == F_GETLEASE) { /* a file that has none (a pipe): F_UNLCK */
		r = lock_request(fd, LUX_LOCK_LEASE | LUX_LOCK_GET, &a);
		return r == -EBADF ? r : r < 0 ? LUX_LOCK_UN : (long)a.type;
	}
	if (cmd != F_SETLEASE)
		return -ENOSYS;
	if ((unsigned long)type > LUX_LOCK_UN)
		return -EINVAL;
	a.type = type;
	if (type != LUX_LOCK_UN && (r = native3(NR_fcntl, fd, LUX_F_LEASE, 0)))
		return r;
	if ((r = lock_request(fd, LUX_LOCK_LEASE | LUX_LOCK_SET, &a)) < 0)
		return r;
	return native3(NR_fcntl, fd, LUX_F_LEASE, type == LUX_LOCK_UN ? 2 : 1);
}

long lock_fcntl(long fd, long cmd, long ul)
{
	bool ofd = cmd >= F_OFD_GETLK && cmd <= F_OFD_SETLKW;
	long what = cmd - (ofd ? F_OFD_GETLK : F_GETLK), r;
	struct linux_flock l;
	struct lux_lock a = {0};

	if (what < 0 || what > 2) /* the kernel's other commands: */
		return (r = lease_fcntl(fd, cmd, ul)) == -ENOSYS ? -EINVAL : r;
	if (copy_in(&l, ul, sizeof(l)))
		return -EFAULT;
	if (l.type < 0 || l.type > LUX_LOCK_UN ||
	    (what == LUX_LOCK_GET && l.type == LUX_LOCK_UN) || (ofd && l.pid))
		return -EINVAL;
	if ((r = lock_range(fd, &l, &a)) < 0)
		return r;
	a.type = l.type;
	long acc = native2(NR_fcntl, fd, F_GETFL) & (O_ACCMODE | O_PATH);
	if (what != LUX_LOCK_GET &&
	    ((a.type == LUX_LOCK_RD && acc != O_RDONLY && acc != O_RDWR) ||
	     (a.type == LUX_LOCK_WR && acc != O_WRONLY && acc != O_RDWR)))
		return -EBADF;
	r = lock_request(fd, what | (ofd ? LUX_LOCK_OFD : LUX_LOCK_POSIX), &a);
	if (r < 0)
		return r;
	return what == LUX_LOCK_GET ? lock_answer(ul, &l, &a) : 0;
}

long lock_flock(long fd, long op)
{
	long kind = op & ~LOCK_NB;
	struct lux_lock a = {.end = INT64_MAX};

	if (kind == LOCK_SH)
		a.type = LUX_LOCK_RD;
	else if (kind == LOCK_EX)
		a.type = LUX_LOCK_WR;
	else if (kind == LOCK_UN)
		a.type = LUX_LOCK_UN;
	else
		return -EINVAL;
	return lock_request(fd,
			    LUX_LOCK_FLOCK | (op & LOCK_NB || kind == LOCK_UN
						  ? LUX_LOCK_SET
						  : LUX_LOCK_WAIT),
			    &a);
}
