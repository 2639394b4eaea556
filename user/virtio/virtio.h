/*
 * virtio.h - a virtio 1.x device as its drivers see it, shared by
 * user/virtio-blk/ (docs/storage.md) and user/virtio-net/
 * (docs/network.md): a transport (pci.c: virtio over PCI; virtio-mmio
 * would be a second file with the same functions), split virtqueues
 * (virtq.c) in DMA memory (dma.c).
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

/* A device found and mapped by its transport. */
struct virtio_dev {
	volatile uint8_t *common; /* the common configuration structure */
	volatile uint8_t *device; /* the device-specific configuration */
	volatile uint8_t *notify; /* the notification area */
	uint32_t notify_mult;     /* bytes between queues' notify addresses */
	int irq_fd;               /* readable when the device interrupted */
};

/* pci.c: the transport. vt_open maps the PCI function whose
 * configuration page is at physical ecam, finds its virtio structures,
 * enables it and routes its interrupts to line irq (MSI-X): 0 or -errno.
 * vt_queue tells the device where queue q lives (its size cut to *size,
 * which is set to the size used) and enables it, with the address to
 * write to notify it in *notify. */
int vt_open(struct virtio_dev *d, uint64_t ecam, int irq);
void vt_set_status(struct virtio_dev *d, uint8_t status);
uint8_t vt_status(struct virtio_dev *d);
uint64_t vt_features(struct virtio_dev *d);
void vt_set_features(struct virtio_dev *d, uint64_t features);
unsigned vt_queue_max(struct virtio_dev *d, unsigned q);
/* Route configuration-change interrupts to the queues' line too: 0, or
 * -EIO when the device refuses. */
int vt_config_irq(struct virtio_dev *d);
/* The configuration's generation: a multi-byte field read between two
 * equal generations is whole (virtio 1.x, 2.4.1). */
uint8_t vt_config_gen(struct virtio_dev *d);
int vt_queue(struct virtio_dev *d, unsigned q, unsigned size, uint64_t desc,
	     uint64_t avail, uint64_t used, volatile uint16_t **notify);

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
	volatile uint16_t *notify;
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
