/*
 * test_console_keys.c - the escape-key parser of `mvm run`'s console
 * (mvm/console.c, console_key()): a pure function, tested byte by byte
 * without a terminal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "console.h"

/* Feed a string; return the action of its last byte. */
static enum console_action feed(struct console_keys *k, const char *s)
{
	enum console_action a = CONSOLE_SEND;

	while (*s)
		a = console_key(k, (unsigned char)*s++);
	return a;
}

static void console_key_sends_ordinary_bytes_and_ctrl_c(void **state)
{
	struct console_keys k = {0};

	(void)state;
	assert_int_equal(console_key(&k, 'a'), CONSOLE_SEND);
	assert_int_equal(console_key(&k, 0x03), CONSOLE_SEND); /* Ctrl-C */
	assert_int_equal(console_key(&k, 'x'), CONSOLE_SEND);
}

static void console_key_ctrl_a_waits_then_x_quits(void **state)
{
	struct console_keys k = {0};

	(void)state;
	assert_int_equal(console_key(&k, CONSOLE_PREFIX), CONSOLE_PENDING);
	assert_int_equal(console_key(&k, 'x'), CONSOLE_QUIT);
	/* the prefix is used up: the next x is text again */
	assert_int_equal(console_key(&k, 'x'), CONSOLE_SEND);
}

static void console_key_h_and_s_ask_for_help_and_snapshot(void **state)
{
	struct console_keys k = {0};

	(void)state;
	assert_int_equal(feed(&k, "\001h"), CONSOLE_HELP);
	assert_int_equal(feed(&k, "\001s"), CONSOLE_SNAPSHOT);
	assert_int_equal(feed(&k, "\001m"), CONSOLE_MIGRATE);
	assert_int_equal(feed(&k, "\001X"), CONSOLE_QUIT); /* caps lock */
}

static void console_key_ctrl_a_twice_sends_one_ctrl_a(void **state)
{
	struct console_keys k = {0};

	(void)state;
	assert_int_equal(console_key(&k, CONSOLE_PREFIX), CONSOLE_PENDING);
	assert_int_equal(console_key(&k, CONSOLE_PREFIX), CONSOLE_SEND);
	/* and the state is clean again: a third Ctrl-A is a new prefix */
	assert_int_equal(console_key(&k, CONSOLE_PREFIX), CONSOLE_PENDING);
	assert_int_equal(console_key(&k, 'q'), CONSOLE_UNKNOWN);
	assert_int_equal(console_key(&k, 'q'), CONSOLE_SEND);
}

static void console_print_keys_lists_every_key(void **state)
{
	char buf[1024] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	assert_non_null(f);
	console_print_keys(f, "  ");
	fclose(f);
	assert_non_null(strstr(buf, "Ctrl-A x"));
	assert_non_null(strstr(buf, "Ctrl-A h"));
	assert_non_null(strstr(buf, "Ctrl-A s"));
	assert_non_null(strstr(buf, "Ctrl-A Ctrl-A"));
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(console_key_sends_ordinary_bytes_and_ctrl_c),
		cmocka_unit_test(console_key_ctrl_a_waits_then_x_quits),
		cmocka_unit_test(console_key_h_and_s_ask_for_help_and_snapshot),
		cmocka_unit_test(console_key_ctrl_a_twice_sends_one_ctrl_a),
		cmocka_unit_test(console_print_keys_lists_every_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
