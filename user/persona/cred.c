/*
 * cred.c - the Linux id calls: getuid and its kin, setuid, setreuid,
 * setresuid, setfsuid and their gid twins, getgroups, setgroups, capget
 * and capset. The kernel keeps and enforces the credentials
 * (LUX_NR_CRED reads them, LUX_NR_SETCRED sets them under setresuid's
 * rule, the most permissive of Linux's); each call's own, stricter rule
 * and its answers are made here. Privilege is euid 0, which holds every
 * capability. Two threads changing ids at once may interleave between
 * the read and the write of a call; the kernel's rule holds either way.
 */
#include "persona.h"

#define KEEP 0xffffffffu /* an id argument of -1: leave it */

/* The caller's credentials: 0, or -errno (never for the caller). */
static long cred_get(struct lux_cred *c)
{
	return native2(LUX_NR_CRED, 0, c);
}

/* ids[0..2] of the uids (kind LUX_CRED_UID) or gids of c. */
static const uint32_t *cred_ids(const struct lux_cred *c, int kind)
{
	return kind == LUX_CRED_UID ? c->uid : c->gid;
}

/* getuid, geteuid (which 0: real, 1: effective) and the gid twins. */
long persona_getid(int kind, int which)
{
	struct lux_cred c;

	cred_get(&c);
	return cred_ids(&c, kind)[which];
}

/* getresuid, getresgid: the three ids, written in order (EFAULT stops at
 * the first bad pointer, as the kernel's copies did). */
long persona_getres(int kind, long ur, long ue, long us)
{
	struct lux_cred c;
	const uint32_t *ids;

	cred_get(&c);
	ids = cred_ids(&c, kind);
	return copy_out(ur, &ids[0], 4) ?: copy_out(ue, &ids[1], 4)
					   ?: copy_out(us, &ids[2], 4);
}

/* setresuid, setresgid: the kernel's rule as it is. */
long persona_setres(int kind, long r, long e, long s)
{
	return native4(LUX_NR_SETCRED, kind, (uint32_t)r, (uint32_t)e,
		       (uint32_t)s);
}

/*
 * setreuid and setregid: the real id may become the old real or effective
 * one, the effective one any of the three; the saved id follows the new
 * effective one when the real one is set or the effective one differs
 * from the old real one.
 */
long persona_setre(int kind, long lr, long le)
{
	uint32_t r = lr, e = le, s = KEEP;
	struct lux_cred c;
	const uint32_t *ids;

	cred_get(&c);
	ids = cred_ids(&c, kind);
	if (r != KEEP || (e != KEEP && e != ids[0]))
		s = e != KEEP ? e : ids[1];
	if (r != KEEP && c.uid[1] && r != ids[0] && r != ids[1])
		return -EPERM;
	return persona_setres(kind, r, e, s);
}

/* setuid and setgid: root sets all three, others only the effective id,
 * to the real or saved one; -1 is EINVAL. */
long persona_setone(int kind, long lid)
{
	uint32_t id = lid;
	struct lux_cred c;
	const uint32_t *ids;

	if (id == KEEP)
		return -EINVAL;
	cred_get(&c);
	ids = cred_ids(&c, kind);
	if (!c.uid[1])
		return persona_setres(kind, id, id, id);
	return id == ids[0] || id == ids[2]
		   ? persona_setres(kind, KEEP, id, KEEP)
		   : -EPERM;
}

/* setfsuid and setfsgid: lux has no separate file-system ids (servers
 * check the effective ones), so the answer is the effective id and
 * nothing changes; a caller sees that with setfsuid(-1), as the manual
 * says to check. */
long persona_setfs(int kind)
{
	return persona_getid(kind, 1);
}

/* getgroups: the count, the list if size is not 0 (EINVAL if too short). */
long persona_getgroups(long lsize, long ulist)
{
	struct lux_cred c;
	int size = lsize, n;

	cred_get(&c);
	n = c.ngroups;
	if (size < 0 || (size && size < n))
		return -EINVAL;
	if (size && copy_out(ulist, c.groups, 4 * n))
		return -EFAULT;
	return n;
}

/* setgroups: root only (the kernel checks), at most LUX_NGROUPS, kept
 * sorted as Linux does. */
long persona_setgroups(long lsize, long ulist)
{
	uint32_t g[LUX_NGROUPS];
	int n = lsize;
	struct lux_cred c;

	cred_get(&c);
	if (c.uid[1])
		return -EPERM;
	if (n < 0 || n > LUX_NGROUPS)
		return -EINVAL;
	if (copy_in(g, ulist, 4 * n))
		return -EFAULT;
	for (int i = 1; i < n; i++) /* insertion sort: n is small */
		for (int j = i; j > 0 && g[j - 1] > g[j]; j--) {
			uint32_t t = g[j];
			g[j] = g[j - 1], g[j - 1] = t;
		}
	return native3(LUX_NR_SETCRED, LUX_CRED_GROUPS, n, g);
}

#define CAP_V1   0x19980330
#define CAP_V2   0x20071026
#define CAP_V3   0x20080522
#define CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */

/*
 * The capability sets of process pid (0: the caller) as capget returns
 * them, words[3 * i + 0..2] = effective, permitted, inheritable bits
 * 32i..32i+31: every capability while euid is 0, permitted while any id
 * is 0 (so a saved root uid may come back), none otherwise. 0 or -ESRCH.
 */
static long cap_sets(int pid, uint32_t words[6])
{
	static const uint32_t all[2] = {~0u, (1u << (CAP_LAST - 31)) - 1};
	struct lux_cred c;
	long r = native2(LUX_NR_CRED, pid, &c);
	int perm;

	if (r)
		return r;
	perm = !c.uid[0] || !c.uid[1] || !c.uid[2];
	for (int i = 0; i < 2; i++) {
		words[3 * i] = c.uid[1] ? 0 : all[i];
		words[3 * i + 1] = perm ? all[i] : 0;
		words[3 * i + 2] = 0;
	}
	return 0;
}

/* The header's version: the words each set takes (1 or 2), or -EINVAL
 * after writing the preferred version back, as Linux does. */
static long cap_words(long uhdr, int hdr[2])
{
	if (copy_in(hdr, uhdr, 8))
		return -EFAULT;
	if (hdr[0] == CAP_V1)
		return 1;
	if (hdr[0] == CAP_V2 || hdr[0] == CAP_V3)
		return 2;
	hdr[0] = CAP_V3;
	return copy_out(uhdr, hdr, 4) ?: -EINVAL;
}

long persona_capget(long uhdr, long udata)
{
	int hdr[2];
	uint32_t words[6];
	long n = cap_words(uhdr, hdr), r;

	if (!udata || n < 0)
		return !udata && n == -EINVAL ? 0 : (n < 0 ? n : 0);
	if (hdr[1] < 0)
		return -EINVAL;
	if ((r = cap_sets(hdr[1], words)))
		return r;
	return copy_out(udata, words, 12 * n);
}

/* Capabilities follow the uids: capset succeeds only when it asks for
 * the sets the caller has, else -EPERM. */
long persona_capset(long uhdr, long udata)
{
	int hdr[2];
	uint32_t now[6], want[6] = {0};
	long n = cap_words(uhdr, hdr);

	if (n < 0)
		return n;
	if (hdr[1] && hdr[1] != native0(NR_getpid))
		return -EPERM;
	if (copy_in(want, udata, 12 * n))
		return -EFAULT;
	cap_sets(0, now);
	return memcmp(want, now, 12 * n) ? -EPERM : 0;
}
