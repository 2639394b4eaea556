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
 * the program left them.
 */
#define UC_RAX (40 + 13 * 8)
#define NR_RT_SIGRETURN 15

	.text
	.globl persona_entry
persona_entry:
	movq %rdx, %rbx            /* the saved context: callee-saved */
	movq (%rsi), %rdi          /* the number, all 64 bits of it */
	leaq 8(%rsi), %rsi         /* the arguments follow the number */
	subq $8, %rsp              /* 16-byte aligned at the call */
	call persona_call
	movq %rax, UC_RAX(%rbx)
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

	/* void exec_set_regs(void *ctx, uintptr_t pc, uintptr_t sp): make
	 * the saved context ctx (as persona_entry got it) start a new
	 * program: every register 0 (the flags too), pc and sp as given.
	 * The only access to the saved registers but the result's. */
	.globl exec_set_regs
exec_set_regs:
	leaq 40(%rdi), %rdi        /* the mcontext's registers */
	movl $15, %ecx             /* r8 ... rcx */
1:	movq $0, (%rdi)
	addq $8, %rdi
	loop 1b
	movq %rdx, (%rdi)          /* rsp */
	movq %rsi, 8(%rdi)         /* rip */
	movq $0, 16(%rdi)          /* rflags: the kernel keeps IF */
	ret

	/* uint64_t exec_hwcap(void): AT_HWCAP, CPUID.1:EDX as Linux gives */
	.globl exec_hwcap
exec_hwcap:
	pushq %rbx
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	movl %edx, %eax
	popq %rbx
	ret

	/* unsigned exec_machine(void): the ELF e_machine, EM_X86_64 */
	.globl exec_machine
exec_machine:
	movl $62, %eax
	ret

	.section .note.GNU-stack, "", @progbits
