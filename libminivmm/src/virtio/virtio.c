/*
 * virtio.c - the transport-independent part of a virtio device: feature
 * negotiation, the status byte, queue configuration, notification and
 * interrupt status (virtio 1.2, chapters 2 and 3).
 *
 * The driver's side of initialisation (3.1.1) is a walk through the
 * status bits: reset, ACKNOWLEDGE, DRIVER, read the offered features,
 * write the accepted ones, FEATURES_OK (the device may refuse by leaving
 * it clear), set up the queues, DRIVER_OK. This file enforces the
 * device's half of that walk; the transports (virtio_mmio.c, and
 * virtio-pci) only translate register accesses into these calls.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "minivmm/memory.h"
#include "minivmm/virtio.h"
#include "minivmm/virtio_ring.h"

static int is_pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

int mvm_virtio_init(struct mvm_virtio_dev *dev,
		    const struct mvm_virtio_ops *ops, void *priv,
		    const struct mvm_dev_ctx *ctx)
{
	memset(dev, 0, sizeof(*dev));
	if (!ops || ops->nqueues > MVM_VIRTIO_MAX_QUEUES ||
	    ops->queue_max > MVM_VIRTQ_MAX_SIZE || !is_pow2(ops->queue_max))
		return -EINVAL;
	dev->ops = ops;
	dev->priv = priv;
	if (ctx)
		dev->ctx = *ctx;
	dev->offered = ops->features | MVM_VIRTIO_F_COMMON;
	for (unsigned q = 0; q < ops->nqueues; q++)
		dev->vq[q].max_size = ops->queue_max;
	pthread_mutex_init(&dev->lock, NULL);
	return 0;
}

void mvm_virtio_fini(struct mvm_virtio_dev *dev)
{
	if (dev && dev->ops)
		pthread_mutex_destroy(&dev->lock);
}

int mvm_virtio_has(const struct mvm_virtio_dev *dev, unsigned f)
{
	return f < 64 && (dev->accepted & (1ULL << f));
}

void mvm_virtio_interrupt(struct mvm_virtio_dev *dev, unsigned cause)
{
	dev->isr |= cause;
	if (dev->irq)
		dev->irq(dev->irq_ctx, dev, cause);
}

int mvm_virtio_fail(struct mvm_virtio_dev *dev, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	mvm_logf(dev->ctx.log, MVM_LOG_WARN, "%s: %s; device needs reset",
		 dev->ops->name, why);
	if (!(dev->status & MVM_VIRTIO_S_NEEDS_RESET)) {
		dev->status |= MVM_VIRTIO_S_NEEDS_RESET;
		/* 2.1.2: the device SHOULD send a configuration change
		 * notification after setting NEEDS_RESET. */
		mvm_virtio_interrupt(dev, MVM_VIRTIO_INT_CONFIG);
	}
	return -EIO;
}

/* --- features and status (2.1, 2.2, 3.1) --------------------------------- */

uint32_t mvm_virtio_get_features(struct mvm_virtio_dev *dev, unsigned sel)
{
	return sel < 2 ? (uint32_t)(dev->offered >> (32 * sel)) : 0;
}

void mvm_virtio_set_features(struct mvm_virtio_dev *dev, unsigned sel,
			     uint32_t val)
{
	uint64_t mask = 0xffffffffULL << (32 * (sel & 1));

	pthread_mutex_lock(&dev->lock);
	if (sel < 2 && !(dev->status & MVM_VIRTIO_S_FEATURES_OK))
		dev->accepted =
			(dev->accepted & ~mask) | ((uint64_t)val << (32 * sel));
	pthread_mutex_unlock(&dev->lock);
}

uint8_t mvm_virtio_get_status(struct mvm_virtio_dev *dev)
{
	uint8_t s;

	pthread_mutex_lock(&dev->lock);
	s = dev->status;
	pthread_mutex_unlock(&dev->lock);
	return s;
}

static void reset_locked(struct mvm_virtio_dev *dev)
{
	for (unsigned q = 0; q < dev->ops->nqueues; q++) {
		struct mvm_virtq *vq = &dev->vq[q];
		unsigned gen = vq->gen + 1;

		memset(vq, 0, sizeof(*vq));
		vq->max_size = dev->ops->queue_max;
		vq->gen = gen;
	}
	dev->accepted = 0;
	dev->status = 0;
	dev->isr = 0;
	if (dev->ops->reset)
		dev->ops->reset(dev);
}

void mvm_virtio_reset(struct mvm_virtio_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	reset_locked(dev);
	pthread_mutex_unlock(&dev->lock);
}

/* 2.7: the three areas of a ready queue must be aligned and lie wholly
 * in guest RAM, or nothing the driver puts there can be trusted. */
static int queue_areas_ok(struct mvm_virtio_dev *dev, unsigned q)
{
	const struct mvm_virtq *vq = &dev->vq[q];
	const struct mvm_memmap *mem = dev->ctx.mem;

	if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3)) {
		mvm_virtio_fail(dev,
				"queue %u: misaligned area (desc %#llx avail "
				"%#llx used %#llx; 2.7 wants 16/2/4)",
				q, (unsigned long long)vq->desc,
				(unsigned long long)vq->avail,
				(unsigned long long)vq->used);
		return 0;
	}
	if (!mem ||
	    !mvm_memmap_hva(mem, vq->desc, MVM_VRING_DESC_BYTES(vq->size)) ||
	    !mvm_memmap_hva(mem, vq->avail, MVM_VRING_AVAIL_BYTES(vq->size)) ||
	    !mvm_memmap_hva(mem, vq->used, MVM_VRING_USED_BYTES(vq->size))) {
		mvm_virtio_fail(dev, "queue %u: an area lies outside guest RAM",
				q);
		return 0;
	}
	return 1;
}

void mvm_virtio_set_status(struct mvm_virtio_dev *dev, uint8_t status)
{
	uint8_t added;

	pthread_mutex_lock(&dev->lock);
	if (status == 0) {
		reset_locked(dev);
		goto out;
	}
	added = status & ~dev->status;
	/* NEEDS_RESET is the device's bit: the driver cannot set it, and a
	 * write does not clear it (only a reset does). */
	status = (status & ~MVM_VIRTIO_S_NEEDS_RESET) |
		 (dev->status & MVM_VIRTIO_S_NEEDS_RESET);
	if (added & MVM_VIRTIO_S_FEATURES_OK) {
		/* 2.2.1, 3.1.1: refuse features we never offered; a modern
		 * device also insists on VERSION_1 (6.1). */
		if ((dev->accepted & ~dev->offered) ||
		    !mvm_virtio_has(dev, MVM_VIRTIO_F_VERSION_1)) {
			mvm_logf(dev->ctx.log, MVM_LOG_WARN,
				 "%s: refusing features %#llx (offered %#llx)",
				 dev->ops->name,
				 (unsigned long long)dev->accepted,
				 (unsigned long long)dev->offered);
			status &= ~MVM_VIRTIO_S_FEATURES_OK;
		}
	}
	dev->status = status;
	if (added & MVM_VIRTIO_S_DRIVER_OK) {
		for (unsigned q = 0; q < dev->ops->nqueues; q++)
			if (dev->vq[q].ready && !queue_areas_ok(dev, q))
				break;
	}
out:
	pthread_mutex_unlock(&dev->lock);
}

/* --- queues (2.6, 4.2.3.2) ---------------------------------------------- */

int mvm_virtio_queue_set(struct mvm_virtio_dev *dev, unsigned q,
			 enum mvm_virtq_field f, uint64_t val)
{
	struct mvm_virtq *vq;
	int rc = 0;

	if (q >= dev->ops->nqueues)
		return -EINVAL;
	vq = &dev->vq[q];
	pthread_mutex_lock(&dev->lock);
	if (f == MVM_VIRTQ_READY) {
		if (val && !vq->ready) {
			vq->ready = vq->size != 0;
			vq->last_avail = vq->used_idx = vq->signalled = 0;
		} else if (!val) {
			vq->ready = 0;
		}
		goto out;
	}
	if (vq->ready) {
		rc = -EBUSY; /* 4.2.2.3: not while the queue is live */
		goto out;
	}
	switch (f) {
	case MVM_VIRTQ_SIZE:
		if (val > vq->max_size || !is_pow2((unsigned)val))
			rc = -EINVAL;
		else
			vq->size = (uint16_t)val;
		break;
	case MVM_VIRTQ_DESC:
		vq->desc = val;
		break;
	case MVM_VIRTQ_AVAIL:
		vq->avail = val;
		break;
	case MVM_VIRTQ_USED:
		vq->used = val;
		break;
	default:
		rc = -EINVAL;
	}
out:
	pthread_mutex_unlock(&dev->lock);
	return rc;
}

uint64_t mvm_virtio_queue_get(struct mvm_virtio_dev *dev, unsigned q,
			      enum mvm_virtq_field f)
{
	const struct mvm_virtq *vq;
	uint64_t v = 0;

	if (q >= dev->ops->nqueues)
		return 0;
	vq = &dev->vq[q];
	pthread_mutex_lock(&dev->lock);
	switch (f) {
	case MVM_VIRTQ_SIZE:
		v = vq->size;
		break;
	case MVM_VIRTQ_READY:
		v = (uint64_t)vq->ready;
		break;
	case MVM_VIRTQ_DESC:
		v = vq->desc;
		break;
	case MVM_VIRTQ_AVAIL:
		v = vq->avail;
		break;
	case MVM_VIRTQ_USED:
		v = vq->used;
		break;
	case MVM_VIRTQ_MAX:
		v = vq->max_size;
		break;
	}
	pthread_mutex_unlock(&dev->lock);
	return v;
}

void mvm_virtio_notify(struct mvm_virtio_dev *dev, unsigned q)
{
	int go;

	if (q >= dev->ops->nqueues)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->vq[q].kicks++;
	go = (dev->status & MVM_VIRTIO_S_DRIVER_OK) &&
	     !(dev->status & MVM_VIRTIO_S_NEEDS_RESET) && dev->vq[q].ready;
	pthread_mutex_unlock(&dev->lock);
	if (go && dev->ops->notify)
		dev->ops->notify(dev, q);
}

/* --- interrupt status and configuration space (2.5, 4.2.2) -------------- */

uint32_t mvm_virtio_isr(struct mvm_virtio_dev *dev)
{
	uint32_t v;

	pthread_mutex_lock(&dev->lock);
	v = dev->isr;
	pthread_mutex_unlock(&dev->lock);
	return v;
}

uint32_t mvm_virtio_isr_ack(struct mvm_virtio_dev *dev, uint32_t bits)
{
	uint32_t v;

	pthread_mutex_lock(&dev->lock);
	dev->isr &= ~bits;
	v = dev->isr;
	pthread_mutex_unlock(&dev->lock);
	return v;
}

void mvm_virtio_config_read(struct mvm_virtio_dev *dev, uint32_t off,
			    void *data, uint32_t len)
{
	memset(data, 0, len);
	if (off > dev->ops->config_len || len > dev->ops->config_len - off ||
	    !dev->ops->config_read)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->ops->config_read(dev, off, data, len);
	pthread_mutex_unlock(&dev->lock);
}

void mvm_virtio_config_write(struct mvm_virtio_dev *dev, uint32_t off,
			     const void *data, uint32_t len)
{
	if (off > dev->ops->config_len || len > dev->ops->config_len - off ||
	    !dev->ops->config_write)
		return;
	pthread_mutex_lock(&dev->lock);
	dev->ops->config_write(dev, off, data, len);
	pthread_mutex_unlock(&dev->lock);
}

void mvm_virtio_config_changed(struct mvm_virtio_dev *dev)
{
	dev->config_gen++;
	mvm_virtio_interrupt(dev, MVM_VIRTIO_INT_CONFIG);
}
