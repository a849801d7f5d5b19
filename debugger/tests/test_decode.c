/*
 * test_decode.c - register bits in words, segment descriptors, and the
 * register-name table (debugger/decode.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "decode.h"

static char buf[200];

static void rflags_names_set_bits_and_iopl(void **state)
{
	(void)state;
	dbg_rflags_str(0x246, buf, sizeof(buf));
	assert_string_equal(buf, "PF ZF IF");
	dbg_rflags_str(0x3002, buf, sizeof(buf));
	assert_string_equal(buf, "IOPL=3");
	dbg_rflags_str(0x2, buf, sizeof(buf));
	assert_string_equal(buf, "-");
	dbg_rflags_str(0x10301, buf, sizeof(buf));
	assert_string_equal(buf, "CF TF IF RF");
}

static void cr0_of_long_mode_reads_pe_et_pg(void **state)
{
	(void)state;
	dbg_bits_str(0x80000011, dbg_cr0_bits, buf, sizeof(buf));
	assert_string_equal(buf, "PE ET PG");
	dbg_bits_str(0x60000010, dbg_cr0_bits, buf, sizeof(buf));
	assert_string_equal(buf, "ET NW CD"); /* the reset value */
}

static void cr4_and_efer_name_their_bits(void **state)
{
	(void)state;
	dbg_bits_str(0x20, dbg_cr4_bits, buf, sizeof(buf));
	assert_string_equal(buf, "PAE");
	dbg_bits_str((1 << 5) | (1 << 7) | (1 << 12), dbg_cr4_bits, buf,
		     sizeof(buf));
	assert_string_equal(buf, "PAE PGE LA57");
	dbg_bits_str(0xd01, dbg_efer_bits, buf, sizeof(buf));
	assert_string_equal(buf, "SCE LME LMA NXE");
}

static void bits_str_truncates_safely(void **state)
{
	(void)state;
	char small[6];
	int n = dbg_bits_str(0x80000011, dbg_cr0_bits, small, sizeof(small));
	assert_true(n >= 8); /* the length it wanted, like snprintf */
	assert_int_equal(strlen(small), 5);
}

static void segment_types_are_decoded(void **state)
{
	(void)state;
	struct kvm_segment cs = {.selector = 8,
				 .limit = 0xffffffff,
				 .type = 0xb,
				 .s = 1,
				 .present = 1,
				 .l = 1,
				 .g = 1};
	dbg_seg_str(&cs, buf, sizeof(buf));
	assert_non_null(strstr(buf, "sel 0x0008"));
	assert_non_null(strstr(buf, "code exec/read accessed"));
	assert_non_null(strstr(buf, " L"));
	assert_null(strstr(buf, "D/B"));
	struct kvm_segment ds = {.type = 0x3, .s = 1, .present = 1, .db = 1};
	dbg_seg_type_str(&ds, buf, sizeof(buf));
	assert_string_equal(buf, "data read/write accessed");
	struct kvm_segment tr = {.type = 0xb, .s = 0, .present = 1};
	dbg_seg_type_str(&tr, buf, sizeof(buf));
	assert_string_equal(buf, "system: TSS (busy)");
	struct kvm_segment un = {.unusable = 1};
	dbg_seg_str(&un, buf, sizeof(buf));
	assert_non_null(strstr(buf, "unusable"));
}

static void registers_are_found_by_any_spelling(void **state)
{
	(void)state;
	assert_string_equal(dbg_reg_find("RAX")->name, "rax");
	assert_string_equal(dbg_reg_find("$r15")->name, "r15");
	assert_string_equal(dbg_reg_find("pc")->name, "rip");
	assert_string_equal(dbg_reg_find("efer")->name, "efer");
	assert_string_equal(dbg_reg_find("eax")->name, "eax"); /* a low part */
	assert_int_equal(dbg_reg_find("eax")->bytes, 4);
	assert_null(dbg_reg_find("r8d")); /* not offered */
	assert_null(dbg_reg_find(""));
}

static void registers_get_and_set_through_the_table(void **state)
{
	(void)state;
	struct kvm_regs r = {0};
	struct kvm_sregs s = {0};
	s.ds.base = 0x1234;
	assert_int_equal(dbg_reg_set(dbg_reg_find("r9"), &r, &s, 99), 0);
	assert_true(r.r9 == 99);
	assert_int_equal(dbg_reg_set(dbg_reg_find("cr3"), &r, &s, 0x5000), 0);
	assert_true(s.cr3 == 0x5000);
	assert_true(dbg_reg_get(dbg_reg_find("ds"), &r, &s) == 0x1234);
	assert_int_equal(dbg_reg_set(dbg_reg_find("ds"), &r, &s, 1), -EROFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rflags_names_set_bits_and_iopl),
		cmocka_unit_test(cr0_of_long_mode_reads_pe_et_pg),
		cmocka_unit_test(cr4_and_efer_name_their_bits),
		cmocka_unit_test(bits_str_truncates_safely),
		cmocka_unit_test(segment_types_are_decoded),
		cmocka_unit_test(registers_are_found_by_any_spelling),
		cmocka_unit_test(registers_get_and_set_through_the_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
