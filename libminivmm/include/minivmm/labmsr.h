/*
 * labmsr.h - three made-up model-specific registers that minivmm
 * emulates in user space (Lab 1, task 5: libminivmm/src/devices/labmsr.c).
 * Freestanding: guests include it too.
 *
 * RDMSR/WRMSR are privileged and name an MSR by number in ECX (Intel SDM
 * Vol. 2B, "RDMSR"/"WRMSR"); an MSR the CPU does not implement raises
 * #GP(0). KVM handles the MSRs it knows in the kernel. With
 * KVM_CAP_X86_USER_SPACE_MSR and an MSR filter (Documentation/virt/kvm/
 * api.rst, KVM_X86_SET_MSR_FILTER and KVM_EXIT_X86_RDMSR) the VMM gets
 * the accesses it asks for as exits, and answers them itself.
 *
 * The numbers are in 40000000H-400000FFH, which Intel promises never to
 * use for hardware MSRs (SDM Vol. 4, 2.1); the low end of that range is
 * used by Hyper-V's MSRs and layout.h's MVM_DEMO_MSR takes 400000FFH, so
 * these sit in between.
 */
#ifndef MINIVMM_LABMSR_H
#define MINIVMM_LABMSR_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#define MVM_LABMSR_ID	   0x400000e0u /* read-only: MVM_LABMSR_ID_VALUE */
#define MVM_LABMSR_SCRATCH 0x400000e1u /* read/write: keeps any value */
#define MVM_LABMSR_COUNTER \
	0x400000e2u			  /* read: accesses to the lab MSRs
					  so far, this one included; write:
					  set the count */
#define MVM_LABMSR_ID_VALUE 0x314d564dULL /* "MVM1" in little-endian */

#if __STDC_HOSTED__ /* the host side; guests stop here */
#include <stddef.h>

#include "exit.h"

struct mvm_vm;
struct mvm_vcpu;

/* The emulated state: what the guest wrote. */
struct mvm_labmsr {
	uint64_t scratch; /* MVM_LABMSR_SCRATCH */
	uint64_t count;	  /* MVM_LABMSR_COUNTER */
};

/*
 * The MSR exit handler (an mvm_msr_fn, see vm.h; ctx is a struct
 * mvm_labmsr). Fills msr->data for a read; sets msr->error, so that the
 * guest takes #GP as on hardware, for a write to the read-only ID and
 * for any MSR that is not one of the three. Returns 0.
 */
int mvm_labmsr_handle(void *ctx, struct mvm_vcpu *vcpu,
		      struct mvm_exit_msr *msr);

/* Zero the state and route the three MSRs of this VM to
 * mvm_labmsr_handle() with an MSR filter. 0, or -EOPNOTSUPP when KVM
 * lacks KVM_CAP_X86_USER_SPACE_MSR / KVM_CAP_X86_MSR_FILTER. */
int mvm_labmsr_enable(struct mvm_vm *vm, struct mvm_labmsr *m);

/* Snapshot the state into a versioned blob (state.h) / take one back:
 * bytes, or -ENOSPC / -EINVAL. ctx is the struct mvm_labmsr. */
int mvm_labmsr_save(void *ctx, void *buf, size_t len);
int mvm_labmsr_load(void *ctx, const void *buf, size_t len);
#endif

#pragma GCC visibility pop

#endif
