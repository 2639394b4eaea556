/*
 * thread: threads through musl's pthreads and a raw clone(). Creation and
 * join values, mutexes and condition variables with exact counts,
 * thread-local storage (musl sets the thread pointer with arch_prctl on
 * x86_64), CLONE_PARENT_SETTID and CLONE_CHILD_CLEARTID, exit from a
 * thread ending the process, the main thread exiting first, thread ids,
 * big thread stacks, and registers kept across context switches.
 */
#include "utest.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT 0

static void *return_arg(void *arg)
{
	return (char *)arg + 1;
}

static void create_join(void)
{
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		CHECK_EQ(
		    pthread_create(&t[i], NULL, return_arg, (void *)(i * 3)),
		    0);
	for (long i = 0; i < 8; i++) {
		void *ret = NULL;
		CHECK_EQ(pthread_join(t[i], &ret), 0);
		CHECK_EQ((long)ret, i * 3 + 1);
	}
}

#define COUNT_THREADS 4
#define COUNT_EACH    20000

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_up(void *arg)
{
	(void)arg;
	for (int i = 0; i < COUNT_EACH; i++) {
		pthread_mutex_lock(&count_lock);
		long v = counter;
		if (i % 64 == 0)
			sched_yield(); /* hold the lock across a switch */
		counter = v + 1;
		pthread_mutex_unlock(&count_lock);
	}
	return NULL;
}

static void mutex_counter(void)
{
	pthread_t t[COUNT_THREADS];
	counter = 0;
	for (int i = 0; i < COUNT_THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, count_up, NULL), 0);
	for (int i = 0; i < COUNT_THREADS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(counter, COUNT_THREADS * COUNT_EACH);
}

/* A bounded queue between producers and consumers. */
#define QUEUE_SIZE 8
#define ITEMS      500

static struct {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	int items[QUEUE_SIZE];
	int head, count;
	long consumed_sum;
	int consumed;
} queue = {.lock = PTHREAD_MUTEX_INITIALIZER,
	   .not_full = PTHREAD_COND_INITIALIZER,
	   .not_empty = PTHREAD_COND_INITIALIZER};

static void *produce(void *arg)
{
	(void)arg;
	for (int i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&queue.lock);
		while (queue.count == QUEUE_SIZE)
			pthread_cond_wait(&queue.not_full, &queue.lock);
		queue.items[(queue.head + queue.count++) % QUEUE_SIZE] = i;
		pthread_cond_signal(&queue.not_empty);
		pthread_mutex_unlock(&queue.lock);
	}
	return NULL;
}

/* Consume until the end marker (0), which it puts back for the others. */
static void *consume(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&queue.lock);
		while (queue.count == 0)
			pthread_cond_wait(&queue.not_empty, &queue.lock);
		int v = queue.items[queue.head];
		if (v == 0) {
			pthread_cond_broadcast(&queue.not_empty);
			pthread_mutex_unlock(&queue.lock);
			return NULL;
		}
		queue.head = (queue.head + 1) % QUEUE_SIZE;
		queue.count--;
		queue.consumed++;
		queue.consumed_sum += v;
		pthread_cond_signal(&queue.not_full);
		pthread_mutex_unlock(&queue.lock);
	}
}

static void condvar_queue(void)
{
	pthread_t prod[2], cons[2];
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(pthread_create(&cons[i], NULL, consume, NULL), 0);
		CHECK_EQ(pthread_create(&prod[i], NULL, produce, NULL), 0);
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(prod[i], NULL), 0);
	pthread_mutex_lock(&queue.lock);
	while (queue.count == QUEUE_SIZE)
		pthread_cond_wait(&queue.not_full, &queue.lock);
	queue.items[(queue.head + queue.count++) % QUEUE_SIZE] = 0;
	pthread_cond_broadcast(&queue.not_empty);
	pthread_mutex_unlock(&queue.lock);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(cons[i], NULL), 0);
	CHECK_EQ(queue.consumed, 2 * ITEMS);
	CHECK_EQ(queue.consumed_sum, 2L * ITEMS * (ITEMS + 1) / 2);
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_waiting, gate_passed;

static void *wait_gate(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_lock);
	gate_waiting++;
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	gate_passed++;
	pthread_mutex_unlock(&gate_lock);
	return NULL;
}

static void cond_broadcast(void)
{
	pthread_t t[6];
	for (int i = 0; i < 6; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, wait_gate, NULL), 0);
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&gate_lock);
		int all = gate_waiting == 6;
		pthread_mutex_unlock(&gate_lock);
		if (all)
			break;
		ut_sleep_ms(1);
	}
	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(gate_passed, 6);
}

/* ---- thread-local storage ------------------------------------------- */

static __thread int tls_value = 7;
static __thread char tls_zero[64];
static pthread_barrier_t tls_barrier;

static void *tls_thread(void *arg)
{
	int id = (int)(long)arg;
	if (!EXPECT_EQ(tls_value, 7) || !EXPECT_EQ(tls_zero[63], 0))
		return NULL;
	tls_value = 100 + id;
	tls_zero[63] = (char)id;
	pthread_barrier_wait(&tls_barrier); /* everyone has written */
	EXPECT_EQ(tls_value, 100 + id);
	EXPECT_EQ(tls_zero[63], id);
#ifdef SYS_arch_prctl
	unsigned long fs = 0;
	EXPECT_EQ(syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs), 0);
	EXPECT_EQ(fs, (unsigned long)pthread_self());
#endif
	return &tls_value;
}

static void tls(void)
{
	pthread_t t[4];
	void *addr[4];
	tls_value = 7;
	CHECK_EQ(pthread_barrier_init(&tls_barrier, NULL, 4), 0);
	for (long i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, tls_thread, (void *)i), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_join(t[i], &addr[i]), 0);
	pthread_barrier_destroy(&tls_barrier);
	CHECK(!ut_failed());
	CHECK_EQ(tls_value, 7);
	for (int i = 0; i < 4; i++) {
		CHECK(addr[i] != NULL && addr[i] != &tls_value);
		for (int j = 0; j < i; j++)
			CHECK(addr[i] != addr[j]);
	}
}

/* ---- join, ids and clone flags --------------------------------------- */

static volatile int late_done;

static void *finish_late(void *arg)
{
	(void)arg;
	ut_sleep_ms(50);
	late_done = 1;
	return NULL;
}

static void join_waits(void)
{
	pthread_t t;
	late_done = 0;
	CHECK_EQ(pthread_create(&t, NULL, finish_late, NULL), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(late_done, 1);
	late_done = 0;
	CHECK_EQ(pthread_create(&t, NULL, finish_late, NULL), 0);
	CHECK_EQ(pthread_detach(t), 0);
	for (int i = 0; i < 5000 && !late_done; i++)
		ut_sleep_ms(1);
	CHECK_EQ(late_done, 1);
}

static volatile int clone_tid_seen;

static int clone_body(void *arg)
{
	(void)arg;
	clone_tid_seen = (int)syscall(SYS_gettid);
	return 0;
}

static void clone_cleartid(void)
{
	static pid_t ptid, ctid;
	size_t size = 64 * 1024;
	char *stack = malloc(size);
	CHECK(stack != NULL);
	ptid = 0;
	ctid = -1;
	clone_tid_seen = 0;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
		    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
		    CLONE_CHILD_CLEARTID;
	int tid =
	    clone(clone_body, stack + size, flags, NULL, &ptid, NULL, &ctid);
	CHECK(tid > 0);
	/* The kernel clears ctid and wakes it when the thread is gone. */
	for (int i = 0; i < 5 && ctid != 0; i++) {
		struct timespec t = {3, 0};
		long r = syscall(SYS_futex, &ctid, FUTEX_WAIT, -1, &t, NULL, 0);
		if (r < 0 && errno == ETIMEDOUT && ctid == 0)
			ut_fail("ctid cleared without a futex wake");
	}
	CHECK_EQ(ctid, 0);
	CHECK_EQ(ptid, tid);
	CHECK_EQ(clone_tid_seen, tid);
	CHECK(tid != getpid());
	free(stack);
}

/* ---- CLONE_VFORK with CLONE_THREAD --------------------------------- */

#define VFORK_THREAD (CLONE_VM | CLONE_SIGHAND | CLONE_VFORK | CLONE_THREAD)
#define VFORK_STACK  (64 * 1024)

static int vfork_pipe[2];

static int exit_at_once(void *arg)
{
	(void)arg;
	return 0; /* musl's clone ends the thread with SYS_exit */
}

/* The caller waits until the new thread exits (it is no process: the
 * kernel once waited for a process's end that never came, unkillably). */
static void vfork_exit_child(void)
{
	char *stack = malloc(VFORK_STACK);
	alarm(60);
	int tid = clone(exit_at_once, stack + VFORK_STACK, VFORK_THREAD, NULL);
	CHECK(tid > 0);
	CHECK(tid != getpid());
}

static int block_forever(void *arg)
{
	(void)arg;
	syscall(SYS_write, vfork_pipe[1], "x", 1);
	for (;;)
		syscall(SYS_ppoll, NULL, 0L, NULL, NULL, 0L);
}

static void vfork_block_child(void)
{
	char *stack = malloc(VFORK_STACK);
	clone(block_forever, stack + VFORK_STACK, VFORK_THREAD, NULL);
	_exit(2); /* never: SIGKILL comes while it waits */
}

static volatile sig_atomic_t vfork_deadline_hit;

static void vfork_deadline(int sig)
{
	(void)sig;
	vfork_deadline_hit = 1;
}

/* Wait up to 60 s for pid; its status, or -1 when it did not end. */
static int wait_bounded(pid_t pid)
{
	struct sigaction sa = {.sa_handler = vfork_deadline}, old;
	int status = -1;
	sigaction(SIGALRM, &sa, &old);
	vfork_deadline_hit = 0;
	alarm(60);
	while (!vfork_deadline_hit && waitpid(pid, &status, 0) != pid)
		status = -1;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return status;
}

static void vfork_thread_exit(void)
{
	pid_t pid = ut_spawn(vfork_exit_child);
	int status = wait_bounded(pid);
	if (status == -1)
		ut_kill(pid);
	CHECK_EQ(status, 0);
}

/* The thread blocks for ever, so the caller waits for ever, and SIGKILL
 * from another process ends it. */
static void vfork_thread_kill(void)
{
	char c;
	CHECK_EQ(pipe(vfork_pipe), 0);
	pid_t pid = ut_spawn(vfork_block_child);
	CHECK(pid > 0);
	CHECK_EQ(read(vfork_pipe[0], &c, 1), 1); /* the thread runs */
	CHECK_EQ(kill(pid, SIGKILL), 0);
	int status = wait_bounded(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(vfork_pipe[0]);
	close(vfork_pipe[1]);
}

static pid_t tid_of[6];

static void *record_tid(void *arg)
{
	long i = (long)arg;
	tid_of[i] = (pid_t)syscall(SYS_gettid);
	EXPECT_EQ(getpid(), syscall(SYS_getpid));
	return (void *)(long)getpid();
}

static void thread_ids(void)
{
	pthread_t t[6];
	for (long i = 0; i < 6; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, record_tid, (void *)i), 0);
	for (int i = 0; i < 6; i++) {
		void *pid;
		CHECK_EQ(pthread_join(t[i], &pid), 0);
		CHECK_EQ((long)pid, getpid());
		CHECK(tid_of[i] > 0 && tid_of[i] != getpid());
		for (int j = 0; j < i; j++)
			CHECK(tid_of[i] != tid_of[j]);
	}
}

static void *exit_process(void *arg)
{
	(void)arg;
	_exit(5); /* exit_group: every thread goes */
}

static void exit_child(void)
{
	pthread_t t;
	pthread_create(&t, NULL, exit_process, NULL);
	ut_sleep_ms(5000);
	_exit(99);
}

static void exit_from_thread(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		exit_child();
	int status = ut_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 5);
}

static void *exit_later(void *arg)
{
	(void)arg;
	ut_sleep_ms(30);
	exit(6);
}

static void main_exit_first(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exit_later, NULL);
		pthread_exit(NULL); /* the process lives on in the thread */
	}
	int status = ut_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 6);
}

static void many_threads(void)
{
	for (int round = 0; round < 5; round++) {
		pthread_t t[8];
		for (long i = 0; i < 8; i++)
			CHECK_EQ(
			    pthread_create(&t[i], NULL, return_arg, (void *)i),
			    0);
		for (long i = 0; i < 8; i++) {
			void *ret;
			CHECK_EQ(pthread_join(t[i], &ret), 0);
			CHECK_EQ((long)ret, i + 1);
		}
	}
}

static void *use_big_stack(void *arg)
{
	(void)arg;
	volatile char big[3 << 20];
	for (long i = sizeof(big) - 1; i >= 0; i -= 1024)
		big[i] = (char)i;
	long good = 0;
	for (long i = sizeof(big) - 1; i >= 0; i -= 1024)
		good += big[i] == (char)i;
	return (void *)good;
}

static void big_stack(void)
{
	pthread_attr_t attr;
	pthread_t t;
	void *ret;
	CHECK_EQ(pthread_attr_init(&attr), 0);
	CHECK_EQ(pthread_attr_setstacksize(&attr, 4 << 20), 0);
	CHECK_EQ(pthread_create(&t, &attr, use_big_stack, NULL), 0);
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK_EQ((long)ret, (3 << 20) / 1024);
	pthread_attr_destroy(&attr);
}

static void *yield_with_regs(void *arg)
{
	long seed = (long)arg;
	for (int i = 0; i < 300; i++)
		if (!ut_syscall_keeps_regs(SYS_sched_yield, 0, 0, 0, seed + i))
			break;
	return NULL;
}

/* Threads that yield with registers full of their own values: a context
 * switch must give each its own registers back. */
static void regs_across_switch(void)
{
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, yield_with_regs,
					(void *)(i * 1000)),
			 0);
	yield_with_regs((void *)5000);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
}

static const struct ut_case cases[] = {
    UT_CASE(create_join),
    UT_CASE(mutex_counter),
    UT_CASE(condvar_queue),
    UT_CASE(cond_broadcast),
    UT_CASE(tls),
    UT_CASE(join_waits),
    UT_CASE(clone_cleartid),
    UT_CASE(thread_ids),
    UT_CASE(exit_from_thread),
    UT_CASE(main_exit_first),
    UT_CASE(many_threads),
    UT_CASE(big_stack),
    UT_CASE(regs_across_switch),
    UT_CASE(vfork_thread_exit),
    UT_CASE(vfork_thread_kill),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "thread", cases, UT_COUNT(cases));
}
