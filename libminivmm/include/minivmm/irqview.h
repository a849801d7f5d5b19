/*
 * irqview.h - reading a machine's interrupt state, for debuggers and
 * tests: what the CPU has pending, what the in-kernel chips hold, and
 * the raw registers decoded into named fields. Nothing here changes
 * the guest.
 *
 *   mvm_vcpu_events_get()    KVM_GET_VCPU_EVENTS: the exception,
 *                            interrupt and NMI KVM has pending or is
 *                            injecting, the interrupt shadow
 *   mvm_vcpu_lapic_get()     KVM_GET_LAPIC: the local APIC's register
 *                            page (in-kernel irqchip only)
 *   mvm_vm_irqchip_get()     KVM_GET_IRQCHIP: the in-kernel 8259A pair
 *                            and the I/O APIC (in-kernel irqchip only)
 *   mvm_ioapic_redir_decode  one I/O APIC redirection entry
 *   mvm_lapic_decode         TPR, ISR/IRR, the LVT timer, its counts
 *
 * The user-space 8259A (pic.h) has its own accessors,
 * mvm_pic_get_regs() and mvm_pic_get_stats().
 *
 * All three readers take one ioctl, return 0 or -errno and never log:
 * a debugger calls them on every redraw. -ENODEV means the VM has no
 * in-kernel irqchip (MVM_VM_IRQCHIP), where KVM has no such state.
 * Call them only while the vCPU is not in KVM_RUN (machine.h, rule 4).
 */
#ifndef MINIVMM_IRQVIEW_H
#define MINIVMM_IRQVIEW_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <linux/kvm.h>
#include <stdint.h>

struct mvm_vm;
struct mvm_vcpu;

/* KVM_GET_VCPU_EVENTS (api.rst, under that name). */
int mvm_vcpu_events_get(struct mvm_vcpu *vcpu, struct kvm_vcpu_events *ev);
/* KVM_GET_LAPIC (api.rst); -ENODEV without the in-kernel irqchip. */
int mvm_vcpu_lapic_get(struct mvm_vcpu *vcpu, struct kvm_lapic_state *st);
/* KVM_GET_IRQCHIP (api.rst) of chip_id KVM_IRQCHIP_PIC_MASTER,
 * _PIC_SLAVE or _IOAPIC into *chip; -ENODEV without the irqchip. */
int mvm_vm_irqchip_get(struct mvm_vm *vm, unsigned chip_id,
		       struct kvm_irqchip *chip);

/* --- the I/O APIC (Intel 82093AA data sheet, 3.2.4) ----------------------- */

/* Delivery modes (bits 8-10 of a redirection entry). */
#define MVM_IOAPIC_FIXED   0
#define MVM_IOAPIC_LOWEST  1
#define MVM_IOAPIC_SMI	   2
#define MVM_IOAPIC_NMI	   4
#define MVM_IOAPIC_INIT	   5
#define MVM_IOAPIC_EXTINT  7
#define MVM_IOAPIC_ENTRIES 24 /* KVM's I/O APIC has 24 pins */

/* One redirection table entry, field by field. */
struct mvm_ioapic_redir {
	uint8_t vector;	    /* bits 0-7: the IDT vector */
	uint8_t delivery;   /* bits 8-10: MVM_IOAPIC_* */
	uint8_t logical;    /* bit 11: destination mode (0 physical) */
	uint8_t pending;    /* bit 12: delivery status (send pending) */
	uint8_t low_active; /* bit 13: polarity (1 active low) */
	uint8_t remote_irr; /* bit 14: a level interrupt awaits its EOI */
	uint8_t level;	    /* bit 15: trigger mode (1 level, 0 edge) */
	uint8_t masked;	    /* bit 16: the pin is masked */
	uint8_t dest;	    /* bits 56-63: APIC ID or logical set */
};
void mvm_ioapic_redir_decode(uint64_t raw, struct mvm_ioapic_redir *out);
/* "fixed", "lowest", "SMI", "NMI", "INIT", "ExtINT", or "reserved". */
const char *mvm_ioapic_delivery_name(unsigned mode);

/* --- the local APIC (Intel SDM Vol. 3A, 11.4-11.8) ------------------------ */

/* LVT timer modes (bits 17-18 of the LVT timer register, SDM 11.5.1). */
#define MVM_LAPIC_ONESHOT  0
#define MVM_LAPIC_PERIODIC 1
#define MVM_LAPIC_DEADLINE 2 /* TSC-deadline */

struct mvm_lapic_info {
	uint8_t id;		/* APIC ID (bits 24-31 of 0x20) */
	uint8_t tpr;		/* task priority (0x80) */
	uint8_t ppr;		/* processor priority (0xa0) */
	uint8_t enabled;	/* SVR bit 8: APIC software-enabled */
	uint8_t spurious;	/* SVR bits 0-7: the spurious vector */
	int isr_top;		/* highest vector in service, -1 none */
	int irr_top;		/* highest vector requested, -1 none */
	uint8_t timer_vector;	/* LVT timer (0x320) bits 0-7 */
	uint8_t timer_masked;	/* bit 16 */
	uint8_t timer_mode;	/* MVM_LAPIC_* (bits 17-18) */
	uint32_t timer_initial; /* initial count (0x380) */
	uint32_t timer_current; /* current count (0x390) */
	uint32_t timer_divide;	/* divisor 1-128 from 0x3e0 */
	uint32_t lint0, lint1;	/* LVT LINT0/LINT1, raw (0x350, 0x360) */
};
/* Decode KVM's register page. */
void mvm_lapic_decode(const struct kvm_lapic_state *st,
		      struct mvm_lapic_info *out);
/* "one-shot", "periodic", "TSC-deadline" or "reserved". */
const char *mvm_lapic_timer_mode_name(unsigned mode);

#pragma GCC visibility pop

#endif
