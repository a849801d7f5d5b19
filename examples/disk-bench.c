/*
 * disk-bench.c - the same job on every disk minivmm has: `rounds`
 * sequential 4 KiB reads, for `make bench` (bench/bench_disk.c).
 *
 * The host picks the disk and the count before the run, in the scratch
 * page (MVM_SCRATCH_ADDR): word 0 the mode, word 1 the rounds.
 *
 *   0  emulated disk, one 4-byte IN per dword  (runtime/edisk.c)
 *   1  emulated disk, one `rep insl` per sector
 *   2  virtio-blk over virtio-pci              (runtime/virtio_pci.c)
 *   3  virtio-blk over virtio-mmio             (runtime/virtio.c)
 *   4  calibration: `rounds` reads of the emulated disk's STATUS port
 *      (an exit and a few instructions each), then SYNC {3} after
 *      `rounds` * 64 turns of an empty loop (instructions, no exit)
 *
 * SYNC {1} after setup and SYNC {2, rounds} after the reads bracket what
 * the host times and counts; nothing else happens in between.
 */
#include "edisk.h"
#include "guest.h"
#include "virtio.h"

#define SECTORS 8 /* 4 KiB */

static uint8_t buf[4096] __attribute__((aligned(4096)));
static struct vdev blk;

/* Mode 4: what one exit and one guest instruction cost, apart. */
static void calibrate(uint64_t rounds)
{
	guest_ucall(MVM_UCALL_SYNC, "start", 1, 0, 0, 0);
	for (uint64_t r = 0; r < rounds; r++)
		inb(MVM_PORT_EDISK + MVM_EDISK_STATUS);
	guest_ucall(MVM_UCALL_SYNC, "exits", 2, rounds, 0, 0);
	for (uint64_t r = 0; r < rounds * 64; r++)
		__asm__ volatile("" : : : "memory"); /* keep the loop */
	guest_ucall(MVM_UCALL_SYNC, "instructions", 3, rounds * 64, 0, 0);
}

int main(void)
{
	volatile uint64_t *arg =
		(volatile uint64_t *)(uintptr_t)MVM_SCRATCH_ADDR;
	uint64_t mode = arg[0], rounds = arg[1], cap;

	if (mode == 4) {
		calibrate(rounds);
		return 0;
	}
	if (mode == 2)
		GUEST_ASSERT(vdev_init_pci(&blk, MVM_VIRTIO_ID_BLOCK, 0, 1) ==
			     0);
	if (mode == 3)
		GUEST_ASSERT(vdev_init(&blk, MVM_VIRTIO_SLOT_BLK,
				       MVM_VIRTIO_ID_BLOCK, 0, 1) == 0);
	cap = mode >= 2 ? vdev_config32(&blk, 0) : edisk_capacity();
	GUEST_ASSERT(cap >= SECTORS);
	guest_ucall(MVM_UCALL_SYNC, "start", 1, 0, 0, 0);
	for (uint64_t r = 0, lba = 0; r < rounds; r++) {
		if (lba + SECTORS > cap)
			lba = 0;
		if (mode >= 2)
			GUEST_ASSERT_EQ(vblk_rw(&blk, 0, lba, buf, SECTORS),
					MVM_VIRTIO_BLK_S_OK);
		else
			GUEST_ASSERT_EQ(edisk_read((uint32_t)lba, SECTORS, buf,
						   mode ? EDISK_PIO_REP
							: EDISK_PIO_DWORD),
					0);
		lba += SECTORS;
	}
	guest_ucall(MVM_UCALL_SYNC, "done", 2, rounds, 0, 0);
	return 0;
}
