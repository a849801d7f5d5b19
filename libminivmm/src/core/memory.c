/*
 * memory.c - the VMM's table of guest memory slots, and the VM's slots.
 *
 * KVM maps guest-physical ranges onto host memory one slot at a time
 * (KVM_SET_USER_MEMORY_REGION, Documentation/virt/kvm/api.rst 4.35).
 * This file keeps the VMM's own copy of that table and is the only
 * place that turns a guest-physical address into a host pointer.
 *
 * That makes it the security boundary between guest and host (STYLE.md
 * 5): the guest chooses the addresses it hands us (a ucall struct, a
 * virtqueue descriptor, a page-table entry), so every check below is
 * written for a hostile caller. In particular `gpa + len` is never
 * computed before we know it cannot wrap past 2^64.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "internal.h"

#define PAGE_MASK 0xfffULL

/* Do [a, a + alen) and [b, b + blen) overlap? Compared by last byte, so a
 * range that ends exactly at 2^64 (last byte 0xffff...ffff) works too. */
static int ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

int mvm_memmap_add(struct mvm_memmap *m, uint64_t gpa, uint64_t size, void *hva,
		   unsigned flags)
{
	int free_idx = -1;

	if (!m || !hva || size == 0 || (gpa & PAGE_MASK) ||
	    (size & PAGE_MASK) || ((uintptr_t)hva & PAGE_MASK))
		return -EINVAL;
	if (gpa + size < gpa && gpa + size != 0)
		return -EINVAL; /* wraps (ending exactly at 2^64 is fine) */
	if (flags & ~(MVM_MEM_READONLY | MVM_MEM_LOG_DIRTY))
		return -EINVAL;
	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &m->slots[i];

		if (!s->used) {
			if (free_idx < 0)
				free_idx = i;
			continue;
		}
		if (ranges_overlap(gpa, size, s->gpa, s->size))
			return -EEXIST;
	}
	if (free_idx < 0)
		return -ENOSPC;
	m->slots[free_idx] = (struct mvm_slot){
		.used = 1,
		.id = (uint32_t)free_idx,
		.gpa = gpa,
		.size = size,
		.hva = hva,
		.flags = flags,
		.owned = 0,
	};
	return free_idx;
}

int mvm_memmap_remove(struct mvm_memmap *m, int slot)
{
	if (!m || slot < 0 || slot >= MVM_MAX_SLOTS || !m->slots[slot].used)
		return -ENOENT;
	memset(&m->slots[slot], 0, sizeof(m->slots[slot]));
	return 0;
}

/* Offset of gpa inside s, or -1 when gpa is outside. Written as a
 * subtraction so that a slot ending at 2^64 needs no special case. */
static int64_t slot_offset(const struct mvm_slot *s, uint64_t gpa)
{
	if (!s->used || gpa < s->gpa || gpa - s->gpa >= s->size)
		return -1;
	return (int64_t)(gpa - s->gpa);
}

const struct mvm_slot *mvm_memmap_find(const struct mvm_memmap *m, uint64_t gpa)
{
	if (!m)
		return NULL;
	for (int i = 0; i < MVM_MAX_SLOTS; i++)
		if (slot_offset(&m->slots[i], gpa) >= 0)
			return &m->slots[i];
	return NULL;
}

/* [slide:memmap-hva] */
void *mvm_memmap_hva(const struct mvm_memmap *m, uint64_t gpa, uint64_t len)
{
	const struct mvm_slot *s = mvm_memmap_find(m, gpa);
	uint64_t off;

	if (!s)
		return NULL;
	if (len == 0)
		len = 1;
	off = gpa - s->gpa;
	/* The range must end inside the same slot: compare lengths, never
	 * compute gpa + len, which a guest can make wrap around 2^64. */
	if (len > s->size - off)
		return NULL;
	return s->hva + off;
}
/* [/slide:memmap-hva] */

/*
 * Walk [gpa, gpa + len) slot by slot. With buf == NULL only check that
 * every byte is guest memory (and writable when want_write && !force);
 * otherwise copy. Returns 0, -EFAULT or -EROFS.
 */
static int walk(const struct mvm_memmap *m, uint64_t gpa, uint8_t *buf,
		size_t len, int want_write, int force, int copy)
{
	while (len > 0) {
		const struct mvm_slot *s = mvm_memmap_find(m, gpa);
		uint64_t off, chunk;

		if (!s)
			return -EFAULT;
		off = gpa - s->gpa;
		chunk = s->size - off;
		if (chunk > len)
			chunk = len;
		if (want_write && !force && (s->flags & MVM_MEM_READONLY))
			return -EROFS;
		if (copy && want_write)
			memcpy(s->hva + off, buf, chunk);
		else if (copy)
			memcpy(buf, s->hva + off, chunk);
		buf += chunk;
		len -= chunk;
		if (len > 0 && gpa + chunk < gpa)
			return -EFAULT; /* the next byte would be past 2^64 */
		gpa += chunk;
	}
	return 0;
}

int mvm_memmap_read(const struct mvm_memmap *m, uint64_t gpa, void *buf,
		    size_t len)
{
	int r;

	if (!m || (!buf && len))
		return -EFAULT;
	/* Check first so that a failing read copies nothing. */
	r = walk(m, gpa, buf, len, 0, 0, 0);
	if (r < 0)
		return r;
	return walk(m, gpa, buf, len, 0, 0, 1);
}

int mvm_memmap_write(const struct mvm_memmap *m, uint64_t gpa, const void *buf,
		     size_t len, int force)
{
	int r;

	if (!m || (!buf && len))
		return -EFAULT;
	r = walk(m, gpa, (uint8_t *)buf, len, 1, force, 0);
	if (r < 0)
		return r;
	return walk(m, gpa, (uint8_t *)buf, len, 1, force, 1);
}

/* --- the VM's slots, mirrored to KVM -------------------------------------
 *
 * struct mvm_vm keeps a memmap and every change goes to KVM as well with
 * KVM_SET_USER_MEMORY_REGION (api.rst 4.35): a slot is created by giving
 * it a non-zero size and deleted by setting the size to 0. KVM_MEM_READONLY
 * makes guest writes exit as MMIO (4.35, needs KVM_CAP_READONLY_MEM);
 * KVM_MEM_LOG_DIRTY_PAGES makes KVM record every page the guest writes,
 * the basis of live migration (KVM_GET_DIRTY_LOG, 4.8).
 */

#define PAGE_SIZE 4096ULL

/* KVM_SET_USER_MEMORY_REGION for memmap slot s (size 0 deletes it). */
/* [slide:memslot] */
static int kvm_set_slot(struct mvm_vm *vm, const struct mvm_slot *s,
			uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = s->id,
		.guest_phys_addr = s->gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)s->hva,
	};

	if (s->flags & MVM_MEM_READONLY)
		r.flags |= KVM_MEM_READONLY;
	if (s->flags & MVM_MEM_LOG_DIRTY)
		r.flags |= KVM_MEM_LOG_DIRTY_PAGES;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		int err = errno;

		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%llx size "
			 "0x%llx: %s",
			 s->id, (unsigned long long)s->gpa,
			 (unsigned long long)size, strerror(err));
		return -err;
	}
	return 0;
}
/* [/slide:memslot] */

/* KVM on Intel keeps three private pages at MVM_KVM_TSS_ADDR (vm.c); a
 * slot there would silently break real mode, so refuse it by name. */
static int hits_kvm_tss(uint64_t gpa, uint64_t size)
{
	const uint64_t tss_end = MVM_KVM_TSS_ADDR + 3 * 4096;

	return gpa < tss_end && gpa + (size - 1) >= MVM_KVM_TSS_ADDR;
}

/* Record the slot first, then tell KVM; if KVM refuses, forget it again,
 * so the VMM's table and KVM's never disagree. */
int mvm_vm_mem_add_hva(struct mvm_vm *vm, uint64_t gpa, uint64_t size,
		       void *hva, unsigned flags)
{
	int idx, r;

	if ((flags & MVM_MEM_READONLY) &&
	    mvm_kvm_check_cap(vm->fd, KVM_CAP_READONLY_MEM) <= 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "KVM_CAP_READONLY_MEM missing: no read-only slots");
		return -EOPNOTSUPP;
	}
	if (size && gpa + (size - 1) >= gpa && hits_kvm_tss(gpa, size)) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "cannot add memory at gpa 0x%llx size 0x%llx: "
			 "overlaps KVM's private TSS pages at 0x%llx",
			 (unsigned long long)gpa, (unsigned long long)size,
			 MVM_KVM_TSS_ADDR);
		return -EEXIST;
	}
	idx = mvm_memmap_add(&vm->mem, gpa, size, hva, flags);
	if (idx < 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "cannot add memory at gpa 0x%llx size 0x%llx: %s",
			 (unsigned long long)gpa, (unsigned long long)size,
			 idx == -EEXIST	  ? "overlaps an existing slot"
			 : idx == -ENOSPC ? "no free slot"
					  : "gpa, size and hva must be 4 KiB "
					    "aligned and not wrap");
		return idx;
	}
	r = kvm_set_slot(vm, &vm->mem.slots[idx], size);
	if (r < 0) {
		mvm_memmap_remove(&vm->mem, idx);
		return r;
	}
	return idx;
}

/* Memory the library allocates (and frees on remove/destroy): anonymous
 * pages read as zero, and MAP_NORESERVE lets a large, sparsely used guest
 * cost only the pages it touches. */
int mvm_vm_mem_add(struct mvm_vm *vm, uint64_t gpa, uint64_t size,
		   unsigned flags)
{
	void *p;
	int idx;

	if (size == 0 || size % PAGE_SIZE || size > MVM_RAM_MAX) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "bad slot size 0x%llx: must be a non-zero multiple "
			 "of 4 KiB",
			 (unsigned long long)size);
		return -EINVAL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		mvm_logf(&vm->log, MVM_LOG_ERROR, "mmap of %llu bytes: %s",
			 (unsigned long long)size, strerror(err));
		return -err;
	}
	idx = mvm_vm_mem_add_hva(vm, gpa, size, p, flags);
	if (idx < 0) {
		munmap(p, size);
		return idx;
	}
	vm->mem.slots[idx].owned = 1;
	return idx;
}

/* Tell KVM first: once KVM no longer maps the slot the guest cannot
 * reach the memory (accesses exit as MMIO), and only then may the host
 * unmap it. */
int mvm_vm_mem_remove(struct mvm_vm *vm, int slot)
{
	struct mvm_slot s;
	int r;

	if (slot < 0 || slot >= MVM_MAX_SLOTS || !vm->mem.slots[slot].used)
		return -ENOENT;
	if (vm->ram && vm->mem.slots[slot].hva == vm->ram) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "slot %d is the VM's RAM and cannot be removed", slot);
		return -EBUSY;
	}
	s = vm->mem.slots[slot];
	r = kvm_set_slot(vm, &s, 0);
	if (r < 0)
		return r;
	mvm_memmap_remove(&vm->mem, slot);
	if (s.owned)
		munmap(s.hva, s.size);
	return 0;
}

/* Bit i of the bitmap (word i / 64, bit i % 64) is page i of the slot,
 * counted from its first byte; KVM clears the log as it copies it out. */
/* [slide:dirty-log] */
int mvm_vm_dirty_log(struct mvm_vm *vm, int slot, uint64_t *bitmap)
{
	struct kvm_dirty_log d = {.slot = (uint32_t)slot,
				  .dirty_bitmap = bitmap};

	if (slot < 0 || slot >= MVM_MAX_SLOTS || !vm->mem.slots[slot].used)
		return -ENOENT;
	if (!(vm->mem.slots[slot].flags & MVM_MEM_LOG_DIRTY)) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "slot %d was not created with MVM_MEM_LOG_DIRTY",
			 slot);
		return -EINVAL;
	}
	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &d) < 0)
		return -errno;
	return 0;
}
/* [/slide:dirty-log] */

int mvm_vm_read(struct mvm_vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return mvm_memmap_read(&vm->mem, gpa, buf, len);
}

int mvm_vm_write(struct mvm_vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	return mvm_memmap_write(&vm->mem, gpa, buf, len, 0);
}
