/*
 * chan.h - channels to servers and the files they serve (ipc/chan.c), and
 * the path calls built on them (fs/). docs/protocol.md has the messages.
 *
 * A channel carries requests from the kernel to one server and replies
 * back. Its server end is a file the server reads requests from and writes
 * replies to; a client end is a file that names the channel (lumen keeps
 * one per mounted server and redirects path requests to it). A remote file
 * is an open object of a server: the descriptor's calls become requests.
 */
#pragma once

#include "file.h"
#include "sched.h"
#include <lux/proto.h>

struct chan;

/* A request message of `payload` bytes after its header, zeroed, with
 * op, len and the caller's credentials filled in; NULL if out of memory.
 * chan_call takes it over; chan_msg_free frees one never sent. */
struct lux_req *chan_msg_alloc(unsigned op, size_t payload);
void chan_msg_free(struct lux_req *req);

/* Send req to c and sleep until the reply: its header in *rep and at most
 * `size` bytes of its payload in buf (kernel memory; the payload length is
 * rep->len - sizeof(*rep), cut to size). Returns 0 when a reply came (its
 * result in rep->result), -EIO when the server is gone or goes,
 * -ERESTARTSYS when a signal interrupted the wait (the server is told the
 * request is cancelled; a late reply is dropped) or the reply was
 * -LUX_ERESTART. For a LUX_REDIRECT reply, *out (if out is not NULL)
 * receives the channel named by the replier's descriptor `result` at the
 * time of its write, with a reference the caller drops (NULL and result
 * -EBADF if that descriptor is no client end); for a LUX_MAP request, the
 * file (any kind, or NULL) at the replier's descriptor `result`, with a
 * reference. */
int chan_call(struct chan *c, struct lux_req *req, struct lux_rep *rep,
	      void *buf, size_t size, void **out);
/* Send a one-way message (CLOSE): never sleeps, never fails visibly. */
void chan_send(struct chan *c, struct lux_req *req);

/* The payload bytes of reply rep that landed in a buffer of size bytes. */
static inline size_t chan_payload(const struct lux_rep *rep, size_t size)
{
	return MIN(rep->len - sizeof(*rep), size);
}

void chan_get(struct chan *c);
void chan_put(struct chan *c);
/* The channel a client-end file names (no reference taken), or NULL when
 * f is not a client end. */
struct chan *chan_of(struct file *f);
/* The path resolver (lumen's channel) with a reference, or NULL before
 * PID 1 named one. */
struct chan *chan_resolver(void);
/* The channel of the client end at descriptor fd of the resolver's table
 * with a reference, or NULL: a server the resolver redirects to. */
struct chan *chan_resolver_fd(long fd);
/* Whether gen is the resolver's generation now (LUX_NR_RESOLVER). */
bool chan_resolver_gen(uint64_t gen);

/* Readiness of one server object (channel, handle), shared by the remote
 * files that opened it: OPEN's reply sets events, LUX_NOTIFY changes them
 * and wakes wq. chan_node_get takes a reference (NULL: out of memory). */
struct rnode {
	struct list link; /* in the channel's nodes */
	uint64_t handle;
	volatile unsigned events;
	unsigned refs;
	struct waitq wq;
	struct pipe *pipe; /* a FIFO's, made at its first open (rfile.c) */
};
struct rnode *chan_node_get(struct chan *c, uint64_t handle, unsigned events);
void chan_node_put(struct chan *c, struct rnode *n);

/* A file for an object a server opened: OPEN's reply gives its handle,
 * st_mode and events; path is its absolute name (for *at calls, fchdir).
 * Takes a reference to c. NULL if out of memory (the object is sent its
 * CLOSE then, if memory allowed). */
struct file *rfile_create(struct chan *c, const struct lux_rep *rep,
			  unsigned flags, const char *path);
/* Make remote file f, a FIFO (not O_PATH), an end of the pipe its node
 * holds (made at the first open): pipe_fifo_open's answer, or -ENOMEM;
 * on an error f is to be put. */
int rfile_fifo(struct file *f);
/* A descriptor of f (any file, or NULL) went: if f is remote, tell its
 * server with a one-way LUX_UNLOCK (the caller's POSIX locks on it go);
 * nothing is sent if memory is short (the last CLOSE still frees them). */
void rfile_unlock(struct file *f);
/* A remote file's description number (its OPEN's id), else 0. */
uint64_t rfile_ofd(struct file *f);
/* The channel, handle and path of a remote file; false for other files. */
bool rfile_info(struct file *f, struct chan **c, uint64_t *handle,
		const char **path);
/* Send req (path 0: by handle) about remote file f to its server; an
 * O_PATH file allows only STAT and STATFS (EBADF). req is consumed. */
int rfile_call(struct file *f, struct lux_req *req, struct lux_rep *rep,
	       void *buf, size_t size);
/* The memory object that holds remote file f's pages, from its server's
 * LUX_MAP (with a reference), or NULL with *r = -errno (ENODEV when the
 * server maps none). */
struct file *rfile_map(struct file *f, long *r);
