/*
 * wait.c - wait4 and waitid over the kernel's LUX_NR_WAIT, which selects,
 * reports and reaps the caller's children (docs/decisions/0024): the
 * Linux shapes are built here, wait4's pid encoding, waitid's id types
 * and siginfo, and struct rusage.
 */
#include "persona.h"
#include <lux/signal.h>

#define NS         1000000000ULL
#define P_ALL      0
#define P_PID      1
#define P_PGID     2
#define WSTOPPED   2
#define WEXITED    4
#define WCONTINUED 8

/* struct rusage at uusage (if any) from LUX_NR_WAIT's cpu[0] ns, of
 * which cpu[1] user time: ru_utime and ru_stime, the rest 0. */
static long rusage_out(long uusage, const uint64_t cpu[2])
{
	long ru[18] = {0};
	uint64_t sys = cpu[0] - cpu[1];

	ru[0] = cpu[1] / NS;
	ru[1] = cpu[1] % NS / 1000;
	ru[2] = sys / NS;
	ru[3] = sys % NS / 1000;
	return uusage ? copy_out(uusage, ru, sizeof(ru)) : 0;
}

/* wait4: pid -1 any child, 0 the caller's group, < -1 group -pid, > 0
 * that child. The child is reaped even when a copy then fails (EFAULT),
 * as on Linux. */
long persona_wait4(long lpid, long ustatus, long options, long uusage)
{
	int pid = lpid, status;
	uint64_t res[3] = {0, 0, 0};
	long r, pgid = pid < -1 ? -(long)pid : 0;

	if (!pid && (pgid = native1(NR_getpgid, 0)) < 0)
		return pgid;
	r = native4(LUX_NR_WAIT, pid > 0 ? pid : 0, pgid, options, res);
	status = res[0];
	if (r > 0 && ustatus && copy_out(ustatus, &status, sizeof(status)))
		return -EFAULT;
	if (r > 0 && rusage_out(uusage, &res[1]))
		return -EFAULT;
	return r;
}

/* The siginfo waitid reports for a child whose wait status is status. */
static void waitid_info(int info[32], long pid, int status)
{
	info[0] = SIGCHLD;
	info[2] = (status & 0xff) == 0x7f ? CLD_STOPPED
		  : status == 0xffff      ? CLD_CONTINUED
		  : (status & 0x80)       ? CLD_DUMPED
		  : (status & 0x7f)       ? CLD_KILLED
					  : CLD_EXITED;
	info[4] = pid;
	info[6] = info[2] == CLD_EXITED ? status >> 8
		  : info[2] == CLD_KILLED || info[2] == CLD_DUMPED
		      ? status & 0x7f
		  : info[2] == CLD_CONTINUED ? SIGCONT
					     : status >> 8;
}

/* waitid: P_ALL, P_PID, P_PGID (id 0: the caller's group); exits are
 * reported even without WEXITED (WSTOPPED is wait4's WUNTRACED). */
long persona_waitid(long type, long lid, long uinfo, long options, long uusage)
{
	int id = lid, info[32] = {0};
	uint64_t res[3] = {0, 0, 0};
	long r, pgid = 0;

	if (type < P_ALL || type > P_PGID ||
	    !(options & (WEXITED | WSTOPPED | WCONTINUED)) ||
	    (type != P_ALL && id < 0) || (type == P_PID && !id))
		return -EINVAL;
	if (type == P_PGID && (pgid = id ? id : native1(NR_getpgid, 0)) < 0)
		return pgid;
	r = native4(LUX_NR_WAIT, type == P_PID ? id : 0, pgid,
		    options & ~WEXITED, res);
	if (r > 0)
		waitid_info(info, r, (int)res[0]);
	if (rusage_out(uusage, &res[1]))
		return -EFAULT;
	if (r >= 0 && uinfo && copy_out(uinfo, info, sizeof(info)))
		return -EFAULT;
	return r < 0 ? r : 0;
}
