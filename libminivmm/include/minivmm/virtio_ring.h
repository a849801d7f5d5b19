/*
 * virtio_ring.h - the device side of a split virtqueue (virtio 1.2, 2.7).
 *
 * A split virtqueue is three areas of guest memory the driver allocates:
 *
 *   Descriptor Table  size x { addr, len, flags, next }     (2.7.5)
 *   Available Ring    flags, idx, ring[size], used_event    (2.7.6)
 *   Used Ring         flags, idx, ring[size] of {id, len},  (2.7.8)
 *                     avail_event
 *
 * The driver puts the head of a descriptor chain into the available
 * ring and bumps avail->idx; the device pops it, walks the chain (which
 * may go through one indirect table, 2.7.5.3), does the work, puts the
 * head into the used ring with the bytes it wrote, and bumps used->idx.
 *
 * Every index and address in those areas comes from the guest and is
 * checked here before use (STYLE.md 5). A broken ring is not a VMM bug
 * to crash on, nor a loop to spin in: mvm_virtq_pop() names what the
 * driver did wrong in the log and puts the device in NEEDS_RESET
 * (mvm_virtio_fail(), 2.1.2). Guest memory is reached only through the
 * machine's accessor (memory.h); what the device writes is dirty-logged.
 */
#ifndef MINIVMM_VIRTIO_RING_H
#define MINIVMM_VIRTIO_RING_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "virtio.h"

/* One buffer of a chain. */
struct mvm_virtq_seg {
	uint64_t addr; /* GPA, checked to lie in guest RAM */
	uint32_t len;  /* bytes */
	int writable;  /* device-writable (VIRTQ_DESC_F_WRITE) */
};

/* A popped chain: the readable buffers first, then the writable ones
 * (2.7.4.2 requires that order; pop checks it). */
struct mvm_virtq_chain {
	unsigned q;	  /* queue it came from */
	unsigned gen;	  /* the queue's reset generation at pop time */
	uint16_t head;	  /* descriptor index to hand back in used */
	unsigned n;	  /* segments */
	unsigned n_out;	  /* of which device-readable (the first n_out) */
	uint64_t out_len; /* bytes readable */
	uint64_t in_len;  /* bytes writable */
	struct mvm_virtq_seg seg[MVM_VIRTQ_MAX_SIZE];
};

/*
 * Pop the next available chain of queue q into *c. Returns 1 (a chain),
 * 0 (nothing available; with EVENT_IDX, avail_event now asks for a kick
 * at the next one), or -EIO: the driver broke the ring, the log says
 * how, and the device is in NEEDS_RESET (also when it already was, or
 * the queue is not ready: -EIO without a new message).
 */
int mvm_virtq_pop(struct mvm_virtio_dev *dev, unsigned q,
		  struct mvm_virtq_chain *c);

/*
 * Give chain c back with `written` bytes in its writable part, and
 * interrupt the driver unless it suppressed that (avail->flags, or
 * used_event with EVENT_IDX; 2.7.7, 2.7.10). Returns 0, or -ESTALE when
 * the device was reset since the pop (nothing is written), or -EIO.
 */
int mvm_virtq_push(struct mvm_virtio_dev *dev, const struct mvm_virtq_chain *c,
		   uint32_t written);

/* Copy up to len bytes starting `off` bytes into the chain's readable
 * part into buf (gather), or from buf into its writable part (scatter).
 * Returns the bytes copied (less when the chain is shorter) or -EFAULT. */
long mvm_virtq_read(struct mvm_virtio_dev *dev, const struct mvm_virtq_chain *c,
		    uint64_t off, void *buf, size_t len);
long mvm_virtq_write(struct mvm_virtio_dev *dev,
		     const struct mvm_virtq_chain *c, uint64_t off,
		     const void *buf, size_t len);

#pragma GCC visibility pop

#endif
