/*
 * futex: the raw futex(2) calls musl's threads are built on. FUTEX_WAIT
 * and FUTEX_WAKE, private and shared (across fork through MAP_SHARED),
 * timeouts that end no earlier than asked, EAGAIN when the value differs,
 * exact wake counts, FUTEX_REQUEUE (musl's pthread_cond_broadcast), and
 * the errors for bad arguments; FUTEX_WAIT_BITSET's bitsets and clocks;
 * robust lists (a lock whose owner dies gets FUTEX_OWNER_DIED, a waiter is
 * woken, and a robust pthread mutex reports EOWNERDEAD); priority
 * inheritance (FUTEX_LOCK_PI and the PTHREAD_PRIO_INHERIT mutexes made of
 * it): the word's protocol, hand-over, errors, owner death, and a
 * priority inversion that only inheritance resolves.
 *
 * No wait here is without a timeout, and a wake that must find a waiter is
 * retried until it does, so a missing feature fails instead of hanging.
 */
#include "utest.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT        0
#define FUTEX_WAKE        1
#define FUTEX_REQUEUE     3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_LOCK_PI     6
#define FUTEX_UNLOCK_PI   7
#define FUTEX_TRYLOCK_PI  8
#define FUTEX_WAKE_BITSET 10
#define FUTEX_LOCK_PI2    13
#define FUTEX_PRIVATE     128
#define FUTEX_REALTIME    256
#define FUTEX_WAITERS     0x80000000u
#define FUTEX_OWNER_DIED  0x40000000u
#define FUTEX_TID_MASK    0x3fffffffu

static long futex(volatile int *word, int op, int val, long ms,
		  volatile int *word2, int val3)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
	/* FUTEX_REQUEUE takes a count where FUTEX_WAIT takes a timeout */
	void *arg4 =
	    (op & 127) == FUTEX_WAIT ? (ms >= 0 ? &t : NULL) : (void *)(long)ms;
	return syscall(SYS_futex, word, op, val, arg4, word2, val3);
}

static long futex_wait(volatile int *word, int op, int val, long ms)
{
	return futex(word, op, val, ms, NULL, 0);
}

static long futex_wake(volatile int *word, int op, int n)
{
	return futex(word, op, n, 0, NULL, 0);
}

/* Call FUTEX_WAKE until it has woken `want` waiters in all, never more
 * than `n` at a time; give up after about 5 s. Returns the total. */
static int wake_until(volatile int *word, int op, int n, int want)
{
	int total = 0;
	for (int i = 0; i < 5000 && total < want; i++) {
		long r = futex_wake(word, op, n);
		if (r < 0 || r > n) {
			ut_fail("FUTEX_WAKE returned %ld (%s)", r,
				ut_errno_name(errno));
			return total;
		}
		total += r;
		if (total < want)
			ut_sleep_ms(1);
	}
	return total;
}

static void wait_eagain(void)
{
	volatile int v = 5;
	CHECK_ERR(futex_wait(&v, FUTEX_WAIT | FUTEX_PRIVATE, 6, -1), EAGAIN);
	CHECK_ERR(futex_wait(&v, FUTEX_WAIT, 4, -1), EAGAIN);
}

static void wait_timeout(void)
{
	volatile int v = 0;
	static const int ops[] = {FUTEX_WAIT | FUTEX_PRIVATE, FUTEX_WAIT};
	for (int i = 0; i < 2; i++) {
		long long start = ut_now_ns();
		CHECK_ERR(futex_wait(&v, ops[i], 0, 50), ETIMEDOUT);
		long long took = ut_now_ns() - start;
		if (took < 50000000) {
			ut_fail("timed out after %lld ns, before 50 ms", took);
			return;
		}
	}
	CHECK_ERR(futex_wait(&v, FUTEX_WAIT, 0, 0), ETIMEDOUT);
}

static void wake_nobody(void)
{
	volatile int v = 0;
	CHECK_EQ(futex_wake(&v, FUTEX_WAKE | FUTEX_PRIVATE, 1), 0);
	CHECK_EQ(futex_wake(&v, FUTEX_WAKE, INT_MAX), 0);
}

static volatile int word;
static volatile int waiting;

struct wait_result {
	long ret;
	int err;
};

static void *waiter(void *arg)
{
	struct wait_result *res = arg;
	__atomic_add_fetch(&waiting, 1, __ATOMIC_SEQ_CST);
	res->ret = futex_wait(&word, FUTEX_WAIT | FUTEX_PRIVATE, 0, 5000);
	res->err = errno;
	return NULL;
}

static void start_waiters(pthread_t *t, struct wait_result *res, int n)
{
	word = 0;
	waiting = 0;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, waiter, &res[i]);
}

static int join_waiters(pthread_t *t, struct wait_result *res, int n)
{
	int ok = 1;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (ok && res[i].ret != 0) {
			ut_fail("waiter %d: FUTEX_WAIT returned %ld (%s)", i,
				res[i].ret, ut_errno_name(res[i].err));
			ok = 0;
		}
	}
	return ok;
}

static void wait_wake(void)
{
	pthread_t t;
	struct wait_result res;
	start_waiters(&t, &res, 1);
	int woken = wake_until(&word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 1);
	int ok = join_waiters(&t, &res, 1);
	CHECK_EQ(woken, 1);
	CHECK(ok);
}

static void wake_count(void)
{
	pthread_t t[4];
	struct wait_result res[4];
	start_waiters(t, res, 4);
	int woken = wake_until(&word, FUTEX_WAKE | FUTEX_PRIVATE, 2, 4);
	int ok = join_waiters(t, res, 4);
	CHECK_EQ(woken, 4);
	CHECK(ok);
}

static void requeue(void)
{
	static volatile int other;
	pthread_t t[2];
	struct wait_result res[2];
	start_waiters(t, res, 2);
	int moved = 0;
	for (int i = 0; i < 5000 && moved < 2; i++) {
		long r = futex(&word, FUTEX_REQUEUE | FUTEX_PRIVATE, 0, 2,
			       &other, 0);
		if (r < 0 || r > 2) {
			ut_fail("FUTEX_REQUEUE returned %ld (%s)", r,
				ut_errno_name(errno));
			break;
		}
		moved += r;
		if (moved < 2)
			ut_sleep_ms(1);
	}
	/* both now wait on `other`: nothing is left on `word` */
	long on_word = futex_wake(&word, FUTEX_WAKE | FUTEX_PRIVATE, 10);
	long on_other = futex_wake(&other, FUTEX_WAKE | FUTEX_PRIVATE, 10);
	if (moved < 2)
		futex_wake(&word, FUTEX_WAKE | FUTEX_PRIVATE, 10);
	int ok = join_waiters(t, res, 2);
	CHECK_EQ(moved, 2);
	CHECK_EQ(on_word, 0);
	CHECK_EQ(on_other, 2);
	CHECK(ok);
	CHECK_ERR(futex(&word, FUTEX_CMP_REQUEUE | FUTEX_PRIVATE, 0, 1, &other,
			word + 1),
		  EAGAIN);
}

static volatile int *shared;

static void shared_waiter(void)
{
	CHECK_EQ(futex_wait(shared, FUTEX_WAIT, 0, 5000), 0);
}

static void shared_fork(void)
{
	shared = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	pid_t pid = ut_spawn(shared_waiter);
	int woken = wake_until(shared, FUTEX_WAKE, 1, 1);
	int child_ok = ut_join(pid);
	munmap((void *)shared, UT_PAGE);
	CHECK_EQ(woken, 1);
	CHECK(child_ok);
}

/* A private futex belongs to one address space: across fork, a private
 * waiter is not found by the other process, privately or not. */
static void private_waiter(void)
{
	CHECK_ERR(futex_wait(shared, FUTEX_WAIT | FUTEX_PRIVATE, 0, 300),
		  ETIMEDOUT);
}

static void private_not_shared(void)
{
	shared = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	pid_t pid = ut_spawn(private_waiter);
	long woken = 0;
	for (int i = 0; i < 100; i++) {
		woken += futex_wake(shared, FUTEX_WAKE | FUTEX_PRIVATE, 1);
		woken += futex_wake(shared, FUTEX_WAKE, 1);
		ut_sleep_ms(2);
	}
	int child_ok = ut_join(pid);
	munmap((void *)shared, UT_PAGE);
	CHECK_EQ(woken, 0);
	CHECK(child_ok);
}

static void bad_arguments(void)
{
	static int pair[2];
	volatile int *odd = (volatile int *)((char *)pair + 1);
	CHECK_ERR(futex_wait(odd, FUTEX_WAIT | FUTEX_PRIVATE, 0, 10), EINVAL);
	CHECK_ERR(futex_wake(odd, FUTEX_WAKE | FUTEX_PRIVATE, 1), EINVAL);
	CHECK_ERR(syscall(SYS_futex, pair, 99, 0, NULL, NULL, 0), ENOSYS);
	struct timespec bad = {0, 1000000000};
	CHECK_ERR(syscall(SYS_futex, pair, FUTEX_WAIT, 0, &bad, NULL, 0),
		  EINVAL);
	bad.tv_sec = -1;
	bad.tv_nsec = 0;
	CHECK_ERR(syscall(SYS_futex, pair, FUTEX_WAIT, 0, &bad, NULL, 0),
		  EINVAL);
}

/* An absolute FUTEX_WAIT_BITSET deadline is on CLOCK_MONOTONIC, or with
 * FUTEX_CLOCK_REALTIME on CLOCK_REALTIME (glibc's timed waits): both end
 * 50 ms on, not never; an alarm turns a lost deadline into a failure. */
static void alarm_handler(int sig)
{
	(void)sig;
}

static void bitset_deadlines(void)
{
	static const int clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
	volatile int v = 0;
	signal(SIGALRM, alarm_handler);
	for (int i = 0; i < 2; i++) {
		struct timespec t;
		clock_gettime(clocks[i], &t);
		t.tv_nsec += 50000000;
		t.tv_sec += t.tv_nsec / 1000000000;
		t.tv_nsec %= 1000000000;
		int op = FUTEX_WAIT_BITSET | FUTEX_PRIVATE |
			 (i ? FUTEX_REALTIME : 0);
		long long start = ut_now_ns();
		alarm(5);
		long r = syscall(SYS_futex, &v, op, 0, &t, NULL, ~0);
		int err = errno;
		alarm(0);
		errno = err;
		CHECK_ERR(r, ETIMEDOUT);
		CHECK(ut_now_ns() - start >= 45000000LL);
	}
	signal(SIGALRM, SIG_DFL);
	CHECK_ERR(syscall(SYS_futex, &v, FUTEX_WAKE | FUTEX_REALTIME, 1, NULL,
			  NULL, 0),
		  ENOSYS);
	CHECK_ERR(syscall(SYS_futex, &v, FUTEX_WAIT_BITSET, 0, NULL, NULL, 0),
		  EINVAL);
}

/* A waiter's bitset: FUTEX_WAKE_BITSET wakes only waiters whose bitset
 * meets its own; FUTEX_WAKE meets every one. */
static volatile int bits_word;

static void *bits_waiter(void *arg)
{
	return (void *)syscall(SYS_futex, &bits_word,
			       FUTEX_WAIT_BITSET | FUTEX_PRIVATE, 0, NULL, NULL,
			       (long)arg);
}

static void bitset_match(void)
{
	pthread_t t;
	void *r;
	bits_word = 0;
	CHECK(pthread_create(&t, NULL, bits_waiter, (void *)1L) == 0);
	long woken = 0;
	for (int i = 0; i < 50; i++) { /* it is waiting by now */
		woken += syscall(SYS_futex, &bits_word,
				 FUTEX_WAKE_BITSET | FUTEX_PRIVATE, 1, NULL,
				 NULL, 6L);
		ut_sleep_ms(2);
	}
	CHECK_EQ(woken, 0);
	CHECK_EQ(wake_until(&bits_word, FUTEX_WAKE | FUTEX_PRIVATE, 1, 1), 1);
	pthread_join(t, &r);
	CHECK_EQ((long)r, 0);
}

/* Linux's robust list head and one entry, in memory shared with the
 * parent: the child takes the lock (its tid in the word) and dies. */
struct robust_page {
	struct robust_entry {
		struct robust_entry *next;
		int word;
	} entry;
	struct {
		struct robust_entry *list;
		long offset;
		struct robust_entry *pending;
	} head;
	pthread_mutex_t mutex;
	int wait_for_kill; /* the child pauses once it holds the lock */
};

static struct robust_page *robust;

static void robust_take_and_die(void)
{
	struct robust_page *r = robust;
	r->entry.next = (struct robust_entry *)&r->head;
	r->head.list = &r->entry;
	r->head.offset = offsetof(struct robust_entry, word);
	r->head.pending = NULL;
	CHECK_EQ(syscall(SYS_set_robust_list, &r->head, sizeof(r->head)), 0);
	__atomic_store_n(&r->entry.word, (int)syscall(SYS_gettid),
			 __ATOMIC_SEQ_CST);
	while (!(__atomic_load_n(&r->entry.word, __ATOMIC_SEQ_CST) &
		 FUTEX_WAITERS)) /* the parent waits for it */
		ut_sleep_ms(1);
	if (r->wait_for_kill)
		for (;;)
			pause();
}

/* The owner exits, or is killed: the word keeps FUTEX_WAITERS, gains
 * FUTEX_OWNER_DIED, loses the tid, and the waiter is woken. */
static void robust_owner_died(void)
{
	robust = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(robust != MAP_FAILED);
	for (int killed = 0; killed < 2; killed++) {
		memset(robust, 0, sizeof(*robust));
		robust->wait_for_kill = killed;
		pid_t pid = ut_spawn(robust_take_and_die);
		CHECK(pid > 0);
		int w = 0;
		for (int i = 0;
		     i < 5000 && !(w = __atomic_load_n(&robust->entry.word,
						       __ATOMIC_SEQ_CST));
		     i++)
			ut_sleep_ms(1);
		CHECK(w > 0);
		int want = w | (int)FUTEX_WAITERS;
		CHECK(__atomic_compare_exchange_n(&robust->entry.word, &w, want,
						  0, __ATOMIC_SEQ_CST,
						  __ATOMIC_SEQ_CST));
		if (killed)
			kill(pid, SIGKILL);
		long r =
		    futex_wait(&robust->entry.word, FUTEX_WAIT, want, 5000);
		CHECK(r == 0 || (r < 0 && errno == EAGAIN));
		if (killed)
			waitpid(pid, NULL, 0);
		else
			CHECK(ut_join(pid));
		CHECK_EQ((unsigned)robust->entry.word,
			 FUTEX_WAITERS | FUTEX_OWNER_DIED);
	}
	munmap(robust, UT_PAGE);
}

/* What programs see: a robust, process-shared mutex whose owner died is
 * taken with EOWNERDEAD, made consistent, and works on. */
static void robust_mutex_child(void)
{
	CHECK_EQ(pthread_mutex_lock(&robust->mutex), 0);
}

static void robust_mutex(void)
{
	pthread_mutexattr_t a;
	robust = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(robust != MAP_FAILED);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	CHECK_EQ(pthread_mutex_init(&robust->mutex, &a), 0);
	CHECK(ut_join(ut_spawn(robust_mutex_child)));
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 5; /* a lock never released fails, never hangs */
	CHECK_EQ(pthread_mutex_timedlock(&robust->mutex, &t), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(&robust->mutex), 0);
	CHECK_EQ(pthread_mutex_unlock(&robust->mutex), 0);
	CHECK_EQ(pthread_mutex_lock(&robust->mutex), 0);
	CHECK_EQ(pthread_mutex_unlock(&robust->mutex), 0);
	munmap(robust, UT_PAGE);
}

/* set_robust_list takes Linux's head size only; get_robust_list gives
 * back what the caller set, ESRCH for no such thread. */
static void robust_list_calls(void)
{
	long head[3] = {0}, got = 0;
	size_t len = 0;
	CHECK_ERR(syscall(SYS_set_robust_list, head, 23), EINVAL);
	CHECK_EQ(syscall(SYS_set_robust_list, head, 24), 0);
	CHECK_EQ(syscall(SYS_get_robust_list, 0, &got, &len), 0);
	CHECK_EQ(got, (long)head);
	CHECK_EQ(len, 24);
	CHECK_EQ(syscall(SYS_get_robust_list, syscall(SYS_gettid), &got, &len),
		 0);
	CHECK_EQ(got, (long)head);
	CHECK_ERR(syscall(SYS_get_robust_list, 0x3ffffff0, &got, &len), ESRCH);
	CHECK_ERR(syscall(SYS_get_robust_list, 0, NULL, &len), EFAULT);
	CHECK_EQ(syscall(SYS_set_robust_list, NULL, 24), 0);
}

/* --- Priority inheritance --- */

/* A PI call on word with an absolute deadline ms from now on clock (none
 * for ms == -1; a negative one is past). */
static long pi(volatile int *word, int op, long ms, clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	long long ns = t.tv_nsec + ms * 1000000LL;
	t.tv_sec += ns / 1000000000 - (ns < 0);
	t.tv_nsec = (ns % 1000000000 + 1000000000) % 1000000000;
	return syscall(SYS_futex, word, op, 0, ms != -1 ? &t : NULL, NULL, 0);
}

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

static int load(volatile int *w)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

/* Wait (5 s at most) until *w has FUTEX_WAITERS: a locker is queued. */
static int wait_for_waiters(volatile int *w)
{
	for (int i = 0; i < 5000 && !(load(w) & (int)FUTEX_WAITERS); i++)
		ut_sleep_ms(1);
	return EXPECT(load(w) & (int)FUTEX_WAITERS);
}

/* The word's protocol and the errors without contention: 0 is taken
 * (the caller's tid), held by the caller EDEADLK, unlocked by another
 * EPERM, a tid of no thread ESRCH, bad words EINVAL or EFAULT. */
static void pi_errors(void)
{
	static volatile int w;
	int tid = gettid_();
	w = 0;
	CHECK_EQ(pi(&w, FUTEX_LOCK_PI | FUTEX_PRIVATE, -1, 0), 0);
	CHECK_EQ(load(&w), tid);
	CHECK_ERR(pi(&w, FUTEX_LOCK_PI | FUTEX_PRIVATE, -1, 0), EDEADLK);
	CHECK_ERR(pi(&w, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE, -1, 0), EDEADLK);
	CHECK_EQ(pi(&w, FUTEX_UNLOCK_PI | FUTEX_PRIVATE, -1, 0), 0);
	CHECK_EQ(load(&w), 0);
	CHECK_ERR(pi(&w, FUTEX_UNLOCK_PI | FUTEX_PRIVATE, -1, 0), EPERM);
	CHECK_EQ(pi(&w, FUTEX_TRYLOCK_PI, -1, 0), 0);
	CHECK_EQ(load(&w), tid);
	CHECK_EQ(pi(&w, FUTEX_UNLOCK_PI, -1, 0), 0);
	w = (int)FUTEX_TID_MASK - 5; /* nobody's */
	CHECK_ERR(pi(&w, FUTEX_LOCK_PI | FUTEX_PRIVATE, 100, CLOCK_REALTIME),
		  ESRCH);
	CHECK_ERR(pi(&w, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE, -1, 0), ESRCH);
	CHECK_ERR(pi(&w, FUTEX_UNLOCK_PI | FUTEX_PRIVATE, -1, 0), EPERM);
	w = getppid(); /* another process's thread: held */
	CHECK_ERR(pi(&w, FUTEX_TRYLOCK_PI, -1, 0), EAGAIN);
	CHECK_EQ((unsigned)load(&w), getppid() | FUTEX_WAITERS);
	/* a private lock's owner is in the caller's address space */
	CHECK_ERR(pi(&w, FUTEX_LOCK_PI | FUTEX_PRIVATE, -1, 0), EPERM);
	CHECK_ERR(pi(&w, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE, -1, 0), EPERM);
	CHECK_ERR(pi(&w, FUTEX_UNLOCK_PI, -1, 0), EPERM);
	static int pair[2];
	volatile int *odd = (volatile int *)((char *)pair + 1);
	CHECK_ERR(pi(odd, FUTEX_LOCK_PI, -1, 0), EINVAL);
	CHECK_ERR(pi(NULL, FUTEX_LOCK_PI, -1, 0), EFAULT);
	CHECK_ERR(pi(UT_KERNEL_ADDR, FUTEX_TRYLOCK_PI, -1, 0), EFAULT);
	volatile int *ro =
	    mmap(NULL, UT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	CHECK_ERR(pi(ro, FUTEX_LOCK_PI, -1, 0), EFAULT);
	munmap((void *)ro, UT_PAGE);
	struct timespec bad = {0, 1000000000};
	w = getppid();
	CHECK_ERR(syscall(SYS_futex, &w, FUTEX_LOCK_PI, 0, &bad, NULL, 0),
		  EINVAL);
	CHECK_ERR(pi(&w, FUTEX_LOCK_PI | FUTEX_REALTIME, 10, CLOCK_REALTIME),
		  ENOSYS);
}

/* A lock held by another process's thread: LOCK_PI's deadline is on
 * CLOCK_REALTIME, LOCK_PI2's on CLOCK_MONOTONIC or, with
 * FUTEX_CLOCK_REALTIME, CLOCK_REALTIME; a deadline past fails at once. */
static void pi_timeouts(void)
{
	static const struct {
		int op;
		clockid_t clock;
	} kinds[] = {
	    {FUTEX_LOCK_PI, CLOCK_REALTIME},
	    {FUTEX_LOCK_PI2, CLOCK_MONOTONIC},
	    {FUTEX_LOCK_PI2 | FUTEX_REALTIME, CLOCK_REALTIME},
	};
	static volatile int w;
	for (int i = 0; i < 3; i++) {
		w = getppid();
		long long start = ut_now_ns();
		CHECK_ERR(pi(&w, kinds[i].op, 50, kinds[i].clock), ETIMEDOUT);
		CHECK(ut_now_ns() - start >= 45000000LL);
		CHECK(ut_now_ns() - start < 5000000000LL);
		CHECK_ERR(pi(&w, kinds[i].op, -100, kinds[i].clock), ETIMEDOUT);
	}
}

/* A signal whose handler returns does not end LOCK_PI: it goes on (to
 * its deadline here), as Linux restarts it. */
static void pi_signal(void)
{
	static volatile int w;
	struct sigaction sa = {.sa_handler = alarm_handler}, old;
	struct itimerval it = {.it_value = {0, 20000}};
	w = getppid();
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	long long start = ut_now_ns();
	long r = pi(&w, FUTEX_LOCK_PI, 200, CLOCK_REALTIME);
	int err = errno;
	it.it_value.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	sigaction(SIGALRM, &old, NULL);
	errno = err;
	CHECK_ERR(r, ETIMEDOUT);
	CHECK(ut_now_ns() - start >= 190000000LL);
}

struct pi_locker {
	volatile int *word;
	int op;
	long ret;
	int err, tid;
};

/* Lock word (5 s at most), then give it back with FUTEX_UNLOCK_PI. */
static void *pi_locker(void *arg)
{
	struct pi_locker *l = arg;
	l->tid = gettid_();
	l->ret = pi(l->word, l->op, 5000, CLOCK_REALTIME);
	l->err = errno;
	if (l->ret == 0 && (load(l->word) & (int)FUTEX_TID_MASK) != l->tid)
		l->ret = -2; /* taken, but the word does not say so */
	if (l->ret == 0)
		pi(l->word,
		   l->op == FUTEX_LOCK_PI ? FUTEX_UNLOCK_PI
					  : FUTEX_UNLOCK_PI | FUTEX_PRIVATE,
		   -1, 0);
	return NULL;
}

/* Hand-over: the waiter the kernel queued (FUTEX_WAITERS) gets the lock
 * from FUTEX_UNLOCK_PI, its tid in the word, private and shared. */
static void pi_handover(void)
{
	static volatile int w;
	for (int shared = 0; shared < 2; shared++) {
		struct pi_locker l = {.word = &w,
				      .op = shared ? FUTEX_LOCK_PI
						   : FUTEX_LOCK_PI |
							 FUTEX_PRIVATE};
		pthread_t t;
		w = gettid_();
		CHECK(pthread_create(&t, NULL, pi_locker, &l) == 0);
		int queued = wait_for_waiters(&w);
		int r = (int)pi(
		    &w, FUTEX_UNLOCK_PI | (shared ? 0 : FUTEX_PRIVATE), -1, 0);
		pthread_join(t, NULL);
		CHECK(queued);
		CHECK_EQ(r, 0);
		CHECK_EQ(l.ret, 0);
		CHECK_EQ(load(&w), 0);
	}
}

/* A cycle (this thread holds B and waits for A, whose owner waits for
 * B) is refused with EDEADLK instead of sleeping forever. */
static volatile int cycle_a, cycle_b;

static void *cycle_owner(void *arg)
{
	long *r = arg;
	if (pi(&cycle_a, FUTEX_LOCK_PI | FUTEX_PRIVATE, -1, 0) != 0)
		return NULL;
	while (!(load(&cycle_b) & (int)FUTEX_TID_MASK))
		ut_sleep_ms(1);
	*r = pi(&cycle_b, FUTEX_LOCK_PI | FUTEX_PRIVATE, 5000, CLOCK_REALTIME);
	if (*r == 0)
		pi(&cycle_b, FUTEX_UNLOCK_PI | FUTEX_PRIVATE, -1, 0);
	pi(&cycle_a, FUTEX_UNLOCK_PI | FUTEX_PRIVATE, -1, 0);
	return NULL;
}

static void pi_deadlock(void)
{
	pthread_t t;
	long r = -1;
	cycle_a = cycle_b = 0;
	CHECK(pthread_create(&t, NULL, cycle_owner, &r) == 0);
	while (!load(&cycle_a))
		ut_sleep_ms(1);
	CHECK_EQ(pi(&cycle_b, FUTEX_LOCK_PI | FUTEX_PRIVATE, -1, 0), 0);
	int queued = wait_for_waiters(&cycle_b);
	long mine =
	    pi(&cycle_a, FUTEX_LOCK_PI | FUTEX_PRIVATE, 5000, CLOCK_REALTIME);
	int err = errno;
	pi(&cycle_b, FUTEX_UNLOCK_PI | FUTEX_PRIVATE, -1, 0);
	pthread_join(t, NULL);
	CHECK(queued);
	errno = err;
	CHECK_ERR(mine, EDEADLK);
	CHECK_EQ(r, 0);
}

/* What programs use: a PTHREAD_PRIO_INHERIT mutex, error-checking. The
 * lock word is musl's second int. */
static pthread_mutex_t pi_m;
static volatile int pi_phase;

static void *pi_mutex_other(void *arg)
{
	(void)arg;
	struct timespec t;
	long r = pthread_mutex_trylock(&pi_m) == EBUSY;
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 50000000;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	r = r && pthread_mutex_timedlock(&pi_m, &t) == ETIMEDOUT;
	t.tv_sec += 5;
	__atomic_store_n(&pi_phase, 1, __ATOMIC_SEQ_CST);
	r = r && pthread_mutex_timedlock(&pi_m, &t) == 0; /* handed over */
	r = r && pthread_mutex_unlock(&pi_m) == 0;
	return (void *)r;
}

static void pi_mutex(void)
{
	pthread_mutexattr_t a;
	pthread_t t;
	void *ok;
	pthread_mutexattr_init(&a);
	CHECK_EQ(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0);
	CHECK_EQ(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
	CHECK_EQ(pthread_mutex_init(&pi_m, &a), 0);
	CHECK_EQ(pthread_mutex_lock(&pi_m), 0);
	CHECK_EQ((load((volatile int *)&pi_m + 1) & (int)FUTEX_TID_MASK),
		 gettid_());
	CHECK_EQ(pthread_mutex_lock(&pi_m), EDEADLK);
	pi_phase = 0;
	CHECK(pthread_create(&t, NULL, pi_mutex_other, NULL) == 0);
	while (!load(&pi_phase))
		ut_sleep_ms(1);
	int queued = wait_for_waiters((volatile int *)&pi_m + 1);
	CHECK_EQ(pthread_mutex_unlock(&pi_m), 0);
	pthread_join(t, &ok);
	CHECK(queued);
	CHECK(ok);
	CHECK_EQ(pthread_mutex_trylock(&pi_m), 0);
	CHECK_EQ(pthread_mutex_unlock(&pi_m), 0);
	CHECK_EQ(pthread_mutex_unlock(&pi_m), EPERM);
	pthread_mutex_destroy(&pi_m);
}

/* The owner of a robust PI mutex dies, once before anyone waits and once
 * while this process waits for it: the lock comes with EOWNERDEAD. The
 * same for a raw PI word with no robust list: the waiter gets it with
 * FUTEX_OWNER_DIED, and a tid that no longer exists is refused (ESRCH). */
static void pi_die_holding(void)
{
	CHECK_EQ(pthread_mutex_lock(&robust->mutex), 0);
	__atomic_store_n(&robust->wait_for_kill, 1, __ATOMIC_SEQ_CST);
	while (
	    !(load((volatile int *)&robust->mutex + 1) & (int)FUTEX_WAITERS) &&
	    load(&robust->entry.word))
		ut_sleep_ms(1);
}

static void pi_raw_die_holding(void)
{
	CHECK_EQ(pi(&robust->entry.word, FUTEX_LOCK_PI, -1, 0), 0);
	wait_for_waiters(&robust->entry.word);
}

static void pi_owner_died(void)
{
	pthread_mutexattr_t a;
	struct timespec t;
	robust = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(robust != MAP_FAILED);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	for (int waiting = 0; waiting < 2; waiting++) {
		CHECK_EQ(pthread_mutex_init(&robust->mutex, &a), 0);
		robust->wait_for_kill = 0;
		robust->entry.word = waiting; /* the child waits for us */
		pid_t pid = ut_spawn(pi_die_holding);
		while (!load(&robust->wait_for_kill) && waiting)
			ut_sleep_ms(1);
		if (!waiting)
			CHECK(ut_join(pid));
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_sec += 5; /* never released fails, never hangs */
		CHECK_EQ(pthread_mutex_timedlock(&robust->mutex, &t),
			 EOWNERDEAD);
		CHECK_EQ(pthread_mutex_consistent(&robust->mutex), 0);
		CHECK_EQ(pthread_mutex_unlock(&robust->mutex), 0);
		CHECK_EQ(pthread_mutex_lock(&robust->mutex), 0);
		CHECK_EQ(pthread_mutex_unlock(&robust->mutex), 0);
		if (waiting)
			CHECK(ut_join(pid));
	}
	robust->entry.word = 0;
	pid_t pid = ut_spawn(pi_raw_die_holding);
	while (!load(&robust->entry.word))
		ut_sleep_ms(1);
	CHECK_EQ(pi(&robust->entry.word, FUTEX_LOCK_PI, 5000, CLOCK_REALTIME),
		 0);
	CHECK(ut_join(pid));
	CHECK_EQ((unsigned)load(&robust->entry.word),
		 gettid_() | FUTEX_WAITERS | FUTEX_OWNER_DIED);
	CHECK_EQ(pi(&robust->entry.word, FUTEX_UNLOCK_PI, -1, 0), 0);
	robust->entry.word = pid; /* exited: nobody's */
	CHECK_ERR(pi(&robust->entry.word, FUTEX_LOCK_PI, 100, CLOCK_REALTIME),
		  ESRCH);
	munmap(robust, UT_PAGE);
}

/*
 * Priority inversion on one CPU: a low-priority process holds a PI mutex
 * (process-shared), a medium one spins, a high one wants the mutex. With
 * inheritance the owner runs at the waiter's priority, so the waiter gets
 * the mutex while the spinner still spins; without, the owner never runs
 * until the spinner gives up (after 10 s) and the case fails. Priorities
 * are SCHED_FIFO 10, 20, 30 where that exists (Linux, as root), else nice
 * 19, 0, -20 (lux's scheduler is strictly by priority; the test runs as
 * root there).
 */
struct inversion {
	pthread_mutex_t m, m2;
	volatile int locked, spinning, spun_out, waiting, done;
	/* 1: pi_drop_back's variant, 2: pi_waiter_lowered's (both: drop),
	 * 3: pi_chain's */
	int mode, drop;
};

static struct inversion *inv;

static int set_level_of(pid_t pid, int level) /* 0 low, 1 medium, 2 high */
{
	struct sched_param p = {.sched_priority = 10 + 10 * level};
	/* the call itself: musl's sched_setscheduler is always ENOSYS */
	if (syscall(SYS_sched_setscheduler, pid, SCHED_FIFO, &p) == 0)
		return 1;
	return EXPECT(errno == ENOSYS) &&
	       EXPECT(setpriority(PRIO_PROCESS, pid,
				  19 - 19 * level - (level == 2)) == 0);
}

static int set_level(int level)
{
	return set_level_of(0, level);
}

static void inv_low(void)
{
	CHECK(set_level(0));
	CHECK_EQ(pthread_mutex_lock(&inv->m), 0);
	__atomic_store_n(&inv->locked, 1, __ATOMIC_SEQ_CST);
	while (!load(inv->drop ? &inv->done : &inv->waiting))
		ut_sleep_ms(1);
	if (inv->drop && !load(&inv->spun_out))
		ut_fail("the owner still ran at the priority of a waiter "
			"that had %s",
			inv->mode == 1 ? "timed out" : "been lowered");
	CHECK_EQ(pthread_mutex_unlock(&inv->m), 0);
}

static void inv_medium(void)
{
	CHECK(set_level(1));
	__atomic_store_n(&inv->spinning, 1, __ATOMIC_SEQ_CST);
	long long end = ut_now_ns() + (inv->drop ? 1 : 10) * 1000000000LL;
	while (!(load(&inv->done) && !inv->drop) && ut_now_ns() < end)
		;
	__atomic_store_n(&inv->spun_out, 1, __ATOMIC_SEQ_CST);
}

static void inv_high(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	if (inv->mode == 1) /* 200 ms */
		t.tv_nsec += 200000000;
	else
		t.tv_sec += 30;
	t.tv_sec += t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	__atomic_store_n(&inv->waiting, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_t *m = inv->mode == 3 ? &inv->m2 : &inv->m;
	int r = pthread_mutex_timedlock(m, &t);
	int spun_out = load(&inv->spun_out);
	__atomic_store_n(&inv->done, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ(r, inv->mode == 1 ? ETIMEDOUT : 0);
	if (inv->mode != 1)
		CHECK_EQ(pthread_mutex_unlock(m), 0);
	if (spun_out && !inv->drop)
		ut_fail(
		    "the waiter got the mutex only once the spinner stopped");
}

/* pi_chain's middle: holds m2, waits for m. */
static void inv_middle(void)
{
	CHECK(set_level(0));
	CHECK_EQ(pthread_mutex_lock(&inv->m2), 0);
	CHECK_EQ(pthread_mutex_lock(&inv->m), 0);
	CHECK_EQ(pthread_mutex_unlock(&inv->m), 0);
	CHECK_EQ(pthread_mutex_unlock(&inv->m2), 0);
}

static void inv_run(void)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CHECK_EQ(sched_setaffinity(0, sizeof(one), &one), 0);
	CHECK(set_level(2));
	pid_t low = ut_spawn(inv_low);
	while (low > 0 && !load(&inv->locked))
		ut_sleep_ms(1);
	pid_t middle = inv->mode == 3 ? ut_spawn(inv_middle) : 0;
	while (middle > 0 &&
	       !(load((volatile int *)&inv->m + 1) & (int)FUTEX_WAITERS))
		ut_sleep_ms(1);
	pid_t medium = ut_spawn(inv_medium);
	while (medium > 0 && !load(&inv->spinning))
		ut_sleep_ms(1);
	pid_t hp = ut_spawn(inv_high);
	if (inv->mode == 2) { /* once it waits, it drops to the lowest */
		while (hp > 0 && !(load((volatile int *)&inv->m + 1) &
				   (int)FUTEX_WAITERS))
			ut_sleep_ms(1);
		CHECK(set_level_of(hp, 0));
		__atomic_store_n(&inv->done, 1, __ATOMIC_SEQ_CST);
	}
	int high = ut_join(hp);
	int rest =
	    ut_join(medium) & ut_join(low) & (!middle || ut_join(middle));
	CHECK(high && rest);
}

static void run_inversion(int mode)
{
	pthread_mutexattr_t a;
	inv = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(inv != MAP_FAILED);
	memset(inv, 0, sizeof(*inv));
	inv->mode = mode;
	inv->drop = mode == 1 || mode == 2;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
	CHECK_EQ(pthread_mutex_init(&inv->m, &a), 0);
	CHECK_EQ(pthread_mutex_init(&inv->m2, &a), 0);
	int ok = ut_in_child(inv_run);
	munmap(inv, UT_PAGE);
	CHECK(ok);
}

static void pi_inversion(void)
{
	run_inversion(0);
}

/* The same three, but the high one gives up after 200 ms: the owner
 * drops back to its own priority at once, and runs only once the spinner
 * stopped (after 1 s). */
static void pi_drop_back(void)
{
	run_inversion(1);
}

/* The same, but the high one's priority drops to the lowest while it
 * waits (setpriority, or SCHED_FIFO 10 on Linux): so does the owner's. */
static void pi_waiter_lowered(void)
{
	run_inversion(2);
}

/* A chain: the high one waits for m2, whose owner (low) waits for m,
 * held by another low one: both owners run at the high priority, and the
 * high one gets m2 while the spinner still spins. */
static void pi_chain(void)
{
	run_inversion(3);
}

static const struct ut_case cases[] = {
    UT_CASE(wait_eagain),   UT_CASE(wait_timeout),
    UT_CASE(wake_nobody),   UT_CASE(wait_wake),
    UT_CASE(wake_count),    UT_CASE(requeue),
    UT_CASE(shared_fork),   UT_CASE(private_not_shared),
    UT_CASE(bad_arguments), UT_CASE(bitset_deadlines),
    UT_CASE(bitset_match),  UT_CASE(robust_owner_died),
    UT_CASE(robust_mutex),  UT_CASE(robust_list_calls),
    UT_CASE(pi_errors),     UT_CASE(pi_timeouts),
    UT_CASE(pi_signal),     UT_CASE(pi_handover),
    UT_CASE(pi_deadlock),   UT_CASE(pi_mutex),
    UT_CASE(pi_owner_died), UT_CASE(pi_inversion),
    UT_CASE(pi_drop_back),  UT_CASE(pi_waiter_lowered),
    UT_CASE(pi_chain),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "futex", cases, UT_COUNT(cases));
}
