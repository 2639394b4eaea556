/*
 * switch.S - kernel context switch. A switched-out thread's stack holds
 * its callee-saved registers under the address to resume at; its
 * struct arch_context holds the stack pointer.
 */
	.text
	/* struct arch_context *switch_stacks(from %rdi, to %rsi) */
	.globl switch_stacks
switch_stacks:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq (%rsi), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	movq %rdi, %rax /* the context we came from */
	ret

	/* A new thread's first switch "returns" here with %rax = from. */
	.globl thread_trampoline
thread_trampoline:
	movq %rax, %rdi
	call thread_entry
	ud2
