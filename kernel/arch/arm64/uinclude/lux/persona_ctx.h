/*
 * persona_ctx.h - arm64's struct lux_persona_ctx (include/lux/proto.h
 * describes the block): the program's registers as struct trap_frame
 * holds them, its signal mask and the call's number. The call's number
 * is in x8, its arguments in x0..x5, its result in x0.
 */
#ifndef LUX_PERSONA_CTX_H
#define LUX_PERSONA_CTX_H

#include <stdint.h>

struct lux_persona_ctx {
	uint64_t x[31];   /* x0..x30: the number in x8, arguments x0..x5 */
	uint64_t sp, pc;  /* the program's SP_EL0 and pc */
	uint64_t pstate;  /* only NZCV is loaded back */
	uint64_t mask;    /* the program's signal mask: bit n-1 for signal n */
	uint64_t nr;      /* x8 at a reflected call; at a signal's upcall
			     * the ESR of the fault being signalled, else 0 */
	uint64_t orig_x0; /* x0 as the call was made: what a restart puts
			     * back in x0 (304 bytes in all: sp stays
			     * 16-byte aligned) */
	/* The personality's own: while nonzero, a fault the kernel cannot
	 * resolve at a pc in the personality resumes there (instead of
	 * killing the process): how its checked copies fail with EFAULT. */
	uint64_t fixup;
};

#endif
