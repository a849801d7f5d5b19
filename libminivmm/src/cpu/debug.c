/*
 * debug.c - guest debugging and exception injection.
 *
 * KVM_SET_GUEST_DEBUG (Documentation/virt/kvm/api.rst 4.38) lets the VMM
 * single-step the guest and set hardware breakpoints without the guest
 * knowing: each step or breakpoint hit returns from KVM_RUN as
 * KVM_EXIT_DEBUG. The breakpoints use the x86 debug registers (Intel SDM
 * Vol. 3B 18.2): DR0-DR3 hold linear addresses, DR7 enables them.
 *
 * A hardware breakpoint fires before its instruction executes and
 * re-fires until it is disabled and the instruction stepped over (SDM
 * Vol. 3B 18.3.1.1); a data watchpoint fires after the access (a trap).
 * Some backends step over HLT like a NOP and never fire data watchpoints
 * (MVM_QUIRK_STEP_SKIPS_HLT, MVM_QUIRK_NO_WATCHPOINTS in quirks.h):
 * there a watchpoint is refused rather than set to never fire.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "internal.h"

/* DR7 (Intel SDM Vol. 3B 18.2.4, Figure 18-1): for breakpoint i, the
 * local enable Li at bit 2i, R/Wi at bits 16 + 4i and LENi at bits
 * 18 + 4i. LEN encodes the size: 00 = 1 byte, 01 = 2, 11 = 4, 10 = 8
 * (in IA-32e mode). Execute breakpoints must have LEN 00. */
#define DR7_LOCAL_ENABLE(i) (1ULL << ((i)*2))
#define DR7_RW_SHIFT(i)	    (16 + (i)*4)
#define DR7_LEN_SHIFT(i)    (18 + (i)*4)

/* LEN field for a length, or -1. */
static int len_code(unsigned len)
{
	switch (len) {
	case 1:
		return 0;
	case 2:
		return 1;
	case 4:
		return 3;
	case 8:
		return 2;
	}
	return -1;
}

/* [slide:guest-debug] */
int mvm_dr7_encode(const struct mvm_hwbp *bp, int n, uint64_t *dr7)
{
	*dr7 = 0;
	if (n < 0 || (n > 0 && !bp))
		return -EINVAL;
	if (n > MVM_HW_BREAKPOINTS)
		return -E2BIG;
	for (int i = 0; i < n; i++) {
		int len = len_code(bp[i].len);

		if (bp[i].kind == MVM_HWBP_EXEC && bp[i].len != 1)
			return -EINVAL;
		if ((bp[i].kind != MVM_HWBP_EXEC &&
		     bp[i].kind != MVM_HWBP_WRITE &&
		     bp[i].kind != MVM_HWBP_ACCESS) ||
		    len < 0 || (bp[i].addr & (bp[i].len - 1)))
			return -EINVAL;
		*dr7 |= DR7_LOCAL_ENABLE(i) |
			(uint64_t)bp[i].kind << DR7_RW_SHIFT(i) |
			(uint64_t)len << DR7_LEN_SHIFT(i);
	}
	return 0;
}

int mvm_vcpu_set_hwbps(struct mvm_vcpu *vcpu, int singlestep,
		       const struct mvm_hwbp *bp, int n)
{
	struct kvm_guest_debug dbg = {0};
	uint64_t dr7;
	int r = mvm_dr7_encode(bp, n, &dr7);

	if (r == -E2BIG)
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "%d breakpoints asked, x86 has %d debug address "
			 "registers (DR0-DR3)",
			 n, MVM_HW_BREAKPOINTS);
	if (r < 0)
		return r;
	for (int i = 0; i < n; i++) {
		if (bp[i].kind != MVM_HWBP_EXEC &&
		    (vcpu->vm->backend.quirks & MVM_QUIRK_NO_WATCHPOINTS)) {
			mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
				 "data watchpoint at 0x%llx refused: %s",
				 (unsigned long long)bp[i].addr,
				 mvm_quirk_symptom(MVM_QUIRK_NO_WATCHPOINTS));
			return -EOPNOTSUPP;
		}
		dbg.arch.debugreg[i] = bp[i].addr;
	}
	dbg.arch.debugreg[7] = dr7;
	if (singlestep || n > 0)
		dbg.control = KVM_GUESTDBG_ENABLE;
	if (singlestep)
		dbg.control |= KVM_GUESTDBG_SINGLESTEP;
	if (n > 0)
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
	if (ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		return -errno;
	mvm_vcpu_forget_regs(vcpu); /* KVM may have changed RFLAGS */
	vcpu->debug_flags = dbg.control;
	return 0;
}
/* [/slide:guest-debug] */

/* Execute breakpoints at the addresses in bp[]. */
int mvm_vcpu_set_debug(struct mvm_vcpu *vcpu, int singlestep,
		       const uint64_t *bp, int nbp)
{
	struct mvm_hwbp hw[MVM_HW_BREAKPOINTS];

	if (nbp < 0 || (nbp > 0 && !bp))
		return -EINVAL;
	for (int i = 0; i < nbp && i < MVM_HW_BREAKPOINTS; i++)
		hw[i] = (struct mvm_hwbp){bp[i], MVM_HWBP_EXEC, 1};
	return mvm_vcpu_set_hwbps(vcpu, singlestep, hw, nbp);
}

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
	r = mvm_vcpu_get_events(vcpu, &ev); /* KVM_GET_VCPU_EVENTS */
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
	r = mvm_vcpu_set_events(vcpu, &ev); /* KVM_SET_VCPU_EVENTS */
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
