/*
 * cred.c - the credentials the kernel keeps and enforces: real, effective
 * and saved ids, supplementary groups (LUX_NR_CRED, LUX_NR_SETCRED; the
 * Linux id calls are the personality's, user/persona/cred.c), and the
 * checks of calls that act on another process. Privilege is euid 0;
 * there are no file capabilities and no setuid files, so execve keeps
 * the ids as they are. Writers hold proc_lock, so a check under it sees
 * one set of ids.
 */
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/proto.h>

#define KEEP   0xffffffffu /* an id argument of -1: leave it */
#define ROOT() (current_proc()->cred.uid.eff == 0)

/* Whether id is one of the three. */
static bool one_of(unsigned id, const struct ids *ids)
{
	return id == ids->real || id == ids->eff || id == ids->saved;
}

/*
 * Set the real, effective and saved ids to r, e, s where not KEEP;
 * without privilege each new id must be one of the old three (the rule
 * of setresuid, the most permissive of Linux's: the personality applies
 * each other call's stricter one). 0 or -EPERM.
 */
static long set_res(struct ids *ids, unsigned r, unsigned e, unsigned s)
{
	long err = 0;

	mutex_lock(&proc_lock);
	if (!ROOT() &&
	    ((r != KEEP && !one_of(r, ids)) || (e != KEEP && !one_of(e, ids)) ||
	     (s != KEEP && !one_of(s, ids))))
		err = -EPERM;
	else
		*ids = (struct ids){r != KEEP ? r : ids->real,
				    e != KEEP ? e : ids->eff,
				    s != KEEP ? s : ids->saved};
	mutex_unlock(&proc_lock);
	return err;
}

/* Root replaces the supplementary groups (the personality sorts them):
 * 0, -EPERM, -EINVAL (more than LUX_NGROUPS) or -EFAULT. */
static long set_groups(long size, long ulist)
{
	struct cred *c = &current_proc()->cred;
	unsigned g[LUX_NGROUPS];
	int n = size;

	if (!ROOT())
		return -EPERM;
	if (n < 0 || n > LUX_NGROUPS)
		return -EINVAL;
	if (copy_from_user(g, (void *)ulist, 4 * n))
		return -EFAULT;
	mutex_lock(&proc_lock);
	memcpy(c->groups, g, 4 * n);
	c->ngroups = n;
	mutex_unlock(&proc_lock);
	return 0;
}

long sys_lux_setcred(long which, long a, long b, long c)
{
	struct cred *cr = &current_proc()->cred;

	if (which == LUX_CRED_GROUPS)
		return set_groups(a, b);
	if (which != LUX_CRED_UID && which != LUX_CRED_GID)
		return -EINVAL;
	return set_res(which == LUX_CRED_UID ? &cr->uid : &cr->gid, a, b, c);
}

_Static_assert(sizeof(struct cred) == sizeof(struct lux_cred), "layout");

long sys_lux_cred(long pid, long ucred)
{
	struct cred c;
	struct proc *p;

	mutex_lock(&proc_lock);
	if ((p = (int)pid ? proc_find((int)pid) : current_proc()))
		c = p->cred;
	mutex_unlock(&proc_lock);
	return p ? copy_to_user((void *)ucred, &c, sizeof(c)) : -ESRCH;
}

bool cred_may_signal(const struct proc *p, int sig)
{
	const struct proc *self = current_proc();
	const struct ids *c = &self->cred.uid, *t = &p->cred.uid;

	return p == self || !c->eff || c->eff == t->real ||
	       c->eff == t->saved || c->real == t->real ||
	       c->real == t->saved || (sig == SIGCONT && p->sid == self->sid);
}

bool cred_owns(const struct proc *p)
{
	unsigned euid = current_proc()->cred.uid.eff;
	return !euid || euid == p->cred.uid.real || euid == p->cred.uid.eff;
}

/* Whether the caller may change p's limits: p is the caller, or its real
 * ids are all three of p's uids and gids, or it is root (Linux's rule).
 * proc_lock held. */
bool cred_may_limit(const struct proc *p)
{
	const struct cred *c = &current_proc()->cred, *t = &p->cred;
	unsigned u = c->uid.real, g = c->gid.real;

	return p == current_proc() || !c->uid.eff ||
	       (u == t->uid.real && u == t->uid.eff && u == t->uid.saved &&
		g == t->gid.real && g == t->gid.eff && g == t->gid.saved);
}
