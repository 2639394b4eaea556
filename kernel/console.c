/*
 * console.c - kprintf on the platform's early debug console. Lines from
 * different CPUs do not interleave: each call holds the console lock,
 * except on a CPU reporting a fault, which must not wait for a CPU it is
 * about to stop.
 */
#include "cpu.h"
#include "file.h"
#include "proc.h"
#include "sched.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
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

/* Raw bytes to the console (user programs' output until the tty server). */
void console_write(const char *s, size_t n)
{
	spin_lock(&console_lock);
	while (n--)
		arch_console_putc(*s++);
	spin_unlock(&console_lock);
}

/* Console input until the tty server exists: a small buffer that the
 * interrupt fills and readers drain, echoing what arrives (CR as NL). */
static char input[256];
static unsigned in_head, in_tail; /* guarded by console_lock */
static struct waitq input_wq;

void console_input(char c)
{
	c = c == '\r' ? '\n' : c;
	spin_lock(&console_lock);
	if (in_head - in_tail < sizeof(input))
		input[in_head++ % sizeof(input)] = c;
	arch_console_putc(c);
	spin_unlock(&console_lock);
	waitq_wake_all(&input_wq);
}

static bool input_ready(void *unused)
{
	(void)unused;
	return in_head != in_tail;
}

void console_init(void)
{
	waitq_init(&input_wq);
	arch_console_input_enable();
}

/* Up to n bytes already typed, waiting for at least one; or -EINTR. */
long console_read(char *buf, size_t n)
{
	size_t got = 0;
	int r = wait_intr(&input_wq, input_ready, NULL, 0);

	if (r < 0)
		return r;
	spin_lock(&console_lock);
	while (got < n && in_tail != in_head)
		buf[got++] = input[in_tail++ % sizeof(input)];
	spin_unlock(&console_lock);
	return got;
}

/* The console as a file: descriptors 0-2 of the first process. */
static long console_file_read(struct file *f, char *ubuf, size_t n)
{
	char buf[256];
	long got;

	(void)f;
	if (!n)
		return 0;
	if (!user_range(ubuf, n)) /* refused before waiting, as on Linux */
		return -EFAULT;
	if ((got = console_read(buf, MIN(n, sizeof(buf)))) < 0)
		return got == -EINTR ? -ERESTARTSYS : got;
	return copy_to_user(ubuf, buf, got) ? -EFAULT : got;
}

static long console_file_write(struct file *f, const char *ubuf, size_t n)
{
	char buf[256];
	size_t done = 0;

	(void)f;
	while (done < n) {
		size_t k = MIN(n - done, sizeof(buf));
		if (copy_from_user(buf, ubuf + done, k))
			return done ? (long)done : -EFAULT;
		console_write(buf, k);
		done += k;
	}
	return done;
}

static unsigned console_poll(struct file *f)
{
	(void)f;
	return POLLOUT | (input_ready(NULL) ? POLLIN : 0);
}

static const struct file_ops console_ops = {.read = console_file_read,
					    .write = console_file_write,
					    .poll = console_poll};

struct file *console_file(void)
{
	struct file *f = file_alloc(&console_ops, NULL, O_RDWR);

	if (f) {
		f->wq = &input_wq;
		f->mode = 0020620; /* S_IFCHR, like a terminal device */
	}
	return f;
}
