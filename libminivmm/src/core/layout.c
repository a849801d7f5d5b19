/*
 * layout.c - the reserved-region table of layout.h as data.
 *
 * Loaders and tools ask here, rather than spelling addresses, whether a
 * guest-physical range lands on something the VMM owns (layout.h,
 * MVM_RESERVED_REGIONS). The table is generated from that one list, so
 * docs, loaders and checks cannot disagree.
 */
#include "minivmm/layout.h"

#define REGION(n, b, s) {.name = (n), .base = (b), .size = (s)},

static const struct mvm_region reserved[] = {MVM_RESERVED_REGIONS(REGION)};

const struct mvm_region *mvm_layout_reserved(size_t *n)
{
	if (n)
		*n = sizeof(reserved) / sizeof(reserved[0]);
	return reserved;
}

const struct mvm_region *mvm_layout_reserved_overlap(uint64_t base,
						     uint64_t size)
{
	/* end saturates: a wrapping range reaches the top of memory */
	uint64_t end = base + size < base ? UINT64_MAX : base + size;

	if (size == 0)
		return NULL;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		const struct mvm_region *r = &reserved[i];

		if (base < r->base + r->size && r->base < end)
			return r;
	}
	return NULL;
}
