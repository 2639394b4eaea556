/*
 * copy.S - copies between kernel and user memory. The user side is
 * reached only by LDTR/STTR, unprivileged accesses checked as EL0's:
 * PAN can stay on throughout (no toggling), a user page the program
 * could not touch itself faults, and the same code runs on CPUs without
 * PAN (cortex-a72). A fault at an instruction between uaccess_begin and
 * uaccess_end that arm64_copy_fixup (user.c) cannot resolve resumes at
 * uaccess_fault.
 */
	.text

	/* int arch_copy_user(void *dst x0, const void *src x1, size_t n x2):
	 * the user range is the one below USER_TOP (bit 63 clear); 32 bytes
	 * a step, then 8, then 1. */
	.globl arch_copy_user, uaccess_begin, uaccess_end, uaccess_fault
arch_copy_user:
uaccess_begin:
	tbnz x0, #63, 5f
	/* to user memory */
1:	cmp x2, #32
	b.lo 2f
	ldp x3, x4, [x1], #16
	ldp x5, x6, [x1], #16
	sttr x3, [x0]
	sttr x4, [x0, #8]
	sttr x5, [x0, #16]
	sttr x6, [x0, #24]
	add x0, x0, #32
	sub x2, x2, #32
	b 1b
2:	cmp x2, #8
	b.lo 3f
	ldr x3, [x1], #8
	sttr x3, [x0]
	add x0, x0, #8
	sub x2, x2, #8
	b 2b
3:	cbz x2, 9f
	ldrb w3, [x1], #1
	sttrb w3, [x0]
	add x0, x0, #1
	sub x2, x2, #1
	b 3b
	/* from user memory */
5:	cmp x2, #32
	b.lo 6f
	ldtr x3, [x1]
	ldtr x4, [x1, #8]
	ldtr x5, [x1, #16]
	ldtr x6, [x1, #24]
	stp x3, x4, [x0], #16
	stp x5, x6, [x0], #16
	add x1, x1, #32
	sub x2, x2, #32
	b 5b
6:	cmp x2, #8
	b.lo 7f
	ldtr x3, [x1]
	str x3, [x0], #8
	add x1, x1, #8
	sub x2, x2, #8
	b 6b
7:	cbz x2, 9f
	ldtrb w3, [x1]
	strb w3, [x0], #1
	add x1, x1, #1
	sub x2, x2, #1
	b 7b
uaccess_end:
9:	mov x0, #0
	ret
uaccess_fault:
	mov x0, #-14 /* -EFAULT */
	ret
