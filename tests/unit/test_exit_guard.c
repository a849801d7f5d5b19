/*
 * test_exit_guard.c - exits whose kvm_run fields are out of range.
 *
 * The numbers in kvm_run come from KVM, but they describe what the guest
 * did, and the run step must not trust them blindly (STYLE.md 5): an I/O
 * exit's data_offset, size and count decide where the VMM reads and
 * writes host memory. These tests forge kvm_run pages in host memory (no
 * /dev/kvm) and hand them to the library's decode and dispatch steps
 * (internal.h), checking that a malformed exit stops the run, touches no
 * device and says why, and that well-formed ones still reach the device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../libminivmm/src/internal.h"

#define RUN_SIZE  (2 * 4096) /* kvm_run page plus the PIO data page */
#define DATA_OFF  4096	     /* where KVM puts port I/O data */
#define TEST_PORT 0x10

struct harness {
	struct mvm_vm vm;
	struct mvm_vcpu vcpu;
	struct kvm_run *run;
	int accesses;	  /* calls the device got */
	uint8_t seen[16]; /* bytes it was written, in order */
	int nseen;
	char log[4096];
};

static int dev_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		     const void *data, uint32_t len)
{
	struct harness *h = dev;

	(void)off;
	h->accesses++;
	for (uint32_t i = 0; i < len && h->nseen < 16; i++)
		h->seen[h->nseen++] = ((const uint8_t *)data)[i];
	return 0;
}

static int dev_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		    uint32_t len)
{
	struct harness *h = dev;

	(void)off;
	h->accesses++;
	memset(data, 0x5a, len);
	return 0;
}

static const struct mvm_dev_ops dev_ops = {
	.name = "probe",
	.read = dev_read,
	.write = dev_write,
};

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct harness *h = ctx;
	size_t n = strlen(h->log);

	(void)level;
	snprintf(h->log + n, sizeof(h->log) - n, "%s\n", msg);
}

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	if (!h)
		return -1;
	h->run = aligned_alloc(4096, RUN_SIZE);
	if (!h->run) {
		free(h);
		return -1;
	}
	memset(h->run, 0, RUN_SIZE);
	h->vm.log = (struct mvm_log){log_fn, h};
	h->vm.fd = h->vm.kvm_fd = -1;
	mvm_bus_init(&h->vm.pio, "pio");
	mvm_bus_init(&h->vm.mmio, "mmio");
	h->vcpu.vm = &h->vm;
	h->vcpu.fd = -1; /* register reads for the log fail harmlessly */
	h->vcpu.run = h->run;
	h->vcpu.run_size = RUN_SIZE;
	assert_int_equal(
		mvm_bus_register(&h->vm.pio, TEST_PORT, 2, &dev_ops, h), 0);
	assert_int_equal(
		mvm_bus_register(&h->vm.mmio, 0xd0000000, 16, &dev_ops, h), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	free(h->run);
	free(h);
	return 0;
}

/* One OUT exit as KVM would describe it; the test then spoils a field. */
static void forge_io(struct harness *h, uint8_t size, uint32_t count,
		     uint64_t data_offset)
{
	h->run->exit_reason = KVM_EXIT_IO;
	h->run->io.direction = KVM_EXIT_IO_OUT;
	h->run->io.port = TEST_PORT;
	h->run->io.size = size;
	h->run->io.count = count;
	h->run->io.data_offset = data_offset;
}

/* One MMIO exit as KVM would describe it (len is the test's to spoil). */
static void forge_mmio(struct harness *h, uint64_t gpa, uint32_t len,
		       uint8_t is_write)
{
	h->run->exit_reason = KVM_EXIT_MMIO;
	h->run->mmio.phys_addr = gpa;
	h->run->mmio.len = len;
	h->run->mmio.is_write = is_write;
}

static void step(struct harness *h, struct mvm_exit *e)
{
	memset(e, 0, sizeof(*e));
	mvm_exit_decode(&h->vcpu, e);
	mvm_exit_dispatch(&h->vcpu, e);
}

static void io_exit_with_data_offset_past_kvm_run_stops(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	forge_io(h, 1, 1, RUN_SIZE + 100);
	step(h, &e);
	assert_true(e.stop);
	assert_int_equal(h->accesses, 0);
	assert_non_null(strstr(h->log, "malformed I/O exit"));
}

/* size * count is 2^32: a 32-bit product would wrap to 0 and pass. */
static void io_exit_whose_size_times_count_wraps_32_bits_stops(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	forge_io(h, 4, 0x40000000u, DATA_OFF);
	step(h, &e);
	assert_true(e.stop);
	assert_int_equal(h->accesses, 0);
}

static void io_exit_ending_one_byte_past_kvm_run_stops(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	forge_io(h, 2, 2, RUN_SIZE - 3); /* 4 bytes, 3 left */
	step(h, &e);
	assert_true(e.stop);
	assert_int_equal(h->accesses, 0);
}

static void io_exit_with_size_3_stops(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	forge_io(h, 3, 1, DATA_OFF);
	step(h, &e);
	assert_true(e.stop);
	assert_int_equal(h->accesses, 0);
}

/* The last bytes of the mapping are still fair game. */
static void rep_out_exit_at_the_end_of_kvm_run_reaches_the_device(void **state)
{
	struct harness *h = *state;
	uint8_t *data = (uint8_t *)h->run + RUN_SIZE - 6;
	struct mvm_exit e;

	memcpy(data, "\x01\x02\x03\x04\x05\x06", 6);
	forge_io(h, 2, 3, RUN_SIZE - 6);
	step(h, &e);
	assert_false(e.stop);
	assert_true(e.handled);
	assert_int_equal(h->accesses, 3);
	assert_int_equal(h->nseen, 6);
	assert_memory_equal(h->seen, data, 6);
	assert_int_equal(e.u.io.count, 3);
	assert_memory_equal(e.u.io.data, data, 6);
}

static void mmio_exit_longer_than_8_bytes_stops(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	forge_mmio(h, 0xd0000000, 9, 1);
	step(h, &e);
	assert_true(e.stop);
	assert_int_equal(h->accesses, 0);
	assert_non_null(strstr(h->log, "malformed MMIO exit"));
}

static void mmio_read_of_8_bytes_returns_the_device_value(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	forge_mmio(h, 0xd0000008, 8, 0);
	step(h, &e);
	assert_false(e.stop);
	assert_int_equal(h->accesses, 1);
	assert_memory_equal(h->run->mmio.data, "ZZZZZZZZ", 8);
	assert_memory_equal(e.u.mmio.data, "ZZZZZZZZ", 8);
}

/* KVM's internal-error union holds 16 data words whatever ndata says. */
static void internal_error_ndata_is_clamped_to_16(void **state)
{
	struct harness *h = *state;
	struct mvm_exit e;

	h->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	h->run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	h->run->internal.ndata = 1000;
	h->run->internal.data[15] = 0xabcd;
	step(h, &e);
	assert_true(e.stop);
	assert_int_equal(e.u.internal.ndata, 16);
	assert_int_equal(e.u.internal.data[15], 0xabcd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(io_exit_with_data_offset_past_kvm_run_stops),
		T(io_exit_whose_size_times_count_wraps_32_bits_stops),
		T(io_exit_ending_one_byte_past_kvm_run_stops),
		T(io_exit_with_size_3_stops),
		T(rep_out_exit_at_the_end_of_kvm_run_reaches_the_device),
		T(mmio_exit_longer_than_8_bytes_stops),
		T(mmio_read_of_8_bytes_returns_the_device_value),
		T(internal_error_ndata_is_clamped_to_16),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
