/*
 * ptaccess.c - what an access may do with the page the walk found.
 *
 * ptwalk.c finds the entry that maps an address and combines the rights
 * of every entry on the way (Intel SDM Vol. 3A 4.6: a page is writable
 * only if R/W = 1 at every level, user-accessible only if U/S = 1 at
 * every level, and not executable if XD (NX) = 1 at any level). This file
 * asks the question the MMU asks on every access - may *this* access
 * (read, write or fetch, at this CPL) use that page? - and, when the
 * answer is no or the walk failed, builds the exception the CPU would
 * raise: #PF with its error code (4.7), or #GP for an address that is
 * not canonical (Vol. 1 3.3.7.1).
 *
 * The rules of 4.6.1, for supervisor (CPL 0..2) and user (CPL 3) data
 * accesses and fetches, without SMEP/SMAP/protection keys:
 *
 *   access          allowed when
 *   user read       U/S = 1 everywhere
 *   user write      U/S = 1 and R/W = 1 everywhere (CR0.WP irrelevant)
 *   super read      always
 *   super write     CR0.WP = 0, or R/W = 1 everywhere
 *   any fetch       the data rule for a read, and (EFER.NXE = 0 or no
 *                   entry has XD = 1)
 *
 * Finally a completed access updates the A and D bits (4.8): A in every
 * paging-structure entry used, D in the entry that maps the page, when
 * the access is a write. The model writes them through the checked
 * accessor (memory.h), so a VMM's own dirty log sees the write and a
 * read-only slot keeps its bytes, and only for an access that was
 * allowed.
 *
 * Lab 2 (memory) edits this file: the LAB(2) region in access_allowed()
 * is the rights check a student writes (task 2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "ptwalk.h"

#define CR4_SMEP (1ULL << 20) /* SDM Vol. 3A 2.5: supervisor exec protect */

/* May access `how` (MVM_PT_WRITE/_USER/_FETCH) use the page of the walk
 * w, whose combined rights are w->writable, w->user and w->nx? The table
 * above, from SDM Vol. 3A 4.6.1. 1 = yes, 0 = no. */
static int access_allowed(const struct mvm_pt_walk *w, unsigned how,
			  uint64_t cr0, uint64_t efer)
{
	/* LAB(2, pt-rights) BEGIN */
	int user = !!(how & MVM_PT_USER);

	if (user && !w->user)
		return 0; /* a supervisor-only page */
	if ((how & MVM_PT_WRITE) && !w->writable &&
	    (user || (cr0 & MVM_CR0_WP)))
		return 0; /* read-only, and WP (or CPL 3) enforces it */
	if ((how & MVM_PT_FETCH) && w->nx && (efer & MVM_EFER_NXE))
		return 0; /* execute-disable */
	return 1;
	/* LAB(2) STUB
	// LAB 2: decide whether the access may use the page (task 2).
	// how has MVM_PT_WRITE, MVM_PT_USER and MVM_PT_FETCH bits; the
	// walk's combined rights are w->user, w->writable and w->nx.
	// Hint: the table at the top of this file, from Intel SDM Vol. 3A
	// 4.6.1 (CR0.WP: supervisor writes; EFER.NXE: whether XD counts).
	(void)w;
	(void)how;
	(void)cr0;
	(void)efer;
	return 1;
	LAB(2) END */
}

/* The #PF error code for a walk that stopped with w->fault (SDM Vol. 3A
 * 4.7): P says whether a present entry refused (rights or a reserved
 * bit) rather than a missing one; W and U describe the access; I/D is
 * reported only for fetches with SMEP or with PAE-format tables and NXE. */
static uint32_t error_code(const struct mvm_pt_walk *w,
			   const struct mvm_pt_acc *a)
{
	uint32_t pfec = a->how & (MVM_PFEC_W | MVM_PFEC_U);

	if (a->how & MVM_PT_FETCH) {
		pfec &= ~MVM_PFEC_W; /* a fetch is a read */
		if ((a->cr4 & CR4_SMEP) ||
		    ((a->cr4 & MVM_CR4_PAE) && (a->efer & MVM_EFER_NXE)))
			pfec |= MVM_PFEC_I;
	}
	if (w->fault == MVM_PT_RESERVED)
		pfec |= MVM_PFEC_P | MVM_PFEC_RSVD;
	else if (w->fault == MVM_PT_PROTECTION)
		pfec |= MVM_PFEC_P;
	return pfec;
}

/* Set A in every entry the walk used and D in the leaf for a write
 * (SDM Vol. 3A 4.8), through the checked accessor; a row whose bits are
 * already set costs no write. w->ad_written counts the entries changed. */
static void set_accessed_dirty(const struct mvm_memmap *mem,
			       struct mvm_pt_walk *w,
			       const struct mvm_pt_acc *a)
{
	int i;

	for (i = a->first_ad; i < w->nlevels; i++) {
		struct mvm_pt_level *l = &w->lv[i];
		uint64_t e = l->entry | MVM_PTE_A;
		uint32_t e32;

		if (l->leaf && (a->how & MVM_PT_WRITE))
			e |= MVM_PTE_D;
		if (e == l->entry)
			continue;
		e32 = (uint32_t)e;
		if (mvm_memmap_write(mem, l->entry_gpa,
				     a->esz == 8 ? (void *)&e : (void *)&e32,
				     a->esz, 0))
			continue; /* a read-only slot: the bits stay clear */
		l->entry = e;
		w->ad_written++;
	}
}

int mvm_pt_finish(const struct mvm_memmap *mem, struct mvm_pt_walk *w,
		  const struct mvm_pt_acc *a, int rc)
{
	if (rc == 0 && w->fault == MVM_PT_OK &&
	    !access_allowed(w, a->how, a->cr0, a->efer)) {
		w->fault = MVM_PT_PROTECTION;
		snprintf(w->why, sizeof(w->why),
			 "%s %s at CPL %s to a page that is%s%s%s",
			 a->how & MVM_PT_FETCH	 ? "fetch"
			 : a->how & MVM_PT_WRITE ? "write"
						 : "read",
			 "access", a->how & MVM_PT_USER ? "3" : "0",
			 w->user ? " user" : " supervisor-only",
			 w->writable ? " writable" : " read-only",
			 w->nx ? " no-execute" : "");
		rc = -EFAULT;
	}
	switch (w->fault) {
	case MVM_PT_OK:
	case MVM_PT_NO_PAGING:
	case MVM_PT_BAD_TABLE:	 /* the VMM's problem: no guest exception */
	case MVM_PT_UNSUPPORTED: /* not modelled */
		w->vector = 0;
		break;
	case MVM_PT_NONCANONICAL:
		w->vector = MVM_VEC_GP;
		break;
	default:
		w->vector = MVM_VEC_PF;
		w->pfec = error_code(w, a);
		break;
	}
	if (rc == 0 && w->fault == MVM_PT_OK && (a->how & MVM_PT_SET_AD))
		set_accessed_dirty(mem, w, a);
	return rc;
}
