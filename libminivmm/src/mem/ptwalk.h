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

#endif
