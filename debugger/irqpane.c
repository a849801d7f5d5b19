/*
 * irqpane.c - the interrupt pane: can the CPU take an interrupt now,
 * what KVM has pending or is injecting, and what the interrupt
 * controller holds (irqpane.h).
 *
 * Three machines, three pictures (Lab 3):
 *   user-space 8259A  the VMM's model: IRR/ISR/IMR of master and slave
 *                     and how often the pre-entry hook injected
 *   in-kernel chip    KVM's 8259A pair, its I/O APIC's redirection
 *                     entries and the vCPU's local APIC with its timer
 *   none              only IF and the events
 */
#include <stdio.h>
#include <string.h>

#include "irqpane.h"

#define RFLAGS_IF (1ull << 9) /* Intel SDM Vol. 1, 3.4.3 */

/* 8 bits as IR7..IR0, the order of the data sheet's figures. */
static const char *bits8(uint8_t v, char buf[9])
{
	for (int i = 0; i < 8; i++)
		buf[i] = (v >> (7 - i)) & 1 ? '1' : '0';
	buf[8] = '\0';
	return buf;
}

/* The CPU's side: IF, kvm_run's injection flags, KVM's events. */
static void render_cpu(const struct dbg_irqview *v, struct dbg_text *t)
{
	const struct kvm_vcpu_events *e = &v->ev;

	dbg_text_line(t, DBG_A_NORMAL, "IF %d (RFLAGS bit 9)  shadow %s",
		      (v->rflags & RFLAGS_IF) ? 1 : 0,
		      v->have_events && e->interrupt.shadow ? "yes" : "-");
	if (v->have_run)
		dbg_text_add(t, DBG_A_NORMAL,
			     "  kvm_run: ready for injection %d, window %d",
			     v->ready, v->window);
	if (!v->have_events) {
		dbg_text_line(t, DBG_A_DIM, "events: not read");
		return;
	}
	dbg_text_line(t, DBG_A_NORMAL, "events: interrupt ");
	if (e->interrupt.injected)
		dbg_text_add(t, DBG_A_CHANGED, "injected vector 0x%02x%s",
			     e->interrupt.nr,
			     e->interrupt.soft ? " (soft)" : "");
	if (e->interrupt.injected && v->handler[e->interrupt.nr])
		dbg_text_add(t, DBG_A_NORMAL, " -> 0x%llx",
			     (unsigned long long)v->handler[e->interrupt.nr]);
	else
		dbg_text_add(t, DBG_A_NORMAL, "-");
	dbg_text_add(t, DBG_A_NORMAL, " | exception ");
	if (e->exception.injected || e->exception.pending)
		dbg_text_add(t, DBG_A_CHANGED, "%s vector %u",
			     e->exception.injected ? "injected" : "pending",
			     e->exception.nr);
	else
		dbg_text_add(t, DBG_A_NORMAL, "-");
	dbg_text_add(t, DBG_A_NORMAL, " | NMI %s%s",
		     e->nmi.injected  ? "injected"
		     : e->nmi.pending ? "pending"
				      : "-",
		     e->nmi.masked ? " (masked)" : "");
}

static void pic_row(struct dbg_text *t, const char *name, uint8_t irr,
		    uint8_t isr, uint8_t imr, uint8_t base, const char *mode)
{
	char a[9], b[9], c[9];

	dbg_text_line(t, DBG_A_NORMAL, "%-7s  %s  %s  %s  0x%02x  %s", name,
		      bits8(irr, a), bits8(isr, b), bits8(imr, c), base, mode);
}

/* The IRQs a pair lets through (IMR bit clear), each with the vector
 * ICW2 gives it and where the guest's IDT sends that vector: what to
 * `break` on. Slave IRQs need the master's IR2 (the cascade) open. */
static void pic_routes(const struct dbg_irqview *v, const uint8_t imr[2],
		       const uint8_t base[2], struct dbg_text *t)
{
	int n = 0;

	for (int irq = 0; irq < 16; irq++) {
		int chip = irq >= 8, pin = irq & 7;
		unsigned vec = (base[chip] + (unsigned)pin) & 0xff;

		if ((imr[chip] >> pin & 1) || (chip && (imr[0] >> 2 & 1)) ||
		    irq == 2)
			continue;
		if (n++ % 2 == 0)
			dbg_text_line(t, DBG_A_NORMAL, " ");
		char name[8];

		snprintf(name, sizeof(name), "IRQ %d:", irq);
		dbg_text_add(t, DBG_A_NORMAL, " %-7s vector 0x%02x", name, vec);
		if (v->handler[vec])
			dbg_text_add(t, DBG_A_NORMAL, ", handler 0x%-8llx",
				     (unsigned long long)v->handler[vec]);
	}
	if (!n)
		dbg_text_line(t, DBG_A_DIM, "  every IRQ is masked (IMR)");
}

static void pic_head(struct dbg_text *t, const char *what)
{
	dbg_text_line(t, DBG_A_TITLE,
		      "%-7s  IRR       ISR       IMR       base  (IR7..IR0)",
		      what);
}

static void render_upic(const struct dbg_irqview *v, struct dbg_text *t)
{
	static const char *const name[2] = {"master", "slave"};
	const struct mvm_pic_stats *st = &v->ustats;

	pic_head(t, "8259A");
	for (int i = 0; i < 2; i++) {
		const struct mvm_pic_regs *r = &v->upic[i];
		char mode[48];

		snprintf(mode, sizeof(mode), "%s%s%s",
			 r->ready ? (r->level ? "level" : "edge")
				  : "not initialised",
			 r->auto_eoi ? ", AEOI" : "",
			 r->ready ? "" : " (ICW1-4)");
		pic_row(t, name[i], r->irr, r->isr, r->imr, r->vbase, mode);
	}
	if (v->upic[0].ready)
		pic_routes(v, (uint8_t[]){v->upic[0].imr, v->upic[1].imr},
			   (uint8_t[]){v->upic[0].vbase, v->upic[1].vbase}, t);
	dbg_text_line(t, DBG_A_NORMAL,
		      "injected %llu  windows %llu  spurious %llu  kicks %llu"
		      "  merged %llu",
		      (unsigned long long)st->injected,
		      (unsigned long long)st->windows,
		      (unsigned long long)st->spurious,
		      (unsigned long long)st->kicks,
		      (unsigned long long)st->merged);
}

/* Pins as ranges: "1-7 9 12-23". */
static void pin_list(uint32_t set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < MVM_IOAPIC_ENTRIES && n < len; i++) {
		int j = i;

		if (!(set >> i & 1))
			continue;
		while (j + 1 < MVM_IOAPIC_ENTRIES && (set >> (j + 1) & 1))
			j++;
		n += (size_t)snprintf(buf + n, len - n,
				      j > i ? "%s%d-%d" : "%s%d", n ? " " : "",
				      i, j);
		i = j;
	}
}

/* The unmasked redirection entries, one row each; masked pins as a
 * list (82093AA data sheet 3.2.4 names the fields). */
static void render_ioapic(const struct dbg_irqview *v, struct dbg_text *t)
{
	const struct kvm_ioapic_state *io = &v->ioapic.chip.ioapic;
	uint32_t masked = 0;
	char list[96];

	dbg_text_line(t, DBG_A_TITLE,
		      "I/O APIC id %u  pin  vector  delivery  trigger  "
		      "polarity  dest",
		      io->id);
	for (int i = 0; i < MVM_IOAPIC_ENTRIES; i++) {
		struct mvm_ioapic_redir r;

		mvm_ioapic_redir_decode(io->redirtbl[i].bits, &r);
		if (r.masked) {
			masked |= 1u << i;
			continue;
		}
		dbg_text_line(t, DBG_A_NORMAL,
			      "%18d  0x%02x    %-8s  %-7s  %-8s  %s 0x%02x%s",
			      i, r.vector, mvm_ioapic_delivery_name(r.delivery),
			      r.level ? "level" : "edge",
			      r.low_active ? "low" : "high",
			      r.logical ? "logical" : "phys", r.dest,
			      r.remote_irr ? "  remote IRR" : "");
		if (v->handler[r.vector])
			dbg_text_add(t, DBG_A_NORMAL, " -> 0x%llx",
				     (unsigned long long)v->handler[r.vector]);
	}
	pin_list(masked, list, sizeof(list));
	dbg_text_line(t, DBG_A_DIM, "  masked pins: %s",
		      masked ? list : "none");
}

/* A vector, or "-" for none (-1). */
static const char *vec(int v, char buf[8])
{
	if (v < 0)
		return "-";
	snprintf(buf, 8, "0x%02x", (unsigned)v & 0xff);
	return buf;
}

static void render_lapic(const struct dbg_irqview *v, struct dbg_text *t)
{
	const struct kvm_lapic_state *st = &v->lapic;
	struct mvm_lapic_info l;
	char a[8], b[8];

	mvm_lapic_decode(st, &l);
	dbg_text_line(t, DBG_A_TITLE, "LAPIC id %u", l.id);
	dbg_text_add(t, DBG_A_NORMAL, " %s  TPR 0x%02x  PPR 0x%02x  ISR top ",
		     l.enabled ? "enabled" : "disabled (SVR bit 8)", l.tpr,
		     l.ppr);
	dbg_text_add(t, DBG_A_NORMAL, "%s  IRR top %s", vec(l.isr_top, a),
		     vec(l.irr_top, b));
	dbg_text_line(t, DBG_A_NORMAL, "  timer: %s, vector 0x%02x, %s",
		      mvm_lapic_timer_mode_name(l.timer_mode), l.timer_vector,
		      l.timer_masked ? "masked" : "unmasked");
	if (!l.timer_masked && v->handler[l.timer_vector])
		dbg_text_add(t, DBG_A_NORMAL, ", handler 0x%llx",
			     (unsigned long long)v->handler[l.timer_vector]);
	dbg_text_line(t, DBG_A_NORMAL,
		      "  count: initial %u, current %u, divide by %u",
		      l.timer_initial, l.timer_current, l.timer_divide);
	dbg_text_line(t, DBG_A_NORMAL,
		      "  LINT0 %s%s  LINT1 %s%s  (delivery, SDM 11.5.1)",
		      mvm_ioapic_delivery_name(l.lint0 >> 8 & 7),
		      l.lint0 >> 16 & 1 ? " masked" : "",
		      mvm_ioapic_delivery_name(l.lint1 >> 8 & 7),
		      l.lint1 >> 16 & 1 ? " masked" : "");
}

static void render_kernel(const struct dbg_irqview *v, struct dbg_text *t)
{
	static const char *const name[2] = {"master", "slave"};

	if (!v->have_kchip) {
		dbg_text_line(t, DBG_A_ERROR, "KVM_GET_IRQCHIP failed");
		return;
	}
	pic_head(t, "8259A");
	for (int i = 0; i < 2; i++) {
		const struct kvm_pic_state *p = &v->kpic[i].chip.pic;
		char mode[24], e[9];

		snprintf(mode, sizeof(mode), "ELCR %s", bits8(p->elcr, e));
		pic_row(t, name[i], p->irr, p->isr, p->imr, p->irq_base, mode);
	}
	pic_routes(
		v,
		(uint8_t[]){v->kpic[0].chip.pic.imr, v->kpic[1].chip.pic.imr},
		(uint8_t[]){v->kpic[0].chip.pic.irq_base,
			    v->kpic[1].chip.pic.irq_base},
		t);
	render_ioapic(v, t);
	if (v->have_lapic)
		render_lapic(v, t);
	else
		dbg_text_line(t, DBG_A_ERROR, "KVM_GET_LAPIC failed");
}

void dbg_render_irq(const struct dbg_irqview *v, struct dbg_text *t)
{
	render_cpu(v, t);
	switch (v->chip) {
	case MVM_IRQCHIP_USER:
		dbg_text_line(t, DBG_A_NORMAL,
			      "controller: user-space 8259A pair (the VMM "
			      "injects with KVM_INTERRUPT)");
		if (v->have_upic)
			render_upic(v, t);
		break;
	case MVM_IRQCHIP_KERNEL:
		dbg_text_line(t, DBG_A_NORMAL,
			      "controller: KVM's PIC + I/O APIC + LAPIC; lines "
			      "by %s, no exits",
			      v->irqfd ? "irqfd" : "KVM_IRQ_LINE");
		render_kernel(v, t);
		break;
	default:
		dbg_text_line(t, DBG_A_DIM,
			      "controller: none (mvmdbg --irqchip user|kernel "
			      "gives the machine one)");
	}
}
