/*
 * futex.c - FUTEX_WAIT, FUTEX_WAKE (and their _BITSET forms) and
 * FUTEX_(CMP_)REQUEUE. As on Linux, a futex is named by (address space,
 * address) when the caller says FUTEX_PRIVATE_FLAG or the memory is
 * private; a shared futex in a MAP_SHARED area by its physical address,
 * so that processes sharing the page meet.
 * A waiter queues itself before it reads the futex word, and a waker
 * changes the word before it wakes: no wake-up is lost. A waiter keeps
 * its bitset (all ones for FUTEX_WAIT): a wake reaches it when they meet.
 * A thread's robust list (Linux's ABI) is walked when it exits or execs.
 * Priority-inheritance locks (FUTEX_LOCK_PI...) are below the robust
 * lists; docs/scheduling.md says how they work.
 */
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/mman.h>

#define FUTEX_WAIT        0
#define FUTEX_WAKE        1
#define FUTEX_REQUEUE     3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_LOCK_PI     6
#define FUTEX_UNLOCK_PI   7
#define FUTEX_TRYLOCK_PI  8
#define FUTEX_WAKE_BITSET 10
#define FUTEX_LOCK_PI2    13
#define FUTEX_PRIVATE     128
#define FUTEX_REALTIME    256
#define FUTEX_WAITERS     0x80000000u
#define FUTEX_OWNER_DIED  0x40000000u
#define FUTEX_TID_MASK    0x3fffffffu
#define ROBUST_LIMIT      2048 /* entries walked at most, as Linux */
#define BUCKETS           64
#define PI_DEPTH          1024 /* lock chains followed at most, as Linux */

struct futex_waiter {
	struct list link;
	uintptr_t space, addr; /* the key */
	uint32_t bits;         /* FUTEX_WAIT_BITSET's, else all */
	struct waitq wq;       /* where the waiter sleeps */
	volatile bool woken;
	/* PI: the waiting thread and the owner (NULL once it died), whose
	 * pi_waiters link holds it; the tid of an owner that died */
	struct thread *thread, *owner;
	uint32_t dead;
	bool private; /* FUTEX_PRIVATE_FLAG: the owner shares our mm */
};

static struct {
	struct spinlock lock;
	struct list waiters;
} buckets[BUCKETS];

static unsigned bucket_of(uintptr_t space, uintptr_t addr)
{
	return (unsigned)((space ^ addr) >> 2) % BUCKETS;
}

/* The key of the futex at uaddr (faulting its page in). */
static int futex_key(uint32_t *uaddr, bool private, uintptr_t *space,
		     uintptr_t *addr)
{
	struct mm *mm = current_proc()->mm;
	uint32_t v;
	unsigned prot;

	if ((uintptr_t)uaddr & 3)
		return -EINVAL;
	if (copy_from_user(&v, uaddr, 4))
		return -EFAULT;
	*space = (uintptr_t)mm;
	*addr = (uintptr_t)uaddr;
	mutex_lock(&mm->lock);
	struct vma *area = vma_find(mm, *addr); /* NULL if unmapped since */
	if (!private && area && area->shared) {
		*space = 0;
		*addr =
		    arch_ulookup(&mm->as, ALIGN_DOWN(*addr, PAGE_SIZE), &prot) +
		    (*addr & (PAGE_SIZE - 1));
	}
	mutex_unlock(&mm->lock);
	return 0;
}

/* Unlink w unless a waker did; a requeue may move w between buckets, so
 * its bucket is re-read under the lock. */
static void remove_waiter(struct futex_waiter *w)
{
	for (;;) {
		unsigned b = bucket_of(w->space, w->addr);
		spin_lock(&buckets[b].lock);
		if (b == bucket_of(w->space, w->addr)) {
			if (!w->woken)
				list_remove(&w->link);
			spin_unlock(&buckets[b].lock);
			return;
		}
		spin_unlock(&buckets[b].lock);
	}
}

static bool futex_woken(void *w)
{
	return ((struct futex_waiter *)w)->woken;
}

static long futex_wait(uint32_t *uaddr, bool private, uint32_t val,
		       uint64_t deadline, uint32_t bits)
{
	struct futex_waiter w = {.bits = bits, .woken = false};
	uint32_t now;
	int r;

	if ((r = futex_key(uaddr, private, &w.space, &w.addr)))
		return r;
	waitq_init(&w.wq);
	spin_lock(&buckets[bucket_of(w.space, w.addr)].lock);
	list_push_back(&buckets[bucket_of(w.space, w.addr)].waiters, &w.link);
	spin_unlock(&buckets[bucket_of(w.space, w.addr)].lock);
	if (copy_from_user(&now, uaddr, 4))
		r = -EFAULT;
	else if (now != val)
		r = -EAGAIN;
	else
		r = wait_intr(&w.wq, futex_woken, &w, deadline);
	remove_waiter(&w);
	spin_lock(&w.wq.lock); /* the waker is done with w */
	spin_unlock(&w.wq.lock);
	if (w.woken)
		return 0;
	return r == 0 ? -ETIMEDOUT : r < 0 ? r : 0;
}

/* Wake up to n waiters on key 1 whose bitset meets bits, then move up to
 * m more to key 2. */
static int wake_key(uintptr_t space, uintptr_t addr, uint32_t bits, int n,
		    uintptr_t space2, uintptr_t addr2, int m)
{
	unsigned b = bucket_of(space, addr), b2 = bucket_of(space2, addr2);
	struct list *it, *next;
	int done = 0;

	spin_lock(&buckets[MIN(b, b2)].lock);
	if (b != b2)
		spin_lock(&buckets[MAX(b, b2)].lock);
	for (it = buckets[b].waiters.next;
	     it != &buckets[b].waiters && done < n + m; it = next) {
		struct futex_waiter *w =
		    container_of(it, struct futex_waiter, link);
		next = it->next;
		if (w->space != space || w->addr != addr || !(w->bits & bits))
			continue;
		list_remove(it);
		if (done++ < n) {
			waitq_set_and_wake(&w->wq, &w->woken);
		} else {
			w->space = space2;
			w->addr = addr2;
			list_push_back(&buckets[b2].waiters, it);
		}
	}
	if (b != b2)
		spin_unlock(&buckets[MAX(b, b2)].lock);
	spin_unlock(&buckets[MIN(b, b2)].lock);
	return done;
}

int futex_wake(void *uaddr, int n)
{
	uintptr_t space, addr;

	if (futex_key(uaddr, false, &space, &addr) < 0)
		return 0;
	return wake_key(space, addr, ~0u, n, 0, 0, 0);
}

/* The futex word at uaddr of the caller's mm (its lock held) through the
 * kernel's alias of its page, or NULL unless mapped writable (no copy on
 * write pending) and in RAM. */
static uint32_t *futex_alias(struct mm *mm, uintptr_t uaddr)
{
	unsigned prot;
	uint64_t pa =
	    arch_ulookup(&mm->as, ALIGN_DOWN(uaddr, PAGE_SIZE), &prot);

	if (!pa || !(prot & PROT_WRITE) || (prot & PROT_DEVICE))
		return NULL;
	return (uint32_t *)((char *)phys_to_virt(pa) +
			    (uaddr & (PAGE_SIZE - 1)));
}

static bool word_cas(uint32_t *w, uint32_t *old, uint32_t new)
{
	return __atomic_compare_exchange_n(w, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

/* --- Priority inheritance --- */

/* Guards every PI waiter and thread's pi_waiters and pi_blocked. Order:
 * proc_lock, the caller's mm->lock, pi_lock, then wait queues and the
 * scheduler's locks. */
static struct spinlock pi_lock = SPINLOCK_INIT;

/* Set t's priority to the higher of its base (its nice value) and its PI
 * waiters', then as far as that changes anything along the chain of
 * owners t waits for, PI_DEPTH steps at most. pi_lock held. */
static void pi_update(struct thread *t)
{
	for (int i = 0; t && i < PI_DEPTH; i++) {
		unsigned prio = PRIO_DEFAULT - t->proc->nice;
		struct list *it;
		list_for_each(it, &t->pi_waiters) prio =
		    MAX(prio, container_of(it, struct futex_waiter, link)
				  ->thread->rq.prio);
		if (prio == t->rq.prio)
			return;
		thread_set_priority(t, prio);
		t = t->pi_blocked ? t->pi_blocked->owner : NULL;
	}
}

/* setpriority changed t's base priority. */
void futex_pi_prio(struct thread *t)
{
	spin_lock(&pi_lock);
	pi_update(t);
	spin_unlock(&pi_lock);
}

/*
 * One try at the PI lock whose word is w for the caller, waiter me: take
 * it if free (or held by me->dead, its owner that died while I waited),
 * keeping FUTEX_WAITERS and adding FUTEX_OWNER_DIED after a death (1);
 * else set FUTEX_WAITERS and queue me on the owner the word names, which
 * inherits my priority (0), or for a trylock -EAGAIN. EDEADLK when the
 * caller holds it or the chain of owners leads back to it or is longer
 * than PI_DEPTH; ESRCH for no such owner, EPERM for a private lock's
 * owner in another address space (as Linux). proc_lock, pi_lock held.
 */
static int pi_lock_word(uint32_t *w, struct futex_waiter *me, bool try)
{
	uint32_t v = __atomic_load_n(w, __ATOMIC_RELAXED), tid;
	struct thread *self = me->thread, *owner, *o;

	for (int i = 0; i < 64; i++) { /* the word may keep changing */
		if ((tid = v & FUTEX_TID_MASK) == (uint32_t)self->tid)
			return -EDEADLK;
		if (!tid || tid == me->dead) {
			if (word_cas(w, &v,
				     self->tid | (v & ~FUTEX_TID_MASK) |
					 (tid ? FUTEX_OWNER_DIED : 0)))
				return 1;
			continue;
		}
		if (!(owner = thread_by_tid(tid)))
			return -ESRCH;
		if (!(v & FUTEX_WAITERS) && !word_cas(w, &v, v | FUTEX_WAITERS))
			continue;
		if (me->private && owner->proc->mm != self->proc->mm)
			return -EPERM;
		if (try)
			return -EAGAIN;
		o = owner;
		for (int d = 0; o;
		     d++, o = o->pi_blocked ? o->pi_blocked->owner : NULL)
			if (o == self || d >= PI_DEPTH)
				return -EDEADLK;
		me->owner = owner;
		list_push_back(&owner->pi_waiters, &me->link);
		self->pi_blocked = me;
		pi_update(owner);
		return 0;
	}
	return -EAGAIN;
}

/*
 * Unlock the PI lock whose word is w, held by the caller (else -EPERM):
 * hand it to its highest-priority waiter (the first queued of equals) by
 * writing its tid, with FUTEX_WAITERS if more wait, who then owns the
 * others; with none, clear the word. 1, or -EAGAIN if the word keeps
 * changing. pi_lock held.
 */
static int pi_unlock_word(uint32_t *w, struct futex_waiter *key)
{
	struct thread *self = key->thread;
	struct futex_waiter *top = NULL, *o;
	struct list *it, *next;
	uint32_t v = __atomic_load_n(w, __ATOMIC_RELAXED);
	bool more = false;

	list_for_each(it, &self->pi_waiters)
	{
		o = container_of(it, struct futex_waiter, link);
		if (o->space != key->space || o->addr != key->addr)
			continue;
		more = top != NULL;
		if (!top || o->thread->rq.prio > top->thread->rq.prio)
			top = o;
	}
	for (int i = 0;; i++) {
		if ((v & FUTEX_TID_MASK) != (uint32_t)self->tid)
			return -EPERM;
		if (word_cas(w, &v,
			     top ? top->thread->tid | (more ? FUTEX_WAITERS : 0)
				 : 0))
			break;
		if (i == 64)
			return -EAGAIN;
	}
	if (!top)
		return 1;
	list_remove(&top->link);
	top->thread->pi_blocked = NULL;
	for (it = self->pi_waiters.next; it != &self->pi_waiters; it = next) {
		next = it->next;
		o = container_of(it, struct futex_waiter, link);
		if (o->space == key->space && o->addr == key->addr) {
			list_remove(it);
			list_push_back(&top->thread->pi_waiters, it);
			o->owner = top->thread;
		}
	}
	pi_update(self);
	pi_update(top->thread);
	waitq_set_and_wake(&top->wq, &top->woken);
	return 1;
}

/* One step of a PI operation with the locks it needs held: 1 done, 0
 * queued, -errno. A word not writable in RAM is faulted in again (a fork
 * may have made it copy on write meanwhile), a few times at most. */
static int pi_step(uintptr_t uaddr, int cmd, struct futex_waiter *me)
{
	struct mm *mm = me->thread->proc->mm;
	uint32_t *w = NULL;
	int r = -EFAULT;

	for (int i = 0; i < 4 && !w; i++) {
		if (vm_fault(uaddr, PROT_WRITE))
			return -EFAULT;
		mutex_lock(&proc_lock);
		mutex_lock(&mm->lock);
		spin_lock(&pi_lock);
		if ((w = futex_alias(mm, uaddr)))
			r = cmd == FUTEX_UNLOCK_PI
				? pi_unlock_word(w, me)
				: pi_lock_word(w, me, cmd == FUTEX_TRYLOCK_PI);
		/* a waiter handed the lock runs once we let go of the
		 * mutexes, which lend no priority */
		preempt_disable();
		spin_unlock(&pi_lock);
		mutex_unlock(&mm->lock);
		mutex_unlock(&proc_lock);
		preempt_enable();
	}
	return r;
}

/*
 * FUTEX_LOCK_PI(2), FUTEX_TRYLOCK_PI, FUTEX_UNLOCK_PI on the word at
 * uaddr, Linux's protocol (0 or the owner's tid, FUTEX_WAITERS when the
 * kernel must be called to unlock, FUTEX_OWNER_DIED). A waiter sleeps
 * until it is handed the lock (0), its deadline passes (-ETIMEDOUT) or a
 * signal comes (the call is made again once its handler returned, as
 * Linux); if its owner dies meanwhile, it tries again.
 */
static long futex_pi(uint32_t *uaddr, int cmd, bool private, uint64_t deadline)
{
	struct futex_waiter me = {.thread = current_thread(),
				  .private = private};
	int r;

	if ((r = futex_key(uaddr, private, &me.space, &me.addr)))
		return r;
	waitq_init(&me.wq);
	while (!(r = pi_step((uintptr_t)uaddr, cmd, &me))) {
		r = wait_intr(&me.wq, futex_woken, &me, deadline);
		spin_lock(&pi_lock);
		if (!me.woken) { /* timed out or interrupted: leave */
			list_remove(&me.link);
			me.thread->pi_blocked = NULL;
			pi_update(me.owner);
		}
		spin_unlock(&pi_lock);
		spin_lock(&me.wq.lock); /* the waker is done with me */
		spin_unlock(&me.wq.lock);
		if (!me.woken) /* after a signal's handler, again */
			return r == 0 ? -ETIMEDOUT : -ERESTARTNOINTR;
		if (me.owner)
			return 0;
		me.woken = false; /* the owner died: try again */
	}
	return r < 0 ? r : 0;
}

/* t exits or execs: the PI locks it holds with waiters go to them (they
 * try again, and the first takes the lock with FUTEX_OWNER_DIED), and it
 * drops back to its base priority. Once it exits, no thread finds it by
 * its tid to queue on it. */
void futex_pi_exit(struct thread *t)
{
	struct list *it;

	spin_lock(&pi_lock);
	while ((it = list_pop_front(&t->pi_waiters))) {
		struct futex_waiter *w =
		    container_of(it, struct futex_waiter, link);
		w->owner = NULL;
		w->dead = t->tid;
		w->thread->pi_blocked = NULL;
		waitq_set_and_wake(&w->wq, &w->woken);
	}
	pi_update(t);
	spin_unlock(&pi_lock);
}

long sys_futex(long uaddr, long op, long val, long utimeout, long uaddr2,
	       long val3)
{
	int cmd = op & ~(FUTEX_PRIVATE | FUTEX_REALTIME);
	bool private = op & FUTEX_PRIVATE,
	     bitset = cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET;
	uint32_t bits = bitset ? (uint32_t)val3 : ~0u;
	int64_t deadline = 0, ns;
	uintptr_t space, addr;
	int r;

	if ((op & FUTEX_REALTIME) && cmd != FUTEX_WAIT &&
	    cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	if (bitset && !bits)
		return -EINVAL;
	if (cmd == FUTEX_LOCK_PI) /* absolute, on CLOCK_REALTIME */
		op |= FUTEX_REALTIME;
	if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET ||
	    cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2) {
		if (utimeout) {
			if ((r = timespec_from_user(utimeout, &ns)))
				return r;
			deadline = ns; /* else absolute, on its clock */
			if (cmd == FUTEX_WAIT)
				deadline += arch_clock_ns();
			else if (op & FUTEX_REALTIME)
				deadline -= clock_realtime_base();
			deadline = MAX(deadline, 1);
		}
		if (cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2)
			return futex_pi((uint32_t *)uaddr, cmd, private,
					deadline);
		return futex_wait((uint32_t *)uaddr, private, val, deadline,
				  bits);
	}
	if (cmd == FUTEX_UNLOCK_PI || cmd == FUTEX_TRYLOCK_PI)
		return futex_pi((uint32_t *)uaddr, cmd, private, 0);
	if ((r = futex_key((uint32_t *)uaddr, private, &space, &addr)))
		return r;
	if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET)
		return wake_key(space, addr, bits, val, 0, 0, 0);
	if (cmd != FUTEX_REQUEUE && cmd != FUTEX_CMP_REQUEUE)
		return -ENOSYS;
	uintptr_t space2, addr2;
	uint32_t now;
	if ((r = futex_key((uint32_t *)uaddr2, private, &space2, &addr2)))
		return r;
	if (cmd == FUTEX_CMP_REQUEUE &&
	    (copy_from_user(&now, (void *)uaddr, 4) || now != (uint32_t)val3))
		return -EAGAIN;
	/* the fourth argument is a count here, not a timeout */
	return wake_key(space, addr, ~0u, val, space2, addr2, utimeout);
}

/*
 * If t holds the robust lock at uaddr (its tid in the word), mark the
 * owner dead, keeping FUTEX_WAITERS, and wake one waiter if there are
 * any. The word changes by compare-and-swap through the kernel's alias of
 * its page, made writable first (copy on write) and held under the area
 * lock so that no fork or munmap changes it meanwhile. Device memory and
 * words that keep changing (64 tries) are left alone.
 */
static void robust_release(struct thread *t, uintptr_t uaddr)
{
	struct mm *mm = t->proc->mm;
	uint32_t tid = t->tid, v = 0, *w;

	if ((uaddr & 3) || vm_fault(uaddr, PROT_WRITE))
		return;
	mutex_lock(&mm->lock);
	if ((w = futex_alias(mm, uaddr))) {
		v = __atomic_load_n(w, __ATOMIC_RELAXED);
		for (int i = 0; i < 64 && (v & FUTEX_TID_MASK) == tid; i++)
			if (word_cas(w, &v,
				     (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED))
				break;
	}
	mutex_unlock(&mm->lock);
	if ((v & FUTEX_TID_MASK) == tid && (v & FUTEX_WAITERS))
		futex_wake((void *)uaddr, 1);
}

/* t exits or execs: release the locks of its robust list (Linux's struct
 * robust_list_head: the list, the futex word's offset from an entry, the
 * entry being locked or unlocked), at most ROBUST_LIMIT entries, so that
 * a list that loops cannot hold the exit up. Bit 0 of an entry marks a
 * priority-inheritance lock: treated like the others. */
void futex_robust_exit(struct thread *t)
{
	uintptr_t head[3], entry, next;

	if (!t->robust_list || copy_from_user(head, (void *)t->robust_list, 24))
		return;
	entry = head[0] & ~1ul;
	for (int i = 0; i < ROBUST_LIMIT && entry != t->robust_list; i++) {
		if (copy_from_user(&next, (void *)entry, 8))
			break; /* read before the lock may be freed */
		if (entry != (head[2] & ~1ul))
			robust_release(t, entry + head[1]);
		entry = next & ~1ul;
	}
	if (head[2] & ~1ul)
		robust_release(t, (head[2] & ~1ul) + head[1]);
	t->robust_list = 0;
}

/* set_robust_list: the head of the caller's list, of Linux's size. */
long sys_set_robust_list(long head, long len)
{
	if (len != 24)
		return -EINVAL;
	current_thread()->robust_list = head;
	return 0;
}

/* get_robust_list: the head of the caller's list or of a thread of its
 * own process (tid), with its size; ESRCH for any other tid. */
long sys_get_robust_list(long tid, long uhead, long ulen)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	struct list *it;
	uintptr_t head = 0;
	long len = 24;
	bool found = tid == 0;

	spin_lock(&p->sig_lock);
	list_for_each(it, &p->threads)
	{
		struct thread *u = container_of(it, struct thread, proc_link);
		if (tid == 0 ? u == t : u->tid == tid)
			head = u->robust_list, found = true;
	}
	spin_unlock(&p->sig_lock);
	if (!found)
		return -ESRCH;
	if (copy_to_user((void *)uhead, &head, 8) ||
	    copy_to_user((void *)ulen, &len, 8))
		return -EFAULT;
	return 0;
}

void futex_init(void)
{
	for (unsigned i = 0; i < BUCKETS; i++) {
		buckets[i].lock = (struct spinlock)SPINLOCK_INIT;
		list_init(&buckets[i].waiters);
	}
}
