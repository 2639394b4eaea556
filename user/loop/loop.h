/*
 * loop.h - the loop server's state (user/loop/): LOOP_MAX loop block
 * devices (/dev/loop0 ...) and /dev/loop-control, each a file mount of
 * the one server (its request names the file: "loop3", "loop-control"),
 * and the open handles on them (docs/storage.md, decision 0039).
 */
#pragma once

#include <lux.h>
#include <lux/loop.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX     8
#define LOOP_CONTROL (-1) /* a handle's device: /dev/loop-control */
#define HANDLES_MAX  256
#define CONN_MAX     16 /* hand-over connections kept (pass.c) */
#define GID_DISK     6  /* the group that may use disks, as on Debian */

struct loop_dev {
	bool present;            /* not removed by LOOP_CTL_REMOVE */
	int fd;                  /* the backing file, -1: none */
	uint64_t size;           /* bytes served (whole sectors) */
	uint64_t gen;            /* this attachment's st_ino */
	uint32_t opens;          /* handles open on it */
	uint32_t block_size;     /* LOOP_SET_BLOCK_SIZE's (512) */
	struct loop_info64 info; /* offset, sizelimit, flags, names */
};

struct loop_handle {
	bool used;
	bool write; /* opened for writing */
	int dev;    /* index, or LOOP_CONTROL */
};

extern struct loop_dev loop_devs[LOOP_MAX];
extern struct loop_handle loop_handles[HANDLES_MAX];

/* dev.c: the requests on an open device (READ, WRITE, FSYNC, IOCTL,
 * CLOSE) and on /dev/loop-control (IOCTL), answered on the channel. */
void loop_io(const struct lux_msg *m, long len);
void loop_ioctl(const struct lux_msg *m, long len);
void loop_close(const struct lux_req *q);
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
