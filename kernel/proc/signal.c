/*
 * signal.c - POSIX signals: dispositions, masks, sending, and delivery on
 * the way back to user mode; default actions terminate, dump (status
 * bit 0x80), stop, continue or ignore. A blocking call interrupted by a
 * signal returns -EINTR, or -ERESTARTSYS to be restarted transparently
 * when no handler runs or the handler has SA_RESTART (-ERESTARTNOINTR:
 * whatever the handler, as FUTEX_LOCK_PI). A handler is run by
 * the personality, which the kernel enters with the signal (persona.c;
 * docs/decisions/0023-signal-upcall.md): its frame, sigaltstack and
 * rt_sigreturn are the personality's.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

#define BIT(sig)    (1ULL << ((sig)-1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))
#define STOP_SIGS   (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))
#define IGNORED     (BIT(SIGCHLD) | BIT(SIGCONT) | BIT(23) | BIT(28))
#define DUMPING                                                                \
	(BIT(SIGQUIT) | BIT(SIGILL) | BIT(SIGTRAP) | BIT(SIGABRT) |            \
	 BIT(SIGBUS) | BIT(SIGFPE) | BIT(SIGSEGV) | BIT(SIGSYS))

static struct list all_procs = LIST_INIT(all_procs);
unsigned proc_nr_stopped;

void proc_register(struct proc *p)
{
	p->sig_lock = (struct spinlock)SPINLOCK_INIT;
	waitq_init(&p->stop_wq);
	list_push_back(&all_procs, &p->all_link); /* proc_lock held */
}

struct list *proc_list(void)
{
	return &all_procs;
}

struct proc *proc_lookup(int pid)
{
	struct list *it;

	list_for_each(it, &all_procs)
	{
		struct proc *p = container_of(it, struct proc, all_link);
		if (p->pid == pid)
			return p;
	}
	return NULL;
}

struct proc *proc_find(int pid)
{
	struct proc *p = proc_lookup(pid);
	return p && !p->zombie ? p : NULL;
}

/* Whether sig would be ignored by p (sig_lock held). */
static bool ignored(struct proc *p, int sig)
{
	uintptr_t h = p->act[sig].handler;
	return h == SIG_IGN || (h == SIG_DFL && (BIT(sig) & IGNORED));
}

/* Whether t (or, for the process, its first thread) blocks sig. */
static bool blocked(struct proc *p, struct thread *t, int sig)
{
	if (!t && list_empty(&p->threads))
		return false;
	if (!t)
		t = container_of(p->threads.next, struct thread, proc_link);
	return t->sig_blocked & BIT(sig);
}

/* Whether t has a signal it would act on now. sig_lock held. */
static bool deliverable(struct thread *t)
{
	struct proc *p = t->proc;
	return ((t->sig_pending | p->pending) & ~t->sig_blocked) || p->exiting;
}

/* Continue a stopped process (SIGCONT, SIGKILL). sig_lock held. */
static void proc_continue(struct proc *p)
{
	if (!p->stopped)
		return;
	p->stopped = false;
	__atomic_sub_fetch(&proc_nr_stopped, 1, __ATOMIC_RELAXED);
	p->report = 2;
	p->tell_cont = true; /* its parent learns it once it runs */
	waitq_wake_all(&p->stop_wq);
}

int signal_send(struct proc *p, struct thread *t, int sig,
		const struct ksiginfo *info)
{
	struct list *it;

	if (sig == SIGKILL) {
		proc_kill(p, SIGKILL);
		spin_lock(&p->sig_lock);
		proc_continue(p); /* a stopped process must run to die */
		spin_unlock(&p->sig_lock);
		return 0;
	}
	spin_lock(&p->sig_lock);
	if (sig == SIGCONT) {
		proc_continue(p);
		p->pending &= ~STOP_SIGS;
	}
	if (BIT(sig) & STOP_SIGS)
		p->pending &= ~BIT(SIGCONT);
	if (ignored(p, sig) && !blocked(p, t, sig)) {
		spin_unlock(&p->sig_lock); /* discarded, as POSIX says */
		return 0;
	}
	p->info[sig] = *info;
	if (sig >= SIGRTMIN && p->queued[sig] < 255)
		p->queued[sig]++; /* real-time signals queue */
	if (t)
		t->sig_pending |= BIT(sig);
	else
		p->pending |= BIT(sig);
	bool taken = false;
	list_for_each(it, &p->threads)
	{
		struct thread *u = container_of(it, struct thread, proc_link);
		if (t && u != t)
			continue;
		if (!taken && deliverable(u)) /* one thread acts for all */
			u->interrupt = taken = true;
		sched_wake(u); /* also one waiting in rt_sigtimedwait */
	}
	spin_unlock(&p->sig_lock);
	return 0;
}

/* Take the next signal t would act on, or 0. sig_lock held. */
static int take_signal(struct thread *t, struct ksiginfo *info)
{
	struct proc *p = t->proc;
	uint64_t mine = t->sig_pending & ~t->sig_blocked;
	uint64_t all = p->pending & ~t->sig_blocked;
	int sig = __builtin_ctzll(mine ? mine : all) + 1;

	if (!mine && !all)
		return 0;
	if (sig >= SIGRTMIN && p->queued[sig] > 1)
		p->queued[sig]--; /* more instances stay pending */
	else if ((p->queued[sig] = 0, mine))
		t->sig_pending &= ~BIT(sig);
	else
		p->pending &= ~BIT(sig);
	*info = p->info[sig];
	if (mine && t->fault_code) {
		info->code = t->fault_code;
		info->addr = t->fault_addr;
		t->fault_code = 0;
	}
	return sig;
}

/* Stop p for a stop signal (tell_parent follows). sig_lock held. */
static void proc_stop(struct proc *p, int sig)
{
	if (!p->stopped)
		__atomic_add_fetch(&proc_nr_stopped, 1, __ATOMIC_RELAXED);
	p->stopped = true;
	p->stop_sig = sig;
	p->report = 1;
	p->tell_cont = false;
}

/* A stop or continue of p for its parent: wait4 wakes, and SIGCHLD with
 * code CLD_STOPPED or CLD_CONTINUED comes unless it set SA_NOCLDSTOP. */
static void tell_parent(struct proc *p, int code, int sig)
{
	struct ksiginfo info = {.code = code,
				.pid = p->pid,
				.uid = p->cred.uid.real,
				.status = sig};

	mutex_lock(&proc_lock);
	if (p->parent) {
		p->parent->child_events++;
		waitq_wake_all(&p->parent->child_wq);
		if (!(p->parent->act[SIGCHLD].flags & SA_NOCLDSTOP))
			signal_send(p->parent, NULL, SIGCHLD, &info);
	}
	mutex_unlock(&proc_lock);
}

/* Whether the thread calling is the one to report p's continue. */
static bool take_continue(struct proc *p)
{
	spin_lock(&p->sig_lock);
	bool mine = p->tell_cont && !p->stopped;
	p->tell_cont = false;
	spin_unlock(&p->sig_lock);
	return mine;
}

static bool not_stopped(void *p)
{
	return !((struct proc *)p)->stopped || ((struct proc *)p)->exiting;
}

/* Has user_return anything to do for t? Read without the lock: a signal
 * sent from now on is seen on the next entry to the kernel, as it would be
 * if sent just after a locked check. */
static bool return_work(struct thread *t, struct proc *p)
{
	return p->exiting || p->exec_thread || p->stopped || p->tell_cont ||
	       t->interrupt || t->sig_restore || t->sigio ||
	       ((t->sig_pending | p->pending) & ~t->sig_blocked);
}

/* Whether a signal that mask does not block would run a handler of t's. */
static bool handler_due(struct thread *t, uint64_t mask)
{
	uint64_t due = (t->sig_pending | t->proc->pending) & ~mask;

	for (int sig = 1; sig < NSIG; sig++)
		if ((due & BIT(sig)) && t->proc->act[sig].handler > SIG_IGN)
			return true;
	return false;
}

/*
 * A wait the personality made with the program's mask (ppoll, for select
 * and poll) must not run a handler on the personality's registers: the
 * signals wait under the personality's own mask, and while one is due
 * under the wait's mask, that mask comes back, still to be restored
 * (sig_restore): rt_sigreturn to the program keeps it for the handler.
 * The same holds for an interrupt or fault while the personality runs
 * under that mask: the handler waits for its return to the program.
 */
static long persona_defer(struct thread *t, uint64_t wait_mask, long ret)
{
	spin_lock(&t->proc->sig_lock);
	if (handler_due(t, wait_mask)) {
		t->sig_saved = t->sig_blocked;
		t->sig_blocked = wait_mask;
		t->sig_restore = true;
		t->interrupt = deliverable(t);
		ret = ret == -ERESTARTSYS ? -EINTR : ret;
	}
	spin_unlock(&t->proc->sig_lock);
	return ret;
}

/* user_return's work (apart, so that the usual return does not pay for
 * its stack frame). */
static NOINLINE long return_slow(struct trap_frame *f, struct thread *t,
				 long ret, bool syscall)
{
	struct proc *p = t->proc;
	struct ksiginfo info;
	uint64_t wait_mask = t->sig_blocked;
	bool defer = t->sig_restore && persona_pc(arch_uregs_pc(f));
	int sig;

	if (defer) { /* no handler runs here: persona_defer */
		spin_lock(&p->sig_lock);
		t->sig_blocked = t->sig_saved, t->sig_restore = false;
		spin_unlock(&p->sig_lock);
	}
	for (;;) {
		sigio_flush();
		if (p->exiting)
			thread_exit_user(p->exit_status);
		if (p->exec_thread && p->exec_thread != t)
			thread_exit_user(0);
		if (p->stopped) {
			wait_intr(&p->stop_wq, not_stopped, p, 0);
			continue;
		}
		if (p->tell_cont && take_continue(p))
			tell_parent(p, CLD_CONTINUED, SIGCONT);
		spin_lock(&p->sig_lock);
		if (!(sig = take_signal(t, &info))) {
			t->interrupt = false;
			spin_unlock(&p->sig_lock);
			break;
		}
		struct k_sigaction a = p->act[sig];
		bool dfl = a.handler == SIG_DFL;
		if ((dfl && (BIT(sig) & IGNORED)) || a.handler == SIG_IGN) {
			spin_unlock(&p->sig_lock);
			continue;
		}
		if (dfl && (BIT(sig) & STOP_SIGS)) {
			proc_stop(p, sig);
			spin_unlock(&p->sig_lock);
			tell_parent(p, CLD_STOPPED, sig);
			continue;
		}
		if (dfl) {
			spin_unlock(&p->sig_lock);
			proc_kill(p, sig | ((BIT(sig) & DUMPING) ? 0x80 : 0));
			continue;
		}
		if (syscall && (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR))
			ret = (a.flags & SA_RESTART) || ret == -ERESTARTNOINTR
				  ? arch_syscall_restart(f)
				  : -EINTR;
		/* the frame keeps the call's result; after a fault or an
		 * interrupt, the interrupted code's own registers */
		if (syscall)
			arch_uregs_set(f, ret, 0);
		syscall = false;
		if (a.flags & SA_RESETHAND)
			p->act[sig].handler = SIG_DFL;
		spin_unlock(&p->sig_lock);
		/* The upcall writes user memory, which may fault, enable
		 * interrupts and sleep: never with the lock held (an alarm
		 * firing on this CPU would spin on it forever). The
		 * personality builds the handler's frame and sets its mask. */
		if (persona_signal(t, f, sig, &info, &a,
				   t->sig_restore ? t->sig_saved
						  : t->sig_blocked)) {
			proc_kill(p, SIGSEGV | 0x80);
			continue;
		}
		spin_lock(&p->sig_lock);
		t->sig_restore = false;
		t->sig_blocked = ~UNBLOCKABLE; /* while in the personality */
		t->interrupt = deliverable(t);
		spin_unlock(&p->sig_lock);
		return ret;
	}
	if (t->sig_restore) {
		t->sig_blocked = t->sig_saved;
		t->sig_restore = false;
	}
	if (defer)
		ret = persona_defer(t, wait_mask, ret);
	return syscall && (ret == -ERESTARTSYS || ret == -ERESTARTNOINTR)
		   ? arch_syscall_restart(f)
		   : ret;
}

long user_return(struct trap_frame *f, long ret, bool syscall)
{
	struct thread *t = current_thread();

	if (return_work(t, t->proc)) /* always after -ERESTARTNOINTR */
		return return_slow(f, t, ret, syscall);
	return syscall && ret == -ERESTARTSYS ? arch_syscall_restart(f) : ret;
}

void user_fault(int signo, int code, uintptr_t addr)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	struct ksiginfo info = {.code = code, .addr = addr};

	if (signo != SIGKILL && persona_fault(t))
		return;       /* a checked copy of the personality fails */
	if (signo == SIGKILL) /* a page fault that found no memory */
		kprintf("lux: pid %d (%s) killed: out of memory at 0x%lx\n",
			p->pid, p->name, addr);
	/* a blocked or ignored fault signal cannot be skipped: it kills */
	if ((t->sig_blocked & BIT(signo)) || p->act[signo].handler == SIG_IGN ||
	    signo == SIGKILL) {
		proc_kill(p, signo | 0x80);
		return;
	}
	t->fault_code = code;
	t->fault_addr = addr;
	signal_send(p, t, signo, &info);
}

long sys_rt_sigaction(long sig, long unew, long uold, long size)
{
	struct proc *p = current_proc();
	struct k_sigaction a, old;

	if (size != 8 || sig < 1 || sig >= NSIG)
		return -EINVAL;
	if (unew && copy_from_user(&a, (void *)unew, sizeof(a)))
		return -EFAULT;
	if (unew && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	spin_lock(&p->sig_lock);
	old = p->act[sig];
	if (unew)
		p->act[sig] = a;
	if (unew && (a.handler == SIG_IGN ||
		     (a.handler == SIG_DFL && (BIT(sig) & IGNORED))))
		p->pending &= ~BIT(sig); /* POSIX: discard it */
	spin_unlock(&p->sig_lock);
	if (uold && copy_to_user((void *)uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(long how, long unew, long uold, long size)
{
	struct thread *t = current_thread();
	uint64_t set, old = t->sig_blocked;

	if (size != 8)
		return -EINVAL;
	if (unew && copy_from_user(&set, (void *)unew, 8))
		return -EFAULT;
	if (unew) {
		if (how == SIG_BLOCK)
			set |= old;
		else if (how == SIG_UNBLOCK)
			set = old & ~set;
		else if (how != SIG_SETMASK)
			return -EINVAL;
		spin_lock(&t->proc->sig_lock);
		t->sig_blocked = set & ~UNBLOCKABLE;
		t->interrupt = deliverable(t);
		spin_unlock(&t->proc->sig_lock);
	}
	if (uold && copy_to_user((void *)uold, &old, 8))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(long uset, long size)
{
	struct thread *t = current_thread();
	uint64_t set = (t->sig_pending | t->proc->pending) & t->sig_blocked;

	if (size != 8)
		return -EINVAL;
	return copy_to_user((void *)uset, &set, 8);
}

static bool never(void *unused)
{
	(void)unused;
	return false;
}

/* Pending signals that t's mask no longer blocks and that are ignored go
 * now, as their delivery would: a wait must not end for them (SIGCHLD
 * queued while the personality blocked everything). sig_lock held. */
static void drop_ignored(struct thread *t)
{
	struct proc *p = t->proc;
	uint64_t due = (t->sig_pending | p->pending) & ~t->sig_blocked;

	for (int sig; due; due &= due - 1)
		if (ignored(p, sig = __builtin_ctzll(due) + 1)) {
			t->sig_pending &= ~BIT(sig), p->pending &= ~BIT(sig);
			p->queued[sig] = 0;
		}
}

void signal_set_mask(uint64_t mask)
{
	struct thread *t = current_thread();

	spin_lock(&t->proc->sig_lock);
	t->sig_blocked = mask & ~UNBLOCKABLE;
	drop_ignored(t);
	t->interrupt = deliverable(t);
	spin_unlock(&t->proc->sig_lock);
}

int sigmask_swap(long uset, long size)
{
	struct thread *t = current_thread();
	uint64_t set;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, (void *)uset, 8))
		return -EFAULT;
	spin_lock(&t->proc->sig_lock);
	t->sig_saved = t->sig_blocked;
	t->sig_restore = true;
	t->sig_blocked = set & ~UNBLOCKABLE;
	t->interrupt = deliverable(t);
	spin_unlock(&t->proc->sig_lock);
	return 0;
}

/* Wait for a signal: -EINTR. */
static long pause(void)
{
	struct waitq wq;

	waitq_init(&wq);
	while (wait_intr(&wq, never, NULL, 0) >= 0)
		;
	return -EINTR;
}

/* Wait for a signal with a temporary mask; the handler runs with it and
 * the old one comes back afterwards (pause is the personality's: this
 * with the program's mask). */
long sys_rt_sigsuspend(long uset, long size)
{
	int r = sigmask_swap(uset, size);

	return r ? r : pause();
}

static bool signal_in(void *set)
{
	struct thread *t = current_thread();
	return (t->sig_pending | t->proc->pending) & *(uint64_t *)set;
}

/* Take a pending signal of set for the calling thread: its number, or 0. */
static int take_in(uint64_t set, struct ksiginfo *k)
{
	struct thread *t = current_thread();

	spin_lock(&t->proc->sig_lock);
	uint64_t saved = t->sig_blocked;
	t->sig_blocked = ~set; /* take only these */
	int sig = take_signal(t, k);
	t->sig_blocked = saved;
	spin_unlock(&t->proc->sig_lock);
	return sig;
}

/* Take a pending signal of set (normally blocked) without running a
 * handler: its number, with its siginfo written to uinfo. */
long sys_rt_sigtimedwait(long uset, long uinfo, long uts, long size)
{
	struct ksiginfo k;
	struct waitq wq;
	uint64_t set, deadline = 0;
	int64_t ns;
	int sig = 0, r;

	if (size != 8)
		return -EINVAL;
	if (copy_from_user(&set, (void *)uset, 8))
		return -EFAULT;
	if (uts && (r = timespec_from_user(uts, &ns)))
		return r;
	if (uts)
		deadline = arch_clock_ns() + ns + 1;
	set &= ~UNBLOCKABLE;
	waitq_init(&wq);
	for (;;) {
		if ((sig = take_in(set, &k)))
			break;
		r = wait_intr(&wq, signal_in, &set, deadline);
		if (r == 0)
			return -EAGAIN; /* the timeout passed */
		if (r < 0 && !signal_in(&set))
			return -EINTR;
	}
	int32_t info[32] = {sig, 0, k.code, 0, k.pid, k.uid, k.status};
	if (uinfo && copy_to_user((void *)uinfo, info, sizeof(info)))
		return -EFAULT;
	return sig;
}

/* signalfd: a read takes the reader's pending signals of the mask (the
 * file's priv) as struct signalfd_siginfo, 128 bytes each; at least one,
 * waiting for it unless O_NONBLOCK. */
static long sigfd_read(struct file *f, char *ubuf, size_t n)
{
	struct ksiginfo k;
	struct waitq wq;
	size_t done = 0;
	int sig;

	if (n < 128)
		return -EINVAL;
	waitq_init(&wq);
	while (done + 128 <= n) {
		if (!(sig = take_in(*(uint64_t *)f->priv, &k))) {
			if (done)
				break;
			if (f->flags & O_NONBLOCK)
				return -EAGAIN;
			if (wait_intr(&wq, signal_in, f->priv, 0) < 0)
				return -ERESTARTSYS;
			continue;
		}
		uint32_t info[32] = {
		    sig,           0,
		    k.code,        k.pid,
		    k.uid,         [10] = k.status,
		    [18] = k.addr, [19] = (uint64_t)k.addr >> 32};
		if (k.code > 0 && k.code <= 6 &&
		    (sig == SIGIO || sig >= SIGRTMIN))
			info[3] = info[10] = 0, info[5] = k.status,
			info[7] = k.pid; /* sigio.c's POLL_*: fd, band */
		if (copy_to_user(ubuf + done, info, sizeof(info)))
			return done ? (long)done : -EFAULT;
		done += 128;
	}
	return done;
}

static unsigned sigfd_poll(struct file *f)
{
	return signal_in(f->priv) ? POLLIN : 0;
}

static void sigfd_release(struct file *f)
{
	kfree(f->priv);
}

static const struct file_ops sigfd_ops = {.read = sigfd_read,
					  .poll = sigfd_poll,
					  .release = sigfd_release,
					  .name = "signalfd"};

/* LUX_EVENT_SIGNALFD: see include/lux/proto.h. A sender wakes every
 * thread it may concern (signal_send), pollers of the file included, so
 * the file needs no wait queue. */
long signalfd_set(long fd, uint64_t mask, long flags)
{
	uint64_t *set = NULL;
	struct file *f;
	long r;

	mask &= ~UNBLOCKABLE;
	if (fd != -1) {
		if (!(f = fd_get(fd)))
			return -EBADF;
		if ((r = f->ops == &sigfd_ops ? fd : -EINVAL) >= 0)
			__atomic_store_n((uint64_t *)f->priv, mask,
					 __ATOMIC_RELAXED);
		file_put(f);
		return r;
	}
	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (!(set = kmalloc(8)) ||
	    !(f = file_alloc(&sigfd_ops, set, O_RDWR | (flags & O_NONBLOCK)))) {
		kfree(set);
		return -ENOMEM;
	}
	*set = mask;
	if ((r = fd_install(f, 0, flags & O_CLOEXEC)) < 0)
		file_put(f);
	return r;
}

/*
 * Send sig from the caller to p (or to its thread t): Linux's kill rules
 * (cred_may_signal). PID 1 takes only the signals it handles: the others,
 * SIGKILL and SIGSTOP included, are dropped, as for Linux's init. A zombie
 * takes a signal and ignores it. 0, -EINVAL or -EPERM; proc_lock held.
 */
static int send_checked(struct proc *p, struct thread *t, int sig)
{
	struct ksiginfo info = {.code = t ? SI_TKILL : SI_USER,
				.pid = current_proc()->pid,
				.uid = current_proc()->cred.uid.real};

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (!cred_may_signal(p, sig))
		return -EPERM;
	if (!sig || p->zombie ||
	    (p->pid == 1 && (sig == SIGKILL || sig == SIGSTOP ||
			     __atomic_load_n(&p->act[sig].handler,
					     __ATOMIC_RELAXED) == SIG_DFL)))
		return 0;
	return signal_send(p, t, sig, &info);
}

/*
 * kill: pid > 0 one process; 0 or < -1 a group, which succeeds if one
 * member took the signal, else fails with the last error; -1 every
 * process but init and the caller, failing only with ESRCH when there is
 * none or with an error other than EPERM, as Linux does.
 */
long sys_kill(long pid, long sig)
{
	struct proc *self = current_proc(), *p;
	struct list *it;
	bool found = false, sent = false, all;
	int r = 0, err;

	pid = (int)pid; /* a pid_t: only the low 32 bits of the register */
	all = pid == -1;
	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	mutex_lock(&proc_lock);
	if (pid > 0) {
		p = proc_lookup(pid);
		r = p ? send_checked(p, NULL, sig) : -ESRCH;
	} else {
		int pgid = pid == 0 ? self->pgid : -pid;
		list_for_each(it, &all_procs)
		{
			p = container_of(it, struct proc, all_link);
			if (all ? p->pid == 1 || p == self : p->pgid != pgid)
				continue;
			err = send_checked(p, NULL, sig);
			found = true;
			sent |= !err;
			r = !all || err != -EPERM ? err : r;
		}
		r = !found ? -ESRCH : sent && !all ? 0 : r;
	}
	mutex_unlock(&proc_lock);
	return r;
}

/* Send sig to thread tid of process tgid (0: of any process). The ids
 * are ints, as Linux's pid_t: the upper half of a register is ignored. */
static long thread_kill(int tgid, int tid, long sig)
{
	struct proc *p;
	struct list *it;
	int r = -ESRCH;

	if (tid <= 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	list_for_each(it, &all_procs)
	{
		p = container_of(it, struct proc, all_link);
		if (p->zombie || (tgid > 0 && p->pid != tgid))
			continue;
		struct list *jt;
		list_for_each(jt, &p->threads)
		{
			struct thread *t =
			    container_of(jt, struct thread, proc_link);
			if (t->tid == tid)
				r = send_checked(p, t, sig);
		}
	}
	mutex_unlock(&proc_lock);
	return r;
}

long sys_tgkill(long tgid, long tid, long sig)
{
	return (int)tgid <= 0 ? -EINVAL : thread_kill(tgid, tid, sig);
}

long sys_tkill(long tid, long sig)
{
	return thread_kill(0, tid, sig);
}
