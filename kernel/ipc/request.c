/*
 * request.c - the native calls through which the personality performs the
 * path calls (user/persona/path.c) and the calls on descriptors
 * (user/persona/fdcalls.c): one request to the resolver, to a server the
 * resolver's descriptor table holds, or about a descriptor's object; the
 * path of a directory descriptor, and setting the current directory. The
 * kernel stamps the caller's identity on every request, checks what only
 * it knows (a descriptor's access mode), answers for its own objects and
 * turns an OPEN's reply into a descriptor; everything else about paths
 * and descriptors is the personality's.
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
 * with *r set; *f is the caller's own file for LUX_REQ_FD (any kind). */
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
	if (target <= LUX_REQ_FD(0)) { /* a descriptor's object */
		*f = fd_get(LUX_REQ_FD(0) - target);
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

/* The operations a request may carry: [0] on a path (handle 0), OPEN to
 * STATFS and lumen's MOUNT, UMOUNT, MOUNTS; [1] about a descriptor's
 * object (LUX_REQ_FD), by its handle. */
static const uint32_t req_ops[2] = {
    ((1u << (LUX_STATFS + 1)) - 2) | 7u << LUX_MOUNT,
    1u << LUX_STAT | 1u << LUX_CHMOD | 1u << LUX_CHOWN | 1u << LUX_UTIMENS |
	1u << LUX_TRUNCATE | 1u << LUX_STATFS | 1u << LUX_GETDENTS |
	1u << LUX_IOCTL | 1u << LUX_FSYNC | 1u << LUX_LOCK};

/* The request at ureq (validated, header and payload; by_fd: about a
 * descriptor) as a message with the caller's identity, or NULL with *r
 * set. */
static struct lux_req *req_copy(long ureq, bool by_fd, long *r)
{
	struct lux_req h, *req;
	struct proc *p = current_proc();

	*r = -EFAULT;
	if (copy_from_user(&h, (void *)ureq, sizeof(h)))
		return NULL;
	*r = -EINVAL;
	if (h.len < sizeof(h) || h.len > LUX_MSG_MAX || h.op >= 32 ||
	    !(req_ops[by_fd] >> h.op & 1))
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
 * number in rep->result), keeping the open flags Linux keeps for F_GETFL;
 * a failure closes the object again. A FIFO's open waits for its partner
 * (rfile_fifo): interrupted, the call's error is returned. */
static long req_open(struct chan *c, struct lux_rep *rep, unsigned flags,
		     const char *path)
{
	struct file *f = rfile_create(
	    c, rep,
	    flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH | LUX_O_DIRECT |
		     LUX_O_LARGEFILE | LUX_O_DIRECTORY | LUX_O_NOFOLLOW),
	    path);
	long r = !f                                             ? -ENOMEM
		 : LUX_S_ISFIFO(rep->mode) && !(flags & O_PATH) ? rfile_fifo(f)
								: 0;

	if (!r)
		r = fd_install(f, 0, flags & O_CLOEXEC);
	if (f && r < 0)
		file_put(f);
	rep->result = r;
	return r == -LUX_ERESTART_CALL || r == -ERESTARTSYS ? r : 0;
}

/* A request about f, one of the kernel's own objects (a pipe, a socket,
 * a memory object, the log): STAT from what the descriptor holds (its
 * identity is the object's address), TRUNCATE of a memory object; 0 with
 * *rep and the payload in buf (size bytes), or -EINVAL for anything
 * else. Consumes req. */
static long req_local(struct file *f, struct lux_req *req, struct lux_rep *rep,
		      char *buf, size_t size)
{
	struct lux_stat st = {.nlink = 1,
			      .blksize = 4096,
			      .mode = f->mode,
			      .ino = (uintptr_t)f->priv >> 4,
			      .dev = 0xf,
			      .uid = req->uid,
			      .gid = req->gid};
	unsigned op = req->op;
	int64_t size_to = req->off;
	long r = -EINVAL;

	chan_msg_free(req);
	*rep = (struct lux_rep){.op = LUX_REPLY, .len = sizeof(*rep)};
	if (op == LUX_STAT) {
		memobj_size(f, &st.size);
		memcpy(buf, &st, MIN(size, sizeof(st)));
		rep->len += sizeof(st);
		r = 0;
	} else if (op == LUX_TRUNCATE && size_to >= 0 && memobj_size(f, NULL)) {
		r = memobj_resize(f, size_to);
	}
	return r;
}

uint64_t persona_wait_swap(struct thread *t)
{
	uint64_t mask = t->sig_blocked;

	if (!persona_pc(arch_uregs_pc(arch_uregs(&t->ctx))))
		return 0;
	signal_set_mask(t->persona_mask);
	return mask;
}

long persona_wait_restart(uint64_t mask, long r)
{
	signal_set_mask(mask);
	return r == -ERESTARTSYS ? -LUX_ERESTART_CALL : r;
}

/* Send req to c or about f (a remote file's server, or req_local) and
 * wait for the reply: 0 with *rep and the payload in buf, or -errno. */
static long req_send(struct chan *c, struct file *f, struct lux_req *req,
		     struct lux_rep *rep, char *buf, size_t size,
		     const char *path)
{
	unsigned flags = req->flags, op = req->op;
	long r;

	if (f && op == LUX_TRUNCATE &&
	    (f->flags & (O_ACCMODE | O_PATH)) == O_RDONLY) {
		chan_msg_free(req); /* as Linux: open for writing, or EINVAL */
		return -EINVAL;
	}
	if (f && !rfile_info(f, NULL, NULL, NULL))
		return req_local(f, req, rep, buf, size);
	current_proc()->locked |= op == LUX_LOCK; /* see fd_drop */
	uint64_t mask = persona_wait_begin(current_thread());
	r = persona_wait_end(mask, f ? rfile_call(f, req, rep, buf, size)
				     : chan_call(c, req, rep, buf, size, NULL));
	if (!r && rep->result == -LUX_ERESTART_CALL)
		rep->result = -EIO; /* a server's: it must not loop a program */
	if (!r && !f && op == LUX_OPEN && rep->op == LUX_REPLY &&
	    rep->result >= 0)
		r = req_open(c, rep, flags, path);
	return r;
}

/* Whether s, an absolute path with no "." or ".." component, is the
 * clean absolute path r or lies below it. */
static bool req_below(const char *s, const char *r)
{
	size_t n = r[1] ? strlen(r) : 0; /* "/" holds every path */

	for (const char *c = s; (c = strstr(c, "/.")); c++)
		if (!c[2] || c[2] == '/' ||
		    (c[2] == '.' && (!c[3] || c[3] == '/')))
			return false;
	return *s == '/' && !strncmp(s, r, n) && (!s[n] || s[n] == '/');
}

/* 0 if p may name path s, or -ENOENT: a chrooted process only paths at
 * or below its root, unless base (LUX_REQ_BASE) is a directory it holds
 * outside the root (its current one, or a descriptor's), from which it
 * could climb anywhere with "..", as on Linux. */
static long req_jail(struct proc *p, const char *s, long base)
{
	struct file *f = base > 1 ? fd_get(base - LUX_REQ_BASE(0)) : NULL;
	const char *from = NULL;
	bool ok;

	if (f && !(rfile_info(f, NULL, NULL, &from) && LUX_S_ISDIR(f->mode)))
		from = NULL;
	spin_lock(&p->sig_lock);
	if (base == LUX_REQ_BASE(-100)) /* AT_FDCWD */
		from = p->cwd ? p->cwd : "/";
	ok = !p->root || req_below(s, p->root) ||
	     (from && !req_below(from, p->root));
	spin_unlock(&p->sig_lock);
	file_put(f);
	return ok ? 0 : -ENOENT;
}

/* A chrooted caller's path request req to the resolver *c: routed by
 * the resolver, its paths checked (req_jail, from base; any clean one on
 * a mount lumen says every root reaches), and *c made the
 * server its REDIRECT names, each path cut as the server sees it (by
 * skip[i] bytes, from which a FOLLOW's offset then counts) and path 0,
 * the name of the descriptor OPEN makes, into name. 0 or -errno; req is
 * the caller's still. */
static long req_route(struct proc *p, long base, struct chan **c,
		      struct lux_req *req, char *name, size_t skip[2])
{
	size_t len = req->len - sizeof(*req), k = 0, off[2];
	int n = req->op == LUX_RENAME || req->op == LUX_LINK ? 2 : 1;
	char *s = (char *)(req + 1), *path[2], *to = s;
	struct lux_req *q = chan_msg_alloc(req->op, len);
	struct lux_rep rep;
	long r = q ? 0 : -ENOMEM;

	for (int i = 0; i < n && !r; i++) {
		for (path[i] = s + k; k < len && s[k]; k++)
			;
		r = k++ < len ? 0 : -EINVAL;
	}
	if (r) {
		chan_msg_free(q);
		return r;
	}
	memcpy(q + 1, s, len);
	uint64_t mask = persona_wait_begin(current_thread());
	r = persona_wait_end(mask, chan_call(*c, q, &rep, NULL, 0, NULL));
	bool any =
	    !r && rep.op == LUX_REDIRECT && (rep.mode & LUX_REDIRECT_ANY_ROOT);
	for (int i = 0; i < n && !r; i++) /* before lumen's errors */
		r = any && req_below(path[i], "/") ? 0
						   : req_jail(p, path[i], base);
	if (!r && (rep.op != LUX_REDIRECT || rep.result < 0))
		r = rep.op == LUX_REPLY && rep.result < 0 ? rep.result : -EIO;
	if (r)
		return r;
	chan_put(*c);
	struct file *f; /* a server by lumen's word: never a descriptor */
	if (!(*c = req_target(rep.result, rep.handle, &f, &r)))
		return r;
	strlcpy(name, path[0], LUX_PATH_MAX);
	off[0] = rep.off, off[1] = rep.off2;
	for (int i = 0; i < n; i++) { /* as the personality (path.c) cuts */
		size_t l = strlen(path[i]), cut = MIN(off[i], l);
		while (cut && path[i][cut] == '/')
			cut++;
		memmove(to, path[i] + cut, l - cut + 1);
		to += l - cut + 1, skip[i] = cut;
	}
	memmove(to, s + k, len - k); /* SYMLINK's target as it is */
	req->len -= (s + k) - to;
	return 0;
}

long sys_lux_request(long target, long gen, long ureq, long ubuf, long size,
		     long upath)
{
	struct lux_rep rep;
	struct file *f = NULL;
	struct proc *p = current_proc();
	bool jail = p->root && target > LUX_REQ_FD(0); /* not by descriptor */
	size_t skip[2] = {0, 0};
	long r = -ESTALE; /* a server directly: only by the resolver's word */
	struct chan *c = jail && target != LUX_REQ_RESOLVER
			     ? NULL
			     : req_target(target, gen, &f, &r);
	struct lux_req *req = c || f ? req_copy(ureq, f != NULL, &r) : NULL;
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
	if (r >= 0 && jail && req->op < LUX_READ)
		r = req_route(p, gen, &c, req, buf, skip);
	if (r >= 0)
		r = req_send(c, f, req, &rep, buf + LUX_PATH_MAX,
			     n - sizeof(rep), buf);
	else
		chan_msg_free(req);
	if (!r && rep.op == LUX_FOLLOW)
		rep.off += skip[rep.off2 ? 1 : 0];
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

/* LUX_NR_CHDIR and LUX_NR_ROOT (include/lux/proto.h) on *dir, p's
 * current directory or root. The string is copied or replaced under
 * sig_lock: another thread's call frees the old one. */
static long req_dir(struct proc *p, char **dir, long upath, long size,
		    long base)
{
	char *cwd = kmalloc(LUX_PATH_MAX), *old = cwd;
	long r = !cwd   ? -ENOMEM
		 : size ? 0
			: strncpy_from_user(cwd, (char *)upath, LUX_PATH_MAX);

	if (r >= 0 && !size && cwd[0] != '/')
		r = -EINVAL;
	if (r >= 0 && !size && dir == &p->cwd) /* a chrooted one's: inside */
		r = req_jail(p, cwd, base);
	if (r >= 0) {
		spin_lock(&p->sig_lock);
		if (size)
			strlcpy(cwd, *dir ? *dir : "/", LUX_PATH_MAX);
		else /* a root of "/" is none */
			old = *dir,
			*dir = cwd[1] || dir == &p->cwd ? cwd : NULL;
		spin_unlock(&p->sig_lock);
		r = size ? (long)strlen(cwd) + 1 : 0;
	}
	if (r > size && size) /* read: with its NUL */
		r = -ERANGE;
	else if (r > 0 && copy_to_user((void *)upath, cwd, r))
		r = -EFAULT;
	kfree(size || r < 0 ? cwd : old);
	if (!size && !r && !cwd[1] && dir == &p->root)
		kfree(cwd);
	return r;
}

long sys_lux_chdir(long upath, long size, long base)
{
	return req_dir(current_proc(), &current_proc()->cwd, upath, size, base);
}

/* Setting the root is root's: Linux's CAP_SYS_CHROOT. */
long sys_lux_root(long upath, long size)
{
	struct proc *p = current_proc();

	return !size && p->cred.uid.eff ? -EPERM
					: req_dir(p, &p->root, upath, size, 0);
}

long sys_umask(long mask)
{
	return __atomic_exchange_n(&current_proc()->umask, mask & 0777,
				   __ATOMIC_RELAXED);
}
