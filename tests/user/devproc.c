/*
 * devproc: the device files in /dev and the process information in /proc,
 * as busybox and shells use them. /dev/null, zero, full, random and
 * urandom (what they read and write, their device numbers), the names in
 * /dev; /proc/self, /proc/<pid>/stat, status and cmdline, the pid
 * directories, meminfo, uptime, cpuinfo and mounts; /proc/<pid>/exe, cwd,
 * fd/, maps, mounts, comm and task/, the /proc/sys values programs read,
 * the ptrace read rule that guards exe, cwd, fd/ and maps, and execveat
 * of a descriptor (fexecve), which goes through /proc/self/fd.
 */
#include "utest.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

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

/* ---- /proc/<pid>/exe, cwd, fd, maps, task; /proc/sys ---------------- */

/* readlink of path as a string in buf (size bytes); its length or -1. */
static long link_of(const char *path, char *buf, size_t size)
{
	long n = readlink(path, buf, size - 1);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

/* /proc/self/exe names this program: an absolute path to the file that
 * is running (the same inode), which open reads as an ELF file; a child
 * made by fork has the same. */
static void proc_exe(void)
{
	char path[PATH_MAX], other[PATH_MAX], head[4];
	struct stat a, b;

	CHECK(link_of("/proc/self/exe", path, sizeof(path)) > 1);
	CHECK(path[0] == '/');
	CHECK(strstr(path, "devproc") != NULL);
	CHECK_EQ(stat(path, &a), 0);
	CHECK_EQ(stat("/proc/self/exe", &b), 0);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	int fd = open("/proc/self/exe", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, head, 4), 4);
	CHECK(!memcmp(head, "\177ELF", 4));
	close(fd);
	CHECK(lstat("/proc/self/exe", &b) == 0 && S_ISLNK(b.st_mode));
	int pipefd[2];
	CHECK_EQ(pipe(pipefd), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(pipefd[1]);
		read(pipefd[0], &c, 1);
		_exit(0);
	}
	snprintf(other, sizeof(other), "/proc/%d/exe", (int)child);
	char got[PATH_MAX];
	long n = link_of(other, got, sizeof(got));
	close(pipefd[1]);
	close(pipefd[0]);
	int status;
	waitpid(child, &status, 0);
	CHECK(n > 0);
	CHECK(!strcmp(got, path));
}

/* /proc/self/cwd follows chdir. */
static void proc_cwd(void)
{
	char old[PATH_MAX], got[PATH_MAX];
	struct stat st;

	CHECK(getcwd(old, sizeof(old)) != NULL);
	CHECK_EQ(chdir("/dev"), 0);
	long n = link_of("/proc/self/cwd", got, sizeof(got));
	int ok = stat("/proc/self/cwd/null", &st) == 0 && S_ISCHR(st.st_mode);
	CHECK_EQ(chdir(old), 0);
	CHECK(n == 4 && !strcmp(got, "/dev"));
	CHECK(ok);
	CHECK(link_of("/proc/self/cwd", got, sizeof(got)) > 0);
	CHECK(!strcmp(got, old));
}

/* Whether directory path lists name. */
static int lists(const char *path, const char *name)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int found = 0;

	while (d && (e = readdir(d)))
		found |= !strcmp(e->d_name, name);
	if (d)
		closedir(d);
	return found;
}

/* /proc/self/fd: a link per descriptor, readlink gives the path or
 * pipe:[N], socket:[N], anon_inode:[eventpoll] (N as fstat's st_ino);
 * opening a file's link opens the file; a closed one is gone. */
static void proc_fd(void)
{
	char path[64], got[256], want[64];
	int p[2], s[2];
	struct stat st;

	int low = open("/dev/null", O_WRONLY);
	CHECK(low >= 0);
	int fd = fcntl(low, F_DUPFD, 100); /* not the number opendir takes */
	close(low);
	CHECK(fd >= 100);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK(link_of(path, got, sizeof(got)) > 0);
	CHECK(!strcmp(got, "/dev/null"));
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	int again = open(path, O_WRONLY);
	CHECK(again >= 0 && again != fd);
	CHECK_EQ(write(again, "x", 1), 1);
	CHECK(fstat(again, &st) == 0 && S_ISCHR(st.st_mode));
	close(again);
	snprintf(want, sizeof(want), "%d", fd);
	CHECK(lists("/proc/self/fd", want) && lists("/proc/self/fd", "0"));
	close(fd);
	CHECK_ERR(readlink(path, got, sizeof(got)), ENOENT);
	CHECK(!lists("/proc/self/fd", want));

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(fstat(p[0], &st), 0);
	snprintf(want, sizeof(want), "pipe:[%llu]",
		 (unsigned long long)st.st_ino);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	CHECK(link_of(path, got, sizeof(got)) > 0);
	close(p[0]);
	close(p[1]);
	CHECK(!strcmp(got, want));
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	CHECK_EQ(fstat(s[0], &st), 0);
	snprintf(want, sizeof(want), "socket:[%llu]",
		 (unsigned long long)st.st_ino);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s[0]);
	CHECK(link_of(path, got, sizeof(got)) > 0);
	close(s[0]);
	close(s[1]);
	CHECK(!strcmp(got, want));
	int ep = epoll_create1(0);
	CHECK(ep >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
	CHECK(link_of(path, got, sizeof(got)) > 0);
	close(ep);
	CHECK(!strcmp(got, "anon_inode:[eventpoll]"));
}

/* The line of /proc/self/maps holding address a, into line. */
static int map_line(const void *a, char *line, size_t size)
{
	static char buf[65536];
	uintptr_t at = (uintptr_t)a;

	if (slurp("/proc/self/maps", buf, sizeof(buf)) <= 0)
		return 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long lo, hi, off, ino;
		unsigned major, minor;
		char perms[8];
		if (sscanf(l, "%lx-%lx %7s %lx %x:%x %lu", &lo, &hi, perms,
			   &off, &major, &minor, &ino) != 7 ||
		    strlen(perms) != 4)
			return 0;
		if (lo <= at && at < hi) {
			snprintf(line, size, "%s", l);
			return 1;
		}
	}
	return 0;
}

/* /proc/self/maps: the stack (rw-p, [stack]), the code (r-x), a
 * PROT_NONE mapping (---p) and a shared one (rw-s). */
static void proc_maps(void)
{
	char line[256];
	int local = 0;

	CHECK(map_line(&local, line, sizeof(line)));
	CHECK(strstr(line, " rw-p ") && strstr(line, "[stack]"));
	CHECK(map_line((void *)proc_maps, line, sizeof(line)));
	CHECK(strstr(line, " r-xp "));
	char *none = mmap(NULL, 3 * UT_PAGE, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(none != MAP_FAILED);
	char *shared = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	int a = map_line(none + UT_PAGE, line, sizeof(line));
	int none_ok = a && strstr(line, " ---p ");
	int b = map_line(shared, line, sizeof(line));
	munmap(none, 3 * UT_PAGE);
	munmap(shared, UT_PAGE);
	CHECK(none_ok);
	CHECK(b && strstr(line, " rw-s "));
	CHECK(!map_line(none + UT_PAGE, line, sizeof(line)) ||
	      !strstr(line, " ---p "));
	CHECK(slurp("/proc/self/mounts", line, sizeof(line)) > 0);
}

static void *task_idle(void *arg)
{
	char c;
	read(*(int *)arg, &c, 1);
	return NULL;
}

/* /proc/self/task: a directory per thread with stat, status and comm. */
static void proc_task(void)
{
	char path[64], buf[512], comm[64];
	int p[2];
	pthread_t t;

	snprintf(path, sizeof(path), "%d", getpid());
	CHECK(lists("/proc/self/task", path));
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pthread_create(&t, NULL, task_idle, &p[0]), 0);
	int tid = 0, n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && ++n && atoi(e->d_name) != getpid())
			tid = atoi(e->d_name);
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	long st = slurp(path, buf, sizeof(buf));
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	long cm = slurp(path, comm, sizeof(comm));
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	long ss = slurp(path, buf + 256, 256);
	write(p[1], "x", 1);
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(n, 2);
	CHECK(tid > 0);
	CHECK(st > 0 && atoi(buf) == tid);
	CHECK(cm > 0 && !strcmp(comm, "devproc\n"));
	CHECK(ss > 0 && strstr(buf + 256, "Name:"));
	CHECK(slurp("/proc/self/comm", comm, sizeof(comm)) > 0);
	CHECK(!strcmp(comm, "devproc\n"));
}

/* The number in file path; -1 if there is none. */
static long long number_in(const char *path)
{
	char buf[64];
	return slurp(path, buf, sizeof(buf)) > 0 ? atoll(buf) : -1;
}

/* /proc/sys values as Linux gives them. */
static void proc_sys(void)
{
	char buf[128];
	struct utsname u;

	CHECK_EQ(uname(&u), 0);
	CHECK(number_in("/proc/sys/kernel/pid_max") >= 32768);
	CHECK(slurp("/proc/sys/kernel/ostype", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, u.sysname, strlen(u.sysname)));
	CHECK(slurp("/proc/sys/kernel/osrelease", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, u.release, strlen(u.release)));
	CHECK(slurp("/proc/sys/kernel/hostname", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, u.nodename, strlen(u.nodename)));
	CHECK(number_in("/proc/sys/kernel/ngroups_max") >= 32);
	CHECK(number_in("/proc/sys/kernel/threads-max") > 0);
	long long oc = number_in("/proc/sys/vm/overcommit_memory");
	CHECK(oc >= 0 && oc <= 2);
	CHECK(number_in("/proc/sys/vm/max_map_count") > 0);
	CHECK(number_in("/proc/sys/fs/file-max") > 0);
	CHECK(number_in("/proc/sys/fs/nr_open") >= 1024);
	CHECK(number_in("/proc/sys/fs/pipe-max-size") >= 4096);
	CHECK(lists("/proc/sys", "kernel") &&
	      lists("/proc/sys/kernel", "pid_max"));
	CHECK(lists("/proc", "sys") && lists("/proc/sys/vm", "max_map_count"));
	CHECK_ERR(open("/proc/sys/kernel/nosuchvalue", O_RDONLY), ENOENT);
}

/* Another user's exe, cwd, fd/ and maps are EACCES (Linux's ptrace read
 * rule); its stat is not; an unprivileged process reads its own. */
static void proc_guarded(void)
{
	int p[2], status;
	char path[64];

	CHECK_EQ(getuid(), 0);
	CHECK_EQ(pipe(p), 0);
	pid_t root = fork();
	if (root == 0) {
		char c;
		close(p[1]);
		read(p[0], &c, 1);
		_exit(0);
	}
	close(p[0]);
	pid_t user = fork();
	if (user == 0) {
		char buf[256];
		if (setgid(65534) || setuid(65534))
			_exit(10);
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)root);
		if (readlink(path, buf, sizeof(buf)) >= 0 || errno != EACCES)
			_exit(11);
		snprintf(path, sizeof(path), "/proc/%d/cwd", (int)root);
		if (readlink(path, buf, sizeof(buf)) >= 0 || errno != EACCES)
			_exit(12);
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)root);
		if (open(path, O_RDONLY) >= 0 || errno != EACCES)
			_exit(13);
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)root);
		if (opendir(path) || errno != EACCES)
			_exit(14);
		snprintf(path, sizeof(path), "/proc/%d/fd/0", (int)root);
		if (readlink(path, buf, sizeof(buf)) >= 0 || errno != EACCES)
			_exit(15);
		snprintf(path, sizeof(path), "/proc/%d/exe", (int)root);
		if (open(path, O_RDONLY) >= 0 || errno != EACCES)
			_exit(16);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)root);
		if (slurp(path, buf, sizeof(buf)) <= 0)
			_exit(17);
		if (readlink("/proc/self/exe", buf, sizeof(buf)) <= 0 ||
		    slurp("/proc/self/maps", buf, sizeof(buf)) <= 0)
			_exit(18);
		_exit(0);
	}
	CHECK(user > 0);
	CHECK_EQ(waitpid(user, &status, 0), user);
	close(p[1]);
	waitpid(root, NULL, 0);
	CHECK_EQ(status, 0);
}

/* Run execveat(dirfd, path, {self, "exit", "7"}, flags) in a child: its
 * exit status, or 100 + execveat's errno. */
static int run_execveat(int dirfd, const char *path, int flags)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = {(char *)ut_self, "exit", "7", NULL};
		syscall(SYS_execveat, dirfd, path, argv, environ, flags);
		_exit(100 + errno);
	}
	int status = ut_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* execveat on a descriptor (AT_EMPTY_PATH: fexecve, O_RDONLY or
 * O_PATH), by a path relative to a directory descriptor, and
 * AT_SYMLINK_NOFOLLOW on a link (ELOOP). Here, not in exec: fexecve goes
 * through /proc/self/fd, which exec's bare boot (no servers) lacks. */
static void execveat_fd(void)
{
	char self[PATH_MAX], link[64];

	CHECK(realpath(ut_self, self) != NULL);
	int fd = open(self, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	int status = run_execveat(fd, "", AT_EMPTY_PATH);
	close(fd);
	CHECK_EQ(status, 7);
	fd = open(self, O_PATH | O_CLOEXEC);
	CHECK(fd >= 0);
	status = run_execveat(fd, "", AT_EMPTY_PATH);
	int noflag = run_execveat(fd, "", 0);
	close(fd);
	CHECK_EQ(status, 7);
	CHECK_EQ(noflag, 100 + ENOENT);
	CHECK_EQ(run_execveat(1000, "", AT_EMPTY_PATH), 100 + EBADF);
	char *slash = strrchr(self, '/');
	*slash = 0;
	int dir = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dir >= 0);
	status = run_execveat(dir, slash + 1, 0);
	close(dir);
	CHECK_EQ(status, 7);
	*slash = '/';
	snprintf(link, sizeof(link), "/tmp/execveat-%d", (int)getpid());
	CHECK_EQ(symlink(self, link), 0);
	status = run_execveat(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW);
	int followed = run_execveat(AT_FDCWD, link, 0);
	unlink(link);
	CHECK_EQ(status, 100 + ELOOP);
	CHECK_EQ(followed, 7);
}

static const struct ut_case cases[] = {
    UT_CASE(dev_null),     UT_CASE(dev_zero),     UT_CASE(dev_full),
    UT_CASE(dev_random),   UT_CASE(dev_numbers),  UT_CASE(dev_names),
    UT_CASE(proc_self),    UT_CASE(proc_stat),    UT_CASE(proc_status),
    UT_CASE(proc_cmdline), UT_CASE(proc_pids),    UT_CASE(proc_meminfo),
    UT_CASE(proc_uptime),  UT_CASE(proc_cpuinfo), UT_CASE(proc_mounts),
    UT_CASE(proc_exe),     UT_CASE(proc_cwd),     UT_CASE(proc_fd),
    UT_CASE(proc_maps),    UT_CASE(proc_task),    UT_CASE(proc_sys),
    UT_CASE(proc_guarded), UT_CASE(execveat_fd),
};

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exit")) /* execveat_fd's child */
		return atoi(argv[2]);
	saved_argc = argc;
	saved_argv = argv;
	return ut_main(argc, argv, "devproc", cases, UT_COUNT(cases));
}
