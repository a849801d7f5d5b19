/*
 * ucall.h - the guest -> host call ABI ("ucall"), shared by the host
 * library and the freestanding guest runtime.
 *
 * Why a port and not VMCALL: a hypercall instruction needs the hypervisor
 * to decode it in the kernel, and on some KVM backends VMCALL/VMMCALL never
 * reach user space at all. A port write always exits to user space, so it
 * is the portable choice (the Linux KVM selftests make the same choice,
 * tools/testing/selftests/kvm/lib/x86_64/ucall.c).
 *
 * Protocol: the guest fills a struct mvm_ucall in its own memory and
 * writes the struct's guest-physical address (32 bits) to MVM_PORT_UCALL
 * with one 4-byte OUT. The host validates the address against guest
 * memory, copies the struct out and acts on `cmd`.
 *
 * This header must stay freestanding: fixed-width types only, no libc.
 */
#ifndef MINIVMM_UCALL_H
#define MINIVMM_UCALL_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

enum mvm_ucall_cmd {
	MVM_UCALL_NONE = 0,
	MVM_UCALL_SYNC = 1, /* "I reached stage args[0]"; the host checks */
	MVM_UCALL_ASSERT =
		2, /* a guest assertion failed: text = expr@file:line */
	MVM_UCALL_DONE = 3,  /* the guest finished successfully */
	MVM_UCALL_PRINT = 4, /* print text; the guest keeps running */
	MVM_UCALL_NR
};

#define MVM_UCALL_NARGS 4
#define MVM_UCALL_TEXT	120

struct mvm_ucall {
	uint64_t cmd;			/* enum mvm_ucall_cmd */
	uint64_t args[MVM_UCALL_NARGS]; /* values that go with cmd */
	char text[MVM_UCALL_TEXT];	/* message; the host NUL-terminates */
};

#pragma GCC visibility pop

#endif
