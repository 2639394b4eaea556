/*
 * utest_arch.h - what x86_64's test programs (tests/user/) need to know
 * of the machine, behind names the same on every platform, so that no
 * test names a platform (docs/platform.md).
 */
#ifndef UTEST_ARCH_H
#define UTEST_ARCH_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

/* uname's machine, and the e_machine of this platform's programs. */
#define UT_MACHINE     "x86_64"
#define UT_ELF_MACHINE EM_X86_64
/* Code that calls exit(42) (mov $60, %eax; mov $42, %edi; syscall). */
#define UT_EXIT42_CODE                                                         \
	{                                                                      \
		0xb8, 60, 0, 0, 0, 0xbf, 42, 0, 0, 0, 0x0f, 0x05               \
	}
/* Code that returns at once (ret). */
#define UT_RET_CODE                                                            \
	{                                                                      \
		0xc3                                                           \
	}
/* The program counter in a signal handler's ucontext_t *uc. */
#define UT_UC_PC(uc) ((uc)->uc_mcontext.gregs[REG_RIP])
/* An MSI message's address, shifted right by 20: the local APICs'. */
#define UT_MSI_WINDOW 0xfee
/* The kernel refuses a thread pointer outside user space (clone's
 * CLONE_SETTLS, as arch_prctl(ARCH_SET_FS)): EPERM. */
#define UT_TLS_MUST_BE_USER 1
/* Minimal signal stack that sigaltstack accepts (Linux's MINSIGSTKSZ). */
#define UT_MINSIGSTKSZ 2048
/* Non-canonical addresses: fault without an address (SI_KERNEL). */
#define UT_NONCANONICAL ((void *)0x8000000000000000UL)

/* The CPU's counter that programs may read (the TSC): ticks. Under QEMU
 * with -icount it counts nanoseconds since the machine's reset. */
static inline uint64_t ut_cpu_counter(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}
#define UT_COUNTER_RESET_NS 1

/* Store v at page through the system-call result register (rax) and read
 * the register back: what a fault taken on the store must keep. */
static inline long ut_store_result_reg(long v, void *page)
{
	long out;

	__asm__ volatile("movq %1, %%rax\n\t"
			 "movq %%rax, (%2)\n\t"
			 "movq %%rax, %0"
			 : "=r"(out)
			 : "r"(v), "r"(page)
			 : "rax", "memory");
	return out;
}

/* Program interpreters: glibc's and musl's, as their packages put them. */
#define UT_GLIBC_LD "/lib64/ld-linux-x86-64.so.2"
#define UT_MUSL_LD  "/lib/ld-musl-x86_64.so.1"

/* Machine code that exits with status code (exit_group), at f: its size. */
static inline size_t ut_exit_code(unsigned char *f, int code)
{
	static const unsigned char insn[] = {
	    0xbf, 0,   0, 0, 0, /* mov $code, %edi */
	    0xb8, 231, 0, 0, 0, /* mov $231 (exit_group), %eax */
	    0x0f, 0x05};        /* syscall */
	memcpy(f, insn, sizeof(insn));
	f[1] = (unsigned char)code;
	return sizeof(insn);
}

#endif
