/*
 * verdict.c - how a run ends, decided in one place, and the
 * single-threaded run loop built on it.
 *
 * Every tool used to decide for itself when a guest was "finished", and
 * the copies disagreed (one stopped at the demo STOP marker, another ran
 * on into a HLT at CPL 3 and a triple fault). Now mvm_machine_classify()
 * says it for all of them:
 *
 *   ucall DONE, HLT (policy STOP), demo STOP marker,
 *   SYSTEM_EVENT shutdown                              -> DONE
 *   ucall ASSERT, SHUTDOWN (triple fault), INTERNAL_ERROR,
 *   FAIL_ENTRY, any other exit that stops, a failed step -> FAILED
 *   the deadline passed                                -> TIMED_OUT
 *   ucall SYNC                                          -> SYNC
 *   KVM_EXIT_DEBUG (single-step, breakpoint)            -> DEBUG
 *   everything else                                     -> GO_ON
 */
#include <errno.h>
#include <string.h>

#include "machine_internal.h"

static const char *const verdict_names[] = {
	[MVM_GO_ON] = "running", [MVM_DONE] = "done",
	[MVM_FAILED] = "failed", [MVM_TIMED_OUT] = "timed out",
	[MVM_SYNC] = "sync",	 [MVM_DEBUG] = "debug event",
};
_Static_assert(sizeof(verdict_names) / sizeof(verdict_names[0]) == MVM_VERDICTS,
	       "one name per verdict");

const char *mvm_verdict_name(enum mvm_verdict v)
{
	return (unsigned)v < MVM_VERDICTS ? verdict_names[v] : "?";
}

/* A stopping ucall: what the guest said, by its own vCPU's mailbox. */
static enum mvm_verdict ucall_verdict(struct mvm_machine *m,
				      struct mvm_vcpu *vcpu)
{
	struct mvm_ucall uc;

	switch (mvm_ucall_last_of(m->devs.ucall, mvm_vcpu_index(vcpu), &uc)) {
	case MVM_UCALL_DONE:
		return MVM_DONE;
	case MVM_UCALL_SYNC:
		return MVM_SYNC;
	default:
		return MVM_FAILED; /* ASSERT */
	}
}

static int is_demo_access(const struct mvm_exit *e)
{
	return (e->reason == KVM_EXIT_MMIO &&
		e->u.mmio.addr - MVM_MMIO_DEMO_ADDR < 8) ||
	       (e->reason == KVM_EXIT_IO && e->u.io.port == MVM_PORT_DEMO);
}

/* [slide:verdict] */
enum mvm_verdict mvm_machine_classify(struct mvm_machine *m,
				      struct mvm_vcpu *vcpu, int rc,
				      const struct mvm_exit *e)
{
	if (rc == -ETIMEDOUT)
		return MVM_TIMED_OUT;
	if (rc < 0)
		return MVM_FAILED;
	if (!e->stop)
		return MVM_GO_ON;
	if (((e->reason == KVM_EXIT_IO && e->u.io.port == MVM_PORT_UCALL) ||
	     (e->reason == KVM_EXIT_MMIO &&
	      e->u.mmio.addr == MVM_MMIO_UCALL_ADDR)) &&
	    m->devs.ucall)
		return ucall_verdict(m, vcpu);
	if (e->reason == KVM_EXIT_HLT)
		return MVM_DONE;
	if (m->demo && is_demo_access(e) && mvm_demo_stopped(m->demo))
		return MVM_DONE;
	if (e->reason == KVM_EXIT_DEBUG)
		return MVM_DEBUG;
	if (e->reason == KVM_EXIT_SYSTEM_EVENT &&
	    e->u.system_event == KVM_SYSTEM_EVENT_SHUTDOWN)
		return MVM_DONE;
	return MVM_FAILED;
}
/* [/slide:verdict] */

int mvm_machine_step(struct mvm_machine *m, int index, struct mvm_exit *e,
		     enum mvm_verdict *v)
{
	struct mvm_vcpu *vcpu = mvm_vm_vcpu(m->vm, index);
	int rc;

	if (!vcpu)
		return -EINVAL;
	if (__atomic_load_n(&m->started, __ATOMIC_ACQUIRE))
		return -EBUSY;
	rc = mvm_vcpu_run_once(vcpu, e);
	if (v)
		*v = mvm_machine_classify(m, vcpu, rc, e);
	return rc;
}

static int final(enum mvm_verdict v, int stop_at_sync)
{
	return v == MVM_DONE || v == MVM_FAILED || v == MVM_TIMED_OUT ||
	       v == MVM_DEBUG || (v == MVM_SYNC && stop_at_sync);
}

enum mvm_verdict mvm_machine_run(struct mvm_machine *m, int index,
				 unsigned timeout_ms, int stop_at_sync,
				 mvm_exit_cb *each, void *ctx,
				 struct mvm_exit *last)
{
	struct mvm_vcpu *vcpu = mvm_vm_vcpu(m->vm, index);
	struct mvm_exit e = {0};
	enum mvm_verdict v = MVM_FAILED;
	int rc;

	if (!vcpu || mvm_vcpu_set_deadline(vcpu, timeout_ms) < 0)
		return MVM_FAILED;
	do {
		rc = mvm_machine_step(m, index, &e, &v);
		if (each && rc != -EBUSY)
			each(ctx, vcpu, &e);
	} while (!final(v, stop_at_sync) && rc != -EBUSY);
	mvm_vcpu_set_deadline(vcpu, 0);
	if (last)
		*last = e;
	return v;
}
