/*
 * futex: the raw futex(2) calls musl's threads are built on. FUTEX_WAIT
 * and FUTEX_WAKE, private and shared (across fork through MAP_SHARED),
 * timeouts that end no earlier than asked, EAGAIN when the value differs,
 * exact wake counts, FUTEX_REQUEUE (musl's pthread_cond_broadcast), and
 * the errors for bad arguments; FUTEX_WAIT_BITSET's bitsets and clocks;
 * robust lists (a lock whose owner dies gets FUTEX_OWNER_DIED, a waiter is
 * woken, and a robust pthread mutex reports EOWNERDEAD).
 *
 * No wait here is without a timeout, and a wake that must find a waiter is
 * retried until it does, so a missing feature fails instead of hanging.
 */
#include "utest.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT        0
#define FUTEX_WAKE        1
#define FUTEX_REQUEUE     3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE     128
#define FUTEX_REALTIME    256
#define FUTEX_WAITERS     0x80000000u
#define FUTEX_OWNER_DIED  0x40000000u

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

static const struct ut_case cases[] = {
    UT_CASE(wait_eagain),   UT_CASE(wait_timeout),
    UT_CASE(wake_nobody),   UT_CASE(wait_wake),
    UT_CASE(wake_count),    UT_CASE(requeue),
    UT_CASE(shared_fork),   UT_CASE(private_not_shared),
    UT_CASE(bad_arguments), UT_CASE(bitset_deadlines),
    UT_CASE(bitset_match),  UT_CASE(robust_owner_died),
    UT_CASE(robust_mutex),  UT_CASE(robust_list_calls),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "futex", cases, UT_COUNT(cases));
}
