/*
 * sched.c - scheduling and sleeping calls whose Linux forms need nothing
 * but the kernel's primitives: getpriority over LUX_NR_PROCINFO (what
 * procfs shows anyone), clock_nanosleep over clock_gettime and a ppoll
 * with the program's mask (as select's waits: a signal the program takes
 * ends it, its handler runs once the program is resumed), and pause over
 * rt_sigsuspend with the program's mask. The kernel keeps setpriority
 * and nanosleep, which check and sleep.
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
	if (pid <= 0 || native2(LUX_NR_PROCINFO, pid, &info) ||
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
