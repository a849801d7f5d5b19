/*
 * labmsr.c - trap and emulate three made-up MSRs (labmsr.h) through
 * KVM's user-space MSR exits.
 *
 * Lab 1, task 5 edits this file: the LAB(1) region (the handler) is what
 * the student writes. mvm_labmsr_enable() is given.
 *
 * How an MSR access reaches us (Documentation/virt/kvm/api.rst):
 *   - KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR) with
 *     KVM_MSR_EXIT_REASON_FILTER makes accesses that an MSR filter denies
 *     exit to user space instead of raising #GP in the guest;
 *   - KVM_X86_SET_MSR_FILTER installs ranges; an MSR whose bit is clear
 *     in its range's bitmap is "denied", i.e. sent to us.
 * mvm_vm_enable_user_msr() (vm.c) does both. The run step then decodes a
 * KVM_EXIT_X86_RDMSR/WRMSR into struct mvm_exit_msr, calls our handler,
 * and copies msr->data and msr->error back into kvm_run, so that KVM
 * completes the guest's RDMSR with our value or injects #GP when error is
 * set (what the CPU does for an MSR it does not implement: Intel SDM
 * Vol. 2B, RDMSR, "Protected Mode Exceptions").
 */
#include <errno.h>
#include <string.h>

#include "minivmm/labmsr.h"
#include "minivmm/state.h"
#include "minivmm/vm.h"

static const uint32_t lab_msrs[] = {
	MVM_LABMSR_ID,
	MVM_LABMSR_SCRATCH,
	MVM_LABMSR_COUNTER,
};

/* LAB(1, msr-handler) BEGIN */
int mvm_labmsr_handle(void *ctx, struct mvm_vcpu *vcpu,
		      struct mvm_exit_msr *msr)
{
	struct mvm_labmsr *m = ctx;

	(void)vcpu;
	msr->error = 0;
	switch (msr->index) {
	case MVM_LABMSR_ID:
		m->count++;
		if (msr->is_write)
			msr->error = 1; /* read-only, like a CPU's ID MSRs */
		else
			msr->data = MVM_LABMSR_ID_VALUE;
		break;
	case MVM_LABMSR_SCRATCH:
		m->count++;
		if (msr->is_write)
			m->scratch = msr->data;
		else
			msr->data = m->scratch;
		break;
	case MVM_LABMSR_COUNTER:
		m->count++;
		if (msr->is_write)
			m->count = msr->data;
		else
			msr->data = m->count;
		break;
	default:
		msr->error = 1; /* not ours: #GP, as for any unknown MSR */
		break;
	}
	return 0;
}
/* LAB(1) STUB
// LAB 1 (task 5): emulate the three MSRs of labmsr.h for RDMSR
// (msr->is_write == 0: put the value in msr->data) and WRMSR (the value
// is in msr->data). ctx is the struct mvm_labmsr. Every access to one of
// the three first counts (m->count++); a WRMSR to COUNTER then sets the
// count to the value written (a read right after returns value + 1).
// Writing the ID, or any other MSR: set msr->error = 1 and the guest
// gets #GP; otherwise error = 0. Hint: api.rst, KVM_EXIT_X86_RDMSR.
int mvm_labmsr_handle(void *ctx, struct mvm_vcpu *vcpu,
		      struct mvm_exit_msr *msr)
{
	(void)ctx;
	(void)vcpu;
	msr->error = 1;
	return 0;
}
LAB(1) END */

int mvm_labmsr_enable(struct mvm_vm *vm, struct mvm_labmsr *m)
{
	memset(m, 0, sizeof(*m));
	return mvm_vm_enable_user_msr(
		vm, lab_msrs, (int)(sizeof(lab_msrs) / sizeof(lab_msrs[0])),
		mvm_labmsr_handle, m);
}

/*
 * Save/load: the two values the guest can read back. The MSRs are not a
 * bus device, so these have the signature of mvm_dev_ops.save/load but
 * are called directly (ctx is the struct mvm_labmsr).
 */
#define LABMSR_MAGIC   MVM_DEVSTATE_MAGIC('L', 'M', 'S', 'R')
#define LABMSR_VERSION 1

int mvm_labmsr_save(void *ctx, void *buf, size_t len)
{
	const struct mvm_labmsr *m = ctx;

	return mvm_devstate_put(buf, len, LABMSR_MAGIC, LABMSR_VERSION, m,
				sizeof(*m));
}

int mvm_labmsr_load(void *ctx, const void *buf, size_t len)
{
	struct mvm_labmsr s;
	int r = mvm_devstate_take(buf, len, LABMSR_MAGIC, LABMSR_VERSION, &s,
				  sizeof(s));

	if (r < 0)
		return r;
	*(struct mvm_labmsr *)ctx = s;
	return (int)len;
}
