/*
 * utest_regs.h - arm64's part of tests/user/utest.c's
 * ut_syscall_keeps_regs: UT_VWORDS, UT_VREG, ut_gpr[] and UT_GPRS (the
 * registers checked), struct ut_regs_pair and ut_syscall_asm(nr, &a0,
 * &a1, &a2, r), which loads r->in, makes the call and stores r->out.
 * Included by utest.c only.
 */
#include <stdint.h>

/* What ut_syscall_asm loads (in) and stores (out): v0-v31, then x3-x7,
 * x9-x15, x19-x28 (x16-x18 hold the bases, x29 and x30 the compiler
 * keeps). x0 is the result; x1, x2 (arguments) and x8 (the number) must
 * come back too. */
#define UT_VWORDS 64
#define UT_VREG   "v"
static const char *const ut_gpr[] = {"x3",  "x4",  "x5",  "x6",  "x7",  "x9",
				     "x10", "x11", "x12", "x13", "x14", "x15",
				     "x19", "x20", "x21", "x22", "x23", "x24",
				     "x25", "x26", "x27", "x28"};
#define UT_GPRS 22
struct ut_regs {
	uint64_t vec[UT_VWORDS];
	uint64_t gpr[UT_GPRS];
};
struct ut_regs_pair {
	struct ut_regs in, out;
};
_Static_assert(sizeof(struct ut_regs) == 688, "offsets in ut_syscall_asm");

#define UT_LOADV(a, b) "ldp q" #a ", q" #b ", [%[in], #" #a "*16]\n\t"
#define UT_SAVEV(a, b) "stp q" #a ", q" #b ", [%[out], #" #a "*16]\n\t"
#define UT_LOADR(i, r) "ldr " #r ", [%[in], #512+" #i "*8]\n\t"
#define UT_SAVER(i, r) "str " #r ", [%[out], #512+" #i "*8]\n\t"
/* clang-format off */
#define UT_REGS(op)                                                            \
	op(0, x3) op(1, x4) op(2, x5) op(3, x6) op(4, x7) op(5, x9)            \
	op(6, x10) op(7, x11) op(8, x12) op(9, x13) op(10, x14) op(11, x15)    \
	op(12, x19) op(13, x20) op(14, x21) op(15, x22) op(16, x23)            \
	op(17, x24) op(18, x25) op(19, x26) op(20, x27) op(21, x28)
#define UT_VECS(op)                                                            \
	op(0, 1) op(2, 3) op(4, 5) op(6, 7) op(8, 9) op(10, 11) op(12, 13)     \
	op(14, 15) op(16, 17) op(18, 19) op(20, 21) op(22, 23) op(24, 25)      \
	op(26, 27) op(28, 29) op(30, 31)
/* clang-format on */

static long ut_syscall_asm(long nr, long *a0, long *a1, long *a2,
			   struct ut_regs_pair *r)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = *a0;
	register long x1 __asm__("x1") = *a1;
	register long x2 __asm__("x2") = *a2;

	__asm__ volatile(
	    UT_VECS(UT_LOADV) UT_REGS(UT_LOADR) "svc #0\n\t" UT_VECS(UT_SAVEV)
		UT_REGS(UT_SAVER)
	    : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x8)
	    : [in] "r"(r->in.vec), [out] "r"(r->out.vec)
	    : "x3", "x4", "x5", "x6", "x7", "x9", "x10", "x11", "x12", "x13",
	      "x14", "x15", "x19", "x20", "x21", "x22", "x23", "x24", "x25",
	      "x26", "x27", "x28", "v0", "v1", "v2", "v3", "v4", "v5", "v6",
	      "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16",
	      "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24", "v25",
	      "v26", "v27", "v28", "v29", "v30", "v31", "memory");
	*a1 = x1;
	*a2 = x2 + (x8 != nr); /* a changed x8 shows as a changed argument */
	return x0;
}
