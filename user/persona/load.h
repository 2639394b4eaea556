/*
 * load.h - what the personality's execve needs to start a program: the
 * check of an ELF64 executable (elf.c) and the Linux initial process stack
 * (ustack.c). Pure logic, host-tested (tests/unit/test_exec.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_PAGE       4096UL
#define LOAD_DOWN(x, a) ((x) & ~((a)-1))
#define LOAD_UP(x, a)   LOAD_DOWN((x) + (a)-1, a)
#define USER_LIMIT      (1ULL << 47) /* user addresses stay below */

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#define ELF_MAX_SEGMENTS 8
#define ELF_PROT_R       4 /* as in p_flags: PF_R */
#define ELF_PROT_W       2
#define ELF_PROT_X       1

struct elf_segment {
	uint64_t vaddr, memsz;   /* where it goes (before the load bias) */
	uint64_t offset, filesz; /* what of the file fills its start */
	unsigned prot;           /* ELF_PROT_* */
};

struct elf_info {
	uint64_t entry; /* before the load bias */
	uint64_t
	    phdr_vaddr; /* where the program headers are mapped (AT_PHDR) */
	unsigned phnum, phentsize;
	bool pie;                        /* ET_DYN: the loader picks a base */
	uint64_t interp_off, interp_len; /* PT_INTERP's path in the file */
	unsigned nseg;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
};

/*
 * elf.c: check that image, the first avail bytes of a file of size bytes
 * (the program headers must lie within them), is an ELF64 little-endian
 * executable (ET_EXEC, or ET_DYN: PIE, static-PIE or a shared object such
 * as a program interpreter) for e_machine `machine`, and describe its
 * PT_LOAD segments and where the first PT_INTERP's path lies in the file
 * (interp_len 0: none). Returns 0 or -ENOEXEC for anything malformed: bad
 * magic/class/machine, headers or segments outside the file, filesz >
 * memsz, overlapping or unsorted segments, addresses that overflow or
 * reach 2^47, too many segments, a PT_INTERP outside the file or whose
 * size is not 2 to 4096 bytes.
 */
int elf_parse(const void *image, size_t avail, size_t size, uint16_t machine,
	      struct elf_info *out);

/* Auxiliary-vector keys, as in Linux's <elf.h>. */
#define AT_NULL     0
#define AT_PHDR     3
#define AT_PHENT    4
#define AT_PHNUM    5
#define AT_PAGESZ   6
#define AT_BASE     7
#define AT_FLAGS    8
#define AT_ENTRY    9
#define AT_UID      11
#define AT_EUID     12
#define AT_GID      13
#define AT_EGID     14
#define AT_PLATFORM 15 /* its value: the string, copied by ustack_build */
#define AT_HWCAP    16
#define AT_CLKTCK   17
#define AT_SECURE   23
#define AT_RANDOM   25
#define AT_HWCAP2   26
#define AT_EXECFN   31

/*
 * ustack.c: lay out a new program's stack as Linux does, in buf,
 * which will be mapped so that its end is at user address top:
 *   strings (argv, envp, the exec file name) and 16 random bytes at the
 *   top; below them, 16-byte aligned: argc, argv[] NULL, envp[] NULL,
 *   auxv pairs ending with AT_NULL.
 * aux holds naux (key, value) pairs; an AT_PLATFORM's value is a string,
 * copied into the string area. AT_RANDOM and AT_EXECFN are added here
 * (pointing into the string area), AT_NULL too. Returns the initial
 * stack pointer (the address of argc, 16-byte aligned), or 0 if it does
 * not fit in bufsize (E2BIG).
 */
uintptr_t ustack_build(void *buf, size_t bufsize, uintptr_t top,
		       const char *const argv[], const char *const envp[],
		       const char *execfn, const uint64_t (*aux)[2],
		       unsigned naux, const uint8_t random[16]);
