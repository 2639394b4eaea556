/*
 * sysv.c - the SysV IPC calls (msg*, sem*, shm*), served by the
 * shared-memory server (user/shm/sysv.c, docs/decisions/0030-shared-
 * memory.md): each is a LUX_SYSV_* IOCTL on a descriptor of its directory
 * /dev/shm, opened for the call, so that the kernel stamps the caller's
 * identity on it; the server keeps every object and checks every right.
 * SEM_UNDO operations go through a descriptor of LUX_SYSV_UNDO this
 * process keeps (close-on-exec), whose last close (exit) undoes them.
 * shmat opens the segment by LUX_SYSV_SHM and maps it shared; the
 * attachments are remembered here for shmdt (copied by fork, as the
 * mappings are).
 */
#include "fs.h"
#include "path.h"
#include "persona.h"
#include <lux/fcntl.h>

#define SHM_DIR    "/dev/shm"
#define MSGMAX     8192
#define SEMOPM     500
#define IPC_64     0x100
#define IPC_RMID   0
#define IPC_SET    1
#define IPC_STAT   2
#define IPC_INFO   3
#define GETALL     13
#define SETALL     17
#define SEM_UNDO   0x1000
#define SHM_RDONLY 010000
#define SHM_RND    020000
#define SHM_REMAP  040000
#define ATTACH_MAX 64
#define MAP_SHARED 1
#define MAP_FIXED  0x10
#define MAP_NOREPL 0x100000 /* MAP_FIXED_NOREPLACE */
#define PROT_READ  1
#define PROT_WRITE 2

struct sysv_req {
	struct lux_req q;
	struct lux_sysv a;
	char data[MSGMAX + 8];
};

struct sysv_rep {
	struct lux_rep rep;
	char out[MSGMAX];
};

/* shmat's attachments: address, bytes, segment id. */
static struct {
	uint64_t addr, len;
	long id;
} attached[ATTACH_MAX];
static int attach_lock;
static int undo_fd = -1, undo_pid;

/* attach_lock guards attached[] and undo_fd: a spin lock, held only
 * for a few stores (never across a call that may wait). */
static void attach_take(void)
{
	while (__atomic_exchange_n(&attach_lock, 1, __ATOMIC_ACQUIRE))
		;
}

static void attach_give(void)
{
	__atomic_store_n(&attach_lock, 0, __ATOMIC_RELEASE);
}

/* Open path under /dev/shm (flags LUX_O_*): a descriptor or -errno. */
static long shm_open_path(const char *path, unsigned flags)
{
	struct walk w;
	long r;

	walk_init(&w, LUX_OPEN);
	if ((r = walk_set(&w, 0, AT_FDCWD, path)))
		return r;
	w.q.flags = flags | LUX_O_CLOEXEC;
	r = walk_run(&w);
	return r == -ENOENT || r == -ENOTDIR ? -ENOSYS : r; /* no server */
}

/* IOCTL cmd (a, n bytes of data in m) on descriptor fd (-1: a fresh one
 * of the directory), the reply into r: its result or -errno. A signal
 * ends a wait with EINTR, as Linux's calls (never restarted): the
 * server's, and for the calls that may wait (msgsnd, msgrcv, semop) the
 * OPEN before it too, else such a call restarts after the handler and
 * waits on as if no signal had come. */
static long sysv_call(long fd, unsigned cmd, struct sysv_req *m, size_t n,
		      struct sysv_rep *r)
{
	long own = fd < 0 ? shm_open_path(SHM_DIR, LUX_O_RDONLY) : fd, e;
	bool waits = cmd == LUX_SYSV_MSGSND || cmd == LUX_SYSV_MSGRCV ||
		     cmd == LUX_SYSV_SEMOP;

	if (own < 0)
		return own == -LUX_ERESTART_CALL && waits ? -EINTR : own;
	memset(&m->q, 0, sizeof(m->q));
	m->q.op = LUX_IOCTL;
	m->q.len = sizeof(m->q) + sizeof(m->a) + n;
	m->q.count = cmd;
	e = persona_syscall(LUX_NR_REQUEST, LUX_REQ_FD((int)own), 0, (long)m,
			    (long)r, sizeof(*r), 0);
	if (fd < 0)
		native1(NR_close, own);
	if (e == -LUX_ERESTART_CALL)
		return -EINTR;
	return e < 0 ? e : r->rep.result;
}

/* A call with arguments a..d and no data. */
static long sysv_simple(unsigned cmd, long a, long b, long c, long d)
{
	struct sysv_req m;
	struct sysv_rep r;

	m.a = (struct lux_sysv){a, b, c, d};
	return sysv_call(-1, cmd, &m, 0, &r);
}

long sysv_msgget(long key, long flags)
{
	return sysv_simple(LUX_SYSV_MSGGET, (int)key, (int)flags, 0, 0);
}

long sysv_semget(long key, long nsems, long flags)
{
	return sysv_simple(LUX_SYSV_SEMGET, (int)key, (int)flags, (int)nsems,
			   0);
}

long sysv_shmget(long key, long size, long flags)
{
	return sysv_simple(LUX_SYSV_SHMGET, (int)key, (int)flags, size, 0);
}

long sysv_msgsnd(long id, long umsg, long size, long flags)
{
	struct sysv_req m;
	struct sysv_rep r;
	int64_t type;

	if (size < 0 || size > MSGMAX)
		return -EINVAL;
	if (copy_in(&type, umsg, 8) || copy_in(m.data, umsg + 8, size))
		return -EFAULT;
	m.a = (struct lux_sysv){(int)id, (int)flags, type, 0};
	return sysv_call(-1, LUX_SYSV_MSGSND, &m, size, &r);
}

long sysv_msgrcv(long id, long umsg, long size, long type, long flags)
{
	struct sysv_req m;
	struct sysv_rep r;
	long n;

	if (size < 0)
		return -EINVAL;
	m.a = (struct lux_sysv){(int)id, (int)flags, type,
				size > MSGMAX ? MSGMAX : size};
	if ((n = sysv_call(-1, LUX_SYSV_MSGRCV, &m, 0, &r)) < 0)
		return n;
	if (copy_out(umsg, &r.rep.off, 8) || copy_out(umsg + 8, r.out, n))
		return -EFAULT;
	return n;
}

/* This process's undo descriptor, opened on first use (a child of fork
 * drops the one it inherited and opens its own): it or -errno. The OPEN
 * may wait for the server, so it is made outside attach_lock; of two
 * threads that race, the second closes its own. A signal during it is
 * EINTR (semop is never restarted, sysv_call). */
static long undo_desc(void)
{
	long pid = native0(NR_getpid), fd, old = -1;

	attach_take();
	fd = undo_fd >= 0 && undo_pid == pid ? undo_fd : -1;
	attach_give();
	if (fd >= 0)
		return fd;
	if ((fd = shm_open_path(SHM_DIR "/" LUX_SYSV_UNDO, LUX_O_RDONLY)) < 0)
		return fd == -LUX_ERESTART_CALL ? -EINTR : fd;
	attach_take();
	if (undo_fd >= 0 && undo_pid == pid) {
		old = fd; /* another thread's came first */
		fd = undo_fd;
	} else {
		old = undo_fd; /* -1, or the parent's */
		undo_fd = fd, undo_pid = pid;
	}
	attach_give();
	if (old >= 0)
		native1(NR_close, old);
	return fd;
}

long sysv_semtimedop(long id, long usops, long nsops, long utimeout)
{
	struct sysv_req m;
	struct sysv_rep r;
	int64_t ts[2], ns = -1;
	long fd = -1;

	if (nsops < 1)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	if (copy_in(m.data, usops, nsops * 6) ||
	    (utimeout && copy_in(ts, utimeout, sizeof(ts))))
		return -EFAULT;
	if (utimeout && (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000))
		return -EINVAL;
	if (utimeout)
		ns = ts[0] > 1000000000 ? 1000000000ll * 1000000000 /* ~30 y */
					: ts[0] * 1000000000 + ts[1];
	for (long i = 0; i < nsops; i++) {
		int16_t flg;
		memcpy(&flg, m.data + i * 6 + 4, 2);
		if ((flg & SEM_UNDO) && (fd = undo_desc()) < 0)
			return fd;
	}
	m.a = (struct lux_sysv){(int)id, nsops, ns, 0};
	return sysv_call(fd, LUX_SYSV_SEMOP, &m, nsops * 6, &r);
}

/* Lay the server's st out as the platform's msqid_ds, semid_ds or
 * shmid_ds at ubuf (kind: LUX_SYSV_MSGCTL...). */
static long stat_out(unsigned kind, const struct lux_ipc_stat *st, long ubuf)
{
	uint64_t w[16] = {0}; /* the struct after its ipc_perm */
	uint32_t perm[12] = {st->key,  st->uid,  st->gid, st->cuid,
			     st->cgid, st->mode, st->seq};
	int n = 0;

	if (kind == LUX_SYSV_MSGCTL) {
		uint64_t v[] = {st->time[0],
				st->time[1],
				st->time[2],
				st->v[0],
				st->v[1],
				st->v[2],
				(uint32_t)st->pid[0] | (uint64_t)st->pid[1]
							   << 32};
		memcpy(w, v, sizeof(v));
		n = 9;
	} else if (kind == LUX_SYSV_SEMCTL) {
		n = sysv_semid_ds(w, st->time[0], st->time[2], st->v[0]);
	} else {
		uint64_t v[] = {st->v[0],
				st->time[0],
				st->time[1],
				st->time[2],
				(uint32_t)st->pid[0] | (uint64_t)st->pid[1]
							   << 32,
				st->v[1]};
		memcpy(w, v, sizeof(v));
		n = 8;
	}
	return copy_out(ubuf, perm, sizeof(perm)) ||
		       copy_out(ubuf + sizeof(perm), w, n * 8)
		   ? -EFAULT
		   : 0;
}

/* The server's answer v to IPC_INFO or to the INFO command of kind
 * (info), laid out at ubuf as Linux's struct msginfo, seminfo, shm_info
 * or shminfo64: 0 or -EFAULT. */
static long info_out(unsigned kind, int info, const int64_t *v, long ubuf)
{
	int32_t w[10];

	if (kind == LUX_SYSV_SHMCTL) {
		uint64_t u[9];
		for (int i = 0; i < 9; i++)
			u[i] = (uint64_t)v[i];
		if (info)
			u[0] = (uint32_t)v[0]; /* int used_ids, then padding */
		return copy_out(ubuf, u, info ? 48 : 72) ? -EFAULT : 0;
	}
	for (int i = 0; i < 10; i++)
		w[i] = (int32_t)v[i];
	if (kind == LUX_SYSV_MSGCTL)
		w[7] = (uint16_t)v[7]; /* unsigned short msgseg, padding */
	return copy_out(ubuf, w, kind == LUX_SYSV_MSGCTL ? 32 : 40) ? -EFAULT
								    : 0;
}

/* msgctl, semctl, shmctl (kind: their command); arg: the buffer, or
 * SETVAL's value. MSG_STAT, SEM_STAT, SHM_STAT and their _ANY forms
 * (stat: the first's number) answer as IPC_STAT, with the id. */
static long sysv_ctl(unsigned kind, long id, long num, long cmd, long arg)
{
	struct sysv_req m;
	struct sysv_rep r;
	struct lux_ipc_stat st;
	size_t n = 0;
	long e, stat = kind == LUX_SYSV_MSGCTL   ? 11
		       : kind == LUX_SYSV_SEMCTL ? 18
						 : 13;

	cmd &= ~IPC_64;
	m.a = (struct lux_sysv){(int)id, cmd, (int)num, (int)arg};
	if (cmd == IPC_SET) {
		uint32_t perm[6];
		uint64_t qbytes = 0;
		if (copy_in(perm, arg, sizeof(perm)) ||
		    (kind == LUX_SYSV_MSGCTL && copy_in(&qbytes, arg + 88, 8)))
			return -EFAULT;
		st = (struct lux_ipc_stat){.uid = perm[1],
					   .gid = perm[2],
					   .mode = perm[5],
					   .v = {0, 0, qbytes}};
		memcpy(m.data, &st, n = sizeof(st));
	}
	if (kind == LUX_SYSV_SEMCTL && (cmd == SETALL || cmd == GETALL)) {
		struct sysv_req s = {.a = {(int)id, IPC_STAT, 0, 0}};
		if ((e = sysv_call(-1, kind, &s, 0, &r)) < 0)
			return e;
		memcpy(&st, r.out, sizeof(st));
		n = cmd == SETALL ? st.v[0] * 2 : 0;
		if (st.v[0] * 2 > sizeof(m.data))
			return -ERANGE; /* no reply could hold them */
		if (cmd == SETALL && copy_in(m.data, arg, n))
			return -EFAULT;
	}
	if ((e = sysv_call(-1, kind, &m, n, &r)) < 0)
		return e;
	if (cmd == IPC_STAT || cmd == stat || cmd == stat + 2) {
		memcpy(&st, r.out, sizeof(st));
		return stat_out(kind, &st, arg) ? -EFAULT
						: (cmd == IPC_STAT ? 0 : e);
	}
	if (cmd == IPC_INFO || cmd == stat + 1) {
		int64_t v[10];
		memcpy(v, r.out, sizeof(v));
		return info_out(kind, cmd != IPC_INFO, v, arg) ?: e;
	}
	if (kind == LUX_SYSV_SEMCTL && cmd == GETALL &&
	    copy_out(arg, r.out, r.rep.len - sizeof(r.rep)))
		return -EFAULT;
	return e;
}

long sysv_msgctl(long id, long cmd, long ubuf)
{
	return sysv_ctl(LUX_SYSV_MSGCTL, id, 0, cmd, ubuf);
}

long sysv_semctl(long id, long num, long cmd, long arg)
{
	return sysv_ctl(LUX_SYSV_SEMCTL, id, num, cmd, arg);
}

long sysv_shmctl(long id, long cmd, long ubuf)
{
	return sysv_ctl(LUX_SYSV_SHMCTL, id, 0, cmd, ubuf);
}

long sysv_shmat(long id, long addr, long flags)
{
	char path[64] = SHM_DIR "/" LUX_SYSV_SHM, num[24];
	struct lux_stat st;
	long fd, r, i = 0, n = 0;

	if (id < 0 || (int)id != id)
		return -EINVAL;
	if (addr & 4095) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr &= ~4095L;
	}
	for (long v = id; n == 0 || v; v /= 10) /* the id in decimal */
		num[n++] = '0' + v % 10;
	for (size_t at = strlen(path); n;)
		path[at++] = num[--n], path[at] = 0;
	fd =
	    shm_open_path(path, flags & SHM_RDONLY ? LUX_O_RDONLY : LUX_O_RDWR);
	if (fd < 0)
		return fd == -ENOENT ? -EINVAL : fd;
	r = fs_fstat(fd, &st);
	if (!r)
		r = persona_syscall(
		    NR_mmap, addr, st.size,
		    PROT_READ | (flags & SHM_RDONLY ? 0 : PROT_WRITE),
		    MAP_SHARED |
			(addr ? (flags & SHM_REMAP ? MAP_FIXED : MAP_NOREPL)
			      : 0),
		    fd, 0);
	native1(NR_close, fd);
	if (r == -EEXIST)
		r = -EINVAL;
	if (r >= 0)
		attach_take();
	for (; r >= 0 && i < ATTACH_MAX && attached[i].len; i++)
		;
	if (r >= 0 && i < ATTACH_MAX)
		attached[i].addr = r, attached[i].len = st.size,
		attached[i].id = id;
	if (r >= 0)
		attach_give();
	if (r >= 0 && i == ATTACH_MAX) { /* Linux's SHMSEG is larger */
		native2(NR_munmap, r, st.size);
		sysv_simple(LUX_SYSV_SHMDT, id, 0, 0, 0);
		r = -EMFILE;
	}
	return r;
}

long sysv_shmdt(long addr)
{
	long id = -1, len = 0;

	attach_take();
	for (int i = 0; i < ATTACH_MAX; i++)
		if (attached[i].len && attached[i].addr == (uint64_t)addr) {
			id = attached[i].id, len = attached[i].len;
			attached[i].len = 0;
			break;
		}
	attach_give();
	if (!len)
		return -EINVAL;
	native2(NR_munmap, addr, len);
	sysv_simple(LUX_SYSV_SHMDT, id, 0, 0, 0);
	return 0;
}
