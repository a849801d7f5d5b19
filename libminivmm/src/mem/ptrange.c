/*
 * ptrange.c - every mapping of a 4-level page-table tree, merged into
 * ranges of equal rights, like QEMU's `info mem`.
 *
 * The walk visits each present entry of each table depth first (Intel
 * SDM Vol. 3A 4.5: PML4 -> PDPT -> PD -> PT, with PS = 1 ending it early
 * at a 1 GiB or 2 MiB page), combines the rights along the way the MMU
 * does (SDM Vol. 3A 4.6: RW and US must be 1 at every level, NX at any
 * level wins) and hands neighbouring pages that continue each other
 * exactly - virtually, physically and in rights - to the callback as one
 * range.
 *
 * Which entries count is not decided here: ptwalk.c's entry check says,
 * so an entry with a reserved bit set is a hole here just as it is a
 * fault for mvm_pt_walk().
 */
#include <errno.h>

#include "internal.h"
#include "ptwalk.h"

struct range_walk {
	const struct mvm_memmap *mem;
	mvm_pt_range_fn *fn;
	void *ctx;
	uint64_t efer;		 /* NXE decides whether NX is reserved */
	struct mvm_pt_range cur; /* pending run; size 0 = none */
	unsigned long tables;	 /* tables visited so far */
};

/*
 * The tables belong to the guest, which may point every entry at the same
 * table: a walk of that would visit 512^4 entries. Stop after this many
 * tables (enough for 128 GiB mapped with 4 KiB pages) with -E2BIG.
 */
#define MAX_TABLES 65536UL

/* Hand the pending run to the callback and start a new, empty one. */
static int flush(struct range_walk *rw)
{
	int rc = 0;

	if (rw->cur.size)
		rc = rw->fn(rw->ctx, &rw->cur);
	rw->cur.size = 0;
	return rc;
}

/* Add one leaf mapping; extend the run when it continues it exactly. */
static int add_page(struct range_walk *rw, const struct mvm_pt_range *p)
{
	struct mvm_pt_range *c = &rw->cur;
	int rc;

	if (c->size && c->va + c->size == p->va && c->pa + c->size == p->pa &&
	    c->writable == p->writable && c->user == p->user &&
	    c->nx == p->nx) {
		c->size += p->size;
		return 0;
	}
	rc = flush(rw);
	*c = *p;
	return rc;
}

/* Sign-extend bit 47 so upper-half addresses come out canonical. */
static uint64_t canon(uint64_t va)
{
	return (uint64_t)(((int64_t)(va << 16)) >> 16);
}

/* Visit table at `gpa` (level 4..1) mapping from `va` with rights `in`.
 * An entry the MMU would not use (not present, or a reserved bit set:
 * mvm_pt_entry_check64) is a hole, exactly where mvm_pt_walk() would fail. */
static int visit(struct range_walk *rw, uint64_t gpa, int level, uint64_t va,
		 const struct mvm_pt_range *in)
{
	const uint64_t *t = mvm_memmap_hva(rw->mem, gpa, 4096);
	int shift = 12 + 9 * (level - 1), i, rc, leaf;

	if (!t)
		return -EFAULT;
	if (++rw->tables > MAX_TABLES)
		return -E2BIG;
	for (i = 0; i < 512; i++) {
		uint64_t e = t[i];
		struct mvm_pt_range r = *in;

		if (mvm_pt_entry_check64(level, e, rw->efer, &leaf) !=
		    MVM_PT_OK) {
			rc = flush(rw); /* a hole ends the run */
			if (rc)
				return rc;
			continue;
		}
		r.va = canon(va + ((uint64_t)i << shift));
		r.writable &= !!(e & MVM_PTE_RW);
		r.user &= !!(e & MVM_PTE_US);
		r.nx |= !!(e & MVM_PTE_NX);
		if (leaf) {
			r.size = 1ULL << shift;
			r.pa = e & MVM_PTE_ADDR & ~(r.size - 1);
			rc = add_page(rw, &r);
		} else {
			rc = visit(rw, e & MVM_PTE_ADDR, level - 1, r.va, &r);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int mvm_pt_for_each_range_efer(const struct mvm_memmap *mem, uint64_t cr3,
			       uint64_t efer, mvm_pt_range_fn *fn, void *ctx)
{
	struct range_walk rw = {.mem = mem, .fn = fn, .ctx = ctx, .efer = efer};
	struct mvm_pt_range all = {.writable = 1, .user = 1};
	int rc;

	if (!mem || !fn)
		return -EINVAL;
	rc = visit(&rw, cr3 & MVM_PTE_ADDR, 4, 0, &all);
	if (rc == 0)
		rc = flush(&rw);
	return rc;
}

/* EFER as mvm_vcpu_setup_mode() leaves it for long mode: NX is a right. */
int mvm_pt_for_each_range(const struct mvm_memmap *mem, uint64_t cr3,
			  mvm_pt_range_fn *fn, void *ctx)
{
	return mvm_pt_for_each_range_efer(
		mem, cr3, MVM_EFER_LME | MVM_EFER_LMA | MVM_EFER_NXE, fn, ctx);
}
