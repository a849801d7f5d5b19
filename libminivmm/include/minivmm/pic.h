/*
 * pic.h - a user-space 8259A programmable interrupt controller pair
 * (Lab 3's reference solution).
 *
 * The PC has two 8259As: the master on ports 0x20/0x21 takes IRQ 0-7,
 * the slave on 0xa0/0xa1 takes IRQ 8-15 and drives the master's IR2
 * input (the cascade). Without KVM's in-kernel irqchip
 * (MVM_IRQCHIP_USER) this model is the machine's interrupt controller:
 *
 *   device --mvm_irq_raise()--> line --sink--> mvm_pic_set_irq()
 *        IRR -> priority -> INT output --kick--> vCPU leaves KVM_RUN
 *   pre-entry hook: guest can take it?  yes: INTA (ISR), KVM_INTERRUPT
 *                                       no:  request an interrupt window
 *
 * src/irq/pic.c is the chip (registers, priority, EOI), pic_inject.c
 * the path into the vCPU. Reference: Intel 8259A Programmable Interrupt
 * Controller data sheet (order no. 231468), "Functional Description"
 * and "Programming the 8259A"; KVM api.rst 4.16 (KVM_INTERRUPT) and
 * section 5 (request_interrupt_window, ready_for_interrupt_injection).
 *
 * Threads: every function may be called from any thread; the pair is
 * guarded by one mutex inside. The pre-entry hook runs in the vCPU's
 * thread.
 */
#ifndef MINIVMM_PIC_H
#define MINIVMM_PIC_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "bus.h"
#include "irq.h"
#include "log.h"

struct mvm_pic;
struct mvm_machine;

/* One chip's registers, for tests and the debugger. */
struct mvm_pic_regs {
	uint8_t irr;	  /* interrupt request register */
	uint8_t isr;	  /* in-service register */
	uint8_t imr;	  /* interrupt mask register (OCW1) */
	uint8_t vbase;	  /* ICW2: vector of IR0 (low 3 bits zero) */
	uint8_t lowest;	  /* IR with the lowest priority (rotation) */
	uint8_t ready;	  /* initialised: ICW1..ICW4 sequence complete */
	uint8_t auto_eoi; /* ICW4 AEOI */
	uint8_t level;	  /* ICW1 LTIM: level-triggered inputs */
};

/* Counters of the path into the guest (pic_inject.c). */
struct mvm_pic_stats {
	uint64_t raised;     /* input edges/levels that set an IRR bit */
	uint64_t injected;   /* vectors given to KVM_INTERRUPT */
	uint64_t windows;    /* interrupt-window requests made */
	uint64_t spurious;   /* INTA cycles that found nothing (IR7) */
	uint64_t merged;     /* edges on an input whose IRR bit was set */
	uint64_t kicks;	     /* times the INT output rose: vCPU kicked */
	uint64_t inject_err; /* KVM_INTERRUPT failures (logged) */
};

/* A pair in its power-on state (uninitialised, all inputs low). log may
 * be NULL. 0 and *out, or -errno. */
int mvm_pic_create(const struct mvm_log *log, struct mvm_pic **out);
/* Accepts NULL. Destroy it after the machine it is attached to: vCPU
 * 0's pre-entry hook and the machine's lines point here. */
void mvm_pic_destroy(struct mvm_pic *pic);

/* Input IRQ 0-15 (8-15 on the slave) goes to `level`. Edge mode latches
 * IRR on a rising edge; level mode follows the line. Others ignored. */
void mvm_pic_set_irq(struct mvm_pic *pic, unsigned irq, int level);
/* The same as a sink for MVM_IRQ_USER lines (gsi = IRQ number). */
struct mvm_irq_sink mvm_pic_sink(struct mvm_pic *pic);

/* Port access as the guest makes it: 0x20/0x21 master, 0xa0/0xa1
 * slave (layout.h). Other ports: ignored / read 0xff. */
void mvm_pic_write(struct mvm_pic *pic, uint16_t port, uint8_t val);
uint8_t mvm_pic_read(struct mvm_pic *pic, uint16_t port);

/* The master's INT output: an unmasked request outranks what is in
 * service. */
int mvm_pic_pending(struct mvm_pic *pic);
/* The INTA cycle: the vector the CPU would read, with ISR set and the
 * edge's IRR bit cleared. Nothing left to deliver gives the spurious
 * IR7 of the chip that was asked (data sheet, "Interrupt Sequence"). */
uint8_t mvm_pic_ack(struct mvm_pic *pic);

/* A chip's registers (slave 0 = master, 1 = slave). */
void mvm_pic_get_regs(struct mvm_pic *pic, int slave, struct mvm_pic_regs *out);
void mvm_pic_get_stats(struct mvm_pic *pic, struct mvm_pic_stats *out);

/*
 * Make pic the interrupt controller of machine m (MVM_IRQCHIP_USER):
 * install it as the machine's sink, claim ports 0x20-0x21 and
 * 0xa0-0xa1, and set vCPU 0's pre-entry hook to deliver (the 8259A's INT
 * pin goes to the boot CPU only). Call before mvm_machine_start() and
 * before any device asks for a line. 0 or -errno.
 */
int mvm_pic_attach(struct mvm_pic *pic, struct mvm_machine *m);

/* The pre-entry hook mvm_pic_attach() installs (exported so a program
 * can chain it behind its own hook). ctx is the PIC. */
int mvm_pic_pre_entry(void *ctx, struct mvm_vcpu *vcpu);

#pragma GCC visibility pop

#endif
