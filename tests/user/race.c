/*
 * race: bounded stress cases for races between fork, copy-on-write, TLB
 * flushes on other CPUs, signal delivery and pthread cancellation (issue
 * 13). Each case repeats its scenario a bounded number of times; on one
 * CPU most of them cannot fail, on several they fail within a few rounds
 * when the kernel has the race.
 */
#include "utest.h"
#include "utest_arch.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Keep the calling thread on one CPU (of those online), so that the
 * threads of a case stay on different CPUs when there are several. */
static void pin(int cpu)
{
	static long n; /* counted before the first pin narrows the mask */
	cpu_set_t set;

	if (!n)
		n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(n > 1 ? (size_t)(cpu % n) : 0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static volatile long *shared_page; /* private anonymous: copied on write */
static volatile int writer_stop;
static volatile long writer_seen; /* the marker the writer last read */

/* The other thread: counts in the page without pause and echoes the
 * marker word, so the main thread knows it sees the same memory. */
static void *writer(void *arg)
{
	(void)arg;
	pin(1);
	for (unsigned n = 1; !writer_stop; n++) {
		shared_page[0]++;
		writer_seen = shared_page[1];
		if (!(n & 4095)) /* a way in for signals on any kernel */
			syscall(SYS_getppid);
	}
	return NULL;
}

/* Wait (bounded) until the writer echoes marker; 0 once it did. */
static int writer_echoes(long marker)
{
	for (long long end = ut_now_ns() + 10000000000LL; ut_now_ns() < end;)
		if (writer_seen == marker)
			return 0;
	return -1;
}

/*
 * A thread writes a private page without pause on another CPU while the
 * main thread forks. Fork write-protects the page; the writer's CPU must
 * forget its writable TLB entry, or its writes keep landing in the page
 * the child now shares (the child sees its copy change), and once the
 * parent copies the page, in the child's page only.
 */
static void fork_while_writing_child(void)
{
	pthread_t t;

	shared_page = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(shared_page != MAP_FAILED);
	shared_page[0] = 0;
	writer_stop = 0;
	pin(0); /* the children too: the writer's CPU never switches */
	CHECK_EQ(pthread_create(&t, NULL, writer, NULL), 0);
	for (long round = 1; round <= 40 && !ut_failed(); round++) {
		shared_page[1] = round; /* the parent's copy from now on */
		if (!EXPECT_EQ(writer_echoes(round), 0))
			break;
		pid_t pid = fork();
		if (pid == 0) { /* nobody writes the child's copy */
			long before = shared_page[0];
			for (volatile int i = 0; i < 20000; i++)
				;
			_exit(shared_page[0] == before ? 0 : 1);
		}
		if (!EXPECT(pid > 0))
			break;
		EXPECT_EQ(ut_wait(pid), 0);
	}
	shared_page[1] = -1;
	EXPECT_EQ(writer_echoes(-1), 0);
	if (ut_failed())
		return; /* _exit ends the writer */
	writer_stop = 1;
	pthread_join(t, NULL);
	munmap((void *)shared_page, UT_PAGE);
}

static void fork_while_writing(void)
{
	ut_in_child(fork_while_writing_child);
}

static volatile int held, released;

/* The writer's SIGSEGV handler: wait until the page is writable again. */
static void hold_writer(int sig)
{
	(void)sig;
	held = 1;
	while (!released)
		;
	held = 0;
}

/* Wait (bounded, yielding) until *flag is want; 0 once it is. */
static int wait_for(volatile int *flag, int want)
{
	for (long long end = ut_now_ns() + 10000000000LL; ut_now_ns() < end;
	     sched_yield())
		if (*flag == want)
			return 0;
	return -1;
}

/*
 * mprotect read-only while another thread writes the page on another
 * CPU: once mprotect returned, that thread's next write faults. A CPU
 * that kept its writable TLB entry wrote on (the kernel flushed the
 * other CPUs at page 0 only).
 */
static void protect_while_writing_child(void)
{
	struct sigaction sa = {.sa_handler = hold_writer};
	pthread_t t;

	shared_page = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(shared_page != MAP_FAILED);
	CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	pin(0);
	writer_stop = 0;
	CHECK_EQ(pthread_create(&t, NULL, writer, NULL), 0);
	for (int round = 0; round < 100; round++) {
		CHECK_EQ(mprotect((void *)shared_page, UT_PAGE, PROT_READ), 0);
		CHECK_EQ(wait_for(&held, 1), 0); /* it wrote and faulted */
		released = 1;
		CHECK_EQ(mprotect((void *)shared_page, UT_PAGE,
				  PROT_READ | PROT_WRITE),
			 0);
		CHECK_EQ(wait_for(&held, 0), 0);
		released = 0;
	}
	writer_stop = 1;
	pthread_join(t, NULL);
}

static void protect_while_writing(void)
{
	ut_in_child(protect_while_writing_child);
}

static volatile long *freed;

static void *reader(void *arg)
{
	(void)arg;
	pin(1);
	for (unsigned n = 1; !writer_stop; n++) {
		writer_seen = freed[0];
		if (!(n & 4095))
			syscall(SYS_getppid);
	}
	return NULL;
}

/*
 * munmap in one thread while another reads the page on another CPU: the
 * page goes back to the allocator only after every CPU has forgotten it;
 * afterwards the reader faults (SIGSEGV), it never reads a page that a
 * new owner (here a new mapping filled with another value) fills.
 */
static void unmap_while_reading(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		freed = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		freed[0] = 1;
		writer_seen = 0;
		pin(0);
		writer_stop = 0;
		pthread_create(&t, NULL, reader, NULL);
		while (writer_seen != 1)
			;
		/* no longer mapped (and its address not reused) */
		mmap((void *)freed, UT_PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		for (int i = 0; i < 64; i++) { /* take pages, fill them */
			long *p = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			p[0] = 2;
		}
		for (long long end = ut_now_ns() + 10000000000LL;
		     ut_now_ns() < end;)
			if (writer_seen == 2)
				_exit(1); /* read a page it no longer has */
		_exit(3);                 /* the reader should have faulted */
	}
	CHECK(pid > 0);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	char buf[64];
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		ut_fail("the child %s", ut_status(status, buf, sizeof(buf)));
}

static int cancel_fds[2];

/* Cancellation points: block in one until cancelled. */
static void *block_read(void *arg)
{
	char c;
	(void)arg;
	read(cancel_fds[0], &c, 1);
	return (void *)1;
}

static void *block_sleep(void *arg)
{
	(void)arg;
	struct timespec ts = {100, 0};
	nanosleep(&ts, NULL);
	return (void *)1;
}

static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cancel_cond = PTHREAD_COND_INITIALIZER;

static void unlock_it(void *m)
{
	pthread_mutex_unlock(m);
}

static void *block_cond(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cancel_lock);
	pthread_cleanup_push(unlock_it, &cancel_lock);
	for (;;)
		pthread_cond_wait(&cancel_cond, &cancel_lock);
	pthread_cleanup_pop(1);
	return (void *)1;
}

static void *block_poll(void *arg)
{
	struct pollfd p = {cancel_fds[0], POLLIN, 0};
	(void)arg;
	poll(&p, 1, 100000);
	return (void *)1;
}

static void *block_accept(void *arg)
{
	(void)arg;
	accept(cancel_fds[1], NULL, NULL);
	return (void *)1;
}

static void *spin_testcancel(void *arg)
{
	(void)arg;
	for (;;)
		pthread_testcancel();
	return (void *)1;
}

/*
 * pthread_cancel of a thread blocked in each cancellation point, many
 * times, sometimes before it blocks and sometimes while it does: musl
 * sends SIGCANCEL, whose handler moves the interrupted pc to its cancel
 * path when it is inside the system call's window.
 */
static void cancel_points(void)
{
	void *(*fns[])(void *) = {block_read, block_sleep, block_cond,
				  block_poll, spin_testcancel};
	CHECK_EQ(pipe(cancel_fds), 0);
	for (int round = 0; round < 60 && !ut_failed(); round++) {
		pthread_t t;
		void *ret = NULL;
		CHECK_EQ(pthread_create(&t, NULL, fns[round % 5], NULL), 0);
		if (round & 8)
			sched_yield();
		CHECK_EQ(pthread_cancel(t), 0);
		CHECK_EQ(pthread_join(t, &ret), 0);
		CHECK(ret == PTHREAD_CANCELED);
	}
	close(cancel_fds[0]);
	close(cancel_fds[1]);
}

static void cancel_accept(void)
{
	struct sockaddr_un a = {AF_UNIX, ""};
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(s >= 0);
	/* an abstract-free name: bind to a unique path under /tmp */
	snprintf(a.sun_path, sizeof(a.sun_path), "/tmp/race-%d", getpid());
	unlink(a.sun_path);
	CHECK_EQ(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(s, 4), 0);
	cancel_fds[1] = s;
	for (int round = 0; round < 20 && !ut_failed(); round++) {
		pthread_t t;
		void *ret = NULL;
		CHECK_EQ(pthread_create(&t, NULL, block_accept, NULL), 0);
		if (round & 1)
			sched_yield();
		CHECK_EQ(pthread_cancel(t), 0);
		CHECK_EQ(pthread_join(t, &ret), 0);
		CHECK(ret == PTHREAD_CANCELED);
	}
	close(s);
	unlink(a.sun_path);
}

static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_count++;
}

/*
 * fork while signals rain on the parent from another process: fork
 * returns the child's pid in the parent every time, and 0 only in the
 * child (a child that finds itself with its parent's pid reports it).
 */
static void fork_under_signals(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	pid_t self = getpid();

	sigaction(SIGUSR1, &sa, NULL);
	pid_t pelter = fork();
	if (pelter == 0) {
		for (;;)
			if (kill(self, SIGUSR1) < 0)
				_exit(0);
	}
	CHECK(pelter > 0);
	for (int i = 0; i < 150 && !ut_failed(); i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(getppid() == self && getpid() != self ? 0 : 1);
		if (!EXPECT(pid > 0) || !EXPECT(getpid() == self))
			break;
		EXPECT_EQ(ut_wait(pid), 0);
	}
	ut_kill(pelter);
	signal(SIGUSR1, SIG_DFL);
	ut_print("utest: race: %ld signals during forks\n", (long)usr1_count);
}

/* Many shell pipelines whose reader is a subshell of the shell itself. */
static void sh_pipelines(void)
{
	for (int i = 0; i < 10 && !ut_failed(); i++) {
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			execl("/bin/sh", "sh", "-c",
			      "for i in 1 2 3 4 5; do echo abc | "
			      "{ read v; echo got $v; }; done",
			      (char *)NULL);
			_exit(127);
		}
		CHECK(pid > 0);
		EXPECT_EQ(ut_wait(pid), 0);
	}
}

static char *fault_page;

static void make_writable(int sig)
{
	(void)sig;
	mprotect(fault_page, UT_PAGE, PROT_READ | PROT_WRITE);
}

/*
 * A handler that runs for a fault and returns: the faulting instruction
 * runs again with every register as it was. The kernel used to put 0 in
 * rax when it pushed a frame for a fault (as for a system call's result):
 * a signal that arrived while the parent took a copy-on-write fault on
 * storing fork's result made the parent run the child's branch.
 */
static void fault_keeps_rax(void)
{
	struct sigaction sa = {.sa_handler = make_writable}, old;
	long v = 0x5eed1234abcdL, out;

	fault_page =
	    mmap(NULL, UT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(fault_page != MAP_FAILED);
	CHECK_EQ(sigaction(SIGSEGV, &sa, &old), 0);
	out = ut_store_result_reg(v, fault_page);
	sigaction(SIGSEGV, &old, NULL);
	EXPECT_EQ(out, v);
	EXPECT_EQ(*(long *)fault_page, v);
	munmap(fault_page, UT_PAGE);
}

static volatile int spin_stop, spin_cancelled;

static void note_cancel(void *arg)
{
	(void)arg;
	spin_cancelled = 1;
}

static void *spin_async(void *arg)
{
	(void)arg;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	pthread_cleanup_push(note_cancel, NULL);
	while (!spin_stop)
		;
	pthread_cleanup_pop(0);
	return NULL;
}

/* Wait up to 10 s for *flag. */
static int wait_flag(volatile int *flag)
{
	for (long long end = ut_now_ns() + 10000000000LL; ut_now_ns() < end;)
		if (*flag)
			return 1;
	return 0;
}

/*
 * Signals reach a thread that runs in user mode without ever entering
 * the kernel (on the way back from an interrupt): asynchronous
 * cancellation of a spinning thread, and SIGKILL of a spinning process.
 */
static void cancel_async_spinner(void)
{
	pthread_t t;

	spin_stop = spin_cancelled = 0;
	CHECK_EQ(pthread_create(&t, NULL, spin_async, NULL), 0);
	ut_sleep_ms(20);
	CHECK_EQ(pthread_cancel(t), 0);
	EXPECT(wait_flag(&spin_cancelled));
	spin_stop = 1; /* lets it go if the cancel never came */
	pthread_join(t, NULL);
}

static void kill_spinner(void)
{
	volatile int *stop = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(stop != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0) {
		while (!*stop)
			;
		_exit(0);
	}
	CHECK(pid > 0);
	ut_sleep_ms(20);
	kill(pid, SIGKILL);
	int status = 0, dead = 0;
	for (long long end = ut_now_ns() + 10000000000LL;
	     !dead && ut_now_ns() < end;)
		dead = waitpid(pid, &status, WNOHANG) == pid;
	*stop = 1; /* it ends at its next system call if SIGKILL missed */
	if (!dead)
		ut_wait(pid);
	EXPECT(dead);
	EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	munmap((void *)stop, UT_PAGE);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(fork_while_writing),   UT_CASE(protect_while_writing),
	    UT_CASE(unmap_while_reading),  UT_CASE(cancel_points),
	    UT_CASE(cancel_accept),        UT_CASE(fork_under_signals),
	    UT_CASE(sh_pipelines),         UT_CASE(fault_keeps_rax),
	    UT_CASE(cancel_async_spinner), UT_CASE(kill_spinner),
	};
	return ut_main(argc, argv, "race", cases, UT_COUNT(cases));
}
