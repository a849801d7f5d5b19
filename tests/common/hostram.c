/*
 * hostram.c - host memory standing in for guest RAM in unit tests
 * (see hostram.h).
 */
#include <stdlib.h>
#include <string.h>

#include "hostram.h"

uint8_t *hostram_map(struct mvm_memmap *mem, size_t size, int fill)
{
	uint8_t *ram = aligned_alloc(4096, size);

	if (!ram)
		return NULL;
	memset(ram, fill, size);
	if (mvm_memmap_add(mem, 0, size, ram, 0) < 0) {
		free(ram);
		return NULL;
	}
	return ram;
}
