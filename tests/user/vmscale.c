/*
 * vmscale: address-space operations that scale. A PROT_NONE reservation
 * of 1 TiB, pieces of it made read-write and touched, then unmapped,
 * must cost what Linux's does (milliseconds), not time proportional to
 * the reservation's size; likewise fork of such a process.
 */
#include "utest.h"

#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIB      (1UL << 40)
#define LIMIT_NS 30000000000LL /* a hang; Linux: 1 ms and 1 s */

/* 1 TiB reserved, 8 pieces across it made RW and touched, fork, unmapped:
 * all well under LIMIT_NS. */
static void reserve_tib(void)
{
	long long t0 = ut_now_ns();
	char *p = mmap(0, TIB, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(p != MAP_FAILED);
	long long t1 = ut_now_ns();
	for (int i = 0; i < 8; i++) {
		char *q = p + i * (TIB / 8) + 12345 * UT_PAGE;
		CHECK_EQ(mprotect(q, 4 * UT_PAGE, PROT_READ | PROT_WRITE), 0);
		q[0] = 1, q[3 * UT_PAGE] = 2;
		CHECK_EQ(q[3 * UT_PAGE] + q[0], 3);
	}
	long long t2 = ut_now_ns();
	pid_t pid = fork();
	if (pid == 0)
		_exit(p[12345 * UT_PAGE] == 1 ? 0 : 1);
	CHECK(pid > 0);
	CHECK_EQ(ut_wait(pid), 0);
	long long t3 = ut_now_ns();
	CHECK_EQ(munmap(p, TIB), 0);
	long long t4 = ut_now_ns();
	ut_print("utest: vmscale: mmap %lld us, mprotect+touch %lld us, "
		 "fork %lld us, munmap %lld us\n",
		 (t1 - t0) / 1000, (t2 - t1) / 1000, (t3 - t2) / 1000,
		 (t4 - t3) / 1000);
	CHECK(t4 - t0 < LIMIT_NS);
}

/* 32768 reservations of 1 GiB one after the other (32 TiB: how a
 * program fills the address space with PROT_NONE areas), one touched
 * after mprotect, all unmapped. Each call must cost the same however
 * many areas there are: the last 4096 mmaps (munmaps: the first 4096,
 * made with the most areas left) take at most 4 times as long as the
 * other end's 4096, plus 200 ms for a loaded host (before the fix, 25
 * to 30 times, 6.5 s against 0.2 s: each call walked every area; 20 s
 * and 60 s in all), and all of it well under LIMIT_NS. */
static void fill_space(void)
{
	enum { N = 32768, M = 4096 };
	static char *area[N];
	long long t[6];
	t[0] = ut_now_ns();
	for (int i = 0; i < N; i++) {
		if (i == M)
			t[1] = ut_now_ns();
		if (i == N - M)
			t[2] = ut_now_ns();
		area[i] =
		    mmap(0, 1UL << 30, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		CHECK(area[i] != MAP_FAILED);
	}
	t[3] = ut_now_ns();
	char *q = area[N / 2] + 77 * UT_PAGE;
	CHECK_EQ(mprotect(q, UT_PAGE, PROT_READ | PROT_WRITE), 0);
	q[5] = 5;
	CHECK_EQ(q[5], 5);
	long long u0 = ut_now_ns(), u1 = 0, u2 = 0;
	for (int i = 0; i < N; i++) {
		if (i == M)
			u1 = ut_now_ns();
		if (i == N - M)
			u2 = ut_now_ns();
		CHECK_EQ(munmap(area[i], 1UL << 30), 0);
	}
	long long u3 = ut_now_ns();
	ut_print("utest: vmscale: %d mmaps %lld us (first %d %lld us, last "
		 "%lld us), munmaps %lld us (first %lld us, last %lld us)\n",
		 N, (t[3] - t[0]) / 1000, M, (t[1] - t[0]) / 1000,
		 (t[3] - t[2]) / 1000, (u3 - u0) / 1000, (u1 - u0) / 1000,
		 (u3 - u2) / 1000);
	CHECK(t[3] - t[2] < 4 * (t[1] - t[0]) + 200000000);
	CHECK(u1 - u0 < 4 * (u3 - u2) + 200000000);
	CHECK(u3 - t[0] < LIMIT_NS);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(reserve_tib),
	    UT_CASE(fill_space),
	};
	return ut_main(argc, argv, "vmscale", cases, UT_COUNT(cases));
}
