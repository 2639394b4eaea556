/*
 * persona.c - the Linux personality: every Linux call the kernel does not
 * serve is reflected here, in the calling process, on the thread's own
 * personality stack (docs/decisions/0006-reflection.md). Freestanding:
 * no libc; native calls go through persona_syscall, which the platform's
 * file (e.g. x86_64.S) provides with the entry from the kernel.
 */
#include "persona.h"

/* Linux's struct utsname: six NUL-padded fields of 65 bytes. */
static const char utsname[6][65] = {"lux", "lux",           "0.1",
				    "#1",  PERSONA_MACHINE, "(none)"};

/* uname(buf): written through the kernel's checked copy, so a bad buffer
 * gives EFAULT, as the call always did. (Each call is a function of its
 * own, never inlined, so that traces name it.) */
static __attribute__((noinline)) long persona_uname(long ubuf)
{
	return copy_out(ubuf, utsname, sizeof(utsname));
}

/* clock_getres(clock, res): 1 ns for each of the clocks 0-7. */
static __attribute__((noinline)) long persona_clock_getres(long clock,
							   long ures)
{
	static const long res[2] = {0, 1};

	if (clock < 0 || clock > 7)
		return -EINVAL;
	return ures ? copy_out(ures, res, sizeof(res)) : 0;
}

/* Perform call nr with arguments a[0..5] for the program: its result or
 * -errno. Called by the platform's entry (x86_64.S: persona_entry). A call
 * the personality does not know is made again from here: the kernel does
 * not reflect a call from inside the personality, but fails it with
 * ENOSYS and names it on the console (once per boot). */
long persona_call(long nr, const long a[6], void *ctx)
{
	switch (nr) {
	case NR_uname:
		return persona_uname(a[0]);
	case NR_clock_getres:
		return persona_clock_getres(a[0], a[1]);
	case NR_execve:
		return persona_execve(a[0], a[1], a[2], ctx);
	case NR_execveat:
		return persona_execveat(a[0], a[1], a[2], a[3], a[4], ctx);
	case NR_brk:
		return persona_brk(a[0]);
	case LUX_NR_BOOTFILE: /* only the kernel reflects it: start init */
		return persona_boot(a[0], a[1], a[2], ctx);
	default:
		return persona_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
