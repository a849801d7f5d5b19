/*
 * test_cmd.c - the command-line parsers: words, numbers, address
 * expressions, x/NFU formats, ranges (debugger/cmd.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "session.h"

static char err[200];

static void tokenize_splits_words_at_blanks(void **state)
{
	(void)state;
	struct dbg_cmdline c;
	assert_int_equal(
		dbg_tokenize("  x/8xb   rsp + 8 \n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.argc, 4);
	assert_string_equal(c.argv[0], "x/8xb");
	assert_string_equal(c.argv[3], "8");
	assert_int_equal(dbg_tokenize("   ", &c, err, sizeof(err)), 0);
	assert_int_equal(c.argc, 0);
}

static void tokenize_refuses_too_many_words(void **state)
{
	(void)state;
	struct dbg_cmdline c;
	assert_int_equal(
		dbg_tokenize("a b c d e f g h i j k l m", &c, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "too many words"));
}

static void numbers_accept_hex_decimal_binary_and_underscores(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(dbg_parse_u64("0x1F", &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(dbg_parse_u64("31", &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(dbg_parse_u64("0b101", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(dbg_parse_u64("0xffff_8000", &v), 0);
	assert_int_equal(v, 0xffff8000);
	assert_int_equal(dbg_parse_u64("010", &v), 0);
	assert_int_equal(v, 10); /* not octal */
}

static void numbers_reject_garbage_and_overflow(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(dbg_parse_u64("0x", &v), -EINVAL);
	assert_int_equal(dbg_parse_u64("12z", &v), -EINVAL);
	assert_int_equal(dbg_parse_u64("0b2", &v), -EINVAL);
	assert_int_equal(dbg_parse_u64("0x10000000000000000", &v), -ERANGE);
	assert_int_equal(dbg_parse_u64("0xffffffffffffffff", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void eval_adds_registers_and_numbers(void **state)
{
	(void)state;
	struct kvm_regs r = {.rip = 0x100000, .rsp = 0x9f000};
	struct kvm_sregs s = {.cr3 = 0x10000};
	uint64_t v;
	assert_int_equal(dbg_eval("rip", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0x100000);
	assert_int_equal(dbg_eval("$rsp + 8", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0x9f008);
	assert_int_equal(dbg_eval("rip-0x10+2", &r, &s, &v, err, sizeof(err)),
			 0);
	assert_true(v == 0xffff2);
	assert_int_equal(dbg_eval("CR3", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0x10000);
}

static void eval_names_the_bad_term(void **state)
{
	(void)state;
	struct kvm_regs r = {0};
	struct kvm_sregs s = {0};
	uint64_t v;
	assert_int_equal(dbg_eval("rip + bogus", &r, &s, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'bogus'"));
	assert_int_equal(dbg_eval("rip +", &r, &s, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "missing a term"));
	assert_int_equal(dbg_eval("rip", NULL, NULL, &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "no register state"));
}

static void eval_reads_the_low_parts_16_and_32_bit_code_names(void **state)
{
	(void)state;
	struct kvm_regs r = {.rax = 0x1122334455667788, .rsp = 0x9f00f000};
	struct kvm_sregs s = {0};
	uint64_t v;
	assert_int_equal(dbg_eval("eax", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0x55667788);
	assert_int_equal(dbg_eval("ax", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0x7788);
	assert_int_equal(dbg_eval("$al", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0x88);
	assert_int_equal(dbg_eval("sp + 2", &r, &s, &v, err, sizeof(err)), 0);
	assert_true(v == 0xf002);
}

static void seg_addr_adds_the_segment_base_and_wraps_the_offset(void **state)
{
	(void)state;
	struct kvm_regs r = {.rsp = 0xfffe, .rdi = 0x10};
	struct kvm_sregs s = {.ss = {.selector = 0x9000, .base = 0x90000},
			      .es = {.selector = 0x1000, .base = 0x10000}};
	struct dbg_addr a;
	/* Real mode (CR0.PE = 0): base = selector * 16. */
	assert_int_equal(dbg_eval_addr("ss:sp", &r, &s, &a, err, sizeof(err)),
			 0);
	assert_true(a.linear == 0x9fffe);
	assert_int_equal(a.segmented, 1);
	assert_int_equal(a.selector, 0x9000);
	assert_int_equal(dbg_eval_addr("ss:sp+4", &r, &s, &a, err, sizeof(err)),
			 0);
	assert_true(a.off == 2 && a.linear == 0x90002); /* 64 KiB wrap */
	assert_int_equal(dbg_eval_addr("0x7c0:0", &r, &s, &a, err, sizeof(err)),
			 0);
	assert_true(a.linear == 0x7c00);
	assert_int_equal(dbg_eval_addr("es : di", &r, &s, &a, err, sizeof(err)),
			 0);
	assert_true(a.linear == 0x10010);
	assert_int_equal(dbg_eval_addr("0x7c00", &r, &s, &a, err, sizeof(err)),
			 0);
	assert_true(a.linear == 0x7c00 && !a.segmented);
	/* Protected mode: a number is a selector, which needs the GDT. */
	s.cr0 = 1;
	assert_int_equal(dbg_eval_addr("0x10:0", &r, &s, &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "expected cs ds es fs gs ss"));
	assert_int_equal(dbg_eval_addr("xs:0", &r, &s, &a, err, sizeof(err)),
			 -EINVAL);
}

static int offers(const char *const *w, const char *word)
{
	for (; w && *w; w++)
		if (!strcmp(*w, word))
			return 1;
	return 0;
}

/* Tab after a command word offers what fits there. */
static void completion_depends_on_the_words_before(void **state)
{
	(void)state;
	assert_true(offers(dbg_complete_words("", 0), "nexit"));
	assert_true(offers(dbg_complete_words("info ", 5), "registers"));
	assert_false(offers(dbg_complete_words("info ", 5), "rax"));
	assert_null(dbg_complete_words("info mem ", 9));
	assert_true(offers(dbg_complete_words("break ", 6), "mmio"));
	assert_true(offers(dbg_complete_words("b exit ", 7), "x86_rdmsr"));
	assert_true(offers(dbg_complete_words("pane ", 5), "sregs"));
	assert_true(offers(dbg_complete_words("x/4xb ", 6), "esp"));
	assert_true(offers(dbg_complete_words("p ", 2), "rip"));
	assert_true(offers(dbg_complete_words("help ", 5), "watch"));
}

static void xfmt_parses_count_format_and_unit_in_any_order(void **state)
{
	(void)state;
	struct dbg_xfmt f = {.count = 64, .fmt = 'x', .unit = 'b'};
	assert_int_equal(dbg_parse_xfmt("8xg", &f, err, sizeof(err)), 0);
	assert_int_equal(f.count, 8);
	assert_int_equal(f.fmt, 'x');
	assert_int_equal(f.unit, 'g');
	assert_int_equal(dbg_parse_xfmt("4wd", &f, err, sizeof(err)), 0);
	assert_int_equal(f.fmt, 'd');
	assert_int_equal(f.unit, 'w');
	assert_int_equal(dbg_xfmt_unit_bytes(f.unit), 4);
	assert_int_equal(dbg_parse_xfmt("i", &f, err, sizeof(err)), 0);
	assert_int_equal(f.fmt, 'i');
	assert_int_equal(f.count, 4); /* kept from before */
	assert_int_equal(dbg_parse_xfmt("16c", &f, err, sizeof(err)), 0);
	assert_int_equal(f.unit, 'b');
}

static void xfmt_rejects_unknown_letters_and_huge_counts(void **state)
{
	(void)state;
	struct dbg_xfmt f = {.count = 1, .fmt = 'x', .unit = 'b'};
	assert_int_equal(dbg_parse_xfmt("4xz", &f, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'z'"));
	assert_int_equal(dbg_parse_xfmt("0x", &f, err, sizeof(err)), -EINVAL);
	assert_int_equal(dbg_parse_xfmt("99999999999", &f, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dbg_parse_xfmt("1000g", &f, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "bytes"));
}

static void range_accepts_single_inclusive_and_length_forms(void **state)
{
	(void)state;
	uint64_t lo, hi;
	assert_int_equal(dbg_parse_range("0x3f8", &lo, &hi, err, sizeof(err)),
			 0);
	assert_true(lo == 0x3f8 && hi == 0x3f8);
	assert_int_equal(
		dbg_parse_range("0x3f8-0x3ff", &lo, &hi, err, sizeof(err)), 0);
	assert_true(lo == 0x3f8 && hi == 0x3ff);
	assert_int_equal(dbg_parse_range("0x3f8+8", &lo, &hi, err, sizeof(err)),
			 0);
	assert_true(hi == 0x3ff);
}

static void range_rejects_reversed_and_empty(void **state)
{
	(void)state;
	uint64_t lo, hi;
	assert_int_equal(
		dbg_parse_range("0x3ff-0x3f8", &lo, &hi, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "bad range"));
	assert_int_equal(dbg_parse_range("0x10+0", &lo, &hi, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dbg_parse_range("-5", &lo, &hi, err, sizeof(err)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tokenize_splits_words_at_blanks),
		cmocka_unit_test(tokenize_refuses_too_many_words),
		cmocka_unit_test(
			numbers_accept_hex_decimal_binary_and_underscores),
		cmocka_unit_test(numbers_reject_garbage_and_overflow),
		cmocka_unit_test(eval_adds_registers_and_numbers),
		cmocka_unit_test(eval_names_the_bad_term),
		cmocka_unit_test(completion_depends_on_the_words_before),
		cmocka_unit_test(
			eval_reads_the_low_parts_16_and_32_bit_code_names),
		cmocka_unit_test(
			seg_addr_adds_the_segment_base_and_wraps_the_offset),
		cmocka_unit_test(
			xfmt_parses_count_format_and_unit_in_any_order),
		cmocka_unit_test(xfmt_rejects_unknown_letters_and_huge_counts),
		cmocka_unit_test(
			range_accepts_single_inclusive_and_length_forms),
		cmocka_unit_test(range_rejects_reversed_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
