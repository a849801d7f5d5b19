/*
 * ept.h - a model of the second dimension: EPT tables, the 2D walk, TLBs.
 *
 * With EPT (Intel SDM Vol. 3C 29.3; AMD's NPT is the same idea, APM
 * Vol. 2 15.25) the CPU translates twice. The guest's own tables map a
 * guest-virtual address (GVA) to a guest-physical one (GPA); the VMM's
 * EPT tables map every GPA - including the GPAs of the guest's tables -
 * to a host-physical address (HPA). KVM builds the EPT tables in the
 * kernel where no VMM can see them, so minivmm models them in user
 * space, from the same slot table KVM gets (memory.h):
 *
 *   GVA --guest tables (CR3)--> GPA --EPT (EPTP)--> host address
 *
 * The model's "host-physical" address is the VMM's host-virtual address
 * of the byte (the slot's hva + offset): user space cannot see HPAs,
 * and this is the address the VMM itself would use for the byte.
 *
 *   mvm_ept_create()     EPT tables mirroring the slots (ept.c)
 *   mvm_ept_translate()  GPA -> host address by walking them (ept.c)
 *   mvm_walk2d()         GVA -> GPA -> host, every reference numbered
 *                        (walk2d.c): up to 24 with 4 + 4 levels
 *   mvm_tlb_*()          a TLB and paging-structure-cache model with hit
 *                        rates and references per access (tlb.c)
 *
 * Lab 2 (memory) cuts the builder, the EPT walk and the 2D walk.
 */
#ifndef MINIVMM_EPT_H
#define MINIVMM_EPT_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "memory.h"
#include "pagetable.h"

/* EPT entry bits (SDM Vol. 3C 29.3.2, Tables 29-1 .. 29-6). An entry is
 * present when any of R, W, X is set. */
#define MVM_EPT_R     (1ULL << 0) /* reads allowed */
#define MVM_EPT_W     (1ULL << 1) /* writes allowed */
#define MVM_EPT_X     (1ULL << 2) /* instruction fetches allowed */
#define MVM_EPT_MT_WB (6ULL << 3) /* leaf: memory type write-back */
#define MVM_EPT_IPAT  (1ULL << 6) /* leaf: ignore the guest's PAT */
#define MVM_EPT_PS    (1ULL << 7) /* PDPTE/PDE: maps a 1 GiB / 2 MiB page */
#define MVM_EPT_A     (1ULL << 8) /* accessed (EPTP bit 6 enables) */
#define MVM_EPT_D     (1ULL << 9) /* dirty (leaf) */
#define MVM_EPT_ADDR  0x000ffffffffff000ULL /* bits 51:12 */

/* Page sizes of a leaf at level 1, 2, 3. */
#define MVM_PAGE_4K (1ULL << 12)
#define MVM_PAGE_2M (1ULL << 21)
#define MVM_PAGE_1G (1ULL << 30)

/* The model's table pages live in one pool it owns, so a walk can check
 * that every table address it follows is one of them. */
struct mvm_ept {
	uint64_t eptp;	   /* EPT pointer (SDM 3C 25.6.11): PML4 | 3<<3 | WB */
	uint8_t *pool;	   /* max_tables 4 KiB tables, page aligned */
	size_t ntables;	   /* tables in use (pool[0] is the PML4) */
	size_t max_tables; /* capacity of the pool */
	uint64_t max_leaf; /* largest leaf the builder may use */
	size_t leaves[4];  /* leaves built at level 1 (4K), 2 (2M), 3 (1G) */
};

/*
 * Build EPT tables for every slot of mem (SDM Vol. 3C 29.3.2): each page
 * of guest RAM maps to its host address with the largest leaf up to
 * max_leaf (MVM_PAGE_4K, _2M or _1G) that fits the slot and whose GPA
 * and host address are both aligned to it (KVM's rule for huge pages
 * too); RAM is R|W|X, a read-only slot R|X. Returns 0 and *out, -EINVAL
 * (bad max_leaf, NULL), -ENOMEM, -ENOSPC (the pool is full).
 */
int mvm_ept_create(const struct mvm_memmap *mem, uint64_t max_leaf,
		   struct mvm_ept **out);
void mvm_ept_destroy(struct mvm_ept *e); /* accepts NULL */

enum mvm_ept_fault {
	MVM_EPT_OK = 0,
	MVM_EPT_VIOLATION, /* not present, or the access is not allowed */
	MVM_EPT_MISCONFIG, /* W without R, or a reserved bit (29.3.3.1) */
	MVM_EPT_BAD_TABLE, /* an address that is not one of the model's */
};

struct mvm_ept_level {
	int level;	    /* 4 = EPT PML4 .. 1 = EPT PT */
	uint64_t index;	    /* 0..511 */
	uint64_t entry_hpa; /* host address of the entry */
	uint64_t entry;	    /* its value */
	int leaf;	    /* this entry maps the page */
};

struct mvm_ept_walk {
	uint64_t gpa; /* the address translated */
	int nlevels;  /* rows of lv[] filled */
	struct mvm_ept_level lv[4];
	enum mvm_ept_fault fault; /* MVM_EPT_OK: hpa valid */
	uint64_t hpa;		  /* host address of gpa */
	uint64_t page_size;	  /* 4 KiB, 2 MiB or 1 GiB */
	uint64_t rights;	  /* R|W|X common to every level */
};

/*
 * Translate gpa for an access how (MVM_PT_WRITE / MVM_PT_FETCH; else a
 * read) by walking e's tables from the EPTP (SDM Vol. 3C 29.3.2): rights
 * are the AND of R/W/X over the levels (29.3.3.2). Fills *w always;
 * returns 0, -EFAULT (w->fault says which), -EINVAL.
 */
int mvm_ept_translate(const struct mvm_ept *e, uint64_t gpa, unsigned how,
		      struct mvm_ept_walk *w);

/* --- the two-dimensional walk (walk2d.c) --------------------------------- */

#define MVM_WALK2D_MAX_REFS 24 /* (4 + 1) * (4 + 1) - 1 */

/* One memory reference of a 2D walk. row is the guest level whose table
 * entry is being fetched (4..1), or 0 for the final GPA of the data;
 * col is the EPT level read (4..1), or 0 for the guest entry itself. */
struct mvm_ref {
	int row, col;
	uint64_t gpa;  /* the GPA translated (EPT refs) or read (guest) */
	uint64_t addr; /* host address of the entry read */
	uint64_t value;
};

struct mvm_walk2d {
	uint64_t gva, gpa, hpa; /* the answer, when rc is 0 */
	uint64_t guest_page;	/* guest leaf size */
	uint64_t ept_page;	/* EPT leaf size of the data page */
	int nrefs;		/* references made */
	struct mvm_ref refs[MVM_WALK2D_MAX_REFS];
	struct mvm_pt_walk guest; /* the guest rows read (lv, fault) */
	struct mvm_ept_walk ept;  /* the last EPT walk made */
	int ept_failed;		  /* 1: ept.fault stopped the walk */
};

/*
 * Translate gva of a 64-bit guest (4-level paging; CR0, CR3, CR4, EFER
 * from its sregs) through its tables and the EPT model e, as the MMU
 * does on a TLB miss: every guest table's GPA (CR3 first) goes through
 * the EPT, then the entry is read from its host address, and the final
 * GPA goes through the EPT too. Each read is recorded in w->refs, in
 * order. A guest fault fills w->guest like mvm_pt_walk(); an EPT fault
 * sets w->ept_failed and w->ept. Returns 0, -EFAULT, -EINVAL, -ENOTSUP
 * (paging mode other than 4-level).
 */
int mvm_walk2d(const struct mvm_memmap *mem, const struct mvm_ept *e,
	       uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
	       uint64_t gva, unsigned how, struct mvm_walk2d *w);

/* References of a full 2D walk with g guest levels and e EPT levels:
 * (g + 1) * (e + 1) - 1. Levels: 4 (4 KiB leaf), 3 (2 MiB), 2 (1 GiB). */
int mvm_walk2d_refs(int guest_levels, int ept_levels);

/*
 * The walk w (rc: what mvm_walk2d() returned) as text lines into buf,
 * like snprintf (returns the length wanted, or -EINVAL): the grid of
 * numbered references (rows: guest levels, columns: EPT levels), each
 * reference with its GPA, host address and value, and the result with
 * its slot. MVM_WALK2D_STABLE writes host addresses as offsets into the
 * EPT pool or a slot, the same in every run.
 */
#define MVM_WALK2D_STABLE 1u
int mvm_walk2d_format(const struct mvm_memmap *mem, const struct mvm_ept *e,
		      const struct mvm_walk2d *w, int rc, unsigned flags,
		      char *buf, size_t len);

/* Levels a walk reads to reach a leaf of page_size (4, 3, 2), or -EINVAL. */
int mvm_page_levels(uint64_t page_size);

/* --- the TLB and paging-structure-cache model (tlb.c) -------------------- */

struct mvm_tlb_config {
	unsigned entries; /* TLB entries (fully associative, LRU) */
	unsigned
		psc_entries; /* per guest level; 0 = no paging-structure cache */
	uint64_t guest_page; /* guest leaf size for every address */
	uint64_t ept_page;   /* EPT leaf size for every address */
};

struct mvm_tlb_stats {
	uint64_t accesses, hits, misses;
	uint64_t psc_hits; /* misses that skipped guest levels */
	uint64_t refs;	   /* memory references of all the walks */
};

struct mvm_tlb;

/* A model with empty caches: 0, -EINVAL (sizes), -ENOMEM. */
int mvm_tlb_create(const struct mvm_tlb_config *cfg, struct mvm_tlb **out);
void mvm_tlb_destroy(struct mvm_tlb *t); /* accepts NULL */

/* One access to gva: returns the memory references it cost (0 on a TLB
 * hit, the 2D walk's count on a miss, less with a paging-structure-cache
 * hit). */
unsigned mvm_tlb_access(struct mvm_tlb *t, uint64_t gva);

/* Counters since create or the last reset; reset empties the caches. */
void mvm_tlb_get_stats(const struct mvm_tlb *t, struct mvm_tlb_stats *s);
void mvm_tlb_reset(struct mvm_tlb *t);

#pragma GCC visibility pop

#endif
