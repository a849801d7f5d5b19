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
 */
#ifndef MINIVMM_MEMORY_H
#define MINIVMM_MEMORY_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

#define MVM_MAX_SLOTS 32

/* Slot flags. */
#define MVM_MEM_READONLY  (1u << 0) /* ROM: guest writes exit as MMIO */
#define MVM_MEM_LOG_DIRTY (1u << 1) /* KVM tracks written pages */

struct mvm_slot {
	int used;	/* 0 = free entry */
	uint32_t id;	/* KVM slot number */
	uint64_t gpa;	/* first guest-physical byte */
	uint64_t size;	/* bytes, a multiple of 4 KiB */
	uint8_t *hva;	/* host address of the first byte */
	unsigned flags; /* MVM_MEM_* */
	int owned;	/* 1 if the library mmap'ed hva and must unmap it */
};

struct mvm_memmap {
	struct mvm_slot slots[MVM_MAX_SLOTS];
};

/*
 * Add a slot covering [gpa, gpa + size) backed by hva. gpa, size and hva
 * must be 4 KiB aligned and the range must not overlap an existing slot.
 * Returns the slot index (>= 0) or -EINVAL / -EEXIST (overlap) / -ENOSPC.
 */
int mvm_memmap_add(struct mvm_memmap *m, uint64_t gpa, uint64_t size, void *hva,
		   unsigned flags);

/* Forget slot index `slot`. Returns 0 or -ENOENT. */
int mvm_memmap_remove(struct mvm_memmap *m, int slot);

/* The slot that contains gpa, or NULL. */
const struct mvm_slot *mvm_memmap_find(const struct mvm_memmap *m,
				       uint64_t gpa);

/*
 * Host pointer for [gpa, gpa + len), or NULL when any byte of the range
 * is outside a slot or the range crosses a slot boundary. len == 0 is
 * treated as 1. Overflowing ranges (gpa + len wraps) give NULL.
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

#pragma GCC visibility pop

#endif
