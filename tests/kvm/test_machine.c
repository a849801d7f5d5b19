/*
 * test_machine.c - the machine layer's threads: a thread per vCPU,
 * pause (nesting, from any thread), resume, wait, stop, kicks from
 * another thread and the HLT wait, and a full state save/restore while
 * paused. Devices, interrupt lines and MSR handlers: test_machine_devs.c.
 *
 * Threaded tests: `make SANITIZE=thread test` runs them under TSan.
 * Every run has a deadline and an alarm() backstop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS 20000
#include "../../examples/runtime/demo.h"

static uint64_t slot(struct mvm_machine *m, int i)
{
	uint64_t v;

	assert_int_equal(mvm_vm_read(mvm_machine_vm(m),
				     MVM_SCRATCH_ADDR + 8 * (uint64_t)i, &v, 8),
			 0);
	return v;
}

static void set_slot(struct mvm_machine *m, int i, uint64_t v)
{
	assert_int_equal(mvm_vm_write(mvm_machine_vm(m),
				      MVM_SCRATCH_ADDR + 8 * (uint64_t)i, &v,
				      8),
			 0);
}

/* Both vCPUs count in parallel, one thread each; the machine is paused
 * (counters stand still), each vCPU's complete state and the VM's go
 * out, the registers get clobbered, everything goes back in, and after
 * resume both count to the end and say DONE. With the in-kernel irqchip,
 * so the LAPIC, PIC, IOAPIC, PIT and clock travel too. */
static void two_vcpus_pause_save_restore_resume(void **state)
{
	char path[4096];
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 2,
					 .irqchip = MVM_IRQCHIP_KERNEL};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	static struct mvm_vcpu_state st[2];
	static struct mvm_vm_state vst;
	struct kvm_regs junk = {.rip = 0xdead, .rflags = 2}, r;
	enum mvm_verdict v;
	uint64_t c0, c1;

	(void)state;
	snprintf(path, sizeof(path), "%s/smp-count.elf", MVM_GUEST_DIR);
	assert_int_equal(mvm_machine_load(m, path, MVM_MODE_AUTO), 0);
	set_slot(m, SMP_HOLD_SLOT, 1);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	while (slot(m, 0) == 0 || slot(m, 1) == 0)
		usleep(1000);
	assert_int_equal(mvm_machine_pause(m), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(mvm_machine_result(m, i, NULL, NULL), 0);
	c0 = slot(m, 0), c1 = slot(m, 1);
	usleep(20000);
	assert_int_equal(slot(m, 0), c0); /* paused: nothing moves */
	assert_int_equal(slot(m, 1), c1);
	assert_int_equal(mvm_vm_state_get(mvm_machine_vm(m), &vst), 0);
	for (int i = 0; i < 2; i++) {
		struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, i);

		assert_int_equal(mvm_vcpu_state_get(vcpu, &st[i]), 0);
		assert_true(st[i].have & MVM_STATE_LAPIC);
		assert_int_equal(mvm_vcpu_set_regs(vcpu, &junk), 0);
		assert_int_equal(mvm_vcpu_get_regs(vcpu, &r), 0);
		assert_int_equal(r.rip, 0xdead);
	}
	assert_int_not_equal(st[0].regs.rsp, st[1].regs.rsp); /* own stacks */
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			mvm_vcpu_state_set(mvm_machine_vcpu(m, i), &st[i]), 0);
	assert_int_equal(mvm_vm_state_set(mvm_machine_vm(m), &vst), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	while (slot(m, 0) < SMP_COUNT_TO || slot(m, 1) < SMP_COUNT_TO)
		usleep(1000);
	set_slot(m, SMP_RELEASE_SLOT, 1);
	assert_int_equal(mvm_machine_wait(m, RUN_MS), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mvm_machine_result(m, i, &v, NULL), 0);
		assert_int_equal(v, MVM_DONE);
	}
	alarm(0);
	if (!strstr(b.out, "vCPU 0 counted to 20000"))
		fail_msg("output:\n%s\nlog:\n%s", b.out, b.log);
	assert_non_null(strstr(b.out, "vCPU 0 counted to 20000"));
	assert_non_null(strstr(b.out, "vCPU 1 counted to 20000"));
	mvm_machine_destroy(m);
}

/* A second pause by the same thread nests; resume from a thread that
 * does not hold the pause is refused; stop joins spinning vCPUs. */
static void pause_nests_and_stop_joins_spinning_vcpus(void **state)
{
	static const uint8_t spin[] = {0xeb, 0xfe}; /* jmp $ */
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 2};
	struct mvm_machine *m = mbox_machine(&b, &cfg);

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, spin, sizeof(spin),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), -EBUSY);
	assert_int_equal(mvm_machine_step(m, 0, &(struct mvm_exit){0}, NULL),
			 -EBUSY);
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	assert_int_equal(mvm_machine_result(m, 1, NULL, NULL), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	assert_int_equal(mvm_machine_resume(m), -EINVAL);
	assert_int_equal(mvm_machine_wait(m, 50), -ETIMEDOUT);
	assert_int_equal(mvm_machine_stop(m), 0);
	alarm(0);
	mvm_machine_destroy(m);
}

static void *kick_later(void *arg)
{
	usleep(50000);
	mvm_vcpu_kick(arg);
	return NULL;
}

/* A kick from another thread gets a spinning vCPU out of KVM_RUN: the
 * step returns KVM_EXIT_INTR, not a timeout, well before the deadline. */
static void kick_from_another_thread_ends_the_step(void **state)
{
	static const uint8_t spin[] = {0xeb, 0xfe};
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 1};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, 0);
	struct mvm_exit e;
	enum mvm_verdict v;
	pthread_t t;

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, spin, sizeof(spin),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_vcpu_set_deadline(vcpu, RUN_MS), 0);
	assert_int_equal(pthread_create(&t, NULL, kick_later, vcpu), 0);
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	pthread_join(t, NULL);
	assert_int_equal(e.reason, KVM_EXIT_INTR);
	assert_int_equal(v, MVM_GO_ON);
	/* A kick that arrives while no step runs is kept for the next. */
	mvm_vcpu_kick(vcpu);
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	assert_int_equal(e.reason, KVM_EXIT_INTR);
	mvm_vcpu_set_deadline(vcpu, 0);
	alarm(0);
	mvm_machine_destroy(m);
}

static void *wake_later(void *arg)
{
	usleep(50000);
	mvm_vcpu_wake(arg);
	return NULL;
}

/* HLT policy WAIT: the step sleeps in the HLT until the vCPU is woken,
 * then the guest goes on past it. */
static void hlt_wait_sleeps_until_woken(void **state)
{
	static const uint8_t code[] = {
		0xf4,	    /* hlt */
		0xb0, 0x21, /* mov al, '!' */
		0xe6, 0xe9, /* out 0xe9, al */
		0xeb, 0xfe, /* jmp $ */
	};
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 1, .hlt = MVM_HLT_WAIT};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, 0);
	struct mvm_exit e;
	enum mvm_verdict v;
	uint64_t t0;
	pthread_t t;

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_vcpu_set_deadline(vcpu, RUN_MS), 0);
	assert_int_equal(pthread_create(&t, NULL, wake_later, vcpu), 0);
	t0 = mvm_now_ns();
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	pthread_join(t, NULL);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_true(e.handled);
	assert_int_equal(v, MVM_GO_ON);
	assert_true(mvm_now_ns() - t0 >= 40 * 1000000ULL);
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_string_equal(b.out, "!");
	mvm_vcpu_set_deadline(vcpu, 0);
	alarm(0);
	mvm_machine_destroy(m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_vcpus_pause_save_restore_resume),
		cmocka_unit_test(pause_nests_and_stop_joins_spinning_vcpus),
		cmocka_unit_test(kick_from_another_thread_ends_the_step),
		cmocka_unit_test(hlt_wait_sleeps_until_woken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
