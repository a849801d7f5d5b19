/*
 * shadow.h - a model of shadow paging: what KVM does when the CPU has no
 * EPT/NPT (Lab 2).
 *
 * Without a second dimension of translation the MMU knows one table
 * tree, so the hypervisor hands it one it builds itself: *shadow tables*
 * that map guest-virtual addresses straight to host memory, combining
 * the guest's own tables (GVA -> GPA) with the memory slots (GPA -> host).
 * The guest believes its CR3 is in use; the shadow root is.
 *
 * Three things keep the shadow honest, and this model does each of them:
 *
 *   fill     a shadow entry is made on first use (a "hidden" page
 *            fault the guest never sees) by walking the guest's tables
 *            with mvm_pt_walk(); every guest table page the walk reads
 *            becomes *protected*;
 *   protect  a shadow leaf that maps a protected page is read-only, so a
 *            guest write to its own page tables traps to the hypervisor;
 *   trap     the hypervisor applies that write and drops (re-syncs) the
 *            shadow entries built from the entry it changed.
 *
 * Root switches (MOV CR3) pick the shadow root kept for that guest CR3
 * or build a new one, as KVM caches roots per CR3 (its "previous roots").
 *
 * How the traps reach the model on a live VM. KVM write-protects single
 * guest pages in its own shadow tables; user space can only protect a
 * whole memory slot (KVM_MEM_READONLY: guest writes exit as
 * KVM_EXIT_MMIO, api.rst 4.35 and 5 "KVM_EXIT_MMIO"). So the guest keeps
 * its page tables in a *page-table pool*, a slot of its own that
 * mvm_shadow_attach() registers read-only with an MMIO handler over it:
 * every guest write to its tables is one exit, one trap, synchronous.
 * Splitting RAM around each table page would cost a slot per page (32 in
 * all). The dirty log was the other candidate and is wrong for this job:
 * it reports a write only when the VMM next collects it, and in between
 * the shadow would keep translating with the old entry; the guest's own
 * sync points (INVLPG, MOV CR3) do not exit to user space.
 *
 * Scope of the model: 4-level paging only (CR0.PG, CR4.PAE, EFER.LMA);
 * the shadow always maps 4 KiB pages (a guest 2 MiB or 1 GiB page is
 * shadowed page by page, as KVM does when the host memory behind it is
 * not a large page); "host physical" is the host address of the page in
 * the VMM (mvm_memmap_hva), which is what user space can see. A and D
 * bits are not tracked. The shadow tables live in host memory and are
 * never loaded into a CPU: they are the data structure KVM keeps.
 *
 * Threads: a model is not locked. Use it from one thread at a time - the
 * thread stepping a one-vCPU machine (its pool handler runs there), or
 * any thread while the machine is paused.
 */
#ifndef MINIVMM_SHADOW_H
#define MINIVMM_SHADOW_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "memory.h"
#include "pagetable.h"

struct mvm_shadow;
struct mvm_machine;

/* Shadow roots kept at once (guest CR3 values); the least recently used
 * one is dropped for a new CR3 beyond that. */
#define MVM_SHADOW_ROOTS 8

struct mvm_shadow_stats {
	uint64_t traps;	  /* guest writes to its own page tables */
	uint64_t fills;	  /* shadow leaves made from a guest walk */
	uint64_t zaps;	  /* shadow entries dropped after a trap */
	uint64_t resyncs; /* shadow leaves re-synced at once after a trap */
	uint64_t guest_faults; /* translations the guest tables refuse */
	uint64_t cr3_loads;    /* mvm_shadow_load_cr3() calls */
	uint64_t roots_built;  /* shadow roots made (a CR3 not seen before) */
	uint64_t tables;       /* shadow tables allocated now */
	uint64_t protected_pages; /* guest pages known to hold page tables */
};

/* One translation through the shadow tables. */
struct mvm_shadow_xlate {
	uint64_t gva;		 /* the address asked for */
	enum mvm_pt_fault fault; /* MVM_PT_OK: the fields below are valid */
	uint64_t gpa; /* the guest-physical address (from the fill) */
	uint64_t hpa; /* host address of the byte (the shadow's answer) */
	int writable; /* the guest's tables allow writes */
	int user, nx; /* the guest's U/S and NX, combined (SDM 3A 4.6) */
	int write_protected; /* writable for the guest, but the page holds
				guest page tables: the shadow maps it read-only
				and a write traps */
	int mmio;	     /* the GPA is no memory: hpa is 0 and an access
				would exit as MMIO */
	int filled;	     /* this lookup missed and filled the shadow */
};

/*
 * A model over guest memory `mem` (kept, not owned: it must outlive the
 * model). 0 and *out, or -EINVAL / -ENOMEM.
 */
int mvm_shadow_create(const struct mvm_memmap *mem, struct mvm_shadow **out);
/* Free every shadow table; accepts NULL. */
void mvm_shadow_destroy(struct mvm_shadow *sh);

/*
 * The guest loaded CR3 (and these are its CR0, CR4, EFER): make the
 * shadow root for it current. 0, or -EOPNOTSUPP when the paging mode is
 * not 4-level paging (CR0.PG, CR4.PAE, EFER.LMA, no CR4.LA57), -ENOMEM.
 */
int mvm_shadow_load_cr3(struct mvm_shadow *sh, uint64_t cr0, uint64_t cr3,
			uint64_t cr4, uint64_t efer);

/*
 * Translate gva through the current shadow root, filling it from the
 * guest's tables on a miss. Returns 0 (x->fault MVM_PT_OK) or -EFAULT
 * when the guest's tables do not map gva (x->fault says why, as
 * mvm_pt_walk() does); -EINVAL before mvm_shadow_load_cr3(), -ENOMEM,
 * -ENOSPC (more guest table pages than the model tracks).
 */
int mvm_shadow_translate(struct mvm_shadow *sh, uint64_t gva,
			 struct mvm_shadow_xlate *x);

/* 1 if the page holding gpa is a guest page-table page the shadow
 * write-protects, else 0. */
int mvm_shadow_is_protected(const struct mvm_shadow *sh, uint64_t gpa);

/*
 * The trap: the guest wrote len (1..8) bytes at gpa in a protected page.
 * Apply the write to guest memory, count it, drop the shadow entries
 * built from the guest entries it touched and re-sync the shadow leaves
 * of a page table at once. 0, -EINVAL (len, or gpa not protected),
 * -EFAULT (not guest memory).
 */
int mvm_shadow_trap_write(struct mvm_shadow *sh, uint64_t gpa, const void *data,
			  uint32_t len);

/*
 * A guest store of len (1..8) bytes at gva, the way the MMU and the
 * hypervisor see it: through the shadow; a write-protected page traps
 * (mvm_shadow_trap_write), a page the guest's tables make read-only or
 * do not map is the guest's page fault (-EFAULT, nothing written). For
 * unit tests and the lab, which have no CPU to run the store.
 */
int mvm_shadow_guest_write(struct mvm_shadow *sh, uint64_t gva,
			   const void *data, uint32_t len);

/* Drop every shadow entry of every root (the memory map changed: host
 * addresses in the leaves may be stale). Protections stay. */
void mvm_shadow_flush(struct mvm_shadow *sh);

void mvm_shadow_get_stats(const struct mvm_shadow *sh,
			  struct mvm_shadow_stats *st);

/*
 * On a live machine (not running: before start, or paused): add the
 * page-table pool, [gpa, gpa + size) of fresh zeroed memory, as a
 * read-only slot, and an MMIO handler over it that feeds each guest
 * write to mvm_shadow_trap_write(). The model must have been created on
 * the machine's memory map (mvm_vm_mem(mvm_machine_vm(m))). Returns the
 * slot index or -errno. The handler points at the model: destroy the
 * machine before the model.
 */
int mvm_shadow_attach(struct mvm_shadow *sh, struct mvm_machine *m,
		      uint64_t gpa, uint64_t size);

#pragma GCC visibility pop

#endif
