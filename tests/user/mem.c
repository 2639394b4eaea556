/*
 * mem: the address space. brk, anonymous private and shared mmap, MAP_FIXED
 * and MAP_FIXED_NOREPLACE, hints, munmap and mprotect (faults checked with
 * their si_addr and si_code), execute permission, madvise(MADV_DONTNEED),
 * demand-zero pages, a mapping high in the 47-bit space, a 64 GiB sparse
 * reservation, stack growth, and mmap's errors.
 */
#include "utest.h"
#include "utest_arch.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define GIB  (1UL << 30)

static const char zero_page[UT_PAGE];

static int page_is_zero(const void *p)
{
	return memcmp(p, zero_page, UT_PAGE) == 0;
}

static char *map(void *hint, size_t len, int prot, int flags)
{
	return mmap(hint, len, prot, flags, -1, 0);
}

/* Want a fault of sig/code exactly at addr when touching it. */
static int expect_fault(void *addr, int write, int sig, int code)
{
	struct ut_fault f;
	int got = ut_probe(addr, write, &f);
	if (got != sig) {
		ut_fail("%s %p: signal %d, expected %d",
			write ? "write" : "read", addr, got, sig);
		return 0;
	}
	if (f.addr != addr || f.code != code) {
		ut_fail("%s %p: si_addr %p si_code %d, expected %p and %d",
			write ? "write" : "read", addr, f.addr, f.code, addr,
			code);
		return 0;
	}
	return 1;
}

#define CHECK_FAULT(addr, write, sig, code)                                    \
	do {                                                                   \
		if (!expect_fault(addr, write, sig, code))                     \
			return;                                                \
	} while (0)
#define CHECK_NO_FAULT(addr, write) CHECK_EQ(ut_probe(addr, write, NULL), 0)

static void brk_grow_shrink(void)
{
	char *cur = (char *)syscall(SYS_brk, 0);
	CHECK(cur != NULL);
	char *start = (char *)(((uintptr_t)cur + UT_PAGE - 1) & ~(UT_PAGE - 1));
	char *end = start + 16 * UT_PAGE;
	CHECK_EQ(syscall(SYS_brk, end), (long)end);
	for (char *p = start; p < end; p += UT_PAGE) {
		CHECK(page_is_zero(p));
		memset(p, 0x5a, UT_PAGE);
	}
	CHECK_EQ(syscall(SYS_brk, start), (long)start);
	CHECK_FAULT(start, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_FAULT(end - 1, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_EQ(syscall(SYS_brk, end), (long)end);
	for (char *p = start; p < end; p += UT_PAGE)
		CHECK(page_is_zero(p)); /* what was freed comes back zeroed */
	CHECK_EQ(syscall(SYS_brk, cur), (long)cur);
	/* a break below the start fails: brk returns the current one */
	CHECK_EQ(syscall(SYS_brk, 4096), (long)cur);
	CHECK_EQ(syscall(SYS_brk, 0), (long)cur);
}

static void anon_private(void)
{
	char *p = map(NULL, 16 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	CHECK_EQ((uintptr_t)p % UT_PAGE, 0);
	for (int i = 0; i < 16; i++)
		CHECK(page_is_zero(p + i * UT_PAGE));
	for (unsigned long i = 0; i < 16 * UT_PAGE; i++)
		p[i] = (char)(i * 7 + 1);
	for (unsigned long i = 0; i < 16 * UT_PAGE; i++)
		CHECK_EQ(p[i], (char)(i * 7 + 1));
	CHECK_EQ(munmap(p, 16 * UT_PAGE), 0);
}

static void demand_zero(void)
{
	size_t len = 32UL << 20;
	char *p = map(NULL, len, RW, ANON);
	CHECK(p != MAP_FAILED);
	CHECK(page_is_zero(p + len - UT_PAGE));
	for (size_t off = 0; off < len; off += UT_PAGE) {
		CHECK_EQ(p[off + (off >> 12) % UT_PAGE], 0);
		p[off] = 1;
	}
	CHECK(memcmp(p + len / 2 + 1, zero_page, UT_PAGE - 1) == 0);
	CHECK_EQ(munmap(p, len), 0);
}

/* Wait up to 5 s for *word to become want. */
static int await(volatile int *word, int want)
{
	for (int i = 0; i < 5000 && *word != want; i++)
		ut_sleep_ms(1);
	return *word == want;
}

static volatile int *shared_word;
static volatile int *private_word;

static void shared_child(void)
{
	shared_word[0] = 42;
	private_word[0] = 42;
	CHECK(await(&shared_word[1024], 7)); /* the parent's answer */
}

static void anon_shared_fork(void)
{
	shared_word =
	    (int *)map(NULL, 2 * UT_PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
	private_word = (int *)map(NULL, UT_PAGE, RW, ANON);
	CHECK(shared_word != MAP_FAILED && private_word != MAP_FAILED);
	CHECK_EQ(shared_word[0], 0);
	pid_t pid = ut_spawn(shared_child);
	int seen = await(&shared_word[0], 42);
	shared_word[1024] = 7;
	int child_ok = ut_join(pid);
	CHECK(seen);
	CHECK(child_ok);
	CHECK_EQ(private_word[0], 0);
	CHECK_EQ(munmap((void *)shared_word, 2 * UT_PAGE), 0);
	CHECK_EQ(munmap((void *)private_word, UT_PAGE), 0);
}

static void map_fixed(void)
{
	char *p = map(NULL, 4 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	memset(p, 'a', 4 * UT_PAGE);
	char *q = map(p + UT_PAGE, 2 * UT_PAGE, RW, ANON | MAP_FIXED);
	CHECK_EQ((long)q, (long)(p + UT_PAGE));
	CHECK(page_is_zero(q) && page_is_zero(q + UT_PAGE));
	CHECK_EQ(p[UT_PAGE - 1], 'a');
	CHECK_EQ(p[3 * UT_PAGE], 'a');
	CHECK(map(p + 1, UT_PAGE, RW, ANON | MAP_FIXED) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(munmap(p, 4 * UT_PAGE), 0);
}

static void fixed_noreplace(void)
{
	char *p = map(NULL, 4 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	p[2 * UT_PAGE] = 'k';
	CHECK(map(p + 2 * UT_PAGE, UT_PAGE, RW, ANON | MAP_FIXED_NOREPLACE) ==
	      MAP_FAILED);
	CHECK_EQ(errno, EEXIST);
	CHECK_EQ(p[2 * UT_PAGE], 'k');
	CHECK_EQ(munmap(p + 2 * UT_PAGE, 2 * UT_PAGE), 0);
	char *q =
	    map(p + 2 * UT_PAGE, 2 * UT_PAGE, RW, ANON | MAP_FIXED_NOREPLACE);
	CHECK_EQ((long)q, (long)(p + 2 * UT_PAGE));
	CHECK(page_is_zero(q));
	CHECK_EQ(munmap(p, 4 * UT_PAGE), 0);
}

static void hint(void)
{
	char *p = map(NULL, 8 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(munmap(p, 8 * UT_PAGE), 0);
	/* a free, aligned hint is taken as it is */
	char *q = map(p + 2 * UT_PAGE, 2 * UT_PAGE, RW, ANON);
	CHECK_EQ((long)q, (long)(p + 2 * UT_PAGE));
	q[0] = 'h';
	/* a hint on a used range gives another place, the old one intact */
	char *r = map(q, 2 * UT_PAGE, RW, ANON);
	CHECK(r != MAP_FAILED && r != q);
	CHECK(r + 2 * UT_PAGE <= q || r >= q + 2 * UT_PAGE);
	CHECK_EQ(q[0], 'h');
	CHECK_EQ(munmap(q, 2 * UT_PAGE), 0);
	CHECK_EQ(munmap(r, 2 * UT_PAGE), 0);
}

static void munmap_fault(void)
{
	char *p = map(NULL, UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	p[100] = 1;
	CHECK_EQ(munmap(p, UT_PAGE), 0);
	CHECK_FAULT(p + 100, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_FAULT(p, 1, SIGSEGV, SEGV_MAPERR);
	/* unmapping what is not mapped is not an error */
	CHECK_EQ(munmap(p, UT_PAGE), 0);
}

static void munmap_partial(void)
{
	char *p = map(NULL, 3 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	memset(p, 'm', 3 * UT_PAGE);
	CHECK_EQ(munmap(p + UT_PAGE, UT_PAGE), 0);
	CHECK_EQ(p[UT_PAGE - 1], 'm');
	CHECK_EQ(p[2 * UT_PAGE], 'm');
	CHECK_FAULT(p + UT_PAGE + 8, 0, SIGSEGV, SEGV_MAPERR);
	CHECK_ERR(munmap(p, 0), EINVAL);
	CHECK_ERR(munmap(p + 1, UT_PAGE), EINVAL);
	CHECK_EQ(munmap(p, 3 * UT_PAGE), 0);
}

static void mprotect_ro(void)
{
	char *p = map(NULL, 3 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	memset(p, 'x', 3 * UT_PAGE);
	CHECK_EQ(mprotect(p + UT_PAGE, UT_PAGE, PROT_READ), 0);
	CHECK_EQ(p[UT_PAGE + 123], 'x');
	CHECK_FAULT(p + UT_PAGE + 123, 1, SIGSEGV, SEGV_ACCERR);
	CHECK_NO_FAULT(p + UT_PAGE - 1, 1); /* the neighbours stay RW */
	CHECK_NO_FAULT(p + 2 * UT_PAGE, 1);
	CHECK_EQ(mprotect(p + UT_PAGE, UT_PAGE, RW), 0);
	p[UT_PAGE + 123] = 'y';
	CHECK_EQ(p[UT_PAGE + 123], 'y');
	/* musl's mprotect() rounds the start down; the system call does not */
	CHECK_ERR(syscall(SYS_mprotect, p + 1, UT_PAGE, PROT_READ), EINVAL);
	CHECK_EQ(munmap(p, 3 * UT_PAGE), 0);
}

static void prot_none(void)
{
	char *p = map(NULL, 2 * UT_PAGE, PROT_NONE, ANON);
	CHECK(p != MAP_FAILED);
	CHECK_FAULT(p + 5, 0, SIGSEGV, SEGV_ACCERR);
	CHECK_FAULT(p + UT_PAGE, 1, SIGSEGV, SEGV_ACCERR);
	CHECK_EQ(mprotect(p, UT_PAGE, PROT_READ), 0);
	CHECK_EQ(p[5], 0);
	CHECK_FAULT(p + 5, 1, SIGSEGV, SEGV_ACCERR);
	CHECK_EQ(munmap(p, 2 * UT_PAGE), 0);
}

/* mprotect(PROT_NONE) keeps the pages: they come back with their bytes,
 * in a fork child too, and mapping, hiding and unmapping many frees
 * their memory (the kernel dropped such pages and leaked them). */
static void prot_none_keeps(void)
{
	for (int shared = 0; shared < 2; shared++) {
		char *p = map(NULL, 2 * UT_PAGE, RW,
			      shared ? MAP_SHARED | MAP_ANONYMOUS : ANON);
		CHECK(p != MAP_FAILED);
		memset(p, 'k', 2 * UT_PAGE);
		CHECK_EQ(mprotect(p, 2 * UT_PAGE, PROT_NONE), 0);
		CHECK_FAULT(p + 7, 0, SIGSEGV, SEGV_ACCERR);
		pid_t pid = fork();
		if (pid == 0)
			_exit(mprotect(p, 2 * UT_PAGE, PROT_READ) ||
			      p[UT_PAGE + 9] != 'k');
		int status;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK_EQ(status, 0);
		CHECK_EQ(mprotect(p, 2 * UT_PAGE, RW), 0);
		CHECK_EQ(p[7], 'k');
		CHECK_EQ(p[2 * UT_PAGE - 1], 'k');
		CHECK_EQ(munmap(p, 2 * UT_PAGE), 0);
	}
	struct sysinfo before, after;
	CHECK_EQ(sysinfo(&before), 0);
	for (int i = 0; i < 512; i++) { /* 128 MiB through PROT_NONE */
		char *p = map(NULL, 64 * UT_PAGE, RW, ANON);
		CHECK(p != MAP_FAILED);
		for (int k = 0; k < 64; k++)
			p[k * UT_PAGE] = 1;
		CHECK_EQ(mprotect(p, 64 * UT_PAGE, PROT_NONE), 0);
		CHECK_EQ(munmap(p, 64 * UT_PAGE), 0);
	}
	CHECK_EQ(sysinfo(&after), 0);
	CHECK((long long)before.freeram * before.mem_unit -
		  (long long)after.freeram * after.mem_unit <
	      (16LL << 20));
}

static void call_code(void *code)
{
	((void (*)(void))code)();
}

static void exec_permission(void)
{
	static const unsigned char ret[] = UT_RET_CODE;
	char *p = map(NULL, UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	memcpy(p, ret, sizeof(ret));
	__builtin___clear_cache(p, p + sizeof(ret));
	struct ut_fault f;
	CHECK_EQ(ut_fault(call_code, p, &f), SIGSEGV);
	CHECK(f.addr == p);
	CHECK_EQ(f.code, SEGV_ACCERR);
	CHECK_EQ(mprotect(p, UT_PAGE, PROT_READ | PROT_EXEC), 0);
	CHECK_EQ(ut_fault(call_code, p, NULL), 0);
	CHECK_EQ(munmap(p, UT_PAGE), 0);
}

static void madvise_dontneed(void)
{
	char *p = map(NULL, 4 * UT_PAGE, RW, ANON);
	CHECK(p != MAP_FAILED);
	memset(p, 'd', 4 * UT_PAGE);
	CHECK_EQ(madvise(p + UT_PAGE, 2 * UT_PAGE, MADV_DONTNEED), 0);
	CHECK_EQ(p[0], 'd');
	CHECK(page_is_zero(p + UT_PAGE) && page_is_zero(p + 2 * UT_PAGE));
	CHECK_EQ(p[3 * UT_PAGE], 'd');
	CHECK_EQ(munmap(p, 4 * UT_PAGE), 0);
	/* shared anonymous memory keeps its contents */
	char *s = map(NULL, UT_PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);
	CHECK(s != MAP_FAILED);
	s[10] = 's';
	CHECK_EQ(madvise(s, UT_PAGE, MADV_DONTNEED), 0);
	CHECK_EQ(s[10], 's');
	CHECK_EQ(munmap(s, UT_PAGE), 0);
}

static void high_mapping(void)
{
	char *want = (char *)0x7f0000000000UL - 4 * GIB;
	size_t len = 1UL << 20;
	char *p = map(want, len, RW, ANON | MAP_FIXED_NOREPLACE);
	CHECK_EQ((long)p, (long)want);
	CHECK(page_is_zero(p) && page_is_zero(p + len - UT_PAGE));
	p[0] = 'h';
	p[len - 1] = 'i';
	CHECK_EQ(p[0], 'h');
	CHECK_EQ(p[len - 1], 'i');
	CHECK_EQ(munmap(p, len), 0);
}

static void sparse_64g(void)
{
	size_t len = 64 * GIB;
	char *p = map(NULL, len, PROT_NONE, ANON | MAP_NORESERVE);
	CHECK(p != MAP_FAILED);
	size_t offs[] = {0, GIB + 5 * UT_PAGE, 33 * GIB, len - UT_PAGE};
	for (int i = 0; i < UT_COUNT(offs); i++) {
		char *q = p + offs[i];
		CHECK_EQ(mprotect(q, UT_PAGE, RW), 0);
		CHECK(page_is_zero(q));
		q[0] = (char)(i + 1);
		q[UT_PAGE - 1] = (char)(i + 1);
	}
	for (int i = 0; i < UT_COUNT(offs); i++)
		CHECK_EQ(p[offs[i] + UT_PAGE - 1], i + 1);
	CHECK_FAULT(p + GIB + 6 * UT_PAGE, 0, SIGSEGV, SEGV_ACCERR);
	CHECK_FAULT(p + 2 * GIB, 1, SIGSEGV, SEGV_ACCERR);
	CHECK_EQ(munmap(p, len), 0);
}

/* Touch 1 MiB of stack, top to bottom, below the caller's frame. */
static __attribute__((noinline)) int use_stack(void)
{
	volatile char big[1 << 20];
	for (long i = sizeof(big) - 1; i >= 0; i -= 512)
		big[i] = (char)i;
	int sum = 0;
	for (long i = sizeof(big) - 1; i >= 0; i -= 512)
		sum += big[i] == (char)i;
	return sum;
}

static void stack_grow(void)
{
	CHECK_EQ(use_stack(), (1 << 20) / 512);
}

static void mmap_errors(void)
{
	CHECK(map(NULL, 0, RW, ANON) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(map(NULL, UT_PAGE, RW, MAP_ANONYMOUS) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(map(NULL, 1UL << 62, RW, ANON) == MAP_FAILED);
	CHECK_EQ(errno, ENOMEM);
	CHECK(mmap(NULL, UT_PAGE, RW, MAP_PRIVATE, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EBADF);
	CHECK(map(UT_KERNEL_ADDR, UT_PAGE, RW, ANON | MAP_FIXED) == MAP_FAILED);
	CHECK_EQ(errno, ENOMEM);
}

static void malloc_big(void)
{
	for (int round = 0; round < 4; round++) {
		size_t len = (size_t)(round + 1) << 21;
		unsigned char *p = malloc(len);
		CHECK(p != NULL);
		memset(p, round, len);
		CHECK_EQ(p[len - 1], round);
		free(p);
	}
}

static const struct ut_case cases[] = {
    UT_CASE(brk_grow_shrink),
    UT_CASE(anon_private),
    UT_CASE(demand_zero),
    UT_CASE(anon_shared_fork),
    UT_CASE(map_fixed),
    UT_CASE(fixed_noreplace),
    UT_CASE(hint),
    UT_CASE(munmap_fault),
    UT_CASE(munmap_partial),
    UT_CASE(mprotect_ro),
    UT_CASE(prot_none),
    UT_CASE(prot_none_keeps),
    UT_CASE(exec_permission),
    UT_CASE(madvise_dontneed),
    UT_CASE(high_mapping),
    UT_CASE(sparse_64g),
    UT_CASE(stack_grow),
    UT_CASE(mmap_errors),
    UT_CASE(malloc_big),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "mem", cases, UT_COUNT(cases));
}
