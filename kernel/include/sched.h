/*
 * sched.h - threads, the per-CPU priority scheduler, preemption control,
 * wait queues, sleeping mutexes and timers.
 *
 * Locking: each CPU's sched_lock guards its run queue, its timer queue and
 * the state of the threads queued on or running on it. A thread's `cpu`
 * names the CPU whose lock guards it; it changes only under that lock.
 * Nothing blocks with a spinlock held. See docs/scheduling.md.
 */
#pragma once

#include "kernel.h"
#include "list.h"
#include "runq.h"
#include "spinlock.h"
#include <arch.h>

#define PRIO_DEFAULT 32          /* kernel threads and, later, nice 0 */
#define TIME_SLICE   10000000ULL /* ns */
#define AFFINITY_ALL (~0ULL)

enum thread_state {
	THREAD_RUNNING,   /* on a CPU (current there), or about to be */
	THREAD_READY,     /* in a run queue */
	THREAD_BLOCKED,   /* waiting for a wake-up */
	THREAD_DEAD,      /* exited; its stack may still be in use until done */
	THREAD_MIGRATING, /* switching out of a CPU its affinity now excludes */
};

struct waitq {
	struct spinlock lock;
	struct list waiters;
	unsigned wakes;      /* wake-ups so far (epoll's edges) */
	struct sigio *async; /* O_ASYNC files waiting here (ipc/sigio.c) */
};

struct thread {
	struct arch_context ctx; /* first: the saved kernel context */
	struct runq_entry rq;    /* priority, affinity, run-queue link */
	volatile enum thread_state state;
	volatile unsigned cpu;
	uintptr_t kstack;
	uint64_t slice_end; /* when its time slice runs out */
	/* preempted before its slice ended: the rest, for its next turn */
	uint64_t slice_left;
	uint64_t runtime;   /* ns spent on a CPU */
	uint64_t ran_since; /* when it last went on a CPU */
	/* its runtime at its last tick, the part of it ticks found in user
	 * mode (docs/decisions/0035-cpu-timers.md) */
	uint64_t cpu_sampled, cpu_user;
	struct timer timer; /* for timed sleeps */
	void (*fn)(void *);
	void *arg;
	volatile bool done; /* dead and off its stack: may be freed */
	bool detached;      /* freed by the reaper, not by thread_join */
	struct waitq exit_wq;
	char name[16];
	struct proc *proc;     /* NULL for a kernel thread */
	struct list proc_link; /* in proc->threads */
	int tid;
	uintptr_t clear_child_tid; /* user address zeroed and woken at exit */
	uintptr_t robust_list;     /* set_robust_list's head, or 0 */
	uintptr_t set_child_tid;   /* user address given its tid at start */
	volatile bool interrupt; /* a signal or kill ends interruptible waits */
	uint64_t sig_blocked, sig_pending; /* thread-directed signals */
	uint64_t sig_saved; /* mask to restore after rt_sigsuspend */
	bool sig_restore;
	int fault_code; /* si_code and si_addr of a fault's signal */
	uintptr_t fault_addr;
	struct file *files_dying; /* released by the outermost file_put */
	bool releasing;           /* a file_put is releasing files */
	bool sigio; /* it woke an O_ASYNC file: user_return signals (sigio.c) */
	/* CLONE_VFORK: the thread it waits for, the thread waiting for it
	 * (proc_lock) */
	struct thread *vfork_child, *vfork_parent;
	struct mm *persona_mm; /* where its personality stack is mapped */
	uintptr_t persona_ctx; /* its context block there (0: none yet) */
	uint64_t persona_mask; /* the program's mask at its last reflection */
	/* PI futexes (futex.c's pi_lock): the waiters on locks it owns, the
	 * waiter it sleeps as */
	struct list pi_waiters;
	struct futex_waiter *pi_blocked;
};

/* Per-CPU scheduler state (a member of struct cpu). */
struct sched_cpu {
	struct spinlock lock;
	struct runq runq;
	struct timerq timers;
	struct thread *current, *idle;
	struct timer *timer_running; /* a timer callback in progress */
	uint64_t armed; /* the deadline the timer is set for, 0: none */
	volatile bool need_resched;
	int preempt_count;
};

/* Start-up, on every CPU once the heap exists: the calling context becomes
 * that CPU's idle thread. sched_idle() never returns. */
void sched_init_cpu(void);
NORETURN void sched_idle(void);

/*
 * Create a kernel thread running fn(arg) at priority prio (0..NPRIO-1) on
 * the CPUs in affinity; it starts at once. NULL when out of memory. The
 * creator must reap it with thread_join, which returns once it is dead and
 * frees it.
 */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg,
			     unsigned prio, uint64_t affinity);
/* thread_create in two steps, to finish setting the thread up between. */
struct thread *thread_alloc(const char *name, void (*fn)(void *), void *arg,
			    unsigned prio, uint64_t affinity);
void thread_start(struct thread *t);
/* Free a thread that never ran (thread_alloc without thread_start). */
void thread_free(struct thread *t);
NORETURN void thread_exit(void);
/* Start the reaper, which frees detached threads once they are dead. */
void reaper_init(void);
void thread_join(struct thread *t);
void thread_set_priority(struct thread *t, unsigned prio);
/* Restrict t to the CPUs in affinity (0 or -EINVAL if none is online);
 * it moves at once if it is running or queued elsewhere. */
int thread_set_affinity(struct thread *t, uint64_t affinity);
/* The CPUs that run the scheduler. */
uint64_t sched_online_mask(void);

/* Give up the CPU: to a higher or equal priority thread, if any. */
void sched_yield(void);
/* Switch to the best ready thread; the current one is requeued unless it
 * is blocked or dead. Call with no spinlock held. */
void schedule(void);
/* Make t runnable if it is blocked; false if it was not blocked. */
bool sched_wake(struct thread *t);

/* Preemption: a count per CPU, raised by every spinlock held. When it
 * drops to zero with interrupts enabled, a pending reschedule happens. */
void preempt_disable(void);
void preempt_enable(void);
/* Called by the platform on the way out of an interrupt. */
void sched_interrupt_exit(void);

/*
 * Wait queues. wait_event(wq, cond) sleeps until cond holds; waking a
 * queue wakes its sleepers, which re-check their conditions, so no
 * wake-up is lost whatever the interleaving. A deadline (ns, 0 for none)
 * bounds the sleep: wait_until returns false if it passed with cond false.
 */
void waitq_init(struct waitq *wq);
void waitq_wake_all(struct waitq *wq);
void waitq_wake_one(struct waitq *wq);
/* Wake all for a change of the POLL* events (O_ASYNC owners hear of
 * those only; waitq_wake_all: of any). */
void waitq_wake_io(struct waitq *wq, unsigned events);
/* ipc/sigio.c: mark wq's O_ASYNC files that events concern for a signal. */
void sigio_wake(struct waitq *wq, unsigned events);
/* Set *flag and wake all, under the queue's lock: once a sleeper sees the
 * flag and has taken and released wq->lock, the waker is done with wq. */
void waitq_set_and_wake(struct waitq *wq, volatile bool *flag);
bool wait_until(struct waitq *wq, bool (*cond)(void *), void *arg,
		uint64_t deadline);
/* The same, ended early by a signal or kill (t->interrupt): 1 when cond
 * holds, 0 when the deadline passed, -EINTR when interrupted. */
int wait_intr(struct waitq *wq, bool (*cond)(void *), void *arg,
	      uint64_t deadline);
/* wait_intr on n queues at once (poll, select); NULL entries are
 * skipped. -ENOMEM if n > 1 and no memory for the waiters. */
int wait_many(struct waitq *const *wqs, unsigned n, bool (*cond)(void *),
	      void *arg, uint64_t deadline);
/* Sleep until the clock passes deadline (never earlier). */
void sleep_until(uint64_t deadline);
/* The same, ended early (-EINTR) by a signal or kill; else 0. */
int sleep_intr(uint64_t deadline);

/* Sleeping mutexes (not for interrupt context). */
struct mutex {
	struct thread *volatile owner;
	struct waitq wq;
};
void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

/* In-kernel self tests (tests/kernel/): run the comma-separated groups
 * named (or "all"), one result line each, then a summary line. */
void ktest_run(const char *groups);

/* One-shot timers on the current CPU; fn runs in interrupt context with
 * no lock held. timer_cancel returns once fn is not running anywhere. */
void timer_start(struct timer *t, uint64_t deadline,
		 void (*fn)(struct timer *));
void timer_cancel(struct timer *t);
/* sys/time.c: from the tick on t's CPU, charge t's run time since its last
 * tick to user time (user_pc: the program's, not the personality's) or
 * system time, and fire its process's CPU-time timers that expired. */
void cputime_tick(struct thread *t, uint64_t now, uintptr_t user_pc);

/* current_thread() and current_proc() are inline over the per-CPU data
 * (cpu.h, which needs struct sched_cpu above). */
#include "cpu.h"
