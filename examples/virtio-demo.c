/*
 * virtio-demo.c - a guest that uses all three of minivmm's virtio
 * devices through the runtime's bare-metal driver (runtime/virtio.h).
 *
 * What it teaches: a paravirtual device is a protocol, not a register
 * file. After a handful of register writes to set it up, each request
 * is memory (a descriptor chain and a ring entry) plus one kick; the
 * data itself never passes through an exit. Compare with the UART,
 * where every byte is an exit.
 *
 *   mvm run --disk disk.img build/examples/virtio-demo.elf
 *
 * It reads sectors 0-7 into the scratch page (MVM_SCRATCH_ADDR), writes
 * a pattern to sectors 8-15 (a read-only disk must refuse with IOERR)
 * and reads them back; GUEST_SYNC(1) and (2) let a test compare guest
 * memory and the file at each point (tests/kvm/test_virtio.c).
 */
#include "guest.h"
#include "virtio.h"

/* The pattern written to sectors 8-15; the test computes the same. */
#define PATTERN(i) ((uint8_t)((i)*13 + 7))

static struct vdev con, rng, blk;
static uint8_t wbuf[4096] __attribute__((aligned(16)));

static void say(const char *s)
{
	uint32_t n = 0;

	while (s[n])
		n++;
	vcon_write(&con, s, n);
}

static void blk_demo(void)
{
	uint8_t *scratch = (uint8_t *)(uintptr_t)MVM_SCRATCH_ADDR;
	int ro, st;

	GUEST_ASSERT(vdev_init(&blk, MVM_VIRTIO_SLOT_BLK, MVM_VIRTIO_ID_BLOCK,
			       MVM_VIRTIO_BIT(MVM_VIRTIO_BLK_F_RO), 1) == 0);
	ro = !!(blk.features & MVM_VIRTIO_BIT(MVM_VIRTIO_BLK_F_RO));
	GUEST_ASSERT(vdev_config32(&blk, 0) >= 16); /* capacity, sectors */
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 0, scratch, 8), MVM_VIRTIO_BLK_S_OK);
	GUEST_SYNC(1);
	for (unsigned i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = PATTERN(i);
	st = vblk_rw(&blk, 1, 8, wbuf, 8);
	GUEST_ASSERT_EQ(st, ro ? MVM_VIRTIO_BLK_S_IOERR : MVM_VIRTIO_BLK_S_OK);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 8, scratch, 8), MVM_VIRTIO_BLK_S_OK);
	if (!ro)
		GUEST_ASSERT(memcmp(scratch, wbuf, sizeof(wbuf)) == 0);
	say(ro ? "virtio-demo: read-only disk refused the write\n"
	       : "virtio-demo: wrote and read back 8 sectors\n");
}

int main(void)
{
	uint64_t r[2] = {0, 0};

	GUEST_ASSERT(vdev_init(&con, MVM_VIRTIO_SLOT_CONSOLE,
			       MVM_VIRTIO_ID_CONSOLE, 0, 2) == 0);
	say("virtio-demo: hello over virtio-console\n");
	GUEST_ASSERT(vdev_init(&rng, MVM_VIRTIO_SLOT_RNG, MVM_VIRTIO_ID_RNG, 0,
			       1) == 0);
	GUEST_ASSERT_EQ(vrng_read(&rng, r, sizeof(r)), sizeof(r));
	GUEST_ASSERT(r[0] | r[1]);
	say("virtio-demo: 16 random bytes from virtio-rng\n");
	blk_demo();
	return 0;
}
