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

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
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

/* CPU time of a clock (CLOCK_PROCESS_CPUTIME_ID...), in ns. */
static long long cpu_now(clockid_t clock)
{
	return raw_now(clock);
}

static long long tv_ns(const struct timeval *t)
{
	return t->tv_sec * NS + t->tv_usec * 1000LL;
}

/* Spin in user mode until the process has run ms more milliseconds. */
static void burn_user(long ms)
{
	long long end = cpu_now(CLOCK_PROCESS_CPUTIME_ID) + ms * 1000000LL;
	while (cpu_now(CLOCK_PROCESS_CPUTIME_ID) < end)
		for (volatile int i = 0; i < 100000; i++)
			;
}

/* Make system calls until the thread has run ms more milliseconds: 1 MiB
 * through a pipe and back per call, so that a call spends long in the
 * kernel. Cheap calls would not do: under QEMU's arm64 emulation a tick that
 * comes during a short call is taken after it returns, in user mode. */
static void burn_sys(long ms)
{
	enum { SIZE = 1 << 20 };
	long long end = cpu_now(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000LL;
	char *buf = malloc(SIZE);
	int fd[2];

	if (!EXPECT(buf) || !EXPECT_EQ(pipe(fd), 0))
		return;
	if (EXPECT_EQ(fcntl(fd[1], F_SETPIPE_SZ, SIZE), SIZE))
		while (cpu_now(CLOCK_THREAD_CPUTIME_ID) < end)
			if (!EXPECT_EQ(write(fd[1], buf, SIZE), SIZE) ||
			    !EXPECT_EQ(read(fd[0], buf, SIZE), SIZE))
				break;
	close(fd[0]);
	close(fd[1]);
	free(buf);
}

/* The user and system times of who (getrusage) in ns. */
static void usage_ns(int who, long long *u, long long *s)
{
	struct rusage ru;
	*u = *s = -1;
	if (getrusage(who, &ru) == 0)
		*u = tv_ns(&ru.ru_utime), *s = tv_ns(&ru.ru_stime);
}

/* Fields 14 to 17 of /proc/self/stat (utime, stime, cutime, cstime),
 * in ticks. */
static int stat_ticks(long t[4])
{
	char buf[512], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	if (!(p = strrchr(buf, ')')))
		return -1;
	return sscanf(p + 2,
		      "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld %ld "
		      "%ld",
		      &t[0], &t[1], &t[2], &t[3]) == 4
		   ? 0
		   : -1;
}

#define TICK_NS (NS / 100)

/* Whether v, read between CPU-time clock readings a and b, lies between
 * them, give or take slack ns; else fail saying so. */
static int between(const char *what, long long v, long long a, long long b,
		   long long slack)
{
	if (v >= a - slack && v <= b + slack)
		return 1;
	ut_fail("%s: %lld ns, the clock read %lld then %lld", what, v, a, b);
	return 0;
}

/* User and system time: a user loop is user time, a loop of system calls
 * system time; getrusage, times, /proc/self/stat and the CPU-time clocks
 * agree (utime + stime == the clock, give or take a tick). */
static void cpu_user_sys(void)
{
	long long u0, s0, u, s, clk, clk2, thr;
	struct tms tms;
	long t[4], hz = sysconf(_SC_CLK_TCK);

	CHECK_EQ(hz, 100);
	usage_ns(RUSAGE_SELF, &u0, &s0);
	burn_user(300);
	usage_ns(RUSAGE_SELF, &u, &s);
	CHECK(u - u0 > 150000000);
	CHECK(u - u0 > 2 * (s - s0));
	burn_sys(300);
	clk = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	usage_ns(RUSAGE_SELF, &u0, &s0);
	CHECK(times(&tms) != (clock_t)-1);
	CHECK_EQ(stat_ticks(t), 0);
	clk2 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(s0 - s > 50000000);
	CHECK(between("getrusage", u0 + s0, clk, clk2, TICK_NS / 10));
	CHECK(between("times", (tms.tms_utime + tms.tms_stime) * TICK_NS, clk,
		      clk2, 2 * TICK_NS));
	CHECK(tms.tms_stime > 5 && tms.tms_utime > 15);
	CHECK(between("stat", (t[0] + t[1]) * TICK_NS, clk, clk2, 2 * TICK_NS));
	CHECK(t[1] > 5 && t[0] > 15);
	thr = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	usage_ns(RUSAGE_THREAD, &u, &s);
	clk = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	CHECK(between("RUSAGE_THREAD", u + s, thr, clk, TICK_NS / 10));
}

static void *burner(void *arg)
{
	burn_user((long)arg);
	return NULL;
}

/* CLOCK_PROCESS_CPUTIME_ID counts every thread, CLOCK_THREAD_CPUTIME_ID
 * the caller; reaped children count in RUSAGE_CHILDREN. */
static void cpu_clocks(void)
{
	pthread_t th;
	long long p0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID), t0, p1, t1, u, s;
	t0 = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	CHECK_EQ(pthread_create(&th, NULL, burner, (void *)200L), 0);
	pthread_join(th, NULL);
	p1 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
	t1 = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	CHECK(p1 - p0 > 150000000);
	CHECK(p1 - p0 > t1 - t0 + 150000000);
	usage_ns(RUSAGE_CHILDREN, &u, &s);
	pid_t pid = fork();
	if (pid == 0) {
		burn_user(200);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK_EQ(ut_wait(pid), 0);
	long long cu, cs;
	usage_ns(RUSAGE_CHILDREN, &cu, &cs);
	CHECK(cu + cs - u - s > 150000000);
	CHECK(cu - u > cs - s);
}

/* A child that spins in user mode for 200 ms of CPU, then makes system
 * calls for 300 ms (as cpu_user_sys: the split is sampled at the tick),
 * and exits; reaped by wait4 (waitid if by_waitid), its
 * times in ns at u and s. 0, or -1 (a failure reported). */
static int reaped_child(int by_waitid, long long *u, long long *s)
{
	struct rusage ru;
	siginfo_t info;
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		burn_user(200);
		burn_sys(300);
		_exit(7);
	}
	if (!EXPECT(pid > 0))
		return -1;
	memset(&ru, 0xff, sizeof(ru));
	if (by_waitid) { /* the raw call: libc's waitid has no rusage */
		if (EXPECT(syscall(SYS_waitid, P_PID, pid, &info, WEXITED,
				   &ru) == 0) &&
		    info.si_code == CLD_EXITED)
			status = info.si_status << 8;
	} else {
		EXPECT_EQ(wait4(pid, &status, 0, &ru), pid);
	}
	if (!EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 7))
		return -1;
	*u = tv_ns(&ru.ru_utime), *s = tv_ns(&ru.ru_stime);
	return 0;
}

/* wait4's and waitid's rusage give the reaped child's user and system
 * time, as do getrusage(RUSAGE_CHILDREN) and /proc/self/stat's cutime
 * and cstime, and they agree, give or take a tick or two. */
static void cpu_child_rusage(void)
{
	long long u0, s0, u1, s1, cu, cs;
	long t0[4], t1[4];

	for (int by_waitid = 0; by_waitid < 2; by_waitid++) {
		usage_ns(RUSAGE_CHILDREN, &u0, &s0);
		CHECK_EQ(stat_ticks(t0), 0);
		CHECK_EQ(reaped_child(by_waitid, &cu, &cs), 0);
		usage_ns(RUSAGE_CHILDREN, &u1, &s1);
		CHECK_EQ(stat_ticks(t1), 0);
		if (cu < 100000000 || cs < 50000000) {
			ut_fail("rusage: user %lld ns, system %lld ns", cu, cs);
			return;
		}
		CHECK(between("RUSAGE_CHILDREN", u1 + s1 - u0 - s0, cu + cs,
			      cu + cs, 2 * TICK_NS));
		CHECK(between("cutime", (t1[2] - t0[2]) * TICK_NS, cu, cu,
			      2 * TICK_NS));
		CHECK(between("cstime", (t1[3] - t0[3]) * TICK_NS, cs, cs,
			      2 * TICK_NS));
	}
}

static volatile int prof_sigs, vt_sigs;

static void on_cpu_timer(int sig)
{
	if (sig == SIGPROF)
		prof_sigs++;
	else
		vt_sigs++;
}

/* Arm timer which every 10 ms and spin for ms of CPU time: the signals
 * it got (all from that timer). */
static int cpu_timer_count(int which, long ms)
{
	struct sigaction sa;
	struct itimerval it = {{0, 10000}, {0, 10000}}, off = {0};
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cpu_timer;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGPROF, &sa, NULL);
	sigaction(SIGVTALRM, &sa, NULL);
	prof_sigs = vt_sigs = 0;
	if (setitimer(which, &it, NULL))
		return -1;
	burn_user(ms);
	setitimer(which, &off, NULL);
	signal(SIGPROF, SIG_DFL);
	signal(SIGVTALRM, SIG_DFL);
	return which == ITIMER_PROF ? prof_sigs + 1000 * vt_sigs
				    : vt_sigs + 1000 * prof_sigs;
}

/* ITIMER_PROF and ITIMER_VIRTUAL at 10 ms: SIGPROF and SIGVTALRM at about
 * that rate of CPU time (generous bounds), only the timer's own signal. */
static void itimer_cpu_rate(void)
{
	int n = cpu_timer_count(ITIMER_PROF, 1000);
	CHECK(n >= 3 && n <= 200);
	n = cpu_timer_count(ITIMER_VIRTUAL, 1000);
	CHECK(n >= 3 && n <= 200);
}

/* getitimer's remaining time and interval; which out of range EINVAL;
 * a 1 us interval neither floods nor stalls the process. */
static void itimer_cpu_values(void)
{
	struct itimerval it = {{1, 500000}, {5, 0}}, left, off = {0};
	for (int which = ITIMER_VIRTUAL; which <= ITIMER_PROF; which++) {
		CHECK_EQ(setitimer(which, &it, NULL), 0);
		burn_user(50);
		CHECK_EQ(getitimer(which, &left), 0);
		CHECK(left.it_interval.tv_sec == 1 &&
		      left.it_interval.tv_usec == 500000);
		CHECK(tv_ns(&left.it_value) > 3 * NS &&
		      tv_ns(&left.it_value) < 5 * NS);
		CHECK_EQ(setitimer(which, &off, &left), 0);
		CHECK(tv_ns(&left.it_value) > 3 * NS);
		CHECK_EQ(getitimer(which, &left), 0);
		CHECK(left.it_value.tv_sec == 0 && left.it_value.tv_usec == 0);
	}
	CHECK_ERR(setitimer(3, &it, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_getitimer, 3, &left), EINVAL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cpu_timer;
	sigaction(SIGPROF, &sa, NULL);
	prof_sigs = 0;
	struct itimerval tiny = {{0, 1}, {0, 1}};
	CHECK_EQ(setitimer(ITIMER_PROF, &tiny, NULL), 0);
	burn_user(300);
	CHECK_EQ(setitimer(ITIMER_PROF, &off, NULL), 0);
	signal(SIGPROF, SIG_DFL);
	CHECK(prof_sigs >= 3);
}

static volatile pid_t main_tid;
static volatile int main_sigs;

/* burner with SIGPROF unblocked (it inherits its creator's mask). */
static void *unblocked_burner(void *arg)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPROF);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return burner(arg);
}

static void on_prof_tid(int sig)
{
	(void)sig;
	if (syscall(SYS_gettid) == main_tid)
		main_sigs++;
	else
		prof_sigs++;
}

/* The timers' signals are the process's: a thread that does not block
 * them gets them while the main thread blocks them. (One sent as the
 * thread exits stays pending for the main thread: counted before it
 * unblocks.) */
static void itimer_cpu_thread(void)
{
	struct itimerval it = {{0, 10000}, {0, 10000}}, off = {0};
	sigset_t set;
	pthread_t th;
	struct sigaction sa;
	int got, main_got;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prof_tid;
	sigaction(SIGPROF, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGPROF);
	main_tid = syscall(SYS_gettid);
	prof_sigs = main_sigs = 0;
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	CHECK_EQ(setitimer(ITIMER_PROF, &it, NULL), 0);
	CHECK_EQ(pthread_create(&th, NULL, unblocked_burner, (void *)500L), 0);
	pthread_join(th, NULL);
	setitimer(ITIMER_PROF, &off, NULL);
	got = prof_sigs, main_got = main_sigs;
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGPROF, SIG_DFL);
	if (got < 3 || main_got)
		ut_fail("SIGPROF: %d to the thread, %d to the main thread "
			"blocking it",
			got, main_got);
}

/* After exec (the itimer-kept run of this program): ITIMER_VIRTUAL is
 * still set as before it. */
static int itimer_kept(void)
{
	struct itimerval left;
	if (getitimer(ITIMER_VIRTUAL, &left))
		return 2;
	return left.it_interval.tv_sec == 100 && left.it_value.tv_sec > 90 ? 0
									   : 3;
}

static void exec_kept(void)
{
	struct itimerval it = {{100, 0}, {100, 0}};
	CHECK_EQ(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
	execl(ut_self, ut_self, "itimer-kept", (char *)NULL);
	_exit(4);
}

/* Fork clears the CPU timers in the child; exec keeps them. */
static void itimer_cpu_fork_exec(void)
{
	struct itimerval it = {{100, 0}, {100, 0}}, left, off = {0};
	pid_t pid;
	CHECK_EQ(setitimer(ITIMER_PROF, &it, NULL), 0);
	if ((pid = fork()) == 0) {
		_exit(getitimer(ITIMER_PROF, &left) || left.it_value.tv_sec ||
		      left.it_value.tv_usec || left.it_interval.tv_sec);
	}
	CHECK(pid > 0);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(getitimer(ITIMER_PROF, &left), 0);
	CHECK(left.it_value.tv_sec > 90);
	CHECK_EQ(setitimer(ITIMER_PROF, &off, NULL), 0);
	if ((pid = fork()) == 0)
		exec_kept();
	CHECK(pid > 0);
	CHECK_EQ(ut_wait(pid), 0);
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
    UT_CASE(cpu_user_sys),
    UT_CASE(cpu_clocks),
    UT_CASE(cpu_child_rusage),
    UT_CASE(itimer_cpu_rate),
    UT_CASE(itimer_cpu_values),
    UT_CASE(itimer_cpu_thread),
    UT_CASE(itimer_cpu_fork_exec),
};

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "itimer-kept"))
		return itimer_kept();
	return ut_main(argc, argv, "time", cases, UT_COUNT(cases));
}
