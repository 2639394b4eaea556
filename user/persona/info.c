/*
 * info.c - calls that translate to a few native ones: sysinfo, times and
 * getrusage over LUX_NR_SYSSTAT; prctl's names over LUX_NR_NAME;
 * getrlimit and setrlimit over prlimit64 (which the kernel keeps: it
 * enforces the limits); time and gettimeofday over clock_gettime, getpgrp over getpgid, eventfd over eventfd2. Run time splits into user and
 * system time as the kernel's ticks found it (decision 0035).
 */
#include "persona.h"

#define NS              1000000000ULL
#define TICK_NS         (NS / 100) /* USER_HZ, as AT_CLKTCK says */
#define RUSAGE_SELF     0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD   1

/* Linux's struct sysinfo (the same on every 64-bit platform). */
struct sysinfo64 {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
};

/* sysinfo: uptime in whole seconds rounded up, memory in bytes, the
 * number of processes; load averages are not kept: they read 0. */
long persona_sysinfo(long uinfo)
{
	struct lux_sysstat s;
	struct sysinfo64 si = {.mem_unit = 1};

	native1(LUX_NR_SYSSTAT, &s);
	si.uptime = (s.clock_ns + NS - 1) / NS;
	si.totalram = s.mem_total;
	si.freeram = s.mem_free;
	si.procs = s.procs;
	return copy_out(uinfo, &si, sizeof(si));
}

/* times: the process's and its reaped children's user and system time in
 * ticks; returns the ticks since boot. */
long persona_times(long utms)
{
	struct lux_sysstat s;
	long tms[4];

	native1(LUX_NR_SYSSTAT, &s);
	tms[0] = s.cpu_user_ns / TICK_NS;
	tms[1] = (s.cpu_ns - s.cpu_user_ns) / TICK_NS;
	tms[2] = s.cpu_child_user_ns / TICK_NS;
	tms[3] = (s.cpu_child_ns - s.cpu_child_user_ns) / TICK_NS;
	if (utms && copy_out(utms, tms, sizeof(tms)))
		return -EFAULT;
	return s.clock_ns / TICK_NS;
}

/* getrusage: the user and system time of who, the rest 0. */
long persona_getrusage(long lwho, long uusage)
{
	struct lux_sysstat s;
	long ru[18] = {0}; /* struct rusage: ru_utime first */
	int who = lwho;
	uint64_t ns, user;

	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN &&
	    who != RUSAGE_THREAD)
		return -EINVAL;
	native1(LUX_NR_SYSSTAT, &s);
	ns = who == RUSAGE_SELF       ? s.cpu_ns
	     : who == RUSAGE_CHILDREN ? s.cpu_child_ns
				      : s.cpu_thread_ns;
	user = who == RUSAGE_SELF       ? s.cpu_user_ns
	       : who == RUSAGE_CHILDREN ? s.cpu_child_user_ns
					: s.cpu_thread_user_ns;
	ru[0] = user / NS, ru[1] = user % NS / 1000;
	ru[2] = (ns - user) / NS, ru[3] = (ns - user) % NS / 1000;
	return copy_out(uusage, ru, sizeof(ru));
}

#define PR_SET_NAME 15
#define PR_GET_NAME 16

/* prctl: the thread's name (the kernel keeps it: its log and procfs
 * show it), the process options of procx.c; every other option EINVAL. */
long persona_prctl(long option, long arg)
{
	long r;

	if (option == PR_SET_NAME)
		return native2(LUX_NR_NAME, arg, 1);
	if (option == PR_GET_NAME)
		return native2(LUX_NR_NAME, arg, 0);
	return (r = procx_prctl(option, arg)) == -ENOSYS ? -EINVAL : r;
}

/* getrlimit: prlimit64 on the caller; a NULL buffer EFAULT first. */
long persona_getrlimit(long resource, long uold)
{
	if (!uold)
		return -EFAULT;
	return native4(NR_prlimit64, 0, resource, 0, uold);
}

/* setrlimit: the new limits are read first (EFAULT before EINVAL, as
 * Linux), then set by prlimit64. */
long persona_setrlimit(long resource, long unew)
{
	uint64_t lim[2];

	if (copy_in(lim, unew, sizeof(lim)))
		return -EFAULT;
	return native4(NR_prlimit64, 0, resource, lim, 0);
}

/* gettimeofday: CLOCK_REALTIME in s and us; the time zone reads 0. */
long persona_gettimeofday(long utv, long utz)
{
	int64_t ts[2], tz = 0;

	native2(NR_clock_gettime, 0, ts);
	ts[1] /= 1000;
	if (utv && copy_out(utv, ts, sizeof(ts)))
		return -EFAULT;
	return utz ? copy_out(utz, &tz, sizeof(tz)) : 0;
}

/* time: the seconds of CLOCK_REALTIME, also written to ut if not NULL. */
long persona_time(long ut)
{
	int64_t ts[2];

	native2(NR_clock_gettime, 0, ts);
	if (ut && copy_out(ut, &ts[0], sizeof(ts[0])))
		return -EFAULT;
	return ts[0];
}
