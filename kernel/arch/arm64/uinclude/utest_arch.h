/*
 * utest_arch.h - what arm64's test programs (tests/user/) need to know
 * of the machine, behind names the same on every platform, so that no
 * test names a platform (docs/platform.md).
 */
#ifndef UTEST_ARCH_H
#define UTEST_ARCH_H

#include <elf.h>
#include <stdint.h>
#include <string.h>

/* uname's machine, and the e_machine of this platform's programs. */
#define UT_MACHINE     "aarch64"
#define UT_ELF_MACHINE EM_AARCH64
/* Code that calls exit(42) (mov x0, #42; mov x8, #93; svc #0). */
#define UT_EXIT42_CODE                                                         \
	{                                                                      \
		0x40, 0x05, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00,    \
		    0x00, 0xd4                                                 \
	}
/* Code that returns at once (ret). */
#define UT_RET_CODE                                                            \
	{                                                                      \
		0xc0, 0x03, 0x5f, 0xd6                                         \
	}
/* The program counter in a signal handler's ucontext_t *uc. */
#define UT_UC_PC(uc) ((uc)->uc_mcontext.pc)
/* Minimal signal stack that sigaltstack accepts (Linux's MINSIGSTKSZ,
 * arch/arm64/include/uapi/asm/signal.h; musl's header says 6144). */
#define UT_MINSIGSTKSZ 5120

/* The CPU's counter that programs may read: the generic timer's virtual
 * count (CNTVCT_EL0), which Linux lets EL0 read (CNTKCTL_EL1.EL0VCTEN). */
static inline uint64_t ut_cpu_counter(void)
{
	uint64_t v;

	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
	return v;
}

/* Store v at page through the system-call result register (x0) and read
 * the register back: what a fault taken on the store must keep. */
static inline long ut_store_result_reg(long v, void *page)
{
	long out;

	__asm__ volatile("mov x0, %1\n\t"
			 "str x0, [%2]\n\t"
			 "mov %0, x0"
			 : "=r"(out)
			 : "r"(v), "r"(page)
			 : "x0", "memory");
	return out;
}

/* Program interpreters: glibc's and musl's, as their packages put them. */
#define UT_GLIBC_LD "/lib/ld-linux-aarch64.so.1"
#define UT_MUSL_LD  "/lib/ld-musl-aarch64.so.1"

/* Machine code that exits with status code (exit_group), at f: its size. */
static inline size_t ut_exit_code(unsigned char *f, int code)
{
	uint32_t insn[] = {0xd2800000 | (uint32_t)code << 5, /* mov x0 */
			   0xd2800000 | 94 << 5 | 8, /* mov x8, exit_group */
			   0xd4000001};              /* svc #0 */
	memcpy(f, insn, sizeof(insn));
	return sizeof(insn);
}

#endif
