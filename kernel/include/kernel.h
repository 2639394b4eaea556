/*
 * kernel.h - what every part of the portable kernel uses: fixed-size types,
 * small helpers, the kernel printf and panic.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a)  ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)    ALIGN_DOWN((x) + (a)-1, (a))
#define MIN(a, b)         ((a) < (b) ? (a) : (b))
#define MAX(a, b)         ((a) > (b) ? (a) : (b))
#define KiB               1024UL
#define MiB               (1024 * KiB)
#define GiB               (1024 * MiB)
#define NORETURN          __attribute__((noreturn))
#define NOINLINE          __attribute__((noinline))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Code and data used only while booting (seL4's BOOT_CODE). */
#define BOOT_CODE __attribute__((section(".text.boot"), cold))

/* lib/string.c */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strlcpy(char *dst, const char *src, size_t size);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *hay, const char *needle);

/*
 * lib/printf.c: formatting as in C's printf for %d %i %u %x %X %o %p %s %c
 * %%, with flags '-' '0', a width, a precision (also '*'), and length
 * modifiers hh h l ll z t. vsnprintf always terminates dst when size > 0 and
 * returns the length the whole output would have had.
 */
int vsnprintf(char *dst, size_t size, const char *fmt, va_list ap);
int snprintf(char *dst, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* kernel/console.c: printf to the kernel console, one line at a time. */
int kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
int vkprintf(const char *fmt, va_list ap);

/*
 * panic.c: report a broken invariant (reason, registers, backtrace), stop
 * every CPU. Never for bad input from user space.
 */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Claim the fault report for this CPU with interrupts masked: a second
 * CPU (or a nested fault) that calls it stops at once instead. */
void panic_enter(void);
bool panicking(void);
/* Print "backtrace:" then pc and the return address of each frame record
 * from fp on, with symbol names. */
void backtrace(uintptr_t pc, uintptr_t fp);
/* Stop every CPU and print that they stopped. */
NORETURN void halt_all(void);
/* ksyms.c: the function containing addr and the offset into it, or NULL. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

#define assert(c)                                                              \
	do {                                                                   \
		if (!(c))                                                      \
			panic("assertion failed: %s at %s:%d", #c, __FILE__,   \
			      __LINE__);                                       \
	} while (0)

/* The kernel command line: value of "key=value", or NULL; "key" alone. */
const char *cmdline_get(const char *key);
bool cmdline_has(const char *key);
