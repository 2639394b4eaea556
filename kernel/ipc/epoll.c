/*
 * epoll.c - poll sets, the kernel half of epoll (LUX_NR_EPOLL,
 * docs/decisions/0031-event-descriptors.md). A poll set is a descriptor
 * holding a list of (file, descriptor number) entries; a wait on it is
 * ppoll's wait (wait_many on the members' wait queues) with a scan that
 * applies edge triggering and one-shot. The personality lays out Linux's
 * structures and checks what it can.
 *
 * An entry holds a reference to its file, but only while something else
 * does too: when a file's references are all entries' (the last
 * descriptor closed), file_put calls pset_forget, which drops them, as
 * Linux drops a closed file from every epoll. One lock guards all sets.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/stat.h>

#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET        (1u << 31)
#define EXCLUSIVE_OK                                                           \
	(POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET |        \
	 EPOLLEXCLUSIVE)
#define PSET_MAX 4096 /* entries of one set (Linux: ENOSPC past its limit) */

struct pset_entry {
	struct file *f;
	int fd;
	unsigned events; /* wanted, with the EPOLLET/EPOLLONESHOT bits */
	unsigned seen;   /* f->wq's wake count at the last edge reported */
	bool off;        /* a one-shot entry reported, until EPOLL_CTL_MOD */
	uint64_t data;
};

struct pset {
	struct list link; /* in psets */
	struct pset_entry *e;
	unsigned n, cap, next; /* next: where a wait's scan starts (fairness) */
	unsigned sets;         /* members that are poll sets */
	unsigned nested;       /* sets this one is a member of */
	unsigned gen;          /* bumped by every ADD and DEL */
	struct waitq wq;       /* woken by every change of the entries */
};

static struct spinlock pset_lock = SPINLOCK_INIT;
static struct list psets = LIST_INIT(psets);
static const struct file_ops pset_ops;

static bool is_pset(struct file *f)
{
	return f && f->ops == &pset_ops;
}

static unsigned set_ready(struct pset *s, bool take,
			  struct lux_epoll_event *out, unsigned max);

/* The events of entry e that a wait would report now. pset_lock held. */
static unsigned entry_events(struct pset_entry *e, unsigned *seq)
{
	struct file *f = e->f;
	*seq = f->wq ? __atomic_load_n(&f->wq->wakes, __ATOMIC_ACQUIRE) : 0;
	unsigned ev = is_pset(f)
			  ? (set_ready(f->priv, false, 0, 1) ? POLLIN : 0)
			  : file_events(f);
	if (e->off ||
	    ((e->events & EPOLLET) && f->wq && !is_pset(f) && *seq == e->seen))
		return 0; /* edge triggered: nothing woke it since */
	return ev & (e->events | POLLERR | POLLHUP);
}

/* Scan s from its fairness cursor: the entries ready, at most max. With
 * take, write them to out and consume their edge or one shot. */
static unsigned set_ready(struct pset *s, bool take,
			  struct lux_epoll_event *out, unsigned max)
{
	unsigned got = 0, i = 0, last = s->next;

	for (; i < s->n && got < max; i++) {
		struct pset_entry *e = &s->e[(s->next + i) % s->n];
		unsigned seq, ev = entry_events(e, &seq);
		if (!ev)
			continue;
		if (take) {
			out[got] = (struct lux_epoll_event){ev, 0, e->data};
			e->seen = seq;
			e->off = e->events & EPOLLONESHOT;
			last = (s->next + i + 1) % s->n;
		}
		got++;
	}
	if (take)
		s->next = last;
	return got;
}

static unsigned pset_poll(struct file *f)
{
	spin_lock(&pset_lock);
	unsigned ev = set_ready(f->priv, false, 0, 1) ? POLLIN : 0;
	spin_unlock(&pset_lock);
	return ev;
}

/* Drop every entry (the set's last reference went). */
static void pset_release(struct file *f)
{
	struct pset *s = f->priv;

	spin_lock(&pset_lock);
	list_remove(&s->link);
	for (unsigned i = 0; i < s->n; i++) {
		s->e[i].f->watched--;
		if (is_pset(s->e[i].f))
			((struct pset *)s->e[i].f->priv)->nested--;
	}
	spin_unlock(&pset_lock);
	for (unsigned i = 0; i < s->n; i++)
		file_put(s->e[i].f);
	kfree(s->e);
	kfree(s);
}

static const struct file_ops pset_ops = {
    .poll = pset_poll, .release = pset_release, .name = "eventpoll"};

/* Remove entry i of s. pset_lock held; the caller puts the file. */
static struct file *entry_remove(struct pset *s, unsigned i)
{
	struct file *f = s->e[i].f;

	f->watched--;
	if (is_pset(f)) {
		s->sets--;
		((struct pset *)f->priv)->nested--;
	}
	s->e[i] = s->e[--s->n];
	s->next = 0;
	s->gen++;
	waitq_wake_all(&s->wq);
	return f;
}

void pset_forget(struct file *f)
{
	unsigned drop = 0;
	struct list *it;

	spin_lock(&pset_lock);
	if (__atomic_load_n(&f->refs, __ATOMIC_ACQUIRE) == f->watched)
		list_for_each(it, &psets)
		{
			struct pset *s = container_of(it, struct pset, link);
			for (unsigned i = s->n; i-- > 0;)
				if (s->e[i].f == f)
					entry_remove(s, i), drop++;
		}
	spin_unlock(&pset_lock);
	while (drop--)
		file_put(f);
}

static long pset_create(long flags)
{
	struct pset *s = NULL;
	struct file *f = NULL;
	int fd;

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (!(s = kzalloc(sizeof(*s))) ||
	    !(f = file_alloc(&pset_ops, s, O_RDWR))) {
		kfree(s);
		return -ENOMEM;
	}
	waitq_init(&s->wq);
	f->wq = &s->wq;
	spin_lock(&pset_lock);
	list_push_back(&psets, &s->link);
	spin_unlock(&pset_lock);
	if ((fd = fd_install(f, 0, flags & O_CLOEXEC)) < 0)
		file_put(f);
	return fd;
}

static int entry_find(struct pset *s, struct file *f, int fd)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->e[i].f == f && s->e[i].fd == fd)
			return i;
	return -1;
}

/* EPOLL_CTL_ADD of t (not in s yet). Nesting is two deep at most, which
 * also rules out loops: a set inside another holds no set, and a set
 * holding a set goes inside none (ELOOP, as Linux's limit). */
static long entry_add(struct pset *s, struct file *t, int fd, unsigned ev,
		      uint64_t data)
{
	struct pset_entry *e;

	if (is_pset(t) && (s->nested || ((struct pset *)t->priv)->sets))
		return -ELOOP;
	if (s->n == PSET_MAX)
		return -ENOSPC;
	if (s->n == s->cap) { /* grows by doubling: adds cost O(1) */
		unsigned cap = MIN(2 * (s->n + 4), PSET_MAX);
		if (!(e = kmalloc(cap * sizeof(*e))))
			return -ENOMEM;
		memcpy(e, s->e, s->n * sizeof(*e));
		kfree(s->e);
		s->e = e;
		s->cap = cap;
	}
	unsigned seq = t->wq ? t->wq->wakes : 0;
	s->e[s->n++] = (struct pset_entry){t, fd, ev, seq - 1, false, data};
	file_get(t);
	t->watched++;
	s->gen++;
	if (is_pset(t)) {
		s->sets++;
		((struct pset *)t->priv)->nested++;
	}
	waitq_wake_all(&s->wq);
	return 0;
}

/* epoll_ctl's checks in Linux's order, then the change. */
static long pset_ctl(struct file *sf, int op, int fd, unsigned ev,
		     uint64_t data)
{
	struct file *t = fd_get(fd), *gone = NULL;
	struct pset *s = sf->priv;
	long r = -EINVAL;
	int i;

	if (!t)
		return -EBADF;
	if (!t->ops->poll || LUX_S_ISREG(t->mode) || LUX_S_ISDIR(t->mode))
		r = -EPERM; /* a file that cannot be polled */
	else if (t == sf || !is_pset(sf) ||
		 ((ev & EPOLLEXCLUSIVE) &&
		  (op == 3 || (is_pset(t) || (ev & ~EXCLUSIVE_OK)))))
		r = -EINVAL;
	else if (op >= 1 && op <= 3) {
		spin_lock(&pset_lock);
		i = entry_find(s, t, fd);
		if (op == 1)
			r = i >= 0 ? -EEXIST : entry_add(s, t, fd, ev, data);
		else if (i < 0)
			r = -ENOENT;
		else if (op == 2)
			gone = entry_remove(s, i), r = 0;
		else if (!(s->e[i].events & EPOLLEXCLUSIVE)) {
			s->e[i].events = ev, s->e[i].data = data;
			s->e[i].off = false;
			s->e[i].seen = t->wq ? t->wq->wakes - 1 : 0;
			waitq_wake_all(&s->wq), r = 0;
		}
		spin_unlock(&pset_lock);
	}
	file_put(gone);
	file_put(t);
	return r;
}

unsigned pset_hold(struct file *f, struct file **held, unsigned max)
{
	unsigned n = 0;

	if (!is_pset(f))
		return 0;
	spin_lock(&pset_lock);
	struct pset *s = f->priv;
	for (unsigned i = 0; i < s->n; i++) {
		struct file *m = s->e[i].f;
		struct pset *ms = is_pset(m) ? m->priv : NULL;
		for (unsigned j = 0; ms && j < ms->n && n < max; j++)
			file_get(held[n++] = ms->e[j].f);
		if (n < max)
			file_get(held[n++] = m);
	}
	spin_unlock(&pset_lock);
	return n;
}

unsigned pset_size(struct file *f)
{
	unsigned n = 0;

	if (!is_pset(f))
		return 0;
	spin_lock(&pset_lock);
	struct pset *s = f->priv;
	n = s->n;
	for (unsigned i = 0; i < s->n; i++)
		if (is_pset(s->e[i].f))
			n += ((struct pset *)s->e[i].f->priv)->n;
	spin_unlock(&pset_lock);
	return n;
}

struct pset_wait {
	struct pset *s;
	struct lux_epoll_event *out;
	unsigned max, got, gen;
};

/* The wait's condition: some entry ready (taken), or an entry came or
 * went (the caller gathers the wait queues again). */
static bool pset_scan(void *arg)
{
	struct pset_wait *w = arg;

	spin_lock(&pset_lock);
	w->got = set_ready(w->s, true, w->out, w->max);
	bool changed = w->s->gen != w->gen;
	spin_unlock(&pset_lock);
	return w->got || changed;
}

/* epoll_wait's wait: up to max events into uout, the deadline (0: none)
 * and the signal mask at umask (0: the thread's) as ppoll's. */
static long pset_wait(struct file *sf, long uout, unsigned max,
		      uint64_t deadline, long umask)
{
	struct pset_wait w = {sf->priv, kmalloc(max * sizeof(*w.out)), max, 0,
			      0};
	long r = umask ? sigmask_swap(umask, 8) : 0;

	while (!r && w.out && !w.got) {
		unsigned n = pset_size(sf) + 1;
		struct file **held = kzalloc(n * sizeof(*held));
		struct waitq **wqs = kzalloc(n * sizeof(*wqs));
		w.gen = ((struct pset *)sf->priv)->gen;
		if (held && wqs) {
			n = pset_hold(sf, held, n - 1);
			for (unsigned i = 0; i < n; i++)
				wqs[i] = held[i]->wq;
			wqs[n] = sf->wq;
			r = wait_many(wqs, n + 1, pset_scan, &w, deadline);
			r = r == 0 ? 1 : r < 0 ? r : 0; /* 1: timed out */
			while (n--)
				file_put(held[n]);
		} else
			r = -ENOMEM;
		kfree(held);
		kfree(wqs);
	}
	r = !w.out ? -ENOMEM : r < 0 ? r : w.got;
	if (r > 0 && copy_to_user((void *)uout, w.out, r * sizeof(*w.out)))
		r = -EFAULT;
	kfree(w.out);
	return r;
}

/* LUX_NR_EPOLL: see include/lux/proto.h. */
long sys_lux_epoll(long op, long epfd, long fd, long events, long data, long a5)
{
	if (op == LUX_EPOLL_CREATE)
		return pset_create(epfd);
	struct file *sf = fd_get(epfd);
	long r = -EBADF;

	if (sf && op == LUX_EPOLL_WAIT)
		r = !is_pset(sf) ? -EINVAL
		    : fd < 1 || fd > LUX_EPOLL_BATCH
			? -EINVAL
			: pset_wait(sf, events, fd, poll_deadline(data), a5);
	else if (sf)
		r = pset_ctl(sf, op, fd, events, data);
	file_put(sf);
	return r;
}
