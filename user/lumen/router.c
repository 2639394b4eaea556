/*
 * router.c - lumen's router thread: every path request of every process
 * comes here first and is answered LUX_REDIRECT to the server mounted on
 * the longest matching mount point (route.c). mount(2) and umount(2) are
 * served by the main thread, which may have to start a server (whose
 * execve needs this thread free).
 */
#define _GNU_SOURCE
#include "lumen.h"
#include <errno.h>
#include <fcntl.h>
#include <lux.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MS_RDONLY_  1
#define MS_REMOUNT_ 32

int mount_pipe[2];
int resolver_client = -1;
static uint64_t mtab_gen; /* the kernel's resolver generation (mtab_lock) */

void mtab_changed(void)
{
	long g = resolver_client < 0 ? -1 : lux_resolver(resolver_client);

	if (g > 0)
		mtab_gen = g;
}

/* LUX_MOUNTS: the generation and the table, for the personality's cache
 * (user/persona/path.c); -E2BIG when it does not fit a reply. */
static void send_mounts(const struct lux_msg *m)
{
	static char buf[2 * LUX_PATH_MAX];
	struct lux_rep r = {.op = LUX_REPLY};
	size_t len = 0;

	pthread_mutex_lock(&mtab_lock);
	r.off = mtab_gen;
	for (int i = 0; i < mtab.n && r.result >= 0; i++) {
		struct lux_mount e = {.fd = svcs[mtab.m[i].owner].client_fd,
				      .file = mtab.m[i].file,
				      .len = strlen(mtab.m[i].path)};
		size_t next = (len + sizeof(e) + e.len + 7) & ~(size_t)7;
		if (next > sizeof(buf)) {
			r.result = -E2BIG;
			break;
		}
		memcpy(buf + len, &e, sizeof(e));
		memcpy(buf + len + sizeof(e), mtab.m[i].path, e.len);
		len = next;
	}
	pthread_mutex_unlock(&mtab_lock);
	lux_reply_full(lumen_fd, &m->req, &r, buf, r.result < 0 ? 0 : len);
}

/* Answer a path request: a redirect, or an error. */
static void route_request(const struct lux_msg *m)
{
	unsigned op = m->req.op;
	bool two = op == LUX_RENAME || op == LUX_LINK;
	const char *path = lux_path(m, 0), *path2 = two ? lux_path(m, 1) : NULL;
	struct lux_rep r = {.op = LUX_REDIRECT};
	int i = -EINVAL;

	pthread_mutex_lock(&mtab_lock);
	r.handle = mtab_gen;
	if (op < LUX_READ && path && (path2 || !two))
		i = route(&mtab, op, path, path2, &r.off, &r.off2);
	if (i >= 0 && (r.result = svcs[mtab.m[i].owner].client_fd) < 0)
		i = -EIO; /* not running (being restarted) */
	if (i >= 0)
		r.mode = mtab.m[i].any_root ? LUX_REDIRECT_ANY_ROOT : 0;
	if (i >= 0) {
		/* Under the lock: the descriptor is not closed before the
		 * kernel took the redirect. */
		lux_reply_full(lumen_fd, &m->req, &r, NULL, 0);
		pthread_mutex_unlock(&mtab_lock);
		return;
	}
	pthread_mutex_unlock(&mtab_lock);
	lux_reply(lumen_fd, &m->req, i, NULL, 0);
}

static void *router(void *unused)
{
	static struct lux_msg m;
	struct lux_msg *copy;
	long n;

	(void)unused;
	for (;;) {
		if ((n = lux_recv(lumen_fd, &m)) < 0) {
			if (errno == EINTR)
				continue;
			lumen_log("router: %s", strerror(errno));
			if (errno == EPROTO)
				continue;
			return NULL;
		}
		switch (m.req.op) {
		case LUX_CANCEL:
		case LUX_CLOSE:
			break;
		case LUX_MOUNTS:
			send_mounts(&m);
			break;
		case LUX_MOUNT:
		case LUX_UMOUNT:
			/* The main thread answers; it may start a server. */
			if (!(copy = malloc(m.req.len + 1))) {
				lux_reply(lumen_fd, &m.req, -ENOMEM, NULL, 0);
				break;
			}
			memcpy(copy, &m, m.req.len + 1);
			if (write(mount_pipe[1], &copy, sizeof(copy)) !=
			    sizeof(copy)) {
				lux_reply(lumen_fd, &m.req, -EAGAIN, NULL, 0);
				free(copy);
			}
			break;
		default:
			route_request(&m);
		}
	}
}

void router_start(void)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, router, NULL);

	if (r)
		lumen_log("cannot start the router thread: %s", strerror(r));
}

/* "/a/b/" -> "/a/b"; a relative path gets its '/'. */
static void mount_point(const char *in, char *out, size_t size)
{
	size_t n;

	snprintf(out, size, "%s%s", in[0] == '/' ? "" : "/", in);
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = 0;
}

static int remount(const char *target, bool ro);

/* mount(source, target, fstype, flags) for root: start a server for
 * fstype on target (an ext2 server gets the source, made absolute, as its
 * argument), read-only with MS_RDONLY; with MS_REMOUNT, only make the
 * mount on target read-only or writable again. */
static int do_mount(const struct lux_msg *m)
{
	const char *src = lux_path(m, 0), *target = lux_path(m, 1),
		   *type = lux_path(m, 2);
	bool ro = m->req.flags & MS_RDONLY_;
	int r;

	if (m->req.uid != 0)
		return -EPERM;
	if (!target || !*target)
		return -EINVAL;
	if (m->req.flags & MS_REMOUNT_)
		return remount(target, ro);
	if (!src)
		return -EINVAL;
	if (m->req.flags & MS_BIND)
		return mount_bind(src, target, m->req.flags & MS_REC);
	if (!type)
		return -EINVAL;
	if ((r = mount_fs(src, target, type)) || ro)
		return r ? r : remount(target, true);
	/* Return once the server answers (remount's open waits for it), as
	 * Linux's mount returns with its source open: a loop device set to
	 * clear at its last close must not see the last close before the
	 * file system's open. */
	remount(target, false);
	return 0;
}

/* mount(2)'s MS_RDONLY: the file system on target refuses changes (ro)
 * or takes them again. Its server is told (LUX_READONLY, an IOCTL on its
 * root; ENOTTY: it has nothing to change, as procfs) and /proc/mounts
 * says so. 0 or -errno (EINVAL: nothing is mounted there). */
static int remount(const char *target, bool ro)
{
	struct {
		struct lux_req q;
	} m = {{.op = LUX_IOCTL,
		.len = sizeof(struct lux_req),
		.count = LUX_READONLY,
		.off = ro}};
	struct lux_rep rep;
	char path[LUX_PATH_MAX];
	int i, fd, r;

	mount_point(target, path, sizeof(path));
	pthread_mutex_lock(&mtab_lock);
	for (i = mtab.n - 1; i >= 0 && strcmp(mtab.m[i].path, path);)
		i--;
	pthread_mutex_unlock(&mtab_lock);
	if (i < 0)
		return -EINVAL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	r = syscall(LUX_NR_REQUEST, LUX_REQ_FD(fd), 0L, &m, &rep, sizeof(rep),
		    0L);
	close(fd);
	r = r < 0 ? -errno : rep.result == -ENOTTY ? 0 : rep.result;
	pthread_mutex_lock(&mtab_lock);
	for (i = mtab.n - 1; !r && i >= 0 && strcmp(mtab.m[i].path, path);)
		i--;
	if (!r && i >= 0)
		mtab.m[i].ro = ro;
	pthread_mutex_unlock(&mtab_lock);
	if (!r)
		svc_write_mounts();
	return r;
}

int mount_bind(const char *src, const char *target, bool rec)
{
	char path[LUX_PATH_MAX], source[LUX_PATH_MAX];
	struct stat st;
	int r;

	mount_point(target, path, sizeof(path));
	mount_point(src, source, sizeof(source));
	if (stat(path, &st) < 0)
		return -errno;
	pthread_mutex_lock(&mtab_lock);
	r = mtab_bind(&mtab, source, path, rec);
	mtab_changed();
	pthread_mutex_unlock(&mtab_lock);
	return r;
}

int mount_fs(const char *src, const char *target, const char *type)
{
	const char *prog;
	bool restart = true, with_source = false;
	char path[LUX_PATH_MAX], source[LUX_PATH_MAX], *line;
	struct svc *s = NULL;
	struct stat st;
	int r;

	if (!strcmp(type, "tmpfs") || !strcmp(type, "ramfs")) {
		prog = "/sbin/ramfs";
		restart = false; /* a new one would be empty */
	} else if (!strcmp(type, "proc") || !strcmp(type, "procfs")) {
		prog = "/sbin/procfs";
	} else if (!strcmp(type, "ext2")) {
		/* The image is the source (a file, or a disk's node): the
		 * server opens it, and a restart reads it again. */
		prog = "/sbin/ext2";
		with_source = true;
	} else {
		return -ENODEV;
	}
	mount_point(target, path, sizeof(path));
	mount_point(src, source, sizeof(source));
	if (with_source && stat(source, &st) < 0)
		return -errno;
	if (with_source && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -ENOTBLK;
	if (stat(path, &st) < 0)
		return -errno;
	for (int i = 0; i < SVC_MAX && !s; i++)
		if (!svcs[i].used && !svcs[i].pid)
			s = &svcs[i];
	/* The service's strings live in one line it owns: name, mount
	 * point, program. */
	if (!s || !(line = malloc(strlen(type) + strlen(path) + strlen(prog) +
				  strlen(source) + 4)))
		return -ENOMEM;
	*s = (struct svc){.line = line,
			  .used = true,
			  .restart = restart,
			  .dynamic = true,
			  .client_fd = -1};
	s->conf.name = strcpy(line, type);
	s->conf.mounts[0] = strcpy(line + strlen(type) + 1, path);
	s->conf.argv[0] = strcpy(s->conf.mounts[0] + strlen(path) + 1, prog);
	if (with_source)
		s->conf.argv[1] =
		    strcpy(s->conf.argv[0] + strlen(prog) + 1, source);
	s->conf.nmounts = 1;
	if ((r = svc_start(s)) < 0) {
		free(line);
		s->used = false;
		return r;
	}
	pthread_mutex_lock(&mtab_lock);
	r = mtab_add(&mtab, path, !S_ISDIR(st.st_mode), s - svcs, src, type);
	mtab_changed();
	pthread_mutex_unlock(&mtab_lock);
	if (r < 0) {
		s->retired = true;
		kill(s->pid, SIGKILL);
	}
	return r;
}

/* umount(target): the newest mount there goes; a server mounted nowhere
 * else and started by mount(2) is let go (it exits when its last client
 * is gone). */
static int do_umount(const struct lux_msg *m)
{
	const char *target = lux_path(m, 0);
	char path[LUX_PATH_MAX];
	int owner, fd = -1;

	if (m->req.uid != 0)
		return -EPERM;
	if (!target)
		return -EINVAL;
	mount_point(target, path, sizeof(path));
	if (!strcmp(path, "/"))
		return -EBUSY;
	pthread_mutex_lock(&mtab_lock);
	if ((owner = mtab_remove(&mtab, path)) >= 0 &&
	    !mtab_count(&mtab, owner) && svcs[owner].dynamic) {
		fd = svcs[owner].client_fd;
		svcs[owner].client_fd = -1;
		svcs[owner].retired = true;
		if (!svcs[owner].pid) /* gone already (given up, back-off) */
			svc_free(&svcs[owner]);
	}
	mtab_changed(); /* before the descriptor can be reused */
	pthread_mutex_unlock(&mtab_lock);
	if (fd >= 0)
		close(fd);
	return owner < 0 ? owner : 0;
}

void router_mount(struct lux_msg *m)
{
	int r = m->req.op == LUX_MOUNT ? do_mount(m) : do_umount(m);

	if (r == 0)
		svc_write_mounts();
	lux_reply(lumen_fd, &m->req, r, NULL, 0);
}

/* Whether a mount's source is src (a disk two servers must not share). */
static bool mounted_from(const char *src)
{
	bool used = false;

	pthread_mutex_lock(&mtab_lock);
	for (int i = 0; i < mtab.n && !used; i++)
		used = !strcmp(mtab.m[i].source, src);
	pthread_mutex_unlock(&mtab_lock);
	return used;
}

/* fstab's LABEL=name: the disk (/dev/vda, /dev/vdb, ...), not mounted
 * yet, holding an ext2 file system of that volume name, into path: 0,
 * or -ENOENT. */
static int fstab_label(const char *name, char *path, size_t size)
{
	unsigned char sb[136]; /* the superblock, to its volume name */

	for (char c = 'a'; c <= 'z'; c++) {
		snprintf(path, size, "/dev/vd%c", c);
		int fd =
		    mounted_from(path) ? -1 : open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = pread(fd, sb, sizeof(sb), 1024);
		close(fd);
		if (n == (ssize_t)sizeof(sb) && sb[56] == 0x53 &&
		    sb[57] == 0xef &&
		    !strncmp((const char *)sb + 120, name, 16))
			return 0;
	}
	return -ENOENT;
}

void mount_fstab(void)
{
	char *text = read_text("/etc/fstab"), *line, *next, disk[16];
	int r;

	for (line = text; line && *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		char *s = line, *src = tab_word(&s), *dir = tab_word(&s),
		     *type = tab_word(&s), *opts = tab_word(&s);
		bool bind = opts && strstr(opts, "bind");
		if (src && !strncmp(src, "LABEL=", 6))
			src = fstab_label(src + 6, disk, sizeof(disk)) ? "-"
								       : disk;
		if (!type || access(src, F_OK) < 0 ||
		    (bind && access(dir, F_OK) < 0))
			continue; /* a comment, a disk not attached, or a
				   * bind whose target's disk is not */
		r = bind ? mount_bind(src, dir, strstr(opts, "rbind") != NULL)
			 : mount_fs(src, dir, type);
		if (r < 0)
			lumen_log("mount %s on %s: %s", src, dir, strerror(-r));
		else
			svc_write_mounts();
	}
	free(text);
}
