/* bench: operating-system micro-benchmarks, run unchanged on lux and Linux.
 *
 *     bench            memory in use after boot, every benchmark, then
 *                      "bench: done"
 *     bench NAME...    run only the named benchmarks
 *     bench exit       exit at once (the program that fork_exec_wait runs)
 *     bench trace NAME warm NAME up, then run one operation of it between
 *                      two calls of trace_mark (tools/bench/trace.py)
 *     bench first-user PROG ARGS...
 *                      as the first user process: print boot_to_first_user,
 *                      then become PROG ARGS (the real init, same PID)
 *     bench prompt     print boot_to_prompt on stderr (run by the shell's
 *                      prompt, $(...) takes stdout)
 *     bench smp ITERS PAIRS...
 *                      for each PAIRS, that many process pairs each doing
 *                      ITERS Unix socket round trips at once (make bench-smp)
 *
 * Each benchmark warms up, then times a fixed number of iterations with
 * clock_gettime(CLOCK_MONOTONIC) and prints one line:
 *
 *     bench: <name> <nanoseconds per operation> ns
 *
 * or "bench: <name> n/a" when the system cannot run it (the file
 * benchmarks on a system without a writable file system). Iteration counts
 * are fixed and modest: under QEMU with -icount the guest runs slowly but
 * its clock counts instructions, so the figures repeat exactly
 * (tools/bench/run.py, docs/performance.md).
 *
 * Built with -DBENCH_DISK (bench-disk, tools/bench/bench.mk) it also has
 * the disk benchmarks (disk_*), which the driver runs in a boot with a
 * disk; they are left out of the ordinary build so that its size, which
 * fork_exit_wait and fork_exec_wait pay for, stays what it was. */
#define _GNU_SOURCE
#include "utest_arch.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Where the benchmark finds itself, on lux and in the Linux initramfs. */
#define BENCH_PATH "/bench/bench"
/* The scratch file of the file benchmarks, and the directory of
 * getdents64 with its DIR_FILES files. */
#define FILE_PATH "/tmp/bench.dat"
#define DIR_PATH  "/tmp/bench.dir"
#define DIR_FILES 32
#define MIB       (1024 * 1024)
#define PAGE      4096
#define CHUNK     (64 * 1024)

/* A benchmark: run `iters` operations and return 0, or -1 when the system
 * cannot run it (errno says why). Timing is done by the caller. */
struct bench {
	const char *name;
	long iters;
	int (*setup)(void); /* may be NULL; -1: print n/a */
	int (*run)(long iters);
	void (*teardown)(void); /* may be NULL */
};

static char chunk_buf[CHUNK];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Stop with a message: a benchmark whose system call fails mid-way has no
 * meaningful figure, and the driver reports the missing "bench: done". */
static void die(const char *what)
{
	printf("bench: error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	_exit(1);
}

static int run_getppid(long iters)
{
	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return 0;
}

/* One signal sent to itself, its handler run and returned from
 * (rt_sigreturn): on lux the handler's frame is the personality's. */
static void on_bench_signal(int sig)
{
	(void)sig;
}

static int setup_signal(void)
{
	struct sigaction sa = {.sa_handler = on_bench_signal};

	return sigaction(SIGUSR1, &sa, NULL);
}

static int run_signal(long iters)
{
	pid_t self = getpid();

	for (long i = 0; i < iters; i++)
		kill(self, SIGUSR1);
	return 0;
}

/* One uname: on lux a call the kernel reflects to the personality. */
static int run_uname(long iters)
{
	struct utsname u;

	for (long i = 0; i < iters; i++)
		syscall(SYS_uname, &u);
	return 0;
}

/* The two ends of the round-trip benchmarks: the parent writes on
 * echo_fds[0] and reads the reply from echo_fds[1]; the child echoes. */
static int echo_fds[2];
static pid_t echo_child = -1;

/* Child of a round-trip benchmark: echo 8-byte messages until EOF. */
static void echo_loop(int in, int out)
{
	char msg[8];

	for (;;) {
		ssize_t n = read(in, msg, sizeof(msg));
		if (n <= 0)
			_exit(0);
		if (write(out, msg, (size_t)n) != n)
			_exit(1);
	}
}

static int setup_pipe(void)
{
	int to_child[2], to_parent[2];

	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		return -1;
	echo_child = fork();
	if (echo_child < 0)
		die("fork");
	if (echo_child == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		echo_loop(to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	echo_fds[0] = to_child[1];
	echo_fds[1] = to_parent[0];
	return 0;
}

static int setup_unix(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	echo_child = fork();
	if (echo_child < 0)
		die("fork");
	if (echo_child == 0) {
		close(sv[0]);
		echo_loop(sv[1], sv[1]);
	}
	close(sv[1]);
	echo_fds[0] = sv[0];
	echo_fds[1] = sv[0];
	return 0;
}

/* One operation: send 8 bytes and wait for them to come back. */
static int run_round_trip(long iters)
{
	char msg[8] = "lux8byte";

	for (long i = 0; i < iters; i++) {
		if (write(echo_fds[0], msg, sizeof(msg)) != sizeof(msg))
			die("write");
		for (size_t got = 0; got < sizeof(msg);) {
			ssize_t n =
			    read(echo_fds[1], msg + got, sizeof(msg) - got);
			if (n <= 0)
				die("read");
			got += (size_t)n;
		}
	}
	return 0;
}

static void teardown_echo(void)
{
	close(echo_fds[0]);
	if (echo_fds[1] != echo_fds[0])
		close(echo_fds[1]);
	waitpid(echo_child, NULL, 0);
	echo_child = -1;
}

/* The yield partner spins in sched_yield until killed: on one CPU each
 * sched_yield of the parent runs the child once and comes back. */
static int setup_yield(void)
{
	echo_child = fork();
	if (echo_child < 0)
		die("fork");
	if (echo_child == 0)
		for (;;)
			sched_yield();
	return 0;
}

static int run_yield(long iters)
{
	for (long i = 0; i < iters; i++)
		sched_yield();
	return 0;
}

static void teardown_yield(void)
{
	kill(echo_child, SIGKILL);
	waitpid(echo_child, NULL, 0);
	echo_child = -1;
}

static void wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		die("child status");
	}
}

static int run_fork_exit(long iters)
{
	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		wait_child(pid);
	}
	return 0;
}

static int run_fork_exec(long iters)
{
	static char *const argv[] = {BENCH_PATH, "exit", NULL};
	static char *const envp[] = {NULL};

	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(BENCH_PATH, argv, envp);
			_exit(127);
		}
		wait_child(pid);
	}
	return 0;
}

/* One operation: map `len` bytes of anonymous memory, write one byte in
 * each page, unmap it. */
static int mmap_touch(long iters, size_t len)
{
	for (long i = 0; i < iters; i++) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap");
		for (size_t off = 0; off < len; off += PAGE)
			p[off] = 1;
		munmap((void *)p, len);
	}
	return 0;
}

static int run_mmap_touch_4m(long iters)
{
	return mmap_touch(iters, 4 * MIB);
}

static int run_mmap_touch_64m(long iters)
{
	return mmap_touch(iters, 64 * MIB);
}

/* Write `len` bytes to FILE_PATH, replacing it; 0 or -1. */
static int write_file(size_t len)
{
	int fd = open(FILE_PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	for (size_t done = 0; done < len; done += CHUNK)
		if (write(fd, chunk_buf, CHUNK) != CHUNK)
			die("write");
	close(fd);
	return 0;
}

/* Every file benchmark starts from a 16 MiB file; -1 if there is no
 * writable file system (lux today: open is not implemented). */
static int setup_file(void)
{
	memset(chunk_buf, 'x', sizeof(chunk_buf));
	return write_file(16 * MIB);
}

static void teardown_file(void)
{
	unlink(FILE_PATH);
}

static int run_open_close(long iters)
{
	for (long i = 0; i < iters; i++) {
		int fd = open(FILE_PATH, O_RDONLY);
		if (fd < 0)
			die("open");
		close(fd);
	}
	return 0;
}

static int run_stat(long iters)
{
	struct stat st;

	for (long i = 0; i < iters; i++)
		if (stat(FILE_PATH, &st) < 0)
			die("stat");
	return 0;
}

static int run_read_4k(long iters)
{
	int fd = open(FILE_PATH, O_RDONLY);
	if (fd < 0)
		die("open");
	for (long i = 0; i < iters; i++)
		if (pread(fd, chunk_buf, 4096, 0) != 4096)
			die("pread");
	close(fd);
	return 0;
}

/* One operation: fstat of an open file. */
static int run_fstat(long iters)
{
	struct stat st;
	int fd = open(FILE_PATH, O_RDONLY);

	if (fd < 0)
		die("open");
	for (long i = 0; i < iters; i++)
		if (fstat(fd, &st) < 0)
			die("fstat");
	close(fd);
	return 0;
}

/* The name of the directory's file i in buf. */
static void dir_file(char *buf, size_t size, int i)
{
	snprintf(buf, size, "%s/file-%02d-with-a-name", DIR_PATH, i);
}

/* A directory of DIR_FILES empty files; -1 if it cannot be made. */
static int setup_dir(void)
{
	char name[64];

	if (mkdir(DIR_PATH, 0755) < 0 && errno != EEXIST)
		return -1;
	for (int i = 0; i < DIR_FILES; i++) {
		dir_file(name, sizeof(name), i);
		int fd = open(name, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static void teardown_dir(void)
{
	char name[64];

	for (int i = 0; i < DIR_FILES; i++) {
		dir_file(name, sizeof(name), i);
		unlink(name);
	}
	rmdir(DIR_PATH);
}

/* One operation: list the directory (DIR_FILES + 2 entries, about 1.3
 * KiB of records) from its start with getdents64 and a 4 KiB buffer:
 * lseek, then calls until one returns 0 (two). */
static int run_getdents64(long iters)
{
	char buf[4096];
	int fd = open(DIR_PATH, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		die("open");
	for (long i = 0; i < iters; i++) {
		long n;
		if (lseek(fd, 0, SEEK_SET) != 0)
			die("lseek");
		while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0)
			;
		if (n < 0)
			die("getdents64");
	}
	close(fd);
	return 0;
}

/* One operation: read the whole 16 MiB file in 64 KiB pieces. */
static int run_seq_read(long iters)
{
	for (long i = 0; i < iters; i++) {
		int fd = open(FILE_PATH, O_RDONLY);
		if (fd < 0)
			die("open");
		while (read(fd, chunk_buf, CHUNK) > 0)
			;
		close(fd);
	}
	return 0;
}

/* One operation: create the 16 MiB file again, in 64 KiB pieces. */
static int run_seq_write(long iters)
{
	for (long i = 0; i < iters; i++)
		if (write_file(16 * MIB) < 0)
			die("open");
	return 0;
}

#ifdef BENCH_DISK
/* The disk benchmarks: on an ext2 file system mounted on DISK_DIR (lux:
 * /dev/vda on /home by /etc/fstab; Linux: its init mounts it there),
 * else n/a. tools/bench/run.py attaches the disk for a boot of its own. */
#define DISK_DIR   "/home"
#define DISK_FILE  DISK_DIR "/bench.big"
#define DISK_SMALL DISK_DIR "/bench.small"
#define DISK_BIG   (64 * MIB)
#define EXT2_MAGIC 0xEF53

/* Write DISK_BIG bytes to DISK_FILE, replacing it, and fsync. */
static void disk_write_big(void)
{
	int fd = open(DISK_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("open");
	for (size_t done = 0; done < DISK_BIG; done += CHUNK)
		if (write(fd, chunk_buf, CHUNK) != CHUNK)
			die("write");
	if (fsync(fd) < 0)
		die("fsync");
	close(fd);
}

/* 0 if DISK_DIR is an ext2 mount, else -1 (n/a). */
static int setup_disk(void)
{
	struct statfs fs;

	memset(chunk_buf, 'd', sizeof(chunk_buf));
	return statfs(DISK_DIR, &fs) == 0 && fs.f_type == EXT2_MAGIC ? 0 : -1;
}

static int setup_disk_file(void)
{
	if (setup_disk() < 0)
		return -1;
	disk_write_big();
	return 0;
}

static void teardown_disk_file(void)
{
	unlink(DISK_FILE);
}

/* Empty the page cache where there is one (Linux: everything written is
 * clean after fsync), so that a read comes from the disk; lux's ext2
 * server has only its 8 MiB block cache, which a 64 MiB read cycles. */
static void disk_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "3", 1) != 1)
			die("drop_caches");
		close(fd);
	}
}

/* One operation: write the 64 MiB file in 64 KiB pieces, and fsync. */
static int run_disk_write(long iters)
{
	for (long i = 0; i < iters; i++)
		disk_write_big();
	return 0;
}

/* One operation: read the 64 MiB file in 64 KiB pieces, from the disk. */
static int run_disk_read(long iters)
{
	for (long i = 0; i < iters; i++) {
		disk_drop_caches();
		int fd = open(DISK_FILE, O_RDONLY);
		size_t got = 0;
		ssize_t n;
		if (fd < 0)
			die("open");
		while ((n = read(fd, chunk_buf, CHUNK)) > 0)
			got += (size_t)n;
		if (n < 0 || got != DISK_BIG)
			die("read");
		close(fd);
	}
	return 0;
}

static int setup_small(void)
{
	if (setup_disk() < 0)
		return -1;
	if (mkdir(DISK_SMALL, 0755) < 0)
		die("mkdir");
	return 0;
}

static void teardown_small(void)
{
	rmdir(DISK_SMALL);
}

/* One operation per file: iters files of 100 bytes created in one
 * directory, then each stat'ed, then each removed. */
static int run_small(long iters)
{
	char path[64];
	struct stat st;

	for (int step = 0; step < 3; step++)
		for (long i = 0; i < iters; i++) {
			snprintf(path, sizeof(path), "%s/f%ld", DISK_SMALL, i);
			int fd;
			if (step == 0 &&
			    ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL,
					0644)) < 0 ||
			     write(fd, chunk_buf, 100) != 100 || close(fd) < 0))
				die("create");
			if (step == 1 && stat(path, &st) < 0)
				die("stat");
			if (step == 2 && unlink(path) < 0)
				die("unlink");
		}
	return 0;
}
#endif

/* The listener of unix_connect_accept, bound to a path name. */
#define SOCK_PATH "/tmp/bench.sock"
static int listen_fd = -1;

static int setup_listener(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = SOCK_PATH};

	unlink(SOCK_PATH);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(listen_fd, 8))
		return -1;
	return 0;
}

/* One operation: a new socket connects to the path name, the listener
 * accepts, both close. */
static int run_connect_accept(long iters)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = SOCK_PATH};

	for (long i = 0; i < iters; i++) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0), s;
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		if ((s = accept(listen_fd, NULL, NULL)) < 0)
			die("accept");
		close(s);
		close(c);
	}
	return 0;
}

static void teardown_listener(void)
{
	close(listen_fd);
	unlink(SOCK_PATH);
}

/* The TCP benchmarks over loopback (127.0.0.1): a connection to a child
 * that echoes (tcp_loopback_rtt_8b) or sends TCP_CHUNK bytes for each
 * byte it reads (tcp_loopback_1m). Linux's initramfs leaves lo down:
 * bring it up (root; lux's loopback is always up and says ENOTTY). */
#define TCP_CHUNK MIB

static void lo_up(void)
{
	struct ifreq r = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &r) == 0 &&
	    !(r.ifr_flags & IFF_UP)) {
		r.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &r);
	}
	if (fd >= 0)
		close(fd);
}

/* Connect to a child running child(fd) on the other end: 0, or -1 when
 * the system has no TCP/IP (n/a). */
static int setup_tcp(void (*child)(int))
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l, c, one = 1;

	lo_up();
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		return -1;
	echo_child = fork();
	if (echo_child < 0)
		die("fork");
	if (echo_child == 0) {
		close(l);
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			_exit(1);
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		child(c);
	}
	c = accept(l, NULL, NULL);
	close(l);
	if (c < 0)
		die("accept");
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	echo_fds[0] = echo_fds[1] = c;
	return 0;
}

static void tcp_echo(int fd)
{
	echo_loop(fd, fd);
}

static int setup_tcp_echo(void)
{
	return setup_tcp(tcp_echo);
}

/* Child of tcp_loopback_1m: TCP_CHUNK bytes for each byte read. */
static void tcp_source(int fd)
{
	char go;

	memset(chunk_buf, 'x', CHUNK);
	while (read(fd, &go, 1) == 1)
		for (size_t sent = 0; sent < TCP_CHUNK;) {
			ssize_t n = write(fd, chunk_buf, CHUNK);
			if (n <= 0)
				_exit(1);
			sent += (size_t)n;
		}
	_exit(0);
}

static int setup_tcp_source(void)
{
	return setup_tcp(tcp_source);
}

/* One operation: ask for TCP_CHUNK bytes and receive them all. */
static int run_tcp_bulk(long iters)
{
	for (long i = 0; i < iters; i++) {
		if (write(echo_fds[0], "g", 1) != 1)
			die("write");
		for (size_t got = 0; got < TCP_CHUNK;) {
			ssize_t n = read(echo_fds[0], chunk_buf, CHUNK);
			if (n <= 0)
				die("read");
			got += (size_t)n;
		}
	}
	return 0;
}

static const struct bench benches[] = {
    {"null_syscall", 20000, NULL, run_getppid, NULL},
    {"uname", 20000, NULL, run_uname, NULL},
    {"signal", 5000, setup_signal, run_signal, NULL},
    {"pipe_rtt_8b", 2000, setup_pipe, run_round_trip, teardown_echo},
    {"unix_stream_rtt_8b", 2000, setup_unix, run_round_trip, teardown_echo},
    {"unix_connect_accept", 200, setup_listener, run_connect_accept,
     teardown_listener},
    {"sched_yield_pingpong", 2000, setup_yield, run_yield, teardown_yield},
    {"fork_exit_wait", 200, NULL, run_fork_exit, NULL},
    {"fork_exec_wait", 50, NULL, run_fork_exec, NULL},
    {"mmap_touch_4m", 10, NULL, run_mmap_touch_4m, NULL},
    {"open_close", 2000, setup_file, run_open_close, teardown_file},
    {"stat", 2000, setup_file, run_stat, teardown_file},
    {"read_4k", 2000, setup_file, run_read_4k, teardown_file},
    {"fstat", 2000, setup_file, run_fstat, teardown_file},
    {"getdents64", 500, setup_dir, run_getdents64, teardown_dir},
    {"seq_read_16m", 3, setup_file, run_seq_read, teardown_file},
    {"seq_write_16m", 3, setup_file, run_seq_write, teardown_file},
    {"mmap_touch_64m", 3, NULL, run_mmap_touch_64m, NULL},
    /* after the fork rows: their parent touches chunk_buf, which a
     * fork would then have to copy */
    {"tcp_loopback_rtt_8b", 500, setup_tcp_echo, run_round_trip, teardown_echo},
    {"tcp_loopback_1m", 10, setup_tcp_source, run_tcp_bulk, teardown_echo},
#ifdef BENCH_DISK
    {"disk_seq_write_64m", 2, setup_disk, run_disk_write, teardown_disk_file},
    {"disk_seq_read_64m", 2, setup_disk_file, run_disk_read,
     teardown_disk_file},
    {"disk_small_files", 500, setup_small, run_small, teardown_small},
#endif
};

/* Where tools/bench/trace.py starts and stops its instruction trace: a
 * function of its own that it can set a breakpoint on. */
__attribute__((noinline)) void trace_mark(void)
{
	__asm__ volatile("" ::: "memory");
}

/* Run one benchmark: set up, warm up with a tenth of the iterations (at
 * least one), then time the rest and print its line; or, if `trace`, run
 * one more between two trace marks. */
static void bench_run(const struct bench *b, int trace)
{
	long warm = b->iters / 10 ? b->iters / 10 : 1;
	uint64_t start, end;

	if (b->setup && b->setup() < 0) {
		printf("bench: %s n/a\n", b->name);
		fflush(stdout);
		return;
	}
	b->run(warm);
	if (trace) {
		trace_mark();
		b->run(1);
		trace_mark();
		if (b->teardown)
			b->teardown();
		return;
	}
	start = now_ns();
	b->run(b->iters);
	end = now_ns();
	if (b->teardown)
		b->teardown();
	printf("bench: %s %.1f ns\n", b->name,
	       (double)(end - start) / (double)b->iters);
	fflush(stdout);
}

static int wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

/* The time since the machine was reset, or 0 where not known: under QEMU
 * with -icount the CPU's counter (ut_cpu_counter) reads the instruction
 * clock on platforms whose utest_arch.h says UT_COUNTER_RESET_NS, one tick
 * a nanosecond from power-on (firmware included), whatever the guest
 * kernel. */
static uint64_t reset_ns(void)
{
#ifdef UT_COUNTER_RESET_NS
	return ut_cpu_counter();
#else
	return 0;
#endif
}

/* Print a boot metric: the time since reset `at`, taken first thing in
 * main (reset_ns), or n/a where not known. */
static void boot_time(FILE *f, const char *name, uint64_t at)
{
	if (at)
		fprintf(f, "bench: %s %llu ns\n", name, (unsigned long long)at);
	else
		fprintf(f, "bench: %s n/a\n", name);
	fflush(f);
}

/* The memory in use once the system is up (sysinfo: total less free,
 * whatever holds it: kernel, servers, file contents). */
static void mem_report(void)
{
	struct sysinfo si;

	if (sysinfo(&si) == 0)
		printf("bench: mem_used_after_boot %llu KiB\n",
		       (unsigned long long)(si.totalram - si.freeram) *
			   si.mem_unit / 1024);
	else
		printf("bench: mem_used_after_boot n/a\n");
	fflush(stdout);
}

/* One pair of smp_pairs: a socketpair, an echo child, a warm-up; then
 * report ready on `ready`, wait for `start` to reach EOF and time nothing:
 * the parent times all pairs together. Never returns. */
static void smp_pair(long iters, int ready, int start)
{
	char c = 0;

	if (setup_unix() < 0)
		die("socketpair");
	run_round_trip(iters / 10 ? iters / 10 : 1);
	if (write(ready, &c, 1) != 1)
		die("write");
	if (read(start, &c, 1) < 0)
		die("read");
	run_round_trip(iters);
	teardown_echo();
	_exit(0);
}

/* `pairs` process pairs ping-pong `iters` round trips each, all released
 * together once every pair has warmed up; prints the wall time divided by
 * all the round trips: the cost of one at the aggregate throughput. */
static void smp_pairs(long iters, int pairs)
{
	int ready[2], start[2];
	uint64_t t0, t1;
	char c;

	if (pipe(ready) < 0 || pipe(start) < 0)
		die("pipe");
	for (int i = 0; i < pairs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(ready[0]);
			close(start[1]);
			smp_pair(iters, ready[1], start[0]);
		}
	}
	close(ready[1]);
	close(start[0]);
	for (int i = 0; i < pairs; i++)
		if (read(ready[0], &c, 1) != 1)
			die("read");
	t0 = now_ns();
	close(start[1]);
	for (int i = 0; i < pairs; i++)
		if (wait(NULL) < 0)
			die("wait");
	t1 = now_ns();
	close(ready[0]);
	printf("bench: smp_unix_pairs_%d %.1f ns\n", pairs,
	       (double)(t1 - t0) / ((double)iters * pairs));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	uint64_t start = reset_ns(); /* the boot metrics' instant */

	if (argc == 2 && !strcmp(argv[1], "exit"))
		return 0;
	if (argc >= 3 && !strcmp(argv[1], "first-user")) {
		boot_time(stdout, "boot_to_first_user", start);
		execv(argv[2], argv + 2); /* the environment passes on */
		die("execv");
	}
	if (argc == 2 && !strcmp(argv[1], "prompt")) {
		boot_time(stderr, "boot_to_prompt", start);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "smp")) {
		for (int i = 3; i < argc; i++)
			smp_pairs(atol(argv[2]), atoi(argv[i]));
		printf("bench: done\n");
		fflush(stdout);
		return 0;
	}
	int trace = argc == 3 && !strcmp(argv[1], "trace");

	if (argc < 2)
		mem_report();
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (wanted(benches[i].name, argc, argv))
			bench_run(&benches[i], trace);
	printf("bench: done\n");
	fflush(stdout);
	return 0;
}
