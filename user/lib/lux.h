/*
 * lux.h - the small library every lux server links: the native system
 * calls and the helpers for reading requests and writing replies
 * (include/lux/proto.h has the messages, docs/servers.md the how-to).
 */
#pragma once

#include <lux/proto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A server's exit status for "what I was given cannot be served" (a disk
 * without a file system the server knows): lumen logs it and does not
 * restart the server, since a new instance would fail the same way
 * (docs/lumen.md). Any other status is restarted after a back-off. */
#define LUX_EXIT_UNSERVABLE 78

/* The native calls (include/lux/proto.h); -1 and errno on failure. */
int lux_channel(int fds[2]);
int lux_resolver(int fd);
int lux_grant(int pid, int kind, uint64_t base, uint64_t count);
int lux_irq(int irq);
long lux_bootdata(uint64_t off, void *buf, size_t len);
int lux_procinfo(int pid, struct lux_procinfo *info);
long lux_cpuinfo(int cpu, char *buf, size_t len);
int lux_mmio(uint64_t phys, uint64_t len);
long lux_dma(int fd, uint64_t off);
int lux_hwinfo(int what, uint64_t arg, uint64_t out[2]);

/* A request as read from the channel, with room for any payload. */
struct lux_msg {
	struct lux_req req;
	char data[LUX_MSG_MAX - sizeof(struct lux_req)];
};

/* Read the next request from channel fd into m: its payload length (0 for
 * none), or -1 and errno: EPIPE when the channel has no clients left (the
 * server may exit), EPROTO for a message that is not a whole request,
 * EINTR, EAGAIN on a non-blocking channel. The payload is NUL-terminated
 * after its end. */
long lux_recv(int fd, struct lux_msg *m);
/* A server's message loop: serve(m, payload length) for every request read
 * from LUX_SERVER_FD. Returns 0 once no client is left, 1 when the channel
 * fails (named on stderr after `name`). */
int lux_serve(const char *name,
	      void (*serve)(const struct lux_msg *m, long len));
/* The n-th NUL-terminated string of m's payload (0 the first), or NULL. */
const char *lux_path(const struct lux_msg *m, int n);
/* Reply to request q: result (>= 0, or -errno) and n bytes of payload. */
int lux_reply(int fd, const struct lux_req *q, int64_t result, const void *data,
	      size_t n);
/* Reply with every field of r given (r->op, r->len and r->id are set
 * here), then n bytes of payload. */
int lux_reply_full(int fd, const struct lux_req *q, struct lux_rep *r,
		   const void *data, size_t n);
/* The locks of every object of a server (lock.c): serve q (its payload
 * data, n bytes) if it is about locks, answering on channel fd: true for
 * LOCK and UNLOCK, which are done; false for any other request, which the
 * server still serves (CLOSE and CANCEL too). Objects are named by their
 * handle: a server gives one object one handle. */
bool lux_lock_serve(int fd, const struct lux_req *q, const void *data,
		    size_t n);
/* Leases (lock.c, docs/decisions/0040): a server that serves LOCK
 * through lux_lock_serve and opens through lux_lease_open has them.
 * lux_lease_owner, set by the server: 0 and the owner's uid in *uid if
 * obj is a regular file, else -EINVAL (no leases). lux_lease_open: OPEN
 * q of obj, checked and about to succeed (before O_TRUNC is done), is
 * counted as an open of its description: 0 to go on, -EWOULDBLOCK
 * (O_NONBLOCK) or -ENOMEM to fail, or -LUX_PARKED when a lease is in the
 * way: the reply is the library's, the server sends none.
 * lux_lease_break: the same for a truncate by path (writing true),
 * which is not counted. lux_lease_timeout: ends the breaks whose time is
 * up; the ms until the next one ends (-1: none), a timeout for the
 * server's wait on its channel (lux_recv waits so). */
#define LUX_PARKED 4096
extern int (*lux_lease_owner)(uint64_t obj, uint32_t *uid);
int lux_lease_open(int fd, const struct lux_req *q, uint64_t obj);
int lux_lease_break(int fd, const struct lux_req *q, uint64_t obj,
		    bool writing);
int lux_lease_timeout(void);
/* The open q of obj lux_lease_open counted failed after all. */
void lux_lease_forget(const struct lux_req *q, uint64_t obj);
/* Tell the kernel the poll events of object handle changed. */
int lux_notify(int fd, uint64_t handle, uint32_t events);
