/*
 * event.c - epoll, timerfd and signalfd over the kernel's poll sets and
 * counters (LUX_NR_EPOLL, LUX_NR_EVENT; docs/decisions/0031). Here:
 * Linux's structures (struct epoll_event, struct itimerspec), its clocks
 * and the checks that need no kernel state; the kernel keeps the sets,
 * the timers and the waits.
 */
#include "persona.h"
#include <lux/abi.h>

#include <lux/fcntl.h>

#define NS                      1000000000LL
#define CLOCK_REALTIME          0
#define CLOCK_MONOTONIC         1
#define CLOCK_BOOTTIME          7
#define CLOCK_REALTIME_ALARM    8
#define CLOCK_BOOTTIME_ALARM    9
#define TFD_TIMER_ABSTIME       1
#define TFD_TIMER_CANCEL_ON_SET 2
#define EP_MAX_EVENTS           (0x7fffffff / 16)

/* Linux's struct epoll_event: packed on some platforms (lux/abi.h). */
struct epoll_event {
	uint32_t events;
	uint64_t data;
} LUX_EPOLL_PACKED;

long event_epoll_create1(long flags)
{
	return native2(LUX_NR_EPOLL, LUX_EPOLL_CREATE, flags);
}

/* epoll_create: a size of at least 1, otherwise ignored. */
long event_epoll_create(long size)
{
	return (int)size <= 0 ? -EINVAL : event_epoll_create1(0);
}

/* epoll_ctl: the event is read first for ADD and MOD (EFAULT), then the
 * kernel checks the rest in Linux's order. */
long event_epoll_ctl(long epfd, long op, long fd, long uev)
{
	struct epoll_event ev = {0, 0};

	if ((op == 1 || op == 3) && copy_in(&ev, uev, sizeof(ev)))
		return -EFAULT;
	return persona_syscall(LUX_NR_EPOLL, op, epfd, fd, ev.events, ev.data,
			       0);
}

/* The wait of the epoll_wait calls: maxevents (EINVAL), the kernel's
 * events in batches through the personality's stack into the program's
 * array (EFAULT), ns the timeout (-1: none), mask the wait's. */
static long epoll_wait_ns(long epfd, long uev, long max, int64_t ns,
			  const uint64_t *mask)
{
	struct lux_epoll_event k[64];
	long n;

	if ((int)max <= 0 || (int)max > EP_MAX_EVENTS)
		return -EINVAL;
	n = persona_syscall(LUX_NR_EPOLL, LUX_EPOLL_WAIT, epfd,
			    (int)max > 64 ? 64 : max, (long)k, ns, (long)mask);
	for (long i = 0; i < n; i++) {
		struct epoll_event e = {k[i].events, k[i].data};
		if (copy_out(uev + i * sizeof(e), &e, sizeof(e)))
			return -EFAULT;
	}
	return n;
}

/* A signal mask argument of epoll_pwait and epoll_pwait2 (size 8, else
 * EINVAL; EFAULT): the wait's mask, the program's if NULL. */
static int wait_mask(long umask, long size, uint64_t *mask)
{
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	return copy_in(mask, umask, 8);
}

long event_epoll_pwait(const long a[6], uint64_t mask)
{
	int r = wait_mask(a[4], a[5], &mask);

	if (r)
		return r;
	return epoll_wait_ns(a[0], a[1], a[2],
			     (int)a[3] < 0 ? -1 : (int)a[3] * 1000000LL, &mask);
}

/* epoll_pwait2: the timeout a timespec (NULL: none; EFAULT, EINVAL). */
long event_epoll_pwait2(const long a[6], uint64_t mask)
{
	int64_t ts[2] = {0, 0};
	int r = wait_mask(a[4], a[5], &mask);

	if (r)
		return r;
	if (a[3] && copy_in(ts, a[3], sizeof(ts)))
		return -EFAULT;
	if (a[3] && (ts[0] < 0 || ts[1] < 0 || ts[1] >= NS))
		return -EINVAL;
	return epoll_wait_ns(a[0], a[1], a[2],
			     !a[3]        ? -1
			     : ts[0] > NS ? NS * NS
					  : ts[0] * NS + ts[1],
			     &mask);
}

/* timerfd_create: the clocks Linux has for it (EINVAL), the flags
 * TFD_NONBLOCK and TFD_CLOEXEC (EINVAL). The alarm clocks act as theirs
 * without the alarm. */
long event_timerfd_create(long clock, long flags)
{
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
	    clock != CLOCK_BOOTTIME && clock != CLOCK_REALTIME_ALARM &&
	    clock != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if (flags & ~(long)(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	return native3(LUX_NR_EVENT, LUX_EVENT_TIMERFD, flags, clock);
}

static int64_t clock_now(long clock)
{
	int64_t ts[2];

	native2(NR_clock_gettime, clock, ts);
	return ts[0] * NS + ts[1];
}

/* An itimerspec's {interval, value} at u as ns (EFAULT, EINVAL). */
static int itimer_in(long u, int64_t ns[2])
{
	int64_t v[4];

	if (copy_in(v, u, sizeof(v)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (v[2 * i] < 0 || v[2 * i + 1] < 0 || v[2 * i + 1] >= NS)
			return -EINVAL;
		ns[i] = v[2 * i] > NS ? NS * NS : v[2 * i] * NS + v[2 * i + 1];
	}
	return 0;
}

/* The kernel's {time left, interval} as an itimerspec at u (if not 0). */
static long itimer_out(long u, const uint64_t old[2])
{
	int64_t v[4] = {old[1] / NS, old[1] % NS, old[0] / NS, old[0] % NS};

	return u && copy_out(u, v, sizeof(v)) ? -EFAULT : 0;
}

/* timerfd_settime: flags (EINVAL), the new value (EFAULT, EINVAL), then
 * the timer's clock from the kernel (EBADF, EINVAL) to place an absolute
 * time on the monotonic clock the kernel counts. */
long event_timerfd_settime(long fd, long flags, long unew, long uold)
{
	uint64_t old[2];
	int64_t v[2], deadline;
	long clock, r;

	if (flags & ~(long)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if ((r = itimer_in(unew, v)))
		return r;
	clock = persona_syscall(LUX_NR_EVENT, LUX_EVENT_TIMERSET, fd, -1, 0,
				(long)old, 0);
	if (clock < 0)
		return clock;
	deadline = clock_now(CLOCK_MONOTONIC);
	if (flags & TFD_TIMER_ABSTIME)
		deadline += v[1] - clock_now(clock % 8 ? CLOCK_MONOTONIC
						       : CLOCK_REALTIME);
	else
		deadline += v[1];
	if (!v[1])
		deadline = 0; /* disarmed */
	else if (deadline <= 0)
		deadline = 1; /* long past: expired */
	r = persona_syscall(LUX_NR_EVENT, LUX_EVENT_TIMERSET, fd, deadline,
			    v[0], (long)old, 0);
	return r < 0 ? r : itimer_out(uold, old);
}

long event_timerfd_gettime(long fd, long ucur)
{
	uint64_t old[2];
	long r = persona_syscall(LUX_NR_EVENT, LUX_EVENT_TIMERSET, fd, -1, 0,
				 (long)old, 0);

	if (r >= 0 && !ucur)
		return -EFAULT;
	return r < 0 ? r : itimer_out(ucur, old);
}

/* signalfd4: flags SFD_NONBLOCK and SFD_CLOEXEC (EINVAL), a mask of 8
 * bytes (EINVAL; EFAULT); fd -1 makes a descriptor, else changes the mask
 * of signal descriptor fd. */
long event_signalfd4(long fd, long umask, long size, long flags)
{
	uint64_t mask;

	if (flags & ~(long)(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (size != 8)
		return -EINVAL;
	if (copy_in(&mask, umask, 8))
		return -EFAULT;
	return native4(LUX_NR_EVENT, LUX_EVENT_SIGNALFD, (int)fd, mask, flags);
}
