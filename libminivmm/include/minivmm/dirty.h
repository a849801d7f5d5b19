/*
 * dirty.h - walking the dirty pages of a slot, page by page (Lab 2).
 *
 * mvm_vm_dirty_log() (vm.h) hands out a slot's dirty bitmap: the pages
 * the guest wrote (KVM_GET_DIRTY_LOG, api.rst 4.8) ORed with the pages
 * the VMM wrote (memory.h, the dirty rule). What a user of the log does
 * next - copy each page to a migration target, checksum it, count it -
 * is a loop over the set bits. The iterator here is that loop, once:
 *
 *   struct mvm_dirty_iter it;
 *   uint64_t gpa;
 *   mvm_dirty_iter_begin(vm, slot, &it);     collect the log
 *   while (mvm_dirty_iter_next(&it, &gpa) == 1)
 *           copy_page(gpa);                   one 4 KiB page
 *   mvm_dirty_iter_end(&it);
 *
 * Manual protection. Plain KVM_GET_DIRTY_LOG clears the whole log and
 * write-protects every logged page again at once, for the whole slot,
 * under one lock: on a large guest that is one long stall, and pages the
 * guest writes before the VMM reaches them fault for nothing. With
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (api.rst 7.18) enabled, the get
 * leaves the log alone and the VMM clears (and re-protects) what it is
 * about to copy with KVM_CLEAR_DIRTY_LOG (api.rst 4.117), 64 pages at a
 * time here, *before* copying them, so a write that lands after the
 * clear is reported next round. mvm_vm_dirty_manual() switches the mode
 * where KVM has it; the iterator and mvm_vm_dirty_log() work either
 * way, with the same results (mvm_vm_dirty_log() clears what it
 * returned), so callers need not care.
 */
#ifndef MINIVMM_DIRTY_H
#define MINIVMM_DIRTY_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

struct mvm_vm;

struct mvm_dirty_iter {
	struct mvm_vm *vm;
	int slot;	  /* slot index */
	uint64_t gpa;	  /* the slot's first guest-physical byte */
	uint64_t npages;  /* pages in the slot */
	uint64_t *bitmap; /* the collected log, one bit per page */
	uint64_t pos;	  /* next page number to look at */
	int manual;	  /* clear with KVM_CLEAR_DIRTY_LOG as we go */
	uint64_t cleared; /* words below this index are cleared (manual) */
	uint64_t pages;	  /* pages handed out so far */
	uint64_t clears;  /* KVM_CLEAR_DIRTY_LOG calls made */
};

/*
 * Switch KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on (on = 1) for the VM.
 * 0, or -EOPNOTSUPP when KVM does not offer it (nothing changes: the
 * log is cleared by each get, as before), or the ioctl's -errno. Same
 * pause rule as mvm_vm_mem_set_flags(). Switching it off is refused
 * (-EINVAL): KVM has no way back that keeps the log consistent.
 */
int mvm_vm_dirty_manual(struct mvm_vm *vm, int on);
/* 1 if manual protection is on for vm, else 0. */
int mvm_vm_dirty_is_manual(const struct mvm_vm *vm);

/*
 * Collect the dirty log of slot `slot` (MVM_MEM_LOG_DIRTY) into it.
 * Without manual protection the log is cleared here; with it, page by
 * page as mvm_dirty_iter_next() reaches them. 0, -ENOENT, -EINVAL (the
 * slot does not log), -ENOMEM or the ioctl's -errno.
 */
int mvm_dirty_iter_begin(struct mvm_vm *vm, int slot,
			 struct mvm_dirty_iter *it);
/* The next dirty page: 1 and *gpa (its first byte), 0 at the end, or
 * -errno (a failed KVM_CLEAR_DIRTY_LOG). Pages come in address order. */
int mvm_dirty_iter_next(struct mvm_dirty_iter *it, uint64_t *gpa);
/* Free the iterator's bitmap. Pages not reached stay dirty in manual
 * mode (they are reported again next time), and are dropped otherwise. */
void mvm_dirty_iter_end(struct mvm_dirty_iter *it);

#pragma GCC visibility pop

#endif
