/*
 * vcpu_state.c - one vCPU's architectural state out of KVM and back in
 * (state.h lists the parts and the api.rst ioctl behind each).
 *
 * Getting is a list of independent reads. Setting is not: KVM applies
 * each ioctl to the vCPU as it stands, so some parts must go in before
 * others. The order below, and why:
 *
 *   1. SREGS      first: EFER, CR0/CR4 and the APIC base decide what
 *                 the later parts mean (KVM_SET_LAPIC keeps the APIC base
 *                 set here, and a disabled APIC takes no timer MSRs).
 *   2. REGS       KVM_SET_REGS also drops an exception KVM has queued but
 *                 not yet begun to deliver (reported as "pending" once
 *                 KVM_CAP_EXCEPTION_PAYLOAD is on, api.rst), so it must
 *                 come before EVENTS, which restores it.
 *   3. XCRS       XCR0 (which state components are on), then
 *   4. XSAVE/FPU  the components themselves.
 *   5. LAPIC      before the MSRs: KVM ignores a write of the TSC-deadline
 *                 MSR (0x6e0) unless the LAPIC timer is already in
 *                 TSC-deadline mode (Intel SDM Vol. 3A, 11.5.4.1).
 *   6. MSRS       the TSC (MSR 0x10) among them.
 *   7. EVENTS     pending exception/interrupt/NMI, after everything that
 *                 could clear them.
 *   8. MP_STATE   after EVENTS: a restored INIT or SIPI changes it.
 *   9. DEBUGREGS  last; they stand alone.
 *
 * QEMU (target/i386/kvm/kvm.c, kvm_arch_put_registers) restores in much
 * the same order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "minivmm/state.h"

/* One vCPU ioctl; -errno and a log line naming it on failure. */
static int vcpu_ioctl(struct mvm_vcpu *vcpu, unsigned long req, void *arg,
		      const char *what)
{
	if (ioctl(vcpu->fd, req, arg) < 0) {
		int err = errno;

		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR, "vCPU %d: %s: %s",
			 vcpu->index, what, strerror(err));
		return -err;
	}
	return 0;
}

static int has_cap(struct mvm_vcpu *vcpu, int cap)
{
	return mvm_kvm_check_cap(vcpu->vm->fd, cap) > 0;
}

/*
 * KVM_GET_MSR_INDEX_LIST on /dev/kvm: the MSRs KVM saves and restores.
 * The first call with nmsrs 0 fails with E2BIG and says how many.
 */
static int msr_index_list(struct mvm_vcpu *vcpu, struct kvm_msr_list **out)
{
	struct kvm_msr_list probe = {.nmsrs = 0};
	struct kvm_msr_list *l;

	if (ioctl(vcpu->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG)
		return -errno;
	if (probe.nmsrs > MVM_STATE_MAX_MSRS) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "KVM lists %u saveable MSRs; minivmm keeps %d",
			 probe.nmsrs, MVM_STATE_MAX_MSRS);
		return -E2BIG;
	}
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	if (!l)
		return -ENOMEM;
	l->nmsrs = probe.nmsrs;
	if (ioctl(vcpu->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, l) < 0) {
		int err = errno;

		free(l);
		return -err;
	}
	*out = l;
	return 0;
}

/*
 * Read every listed MSR. KVM_GET_MSRS returns how many entries it read,
 * stopping at the first it refuses; that one is left out and the read
 * goes on after it, so one unreadable MSR costs one extra ioctl.
 */
static int get_msrs(struct mvm_vcpu *vcpu, struct mvm_vcpu_state *st)
{
	struct kvm_msr_list *list = NULL;
	struct kvm_msrs *req;
	uint32_t next = 0;
	int r = msr_index_list(vcpu, &list);

	if (r < 0)
		return r;
	req = calloc(1,
		     sizeof(*req) + list->nmsrs * sizeof(struct kvm_msr_entry));
	while (req && next < list->nmsrs) {
		req->nmsrs = list->nmsrs - next;
		for (uint32_t i = 0; i < req->nmsrs; i++)
			req->entries[i].index = list->indices[next + i];
		r = ioctl(vcpu->fd, KVM_GET_MSRS, req);
		if (r < 0)
			break;
		memcpy(&st->msrs[st->nmsrs], req->entries,
		       (size_t)r * sizeof(req->entries[0]));
		st->nmsrs += (uint32_t)r;
		next += (uint32_t)r + 1; /* skip the one that failed */
		r = 0;
	}
	r = !req ? -ENOMEM : r < 0 ? -errno : 0;
	free(req);
	free(list);
	if (r == 0)
		st->have |= MVM_STATE_MSRS;
	return r;
}

/* XSAVE image, or the legacy FPU layout where the CPU has no XSAVE. */
static int get_fpu(struct mvm_vcpu *vcpu, struct mvm_vcpu_state *st)
{
	int size;

	if (!has_cap(vcpu, KVM_CAP_XSAVE)) {
		st->have |= MVM_STATE_FPU;
		return vcpu_ioctl(vcpu, KVM_GET_FPU, &st->fpu, "KVM_GET_FPU");
	}
	size = mvm_kvm_check_cap(vcpu->vm->fd, KVM_CAP_XSAVE2);
	if (size > (int)sizeof(st->xsave)) {
		mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
			 "vCPU %d: XSAVE state is %d bytes; minivmm keeps %zu",
			 vcpu->index, size, sizeof(st->xsave));
		return -EOVERFLOW;
	}
	st->have |= MVM_STATE_XSAVE;
	return vcpu_ioctl(vcpu, KVM_GET_XSAVE, &st->xsave, "KVM_GET_XSAVE");
}

/* The parts every KVM has, then the optional ones. */
static int get_parts(struct mvm_vcpu *vcpu, struct mvm_vcpu_state *st)
{
	int r;

	st->have = MVM_STATE_REGS | MVM_STATE_SREGS;
	r = vcpu_ioctl(vcpu, KVM_GET_REGS, &st->regs, "KVM_GET_REGS");
	if (r == 0)
		r = vcpu_ioctl(vcpu, KVM_GET_SREGS, &st->sregs,
			       "KVM_GET_SREGS");
	if (r == 0)
		r = get_fpu(vcpu, st);
	if (r == 0 && has_cap(vcpu, KVM_CAP_XCRS)) {
		st->have |= MVM_STATE_XCRS;
		r = vcpu_ioctl(vcpu, KVM_GET_XCRS, &st->xcrs, "KVM_GET_XCRS");
	}
	if (r == 0 && has_cap(vcpu, KVM_CAP_DEBUGREGS)) {
		st->have |= MVM_STATE_DEBUGREGS;
		r = vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &st->debugregs,
			       "KVM_GET_DEBUGREGS");
	}
	if (r == 0)
		r = get_msrs(vcpu, st);
	return r;
}

/* The LAPIC, events and MP state: read after the MSRs, so a TSC-deadline
 * timer that fires meanwhile shows up in the LAPIC's IRR. */
static int get_late_parts(struct mvm_vcpu *vcpu, struct mvm_vcpu_state *st)
{
	int r = 0;

	if (vcpu->vm->flags & MVM_VM_IRQCHIP) {
		st->have |= MVM_STATE_LAPIC;
		r = vcpu_ioctl(vcpu, KVM_GET_LAPIC, &st->lapic,
			       "KVM_GET_LAPIC");
	}
	if (r == 0 && has_cap(vcpu, KVM_CAP_VCPU_EVENTS)) {
		st->have |= MVM_STATE_EVENTS;
		r = vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &st->events,
			       "KVM_GET_VCPU_EVENTS");
	}
	if (r == 0 && has_cap(vcpu, KVM_CAP_MP_STATE)) {
		st->have |= MVM_STATE_MP;
		r = vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &st->mp,
			       "KVM_GET_MP_STATE");
	}
	if (r == 0 && has_cap(vcpu, KVM_CAP_GET_TSC_KHZ)) {
		int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

		if (khz > 0) {
			st->tsc_khz = (uint32_t)khz;
			st->have |= MVM_STATE_TSC_KHZ;
		}
	}
	return r;
}

int mvm_vcpu_state_get(struct mvm_vcpu *vcpu, struct mvm_vcpu_state *st)
{
	int r;

	if (!vcpu || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	r = get_parts(vcpu, st);
	if (r == 0)
		r = get_late_parts(vcpu, st);
	if (r < 0)
		st->have = 0; /* never hand out half a state */
	return r;
}

/* The MSR's current value in KVM, or -errno. */
static int read_msr(struct mvm_vcpu *vcpu, uint32_t index, uint64_t *value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = {.h.nmsrs = 1, .e.index = index};

	if (ioctl(vcpu->fd, KVM_GET_MSRS, &m) != 1)
		return -EIO;
	*value = m.e.data;
	return 0;
}

/*
 * KVM_SET_MSRS writes entries in order and returns how many it wrote.
 * When it stops short, the refused MSR is looked at: if the vCPU already
 * holds the saved value nothing is lost and the write goes on after it
 * (some KVMs refuse to write back a value they report: poll control,
 * MSR 0x4b564d06, in a VM without an in-kernel irqchip, state.h);
 * otherwise the restore fails.
 */
static int set_msrs(struct mvm_vcpu *vcpu, const struct mvm_vcpu_state *st)
{
	struct kvm_msrs *req;
	uint32_t next = 0;
	uint64_t now;
	int r = 0;

	if (st->nmsrs > MVM_STATE_MAX_MSRS)
		return -EINVAL;
	req = calloc(1, sizeof(*req) + st->nmsrs * sizeof(st->msrs[0]));
	if (!req)
		return -ENOMEM;
	while (r == 0 && next < st->nmsrs) {
		const struct kvm_msr_entry *bad;

		req->nmsrs = st->nmsrs - next;
		memcpy(req->entries, &st->msrs[next],
		       req->nmsrs * sizeof(st->msrs[0]));
		r = ioctl(vcpu->fd, KVM_SET_MSRS, req);
		if (r < 0) {
			r = -errno;
			break;
		}
		next += (uint32_t)r;
		r = 0;
		if (next == st->nmsrs)
			break;
		bad = &st->msrs[next++];
		if (read_msr(vcpu, bad->index, &now) < 0 || now != bad->data) {
			mvm_logf(&vcpu->vm->log, MVM_LOG_ERROR,
				 "vCPU %d: KVM_SET_MSRS refused MSR 0x%x = "
				 "0x%llx",
				 vcpu->index, bad->index,
				 (unsigned long long)bad->data);
			r = -EINVAL;
		}
	}
	free(req);
	return r;
}

/* One step of the restore: if st has `bit`, do the ioctl. */
#define SET_PART(bit, req, field)                                            \
	do {                                                                 \
		if (r == 0 && (st->have & (bit)))                            \
			r = vcpu_ioctl(vcpu, req, (void *)&st->field, #req); \
	} while (0)

/* [slide:state-set-order] */
int mvm_vcpu_state_set(struct mvm_vcpu *vcpu, const struct mvm_vcpu_state *st)
{
	int r = 0;

	if (!vcpu || !st)
		return -EINVAL;
	if ((st->have & MVM_STATE_LAPIC) && !(vcpu->vm->flags & MVM_VM_IRQCHIP))
		return -ENODEV;
	SET_PART(MVM_STATE_SREGS, KVM_SET_SREGS, sregs);
	SET_PART(MVM_STATE_REGS, KVM_SET_REGS, regs);
	SET_PART(MVM_STATE_XCRS, KVM_SET_XCRS, xcrs);
	SET_PART(MVM_STATE_XSAVE, KVM_SET_XSAVE, xsave);
	SET_PART(MVM_STATE_FPU, KVM_SET_FPU, fpu);
	SET_PART(MVM_STATE_LAPIC, KVM_SET_LAPIC, lapic);
	if (r == 0 && (st->have & MVM_STATE_MSRS))
		r = set_msrs(vcpu, st);
	SET_PART(MVM_STATE_EVENTS, KVM_SET_VCPU_EVENTS, events);
	SET_PART(MVM_STATE_MP, KVM_SET_MP_STATE, mp);
	SET_PART(MVM_STATE_DEBUGREGS, KVM_SET_DEBUGREGS, debugregs);
	mvm_vcpu_forget_regs(vcpu); /* raw ioctls above (vcpu.c) */
	return r;
}
/* [/slide:state-set-order] */

const struct kvm_msr_entry *mvm_vcpu_state_msr(const struct mvm_vcpu_state *st,
					       uint32_t index)
{
	for (uint32_t i = 0; st && i < st->nmsrs && i < MVM_STATE_MAX_MSRS; i++)
		if (st->msrs[i].index == index)
			return &st->msrs[i];
	return NULL;
}
