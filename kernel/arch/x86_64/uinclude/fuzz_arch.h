/*
 * fuzz_arch.h - x86_64's raw system calls for tests/user/fuzz.c (no errno,
 * no TLS: the fuzzer may move the thread pointer): raw6 and raw, raw_fork
 * (the new process or thread exits at once), raw_sigreturn, and
 * fuzz_restorer, the restorer of the handlers the fuzzer installs.
 * Included by fuzz.c only.
 */

static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define raw(nr, a0, a1, a2)                                                    \
	raw6(nr, (long)(a0), (long)(a1), (long)(a2), 0, 0, 0)

/* fork, vfork or clone: the new process or thread exits at once, from
 * registers only (it may share this stack or have none). */
static long raw_fork(long nr, const long a[6])
{
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* rt_sigreturn from a frame of random words: never returns here. */
static __attribute__((noreturn)) void raw_sigreturn(void *frame)
{
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov $15, %%eax\n\t"
			 "syscall\n\t"
			 "ud2" ::"r"(frame)
			 : "memory");
	__builtin_unreachable();
}

/* The restorer of the handlers the fuzzer installs. */
__asm__(".text\n"
	"fuzz_restorer:\n\t"
	"mov $15, %eax\n\t"
	"syscall\n\t"
	"ud2\n");
