/*
 * poll.c - waiting on many descriptors (ppoll; the personality makes
 * poll, select and pselect6 of it) and eventfd. A waiter sleeps on the
 * wait queue of every file it watches at once and re-checks them all when
 * any is woken: nothing polls.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

#define NS 1000000000ULL

struct pollfd {
	int fd;
	short events, revents;
};

struct watch {
	struct pollfd *fds;
	struct file **files;
	unsigned n;
	int ready;
};

unsigned file_events(struct file *f)
{
	unsigned ev = f->ops->poll ? f->ops->poll(f) : POLLIN | POLLOUT;
	return ev | (ev & POLLIN ? POLLRDNORM : 0) |
	       (ev & POLLOUT ? POLLWRNORM : 0);
}

/* Fill in revents; true when some descriptor is ready. */
static bool scan(void *arg)
{
	struct watch *w = arg;

	w->ready = 0;
	for (unsigned i = 0; i < w->n; i++) {
		struct pollfd *p = &w->fds[i];
		struct file *f = w->files[i];
		p->revents =
		    p->fd < 0 ? 0
		    : !f      ? POLLNVAL
			 : file_events(f) & (p->events | POLLERR | POLLHUP);
		w->ready += p->revents != 0;
	}
	return w->ready;
}

/* The files of fds (files[n...]: members of poll sets among them, which
 * a wait must watch too) in an array of *m; NULL if out of memory. */
static struct file **poll_files(struct pollfd *fds, unsigned n, unsigned *m)
{
	struct file **files = kzalloc((n + 1) * sizeof(*files)), **more;

	*m = n;
	for (unsigned i = 0; files && i < n; i++)
		if ((files[i] = fds[i].fd >= 0 ? fd_get(fds[i].fd) : 0))
			*m += pset_size(files[i]);
	if (*m == n || !files)
		return files;
	if ((more = kzalloc((*m + 1) * sizeof(*more)))) {
		memcpy(more, files, n * sizeof(*more));
		for (unsigned i = 0, h = n; i < n; i++)
			h += pset_hold(more[i], more + h, *m - h);
	}
	for (unsigned i = 0; !more && i < n; i++)
		file_put(files[i]);
	kfree(files);
	return more;
}

/* Wait until one of fds is ready or deadline (0: none) passes; the
 * number ready, or -EINTR. */
static long do_poll(struct pollfd *fds, unsigned n, uint64_t deadline)
{
	unsigned m;
	struct file **files = poll_files(fds, n, &m);
	struct waitq **wqs = kzalloc((m + 1) * sizeof(*wqs));
	struct watch w = {fds, files, n, 0};
	long r = -ENOMEM;

	if (files && wqs) {
		for (unsigned i = 0; i < m; i++)
			wqs[i] = files[i] ? files[i]->wq : NULL;
		r = wait_many(wqs, m, scan, &w, deadline);
		r = r < 0 ? r : w.ready;
		for (unsigned i = 0; i < m; i++)
			file_put(files[i]);
	}
	kfree(files);
	kfree(wqs);
	return r;
}

uint64_t poll_deadline(int64_t ns)
{
	return ns < 0 ? 0 : arch_clock_ns() + MIN((uint64_t)ns, NS * NS) + !ns;
}

static long poll_user(long ufds, long n, int64_t timeout_ns)
{
	struct pollfd *fds;
	long r;

	if (n < 0 || n > FD_MAX)
		return -EINVAL;
	if (!(fds = kmalloc((n + 1) * sizeof(*fds))))
		return -ENOMEM;
	r = copy_from_user(fds, (void *)ufds, n * sizeof(*fds));
	if (!r)
		r = do_poll(fds, n, poll_deadline(timeout_ns));
	if (r >= 0)
		for (long i = 0; i < n; i++) /* revents only, as Linux */
			if (copy_to_user((char *)ufds + i * sizeof(*fds) + 6,
					 &fds[i].revents, 2))
				r = -EFAULT;
	kfree(fds);
	return r;
}

/* Read an optional timespec as ns (-1 for NULL). */
static int read_timeout(long uts, int64_t *ns)
{
	*ns = -1;
	return uts ? timespec_from_user(uts, ns) : 0;
}

long sys_ppoll(long ufds, long n, long uts, long umask, long size)
{
	int64_t ns;
	int r = read_timeout(uts, &ns);

	if (!r)
		r = umask ? sigmask_swap(umask, size) : 0;
	if (r)
		return r;
	uint64_t start = arch_clock_ns();
	long ready = poll_user(ufds, n, ns);
	if (uts && ready >= 0) { /* the time left, as Linux writes it */
		int64_t left = MAX(ns - (int64_t)(arch_clock_ns() - start), 0);
		int64_t ts[2] = {left / (int64_t)NS, left % (int64_t)NS};
		if (copy_to_user((void *)uts, ts, sizeof(ts)))
			return -EFAULT;
	}
	return ready;
}

/* eventfd: a 64-bit counter; reads take it (or 1 of it with
 * EFD_SEMAPHORE), writes add to it. A timer descriptor (timerfd) is one
 * whose counter a timer adds its expirations to, counted when read or
 * polled; its timer runs only while the count is 0. */
#define EFD_SEMAPHORE 1

struct eventfd {
	struct mutex lock;
	uint64_t count;
	bool semaphore, timer;
	struct waitq wq;
	uint64_t next, interval; /* a timer's next expiration (0: none) */
	struct timer t;
	long clock; /* the personality's */
};

/* A timer's expirations due and not counted yet. */
static uint64_t timer_due(struct eventfd *e)
{
	uint64_t now = arch_clock_ns(), next = e->next;

	if (!next || now < next)
		return 0;
	return 1 + (e->interval ? (now - next) / e->interval : 0);
}

static void timer_fire(struct timer *t)
{
	waitq_wake_all(&container_of(t, struct eventfd, t)->wq);
}

/* Count what is due, and run the timer if the count is 0. e->lock held. */
static void timer_settle(struct eventfd *e)
{
	uint64_t n = timer_due(e);

	e->count += n;
	if (n)
		e->next = e->interval ? e->next + n * e->interval : 0;
	timer_cancel(&e->t);
	if (e->next && !e->count)
		timer_start(&e->t, e->next, timer_fire);
}

static bool counter_ready(void *arg)
{
	return ((struct eventfd *)arg)->count || timer_due(arg);
}

/* A write of v waits until the counter has room for all of v. */
struct counter_add {
	struct eventfd *e;
	uint64_t v;
};

static bool counter_room(void *arg)
{
	struct counter_add *a = arg;
	return a->v < ~0ULL - a->e->count;
}

static long eventfd_read(struct file *f, char *ubuf, size_t n)
{
	struct eventfd *e = f->priv;
	uint64_t v = 0;

	if (n < 8)
		return -EINVAL;
	for (;;) {
		mutex_lock(&e->lock);
		if (e->timer)
			timer_settle(e);
		if (e->count) {
			v = e->semaphore ? 1 : e->count;
			e->count -= v;
		}
		if (e->timer)
			timer_settle(e);
		mutex_unlock(&e->lock);
		if (v)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_intr(&e->wq, counter_ready, e, 0) < 0)
			return -ERESTARTSYS;
	}
	waitq_wake_all(&e->wq);
	if (copy_to_user(ubuf, &v, 8)) /* too late to undo, as on Linux */
		return -EFAULT;
	return 8;
}

static long eventfd_write(struct file *f, const char *ubuf, size_t n)
{
	struct counter_add a = {f->priv, 0};
	struct eventfd *e = a.e;
	bool done = false;

	if (n < 8 || e->timer)
		return -EINVAL;
	if (copy_from_user(&a.v, ubuf, 8))
		return -EFAULT;
	if (a.v == ~0ULL)
		return -EINVAL;
	while (!done) {
		mutex_lock(&e->lock);
		if ((done = counter_room(&a)))
			e->count += a.v;
		mutex_unlock(&e->lock);
		if (done)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		/* the wait's condition is the room for this v: a weaker one
		 * (room for 1) made a large write spin here, unkillable */
		if (wait_intr(&e->wq, counter_room, &a, 0) < 0)
			return -ERESTARTSYS;
	}
	waitq_wake_all(&e->wq);
	return 8;
}

static unsigned eventfd_poll(struct file *f)
{
	struct eventfd *e = f->priv;
	return (counter_ready(e) ? POLLIN : 0) |
	       (e->count < ~0ULL - 1 && !e->timer ? POLLOUT : 0);
}

static void eventfd_release(struct file *f)
{
	timer_cancel(&((struct eventfd *)f->priv)->t);
	kfree(f->priv);
}

static const struct file_ops eventfd_ops = {.read = eventfd_read,
					    .write = eventfd_write,
					    .release = eventfd_release,
					    .poll = eventfd_poll,
					    .name = "eventfd"};

/* A new eventfd (timer: a timer descriptor of the clock id initval). */
static long eventfd_new(long initval, long flags, bool timer)
{
	struct eventfd *e = kzalloc(sizeof(*e));
	struct file *f;
	int fd;

	if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC)) {
		kfree(e);
		return -EINVAL;
	}
	if (!e ||
	    !(f = file_alloc(&eventfd_ops, e, O_RDWR | (flags & O_NONBLOCK)))) {
		kfree(e);
		return -ENOMEM;
	}
	mutex_init(&e->lock);
	waitq_init(&e->wq);
	e->count = timer ? 0 : (unsigned)initval;
	e->clock = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	e->timer = timer;
	f->wq = &e->wq;
	if ((fd = fd_install(f, 0, flags & O_CLOEXEC)) < 0)
		file_put(f);
	return fd;
}

long sys_eventfd2(long initval, long flags)
{
	return eventfd_new(initval, flags, false);
}

/* LUX_EVENT_TIMERSET: see include/lux/proto.h. */
static long timer_set(int fd, uint64_t deadline, uint64_t interval, long uold)
{
	struct file *f = fd_get(fd);
	struct eventfd *e = f && f->ops == &eventfd_ops ? f->priv : NULL;
	uint64_t old[2], now = arch_clock_ns();
	long r = -EINVAL;

	if (e && e->timer) {
		mutex_lock(&e->lock);
		timer_settle(e);
		old[0] = e->next ? MAX(e->next, now + 1) - now : 0;
		old[1] = e->interval;
		if (deadline != ~0ULL) {
			e->next = deadline, e->interval = interval;
			e->count = 0;
			timer_settle(e);
		}
		mutex_unlock(&e->lock);
		r = copy_to_user((void *)uold, old, sizeof(old)) ? -EFAULT
								 : e->clock;
	}
	file_put(f);
	return f ? r : -EBADF;
}

/* LUX_NR_EVENT: see include/lux/proto.h. */
long sys_lux_event(long op, long fd, long a, long b, long c)
{
	if (op == LUX_EVENT_TIMERFD)
		return fd & ~(O_NONBLOCK | O_CLOEXEC)
			   ? -EINVAL
			   : eventfd_new(a, fd, true);
	if (op == LUX_EVENT_TIMERSET)
		return timer_set(fd, a, b, c);
	return op == LUX_EVENT_SIGNALFD ? signalfd_set(fd, a, b) : -EINVAL;
}
