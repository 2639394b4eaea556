/*
 * faults: fault injection. Writers put files on the root file system and
 * check each one's checksum, readers use /dev and /proc, while the parent
 * kills ramfs, devfs, tty and procfs in turn, again and again, with
 * SIGKILL (on lux; on Linux the workload runs alone). Wanted: no call
 * hangs (each worker arms an alarm: a hang is SIGALRM), a call on a dead
 * server fails with an error and never with wrong data, every file a
 * writer finished reads back with its checksum at the end, and the
 * servers are back. Output goes through tty: ut_print opens the console
 * again after a restart.
 *
 * FAULTS_SECONDS in the environment sets the length (default 20 s);
 * the summary line gives kills, failed calls and data errors.
 */
#include "utest.h"

#include <fcntl.h>
#include <lux/proto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WRITERS   3
#define READERS   2
#define FILE_SIZE (24 * 1024)
#define SLOTS     128 /* files per writer, rewritten in turn */

/* What the workers report, in a page shared with the parent. */
struct report {
	unsigned long files[WRITERS]; /* files finished and checked */
	unsigned long failed;         /* calls that failed (dead server) */
	unsigned long data_errors;    /* wrong bytes read back */
	uint32_t sums[WRITERS][SLOTS];
	uint8_t done[WRITERS][SLOTS]; /* slot holds a finished file */
};

static struct report *rep;
static int seconds;

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static uint32_t checksum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void file_name(char *buf, size_t size, int w, int n)
{
	snprintf(buf, size, "/tmp/faults.%d.%d.%d", (int)getppid(), w, n);
}

/* Write all of buf to a new file, read it back: 0, -1 (a failed call). */
static int put_file(const char *name, const unsigned char *buf, size_t n)
{
	unsigned char back[FILE_SIZE];
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, n);
	close(fd);
	if (w != (ssize_t)n || (fd = open(name, O_RDONLY)) < 0)
		return -1;
	ssize_t r = read(fd, back, n);
	close(fd);
	if (r != (ssize_t)n)
		return -1;
	if (memcmp(back, buf, n))
		__atomic_add_fetch(&rep->data_errors, 1, __ATOMIC_RELAXED);
	return 0;
}

static int worker_id;

/* Write files in slot after slot, each checked when read back; a slot
 * is "done" only while its file is complete. */
static void writer(void)
{
	unsigned char buf[FILE_SIZE];
	char name[64];
	double end = now() + seconds;
	unsigned seed = getpid();

	alarm(seconds + 60);
	for (unsigned long n = 0; now() < end; n++) {
		int slot = n % SLOTS;
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = rand_r(&seed);
		file_name(name, sizeof(name), worker_id, slot);
		rep->done[worker_id][slot] = 0;
		if (put_file(name, buf, sizeof(buf)) < 0) {
			__atomic_add_fetch(&rep->failed, 1, __ATOMIC_RELAXED);
			continue;
		}
		rep->sums[worker_id][slot] = checksum(buf, sizeof(buf));
		rep->done[worker_id][slot] = 1;
		rep->files[worker_id]++;
	}
}

/* Calls on the servers being killed: they may fail, never hang or lie. */
static void reader(void)
{
	char buf[256];
	double end = now() + seconds;

	alarm(seconds + 60);
	while (now() < end) {
		int fd =
		    open(worker_id ? "/proc/uptime" : "/dev/zero", O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			__atomic_add_fetch(&rep->failed, 1, __ATOMIC_RELAXED);
		else if (!worker_id && buf[0] != 0)
			__atomic_add_fetch(&rep->data_errors, 1,
					   __ATOMIC_RELAXED);
	}
}

/* The pid of the process named name, or 0. */
static int find_pid(const char *name)
{
	struct lux_procinfo info;

	for (int pid = 1; syscall(LUX_NR_PROCINFO, pid, &info, 0, 0) == 0;
	     pid = info.pid + 1)
		if (!strcmp(info.name, name))
			return info.pid;
	return 0;
}

/* Kill the servers in turn until the workers' time is up. */
static unsigned long kill_servers(void)
{
	static const char *const victims[] = {"ramfs", "devfs", "tty",
					      "procfs"};
	double end = now() + seconds;
	unsigned long kills = 0;

	for (int i = 0; now() < end; i++) {
		int pid = find_pid(victims[i % 4]);
		if (pid > 0 && kill(pid, SIGKILL) == 0)
			kills++;
		usleep(150000 + (i % 5) * 70000);
	}
	return kills;
}

/* Wait (up to 30 s) until /proc and /dev answer again. */
static int servers_back(void)
{
	char buf[64];

	for (int i = 0; i < 300; i++) {
		int p = open("/proc/uptime", O_RDONLY),
		    d = open("/dev/null", O_RDONLY);
		int ok = p >= 0 && d >= 0 && read(p, buf, sizeof(buf)) > 0 &&
			 access("/tmp", W_OK) == 0 &&
			 access("/dev/console", F_OK) == 0;
		if (p >= 0)
			close(p);
		if (d >= 0)
			close(d);
		if (ok)
			return 1;
		usleep(100000);
	}
	return 0;
}

/* Every file a writer finished still has its checksum; then it goes. */
static unsigned long verify_files(void)
{
	unsigned char buf[FILE_SIZE];
	char name[64];
	unsigned long bad = 0;

	for (int w = 0; w < WRITERS; w++)
		for (int n = 0; n < SLOTS; n++) {
			snprintf(name, sizeof(name), "/tmp/faults.%d.%d.%d",
				 (int)getpid(), w, n);
			int fd = open(name, O_RDONLY);
			ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
			if (fd >= 0)
				close(fd);
			if (rep->done[w][n] &&
			    (r != FILE_SIZE ||
			     checksum(buf, FILE_SIZE) != rep->sums[w][n]))
				bad++;
			unlink(name);
		}
	return bad;
}

/* ramfs killed between calls: the files are all there after its
 * restart, and a descriptor open across it fails (EIO), never hangs. */
static void ramfs_restart(void)
{
	char name[64], buf[32];
	int fd, pid;

	if (!on_lux()) /* nothing to kill on Linux */
		return;
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "/tmp/restart.%d", i);
		CHECK((fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >=
		      0);
		CHECK_EQ(write(fd, name, strlen(name)), (long)strlen(name));
		close(fd);
	}
	CHECK((fd = open("/tmp/restart.7", O_RDONLY)) >= 0);
	CHECK((pid = find_pid("ramfs")) > 0);
	double start = now();
	CHECK_EQ(kill(pid, SIGKILL), 0);
	while (access("/tmp/restart.49", F_OK) < 0 && now() - start < 30)
		usleep(10000);
	ut_print("utest: faults: ramfs back after %.0f ms\n",
		 (now() - start) * 1000);
	CHECK(find_pid("ramfs") != pid);
	CHECK_ERR(read(fd, buf, sizeof(buf)), EIO);
	close(fd);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "/tmp/restart.%d", i);
		CHECK((fd = open(name, O_RDONLY)) >= 0);
		CHECK_EQ(read(fd, buf, sizeof(buf)), (long)strlen(name));
		CHECK_EQ(memcmp(buf, name, strlen(name)), 0);
		close(fd);
		CHECK_EQ(unlink(name), 0);
	}
}

static void kill_under_load(void)
{
	pid_t pids[WRITERS + READERS];
	unsigned long kills = 0, files = 0, bad;
	const char *env = getenv("FAULTS_SECONDS");

	seconds = env ? atoi(env) : 20;
	rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(rep != MAP_FAILED);
	for (int i = 0; i < WRITERS + READERS; i++) {
		worker_id = i < WRITERS ? i : i - WRITERS;
		pids[i] = ut_spawn(i < WRITERS ? writer : reader);
		CHECK(pids[i] > 0);
	}
	if (on_lux())
		kills = kill_servers();
	for (int i = 0; i < WRITERS + READERS; i++)
		EXPECT(ut_join(pids[i])); /* SIGALRM here: a hung call */
	CHECK(servers_back());
	bad = verify_files();
	for (int w = 0; w < WRITERS; w++)
		files += rep->files[w];
	ut_print("utest: faults: %lu kills, %lu files, %lu failed calls, "
		 "%lu data errors, %lu bad files\n",
		 kills, files, rep->failed, rep->data_errors, bad);
	CHECK_EQ(rep->data_errors, 0);
	CHECK_EQ(bad, 0);
	CHECK(files > 0);
	CHECK(!on_lux() || kills >= 8);
	munmap(rep, sizeof(*rep));
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {UT_CASE(ramfs_restart),
					       UT_CASE(kill_under_load)};
	return ut_main(argc, argv, "faults", cases, UT_COUNT(cases));
}
