/*
 * irqpane.h - the interrupt pane (irqpane.c) and the debugger's side of
 * Lab 3's interrupt paths (dbgirq.c): what is pending where, and
 * `break irq` on the path where the VMM itself injects.
 *
 * The renderer takes plain data (struct dbg_irqview), like every pane
 * (panes.h): unit tests hand-build one, dbgirq.c fills one from the
 * live machine through libminivmm (irqview.h, pic.h).
 */
#ifndef DBG_IRQPANE_H
#define DBG_IRQPANE_H

#include <linux/kvm.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

#include "text.h"

struct dbg_session;
struct dbg_cmdline;

/* Everything the pane shows; have_* say which parts could be read. */
struct dbg_irqview {
	enum mvm_irqchip chip; /* the machine's controller */
	int irqfd;	       /* device lines are irqfds (kernel chip) */
	uint64_t rflags;       /* IF is bit 9 */
	int have_run;	       /* kvm_run's interrupt fields: */
	int ready;	       /* ready_for_interrupt_injection */
	int window;	       /* request_interrupt_window (asked by VMM) */
	int have_events;       /* KVM_GET_VCPU_EVENTS */
	struct kvm_vcpu_events ev;
	int have_upic; /* the user-space 8259A pair (pic.h) */
	struct mvm_pic_regs upic[2];
	struct mvm_pic_stats ustats;
	int have_kchip; /* KVM_GET_IRQCHIP: PIC master, slave, IOAPIC */
	struct kvm_irqchip kpic[2], ioapic;
	int have_lapic; /* KVM_GET_LAPIC */
	struct kvm_lapic_state lapic;
	/* Where the guest's IDT sends each vector (0: not present or not
	 * readable), for "break on the handler". */
	uint64_t handler[256];
};

/* irqpane.c: IF, events, then the controller of the machine. */
void dbg_render_irq(const struct dbg_irqview *v, struct dbg_text *t);

/* dbgirq.c: read the live machine into *v (replay: nothing to read). */
void dbg_irq_view(struct dbg_session *s, struct dbg_irqview *v);
/* dbgirq.c: after the machine is made, before the image is loaded:
 * --irqchip user gets the library's 8259A and 8254 (as `mvm run`) and
 * the debugger's pre-entry hook around the 8259A's. 0 or -errno. */
int dbg_irq_attach(struct dbg_session *s);
/* dbgirq.c: before / after mvm_machine_destroy (the 8254's thread uses
 * the machine; the machine's lines use the 8259A). */
void dbg_irq_detach(struct dbg_session *s);
void dbg_irq_free(struct dbg_session *s);
/* dbgirq.c: may `break irq` be set here? 0, or -EINVAL with the status
 * saying why not (no controller; KVM injects without an exit). */
int dbg_irq_break_check(struct dbg_session *s);
/* dbgirq.c: the linear address IDT entry `vector` points to (real
 * mode: the IVT); 0 or -errno. */
int dbg_idt_handler(struct dbg_session *s, unsigned vector, uint64_t *addr);
/* dbgirq.c: the `irq` command. */
int cmd_irq(struct dbg_session *s, struct dbg_cmdline *c);

#endif
