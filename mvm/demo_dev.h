/*
 * demo_dev.h - the device `mvm run` puts behind the demo port, the demo
 * MMIO address and the demo MSR (see examples/runtime/demo.h).
 *
 * The library leaves MVM_PORT_DEMO and MVM_MMIO_DEMO_ADDR unclaimed so
 * the raw exits are visible. A command-line user wants to see the VMM
 * *answer* them, so mvm run adds this small device: a scratch register
 * (a read returns the last value written), timing markers (the host
 * timestamps BEGIN/END writes and prints the interval), and a STOP
 * marker for guests that cannot execute HLT (ring-3 code).
 */
#ifndef MVM_DEMO_DEV_H
#define MVM_DEMO_DEV_H

#include <stdint.h>
#include <stdio.h>

#include "minivmm/bus.h"
#include "minivmm/exit.h"

#define DEMO_MARKS 256

struct mvm_vcpu;

struct demo_dev {
	uint64_t scratch;	       /* last value written (port or MMIO) */
	uint64_t msr;		       /* value of the demo MSR */
	uint64_t begin_ns[DEMO_MARKS]; /* when BEGIN(n) was seen; 0 = not */
	uint64_t took_ns[DEMO_MARKS];  /* END - BEGIN; 0 = not measured */
	int stopped;		       /* the guest wrote MVM_DEMO_STOP */
	FILE *out;		       /* where interval lines go */
};

extern const struct mvm_dev_ops demo_dev_ops;

void demo_dev_init(struct demo_dev *d, FILE *out);

/* mvm_msr_fn for mvm_vm_enable_user_msr(): the demo MSR reads back what
 * was last written; any other MSR gets #GP, as on hardware. */
int demo_dev_msr(void *ctx, struct mvm_vcpu *vcpu, struct mvm_exit_msr *msr);

/* Print a summary of the measured intervals (nothing if none). */
void demo_dev_report(const struct demo_dev *d);

#endif
