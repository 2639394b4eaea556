/*
 * console.c - kprintf on the platform's early debug console. Lines from
 * different CPUs do not interleave: each call holds the console lock,
 * except on a CPU reporting a fault, which must not wait for a CPU it is
 * about to stop.
 *
 * Every line also goes into the kernel log, a ring. Once the driver of
 * the console in user space (the tty server) holds the log's reader
 * (LUX_NR_KLOG), kprintf and programs' writes to the kernel console (the
 * servers' output) leave the UART to it: the server prints them between
 * its own lines, so none cuts another. A panic still writes
 * the UART itself (docs/decisions/0003-kernel-log.md). The kernel reads
 * no input: the tty server drives the UART and takes its interrupt.
 */
#include "cpu.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "sched.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include "spinlock.h"

#define KLOG_SIZE 8192

static struct spinlock console_lock = SPINLOCK_INIT;
static char klog[KLOG_SIZE];
static unsigned klog_head, klog_pos; /* bytes logged, and read (lock) */
static struct file *klog_reader;     /* under console_lock */
static struct waitq klog_wq = {SPINLOCK_INIT, LIST_INIT(klog_wq.waiters), 0,
			       NULL};

/* Give the console back to the kernel: what the reader has not read goes
 * to the UART first. console_lock held, or panicking. */
static void klog_drain(void)
{
	klog_reader = NULL;
	while (klog_pos != klog_head)
		arch_console_putc(klog[klog_pos++ % KLOG_SIZE]);
}

/* Bytes to the console: into the log while it has a reader with room
 * (one that lags a whole ring behind gets them on the UART: cut, rather
 * than lost), else to the UART. Kernel lines and programs' writes to the
 * kernel console (servers' output) take the same way, so the tty server
 * prints both between its own lines and none cuts another. */
void console_write(const char *s, size_t len)
{
	bool lock = !panicking(), direct = !lock;

	if (lock) {
		spin_lock(&console_lock);
		direct = !klog_reader || klog_head - klog_pos + len > KLOG_SIZE;
		for (size_t i = 0; !direct && i < len; i++)
			klog[klog_head++ % KLOG_SIZE] = s[i];
	} else if (klog_reader) {
		klog_drain(); /* a panic: nobody will read the log now */
	}
	for (size_t i = 0; direct && i < len; i++)
		arch_console_putc(s[i]);
	if (lock)
		spin_unlock(&console_lock);
	if (!direct)
		waitq_wake_all(&klog_wq);
}

int vkprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	console_write(buf, MIN((unsigned)n, sizeof(buf) - 1));
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

/* The log's reader: the lines logged since it opened, never waiting
 * (poll says when there are some). console_lock held for the ring. */
static long klog_read(struct file *f, char *ubuf, size_t n)
{
	char buf[256];
	size_t k = 0;

	(void)f;
	spin_lock(&console_lock);
	while (k < MIN(n, sizeof(buf)) && klog_pos != klog_head)
		buf[k++] = klog[klog_pos++ % KLOG_SIZE];
	spin_unlock(&console_lock);
	if (!k)
		return n ? -EAGAIN : 0;
	return copy_to_user(ubuf, buf, k) ? -EFAULT : (long)k;
}

static unsigned klog_poll(struct file *f)
{
	(void)f;
	return klog_pos != klog_head ? POLLIN : 0;
}

/* The reader went (the server exited or died): what it had not read goes
 * to the UART, and so does every later line. */
static void klog_release(struct file *f)
{
	(void)f;
	spin_lock(&console_lock);
	klog_drain();
	spin_unlock(&console_lock);
}

static const struct file_ops klog_ops = {
    .read = klog_read, .poll = klog_poll, .release = klog_release};

/* LUX_NR_KLOG: a descriptor reading the kernel log from now on, for the
 * console's driver (root, one reader at a time: else EPERM, EBUSY). */
long sys_lux_klog(void)
{
	struct file *f;
	int fd;

	if (current_proc()->cred.uid.eff)
		return -EPERM;
	if (!(f = file_alloc(&klog_ops, NULL, O_RDONLY)))
		return -ENOMEM;
	f->wq = &klog_wq;
	f->mode = LUX_S_IFCHR | 0400;
	spin_lock(&console_lock);
	bool busy = klog_reader;
	if (!busy) {
		klog_reader = f;
		klog_pos = klog_head;
	}
	spin_unlock(&console_lock);
	if (busy) {
		kfree(f);
		return -EBUSY;
	}
	if ((fd = fd_install(f, 0, true)) < 0)
		file_put(f);
	return fd;
}

/* The console as a file: descriptors 0-2 of the first process. Output
 * only: input belongs to the tty server, which drives the UART. */
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
	return POLLOUT;
}

static const struct file_ops console_ops = {.write = console_file_write,
					    .poll = console_poll};

struct file *console_file(void)
{
	struct file *f = file_alloc(&console_ops, NULL, O_WRONLY);

	if (f)
		f->mode = LUX_S_IFCHR | 0620; /* like a terminal device */
	return f;
}
