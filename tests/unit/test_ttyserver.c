/*
 * test_ttyserver.c - the tty server (user/tty/main.c) run on the host with
 * a stand-in UART (tty_fake_uart.c): descriptor 3 is one end of a
 * SOCK_SEQPACKET socket pair (message boundaries, as a channel), and the
 * test plays the kernel (requests, replies, notices), the keyboard and
 * the screen. Job control uses real process groups made by the test.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <lux/proto.h>

#ifndef TTY_BIN
#error "TTY_BIN names the host build of the tty server"
#endif

#define QUIET_MS 150 /* how long "no answer" is watched for */

static int chan = -1, irq_w = -1, rx_w = -1, tx_r = -1;
static pid_t server;
static uint64_t next_id = 1;

struct reply {
	struct lux_rep rep;
	char data[LUX_MSG_MAX];
	size_t n;
};
static struct reply rp;

static int start(void **state)
{
	int sv[2], irq[2], rx[2], tx[2];
	(void)state;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) || pipe(irq) ||
	    pipe(rx) || pipe(tx))
		return -1;
	server = fork();
	if (server == 0) {
		dup2(sv[1], LUX_SERVER_FD);
		dup2(irq[0], 4);
		dup2(rx[0], 5);
		dup2(tx[1], 6);
		for (int fd = 7; fd < 64; fd++)
			close(fd);
		execl(TTY_BIN, "tty", "io=0x3f8:8", "irq=4", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	close(irq[0]);
	close(rx[0]);
	close(tx[1]);
	chan = sv[0], irq_w = irq[1], rx_w = rx[1], tx_r = tx[0];
	fcntl(tx_r, F_SETFL, O_NONBLOCK);
	return server > 0 ? 0 : -1;
}

static int stop(void **state)
{
	int status;
	(void)state;

	close(chan);
	close(irq_w);
	close(rx_w);
	close(tx_r);
	if (waitpid(server, &status, 0) != server)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* A request from process (pid, pgid, sid). */
static struct lux_req req(uint32_t op, uint64_t handle, int pid, int pgid,
			  int sid)
{
	return (struct lux_req){
	    .op = op, .handle = handle, .pid = pid, .pgid = pgid, .sid = sid};
}

static uint64_t send_req(struct lux_req *q, const void *data, size_t n)
{
	static char buf[LUX_MSG_MAX];

	if (!q->id)
		q->id = next_id++;
	q->len = sizeof(*q) + n;
	memcpy(buf, q, sizeof(*q));
	if (n)
		memcpy(buf + sizeof(*q), data, n);
	assert_int_equal(send(chan, buf, q->len, 0), q->len);
	return q->id;
}

/* The next message from the server within ms (NOTIFY messages count),
 * in rp; false if none came. */
static bool next_msg(int ms)
{
	struct pollfd p = {chan, POLLIN, 0};
	if (poll(&p, 1, ms) != 1)
		return false;
	ssize_t n = recv(chan, &rp, sizeof(rp.rep) + sizeof(rp.data), 0);
	assert_true(n >= (ssize_t)sizeof(rp.rep));
	assert_int_equal(rp.rep.len, n);
	rp.n = n - sizeof(rp.rep);
	return true;
}

/* The reply to request id (NOTIFY messages before it are skipped). */
static struct reply *reply_to(uint64_t id)
{
	while (next_msg(5000)) {
		if (rp.rep.op == LUX_NOTIFY)
			continue;
		assert_int_equal(rp.rep.op, LUX_REPLY);
		assert_int_equal(rp.rep.id, id);
		return &rp;
	}
	fail_msg("no reply to request %llu", (unsigned long long)id);
	return NULL;
}

/* No reply comes for a while (NOTIFY messages aside). */
static void no_reply(void)
{
	while (next_msg(QUIET_MS))
		assert_int_equal(rp.rep.op, LUX_NOTIFY);
}

static uint64_t open_as(int pid, int pgid, int sid, uint32_t flags)
{
	struct lux_req q = req(LUX_OPEN, 0, pid, pgid, sid);
	q.flags = LUX_O_RDWR | flags;
	struct reply *r = reply_to(send_req(&q, "", 1));
	assert_int_equal(r->rep.result, 0);
	assert_true(r->rep.handle != 0);
	assert_int_equal(r->rep.mode, LUX_S_IFCHR | 0620);
	return r->rep.handle;
}

/* Type s on the keyboard and raise the interrupt. */
static void type(const char *s)
{
	uint64_t one = 1;
	assert_int_equal(write(rx_w, s, strlen(s)), strlen(s));
	assert_int_equal(write(irq_w, &one, 8), 8);
}

/* What reached the screen within a moment. */
static const char *screen(void)
{
	static char buf[4096];
	size_t n = 0;
	ssize_t k;
	struct pollfd p = {tx_r, POLLIN, 0};
	while (n < sizeof(buf) - 1 && poll(&p, 1, QUIET_MS) == 1 &&
	       (k = read(tx_r, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += k;
	buf[n] = 0;
	return buf;
}

static uint64_t read_req(uint64_t h, int pid, int pgid, int sid, size_t count,
			 uint32_t flags)
{
	struct lux_req q = req(LUX_READ, h, pid, pgid, sid);
	q.count = count;
	q.flags = flags;
	return send_req(&q, NULL, 0);
}

static struct reply *ioctl_as(uint64_t h, int pid, int pgid, int sid,
			      unsigned cmd, uint64_t arg, const void *in,
			      size_t n)
{
	struct lux_req q = req(LUX_IOCTL, h, pid, pgid, sid);
	q.count = cmd;
	q.off = arg;
	return reply_to(send_req(&q, in, n));
}

/* A process outside any terminal session (the test's own ids). */
#define ME getpid(), getpgrp(), getsid(0)

static void test_open_stat(void **state)
{
	(void)state;
	uint64_t h = open_as(ME, LUX_O_NOCTTY);
	assert_int_equal(rp.rep.events & (LUX_POLLIN | LUX_POLLOUT),
			 LUX_POLLOUT);
	struct lux_req q = req(LUX_STAT, h, ME);
	struct reply *r = reply_to(send_req(&q, NULL, 0));
	struct lux_stat st;
	assert_int_equal(r->rep.result, 0);
	assert_int_equal(r->n, sizeof(st));
	memcpy(&st, r->data, sizeof(st));
	assert_int_equal(st.mode, LUX_S_IFCHR | 0620);
	assert_int_equal(st.rdev, (5 << 8) | 1); /* "": the console */
	/* by name, as lumen passes them: Linux's device numbers */
	static const struct {
		const char *name;
		uint64_t rdev;
	} devs[] = {{"console", (5 << 8) | 1},
		    {"tty", (5 << 8) | 0},
		    {"ttyS0", (4 << 8) | 64}};
	for (int i = 0; i < 3; i++) {
		q = req(LUX_STAT, 0, ME);
		r = reply_to(
		    send_req(&q, devs[i].name, strlen(devs[i].name) + 1));
		assert_int_equal(r->rep.result, 0);
		memcpy(&st, r->data, sizeof(st));
		assert_int_equal(st.rdev, devs[i].rdev);
	}
	q = req(LUX_OPEN, 0, ME);
	assert_int_equal(reply_to(send_req(&q, "x", 2))->rep.result, -ENOENT);
	q = req(LUX_STATFS, h, ME); /* df: a file system of no blocks */
	r = reply_to(send_req(&q, NULL, 0));
	assert_int_equal(r->rep.result, 0);
	struct lux_statfs fs;
	assert_int_equal(r->n, sizeof(fs));
	memcpy(&fs, r->data, sizeof(fs));
	assert_int_equal(fs.blocks, 0);
	assert_true(fs.bsize > 0);
	/* /dev/tty is the caller's controlling terminal: it has none */
	q = req(LUX_OPEN, 0, ME);
	assert_int_equal(reply_to(send_req(&q, "tty", 4))->rep.result, -ENXIO);
	q = req(LUX_READ, h + 100, ME);
	q.count = 1;
	assert_int_equal(reply_to(send_req(&q, NULL, 0))->rep.result, -EBADF);
	/* chown: root gives it to 1000, who may then move it only into a
	 * group it is in (a supplementary one counts) */
	q = req(LUX_CHOWN, h, ME);
	q.off = 1000, q.count = (uint32_t)-1;
	assert_int_equal(reply_to(send_req(&q, "", 1))->rep.result, 0);
	q.id = 0, q.uid = q.gid = 1000, q.off = (uint64_t)-1, q.count = 42;
	assert_int_equal(reply_to(send_req(&q, "", 1))->rep.result, -EPERM);
	q.id = 0, q.ngroups = 1, q.groups[0] = 42;
	assert_int_equal(reply_to(send_req(&q, "", 1))->rep.result, 0);
	q = req(LUX_STAT, h, ME);
	r = reply_to(send_req(&q, NULL, 0));
	memcpy(&st, r->data, sizeof(st));
	assert_int_equal(st.uid, 1000);
	assert_int_equal(st.gid, 42);
}

/* A read waits, without blocking the server, until a line is typed. */
static void test_read_waits_for_line(void **state)
{
	(void)state;
	uint64_t h = open_as(ME, LUX_O_NOCTTY);
	uint64_t id = read_req(h, ME, 100, 0);
	no_reply();
	type("hi");
	no_reply();
	assert_string_equal(screen(), "hi");
	struct lux_req q = req(LUX_WRITE, h, ME); /* still served meanwhile */
	assert_int_equal(reply_to(send_req(&q, "out\n", 4))->rep.result, 4);
	assert_string_equal(screen(), "out\r\n");
	type("\r");
	struct reply *r = reply_to(id);
	assert_int_equal(r->rep.result, 3);
	assert_memory_equal(r->data, "hi\n", 3);
	assert_string_equal(screen(), "\r\n");
}

static void test_nonblocking_read(void **state)
{
	(void)state;
	uint64_t h = open_as(ME, LUX_O_NOCTTY);
	uint64_t id = read_req(h, ME, 10, LUX_O_NONBLOCK);
	assert_int_equal(reply_to(id)->rep.result, -EAGAIN);
}

/* A cancelled read takes no input; a notice says input is ready. */
static void test_cancel_and_notify(void **state)
{
	(void)state;
	uint64_t h = open_as(ME, LUX_O_NOCTTY);
	uint64_t id = read_req(h, ME, 10, 0);
	struct lux_req c = req(LUX_CANCEL, 0, ME);
	c.id = id;
	send_req(&c, NULL, 0);
	/* a round trip: the cancel is served before the typing */
	struct lux_req q = req(LUX_STAT, h, ME);
	assert_int_equal(reply_to(send_req(&q, NULL, 0))->rep.result, 0);
	type("a\r");
	assert_true(next_msg(5000));
	assert_int_equal(rp.rep.op, LUX_NOTIFY);
	assert_int_equal(rp.rep.handle, h);
	assert_true(rp.rep.events & LUX_POLLIN);
	struct reply *r = reply_to(read_req(h, ME, 10, 0));
	assert_int_equal(r->rep.result, 2);
	assert_memory_equal(r->data, "a\n", 2);
}

static void test_termios_raw(void **state)
{
	(void)state;
	uint64_t h = open_as(ME, LUX_O_NOCTTY);
	struct reply *r = ioctl_as(h, ME, TCGETS, 0, NULL, 0);
	unsigned char t[36];
	assert_int_equal(r->rep.result, 0);
	assert_int_equal(r->n, 36);
	memcpy(t, r->data, 36);
	uint32_t lflag;
	memcpy(&lflag, t + 12, 4);
	assert_true(lflag & ICANON);
	lflag &= ~(ICANON | ECHO);
	memcpy(t + 12, &lflag, 4);
	assert_int_equal(ioctl_as(h, ME, TCSETS, 0, t, 36)->rep.result, 0);
	type("q");
	r = reply_to(read_req(h, ME, 10, 0));
	assert_int_equal(r->rep.result, 1);
	assert_int_equal(r->data[0], 'q');
	assert_string_equal(screen(), ""); /* no echo */
	type("xyz");
	screen();
	r = ioctl_as(h, ME, FIONREAD, 0, NULL, 0);
	int avail;
	memcpy(&avail, r->data, 4);
	assert_int_equal(avail, 3);
	r = ioctl_as(h, ME, TIOCGWINSZ, 0, NULL, 0);
	struct winsize ws;
	memcpy(&ws, r->data, sizeof(ws));
	assert_int_equal(ws.ws_row, 24);
	assert_int_equal(ws.ws_col, 80);
	assert_int_equal(ioctl_as(h, ME, 0x1234, 0, NULL, 0)->rep.result,
			 -ENOTTY);
	/* not its controlling terminal */
	assert_int_equal(ioctl_as(h, ME, TIOCGPGRP, 0, NULL, 0)->rep.result,
			 -ENOTTY);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Non-canonical reads: VMIN 0 returns at once; VTIME times a read out. */
static void test_vmin_vtime(void **state)
{
	(void)state;
	uint64_t h = open_as(ME, LUX_O_NOCTTY);
	unsigned char t[36];
	memcpy(t, ioctl_as(h, ME, TCGETS, 0, NULL, 0)->data, 36);
	uint32_t lflag;
	memcpy(&lflag, t + 12, 4);
	lflag &= ~ICANON;
	memcpy(t + 12, &lflag, 4);
	t[17 + VMIN] = 0; /* c_cc starts after the four flags and c_line */
	t[17 + VTIME] = 0;
	assert_int_equal(ioctl_as(h, ME, TCSETS, 0, t, 36)->rep.result, 0);
	assert_int_equal(reply_to(read_req(h, ME, 10, 0))->rep.result, 0);
	t[17 + VTIME] = 3; /* 0.3 s */
	assert_int_equal(ioctl_as(h, ME, TCSETS, 0, t, 36)->rep.result, 0);
	long long t0 = now_ms();
	assert_int_equal(reply_to(read_req(h, ME, 10, 0))->rep.result, 0);
	assert_true(now_ms() - t0 >= 300);
	uint64_t id = read_req(h, ME, 10, 0); /* a byte ends it early */
	type("k");
	struct reply *r = reply_to(id);
	assert_int_equal(r->rep.result, 1);
	assert_int_equal(r->data[0], 'k');
}

/* A child that leads a session of its own and waits for signals; its
 * group has a second member, also in the session. Each reports the
 * signals it catches on the pipe `seen` as one byte each. */
static pid_t leader, member;
static int seen[2];

static void catch_sig(int sig)
{
	char c = sig;
	write(seen[1], &c, 1);
}

static void make_session(void)
{
	int ready[2];
	assert_int_equal(pipe(seen), 0);
	assert_int_equal(pipe(ready), 0);
	leader = fork();
	if (leader == 0) {
		struct sigaction sa = {.sa_handler = catch_sig};
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGWINCH, &sa, NULL);
		sigaction(SIGTTIN, &sa, NULL);
		sigaction(SIGTSTP, &sa, NULL);
		sigaction(SIGTTOU, &sa, NULL);
		setsid();
		if (fork() == 0) {
			pid_t me = getpid();
			setpgid(0, 0);
			write(ready[1], &me, sizeof(me));
			alarm(20);
			for (;;)
				pause();
		}
		alarm(20);
		for (;;)
			pause();
	}
	assert_int_equal(read(ready[0], &member, sizeof(member)),
			 sizeof(member));
	assert_int_equal(getsid(member), leader);
	close(ready[0]);
	close(ready[1]);
}

static void end_session(void)
{
	kill(member, SIGKILL);
	kill(leader, SIGKILL);
	waitpid(leader, NULL, 0);
	close(seen[0]);
	close(seen[1]);
}

/* The next signal caught in the session, or 0 within a while. */
static int caught(void)
{
	struct pollfd p = {seen[0], POLLIN, 0};
	char c;
	if (poll(&p, 1, 3000) != 1 || read(seen[0], &c, 1) != 1)
		return 0;
	return c;
}

/* A session leader that opens the terminal gets it; ^C reaches the
 * foreground group; TIOCSPGRP moves it, SIGTTIN stops the background. */
static void test_job_control(void **state)
{
	(void)state;
	make_session();
	struct lux_req q = req(LUX_OPEN, 0, leader, leader, leader);
	assert_int_equal(reply_to(send_req(&q, "tty", 4))->rep.result,
			 -ENXIO); /* /dev/tty never makes a terminal its own */
	uint64_t h = open_as(leader, leader, leader, 0);
	/* now /dev/tty opens, for every process of the session */
	q = req(LUX_OPEN, 0, member, member, leader);
	assert_int_equal(reply_to(send_req(&q, "tty", 4))->rep.result, 0);
	struct reply *r =
	    ioctl_as(h, leader, leader, leader, TIOCGPGRP, 0, NULL, 0);
	int v;
	assert_int_equal(r->rep.result, 0);
	memcpy(&v, r->data, 4);
	assert_int_equal(v, leader);
	r = ioctl_as(h, leader, leader, leader, TIOCGSID, 0, NULL, 0);
	memcpy(&v, r->data, 4);
	assert_int_equal(v, leader);

	type("junk");
	assert_string_equal(screen(), "junk");
	type("\x03");
	assert_int_equal(caught(), SIGINT);
	assert_string_equal(screen(), "^C");

	/* the member's group reads in the background: SIGTTIN, restart */
	uint64_t id = read_req(h, member, member, leader, 10, 0);
	assert_int_equal(reply_to(id)->rep.result, -LUX_ERESTART);
	assert_int_equal(caught(), SIGTTIN);
	/* its handler caught it, so it comes straight back: EIO */
	id = read_req(h, member, member, leader, 10, 0);
	assert_int_equal(reply_to(id)->rep.result, -EIO);

	/* with TOSTOP a background write gets SIGTTOU first */
	unsigned char t[36];
	memcpy(t, ioctl_as(h, ME, TCGETS, 0, NULL, 0)->data, 36);
	uint32_t lflag;
	memcpy(&lflag, t + 12, 4);
	lflag |= TOSTOP;
	memcpy(t + 12, &lflag, 4);
	assert_int_equal(ioctl_as(h, ME, TCSETS, 0, t, 36)->rep.result, 0);
	q = req(LUX_WRITE, h, member, member, leader);
	assert_int_equal(reply_to(send_req(&q, "bg", 2))->rep.result,
			 -LUX_ERESTART);
	assert_int_equal(caught(), SIGTTOU);
	q = req(LUX_WRITE, h, member, member, leader); /* it ignored it */
	assert_int_equal(reply_to(send_req(&q, "bg", 2))->rep.result, 2);
	q = req(LUX_WRITE, h, leader, leader, leader); /* the foreground */
	assert_int_equal(reply_to(send_req(&q, "fg", 2))->rep.result, 2);
	assert_string_equal(screen(), "bgfg");

	/* the member's group becomes the foreground */
	assert_int_equal(
	    ioctl_as(h, leader, leader, leader, TIOCSPGRP, 0, &member, 4)
		->rep.result,
	    0);
	int nogroup = 0x3ffffff0;
	assert_int_equal(
	    ioctl_as(h, leader, leader, leader, TIOCSPGRP, 0, &nogroup, 4)
		->rep.result,
	    -ESRCH);
	type("\x1a");
	assert_int_equal(caught(), SIGTSTP); /* the member, not the leader */
	struct winsize ws = {.ws_row = 50, .ws_col = 132};
	assert_int_equal(
	    ioctl_as(h, leader, leader, leader, TIOCSWINSZ, 0, &ws, sizeof(ws))
		->rep.result,
	    0);
	assert_int_equal(caught(), SIGWINCH);
	r = ioctl_as(h, member, member, leader, TIOCGWINSZ, 0, NULL, 0);
	memcpy(&ws, r->data, sizeof(ws));
	assert_int_equal(ws.ws_col, 132);
	/* a process of another session may not take the terminal */
	r = ioctl_as(h, ME, TIOCSPGRP, 0, &member, 4);
	assert_int_equal(r->rep.result, -ENOTTY);
	end_session();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_open_stat, start, stop),
	    cmocka_unit_test_setup_teardown(test_read_waits_for_line, start,
					    stop),
	    cmocka_unit_test_setup_teardown(test_nonblocking_read, start, stop),
	    cmocka_unit_test_setup_teardown(test_cancel_and_notify, start,
					    stop),
	    cmocka_unit_test_setup_teardown(test_termios_raw, start, stop),
	    cmocka_unit_test_setup_teardown(test_vmin_vtime, start, stop),
	    cmocka_unit_test_setup_teardown(test_job_control, start, stop),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
