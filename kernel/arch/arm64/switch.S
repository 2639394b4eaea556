/*
 * switch.S - the kernel context switch, and the FP/SIMD registers of user
 * threads. A switched-out thread's stack holds x19-x30 (x30: where it
 * resumes); its struct arch_context holds the stack pointer (offset 0).
 * The kernel is built -mgeneral-regs-only: only these routines touch
 * the FP/SIMD registers, saved and loaded eagerly at every switch.
 */
	.arch_extension fp
	.arch_extension simd
	.text

	/* struct arch_context *switch_stacks(from x0, to x1): returns from */
	.globl switch_stacks
switch_stacks:
	stp x29, x30, [sp, #-96]!
	stp x19, x20, [sp, #16]
	stp x21, x22, [sp, #32]
	stp x23, x24, [sp, #48]
	stp x25, x26, [sp, #64]
	stp x27, x28, [sp, #80]
	mov x9, sp
	str x9, [x0]
	ldr x9, [x1]
	mov sp, x9
	ldp x19, x20, [sp, #16]
	ldp x21, x22, [sp, #32]
	ldp x23, x24, [sp, #48]
	ldp x25, x26, [sp, #64]
	ldp x27, x28, [sp, #80]
	ldp x29, x30, [sp], #96
	ret

	/* A new thread's first switch "returns" here with x0 = from. */
	.globl thread_trampoline
thread_trampoline:
	bl thread_entry
	brk #0

	/* void fpu_save(struct arch_fpu *x0): v0-v31, then FPSR, FPCR */
	.globl fpu_save
fpu_save:
	stp q0, q1, [x0, #0]
	stp q2, q3, [x0, #32]
	stp q4, q5, [x0, #64]
	stp q6, q7, [x0, #96]
	stp q8, q9, [x0, #128]
	stp q10, q11, [x0, #160]
	stp q12, q13, [x0, #192]
	stp q14, q15, [x0, #224]
	stp q16, q17, [x0, #256]
	stp q18, q19, [x0, #288]
	stp q20, q21, [x0, #320]
	stp q22, q23, [x0, #352]
	stp q24, q25, [x0, #384]
	stp q26, q27, [x0, #416]
	stp q28, q29, [x0, #448]
	stp q30, q31, [x0, #480]
	mrs x1, fpsr
	mrs x2, fpcr
	str w1, [x0, #512]
	str w2, [x0, #516]
	ret

	/* void fpu_load(const struct arch_fpu *x0) */
	.globl fpu_load
fpu_load:
	ldp q0, q1, [x0, #0]
	ldp q2, q3, [x0, #32]
	ldp q4, q5, [x0, #64]
	ldp q6, q7, [x0, #96]
	ldp q8, q9, [x0, #128]
	ldp q10, q11, [x0, #160]
	ldp q12, q13, [x0, #192]
	ldp q14, q15, [x0, #224]
	ldp q16, q17, [x0, #256]
	ldp q18, q19, [x0, #288]
	ldp q20, q21, [x0, #320]
	ldp q22, q23, [x0, #352]
	ldp q24, q25, [x0, #384]
	ldp q26, q27, [x0, #416]
	ldp q28, q29, [x0, #448]
	ldp q30, q31, [x0, #480]
	ldr w1, [x0, #512]
	ldr w2, [x0, #516]
	msr fpsr, x1
	msr fpcr, x2
	ret
