/*
 * walk2d.c - the two-dimensional walk: GVA -> GPA -> host address.
 *
 * On a TLB miss a CPU with EPT walks the guest's tables (Intel SDM Vol.
 * 3A 4.5), but every address in them - CR3, and each entry's pointer to
 * the next table - is a *guest-physical* address, which the CPU must
 * first translate through the EPT (Vol. 3C 29.3) before it can read the
 * entry. The final GPA of the data is translated once more:
 *
 *                EPT L4  EPT L3  EPT L2  EPT L1  guest entry
 *   gCR3 -> PML4E   1       2       3       4        5
 *   PML4E -> PDPTE  6       7       8       9       10
 *   PDPTE -> PDE   11      12      13      14       15
 *   PDE -> PTE     16      17      18      19       20
 *   PTE -> data    21      22      23      24    (the access)
 *
 * With g guest levels and e EPT levels that is (g + 1)(e + 1) - 1
 * references: 24 for 4 + 4, against 4 without virtualization. A guest
 * huge page removes rows, an EPT huge page columns: 2 MiB on both
 * sides, (3 + 1)(3 + 1) - 1 = 15. (AMD's nested paging, APM Vol. 2
 * 15.25.5, walks the same grid.)
 *
 * mvm_walk2d() makes the walk the way the MMU does and records each
 * reference: which row and column of the grid, the GPA involved and the
 * host address read. The guest's entries are read at the host address
 * the *EPT model* gave, never through mvm_memmap_hva() - that is the
 * point - but only after checking that the address lies in a slot's
 * host memory (host_read()), because a wrong model must not crash the
 * VMM.
 *
 * Lab 2 (memory) edits this file: the LAB(2) region of mvm_walk2d() is
 * the walk a student writes (task 5).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "ptwalk.h"

int mvm_walk2d_refs(int guest_levels, int ept_levels)
{
	if (guest_levels < 2 || guest_levels > 4 || ept_levels < 2 ||
	    ept_levels > 4)
		return -EINVAL;
	return (guest_levels + 1) * (ept_levels + 1) - 1;
}

static void record(struct mvm_walk2d *w, int row, int col, uint64_t gpa,
		   uint64_t addr, uint64_t value)
{
	struct mvm_ref *r;

	if (w->nrefs >= MVM_WALK2D_MAX_REFS)
		return; /* not reached: a 4 x 4 walk makes 24 */
	r = &w->refs[w->nrefs++];
	*r = (struct mvm_ref){.row = row,
			      .col = col,
			      .gpa = gpa,
			      .addr = addr,
			      .value = value};
}

/* Translate gpa through the EPT for access how, recording one reference
 * per EPT entry read in grid row `row`. 0, or -EFAULT (w->ept says). */
static int ept_refs(const struct mvm_ept *e, struct mvm_walk2d *w, int row,
		    uint64_t gpa, unsigned how)
{
	int i, rc = mvm_ept_translate(e, gpa, how, &w->ept);

	for (i = 0; i < w->ept.nlevels; i++)
		record(w, row, w->ept.lv[i].level, gpa, w->ept.lv[i].entry_hpa,
		       w->ept.lv[i].entry);
	if (rc)
		w->ept_failed = 1;
	return rc;
}

/* Read the guest entry at host address hpa (the EPT's answer for gpa),
 * after checking the 8 bytes lie in one slot's host memory; record it in
 * column 0 of `row`. 0 or -EFAULT. */
static int host_read(const struct mvm_memmap *mem, struct mvm_walk2d *w,
		     int row, uint64_t gpa, uint64_t hpa, uint64_t *value)
{
	int i;

	for (i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];
		uint64_t base = (uint64_t)(uintptr_t)s->hva;

		if (s->used && hpa >= base && hpa - base <= s->size - 8) {
			memcpy(value, (const void *)(uintptr_t)hpa, 8);
			record(w, row, 0, gpa, hpa, *value);
			return 0;
		}
	}
	return -EFAULT;
}

/* Stop the guest dimension with fault f (what mvm_pt_walk() would say). */
static int guest_fault(struct mvm_walk2d *w, enum mvm_pt_fault f)
{
	struct mvm_pt_level *l = &w->guest.lv[w->guest.nlevels - 1];

	w->guest.fault = f;
	w->guest.vector = MVM_VEC_PF;
	snprintf(w->guest.why, sizeof(w->guest.why),
		 "guest level %d entry %llu at GPA 0x%llx: %s", l->level,
		 (unsigned long long)l->index, (unsigned long long)l->entry_gpa,
		 mvm_pt_fault_name(f));
	return -EFAULT;
}

static int canonical48(uint64_t va)
{
	int64_t top = (int64_t)va >> 47;

	return top == 0 || top == -1;
}

int mvm_walk2d(const struct mvm_memmap *mem, const struct mvm_ept *e,
	       uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
	       uint64_t gva, unsigned how, struct mvm_walk2d *w)
{
	if (!mem || !e || !w)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->gva = w->guest.gva = gva;
	w->guest.cr3 = cr3;
	if (!(cr0 & MVM_CR0_PG) || !(cr4 & MVM_CR4_PAE) ||
	    !(efer & MVM_EFER_LMA) || (cr4 & MVM_CR4_LA57))
		return -ENOTSUP; /* only 4-level paging is walked here */
	if (!canonical48(gva)) {
		w->guest.fault = MVM_PT_NONCANONICAL;
		w->guest.vector = MVM_VEC_GP;
		return -EFAULT;
	}
	/* [slide:walk2d] */
	/* LAB(2, walk2d) BEGIN */
	uint64_t table = cr3 & MVM_PTE_ADDR; /* a GPA, like every pointer */
	int level;

	for (level = 4; level >= 1; level--) {
		struct mvm_pt_level *l = &w->guest.lv[w->guest.nlevels];
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		enum mvm_pt_fault f;

		l->level = level;
		l->index = (gva >> shift) & 511;
		l->entry_gpa = table + l->index * 8;
		if (ept_refs(e, w, level, l->entry_gpa, 0) ||
		    host_read(mem, w, level, l->entry_gpa, w->ept.hpa,
			      &l->entry))
			return -EFAULT; /* the EPT side failed */
		w->guest.nlevels++;
		f = mvm_pt_entry_check64(level, l->entry, efer, &l->leaf);
		if (f != MVM_PT_OK)
			return guest_fault(w, f);
		if (l->leaf) {
			w->guest_page = 1ULL << shift;
			w->gpa = (l->entry & MVM_PTE_ADDR &
				  ~(w->guest_page - 1)) |
				 (gva & (w->guest_page - 1));
			break;
		}
		table = l->entry & MVM_PTE_ADDR;
	}
	w->guest.gpa = w->gpa;
	if (ept_refs(e, w, 0, w->gpa, how))
		return -EFAULT; /* e.g. a write to a read-only slot */
	w->hpa = w->ept.hpa;
	w->ept_page = w->ept.page_size;
	return 0;
	/* LAB(2) STUB
	// LAB 2: the 2D walk (task 5). For guest levels 4..1: the entry's
	// GPA is (table from cr3, then from each entry) + index * 8; put it
	// through ept_refs() (grid row = the level), read the entry with
	// host_read() at w->ept.hpa, judge it with mvm_pt_entry_check64()
	// (guest_fault() on failure), stop at a leaf (w->guest_page, w->gpa).
	// Then translate w->gpa with ept_refs() in row 0 for the access
	// `how`, and set w->hpa and w->ept_page from w->ept.
	// Hint: the grid at the top of this file; SDM Vol. 3C 29.3.
	(void)how;
	(void)cr3;
	(void)ept_refs;
	(void)host_read;
	(void)guest_fault;
	return -ENOSYS;
	LAB(2) END */
	/* [/slide:walk2d] */
}
