/*
 * loop.c - the one part of the loop ioctls that needs the personality:
 * LOOP_SET_FD and LOOP_CONFIGURE name the backing file by a descriptor
 * of the caller, which the loop server (user/loop/) cannot take from a
 * request. The descriptor goes to the server over a Unix socket
 * (SCM_RIGHTS, the kernel's own hand-over) in exchange for a ticket,
 * and the ioctl carries the ticket through the device's descriptor like
 * any other ioctl, so the server checks it against an open loop device
 * (docs/decisions/0039-loop.md).
 */
#include "fs.h"
#include <lux/loop.h>

#define AF_UNIX        1
#define SOCK_SEQPACKET 5

/* Hand descriptor fd to the loop server: the socket (to close once the
 * ioctl is answered: the server keeps the descriptor while it is open)
 * with the ticket in *ticket, or -1 and ticket 0 when fd is no open
 * descriptor or no server of root's answers on LOOP_SOCKET (the loop
 * server then answers EBADF, any other server ENOTTY). */
static long loop_hand_over(long fd, uint64_t *ticket)
{
	struct {
		uint16_t family;
		char path[sizeof(LOOP_SOCKET)];
	} addr = {AF_UNIX, LOOP_SOCKET};
	char byte = 0;
	int fds[1] = {(int)fd};
	struct iov v = {(long)&byte, 1};
	struct lux_sockmsg m = {.iov = (uint64_t)&v,
				.iovlen = 1,
				.namefd = -1,
				.nfds = 1,
				.fds = (uint64_t)fds};
	struct lux_sockinfo i;
	long s = sock_socket(AF_UNIX, SOCK_SEQPACKET | LUX_O_CLOEXEC, 0);

	*ticket = 0;
	if (s < 0)
		return -1;
	if ((int)fd != fd || fd < 0 ||
	    sock_connect(s, (long)&addr, 2 + sizeof(LOOP_SOCKET) - 1) < 0 ||
	    persona_syscall(LUX_NR_SOCKET, LUX_SOCK_INFO, s, (long)&i, 0, 0,
			    0) < 0 ||
	    i.peer_cred[1] != 0 || /* root's, never a squatter's */
	    native4(LUX_NR_SOCKMSG, s, 0, &m, 0) != 1 ||
	    sock_recvfrom(s, (long)ticket, sizeof(*ticket), 0, 0, 0) !=
		sizeof(*ticket)) {
		*ticket = 0;
		native1(NR_close, s);
		return -1;
	}
	return s;
}

long loop_pass_in(long fd, const struct loop_config *c, struct loop_pass *p)
{
	memset(p, 0, sizeof(*p));
	if (c) {
		p->block_size = c->block_size;
		p->info = c->info;
		for (unsigned i = 0; i < sizeof(c->reserved) / 8; i++)
			if (c->reserved[i])
				return -EINVAL;
	}
	return loop_hand_over(fd, &p->ticket);
}
