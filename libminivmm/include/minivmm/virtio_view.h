/*
 * virtio_view.h - looking at a virtio device and its split virtqueues
 * from outside, for a debugger: read-only, never a pop or a push.
 *
 * What a student wants to see while the guest driver and the device
 * talk (virtio 1.2, 2.7):
 *
 *   the status byte         ACKNOWLEDGE ... DRIVER_OK, NEEDS_RESET (2.1),
 *                           read with mvm_virtio_get_status() (virtio.h)
 *   each queue's areas      where the driver put them, its size
 *   the indices             avail->idx (what the driver published),
 *                           the device's last_avail (what it has seen),
 *                           used->idx (what the device gave back)
 *   descriptors             addr, len, flags, next (2.7.5)
 *   ring entries            avail->ring[] heads, used->ring[] {id, len}
 *
 * The device's own fields are copied under dev->lock; the rings are
 * read from guest memory through the device's memory accessor, checked
 * like everything the guest wrote (a queue whose areas are not RAM
 * reads -EFAULT, nothing else). The guest or a device thread may move
 * the rings meanwhile: what a view shows is a snapshot, as exact as a
 * look at shared memory can be. Any thread may call these.
 */
#ifndef MINIVMM_VIRTIO_VIEW_H
#define MINIVMM_VIRTIO_VIEW_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

/* One queue as the device and the guest's rings show it now. */
struct mvm_virtq_view {
	unsigned q;	       /* queue index */
	uint16_t size;	       /* QueueNum (0: the driver did not set it) */
	uint16_t max_size;     /* QueueNumMax */
	int ready;	       /* QueueReady */
	uint64_t desc;	       /* Descriptor Area GPA */
	uint64_t avail;	       /* Driver Area GPA */
	uint64_t used;	       /* Device Area GPA */
	uint16_t last_avail;   /* the device's last-seen avail index */
	uint16_t dev_used_idx; /* the used->idx the device last wrote */
	int rings_ok;	       /* the four fields below could be read */
	uint16_t avail_flags;  /* avail->flags (NO_INTERRUPT) */
	uint16_t avail_idx;    /* avail->idx: chains the driver published */
	uint16_t used_flags;   /* used->flags (NO_NOTIFY) */
	uint16_t used_idx;     /* used->idx in guest memory */
	uint64_t kicks, pops, pushes, irqs; /* the device's counters */
};

/* Names of the bits set in a status byte (mvm_virtio_get_status()):
 * "ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK", "NEEDS_RESET", "0" for
 * none. What snprintf returns. */
int mvm_virtio_status_str(uint8_t status, char *buf, size_t size);

/* Queue q now: 0, or -EINVAL when the device has no queue q. A queue
 * without a size or with unreadable rings is still 0 (rings_ok says). */
int mvm_virtq_view_get(struct mvm_virtio_dev *dev, unsigned q,
		       struct mvm_virtq_view *v);
/* Descriptor i of the queue v describes: 0, -EINVAL (i >= size), or
 * -EFAULT (the table is not guest RAM). */
int mvm_virtq_view_desc(struct mvm_virtio_dev *dev,
			const struct mvm_virtq_view *v, unsigned i,
			struct mvm_vring_desc *d);
/* avail->ring[slot % size]: the head the driver put there. */
int mvm_virtq_view_avail(struct mvm_virtio_dev *dev,
			 const struct mvm_virtq_view *v, unsigned slot,
			 uint16_t *head);
/* used->ring[slot % size]: the chain head and the bytes written. */
int mvm_virtq_view_used(struct mvm_virtio_dev *dev,
			const struct mvm_virtq_view *v, unsigned slot,
			struct mvm_vring_used_elem *e);

#pragma GCC visibility pop

#endif
