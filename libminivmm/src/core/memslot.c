/*
 * memslot.c - the VM's memory slots: the VMM's table mirrored to KVM.
 *
 * struct mvm_vm keeps a memmap (memory.c) and every change goes to KVM
 * as well with KVM_SET_USER_MEMORY_REGION (api.rst 4.35): a slot is
 * created by giving it a non-zero size and deleted by setting the size
 * to 0. KVM_MEM_READONLY makes guest writes exit as MMIO (4.35, needs
 * KVM_CAP_READONLY_MEM); KVM_MEM_LOG_DIRTY_PAGES makes KVM record every
 * page the guest writes, the basis of live migration (KVM_GET_DIRTY_LOG,
 * 4.8; dirty.c).
 *
 * Memory the library allocates lives in a memfd (memfd_create(2)): an
 * anonymous file in RAM. It reads as zero and costs the host only the
 * pages that are touched, like anonymous memory, but it has a file
 * descriptor: mapping that fd MAP_SHARED in another process (or at
 * another address) shows the very same pages, which is what a second
 * process serving a device, or a migration sender, needs. A slot can
 * also be mapped from any file (mvm_vm_mem_add_fd), copy-on-write with
 * MVM_MEM_PRIVATE, so a snapshot's RAM file can be restored without
 * reading it all first.
 *
 * The memory map changes only while every vCPU and device thread is
 * paused (the machine layer's pause); these calls take no lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define PAGE_SIZE 4096ULL

/* KVM_SET_USER_MEMORY_REGION for memmap slot s (size 0 deletes it).
 * MVM_MEM_PRIVATE is not KVM's business: it says how the host mapped
 * the memory, and KVM simply uses whatever is mapped at hva. */
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
static int add_slot(struct mvm_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		    unsigned flags)
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
			 : idx == -ENOMEM ? "no memory for the dirty bitmap"
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

int mvm_vm_mem_add_hva(struct mvm_vm *vm, uint64_t gpa, uint64_t size,
		       void *hva, unsigned flags)
{
	if (flags & MVM_MEM_PRIVATE) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "MVM_MEM_PRIVATE is for mvm_vm_mem_add_fd(): memory "
			 "the caller mapped is mapped already");
		return -EINVAL;
	}
	return add_slot(vm, gpa, size, hva, flags);
}

/* A size KVM and mmap will take; says why not in words. */
static int check_size(struct mvm_vm *vm, uint64_t size)
{
	if (size == 0 || size % PAGE_SIZE || size > MVM_RAM_MAX) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "bad slot size 0x%llx: must be a non-zero multiple "
			 "of 4 KiB up to 0x%llx",
			 (unsigned long long)size, MVM_RAM_MAX);
		return -EINVAL;
	}
	return 0;
}

/*
 * Map `size` bytes of fd at `offset` and add them at gpa. The slot takes
 * over fd (closed with the slot) only on success. MAP_SHARED writes go
 * to the file, MAP_PRIVATE (MVM_MEM_PRIVATE) ones to private copies of
 * the pages (mmap(2)); MAP_NORESERVE keeps an untouched page free.
 */
static int map_fd(struct mvm_vm *vm, uint64_t gpa, uint64_t size, int fd,
		  uint64_t offset, unsigned flags)
{
	int share = (flags & MVM_MEM_PRIVATE) ? MAP_PRIVATE : MAP_SHARED;
	void *p;
	int idx;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, share | MAP_NORESERVE, fd,
		 (off_t)offset);
	if (p == MAP_FAILED) {
		int err = errno;

		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "mmap of %llu bytes of fd %d at offset 0x%llx: %s%s",
			 (unsigned long long)size, fd,
			 (unsigned long long)offset, strerror(err),
			 err == EACCES ? " (a shared mapping needs the file "
					 "open O_RDWR; or use MVM_MEM_PRIVATE)"
				       : "");
		return -err;
	}
	idx = add_slot(vm, gpa, size, p, flags);
	if (idx < 0) {
		munmap(p, size);
		return idx;
	}
	vm->mem.slots[idx].owned = 1;
	vm->mem.slots[idx].fd = fd;
	vm->mem.slots[idx].fd_offset = offset;
	return idx;
}

/* Past the end of a regular file a mapping raises SIGBUS when touched,
 * so check the length up front (other files, e.g. devices, cannot be). */
static int check_file(struct mvm_vm *vm, int fd, uint64_t offset, uint64_t size)
{
	struct stat st;

	if (offset % PAGE_SIZE) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "file offset 0x%llx is not 4 KiB aligned",
			 (unsigned long long)offset);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		int err = errno;

		mvm_logf(&vm->log, MVM_LOG_ERROR, "fstat of fd %d: %s", fd,
			 strerror(err));
		return -err;
	}
	if (S_ISREG(st.st_mode) && ((uint64_t)st.st_size < size ||
				    (uint64_t)st.st_size - size < offset)) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "file of %lld bytes is too short for 0x%llx bytes at "
			 "offset 0x%llx",
			 (long long)st.st_size, (unsigned long long)size,
			 (unsigned long long)offset);
		return -EINVAL;
	}
	return 0;
}

/* The slot keeps its own duplicate of fd, so the caller may close its
 * copy at once, and the slot can hand it out later (struct mvm_slot). */
int mvm_vm_mem_add_fd(struct mvm_vm *vm, uint64_t gpa, uint64_t size, int fd,
		      uint64_t offset, unsigned flags)
{
	int own, idx;

	idx = check_size(vm, size);
	if (idx == 0)
		idx = check_file(vm, fd, offset, size);
	if (idx < 0)
		return idx;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0) {
		idx = -errno;
		mvm_logf(&vm->log, MVM_LOG_ERROR, "dup of fd %d: %s", fd,
			 strerror(-idx));
		return idx;
	}
	idx = map_fd(vm, gpa, size, own, offset, flags);
	if (idx < 0)
		close(own);
	return idx;
}

/* Fresh zeroed memory in a new memfd. ftruncate() only sets the file's
 * length: shmem allocates a page when it is first touched. */
int mvm_vm_mem_add(struct mvm_vm *vm, uint64_t gpa, uint64_t size,
		   unsigned flags)
{
	int fd, idx;

	idx = check_size(vm, size);
	if (idx < 0)
		return idx;
	if (flags & MVM_MEM_PRIVATE) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "MVM_MEM_PRIVATE is for mvm_vm_mem_add_fd()");
		return -EINVAL;
	}
	fd = memfd_create("minivmm-ram", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		idx = -errno;
		mvm_logf(&vm->log, MVM_LOG_ERROR, "memfd for %llu bytes: %s",
			 (unsigned long long)size, strerror(-idx));
		if (fd >= 0)
			close(fd);
		return idx;
	}
	idx = map_fd(vm, gpa, size, fd, 0, flags);
	if (idx < 0)
		close(fd);
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
	if (s.owned) {
		munmap(s.hva, s.size);
		if (s.fd >= 0)
			close(s.fd);
	}
	return 0;
}

/*
 * Put fd's pages behind an existing slot without touching KVM's slot: a
 * new mapping moved over the same host range. With KVM_CAP_SYNC_MMU "an
 * mmap() that affects the region will be made visible immediately"
 * (api.rst 4.35), so the guest sees the new backing on its next access.
 * Everything changed, so a logging slot reports every page.
 */
int mvm_vm_mem_replace_fd(struct mvm_vm *vm, int slot, int fd, uint64_t offset,
			  unsigned flags)
{
	struct mvm_slot *s;
	int share = (flags & MVM_MEM_PRIVATE) ? MAP_PRIVATE : MAP_SHARED;
	void *p;
	int own, r;

	if (slot < 0 || slot >= MVM_MAX_SLOTS || !vm->mem.slots[slot].used)
		return -ENOENT;
	s = &vm->mem.slots[slot];
	if (!s->owned || (flags & ~MVM_MEM_PRIVATE) ||
	    mvm_kvm_check_cap(vm->fd, KVM_CAP_SYNC_MMU) <= 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "slot %d: cannot replace its memory (only memory the "
			 "library mapped, only MVM_MEM_PRIVATE, and KVM needs "
			 "KVM_CAP_SYNC_MMU)",
			 slot);
		return -EINVAL;
	}
	r = check_file(vm, fd, offset, s->size);
	if (r < 0)
		return r;
	own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (own < 0)
		return -errno;
	/* Map it elsewhere first, where failing costs nothing; then move it
	 * over the slot in one step (mremap(2) MREMAP_FIXED). */
	p = mmap(NULL, s->size, PROT_READ | PROT_WRITE, share | MAP_NORESERVE,
		 own, (off_t)offset);
	if (p == MAP_FAILED ||
	    mremap(p, s->size, s->size, MREMAP_MAYMOVE | MREMAP_FIXED,
		   s->hva) == MAP_FAILED) {
		r = -errno;
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "mapping fd %d over slot %d: %s", fd, slot,
			 strerror(-r));
		if (p != MAP_FAILED)
			munmap(p, s->size);
		close(own);
		return r;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = own;
	s->fd_offset = offset;
	s->flags = (s->flags & ~MVM_MEM_PRIVATE) | flags;
	mvm_memmap_mark_dirty(&vm->mem, s->gpa, s->size);
	return 0;
}

/*
 * An existing slot keeps its place and size, but its flags may change
 * (api.rst 4.35). KVM refuses to flip KVM_MEM_READONLY on a live slot
 * (EINVAL), and MVM_MEM_PRIVATE is how the host mapped the memory, so
 * only MVM_MEM_LOG_DIRTY may change. Switching it on, the VMM's bitmap
 * comes first, so that no VMM write after KVM starts logging is missed;
 * switching it off, KVM stops first. The caller has paused every vCPU
 * and device thread (vm.h).
 */
int mvm_vm_mem_set_flags(struct mvm_vm *vm, int slot, unsigned flags)
{
	struct mvm_slot want;
	unsigned old;
	int r;

	if (slot < 0 || slot >= MVM_MAX_SLOTS || !vm->mem.slots[slot].used)
		return -ENOENT;
	old = vm->mem.slots[slot].flags;
	if ((flags & ~MVM_MEM_FLAGS) || ((flags ^ old) & ~MVM_MEM_LOG_DIRTY)) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "slot %d: flags 0x%x -> 0x%x refused: only "
			 "MVM_MEM_LOG_DIRTY can change on an existing slot "
			 "(remove it and add it again to change the rest)",
			 slot, old, flags);
		return -EINVAL;
	}
	want = vm->mem.slots[slot];
	want.flags = flags;
	if (flags & MVM_MEM_LOG_DIRTY) {
		r = mvm_memmap_set_flags(&vm->mem, slot, flags);
		if (r == 0 && (r = kvm_set_slot(vm, &want, want.size)) < 0)
			mvm_memmap_set_flags(&vm->mem, slot, old);
	} else {
		r = kvm_set_slot(vm, &want, want.size);
		if (r == 0)
			r = mvm_memmap_set_flags(&vm->mem, slot, flags);
	}
	if (r == -ENOMEM)
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "slot %d: no memory for the dirty bitmap", slot);
	return r;
}
