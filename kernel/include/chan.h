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
 * request is cancelled; a late reply is dropped). */
int chan_call(struct chan *c, struct lux_req *req, struct lux_rep *rep,
	      void *buf, size_t size);
/* Send a one-way message (CLOSE): never sleeps, never fails visibly. */
void chan_send(struct chan *c, struct lux_req *req);

void chan_get(struct chan *c);
void chan_put(struct chan *c);
/* The channel a client-end file names (no reference taken), or NULL when
 * f is not a client end. */
struct chan *chan_of(struct file *f);
/* The path resolver (lumen's channel) with a reference, or NULL before
 * PID 1 named one. */
struct chan *chan_resolver(void);

/* A file for an object a server opened: OPEN's reply gives its handle,
 * st_mode and events; path is its absolute name (for *at calls, fchdir).
 * Takes a reference to c. NULL if out of memory. */
struct file *rfile_create(struct chan *c, const struct lux_rep *rep,
			  unsigned flags, const char *path);
/* The channel, handle and path of a remote file; false for other files. */
bool rfile_info(struct file *f, struct chan **c, uint64_t *handle,
		const char **path);
