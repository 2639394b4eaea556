/*
 * console.c - kprintf on the platform's early debug console. Lines from
 * different CPUs do not interleave: each call holds the console lock,
 * except on a CPU reporting a fault, which must not wait for a CPU it is
 * about to stop.
 */
#include "cpu.h"
#include "spinlock.h"

static struct spinlock console_lock = SPINLOCK_INIT;

int vkprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	bool lock = !panicking();

	if (lock)
		spin_lock(&console_lock);
	for (const char *p = buf; *p; p++)
		arch_console_putc(*p);
	if (lock)
		spin_unlock(&console_lock);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}
