/*
 * tty - the terminal server for the serial console. Serves one character
 * device under three names (console, tty, ttyS0: lumen mounts it on those
 * files of /dev) over its channel (descriptor 3), drives a 16550 or PL011
 * UART by its interrupt, and runs the line discipline (ldisc.c) and job
 * control: the controlling session, the foreground process group, the
 * signals typed at the keyboard, SIGTTIN/SIGTTOU for background jobs.
 *
 *   /sbin/tty io=0x3f8 irq=4          a 16550 at I/O port 0x3f8
 *   /sbin/tty pl011=0x9000000 irq=1   an ARM PL011 at that physical address
 *
 * Lumen grants the ports (or the page of registers) and the interrupt
 * line before it starts us. Reads that cannot finish yet stay pending;
 * nothing here ever blocks but the one poll() on the channel and the
 * interrupt.
 */
#include "klog.h"
#include "ldisc.h"
#include "uart.h"
#include <errno.h>
#include <fcntl.h>
#include <lux.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TTY_GID    5   /* the tty group */
#define RETRY_MS   500 /* a job signalled again this soon ignores it */
#define MAX_SERVED 64  /* requests served between two looks at the UART */

/* A request that waits: a read for input, a write for output space. */
struct pending {
	struct pending *next;
	struct lux_req q;
	uint64_t start_ms; /* when it came (VTIME with VMIN 0) */
	size_t len;        /* write: bytes of data */
	char data[];
};

static struct ldisc ld;
static struct uart uart;
static int chan = LUX_SERVER_FD;
static int irq_fd = -1;
static struct lux_msg msg;
static struct pending *reads, *writes;
static struct pending *drains; /* ioctls that wait for the output to go */
static uint64_t *handles;      /* every open handle, to notify */
static size_t nhandles, handles_cap;
static uint64_t next_handle = 1;
static uint32_t notified;    /* the events the handles were last told */
static int session, fg_pgrp; /* the controlling session, 0: none */
static struct winsize winsize = {.ws_row = 24, .ws_col = 80};
static uint32_t tty_mode = 0620, tty_uid, tty_gid = TTY_GID;
static int64_t born[2]; /* the device's times: when the server began */
static uint64_t last_input_ms;
static uint64_t last_output_ms; /* when a program's output was queued */
static int klog_fd = -1;
static int klog_wait_ms = -1;         /* until klog_flush must run again */
static int stopped_pgrp, stopped_sig; /* the last SIGTTIN/SIGTTOU sent */
static uint64_t stopped_ms;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Send sig to the foreground process group (typed ^C, a new size). */
static void on_signal(int sig)
{
	if (fg_pgrp > 0)
		kill(-fg_pgrp, sig);
}

/* ---- handles and readiness ---------------------------------------- */

static bool handle_known(uint64_t h)
{
	for (size_t i = 0; i < nhandles; i++)
		if (handles[i] == h)
			return true;
	return false;
}

/*
 * The names the device answers to (lumen mounts it on each file of
 * /dev and passes the name; "" is the console). /dev/tty is the caller's
 * controlling terminal: ENXIO without one, and never becomes one. A
 * handle's low bits keep the name it was opened by.
 */
enum { NAME_CONSOLE, NAME_TTY, NAME_TTYS0, NAME_BITS = 2 };
static const struct {
	const char *name;
	uint64_t rdev; /* Linux's numbers: major << 8 | minor */
} names[] = {
    [NAME_CONSOLE] = {"console", (5 << 8) | 1},
    [NAME_TTY] = {"tty", (5 << 8) | 0},
    [NAME_TTYS0] = {"ttyS0", (4 << 8) | 64},
};

/* The name path means, or -1. */
static int name_of(const char *path)
{
	if (!path || !*path)
		return NAME_CONSOLE;
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(path, names[i].name))
			return i;
	return -1;
}

static uint64_t handle_new(int name)
{
	if (nhandles == handles_cap) {
		size_t cap = handles_cap ? 2 * handles_cap : 16;
		uint64_t *h = realloc(handles, cap * sizeof(*h));
		if (!h)
			return 0;
		handles = h;
		handles_cap = cap;
	}
	return handles[nhandles++] = next_handle++ << NAME_BITS | name;
}

static void handle_drop(uint64_t h)
{
	for (size_t i = 0; i < nhandles; i++)
		if (handles[i] == h) {
			handles[i] = handles[--nhandles];
			return;
		}
}

static uint32_t events_now(void)
{
	return (ldisc_poll_in(&ld) ? LUX_POLLIN | LUX_POLLRDNORM : 0) |
	       (ldisc_out_room(&ld) ? LUX_POLLOUT | LUX_POLLWRNORM : 0);
}

/* Tell the kernel when readiness changed, for poll() on every handle. */
static void notify_all(void)
{
	uint32_t ev = events_now();

	if (ev == notified)
		return;
	notified = ev;
	for (size_t i = 0; i < nhandles; i++)
		lux_notify(chan, handles[i], ev);
}

/* ---- job control -------------------------------------------------- */

/* Whether session sid still has its leader (Linux drops the controlling
 * terminal when the leader exits). */
static bool session_alive(int sid)
{
	return sid > 0 && getsid(sid) == sid;
}

/* Make the caller's session own the terminal, its group the foreground. */
static void take_terminal(const struct lux_req *q)
{
	session = q->sid;
	fg_pgrp = q->pgid;
}

/* A background job touching the terminal gets sig (SIGTTIN, SIGTTOU)
 * and its call restarts after it. A job that ignores or blocks the
 * signal comes straight back: then -1 (the caller decides). */
static int stop_job(const struct lux_req *q, int sig)
{
	uint64_t now = now_ms();

	if (stopped_pgrp == q->pgid && stopped_sig == sig &&
	    now - stopped_ms < RETRY_MS)
		return -1;
	stopped_pgrp = q->pgid;
	stopped_sig = sig;
	stopped_ms = now;
	kill(-q->pgid, sig);
	return -LUX_ERESTART;
}

static bool in_background(const struct lux_req *q)
{
	if (!session_alive(session))
		session = fg_pgrp = 0;
	return session && q->sid == session && fg_pgrp && q->pgid != fg_pgrp;
}

/* ---- reads and writes --------------------------------------------- */

/* Whether pending read p can be answered now (VMIN/VTIME rules). */
static bool read_can_finish(const struct pending *p, uint64_t now)
{
	unsigned vmin = ld.t.cc[VMIN], vtime = ld.t.cc[VTIME] * 100;
	size_t avail = ldisc_available(&ld);

	if ((ld.t.lflag & ICANON) || !vtime)
		return ldisc_read_ready(&ld, p->q.count);
	if (!vmin)
		return avail || now - p->start_ms >= vtime;
	return ldisc_read_ready(&ld, p->q.count) ||
	       (avail && now - last_input_ms >= vtime);
}

/* When a pending read times out (VTIME), or 0. */
static uint64_t read_deadline(const struct pending *p)
{
	uint64_t vtime = ld.t.cc[VTIME] * 100;

	if ((ld.t.lflag & ICANON) || !vtime)
		return 0;
	if (!ld.t.cc[VMIN])
		return p->start_ms + vtime;
	return ldisc_available(&ld) ? last_input_ms + vtime : 0;
}

static void reply_read(const struct lux_req *q)
{
	static char buf[TTY_IN_SIZE];
	size_t n = q->count < sizeof(buf) ? q->count : sizeof(buf);

	n = ldisc_read(&ld, buf, n);
	lux_reply(chan, q, n, buf, n);
}

static struct pending *pending_new(const struct lux_req *q, const void *data,
				   size_t len)
{
	struct pending *p = malloc(sizeof(*p) + len);

	if (p) {
		p->next = NULL;
		p->q = *q;
		p->start_ms = now_ms();
		p->len = len;
		if (len)
			memcpy(p->data, data, len);
	}
	return p;
}

static void pending_append(struct pending **list, struct pending *p)
{
	while (*list)
		list = &(*list)->next;
	*list = p;
}

static void do_read(const struct lux_req *q)
{
	uint64_t now = now_ms();
	struct pending *p, probe = {.q = *q, .start_ms = now};

	if (in_background(q)) {
		int r = stop_job(q, SIGTTIN);
		lux_reply(chan, q, r < 0 && r != -1 ? r : -EIO, NULL, 0);
		return;
	}
	if (!q->count || (!reads && read_can_finish(&probe, now))) {
		reply_read(q);
	} else if (q->flags & LUX_O_NONBLOCK) {
		lux_reply(chan, q, -EAGAIN, NULL, 0);
	} else if (!(p = pending_new(q, NULL, 0))) {
		lux_reply(chan, q, -ENOMEM, NULL, 0);
	} else {
		pending_append(&reads, p);
	}
}

static void do_write(const struct lux_req *q, const char *data, size_t len)
{
	struct pending *p;

	if ((ld.t.lflag & TOSTOP) && in_background(q)) {
		int r = stop_job(q, SIGTTOU);
		if (r != -1) { /* else SIGTTOU is ignored: write */
			lux_reply(chan, q, r, NULL, 0);
			return;
		}
	}
	size_t n = writes ? 0 : ldisc_write(&ld, data, len);
	if (n)
		last_output_ms = now_ms();
	if (n || !len) {
		lux_reply(chan, q, n, NULL, 0);
	} else if (q->flags & LUX_O_NONBLOCK) {
		lux_reply(chan, q, -EAGAIN, NULL, 0);
	} else if (!(p = pending_new(q, data, len))) {
		lux_reply(chan, q, -ENOMEM, NULL, 0);
	} else {
		pending_append(&writes, p);
	}
	uart_kick(&uart, &ld);
}

/* Answer the waiting requests that can finish now, oldest first. */
static void complete_pending(void)
{
	uint64_t now = now_ms();

	while (reads && read_can_finish(reads, now)) {
		struct pending *p = reads;
		reads = p->next;
		reply_read(&p->q);
		free(p);
	}
	while (writes && ldisc_out_room(&ld)) {
		struct pending *p = writes;
		size_t n = ldisc_write(&ld, p->data, p->len);
		last_output_ms = now;
		writes = p->next;
		lux_reply(chan, &p->q, n, NULL, 0);
		free(p);
	}
}

/* Drop request id from a pending list (LUX_CANCEL): whether it was there. */
static bool cancel_in(struct pending **list, uint64_t id)
{
	for (; *list; list = &(*list)->next)
		if ((*list)->q.id == id) {
			struct pending *p = *list;
			*list = p->next;
			free(p);
			return true;
		}
	return false;
}

/* ---- ioctl -------------------------------------------------------- */

/* The ioctl of q with its input in `in` (n bytes): the result, and what
 * to copy back in *out (*outlen bytes). */
static long do_ioctl(const struct lux_req *q, const char *in, size_t n,
		     void *out, size_t *outlen)
{
	unsigned cmd = q->count;
	int v;
	struct kterm t;
	struct winsize ws;

	*outlen = 0;
	switch (cmd) {
	case TCGETS:
		memcpy(out, &ld.t, *outlen = sizeof(ld.t));
		return 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		if (n < sizeof(t))
			return -EFAULT;
		memcpy(&t, in, sizeof(t));
		ldisc_set(&ld, &t, cmd == TCSETSF);
		return 0;
	case TIOCGWINSZ:
		memcpy(out, &winsize, *outlen = sizeof(winsize));
		return 0;
	case TIOCSWINSZ:
		if (n < sizeof(ws))
			return -EFAULT;
		memcpy(&ws, in, sizeof(ws));
		if (memcmp(&ws, &winsize, sizeof(ws)))
			on_signal(SIGWINCH);
		winsize = ws;
		return 0;
	case FIONREAD:
	case TIOCOUTQ:
		v = cmd == FIONREAD ? ldisc_available(&ld)
				    : ldisc_out_pending(&ld);
		memcpy(out, &v, *outlen = sizeof(v));
		return 0;
	case TCFLSH:
		if (q->off > TCIOFLUSH)
			return -EINVAL;
		if (q->off != TCOFLUSH)
			ldisc_flush_input(&ld);
		if (q->off != TCIFLUSH)
			ld.out_tail = ld.out_head;
		return 0;
	case TCXONC:
		if (q->off == TCOOFF || q->off == TCOON)
			ld.stopped = q->off == TCOOFF;
		return q->off > TCION ? -EINVAL : 0;
	case TCSBRK:
		return 0; /* the output has drained (serve_ioctl); no break */
	case TIOCSCTTY:
		if (q->pid != q->sid)
			return -EPERM;
		if (session == q->sid)
			return 0;
		if (session_alive(session) && !(q->off == 1 && q->uid == 0))
			return -EPERM;
		take_terminal(q);
		return 0;
	}
	/* The rest needs the terminal to be the caller's. */
	if (!session_alive(session) || q->sid != session)
		return -ENOTTY;
	switch (cmd) {
	case TIOCGPGRP:
	case TIOCGSID:
		v = cmd == TIOCGPGRP ? fg_pgrp : session;
		memcpy(out, &v, *outlen = sizeof(v));
		return 0;
	case TIOCSPGRP:
		if (n < sizeof(v))
			return -EFAULT;
		memcpy(&v, in, sizeof(v));
		if (v < 0)
			return -EINVAL;
		if (kill(-v, 0) < 0 && errno == ESRCH)
			return -ESRCH;
		if (getsid(v) >= 0 && getsid(v) != session)
			return -EPERM;
		fg_pgrp = v;
		return 0;
	case TIOCNOTTY:
		if (q->pid == q->sid) { /* the leader lets go: as on Linux */
			on_signal(SIGHUP);
			on_signal(SIGCONT);
			session = fg_pgrp = 0;
		}
		return 0;
	}
	return -ENOTTY;
}

static bool output_drained(void)
{
	return !ldisc_out_pending(&ld) && !uart.tx_irq;
}

static void ioctl_reply(const struct lux_req *q, const char *in, size_t n)
{
	static char out[256];
	size_t outlen;
	long r = do_ioctl(q, in, n, out, &outlen);

	lux_reply(chan, q, r, out, r < 0 ? 0 : outlen);
}

/* TCSETSW, TCSETSF and TCSBRK (tcdrain) wait until the output is sent. */
static void serve_ioctl(const struct lux_req *q, const char *in, size_t n)
{
	unsigned cmd = q->count;
	struct pending *p;

	if ((cmd == TCSETSW || cmd == TCSETSF || cmd == TCSBRK) &&
	    !output_drained() && (p = pending_new(q, in, n)))
		pending_append(&drains, p);
	else
		ioctl_reply(q, in, n);
}

static void complete_drains(void)
{
	while (drains && output_drained()) {
		struct pending *p = drains;
		drains = p->next;
		ioctl_reply(&p->q, p->data, p->len);
		free(p);
	}
}

/* ---- requests ----------------------------------------------------- */

static void do_stat(const struct lux_req *q, int name)
{
	struct lux_stat st = {
	    .ino = 1 + name,
	    .nlink = 1,
	    .rdev = names[name].rdev,
	    .blksize = 1024,
	    .mode = LUX_S_IFCHR | tty_mode,
	    .uid = tty_uid,
	    .gid = tty_gid,
	};

	for (int i = 0; i < 3; i++)
		memcpy(st.time[i], born, sizeof(born));
	lux_reply(chan, q, 0, &st, sizeof(st));
}

static void do_open(const struct lux_req *q, int name)
{
	struct lux_rep r = {0};
	bool mine = session_alive(session) && q->sid == session;

	if (name == NAME_TTY && !mine) {
		lux_reply(chan, q, -ENXIO, NULL, 0);
		return;
	}
	if (!(r.handle = handle_new(name))) {
		lux_reply(chan, q, -ENOMEM, NULL, 0);
		return;
	}
	if (name != NAME_TTY && !(q->flags & LUX_O_NOCTTY) &&
	    q->pid == q->sid && !session_alive(session))
		take_terminal(q);
	r.mode = LUX_S_IFCHR | tty_mode;
	r.events = notified = events_now();
	lux_reply_full(chan, q, &r, NULL, 0);
}

/* chmod and chown of the device: root or its owner, as on Linux. */
static long do_attr(const struct lux_req *q)
{
	if (q->uid && q->uid != tty_uid)
		return -EPERM;
	if (q->op == LUX_CHMOD) {
		tty_mode = q->mode & 07777;
	} else {
		uint32_t gid = q->count;
		if (q->uid && ((q->off != (uint64_t)-1 && q->off != tty_uid) ||
			       (gid != (uint32_t)-1 && gid != tty_gid &&
				!lux_in_group(q, gid))))
			return -EPERM;
		tty_uid = (uint32_t)q->off != (uint32_t)-1 ? q->off : tty_uid;
		tty_gid =
		    (uint32_t)q->count != (uint32_t)-1 ? q->count : tty_gid;
	}
	return 0;
}

static void serve(struct lux_msg *m, size_t len)
{
	const struct lux_req *q = &m->req;
	const char *path = q->handle ? NULL : lux_path(m, 0);
	int name = q->handle ? (int)(q->handle & ((1 << NAME_BITS) - 1))
			     : name_of(path);
	long r;

	if (q->handle && !handle_known(q->handle) && q->op != LUX_CANCEL) {
		if (q->op != LUX_CLOSE)
			lux_reply(chan, q, -EBADF, NULL, 0);
		return;
	}
	if (name < 0 && q->op != LUX_CANCEL) {
		lux_reply(chan, q, -ENOENT, NULL, 0);
		return;
	}
	switch (q->op) {
	case LUX_OPEN:
		return do_open(q, name);
	case LUX_STAT:
		return do_stat(q, name);
	case LUX_READ:
		return do_read(q);
	case LUX_WRITE:
		return do_write(q, m->data, len);
	case LUX_IOCTL:
		return serve_ioctl(q, m->data, len);
	case LUX_CLOSE:
		handle_drop(q->handle);
		return;
	case LUX_CANCEL:
		if (!cancel_in(&reads, q->id) && !cancel_in(&writes, q->id))
			cancel_in(&drains, q->id);
		return;
	case LUX_CHMOD:
	case LUX_CHOWN:
		r = do_attr(q);
		break;
	case LUX_STATFS: { /* a device file system with no blocks (df skips
			    * it), as Linux's devtmpfs */
		struct lux_statfs fs = {.type = 0x01021994,
					.bsize = 4096,
					.namelen = 255,
					.frsize = 4096};
		lux_reply(chan, q, 0, &fs, sizeof(fs));
		return;
	}
	case LUX_UTIMENS:
	case LUX_TRUNCATE: /* O_TRUNC on a terminal does nothing */
	case LUX_FSYNC:
	case LUX_ACCESS:
		r = 0;
		break;
	case LUX_MKDIR:
	case LUX_MKNOD:
	case LUX_SYMLINK:
	case LUX_LINK:
		r = -EEXIST;
		break;
	case LUX_UNLINK:
	case LUX_RENAME:
		r = -EBUSY;
		break;
	case LUX_READLINK:
		r = -EINVAL;
		break;
	case LUX_GETDENTS:
		r = -ENOTDIR;
		break;
	default:
		r = -ENOSYS;
	}
	lux_reply(chan, q, r, NULL, 0);
}

/* ---- main loop ---------------------------------------------------- */

/* Milliseconds until the first pending read times out, or -1. */
static int poll_timeout(void)
{
	uint64_t now = now_ms(), first = 0;

	for (struct pending *p = reads; p; p = p->next) {
		uint64_t d = read_deadline(p);
		if (d && (!first || d < first))
			first = d;
	}
	int ms = !first ? -1 : first <= now ? 0 : (int)(first - now);
	return ms < 0 || (klog_wait_ms >= 0 && klog_wait_ms < ms) ? klog_wait_ms
								  : ms;
}

static void after_events(void)
{
	complete_pending();
	klog_wait_ms = klog_flush(&ld, now_ms(), last_output_ms);
	uart_kick(&uart, &ld);
	complete_drains();
	notify_all();
}

static void serve_interrupt(void)
{
	uint64_t count, before = ld.head;

	/* Re-enable the line first: a condition that comes up while we
	 * serve raises a new interrupt instead of being missed. */
	if (read(irq_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	uart_service(&uart, &ld, on_signal);
	if (ld.head != before)
		last_input_ms = now_ms();
}

/* io=PORT (a 16550) or pl011=ADDRESS, and irq=N. */
static bool parse_args(int argc, char **argv, unsigned long *io, int *irq)
{
	*io = 0;
	*irq = -1;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "io=", 3))
			*io = strtoul(argv[i] + 3, NULL, 0); /* :count ok */
		else if (!strncmp(argv[i], "pl011=", 6))
			*io = strtoul(argv[i] + 6, NULL, 0), uart.pl011 = true;
		else if (!strncmp(argv[i], "irq=", 4))
			*irq = strtol(argv[i] + 4, NULL, 0);
		else
			return false;
	}
	return *io && *irq >= 0;
}

int main(int argc, char **argv)
{
	unsigned long io;
	int irq;
	struct timespec ts;

	if (!parse_args(argc, argv, &io, &irq)) {
		fprintf(stderr, "usage: tty io=PORT|pl011=ADDRESS irq=N\n");
		return 2;
	}
	if ((irq_fd = uart_irq_open(&uart, irq)) < 0) {
		fprintf(stderr, "tty: irq %d: %s\n", irq, strerror(errno));
		return 1;
	}
	uart.base = io;
	if (uart.pl011 && uart_map(&uart, io) < 0) {
		fprintf(stderr, "tty: registers at %#lx: %s\n", io,
			strerror(errno));
		return 1;
	}
	fcntl(irq_fd, F_SETFL, O_NONBLOCK);
	clock_gettime(CLOCK_REALTIME, &ts);
	born[0] = ts.tv_sec;
	born[1] = ts.tv_nsec;
	signal(SIGPIPE, SIG_IGN);
	/* several requests per wake-up where the channel allows it */
	bool batch = fcntl(chan, F_SETFL, O_NONBLOCK) == 0;
	ldisc_init(&ld);
	uart_init(&uart);
	klog_fd = klog_open();
	for (;;) {
		struct pollfd fds[3] = {{chan, POLLIN, 0},
					{irq_fd, POLLIN, 0},
					{klog_fd, POLLIN, 0}};
		int n = poll(fds, 3, poll_timeout());
		if (n < 0 && errno != EINTR) {
			perror("tty: poll");
			return 1;
		}
		if (n > 0 && fds[1].revents)
			serve_interrupt();
		if (n > 0 && fds[2].revents)
			klog_read(klog_fd);
		for (int i = 0; n > 0 && fds[0].revents && i < MAX_SERVED;
		     i++) {
			long len = lux_recv(chan, &msg);
			if (len < 0 && errno == EPIPE)
				return 0; /* no client is left */
			if (len < 0)
				break;
			serve(&msg, len);
			if (!batch)
				break;
		}
		after_events();
	}
}
