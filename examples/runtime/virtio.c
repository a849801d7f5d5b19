/*
 * virtio.c - the guest's virtio driver over virtio-mmio (virtio.h).
 *
 * Read it next to libminivmm/src/virtio/: every step here has its
 * counterpart there. The guest's memory is identity-mapped, so a
 * pointer is also the guest-physical address the device is given.
 * Lab 4 (task 5) cuts negotiate(), the driver's half of 3.1.1.
 */
#include "virtio.h"

#include "guest.h"

/* One page per queue: descriptors at 0, avail ring at 0x400, used ring
 * at 0x800 (2.7: 16-, 2- and 4-byte alignment; a page gives all). */
static uint8_t rings[MVM_VIRTIO_MMIO_SLOTS][VQ_MAX][4096]
	__attribute__((aligned(4096)));

static uint32_t rd(struct vdev *d, unsigned reg)
{
	return mmio_read32(d->base + reg);
}

static void wr(struct vdev *d, unsigned reg, uint32_t v)
{
	mmio_write32(d->base + reg, v);
}

/* 4.2.3.2: tell the device where queue q lives, then enable it. */
static int queue_setup(struct vdev *d, unsigned slot, unsigned q)
{
	uint8_t *page = rings[slot][q];
	struct vq *v = &d->q[q];
	uint64_t gpa = (uint64_t)(uintptr_t)page;

	wr(d, MVM_VMMIO_QUEUE_SEL, q);
	if (rd(d, MVM_VMMIO_QUEUE_NUM_MAX) < VQ_SIZE)
		return -1;
	memset(page, 0, sizeof(rings[0][0]));
	v->size = VQ_SIZE;
	v->desc = (struct mvm_vring_desc *)page;
	v->avail = (volatile uint16_t *)(page + 0x400);
	v->used = page + 0x800;
	v->avail_idx = v->used_seen = 0;
	wr(d, MVM_VMMIO_QUEUE_NUM, VQ_SIZE);
	wr(d, MVM_VMMIO_QUEUE_DESC_LO, (uint32_t)gpa);
	wr(d, MVM_VMMIO_QUEUE_DESC_HI, (uint32_t)(gpa >> 32));
	wr(d, MVM_VMMIO_QUEUE_DRV_LO, (uint32_t)(gpa + 0x400));
	wr(d, MVM_VMMIO_QUEUE_DRV_HI, (uint32_t)((gpa + 0x400) >> 32));
	wr(d, MVM_VMMIO_QUEUE_DEV_LO, (uint32_t)(gpa + 0x800));
	wr(d, MVM_VMMIO_QUEUE_DEV_HI, (uint32_t)((gpa + 0x800) >> 32));
	wr(d, MVM_VMMIO_QUEUE_READY, 1);
	return 0;
}

/* LAB(4, negotiate) BEGIN */
/* LAB4: guest feature negotiation - 3.1.1 steps 1-6. */
static int negotiate(struct vdev *d, uint64_t want)
{
	const uint32_t s = MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER;
	uint64_t offered;

	wr(d, MVM_VMMIO_STATUS, 0); /* reset */
	wr(d, MVM_VMMIO_STATUS, MVM_VIRTIO_S_ACKNOWLEDGE);
	wr(d, MVM_VMMIO_STATUS, s);
	wr(d, MVM_VMMIO_DEV_FEAT_SEL, 1);
	offered = (uint64_t)rd(d, MVM_VMMIO_DEV_FEATURES) << 32;
	wr(d, MVM_VMMIO_DEV_FEAT_SEL, 0);
	offered |= rd(d, MVM_VMMIO_DEV_FEATURES);
	d->features = offered & (want | MVM_VIRTIO_BIT(MVM_VIRTIO_F_VERSION_1));
	wr(d, MVM_VMMIO_DRV_FEAT_SEL, 0);
	wr(d, MVM_VMMIO_DRV_FEATURES, (uint32_t)d->features);
	wr(d, MVM_VMMIO_DRV_FEAT_SEL, 1);
	wr(d, MVM_VMMIO_DRV_FEATURES, (uint32_t)(d->features >> 32));
	wr(d, MVM_VMMIO_STATUS, s | MVM_VIRTIO_S_FEATURES_OK);
	/* The device may refuse: it then leaves FEATURES_OK clear. */
	if (!(rd(d, MVM_VMMIO_STATUS) & MVM_VIRTIO_S_FEATURES_OK)) {
		wr(d, MVM_VMMIO_STATUS, s | MVM_VIRTIO_S_FAILED);
		return -1;
	}
	return 0;
}
/* LAB(4) STUB
// Steps 1-6 of the driver's initialization (virtio 1.2, 3.1.1): reset,
// ACKNOWLEDGE, DRIVER, read the offered features, accept some, set
// FEATURES_OK and check the device kept it. 0, or -1.
static int negotiate(struct vdev *d, uint64_t want)
{
	// LAB 4 (task 5): write Status 0 (reset), then ACKNOWLEDGE, then
	// ACKNOWLEDGE | DRIVER. Read both 32-bit words of DeviceFeatures
	// (select each with DeviceFeaturesSel). Accept, in d->features,
	// the offered bits of want plus VIRTIO_F_VERSION_1 (never a bit
	// the device did not offer); write both words to DriverFeatures
	// (DriverFeaturesSel). Set FEATURES_OK and read Status back: a
	// device that refuses leaves it clear; then set FAILED, return -1.
	// Hint: rd() and wr() above; MVM_VMMIO_* in virtio_spec.h.
	(void)d;
	(void)want;
	return -1;
}
LAB(4) END */

int vdev_init(struct vdev *d, unsigned slot, uint32_t device_id, uint64_t want,
	      unsigned nq)
{
	d->base = MVM_VIRTIO_MMIO_ADDR(slot);
	d->pci.common = 0;
	d->nq = nq;
	if (rd(d, MVM_VMMIO_MAGIC) != MVM_VMMIO_MAGIC_VALUE ||
	    rd(d, MVM_VMMIO_VERSION) != 2 ||
	    rd(d, MVM_VMMIO_DEVICE_ID) != device_id || nq > VQ_MAX)
		return -1;
	if (negotiate(d, want))
		return -1;
	for (unsigned q = 0; q < nq; q++)
		if (queue_setup(d, slot, q))
			return -1;
	wr(d, MVM_VMMIO_STATUS,
	   rd(d, MVM_VMMIO_STATUS) | MVM_VIRTIO_S_DRIVER_OK);
	return 0;
}

uint32_t vdev_config32(struct vdev *d, unsigned off)
{
	if (d->pci.common)
		return mmio_read32(d->pci.device + off);
	return rd(d, MVM_VMMIO_CONFIG + off);
}

/* The kick: mmio's QueueNotify takes the queue index; virtio-pci's
 * notify address is the queue's own, written with its index (4.1.5.2). */
static void notify(struct vdev *d, unsigned q)
{
	if (d->pci.common)
		mmio_write16(d->pci.notify[q], (uint16_t)q);
	else
		wr(d, MVM_VMMIO_QUEUE_NOTIFY, q);
}

static uint32_t status(struct vdev *d)
{
	if (d->pci.common)
		return mmio_read8(d->pci.common + MVM_VPCI_STATUS);
	return rd(d, MVM_VMMIO_STATUS);
}

/* One request at a time, so the chain always starts at descriptor 0. */
long vq_submit(struct vdev *d, unsigned q, const struct vbuf *bufs, unsigned n)
{
	struct vq *v = &d->q[q];
	volatile uint16_t *used_idx = (volatile uint16_t *)(v->used + 2);
	const volatile struct mvm_vring_used_elem *e;

	for (unsigned i = 0; i < n; i++) {
		v->desc[i].addr = (uint64_t)(uintptr_t)bufs[i].addr;
		v->desc[i].len = bufs[i].len;
		v->desc[i].flags =
			(uint16_t)((i + 1 < n ? MVM_VIRTQ_DESC_F_NEXT : 0) |
				   (bufs[i].write ? MVM_VIRTQ_DESC_F_WRITE
						  : 0));
		v->desc[i].next = (uint16_t)(i + 1);
	}
	v->avail[2 + v->avail_idx % v->size] = 0; /* head */
	/* 2.7.13: the ring entry before the index that publishes it. x86
	 * keeps stores in order; the compiler must too. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	v->avail[1] = ++v->avail_idx;
	notify(d, q); /* the kick */
	for (unsigned spins = 0; *used_idx == v->used_seen; spins++)
		if ((spins & 1023) == 1023 &&
		    (status(d) & MVM_VIRTIO_S_NEEDS_RESET))
			return -1;
	e = (const volatile struct mvm_vring_used_elem *)(v->used + 4) +
	    v->used_seen % v->size;
	v->used_seen++;
	return e->len;
}

int vblk_rw(struct vdev *d, int write, uint64_t sector, void *buf,
	    uint32_t sectors)
{
	static struct mvm_virtio_blk_req hdr;
	static volatile uint8_t status;
	struct vbuf b[3] = {
		{&hdr, sizeof(hdr), 0},
		{buf, sectors * MVM_VIRTIO_BLK_SECTOR, !write},
		{(void *)&status, 1, 1},
	};

	hdr.type = write ? MVM_VIRTIO_BLK_T_OUT : MVM_VIRTIO_BLK_T_IN;
	hdr.reserved = 0;
	hdr.sector = sector;
	status = 0xff;
	if (vq_submit(d, 0, b, 3) < 0)
		return -1;
	return status;
}

void vcon_write(struct vdev *d, const char *s, uint32_t len)
{
	struct vbuf b = {(void *)s, len, 0};

	vq_submit(d, MVM_VIRTIO_CONSOLE_TX, &b, 1);
}

long vcon_read(struct vdev *d, void *buf, uint32_t len)
{
	struct vbuf b = {buf, len, 1};

	return vq_submit(d, MVM_VIRTIO_CONSOLE_RX, &b, 1);
}

long vrng_read(struct vdev *d, void *buf, uint32_t len)
{
	struct vbuf b = {buf, len, 1};

	return vq_submit(d, 0, &b, 1);
}
