/*
 * small.c - Linux calls that programs make at start or in passing and
 * that need a few lines each (issue 16): file advice (fadvise64,
 * readahead: accepted, as lux keeps no page cache to fill or drop),
 * extended attributes (lux's file systems keep none: the file's own
 * error, then EOPNOTSUPP, or an empty list), the scheduling-policy
 * questions (every thread is SCHED_OTHER at priority 0, with the kernel's
 * time slice), personality (PER_LINUX only), and sendmmsg and recvmmsg
 * (a loop of sendmsg or recvmsg: glibc's resolver sends its A and AAAA
 * queries with one sendmmsg). Every check that matters stays in the
 * kernel or the file's server.
 */
#include "fs.h"
#include "path.h"
#include "persona.h"
#include <lux/fcntl.h>
#include <lux/stat.h>

#define SCHED_FIFO     1
#define SCHED_RR       2
#define SCHED_BATCH    3
#define SCHED_IDLE     5
#define SCHED_DEADLINE 6
#define ATTR_SIZE0     48        /* SCHED_ATTR_SIZE_VER0 */
#define SLICE_NS       10000000L /* the kernel's TIME_SLICE */
#define XATTR_FLAGS    3         /* XATTR_CREATE | XATTR_REPLACE */
#define XATTR_NAME_MAX 255
#define MSG_DONTWAIT   0x40
#define MSG_WAITFORONE 0x10000
#define VLEN_MAX       1024 /* UIO_MAXIOV */
#define MMSG_SIZE      64   /* struct mmsghdr: a msghdr, */
#define MMSG_LEN       56   /* then msg_len */

/* fadvise64: Linux's errors (EBADF, ESPIPE for a pipe, EINVAL for a
 * negative length or an advice other than 0-5), then 0: nothing to do. */
long small_fadvise64(long fd, long off, long len, long advice)
{
	struct lux_stat st;
	long r = fs_fstat((int)fd, &st);

	(void)off;
	if (r)
		return r;
	if ((st.mode & LUX_S_IFMT) == LUX_S_IFIFO)
		return -ESPIPE;
	return len < 0 || (unsigned)advice > 5 ? -EINVAL : 0;
}

/* readahead: EBADF unless open for reading, EINVAL unless a regular
 * file, then 0. */
long small_readahead(long fd)
{
	struct lux_stat st;
	long fl = native2(NR_fcntl, (int)fd, F_GETFL);

	if (fl < 0 || (fl & 3) == 1 || fs_fstat((int)fd, &st)) /* O_WRONLY */
		return -EBADF;
	return (st.mode & LUX_S_IFMT) == LUX_S_IFREG ? 0 : -EINVAL;
}

/* Whether the path at upath names a file (a last link itself if
 * nofollow): 0 or the path's error (a STAT request, as stat's). */
static long path_exists(long upath, int nofollow)
{
	struct walk w;
	long r;

	walk_init(&w, LUX_STAT);
	if ((r = walk_path(&w, 0, AT_FDCWD, upath)))
		return r;
	w.q.flags = nofollow ? LUX_AT_SYMLINK_NOFOLLOW : 0;
	r = walk_run(&w);
	return r < 0 ? r : 0;
}

/* The 12 xattr calls (nr): an attribute name's error first (EFAULT, or
 * ERANGE when empty or longer than 255 bytes), then the path's or the
 * descriptor's; then listing gives an empty list (0), any other
 * EOPNOTSUPP (set's unknown flags EINVAL first), as Linux on a file
 * system without them. */
long small_xattr(long nr, const long a[6])
{
	bool list =
	    nr == NR_listxattr || nr == NR_llistxattr || nr == NR_flistxattr;
	char name[XATTR_NAME_MAX + 2];
	struct lux_stat st;
	long r, flags = 0;

	if (!list && (r = str_in(name, a[1], sizeof(name))) <= 0)
		return r == 0 || r == -ENAMETOOLONG ? -ERANGE : r;
	if (nr == NR_fgetxattr || nr == NR_flistxattr || nr == NR_fsetxattr ||
	    nr == NR_fremovexattr)
		r = fs_fstat((int)a[0], &st);
	else
		r = path_exists(
		    a[0], nr == NR_lgetxattr || nr == NR_llistxattr ||
			      nr == NR_lsetxattr || nr == NR_lremovexattr);
	if (nr == NR_setxattr || nr == NR_lsetxattr || nr == NR_fsetxattr)
		flags = a[4];
	if (r)
		return r;
	if (list)
		return 0;
	return (int)flags & ~XATTR_FLAGS ? -EINVAL : -EOPNOTSUPP;
}

/* sched_get_priority_max and _min (max): Linux's range for policy. */
long small_sched_priority(long policy, int max)
{
	if (policy == SCHED_FIFO || policy == SCHED_RR)
		return max ? 99 : 1;
	if (policy == 0 || policy == SCHED_BATCH || policy == SCHED_IDLE ||
	    policy == SCHED_DEADLINE)
		return 0;
	return -EINVAL;
}

/* Whether thread tid (0: the caller) lives: 0, -ESRCH, -EINVAL below 0. */
static long sched_thread(long tid)
{
	uint64_t mask;
	long r;

	if ((int)tid < 0)
		return -EINVAL;
	r = native4(LUX_NR_AFFINITY, (int)tid, 0, 0, &mask);
	return r < 0 ? r : 0;
}

/* sched_getscheduler, sched_getparam, sched_rr_get_interval and
 * sched_getattr (nr) of thread a[0]: SCHED_OTHER, priority 0, the
 * kernel's slice, and getattr's struct sched_attr (its nice value the
 * process's of that pid, 0 for another thread); Linux's EINVAL, ESRCH,
 * EFAULT in Linux's order. */
long small_sched_get(long nr, const long a[6])
{
	uint32_t attr[14] = {0}; /* struct sched_attr, 56 bytes */
	int64_t ts[2] = {0, SLICE_NS};
	long r, n = 0;

	if (nr == NR_sched_getparam && !a[1])
		return -EINVAL;
	if (nr == NR_sched_getattr &&
	    (!a[1] || a[2] < ATTR_SIZE0 || a[2] > 4096 || a[3]))
		return -EINVAL;
	if ((r = sched_thread(a[0])) < 0)
		return r;
	if (nr == NR_sched_getscheduler)
		return 0; /* SCHED_OTHER */
	if (nr == NR_sched_getparam)
		return copy_out(a[1], &n, 4) ? -EFAULT : 0;
	if (nr == NR_sched_rr_get_interval)
		return copy_out(a[1], ts, sizeof(ts)) ? -EFAULT : 0;
	r = persona_getpriority(0, a[0]); /* PRIO_PROCESS: 20 - nice */
	n = a[2] < (long)sizeof(attr) ? a[2] : (long)sizeof(attr);
	attr[0] = n;
	attr[4] = r > 0 ? (uint32_t)(20 - r) : 0; /* sched_nice */
	return copy_out(a[1], attr, n) ? -EFAULT : 0;
}

/* personality: the query (0xffffffff) and PER_LINUX answer PER_LINUX,
 * the only one lux has; any other EINVAL. */
long small_personality(long persona)
{
	return (uint32_t)persona == 0xffffffff || (uint32_t)persona == 0
		   ? 0
		   : -EINVAL;
}

/* The monotonic clock in ns. */
static int64_t mono_ns(void)
{
	int64_t t[2] = {0, 0};

	native2(NR_clock_gettime, 1, t); /* CLOCK_MONOTONIC */
	return t[0] * 1000000000 + t[1];
}

/* sendmmsg and recvmmsg (recv): sendmsg or recvmsg (the personality's
 * own, through persona_call) on each struct mmsghdr at uvec in turn, at
 * most 1024, each one's msg_len set to its bytes: the number done, or
 * the first one's error. recvmmsg's MSG_WAITFORONE makes every receive
 * after the first non-blocking; its timeout is checked after each
 * message (a receive that waits is not cut short) and gets the time
 * left, as Linux's. */
long small_mmsg(int recv, const long a[6])
{
	long r = 0, i = 0, flags = a[3] & ~MSG_WAITFORONE;
	unsigned long vlen = (unsigned)a[2];
	int64_t ts[2], end = 0;

	if (recv && a[4]) {
		if (copy_in(ts, a[4], sizeof(ts)))
			return -EFAULT;
		if (ts[0] < 0 || (uint64_t)ts[1] >= 1000000000)
			return -EINVAL;
		end = mono_ns() +
		      (ts[0] > 1000000000 ? 1000000000 : ts[0]) * 1000000000 +
		      ts[1];
	}
	while (i < (long)(vlen > VLEN_MAX ? VLEN_MAX : vlen)) {
		long b[6] = {a[0], a[1] + i * MMSG_SIZE, flags};
		uint32_t n = (uint32_t)(r = persona_call(
					    recv ? NR_recvmsg : NR_sendmsg, b));
		if (r < 0)
			break;
		if (copy_out(a[1] + i * MMSG_SIZE + MMSG_LEN, &n, 4)) {
			r = -EFAULT;
			break;
		}
		i++;
		if (recv && (a[3] & MSG_WAITFORONE))
			flags |= MSG_DONTWAIT;
		if (recv && a[4] && mono_ns() >= end)
			break;
	}
	if (i && recv && a[4]) { /* the time left, as Linux */
		int64_t left = end - mono_ns();
		ts[0] = left > 0 ? left / 1000000000 : 0;
		ts[1] = left > 0 ? left % 1000000000 : 0;
		if (copy_out(a[4], ts, sizeof(ts)))
			return -EFAULT;
	}
	return i ? i : r;
}
