/*
 * run.c - the run step: KVM_RUN once, one decoded exit back.
 *
 * Every tool in minivmm (the mvm CLI, the debugger, the tests, the labs)
 * runs a guest through mvm_vcpu_run_once(); there is no other loop
 * (STYLE.md 6). One step is:
 *
 *   0. the pre-entry hook, if any (an interrupt controller injects here);
 *   1. ioctl(KVM_RUN): the guest runs until something needs the VMM
 *      (Documentation/virt/kvm/api.rst 4.10);
 *   2. mvm_exit_decode(): copy kvm_run's exit union into struct mvm_exit;
 *   3. mvm_exit_dispatch(): hand I/O and MMIO to the device buses, MSRs to
 *      the MSR handler, and decide whether a run loop should stop;
 *   4. mvm_trace_record(): count the exit (and store it if tracing is on).
 *
 * Cost matters: a port I/O round trip is ~8 us on the course machines and
 * the benchmark holds the step to < 3% over a bare KVM_RUN loop. So with
 * tracing off the step takes no timestamps (only one vDSO clock read
 * while a deadline is armed, ~30 ns) and makes no extra ioctl. Where the
 * registers will be read after the step (a trace, a debugger, whoever
 * read them after the last exit) KVM copies them into kvm_run on the way
 * out (KVM_CAP_SYNC_REGS, vcpu.c), so the reader pays no ioctl either.
 * exit->rip is filled only when
 * tracing is on or the exit stops the guest, where a human will want to
 * see it; otherwise it is 0 (without the capability it costs a
 * KVM_GET_REGS).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

static int deadline_passed(const struct mvm_vcpu *vcpu)
{
	return vcpu->deadline_ns && mvm_now_ns() >= vcpu->deadline_ns;
}

/*
 * KVM_RUN returned EINTR (a kick, the deadline timer, another signal),
 * or the step did not enter the guest because one was already due.
 * KVM puts the thread's own signal mask back when KVM_RUN returns, and
 * there the kick signal is blocked: a kick that made KVM_RUN return
 * without being delivered would stay pending and end every later
 * KVM_RUN at once. So eat pending kicks here (QEMU does the same); the
 * kicked flag and the deadline time, not the signal, say what happened.
 */
static int interrupted(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	__atomic_store_n(&vcpu->kicked, 0, __ATOMIC_SEQ_CST);
	mvm_vcpu_drain_kicks();
	exit->reason = KVM_EXIT_INTR;
	exit->handled = 1;
	if (deadline_passed(vcpu)) {
		exit->stop = 1;
		return -ETIMEDOUT;
	}
	return 0; /* a kick or another signal: the caller may run again */
}

/* Before KVM_RUN: is a kick or the deadline already due? Then do not
 * enter at all, so none is ever lost. */
static int must_not_enter(struct mvm_vcpu *vcpu)
{
	return __atomic_load_n(&vcpu->kicked, __ATOMIC_SEQ_CST) ||
	       deadline_passed(vcpu);
}

/* RIP after the exit: from kvm_run's copy, or one KVM_GET_REGS. */
static void fill_rip(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	struct kvm_regs regs;

	if (mvm_vcpu_get_regs(vcpu, &regs) == 0)
		exit->rip = regs.rip;
}

/* KVM_RUN: 0, or -errno (-EINTR when a signal interrupted it). A vCPU
 * with a runner (vm.h; the interpreter of emu.h) calls it instead; it
 * fills kvm_run as KVM would, so decode and dispatch below are the same. */
static int run_guest(struct mvm_vcpu *vcpu)
{
	if (vcpu->runner)
		return vcpu->runner(vcpu->runner_ctx, vcpu, vcpu->run);
	return ioctl(vcpu->fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

void mvm_vcpu_set_runner(struct mvm_vcpu *vcpu, mvm_runner_fn *fn, void *ctx)
{
	vcpu->runner = fn;
	vcpu->runner_ctx = ctx;
}

/* [slide:kvm-run-loop] */
int mvm_vcpu_run_once(struct mvm_vcpu *vcpu, struct mvm_exit *exit)
{
	struct mvm_trace *trace = &vcpu->trace;
	uint64_t t_exit = 0;
	int r, entered;

	memset(exit, 0, sizeof(*exit));
	exit->seq = trace->seq + 1;
	r = mvm_vcpu_bind_thread(vcpu);
	if (r == 0 && vcpu->pre_entry)
		r = vcpu->pre_entry(vcpu->pre_entry_ctx, vcpu);
	if (r < 0)
		return r;
	/* The guest is about to change its registers (and the hook may
	 * have changed them behind the accessors): forget kvm_run's copy.
	 * Ask KVM for a fresh one with the exit where it will be read: a
	 * trace or a debugger is on, or someone read the registers after
	 * the last exit. Copying costs KVM a few hundred ns per exit, not
	 * worth it for a run nobody looks at. */
	vcpu->cached = 0;
	vcpu->run->kvm_valid_regs =
		trace->enabled || vcpu->debug_flags || vcpu->regs_read
			? vcpu->sync
			: 0;
	vcpu->regs_read = 0;
	/* [slide:kvm-run-core] */
	entered = !must_not_enter(vcpu);
	r = entered ? run_guest(vcpu) : -EINTR;
	if (r == 0 && !vcpu->runner)
		vcpu->cached = vcpu->run->kvm_valid_regs;
	if (trace->enabled)
		t_exit = mvm_now_ns();
	if (r == -EINTR) {
		r = interrupted(vcpu, exit);
	} else if (r < 0) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "KVM_RUN on vCPU %d: %s", vcpu->index, strerror(-r));
		return r;
	} else {
		mvm_exit_decode(vcpu, exit);
		mvm_exit_dispatch(vcpu, exit);
	}
	/* [/slide:kvm-run-core] */
	if (trace->enabled || exit->stop)
		fill_rip(vcpu, exit);
	if (trace->enabled)
		exit->handle_ns = t_exit ? mvm_now_ns() - t_exit : 0;
	mvm_trace_record(trace, t_exit, exit);
	return r;
}
/* [/slide:kvm-run-loop] */

int mvm_vcpu_run(struct mvm_vcpu *vcpu, unsigned timeout_ms,
		 struct mvm_exit *exit)
{
	int r;

	r = mvm_vcpu_set_deadline(vcpu, timeout_ms);
	if (r < 0)
		return r;
	do {
		r = mvm_vcpu_run_once(vcpu, exit);
	} while (r == 0 && !exit->stop);
	mvm_vcpu_set_deadline(vcpu, 0);
	return r;
}
