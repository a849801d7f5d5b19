/*
 * virtio-balloon.c - a guest that gives memory back to the host and
 * takes it again, through its virtio-balloon driver
 * (runtime/virtio_balloon.h).
 *
 *   mvm run --balloon 4096 --stats build/examples/virtio-balloon.elf
 *
 * The guest's free memory is POOL_PAGES pages of its own. It
 *   1. writes to every pool page, so the host had to back each one:
 *      SYNC {1, pool pages, the host's target};
 *   2. inflates to the target (num_pages): those pages' PFNs go to the
 *      host, which frees the memory behind them (madvise):
 *      SYNC {2, pages in the balloon};
 *   3. deflates to 0, counts the given-back pages that now read zero
 *      (the host's fresh pages, not what the guest wrote) and writes to
 *      the whole pool again: SYNC {3, pages that read zero}.
 * A test reads the VMM's resident set size at each SYNC
 * (tests/kvm/test_virtio_balloon.c).
 */
#include "guest.h"
#include "virtio_balloon.h"

#define POOL_PAGES 4096 /* 16 MiB */

static uint8_t pool[POOL_PAGES][VBALLOON_PAGE]
	__attribute__((aligned(VBALLOON_PAGE)));
static struct vballoon balloon;

static void touch_all(void)
{
	for (uint32_t i = 0; i < POOL_PAGES; i++)
		*(volatile uint8_t *)&pool[i][0] = (uint8_t)(i | 1);
}

int main(void)
{
	uint32_t target, held, zeroed = 0;

	GUEST_ASSERT(vballoon_init(&balloon, pool, POOL_PAGES, 0) == 0);
	touch_all();
	target = vballoon_target(&balloon);
	guest_ucall(MVM_UCALL_SYNC, "pool touched", 1, POOL_PAGES, target, 0);
	held = vballoon_resize(&balloon, target);
	guest_ucall(MVM_UCALL_SYNC, "inflated", 2, held, 0, 0);
	vballoon_resize(&balloon, 0);
	for (uint32_t i = 0; i < held; i++)
		zeroed += *(volatile uint8_t *)&pool[i][0] == 0;
	touch_all();
	guest_ucall(MVM_UCALL_SYNC, "deflated", 3, zeroed, 0, 0);
	return 0;
}
