/*
 * test_devstate.c - device save/load (struct mvm_dev_ops, state.h):
 * a device's state survives a trip through its blob into a fresh
 * device, and a blob that is short, long, of another device, of another
 * version or with impossible values is refused with -EINVAL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "minivmm/minivmm.h"

#include "hostram.h"

#define RAM_SIZE 0x10000
#define REQ_GPA	 0x1000 /* where the tests put a guest's request */
#define BLOB_MAX 4096

/* Offsets into a blob: the header, then the body. */
#define HDR_VERSION 4
#define BODY	    sizeof(struct mvm_devstate_hdr)

static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1700000000; /* 2023-11-14 22:13:20 UTC */
}

static void put8(const struct mvm_dev_ops *ops, void *dev, uint64_t off,
		 uint8_t v)
{
	assert_int_equal(ops->write(dev, NULL, off, &v, 1), 0);
}

static uint8_t get8(const struct mvm_dev_ops *ops, void *dev, uint64_t off)
{
	uint8_t v = 0;

	assert_int_equal(ops->read(dev, NULL, off, &v, 1), 0);
	return v;
}

/* Select CMOS register r and read it. */
static uint8_t cmos_reg(struct mvm_cmos *c, uint8_t r)
{
	put8(&mvm_cmos_ops, c, MVM_CMOS_PORT_INDEX, r);
	return get8(&mvm_cmos_ops, c, MVM_CMOS_PORT_DATA);
}

/* Every way a blob of a device can be wrong gives -EINVAL. */
static void assert_bad_blobs_refused(const struct mvm_dev_ops *ops, void *dev,
				     const uint8_t *blob, int n)
{
	uint8_t bad[BLOB_MAX];

	assert_int_equal(ops->load(dev, blob, 0), -EINVAL);
	assert_int_equal(ops->load(dev, blob, BODY - 1), -EINVAL);
	assert_int_equal(ops->load(dev, blob, (size_t)n - 1), -EINVAL);
	memcpy(bad, blob, (size_t)n);
	bad[n] = 0;
	assert_int_equal(ops->load(dev, bad, (size_t)n + 1), -EINVAL);
	bad[HDR_VERSION]++; /* a layout this build does not know */
	assert_int_equal(ops->load(dev, bad, (size_t)n), -EINVAL);
	memcpy(bad, blob, (size_t)n);
	bad[0] ^= 0x20; /* another device's magic */
	assert_int_equal(ops->load(dev, bad, (size_t)n), -EINVAL);
	assert_int_equal(ops->save(dev, bad, (size_t)n - 1), -ENOSPC);
}

/* --- CMOS ------------------------------------------------------------------ */

static void cmos_state_survives_save_and_load(void **state)
{
	struct mvm_cmos *a, *b;
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_int_equal(mvm_cmos_create(fixed_clock, NULL, NULL, &a), 0);
	assert_int_equal(mvm_cmos_create(fixed_clock, NULL, NULL, &b), 0);
	put8(&mvm_cmos_ops, a, 0, 0x40); /* NVRAM byte 0x40 = 0x77 */
	put8(&mvm_cmos_ops, a, 1, 0x77);
	put8(&mvm_cmos_ops, a, 0, MVM_CMOS_STATUS_B);
	put8(&mvm_cmos_ops, a, 1, MVM_CMOS_B_24H | MVM_CMOS_B_BINARY);
	put8(&mvm_cmos_ops, a, 0, MVM_CMOS_MINUTES);
	put8(&mvm_cmos_ops, a, 1, 42); /* the guest's clock moves */
	put8(&mvm_cmos_ops, a, 0, 0x41);
	put8(&mvm_cmos_ops, a, 1, 0x88); /* and 0x41 stays selected */

	n = mvm_cmos_ops.save(a, blob, sizeof(blob));
	assert_true(n > (int)BODY);
	assert_int_equal(mvm_cmos_ops.load(b, blob, (size_t)n), n);
	/* The selected register, with no index write in between. */
	assert_int_equal(get8(&mvm_cmos_ops, b, 1), 0x88);
	assert_int_equal(cmos_reg(b, 0x40), 0x77);
	assert_int_equal(cmos_reg(b, MVM_CMOS_STATUS_B),
			 cmos_reg(a, MVM_CMOS_STATUS_B));
	assert_int_equal(cmos_reg(b, MVM_CMOS_MINUTES), 42);
	assert_int_equal(cmos_reg(b, MVM_CMOS_HOURS),
			 cmos_reg(a, MVM_CMOS_HOURS));
	mvm_cmos_destroy(a);
	mvm_cmos_destroy(b);
}

static void cmos_refuses_bad_blobs_and_keeps_its_state(void **state)
{
	struct mvm_cmos *c;
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_int_equal(mvm_cmos_create(fixed_clock, NULL, NULL, &c), 0);
	put8(&mvm_cmos_ops, c, 0, 0x50);
	put8(&mvm_cmos_ops, c, 1, 0x33);
	n = mvm_cmos_ops.save(c, blob, sizeof(blob));
	assert_bad_blobs_refused(&mvm_cmos_ops, c, blob, n);
	/* Body: int64 offset, then the index: 0x80 is not a register. */
	blob[BODY + 8] = 0x80;
	assert_int_equal(mvm_cmos_ops.load(c, blob, (size_t)n), -EINVAL);
	assert_int_equal(get8(&mvm_cmos_ops, c, 1), 0x33); /* untouched */
	mvm_cmos_destroy(c);
}

/* --- hypercall ------------------------------------------------------------- */

static void hypercall_result_and_count_survive_save_and_load(void **state)
{
	struct hostram *ram = hostram_new(RAM_SIZE, 0);
	struct mvm_hcall req = {.nr = MVM_HCALL_ADD, .args = {40, 2}};
	struct mvm_hcall_dev *a, *b;
	uint32_t gpa = REQ_GPA;
	int32_t ret = 0;
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_non_null(ram);
	memcpy(ram->ram + REQ_GPA, &req, sizeof(req));
	assert_int_equal(mvm_hcall_create(&ram->mem, NULL, NULL, NULL, &a), 0);
	assert_int_equal(mvm_hcall_create(&ram->mem, NULL, NULL, NULL, &b), 0);
	assert_int_equal(mvm_hcall_ops.write(a, NULL, 0, &gpa, 4), 0);
	assert_int_equal(mvm_hcall_last_ret(a), 42);

	n = mvm_hcall_ops.save(a, blob, sizeof(blob));
	assert_int_equal(mvm_hcall_ops.load(b, blob, (size_t)n), n);
	assert_int_equal(mvm_hcall_ops.read(b, NULL, 0, &ret, 4), 0);
	assert_int_equal(ret, 42); /* what the guest's IN now reads */
	assert_int_equal(mvm_hcall_count(b), mvm_hcall_count(a));
	assert_bad_blobs_refused(&mvm_hcall_ops, b, blob, n);
	mvm_hcall_destroy(a);
	mvm_hcall_destroy(b);
	hostram_free(ram);
}

/* --- ucall ----------------------------------------------------------------- */

static void ucall_last_call_survives_save_and_load(void **state)
{
	struct hostram *ram = hostram_new(RAM_SIZE, 0);
	struct mvm_ucall uc = {.cmd = MVM_UCALL_SYNC, .args = {7, 8}};
	struct mvm_ucall_dev *a, *b;
	struct mvm_ucall got;
	uint32_t gpa = REQ_GPA;
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_non_null(ram);
	strcpy(uc.text, "halfway");
	memcpy(ram->ram + REQ_GPA, &uc, sizeof(uc));
	assert_int_equal(mvm_ucall_create(&ram->mem, NULL, NULL, NULL, &a), 0);
	assert_int_equal(mvm_ucall_create(&ram->mem, NULL, NULL, NULL, &b), 0);
	assert_int_equal(mvm_ucall_ops.write(a, NULL, 0, &gpa, 4), MVM_IO_STOP);

	n = mvm_ucall_ops.save(a, blob, sizeof(blob));
	assert_int_equal(mvm_ucall_ops.load(b, blob, (size_t)n), n);
	assert_int_equal(mvm_ucall_last(b, &got), MVM_UCALL_SYNC);
	assert_int_equal(got.args[1], 8);
	assert_string_equal(got.text, "halfway");
	assert_int_equal(mvm_ucall_seen(b, NULL), 1);
	assert_bad_blobs_refused(&mvm_ucall_ops, b, blob, n);
	/* A command no guest could have made. */
	blob[BODY] = MVM_UCALL_NR;
	assert_int_equal(mvm_ucall_ops.load(b, blob, (size_t)n), -EINVAL);
	mvm_ucall_destroy(a);
	mvm_ucall_destroy(b);
	hostram_free(ram);
}

static void ucall_load_terminates_unterminated_text(void **state)
{
	struct hostram *ram = hostram_new(RAM_SIZE, 0);
	struct mvm_ucall_dev *u;
	struct mvm_ucall got;
	const size_t text = BODY + offsetof(struct mvm_ucall, text);
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_non_null(ram);
	assert_int_equal(mvm_ucall_create(&ram->mem, NULL, NULL, NULL, &u), 0);
	n = mvm_ucall_ops.save(u, blob, sizeof(blob));
	memset(blob + text, 'x', MVM_UCALL_TEXT);
	assert_int_equal(mvm_ucall_ops.load(u, blob, (size_t)n), n);
	mvm_ucall_last(u, &got);
	assert_int_equal(strlen(got.text), MVM_UCALL_TEXT - 1);
	mvm_ucall_destroy(u);
	hostram_free(ram);
}

/* --- demo ----------------------------------------------------------------- */

static void demo_registers_and_stop_survive_save_and_load(void **state)
{
	struct mvm_exit_msr wr = {
		.index = MVM_DEMO_MSR, .is_write = 1, .data = 0x1234};
	struct mvm_exit_msr rd = {.index = MVM_DEMO_MSR};
	struct mvm_demo *a, *b;
	uint32_t stop = MVM_DEMO_STOP;
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_int_equal(mvm_demo_create(NULL, NULL, &a), 0);
	assert_int_equal(mvm_demo_create(NULL, NULL, &b), 0);
	assert_int_equal(mvm_demo_ops.write(a, NULL, 0, &stop, 4), MVM_IO_STOP);
	put8(&mvm_demo_ops, a, 0, 0x42);
	assert_int_equal(mvm_demo_msr(a, NULL, &wr), 0);

	n = mvm_demo_ops.save(a, blob, sizeof(blob));
	assert_int_equal(mvm_demo_ops.load(b, blob, (size_t)n), n);
	assert_int_equal(get8(&mvm_demo_ops, b, 0), 0x42);
	assert_int_equal(mvm_demo_stopped(b), 1);
	assert_int_equal(mvm_demo_msr(b, NULL, &rd), 0);
	assert_int_equal(rd.data, 0x1234);
	assert_bad_blobs_refused(&mvm_demo_ops, b, blob, n);
	blob[BODY + 16] = 2; /* "stopped" is 0 or 1 */
	assert_int_equal(mvm_demo_ops.load(b, blob, (size_t)n), -EINVAL);
	mvm_demo_destroy(a);
	mvm_demo_destroy(b);
}

/* --- debugcon and the lab MSRs --------------------------------------------- */

static void debugcon_blob_is_a_bare_header_it_checks(void **state)
{
	struct mvm_debugcon *d;
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_int_equal(mvm_debugcon_create(NULL, NULL, &d), 0);
	n = mvm_debugcon_ops.save(d, blob, sizeof(blob));
	assert_true(n >= (int)BODY && n <= (int)BODY + 8);
	assert_int_equal(mvm_debugcon_ops.load(d, blob, (size_t)n), n);
	assert_bad_blobs_refused(&mvm_debugcon_ops, d, blob, n);
	mvm_debugcon_destroy(d);
}

static void labmsr_values_survive_save_and_load(void **state)
{
	struct mvm_labmsr a = {.scratch = 0x1234, .count = 9}, b = {0};
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	n = mvm_labmsr_save(&a, blob, sizeof(blob));
	assert_int_equal(n, (int)(BODY + sizeof(a)));
	assert_int_equal(mvm_labmsr_load(&b, blob, (size_t)n), n);
	assert_int_equal(b.scratch, 0x1234);
	assert_int_equal(b.count, 9);
	assert_int_equal(mvm_labmsr_load(&b, blob, (size_t)n - 1), -EINVAL);
	assert_int_equal(mvm_labmsr_save(&a, blob, (size_t)n - 1), -ENOSPC);
}

/* A blob of one device offered to another. */
static void blobs_are_refused_by_other_devices(void **state)
{
	struct mvm_cmos *c;
	struct mvm_debugcon *d;
	struct mvm_labmsr m = {0};
	uint8_t blob[BLOB_MAX];
	int n;

	(void)state;
	assert_int_equal(mvm_cmos_create(fixed_clock, NULL, NULL, &c), 0);
	assert_int_equal(mvm_debugcon_create(NULL, NULL, &d), 0);
	n = mvm_labmsr_save(&m, blob, sizeof(blob));
	assert_int_equal(mvm_debugcon_ops.load(d, blob, (size_t)n), -EINVAL);
	assert_int_equal(mvm_cmos_ops.load(c, blob, (size_t)n), -EINVAL);
	n = mvm_debugcon_ops.save(d, blob, sizeof(blob));
	assert_int_equal(mvm_labmsr_load(&m, blob, (size_t)n), -EINVAL);
	mvm_cmos_destroy(c);
	mvm_debugcon_destroy(d);
}

/* --- a whole bus ------------------------------------------------------------ */

struct two {
	struct mvm_bus bus;
	struct mvm_cmos *cmos;
	struct mvm_debugcon *con;
};

static void two_init(struct two *t)
{
	mvm_bus_init(&t->bus, "pio");
	assert_int_equal(mvm_cmos_create(fixed_clock, NULL, NULL, &t->cmos), 0);
	assert_int_equal(mvm_debugcon_create(NULL, NULL, &t->con), 0);
	assert_int_equal(mvm_bus_register(&t->bus, MVM_PORT_CMOS,
					  MVM_PORT_CMOS_LEN, &mvm_cmos_ops,
					  t->cmos),
			 0);
	assert_int_equal(mvm_bus_register(&t->bus, MVM_PORT_DEBUGCON, 1,
					  &mvm_debugcon_ops, t->con),
			 0);
}

static void two_free(struct two *t)
{
	mvm_cmos_destroy(t->cmos);
	mvm_debugcon_destroy(t->con);
}

static void bus_image_restores_every_device(void **state)
{
	struct two a, b;
	uint8_t img[BLOB_MAX], v = 0x99;
	int n;

	(void)state;
	two_init(&a);
	two_init(&b);
	assert_int_equal(mvm_bus_access(&a.bus, NULL, MVM_PORT_CMOS, 1,
					&(uint8_t){0x60}, 1),
			 0);
	assert_int_equal(
		mvm_bus_access(&a.bus, NULL, MVM_PORT_CMOS + 1, 1, &v, 1), 0);
	n = mvm_bus_save_all(&a.bus, img, sizeof(img));
	assert_true(n > 0);
	assert_int_equal(mvm_bus_load_all(&b.bus, img, (size_t)n), 0);
	v = 0;
	assert_int_equal(
		mvm_bus_access(&b.bus, NULL, MVM_PORT_CMOS + 1, 0, &v, 1), 0);
	assert_int_equal(v, 0x99);

	assert_int_equal(mvm_bus_save_all(&a.bus, img, (size_t)n - 1), -ENOSPC);
	assert_int_equal(mvm_bus_load_all(&b.bus, img, (size_t)n - 1), -EINVAL);
	assert_int_equal(mvm_bus_load_all(&b.bus, img, 3), -EINVAL);
	assert_int_equal(mvm_bus_unregister(&b.bus, MVM_PORT_DEBUGCON), 0);
	assert_int_equal(mvm_bus_load_all(&b.bus, img, (size_t)n), -ENOENT);
	two_free(&a);
	two_free(&b);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(cmos_state_survives_save_and_load),
		cmocka_unit_test(cmos_refuses_bad_blobs_and_keeps_its_state),
		cmocka_unit_test(
			hypercall_result_and_count_survive_save_and_load),
		cmocka_unit_test(ucall_last_call_survives_save_and_load),
		cmocka_unit_test(ucall_load_terminates_unterminated_text),
		cmocka_unit_test(demo_registers_and_stop_survive_save_and_load),
		cmocka_unit_test(debugcon_blob_is_a_bare_header_it_checks),
		cmocka_unit_test(labmsr_values_survive_save_and_load),
		cmocka_unit_test(blobs_are_refused_by_other_devices),
		cmocka_unit_test(bus_image_restores_every_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
