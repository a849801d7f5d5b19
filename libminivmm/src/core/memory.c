/*
 * memory.c - the VMM's table of guest memory slots.
 *
 * KVM maps guest-physical ranges onto host memory one slot at a time
 * (KVM_SET_USER_MEMORY_REGION, Documentation/virt/kvm/api.rst 4.35).
 * This file keeps the VMM's own copy of that table and is the only
 * place that turns a guest-physical address into a host pointer. The
 * VM's slots (the table mirrored to KVM, RAM in a memfd) are in
 * memslot.c; the dirty bitmap of the VMM's own writes in dirty.c.
 *
 * That makes it the security boundary between guest and host (STYLE.md
 * 5): the guest chooses the addresses it hands us (a ucall struct, a
 * virtqueue descriptor, a page-table entry), so every check below is
 * written for a hostile caller. In particular `gpa + len` is never
 * computed before we know it cannot wrap past 2^64.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	if (flags & ~MVM_MEM_FLAGS)
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
		.flags = flags & ~MVM_MEM_LOG_DIRTY,
		.owned = 0,
		.fd = -1,
	};
	/* Logging starts the one way it can be switched on later. */
	if (flags & MVM_MEM_LOG_DIRTY) {
		int r = mvm_memmap_set_flags(m, free_idx, flags);

		if (r < 0) {
			mvm_memmap_remove(m, free_idx);
			return r;
		}
	}
	return free_idx;
}

int mvm_memmap_remove(struct mvm_memmap *m, int slot)
{
	if (!m || slot < 0 || slot >= MVM_MAX_SLOTS || !m->slots[slot].used)
		return -ENOENT;
	free(m->slots[slot].dirty);
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
	r = walk(m, gpa, (uint8_t *)buf, len, 1, force, 1);
	/* After the copy, never before (memory.h, the dirty rule). */
	if (r == 0)
		mvm_memmap_mark_dirty(m, gpa, len);
	return r;
}

/* The same on a VM's map (vm.h); writes to read-only slots give -EROFS. */
int mvm_vm_read(struct mvm_vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return mvm_memmap_read(&vm->mem, gpa, buf, len);
}

int mvm_vm_write(struct mvm_vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	return mvm_memmap_write(&vm->mem, gpa, buf, len, 0);
}
