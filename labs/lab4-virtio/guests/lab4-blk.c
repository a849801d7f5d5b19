/*
 * lab4-blk.c - Lab 4's disk guest: the test drives it one request at a
 * time, so the test picks the sectors (at random) and compares guest
 * memory and the backing file itself.
 *
 * The host writes 64-bit words into the scratch page (MVM_SCRATCH_ADDR):
 *
 *   [0] transport: 0 virtio-mmio (runtime/virtio.c), 1 virtio-pci
 *   [1] the feature bits the driver asks for (vdev_init()'s `want`)
 *   [2] op, [3] sector, [4] count or value: the next step
 *
 *   op 0  stop
 *   op 1  read  [4] sectors at [3] into buf      SYNC {2, status, seq}
 *   op 2  write [4] sectors at [3] from buf      SYNC {2, status, seq}
 *   op 3  avail->flags = [4]  (2.7.7)            SYNC {2, 0, seq}
 *   op 4  used_event = [4]    (2.7.10)           SYNC {2, 0, seq}
 *   op 5  read avail_event    (2.7.10)           SYNC {2, avail_event, seq}
 *
 * After setting the disk up: SYNC {1, 0 or -1 (vdev_init failed),
 * accepted features, address of buf}. Every request is one descriptor
 * chain of header, buf, status byte (runtime/virtio.c, vblk_rw()).
 */
#include "guest.h"
#include "virtio.h"

#define BUF_SECTORS 64 /* the most a step moves: 32 KiB */

static uint8_t buf[BUF_SECTORS * MVM_VIRTIO_BLK_SECTOR]
	__attribute__((aligned(4096)));
static struct vdev blk;

/* One step; its result for the SYNC. */
static uint64_t step(uint64_t op, uint64_t sector, uint64_t n)
{
	struct vq *q = &blk.q[0];

	switch (op) {
	case 1:
	case 2:
		if (n > BUF_SECTORS)
			return ~0ULL;
		return (uint64_t)(int64_t)vblk_rw(&blk, op == 2, sector, buf,
						  (uint32_t)n);
	case 3:
		q->avail[0] = (uint16_t)n;
		return 0;
	case 4:
		q->avail[2 + q->size] = (uint16_t)n; /* used_event */
		return 0;
	case 5: /* avail_event, after the used ring's entries */
		return *(volatile uint16_t *)(q->used + 4 + 8 * q->size);
	}
	return ~0ULL;
}

int main(void)
{
	volatile uint64_t *w = (volatile uint64_t *)(uintptr_t)MVM_SCRATCH_ADDR;
	int rc;

	if (w[0] == 1)
		rc = vdev_init_pci(&blk, MVM_VIRTIO_ID_BLOCK, w[1], 1);
	else
		rc = vdev_init(&blk, MVM_VIRTIO_SLOT_BLK, MVM_VIRTIO_ID_BLOCK,
			       w[1], 1);
	guest_ucall(MVM_UCALL_SYNC, "set up", 1, (uint64_t)(int64_t)rc,
		    blk.features, (uint64_t)(uintptr_t)buf);
	if (rc)
		return 0;
	for (uint64_t seq = 1; w[2] != 0; seq++)
		guest_ucall(MVM_UCALL_SYNC, "step", 2, step(w[2], w[3], w[4]),
			    seq, 0);
	return 0;
}
