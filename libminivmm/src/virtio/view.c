/*
 * view.c - a read-only look at a virtio device and its split rings
 * (virtio_view.h), for the debugger's virtqueue pane.
 *
 * Nothing here pops, pushes or writes guest memory: it copies the
 * device's fields under its lock and reads the rings through the
 * memory accessor, so a debugger can show a queue in any state,
 * including the broken one that put the device in NEEDS_RESET.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "minivmm/memory.h"
#include "minivmm/virtio_view.h"

/* Ring layout (virtio 1.2, 2.7.6 and 2.7.8): flags, idx, ring[]. */
#define RING_FLAGS   0
#define RING_IDX     2
#define AVAIL_ENT(i) (4 + 2 * (uint64_t)(i))
#define USED_ENT(i)  (4 + 8 * (uint64_t)(i))

int mvm_virtio_status_str(uint8_t status, char *buf, size_t size)
{
	/* 2.1 "Device Status Field", in the order a driver sets them. */
	static const struct {
		uint8_t bit;
		const char *name;
	} bits[] = {
		{MVM_VIRTIO_S_ACKNOWLEDGE, "ACKNOWLEDGE"},
		{MVM_VIRTIO_S_DRIVER, "DRIVER"},
		{MVM_VIRTIO_S_FEATURES_OK, "FEATURES_OK"},
		{MVM_VIRTIO_S_DRIVER_OK, "DRIVER_OK"},
		{MVM_VIRTIO_S_NEEDS_RESET, "NEEDS_RESET"},
		{MVM_VIRTIO_S_FAILED, "FAILED"},
	};
	size_t pos = 0; /* characters wanted so far */

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (status & bits[i].bit)
			pos += (size_t)snprintf(pos < size ? buf + pos : NULL,
						pos < size ? size - pos : 0,
						"%s%s", pos ? " " : "",
						bits[i].name);
	if (pos == 0)
		pos = (size_t)snprintf(buf, size, "0");
	return (int)pos;
}

static int read16(struct mvm_virtio_dev *dev, uint64_t gpa, uint16_t *v)
{
	return mvm_memmap_read(dev->ctx.mem, gpa, v, sizeof(*v));
}

int mvm_virtq_view_get(struct mvm_virtio_dev *dev, unsigned q,
		       struct mvm_virtq_view *v)
{
	const struct mvm_virtq *vq;

	if (!dev || !v || q >= dev->ops->nqueues)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	pthread_mutex_lock(&dev->lock);
	vq = &dev->vq[q];
	v->q = q;
	v->size = vq->size;
	v->max_size = vq->max_size;
	v->ready = vq->ready;
	v->desc = vq->desc;
	v->avail = vq->avail;
	v->used = vq->used;
	v->last_avail = vq->last_avail;
	v->dev_used_idx = vq->used_idx;
	v->kicks = vq->kicks;
	v->pops = vq->pops;
	v->pushes = vq->pushes;
	v->irqs = vq->irqs;
	pthread_mutex_unlock(&dev->lock);
	if (v->size)
		v->rings_ok =
			read16(dev, v->avail + RING_FLAGS, &v->avail_flags) ==
				0 &&
			read16(dev, v->avail + RING_IDX, &v->avail_idx) == 0 &&
			read16(dev, v->used + RING_FLAGS, &v->used_flags) ==
				0 &&
			read16(dev, v->used + RING_IDX, &v->used_idx) == 0;
	return 0;
}

int mvm_virtq_view_desc(struct mvm_virtio_dev *dev,
			const struct mvm_virtq_view *v, unsigned i,
			struct mvm_vring_desc *d)
{
	if (!dev || !v || !d || i >= v->size)
		return -EINVAL;
	return mvm_memmap_read(dev->ctx.mem, v->desc + 16ULL * i, d,
			       sizeof(*d));
}

int mvm_virtq_view_avail(struct mvm_virtio_dev *dev,
			 const struct mvm_virtq_view *v, unsigned slot,
			 uint16_t *head)
{
	if (!dev || !v || !head || !v->size)
		return -EINVAL;
	return read16(dev, v->avail + AVAIL_ENT(slot % v->size), head);
}

int mvm_virtq_view_used(struct mvm_virtio_dev *dev,
			const struct mvm_virtq_view *v, unsigned slot,
			struct mvm_vring_used_elem *e)
{
	if (!dev || !v || !e || !v->size)
		return -EINVAL;
	return mvm_memmap_read(dev->ctx.mem, v->used + USED_ENT(slot % v->size),
			       e, sizeof(*e));
}
