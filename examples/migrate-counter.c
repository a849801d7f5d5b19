/*
 * migrate-counter.c - the live-migration witness: a counter that must
 * never skip or repeat, and a memory region it keeps rewriting at a
 * chosen dirty rate (issue "snapshots and live migration").
 *
 * What it teaches: what pre-copy must not lose. Each iteration n
 *   - increments a counter kept in RAM;
 *   - writes one word into each of `per_iter` pages of a window of the
 *     32 MiB region, walking round it (every write dirties a page: the
 *     dirty log sees pages, not bytes), and keeps a running sum of the
 *     words in place;
 *   - every 256 iterations prints "count N".
 * At the end it adds the words up afresh and prints
 * "final N sum S check ok" when the two sums agree. A page a migration
 * loses, or sends stale, breaks the check or the sum; a lost vCPU state
 * breaks the count. tests/kvm/test_migrate*.c compute the same sum on
 * the host.
 *
 * The dirty rate: two digits on COM1 before the start (as echo.c reads
 * them: LSR bit 0, then RBR), a level and a length:
 *   level 0 idle (no region writes; it mostly spins), 1 low, 2 medium,
 *   3 fast (16 pages per iteration over all 32 MiB, no pause), all at
 *   ring 0; 4 unbounded: level 3's loop at ring 3 (migrate-ring3.c);
 *   5 paced: one page per iteration at ring 3, iteration n once the
 *   scratch page's word 3 reached n (the host raises it at the rate it
 *   wants: bench/bench_migrate.c; 0 at the start = unpaced);
 *   length D: 1000 << D iterations (levels 4 and 5: 100000 << D).
 * Without input (about 3000 polls) it runs level 2, length 4.
 * Ring-0 code may be emulated instruction by instruction on nested KVM
 * backends (MVM_QUIRK_RING0_EMULATED, quirks.h), so an iteration is
 * kept to a few dozen instructions, and no ring-0 loop can dirty memory
 * faster than such a backend copies it: level 4 runs natively there.
 * Ring 3 has no port I/O (cpl-compute.c says why), so levels 4 and 5
 * print nothing after their start: they leave counter, sum and check
 * in the scratch page (MVM_SCRATCH_ADDR, words 0-2) and end with the
 * demo device's STOP marker.
 *
 *   printf 34 | mvm run build/examples/migrate-counter.elf
 */
#include "guest.h"
#include "migrate-counter.h"

#define PRINT_EVERY 256
#define UART_RBR    0	 /* receiver buffer (PC16550D, Table II) */
#define UART_LSR    5	 /* line status */
#define LSR_DR	    0x01 /* data ready */
#define WAIT_POLLS  3000

volatile uint64_t region[REGION_PAGES * PAGE_WORDS]
	__attribute__((aligned(4096)));
volatile uint64_t counter; /* in RAM: the migration must carry it */

static const struct level levels[] = {
	{0, 0, 100, 0},		  /* idle */
	{64, 1, 100, 0},	  /* low */
	{2048, 4, 0, 0},	  /* medium */
	{REGION_PAGES, 16, 0, 0}, /* fast */
	{REGION_PAGES, 16, 0, 1}, /* unbounded: the same loop at ring 3 */
	{REGION_PAGES, 1, 0, 2},  /* paced: ring 3, as the host grants */
};

/* A digit from COM1 within WAIT_POLLS polls, else def. */
static unsigned read_digit(unsigned def, unsigned max)
{
	for (unsigned i = 0; i < WAIT_POLLS; i++)
		if (inb(MVM_PORT_COM1 + UART_LSR) & LSR_DR) {
			unsigned c = inb(MVM_PORT_COM1 + UART_RBR);

			return c >= '0' && c <= '0' + max ? c - '0' : def;
		}
	return def;
}

int main(void)
{
	unsigned lv = read_digit(2, 5), len = read_digit(4, 9);
	const struct level *l = &levels[lv];
	uint64_t iters = (l->ring3 ? 100000ull : 1000ull) << len;
	uint64_t cursor = 0, sum = 0, check;

	guest_print("migrate-counter: level ");
	guest_print_dec(lv);
	guest_print(" iterations ");
	guest_print_dec(iters);
	guest_print("\n");
	if (l->ring3)
		counter_ring3(l, iters); /* does not return */
	for (uint64_t n = counter + 1; n <= iters; n = counter + 1) {
		counter_iteration(l, n, &cursor, &sum);
		for (unsigned i = 0; i < l->pause; i++)
			__asm__ volatile("pause");
		counter = n;
		if (n % PRINT_EVERY == 0) {
			guest_print("count ");
			guest_print_dec(n);
			guest_print("\n");
		}
	}
	check = counter_check(l);
	guest_print("final ");
	guest_print_dec(counter);
	guest_print(" sum ");
	guest_print_hex(sum);
	guest_print(check == sum ? " check ok\n" : " check BAD\n");
	return 0;
}
