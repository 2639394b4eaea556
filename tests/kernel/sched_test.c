/*
 * sched_test.c - scheduler self tests (ktest=sched). Each case body runs
 * on a thread of its own at CASE_PRIO pinned to CPU 0, so the threads it
 * creates on CPU 0 cannot run until it blocks. The same kernel runs them
 * on 1 to 8 CPUs under TCG, where a vCPU may stall for many ms: cases
 * check counts and orders, never tight time bounds; their deadlines
 * (2 s and up) only turn a hang into a FAIL.
 */
#include "ktest.h"

#define MS          1000000UL
#define CASE_PRIO   60
#define HIGH_PRIO   50
#define LOW_PRIO    10
#define MAX_WORKERS 1000
#define SPREAD      0 /* as an affinity: worker i on CPU i % ncpus only */
#define DEADLINE    (20000 * MS) /* for "never happens": FAIL, not hang */

/* A thread a case starts, and what it reports back. */
struct worker {
	struct thread *t;
	unsigned id;
	volatile uint64_t count;
	volatile uint64_t cpus; /* CPUs it was seen running on */
	uint64_t runtime, sum, sumsq;
};

static struct worker workers[MAX_WORKERS];
static volatile bool stop;           /* workers: finish now */
static const char *volatile failure; /* the first one a worker found */
static struct waitq wq;              /* workers wake the case thread */
static const char *(*case_body)(void);
static const char *verdict;
static char report[128]; /* a failure with numbers in it */

static uint64_t cpu_bit(unsigned cpu)
{
	return 1ULL << cpu;
}

static void fail(const char *why)
{
	const char *none = NULL;

	__atomic_compare_exchange_n(&failure, &none, why, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static uint64_t random(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return *seed >> 33;
}

static struct thread *spawn(void (*fn)(void *), void *arg, unsigned prio,
			    uint64_t affinity)
{
	struct thread *t = thread_create("ktest", fn, arg, prio, affinity);

	if (!t)
		panic("ktest: cannot create a thread");
	return t;
}

/* Start worker i running fn(&workers[i]). */
static void start_worker(unsigned i, void (*fn)(void *), unsigned prio,
			 uint64_t affinity)
{
	workers[i] = (struct worker){.id = i};
	if (affinity == SPREAD)
		affinity = cpu_bit(i % ncpus);
	workers[i].t = spawn(fn, &workers[i], prio, affinity);
}

static void start_workers(unsigned n, void (*fn)(void *), unsigned prio,
			  uint64_t affinity)
{
	for (unsigned i = 0; i < n; i++)
		start_worker(i, fn, prio, affinity);
}

static void join_workers(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		thread_join(workers[i].t);
}

/* Wait on q until cond(arg); false if that took timeout ns or more. */
static bool await(struct waitq *q, bool (*cond)(void *), void *arg,
		  uint64_t timeout)
{
	uint64_t deadline = arch_clock_ns() + timeout;

	return wait_until(q, cond, arg, deadline) && arch_clock_ns() < deadline;
}

/* A condition: the flag is set, or the case is stopping. */
static bool is_set(void *flag)
{
	return *(volatile unsigned *)flag || stop;
}

/* Spin, counting, until told to stop; then report its runtime. */
static void spin(void *arg)
{
	struct worker *w = arg;

	while (!stop)
		if ((w->count++ & 0xfff) == 0)
			w->cpus |= cpu_bit(this_cpu()->id);
	sched_yield(); /* brings its runtime up to date */
	w->runtime = current_thread()->runtime;
}

static void case_thread(void *unused)
{
	(void)unused;
	verdict = case_body();
	if (!verdict)
		verdict = failure;
}

static const char *run_case(const char *(*body)(void))
{
	stop = false;
	failure = NULL;
	waitq_init(&wq);
	case_body = body;
	thread_join(spawn(case_thread, NULL, CASE_PRIO, cpu_bit(0)));
	return verdict;
}

/* --- priority: the highest ready thread runs first --- */

static const unsigned start_prio[] = {20, 45, 10, 25, 50, 25, 30, 25, 5};
static unsigned start_order[ARRAY_SIZE(start_prio)], nstarted;

static void note_start(void *w)
{
	unsigned i = __atomic_fetch_add(&nstarted, 1, __ATOMIC_SEQ_CST);

	start_order[i] = ((struct worker *)w)->id;
}

static const char *priority(void)
{
	unsigned n = ARRAY_SIZE(start_prio);

	nstarted = 0;
	for (unsigned i = 0; i < n; i++)
		start_worker(i, note_start, start_prio[i], cpu_bit(0));
	join_workers(n);
	if (nstarted != n)
		return "not every thread ran";
	for (unsigned i = 1; i < n; i++) {
		unsigned a = start_order[i - 1], b = start_order[i];
		if (start_prio[a] < start_prio[b])
			return "a lower priority thread started first";
		if (start_prio[a] == start_prio[b] && a > b)
			return "equal priorities started out of order";
	}
	return NULL;
}

/* --- preempt-local: a wake-up in an interrupt preempts at once --- */

static struct {
	unsigned fired;
	uint64_t count; /* the spinner's, when the timer fired */
	struct thread *interrupted;
} tick;

static void tick_fire(struct timer *t)
{
	(void)t;
	tick.count = workers[0].count;
	tick.interrupted = current_thread();
	tick.fired = 1;
	waitq_wake_all(&wq);
}

/* The case thread is H: it blocks until a timer on CPU 0 wakes it while
 * the spinner L runs there; L must not count in between. */
static const char *preempt_local(void)
{
	unsigned seen = 0;
	struct timer timer = {0};
	const char *why = NULL;

	start_workers(1, spin, LOW_PRIO, cpu_bit(0));
	for (unsigned round = 0; round < 5 && !why; round++) {
		tick.fired = 0;
		timer_start(&timer, arch_clock_ns() + 2 * MS, tick_fire);
		if (!await(&wq, is_set, &tick.fired, DEADLINE))
			why = "the timer did not wake its thread";
		else if (tick.interrupted != workers[0].t)
			continue; /* it fired before we blocked: no evidence */
		else if (workers[0].count != tick.count)
			why = "the spinner ran before the woken thread";
		else
			seen++;
	}
	timer_cancel(&timer);
	stop = true;
	join_workers(1);
	if (!why && seen < 3)
		why = "the timer hardly ever interrupted the spinner";
	return why;
}

/* --- preempt-remote: a wake-up from another CPU preempts at once --- */

#define ROUNDS 5

static unsigned go[ROUNDS], done[ROUNDS];
static uint64_t count_when_woken[ROUNDS];
static struct waitq h_wq;

/* H, on CPU 1 with the spinner: note its count each time it is woken. */
static void note_count(void *unused)
{
	(void)unused;
	for (unsigned r = 0; r < ROUNDS; r++) {
		if (!await(&h_wq, is_set, &go[r], DEADLINE) || stop)
			return;
		count_when_woken[r] = workers[0].count;
		done[r] = 1;
		waitq_wake_all(&wq);
	}
}

/*
 * Each round measures what the spinner L on CPU 1 counts in a time slice,
 * waits a random part of another, wakes H there and sees how far L got
 * before H ran. With the reschedule IPI that is a sliver of a slice;
 * without it L runs on to the end of its slice, half of one on average.
 * A stalled vCPU can spoil a round, so a majority of fast ones is enough.
 */
static const char *preempt_remote(void)
{
	uint64_t seed = 42, per_slice = 0, lag[ROUNDS] = {0};
	unsigned fast = 0;

	if (ncpus < 2)
		return preempt_local();
	waitq_init(&h_wq);
	memset(go, 0, sizeof(go));
	memset(done, 0, sizeof(done));
	start_worker(0, spin, LOW_PRIO, cpu_bit(1));
	start_worker(1, note_count, HIGH_PRIO, cpu_bit(1));
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t before = workers[0].count;
		sleep_until(arch_clock_ns() + TIME_SLICE);
		per_slice = workers[0].count - before;
		sleep_until(arch_clock_ns() + random(&seed) % TIME_SLICE);
		before = workers[0].count;
		go[r] = 1;
		waitq_wake_all(&h_wq);
		if (!await(&wq, is_set, &done[r], DEADLINE))
			break;
		lag[r] = count_when_woken[r] - before;
		fast += lag[r] < per_slice / 20;
	}
	stop = true;
	waitq_wake_all(&h_wq);
	join_workers(2);
	if (fast > ROUNDS / 2)
		return NULL;
	snprintf(report, sizeof(report),
		 "%u of %u wake-ups preempted at once: the spinner counted "
		 "%lu %lu %lu %lu %lu, %lu a slice",
		 fast, ROUNDS, lag[0], lag[1], lag[2], lag[3], lag[4],
		 per_slice);
	return report;
}

/* --- fair: equal threads on one CPU share it evenly --- */

/*
 * Three spinners share CPU 0 for 1.5 s. For the first half the case
 * thread sleeps, so only the end of a slice can rotate them; for the
 * second it wakes every 3 ms and preempts one, as interrupt-driven work
 * would, which must not let that one keep the CPU.
 */
static const char *fair(void)
{
	enum { N = 3 };
	uint64_t start = arch_clock_ns(), end = start + 1500 * MS;
	uint64_t rt[N], sum = 0, mean;
	bool even = true;

	start_workers(N, spin, PRIO_DEFAULT, cpu_bit(0));
	sleep_until(start + 750 * MS);
	while (arch_clock_ns() < end)
		sleep_until(MIN(arch_clock_ns() + 3 * MS, end));
	/* We run on their CPU, so all are switched out and their runtime
	 * is up to date. */
	for (unsigned i = 0; i < N; i++)
		sum += rt[i] = workers[i].t->runtime;
	mean = sum / N;
	for (unsigned i = 0; i < N; i++)
		even = even && rt[i] >= mean - mean / 4 &&
		       rt[i] <= mean + mean / 4;
	stop = true;
	join_workers(N);
	if (even && sum >= 750 * MS)
		return NULL;
	snprintf(report, sizeof(report),
		 "runtimes %lu %lu %lu ms, not within 25%% of their mean",
		 rt[0] / MS, rt[1] / MS, rt[2] / MS);
	return report;
}

/* --- spread: unpinned threads use every CPU, and all progress --- */

/* Whether each of the first n workers ran, and together on every CPU of
 * the mask all. */
static bool spread_seen(unsigned n, uint64_t all)
{
	uint64_t used = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!workers[i].count)
			return false;
		used |= workers[i].cpus;
	}
	return used == all;
}

static const char *spread(void)
{
	unsigned n = 2 * ncpus;
	uint64_t used = 0, all = ncpus == 64 ? ~0ULL : cpu_bit(ncpus) - 1;
	uint64_t start = arch_clock_ns();
	const char *why = NULL;

	start_workers(n, spin, PRIO_DEFAULT, AFFINITY_ALL);
	/* 500 ms at least; longer (up to 60 s) while a thread has not run or
	 * a CPU has run none: a loaded host may leave a virtual CPU, and the
	 * threads queued on it, unscheduled for a while (8 vCPUs on 2 host
	 * cores failed the fixed 500 ms). A starved thread still fails. */
	sleep_until(start + 500 * MS);
	while (!spread_seen(n, all) && arch_clock_ns() < start + 60000 * MS)
		sleep_until(arch_clock_ns() + 50 * MS);
	for (unsigned i = 0; i < n; i++)
		if (!workers[i].count)
			why = "a thread never ran";
	stop = true;
	join_workers(n);
	for (unsigned i = 0; i < n; i++) {
		used |= workers[i].cpus;
		if (!workers[i].runtime)
			why = "a thread's runtime is zero";
	}
	if (!why && used != all)
		why = "the threads did not run on every CPU";
	return why;
}

/* --- spin-preempted: a kernel thread spinning is preempted --- */

static unsigned spinning, flag;

static void spin_for_flag(void *unused)
{
	(void)unused;
	spinning = 1;
	waitq_wake_all(&wq);
	while (!is_set(&flag))
		arch_cpu_relax();
}

static void set_flag(void *unused)
{
	(void)unused;
	flag = 1;
	waitq_wake_all(&wq);
}

/* The spinner runs first (waking us preempts it, which is not what is
 * tested: it keeps its slice); the setter, equal and on the same CPU,
 * can only run once the spinner's slice ends. */
static const char *spin_preempted(void)
{
	bool ok;

	spinning = flag = 0;
	start_worker(0, spin_for_flag, PRIO_DEFAULT, cpu_bit(0));
	ok = await(&wq, is_set, &spinning, DEADLINE);
	start_worker(1, set_flag, PRIO_DEFAULT, cpu_bit(0));
	ok = ok && await(&wq, is_set, &flag, DEADLINE);
	flag = 1;
	join_workers(2);
	return ok ? NULL : "the spinning thread was never preempted";
}

/* --- threads-1000: many threads alive at once, no leak --- */

#define NTHREADS 1000

static unsigned arrived, all_arrived, released, finished;
static struct waitq release_wq;

static void arrive_and_wait(void *unused)
{
	(void)unused;
	if (__atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST) == NTHREADS) {
		all_arrived = 1;
		waitq_wake_all(&wq);
	}
	if (await(&release_wq, is_set, &released, DEADLINE))
		__atomic_add_fetch(&finished, 1, __ATOMIC_SEQ_CST);
	sched_yield();
}

/* Half the threads pinned round robin, half free to go anywhere. */
static const char *thousand_threads(void)
{
	bool ok;

	arrived = all_arrived = released = finished = 0;
	waitq_init(&release_wq);
	for (unsigned i = 0; i < NTHREADS; i++)
		start_worker(i, arrive_and_wait, PRIO_DEFAULT,
			     i & 1 ? AFFINITY_ALL : SPREAD);
	ok = await(&wq, is_set, &all_arrived, DEADLINE);
	released = 1;
	waitq_wake_all(&release_wq);
	join_workers(NTHREADS);
	if (!ok)
		return "the 1000 threads were not all running at once";
	return finished == NTHREADS ? NULL : "a thread missed its release";
}

/* The first round fills the heap's size classes and the kernel stack
 * area's page tables; the second must give back all it takes. */
static const char *threads_1000(void)
{
	const char *why = thousand_threads();
	size_t before = pmm_free_pages();

	if (why || (why = thousand_threads()))
		return why;
	return pmm_free_pages() == before ? NULL : "pages leaked";
}

/* --- prodcons: wait queues and a mutex under load --- */

#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS     20000 /* each producer's */
#define TOTAL     (PRODUCERS * ITEMS)
#define SLOTS     16

static struct ring {
	struct mutex lock;
	struct waitq not_full, not_empty;
	unsigned slot[SLOTS], head, count, taken;
	uint64_t deadline;
} ring;

static bool has_room(void *r)
{
	return ((struct ring *)r)->count < SLOTS;
}

static bool has_item(void *r)
{
	return ((struct ring *)r)->count || ((struct ring *)r)->taken == TOTAL;
}

/* Take the ring's lock once cond holds; false (lock not held) if that
 * did not happen by the deadline. */
static bool lock_when(struct waitq *q, bool (*cond)(void *))
{
	mutex_lock(&ring.lock);
	while (!cond(&ring)) {
		mutex_unlock(&ring.lock);
		if (!wait_until(q, cond, &ring, ring.deadline)) {
			fail("producers and consumers got stuck");
			return false;
		}
		mutex_lock(&ring.lock);
	}
	return true;
}

static void produce(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < ITEMS; i++) {
		if (!lock_when(&ring.not_full, has_room))
			return;
		ring.slot[(ring.head + ring.count++) % SLOTS] =
		    w->id * ITEMS + i;
		mutex_unlock(&ring.lock);
		waitq_wake_one(&ring.not_empty);
	}
}

static void consume(void *arg)
{
	struct worker *w = arg;
	uint64_t item;
	bool last;

	while (lock_when(&ring.not_empty, has_item)) {
		if (ring.taken == TOTAL) {
			mutex_unlock(&ring.lock);
			return;
		}
		item = ring.slot[ring.head];
		ring.head = (ring.head + 1) % SLOTS;
		ring.count--;
		last = ++ring.taken == TOTAL;
		mutex_unlock(&ring.lock);
		waitq_wake_one(&ring.not_full);
		if (last) /* the other consumers may leave */
			waitq_wake_all(&ring.not_empty);
		w->count++;
		w->sum += item;
		w->sumsq += item * item;
	}
}

/* Producers pinned round robin, consumers anywhere; each item must be
 * consumed once: the count, sum and sum of squares of the ids agree. */
static const char *prodcons(void)
{
	const uint64_t n = TOTAL;
	uint64_t count = 0, sum = 0, sumsq = 0;

	memset(&ring, 0, sizeof(ring));
	mutex_init(&ring.lock);
	waitq_init(&ring.not_full);
	waitq_init(&ring.not_empty);
	ring.deadline = arch_clock_ns() + 3 * DEADLINE / 2;
	for (unsigned i = 0; i < PRODUCERS + CONSUMERS; i++)
		start_worker(i, i < PRODUCERS ? produce : consume, PRIO_DEFAULT,
			     i < PRODUCERS ? SPREAD : AFFINITY_ALL);
	join_workers(PRODUCERS + CONSUMERS);
	for (unsigned i = PRODUCERS; i < PRODUCERS + CONSUMERS; i++) {
		count += workers[i].count;
		sum += workers[i].sum;
		sumsq += workers[i].sumsq;
	}
	if (count != n || sum != n * (n - 1) / 2 ||
	    sumsq != (n - 1) * n * (2 * n - 1) / 6)
		return "items were lost or consumed twice";
	return NULL;
}

/* --- mutex: mutual exclusion across a yield --- */

#define INCREMENTS 300 /* each thread's */

static struct mutex counter_lock;
static unsigned counter, holders;

static void add_slowly(void *unused)
{
	(void)unused;
	for (unsigned i = 0; i < INCREMENTS; i++) {
		mutex_lock(&counter_lock);
		if (__atomic_add_fetch(&holders, 1, __ATOMIC_SEQ_CST) != 1)
			fail("two threads held the mutex at once");
		unsigned v = counter;
		sched_yield();
		counter = v + 1;
		__atomic_sub_fetch(&holders, 1, __ATOMIC_SEQ_CST);
		mutex_unlock(&counter_lock);
	}
}

static const char *mutex(void)
{
	unsigned n = MAX(4, 2 * ncpus);

	mutex_init(&counter_lock);
	counter = holders = 0;
	start_workers(n, add_slowly, PRIO_DEFAULT, SPREAD);
	join_workers(n);
	return counter == n * INCREMENTS ? NULL : "increments were lost";
}

/* --- sleep: timed sleeps never end early --- */

static bool never(void *unused)
{
	(void)unused;
	return false;
}

static void sleep_randomly(void *arg)
{
	uint64_t seed = ((struct worker *)arg)->id, deadline;
	struct waitq nobody;

	waitq_init(&nobody);
	for (unsigned i = 0; i < 55; i++) {
		deadline = arch_clock_ns() + random(&seed) % (5 * MS + 1);
		if (i < 50)
			sleep_until(deadline);
		else if (wait_until(&nobody, never, NULL, deadline))
			fail("wait_until returned true for a false condition");
		if (arch_clock_ns() < deadline)
			fail(i < 50 ? "sleep_until woke early"
				    : "wait_until gave up before its deadline");
	}
}

static const char *sleep(void)
{
	unsigned n = MAX(4, ncpus);

	start_workers(n, sleep_randomly, PRIO_DEFAULT, SPREAD);
	join_workers(n);
	return NULL;
}

/* --- wake-pingpong: two threads alternate through wait queues --- */

#define PASSES 10000 /* of the turn, between the two */

static unsigned turn;
static struct waitq turn_wq[2];

static bool my_turn(void *w)
{
	return turn == ((struct worker *)w)->id || stop;
}

/* A wake-up lost would leave a thread asleep until its 2 s deadline. */
static void take_turns(void *arg)
{
	struct worker *w = arg;
	unsigned other = !w->id;

	for (unsigned i = 0; i < PASSES / 2 && !stop; i++) {
		if (!await(&turn_wq[w->id], my_turn, w, 2000 * MS)) {
			fail("a wake-up was lost");
			stop = true;
		} else if (!stop) {
			turn = other;
			w->count++;
		}
		waitq_wake_all(&turn_wq[other]);
	}
}

static const char *wake_pingpong(void)
{
	turn = 0;
	waitq_init(&turn_wq[0]);
	waitq_init(&turn_wq[1]);
	start_workers(2, take_turns, PRIO_DEFAULT, SPREAD);
	join_workers(2);
	if (workers[0].count + workers[1].count != PASSES && !failure)
		return "the threads stopped taking turns";
	return NULL; /* or what a thread found */
}

#define CASE(body)                                                             \
	static const char *body##_case(void)                                   \
	{                                                                      \
		return run_case(body);                                         \
	}
CASE(priority)
CASE(preempt_local)
CASE(preempt_remote)
CASE(fair)
CASE(spread)
CASE(spin_preempted)
CASE(threads_1000)
CASE(prodcons)
CASE(mutex)
CASE(sleep)
CASE(wake_pingpong)

static const struct ktest tests[] = {
    {"priority", priority_case},
    {"preempt-local", preempt_local_case},
    {"preempt-remote", preempt_remote_case},
    {"fair", fair_case},
    {"spread", spread_case},
    {"spin-preempted", spin_preempted_case},
    {"threads-1000", threads_1000_case},
    {"prodcons", prodcons_case},
    {"mutex", mutex_case},
    {"sleep", sleep_case},
    {"wake-pingpong", wake_pingpong_case},
    {NULL, NULL},
};
const struct ktest_group ktest_sched = {"sched", tests};
