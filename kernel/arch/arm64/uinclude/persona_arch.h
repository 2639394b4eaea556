/*
 * persona_arch.h - arm64's part of tests/user/persona.c: uname_stackless
 * (uname with the stack pointer at an unmapped page), uname_marked (uname
 * with MARK1 and MARK2 in two registers the call keeps, CTX_M1 and CTX_M2
 * of the context block; CTX_PC and CTX_SP its pc and stack pointer),
 * resume_landing (stores the result register, CTX_M1's register, the
 * flags and the privilege level in land_rax, land_r12, land_flags and
 * land_cs, then calls resume_landed), check_landing_flags,
 * forge_block (a block the kernel must not load as it is) and
 * RESUME_BAD_PCS. Included by persona.c only.
 */
#include <lux/persona_ctx.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define CTX_PC pc
#define CTX_SP sp
#define CTX_M1 x[19]
#define CTX_M2 x[20]

/* uname with the markers in two registers the call keeps: x19, x20. */
static long uname_marked(struct utsname *u)
{
	register long x19 __asm__("x19") = MARK1, x20 __asm__("x20") = MARK2;
	register long x8 __asm__("x8") = SYS_uname;
	register long x0 __asm__("x0") = (long)u;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x19), "r"(x20)
			 : "memory");
	return x0;
}

/* uname(u) with the stack pointer at an unmapped page: its result. */
static long uname_stackless(struct utsname *u)
{
	register long x8 __asm__("x8") = SYS_uname;
	register long x0 __asm__("x0") = (long)u;

	__asm__ volatile("mov x19, sp\n\t"
			 "mov x9, #0x1000\n\t"
			 "mov sp, x9\n\t"
			 "svc #0\n\t"
			 "mov sp, x19"
			 : "+r"(x0)
			 : "r"(x8)
			 : "x9", "x19", "memory");
	return x0;
}

/* x0, x19 and NZCV into land_rax, land_r12 and land_flags; land_cs is
 * 3 (EL0) as the code runs at all: at EL1, the kernel could not execute
 * a user page (PXN) */
__asm__(".text\n"
	"resume_landing:\n\t"
	"adrp x9, land_rax\n\t"
	"str x0, [x9, :lo12:land_rax]\n\t"
	"adrp x9, land_r12\n\t"
	"str x19, [x9, :lo12:land_r12]\n\t"
	"mrs x10, nzcv\n\t"
	"adrp x9, land_flags\n\t"
	"str x10, [x9, :lo12:land_flags]\n\t"
	"mov x10, #3\n\t"
	"adrp x9, land_cs\n\t"
	"str x10, [x9, :lo12:land_cs]\n\t"
	"bl resume_landed\n\t"
	"brk #0\n");

/* The flags the landing found: the program's, never kernel ones. */
static void check_landing_flags(uint64_t land_flags)
{
	CHECK_EQ(land_flags, 0x80000000UL); /* N: a user flag, loaded */
}

/* Make c set the result register to 4242 and ask for privileges a program must not get. */
static void forge_block(struct lux_persona_ctx *c)
{
	c->x[0] = 4242;
	/* N; single step, illegal state, D A I F masked, EL1h: a kernel
	 * that loaded these would run the landing at EL1 (a PXN fault) or
	 * fault on the return (SIGILL) */
	c->pstate = 0x80000000 | 0x00300000 | 0x3c0 | 0x5;
}

/* pcs no program may resume at (a kernel one, one past the user half:
 * 48 bits), then 0 (a good one). */
#define RESUME_BAD_PCS                                                         \
	{                                                                      \
		0xffff800000000000UL, 0x0001000000000000UL, 0                  \
	}
