/*
 * hostram.h - host memory standing in for guest RAM in unit tests.
 *
 * The loaders, the page-table builder and walker and the ucall device
 * reach guest memory only through a struct mvm_memmap, so a test can
 * exercise them without a VM: map an ordinary host buffer at GPA 0.
 */
#ifndef MINIVMM_TEST_HOSTRAM_H
#define MINIVMM_TEST_HOSTRAM_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

/*
 * Allocate size bytes, page aligned (as KVM would want a memslot),
 * filled with the byte fill, and add them to mem as GPA 0..size-1.
 * Returns the buffer (free() it), or NULL when allocating or mapping
 * fails; nothing is left allocated then.
 */
uint8_t *hostram_map(struct mvm_memmap *mem, size_t size, int fill);

/* A memory map holding just such RAM, for tests that need no more. */
struct hostram {
	struct mvm_memmap mem;
	uint8_t *ram;
};

/* hostram_map() into a new struct hostram; NULL on failure. */
struct hostram *hostram_new(size_t size, int fill);
void hostram_free(struct hostram *h);

#endif
