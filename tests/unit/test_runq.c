/*
 * test_runq.c - the run queue and the timer queue (sched/runq.c): priority
 * order over all 64 levels, FIFO and front insertion within a level,
 * removal and the bitmap, stealing by affinity, timers in deadline order,
 * and random sequences of operations checked against simple models.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "host.h"
#include "runq.h"

#define NENT 256

static struct runq rq;
static struct runq_entry ent[NENT];

static unsigned idx(const struct runq_entry *e)
{
	return (unsigned)(e - ent);
}

/* xorshift64: the same sequence on every run, so a failure repeats. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The links of every level are consistent, each entry sits at its own
 * level, bit p is set exactly when level p is non-empty, and count is the
 * number of entries on all levels. */
static void check_invariant(const struct runq *q)
{
	unsigned total = 0;

	for (unsigned p = 0; p < NPRIO; p++) {
		const struct list *l = &q->level[p];
		unsigned n = 0;

		for (const struct list *it = l->next; it != l; it = it->next) {
			assert_ptr_equal(it->next->prev, it);
			assert_int_equal(
			    container_of(it, struct runq_entry, link)->prio, p);
			assert_true(++n <= NENT);
		}
		assert_ptr_equal(l->next->prev, l);
		assert_int_equal((q->bitmap >> p) & 1, n != 0);
		total += n;
	}
	assert_int_equal(q->count, total);
}

/* Level p of rq must hold exactly the n entries (indices) in want. */
static void check_level(unsigned p, const unsigned *want, unsigned n)
{
	const struct list *l = &rq.level[p];
	const struct list *it = l->next;

	for (unsigned i = 0; i < n; i++, it = it->next) {
		assert_ptr_not_equal(it, l);
		assert_int_equal(idx(container_of(it, struct runq_entry, link)),
				 want[i]);
	}
	assert_ptr_equal(it, l);
}

#define CHECK_LEVEL(p, ...)                                                    \
	check_level(p, (unsigned[]){__VA_ARGS__},                              \
		    sizeof((unsigned[]){__VA_ARGS__}) / sizeof(unsigned))

static void push(unsigned i, unsigned prio, bool front)
{
	ent[i].prio = prio;
	runq_push(&rq, &ent[i], front);
	check_invariant(&rq);
}

/* Pop and check that entry i came out. */
static void pop_expect(unsigned i)
{
	struct runq_entry *e = runq_pop(&rq);

	assert_non_null(e);
	assert_int_equal(idx(e), i);
	check_invariant(&rq);
}

static int setup_runq(void **state)
{
	(void)state;
	runq_init(&rq);
	for (unsigned i = 0; i < NENT; i++) {
		list_init(&ent[i].link);
		ent[i].prio = 0;
		ent[i].affinity = UINT64_MAX;
	}
	return 0;
}

static void test_empty(void **state)
{
	(void)state;
	check_invariant(&rq);
	assert_int_equal(rq.bitmap, 0);
	assert_int_equal(rq.count, 0);
	assert_int_equal(runq_top(&rq), -1);
	assert_null(runq_pop(&rq));
	assert_null(runq_steal(&rq, 0));
	assert_int_equal(rq.count, 0);

	/* Empty again after one entry went in and out. */
	push(0, 17, false);
	pop_expect(0);
	assert_int_equal(rq.bitmap, 0);
	assert_int_equal(runq_top(&rq), -1);
	assert_null(runq_pop(&rq));
}

/* One entry on every level, pushed in a scrambled order, comes out from
 * level 63 down to level 0. */
static void test_priority_order(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NPRIO; i++) {
		unsigned p = (i * 37 + 11) % NPRIO;

		push(p, p, i % 2);
		assert_int_equal(rq.count, i + 1);
	}
	assert_int_equal(rq.bitmap, UINT64_MAX);
	for (int p = NPRIO - 1; p >= 0; p--) {
		assert_int_equal(runq_top(&rq), p);
		pop_expect((unsigned)p);
		assert_int_equal(rq.count, (unsigned)p);
		assert_int_equal(rq.bitmap, p ? (1ULL << p) - 1 : 0);
	}
	assert_int_equal(runq_top(&rq), -1);
	assert_null(runq_pop(&rq));
}

/* Only the lowest and the highest levels. */
static void test_levels_0_and_63(void **state)
{
	(void)state;
	push(0, 0, false);
	assert_int_equal(runq_top(&rq), 0);
	assert_int_equal(rq.bitmap, 1);
	push(1, 63, false);
	assert_int_equal(runq_top(&rq), 63);
	assert_int_equal(rq.bitmap, (1ULL << 63) | 1);
	pop_expect(1);
	assert_int_equal(runq_top(&rq), 0);
	pop_expect(0);
	assert_int_equal(runq_top(&rq), -1);
}

static void test_fifo_within_level(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 5; i++)
		push(i, 9, false);
	push(5, 3, false);
	CHECK_LEVEL(9, 0, 1, 2, 3, 4);

	/* Round robin: the one that ran goes to the back. */
	for (unsigned round = 0; round < 12; round++) {
		struct runq_entry *e = runq_pop(&rq);

		assert_non_null(e);
		assert_int_equal(idx(e), round % 5);
		runq_push(&rq, e, false);
		check_invariant(&rq);
		assert_int_equal(rq.count, 6);
	}
	CHECK_LEVEL(9, 2, 3, 4, 0, 1);
	for (unsigned i = 0; i < 5; i++)
		pop_expect((i + 2) % 5);
	assert_int_equal(runq_top(&rq), 3);
	pop_expect(5);
}

static void test_front_insertion(void **state)
{
	(void)state;
	push(0, 20, false);
	push(1, 20, false);
	push(2, 20, true);
	push(3, 20, false);
	push(4, 20, true);
	push(5, 21, true); /* alone on its level: front or back alike */
	push(6, 19, true);
	CHECK_LEVEL(20, 4, 2, 0, 1, 3);
	CHECK_LEVEL(21, 5);
	CHECK_LEVEL(19, 6);
	pop_expect(5);
	pop_expect(4);
	pop_expect(2);
	pop_expect(0);

	/* A preempted thread goes back in front of those waiting. */
	push(0, 20, true);
	CHECK_LEVEL(20, 0, 1, 3);
	pop_expect(0);
	pop_expect(1);
	pop_expect(3);
	pop_expect(6);
	assert_int_equal(rq.count, 0);
}

/* The bit of a level is cleared only when its last entry leaves. */
static void test_remove(void **state)
{
	(void)state;
	push(0, 5, false);
	push(1, 5, false);
	push(2, 5, false);
	push(3, 5, false);
	push(4, 40, false);
	assert_int_equal(rq.bitmap, (1ULL << 5) | (1ULL << 40));

	runq_remove(&rq, &ent[2]); /* middle */
	check_invariant(&rq);
	assert_true(list_empty(&ent[2].link));
	CHECK_LEVEL(5, 0, 1, 3);
	assert_int_equal(rq.count, 4);
	assert_int_equal(rq.bitmap, (1ULL << 5) | (1ULL << 40));

	runq_remove(&rq, &ent[0]); /* head */
	check_invariant(&rq);
	CHECK_LEVEL(5, 1, 3);
	assert_int_equal(rq.bitmap, (1ULL << 5) | (1ULL << 40));

	runq_remove(&rq, &ent[3]); /* tail */
	check_invariant(&rq);
	CHECK_LEVEL(5, 1);
	assert_int_equal(rq.bitmap, (1ULL << 5) | (1ULL << 40));

	runq_remove(&rq, &ent[4]); /* the top level empties */
	check_invariant(&rq);
	assert_int_equal(rq.bitmap, 1ULL << 5);
	assert_int_equal(runq_top(&rq), 5);

	runq_remove(&rq, &ent[1]); /* the last one */
	check_invariant(&rq);
	assert_int_equal(rq.bitmap, 0);
	assert_int_equal(rq.count, 0);
	assert_int_equal(runq_top(&rq), -1);

	/* Removed entries can be queued again. */
	push(2, 7, false);
	push(0, 7, false);
	pop_expect(2);
	pop_expect(0);
}

static void steal_expect(unsigned cpu, unsigned i)
{
	struct runq_entry *e = runq_steal(&rq, cpu);

	assert_non_null(e);
	assert_int_equal(idx(e), i);
	assert_true(list_empty(&e->link));
	check_invariant(&rq);
}

static void test_steal(void **state)
{
	(void)state;
	ent[0].affinity = 1ULL << 0;
	ent[1].affinity = 1ULL << 2;
	ent[2].affinity = (1ULL << 0) | (1ULL << 2);
	ent[3].affinity = 1ULL << 2;
	ent[4].affinity = 1ULL << 63;
	ent[5].affinity = 0;
	ent[6].affinity = 1ULL << 2;
	push(0, 50, false); /* highest, but only CPU 0 */
	push(5, 50, false); /* pinned nowhere: never stolen */
	push(1, 30, false);
	push(2, 30, false);
	push(3, 30, false);
	push(4, 10, false);
	push(6, 0, false);

	assert_null(runq_steal(&rq, 1));
	assert_null(runq_steal(&rq, 62));
	check_invariant(&rq);
	assert_int_equal(rq.count, 7);

	/* Level 50 has nothing for CPU 2; level 30 gives its first. */
	steal_expect(2, 1);
	CHECK_LEVEL(30, 2, 3);
	CHECK_LEVEL(50, 0, 5);
	steal_expect(2, 2);
	steal_expect(2, 3);
	assert_int_equal(rq.bitmap, (1ULL << 50) | (1ULL << 10) | 1);
	steal_expect(2, 6);
	assert_null(runq_steal(&rq, 2));

	steal_expect(63, 4);
	steal_expect(0, 0);
	assert_null(runq_steal(&rq, 0));
	CHECK_LEVEL(50, 5);
	assert_int_equal(rq.count, 1);
	assert_int_equal(runq_top(&rq), 50);
	pop_expect(5);
}

/* Within a level the first allowed entry from the head is taken, and the
 * entries around it keep their order. */
static void test_steal_within_level(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 6; i++) {
		ent[i].affinity = i % 2 ? 1ULL << 7 : 1ULL << 3;
		push(i, 12, false);
	}
	steal_expect(7, 1);
	CHECK_LEVEL(12, 0, 2, 3, 4, 5);
	steal_expect(7, 3);
	CHECK_LEVEL(12, 0, 2, 4, 5);
	steal_expect(3, 0);
	CHECK_LEVEL(12, 2, 4, 5);
	steal_expect(7, 5);
	CHECK_LEVEL(12, 2, 4);
	assert_null(runq_steal(&rq, 7));
	pop_expect(2);
	pop_expect(4);
}

/* The model: each level an array of entry indices, head first. */
static unsigned model[NPRIO][NENT];
static unsigned model_len[NPRIO];
static bool model_queued[NENT];

static void model_unlink(unsigned p, unsigned pos)
{
	model_queued[model[p][pos]] = false;
	for (unsigned j = pos + 1; j < model_len[p]; j++)
		model[p][j - 1] = model[p][j];
	model_len[p]--;
}

static void model_push(unsigned i, unsigned p, bool front)
{
	if (front) {
		for (unsigned j = model_len[p]; j > 0; j--)
			model[p][j] = model[p][j - 1];
		model[p][0] = i;
	} else {
		model[p][model_len[p]] = i;
	}
	model_len[p]++;
	model_queued[i] = true;
}

/* Index of the first entry, in priority order, whose affinity meets cpus
 * (or any entry, for a pop), unlinked; or -1. */
static int model_take(uint64_t cpus, bool any)
{
	for (int p = NPRIO - 1; p >= 0; p--) {
		for (unsigned pos = 0; pos < model_len[p]; pos++) {
			unsigned i = model[p][pos];

			if (any || (ent[i].affinity & cpus)) {
				model_unlink((unsigned)p, pos);
				return (int)i;
			}
		}
	}
	return -1;
}

static void check_model(void)
{
	int top = -1;

	check_invariant(&rq);
	for (unsigned p = 0; p < NPRIO; p++) {
		check_level(p, model[p], model_len[p]);
		if (model_len[p] != 0)
			top = (int)p;
	}
	assert_int_equal(runq_top(&rq), top);
}

/* Few priorities, so levels fill up, or any of the 64. */
static unsigned random_prio(void)
{
	static const unsigned crowded[] = {0, 1, 31, 62, 63};

	if (rng() % 2)
		return crowded[rng() % ARRAY_SIZE(crowded)];
	return rng() % NPRIO;
}

/* Often a single CPU or none, so stealing has to search. */
static uint64_t random_affinity(void)
{
	switch (rng() % 4) {
	case 0:
		return 1ULL << (rng() % 64);
	case 1:
		return rng() & rng() & rng();
	case 2:
		return 0;
	default:
		return rng();
	}
}

static void check_taken(struct runq_entry *got, int want)
{
	if (want < 0) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_int_equal(idx(got), want);
}

static void random_step(void)
{
	unsigned i = rng() % NENT;
	unsigned cpu = rng() % 64;

	switch (rng() % 8) {
	case 0:
	case 1:
	case 2:
		if (!model_queued[i]) {
			bool front = rng() % 3 == 0;

			ent[i].prio = random_prio();
			ent[i].affinity = random_affinity();
			runq_push(&rq, &ent[i], front);
			model_push(i, ent[i].prio, front);
		}
		break;
	case 3:
		if (model_queued[i]) {
			unsigned p = ent[i].prio, pos = 0;

			while (model[p][pos] != i)
				pos++;
			runq_remove(&rq, &ent[i]);
			model_unlink(p, pos);
		}
		break;
	case 4:
	case 5:
		check_taken(runq_pop(&rq), model_take(0, true));
		break;
	default:
		check_taken(runq_steal(&rq, cpu),
			    model_take(1ULL << cpu, false));
		break;
	}
}

static void test_random_against_model(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 4; seed++) {
		setup_runq(NULL);
		for (unsigned p = 0; p < NPRIO; p++)
			model_len[p] = 0;
		for (unsigned i = 0; i < NENT; i++)
			model_queued[i] = false;
		rng_state = 0x9e3779b97f4a7c15ULL * seed;
		for (unsigned step = 0; step < 5000; step++) {
			random_step();
			check_model();
		}
	}
}

static void push_bad_prio(void *arg)
{
	(void)arg;
	ent[0].prio = NPRIO;
	runq_push(&rq, &ent[0], false);
}

static void test_bad_prio_panics(void **state)
{
	(void)state;
	assert_non_null(host_panic_message(push_bad_prio, NULL));
}

/* Timers */

#define NTIMER 64

static struct timerq tq;
static struct timer tm[NTIMER];

static int setup_timerq(void **state)
{
	(void)state;
	timerq_init(&tq);
	for (unsigned i = 0; i < NTIMER; i++) {
		list_init(&tm[i].link);
		tm[i].deadline = 0;
		tm[i].fn = NULL;
		tm[i].queued = false;
	}
	return 0;
}

static bool add(unsigned i, uint64_t deadline)
{
	tm[i].deadline = deadline;
	bool first = timerq_add(&tq, &tm[i]);
	assert_true(tm[i].queued);
	return first;
}

/* The queue must hold exactly the n timers (indices) in want, in order,
 * and only they are marked queued. */
static void check_timers(const unsigned *want, unsigned n)
{
	const struct list *it = tq.timers.next;
	unsigned queued = 0;

	for (unsigned i = 0; i < n; i++, it = it->next) {
		assert_ptr_not_equal(it, &tq.timers);
		assert_ptr_equal(it->next->prev, it);
		assert_int_equal(container_of(it, struct timer, link) - tm,
				 want[i]);
		if (i > 0)
			assert_true(tm[want[i - 1]].deadline <=
				    tm[want[i]].deadline);
	}
	assert_ptr_equal(it, &tq.timers);
	for (unsigned i = 0; i < NTIMER; i++)
		queued += tm[i].queued;
	assert_int_equal(queued, n);
	assert_int_equal(timerq_next(&tq),
			 n ? tm[want[0]].deadline : UINT64_MAX);
}

#define CHECK_TIMERS(...)                                                      \
	check_timers((unsigned[]){__VA_ARGS__},                                \
		     sizeof((unsigned[]){__VA_ARGS__}) / sizeof(unsigned))

static void test_timer_empty(void **state)
{
	(void)state;
	assert_int_equal(timerq_next(&tq), UINT64_MAX);
	assert_null(timerq_pop_expired(&tq, 0));
	assert_null(timerq_pop_expired(&tq, UINT64_MAX));
	check_timers(NULL, 0);
}

static void test_timer_order(void **state)
{
	(void)state;
	assert_true(add(0, 500));  /* first into an empty queue */
	assert_false(add(1, 700)); /* after it */
	assert_true(add(2, 100));  /* new earliest */
	assert_false(add(3, 500)); /* equal to 0: after it */
	assert_false(add(4, 100)); /* equal to the first: not first */
	assert_false(add(5, 600));
	assert_false(add(6, 500));
	assert_false(add(7, 700)); /* equal to the last: at the end */
	assert_true(add(8, 99));
	CHECK_TIMERS(8, 2, 4, 0, 3, 6, 5, 1, 7);
	assert_int_equal(timerq_next(&tq), 99);
}

static void test_timer_remove(void **state)
{
	(void)state;
	add(0, 10);
	add(1, 20);
	add(2, 30);
	add(3, 40);

	timerq_remove(&tq, &tm[4]); /* never queued: nothing happens */
	assert_false(tm[4].queued);
	CHECK_TIMERS(0, 1, 2, 3);

	timerq_remove(&tq, &tm[2]); /* middle */
	assert_false(tm[2].queued);
	CHECK_TIMERS(0, 1, 3);
	timerq_remove(&tq, &tm[2]); /* again: nothing happens */
	CHECK_TIMERS(0, 1, 3);

	timerq_remove(&tq, &tm[0]); /* first: the next deadline moves */
	assert_false(tm[0].queued);
	CHECK_TIMERS(1, 3);
	assert_int_equal(timerq_next(&tq), 20);

	timerq_remove(&tq, &tm[3]); /* last */
	CHECK_TIMERS(1);
	timerq_remove(&tq, &tm[1]);
	check_timers(NULL, 0);

	/* A removed timer can be added again. */
	assert_true(add(2, 5));
	CHECK_TIMERS(2);
}

static void test_timer_pop_expired(void **state)
{
	(void)state;
	add(0, 100);
	add(1, 200);
	add(2, 200);
	add(3, 300);

	assert_null(timerq_pop_expired(&tq, 99)); /* now < deadline */
	CHECK_TIMERS(0, 1, 2, 3);
	assert_ptr_equal(timerq_pop_expired(&tq, 100), &tm[0]); /* == now */
	assert_false(tm[0].queued);
	assert_true(list_empty(&tm[0].link));
	assert_null(timerq_pop_expired(&tq, 100));
	CHECK_TIMERS(1, 2, 3);

	/* Equal deadlines expire in the order they were added. */
	assert_ptr_equal(timerq_pop_expired(&tq, 250), &tm[1]);
	assert_ptr_equal(timerq_pop_expired(&tq, 250), &tm[2]);
	assert_null(timerq_pop_expired(&tq, 250));
	CHECK_TIMERS(3);
	assert_null(timerq_pop_expired(&tq, 299));
	assert_ptr_equal(timerq_pop_expired(&tq, 300), &tm[3]);
	assert_null(timerq_pop_expired(&tq, UINT64_MAX));
	check_timers(NULL, 0);
}

/* Deadlines at both ends of the range. */
static void test_timer_extremes(void **state)
{
	(void)state;
	assert_true(add(0, UINT64_MAX));
	assert_int_equal(timerq_next(&tq), UINT64_MAX);
	assert_true(add(1, 0));
	CHECK_TIMERS(1, 0);
	assert_ptr_equal(timerq_pop_expired(&tq, 0), &tm[1]);
	assert_null(timerq_pop_expired(&tq, UINT64_MAX - 1));
	assert_ptr_equal(timerq_pop_expired(&tq, UINT64_MAX), &tm[0]);
	assert_null(timerq_pop_expired(&tq, UINT64_MAX));
	check_timers(NULL, 0);
}

/* Random adds, removes and expiries against a model: an array kept in
 * deadline order, equal deadlines in the order they were added. */
static void test_timer_random_against_model(void **state)
{
	unsigned order[NTIMER], n = 0;
	uint64_t now = 0;

	(void)state;
	rng_state = 0x2545f4914f6cdd1dULL;
	for (unsigned step = 0; step < 20000; step++) {
		unsigned i = rng() % NTIMER, pos = 0;

		if (!tm[i].queued && rng() % 2) {
			uint64_t deadline = now + rng() % 64;

			while (pos < n && tm[order[pos]].deadline <= deadline)
				pos++;
			for (unsigned j = n; j > pos; j--)
				order[j] = order[j - 1];
			order[pos] = i;
			n++;
			assert_int_equal(add(i, deadline), pos == 0);
		} else if (tm[i].queued) {
			while (order[pos] != i)
				pos++;
			for (unsigned j = pos + 1; j < n; j++)
				order[j - 1] = order[j];
			n--;
			timerq_remove(&tq, &tm[i]);
		} else {
			now += rng() % 8;
			struct timer *t = timerq_pop_expired(&tq, now);
			if (n > 0 && tm[order[0]].deadline <= now) {
				assert_ptr_equal(t, &tm[order[0]]);
				for (unsigned j = 1; j < n; j++)
					order[j - 1] = order[j];
				n--;
			} else {
				assert_null(t);
			}
		}
		check_timers(order, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_empty, setup_runq),
	    cmocka_unit_test_setup(test_priority_order, setup_runq),
	    cmocka_unit_test_setup(test_levels_0_and_63, setup_runq),
	    cmocka_unit_test_setup(test_fifo_within_level, setup_runq),
	    cmocka_unit_test_setup(test_front_insertion, setup_runq),
	    cmocka_unit_test_setup(test_remove, setup_runq),
	    cmocka_unit_test_setup(test_steal, setup_runq),
	    cmocka_unit_test_setup(test_steal_within_level, setup_runq),
	    cmocka_unit_test_setup(test_random_against_model, setup_runq),
	    cmocka_unit_test_setup(test_bad_prio_panics, setup_runq),
	    cmocka_unit_test_setup(test_timer_empty, setup_timerq),
	    cmocka_unit_test_setup(test_timer_order, setup_timerq),
	    cmocka_unit_test_setup(test_timer_remove, setup_timerq),
	    cmocka_unit_test_setup(test_timer_pop_expired, setup_timerq),
	    cmocka_unit_test_setup(test_timer_extremes, setup_timerq),
	    cmocka_unit_test_setup(test_timer_random_against_model,
				   setup_timerq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
