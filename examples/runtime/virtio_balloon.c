/*
 * virtio_balloon.c - the guest's virtio-balloon driver
 * (virtio_balloon.h). Inflating and deflating are the same request on
 * two queues: a device-readable array of le32 PFNs (5.5.6). The pool is
 * identity-mapped, so a page's address shifted right by 12 is its PFN.
 */
#include "virtio_balloon.h"

#include "guest.h"

#define CFG_NUM_PAGES 0 /* le32, the device's (5.5.4) */
#define CFG_ACTUAL    4 /* le32, the driver's */

static uint32_t pfns[VBALLOON_BATCH];

/* A 32-bit write into the device configuration. */
static void config_write32(struct vballoon *b, unsigned off, uint32_t v)
{
	if (b->dev.pci.common)
		mmio_write32(b->dev.pci.device + off, v);
	else
		mmio_write32(b->dev.base + MVM_VMMIO_CONFIG + off, v);
}

int vballoon_init(struct vballoon *b, void *pool, uint32_t npages, int pci)
{
	int rc = pci ? vdev_init_pci(&b->dev, MVM_VIRTIO_ID_BALLOON, 0, 2)
		     : vdev_init(&b->dev, MVM_VIRTIO_SLOT_BALLOON,
				 MVM_VIRTIO_ID_BALLOON, 0, 2);

	b->pool = pool;
	b->npool = npages;
	b->actual = 0;
	if (rc == 0)
		config_write32(b, CFG_ACTUAL, 0);
	return rc;
}

uint32_t vballoon_target(struct vballoon *b)
{
	return vdev_config32(&b->dev, CFG_NUM_PAGES);
}

/* Send pool pages [first, first + n) on queue q. */
static void send(struct vballoon *b, unsigned q, uint32_t first, uint32_t n)
{
	struct vbuf buf = {pfns, 0, 0};

	for (uint32_t i = 0; i < n; i++)
		pfns[i] = (uint32_t)(((uintptr_t)b->pool +
				      (uint64_t)(first + i) * VBALLOON_PAGE) >>
				     12);
	buf.len = n * 4;
	vq_submit(&b->dev, q, &buf, 1);
}

uint32_t vballoon_resize(struct vballoon *b, uint32_t pages)
{
	if (pages > b->npool)
		pages = b->npool;
	while (b->actual < pages) { /* inflate: the next free pages */
		uint32_t n = pages - b->actual;

		n = n < VBALLOON_BATCH ? n : VBALLOON_BATCH;
		send(b, MVM_VIRTIO_BALLOON_INFLATE, b->actual, n);
		b->actual += n;
	}
	while (b->actual > pages) { /* deflate: the last ones taken */
		uint32_t n = b->actual - pages;

		n = n < VBALLOON_BATCH ? n : VBALLOON_BATCH;
		send(b, MVM_VIRTIO_BALLOON_DEFLATE, b->actual - n, n);
		b->actual -= n;
	}
	config_write32(b, CFG_ACTUAL, b->actual);
	return b->actual;
}
