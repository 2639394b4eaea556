/*
 * runq.c - the run queue (a FIFO per priority level plus a bitmap of the
 * non-empty levels) and the per-CPU timer queue. Pure logic: the caller
 * holds the lock that guards the queue; nothing here allocates.
 */
#include "runq.h"

void runq_init(struct runq *rq)
{
	rq->bitmap = 0;
	rq->count = 0;
	for (unsigned p = 0; p < NPRIO; p++)
		list_init(&rq->level[p]);
}

void runq_push(struct runq *rq, struct runq_entry *e, bool front)
{
	assert(e->prio < NPRIO);
	if (front)
		list_push_front(&rq->level[e->prio], &e->link);
	else
		list_push_back(&rq->level[e->prio], &e->link);
	rq->bitmap |= 1ULL << e->prio;
	rq->count++;
}

/* Unlink e and clear its level's bit if that emptied the level. */
void runq_remove(struct runq *rq, struct runq_entry *e)
{
	list_remove(&e->link);
	if (list_empty(&rq->level[e->prio]))
		rq->bitmap &= ~(1ULL << e->prio);
	rq->count--;
}

int runq_top(const struct runq *rq)
{
	if (rq->bitmap == 0)
		return -1;
	return 63 - __builtin_clzll(rq->bitmap);
}

struct runq_entry *runq_pop(struct runq *rq)
{
	int top = runq_top(rq);
	if (top < 0)
		return NULL;
	struct runq_entry *e =
	    container_of(rq->level[top].next, struct runq_entry, link);
	runq_remove(rq, e);
	return e;
}

/* Levels are visited from the highest non-empty one down, skipping empty
 * ones through the bitmap; within a level, from the head. */
struct runq_entry *runq_steal(struct runq *rq, unsigned cpu)
{
	uint64_t allowed = cpu < 64 ? 1ULL << cpu : 0;
	for (uint64_t levels = rq->bitmap; levels != 0;) {
		int p = 63 - __builtin_clzll(levels);
		struct list *l = &rq->level[p];
		for (struct list *it = l->next; it != l; it = it->next) {
			struct runq_entry *e =
			    container_of(it, struct runq_entry, link);
			if (e->affinity & allowed) {
				runq_remove(rq, e);
				return e;
			}
		}
		levels &= ~(1ULL << p);
	}
	return NULL;
}

void timerq_init(struct timerq *q)
{
	list_init(&q->timers);
}

/* Insert after every timer with a deadline <= t's, so equal deadlines fire
 * in the order they were added. */
bool timerq_add(struct timerq *q, struct timer *t)
{
	struct list *at = q->timers.prev;
	while (at != &q->timers &&
	       container_of(at, struct timer, link)->deadline > t->deadline)
		at = at->prev;
	list_insert(&t->link, at, at->next);
	t->queued = true;
	return at == &q->timers;
}

void timerq_remove(struct timerq *q, struct timer *t)
{
	(void)q;
	if (!t->queued)
		return;
	list_remove(&t->link);
	t->queued = false;
}

uint64_t timerq_next(const struct timerq *q)
{
	if (list_empty(&q->timers))
		return UINT64_MAX;
	return container_of(q->timers.next, struct timer, link)->deadline;
}

struct timer *timerq_pop_expired(struct timerq *q, uint64_t now)
{
	/* Test emptiness first: UINT64_MAX is also a valid deadline. */
	if (list_empty(&q->timers) || timerq_next(q) > now)
		return NULL;
	struct timer *t = container_of(q->timers.next, struct timer, link);
	timerq_remove(q, t);
	return t;
}
