/*
 * execute.c - what each instruction of the teaching subset does.
 *
 * One switch on the opcode, in the order of the one-byte opcode map
 * (Intel SDM Vol. 2D Table A-2); each case is the "Operation" section of
 * the instruction's page in SDM Vol. 2, cut down to 16-bit real mode.
 *
 * The rule that keeps IN and MMIO loads simple: an instruction reads all
 * its operands before it changes anything. A read that needs the VMM
 * (mvm_emu_read/mvm_emu_in return EMU_EXIT) then leaves the machine as it was,
 * and the instruction simply runs again when the answer is there, which
 * is also how KVM's own emulator completes them. A store to MMIO is the
 * last thing an instruction does: it becomes the exit, after IP moved on.
 *
 * String instructions with REP do one iteration per call and stay on
 * the same IP until CX is 0, as the CPU does so that interrupts can come
 * in between (SDM Vol. 2B, REP).
 */
#include "emu_internal.h"

/* Bail out of the instruction when an access needs the VMM. */
#define TRY(x)                            \
	do {                              \
		enum emu_result r_ = (x); \
		if (r_ != EMU_NEXT)       \
			return r_;        \
	} while (0)

static enum emu_result rm_read(struct mvm_emu *e, const struct insn *in,
			       uint16_t *v)
{
	if (in->mod == 3) {
		*v = mvm_emu_reg(e, in->w, in->rm);
		return EMU_NEXT;
	}
	return mvm_emu_read(e, in->ea_seg, in->ea, in->w, v);
}

/* The last step of an instruction: IP moves on, then the store (which
 * may be the MMIO exit). */
static enum emu_result rm_write_last(struct mvm_emu *e, const struct insn *in,
				     uint16_t v)
{
	e->ip = in->next;
	if (in->mod == 3) {
		mvm_emu_set_reg(e, in->w, in->rm, v);
		return EMU_NEXT;
	}
	return mvm_emu_write(e, in->ea_seg, in->ea, in->w, v);
}

static uint16_t sp(const struct mvm_emu *e)
{
	return (uint16_t)e->r[R_SP];
}

/* PUSH: SP -= 2, then the store at SS:SP (SDM Vol. 2B, PUSH). */
static enum emu_result push_last(struct mvm_emu *e, uint16_t next, uint16_t v)
{
	mvm_emu_set_reg(e, 2, R_SP, (uint16_t)(sp(e) - 2));
	e->ip = next;
	return mvm_emu_write(e, S_SS, sp(e), 2, v);
}

static enum emu_result pop(struct mvm_emu *e, uint16_t *v)
{
	TRY(mvm_emu_read(e, S_SS, sp(e), 2, v));
	mvm_emu_set_reg(e, 2, R_SP, (uint16_t)(sp(e) + 2));
	return EMU_NEXT;
}

/* Jcc condition codes (SDM Vol. 1 Table B-1): bit 0 inverts. */
static int condition(uint32_t f, unsigned cc)
{
	int sf_ne_of = !!(f & F_SF) != !!(f & F_OF), t;

	switch (cc >> 1) {
	case 0:
		t = !!(f & F_OF);
		break; /* O */
	case 1:
		t = !!(f & F_CF);
		break; /* B */
	case 2:
		t = !!(f & F_ZF);
		break; /* Z */
	case 3:
		t = !!(f & (F_CF | F_ZF));
		break; /* BE */
	case 4:
		t = !!(f & F_SF);
		break; /* S */
	case 5:
		t = !!(f & F_PF);
		break; /* P */
	case 6:
		t = sf_ne_of;
		break; /* L */
	default:
		t = sf_ne_of || (f & F_ZF);
		break; /* LE */
	}
	return (cc & 1) ? !t : t;
}

static enum emu_result jump(struct mvm_emu *e, const struct insn *in, int take)
{
	e->ip = take ? (uint16_t)(in->next + in->imm) : in->next;
	return EMU_NEXT;
}

/* 00-3D: ALU op (bits 5:3) in six forms (bits 2:0). */
static enum emu_result alu(struct mvm_emu *e, const struct insn *in)
{
	int op = (in->op >> 3) & 7, form = in->op & 7;
	uint16_t a, b, r;

	if (form >= 4) { /* AL/AX, imm */
		a = mvm_emu_reg(e, in->w, R_AX);
		r = mvm_emu_alu(op, in->w, a, in->imm, &e->flags);
		if (op != 7)
			mvm_emu_set_reg(e, in->w, R_AX, r);
		e->ip = in->next;
		return EMU_NEXT;
	}
	TRY(rm_read(e, in, form < 2 ? &a : &b));
	if (form < 2) /* r/m op= reg */
		b = mvm_emu_reg(e, in->w, in->reg);
	else /* reg op= r/m */
		a = mvm_emu_reg(e, in->w, in->reg);
	r = mvm_emu_alu(op, in->w, a, b, &e->flags);
	if (op == 7 || form >= 2) {
		if (op != 7)
			mvm_emu_set_reg(e, in->w, in->reg, r);
		e->ip = in->next;
		return EMU_NEXT;
	}
	return rm_write_last(e, in, r);
}

/* 80, 81, 83: ALU op (ModRM reg) on r/m with an immediate. */
static enum emu_result group1(struct mvm_emu *e, const struct insn *in)
{
	uint16_t a, r;

	TRY(rm_read(e, in, &a));
	r = mvm_emu_alu(in->reg, in->w, a, in->imm, &e->flags);
	if (in->reg == 7) {
		e->ip = in->next;
		return EMU_NEXT;
	}
	return rm_write_last(e, in, r);
}

/* C0, C1, D0-D3: shifts and rotates by imm8, 1 or CL. */
static enum emu_result group2(struct mvm_emu *e, const struct insn *in)
{
	unsigned n = in->op <= 0xc1   ? in->imm
		     : in->op <= 0xd1 ? 1
				      : mvm_emu_reg(e, 1, R_CX);
	uint16_t a, r;
	int bad;

	TRY(rm_read(e, in, &a));
	r = mvm_emu_shift(in->reg, in->w, a, n, &e->flags, &bad);
	if (bad)
		return mvm_emu_fail(e,
				    "not in the teaching subset: RCL/RCR at "
				    "%04x:%04x",
				    e->s[S_CS].sel, in->ip);
	return rm_write_last(e, in, r);
}

/* F6/F7: TEST NOT NEG MUL - DIV - (IMUL, IDIV not in the subset). */
static enum emu_result group3(struct mvm_emu *e, const struct insn *in)
{
	uint16_t a, ax = mvm_emu_reg(e, 2, R_AX), dx = mvm_emu_reg(e, 2, R_DX);
	uint32_t wide, q;

	TRY(rm_read(e, in, &a));
	switch (in->reg) {
	case 0:
	case 1:
		mvm_emu_alu(4, in->w, a, in->imm, &e->flags);
		break;
	case 2:
		return rm_write_last(e, in, (uint16_t)~a);
	case 3:
		return rm_write_last(e, in,
				     mvm_emu_alu(5, in->w, 0, a, &e->flags));
	case 4: /* MUL: AX = AL * r/m8, DX:AX = AX * r/m16 */
		wide = in->w == 1 ? (uint32_t)(ax & 0xff) * a
				  : (uint32_t)ax * a;
		mvm_emu_set_reg(e, 2, R_AX, (uint16_t)wide);
		if (in->w == 2)
			mvm_emu_set_reg(e, 2, R_DX, (uint16_t)(wide >> 16));
		e->flags &= ~(uint32_t)(F_CF | F_OF);
		if (wide >> (in->w == 1 ? 8 : 16))
			e->flags |= F_CF | F_OF;
		break;
	case 6: /* DIV: #DE on a zero divisor or a quotient too wide */
		wide = in->w == 1 ? ax : ((uint32_t)dx << 16 | ax);
		q = a ? wide / a : 0;
		if (!a || q > (in->w == 1 ? 0xffu : 0xffffu))
			return mvm_emu_fail(e,
					    "divide error at %04x:%04x: "
					    "exceptions are not in the subset",
					    e->s[S_CS].sel, in->ip);
		if (in->w == 1) {
			mvm_emu_set_reg(e, 2, R_AX,
					(uint16_t)((wide % a) << 8 | q));
		} else {
			mvm_emu_set_reg(e, 2, R_AX, (uint16_t)q);
			mvm_emu_set_reg(e, 2, R_DX, (uint16_t)(wide % a));
		}
		break;
	default:
		return mvm_emu_fail(e,
				    "not in the teaching subset: IMUL/IDIV at "
				    "%04x:%04x",
				    e->s[S_CS].sel, in->ip);
	}
	e->ip = in->next;
	return EMU_NEXT;
}

/* FE/FF: INC DEC on r/m; FF also CALL, JMP and PUSH through r/m. */
static enum emu_result group45(struct mvm_emu *e, const struct insn *in)
{
	uint16_t a;

	if (in->reg > 1 && (in->op == 0xfe || (in->reg & 1) || in->reg == 7))
		return mvm_emu_fail(e,
				    "not in the teaching subset: opcode 0x%02x "
				    "/%u at %04x:%04x",
				    in->op, in->reg, e->s[S_CS].sel, in->ip);
	TRY(rm_read(e, in, &a));
	switch (in->reg) {
	case 0:
	case 1:
		return rm_write_last(
			e, in, mvm_emu_incdec(in->reg, in->w, a, &e->flags));
	case 2: /* CALL near: push the return address, go to r/m */
		return push_last(e, a, in->next);
	case 4:
		e->ip = a;
		return EMU_NEXT;
	default: /* 6: PUSH r/m */
		return push_last(e, in->next, a);
	}
}

enum emu_result mvm_emu_execute(struct mvm_emu *e, const struct insn *in)
{
	uint8_t op = in->op;
	uint16_t v;

	if (op < 0x40 && (op & 7) < 6)
		return alu(e, in);
	if (op >= 0x40 && op <= 0x4f) { /* INC/DEC r16 */
		v = mvm_emu_incdec(op >= 0x48, 2, mvm_emu_reg(e, 2, op & 7),
				   &e->flags);
		mvm_emu_set_reg(e, 2, op & 7, v);
		e->ip = in->next;
		return EMU_NEXT;
	}
	if (op >= 0x50 && op <= 0x57) /* PUSH r16 (PUSH SP: the old SP) */
		return push_last(e, in->next, mvm_emu_reg(e, 2, op & 7));
	if (op >= 0x58 && op <= 0x5f) {
		TRY(pop(e, &v));
		mvm_emu_set_reg(e, 2, op & 7, v);
		e->ip = in->next;
		return EMU_NEXT;
	}
	if (op >= 0x70 && op <= 0x7f)
		return jump(e, in, condition(e->flags, op & 15));
	switch (op) {
	case 0x80:
	case 0x81:
	case 0x83:
		return group1(e, in);
	case 0xc0:
	case 0xc1:
	case 0xd0 ... 0xd3:
		return group2(e, in);
	case 0xf6:
	case 0xf7:
		return group3(e, in);
	case 0xfe:
	case 0xff:
		return group45(e, in);
	case 0xa4 ... 0xa5:
	case 0xaa ... 0xad:
		return mvm_emu_string(e, in);
	case 0xeb:
	case 0xe9:
		return jump(e, in, 1);
	case 0xe8: /* CALL rel16 */
		return push_last(e, (uint16_t)(in->next + in->imm), in->next);
	case 0xc3:
	case 0xc2: /* RET [imm16]: pop IP, then drop imm16 bytes */
		TRY(pop(e, &v));
		mvm_emu_set_reg(e, 2, R_SP,
				(uint16_t)(sp(e) + (op == 0xc2 ? in->imm : 0)));
		e->ip = v;
		return EMU_NEXT;
	case 0xe0 ... 0xe2: /* LOOPNE LOOPE LOOP: CX--, jump if ... */
		v = (uint16_t)(mvm_emu_reg(e, 2, R_CX) - 1);
		mvm_emu_set_reg(e, 2, R_CX, v);
		return jump(e, in,
			    v != 0 && (op == 0xe2 ||
				       !!(e->flags & F_ZF) == (op == 0xe1)));
	case 0xe3: /* JCXZ */
		return jump(e, in, mvm_emu_reg(e, 2, R_CX) == 0);
	default:
		return mvm_emu_misc(e, in);
	}
}
