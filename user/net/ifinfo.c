/*
 * ifinfo.c - net: the interfaces' state as Linux shows it, which busybox
 * ifconfig and route read (docs/network.md): the files /proc/net/dev and
 * /proc/net/route (lumen mounts the server on both, so it sees OPEN
 * "dev" and "route"), and the SIOCGIF* ioctls on any Internet socket
 * (sock.c passes them here). lwIP's loopback interface is "lo", the
 * Ethernet one "eth0".
 */
#include "net.h"
#include <errno.h>
#include <lux.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INFO_MAX    16           /* such files open at once */
#define INFO_HANDLE (1ull << 63) /* sockets' handles lack this bit */
#define IFREQ       40           /* sizeof(struct ifreq) */
#define IFNAMSIZ    16
#define IFF_UP      0x1
#define IFF_BCAST   0x2
#define IFF_LOOP    0x8
#define IFF_RUNNING 0x40
#define RTF_UP      0x1
#define RTF_GATEWAY 0x2

struct info {
	uint64_t handle; /* 0: free */
	char *text;
	size_t len;
};

static struct info infos[INFO_MAX];
static uint64_t next_info = 1;

bool if_lo(const struct netif *n)
{
	return n->name[0] == 'l' && n->name[1] == 'o';
}

/* netif n's Linux name into name (IFNAMSIZ): "lo", or "eth" and its
 * place among the others. */
void if_name(struct netif *n, char *name)
{
	struct netif *o;
	unsigned k = 0;

	memset(name, 0, IFNAMSIZ);
	NETIF_FOREACH(o)
	k += !if_lo(o) && o->num < n->num;
	if (if_lo(n))
		strcpy(name, "lo");
	else
		snprintf(name, IFNAMSIZ, "eth%u", k);
}

/* The interface named name, or NULL. */
static struct netif *if_find(const char *name)
{
	struct netif *n;
	char own[IFNAMSIZ];

	NETIF_FOREACH(n)
	{
		if_name(n, own);
		if (!strncmp(own, name, IFNAMSIZ))
			return n;
	}
	return NULL;
}

/* /proc/net/dev's text into buf (size bytes): its length. */
static size_t text_dev(char *buf, size_t size)
{
	struct netif *n;
	size_t k =
	    snprintf(buf, size,
		     "Inter-|   Receive                            "
		     "                    |  Transmit\n"
		     " face |bytes    packets errs drop fifo frame compressed "
		     "multicast|bytes    packets errs drop fifo colls carrier "
		     "compressed\n");

	NETIF_FOREACH(n)
	{
		struct link_stats st = {0};
		char name[IFNAMSIZ];
		if_name(n, name);
		if (!if_lo(n))
			link_stats(&st);
		k += snprintf(
		    buf + k, size - k,
		    "%6s: %7llu %7llu %4llu    0    0     0          "
		    "0         0 %8llu %7llu %4llu    0    0     0       "
		    "0          0\n",
		    name, (unsigned long long)st.rx_bytes,
		    (unsigned long long)st.rx_packets,
		    (unsigned long long)st.rx_errors,
		    (unsigned long long)st.tx_bytes,
		    (unsigned long long)st.tx_packets,
		    (unsigned long long)st.tx_errors);
	}
	return k;
}

/* /proc/net/route's text into buf (size bytes): its length. Each
 * Ethernet interface with an address: its network, and the default
 * route through its gateway when it has one. */
static size_t text_route(char *buf, size_t size)
{
	struct netif *n;
	size_t k = snprintf(buf, size,
			    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\t"
			    "Metric\tMask\t\tMTU\tWindow\tIRTT\n");

	NETIF_FOREACH(n)
	{
		uint32_t a = ip4_addr_get_u32(netif_ip4_addr(n)),
			 m = ip4_addr_get_u32(netif_ip4_netmask(n)),
			 g = ip4_addr_get_u32(netif_ip4_gw(n));
		char name[IFNAMSIZ];
		if (!a || !netif_is_up(n) || if_lo(n))
			continue;
		if_name(n, name);
		if (g && n == netif_default)
			k += snprintf(buf + k, size - k,
				      "%s\t00000000\t%08X\t%04X\t0\t0\t0\t"
				      "00000000\t0\t0\t0\n",
				      name, g, RTF_UP | RTF_GATEWAY);
		k += snprintf(buf + k, size - k,
			      "%s\t%08X\t00000000\t%04X\t0\t0\t0\t%08X\t0\t0\t0"
			      "\n",
			      name, a & m, RTF_UP, m);
	}
	return k;
}

bool info_open(const struct lux_msg *m)
{
	const char *path = lux_path(m, 0);
	struct lux_rep r = {.mode = LUX_S_IFREG | 0444};
	struct info *f = NULL;
	bool dev = path && !strcmp(path, "dev");

	if (!dev && (!path || strcmp(path, "route")))
		return false;
	for (int i = 0; i < INFO_MAX && !f; i++)
		if (!infos[i].handle)
			f = &infos[i];
	if ((m->req.flags & LUX_O_ACCMODE) != LUX_O_RDONLY)
		r.result = -EACCES;
	else if (!f || !(f->text = malloc(4096)))
		r.result = -ENFILE;
	else {
		f->len =
		    dev ? text_dev(f->text, 4096) : text_route(f->text, 4096);
		f->len = f->len < 4096 ? f->len : 4095;
		f->handle = r.handle = INFO_HANDLE | next_info++;
		r.events = LUX_POLLIN | LUX_POLLOUT;
	}
	lux_reply_full(LUX_SERVER_FD, &m->req, &r, NULL, 0);
	return true;
}

bool info_serve(const struct lux_msg *m)
{
	const struct lux_req *q = &m->req;
	struct info *f = NULL;

	if (!(q->handle & INFO_HANDLE))
		return false;
	for (int i = 0; i < INFO_MAX && !f; i++)
		if (infos[i].handle == q->handle)
			f = &infos[i];
	if (!f) {
		if (q->op != LUX_CLOSE && q->op != LUX_CANCEL)
			lux_reply(LUX_SERVER_FD, q, -EBADF, NULL, 0);
		return true;
	}
	if (q->op == LUX_CLOSE) {
		free(f->text);
		*f = (struct info){0};
	} else if (q->op == LUX_READ) {
		size_t at = q->off < f->len ? q->off : f->len;
		size_t n = f->len - at < q->count ? f->len - at : q->count;
		lux_reply(LUX_SERVER_FD, q, n, f->text + at, n);
	} else if (q->op == LUX_STAT) {
		struct lux_stat st = {.ino = q->handle & ~INFO_HANDLE,
				      .nlink = 1,
				      .blksize = 4096,
				      .mode = LUX_S_IFREG | 0444};
		lux_reply(LUX_SERVER_FD, q, 0, &st, sizeof(st));
	} else if (q->op != LUX_CANCEL)
		lux_reply(LUX_SERVER_FD, q,
			  q->op == LUX_IOCTL ? -ENOTTY : -EINVAL, NULL, 0);
	return true;
}

/* An address as Linux's sockaddr_in at a (16 bytes). */
static void sin_out(char *a, uint32_t addr)
{
	uint16_t fam = 2;

	memset(a, 0, 16);
	memcpy(a, &fam, 2);
	memcpy(a + 4, &addr, 4);
}

/* SIOCGIFCONF: an ifreq (name, address) per interface with an address
 * into out: the bytes. */
static long if_conf(char *out)
{
	struct netif *n;
	long k = 0;

	NETIF_FOREACH(n)
	{
		uint32_t a = ip4_addr_get_u32(netif_ip4_addr(n));
		if (!a || !netif_is_up(n) || k + IFREQ > INFO_IFCONF_MAX)
			continue;
		memset(out + k, 0, IFREQ);
		if_name(n, out + k);
		sin_out(out + k + IFNAMSIZ, a);
		k += IFREQ;
	}
	return k;
}

long info_ioctl(unsigned cmd, const char *in, size_t len, char *out)
{
	struct netif *n;
	char name[IFNAMSIZ] = "", *u = out + IFNAMSIZ;
	int v = 0;
	bool lo;

	if (cmd == SIOCGIFCONF)
		return if_conf(out);
	if (len < IFREQ)
		return -EFAULT;
	memcpy(name, in, IFNAMSIZ - 1);
	if (!(n = if_find(name)))
		return -ENODEV;
	lo = if_lo(n);
	memcpy(out, in, IFREQ);
	memset(u, 0, IFREQ - IFNAMSIZ);
	uint32_t a = ip4_addr_get_u32(netif_ip4_addr(n)),
		 m = ip4_addr_get_u32(netif_ip4_netmask(n));
	switch (cmd) {
	case 0x8913: /* SIOCGIFFLAGS */
		v = (netif_is_up(n) ? IFF_UP : 0) |
		    (lo ? IFF_LOOP : IFF_BCAST) |
		    (netif_is_up(n) && netif_is_link_up(n) ? IFF_RUNNING : 0);
		memcpy(u, &v, 2);
		return IFREQ;
	case 0x8915: /* SIOCGIFADDR */
	case 0x891b: /* SIOCGIFNETMASK */
	case 0x8919: /* SIOCGIFBRDADDR */
		if (!a)
			return -EADDRNOTAVAIL;
		sin_out(u, cmd == 0x8915   ? a
			   : cmd == 0x891b ? m
			   : lo            ? 0
					   : (a & m) | ~m);
		return IFREQ;
	case 0x8917: /* SIOCGIFDSTADDR */
		sin_out(u, 0);
		return IFREQ;
	case 0x891d: /* SIOCGIFMETRIC */
	case 0x8933: /* SIOCGIFINDEX */
	case 0x8921: /* SIOCGIFMTU */
	case 0x8942: /* SIOCGIFTXQLEN */
		v = cmd == 0x8933   ? netif_get_index(n)
		    : cmd == 0x8921 ? (lo ? 65536 : n->mtu)
		    : cmd == 0x8942 ? 1000
				    : 0;
		memcpy(u, &v, 4);
		return IFREQ;
	case 0x8927: /* SIOCGIFHWADDR: ARPHRD_ETHER or ARPHRD_LOOPBACK */
		v = lo ? 772 : 1;
		memcpy(u, &v, 2);
		memcpy(u + 2, n->hwaddr, lo ? 0 : 6);
		return IFREQ;
	case 0x8970: /* SIOCGIFMAP: no I/O map */
		return IFREQ;
	}
	return -ENOTTY;
}
