/*
 * flags.c - the arithmetic flags, computed the way the SDM defines them.
 *
 * Every ALU instruction leaves six status flags (Intel SDM Vol. 1 3.4.3.1
 * and appendix A "EFLAGS Cross-Reference"):
 *
 *   CF  carry out of (ADD) or borrow into (SUB) the top bit: the unsigned
 *       result did not fit
 *   OF  the signed result did not fit: both operands had one sign and the
 *       result has the other
 *   AF  carry out of bit 3 (for the BCD instructions)
 *   ZF  the result is 0;  SF  its top bit;  PF  its low byte has an even
 *       number of 1 bits
 *
 * Hardware computes them in the same cycle as the result; an interpreter
 * must do it in software for every instruction, which is much of why
 * interpreting is slow. (QEMU's TCG computes them lazily, only when a
 * later instruction reads them.) Where the SDM leaves a flag undefined
 * (AF after AND, OF after a shift by more than 1) we do what the CPUs
 * these labs run on do, or clear it.
 */
#include "emu_internal.h"

static uint16_t mask_of(int w)
{
	return w == 1 ? 0xff : 0xffff;
}

static uint16_t sign_of(int w)
{
	return w == 1 ? 0x80 : 0x8000;
}

void mvm_emu_szp(int w, uint16_t v, uint32_t *flags)
{
	uint8_t low = (uint8_t)v;

	v &= mask_of(w);
	*flags &= ~(uint32_t)(F_SF | F_ZF | F_PF);
	if (v == 0)
		*flags |= F_ZF;
	if (v & sign_of(w))
		*flags |= F_SF;
	if (!__builtin_parity(low)) /* even number of ones */
		*flags |= F_PF;
}

/* Flags of a = b + c (+ carry) or a = b - c (- borrow), from the operands
 * and the result: the textbook bit tricks (Hacker's Delight 2-13). */
static void arith_flags(int w, int sub, uint32_t a, uint32_t b, uint32_t r,
			uint32_t *flags)
{
	uint32_t sign = sign_of(w);
	uint32_t ovf = sub ? (a ^ b) & (a ^ r) : ~(a ^ b) & (a ^ r);

	*flags &= ~(uint32_t)F_ARITH;
	if (r & ~(uint32_t)mask_of(w)) /* borrow wraps r past the top too */
		*flags |= F_CF;
	if (ovf & sign)
		*flags |= F_OF;
	if ((a ^ b ^ r) & 0x10)
		*flags |= F_AF;
	mvm_emu_szp(w, (uint16_t)r, flags);
}

uint16_t mvm_emu_alu(int op, int w, uint16_t a, uint16_t b, uint32_t *flags)
{
	uint32_t cf = *flags & F_CF ? 1 : 0, r;

	switch (op) {
	case 0: /* ADD */
	case 2: /* ADC */
		r = (uint32_t)a + b + (op == 2 ? cf : 0);
		arith_flags(w, 0, a, b, r, flags);
		return (uint16_t)(r & mask_of(w));
	case 3: /* SBB */
	case 5: /* SUB */
	case 7: /* CMP: SUB that keeps only the flags */
		r = (uint32_t)a - b - (op == 3 ? cf : 0);
		arith_flags(w, 1, a, b, r, flags);
		return (uint16_t)(r & mask_of(w));
	default: /* 1 OR, 4 AND, 6 XOR: CF = OF = 0 (SDM Vol. 2A, AND) */
		r = op == 1 ? a | b : op == 4 ? a & b : a ^ b;
		*flags &= ~(uint32_t)F_ARITH;
		mvm_emu_szp(w, (uint16_t)r, flags);
		return (uint16_t)r;
	}
}

uint16_t mvm_emu_incdec(int dec, int w, uint16_t a, uint32_t *flags)
{
	uint32_t cf = *flags & F_CF;
	uint16_t r = mvm_emu_alu(dec ? 5 : 0, w, a, 1, flags);

	*flags = (*flags & ~(uint32_t)F_CF) | cf;
	return r;
}

/* Rotates change only CF and OF (SDM Vol. 2B, RCL/RCR/ROL/ROR). */
static uint16_t rotate(int right, int w, uint16_t a, unsigned count,
		       uint32_t *flags)
{
	unsigned bits = 8u * (unsigned)w, n = count % bits;
	uint16_t m = mask_of(w), r;
	uint32_t msb;

	a &= m;
	r = n ? (uint16_t)(right ? (a >> n) | (a << (bits - n))
				 : (a << n) | (a >> (bits - n)))
	      : a;
	r &= m;
	msb = r & sign_of(w) ? 1 : 0;
	*flags &= ~(uint32_t)(F_CF | F_OF);
	if (right) {
		*flags |= msb ? F_CF : 0;
		*flags |= msb ^ ((r >> (bits - 2)) & 1) ? F_OF : 0;
	} else {
		*flags |= r & 1 ? F_CF : 0;
		*flags |= msb ^ (r & 1) ? F_OF : 0;
	}
	return r;
}

uint16_t mvm_emu_shift(int op, int w, uint16_t a, unsigned count,
		       uint32_t *flags, int *bad)
{
	unsigned bits = 8u * (unsigned)w;
	uint32_t v = a & mask_of(w), cf = 0, r;

	count &= 0x1f; /* the 286 and later mask the count (SDM SAL/SAR) */
	*bad = 0;
	if (count == 0)
		return a;
	switch (op) {
	case 0:
	case 1:
		return rotate(op == 1, w, a, count, flags);
	case 4: /* SHL (and SAL, /6) */
	case 6:
		r = count > bits ? 0 : v << count;
		cf = count <= bits ? (v >> (bits - count)) & 1 : 0;
		break;
	case 5: /* SHR */
		r = count >= 32 ? 0 : v >> count;
		cf = (v >> (count - 1)) & 1;
		break;
	case 7: { /* SAR: the sign bit fills in */
		int32_t sv = w == 1 ? (int8_t)v : (int16_t)v;

		r = (uint32_t)(sv >> (count > 31 ? 31 : count));
		cf = (uint32_t)(sv >> (count - 1 > 31 ? 31 : count - 1)) & 1;
		break;
	}
	default: /* 2 RCL, 3 RCR */
		*bad = 1;
		return a;
	}
	r &= mask_of(w);
	*flags &= ~(uint32_t)F_ARITH;
	*flags |= cf ? F_CF : 0;
	/* OF for a 1-bit shift (SDM): SHL top bit != CF; SHR the original
	 * top bit; SAR 0. */
	if (op == 5)
		*flags |= v & sign_of(w) ? F_OF : 0;
	else if (op != 7)
		*flags |= (!!(r & sign_of(w)) ^ cf) ? F_OF : 0;
	mvm_emu_szp(w, (uint16_t)r, flags);
	return (uint16_t)r;
}
