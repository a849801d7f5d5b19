/*
 * test_watch.c - hardware data watchpoints (mvm_vcpu_set_hwbps, vm.h):
 * a write watchpoint stops the guest right after the write, a read/write
 * one after a read, each as a KVM_EXIT_DEBUG with DR6.Bn set (Intel SDM
 * Vol. 3B 18.2.3; data breakpoints are traps, 18.3.1.2).
 *
 * Where the backend never fires them (MVM_QUIRK_NO_WATCHPOINTS,
 * quirks.h) the library refuses them, these tests say so and skip, and
 * one test checks that the symptom is real: with the quirk bit cleared
 * (the VM's private fields, internal.h) the watchpoint is programmed and
 * the guest runs past the write to its HLT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"
#include "../../libminivmm/src/internal.h"

#define ENTRY  MVM_REAL_LOAD_ADDR
#define RUN_MS 5000  /* generous: real-mode code is emulated on some hosts */
#define WADDR  0x500 /* the watched byte (DS base 0) */
#define RADDR  0x600 /* the watched word for reads */

static const uint8_t code[] = {
	0xc6, 0x06, 0x00, 0x05, 0x11, /* mov byte [0x500], 0x11 */
	0x90,			      /* nop */
	0xa1, 0x00, 0x06,	      /* mov ax, [0x600] */
	0x90,			      /* nop */
	0xf4,			      /* hlt */
};
#define AFTER_WRITE (ENTRY + 5) /* a trap: RIP past the writer */
#define AFTER_READ  (ENTRY + 9)

static int no_watchpoints(struct fixture *f)
{
	return mvm_vm_backend(f->vm)->quirks & MVM_QUIRK_NO_WATCHPOINTS;
}

/* Where the quirk applies the library refuses, with the symptom in the
 * log; then the test skips, saying why. Returns only where it works. */
static void set_or_skip(struct fixture *f, const struct mvm_hwbp *bp, int n)
{
	int rc = mvm_vcpu_set_hwbps(f->vcpu, 0, bp, n);

	if (no_watchpoints(f)) {
		assert_int_equal(rc, -EOPNOTSUPP);
		assert_non_null(strstr(f->log, "never fire"));
		print_message("skip: data watchpoints never fire on the %s "
			      "backend (quirks.h NO_WATCHPOINTS)\n",
			      mvm_vm_backend(f->vm)->name);
		skip();
	}
	assert_int_equal(rc, 0);
}

static void write_watchpoint_stops_right_after_the_write(void **state)
{
	struct fixture *f = *state;
	const struct mvm_hwbp w = {WADDR, MVM_HWBP_WRITE, 1};
	struct mvm_exit e;
	uint8_t v;

	fixture_real_code(f, code, sizeof(code), 0);
	set_or_skip(f, &w, 1);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_DEBUG);
	assert_int_equal(e.u.debug.exception, 1);
	assert_true(e.u.debug.dr6 & 1); /* B0 */
	assert_int_equal(e.u.debug.pc, AFTER_WRITE);
	assert_int_equal(mvm_vm_read(f->vm, WADDR, &v, 1), 0);
	assert_int_equal(v, 0x11);
	/* The read of another address does not fire it. */
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
}

static void access_watchpoint_stops_after_a_read(void **state)
{
	struct fixture *f = *state;
	const struct mvm_hwbp bp[2] = {
		{WADDR, MVM_HWBP_EXEC, 1}, /* never executed: no hit */
		{RADDR, MVM_HWBP_ACCESS, 2},
	};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	set_or_skip(f, bp, 2);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_DEBUG);
	assert_true(e.u.debug.dr6 & 2); /* B1 */
	assert_int_equal(e.u.debug.pc, AFTER_READ);
}

/* The symptom behind MVM_QUIRK_NO_WATCHPOINTS: programmed anyway, the
 * watchpoint never fires and the guest runs to its HLT. */
static void without_the_quirk_a_watchpoint_never_fires_here(void **state)
{
	struct fixture *f = *state;
	const struct mvm_hwbp w = {WADDR, MVM_HWBP_WRITE, 1};
	struct mvm_exit e;

	if (!no_watchpoints(f)) {
		print_message("skip: the %s backend fires data watchpoints "
			      "(no NO_WATCHPOINTS quirk to check)\n",
			      mvm_vm_backend(f->vm)->name);
		skip();
	}
	fixture_real_code(f, code, sizeof(code), 0);
	f->vm->backend.quirks &= ~MVM_QUIRK_NO_WATCHPOINTS;
	assert_int_equal(mvm_vcpu_set_hwbps(f->vcpu, 0, &w, 1), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	f->vm->backend.quirks |= MVM_QUIRK_NO_WATCHPOINTS;
	assert_int_equal(e.reason, KVM_EXIT_HLT);
}

/* Execute breakpoints work everywhere, through the same call. */
static void execute_breakpoint_through_the_same_call(void **state)
{
	struct fixture *f = *state;
	const struct mvm_hwbp x = {AFTER_WRITE, MVM_HWBP_EXEC, 1};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vcpu_set_hwbps(f->vcpu, 0, &x, 1), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_DEBUG);
	assert_true(e.u.debug.dr6 & 1);
	assert_int_equal(e.u.debug.pc, AFTER_WRITE);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
		T(write_watchpoint_stops_right_after_the_write),
		T(access_watchpoint_stops_after_a_read),
		T(without_the_quirk_a_watchpoint_never_fires_here),
		T(execute_breakpoint_through_the_same_call),
#undef T
	};

	fixture_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
