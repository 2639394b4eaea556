/*
 * sock.h - what the socket files share (socket.c: sockets, names and
 * connections, the native calls; sockmsg.c: messages, send and receive,
 * descriptor passing and its cycle collector). Private to kernel/ipc/.
 */
#ifndef LUX_IPC_SOCK_H
#define LUX_IPC_SOCK_H

#include "file.h"
#include "sched.h"

#define AF_UNIX          1
#define SOCK_STREAM      1
#define SOCK_DGRAM       2
#define SOCK_SEQPACKET   5
#define SOCK_NONBLOCK    O_NONBLOCK
#define SOCK_CLOEXEC     O_CLOEXEC
#define MSG_PEEK         0x2
#define MSG_CTRUNC       0x8
#define MSG_TRUNC        0x20
#define MSG_DONTWAIT     0x40
#define MSG_WAITALL      0x100
#define MSG_NOSIGNAL     0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define BUF_DEFAULT      (208 * KiB)
#define BUF_MAX          (4 * MiB)
#define FDS_MAX          253 /* descriptors in one message (SCM_RIGHTS) */
#define ADDR_MAX         110 /* sizeof(struct sockaddr_un) */

enum { UNCONNECTED, LISTENING, CONNECTED };

struct msg {
	struct list link;
	size_t len, off;     /* bytes, and bytes already read (stream) */
	size_t cost;         /* what it counts against the receive buffer */
	struct file **files; /* SCM_RIGHTS */
	unsigned nfiles;
	bool delivered;      /* files handed out (those left get closed) */
	char from[ADDR_MAX]; /* the sender's address (datagrams) */
	unsigned fromlen;
	char data[];
};

/* An address: its bytes (a sockaddr_un as given, what getsockname
 * shows); a path name's key is the socket file it names (node, with a
 * reference), an abstract name's (sun_path[0] == 0) its bytes. */
struct addr {
	char name[ADDR_MAX];
	unsigned len; /* 0: none */
	struct file *node;
};
static const struct addr no_addr;

struct sock {
	int type, state;
	struct sock *peer; /* connected to (stream, seqpacket, pairs) */
	struct addr dest;  /* a datagram socket's connect() address */
	struct list queue; /* received messages */
	size_t queued, rcvbuf, sndbuf;
	bool rd_shut, wr_shut, peer_gone;
	int err; /* ECONNRESET once: the peer closed with data unread */
	struct list pending; /* connections waiting for accept (listening) */
	struct list link;    /* in its listener's pending, or bound list */
	unsigned npending, backlog;
	struct addr name;  /* bound address */
	int pid, uid, gid; /* credentials at socket()/connect() */
	int peer_cred[3];  /* the peer's pid, uid, gid when they paired */
	struct waitq wq;
	struct file *file;
	unsigned inflight;  /* its file's references held by queued messages */
	struct list flying; /* in flying_socks while inflight */
	/* the collector's: references from outside flying sockets' queues,
	 * its mark, and its work list */
	unsigned outside;
	bool reachable;
	struct sock *next_work;
};

/* Both errors of a descriptor that is not (or is not a) socket. */
#define SOCK_OR_FAIL(s, fd, f)                                                 \
	struct file *f;                                                        \
	struct sock *s = sock_of(fd, &f);                                      \
	if (!s)                                                                \
	return f || fd_open(fd) ? -ENOTSOCK : -EBADF

/* One mutex guards all socket state; waits happen outside it. */
extern struct mutex sock_lock;
extern const struct file_ops sock_ops;

/* Connectors waiting for backlog room, and senders waiting for room in a
 * queue, watch this count: every accept, receive, shutdown and close
 * bumps it. */
extern struct waitq sock_backlog_wq;
extern volatile unsigned sock_backlog_gen;
bool sock_backlog_moved(void *seen);
void sock_backlog_bump(void);

/* socket.c */
struct sock *sock_of(int fd, struct file **f);
void sock_release(struct file *f);
int sock_get_addr(long uaddr, long len, long namefd, struct addr *a, bool own);
void sock_addr_put(struct addr *a);
struct sock *sock_find_bound(const struct addr *a, int type);

/* sockmsg.c */
unsigned sock_in_flight(struct msg *m, bool on);
void sock_free_msgs(struct list *dead);
long sock_msg(long fd, long recv, long umsg, long flags);

#endif
