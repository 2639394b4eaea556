/*
 * utest_regs.h - x86_64's part of tests/user/utest.c's
 * ut_syscall_keeps_regs: UT_VWORDS, UT_VREG, ut_gpr[] and UT_GPRS (the
 * registers checked), struct ut_regs_pair and ut_syscall_asm(nr, &a0,
 * &a1, &a2, r), which loads r->in, makes the call and stores r->out.
 * Included by utest.c only.
 */
#include <stdint.h>

/* What ut_syscall_asm loads (in) and stores (out): xmm0-15, then r8, r9,
 * r10, r12, r13, r14, r15. The offsets are spelled out in the assembly. */
#define UT_VWORDS 32
#define UT_VREG   "xmm"
static const char *const ut_gpr[] = {"r8",  "r9",  "r10", "r12",
				     "r13", "r14", "r15"};
#define UT_GPRS 7
struct ut_regs {
	uint64_t vec[UT_VWORDS];
	uint64_t gpr[UT_GPRS];
};
struct ut_regs_pair {
	struct ut_regs in, out;
};
_Static_assert(sizeof(struct ut_regs) == 312, "offsets in ut_syscall_asm");

#define UT_LOADX(n)    "movdqu " #n "*16(%%rbx), %%xmm" #n "\n\t"
#define UT_SAVEX(n)    "movdqu %%xmm" #n ", 312+" #n "*16(%%rbx)\n\t"
#define UT_LOADR(i, r) "movq 256+" #i "*8(%%rbx), %%" #r "\n\t"
#define UT_SAVER(i, r) "movq %%" #r ", 568+" #i "*8(%%rbx)\n\t"

static long ut_syscall_asm(long nr, long *a0, long *a1, long *a2,
			   struct ut_regs_pair *r)
{
	long d = *a0, s = *a1, x = *a2;
	/* clang-format off */
	__asm__ volatile(
		UT_LOADX(0) UT_LOADX(1) UT_LOADX(2) UT_LOADX(3)
		UT_LOADX(4) UT_LOADX(5) UT_LOADX(6) UT_LOADX(7)
		UT_LOADX(8) UT_LOADX(9) UT_LOADX(10) UT_LOADX(11)
		UT_LOADX(12) UT_LOADX(13) UT_LOADX(14) UT_LOADX(15)
		UT_LOADR(0, r8) UT_LOADR(1, r9) UT_LOADR(2, r10)
		UT_LOADR(3, r12) UT_LOADR(4, r13) UT_LOADR(5, r14)
		UT_LOADR(6, r15)
		"syscall\n\t"
		UT_SAVEX(0) UT_SAVEX(1) UT_SAVEX(2) UT_SAVEX(3)
		UT_SAVEX(4) UT_SAVEX(5) UT_SAVEX(6) UT_SAVEX(7)
		UT_SAVEX(8) UT_SAVEX(9) UT_SAVEX(10) UT_SAVEX(11)
		UT_SAVEX(12) UT_SAVEX(13) UT_SAVEX(14) UT_SAVEX(15)
		UT_SAVER(0, r8) UT_SAVER(1, r9) UT_SAVER(2, r10)
		UT_SAVER(3, r12) UT_SAVER(4, r13) UT_SAVER(5, r14)
		UT_SAVER(6, r15)
		: "+a"(nr), "+D"(d), "+S"(s), "+d"(x)
		: "b"(r)
		: "rcx", "r11", "r8", "r9", "r10", "r12", "r13", "r14", "r15",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13",
		  "xmm14", "xmm15", "memory");
	/* clang-format on */
	*a0 = d;
	*a1 = s;
	*a2 = x;
	return nr;
}
