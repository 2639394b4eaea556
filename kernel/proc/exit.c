/*
 * exit.c - a process's end and its wait status: proc_kill, the zombie its
 * last thread leaves (its children go to init, its parent gets SIGCHLD),
 * and wait4/waitid, which report and reap it.
 */
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/signal.h>

#define WNOHANG 1

/* The last thread of p has gone: p becomes a zombie for its parent to
 * reap; its children go to init. Called with proc_lock held. */
void proc_zombie(struct proc *p, int status)
{
	struct list *it = NULL;

	p->status = p->exiting ? p->exit_status : status;
	status = p->status;
	p->zombie = true;
	pgrp_exit(p);
	while (p != init_proc && !list_empty(&p->children)) {
		it = list_pop_front(&p->children);
		struct proc *c = container_of(it, struct proc, sibling);
		c->parent = init_proc;
		list_push_back(&init_proc->children, it);
	}
	if (it) { /* init has new children to wait for; only then: each
		   * wake-up costs init a walk over its children */
		init_proc->child_events++;
		waitq_wake_all(&init_proc->child_wq);
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
		    .code = (status & 0x7f) ? CLD_KILLED : CLD_EXITED,
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

/* The wait status c has to report under options, or -1. Reaps a zombie.
 * proc_lock held. */
static int child_status(struct proc *c, long options)
{
	int status = -1;

	if (c->zombie) {
		status = c->status;
		if (!(options & WNOWAIT)) {
			c->parent->cpu_child_ns +=
			    c->cpu_done_ns + c->cpu_child_ns;
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
 * nothing to report), its wait status and (reaped) its run time. */
static long do_wait(int pid, int pgid, long options, int *status,
		    uint64_t *cpu_ns)
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
			if ((*status = child_status(c, options)) == -1)
				continue;
			*cpu_ns =
			    c->zombie ? c->cpu_done_ns + c->cpu_child_ns : 0;
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

long sys_wait4(long pid, long ustatus, long options, long rusage)
{
	uint64_t cpu_ns = 0;
	int status = 0;
	long r;

	pid = (int)pid; /* a pid_t: the low 32 bits of the register */
	/* -1 any child, 0 the caller's group, < -1 group -pid */
	r = do_wait(pid > 0 ? pid : 0,
		    pid == 0   ? current_proc()->pgid
		    : pid < -1 ? -pid
			       : 0,
		    options, &status, &cpu_ns);
	if (r > 0 && ustatus && copy_to_user((void *)ustatus, &status, 4))
		return -EFAULT; /* as on Linux, the child is reaped all the same */
	if (r > 0 && rusage && rusage_to_user(rusage, cpu_ns))
		return -EFAULT;
	return r;
}

#define P_ALL   0
#define P_PID   1
#define P_PGID  2
#define WEXITED 4

long sys_waitid(long type, long id, long uinfo, long options, long rusage)
{
	int status = 0, info[32] = {0};
	uint64_t cpu_ns = 0;
	long r;

	if (type < P_ALL || type > P_PGID || !(options & (WEXITED | 2 | 8)) ||
	    (type != P_ALL && (int)id < 0) || (type == P_PID && !id))
		return -EINVAL;
	/* waitid's WSTOPPED is wait4's WUNTRACED; only exits need WEXITED */
	r = do_wait(type == P_PID ? id : 0,
		    type != P_PGID ? 0
		    : id           ? id
				   : current_proc()->pgid,
		    options & ~WEXITED, &status, &cpu_ns);
	if (r > 0) {
		info[0] = SIGCHLD;
		info[2] = (status & 0xff) == 0x7f ? CLD_STOPPED
			  : status == 0xffff      ? CLD_CONTINUED
			  : (status & 0x7f)       ? CLD_KILLED
						  : CLD_EXITED;
		info[4] = r;
		info[6] = info[2] == CLD_EXITED   ? status >> 8
			  : info[2] == CLD_KILLED ? status & 0x7f
						  : SIGCONT;
		if (info[2] == CLD_STOPPED)
			info[6] = status >> 8;
	}
	if (rusage && rusage_to_user(rusage, cpu_ns))
		return -EFAULT;
	if (r >= 0 && uinfo && copy_to_user((void *)uinfo, info, sizeof(info)))
		return -EFAULT;
	return r < 0 ? r : 0;
}

void proc_kill(struct proc *p, int status)
{
	struct list *it;

	spin_lock(&p->sig_lock);
	if (!p->exiting) {
		p->exit_status = status;
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
