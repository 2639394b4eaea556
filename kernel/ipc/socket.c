/*
 * socket.c - Unix domain sockets: SOCK_STREAM (a byte stream),
 * SOCK_DGRAM and SOCK_SEQPACKET (boundaries kept), pairs, abstract and
 * path-name addresses, listen/accept/connect, descriptor passing, peer
 * credentials, shutdown and Linux's EOF/EPIPE rules. Each socket queues
 * what it is sent, bounded by its receive buffer; a sender waits (or gets
 * EAGAIN) while the peer's queue is full. One mutex guards all socket
 * state; waits happen outside it. The Linux calls around them (sockaddr,
 * msghdr and option handling, the path walk of a name) are the
 * personality's (user/persona/sock.c), over two native calls:
 * LUX_NR_SOCKET and LUX_NR_SOCKMSG (docs/decisions/0021-socket-names.md).
 * A path name is keyed by the socket file it names: a server's object
 * (channel, handle) that the caller opened through that server.
 */
#include "chan.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

#define AF_UNIX          1
#define SOCK_STREAM      1
#define SOCK_DGRAM       2
#define SOCK_SEQPACKET   5
#define SOCK_NONBLOCK    O_NONBLOCK
#define SOCK_CLOEXEC     O_CLOEXEC
#define MSG_PEEK         0x2
#define MSG_CTRUNC       0x8
#define MSG_TRUNC        0x20
#define MSG_DONTWAIT     0x40
#define MSG_WAITALL      0x100
#define MSG_NOSIGNAL     0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define BUF_DEFAULT      (208 * KiB)
#define BUF_MAX          (4 * MiB)
#define FDS_MAX          253 /* descriptors in one message (SCM_RIGHTS) */
#define ADDR_MAX         110 /* sizeof(struct sockaddr_un) */

enum { UNCONNECTED, LISTENING, CONNECTED };

struct msg {
	struct list link;
	size_t len, off;     /* bytes, and bytes already read (stream) */
	size_t cost;         /* what it counts against the receive buffer */
	struct file **files; /* SCM_RIGHTS */
	unsigned nfiles;
	bool delivered;      /* files handed out (those left get closed) */
	char from[ADDR_MAX]; /* the sender's address (datagrams) */
	unsigned fromlen;
	char data[];
};

/* An address: its bytes (a sockaddr_un as given, what getsockname
 * shows); a path name's key is the socket file it names (node, with a
 * reference), an abstract name's (sun_path[0] == 0) its bytes. */
struct addr {
	char name[ADDR_MAX];
	unsigned len; /* 0: none */
	struct file *node;
};
static const struct addr no_addr;

struct sock {
	int type, state;
	struct sock *peer; /* connected to (stream, seqpacket, pairs) */
	struct addr dest;  /* a datagram socket's connect() address */
	struct list queue; /* received messages */
	size_t queued, rcvbuf, sndbuf;
	bool rd_shut, wr_shut, peer_gone;
	int err; /* ECONNRESET once: the peer closed with data unread */
	struct list pending; /* connections waiting for accept (listening) */
	struct list link;    /* in its listener's pending, or bound list */
	unsigned npending, backlog;
	struct addr name;  /* bound address */
	int pid, uid, gid; /* credentials at socket()/connect() */
	int peer_cred[3];  /* the peer's pid, uid, gid when they paired */
	struct waitq wq;
	struct file *file;
	unsigned inflight;  /* its file's references held by queued messages */
	struct list flying; /* in flying_socks while inflight */
	/* the collector's: references from outside flying sockets' queues,
	 * its mark, and its work list */
	unsigned outside;
	bool reachable;
	struct sock *next_work;
};

static struct mutex sock_lock = {
    NULL, {SPINLOCK_INIT, LIST_INIT(sock_lock.wq.waiters)}};
static struct list bound = LIST_INIT(bound);
static struct list flying_socks = LIST_INIT(flying_socks);

/* Bytes queued on every socket: at most an eighth of memory, so many
 * full sockets cannot starve the rest of the system (senders get EAGAIN
 * or wait, as for one full socket). */
static size_t sock_mem;

static bool sock_mem_full(size_t cost)
{
	return sock_mem + cost > pmm_total_pages() * PAGE_SIZE / 8;
}

static void free_msg(struct msg *m)
{
	__atomic_sub_fetch(&sock_mem, m->cost, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < m->nfiles; i++)
		file_put(m->files[i]);
	kfree(m->files);
	kfree(m);
}

static const struct file_ops sock_ops;
static unsigned inflight_total; /* socket files held by queued messages */

/* The socket behind f, if f is one. */
static struct sock *as_sock(struct file *f)
{
	return f->ops == &sock_ops ? f->priv : NULL;
}

/* A cycle of sockets holding each other in their queues may exist: set
 * when a socket that is itself queued somewhere receives a socket (the
 * last edge of any cycle is one of those), cleared when none is queued. */
static bool maybe_cyclic;

/* m's descriptors are queued (on) or no longer (off): the sockets among
 * them. sock_lock held. */
static unsigned in_flight(struct msg *m, bool on)
{
	unsigned n = 0;

	if (!on && m->delivered)
		return 0;
	for (unsigned i = 0; i < m->nfiles; i++) {
		struct sock *s = as_sock(m->files[i]);
		if (!s)
			continue;
		n++;
		if (on && !s->inflight++)
			list_push_back(&flying_socks, &s->flying);
		else if (!on && !--s->inflight)
			list_remove(&s->flying);
		inflight_total += on ? 1 : -1;
	}
	m->delivered = !on;
	maybe_cyclic &= inflight_total != 0;
	return n;
}

/* Free messages taken off a queue, with sock_lock NOT held: putting a
 * descriptor may close a socket, which takes the lock. */
static void free_msgs(struct list *dead)
{
	struct list *it;

	while ((it = list_pop_front(dead)))
		free_msg(container_of(it, struct msg, link));
}

/* Wake both ends' waiters (state changed). */
static void kick(struct sock *s)
{
	waitq_wake_all(&s->wq);
	if (s->peer)
		waitq_wake_all(&s->peer->wq);
}

static void backlog_bump(void);

static struct sock *sock_new(int type)
{
	struct sock *s = kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->rcvbuf = s->sndbuf = BUF_DEFAULT;
	list_init(&s->queue);
	list_init(&s->pending);
	list_init(&s->link);
	list_init(&s->flying);
	waitq_init(&s->wq);
	s->pid = current_proc()->pid;
	s->uid = current_proc()->cred.uid.eff; /* Linux's SO_PEERCRED */
	s->gid = current_proc()->cred.gid.eff;
	s->peer_cred[1] = s->peer_cred[2] = -1; /* no peer yet */
	return s;
}

/* Free a socket that never had a file (or whose file failed). */
static void sock_discard(struct sock *s)
{
	kfree(s);
}

/* A file for s installed as a descriptor: the fd, or an error (and s is
 * gone). */
static int sock_install(struct sock *s, unsigned flags)
{
	int fd;

	s->file = file_alloc(&sock_ops, s, O_RDWR | (flags & SOCK_NONBLOCK));
	if (!s->file) {
		sock_discard(s);
		return -ENOMEM;
	}
	s->file->wq = &s->wq;
	s->file->mode = LUX_S_IFSOCK | 0777;
	if ((fd = fd_install(s->file, 0, flags & SOCK_CLOEXEC)) < 0)
		file_put(s->file);
	return fd;
}

static struct sock *sock_of(int fd, struct file **f)
{
	if (!(*f = fd_get(fd)))
		return NULL;
	if ((*f)->ops != &sock_ops) {
		file_put(*f);
		*f = NULL;
		return NULL;
	}
	return (*f)->priv;
}

/* Both errors of a descriptor that is not (or is not a) socket. */
#define SOCK_OR_FAIL(s, fd, f)                                                 \
	struct file *f;                                                        \
	struct sock *s = sock_of(fd, &f);                                      \
	if (!s)                                                                \
	return f || fd_open(fd) ? -ENOTSOCK : -EBADF

/* Connect a and b; each keeps the other's credentials for SO_PEERCRED,
 * which Linux still answers after the peer is gone. */
static void pair(struct sock *a, struct sock *b)
{
	a->peer = b;
	b->peer = a;
	memcpy(a->peer_cred, (int[3]){b->pid, b->uid, b->gid}, 12);
	memcpy(b->peer_cred, (int[3]){a->pid, a->uid, a->gid}, 12);
	a->state = b->state = CONNECTED;
}

/* LUX_SOCK_NEW: a socket of type (with SOCK_NONBLOCK, SOCK_CLOEXEC): its
 * descriptor; with ufds, a connected pair, its descriptors there: 0. */
static long sock_create(long type, long ufds)
{
	long t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct sock *a, *b;
	int fds[2];

	if (t != SOCK_STREAM && t != SOCK_DGRAM && t != SOCK_SEQPACKET)
		return -EINVAL;
	a = sock_new(t);
	if (!ufds)
		return a ? sock_install(a, type) : -ENOMEM;
	b = sock_new(t);
	if (!a || !b) {
		sock_discard(a);
		sock_discard(b);
		return -ENOMEM;
	}
	pair(a, b);
	if ((fds[0] = sock_install(a, type)) < 0) {
		b->peer = NULL;
		sock_discard(b);
		return fds[0];
	}
	if ((fds[1] = sock_install(b, type)) < 0) {
		sys_close(fds[0]);
		return fds[1];
	}
	if (copy_to_user((void *)ufds, fds, sizeof(fds))) {
		sys_close(fds[0]);
		sys_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* Whether the caller owns socket file f, by its server's STAT: 0,
 * -EADDRINUSE, or the request's error. Bind takes only a file of its
 * own, as Linux's bind takes only a file it makes. */
static int node_owned(struct file *f)
{
	struct lux_req *q = chan_msg_alloc(LUX_STAT, 0);
	struct lux_rep rep;
	struct lux_stat st;
	uint32_t euid = current_proc()->cred.uid.eff;
	int r = q ? rfile_call(f, q, &rep, &st, sizeof(st)) : -ENOMEM;

	if (!r &&
	    (rep.result < 0 || chan_payload(&rep, sizeof(st)) < sizeof(st) ||
	     (st.uid != euid && euid)))
		r = -EADDRINUSE;
	return r;
}

/* Copy in the sockaddr_un of len bytes at uaddr, keyed (struct addr) by
 * namefd for a path name: a descriptor of the socket file, which its
 * server opened for the caller, so the caller could reach it by path
 * with its own rights. 0 or -errno (ECONNREFUSED: no socket file); bind
 * (own) also wants the file to be the caller's. Without sock_lock. */
static int get_addr(long uaddr, long len, long namefd, struct addr *a, bool own)
{
	a->node = NULL;
	if (len <= 2 || len > ADDR_MAX)
		return -EINVAL;
	if (copy_from_user(a->name, (void *)uaddr, len))
		return -EFAULT;
	if (*(uint16_t *)a->name != AF_UNIX)
		return -EINVAL;
	a->len = len;
	if (!a->name[2])
		return 0;
	if (!(a->node = fd_get(namefd)))
		return -EBADF;
	if (!rfile_info(a->node, NULL, NULL, NULL) ||
	    !LUX_S_ISSOCK(a->node->mode))
		return -ECONNREFUSED;
	return own ? node_owned(a->node) : 0;
}

/* Drop a's reference to its socket file. */
static void addr_put(struct addr *a)
{
	if (a->node)
		file_put(a->node);
	a->node = NULL;
}

/* Whether a and b name the same socket: an abstract name's bytes, a path
 * name's server object (channel and handle). */
static bool same_addr(const struct addr *a, const struct addr *b)
{
	struct chan *ca, *cb;
	uint64_t ha, hb;

	if (!a->node || !b->node)
		return !a->node && !b->node && a->len == b->len &&
		       !memcmp(a->name, b->name, a->len);
	rfile_info(a->node, &ca, &ha, NULL);
	rfile_info(b->node, &cb, &hb, NULL);
	return ca == cb && ha == hb;
}

/* The socket bound to a (of type type, -1: any). sock_lock held. */
static struct sock *find_bound(const struct addr *a, int type)
{
	struct list *it;

	list_for_each(it, &bound)
	{
		struct sock *s = container_of(it, struct sock, link);
		if (same_addr(&s->name, a) && (type < 0 || s->type == type))
			return s;
	}
	return NULL;
}

/* LUX_SOCK_BIND. */
static long sock_bind(long fd, long uaddr, long len, long namefd)
{
	struct addr a = {.node = NULL};
	long r;
	SOCK_OR_FAIL(s, fd, f);

	r = s->name.len ? -EINVAL : get_addr(uaddr, len, namefd, &a, true);
	mutex_lock(&sock_lock);
	if (!r && s->name.len)
		r = -EINVAL;
	else if (!r && find_bound(&a, -1))
		r = -EADDRINUSE;
	else if (!r) {
		s->name = a;
		a.node = NULL; /* s's now */
		list_push_back(&bound, &s->link);
	}
	mutex_unlock(&sock_lock);
	addr_put(&a);
	file_put(f);
	return r;
}

long sys_listen(long fd, long backlog)
{
	long r = 0;
	SOCK_OR_FAIL(s, fd, f);

	mutex_lock(&sock_lock);
	if (s->type == SOCK_DGRAM)
		r = -EOPNOTSUPP;
	else if (s->state == CONNECTED || !s->name.len)
		r = -EINVAL;
	else {
		s->state = LISTENING;
		s->backlog = MAX(1, MIN(backlog, 4096));
	}
	mutex_unlock(&sock_lock);
	kick(s);
	file_put(f);
	return r;
}

/* Connectors waiting for backlog room, and senders waiting for room in a
 * queue, watch this count: every accept, receive, shutdown and close
 * bumps it. */
static struct waitq backlog_wq = {SPINLOCK_INIT, LIST_INIT(backlog_wq.waiters)};
static volatile unsigned backlog_gen;

static bool backlog_moved(void *seen)
{
	return backlog_gen != *(unsigned *)seen;
}

static void backlog_bump(void)
{
	backlog_gen++;
	waitq_wake_all(&backlog_wq);
}

/* Connect s to the listener at a: a new server-side socket joins the
 * listener's pending queue, connected to s; a datagram socket takes a as
 * its destination (and a gets its old one, to be put). sock_lock held. */
static long connect_locked(struct sock *s, struct addr *a, struct sock **spare)
{
	struct sock *l = find_bound(a, s->type), *srv = *spare;

	if (!l || (s->type != SOCK_DGRAM && l->state != LISTENING))
		return -ECONNREFUSED;
	if (s->type == SOCK_DGRAM) { /* the default destination */
		struct addr old = s->dest;
		s->dest = *a;
		*a = old;
		return 0;
	}
	if (s->state == CONNECTED)
		return -EISCONN;
	if (s->state == LISTENING)
		return -EINVAL;
	if (l->npending > l->backlog)
		return -EAGAIN;
	if (!srv)
		return -ENOMEM;
	*spare = NULL; /* used */
	srv->pid = l->pid, srv->uid = l->uid, srv->gid = l->gid;
	memcpy(srv->name.name, l->name.name, srv->name.len = l->name.len);
	pair(s, srv);
	list_push_back(&l->pending, &srv->link);
	l->npending++;
	waitq_wake_all(&l->wq);
	return 0;
}

/* LUX_SOCK_CONNECT. */
static long sock_connect(long fd, long uaddr, long len, long namefd)
{
	struct addr a;
	SOCK_OR_FAIL(s, fd, f);
	long r = get_addr(uaddr, len, namefd, &a, false);

	struct sock *spare = s->type == SOCK_DGRAM ? NULL : sock_new(s->type);
	for (;;) {
		unsigned seen = backlog_gen;
		mutex_lock(&sock_lock);
		r = r < 0 ? r : connect_locked(s, &a, &spare);
		mutex_unlock(&sock_lock);
		if (r != -EAGAIN || (f->flags & O_NONBLOCK))
			break;
		r = 0;
		if (wait_intr(&backlog_wq, backlog_moved, &seen, 0) < 0) {
			r = -ERESTARTSYS;
			break;
		}
	}
	sock_discard(spare);
	addr_put(&a);
	file_put(f);
	return r;
}

static bool has_pending(void *arg)
{
	struct sock *s = arg;
	return !list_empty(&s->pending) || s->state != LISTENING || s->rd_shut;
}

/* LUX_SOCK_ACCEPT: the next connection's descriptor (flags:
 * SOCK_NONBLOCK, SOCK_CLOEXEC). */
static long sock_accept(long fd, long flags)
{
	struct sock *c = NULL;
	long r = 0;
	SOCK_OR_FAIL(s, fd, f);

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		r = -EINVAL;
	while (!r) {
		mutex_lock(&sock_lock);
		if (s->type == SOCK_DGRAM)
			r = -EOPNOTSUPP;
		else if (s->state != LISTENING || s->rd_shut)
			r = -EINVAL;
		else if (!list_empty(&s->pending)) {
			c = container_of(list_pop_front(&s->pending),
					 struct sock, link);
			s->npending--;
		}
		mutex_unlock(&sock_lock);
		if (r || c)
			break;
		if (f->flags & O_NONBLOCK)
			r = -EAGAIN;
		else if (wait_intr(&s->wq, has_pending, s, 0) < 0)
			r = -ERESTARTSYS;
	}
	if (c) {
		backlog_bump();
		r = sock_install(c, flags);
	}
	file_put(f);
	return r;
}

/* Free s: its peer sees EOF (or EPIPE), connections it had not accepted
 * are refused, its name is free again. */
static void sock_drop(struct sock *s)
{
	struct list *it;

	mutex_lock(&sock_lock);
	list_remove(&s->link); /* bound, or pending on a listener */
	while ((it = list_pop_front(&s->pending))) {
		struct sock *c = container_of(it, struct sock, link);
		if (c->peer)
			c->peer->peer_gone = true, kick(c->peer),
			c->peer->peer = 0;
		c->peer = NULL;
		mutex_unlock(&sock_lock);
		sock_drop(c);
		mutex_lock(&sock_lock);
	}
	if (s->peer) {
		if (!list_empty(&s->queue))
			s->peer->err = -ECONNRESET;
		s->peer->peer_gone = true;
		s->peer->peer = NULL;
		waitq_wake_all(&s->peer->wq);
	}
	struct list dead = LIST_INIT(dead);
	while ((it = list_pop_front(&s->queue))) {
		in_flight(container_of(it, struct msg, link), false);
		list_push_back(&dead, it);
	}
	mutex_unlock(&sock_lock);
	free_msgs(&dead);
	backlog_bump(); /* also wakes senders waiting for room */
	addr_put(&s->name);
	addr_put(&s->dest);
	kfree(s);
}

/* Call fn(t, work) for each socket t queued, not yet delivered, in s's
 * queue. sock_lock held. */
static void each_queued(struct sock *s,
			void (*fn)(struct sock *, struct sock **),
			struct sock **work)
{
	struct list *it;

	list_for_each(it, &s->queue)
	{
		struct msg *m = container_of(it, struct msg, link);
		for (unsigned i = 0; !m->delivered && i < m->nfiles; i++)
			if (as_sock(m->files[i]))
				fn(as_sock(m->files[i]), work);
	}
}

static void count_inside(struct sock *t, struct sock **unused)
{
	(void)unused;
	t->outside--;
}

/* Mark t reachable and put it on the work list to scan its queue. */
static void mark(struct sock *t, struct sock **work)
{
	if (t->reachable)
		return;
	t->reachable = true;
	t->next_work = *work;
	*work = t;
}

/*
 * Collect sockets kept alive only by each other's queues (descriptors
 * passed through their own connections). Only queued sockets are looked
 * at: a queued socket referenced from outside the queues of queued
 * sockets (a descriptor, an unqueued socket's queue, a call in progress)
 * is live, and so is what its queue holds, transitively; the rest is
 * garbage and loses its queue, which closes it. Time and memory are
 * linear in the queued sockets and their messages; no recursion.
 */
static void collect_cycles(void)
{
	static bool running;
	struct list dead = LIST_INIT(dead), *it;
	struct sock *work = NULL, *s;

	mutex_lock(&sock_lock);
	if (running || !maybe_cyclic) {
		mutex_unlock(&sock_lock);
		return;
	}
	running = true;
	list_for_each(it, &flying_socks)
	{
		s = container_of(it, struct sock, flying);
		s->outside = __atomic_load_n(&s->file->refs, __ATOMIC_SEQ_CST);
		s->reachable = false;
	}
	list_for_each(it, &flying_socks) each_queued(
	    container_of(it, struct sock, flying), count_inside, NULL);
	list_for_each(it, &flying_socks)
	{
		s = container_of(it, struct sock, flying);
		if (s->outside)
			mark(s, &work);
	}
	while ((s = work)) {
		work = s->next_work;
		each_queued(s, mark, &work);
	}
	list_for_each(it, &flying_socks)
	{
		s = container_of(it, struct sock, flying);
		if (!s->reachable)
			s->next_work = work, work = s;
	}
	for (; (s = work); work = s->next_work) {
		while ((it = list_pop_front(&s->queue))) {
			in_flight(container_of(it, struct msg, link), false);
			list_push_back(&dead, it);
		}
		s->queued = 0;
	}
	mutex_unlock(&sock_lock);
	free_msgs(&dead); /* closes the garbage */
	mutex_lock(&sock_lock);
	running = false;
	mutex_unlock(&sock_lock);
}

static void sock_release(struct file *f)
{
	sock_drop(f->priv);
}

/* A descriptor of a socket went, others remain: when only queued
 * messages hold it now, it may be garbage. */
static void sock_unref(struct file *f)
{
	struct sock *s = f->priv;

	if (__atomic_load_n(&f->refs, __ATOMIC_SEQ_CST) <=
	    __atomic_load_n(&s->inflight, __ATOMIC_SEQ_CST))
		collect_cycles();
}

/* The socket a message from s goes to, or an error. sock_lock held. */
static struct sock *destination(struct sock *s, const struct addr *to,
				long *err)
{
	struct sock *d = NULL;

	if (s->type != SOCK_DGRAM) {
		*err = s->peer_gone || s->wr_shut          ? -EPIPE
		       : s->state != CONNECTED || !s->peer ? -ENOTCONN
							   : 0;
		d = *err ? NULL : s->peer;
	} else if (to->len || s->dest.len) {
		d = find_bound(to->len ? to : &s->dest, SOCK_DGRAM);
		*err = d ? 0 : -ECONNREFUSED;
	} else {
		d = s->peer;
		*err = d ? 0 : s->peer_gone ? -ECONNREFUSED : -ENOTCONN;
	}
	if (d && d->rd_shut)
		*err = -EPIPE;
	return *err ? NULL : d;
}

struct io {
	struct {
		char *base;
		size_t len;
	} iov[16];
	unsigned n;
	size_t len;
};

/* Read a user iovec array (at most 16 entries for sockets). */
static long get_iov(long uiov, long n, struct io *io)
{
	if (n < 0 || n > 16)
		return -EMSGSIZE;
	if (copy_from_user(io->iov, (void *)uiov, n * sizeof(io->iov[0])))
		return -EFAULT;
	io->n = n;
	io->len = 0;
	for (long i = 0; i < n; i++) {
		if ((long)io->iov[i].len < 0)
			return -EINVAL;
		io->len += io->iov[i].len;
	}
	return 0;
}

/* Copy between io (user memory, from byte off) and buf. */
static int io_copy(struct io *io, size_t off, char *buf, size_t n, bool out)
{
	for (unsigned i = 0; i < io->n && n; i++) {
		if (off >= io->iov[i].len) {
			off -= io->iov[i].len;
			continue;
		}
		size_t k = MIN(n, io->iov[i].len - off);
		if (out ? copy_to_user(io->iov[i].base + off, buf, k)
			: copy_from_user(buf, io->iov[i].base + off, k))
			return -EFAULT;
		buf += k, n -= k, off = 0;
	}
	return 0;
}

/* Send io (and files) from s; bytes sent or an error. A stream goes in
 * pieces as the peer has room; a datagram whole or not at all. */
static long sock_send(struct sock *s, struct file *f, struct io *io,
		      const struct addr *to, struct file **files,
		      unsigned nfiles, int flags)
{
	size_t done = 0;
	long err = 0;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);

	if (s->type != SOCK_STREAM && io->len > s->sndbuf)
		err = -EMSGSIZE;
	else if (s->type == SOCK_STREAM && to->len) /* streams take none */
		err = s->state == CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET)
		to = &no_addr; /* ignored, as on Linux */
	while (!err) {
		size_t n = s->type == SOCK_STREAM
			       ? MIN(io->len - done, 64 * KiB)
			       : io->len;
		struct msg *m = kzalloc(sizeof(*m) + n);
		unsigned seen = backlog_gen;
		if (!m) {
			err = -ENOMEM;
			break;
		}
		m->len = n;
		if (io_copy(io, done, m->data, n, false)) {
			kfree(m);
			err = -EFAULT;
			break;
		}
		mutex_lock(&sock_lock);
		struct sock *d = NULL;
		if ((err = s->err))
			s->err = 0;
		else
			d = destination(s, to, &err);
		/* the message's own size and its descriptors count too, so
		 * small messages carrying descriptors cannot grow the queue
		 * without bound */
		m->cost = sizeof(*m) + n + (done ? 0 : nfiles * sizeof(*files));
		if (d && ((d->queued && d->queued + m->cost > d->rcvbuf) ||
			  sock_mem_full(m->cost)))
			err = -EAGAIN;
		if (!err) {
			if (!done && nfiles) {
				m->files = files, m->nfiles = nfiles;
				files = NULL, nfiles = 0;
				if (in_flight(m, true) && d->inflight)
					maybe_cyclic = true;
			}
			memcpy(m->from, s->name.name, s->name.len);
			m->fromlen = s->name.len;
			list_push_back(&d->queue, &m->link);
			d->queued += m->cost;
			__atomic_add_fetch(&sock_mem, m->cost,
					   __ATOMIC_RELAXED);
			done += n;
			waitq_wake_all(&d->wq);
		}
		mutex_unlock(&sock_lock);
		if (err)
			kfree(m);
		if (err == -EAGAIN && !nonblock) {
			if (wait_intr(&backlog_wq, backlog_moved, &seen, 0) < 0)
				err = -ERESTARTSYS;
			else
				err = 0;
		}
		if (done >= io->len)
			break;
	}
	for (unsigned i = 0; i < nfiles; i++) /* never sent */
		file_put(files[i]);
	kfree(files);
	if (err == -EPIPE && !(flags & MSG_NOSIGNAL)) {
		struct ksiginfo info = {.pid = current_proc()->pid};
		signal_send(current_proc(), current_thread(), SIGPIPE, &info);
	}
	return done ? (long)done : err;
}

static bool readable(void *arg)
{
	struct sock *s = arg;
	return !list_empty(&s->queue) || s->peer_gone || s->rd_shut ||
	       (s->peer && s->peer->wr_shut) ||
	       (s->type == SOCK_STREAM && s->state != CONNECTED);
}

struct recv_out {
	long ufds;           /* where the received descriptors' numbers go */
	unsigned room;       /* how many fit there */
	long nfds;           /* how many went (or -EFAULT) */
	char from[ADDR_MAX]; /* the sender's address (datagrams) */
	unsigned fromlen;
	int msg_flags;
};

/* Give m's files descriptors, as many as out has room for, their numbers
 * to out->ufds: how many, or -EFAULT. Files that do not fit stay in the
 * message, to be closed when it is freed, and MSG_CTRUNC is set, as on
 * Linux. sock_lock held (so nothing is closed here). */
static long deliver_files(struct msg *m, struct recv_out *out, int flags)
{
	int fds[FDS_MAX];
	unsigned n = 0, left = 0;

	in_flight(m, false);
	for (unsigned i = 0; i < m->nfiles; i++) {
		int fd = n < out->room ? fd_install(m->files[i], 0,
						    flags & MSG_CMSG_CLOEXEC)
				       : -1;
		if (fd < 0) {
			m->files[left++] = m->files[i];
			out->msg_flags |= MSG_CTRUNC;
		} else {
			fds[n++] = fd;
		}
	}
	m->nfiles = left;
	return n && copy_to_user((void *)out->ufds, fds, 4 * n) ? -EFAULT
								: (long)n;
}

/* Receive into io; bytes (or the datagram's length with MSG_TRUNC), 0 at
 * EOF, or an error. Streams gather across messages but stop after one
 * that carries descriptors; datagrams come one at a time. */
static long sock_recv(struct sock *s, struct file *f, struct io *io, int flags,
		      struct recv_out *out)
{
	size_t got = 0;
	long r = 0;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
	bool took = false; /* a whole message (even empty) was taken */
	struct list dead = LIST_INIT(dead);

	for (;;) {
		mutex_lock(&sock_lock);
		struct list *it = s->queue.next;
		bool was_full = s->queued >= s->rcvbuf;
		if (s->err && !got) {
			r = s->err;
			s->err = 0;
		}
		while (it != &s->queue &&
		       (got < io->len || s->type != SOCK_STREAM) && !r &&
		       !took) {
			struct msg *m = container_of(it, struct msg, link);
			size_t n = MIN(io->len - got, m->len - m->off);
			bool whole = s->type != SOCK_STREAM;
			it = it->next;
			if (io_copy(io, got, m->data + m->off, n, true)) {
				r = -EFAULT;
				break;
			}
			got += n;
			memcpy(out->from, m->from, out->fromlen = m->fromlen);
			if (m->nfiles && !m->delivered && !(flags & MSG_PEEK))
				out->nfds = deliver_files(m, out, flags);
			took = whole;
			if (whole && m->len > n) {
				out->msg_flags |= MSG_TRUNC;
				if (flags & MSG_TRUNC)
					got = m->len;
			}
			if (flags & MSG_PEEK) {
				if (whole)
					break;
				continue;
			}
			m->off += n;
			if (whole || m->off == m->len) {
				s->queued -= m->cost;
				list_remove(&m->link);
				in_flight(m, false);
				list_push_back(&dead, &m->link);
			}
			if (whole || out->nfds)
				break;
		}
		if (was_full && s->queued < s->rcvbuf && s->peer)
			waitq_wake_all(&s->peer->wq); /* a poll for POLLOUT */
		bool queued = !list_empty(&s->queue);
		bool eof = readable(s) && !queued;
		bool unconnected =
		    s->type == SOCK_STREAM && s->state != CONNECTED;
		mutex_unlock(&sock_lock);
		free_msgs(&dead);
		if (got && !(flags & MSG_PEEK))
			backlog_bump(); /* room for senders */
		/* Done once something came (all of it for MSG_WAITALL, but a
		 * peek takes only what is queued: peeking again would find
		 * the same bytes and never sleep), or a zero-length read finds
		 * data, as Linux's. */
		if (r || took ||
		    (got && (!(flags & MSG_WAITALL) || (flags & MSG_PEEK))) ||
		    (got == io->len && (got || queued)))
			break;
		if (eof) /* recv on an unconnected stream: EINVAL, as Linux */
			return got ? (long)got : unconnected ? -EINVAL : 0;
		if (nonblock)
			return got ? (long)got : -EAGAIN;
		if (wait_intr(&s->wq, readable, s, 0) < 0)
			return got ? (long)got : -ERESTARTSYS;
	}
	return r && !got ? r : (long)got;
}

/* One io of one buffer. */
static void io_one(struct io *io, long ubuf, size_t len)
{
	io->iov[0].base = (char *)ubuf;
	io->iov[0].len = len;
	io->n = 1;
	io->len = len;
}

/* The files of the n descriptors at ufds, with references: 0 or
 * -errno (EINVAL past FDS_MAX). */
static long get_files(long ufds, unsigned n, struct file ***files)
{
	int fds[FDS_MAX];

	*files = NULL;
	if (n > FDS_MAX)
		return -EINVAL;
	if (n && copy_from_user(fds, (void *)ufds, n * 4))
		return -EFAULT;
	if (n && !(*files = kzalloc(n * sizeof(**files))))
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		if (!((*files)[i] = fd_get(fds[i]))) {
			while (i--)
				file_put((*files)[i]);
			kfree(*files);
			return -EBADF;
		}
	return 0;
}

/* LUX_NR_SOCKMSG's send: io from s to m's destination with m's files. */
static long msg_send(struct sock *s, struct file *f, struct io *io,
		     const struct lux_sockmsg *m, int flags)
{
	struct addr to = {.len = 0, .node = NULL};
	struct file **files;
	long r = m->namelen
		     ? get_addr(m->name, m->namelen, m->namefd, &to, false)
		     : 0;

	if (!r && !(r = get_files(m->fds, m->nfds, &files)))
		r = sock_send(s, f, io, &to, files, m->nfds, flags);
	addr_put(&to);
	return r;
}

/* LUX_NR_SOCKMSG's receive into io: the source's name, the descriptors
 * and the flags out, m written back to umsg. */
static long msg_recv(struct sock *s, struct file *f, struct io *io,
		     struct lux_sockmsg *m, long umsg, int flags)
{
	struct recv_out out = {.ufds = m->fds, .room = MIN(m->nfds, FDS_MAX)};
	long r = sock_recv(s, f, io, flags, &out);

	if (r < 0)
		return r;
	m->namelen = out.fromlen;
	m->nfds = MAX(out.nfds, 0);
	m->flags = out.msg_flags;
	if (out.nfds < 0 ||
	    (m->name && copy_to_user((void *)m->name, out.from, out.fromlen)) ||
	    copy_to_user((void *)umsg, m, sizeof(*m)))
		return -EFAULT;
	return r;
}

static long sock_msg(long fd, long recv, long umsg, long flags)
{
	struct lux_sockmsg m;
	struct io io;
	long r;
	SOCK_OR_FAIL(s, fd, f);

	if (copy_from_user(&m, (void *)umsg, sizeof(m)))
		r = -EFAULT;
	else if (!(r = get_iov(m.iov, m.iovlen, &io)))
		r = recv ? msg_recv(s, f, &io, &m, umsg, flags)
			 : msg_send(s, f, &io, &m, flags);
	file_put(f);
	return r;
}

long sys_shutdown(long fd, long how)
{
	long r = 0;
	SOCK_OR_FAIL(s, fd, f);

	mutex_lock(&sock_lock);
	if (how < 0 || how > 2)
		r = -EINVAL;
	else if (s->state == UNCONNECTED && s->type != SOCK_DGRAM)
		r = -ENOTCONN;
	else {
		s->rd_shut |= how != 1;
		s->wr_shut |= how != 0;
		kick(s);
	}
	mutex_unlock(&sock_lock);
	backlog_bump();
	file_put(f);
	return r;
}

/* LUX_SOCK_INFO: what getsockname, getpeername and getsockopt report;
 * take_error takes the pending error, as SO_ERROR does. */
static long sock_info(long fd, long uinfo, long take_error)
{
	struct lux_sockinfo i = {0};
	SOCK_OR_FAIL(s, fd, f);

	mutex_lock(&sock_lock);
	i.type = s->type;
	i.listening = s->state == LISTENING;
	i.error = -s->err;
	if (take_error)
		s->err = 0;
	i.sndbuf = s->sndbuf;
	i.rcvbuf = s->rcvbuf;
	memcpy(i.peer_cred, s->peer_cred, sizeof(i.peer_cred));
	memcpy(i.name, s->name.name, i.namelen = s->name.len);
	i.peerlen = s->peer ? (int)s->peer->name.len : -1;
	if (s->peer)
		memcpy(i.peer, s->peer->name.name, i.peerlen);
	mutex_unlock(&sock_lock);
	file_put(f);
	return copy_to_user((void *)uinfo, &i, sizeof(i)) ? -EFAULT : 0;
}

/* LUX_SOCK_SETBUF: the send (rcv 0) or receive buffer's size. */
static long sock_setbuf(long fd, long rcv, long bytes)
{
	SOCK_OR_FAIL(s, fd, f);

	*(rcv ? &s->rcvbuf : &s->sndbuf) = MIN((size_t)bytes, BUF_MAX);
	file_put(f);
	return 0;
}

typedef long (*sock_op)(long, long, long, long);

/* Run op, which may wait: from inside the personality, with the
 * program's signal mask (persona_wait_begin, kernel/include/proc.h). */
static long sock_call(sock_op op, long a, long b, long c, long d)
{
	uint64_t mask = persona_wait_begin(current_thread());

	return persona_wait_end(mask, op(a, b, c, d));
}

long sys_lux_socket(long op, long a, long b, long c, long d)
{
	static const sock_op ops[] = {[LUX_SOCK_NEW] = (sock_op)sock_create,
				      [LUX_SOCK_BIND] = sock_bind,
				      [LUX_SOCK_CONNECT] = sock_connect,
				      [LUX_SOCK_ACCEPT] = (sock_op)sock_accept,
				      [LUX_SOCK_INFO] = (sock_op)sock_info,
				      [LUX_SOCK_SETBUF] = (sock_op)sock_setbuf};

	if (op < 0 || op >= (long)ARRAY_SIZE(ops))
		return -EINVAL;
	return sock_call(ops[op], a, b, c, d);
}

long sys_lux_sockmsg(long fd, long recv, long umsg, long flags)
{
	return sock_call(sock_msg, fd, recv, umsg, flags);
}

static unsigned sock_poll(struct file *f)
{
	struct sock *s = f->priv;
	unsigned ev = 0;

	if (!list_empty(&s->queue) ||
	    (s->state == LISTENING && !list_empty(&s->pending)) ||
	    (s->state != LISTENING && readable(s)))
		ev |= POLLIN;
	if (s->type == SOCK_DGRAM ||
	    (s->peer && s->peer->queued < s->peer->rcvbuf && !s->wr_shut))
		ev |= POLLOUT;
	/* each direction is shut by either end, as Linux counts it */
	bool rcv = s->peer_gone || s->rd_shut || (s->peer && s->peer->wr_shut);
	bool snd = s->peer_gone || s->wr_shut || (s->peer && s->peer->rd_shut);
	if (rcv && snd)
		ev |= POLLHUP;
	if (rcv)
		ev |= POLLRDHUP | POLLIN;
	return ev;
}

static long sock_read(struct file *f, char *ubuf, size_t n)
{
	struct io io;
	struct recv_out out = {0};

	io_one(&io, (long)ubuf, n);
	return sock_recv(f->priv, f, &io, 0, &out);
}

static long sock_write(struct file *f, const char *ubuf, size_t n)
{
	struct io io;

	io_one(&io, (long)ubuf, n);
	return sock_send(f->priv, f, &io, &no_addr, NULL, 0, 0);
}

static const struct file_ops sock_ops = {.read = sock_read,
					 .write = sock_write,
					 .release = sock_release,
					 .poll = sock_poll,
					 .unref = sock_unref};
