/*
 * file.h - open files and descriptor tables. A struct file is what a
 * descriptor names: an object (a pipe end, the console, later a socket or
 * a server's file) with its operations, open flags and a reference count.
 * Each process has a descriptor table, shared by its threads, copied by
 * fork and closed on exec for close-on-exec descriptors.
 */
#pragma once

#include "kernel.h"
#include "spinlock.h"
#include <lux/proto.h>

#define FD_MAX LUX_FD_MAX

struct file;

/* read/write take a user buffer; they may sleep and return a count or a
 * negative errno (-ERESTARTSYS when a signal ends a wait). */
struct file_ops {
	long (*read)(struct file *f, char *ubuf, size_t n);
	long (*write)(struct file *f, const char *ubuf, size_t n);
	void (*release)(struct file *f); /* the last reference went */
	/* The POLL* events that hold now (never sleeps). */
	unsigned (*poll)(struct file *f);
	/* A reference went but others remain (may be NULL). */
	void (*unref)(struct file *f);
	const char *name; /* an anonymous object's kind (/proc/PID/fd) */
};

struct file {
	const struct file_ops *ops;
	unsigned refs;
	unsigned flags; /* O_ACCMODE | O_NONBLOCK | O_APPEND */
	void *priv;
	struct waitq *wq;        /* woken whenever its poll events may change */
	unsigned mode;           /* st_mode for fstat: the object's kind */
	struct file *next_dying; /* in its thread's files_dying */
	unsigned watched;        /* poll sets' entries holding it (epoll.c) */
	struct sigio *sigio;     /* owner, F_SETSIG signal, O_ASYNC (sigio.c) */
};

/* The protocol's poll events (lux/poll.h) under their Linux names. */
#define POLLIN     LUX_POLLIN
#define POLLPRI    LUX_POLLPRI
#define POLLOUT    LUX_POLLOUT
#define POLLERR    LUX_POLLERR
#define POLLHUP    LUX_POLLHUP
#define POLLNVAL   LUX_POLLNVAL
#define POLLRDNORM LUX_POLLRDNORM
#define POLLWRNORM LUX_POLLWRNORM
#define POLLRDHUP  LUX_POLLRDHUP

struct fdtable {
	struct spinlock lock;
	unsigned refs; /* processes sharing it (CLONE_FILES) */
	struct file *fd[FD_MAX];
	uint64_t cloexec[FD_MAX / 64];
};

/* ipc/poll.c: f's POLL* events now; a deadline ns from now (-1: none). */
unsigned file_events(struct file *f);
uint64_t poll_deadline(int64_t ns);
/* ipc/epoll.c: poll sets. pset_forget: f's references are all poll sets'
 * (file_put saw it): drop them. pset_size: how many files a wait on f
 * must watch besides f (0 unless a poll set); pset_hold: those files,
 * referenced, at most max into held: how many. */
void pset_forget(struct file *f);
unsigned pset_size(struct file *f);
unsigned pset_hold(struct file *f, struct file **held, unsigned max);

/* ipc/sigio.c: signal-driven I/O. sigio_fcntl: fcntl's owner and signal
 * commands and F_SETFL's O_ASYNC (cmd F_SETFL, arg the new flags) on f,
 * descriptor fd. sigio_drop: f is released. sigio_flush: send the signals
 * due (the thread that woke an O_ASYNC file, before it returns to user
 * space or exits). */
long sigio_fcntl(struct file *f, int fd, long cmd, long arg);
/* A server's notice: the lease of the remote file numbered ofd (of those
 * on wq, a server object's queue) is being broken; its owner is sent
 * POLL_MSG (LUX_F_LEASE made it listen). */
void sigio_lease(struct waitq *wq, uint64_t ofd);
void sigio_drop(struct file *f);
void sigio_flush(void);

/* ipc/file.c */
struct file *file_alloc(const struct file_ops *ops, void *priv, unsigned flags);
void file_get(struct file *f);
/* Drop a reference; the last one releases f. Never recurses: the files a
 * release puts (a socket's queued descriptors) wait on the thread's
 * files_dying list, which the outermost file_put drains. */
void file_put(struct file *f);
struct fdtable *fdtable_create(void);
struct fdtable *fdtable_copy(struct fdtable *t);
void fdtable_put(struct fdtable *t);
void fdtable_close_on_exec(struct fdtable *t);
/* Put f in the lowest free descriptor >= min of the current process (it
 * takes over the caller's reference): the descriptor, or -EMFILE. */
int fd_install(struct file *f, int min, bool cloexec);
/* Put both ends in the lowest free descriptors and store the two numbers
 * at user address ufds (pipe2, channels): 0, or an errno with neither
 * descriptor left open (the references are consumed either way). */
long fd_install_pair(struct file *ends[2], bool cloexec, long ufds);
/* The file behind fd with a reference taken, or NULL. */
struct file *fd_get(int fd);
/* Whether fd names an open file. */
bool fd_open(int fd);

/* ipc/pipe.c */
int pipe_create(struct file *ends[2], unsigned flags);
/* A pipe without ends (a FIFO's), or NULL; pipe_free frees one (NULL
 * too). */
struct pipe *pipe_alloc(void);
void pipe_free(struct pipe *p);
/* Make f (a remote file of a FIFO, whose rfile_pipe is p) an end of p
 * by Linux's rules: O_RDWR at once, O_RDONLY once a writer opened,
 * O_WRONLY once a reader did; with O_NONBLOCK a reader at once, a
 * writer at once or -ENXIO (f unchanged). 0, -ENXIO or the interrupted
 * wait's error (f is an end then: putting it closes it). */
int pipe_fifo_open(struct pipe *p, struct file *f);
/* LUX_NR_REOPEN: a new end of the anonymous pipe f is an end of, by
 * flags (O_ACCMODE, O_NONBLOCK, O_CLOEXEC), at once (unlike a FIFO's open,
 * as on Linux): its descriptor, or -errno (ENXIO: f is no pipe's end). */
long pipe_reopen(struct file *f, unsigned flags);
/* An end of access mode flags leaves p: whether it was the last. */
bool pipe_close(struct pipe *p, unsigned flags);
/* A FIFO's end (pipe_fifo_open): the pipe's read, write and poll, and
 * ipc/rfile.c's release and rfile_pipe. */
extern const struct file_ops fifo_ops;
void rfile_fifo_release(struct file *f);
struct pipe *rfile_pipe(struct file *f);
/* The pipe behind f (a pipe's or a FIFO's end), or NULL. */
struct pipe *pipe_of(struct file *f);
/* F_GETPIPE_SZ (bytes < 0) and F_SETPIPE_SZ: the capacity, or -EINVAL
 * (over 2 GiB), -EPERM (over 1 MiB, not root), -EBUSY (holds more),
 * -ENOMEM. */
long pipe_size(struct pipe *p, long bytes);

/* console.c: the kernel console as a write-only file (descriptors 0-2 of
 * the first process). */
struct file *console_file(void);
