/*
 * test_fixture.c - the shared KVM test fixture does what its header says:
 * it loads example guests in each mode, captures their output and the
 * library's log, and its run has a working deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"

static void fixture_runs_the_real_mode_hello_guest(void **state)
{
	struct fixture *f = *state;
	struct mvm_exit e;

	fixture_load(f, "hello-real.bin", MVM_MODE_REAL);
	assert_int_equal(f->img.entry, MVM_REAL_LOAD_ADDR);
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "Hello\n");
}

static void fixture_runs_the_long_mode_hello_guest(void **state)
{
	struct fixture *f = *state;
	struct mvm_exit e;

	fixture_load(f, "hello-long.elf", MVM_MODE_LONG64);
	assert_int_equal(fixture_run(f, 10000, &e), 0);
	assert_true(e.stop);
	assert_non_null(strstr(f->out, "Hello from 64-bit long mode"));
}

static void fixture_load_code_enters_protected_mode(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678 */
		0xf4,			      /* hlt */
	};
	struct kvm_regs regs;
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_PROT32, MVM_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &regs), 0);
	assert_int_equal(regs.rax & 0xffffffff, 0x12345678);
}

static void fixture_captures_the_library_log(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xe6, 0x80, /* out 0x80, al  (nothing there) */
		0xf4,	    /* hlt */
	};
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_non_null(strstr(f->log, "warning: unclaimed port write 0x80"));
}

static void fixture_run_times_out_a_spinning_guest(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0xeb, 0xfe}; /* jmp $ */
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, 100, &e), -ETIMEDOUT);
	assert_int_equal(e.reason, KVM_EXIT_INTR);
}

static void irqchip_fixture_vm_halts_with_a_deadline(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0xfa, 0xf4}; /* cli; hlt */
	struct mvm_exit e;

	/* With the in-kernel irqchip HLT waits in the kernel for an
	 * interrupt that never comes: only the deadline gets us out. */
	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, 200, &e), -ETIMEDOUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)
		T(fixture_runs_the_real_mode_hello_guest),
		T(fixture_runs_the_long_mode_hello_guest),
		T(fixture_load_code_enters_protected_mode),
		T(fixture_captures_the_library_log),
		T(fixture_run_times_out_a_spinning_guest),
		cmocka_unit_test_setup_teardown(
			irqchip_fixture_vm_halts_with_a_deadline,
			fixture_setup_irqchip, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
