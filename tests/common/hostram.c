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

struct hostram *hostram_new(size_t size, int fill)
{
	struct hostram *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->ram = hostram_map(&h->mem, size, fill);
	if (!h->ram) {
		free(h);
		return NULL;
	}
	return h;
}

void hostram_free(struct hostram *h)
{
	if (!h)
		return;
	free(h->ram);
	free(h);
}
