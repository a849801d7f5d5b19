/*
 * test_escape.c - mvm_escape() (log.h): guest text made safe for a
 * terminal. A control character never survives; printable text does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "minivmm/minivmm.h"

static void escape_keeps_printable_ascii_unchanged(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(mvm_escape(out, sizeof(out), "a b\\c~", 6, 0), 6);
	assert_string_equal(out, "a b\\c~");
}

static void escape_shows_esc_as_four_characters(void **state)
{
	static const char in[] = "x\x1b[2Jy";
	char out[64];

	(void)state;
	assert_int_equal(mvm_escape(out, sizeof(out), in, strlen(in), 0), 9);
	assert_string_equal(out, "x\\x1b[2Jy");
}

static void escape_turns_newline_tab_and_cr_into_escapes(void **state)
{
	char out[64];

	(void)state;
	mvm_escape(out, sizeof(out), "a\nb\tc\rd", 7, 0);
	assert_string_equal(out, "a\\nb\\tc\\rd");
}

static void escape_keep_nl_keeps_newline_and_tab_but_not_cr(void **state)
{
	char out[64];

	(void)state;
	mvm_escape(out, sizeof(out), "a\nb\tc\rd", 7, MVM_ESCAPE_KEEP_NL);
	assert_string_equal(out, "a\nb\tc\\rd");
}

/* DEL, a NUL inside the text, and bytes >= 0x80 (0x9b is the 8-bit CSI
 * of ECMA-48) are all shown as hex. */
static void escape_shows_del_nul_and_high_bytes_as_hex(void **state)
{
	static const char in[] = {'a', 0x7f, 0, (char)0x9b, (char)0xff};
	char out[64];

	(void)state;
	assert_int_equal(mvm_escape(out, sizeof(out), in, sizeof(in), 0), 17);
	assert_string_equal(out, "a\\x7f\\x00\\x9b\\xff");
}

/* Like snprintf: the full length is returned, the output is cut at a
 * whole escape and always NUL-terminated. */
static void
escape_cuts_short_between_escapes_and_reports_full_length(void **state)
{
	char out[6];

	(void)state;
	memset(out, 'Z', sizeof(out));
	assert_int_equal(mvm_escape(out, sizeof(out), "ab\x1b", 3, 0), 6);
	assert_string_equal(out, "ab");
	assert_int_equal(mvm_escape(out, 1, "ab", 2, 0), 2);
	assert_string_equal(out, "");
	assert_int_equal(mvm_escape(NULL, 0, "ab", 2, 0), 2);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_keeps_printable_ascii_unchanged),
		cmocka_unit_test(escape_shows_esc_as_four_characters),
		cmocka_unit_test(escape_turns_newline_tab_and_cr_into_escapes),
		cmocka_unit_test(
			escape_keep_nl_keeps_newline_and_tab_but_not_cr),
		cmocka_unit_test(escape_shows_del_nul_and_high_bytes_as_hex),
		cmocka_unit_test(
			escape_cuts_short_between_escapes_and_reports_full_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
