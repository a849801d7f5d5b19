/*
 * kvm.h - talking to /dev/kvm: the API version and capabilities.
 *
 * KVM's API has three levels of file descriptors (Documentation/virt/kvm/
 * api.rst, section 3): the system fd from open("/dev/kvm"), a VM fd from
 * KVM_CREATE_VM, and one fd per vCPU from KVM_CREATE_VCPU. Before relying
 * on a feature a VMM asks KVM_CHECK_EXTENSION; missing required ones are
 * reported by name.
 */
#ifndef MINIVMM_KVM_H
#define MINIVMM_KVM_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "log.h"

#define MVM_KVM_DEVICE	    "/dev/kvm"
#define MVM_KVM_API_VERSION 12 /* the only stable version since Linux 2.6.22 */

/* One capability minivmm knows about. */
struct mvm_cap {
	int id;		  /* KVM_CAP_* */
	const char *name; /* "KVM_CAP_USER_MEMORY" */
	int required;	  /* 1: mvm_vm_create() fails without it */
	const char *why;  /* what minivmm uses it for, one line */
};

/* The table of capabilities minivmm checks, and its length. */
extern const struct mvm_cap mvm_caps[];
extern const int mvm_ncaps;

/* Result of probing the host, for `mvm doctor`. */
struct mvm_kvm_info {
	int open_errno;	 /* 0, or errno from open(/dev/kvm) */
	int api_version; /* KVM_GET_API_VERSION, or -1 */
	int vcpu_mmap_size;
	int max_vcpus;	   /* KVM_CAP_MAX_VCPUS */
	int cap_value[64]; /* KVM_CHECK_EXTENSION per mvm_caps[] entry */
};

/*
 * Open /dev/kvm and check the API version and every required capability.
 * Returns the fd, or -errno; the log says which check failed (for
 * example "KVM_CAP_USER_MEMORY missing: needed to give the guest RAM").
 */
int mvm_kvm_open(const struct mvm_log *log);

/* Fill *info without failing on missing features (doctor). Returns 0 or
 * -errno of open(). */
int mvm_kvm_probe(struct mvm_kvm_info *info);

/* KVM_CHECK_EXTENSION on any KVM fd: > 0 supported (value), 0 not. */
int mvm_kvm_check_cap(int fd, int cap);

#pragma GCC visibility pop

#endif
