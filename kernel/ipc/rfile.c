/*
 * rfile.c - remote files: a descriptor naming an object a server opened.
 * read and write become READ and WRITE requests at the file position the
 * kernel keeps (lseek, pread64 and pwrite64 are here too), poll reports
 * the object's events (OPEN's reply, then LUX_NOTIFY), and the last close
 * sends LUX_CLOSE. A socket's (S_IFSOCK) follow Linux's socket rules: a
 * blocking write goes on after a short WRITE until all is sent (or a
 * signal), a write failing with EPIPE raises SIGPIPE, and a dead
 * server's EIO is a reset (ECONNRESET reading, EPIPE writing). The other calls on a descriptor are the personality's
 * requests (LUX_REQ_FD, request.c).
 */
#include "chan.h"
#include "mm.h"
#include "proc.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/stat.h>

#define SEEK_SET  0
#define SEEK_CUR  1
#define SEEK_END  2
#define SEEK_DATA 3
#define SEEK_HOLE 4

struct rfile {
	struct chan *c;
	struct rnode *node;
	uint64_t handle, pos;
	struct lux_req *close; /* allocated up front: release cannot fail */
	struct pipe *pipe;     /* a FIFO's end: its node's, counted in */
	char path[];
};

/* One READ of at most LUX_MAX_DATA bytes into ubuf. */
static long read_chunk(struct file *f, char *ubuf, size_t want, uint64_t *pos)
{
	struct rfile *rf = f->priv;
	struct lux_req *req = chan_msg_alloc(LUX_READ, 0);
	char *buf = kmalloc(want);
	struct lux_rep rep;
	long r = -ENOMEM;

	if (req && buf) {
		req->handle = rf->handle;
		req->off = *pos;
		req->count = want;
		req->flags = f->flags & O_NONBLOCK;
		r = chan_call(rf->c, req, &rep, buf, want, NULL);
		req = NULL;
		if (!r && (r = rep.result) > 0) {
			r = MIN((size_t)r, chan_payload(&rep, want));
			if (copy_to_user(ubuf, buf, r))
				r = -EFAULT;
			else
				*pos += r;
		}
	}
	chan_msg_free(req);
	kfree(buf);
	return r;
}

/* One WRITE of at most LUX_MAX_DATA bytes from ubuf. */
static long write_chunk(struct file *f, const char *ubuf, size_t want,
			uint64_t *pos)
{
	struct rfile *rf = f->priv;
	struct lux_req *req = chan_msg_alloc(LUX_WRITE, want);
	struct lux_rep rep;
	long r;

	if (!req)
		return -ENOMEM;
	if (copy_from_user(req + 1, ubuf, want)) {
		chan_msg_free(req);
		return -EFAULT;
	}
	req->handle = rf->handle;
	req->off = *pos;
	req->flags = f->flags & (O_APPEND | O_NONBLOCK);
	r = chan_call(rf->c, req, &rep, NULL, 0, NULL);
	if (!r && (r = rep.result) >= 0) {
		r = MIN((size_t)r, want);
		*pos = (f->flags & O_APPEND) ? rep.off : *pos + r;
	}
	return r;
}

/* Read or write n bytes of f at *pos (split at LUX_MAX_DATA), advancing
 * *pos: bytes moved or -errno. */
static long rfile_io(struct file *f, char *ubuf, size_t n, uint64_t *pos,
		     bool writing)
{
	size_t done = 0;
	long r = 0;

	if (f->flags & O_PATH)
		return -EBADF; /* names the object, no access to it */
	if (!user_range(ubuf, n))
		return -EFAULT; /* before any request: it may block */
	while (done < n) {
		size_t want = MIN(n - done, (size_t)LUX_MAX_DATA);
		r = writing ? write_chunk(f, ubuf + done, want, pos)
			    : read_chunk(f, ubuf + done, want, pos);
		if (r <= 0)
			break;
		done += r;
		if ((size_t)r < want && !(writing && LUX_S_ISSOCK(f->mode) &&
					  !(f->flags & O_NONBLOCK)))
			break; /* short: a terminal's line, the end of a file */
	}
	if (r == -EIO && LUX_S_ISSOCK(f->mode)) /* a socket's server died */
		r = writing ? -EPIPE : -ECONNRESET;
	if (r == -EPIPE && writing && LUX_S_ISSOCK(f->mode)) {
		struct ksiginfo info = {.pid = current_proc()->pid};
		signal_send(current_proc(), current_thread(), SIGPIPE, &info);
	}
	return done ? (long)done : r;
}

static long rfile_read(struct file *f, char *ubuf, size_t n)
{
	return rfile_io(f, ubuf, n, &((struct rfile *)f->priv)->pos, false);
}

static long rfile_write(struct file *f, const char *ubuf, size_t n)
{
	return rfile_io(f, (char *)ubuf, n, &((struct rfile *)f->priv)->pos,
			true);
}

static unsigned rfile_poll(struct file *f)
{
	return ((struct rfile *)f->priv)->node->events;
}

static void rfile_release(struct file *f)
{
	struct rfile *rf = f->priv;

	chan_send(rf->c, rf->close);
	chan_node_put(rf->c, rf->node);
	chan_put(rf->c);
	kfree(rf);
}

static const struct file_ops rfile_ops = {.read = rfile_read,
					  .write = rfile_write,
					  .poll = rfile_poll,
					  .release = rfile_release};

void rfile_fifo_release(struct file *f)
{
	pipe_close(((struct rfile *)f->priv)->pipe, f->flags);
	rfile_release(f);
}

int rfile_fifo(struct file *f)
{
	struct rfile *rf = f->priv;
	struct pipe *p = NULL, *none = NULL;

	if (!rf->node->pipe && (p = pipe_alloc()) &&
	    !__atomic_compare_exchange_n(&rf->node->pipe, &none, p, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		pipe_free(p); /* another open made it first */
	if (!(rf->pipe = rf->node->pipe))
		return -ENOMEM;
	return pipe_fifo_open(rf->pipe, f);
}

struct pipe *rfile_pipe(struct file *f)
{
	return ((struct rfile *)f->priv)->pipe;
}

struct file *rfile_create(struct chan *c, const struct lux_rep *rep,
			  unsigned flags, const char *path)
{
	size_t len = strlen(path) + 1;
	struct rfile *rf = kzalloc(sizeof(*rf) + len);
	struct lux_req *close = chan_msg_alloc(LUX_CLOSE, 0);
	struct rnode *n =
	    rf && close ? chan_node_get(c, rep->handle, rep->events) : NULL;
	struct file *f = n ? file_alloc(&rfile_ops, rf, flags) : NULL;

	if (!f) { /* the object is closed again if at all possible */
		if (n)
			chan_node_put(c, n);
		if (close) {
			close->handle = rep->handle;
			close->count = rep->id;
			chan_send(c, close);
		}
		kfree(rf);
		return NULL;
	}
	chan_get(c);
	close->handle = rep->handle;
	close->count = rep->id; /* the description's number, for LOCK */
	*rf = (struct rfile){
	    .c = c, .node = n, .handle = rep->handle, .close = close};
	memcpy(rf->path, path, len);
	f->wq = &n->wq;
	f->mode = rep->mode;
	return f;
}

uint64_t rfile_ofd(struct file *f)
{
	return rfile_info(f, NULL, NULL, NULL)
		   ? ((struct rfile *)f->priv)->close->count
		   : 0;
}

bool rfile_info(struct file *f, struct chan **c, uint64_t *handle,
		const char **path)
{
	struct rfile *rf = f->priv;

	if (f->ops != &rfile_ops && f->ops != &fifo_ops)
		return false;
	if (c)
		*c = rf->c;
	if (handle)
		*handle = rf->handle;
	if (path)
		*path = rf->path;
	return true;
}

int rfile_call(struct file *f, struct lux_req *req, struct lux_rep *rep,
	       void *buf, size_t size)
{
	struct rfile *rf = f->priv;

	if ((f->flags & O_PATH) && req->op != LUX_STAT &&
	    req->op != LUX_STATFS) {
		chan_msg_free(req);
		return -EBADF;
	}
	req->handle = rf->handle;
	if (req->op == LUX_LOCK)
		req->count = rf->close->count;
	return chan_call(rf->c, req, rep, buf, size, NULL);
}

struct file *rfile_map(struct file *f, long *r)
{
	bool fifo = f->ops == &fifo_ops; /* maps nothing */
	struct lux_req *req = fifo ? NULL : chan_msg_alloc(LUX_MAP, 0);
	struct lux_rep rep;
	struct file *obj = NULL;

	*r = fifo ? -ENODEV : -ENOMEM;
	if (req) {
		req->handle = ((struct rfile *)f->priv)->handle;
		req->flags = f->flags & O_ACCMODE;
		*r = chan_call(((struct rfile *)f->priv)->c, req, &rep, NULL, 0,
			       (void **)&obj);
	}
	if (!*r && ((*r = rep.result) == -ENOSYS || *r == -EINVAL ||
		    (*r >= 0 && !(obj && memobj_size(obj, NULL)))))
		*r = -ENODEV; /* a server that maps nothing, as Linux says */
	if (*r < 0 && obj)
		file_put(obj);
	return *r < 0 ? NULL : obj;
}

void rfile_unlock(struct file *f)
{
	struct rfile *rf = f ? f->priv : NULL;
	struct lux_req *m;

	if (f && f->ops == &rfile_ops && (m = chan_msg_alloc(LUX_UNLOCK, 0))) {
		m->handle = rf->handle;
		chan_send(rf->c, m);
	}
}

/* fd's file with a reference if it is remote; else NULL and *r is
 * -EBADF (no such descriptor) or -ESPIPE (not seekable). */
static struct file *rfile_get(long fd, long *r)
{
	struct file *f = fd_get(fd);

	*r = f ? 0 : -EBADF;
	if (f && f->ops != &rfile_ops) {
		file_put(f);
		*r = -ESPIPE;
		return NULL;
	}
	return f;
}

/* The size of remote file f, from its server's STAT: >= 0, or -errno. */
static long rfile_size(struct file *f)
{
	struct lux_req *req = chan_msg_alloc(LUX_STAT, 0);
	struct lux_stat st;
	struct lux_rep rep;
	long r = req ? rfile_call(f, req, &rep, &st, sizeof(st)) : -ENOMEM;

	if (!r && (r = rep.result) >= 0)
		r = chan_payload(&rep, sizeof(st)) < sizeof(st) ? -EIO
								: (long)st.size;
	return r;
}

long sys_lseek(long fd, long offset, long whence)
{
	long r, base = 0;
	struct file *f = rfile_get(fd, &r);
	struct rfile *rf = f ? f->priv : NULL;

	if (!f)
		return r;
	if (whence == SEEK_CUR)
		base = rf->pos;
	else if (whence >= SEEK_END && whence <= SEEK_HOLE)
		base = rfile_size(f);
	else if (whence != SEEK_SET)
		r = -EINVAL;
	if (!r && base >= 0 && whence > SEEK_END) { /* no holes: data to EOF */
		r = offset < 0 || offset >= base ? -ENXIO : 0;
		offset = whence == SEEK_HOLE ? 0 : offset - base;
	}
	if (!r && (base < 0 || base + offset < 0))
		r = base < 0 ? base : -EINVAL;
	if (!r)
		r = rf->pos = base + offset;
	file_put(f);
	return r;
}

/* pread64 and pwrite64: at pos, the file position untouched. */
static long prw(long fd, long ubuf, long n, long pos, bool writing)
{
	long r;
	struct file *f = rfile_get(fd, &r);
	unsigned acc = f ? f->flags & O_ACCMODE : 0;
	uint64_t at = pos;

	if (!f)
		return r;
	if (pos < 0 || n < 0)
		r = -EINVAL;
	else if (acc == (writing ? O_RDONLY : O_WRONLY))
		r = -EBADF;
	else
		r = rfile_io(f, (char *)ubuf, n, &at, writing);
	file_put(f);
	return r;
}

long sys_pread64(long fd, long ubuf, long n, long pos)
{
	return prw(fd, ubuf, n, pos, false);
}

long sys_pwrite64(long fd, long ubuf, long n, long pos)
{
	return prw(fd, ubuf, n, pos, true);
}
