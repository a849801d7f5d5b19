/*
 * shadow_internal.h - the shadow-paging model's state, shared by
 * shadow.c (tables, fills, roots) and shadow_sync.c (traps, the live
 * page-table pool). Not installed; see minivmm/shadow.h for the design.
 */
#ifndef MINIVMM_SHADOW_INTERNAL_H
#define MINIVMM_SHADOW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/shadow.h"

/* Guest table pages x levels x places the model tracks; a guest that
 * needs more gets -ENOSPC from a fill, never unbounded memory. */
#define SH_MAX_USES 4096

/* Guest table page `page` served at `level` (4 = PML4 .. 1 = PT) for the
 * range of virtual addresses that starts at va_base. */
struct sh_use {
	uint64_t page;
	int level;
	uint64_t va_base;
};

/* One shadow root: the tables standing for one guest CR3. */
struct sh_root {
	uint64_t cr3;	/* the guest's CR3 (address bits) */
	uint64_t *pml4; /* the shadow PML4; NULL = root unused */
	uint64_t last;	/* sh->clock at its last load (LRU) */
};

struct mvm_shadow {
	const struct mvm_memmap *mem; /* guest memory (not owned) */
	uint64_t cr0, cr4, efer;      /* the guest's paging mode */
	struct sh_root roots[MVM_SHADOW_ROOTS];
	struct sh_root *cur;	      /* the root of the last CR3 load */
	uint64_t clock;		      /* counts CR3 loads, for LRU */
	struct sh_use *uses;	      /* SH_MAX_USES entries */
	size_t nuses;		      /* used entries */
	uint64_t pool_gpa, pool_size; /* live page-table pool, if attached */
	struct mvm_shadow_stats st;
};

/* Drop the shadow entry at `level` for va in root r (and the tables
 * under it); 1 if there was one. */
int mvm_sh_zap(struct mvm_shadow *sh, struct sh_root *r, uint64_t va,
	       int level);
/* Walk the guest's tables for gva and install the leaf in the current
 * root; 0 or -EFAULT (x->fault), -ENOMEM, -ENOSPC. */
int mvm_sh_fill(struct mvm_shadow *sh, uint64_t gva,
		struct mvm_shadow_xlate *x);

#endif
