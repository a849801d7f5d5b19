/*
 * lab1-measure.h - the part of lab1-measure (measure.c) that Lab 1's
 * task 6 writes and the grader calls directly.
 */
#ifndef MINIVMM_LAB1_MEASURE_H
#define MINIVMM_LAB1_MEASURE_H

#include "minivmm/minivmm.h"

/*
 * Register an ioeventfd with KVM for 4-byte OUTs to MVM_PORT_DOORBELL
 * (KVM_IOEVENTFD with KVM_IOEVENTFD_FLAG_PIO, Documentation/virt/kvm/
 * api.rst section 4): KVM then completes those writes in the kernel and
 * signals the eventfd instead of exiting to user space. Returns the
 * eventfd (>= 0, the caller closes it) or -errno.
 */
int lab1_setup_doorbell(struct mvm_vm *vm);

#endif
