/*
 * sockmsg.c - what a Unix socket is sent: messages queued on the
 * receiver, bounded by its buffer and by all sockets' memory (a stream's
 * write goes in pieces of at most 64 KiB, a datagram or seqpacket record
 * whole); send and receive (LUX_NR_SOCKMSG, read, write, poll); SCM_RIGHTS
 * descriptors in flight and the collector of sockets that only each
 * other's queues keep alive. socket.c makes and connects the sockets.
 */
#include "mm.h"
#include "proc.h"
#include "sock.h"
#include <lux/errno.h>

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
unsigned sock_in_flight(struct msg *m, bool on)
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
void sock_free_msgs(struct list *dead)
{
	struct list *it;

	while ((it = list_pop_front(dead)))
		free_msg(container_of(it, struct msg, link));
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
			sock_in_flight(container_of(it, struct msg, link),
				       false);
			list_push_back(&dead, it);
		}
		s->queued = 0;
	}
	mutex_unlock(&sock_lock);
	sock_free_msgs(&dead); /* closes the garbage */
	mutex_lock(&sock_lock);
	running = false;
	mutex_unlock(&sock_lock);
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
		d = sock_find_bound(to->len ? to : &s->dest, SOCK_DGRAM);
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

/* Whether a PIPE_BUF write to d goes in now, by sock_send's rule for
 * its message (an empty queue takes any): what POLLOUT promises, as a
 * pipe's. A snapshot; sock_lock held or not. */
static bool sock_has_room(const struct sock *d)
{
	return !d->queued ||
	       d->queued + sizeof(struct msg) + PIPE_BUF <= d->rcvbuf;
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
		unsigned seen = sock_backlog_gen;
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
				if (sock_in_flight(m, true) && d->inflight)
					maybe_cyclic = true;
			}
			memcpy(m->from, s->name.name, s->name.len);
			m->fromlen = s->name.len;
			list_push_back(&d->queue, &m->link);
			d->queued += m->cost;
			__atomic_add_fetch(&sock_mem, m->cost,
					   __ATOMIC_RELAXED);
			done += n;
			waitq_wake_io(&d->wq, POLLIN);
		}
		mutex_unlock(&sock_lock);
		if (err)
			kfree(m);
		sigio_flush(); /* the reader hears of it before this waits */
		if (err == -EAGAIN && !nonblock) {
			if (wait_intr(&sock_backlog_wq, sock_backlog_moved,
				      &seen, 0) < 0)
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

	sock_in_flight(m, false);
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
		bool had_room = sock_has_room(s);
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
				sock_in_flight(m, false);
				list_push_back(&dead, &m->link);
			}
			if (whole || out->nfds)
				break;
		}
		if (!had_room && sock_has_room(s) && s->peer)
			waitq_wake_io(&s->peer->wq, POLLOUT);
		bool queued = !list_empty(&s->queue);
		bool eof = readable(s) && !queued;
		bool unconnected =
		    s->type == SOCK_STREAM && s->state != CONNECTED;
		mutex_unlock(&sock_lock);
		sock_free_msgs(&dead);
		if (got && !(flags & MSG_PEEK))
			sock_backlog_bump(); /* room for senders */
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
		     ? sock_get_addr(m->name, m->namelen, m->namefd, &to, false)
		     : 0;

	if (!r && !(r = get_files(m->fds, m->nfds, &files)))
		r = sock_send(s, f, io, &to, files, m->nfds, flags);
	sock_addr_put(&to);
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

long sock_msg(long fd, long recv, long umsg, long flags)
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

static unsigned sock_poll(struct file *f)
{
	struct sock *s = f->priv;
	unsigned ev = 0;

	if (!list_empty(&s->queue) ||
	    (s->state == LISTENING && !list_empty(&s->pending)) ||
	    (s->state != LISTENING && readable(s)))
		ev |= POLLIN;
	if (s->type == SOCK_DGRAM ||
	    (s->peer && sock_has_room(s->peer) && !s->wr_shut))
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

const struct file_ops sock_ops = {.read = sock_read,
				  .write = sock_write,
				  .release = sock_release,
				  .poll = sock_poll,
				  .unref = sock_unref};
