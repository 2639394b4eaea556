/*
 * sys_arch.c - lwIP's platform with NO_SYS=1 (lwipopts.h): a clock in
 * milliseconds for its timers, and random numbers. Everything else a
 * NO_SYS port would give (threads, semaphores, mailboxes, critical
 * sections) lwIP does not use: one thread runs it.
 */
#include "lwip/sys.h"
#include <stdarg.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

u32_t sys_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u32_t)(t.tv_sec * 1000 + t.tv_nsec / 1000000);
}

unsigned lwip_port_rand(void)
{
	struct timespec t;
	unsigned r;

	if (getrandom(&r, sizeof(r), 0) == sizeof(r))
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned)(t.tv_nsec * 2654435761u);
}

void lwip_port_diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lwip: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
