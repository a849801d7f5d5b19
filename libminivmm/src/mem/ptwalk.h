/*
 * ptwalk.h - what the two page-table walks share: ptwalk.c translates one
 * address, ptrange.c lists all mappings, and both must agree on which
 * entries the MMU would use.
 */
#ifndef MINIVMM_PTWALK_H
#define MINIVMM_PTWALK_H

#include <stdint.h>

#include "minivmm/pagetable.h"

/*
 * Judge one x86-64 4-level entry at `level` (4 = PML4E .. 1 = PTE) with
 * the guest's EFER (EFER.NXE decides whether bit 63 is NX or reserved).
 * Returns MVM_PT_OK, MVM_PT_NOT_PRESENT or MVM_PT_RESERVED; *leaf says
 * whether the entry maps a page (a PTE, or PS = 1 in a PDE/PDPTE).
 */
enum mvm_pt_fault mvm_pt_entry_check64(int level, uint64_t e, uint64_t efer,
				       int *leaf);

/* One access being translated: what it is and the paging state. */
struct mvm_pt_acc {
	unsigned how; /* MVM_PT_WRITE | _USER | _FETCH | _SET_AD */
	uint64_t cr0, cr4, efer;
	unsigned esz; /* entry size, 4 or 8 bytes */
	int first_ad; /* first row of w->lv[] with an A bit */
};

/*
 * ptaccess.c: finish mvm_pt_access() after the walk returned rc. A walk
 * that succeeded is judged against the access (SDM Vol. 3A 4.6); then
 * w->vector and w->pfec get what the CPU would raise (4.7) and, for an
 * allowed access with MVM_PT_SET_AD, the A/D bits are set (4.8).
 * Returns 0 or -EFAULT.
 */
int mvm_pt_finish(const struct mvm_memmap *mem, struct mvm_pt_walk *w,
		  const struct mvm_pt_acc *a, int rc);

#endif
