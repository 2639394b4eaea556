/*
 * time.c - clocks, sleeping and the alarm timer: clock_gettime,
 * nanosleep and the one interval timer, LUX_NR_ALARM (time,
 * gettimeofday and clock_nanosleep are the personality's over
 * clock_gettime; setitimer, getitimer and alarm over LUX_NR_ALARM). CLOCK_REALTIME is the RTC's time at boot plus the
 * monotonic clock; lux keeps no time zone.
 */
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>

#define NS              1000000000LL
#define CLOCK_REALTIME  0
#define CLOCK_MONOTONIC 1
#define SIGVTALRM       26
#define SIGPROF         27

struct timespec64 {
	int64_t sec, nsec;
};

static int64_t boot_realtime; /* ns since 1970 at arch_clock_ns() == 0 */

void time_init(void)
{
	boot_realtime = (int64_t)arch_rtc_seconds() * NS - arch_clock_ns();
}

/* CLOCK_REALTIME minus CLOCK_MONOTONIC, in ns. */
int64_t clock_realtime_base(void)
{
	return boot_realtime;
}

/* Clocks 0 REALTIME, 1 MONOTONIC, 4 MONOTONIC_RAW, 5 REALTIME_COARSE,
 * 6 MONOTONIC_COARSE, 7 BOOTTIME; 2 the process's CPU time, 3 the
 * thread's. */
static int clock_now(long clock, int64_t *ns)
{
	struct thread *t = current_thread();

	if (clock < 0 || clock > 7)
		return -EINVAL;
	*ns = arch_clock_ns();
	if (clock == 3)
		*ns = t->runtime + (*ns - t->ran_since);
	if (clock == 2) {
		mutex_lock(&proc_lock);
		*ns = proc_cpu_ns(t->proc);
		mutex_unlock(&proc_lock);
	} else if (clock == CLOCK_REALTIME || clock == 5)
		*ns += boot_realtime;
	return 0;
}

long sys_clock_gettime(long clock, long uts)
{
	int64_t ns;
	int r = clock_now(clock, &ns);
	struct timespec64 ts = {ns / NS, ns % NS};

	return r ? r : copy_to_user((void *)uts, &ts, sizeof(ts));
}

/* Sleep until the monotonic deadline; on a signal, -EINTR with the time
 * left in urem (when given). */
static long sleep(int64_t deadline, long urem)
{
	if (sleep_intr(deadline) == 0)
		return 0;
	int64_t left = MAX(deadline - (int64_t)arch_clock_ns(), 0);
	struct timespec64 rem = {left / NS, left % NS};
	if (urem && copy_to_user((void *)urem, &rem, sizeof(rem)))
		return -EFAULT;
	return -EINTR;
}

int timespec_from_user(long uts, int64_t *ns)
{
	struct timespec64 ts;

	if (copy_from_user(&ts, (void *)uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= NS)
		return -EINVAL;
	*ns =
	    ts.sec > INT64_MAX / NS - 1 ? INT64_MAX / 2 : ts.sec * NS + ts.nsec;
	return 0;
}

/* The fast subset's sleep; clock_nanosleep is the personality's, over
 * clock_gettime and a ppoll with the program's mask. */
long sys_nanosleep(long ureq, long urem)
{
	int64_t ns;
	int r = timespec_from_user(ureq, &ns);

	return r ? r : sleep(arch_clock_ns() + MIN(ns, INT64_MAX / 2), urem);
}

/* ITIMER_REAL: a per-process timer that sends SIGALRM, reloading itself
 * with its interval. Periods it fell behind are skipped, as Linux's
 * overruns: the next expiry is never in the past, else an interval
 * shorter than this function would keep timer_interrupt looping. */
static void alarm_fired(struct timer *t)
{
	struct proc *p = container_of(t, struct proc, alarm);
	struct ksiginfo info = {.code = 128}; /* SI_KERNEL */
	uint64_t next = t->deadline + p->alarm_interval, now = arch_clock_ns();

	signal_send(p, NULL, SIGALRM, &info);
	if (p->alarm_interval)
		timer_start(t, next > now ? next : now + p->alarm_interval,
			    alarm_fired);
}

/* Cancel p's alarm (exit, setitimer); returns the ns it had left. */
uint64_t alarm_cancel(struct proc *p)
{
	uint64_t now = arch_clock_ns(), left;

	timer_cancel(&p->alarm);
	left = p->alarm.queued || p->alarm.deadline > now
		   ? p->alarm.deadline - now
		   : 0;
	p->alarm.deadline = 0;
	return p->alarm.fn ? left : 0;
}

/* CPU-time timer which (0 ITIMER_VIRTUAL, 1 ITIMER_PROF) of p against its
 * clock: at expiry its signal to the process, and the next expiry a
 * period later but never in the past: one signal per tick at most. */
static void cputimer_check(struct proc *p, int which, uint64_t clock)
{
	uint64_t *it = p->cputimer[which], next;
	struct ksiginfo info = {.code = 128}; /* SI_KERNEL */
	bool fire;

	if (!it[0] || clock < it[0])
		return;
	spin_lock(&p->sig_lock);
	next = it[0] + it[1];
	if ((fire = it[0] && clock >= it[0]))
		it[0] = !it[1] ? 0 : next > clock ? next : clock + it[1];
	spin_unlock(&p->sig_lock);
	if (fire)
		signal_send(p, NULL, which ? SIGPROF : SIGVTALRM, &info);
}

/* See sched.h. A thread off its process's list is exiting: its process
 * may be gone, and exit counted the rest of its time. */
void cputime_tick(struct thread *t, uint64_t now, uintptr_t user_pc)
{
	struct proc *p = t->proc;
	uint64_t ran = t->runtime + (now - t->ran_since);
	uint64_t d = ran - t->cpu_sampled, user, all;

	if (!p || t->proc_link.next == &t->proc_link)
		return;
	d = user_pc && !persona_pc(user_pc) ? d : 0; /* the user part */
	t->cpu_user += d;
	user = __atomic_add_fetch(&p->cpu_user, d, __ATOMIC_RELAXED);
	all = __atomic_add_fetch(&p->cpu_sampled, ran - t->cpu_sampled,
				 __ATOMIC_RELAXED);
	t->cpu_sampled = ran;
	cputimer_check(p, 0, user);
	cputimer_check(p, 1, all);
}

/* LUX_NR_ALARM's CPU-time timers (which 1, 2) into old, set unless value
 * is -1; an expiry due but not yet seen reads as 1 us left. */
static void cputimer_set(struct proc *p, int which, uint64_t value,
			 uint64_t interval, uint64_t old[2])
{
	uint64_t *it = p->cputimer[which - 1];
	uint64_t clock = __atomic_load_n(
	    which == 1 ? &p->cpu_user : &p->cpu_sampled, __ATOMIC_RELAXED);

	spin_lock(&p->sig_lock);
	old[0] = it[1];
	old[1] = !it[0] ? 0 : it[0] > clock ? it[0] - clock : 1000;
	if (value != (uint64_t)-1) {
		it[0] = value ? clock + MIN(value, 1ULL << 62) : 0;
		it[1] = interval;
	}
	spin_unlock(&p->sig_lock);
}

/* LUX_NR_ALARM: see include/lux/proto.h. */
long sys_lux_alarm(long value, long interval, long uold, long which)
{
	struct proc *p = current_proc();
	uint64_t old[2];
	bool keep = value == -1;

	if ((unsigned long)which > 2)
		return -EINVAL;
	if (which) {
		cputimer_set(p, which, value, interval, old);
		return copy_to_user((void *)uold, old, sizeof(old));
	}
	old[0] = p->alarm_interval, old[1] = alarm_cancel(p);
	p->alarm_interval = keep ? old[0] : (uint64_t)interval;
	if ((value = keep ? (long)old[1] : value))
		timer_start(&p->alarm, arch_clock_ns() + (uint64_t)value,
			    alarm_fired);
	return copy_to_user((void *)uold, old, sizeof(old));
}
