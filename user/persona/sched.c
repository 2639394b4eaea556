/*
 * sched.c - scheduling and sleeping calls whose Linux forms need nothing
 * but the kernel's primitives: getpriority over LUX_NR_PROCINFO (what
 * procfs shows anyone), clock_nanosleep over clock_gettime and a ppoll
 * with the program's mask (as select's waits: a signal the program takes
 * ends it, its handler runs once the program is resumed), and pause over
 * rt_sigsuspend with the program's mask; sched_getaffinity,
 * sched_setaffinity and getcpu over LUX_NR_AFFINITY. The kernel keeps setpriority and nanosleep, and
 * every check.
 */
#include "persona.h"

#define NS              1000000000LL
#define CLOCK_MONOTONIC 1
#define TIMER_ABSTIME   1
#define PRIO_PROCESS    0

/* getpriority: PRIO_PROCESS only (EINVAL); who 0 is the caller, a pid
 * that names no live process ESRCH. The raw call returns 20 - nice. */
long persona_getpriority(long which, long who)
{
	struct lux_procinfo info;
	int pid = who ? (int)who : native0(NR_getpid);

	if (which != PRIO_PROCESS)
		return -EINVAL;
	if (pid <= 0 || native4(LUX_NR_PROCINFO, pid, &info, 0, 0) ||
	    info.pid != pid || info.state == 'Z')
		return -ESRCH;
	return 20 - info.nice;
}

/* The time on clock in ns: 0, or EINVAL for a clock lux does not know. */
static long clock_ns(long clock, int64_t *ns)
{
	int64_t ts[2] = {0, 0};
	long r = native2(NR_clock_gettime, clock, ts);

	*ns = ts[0] * NS + ts[1];
	return r;
}

/*
 * clock_nanosleep: sleep for the time at ureq on clock, or with
 * TIMER_ABSTIME until the clock reads it. The request is read and checked
 * first (EFAULT, EINVAL), then the clock (EINVAL; the CPU-time clocks 2
 * and 3 cannot be slept on). A signal the program takes ends the sleep
 * with EINTR and, for a relative one, the time left at urem (EFAULT).
 */
long persona_clock_nanosleep(long clock, long flags, long ureq, long urem,
			     uint64_t mask)
{
	int64_t req[2], ns, now, start, end;
	long r;

	if (copy_in(req, ureq, sizeof(req)))
		return -EFAULT;
	if (req[0] < 0 || req[1] < 0 || req[1] >= NS)
		return -EINVAL;
	if ((r = clock_ns(clock, &now)) < 0)
		return r;
	if (clock == 2 || clock == 3)
		return -EINVAL;
	ns = req[0] > INT64_MAX / NS - 1 ? INT64_MAX / 2 : req[0] * NS + req[1];
	if (flags & TIMER_ABSTIME)
		ns = ns > now ? ns - now : 0;
	clock_ns(CLOCK_MONOTONIC, &start);
	int64_t ts[2] = {ns / NS, ns % NS};
	r = persona_syscall(NR_ppoll, 0, 0, (long)ts, (long)&mask, 8, 0);
	if (r >= 0)
		return 0;
	clock_ns(CLOCK_MONOTONIC, &end);
	ts[0] = start + ns > end ? (start + ns - end) / NS : 0;
	ts[1] = start + ns > end ? (start + ns - end) % NS : 0;
	if (!(flags & TIMER_ABSTIME) && urem && copy_out(urem, ts, sizeof(ts)))
		return -EFAULT;
	return r;
}

/* pause: rt_sigsuspend with the program's own mask; always EINTR. */
long persona_pause(uint64_t mask)
{
	return native2(NR_rt_sigsuspend, &mask, 8);
}

/* sched_getaffinity: the thread's mask of online CPUs, 8 bytes (lux has
 * at most 64 CPUs), which is what it returns; a size that is not a
 * multiple of 8 or below it EINVAL, then ESRCH, then EFAULT. */
long persona_sched_getaffinity(long tid, long len, long umask)
{
	uint64_t mask;
	long r;

	if (len < 8 || (len & 7))
		return -EINVAL;
	if ((r = native4(LUX_NR_AFFINITY, tid, 0, 0, &mask)) < 0)
		return r;
	return copy_out(umask, &mask, 8) ? -EFAULT : 8;
}

/* sched_setaffinity: the first 8 bytes of the mask (fewer if len is
 * shorter; EFAULT for a negative len, as an unreadable mask), then the
 * kernel's checks (ESRCH, EPERM, EINVAL for no online CPU). */
long persona_sched_setaffinity(long tid, long len, long umask)
{
	uint64_t mask = 0;
	long r;

	if (len < 0 || copy_in(&mask, umask, len < 8 ? len : 8))
		return -EFAULT;
	r = native4(LUX_NR_AFFINITY, tid, 1, mask, 0);
	return r < 0 ? r : 0;
}

/* getcpu: the caller's CPU and node 0 (each optional; EFAULT). */
long persona_getcpu(long ucpu, long unode)
{
	unsigned cpu = native4(LUX_NR_AFFINITY, 0, 0, 0, 0), node = 0;

	if (ucpu && copy_out(ucpu, &cpu, 4))
		return -EFAULT;
	return unode && copy_out(unode, &node, 4) ? -EFAULT : 0;
}
