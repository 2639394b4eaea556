/*
 * socket.c - Unix domain sockets: SOCK_STREAM (a byte stream),
 * SOCK_DGRAM and SOCK_SEQPACKET (boundaries kept), socketpair,
 * abstract and path-name addresses (a path names the socket file bind
 * made through its server; the kernel keys the binding by that file's
 * device and inode), listen/accept/connect, SCM_RIGHTS, SO_PEERCRED,
 * shutdown and Linux's EOF/EPIPE rules. Each socket queues what it is
 * sent, bounded by its receive buffer; a sender waits (or gets EAGAIN)
 * while the peer's queue is full. One mutex guards all socket state;
 * waits happen outside it.
 */
#include "file.h"
#include "fs.h"
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
#define SOL_SOCKET       1
#define SCM_RIGHTS       1
#define SO_TYPE          3
#define SO_ERROR         4
#define SO_SNDBUF        7
#define SO_RCVBUF        8
#define SO_PEERCRED      17
#define BUF_DEFAULT      (208 * KiB)
#define BUF_MAX          (4 * MiB)
#define FDS_MAX          253 /* descriptors in one SCM_RIGHTS message */

enum { UNCONNECTED, LISTENING, CONNECTED };

struct msg {
	struct list link;
	size_t len, off;     /* bytes, and bytes already read (stream) */
	size_t cost;         /* what it counts against the receive buffer */
	struct file **files; /* SCM_RIGHTS */
	unsigned nfiles;
	bool delivered; /* files handed out (those left get closed) */
	char from[110]; /* the sender's address (datagrams) */
	unsigned fromlen;
	char data[];
};

#define ADDR_MAX  110             /* sizeof(struct sockaddr_un) */
#define ADDR_SIZE (ADDR_MAX + 16) /* and a path name's (dev, ino) */

struct sock {
	int type, state;
	struct sock *peer;    /* connected to (stream, seqpacket, pairs) */
	char dest[ADDR_SIZE]; /* a datagram socket's connect() address */
	unsigned destlen;
	struct list queue; /* received messages */
	size_t queued, rcvbuf, sndbuf;
	bool rd_shut, wr_shut, peer_gone;
	int err; /* ECONNRESET once: the peer closed with data unread */
	struct list pending; /* connections waiting for accept (listening) */
	struct list link;    /* in its listener's pending, or bound list */
	unsigned npending, backlog;
	char name[ADDR_SIZE]; /* bound address (sun_family + path) */
	unsigned namelen;
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
static void sock_drop(struct sock *s);

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

static bool valid_type(long type)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	return type == SOCK_STREAM || type == SOCK_DGRAM ||
	       type == SOCK_SEQPACKET;
}

long sys_socket(long domain, long type, long protocol)
{
	struct sock *s;

	int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (domain != AF_UNIX)
		return -EAFNOSUPPORT;
	if (t == 3) { /* SOCK_RAW is a datagram socket here, as on Linux */
		type = (type & ~t) | SOCK_DGRAM;
		t = SOCK_DGRAM;
	}
	if (t == 4) /* SOCK_RDM */
		return -ESOCKTNOSUPPORT;
	if (!valid_type(type))
		return -EINVAL;
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	if (!(s = sock_new(t)))
		return -ENOMEM;
	return sock_install(s, type);
}

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

long sys_socketpair(long domain, long type, long protocol, long ufds)
{
	struct sock *a, *b;
	int fds[2];

	if (domain != AF_UNIX)
		return -EAFNOSUPPORT;
	if (!valid_type(type) || protocol)
		return -EINVAL;
	if (!user_range((void *)ufds, sizeof(fds)))
		return -EFAULT;
	a = sock_new(type & 0xf);
	b = sock_new(type & 0xf);
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

/* Copy in a sockaddr_un: its length, or an error. An abstract name
 * (sun_path[0] == 0) is its bytes; a path name is the file it names: its
 * (dev, ino) go after the address, at name + ADDR_MAX (bind makes the
 * file first: create). Call without sock_lock: servers answer. */
static int get_addr(long uaddr, long len, char name[ADDR_SIZE], bool create)
{
	char path[ADDR_MAX - 1];
	uint64_t node[2];
	int r;

	if (len <= 2 || len > ADDR_MAX)
		return -EINVAL;
	if (copy_from_user(name, (void *)uaddr, len))
		return -EFAULT;
	if (*(uint16_t *)name != AF_UNIX)
		return -EINVAL;
	if (name[2] == '\0')
		return len;
	memcpy(path, name + 2, len - 2);
	path[len - 2] = '\0';
	if ((r = fs_socket_node(path, create, node)))
		return r;
	memcpy(name + ADDR_MAX, node, sizeof(node));
	return len;
}

/* The socket bound to name (of type type, -1: any): the same bytes for
 * an abstract name, the same file for a path name. */
static struct sock *find_bound(const char *name, unsigned len, int type)
{
	struct list *it;

	list_for_each(it, &bound)
	{
		struct sock *s = container_of(it, struct sock, link);
		bool same =
		    name[2] ? s->name[2] && !memcmp(s->name + ADDR_MAX,
						    name + ADDR_MAX, 16)
			    : s->namelen == len && !memcmp(s->name, name, len);
		if (same && (type < 0 || s->type == type))
			return s;
	}
	return NULL;
}

long sys_bind(long fd, long uaddr, long len)
{
	char name[ADDR_SIZE];
	int n, r = 0;
	SOCK_OR_FAIL(s, fd, f);

	n = s->namelen ? -EINVAL : get_addr(uaddr, len, name, true);
	mutex_lock(&sock_lock);
	if (n < 0)
		r = n;
	else if (s->namelen)
		r = -EINVAL;
	else if (find_bound(name, n, -1))
		r = -EADDRINUSE;
	else {
		memcpy(s->name, name, ADDR_SIZE);
		s->namelen = n;
		list_push_back(&bound, &s->link);
	}
	mutex_unlock(&sock_lock);
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
	else if (s->state == CONNECTED || !s->namelen)
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

/* Connect s to the listener named: a new server-side socket joins the
 * listener's pending queue, connected to s. sock_lock held. */
static long connect_locked(struct sock *s, const char *name, int n,
			   struct sock **spare)
{
	struct sock *l = find_bound(name, n, s->type), *srv = *spare;

	if (!l || (s->type != SOCK_DGRAM && l->state != LISTENING))
		return -ECONNREFUSED;
	if (s->type == SOCK_DGRAM) { /* the default destination */
		memcpy(s->dest, name, ADDR_SIZE);
		s->destlen = n;
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
	memcpy(srv->name, l->name, l->namelen);
	srv->namelen = l->namelen;
	pair(s, srv);
	list_push_back(&l->pending, &srv->link);
	l->npending++;
	waitq_wake_all(&l->wq);
	return 0;
}

long sys_connect(long fd, long uaddr, long len)
{
	char name[ADDR_SIZE];
	int n = get_addr(uaddr, len, name, false);
	long r;
	SOCK_OR_FAIL(s, fd, f);

	struct sock *spare = s->type == SOCK_DGRAM ? NULL : sock_new(s->type);
	for (;;) {
		unsigned seen = backlog_gen;
		mutex_lock(&sock_lock);
		r = n < 0 ? n : connect_locked(s, name, n, &spare);
		mutex_unlock(&sock_lock);
		if (r != -EAGAIN || (f->flags & O_NONBLOCK))
			break;
		if (wait_intr(&backlog_wq, backlog_moved, &seen, 0) < 0) {
			r = -ERESTARTSYS;
			break;
		}
	}
	sock_discard(spare);
	file_put(f);
	return r;
}

/* Write s's (or its peer's) address to user memory, as getsockname does. */
static long put_addr(const struct sock *s, long uaddr, long ulen)
{
	static const uint16_t family = AF_UNIX;
	int len, n = s ? (int)s->namelen : 0;

	if (!ulen)
		return 0;
	if (copy_from_user(&len, (void *)ulen, 4))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (!n && copy_to_user((void *)uaddr, &family, MIN(len, 2)))
		return -EFAULT;
	if (n && copy_to_user((void *)uaddr, s->name, MIN(len, n)))
		return -EFAULT;
	n = MAX(n, 2);
	return copy_to_user((void *)ulen, &n, 4);
}

static bool has_pending(void *arg)
{
	struct sock *s = arg;
	return !list_empty(&s->pending) || s->state != LISTENING || s->rd_shut;
}

long sys_accept4(long fd, long uaddr, long ulen, long flags)
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
		mutex_lock(&sock_lock);
		r = put_addr(c->peer, uaddr, ulen);
		mutex_unlock(&sock_lock);
		if (!r)
			r = sock_install(c, flags);
		else /* the connection is lost, as on Linux */
			sock_drop(c);
	}
	file_put(f);
	return r;
}

long sys_accept(long fd, long uaddr, long ulen)
{
	return sys_accept4(fd, uaddr, ulen, 0);
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
static struct sock *destination(struct sock *s, const char *to, int tolen,
				long *err)
{
	struct sock *d = NULL;

	if (s->type != SOCK_DGRAM) {
		*err = s->peer_gone || s->wr_shut          ? -EPIPE
		       : s->state != CONNECTED || !s->peer ? -ENOTCONN
							   : 0;
		d = *err ? NULL : s->peer;
	} else if (tolen || s->destlen) {
		d = tolen ? find_bound(to, tolen, SOCK_DGRAM)
			  : find_bound(s->dest, s->destlen, SOCK_DGRAM);
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
		      const char *to, int tolen, struct file **files,
		      unsigned nfiles, int flags)
{
	size_t done = 0;
	long err = 0;
	bool nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);

	if (s->type != SOCK_STREAM && io->len > s->sndbuf)
		return -EMSGSIZE;
	if (s->type == SOCK_STREAM && tolen) /* streams take no address */
		return s->state == CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET)
		tolen = 0; /* ignored, as on Linux */
	do {
		size_t n = s->type == SOCK_STREAM
			       ? MIN(io->len - done, 64 * KiB)
			       : io->len;
		struct msg *m = kzalloc(sizeof(*m) + n);
		unsigned seen = backlog_gen;
		if (!m)
			return done ? (long)done : -ENOMEM;
		m->len = n;
		if (io_copy(io, done, m->data, n, false)) {
			kfree(m);
			return done ? (long)done : -EFAULT;
		}
		mutex_lock(&sock_lock);
		struct sock *d = NULL;
		if ((err = s->err))
			s->err = 0;
		else
			d = destination(s, to, tolen, &err);
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
			memcpy(m->from, s->name, s->namelen);
			m->fromlen = s->namelen;
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
	} while (!err && done < io->len);
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

/* Give the received files descriptors and describe them in the control
 * buffer (SCM_RIGHTS): the control length used. Files that do not fit
 * stay in the message, to be closed when it is freed, and MSG_CTRUNC is
 * set, as on Linux. sock_lock held (so nothing is closed here). */
static long deliver_files(struct msg *m, long uctl, size_t ctllen, int flags,
			  int *msg_flags)
{
	int fds[FDS_MAX];
	unsigned n = 0, room = ctllen < 16 ? 0 : (ctllen - 16) / 4;
	struct cmsg {
		uint64_t len;
		int level, type;
	} h;

	unsigned left = 0;
	in_flight(m, false);
	for (unsigned i = 0; i < m->nfiles; i++) {
		int fd = n < room ? fd_install(m->files[i], 0,
					       flags & MSG_CMSG_CLOEXEC)
				  : -1;
		if (fd < 0) {
			m->files[left++] = m->files[i];
			*msg_flags |= MSG_CTRUNC;
		} else {
			fds[n++] = fd;
		}
	}
	m->nfiles = left;
	if (!n)
		return 0;
	h = (struct cmsg){16 + 4 * n, SOL_SOCKET, SCM_RIGHTS};
	if (copy_to_user((void *)uctl, &h, 16) ||
	    copy_to_user((char *)uctl + 16, fds, 4 * n))
		return -EFAULT;
	return 16 + 4 * n;
}

struct recv_out {
	long uctl; /* control buffer, and its size */
	size_t ctllen;
	long ctlused;   /* what deliver_files wrote */
	char from[110]; /* the sender's address (datagrams) */
	unsigned fromlen;
	int msg_flags;
};

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
				out->ctlused =
				    deliver_files(m, out->uctl, out->ctllen,
						  flags, &out->msg_flags);
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
			if (whole || out->ctlused)
				break;
		}
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

long sys_sendto(long fd, long ubuf, long len, long flags, long uaddr, long alen)
{
	char to[ADDR_SIZE];
	struct io io;
	int tolen = uaddr ? get_addr(uaddr, alen, to, false) : 0;
	long r;
	SOCK_OR_FAIL(s, fd, f);

	io_one(&io, ubuf, len);
	r = tolen < 0 ? tolen : sock_send(s, f, &io, to, tolen, NULL, 0, flags);
	file_put(f);
	return r;
}

long sys_recvfrom(long fd, long ubuf, long len, long flags, long uaddr,
		  long ulen)
{
	struct io io;
	struct recv_out out = {0};
	long r;
	SOCK_OR_FAIL(s, fd, f);

	io_one(&io, ubuf, len);
	r = sock_recv(s, f, &io, flags, &out);
	if (r >= 0 && uaddr && ulen) {
		struct sock from = {.namelen = out.fromlen};
		memcpy(from.name, out.from, out.fromlen);
		if (put_addr(&from, uaddr, ulen))
			r = -EFAULT;
	}
	file_put(f);
	return r;
}

struct msghdr {
	long name;
	int namelen, pad;
	long iov, iovlen, control, controllen;
	int flags, pad2;
};

/* The descriptors of an SCM_RIGHTS control message, with references. */
static long get_files(struct msghdr *h, struct file ***files, unsigned *n)
{
	struct {
		uint64_t len;
		int level, type;
	} c;
	int fds[FDS_MAX];

	*files = NULL;
	*n = 0;
	if (!h->controllen)
		return 0;
	if (h->controllen < 16 || copy_from_user(&c, (void *)h->control, 16))
		return h->controllen < 16 ? -EINVAL : -EFAULT;
	if (c.level != SOL_SOCKET || c.type != SCM_RIGHTS || c.len < 16 ||
	    c.len > (uint64_t)h->controllen || (c.len - 16) / 4 > FDS_MAX)
		return -EINVAL;
	*n = (c.len - 16) / 4;
	if (copy_from_user(fds, (char *)h->control + 16, *n * 4))
		return -EFAULT;
	if (!(*files = kzalloc((*n + 1) * sizeof(**files))))
		return -ENOMEM;
	for (unsigned i = 0; i < *n; i++)
		if (!((*files)[i] = fd_get(fds[i]))) {
			while (i--)
				file_put((*files)[i]);
			kfree(*files);
			return -EBADF;
		}
	return 0;
}

long sys_sendmsg(long fd, long umsg, long flags)
{
	struct msghdr h;
	struct io io;
	struct file **files;
	unsigned nfiles;
	char to[ADDR_SIZE];
	int tolen = 0;
	long r;
	SOCK_OR_FAIL(s, fd, f);

	r = copy_from_user(&h, (void *)umsg, sizeof(h));
	if (!r)
		r = get_iov(h.iov, h.iovlen, &io);
	if (!r && h.name &&
	    (tolen = get_addr(h.name, h.namelen, to, false)) < 0)
		r = tolen;
	if (!r)
		r = get_files(&h, &files, &nfiles);
	if (!r)
		r = sock_send(s, f, &io, to, tolen, files, nfiles, flags);
	file_put(f);
	return r;
}

long sys_recvmsg(long fd, long umsg, long flags)
{
	struct msghdr h;
	struct io io;
	struct recv_out out = {0};
	long r;
	SOCK_OR_FAIL(s, fd, f);

	r = copy_from_user(&h, (void *)umsg, sizeof(h));
	if (!r)
		r = get_iov(h.iov, h.iovlen, &io);
	out.uctl = h.control;
	out.ctllen = h.controllen;
	if (!r)
		r = sock_recv(s, f, &io, flags, &out);
	if (r >= 0) {
		int namelen = MIN((unsigned)h.namelen, out.fromlen);
		if ((h.name &&
		     copy_to_user((void *)h.name, out.from, namelen)) ||
		    copy_to_user((char *)umsg + 8, &namelen, 4) ||
		    copy_to_user((char *)umsg + 40, &out.ctlused, 8) ||
		    copy_to_user((char *)umsg + 48, &out.msg_flags, 4))
			r = -EFAULT;
	}
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

long sys_getsockname(long fd, long uaddr, long ulen)
{
	long r;
	SOCK_OR_FAIL(s, fd, f);

	mutex_lock(&sock_lock);
	r = put_addr(s, uaddr, ulen);
	mutex_unlock(&sock_lock);
	file_put(f);
	return r;
}

long sys_getpeername(long fd, long uaddr, long ulen)
{
	long r;
	SOCK_OR_FAIL(s, fd, f);

	mutex_lock(&sock_lock);
	r = s->peer ? put_addr(s->peer, uaddr, ulen) : -ENOTCONN;
	mutex_unlock(&sock_lock);
	file_put(f);
	return r;
}

long sys_getsockopt(long fd, long level, long opt, long uval, long ulen)
{
	int v[3] = {0}, n = 4, len;
	long r = 0;
	SOCK_OR_FAIL(s, fd, f);

	mutex_lock(&sock_lock);
	if (level != SOL_SOCKET)
		r = -ENOPROTOOPT;
	else if (opt == SO_TYPE)
		v[0] = s->type;
	else if (opt == SO_ERROR)
		v[0] = -s->err, s->err = 0;
	else if (opt == 39) /* SO_DOMAIN */
		v[0] = AF_UNIX;
	else if (opt == 38) /* SO_PROTOCOL */
		v[0] = 0;
	else if (opt == 30) /* SO_ACCEPTCONN */
		v[0] = s->state == LISTENING;
	else if (opt == SO_SNDBUF || opt == SO_RCVBUF)
		v[0] = opt == SO_SNDBUF ? s->sndbuf : s->rcvbuf;
	else if (opt == SO_PEERCRED)
		memcpy(v, s->peer_cred, 12), n = 12;
	else
		r = -ENOPROTOOPT;
	mutex_unlock(&sock_lock);
	file_put(f);
	if (r || copy_from_user(&len, (void *)ulen, 4))
		return r ? r : -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = MIN(len, n);
	return copy_to_user((void *)uval, v, len) ||
		       copy_to_user((void *)ulen, &len, 4)
		   ? -EFAULT
		   : 0;
}

long sys_setsockopt(long fd, long level, long opt, long uval, long len)
{
	int v;
	long r = 0;
	SOCK_OR_FAIL(s, fd, f);

	if (level != SOL_SOCKET || (opt != SO_SNDBUF && opt != SO_RCVBUF))
		r = -ENOPROTOOPT;
	else if (len < 4)
		r = -EINVAL;
	else if (copy_from_user(&v, (void *)uval, 4))
		r = -EFAULT;
	else { /* Linux doubles the value and keeps it within bounds */
		size_t b = MAX(4608, MIN((size_t)MAX(v, 0) * 2, BUF_MAX));
		*(opt == SO_SNDBUF ? &s->sndbuf : &s->rcvbuf) = b;
	}
	file_put(f);
	return r;
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
	return sock_send(f->priv, f, &io, NULL, 0, NULL, 0, 0);
}

static const struct file_ops sock_ops = {.read = sock_read,
					 .write = sock_write,
					 .release = sock_release,
					 .poll = sock_poll,
					 .unref = sock_unref};
