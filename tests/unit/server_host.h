/*
 * server_host.h - run a real lux server program on the host and play the
 * kernel: the server gets descriptor 3 on one end of a SOCK_SEQPACKET
 * socket pair (which keeps message boundaries, as a channel does); the
 * test writes requests to the other end and reads the replies. For cmocka
 * tests (include <cmocka.h> first).
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lux/proto.h>

struct reply {
	struct lux_rep rep;
	char data[LUX_MSG_MAX];
	size_t n; /* payload bytes */
};

static int host_chan = -1;
static pid_t host_server;
static uint64_t host_next_id = 1;

/* Start the server program at path: 0, or -1. */
static inline int host_start(const char *path)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -1;
	host_server = fork();
	if (host_server == 0) {
		dup2(sv[1], LUX_SERVER_FD);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	host_chan = sv[0];
	return host_server > 0 ? 0 : -1;
}

/* Close the client's end: the server must read the end and exit 0. */
static inline int host_stop(void)
{
	int status;

	close(host_chan);
	if (waitpid(host_server, &status, 0) != host_server)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Send a request: header fields from q (id and len are set), payload. */
static inline void host_send(struct lux_req *q, const void *data, size_t n)
{
	static char buf[LUX_MSG_MAX];

	q->id = host_next_id++;
	q->len = sizeof(*q) + n;
	memcpy(buf, q, sizeof(*q));
	if (n)
		memcpy(buf + sizeof(*q), data, n);
	assert_int_equal(write(host_chan, buf, q->len), q->len);
}

/* Read the answer to q (10 s at most): a REPLY or a FOLLOW. */
static inline struct reply *host_recv(const struct lux_req *q)
{
	static struct reply r;
	struct pollfd p = {host_chan, POLLIN, 0};

	assert_int_equal(poll(&p, 1, 10000), 1);
	ssize_t n = read(host_chan, &r, sizeof(r.rep) + sizeof(r.data));
	assert_true(n >= (ssize_t)sizeof(r.rep));
	assert_int_equal(r.rep.len, n);
	assert_int_equal(r.rep.id, q->id);
	r.n = n - sizeof(r.rep);
	return &r;
}

/* A request with payload data: its REPLY. */
static inline struct reply *call(struct lux_req q, const void *data, size_t n)
{
	host_send(&q, data, n);
	struct reply *r = host_recv(&q);
	assert_int_equal(r->rep.op, LUX_REPLY);
	return r;
}

/* A request on path (sent as the kernel does, with its NUL): the answer,
 * REPLY or FOLLOW. */
static inline struct reply *call_path_any(struct lux_req q, const char *path)
{
	host_send(&q, path, strlen(path) + 1);
	return host_recv(&q);
}

static inline struct reply *call_path(struct lux_req q, const char *path)
{
	struct reply *r = call_path_any(q, path);
	assert_int_equal(r->rep.op, LUX_REPLY);
	return r;
}

/* Send n random but well-formed requests (from seed): odd operations,
 * handles, flags, offsets, counts and payloads, some of them names the
 * server knows. The server must answer each one that is not one-way, in
 * order, and survive: a server never trusts what it is sent. */
static inline void host_fuzz(unsigned n, unsigned seed,
			     const char *const *names, int nnames)
{
	char payload[256];

	for (unsigned i = 0; i < n; i++) {
		struct lux_req q = {0};
		size_t len = 0;
		q.op = rand_r(&seed) % 8 ? 1 + rand_r(&seed) % LUX_UMOUNT
					 : (unsigned)rand_r(&seed) % 80;
		q.handle = rand_r(&seed) % 4 ? rand_r(&seed) % 12
					     : (uint64_t)rand_r(&seed) << 33;
		q.flags = rand_r(&seed) % 2 ? rand_r(&seed) : 0;
		q.mode = rand_r(&seed);
		q.uid = rand_r(&seed) % 2 ? 0 : 1000;
		q.pid = rand_r(&seed) % 5000;
		q.off = rand_r(&seed) % 3 ? rand_r(&seed) % 300
					  : (uint64_t)rand_r(&seed) << 40;
		q.count = rand_r(&seed) % 3 ? rand_r(&seed) % 5000
					    : (uint64_t)rand_r(&seed) << 30;
		if (rand_r(&seed) % 3) { /* a name it knows, maybe more */
			const char *name = names[rand_r(&seed) % nnames];
			len = snprintf(payload, sizeof(payload), "%s%s", name,
				       rand_r(&seed) % 4 ? "" : "/x") +
			      1;
		} else { /* any bytes at all */
			len = rand_r(&seed) % sizeof(payload);
			for (size_t k = 0; k < len; k++)
				payload[k] = rand_r(&seed);
		}
		if (q.op == LUX_LOCK && (q.flags & 3) == LUX_LOCK_WAIT)
			q.flags ^=
			    LUX_LOCK_WAIT; /* a GET: a wait may be kept */
		host_send(&q, payload, len);
		if (q.op == LUX_CLOSE || q.op == LUX_CANCEL ||
		    q.op == LUX_UNLOCK)
			continue; /* one-way */
		struct reply *r = host_recv(&q);
		assert_true(r->rep.op == LUX_REPLY || r->rep.op == LUX_FOLLOW);
	}
}
