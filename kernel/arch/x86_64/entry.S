/*
 * entry.S - every way into and out of the kernel. Stub n (16 bytes each,
 * at trap_stubs + 16 * n) pushes an error code of 0 where the CPU pushes
 * none, then the vector; trap_common saves the registers as a struct
 * trap_frame and calls trap_dispatch(frame). syscall_entry builds the same
 * frame for the SYSCALL instruction. Entering from or leaving to user
 * mode swaps GS, so %gs always points at the CPU's struct arch_cpu in
 * the kernel.
 */
#define FRAME_CS 24 /* offset of cs above the vector on entry */

	.macro SAVE_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	testb $3, FRAME_CS(%rsp)
	jz 1f
	swapgs
1:	SAVE_REGS
	movq %rsp, %rdi
	cld
	call trap_dispatch
	jmp trap_return

	/* SYSCALL: rip in rcx, rflags in r11, interrupts masked (SFMASK). */
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:16
	movq %gs:8, %rsp
	pushq $0x1b         /* ss: user data */
	pushq %gs:16        /* rsp */
	pushq %r11          /* rflags */
	pushq $0x23         /* cs: user code */
	pushq %rcx          /* rip */
	pushq $0            /* error */
	pushq $256          /* "vector": a system call */
	SAVE_REGS
	movq %rsp, %rdi
	cld
	call x86_syscall
	jmp trap_return

	/* void arch_enter_user(struct trap_frame *f): leave for user mode. */
	.globl arch_enter_user
arch_enter_user:
	cli
	movq %rdi, %rsp
	.globl trap_return
trap_return:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	testb $3, 8(%rsp)
	jz 1f
	swapgs
1:	iretq

	/* int arch_copy_user(void *dst, const void *src, size_t n): a fault
	 * at uaccess_insn(2) that the fault handler cannot resolve resumes at
	 * uaccess_fault. RFLAGS.AC opens user pages to the kernel under SMAP
	 * (POPF sets it on any CPU, unlike STAC). */
	.globl arch_copy_user, uaccess_insn, uaccess_insn2, uaccess_fault
arch_copy_user:
	pushfq
	orl $0x40000, (%rsp)
	popfq
	movq %rdx, %rcx
	shrq $3, %rcx
uaccess_insn:
	rep movsq           /* eight bytes a step, then the rest */
	movl %edx, %ecx
	andl $7, %ecx
uaccess_insn2:
	rep movsb
	xorl %eax, %eax
1:	pushfq
	andl $~0x40000, (%rsp)
	popfq
	ret
uaccess_fault:
	movl $-14, %eax /* -EFAULT */
	jmp 1b
