/*
 * decode.h - turning register values into words.
 *
 * A student looking at CR0 = 0x80000011 should read "PE ET PG", not do
 * bit arithmetic. These tables name the architectural bits of RFLAGS,
 * CR0, CR4 and EFER and decode segment descriptors; they also list every
 * register the debugger can show, evaluate and set, by name.
 */
#ifndef DBG_DECODE_H
#define DBG_DECODE_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

struct dbg_bitname {
	int bit;	  /* bit number */
	const char *name; /* architectural name */
};

/* The named bits of each register (tables end with a NULL name). */
extern const struct dbg_bitname dbg_rflags_bits[];
extern const struct dbg_bitname dbg_cr0_bits[];
extern const struct dbg_bitname dbg_cr4_bits[];
extern const struct dbg_bitname dbg_efer_bits[];

/* Space-separated names of the set bits of v ("PE ET PG"); "-" if none.
 * Returns the snprintf-style length. */
int dbg_bits_str(uint64_t v, const struct dbg_bitname *tab, char *buf,
		 size_t len);
/* RFLAGS with IOPL shown as a number: "ZF PF IF IOPL=3". */
int dbg_rflags_str(uint64_t rflags, char *buf, size_t len);

/* Descriptor type in words (Intel SDM Vol. 3A 3.4.5.1, 3.5): for code
 * and data segments "code exec/read accessed", for system segments
 * "64-bit TSS (busy)". */
const char *dbg_seg_type_str(const struct kvm_segment *s, char *buf,
			     size_t len);
/* One line: "sel 0x0008 base 0x0000000000000000 limit 0xffffffff ..." */
int dbg_seg_str(const struct kvm_segment *s, char *buf, size_t len);

/* --- register names ------------------------------------------------- */

enum dbg_reg_kind {
	DBG_REG_GPR, /* in struct kvm_regs */
	DBG_REG_CR,  /* in struct kvm_sregs (cr0..cr8, efer, apic_base) */
	DBG_REG_SEG, /* a segment's base (read only) */
};

struct dbg_reg {
	const char *name;	/* "rax", "cr3", "cs" */
	enum dbg_reg_kind kind; /* which struct holds it */
	size_t off;		/* offsetof the u64 (GPR/CR) or segment */
	unsigned bytes;		/* 0: all 8; 4, 2, 1: the low part (eax) */
};

/* The full registers: kvm_regs, control registers, segment bases. */
extern const struct dbg_reg dbg_regs[];
extern const int dbg_nregs;
/* Their low parts under the names 16- and 32-bit code uses (eax, ax,
 * al, esp, sp, eip, ip, eflags, flags; Intel SDM Vol. 1 3.4.1). */
extern const struct dbg_reg dbg_subregs[];
extern const int dbg_nsubregs;

/* Look a register up by name ("rax", "$rax", "RIP", "pc", "eax", "sp");
 * NULL if none. */
const struct dbg_reg *dbg_reg_find(const char *name);
uint64_t dbg_reg_get(const struct dbg_reg *r, const struct kvm_regs *regs,
		     const struct kvm_sregs *sregs);
/* Store v; -EROFS for registers that cannot be set by value. A low
 * part is merged into its register as a MOV to it would (a 32-bit
 * write clears bits 63:32, Intel SDM Vol. 1 3.4.1.1; 8/16-bit writes
 * keep the rest). */
int dbg_reg_set(const struct dbg_reg *r, struct kvm_regs *regs,
		struct kvm_sregs *sregs, uint64_t v);

#endif
