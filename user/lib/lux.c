/*
 * lux.c - native system calls and request/reply helpers for servers.
 */
#include "lux.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int lux_channel(int fds[2])
{
	return syscall(LUX_NR_CHANNEL, fds);
}

int lux_resolver(int fd)
{
	return syscall(LUX_NR_RESOLVER, fd);
}

int lux_grant(int pid, int kind, uint64_t base, uint64_t count)
{
	return syscall(LUX_NR_GRANT, pid, kind, base, count);
}

int lux_irq(int irq)
{
	return syscall(LUX_NR_IRQ, irq);
}

long lux_bootdata(uint64_t off, void *buf, size_t len)
{
	return syscall(LUX_NR_BOOTDATA, off, buf, len);
}

int lux_procinfo(int pid, struct lux_procinfo *info)
{
	return syscall(LUX_NR_PROCINFO, pid, info, 0, 0);
}

long lux_cpuinfo(int cpu, char *buf, size_t len)
{
	return syscall(LUX_NR_CPUINFO, cpu, buf, len);
}

int lux_mmio(uint64_t phys, uint64_t len)
{
	return syscall(LUX_NR_MMIO, phys, len);
}

long lux_dma(int fd, uint64_t off)
{
	return syscall(LUX_NR_DMA, fd, off);
}

int lux_hwinfo(int what, uint64_t arg, uint64_t out[2])
{
	return syscall(LUX_NR_HWINFO, what, arg, out);
}

long lux_recv(int fd, struct lux_msg *m)
{
	struct pollfd p = {fd, POLLIN, 0};
	int ms;

	/* A lease break's time running out is served with no request. */
	while ((ms = lux_lease_timeout()) >= 0 && poll(&p, 1, ms) == 0)
		;
	long n = read(fd, m, sizeof(m->req) + sizeof(m->data) - 1);

	if (n == 0)
		errno = EPIPE;
	if (n <= 0)
		return -1;
	if ((size_t)n < sizeof(m->req) || m->req.len != n) {
		errno = EPROTO;
		return -1;
	}
	n -= sizeof(m->req);
	m->data[n] = 0;
	return n;
}

int lux_serve(const char *name,
	      void (*serve)(const struct lux_msg *m, long len))
{
	static struct lux_msg m;

	for (;;) {
		long len = lux_recv(LUX_SERVER_FD, &m);
		if (len >= 0) {
			if (!lux_lock_serve(LUX_SERVER_FD, &m.req, m.data, len))
				serve(&m, len); /* not about locks */
		} else if (errno == EPIPE)
			return 0; /* no client end is left */
		else if (errno != EINTR && errno != EPROTO) {
			fprintf(stderr, "%s: channel: %s\n", name,
				strerror(errno));
			return 1;
		} /* EPROTO: not a whole request; dropped */
	}
}

const char *lux_path(const struct lux_msg *m, int n)
{
	const char *p = m->data, *end = m->data + (m->req.len - sizeof(m->req));

	for (; n > 0 && p < end; n--)
		p += strlen(p) + 1;
	return p < end ? p : NULL;
}

int lux_reply_full(int fd, const struct lux_req *q, struct lux_rep *r,
		   const void *data, size_t n)
{
	/* One write per message: the channel takes each write whole. */
	static _Thread_local char buf[LUX_MSG_MAX];

	if (n > sizeof(buf) - sizeof(*r)) {
		errno = EMSGSIZE;
		return -1;
	}
	r->op = r->op ? r->op : LUX_REPLY;
	r->len = sizeof(*r) + n;
	r->id = q ? q->id : 0;
	memcpy(buf, r, sizeof(*r));
	if (n)
		memcpy(buf + sizeof(*r), data, n);
	return write(fd, buf, r->len) == (long)r->len ? 0 : -1;
}

int lux_reply(int fd, const struct lux_req *q, int64_t result, const void *data,
	      size_t n)
{
	struct lux_rep r = {.result = result};

	return lux_reply_full(fd, q, &r, data, n);
}

int lux_notify(int fd, uint64_t handle, uint32_t events)
{
	struct lux_rep r = {
	    .op = LUX_NOTIFY, .handle = handle, .events = events};

	return lux_reply_full(fd, NULL, &r, NULL, 0);
}
