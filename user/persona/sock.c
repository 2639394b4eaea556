/*
 * sock.c - the Linux Unix-socket calls (socket, socketpair, bind, connect,
 * accept, accept4, getsockname, getpeername, getsockopt, setsockopt,
 * sendto, recvfrom, sendmsg, recvmsg) over the kernel's socket objects
 * and its two native calls, LUX_NR_SOCKET and LUX_NR_SOCKMSG
 * (include/lux/proto.h, docs/decisions/0021-socket-names.md). Addresses,
 * msghdr, control messages and options are handled here. A path name is
 * the path calls' business (path.c): bind makes the socket file (MKNOD),
 * and the kernel learns the name's key from a descriptor of that file,
 * opened here with O_PATH for the one call. listen, shutdown, read and
 * write stay the kernel's. Results and errors are those the kernel's own
 * calls gave, their order included: the socket descriptor is checked
 * first.
 */
#include "persona.h"
#include "path.h"

#define AF_UNIX       1
#define SOCK_STREAM   1
#define SOCK_DGRAM    2
#define SOCK_SEQPACK  5
#define SOCK_NONBLOCK LUX_O_NONBLOCK
#define SOCK_CLOEXEC  LUX_O_CLOEXEC
#define SOL_SOCKET    1
#define SCM_RIGHTS    1
#define SO_TYPE       3
#define SO_ERROR      4
#define SO_SNDBUF     7
#define SO_RCVBUF     8
#define SO_PEERCRED   17
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL   38
#define SO_DOMAIN     39
#define ADDR_MAX      110 /* sizeof(struct sockaddr_un) */
#define FDS_MAX       253 /* descriptors in one SCM_RIGHTS message */
#define BUF_MAX       (4L << 20)
#define MAX(a, b)     ((a) > (b) ? (a) : (b))

struct cmsg {
	uint64_t len;
	int level, type;
};

/* A program's sockaddr_un, and for a path name the descriptor of its
 * socket file (opened here; -1 none). */
struct sockname {
	char b[ADDR_MAX];
	long len;
	long fd;
};

static long sockctl(long op, long a, long b, long c, long d)
{
	return persona_syscall(LUX_NR_SOCKET, op, a, b, c, d, 0);
}

static long sockmsg(long fd, int recv, struct lux_sockmsg *m, long flags)
{
	return native4(LUX_NR_SOCKMSG, fd, recv, m, flags);
}

static long sockinfo(long fd, struct lux_sockinfo *i, int take_error)
{
	return sockctl(LUX_SOCK_INFO, fd, (long)i, take_error, 0);
}

/* err, an error found before the kernel saw the call, unless fd is no
 * socket: then that, which the kernel's calls checked first. */
static long fd_first(long fd, long err)
{
	struct lux_sockinfo i;
	long r = err < 0 ? sockinfo(fd, &i, 0) : 0;

	return r < 0 ? r : err;
}

/* Copy in the sockaddr_un of len bytes at uaddr: 0 or -errno. */
static long name_in(struct sockname *n, long uaddr, long len)
{
	uint16_t family;

	n->fd = -1;
	n->len = len;
	if (len <= 2 || len > ADDR_MAX)
		return -EINVAL;
	if (copy_in(n->b, uaddr, len))
		return -EFAULT;
	memcpy(&family, n->b, 2);
	return family == AF_UNIX ? 0 : -EINVAL;
}

/* Start w, a request of op on n's path name (sun_path up to its first
 * NUL, relative to the current directory): 0 or -errno. */
static long name_walk(struct walk *w, unsigned op, const struct sockname *n)
{
	char path[ADDR_MAX];

	memcpy(path, n->b + 2, n->len - 2);
	path[n->len - 2] = '\0';
	walk_init(w, op);
	return walk_user(w, 0, AT_FDCWD, path);
}

/* Open n's socket file (a path name; an abstract one has none) for the
 * kernel's key: O_PATH, so the server checks only that the caller may
 * reach it. 0 or -errno (ENOENT, EACCES, ...). */
static long name_open(struct sockname *n)
{
	struct walk w;
	long r;

	if (!n->b[2] || (r = name_walk(&w, LUX_OPEN, n)))
		return n->b[2] ? r : 0;
	w.q.flags = LUX_O_PATH | LUX_O_CLOEXEC;
	if ((r = walk_run(&w)) >= 0)
		n->fd = r;
	return r < 0 ? r : 0;
}

/* Make n's socket file, mode 0777 less the umask (the kernel clears
 * its bits): 0, EADDRINUSE if the name exists, or -errno. */
static long name_make(const struct sockname *n)
{
	struct walk w;
	long r = name_walk(&w, LUX_MKNOD, n);

	w.q.mode = LUX_S_IFSOCK | 0777;
	if (!r)
		r = walk_run(&w);
	return r == -EEXIST ? -EADDRINUSE : r < 0 ? r : 0;
}

/* Close n's descriptor after the kernel's call on socket fd gave r: if
 * the open took fd's own number, fd was not open (EBADF, not ENOTSOCK). */
static long name_done(const struct sockname *n, long fd, long r)
{
	if (n->fd < 0)
		return r;
	native1(NR_close, n->fd);
	return r == -ENOTSOCK && (int)fd == n->fd ? -EBADF : r;
}

/* Put n bytes of name (0: unnamed, its family alone) at uaddr and its
 * length at ulen (in: the room), as getsockname does: 0 or -errno. */
static long name_out(const char *name, int n, long uaddr, long ulen)
{
	static const uint16_t family = AF_UNIX;
	int len;

	if (!ulen)
		return 0;
	if (copy_in(&len, ulen, 4))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (copy_out(uaddr, n ? (const void *)name : &family,
		     MIN(len, n ? n : 2)))
		return -EFAULT;
	n = MAX(n, 2);
	return copy_out(ulen, &n, 4);
}

static bool valid_type(long type)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	return type == SOCK_STREAM || type == SOCK_DGRAM ||
	       type == SOCK_SEQPACK;
}

long sock_socket(long domain, long type, long protocol)
{
	int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (domain != AF_UNIX)
		return inet_socket(domain, type, protocol);
	if (t == 3) { /* SOCK_RAW is a datagram socket here, as on Linux */
		type = (type & ~t) | SOCK_DGRAM;
		t = SOCK_DGRAM;
	}
	if (t == 4) /* SOCK_RDM */
		return -ESOCKTNOSUPPORT;
	if (!valid_type(type))
		return -EINVAL;
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	return sockctl(LUX_SOCK_NEW, type, 0, 0, 0);
}

long sock_socketpair(long domain, long type, long protocol, long ufds)
{
	if (domain != AF_UNIX)
		return -EAFNOSUPPORT;
	if (!valid_type(type) || protocol)
		return -EINVAL;
	return ufds ? sockctl(LUX_SOCK_NEW, type, ufds, 0, 0) : -EFAULT;
}

long sock_bind(long fd, long uaddr, long len)
{
	struct lux_sockinfo i;
	struct sockname n = {.fd = -1};
	long r = sockinfo(fd, &i, 0);

	if (!r && i.namelen)
		r = -EINVAL;
	if (!r)
		r = name_in(&n, uaddr, len);
	if (!r && n.b[2] && !(r = name_make(&n)))
		r = name_open(&n);
	if (!r)
		r = sockctl(LUX_SOCK_BIND, fd, (long)n.b, n.len, n.fd);
	return name_done(&n, fd, r);
}

long sock_listen(long fd, long backlog)
{
	return sockctl(LUX_SOCK_LISTEN, fd, backlog, 0, 0);
}

long sock_shutdown(long fd, long how)
{
	return sockctl(LUX_SOCK_SHUTDOWN, fd, how, 0, 0);
}

long sock_connect(long fd, long uaddr, long len)
{
	struct sockname n;
	long r = name_in(&n, uaddr, len);

	if (!r)
		r = name_open(&n);
	if (r)
		return fd_first(fd, r);
	r = sockctl(LUX_SOCK_CONNECT, fd, (long)n.b, n.len, n.fd);
	return name_done(&n, fd, r);
}

long sock_accept4(long fd, long uaddr, long ulen, long flags)
{
	struct lux_sockinfo i;
	long r = sockctl(LUX_SOCK_ACCEPT, fd, flags, 0, 0), e;

	if (r < 0 || !ulen)
		return r;
	if (!(e = sockinfo(r, &i, 0))) /* the peer may be gone: unnamed */
		e = name_out(i.peer, MAX(i.peerlen, 0), uaddr, ulen);
	if (e) /* the connection is lost, as on Linux */
		native1(NR_close, r);
	return e ? e : r;
}

long sock_getsockname(long fd, long uaddr, long ulen)
{
	struct lux_sockinfo i;
	long r = sockinfo(fd, &i, 0);

	return r ? r : name_out(i.name, i.namelen, uaddr, ulen);
}

long sock_getpeername(long fd, long uaddr, long ulen)
{
	struct lux_sockinfo i;
	long r = sockinfo(fd, &i, 0);

	if (!r && i.peerlen < 0)
		r = -ENOTCONN;
	return r ? r : name_out(i.peer, i.peerlen, uaddr, ulen);
}

/* Option opt's value of a socket whose state is i into v: its bytes, or
 * -ENOPROTOOPT. */
static int option(const struct lux_sockinfo *i, long opt, int v[3])
{
	switch (opt) {
	case SO_TYPE:
		return v[0] = i->type, 4;
	case SO_ERROR:
		return v[0] = i->error, 4;
	case SO_DOMAIN:
		return v[0] = AF_UNIX, 4;
	case SO_PROTOCOL:
		return v[0] = 0, 4;
	case SO_ACCEPTCONN:
		return v[0] = i->listening, 4;
	case SO_SNDBUF:
		return v[0] = i->sndbuf, 4;
	case SO_RCVBUF:
		return v[0] = i->rcvbuf, 4;
	case SO_PEERCRED:
		memcpy(v, i->peer_cred, 12);
		return 12;
	}
	return -ENOPROTOOPT;
}

long sock_getsockopt(long fd, long level, long opt, long uval, long ulen)
{
	struct lux_sockinfo i;
	int v[3] = {0, 0, 0}, len, n;
	long r = sockinfo(fd, &i, level == SOL_SOCKET && opt == SO_ERROR);

	if (r)
		return r;
	if ((n = level == SOL_SOCKET ? option(&i, opt, v) : -ENOPROTOOPT) < 0)
		return n;
	if (copy_in(&len, ulen, 4))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = MIN(len, n);
	return copy_out(uval, v, len) || copy_out(ulen, &len, 4) ? -EFAULT : 0;
}

long sock_setsockopt(long fd, long level, long opt, long uval, long len)
{
	struct lux_sockinfo i;
	int v;
	long r = sockinfo(fd, &i, 0);

	if (r)
		return r;
	if (level != SOL_SOCKET || (opt != SO_SNDBUF && opt != SO_RCVBUF))
		return -ENOPROTOOPT;
	if (len < 4)
		return -EINVAL;
	if (copy_in(&v, uval, 4))
		return -EFAULT;
	/* Linux doubles the value and keeps it within bounds */
	long b = MAX(4608, MIN((long)MAX(v, 0) * 2, BUF_MAX));
	return sockctl(LUX_SOCK_SETBUF, fd, opt == SO_RCVBUF, b, 0);
}

long sock_iov_in(struct iov *iov, const struct msghdr *h)
{
	if (h->iovlen < 0 || h->iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (copy_in(iov, h->iov, h->iovlen * sizeof(*iov)))
		return -EFAULT;
	for (long i = 0; i < h->iovlen; i++)
		if (iov[i].len < 0)
			return -EINVAL;
	return 0;
}

/* The descriptors of h's SCM_RIGHTS message (the first control message;
 * none without one) into fds[], how many into *n: 0 or -errno. */
static long rights_in(const struct msghdr *h, int fds[FDS_MAX], uint32_t *n)
{
	struct cmsg c;

	*n = 0;
	if (!h->controllen)
		return 0;
	if (h->controllen < 16 || copy_in(&c, h->control, 16))
		return h->controllen < 16 ? -EINVAL : -EFAULT;
	if (c.level != SOL_SOCKET || c.type != SCM_RIGHTS || c.len < 16 ||
	    c.len > (uint64_t)h->controllen || (c.len - 16) / 4 > FDS_MAX)
		return -EINVAL;
	*n = (c.len - 16) / 4;
	return copy_in(fds, h->control + 16, *n * 4) ? -EFAULT : 0;
}

/* Send one message of m from fd to the name uaddr (alen bytes; none
 * without uaddr): the kernel's result. */
static long send_to(long fd, struct lux_sockmsg *m, long flags, long uaddr,
		    long alen)
{
	struct sockname n = {.fd = -1};
	long r = uaddr ? name_in(&n, uaddr, alen) : 0;

	if (!r)
		r = name_open(&n);
	if (r)
		return fd_first(fd, r);
	m->name = uaddr ? (uint64_t)n.b : 0;
	m->namelen = uaddr ? n.len : 0;
	m->namefd = n.fd;
	return name_done(&n, fd, sockmsg(fd, 0, m, flags));
}

/* A length as one iovec holds it: sendto and recvfrom take a size_t, which
 * the kernel took whole (an iovec's must not be negative). */
static long one_len(long len)
{
	return len < 0 ? __LONG_MAX__ : len;
}

long sock_sendto(long fd, long ubuf, long len, long flags, long uaddr,
		 long alen)
{
	struct iov v = {ubuf, one_len(len)};
	struct lux_sockmsg m = {.iov = (uint64_t)&v, .iovlen = 1};

	return send_to(fd, &m, flags, uaddr, alen);
}

long sock_recvfrom(long fd, long ubuf, long len, long flags, long uaddr,
		   long ulen)
{
	struct iov v = {ubuf, one_len(len)};
	char from[ADDR_MAX];
	struct lux_sockmsg m = {
	    .iov = (uint64_t)&v, .iovlen = 1, .name = (uint64_t)from};
	long r = sockmsg(fd, 1, &m, flags);

	if (r >= 0 && uaddr && ulen && name_out(from, m.namelen, uaddr, ulen))
		r = -EFAULT;
	return r;
}

long sock_sendmsg(long fd, long umsg, long flags)
{
	struct msghdr h;
	struct iov iov[IOV_MAX];
	int fds[FDS_MAX];
	struct lux_sockmsg m = {.iov = (uint64_t)iov, .fds = (uint64_t)fds};
	long r = copy_in(&h, umsg, sizeof(h));

	if (!r)
		r = sock_iov_in(iov, &h);
	m.iovlen = r ? 0 : h.iovlen;
	if (!r)
		r = rights_in(&h, fds, &m.nfds);
	if (r)
		return fd_first(fd, r);
	return send_to(fd, &m, flags, h.name, h.namelen);
}

long sock_recvmsg(long fd, long umsg, long flags)
{
	struct msghdr h;
	struct iov iov[IOV_MAX];
	int fds[FDS_MAX];
	char from[ADDR_MAX];
	struct lux_sockmsg m = {
	    .iov = (uint64_t)iov, .fds = (uint64_t)fds, .name = (uint64_t)from};
	long r = copy_in(&h, umsg, sizeof(h)), ctl = 0;

	if (!r)
		r = sock_iov_in(iov, &h);
	if (r)
		return fd_first(fd, r);
	m.iovlen = h.iovlen;
	m.nfds = (size_t)h.controllen < 16
		     ? 0
		     : MIN(((size_t)h.controllen - 16) / 4, FDS_MAX);
	if ((r = sockmsg(fd, 1, &m, flags)) < 0)
		return r;
	if (m.nfds) { /* one SCM_RIGHTS message */
		struct cmsg c = {16 + 4 * m.nfds, SOL_SOCKET, SCM_RIGHTS};
		ctl = copy_out(h.control, &c, 16) ||
			      copy_out(h.control + 16, fds, 4 * m.nfds)
			  ? -EFAULT
			  : (long)c.len;
	}
	int namelen = MIN((unsigned)h.namelen, m.namelen);
	if ((h.name && copy_out(h.name, from, namelen)) ||
	    copy_out(umsg + 8, &namelen, 4) || copy_out(umsg + 40, &ctl, 8) ||
	    copy_out(umsg + 48, &m.flags, 4))
		r = -EFAULT;
	return r;
}
