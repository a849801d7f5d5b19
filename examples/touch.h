/*
 * touch.h - what the access-pattern guest (touch.c) and its hosts share.
 *
 * The host writes struct touch_params at TOUCH_PARAMS (in the scratch
 * page, layout.h) before each round; the guest stores one byte into
 * `count` 4 KiB pages of [base, base + size) in the chosen pattern, then
 * reports SYNC with args = {round, pages touched}. rounds = 0 ends. The
 * random pattern is xorshift64 (Marsaglia 2003) from `seed`, so a host
 * computes the same pages with touch_next_random() below.
 */
#ifndef MVM_TOUCH_H
#define MVM_TOUCH_H

#include <stdint.h>

#include "minivmm/layout.h"

#define TOUCH_PARAMS (MVM_SCRATCH_ADDR + 0x200)

enum touch_pattern {
	TOUCH_SEQUENTIAL = 0, /* pages 0, 1, 2, ... */
	TOUCH_STRIDED = 1,    /* pages 0, stride, 2 * stride, ... (mod n) */
	TOUCH_RANDOM = 2,     /* xorshift64 page numbers (mod n) */
};

struct touch_params {
	uint64_t rounds;  /* rounds left; the guest decrements it */
	uint64_t pattern; /* enum touch_pattern */
	uint64_t base;	  /* first guest-physical (= virtual) byte */
	uint64_t size;	  /* bytes, a multiple of 4 KiB */
	uint64_t stride;  /* pages (TOUCH_STRIDED) */
	uint64_t count;	  /* pages to touch this round */
	uint64_t seed;	  /* TOUCH_RANDOM state, updated by the guest */
	uint64_t value;	  /* the byte stored is value + round */
};

/* One step of xorshift64: the next state (never 0 for a non-zero seed). */
static inline uint64_t touch_next_random(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Page number of touch i (the host's copy of the guest's rule). */
static inline uint64_t touch_page(const struct touch_params *p, uint64_t i,
				  uint64_t *state)
{
	uint64_t n = p->size / 4096;

	switch (p->pattern) {
	case TOUCH_STRIDED:
		return (i * p->stride) % n;
	case TOUCH_RANDOM:
		*state = touch_next_random(*state);
		return *state % n;
	default:
		return i % n;
	}
}

#endif
