/*
 * mmio.c - the virtio-mmio transport, version 2 (virtio 1.x, 4.2): one
 * block of registers per device, its device-specific configuration at
 * 0x100, its own interrupt line (on QEMU's virt machine an SPI, level:
 * high while InterruptStatus is nonzero). Everything it touches was
 * granted by lumen: the page of the registers (LUX_NR_MMIO) and the line
 * (LUX_NR_IRQ). Registers are read and written 32 bits at a time, as the
 * specification asks (QEMU ignores other widths); the configuration in
 * any width.
 */
#include "virtio.h"
#include <errno.h>

/* Register offsets (virtio 1.x, 4.2.2). */
enum {
	M_VERSION = 0x004,
	M_DEV_FEATURES = 0x010,
	M_DEV_FEATURES_SEL = 0x014,
	M_DRV_FEATURES = 0x020,
	M_DRV_FEATURES_SEL = 0x024,
	M_QUEUE_SEL = 0x030,
	M_QUEUE_NUM_MAX = 0x034,
	M_QUEUE_NUM = 0x038,
	M_QUEUE_READY = 0x044,
	M_QUEUE_NOTIFY = 0x050,
	M_INT_STATUS = 0x060,
	M_INT_ACK = 0x064,
	M_STATUS = 0x070,
	M_QUEUE_DESC = 0x080,
	M_QUEUE_DRIVER = 0x090,
	M_QUEUE_DEVICE = 0x0a0,
	M_CONFIG_GEN = 0x0fc,
	M_CONFIG = 0x100,
};

#define R32(d, o)    (*(volatile uint32_t *)((d)->common + (o)))
#define W64(d, o, v) (R32(d, o) = (uint32_t)(v), R32(d, (o) + 4) = (v) >> 32)

static void mmio_set_status(struct virtio_dev *d, uint8_t status)
{
	R32(d, M_STATUS) = status;
}

static uint8_t mmio_status(struct virtio_dev *d)
{
	return (uint8_t)R32(d, M_STATUS);
}

static uint64_t mmio_features(struct virtio_dev *d)
{
	uint64_t f;

	R32(d, M_DEV_FEATURES_SEL) = 0;
	f = R32(d, M_DEV_FEATURES);
	R32(d, M_DEV_FEATURES_SEL) = 1;
	return f | (uint64_t)R32(d, M_DEV_FEATURES) << 32;
}

static void mmio_set_features(struct virtio_dev *d, uint64_t features)
{
	R32(d, M_DRV_FEATURES_SEL) = 0;
	R32(d, M_DRV_FEATURES) = (uint32_t)features;
	R32(d, M_DRV_FEATURES_SEL) = 1;
	R32(d, M_DRV_FEATURES) = features >> 32;
}

static unsigned mmio_queue_max(struct virtio_dev *d, unsigned q)
{
	R32(d, M_QUEUE_SEL) = q;
	return R32(d, M_QUEUE_READY) ? 0 : R32(d, M_QUEUE_NUM_MAX);
}

/* Configuration changes always share the device's one line. */
static int mmio_config_irq(struct virtio_dev *d)
{
	(void)d;
	return 0;
}

static uint8_t mmio_config_gen(struct virtio_dev *d)
{
	return (uint8_t)R32(d, M_CONFIG_GEN);
}

static int mmio_queue(struct virtio_dev *d, struct virtq *vq, uint64_t desc,
		      uint64_t avail, uint64_t used)
{
	R32(d, M_QUEUE_SEL) = vq->index;
	R32(d, M_QUEUE_NUM) = vq->size;
	W64(d, M_QUEUE_DESC, desc);
	W64(d, M_QUEUE_DRIVER, avail);
	W64(d, M_QUEUE_DEVICE, used);
	vq->notify = NULL;
	vq->notify32 = &R32(d, M_QUEUE_NOTIFY);
	R32(d, M_QUEUE_READY) = 1;
	return R32(d, M_QUEUE_READY) == 1 ? 0 : -EIO;
}

/* Acknowledge every cause InterruptStatus shows (used buffers, a
 * configuration change): the line goes low until the next one. */
static void mmio_irq_ack(struct virtio_dev *d)
{
	uint32_t causes = R32(d, M_INT_STATUS);

	if (causes)
		R32(d, M_INT_ACK) = causes;
}

static const struct vt_ops mmio_ops = {
    .set_status = mmio_set_status,
    .status = mmio_status,
    .features = mmio_features,
    .set_features = mmio_set_features,
    .queue_max = mmio_queue_max,
    .config_irq = mmio_config_irq,
    .config_gen = mmio_config_gen,
    .queue = mmio_queue,
    .irq_ack = mmio_irq_ack,
};

/* A version 2 device (the caller checked the magic) at regs: reset. */
int vt_mmio_open(struct virtio_dev *d, volatile uint8_t *regs, int irq)
{
	(void)irq; /* the device's own line: nothing to route */
	if (*(volatile uint32_t *)(regs + M_VERSION) != 2)
		return -ENODEV; /* legacy (1): QEMU's force-legacy=false */
	d->ops = &mmio_ops;
	d->common = regs;
	d->device = regs + M_CONFIG;
	vt_set_status(d, 0); /* reset; done when it reads 0 */
	while (vt_status(d))
		;
	return 0;
}
