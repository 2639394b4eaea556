/*
 * aarch64.S - the personality's way in from the kernel and back, its
 * system calls and its checked copies, on arm64.
 *
 * The kernel enters persona_entry on this thread's personality stack with
 * every signal blocked; x0 and sp point to the program's saved context
 * (struct lux_persona_ctx, <lux/persona_ctx.h>: the last 304 bytes of the
 * stack), whose x8 is the call's number and x0..x5 its arguments. The
 * result goes into the saved x0, and LUX_NR_RESUME resumes the program
 * with every register, and its signal mask, from the block. A result of
 * -LUX_ERESTART_CALL (a path request interrupted by a signal whose
 * handler has SA_RESTART) is given to the kernel as -ERESTARTSYS: the
 * program's handler runs first and its call is made again after it, as
 * for a kernel call.
 *
 * A caught signal enters persona_entry too, with x1 and sp pointing to
 * its struct lux_persona_sig below the block (0 in x1 for a call):
 * persona_signal makes the block start the handler, then the same
 * LUX_NR_RESUME does (docs/decisions/0023-signal-upcall.md).
 *
 * The program's FP/SIMD registers stay live while the personality runs:
 * its C is built with -mgeneral-regs-only, and only the frame code
 * below reads or loads them.
 */
	.arch armv8-a+fp+simd

/* Offsets in struct lux_persona_ctx (checked in aarch64/signal.c). */
#define CTX_X0     0
#define CTX_X2     16
#define CTX_X4     32
#define CTX_X8     64
#define CTX_SP     248
#define CTX_PC     256
#define CTX_PSTATE 264
#define NR_RESUME  (1024 + 14) /* LUX_NR_RESUME */
/* The fixup word is the stack's last: at (sp | SLOT_MASK) - 7. */
#define SLOT_MASK 0x1ffff /* LUX_PERSONA_SLOT - 1 */
#define EFAULT    14
#define ENAMETOOLONG 36
#define LUX_ERESTART_CALL 513 /* include/lux/proto.h */
#define ERESTARTSYS 512

	.text
	.globl persona_entry
	.type persona_entry, %function
persona_entry:
	mov x19, x0                /* the context: callee-saved */
	mov x29, #0                /* no frame above this one */
	mov x30, #0
	cbnz x1, signal_entry
	sub sp, sp, #48            /* the arguments, a[0..5] */
	ldp x2, x3, [x19, #CTX_X0]
	stp x2, x3, [sp]
	ldp x2, x3, [x19, #CTX_X2]
	stp x2, x3, [sp, #16]
	ldp x2, x3, [x19, #CTX_X4]
	stp x2, x3, [sp, #32]
	ldr x0, [x19, #CTX_X8]
	mov x1, sp
	bl persona_call
	cmn x0, #LUX_ERESTART_CALL
	b.ne 1f
	mov x0, #-ERESTARTSYS
1:	str x0, [x19, #CTX_X0]
resume:
	mov x8, #NR_RESUME
	svc #0
	udf #0                     /* not reached: a bad context kills */
signal_entry:
	mov x0, x1
	bl persona_signal
	b resume
	.size persona_entry, . - persona_entry

	/* long persona_syscall(long nr, long a0, ..., long a5) */
	.globl persona_syscall
	.type persona_syscall, %function
persona_syscall:
	mov x8, x0
	mov x0, x1
	mov x1, x2
	mov x2, x3
	mov x3, x4
	mov x4, x5
	mov x5, x6
	svc #0
	ret
	.size persona_syscall, . - persona_syscall

	/* x9 = the fixup word's address; it is set to the fault label \l */
	.macro fixup_set l
	mov x9, sp
	orr x9, x9, #SLOT_MASK
	sub x9, x9, #7
	adr x10, \l
	str x10, [x9]
	.endm

	/* long persona_copy(void *dst, const void *src, size_t n): 0, or
	 * -EFAULT when a byte cannot be read or written: the kernel resumes
	 * a fault it cannot resolve at the fixup address, copy_fault, with
	 * every register as it was (x9: the fixup word's address). */
	.globl persona_copy
	.type persona_copy, %function
persona_copy:
	fixup_set copy_fault
1:	cmp x2, #8                 /* eight bytes a step, then the rest */
	b.lo 2f
	ldr x11, [x1], #8
	str x11, [x0], #8
	sub x2, x2, #8
	b 1b
2:	cbz x2, 3f
	ldrb w11, [x1], #1
	strb w11, [x0], #1
	sub x2, x2, #1
	b 2b
3:	str xzr, [x9]
	mov x0, #0
	ret
copy_fault:
	str xzr, [x9]
	mov x0, #-EFAULT
	ret
	.size persona_copy, . - persona_copy

	/* long persona_strcpy(char *dst, const char *src, size_t size): the
	 * string at src with its NUL into dst: its length, -EFAULT, or
	 * -ENAMETOOLONG if no NUL is within size bytes. */
	.globl persona_strcpy
	.type persona_strcpy, %function
persona_strcpy:
	fixup_set copy_fault
	mov x3, #0
1:	cmp x3, x2
	b.eq 2f
	ldrb w4, [x1, x3]
	strb w4, [x0, x3]
	add x3, x3, #1
	cbnz w4, 1b
	str xzr, [x9]
	sub x0, x3, #1
	ret
2:	str xzr, [x9]
	mov x0, #-ENAMETOOLONG
	ret
	.size persona_strcpy, . - persona_strcpy

	/* void persona_fpsimd_get(void *rec): the program's FPSR and FPCR
	 * (32 bits each) at rec + 8 and + 12, v0-v31 at rec + 16: the body
	 * of Linux's struct fpsimd_context, in the personality's memory. */
	.globl persona_fpsimd_get
	.type persona_fpsimd_get, %function
persona_fpsimd_get:
	mrs x1, fpsr
	mrs x2, fpcr
	stp w1, w2, [x0, #8]
	add x0, x0, #16
	stp q0, q1, [x0], #32
	stp q2, q3, [x0], #32
	stp q4, q5, [x0], #32
	stp q6, q7, [x0], #32
	stp q8, q9, [x0], #32
	stp q10, q11, [x0], #32
	stp q12, q13, [x0], #32
	stp q14, q15, [x0], #32
	stp q16, q17, [x0], #32
	stp q18, q19, [x0], #32
	stp q20, q21, [x0], #32
	stp q22, q23, [x0], #32
	stp q24, q25, [x0], #32
	stp q26, q27, [x0], #32
	stp q28, q29, [x0], #32
	stp q30, q31, [x0]
	ret
	.size persona_fpsimd_get, . - persona_fpsimd_get

	/* void persona_fpsimd_set(const void *rec): the registers back from
	 * a record laid out as persona_fpsimd_get writes it. */
	.globl persona_fpsimd_set
	.type persona_fpsimd_set, %function
persona_fpsimd_set:
	ldp w1, w2, [x0, #8]
	msr fpsr, x1
	msr fpcr, x2
	add x0, x0, #16
	ldp q0, q1, [x0], #32
	ldp q2, q3, [x0], #32
	ldp q4, q5, [x0], #32
	ldp q6, q7, [x0], #32
	ldp q8, q9, [x0], #32
	ldp q10, q11, [x0], #32
	ldp q12, q13, [x0], #32
	ldp q14, q15, [x0], #32
	ldp q16, q17, [x0], #32
	ldp q18, q19, [x0], #32
	ldp q20, q21, [x0], #32
	ldp q22, q23, [x0], #32
	ldp q24, q25, [x0], #32
	ldp q26, q27, [x0], #32
	ldp q28, q29, [x0], #32
	ldp q30, q31, [x0]
	ret
	.size persona_fpsimd_set, . - persona_fpsimd_set

	/* void persona_crash(void): a read of a kernel address, outside a
	 * checked copy: every signal is blocked here, so the kernel ends
	 * the process with SIGSEGV (and a core flag), as for a signal frame
	 * Linux cannot write. */
	.globl persona_crash
	.type persona_crash, %function
persona_crash:
	movz x0, #0xffff, lsl #48
	ldr x0, [x0]
	udf #0
	.size persona_crash, . - persona_crash

	/* void exec_set_regs(void *ctx, uintptr_t pc, uintptr_t sp): make
	 * the saved context ctx (struct lux_persona_ctx) start a new
	 * program: x0-x30 0, pc and sp as given, the flags 0; the signal
	 * mask stays. The only access to the saved registers but the
	 * call's own and the signal frame's. */
	.globl exec_set_regs
	.type exec_set_regs, %function
exec_set_regs:
	mov x3, #0
1:	str xzr, [x0, x3, lsl #3]  /* x0 ... x30 */
	add x3, x3, #1
	cmp x3, #31
	b.ne 1b
	str x2, [x0, #CTX_SP]
	str x1, [x0, #CTX_PC]
	str xzr, [x0, #CTX_PSTATE]
	ret
	.size exec_set_regs, . - exec_set_regs

	/* uint64_t exec_hwcap(void): AT_HWCAP: FP and ASIMD (bits 0, 1),
	 * which every arm64 CPU the port runs on has; no other feature is
	 * promised (a program that reads the ID registers learns more). */
	.globl exec_hwcap
	.type exec_hwcap, %function
exec_hwcap:
	mov x0, #3
	ret
	.size exec_hwcap, . - exec_hwcap

	/* unsigned exec_machine(void): the ELF e_machine, EM_AARCH64 */
	.globl exec_machine
	.type exec_machine, %function
exec_machine:
	mov x0, #183
	ret
	.size exec_machine, . - exec_machine

	.section .note.GNU-stack, "", %progbits
