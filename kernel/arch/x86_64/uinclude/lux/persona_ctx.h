/*
 * persona_ctx.h - x86_64's struct lux_persona_ctx (include/lux/proto.h
 * describes the block): the program's registers as struct trap_frame
 * holds them, its signal mask and the call's number. The call's number,
 * arguments and result are in rax; rdi, rsi, rdx, r10, r8, r9; rax.
 */
#ifndef LUX_PERSONA_CTX_H
#define LUX_PERSONA_CTX_H

#include <stdint.h>

struct lux_persona_ctx {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t mask; /* the program's signal mask: bit n-1 for signal n */
	uint64_t nr;   /* the call's number, rax again if it restarts */
	uint64_t rip, cs, rflags, rsp, ss; /* rflags: user flags; cs, ss
					    * are not loaded back */
	/* The personality's own: while nonzero, a fault the kernel cannot
	 * resolve at a pc in the personality resumes there (instead of
	 * killing the process): how its checked copies fail with EFAULT. */
	uint64_t fixup;
};

#endif
