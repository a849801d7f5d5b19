/*
 * test_emu.c - the interpreter's pure parts without /dev/kvm: the flags
 * of each operation as the Intel SDM defines them (flags.c), and the
 * decoder on hand-assembled bytes in host memory (decode.c).
 *
 * test_emulate.c (KVM) compares whole runs with the CPU; these pin down
 * the single cases, so a wrong flag names itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../libminivmm/src/emu/emu_internal.h"
#include "hostram.h"

/* ALU op numbers (ModRM reg of group 1). */
enum { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP };
/* Group 2. */
enum { ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR };

static uint32_t alu(int op, int w, uint16_t a, uint16_t b, uint32_t in,
		    uint16_t want)
{
	uint32_t f = in;

	assert_int_equal(mvm_emu_alu(op, w, a, b, &f), want);
	return f & F_ARITH;
}

static void add_and_sub_set_the_sdm_flags(void **state)
{
	(void)state;
	/* 0x7fff + 1: signed overflow into the sign bit, carry out of bit 3 */
	assert_int_equal(alu(ADD, 2, 0x7fff, 1, 0, 0x8000),
			 F_OF | F_SF | F_AF | F_PF);
	/* 0xff + 1 in 8 bits: carry out, zero */
	assert_int_equal(alu(ADD, 1, 0xff, 1, 0, 0), F_CF | F_ZF | F_AF | F_PF);
	/* 0 - 1: borrow, negative, no signed overflow */
	assert_int_equal(alu(SUB, 2, 0, 1, 0, 0xffff),
			 F_CF | F_SF | F_AF | F_PF);
	/* 0x8000 - 1: signed overflow the other way */
	assert_int_equal(alu(SUB, 2, 0x8000, 1, 0, 0x7fff), F_OF | F_AF | F_PF);
	/* CMP is SUB without the result: equal operands give ZF */
	assert_int_equal(alu(CMP, 2, 5, 5, 0, 0), F_ZF | F_PF);
}

static void carry_in_counts_for_adc_and_sbb_only(void **state)
{
	(void)state;
	assert_int_equal(alu(ADC, 2, 0xffff, 0, F_CF, 0),
			 F_CF | F_ZF | F_AF | F_PF);
	assert_int_equal(alu(SBB, 2, 0, 0, F_CF, 0xffff),
			 F_CF | F_SF | F_AF | F_PF);
	assert_int_equal(alu(ADD, 2, 1, 1, F_CF, 2), 0);
}

static void logic_ops_clear_cf_and_of(void **state)
{
	(void)state;
	assert_int_equal(alu(AND, 2, 0xf0f0, 0x0ff0, F_CF | F_OF, 0x00f0),
			 F_PF);
	assert_int_equal(alu(XOR, 1, 0x55, 0x55, F_CF, 0), F_ZF | F_PF);
	assert_int_equal(alu(OR, 1, 0x80, 0x01, 0, 0x81), F_SF | F_PF);
}

static void inc_and_dec_leave_cf_alone(void **state)
{
	uint32_t f = F_CF;

	(void)state;
	assert_int_equal(mvm_emu_incdec(0, 2, 0xffff, &f), 0);
	assert_int_equal(f & F_ARITH, F_CF | F_ZF | F_AF | F_PF);
	f = 0;
	assert_int_equal(mvm_emu_incdec(1, 2, 0, &f), 0xffff);
	assert_int_equal(f & F_CF, 0);
}

static uint32_t shift(int op, int w, uint16_t a, unsigned n, uint16_t want)
{
	uint32_t f = 0;
	int bad;

	assert_int_equal(mvm_emu_shift(op, w, a, n, &f, &bad), want);
	assert_int_equal(bad, 0);
	return f & F_ARITH;
}

static void shifts_and_rotates_set_cf_and_of(void **state)
{
	uint32_t f = F_ZF;
	int bad;

	(void)state;
	/* SHL 0x81 by 1: bit 7 goes to CF; OF = new top bit ^ CF */
	assert_int_equal(shift(SHL, 1, 0x81, 1, 0x02) & (F_CF | F_OF),
			 F_CF | F_OF);
	/* SHR 0x8001 by 1: CF = bit 0; OF = the original top bit */
	assert_int_equal(shift(SHR, 2, 0x8001, 1, 0x4000) & (F_CF | F_OF),
			 F_CF | F_OF);
	/* SAR keeps the sign: 0x80 >> 3 = 0xf0, CF = bit 2 = 0 */
	assert_int_equal(shift(SAR, 1, 0x80, 3, 0xf0) & (F_CF | F_SF), F_SF);
	/* ROL 0x1234 by 4 = 0x2341, CF = its bit 0 */
	assert_int_equal(shift(ROL, 2, 0x1234, 4, 0x2341) & F_CF, F_CF);
	/* ROR 0x01 by 1 = 0x80: CF = top bit, OF = top two bits differ */
	assert_int_equal(shift(ROR, 1, 0x01, 1, 0x80) & (F_CF | F_OF),
			 F_CF | F_OF);
	/* a count of 0 (after masking to 5 bits) changes nothing */
	assert_int_equal(mvm_emu_shift(SHL, 2, 0x1234, 32, &f, &bad), 0x1234);
	assert_int_equal(f, F_ZF);
	/* RCL/RCR are outside the subset */
	mvm_emu_shift(RCL, 2, 1, 1, &f, &bad);
	assert_int_equal(bad, 1);
}

/* --- the decoder ------------------------------------------------------- */

struct decoder {
	struct hostram *ram;
	struct mvm_emu e;
	struct insn in;
};

/* Put `bytes` at 0000:7c00 and decode them. */
static enum emu_result decode(struct decoder *d, const uint8_t *bytes, size_t n)
{
	d->ram = hostram_new(1 << 16, 0);
	assert_non_null(d->ram);
	memcpy(d->ram->ram + 0x7c00, bytes, n);
	memset(&d->e, 0, sizeof(d->e));
	d->e.mem = &d->ram->mem;
	d->e.ip = 0x7c00;
	d->e.r[R_BP] = 0x100;
	d->e.r[R_BX] = 0x20;
	return mvm_emu_decode(&d->e, &d->in);
}

static void decoder_reads_modrm_displacement_and_segment(void **state)
{
	static const uint8_t add_bp[] = {0x03, 0x46, 0xfe}; /* add ax,[bp-2] */
	static const uint8_t es_mov[] = {0x26, 0x8b, 0x07}; /* mov ax,es:[bx] */
	struct decoder d;

	(void)state;
	assert_int_equal(decode(&d, add_bp, sizeof(add_bp)), EMU_NEXT);
	assert_int_equal(d.in.op, 0x03);
	assert_int_equal(d.in.mod, 1);
	assert_int_equal(d.in.rm, 6);
	assert_int_equal(d.in.ea, 0xfe);     /* BP - 2 */
	assert_int_equal(d.in.ea_seg, S_SS); /* BP addresses the stack */
	assert_int_equal(d.in.next, 0x7c03);
	hostram_free(d.ram);
	assert_int_equal(decode(&d, es_mov, sizeof(es_mov)), EMU_NEXT);
	assert_int_equal(d.in.ea, 0x20);
	assert_int_equal(d.in.ea_seg, S_ES);
	assert_int_equal(d.in.len, 3);
	hostram_free(d.ram);
}

static void decoder_sign_extends_imm8_where_the_sdm_says(void **state)
{
	static const uint8_t add_imm8[] = {0x83, 0xc3, 0xff}; /* add bx,-1 */
	static const uint8_t add_imm16[] = {0x81, 0xc3, 0x34, 0x12};
	static const uint8_t test_imm[] = {0xf6, 0xc3, 0x80}; /* test bl */
	struct decoder d;

	(void)state;
	assert_int_equal(decode(&d, add_imm8, sizeof(add_imm8)), EMU_NEXT);
	assert_int_equal(d.in.imm, 0xffff);
	hostram_free(d.ram);
	assert_int_equal(decode(&d, add_imm16, sizeof(add_imm16)), EMU_NEXT);
	assert_int_equal(d.in.imm, 0x1234);
	assert_int_equal(d.in.w, 2);
	hostram_free(d.ram);
	assert_int_equal(decode(&d, test_imm, sizeof(test_imm)), EMU_NEXT);
	assert_int_equal(d.in.imm, 0x80);
	assert_int_equal(d.in.w, 1);
	assert_int_equal(d.in.len, 3);
	hostram_free(d.ram);
}

static void decoder_names_an_opcode_outside_the_subset(void **state)
{
	static const uint8_t opsize[] = {0x66, 0x40}; /* 32-bit inc eax */
	struct decoder d;

	(void)state;
	assert_int_equal(decode(&d, opsize, sizeof(opsize)), EMU_BAD);
	assert_string_equal(d.e.error, "not in the teaching subset: opcode "
				       "0x66 at 0000:7c00");
	hostram_free(d.ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_and_sub_set_the_sdm_flags),
		cmocka_unit_test(carry_in_counts_for_adc_and_sbb_only),
		cmocka_unit_test(logic_ops_clear_cf_and_of),
		cmocka_unit_test(inc_and_dec_leave_cf_alone),
		cmocka_unit_test(shifts_and_rotates_set_cf_and_of),
		cmocka_unit_test(decoder_reads_modrm_displacement_and_segment),
		cmocka_unit_test(decoder_sign_extends_imm8_where_the_sdm_says),
		cmocka_unit_test(decoder_names_an_opcode_outside_the_subset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
