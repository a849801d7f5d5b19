/*
 * test_code.c - the disassembly pane in each mode, the current-
 * instruction marker, backwards decoding, and the memory pane formats
 * (debugger/code.c, debugger/mem.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "pane_text.h"

static void code_bits_follow_cr0_efer_and_cs(void **state)
{
	(void)state;
	struct kvm_sregs s = {0};
	assert_int_equal(dbg_code_bits(&s), 16); /* real mode */
	s.cr0 = 1;
	assert_int_equal(dbg_code_bits(&s), 16); /* 16-bit protected */
	s.cs.db = 1;
	assert_int_equal(dbg_code_bits(&s), 32);
	s.efer = MVM_EFER_LMA | MVM_EFER_LME;
	s.cs.l = 1;
	s.cs.db = 0;
	assert_int_equal(dbg_code_bits(&s), 64);
}

static void linear_pc_adds_cs_base_outside_long_mode(void **state)
{
	(void)state;
	struct dbg_state st = {0};
	st.sregs.cs.base = 0x7c00;
	st.regs.rip = 0x10005; /* IP is 16 bits in real mode */
	assert_true(dbg_linear_pc(&st) == 0x7c05);
	st.sregs.cr0 = 1;
	st.sregs.efer = MVM_EFER_LMA | MVM_EFER_LME;
	st.sregs.cs.l = 1;
	st.regs.rip = 0xffff800000001000ULL; /* CS.base ignored */
	assert_true(dbg_linear_pc(&st) == 0xffff800000001000ULL);
}

static void code_64bit_marks_the_current_instruction(void **state)
{
	(void)state;
	/* cld; out 0xe9, al; hlt */
	const uint8_t code[] = {0xfc, 0xe6, 0xe9, 0xf4};
	dbg_render_code(code, sizeof(code), 0x100000, 0x100001, 64, 2, 4, NULL,
			&t);
	has("   0x00100000  fc");
	has("=> 0x00100001  e6 e9");
	has("out 0xe9, al");
	has("hlt");
	int cur = dbg_text_find(&t, "=>");
	assert_int_equal(t.l[cur].a[0], DBG_A_CURRENT);
	assert_int_equal(t.n, 3);
}

static void code_same_bytes_decode_per_mode(void **state)
{
	(void)state;
	const uint8_t code[] = {0xb8, 0x78, 0x56, 0x34, 0x12};
	dbg_render_code(code, sizeof(code), 0x7c00, 0x7c00, 16, 0, 0, NULL, &t);
	has("mov ax, 0x5678"); /* 16-bit: a 2-byte immediate */
	dbg_text_clear(&t);
	dbg_render_code(code, sizeof(code), 0x100000, 0x100000, 32, 0, 0, NULL,
			&t);
	has("mov eax, 0x12345678");
	dbg_text_clear(&t);
	const uint8_t rex[] = {0x48, 0x89, 0xf8};
	dbg_render_code(rex, sizeof(rex), 0x100000, 0x100000, 64, 0, 0, NULL,
			&t);
	has("mov rax, rdi");
}

static void code_invalid_bytes_show_as_bad(void **state)
{
	(void)state;
	const uint8_t code[] = {0x06, 0x90}; /* push es: invalid in 64-bit */
	dbg_render_code(code, sizeof(code), 0x1000, 0x1000, 64, 0, 1, NULL, &t);
	has("=> 0x00001000  06");
	has("(bad)");
	has("nop");
}

static void code_known_starts_settle_backward_decoding(void **state)
{
	(void)state;
	/* Zeros then cld at 0x103 and out at 0x104. Decoding from 0x100
	 * gives "00 00" + "00 fc", which also ends at 0x104. */
	const uint8_t code[] = {0, 0, 0, 0xfc, 0xe6, 0xe9};
	struct dbg_known k = {.n = 1, .pc = {0x103}};
	dbg_render_code(code, sizeof(code), 0x100, 0x104, 64, 1, 0, NULL, &t);
	assert_int_equal(dbg_text_find(&t, "   0x00000103  fc"), -1);
	dbg_text_clear(&t);
	dbg_render_code(code, sizeof(code), 0x100, 0x104, 64, 1, 0, &k, &t);
	has("   0x00000103  fc");
	has("=> 0x00000104  e6 e9");
}

static void code_pc_outside_the_buffer_is_an_error_row(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90};
	dbg_render_code(code, sizeof(code), 0x1000, 0x2000, 64, 2, 2, NULL, &t);
	has("no code bytes at 0x2000");
	assert_int_equal(t.l[0].a[0], DBG_A_ERROR);
}

static void mem_hexdump_shows_hex_and_ascii(void **state)
{
	(void)state;
	uint8_t buf[20];
	memcpy(buf, "Hello, world!\n\0\1\2\3\4\5", 20);
	struct dbg_xfmt f = {.count = 20, .fmt = 'x', .unit = 'b'};
	dbg_render_mem(buf, sizeof(buf), 0x4000, &f, 64, 0, &t);
	assert_int_equal(t.n, 2);
	has("0000000000004000: 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a 00 01 "
	    " "
	    "|Hello, world!...|");
	has("0000000000004010: 02 03 04 05");
}

static void mem_words_are_little_endian_and_signed_in_d(void **state)
{
	(void)state;
	const uint8_t buf[8] = {0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff};
	struct dbg_xfmt f = {.count = 2, .fmt = 'x', .unit = 'w'};
	dbg_render_mem(buf, sizeof(buf), 0x10, &f, 64, 0, &t);
	has("0000000000000010: 0x12345678 0xffffffff");
	dbg_text_clear(&t);
	f.fmt = 'd';
	dbg_render_mem(buf, sizeof(buf), 0x10, &f, 64, 0, &t);
	has(": 305419896 -1");
	dbg_text_clear(&t);
	f = (struct dbg_xfmt){.count = 8, .fmt = 'x', .unit = 'g'};
	dbg_render_mem(buf, sizeof(buf), 0x10, &f, 64, 0, &t);
	has("0xffffffff12345678");
}

static void mem_x_i_shows_n_instructions_marking_only_the_pc(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90, 0x90, 0x90, 0x90, 0xf4};
	struct dbg_xfmt f = {.count = 3, .fmt = 'i', .unit = 'b'};
	dbg_render_mem(code, sizeof(code), 0x1000, &f, 64, 0x1001, &t);
	assert_int_equal(t.n, 3);
	assert_int_equal(dbg_text_find(&t, "=>"), -1); /* pc not first */
	dbg_text_clear(&t);
	dbg_render_mem(code, sizeof(code), 0x1001, &f, 64, 0x1001, &t);
	has("=> 0x00001001  90");
	assert_int_equal(t.n, 3);
}

static void mem_chars_escape_unprintable_bytes(void **state)
{
	(void)state;
	const uint8_t buf[3] = {'A', 0x0a, 'z'};
	struct dbg_xfmt f = {.count = 3, .fmt = 'c', .unit = 'b'};
	dbg_render_mem(buf, sizeof(buf), 0, &f, 64, 0, &t);
	has("'A' \\x0a 'z'");
}

static void code_marks_breakpoints_and_labels_real_mode_cs_ip(void **state)
{
	(void)state;
	const uint8_t code[] = {0x90, 0x90, 0xf4};
	const uint64_t bps[] = {0x7c01, 0x7c02};
	struct dbg_codeview v = {.bps = bps,
				 .nbps = 2,
				 .segmented = 1,
				 .selector = 0x07c0,
				 .base = 0x7c00};
	dbg_render_code_view(code, sizeof(code), 0x7c00, 0x7c02, 16, 2, 1, &v,
			     &t);
	has("   07c0:0000   90");
	has("B  07c0:0001   90");
	has("B> 07c0:0002   f4");
}

static void mem_strings_stop_at_nul_and_escape(void **state)
{
	(void)state;
	const uint8_t buf[] = "hi\n\"x\"\0b\x01";
	struct dbg_xfmt f = {.count = 2, .fmt = 's', .unit = 'b'};
	dbg_render_mem(buf, sizeof(buf) - 1, 0x10, &f, 64, 0, &t);
	has("0000000000000010: \"hi\\n\\\"x\\\"\"");
	has("0000000000000017: \"b\\x01\"...");
}

static void mem_rows_are_labelled_seg_offset_when_given_so(void **state)
{
	(void)state;
	const uint8_t buf[4] = {0x34, 0x12, 0x78, 0x56};
	struct dbg_xfmt f = {.count = 2, .fmt = 'x', .unit = 'h'};
	struct dbg_codeview v = {
		.segmented = 1, .selector = 0x9000, .base = 0x90000};
	dbg_render_mem_at(buf, sizeof(buf), 0x9fffc, &f, 16, 0, &v, &t);
	has("9000:fffc: 0x1234 0x5678");
}

static void regs_show_the_registers_of_the_mode(void **state)
{
	(void)state;
	struct dbg_state st = {.regs = {.rax = 0x12345,
					.rip = 0x7c05,
					.rsp = 0xf000,
					.rflags = 2}};
	st.sregs.cs.selector = 0x07c0;
	st.sregs.cs.base = 0x7c00;
	st.sregs.ss.selector = 0x9000;
	struct dbg_state old = st;
	old.regs.rip = 0x7c04;
	dbg_render_regs(&st, &old, &t); /* real mode: CR0.PE = 0 */
	has("ax 2345  bx 0000");
	has("cs 07c0  ds 0000  es 0000  ss 9000");
	has("cs:ip 07c0:7c05* ss:sp 9000:f000");
	has("32-bit: eax 00012345");
	has("flags 0002  [-]");
	assert_int_equal(dbg_text_find(&t, "r8"), -1);
	assert_int_equal(dbg_text_find(&t, "rax"), -1);
	dbg_text_clear(&t);
	st.sregs.cr0 = 1; /* protected mode, 32-bit code segment */
	st.sregs.cs.db = 1;
	dbg_render_regs(&st, NULL, &t);
	has("eax 00012345  ebx 00000000");
	has("eip 00007c05");
	has("eflags 00000002");
	assert_int_equal(dbg_text_find(&t, "r8"), -1);
	assert_int_equal(dbg_text_find(&t, "rax"), -1);
	dbg_text_clear(&t);
	st.sregs.efer = MVM_EFER_LMA | MVM_EFER_LME; /* 64-bit code */
	st.sregs.cs.l = 1;
	st.sregs.cs.db = 0;
	dbg_render_regs(&st, NULL, &t);
	has("rax 0000000000012345");
	has("r15 0000000000000000");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(code_bits_follow_cr0_efer_and_cs),
		T(code_marks_breakpoints_and_labels_real_mode_cs_ip),
		T(mem_strings_stop_at_nul_and_escape),
		T(mem_rows_are_labelled_seg_offset_when_given_so),
		T(regs_show_the_registers_of_the_mode),
		T(linear_pc_adds_cs_base_outside_long_mode),
		T(code_64bit_marks_the_current_instruction),
		T(code_same_bytes_decode_per_mode),
		T(code_invalid_bytes_show_as_bad),
		T(code_known_starts_settle_backward_decoding),
		T(code_pc_outside_the_buffer_is_an_error_row),
		T(mem_hexdump_shows_hex_and_ascii),
		T(mem_words_are_little_endian_and_signed_in_d),
		T(mem_x_i_shows_n_instructions_marking_only_the_pc),
		T(mem_chars_escape_unprintable_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
