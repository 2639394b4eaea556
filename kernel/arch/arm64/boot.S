/*
 * boot.S - the first instructions. The loader (QEMU -kernel, or a Linux
 * boot loader) enters _start through the Linux arm64 Image header at EL2
 * or EL1 with the MMU off and x0 = the device tree's physical address.
 * We drop to EL1, map the image at KERNEL_BASE, the 4 GiB from the
 * image's GiB at the direct map, and the image's GiB 1:1 (for turning
 * the MMU on), then call arm64_boot(dtb, image) at the high address.
 * Secondary CPUs (PSCI CPU_ON) enter at secondary_entry, x0 = their
 * struct cpu.
 */
#define MAIR  0x4400ff          /* 0: normal write-back, 1: device, 2: nc */
#define TCR   0xb5103510        /* 48-bit both halves, 4 KiB, WB, inner sh. */
#define SCTLR 0x34d4d81d        /* MMU, caches, SP align, EL0 cache ops */
#define SCTLR_SPAN (1 << 23)    /* clear: exceptions set PSTATE.PAN */
#define BLOCK 0x701             /* block, AF, inner shareable, normal */
#define UXN   (1 << 54)
#define PXN   (1 << 53)

	.macro adr_l reg, sym
	adrp \reg, \sym
	add \reg, \reg, :lo12:\sym
	.endm

	.section .text.entry, "ax"
	.globl _start
_start:
	b primary                       /* code0 */
	.long 0                         /* code1 */
	.quad 0                         /* text_offset */
	.quad _image_size               /* image_size, with .bss */
	.quad 0x2                       /* little endian, 4 KiB pages */
	.quad 0, 0, 0
	.ascii "ARM\x64"                /* magic */
	.long 0

primary:
	mov x19, x0                     /* the device tree */
	bl el1_enter
	adr x20, _start                 /* the image's physical address */
	adr_l x9, _bss
	adr_l x10, _end
1:	stp xzr, xzr, [x9], #16
	cmp x9, x10
	b.lo 1b

	/* TTBR0: the image's GiB, identity-mapped */
	adr_l x0, boot_l0_lo
	adr_l x1, boot_l1_lo
	ubfx x2, x20, #39, #9
	orr x3, x1, #3
	str x3, [x0, x2, lsl #3]
	ubfx x2, x20, #30, #9
	lsr x3, x20, #30
	lsl x3, x3, #30
	mov x4, #BLOCK
	orr x3, x3, x4
	str x3, [x1, x2, lsl #3]

	/* TTBR1: 4 GiB of direct map from the image's GiB, never executable */
	adr_l x0, boot_l0_hi
	adr_l x1, boot_l1_dm
	orr x3, x1, #3
	str x3, [x0]
	lsr x2, x20, #30
	lsl x3, x2, #30
	ldr x4, =(BLOCK | UXN | PXN)
	orr x3, x3, x4
	mov x5, #4
	mov x6, #(1 << 30)
2:	str x3, [x1, x2, lsl #3]
	add x2, x2, #1
	add x3, x3, x6
	subs x5, x5, #1
	b.ne 2b

	/* the image: 8 blocks of 2 MiB at KERNEL_BASE (L0 511, L1 510) */
	adr_l x1, boot_l1_k
	orr x3, x1, #3
	str x3, [x0, #511 * 8]
	adr_l x2, boot_l2_k
	orr x3, x2, #3
	str x3, [x1, #510 * 8]
	ldr x4, =(BLOCK | UXN)
	orr x3, x20, x4
	mov x5, #8
	mov x6, #(2 << 20)
3:	str x3, [x2], #8
	add x3, x3, x6
	subs x5, x5, #1
	b.ne 3b

	adr_l x1, boot_l0_hi
	bl mmu_on
	ldr x9, =primary_high
	br x9

	/* Secondary CPUs: the boot CPU's final kernel tables, via the
	 * boot identity map. */
	.globl secondary_entry
secondary_entry:
	mov x19, x0
	bl el1_enter
	adr_l x1, kernel_root_phys
	ldr x1, [x1]
	bl mmu_on
	ldr x9, =secondary_high
	br x9

/* Enter EL1 (from EL2: AArch64 EL1, timers, GIC system registers and
 * FP/SIMD left to EL1), SP_EL1 selected, every exception masked. */
el1_enter:
	msr daifset, #0xf
	mrs x9, CurrentEL
	cmp x9, #(2 << 2)
	b.ne 1f
	mov x9, #(1 << 31)              /* HCR_EL2.RW: EL1 is AArch64 */
	msr hcr_el2, x9
	mov x9, #3                      /* EL1 reaches the physical timer */
	msr cnthctl_el2, x9
	msr cntvoff_el2, xzr
	mrs x9, icc_sre_el2
	orr x9, x9, #0xf                /* SRE, and EL1 may use it */
	msr icc_sre_el2, x9
	mov x9, #0x33ff                 /* no FP/SIMD traps */
	msr cptr_el2, x9
	msr hstr_el2, xzr
	mrs x9, midr_el1
	msr vpidr_el2, x9
	mrs x9, mpidr_el1
	msr vmpidr_el2, x9
	msr vttbr_el2, xzr
	mov x9, #0x3c5                  /* EL1h, DAIF masked */
	msr spsr_el2, x9
	msr elr_el2, x30
	isb
	eret
1:	msr spsel, #1
	ret

/* Turn the MMU on: TTBR0 = the boot identity map, TTBR1 = x1. */
mmu_on:
	ldr x9, =MAIR
	msr mair_el1, x9
	ldr x9, =TCR
	mrs x10, id_aa64mmfr0_el1
	and x10, x10, #7                /* physical address size */
	mov x11, #5
	cmp x10, x11
	csel x10, x11, x10, hi          /* at most 48 bits */
	bfi x9, x10, #32, #3
	msr tcr_el1, x9
	adr_l x0, boot_l0_lo
	msr ttbr0_el1, x0
	msr ttbr1_el1, x1
	isb
	tlbi vmalle1
	dsb nsh
	ldr x9, =SCTLR
	mrs x10, id_aa64mmfr1_el1
	ubfx x10, x10, #20, #4          /* PAN implemented? */
	cbz x10, 1f
	and x9, x9, #~SCTLR_SPAN
	.inst 0xd500419f                /* msr pan, #1 */
1:	msr sctlr_el1, x9
	isb
	ic iallu
	dsb nsh
	isb
	ret
	.ltorg

	.text
primary_high:
	adr_l x9, boot_stack_top
	mov sp, x9
	mov x29, #0
	adr_l x9, arm64_vectors
	msr vbar_el1, x9
	isb
	adr_l x9, kernel_phys
	str x20, [x9]
	mov x0, x19
	bl arm64_boot
	b .

secondary_high:
	adr_l x9, ap_stack_top
	ldr x9, [x9]
	mov sp, x9
	mov x29, #0
	adr_l x9, arm64_vectors
	msr vbar_el1, x9
	isb
	mov x0, x19
	bl arm64_ap_entry
	b .

	.bss
	.balign 4096
	.globl boot_l0_lo, boot_l1_dm, boot_stack_guard
boot_l0_lo:	.space 4096
boot_l1_lo:	.space 4096
boot_l0_hi:	.space 4096
boot_l1_dm:	.space 4096
boot_l1_k:	.space 4096
boot_l2_k:	.space 4096
boot_stack_guard:
	.space 4096
	.space 16384
boot_stack_top:
