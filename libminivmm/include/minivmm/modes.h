/*
 * modes.h - putting a vCPU into real, protected or long mode, and the
 * entry-state checker.
 *
 * A real CPU gets from reset to long mode by executing a boot sequence
 * (Intel SDM Vol. 3A 9.8 and 9.8.5). A VMM can skip it: it writes the
 * final register state directly with KVM_SET_SREGS / KVM_SET_REGS, after
 * building the GDT and page tables in guest memory itself. That is what
 * mvm_vcpu_setup_mode() does, one mode at a time, so a student can compare
 * exactly which bits differ between modes.
 */
#ifndef MINIVMM_MODES_H
#define MINIVMM_MODES_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct mvm_vcpu;

enum mvm_cpu_mode {
	MVM_MODE_REAL,	 /* 16-bit real mode, CS:IP = 0:entry */
	MVM_MODE_PROT32, /* 32-bit flat protected mode, paging off */
	MVM_MODE_LONG64, /* 64-bit long mode, identity-mapped paging */
};

struct mvm_mode_config {
	enum mvm_cpu_mode mode;
	uint64_t entry;	    /* first RIP */
	uint64_t stack;	    /* initial RSP; 0 = the vCPU's own,
			       MVM_STACK_TOP_OF(index) (layout.h) */
	uint64_t map_size;  /* long mode: bytes identity-mapped from 0;
			       0 = the low 4 GiB (RAM and the MMIO window):
			       with 2 MiB pages all of it, with 4 KiB pages
			       RAM, plus the MMIO window in 2 MiB pages */
	uint64_t page_size; /* long mode: 4096 or 2 MiB; 0 = 2 MiB */
};

/*
 * The GDT mvm_vcpu_setup_mode() builds at MVM_GDT_ADDR (protected and long
 * mode). The order suits SYSCALL/SYSRET (Intel SDM Vol. 2B SYSCALL,
 * SYSRET): STAR[47:32] = MVM_SEL_CODE64 gives kernel CS/SS = 0x10/0x18;
 * STAR[63:48] = MVM_SEL_UCODE32 | 3 gives user SS/CS = 0x2b/0x33.
 */
#define MVM_SEL_CODE32	  0x08 /* ring-0 32-bit code, flat */
#define MVM_SEL_CODE64	  0x10 /* ring-0 64-bit code (L=1) */
#define MVM_SEL_DATA	  0x18 /* ring-0 data, flat, writable */
#define MVM_SEL_UCODE32	  0x20 /* ring-3 32-bit code (use with RPL 3) */
#define MVM_SEL_UDATA	  0x28 /* ring-3 data */
#define MVM_SEL_UCODE64	  0x30 /* ring-3 64-bit code */
#define MVM_SEL_TSS	  0x38 /* vCPU 0's TSS (16 bytes in long mode) */
/* vCPU i's TSS descriptor: two 8-byte slots each, one after another. */
#define MVM_SEL_TSS_OF(i) (MVM_SEL_TSS + 16 * (i))
#define MVM_GDT_ENTRIES	  (7 + 2 * MVM_MAX_VCPUS)

/* "real", "prot", "long" <-> enum. parse returns -EINVAL on others. */
const char *mvm_mode_name(enum mvm_cpu_mode mode);
int mvm_mode_parse(const char *s, enum mvm_cpu_mode *mode);

/*
 * Build what the mode needs in guest memory (GDT, page tables) and set
 * the registers. Returns 0 or -errno (-ENOSPC: page tables for map_size
 * do not fit between MVM_PT_ADDR and MVM_PT_END).
 */
int mvm_vcpu_setup_mode(struct mvm_vcpu *vcpu,
			const struct mvm_mode_config *cfg);

/* --- entry-state checker ----------------------------------------------
 *
 * KVM on some hosts runs a state real hardware would refuse (VM entry
 * checks, Intel SDM Vol. 3C 27.3) or that only fails later as a triple
 * fault. mvm_check_state() applies the architectural consistency rules to
 * a register state before it is run and explains each violation in words
 * a student understands, citing the manual section the rule comes from.
 */

#define MVM_CHECK_MAX 16

struct mvm_check_problem {
	const char *rule; /* short id: "lme-without-pae" */
	const char *ref;  /* "Intel SDM Vol. 3A 9.8.5; AMD APM Vol. 2 14.6" */
	char msg[200];	  /* "EFER.LME is set but CR4.PAE is clear: ..." */
};

struct mvm_check_report {
	int n; /* problems in p[]: at most MVM_CHECK_MAX */
	struct mvm_check_problem p[MVM_CHECK_MAX];
};

/* Check regs+sregs; returns the number of problems found (0 = looks
 * valid), the same with or without rep; only the first MVM_CHECK_MAX are
 * described in rep. -EINVAL if regs or sregs is NULL. */
int mvm_check_state(const struct kvm_regs *regs, const struct kvm_sregs *sregs,
		    struct mvm_check_report *rep);

/* The CPU mode in words: "64-bit long mode, CPL 0, paging on". */
int mvm_describe_mode(const struct kvm_sregs *sregs, char *buf, size_t len);

#pragma GCC visibility pop

#endif
