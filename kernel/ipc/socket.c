/*
 * socket.c - Unix domain sockets: SOCK_STREAM (a byte stream),
 * SOCK_DGRAM and SOCK_SEQPACKET (boundaries kept), pairs, abstract and
 * path-name addresses, listen/accept/connect, peer credentials, shutdown
 * and Linux's EOF/EPIPE rules. What a socket is sent (messages, send and
 * receive, descriptor passing) is sockmsg.c's. One mutex guards all
 * socket state; waits happen outside it. The Linux calls around them
 * (sockaddr, msghdr and option handling, the path walk of a name) are the
 * personality's (user/persona/sock.c), over two native calls:
 * LUX_NR_SOCKET and LUX_NR_SOCKMSG (docs/decisions/0021-socket-names.md).
 * A path name is keyed by the socket file it names: a server's object
 * (channel, handle) that the caller opened through that server.
 */
#include "chan.h"
#include "mm.h"
#include "proc.h"
#include "sock.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

struct mutex sock_lock = {
    NULL, {SPINLOCK_INIT, LIST_INIT(sock_lock.wq.waiters), 0, NULL}};
static struct list bound = LIST_INIT(bound);

/* Wake both ends' waiters (state changed). */
static void kick(struct sock *s)
{
	waitq_wake_all(&s->wq);
	if (s->peer)
		waitq_wake_all(&s->peer->wq);
}

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

struct sock *sock_of(int fd, struct file **f)
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
int sock_get_addr(long uaddr, long len, long namefd, struct addr *a, bool own)
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
void sock_addr_put(struct addr *a)
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
struct sock *sock_find_bound(const struct addr *a, int type)
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

	r = s->name.len ? -EINVAL : sock_get_addr(uaddr, len, namefd, &a, true);
	mutex_lock(&sock_lock);
	if (!r && s->name.len)
		r = -EINVAL;
	else if (!r && sock_find_bound(&a, -1))
		r = -EADDRINUSE;
	else if (!r) {
		s->name = a;
		a.node = NULL; /* s's now */
		list_push_back(&bound, &s->link);
	}
	mutex_unlock(&sock_lock);
	sock_addr_put(&a);
	file_put(f);
	return r;
}

static long sock_listen(long fd, long backlog)
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

/* The backlog count (sock.h). */
struct waitq sock_backlog_wq = {SPINLOCK_INIT,
				LIST_INIT(sock_backlog_wq.waiters), 0, NULL};
volatile unsigned sock_backlog_gen;

bool sock_backlog_moved(void *seen)
{
	return sock_backlog_gen != *(unsigned *)seen;
}

void sock_backlog_bump(void)
{
	sock_backlog_gen++;
	waitq_wake_all(&sock_backlog_wq);
}

/* Connect s to the listener at a: a new server-side socket joins the
 * listener's pending queue, connected to s; a datagram socket takes a as
 * its destination (and a gets its old one, to be put). sock_lock held. */
static long connect_locked(struct sock *s, struct addr *a, struct sock **spare)
{
	struct sock *l = sock_find_bound(a, s->type), *srv = *spare;

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
	waitq_wake_io(&l->wq, POLLIN);
	return 0;
}

/* LUX_SOCK_CONNECT. */
static long sock_connect(long fd, long uaddr, long len, long namefd)
{
	struct addr a;
	SOCK_OR_FAIL(s, fd, f);
	long r = sock_get_addr(uaddr, len, namefd, &a, false);

	struct sock *spare = s->type == SOCK_DGRAM ? NULL : sock_new(s->type);
	for (;;) {
		unsigned seen = sock_backlog_gen;
		mutex_lock(&sock_lock);
		r = r < 0 ? r : connect_locked(s, &a, &spare);
		mutex_unlock(&sock_lock);
		if (r != -EAGAIN || (f->flags & O_NONBLOCK))
			break;
		r = 0;
		if (wait_intr(&sock_backlog_wq, sock_backlog_moved, &seen, 0) <
		    0) {
			r = -ERESTARTSYS;
			break;
		}
	}
	sock_discard(spare);
	sock_addr_put(&a);
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
		sock_backlog_bump();
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
		sock_in_flight(container_of(it, struct msg, link), false);
		list_push_back(&dead, it);
	}
	mutex_unlock(&sock_lock);
	sock_free_msgs(&dead);
	sock_backlog_bump(); /* also wakes senders waiting for room */
	sock_addr_put(&s->name);
	sock_addr_put(&s->dest);
	kfree(s);
}

void sock_release(struct file *f)
{
	sock_drop(f->priv);
}

static long sock_shutdown(long fd, long how)
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
	sock_backlog_bump();
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
				      [LUX_SOCK_SETBUF] = (sock_op)sock_setbuf,
				      [LUX_SOCK_LISTEN] = (sock_op)sock_listen,
				      [LUX_SOCK_SHUTDOWN] =
					  (sock_op)sock_shutdown};

	if (op < 0 || op >= (long)ARRAY_SIZE(ops))
		return -EINVAL;
	return sock_call(ops[op], a, b, c, d);
}

long sys_lux_sockmsg(long fd, long recv, long umsg, long flags)
{
	return sock_call(sock_msg, fd, recv, umsg, flags);
}
