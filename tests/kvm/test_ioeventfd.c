/*
 * test_ioeventfd.c - KVM_IOEVENTFD through mvm_vm_ioeventfd() (irq.h): a
 * guest write to a registered port or MMIO address signals an eventfd
 * inside the kernel and never exits to user space; a write KVM does not
 * match (other data, or after the deassign) exits as usual.
 *
 * The guests are a few bytes of real-mode code at MVM_REAL_LOAD_ADDR; each
 * writes 0x5a, then "D" on the debug console, so "the first exit is the
 * debug console" means the write before it stayed in the kernel. Every
 * run has a deadline (fixture_run_once).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fixture.h"

#define RUN_MS	  5000 /* generous: real-mode code is emulated here */
#define TEST_PORT 0x530

static void require_cap(struct fixture *f, int cap, const char *name)
{
	if (mvm_kvm_check_cap(mvm_vm_fd(f->vm), cap) <= 0) {
		print_message("SKIP: KVM lacks %s\n", name);
		skip();
	}
}

/* OUT 0x5a to TEST_PORT, then "D" on the debug console, then HLT. */
static const uint8_t pio_guest[] = {
	0xba, 0x30, 0x05, /* mov dx, TEST_PORT */
	0xb0, 0x5a,	  /* mov al, 0x5a */
	0xee,		  /* out dx, al */
	0xb0, 0x44,	  /* mov al, 'D' */
	0xe6, 0xe9,	  /* out 0xe9, al */
	0xf4,		  /* hlt */
};

/* The same write as a 1-byte MMIO store to DS:0x10 (DS base set by the
 * test to MVM_MMIO_DEMO_ADDR). */
static const uint8_t mmio_guest[] = {
	0xb0, 0x5a,	  /* mov al, 0x5a */
	0xa2, 0x10, 0x00, /* mov [0x10], al */
	0xb0, 0x44,	  /* mov al, 'D' */
	0xe6, 0xe9,	  /* out 0xe9, al */
	0xf4,		  /* hlt */
};

/* The eventfd's counter (read resets it); 0 when nothing was signalled. */
static uint64_t efd_count(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		assert_int_equal(errno, EAGAIN);
	return n;
}

/* Run the guest; the first exit must be the debug console's "D". */
static void expect_first_exit_is_debugcon(struct fixture *f)
{
	struct mvm_exit e;

	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.port, MVM_PORT_DEBUGCON);
	assert_string_equal(f->out, "D");
}

static void ioeventfd_port_write_stays_in_the_kernel(void **state)
{
	struct fixture *f = *state;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	require_cap(f, KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
	assert_true(efd >= 0);
	assert_int_equal(mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, NULL, efd, 0),
			 0);
	fixture_real_code(f, pio_guest, sizeof(pio_guest), 0);
	expect_first_exit_is_debugcon(f);
	assert_int_equal(efd_count(efd), 1);
	assert_int_equal(mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, NULL, efd, 1),
			 0);
	close(efd);
}

static void ioeventfd_mmio_write_stays_in_the_kernel(void **state)
{
	struct fixture *f = *state;
	uint64_t match = 0x5a;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	require_cap(f, KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
	assert_true(efd >= 0);
	assert_int_equal(mvm_vm_ioeventfd(f->vm, MVM_MMIO_DEMO_ADDR + 0x10, 1,
					  0, &match, efd, 0),
			 0);
	fixture_real_code(f, mmio_guest, sizeof(mmio_guest),
			  MVM_MMIO_DEMO_ADDR);
	expect_first_exit_is_debugcon(f);
	assert_int_equal(efd_count(efd), 1);
	close(efd);
}

/* The guest's write must exit to user space, leaving efd untouched. */
static void expect_port_exit(struct fixture *f, int efd)
{
	struct mvm_exit e;

	fixture_real_code(f, pio_guest, sizeof(pio_guest), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.port, TEST_PORT);
	assert_int_equal(e.u.io.data[0], 0x5a);
	assert_int_equal(efd_count(efd), 0);
}

static void ioeventfd_datamatch_mismatch_exits_to_user_space(void **state)
{
	struct fixture *f = *state;
	uint64_t other = 0x11;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	require_cap(f, KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
	assert_true(efd >= 0);
	assert_int_equal(
		mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, &other, efd, 0), 0);
	/* An any-data eventfd on the same port would overlap it. */
	assert_int_equal(mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, NULL, efd, 0),
			 -EEXIST);
	assert_non_null(strstr(f->log, "error: KVM_IOEVENTFD: File exists"));
	/* The guest writes 0x5a, not 0x11. */
	expect_port_exit(f, efd);
	close(efd);
}

static void ioeventfd_deassigned_port_exits_again(void **state)
{
	struct fixture *f = *state;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	require_cap(f, KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD");
	assert_true(efd >= 0);
	assert_int_equal(mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, NULL, efd, 0),
			 0);
	assert_int_equal(mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, NULL, efd, 1),
			 0);
	expect_port_exit(f, efd);
	/* Removing one that is not there is an error, and logged. */
	assert_int_equal(mvm_vm_ioeventfd(f->vm, TEST_PORT, 1, 1, NULL, efd, 1),
			 -ENOENT);
	assert_non_null(strstr(f->log, "error: KVM_IOEVENTFD (deassign)"));
	/* Ports are 16 bits. */
	assert_int_equal(mvm_vm_ioeventfd(f->vm, 0x10000, 1, 1, NULL, efd, 0),
			 -EINVAL);
	close(efd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
		T(ioeventfd_port_write_stays_in_the_kernel),
		T(ioeventfd_mmio_write_stays_in_the_kernel),
		T(ioeventfd_datamatch_mismatch_exits_to_user_space),
		T(ioeventfd_deassigned_port_exits_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
