/*
 * x86.h - named accessors for the x86_64 instructions the platform layer
 * uses. All inline assembly of the platform lives here.
 */
#pragma once

#include <stdint.h>

#define MSR_EFER    0xc0000080
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define EFER_NXE    (1u << 11)
#define CR4_PAE     (1u << 5)
#define CR4_PGE     (1u << 7)
#define CR4_LA57    (1u << 12)
#define CR4_SMEP    (1u << 20)
#define CR4_SMAP    (1u << 21)

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define CR_ACCESSORS(n)                                                        \
	static inline uint64_t read_cr##n(void)                                \
	{                                                                      \
		uint64_t v;                                                    \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));              \
		return v;                                                      \
	}                                                                      \
	static inline void write_cr##n(uint64_t v)                             \
	{                                                                      \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");     \
	}
CR_ACCESSORS(0)
CR_ACCESSORS(2)
CR_ACCESSORS(3)
CR_ACCESSORS(4)

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;
	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

/* Instructions that take no operand, or one descriptor-table pointer. */
#define PLAIN_INSN(insn)                                                       \
	static inline void insn(void)                                          \
	{                                                                      \
		__asm__ volatile(#insn : : : "memory");                        \
	}
#define TABLE_INSN(insn)                                                       \
	static inline void insn(const void *desc)                              \
	{                                                                      \
		__asm__ volatile(#insn " (%0)" : : "r"(desc) : "memory");      \
	}
PLAIN_INSN(cli)
PLAIN_INSN(sti)
TABLE_INSN(lgdt)
TABLE_INSN(lidt)

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

static inline uint64_t read_gs0(void)
{
	uint64_t v;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	return v;
}

/* Reload the code and data segment registers after a new GDT. */
static inline void reload_segments(uint16_t code, uint16_t data)
{
	__asm__ volatile("pushq %0\n"
			 "leaq 1f(%%rip), %%rax\n"
			 "pushq %%rax\n"
			 "lretq\n"
			 "1: mov %1, %%ds\n"
			 "mov %1, %%es\n"
			 "mov %1, %%ss\n"
			 :
			 : "r"((uint64_t)code), "r"((uint64_t)data)
			 : "rax", "memory");
}
