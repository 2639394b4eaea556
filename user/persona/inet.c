/*
 * inet.c - the Linux socket calls for AF_INET, served by the TCP/IP
 * server (user/net/, mounted at /run/inet;
 * docs/decisions/0029-inet-sockets.md). socket() opens /run/inet/tcp or
 * /run/inet/udp: the descriptor is an ordinary remote file, so read,
 * write, poll, close, dup, fork and exec need nothing here. The other
 * calls reach here when the Unix-socket path (sock.c) found no Unix
 * socket (ENOTSOCK) and become LUX_INET_* IOCTLs on the descriptor
 * (include/lux/proto.h); a descriptor whose server does not know them
 * (ENOTTY, or the kernel's EINVAL for its own objects) is no socket.
 * AF_NETLINK's NETLINK_ROUTE opens /run/inet/netlink, the server's
 * read-only routing socket (user/net/netlink.c), which answers the same
 * IOCTLs with a struct sockaddr_nl for the address.
 */
#include "path.h"
#include "persona.h"
#include <lux/fcntl.h>

#define AF_INET       2
#define AF_NETLINK    16
#define NL_LEN        12 /* sizeof(struct sockaddr_nl) */
#define SOCK_STREAM   1
#define SOCK_DGRAM    2
#define SOCK_NONBLOCK LUX_O_NONBLOCK
#define SOCK_CLOEXEC  LUX_O_CLOEXEC
#define MSG_WAITALL   0x100
#define MSG_NOSIGNAL  0x4000
#define SIGPIPE_      13
#define OPT_MAX       16 /* the longest option value: a struct timeval */
#define SIOCGIFCONF_  0x8912
#define IFREQ         40          /* sizeof(struct ifreq) */
#define IFCONF_MAX    (8 * IFREQ) /* user/net/net.h INFO_IFCONF_MAX */
#define SOL_SOCKET    1
#define SO_TYPE       3
#define ADDR_LEN      16 /* sizeof(struct sockaddr_in) */
#define DATA_MAX      LUX_INET_DATA_MAX
#define INET_DIR      "/run/inet/"
#define MAX(a, b)     ((a) > (b) ? (a) : (b))

struct inet_req {
	struct lux_req q;
	char in[ADDR_LEN + DATA_MAX];
};

struct inet_rep {
	struct lux_rep rep;
	char out[ADDR_LEN + DATA_MAX];
};

/* IOCTL cmd with argument arg and n bytes of m's input on fd's socket,
 * O_NONBLOCK as fd's or in flags; the reply into r (size bytes of
 * payload at most): its result, or -errno (ENOTSOCK: fd is no Internet
 * socket). */
static long inet_ioctl(long fd, unsigned cmd, uint64_t arg, unsigned flags,
		       struct inet_req *m, size_t n, struct inet_rep *r,
		       size_t size)
{
	long fl = (int)fd < 0 ? -EBADF : native2(NR_fcntl, fd, F_GETFL), e;

	if (fl < 0)
		return fl;
	memset(&m->q, 0, sizeof(m->q));
	m->q.op = LUX_IOCTL;
	m->q.len = sizeof(m->q) + n;
	m->q.flags = (fl & LUX_O_NONBLOCK) | flags;
	m->q.off = arg;
	m->q.count = cmd;
	e = persona_syscall(LUX_NR_REQUEST, LUX_REQ_FD((int)fd), 0, (long)m,
			    (long)r, sizeof(r->rep) + size, 0);
	if (e == -EIO || (!e && r->rep.result == -EIO))
		return -ECONNRESET; /* the TCP/IP server died */
	if (e < 0)
		return e == -EINVAL ? -ENOTSOCK : e;
	return r->rep.result == -ENOTTY ? -ENOTSOCK : r->rep.result;
}

/* A simple IOCTL: no input, at most size bytes of output into r. */
static long inet_simple(long fd, unsigned cmd, uint64_t arg, struct inet_rep *r,
			size_t size)
{
	struct lux_req q[2]; /* a request with no payload */
	struct lux_rep own[2];

	return inet_ioctl(fd, cmd, arg, 0, (struct inet_req *)q, 0,
			  r ? r : (struct inet_rep *)own, size);
}

/* err, found before the server saw the call, unless fd is no Internet
 * socket: then that, which Linux checks first. */
static long inet_first(long fd, long err)
{
	struct inet_rep r;
	long e = inet_simple(fd, LUX_INET_NAME, 0, &r, ADDR_LEN);

	return e < 0 ? e : err;
}

/* The node of /run/inet for a socket of domain, type t and protocol, or
 * NULL with *err set. NETLINK_ROUTE (0) is the only netlink protocol
 * served, a SOCK_RAW or SOCK_DGRAM one. */
static const char *inet_node(long domain, int t, long protocol, long *err)
{
	*err = 0;
	if (domain == AF_NETLINK && t != 3 && t != SOCK_DGRAM)
		*err = -ESOCKTNOSUPPORT;
	else if (domain == AF_NETLINK && protocol)
		*err = -EPROTONOSUPPORT;
	else if (domain == AF_NETLINK)
		return INET_DIR "netlink";
	else if (domain != AF_INET)
		*err = -EAFNOSUPPORT;
	else if (t != SOCK_STREAM && t != SOCK_DGRAM)
		*err = t > 0 && t <= 10 ? -ESOCKTNOSUPPORT : -EINVAL;
	else if (protocol && protocol != (t == SOCK_STREAM ? 6 : 17))
		*err = -EPROTONOSUPPORT;
	else
		return t == SOCK_STREAM ? INET_DIR "tcp" : INET_DIR "udp";
	return NULL;
}

long inet_socket(long domain, long type, long protocol)
{
	int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct walk w;
	long r;
	const char *node = inet_node(domain, t, protocol, &r);

	if (!node)
		return r;
	walk_init(&w, LUX_OPEN);
	if ((r = walk_set(&w, 0, AT_FDCWD, node)))
		return r;
	w.q.flags = LUX_O_RDWR | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC));
	r = walk_run(&w);
	return r == -ENOENT ? -EAFNOSUPPORT : r; /* no TCP/IP server */
}

/* bind or connect (cmd) to the sockaddr_in of len bytes at uaddr. */
static long inet_to(long fd, unsigned cmd, long uaddr, long len)
{
	struct inet_req m;
	struct inet_rep r;
	uint16_t fam = 0;

	if (len < 2 || copy_in(&fam, uaddr, 2))
		fam = 0; /* EINVAL or EFAULT below */
	if (len < (fam == AF_NETLINK ? NL_LEN : ADDR_LEN) || len > 128)
		return inet_first(fd, -EINVAL);
	memset(m.in, 0, ADDR_LEN);
	if (copy_in(m.in, uaddr, MIN(len, ADDR_LEN)))
		return inet_first(fd, -EFAULT);
	return inet_ioctl(fd, cmd, 0, 0, &m, ADDR_LEN, &r, 0);
}

/* The length of the address a (16 bytes): a sockaddr_in's, or a
 * sockaddr_nl's. */
static int addr_len(const char *a)
{
	return a[0] == AF_NETLINK && !a[1] ? NL_LEN : ADDR_LEN;
}

/* Put the address a (16 bytes) at uaddr and its length at ulen (in: the
 * room), as getsockname does: 0 or -errno. */
static long addr_out(const char *a, long uaddr, long ulen)
{
	int len, n = addr_len(a);

	if (!ulen)
		return 0;
	if (copy_in(&len, ulen, 4))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (copy_out(uaddr, a, MIN(len, n)))
		return -EFAULT;
	return copy_out(ulen, &n, 4) ? -EFAULT : 0;
}

/* Open connection token's descriptor (accept4's flags). */
static long inet_take(uint64_t token, long flags)
{
	static const char hex[] = "0123456789abcdef";
	char name[sizeof(INET_DIR "accept/") + 16];
	size_t k = sizeof(INET_DIR "accept/") - 1;
	struct walk w;
	long r;

	memcpy(name, INET_DIR "accept/", k);
	for (int i = 15; i >= 0; i--)
		name[k + 15 - i] = hex[(token >> (4 * i)) & 15];
	name[k + 16] = '\0';
	walk_init(&w, LUX_OPEN);
	if ((r = walk_set(&w, 0, AT_FDCWD, name)))
		return r;
	w.q.flags = LUX_O_RDWR | flags;
	return walk_run(&w);
}

static long inet_accept(long fd, long uaddr, long ulen, long flags)
{
	struct inet_rep r;
	struct lux_inet_accept a;
	long e, nfd;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return inet_first(fd, -EINVAL);
	if ((e = inet_simple(fd, LUX_INET_ACCEPT, 0, &r, sizeof(a))) < 0)
		return e;
	memcpy(&a, r.out, sizeof(a));
	if ((nfd = inet_take(a.token, flags)) < 0)
		return nfd;
	if (uaddr && (e = addr_out((char *)a.peer, uaddr, ulen))) {
		native1(NR_close, nfd); /* lost, as on Linux */
		return e;
	}
	return nfd;
}

static long inet_name(long fd, int peer, long uaddr, long ulen)
{
	struct inet_rep r;
	long e = inet_simple(fd, LUX_INET_NAME, peer, &r, ADDR_LEN);

	return e < 0 ? e : addr_out(r.out, uaddr, ulen);
}

static uint64_t opt_arg(long level, long opt)
{
	return (uint64_t)(uint32_t)level << 32 | (uint32_t)opt;
}

static long inet_getopt(long fd, long level, long opt, long uval, long ulen)
{
	struct inet_rep r;
	long e =
	    inet_simple(fd, LUX_INET_GETOPT, opt_arg(level, opt), &r, OPT_MAX);
	int len;

	if (e < 0)
		return e;
	if (copy_in(&len, ulen, 4))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = MIN(len, MIN(e, OPT_MAX));
	return copy_out(uval, r.out, len) || copy_out(ulen, &len, 4) ? -EFAULT
								     : 0;
}

static long inet_setopt(long fd, long level, long opt, long uval, long len)
{
	struct inet_req m;
	struct inet_rep r;

	if (len < 4)
		return inet_first(fd, -EINVAL);
	len = MIN(len, OPT_MAX);
	if (copy_in(m.in, uval, len))
		return inet_first(fd, -EFAULT);
	return inet_ioctl(fd, LUX_INET_SETOPT, opt_arg(level, opt), 0, &m, len,
			  &r, 0);
}

/* Whether fd is a stream socket: 1, 0, or -errno. */
static long is_stream(long fd)
{
	struct inet_rep r;
	long e = inet_simple(fd, LUX_INET_GETOPT, opt_arg(SOL_SOCKET, SO_TYPE),
			     &r, 4);
	int type;

	if (e < 0)
		return e;
	memcpy(&type, r.out, 4);
	return type == SOCK_STREAM;
}

/* Copy len bytes from offset off of what the n iovecs at iov hold into
 * buf: 0 or -EFAULT. */
static long iov_gather(char *buf, const struct iov *iov, long n, long off,
		       long len)
{
	for (long i = 0; i < n && len > 0; i++) {
		if (off >= iov[i].len) {
			off -= iov[i].len;
			continue;
		}
		long k = MIN(iov[i].len - off, len);
		if (copy_in(buf, iov[i].base + off, k))
			return -EFAULT;
		buf += k;
		len -= k;
		off = 0;
	}
	return 0;
}

/* Send what the n iovecs at iov hold to the address at uaddr (alen
 * bytes; none without uaddr): a stream's in SENDs of DATA_MAX bytes
 * at most, each answered with what fit once something did, until all
 * is sent (non-blocking: until EAGAIN; a signal: what went), a
 * datagram in one SEND
 * (EMSGSIZE past DATA_MAX). EPIPE raises SIGPIPE unless MSG_NOSIGNAL,
 * as Linux's. The bytes sent or -errno. */
static long inet_sendv(long fd, const struct iov *iov, long n, long flags,
		       long uaddr, long alen)
{
	struct inet_req m;
	struct inet_rep r;
	long total = 0, done = 0, e = 0, stream = 0;

	for (long k = 0; k < n; k++)
		total += iov[k].len;
	memset(m.in, 0, ADDR_LEN);
	if (uaddr && alen < ADDR_LEN)
		return inet_first(fd, -EINVAL);
	if (uaddr && copy_in(m.in, uaddr, ADDR_LEN))
		return inet_first(fd, -EFAULT);
	if (total > DATA_MAX && (stream = is_stream(fd)) <= 0)
		return stream < 0 ? stream : -EMSGSIZE;
	do { /* a short count: what fit; non-blocking: until EAGAIN */
		long len = MIN(total - done, DATA_MAX);
		if (iov_gather(m.in + ADDR_LEN, iov, n, done, len))
			return done ? done : inet_first(fd, -EFAULT);
		e = inet_ioctl(fd, LUX_INET_SEND, (uint32_t)flags, 0, &m,
			       ADDR_LEN + len, &r, 0);
		if (e > 0)
			done += e;
	} while (e > 0 && done < total);
	if (e == -EPIPE && !(flags & MSG_NOSIGNAL))
		native3(NR_tgkill, native0(NR_getpid), native0(NR_gettid),
			SIGPIPE_);
	return done ? done : e;
}

static long inet_sendto(long fd, long ubuf, long len, long flags, long uaddr,
			long alen)
{
	struct iov v = {ubuf, len};

	if (!uaddr && !flags) /* the kernel raises SIGPIPE */
		return native3(NR_write, fd, ubuf, len);
	if (len < 0)
		return inet_first(fd, -EINVAL);
	return inet_sendv(fd, &v, 1, flags, uaddr, alen);
}

/* RECV at most len bytes (DATA_MAX) into r: the bytes, or -errno. */
static long inet_recv(long fd, long len, long flags, struct inet_rep *r)
{
	struct inet_req m;
	uint64_t want = len < 0 ? DATA_MAX : MIN(len, DATA_MAX);

	memcpy(m.in, &want, 8);
	return inet_ioctl(fd, LUX_INET_RECV, (uint32_t)flags, 0, &m, 8, r,
			  ADDR_LEN + want);
}

/* read into the n iovecs at iov (no other flag than MSG_WAITALL): one
 * read for one iovec, with MSG_WAITALL on a stream reads until all are
 * full, the end, an error or a signal (then what came), as Linux's. */
static long inet_readv(long fd, const struct iov *iov, long n, long flags)
{
	long done = 0, e = 0, stream = -1;

	for (long i = 0; i < n; i++)
		for (long at = 0; at < iov[i].len; at += e, done += e) {
			e = native3(NR_read, fd, iov[i].base + at,
				    iov[i].len - at);
			if (e <= 0 || !(flags & MSG_WAITALL) ||
			    (e < iov[i].len - at && stream < 0 &&
			     (stream = is_stream(fd)) <= 0))
				return e < 0 && !done ? e : done + MAX(e, 0);
		}
	return done;
}

static long inet_recvfrom(long fd, long ubuf, long len, long flags, long uaddr,
			  long ulen)
{
	struct inet_rep r;
	struct iov v = {ubuf, len};
	long n;

	if (!uaddr && !flags)
		return native3(NR_read, fd, ubuf, len);
	if (!uaddr && flags == MSG_WAITALL && len >= 0)
		return inet_readv(fd, &v, 1, flags);
	if ((n = inet_recv(fd, len, flags, &r)) < 0)
		return n;
	if (copy_out(ubuf, r.out + ADDR_LEN, MIN(n, len)))
		return -EFAULT;
	return uaddr && addr_out(r.out, uaddr, ulen) ? -EFAULT : n;
}

static long inet_sendmsg(long fd, long umsg, long flags)
{
	struct msghdr h;
	struct iov iov[IOV_MAX];
	long e = copy_in(&h, umsg, sizeof(h)) ? -EFAULT : 0;

	if (!e)
		e = sock_iov_in(iov, &h);
	if (e)
		return inet_first(fd, e);
	if (!h.name && !flags)
		return native3(NR_writev, fd, h.iov, h.iovlen);
	return inet_sendv(fd, iov, h.iovlen, flags, h.name, h.namelen);
}

static long inet_recvmsg(long fd, long umsg, long flags)
{
	struct msghdr h;
	struct iov iov[IOV_MAX];
	struct inet_rep r;
	long room = 0, n, done = 0, zero = 0;
	long e = copy_in(&h, umsg, sizeof(h)) ? -EFAULT : 0;

	if (!e)
		e = sock_iov_in(iov, &h);
	if (e)
		return inet_first(fd, e);
	if (!h.name && (flags == MSG_WAITALL || (!flags && h.iovlen == 1))) {
		n = inet_readv(fd, iov, h.iovlen, flags);
		if (n >= 0 && (copy_out(umsg + 8, &zero, 4) ||
			       copy_out(umsg + 40, &zero, 8) ||
			       copy_out(umsg + 48, &zero, 4)))
			return -EFAULT;
		return n;
	}
	for (long i = 0; i < h.iovlen; i++)
		room += iov[i].len;
	if ((n = inet_recv(fd, room, flags, &r)) < 0)
		return n;
	for (long i = 0; i < h.iovlen && done < n; i++) {
		long k = MIN(iov[i].len, n - done);
		if (copy_out(iov[i].base, r.out + ADDR_LEN + done, k))
			return -EFAULT;
		done += k;
	}
	int namelen = h.name ? MIN(MAX(h.namelen, 0), addr_len(r.out)) : 0;
	if ((h.name && copy_out(h.name, r.out, namelen)) ||
	    copy_out(umsg + 8, &namelen, 4) || copy_out(umsg + 40, &zero, 8) ||
	    copy_out(umsg + 48, &zero, 4))
		return -EFAULT;
	return n;
}

/* SIOCGIFCONF on fd (struct ifconf at arg): the ifreqs of the
 * interfaces with an address, as many as ifc_len bytes hold (none with
 * a NULL ifc_buf: ifc_len then says how many bytes all need). */
long inet_ifconf(long fd, long arg)
{
	struct inet_rep r;
	struct {
		int len, pad;
		long buf;
	} c;
	long n;

	if (copy_in(&c, arg, sizeof(c)))
		return inet_first(fd, -EFAULT);
	if ((n = inet_simple(fd, SIOCGIFCONF_, 0, &r, IFCONF_MAX)) < 0)
		return n == -ENOTSOCK ? -ENOTTY : n;
	if (c.buf) {
		n = MIN(n, c.len < 0 ? 0 : c.len / IFREQ * IFREQ);
		if (copy_out(c.buf, r.out, n))
			return -EFAULT;
	}
	c.len = (int)n;
	return copy_out(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

long inet_or(long nr, const long a[6], long r)
{
	if (r != -ENOTSOCK)
		return r;
	switch (nr) {
	case NR_bind:
		return inet_to(a[0], LUX_INET_BIND, a[1], a[2]);
	case NR_connect:
		return inet_to(a[0], LUX_INET_CONNECT, a[1], a[2]);
	case NR_listen:
		return inet_simple(a[0], LUX_INET_LISTEN, (uint32_t)a[1], NULL,
				   0);
	case NR_shutdown:
		return inet_simple(a[0], LUX_INET_SHUTDOWN, (int)a[1], NULL, 0);
	case NR_accept:
		return inet_accept(a[0], a[1], a[2], 0);
	case NR_accept4:
		return inet_accept(a[0], a[1], a[2], a[3]);
	case NR_getsockname:
	case NR_getpeername:
		return inet_name(a[0], nr == NR_getpeername, a[1], a[2]);
	case NR_getsockopt:
		return inet_getopt(a[0], a[1], a[2], a[3], a[4]);
	case NR_setsockopt:
		return inet_setopt(a[0], a[1], a[2], a[3], a[4]);
	case NR_sendto:
		return inet_sendto(a[0], a[1], a[2], a[3], a[4], a[5]);
	case NR_recvfrom:
		return inet_recvfrom(a[0], a[1], a[2], a[3], a[4], a[5]);
	case NR_sendmsg:
		return inet_sendmsg(a[0], a[1], a[2]);
	case NR_recvmsg:
		return inet_recvmsg(a[0], a[1], a[2]);
	}
	return r;
}
