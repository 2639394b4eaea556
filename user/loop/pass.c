/*
 * pass.c - the hand-over of backing files (include/lux/loop.h): a
 * SOCK_SEQPACKET socket on the abstract name LOOP_SOCKET, whose
 * connections each bring one descriptor (SCM_RIGHTS) and get a random
 * ticket for it. The descriptor stays here, unused, while its
 * connection is open and until LOOP_SET_FD or LOOP_CONFIGURE takes it
 * with the ticket (through a loop device the caller has open: the
 * permission check is there). A connection holds at most one
 * descriptor, and at most CONN_MAX are kept: a new one closes the
 * oldest of the user holding the most, so no client can make the
 * server hold more than that, nor close another user's (pass_victim).
 */
#define _GNU_SOURCE /* struct ucred */
#include "loop.h"
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct conn {
	int sock;        /* -1: free */
	int fd;          /* the descriptor it brought, -1: none yet */
	uint64_t ticket; /* its ticket (never 0) */
	uint64_t age;
	uid_t uid; /* the peer's, when it connected */
};

static int listener = -1;
static struct conn conns[CONN_MAX];
static uint64_t ages;

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	close(c->sock);
	*c = (struct conn){.sock = -1, .fd = -1};
}

/* Listen on LOOP_SOCKET, open to anyone (the tickets are what is
 * checked): 0 or -1. */
int pass_listen(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	for (int i = 0; i < CONN_MAX; i++)
		conns[i] = (struct conn){.sock = -1, .fd = -1};
	memcpy(a.sun_path, LOOP_SOCKET, sizeof(LOOP_SOCKET) - 1);
	listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (listener < 0 ||
	    bind(listener, (struct sockaddr *)&a,
		 offsetof(struct sockaddr_un, sun_path) + sizeof(LOOP_SOCKET) -
		     1) ||
	    listen(listener, CONN_MAX))
		return -1;
	return 0;
}

int pass_npoll(void)
{
	return 1 + CONN_MAX;
}

void pass_poll(struct pollfd *p)
{
	p[0] = (struct pollfd){listener, POLLIN, 0};
	for (int i = 0; i < CONN_MAX; i++)
		p[1 + i] = (struct pollfd){conns[i].sock, POLLIN, 0};
}

/* The connection to close for a new one when all are taken: the oldest
 * of the uid that holds the most. A user who keeps opening connections
 * closes its own, never another's between its ticket and its ioctl. */
static struct conn *pass_victim(void)
{
	struct conn *c = NULL;
	int most = 0;

	for (int i = 0; i < CONN_MAX; i++) {
		int n = 0;
		for (int j = 0; j < CONN_MAX; j++)
			n += conns[j].uid == conns[i].uid;
		if (n > most || (n == most && conns[i].age < c->age)) {
			most = n;
			c = &conns[i];
		}
	}
	return c;
}

/* A new connection, in a free slot or pass_victim's. */
static void pass_accept(void)
{
	int s = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred cr;
	socklen_t len = sizeof(cr);
	struct conn *c = NULL;

	if (s < 0)
		return;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
		close(s);
		return;
	}
	for (int i = 0; i < CONN_MAX && !c; i++)
		if (conns[i].sock < 0)
			c = &conns[i];
	if (!c)
		conn_close(c = pass_victim());
	*c = (struct conn){.sock = s, .fd = -1, .uid = cr.uid, .age = ++ages};
}

/* Connection c's message: its descriptor kept, the ticket sent back;
 * anything else (a second descriptor, none, the peer gone) ends it. */
static void pass_receive(struct conn *c)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec v = {&byte, 1};
	struct msghdr h = {.msg_iov = &v,
			   .msg_iovlen = 1,
			   .msg_control = ctl,
			   .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(c->sock, &h, MSG_CMSG_CLOEXEC);

	if (n < 0 && errno == EAGAIN)
		return;
	cm = n == 1 ? CMSG_FIRSTHDR(&h) : NULL;
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)) || c->fd >= 0) {
		if (cm && cm->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0;
			     i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			     i++)
				close(((int *)CMSG_DATA(cm))[i]);
		conn_close(c);
		return;
	}
	memcpy(&c->fd, CMSG_DATA(cm), sizeof(int));
	while (!c->ticket)
		if (getrandom(&c->ticket, sizeof(c->ticket), 0) !=
		    sizeof(c->ticket))
			c->ticket = 0;
	if (send(c->sock, &c->ticket, sizeof(c->ticket), MSG_NOSIGNAL) !=
	    sizeof(c->ticket))
		conn_close(c);
}

void pass_events(const struct pollfd *p)
{
	for (int i = 0; i < CONN_MAX; i++)
		if (conns[i].sock >= 0 && p[1 + i].fd == conns[i].sock &&
		    p[1 + i].revents)
			pass_receive(&conns[i]);
	if (p[0].revents & POLLIN)
		pass_accept();
}

int pass_take(uint64_t ticket)
{
	for (int i = 0; ticket && i < CONN_MAX; i++)
		if (conns[i].sock >= 0 && conns[i].fd >= 0 &&
		    conns[i].ticket == ticket) {
			int fd = conns[i].fd;
			conns[i].fd = -1;
			conns[i].ticket = 0;
			return fd;
		}
	return -1;
}
