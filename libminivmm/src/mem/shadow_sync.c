/*
 * shadow_sync.c - keeping shadow tables in sync with the guest's (Lab 2).
 *
 * Lab 2 edits sync_entry() below (the LAB 2 region): what the hypervisor
 * does after a guest wrote one entry of its own page tables. Do not
 * change the other functions; the tests drive them.
 *
 * The rule comes from the hardware the shadow stands in for: a CPU may
 * keep using a translation it cached until the OS invalidates it (SDM
 * Vol. 3A 4.10.4), but the OS may rely on the new entry after INVLPG or
 * a CR3 load, and neither exits to the VMM. So the shadow cannot wait:
 * every write to a page the shadow was built from traps at once (shadow.h
 * says how a live VM gets that trap), and the trap drops every shadow
 * entry that the changed guest entry contributed to. A later access
 * misses and is filled again from the guest's new tables; a changed
 * page-table entry (level 1) is re-synced right away, as KVM does on
 * its emulated PTE writes, because the guest is likely to use it next.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "minivmm/machine.h"
#include "shadow_internal.h"

/*
 * The guest entry at entry_gpa (8-byte aligned, in a protected page)
 * has changed. Each use of its page says at which level and for which
 * range the page served; entry i of it covers
 *     va = va_base + i * 2^(12 + 9 * (level - 1))
 * (SDM Vol. 3A 4.5: bits 47:39, 38:30, 29:21, 20:12 index the levels).
 */
static void sync_entry(struct mvm_shadow *sh, uint64_t entry_gpa)
{
	/* LAB(2, shadow-sync) BEGIN */
	const uint64_t page = entry_gpa & ~0xfffULL;
	const uint64_t i = (entry_gpa & 0xfff) / 8;

	for (size_t u = 0; u < sh->nuses; u++) {
		const struct sh_use use = sh->uses[u];
		unsigned sh_bits = 12 + 9 * (unsigned)(use.level - 1);
		uint64_t va = use.va_base + (i << sh_bits);
		struct mvm_shadow_xlate x;
		int here = 0;

		if (use.page != page)
			continue;
		va = (uint64_t)((int64_t)(va << 16) >> 16); /* canonical */
		for (int r = 0; r < MVM_SHADOW_ROOTS; r++) {
			struct sh_root *root = &sh->roots[r];

			if (root->pml4 && mvm_sh_zap(sh, root, va, use.level) &&
			    root == sh->cur)
				here = 1;
		}
		/* A leaf of the current root: fill it again now. */
		if (use.level == 1 && here && mvm_sh_fill(sh, va, &x) == 0)
			sh->st.resyncs++;
	}
	/* LAB(2) STUB
	// LAB 2: drop the shadow entries built from the guest entry at
	// entry_gpa. For every use (sh->uses[0..nuses)) of its page, compute
	// the virtual address the entry covers (the formula above; make it
	// canonical by sign-extending bit 47), mvm_sh_zap() it at use.level in
	// every root that exists (sh->roots[r].pml4 != NULL), and when the
	// use is a page table (level 1) and the current root (sh->cur) had
	// a leaf there, mvm_sh_fill() it again and count sh->st.resyncs.
	// Hint: shadow_internal.h describes uses and roots; SDM Vol. 3A 4.5.
	(void)sh;
	(void)entry_gpa;
	LAB(2) END */
}

int mvm_shadow_trap_write(struct mvm_shadow *sh, uint64_t gpa, const void *data,
			  uint32_t len)
{
	uint64_t first, last;
	int rc;

	if (!sh || !data || len < 1 || len > 8 ||
	    !mvm_shadow_is_protected(sh, gpa) ||
	    !mvm_shadow_is_protected(sh, gpa + len - 1))
		return -EINVAL;
	rc = mvm_memmap_write(sh->mem, gpa, data, len, 1);
	if (rc)
		return rc;
	sh->st.traps++;
	/* Every 8-byte entry the write touched (a 32-bit guest writes
	 * halves; a misaligned write may straddle two). */
	first = gpa & ~7ULL;
	last = (gpa + len - 1) & ~7ULL;
	for (uint64_t e = first; e <= last; e += 8)
		sync_entry(sh, e);
	return 0;
}

int mvm_shadow_guest_write(struct mvm_shadow *sh, uint64_t gva,
			   const void *data, uint32_t len)
{
	struct mvm_shadow_xlate x;
	int rc;

	if (!sh || !data || len < 1 || len > 8 || (gva & 0xfff) + len > 4096)
		return -EINVAL;
	rc = mvm_shadow_translate(sh, gva, &x);
	if (rc)
		return rc;
	if (!x.writable || x.mmio) /* the guest's #PF, or an MMIO exit */
		return -EFAULT;
	if (x.write_protected)
		return mvm_shadow_trap_write(sh, x.gpa, data, len);
	memcpy((void *)(uintptr_t)x.hpa, data, len);
	mvm_memmap_mark_dirty(sh->mem, x.gpa, len);
	return 0;
}

/* --- the live page-table pool ------------------------------------------ */

/* Guest writes to the read-only pool exit here: a write to a page the
 * shadow was built from is a trap; any other (a table the guest is still
 * building) is only carried out, as the CPU would have. */
static int pool_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	struct mvm_shadow *sh = dev;
	uint64_t gpa = sh->pool_gpa + off;

	(void)vcpu;
	if (mvm_shadow_is_protected(sh, gpa))
		return mvm_shadow_trap_write(sh, gpa, data, len);
	return mvm_memmap_write(sh->mem, gpa, data, len, 1);
}

/* Reads of a read-only slot do not exit; kept for completeness. */
static int pool_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	struct mvm_shadow *sh = dev;

	(void)vcpu;
	return mvm_memmap_read(sh->mem, sh->pool_gpa + off, data, len);
}

static const struct mvm_dev_ops pool_ops = {
	.name = "pt-pool",
	.read = pool_read,
	.write = pool_write,
};

int mvm_shadow_attach(struct mvm_shadow *sh, struct mvm_machine *m,
		      uint64_t gpa, uint64_t size)
{
	struct mvm_vm *vm;
	int slot, rc;

	if (!sh || !m || sh->pool_size)
		return -EINVAL;
	vm = mvm_machine_vm(m);
	if (sh->mem != mvm_vm_mem(vm))
		return -EINVAL;
	slot = mvm_vm_mem_add(vm, gpa, size, MVM_MEM_READONLY);
	if (slot < 0)
		return slot;
	rc = mvm_machine_add_device(m, 1, gpa, size, &pool_ops, sh);
	if (rc) {
		mvm_vm_mem_remove(vm, slot);
		return rc;
	}
	sh->pool_gpa = gpa;
	sh->pool_size = size;
	mvm_shadow_flush(sh); /* new memory: GPAs that were MMIO are not */
	return slot;
}
