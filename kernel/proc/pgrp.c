/*
 * pgrp.c - job control: sessions and process groups (setsid, setpgid,
 * getpgid, getsid; getpgrp is the personality's) with Linux's rules, and
 * the walk over a group that kill(0 / -pgrp) uses.
 */
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>

/* Whether some process, an unreaped zombie included, is in group pgid
 * (of session sid, when sid is not 0). proc_lock held. */
static bool group_exists(int pgid, int sid)
{
	struct list *it;

	list_for_each(it, proc_list())
	{
		struct proc *p = container_of(it, struct proc, all_link);
		if (p->pgid == pgid && (!sid || p->sid == sid))
			return true;
	}
	return false;
}

long sys_setsid(void)
{
	struct proc *self = current_proc();
	long r = -EPERM;

	mutex_lock(&proc_lock);
	if (!group_exists(self->pid, 0)) { /* it may not lead a group */
		self->pgid = self->sid = self->pid;
		r = self->pid;
	}
	mutex_unlock(&proc_lock);
	return r;
}

/* Move the caller or a child of it (a zombie too, as on Linux) that has
 * not exec'd into group pgid of its session: 0 or -ESRCH, -EPERM, -EACCES,
 * -EINVAL. */
long sys_setpgid(long pid, long pgid)
{
	struct proc *self = current_proc(), *p;
	long r = 0;

	pid = (int)pid; /* pid_t arguments: the low 32 bits count */
	pgid = (int)pgid;
	if (pgid < 0)
		return -EINVAL;
	mutex_lock(&proc_lock);
	p = pid ? proc_lookup(pid) : self;
	pgid = pgid ? pgid : (p ? p->pid : 0);
	if (!p || (p != self && p->parent != self))
		r = -ESRCH;
	else if (p != self && p->sid != self->sid)
		r = -EPERM;
	else if (p != self && p->did_exec)
		r = -EACCES;
	else if (p->sid == p->pid)
		r = -EPERM; /* a session leader stays in its group */
	else if (pgid != p->pid && !group_exists(pgid, self->sid))
		r = -EPERM;
	else
		p->pgid = pgid;
	mutex_unlock(&proc_lock);
	return r;
}

/* A field of process pid (0: the caller): its group or its session. */
static long proc_id(long pid, bool session)
{
	struct proc *p;
	long r = -ESRCH;

	mutex_lock(&proc_lock);
	p = pid ? proc_lookup(pid) : current_proc();
	if (p)
		r = session ? p->sid : p->pgid;
	mutex_unlock(&proc_lock);
	return r;
}

long sys_getpgid(long pid)
{
	return (int)pid < 0 ? -ESRCH : proc_id((int)pid, false);
}

long sys_getsid(long pid)
{
	return (int)pid < 0 ? -ESRCH : proc_id((int)pid, true);
}

/* Whether group pgid is orphaned once `gone` has exited: no member has a
 * parent in another group of its session, to continue its stopped jobs.
 * proc_lock held. */
static bool orphaned(int pgid, const struct proc *gone)
{
	struct list *it;

	list_for_each(it, proc_list())
	{
		struct proc *q = container_of(it, struct proc, all_link);
		struct proc *pa = q->parent;
		if (q != gone && !q->zombie && q->pgid == pgid && pa &&
		    pa != gone && pa->pgid != pgid && pa->sid == q->sid)
			return false;
	}
	return true;
}

/* SIGHUP then SIGCONT to every member of group pgid if `gone`'s exit
 * orphans it while a member is stopped (POSIX). proc_lock held. */
static void hangup_orphaned(int pgid, const struct proc *gone)
{
	struct ksiginfo info = {.code = 0x80}; /* SI_KERNEL */
	bool stopped = false;
	struct list *it;

	list_for_each(it, proc_list())
	{
		struct proc *q = container_of(it, struct proc, all_link);
		stopped |= q->pgid == pgid && !q->zombie && q->stopped;
	}
	if (!stopped || !orphaned(pgid, gone))
		return;
	list_for_each(it, proc_list())
	{
		struct proc *q = container_of(it, struct proc, all_link);
		if (q->pgid == pgid && !q->zombie) {
			signal_send(q, NULL, SIGHUP, &info);
			signal_send(q, NULL, SIGCONT, &info);
		}
	}
}

void pgrp_exit(struct proc *p)
{
	struct list *it;

	/* with no process stopped no group needs a hangup: an exit then
	 * costs no walk over every process (a killed fork bomb's 8,000
	 * exits made 8,000 walks over 8,000 processes) */
	if (!__atomic_load_n(&proc_nr_stopped, __ATOMIC_RELAXED))
		return;
	if (p->parent && p->parent->pgid != p->pgid && p->parent->sid == p->sid)
		hangup_orphaned(p->pgid, p);
	list_for_each(it, &p->children)
	{
		struct proc *c = container_of(it, struct proc, sibling);
		if (c->pgid != p->pgid && c->sid == p->sid)
			hangup_orphaned(c->pgid, p);
	}
}
