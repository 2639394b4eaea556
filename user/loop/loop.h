/*
 * loop.h - the loop server's state (user/loop/): LOOP_MAX loop block
 * devices (/dev/loop0 ...) and /dev/loop-control, each a file mount of
 * the one server (its request names the file: "loop3", "loop-control"),
 * and the open handles on them (docs/storage.md, decision 0039). Each
 * device has its own thread for the requests on its handles (decision
 * 0041); loop_lock guards everything here and is never held across a
 * call on a backing file.
 */
#pragma once

#include <lux.h>
#include <lux/loop.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX     8
#define LOOP_CONTROL (-1) /* a handle's device: /dev/loop-control */
#define HANDLES_MAX  256
#define CONN_MAX     16 /* hand-over connections kept (pass.c) */
#define QUEUE_MAX    16 /* requests waiting for one device's thread */
#define GID_DISK     6  /* the group that may use disks, as on Debian */

struct loop_dev {
	bool present;            /* not removed by LOOP_CTL_REMOVE */
	int fd;                  /* the backing file, -1: none */
	uint64_t size;           /* bytes served (whole sectors) */
	uint64_t gen;            /* this attachment's st_ino */
	uint32_t opens;          /* handles open on it */
	uint32_t block_size;     /* LOOP_SET_BLOCK_SIZE's (512) */
	struct loop_info64 info; /* offset, sizelimit, flags, names */

	/* The requests on its handles, oldest at head, for its thread. */
	/* (A request's handle may be closed and reused before it is
	 * served, after a cancel: what it needs of the handle is kept.) */
	struct lux_req q[QUEUE_MAX];
	void *data[QUEUE_MAX]; /* their payloads (malloc), or NULL */
	long len[QUEUE_MAX];
	bool write[QUEUE_MAX]; /* its handle was opened for writing */
	int head, n;
	pthread_cond_t more, room; /* n went up; n went down */
	char *buf;                 /* its thread's read buffer */
};

struct loop_handle {
	bool used;
	bool write; /* opened for writing */
	int dev;    /* index, or LOOP_CONTROL */
};

extern struct loop_dev loop_devs[LOOP_MAX];
extern struct loop_handle loop_handles[HANDLES_MAX];
extern pthread_mutex_t loop_lock;

/* dev.c: the requests on an open device d (READ, WRITE, FSYNC, IOCTL;
 * its payload data, len bytes), made by d's thread, and on
 * /dev/loop-control (IOCTL, d NULL), answered on the channel. write: the
 * handle was opened for writing. Called with loop_lock held; d's thread
 * drops it while it waits on the backing file. */
void loop_io(struct loop_dev *d, const struct lux_req *q, const void *data,
	     long len);
void loop_ioctl(struct loop_dev *d, bool write, const struct lux_req *q,
		const void *data, long len);
/* CLOSE, by the main thread (a later OPEN counts after it): whether the
 * device is to be detached now (auto clear), by its thread. */
bool loop_close(const struct lux_req *q);
/* Detach device d from its backing file (it must have one). */
void loop_detach(struct loop_dev *d);

/* pass.c: the descriptors handed over on LOOP_SOCKET for tickets. */
int pass_listen(void);
/* Poll entries for the socket and its connections into p (room for
 * pass_npoll()); then pass_events(p) serves what they report. */
int pass_npoll(void);
void pass_poll(struct pollfd *p);
void pass_events(const struct pollfd *p);
/* Take the descriptor handed over for ticket (0 is none): it, or -1. */
int pass_take(uint64_t ticket);
