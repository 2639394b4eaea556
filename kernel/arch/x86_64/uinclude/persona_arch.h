/*
 * persona_arch.h - x86_64's part of tests/user/persona.c: uname_stackless
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

#define CTX_PC rip
#define CTX_SP rsp
#define CTX_M1 r12
#define CTX_M2 r13

/* uname with the markers in two registers the call keeps: r12, r13. */
static long uname_marked(struct utsname *u)
{
	register long r12 __asm__("r12") = MARK1, r13 __asm__("r13") = MARK2;
	long r = SYS_uname;

	__asm__ volatile("syscall"
			 : "+a"(r)
			 : "D"(u), "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return r;
}

/* uname(u) with the stack pointer at an unmapped page: its result. */
static long uname_stackless(struct utsname *u)
{
	long r;

	__asm__ volatile("movq %%rsp, %%r12\n\t"
			 "movq $0x1000, %%rsp\n\t"
			 "syscall\n\t"
			 "movq %%r12, %%rsp"
			 : "=a"(r)
			 : "a"((long)SYS_uname), "D"(u)
			 : "rcx", "r11", "r12", "memory");
	return r;
}

__asm__(".text\n"
	"resume_landing:\n\t"
	"movq %rax, land_rax(%rip)\n\t"
	"movq %r12, land_r12(%rip)\n\t"
	"pushfq\n\t"
	"popq land_flags(%rip)\n\t"
	"movw %cs, %ax\n\t"
	"movzwl %ax, %eax\n\t"
	"movq %rax, land_cs(%rip)\n\t"
	"call resume_landed\n\t"
	"ud2\n");

/* The flags the landing found: the program's, never kernel ones. */
static void check_landing_flags(uint64_t land_flags)
{
	CHECK_EQ(land_flags & 0x3000, 0); /* IOPL 0 */
	CHECK(land_flags & 0x200);        /* interrupts on */
	CHECK(land_flags & 0x80);         /* SF: a user flag, loaded */
}

/* Make c set the result register to 4242 and ask for privileges a program must not get. */
static void forge_block(struct lux_persona_ctx *c)
{
	c->rax = 4242;
	c->rflags = 0x3000 | 0x80; /* IOPL 3, SF; IF off */
	c->cs = 0x08;              /* the kernel's code segment */
	c->ss = 0x10;
}

/* pcs no program may resume at (a kernel one, a non-canonical one),
 * then 0 (a good one). */
#define RESUME_BAD_PCS                                                         \
	{                                                                      \
		0xffff800000000000UL, 0x0000900000000000UL, 0                  \
	}
