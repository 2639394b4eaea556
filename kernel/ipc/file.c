/*
 * file.c - open files, descriptor tables and the calls that work on any
 * descriptor: read, write, readv, writev, close, close_range, dup, dup2,
 * dup3, fcntl, pipe2.
 */
#include "chan.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>

struct file *file_alloc(const struct file_ops *ops, void *priv, unsigned flags)
{
	struct file *f = kzalloc(sizeof(*f));

	if (f)
		*f = (struct file){
		    .ops = ops, .refs = 1, .flags = flags, .priv = priv};
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

/* Apart, so that file_put's usual path stays small enough to inline. */
static NOINLINE void file_release(struct file *f)
{
	sigio_drop(f);
	if (f->ops->release)
		f->ops->release(f);
	kfree(f);
}

/* A user chooses how deep files hold files (a socket queued in a socket
 * queued in ...): releasing them by recursion would let it overflow the
 * kernel stack, so nested releases are queued and drained in a loop. */
void file_put(struct file *f)
{
	struct thread *t = current_thread();

	if (!f)
		return;
	unsigned left = __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
	if (left) {
		if (left == __atomic_load_n(&f->watched, __ATOMIC_RELAXED))
			pset_forget(f);
		if (f->ops->unref)
			f->ops->unref(f);
		return;
	}
	f->next_dying = t->files_dying;
	t->files_dying = f;
	if (t->releasing)
		return;
	t->releasing = true;
	while ((f = t->files_dying)) {
		t->files_dying = f->next_dying;
		file_release(f);
	}
	t->releasing = false;
}

struct fdtable *fdtable_create(void)
{
	struct fdtable *t = kzalloc(sizeof(*t));

	if (t) {
		t->lock = (struct spinlock)SPINLOCK_INIT;
		t->refs = 1;
	}
	return t;
}

struct fdtable *fdtable_copy(struct fdtable *from)
{
	struct fdtable *t = fdtable_create();

	if (!t)
		return NULL;
	spin_lock(&from->lock);
	for (int i = 0; i < FD_MAX; i++)
		if ((t->fd[i] = from->fd[i]))
			file_get(t->fd[i]);
	memcpy(t->cloexec, from->cloexec, sizeof(t->cloexec));
	spin_unlock(&from->lock);
	return t;
}

/* A descriptor of f in table t went (close, dup2 over it, exec, exit):
 * a process that ever locked tells a remote file's server, which drops
 * its POSIX locks on the object, as Linux does at any close. */
static void fd_drop(struct fdtable *t, struct file *f)
{
	if (current_proc()->locked && current_proc()->files == t)
		rfile_unlock(f);
	file_put(f);
}

/* Close the descriptors of t (all, or the close-on-exec ones). */
static void close_fds(struct fdtable *t, bool cloexec_only)
{
	for (unsigned i = 0; i < FD_MAX; i++) {
		spin_lock(&t->lock);
		struct file *f = t->fd[i];
		bool go =
		    f && (!cloexec_only || (t->cloexec[i / 64] >> i % 64 & 1));
		if (go)
			t->fd[i] = NULL;
		t->cloexec[i / 64] &= ~(go ? 1ULL << i % 64 : 0);
		spin_unlock(&t->lock);
		if (go)
			fd_drop(t, f);
	}
}

void fdtable_put(struct fdtable *t)
{
	if (t && !__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL)) {
		close_fds(t, false);
		kfree(t);
	}
}

void fdtable_close_on_exec(struct fdtable *t)
{
	close_fds(t, true);
}

/* Set or clear close-on-exec for fd; t->lock held. */
static void set_cloexec(struct fdtable *t, int fd, bool on)
{
	t->cloexec[fd / 64] = (t->cloexec[fd / 64] & ~(1ULL << fd % 64)) |
			      ((uint64_t)on << fd % 64);
}

/* Descriptors stay below RLIMIT_NOFILE's soft limit (and FD_MAX). */
static int fd_limit(void)
{
	return (int)MIN(current_proc()->rlim[7][0], (uint64_t)FD_MAX);
}

int fd_install(struct file *f, int min, bool cloexec)
{
	struct fdtable *t = current_proc()->files;
	int limit = fd_limit();

	spin_lock(&t->lock);
	for (int fd = MAX(min, 0); fd < limit; fd++)
		if (!t->fd[fd]) {
			t->fd[fd] = f;
			set_cloexec(t, fd, cloexec);
			spin_unlock(&t->lock);
			return fd;
		}
	spin_unlock(&t->lock);
	return -EMFILE;
}

struct file *fd_get(int fd)
{
	struct fdtable *t = current_proc()->files;
	struct file *f = NULL;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	spin_lock(&t->lock);
	if ((f = t->fd[fd]))
		file_get(f);
	spin_unlock(&t->lock);
	return f;
}

/* Run op on fd's file if it was opened for `mode` (O_RDONLY: reading). */
static long rw(int fd, char *ubuf, long n, bool writing)
{
	struct file *f = fd_get(fd);
	unsigned acc = f ? f->flags & O_ACCMODE : 0;
	long r = -EBADF;

	if (!f)
		return -EBADF;
	/* the personality's sendfile: as the program's call */
	uint64_t mask = persona_wait_begin(current_thread());
	if (n < 0)
		r = -EINVAL;
	else if (writing && acc != O_RDONLY && f->ops->write)
		r = f->ops->write(f, ubuf, n);
	else if (!writing && acc != O_WRONLY && f->ops->read)
		r = f->ops->read(f, ubuf, n);
	file_put(f);
	return persona_wait_end(mask, r);
}

long sys_read(long fd, long ubuf, long n)
{
	return rw(fd, (char *)ubuf, n, false);
}

long sys_write(long fd, long ubuf, long n)
{
	return rw(fd, (char *)ubuf, n, true);
}

static long rwv(long fd, long uiov, long iovcnt, bool writing)
{
	long done = 0;

	if (iovcnt < 0 || iovcnt > 1024)
		return -EINVAL;
	for (long i = 0; i < iovcnt; i++) {
		struct {
			long base, len;
		} iov;
		if (copy_from_user(&iov, (char *)uiov + i * sizeof(iov),
				   sizeof(iov)))
			return done ? done : -EFAULT;
		long n = rw(fd, (char *)iov.base, iov.len, writing);
		if (n < 0)
			return done ? done : n;
		done += n;
		if (n < iov.len)
			break; /* a short transfer ends the vector */
	}
	return done;
}

long sys_readv(long fd, long uiov, long iovcnt)
{
	return rwv(fd, uiov, iovcnt, false);
}

long sys_writev(long fd, long uiov, long iovcnt)
{
	return rwv(fd, uiov, iovcnt, true);
}

/* Descriptor arguments are Linux's unsigned int: only the low 32 bits
 * count, and every index below is checked against FD_MAX after that. */
long sys_close(long lfd)
{
	struct fdtable *t = current_proc()->files;
	int fd = (int)lfd;
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->fd[fd];
	t->fd[fd] = NULL;
	spin_unlock(&t->lock);
	if (!f)
		return -EBADF;
	fd_drop(t, f);
	return 0;
}

/* LUX_NR_UNSHARE: see include/lux/proto.h. Its threads read p->files
 * without a lock, so a shared table is replaced only in a process of one
 * thread (else EINVAL, a limit of lux). */
long sys_lux_unshare(void)
{
	struct proc *p = current_proc();
	struct fdtable *t = p->files, *copy;

	if (__atomic_load_n(&t->refs, __ATOMIC_ACQUIRE) == 1)
		return 0;
	if (p->nthreads > 1)
		return -EINVAL;
	if (!(copy = fdtable_copy(t)))
		return -ENOMEM;
	mutex_lock(&proc_lock); /* PROCINFO reads it */
	p->files = copy;
	mutex_unlock(&proc_lock);
	fdtable_put(t);
	return 0;
}

/* Make newfd name oldfd's file (dup2/dup3), closing what it named. */
static long dup_to(long oldfd, long newfd, bool cloexec)
{
	struct fdtable *t = current_proc()->files;
	struct file *f = fd_get(oldfd), *old;

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= fd_limit()) {
		file_put(f);
		return -EBADF;
	}
	spin_lock(&t->lock);
	old = t->fd[newfd];
	t->fd[newfd] = f;
	set_cloexec(t, newfd, cloexec);
	spin_unlock(&t->lock);
	fd_drop(t, old);
	return newfd;
}

long sys_dup3(long oldfd, long newfd, long flags)
{
	if ((int)oldfd == (int)newfd || (flags & ~O_CLOEXEC))
		return -EINVAL;
	return dup_to((int)oldfd, (int)newfd, flags & O_CLOEXEC);
}

long sys_dup2(long oldfd, long newfd)
{
	if ((int)oldfd != (int)newfd)
		return dup_to((int)oldfd, (int)newfd, false);
	return fd_open((int)oldfd) ? (int)newfd : -EBADF;
}

static long dup_from(long fd, long min, bool cloexec)
{
	struct file *f = fd_get(fd);
	int r;

	if (!f)
		return -EBADF;
	if (min < 0 || min >= fd_limit())
		r = -EINVAL;
	else if ((r = fd_install(f, min, cloexec)) >= 0)
		return r;
	file_put(f);
	return r;
}

long sys_dup(long fd)
{
	return dup_from((int)fd, 0, false);
}

/* The descriptor is a C int (Linux: unsigned int): the high half of the
 * register is ignored, before anything is indexed with it. */
long sys_fcntl(long ufd, long cmd, long arg)
{
	struct fdtable *t = current_proc()->files;
	int fd = (int)ufd;
	struct file *f = fd_get(fd);
	long r = 0;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = dup_from(fd, (int)arg, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		r = t->cloexec[fd / 64] >> fd % 64 & 1;
		break;
	case F_SETFD:
		spin_lock(&t->lock);
		set_cloexec(t, fd, arg & FD_CLOEXEC);
		spin_unlock(&t->lock);
		break;
	case F_GETFL:
		r = arch_open_flags(f->flags);
		break;
	case F_SETFL: /* only these three can change after open */
		f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK | O_ASYNC)) |
			   (arg & (O_APPEND | O_NONBLOCK | O_ASYNC));
		r = sigio_fcntl(f, fd, cmd, arg);
		break;
	case F_SETOWN ... F_GETSIG:
	case F_SETOWN_EX:
	case F_GETOWN_EX:
	case LUX_F_LEASE:
		r = sigio_fcntl(f, fd, cmd, arg);
		break;
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ: /* a pipe's or a FIFO's ring */
		r = !pipe_of(f)
			? -EBADF
			: pipe_size(pipe_of(f), cmd == F_GETPIPE_SZ
						    ? -1
						    : (long)(unsigned)arg);
		break;
	default: /* the record locks: the personality's */
		if ((r = persona_reflect()) == -ENOSYS)
			r = -EINVAL;
	}
	file_put(f);
	return r;
}

bool fd_open(int fd)
{
	struct file *f = fd_get(fd);

	file_put(f);
	return f;
}

long fd_install_pair(struct file *ends[2], bool cloexec, long ufds)
{
	int fds[2] = {-1, -1}, r = 0;

	for (int i = 0; i < 2; i++)
		if ((fds[i] = fd_install(ends[i], 0, cloexec)) < 0)
			r = fds[i];
	if (!r && copy_to_user((void *)ufds, fds, sizeof(fds)))
		r = -EFAULT;
	if (r) { /* undo: no descriptor stays open */
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				sys_close(fds[i]);
			else
				file_put(ends[i]);
	}
	return r;
}

long sys_pipe2(long ufds, long flags)
{
	struct file *ends[2];
	int r;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (!user_range((void *)ufds, 2 * sizeof(int)))
		return -EFAULT;
	if ((r = pipe_create(ends, flags & O_NONBLOCK)))
		return r;
	return fd_install_pair(ends, flags & O_CLOEXEC, ufds);
}

long sys_pipe(long ufds)
{
	return sys_pipe2(ufds, 0);
}
