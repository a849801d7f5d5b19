/*
 * emu_internal.h - the interpreter's state and the contract between its
 * four files (emu.h says what it is for):
 *
 *   emu.c      the runner: registers in and out of KVM, memory and I/O
 *              for the other files, the fetch-decode-execute loop
 *   decode.c   bytes at CS:IP -> struct insn (prefixes, opcode, ModRM,
 *              displacement, immediate)
 *   execute.c  struct insn -> new registers, memory, or an exit: the
 *              arithmetic and control flow (exec_misc.c: the rest)
 *   flags.c    arithmetic flags (CF PF AF ZF SF OF) of each operation
 *
 * Encodings follow Intel SDM Vol. 2A chapter 2 (Table 2-1: 16-bit ModRM
 * addressing) and the opcode map of Vol. 2D appendix A.
 */
#ifndef MINIVMM_EMU_INTERNAL_H
#define MINIVMM_EMU_INTERNAL_H

#include <stdint.h>

#include "../internal.h" /* the library's, also from tests/unit */

/* General registers in ModRM "reg" order (SDM Vol. 2A Table 2-1). */
enum { R_AX, R_CX, R_DX, R_BX, R_SP, R_BP, R_SI, R_DI, EMU_GPRS };
/* Segment registers in the "sreg" order of MOV Sreg (SDM Vol. 2B). */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, EMU_SEGS };

/* The flags the interpreter computes (SDM Vol. 1 3.4.3). */
#define F_CF	(1u << 0)
#define F_PF	(1u << 2)
#define F_AF	(1u << 4)
#define F_ZF	(1u << 6)
#define F_SF	(1u << 7)
#define F_IF	(1u << 9)
#define F_DF	(1u << 10)
#define F_OF	(1u << 11)
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* What one step of the loop did. */
enum emu_result {
	EMU_NEXT, /* instruction done: go on */
	EMU_EXIT, /* kvm_run holds an exit for the VMM */
	EMU_BAD,  /* not in the teaching subset (emu->error says which) */
};

/* One decoded instruction. */
struct insn {
	uint16_t ip;   /* where it starts */
	uint16_t next; /* where the next one starts */
	uint8_t op;    /* opcode byte */
	uint8_t w;     /* operand size in bytes: 1 or 2 */
	int8_t seg;    /* segment override, or -1 */
	uint8_t rep;   /* F3 prefix */
	uint8_t modrm; /* has a ModRM byte */
	uint8_t mod, reg, rm;
	int8_t ea_seg;	   /* segment of the memory operand */
	uint16_t ea;	   /* its offset (mod != 3) */
	uint16_t imm;	   /* immediate, sign-extended where the SDM says */
	uint16_t imm2;	   /* second immediate (ENTER) or far segment */
	uint8_t bytes[16]; /* the raw bytes, for messages */
	uint8_t len;
};

struct emu_seg {
	uint16_t sel;  /* the visible selector */
	uint32_t base; /* real mode: sel * 16 */
};

/* An IN or an MMIO load waiting for the VMM's answer: the instruction is
 * run again on the next entry and then takes the data from kvm_run. */
enum { PEND_NONE, PEND_IN, PEND_MMIO };

struct mvm_emu {
	struct mvm_vcpu *vcpu;	     /* the vCPU we stand in for */
	struct mvm_memmap *mem;	     /* the machine's guest memory */
	struct kvm_run *run;	     /* its kvm_run page (exits go here) */
	const struct mvm_slot *slot; /* last RAM slot used (this step) */
	struct kvm_regs regs;	     /* KVM's copy, read at entry */
	struct kvm_sregs sregs;	     /* the same for segments and CRs */
	uint64_t r[EMU_GPRS];	     /* RAX..RDI; only the low 16 bits change */
	struct emu_seg s[EMU_SEGS];
	uint16_t ip;	    /* IP */
	uint32_t flags;	    /* FLAGS */
	int pending;	    /* PEND_* */
	uint64_t pend_addr; /* its port or guest-physical address */
	uint32_t pend_len;  /* its size */
	int segs_dirty;	    /* a segment register changed this step */
	uint64_t insns;	    /* completed instructions */
	uint64_t ns;	    /* time inside the runner */
	char error[128];    /* the last failure, or "" */
};

/* --- emu.c: memory and I/O for the other files ------------------------ */

/* Read/write `len` (1 or 2) bytes at seg:off. EMU_NEXT, or EMU_EXIT when
 * the address is not RAM (an MMIO exit, or the pending load's answer
 * was not there yet). *v gets the value of a read. */
enum emu_result mvm_emu_read(struct mvm_emu *e, int seg, uint16_t off, int len,
			     uint16_t *v);
enum emu_result mvm_emu_write(struct mvm_emu *e, int seg, uint16_t off, int len,
			      uint16_t v);
/* IN/OUT of len bytes: OUT always exits; IN exits the first time and
 * returns the device's answer the second. */
enum emu_result mvm_emu_in(struct mvm_emu *e, uint16_t port, int len,
			   uint16_t *v);
enum emu_result mvm_emu_out(struct mvm_emu *e, uint16_t port, int len,
			    uint16_t v);
/* Byte `off` from CS (instruction fetch); -1 when not RAM. */
int mvm_emu_fetch(struct mvm_emu *e, uint16_t off);
/* Record why emulation stops (printf-style) and return EMU_BAD. */
enum emu_result mvm_emu_fail(struct mvm_emu *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Register access: 8-bit registers are AL CL DL BL AH CH DH BH. */
uint16_t mvm_emu_reg(const struct mvm_emu *e, int w, int r);
void mvm_emu_set_reg(struct mvm_emu *e, int w, int r, uint16_t v);
void mvm_emu_set_seg(struct mvm_emu *e, int s, uint16_t sel);

/* --- decode.c ---------------------------------------------------------- */

/* Decode the instruction at CS:IP into *in. EMU_NEXT, or EMU_BAD for an
 * opcode outside the subset or bytes that are not RAM. */
enum emu_result mvm_emu_decode(struct mvm_emu *e, struct insn *in);

/* --- execute.c --------------------------------------------------------- */

/* Execute *in. On EMU_NEXT IP is in->next (or the jump target); on
 * EMU_EXIT of a load or IN nothing changed, and the same instruction runs
 * again on the next entry. */
enum emu_result mvm_emu_execute(struct mvm_emu *e, const struct insn *in);

/* --- exec_misc.c: the cases execute.c hands on ---------------------------- */

/* MOVS STOS LODS, one iteration (REP: IP stays until CX is 0). */
enum emu_result mvm_emu_string(struct mvm_emu *e, const struct insn *in);
/* Moves, segment registers, flags, port I/O, HLT. */
enum emu_result mvm_emu_misc(struct mvm_emu *e, const struct insn *in);

/* --- flags.c ----------------------------------------------------------- */

/* The eight ALU operations of opcodes 00-3F and group 1 (80-83), by
 * their ModRM reg number: ADD OR ADC SBB AND SUB XOR CMP. Returns the
 * result and sets the arithmetic flags in *flags. */
uint16_t mvm_emu_alu(int op, int w, uint16_t a, uint16_t b, uint32_t *flags);
/* INC/DEC: as ADD/SUB 1, but CF is left alone (SDM Vol. 2A, INC). */
uint16_t mvm_emu_incdec(int dec, int w, uint16_t a, uint32_t *flags);
/* Group 2 shifts and rotates by ModRM reg: ROL ROR RCL RCR SHL SHR - SAR;
 * a count of 0 changes nothing. -1 in *bad for RCL/RCR (not in the
 * subset). */
uint16_t mvm_emu_shift(int op, int w, uint16_t a, unsigned count,
		       uint32_t *flags, int *bad);
/* SF, ZF and PF of a result (logic ops, TEST, NEG's helpers). */
void mvm_emu_szp(int w, uint16_t v, uint32_t *flags);

#endif
