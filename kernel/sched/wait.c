/*
 * wait.c - blocking: wait queues, sleeping with a deadline, mutexes.
 * Every wait re-checks its condition after each wake-up, so spurious
 * wake-ups are harmless and no wake-up can be lost: a sleeper is on the
 * queue, marked blocked, before it looks at the condition, and a waker
 * changes the condition before it wakes the queue.
 */
#include "mm.h"
#include "sched.h"
#include <lux/errno.h>

struct waiter {
	struct list link;
	struct thread *thread;
};

void waitq_init(struct waitq *wq)
{
	wq->lock = (struct spinlock)SPINLOCK_INIT;
	list_init(&wq->waiters);
	wq->async = NULL;
}

/* Inlined in each caller: the wake-up paths are every pipe's and
 * socket's. */
static inline __attribute__((always_inline)) void
wake(struct waitq *wq, bool all, volatile bool *flag, unsigned events)
{
	struct list *it;

	spin_lock(&wq->lock);
	struct sigio *async = wq->async; /* once unlocked, wq may be gone */
	wq->wakes++;
	if (flag)
		*flag = true;
	list_for_each(it, &wq->waiters)
	{
		if (sched_wake(container_of(it, struct waiter, link)->thread) &&
		    !all)
			break;
	}
	spin_unlock(&wq->lock);
	if (events && async) /* a file's queue: the file holds it */
		sigio_wake(wq, events);
}

void waitq_wake_all(struct waitq *wq)
{
	wake(wq, true, NULL, ~0u);
}

void waitq_wake_one(struct waitq *wq)
{
	wake(wq, false, NULL, ~0u);
}

void waitq_wake_io(struct waitq *wq, unsigned events)
{
	wake(wq, true, NULL, events);
}

void waitq_set_and_wake(struct waitq *wq, volatile bool *flag)
{
	wake(wq, true, flag, 0);
}

static void wake_sleeper(struct timer *t)
{
	sched_wake(container_of(t, struct thread, timer));
}

/*
 * Sleep on the n queues wqs (NULL entries skipped) until cond(arg) holds,
 * the deadline passes or, if intr, a signal comes: 1, 0 or -EINTR. The
 * thread is marked blocked and on every queue before it tests cond.
 */
static int wait(struct waitq *const *wqs, unsigned n, bool (*cond)(void *),
		void *arg, uint64_t deadline, bool intr)
{
	struct thread *self = current_thread();
	struct waiter one, *w = n > 1 ? kzalloc(n * sizeof(*w)) : &one;
	bool timer = false;
	int ok;

	if (!w)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		list_init(&w[i].link);
	for (;;) {
		self->state = THREAD_BLOCKED;
		for (unsigned i = 0; i < n; i++) {
			if (!wqs[i] || !list_empty(&w[i].link))
				continue;
			w[i].thread = self;
			spin_lock(&wqs[i]->lock);
			list_push_back(&wqs[i]->waiters, &w[i].link);
			spin_unlock(&wqs[i]->lock);
		}
		if ((ok = cond(arg)) ||
		    (deadline && arch_clock_ns() >= deadline))
			break;
		if (intr && self->interrupt) {
			ok = -EINTR;
			break;
		}
		if (deadline && !timer) {
			timer_start(&self->timer, deadline, wake_sleeper);
			timer = true;
		}
		schedule();
	}
	self->state = THREAD_RUNNING;
	for (unsigned i = 0; i < n; i++) {
		if (!wqs[i])
			continue;
		spin_lock(&wqs[i]->lock);
		list_remove(&w[i].link);
		spin_unlock(&wqs[i]->lock);
	}
	if (timer)
		timer_cancel(&self->timer);
	if (n > 1)
		kfree(w);
	return ok;
}

bool wait_until(struct waitq *wq, bool (*cond)(void *), void *arg,
		uint64_t deadline)
{
	return wait(&wq, 1, cond, arg, deadline, false) > 0;
}

int wait_intr(struct waitq *wq, bool (*cond)(void *), void *arg,
	      uint64_t deadline)
{
	return wait(&wq, 1, cond, arg, deadline, true);
}

static bool never(void *unused)
{
	(void)unused;
	return false;
}

void sleep_until(uint64_t deadline)
{
	struct waitq wq;

	waitq_init(&wq);
	while (arch_clock_ns() < deadline)
		wait_until(&wq, never, NULL, deadline);
}

int wait_many(struct waitq *const *wqs, unsigned n, bool (*cond)(void *),
	      void *arg, uint64_t deadline)
{
	return wait(wqs, n, cond, arg, deadline, true);
}

int sleep_intr(uint64_t deadline)
{
	struct waitq wq;

	waitq_init(&wq);
	while (arch_clock_ns() < deadline)
		if (wait_intr(&wq, never, NULL, deadline) < 0)
			return -EINTR;
	return 0;
}

void mutex_init(struct mutex *m)
{
	m->owner = NULL;
	waitq_init(&m->wq);
}

static bool mutex_free(void *m)
{
	return ((struct mutex *)m)->owner == NULL;
}

/* The owner, while it runs on another CPU: it is about to let go, and
 * spinning costs less than sleeping and being woken. A freed thread's
 * memory stays mapped, so reading a stale owner's state is harmless. */
static bool owner_running(struct mutex *m)
{
	struct thread *o = m->owner;

	return o && o->state == THREAD_RUNNING && o == m->owner;
}

void mutex_lock(struct mutex *m)
{
	struct thread *self = current_thread(), *none;

	for (;;) {
		none = NULL;
		if (__atomic_compare_exchange_n(&m->owner, &none, self, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		while (owner_running(m))
			arch_cpu_relax();
		if (m->owner) /* it sleeps or waits its turn: so do we */
			wait_until(&m->wq, mutex_free, m, 0);
	}
}

void mutex_unlock(struct mutex *m)
{
	assert(m->owner == current_thread());
	__atomic_store_n(&m->owner, NULL, __ATOMIC_RELEASE);
	wake(&m->wq, false, NULL, 0); /* no file's queue: no SIGIO */
}
