/*
 * test_dr7.c - the DR7 value for hardware breakpoints and watchpoints
 * (mvm_dr7_encode, debug.c), checked against Intel SDM Vol. 3B 18.2.4:
 * Ln at bit 2n, R/Wn at bits 16 + 4n, LENn at bits 18 + 4n, with
 * R/W 00 execute, 01 write, 11 read/write and LEN 00/01/11/10 for
 * 1/2/4/8 bytes. No KVM needed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "minivmm/minivmm.h"

static uint64_t dr7_of(const struct mvm_hwbp *bp, int n)
{
	uint64_t dr7 = ~0ULL;

	assert_int_equal(mvm_dr7_encode(bp, n, &dr7), 0);
	return dr7;
}

static void execute_breakpoint_is_only_its_enable_bit(void **state)
{
	(void)state;
	const struct mvm_hwbp x = {0x7c00, MVM_HWBP_EXEC, 1};

	assert_int_equal(dr7_of(&x, 1), 0x1); /* L0; R/W0 = LEN0 = 00 */
}

static void watchpoints_encode_kind_and_length_per_slot(void **state)
{
	(void)state;
	/* Slots filled one by one with watchpoints of each length. */
	struct mvm_hwbp bp[4] = {
		{0x1000, MVM_HWBP_EXEC, 1},
		{0x1000, MVM_HWBP_EXEC, 1},
		{0x1000, MVM_HWBP_EXEC, 1},
		{0x1000, MVM_HWBP_EXEC, 1},
	};

	bp[0] = (struct mvm_hwbp){0x2001, MVM_HWBP_WRITE, 1};
	/* L0; R/W0 01 (bit 16), LEN0 00 */
	assert_int_equal(dr7_of(bp, 1), 0x00010001ULL);
	bp[1] = (struct mvm_hwbp){0x2002, MVM_HWBP_WRITE, 2};
	/* + L1 (bit 2); R/W1 01 (bit 20), LEN1 01 (bit 22) */
	assert_int_equal(dr7_of(bp, 2), 0x00510005ULL);
	bp[2] = (struct mvm_hwbp){0x2004, MVM_HWBP_WRITE, 4};
	/* + L2 (bit 4); R/W2 01 (bit 24), LEN2 11 (bits 26-27) */
	assert_int_equal(dr7_of(bp, 3), 0x0d510015ULL);
	bp[3] = (struct mvm_hwbp){0x2008, MVM_HWBP_ACCESS, 8};
	/* + L3 (bit 6); R/W3 11 (bits 28-29), LEN3 10 (bit 31) */
	assert_int_equal(dr7_of(bp, 4), 0xbd510055ULL);
}

static void no_breakpoints_is_dr7_zero(void **state)
{
	(void)state;
	assert_int_equal(dr7_of(NULL, 0), 0);
}

static void bad_breakpoints_are_refused(void **state)
{
	(void)state;
	uint64_t dr7;
	const struct mvm_hwbp five[5] = {{0, MVM_HWBP_EXEC, 1}};
	const struct mvm_hwbp misaligned = {0x1002, MVM_HWBP_WRITE, 4};
	const struct mvm_hwbp len3 = {0x1000, MVM_HWBP_WRITE, 3};
	const struct mvm_hwbp wide_exec = {0x1000, MVM_HWBP_EXEC, 4};
	const struct mvm_hwbp io = {0x3f8, (enum mvm_hwbp_kind)2, 1};

	assert_int_equal(mvm_dr7_encode(five, 5, &dr7), -E2BIG);
	assert_int_equal(mvm_dr7_encode(&misaligned, 1, &dr7), -EINVAL);
	assert_int_equal(mvm_dr7_encode(&len3, 1, &dr7), -EINVAL);
	assert_int_equal(mvm_dr7_encode(&wide_exec, 1, &dr7), -EINVAL);
	/* R/W 10 is I/O breakpoints (CR4.DE), not offered. */
	assert_int_equal(mvm_dr7_encode(&io, 1, &dr7), -EINVAL);
	assert_int_equal(mvm_dr7_encode(NULL, 1, &dr7), -EINVAL);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(execute_breakpoint_is_only_its_enable_bit),
		cmocka_unit_test(watchpoints_encode_kind_and_length_per_slot),
		cmocka_unit_test(no_breakpoints_is_dr7_zero),
		cmocka_unit_test(bad_breakpoints_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
