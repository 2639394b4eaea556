/*
 * x86_64.S - the personality's way in from the kernel and back, its
 * system calls and its checked copies, on x86_64.
 *
 * The kernel enters persona_entry on this thread's personality stack with
 * every signal blocked; %rdi and %rsp point to the program's saved context
 * (struct lux_persona_ctx, <lux/persona_ctx.h>: the last 184 bytes of the
 * stack), whose rax is the call's number and rdi, rsi, rdx, r10, r8, r9
 * its arguments. The result goes into the saved rax, and LUX_NR_RESUME
 * resumes the program with every register, and its signal mask, from the
 * block. A result of -LUX_ERESTART_CALL (a path request interrupted by a
 * signal whose handler has SA_RESTART) is given to the kernel as
 * -ERESTARTSYS: the program's handler runs first and its call is made
 * again after it, as for a kernel call.
 *
 * A caught signal enters persona_entry too, with %rsi and %rsp pointing
 * to its struct lux_persona_sig below the block (0 in %rsi for a call):
 * persona_signal makes the block start the handler, then the same
 * LUX_NR_RESUME does (docs/decisions/0023-signal-upcall.md).
 */
/* Offsets in struct lux_persona_ctx (checked in lib.c). */
#define CTX_R10   40
#define CTX_R9    48
#define CTX_R8    56
#define CTX_RDI   72
#define CTX_RSI   80
#define CTX_RDX   88
#define CTX_RAX   112
#define CTX_RIP   136
#define CTX_RFLAGS 152
#define CTX_RSP   160
#define NR_RESUME (1024 + 14) /* LUX_NR_RESUME */
/* The fixup word is the stack's last: at (%rsp | SLOT_MASK) - 7. */
#define SLOT_MASK 0x1ffff /* LUX_PERSONA_SLOT - 1 */
#define EFAULT    14
#define ENAMETOOLONG 36
#define LUX_ERESTART_CALL 513 /* include/lux/proto.h */
#define ERESTARTSYS 512

	.text
	.globl persona_entry
persona_entry:
	movq %rdi, %rbx            /* the context: callee-saved */
	xorl %ebp, %ebp            /* no frame above this one */
	testq %rsi, %rsi
	jnz signal_entry
	pushq CTX_R9(%rbx)         /* the arguments in a[0..5] order */
	pushq CTX_R8(%rbx)
	pushq CTX_R10(%rbx)
	pushq CTX_RDX(%rbx)
	pushq CTX_RSI(%rbx)
	pushq CTX_RDI(%rbx)
	movq CTX_RAX(%rbx), %rdi
	movq %rsp, %rsi
	subq $8, %rsp              /* 16-byte aligned at the call */
	call persona_call
	cmpq $-LUX_ERESTART_CALL, %rax
	jne 1f
	movq $-ERESTARTSYS, %rax
1:	movq %rax, CTX_RAX(%rbx)
resume:
	movl $NR_RESUME, %eax
	syscall
	ud2                        /* not reached: a bad context kills */
signal_entry:
	movq %rsi, %rdi
	subq $8, %rsp              /* 16-byte aligned at the call */
	call persona_signal
	jmp resume

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

	/* long persona_copy(void *dst, const void *src, size_t n): 0, or
	 * -EFAULT when a byte cannot be read or written: the kernel resumes
	 * a fault it cannot resolve at the fixup address, copy_fault, with
	 * every register as it was (%rax: the fixup word's address + 7). */
	.globl persona_copy
persona_copy:
	movq %rsp, %rax
	orq $SLOT_MASK, %rax
	leaq copy_fault(%rip), %rcx
	movq %rcx, -7(%rax)
	movq %rdx, %rcx
	shrq $3, %rcx
	rep movsq                  /* eight bytes a step, then the rest */
	movl %edx, %ecx
	andl $7, %ecx
	rep movsb
	movq $0, -7(%rax)
	xorl %eax, %eax
	ret
copy_fault:
	movq $0, -7(%rax)
	movq $-EFAULT, %rax
	ret

	/* long persona_strcpy(char *dst, const char *src, size_t size): the
	 * string at src with its NUL into dst: its length, -EFAULT, or
	 * -ENAMETOOLONG if no NUL is within size bytes. */
	.globl persona_strcpy
persona_strcpy:
	movq %rsp, %rax
	orq $SLOT_MASK, %rax
	leaq copy_fault(%rip), %rcx
	movq %rcx, -7(%rax)
	xorl %ecx, %ecx
1:	cmpq %rdx, %rcx
	je 2f
	movb (%rsi,%rcx), %r8b
	movb %r8b, (%rdi,%rcx)
	incq %rcx
	testb %r8b, %r8b
	jnz 1b
	movq $0, -7(%rax)
	leaq -1(%rcx), %rax
	ret
2:	movq $0, -7(%rax)
	movq $-ENAMETOOLONG, %rax
	ret
	/* long persona_fpu_save(long uarea, unsigned xsave): the FPU, SSE
	 * and AVX registers to the program's memory at uarea by XSAVE (every
	 * enabled component, the header zeroed first) when xsave, else by
	 * FXSAVE: 0, or -EFAULT through the fixup word as persona_copy. */
	.globl persona_fpu_save
persona_fpu_save:
	movq %rsp, %r8
	orq $SLOT_MASK, %r8
	leaq fpu_fault(%rip), %rcx
	movq %rcx, -7(%r8)
	testl %esi, %esi
	jz 2f
	xorl %eax, %eax
	movl $8, %ecx
1:	movq %rax, 504(%rdi,%rcx,8) /* the header: bytes 512-575 */
	loop 1b
	movl $-1, %eax
	movl $-1, %edx
	xsave64 (%rdi)
	jmp 3f
2:	fxsave64 (%rdi)
3:	movq $0, -7(%r8)
	xorl %eax, %eax
	ret
fpu_fault:
	movq $0, -7(%r8)
	movq $-EFAULT, %rax
	ret

	/* long persona_fpu_restore(long uarea, unsigned xsave): the
	 * registers from the program's memory at uarea by XRSTOR (when
	 * xsave) or FXRSTOR: 0, or -EFAULT through the fixup word when it
	 * faults (a page missing, a misaligned area, a state the CPU
	 * refuses: reserved bits set), which may leave some loaded. */
	.globl persona_fpu_restore
persona_fpu_restore:
	movq %rsp, %r8
	orq $SLOT_MASK, %r8
	leaq fpu_fault(%rip), %rcx
	movq %rcx, -7(%r8)
	testl %esi, %esi
	jz 1f
	movl $-1, %eax
	movl $-1, %edx
	xrstor64 (%rdi)
	jmp 2f
1:	fxrstor64 (%rdi)
2:	movq $0, -7(%r8)
	xorl %eax, %eax
	ret

	/* void persona_fpu_load(const void *area, unsigned xsave): the
	 * registers from area (XRSTOR of every enabled component, or
	 * FXRSTOR), which the personality checked. */
	.globl persona_fpu_load
persona_fpu_load:
	testl %esi, %esi
	jz 1f
	movl $-1, %eax
	movl $-1, %edx
	xrstor64 (%rdi)
	ret
1:	fxrstor64 (%rdi)
	ret

	/* unsigned persona_fpu_size(void): the bytes XSAVE writes for the
	 * components the system enabled, 0 when it did not enable XSAVE
	 * (CPUID.1:ECX.OSXSAVE) and FXSAVE's 512 bytes are used. */
	.globl persona_fpu_size
persona_fpu_size:
	pushq %rbx
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	xorl %eax, %eax
	btl $27, %ecx
	jnc 1f
	movl $0xd, %eax
	xorl %ecx, %ecx
	cpuid
	movl %ebx, %eax
1:	popq %rbx
	ret

	/* uint64_t persona_xcr0(void): XCR0, the enabled XSAVE components */
	.globl persona_xcr0
persona_xcr0:
	xorl %ecx, %ecx
	xgetbv
	shlq $32, %rdx
	orq %rdx, %rax
	ret

	/* void persona_crash(void): a read of a kernel address, outside a
	 * checked copy: every signal is blocked here, so the kernel ends
	 * the process with SIGSEGV (and a core flag), as for a signal frame
	 * Linux cannot write. */
	.globl persona_crash
persona_crash:
	movabsq $0xffff800000000000, %rax
	movq (%rax), %rax
	ud2

	/* void exec_set_regs(void *ctx, uintptr_t pc, uintptr_t sp): make
	 * the saved context ctx (struct lux_persona_ctx) start a new
	 * program: every register 0 (the flags too), pc and sp as given;
	 * the signal mask stays. The only access to the saved registers
	 * but the call's own. */
	.globl exec_set_regs
exec_set_regs:
	movl $15, %ecx             /* r15 ... rax */
1:	movq $0, -8(%rdi,%rcx,8)
	loop 1b
	movq %rsi, CTX_RIP(%rdi)
	movq $0, CTX_RFLAGS(%rdi)  /* the kernel keeps IF */
	movq %rdx, CTX_RSP(%rdi)
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
