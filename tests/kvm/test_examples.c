/*
 * test_examples.c - every example guest, run through the library, does
 * what examples/README.md says: the right output, the right exits in the
 * right order, and the right way of stopping.
 *
 * The exit tour and cpl-compute are driven one exit at a time with
 * mvm_vcpu_run_once(), like the debugger does, so the test sees each
 * exit; the others use fixture_run(). Every run has a deadline and an
 * alarm() backstop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../examples/runtime/demo.h"
#include "fixture.h"

#define RUN_MS	  10000 /* generous: ring-0 code is emulated here */
#define MAX_EXITS 4096

/* Guest output so far, NUL-terminated, for strstr and messages. */
static const char *out_str(struct fixture *f)
{
	size_t n =
		f->out_len < sizeof(f->out) ? f->out_len : sizeof(f->out) - 1;
	f->out[n] = '\0';
	return f->out;
}

static void assert_output_has(struct fixture *f, const char *want)
{
	if (!strstr(out_str(f), want))
		fail_msg("guest output lacks \"%s\"; output was:\n%s", want,
			 out_str(f));
}

/* Run to the next stop; fail with the exit explained if it is not `want`. */
static void run_expect(struct fixture *f, uint32_t want, struct mvm_exit *e)
{
	char why[1024];
	int rc = fixture_run(f, RUN_MS, e);

	if (rc != 0 || e->reason != want) {
		mvm_exit_explain(e, why, sizeof(why));
		fail_msg("run: rc %d, exit %s, wanted %s\n%s\noutput:\n%s", rc,
			 mvm_exit_reason_name(e->reason),
			 mvm_exit_reason_name(want), why, out_str(f));
	}
}

static int is_ucall(const struct mvm_exit *e)
{
	return e->reason == KVM_EXIT_IO && e->u.io.port == MVM_PORT_UCALL;
}

static void hello_real_prints_hello_then_halts(void **state)
{
	struct fixture *f = *state;
	struct mvm_exit e;

	fixture_load(f, "hello-real.bin", MVM_MODE_REAL);
	run_expect(f, KVM_EXIT_HLT, &e);
	assert_string_equal(out_str(f), "Hello\n");
}

/* C guests: greeting, then DONE (a ucall that stops the run), then HLT. */
static void run_c_hello(struct fixture *f, const char *img,
			enum mvm_cpu_mode mode, const char *greeting)
{
	struct mvm_ucall uc;
	struct mvm_exit e;

	fixture_load(f, img, mode);
	run_expect(f, KVM_EXIT_IO, &e);
	assert_true(is_ucall(&e));
	assert_int_equal(mvm_ucall_last(f->devs.ucall, &uc), MVM_UCALL_DONE);
	assert_string_equal(out_str(f), greeting);
	run_expect(f, KVM_EXIT_HLT, &e);
}

static void hello_prot_prints_greeting_says_done_then_halts(void **state)
{
	run_c_hello(*state, "hello-prot.elf", MVM_MODE_PROT32,
		    "Hello from 32-bit protected mode\n");
}

static void hello_long_prints_greeting_says_done_then_halts(void **state)
{
	run_c_hello(*state, "hello-long.elf", MVM_MODE_LONG64,
		    "Hello from 64-bit long mode\n");
}

static void triple_fault_ends_in_shutdown_with_explanation(void **state)
{
	struct fixture *f = *state;
	struct mvm_exit e;
	char why[2048];

	fixture_load(f, "triple-fault.elf", MVM_MODE_LONG64);
	run_expect(f, KVM_EXIT_SHUTDOWN, &e);
	assert_output_has(f, "loading an empty IDT");
	mvm_exit_explain(&e, why, sizeof(why));
	assert_non_null(strstr(why, "triple"));
}

/* Run exit by exit until HLT or a stopping exit; keep the non-ucall exits
 * and check that a PRINT ucall announced each one. Returns how many. */
static int collect_tour(struct fixture *f, struct mvm_exit *seen, int max)
{
	struct mvm_exit e;
	int n = 0, announced = 0;

	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_vcpu_set_deadline(f->vcpu, RUN_MS), 0);
	for (int i = 0; i < MAX_EXITS; i++) {
		assert_int_equal(mvm_vcpu_run_once(f->vcpu, &e), 0);
		if (is_ucall(&e)) {
			announced = 1;
			continue;
		}
		if (!announced)
			fail_msg("exit #%d (%s) was not announced by a PRINT",
				 n + 1, mvm_exit_reason_name(e.reason));
		if (n == max)
			fail_msg("more than %d tour exits", max);
		seen[n++] = e;
		announced = 0;
		if (e.reason == KVM_EXIT_HLT || e.stop)
			break;
	}
	mvm_vcpu_set_deadline(f->vcpu, 0);
	alarm(0);
	return n;
}

static void assert_io(const struct mvm_exit *e, int is_write, uint8_t data)
{
	assert_int_equal(e->reason, KVM_EXIT_IO);
	assert_int_equal(e->u.io.port, MVM_PORT_DEMO);
	assert_int_equal(e->u.io.size, 1);
	assert_int_equal(e->u.io.count, 1);
	assert_int_equal(e->u.io.is_write, is_write);
	assert_int_equal(e->u.io.data[0], data);
}

static void assert_mmio(const struct mvm_exit *e, int is_write)
{
	assert_int_equal(e->reason, KVM_EXIT_MMIO);
	assert_int_equal(e->u.mmio.addr, MVM_MMIO_DEMO_ADDR);
	assert_int_equal(e->u.mmio.len, 4);
	assert_int_equal(e->u.mmio.is_write, is_write);
}

/* The step announcements appear in the output in order 1..7. */
static void assert_steps_in_order(struct fixture *f)
{
	const char *p = out_str(f);
	char want[16];

	for (int i = 1; i <= 7; i++) {
		snprintf(want, sizeof(want), "step %d:", i);
		const char *q = strstr(p, want);
		if (!q)
			fail_msg("\"%s\" missing or out of order:\n%s", want,
				 out_str(f));
		p = q;
	}
}

static void exit_tour_makes_one_announced_exit_per_step(void **state)
{
	struct fixture *f = *state;
	uint32_t data;
	struct mvm_exit seen[16];

	if (strstr(f->log, "no user-space MSR exits")) {
		print_message("SKIP: KVM lacks user-space MSR exits\n");
		skip();
	}
	fixture_load(f, "exit-tour.elf", MVM_MODE_LONG64);
	assert_int_equal(collect_tour(f, seen, 16), 6);
	assert_io(&seen[0], 1, 0x42);
	assert_io(&seen[1], 0, 0x42); /* the demo device answers */
	assert_mmio(&seen[2], 1);
	memcpy(&data, seen[2].u.mmio.data, 4);
	assert_int_equal(data, 0x12345678);
	assert_mmio(&seen[3], 0);
	assert_int_equal(seen[4].reason, KVM_EXIT_X86_RDMSR);
	assert_int_equal(seen[4].u.msr.index, MVM_DEMO_MSR);
	assert_int_equal(seen[5].reason, KVM_EXIT_HLT);
	assert_steps_in_order(f);
	assert_output_has(f, "CPUID vendor \"");
	assert_output_has(f, "IN returned 0x42, MMIO read returned "
			     "0x12345678, RDMSR returned 0x4f4d45442d4d564d");
}

/* In a machine without the demo device nobody asks for the demo MSR's
 * exits, so KVM injects #GP for the unknown MSR, as it does on hosts
 * without user-space MSR exits; the tour's own handler skips the RDMSR,
 * so there is no MSR exit and no triple fault, and the guest says what
 * happened. The port and the MMIO register read all ones: no device. */
static void exit_tour_without_msr_exits_catches_the_gp_and_halts(void **state)
{
	struct fixture *f = *state;
	struct mvm_exit seen[16];

	fixture_load(f, "exit-tour.elf", MVM_MODE_LONG64);
	assert_int_equal(collect_tour(f, seen, 16), 5);
	assert_io(&seen[0], 1, 0x42);
	assert_io(&seen[1], 0, 0xff);
	assert_mmio(&seen[2], 1);
	assert_mmio(&seen[3], 0);
	assert_int_equal(seen[4].reason, KVM_EXIT_HLT);
	assert_steps_in_order(f);
	assert_output_has(f, "RDMSR raised #GP (no user-space MSR exits)");
}

static int current_cpl(struct fixture *f)
{
	struct kvm_sregs s;

	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	return s.cs.selector & 3; /* CPL = CS.RPL (SDM Vol. 3A 5.5) */
}

struct marks {
	uint64_t begin[2], took[2]; /* ns, per loop */
	int cpl[2];		    /* privilege level at BEGIN */
	int stopped;		    /* STOP marker seen */
};

/* Timestamp a marker exit, as `mvm run`'s demo device does. */
static void on_marker(struct fixture *f, struct marks *m, uint32_t v)
{
	uint64_t now = mvm_now_ns();
	unsigned id = MVM_DEMO_MARK_ID(v);

	if (v == MVM_DEMO_STOP)
		m->stopped = 1;
	else if (id > 1)
		fail_msg("unexpected marker %#x", v);
	else if (MVM_DEMO_IS_BEGIN(v))
		m->begin[id] = now, m->cpl[id] = current_cpl(f);
	else if (MVM_DEMO_IS_END(v) && m->begin[id])
		m->took[id] = now - m->begin[id];
}

static void cpl_compute_host_times_the_loop_at_cpl0_and_cpl3(void **state)
{
	struct fixture *f = *state;
	struct marks m = {.cpl = {-1, -1}};
	struct mvm_exit e;
	uint32_t v;

	fixture_load(f, "cpl-compute.elf", MVM_MODE_LONG64);
	fixture_backstop(2 * RUN_MS);
	assert_int_equal(mvm_vcpu_set_deadline(f->vcpu, 2 * RUN_MS), 0);
	for (int i = 0; i < MAX_EXITS && !m.stopped; i++) {
		assert_int_equal(mvm_vcpu_run_once(f->vcpu, &e), 0);
		if (e.reason == KVM_EXIT_MMIO && e.u.mmio.is_write &&
		    e.u.mmio.addr == MVM_MMIO_DEMO_ADDR && e.u.mmio.len == 4) {
			memcpy(&v, e.u.mmio.data, 4);
			on_marker(f, &m, v);
		}
		/* The demo device turns the STOP marker into a stop. */
		if (e.stop && !is_ucall(&e) && !m.stopped)
			fail_msg("stopped by %s before the STOP marker",
				 mvm_exit_reason_name(e.reason));
	}
	mvm_vcpu_set_deadline(f->vcpu, 0);
	alarm(0);
	assert_true(m.stopped);
	assert_int_equal(m.cpl[0], 0);
	assert_int_equal(m.cpl[1], 3);
	assert_true(m.took[0] > 0);
	assert_true(m.took[1] > 0);
	print_message("cpl-compute: CPL 0 loop %.3f ms, CPL 3 loop %.3f ms\n",
		      m.took[0] / 1e6, m.took[1] / 1e6);
}

static void ucall_tour_syncs_twice_then_reports_both_values(void **state)
{
	struct fixture *f = *state;
	struct mvm_ucall uc;
	struct mvm_exit e;

	fixture_load(f, "ucall-tour.elf", MVM_MODE_LONG64);
	for (uint64_t stage = 1; stage <= 2; stage++) {
		run_expect(f, KVM_EXIT_IO, &e);
		assert_int_equal(mvm_ucall_last(f->devs.ucall, &uc),
				 MVM_UCALL_SYNC);
		assert_int_equal(uc.args[0], stage);
		mvm_ucall_clear(f->devs.ucall);
	}
	run_expect(f, KVM_EXIT_IO, &e);
	assert_int_equal(mvm_ucall_last(f->devs.ucall, &uc), MVM_UCALL_ASSERT);
	assert_non_null(strstr(uc.text, "sum_to(100) == 5000@"));
	assert_non_null(strstr(uc.text, "ucall-tour.c:"));
	assert_int_equal(uc.args[1], 1);
	assert_int_equal(uc.args[2], 5050);
	assert_int_equal(uc.args[3], 5000);
	assert_output_has(f, "stage 2, the next check fails on purpose\n");
}

#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		T(hello_real_prints_hello_then_halts),
		T(hello_prot_prints_greeting_says_done_then_halts),
		T(hello_long_prints_greeting_says_done_then_halts),
		T(triple_fault_ends_in_shutdown_with_explanation),
		T(exit_tour_makes_one_announced_exit_per_step),
		cmocka_unit_test_setup_teardown(
			exit_tour_without_msr_exits_catches_the_gp_and_halts,
			fixture_setup_no_demo, fixture_teardown),
		T(cpl_compute_host_times_the_loop_at_cpl0_and_cpl3),
		T(ucall_tour_syncs_twice_then_reports_both_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
