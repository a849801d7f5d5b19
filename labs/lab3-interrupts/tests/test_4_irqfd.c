/*
 * test_4_irqfd.c - Lab 3, task 7: the third delivery path, irqfd
 * (mvm_vm_irqfd() in kvmirq.c, the resampler in resample.c).
 *
 * What this test observes itself, never what the student's code says:
 *   - KVM holds the binding: binding the same eventfd again is refused
 *     (EBUSY, api.rst 4.75), and accepted again after a deassign;
 *   - a resample irqfd really is one: after the guest's EOI, KVM signals
 *     the resample eventfd (it never does for an edge irqfd);
 *   - the user-space 8254 ticking through an irqfd reaches the guest's
 *     handler at the programmed rate with almost no exits to user space
 *     (the user path needs two per tick: the EOI and the HLT);
 *   - eventfd writes from this thread run the guest's handler exactly
 *     once each, at one exit per interrupt (the handler's own OUT);
 *   - a level line held high interrupts again after every EOI and stops
 *     after it is lowered.
 * Every guest run has a deadline (LAB3_RUN_MS, the probe's 8 s).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "lab3.h"

#define TICKS_HZ 100 /* examples/ticks.c */
#define TICKS_N	 50
#define TICKS	 MVM_GUEST_DIR "/ticks.elf"

/* The raw ioctl, bypassing the student's wrapper: 0 or -errno. */
static int raw_irqfd(struct lab3 *t, int fd, unsigned gsi, unsigned flags)
{
	struct kvm_irqfd req = {.fd = (uint32_t)fd, .gsi = gsi, .flags = flags};

	if (ioctl(mvm_vm_fd(mvm_machine_vm(t->m)), KVM_IRQFD, &req) < 0)
		return -errno;
	return 0;
}

static int readable_within(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

static void irqfd_binding_is_made_and_removed_in_kvm(void **state)
{
	struct lab3 t;
	struct mvm_irq_line *line;
	struct mvm_vm *vm;
	int fd, r;

	(void)state;
	lab3_machine_on(&t, TICKS, LAB3_IRQFD);
	vm = mvm_machine_vm(t.m);
	r = mvm_machine_irq_line(t.m, LAB3_PROBE_IRQ, &line);
	GRADE_EXPECT(r == 0,
		     "a line for GSI %d on the irqfd path: %s; log:\n%s",
		     LAB3_PROBE_IRQ, strerror(-r), t.log);
	fd = mvm_irq_eventfd(line);
	GRADE_EXPECT(fd >= 0, "the line has no eventfd");
	r = raw_irqfd(&t, fd, LAB3_PROBE_IRQ, 0);
	GRADE_EXPECT(r == -EBUSY,
		     "binding the line's eventfd to GSI %d a second time: "
		     "KVM answered %s, expected EBUSY (it refuses an eventfd "
		     "it already watches). Did mvm_vm_irqfd() make the "
		     "KVM_IRQFD call?",
		     LAB3_PROBE_IRQ, r ? strerror(-r) : "success");
	r = mvm_vm_irqfd(vm, LAB3_PROBE_IRQ, fd, -1, 1);
	GRADE_EXPECT(r == 0, "mvm_vm_irqfd(deassign): %s", strerror(-r));
	r = raw_irqfd(&t, fd, LAB3_PROBE_IRQ, 0);
	GRADE_EXPECT(r == 0,
		     "after mvm_vm_irqfd(deassign = 1) KVM still holds the "
		     "eventfd (binding it again: %s): deassign needs "
		     "KVM_IRQFD_FLAG_DEASSIGN",
		     strerror(-r));
	/* Bound again, as the line expects at its destruction. */
	lab3_free(&t);
}

static void irqfd_resample_binding_signals_the_guests_eoi(void **state)
{
	struct lab3 t;
	struct lab3_probe p;
	int lfd, rfd, r;

	(void)state;
	lab3_probe_start(&t, &p, LAB3_IRQFD);
	lfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	rfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	GRADE_EXPECT(lfd >= 0 && rfd >= 0, "eventfd: %s", strerror(errno));
	r = mvm_vm_irqfd(mvm_machine_vm(t.m), LAB3_PROBE_IRQ, lfd, rfd, 0);
	GRADE_EXPECT(r == 0, "mvm_vm_irqfd(resample_fd = %d): %s; log:\n%s",
		     rfd, strerror(-r), t.log);
	GRADE_EXPECT(eventfd_write(lfd, 1) == 0, "eventfd_write");
	GRADE_EXPECT(lab3_probe_wait(&p, 1, LAB3_RUN_MS) >= 1,
		     "a write to the level irqfd did not run the guest's "
		     "IRQ %d handler within %d ms",
		     LAB3_PROBE_IRQ, LAB3_RUN_MS);
	GRADE_EXPECT(readable_within(rfd, 2000),
		     "the guest's handler ran and sent its EOI, but KVM never "
		     "signalled the resample eventfd: was the irqfd bound with "
		     "KVM_IRQFD_FLAG_RESAMPLE and resamplefd?");
	r = mvm_vm_irqfd(mvm_machine_vm(t.m), LAB3_PROBE_IRQ, lfd, -1, 1);
	GRADE_EXPECT(r == 0, "mvm_vm_irqfd(deassign): %s", strerror(-r));
	lab3_free(&t);
	close(lfd);
	close(rfd);
}

static void irqfd_ticks_reach_the_guest_without_exits(void **state)
{
	struct lab3 t;
	struct mvm_ucall uc;
	uint64_t first, got, exits, pulses;
	double t0, secs, hz;

	(void)state;
	lab3_machine_on(&t, TICKS, LAB3_IRQFD);
	lab3_to_sync(&t, &uc, 1,
		     "the 8254's first tick must reach the guest through IRQ "
		     "0's irqfd (task 7, mvm_vm_irqfd())");
	first = uc.args[1];
	pulses = mvm_pit_ticks(t.pit);
	exits = atomic_load(&t.exits);
	t0 = lab3_now();
	lab3_to_sync(&t, &uc, 2, "ticks stopped arriving after the first");
	secs = lab3_now() - t0;
	got = uc.args[1] - first;
	exits = atomic_load(&t.exits) - exits;
	pulses = mvm_pit_ticks(t.pit) - pulses;
	hz = (double)got / secs;
	grade_note("irqfd path: %llu ticks in %.3f s = %.1f Hz (programmed "
		   "%d), %llu timer pulses, %llu exits to user space",
		   (unsigned long long)got, secs, hz, TICKS_HZ,
		   (unsigned long long)pulses, (unsigned long long)exits);
	/* KVM's PIC takes an irqfd edge from a kernel work item: on a busy
	 * host several writes can find it still pending and merge (the
	 * questions ask why), so the rate is only checked loosely. */
	GRADE_EXPECT(got <= pulses + 2 && got * 3 >= pulses,
		     "the guest counted %llu ticks while the 8254 pulsed IRQ "
		     "0's irqfd %llu times",
		     (unsigned long long)got, (unsigned long long)pulses);
	GRADE_EXPECT(hz > TICKS_HZ * 0.3 && hz < TICKS_HZ * 1.2,
		     "%.1f ticks per second, programmed %d", hz, TICKS_HZ);
	/* The SYNC's own OUT and a stray signal or two; never one per tick:
	 * KVM injects, the EOI and the HLT stay in the kernel. */
	GRADE_EXPECT(exits <= 5,
		     "%llu exits to user space for %llu ticks: on the irqfd "
		     "path nothing of a tick should reach the VMM",
		     (unsigned long long)exits, (unsigned long long)got);
	lab3_free(&t);
}

static void irqfd_writes_run_the_handler_once_each(void **state)
{
	struct lab3 t;
	struct lab3_probe p;
	struct mvm_irq_line *line;
	uint32_t rnd = 0;
	uint64_t n, runs, exits;
	int fd;

	(void)state;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)lab3_now_ns();
	n = 20 + rnd % 21; /* 20-40: not a number to hard-code */
	line = lab3_probe_start(&t, &p, LAB3_IRQFD);
	fd = mvm_irq_eventfd(line);
	exits = atomic_load(&t.exits);
	for (uint64_t i = 1; i <= n; i++) {
		/* Only the fd: no VM, no vCPU, no library call. */
		GRADE_EXPECT(eventfd_write(fd, 1) == 0, "eventfd_write");
		runs = lab3_probe_wait(&p, i, LAB3_IRQ_WAIT_MS);
		GRADE_EXPECT(runs == i,
			     "after %llu writes to IRQ %d's irqfd the guest's "
			     "handler ran %llu times",
			     (unsigned long long)i, LAB3_PROBE_IRQ,
			     (unsigned long long)runs);
		lab3_sleep_us(1000);
	}
	exits = atomic_load(&t.exits) - exits;
	grade_note("%llu eventfd writes: %llu handler runs, %llu exits to "
		   "user space (%.2f per interrupt)",
		   (unsigned long long)n, (unsigned long long)runs,
		   (unsigned long long)exits, (double)exits / (double)n);
	GRADE_EXPECT(exits >= n && exits <= n + n / 4 + 2,
		     "%llu exits for %llu interrupts: expected about one "
		     "each (the handler's timestamp OUT; KVM does the rest)",
		     (unsigned long long)exits, (unsigned long long)n);
	lab3_free(&t);
}

static void irqfd_level_line_interrupts_until_lowered(void **state)
{
	struct lab3 t;
	struct lab3_probe p;
	struct mvm_irq_line *line;
	uint64_t held, after, later;
	int r;

	(void)state;
	line = lab3_probe_start(&t, &p, LAB3_IRQFD);
	r = mvm_irq_raise(line);
	GRADE_EXPECT(r == 0, "mvm_irq_raise: %s; log:\n%s", strerror(-r),
		     t.log);
	/* Held high: every EOI ends in a re-assert, a storm the guest
	 * survives (a level device that is never serviced does that). */
	held = lab3_probe_wait(&p, 5, LAB3_IRQ_WAIT_MS);
	GRADE_EXPECT(
		held >= 5,
		"IRQ %d was held high for %d ms and the guest's handler "
		"ran %llu time(s): after each EOI KVM signals the resample "
		"eventfd, and while the line is still high the resampler "
		"must assert the level irqfd again (task 7, resample.c)",
		LAB3_PROBE_IRQ, LAB3_IRQ_WAIT_MS, (unsigned long long)held);
	r = mvm_irq_lower(line);
	GRADE_EXPECT(r == 0, "mvm_irq_lower: %s", strerror(-r));
	held = atomic_load(&p.runs);
	lab3_sleep_us(100000);
	after = atomic_load(&p.runs);
	lab3_sleep_us(300000);
	later = atomic_load(&p.runs);
	grade_note("handler runs: %llu while high, %llu after the lower, "
		   "%llu 0.3 s later",
		   (unsigned long long)held, (unsigned long long)after,
		   (unsigned long long)later);
	/* At the lower, one re-assert may be on its way in the kernel and
	 * one in the resampler, and a late work item may bring either in at
	 * any time; a storm that goes on brings thousands (about 10 000 a
	 * second here). */
	GRADE_EXPECT(after <= held + 2 && later <= held + 2,
		     "the line was lowered, yet the handler kept running "
		     "(%llu runs at the lower, %llu 0.4 s later): re-assert "
		     "only while the line's level is 1",
		     (unsigned long long)held, (unsigned long long)later);
	lab3_free(&t);
}

static const struct grade_test tests[] = {
	GRADE_TEST(irqfd_binding_is_made_and_removed_in_kvm, 2,
		   "task 7: mvm_vm_irqfd() in kvmirq.c"),
	GRADE_TEST(irqfd_resample_binding_signals_the_guests_eoi, 2,
		   "task 7: mvm_vm_irqfd() in kvmirq.c (resample)"),
	GRADE_TEST_SERIAL(irqfd_ticks_reach_the_guest_without_exits, 3,
			  "task 7: the 8254 through an irqfd"),
	LAB3_TEST_IRQ_WAIT(irqfd_writes_run_the_handler_once_each, 2,
			   "task 7: mvm_vm_irqfd() in kvmirq.c", 0),
	LAB3_TEST_IRQ_WAIT(irqfd_level_line_interrupts_until_lowered, 3,
			   "task 7: resampler() in resample.c", 0),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
