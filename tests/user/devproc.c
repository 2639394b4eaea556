/*
 * devproc: the device files in /dev and the process information in /proc,
 * as busybox and shells use them. /dev/null, zero, full, random and
 * urandom (what they read and write, their device numbers), the names in
 * /dev; /proc/self, /proc/<pid>/stat, status and cmdline, the pid
 * directories, meminfo, uptime, cpuinfo and mounts.
 */
#include "utest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static int saved_argc;
static char **saved_argv;

/* Read all of path (up to size - 1 bytes) into buf; return the length or
 * -1 with errno. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long total = 0, n;
	while (total < (long)size - 1 &&
	       (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	int err = errno;
	close(fd);
	buf[total] = 0;
	errno = err;
	return n < 0 ? -1 : total;
}

/* The value after "key:" on a line of buf, as a number; -1 if missing. */
static long long field(const char *buf, const char *key)
{
	size_t len = strlen(key);
	for (const char *p = buf; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, len) && p[len] == ':')
			return strtoll(p + len + 1, NULL, 10);
	return -1;
}

/* ---- /dev ----------------------------------------------------------- */

static void dev_null(void)
{
	int fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0);
	char buf[100];
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(write(fd, buf, sizeof(buf)), 100);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* What a shell does for `> /dev/null` and `>> /dev/null`. */
	fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0666);
	CHECK(fd >= 0);
	close(fd);
}

static void dev_zero(void)
{
	int fd = open("/dev/zero", O_RDWR);
	CHECK(fd >= 0);
	static char buf[20000];
	memset(buf, 0xff, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), (long)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i]) {
			close(fd);
			return ut_fail("/dev/zero byte %zu is %#x", i, buf[i]);
		}
	CHECK_EQ(write(fd, "abc", 3), 3);
	close(fd);
}

static void dev_full(void)
{
	int fd = open("/dev/full", O_RDWR);
	CHECK(fd >= 0);
	CHECK_ERR(write(fd, "x", 1), ENOSPC);
	char buf[64];
	memset(buf, 1, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 64);
	close(fd);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(buf[i], 0);
}

static void dev_random(void)
{
	unsigned char a[64], b[64], zero[64] = {0};
	int fd = open("/dev/urandom", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, a, sizeof(a)), 64);
	CHECK_EQ(read(fd, b, sizeof(b)), 64);
	close(fd);
	CHECK(memcmp(a, b, 64) != 0);
	CHECK(memcmp(a, zero, 64) != 0);
	fd = open("/dev/random", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, a, 16), 16);
	close(fd);
	CHECK(memcmp(a, b, 16) != 0);
}

static void dev_numbers(void)
{
	static const struct {
		const char *path;
		unsigned major, minor;
	} devs[] = {
	    {"/dev/null", 1, 3},    {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
	    {"/dev/random", 1, 8},  {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
	    {"/dev/console", 5, 1},
	};
	for (int i = 0; i < UT_COUNT(devs); i++) {
		struct stat st;
		if (stat(devs[i].path, &st) < 0)
			return ut_fail("stat %s: %s", devs[i].path,
				       ut_errno_name(errno));
		if (!S_ISCHR(st.st_mode) ||
		    major(st.st_rdev) != devs[i].major ||
		    minor(st.st_rdev) != devs[i].minor)
			return ut_fail("%s: mode %#o device %u,%u, expected a "
				       "character device %u,%u",
				       devs[i].path, st.st_mode,
				       major(st.st_rdev), minor(st.st_rdev),
				       devs[i].major, devs[i].minor);
	}
}

static void dev_names(void)
{
	static const char *const want[] = {
	    "null", "zero", "full", "random", "urandom", "console", "tty"};
	int seen[UT_COUNT(want)] = {0};
	DIR *d = opendir("/dev");
	CHECK(d != NULL);
	for (struct dirent *e; (e = readdir(d));)
		for (int i = 0; i < UT_COUNT(want); i++)
			if (!strcmp(e->d_name, want[i]))
				seen[i]++;
	closedir(d);
	for (int i = 0; i < UT_COUNT(want); i++)
		if (seen[i] != 1)
			return ut_fail("/dev/%s listed %d times", want[i],
				       seen[i]);
}

/* ---- /proc ---------------------------------------------------------- */

static void proc_self(void)
{
	char buf[64], want[32];
	long n = readlink("/proc/self", buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n] = 0;
	snprintf(want, sizeof(want), "%d", (int)getpid());
	if (strcmp(buf, want))
		return ut_fail("/proc/self -> \"%s\", expected \"%s\"", buf,
			       want);
	struct stat a, b;
	CHECK_EQ(stat("/proc/self", &a), 0);
	snprintf(buf, sizeof(buf), "/proc/%d", (int)getpid());
	CHECK_EQ(stat(buf, &b), 0);
	CHECK(S_ISDIR(a.st_mode) && S_ISDIR(b.st_mode));
	/* A child sees its own pid. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char l[32];
		long k = readlink("/proc/self", l, sizeof(l));
		(void)!write(p[1], l, k > 0 ? k : 0);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ut_wait(pid);
	CHECK(n > 0);
	buf[n] = 0;
	CHECK_EQ(atoi(buf), pid);
}

/* Parse /proc/<pid>/stat: comm into comm, the state, ppid, pgrp, session. */
static int read_stat(pid_t pid, char *comm, size_t size, char *state, int *ppid,
		     int *pgrp, int *sid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, buf, sizeof(buf)) <= 0) {
		ut_fail("read %s: %s", path, ut_errno_name(errno));
		return 0;
	}
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close || atoi(buf) != pid) {
		ut_fail("%s: \"%s\"", path, buf);
		return 0;
	}
	snprintf(comm, size, "%.*s", (int)(close - open - 1), open + 1);
	if (sscanf(close + 1, " %c %d %d %d", state, ppid, pgrp, sid) != 4) {
		ut_fail("%s: after the name: \"%s\"", path, close + 1);
		return 0;
	}
	/* 52 fields in all on Linux 5+; busybox ps reads up to 24. */
	int fields = 2;
	for (char *p = close + 1; *p; p++)
		if (*p == ' ')
			fields++;
	if (fields < 24) {
		ut_fail("%s has %d fields", path, fields);
		return 0;
	}
	return 1;
}

static void proc_stat(void)
{
	char comm[64], state;
	int ppid, pgrp, sid;
	if (!read_stat(getpid(), comm, sizeof(comm), &state, &ppid, &pgrp,
		       &sid))
		return;
	CHECK(strcmp(comm, "devproc") == 0);
	CHECK_EQ(state, 'R');
	CHECK_EQ(ppid, getppid());
	CHECK_EQ(pgrp, getpgrp());
	CHECK_EQ(sid, getsid(0));
	/* A child blocked in read is sleeping, and its parent is us. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	close(p[0]);
	char st = '?';
	for (int i = 0; i < 200 && st != 'S'; i++) {
		ut_sleep_ms(10);
		if (!read_stat(pid, comm, sizeof(comm), &st, &ppid, &pgrp,
			       &sid))
			break;
	}
	close(p[1]);
	int status = ut_wait(pid);
	CHECK_EQ(st, 'S');
	CHECK_EQ(ppid, getpid());
	CHECK_EQ(status, 0);
	/* Gone once reaped. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	CHECK_ERR(open(path, O_RDONLY), ENOENT);
}

static void proc_status(void)
{
	char buf[4096];
	CHECK(slurp("/proc/self/status", buf, sizeof(buf)) > 0);
	CHECK(strncmp(buf, "Name:\tdevproc\n", 14) == 0);
	CHECK_EQ(field(buf, "Pid"), getpid());
	CHECK_EQ(field(buf, "PPid"), getppid());
	CHECK_EQ(field(buf, "Uid"), getuid());
	CHECK(strstr(buf, "\nState:\tR") != NULL);
}

static void proc_cmdline(void)
{
	char buf[4096], want[4096];
	long n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	CHECK(n > 0);
	long len = 0;
	for (int i = 0; i < saved_argc; i++) {
		size_t k = strlen(saved_argv[i]) + 1;
		memcpy(want + len, saved_argv[i], k);
		len += k;
	}
	CHECK_EQ(n, len);
	CHECK(memcmp(buf, want, len) == 0);
	/* A child that execs with other arguments shows those. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		char *argv[] = {"cat", "/proc/self/cmdline", NULL};
		char *envp[] = {NULL};
		execve("/bin/cat", argv, envp);
		_exit(127);
	}
	close(p[1]);
	n = 0;
	for (long k; (k = read(p[0], buf + n, sizeof(buf) - n)) > 0;)
		n += k;
	close(p[0]);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(n, 23);
	CHECK(memcmp(buf, "cat\0/proc/self/cmdline\0", 23) == 0);
}

static void proc_pids(void)
{
	char want[16];
	snprintf(want, sizeof(want), "%d", (int)getpid());
	int self = 0, me = 0, one = 0;
	DIR *d = opendir("/proc");
	CHECK(d != NULL);
	for (struct dirent *e; (e = readdir(d));) {
		self += !strcmp(e->d_name, "self");
		me += !strcmp(e->d_name, want);
		one += !strcmp(e->d_name, "1");
	}
	closedir(d);
	CHECK_EQ(self, 1);
	CHECK_EQ(me, 1);
	CHECK_EQ(one, 1);
	struct stat st;
	CHECK_ERR(stat("/proc/999999999", &st), ENOENT);
}

static void proc_meminfo(void)
{
	char buf[4096];
	CHECK(slurp("/proc/meminfo", buf, sizeof(buf)) > 0);
	long long total = field(buf, "MemTotal"), free = field(buf, "MemFree");
	CHECK(total > 0);
	CHECK(free > 0);
	CHECK(free <= total);
	CHECK(strncmp(buf, "MemTotal:", 9) == 0);
	CHECK(strstr(buf, " kB\n") != NULL);
}

static void proc_uptime(void)
{
	char buf[128];
	double up1, idle1, up2, idle2;
	CHECK(slurp("/proc/uptime", buf, sizeof(buf)) > 0);
	CHECK_EQ(sscanf(buf, "%lf %lf", &up1, &idle1), 2);
	ut_sleep_ms(300);
	CHECK(slurp("/proc/uptime", buf, sizeof(buf)) > 0);
	CHECK_EQ(sscanf(buf, "%lf %lf", &up2, &idle2), 2);
	CHECK(up1 > 0);
	if (!(up2 >= up1 + 0.25))
		ut_fail("uptime %.2f then %.2f, 0.3 s later", up1, up2);
}

static void proc_cpuinfo(void)
{
	static char buf[65536];
	CHECK(slurp("/proc/cpuinfo", buf, sizeof(buf)) > 0);
	int cpus = 0;
	for (char *p = buf; (p = strstr(p, "processor")); p++)
		if (p == buf || p[-1] == '\n')
			cpus++;
	CHECK_EQ(cpus, sysconf(_SC_NPROCESSORS_ONLN));
}

static void proc_mounts(void)
{
	char buf[8192];
	CHECK(slurp("/proc/mounts", buf, sizeof(buf)) > 0);
	int root = 0, proc = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char dev[256], dir[256], type[64], opts[256];
		int a, b;
		if (sscanf(line, "%255s %255s %63s %255s %d %d", dev, dir, type,
			   opts, &a, &b) != 6)
			return ut_fail("mount line \"%s\"", line);
		root += !strcmp(dir, "/");
		proc += !strcmp(dir, "/proc");
	}
	CHECK(root >= 1);
	CHECK(proc >= 1);
}

static const struct ut_case cases[] = {
    UT_CASE(dev_null),     UT_CASE(dev_zero),     UT_CASE(dev_full),
    UT_CASE(dev_random),   UT_CASE(dev_numbers),  UT_CASE(dev_names),
    UT_CASE(proc_self),    UT_CASE(proc_stat),    UT_CASE(proc_status),
    UT_CASE(proc_cmdline), UT_CASE(proc_pids),    UT_CASE(proc_meminfo),
    UT_CASE(proc_uptime),  UT_CASE(proc_cpuinfo), UT_CASE(proc_mounts),
};

int main(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
	return ut_main(argc, argv, "devproc", cases, UT_COUNT(cases));
}
