/*
 * ioport.c - hardware for user-space drivers on x86_64: I/O port
 * permissions through the TSS bitmap, and ISA interrupt lines routed to
 * the portable irq_interrupt().
 *
 * Each CPU's TSS holds the bitmap of the process it runs: a process
 * without port grants runs with iomap_base past the TSS limit (every port
 * faults); one with grants has its bitmap copied in when it is switched
 * in, unless that CPU holds it already (the stamp says which).
 */
#include "mm.h"
#include "x86_64.h"
#include <lux/errno.h>
#include <lux/proto.h>

#define ISA_IRQS 16

struct arch_io {
	uint64_t stamp; /* new for every change: which bitmap a CPU holds */
	unsigned len;   /* bytes of bits that have a clear bit */
	uint8_t bits[IOMAP_BYTES];
};

static uint64_t io_stamps;

int arch_io_grant(struct arch_io **iop, uint64_t base, uint64_t count)
{
	struct arch_io *io = *iop;

	if (!count || base >= IOMAP_BYTES * 8 || count > IOMAP_BYTES * 8 - base)
		return -EINVAL;
	if (!io) {
		if (!(io = kmalloc(sizeof(*io))))
			return -ENOMEM;
		memset(io->bits, 0xff, sizeof(io->bits));
		io->len = 0;
		*iop = io;
	}
	for (uint64_t p = base; p < base + count; p++)
		io->bits[p / 8] &= ~(1u << (p % 8));
	io->len = MAX(io->len, (unsigned)((base + count + 7) / 8));
	io->stamp = __atomic_add_fetch(&io_stamps, 1, __ATOMIC_RELAXED);
	return 0;
}

void arch_io_free(struct arch_io *io)
{
	kfree(io);
}

/* Give this CPU's TSS the bitmap io (NULL: no ports). Interrupts masked. */
void io_load(struct arch_cpu *a, const struct arch_io *io)
{
	if (!io) {
		a->tss.iomap_base = sizeof(a->tss);
		return;
	}
	if (a->io_stamp != io->stamp) {
		memcpy(a->tss.iomap, io->bits, io->len);
		if (a->io_len > io->len) /* deny what the last one allowed */
			memset(a->tss.iomap + io->len, 0xff,
			       a->io_len - io->len);
		a->io_len = io->len;
		a->io_stamp = io->stamp;
	}
	a->tss.iomap_base = offsetof(struct tss, iomap);
}

void io_sync(struct arch_cpu *a, const struct arch_io *io)
{
	if (a->io_stamp != io->stamp ||
	    a->tss.iomap_base != offsetof(struct tss, iomap))
		io_load(a, io);
}

void arch_use_io(struct arch_context *ctx, struct arch_io *io)
{
	ctx->io = io;
	if (ctx == &current_thread()->ctx) {
		unsigned long flags = arch_irq_save();
		io_load(&this_cpu()->arch, io);
		arch_irq_restore(flags);
	}
}

/* Interrupt lines go to the boot CPU. */
int arch_irq_claim(unsigned irq, bool on)
{
	if (irq >= LUX_IRQ_MSI && irq < 64)
		return 0; /* a message: nothing to route */
	if (irq >= ISA_IRQS)
		return -EINVAL;
	if (on)
		ioapic_route(irq, VEC_IRQ_BASE + irq, cpus[0].arch.apic_id);
	else
		ioapic_mask(irq, true);
	return 0;
}

/* An MSI message: fixed delivery, edge, to the boot CPU (as the lines). */
int arch_msi(unsigned irq, uint64_t msg[2])
{
	if (irq < LUX_IRQ_MSI || irq >= 64)
		return -EINVAL;
	msg[0] = 0xfee00000 | cpus[0].arch.apic_id << 12;
	msg[1] = VEC_IRQ_BASE + irq;
	return 0;
}

void arch_irq_mask(unsigned irq, bool masked)
{
	if (irq < ISA_IRQS)
		ioapic_mask(irq, masked);
}
