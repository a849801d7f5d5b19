/*
 * debug.c - guest debugging and exception injection.
 *
 * KVM_SET_GUEST_DEBUG (Documentation/virt/kvm/api.rst 4.38) lets the VMM
 * single-step the guest and set hardware breakpoints without the guest
 * knowing: each step or breakpoint hit returns from KVM_RUN as
 * KVM_EXIT_DEBUG. The breakpoints use the x86 debug registers (Intel SDM
 * Vol. 3B 18.2): DR0-DR3 hold linear addresses, DR7 enables them.
 *
 * A hardware breakpoint fires before its instruction and re-fires until
 * it is disabled and the instruction stepped over (SDM Vol. 3B 18.3.1.1).
 * Some backends step over HLT like a NOP and never fire data watchpoints
 * (MVM_QUIRK_STEP_SKIPS_HLT, MVM_QUIRK_NO_WATCHPOINTS in quirks.h), so
 * minivmm only offers execute breakpoints.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "internal.h"

/* DR7 bits (Intel SDM Vol. 3B 18.2.4): L0..L3 at bits 0, 2, 4, 6. The
 * R/W and LEN fields (bits 16-31) stay 00 = "break on instruction
 * execution, 1 byte", the only LEN allowed for execute breakpoints. */
#define DR7_LOCAL_ENABLE(i) (1ULL << ((i)*2))

/* [slide:guest-debug] */
int mvm_vcpu_set_debug(struct mvm_vcpu *vcpu, int singlestep,
		       const uint64_t *bp, int nbp)
{
	struct kvm_guest_debug dbg = {0};

	if (nbp < 0 || (nbp > 0 && !bp))
		return -EINVAL;
	if (nbp > MVM_HW_BREAKPOINTS) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "%d breakpoints asked, x86 has %d debug address "
			 "registers (DR0-DR3)",
			 nbp, MVM_HW_BREAKPOINTS);
		return -E2BIG;
	}
	if (singlestep || nbp > 0)
		dbg.control = KVM_GUESTDBG_ENABLE;
	if (singlestep)
		dbg.control |= KVM_GUESTDBG_SINGLESTEP;
	if (nbp > 0)
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
	for (int i = 0; i < nbp; i++) {
		dbg.arch.debugreg[i] = bp[i];
		dbg.arch.debugreg[7] |= DR7_LOCAL_ENABLE(i);
	}
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return -errno;
	mvm_vcpu_forget_regs(vcpu); /* KVM may have changed RFLAGS */
	vcpu->debug_flags = dbg.control;
	return 0;
}
/* [/slide:guest-debug] */

static int skip_bytes(struct mvm_vcpu *vcpu, unsigned skip)
{
	struct kvm_regs regs;
	int r;

	if (skip == 0)
		return 0;
	r = mvm_vcpu_get_regs(vcpu, &regs);
	if (r < 0)
		return r;
	regs.rip += skip;
	return mvm_vcpu_set_regs(vcpu, &regs);
}

/* Skip `skip` bytes and inject: an exception (vectors 0-31, Intel SDM
 * Vol. 3A 6.3.1) in events.exception, or a software interrupt in
 * events.interrupt (soft = 1: delivered as INT n would be, with the
 * gate's DPL checked and no error code; SDM Vol. 3C "Event Injection"). */
static int inject(struct mvm_vcpu *vcpu, unsigned vector, int soft_int,
		  int has_error, uint32_t error, unsigned skip)
{
	struct kvm_vcpu_events ev;
	int r;

	/* Read the events first: if that fails, RIP is still untouched. */
	/* [slide:inject-event] */
	r = mvm_vcpu_get_events(vcpu, &ev);
	if (r < 0)
		return r;
	r = skip_bytes(vcpu, skip);
	if (r < 0)
		return r;
	if (!soft_int) {
		ev.exception.injected = 1;
		ev.exception.pending = 0;
		ev.exception.nr = (uint8_t)vector;
		ev.exception.has_error_code = has_error != 0;
		ev.exception.error_code = error;
	} else {
		ev.interrupt.injected = 1;
		ev.interrupt.nr = (uint8_t)vector;
		ev.interrupt.soft = 1;
	}
	r = mvm_vcpu_set_events(vcpu, &ev);
	/* [/slide:inject-event] */
	return r;
}

/* KVM refuses vectors >= 32 in events.exception, so those become
 * software interrupts. */
int mvm_vcpu_inject_exception(struct mvm_vcpu *vcpu, unsigned vector,
			      int has_error, uint32_t error, unsigned skip)
{
	if (vector > 255 || (vector >= 32 && has_error))
		return -EINVAL;
	return inject(vcpu, vector, vector >= 32, has_error, error, skip);
}

/* `int n` for any n, even an exception vector: INT n pushes no error
 * code and is refused (#GP) when the gate's DPL is below the CPL (Intel
 * SDM Vol. 2A, INT n), which only a software interrupt reproduces. */
int mvm_vcpu_inject_soft_int(struct mvm_vcpu *vcpu, unsigned vector,
			     unsigned skip)
{
	if (vector > 255)
		return -EINVAL;
	return inject(vcpu, vector, 1, 0, 0, skip);
}
