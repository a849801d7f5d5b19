/*
 * ptwalk.c - translating a guest-virtual address the way the MMU does.
 *
 * The main case is x86-64 4-level paging (Intel SDM Vol. 3A 4.5): CR3
 * gives the PML4; bits 47:39, 38:30, 29:21 and 20:12 of the address
 * index the four levels; an entry with PS = 1 in the PDPT (1 GiB) or the
 * PD (2 MiB) ends the walk early. The two 32-bit formats - 32-bit paging
 * (4.3: two levels of 4-byte entries, 4 MiB pages with CR4.PSE) and PAE
 * paging (4.4: a 4-entry PDPT, then 8-byte entries) - are the same walk
 * with other numbers, so they are described by a small table.
 *
 * At every level the walker records the entry it read, so a debugger can
 * show the whole path, and stops with a reason a student can act on
 * ("PDPTE 3 at 0x11018 is not present (P=0)").
 *
 * Access rights combine along the walk (SDM Vol. 3A 4.6): a page is
 * writable only if RW = 1 in *every* entry, user-accessible only if
 * US = 1 in every entry, and not executable if NX = 1 in *any* entry.
 *
 * mvm_pt_for_each_range() (ptrange.c) lists a whole 4-level tree as
 * ranges. Both walks judge an entry with the same entry_check(), so a
 * range is listed exactly when mvm_pt_walk() translates its addresses.
 * What an access may do with the page it found - the rights check, the
 * #PF error code, the A and D bits - is ptaccess.c.
 *
 * Lab 2 (memory) edits this file: the LAB(2) region in walk_levels() is
 * the level loop a student writes (task 1). Do not change the formats,
 * entry_check() or the messages: the debugger, the gdb stub and the exit
 * explainer print them.
 *
 * Every table entry is read through mvm_memmap_read(), the checked
 * accessor of memory.h: the tables belong to the guest, and a table
 * address outside its RAM is an answer (MVM_PT_BAD_TABLE), not a crash.
 * A walk reads at most one entry per level, so no table - not even one
 * whose entries point back at itself - can make it loop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "ptwalk.h"

/*
 * MAXPHYADDR: entry address bits at or above it are reserved (SDM Vol. 3A
 * 4.5, Tables 4-14..4-20, "must be 0"). The guest's value comes from its
 * CPUID leaf 0x80000008, which the walker does not see; 52 is the
 * architectural maximum, so no address bit is flagged that real hardware
 * would accept.
 */
#define MAXPHYADDR 52

static const char *const level_entry[5] = {"", "PTE", "PDE", "PDPTE", "PML4E"};
static const char *const level_table[5] = {"", "page table", "page directory",
					   "PDPT", "PML4"};

/*
 * The three paging modes differ in shape only (SDM Vol. 3A 4.1.1, Table
 * 4-1): how many levels, how wide an entry is, and how many address bits
 * index each level. Level n's index starts at bit 12 + bits * (n - 1).
 */
enum pt_kind { PT_32BIT, PT_PAE, PT_4LEVEL };

struct pt_format {
	enum pt_kind kind;
	int top;	   /* first level walked: 2, 3 or 4 */
	unsigned esz;	   /* entry size: 4 or 8 bytes */
	unsigned bits;	   /* index bits per level: 10 or 9 */
	uint64_t cr3_mask; /* where the first table is */
};

static const struct pt_format formats[] = {
	/* SDM 3A 4.3: two levels of 1024 4-byte entries. */
	[PT_32BIT] = {PT_32BIT, 2, 4, 10, 0xfffff000ULL},
	/* SDM 3A 4.4: a 4-entry PDPT (32-byte aligned), then 512-entry
	 * tables. Hardware caches the 4 PDPTEs when CR3 is loaded; we read
	 * them from memory, which is the same unless the guest changed
	 * them since. */
	[PT_PAE] = {PT_PAE, 3, 8, 9, 0xffffffe0ULL},
	/* SDM 3A 4.5: four levels of 512 8-byte entries. */
	[PT_4LEVEL] = {PT_4LEVEL, 4, 8, 9, MVM_PTE_ADDR},
};

static unsigned level_shift(const struct pt_format *f, int level)
{
	return 12 + f->bits * (unsigned)(level - 1);
}

/* Bits of an entry that must be 0 (Tables 4-4..4-20 per format). */
static uint64_t reserved_bits(const struct pt_format *f, int level, int leaf,
			      uint64_t efer)
{
	uint64_t rsv = 0;

	if (f->kind == PT_32BIT) /* 4 MiB page: bit 21 (Table 4-4) */
		return leaf && level == 2 ? 1ULL << 21 : 0;
	if (MAXPHYADDR < 52)
		rsv |= ((1ULL << 52) - 1) & ~((1ULL << MAXPHYADDR) - 1);
	if (!(efer & MVM_EFER_NXE))
		rsv |= MVM_PTE_NX; /* SDM Vol. 3A 4.6.1: NX reserved */
	if (f->kind == PT_PAE && level == 3) /* Table 4-8: PDPTE */
		rsv |= MVM_PTE_NX | 0x1e6ULL;
	if (f->kind == PT_4LEVEL && level == 4)
		rsv |= MVM_PTE_PS; /* Table 4-15: PML4E bit 7 reserved */
	if (leaf && level == 3)
		rsv |= 0x3fffe000ULL; /* Table 4-16: 1 GiB page, bits 29:13 */
	if (leaf && level == 2)
		rsv |= 0x1fe000ULL; /* Table 4-18: 2 MiB page, bits 20:13 */
	return rsv;
}

/* Does this entry map a page? PS=1 makes a large page, where the format
 * allows one; a PTE always does. 32-bit paging needs CR4.PSE for it. */
static int is_leaf(const struct pt_format *f, int level, uint64_t e,
		   uint64_t cr4)
{
	if (level == 1)
		return 1;
	if (!(e & MVM_PTE_PS))
		return 0;
	if (f->kind == PT_32BIT)
		return level == 2 && (cr4 & MVM_CR4_PSE);
	return level == 2 || (level == 3 && f->kind == PT_4LEVEL);
}

/* The physical address a leaf maps `va` to. A 32-bit 4 MiB PDE keeps
 * physical bits 39:32 in entry bits 20:13 (PSE-36, SDM 3A Table 4-4). */
static uint64_t leaf_gpa(const struct pt_format *f, uint64_t e, uint64_t size,
			 uint64_t va)
{
	uint64_t off = va & (size - 1);

	if (f->kind == PT_32BIT && size > 4096)
		return (e & 0xffc00000ULL) | (((e >> 13) & 0xff) << 32) | off;
	if (f->kind == PT_32BIT)
		return (e & 0xfffff000ULL) | off;
	return (e & MVM_PTE_ADDR & ~(size - 1)) | off;
}

static int fail(struct mvm_pt_walk *w, enum mvm_pt_fault f, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

static int fail(struct mvm_pt_walk *w, enum mvm_pt_fault f, const char *fmt,
		...)
{
	va_list ap;

	w->fault = f;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return -EFAULT;
}

/* Which paging mode CR0/CR4/EFER select (SDM Vol. 3A 4.1.1, Table 4-1).
 * Returns the format, or NULL with *w and *rc filled. */
static const struct pt_format *paging_mode(uint64_t cr0, uint64_t cr4,
					   uint64_t efer, struct mvm_pt_walk *w,
					   int *rc)
{
	if (!(cr0 & MVM_CR0_PG)) {
		/* No translation at all: the address is the physical one.
		 * That is a valid answer, so rc = 0 with gpa = gva. */
		w->gpa = w->gva;
		w->fault = MVM_PT_NO_PAGING;
		snprintf(w->why, sizeof(w->why),
			 "paging off (CR0.PG=0): virtual = physical");
		*rc = 0;
		return NULL;
	}
	if (!(cr4 & MVM_CR4_PAE))
		return &formats[PT_32BIT];
	if (!(efer & (MVM_EFER_LMA | MVM_EFER_LME)))
		return &formats[PT_PAE];
	if (!(cr4 & MVM_CR4_LA57))
		return &formats[PT_4LEVEL];
	*rc = fail(w, MVM_PT_UNSUPPORTED,
		   "5-level paging (CR4.LA57=1) is not walked here");
	return NULL;
}

/* Canonical: bits 63:47 all equal (SDM Vol. 1 3.3.7.1). */
static int canonical(uint64_t va)
{
	int64_t top = (int64_t)va >> 47;

	return top == 0 || top == -1;
}

/*
 * Would the MMU use this entry? It must be present (P = 1) and have no
 * reserved bit set for its level and role; a reserved bit makes the
 * access a page fault with PFEC.RSVD = 1 (SDM Vol. 3A 4.7), so the entry
 * maps nothing. mvm_pt_walk() and the range walk both ask here, so they
 * agree on what is mapped. Sets *leaf and *rsv (the offending bits).
 */
static enum mvm_pt_fault entry_check(const struct pt_format *f, int level,
				     uint64_t e, uint64_t cr4, uint64_t efer,
				     int *leaf, uint64_t *rsv)
{
	*leaf = 0;
	*rsv = 0;
	if (!(e & MVM_PTE_P))
		return MVM_PT_NOT_PRESENT;
	*leaf = is_leaf(f, level, e, cr4);
	*rsv = reserved_bits(f, level, *leaf, efer) & e;
	return *rsv ? MVM_PT_RESERVED : MVM_PT_OK;
}

/* Index of va's entry in a table of `level` (a PAE PDPT has only 4). */
static uint64_t entry_index(const struct pt_format *f, int level, uint64_t va)
{
	uint64_t mask = (1ULL << f->bits) - 1;

	if (f->kind == PT_PAE && level == 3)
		mask = 3;
	return (va >> level_shift(f, level)) & mask;
}

/*
 * Read the entry described by w->lv[w->nlevels] (level and entry_gpa
 * filled in by the caller) and check it; 0 = go on, -EFAULT = the walk
 * stopped, with w->fault and w->why saying why. Combines the entry's
 * rights into w->writable, w->user and w->nx.
 */
static int read_entry(const struct mvm_memmap *mem, const struct pt_format *f,
		      uint64_t cr4, uint64_t efer, struct mvm_pt_walk *w)
{
	struct mvm_pt_level *l = &w->lv[w->nlevels];
	int level = l->level;
	uint64_t rsv;
	uint32_t e32 = 0;

	if (mvm_memmap_read(mem, l->entry_gpa,
			    f->esz == 8 ? (void *)&l->entry : (void *)&e32,
			    f->esz))
		return fail(
			w, MVM_PT_BAD_TABLE,
			"%s at 0x%llx is not in guest memory",
			level_table[level],
			(unsigned long long)(l->entry_gpa - l->index * f->esz));
	if (f->esz == 4)
		l->entry = e32;
	w->nlevels++;
	switch (entry_check(f, level, l->entry, cr4, efer, &l->leaf, &rsv)) {
	case MVM_PT_NOT_PRESENT:
		return fail(w, MVM_PT_NOT_PRESENT,
			    "%s %llu at 0x%llx is not present (P=0)",
			    level_entry[level], (unsigned long long)l->index,
			    (unsigned long long)l->entry_gpa);
	case MVM_PT_RESERVED:
		return fail(w, MVM_PT_RESERVED,
			    "%s %llu at 0x%llx has reserved bits 0x%llx set",
			    level_entry[level], (unsigned long long)l->index,
			    (unsigned long long)l->entry_gpa,
			    (unsigned long long)rsv);
	default:
		break;
	}
	if (f->kind == PT_PAE && level == 3)
		return 0; /* PAE PDPTEs carry no access rights */
	w->writable &= !!(l->entry & MVM_PTE_RW);
	w->user &= !!(l->entry & MVM_PTE_US);
	w->nx |= !!(l->entry & MVM_PTE_NX);
	return 0;
}

/*
 * The walk proper: from the table CR3 names down to the entry that maps
 * w->gva (SDM Vol. 3A 4.5.4 for 4-level paging, Figures 4-8..4-10). On
 * success w->gpa and w->page_size are set and w->lv[] holds every entry
 * read; on failure read_entry() or fail() has said why.
 */
static int walk_levels(const struct mvm_memmap *mem, const struct pt_format *f,
		       uint64_t cr3, uint64_t cr4, uint64_t efer,
		       struct mvm_pt_walk *w)
{
	/* [slide:pt-walk-loop] */
	/* LAB(2, pt-walk) BEGIN */
	uint64_t table = cr3 & f->cr3_mask; /* low bits: PWT/PCD or PCID */
	int level, rc;

	for (level = f->top; level >= 1; level--) {
		struct mvm_pt_level *l = w->lv + w->nlevels;

		l->level = level;
		l->index = entry_index(f, level, w->gva);
		l->entry_gpa = table + l->index * f->esz;
		rc = read_entry(mem, f, cr4, efer, w);
		if (rc)
			return rc;
		if (l->leaf) {
			w->page_size = 1ULL << level_shift(f, level);
			w->gpa = leaf_gpa(f, l->entry, w->page_size, w->gva);
			return 0;
		}
		table = l->entry & (f->esz == 4 ? 0xfffff000ULL : MVM_PTE_ADDR);
	}
	return -EFAULT; /* not reached: level 1 is always a leaf */
			/* LAB(2) STUB
	// LAB 2: walk from the table at cr3 (masked with f->cr3_mask) down
	// to the leaf, level f->top first (task 1 of the guide). Per level:
	// fill w->lv[w->nlevels] (level, index from entry_index(), entry_gpa
	// = table + index * f->esz), call read_entry() (it reads, checks and
	// counts the row), stop at a leaf (page_size from level_shift(),
	// gpa from leaf_gpa()), else the next table is the entry's address.
	// Hint: Intel SDM Vol. 3A 4.5.4 and Figure 4-8.
	(void)mem;
	(void)cr3;
	(void)cr4;
	(void)efer;
	(void)read_entry;
	(void)entry_index;
	(void)leaf_gpa;
	return fail(w, MVM_PT_UNSUPPORTED, "Lab 2 task 1: the walk is a stub");
	LAB(2) END */
			/* [/slide:pt-walk-loop] */
}

int mvm_pt_access(const struct mvm_memmap *mem, uint64_t cr0, uint64_t cr3,
		  uint64_t cr4, uint64_t efer, uint64_t gva, unsigned how,
		  struct mvm_pt_walk *w)
{
	const struct pt_format *f;
	struct mvm_pt_acc a;
	int rc = 0;

	if (!mem || !w)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->gva = gva;
	w->cr3 = cr3;
	f = paging_mode(cr0, cr4, efer, w, &rc);
	if (!f)
		return rc;
	a = (struct mvm_pt_acc){
		.how = how,
		.cr0 = cr0,
		.cr4 = cr4,
		.efer = efer,
		.esz = f->esz,
		/* PAE PDPTEs have no A bit (SDM 3A Table 4-8) */
		.first_ad = f->kind == PT_PAE};
	if (f->kind == PT_4LEVEL && !canonical(gva)) {
		rc = fail(w, MVM_PT_NONCANONICAL,
			  "0x%llx is not canonical: bits 63:48 must copy "
			  "bit 47",
			  (unsigned long long)gva);
		return mvm_pt_finish(mem, w, &a, rc);
	}
	if (f->kind != PT_4LEVEL)
		w->gva = gva & 0xffffffffULL; /* 32-bit linear addresses */
	w->writable = w->user = 1;
	rc = walk_levels(mem, f, cr3, cr4, efer, w);
	return mvm_pt_finish(mem, w, &a, rc);
}

int mvm_pt_walk(const struct mvm_memmap *mem, uint64_t cr0, uint64_t cr3,
		uint64_t cr4, uint64_t efer, uint64_t gva,
		struct mvm_pt_walk *w)
{
	/* What the debugger asks: a supervisor read, bits left alone. */
	return mvm_pt_access(mem, cr0, cr3, cr4, efer, gva, 0, w);
}

/* The range walk's question (ptwalk.h): the same check, 4-level paging. */
enum mvm_pt_fault mvm_pt_entry_check64(int level, uint64_t e, uint64_t efer,
				       int *leaf)
{
	uint64_t rsv;

	return entry_check(&formats[PT_4LEVEL], level, e, MVM_CR4_PAE, efer,
			   leaf, &rsv);
}

const char *mvm_pt_fault_name(enum mvm_pt_fault f)
{
	static const char *const names[] = {
		[MVM_PT_OK] = "ok",
		[MVM_PT_NOT_PRESENT] = "not present",
		[MVM_PT_RESERVED] = "reserved bit set",
		[MVM_PT_NONCANONICAL] = "non-canonical address",
		[MVM_PT_BAD_TABLE] = "table outside guest memory",
		[MVM_PT_NO_PAGING] = "paging off",
		[MVM_PT_UNSUPPORTED] = "unsupported paging mode",
		[MVM_PT_PROTECTION] = "access not allowed",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) ==
			       MVM_PT_PROTECTION + 1,
		       "one name per enum mvm_pt_fault");

	if ((unsigned)f >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[f];
}
