/*
 * test_debugcon.c - the port 0xe9 debug console.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "minivmm/minivmm.h"

#include "capture.h"

struct sink {
	char buf[64];
	size_t len;
};

static void out_fn(void *ctx, const char *buf, size_t len)
{
	struct sink *s = ctx;

	capture_append(s->buf, sizeof(s->buf), &s->len, buf, len);
}

static void debugcon_write_goes_to_output(void **state)
{
	struct sink s = {0};
	struct mvm_debugcon *d;

	(void)state;
	assert_int_equal(mvm_debugcon_create(out_fn, &s, &d), 0);
	assert_int_equal(mvm_debugcon_ops.write(d, NULL, 0, "O", 1), 0);
	assert_int_equal(mvm_debugcon_ops.write(d, NULL, 0, "K", 1), 0);
	assert_int_equal(s.len, 2);
	assert_memory_equal(s.buf, "OK", 2);
	mvm_debugcon_destroy(d);
}

static void debugcon_read_returns_0xe9_for_detection(void **state)
{
	struct mvm_debugcon *d;
	uint8_t v = 0;

	(void)state;
	assert_int_equal(mvm_debugcon_create(NULL, NULL, &d), 0);
	assert_int_equal(mvm_debugcon_ops.read(d, NULL, 0, &v, 1), 0);
	assert_int_equal(v, 0xe9);
	mvm_debugcon_destroy(d);
}

static void debugcon_without_output_drops_bytes(void **state)
{
	struct mvm_debugcon *d;

	(void)state;
	assert_int_equal(mvm_debugcon_create(NULL, NULL, &d), 0);
	assert_int_equal(mvm_debugcon_ops.write(d, NULL, 0, "x", 1), 0);
	mvm_debugcon_destroy(d);
	mvm_debugcon_destroy(NULL);
}

/* Through a bus, as the run step delivers it: port 0xe9, offset 0. */
static void debugcon_on_the_bus_at_its_port(void **state)
{
	struct sink s = {0};
	struct mvm_debugcon *d;
	struct mvm_bus bus;
	uint8_t v = 0;
	char c = '!';

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_debugcon_create(out_fn, &s, &d), 0);
	assert_int_equal(mvm_bus_register(&bus, MVM_PORT_DEBUGCON, 1,
					  &mvm_debugcon_ops, d),
			 0);
	assert_int_equal(
		mvm_bus_access(&bus, NULL, MVM_PORT_DEBUGCON, 1, &c, 1), 0);
	assert_int_equal(
		mvm_bus_access(&bus, NULL, MVM_PORT_DEBUGCON, 0, &v, 1), 0);
	assert_int_equal(v, 0xe9);
	assert_int_equal(s.len, 1);
	assert_int_equal(s.buf[0], '!');
	mvm_debugcon_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debugcon_write_goes_to_output),
		cmocka_unit_test(debugcon_read_returns_0xe9_for_detection),
		cmocka_unit_test(debugcon_without_output_drops_bytes),
		cmocka_unit_test(debugcon_on_the_bus_at_its_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
