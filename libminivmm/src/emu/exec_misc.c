/*
 * exec_misc.c - the rest of the teaching subset: moves, segment
 * registers, flags, string instructions, port I/O and HLT (execute.c has
 * the arithmetic and the control flow; the same rules hold here).
 *
 * Port I/O and HLT are the instructions that leave the interpreter, as
 * they leave the guest under KVM: mvm_mvm_emu_out()/mvm_mvm_emu_in() fill kvm_run's io
 * exit (SDM Vol. 2A IN, Vol. 2B OUT), HLT fills KVM_EXIT_HLT with IP past
 * the HLT, as KVM reports it (api.rst, KVM_EXIT_HLT).
 */
#include "emu_internal.h"

#define TRY(x)                            \
	do {                              \
		enum emu_result r_ = (x); \
		if (r_ != EMU_NEXT)       \
			return r_;        \
	} while (0)

/* FLAGS bits POPF and SAHF may change in real mode (SDM Vol. 2B, POPF):
 * CF PF AF ZF SF TF IF DF OF IOPL NT; bit 1 always reads 1. */
#define F_POPF 0x7fd5u
#define F_ONE  0x0002u

static enum emu_result done(struct mvm_emu *e, const struct insn *in)
{
	e->ip = in->next;
	return EMU_NEXT;
}

/* The store of a MOV to r/m, last (it may be an MMIO exit). */
static enum emu_result store(struct mvm_emu *e, const struct insn *in,
			     uint16_t v)
{
	e->ip = in->next;
	if (in->mod == 3) {
		mvm_emu_set_reg(e, in->w, in->rm, v);
		return EMU_NEXT;
	}
	return mvm_emu_write(e, in->ea_seg, in->ea, in->w, v);
}

static enum emu_result load(struct mvm_emu *e, const struct insn *in,
			    uint16_t *v)
{
	if (in->mod == 3) {
		*v = mvm_emu_reg(e, in->w, in->rm);
		return EMU_NEXT;
	}
	return mvm_emu_read(e, in->ea_seg, in->ea, in->w, v);
}

/* SI/DI step by the operand size, down when DF is set. */
static void step_index(struct mvm_emu *e, int r, int w)
{
	uint16_t d = (uint16_t)(e->flags & F_DF ? -w : w);

	mvm_emu_set_reg(e, 2, r, (uint16_t)(mvm_emu_reg(e, 2, r) + d));
}

/* MOVS, STOS, LODS: one iteration; with REP, CX counts them down and IP
 * stays until CX is 0. The source segment may be overridden, ES:DI not. */
enum emu_result mvm_emu_string(struct mvm_emu *e, const struct insn *in)
{
	int src = in->seg >= 0 ? in->seg : S_DS;
	uint8_t kind = in->op & 0xfe;
	uint16_t v = mvm_emu_reg(e, in->w, R_AX), di = mvm_emu_reg(e, 2, R_DI);

	if (in->rep && mvm_emu_reg(e, 2, R_CX) == 0)
		return done(e, in);
	if (kind != 0xaa) /* MOVS and LODS read [src:SI] */
		TRY(mvm_emu_read(e, src, mvm_emu_reg(e, 2, R_SI), in->w, &v));
	if (kind == 0xac)
		mvm_emu_set_reg(e, in->w, R_AX, v);
	else
		step_index(e, R_DI, in->w);
	if (kind != 0xaa)
		step_index(e, R_SI, in->w);
	if (in->rep)
		mvm_emu_set_reg(e, 2, R_CX,
				(uint16_t)(mvm_emu_reg(e, 2, R_CX) - 1));
	e->ip = in->rep && mvm_emu_reg(e, 2, R_CX) ? in->ip : in->next;
	if (kind == 0xac)
		return EMU_NEXT;
	return mvm_emu_write(e, S_ES, di, in->w, v); /* the store, last */
}

static enum emu_result port_io(struct mvm_emu *e, const struct insn *in)
{
	uint16_t port = (in->op & 8) ? mvm_emu_reg(e, 2, R_DX) : in->imm & 0xff;
	uint16_t v;

	if (in->op & 2) { /* OUT */
		e->ip = in->next;
		return mvm_emu_out(e, port, in->w, mvm_emu_reg(e, in->w, R_AX));
	}
	TRY(mvm_emu_in(e, port, in->w, &v));
	mvm_emu_set_reg(e, in->w, R_AX, v);
	return done(e, in);
}

static enum emu_result segments(struct mvm_emu *e, const struct insn *in)
{
	uint16_t v;

	switch (in->op) {
	case 0x8c: /* MOV r/m16, Sreg */
		if (in->reg >= EMU_SEGS)
			break;
		return store(e, in, e->s[in->reg].sel);
	case 0x8e: /* MOV Sreg, r/m16 (not CS: #UD, SDM Vol. 2B MOV) */
		if (in->reg >= EMU_SEGS || in->reg == S_CS)
			break;
		TRY(load(e, in, &v));
		mvm_emu_set_seg(e, in->reg, v);
		return done(e, in);
	case 0x06: /* PUSH ES CS SS DS */
	case 0x0e:
	case 0x16:
	case 0x1e:
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(mvm_emu_reg(e, 2, R_SP) - 2));
		e->ip = in->next;
		return mvm_emu_write(e, S_SS, mvm_emu_reg(e, 2, R_SP), 2,
				     e->s[in->op >> 3].sel);
	default: /* 07 17 1F: POP ES SS DS */
		TRY(mvm_emu_read(e, S_SS, mvm_emu_reg(e, 2, R_SP), 2, &v));
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(mvm_emu_reg(e, 2, R_SP) + 2));
		mvm_emu_set_seg(e, in->op >> 3, v);
		return done(e, in);
	}
	return mvm_emu_fail(e, "bad segment register %u at %04x:%04x", in->reg,
			    e->s[S_CS].sel, in->ip);
}

/* MOV in its register, immediate and moffs forms; XCHG; LEA. */
static enum emu_result moves(struct mvm_emu *e, const struct insn *in)
{
	uint8_t op = in->op;
	int seg = in->seg >= 0 ? in->seg : S_DS;
	uint16_t v;

	if (op >= 0xb0) { /* B0-BF: MOV reg, imm */
		mvm_emu_set_reg(e, in->w, op & 7, in->imm);
		return done(e, in);
	}
	switch (op) {
	case 0x88: /* MOV r/m, reg */
	case 0x89:
		return store(e, in, mvm_emu_reg(e, in->w, in->reg));
	case 0x8a: /* MOV reg, r/m */
	case 0x8b:
		TRY(load(e, in, &v));
		mvm_emu_set_reg(e, in->w, in->reg, v);
		return done(e, in);
	case 0xc6: /* MOV r/m, imm */
	case 0xc7:
		return store(e, in, in->imm);
	case 0xa0: /* MOV AL/AX, [moffs] */
	case 0xa1:
		TRY(mvm_emu_read(e, seg, in->imm, in->w, &v));
		mvm_emu_set_reg(e, in->w, R_AX, v);
		return done(e, in);
	case 0xa2: /* MOV [moffs], AL/AX */
	case 0xa3:
		e->ip = in->next;
		return mvm_emu_write(e, seg, in->imm, in->w,
				     mvm_emu_reg(e, in->w, R_AX));
	case 0x86: /* XCHG r/m, reg: the register first, the store last */
	case 0x87:
		TRY(load(e, in, &v));
		{
			uint16_t old = mvm_emu_reg(e, in->w, in->reg);

			mvm_emu_set_reg(e, in->w, in->reg, v);
			return store(e, in, old);
		}
	default: /* 8D: LEA reg, m: the offset, no memory access */
		if (in->mod == 3)
			return mvm_emu_fail(e, "LEA of a register at %04x:%04x",
					    e->s[S_CS].sel, in->ip);
		mvm_emu_set_reg(e, 2, in->reg, in->ea);
		return done(e, in);
	}
}

/* PUSHF POPF SAHF LAHF, CLC STC CMC CLI STI CLD STD, CBW CWD. */
static enum emu_result flag_ops(struct mvm_emu *e, const struct insn *in)
{
	static const uint32_t bit[] = {F_CF, F_CF, F_IF, F_IF, F_DF, F_DF};
	uint16_t v, ax = mvm_emu_reg(e, 2, R_AX);

	switch (in->op) {
	case 0x9c:
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(mvm_emu_reg(e, 2, R_SP) - 2));
		e->ip = in->next;
		return mvm_emu_write(e, S_SS, mvm_emu_reg(e, 2, R_SP), 2,
				     (uint16_t)(e->flags | F_ONE));
	case 0x9d:
		TRY(mvm_emu_read(e, S_SS, mvm_emu_reg(e, 2, R_SP), 2, &v));
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(mvm_emu_reg(e, 2, R_SP) + 2));
		e->flags = (e->flags & ~F_POPF) | (v & F_POPF) | F_ONE;
		break;
	case 0x9e: /* SAHF: SF ZF AF PF CF from AH */
		e->flags = (e->flags & ~0xd5u) | ((ax >> 8) & 0xd5u) | F_ONE;
		break;
	case 0x9f:
		mvm_emu_set_reg(e, 1, 4,
				(uint16_t)((e->flags & 0xd5u) | F_ONE));
		break;
	case 0x98: /* CBW */
		mvm_emu_set_reg(e, 2, R_AX, (uint16_t)(int8_t)ax);
		break;
	case 0x99: /* CWD */
		mvm_emu_set_reg(e, 2, R_DX, ax & 0x8000 ? 0xffff : 0);
		break;
	case 0xf5:
		e->flags ^= F_CF;
		break;
	default: /* F8-FD: odd opcodes set, even ones clear */
		if (in->op & 1)
			e->flags |= bit[in->op - 0xf8];
		else
			e->flags &= ~bit[in->op - 0xf8];
		break;
	}
	return done(e, in);
}

enum emu_result mvm_emu_misc(struct mvm_emu *e, const struct insn *in)
{
	uint8_t op = in->op;
	uint16_t v, old;

	if ((op >= 0xb0 && op <= 0xbf) || (op >= 0x86 && op <= 0x8b) ||
	    op == 0x8d || (op >= 0xa0 && op <= 0xa3) || op == 0xc6 ||
	    op == 0xc7)
		return moves(e, in);
	if (op == 0x8c || op == 0x8e || op < 0x20)
		return segments(e, in);
	if ((op >= 0x98 && op <= 0x9f) || (op >= 0xf5 && op <= 0xfd))
		return flag_ops(e, in);
	if ((op >= 0xe4 && op <= 0xe7) || (op >= 0xec && op <= 0xef))
		return port_io(e, in);
	switch (op) {
	case 0x84: /* TEST r/m, reg */
	case 0x85:
		TRY(load(e, in, &v));
		mvm_emu_alu(4, in->w, v, mvm_emu_reg(e, in->w, in->reg),
			    &e->flags);
		return done(e, in);
	case 0xa8: /* TEST AL/AX, imm */
	case 0xa9:
		mvm_emu_alu(4, in->w, mvm_emu_reg(e, in->w, R_AX), in->imm,
			    &e->flags);
		return done(e, in);
	case 0x90 ... 0x97: /* XCHG AX, r16 (90 is NOP) */
		old = mvm_emu_reg(e, 2, R_AX);
		mvm_emu_set_reg(e, 2, R_AX, mvm_emu_reg(e, 2, op & 7));
		mvm_emu_set_reg(e, 2, op & 7, old);
		return done(e, in);
	case 0x68: /* PUSH imm */
	case 0x6a:
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(mvm_emu_reg(e, 2, R_SP) - 2));
		e->ip = in->next;
		return mvm_emu_write(e, S_SS, mvm_emu_reg(e, 2, R_SP), 2,
				     in->imm);
	case 0x8f: /* POP r/m16 */
		if (in->reg != 0)
			break;
		TRY(mvm_emu_read(e, S_SS, mvm_emu_reg(e, 2, R_SP), 2, &v));
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(mvm_emu_reg(e, 2, R_SP) + 2));
		return store(e, in, v);
	case 0xea: /* JMP ptr16:16 */
		mvm_emu_set_seg(e, S_CS, in->imm2);
		e->ip = in->imm;
		return EMU_NEXT;
	case 0xf4: /* HLT: the exit; IP is past it, as KVM reports */
		e->ip = in->next;
		e->run->exit_reason = KVM_EXIT_HLT;
		return EMU_EXIT;
	}
	return mvm_emu_fail(e,
			    "not in the teaching subset: opcode 0x%02x at "
			    "%04x:%04x",
			    op, e->s[S_CS].sel, in->ip);
}
