/*
 * decode.c - from the bytes at CS:IP to one struct insn.
 *
 * An x86 instruction is (Intel SDM Vol. 2A 2.1, Figure 2-1):
 *
 *   [prefixes] opcode [ModRM] [displacement] [immediate]
 *
 * The opcode alone says which of the optional parts follow; the table
 * below holds that "shape" for each one-byte opcode of the teaching
 * subset (the one-byte opcode map, SDM Vol. 2D Table A-2). An opcode
 * with shape 0 is not in the subset. The ModRM byte names a register or
 * a memory operand; in 16-bit code the memory forms are the eight
 * base/index sums of SDM Vol. 2A Table 2-1 (BX+SI, BP+DI, ..., with an
 * 8- or 16-bit displacement).
 */
#include <stdio.h>

#include "emu_internal.h"

/* Shape bits. */
#define K   (1u << 0)  /* known: in the subset */
#define M   (1u << 1)  /* a ModRM byte follows */
#define I8  (1u << 2)  /* an 8-bit immediate */
#define I8S (1u << 3)  /* an 8-bit immediate, sign-extended to 16 */
#define IW  (1u << 4)  /* an immediate of the operand size */
#define I16 (1u << 5)  /* a 16-bit immediate (or address) */
#define J8  (1u << 6)  /* an 8-bit relative jump */
#define J16 (1u << 7)  /* a 16-bit relative jump */
#define FAR (1u << 8)  /* ptr16:16: offset, then segment */
#define W1  (1u << 9)  /* byte operands */
#define WB  (1u << 10) /* bit 0 of the opcode: 0 byte, 1 word */
/* (neither W1 nor WB: word operands) */

#define ALU_ROW(b)                                             \
	[(b)...(b) + 3] = K | M | WB, [(b) + 4] = K | I8 | W1, \
		     [(b) + 5] = K | IW
static const uint16_t shape[256] = {
	ALU_ROW(0x00),
	ALU_ROW(0x08),
	ALU_ROW(0x10),
	ALU_ROW(0x18),
	ALU_ROW(0x20),
	ALU_ROW(0x28),
	ALU_ROW(0x30),
	ALU_ROW(0x38),
	[0x06] = K,
	[0x07] = K,
	[0x0e] = K,
	[0x16] = K,
	[0x17] = K,
	[0x1e] = K,
	[0x1f] = K,	     /* PUSH/POP ES CS SS DS */
	[0x40 ... 0x5f] = K, /* INC DEC PUSH POP r16 */
	[0x68] = K | I16,
	[0x6a] = K | I8S,	  /* PUSH imm */
	[0x70 ... 0x7f] = K | J8, /* Jcc rel8 */
	[0x80] = K | M | I8 | W1,
	[0x81] = K | M | IW,
	[0x83] = K | M | I8S,		/* group 1 */
	[0x84 ... 0x8b] = K | M | WB,	/* TEST XCHG MOV */
	[0x8c ... 0x8f] = K | M,	/* MOV sreg, LEA, POP */
	[0x90 ... 0x99] = K,		/* XCHG AX, CBW, CWD */
	[0x9c ... 0x9d] = K,		/* PUSHF POPF */
	[0x9e ... 0x9f] = K | W1,	/* SAHF LAHF */
	[0xa0 ... 0xa3] = K | I16 | WB, /* MOV AL/AX, moffs */
	[0xa4 ... 0xa5] = K | WB,	/* MOVS */
	[0xa8] = K | I8 | W1,
	[0xa9] = K | IW,	       /* TEST A, imm */
	[0xaa ... 0xad] = K | WB,      /* STOS LODS */
	[0xb0 ... 0xb7] = K | I8 | W1, /* MOV r8, imm */
	[0xb8 ... 0xbf] = K | IW,      /* MOV r16, imm */
	[0xc0] = K | M | I8 | W1,
	[0xc1] = K | M | I8, /* shift imm */
	[0xc2] = K | I16,
	[0xc3] = K, /* RET */
	[0xc6] = K | M | I8 | W1,
	[0xc7] = K | M | IW,	      /* MOV r/m, imm */
	[0xd0 ... 0xd3] = K | M | WB, /* shift 1 / CL */
	[0xe0 ... 0xe3] = K | J8,     /* LOOPNE LOOPE LOOP JCXZ */
	[0xe4] = K | I8 | W1,
	[0xe5] = K | I8, /* IN imm8 */
	[0xe6] = K | I8 | W1,
	[0xe7] = K | I8,	   /* OUT imm8 */
	[0xe8 ... 0xe9] = K | J16, /* CALL JMP rel16 */
	[0xea] = K | FAR,
	[0xeb] = K | J8,	  /* JMP far, JMP rel8 */
	[0xec ... 0xef] = K | WB, /* IN OUT DX */
	[0xf4 ... 0xf5] = K,	  /* HLT CMC */
	[0xf6] = K | M | W1,
	[0xf7] = K | M,	     /* group 3 */
	[0xf8 ... 0xfd] = K, /* CLC STC CLI STI CLD STD */
	[0xfe] = K | M | W1,
	[0xff] = K | M, /* group 4/5 */
};

/* Next instruction byte; *ok cleared when it is not in RAM or the
 * instruction is longer than the architectural 15 bytes (SDM 2.3.11). */
static uint8_t next_byte(struct mvm_emu *e, struct insn *in, int *ok)
{
	int b = in->len < 15 ? mvm_emu_fetch(e, (uint16_t)(in->ip + in->len))
			     : -1;

	if (b < 0) {
		*ok = 0;
		return 0;
	}
	in->bytes[in->len++] = (uint8_t)b;
	return (uint8_t)b;
}

static uint16_t next_word(struct mvm_emu *e, struct insn *in, int *ok)
{
	uint16_t lo = next_byte(e, in, ok);

	return (uint16_t)(lo | next_byte(e, in, ok) << 8);
}

/* The 16-bit memory operand of ModRM (SDM Vol. 2A Table 2-1). */
static void decode_ea(struct mvm_emu *e, struct insn *in, int *ok)
{
	static const int8_t base[8] = {R_BX, R_BX, R_BP, R_BP,
				       -1,   -1,   R_BP, R_BX};
	static const int8_t index[8] = {R_SI, R_DI, R_SI, R_DI,
					R_SI, R_DI, -1,	  -1};
	uint16_t ea = 0;

	in->ea_seg = S_DS;
	if (in->mod == 0 && in->rm == 6) {
		ea = next_word(e, in, ok); /* [disp16] alone */
	} else {
		if (base[in->rm] >= 0)
			ea += (uint16_t)e->r[base[in->rm]];
		if (index[in->rm] >= 0)
			ea += (uint16_t)e->r[index[in->rm]];
		if (base[in->rm] == R_BP) /* BP addresses the stack */
			in->ea_seg = S_SS;
		if (in->mod == 1)
			ea += (uint16_t)(int8_t)next_byte(e, in, ok);
		else if (in->mod == 2)
			ea += next_word(e, in, ok);
	}
	in->ea = ea;
	if (in->seg >= 0)
		in->ea_seg = in->seg;
}

static int is_seg_prefix(uint8_t b, int8_t *seg)
{
	static const int8_t segs[] = {
		[0x26] = S_ES + 1, [0x2e] = S_CS + 1, [0x36] = S_SS + 1,
		[0x3e] = S_DS + 1, [0x64] = S_FS + 1, [0x65] = S_GS + 1};

	if (b >= sizeof(segs) || !segs[b])
		return 0;
	*seg = (int8_t)(segs[b] - 1);
	return 1;
}

/* The immediates and relative targets the shape asks for. */
static void decode_imm(struct mvm_emu *e, struct insn *in, unsigned sh, int *ok)
{
	if ((sh & I8) || ((sh & IW) && in->w == 1))
		in->imm = next_byte(e, in, ok);
	else if (sh & I8S)
		in->imm = (uint16_t)(int8_t)next_byte(e, in, ok);
	else if ((sh & IW) || (sh & I16))
		in->imm = next_word(e, in, ok);
	/* TEST r/m, imm is /0 of group 3, whose other members have none */
	if ((in->op == 0xf6 || in->op == 0xf7) && in->reg < 2)
		in->imm = in->w == 1 ? next_byte(e, in, ok)
				     : next_word(e, in, ok);
	if (sh & J8)
		in->imm = (uint16_t)(int8_t)next_byte(e, in, ok);
	if (sh & J16)
		in->imm = next_word(e, in, ok);
	if (sh & FAR) {
		in->imm = next_word(e, in, ok);
		in->imm2 = next_word(e, in, ok);
	}
}

enum emu_result mvm_emu_decode(struct mvm_emu *e, struct insn *in)
{
	int ok = 1;
	uint8_t b;
	unsigned sh;

	*in = (struct insn){.ip = e->ip, .seg = -1, .ea_seg = S_DS};
	b = next_byte(e, in, &ok);
	while (ok && (is_seg_prefix(b, &in->seg) || b == 0xf3)) {
		in->rep |= b == 0xf3;
		b = next_byte(e, in, &ok);
	}
	in->op = b;
	sh = shape[b];
	if (!ok)
		return mvm_emu_fail(e, "instruction at %04x:%04x is not in RAM",
				    e->s[S_CS].sel, in->ip);
	if (!(sh & K) && b == 0x0f && (next_byte(e, in, &ok), ok))
		return mvm_emu_fail(
			e,
			"not in the teaching subset: opcode 0x0f 0x%02x "
			"at %04x:%04x",
			in->bytes[in->len - 1], e->s[S_CS].sel, in->ip);
	if (!(sh & K))
		return mvm_emu_fail(
			e,
			"not in the teaching subset: opcode 0x%02x at "
			"%04x:%04x",
			b, e->s[S_CS].sel, in->ip);
	in->w = (sh & W1) ? 1 : (sh & WB) ? (uint8_t)(1 + (b & 1)) : 2;
	if (sh & M) {
		uint8_t modrm = next_byte(e, in, &ok);

		in->modrm = 1;
		in->mod = modrm >> 6;
		in->reg = (modrm >> 3) & 7;
		in->rm = modrm & 7;
		if (in->mod != 3)
			decode_ea(e, in, &ok);
	}
	decode_imm(e, in, sh, &ok);
	if (!ok)
		return mvm_emu_fail(e,
				    "instruction at %04x:%04x runs out of RAM",
				    e->s[S_CS].sel, in->ip);
	in->next = (uint16_t)(in->ip + in->len);
	return EMU_NEXT;
}
