/*
 * vectors.S - the exception vector table. Every exception saves a struct
 * trap_frame (arch_defs.h) on the kernel stack and calls C: from EL1,
 * arm64_el1_sync / arm64_irq; from EL0, arm64_el0_sync / arm64_irq, then
 * arm64_el0_exit. arm64_eret(f) restores f and returns from the exception.
 * An EL1 synchronous exception whose frame would land in an unmapped page
 * (a kernel stack overflow) is taken on the CPU's emergency stack.
 */
#define FRAME     304  /* sizeof(struct trap_frame) */
#define F_SP      248
#define F_PSTATE  264
#define EMERG     16   /* offsetof(struct arch_cpu, emerg_stack) */

/* x0-x2 are in the frame at sp; x1 holds the interrupted stack pointer. */
	.macro save_rest
	stp x3, x4, [sp, #24]
	stp x5, x6, [sp, #40]
	stp x7, x8, [sp, #56]
	stp x9, x10, [sp, #72]
	stp x11, x12, [sp, #88]
	stp x13, x14, [sp, #104]
	stp x15, x16, [sp, #120]
	stp x17, x18, [sp, #136]
	stp x19, x20, [sp, #152]
	stp x21, x22, [sp, #168]
	stp x23, x24, [sp, #184]
	stp x25, x26, [sp, #200]
	stp x27, x28, [sp, #216]
	stp x29, x30, [sp, #232]
	mrs x22, elr_el1
	mrs x23, spsr_el1
	mrs x24, esr_el1
	mrs x25, far_el1
	stp x1, x22, [sp, #F_SP]
	ldr x0, [sp]
	stp x23, x0, [sp, #F_PSTATE]    /* pstate, orig_x0 */
	stp x24, x25, [sp, #280]
	str xzr, [sp, #296]
	mov x0, sp
	.endm

	.macro save el
	sub sp, sp, #FRAME
	str x0, [sp]
	stp x1, x2, [sp, #8]
	.if \el == 0
	mrs x1, sp_el0
	.else
	add x1, sp, #FRAME
	.endif
	save_rest
	.endm

	.macro entry label
	.balign 128
	b \label
	.endm

	.text
	.balign 2048
	.globl arm64_vectors
arm64_vectors:
	entry bad_el1           /* current EL with SP_EL0 */
	entry bad_el1
	entry bad_el1
	entry bad_el1
	entry el1_sync          /* current EL with SP_ELx */
	entry el1_irq
	entry bad_el1
	entry bad_el1
	entry el0_sync          /* lower EL, AArch64 */
	entry el0_irq
	entry bad_el0
	entry bad_el0
	entry bad_el0           /* lower EL, AArch32 */
	entry bad_el0
	entry bad_el0
	entry bad_el0

el1_sync:
	msr sp_el0, x0                  /* scratch: the frame's page mapped? */
	sub x0, sp, #FRAME
	at s1e1w, x0
	isb
	mrs x0, par_el1
	tbnz x0, #0, el1_overflow
	mrs x0, sp_el0
	save 1
	bl arm64_el1_sync
	b ret_el1

el1_overflow:
	mrs x0, tpidr_el1
	ldr x0, [x0, #EMERG]
	sub x0, x0, #FRAME
	stp x1, x2, [x0, #8]
	mov x1, sp
	mov sp, x0
	mrs x0, sp_el0
	str x0, [sp]
	save_rest
	bl arm64_el1_sync
	b .

el1_irq:
	save 1
	str xzr, [sp, #280]             /* esr: stale at an interrupt */
	bl arm64_irq
ret_el1:
	mov x0, sp
	b arm64_eret

el0_sync:
	save 0
	bl arm64_el0_sync
	b ret_el0

el0_irq:
	save 0
	str xzr, [sp, #280]
	bl arm64_irq
ret_el0:
	mov x0, sp
	bl arm64_el0_exit
	mov x0, sp
	b arm64_eret

bad_el1:
	save 1
	bl arm64_bad_exception
	b .

bad_el0:
	save 0
	bl arm64_bad_exception
	b ret_el0

/* NORETURN void arm64_eret(struct trap_frame *f): f lies at the top of
 * the stack it was saved on (for EL0: the thread's kernel stack top). */
	.globl arm64_eret
arm64_eret:
	msr daifset, #0xf
	mov sp, x0
	ldp x21, x22, [sp, #F_SP]
	ldr x23, [sp, #F_PSTATE]
	msr elr_el1, x22
	msr spsr_el1, x23
	tst x23, #0xc                   /* returning to EL0? */
	b.ne 1f
	msr sp_el0, x21
1:	ldr x0, [sp]
	ldp x1, x2, [sp, #8]
	ldp x3, x4, [sp, #24]
	ldp x5, x6, [sp, #40]
	ldp x7, x8, [sp, #56]
	ldp x9, x10, [sp, #72]
	ldp x11, x12, [sp, #88]
	ldp x13, x14, [sp, #104]
	ldp x15, x16, [sp, #120]
	ldp x17, x18, [sp, #136]
	ldp x19, x20, [sp, #152]
	ldp x21, x22, [sp, #168]
	ldp x23, x24, [sp, #184]
	ldp x25, x26, [sp, #200]
	ldp x27, x28, [sp, #216]
	ldp x29, x30, [sp, #232]
	add sp, sp, #FRAME
	eret
