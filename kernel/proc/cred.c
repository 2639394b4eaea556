/*
 * cred.c - user and group ids with Linux's rules: real, effective and saved
 * ids (setuid, setreuid, setresuid and their gid twins), supplementary
 * groups, and the checks of calls that act on another process. Privilege
 * is euid 0, which holds every capability (capget); there are no file
 * capabilities and no setuid files, so execve keeps the ids as they are.
 * Writers hold proc_lock, so a check under it sees one set of ids.
 */
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>

#define KEEP   0xffffffffu /* an id argument of -1: leave it */
#define ROOT() (current_proc()->cred.uid.eff == 0)

/* Whether id is one of the three. */
static bool one_of(unsigned id, const struct ids *ids)
{
	return id == ids->real || id == ids->eff || id == ids->saved;
}

/*
 * setresuid and setresgid: set the real, effective and saved ids to r, e,
 * s where not KEEP; without privilege each new id must be one of the old
 * three. 0 or -EPERM.
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

/*
 * setreuid and setregid: the real id may become the old real or effective
 * one, the effective one any of the three; the saved id follows the new
 * effective one when the real one is set or the effective one differs
 * from the old real one.
 */
static long set_re(struct ids *ids, unsigned r, unsigned e)
{
	unsigned s = KEEP;

	if (r != KEEP || (e != KEEP && e != ids->real))
		s = e != KEEP ? e : ids->eff;
	if (r != KEEP && !ROOT() && r != ids->real && r != ids->eff)
		return -EPERM;
	return set_res(ids, r, e, s);
}

/* setuid and setgid: root sets all three, others only the effective id,
 * to the real or saved one. */
static long set_one(struct ids *ids, unsigned id)
{
	if (id == KEEP)
		return -EINVAL;
	if (ROOT())
		return set_res(ids, id, id, id);
	return id == ids->real || id == ids->saved
		   ? set_res(ids, KEEP, id, KEEP)
		   : -EPERM;
}

static long get_res(const struct ids *ids, long r, long e, long s)
{
	return copy_to_user((void *)r, &ids->real, 4)
		   ?: copy_to_user((void *)e, &ids->eff, 4)
		   ?: copy_to_user((void *)s, &ids->saved, 4);
}

long sys_setuid(long uid)
{
	return set_one(&current_proc()->cred.uid, uid);
}

long sys_setgid(long gid)
{
	return set_one(&current_proc()->cred.gid, gid);
}

long sys_setreuid(long r, long e)
{
	return set_re(&current_proc()->cred.uid, r, e);
}

long sys_setregid(long r, long e)
{
	return set_re(&current_proc()->cred.gid, r, e);
}

long sys_setresuid(long r, long e, long s)
{
	return set_res(&current_proc()->cred.uid, r, e, s);
}

long sys_setresgid(long r, long e, long s)
{
	return set_res(&current_proc()->cred.gid, r, e, s);
}

long sys_getresuid(long r, long e, long s)
{
	return get_res(&current_proc()->cred.uid, r, e, s);
}

long sys_getresgid(long r, long e, long s)
{
	return get_res(&current_proc()->cred.gid, r, e, s);
}

long sys_getuid(void)
{
	return current_proc()->cred.uid.real;
}

long sys_geteuid(void)
{
	return current_proc()->cred.uid.eff;
}

long sys_getgid(void)
{
	return current_proc()->cred.gid.real;
}

long sys_getegid(void)
{
	return current_proc()->cred.gid.eff;
}

/* Root replaces the supplementary groups, kept sorted as Linux does:
 * 0, -EPERM, -EINVAL (more than LUX_NGROUPS) or -EFAULT. */
long sys_setgroups(long size, long ulist)
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
	for (int i = 1; i < n; i++) /* insertion sort: n is small */
		for (int j = i; j > 0 && g[j - 1] > g[j]; j--) {
			unsigned t = g[j];
			g[j] = g[j - 1], g[j - 1] = t;
		}
	mutex_lock(&proc_lock);
	memcpy(c->groups, g, 4 * n);
	c->ngroups = n;
	mutex_unlock(&proc_lock);
	return 0;
}

long sys_getgroups(long size, long ulist)
{
	struct cred *c = &current_proc()->cred;
	int n = c->ngroups;

	if ((int)size < 0 || ((int)size && (int)size < n))
		return -EINVAL;
	if ((int)size && copy_to_user((void *)ulist, c->groups, 4 * n))
		return -EFAULT;
	return n;
}

#define CAP_V1   0x19980330
#define CAP_V2   0x20071026
#define CAP_V3   0x20080522
#define CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */

/*
 * The capability sets of process pid (0: the caller) as capget returns
 * them, words[3 * i + 0..2] = effective, permitted, inheritable bits
 * 32i..32i+31: every capability while euid is 0, permitted while any id
 * is 0 (so a saved root uid may come back), none otherwise.
 */
static long cap_sets(int pid, uint32_t words[6])
{
	struct proc *p;
	long r = -ESRCH;

	mutex_lock(&proc_lock);
	if ((p = pid ? proc_find(pid) : current_proc())) {
		const struct cred *c = &p->cred;
		bool perm = !c->uid.real || !c->uid.eff || !c->uid.saved;
		uint32_t all[2] = {~0u, (1u << (CAP_LAST - 31)) - 1};
		for (int i = 0; i < 2; i++) {
			words[3 * i] = c->uid.eff ? 0 : all[i];
			words[3 * i + 1] = perm ? all[i] : 0;
			words[3 * i + 2] = 0;
		}
		r = 0;
	}
	mutex_unlock(&proc_lock);
	return r;
}

/* The header's version: the words each set takes (1 or 2), or -EINVAL
 * after writing the preferred version back, as Linux does. */
static long cap_words(long uhdr, int hdr[2])
{
	if (copy_from_user(hdr, (void *)uhdr, 8))
		return -EFAULT;
	if (hdr[0] == CAP_V1)
		return 1;
	if (hdr[0] == CAP_V2 || hdr[0] == CAP_V3)
		return 2;
	hdr[0] = CAP_V3;
	return copy_to_user((void *)uhdr, hdr, 4) ?: -EINVAL;
}

long sys_capget(long uhdr, long udata)
{
	int hdr[2];
	uint32_t words[6];
	long n = cap_words(uhdr, hdr), r;

	if (!udata || n < 0)
		return !udata && n == -EINVAL ? 0 : MIN(n, 0);
	if (hdr[1] < 0)
		return -EINVAL;
	if ((r = cap_sets(hdr[1], words)))
		return r;
	return copy_to_user((void *)udata, words, 12 * n);
}

/* Capabilities follow the uids: capset succeeds only when it asks for
 * the sets the caller has, else -EPERM. */
long sys_capset(long uhdr, long udata)
{
	int hdr[2];
	uint32_t now[6], want[6] = {0};
	long n = cap_words(uhdr, hdr);

	if (n < 0)
		return n;
	if (hdr[1] && hdr[1] != current_proc()->pid)
		return -EPERM;
	if (copy_from_user(want, (void *)udata, 12 * n))
		return -EFAULT;
	cap_sets(0, now);
	return memcmp(want, now, 12 * n) ? -EPERM : 0;
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
