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
 *   3 unbounded (16 pages per iteration over all 32 MiB, no pause);
 *   length D: 1000 << D iterations.
 * Without input (about 3000 polls) it runs level 2, length 4.
 * Ring-0 code may be emulated instruction by instruction on nested KVM
 * backends, so an iteration is kept to a few dozen instructions.
 *
 *   printf 34 | mvm run build/examples/migrate-counter.elf
 */
#include "guest.h"

#define REGION_PAGES 8192 /* 32 MiB */
#define PAGE_WORDS   512
#define PRINT_EVERY  256
#define UART_RBR     0	  /* receiver buffer (PC16550D, Table II) */
#define UART_LSR     5	  /* line status */
#define LSR_DR	     0x01 /* data ready */
#define WAIT_POLLS   3000

static volatile uint64_t region[REGION_PAGES * PAGE_WORDS]
	__attribute__((aligned(4096)));
static volatile uint64_t counter; /* in RAM: the migration must carry it */

struct level {
	unsigned window;   /* pages of the region written */
	unsigned per_iter; /* pages written per iteration */
	unsigned pause;	   /* PAUSE instructions per iteration */
};

static const struct level levels[] = {
	{0, 0, 100},	       /* idle */
	{64, 1, 100},	       /* low */
	{2048, 4, 0},	       /* medium */
	{REGION_PAGES, 16, 0}, /* unbounded */
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

/* The word iteration n writes as its k-th (the host test's formula). */
static uint64_t word(uint64_t n, unsigned k)
{
	return n * 0x9e3779b97f4a7c15ull + k;
}

int main(void)
{
	unsigned lv = read_digit(2, 3), len = read_digit(4, 9);
	const struct level *l = &levels[lv];
	uint64_t iters = 1000ull << len, cursor = 0, sum = 0, check = 0;

	guest_print("migrate-counter: level ");
	guest_print_dec(lv);
	guest_print(" iterations ");
	guest_print_dec(iters);
	guest_print("\n");
	for (uint64_t n = counter + 1; n <= iters; n = counter + 1) {
		for (unsigned k = 0; k < l->per_iter; k++) {
			volatile uint64_t *w =
				&region[(cursor++ % l->window) * PAGE_WORDS];
			uint64_t v = word(n, k);

			sum += v - *w;
			*w = v;
		}
		for (unsigned i = 0; i < l->pause; i++)
			__asm__ volatile("pause");
		counter = n;
		if (n % PRINT_EVERY == 0) {
			guest_print("count ");
			guest_print_dec(n);
			guest_print("\n");
		}
	}
	for (unsigned p = 0; p < l->window; p++)
		check += region[p * PAGE_WORDS];
	guest_print("final ");
	guest_print_dec(counter);
	guest_print(" sum ");
	guest_print_hex(sum);
	guest_print(check == sum ? " check ok\n" : " check BAD\n");
	return 0;
}
