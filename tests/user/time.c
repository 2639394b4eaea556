/*
 * time: clocks and sleeps. clock_gettime for CLOCK_MONOTONIC (never goes
 * back), CLOCK_REALTIME (a date after 2024) and CLOCK_BOOTTIME, through
 * the raw system call (what the kernel returns) and through musl (which
 * would use a vDSO where there is one), gettimeofday and time, clock_getres,
 * nanosleep and clock_nanosleep, relative and TIMER_ABSTIME, which never
 * return early, setitimer(ITIMER_REAL), and the errors for bad arguments;
 * the CPU's counter that Linux lets programs read (ut_cpu_counter).
 */
#include "utest.h"
#include "utest_arch.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NS    1000000000LL
#define Y2024 1704067200LL /* 2024-01-01 00:00:00 UTC */
#define Y2100 4102444800LL

static long long ns_of(const struct timespec *t)
{
	return t->tv_sec * NS + t->tv_nsec;
}

/* clock_gettime through the system call itself. */
static long long raw_now(clockid_t clock)
{
	struct timespec t;
	if (syscall(SYS_clock_gettime, clock, &t) != 0)
		return -1;
	if (t.tv_nsec < 0 || t.tv_nsec >= NS)
		return -2;
	return ns_of(&t);
}

static long long libc_now(clockid_t clock)
{
	struct timespec t;
	if (clock_gettime(clock, &t) != 0)
		return -1;
	return ns_of(&t);
}

static void monotonic(void)
{
	long long prev = raw_now(CLOCK_MONOTONIC);
	CHECK(prev >= 0);
	for (int i = 0; i < 5000; i++) {
		long long now = i % 2 ? raw_now(CLOCK_MONOTONIC)
				      : libc_now(CLOCK_MONOTONIC);
		if (now < prev) {
			ut_fail("call %d: %lld after %lld", i, now, prev);
			return;
		}
		prev = now;
	}
	long long start = raw_now(CLOCK_MONOTONIC);
	ut_sleep_ms(2);
	CHECK(raw_now(CLOCK_MONOTONIC) > start);
}

static void realtime(void)
{
	long long raw = raw_now(CLOCK_REALTIME) / NS;
	long long libc = libc_now(CLOCK_REALTIME) / NS;
	if (raw < Y2024 || raw > Y2100)
		ut_fail("CLOCK_REALTIME is %lld s, not a date from 2024 on",
			raw);
	CHECK(libc >= raw && libc - raw <= 5);
}

static void boottime(void)
{
	long long mono = raw_now(CLOCK_MONOTONIC);
	long long boot = raw_now(CLOCK_BOOTTIME);
	long long mono2 = raw_now(CLOCK_MONOTONIC);
	CHECK(mono >= 0 && boot >= 0);
	CHECK(boot >= mono); /* counts suspend too, so never less */
	CHECK(mono2 >= mono);
	long long boot2 = libc_now(CLOCK_BOOTTIME);
	CHECK(boot2 >= boot);
}

static void timeofday(void)
{
	long long before = raw_now(CLOCK_REALTIME) / 1000;
	struct timeval tv, raw_tv;
	CHECK_EQ(gettimeofday(&tv, NULL), 0);
	CHECK_EQ(syscall(SYS_gettimeofday, &raw_tv, NULL), 0);
#ifdef SYS_time /* the legacy call */
	long long t_raw = syscall(SYS_time, NULL);
#else
	long long t_raw = time(NULL);
#endif
	long long after = raw_now(CLOCK_REALTIME) / 1000;
	long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
	long long raw_us = raw_tv.tv_sec * 1000000LL + raw_tv.tv_usec;
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(before <= us && us <= raw_us && raw_us <= after);
	CHECK(t_raw >= before / 1000000 && t_raw <= after / 1000000);
	CHECK(time(NULL) >= t_raw);
	struct timezone tz = {-1, -1};
	CHECK_EQ(syscall(SYS_gettimeofday, NULL, &tz), 0);
	CHECK(tz.tz_minuteswest == 0 && tz.tz_dsttime == 0);
}

static void resolution(void)
{
	static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME,
					   CLOCK_BOOTTIME};
	for (int i = 0; i < UT_COUNT(clocks); i++) {
		struct timespec res = {-1, -1};
		CHECK_EQ(syscall(SYS_clock_getres, clocks[i], &res), 0);
		CHECK_EQ(res.tv_sec, 0);
		CHECK(res.tv_nsec >= 1 && res.tv_nsec <= 1000000);
	}
	struct timespec t;
	CHECK_ERR(syscall(SYS_clock_gettime, 99, &t), EINVAL);
	CHECK_ERR(syscall(SYS_clock_getres, 99, &t), EINVAL);
}

/* Sleep with fn and want at least ms milliseconds to have passed. */
static int slept_enough(int (*sleep)(long ms), long ms)
{
	long long start = ut_now_ns();
	int r = sleep(ms);
	long long took = ut_now_ns() - start;
	if (r != 0) {
		ut_fail("sleeping %ld ms returned %d (%s)", ms, r,
			ut_errno_name(r > 0 ? r : errno));
		return 0;
	}
	if (took < ms * 1000000LL) {
		ut_fail("asked for %ld ms, back after %lld ns", ms, took);
		return 0;
	}
	return 1;
}

static int by_nanosleep(long ms)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
	return nanosleep(&t, NULL);
}

static int by_clock_nanosleep(long ms)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
	return clock_nanosleep(CLOCK_MONOTONIC, 0, &t, NULL);
}

static int until_monotonic(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	long long end = ns_of(&t) + ms * 1000000LL;
	t.tv_sec = end / NS;
	t.tv_nsec = end % NS;
	int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
	if (r == 0 && libc_now(CLOCK_MONOTONIC) < end)
		return -1;
	return r;
}

static int until_realtime(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	long long end = ns_of(&t) + ms * 1000000LL;
	t.tv_sec = end / NS;
	t.tv_nsec = end % NS;
	int r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL);
	if (r == 0 && libc_now(CLOCK_REALTIME) < end)
		return -1;
	return r;
}

static void nanosleep_not_early(void)
{
	static const long ms[] = {1, 10, 25};
	for (int i = 0; i < UT_COUNT(ms); i++)
		if (!slept_enough(by_nanosleep, ms[i]))
			return;
	struct timespec zero = {0, 0};
	CHECK_EQ(nanosleep(&zero, NULL), 0);
}

static void clock_nanosleep_relative(void)
{
	static const long ms[] = {1, 20};
	for (int i = 0; i < UT_COUNT(ms); i++)
		if (!slept_enough(by_clock_nanosleep, ms[i]))
			return;
}

static void clock_nanosleep_absolute(void)
{
	if (!slept_enough(until_monotonic, 30))
		return;
	if (!slept_enough(until_realtime, 20))
		return;
	/* a time already past returns at once */
	struct timespec past = {1, 0};
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL),
		 0);
}

static void sleep_errors(void)
{
	struct timespec bad = {0, NS};
	CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
	bad.tv_nsec = -1;
	CHECK_ERR(nanosleep(&bad, NULL), EINVAL);
	struct timespec neg = {-1, 0};
	CHECK_ERR(syscall(SYS_nanosleep, &neg, NULL), EINVAL);
	struct timespec ok = {0, 1000};
	CHECK_EQ(clock_nanosleep(99, 0, &ok, NULL), EINVAL);
	CHECK_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ok, NULL),
		 EINVAL);
}

static volatile int alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void itimer_real(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	struct itimerval it = {{0, 0}, {0, 50000}}, left;
	long long start = ut_now_ns();
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	CHECK_EQ(getitimer(ITIMER_REAL, &left), 0);
	CHECK(left.it_value.tv_sec == 0 && left.it_value.tv_usec <= 50000);
	struct timespec wait = {2, 0};
	long r = nanosleep(&wait, NULL); /* SIGALRM interrupts it */
	long long took = ut_now_ns() - start;
	signal(SIGALRM, SIG_DFL);
	CHECK_ERR(r, EINTR);
	CHECK_EQ(alarms, 1);
	CHECK(took >= 50000000);
	CHECK_EQ(getitimer(ITIMER_REAL, &left), 0);
	CHECK(left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0);
	CHECK_ERR(syscall(SYS_getitimer, ITIMER_REAL, NULL), EFAULT);
	CHECK_ERR(syscall(SYS_getitimer, 5, &left), EINVAL);
}

#ifdef SYS_alarm
/* The raw alarm (musl's alarm() is setitimer) returns the seconds the old
 * alarm had left, rounded to the nearest, but at least 1 while one is
 * pending (Linux's rule). */
static void alarm_left(void)
{
	struct itimerval v = {{0, 0}, {1, 600000}};

	syscall(SYS_alarm, 0);
	CHECK_EQ(syscall(SYS_alarm, 100), 0);
	CHECK_EQ(syscall(SYS_alarm, 7), 100);
	CHECK_EQ(syscall(SYS_alarm, 0), 7);
	CHECK_EQ(syscall(SYS_alarm, 0), 0);
	CHECK_EQ(setitimer(ITIMER_REAL, &v, NULL), 0);
	CHECK_EQ(syscall(SYS_alarm, 0), 2);
	v.it_value = (struct timeval){1, 300000};
	CHECK_EQ(setitimer(ITIMER_REAL, &v, NULL), 0);
	CHECK_EQ(syscall(SYS_alarm, 0), 1);
	v.it_value = (struct timeval){0, 300000};
	CHECK_EQ(setitimer(ITIMER_REAL, &v, NULL), 0);
	CHECK_EQ(syscall(SYS_alarm, 0), 1);
}

/* time: CLOCK_REALTIME's seconds, also through its pointer; EFAULT. */
static void time_call(void)
{
	struct timespec a, b;
	long t, out = 0;

	CHECK_EQ(clock_gettime(CLOCK_REALTIME, &a), 0);
	t = syscall(SYS_time, &out);
	CHECK_EQ(clock_gettime(CLOCK_REALTIME, &b), 0);
	CHECK(t >= a.tv_sec && t <= b.tv_sec && out == t);
	CHECK(syscall(SYS_time, NULL) >= t);
	CHECK_ERR(syscall(SYS_time, (long *)8), EFAULT);
}
#endif

/* The CPU's counter a program reads without a system call (Linux allows
 * it: the TSC, arm64's CNTVCT_EL0) works, and advances across a sleep. */
static void cpu_counter(void)
{
	uint64_t before = ut_cpu_counter();
	struct timespec ms10 = {0, 10000000};

	CHECK_EQ(nanosleep(&ms10, NULL), 0);
	CHECK(ut_cpu_counter() > before);
}

static const struct ut_case cases[] = {
#ifdef SYS_alarm /* x86_64 only, as SYS_time */
    UT_CASE(alarm_left),
    UT_CASE(time_call),
#endif
    UT_CASE(monotonic),
    UT_CASE(realtime),
    UT_CASE(boottime),
    UT_CASE(timeofday),
    UT_CASE(resolution),
    UT_CASE(nanosleep_not_early),
    UT_CASE(clock_nanosleep_relative),
    UT_CASE(clock_nanosleep_absolute),
    UT_CASE(sleep_errors),
    UT_CASE(itimer_real),
    UT_CASE(cpu_counter),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "time", cases, UT_COUNT(cases));
}
