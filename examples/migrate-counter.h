/*
 * migrate-counter.h - what migrate-counter.c's ring-0 loop and its
 * ring-3 twin (migrate-ring3.c) share: the region, the dirty-rate
 * levels and one iteration of writes.
 */
#ifndef MVM_EXAMPLES_MIGRATE_COUNTER_H
#define MVM_EXAMPLES_MIGRATE_COUNTER_H

#include <stdint.h>

#define REGION_PAGES 8192 /* 32 MiB */
#define PAGE_WORDS   512

struct level {
	unsigned window;   /* pages of the region written */
	unsigned per_iter; /* pages written per iteration */
	unsigned pause;	   /* PAUSE instructions per iteration */
	unsigned ring3;	   /* 1: at ring 3; 2: there, paced (level 5) */
};

extern volatile uint64_t region[REGION_PAGES * PAGE_WORDS];
extern volatile uint64_t counter;

/* Iteration n: one word into each of per_iter pages, walking round the
 * window; *sum follows the words in place. The word is n * (2^64 / phi)
 * + k, the formula tests/kvm/test_migrate*.c repeat on the host. */
static inline void counter_iteration(const struct level *l, uint64_t n,
				     uint64_t *cursor, uint64_t *sum)
{
	for (unsigned k = 0; k < l->per_iter; k++) {
		volatile uint64_t *w =
			&region[(*cursor)++ % l->window * PAGE_WORDS];
		uint64_t v = n * 0x9e3779b97f4a7c15ull + k;

		*sum += v - *w;
		*w = v;
	}
}

/* The window's words added up afresh. */
static inline uint64_t counter_check(const struct level *l)
{
	uint64_t check = 0;

	for (unsigned p = 0; p < l->window; p++)
		check += region[p * PAGE_WORDS];
	return check;
}

/* Run the loop at ring 3 (migrate-ring3.c); never returns. */
void counter_ring3(const struct level *l, uint64_t iters)
	__attribute__((noreturn));

#endif
