/*
 * test_bus.c - the device bus: registration rules and access delivery.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "minivmm/minivmm.h"

/* A device that records the last access and answers reads with `value`. */
struct rec {
	int reads, writes, resets;
	uint64_t off;
	uint32_t len;
	uint32_t value;
	int ret; /* what read/write return */
};

static int rec_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		    uint32_t len)
{
	struct rec *r = dev;

	r->reads++;
	r->off = off;
	r->len = len;
	memcpy(data, &r->value, len < 4 ? len : 4);
	return r->ret;
}

static int rec_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		     const void *data, uint32_t len)
{
	struct rec *r = dev;

	r->writes++;
	r->off = off;
	r->len = len;
	r->value = 0;
	memcpy(&r->value, data, len < 4 ? len : 4);
	return r->ret;
}

static void rec_reset(void *dev)
{
	((struct rec *)dev)->resets++;
}

static const struct mvm_dev_ops rec_ops = {
	.name = "rec",
	.read = rec_read,
	.write = rec_write,
	.reset = rec_reset,
};

static const struct mvm_dev_ops readonly_ops = {
	.name = "ro",
	.read = rec_read,
};

static void register_keeps_entries_sorted_by_base(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0}, b = {0}, c = {0};

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x300, 8, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x100, 8, &rec_ops, &b), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x200, 8, &rec_ops, &c), 0);
	assert_int_equal(bus.n, 3);
	assert_int_equal(bus.e[0].base, 0x100);
	assert_int_equal(bus.e[1].base, 0x200);
	assert_int_equal(bus.e[2].base, 0x300);
	assert_ptr_equal(mvm_bus_find(&bus, 0x204, 1)->dev, &c);
}

static void register_refuses_overlapping_ranges(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0};

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x3f8, 8, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x3f8, 1, &rec_ops, &a),
			 -EEXIST);
	assert_int_equal(mvm_bus_register(&bus, 0x3ff, 4, &rec_ops, &a),
			 -EEXIST);
	assert_int_equal(mvm_bus_register(&bus, 0x3f0, 9, &rec_ops, &a),
			 -EEXIST);
	assert_int_equal(mvm_bus_register(&bus, 0x300, 0x200, &rec_ops, &a),
			 -EEXIST);
	/* neighbours on both sides are fine */
	assert_int_equal(mvm_bus_register(&bus, 0x3f0, 8, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x400, 8, &rec_ops, &a), 0);
}

static void register_refuses_bad_arguments_and_full_bus(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0};

	(void)state;
	mvm_bus_init(&bus, "mmio");
	assert_int_equal(mvm_bus_register(&bus, 0x1000, 0, &rec_ops, &a),
			 -EINVAL);
	assert_int_equal(mvm_bus_register(&bus, 0x1000, 4, NULL, &a), -EINVAL);
	assert_int_equal(mvm_bus_register(&bus, UINT64_MAX, 2, &rec_ops, &a),
			 -EINVAL);
	/* ending exactly at the top of the space is allowed */
	assert_int_equal(mvm_bus_register(&bus, UINT64_MAX, 1, &rec_ops, &a),
			 0);
	for (int i = 1; i < MVM_BUS_MAX_DEVS; i++)
		assert_int_equal(mvm_bus_register(&bus, (uint64_t)i * 16, 16,
						  &rec_ops, &a),
				 0);
	assert_int_equal(mvm_bus_register(&bus, 0x100000, 1, &rec_ops, &a),
			 -ENOSPC);
}

static void access_passes_offset_from_device_base(void **state)
{
	struct mvm_bus bus;
	struct rec a = {.value = 0x12345678};
	uint32_t v = 0xabcd;
	uint8_t b;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x3f8, 8, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x3fd, 1, &v, 2), 0);
	assert_int_equal(a.writes, 1);
	assert_int_equal(a.off, 5);
	assert_int_equal(a.len, 2);
	assert_int_equal(a.value, 0xabcd);
	a.value = 0x60;
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x3f8, 0, &b, 1), 0);
	assert_int_equal(a.off, 0);
	assert_int_equal(b, 0x60);
}

static void straddling_access_belongs_to_nobody(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0}, b = {0};
	uint32_t v = 0;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x100, 2, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x102, 2, &rec_ops, &b), 0);
	assert_null(mvm_bus_find(&bus, 0x101, 2));
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x101, 0, &v, 2), -ENOENT);
	assert_int_equal(v, 0xffff);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x103, 1, &v, 4), -ENOENT);
	assert_int_equal(a.reads + a.writes + b.reads + b.writes, 0);
	assert_null(mvm_bus_find(&bus, 0x100, 0));
}

static void unclaimed_read_returns_all_ones(void **state)
{
	struct mvm_bus bus;
	uint64_t v = 0;

	(void)state;
	mvm_bus_init(&bus, "mmio");
	assert_int_equal(mvm_bus_access(&bus, NULL, 0xd0000000, 0, &v, 8),
			 -ENOENT);
	assert_true(v == UINT64_MAX);
	v = 0;
	assert_int_equal(mvm_bus_access(&bus, NULL, 0xd0000000, 1, &v, 8),
			 -ENOENT);
	assert_true(v == 0); /* a write's data is left alone */
}

static void failing_device_read_returns_all_ones(void **state)
{
	struct mvm_bus bus;
	struct rec a = {.value = 0x11, .ret = -EIO};
	uint32_t v = 0;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x60, 1, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x60, 0, &v, 1), -EIO);
	assert_int_equal(v & 0xff, 0xff);
}

static void device_without_write_refuses_writes(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0};
	uint8_t v = 1;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x60, 1, &readonly_ops, &a), 0);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x60, 1, &v, 1),
			 -EOPNOTSUPP);
	assert_int_equal(a.writes, 0);
}

static void stop_request_is_passed_through(void **state)
{
	struct mvm_bus bus;
	struct rec a = {.ret = MVM_IO_STOP};
	uint8_t v = 1;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x60, 1, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x60, 1, &v, 1),
			 MVM_IO_STOP);
}

static void unregister_frees_the_range(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0}, b = {0};
	uint8_t v;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x60, 4, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x70, 4, &rec_ops, &b), 0);
	assert_int_equal(mvm_bus_unregister(&bus, 0x61), -ENOENT);
	assert_int_equal(mvm_bus_unregister(&bus, 0x60), 0);
	assert_int_equal(bus.n, 1);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x60, 0, &v, 1), -ENOENT);
	assert_int_equal(mvm_bus_access(&bus, NULL, 0x70, 0, &v, 1), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x60, 4, &rec_ops, &a), 0);
}

static void reset_calls_every_device_reset(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0}, b = {0};

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x60, 4, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x70, 4, &readonly_ops, &b), 0);
	mvm_bus_reset(&bus);
	assert_int_equal(a.resets, 1);
	assert_int_equal(b.resets, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(register_keeps_entries_sorted_by_base),
		cmocka_unit_test(register_refuses_overlapping_ranges),
		cmocka_unit_test(register_refuses_bad_arguments_and_full_bus),
		cmocka_unit_test(access_passes_offset_from_device_base),
		cmocka_unit_test(straddling_access_belongs_to_nobody),
		cmocka_unit_test(unclaimed_read_returns_all_ones),
		cmocka_unit_test(failing_device_read_returns_all_ones),
		cmocka_unit_test(device_without_write_refuses_writes),
		cmocka_unit_test(stop_request_is_passed_through),
		cmocka_unit_test(unregister_frees_the_range),
		cmocka_unit_test(reset_calls_every_device_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
