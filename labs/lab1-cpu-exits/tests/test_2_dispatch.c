/*
 * test_dispatch.c - Lab 1, task 2: handing an exit to the device that
 * claims the port or address, with the offset from the device's base.
 *
 * The first three tests call the bus directly (no KVM); the last two run
 * hand-assembled real-mode guests against a recording device.
 */
#include <errno.h>
#include <string.h>

#include "lab1.h"

#define CODE 0x7c00ULL

/* A device that records the last access and answers reads with a
 * counter, so a test sees both directions and the order of accesses. */
struct rec {
	uint64_t offset;
	uint32_t len;
	uint8_t written;
	int writes, reads;
	uint8_t next; /* value the next read returns; then incremented */
};

static int rec_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		    void *data, uint32_t len)
{
	struct rec *r = dev;

	r->offset = offset;
	r->len = len;
	r->reads++;
	memset(data, r->next++, len);
	return 0;
}

static int rec_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     const void *data, uint32_t len)
{
	struct rec *r = dev;

	r->offset = offset;
	r->len = len;
	r->written = *(const uint8_t *)data;
	r->writes++;
	return 0;
}

static const struct mvm_dev_ops rec_ops = {
	.name = "recorder",
	.read = rec_read,
	.write = rec_write,
};

static void bus_find_returns_the_device_containing_the_access(void **state)
{
	struct mvm_bus bus;
	struct rec a = {0}, b = {0};
	const struct mvm_bus_entry *e;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x3f8, 8, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, 0x70, 2, &rec_ops, &b), 0);
	e = mvm_bus_find(&bus, 0x3fd, 1);
	GRADE_EXPECT(e && e->base == 0x3f8,
		     "port 0x3fd lies in [0x3f8, 0x400): expected the entry "
		     "with base 0x3f8, got %s",
		     e ? "another entry" : "NULL");
	e = mvm_bus_find(&bus, 0x3ff, 1);
	GRADE_EXPECT(e && e->dev == &a, "the last port 0x3ff belongs to the "
					"device at 0x3f8 too");
	e = mvm_bus_find(&bus, 0x71, 1);
	GRADE_EXPECT(e && e->dev == &b, "port 0x71 belongs to the device at "
					"0x70 (the bus is sorted by base)");
	GRADE_EXPECT(mvm_bus_find(&bus, 0x400, 1) == NULL,
		     "port 0x400 is past the end of [0x3f8, 0x400): expected "
		     "NULL");
	GRADE_EXPECT(mvm_bus_find(&bus, 0x6f, 1) == NULL,
		     "port 0x6f is before every device: expected NULL");
}

static void bus_find_refuses_straddling_wrapping_empty_access(void **state)
{
	static const uint64_t top = 0xfffffffffffff000ULL;
	struct mvm_bus bus;
	struct rec a = {0}, b = {0};

	(void)state;
	mvm_bus_init(&bus, "mmio");
	assert_int_equal(mvm_bus_register(&bus, 0x1000, 0x10, &rec_ops, &a), 0);
	assert_int_equal(mvm_bus_register(&bus, top, 0x1000, &rec_ops, &b), 0);
	GRADE_EXPECT(mvm_bus_find(&bus, 0x100e, 4) == NULL,
		     "a 4-byte access at 0x100e runs past the device's end "
		     "(0x1010): it belongs to no device, expected NULL");
	GRADE_EXPECT(mvm_bus_find(&bus, 0x100d, 4) == NULL,
		     "a 4-byte access at 0x100d has its last byte at 0x1010, "
		     "one past the device's end: expected NULL (off by one?)");
	GRADE_EXPECT(mvm_bus_find(&bus, 0x100c, 4) != NULL,
		     "a 4-byte access at 0x100c ends exactly at 0x1010: it "
		     "is inside the device");
	GRADE_EXPECT(mvm_bus_find(&bus, 0x1000, 0) == NULL,
		     "a zero-length access matches nothing");
	GRADE_EXPECT(mvm_bus_find(&bus, 0xfffffffffffffffeULL, 4) == NULL,
		     "an access that wraps past 2^64 must not match (did "
		     "addr + len overflow?)");
	GRADE_EXPECT(mvm_bus_find(&bus, 0xfffffffffffffffcULL, 4) != NULL,
		     "the last 4 bytes below 2^64 belong to the top device");
}

static void bus_access_passes_offset_from_device_base(void **state)
{
	struct mvm_bus bus;
	struct rec a = {.next = 0x41};
	uint8_t v = 0x99;
	uint32_t w = 0;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x3f8, 8, &rec_ops, &a), 0);
	mvm_bus_access(&bus, NULL, 0x3fd, 1, &v, 1);
	GRADE_EXPECT_EQ(a.writes, 1, "writes the device saw");
	GRADE_EXPECT_EQ(a.offset, 5, "offset of port 0x3fd from base 0x3f8");
	GRADE_EXPECT_EQ(a.written, 0x99, "byte the device received");
	v = 0;
	mvm_bus_access(&bus, NULL, 0x3fa, 0, &v, 1);
	GRADE_EXPECT_EQ(a.reads, 1, "reads the device saw");
	GRADE_EXPECT_EQ(a.offset, 2, "offset of port 0x3fa from base 0x3f8");
	GRADE_EXPECT_EQ(v, 0x41, "byte read back from the device");
	GRADE_EXPECT_EQ(mvm_bus_access(&bus, NULL, 0x500, 0, &w, 4), -ENOENT,
			"result of a read nobody claims (-ENOENT)");
	GRADE_EXPECT_EQ(w, 0xffffffff,
			"value of a read nobody claims "
			"(all ones, a floating ISA bus)");
}

/* A device that answers every access with a fixed result code. */
static int result_code;

static int code_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      const void *data, uint32_t len)
{
	(void)dev, (void)offset, (void)data, (void)len;
	return result_code;
}

static int code_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     void *data, uint32_t len)
{
	(void)dev, (void)offset;
	memset(data, 0x12, len);
	return result_code;
}

static const struct mvm_dev_ops code_ops = {
	.name = "result-code",
	.read = code_read,
	.write = code_write,
};
static const struct mvm_dev_ops write_only_ops = {
	.name = "write-only",
	.write = code_write,
};

/* The run loop learns from mvm_bus_access() that a device wants it to
 * stop (the ucall port returns MVM_IO_STOP for DONE and SYNC): a bus
 * that drops the device's result breaks every guest test after task 2. */
static void bus_access_returns_what_the_device_returned(void **state)
{
	struct mvm_bus bus;
	uint8_t v = 0;
	uint16_t w = 0;

	(void)state;
	mvm_bus_init(&bus, "pio");
	assert_int_equal(mvm_bus_register(&bus, 0x510, 4, &code_ops, NULL), 0);
	assert_int_equal(
		mvm_bus_register(&bus, 0x520, 4, &write_only_ops, NULL), 0);
	result_code = MVM_IO_STOP;
	GRADE_EXPECT_EQ(mvm_bus_access(&bus, NULL, 0x511, 1, &v, 1),
			MVM_IO_STOP,
			"result of a write whose device returned MVM_IO_STOP "
			"(return what the write op returned: that is how a "
			"guest's DONE/SYNC ucall stops the run loop)");
	result_code = -EIO;
	GRADE_EXPECT_EQ(mvm_bus_access(&bus, NULL, 0x512, 1, &v, 1), -EIO,
			"result of a write whose device returned -EIO");
	GRADE_EXPECT_EQ(mvm_bus_access(&bus, NULL, 0x510, 0, &w, 2), -EIO,
			"result of a read whose device returned -EIO");
	GRADE_EXPECT_EQ(w, 0xffff,
			"value of a read the device failed "
			"(all ones)");
	GRADE_EXPECT_EQ(mvm_bus_access(&bus, NULL, 0x520, 0, &w, 2),
			-EOPNOTSUPP,
			"result of a read from a device without a read op");
	result_code = 0;
	GRADE_EXPECT_EQ(mvm_bus_access(&bus, NULL, 0x510, 0, &w, 2), 0,
			"result of a read the device answered");
	GRADE_EXPECT_EQ(w, 0x1212, "value the device answered");
}

static void dispatch_rep_insb_fills_guest_memory_in_order(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xba, 0x34, 0x05, /* mov dx, 0x534 */
		0xb9, 0x04, 0x00, /* mov cx, 4 */
		0xbf, 0x00, 0x60, /* mov di, 0x6000 (ES = 0) */
		0xfc,		  /* cld */
		0xf3, 0x6c,	  /* rep insb */
		0xf4,		  /* hlt */
	};
	struct rec dev = {.next = 0x10};
	struct mvm_exit e;
	uint8_t got[4] = {0};

	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(f->vm), 0x534, 1,
					  &rec_ops, &dev),
			 0);
	lab1_real_code(f, CODE, 0, code, sizeof(code));
	GRADE_EXPECT(fixture_run(f, 10000, &e) == 0 && e.reason == KVM_EXIT_HLT,
		     "the guest should run to its HLT; log:\n%s", f->log);
	GRADE_EXPECT_EQ(dev.reads, 4,
			"reads the device saw for one rep insb of count 4");
	assert_int_equal(mvm_vm_read(f->vm, 0x6000, got, 4), 0);
	GRADE_EXPECT(memcmp(got, "\x10\x11\x12\x13", 4) == 0,
		     "guest memory at 0x6000 after rep insb: expected 10 11 "
		     "12 13 (one byte per access, at data_offset + i * size), "
		     "got %02x %02x %02x %02x",
		     got[0], got[1], got[2], got[3]);
}

static void dispatch_guest_out_and_in_reach_the_device(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xba, 0x3a, 0x05, /* mov dx, 0x53a */
		0xb0, 0x42,	  /* mov al, 0x42 */
		0xee,		  /* out dx, al */
		0x4a,		  /* dec dx */
		0xec,		  /* in al, dx */
		0xa2, 0x00, 0x61, /* mov [0x6100], al */
		0xba, 0x30, 0x05, /* mov dx, 0x530 (no device) */
		0xee,		  /* out dx, al */
		0xf4,		  /* hlt */
	};
	struct rec dev = {.next = 0x77};
	struct mvm_exit e;
	uint8_t got = 0;

	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(f->vm), 0x538, 4,
					  &rec_ops, &dev),
			 0);
	lab1_real_code(f, CODE, 0, code, sizeof(code));
	GRADE_EXPECT(fixture_run(f, 10000, &e) == 0 && e.reason == KVM_EXIT_HLT,
		     "the guest should run to its HLT; log:\n%s", f->log);
	GRADE_EXPECT_EQ(dev.writes, 1, "OUTs the device at 0x538 received");
	GRADE_EXPECT_EQ(dev.written, 0x42, "byte the device received");
	GRADE_EXPECT_EQ(dev.reads, 1, "INs the device at 0x538 answered");
	GRADE_EXPECT_EQ(dev.offset, 1, "offset of the IN (port 0x539)");
	assert_int_equal(mvm_vm_read(f->vm, 0x6100, &got, 1), 0);
	GRADE_EXPECT_EQ(got, 0x77, "byte the guest's IN returned");
	GRADE_EXPECT(strstr(f->log, "unclaimed port write 0x530") != NULL,
		     "the OUT to port 0x530, which no device claims, should "
		     "be logged as unclaimed (clear `claimed` when "
		     "mvm_bus_access() returns -ENOENT); log:\n%s",
		     f->log);
	GRADE_EXPECT(strstr(f->log, "unclaimed port write 0x53a") == NULL &&
			     strstr(f->log, "unclaimed port read 0x539") ==
				     NULL,
		     "accesses the device at 0x538 answered were logged as "
		     "unclaimed; log:\n%s",
		     f->log);
}

#define T(fn, pts) \
	GRADE_TEST(fn, pts, "task 2: mvm_bus_find/mvm_bus_access in bus.c")
#define TK(fn, pts)                                                          \
	GRADE_TEST_SETUP(fn, pts, "task 2: handle_io() in exit.c and bus.c", \
			 fixture_setup, fixture_teardown)
static const struct grade_test tests[] = {
	T(bus_find_returns_the_device_containing_the_access, 3),
	T(bus_find_refuses_straddling_wrapping_empty_access, 3),
	T(bus_access_passes_offset_from_device_base, 2),
	T(bus_access_returns_what_the_device_returned, 2),
	TK(dispatch_rep_insb_fills_guest_memory_in_order, 3),
	TK(dispatch_guest_out_and_in_reach_the_device, 2),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
