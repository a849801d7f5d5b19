/*
 * vm_state.c - the state KVM keeps for the whole VM rather than for one
 * vCPU: the devices KVM_CREATE_IRQCHIP and KVM_CREATE_PIT2 put in the
 * kernel, and the KVM clock (state.h lists the ioctls).
 *
 *   PIC master, PIC slave  two 8259As (Intel 8259A data sheet): IRR, ISR,
 *                          IMR, the vector base, the init sequence state
 *   IOAPIC                 its redirection table (82093AA data sheet)
 *   PIT                    the three 8254 counters and their modes
 *   clock                  nanoseconds of kvmclock, the paravirtual clock
 *                          a Linux guest reads (its MSRs 0x4b564d00-01
 *                          are vCPU state, in the MSR list)
 *
 * The irqchip and PIT exist only in a VM made with MVM_VM_IRQCHIP (vm.c
 * creates both then); without them KVM_GET_IRQCHIP fails with ENXIO, so
 * they are skipped rather than reported as errors. Restore the VM's state
 * before the vCPUs' (a LAPIC's pending interrupt may have come from the
 * IOAPIC restored here).
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "minivmm/state.h"

#define VMSTATE_IRQCHIP                                                        \
	(MVM_VMSTATE_PIC_MASTER | MVM_VMSTATE_PIC_SLAVE | MVM_VMSTATE_IOAPIC | \
	 MVM_VMSTATE_PIT)

/* The three chips of KVM_CREATE_IRQCHIP, each read by chip_id. */
static int get_irqchip(struct mvm_vm *vm, struct mvm_vm_state *st)
{
	int r;

	st->pic[0].chip_id = KVM_IRQCHIP_PIC_MASTER;
	st->pic[1].chip_id = KVM_IRQCHIP_PIC_SLAVE;
	st->ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
	r = mvm_vm_ioctl(vm, KVM_GET_IRQCHIP, &st->pic[0], "KVM_GET_IRQCHIP");
	if (r == 0)
		r = mvm_vm_ioctl(vm, KVM_GET_IRQCHIP, &st->pic[1],
				 "KVM_GET_IRQCHIP");
	if (r == 0)
		r = mvm_vm_ioctl(vm, KVM_GET_IRQCHIP, &st->ioapic,
				 "KVM_GET_IRQCHIP");
	if (r == 0 && !(vm->flags & MVM_VM_NO_PIT))
		r = mvm_vm_ioctl(vm, KVM_GET_PIT2, &st->pit, "KVM_GET_PIT2");
	if (r == 0)
		st->have |= VMSTATE_IRQCHIP &
			    ~(vm->flags & MVM_VM_NO_PIT ? MVM_VMSTATE_PIT : 0u);
	return r;
}

int mvm_vm_state_get(struct mvm_vm *vm, struct mvm_vm_state *st)
{
	int r = 0;

	if (!vm || !st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	if (vm->flags & MVM_VM_IRQCHIP)
		r = get_irqchip(vm, st);
	if (r == 0 && mvm_kvm_check_cap(vm->fd, KVM_CAP_ADJUST_CLOCK) > 0) {
		r = mvm_vm_ioctl(vm, KVM_GET_CLOCK, &st->clock,
				 "KVM_GET_CLOCK");
		if (r == 0)
			st->have |= MVM_VMSTATE_CLOCK;
	}
	if (r < 0)
		st->have = 0;
	return r;
}

/* One part: if st has `bit`, do the ioctl on a copy (KVM's SET ioctls
 * take a non-const pointer). */
static int set_part(struct mvm_vm *vm, const struct mvm_vm_state *st,
		    unsigned bit, unsigned long req, const void *part,
		    size_t size, const char *what)
{
	union {
		struct kvm_irqchip chip;
		struct kvm_pit_state2 pit;
		struct kvm_clock_data clock;
	} copy;

	if (!(st->have & bit))
		return 0;
	memcpy(&copy, part, size);
	return mvm_vm_ioctl(vm, req, &copy, what);
}

int mvm_vm_state_set(struct mvm_vm *vm, const struct mvm_vm_state *st)
{
	struct kvm_clock_data clock;
	int r;

	if (!vm || !st)
		return -EINVAL;
	if ((st->have & VMSTATE_IRQCHIP) && !(vm->flags & MVM_VM_IRQCHIP))
		return -ENODEV;
	r = set_part(vm, st, MVM_VMSTATE_PIC_MASTER, KVM_SET_IRQCHIP,
		     &st->pic[0], sizeof(st->pic[0]), "KVM_SET_IRQCHIP");
	if (r == 0)
		r = set_part(vm, st, MVM_VMSTATE_PIC_SLAVE, KVM_SET_IRQCHIP,
			     &st->pic[1], sizeof(st->pic[1]),
			     "KVM_SET_IRQCHIP");
	if (r == 0)
		r = set_part(vm, st, MVM_VMSTATE_IOAPIC, KVM_SET_IRQCHIP,
			     &st->ioapic, sizeof(st->ioapic),
			     "KVM_SET_IRQCHIP");
	if (r == 0)
		r = set_part(vm, st, MVM_VMSTATE_PIT, KVM_SET_PIT2, &st->pit,
			     sizeof(st->pit), "KVM_SET_PIT2");
	if (r == 0 && (st->have & MVM_VMSTATE_CLOCK)) {
		/* Only the value: flags 0 resumes the clock where it was. */
		memset(&clock, 0, sizeof(clock));
		clock.clock = st->clock.clock;
		r = mvm_vm_ioctl(vm, KVM_SET_CLOCK, &clock, "KVM_SET_CLOCK");
	}
	return r;
}
