/*
 * fuzz_arch.h - arm64's raw system calls for tests/user/fuzz.c (no errno,
 * no TLS: the fuzzer may move the thread pointer): raw6 and raw, raw_fork
 * (the new process or thread exits at once), raw_sigreturn, and
 * fuzz_restorer, the restorer of the handlers the fuzzer installs.
 * Included by fuzz.c only.
 */

static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	register long x2 __asm__("x2") = a2;
	register long x3 __asm__("x3") = a3;
	register long x4 __asm__("x4") = a4;
	register long x5 __asm__("x5") = a5;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#define raw(nr, a0, a1, a2)                                                    \
	raw6(nr, (long)(a0), (long)(a1), (long)(a2), 0, 0, 0)

/* fork, vfork or clone: the new process or thread exits at once, from
 * registers only (it may share this stack or have none). */
static long raw_fork(long nr, const long a[6])
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a[0];
	register long x1 __asm__("x1") = a[1];
	register long x2 __asm__("x2") = a[2];
	register long x3 __asm__("x3") = a[3];
	register long x4 __asm__("x4") = a[4];
	register long x5 __asm__("x5") = a[5];
	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x8, #93\n\t" /* exit */
			 "svc #0\n\t"
			 "udf #0\n"
			 "1:"
			 : "+r"(x0), "+r"(x8)
			 : "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

/* rt_sigreturn from a frame of random words: never returns here. */
static __attribute__((noreturn)) void raw_sigreturn(void *frame)
{
	__asm__ volatile("mov sp, %0\n\t"
			 "mov x8, #139\n\t"
			 "svc #0\n\t"
			 "udf #0" ::"r"(frame)
			 : "memory");
	__builtin_unreachable();
}

/* The restorer of the handlers the fuzzer installs. */
__asm__(".text\n"
	"fuzz_restorer:\n\t"
	"mov x8, #139\n\t"
	"svc #0\n\t"
	"udf #0\n");
