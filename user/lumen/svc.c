/*
 * svc.c - starting services, mounting them, and restarting them with
 * back-off when they die (docs/lumen.md).
 */
#define _GNU_SOURCE
#include "lumen.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define BACKOFF_MIN 100   /* ms before the first restart */
#define BACKOFF_MAX 5000  /* the longest wait between restarts */
#define LIVED_OK    10000 /* ms a run must last to reset the back-off */

static char *const server_env[] = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL};
static char *const session_env[] = {
    "HOME=/root", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=vt100", NULL};

/* In the session child: fds 0-2 on /dev/console, opened three times so
 * the terminal becomes the controlling tty of the new session. Keeps the
 * inherited descriptors (the kernel console) when there is no terminal. */
static void console_fds(void)
{
	int fd = open("/dev/console", O_RDWR);

	if (fd < 0) {
		lumen_log("cannot open /dev/console (%s): the session keeps "
			  "the kernel console",
			  strerror(errno));
		return;
	}
	dup2(fd, 0);
	close(fd);
	for (int i = 1; i < 3; i++) {
		close(i);
		if (open("/dev/console", O_RDWR) != i)
			dup2(0, i);
	}
}

/* The child of svc_spawn restarting a server built into lumen: with
 * only its channel (fd 3), its state (fd 4) and fds 0-2, lumen's signal
 * handling undone, and its own name (its command line stays lumen's). musl leaves the child of a
 * multithreaded fork able to use malloc and stdio, which the server
 * needs. */
static _Noreturn void run_builtin(const struct svc *s, int done)
{
	static const int sigs[] = {SIGCHLD, SIGTERM, SIGUSR1, SIGUSR2};
	const char *name = strrchr(s->conf.argv[0], '/');

	close(done); /* started: svc_spawn returns */
	syscall(SYS_close_range, LUX_SERVER_FD + 2, ~0U, 0);
	for (int i = 0; i < 4; i++)
		signal(sigs[i], SIG_DFL);
	prctl(PR_SET_NAME, name ? name + 1 : s->conf.argv[0]);
	_exit(s->builtin(LUX_SERVER_FD + 1));
}

/* The child of svc_spawn: wait for the grants, set up, exec (or, for a
 * restart of a built-in server, run it). Only system calls here (but in
 * a built-in server): the parent has threads. */
static _Noreturn void spawn_child(char *const argv[], int server_fd,
				  bool console, int go, int done,
				  const struct svc *builtin)
{
	sigset_t none;
	char c;
	int err;

	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	close(go);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL); /* execve keeps the mask */
	if (done == LUX_SERVER_FD) /* keep fd 3 free for the channel */
		done = fcntl(done, F_DUPFD_CLOEXEC, LUX_SERVER_FD + 1);
	if (server_fd == LUX_SERVER_FD)
		fcntl(server_fd, F_SETFD, 0);
	else if (server_fd >= 0)
		dup2(server_fd, LUX_SERVER_FD);
	if (console) {
		setsid();
		console_fds();
	}
	if (builtin && builtin->state_fd != LUX_SERVER_FD + 1)
		dup2(builtin->state_fd, LUX_SERVER_FD + 1);
	if (builtin && builtin->builtin && builtin->started) /* the root may
							      * be down */
		run_builtin(builtin, done);
	execve(argv[0], argv, console ? session_env : server_env);
	err = errno;
	write(done, &err, sizeof(err));
	_exit(127);
}

int svc_spawn(char *const argv[], int server_fd, const struct grant *g, int ng,
	      bool console, const struct svc *builtin)
{
	int go[2], done[2], err = 0, pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(done, O_CLOEXEC) < 0)
		done[0] = done[1] = -1;
	if (done[0] < 0 || (pid = fork()) < 0) {
		err = -errno;
		for (int i = 0; i < 2; i++) {
			close(go[i]);
			if (done[i] >= 0)
				close(done[i]);
		}
		return err;
	}
	if (pid == 0) {
		close(go[1]);
		close(done[0]);
		spawn_child(argv, server_fd, console, go[0], done[1], builtin);
	}
	close(go[0]);
	close(done[1]);
	/* The child waits on go until its grants are in place: they are
	 * given to a pid and survive its execve. */
	for (int i = 0; i < ng; i++)
		if (lux_grant(pid, g[i].kind, g[i].base, g[i].count) < 0)
			lumen_log(
			    "%s: grant %d 0x%llx+%llu failed: %s", argv[0],
			    g[i].kind, (unsigned long long)g[i].base,
			    (unsigned long long)g[i].count, strerror(errno));
	close(go[1]);
	/* done closes when execve read the program (close-on-exec), or
	 * carries execve's errno. */
	while (read(done[0], &err, sizeof(err)) < 0 && errno == EINTR)
		;
	close(done[0]);
	return err ? -err : pid;
}

int svc_start(struct svc *s)
{
	int ch[2] = {-1, -1}, pid, old;

	if (!s->session && lux_channel(ch) < 0)
		return -errno;
	if (ch[0] >= 0) {
		fcntl(ch[0], F_SETFD, FD_CLOEXEC);
		fcntl(ch[1], F_SETFD, FD_CLOEXEC);
	}
	pid = svc_spawn(
	    s->conf.argv, ch[0], s->conf.grants, s->conf.ngrants, s->session,
	    s->builtin || s->state_fd > LUX_SERVER_FD + 1 ? s : NULL);
	if (ch[0] >= 0)
		close(ch[0]);
	if (pid < 0) {
		if (ch[1] >= 0)
			close(ch[1]);
		return pid;
	}
	s->pid = pid;
	s->started = now_ms();
	if (!s->session) {
		/* The router answers with client_fd under the lock: the old
		 * one is out of the table before it is closed. */
		pthread_mutex_lock(&mtab_lock);
		old = s->client_fd;
		s->client_fd = ch[1];
		mtab_changed(); /* before the old one is closed */
		pthread_mutex_unlock(&mtab_lock);
		if (old >= 0)
			close(old);
	}
	lumen_log("started %s (pid %d)", s->conf.name, pid);
	return 0;
}

void svc_make_nodes(void)
{
	char path[LUX_PATH_MAX];

	for (int i = 0;; i++) {
		pthread_mutex_lock(&mtab_lock);
		bool more = i < mtab.n, file = more && mtab.m[i].file;
		if ((file = file && !strncmp(mtab.m[i].path, "/dev/", 5)))
			snprintf(path, sizeof(path), "%s", mtab.m[i].path);
		pthread_mutex_unlock(&mtab_lock);
		if (!more)
			return;
		if (file) /* it may exist; devfs may be down: no news */
			mknod(path, S_IFCHR | 0620, 0);
	}
}

void svc_mount(struct svc *s, const char *fstype)
{
	struct stat st;

	for (int i = 0; i < s->conf.nmounts; i++) {
		const char *mp = s->conf.mounts[i];
		bool any = *mp == '+'; /* reached from every root */
		mp += any;
		bool file = stat(mp, &st) < 0 || !S_ISDIR(st.st_mode);
		/* A mount point in /dev that is no directory is a device
		 * node: make it (in devfs) so that `ls /dev` shows it. */
		if (file && !strncmp(mp, "/dev/", 5) &&
		    mknod(mp, S_IFCHR | 0620, 0) < 0 && errno != EEXIST)
			lumen_log("mknod %s: %s", mp, strerror(errno));
		pthread_mutex_lock(&mtab_lock);
		int r =
		    mtab_add(&mtab, mp, file, s - svcs, s->conf.name, fstype);
		if (!r)
			mtab.m[mtab.n - 1].any_root = any;
		mtab_changed();
		pthread_mutex_unlock(&mtab_lock);
		if (r < 0)
			lumen_log("cannot mount %s on %s: %s", s->conf.name, mp,
				  strerror(-r));
	}
}

void svc_write_mounts(void)
{
	static char buf[MOUNT_MAX * (2 * 64 + 32)];
	size_t len;
	int fd;

	pthread_mutex_lock(&mtab_lock);
	len = mtab_format(&mtab, buf, sizeof(buf));
	pthread_mutex_unlock(&mtab_lock);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	fd =
	    open("/run/mounts", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		lumen_log("cannot write /run/mounts: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* "exited with status 1", "was killed by signal 9" */
static const char *how(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d",
			 WTERMSIG(status));
	else
		snprintf(buf, size, "exited with status %d",
			 WEXITSTATUS(status));
	return buf;
}

void svc_free(struct svc *s)
{
	free(s->line);
	*s = (struct svc){.client_fd = -1};
}

bool svc_hopeless(int err)
{
	return err == -ENOENT || err == -ENOEXEC || err == -EACCES;
}

int svc_schedule(struct svc *s)
{
	int delay = s->backoff < BACKOFF_MIN ? BACKOFF_MIN : s->backoff;

	s->restart_at = now_ms() + delay;
	s->backoff = delay * 2 < BACKOFF_MAX ? delay * 2 : BACKOFF_MAX;
	return delay;
}

bool svc_exited(int pid, int status, int *exit_code)
{
	struct svc *s = NULL;
	int64_t now = now_ms();
	char text[64];

	for (int i = 0; i < SVC_MAX && !s; i++)
		if (svcs[i].used && svcs[i].pid == pid)
			s = &svcs[i];
	if (!s)
		return false; /* an orphan: reaped, nothing more */
	s->pid = 0;
	how(status, text, sizeof(text));
	if (s->session && !s->restart) { /* the test command: lumen ends */
		lumen_log("%s %s", s->conf.argv[0], text);
		*exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status)
						 : WEXITSTATUS(status);
		return true;
	}
	if (!s->restart || s->retired) {
		lumen_log("%s %s%s", s->conf.name, text,
			  s->retired ? "" : "; not restarted");
		if (s->retired && s->dynamic) /* unmounted */
			svc_free(s);
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == LUX_EXIT_UNSERVABLE) {
		lumen_log("%s %s: cannot serve its source; given up",
			  s->conf.name, text);
		s->retired = true; /* its mounts answer EIO until unmounted */
		return false;
	}
	if (now - s->started >= LIVED_OK)
		s->backoff = BACKOFF_MIN;
	lumen_log("%s %s, restarting in %d ms", s->conf.name, text,
		  svc_schedule(s));
	return false;
}

void svc_restart_due(int *wait)
{
	*wait = -1;
	for (int i = 0; i < SVC_MAX; i++) {
		struct svc *s = &svcs[i];
		int64_t left = s->restart_at - now_ms();
		if (!s->used || s->pid || !s->restart || s->retired ||
		    !s->restart_at)
			continue;
		if (left <= 0) {
			s->restart_at = 0;
			int r = svc_start(s);
			if (r < 0 && svc_hopeless(r)) {
				lumen_log("cannot start %s: %s; given up",
					  s->conf.name, strerror(-r));
				s->retired = true;
			} else if (r < 0) {
				lumen_log(
				    "cannot start %s: %s, retrying in %d ms",
				    s->conf.name, strerror(-r),
				    svc_schedule(s));
			} else if (!s->session) {
				svc_make_nodes();
			}
			left = s->restart_at ? s->restart_at - now_ms() : -1;
		}
		if (left >= 0 && (*wait < 0 || left < *wait))
			*wait = left;
	}
}
