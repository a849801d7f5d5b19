/*
 * touch.c - an access-pattern guest: stores into pages sequentially,
 * with a stride or at random, round after round, as the host asks
 * (touch.h). The dirty-log tests and measurements use it: each store
 * dirties exactly one page, so the host knows which pages to expect.
 *
 * Ring-0 code is emulated on some backends (~1 us per instruction):
 * a round of a few thousand stores takes a few milliseconds there.
 */
#include "guest.h"
#include "touch.h"

int main(void)
{
	volatile struct touch_params *p =
		(volatile struct touch_params *)TOUCH_PARAMS;

	for (uint64_t round = 0; p->rounds; round++) {
		struct touch_params now = {
			.pattern = p->pattern,
			.size = p->size,
			.stride = p->stride,
		};
		uint64_t state = p->seed, n = p->count;

		for (uint64_t i = 0; i < n; i++) {
			uint64_t page = touch_page(&now, i, &state);

			*(volatile uint8_t *)(uintptr_t)(p->base +
							 page * 4096) =
				(uint8_t)(p->value + round);
		}
		p->seed = state;
		p->rounds--;
		guest_ucall(MVM_UCALL_SYNC, "touched", round, n, 0, 0);
	}
	return 0;
}
