/*
 * test_trace.c - the exit trace ring and counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/kvm.h>
#include <stdlib.h>

#include "minivmm/minivmm.h"

static struct mvm_trace *new_trace(int enabled)
{
	struct mvm_trace *t = malloc(sizeof(*t));

	assert_non_null(t);
	mvm_trace_init(t, enabled);
	return t;
}

static void record(struct mvm_trace *t, uint64_t seq, uint32_t reason,
		   uint64_t handle_ns)
{
	struct mvm_exit e = {
		.seq = seq, .reason = reason, .handle_ns = handle_ns};

	mvm_trace_record(t, 1000 + seq, &e);
}

static void trace_starts_empty(void **state)
{
	struct mvm_trace *t = new_trace(1);

	(void)state;
	assert_int_equal(mvm_trace_len(t), 0);
	assert_null(mvm_trace_get(t, 0));
	assert_int_equal(mvm_trace_count(t, KVM_EXIT_IO), 0);
	assert_int_equal(mvm_trace_mean_ns(t, KVM_EXIT_IO), 0);
	free(t);
}

static void trace_get_zero_is_the_newest(void **state)
{
	struct mvm_trace *t = new_trace(1);

	(void)state;
	for (uint64_t i = 1; i <= 3; i++)
		record(t, i, KVM_EXIT_IO, 0);
	assert_int_equal(mvm_trace_len(t), 3);
	assert_int_equal(mvm_trace_get(t, 0)->exit.seq, 3);
	assert_int_equal(mvm_trace_get(t, 2)->exit.seq, 1);
	assert_int_equal(mvm_trace_get(t, 2)->t_ns, 1001);
	assert_null(mvm_trace_get(t, 3));
	free(t);
}

static void trace_ring_wraps_keeping_the_newest(void **state)
{
	struct mvm_trace *t = new_trace(1);
	uint64_t n = MVM_TRACE_CAP * 2 + 5;

	(void)state;
	for (uint64_t i = 1; i <= n; i++)
		record(t, i, KVM_EXIT_HLT, 0);
	assert_int_equal(mvm_trace_len(t), MVM_TRACE_CAP);
	assert_int_equal(mvm_trace_get(t, 0)->exit.seq, n);
	assert_int_equal(mvm_trace_get(t, MVM_TRACE_CAP - 1)->exit.seq,
			 n - MVM_TRACE_CAP + 1);
	assert_null(mvm_trace_get(t, MVM_TRACE_CAP));
	assert_int_equal(mvm_trace_count(t, KVM_EXIT_HLT), n);
	assert_int_equal(t->seq, n);
	free(t);
}

static void trace_disabled_counts_but_stores_nothing(void **state)
{
	struct mvm_trace *t = new_trace(0);

	(void)state;
	record(t, 1, KVM_EXIT_MMIO, 500);
	record(t, 2, KVM_EXIT_MMIO, 500);
	assert_int_equal(mvm_trace_len(t), 0);
	assert_int_equal(mvm_trace_count(t, KVM_EXIT_MMIO), 2);
	assert_int_equal(t->seq, 2);
	assert_int_equal(mvm_trace_mean_ns(t, KVM_EXIT_MMIO), 0);
	mvm_trace_enable(t, 1);
	record(t, 3, KVM_EXIT_MMIO, 300);
	assert_int_equal(mvm_trace_len(t), 1);
	assert_int_equal(mvm_trace_count(t, KVM_EXIT_MMIO), 3);
	free(t);
}

static void trace_mean_is_over_timed_exits_only(void **state)
{
	struct mvm_trace *t = new_trace(1);

	(void)state;
	record(t, 1, KVM_EXIT_IO, 100);
	record(t, 2, KVM_EXIT_IO, 300);
	mvm_trace_enable(t, 0);
	record(t, 3, KVM_EXIT_IO, 0); /* untimed: must not dilute the mean */
	assert_int_equal(mvm_trace_mean_ns(t, KVM_EXIT_IO), 200);
	assert_int_equal(mvm_trace_mean_ns(t, KVM_EXIT_HLT), 0);
	free(t);
}

static void trace_out_of_range_reasons_count_as_other(void **state)
{
	struct mvm_trace *t = new_trace(1);

	(void)state;
	record(t, 1, MVM_EXIT_REASONS, 10);
	record(t, 2, 0xffffffffu, 30);
	assert_int_equal(mvm_trace_count(t, MVM_EXIT_REASONS), 2);
	assert_int_equal(mvm_trace_count(t, 12345), 2);
	assert_int_equal(mvm_trace_mean_ns(t, 999), 20);
	assert_int_equal(t->count[MVM_EXIT_REASONS], 2);
	assert_int_equal(mvm_trace_count(t, MVM_EXIT_REASONS - 1), 0);
	free(t);
}

static void now_ns_is_monotonic(void **state)
{
	uint64_t a = mvm_now_ns(), b = mvm_now_ns();

	(void)state;
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trace_starts_empty),
		cmocka_unit_test(trace_get_zero_is_the_newest),
		cmocka_unit_test(trace_ring_wraps_keeping_the_newest),
		cmocka_unit_test(trace_disabled_counts_but_stores_nothing),
		cmocka_unit_test(trace_mean_is_over_timed_exits_only),
		cmocka_unit_test(trace_out_of_range_reasons_count_as_other),
		cmocka_unit_test(now_ns_is_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
