/*
 * hypercall.h - minivmm's hypercall ABI: a guest asks the VMM to do
 * something for it. Shared by the host library and guests (freestanding:
 * fixed-width types only). Lab 1 (task 4) writes the host side in
 * libminivmm/src/devices/hypercall.c.
 *
 * Real hypervisors use a dedicated instruction (VMCALL on Intel, VMMCALL
 * on AMD; KVM's ABI is in Documentation/virt/kvm/x86/hypercalls.rst: the
 * number in RAX, arguments in RBX, RCX, RDX, RSI, the result in RAX).
 * minivmm uses a port instead, because on some KVM backends VMCALL never
 * reaches user space, and because a request in memory shows the real
 * lesson of hypercalls better: every pointer a guest hands over is an
 * untrusted guest-physical address.
 *
 * Protocol:
 *   1. the guest fills a struct mvm_hcall in its memory;
 *   2. it writes the struct's guest-physical address (below 4 GiB) to
 *      MVM_PORT_HCALL with one 4-byte OUT;
 *   3. the host copies the request in once (so the guest cannot change
 *      it while the host works: no double fetch), checks it, services
 *      it, and writes only `ret` back;
 *   4. a 4-byte IN from MVM_PORT_HCALL returns the last `ret` as well,
 *      which is the only way to learn of an error when the request
 *      itself was not readable.
 *
 * `ret` is >= 0 on success and a negative Linux errno value on failure.
 */
#ifndef MINIVMM_HYPERCALL_H
#define MINIVMM_HYPERCALL_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

enum mvm_hcall_nr {
	MVM_HCALL_NOP = 0,  /* does nothing; returns 0 (measures the cost) */
	MVM_HCALL_ADD = 1,  /* returns args[0] + args[1] + args[2] + args[3] */
	MVM_HCALL_PUTS = 2, /* host prints buf[0..len); returns len */
	MVM_HCALL_INFO = 3, /* host writes struct mvm_hcall_info to buf
			       (len >= its size); returns bytes written */
	MVM_HCALL_NR
};

#define MVM_HCALL_NARGS	  4
#define MVM_HCALL_BUF_MAX 4096 /* largest buffer a hypercall may name */

struct mvm_hcall {
	uint64_t nr;			/* enum mvm_hcall_nr */
	uint64_t args[MVM_HCALL_NARGS]; /* numbers that go with nr */
	uint64_t buf;			/* guest-physical address of a buffer */
	uint64_t len;			/* its length in bytes */
	int64_t ret;			/* written by the host */
};

/* What MVM_HCALL_INFO returns. */
struct mvm_hcall_info {
	uint64_t ram_bytes; /* guest RAM the host gave this VM */
	uint64_t calls;	    /* hypercalls served so far, this one included */
	char name[16];	    /* "minivmm", NUL-terminated */
};

/* Error values (Linux errno numbers; guests have no errno.h). */
#define MVM_HCALL_E2BIG	 7  /* buffer longer than MVM_HCALL_BUF_MAX */
#define MVM_HCALL_EFAULT 14 /* an address is not guest RAM */
#define MVM_HCALL_EINVAL 22 /* a bad argument */
#define MVM_HCALL_ENOSYS 38 /* no such hypercall */

#if __STDC_HOSTED__ /* the host side; guests stop here */
#include "bus.h"
#include "devices.h"
#include "log.h"
#include "memory.h"

struct mvm_hcall_dev;
extern const struct mvm_dev_ops mvm_hcall_ops;

/*
 * Create the device (register it at MVM_PORT_HCALL, length 4). mem is
 * where requests and buffers are looked up (every address is checked);
 * PUTS text goes to out (may be NULL); log (may be NULL) names every
 * refused request. 0 or -ENOMEM.
 */
int mvm_hcall_create(const struct mvm_memmap *mem, mvm_output_fn *out,
		     void *ctx, const struct mvm_log *log,
		     struct mvm_hcall_dev **dev);
void mvm_hcall_destroy(struct mvm_hcall_dev *dev);

/* Result of the last hypercall and the number served (tests, tools). */
int64_t mvm_hcall_last_ret(const struct mvm_hcall_dev *dev);
uint64_t mvm_hcall_count(const struct mvm_hcall_dev *dev);

/*
 * Service one request that is already in host memory: check its buffer
 * against guest memory and do what nr asks. Returns the value for `ret`.
 * (The port handler copies the request in and calls this; tests call it
 * directly with hostile requests.)
 */
int64_t mvm_hcall_service(struct mvm_hcall_dev *dev,
			  const struct mvm_hcall *req);
#endif

#pragma GCC visibility pop

#endif
