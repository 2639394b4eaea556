/*
 * sigio.c - signal-driven I/O (docs/decisions/0038-sigio-and-leases.md).
 * A file's owner (F_SETOWN, F_SETOWN_EX: a thread, a process or a group)
 * and signal (F_SETSIG) live in a struct sigio the file points to. While
 * the file has O_ASYNC, the record is on the list of the file's wait
 * queue, the queue poll and epoll sleep on: a wake-up for events the file
 * waits for (waitq_wake_io; waitq_wake_all means any) marks the record
 * due, and the waking thread sends the signals before it returns to user
 * space (a wake-up may come under a spin lock; a send needs proc_lock).
 * Only pipes, FIFOs, sockets and servers' files take part: their queues
 * are never woken from an interrupt.
 */
#include "chan.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "sock.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/signal.h>

#define IN_EVENTS  (POLLIN | POLLPRI | POLLHUP | POLLRDHUP)
#define OUT_EVENTS (POLLOUT | POLLERR)
#define POLL_IN    1 /* si_code of SIGPOLL */
#define POLL_OUT   2
#define POLL_MSG   3
#define BREAK      0x400 /* due: a lease break (Linux's POLLMSG) */
#define SI_KERNEL  0x80

struct sigio {
	struct sigio *next;     /* on the file's wait queue (O_ASYNC) */
	struct sigio *due_next; /* on due, while due is not 0 */
	struct file *f;
	int fd, type, id, sig; /* si_fd; F_OWNER_*, its id; F_SETSIG's */
	unsigned uid, euid;    /* the setter's, checked at each send */
	unsigned due;          /* events not signalled yet */
	bool linked, lease;    /* lease: on the queue for lease breaks */
};

static struct spinlock sigio_lock = SPINLOCK_INIT;
static struct sigio *due;

/* f's record, made on first use; NULL if out of memory. */
static struct sigio *sigio_of(struct file *f)
{
	struct sigio *s = __atomic_load_n(&f->sigio, __ATOMIC_ACQUIRE);
	struct sigio *none = NULL;

	if (s || !(s = kzalloc(sizeof(*s))))
		return s;
	s->f = f;
	if (!__atomic_compare_exchange_n(&f->sigio, &none, s, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		kfree(s);
		s = none;
	}
	return s;
}

/* Take s off its queue's list (on: put it on). sigio_lock held. */
static void sigio_link(struct sigio *s, bool on)
{
	struct sigio **pp = &s->f->wq->async;

	if (on && !s->linked)
		s->next = *pp, *pp = s;
	while (!on && s->linked && *pp != s)
		pp = &(*pp)->next;
	if (!on && s->linked)
		*pp = s->next;
	s->linked = on;
}

void sigio_wake(struct waitq *wq, unsigned events)
{
	bool any = false;

	spin_lock(&sigio_lock);
	for (struct sigio *s = wq->async; s; s = s->next) {
		unsigned acc = s->f->flags & O_ACCMODE;
		if (!(s->f->flags & O_ASYNC))
			continue; /* there for lease breaks only */
		unsigned ev = events & file_events(s->f) &
			      ((acc != O_WRONLY ? IN_EVENTS : 0) |
			       (acc != O_RDONLY ? OUT_EVENTS : 0));
		if (ev && !s->due)
			s->due_next = due, due = s;
		s->due |= ev, any |= ev != 0;
	}
	spin_unlock(&sigio_lock);
	if (any)
		current_thread()->sigio = true;
}

void sigio_lease(struct waitq *wq, uint64_t ofd)
{
	spin_lock(&sigio_lock);
	for (struct sigio *s = wq->async; s; s = s->next)
		if (s->lease && rfile_ofd(s->f) == ofd) {
			if (!s->due)
				s->due_next = due, due = s;
			s->due |= BREAK;
			current_thread()->sigio = true;
		}
	spin_unlock(&sigio_lock);
}

void sigio_drop(struct file *f)
{
	struct sigio *s = f->sigio, **pp = &due;

	if (!s)
		return;
	spin_lock(&sigio_lock);
	sigio_link(s, false);
	while (s->due && *pp != s)
		pp = &(*pp)->due_next;
	if (s->due)
		*pp = s->due_next;
	spin_unlock(&sigio_lock);
	kfree(s);
}

/*
 * Send m's signal for code to p (or its thread t) if the setter could
 * have sent it (Linux's sigio_perm: root, or its real or effective uid
 * is p's real or saved uid). A full real-time queue, or no F_SETSIG
 * signal, gives a plain SIGIO. proc_lock held.
 */
static void sigio_send(struct proc *p, struct thread *t, const struct sigio *m,
		       int code)
{
	struct ids *u = &p->cred.uid;
	struct ksiginfo info = {.code = SI_KERNEL};
	int sig = m->sig;

	if (p->zombie ||
	    (m->euid && m->euid != u->real && m->euid != u->saved &&
	     m->uid != u->real && m->uid != u->saved))
		return;
	if (sig && (sig < SIGRTMIN || p->queued[sig] < 255))
		info =
		    (struct ksiginfo){.code = code,
				      .pid = code == POLL_OUT ? 0x304 : 0x441,
				      .status = m->fd}; /* si_band, si_fd */
	else
		sig = SIGIO;
	if (p->pid != 1 || p->act[sig].handler > SIG_IGN)
		signal_send(p, t, sig, &info);
}

/* Each target of owner (type, id), sent m's signal for code unless m is
 * NULL: how many there are. proc_lock held. */
static int sigio_owners(int type, int id, const struct sigio *m, int code)
{
	struct list *it, *jt;
	int n = 0;

	list_for_each(it, proc_list())
	{
		struct proc *p = container_of(it, struct proc, all_link);
		if (p->zombie || (type == F_OWNER_PID && p->pid != id) ||
		    (type == F_OWNER_PGRP && p->pgid != id))
			continue;
		list_for_each(jt, &p->threads)
		{
			struct thread *t =
			    container_of(jt, struct thread, proc_link);
			if (type == F_OWNER_TID && t->tid != id)
				continue;
			n++;
			if (m)
				sigio_send(p, type == F_OWNER_TID ? t : NULL, m,
					   code);
			break;
		}
	}
	return n;
}

void sigio_flush(void)
{
	struct sigio m, *s;

	if (!current_thread()->sigio)
		return;
	current_thread()->sigio = false;
	for (;;) {
		spin_lock(&sigio_lock);
		if ((s = due)) {
			due = s->due_next;
			m = *s;
			s->due = 0;
		}
		spin_unlock(&sigio_lock);
		if (!s)
			return;
		mutex_lock(&proc_lock);
		if (m.due & IN_EVENTS)
			sigio_owners(m.type, m.id, &m, POLL_IN);
		if (m.due & OUT_EVENTS)
			sigio_owners(m.type, m.id, &m, POLL_OUT);
		if (m.due & BREAK)
			sigio_owners(m.type, m.id, &m, POLL_MSG);
		mutex_unlock(&proc_lock);
	}
}

/* F_SETOWN, F_SETOWN_EX: the owner (type, id) if it exists (-ESRCH), with
 * the caller's ids for the sends. */
static long sigio_own(struct sigio *s, int type, int id)
{
	struct cred *c = &current_proc()->cred;

	if (type < F_OWNER_TID || type > F_OWNER_PGRP)
		return -EINVAL;
	mutex_lock(&proc_lock);
	bool found = !id || sigio_owners(type, id, NULL, 0);
	mutex_unlock(&proc_lock);
	if (!found)
		return -ESRCH;
	spin_lock(&sigio_lock);
	s->type = type, s->id = id;
	s->uid = c->uid.real, s->euid = c->uid.eff;
	spin_unlock(&sigio_lock);
	return 0;
}

long sigio_fcntl(struct file *f, int fd, long cmd, long arg)
{
	struct sigio *s = f->sigio, none = {0};
	int own[2];

	if (cmd == F_GETOWN || cmd == F_GETSIG || cmd == F_GETOWN_EX) {
		s = s ? s : &none;
		own[0] = s->type, own[1] = s->id;
		return cmd == F_GETSIG ? s->sig
		       : cmd == F_GETOWN
			   ? (s->type == F_OWNER_PGRP ? -s->id : s->id)
		       : copy_to_user((void *)arg, own, sizeof(own)) ? -EFAULT
								     : 0;
	}
	if (cmd == F_SETOWN_EX && copy_from_user(own, (void *)arg, 8))
		return -EFAULT;
	if (cmd == F_SETSIG && (unsigned)arg >= NSIG) /* an int, as Linux's */
		return -EINVAL;
	if ((cmd == F_SETFL && !(arg & O_ASYNC) && !s) ||
	    (cmd == F_SETOWN && (unsigned)arg == 0x80000000u))
		return cmd == F_SETFL ? 0 : -EINVAL;
	if (cmd == LUX_F_LEASE && !rfile_ofd(f))
		return -EINVAL;
	if (!(s = sigio_of(f)))
		return -ENOMEM;
	if (cmd == F_SETSIG)
		s->sig = (int)arg;
	if (cmd == F_SETOWN)
		return sigio_own(s, (int)arg < 0 ? F_OWNER_PGRP : F_OWNER_PID,
				 (int)arg < 0 ? -(int)arg : (int)arg);
	if (cmd == F_SETOWN_EX)
		return sigio_own(s, own[0], own[1]);
	if (cmd == LUX_F_LEASE && arg == 2) /* unlocked: as Linux, */
		s->sig = 0;                 /* no signal, no owner */
	if (cmd == LUX_F_LEASE && arg)
		return arg == 2 ? sigio_own(s, F_OWNER_TID, 0)
		       : s->id  ? 0
			       : sigio_own(s, F_OWNER_PID, current_proc()->pid);
	if (cmd == F_SETFL && (pipe_of(f) || f->ops == &sock_ops ||
			       rfile_info(f, NULL, NULL, NULL))) {
		spin_lock(&sigio_lock);
		s->fd = fd;
		sigio_link(s, arg & O_ASYNC || s->lease);
		spin_unlock(&sigio_lock);
	}
	if (cmd == LUX_F_LEASE) {
		spin_lock(&sigio_lock);
		s->fd = fd, s->lease = true;
		sigio_link(s, true);
		spin_unlock(&sigio_lock);
	}
	return 0;
}
