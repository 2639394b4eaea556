/*
 * procfs - the /proc server: a directory per process with its stat,
 * status, cmdline, comm, maps and mounts, the links exe and cwd, the
 * directories fd/ (a link per descriptor) and task/ (a directory per
 * thread), all from LUX_NR_PROCINFO; "self" (a symbolic link to the
 * caller's own directory); meminfo, uptime, loadavg, stat, cpuinfo,
 * mounts (lumen's /run/mounts, read at open) and the sys/ values programs
 * read (docs/procfs.md lists them all).
 *
 * A file's text is made when it is opened (text.c) and kept with the
 * open object, so reads at any offset see one snapshot, as on Linux.
 * Directories are listed afresh at each GETDENTS; a position in the root
 * is the index of a fixed entry, or FIRST_PID + the pid to go on from.
 * What Linux guards by its ptrace read rule (exe, cwd, fd/, maps) is
 * checked here against the request's ids, which the kernel gives.
 */
#include "text.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <lux.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0
#define PROCFS_DEV       makedev(0, 4)
#define OPENS_MAX        4096
#define FIRST_PID        64      /* root positions from here on are pids */
#define DIRENT_HEADER    19      /* linux_dirent64 before its name */
#define PID_MAX          4194304 /* Linux's largest; lux's pids never wrap */
#define PIPE_MAX         65536   /* a pipe's buffer (kernel/ipc/pipe.c) */
#define STACK_TOP        (LUX_PERSONA_BASE - 4096) /* a program's stack */

/* What a path names. */
enum kind {
	ROOT,
	SELF,
	MEMINFO,
	UPTIME,
	LOADAVG,
	SYSSTAT,
	CPUINFO,
	MOUNTS,
	FILESYSTEMS,
	SYS_DIR, /* sys/ and its directories (sub: the index in sys_paths) */
	NFIXED,
	PID_DIR = NFIXED,
	PID_STAT,
	PID_STATUS,
	PID_CMDLINE,
	PID_COMM,
	PID_MAPS,
	PID_MOUNTS,
	PID_EXE,
	PID_CWD,
	PID_FD,
	PID_TASK,
	FD_LINK,  /* fd/N (sub: N) */
	TASK_DIR, /* task/TID (sub: the tid), and its files */
	TASK_STAT,
	TASK_STATUS,
	TASK_COMM,
	SYS_FILE, /* sub: the index in sys_paths */
};

static const char *const names[] = {
    [ROOT] = ".",
    [SELF] = "self",
    [MEMINFO] = "meminfo",
    [UPTIME] = "uptime",
    [LOADAVG] = "loadavg",
    [SYSSTAT] = "stat",
    [CPUINFO] = "cpuinfo",
    [MOUNTS] = "mounts",
    [FILESYSTEMS] = "filesystems",
    [SYS_DIR] = "sys",
    [PID_DIR] = ".",
    [PID_STAT] = "stat",
    [PID_STATUS] = "status",
    [PID_CMDLINE] = "cmdline",
    [PID_COMM] = "comm",
    [PID_MAPS] = "maps",
    [PID_MOUNTS] = "mounts",
    [PID_EXE] = "exe",
    [PID_CWD] = "cwd",
    [PID_FD] = "fd",
    [PID_TASK] = "task",
    [TASK_STAT] = "stat",
    [TASK_STATUS] = "status",
    [TASK_COMM] = "comm",
};

/* /proc/sys: its directories (the first SYS_DIRS), then its files. */
static const char *const sys_paths[] = {
    "",
    "kernel",
    "vm",
    "fs",
    "kernel/pid_max",
    "kernel/ostype",
    "kernel/osrelease",
    "kernel/hostname",
    "kernel/ngroups_max",
    "kernel/threads-max",
    "vm/overcommit_memory",
    "vm/max_map_count",
    "fs/file-max",
    "fs/nr_open",
    "fs/pipe-max-size",
    "fs/lease-break-time",
};
#define SYS_DIRS 4
#define SYS_N    (int)(sizeof(sys_paths) / sizeof(sys_paths[0]))

/* An open object: what it names and, for a file, its text. */
struct open {
	enum kind kind;
	int pid, sub;
	char *text;
	size_t len;
};

static struct open *opens[OPENS_MAX];

/* A path resolved: its kind (or a negative errno), pid and sub; `link`
 * is the length of the prefix naming a link (self, exe, cwd, fd/N) when
 * the path is one or goes through one. */
struct node {
	int kind, pid, sub;
	size_t link;
};

/* The process pid as PROCINFO gives it, or false if there is none. */
static bool process(int pid, struct lux_procinfo *info)
{
	return pid > 0 && lux_procinfo(pid, info) == 0 && info->pid == pid;
}

/* A whole decimal number of len bytes at s (no leading zero unless it is
 * "0"); -1 if it is not one. */
static int parse_num(const char *s, size_t len)
{
	long n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || n > 99999999)
			return -1;
		n = n * 10 + s[i] - '0';
	}
	return len && (s[0] != '0' || len == 1) ? (int)n : -1;
}

/* The number that is the first component of s; -1 if it is not one. */
static int first_num(const char *s)
{
	const char *slash = strchr(s, '/');
	return parse_num(s, slash ? (size_t)(slash - s) : strlen(s));
}

/* Whether path starts with the whole component name; *after is then
 * what follows it (a '/' or the end). */
static bool component(const char *path, const char *name, const char **after)
{
	size_t len = strlen(name);

	*after = path + len;
	return !strncmp(path, name, len) && (!path[len] || path[len] == '/');
}

static bool is_dir(int kind)
{
	return kind == ROOT || kind == PID_DIR || kind == PID_FD ||
	       kind == PID_TASK || kind == TASK_DIR || kind == SYS_DIR;
}

static bool is_link(int kind)
{
	return kind == SELF || kind == PID_EXE || kind == PID_CWD ||
	       kind == FD_LINK;
}

/* What Linux guards by the ptrace read rule. */
static bool guarded(int kind)
{
	return kind == PID_MAPS || kind == PID_FD || kind == FD_LINK ||
	       kind == PID_EXE || kind == PID_CWD;
}

/* Thread tid of process pid, or false. */
static bool has_task(int pid, int tid)
{
	int32_t tids[1024];
	long n = syscall(LUX_NR_PROCINFO, pid, tids, (long)LUX_PROCINFO_TASKS,
			 sizeof(tids)) /
		 4;

	for (long i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* What "sys/" + rest names. */
static struct node resolve_sys(const char *rest)
{
	for (int i = 0; i < SYS_N; i++)
		if (!strcmp(rest, sys_paths[i]))
			return (struct node){i < SYS_DIRS ? SYS_DIR : SYS_FILE,
					     0, i, 0};
	return (struct node){-ENOENT, 0, 0, 0};
}

/* What task/ + rest of process pid names. */
static struct node resolve_task(const char *rest, int pid)
{
	int tid = first_num(rest);
	const char *after = rest + (tid < 0 ? 0 : strcspn(rest, "/"));

	if (!*rest)
		return (struct node){PID_TASK, pid, 0, 0};
	if (tid < 0 || !has_task(pid, tid))
		return (struct node){-ENOENT, 0, 0, 0};
	if (!*after || !after[1])
		return (struct node){TASK_DIR, pid, tid, 0};
	for (int k = TASK_STAT; k <= TASK_COMM; k++)
		if (component(after + 1, names[k], &rest))
			return (struct node){*rest ? -ENOTDIR : k, pid, tid, 0};
	return (struct node){-ENOENT, 0, 0, 0};
}

/* What path (whose part rest follows "PID/") of process pid names. */
static struct node resolve_pid(const char *path, const char *rest, int pid)
{
	const char *after;
	int fd;

	if (!*rest)
		return (struct node){PID_DIR, pid, 0, 0};
	for (int k = PID_STAT; k <= PID_TASK; k++) {
		if (!component(rest, names[k], &after))
			continue;
		if (is_link(k))
			return (struct node){k, pid, 0, after - path};
		if (k == PID_TASK)
			return resolve_task(*after ? after + 1 : after, pid);
		if (k != PID_FD || !*after || !after[1])
			return (struct node){
			    *after && !is_dir(k) ? -ENOTDIR : k, pid, 0, 0};
		if ((fd = first_num(after + 1)) < 0 || fd >= LUX_FD_MAX)
			return (struct node){-ENOENT, 0, 0, 0};
		return (struct node){FD_LINK, pid, fd,
				     after + 1 + strcspn(after + 1, "/") -
					 path};
	}
	return (struct node){-ENOENT, 0, 0, 0};
}

static struct node resolve(const char *path)
{
	struct lux_procinfo info;
	const char *after, *slash = strchr(path, '/');
	int pid;

	if (!*path)
		return (struct node){ROOT, 0, 0, 0};
	if (component(path, names[SELF], &after))
		return (struct node){SELF, 0, 0, after - path};
	if (component(path, names[SYS_DIR], &after))
		return resolve_sys(*after ? after + 1 : after);
	for (int k = SELF + 1; k < SYS_DIR; k++)
		if (component(path, names[k], &after))
			return (struct node){*after ? -ENOTDIR : k, 0, 0, 0};
	pid = first_num(path);
	if (!process(pid, &info))
		return (struct node){-ENOENT, 0, 0, 0};
	return resolve_pid(path, slash ? slash + 1 : "", pid);
}

/* The request's (first) path; "" (the root) when it carries none. */
static const char *path_of(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	return path ? path : "";
}

/* Whether request m must follow the link its path names (at the end, or
 * on the way to something inside). */
static bool follows(const struct lux_msg *m, const struct node *n)
{
	return is_link(n->kind) &&
	       (path_of(m)[n->link] == '/' || lux_req_follows(&m->req));
}

/* Whether the caller of q may read process pid's memory: Linux's ptrace
 * read rule (it is pid, or root, or all of pid's ids are its own). */
static bool may_read(const struct lux_req *q, int pid)
{
	struct lux_cred c;

	if (q->pid == pid || q->uid == 0)
		return true;
	if (syscall(LUX_NR_CRED, pid, &c))
		return false;
	for (int i = 0; i < 3; i++)
		if (c.uid[i] != q->uid || c.gid[i] != q->gid)
			return false;
	return true;
}

/* The target of link n, for q's caller, into buf: its length, or
 * -errno. A descriptor that no path names reads as Linux shows it. */
static int link_text(const struct lux_req *q, const struct node *n, char *buf,
		     size_t size)
{
	static const long items[] = {[PID_EXE] = LUX_PROCINFO_EXE,
				     [PID_CWD] = LUX_PROCINFO_CWD,
				     [FD_LINK] = LUX_PROCINFO_FD};
	char raw[sizeof(struct lux_fdinfo) + PATH_MAX];
	struct lux_fdinfo fi;
	const char *path = raw + sizeof(fi);

	if (n->kind == SELF)
		return snprintf(buf, size, "%d", q->pid);
	if (!may_read(q, n->pid))
		return -EACCES;
	if (syscall(LUX_NR_PROCINFO, n->pid, raw, items[n->kind] + n->sub,
		    sizeof(raw)) < 0) /* items[] are longs */
		return errno == EBADF ? -ENOENT : -errno;
	if (n->kind != FD_LINK)
		return snprintf(buf, size, "%s", raw);
	memcpy(&fi, raw, sizeof(fi));
	if (*path == '/')
		return snprintf(buf, size, "%s", path);
	if (*path || !fi.mode)
		return snprintf(buf, size, "anon_inode:[%s]", path);
	if (S_ISREG(fi.mode)) /* a memory object: an unnamed file */
		return snprintf(buf, size, "/memfd: (deleted)");
	return snprintf(buf, size, "%s:[%" PRIu64 "]",
			S_ISFIFO(fi.mode)   ? "pipe"
			: S_ISSOCK(fi.mode) ? "socket"
					    : "anon_inode",
			fi.ino);
}

static void reply_follow(const struct lux_msg *m, const struct node *n)
{
	char target[PATH_MAX];
	struct lux_rep r = {.op = LUX_FOLLOW, .off = n->link};
	int len = link_text(&m->req, n, target, sizeof(target));

	if (len >= 0 && m->req.op == LUX_OPEN && n->kind == FD_LINK &&
	    path_of(m)[n->link] != '/' && !strncmp(target, "pipe:", 5)) {
		r = (struct lux_rep){.op = LUX_REPLY,
				     .result = -LUX_EREOPEN,
				     .off = n->pid,
				     .off2 = n->sub};
		len = 0; /* an anonymous pipe: the kernel reopens it */
	} else if (len >= 0 && n->kind != SELF && target[0] != '/') {
		len = -ENXIO; /* a socket: lux cannot reopen it */
	}
	if (len < 0)
		lux_reply(LUX_SERVER_FD, &m->req, len, NULL, 0);
	else
		lux_reply_full(LUX_SERVER_FD, &m->req, &r, target, len);
}

/* Append the file at path to f; 0 or -errno. */
static int copy_file(const char *path, FILE *f)
{
	char buf[4096];
	long n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, f);
	close(fd);
	return n < 0 ? -EIO : 0;
}

/* loadavg and stat: counts and run times over every process. The sum of
 * the live processes' times shrinks when one exits, so the busy and idle
 * figures never go below what was shown before (lux keeps no per-CPU
 * idle time: idle is the CPUs' time since boot minus the busy time). */
static int process_totals(int k, uint64_t now_ns, FILE *f)
{
	static uint64_t shown_busy, shown_idle;
	struct lux_procinfo info;
	uint64_t busy = 0, all_ns;
	int running = 0, all = 0, last = 0;
	struct timespec rt;

	for (int pid = 1; lux_procinfo(pid, &info) == 0; pid = info.pid + 1) {
		running += info.state == 'R';
		all++;
		last = info.pid;
		busy += info.cpu_ns / (1000000000 / PROCFS_HZ);
	}
	if (k == LOADAVG) {
		procfs_loadavg(f, running, all, last);
		return 0;
	}
	all_ns = now_ns * (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
	shown_busy = busy > shown_busy ? busy : shown_busy;
	uint64_t idle = all_ns / (1000000000 / PROCFS_HZ);
	idle = idle > shown_busy ? idle - shown_busy : 0;
	shown_idle = idle > shown_idle ? idle : shown_idle;
	clock_gettime(CLOCK_REALTIME, &rt);
	procfs_sysstat(f, shown_busy, shown_idle,
		       rt.tv_sec - now_ns / 1000000000, running);
	return 0;
}

/* /proc/sys/<path>'s value (index i of sys_paths). */
static void sys_text(int i, FILE *f)
{
	const char *p = sys_paths[i];
	struct utsname u;
	struct rlimit rl;

	uname(&u);
	getrlimit(RLIMIT_NPROC, &rl);
	if (!strcmp(p, "kernel/pid_max"))
		fprintf(f, "%d\n", PID_MAX);
	else if (!strcmp(p, "kernel/ostype"))
		fprintf(f, "%s\n", u.sysname);
	else if (!strcmp(p, "kernel/osrelease"))
		fprintf(f, "%s\n", u.release);
	else if (!strcmp(p, "kernel/hostname"))
		fprintf(f, "%s\n", u.nodename);
	else if (!strcmp(p, "kernel/ngroups_max"))
		fprintf(f, "%d\n", LUX_NGROUPS);
	else if (!strcmp(p, "kernel/threads-max")) /* RLIMIT_NPROC: half */
		fprintf(f, "%llu\n", (unsigned long long)rl.rlim_max * 2);
	else if (!strcmp(p, "vm/overcommit_memory"))
		fprintf(f, "0\n"); /* pages come at first touch, as Linux's 0 */
	else if (!strcmp(p, "vm/max_map_count"))
		fprintf(f, "65530\n"); /* Linux's; lux has no lower bound */
	else if (!strcmp(p, "fs/file-max"))
		fprintf(f, "%lld\n", (long long)INT64_MAX); /* only memory */
	else if (!strcmp(p, "fs/nr_open"))
		fprintf(f, "%d\n", LUX_FD_MAX);
	else if (!strcmp(p, "fs/lease-break-time"))
		fprintf(f, "45\n"); /* every server's (user/lib/lock.c) */
	else
		fprintf(f, "%d\n", PIPE_MAX);
}

/* /proc/<pid>/maps: every area of process pid; 0 or -errno. */
static int maps_text(int pid, FILE *f)
{
	struct lux_mapinfo m[64];
	uint64_t from = 0;
	long n;

	do {
		memcpy(m, &from, sizeof(from));
		if ((n = syscall(LUX_NR_PROCINFO, pid, m,
				 (long)LUX_PROCINFO_MAPS, sizeof(m))) < 0)
			return -errno;
		n /= sizeof(m[0]);
		for (long i = 0; i < n; i++)
			procfs_map(f, &m[i], STACK_TOP);
		from = n ? m[n - 1].end : from;
	} while (n == 64);
	return 0;
}

/* The text of a process's file of kind k (process pid, thread sub). */
static int pid_text(int k, int pid, int sub, const struct lux_req *q, FILE *f)
{
	struct lux_procinfo info;

	if (!process(pid, &info))
		return -ESRCH;
	if (info.pid == q->pid)
		info.state = 'R'; /* it is making this call */
	if (k >= TASK_STAT)
		info.pid = sub;
	if (k == PID_STAT || k == TASK_STAT)
		procfs_stat(f, &info);
	else if (k == PID_STATUS || k == TASK_STATUS)
		procfs_status(f, &info);
	else if (k == PID_CMDLINE)
		procfs_cmdline(f, &info);
	else if (k == PID_COMM || k == TASK_COMM)
		fprintf(f, "%.16s\n", info.name);
	else if (k == PID_MAPS)
		return maps_text(pid, f);
	else
		return copy_file("/run/mounts", f);
	return 0;
}

/* The text of a file of kind k (about process pid, thread or value
 * sub, for q's caller). */
static int make_text(int k, int pid, int sub, const struct lux_req *q,
		     char **text, size_t *len)
{
	struct timespec now;
	struct sysinfo si;
	FILE *f = open_memstream(text, len);
	int r = 0;

	if (!f)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t now_ns = now.tv_sec * 1000000000ULL + now.tv_nsec;
	if (k == SYS_FILE) {
		sys_text(sub, f);
	} else if (k >= PID_STAT) {
		r = pid_text(k, pid, sub, q, f);
	} else if (k == MEMINFO) {
		if (sysinfo(&si))
			r = -errno;
		uint64_t u = si.mem_unit;
		struct procfs_mem m = {si.totalram * u,  si.freeram * u,
				       si.sharedram * u, si.bufferram * u,
				       si.totalswap * u, si.freeswap * u};
		procfs_meminfo(f, &m);
	} else if (k == UPTIME) {
		procfs_uptime(f, now_ns, 0);
	} else if (k == CPUINFO) {
		char line[256];
		long n;
		for (int cpu = 0;
		     (n = lux_cpuinfo(cpu, line, sizeof(line) - 1)) >= 0;
		     cpu++) {
			line[n] = 0;
			procfs_cpuinfo(f, cpu, line);
		}
	} else if (k == MOUNTS) {
		r = copy_file("/run/mounts", f);
	} else if (k == FILESYSTEMS) { /* the types mount(2) starts */
		fputs("nodev\tramfs\nnodev\ttmpfs\n\text2\n", f);
	} else {
		r = process_totals(k, now_ns, f);
	}
	if (fclose(f) || r) {
		free(*text);
		*text = NULL;
		return r ? r : -ENOMEM;
	}
	return 0;
}

/* The open object a request's handle names, or NULL. */
static struct open *open_of(const struct lux_req *q)
{
	return q->handle && q->handle <= OPENS_MAX ? opens[q->handle - 1]
						   : NULL;
}

static int open_check(const struct lux_req *q, const struct node *n)
{
	int kind = n->kind;

	if (is_link(kind))
		return -ELOOP; /* LUX_O_NOFOLLOW on the link */
	if (guarded(kind) && !may_read(q, n->pid))
		return -EACCES;
	if ((q->flags & (LUX_O_CREAT | LUX_O_EXCL)) ==
	    (LUX_O_CREAT | LUX_O_EXCL))
		return -EEXIST;
	if (is_dir(kind) && ((q->flags & LUX_O_ACCMODE) != LUX_O_RDONLY ||
			     (q->flags & (LUX_O_CREAT | LUX_O_TRUNC))))
		return -EISDIR;
	if (!is_dir(kind) && (q->flags & LUX_O_DIRECTORY))
		return -ENOTDIR;
	if ((q->flags & LUX_O_ACCMODE) != LUX_O_RDONLY ||
	    (q->flags & LUX_O_EXEC))
		return -EACCES;
	return 0;
}

static void do_open(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	struct node n = resolve(path_of(m));
	struct lux_rep r = {0};
	struct open *o = NULL;
	int slot = 0;

	if (follows(m, &n))
		return reply_follow(m, &n);
	if (n.kind == -ENOENT && (q->flags & LUX_O_CREAT))
		n.kind = -EACCES;
	int err = n.kind < 0 ? n.kind : open_check(q, &n);
	while (!err && slot < OPENS_MAX && opens[slot])
		slot++;
	if (!err && (slot == OPENS_MAX || !(o = calloc(1, sizeof(*o)))))
		err = slot == OPENS_MAX ? -ENFILE : -ENOMEM;
	if (!err && !is_dir(n.kind))
		err = make_text(n.kind, n.pid, n.sub, q, &o->text, &o->len);
	if (err) {
		free(o);
		lux_reply(LUX_SERVER_FD, q, err, NULL, 0);
		return;
	}
	o->kind = n.kind;
	o->pid = n.pid;
	o->sub = n.sub;
	opens[slot] = o;
	r.handle = slot + 1;
	r.mode = is_dir(n.kind) ? LUX_S_IFDIR | (n.kind == PID_FD ? 0500 : 0555)
				: LUX_S_IFREG | 0444;
	r.events = LUX_POLLIN;
	lux_reply_full(LUX_SERVER_FD, q, &r, NULL, 0);
}

static void do_read(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	struct open *o = open_of(q);
	size_t n = 0;

	if (o && !is_dir(o->kind) && q->off < o->len)
		n = o->len - q->off < q->count ? o->len - q->off : q->count;
	n = n < LUX_MAX_DATA ? n : LUX_MAX_DATA;
	lux_reply(LUX_SERVER_FD, q,
		  !o                ? -EBADF
		  : is_dir(o->kind) ? -EISDIR
				    : (int64_t)n,
		  o && n ? o->text + q->off : NULL, n);
}

/* Append one linux_dirent64 record to buf (used of size bytes); false
 * if it does not fit. */
static bool dirent(char *buf, size_t size, size_t *used, uint64_t ino,
		   int64_t next, int type, const char *name)
{
	size_t len = (DIRENT_HEADER + strlen(name) + 1 + 7) & ~(size_t)7;
	uint16_t reclen = len;

	if (*used + len > size)
		return false;
	memset(buf + *used, 0, len);
	memcpy(buf + *used, &ino, 8);
	memcpy(buf + *used + 8, &next, 8);
	memcpy(buf + *used + 16, &reclen, 2);
	buf[*used + 18] = type;
	strcpy(buf + *used + DIRENT_HEADER, name);
	*used += len;
	return true;
}

static uint64_t ino_of(int kind, int pid, int sub)
{
	uint64_t low = (uint64_t)sub << 6 | (unsigned)kind;
	return pid ? (uint64_t)pid << 32 | low : low + 1;
}

/* One directory entry: its name, type, inode and the position after. */
struct entry {
	char name[24];
	int type;
	uint64_t ino, next;
};

/* A fixed entry of kind k (of process pid, thread sub) at position pos. */
static bool fixed_entry(int k, int pid, int sub, uint64_t pos, struct entry *e)
{
	*e = (struct entry){.type = is_dir(k)    ? DT_DIR
				    : is_link(k) ? DT_LNK
						 : DT_REG,
			    .ino = ino_of(k, pid, sub),
			    .next = pos + 1};
	snprintf(e->name, sizeof(e->name), "%s", names[k]);
	return true;
}

/* The entry of /proc/sys directory d at or after position pos. */
static bool sys_entry(int d, uint64_t pos, struct entry *e)
{
	size_t len = strlen(sys_paths[d]);

	for (int i = pos - 2; i < SYS_N; i++) {
		const char *p = sys_paths[i], *name = p + len + (len != 0);
		if (!i || strncmp(p, sys_paths[d], len) ||
		    (len && p[len] != '/') || strchr(name, '/'))
			continue;
		*e = (struct entry){
		    .type = i < SYS_DIRS ? DT_DIR : DT_REG,
		    .ino = ino_of(i < SYS_DIRS ? SYS_DIR : SYS_FILE, 0, i),
		    .next = i + 3};
		snprintf(e->name, sizeof(e->name), "%s", name);
		return true;
	}
	return false;
}

/* The numbered entry (a pid, descriptor or thread) of directory o at or
 * after position pos. */
static bool num_entry(const struct open *o, uint64_t pos, struct entry *e)
{
	struct lux_procinfo info;
	char raw[sizeof(struct lux_fdinfo) + PATH_MAX];
	int32_t tids[1024];
	long n = 0, num = -1;

	if (o->kind == ROOT && pos - FIRST_PID < INT_MAX &&
	    lux_procinfo(pos - FIRST_PID, &info) == 0)
		num = info.pid, pos = FIRST_PID + num;
	for (long fd = pos - 2; o->kind == PID_FD && fd < LUX_FD_MAX; fd++)
		if (syscall(LUX_NR_PROCINFO, o->pid, raw,
			    (long)LUX_PROCINFO_FD + fd, sizeof(raw)) >= 0) {
			num = fd, pos = fd + 2;
			break;
		}
	if (o->kind == PID_TASK)
		n = syscall(LUX_NR_PROCINFO, o->pid, tids,
			    (long)LUX_PROCINFO_TASKS, sizeof(tids)) /
		    4;
	if (o->kind == PID_TASK && (long)pos - 2 < n)
		num = tids[pos - 2];
	if (num < 0)
		return false;
	*e = (struct entry){.type = o->kind == PID_FD ? DT_LNK : DT_DIR,
			    .ino = o->kind == ROOT ? ino_of(PID_DIR, num, 0)
				   : o->kind == PID_FD
				       ? ino_of(FD_LINK, o->pid, num)
				       : ino_of(TASK_DIR, o->pid, num),
			    .next = pos + 1};
	snprintf(e->name, sizeof(e->name), "%ld", num);
	return true;
}

/* The entry of directory o at or after position pos, or false at its
 * end: ".", "..", then its fixed names, then its numbered ones. */
static bool dir_entry(const struct open *o, uint64_t pos, struct entry *e)
{
	static const int first[] = {
	    [ROOT] = SELF, [PID_DIR] = PID_STAT, [TASK_DIR] = TASK_STAT};
	static const int last[] = {
	    [ROOT] = SYS_DIR, [PID_DIR] = PID_TASK, [TASK_DIR] = TASK_COMM};
	int k = o->kind;

	if (pos < 2) {
		fixed_entry(ROOT, o->pid, o->sub, pos, e);
		strcpy(e->name, pos ? ".." : ".");
		return true;
	}
	if (k == SYS_DIR)
		return sys_entry(o->sub, pos, e);
	if ((k == ROOT || k == PID_DIR || k == TASK_DIR) &&
	    first[k] + (int)pos - 2 <= last[k])
		return fixed_entry(first[k] + pos - 2, o->pid, o->sub, pos, e);
	if (k == ROOT && pos < FIRST_PID)
		pos = FIRST_PID;
	return k != PID_DIR && k != TASK_DIR && num_entry(o, pos, e);
}

/* Entries from position pos on, as many as the request has room for. */
static void do_getdents(const struct lux_msg *m)
{
	static char buf[LUX_MAX_DATA];
	const struct lux_req *q = &m->req;
	struct open *o = open_of(q);
	size_t size = q->count < sizeof(buf) ? q->count : sizeof(buf), used = 0;
	uint64_t pos = q->off;
	struct lux_rep r = {0};
	struct entry e;
	bool full = false;

	if (!o || !is_dir(o->kind)) {
		lux_reply(LUX_SERVER_FD, q, o ? -ENOTDIR : -EBADF, NULL, 0);
		return;
	}
	while (!full && dir_entry(o, pos, &e)) {
		full = !dirent(buf, size, &used, e.ino, e.next, e.type, e.name);
		if (!full)
			pos = e.next;
	}
	r.result = full && !used ? -EINVAL : (int64_t)used;
	r.off = pos;
	lux_reply_full(LUX_SERVER_FD, q, &r, buf, used);
}

/* The node a request names by handle or path (FOLLOW already ruled
 * out by the caller for paths through "self"). */
static struct node node_of(const struct lux_msg *m)
{
	struct open *o = open_of(&m->req);

	if (m->req.handle)
		return o ? (struct node){o->kind, o->pid, o->sub, 0}
			 : (struct node){-EBADF, 0, 0, 0};
	return resolve(path_of(m));
}

/* Owner and times of node n: a process's for its files, else root's
 * and the boot's (stable, as Linux's /proc is the mount's); false if the
 * process has gone. */
static bool owner(const struct node *n, struct lux_stat *st)
{
	static int64_t boot_realtime;
	struct lux_procinfo info;
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (!boot_realtime)
		boot_realtime = (rt.tv_sec - mono.tv_sec) * 1000000000LL +
				rt.tv_nsec - mono.tv_nsec;
	int64_t ns = boot_realtime;
	if (n->pid) {
		if (!process(n->pid, &info))
			return false;
		st->uid = info.uid;
		st->gid = info.gid;
		ns = boot_realtime + (int64_t)info.start_ns;
	}
	for (int t = 0; t < 3; t++) {
		st->time[t][0] = ns / 1000000000;
		st->time[t][1] = ns % 1000000000;
	}
	return true;
}

static void do_stat(const struct lux_msg *m, const struct node *n)
{
	struct lux_stat st = {.dev = PROCFS_DEV, .nlink = 1, .blksize = 1024};
	struct lux_req q = m->req;
	char target[PATH_MAX];
	int err = n->kind < 0 ? n->kind : 0;

	q.uid = 0; /* a link's own stat needs no right to follow it */
	if (!err && n->kind == FD_LINK &&
	    link_text(&q, n, target, sizeof(target)) < 0)
		err = -ENOENT;
	if (err || !owner(n, &st)) {
		lux_reply(LUX_SERVER_FD, &m->req, err ? err : -ENOENT, NULL, 0);
		return;
	}
	st.ino = ino_of(n->kind, n->pid, n->sub);
	if (is_link(n->kind)) {
		st.mode = LUX_S_IFLNK | (n->kind == FD_LINK ? 0700 : 0777);
		if (n->kind == SELF)
			st.size =
			    snprintf(target, sizeof(target), "%d", m->req.pid);
	} else if (is_dir(n->kind)) {
		st.mode = LUX_S_IFDIR | (n->kind == PID_FD ? 0500 : 0555);
		st.nlink = n->kind == PID_DIR ? 2 : 1; /* 1: count unknown */
	} else {
		st.mode = LUX_S_IFREG | 0444;
	}
	lux_reply(LUX_SERVER_FD, &m->req, 0, &st, sizeof(st));
}

static void do_readlink(const struct lux_msg *m, const struct node *n)
{
	char target[PATH_MAX];
	int len = n->kind < 0 ? n->kind
		  : is_link(n->kind)
		      ? link_text(&m->req, n, target, sizeof(target))
		      : -EINVAL;

	len = len < (int)sizeof(target) ? len : -ENAMETOOLONG;
	lux_reply(LUX_SERVER_FD, &m->req, len, len > 0 ? target : NULL,
		  len > 0 ? len : 0);
}

/* access(2): everyone may read and search; only root may "write"
 * (as on Linux, where root passes the permission bits). */
static int access_check(const struct lux_req *q, const struct node *n)
{
	if (n->kind < 0)
		return n->kind;
	if ((q->mode & LUX_X_OK) && !is_dir(n->kind))
		return -EACCES;
	if ((q->mode & LUX_W_OK) && q->uid != 0)
		return -EACCES;
	return 0;
}

static void do_statfs(const struct lux_msg *m, const struct node *n)
{
	struct lux_statfs sf = {.type = PROC_SUPER_MAGIC,
				.bsize = 4096,
				.namelen = 255,
				.frsize = 4096};

	lux_reply(LUX_SERVER_FD, &m->req, n->kind < 0 ? n->kind : 0, &sf,
		  n->kind < 0 ? 0 : sizeof(sf));
}

static void do_close(const struct lux_req *q)
{
	struct open *o = open_of(q);

	if (o) {
		opens[q->handle - 1] = NULL;
		free(o->text);
		free(o);
	}
}

/* Answer one request (CLOSE and CANCEL get no answer). */
static void serve(const struct lux_msg *m, long len)
{
	const struct lux_req *q = &m->req;
	struct node n;
	int r;

	(void)len; /* paths are NUL-terminated; procfs takes no data */

	switch (q->op) {
	case LUX_OPEN:
		return do_open(m);
	case LUX_READ:
		return do_read(m);
	case LUX_GETDENTS:
		return do_getdents(m);
	case LUX_CLOSE:
		return do_close(q);
	case LUX_CANCEL:
		return; /* nothing here ever waits */
	case LUX_IOCTL:
		lux_reply(LUX_SERVER_FD, q, -ENOTTY, NULL, 0);
		return;
	case LUX_WRITE:
		lux_reply(LUX_SERVER_FD, q, -EBADF, NULL, 0);
		return;
	}
	n = node_of(m);
	if (!q->handle && follows(m, &n))
		return reply_follow(m, &n);
	switch (q->op) {
	case LUX_STAT:
		return do_stat(m, &n);
	case LUX_READLINK:
		return do_readlink(m, &n);
	case LUX_STATFS:
		return do_statfs(m, &n);
	case LUX_ACCESS:
		r = access_check(q, &n);
		break;
	case LUX_MKDIR:
	case LUX_MKNOD:
	case LUX_SYMLINK:
		r = n.kind >= 0 ? -EEXIST : n.kind;
		break;
	default: /* /proc's names and attributes are not changed by hand */
		r = n.kind < 0 ? n.kind : -EPERM;
	}
	lux_reply(LUX_SERVER_FD, q, r, NULL, 0);
}

int main(void)
{
	return lux_serve("procfs", serve);
}
