/*
 * netlink.c - net: the read-only part of Linux's NETLINK_ROUTE that
 * busybox ip addr, ip link and ip route use (docs/network.md): OPEN
 * "netlink" makes a socket; WRITE (or LUX_INET_SEND) takes requests,
 * whose answer READ (or LUX_INET_RECV) returns as one datagram. The
 * dumps RTM_GETLINK, RTM_GETADDR and RTM_GETROUTE (NLM_F_DUMP) are
 * answered with RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE messages and
 * NLMSG_DONE; any other routing request with NLMSG_ERROR (EPERM for a
 * change by another user than root, else EOPNOTSUPP: nothing changes
 * here). As Linux's, a message shorter than its header or than its
 * nlmsg_len is dropped unanswered, as is one without NLM_F_REQUEST.
 */
#include "net.h"
#include <errno.h>
#include <lux.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NL_MAX      16           /* netlink sockets open at once */
#define NL_HANDLE   (1ull << 62) /* sockets' handles lack this bit */
#define NL_ROOM     4096         /* the answer waiting, at most */
#define AF_NETLINK  16
#define HDR         16 /* sizeof(struct nlmsghdr) */
#define F_REQUEST   0x1
#define F_MULTI     0x2
#define F_DUMP      0x300
#define F_CAPPED    0x100
#define T_ERROR     2
#define T_DONE      3
#define RTM_GETLINK 18
#define RTM_GETADDR 22
#define RTM_GETRT   26
#define RTM_MAX     127
#define MSG_PEEK    0x2
#define ADDR_LEN    16 /* what the personality moves: a sockaddr_nl */
#define AF_INET     2
#define SOCK_RAW    3

struct nl {
	uint64_t handle; /* 0: free */
	uint32_t pid;    /* nl_pid: the opener's process */
	size_t len;      /* bytes waiting in buf; one datagram */
	char buf[NL_ROOM];
};

static struct nl nls[NL_MAX];
static uint64_t next_nl = 1;
static char out[ADDR_LEN + NL_ROOM];

/* The message being built in s->buf: its start, or -1 once full. */
struct build {
	struct nl *s;
	long at;
	uint32_t seq;
};

/* Start a message of type t with flags f and a header of hlen bytes
 * (copied from h) at the end of b's socket's answer. */
static void msg_start(struct build *b, int t, int f, const void *h, size_t hlen)
{
	struct nl *s = b->s;
	uint32_t hdr[4] = {HDR + hlen, (uint32_t)t | (uint32_t)f << 16, b->seq,
			   s->pid};

	if (b->at < 0 || s->len + HDR + hlen > NL_ROOM) {
		b->at = -1;
		return;
	}
	b->at = s->len;
	memcpy(s->buf + s->len, hdr, HDR);
	memcpy(s->buf + s->len + HDR, h, hlen);
	s->len += (HDR + hlen + 3) & ~3u;
}

/* Add attribute type with n bytes of v to b's message. */
static void msg_attr(struct build *b, int type, const void *v, size_t n)
{
	struct nl *s = b->s;
	uint16_t a[2] = {4 + n, type};
	size_t room = (4 + n + 3) & ~3u;
	uint32_t len;

	if (b->at < 0 || s->len + room > NL_ROOM) {
		b->at = -1;
		return;
	}
	memset(s->buf + s->len, 0, room);
	memcpy(s->buf + s->len, a, 4);
	memcpy(s->buf + s->len + 4, v, n);
	s->len += room;
	len = s->len - b->at;
	memcpy(s->buf + b->at, &len, 4);
}

static void msg_u32(struct build *b, int type, uint32_t v)
{
	msg_attr(b, type, &v, 4);
}

/* An RTM_NEWLINK message for interface n. */
static void dump_link(struct build *b, struct netif *n)
{
	char name[16];
	bool lo = if_lo(n), up = netif_is_up(n),
	     run = up && netif_is_link_up(n);
	static const uint8_t bcast[6] = {255, 255, 255, 255, 255, 255},
			     zero[6] = {0};
	struct {
		uint8_t family, pad;
		uint16_t type;
		int32_t index;
		uint32_t flags, change;
	} i = {.type = lo ? 772 : 1, /* ARPHRD_LOOPBACK, ARPHRD_ETHER */
	       .index = netif_get_index(n),
	       .flags = (up ? 0x1 : 0) | (lo ? 0x8 : 0x2) |
			(run ? 0x40 | 0x10000 : 0)}; /* UP, LOOP/BCAST, ... */
	uint8_t oper = lo ? 0 : run ? 6 : 2;         /* UNKNOWN, UP, DOWN */

	if_name(n, name);
	msg_start(b, 16, F_MULTI, &i, sizeof(i));
	msg_attr(b, 3, name, strlen(name) + 1);   /* IFLA_IFNAME */
	msg_u32(b, 4, lo ? 65536 : n->mtu);       /* IFLA_MTU */
	msg_u32(b, 13, 1000);                     /* IFLA_TXQLEN */
	msg_attr(b, 16, &oper, 1);                /* IFLA_OPERSTATE */
	msg_attr(b, 1, lo ? zero : n->hwaddr, 6); /* IFLA_ADDRESS */
	msg_attr(b, 2, lo ? zero : bcast, 6);     /* IFLA_BROADCAST */
}

static int prefix_len(uint32_t mask)
{
	return __builtin_popcount(mask);
}

/* An RTM_NEWADDR message for interface n's IPv4 address, if it has one. */
static void dump_addr(struct build *b, struct netif *n)
{
	uint32_t a = ip4_addr_get_u32(netif_ip4_addr(n)),
		 m = ip4_addr_get_u32(netif_ip4_netmask(n)), bc = (a & m) | ~m;
	char name[16];
	bool lo = if_lo(n);
	struct {
		uint8_t family, prefixlen, flags, scope;
		uint32_t index;
	} h = {AF_INET, prefix_len(m), 0x80, lo ? 254 : 0,
	       netif_get_index(n)}; /* IFA_F_PERMANENT; RT_SCOPE_HOST */

	if (!a || !netif_is_up(n))
		return;
	if_name(n, name);
	msg_start(b, 20, F_MULTI, &h, sizeof(h));
	msg_u32(b, 1, a); /* IFA_ADDRESS */
	msg_u32(b, 2, a); /* IFA_LOCAL */
	if (!lo)
		msg_u32(b, 4, bc);              /* IFA_BROADCAST */
	msg_attr(b, 3, name, strlen(name) + 1); /* IFA_LABEL */
}

/* One RTM_NEWROUTE message of table main: to dst/len through gw (0:
 * none) from src on interface n. */
static void route(struct build *b, struct netif *n, uint32_t dst, int len,
		  uint32_t gw, uint32_t src)
{
	struct {
		uint8_t family, dst_len, src_len, tos, table, protocol, scope,
		    type;
		uint32_t flags;
	} r = {AF_INET, len, 0, 0, 254, gw ? 3 : 2, gw ? 0 : 253, 1, 0};
	/* RT_TABLE_MAIN; RTPROT_BOOT or KERNEL; RT_SCOPE_UNIVERSE or LINK;
	 * RTN_UNICAST */

	msg_start(b, 24, F_MULTI, &r, sizeof(r));
	msg_u32(b, 15, 254); /* RTA_TABLE */
	if (len)
		msg_u32(b, 1, dst); /* RTA_DST */
	if (gw)
		msg_u32(b, 5, gw); /* RTA_GATEWAY */
	if (src)
		msg_u32(b, 7, src);        /* RTA_PREFSRC */
	msg_u32(b, 4, netif_get_index(n)); /* RTA_OIF */
}

/* The routes of interface n, as /proc/net/route shows them (ifinfo.c). */
static void dump_route(struct build *b, struct netif *n)
{
	uint32_t a = ip4_addr_get_u32(netif_ip4_addr(n)),
		 m = ip4_addr_get_u32(netif_ip4_netmask(n)),
		 g = ip4_addr_get_u32(netif_ip4_gw(n));

	if (!a || !netif_is_up(n) || if_lo(n))
		return;
	if (g && n == netif_default)
		route(b, n, 0, 0, g, 0);
	route(b, n, a & m, prefix_len(m), 0, a);
}

/* Answer a dump of type t for the family fam (0: all) into b. */
static void dump(struct build *b, int t, int fam)
{
	struct netif *n;
	int zero = 0;

	NETIF_FOREACH(n)
	{
		if (t == RTM_GETLINK)
			dump_link(b, n);
		else if (fam == 0 || fam == AF_INET)
			(t == RTM_GETADDR ? dump_addr : dump_route)(b, n);
	}
	msg_start(b, T_DONE, F_MULTI, &zero, 4);
}

/* Answer the request at h (len bytes, len >= HDR) from uid into s. */
static void nl_request(struct nl *s, const char *h, uint32_t len, uint32_t uid)
{
	uint16_t type, flags;
	struct build b = {s, 0, 0};
	struct {
		int32_t err;
		char hdr[HDR];
	} e;

	memcpy(&type, h + 4, 2);
	memcpy(&flags, h + 6, 2);
	memcpy(&b.seq, h + 8, 4);
	if (!(flags & F_REQUEST) || type < 16) /* control: nothing to do */
		return;
	if ((type == RTM_GETLINK || type == RTM_GETADDR || type == RTM_GETRT) &&
	    (flags & F_DUMP) == F_DUMP) {
		dump(&b, type, len > HDR ? (uint8_t)h[HDR] : 0);
		return;
	}
	e.err = type <= RTM_MAX && type % 4 != 2 && uid ? -EPERM : -EOPNOTSUPP;
	memcpy(e.hdr, h, HDR);
	msg_start(&b, T_ERROR, F_CAPPED, &e, sizeof(e));
}

/* Take the n bytes of requests at data on socket s from uid: n. */
static long nl_write(struct nl *s, const char *data, size_t n, uint32_t uid)
{
	uint32_t len;

	for (size_t at = 0; n - at >= HDR; at += (len + 3) & ~3u) {
		memcpy(&len, data + at, 4);
		if (len < HDR || len > n - at)
			break; /* dropped, as Linux's */
		nl_request(s, data + at, len, uid);
		if (((len + 3) & ~3u) > n - at)
			break;
	}
	return n;
}

/* The waiting datagram into out + off, count bytes at most (the rest
 * is lost, as a datagram's): the bytes, -EAGAIN when none waits; it
 * stays with MSG_PEEK. */
static long nl_read(struct nl *s, size_t off, size_t count, uint64_t flags)
{
	size_t n = s->len < count ? s->len : count;

	if (!s->len)
		return -EAGAIN;
	memcpy(out + off, s->buf, n);
	if (!(flags & MSG_PEEK))
		s->len = 0;
	return n;
}

/* The sockaddr_nl of pid at a (ADDR_LEN bytes). */
static void nl_addr(char *a, uint32_t pid)
{
	uint16_t fam = AF_NETLINK;

	memset(a, 0, ADDR_LEN);
	memcpy(a, &fam, 2);
	memcpy(a + 4, &pid, 4);
}

/* IOCTL cmd on s with n bytes of input at in: reply's result, payload
 * into out (*len bytes). */
static long nl_ioctl(struct nl *s, const struct lux_req *q, const char *in,
		     size_t n, size_t *len)
{
	uint64_t want;
	int v = SOCK_RAW;
	long r;

	switch (q->count) {
	case LUX_INET_BIND:    /* any nl_pid: one socket per process here */
	case LUX_INET_CONNECT: /* to the kernel: the server */
		return n < 2 || in[0] != AF_NETLINK || in[1] ? -EINVAL : 0;
	case LUX_INET_NAME:
		nl_addr(out, q->off ? 0 : s->pid);
		*len = ADDR_LEN;
		return 0;
	case LUX_INET_SEND:
		return n < ADDR_LEN
			   ? -EINVAL
			   : nl_write(s, in + ADDR_LEN, n - ADDR_LEN, q->uid);
	case LUX_INET_RECV:
		if (n < 8)
			return -EINVAL;
		memcpy(&want, in, 8);
		want = want < NL_ROOM ? want : NL_ROOM;
		nl_addr(out, 0);
		r = nl_read(s, ADDR_LEN, want, q->off);
		*len = ADDR_LEN + (r < 0 ? 0 : r);
		return r;
	case LUX_INET_GETOPT:
		if (q->off != ((uint64_t)1 << 32 | 3)) /* SO_TYPE */
			return -ENOPROTOOPT;
		memcpy(out, &v, 4);
		*len = 4;
		return 4;
	case LUX_INET_SETOPT:
		return 0; /* buffer sizes and the like: nothing to set */
	}
	return -ENOTTY;
}

bool nl_open(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	struct lux_rep r = {.mode = LUX_S_IFSOCK | 0777};
	struct nl *s = NULL;

	if (!path || strcmp(path, "netlink"))
		return false;
	for (int i = 0; i < NL_MAX && !s; i++)
		if (!nls[i].handle)
			s = &nls[i];
	if (!s)
		r.result = -ENFILE;
	else {
		s->handle = r.handle = NL_HANDLE | next_nl++;
		s->pid = m->req.pid;
		s->len = 0;
		r.events = LUX_POLLOUT;
	}
	lux_reply_full(LUX_SERVER_FD, &m->req, &r, NULL, 0);
	return true;
}

bool nl_serve(const struct lux_msg *m, size_t n)
{
	const struct lux_req *q = &m->req;
	struct nl *s = NULL;
	size_t len = 0;
	long r = -EINVAL;

	if (!(q->handle & NL_HANDLE) || (q->handle & (1ull << 63)))
		return false;
	for (int i = 0; i < NL_MAX && !s; i++)
		if (nls[i].handle == q->handle)
			s = &nls[i];
	if (q->op == LUX_CANCEL || (!s && q->op == LUX_CLOSE))
		return true;
	if (!s)
		r = -EBADF;
	else if (q->op == LUX_CLOSE) {
		s->handle = 0;
		return true;
	} else if (q->op == LUX_WRITE)
		r = nl_write(s, m->data, n, q->uid);
	else if (q->op == LUX_READ) {
		r = nl_read(s, 0, q->count < NL_ROOM ? q->count : NL_ROOM, 0);
		len = r < 0 ? 0 : (size_t)r;
	} else if (q->op == LUX_IOCTL)
		r = nl_ioctl(s, q, m->data, n, &len);
	else if (q->op == LUX_STAT) {
		struct lux_stat st = {.ino = q->handle & ~NL_HANDLE,
				      .nlink = 1,
				      .blksize = 4096,
				      .mode = LUX_S_IFSOCK | 0777};
		memcpy(out, &st, sizeof(st));
		len = sizeof(st);
		r = 0;
	}
	lux_reply(LUX_SERVER_FD, q, r, out, len);
	if (s && s->handle)
		lux_notify(LUX_SERVER_FD, s->handle,
			   LUX_POLLOUT | (s->len ? LUX_POLLIN : 0));
	return true;
}
