/*
 * futex: the raw futex(2) calls musl's threads are built on. FUTEX_WAIT
 * and FUTEX_WAKE, private and shared (across fork through MAP_SHARED),
 * timeouts that end no earlier than asked, EAGAIN when the value differs,
 * exact wake counts, FUTEX_REQUEUE (musl's pthread_cond_broadcast), and
 * the errors for bad arguments.
 *
 * No wait here is without a timeout, and a wake that must find a waiter is
 * retried until it does, so a missing feature fails instead of hanging.
 */
#include "utest.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT        0
#define FUTEX_WAKE        1
#define FUTEX_REQUEUE     3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_PRIVATE     128

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

static const struct ut_case cases[] = {
    UT_CASE(wait_eagain), UT_CASE(wait_timeout),       UT_CASE(wake_nobody),
    UT_CASE(wait_wake),   UT_CASE(wake_count),         UT_CASE(requeue),
    UT_CASE(shared_fork), UT_CASE(private_not_shared), UT_CASE(bad_arguments),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "futex", cases, UT_COUNT(cases));
}
