/*
 * chan.c - channels between the kernel and a server (docs/protocol.md):
 * the request queue, the calls waiting for replies, the server end (read
 * requests, write replies), client ends, and the native calls CHANNEL and
 * RESOLVER.
 *
 * A request message belongs to the channel from chan_call until the server
 * has read it or the caller withdrew it; the caller's struct call lives on
 * its stack and leaves every list under the channel's lock before it goes.
 * Copies to and from the server's memory may fault and sleep, so they run
 * outside the lock on a call marked CALL_BUSY: its caller, if a signal
 * comes, waits for that copy to end before it decides anything.
 */
#include "chan.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

struct chan {
	struct spinlock lock; /* guards everything below */
	unsigned refs;        /* the server end, client ends, remote files */
	bool dead;            /* the server end closed */
	struct list queue;    /* chan_msg not read yet, oldest first */
	struct list pending;  /* struct call read, awaiting the reply */
	struct list nodes;    /* struct rnode */
	uint64_t next_id;
	struct waitq wq; /* the server waits here for requests */
};

enum call_state { CALL_QUEUED, CALL_BUSY, CALL_READ, CALL_DONE };

/* A caller waiting for its reply (on its stack). */
struct call {
	struct list link; /* in chan->pending while CALL_READ */
	uint64_t id;
	enum call_state state;
	int err;
	struct lux_rep *rep;
	void *buf;
	size_t size;
	struct chan *target; /* REDIRECT's channel, with a reference */
	bool map;            /* a LUX_MAP: obj is the replier's object */
	struct file *obj;    /* with a reference */
	struct waitq wq;
	volatile bool done;
};

struct chan_msg {
	struct list link;  /* in chan->queue */
	struct call *call; /* NULL for a one-way message */
	struct lux_req req;
};

static struct chan *resolver;
static struct proc *resolver_proc; /* PID 1: its descriptors */
static uint64_t resolver_gen;      /* bumped at each LUX_NR_RESOLVER */

struct lux_req *chan_msg_alloc(unsigned op, size_t payload)
{
	struct chan_msg *m = kzalloc(sizeof(*m) + payload);
	struct proc *p = current_proc();

	if (!m)
		return NULL;
	m->req.op = op;
	m->req.len = sizeof(m->req) + payload;
	if (p) { /* the rest stays zero from kzalloc */
		m->req.pid = p->pid;
		m->req.pgid = p->pgid;
		m->req.sid = p->sid;
		m->req.uid = p->cred.uid.eff;
		m->req.gid = p->cred.gid.eff;
		m->req.ngroups = p->cred.ngroups;
		memcpy(m->req.groups, p->cred.groups, 4 * p->cred.ngroups);
	}
	return &m->req;
}

void chan_msg_free(struct lux_req *req)
{
	if (req)
		kfree(container_of(req, struct chan_msg, req));
}

void chan_get(struct chan *c)
{
	spin_lock(&c->lock);
	c->refs++;
	spin_unlock(&c->lock);
}

void chan_put(struct chan *c)
{
	struct list *it;
	unsigned left;

	spin_lock(&c->lock);
	if ((left = --c->refs) == 1)
		waitq_wake_all(&c->wq); /* maybe only the server is left */
	spin_unlock(&c->lock);
	if (left)
		return;
	while ((it = list_pop_front(&c->queue)))
		kfree(container_of(it, struct chan_msg, link));
	kfree(c);
}

/* End call k with err (0: a reply came); c->lock held. */
static void call_finish(struct call *k, int err)
{
	k->state = CALL_DONE;
	k->err = err;
	waitq_set_and_wake(&k->wq, &k->done);
}

static bool call_done(void *k)
{
	return ((struct call *)k)->done;
}

static bool call_idle(void *k)
{
	return ((struct call *)k)->state != CALL_BUSY;
}

/* Withdraw call k after a signal: unqueue it if unread, else queue a
 * CANCEL for it (reusing its message m). Returns true if it finished
 * after all (its reply came), false if withdrawn (m is gone then). */
static bool call_cancel(struct chan *c, struct call *k, struct chan_msg *m)
{
	enum call_state s;

	spin_lock(&c->lock);
	while ((s = k->state) == CALL_BUSY) {
		spin_unlock(&c->lock);
		wait_until(&k->wq, call_idle, k, 0);
		spin_lock(&c->lock);
	}
	if (s == CALL_QUEUED) {
		list_remove(&m->link);
	} else if (s == CALL_READ) {
		list_remove(&k->link);
		m->call = NULL;
		m->req.op = LUX_CANCEL;
		m->req.len = sizeof(m->req);
		m->req.handle = 0;
		list_push_back(&c->queue, &m->link);
		waitq_wake_all(&c->wq);
	}
	spin_unlock(&c->lock);
	if (s == CALL_QUEUED)
		kfree(m);
	return s == CALL_DONE; /* call_finish ran under c->lock: all done */
}

int chan_call(struct chan *c, struct lux_req *req, struct lux_rep *rep,
	      void *buf, size_t size, void **out)
{
	struct chan_msg *m = container_of(req, struct chan_msg, req);
	struct call k = {
	    .rep = rep, .buf = buf, .size = size, .map = req->op == LUX_MAP};

	waitq_init(&k.wq);
	list_init(&k.link);
	m->call = &k;
	spin_lock(&c->lock);
	if (c->dead) {
		spin_unlock(&c->lock);
		kfree(m);
		return -EIO;
	}
	req->id = k.id = ++c->next_id;
	list_push_back(&c->queue, &m->link);
	waitq_wake_all(&c->wq);
	spin_unlock(&c->lock);
	if (wait_intr(&k.wq, call_done, &k, 0) < 0 && !call_cancel(c, &k, m))
		return -ERESTARTSYS;
	kfree(m);
	if (out)
		*out = k.map ? (void *)k.obj : k.target;
	else if (k.target)
		chan_put(k.target);
	if (k.err)
		return k.err;
	if (rep->result < -4095) /* no errno: the server is confused */
		rep->result = -EIO;
	return rep->result == -LUX_ERESTART ? -ERESTARTSYS : 0;
}

void chan_send(struct chan *c, struct lux_req *req)
{
	struct chan_msg *m = container_of(req, struct chan_msg, req);

	m->call = NULL;
	spin_lock(&c->lock);
	if (!c->dead) {
		list_push_back(&c->queue, &m->link);
		waitq_wake_all(&c->wq);
		m = NULL;
	}
	spin_unlock(&c->lock);
	kfree(m);
}

struct rnode *chan_node_get(struct chan *c, uint64_t handle, unsigned events)
{
	struct rnode *n = kzalloc(sizeof(*n)), *found = NULL;
	struct list *it;

	spin_lock(&c->lock);
	list_for_each(it, &c->nodes)
	{
		if (container_of(it, struct rnode, link)->handle == handle) {
			found = container_of(it, struct rnode, link);
			break;
		}
	}
	if (found) {
		found->refs++;
		found->events = events;
	} else if (n) {
		*n = (struct rnode){
		    .handle = handle, .events = events, .refs = 1};
		waitq_init(&n->wq);
		list_push_back(&c->nodes, &n->link);
	}
	spin_unlock(&c->lock);
	if (found)
		kfree(n);
	return found ? found : n;
}

void chan_node_put(struct chan *c, struct rnode *n)
{
	bool last;

	spin_lock(&c->lock);
	if ((last = !--n->refs))
		list_remove(&n->link);
	spin_unlock(&c->lock);
	if (last)
		pipe_free(n->pipe);
	if (last)
		kfree(n);
}

/* LUX_NOTIFY: the object's readiness changed, wake its pollers; or
 * (ofd) one description's lease is being broken. */
static void chan_notify(struct chan *c, uint64_t handle, unsigned events,
			uint64_t ofd)
{
	struct list *it;

	spin_lock(&c->lock);
	list_for_each(it, &c->nodes)
	{
		struct rnode *n = container_of(it, struct rnode, link);
		if (n->handle == handle && ofd) {
			sigio_lease(&n->wq, ofd);
		} else if (n->handle == handle) {
			n->events = events;
			waitq_wake_all(&n->wq);
		}
	}
	spin_unlock(&c->lock);
}

static bool server_readable(void *arg)
{
	struct chan *c = arg;
	return !list_empty(&c->queue) || c->refs == 1;
}

/* Take the oldest message off the queue for reading, if it fits in n
 * bytes: the message, NULL when the queue is empty, or an error pointer
 * (-EMSGSIZE) when it does not fit. c->lock held. */
static struct chan_msg *take_oldest(struct chan *c, size_t n, long *err)
{
	struct chan_msg *m;

	if (list_empty(&c->queue))
		return NULL;
	m = container_of(c->queue.next, struct chan_msg, link);
	if (n < m->req.len) {
		*err = -EMSGSIZE;
		return NULL;
	}
	list_remove(&m->link);
	if (m->call)
		m->call->state = CALL_BUSY;
	return m;
}

/* The server reads one whole request; see proto.h. */
static long server_read(struct file *f, char *ubuf, size_t n)
{
	struct chan *c = f->priv;
	struct chan_msg *m;
	bool one_way;
	long r = 0;

	for (;;) {
		spin_lock(&c->lock);
		m = take_oldest(c, n, &r);
		bool eof = !m && c->refs == 1;
		spin_unlock(&c->lock);
		if (m || r)
			break;
		if (eof)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_intr(&c->wq, server_readable, c, 0) < 0)
			return -ERESTARTSYS;
	}
	if (!m)
		return r;
	r = copy_to_user(ubuf, &m->req, m->req.len) ? -EFAULT : m->req.len;
	one_way = !m->call;
	spin_lock(&c->lock);
	if (r < 0) { /* stays first in line */
		list_push_front(&c->queue, &m->link);
		if (m->call)
			m->call->state = CALL_QUEUED;
	} else if (m->call) {
		m->call->state = CALL_READ;
		list_push_back(&c->pending, &m->call->link);
	}
	if (m->call)
		waitq_wake_all(&m->call->wq); /* a cancelling caller waits */
	spin_unlock(&c->lock);
	if (r >= 0 && one_way)
		kfree(m);
	return r;
}

/* The pending call with id, taken for completion (CALL_BUSY), or NULL. */
static struct call *claim(struct chan *c, uint64_t id)
{
	struct list *it;
	struct call *k = NULL;

	spin_lock(&c->lock);
	list_for_each(it, &c->pending)
	{
		if (container_of(it, struct call, link)->id == id) {
			k = container_of(it, struct call, link);
			list_remove(&k->link);
			k->state = CALL_BUSY;
			break;
		}
	}
	spin_unlock(&c->lock);
	return k;
}

/* REDIRECT names a client end in the replier's table: its channel with a
 * reference, or NULL (the reply's result becomes -EBADF). */
static struct chan *redirect_target(struct lux_rep *rep)
{
	struct file *f = rep->result >= 0 && rep->result < FD_MAX
			     ? fd_get((int)rep->result)
			     : NULL;
	struct chan *t = f ? chan_of(f) : NULL;

	if (t)
		chan_get(t);
	else
		rep->result = -EBADF;
	file_put(f);
	return t;
}

/* The server writes one whole reply or notice; anything malformed is
 * refused with EINVAL, a reply nobody waits for is dropped. */
static long server_write(struct file *f, const char *ubuf, size_t n)
{
	struct chan *c = f->priv, *target = NULL;
	struct lux_rep rep;
	struct call *k;
	int err = 0;

	if (n < sizeof(rep) || n > LUX_MSG_MAX)
		return -EINVAL;
	if (copy_from_user(&rep, ubuf, sizeof(rep)))
		return -EFAULT;
	if (rep.len != n || rep.op < LUX_REPLY || rep.op > LUX_NOTIFY)
		return -EINVAL;
	if (rep.op == LUX_NOTIFY) {
		chan_notify(c, rep.handle, rep.events, rep.off);
		return n;
	}
	if (rep.op == LUX_REDIRECT && rep.result >= 0)
		target = redirect_target(&rep);
	if (!(k = claim(c, rep.id))) {
		if (target)
			chan_put(target);
		return n;
	}
	*k->rep = rep;
	k->target = target;
	if (k->map && rep.op == LUX_REPLY && rep.result >= 0 &&
	    rep.result < FD_MAX)
		k->obj = fd_get((int)rep.result);
	if (copy_from_user(k->buf, ubuf + sizeof(rep),
			   chan_payload(&rep, k->size)))
		err = -EIO;
	spin_lock(&c->lock);
	call_finish(k, err);
	spin_unlock(&c->lock);
	return err ? -EFAULT : (long)n;
}

static unsigned server_poll(struct file *f)
{
	struct chan *c = f->priv;

	return POLLOUT | (list_empty(&c->queue) ? 0 : POLLIN) |
	       (c->refs == 1 ? POLLHUP : 0);
}

/* The server is gone: every request fails with EIO at once, and so will
 * every later one; pollers of its objects see POLLHUP. */
static void server_release(struct file *f)
{
	struct chan *c = f->priv;
	struct list *it;

	spin_lock(&c->lock);
	c->dead = true;
	while ((it = list_pop_front(&c->queue))) {
		struct chan_msg *m = container_of(it, struct chan_msg, link);
		if (m->call)
			call_finish(m->call, -EIO); /* its caller frees m */
		else
			kfree(m);
	}
	while ((it = list_pop_front(&c->pending)))
		call_finish(container_of(it, struct call, link), -EIO);
	list_for_each(it, &c->nodes)
	{
		struct rnode *n = container_of(it, struct rnode, link);
		n->events = POLLHUP | POLLERR;
		waitq_wake_all(&n->wq);
	}
	spin_unlock(&c->lock);
	chan_put(c);
}

static long client_read(struct file *f, char *ubuf, size_t n)
{
	(void)f, (void)ubuf, (void)n;
	return -EINVAL;
}

static long client_write(struct file *f, const char *ubuf, size_t n)
{
	(void)f, (void)ubuf, (void)n;
	return -EINVAL;
}

static void client_release(struct file *f)
{
	chan_put(f->priv);
}

static unsigned client_poll(struct file *f)
{
	return ((struct chan *)f->priv)->dead ? POLLHUP : 0;
}

static const struct file_ops server_ops = {.read = server_read,
					   .write = server_write,
					   .poll = server_poll,
					   .release = server_release};
static const struct file_ops client_ops = {.read = client_read,
					   .write = client_write,
					   .poll = client_poll,
					   .release = client_release};

struct chan *chan_of(struct file *f)
{
	return f && f->ops == &client_ops ? f->priv : NULL;
}

struct chan *chan_resolver(void)
{
	struct chan *c = __atomic_load_n(&resolver, __ATOMIC_ACQUIRE);

	if (c)
		chan_get(c);
	return c;
}

long sys_lux_channel(long ufds)
{
	struct chan *c = kzalloc(sizeof(*c));
	struct file *ends[2] = {NULL, NULL};
	int r = 0;

	if (!user_range((void *)ufds, 2 * sizeof(int)))
		r = -EFAULT;
	else if (!c || !(ends[0] = file_alloc(&server_ops, c, O_RDWR)) ||
		 !(ends[1] = file_alloc(&client_ops, c, O_RDWR)))
		r = -ENOMEM;
	if (r) {
		kfree(ends[0]);
		kfree(c);
		return r;
	}
	*c = (struct chan){.lock = SPINLOCK_INIT, .refs = 2};
	list_init(&c->queue);
	list_init(&c->pending);
	list_init(&c->nodes);
	waitq_init(&c->wq);
	ends[0]->wq = &c->wq;
	ends[0]->mode = ends[1]->mode = LUX_S_IFSOCK | 0600;
	return fd_install_pair(ends, false, ufds);
}

struct chan *chan_resolver_fd(long fd)
{
	struct proc *p = __atomic_load_n(&resolver_proc, __ATOMIC_ACQUIRE);
	struct fdtable *t = p ? p->files : NULL;
	struct chan *c;

	if (!t || fd < 0 || fd >= FD_MAX)
		return NULL;
	spin_lock(&t->lock);
	if ((c = chan_of(t->fd[fd])))
		chan_get(c);
	spin_unlock(&t->lock);
	return c;
}

bool chan_resolver_gen(uint64_t gen)
{
	return __atomic_load_n(&resolver_gen, __ATOMIC_ACQUIRE) == gen;
}

/* A replaced resolver keeps the references it had, so that chan_resolver
 * needs no lock: only PID 1 sets it, normally once; naming the same one
 * again only bumps the generation. */
long sys_lux_resolver(long fd)
{
	struct proc *p = current_proc();
	struct file *f;
	struct chan *c;

	if (p->pid != 1)
		return -EPERM;
	if (!(f = fd_get(fd)))
		return -EBADF;
	if ((c = chan_of(f)) && c != resolver) {
		chan_get(c);
		__atomic_store_n(&resolver_proc, p, __ATOMIC_RELEASE);
		__atomic_store_n(&resolver, c, __ATOMIC_RELEASE);
	}
	file_put(f);
	return c ? (long)__atomic_add_fetch(&resolver_gen, 1, __ATOMIC_ACQ_REL)
		 : -EINVAL;
}
