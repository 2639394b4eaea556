/*
 * timer.c - the interval timer calls over the kernel's timers,
 * LUX_NR_ALARM: setitimer and getitimer (ITIMER_REAL, ITIMER_VIRTUAL,
 * ITIMER_PROF: docs/decisions/0035-cpu-timers.md) and alarm.
 */
#include "persona.h"

#define NS 1000000000ULL

/* setitimer: ITIMER_REAL, _VIRTUAL or _PROF (else EINVAL); the new value is read first
 * (EFAULT) and checked (EINVAL); the old one is written if asked
 * (EFAULT, the timer set all the same). No new value: the timer stays
 * as it is (getitimer). */
long persona_setitimer(long which, long unew, long uold)
{
	int64_t v[4], old[4];
	uint64_t ns[2], value = -1, interval = 0;
	long r;

	if ((unsigned)which > 2)
		return -EINVAL;
	if (unew && copy_in(v, unew, sizeof(v)))
		return -EFAULT;
	if (unew && (v[1] < 0 || v[1] >= 1000000 || v[3] < 0 ||
		     v[3] >= 1000000 || v[0] < 0 || v[2] < 0))
		return -EINVAL;
	if (unew) {
		value = v[2] * NS + v[3] * 1000;
		interval = v[0] * NS + v[1] * 1000;
	}
	if ((r = native4(LUX_NR_ALARM, value, interval, ns, which)) < 0)
		return r;
	old[0] = ns[0] / NS, old[1] = ns[0] % NS / 1000;
	old[2] = ns[1] / NS, old[3] = ns[1] % NS / 1000;
	return uold ? copy_out(uold, old, sizeof(old)) : 0;
}

/* getitimer: setitimer without a new value; a NULL buffer EFAULT first. */
long persona_getitimer(long which, long uold)
{
	if (!uold)
		return -EFAULT;
	return persona_setitimer(which, 0, uold);
}

/* alarm: ITIMER_REAL set to seconds, no interval; returns the seconds the
 * old alarm had left, rounded to the nearest but at least 1 while one was
 * pending (Linux's rule). */
long persona_alarm(long seconds)
{
	uint64_t ns[2], s, us;
	long r = native4(LUX_NR_ALARM, (unsigned)seconds * NS, 0, ns, 0);

	if (r)
		return r;
	s = ns[1] / NS, us = ns[1] % NS / 1000;
	return s + (us >= 500000 || (!s && us));
}
