/*
 * virtio_balloon.h - the guest's virtio-balloon driver (virtio 1.2, 5.5):
 * memory overcommit seen from inside.
 *
 * The host asks, through the device's configuration (num_pages), for a
 * number of 4 KiB pages; the driver takes that many from its own free
 * memory, so nothing in the guest uses them, and sends their page frame
 * numbers on the inflateq. The host then frees the memory behind them.
 * Deflating sends PFNs on the deflateq and the guest may use the pages
 * again (they read zero: the host gave back fresh pages). The driver
 * reports how many pages it holds in the `actual` field (5.5.6.1).
 *
 * Here the "free memory" is a pool the caller owns (a page-aligned
 * array), and the balloon is the pool's first `actual` pages.
 */
#ifndef MVM_GUEST_VIRTIO_BALLOON_H
#define MVM_GUEST_VIRTIO_BALLOON_H

#include "virtio.h"

#define VBALLOON_PAGE  4096 /* a PFN counts 4 KiB pages (5.5.6) */
#define VBALLOON_BATCH 256  /* PFNs per chain: one 1 KiB buffer */

struct vballoon {
	struct vdev dev; /* inflateq 0, deflateq 1 */
	uint8_t *pool;	 /* the pages the driver may give away */
	uint32_t npool;	 /* how many */
	uint32_t actual; /* pool[0 .. actual) are in the balloon */
};

/* Find the balloon in its virtio-mmio slot (pci: over virtio-pci) and
 * set it up with the pool. 0 or -1. */
int vballoon_init(struct vballoon *b, void *pool, uint32_t npages, int pci);

/* The host's wish: config num_pages (5.5.4). */
uint32_t vballoon_target(struct vballoon *b);

/* Inflate or deflate until the balloon holds `pages` (clamped to the
 * pool); updates `actual` in the config. Returns the pages it holds. */
uint32_t vballoon_resize(struct vballoon *b, uint32_t pages);

#endif
