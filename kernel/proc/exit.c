/*
 * exit.c - a process's end and its wait status: proc_kill, the zombie its
 * last thread leaves (its children go to init, its parent gets SIGCHLD),
 * and the wait that reports and reaps it (LUX_NR_WAIT: the personality
 * makes wait4 and waitid of it).
 */
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/proto.h>
#include <lux/signal.h>

#define WNOHANG 1

void proc_pdeath(struct proc *p, int tid)
{
	struct list *it;
	struct ksiginfo info = {.code = SI_USER, .pid = p->pid};

	list_for_each(it, &p->children)
	{
		struct proc *c = container_of(it, struct proc, sibling);
		if (c->pdeath_sig && c->pdeath_tid == tid)
			signal_send(c, NULL, c->pdeath_sig, &info);
	}
}

/* The last thread of p has gone: p becomes a zombie for its parent to
 * reap. Called with proc_lock held. */
void proc_zombie(struct proc *p, int status)
{
	struct list *it = NULL;
	struct proc *reaper = p->parent;
	struct ksiginfo info = {.code = SI_USER, .pid = p->pid};

	p->status = p->exiting ? p->exit_status : status;
	status = p->status;
	p->zombie = true;
	pgrp_exit(p);
	while (reaper && (!reaper->subreaper || reaper->zombie))
		reaper = reaper->parent;
	reaper = reaper ? reaper : init_proc;
	while (p != init_proc && !list_empty(&p->children)) {
		it = list_pop_front(&p->children);
		struct proc *c = container_of(it, struct proc, sibling);
		c->parent = reaper;
		c->pdeath_tid = 0;
		list_push_back(&reaper->children, it);
		if (c->pdeath_sig)
			signal_send(c, NULL, c->pdeath_sig, &info);
	}
	if (it) { /* the reaper has new children to wait for; only then:
		   * each wake-up costs it a walk over its children */
		reaper->child_events++;
		waitq_wake_all(&reaper->child_wq);
	}
	if (p->parent && (p->parent->act[SIGCHLD].handler == SIG_IGN ||
			  (p->parent->act[SIGCHLD].flags & SA_NOCLDWAIT))) {
		/* POSIX: children of a parent ignoring SIGCHLD leave no
		 * zombie; a waiting parent learns there is none (ECHILD) */
		list_remove(&p->sibling);
		list_remove(&p->all_link);
		p->parent->child_events++;
		waitq_wake_all(&p->parent->child_wq);
		arch_io_free(p->io);
		kfree(p);
	} else if (p->parent) {
		struct ksiginfo info = {
		    .code = (status & 0x80)   ? CLD_DUMPED
			    : (status & 0x7f) ? CLD_KILLED
					      : CLD_EXITED,
		    .pid = p->pid,
		    .status = (status & 0x7f) ? status & 0x7f : status >> 8};
		p->parent->child_events++;
		waitq_wake_all(&p->parent->child_wq);
		signal_send(p->parent, NULL, SIGCHLD, &info);
	} else {
		kprintf("lux: init exited with status %d\n", status);
	}
}

static bool child_changed(void *arg)
{
	struct proc *p = current_proc();
	return p->child_events != *(unsigned *)arg;
}

/* Whether child c is selected: by pid when pid > 0, by group when pgid >
 * 0, else any child. */
static bool wanted(const struct proc *c, int pid, int pgid)
{
	return pid > 0 ? c->pid == pid : pgid <= 0 || c->pgid == pgid;
}

#define WUNTRACED  2
#define WCONTINUED 8
#define WNOWAIT    0x1000000

/* The wait status c has to report under options, or -1; a zombie's run
 * time with its reaped children's at cpu[0], its user part at cpu[1].
 * Reaps a zombie. proc_lock held. */
static int child_status(struct proc *c, long options, uint64_t cpu[2])
{
	int status = -1;

	if (c->zombie) {
		status = c->status;
		cpu[0] = c->cpu_done_ns + c->cpu_child_ns;
		cpu[1] = proc_user_ns(c, c->cpu_done_ns) + c->cpu_child_user_ns;
		if (!(options & WNOWAIT)) {
			c->parent->cpu_child_ns += cpu[0];
			c->parent->cpu_child_user_ns += cpu[1];
			list_remove(&c->sibling);
			list_remove(&c->all_link);
		}
	} else if (c->report == 1 && (options & WUNTRACED)) {
		status = (c->stop_sig << 8) | 0x7f;
	} else if (c->report == 2 && (options & WCONTINUED)) {
		status = 0xffff;
	}
	if (status != -1 && !c->zombie && !(options & WNOWAIT))
		c->report = 0;
	return status;
}

/* Wait for a child's change per options; its pid (0 with WNOHANG and
 * nothing to report), its wait status and (a zombie) its run time and
 * user part at cpu (child_status). */
static long do_wait(int pid, int pgid, long options, int *status,
		    uint64_t cpu[2])
{
	struct proc *self = current_proc();

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WNOWAIT))
		return -EINVAL;
	for (;;) {
		struct list *it;
		bool any = false;
		unsigned seen;
		mutex_lock(&proc_lock);
		seen = self->child_events;
		list_for_each(it, &self->children)
		{
			struct proc *c = container_of(it, struct proc, sibling);
			int cpid = c->pid;
			if (!wanted(c, pid, pgid))
				continue;
			any = true;
			if ((*status = child_status(c, options, cpu)) == -1)
				continue;
			mutex_unlock(&proc_lock);
			if (c->zombie && !(options & WNOWAIT)) {
				arch_io_free(c->io);
				kfree(c);
			}
			return cpid;
		}
		mutex_unlock(&proc_lock);
		if (!any)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (wait_intr(&self->child_wq, child_changed, &seen, 0) < 0)
			return -ERESTARTSYS;
	}
}

/* LUX_NR_WAIT: one child's change per options, for the personality's
 * wait4 and waitid: its pid (0 with WNOHANG and none), and at ures its
 * wait status and, a zombie, its run time with its reaped children's and
 * the user part of that.
 * Made from the personality, the program's signals end the wait as they
 * would end its own call (LUX_NR_REQUEST's rule). */
long sys_lux_wait(long pid, long pgid, long options, long ures)
{
	struct thread *t = current_thread();
	uint64_t mask = t->sig_blocked, res[3] = {0};
	bool inside = persona_pc(arch_uregs_pc(arch_uregs(&t->ctx)));
	int status = 0;
	long r;

	if (inside)
		signal_set_mask(t->persona_mask);
	r = do_wait((int)pid, (int)pgid, options, &status, &res[1]);
	if (inside)
		signal_set_mask(mask);
	if (inside && r == -ERESTARTSYS) /* the program's, once it resumes */
		return -LUX_ERESTART_CALL;
	res[0] = (uint32_t)status;
	if (r > 0 && copy_to_user((void *)ures, res, sizeof(res)))
		return -EFAULT; /* as on Linux, the child is reaped all the same */
	return r;
}

void proc_kill(struct proc *p, int status)
{
	struct list *it;

	spin_lock(&p->sig_lock);
	if (!p->exiting) { /* no core file: the bit says one would be */
		p->exit_status =
		    p->rlim[RLIMIT_CORE][0] ? status : status & ~0x80;
		p->exiting = true;
	}
	list_for_each(it, &p->threads)
	{
		struct thread *t = container_of(it, struct thread, proc_link);
		t->interrupt = true;
		sched_wake(t);
	}
	spin_unlock(&p->sig_lock);
}

/* LUX_NR_PROCCTL: see include/lux/proto.h. */
long sys_lux_procctl(long what, long value)
{
	struct proc *p = current_proc();
	long old = -EINVAL;

	if (value >= NSIG)
		return -EINVAL;
	mutex_lock(&proc_lock);
	if (what == LUX_PROC_PDEATHSIG) {
		old = p->pdeath_sig;
		p->pdeath_sig = value < 0 ? p->pdeath_sig : (int)value;
	} else if (what == LUX_PROC_SUBREAPER) {
		old = p->subreaper;
		p->subreaper = value < 0 ? p->subreaper : value != 0;
	}
	mutex_unlock(&proc_lock);
	return old;
}
