/*
 * vm.c - creating and destroying a VM, its memory slots and MSR policy.
 *
 * A VM is built in the order KVM requires (Documentation/virt/kvm/
 * api.rst, sections 4.2, 4.7, 4.24, 4.35):
 *
 *   open /dev/kvm -> KVM_CREATE_VM -> KVM_SET_TSS_ADDR
 *     -> RAM: mmap + KVM_SET_USER_MEMORY_REGION (slot 0 at GPA 0)
 *     -> [KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2]   (before any vCPU)
 *     -> KVM_CREATE_VCPU for each vCPU (vcpu.c)
 *
 * Each step that fails logs which step and why, and everything built so
 * far is released by the one mvm_vm_destroy(), which accepts a half-built
 * VM (STYLE.md 3). The VMM keeps its own copy of the slot table (struct
 * mvm_memmap, memory.c) and mirrors every change to KVM here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define PAGE_SIZE 4096ULL

static int check_config(const struct mvm_vm_config *cfg,
			const struct mvm_log *log)
{
	uint64_t ram = cfg->ram_size ? cfg->ram_size : MVM_RAM_DEFAULT;
	int n = cfg->ncpus ? cfg->ncpus : 1;

	if (ram % PAGE_SIZE || ram < MVM_RAM_MIN || ram > MVM_RAM_MAX) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bad RAM size %llu bytes: it must be a multiple of "
			 "4 KiB between %llu KiB and %llu MiB (below the MMIO "
			 "window at 0x%llx)",
			 (unsigned long long)ram, MVM_RAM_MIN >> 10,
			 MVM_RAM_MAX >> 20, MVM_MMIO_BASE);
		return -EINVAL;
	}
	if (n < 1 || n > MVM_MAX_VCPUS) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "bad vCPU count %d: minivmm supports 1 to %d", n,
			 MVM_MAX_VCPUS);
		return -EINVAL;
	}
	return 0;
}

/* KVM_SET_USER_MEMORY_REGION for memmap slot s (size 0 deletes it). */
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

/* Give the VM its RAM: slot 0 at GPA 0. */
static int add_ram(struct mvm_vm *vm, uint64_t size)
{
	int idx = mvm_vm_mem_add(vm, 0, size, 0);

	if (idx < 0)
		return idx;
	vm->ram = vm->mem.slots[idx].hva;
	vm->ram_size = size;
	return 0;
}

/* One VM-level ioctl whose failure ends creation; logs the step name. */
static int vm_ioctl(struct mvm_vm *vm, unsigned long req, unsigned long arg,
		    const char *what)
{
	if (ioctl(vm->fd, req, arg) < 0) {
		int err = errno;

		mvm_logf(&vm->log, MVM_LOG_ERROR, "%s: %s", what,
			 strerror(err));
		return -err;
	}
	return 0;
}

/* In-kernel PIC + IOAPIC + LAPIC and the 8254 PIT; before any vCPU. */
static int create_irqchip(struct mvm_vm *vm)
{
	struct kvm_pit_config pit = {.flags = 0};
	int r;

	r = vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
	if (r == 0)
		r = vm_ioctl(vm, KVM_CREATE_PIT2, (unsigned long)&pit,
			     "KVM_CREATE_PIT2");
	return r;
}

/* The steps after the VM object exists, in the order KVM needs them. */
static int build_vm(struct mvm_vm *vm, const struct mvm_vm_config *cfg)
{
	uint64_t ram = cfg->ram_size ? cfg->ram_size : MVM_RAM_DEFAULT;
	int n = cfg->ncpus ? cfg->ncpus : 1;
	int r;

	/* Intel VMX needs three private pages for real-mode emulation
	 * (api.rst 4.24); harmless elsewhere. */
	r = vm_ioctl(vm, KVM_SET_TSS_ADDR, MVM_KVM_TSS_ADDR,
		     "KVM_SET_TSS_ADDR");
	if (r == 0)
		r = add_ram(vm, ram);
	if (r == 0 && (cfg->flags & MVM_VM_IRQCHIP))
		r = create_irqchip(vm);
	if (r == 0 && (cfg->flags & MVM_VM_USER_MSR))
		r = mvm_vm_enable_user_msr(vm, NULL, 0, NULL, NULL);
	for (int i = 0; r == 0 && i < n; i++) {
		r = mvm_vcpu_create(vm, i, &vm->vcpu[i]);
		if (r == 0)
			vm->ncpus = i + 1;
	}
	return r;
}

/* [slide:vm-create] */
int mvm_vm_create(const struct mvm_vm_config *cfg, struct mvm_vm **out)
{
	struct mvm_vm *vm;
	int r;

	*out = NULL;
	r = check_config(cfg, &cfg->log);
	if (r < 0)
		return r;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->log = cfg->log;
	vm->flags = cfg->flags;
	vm->fd = -1;
	vm->kvm_fd = -1;
	mvm_bus_init(&vm->pio, "pio");
	mvm_bus_init(&vm->mmio, "mmio");
	vm->kvm_fd = mvm_kvm_open(&vm->log);
	if (vm->kvm_fd < 0) {
		r = vm->kvm_fd;
		goto err;
	}
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		r = -errno;
		mvm_logf(&vm->log, MVM_LOG_ERROR, "KVM_CREATE_VM: %s",
			 strerror(-r));
		goto err;
	}
	r = build_vm(vm, cfg);
	if (r < 0)
		goto err;
	*out = vm;
	return 0;
err:
	mvm_vm_destroy(vm);
	return r;
}
/* [/slide:vm-create] */

void mvm_vm_destroy(struct mvm_vm *vm)
{
	if (!vm)
		return;
	for (int i = 0; i < MVM_MAX_VCPUS; i++)
		mvm_vcpu_destroy(vm->vcpu[i]);
	/* Closing the VM fd drops KVM's slots; then the memory can go. */
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &vm->mem.slots[i];

		if (s->used && s->owned)
			munmap(s->hva, s->size);
	}
	free(vm);
}

/*
 * User-space MSR emulation (api.rst 7.21, KVM_CAP_X86_USER_SPACE_MSR, and
 * 4.126, KVM_X86_SET_MSR_FILTER). The capability's argument says which
 * accesses exit: UNKNOWN (an MSR KVM does not implement), INVAL (KVM
 * would inject #GP) and FILTER (denied by the filter). A filter range
 * whose bitmap bit is CLEAR denies the access, and a denied access exits
 * with reason FILTER; so each MSR in `filter` gets a one-MSR range with
 * an all-zero bitmap, and everything else stays allowed (in the kernel).
 */
static int set_msr_filter(struct mvm_vm *vm, const uint32_t *filter, int n)
{
	static uint8_t deny[KVM_MSR_FILTER_MAX_RANGES]; /* all bits clear */
	struct kvm_msr_filter f = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};

	if (n > KVM_MSR_FILTER_MAX_RANGES) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "MSR filter of %d entries: KVM allows at most %d", n,
			 KVM_MSR_FILTER_MAX_RANGES);
		return -E2BIG;
	}
	if (mvm_kvm_check_cap(vm->fd, KVM_CAP_X86_MSR_FILTER) <= 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "KVM_CAP_X86_MSR_FILTER missing: cannot filter MSRs");
		return -EOPNOTSUPP;
	}
	for (int i = 0; i < n; i++) {
		f.ranges[i].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		f.ranges[i].base = filter[i];
		f.ranges[i].nmsrs = 1;
		f.ranges[i].bitmap = &deny[i];
	}
	return vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, (unsigned long)&f,
			"KVM_X86_SET_MSR_FILTER");
}

int mvm_vm_enable_user_msr(struct mvm_vm *vm, const uint32_t *filter, int n,
			   mvm_msr_fn *fn, void *ctx)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN |
			   KVM_MSR_EXIT_REASON_INVAL |
			   KVM_MSR_EXIT_REASON_FILTER,
	};
	int r;

	if (n < 0 || (n > 0 && !filter))
		return -EINVAL;
	if (mvm_kvm_check_cap(vm->fd, KVM_CAP_X86_USER_SPACE_MSR) <= 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "KVM_CAP_X86_USER_SPACE_MSR missing: MSRs cannot be "
			 "emulated in user space");
		return -EOPNOTSUPP;
	}
	r = vm_ioctl(vm, KVM_ENABLE_CAP, (unsigned long)&cap,
		     "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)");
	if (r == 0 && n > 0)
		r = set_msr_filter(vm, filter, n);
	if (r == 0) {
		vm->msr_fn = fn;
		vm->msr_ctx = ctx;
	}
	return r;
}

/* --- accessors ---------------------------------------------------------- */

int mvm_vm_fd(const struct mvm_vm *vm)
{
	return vm->fd;
}

int mvm_vm_kvm_fd(const struct mvm_vm *vm)
{
	return vm->kvm_fd;
}

const struct mvm_log *mvm_vm_log(const struct mvm_vm *vm)
{
	return &vm->log;
}

struct mvm_memmap *mvm_vm_mem(struct mvm_vm *vm)
{
	return &vm->mem;
}

uint64_t mvm_vm_ram_size(const struct mvm_vm *vm)
{
	return vm->ram_size;
}

struct mvm_bus *mvm_vm_pio_bus(struct mvm_vm *vm)
{
	return &vm->pio;
}

struct mvm_bus *mvm_vm_mmio_bus(struct mvm_vm *vm)
{
	return &vm->mmio;
}

int mvm_vm_ncpus(const struct mvm_vm *vm)
{
	return vm->ncpus;
}

struct mvm_vcpu *mvm_vm_vcpu(struct mvm_vm *vm, int index)
{
	if (index < 0 || index >= vm->ncpus)
		return NULL;
	return vm->vcpu[index];
}

void *mvm_vm_ram(struct mvm_vm *vm)
{
	return vm->ram;
}

int mvm_vm_read(struct mvm_vm *vm, uint64_t gpa, void *buf, size_t len)
{
	return mvm_memmap_read(&vm->mem, gpa, buf, len);
}

int mvm_vm_write(struct mvm_vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	return mvm_memmap_write(&vm->mem, gpa, buf, len, 0);
}
