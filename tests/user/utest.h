/*
 * utest: the small harness shared by lux's user-space test programs.
 *
 * A program is a table of cases handed to ut_main(). Each case prints one
 * line, `utest: <prog>/<case>: PASS` or `utest: <prog>/<case>: FAIL <why>`,
 * and the program exits 0 when every case passed, 1 when one failed; any
 * other end (a signal, another status) is a crash that the runner reports.
 * The programs are ordinary Linux code: they run on Linux unchanged.
 *
 * Inside a case, CHECK(cond) ends the case with a failure naming the line,
 * the condition and errno; CHECK_EQ(a, b) also prints both values, and
 * CHECK_ERR(call, E) wants the call to fail with -1 and errno E. The
 * EXPECT forms return whether they held, for code that is not a void
 * function (threads, children). Output uses write(2) only: stdio buffers
 * would be duplicated by fork.
 */
#ifndef UTEST_H
#define UTEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ut_case {
	const char *name;
	void (*run)(void);
};

#define UT_CASE(fn)                                                            \
	{                                                                      \
#fn, fn                                                        \
	}
#define UT_COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The image's kernel half starts here on x86_64 and arm64 alike. */
#define UT_KERNEL_ADDR ((void *)0xffff800000000000UL)
#define UT_PAGE        4096UL

/* Run the cases named on the command line, or all; return the status. */
int ut_main(int argc, char **argv, const char *prog,
	    const struct ut_case *cases, int n);

int ut_expect(int ok, int line, const char *what);
int ut_expect_eq(long long got, long long want, int line, const char *what);
int ut_expect_err(long long got, int err, int line, const char *what);
/* Fail the current case with a formatted reason (only the first counts). */
void ut_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ut_failed(void);

#define EXPECT(c) ut_expect(!!(c), __LINE__, #c)
#define EXPECT_EQ(a, b)                                                        \
	ut_expect_eq((long long)(a), (long long)(b), __LINE__, #a)
#define EXPECT_ERR(a, e) ut_expect_err((long long)(a), (e), __LINE__, #a)

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!EXPECT(c))                                                \
			return;                                                \
	} while (0)
#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		if (!EXPECT_EQ(a, b))                                          \
			return;                                                \
	} while (0)
#define CHECK_ERR(a, e)                                                        \
	do {                                                                   \
		if (!EXPECT_ERR(a, e))                                         \
			return;                                                \
	} while (0)

/*
 * Run fn in a forked child that exits 0 when fn passed its checks, else 1
 * with its reason left in a page shared with the parent. ut_spawn returns
 * the child's pid (-1 and a failure if fork failed); ut_join waits for it
 * and fails the current case unless it exited 0; ut_in_child does both.
 * Each returns whether the child passed (ut_spawn: whether it started).
 */
pid_t ut_spawn(void (*fn)(void));
int ut_join(pid_t pid);
int ut_in_child(void (*fn)(void));
/*
 * Call fn(arg) with SIGSEGV, SIGBUS, SIGILL and SIGFPE caught. Returns 0
 * if it returned, else the signal, with its si_code and si_addr in *f
 * (f may be NULL). The previous handlers are restored afterwards.
 */
struct ut_fault {
	int sig;
	int code;
	void *addr;
};
int ut_fault(void (*fn)(void *), void *arg, struct ut_fault *f);
/* Read (write == 0) or rewrite one byte at addr under ut_fault. */
int ut_probe(void *addr, int write, struct ut_fault *f);

/*
 * Make system call nr(a0, a1, a2) from assembly with every vector register
 * (xmm0-15 on x86_64) and the general registers a system call must keep
 * (r8-r10, r12-r15 and the argument registers) loaded with a pattern made
 * from seed; return 1 if all still hold it afterwards, else fail the case
 * naming the register. For context switches and signal delivery tests.
 */
int ut_syscall_keeps_regs(long nr, long a0, long a1, long a2, uint64_t seed);

/* Describe a wait status ("exit 3", "signal 11") into buf; return buf. */
const char *ut_status(int status, char *buf, size_t size);
/* Wait for pid, retrying on EINTR; return its status, or -1. */
int ut_wait(pid_t pid);
/* Run the program argv with UTEST_TMP=tmp, its output (1 and 2) in the
 * file log: its wait status, or -1. */
int ut_run_in(char *const argv[], const char *tmp, const char *log);
/* Print the lines of the file log that name a failure ("FAIL" or
 * "exited"), without their "utest: ". */
void ut_show_failures(const char *log);
/* Send descriptor fd over Unix socket sock with one byte of data
 * (SCM_RIGHTS): whether the send worked. */
int ut_send_fd(int sock, int fd);
/* Receive one descriptor sent by ut_send_fd; return it, or -1 with the
 * case failed. */
int ut_recv_fd(int sock);
/* Kill and reap pid, ignoring errors: for cleanup. */
void ut_kill(pid_t pid);
/* Sleep at least ms milliseconds, resuming after signal handlers. */
void ut_sleep_ms(long ms);
/* CLOCK_MONOTONIC in nanoseconds. */
long long ut_now_ns(void);
/* The errno name ("EFAULT"), or its number as text. */
const char *ut_errno_name(int err);
/* write(2) all of a string to fd 1, one call per line where possible. */
void ut_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The program's argv[0]: how a program finds itself to exec it again. */
extern const char *ut_self;

#endif
