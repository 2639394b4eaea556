/*
 * chan: the request protocol end to end, without the real servers. Runs
 * as PID 1 (`init=/tests/chan`, a boot test of its own in tests/run.py):
 * it makes its own channel the resolver and serves, from threads, a tiny
 * tree mounted at /fs, a channel whose server dies (/dead) and one nobody
 * serves (/q). The cases make the file calls from the main thread and
 * from children and check what the kernel did with them: redirects,
 * symbolic links, the current directory, dirfd, O_NONBLOCK and NOTIFY,
 * signals (CANCEL, unqueueing, SA_RESTART), a dying server (EIO),
 * malformed replies.
 * It prints `utest: done` itself, as the runner would.
 */
#include "utest.h"
#include "utest_arch.h"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <lux/proto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

enum { LUMEN, FS, DEAD, QUIET, NCHAN };
static int srv[NCHAN], cli[NCHAN]; /* server and client ends */

/* What the servers saw, for the cases to check. */
static struct {
	char path[2][256], target[256];
	unsigned mode, exec_opens;
	struct lux_req last; /* the last request recorded by record() */
	char last_path[2][64];
	volatile int cancelled, late_write, bad_writes[4];
} seen;
static int note[2]; /* a pipe: the fs server tells a case it is done */

struct node {
	const char *path; /* from the tree's root */
	unsigned mode;
	const char *data; /* contents or link target */
};

static struct node tree[24] = {
    {"", LUX_S_IFDIR | 0755, NULL},
    {"hello", LUX_S_IFREG | 0644, "hello world\n"},
    {"dir", LUX_S_IFDIR | 0755, NULL},
    {"dir/inner", LUX_S_IFREG | 0644, "inner\n"},
    {"link", LUX_S_IFLNK | 0777, "dir"},
    {"abs", LUX_S_IFLNK | 0777, "/fs/dir/inner"},
    {"loop", LUX_S_IFLNK | 0777, "loop"},
    {"slow", LUX_S_IFREG | 0644, NULL},
    {"bad", LUX_S_IFREG | 0644, NULL},
    {"nb", LUX_S_IFREG | 0644, NULL},
    {"w", LUX_S_IFREG | 0644, NULL},
    {"prog", LUX_S_IFREG | 0755, NULL},
    {"plink", LUX_S_IFLNK | 0777, "prog"},
};
static int nnodes = 13; /* the tree above; MKNOD adds to it */
#define NNODES  nnodes
#define H(name) (find(name) + 1) /* a node's handle */

static unsigned char prog[256];
static size_t prog_len;

/* A tiny static program that exits with status 42. */
static void make_prog(void)
{
	static const unsigned char code[] = UT_EXIT42_CODE;
	uint16_t machine = UT_ELF_MACHINE;
	Elf64_Ehdr *e = (Elf64_Ehdr *)prog;
	Elf64_Phdr *p = (Elf64_Phdr *)(prog + sizeof(*e));
	size_t at = sizeof(*e) + sizeof(*p);

	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_EXEC;
	e->e_machine = machine;
	e->e_version = EV_CURRENT;
	e->e_entry = 0x400000 + at;
	e->e_phoff = sizeof(*e);
	e->e_ehsize = sizeof(*e);
	e->e_phentsize = sizeof(*p);
	e->e_phnum = 1;
	p->p_type = PT_LOAD;
	p->p_flags = PF_R | PF_X;
	p->p_vaddr = p->p_paddr = 0x400000;
	p->p_filesz = p->p_memsz = at + sizeof(code);
	p->p_align = 4096;
	memcpy(prog + at, code, sizeof(code));
	prog_len = at + sizeof(code);
}

static char wbuf[64];
static size_t wlen;
static int nb_ready, bad_reads;
static uint64_t slow_id;

static int find(const char *path)
{
	for (int i = 0; i < NNODES; i++)
		if (!strcmp(tree[i].path, path))
			return i;
	return -1;
}

static void send_rep(int fd, struct lux_rep *r, const void *data, size_t n)
{
	static char buf[LUX_MSG_MAX];

	r->len = sizeof(*r) + n;
	memcpy(buf, r, sizeof(*r));
	memcpy(buf + sizeof(*r), data, n);
	if (write(fd, buf, r->len) != (ssize_t)r->len)
		ut_print("chan: a reply was refused: %s\n",
			 ut_errno_name(errno));
}

static void reply(const struct lux_req *q, int64_t result, const void *data,
		  size_t n)
{
	struct lux_rep r = {.op = LUX_REPLY, .id = q->id, .result = result};
	send_rep(srv[FS], &r, data, n);
}

/* Walk path in the tree: the node's index, or -1 after replying (an
 * error, or FOLLOW for a symbolic link on the way). A trailing slash
 * wants a directory (and follows a link at the end). */
static int lookup(const struct lux_req *q, const char *path, int follow_last)
{
	char prefix[256];
	size_t len = strlen(path);
	int slash = len && path[len - 1] == '/';

	len -= slash;
	follow_last |= slash;
	for (size_t e = 0; e <= len; e++) {
		if (e < len && path[e] != '/')
			continue;
		if (e == 0 && len)
			continue;
		memcpy(prefix, path, e);
		prefix[e] = 0;
		int i = find(prefix);
		if (i < 0) {
			reply(q, -ENOENT, NULL, 0);
			return -1;
		}
		if (LUX_S_ISLNK(tree[i].mode) && (e < len || follow_last)) {
			struct lux_rep r = {
			    .op = LUX_FOLLOW, .id = q->id, .off = e};
			send_rep(srv[FS], &r, tree[i].data,
				 strlen(tree[i].data));
			return -1;
		}
		if (e == len && slash && !LUX_S_ISDIR(tree[i].mode)) {
			reply(q, -ENOTDIR, NULL, 0);
			return -1;
		}
		if (e == len)
			return i;
	}
	return -1;
}

static size_t node_size(int i)
{
	if (!strcmp(tree[i].path, "prog"))
		return prog_len;
	return !strcmp(tree[i].path, "w") ? wlen
	       : LUX_S_ISREG(tree[i].mode) && tree[i].data
		   ? strlen(tree[i].data)
		   : 0;
}

static void do_stat(const struct lux_req *q, int i)
{
	struct lux_stat st = {.dev = 7,
			      .ino = i + 1,
			      .nlink = 1,
			      .size = node_size(i),
			      .blksize = 4096,
			      .mode = tree[i].mode};
	reply(q, 0, &st, sizeof(st));
}

static void do_getdents(const struct lux_req *q, int dir)
{
	char out[1024];
	size_t used = 0, plen = strlen(tree[dir].path);
	uint64_t k = q->off;

	for (; k < (uint64_t)NNODES; k++) {
		const char *p = tree[k].path, *name = p + plen + (plen != 0);
		if (!*p || strncmp(p, tree[dir].path, plen) ||
		    (plen && p[plen] != '/') || strchr(name, '/'))
			continue;
		size_t reclen = (19 + strlen(name) + 1 + 7) & ~7UL;
		if (used + reclen > q->count || used + reclen > sizeof(out))
			break;
		struct dirent *d = (struct dirent *)(out + used);
		memset(d, 0, reclen);
		d->d_ino = k + 1;
		d->d_off = k + 1;
		d->d_reclen = reclen;
		d->d_type = tree[k].mode >> 12;
		strcpy(d->d_name, name);
		used += reclen;
	}
	struct lux_rep r = {.op = LUX_REPLY, .id = q->id, .off = k};
	r.result = used;
	send_rep(srv[FS], &r, out, used);
}

/* READ of "bad": first malformed replies (each must be refused), then
 * an impossible error; the second time, a result larger than the data. */
static void bad_read(const struct lux_req *q)
{
	struct lux_rep r = {.op = LUX_REPLY, .id = q->id, .result = 3};
	char buf[sizeof(r) + 8] = {0};

	if (bad_reads++) {
		r.result = 100;
		send_rep(srv[FS], &r, "abc", 3);
		return;
	}
	r.len = sizeof(r) + 8; /* says 8 more bytes than written */
	memcpy(buf, &r, sizeof(r));
	seen.bad_writes[0] = write(srv[FS], buf, sizeof(r)) < 0 ? errno : 0;
	r.len = sizeof(r);
	r.op = 99;
	memcpy(buf, &r, sizeof(r));
	seen.bad_writes[1] = write(srv[FS], buf, sizeof(r)) < 0 ? errno : 0;
	seen.bad_writes[2] = write(srv[FS], buf, 8) < 0 ? errno : 0;
	seen.bad_writes[3] =
	    write(srv[FS], (void *)0x10, sizeof(r)) < 0 ? errno : 0;
	r.op = LUX_REPLY;
	r.result = -99999;
	send_rep(srv[FS], &r, NULL, 0);
}

static void do_read(const struct lux_req *q)
{
	int i = q->handle - 1;
	const char *data = tree[i].data;
	size_t size = node_size(i);

	if (q->handle == (uint64_t)H("slow")) {
		slow_id = q->id; /* answered only after its CANCEL */
		return;
	}
	if (q->handle == (uint64_t)H("bad"))
		return bad_read(q);
	if (q->handle == (uint64_t)H("nb")) {
		if (!nb_ready)
			return reply(q, -EAGAIN, NULL, 0);
		return reply(q, 5, "ready", 5);
	}
	if (q->handle == (uint64_t)H("w"))
		data = wbuf;
	if (q->handle == (uint64_t)H("prog"))
		data = (const char *)prog;
	size_t off = q->off < size ? q->off : size;
	size_t n = size - off < q->count ? size - off : q->count;
	reply(q, n, data + off, n);
}

static void do_write(const struct lux_req *q, const char *data)
{
	size_t n = q->len - sizeof(*q);

	if (q->handle == (uint64_t)H("nb")) {
		nb_ready = 1;
		struct lux_rep r = {.op = LUX_NOTIFY,
				    .handle = H("nb"),
				    .events = LUX_POLLIN | LUX_POLLOUT};
		send_rep(srv[FS], &r, NULL, 0);
		return reply(q, n, NULL, 0);
	}
	size_t off = (q->flags & LUX_O_APPEND) ? wlen : q->off;
	if (q->handle != (uint64_t)H("w") || off + n > sizeof(wbuf))
		return reply(q, -ENOSPC, NULL, 0);
	memcpy(wbuf + off, data, n);
	wlen = off + n > wlen ? off + n : wlen;
	struct lux_rep r = {
	    .op = LUX_REPLY, .id = q->id, .result = n, .off = off + n};
	send_rep(srv[FS], &r, NULL, 0);
}

static void do_open(const struct lux_req *q, const char *path)
{
	int i = lookup(q, path, !(q->flags & LUX_O_NOFOLLOW));

	if (i < 0)
		return;
	if ((q->flags & LUX_O_DIRECTORY) && !LUX_S_ISDIR(tree[i].mode))
		return reply(q, -ENOTDIR, NULL, 0);
	if (LUX_S_ISLNK(tree[i].mode)) /* LUX_O_NOFOLLOW on a link */
		return reply(q, -ELOOP, NULL, 0);
	if (q->flags & LUX_O_EXEC)
		seen.exec_opens++;
	struct lux_rep r = {.op = LUX_REPLY,
			    .id = q->id,
			    .handle = i + 1,
			    .mode = tree[i].mode,
			    .events = !strcmp(path, "nb")
					  ? LUX_POLLOUT
					  : LUX_POLLIN | LUX_POLLOUT};
	send_rep(srv[FS], &r, NULL, 0);
}

static void do_cancel(const struct lux_req *q)
{
	if (q->id != slow_id)
		return;
	seen.cancelled = 1;
	struct lux_rep r = {
	    .op = LUX_REPLY, .id = q->id, .result = 1, .len = sizeof(r) + 1};
	char buf[sizeof(r) + 1];
	memcpy(buf, &r, sizeof(r));
	buf[sizeof(r)] = 'x';
	seen.late_write = write(srv[FS], buf, sizeof(buf));
	if (write(note[1], "c", 1) != 1)
		ut_print("chan: cannot note\n");
}

/* Keep q's header and paths for a case to check; reply 0 unless told. */
static void record(const struct lux_req *q, const char *p1, const char *p2)
{
	seen.last = *q;
	snprintf(seen.last_path[0], 64, "%s", q->handle ? "" : p1);
	snprintf(seen.last_path[1], 64, "%s",
		 q->op == LUX_LINK && p2 ? p2 : "");
	if (q->op != LUX_STATFS)
		reply(q, 0, NULL, 0);
}

/* GETDENTS of "bad": a good record, then one of length 0. */
static void bad_dents(const struct lux_req *q)
{
	char out[48] = {0};
	struct dirent *d = (struct dirent *)out;

	d->d_reclen = 24;
	strcpy(d->d_name, "ok");
	reply(q, sizeof(out), out, sizeof(out));
}

/* The path-less requests, then the ones that name a path. */
static void fs_serve(const struct lux_req *q, const char *data)
{
	const char *p2 = data + strlen(data) + 1;
	int i;

	switch (q->op) {
	case LUX_READ:
		return do_read(q);
	case LUX_WRITE:
		return do_write(q, data);
	case LUX_CANCEL:
		return do_cancel(q);
	case LUX_CLOSE:
		return;
	case LUX_GETDENTS:
		if (q->handle == (uint64_t)H("bad"))
			return bad_dents(q);
		return do_getdents(q, q->handle - 1);
	case LUX_IOCTL:
		if (q->count != TIOCGWINSZ)
			return reply(q, -ENOTTY, NULL, 0);
		return reply(q, 0, (unsigned short[4]){24, 80, 0, 0}, 8);
	case LUX_STAT:
		if (q->handle)
			return do_stat(q, q->handle - 1);
		if ((i = lookup(q, data,
				!(q->flags & LUX_AT_SYMLINK_NOFOLLOW))) >= 0)
			do_stat(q, i);
		return;
	case LUX_OPEN:
		return do_open(q, data);
	case LUX_READLINK:
		if ((i = lookup(q, data, 0)) < 0)
			return;
		if (!LUX_S_ISLNK(tree[i].mode))
			return reply(q, -EINVAL, NULL, 0);
		return reply(q, 0, tree[i].data, strlen(tree[i].data));
	case LUX_CHMOD:
	case LUX_CHOWN:
	case LUX_UTIMENS:
	case LUX_TRUNCATE:
	case LUX_ACCESS:
	case LUX_FSYNC:
	case LUX_UNLINK:
	case LUX_LINK:
		return record(q, data, p2);
	case LUX_STATFS: {
		struct lux_statfs f = {.type = 0x858458f6,
				       .bsize = 4096,
				       .blocks = 100,
				       .bfree = 40,
				       .namelen = 255};
		record(q, data, NULL);
		return reply(q, 0, &f, sizeof(f));
	}
	case LUX_MKNOD:
		if (find(data) >= 0)
			return reply(q, -EEXIST, NULL, 0);
		if (nnodes == (int)(sizeof(tree) / sizeof(tree[0])))
			return reply(q, -ENOSPC, NULL, 0);
		seen.mode = q->mode;
		tree[nnodes++] = (struct node){strdup(data), q->mode, NULL};
		return reply(q, 0, NULL, 0);
	case LUX_MKDIR:
	case LUX_RENAME:
	case LUX_SYMLINK:
		strcpy(seen.path[0], data);
		strcpy(q->op == LUX_SYMLINK ? seen.target : seen.path[1], p2);
		seen.mode = q->mode;
		return reply(q, 0, NULL, 0);
	}
	reply(q, -ENOSYS, NULL, 0);
}

static void block_signals(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static struct {
	struct lux_req q;
	char data[LUX_MSG_MAX];
} fs_msg, lumen_msg;

static void *fs_thread(void *unused)
{
	(void)unused;
	block_signals();
	for (;;) {
		ssize_t n = read(srv[FS], &fs_msg, sizeof(fs_msg) - 1);
		if (n <= 0)
			return NULL;
		((char *)&fs_msg)[n] = 0;
		fs_serve(&fs_msg.q, fs_msg.data);
	}
}

/* What lumen was last asked to mount or unmount. */
static struct {
	unsigned op, flags;
	char str[3][64];
} mounted;

static void lumen_mount(const struct lux_req *q, const char *data)
{
	struct lux_rep r = {.op = LUX_REPLY, .id = q->id};

	mounted.op = q->op;
	mounted.flags = q->flags;
	for (int i = 0; i < (q->op == LUX_MOUNT ? 3 : 1); i++) {
		snprintf(mounted.str[i], 64, "%s", data);
		data += strlen(data) + 1;
	}
	send_rep(srv[LUMEN], &r, NULL, 0);
}

/* Lumen's part: /fs, /dead and /q by longest prefix; nothing else. */
static void *lumen_thread(void *unused)
{
	static const struct {
		const char *prefix;
		int chan;
	} mounts[] = {{"/fs", FS}, {"/dead", DEAD}, {"/q", QUIET}};
	(void)unused;
	block_signals();
	for (;;) {
		ssize_t n = read(srv[LUMEN], &lumen_msg, sizeof(lumen_msg) - 1);
		if (n <= 0)
			return NULL;
		((char *)&lumen_msg)[n] = 0;
		if (lumen_msg.q.op == LUX_CANCEL || lumen_msg.q.op == LUX_CLOSE)
			continue;
		if (lumen_msg.q.op == LUX_MOUNT ||
		    lumen_msg.q.op == LUX_UMOUNT) {
			lumen_mount(&lumen_msg.q, lumen_msg.data);
			continue;
		}
		const char *path = lumen_msg.data;
		struct lux_rep r = {.op = LUX_REDIRECT,
				    .id = lumen_msg.q.id,
				    .result = -ENOENT};
		for (int i = 0; i < 3; i++) {
			size_t k = strlen(mounts[i].prefix);
			if (!strncmp(path, mounts[i].prefix, k) &&
			    (path[k] == '/' || !path[k])) {
				r.result = cli[mounts[i].chan];
				r.off = r.off2 = k;
			}
		}
		send_rep(srv[LUMEN], &r, NULL, 0);
	}
}

/* /dead: read one request, then close the server end unanswered. */
static void *dead_thread(void *unused)
{
	static struct lux_req q[LUX_MSG_MAX / sizeof(struct lux_req)];
	(void)unused;
	block_signals();
	if (read(srv[DEAD], q, sizeof(q)) > 0)
		close(srv[DEAD]);
	return NULL;
}

static void read_file(const char *path, const char *want)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), (long)strlen(want));
	CHECK(!strcmp(buf, want));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}

static void try_resolver(void)
{
	CHECK_ERR(syscall(LUX_NR_RESOLVER, cli[FS]), EPERM);
}

static void channel_ends(void)
{
	int fds[2];
	char buf[512];
	struct pollfd p;

	CHECK_EQ(syscall(LUX_NR_CHANNEL, fds), 0);
	CHECK_ERR(read(fds[1], buf, sizeof(buf)), EINVAL);
	CHECK_ERR(write(fds[1], buf, 8), EINVAL);
	CHECK_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(read(fds[0], buf, sizeof(buf)), EAGAIN);
	p = (struct pollfd){.fd = fds[0], .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 0); /* nothing queued */
	CHECK_EQ(close(fds[1]), 0);
	CHECK_EQ(read(fds[0], buf, sizeof(buf)), 0); /* no client: EOF */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLHUP);
	CHECK_EQ(close(fds[0]), 0);
	CHECK_ERR(syscall(LUX_NR_RESOLVER, 0), EINVAL); /* not a client end */
	ut_in_child(try_resolver);                      /* PID 1 only */
}

static void redirect_read(void)
{
	read_file("/fs/hello", "hello world\n");
	read_file("/fs//dir/./inner", "inner\n");
	read_file("/fs/dir/../hello", "hello world\n");
	CHECK_ERR(open("/fs/nothing", O_RDONLY), ENOENT);
	CHECK_ERR(open("/elsewhere", O_RDONLY), ENOENT); /* lumen's answer */
	CHECK_ERR(open("", O_RDONLY), ENOENT);
}

static void stat_calls(void)
{
	struct stat st, st2;

	CHECK_EQ(stat("/fs/hello", &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 12);
	CHECK_EQ(st.st_ino, H("hello"));
	CHECK_EQ(st.st_dev, 7);
	int fd = open("/fs/hello", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st2), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(fstatat(fd, "", &st2, AT_EMPTY_PATH), 0);
	CHECK_EQ(st2.st_size, 12);
	close(fd);
	CHECK_EQ(lstat("/fs/link", &st), 0);
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(stat("/fs/link", &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_ERR(stat("/fs/nothing", &st), ENOENT);
	CHECK_ERR(stat("/fs/hello/", &st), ENOTDIR); /* the slash is kept */
	CHECK_ERR(stat("/fs/hello/.", &st), ENOTDIR);
	CHECK_EQ(stat("/fs/dir/", &st), 0);
	CHECK_EQ(lstat("/fs/link/", &st), 0); /* a slash follows the link */
	CHECK(S_ISDIR(st.st_mode));
	uint64_t sx[32]; /* struct statx: mode at 0x1c, ino 0x20, size 0x28 */
	CHECK_EQ(syscall(SYS_statx, AT_FDCWD, "/fs/hello", 0, 0x7ff, sx), 0);
	CHECK_EQ(sx[5], 12);
	CHECK_EQ(sx[4], H("hello"));
	CHECK(S_ISREG(((uint16_t *)sx)[14]));
	int p[2];
	CHECK_EQ(pipe(p), 0); /* fstat of kernel objects still works */
	CHECK_EQ(fstat(p[0], &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	close(p[0]);
	close(p[1]);
}

static void follow_links(void)
{
	char buf[64] = {0};

	read_file("/fs/link/inner", "inner\n");
	read_file("/fs/abs", "inner\n");
	CHECK_EQ(readlink("/fs/link", buf, sizeof(buf)), 3);
	CHECK(!strcmp(buf, "dir"));
	CHECK_EQ(readlink("/fs/abs", buf, 4), 4); /* cut, no NUL */
	CHECK(!strncmp(buf, "/fs/", 4));
	CHECK_ERR(open("/fs/loop", O_RDONLY), ELOOP);
	CHECK_ERR(open("/fs/link", O_RDONLY | O_NOFOLLOW), ELOOP);
}

static void dir_entries(void)
{
	char buf[512];
	int fd = open("/fs", O_RDONLY | O_DIRECTORY), found = 0;
	CHECK(fd >= 0);
	long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
	CHECK(n > 0);
	for (long at = 0; at < n;) {
		struct dirent *d = (struct dirent *)(buf + at);
		found +=
		    !strcmp(d->d_name, "hello") || !strcmp(d->d_name, "dir");
		CHECK(strcmp(d->d_name, "inner")); /* not in the root */
		at += d->d_reclen;
	}
	CHECK_EQ(found, 2);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof(buf)), n);
	CHECK_ERR(open("/fs/hello", O_RDONLY | O_DIRECTORY), ENOTDIR);
	close(fd);
}

static void cwd_in_child(void)
{
	char buf[64];
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, "/fs/dir"));
	read_file("inner", "inner\n");
	CHECK_EQ(chdir(".."), 0);
}

static void cwd_relative(void)
{
	char buf[64];

	CHECK_EQ(chdir("/fs/dir"), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, "/fs/dir"));
	read_file("inner", "inner\n");
	read_file("../hello", "hello world\n");
	long fd = syscall(SYS_openat, 0xffffff9cL, "inner", O_RDONLY);
	CHECK(fd >= 0); /* AT_FDCWD as a 32-bit int: only those bits count */
	close(fd);
	read_file("./../link/inner", "inner\n");
	CHECK_ERR(chdir("/fs/hello"), ENOTDIR);
	CHECK_ERR(chdir("/fs/nothing"), ENOENT);
	ut_in_child(cwd_in_child); /* inherits it, changes only its own */
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, "/fs/dir"));
	CHECK(getcwd(buf, 4) == NULL && errno == ERANGE);
	CHECK_EQ(chdir("/fs/link"), 0); /* a link to a directory */
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, "/fs/dir"));
	CHECK_EQ(chdir(".."), 0);
}

static void dirfd_calls(void)
{
	struct stat st;
	char buf[64];
	int d = open("/fs/dir", O_RDONLY | O_DIRECTORY);
	int f = open("/fs/hello", O_RDONLY);

	CHECK(d >= 0 && f >= 0);
	int fd = openat(d, "inner", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 6);
	close(fd);
	CHECK_EQ(fstatat(d, "../hello", &st, 0), 0);
	CHECK_EQ(st.st_size, 12);
	CHECK_ERR(openat(f, "x", O_RDONLY), ENOTDIR);
	CHECK_ERR(openat(999, "x", O_RDONLY), EBADF);
	fd = openat(f, "/fs/hello", O_RDONLY); /* absolute: dirfd unused */
	CHECK(fd >= 0);
	close(fd);
	int p = open("/fs/hello", O_PATH);
	CHECK(p >= 0);
	CHECK_ERR(read(p, buf, 1), EBADF);           /* names it, no access */
	CHECK_ERR(syscall(SYS_fchmod, p, 0), EBADF); /* musl would retry */
	CHECK_EQ(fstat(p, &st), 0);
	CHECK_EQ(st.st_size, 12);
	close(p);
	CHECK_EQ(fchdir(d), 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK(!strcmp(buf, "/fs/dir"));
	CHECK_ERR(fchdir(f), ENOTDIR);
	CHECK_EQ(chdir("/fs"), 0);
	close(d);
	close(f);
}

static void write_seek(void)
{
	char buf[16] = {0};
	int fd = open("/fs/w", O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "abcdef", 6), 6);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, -2, SEEK_END), 4);
	CHECK_EQ(read(fd, buf, 16), 2);
	CHECK(!strcmp(buf, "ef"));
	CHECK_EQ(pread(fd, buf, 3, 1), 3);
	CHECK(!strncmp(buf, "bcd", 3));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6); /* pread leaves it */
	CHECK_EQ(pwrite(fd, "XY", 2, 0), 2);
	CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(read(fd, buf, 16), 6);
	CHECK(!strncmp(buf, "XYcdef", 6));
	close(fd);
	fd = open("/fs/w", O_WRONLY | O_APPEND);
	CHECK_EQ(write(fd, "gh", 2), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 8); /* from the reply's off */
	close(fd);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(lseek(p[0], 0, SEEK_SET), ESPIPE);
	CHECK_ERR(pread(p[0], buf, 1, 0), ESPIPE);
	close(p[0]);
	close(p[1]);
}

static void nonblock_notify(void)
{
	char buf[16];
	int r = open("/fs/nb", O_RDONLY | O_NONBLOCK);
	int w = open("/fs/nb", O_WRONLY);
	struct pollfd p = {.fd = r, .events = POLLIN};

	CHECK(r >= 0 && w >= 0);
	CHECK_ERR(read(r, buf, sizeof(buf)), EAGAIN);
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_EQ(write(w, "x", 1), 1); /* the server notifies POLLIN */
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(read(r, buf, sizeof(buf)), 5);
	close(r);
	close(w);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Interrupt the next blocking call after ms milliseconds. */
static void alarm_in(long ms)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	struct itimerval t = {.it_value = {0, ms * 1000}};
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &t, NULL);
}

static void signal_cancel(void)
{
	char c;
	int fd = open("/fs/slow", O_RDONLY);

	CHECK(fd >= 0);
	alarm_in(200);
	CHECK_ERR(read(fd, &c, 1), EINTR);
	CHECK_EQ(read(note[0], &c, 1), 1); /* the server saw the CANCEL */
	CHECK(seen.cancelled);
	CHECK_EQ(seen.late_write, sizeof(struct lux_rep) + 1); /* dropped */
	close(fd);
	read_file("/fs/hello", "hello world\n");
}

static void signal_unqueue(void)
{
	struct stat st;
	char buf[512];

	alarm_in(200);
	CHECK_ERR(stat("/q/x", &st), EINTR);
	CHECK_EQ(fcntl(srv[QUIET], F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(read(srv[QUIET], buf, sizeof(buf)), EAGAIN); /* withdrawn */
}

static int restart_pipe[2];

static void on_alarm_note(int sig)
{
	(void)sig;
	(void)!write(restart_pipe[1], "s", 1);
}

/* /q's server for signal_restart: once the handler ran, answer the one
 * request queued (the repeated call's) with a status. */
static void *serve_q_after_signal(void *unused)
{
	struct {
		struct lux_req q;
		char data[256];
	} m;
	struct {
		struct lux_rep r;
		struct lux_stat st;
	} a = {.r = {.op = LUX_REPLY, .len = sizeof(a)}};
	char c;

	(void)unused;
	block_signals();
	if (read(restart_pipe[0], &c, 1) != 1 ||
	    fcntl(srv[QUIET], F_SETFL, 0) < 0 ||
	    read(srv[QUIET], &m, sizeof(m)) < (ssize_t)sizeof(m.q))
		return NULL;
	a.r.id = m.q.id;
	a.st.mode = S_IFREG | 0644;
	a.st.size = 42;
	(void)!write(srv[QUIET], &a, sizeof(a));
	return NULL;
}

/* A path call that a signal with an SA_RESTART handler interrupts is made
 * again after the handler, as Linux restarts it: the server sees the
 * request withdrawn, then asked again. */
static void signal_restart(void)
{
	struct sigaction sa = {.sa_handler = on_alarm_note,
			       .sa_flags = SA_RESTART};
	struct itimerval t = {.it_value = {0, 200 * 1000}};
	struct stat st;
	pthread_t th;

	CHECK_EQ(pipe(restart_pipe), 0);
	CHECK_EQ(pthread_create(&th, NULL, serve_q_after_signal, NULL), 0);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &t, NULL);
	int r = stat("/q/z", &st), err = errno;
	if (r < 0) /* feed the thread, so that it ends */
		(void)!write(restart_pipe[1], "s", 1), stat("/q/z", &st);
	pthread_join(th, NULL);
	errno = err;
	CHECK_EQ(r, 0);
	CHECK_EQ(st.st_size, 42);
	close(restart_pipe[0]);
	close(restart_pipe[1]);
}

static void *stat_q(void *res)
{
	struct stat st;
	*(int *)res = stat("/q/y", &st) < 0 ? errno : 0;
	return NULL;
}

static void read_whole(void)
{
	struct {
		struct lux_req q;
		char data[64];
	} m;
	pthread_t t;
	int res = -1;
	struct pollfd p = {.fd = srv[QUIET], .events = POLLIN};

	CHECK_EQ(fcntl(srv[QUIET], F_SETFL, 0), 0);
	CHECK_EQ(pthread_create(&t, NULL, stat_q, &res), 0);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_ERR(read(srv[QUIET], &m, 10), EMSGSIZE); /* stays queued */
	long n = read(srv[QUIET], &m, sizeof(m));
	CHECK_EQ(n, sizeof(m.q) + 2);
	CHECK_EQ(m.q.len, n);
	CHECK_EQ(m.q.op, LUX_STAT);
	CHECK(!strcmp(m.data, "y"));
	CHECK_EQ(m.q.pid, 1);
	struct lux_rep r = {
	    .op = LUX_REPLY, .len = sizeof(r), .id = m.q.id, .result = -EPERM};
	CHECK_EQ(write(srv[QUIET], &r, sizeof(r)), sizeof(r));
	pthread_join(t, NULL);
	CHECK_EQ(res, EPERM);
	r.result = 0; /* its id is done: dropped, the write succeeds */
	CHECK_EQ(write(srv[QUIET], &r, sizeof(r)), sizeof(r));
}

static void server_gone(void)
{
	struct stat st;
	pthread_t t;

	CHECK_EQ(pthread_create(&t, NULL, dead_thread, NULL), 0);
	CHECK_ERR(stat("/dead/x", &st), EIO);
	pthread_join(t, NULL);
	long long t0 = ut_now_ns();
	CHECK_ERR(stat("/dead/x", &st), EIO);
	CHECK_ERR(open("/dead/y", O_RDONLY), EIO);
	CHECK(ut_now_ns() - t0 < 2000000000LL); /* at once, no hang */
}

static void malformed_reply(void)
{
	char buf[8];
	int fd = open("/fs/bad", O_RDONLY);

	CHECK(fd >= 0);
	CHECK_ERR(read(fd, buf, sizeof(buf)), EIO);
	CHECK_EQ(seen.bad_writes[0], EINVAL); /* len disagrees */
	CHECK_EQ(seen.bad_writes[1], EINVAL); /* op */
	CHECK_EQ(seen.bad_writes[2], EINVAL); /* shorter than a header */
	CHECK_EQ(seen.bad_writes[3], EFAULT);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 3); /* result 100, 3 bytes */
	char dents[64];
	CHECK_EQ(syscall(SYS_getdents64, fd, dents, sizeof(dents)), 24);
	close(fd);
}

/* Bad addresses fail at once, before any request could block. */
static void bad_addresses(void)
{
	int fd = open("/fs/slow", O_RDWR);

	CHECK(fd >= 0);
	CHECK_ERR(read(fd, UT_KERNEL_ADDR, 8), EFAULT);
	CHECK_ERR(write(fd, UT_KERNEL_ADDR, 8), EFAULT);
	CHECK_ERR(open(UT_KERNEL_ADDR, O_RDONLY), EFAULT);
	CHECK_ERR(
	    syscall(SYS_newfstatat, AT_FDCWD, "/fs/hello", UT_KERNEL_ADDR, 0),
	    EFAULT);
	CHECK_ERR(syscall(SYS_getdents64, fd, UT_KERNEL_ADDR, 64), EFAULT);
	close(fd);
}

static void create_calls(void)
{
	umask(027);
	CHECK_EQ(mkdir("/fs/newdir", 0777), 0);
	CHECK(!strcmp(seen.path[0], "newdir"));
	CHECK_EQ(seen.mode, 0750);
	CHECK_EQ(umask(022), 027);
	CHECK_EQ(rename("/fs/a", "/fs/dir/../b"), 0);
	CHECK(!strcmp(seen.path[0], "a"));
	CHECK(!strcmp(seen.path[1], "b"));
	CHECK_EQ(symlink("../x//./y", "/fs/sl"), 0);
	CHECK(!strcmp(seen.path[0], "sl"));
	CHECK(!strcmp(seen.target, "../x//./y")); /* data: as it is */
	char buf[8];
	CHECK_ERR(readlink("/fs/hello", buf, 8), EINVAL); /* its answer */
}

static void ioctl_calls(void)
{
	struct winsize ws;
	int fd = open("/fs/hello", O_RDONLY), on = 1;
	char tio[64];

	CHECK(fd >= 0);
	CHECK_EQ(ioctl(fd, TIOCGWINSZ, &ws), 0);
	CHECK_EQ(ws.ws_row, 24);
	CHECK_EQ(ws.ws_col, 80);
	CHECK_ERR(ioctl(fd, TCGETS, tio), ENOTTY);
	CHECK_ERR(ioctl(fd, 0x1234, 0), ENOTTY);
	CHECK_EQ(ioctl(fd, FIONBIO, &on), 0);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(ioctl(fd, FIOCLEX), 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
}

/* Run path in a child: its exit status, or 100 + execve's errno. */
static int run(const char *path)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = {(char *)path, NULL};
		execve(path, argv, argv + 1);
		_exit(100 + errno);
	}
	int status = ut_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void exec_calls(void)
{
	unsigned before = seen.exec_opens;

	CHECK_EQ(run("/fs/prog"), 42);
	CHECK_EQ(seen.exec_opens, before + 1); /* opened with LUX_O_EXEC */
	CHECK_EQ(run("/fs/plink"), 42);
	CHECK_EQ(chdir("/fs/dir"), 0);
	CHECK_EQ(run("../prog"), 42); /* relative to the cwd */
	CHECK_EQ(chdir("/fs"), 0);
	CHECK_EQ(run("/fs/hello"), 100 + ENOEXEC);
	CHECK_EQ(run("/fs/dir"), 100 + EACCES);
	CHECK_EQ(run("/fs/nothing"), 100 + ENOENT);
}

static void sendfile_calls(void)
{
	char buf[32] = {0};
	int p[2], fd = open("/fs/hello", O_RDONLY), w = open("/fs/w", O_RDWR);
	off_t off = 6;

	CHECK(fd >= 0 && w >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(sendfile(p[1], fd, NULL, 100), 12);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 12);
	CHECK(!strcmp(buf, "hello world\n"));
	CHECK_EQ(sendfile(p[1], fd, &off, 3), 3); /* at off; fd's position */
	CHECK_EQ(off, 9);                         /* stays at the end */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 12);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK(!strncmp(buf, "wor", 3));
	CHECK_EQ(write(p[1], "xyz", 3), 3); /* a pipe into a remote file */
	CHECK_EQ(sendfile(w, p[0], NULL, 3), 3);
	CHECK_EQ(pread(w, buf, 3, 0), 3);
	CHECK(!strncmp(buf, "xyz", 3));
	CHECK_ERR(sendfile(w, p[0], &off, 1), ESPIPE);
	close(p[0]);
	close(p[1]);
	close(fd);
	close(w);
}

static struct sockaddr_un sun(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	return a;
}

static void path_sockets(void)
{
	struct sockaddr_un a = sun("/fs/sock"), got;
	socklen_t len = sizeof(got);
	struct stat st;
	int l = socket(AF_UNIX, SOCK_STREAM, 0),
	    c = socket(AF_UNIX, SOCK_STREAM, 0);
	char buf[8];

	CHECK(l >= 0 && c >= 0);
	umask(022);
	CHECK_EQ(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(seen.mode, S_IFSOCK | 0755); /* made through the server */
	CHECK_EQ(stat("/fs/sock", &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(getsockname(l, (struct sockaddr *)&got, &len), 0);
	CHECK(!strcmp(got.sun_path, "/fs/sock"));
	CHECK_EQ(listen(l, 4), 0);
	CHECK_EQ(chdir("/fs/dir"), 0);
	struct sockaddr_un rel = sun("../sock"); /* the same file */
	CHECK_EQ(connect(c, (struct sockaddr *)&rel, sizeof(rel)), 0);
	CHECK_EQ(chdir("/fs"), 0);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK_EQ(write(c, "ping", 4), 4);
	CHECK_EQ(read(s, buf, sizeof(buf)), 4);
	CHECK(!strncmp(buf, "ping", 4));
	int l2 = socket(AF_UNIX, SOCK_STREAM, 0),
	    d = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(bind(l2, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
	struct sockaddr_un file = sun("/fs/hello"), none = sun("/fs/none");
	CHECK_ERR(connect(d, (struct sockaddr *)&file, sizeof(file)),
		  ECONNREFUSED); /* no socket */
	CHECK_ERR(connect(d, (struct sockaddr *)&none, sizeof(none)), ENOENT);
	close(l);
	CHECK_ERR(connect(d, (struct sockaddr *)&a, sizeof(a)),
		  ECONNREFUSED); /* the file stays, nobody is bound */
	int g = socket(AF_UNIX, SOCK_DGRAM, 0),
	    h = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un dg = sun("/fs/dg");
	CHECK_EQ(bind(g, (struct sockaddr *)&dg, sizeof(dg)), 0);
	CHECK_EQ(sendto(h, "dgram", 5, 0, (struct sockaddr *)&dg, sizeof(dg)),
		 5);
	CHECK_EQ(recv(g, buf, sizeof(buf), 0), 5);
	CHECK(!strncmp(buf, "dgram", 5));
	close(g);
	close(h);
	close(c);
	close(s);
	close(l2);
	close(d);
}

#define LAST(op_, path_)                                                       \
	do {                                                                   \
		CHECK_EQ(seen.last.op, op_);                                   \
		CHECK(!strcmp(seen.last_path[0], path_));                      \
	} while (0)

/* Each call's arguments land in the request fields proto.h names. */
static void request_fields(void)
{
	struct timespec ts[2] = {{5, 6}, {7, UTIME_OMIT}};
	struct statfs sf;
	int fd = open("/fs/w", O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(chmod("/fs/hello", 04751), 0);
	LAST(LUX_CHMOD, "hello");
	CHECK_EQ(seen.last.mode, 04751);
	CHECK_EQ(fchmod(fd, 0600), 0);
	LAST(LUX_CHMOD, "");
	CHECK_EQ(seen.last.handle, H("w"));
	CHECK_EQ(lchown("/fs/hello", 5, -1), 0);
	LAST(LUX_CHOWN, "hello");
	CHECK_EQ(seen.last.off, 5);
	CHECK_EQ((int64_t)seen.last.count, -1); /* keep */
	CHECK_EQ(seen.last.flags, AT_SYMLINK_NOFOLLOW);
	CHECK_EQ(fchown(fd, -1, 9), 0);
	CHECK_EQ((int64_t)seen.last.off, -1);
	CHECK_EQ(seen.last.count, 9);
	CHECK_EQ(utimensat(AT_FDCWD, "/fs/hello", ts, 0), 0);
	LAST(LUX_UTIMENS, "hello");
	CHECK_EQ(seen.last.time[0][0], 5);
	CHECK_EQ(seen.last.time[0][1], 6);
	CHECK_EQ(seen.last.time[1][1], UTIME_OMIT);
	CHECK_EQ(futimens(fd, NULL), 0);
	CHECK_EQ(seen.last.handle, H("w"));
	CHECK_EQ(seen.last.time[1][1], UTIME_NOW);
	CHECK_EQ(truncate("/fs/w", 3), 0);
	LAST(LUX_TRUNCATE, "w");
	CHECK_EQ(seen.last.off, 3);
	CHECK_EQ(ftruncate(fd, 2), 0);
	CHECK_EQ(seen.last.handle, H("w"));
	CHECK_EQ(seen.last.off, 2);
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	CHECK_EQ(access("/fs/hello", R_OK | X_OK), 0);
	LAST(LUX_ACCESS, "hello");
	CHECK_EQ(seen.last.mode, R_OK | X_OK);
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(seen.last.op, LUX_FSYNC);
	CHECK_ERR(rmdir("/fs/dir/."), EINVAL); /* as Linux, before cleaning */
	CHECK_ERR(rmdir("/fs/dir/.."), ENOTEMPTY);
	CHECK_ERR(unlink("/fs/dir/./"), EISDIR);
	CHECK_EQ(rmdir("/fs/dir"), 0);
	LAST(LUX_UNLINK, "dir");
	CHECK_EQ(seen.last.flags, AT_REMOVEDIR);
	CHECK_EQ(unlink("/fs/hello"), 0);
	CHECK_EQ(seen.last.flags, 0);
	CHECK_EQ(link("/fs/hello", "/fs/dir/h2"), 0);
	LAST(LUX_LINK, "hello");
	CHECK(!strcmp(seen.last_path[1], "dir/h2"));
	CHECK_EQ(seen.last.uid, getuid());
	CHECK_EQ(seen.last.pid, getpid());
	CHECK_EQ(statfs("/fs/dir", &sf), 0);
	LAST(LUX_STATFS, "dir");
	CHECK_EQ(sf.f_type, 0x858458f6);
	CHECK_EQ(sf.f_bfree, 40);
	CHECK_EQ(sf.f_namelen, 255);
	CHECK_EQ(fstatfs(fd, &sf), 0);
	CHECK_EQ(sf.f_blocks, 100);
	CHECK_EQ(seen.last.handle, H("w"));
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(fsync(p[0]), EINVAL);
	close(p[0]);
	close(p[1]);
	close(fd);
}

static void mount_calls(void)
{
	CHECK_EQ(mount("none", "/fs/../mnt//x", "ramfs", 7, NULL), 0);
	CHECK_EQ(mounted.op, LUX_MOUNT);
	CHECK(!strcmp(mounted.str[0], "none"));
	CHECK(!strcmp(mounted.str[1], "/mnt/x"));
	CHECK(!strcmp(mounted.str[2], "ramfs"));
	CHECK_EQ(mounted.flags, 7);
	CHECK_EQ(umount2("/mnt/x", 2), 0);
	CHECK_EQ(mounted.op, LUX_UMOUNT);
	CHECK(!strcmp(mounted.str[0], "/mnt/x"));
	CHECK_EQ(mounted.flags, 2);
	CHECK_ERR(mount("none", "", "ramfs", 0, NULL), ENOENT);
}

static pid_t early_pid = -1;

/* Start a child that execs path before the resolver is named, and return
 * at its exec's point of no return (its close-on-exec pipe closes), as
 * lumen does for its first server: the exec began in the boot image and
 * must end there although main names the resolver now. */
static void exec_early(char *path)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) < 0 || (early_pid = fork()) < 0)
		return;
	if (early_pid == 0) {
		char *argv[] = {path, "exec-early", NULL};
		execve(path, argv, argv + 2);
		_exit(127);
	}
	close(p[1]);
	while (read(p[0], &c, 1) < 0 && errno == EINTR)
		;
	close(p[0]);
}

static void exec_across_resolver(void)
{
	CHECK(early_pid > 0);
	int status = ut_wait(early_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(exec_across_resolver), UT_CASE(channel_ends),
	    UT_CASE(redirect_read),        UT_CASE(stat_calls),
	    UT_CASE(follow_links),         UT_CASE(dir_entries),
	    UT_CASE(cwd_relative),         UT_CASE(dirfd_calls),
	    UT_CASE(write_seek),           UT_CASE(nonblock_notify),
	    UT_CASE(signal_cancel),        UT_CASE(signal_unqueue),
	    UT_CASE(signal_restart),       UT_CASE(read_whole),
	    UT_CASE(server_gone),          UT_CASE(malformed_reply),
	    UT_CASE(create_calls),         UT_CASE(ioctl_calls),
	    UT_CASE(exec_calls),           UT_CASE(sendfile_calls),
	    UT_CASE(path_sockets),         UT_CASE(request_fields),
	    UT_CASE(mount_calls),          UT_CASE(bad_addresses),
	};
	pthread_t t;
	int fds[2];

	if (argc == 2 && !strcmp(argv[1], "exec-early"))
		return 0;
	exec_early(argv[0]);
	make_prog();
	for (int i = 0; i < NCHAN; i++) {
		if (syscall(LUX_NR_CHANNEL, fds) < 0) {
			ut_print("chan: LUX_NR_CHANNEL: %s\n",
				 ut_errno_name(errno));
			return 1;
		}
		srv[i] = fds[0];
		cli[i] = fds[1];
	}
	if (pipe(note) < 0 || syscall(LUX_NR_RESOLVER, cli[LUMEN]) < 0 ||
	    pthread_create(&t, NULL, lumen_thread, NULL) ||
	    pthread_create(&t, NULL, fs_thread, NULL)) {
		ut_print("chan: cannot start: %s\n", ut_errno_name(errno));
		return 1;
	}
	int r = ut_main(argc, argv, "chan", cases, UT_COUNT(cases));
	ut_print("utest: done\n");
	return r;
}
