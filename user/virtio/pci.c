/*
 * pci.c - the virtio-over-PCI transport (virtio 1.x, 4.1): the function's
 * configuration page (ECAM, granted by lumen), its vendor capabilities
 * naming the structures in its memory BARs, and MSI-X for interrupts.
 * Everything it touches was granted by lumen: the configuration page,
 * the BARs (LUX_NR_MMIO), the interrupt line (LUX_NR_IRQ, LUX_NR_HWINFO).
 */
#include "virtio.h"
#include <errno.h>
#include <lux.h>

#define PCI_COMMAND      0x04
#define PCI_STATUS       0x06
#define PCI_BAR0         0x10
#define PCI_CAP_PTR      0x34
#define PCI_CAP_VENDOR   0x09
#define PCI_CAP_MSIX     0x11
#define CMD_MEMORY       (1u << 1)
#define CMD_BUS_MASTER   (1u << 2)
#define CMD_INTX_OFF     (1u << 10)
#define MSIX_ENABLE      (1u << 15)
#define VIRTIO_NO_VECTOR 0xffff

/* Offsets in the common configuration structure (virtio 1.x, 4.1.4.3). */
enum {
	C_DFSELECT = 0,
	C_DF = 4,
	C_GFSELECT = 8,
	C_GF = 12,
	C_MSIX_CONFIG = 16,
	C_STATUS = 20,
	C_CONFIG_GEN = 21,
	C_Q_SELECT = 22,
	C_Q_SIZE = 24,
	C_Q_MSIX = 26,
	C_Q_ENABLE = 28,
	C_Q_NOTIFY_OFF = 30,
	C_Q_DESC = 32,
	C_Q_DRIVER = 40,
	C_Q_DEVICE = 48,
};

#define R8(p, o)     (*(volatile uint8_t *)((p) + (o)))
#define R16(p, o)    (*(volatile uint16_t *)((p) + (o)))
#define R32(p, o)    (*(volatile uint32_t *)((p) + (o)))
#define W64(p, o, v) (R32(p, o) = (uint32_t)(v), R32(p, (o) + 4) = (v) >> 32)

/* The physical address of memory BAR bar (64-bit ones span two). */
static uint64_t bar_base(volatile uint8_t *cfg, unsigned bar)
{
	uint32_t lo = R32(cfg, PCI_BAR0 + 4 * bar);
	uint64_t base = lo & ~0xfULL;

	if ((lo & 0x6) == 0x4 && bar < 5)
		base |= (uint64_t)R32(cfg, PCI_BAR0 + 4 * bar + 4) << 32;
	return lo & 1 ? 0 : base; /* an I/O BAR is not memory */
}

/* Map the structure a vendor capability at cap names. */
static volatile uint8_t *map_cap(volatile uint8_t *cfg, unsigned cap)
{
	unsigned bar = R8(cfg, cap + 4);
	uint64_t base = bar < 6 ? bar_base(cfg, bar) : 0;

	return base ? vt_map(base + R32(cfg, cap + 8), R32(cfg, cap + 12))
		    : NULL;
}

/* Point MSI-X table entry 0 of the function at line irq and enable
 * MSI-X: 0 or -errno. */
static int msix_setup(volatile uint8_t *cfg, unsigned cap, int irq)
{
	uint32_t table = R32(cfg, cap + 4);
	uint64_t msg[2], base = bar_base(cfg, table & 7);
	volatile uint8_t *e;

	if (!base || lux_hwinfo(LUX_HW_MSI, irq, msg) < 0)
		return -EIO;
	if (!(e = vt_map(base + (table & ~7u), 16)))
		return -errno;
	W64(e, 0, msg[0]);
	R32(e, 8) = (uint32_t)msg[1];
	R32(e, 12) = 0; /* unmasked */
	R16(cfg, cap + 2) = MSIX_ENABLE;
	return 0;
}

/* Walk the capability list: map the virtio structures into d, set up
 * MSI-X. */
static int find_caps(struct virtio_dev *d, volatile uint8_t *cfg, int irq)
{
	int msix = -1;

	if (!(R16(cfg, PCI_STATUS) & (1u << 4)))
		return -ENODEV; /* no capability list */
	for (unsigned c = R8(cfg, PCI_CAP_PTR) & ~3u, n = 0; c && n < 48;
	     c = R8(cfg, c + 1) & ~3u, n++) {
		if (R8(cfg, c) == PCI_CAP_MSIX)
			msix = c;
		if (R8(cfg, c) != PCI_CAP_VENDOR)
			continue;
		switch (R8(cfg, c + 3)) {
		case 1:
			d->common = d->common ? d->common : map_cap(cfg, c);
			break;
		case 2:
			if (!d->notify && (d->notify = map_cap(cfg, c)))
				d->notify_mult = R32(cfg, c + 16);
			break;
		case 4:
			d->device = d->device ? d->device : map_cap(cfg, c);
			break;
		}
	}
	if (!d->common || !d->notify || !d->device || msix < 0)
		return -ENODEV;
	return msix_setup(cfg, msix, irq);
}

static const struct vt_ops pci_ops;

int vt_pci_open(struct virtio_dev *d, volatile uint8_t *cfg, int irq)
{
	int r;

	d->ops = &pci_ops;
	R16(cfg, PCI_COMMAND) = CMD_MEMORY | CMD_BUS_MASTER | CMD_INTX_OFF;
	if ((r = find_caps(d, cfg, irq)) < 0)
		return r;
	vt_set_status(d, 0); /* reset; done when it reads 0 */
	while (vt_status(d))
		;
	R16(d->common, C_MSIX_CONFIG) = VIRTIO_NO_VECTOR;
	return 0;
}

static void pci_set_status(struct virtio_dev *d, uint8_t status)
{
	R8(d->common, C_STATUS) = status;
}

static uint8_t pci_status(struct virtio_dev *d)
{
	return R8(d->common, C_STATUS);
}

static uint64_t pci_features(struct virtio_dev *d)
{
	uint64_t f;

	R32(d->common, C_DFSELECT) = 0;
	f = R32(d->common, C_DF);
	R32(d->common, C_DFSELECT) = 1;
	return f | (uint64_t)R32(d->common, C_DF) << 32;
}

static void pci_set_features(struct virtio_dev *d, uint64_t features)
{
	R32(d->common, C_GFSELECT) = 0;
	R32(d->common, C_GF) = (uint32_t)features;
	R32(d->common, C_GFSELECT) = 1;
	R32(d->common, C_GF) = features >> 32;
}

static unsigned pci_queue_max(struct virtio_dev *d, unsigned q)
{
	R16(d->common, C_Q_SELECT) = q;
	return R16(d->common, C_Q_SIZE);
}

static int pci_config_irq(struct virtio_dev *d)
{
	R16(d->common, C_MSIX_CONFIG) = 0; /* MSI-X table entry 0 */
	return R16(d->common, C_MSIX_CONFIG) == 0 ? 0 : -EIO;
}

static uint8_t pci_config_gen(struct virtio_dev *d)
{
	return R8(d->common, C_CONFIG_GEN);
}

static int pci_queue(struct virtio_dev *d, struct virtq *vq, uint64_t desc,
		     uint64_t avail, uint64_t used)
{
	R16(d->common, C_Q_SELECT) = vq->index;
	R16(d->common, C_Q_SIZE) = vq->size;
	R16(d->common, C_Q_MSIX) = 0; /* MSI-X table entry 0 */
	if (R16(d->common, C_Q_MSIX) != 0)
		return -EIO; /* the device could not allocate the vector */
	W64(d->common, C_Q_DESC, desc);
	W64(d->common, C_Q_DRIVER, avail);
	W64(d->common, C_Q_DEVICE, used);
	vq->notify =
	    (volatile uint16_t *)(d->notify + R16(d->common, C_Q_NOTIFY_OFF) *
						  d->notify_mult);
	vq->notify32 = NULL;
	R16(d->common, C_Q_ENABLE) = 1;
	return 0;
}

/* MSI-X messages need no acknowledgement. */
static void pci_irq_ack(struct virtio_dev *d)
{
	(void)d;
}

static const struct vt_ops pci_ops = {
    .set_status = pci_set_status,
    .status = pci_status,
    .features = pci_features,
    .set_features = pci_set_features,
    .queue_max = pci_queue_max,
    .config_irq = pci_config_irq,
    .config_gen = pci_config_gen,
    .queue = pci_queue,
    .irq_ack = pci_irq_ack,
};
