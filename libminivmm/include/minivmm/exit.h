/*
 * exit.h - one decoded VM exit.
 *
 * KVM_RUN returns to user space with the reason in kvm_run->exit_reason
 * and the details in a union whose meaning depends on the reason
 * (Documentation/virt/kvm/api.rst, "The kvm_run structure"). The run step
 * copies what matters into struct mvm_exit, so callers never read the raw
 * kvm_run page and every tool (CLI, debugger, tests, trace) sees the same
 * decoded record.
 *
 * Reasons keep KVM's own numbers (KVM_EXIT_IO, KVM_EXIT_MMIO, ...) so what
 * students see here matches the KVM API document.
 */
#ifndef MINIVMM_EXIT_H
#define MINIVMM_EXIT_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>

/* Number of KVM_EXIT_* reasons known (KVM_EXIT_NOTIFY == 37, Linux 6.1). */
#define MVM_EXIT_REASONS 38

/* Largest I/O payload copied into the record (rep ins/outs may carry a
 * page; the rest is counted, not copied). */
#define MVM_EXIT_IO_DATA 16

struct mvm_exit_io {
	uint16_t port;	  /* first port */
	uint8_t size;	  /* bytes per access: 1, 2 or 4 */
	uint8_t is_write; /* 1 = OUT (guest -> device), 0 = IN */
	uint32_t count;	  /* accesses; > 1 for string I/O (rep ins/outs) */
	uint8_t data[MVM_EXIT_IO_DATA]; /* first bytes moved (after an IN:
					   the value the device returned) */
};

struct mvm_exit_mmio {
	uint64_t addr;	  /* guest-physical address */
	uint32_t len;	  /* 1, 2, 4 or 8 */
	uint8_t is_write; /* 1 = store */
	uint8_t data[8];  /* value stored, or value returned to a load */
};

struct mvm_exit_debug {
	uint32_t exception; /* 1 = #DB (step, HW breakpoint), 3 = #BP */
	uint64_t pc;	    /* guest RIP at the debug event */
	uint64_t dr6;	    /* which condition fired (Intel SDM 3B 18.2.3) */
	uint64_t dr7;
};

struct mvm_exit_msr {
	uint32_t index;	  /* ECX: MSR number */
	uint8_t is_write; /* 1 = WRMSR */
	uint8_t error;	  /* set by the handler: inject #GP */
	uint32_t why;	  /* KVM_MSR_EXIT_REASON_* */
	uint64_t data;	  /* value written, or value returned */
};

struct mvm_exit_internal {
	uint32_t suberror; /* KVM_INTERNAL_ERROR_* */
	uint32_t ndata;	   /* valid entries in data */
	uint64_t data[16];
};

struct mvm_exit_fail_entry {
	uint64_t hw_reason; /* VMX exit reason / SVM exit code */
	uint32_t cpu;
};

struct mvm_exit {
	uint64_t seq;	    /* 1, 2, 3 ... per vCPU */
	uint32_t reason;    /* KVM_EXIT_* */
	uint64_t rip;	    /* guest RIP as KVM left it at this exit: past
			       a HLT; for IO and MMIO mainline KVM (5.2+)
			       still points at the instruction, which it
			       completes on the next KVM_RUN, while some
			       backends (quirks.h) are already past it.
			       Read only when tracing is on or the exit
			       stops, else 0 (see run.c) */
	int handled;	    /* a device (or the library) claimed it */
	int stop;	    /* a run loop should return to its caller: HLT,
			     SHUTDOWN, an error, a device's MVM_IO_STOP */
	uint64_t handle_ns; /* time the host spent handling (tracing on) */
	union {
		struct mvm_exit_io io;
		struct mvm_exit_mmio mmio;
		struct mvm_exit_debug debug;
		struct mvm_exit_msr msr;
		struct mvm_exit_internal internal;
		struct mvm_exit_fail_entry fail_entry;
		uint32_t system_event; /* KVM_SYSTEM_EVENT_* */
	} u;
};

/* "IO", "MMIO", "HLT", ... for any reason; "UNKNOWN(n)" style names are
 * never returned: out-of-range reasons give "?". */
const char *mvm_exit_reason_name(uint32_t reason);

/* Reason number for a name ("io", "HLT", case-insensitive), or -ENOENT. */
int mvm_exit_reason_parse(const char *name);

/*
 * One line describing the exit for humans, e.g.
 *   "IO out port 0x00e9 size 1 data 0x48 ('H')"
 *   "MMIO write 0xd0000000 len 4 data 0x12345678"
 *   "SHUTDOWN: triple fault - the CPU hit an exception while ..."
 *   "INTERNAL_ERROR: emulation failure (suberror 1) ..."
 * Returns the snprintf-style length.
 */
int mvm_exit_describe(const struct mvm_exit *e, char *buf, size_t len);

/* What the exit means, as one plain sentence for students: what the
 * guest did, that KVM_RUN returned to the VMM and what the VMM does
 * before the guest resumes. Never NULL; static text. */
const char *mvm_exit_meaning(const struct mvm_exit *e);

/*
 * Longer explanation (several lines) for exits that stop a guest:
 * SHUTDOWN (what a triple fault is and the usual causes), FAIL_ENTRY
 * (hardware_entry_failure_reason decoded, SDM reference), INTERNAL_ERROR
 * (suberror and data decoded, e.g. the instruction bytes KVM could not
 * emulate). Other exits get a one-line text. Returns the length.
 */
int mvm_exit_explain(const struct mvm_exit *e, char *buf, size_t len);

/*
 * The same, with the vCPU's state after the exit and the guest's memory
 * map: for SHUTDOWN it then names the cause it can see (RIP or the stack
 * on an unmapped page, with the page walk's reason; "RIP is not in RAM"
 * when RIP translates to MMIO or unbacked memory; an empty IDT); for an
 * INTERNAL_ERROR it says when RIP is not in RAM. NULL state gives
 * mvm_exit_explain()'s text. Returns the length or -EINVAL.
 */
struct kvm_regs;
struct kvm_sregs;
struct mvm_memmap;
int mvm_exit_explain_state(const struct mvm_exit *e,
			   const struct kvm_regs *regs,
			   const struct kvm_sregs *sregs,
			   const struct mvm_memmap *mem, char *buf, size_t len);

#pragma GCC visibility pop

#endif
