/*
 * irqview.c - reading the interrupt state for a debugger (irqview.h):
 * three one-ioctl readers and the decoders of the I/O APIC's
 * redirection entries and the local APIC's register page.
 *
 * The readers do not log: a debugger redraws after every step, and a
 * VM without an in-kernel irqchip is an answer (-ENODEV), not an error.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "minivmm/irqview.h"

int mvm_vcpu_events_get(struct mvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	if (!vcpu || !ev)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	return ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, ev) < 0 ? -errno : 0;
}

int mvm_vcpu_lapic_get(struct mvm_vcpu *vcpu, struct kvm_lapic_state *st)
{
	if (!vcpu || !st)
		return -EINVAL;
	if (!(vcpu->vm->flags & MVM_VM_IRQCHIP))
		return -ENODEV; /* KVM would say EINVAL: no LAPIC at all */
	return ioctl(vcpu->fd, KVM_GET_LAPIC, st) < 0 ? -errno : 0;
}

int mvm_vm_irqchip_get(struct mvm_vm *vm, unsigned chip_id,
		       struct kvm_irqchip *chip)
{
	if (!vm || !chip || chip_id > KVM_IRQCHIP_IOAPIC)
		return -EINVAL;
	if (!(vm->flags & MVM_VM_IRQCHIP))
		return -ENODEV;
	memset(chip, 0, sizeof(*chip));
	chip->chip_id = chip_id;
	return ioctl(vm->fd, KVM_GET_IRQCHIP, chip) < 0 ? -errno : 0;
}

/* 82093AA data sheet, 3.2.4 "I/O Redirection Table Registers". */
void mvm_ioapic_redir_decode(uint64_t raw, struct mvm_ioapic_redir *out)
{
	out->vector = (uint8_t)(raw & 0xff);
	out->delivery = (uint8_t)((raw >> 8) & 7);
	out->logical = (uint8_t)((raw >> 11) & 1);
	out->pending = (uint8_t)((raw >> 12) & 1);
	out->low_active = (uint8_t)((raw >> 13) & 1);
	out->remote_irr = (uint8_t)((raw >> 14) & 1);
	out->level = (uint8_t)((raw >> 15) & 1);
	out->masked = (uint8_t)((raw >> 16) & 1);
	out->dest = (uint8_t)(raw >> 56);
}

const char *mvm_ioapic_delivery_name(unsigned mode)
{
	static const char *const names[8] = {
		[MVM_IOAPIC_FIXED] = "fixed", [MVM_IOAPIC_LOWEST] = "lowest",
		[MVM_IOAPIC_SMI] = "SMI",     [MVM_IOAPIC_NMI] = "NMI",
		[MVM_IOAPIC_INIT] = "INIT",   [MVM_IOAPIC_EXTINT] = "ExtINT",
	};
	return mode < 8 && names[mode] ? names[mode] : "reserved";
}

/* Local APIC register offsets in the 4 KiB page (SDM Vol. 3A, Table
 * 11-1 "Local APIC Register Address Map"). */
#define LAPIC_ID      0x20
#define LAPIC_TPR     0x80
#define LAPIC_PPR     0xa0
#define LAPIC_SVR     0xf0
#define LAPIC_ISR     0x100 /* 8 registers, 16 bytes apart */
#define LAPIC_IRR     0x200
#define LAPIC_LVT_TMR 0x320
#define LAPIC_LINT0   0x350
#define LAPIC_LINT1   0x360
#define LAPIC_TMICT   0x380 /* initial count */
#define LAPIC_TMCCT   0x390 /* current count */
#define LAPIC_TDCR    0x3e0 /* divide configuration */

static uint32_t reg(const struct kvm_lapic_state *st, unsigned off)
{
	uint32_t v;

	memcpy(&v, st->regs + off, sizeof(v));
	return v;
}

/* The highest vector set in a 256-bit ISR/IRR (vector 32*i + bit in
 * the register at base + 16*i), or -1. */
static int top_vector(const struct kvm_lapic_state *st, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t v = reg(st, base + 16u * (unsigned)i);

		if (v)
			return i * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

/* Divide configuration (SDM 11.5.4): bits 0, 1 and 3 form a 3-bit value
 * n; the divisor is 2^(n+1), with n = 7 meaning 1. */
static uint32_t divisor(uint32_t tdcr)
{
	unsigned n = (tdcr & 3) | ((tdcr >> 1) & 4);

	return n == 7 ? 1 : 2u << n;
}

void mvm_lapic_decode(const struct kvm_lapic_state *st,
		      struct mvm_lapic_info *out)
{
	uint32_t lvt = reg(st, LAPIC_LVT_TMR);

	memset(out, 0, sizeof(*out));
	out->id = (uint8_t)(reg(st, LAPIC_ID) >> 24);
	out->tpr = (uint8_t)reg(st, LAPIC_TPR);
	out->ppr = (uint8_t)reg(st, LAPIC_PPR);
	out->enabled = (reg(st, LAPIC_SVR) >> 8) & 1;
	out->spurious = (uint8_t)reg(st, LAPIC_SVR);
	out->isr_top = top_vector(st, LAPIC_ISR);
	out->irr_top = top_vector(st, LAPIC_IRR);
	/* LVT timer, SDM 11.5.1 Figure 11-8. */
	out->timer_vector = (uint8_t)lvt;
	out->timer_masked = (lvt >> 16) & 1;
	out->timer_mode = (lvt >> 17) & 3;
	out->timer_initial = reg(st, LAPIC_TMICT);
	out->timer_current = reg(st, LAPIC_TMCCT);
	out->timer_divide = divisor(reg(st, LAPIC_TDCR));
	out->lint0 = reg(st, LAPIC_LINT0);
	out->lint1 = reg(st, LAPIC_LINT1);
}

const char *mvm_lapic_timer_mode_name(unsigned mode)
{
	return mode == MVM_LAPIC_ONESHOT    ? "one-shot"
	       : mode == MVM_LAPIC_PERIODIC ? "periodic"
	       : mode == MVM_LAPIC_DEADLINE ? "TSC-deadline"
					    : "reserved";
}
