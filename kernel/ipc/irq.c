/*
 * irq.c - hardware for user-space drivers: the grants PID 1 gives a
 * process (LUX_NR_GRANT: I/O ports, interrupt lines, MMIO ranges, the boot
 * image, DMA), interrupt lines as descriptors (LUX_NR_IRQ) and what a
 * driver needs to know of them (LUX_NR_HWINFO). An interrupt
 * masks its line, counts and wakes the holder; a read of 8 bytes returns
 * the count and unmasks the line. One holder per line.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/proto.h>

#define IRQ_LINES 64

struct irq_line {
	bool held;
	uint64_t count; /* interrupts since the holder last read */
	struct waitq wq;
};

static struct irq_line lines[IRQ_LINES];
static struct spinlock irq_lock = SPINLOCK_INIT; /* guards lines[] */

bool proc_granted(struct proc *p, int kind, uint64_t base, uint64_t count)
{
	for (unsigned i = 0; i < p->ngrants; i++) {
		struct grant *g = &p->grants[i];
		if (g->kind == (unsigned)kind &&
		    (kind >= LUX_GRANT_BOOTDATA ||
		     (base >= g->base && count <= g->count &&
		      base - g->base <= g->count - count)))
			return true;
	}
	return false;
}

bool granted(int kind, uint64_t base, uint64_t count)
{
	mutex_lock(&proc_lock);
	bool r = proc_granted(current_proc(), kind, base, count);
	mutex_unlock(&proc_lock);
	return r;
}

/* Give process p the hardware; proc_lock held. */
static int grant_add(struct proc *p, int kind, uint64_t base, uint64_t count)
{
	struct list *it;
	int r;

	if (kind < LUX_GRANT_IOPORT || kind > LUX_GRANT_DMA)
		return -EINVAL;
	if (kind == LUX_GRANT_IRQ && (base >= IRQ_LINES || count > 1))
		return -EINVAL;
	count = kind == LUX_GRANT_IRQ ? 1 : count;
	if (proc_granted(p, kind, base, count))
		return 0;
	if (p->ngrants == GRANTS_MAX)
		return -ENOSPC;
	if (kind == LUX_GRANT_IOPORT) {
		if ((r = arch_io_grant(&p->io, base, count)) < 0)
			return r;
		spin_lock(&p->sig_lock); /* it guards the thread list */
		list_for_each(it, &p->threads) arch_use_io(
		    &container_of(it, struct thread, proc_link)->ctx, p->io);
		spin_unlock(&p->sig_lock);
	}
	p->grants[p->ngrants++] =
	    (struct grant){.kind = kind, .base = base, .count = count};
	return 0;
}

long sys_lux_grant(long pid, long kind, long base, long count)
{
	struct proc *p;
	long r;

	if (current_proc()->pid != 1)
		return -EPERM;
	mutex_lock(&proc_lock);
	p = proc_find(pid);
	r = p ? grant_add(p, kind, base, count) : -ESRCH;
	mutex_unlock(&proc_lock);
	return r;
}

bool irq_interrupt(unsigned irq)
{
	struct irq_line *l = &lines[irq % IRQ_LINES];
	bool held;

	spin_lock(&irq_lock);
	if ((held = l->held && irq < IRQ_LINES)) {
		l->count++;
		arch_irq_mask(irq, true);
	}
	spin_unlock(&irq_lock);
	if (held)
		waitq_wake_all(&l->wq);
	return held;
}

static bool fired(void *arg)
{
	return ((struct irq_line *)arg)->count != 0;
}

static long irq_read(struct file *f, char *ubuf, size_t n)
{
	unsigned irq = (uintptr_t)f->priv;
	struct irq_line *l = &lines[irq];
	uint64_t count;

	if (n < sizeof(count))
		return -EINVAL;
	for (;;) {
		spin_lock(&irq_lock);
		count = l->count;
		l->count = 0;
		if (count)
			arch_irq_mask(irq, false);
		spin_unlock(&irq_lock);
		if (count)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_intr(&l->wq, fired, l, 0) < 0)
			return -ERESTARTSYS;
	}
	if (copy_to_user(ubuf, &count, sizeof(count))) {
		__atomic_add_fetch(&l->count, count, __ATOMIC_RELAXED);
		return -EFAULT;
	}
	return sizeof(count);
}

static unsigned irq_poll(struct file *f)
{
	return lines[(uintptr_t)f->priv].count ? POLLIN | POLLRDNORM : 0;
}

static void irq_release(struct file *f)
{
	unsigned irq = (uintptr_t)f->priv;

	spin_lock(&irq_lock);
	arch_irq_mask(irq, true);
	arch_irq_claim(irq, false);
	lines[irq].held = false;
	spin_unlock(&irq_lock);
}

static const struct file_ops irq_ops = {
    .read = irq_read, .poll = irq_poll, .release = irq_release};

/* LUX_NR_HWINFO: an MSI message for a granted line, or where ECAM is. */
long sys_lux_hwinfo(long what, long arg, long uout)
{
	uint64_t out[2];
	long r = what == LUX_HW_ECAM               ? arch_pci_ecam(out)
		 : what != LUX_HW_MSI              ? -EINVAL
		 : !granted(LUX_GRANT_IRQ, arg, 1) ? -EPERM
						   : arch_msi(arg, out);

	if (!r && copy_to_user((void *)uout, out, sizeof(out)))
		r = -EFAULT;
	return r;
}

/* A descriptor for interrupt line irq, which the caller was granted:
 * -EPERM without the grant, -EBUSY when another holds it. */
long sys_lux_irq(long irq)
{
	struct irq_line *l = &lines[(unsigned long)irq % IRQ_LINES];
	struct file *f;
	int r;

	if (!granted(LUX_GRANT_IRQ, irq, 1))
		return -EPERM;
	spin_lock(&irq_lock);
	if (l->held) {
		r = -EBUSY;
	} else if ((r = arch_irq_claim(irq, true)) == 0) {
		waitq_init(&l->wq);
		l->held = true;
		l->count = 0;
	}
	spin_unlock(&irq_lock);
	if (r)
		return r;
	if (!(f = file_alloc(&irq_ops, (void *)(uintptr_t)irq, O_RDONLY))) {
		irq_release(&(struct file){.priv = (void *)(uintptr_t)irq});
		return -ENOMEM;
	}
	f->wq = &l->wq;
	f->mode = 0020600; /* a character device */
	if ((r = fd_install(f, 0, false)) < 0)
		file_put(f);
	return r;
}
