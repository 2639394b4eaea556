/*
 * runq.h - a CPU's run queue: one FIFO per priority level and a bitmap of
 * the non-empty levels, so the highest ready thread is found in O(1).
 * Pure logic (no locking: the caller holds the owning CPU's scheduler
 * lock); host-tested. Also the per-CPU timer queue, ordered by deadline.
 */
#pragma once

#include "kernel.h"
#include "list.h"

#define NPRIO 64 /* priority levels: 0 lowest .. NPRIO-1 highest */

struct runq {
	uint64_t bitmap; /* bit p set <=> level p is non-empty */
	unsigned count;  /* threads queued */
	struct list level[NPRIO];
};

/* What the run queue needs to know of a thread (embedded in it). */
struct runq_entry {
	struct list link;
	unsigned prio;     /* 0..NPRIO-1 */
	uint64_t affinity; /* bit c set <=> may run on CPU c */
};

void runq_init(struct runq *rq);
/* Queue e at the tail of its level (round robin), or at the head (a
 * thread preempted before its slice ended keeps its place). */
void runq_push(struct runq *rq, struct runq_entry *e, bool front);
/* Unlink e, which must be queued on rq. */
void runq_remove(struct runq *rq, struct runq_entry *e);
/* The highest priority with a queued thread, or -1 when empty. */
int runq_top(const struct runq *rq);
/* Unlink and return the first thread of the highest level, or NULL. */
struct runq_entry *runq_pop(struct runq *rq);
/* For work stealing: unlink and return the first thread, in priority
 * order, whose affinity allows CPU cpu, or NULL. */
struct runq_entry *runq_steal(struct runq *rq, unsigned cpu);

/* A timer: fires at deadline (ns); kept in a per-CPU queue. */
struct timer {
	struct list link;
	uint64_t deadline;
	void (*fn)(struct timer *t);
	bool queued;
	unsigned cpu; /* whose queue holds it (set by timer_start) */
};

struct timerq {
	struct list
	    timers; /* ascending deadline; equal ones in arrival order */
};

void timerq_init(struct timerq *q);
/* Insert t (not queued) in deadline order; true when t became the first,
 * so the hardware timer must be re-armed. */
bool timerq_add(struct timerq *q, struct timer *t);
/* Unlink t if queued. */
void timerq_remove(struct timerq *q, struct timer *t);
/* The earliest deadline, or UINT64_MAX when empty. */
uint64_t timerq_next(const struct timerq *q);
/* Unlink and return the first timer with deadline <= now, or NULL. */
struct timer *timerq_pop_expired(struct timerq *q, uint64_t now);
