/*
 * test_measure.c - Lab 1, task 6: the doorbell ioeventfd of measure.c
 * (lab1_setup_doorbell()), checked by what KVM and the eventfd do.
 *
 * The grader never reads numbers the student's program prints: a program
 * can print anything. It links measure.c's task 6 code into this test
 * (lab.mk, measure-lib.o), calls lab1_setup_doorbell() on its own VM and
 * observes the result itself:
 *   - KVM knows the registration: registering the same port again fails
 *     with EEXIST (api.rst 4, KVM_IOEVENTFD; KVM refuses a second
 *     ioeventfd for the same address, length and data match);
 *   - it catches exactly the 4-byte OUTs to the port: a 1-byte OUT still
 *     exits to the VMM, a 4-byte one only bumps the eventfd counter;
 *   - over a run of lab1-measure.elf with a random iteration count, the
 *     eventfd counts every doorbell OUT and none reaches the VMM;
 *   - timed by this test, a doorbell OUT costs less than an exit to user
 *     space (and an exit more than a loop iteration), which holds on
 *     every backend; no absolute number is checked.
 * The numbers for QUESTIONS.md come from the tool, lab1-measure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "lab1.h"
#include "../lab1-measure.h"

#define CODE   0x7c00ULL
#define STAGES 6 /* SYNC 1..5 of lab1-measure.elf */

/* What reached the VMM on a port: the measure port (IN: how many
 * iterations; OUT: an exit to time) or the doorbell (must stay 0). */
struct port {
	uint32_t n;	    /* iterations, returned to the guest's IN */
	uint32_t writes;    /* OUTs that reached us */
	uint32_t last_size; /* size of the last one */
};

static int port_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	struct port *p = dev;

	(void)vcpu, (void)off;
	memcpy(data, &p->n, len < sizeof(p->n) ? len : sizeof(p->n));
	return 0;
}

static int port_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	struct port *p = dev;

	(void)vcpu, (void)off, (void)data;
	p->writes++;
	p->last_size = len;
	return 0;
}

static const struct mvm_dev_ops port_ops = {
	.name = "grader-port",
	.read = port_read,
	.write = port_write,
};

/* The student's doorbell on f's VM, and our counter behind its port. */
static int doorbell(struct fixture *f, struct port *bell)
{
	int efd = lab1_setup_doorbell(f->vm);

	GRADE_EXPECT(efd >= 0,
		     "lab1_setup_doorbell() in measure.c (task 6) returned "
		     "%d (%s)",
		     efd, efd < 0 ? strerror(-efd) : "");
	GRADE_EXPECT(mvm_bus_register(mvm_vm_pio_bus(f->vm), MVM_PORT_DOORBELL,
				      4, &port_ops, bell) == 0,
		     "cannot put the grader's counter on the doorbell port");
	return efd;
}

/* The eventfd's counter (and reset it): what KVM signalled. */
static uint64_t signals(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0; /* EAGAIN: never signalled */
	return v;
}

static void measure_doorbell_is_an_ioeventfd_kvm_knows(void **state)
{
	struct fixture *f = *state;
	struct port bell = {0};
	int efd = doorbell(f, &bell), again = eventfd(0, EFD_CLOEXEC), r;
	struct kvm_ioeventfd io = {
		.addr = MVM_PORT_DOORBELL,
		.len = 4,
		.fd = again,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};

	assert_true(again >= 0);
	r = ioctl(mvm_vm_fd(f->vm), KVM_IOEVENTFD, &io);
	GRADE_EXPECT(r < 0 && errno == EEXIST,
		     "KVM does not know an ioeventfd for 4-byte OUTs to port "
		     "0x%x (a second registration %s): register it on the VM "
		     "fd with KVM_IOEVENTFD_FLAG_PIO, length 4",
		     MVM_PORT_DOORBELL, r == 0 ? "succeeded" : strerror(errno));
	close(again);
	close(efd);
}

static void measure_doorbell_catches_only_4_byte_outs(void **state)
{
	static const uint8_t code[] = {
		0xba, 0x24, 0x05,		    /* mov dx, 0x524 */
		0xb0, 0x01,			    /* mov al, 1 */
		0xee,				    /* out dx, al */
		0x66, 0xb8, 0x05, 0x00, 0x00, 0x00, /* mov eax, 5 */
		0x66, 0xef,			    /* out dx, eax */
		0xf4,				    /* hlt */
	};
	_Static_assert(MVM_PORT_DOORBELL == 0x524, "the code above");
	struct fixture *f = *state;
	struct port bell = {0};
	int efd = doorbell(f, &bell);
	struct mvm_exit e;

	lab1_real_code(f, CODE, 0, code, sizeof(code));
	GRADE_EXPECT(fixture_run(f, 10000, &e) == 0 && e.reason == KVM_EXIT_HLT,
		     "the guest should run to its HLT; log:\n%s", f->log);
	GRADE_EXPECT_EQ(signals(efd), 1,
			"eventfd signals for one 4-byte OUT to the doorbell");
	GRADE_EXPECT(bell.writes == 1 && bell.last_size == 1,
		     "the 1-byte OUT to the doorbell port should still exit "
		     "to the VMM and the 4-byte one should not; the VMM saw "
		     "%u OUT(s), the last of %u byte(s)",
		     bell.writes, bell.last_size);
	close(efd);
}

/* Run lab1-measure.elf with n iterations; t[k] = when SYNC k arrived. */
static void run_measure_guest(struct fixture *f, struct port *measure,
			      uint64_t t[STAGES])
{
	struct mvm_exit e;
	struct mvm_ucall uc;

	GRADE_EXPECT(mvm_bus_register(mvm_vm_pio_bus(f->vm), MVM_PORT_MEASURE,
				      4, &port_ops, measure) == 0,
		     "cannot put the grader's device on the measure port");
	lab1_load_guest(f, "lab1-measure.elf");
	for (int k = 1; k < STAGES; k++) {
		lab1_expect_ucall(f, 60000, MVM_UCALL_SYNC, (uint64_t)k);
		t[k] = mvm_now_ns();
	}
	GRADE_EXPECT(lab1_run(f, 10000, &e, &uc) == MVM_UCALL_DONE,
		     "lab1-measure.elf should finish with DONE");
}

/* A random iteration count, so only counting gives the right answer. */
static uint32_t random_n(void)
{
	uint16_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint16_t)getpid();
	return 500 + r % 1000;
}

static void measure_ioeventfd_counts_every_doorbell_out(void **state)
{
	struct fixture *f = *state;
	struct port bell = {0}, measure = {.n = random_n()};
	int efd = doorbell(f, &bell);
	uint64_t t[STAGES] = {0};

	run_measure_guest(f, &measure, t);
	GRADE_EXPECT_EQ(signals(efd), measure.n,
			"eventfd signals for the guest's doorbell OUTs");
	GRADE_EXPECT_EQ(bell.writes, 0, "doorbell OUTs that exited to the VMM");
	GRADE_EXPECT_EQ(measure.writes, measure.n,
			"OUTs to the measure port (exits to the VMM)");
	close(efd);
}

/* One timed run of lab1-measure.elf on f: ns per iteration of the bare
 * loop, the doorbell OUT and the OUT to the VMM. */
static void timed_run(struct fixture *f, double cost[3])
{
	struct port bell = {0}, measure = {.n = random_n()};
	int efd = doorbell(f, &bell);
	uint64_t t[STAGES] = {0};

	run_measure_guest(f, &measure, t);
	GRADE_EXPECT(signals(efd) == measure.n && bell.writes == 0,
		     "the doorbell OUTs did not all go to the eventfd");
	cost[0] = (double)(t[2] - t[1]) / measure.n;
	cost[1] = (double)(t[4] - t[3]) / measure.n;
	cost[2] = (double)(t[5] - t[4]) / measure.n;
	close(efd);
}

/*
 * TIMED_RUNS runs, each on a fresh VM; a stage's cost is its cheapest
 * run. A busy moment of the host (another process taking the vCPU
 * thread's core for a few ms of a stage that lasts a few ms) only ever
 * makes a stage slower, so the minimum is the least disturbed figure.
 */
#define TIMED_RUNS 5

static void measure_ioeventfd_is_cheaper_than_a_user_exit(void **state)
{
	double best[3] = {0}, cost[3];

	for (int r = 0; r < TIMED_RUNS; r++) {
		void *s = *state;

		if (r > 0)
			GRADE_EXPECT(fixture_setup(&s) == 0,
				     "cannot make a VM for run %d", r + 1);
		timed_run(s, cost);
		if (r > 0)
			fixture_teardown(&s);
		for (int k = 0; k < 3; k++)
			if (r == 0 || cost[k] < best[k])
				best[k] = cost[k];
	}
	grade_note("timed by the grader, cheapest of %d runs: loop %.0f ns, "
		   "doorbell OUT %.0f ns, OUT to the VMM %.0f ns",
		   TIMED_RUNS, best[0], best[1], best[2]);
	GRADE_EXPECT(best[2] > best[0],
		     "an exit to user space cannot be cheaper "
		     "than a loop iteration without one");
	GRADE_EXPECT(best[1] < best[2],
		     "a write KVM completes in the kernel "
		     "(ioeventfd) should cost less than an exit "
		     "to user space");
}

#define TASK "task 6: lab1_setup_doorbell() in measure.c, the ioeventfd"
#define T(fn, pts) \
	GRADE_TEST_SETUP(fn, pts, TASK, fixture_setup, fixture_teardown)
static const struct grade_test tests[] = {
	T(measure_doorbell_is_an_ioeventfd_kvm_knows, 4),
	T(measure_doorbell_catches_only_4_byte_outs, 3),
	T(measure_ioeventfd_counts_every_doorbell_out, 4),
	/* it times the guest: the grader runs it while nothing else runs */
	GRADE_TEST_SERIAL_SETUP(measure_ioeventfd_is_cheaper_than_a_user_exit,
				4, TASK, fixture_setup, fixture_teardown),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
