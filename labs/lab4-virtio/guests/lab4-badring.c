/*
 * lab4-badring.c - a driver that breaks its virtqueue on purpose, five
 * ways, to see the device refuse each (Lab 4, task 1; virtio 1.2, 2.7).
 *
 * For each case k the guest sets the disk up again over virtio-mmio
 * (vdev_init() resets it, which clears the NEEDS_RESET of the case
 * before), writes one broken request into queue 0 by hand, kicks, and
 * reads Status until the device sets NEEDS_RESET or SPINS reads pass:
 * SYNC {10 + k, Status, the request's status byte}. The status byte is
 * device-readable in case 3, so the device must leave it at 0xff. Then
 * one correct read of sector 0 after a last reset: SYNC {20, its blk
 * status}: a device that refused a ring still works after a reset.
 *
 *   0  descriptor loop: 0 -> 1 -> 0
 *   1  chain longer than the queue: 1 descriptor + an indirect table of
 *      VQ_SIZE (each table loop-free, the chain VQ_SIZE + 1 long)
 *   2  a buffer outside guest RAM (GPA 1 TiB)
 *   3  the status byte device-readable, after a device-writable buffer:
 *      the device would have to write into a buffer it may only read
 *   4  avail->idx jumped by more than the queue size
 */
#include "guest.h"
#include "virtio.h"

#define SPINS	 20000
#define FAR_AWAY (1ULL << 40) /* no RAM there */

static struct vdev blk;
static struct mvm_virtio_blk_req hdr;
static uint8_t buf[512] __attribute__((aligned(16)));
static volatile uint8_t status;
static struct mvm_vring_desc table[VQ_SIZE] __attribute__((aligned(16)));

static void desc(struct mvm_vring_desc *d, const volatile void *addr,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	d->addr = (uint64_t)(uintptr_t)addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Put the broken request of case k into queue 0 and publish it. */
static void break_ring(unsigned k)
{
	struct vq *q = &blk.q[0];
	const uint16_t nx = MVM_VIRTQ_DESC_F_NEXT, wr = MVM_VIRTQ_DESC_F_WRITE;
	uint16_t idx = (uint16_t)(q->avail_idx + 1);

	desc(&q->desc[0], &hdr, sizeof(hdr), nx, 1);
	desc(&q->desc[1], buf, sizeof(buf), nx | wr, 2);
	desc(&q->desc[2], &status, 1, wr, 0);
	switch (k) {
	case 0:
		q->desc[1].next = 0;
		break;
	case 1:
		desc(&q->desc[1], table, sizeof(table),
		     MVM_VIRTQ_DESC_F_INDIRECT, 0);
		for (unsigned i = 0; i < VQ_SIZE; i++)
			desc(&table[i], buf, 64,
			     (uint16_t)(wr | (i + 1 < VQ_SIZE ? nx : 0)),
			     (uint16_t)(i + 1));
		break;
	case 2:
		q->desc[1].addr = FAR_AWAY;
		break;
	case 3:
		q->desc[2].flags = 0;
		break;
	case 4:
		idx = (uint16_t)(q->avail_idx + VQ_SIZE + 1);
		break;
	}
	q->avail[2] = 0; /* head: descriptor 0 */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	q->avail[1] = idx;
}

int main(void)
{
	uint32_t st = 0;
	unsigned n;

	hdr.type = MVM_VIRTIO_BLK_T_IN;
	for (unsigned k = 0; k < 5; k++) {
		GUEST_ASSERT(
			vdev_init(&blk, MVM_VIRTIO_SLOT_BLK,
				  MVM_VIRTIO_ID_BLOCK,
				  MVM_VIRTIO_BIT(MVM_VIRTIO_F_INDIRECT_DESC),
				  1) == 0);
		status = 0xff;
		break_ring(k);
		mmio_write32(blk.base + MVM_VMMIO_QUEUE_NOTIFY, 0);
		for (n = 0; n < SPINS; n++) {
			st = mmio_read32(blk.base + MVM_VMMIO_STATUS);
			if (st & MVM_VIRTIO_S_NEEDS_RESET)
				break;
		}
		guest_ucall(MVM_UCALL_SYNC, "broken ring", 10 + k, st, status,
			    0);
	}
	GUEST_ASSERT(vdev_init(&blk, MVM_VIRTIO_SLOT_BLK, MVM_VIRTIO_ID_BLOCK,
			       0, 1) == 0);
	guest_ucall(MVM_UCALL_SYNC, "after reset", 20,
		    (uint64_t)(int64_t)vblk_rw(&blk, 0, 0, buf, 1), 0, 0);
	return 0;
}
