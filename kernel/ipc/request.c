/*
 * request.c - the native calls through which the personality performs the
 * path calls (user/persona/path.c): one request to the resolver or to a
 * server the resolver's descriptor table holds, the path of a directory
 * descriptor, and setting the current directory. The kernel stamps the
 * caller's identity on every request and turns an OPEN's reply into a
 * descriptor; everything else about paths is the personality's.
 */
#include "chan.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/stat.h>

/* The reply payload one call may receive (a READLINK target, MOUNTS). */
#define REQ_PAYLOAD_MAX (2 * LUX_PATH_MAX)

/* The channel target names (LUX_NR_REQUEST) with a reference, or NULL
 * with *r set; *f is the caller's own remote file for LUX_REQ_FD. */
static struct chan *req_target(long target, long gen, struct file **f, long *r)
{
	struct chan *c = NULL;

	*f = NULL;
	*r = -EBADF;
	if (target == LUX_REQ_RESOLVER) {
		if (!(c = chan_resolver()))
			*r = -ENOENT; /* no file system yet */
		return c;
	}
	if (target <= LUX_REQ_FD(0)) { /* by handle: UTIMENS only */
		*f = fd_get(LUX_REQ_FD(0) - target);
		*r = *f ? -EINVAL : -EBADF;
		if (*f && !rfile_info(*f, &c, NULL, NULL)) {
			file_put(*f);
			*f = NULL;
		}
		return NULL;
	}
	c = chan_resolver_fd(target);
	if (gen && !chan_resolver_gen(gen)) { /* after the look-up */
		if (c)
			chan_put(c);
		c = NULL;
		*r = -ESTALE; /* the table changed: ask for it again */
	}
	return c;
}

/* The request at ureq (validated, header and payload) as a message with
 * the caller's identity, or NULL with *r set. */
static struct lux_req *req_copy(long ureq, long *r)
{
	struct lux_req h, *req;
	struct proc *p = current_proc();

	*r = -EFAULT;
	if (copy_from_user(&h, (void *)ureq, sizeof(h)))
		return NULL;
	*r = -EINVAL; /* a path operation (or lumen's) naming no handle */
	if (h.len < sizeof(h) || h.len > LUX_MSG_MAX || !h.op ||
	    h.op > LUX_MOUNTS || (h.op >= LUX_READ && h.op <= LUX_CANCEL))
		return NULL;
	*r = -ENOMEM;
	if (!(req = chan_msg_alloc(h.op, h.len - sizeof(h))))
		return NULL;
	req->flags = h.flags;
	req->mode = h.mode;
	req->off = h.off;
	req->count = h.count;
	memcpy(req->time, h.time, sizeof(h.time));
	if (h.op == LUX_OPEN || h.op == LUX_MKDIR || h.op == LUX_MKNOD)
		req->mode &= ~(p->umask & 0777);
	if (h.op == LUX_ACCESS && (h.flags & LUX_ACCESS_REAL)) {
		req->uid = p->cred.uid.real;
		req->gid = p->cred.gid.real;
	}
	if (!copy_from_user(req + 1, (char *)ureq + sizeof(h),
			    h.len - sizeof(h)))
		return req;
	chan_msg_free(req);
	*r = -EFAULT;
	return NULL;
}

/* OPEN succeeded on c: the reply becomes a descriptor named path (its
 * number in rep->result); a failure closes the object again. */
static void req_open(struct chan *c, struct lux_rep *rep, unsigned flags,
		     const char *path)
{
	struct file *f = rfile_create(
	    c, rep, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH), path);
	long r = f ? fd_install(f, 0, flags & O_CLOEXEC) : -ENOMEM;

	if (f && r < 0)
		file_put(f);
	rep->result = r;
}

/* Send req to c or about remote file f (UTIMENS only) and wait for the
 * reply: 0 with *rep and the payload in buf, or -errno. */
static long req_send(struct chan *c, struct file *f, struct lux_req *req,
		     struct lux_rep *rep, char *buf, size_t size,
		     const char *path)
{
	unsigned flags = req->flags, op = req->op;
	long r;

	if (f && op != LUX_UTIMENS) {
		chan_msg_free(req);
		return -EINVAL;
	}
	struct thread *t = current_thread();
	uint64_t mask = t->sig_blocked;
	bool inside = persona_pc(arch_uregs_pc(arch_uregs(&t->ctx)));
	if (inside) /* the program's signals end the wait, as its call's */
		signal_set_mask(t->persona_mask);
	r = f ? rfile_call(f, req, rep, buf, size)
	      : chan_call(c, req, rep, buf, size, NULL);
	if (inside)
		signal_set_mask(mask);
	if (inside && r == -ERESTARTSYS) /* the program's, once it resumes */
		return -LUX_ERESTART_CALL;
	if (!r && rep->result == -LUX_ERESTART_CALL)
		rep->result = -EIO; /* a server's: it must not loop a program */
	if (!r && !f && op == LUX_OPEN && rep->op == LUX_REPLY &&
	    rep->result >= 0)
		req_open(c, rep, flags, path);
	return r;
}

long sys_lux_request(long target, long gen, long ureq, long ubuf, long size,
		     long upath)
{
	struct lux_rep rep;
	struct file *f;
	long r;
	struct chan *c = req_target(target, gen, &f, &r);
	struct lux_req *req = c || f ? req_copy(ureq, &r) : NULL;
	size_t n = MIN((size_t)size, sizeof(rep) + REQ_PAYLOAD_MAX);
	char *buf = req && size >= (long)sizeof(rep)
			? kmalloc(n - sizeof(rep) + LUX_PATH_MAX)
			: NULL;

	if (req && size < (long)sizeof(rep))
		r = -EINVAL;
	else if (req && !buf)
		r = -ENOMEM;
	else if (req && req->op == LUX_OPEN && upath)
		r = strncpy_from_user(buf, (char *)upath, LUX_PATH_MAX);
	else if (req)
		buf[0] = '\0', r = 0;
	if (r >= 0)
		r = req_send(c, f, req, &rep, buf + LUX_PATH_MAX,
			     n - sizeof(rep), buf);
	else
		chan_msg_free(req);
	if (!r && (copy_to_user((void *)ubuf, &rep, sizeof(rep)) ||
		   copy_to_user((char *)ubuf + sizeof(rep), buf + LUX_PATH_MAX,
				chan_payload(&rep, n - sizeof(rep)))))
		r = -EFAULT; /* a descriptor OPEN made stays: as for open */
	kfree(buf);
	file_put(f);
	if (c)
		chan_put(c);
	return r;
}

long sys_lux_fdpath(long fd, long ubuf, long size)
{
	struct file *f = fd_get(fd);
	const char *path;
	long r = -ENOTDIR;

	if (!f)
		return -EBADF;
	if (rfile_info(f, NULL, NULL, &path) && LUX_S_ISDIR(f->mode)) {
		r = strlen(path);
		if (r >= size)
			r = -ERANGE;
		else if (copy_to_user((void *)ubuf, path, r + 1))
			r = -EFAULT;
	}
	file_put(f);
	return r;
}

long sys_lux_chdir(long upath)
{
	struct proc *p = current_proc();
	char *cwd = kmalloc(LUX_PATH_MAX), *old;
	long r =
	    cwd ? strncpy_from_user(cwd, (char *)upath, LUX_PATH_MAX) : -ENOMEM;

	if (r >= 0 && cwd[0] != '/')
		r = -EINVAL;
	if (r < 0) {
		kfree(cwd);
		return r;
	}
	spin_lock(&p->sig_lock);
	old = p->cwd;
	p->cwd = cwd;
	spin_unlock(&p->sig_lock);
	kfree(old);
	return 0;
}

long sys_getcwd(long ubuf, long size)
{
	char *cwd = kmalloc(LUX_PATH_MAX);
	struct proc *p = current_proc();
	long r;

	if (!cwd)
		return -ENOMEM;
	spin_lock(&p->sig_lock);
	strlcpy(cwd, p->cwd ? p->cwd : "/", LUX_PATH_MAX);
	spin_unlock(&p->sig_lock);
	r = strlen(cwd) + 1;
	if (r > size)
		r = -ERANGE;
	else if (copy_to_user((void *)ubuf, cwd, r))
		r = -EFAULT;
	kfree(cwd);
	return r;
}

long sys_umask(long mask)
{
	return __atomic_exchange_n(&current_proc()->umask, mask & 0777,
				   __ATOMIC_RELAXED);
}
