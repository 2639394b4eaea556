/*
 * virtq.c - a split virtqueue (virtio 1.x, 2.6): the descriptor table,
 * the driver's available ring and the device's used ring, each in its own
 * page of DMA memory. The caller owns the descriptors: it fills a chain
 * and submits its head; the device gives heads back in the used ring.
 */
#include "virtio.h"
#include <errno.h>
#include <string.h>

int virtq_init(struct virtq *vq, struct virtio_dev *d, unsigned q, unsigned max,
	       void *va, const uint64_t pa[3])
{
	unsigned size = vt_queue_max(d, q);

	if (!size)
		return -ENODEV;
	while (size > max) /* a power of two, at most one page of each */
		size /= 2;
	memset(va, 0, 3 * 4096);
	vq->size = size;
	vq->index = q;
	vq->desc = va;
	vq->avail = (volatile uint16_t *)((char *)va + 4096);
	vq->used = (volatile uint32_t *)((char *)va + 8192);
	vq->avail_idx = vq->used_idx = 0;
	return vt_queue(d, vq, pa[0], pa[1], pa[2]);
}

void virtq_submit(struct virtq *vq, uint16_t head)
{
	vq->avail[2 + vq->avail_idx % vq->size] = head;
	/* the device must see the ring entry before the index */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->avail[1] = ++vq->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->notify32)
		*vq->notify32 = vq->index;
	else
		*vq->notify = vq->index;
}

int virtq_next_used(struct virtq *vq, uint32_t *len)
{
	uint16_t idx = ((volatile uint16_t *)vq->used)[1];
	int head;

	if (idx == vq->used_idx)
		return -1;
	/* read the entry only after the index that covers it */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	head = vq->used[1 + 2 * (vq->used_idx % vq->size)];
	if (len)
		*len = vq->used[2 + 2 * (vq->used_idx % vq->size)];
	vq->used_idx++;
	return head;
}
