/*
 * dirty.c - which pages of guest memory changed, by the guest or the VMM.
 *
 * Live migration copies RAM while the guest keeps running, then copies
 * again only the pages written since the last round (pre-copy). KVM
 * records the guest's own writes for a slot registered with
 * KVM_MEM_LOG_DIRTY_PAGES (api.rst 4.35) and hands the record out,
 * clearing it, with KVM_GET_DIRTY_LOG (api.rst 4.8): one bit per 4 KiB
 * page of the slot, in 64-bit words.
 *
 * KVM cannot see the VMM's writes. A loader, the page-table builder, a
 * device that puts a disk block or a virtqueue "used" entry into guest
 * RAM all write through the VMM's own mapping, which KVM never watches.
 * So each logging slot also has a bitmap of the VMM's writes
 * (struct mvm_slot.dirty), set by mvm_memmap_mark_dirty() and merged
 * into KVM's by mvm_vm_dirty_log(). Forgetting either half loses pages.
 *
 * Threads. Device threads mark pages while vCPUs run and while another
 * thread collects the log, so the bits are never set or cleared with a
 * plain read-modify-write:
 *   - a writer copies its bytes, then ORs the page bits into the word
 *     with __atomic_fetch_or (release);
 *   - the collector takes each word with __atomic_exchange_n(word, 0)
 *     (acquire).
 * A bit set before the exchange is reported by this collection, one set
 * after it by the next; and a collector that sees a bit also sees the
 * bytes written before it was set (release/acquire pairing). The bitmap
 * pointer changes only in mvm_memmap_set_flags(), with everything paused.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "internal.h"

/* Set bits first..last (inclusive, page numbers) of bitmap bm. */
static void set_bits(uint64_t *bm, uint64_t first, uint64_t last)
{
	for (uint64_t w = first / 64; w <= last / 64; w++) {
		uint64_t lo = w == first / 64 ? first % 64 : 0;
		uint64_t hi = w == last / 64 ? last % 64 : 63;
		uint64_t mask = (~0ULL >> (63 - hi)) & (~0ULL << lo);

		__atomic_fetch_or(&bm[w], mask, __ATOMIC_RELEASE);
	}
}

/* Intersect [gpa, last] with every logging slot. Compared by last byte,
 * as in memory.c, so neither range may wrap past 2^64. */
void mvm_memmap_mark_dirty(const struct mvm_memmap *m, uint64_t gpa,
			   uint64_t len)
{
	uint64_t last;

	if (!m || len == 0)
		return;
	last = len - 1 > UINT64_MAX - gpa ? UINT64_MAX : gpa + (len - 1);
	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &m->slots[i];
		uint64_t *bm = __atomic_load_n(&s->dirty, __ATOMIC_ACQUIRE);
		uint64_t s_last, lo, hi;

		if (!s->used || !bm)
			continue;
		s_last = s->gpa + (s->size - 1);
		lo = gpa > s->gpa ? gpa : s->gpa;
		hi = last < s_last ? last : s_last;
		if (lo <= hi)
			set_bits(bm, (lo - s->gpa) / MVM_DIRTY_PAGE,
				 (hi - s->gpa) / MVM_DIRTY_PAGE);
	}
}

int mvm_memmap_dirty_collect(const struct mvm_memmap *m, int slot,
			     uint64_t *bitmap)
{
	const struct mvm_slot *s;
	uint64_t *bm;

	if (!m || slot < 0 || slot >= MVM_MAX_SLOTS || !m->slots[slot].used)
		return -ENOENT;
	s = &m->slots[slot];
	bm = __atomic_load_n(&s->dirty, __ATOMIC_ACQUIRE);
	if (!bm || !(s->flags & MVM_MEM_LOG_DIRTY))
		return -EINVAL;
	if (!bitmap)
		return -EFAULT;
	for (uint64_t i = 0; i < MVM_DIRTY_WORDS(s->size); i++) {
		/* Most words are clear: look before taking the cache line. */
		if (__atomic_load_n(&bm[i], __ATOMIC_RELAXED))
			bitmap[i] |= __atomic_exchange_n(&bm[i], 0,
							 __ATOMIC_ACQUIRE);
	}
	return 0;
}

/* Switching logging on starts from a clear bitmap, as KVM's does: only
 * writes made from now on count. */
int mvm_memmap_set_flags(struct mvm_memmap *m, int slot, unsigned flags)
{
	struct mvm_slot *s;
	uint64_t *bm;

	if (!m || slot < 0 || slot >= MVM_MAX_SLOTS || !m->slots[slot].used)
		return -ENOENT;
	s = &m->slots[slot];
	if ((flags & ~MVM_MEM_FLAGS) ||
	    ((flags ^ s->flags) & ~MVM_MEM_LOG_DIRTY))
		return -EINVAL;
	if ((flags & MVM_MEM_LOG_DIRTY) && !s->dirty) {
		bm = calloc(MVM_DIRTY_WORDS(s->size), sizeof(*bm));
		if (!bm)
			return -ENOMEM;
		__atomic_store_n(&s->dirty, bm, __ATOMIC_RELEASE);
	} else if (!(flags & MVM_MEM_LOG_DIRTY) && s->dirty) {
		bm = s->dirty;
		__atomic_store_n(&s->dirty, NULL, __ATOMIC_RELEASE);
		free(bm);
	}
	s->flags = flags;
	return 0;
}

/* The guest's pages from KVM, then the VMM's ORed in: the union is what
 * changed since the last call. Both logs are cleared by reading them. */
/* [slide:dirty-log] */
int mvm_vm_dirty_log(struct mvm_vm *vm, int slot, uint64_t *bitmap)
{
	struct kvm_dirty_log d = {.slot = (uint32_t)slot,
				  .dirty_bitmap = bitmap};
	int rc;

	if (slot < 0 || slot >= MVM_MAX_SLOTS || !vm->mem.slots[slot].used)
		return -ENOENT;
	if (!(vm->mem.slots[slot].flags & MVM_MEM_LOG_DIRTY)) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "slot %d does not log dirty pages: switch "
			 "MVM_MEM_LOG_DIRTY on with mvm_vm_mem_set_flags()",
			 slot);
		return -EINVAL;
	}
	/* Pages the guest wrote: KVM fills every word of the bitmap. */
	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &d) < 0)
		return -errno;
	/* With manual protection (dirty.h) the get cleared nothing. */
	if (vm->dirty_manual &&
	    (rc = mvm_dirty_clear(vm, slot, 0,
				  vm->mem.slots[slot].size / MVM_DIRTY_PAGE,
				  bitmap)))
		return rc;
	/* Pages the VMM wrote, which KVM never saw. */
	return mvm_memmap_dirty_collect(&vm->mem, slot, bitmap);
}
/* [/slide:dirty-log] */
