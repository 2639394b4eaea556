/*
 * walk.c - the one resolution loop every path call uses: ask the resolver
 * (lumen), follow its REDIRECT to the server mounted there with the path
 * cut to that server's root, and on a FOLLOW splice the link's target in
 * and start again (at most LINKS_MAX times). Also the current directory
 * and the file of a socket's name: what AF_UNIX names still need (the
 * path calls themselves are the personality's, user/persona/).
 */
#include "chan.h"
#include "fs.h"
#include "mm.h"
#include "proc.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/stat.h>

struct walk *walk_alloc(unsigned op)
{
	struct walk *w = kmalloc(sizeof(*w));

	if (w) {
		w->q = (struct lux_req){.op = op};
		w->npaths = 1;
		w->extra = NULL;
		w->srv = NULL;
		w->path[0][0] = w->path[1][0] = '\0';
	}
	return w;
}

void walk_end(struct walk *w)
{
	if (w && w->srv)
		chan_put(w->srv);
	kfree(w);
}

void fs_cwd(char *buf)
{
	struct proc *p = current_proc();

	spin_lock(&p->sig_lock);
	strlcpy(buf, p->cwd ? p->cwd : "/", LUX_PATH_MAX);
	spin_unlock(&p->sig_lock);
}

int walk_set(struct walk *w, int i, const char *rel)
{
	long r;

	if (rel[0] != '/')
		fs_cwd(w->scratch);
	r = path_normalize(w->path[i], LUX_PATH_MAX, w->scratch, rel);
	return r < 0 ? r : 0;
}

/* Where the path a server sees starts in path when skip bytes (the mount
 * point) are cut: after them and any '/' (a server's paths are relative
 * to its root). The resolver (skip 0) sees the whole absolute path. */
static size_t server_start(const char *path, size_t skip)
{
	while (skip && path[skip] == '/')
		skip++;
	return skip;
}

static struct lux_req *walk_msg(unsigned op, const char *const str[], int n)
{
	size_t len[3], total = 0;

	for (int i = 0; i < n; i++)
		total += len[i] = strlen(str[i]) + 1;
	struct lux_req *req = chan_msg_alloc(op, total);
	char *p = req ? (char *)(req + 1) : NULL;
	for (int i = 0; p && i < n; p += len[i++])
		memcpy(p, str[i], len[i]);
	return req;
}

/* Send w's request to c, each path from server_start on. */
static int send(struct walk *w, struct chan *c, const size_t skip[2],
		struct chan **target)
{
	const char *s[3];
	int n = 0;

	for (; n < w->npaths; n++)
		s[n] = w->path[n] + server_start(w->path[n], skip[n]);
	if (w->extra)
		s[n++] = w->extra;
	struct lux_req *req = walk_msg(w->q.op, s, n);
	if (!req)
		return -ENOMEM;
	req->flags = w->q.flags;
	req->mode = w->q.mode;
	req->off = w->q.off;
	req->count = w->q.count;
	memcpy(req->time, w->q.time, sizeof(req->time));
	if (req->op == LUX_ACCESS && (req->flags & LUX_ACCESS_REAL)) {
		req->uid = current_proc()->cred.uid.real;
		req->gid = current_proc()->cred.gid.real;
	}
	return chan_call(c, req, &w->rep, w->data, sizeof(w->data), target);
}

/* FOLLOW: splice the link's target (the payload) into the path it names,
 * which was sent minus skip[i] bytes. */
static int follow(struct walk *w, const size_t skip[2])
{
	int i = w->rep.off2 ? 1 : 0;
	char *path = w->path[i];
	size_t start = server_start(path, skip[i]);

	if (i >= w->npaths)
		return -EIO;
	if (w->rep.off > strlen(path + start))
		return -EIO;
	int r = path_splice(w->scratch, LUX_PATH_MAX, path, start + w->rep.off,
			    w->data, chan_payload(&w->rep, sizeof(w->data)));
	if (r >= 0)
		memcpy(path, w->scratch, r + 1);
	return r < 0 ? r : 0;
}

long walk_run(struct walk *w, bool keep)
{
	for (int links = 0;;) {
		struct chan *c = chan_resolver(), *t = NULL;
		size_t skip[2] = {0, 0};
		long r;

		if (!c)
			return -ENOENT; /* no file system yet */
		r = send(w, c, skip, &t);
		if (!r && w->rep.op == LUX_REDIRECT) {
			chan_put(c);
			if (!(c = t))
				return w->rep.result < 0 ? w->rep.result : -EIO;
			skip[0] = MIN(w->rep.off, strlen(w->path[0]));
			skip[1] = MIN(w->rep.off2, strlen(w->path[1]));
			r = send(w, c, skip, NULL);
		}
		if (!r && w->rep.op == LUX_FOLLOW) {
			r = ++links > LINKS_MAX ? -ELOOP : follow(w, skip);
			chan_put(c);
			if (r)
				return r;
			continue;
		}
		if (!r && w->rep.op != LUX_REPLY)
			r = -EIO; /* a server redirecting: not its job */
		if (!r && keep)
			w->srv = c;
		else
			chan_put(c);
		return r ? r : w->rep.result;
	}
}

int fs_socket_node(const char *path, bool create, uint64_t node[2])
{
	struct walk *w = walk_alloc(create ? LUX_MKNOD : LUX_STAT);
	const struct lux_stat *st = w ? (const struct lux_stat *)w->data : NULL;
	long r = w ? walk_set(w, 0, path) : -ENOMEM;

	if (!r && create) {
		w->q.mode = LUX_S_IFSOCK | (0777 & ~current_proc()->umask);
		if ((r = walk_run(w, false)) == -EEXIST)
			r = -EADDRINUSE;
		w->q = (struct lux_req){.op = LUX_STAT};
	}
	if (r >= 0 && (r = walk_run(w, false)) >= 0) {
		if (chan_payload(&w->rep, sizeof(w->data)) < sizeof(*st))
			r = -EIO;
		else if ((st->mode & LUX_S_IFMT) != LUX_S_IFSOCK)
			r = -ECONNREFUSED;
		else
			node[0] = st->dev, node[1] = st->ino;
	}
	walk_end(w);
	return r < 0 ? (int)r : 0;
}
