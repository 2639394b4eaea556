/*
 * x86_64.S - the personality's way in from the kernel and its system
 * calls, on x86_64.
 *
 * The kernel enters persona_entry as it enters a signal handler
 * (kernel/proc/persona.c), on this thread's personality stack with every
 * signal blocked: %rdi holds the call's number (cut to 32 bits), %rsi
 * points to a block of the whole number and its six arguments, %rdx to the program's saved context
 * (a Linux ucontext: the mcontext registers from offset 40, rax the 14th)
 * just above %rsp. The result goes into the saved rax, and rt_sigreturn
 * resumes the program with every other register, and its signal mask, as
 * the program left them. A result of -LUX_ERESTART_CALL (a path request
 * interrupted by a signal whose handler has SA_RESTART) rewinds the
 * program to its SYSCALL with the call's number in rax: the signal is
 * delivered as rt_sigreturn returns, and the call is made again after.
 */
#define UC_RAX (40 + 13 * 8)
#define UC_RIP (40 + 16 * 8)
#define LUX_ERESTART_CALL 513 /* include/lux/proto.h */
#define NR_RT_SIGRETURN 15

	.text
	.globl persona_entry
persona_entry:
	movq %rdx, %rbx            /* the saved context: callee-saved */
	movq (%rsi), %rdi          /* the number, all 64 bits of it */
	movq %rdi, %r12            /* kept for a restart */
	leaq 8(%rsi), %rsi         /* the arguments follow the number */
	subq $8, %rsp              /* 16-byte aligned at the call */
	call persona_call
	cmpq $-LUX_ERESTART_CALL, %rax
	jne 1f
	movq %r12, %rax            /* a signal's handler first, then the */
	subq $2, UC_RIP(%rbx)      /* same SYSCALL again (SA_RESTART) */
1:	movq %rax, UC_RAX(%rbx)
	movq %rbx, %rsp            /* rt_sigreturn reads the frame at %rsp - 8 */
	movl $NR_RT_SIGRETURN, %eax
	syscall
	ud2                        /* not reached: a bad frame kills */

	/* long persona_syscall(long nr, long a0, ..., long a5) */
	.globl persona_syscall
persona_syscall:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	ret

	.section .note.GNU-stack, "", @progbits
