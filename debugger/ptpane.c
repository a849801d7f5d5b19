/*
 * ptpane.c - the page-table pane: one guest-virtual address walked from
 * CR3 down, and the map of all mappings (`info mem`).
 *
 * The walk itself is the library's mvm_pt_walk() (4-level paging, Intel
 * SDM Vol. 3A 4.5); this file only lays it out so that each row answers
 * the questions a student has when a guest faults: which entry, where in
 * memory, what value, which flags, and where it points next. The last
 * row says where the guest-physical address finally lands: which memory
 * slot and which host address backs it - the whole two-stage
 * translation (guest-virtual -> guest-physical -> host-virtual) that a
 * VMM performs for the guest.
 */
#include <stdio.h>

#include "panes.h"

static const char *level_name(int level)
{
	static const char *const names[] = {"?",    "PT",   "PD",
					    "PDPT", "PML4", "PML5"};
	return level >= 1 && level <= 5 ? names[level] : "?";
}

/* Size of the page a leaf entry at `level` maps (SDM Vol. 3A 4.5.4). */
static const char *page_size_name(uint64_t size)
{
	return size == (1ULL << 30)   ? "1 GiB"
	       : size == (1ULL << 21) ? "2 MiB"
				      : "4 KiB";
}

static void level_row(struct dbg_text *t, const struct mvm_pt_level *lv,
		      int last)
{
	char flags[80];
	if (mvm_pte_flags_str(lv->entry, lv->level, flags, sizeof(flags)) < 0)
		snprintf(flags, sizeof(flags), "?");
	uint64_t next = lv->entry & MVM_PTE_ADDR;
	dbg_text_line(t,
		      last && !(lv->entry & MVM_PTE_P) ? DBG_A_ERROR
						       : DBG_A_NORMAL,
		      "%-4s[%3llu] @0x%08llx = %016llx  %-18s",
		      level_name(lv->level), (unsigned long long)lv->index,
		      (unsigned long long)lv->entry_gpa,
		      (unsigned long long)lv->entry, flags);
	if (!(lv->entry & MVM_PTE_P))
		dbg_text_add(t, DBG_A_ERROR, " not present");
	else if (lv->leaf)
		dbg_text_add(t, DBG_A_NORMAL, " -> page 0x%llx",
			     (unsigned long long)next);
	else if (!last)
		dbg_text_add(t, DBG_A_NORMAL, " -> %s 0x%llx",
			     level_name(lv->level - 1),
			     (unsigned long long)next);
}

/* Where the guest-physical address lives on the host. */
static void landing_row(struct dbg_text *t, const struct mvm_memmap *mem,
			uint64_t gpa, int stable)
{
	const struct mvm_slot *s = mvm_memmap_find(mem, gpa);
	if (!s) {
		dbg_text_line(t, DBG_A_ERROR,
			      "gpa 0x%llx is in no memory slot: an access "
			      "exits to the VMM as MMIO",
			      (unsigned long long)gpa);
		return;
	}
	dbg_text_line(t, DBG_A_NORMAL, "gpa 0x%llx: slot %u [0x%llx-0x%llx]%s",
		      (unsigned long long)gpa, s->id,
		      (unsigned long long)s->gpa,
		      (unsigned long long)(s->gpa + s->size - 1),
		      (s->flags & MVM_MEM_READONLY) ? " read-only" : "");
	if (stable)
		dbg_text_add(t, DBG_A_NORMAL, " host +0x%llx",
			     (unsigned long long)(gpa - s->gpa));
	else
		dbg_text_add(t, DBG_A_NORMAL, " host %p",
			     (void *)(s->hva + (gpa - s->gpa)));
}

/* Without paging there is nothing to walk; say what translation is. */
static int unpaged(struct dbg_text *t, const struct kvm_sregs *s)
{
	if (!(s->cr0 & MVM_CR0_PE))
		dbg_text_line(t, DBG_A_TITLE,
			      "real mode: no page tables; linear address = "
			      "segment base + offset (segment * 16)");
	else if (!(s->cr0 & MVM_CR0_PG))
		dbg_text_line(t, DBG_A_TITLE,
			      "protected mode, paging off (CR0.PG = 0): "
			      "linear address = physical address");
	else
		return 0;
	return 1;
}

void dbg_render_walk(const struct mvm_memmap *mem,
		     const struct kvm_sregs *sregs, uint64_t gva, int stable,
		     struct dbg_text *t)
{
	if (unpaged(t, sregs)) {
		landing_row(t, mem, gva, stable);
		return;
	}
	struct mvm_pt_walk w;
	int rc = mvm_pt_walk(mem, sregs->cr0, sregs->cr3, sregs->cr4,
			     sregs->efer, gva, &w);
	/* Which format CR4.PAE and EFER.LMA select (SDM Vol. 3A 4.1.1). */
	const char *kind = (sregs->efer & MVM_EFER_LMA) ? "4-level paging"
			   : (sregs->cr4 & MVM_CR4_PAE) ? "PAE paging"
							: "32-bit paging";
	dbg_text_line(t, DBG_A_TITLE, "walk of 0x%016llx from CR3 0x%llx (%s)",
		      (unsigned long long)gva, (unsigned long long)sregs->cr3,
		      kind);
	for (int i = 0; i < w.nlevels && i < 5; i++)
		level_row(t, &w.lv[i], i == w.nlevels - 1);
	if (rc == 0 && w.fault == MVM_PT_OK) {
		dbg_text_line(t, DBG_A_TITLE, "=> 0x%llx (%s page, %s, %s, %s)",
			      (unsigned long long)w.gpa,
			      page_size_name(w.page_size),
			      w.writable ? "writable" : "read-only",
			      w.user ? "user" : "supervisor",
			      w.nx ? "no-execute" : "executable");
		landing_row(t, mem, w.gpa, stable);
		return;
	}
	dbg_text_line(t, DBG_A_ERROR, "walk fails: %s%s%s",
		      mvm_pt_fault_name(w.fault), w.why[0] ? ": " : "", w.why);
}

struct map_ctx {
	struct dbg_text *t;
	int n;
};

static int map_row(void *ctx, const struct mvm_pt_range *r)
{
	struct map_ctx *m = ctx;
	char size[32];
	if (r->size >= (1ULL << 30) && r->size % (1ULL << 30) == 0)
		snprintf(size, sizeof(size), "%llu GiB",
			 (unsigned long long)(r->size >> 30));
	else if (r->size >= (1ULL << 20) && r->size % (1ULL << 20) == 0)
		snprintf(size, sizeof(size), "%llu MiB",
			 (unsigned long long)(r->size >> 20));
	else
		snprintf(size, sizeof(size), "%llu KiB",
			 (unsigned long long)(r->size >> 10));
	dbg_text_line(m->t, DBG_A_NORMAL,
		      "%016llx-%016llx %9s -> %010llx  r%c%c %s",
		      (unsigned long long)r->va,
		      (unsigned long long)(r->va + r->size - 1), size,
		      (unsigned long long)r->pa, r->writable ? 'w' : '-',
		      r->nx ? '-' : 'x', r->user ? "user" : "supervisor");
	m->n++;
	return 0;
}

void dbg_render_ptmap(const struct mvm_memmap *mem,
		      const struct kvm_sregs *sregs, struct dbg_text *t)
{
	if (unpaged(t, sregs))
		return;
	if (!(sregs->efer & MVM_EFER_LMA)) {
		dbg_text_line(t, DBG_A_ERROR,
			      "only 4-level (long mode) tables are listed");
		return;
	}
	struct map_ctx m = {t, 0};
	dbg_text_line(t, DBG_A_TITLE, "%-33s %9s    %-10s  perm",
		      "virtual range", "size", "physical");
	int rc = mvm_pt_for_each_range_efer(mem, sregs->cr3, sregs->efer,
					    map_row, &m);
	if (rc < 0)
		dbg_text_line(t, DBG_A_ERROR,
			      "cannot read the tables at CR3 "
			      "0x%llx (error %d)",
			      (unsigned long long)sregs->cr3, rc);
	else if (m.n == 0)
		dbg_text_line(t, DBG_A_NORMAL, "no present mappings");
}
