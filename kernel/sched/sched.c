/*
 * sched.c - the per-CPU priority scheduler: threads, switching,
 * preemption, wake-ups across CPUs, work stealing and per-CPU timers.
 *
 * Each CPU's sched.lock guards its run queue, its timers, its current
 * thread and the state of every thread whose `cpu` names it. A switch
 * holds the lock from schedule() into the next thread, which releases it
 * (finish_switch), so no other CPU can pick a thread before it is fully
 * off its old CPU. See docs/scheduling.md.
 */
#include "cpu.h"
#include "mm.h"
#include "sched.h"
#include <lux/errno.h>

static volatile uint64_t online_mask; /* CPUs that run the scheduler */
static volatile uint64_t idle_mask;   /* CPUs halted with nothing to do */
static struct waitq reaper_wq;        /* the reaper: frees dead detached */
static struct list reaper_list;       /* threads queued here */

static struct sched_cpu *sched_of(unsigned cpu)
{
	return &cpus[cpu].sched;
}

void preempt_disable(void)
{
	this_cpu_add32(sched.preempt_count, 1);
}

static void __schedule(bool preempt);

void preempt_enable(void)
{
	this_cpu_add32(sched.preempt_count, -1);
	if (this_cpu_read(sched.need_resched) &&
	    !this_cpu_read(sched.preempt_count) && arch_irq_enabled())
		__schedule(true);
}

void sched_interrupt_exit(void)
{
	struct sched_cpu *s = &this_cpu()->sched;

	if (s->need_resched && s->preempt_count == 0 && s->current)
		__schedule(true);
}

/* Lock the CPU that guards t (t->cpu may change until we hold it). */
static struct sched_cpu *lock_thread(struct thread *t)
{
	for (;;) {
		unsigned cpu = t->cpu;
		spin_lock(&sched_of(cpu)->lock);
		if (t->cpu == cpu)
			return sched_of(cpu);
		spin_unlock(&sched_of(cpu)->lock);
	}
}

/* Program this CPU's timer for its next timer or the end of the slice,
 * unless it is set to go off sooner: then it goes off early and the tick
 * re-arms, which costs less than programming it at every switch. */
static void rearm(struct sched_cpu *s)
{
	uint64_t next = timerq_next(&s->timers);

	/* Once a reschedule is pending, the slice's end is no deadline: the
	 * switch re-arms. Re-arming for an end already past would interrupt
	 * at once, again and again, if the interrupted code keeps preemption
	 * off for a moment (seen under -icount, where time only moves with
	 * instructions). */
	if (s->current != s->idle && !s->need_resched)
		next = MIN(next, s->current->slice_end);
	if (next != UINT64_MAX && (!s->armed || next < s->armed)) {
		s->armed = next;
		arch_timer_set(next);
	}
}

/* Wake an idle CPU that may run work queued on s (cpu), if there is one. */
static void kick_idle(struct sched_cpu *s)
{
	uint64_t allowed = __atomic_load_n(&idle_mask, __ATOMIC_RELAXED);
	struct list *it;

	if (!allowed || !s->runq.count)
		return;
	list_for_each(it, &s->runq.level[runq_top(&s->runq)])
	{
		uint64_t m =
		    allowed &
		    container_of(it, struct runq_entry, link)->affinity;
		if (m) {
			arch_send_resched(__builtin_ctzll(m));
			return;
		}
	}
}

/* Queue t (READY, guarded by s) on CPU cpu and preempt what runs there if
 * t outranks it. */
static void enqueue(struct sched_cpu *s, unsigned cpu, struct thread *t)
{
	runq_push(&s->runq, &t->rq, false);
	if (s->current == s->idle || t->rq.prio > s->current->rq.prio) {
		s->need_resched = true;
		if (cpu != this_cpu()->id)
			arch_send_resched(cpu);
	} else {
		kick_idle(s);
	}
}

/* Where a woken thread should run: its last CPU if that is idle, else
 * any idle CPU it may use, else its last CPU if allowed, else the first
 * allowed one. */
static unsigned choose_cpu(struct thread *t)
{
	uint64_t allowed = t->rq.affinity & online_mask;
	unsigned last = t->cpu;

	/* An idle CPU is claimed (its bit cleared) by the wake that picks
	 * it, so a burst of wake-ups spreads over the idle CPUs instead of
	 * piling onto the first; it sets the bit again if it finds no work. */
	for (uint64_t idle; (idle = allowed & idle_mask);) {
		unsigned cpu =
		    (idle >> last & 1) ? last : __builtin_ctzll(idle);
		if (__atomic_fetch_and(&idle_mask, ~(1ULL << cpu),
				       __ATOMIC_SEQ_CST) &
		    (1ULL << cpu))
			return cpu;
	}
	if ((allowed >> last) & 1)
		return last;
	return __builtin_ctzll(allowed);
}

bool sched_wake(struct thread *t)
{
	struct sched_cpu *s = lock_thread(t);
	unsigned cpu;

	if (t->state != THREAD_BLOCKED) {
		spin_unlock(&s->lock);
		return false;
	}
	if (s->current == t) { /* not yet switched out: just keep running */
		t->state = THREAD_RUNNING;
		spin_unlock(&s->lock);
		return true;
	}
	t->state = THREAD_READY;
	cpu = choose_cpu(t);
	/* Nobody else touches a READY thread that is in no queue. */
	if (cpu != t->cpu) {
		t->cpu = cpu;
		spin_unlock(&s->lock);
		s = sched_of(cpu);
		spin_lock(&s->lock);
	}
	enqueue(s, cpu, t);
	spin_unlock(&s->lock);
	return true;
}

/*
 * Take the best thread another CPU has queued that may run here. Called
 * with our lock held. We wait for another CPU's lock only while it has
 * threads queued: it is then not stealing (which needs an empty queue,
 * like ours), so no two CPUs wait for each other. Giving up instead
 * would send an idle CPU back to sleep each time it is kicked, as the
 * kicking CPU holds its lock just then.
 */
static struct thread *steal(unsigned self)
{
	for (unsigned i = 1; i < ncpus; i++) {
		struct sched_cpu *o = sched_of((self + i) % ncpus);
		struct runq_entry *e;
		bool locked = false;
		while (o->runq.count && !(locked = spin_trylock(&o->lock)))
			arch_cpu_relax();
		if (!locked)
			continue;
		e = runq_steal(&o->runq, self);
		if (e)
			container_of(e, struct thread, rq)->cpu = self;
		spin_unlock(&o->lock);
		if (e)
			return container_of(e, struct thread, rq);
	}
	return NULL;
}

/* In the thread switched to, with this CPU's lock held: release it and
 * let a dead predecessor's joiner free it. */
static void finish_switch(struct thread *prev)
{
	spin_release(&this_cpu()->sched.lock);
	if (prev->state == THREAD_MIGRATING) {
		prev->state = THREAD_BLOCKED;
		sched_wake(prev);
	}
	if (prev->state == THREAD_DEAD)
		waitq_set_and_wake(&prev->exit_wq, &prev->done);
	if (prev->state == THREAD_DEAD && prev->detached) {
		spin_lock(&reaper_wq.lock);
		list_push_back(&reaper_list, &prev->rq.link);
		spin_unlock(&reaper_wq.lock);
		waitq_wake_all(&reaper_wq);
	}
}

/*
 * Switch to the best ready thread. A preemption (preempt) keeps the
 * current thread runnable even if it was about to block: it re-checks
 * its wait condition when it runs again, so no wake-up is lost.
 */
static void __schedule(bool preempt)
{
	unsigned long flags = arch_irq_save();
	struct cpu *c = this_cpu();
	struct sched_cpu *s = &c->sched;
	struct thread *prev, *next;
	struct runq_entry *e;
	uint64_t now = arch_clock_ns();

	assert(s->preempt_count == 0);
	spin_acquire(&s->lock);
	prev = s->current;
	prev->runtime += now - prev->ran_since;
	if (prev != s->idle && (prev->state == THREAD_RUNNING ||
				(preempt && prev->state == THREAD_BLOCKED))) {
		/* Preempted before its slice ended, it keeps its place and
		 * the rest of its slice; else it waits its turn for a new one. */
		bool early = preempt && now < prev->slice_end;
		prev->state = THREAD_READY;
		prev->slice_left = early ? prev->slice_end - now : 0;
		if (prev->rq.affinity >> c->id & 1)
			runq_push(&s->runq, &prev->rq, early);
		else /* no longer allowed here: finish_switch moves it */
			prev->state = THREAD_MIGRATING;
	}
	s->need_resched = false;
	e = runq_pop(&s->runq);
	next = e ? container_of(e, struct thread, rq) : steal(c->id);
	if (!next)
		next = s->idle;
	next->state = THREAD_RUNNING;
	next->ran_since = now;
	if (next != prev || now >= next->slice_end)
		next->slice_end =
		    now + (next->slice_left ? next->slice_left : TIME_SLICE);
	next->slice_left = 0;
	/* An interrupt that wakes the idle thread switches from it at once;
	 * it must not stay in idle_mask while this CPU runs threads. */
	if (prev == s->idle && next != prev)
		__atomic_and_fetch(&idle_mask, ~(1ULL << c->id),
				   __ATOMIC_SEQ_CST);
	s->current = next;
	rearm(s);
	if (next != prev) {
		struct arch_context *from = arch_switch(&prev->ctx, &next->ctx);
		finish_switch((struct thread *)from);
	} else {
		spin_release(&s->lock);
	}
	arch_irq_restore(flags);
}

void schedule(void)
{
	__schedule(false);
}

void sched_yield(void)
{
	current_thread()->slice_end = 0; /* to the back of its level */
	schedule();
}

NORETURN void thread_entry(struct arch_context *prev)
{
	struct thread *self;

	finish_switch((struct thread *)prev);
	arch_irq_enable();
	self = current_thread();
	self->fn(self->arg);
	thread_exit();
}

struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg,
			    unsigned prio, uint64_t affinity)
{
	struct thread *t;

	if (prio >= NPRIO || !(affinity & online_mask))
		return NULL;
	if (!(t = kzalloc(sizeof(*t))))
		return NULL;
	if (!(t->kstack = kstack_alloc())) {
		kfree(t);
		return NULL;
	}
	arch_thread_init(&t->ctx, t->kstack + KSTACK_SIZE);
	list_init(&t->rq.link);
	t->rq.prio = prio;
	t->rq.affinity = affinity;
	t->fn = fn;
	t->arg = arg;
	waitq_init(&t->exit_wq);
	strlcpy(t->name, name, sizeof(t->name));
	t->cpu = __builtin_ctzll(affinity & online_mask);
	t->state = THREAD_BLOCKED;
	list_init(&t->proc_link);
	list_init(&t->pi_waiters);
	return t;
}

void thread_start(struct thread *t)
{
	sched_wake(t);
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
			     unsigned prio, uint64_t affinity)
{
	struct thread *t = thread_alloc(name, fn, arg, prio, affinity);

	if (t)
		thread_start(t);
	return t;
}

NORETURN void thread_exit(void)
{
	arch_irq_save();
	current_thread()->state = THREAD_DEAD;
	__schedule(false);
	panic("a dead thread ran again");
}

static bool thread_done(void *t)
{
	return ((struct thread *)t)->done;
}

void thread_free(struct thread *t)
{
	spin_lock(&t->exit_wq.lock); /* its last waker has let go */
	spin_unlock(&t->exit_wq.lock);
	arch_thread_free(&t->ctx);
	kstack_free(t->kstack);
	kfree(t);
}

void thread_join(struct thread *t)
{
	wait_until(&t->exit_wq, thread_done, t, 0);
	thread_free(t);
}

/* Detached threads (user threads) are freed there once dead. */
static bool reaper_has_work(void *unused)
{
	(void)unused;
	return !list_empty(&reaper_list);
}

static void reaper(void *unused)
{
	for (;;) {
		struct list *it;
		wait_until(&reaper_wq, reaper_has_work, unused, 0);
		spin_lock(&reaper_wq.lock);
		it = list_pop_front(&reaper_list);
		spin_unlock(&reaper_wq.lock);
		if (it) {
			struct thread *t =
			    container_of(it, struct thread, rq.link);
			wait_until(&t->exit_wq, thread_done, t, 0);
			thread_free(t);
		}
	}
}

void reaper_init(void)
{
	waitq_init(&reaper_wq);
	list_init(&reaper_list);
	if (!thread_create("reaper", reaper, NULL, PRIO_DEFAULT, AFFINITY_ALL))
		panic("cannot start the reaper");
}

uint64_t sched_online_mask(void)
{
	return online_mask;
}

int thread_set_affinity(struct thread *t, uint64_t affinity)
{
	struct sched_cpu *s;
	bool requeue = false;

	if (!(affinity &= online_mask))
		return -EINVAL;
	s = lock_thread(t);
	t->rq.affinity = affinity;
	if (!(affinity >> t->cpu & 1)) {
		if (t->state == THREAD_READY && !list_empty(&t->rq.link)) {
			runq_remove(&s->runq, &t->rq);
			t->state = THREAD_BLOCKED; /* and placed anew below */
			requeue = true;
		} else if (t->state == THREAD_RUNNING) {
			s->need_resched = true; /* it moves at its switch */
			if (t->cpu != this_cpu()->id)
				arch_send_resched(t->cpu);
		}
	}
	spin_unlock(&s->lock);
	if (requeue)
		sched_wake(t);
	return 0;
}

void thread_set_priority(struct thread *t, unsigned prio)
{
	struct sched_cpu *s = lock_thread(t);

	if (t->state == THREAD_READY && !list_empty(&t->rq.link)) {
		runq_remove(&s->runq, &t->rq);
		t->rq.prio = prio;
		enqueue(s, t->cpu, t);
	} else {
		t->rq.prio = prio;
		if (t == s->current && (int)prio < runq_top(&s->runq))
			s->need_resched = true;
	}
	spin_unlock(&s->lock);
}

/* The calling context becomes this CPU's idle thread. */
void sched_init_cpu(void)
{
	struct cpu *c = this_cpu();
	struct sched_cpu *s = &c->sched;
	struct thread *idle = kzalloc(sizeof(*idle));

	if (!idle)
		panic("sched: no memory for CPU %u's idle thread", c->id);
	runq_init(&s->runq);
	timerq_init(&s->timers);
	snprintf(idle->name, sizeof(idle->name), "idle%u", c->id);
	idle->state = THREAD_RUNNING;
	idle->cpu = c->id;
	idle->rq.affinity = 1ULL << c->id;
	idle->kstack = c->stack;
	idle->ran_since = arch_clock_ns();
	waitq_init(&idle->exit_wq);
	s->idle = s->current = idle;
	__atomic_or_fetch(&online_mask, 1ULL << c->id, __ATOMIC_SEQ_CST);
}

NORETURN void sched_idle(void)
{
	struct sched_cpu *s = &this_cpu()->sched;
	uint64_t bit = 1ULL << this_cpu()->id;

	for (;;) {
		schedule();
		arch_irq_save();
		if (s->runq.count || s->need_resched)
			continue;
		__atomic_or_fetch(&idle_mask, bit, __ATOMIC_SEQ_CST);
		arch_wait_for_interrupt();
		__atomic_and_fetch(&idle_mask, ~bit, __ATOMIC_SEQ_CST);
	}
}

/* --- Timers --- */

void timer_start(struct timer *t, uint64_t deadline, void (*fn)(struct timer *))
{
	unsigned long flags = arch_irq_save();
	struct sched_cpu *s = &this_cpu()->sched;

	spin_acquire(&s->lock);
	assert(!t->queued);
	t->deadline = deadline;
	t->fn = fn;
	t->cpu = this_cpu()->id;
	if (timerq_add(&s->timers, t))
		rearm(s);
	spin_release(&s->lock);
	arch_irq_restore(flags);
}

void timer_cancel(struct timer *t)
{
	for (;;) {
		struct sched_cpu *s = sched_of(t->cpu);
		bool running;
		spin_lock(&s->lock);
		timerq_remove(&s->timers, t);
		running = s->timer_running == t;
		spin_unlock(&s->lock);
		if (!running)
			return;
		arch_cpu_relax(); /* its callback is finishing on s's CPU */
	}
}

void timer_interrupt(uintptr_t user_pc)
{
	struct sched_cpu *s = &this_cpu()->sched;
	struct timer *t;
	uint64_t now = arch_clock_ns();

	if (!s->idle)
		return; /* the scheduler does not run here yet */
	cputime_tick(s->current, now, user_pc);
	spin_lock(&s->lock);
	s->armed = 0;
	while ((t = timerq_pop_expired(&s->timers, now))) {
		s->timer_running = t;
		spin_unlock(&s->lock);
		t->fn(t);
		spin_lock(&s->lock);
		s->timer_running = NULL;
	}
	if (s->current != s->idle && now >= s->current->slice_end) {
		s->need_resched = true;
		kick_idle(s);
	}
	rearm(s);
	spin_unlock(&s->lock);
}
