/*
 * procfs - the /proc server: a directory per process with its stat,
 * status and cmdline (from LUX_NR_PROCINFO), "self" (a symbolic link to
 * the caller's own directory), and meminfo, uptime, loadavg, stat,
 * cpuinfo and mounts (lumen's /run/mounts, read at open).
 *
 * A file's text is made when it is opened (text.c) and kept with the
 * open object, so reads at any offset see one snapshot, as on Linux.
 * Directories are listed afresh at each GETDENTS; a position in the root
 * is the index of a fixed entry, or FIRST_PID + the pid to go on from.
 */
#include "text.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lux.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0
#define PROCFS_DEV       makedev(0, 4)
#define OPENS_MAX        4096
#define FIRST_PID        64 /* root positions from here on are pids */
#define DIRENT_HEADER    19 /* linux_dirent64 before its name */

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
	NFIXED,
	PID_DIR = NFIXED,
	PID_STAT,
	PID_STATUS,
	PID_CMDLINE,
};

static const char *const names[] = {
    [ROOT] = ".",          [SELF] = "self",         [MEMINFO] = "meminfo",
    [UPTIME] = "uptime",   [LOADAVG] = "loadavg",   [SYSSTAT] = "stat",
    [CPUINFO] = "cpuinfo", [MOUNTS] = "mounts",     [PID_DIR] = ".",
    [PID_STAT] = "stat",   [PID_STATUS] = "status", [PID_CMDLINE] = "cmdline",
};

/* An open object: what it names and, for a file, its text. */
struct open {
	enum kind kind;
	int pid;
	char *text;
	size_t len;
};

static struct open *opens[OPENS_MAX];

/* A path resolved: its kind (or a negative errno) and pid; `link` is
 * the length of the prefix naming "self" when the path starts with it. */
struct node {
	int kind, pid;
	size_t link;
};

/* The process pid as PROCINFO gives it, or false if there is none. */
static bool process(int pid, struct lux_procinfo *info)
{
	return pid > 0 && lux_procinfo(pid, info) == 0 && info->pid == pid;
}

/* A whole decimal pid of len bytes at s; 0 if it is not one. */
static int parse_pid(const char *s, size_t len)
{
	long pid = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || pid > 99999999)
			return 0;
		pid = pid * 10 + s[i] - '0';
	}
	return len && s[0] != '0' ? (int)pid : 0;
}

/* Whether path starts with the whole component name; *after is then
 * what follows it (a '/' or the end). */
static bool component(const char *path, const char *name, const char **after)
{
	size_t len = strlen(name);

	*after = path + len;
	return !strncmp(path, name, len) && (!path[len] || path[len] == '/');
}

static struct node resolve(const char *path)
{
	struct lux_procinfo info;
	const char *after, *slash = strchr(path, '/');
	int pid;

	if (!*path)
		return (struct node){ROOT, 0, 0};
	if (component(path, names[SELF], &after))
		return (struct node){SELF, 0, after - path};
	for (int k = SELF + 1; k < NFIXED; k++)
		if (component(path, names[k], &after))
			return (struct node){*after ? -ENOTDIR : k, 0, 0};
	pid = parse_pid(path, slash ? (size_t)(slash - path) : strlen(path));
	if (!process(pid, &info))
		return (struct node){-ENOENT, 0, 0};
	if (!slash || !slash[1])
		return (struct node){PID_DIR, pid, 0};
	for (int k = PID_STAT; k <= PID_CMDLINE; k++)
		if (component(slash + 1, names[k], &after))
			return (struct node){*after ? -ENOTDIR : k, pid, 0};
	return (struct node){-ENOENT, 0, 0};
}

/* The request's (first) path; "" (the root) when it carries none. */
static const char *path_of(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	return path ? path : "";
}

static bool is_dir(int kind)
{
	return kind == ROOT || kind == PID_DIR;
}

/* Whether request m must follow the link "self" its path names (at the
 * end, or on the way to something inside). */
static bool follows(const struct lux_msg *m, const struct node *n)
{
	const struct lux_req *q = &m->req;

	if (n->kind != SELF)
		return false;
	if (path_of(m)[n->link] == '/')
		return true;
	switch (q->op) {
	case LUX_OPEN:
		return !(q->flags & LUX_O_NOFOLLOW);
	case LUX_STAT:
	case LUX_ACCESS:
	case LUX_CHOWN:
	case LUX_UTIMENS:
		return !(q->flags & LUX_AT_SYMLINK_NOFOLLOW);
	case LUX_STATFS:
	case LUX_CHMOD:
	case LUX_TRUNCATE:
		return true;
	default: /* READLINK, and the calls that act on the name itself */
		return false;
	}
}

static void reply_follow(const struct lux_msg *m, const struct node *n)
{
	char target[16];
	struct lux_rep r = {.op = LUX_FOLLOW, .off = n->link};
	int len = snprintf(target, sizeof(target), "%d", m->req.pid);

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

/* The text of a file of kind k (about process pid, for q's caller). */
static int make_text(int k, int pid, const struct lux_req *q, char **text,
		     size_t *len)
{
	struct lux_procinfo info;
	struct timespec now;
	struct sysinfo si;
	FILE *f = open_memstream(text, len);
	int r = 0;

	if (!f)
		return -ENOMEM;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t now_ns = now.tv_sec * 1000000000ULL + now.tv_nsec;
	if (k >= PID_STAT && !process(pid, &info)) {
		r = -ESRCH;
	} else if (k >= PID_STAT) {
		if (info.pid == q->pid)
			info.state = 'R'; /* it is making this call */
		if (k == PID_STAT)
			procfs_stat(f, &info);
		else if (k == PID_STATUS)
			procfs_status(f, &info);
		else
			procfs_cmdline(f, &info);
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

static int open_check(const struct lux_req *q, int kind)
{
	if (kind == SELF)
		return -ELOOP; /* LUX_O_NOFOLLOW on the link */
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
	int err = n.kind < 0 ? n.kind : open_check(q, n.kind);
	while (!err && slot < OPENS_MAX && opens[slot])
		slot++;
	if (!err && (slot == OPENS_MAX || !(o = calloc(1, sizeof(*o)))))
		err = slot == OPENS_MAX ? -ENFILE : -ENOMEM;
	if (!err && !is_dir(n.kind))
		err = make_text(n.kind, n.pid, q, &o->text, &o->len);
	if (err) {
		free(o);
		lux_reply(LUX_SERVER_FD, q, err, NULL, 0);
		return;
	}
	o->kind = n.kind;
	o->pid = n.pid;
	opens[slot] = o;
	r.handle = slot + 1;
	r.mode = is_dir(n.kind) ? LUX_S_IFDIR | 0555 : LUX_S_IFREG | 0444;
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

static uint64_t ino_of(int kind, int pid)
{
	return pid ? (uint64_t)pid << 4 | kind : (uint64_t)kind + 1;
}

/* Entries from position pos: ".", "..", then the fixed names (the root)
 * or the process's files, then (the root) every process from pid
 * pos - FIRST_PID on. */
static void do_getdents(const struct lux_msg *m)
{
	static char buf[LUX_MAX_DATA];
	const struct lux_req *q = &m->req;
	struct open *o = open_of(q);
	size_t size = q->count < sizeof(buf) ? q->count : sizeof(buf), used = 0;
	uint64_t pos = q->off;
	struct lux_rep r = {0};
	struct lux_procinfo info;
	int first = o && o->kind == ROOT ? SELF : PID_STAT;
	int last = o && o->kind == ROOT ? NFIXED - 1 : PID_CMDLINE;
	char name[16];

	bool full = false;

	if (!o || !is_dir(o->kind)) {
		lux_reply(LUX_SERVER_FD, q, o ? -ENOTDIR : -EBADF, NULL, 0);
		return;
	}
	while (!full && pos < FIRST_PID) {
		int k = first + (int)pos - 2;
		if (pos < 2)
			full =
			    !dirent(buf, size, &used, ino_of(o->kind, o->pid),
				    pos + 1, DT_DIR, pos ? ".." : ".");
		else if (k <= last)
			full = !dirent(buf, size, &used, ino_of(k, o->pid),
				       pos + 1, k == SELF ? DT_LNK : DT_REG,
				       names[k]);
		else
			pos = FIRST_PID - 1;
		pos += !full;
	}
	while (!full && o->kind == ROOT && pos - FIRST_PID < INT_MAX &&
	       lux_procinfo(pos - FIRST_PID, &info) == 0) {
		snprintf(name, sizeof(name), "%d", info.pid);
		full = !dirent(buf, size, &used, ino_of(PID_DIR, info.pid),
			       FIRST_PID + info.pid + 1, DT_DIR, name);
		if (!full)
			pos = FIRST_PID + info.pid + 1;
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
		return o ? (struct node){o->kind, o->pid, 0}
			 : (struct node){-EBADF, 0, 0};
	return resolve(path_of(m));
}

/* Owner and times of node n: a process's for its files, else root's
 * and now; false if the process has gone. */
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
	int64_t ns = rt.tv_sec * 1000000000LL + rt.tv_nsec;
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
	char target[16];

	if (n->kind < 0 || !owner(n, &st)) {
		lux_reply(LUX_SERVER_FD, &m->req,
			  n->kind < 0 ? n->kind : -ENOENT, NULL, 0);
		return;
	}
	st.ino = ino_of(n->kind, n->pid);
	if (n->kind == SELF) {
		st.mode = LUX_S_IFLNK | 0777;
		st.size = snprintf(target, sizeof(target), "%d", m->req.pid);
	} else if (is_dir(n->kind)) {
		st.mode = LUX_S_IFDIR | 0555;
		st.nlink = n->kind == PID_DIR ? 2 : 1; /* 1: count unknown */
	} else {
		st.mode = LUX_S_IFREG | 0444;
	}
	lux_reply(LUX_SERVER_FD, &m->req, 0, &st, sizeof(st));
}

static void do_readlink(const struct lux_msg *m, const struct node *n)
{
	char target[16];
	int len = snprintf(target, sizeof(target), "%d", m->req.pid);

	if (n->kind == SELF)
		lux_reply(LUX_SERVER_FD, &m->req, len, target, len);
	else
		lux_reply(LUX_SERVER_FD, &m->req,
			  n->kind < 0 ? n->kind : -EINVAL, NULL, 0);
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
