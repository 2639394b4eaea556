/*
 * trampoline.S - where a secondary CPU starts: smp.c copies this code to
 * physical TRAMPOLINE (below 1 MiB) and sends it a start-up IPI. It runs
 * in real mode, climbs through protected mode into long mode on the
 * kernel's page tables and jumps to x86_ap_entry(cpu) on its own stack.
 * Everything is addressed relative to TRAMPOLINE.
 */
#define TRAMPOLINE 0x8000
#define ABS(x) (TRAMPOLINE + (x) - trampoline_start)

	.section .lowboot, "awx"
	.globl trampoline_start, trampoline_end
	.globl tramp_cr3, tramp_cr4, tramp_efer, tramp_stack, tramp_cpu
	.code16
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdt_ptr - trampoline_start
	movl %cr0, %eax
	orl $1, %eax /* PE */
	movl %eax, %cr0
	ljmpl $0x08, $ABS(tramp32)

	.code32
tramp32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl ABS(tramp_cr4), %eax /* PAE, and LA57 if the kernel uses it */
	movl %eax, %cr4
	movl ABS(tramp_cr3), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx /* EFER: LME, and NXE if the kernel uses it */
	rdmsr
	orl ABS(tramp_efer), %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80010000, %eax /* PG, WP */
	movl %eax, %cr0
	ljmp $0x18, $ABS(tramp64)

	.code64
tramp64:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq ABS(tramp_stack), %rsp
	movq ABS(tramp_cpu), %rdi
	xorl %ebp, %ebp
	movabsq $x86_ap_entry, %rax
	call *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
	.quad 0x00af9a000000ffff /* 0x18: 64-bit code */
tramp_gdt_ptr:
	.word tramp_gdt_ptr - tramp_gdt - 1
	.long ABS(tramp_gdt)
	.balign 8
tramp_cr3:
	.quad 0
tramp_cr4:
	.quad 0
tramp_efer:
	.quad 0
tramp_stack:
	.quad 0
tramp_cpu:
	.quad 0
trampoline_end:
