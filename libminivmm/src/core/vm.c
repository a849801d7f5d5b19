/*
 * vm.c - creating and destroying a VM, its memory slots and MSR policy.
 *
 * A VM is built in the order KVM requires (Documentation/virt/kvm/
 * api.rst, sections 4.2, 4.7, 4.24, 4.35):
 *
 *   open /dev/kvm -> KVM_CREATE_VM -> KVM_SET_TSS_ADDR
 *     -> RAM: memfd + mmap + KVM_SET_USER_MEMORY_REGION (slot 0 at GPA 0)
 *     -> [KVM_CREATE_IRQCHIP + KVM_CREATE_PIT2]   (before any vCPU)
 *     -> KVM_CREATE_VCPU for each vCPU (vcpu.c)
 *
 * Each step that fails logs which step and why, and everything built so
 * far is released by the one mvm_vm_destroy(), which accepts a half-built
 * VM (STYLE.md 3). Memory slots live in memory.c (the VMM's table),
 * memslot.c (its mirror in KVM) and dirty.c (dirty logging); the run
 * step in run.c and exit.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define PAGE_SIZE 4096ULL

/*
 * Check the configuration before touching KVM. A RAM size that is not
 * whole pages would fail deep inside KVM_SET_USER_MEMORY_REGION with a
 * bare EINVAL, and RAM reaching MVM_MMIO_BASE would hide the devices that
 * live there (layout.h); say so in words instead.
 */
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

/* Give the VM its RAM: slot 0 at GPA 0, in a memfd (memslot.c) that
 * another process can map too. The host only spends memory on the pages
 * that are actually touched. */
static int add_ram(struct mvm_vm *vm, uint64_t size)
{
	int idx = mvm_vm_mem_add(vm, 0, size, 0);

	if (idx < 0)
		return idx;
	vm->ram = vm->mem.slots[idx].hva;
	vm->ram_size = size;
	return 0;
}

/* One VM ioctl; on failure -errno and a log line naming it (`what`). The
 * library's other VM-level ioctls (msr.c, state/) use it too. */
int mvm_vm_ioctl(struct mvm_vm *vm, unsigned long req, void *arg,
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

/* [slide:irqchip] */
/* In-kernel PIC + IOAPIC + LAPIC and the 8254 PIT; before any vCPU. */
static int create_irqchip(struct mvm_vm *vm, unsigned flags)
{
	struct kvm_pit_config pit = {.flags = 0};
	int r;

	r = mvm_vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL, "KVM_CREATE_IRQCHIP");
	if (r == 0 && !(flags & MVM_VM_NO_PIT))
		r = mvm_vm_ioctl(vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");
	return r;
}
/* [/slide:irqchip] */

/* The steps after the VM object exists, in the order KVM needs them. */
static int build_vm(struct mvm_vm *vm, const struct mvm_vm_config *cfg)
{
	uint64_t ram = cfg->ram_size ? cfg->ram_size : MVM_RAM_DEFAULT;
	int n = cfg->ncpus ? cfg->ncpus : 1;
	int r;

	/* Intel VMX needs three private pages for real-mode emulation
	 * (api.rst 4.24); harmless elsewhere. */
	/* KVM_SET_TSS_ADDR takes the address itself as its argument. */
	r = mvm_vm_ioctl(vm, KVM_SET_TSS_ADDR,
			 (void *)(uintptr_t)MVM_KVM_TSS_ADDR,
			 "KVM_SET_TSS_ADDR");
	if (r == 0)
		r = add_ram(vm, ram);
	if (r == 0 && (cfg->flags & MVM_VM_IRQCHIP))
		r = create_irqchip(vm, cfg->flags);
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

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		return -EINVAL;
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
	/* [slide:create-vm] */
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
	/* [/slide:create-vm] */
	mvm_backend_detect(&vm->backend); /* before vCPUs: CPUID (quirks.h) */
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

/* Tear down in the reverse order of creation. Every field is either
 * valid or at its "not yet" value (-1, NULL, 0), so this also cleans up
 * after any failed step of mvm_vm_create(). */
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

		if (s->used && s->owned) {
			munmap(s->hva, s->size);
			if (s->fd >= 0)
				close(s->fd);
		}
		mvm_memmap_remove(&vm->mem, i); /* frees the dirty bitmap */
	}
	free(vm);
}

/* --- accessors ---------------------------------------------------------
 * struct mvm_vm is opaque to programs (vm.h), so that its layout can
 * change without breaking them; these are the only way in. */

/* ---------------------------------------------------------- */

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

int mvm_vm_ram_fd(const struct mvm_vm *vm)
{
	const struct mvm_slot *s = mvm_memmap_find(&vm->mem, 0);

	return vm->ram && s ? s->fd : -1;
}
