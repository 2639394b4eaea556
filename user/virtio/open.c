/*
 * open.c - what both transports share: mapping device memory that lumen
 * granted, telling a virtio-mmio device from a PCI function, and the
 * interrupt line.
 */
#include "virtio.h"
#include <errno.h>
#include <lux.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MMIO_MAGIC 0x74726976 /* "virt": a virtio-mmio device's first word */

volatile uint8_t *vt_map(uint64_t phys, uint64_t len)
{
	uint64_t base = phys & ~4095ULL, end = (phys + len + 4095) & ~4095ULL;
	int fd = lux_mmio(base, end - base);
	void *p = MAP_FAILED;

	if (fd >= 0) {
		p = mmap(NULL, end - base, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		close(fd);
	}
	return p == MAP_FAILED ? NULL : (volatile uint8_t *)p + (phys - base);
}

int vt_open(struct virtio_dev *d, uint64_t phys, int irq)
{
	/* the page holding phys: a PCI function's configuration page, or
	 * virtio-mmio registers (0x200 bytes on QEMU's virt machine) */
	volatile uint8_t *regs = vt_map(phys, 4096 - (phys & 4095));

	memset(d, 0, sizeof(*d));
	if (!regs)
		return -errno;
	if ((d->irq_fd = lux_irq(irq)) < 0)
		return -errno;
	return *(volatile uint32_t *)regs == MMIO_MAGIC
		   ? vt_mmio_open(d, regs, irq)
		   : vt_pci_open(d, regs, irq);
}

long vt_interrupted(struct virtio_dev *d)
{
	uint64_t count;

	d->ops->irq_ack(d);
	return read(d->irq_fd, &count, sizeof(count));
}
