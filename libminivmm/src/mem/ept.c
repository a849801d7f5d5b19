/*
 * ept.c - a model of Extended Page Tables: GPA -> host address.
 *
 * EPT is the second set of page tables a VT-x CPU walks (Intel SDM Vol.
 * 3C 29.3). The shape is the guest's 4-level shape again - four levels
 * of 512 eight-byte entries, bits 47:39, 38:30, 29:21 and 20:12 of the
 * guest-physical address index them, PS = 1 in a PDPTE or PDE ends the
 * walk at a 1 GiB or 2 MiB page - but the bits differ (29.3.2):
 *
 *   bit 0 R, 1 W, 2 X     rights; an entry is present if any is set
 *   bits 5:3              leaf memory type (6 = write-back)
 *   bit 7                 PS in a PDPTE/PDE (reserved in a PML4E)
 *   bits 8, 9             accessed, dirty
 *   bits 51:12            the next table, or the page
 *
 * There is no U/S bit: EPT rights apply to every guest access, at any
 * CPL. A right must be granted at every level (29.3.3.2). A missing
 * entry or a missing right is an *EPT violation* (a VM exit the VMM
 * handles: KVM turns a GPA without a slot into KVM_EXIT_MMIO); an entry
 * that cannot be valid (W without R, reserved bits) is an *EPT
 * misconfiguration* (29.3.3.1).
 *
 * The builder mirrors the slot table (memory.h): each slot's pages map
 * to the slot's host memory, with the largest leaf that fits. A huge
 * leaf needs its GPA *and* its host address aligned to its size, which
 * is why KVM backs guests with huge pages only when the VMM's mmap() is
 * aligned the same way (mvm_ept_create() checks both, as KVM does).
 *
 * The model's tables live in one pool of 4 KiB pages the model owns; a
 * table address is a host address into the pool, and the walk follows
 * only addresses that are pool tables (table_at()), so a corrupt entry
 * ends a walk with MVM_EPT_BAD_TABLE, never a wild read.
 *
 * Lab 2 (memory) edits this file: the LAB(2) regions are the builder's
 * loop over one slot (task 3) and the walk (task 4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ENTRIES	  512
#define TABLE	  4096ULL
/* Non-leaf entries grant everything; the leaves decide (29.3.3.2). */
#define EPT_DIR	  (MVM_EPT_R | MVM_EPT_W | MVM_EPT_X)
/* EPTP (SDM Vol. 3C 25.6.11): memory type WB (6) in bits 2:0, the walk
 * length minus one (3: four levels) in bits 5:3. */
#define EPTP_BITS (6ULL | 3ULL << 3)

static unsigned shift_of(int level)
{
	return 12 + 9 * (unsigned)(level - 1);
}

int mvm_page_levels(uint64_t page_size)
{
	switch (page_size) {
	case MVM_PAGE_4K:
		return 4;
	case MVM_PAGE_2M:
		return 3;
	case MVM_PAGE_1G:
		return 2;
	default:
		return -EINVAL;
	}
}

/* The pool table at host address hpa, or NULL when hpa is not one. */
static uint64_t *table_at(const struct mvm_ept *e, uint64_t hpa)
{
	uint64_t base = (uint64_t)(uintptr_t)e->pool;

	if (hpa < base || (hpa - base) % TABLE ||
	    (hpa - base) / TABLE >= e->ntables)
		return NULL;
	return (uint64_t *)(uintptr_t)hpa;
}

/* A zeroed table from the pool; its host address, or 0 when full. */
static uint64_t new_table(struct mvm_ept *e)
{
	uint8_t *t;

	if (e->ntables == e->max_tables)
		return 0;
	t = e->pool + e->ntables++ * TABLE;
	memset(t, 0, TABLE);
	return (uint64_t)(uintptr_t)t;
}

/*
 * Put a leaf for gpa at `level` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) mapping
 * host address hpa with rights `rights`, making the tables on the way.
 * 0, -ENOSPC (pool full) or -EEXIST (a leaf already covers gpa).
 */
static int ept_map(struct mvm_ept *e, uint64_t gpa, uint64_t hpa, int level,
		   uint64_t rights)
{
	uint64_t *t = table_at(e, e->eptp & MVM_EPT_ADDR);
	int l;

	for (l = 4; l > level; l--) {
		uint64_t *ent = &t[(gpa >> shift_of(l)) & (ENTRIES - 1)];

		if (!(*ent & EPT_DIR)) {
			uint64_t next = new_table(e);

			if (!next)
				return -ENOSPC;
			*ent = next | EPT_DIR;
		} else if (*ent & MVM_EPT_PS) {
			return -EEXIST;
		}
		t = table_at(e, *ent & MVM_EPT_ADDR);
	}
	t[(gpa >> shift_of(level)) & (ENTRIES - 1)] =
		(hpa & MVM_EPT_ADDR) | rights | MVM_EPT_MT_WB |
		(level > 1 ? MVM_EPT_PS : 0);
	e->leaves[level]++;
	return 0;
}

/* Map every page of slot s with the largest leaf that fits (see the top
 * of the file); 0 or ept_map()'s error. */
static int map_slot(struct mvm_ept *e, const struct mvm_slot *s)
{
	/* LAB(2, ept-build) BEGIN */
	uint64_t rights = MVM_EPT_R | MVM_EPT_X, off = 0;
	int rc;

	if (!(s->flags & MVM_MEM_READONLY))
		rights |= MVM_EPT_W; /* ROM: a write is an EPT violation */
	while (off < s->size) {
		uint64_t gpa = s->gpa + off;
		uint64_t hpa = (uint64_t)(uintptr_t)s->hva + off;
		int level = 3;

		/* Largest first: aligned on both sides, inside the slot. */
		while (level > 1 && ((1ULL << shift_of(level)) > e->max_leaf ||
				     (gpa | hpa) % (1ULL << shift_of(level)) ||
				     s->size - off < 1ULL << shift_of(level)))
			level--;
		rc = ept_map(e, gpa, hpa, level, rights);
		if (rc)
			return rc;
		off += 1ULL << shift_of(level);
	}
	return 0;
	/* LAB(2) STUB
	// LAB 2: map slot s into the EPT (task 3): walk its pages from
	// s->gpa, host address s->hva + offset, and call ept_map() with the
	// largest level (3: 1 GiB, 2: 2 MiB, 1: 4 KiB) whose size is at most
	// e->max_leaf, divides both addresses, and fits in what is left of
	// the slot. Rights: R and X, plus W unless MVM_MEM_READONLY.
	// Hint: Intel SDM Vol. 3C 29.3.2 (Tables 29-2 .. 29-6).
	(void)e;
	(void)s;
	(void)ept_map;
	return 0;
	LAB(2) END */
}

/* An upper bound on the tables of the slots of mem: one PML4, and per
 * slot at most one partial PDPT, PD and PT at each end. */
static size_t tables_bound(const struct mvm_memmap *mem)
{
	size_t n = 1;
	int i;

	for (i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];

		if (!s->used)
			continue;
		n += 2 + s->size / (512ULL << 30) + 2 + s->size / MVM_PAGE_1G +
		     2 + s->size / MVM_PAGE_2M;
	}
	return n;
}

int mvm_ept_create(const struct mvm_memmap *mem, uint64_t max_leaf,
		   struct mvm_ept **out)
{
	struct mvm_ept *e;
	void *pool;
	int i, rc;

	if (!mem || !out || mvm_page_levels(max_leaf) < 0)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->max_leaf = max_leaf;
	e->max_tables = tables_bound(mem);
	if (posix_memalign(&pool, TABLE, e->max_tables * TABLE)) {
		rc = -ENOMEM;
		goto err;
	}
	e->pool = pool;
	e->eptp = new_table(e) | EPTP_BITS;
	for (i = 0; i < MVM_MAX_SLOTS; i++) {
		if (!mem->slots[i].used)
			continue;
		rc = map_slot(e, &mem->slots[i]);
		if (rc)
			goto err;
	}
	*out = e;
	return 0;
err:
	mvm_ept_destroy(e);
	return rc;
}

void mvm_ept_destroy(struct mvm_ept *e)
{
	if (!e)
		return;
	free(e->pool);
	free(e);
}

/* Bits that must be 0 (SDM Vol. 3C 29.3.3.1): bit 7 of a PML4E, bits
 * 7:3 of a non-leaf entry, the offset bits of a huge leaf's address. A
 * leaf memory type of 2, 3 or 7 is reserved too (checked below). */
static uint64_t ept_reserved(int level, int leaf)
{
	if (!leaf)
		return 0xf8ULL;
	if (level == 3)
		return 0x3ffff000ULL;
	if (level == 2)
		return 0x1ff000ULL;
	return 0;
}

static int misconfigured(const struct mvm_ept_level *l)
{
	uint64_t mt = (l->entry >> 3) & 7;

	if ((l->entry & MVM_EPT_W) && !(l->entry & MVM_EPT_R))
		return 1; /* write-only */
	if (l->entry & ept_reserved(l->level, l->leaf))
		return 1;
	return l->leaf && (mt == 2 || mt == 3 || mt == 7);
}

/* The rights the access needs: R for a read, W for a write, X for a
 * fetch (SDM Vol. 3C 29.3.3.2). */
static uint64_t needed(unsigned how)
{
	if (how & MVM_PT_FETCH)
		return MVM_EPT_X;
	return how & MVM_PT_WRITE ? MVM_EPT_W : MVM_EPT_R;
}

/* Read the entry described by w->lv[w->nlevels] (level, index and
 * entry_hpa set) and judge it; 0 = go on, -EFAULT = stopped. */
static int ept_read(const struct mvm_ept *e, struct mvm_ept_walk *w)
{
	struct mvm_ept_level *l = &w->lv[w->nlevels];
	uint64_t *t = table_at(e, l->entry_hpa & ~(TABLE - 1));

	if (!t) {
		w->fault = MVM_EPT_BAD_TABLE;
		return -EFAULT;
	}
	l->entry = t[l->index];
	w->nlevels++;
	if (!(l->entry & EPT_DIR)) {
		w->fault = MVM_EPT_VIOLATION; /* not present */
		return -EFAULT;
	}
	l->leaf = l->level == 1 || (l->level <= 3 && (l->entry & MVM_EPT_PS));
	if (misconfigured(l)) {
		w->fault = MVM_EPT_MISCONFIG;
		return -EFAULT;
	}
	w->rights &= l->entry & EPT_DIR;
	return 0;
}

int mvm_ept_translate(const struct mvm_ept *e, uint64_t gpa, unsigned how,
		      struct mvm_ept_walk *w)
{
	if (!e || !w)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->gpa = gpa;
	w->rights = EPT_DIR;
	if (gpa >> 48) { /* beyond a 4-level EPT: no entry maps it */
		w->fault = MVM_EPT_VIOLATION;
		return -EFAULT;
	}
	/* [slide:ept-walk] */
	/* LAB(2, ept-walk) BEGIN */
	uint64_t table = e->eptp & MVM_EPT_ADDR;
	int level, rc;

	for (level = 4; level >= 1; level--) {
		struct mvm_ept_level *l = w->lv + w->nlevels;

		l->level = level;
		l->index = (gpa >> shift_of(level)) & (ENTRIES - 1);
		l->entry_hpa = table + l->index * 8;
		rc = ept_read(e, w);
		if (rc)
			return rc;
		if (l->leaf) {
			w->page_size = 1ULL << shift_of(level);
			w->hpa = (l->entry & MVM_EPT_ADDR &
				  ~(w->page_size - 1)) |
				 (gpa & (w->page_size - 1));
			break;
		}
		table = l->entry & MVM_EPT_ADDR;
	}
	if (!(w->rights & needed(how))) {
		w->fault = MVM_EPT_VIOLATION; /* e.g. a write to ROM */
		return -EFAULT;
	}
	return 0;
	/* LAB(2) STUB
	// LAB 2: walk the EPT from e->eptp's table down to the leaf for gpa
	// (task 4), like the guest walk: per level fill w->lv[w->nlevels]
	// (level, index = 9 bits of gpa at shift_of(level), entry_hpa =
	// table + index * 8) and call ept_read(); at the leaf set page_size
	// and hpa; else follow the entry's address. Then refuse the access
	// unless w->rights has what needed(how) says (MVM_EPT_VIOLATION).
	// Hint: Intel SDM Vol. 3C 29.3.2 and 29.3.3.2.
	(void)how;
	(void)ept_read;
	(void)needed;
	w->fault = MVM_EPT_VIOLATION;
	return -EFAULT;
	LAB(2) END */
	/* [/slide:ept-walk] */
}
