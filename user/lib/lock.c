/*
 * lock.c - record locks (fcntl's POSIX and open-file-description locks)
 * and flock locks, kept by the server of the file: one implementation in
 * the server library, so that every server that passes its requests
 * through lux_lock_serve has them (docs/protocol.md, LUX_LOCK).
 *
 * Owners come from the kernel, never from a message's body: a POSIX
 * lock's owner is the request's pid, an OFD or flock lock's the open file
 * description's number, which the kernel stamps in count. A lock is held
 * until its owner releases it, a LUX_UNLOCK says its process closed a
 * descriptor of the object (POSIX), or the last LUX_CLOSE of its
 * description comes (OFD and flock; POSIX locks taken through it too,
 * since their process has closed the file by then). A LOCK_WAIT that
 * must wait is kept, answered 1 ("ask again") once a release lets it
 * through, or dropped on its CANCEL; the server serves others meanwhile.
 *
 * Everything is in two lists (locks held, waits oldest first): a server
 * single-threaded, the numbers bounded by LOCK_OWNER_MAX per owner and
 * LOCK_TOTAL_MAX in all (ENOLCK past them).
 */
#include "lux.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOCK_OWNER_MAX  1024  /* locks and waits of one owner */
#define LOCK_TOTAL_MAX  16384 /* of every owner */
#define LOCK_DEADLK_MAX 16    /* owners followed looking for a cycle */
#define LOCK_END        INT64_MAX

struct lk {
	struct lk *next;
	uint64_t obj;   /* the object's handle */
	uint64_t owner; /* POSIX: the pid; else the description's number */
	uint64_t via;   /* the description it was taken through */
	uint64_t id;    /* a wait: its request */
	int64_t start, end;
	uint32_t kind; /* LUX_LOCK_POSIX, OFD or FLOCK */
	uint32_t type; /* LUX_LOCK_RD or WR */
};

static struct lk *held, *waits;
static unsigned total;
static int lock_fd; /* the channel replies go to */

static bool same_owner(const struct lk *a, const struct lk *b)
{
	return a->obj == b->obj &&
	       (a->kind == LUX_LOCK_POSIX) == (b->kind == LUX_LOCK_POSIX) &&
	       a->owner == b->owner;
}

/* flock locks and record locks never meet. */
static bool same_space(const struct lk *a, const struct lk *b)
{
	return a->obj == b->obj &&
	       (a->kind == LUX_LOCK_FLOCK) == (b->kind == LUX_LOCK_FLOCK);
}

/* The first lock held by another owner that keeps want out, or NULL. */
static struct lk *lock_conflict(const struct lk *want)
{
	for (struct lk *l = held; l; l = l->next)
		if (same_space(l, want) && !same_owner(l, want) &&
		    l->start <= want->end && want->start <= l->end &&
		    (l->type == LUX_LOCK_WR || want->type == LUX_LOCK_WR))
			return l;
	return NULL;
}

/* Locks and waits of want's owner, to bound them. */
static unsigned lock_count(const struct lk *want)
{
	unsigned n = 0;

	for (int i = 0; i < 2; i++)
		for (struct lk *l = i ? waits : held; l; l = l->next)
			n += l->owner == want->owner && l->kind == want->kind;
	return n;
}

static struct lk *lock_new(const struct lk *from)
{
	struct lk *l = malloc(sizeof(*l));

	if (l) {
		*l = *from;
		total++;
	}
	return l;
}

static void lock_free(struct lk **at)
{
	struct lk *l = *at;

	*at = l->next;
	free(l);
	total--;
}

/* Whether l is w's owner's lock of w's kind on w's object. */
static bool lock_mine(const struct lk *l, const struct lk *w)
{
	return same_owner(l, w) && l->kind == w->kind;
}

/* Does w (of its owner) cut one of its owner's locks in two? At most
 * one can be: an owner's locks never overlap. */
static bool lock_splits(const struct lk *w)
{
	for (struct lk *l = held; l; l = l->next)
		if (lock_mine(l, w) && l->type != w->type &&
		    l->start < w->start && l->end > w->end)
			return true;
	return false;
}

/* Put l in the list of locks held, which is kept by start: F_GETLK
 * names the first conflicting lock, the lowest, as Linux. */
static void lock_insert(struct lk *l)
{
	struct lk **at = &held;

	while (*at && (*at)->start < l->start)
		at = &(*at)->next;
	l->next = *at;
	*at = l;
}

/* Give want's owner want's type over want's range (LUX_LOCK_UN: none):
 * its locks there are cut, split or merged with it, as Linux does.
 * 0, or -ENOLCK with nothing changed (an unlock that splits nothing
 * never fails). */
static int lock_apply(const struct lk *want)
{
	struct lk w = *want, *spare[2] = {NULL, NULL}, *l;
	unsigned need = (w.type != LUX_LOCK_UN) + lock_splits(&w), i;

	if (need && (total + need > LOCK_TOTAL_MAX ||
		     lock_count(want) + need > LOCK_OWNER_MAX))
		return -ENOLCK;
	for (i = 0; i < need; i++)
		if (!(spare[i] = lock_new(want))) {
			free(spare[0]); /* only the first can be there */
			total -= i;
			return -ENOLCK;
		}
	for (struct lk **at = &held; (l = *at);) {
		bool touch = l->start <= w.end && w.start <= l->end;
		bool next_to = (w.end < LOCK_END && l->start == w.end + 1) ||
			       (w.start > 0 && l->end == w.start - 1);
		if (!lock_mine(l, &w) ||
		    (!touch && !(next_to && l->type == w.type))) {
			at = &l->next;
		} else if (l->type == w.type) { /* merged into w */
			w.start = l->start < w.start ? l->start : w.start;
			w.end = l->end > w.end ? l->end : w.end;
			lock_free(at);
		} else if (l->start < w.start && l->end > w.end) { /* split */
			struct lk *cut = spare[--need];
			*cut = *l;
			cut->start = w.end + 1;
			l->end = w.start - 1;
			lock_insert(cut);
			break; /* nothing else of the owner's is there */
		} else if (l->start < w.start) {
			l->end = w.start - 1;
			at = &l->next;
		} else if (l->end > w.end) { /* its start moves: in order */
			*at = l->next;
			l->start = w.end + 1;
			lock_insert(l);
		} else {
			lock_free(at);
		}
	}
	if (need) {
		*spare[0] = w;
		lock_insert(spare[0]);
	}
	return 0;
}

/* Would want's wait close a circle of POSIX owners waiting on each
 * other, blocked by b? (Linux follows them the same way.) */
static bool lock_deadlock(const struct lk *want, const struct lk *b)
{
	for (int i = 0; b && i < LOCK_DEADLK_MAX; i++) {
		struct lk *w = waits;
		if (b->kind != LUX_LOCK_POSIX)
			return false;
		if (b->owner == want->owner)
			return true;
		while (w &&
		       !(w->kind == LUX_LOCK_POSIX && w->owner == b->owner))
			w = w->next;
		b = w ? lock_conflict(w) : NULL;
	}
	return false;
}

static void lock_reply(uint64_t id, int64_t result)
{
	struct lux_req q = {.id = id};

	lux_reply(lock_fd, &q, result, NULL, 0);
}

/* Tell every wait on obj that could go now to ask again (answer 1):
 * the lock is taken by the request that follows, never here, so that a
 * wait a signal ended never leaves a lock behind (as Linux's waiters
 * take the lock themselves once woken). */
static void lock_wake(uint64_t obj)
{
	for (struct lk **at = &waits; *at;)
		if ((*at)->obj != obj || lock_conflict(*at)) {
			at = &(*at)->next;
		} else {
			lock_reply((*at)->id, 1);
			lock_free(at);
		}
}

/* Drop the locks of one owner and kind on obj. */
static void lock_drop(uint64_t obj, uint32_t kind, uint64_t owner)
{
	for (struct lk **at = &held; *at;)
		if ((*at)->obj == obj && (*at)->owner == owner &&
		    (*at)->kind == kind)
			lock_free(at);
		else
			at = &(*at)->next;
}

/* The last descriptor of description ofd on obj went: its own locks go,
 * and the POSIX locks taken through it (their process closed the file,
 * which would have sent UNLOCK if memory allowed). */
static void lock_closed(uint64_t obj, uint64_t ofd)
{
	lock_drop(obj, LUX_LOCK_OFD, ofd);
	lock_drop(obj, LUX_LOCK_FLOCK, ofd);
	for (struct lk *l = held; l;)
		if (l->obj == obj && l->kind == LUX_LOCK_POSIX &&
		    l->via == ofd) {
			lock_drop(obj, LUX_LOCK_POSIX, l->owner);
			l = held;
		} else {
			l = l->next;
		}
}

/* A LOCK_GET: the first conflicting lock, or type UN. */
static void lock_get(const struct lux_req *q, struct lk *want)
{
	struct lk *b = lock_conflict(want);
	struct lux_lock a = {.type = LUX_LOCK_UN};

	if (b)
		a = (struct lux_lock){b->start, b->end, b->type,
				      b->kind == LUX_LOCK_POSIX ? (int)b->owner
								: -1};
	lux_reply(lock_fd, q, 0, &a, sizeof(a));
}

/* A LOCK_SET or LOCK_WAIT: the answer, or 1 when it waits. */
static int64_t lock_set(const struct lux_req *q, struct lk *want, bool wait)
{
	struct lk *b = want->type == LUX_LOCK_UN ? NULL : lock_conflict(want);
	struct lk *w;

	if (b && want->kind == LUX_LOCK_FLOCK) { /* as Linux: the old goes */
		lock_drop(want->obj, LUX_LOCK_FLOCK, want->owner);
		lock_wake(want->obj);
	}
	if (!b) {
		int r = lock_apply(want);
		lock_wake(want->obj);
		return r;
	}
	if (!wait)
		return -EAGAIN;
	if (want->kind == LUX_LOCK_POSIX && lock_deadlock(want, b))
		return -EDEADLK;
	if (total + 1 > LOCK_TOTAL_MAX ||
	    lock_count(want) + 1 > LOCK_OWNER_MAX || !(w = lock_new(want)))
		return -ENOLCK;
	w->id = q->id;
	w->next = NULL;
	struct lk **at = &waits;
	while (*at)
		at = &(*at)->next;
	*at = w;
	return 1;
}

/* A LOCK request: its fields checked and turned into a lock wanted. */
static void lock_request(const struct lux_req *q, const void *data, size_t n)
{
	struct lux_lock a;
	uint32_t what = q->flags & 3, kind = q->flags & ~3u;
	int64_t r;

	if (n < sizeof(a) || what > LUX_LOCK_WAIT ||
	    (kind != LUX_LOCK_POSIX && kind != LUX_LOCK_OFD &&
	     kind != LUX_LOCK_FLOCK)) {
		lux_reply(lock_fd, q, -EINVAL, NULL, 0);
		return;
	}
	memcpy(&a, data, sizeof(a));
	struct lk want = {.obj = q->handle,
			  .owner = kind == LUX_LOCK_POSIX ? (uint64_t)q->pid
							  : q->count,
			  .via = q->count,
			  .start = a.start,
			  .end = a.end,
			  .kind = kind,
			  .type = a.type};
	if (a.start < 0 || a.end < a.start || a.type > LUX_LOCK_UN ||
	    (what == LUX_LOCK_GET && a.type == LUX_LOCK_UN))
		r = -EINVAL;
	else if (what == LUX_LOCK_GET)
		return lock_get(q, &want);
	else if ((r = lock_set(q, &want, what == LUX_LOCK_WAIT)) > 0)
		return; /* answered when it can go */
	lux_reply(lock_fd, q, r, NULL, 0);
}

/*
 * Leases (fcntl's F_SETLEASE and F_GETLEASE, docs/decisions/0040): a
 * lease belongs to an open file description, so every open of every
 * object is counted here (lux_lease_open) with its description's number,
 * the OPEN's id, which the kernel puts in the description's LOCK and
 * CLOSE. An open or truncate the lease is in the way of starts a break:
 * the holder's owner is signalled (a LUX_NOTIFY naming the description),
 * and the request is parked, its reply left unsent, until the lease is
 * released, downgraded, closed or timed out; then it is answered
 * -LUX_ELEASE, "ask again", and the personality sends it again. So a
 * parked request a signal cancels leaves nothing, and the server serves
 * others meanwhile.
 */
#define LEASE_BREAK_MS 45000 /* Linux's lease-break-time */
#define LEASE_NONE     3     /* no break going on */

struct opn {
	struct opn *next;
	uint64_t obj, ofd; /* the object; the description's number */
	uint32_t acc;      /* its access mode */
	uint32_t lease;    /* LUX_LOCK_RD, WR, or UN: none */
	uint32_t to;       /* a break's end: LUX_LOCK_RD or UN; LEASE_NONE */
	int64_t deadline;  /* a break's: ms of the monotonic clock */
};

struct park {
	struct park *next;
	uint64_t obj, id;
	bool writing;
};

static struct opn *opens;
static struct park *parked;
static int64_t soonest = INT64_MAX; /* no break ends before (a bound) */
int (*lux_lease_owner)(uint64_t obj, uint32_t *uid);

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Whether a lease on obj keeps out an open (writing or not). */
static bool lease_held(uint64_t obj, bool writing)
{
	for (struct opn *o = opens; o; o = o->next)
		if (o->obj == obj && o->lease != LUX_LOCK_UN &&
		    (writing || o->lease == LUX_LOCK_WR))
			return true;
	return false;
}

/* Tell the requests parked on obj that nothing holds them up now to ask
 * again. */
static void lease_wake(uint64_t obj)
{
	for (struct park **at = &parked, *p; (p = *at);)
		if (p->obj == obj && !lease_held(obj, p->writing)) {
			lock_reply(p->id, -LUX_ELEASE);
			*at = p->next;
			free(p);
		} else {
			at = &p->next;
		}
}

int lux_lease_break(int fd, const struct lux_req *q, uint64_t obj, bool writing)
{
	uint32_t to = writing ? LUX_LOCK_UN : LUX_LOCK_RD;
	struct park *p;

	lock_fd = fd;
	if (!lease_held(obj, writing))
		return 0;
	for (struct opn *o = opens; o; o = o->next) {
		/* As Linux: a break to read does not start over a break, a
		 * break to unlocked over a break to read. */
		if (o->obj != obj || o->lease == LUX_LOCK_UN ||
		    (!writing && o->lease == LUX_LOCK_RD) || o->to == to ||
		    o->to == LUX_LOCK_UN)
			continue;
		o->to = to;
		o->deadline = now_ms() + LEASE_BREAK_MS;
		soonest = o->deadline < soonest ? o->deadline : soonest;
		struct lux_rep r = {
		    .op = LUX_NOTIFY, .handle = obj, .off = o->ofd};
		lux_reply_full(fd, NULL, &r, NULL, 0); /* the holder's signal */
	}
	if (q->flags & LUX_O_NONBLOCK)
		return -EWOULDBLOCK;
	if (!(p = malloc(sizeof(*p))))
		return -ENOMEM;
	*p = (struct park){parked, obj, q->id, writing};
	parked = p;
	return -LUX_PARKED;
}

int lux_lease_open(int fd, const struct lux_req *q, uint64_t obj)
{
	uint32_t acc = q->flags & LUX_O_ACCMODE;
	struct opn *o;
	int r;

	if (q->flags & LUX_O_PATH)
		return 0; /* no access: takes no lease, breaks none */
	if ((r = lux_lease_break(fd, q, obj, acc != LUX_O_RDONLY)))
		return r;
	if (!(o = malloc(sizeof(*o))))
		return -ENOMEM;
	*o = (struct opn){opens, obj, q->id, acc, LUX_LOCK_UN, LEASE_NONE, 0};
	opens = o;
	return 0;
}

int lux_lease_timeout(void)
{
	int64_t now, next = INT64_MAX;

	if (soonest == INT64_MAX) /* every request asks: no walk */
		return -1;
	if ((now = now_ms()) < soonest)
		return (int)(soonest - now);
	for (struct opn *o = opens; o; o = o->next)
		if (o->to != LEASE_NONE && o->deadline <= now) {
			o->lease = o->to; /* broken by force */
			o->to = LEASE_NONE;
			lease_wake(o->obj);
		} else if (o->to != LEASE_NONE && o->deadline < next) {
			next = o->deadline;
		}
	soonest = next;
	return next == INT64_MAX ? -1 : (int)(next - now);
}

/* F_SETLEASE (type RD, WR or UN) of description ofd on obj, by q's
 * caller: the owner of the file or root, no open of another in the way. */
static int64_t lease_set(const struct lux_req *q, struct opn *me, uint32_t type)
{
	uint32_t uid;
	int r = lux_lease_owner ? lux_lease_owner(q->handle, &uid) : -EINVAL;

	if (r >= 0 && q->uid && q->uid != uid)
		r = -EACCES;
	if (r < 0 || type > LUX_LOCK_UN)
		return r < 0 ? r : -EINVAL;
	if (!me || (type == LUX_LOCK_UN && me->lease == LUX_LOCK_UN) ||
	    (type == LUX_LOCK_WR && me->to != LEASE_NONE) ||
	    (type == LUX_LOCK_RD && me->acc != LUX_O_RDONLY))
		return -EAGAIN;
	for (struct opn *o = opens; o && type != LUX_LOCK_UN; o = o->next)
		if (o != me && o->obj == me->obj &&
		    (type == LUX_LOCK_WR || o->acc != LUX_O_RDONLY ||
		     o->to == LUX_LOCK_UN))
			return -EAGAIN; /* as Linux: opens of others */
	if (type == LUX_LOCK_UN || me->to == type)
		me->to = LEASE_NONE; /* the break is over */
	me->lease = type;
	lease_wake(me->obj);
	return 0;
}

/* A LOCK of kind LUX_LOCK_LEASE: SET, or GET (the lease's type, or the
 * type a break brings it to). */
static void lease_request(const struct lux_req *q, const void *data, size_t n)
{
	struct opn *me = opens;
	struct lux_lock a = {.type = LUX_LOCK_UN};

	while (me && (me->obj != q->handle || me->ofd != q->count))
		me = me->next;
	if ((q->flags & 3) == LUX_LOCK_GET) {
		if (me)
			a.type = me->to != LEASE_NONE ? me->to : me->lease;
		lux_reply(lock_fd, q, 0, &a, sizeof(a));
		return;
	}
	if (n >= sizeof(a))
		memcpy(&a, data, sizeof(a));
	lux_reply(lock_fd, q,
		  n < sizeof(a) || (q->flags & 3) != LUX_LOCK_SET
		      ? -EINVAL
		      : lease_set(q, me, a.type),
		  NULL, 0);
}

/* Description ofd of obj is closed: its lease goes. */
static void lease_closed(uint64_t obj, uint64_t ofd)
{
	for (struct opn **at = &opens, *o; (o = *at);)
		if (o->obj == obj && o->ofd == ofd) {
			*at = o->next;
			free(o);
		} else {
			at = &o->next;
		}
	lease_wake(obj);
}

void lux_lease_forget(const struct lux_req *q, uint64_t obj)
{
	lease_closed(obj, q->id);
}

bool lux_lock_serve(int fd, const struct lux_req *q, const void *data, size_t n)
{
	lock_fd = fd;
	switch (q->op) {
	case LUX_LOCK:
		if ((q->flags & ~3u) == LUX_LOCK_LEASE)
			lease_request(q, data, n);
		else
			lock_request(q, data, n);
		return true;
	case LUX_UNLOCK:
		lock_drop(q->handle, LUX_LOCK_POSIX, (uint64_t)q->pid);
		lock_wake(q->handle);
		return true;
	case LUX_CLOSE:
		lock_closed(q->handle, q->count);
		lock_wake(q->handle);
		lease_closed(q->handle, q->count);
		return false;
	case LUX_CANCEL:
		for (struct park **at = &parked; *at; at = &(*at)->next)
			if ((*at)->id == q->id) {
				struct park *p = *at;
				*at = p->next;
				free(p);
				break;
			}
		for (struct lk **at = &waits; *at; at = &(*at)->next)
			if ((*at)->id == q->id) {
				lock_free(at);
				break;
			}
		return false;
	default:
		return false;
	}
}
