/*
 * io.c - hardware for user-space drivers on arm64: no I/O ports (all
 * devices are memory-mapped), no MSI yet (it needs the GICv3 ITS, which
 * maps a device's id and event to an interrupt: not a message per line
 * as arch_msi gives), and PCI configuration space from the device tree.
 */
#include "arm64.h"
#include <lux/errno.h>

int arch_io_grant(struct arch_io **io, uint64_t base, uint64_t count)
{
	(void)io, (void)base, (void)count;
	return -EINVAL;
}

void arch_io_free(struct arch_io *io)
{
	(void)io;
}

void arch_use_io(struct arch_context *ctx, struct arch_io *io)
{
	(void)ctx, (void)io;
}

int arch_msi(unsigned irq, uint64_t msg[2])
{
	(void)irq, (void)msg;
	return -EINVAL;
}

/* The device tree's "pci-host-ecam-generic" node (start.c). */
int arch_pci_ecam(uint64_t out[2])
{
	if (!plat.ecam)
		return -ENODEV;
	out[0] = plat.ecam;
	out[1] = plat.ecam_last_bus;
	return 0;
}
