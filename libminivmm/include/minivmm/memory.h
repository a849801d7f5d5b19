/*
 * memory.h - guest-physical memory: slots, translation, copy helpers.
 *
 * A VM's "physical" memory is ordinary host memory (mmap'ed by the VMM)
 * that KVM maps into the guest with KVM_SET_USER_MEMORY_REGION: one entry
 * per slot, guest-physical range -> host-virtual range. Addresses that no
 * slot covers are not memory at all: a guest access there exits to user
 * space as MMIO.
 *
 * struct mvm_memmap is the VMM's own copy of that slot table. It is a
 * plain data structure that needs no /dev/kvm, so the loaders, the
 * page-table builder and walker and their unit tests work on it directly;
 * struct mvm_vm keeps one and mirrors every change to KVM.
 *
 * Safety rule (STYLE.md 5): every guest-physical address goes through
 * mvm_memmap_hva(), which only answers for ranges that lie entirely
 * inside one slot. Nothing else turns a guest address into a pointer.
 *
 * Dirty rule: KVM's dirty log (KVM_GET_DIRTY_LOG, api.rst 4.8) records
 * only the pages the *guest* wrote. While a slot has MVM_MEM_LOG_DIRTY,
 * every page the *VMM* writes (loaders, page-table builder, devices) is
 * recorded in the slot's own bitmap, and mvm_vm_dirty_log() hands out
 * the union of both. mvm_memmap_write() records by itself; code that
 * writes through a pointer from mvm_memmap_hva() calls
 * mvm_memmap_mark_dirty() after the write. A write that is not recorded
 * is lost by a live migration, silently.
 */
#ifndef MINIVMM_MEMORY_H
#define MINIVMM_MEMORY_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#define MVM_MAX_SLOTS 32

/* Slot flags. READONLY and PRIVATE are fixed when the slot is made;
 * LOG_DIRTY may be switched later (mvm_memmap_set_flags, and
 * mvm_vm_mem_set_flags for a VM's slot). */
#define MVM_MEM_READONLY  (1u << 0) /* ROM: guest writes exit as MMIO */
#define MVM_MEM_LOG_DIRTY (1u << 1) /* record written pages (guest + VMM) */
#define MVM_MEM_PRIVATE	  (1u << 2) /* file mapped copy-on-write */
#define MVM_MEM_FLAGS	  (MVM_MEM_READONLY | MVM_MEM_LOG_DIRTY | MVM_MEM_PRIVATE)

/* Dirty bitmaps, KVM's and the VMM's, have one bit per 4 KiB page. */
#define MVM_DIRTY_PAGE	      4096ULL
/* 64-bit words of a dirty bitmap for a slot of `size` bytes. */
#define MVM_DIRTY_WORDS(size) (((size) / MVM_DIRTY_PAGE + 63) / 64)

struct mvm_slot {
	int used;	    /* 0 = free entry */
	uint32_t id;	    /* KVM slot number */
	uint64_t gpa;	    /* first guest-physical byte */
	uint64_t size;	    /* bytes, a multiple of 4 KiB */
	uint8_t *hva;	    /* host address of the first byte */
	unsigned flags;	    /* MVM_MEM_* */
	int owned;	    /* 1 if the library mmap'ed hva (and owns fd) */
	int fd;		    /* file behind hva (RAM: a memfd); -1 if none */
	uint64_t fd_offset; /* offset of the slot's first byte in fd */
	uint64_t *dirty;    /* VMM-written pages; NULL if not logging */
};

struct mvm_memmap {
	struct mvm_slot slots[MVM_MAX_SLOTS];
};

/*
 * Add a slot covering [gpa, gpa + size) backed by hva. gpa, size and hva
 * must be 4 KiB aligned and the range must not overlap an existing slot.
 * The slot's fd is -1 (the VM layer sets it for memory it maps). With
 * MVM_MEM_LOG_DIRTY the VMM's dirty bitmap is allocated here. Returns the
 * slot index (>= 0) or -EINVAL / -EEXIST (overlap) / -ENOSPC / -ENOMEM.
 */
int mvm_memmap_add(struct mvm_memmap *m, uint64_t gpa, uint64_t size, void *hva,
		   unsigned flags);

/* Forget slot index `slot` (and free its dirty bitmap). Returns 0 or
 * -ENOENT. The memory itself belongs to whoever mapped it. */
int mvm_memmap_remove(struct mvm_memmap *m, int slot);

/* The slot that contains gpa, or NULL. */
const struct mvm_slot *mvm_memmap_find(const struct mvm_memmap *m,
				       uint64_t gpa);

/*
 * Host pointer for [gpa, gpa + len), or NULL when any byte of the range
 * is outside a slot or the range crosses a slot boundary. len == 0 is
 * treated as 1. Overflowing ranges (gpa + len wraps) give NULL.
 * A caller that writes through the pointer must call
 * mvm_memmap_mark_dirty() for what it wrote (the dirty rule above).
 */
void *mvm_memmap_hva(const struct mvm_memmap *m, uint64_t gpa, uint64_t len);

/*
 * Copy between guest memory and a host buffer. The range may span
 * adjacent slots. Returns 0, or -EFAULT if any byte is not guest memory
 * (nothing is copied then). mvm_memmap_write() refuses read-only slots
 * with -EROFS unless `force` is set (loaders use force to fill ROM).
 */
int mvm_memmap_read(const struct mvm_memmap *m, uint64_t gpa, void *buf,
		    size_t len);
int mvm_memmap_write(const struct mvm_memmap *m, uint64_t gpa, const void *buf,
		     size_t len, int force);

/* --- the VMM's dirty bitmap (dirty.c) ----------------------------------- */

/*
 * Record that the VMM wrote [gpa, gpa + len): sets the bit of every page
 * the range touches in each slot that logs dirty pages; bytes outside any
 * slot and slots that do not log are ignored. Call it AFTER the write:
 * whoever collects the bitmap and then finds the bit set must also find
 * the new bytes. Safe from any thread at any time (an atomic OR per
 * bitmap word); len == 0 marks nothing.
 */
void mvm_memmap_mark_dirty(const struct mvm_memmap *m, uint64_t gpa,
			   uint64_t len);

/*
 * OR the pages the VMM wrote in slot `slot` into bitmap (MVM_DIRTY_WORDS
 * of the slot's size) and clear them, word by word, atomically: a page
 * marked while this runs is reported now or by the next call, never
 * lost. Returns 0, -ENOENT (no such slot) or -EINVAL (slot not logging).
 */
int mvm_memmap_dirty_collect(const struct mvm_memmap *m, int slot,
			     uint64_t *bitmap);

/*
 * Change the flags of slot `slot` in the table: only MVM_MEM_LOG_DIRTY
 * may change (switching it on allocates a clear bitmap, off frees it).
 * Not thread-safe against mvm_memmap_mark_dirty(): the VM layer calls it
 * with every vCPU and device paused. Returns 0, -ENOENT, -EINVAL (another
 * flag would change) or -ENOMEM.
 */
int mvm_memmap_set_flags(struct mvm_memmap *m, int slot, unsigned flags);

#pragma GCC visibility pop

#endif
