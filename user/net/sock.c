/*
 * sock.c - net: TCP and UDP sockets on lwIP's raw API, served as files
 * (docs/decisions/0029-inet-sockets.md, include/lux/proto.h LUX_INET_*).
 * OPEN "tcp" or "udp" makes a socket, OPEN "accept/<token>" takes a
 * connection LUX_INET_ACCEPT handed out; READ and WRITE receive and
 * send; the other calls are IOCTLs; poll is answered by NOTIFY.
 *
 * A request that cannot be answered yet (a read with nothing received,
 * a write with no room, a blocking connect or accept) is kept in pend[]
 * and tried again whenever lwIP reports something on its socket (kick).
 * Everything runs on the server's one thread (main.c).
 */
#include "net.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include <errno.h>
#include <lux.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SOCK_MAX     (MEMP_NUM_TCP_PCB + MEMP_NUM_UDP_PCB) /* the whole */
#define PEND_MAX     256         /* requests waiting, all sockets */
#define SHARE(n)     ((n)*3 / 4) /* of a pool, one uid but root's */
#define DGRAM_MAX    32          /* datagrams queued on one socket */
#define MSG_PEEK     0x2
#define MSG_DONTWAIT 0x40
#define SO_RCVTIMEO  20 /* SO_SNDTIMEO is 21 */
#define SO_SNDTIMEO  21
#define ADDR_LEN     16 /* sizeof(struct sockaddr_in) */
#define AF_INET      2
#define UDP_MAX      65507
#define MIN(a, b)    ((a) < (b) ? (a) : (b))
#define MAX(a, b)    ((a) > (b) ? (a) : (b))

enum { FRESH, CONNECTING, CONNECTED, LISTENING, DEAD };

struct dgram {
	struct dgram *next;
	struct pbuf *p;
	ip_addr_t addr;
	u16_t port;
};

struct sock {
	bool used, udp;
	int state;
	uint32_t uid;    /* the opener's (an accepted one: the listener's) */
	uint64_t handle; /* 0: accepted, not yet opened */
	uint64_t token;  /* accepted: handed out by ACCEPT (0: queued) */
	uint64_t seq;    /* accepted: its place in the listener's queue */
	struct sock *listener;
	struct tcp_pcb *tcp;
	struct udp_pcb *pcb;
	struct pbuf *rx; /* TCP: received, unread */
	struct dgram *dq, **dq_end;
	int ndq;
	bool eof, wr_shut;
	int err; /* the pending error (SO_ERROR), a positive errno */
	uint32_t events;
	int64_t
	    timeo[2]; /* SO_RCVTIMEO, SO_SNDTIMEO in ms; 0 forever, -1 none */
};

/* A request kept until it can be answered. */
struct pend {
	bool used;
	struct lux_req q;
	struct sock *s;
	void *data; /* WRITE, SEND: the payload (malloc) */
	size_t n;
	size_t want;      /* RECV: the bytes wanted */
	uint32_t expires; /* sys_now() when it fails (SO_*TIMEO), or 0 */
};

static struct sock socks[SOCK_MAX];
static struct pend pend[PEND_MAX];
static uint64_t next_handle = 1, next_seq = 1;
static bool starved; /* a send found lwIP's memory full: retry on acks */
static char out[ADDR_LEN + LUX_MAX_DATA]; /* a reply's payload */

static void kick(struct sock *s);

static int err_errno(err_t e)
{
	switch (e) {
	case ERR_OK:
		return 0;
	case ERR_MEM:
	case ERR_BUF:
		return ENOMEM;
	case ERR_RTE:
		return EHOSTUNREACH;
	case ERR_USE:
		return EADDRINUSE;
	case ERR_ISCONN:
		return EISCONN;
	case ERR_ALREADY:
		return EALREADY;
	case ERR_RST:
		return ECONNRESET;
	case ERR_ABRT:
		return ECONNABORTED;
	case ERR_CLSD:
		return ENOTCONN;
	case ERR_VAL:
	case ERR_ARG:
		return EINVAL;
	case ERR_TIMEOUT:
		return ETIMEDOUT;
	default:
		return EIO;
	}
}

static struct sock *sock_by_handle(uint64_t h)
{
	for (int i = 0; h && i < SOCK_MAX; i++)
		if (socks[i].used && socks[i].handle == h)
			return &socks[i];
	return NULL;
}

/* A new socket for uid: NULL with *err ENOBUFS past uid's share of
 * its kind (UDP's or TCP's pool; root has no share: all), ENFILE when
 * the server has none left. A program cannot take every socket from
 * the others. */
static struct sock *sock_alloc(bool udp, uint32_t uid, int *err)
{
	int mine = 0, share = SHARE(udp ? MEMP_NUM_UDP_PCB : MEMP_NUM_TCP_PCB);
	struct sock *s = NULL;

	for (int i = 0; i < SOCK_MAX; i++)
		if (!socks[i].used && !s)
			s = &socks[i];
		else if (socks[i].used && socks[i].uid == uid &&
			 socks[i].udp == udp)
			mine++;
	*err = !s ? ENFILE : uid && mine >= share ? ENOBUFS : 0;
	if (*err)
		return NULL;
	*s = (struct sock){.used = true, .udp = udp, .uid = uid};
	s->dq_end = &s->dq;
	return s;
}

/* An address as Linux's sockaddr_in into a (16 bytes). */
static void addr_out(char *a, const ip_addr_t *ip, u16_t port)
{
	uint16_t fam = AF_INET, p = lwip_htons(port);
	uint32_t v = ip ? ip_2_ip4(ip)->addr : 0;

	memset(a, 0, ADDR_LEN);
	memcpy(a, &fam, 2);
	memcpy(a + 2, &p, 2);
	memcpy(a + 4, &v, 4);
}

/* The sockaddr_in at a (16 bytes): 0, or -EAFNOSUPPORT. */
static int addr_in(const char *a, ip_addr_t *ip, u16_t *port)
{
	uint16_t fam, p;
	uint32_t v;

	memcpy(&fam, a, 2);
	memcpy(&p, a + 2, 2);
	memcpy(&v, a + 4, 4);
	ip_addr_set_ip4_u32(ip, v);
	*port = lwip_ntohs(p);
	return fam == AF_INET ? 0 : -EAFNOSUPPORT;
}

/* Readiness as poll sees it. */
static uint32_t sock_events(const struct sock *s)
{
	uint32_t ev = 0;

	if (s->udp)
		return LUX_POLLOUT | (s->dq ? LUX_POLLIN : 0);
	if (s->err)
		ev |= LUX_POLLERR | LUX_POLLHUP | LUX_POLLOUT | LUX_POLLIN;
	if (s->rx || s->eof)
		ev |= LUX_POLLIN;
	if (s->state == DEAD || (s->eof && s->wr_shut))
		ev |= LUX_POLLHUP;
	if (s->state == CONNECTED && !s->wr_shut && s->tcp &&
	    tcp_sndbuf(s->tcp) > 0)
		ev |= LUX_POLLOUT;
	if (s->state == FRESH)
		ev |= LUX_POLLOUT | LUX_POLLHUP;
	if (s->state == LISTENING)
		for (int i = 0; i < SOCK_MAX; i++)
			if (socks[i].used && socks[i].listener == s &&
			    !socks[i].token)
				ev |= LUX_POLLIN;
	return ev;
}

/* Reply to q: result and the first n bytes of out. */
static void reply(const struct lux_req *q, long r, size_t n)
{
	lux_reply(LUX_SERVER_FD, q, r, out, n);
}

/* The error to take: the pending one (cleared), or 0. */
static int take_err(struct sock *s)
{
	int e = s->err;

	s->err = 0;
	return e;
}

/* Try to answer a receive of want bytes (ioctl: RECV's reply, with the
 * source address first): false if it must wait. */
static bool try_recv(struct sock *s, const struct lux_req *q, size_t want,
		     long flags, bool ioctl)
{
	size_t skip = ioctl ? ADDR_LEN : 0, n;
	struct pbuf *p = s->udp ? (s->dq ? s->dq->p : NULL) : s->rx;

	if (!p) {
		long r = s->err                       ? -take_err(s)
			 : s->udp                     ? 1
			 : s->eof || s->state == DEAD ? 0
			 : s->state == CONNECTED || s->state == CONNECTING
			     ? 1
			     : -ENOTCONN;
		if (r > 0)
			return false;
		addr_out(out, NULL, 0);
		reply(q, r, skip);
		return true;
	}
	n = MIN(want, p->tot_len);
	pbuf_copy_partial(p, out + skip, n, 0);
	if (ioctl && s->udp)
		addr_out(out, &s->dq->addr, s->dq->port);
	else if (ioctl)
		addr_out(out, &s->tcp->remote_ip, s->tcp->remote_port);
	if (!(flags & MSG_PEEK) && s->udp) {
		struct dgram *d = s->dq;
		if (!(s->dq = d->next))
			s->dq_end = &s->dq;
		s->ndq--;
		pbuf_free(d->p);
		free(d);
	} else if (!(flags & MSG_PEEK)) {
		s->rx = pbuf_free_header(s->rx, n);
		if (s->tcp)
			tcp_recved(s->tcp, n);
	}
	reply(q, n, skip + n);
	return true;
}

/* Send n bytes of data on UDP socket s, to a (NULL: its peer). */
static long udp_send_data(struct sock *s, const void *data, size_t n,
			  const char *a)
{
	ip_addr_t ip;
	u16_t port;
	struct pbuf *p;
	err_t e;
	int r;

	if (a && (r = addr_in(a, &ip, &port)))
		return r;
	if (!a && !(udp_flags(s->pcb) & UDP_FLAGS_CONNECTED))
		return -EDESTADDRREQ;
	if (n > UDP_MAX)
		return -EMSGSIZE;
	if (!(p = pbuf_alloc(PBUF_TRANSPORT, n, PBUF_RAM)))
		return -ENOMEM;
	memcpy(p->payload, data, n);
	e = a ? udp_sendto(s->pcb, p, &ip, port) : udp_send(s->pcb, p);
	pbuf_free(p);
	return e == ERR_OK ? (long)n : -err_errno(e);
}

/* Try to answer p, a send of n bytes (a: SEND's address, NULL none):
 * false if it must wait for room. It answers what fits (a short count
 * the kernel's write and the personality's send go on from: one
 * request never holds bytes already queued, so a signal cannot lose
 * their count). */
static bool try_send(struct pend *p, const char *data, size_t n, const char *a)
{
	struct sock *s = p->s;
	long r;

	if (s->udp)
		r = udp_send_data(s, data, n, a);
	else if (s->err)
		r = -take_err(s);
	else if (s->wr_shut || s->state == DEAD)
		r = -EPIPE;
	else if (s->state == CONNECTING)
		return false;
	else if (s->state != CONNECTED)
		r = -ENOTCONN;
	else {
		size_t room = MIN(n, tcp_sndbuf(s->tcp));
		err_t e = ERR_MEM;
		if (n && (!room || tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN))
			return false;
		if (room && (e = tcp_write(s->tcp, data, room,
					   TCP_WRITE_FLAG_COPY)) != ERR_OK) {
			starved |= e == ERR_MEM;
			return false; /* no memory now: wait for acks */
		}
		tcp_output(s->tcp);
		r = room;
	}
	reply(&p->q, r, 0);
	return true;
}

/* Try to answer a blocking connect. */
static bool try_connect(struct sock *s, const struct lux_req *q)
{
	if (s->state == CONNECTING)
		return false;
	reply(q, s->err ? -take_err(s) : 0, 0);
	return true;
}

/* Try to answer ACCEPT: hand out the oldest queued connection's token. */
static bool try_accept(struct sock *s, const struct lux_req *q)
{
	struct sock *c = NULL;
	struct lux_inet_accept a;

	if (s->state != LISTENING) {
		reply(q, -EINVAL, 0);
		return true;
	}
	for (int i = 0; i < SOCK_MAX; i++)
		if (socks[i].used && socks[i].listener == s &&
		    !socks[i].token && (!c || socks[i].seq < c->seq))
			c = &socks[i];
	if (!c)
		return false;
	while (!c->token)
		if (getrandom(&c->token, sizeof(c->token), 0) < 0)
			c->token = ((uint64_t)rand() << 32) ^ (uint64_t)rand();
	a.token = c->token;
	addr_out((char *)a.peer, c->tcp ? &c->tcp->remote_ip : NULL,
		 c->tcp ? c->tcp->remote_port : 0);
	if (c->tcp)
		tcp_backlog_accepted(c->tcp);
	memcpy(out, &a, sizeof(a));
	reply(q, 0, sizeof(a));
	return true;
}

/* Try to answer p, a kept request: true when it was. */
static bool attempt(struct pend *p)
{
	struct lux_req *q = &p->q;
	const char *a = p->data;

	if (q->op == LUX_READ)
		return try_recv(p->s, q, MIN(q->count, LUX_MAX_DATA), 0, false);
	if (q->op == LUX_WRITE)
		return try_send(p, p->data, p->n, NULL);
	switch (q->count) {
	case LUX_INET_RECV:
		return try_recv(p->s, q, p->want, q->off, true);
	case LUX_INET_SEND: /* family 0: no address */
		return try_send(p, a + ADDR_LEN, p->n - ADDR_LEN,
				a[0] || a[1] ? a : NULL);
	case LUX_INET_CONNECT:
		return try_connect(p->s, q);
	default:
		return try_accept(p->s, q);
	}
}

/* Whether q waits for the peer to send (SO_RCVTIMEO) rather than for
 * room or a handshake (SO_SNDTIMEO). */
static bool receiving(const struct lux_req *q)
{
	return q->op == LUX_READ ||
	       (q->op == LUX_IOCTL &&
		(q->count == LUX_INET_RECV || q->count == LUX_INET_ACCEPT));
}

/* What p, a kept request, answers when its time is up: EAGAIN
 * (EINPROGRESS for a connect). */
static long timed_out(const struct pend *p)
{
	return p->q.op == LUX_IOCTL && p->q.count == LUX_INET_CONNECT
		   ? -EINPROGRESS
		   : -EAGAIN;
}

/* Answer q now or keep it (a copy of data's n bytes with it; want: a
 * RECV's length) until it can be answered or its socket's timeout
 * passes; with O_NONBLOCK a request that would wait fails with EAGAIN
 * (a send that queued part: that part). */
static void start(struct sock *s, const struct lux_req *q, const void *data,
		  size_t n, size_t want)
{
	struct pend p = {true, *q, s, (void *)data, n, want, 0}, *slot = NULL;
	int64_t t = s->timeo[receiving(q) ? 0 : 1];

	if (attempt(&p))
		return;
	if (q->flags & LUX_O_NONBLOCK || t < 0) {
		reply(q, timed_out(&p), 0);
		return;
	}
	int mine = 0;
	for (int i = 0; i < PEND_MAX; i++)
		if (!pend[i].used && !slot)
			slot = &pend[i];
		else if (pend[i].used && pend[i].q.uid == q->uid)
			mine++;
	if (!slot || (q->uid && mine >= SHARE(PEND_MAX)) ||
	    (n && !(p.data = malloc(n)))) {
		reply(q, -ENOBUFS, 0);
		return;
	}
	if (n)
		memcpy(p.data, data, n);
	if (t > 0)
		p.expires = (sys_now() + (uint32_t)t) | 1; /* never 0 */
	*slot = p;
}

static void pend_drop(struct pend *p)
{
	free(p->data);
	p->used = false;
}

/* The ms until the next kept request's timeout: -1 none. Those due now
 * fail: EAGAIN (a connect EINPROGRESS). */
int sock_expire(void)
{
	int next = -1;
	uint32_t now = sys_now();

	if (starved) { /* memory may have come back: every send tries */
		starved = false;
		for (int i = 0; i < SOCK_MAX; i++)
			if (socks[i].used && !socks[i].udp)
				kick(&socks[i]);
	}
	for (int i = 0; i < PEND_MAX; i++) {
		struct pend *p = &pend[i];
		int32_t left = (int32_t)(p->expires - now);
		if (!p->used || !p->expires)
			continue;
		if (left > 0) {
			next = next < 0 ? left : MIN(next, left);
			continue;
		}
		reply(&p->q, timed_out(p), 0);
		pend_drop(p);
	}
	return next;
}

/* Something happened on s: answer what can be, tell poll. */
static void kick(struct sock *s)
{
	for (int i = 0; i < PEND_MAX; i++)
		if (pend[i].used && pend[i].s == s && attempt(&pend[i]))
			pend_drop(&pend[i]);
	uint32_t ev = sock_events(s);
	if (s->handle && ev != s->events)
		lux_notify(LUX_SERVER_FD, s->handle, ev);
	s->events = ev;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t e)
{
	struct sock *s = arg;

	(void)pcb;
	(void)e;
	if (!p)
		s->eof = true;
	else if (s->rx)
		pbuf_cat(s->rx, p);
	else
		s->rx = p;
	kick(s);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)pcb;
	(void)len;
	kick(arg);
	return ERR_OK;
}

/* lwIP freed the connection: a reset, an abort, or a refused connect. */
static void on_err(void *arg, err_t e)
{
	struct sock *s = arg;

	s->err = s->state == CONNECTING && e == ERR_RST ? ECONNREFUSED
							: err_errno(e);
	s->state = DEAD;
	s->tcp = NULL;
	kick(s);
	if (s->listener && s->token == 0 && !s->handle)
		kick(s->listener);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t e)
{
	struct sock *s = arg;

	(void)pcb;
	(void)e;
	s->state = CONNECTED;
	kick(s);
	return ERR_OK;
}

static void tcp_hooks(struct sock *s, struct tcp_pcb *pcb)
{
	s->tcp = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t e)
{
	struct sock *l = arg, *s;
	int err;

	if (e != ERR_OK || !pcb || !(s = sock_alloc(false, l->uid, &err)))
		return ERR_MEM; /* lwIP aborts the connection */
	s->state = CONNECTED;
	s->listener = l;
	s->seq = next_seq++;
	tcp_hooks(s, pcb);
	tcp_backlog_delayed(pcb);
	kick(l);
	return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		   const ip_addr_t *addr, u16_t port)
{
	struct sock *s = arg;
	struct dgram *d;

	(void)pcb;
	if (s->ndq >= DGRAM_MAX || !(d = malloc(sizeof(*d)))) {
		pbuf_free(p);
		return;
	}
	*d = (struct dgram){NULL, p, *addr, port};
	*s->dq_end = d;
	s->dq_end = &d->next;
	s->ndq++;
	kick(s);
}

/* Let go of s's connection (lwIP keeps closing it alone). */
static void tcp_drop(struct sock *s)
{
	struct tcp_pcb *pcb = s->tcp;

	if (!pcb)
		return;
	tcp_arg(pcb, NULL);
	s->tcp = NULL;
	if (s->state == LISTENING) { /* a listening pcb has no err hook */
		tcp_close(pcb);
		return;
	}
	tcp_err(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

/* Free s and what it holds. */
static void sock_free(struct sock *s)
{
	for (int i = 0; i < PEND_MAX; i++)
		if (pend[i].used && pend[i].s == s)
			pend_drop(&pend[i]);
	if (s->state == LISTENING)
		for (int i = 0; i < SOCK_MAX; i++)
			if (socks[i].used && socks[i].listener == s &&
			    !socks[i].handle)
				sock_free(&socks[i]);
	tcp_drop(s);
	if (s->pcb)
		udp_remove(s->pcb);
	if (s->rx)
		pbuf_free(s->rx);
	while (s->dq) {
		struct dgram *d = s->dq;
		s->dq = d->next;
		pbuf_free(d->p);
		free(d);
	}
	s->used = false;
}

/* OPEN: "tcp", "udp" or "accept/<token>". */
static void do_open(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	struct lux_rep r = {.mode = LUX_S_IFSOCK | 0777};
	struct sock *s = NULL;
	int err = 0;

	if (path && !strncmp(path, "accept/", 7)) {
		uint64_t t = strtoull(path + 7, NULL, 16);
		for (int i = 0; i < SOCK_MAX && !s; i++)
			if (socks[i].used && t && socks[i].token == t &&
			    !socks[i].handle)
				s = &socks[i];
		r.result = s ? 0 : -ECONNABORTED;
	} else if (path && (!strcmp(path, "tcp") || !strcmp(path, "udp"))) {
		bool udp = path[0] == 'u';
		if ((s = sock_alloc(udp, m->req.uid, &err)) && udp &&
		    (s->pcb = udp_new()))
			udp_recv(s->pcb, on_udp, s);
		else if (s && !udp && (s->tcp = tcp_new()))
			tcp_hooks(s, s->tcp);
		if (s && !s->pcb && !s->tcp) { /* lwIP's pool: TIME_WAIT */
			sock_free(s);
			s = NULL;
			err = ENFILE;
		}
		r.result = -err;
	} else
		r.result = path && !*path ? -EISDIR : -ENOENT;
	if (s) {
		s->handle = r.handle = next_handle++;
		s->listener = NULL;
		r.events = s->events = sock_events(s);
	}
	lux_reply_full(LUX_SERVER_FD, &m->req, &r, NULL, 0);
}

static long do_bind(struct sock *s, const struct lux_req *q, const char *a)
{
	ip_addr_t ip;
	u16_t port;
	int r = addr_in(a, &ip, &port);
	err_t e;

	if (r)
		return r;
	if (port && port < 1024 && q->uid != 0)
		return -EACCES;
	if (s->udp)
		e = udp_bind(s->pcb, &ip, port);
	else if (s->state != FRESH || !s->tcp || s->tcp->local_port)
		return -EINVAL;
	else
		e = tcp_bind(s->tcp, &ip, port);
	return e == ERR_OK ? 0 : -err_errno(e);
}

/* CONNECT: UDP at once; TCP waits for the handshake (EINPROGRESS with
 * O_NONBLOCK). */
static void do_connect(struct sock *s, const struct lux_req *q, const char *a)
{
	ip_addr_t ip;
	u16_t port;
	long r = addr_in(a, &ip, &port);
	err_t e;

	if (!r && s->udp)
		r = -err_errno(udp_connect(s->pcb, &ip, port));
	else if (!r && s->state == CONNECTING)
		r = -EALREADY;
	else if (!r && s->state == CONNECTED)
		r = -EISCONN;
	else if (!r && s->state != FRESH)
		r = s->err ? -take_err(s) : -EINVAL;
	else if (!r && (e = tcp_connect(s->tcp, &ip, port, on_connected)))
		r = -err_errno(e);
	else if (!r) {
		s->state = CONNECTING;
		if (q->flags & LUX_O_NONBLOCK)
			r = -EINPROGRESS;
		else {
			start(s, q, NULL, 0, 0);
			return;
		}
	}
	reply(q, r, 0);
	kick(s);
}

static long do_listen(struct sock *s, long backlog)
{
	struct tcp_pcb *l;

	if (s->udp)
		return -EOPNOTSUPP;
	backlog = MAX(1, MIN(backlog, 255));
	if (s->state == LISTENING) { /* Linux: a new backlog */
		tcp_backlog_set(s->tcp, backlog);
		return 0;
	}
	if (s->state != FRESH)
		return -EINVAL;
	if (!s->tcp->local_port && tcp_bind(s->tcp, IP_ANY_TYPE, 0))
		return -EADDRINUSE;
	if (!(l = tcp_listen_with_backlog(s->tcp, backlog)))
		return -ENOBUFS;
	s->tcp = l;
	s->state = LISTENING;
	tcp_arg(l, s);
	tcp_accept(l, on_accept);
	return 0;
}

/* NAME: the socket's own address (which 0) or its peer's. */
static long do_name(struct sock *s, int which)
{
	if (s->udp && which)
		return udp_flags(s->pcb) & UDP_FLAGS_CONNECTED
			   ? (addr_out(out, &s->pcb->remote_ip,
				       s->pcb->remote_port),
			      ADDR_LEN)
			   : -ENOTCONN;
	if (s->udp)
		return addr_out(out, &s->pcb->local_ip, s->pcb->local_port),
		       ADDR_LEN;
	if (which && (s->state != CONNECTED || !s->tcp))
		return -ENOTCONN;
	if (!s->tcp)
		return addr_out(out, NULL, 0), ADDR_LEN;
	if (which)
		addr_out(out, &s->tcp->remote_ip, s->tcp->remote_port);
	else
		addr_out(out, &s->tcp->local_ip, s->tcp->local_port);
	return ADDR_LEN;
}

static uint8_t *so_options(struct sock *s)
{
	return s->udp   ? &s->pcb->so_options
	       : s->tcp ? &s->tcp->so_options
			: NULL;
}

/* GETOPT and SETOPT (set: v the value): the int in *v, or -errno. */
static long do_opt(struct sock *s, uint64_t which, bool set, int *v)
{
	int level = which >> 32, opt = (int)which;
	uint8_t *so = so_options(s), bit = 0;

	if (level == 6 && opt == 1 && s->tcp && !s->udp) { /* TCP_NODELAY */
		if (set && *v)
			tcp_nagle_disable(s->tcp);
		else if (set)
			tcp_nagle_enable(s->tcp);
		return *v = tcp_nagle_disabled(s->tcp) ? 1 : 0, 0;
	}
	if (level != 1)
		return -ENOPROTOOPT;
	switch (opt) {
	case 2: /* SO_REUSEADDR */
		bit = SOF_REUSEADDR;
		break;
	case 9: /* SO_KEEPALIVE */
		bit = SOF_KEEPALIVE;
		break;
	case 6: /* SO_BROADCAST */
		bit = SOF_BROADCAST;
		break;
	case 3:  /* SO_TYPE */
	case 4:  /* SO_ERROR */
	case 7:  /* SO_SNDBUF */
	case 8:  /* SO_RCVBUF */
	case 30: /* SO_ACCEPTCONN */
	case 38: /* SO_PROTOCOL */
	case 39: /* SO_DOMAIN */
		if (set)
			return opt == 7 || opt == 8 ? 0 : -ENOPROTOOPT;
		*v = opt == 3    ? (s->udp ? 2 : 1)
		     : opt == 4  ? take_err(s)
		     : opt == 7  ? TCP_SND_BUF
		     : opt == 8  ? TCP_WND
		     : opt == 30 ? s->state == LISTENING
		     : opt == 38 ? (s->udp ? 17 : 6)
				 : AF_INET;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
	if (!so)
		return -EINVAL;
	if (set)
		*so = *v ? (*so | bit) : (*so & ~bit);
	return *v = (*so & bit) != 0, 0;
}

/* SO_RCVTIMEO (which 0) or SO_SNDTIMEO (1): set from the struct
 * timeval in in (n bytes), or get it into out: its length, or -errno. */
static long do_timeo(struct sock *s, int which, bool set, const char *in,
		     size_t n)
{
	int64_t tv[2], *t = &s->timeo[which];

	if (!set) {
		tv[0] = *t > 0 ? *t / 1000 : 0;
		tv[1] = *t > 0 ? *t % 1000 * 1000 : 0;
		memcpy(out, tv, sizeof(tv));
		return sizeof(tv);
	}
	if (n < sizeof(tv))
		return -EINVAL;
	memcpy(tv, in, sizeof(tv));
	if (tv[1] < 0 || tv[1] >= 1000000)
		return -EDOM;
	if (tv[0] < 0) /* Linux: fail at once */
		*t = -1;
	else if (tv[0] >= INT32_MAX / 1000) /* longer than sys_now wraps */
		*t = 0;
	else
		*t = tv[0] * 1000 + (tv[1] + 999) / 1000;
	return 0;
}

static long do_shutdown(struct sock *s, long how)
{
	if (how < 0 || how > 2)
		return -EINVAL;
	if (s->udp)
		return udp_flags(s->pcb) & UDP_FLAGS_CONNECTED ? 0 : -ENOTCONN;
	if (s->state != CONNECTED)
		return s->state == LISTENING ? 0 : -ENOTCONN;
	if (how != 0)
		s->wr_shut = true;
	if (how != 1)
		s->eof = true;
	if (s->tcp)
		tcp_shutdown(s->tcp, how != 1, how != 0);
	return 0;
}

/* IOCTL on socket s: the LUX_INET_* commands; n bytes of input. */
static void do_ioctl(struct sock *s, const struct lux_msg *m, size_t n)
{
	const struct lux_req *q = &m->req;
	long r = -ENOTTY;
	int v = 0;
	uint64_t want = 0;
	struct lux_req k = *q;

	if (q->off & MSG_DONTWAIT &&
	    (q->count == LUX_INET_SEND || q->count == LUX_INET_RECV))
		k.flags |= LUX_O_NONBLOCK;

	switch (q->count) {
	case LUX_INET_BIND:
		r = n < ADDR_LEN ? -EINVAL : do_bind(s, q, m->data);
		break;
	case LUX_INET_CONNECT:
		if (n < ADDR_LEN)
			break;
		do_connect(s, q, m->data);
		return;
	case LUX_INET_LISTEN:
		r = do_listen(s, (long)q->off);
		break;
	case LUX_INET_ACCEPT:
		start(s, q, NULL, 0, 0);
		return;
	case LUX_INET_NAME:
		if ((r = do_name(s, q->off != 0)) > 0) {
			reply(q, 0, r);
			return;
		}
		break;
	case LUX_INET_GETOPT:
	case LUX_INET_SETOPT:
		if (q->off == (1ull << 32 | SO_RCVTIMEO) ||
		    q->off == (1ull << 32 | SO_SNDTIMEO))
			r = do_timeo(s, (int)q->off - SO_RCVTIMEO,
				     q->count == LUX_INET_SETOPT, m->data, n);
		else if (q->count == LUX_INET_SETOPT && n < 4)
			r = -EINVAL;
		else {
			if (n >= 4)
				memcpy(&v, m->data, 4);
			r = do_opt(s, q->off, q->count == LUX_INET_SETOPT, &v);
			memcpy(out, &v, 4);
			r = r || q->count == LUX_INET_SETOPT ? r : 4;
		}
		reply(q, r, MAX(r, 0));
		kick(s);
		return;
	case LUX_INET_SEND:
		if (n < ADDR_LEN || n - ADDR_LEN > LUX_INET_DATA_MAX) {
			r = n < ADDR_LEN ? -EINVAL : -EMSGSIZE;
			break;
		}
		start(s, &k, m->data, n, 0);
		return;
	case LUX_INET_RECV:
		if (n >= 8)
			memcpy(&want, m->data, 8);
		start(s, &k, NULL, 0, MIN(want, LUX_INET_DATA_MAX));
		return;
	case LUX_INET_SHUTDOWN:
		r = do_shutdown(s, (long)q->off);
		break;
	default: /* SIOCGIF*: the interfaces' (ifinfo.c) */
		if ((r = info_ioctl(q->count, m->data, n, out)) >= 0) {
			reply(q, q->count == SIOCGIFCONF ? r : 0, r);
			return;
		}
	}
	reply(q, r, 0);
	kick(s);
}

/* A request on a path other than OPEN: the mount point ("") is a
 * directory anyone may search, "tcp" and "udp" socket files; nothing can
 * be made or changed (EPERM). */
static void do_path(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	struct lux_stat st = {.nlink = 1, .blksize = 4096};
	long r = 0;

	bool info = path && (!strcmp(path, "dev") || !strcmp(path, "route"));

	if (!path ||
	    (*path && strcmp(path, "tcp") && strcmp(path, "udp") && !info))
		r = -ENOENT;
	st.mode = path && !*path ? LUX_S_IFDIR | 0555
		  : info         ? LUX_S_IFREG | 0444
				 : LUX_S_IFSOCK | 0666;
	if (!r && m->req.op == LUX_STAT) {
		lux_reply(LUX_SERVER_FD, &m->req, 0, &st, sizeof(st));
		return;
	}
	if (!r && m->req.op != LUX_ACCESS)
		r = -EPERM;
	lux_reply(LUX_SERVER_FD, &m->req, r, NULL, 0);
}

void sock_serve(const struct lux_msg *m, size_t n)
{
	const struct lux_req *q = &m->req;
	struct sock *s = sock_by_handle(q->handle);

	if (q->op == LUX_OPEN) {
		if (!info_open(m) && !nl_open(m))
			do_open(m);
		return;
	}
	if (info_serve(m) || nl_serve(m, n))
		return;
	if (q->op == LUX_CANCEL) {
		for (int i = 0; i < PEND_MAX; i++)
			if (pend[i].used && pend[i].q.id == q->id)
				pend_drop(&pend[i]);
		return;
	}
	if (q->op == LUX_CLOSE) {
		if (s)
			sock_free(s);
		return;
	}
	if (q->op == LUX_STATFS) { /* Linux's sockfs */
		struct lux_statfs f = {.type = 0x534f434b,
				       .bsize = 4096,
				       .namelen = 255,
				       .frsize = 4096};
		lux_reply(LUX_SERVER_FD, q, 0, &f, sizeof(f));
		return;
	}
	if (!q->handle) {
		do_path(m);
		return;
	}
	if (!s) {
		lux_reply(LUX_SERVER_FD, q, -EBADF, NULL, 0);
		return;
	}
	switch (q->op) {
	case LUX_READ:
		start(s, q, NULL, 0, 0);
		return;
	case LUX_WRITE:
		start(s, q, m->data, n, 0);
		return;
	case LUX_IOCTL:
		do_ioctl(s, m, n);
		return;
	case LUX_STAT: {
		struct lux_stat st = {.ino = s->handle,
				      .nlink = 1,
				      .blksize = 4096,
				      .mode = LUX_S_IFSOCK | 0777};
		lux_reply(LUX_SERVER_FD, q, 0, &st, sizeof(st));
		return;
	}
	default:
		lux_reply(LUX_SERVER_FD, q, -EINVAL, NULL, 0);
	}
}
