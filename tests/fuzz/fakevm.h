/*
 * fakevm.h - a VM and a vCPU without /dev/kvm, for the exit harness.
 *
 * struct mvm_vm and struct mvm_vcpu are the library's own (internal.h);
 * with every file descriptor -1, whatever the run step would ask KVM
 * (registers for a log line, an injected #BP) fails harmlessly, and the
 * kvm_run page is ordinary host memory the harness fills. The devices
 * are the machine layer's set (machine.c): debugcon, ucall, UART, demo
 * (port, MMIO and MSR), CMOS and the hypercall port, over host RAM.
 */
#ifndef MINIVMM_FUZZ_FAKEVM_H
#define MINIVMM_FUZZ_FAKEVM_H

#include "../../libminivmm/src/internal.h"
#include "minivmm/cmos.h"
#include "minivmm/hypercall.h"

#define FAKEVM_RAM (64u << 10) /* small: fuzzed addresses hit it often */
#define FAKEVM_RUN (2 * 4096)  /* kvm_run page plus the PIO data page */

struct fakevm {
	struct mvm_vm vm;
	struct mvm_vcpu vcpu;
	struct kvm_run *run;
	struct mvm_std_devices std;
	struct mvm_demo *demo;
	struct mvm_cmos *cmos;
	struct mvm_hcall_dev *hcall;
};

/* Build it (aborts on failure: a harness cannot go on without it). */
void fakevm_init(struct fakevm *f);
/* Devices back to power-on, RAM to zero, kvm_run cleared. */
void fakevm_reset(struct fakevm *f);

#endif
