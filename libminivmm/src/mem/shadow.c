/*
 * shadow.c - shadow page tables: GVA -> host, built from the guest's own
 * tables and kept in sync by write-protecting them (Lab 2).
 *
 * The design is in shadow.h. Here:
 *
 *   shadow tables  x86-64 format (SDM Vol. 3A 4.5), 512 8-byte entries
 *                  per 4 KiB table, in host memory. A non-leaf entry
 *                  holds the host address of the next table; a leaf (PT
 *                  level) holds the host address of the guest's page and
 *                  the permissions of the whole guest walk. Bits 9-11 are
 *                  ignored by the MMU (Table 4-20), so two of them record
 *                  what the model needs besides: the guest's own R/W, and
 *                  "this GPA is not memory" (an MMIO leaf, P = 0, so every
 *                  access would fault to the hypervisor, as KVM's MMIO
 *                  SPTEs do).
 *   uses           every guest table page a fill walked through, with the
 *                  level it served at and the virtual address its entry 0
 *                  covers there. A guest write to entry i of that page
 *                  changes the translation of exactly the range
 *                  va_base + i * (size at that level): that range is what
 *                  a trap drops from the shadow. A page can serve several
 *                  address spaces or levels (shared or self-referencing
 *                  tables); each is a use, so every shadow entry built
 *                  from a page is found again.
 *
 * Why nothing here can loop: a fill is one mvm_pt_walk() (four reads at
 * most, whatever the guest wrote), shadow tables are walked top-down a
 * fixed four levels, and the uses table has a fixed capacity.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "minivmm/shadow.h"
#include "shadow_internal.h"

#define SH_GUEST_RW (1ULL << 9)	 /* the guest's tables allow writes */
#define SH_MMIO	    (1ULL << 10) /* leaf for a GPA outside every slot */

static unsigned shift(int level)
{
	return 12 + 9 * (unsigned)(level - 1);
}

static unsigned idx(uint64_t va, int level)
{
	return (unsigned)(va >> shift(level)) & 511;
}

/* Sign-extend bit 47 (SDM Vol. 1 3.3.7.1): uses add entry offsets to a
 * base, which can leave the canonical form for the top half. */
static uint64_t canon(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16);
}

static uint64_t *table_of(uint64_t e)
{
	return (uint64_t *)(uintptr_t)(e & MVM_PTE_ADDR);
}

static uint64_t *table_alloc(struct mvm_shadow *sh)
{
	uint64_t *t = aligned_alloc(4096, 4096);

	if (t) {
		memset(t, 0, 4096);
		sh->st.tables++;
	}
	return t;
}

/* Free table t of `level` and everything below it. */
static void table_free(struct mvm_shadow *sh, uint64_t *t, int level)
{
	if (!t)
		return;
	for (int i = 0; level > 1 && i < 512; i++)
		if (t[i] & MVM_PTE_P)
			table_free(sh, table_of(t[i]), level - 1);
	free(t);
	sh->st.tables--;
}

/* The leaf slot of va in root r, making tables on the way when `make`;
 * NULL when a table is missing (and not made) or allocation fails. */
static uint64_t *leaf_slot(struct mvm_shadow *sh, struct sh_root *r,
			   uint64_t va, int make)
{
	uint64_t *t = r->pml4;

	for (int level = 4; level > 1; level--) {
		uint64_t *e = &t[idx(va, level)];

		if (!(*e & MVM_PTE_P)) {
			uint64_t *n = make ? table_alloc(sh) : NULL;

			if (!n)
				return NULL;
			*e = (uint64_t)(uintptr_t)n | MVM_PTE_P;
		}
		t = table_of(*e);
	}
	return &t[idx(va, 1)];
}

int mvm_sh_zap(struct mvm_shadow *sh, struct sh_root *r, uint64_t va, int level)
{
	uint64_t *t = r->pml4, *e;

	for (int l = 4; l > level; l--) {
		e = &t[idx(va, l)];
		if (!(*e & MVM_PTE_P))
			return 0;
		t = table_of(*e);
	}
	e = &t[idx(va, level)];
	if (!*e)
		return 0;
	if (level > 1)
		table_free(sh, table_of(*e), level - 1);
	*e = 0;
	sh->st.zaps++;
	return 1;
}

int mvm_shadow_is_protected(const struct mvm_shadow *sh, uint64_t gpa)
{
	for (size_t i = 0; sh && i < sh->nuses; i++)
		if (sh->uses[i].page == (gpa & ~0xfffULL))
			return 1;
	return 0;
}

/* A page just became protected: leaves that map it writable lose R/W. */
static void wp_existing(struct mvm_shadow *sh, uint64_t *t, int level,
			uint64_t host)
{
	for (int i = 0; i < 512; i++) {
		if (level > 1 && (t[i] & MVM_PTE_P))
			wp_existing(sh, table_of(t[i]), level - 1, host);
		else if (level == 1 && !(t[i] & SH_MMIO) &&
			 (t[i] & MVM_PTE_ADDR) == host)
			t[i] &= ~MVM_PTE_RW;
	}
}

/* Record that guest table page `page` served at `level` for the range
 * starting at va_base. -ENOSPC when the table of uses is full. */
static int add_use(struct mvm_shadow *sh, uint64_t page, int level,
		   uint64_t va_base)
{
	int known = mvm_shadow_is_protected(sh, page);
	const void *host;

	for (size_t i = 0; i < sh->nuses; i++) {
		const struct sh_use *u = &sh->uses[i];

		if (u->page == page && u->level == level &&
		    u->va_base == va_base)
			return 0;
	}
	if (sh->nuses == SH_MAX_USES)
		return -ENOSPC;
	sh->uses[sh->nuses++] = (struct sh_use){page, level, va_base};
	if (known)
		return 0;
	sh->st.protected_pages++;
	host = mvm_memmap_hva(sh->mem, page, 4096);
	for (int i = 0; host && i < MVM_SHADOW_ROOTS; i++)
		if (sh->roots[i].pml4)
			wp_existing(sh, sh->roots[i].pml4, 4,
				    (uint64_t)(uintptr_t)host);
	return 0;
}

/* Host address -> guest-physical, through the slot that holds it. */
static uint64_t host_to_gpa(const struct mvm_memmap *m, uint64_t host)
{
	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &m->slots[i];
		uint64_t base = (uint64_t)(uintptr_t)s->hva;

		if (s->used && host >= base && host - base < s->size)
			return s->gpa + (host - base);
	}
	return 0;
}

static void from_leaf(const struct mvm_shadow *sh, uint64_t leaf,
		      struct mvm_shadow_xlate *x)
{
	uint64_t off = x->gva & 0xfff;

	x->fault = MVM_PT_OK;
	x->writable = !!(leaf & SH_GUEST_RW);
	x->user = !!(leaf & MVM_PTE_US);
	x->nx = !!(leaf & MVM_PTE_NX);
	x->mmio = !!(leaf & SH_MMIO);
	if (x->mmio) {
		x->gpa = (leaf & MVM_PTE_ADDR) | off;
		x->hpa = 0;
		return;
	}
	x->hpa = (leaf & MVM_PTE_ADDR) | off;
	x->gpa = host_to_gpa(sh->mem, x->hpa);
	x->write_protected = x->writable && !(leaf & MVM_PTE_RW);
}

/* The leaf for a finished guest walk: host page and combined rights. */
static uint64_t make_leaf(struct mvm_shadow *sh, const struct mvm_pt_walk *w)
{
	uint64_t page = w->gpa & ~0xfffULL, leaf;
	void *host = mvm_memmap_hva(sh->mem, page, 4096);

	leaf = (w->user ? MVM_PTE_US : 0) | (w->nx ? MVM_PTE_NX : 0) |
	       (w->writable ? SH_GUEST_RW : 0);
	if (!host)
		return leaf | SH_MMIO | page;
	leaf |= MVM_PTE_P | (uint64_t)(uintptr_t)host;
	if (w->writable && !mvm_shadow_is_protected(sh, page))
		leaf |= MVM_PTE_RW;
	return leaf;
}

/* A shadow miss: walk the guest's tables, protect every table page the
 * walk read, then install the leaf in the current root. */
int mvm_sh_fill(struct mvm_shadow *sh, uint64_t gva, struct mvm_shadow_xlate *x)
{
	struct mvm_pt_walk w;
	uint64_t *slot;
	int rc;

	if (mvm_pt_walk(sh->mem, sh->cr0, sh->cur->cr3, sh->cr4, sh->efer, gva,
			&w)) {
		sh->st.guest_faults++;
		x->fault = w.fault;
		return -EFAULT;
	}
	for (int i = 0; i < w.nlevels; i++) {
		const struct mvm_pt_level *l = &w.lv[i];
		uint64_t span = 1ULL << (shift(l->level) + 9);

		rc = add_use(sh, l->entry_gpa & ~0xfffULL, l->level,
			     gva & ~(span - 1));
		if (rc)
			return rc;
	}
	slot = leaf_slot(sh, sh->cur, gva, 1);
	if (!slot)
		return -ENOMEM;
	*slot = make_leaf(sh, &w);
	sh->st.fills++;
	from_leaf(sh, *slot, x);
	return 0;
}

int mvm_shadow_translate(struct mvm_shadow *sh, uint64_t gva,
			 struct mvm_shadow_xlate *x)
{
	uint64_t *slot;

	if (!sh || !x || !sh->cur)
		return -EINVAL;
	memset(x, 0, sizeof(*x));
	x->gva = gva;
	if (canon(gva) != gva) { /* the shadow index ignores bits 63:48 */
		sh->st.guest_faults++;
		x->fault = MVM_PT_NONCANONICAL;
		return -EFAULT;
	}
	slot = leaf_slot(sh, sh->cur, gva, 0);
	if (slot && *slot) {
		from_leaf(sh, *slot, x);
		return 0;
	}
	x->filled = 1;
	return mvm_sh_fill(sh, gva, x);
}

/* --- create, CR3, destroy --------------------------------------------- */

int mvm_shadow_create(const struct mvm_memmap *mem, struct mvm_shadow **out)
{
	struct mvm_shadow *sh;

	if (!mem || !out)
		return -EINVAL;
	*out = NULL;
	sh = calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	sh->uses = calloc(SH_MAX_USES, sizeof(*sh->uses));
	if (!sh->uses) {
		free(sh);
		return -ENOMEM;
	}
	sh->mem = mem;
	*out = sh;
	return 0;
}

void mvm_shadow_flush(struct mvm_shadow *sh)
{
	uint64_t zaps = sh ? sh->st.zaps : 0;

	for (int i = 0; sh && i < MVM_SHADOW_ROOTS; i++)
		if (sh->roots[i].pml4)
			for (int e = 0; e < 512; e++)
				mvm_sh_zap(sh, &sh->roots[i], (uint64_t)e << 39,
					   4);
	if (sh)
		sh->st.zaps = zaps; /* a flush is not a trap's doing */
}

void mvm_shadow_destroy(struct mvm_shadow *sh)
{
	if (!sh)
		return;
	for (int i = 0; i < MVM_SHADOW_ROOTS; i++)
		table_free(sh, sh->roots[i].pml4, 4);
	free(sh->uses);
	free(sh);
}

/* 4-level paging (SDM Vol. 3A 4.1.1, Table 4-1) is all the model does. */
static int four_level(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	return (cr0 & MVM_CR0_PG) && (cr4 & MVM_CR4_PAE) &&
	       (efer & MVM_EFER_LMA) && !(cr4 & MVM_CR4_LA57);
}

int mvm_shadow_load_cr3(struct mvm_shadow *sh, uint64_t cr0, uint64_t cr3,
			uint64_t cr4, uint64_t efer)
{
	struct sh_root *r = NULL;

	if (!sh)
		return -EINVAL;
	if (!four_level(cr0, cr4, efer))
		return -EOPNOTSUPP;
	sh->cr0 = cr0;
	sh->cr4 = cr4;
	sh->efer = efer;
	sh->st.cr3_loads++;
	cr3 &= MVM_PTE_ADDR;
	for (int i = 0; i < MVM_SHADOW_ROOTS && !r; i++)
		if (sh->roots[i].pml4 && sh->roots[i].cr3 == cr3)
			r = &sh->roots[i];
	if (!r) { /* a CR3 not seen: the free or least recently used root */
		r = &sh->roots[0];
		for (int i = 1; i < MVM_SHADOW_ROOTS; i++)
			if (!sh->roots[i].pml4 ||
			    (r->pml4 && sh->roots[i].last < r->last))
				r = &sh->roots[i];
		table_free(sh, r->pml4, 4);
		r->pml4 = table_alloc(sh);
		if (!r->pml4)
			return -ENOMEM;
		r->cr3 = cr3;
		sh->st.roots_built++;
	}
	r->last = ++sh->clock;
	sh->cur = r;
	return 0;
}

void mvm_shadow_get_stats(const struct mvm_shadow *sh,
			  struct mvm_shadow_stats *st)
{
	if (sh && st)
		*st = sh->st;
}
