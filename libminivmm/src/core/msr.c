/*
 * msr.c - MSRs emulated in user space, registered by range like devices.
 *
 * RDMSR and WRMSR are handled inside KVM unless the VMM asks for them
 * (Documentation/virt/kvm/api.rst 7.21, KVM_CAP_X86_USER_SPACE_MSR, and
 * 4.126, KVM_X86_SET_MSR_FILTER):
 *
 *   - the capability's argument says which accesses exit: UNKNOWN (an MSR
 *     KVM does not implement), INVAL (KVM would inject #GP) and FILTER
 *     (denied by the filter);
 *   - a filter range whose bitmap bit is CLEAR denies the access, and a
 *     denied access exits with reason FILTER. So each registered range
 *     becomes one filter range with an all-zero bitmap, and every other
 *     MSR stays with KVM.
 *
 * Several handlers coexist (Lab 1's MSRs and the exit tour's demo MSR,
 * say), each for its own [first, first + count) range; ranges may not
 * overlap, as on the buses. The run step (exit.c) calls the handler whose
 * range holds the index, else the default handler, else the guest gets
 * #GP, as hardware gives for an MSR that does not exist (Intel SDM Vol.
 * 2B, RDMSR).
 *
 * Like the buses, the table changes only while no vCPU runs (machine.h,
 * "Threads"): the run step reads it without a lock.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* All bits clear, enough for the largest range. KVM copies
 * BITS_TO_LONGS(nmsrs) longs of each bitmap, so it is shared by all. */
static const uint64_t deny_bits[MVM_MSR_RANGE_MAX / 64];

/* Turn on user-space MSR exits once per VM. */
static int enable_cap(struct mvm_vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN |
			   KVM_MSR_EXIT_REASON_INVAL |
			   KVM_MSR_EXIT_REASON_FILTER,
	};
	int r;

	if (vm->user_msr)
		return 0;
	if (mvm_kvm_check_cap(vm->fd, KVM_CAP_X86_USER_SPACE_MSR) <= 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "KVM_CAP_X86_USER_SPACE_MSR missing: MSRs cannot be "
			 "emulated in user space");
		return -EOPNOTSUPP;
	}
	r = mvm_vm_ioctl(vm, KVM_ENABLE_CAP, &cap,
			 "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR)");
	vm->user_msr = r == 0;
	return r;
}

/* Give KVM one deny range per registered handler range. */
static int set_filter(struct mvm_vm *vm)
{
	struct kvm_msr_filter f = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};

	if (mvm_kvm_check_cap(vm->fd, KVM_CAP_X86_MSR_FILTER) <= 0) {
		mvm_logf(&vm->log, MVM_LOG_ERROR,
			 "KVM_CAP_X86_MSR_FILTER missing: cannot filter MSRs");
		return -EOPNOTSUPP;
	}
	for (int i = 0; i < vm->nmsr; i++) {
		f.ranges[i].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
		f.ranges[i].base = vm->msr[i].first;
		f.ranges[i].nmsrs = vm->msr[i].count;
		f.ranges[i].bitmap = (uint8_t *)deny_bits;
	}
	return mvm_vm_ioctl(vm, KVM_X86_SET_MSR_FILTER, &f,
			    "KVM_X86_SET_MSR_FILTER");
}

static int overlaps(const struct mvm_msr_range *r, uint32_t first,
		    uint32_t count)
{
	return first < r->first + r->count && r->first < first + count;
}

int mvm_vm_add_msr_handler(struct mvm_vm *vm, uint32_t first, uint32_t count,
			   mvm_msr_fn *fn, void *ctx)
{
	int r;

	if (!fn || count == 0 || first + (uint64_t)count > 1ULL << 32)
		return -EINVAL;
	if (count > MVM_MSR_RANGE_MAX)
		return -E2BIG;
	for (int i = 0; i < vm->nmsr; i++)
		if (overlaps(&vm->msr[i], first, count)) {
			mvm_logf(&vm->log, MVM_LOG_ERROR,
				 "MSRs 0x%x+%u overlap a handler at 0x%x+%u",
				 first, count, vm->msr[i].first,
				 vm->msr[i].count);
			return -EEXIST;
		}
	/* KVM takes at most KVM_MSR_FILTER_MAX_RANGES ranges. */
	if (vm->nmsr >= MVM_MSR_HANDLERS_MAX)
		return -ENOSPC;
	r = enable_cap(vm);
	if (r < 0)
		return r;
	vm->msr[vm->nmsr++] = (struct mvm_msr_range){first, count, fn, ctx};
	r = set_filter(vm);
	if (r < 0)
		vm->nmsr--;
	return r;
}

int mvm_vm_enable_user_msr(struct mvm_vm *vm, const uint32_t *filter, int n,
			   mvm_msr_fn *fn, void *ctx)
{
	int r;

	if (n < 0 || (n > 0 && (!filter || !fn)))
		return -EINVAL;
	r = enable_cap(vm);
	for (int i = 0; r == 0 && i < n; i++)
		r = mvm_vm_add_msr_handler(vm, filter[i], 1, fn, ctx);
	if (r == 0 && n == 0) {
		vm->msr_fn = fn;
		vm->msr_ctx = ctx;
	}
	return r;
}

/* The handler for an MSR index: its range's, else the default one. */
mvm_msr_fn *mvm_msr_lookup(const struct mvm_vm *vm, uint32_t index, void **ctx)
{
	for (int i = 0; i < vm->nmsr; i++)
		if (index - vm->msr[i].first < vm->msr[i].count) {
			*ctx = vm->msr[i].ctx;
			return vm->msr[i].fn;
		}
	*ctx = vm->msr_ctx;
	return vm->msr_fn;
}
