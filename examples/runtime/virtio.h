/*
 * virtio.h - a bare-metal virtio driver for 64-bit guests: the other
 * side of the protocol libminivmm's devices speak (virtio 1.2).
 *
 * It does what a real driver does, with none of the speed: one request
 * at a time, polled completion (no interrupts), queues of 8 entries in
 * static memory. That keeps it short enough to read in one sitting and
 * cheap under an emulated ring 0 (about 1 us per instruction):
 *
 *   vdev_init()    find the device in its virtio-mmio slot, negotiate
 *                  features, set up its queues (3.1.1, 4.2.3)
 *   vq_submit()    put one descriptor chain in a queue, kick, and poll
 *                  the used ring until the device gives it back (2.7)
 *   vblk_rw(), vcon_write(), vrng_read()   one request each
 *
 * Every device register access is one MMIO exit (or, for QueueNotify on
 * the fast path, an ioeventfd that KVM handles without leaving the
 * kernel); the descriptors and rings are ordinary guest memory.
 */
#ifndef MVM_GUEST_VIRTIO_H
#define MVM_GUEST_VIRTIO_H

#include <stdint.h>

#include "minivmm/layout.h"
#include "minivmm/virtio_spec.h"

#define VQ_SIZE 8 /* entries per queue (a power of 2, <= QueueNumMax) */
#define VQ_MAX	2 /* queues per device (console has two) */
#define VQ_SEGS 4 /* descriptors per request, at most */

struct vq {
	uint16_t size;		     /* VQ_SIZE */
	struct mvm_vring_desc *desc; /* descriptor table */
	volatile uint16_t *avail;    /* flags, idx, ring[size] */
	volatile uint8_t *used;	     /* flags, idx, ring[size] of {id, len} */
	uint16_t avail_idx;	     /* next avail->idx we publish */
	uint16_t used_seen;	     /* used->idx we have consumed up to */
};

/* Where a virtio-pci device's capabilities put its regions (4.1.4). */
struct vdev_pci {
	uint64_t common;	 /* common configuration; 0: not PCI */
	uint64_t isr;		 /* ISR status byte */
	uint64_t device;	 /* device-specific configuration */
	uint64_t notify[VQ_MAX]; /* each queue's notify address */
};

struct vdev {
	uint64_t base;	     /* virtio-mmio: the register block (slot) */
	struct vdev_pci pci; /* virtio-pci: the regions (virtio_pci.c) */
	uint64_t features;   /* what both sides agreed on */
	unsigned nq;	     /* queues set up */
	struct vq q[VQ_MAX];
};

/* One buffer of a request: device-readable unless `write`. */
struct vbuf {
	void *addr;
	uint32_t len;
	int write;
};

/* Set up the device in slot (MVM_VIRTIO_SLOT_*) if it is device_id,
 * accepting the offered bits of `want` (VERSION_1 is always asked for).
 * 0, or -1 (no such device, or it refused FEATURES_OK). */
int vdev_init(struct vdev *d, unsigned slot, uint32_t device_id, uint64_t want,
	      unsigned nq);

/* The same over virtio-pci (virtio_pci.c; link it too): the first
 * device_id function found by PCI enumeration (vendor 0x1AF4, device
 * 0x1040 + device_id, 4.1.2), its regions from its capabilities. */
int vdev_init_pci(struct vdev *d, uint32_t device_id, uint64_t want,
		  unsigned nq);

/* Submit bufs[0..n) as one chain on queue q and wait for it: returns the
 * bytes the device wrote, or -1 if it set NEEDS_RESET instead. */
long vq_submit(struct vdev *d, unsigned q, const struct vbuf *bufs, unsigned n);

/* Device-specific configuration, 32 bits at off (virtio-mmio: at 0x100
 * in the block, 4.2.2; virtio-pci: the device region, 4.1.4.6). */
uint32_t vdev_config32(struct vdev *d, unsigned off);

/* virtio-blk: read (write = 0) or write `sectors` 512-byte sectors at
 * `sector`; returns the status byte (MVM_VIRTIO_BLK_S_*), or -1. */
int vblk_rw(struct vdev *d, int write, uint64_t sector, void *buf,
	    uint32_t sectors);
/* virtio-console: send len bytes on port 0. */
void vcon_write(struct vdev *d, const char *s, uint32_t len);
/* virtio-console: offer buf to port 0's receiveq and wait until the
 * host puts input in it; returns the bytes received (at least 1). */
long vcon_read(struct vdev *d, void *buf, uint32_t len);
/* virtio-rng: fill buf; returns the bytes the device gave. */
long vrng_read(struct vdev *d, void *buf, uint32_t len);

#endif
