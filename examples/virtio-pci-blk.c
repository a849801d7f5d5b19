/*
 * virtio-pci-blk.c - virtio-blk found by PCI enumeration: the guest
 * driver's virtio-pci transport (runtime/virtio_pci.c) under the same
 * requests as virtio-mmio's (runtime/virtio.c).
 *
 * It reads sectors 0-7 into `rbuf`, writes a pattern to sectors 8-15,
 * reads them back and compares; at each step a SYNC lets the host
 * compare guest memory with the file and count the exits a request
 * cost (tests/kvm/test_virtio_pci.c):
 *
 *   SYNC {1, rbuf GPA}          4 KiB read
 *   SYNC {2, status}            4 KiB write (IOERR on a read-only disk)
 *   SYNC {3}, SYNC {4, rounds}  `rounds` more 4 KiB reads between them
 *                               (the host times them)
 */
#include "guest.h"
#include "virtio.h"

#define PATTERN(i) ((uint8_t)((i)*13 + 7))
#define ROUNDS	   16

static struct vdev blk;
static uint8_t rbuf[4096] __attribute__((aligned(4096)));
static uint8_t wbuf[4096] __attribute__((aligned(4096)));

static void sync(uint64_t stage, uint64_t a)
{
	guest_ucall(MVM_UCALL_SYNC, "virtio-pci-blk", stage, a, 0, 0);
}

int main(void)
{
	int st;

	GUEST_ASSERT(vdev_init_pci(&blk, MVM_VIRTIO_ID_BLOCK,
				   MVM_VIRTIO_BIT(MVM_VIRTIO_BLK_F_RO),
				   1) == 0);
	GUEST_ASSERT(vdev_config32(&blk, 0) >= 16); /* capacity, sectors */
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 0, rbuf, 8), MVM_VIRTIO_BLK_S_OK);
	sync(1, (uintptr_t)rbuf);
	for (unsigned i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = PATTERN(i);
	st = vblk_rw(&blk, 1, 8, wbuf, 8);
	sync(2, (uint64_t)st);
	if (st == MVM_VIRTIO_BLK_S_OK) {
		GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 8, rbuf, 8),
				MVM_VIRTIO_BLK_S_OK);
		GUEST_ASSERT(memcmp(rbuf, wbuf, sizeof(wbuf)) == 0);
	}
	sync(3, 0);
	for (unsigned r = 0; r < ROUNDS; r++)
		GUEST_ASSERT_EQ(vblk_rw(&blk, 0, (r % 2) * 8, rbuf, 8),
				MVM_VIRTIO_BLK_S_OK);
	sync(4, ROUNDS);
	return 0;
}
