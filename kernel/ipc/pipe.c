/*
 * pipe.c - pipes: a ring (64 KiB, F_SETPIPE_SZ changes it) between read
 * ends and write ends. A write of up to PIPE_BUF bytes lands whole or not
 * at all; readers get EOF once every write end is closed, writers EPIPE
 * and SIGPIPE once every read end is. Copies to and from user memory run
 * under the pipe's mutex (they may fault and sleep); waiting happens
 * outside it. A FIFO is a pipe a server's node holds (rfile.c,
 * docs/decisions/0034-fifos.md): its ends are remote files that count
 * themselves in and out with pipe_fifo_open and pipe_fifo_close.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

#define PIPE_SIZE     (64 * KiB)
#define PIPE_MAX_USER MiB /* /proc/sys/fs/pipe-max-size */

struct pipe {
	struct mutex lock;
	char *buf;
	size_t size;       /* of buf: a power of two */
	size_t head, tail; /* bytes ever written and read */
	unsigned readers, writers;
	unsigned r_opens, w_opens; /* ends ever counted: a FIFO open waits */
	struct waitq wq;           /* readers and writers wait here */
};

static bool readable(void *arg)
{
	struct pipe *p = arg;
	return p->head != p->tail || !p->writers;
}

static bool writable(void *arg)
{
	struct pipe *p = arg;
	return p->size - (p->head - p->tail) >= PIPE_BUF || !p->readers;
}

/* Copy n bytes between the ring at pos and user memory. */
static int ring_copy(struct pipe *p, size_t pos, char *ubuf, size_t n,
		     bool to_user)
{
	size_t at = pos & (p->size - 1), first = MIN(n, p->size - at);

	if (to_user)
		return copy_to_user(ubuf, p->buf + at, first)
			   ?: copy_to_user(ubuf + first, p->buf, n - first);
	return copy_from_user(p->buf + at, ubuf, first)
		   ?: copy_from_user(p->buf, ubuf + first, n - first);
}

static long pipe_read(struct file *f, char *ubuf, size_t n)
{
	struct pipe *p = pipe_of(f);
	long got;

	if (!n)
		return 0;
	for (;;) {
		mutex_lock(&p->lock);
		got = MIN(n, p->head - p->tail);
		if (got && ring_copy(p, p->tail, ubuf, got, true))
			got = -EFAULT;
		else if (got)
			p->tail += got;
		bool eof = !p->writers;
		mutex_unlock(&p->lock);
		if (got)
			break;
		if (eof)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_intr(&p->wq, readable, p, 0) < 0)
			return -ERESTARTSYS;
	}
	waitq_wake_io(&p->wq, POLLOUT);
	return got;
}

/* Writes up to PIPE_BUF go in whole; longer ones in pieces as room
 * appears. Returns the bytes written, or an error if none were. */
static long pipe_write(struct file *f, const char *ubuf, size_t n)
{
	struct pipe *p = pipe_of(f);
	size_t done = 0;
	long r = 0;

	if (!n)
		return 0; /* even with no reader, as on Linux */
	while (done < n && !r) {
		mutex_lock(&p->lock);
		size_t room = p->size - (p->head - p->tail);
		size_t want =
		    n - done <= PIPE_BUF ? n - done : MIN(n - done, room);
		if (!p->readers) {
			r = -EPIPE;
		} else if (room >= want && want) {
			if (ring_copy(p, p->head, (char *)ubuf + done, want,
				      false))
				r = -EFAULT;
			else
				p->head += want, done += want;
		}
		mutex_unlock(&p->lock);
		waitq_wake_io(&p->wq, POLLIN);
		if (r || done == n)
			break;
		sigio_flush(); /* the readers hear of it before this waits */
		if (f->flags & O_NONBLOCK)
			r = -EAGAIN;
		else if (wait_intr(&p->wq, writable, p, 0) < 0)
			r = -ERESTARTSYS;
	}
	if (r == -EPIPE) {
		struct ksiginfo info = {.code = SI_USER,
					.pid = current_proc()->pid};
		signal_send(current_proc(), current_thread(), SIGPIPE, &info);
	}
	return done ? (long)done : r;
}

/* Count an end of access mode acc in (delta 1) or out (-1), under the
 * lock: O_RDWR (a FIFO's) is both a reader and a writer. When the last
 * end goes, what the ring held goes too (a FIFO opened again is empty). */
static void pipe_count(struct pipe *p, unsigned acc, int delta)
{
	if (acc != O_WRONLY)
		p->readers += delta, p->r_opens += delta > 0;
	if (acc != O_RDONLY)
		p->writers += delta, p->w_opens += delta > 0;
	if (!p->readers && !p->writers)
		p->tail = p->head;
}

bool pipe_close(struct pipe *p, unsigned flags)
{
	bool last;

	mutex_lock(&p->lock);
	pipe_count(p, flags & O_ACCMODE, -1);
	last = !p->readers && !p->writers;
	mutex_unlock(&p->lock);
	waitq_wake_all(&p->wq);
	return last;
}

struct partner {
	unsigned *opens, seen;
};

static bool partner_came(void *arg)
{
	struct partner *w = arg;
	return __atomic_load_n(w->opens, __ATOMIC_RELAXED) != w->seen;
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = pipe_of(f);
	unsigned r = 0, acc = f->flags & O_ACCMODE;

	if (acc != O_WRONLY)
		r |= (p->head != p->tail ? POLLIN : 0) |
		     (p->writers ? 0 : POLLHUP);
	if (acc != O_RDONLY)
		r |= (p->size - (p->head - p->tail) >= PIPE_BUF ? POLLOUT : 0) |
		     (p->readers ? 0 : POLLERR);
	return r;
}

static void pipe_release(struct file *f)
{
	if (pipe_close(f->priv, f->flags))
		pipe_free(f->priv); /* both ends went: no one else sees it */
}

static const struct file_ops pipe_ops = {.read = pipe_read,
					 .write = pipe_write,
					 .release = pipe_release,
					 .poll = pipe_poll};
const struct file_ops fifo_ops = {.read = pipe_read,
				  .write = pipe_write,
				  .release = rfile_fifo_release,
				  .poll = pipe_poll};

struct pipe *pipe_of(struct file *f)
{
	return f->ops == &pipe_ops   ? f->priv
	       : f->ops == &fifo_ops ? rfile_pipe(f)
				     : NULL;
}

int pipe_fifo_open(struct pipe *p, struct file *f)
{
	unsigned flags = f->flags, acc = flags & O_ACCMODE;
	struct partner w = {acc == O_RDONLY ? &p->w_opens : &p->r_opens, 0};
	bool alone;

	mutex_lock(&p->lock);
	alone = acc == O_RDONLY ? !p->writers : !p->readers;
	if (acc == O_WRONLY && alone && (flags & O_NONBLOCK)) {
		mutex_unlock(&p->lock);
		return -ENXIO;
	}
	pipe_count(p, acc, 1);
	w.seen = *w.opens;
	mutex_unlock(&p->lock);
	waitq_wake_all(&p->wq);
	f->ops = &fifo_ops;
	f->wq = &p->wq;
	if (acc == O_RDWR || (flags & O_NONBLOCK) || !alone)
		return 0;
	uint64_t mask = persona_wait_begin(current_thread());
	int r = wait_intr(&p->wq, partner_came, &w, 0) < 0 ? -ERESTARTSYS : 0;
	return persona_wait_end(mask, r);
}

long pipe_reopen(struct file *f, unsigned flags)
{
	struct pipe *p = f->priv;
	struct file *end;
	long r;

	if (f->ops != &pipe_ops)
		return -ENXIO;
	if (!(end = file_alloc(&pipe_ops, p, flags & (O_ACCMODE | O_NONBLOCK))))
		return -ENOMEM;
	end->wq = &p->wq;
	end->mode = f->mode;
	mutex_lock(&p->lock);
	pipe_count(p, flags & O_ACCMODE, 1);
	mutex_unlock(&p->lock);
	waitq_wake_all(&p->wq);
	if ((r = fd_install(end, 0, flags & O_CLOEXEC)) < 0)
		file_put(end);
	return r;
}

long pipe_size(struct pipe *p, long bytes)
{
	size_t size = 4096, held;
	char *buf;

	if (bytes < 0 || bytes > (1L << 31))
		return bytes < 0 ? (long)p->size : -EINVAL;
	while (size < (size_t)bytes)
		size <<= 1;
	if (size > PIPE_MAX_USER && current_proc()->cred.uid.eff)
		return -EPERM;
	if (!(buf = kmalloc(size)))
		return -ENOMEM;
	mutex_lock(&p->lock);
	held = p->head - p->tail;
	if (held <= size) {
		for (size_t i = 0; i < held; i++)
			buf[i] = p->buf[(p->tail + i) & (p->size - 1)];
		char *old = p->buf;
		p->buf = buf, buf = old;
		p->size = size, p->tail = 0, p->head = held;
	}
	mutex_unlock(&p->lock);
	kfree(buf);
	waitq_wake_all(&p->wq);
	return held <= size ? (long)size : -EBUSY;
}

struct pipe *pipe_alloc(void)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p || !(p->buf = kmalloc(PIPE_SIZE))) {
		kfree(p);
		return NULL;
	}
	mutex_init(&p->lock);
	waitq_init(&p->wq);
	p->size = PIPE_SIZE;
	return p;
}

void pipe_free(struct pipe *p)
{
	if (p)
		kfree(p->buf);
	kfree(p);
}

int pipe_create(struct file *ends[2], unsigned flags)
{
	struct pipe *p = pipe_alloc();

	if (!p)
		return -ENOMEM;
	p->readers = p->writers = 1;
	ends[0] = file_alloc(&pipe_ops, p, O_RDONLY | flags);
	ends[1] = file_alloc(&pipe_ops, p, O_WRONLY | flags);
	if (ends[0] && ends[1]) {
		ends[0]->wq = ends[1]->wq = &p->wq;
		ends[0]->mode = ends[1]->mode = 0010600; /* S_IFIFO */
	}
	if (!ends[0] || !ends[1]) {
		kfree(ends[0]);
		kfree(ends[1]);
		pipe_free(p);
		return -ENOMEM;
	}
	return 0;
}
