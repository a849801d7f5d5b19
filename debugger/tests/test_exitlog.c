/*
 * test_exitlog.c - exit-log rows for each kind of exit, counters, and
 * the guest output pane (debugger/exitlog.c, debugger/text.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "pane_text.h"

static struct mvm_exit io_out(uint64_t seq, char c)
{
	struct mvm_exit e = {.seq = seq,
			     .reason = KVM_EXIT_IO,
			     .rip = 0x100006,
			     .handle_ns = 12345};
	e.u.io = (struct mvm_exit_io){
		.port = 0xe9, .size = 1, .is_write = 1, .count = 1};
	e.u.io.data[0] = (uint8_t)c;
	return e;
}

static void io_row_shows_seq_port_data_and_rip(void **state)
{
	(void)state;
	struct mvm_exit e = io_out(7, 'H');
	dbg_render_exit(&e, NULL, 1, &t);
	has("#7 ");
	has("IO ");
	has("rip 00100006");
	has("out port 0x00e9 size 1");
	has("0x48");
	assert_null(strstr(t.l[0].s, "us ")); /* stable: no time */
	dbg_text_clear(&t);
	dbg_render_exit(&e, NULL, 0, &t);
	has("12.3us");
}

static void mmio_row_shows_address_length_and_value(void **state)
{
	(void)state;
	struct mvm_exit e = {.seq = 2, .reason = KVM_EXIT_MMIO, .rip = 0x10};
	e.u.mmio = (struct mvm_exit_mmio){.addr = 0xd0000000,
					  .len = 4,
					  .is_write = 1,
					  .data = {0x78, 0x56, 0x34, 0x12}};
	dbg_render_exit(&e, NULL, 1, &t);
	has("MMIO");
	has("write 0xd0000000 len 4");
	has("0x12345678");
}

static void debug_row_shows_dr6(void **state)
{
	(void)state;
	struct mvm_exit e = {.seq = 3, .reason = KVM_EXIT_DEBUG, .rip = 0x20};
	e.u.debug = (struct mvm_exit_debug){
		.exception = 1, .pc = 0x20, .dr6 = 0xffff0ff1};
	dbg_render_exit(&e, NULL, 1, &t);
	has("DEBUG");
	has("dr6=0xffff0ff1");
}

static void fatal_exits_are_drawn_as_errors(void **state)
{
	(void)state;
	struct mvm_exit e = {.seq = 4, .reason = KVM_EXIT_SHUTDOWN, .stop = 1};
	dbg_render_exit(&e, NULL, 1, &t);
	has("SHUTDOWN");
	has("triple fault");
	int col = (int)(strstr(t.l[0].s, "SHUTDOWN") - t.l[0].s);
	assert_int_equal(t.l[0].a[col], DBG_A_ERROR);
	struct mvm_exit h = {.seq = 5, .reason = KVM_EXIT_HLT, .stop = 1};
	dbg_render_exit(&h, NULL, 1, &t);
	assert_int_equal(dbg_text_find(&t, "HLT"), 1);
}

static void exits_pane_lists_oldest_first_and_counts(void **state)
{
	(void)state;
	struct mvm_trace tr;
	mvm_trace_init(&tr, 1);
	for (int i = 1; i <= 3; i++) {
		struct mvm_exit e = io_out((uint64_t)i, (char)('a' + i));
		mvm_trace_record(&tr, (uint64_t)i, &e);
	}
	struct mvm_exit h = {.seq = 4, .reason = KVM_EXIT_HLT, .stop = 1};
	mvm_trace_record(&tr, 4, &h);
	dbg_render_exits(&tr, NULL, 2, 1, &t);
	assert_int_equal(t.n, 2); /* only the newest two */
	assert_non_null(strstr(t.l[0].s, "#3"));
	assert_non_null(strstr(t.l[1].s, "#4"));
	dbg_text_clear(&t);
	dbg_render_counters(&tr, 1, &t);
	has("IO                        3");
	has("HLT                       1");
	assert_int_equal(dbg_text_find(&t, "mean"), -1);
}

static void empty_log_says_how_to_get_exits(void **state)
{
	(void)state;
	struct mvm_trace tr;
	mvm_trace_init(&tr, 1);
	dbg_render_exits(&tr, NULL, 10, 1, &t);
	has("no exits yet");
}

static void output_pane_shows_the_last_lines(void **state)
{
	(void)state;
	const char *out = "one\ntwo\nthree\nfour";
	dbg_render_output(out, strlen(out), 2, &t);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.l[0].s, "three");
	assert_string_equal(t.l[1].s, "four");
	dbg_text_clear(&t);
	dbg_render_output("x\x1b[2Jy\r\n", 8, 0, &t); /* escape, CR LF */
	assert_string_equal(t.l[0].s, "x.[2Jy");
}

static void text_cuts_long_lines_and_keeps_attributes(void **state)
{
	(void)state;
	char big[400];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	dbg_text_line(&t, DBG_A_TITLE, "%s", big);
	assert_int_equal(t.l[0].len, DBG_LINE_MAX);
	dbg_text_line(&t, DBG_A_NORMAL, "ab");
	dbg_text_add(&t, DBG_A_CHANGED, "cd");
	assert_string_equal(t.l[1].s, "abcd");
	assert_int_equal(t.l[1].a[1], DBG_A_NORMAL);
	assert_int_equal(t.l[1].a[2], DBG_A_CHANGED);
}

static void wrap_breaks_long_lines_at_blanks_with_indent(void **state)
{
	(void)state;
	dbg_text_wrap(&t, DBG_A_NORMAL,
		      "Causes:\n  - one two three four five six\n  - seven\n"
		      "a paragraph\nwrapped early\n\nx",
		      16);
	assert_string_equal(t.l[0].s, "Causes:");
	assert_string_equal(t.l[1].s, "  - one two");
	assert_string_equal(t.l[2].s, "    three four");
	assert_string_equal(t.l[3].s, "    five six");
	assert_string_equal(t.l[4].s, "  - seven");
	assert_string_equal(t.l[5].s, "a paragraph");
	assert_string_equal(t.l[6].s, "  wrapped early");
	assert_string_equal(t.l[7].s, "");
	assert_string_equal(t.l[8].s, "x");
	assert_int_equal(t.n, 9);
	dbg_text_clear(&t);
	dbg_text_wrap(&t, DBG_A_NORMAL, "abcdefghijklmnop", 5); /* no blank */
	assert_int_equal(t.n, 5);
	assert_string_equal(t.l[4].s, "  op");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(io_row_shows_seq_port_data_and_rip),
		T(mmio_row_shows_address_length_and_value),
		T(debug_row_shows_dr6),
		T(fatal_exits_are_drawn_as_errors),
		T(exits_pane_lists_oldest_first_and_counts),
		T(empty_log_says_how_to_get_exits),
		T(output_pane_shows_the_last_lines),
		T(text_cuts_long_lines_and_keeps_attributes),
		T(wrap_breaks_long_lines_at_blanks_with_indent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
