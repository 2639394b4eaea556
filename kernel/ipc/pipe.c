/*
 * pipe.c - pipes: a 64 KiB ring between a read end and a write end. A
 * write of up to PIPE_BUF bytes lands whole or not at all; readers get EOF
 * once every write end is closed, writers EPIPE and SIGPIPE once every
 * read end is. Copies to and from user memory run under the pipe's mutex
 * (they may fault and sleep); waiting happens outside it.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

#define PIPE_SIZE (64 * KiB)

struct pipe {
	struct mutex lock;
	char *buf;
	size_t head, tail; /* bytes ever written and read */
	unsigned readers, writers;
	struct waitq wq; /* readers and writers wait here */
};

static bool readable(void *arg)
{
	struct pipe *p = arg;
	return p->head != p->tail || !p->writers;
}

static bool writable(void *arg)
{
	struct pipe *p = arg;
	return PIPE_SIZE - (p->head - p->tail) >= PIPE_BUF || !p->readers;
}

/* Copy n bytes between the ring at pos and user memory. */
static int ring_copy(struct pipe *p, size_t pos, char *ubuf, size_t n,
		     bool to_user)
{
	size_t at = pos % PIPE_SIZE, first = MIN(n, PIPE_SIZE - at);

	if (to_user)
		return copy_to_user(ubuf, p->buf + at, first)
			   ?: copy_to_user(ubuf + first, p->buf, n - first);
	return copy_from_user(p->buf + at, ubuf, first)
		   ?: copy_from_user(p->buf, ubuf + first, n - first);
}

static long pipe_read(struct file *f, char *ubuf, size_t n)
{
	struct pipe *p = f->priv;
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
	waitq_wake_all(&p->wq);
	return got;
}

/* Writes up to PIPE_BUF go in whole; longer ones in pieces as room
 * appears. Returns the bytes written, or an error if none were. */
static long pipe_write(struct file *f, const char *ubuf, size_t n)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	long r = 0;

	if (!n)
		return 0; /* even with no reader, as on Linux */
	while (done < n && !r) {
		mutex_lock(&p->lock);
		size_t room = PIPE_SIZE - (p->head - p->tail);
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
		waitq_wake_all(&p->wq);
		if (r || done == n)
			break;
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

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	bool last;

	mutex_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	last = !p->readers && !p->writers;
	mutex_unlock(&p->lock);
	waitq_wake_all(&p->wq);
	if (last) {
		kfree(p->buf);
		kfree(p);
	}
}

static unsigned pipe_poll(struct file *f)
{
	struct pipe *p = f->priv;

	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return (p->head != p->tail ? POLLIN : 0) |
		       (p->writers ? 0 : POLLHUP);
	return (PIPE_SIZE - (p->head - p->tail) >= PIPE_BUF ? POLLOUT : 0) |
	       (p->readers ? 0 : POLLERR);
}

static const struct file_ops pipe_ops = {.read = pipe_read,
					 .write = pipe_write,
					 .release = pipe_release,
					 .poll = pipe_poll};

int pipe_create(struct file *ends[2], unsigned flags)
{
	struct pipe *p = kzalloc(sizeof(*p));

	if (!p || !(p->buf = kmalloc(PIPE_SIZE))) {
		kfree(p);
		return -ENOMEM;
	}
	mutex_init(&p->lock);
	waitq_init(&p->wq);
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
		kfree(p->buf);
		kfree(p);
		return -ENOMEM;
	}
	return 0;
}
