/*
 * boot.S - the first instructions. A Multiboot (for QEMU -kernel) or
 * Multiboot2 (for GRUB) loader enters _start in 32-bit protected mode with
 * paging off, the magic in %eax and the boot information in %ebx. We map
 * the first GiB three times (identity, direct map, kernel image), enter
 * long mode and call x86_boot(magic, info) in the higher half.
 */
#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS 0x00010003 /* page-align modules, memory map, a.out kludge */
#define MB2_MAGIC 0xe85250d6
#define KERNEL_BASE 0xffffffff80000000

	.section .multiboot, "a"
	.balign 4
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long mb1_header     /* header_addr */
	.long 0x100000       /* load_addr: the image starts at 1 MiB */
	.long _load_end_phys /* load_end_addr */
	.long _bss_end_phys  /* bss_end_addr */
	.long _start         /* entry_addr */

	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0                                     /* i386 protected mode */
	.long mb2_end - mb2_header
	.long -(MB2_MAGIC + (mb2_end - mb2_header))
	.word 0, 0                                  /* end tag */
	.long 8
mb2_end:

	.section .lowboot, "awx"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, boot_magic
	movl %ebx, boot_info
	movl $boot_stack32_top, %esp

	/* Long mode needs CPUID leaf 0x80000001 bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	/* 5-level paging where the CPU has it (CPUID.7.0:ECX bit 16): then
	 * a PML5 whose first and last entries lead to the same PML4. */
	movl $boot_pml4, %edi
	xorl %eax, %eax
	cpuid
	cmpl $7, %eax
	jb 1f
	movl $7, %eax
	xorl %ecx, %ecx
	cpuid
	btl $16, %ecx
	jnc 1f
	movl %cr4, %eax
	orl $0x1000, %eax /* LA57 */
	movl %eax, %cr4
	movl $boot_pml5, %edi
1:	movl %cr4, %eax
	orl $0x20, %eax /* PAE */
	movl %eax, %cr4
	movl %edi, %cr3
	movl $0xc0000080, %ecx /* EFER */
	rdmsr
	orl $0x100, %eax /* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80010001, %eax /* PG, WP, PE */
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

no_long_mode:
	movl $no_lm_msg, %esi
1:	lodsb
	testb %al, %al
	jz 2f
	movw $0x3f8, %dx
	outb %al, %dx
	jmp 1b
2:	hlt
	jmp 2b

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $higher_half, %rax
	jmp *%rax

no_lm_msg:
	.asciz "lux: this CPU has no 64-bit long mode\r\n"

	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.globl boot_magic, boot_info
boot_magic:
	.long 0
boot_info:
	.long 0

	/* Start-up page tables: PML4[0] and PML4[256] map phys 0-1 GiB at 0
	 * and at DIRECT_MAP_BASE, PML4[511] maps it at KERNEL_BASE. With
	 * 5-level paging, PML5[0] and PML5[511] both lead to that PML4. */
	.balign 4096
	.globl boot_pml4, boot_pdpt
boot_pml5:
	.quad boot_pml4 + 3
	.fill 510, 8, 0
	.quad boot_pml4 + 3
boot_pml4:
	.quad boot_pdpt + 3
	.fill 255, 8, 0
	.quad boot_pdpt + 3
	.fill 254, 8, 0
	.quad boot_pdpt_high + 3
boot_pdpt:
	.quad boot_pd + 3
	.fill 511, 8, 0
boot_pdpt_high:
	.fill 510, 8, 0
	.quad boot_pd + 3
	.quad 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) + 0x83 /* present, writable, 2 MiB */
	.set i, i + 1
	.endr
	.fill 1024, 1, 0
boot_stack32_top:

	.section .text.entry, "ax"
higher_half:
	movabsq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	movl boot_magic, %edi
	movl boot_info, %esi
	call x86_boot
1:	hlt
	jmp 1b

	/* The boot CPU's stack, with an unmapped guard page below it. */
	.section .bss
	.balign 4096
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard:
	.skip 4096
	.skip 16384
boot_stack_top:
