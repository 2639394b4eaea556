/*
 * persona.h - what every part of the Linux personality shares: the native
 * system call, the checked copies to and from the program's memory, and
 * the few string routines a freestanding program needs (lib.c).
 */
#pragma once

#include <lux/errno.h>
#include <lux/proto.h>
#include <stddef.h>
#include <stdint.h>
#include <syscall_nr.h>

/* The platform's system-call instruction (e.g. x86_64.S): the raw result,
 * -errno on failure. A Linux number the kernel does not serve fails with
 * ENOSYS here: the kernel never reflects a call made by the personality. */
long persona_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
		     long a5);

#define native0(nr)       persona_syscall(nr, 0, 0, 0, 0, 0, 0)
#define native1(nr, a)    persona_syscall(nr, (long)(a), 0, 0, 0, 0, 0)
#define native2(nr, a, b) persona_syscall(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define native3(nr, a, b, c)                                                   \
	persona_syscall(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define native4(nr, a, b, c, d)                                                \
	persona_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* The program's memory is touched only through the kernel's checked copy
 * (LUX_NR_UCOPY), so a bad pointer gives EFAULT, never a fault here.
 * copy_in: n bytes at program address usrc into dst; copy_out: n bytes of
 * src to program address udst. 0 or -EFAULT. */
int copy_in(void *dst, long usrc, size_t n);
int copy_out(long udst, const void *src, size_t n);
/* The NUL-terminated string at usrc into dst (size bytes): its length,
 * -EFAULT, or -ENAMETOOLONG when it does not fit with its NUL. */
long str_in(char *dst, long usrc, size_t size);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Copy src into dst of size bytes, always NUL-terminated: strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/* exec.c: execve, execveat, brk, and starting the first process. ctx is
 * the program's saved context (persona_call's), which a successful exec
 * rewrites to start the new program. */
long persona_execve(long upath, long uargv, long uenvp, void *ctx);
long persona_execveat(long dirfd, long upath, long uargv, long uenvp,
		      long flags, void *ctx);
long persona_brk(long brk);
long persona_boot(long uwords, long nwords, long size, void *ctx);
