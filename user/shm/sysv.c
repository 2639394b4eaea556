/*
 * sysv.c - SysV IPC in the shared-memory server: message queues,
 * semaphore sets and shared-memory segments, with Linux's permission
 * rules (against the caller's identity the kernel stamps on the request)
 * and limits. A call that must wait keeps its request here and is
 * answered later: when the object changes, when it is removed (EIDRM),
 * when its time is up (semtimedop: EAGAIN); a signal cancels it. A
 * segment is a node (node.c) the personality opens by LUX_SYSV_SHM and
 * maps; it lives on in the mappings after IPC_RMID. SEM_UNDO's
 * adjustments belong to a handle of LUX_SYSV_UNDO, undone at its CLOSE.
 */
#include "shm.h"
#include "sysv.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS  256   /* ids of each kind (MSGMNI, SEMMNI, SHMMNI) */
#define MSGMAX 8192  /* bytes of one message */
#define MSGMNB 16384 /* bytes of a queue */
#define SEMMSL 32000 /* semaphores of a set */
#define SEMOPM 500   /* operations of one semop */
#define SEMVMX 32767 /* a semaphore's largest value */
#define SHMMAX (1ull << 40)
#define UNDOS  512 /* processes with SEM_UNDO adjustments */

#define IPC_CREAT   01000
#define IPC_EXCL    02000
#define IPC_NOWAIT  04000
#define MSG_NOERROR 010000
#define MSG_EXCEPT  020000
#define SEM_UNDO    0x1000
#define IPC_RMID    0
#define IPC_SET     1
#define IPC_STAT    2
#define GETPID      11
#define GETVAL      12
#define GETALL      13
#define GETNCNT     14
#define GETZCNT     15
#define SETVAL      16
#define SETALL      17
#define SHM_LOCK    11
#define SHM_UNLOCK  12
#define IPC_INFO    3
#define SHMSEG      64 /* the personality's attachments a process */
#define PAGES(n)    (((n) + 4095) / 4096)

enum { MSG, SEM, SHM };

struct msg {
	struct msg *next;
	int64_t type;
	size_t n;
	char text[];
};

struct ipc {
	bool used;
	uint32_t seq;
	struct lux_ipc_stat st; /* key, ids, mode, times, figures */
	struct msg *head;       /* MSG */
	uint16_t *val;          /* SEM: values, */
	int32_t *pid;           /* and the last pid of each */
	int node;               /* SHM */
};

struct sembuf {
	uint16_t num;
	int16_t op, flg;
};

/* A call that waits (MSGSND, MSGRCV, SEMOP), with its request's header
 * and data. */
struct waiter {
	struct waiter *next;
	struct lux_req q;
	struct lux_sysv a;
	int kind, slot;
	int64_t deadline; /* ns of CLOCK_MONOTONIC, 0: none */
	size_t n;
	char data[];
};

/* One SEM_UNDO adjustment of a process's undo handle. */
struct adj {
	struct adj *next;
	uint64_t handle;
	int slot, num, val;
	uint32_t seq;
};

static struct ipc ipcs[3][SLOTS];
static struct waiter *waiters;
static struct adj *adjs;
static bool undos[UNDOS];

static int64_t now_ns(int clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* The object of kind with id: its slot, or -EINVAL (-EIDRM: removed). */
static int find_id(int kind, int64_t id)
{
	int slot = id >= 0 ? (int)(id % SLOTS) : 0;

	if (id < 0 || !ipcs[kind][slot].used ||
	    ipcs[kind][slot].seq != (uint64_t)id / SLOTS)
		return -EINVAL;
	return slot;
}

/* Linux's ipcperms: the caller may have the requested bits (a mode's
 * rwx in any of its three places) of object p; root may anything. */
static bool allowed(const struct lux_req *q, const struct ipc *p, unsigned flag)
{
	unsigned want = (flag >> 6 | flag >> 3 | flag) & 7, bits = p->st.mode;

	if (q->uid == 0)
		return true;
	bits >>= q->uid == p->st.uid || q->uid == p->st.cuid ? 6
		 : lux_in_group(q, p->st.gid) || lux_in_group(q, p->st.cgid)
		     ? 3
		     : 0;
	return (want & ~bits) == 0;
}

static bool owner(const struct lux_req *q, const struct ipc *p)
{
	return q->uid == 0 || q->uid == p->st.uid || q->uid == p->st.cuid;
}

/* MSGGET, SEMGET, SHMGET: the object of key (made if asked), its id. */
static long do_get(const struct lux_req *q, int kind, const struct lux_sysv *a)
{
	int key = (int)a->a, flags = (int)a->b, slot = -1, fr = -1;
	int64_t size = a->c;
	struct ipc *p;

	if (kind == SEM && (size < 0 || size > SEMMSL))
		return -EINVAL;
	for (int i = 0; i < SLOTS; i++)
		if (!ipcs[kind][i].used)
			fr = fr < 0 ? i : fr;
		else if (key && (int)ipcs[kind][i].st.key == key)
			slot = i;
	if (slot >= 0) {
		p = &ipcs[kind][slot];
		if ((flags & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL))
			return -EEXIST;
		if (!allowed(q, p, flags & 0777))
			return -EACCES;
		if ((kind == SEM && size > (int64_t)p->st.v[0]) ||
		    (kind == SHM && (uint64_t)size > p->st.v[0]))
			return -EINVAL;
		return (int64_t)p->seq * SLOTS + slot;
	}
	if (key && !(flags & IPC_CREAT))
		return -ENOENT;
	if ((kind == SEM && size == 0) ||
	    (kind == SHM && (size < 1 || (uint64_t)size > SHMMAX)))
		return -EINVAL;
	if (fr < 0)
		return -ENOSPC;
	p = &ipcs[kind][fr];
	struct ipc fresh = {.used = true, .seq = p->seq + 1, .node = -1};
	fresh.st = (struct lux_ipc_stat){.key = key,
					 .uid = q->uid,
					 .gid = q->gid,
					 .cuid = q->uid,
					 .cgid = q->gid,
					 .mode = flags & 0777,
					 .seq = fresh.seq};
	fresh.st.time[2] = now_ns(CLOCK_REALTIME) / 1000000000;
	if (kind == MSG)
		fresh.st.v[2] = MSGMNB;
	if (kind == SEM) {
		fresh.st.v[0] = size;
		fresh.val = calloc(size, sizeof(*fresh.val));
		fresh.pid = calloc(size, sizeof(*fresh.pid));
		if (!fresh.val || !fresh.pid) {
			free(fresh.val), free(fresh.pid);
			return -ENOMEM;
		}
	}
	if (kind == SHM) {
		long r = shm_node_new(q, flags & 0777), e;
		if (r >= 0 && (e = shm_node_resize(r, size)) < 0) {
			shm_node_drop(r);
			return e;
		}
		if (r < 0)
			return r;
		fresh.node = (int)r;
		shm_nodes[r].nlink = 1; /* the id keeps it */
		fresh.st.v[0] = size;
		fresh.st.pid[0] = q->pid;
	}
	*p = fresh;
	return (int64_t)p->seq * SLOTS + fr;
}

static void reply(const struct lux_req *q, long r, int64_t off,
		  const void *data, size_t n)
{
	struct lux_rep rep = {.result = r, .off = off};
	lux_reply_full(LUX_SERVER_FD, q, &rep, data, n);
}

/* MSGSND: 1 if done or failed (answered), 0 if it must wait. */
static int msg_send(const struct lux_req *q, const struct lux_sysv *a,
		    const char *data, size_t n, bool retry)
{
	int slot = find_id(MSG, a->a);
	struct ipc *p = &ipcs[MSG][slot < 0 ? 0 : slot];
	struct msg *m, **end;
	long r = 0;

	if (slot < 0)
		r = retry ? -EIDRM : slot;
	else if (n > MSGMAX || a->c < 1)
		r = -EINVAL;
	else if (!allowed(q, p, 0222))
		r = -EACCES;
	else if (p->st.v[0] + n > p->st.v[2] || p->st.v[1] + 1 > p->st.v[2])
		r = (a->b & IPC_NOWAIT) ? -EAGAIN : 1;
	else if (!(m = malloc(sizeof(*m) + n)))
		r = -ENOMEM;
	if (r == 1)
		return 0;
	if (!r) {
		*m = (struct msg){.type = a->c, .n = n};
		memcpy(m->text, data, n);
		for (end = &p->head; *end; end = &(*end)->next)
			;
		*end = m;
		p->st.v[0] += n, p->st.v[1]++;
		p->st.pid[0] = q->pid;
		p->st.time[0] = now_ns(CLOCK_REALTIME) / 1000000000;
	}
	reply(q, r, 0, NULL, 0);
	return 1;
}

/* Whether message m is the one msgtyp and flags ask for, given the
 * lowest type seen so far (*best, for msgtyp < 0). */
static struct msg **msg_pick(struct ipc *p, int64_t typ, int flags)
{
	struct msg **best = NULL;

	for (struct msg **m = &p->head; *m; m = &(*m)->next) {
		int64_t t = (*m)->type;
		if (typ == 0 ||
		    (typ > 0 && !(flags & MSG_EXCEPT) && t == typ) ||
		    (typ > 0 && (flags & MSG_EXCEPT) && t != typ))
			return m;
		if (typ < 0 && t <= -typ && (!best || t < (*best)->type))
			best = m;
	}
	return best;
}

/* MSGRCV: as msg_send. */
static int msg_recv(const struct lux_req *q, const struct lux_sysv *a,
		    bool retry)
{
	int slot = find_id(MSG, a->a);
	struct ipc *p = &ipcs[MSG][slot < 0 ? 0 : slot];
	struct msg **pm = NULL, *m;
	long r = 0;

	if (slot < 0)
		r = retry ? -EIDRM : slot;
	else if (a->d < 0)
		r = -EINVAL;
	else if (!allowed(q, p, 0444))
		r = -EACCES;
	else if (!(pm = msg_pick(p, a->c, (int)a->b)))
		r = (a->b & IPC_NOWAIT) ? -ENOMSG : 1;
	else if ((*pm)->n > (uint64_t)a->d && !(a->b & MSG_NOERROR))
		r = -E2BIG;
	if (r == 1)
		return 0;
	if (r) {
		reply(q, r, 0, NULL, 0);
		return 1;
	}
	m = *pm;
	*pm = m->next;
	p->st.v[0] -= m->n, p->st.v[1]--;
	p->st.pid[1] = q->pid;
	p->st.time[1] = now_ns(CLOCK_REALTIME) / 1000000000;
	r = m->n < (uint64_t)a->d ? (long)m->n : (long)a->d;
	reply(q, r, m->type, m->text, r);
	free(m);
	return 1;
}

/* The undo adjustment of (handle, slot, num), made if make: or NULL. */
static struct adj *adj_find(uint64_t h, int slot, int num, bool make)
{
	struct adj *j;

	for (j = adjs; j; j = j->next)
		if (j->handle == h && j->slot == slot && j->num == num &&
		    j->seq == ipcs[SEM][slot].seq)
			return j;
	if (make && (j = calloc(1, sizeof(*j)))) {
		*j = (struct adj){adjs, h, slot, num, 0, ipcs[SEM][slot].seq};
		adjs = j;
	}
	return j;
}

/* SEMOP: as msg_send. */
static int sem_op(const struct lux_req *q, const struct lux_sysv *a,
		  const struct sembuf *ops, size_t n, bool retry)
{
	int slot = find_id(SEM, a->a);
	struct ipc *p = &ipcs[SEM][slot < 0 ? 0 : slot];
	bool alter = false;
	long r = 0;
	size_t i;

	if (a->b < 1 || (size_t)a->b * sizeof(*ops) > n)
		r = a->b > SEMOPM ? -E2BIG : -EINVAL;
	else if (slot < 0)
		r = retry ? -EIDRM : slot;
	for (i = 0; !r && i < (size_t)a->b; i++) {
		if (ops[i].num >= p->st.v[0])
			r = -EFBIG;
		alter |= ops[i].op != 0;
	}
	if (!r && !allowed(q, p, alter ? 0222 : 0444))
		r = -EACCES;
	/* try every operation on a copy: all of them happen, or none */
	uint16_t *val = r ? NULL : malloc(p->st.v[0] * sizeof(*val));
	if (!r && !val)
		r = -ENOMEM;
	if (val)
		memcpy(val, p->val, p->st.v[0] * sizeof(*val));
	for (i = 0; !r && i < (size_t)a->b; i++) {
		int v = val[ops[i].num] + ops[i].op;
		if (v > SEMVMX)
			r = -ERANGE;
		else if (v < 0 || (ops[i].op == 0 && val[ops[i].num]))
			r = (ops[i].flg & IPC_NOWAIT) ? -EAGAIN : 1;
		else
			val[ops[i].num] = v;
	}
	if (r == 1) {
		free(val);
		return 0;
	}
	for (i = 0; !r && i < (size_t)a->b; i++) {
		struct adj *j =
		    (ops[i].flg & SEM_UNDO) && q->handle >= SYSV_UNDO_HANDLE
			? adj_find(q->handle, slot, ops[i].num, true)
			: NULL;
		if (j)
			j->val -= ops[i].op;
		p->pid[ops[i].num] = q->pid;
	}
	if (!r) {
		memcpy(p->val, val, p->st.v[0] * sizeof(*val));
		p->st.time[0] = now_ns(CLOCK_REALTIME) / 1000000000;
	}
	free(val);
	reply(q, r, 0, NULL, 0);
	return 1;
}

/* Try waiter w again: true if it was answered. */
static bool retry(struct waiter *w)
{
	if (w->kind == LUX_SYSV_MSGSND)
		return msg_send(&w->q, &w->a, w->data, w->n, true);
	if (w->kind == LUX_SYSV_MSGRCV)
		return msg_recv(&w->q, &w->a, true);
	return sem_op(&w->q, &w->a, (const struct sembuf *)w->data, w->n, true);
}

/* Something changed: answer every waiter that can go now, again and
 * again while one does (one's change may let another go). */
static void wake(void)
{
	for (bool again = true; again;) {
		again = false;
		for (struct waiter **pw = &waiters; *pw;) {
			struct waiter *w = *pw;
			if (retry(w)) {
				*pw = w->next;
				free(w);
				again = true;
			} else {
				pw = &w->next;
			}
		}
	}
}

/* Keep request q (its data, n bytes) as a waiter: false if no memory. */
static bool wait_add(const struct lux_req *q, const struct lux_sysv *a,
		     const char *data, size_t n)
{
	struct waiter *w = malloc(sizeof(*w) + n), **end;

	if (!w)
		return false;
	*w = (struct waiter){.q = *q, .a = *a, .kind = (int)q->count, .n = n};
	if (q->count == LUX_SYSV_SEMOP && a->c >= 0)
		w->deadline = now_ns(CLOCK_MONOTONIC) + a->c;
	memcpy(w->data, data, n);
	for (end = &waiters; *end; end = &(*end)->next)
		;
	*end = w;
	return true;
}

/* Remove object (kind, slot): its waiters fail with EIDRM (retry finds
 * it gone), its segment lives on while mapped. */
static void ipc_remove(int kind, int slot)
{
	struct ipc *p = &ipcs[kind][slot];

	while (p->head) {
		struct msg *m = p->head;
		p->head = m->next;
		free(m);
	}
	free(p->val), free(p->pid);
	if (p->node >= 0) {
		shm_nodes[p->node].nlink = 0;
		shm_node_drop(p->node);
	}
	p->used = false;
	p->val = NULL, p->pid = NULL, p->node = -1;
	wake();
}

/* How many waiters wait for semaphore num of slot to grow (zero: to be
 * zero): GETNCNT and GETZCNT. */
static long sem_count(int slot, int num, bool zero)
{
	long n = 0;

	for (struct waiter *w = waiters; w; w = w->next) {
		const struct sembuf *o = (const struct sembuf *)w->data;
		if (w->kind != LUX_SYSV_SEMOP || find_id(SEM, w->a.a) != slot)
			continue;
		for (size_t i = 0; i < (size_t)w->a.b; i++)
			if (o[i].num == num &&
			    (zero ? !o[i].op : o[i].op < 0)) {
				n++;
				break;
			}
	}
	return n;
}

/* SETVAL, SETALL: values change; adjustments of them go (as Linux). */
static long sem_set(struct ipc *p, int slot, int num, const uint16_t *v)
{
	int first = num < 0 ? 0 : num,
	    last = num < 0 ? (int)p->st.v[0] : num + 1;

	for (int i = first; i < last; i++)
		if (v[i - first] > SEMVMX)
			return -ERANGE;
	for (int i = first; i < last; i++) {
		struct adj *j;
		p->val[i] = v[i - first];
		for (j = adjs; j; j = j->next)
			if (j->slot == slot && j->num == i && j->seq == p->seq)
				j->val = 0;
	}
	p->st.time[2] = now_ns(CLOCK_REALTIME) / 1000000000;
	wake();
	return 0;
}

/* IPC_INFO, and with now MSG_INFO, SEM_INFO or SHM_INFO (the figures
 * of what is in use), as Linux: the fields of its struct msginfo,
 * seminfo, or shminfo64 or shm_info in order; the result is the highest
 * index in use (0 if none). */
static void do_info(const struct lux_req *q, int kind, bool now)
{
	int64_t v[10] = {0}, used = 0, sum[2] = {0}, top = 0;

	for (int i = 0; i < SLOTS; i++) {
		const struct ipc *p = &ipcs[kind][i];
		if (!p->used)
			continue;
		top = i, used++;
		sum[0] += kind == SHM ? PAGES(p->st.v[0]) : (int64_t)p->st.v[1];
		sum[1] +=
		    kind != SHM ? (int64_t)p->st.v[0] : 0; /* bytes, sems */
	}
	if (kind == MSG) { /* pool map max mnb mni ssz tql seg */
		int64_t m[] = {now ? used : SLOTS * MSGMNB / 1024,
			       now ? sum[0] : MSGMNB,
			       MSGMAX,
			       MSGMNB,
			       SLOTS,
			       16,
			       now ? sum[1] : MSGMNB,
			       0xffff};
		memcpy(v, m, sizeof(m));
	} else if (kind == SEM) { /* map mni mns mnu msl opm ume usz vmx aem */
		int64_t s[] = {SLOTS * SEMMSL, SLOTS,
			       SLOTS * SEMMSL, SLOTS * SEMMSL,
			       SEMMSL,         SEMOPM,
			       SEMOPM,         now ? used : 20,
			       SEMVMX,         now ? sum[1] : SEMVMX};
		memcpy(v, s, sizeof(s));
	} else if (now) { /* used_ids tot rss swp (every page resident) */
		int64_t s[] = {used, sum[0], sum[0]};
		memcpy(v, s, sizeof(s));
	} else { /* shmmax shmmin shmmni shmseg shmall */
		int64_t s[] = {SHMMAX, 1, SLOTS, SHMSEG, SHMMAX / 4096};
		memcpy(v, s, sizeof(s));
	}
	reply(q, top, 0, v, sizeof(v));
}

/* MSG_STAT, SEM_STAT, SHM_STAT (any: their _ANY form, which needs no
 * read right) of the object at index idx: its id, out its figures. */
static void do_stat(const struct lux_req *q, int kind, int64_t idx, bool any)
{
	const struct ipc *p = &ipcs[kind][idx >= 0 && idx < SLOTS ? idx : 0];

	if (idx < 0 || idx >= SLOTS || !p->used)
		return reply(q, -EINVAL, 0, NULL, 0);
	if (!any && !allowed(q, p, 0444))
		return reply(q, -EACCES, 0, NULL, 0);
	reply(q, (int64_t)p->seq * SLOTS + idx, 0, &p->st, sizeof(p->st));
}

/* MSGCTL, SEMCTL, SHMCTL. */
static void do_ctl(const struct lux_req *q, int kind, const struct lux_sysv *a,
		   const char *data, size_t n)
{
	int slot = find_id(kind, a->a), cmd = (int)a->b, num = (int)a->c;
	struct ipc *p = &ipcs[kind][slot < 0 ? 0 : slot];
	bool sem_num =
	    kind == SEM && cmd >= GETPID && cmd <= SETVAL && cmd != GETALL;
	static uint16_t vals[SEMMSL];
	static const int stat_cmd[] = {11, 18, 13}; /* then INFO, STAT_ANY */
	long r = slot;

	if (cmd == IPC_INFO || cmd == stat_cmd[kind] + 1)
		return do_info(q, kind, cmd != IPC_INFO);
	if (cmd == stat_cmd[kind] || cmd == stat_cmd[kind] + 2)
		return do_stat(q, kind, a->a, cmd != stat_cmd[kind]);
	if (slot < 0)
		return reply(q, r, 0, NULL, 0);
	if (sem_num && (num < 0 || (uint64_t)num >= p->st.v[0]))
		return reply(q, -EINVAL, 0, NULL, 0);
	if (cmd == IPC_RMID || cmd == IPC_SET) {
		struct lux_ipc_stat in;
		if (!owner(q, p))
			return reply(q, -EPERM, 0, NULL, 0);
		if (cmd == IPC_RMID) {
			ipc_remove(kind, slot);
			return reply(q, 0, 0, NULL, 0);
		}
		if (n < sizeof(in))
			return reply(q, -EFAULT, 0, NULL, 0);
		memcpy(&in, data, sizeof(in));
		if (kind == MSG && in.v[2] > MSGMNB && q->uid)
			return reply(q, -EPERM, 0, NULL, 0);
		p->st.uid = in.uid, p->st.gid = in.gid;
		p->st.mode = (p->st.mode & ~0777u) | (in.mode & 0777);
		if (kind == MSG)
			p->st.v[2] = in.v[2];
		p->st.time[2] = now_ns(CLOCK_REALTIME) / 1000000000;
		wake();
		return reply(q, 0, 0, NULL, 0);
	}
	if (kind == SHM && (cmd == SHM_LOCK || cmd == SHM_UNLOCK))
		return reply(q, q->uid ? -EPERM : 0, 0, NULL, 0);
	if (cmd == SETVAL || cmd == SETALL) {
		if (!allowed(q, p, 0222))
			return reply(q, -EACCES, 0, NULL, 0);
		if (cmd == SETALL && n < p->st.v[0] * 2)
			return reply(q, -EFAULT, 0, NULL, 0);
		uint16_t one = a->d < 0 || a->d > SEMVMX ? SEMVMX + 1 : a->d;
		return reply(
		    q,
		    sem_set(p, slot, cmd == SETVAL ? num : -1,
			    cmd == SETVAL ? &one : (const uint16_t *)data),
		    0, NULL, 0);
	}
	if (!allowed(q, p, 0444))
		return reply(q, -EACCES, 0, NULL, 0);
	switch (kind == SEM ? cmd : cmd == IPC_STAT ? IPC_STAT : -1) {
	case IPC_STAT:
		return reply(q, 0, 0, &p->st, sizeof(p->st));
	case GETPID:
		return reply(q, p->pid[num], 0, NULL, 0);
	case GETVAL:
		return reply(q, p->val[num], 0, NULL, 0);
	case GETNCNT:
	case GETZCNT:
		return reply(q, sem_count(slot, num, cmd == GETZCNT), 0, NULL,
			     0);
	case GETALL:
		memcpy(vals, p->val, p->st.v[0] * 2);
		return reply(q, 0, 0, vals, p->st.v[0] * 2);
	}
	reply(q, -EINVAL, 0, NULL, 0);
}

void sysv_ioctl(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	struct lux_sysv a;
	const char *data = m->data + sizeof(a);
	size_t n = len > (long)sizeof(a) ? (size_t)len - sizeof(a) : 0;
	int done = 1;

	if (len < (long)sizeof(a))
		return reply(q, q->count >> 8 == 0x53 ? -EFAULT : -ENOTTY, 0,
			     NULL, 0);
	memcpy(&a, m->data, sizeof(a));
	switch (q->count) {
	case LUX_SYSV_MSGGET:
	case LUX_SYSV_SEMGET:
	case LUX_SYSV_SHMGET:
		return reply(
		    q, do_get(q, (int)(q->count - LUX_SYSV_MSGGET) / 3, &a), 0,
		    NULL, 0);
	case LUX_SYSV_MSGSND:
		done = msg_send(q, &a, data, n, false);
		break;
	case LUX_SYSV_MSGRCV:
		done = msg_recv(q, &a, false);
		break;
	case LUX_SYSV_SEMOP:
		done = sem_op(q, &a, (const struct sembuf *)data, n, false);
		break;
	case LUX_SYSV_SHMDT:
		if (find_id(SHM, a.a) >= 0 && ipcs[SHM][a.a % SLOTS].st.v[1]) {
			struct ipc *p = &ipcs[SHM][a.a % SLOTS];
			p->st.v[1]--;
			p->st.pid[1] = q->pid;
			p->st.time[1] = now_ns(CLOCK_REALTIME) / 1000000000;
		}
		return reply(q, 0, 0, NULL, 0);
	case LUX_SYSV_MSGCTL:
		return do_ctl(q, MSG, &a, data, n);
	case LUX_SYSV_SEMCTL:
		return do_ctl(q, SEM, &a, data, n);
	case LUX_SYSV_SHMCTL:
		return do_ctl(q, SHM, &a, data, n);
	default:
		return reply(q, -ENOTTY, 0, NULL, 0);
	}
	if (!done && !wait_add(q, &a, data, n))
		reply(q, -ENOMEM, 0, NULL, 0);
	else if (done)
		wake();
}

void sysv_cancel(uint64_t id)
{
	for (struct waiter **pw = &waiters; *pw; pw = &(*pw)->next)
		if ((*pw)->q.id == id) {
			struct waiter *w = *pw;
			*pw = w->next;
			free(w);
			return;
		}
}

int64_t sysv_timeout_ms(void)
{
	int64_t now = now_ns(CLOCK_MONOTONIC), first = -1;

	for (struct waiter **pw = &waiters; *pw;) {
		struct waiter *w = *pw;
		if (w->deadline && w->deadline <= now) { /* its time is up */
			reply(&w->q, -EAGAIN, 0, NULL, 0);
			*pw = w->next;
			free(w);
			continue;
		}
		if (w->deadline && (first < 0 || w->deadline - now < first))
			first = w->deadline - now;
		pw = &w->next;
	}
	return first < 0 ? -1 : first / 1000000 + 1;
}

long sysv_open(const struct lux_req *q, const char *path, struct lux_rep *r)
{
	int acc = q->flags & LUX_O_ACCMODE, slot;
	char *end;

	if (!strcmp(path, LUX_SYSV_UNDO)) {
		for (int i = 0; i < UNDOS; i++)
			if (!undos[i]) {
				undos[i] = true;
				r->handle = SYSV_UNDO_HANDLE + i;
				r->mode = LUX_S_IFREG;
				return 0;
			}
		return -ENOMEM;
	}
	if (strncmp(path, LUX_SYSV_SHM, strlen(LUX_SYSV_SHM)))
		return -ENOENT;
	slot = find_id(SHM, strtoll(path + strlen(LUX_SYSV_SHM), &end, 10));
	if (slot < 0 || *end)
		return -EINVAL;
	struct ipc *p = &ipcs[SHM][slot];
	if (!allowed(q, p, acc == LUX_O_RDONLY ? 0444 : 0666))
		return -EACCES;
	shm_nodes[p->node].opens++;
	p->st.v[1]++; /* attached: the personality maps it now */
	p->st.pid[1] = q->pid;
	p->st.time[0] = now_ns(CLOCK_REALTIME) / 1000000000;
	r->handle = p->node + 1;
	r->mode = LUX_S_IFREG | p->st.mode;
	return 0;
}

void sysv_undo_close(uint64_t handle)
{
	if (handle < SYSV_UNDO_HANDLE || handle >= SYSV_UNDO_HANDLE + UNDOS)
		return;
	for (struct adj **pj = &adjs; *pj;) {
		struct adj *j = *pj;
		struct ipc *p = &ipcs[SEM][j->slot];
		if (j->handle != handle) {
			pj = &j->next;
			continue;
		}
		if (p->used && p->seq == j->seq) {
			int v = p->val[j->num] + j->val;
			p->val[j->num] = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
		}
		*pj = j->next;
		free(j);
	}
	undos[handle - SYSV_UNDO_HANDLE] = false;
	wake();
}
