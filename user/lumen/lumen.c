/*
 * lumen.c - PID 1: starts ramfs, becomes the path resolver, starts the
 * services of /etc/lumen.tab, then the console session, and supervises
 * them all for ever (docs/lumen.md).
 *
 *     lumen                 the login shell /bin/sh -l on /dev/console
 *     lumen [--] CMD ARGS   CMD instead; lumen exits with its status
 */
#define _GNU_SOURCE
#include "lumen.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TAB_PATH "/etc/lumen.tab"

struct svc svcs[SVC_MAX];
struct mtab mtab;
pthread_mutex_t mtab_lock = PTHREAD_MUTEX_INITIALIZER;
int lumen_fd = -1;

/* The log goes through the terminal once it runs, so that its lines do not
 * mix with the shell's output on the UART; the kernel console (fd 2) takes
 * them while the terminal is down. Only the main thread opens: the
 * router's own open would wait for itself. */
static int log_fd = -1;
static pthread_t main_thread;

static void log_write(const char *buf, int n)
{
	int fd = log_fd;

	if (fd < 0 && pthread_equal(pthread_self(), main_thread) &&
	    (fd = open("/dev/console",
		       O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) >= 0)
		log_fd = fd;
	if (fd >= 0 && write(fd, buf, n) == n)
		return;
	if (fd >= 0 && errno == EIO &&
	    pthread_equal(pthread_self(), main_thread)) {
		log_fd = -1; /* the terminal died: open it again next time */
		close(fd);
	}
	write(2, buf, n);
}

void lumen_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "lumen: ");

	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	log_write(buf, n);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct svc *svc_new(void)
{
	for (int i = 0; i < SVC_MAX; i++)
		if (!svcs[i].used) {
			svcs[i] = (struct svc){.used = true, .client_fd = -1};
			return &svcs[i];
		}
	return NULL;
}

/* Start ramfs, the root: built into lumen, its tree in a memory object
 * that lumen keeps, so that it is restarted like any server and finds
 * its files again (docs/ramfs.md); then make lumen's own channel the
 * resolver. */
static void start_root(void)
{
	static char name[] = "ramfs", prog[] = "/sbin/ramfs", arg[] = "--state";
	struct svc *s = svc_new();
	int ch[2], r, fd = memfd_create("ramfs", MFD_CLOEXEC);

	s->conf = (struct svc_conf){.name = name, .argv = {prog, arg}};
	s->conf.grants[s->conf.ngrants++].kind = LUX_GRANT_BOOTDATA;
	/* far above the descriptors a child is given (3 and 4) */
	s->state_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
	if (fd >= 0)
		close(fd);
	s->builtin = ramfs_main;
	s->restart = true;
	if (s->state_fd < 0) { /* then its files go with it: no restart */
		lumen_log("no memory object for ramfs: %s", strerror(errno));
		s->conf.argv[1] = NULL;
		s->builtin = NULL;
		s->restart = false;
	}
	if ((r = svc_start(s)) < 0)
		lumen_log("cannot start ramfs: %s", strerror(-r));
	mtab_add(&mtab, "/", false, s - svcs, "ramfs", "ramfs");
	if (lux_channel(ch) < 0 || lux_resolver(ch[1]) < 0) {
		lumen_log("cannot become the resolver: %s", strerror(errno));
		exit(1);
	}
	pthread_mutex_lock(&mtab_lock);
	resolver_client = ch[1];
	mtab_changed();
	pthread_mutex_unlock(&mtab_lock);
	fcntl(ch[0], F_SETFD, FD_CLOEXEC);
	fcntl(ch[1], F_SETFD, FD_CLOEXEC);
	lumen_fd = ch[0];
	if (pipe2(mount_pipe, O_CLOEXEC) < 0) {
		lumen_log("pipe: %s", strerror(errno));
		exit(1);
	}
	router_start();
}

/* Read the file at path whole: its text, NUL-terminated (malloc), or
 * NULL with errno set. */
char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t size = 4096, len = 0;
	char *buf = fd < 0 ? NULL : malloc(size);
	long n = 1;

	if (!buf) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (buf && (n = read(fd, buf + len, size - len - 1)) > 0)
		if ((len += n) == size - 1)
			buf = realloc(buf, size *= 2);
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* Start the services of the table in order, each mounted before the
 * next starts. Every line is read and its PCI device found (its BARs
 * sized, which turns the device's memory decoding off for a moment)
 * before the first driver starts, so that no device's decoding changes
 * while another's driver works. */
static void start_services(void)
{
	char *text = read_text(TAB_PATH), *line, *next;
	struct svc *order[SVC_MAX];
	const char *why;
	int lineno = 0, n = 0, r;

	if (!text)
		lumen_log("cannot read %s: %s", TAB_PATH, strerror(errno));
	for (line = text; line && *line; line = next) {
		struct svc_conf c;
		struct svc *s;
		lineno++;
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = 0;
		char *copy = strdup(line);
		r = copy ? tab_parse(copy, &c, &why) : 0;
		if (r <= 0) {
			if (r < 0)
				lumen_log("%s:%d: %s", TAB_PATH, lineno, why);
			free(copy);
			continue;
		}
		if (!(s = svc_new()) || s == &svcs[SVC_MAX - 1]) {
			/* the last slot is the session's */
			lumen_log("%s:%d: too many services", TAB_PATH, lineno);
			if (s)
				s->used = false;
			free(copy);
			break;
		}
		s->conf = c;
		s->line = copy;
		s->restart = true;
		if ((r = pci_resolve(s)) < 0 || (r = vmmio_resolve(s)) < 0) {
			if (r != -ENODEV) /* no such device: nothing to say */
				lumen_log("%s: %s", c.name, strerror(-r));
			s->used = false;
			free(copy);
			continue;
		}
		order[n++] = s;
	}
	for (int i = 0; i < n; i++) {
		struct svc *s = order[i];
		if ((r = svc_start(s)) < 0 && svc_hopeless(r)) {
			lumen_log("cannot start %s: %s", s->conf.name,
				  strerror(-r));
			s->retired = true;
		} else if (r < 0) {
			lumen_log("cannot start %s: %s, retrying in %d ms",
				  s->conf.name, strerror(-r), svc_schedule(s));
		}
		svc_mount(s, s->conf.name);
		svc_write_mounts();
	}
	free(text);
}

/* The console session: the login shell, or the command lumen was given
 * (argv after "--"). */
static void start_session(char **cmd)
{
	static char sh[] = "/bin/sh", login[] = "-l";
	struct svc *s = svc_new();
	int r;

	s->session = true;
	s->restart = !cmd;
	if (cmd) {
		for (int i = 0; i < SVC_ARGS && cmd[i]; i++)
			s->conf.argv[i] = cmd[i];
	} else {
		s->conf.argv[0] = sh;
		s->conf.argv[1] = login;
	}
	s->conf.name = s->conf.argv[0];
	if ((r = svc_start(s)) < 0) {
		lumen_log("cannot start %s: %s", s->conf.argv[0], strerror(-r));
		if (cmd)
			exit(127);
		svc_schedule(s);
	}
}

/* Ask every file system server mount(2) or /etc/fstab started (ext2) to
 * write what it holds and end (SIGTERM), and wait for each: a disk's
 * files survive halt, poweroff and reboot. */
static void stop_file_systems(void)
{
	for (int i = 0; i < SVC_MAX; i++)
		if (svcs[i].used && svcs[i].dynamic && svcs[i].pid > 0 &&
		    kill(svcs[i].pid, SIGTERM) == 0)
			while (waitpid(svcs[i].pid, NULL, 0) < 0 &&
			       errno == EINTR)
				;
}

/* Kill every other process and reap them all. */
static void stop_all(void)
{
	kill(-1, SIGKILL);
	while (wait4(-1, NULL, 0, NULL) > 0 || errno == EINTR)
		;
}

/* The test command ended: exit with its status (the kernel then reports
 * it and halts). */
static _Noreturn void lumen_halt(int code)
{
	/* Let tty send what it holds first: killed mid-line, it would leave
	 * a cut line before the kernel's last one. */
	if (log_fd >= 0)
		tcdrain(log_fd);
	stop_file_systems();
	stop_all();
	exit(code);
}

/* busybox's halt, poweroff and reboot signal init: SIGUSR1, SIGUSR2,
 * SIGTERM. */
static _Noreturn void lumen_stop(int sig)
{
	lumen_log("%s", sig == SIGTERM   ? "restarting"
			: sig == SIGUSR2 ? "powering off"
					 : "halting");
	stop_file_systems();
	stop_all();
	reboot(sig == SIGTERM   ? RB_AUTOBOOT
	       : sig == SIGUSR2 ? RB_POWER_OFF
				: RB_HALT_SYSTEM);
	lumen_log("reboot: %s", strerror(errno));
	exit(1);
}

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	if (sig != SIGCHLD) /* SIGCHLD only wakes ppoll */
		stop_sig = sig;
}

/* Reap every child, restart what must be; never returns but to exit
 * with the test command's status. SIGCHLD is blocked but inside ppoll,
 * so no exit goes unnoticed between the reaping and the sleep. */
static _Noreturn void supervise(sigset_t *wake)
{
	struct pollfd pfd = {.fd = mount_pipe[0], .events = POLLIN};
	int pid, status, code, wait_ms;
	struct lux_msg *m;

	for (;;) {
		while ((pid = wait4(-1, &status, WNOHANG, NULL)) > 0)
			if (svc_exited(pid, status, &code))
				lumen_halt(code);
		if (stop_sig)
			lumen_stop(stop_sig);
		svc_restart_due(&wait_ms);
		struct timespec ts = {wait_ms / 1000, wait_ms % 1000 * 1000000};
		if (ppoll(&pfd, 1, wait_ms < 0 ? NULL : &ts, wake) > 0 &&
		    read(mount_pipe[0], &m, sizeof(m)) == sizeof(m)) {
			router_mount(m);
			free(m);
		}
	}
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGCHLD, SIGTERM, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	sigset_t caught, wake;

	(void)argc;
	sigemptyset(&caught);
	for (int i = 0; i < 4; i++) {
		sigaddset(&caught, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	/* Blocked in every thread (the router inherits them), open only in
	 * the supervisor's ppoll. */
	sigprocmask(SIG_BLOCK, &caught, &wake);
	for (int i = 0; i < 4; i++)
		sigdelset(&wake, sigs[i]);
	if (argv[1] && !strcmp(argv[1], "--"))
		argv++;
	start_root();
	start_services();
	mount_fstab();
	main_thread = pthread_self(); /* the log may use the terminal now */
	start_session(argv[1] ? argv + 1 : NULL);
	supervise(&wake);
}
