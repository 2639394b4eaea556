/*
 * virtio.h - a virtio 1.x device as its drivers see it, shared by
 * user/virtio-blk/ (docs/storage.md) and user/virtio-net/
 * (docs/network.md): a transport (pci.c: virtio over PCI, mmio.c:
 * virtio-mmio version 2; open.c picks the one the device speaks), split
 * virtqueues (virtq.c) in DMA memory (dma.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Device status bits (virtio 1.x, 2.1). */
#define VIRTIO_ACKNOWLEDGE 1
#define VIRTIO_DRIVER      2
#define VIRTIO_DRIVER_OK   4
#define VIRTIO_FEATURES_OK 8
#define VIRTIO_FAILED      128

#define VIRTIO_F_VERSION_1 32 /* feature bit: a virtio 1.x device */

struct virtio_dev;
struct virtq;

/* What a transport does (pci.c, mmio.c); the vt_* calls below. */
struct vt_ops {
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint8_t (*status)(struct virtio_dev *d);
	uint64_t (*features)(struct virtio_dev *d);
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	unsigned (*queue_max)(struct virtio_dev *d, unsigned q);
	int (*config_irq)(struct virtio_dev *d);
	uint8_t (*config_gen)(struct virtio_dev *d);
	int (*queue)(struct virtio_dev *d, struct virtq *vq, uint64_t desc,
		     uint64_t avail, uint64_t used);
	void (*irq_ack)(struct virtio_dev *d);
};

/* A device found and mapped by its transport. */
struct virtio_dev {
	const struct vt_ops *ops;
	volatile uint8_t *common; /* PCI: the common configuration structure;
				   * MMIO: the device's registers */
	volatile uint8_t *device; /* the device-specific configuration */
	volatile uint8_t *notify; /* PCI: the notification area */
	uint32_t notify_mult;     /* bytes between queues' notify addresses */
	int irq_fd;               /* readable when the device interrupted */
};

/* open.c: vt_open maps the device at physical address phys, granted by
 * lumen: a virtio-mmio device's registers (version 2), or else the
 * configuration page of a PCI function (ECAM). It resets the device and
 * routes its interrupts to line irq (MSI-X on PCI, the device's own line
 * on MMIO): 0 or -errno. */
int vt_open(struct virtio_dev *d, uint64_t phys, int irq);
/* Map len bytes of device memory at phys (any alignment): the address of
 * phys, or NULL (errno set). */
volatile uint8_t *vt_map(uint64_t phys, uint64_t len);
/* The transports: d's registers at regs (mapped), interrupts to irq. */
int vt_pci_open(struct virtio_dev *d, volatile uint8_t *cfg, int irq);
int vt_mmio_open(struct virtio_dev *d, volatile uint8_t *regs, int irq);

static inline void vt_set_status(struct virtio_dev *d, uint8_t status)
{
	d->ops->set_status(d, status);
}
static inline uint8_t vt_status(struct virtio_dev *d)
{
	return d->ops->status(d);
}
static inline uint64_t vt_features(struct virtio_dev *d)
{
	return d->ops->features(d);
}
static inline void vt_set_features(struct virtio_dev *d, uint64_t features)
{
	d->ops->set_features(d, features);
}
/* The most entries queue q can have (0: no such queue). */
static inline unsigned vt_queue_max(struct virtio_dev *d, unsigned q)
{
	return d->ops->queue_max(d, q);
}
/* Route configuration-change interrupts to the queues' line too: 0, or
 * -EIO when the device refuses. */
static inline int vt_config_irq(struct virtio_dev *d)
{
	return d->ops->config_irq(d);
}
/* The configuration's generation: a multi-byte field read between two
 * equal generations is whole (virtio 1.x, 2.4.1). */
static inline uint8_t vt_config_gen(struct virtio_dev *d)
{
	return d->ops->config_gen(d);
}
/* Tell the device where queue vq->index lives (vq->size entries: desc,
 * avail, used) and enable it; set vq's notify address: 0 or -errno. */
static inline int vt_queue(struct virtio_dev *d, struct virtq *vq,
			   uint64_t desc, uint64_t avail, uint64_t used)
{
	return d->ops->queue(d, vq, desc, avail, used);
}
/* open.c: d's line fired (irq_fd is readable): acknowledge the device's
 * interrupt, then re-arm the line (read irq_fd); the caller then looks at
 * the queues and the configuration. read's result (-1, errno set). */
long vt_interrupted(struct virtio_dev *d);

/* dma.c: size bytes (whole pages) that a device can reach: the mapping,
 * with the physical address of each page in pa[] (malloc'd): NULL on
 * failure. */
void *dma_alloc(size_t size, uint64_t **pa);

/* virtq.c: one split virtqueue. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2 /* the device writes this buffer */

struct virtq {
	unsigned size;
	struct virtq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size] */
	volatile uint32_t *used;  /* flags|idx, then {id, len}[size] */
	/* Where to write the queue's index to notify the device: 16 bits
	 * (PCI) or, when notify32 is set, 32 bits (MMIO's QueueNotify). */
	volatile uint16_t *notify;
	volatile uint32_t *notify32;
	uint16_t avail_idx, used_idx;
	unsigned index; /* the queue's number in its device */
};
/* Set up queue q of d with at most max entries in three pages of DMA
 * memory (va, with their physical addresses pa): 0 or -errno. */
int virtq_init(struct virtq *vq, struct virtio_dev *d, unsigned q, unsigned max,
	       void *va, const uint64_t pa[3]);
/* Make the chain starting at descriptor head available, tell the device. */
void virtq_submit(struct virtq *vq, uint16_t head);
/* The head of the next chain the device is done with, or -1; the bytes
 * it wrote into the chain in *len (len may be NULL). */
int virtq_next_used(struct virtq *vq, uint32_t *len);
