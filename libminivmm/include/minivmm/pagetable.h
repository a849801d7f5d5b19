/*
 * pagetable.h - building and walking x86-64 page tables.
 *
 * x86-64 4-level paging (Intel SDM Vol. 3A 4.5): CR3 points to the PML4;
 * bits 47:39 of a virtual address index the PML4, 38:30 the PDPT, 29:21
 * the page directory, 20:12 the page table; each table is 4 KiB holding
 * 512 eight-byte entries. An entry with PS=1 in the PDPT or PD maps a
 * 1 GiB or 2 MiB page directly.
 *
 * Both the builder and the walker work on a struct mvm_memmap, so they
 * run in unit tests on plain buffers as well as on a live VM.
 */
#ifndef MINIVMM_PAGETABLE_H
#define MINIVMM_PAGETABLE_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#include "memory.h"

/* Entry bits (Intel SDM Vol. 3A 4.5, Tables 4-15 .. 4-20). */
#define MVM_PTE_P    (1ULL << 0)	   /* present */
#define MVM_PTE_RW   (1ULL << 1)	   /* writable */
#define MVM_PTE_US   (1ULL << 2)	   /* user-mode access allowed */
#define MVM_PTE_PWT  (1ULL << 3)	   /* write-through */
#define MVM_PTE_PCD  (1ULL << 4)	   /* cache disable */
#define MVM_PTE_A    (1ULL << 5)	   /* accessed */
#define MVM_PTE_D    (1ULL << 6)	   /* dirty (leaf only) */
#define MVM_PTE_PS   (1ULL << 7)	   /* page size: 1 GiB / 2 MiB leaf */
#define MVM_PTE_G    (1ULL << 8)	   /* global (leaf only) */
#define MVM_PTE_NX   (1ULL << 63)	   /* no-execute (needs EFER.NXE) */
#define MVM_PTE_ADDR 0x000ffffffffff000ULL /* bits 51:12 */

/*
 * Build identity-mapped tables for [0, map_size) with page_size pages
 * (4096 or 2 MiB) in guest memory [area, area_end), writable, supervisor.
 * Tables are zeroed first. *cr3 gets the PML4 address. Returns 0,
 * -EINVAL (bad sizes), -ENOSPC (the tables do not fit), -EFAULT.
 */
int mvm_pt_build_identity(struct mvm_memmap *mem, uint64_t area,
			  uint64_t area_end, uint64_t map_size,
			  uint64_t page_size, uint64_t *cr3);

/* Add identity 2 MiB leaves for [base, base + size) (2 MiB aligned) to
 * tables built at cr3, new page directories taken from [*next, area_end);
 * entries already present are kept. 0, -EINVAL, -ENOSPC or -EFAULT. */
int mvm_pt_map_2m(struct mvm_memmap *mem, uint64_t cr3, uint64_t *next,
		  uint64_t area_end, uint64_t base, uint64_t size);

/* Number of 4 KiB tables mvm_pt_build_identity() needs for map_size with
 * page_size pages, or -EINVAL for sizes it refuses. */
long mvm_pt_tables_needed(uint64_t map_size, uint64_t page_size);

enum mvm_pt_fault {
	MVM_PT_OK = 0,
	MVM_PT_NOT_PRESENT,  /* an entry on the way has P = 0 */
	MVM_PT_RESERVED,     /* a reserved bit is set in an entry */
	MVM_PT_NONCANONICAL, /* bits 63:48 are not copies of bit 47 */
	MVM_PT_BAD_TABLE,    /* a table address is not guest RAM */
	MVM_PT_NO_PAGING,    /* CR0.PG = 0: virtual == physical */
	MVM_PT_UNSUPPORTED,  /* 5-level paging (CR4.LA57) */
	MVM_PT_PROTECTION,   /* mapped, but the access is not allowed */
};

/*
 * What an access is, for mvm_pt_access(). The first three are the bits
 * the #PF error code reports for the access (Intel SDM Vol. 3A 4.7), so
 * an access and its error code share them; MVM_PT_SET_AD is the model's
 * own: do what the MMU does to the A and D bits (SDM Vol. 3A 4.8).
 */
#define MVM_PT_WRITE  (1u << 1) /* a write (else a read) */
#define MVM_PT_USER   (1u << 2) /* at CPL 3 (else supervisor, CPL 0..2) */
#define MVM_PT_FETCH  (1u << 4) /* an instruction fetch */
#define MVM_PT_SET_AD (1u << 8) /* set A in every entry used, D in the leaf */

/* #PF error code bits (SDM Vol. 3A 4.7, Figure 4-12). */
#define MVM_PFEC_P    (1u << 0) /* 0: not present, 1: rights or RSVD */
#define MVM_PFEC_W    (1u << 1) /* the access was a write */
#define MVM_PFEC_U    (1u << 2) /* the access was at CPL 3 */
#define MVM_PFEC_RSVD (1u << 3) /* a reserved bit was set in an entry */
#define MVM_PFEC_I    (1u << 4) /* an instruction fetch (with NXE) */

/* Exception vectors a failed translation raises (SDM Vol. 3A 6.15). */
#define MVM_VEC_GP 13 /* non-canonical address (SS-relative: #SS, 12) */
#define MVM_VEC_PF 14

struct mvm_pt_level {
	int level;	    /* 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT */
	uint64_t index;	    /* index into the table, 0..511 */
	uint64_t entry_gpa; /* where the entry lives */
	uint64_t entry;	    /* its raw value */
	int leaf;	    /* this entry maps the page */
};

struct mvm_pt_walk {
	uint64_t gva; /* the address translated */
	uint64_t cr3;
	int nlevels; /* rows filled in lv[] */
	struct mvm_pt_level lv[5];
	enum mvm_pt_fault fault; /* MVM_PT_OK (or _NO_PAGING): gpa valid */
	uint64_t gpa;		 /* the result */
	uint64_t page_size;	 /* 4 KiB, 2 MiB or 1 GiB */
	int writable, user, nx;	 /* effective permissions along the walk */
	char why[120];		 /* readable reason when fault != OK */
	/* What the CPU would raise (mvm_pt_access; mvm_pt_walk asks for a
	 * supervisor read): vector 0 when the walk succeeds or no exception
	 * applies (a table outside guest RAM is the VMM's EPT violation,
	 * not the guest's #PF), else MVM_VEC_PF with error code pfec, or
	 * MVM_VEC_GP for a non-canonical address. */
	int vector;
	uint32_t pfec;
	int ad_written; /* entries whose A/D bits MVM_PT_SET_AD changed */
};

/*
 * Translate gva using the tables at cr3 (paging state from CR0, CR4 and
 * EFER decides the format: 4-level, PAE or 32-bit paging; with CR0.PG=0
 * it returns 0 with gpa = gva and fault MVM_PT_NO_PAGING). Fills *w in
 * all cases; returns 0 when the address maps, -EFAULT otherwise (w->fault
 * and w->why say why), -EINVAL for a NULL mem or w.
 */
int mvm_pt_walk(const struct mvm_memmap *mem, uint64_t cr0, uint64_t cr3,
		uint64_t cr4, uint64_t efer, uint64_t gva,
		struct mvm_pt_walk *w);

/*
 * The walk above for one access (how: MVM_PT_WRITE | MVM_PT_USER |
 * MVM_PT_FETCH | MVM_PT_SET_AD) with the rights check of SDM Vol. 3A
 * 4.6: user accesses need U/S = 1 at every level; writes need R/W = 1 at
 * every level (supervisor writes only with CR0.WP = 1); fetches need NX
 * = 0 at every level when EFER.NXE = 1. A refused access fails with
 * fault MVM_PT_PROTECTION. On success with MVM_PT_SET_AD, A is set in
 * every entry used and D in the leaf for a write, through the checked
 * accessor (a read-only slot keeps its bits). w->vector and w->pfec say
 * what the CPU would raise. Returns 0, -EFAULT (w says why), -EINVAL.
 */
int mvm_pt_access(const struct mvm_memmap *mem, uint64_t cr0, uint64_t cr3,
		  uint64_t cr4, uint64_t efer, uint64_t gva, unsigned how,
		  struct mvm_pt_walk *w);

/* One merged run of mappings with equal permissions (QEMU's `info mem`). */
struct mvm_pt_range {
	uint64_t va, pa, size; /* pa of the first byte; runs are contiguous */
	int writable, user, nx;
};

typedef int mvm_pt_range_fn(void *ctx, const struct mvm_pt_range *r);

/* Call fn for each merged range, in address order. Stops early when fn
 * returns non-zero and returns that value; 0 at the end; -errno on error.
 * An entry mvm_pt_walk() would refuse (a reserved bit set) maps nothing
 * here either. Assumes EFER.NXE = 1, as mvm_vcpu_setup_mode() sets it. */
int mvm_pt_for_each_range(const struct mvm_memmap *mem, uint64_t cr3,
			  mvm_pt_range_fn *fn, void *ctx);
/* The same with the guest's EFER: without EFER.NXE, bit 63 (NX) is a
 * reserved bit (SDM Vol. 3A 4.6.1) and an entry with it set maps nothing. */
int mvm_pt_for_each_range_efer(const struct mvm_memmap *mem, uint64_t cr3,
			       uint64_t efer, mvm_pt_range_fn *fn, void *ctx);

/* "P RW US A D PS NX" style text for an entry's set flags. */
int mvm_pte_flags_str(uint64_t entry, int level, char *buf, size_t len);

/* "not present", ... */
const char *mvm_pt_fault_name(enum mvm_pt_fault f);

#pragma GCC visibility pop

#endif
