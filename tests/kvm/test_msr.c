/*
 * test_msr.c - user space MSRs: RDMSR / WRMSR of an MSR KVM does not know,
 * or one the MSR filter sends out, exit to the VMM's handler; with no
 * handler the guest gets #GP.
 *
 * Each guest is a few bytes of 16-bit code loaded at MVM_REAL_LOAD_ADDR
 * (0x7c00), with the instructions spelled out next to their bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"

#define RUN_MS 5000 /* generous: real-mode code is emulated here */

#define TEST_MSR 0x4b564dffu /* unknown to KVM */

struct msr_log {
	int reads, writes;
	uint32_t index;
	uint64_t written;
};

static int msr_handler(void *ctx, struct mvm_vcpu *vcpu,
		       struct mvm_exit_msr *msr)
{
	struct msr_log *l = ctx;

	(void)vcpu;
	l->index = msr->index;
	if (msr->is_write) {
		l->writes++;
		l->written = msr->data;
	} else {
		l->reads++;
		msr->data = 0xdeadbeefcafebabeULL;
	}
	return 0;
}

static void user_space_msr_read_and_write_reach_the_handler(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0xb9, 0xff, 0x4d, 0x56, 0x4b, /* mov ecx, TEST_MSR */
		0x0f, 0x32,			    /* rdmsr */
		0x66, 0x40,			    /* inc eax */
		0x0f, 0x30,			    /* wrmsr */
		0xf4,				    /* hlt */
	};
	struct msr_log l = {0};
	struct mvm_exit e;

	fixture_user_msr(f, NULL, 0, msr_handler, &l);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_X86_RDMSR);
	assert_int_equal(e.u.msr.index, TEST_MSR);
	/* KVM reports an MSR it has never heard of as UNKNOWN or, if it
	 * would inject #GP itself, as INVAL; both were enabled. */
	assert_true(e.u.msr.why &
		    (KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(l.reads, 1);
	assert_int_equal(l.writes, 1);
	assert_int_equal(l.written, 0xdeadbeefcafebabfULL);
}

static void msr_filter_sends_a_known_msr_to_user_space(void **state)
{
	struct fixture *f = *state;
	const uint32_t filter[] = {0x10}; /* IA32_TIME_STAMP_COUNTER */
	static const uint8_t code[] = {
		0x66, 0xb9, 0x10, 0x00, 0x00, 0x00, /* mov ecx, 0x10 */
		0x0f, 0x32,			    /* rdmsr */
		0xf4,				    /* hlt */
	};
	struct msr_log l = {0};
	struct mvm_exit e;

	fixture_user_msr(f, filter, 1, msr_handler, &l);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_X86_RDMSR);
	assert_int_equal(e.u.msr.index, 0x10);
	assert_int_equal(e.u.msr.why, KVM_MSR_EXIT_REASON_FILTER);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(fixture_rax(f) & 0xffffffff, 0xcafebabe);
}

static void msr_without_handler_gives_the_guest_gp(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0xb9, 0xff, 0x4d, 0x56, 0x4b, /* mov ecx, TEST_MSR */
		0x0f, 0x32,			    /* rdmsr */
		0xf4,				    /* hlt (not reached) */
	};
	static const uint8_t gp_handler[] = {
		0xb0, 'G', 0xe6, 0xe9, 0xf4, /* mov al,'G'; out 0xe9,al; hlt */
	};
	const uint16_t ivt13[2] = {0x7c40, 0};
	struct mvm_exit e;

	fixture_user_msr(f, NULL, 0, NULL, NULL);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x7c40, gp_handler, 5), 0);
	assert_int_equal(mvm_vm_write(f->vm, 13 * 4, ivt13, 4), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_X86_RDMSR);
	assert_false(e.handled);
	assert_int_equal(e.u.msr.error, 1);
	assert_non_null(strstr(f->log, "no MSR handler"));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(e.rip, 0x7c45);
	assert_string_equal(f->out, "G");
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(user_space_msr_read_and_write_reach_the_handler),
		T(msr_filter_sends_a_known_msr_to_user_space),
		T(msr_without_handler_gives_the_guest_gp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
