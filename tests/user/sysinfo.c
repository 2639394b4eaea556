/*
 * sysinfo: what the system says about itself: sysinfo(2), times(2),
 * getrusage(2), wait4's rusage, reboot(2)'s checks, and lux's native
 * PROCINFO, CPUINFO, BOOTDATA, SYSSTAT and NAME calls. The procinfo_*,
 * cpuinfo, bootdata_denied and native_stat_name cases are lux-specific:
 * they fail on Linux (ENOSYS) by design.
 */
#include "utest.h"

#include <lux/proto.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int saved_argc;
static char **saved_argv;

/* Spin until this thread has run at least ms milliseconds of CPU time. */
static void spin_cpu_ms(long ms)
{
	struct timespec ts;
	long long start = -1, now;

	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
		if (start < 0)
			start = now;
	} while (now - start < ms * 1000000LL);
}

static void sysinfo_totals(void)
{
	struct sysinfo si;
	struct timespec ts;

	memset(&si, 0xff, sizeof(si));
	CHECK_EQ(sysinfo(&si), 0);
	CHECK_EQ(clock_gettime(CLOCK_BOOTTIME, &ts), 0);
	CHECK(si.mem_unit >= 1);
	CHECK(si.totalram > 0);
	CHECK(si.freeram > 0);
	CHECK(si.freeram <= si.totalram);
	CHECK(si.procs >= 1);
	/* whole seconds since boot, as the boot-time clock says */
	CHECK((long)si.uptime >= ts.tv_sec - 1 &&
	      (long)si.uptime <= ts.tv_sec + 1);
	CHECK_ERR(syscall(SYS_sysinfo, (void *)8), EFAULT);
}

static unsigned long long free_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si))
		return 0;
	return (unsigned long long)si.freeram * si.mem_unit;
}

/* Touching 16 MiB takes about 16 MiB of free memory. On a Linux host
 * the first tries are often served from per-CPU page caches that do not
 * count as free (and other activity blurs any one try): up to 8 tries,
 * each keeping its memory. */
static void sysinfo_freeram_drops(void)
{
	const size_t len = 16 << 20;
	char *p[8] = {0};
	long long drop = 0;
	int try;

	for (try = 0; try < 8 && drop < (12 << 20); try++) {
		p[try] = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p[try] == MAP_FAILED)
			break;
		unsigned long long before = free_bytes();
		for (size_t i = 0; i < len; i += UT_PAGE)
			p[try][i] = 1;
		drop = (long long)(before - free_bytes());
	}
	for (int i = 0; i < try; i++)
		if (p[i] != MAP_FAILED)
			munmap(p[i], len);
	if (drop < (12 << 20))
		ut_fail("free memory dropped by %lld bytes after touching %zu",
			drop, len);
}

static void times_counts_cpu(void)
{
	struct tms t0, t1;
	struct rusage ru;
	long hz = sysconf(_SC_CLK_TCK);

	CHECK_EQ(hz, 100);
	clock_t c0 = times(&t0);
	spin_cpu_ms(300);
	clock_t c1 = times(&t1);
	CHECK(c1 >= c0);
	long ticks =
	    (t1.tms_utime + t1.tms_stime) - (t0.tms_utime + t0.tms_stime);
	if (ticks < 25)
		return ut_fail("times: %ld ticks after 300 ms of CPU", ticks);
	CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0);
	CHECK(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
		  ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec >=
	      250000);
	CHECK_ERR(getrusage(5, &ru), EINVAL);
}

static void spin_child(void)
{
	spin_cpu_ms(300);
}

static void times_children(void)
{
	struct tms t;
	struct rusage ru;

	CHECK(ut_in_child(spin_child));
	times(&t);
	if (t.tms_cutime + t.tms_cstime < 25)
		return ut_fail("children: %ld ticks after a child's 300 ms",
			       (long)(t.tms_cutime + t.tms_cstime));
	CHECK_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
	CHECK(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
		  ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec >=
	      250000);
}

/* wait4 reports the reaped child's run time (busybox `time` reads it). */
static void wait4_rusage(void)
{
	struct rusage ru;
	int status;

	pid_t pid = fork();
	if (pid == 0) {
		spin_cpu_ms(300);
		_exit(0);
	}
	CHECK(pid > 0);
	memset(&ru, 0xff, sizeof(ru));
	CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
	CHECK_EQ(status, 0);
	CHECK(ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
		  ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec >=
	      250000);
	CHECK(ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000);
}

static void reboot_as_user(void)
{
	if (getuid() == 0 && setuid(1000))
		return ut_fail("setuid(1000) failed");
	CHECK_ERR(syscall(SYS_reboot, 0xfee1dead, 672274793, RB_POWER_OFF, 0),
		  EPERM);
}

static void reboot_checks(void)
{
	CHECK(ut_in_child(reboot_as_user));
	if (getuid() != 0)
		return; /* on a Linux host as a user: EPERM comes first */
	CHECK_ERR(syscall(SYS_reboot, 0xfee1deae, 672274793, RB_POWER_OFF, 0),
		  EINVAL);
	CHECK_ERR(syscall(SYS_reboot, 0xfee1dead, 1, RB_POWER_OFF, 0), EINVAL);
	CHECK_ERR(syscall(SYS_reboot, 0xfee1dead, 672274793, 0x12345, 0),
		  EINVAL);
}

static int procinfo(int pid, struct lux_procinfo *info)
{
	return syscall(LUX_NR_PROCINFO, pid, info, 0, 0);
}

static void procinfo_self(void)
{
	struct lux_procinfo info;
	char want[256];
	size_t len = 0;

	spin_cpu_ms(20);
	memset(&info, 0xff, sizeof(info));
	CHECK_EQ(procinfo(getpid(), &info), 0);
	CHECK_EQ(info.pid, getpid());
	CHECK_EQ(info.ppid, getppid());
	CHECK_EQ(info.pgid, getpgrp());
	CHECK_EQ(info.uid, getuid());
	CHECK_EQ(info.nthreads, 1);
	CHECK_EQ(info.state, 'R');
	CHECK(strcmp(info.name, "sysinfo") == 0);
	CHECK(info.start_ns <= (uint64_t)ut_now_ns());
	CHECK(info.cpu_ns >= 20000000);
	CHECK(info.vsize >= 100 * 1024);
	CHECK(info.rss >= 4 && info.rss * UT_PAGE <= info.vsize);
	for (int i = 0; i < saved_argc && len < sizeof(want); i++) {
		size_t n = strlen(saved_argv[i]) + 1;
		n = n < sizeof(want) - len ? n : sizeof(want) - len;
		memcpy(want + len, saved_argv[i], n);
		len += n;
	}
	CHECK_EQ(info.cmdline_len, len);
	CHECK(memcmp(info.cmdline, want, len) == 0);
	CHECK_ERR(procinfo(getpid(), (void *)8), EFAULT);
}

/* Poll pid's state until it is `want` (at most 5 s). */
static char wait_state(int pid, char want)
{
	struct lux_procinfo info = {0};

	for (int i = 0; i < 500; i++) {
		if (procinfo(pid, &info) || info.pid != pid)
			return '?';
		if (info.state == want)
			break;
		ut_sleep_ms(10);
	}
	return info.state;
}

static void procinfo_child(void)
{
	struct lux_procinfo info;
	int p[2];
	char c;

	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	close(p[0]);
	CHECK_EQ(wait_state(pid, 'S'), 'S');
	CHECK_EQ(procinfo(pid, &info), 0);
	CHECK_EQ(info.ppid, getpid());
	CHECK(strcmp(info.name, "sysinfo") == 0); /* fork keeps the name */
	close(p[1]);
	CHECK_EQ(wait_state(pid, 'Z'), 'Z');
	CHECK_EQ(ut_wait(pid), 0);
	/* reaped: the next process, if any, has a higher pid */
	int r = procinfo(pid, &info);
	CHECK(r == 0 ? info.pid > pid : errno == ESRCH);
}

static void procinfo_walk(void)
{
	struct lux_procinfo info;
	int n = 0, self = 0, last = 0;

	CHECK_EQ(procinfo(0, &info), 0);
	CHECK_EQ(info.pid, 1);
	for (int pid = 0; procinfo(pid, &info) == 0; pid = info.pid + 1) {
		CHECK(info.pid > last);
		last = info.pid;
		self += info.pid == getpid();
		n++;
	}
	CHECK_EQ(errno, ESRCH);
	CHECK_EQ(self, 1);
	CHECK(n >= 2);
	CHECK_ERR(procinfo(0x7fffffff, &info), ESRCH);
}

/* Resident pages follow what the process touches. */
static void procinfo_rss(void)
{
	struct lux_procinfo a, b;
	const size_t len = 8 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK_EQ(procinfo(getpid(), &a), 0);
	for (size_t i = 0; i < len; i += UT_PAGE)
		p[i] = 1;
	CHECK_EQ(procinfo(getpid(), &b), 0);
	munmap(p, len);
	CHECK(b.rss >= a.rss + len / UT_PAGE);
	CHECK(b.vsize == a.vsize);
}

static void cpuinfo(void)
{
	char buf[256];
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	for (long cpu = 0; cpu < n; cpu++) {
		memset(buf, 0, sizeof(buf));
		long len = syscall(LUX_NR_CPUINFO, cpu, buf, sizeof(buf) - 1);
		CHECK(len > 0 && len < (long)sizeof(buf));
		CHECK_EQ(strlen(buf), len);
		CHECK(strchr(buf, '\n') == NULL);
	}
	CHECK_ERR(syscall(LUX_NR_CPUINFO, n, buf, sizeof(buf)), ESRCH);
	CHECK_ERR(syscall(LUX_NR_CPUINFO, -1, buf, sizeof(buf)), ESRCH);
}

/* Only PID 1 and a process it granted LUX_GRANT_BOOTDATA read the boot
 * image; test programs are neither. */
static void bootdata_denied(void)
{
	char buf[16];

	CHECK(getpid() != 1);
	CHECK_ERR(syscall(LUX_NR_BOOTDATA, 0, buf, sizeof(buf)), EPERM);
}

static void *spin_thread(void *arg)
{
	spin_cpu_ms((long)arg);
	return NULL;
}

static long rusage_us(const struct rusage *ru)
{
	return ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec +
	       ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
}

/* RUSAGE_THREAD counts the calling thread alone: another thread's 300 ms
 * show in RUSAGE_SELF, not in it. */
static void rusage_thread(void)
{
	struct rusage self, me;
	pthread_t t;

	CHECK_EQ(pthread_create(&t, NULL, spin_thread, (void *)300L), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	spin_cpu_ms(50);
	CHECK_EQ(getrusage(1 /* RUSAGE_THREAD */, &me), 0);
	CHECK_EQ(getrusage(RUSAGE_SELF, &self), 0);
	CHECK(rusage_us(&me) >= 40000);
	CHECK(rusage_us(&self) - rusage_us(&me) >= 250000);
}

/* The natives behind sysinfo, times, getrusage and prctl's names, called
 * directly: the caller's own figures and name only, EFAULT for a bad
 * pointer. */
static void native_stat_name(void)
{
	struct lux_sysstat st;
	struct timespec now;
	char name[16];

	CHECK_EQ(syscall(LUX_NR_SYSSTAT, &st), 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	CHECK(st.procs >= 1 && st.mem_free <= st.mem_total);
	CHECK(st.clock_ns <= now.tv_sec * 1000000000ULL + now.tv_nsec);
	CHECK(st.cpu_thread_ns <= st.cpu_ns && st.cpu_thread_ns > 0);
	CHECK_ERR(syscall(LUX_NR_SYSSTAT, (void *)8), EFAULT);
	CHECK_EQ(syscall(LUX_NR_NAME, name, 0), 0);
	CHECK(memchr(name, 0, sizeof(name)) != NULL);
	CHECK_ERR(syscall(LUX_NR_NAME, (void *)8, 0), EFAULT);
	CHECK_ERR(syscall(LUX_NR_NAME, (void *)8, 1), EFAULT);
}

static const struct ut_case cases[] = {
    UT_CASE(rusage_thread),    UT_CASE(native_stat_name),
    UT_CASE(sysinfo_totals),   UT_CASE(sysinfo_freeram_drops),
    UT_CASE(times_counts_cpu), UT_CASE(times_children),
    UT_CASE(wait4_rusage),     UT_CASE(reboot_checks),
    UT_CASE(procinfo_self),    UT_CASE(procinfo_child),
    UT_CASE(procinfo_walk),    UT_CASE(procinfo_rss),
    UT_CASE(cpuinfo),          UT_CASE(bootdata_denied),
};

int main(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
	return ut_main(argc, argv, "sysinfo", cases, UT_COUNT(cases));
}
