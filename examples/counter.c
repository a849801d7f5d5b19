/*
 * counter.c - a guest whose whole history is in its output: the
 * snapshot and migration tests' witness (issue "snapshots").
 *
 * What it teaches: what "the state of a VM" is. Each round the guest
 *   - writes the count to the demo port and reads it back (an OUT and an
 *     IN exit: the value comes back from the demo device's scratch
 *     register, device state the snapshot must carry, and the IN's data
 *     reaches RAX only when KVM runs the vCPU again);
 *   - rewrites one word of a 32 KiB region and checksums the whole
 *     region (guest RAM the snapshot must carry);
 *   - prints "count N sum S" on the debug port (one exit per byte).
 * A run restored from a snapshot taken at any exit must print exactly
 * the lines an uninterrupted run prints: a lost page, register or
 * device value changes a sum or a count.
 *
 *   mvm run build/examples/counter.elf
 */
#include <minivmm/layout.h>

#include "guest.h"

#define ROUNDS 24
#define WORDS  4096 /* 32 KiB: eight pages the guest keeps dirtying */

static volatile uint64_t region[WORDS];

/* FNV-1a over the region: every word counts, and its place. */
static uint64_t region_sum(void)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (unsigned i = 0; i < WORDS; i++)
		h = (h ^ region[i]) * 0x100000001b3ull;
	return h;
}

int main(void)
{
	for (uint64_t n = 1; n <= ROUNDS; n++) {
		uint8_t back;

		outb(MVM_PORT_DEMO, (uint8_t)n);
		back = inb(MVM_PORT_DEMO);
		region[(n * 521) % WORDS] = back * 0x9e3779b97f4a7c15ull;
		guest_print("count ");
		guest_print_dec(back);
		guest_print(" sum ");
		guest_print_hex(region_sum());
		guest_print("\n");
	}
	return 0;
}
