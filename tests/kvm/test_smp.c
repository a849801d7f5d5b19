/*
 * test_smp.c - two vCPUs, each run by its own thread.
 *
 * The run deadline is a per-vCPU POSIX timer that signals the thread
 * that armed it (SIGEV_THREAD_ID). These tests check that one vCPU's
 * deadline stops that vCPU only, and that both vCPUs make progress in
 * parallel through the same buses, and that one thread driving both
 * vCPUs in turn still stops each at its own deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define CODE0 0x7c00ULL /* vCPU 0's code */
#define CODE1 0x7e00ULL /* vCPU 1's code */

struct runner {
	struct mvm_vcpu *vcpu;
	unsigned timeout_ms;
	int rc;
	struct mvm_exit e;
	uint64_t ms; /* how long mvm_vcpu_run took */
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;
	uint64_t t0 = mvm_now_ns();

	r->rc = mvm_vcpu_run(r->vcpu, r->timeout_ms, &r->e);
	r->ms = (mvm_now_ns() - t0) / 1000000;
	return NULL;
}

static void real_mode_at(struct mvm_vcpu *vcpu, uint64_t entry)
{
	struct kvm_sregs s;
	struct kvm_regs regs = {.rip = entry, .rflags = 2, .rsp = entry};

	assert_int_equal(mvm_vcpu_get_sregs(vcpu, &s), 0);
	s.cs.base = s.ds.base = s.es.base = s.ss.base = 0;
	s.cs.selector = s.ds.selector = s.es.selector = s.ss.selector = 0;
	s.cr0 &= ~MVM_CR0_PE;
	assert_int_equal(mvm_vcpu_set_sregs(vcpu, &s), 0);
	assert_int_equal(mvm_vcpu_set_regs(vcpu, &regs), 0);
}

struct smp {
	struct fixture f; /* only the log buffer is used */
	struct mvm_vm *vm;
};

/* Load code0 for r0's vCPU at CODE0 and code1 for r1's at CODE1, then
 * run both at once, one thread each, until both runs return (an alarm
 * backstops a deadline that fails). */
static void run_pair(struct smp *s, struct runner *r0, const void *code0,
		     size_t len0, struct runner *r1, const void *code1,
		     size_t len1)
{
	pthread_t t0, t1;

	assert_int_equal(mvm_vm_write(s->vm, CODE0, code0, len0), 0);
	assert_int_equal(mvm_vm_write(s->vm, CODE1, code1, len1), 0);
	real_mode_at(r0->vcpu, CODE0);
	real_mode_at(r1->vcpu, CODE1);
	alarm(20);
	assert_int_equal(pthread_create(&t0, NULL, run_thread, r0), 0);
	assert_int_equal(pthread_create(&t1, NULL, run_thread, r1), 0);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	alarm(0);
}

static int smp_setup(void **state)
{
	static struct smp s;
	struct mvm_vm_config cfg = {.ncpus = 2, .log = {fixture_log_fn, &s.f}};

	fixture_require_kvm();
	memset(&s, 0, sizeof(s));
	assert_int_equal(mvm_vm_create(&cfg, &s.vm), 0);
	*state = &s;
	return 0;
}

static int smp_teardown(void **state)
{
	struct smp *s = *state;

	mvm_vm_destroy(s->vm);
	return 0;
}

static void deadline_of_one_vcpu_does_not_stop_the_other(void **state)
{
	struct smp *s = *state;
	static const uint8_t spin[] = {0xeb, 0xfe}; /* jmp $ */
	static const uint8_t count[] = {
		0x66, 0x40, /* inc eax */
		0xeb, 0xfc, /* jmp back to inc */
	};
	struct runner r0 = {mvm_vm_vcpu(s->vm, 0), 200, 0, {0}, 0};
	struct runner r1 = {mvm_vm_vcpu(s->vm, 1), 1200, 0, {0}, 0};

	run_pair(s, &r0, spin, sizeof(spin), &r1, count, sizeof(count));
	assert_int_equal(r0.rc, -ETIMEDOUT);
	assert_int_equal(r1.rc, -ETIMEDOUT);
	assert_in_range(r0.ms, 190, 1000);
	/* vCPU 1 ran to its own, later deadline. */
	assert_in_range(r1.ms, 1190, 3000);
}

/* Both vCPUs write their index to their own port; each write reaches a
 * device on the shared bus. */
struct tally {
	int writes;
	uint8_t last;
};

static int tally_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct tally *t = dev;

	(void)off;
	(void)len;
	t->writes++;
	t->last = *(const uint8_t *)data;
	return t->writes == 50 ? MVM_IO_STOP : 0;
}

static const struct mvm_dev_ops tally_ops = {.name = "tally",
					     .write = tally_write};

static void two_vcpus_run_in_parallel_through_one_bus(void **state)
{
	struct smp *s = *state;
	/* mov al, n; mov dx, port; out dx, al; jmp out */
	uint8_t c0[] = {0xb0, 0, 0xba, 0x00, 0x06, 0xee, 0xeb, 0xfd};
	uint8_t c1[] = {0xb0, 1, 0xba, 0x01, 0x06, 0xee, 0xeb, 0xfd};
	struct tally t0 = {0}, t1 = {0};
	struct runner r0 = {mvm_vm_vcpu(s->vm, 0), 5000, 0, {0}, 0};
	struct runner r1 = {mvm_vm_vcpu(s->vm, 1), 5000, 0, {0}, 0};

	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(s->vm), 0x600, 1,
					  &tally_ops, &t0),
			 0);
	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(s->vm), 0x601, 1,
					  &tally_ops, &t1),
			 0);
	run_pair(s, &r0, c0, sizeof(c0), &r1, c1, sizeof(c1));
	assert_int_equal(r0.rc, 0);
	assert_int_equal(r1.rc, 0);
	assert_int_equal(t0.writes, 50);
	assert_int_equal(t1.writes, 50);
	assert_int_equal(t0.last, 0);
	assert_int_equal(t1.last, 1);
}

/* One thread driving both vCPUs in turn (as a single-threaded debugger
 * does): vCPU 0's deadline passes while vCPU 1 is running, so its kick
 * interrupts vCPU 1. vCPU 0's next step must still end at its deadline
 * instead of spinning forever (the one-shot timer has already fired). */
static void
deadline_passed_while_another_vcpu_ran_ends_the_next_step(void **state)
{
	struct smp *s = *state;
	static const uint8_t spin[] = {0xeb, 0xfe}; /* jmp $ */
	struct mvm_vcpu *v0 = mvm_vm_vcpu(s->vm, 0);
	struct mvm_vcpu *v1 = mvm_vm_vcpu(s->vm, 1);
	struct mvm_exit e;

	assert_int_equal(mvm_vm_write(s->vm, CODE0, spin, sizeof(spin)), 0);
	assert_int_equal(mvm_vm_write(s->vm, CODE1, spin, sizeof(spin)), 0);
	real_mode_at(v0, CODE0);
	real_mode_at(v1, CODE1);
	alarm(10); /* backstop: the bug makes vCPU 0 spin forever */
	assert_int_equal(mvm_vcpu_set_deadline(v0, 50), 0);
	assert_int_equal(mvm_vcpu_run(v1, 300, &e), -ETIMEDOUT);
	assert_int_equal(mvm_vcpu_run_once(v0, &e), -ETIMEDOUT);
	assert_int_equal(e.reason, KVM_EXIT_INTR);
	assert_true(e.stop);
	alarm(0);
	assert_int_equal(mvm_vcpu_set_deadline(v0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			deadline_of_one_vcpu_does_not_stop_the_other, smp_setup,
			smp_teardown),
		cmocka_unit_test_setup_teardown(
			two_vcpus_run_in_parallel_through_one_bus, smp_setup,
			smp_teardown),
		cmocka_unit_test_setup_teardown(
			deadline_passed_while_another_vcpu_ran_ends_the_next_step,
			smp_setup, smp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
