/*
 * dbgirq.c - the debugger on Lab 3's interrupt paths (irqpane.h): the
 * machine's controller from --irqchip, the `irq` command, and `break
 * irq`.
 *
 * Where can a debugger see an interrupt being injected? Only where the
 * VMM injects it. With the user-space 8259A (--irqchip user) that is
 * the pre-entry hook: right before KVM_RUN it acknowledges the PIC
 * (INTA) and hands the vector to KVM_INTERRUPT (pic.h). The debugger
 * puts its own hook around the PIC's: when the PIC's count of
 * injections moved and an irq breakpoint is set, it reads the vector
 * KVM now holds (KVM_GET_VCPU_EVENTS: interrupt.injected) and kicks the
 * vCPU (vm.h), so the run step returns KVM_EXIT_INTR before entering
 * the guest. The guest stops with the interrupt queued and RIP where it
 * will be interrupted; the status line names the IRQ, the vector and
 * the handler the IDT gives it, and `break HANDLER`, `cont` stops on the
 * handler's first instruction, and so does `stepi` (stepframe.c keeps
 * the step's TF out of the interrupt frame).
 *
 * With KVM's in-kernel chip, KVM_IRQ_LINE or an irqfd raises the line
 * and KVM delivers the interrupt inside KVM_RUN: no exit, nothing for
 * a hook to see. There a hardware breakpoint on the handler is the way
 * (`break ADDR`, gdb's `hbreak`), and `break irq` says so.
 */
#include <errno.h>
#include <string.h>

#include "exec.h"
#include "irqpane.h"

/* Which IRQ a vector is on this 8259A pair: the vector minus the base
 * of the chip whose eight vectors hold it (ICW2), or -1. */
static int irq_of(struct mvm_pic *pic, unsigned vector)
{
	struct mvm_pic_regs r;

	for (int slave = 0; slave < 2; slave++) {
		mvm_pic_get_regs(pic, slave, &r);
		if (r.ready && vector >= r.vbase && vector < r.vbase + 8u)
			return (int)(vector - r.vbase) + 8 * slave;
	}
	return -1;
}

/*
 * Where the guest's IDT sends `vector`, as a linear address `break`
 * takes. Long mode: 16-byte gates, offset bits 0-15, 16-31 and 32-63 at
 * bytes 0, 6 and 8 (Intel SDM Vol. 3A 6.14.1); protected mode: 8-byte
 * gates, bytes 0 and 6 (6.11), plus CS's base (the course's guests use
 * one code segment); real mode: the IVT's offset:segment pairs (20.1.4).
 * 0, or -errno (not present, not readable).
 */
int dbg_idt_handler(struct dbg_session *s, unsigned vector, uint64_t *addr)
{
	const struct kvm_sregs *sr = &s->cur.sregs;
	uint8_t g[16];
	char err[160];
	int pm = !!(sr->cr0 & MVM_CR0_PE);
	unsigned size = !pm ? 4 : (sr->efer & MVM_EFER_LMA) ? 16 : 8;

	if (vector > 0xff || (uint64_t)vector * size + size - 1 > sr->idt.limit)
		return -ERANGE;
	if (dbg_read_virt(s, sr->idt.base + (uint64_t)vector * size, g, size,
			  err, sizeof(err)))
		return -EFAULT;
	if (!pm) {
		*addr = (uint64_t)(g[2] | g[3] << 8) * 16 + (g[0] | g[1] << 8);
		return 0;
	}
	if (!(g[5] & 0x80))
		return -ENOENT; /* P = 0 */
	*addr = (uint64_t)(g[0] | g[1] << 8) | (uint64_t)(g[6] | g[7] << 8)
						       << 16;
	if (size == 16)
		*addr |= (uint64_t)(g[8] | g[9] << 8 | g[10] << 16 |
				    (uint32_t)g[11] << 24)
			 << 32;
	else
		*addr += sr->cs.base;
	return 0;
}

static int irq_break_set(const struct dbg_bps *b)
{
	for (int i = 0; i < b->n; i++)
		if (b->bp[i].kind == DBG_BP_IRQ)
			return 1;
	return 0;
}

/* The PIC's hook, watched: an injection with `break irq` set stops the
 * guest before it runs (see the top of the file). */
static int pre_entry(void *ctx, struct mvm_vcpu *vcpu)
{
	struct dbg_session *s = ctx;
	struct mvm_pic_stats a, b;
	struct kvm_vcpu_events ev;
	char note[DBG_NOTE_LEN];

	s->bps.irq_pending = 0; /* the exit after the last kick is done */
	if (!irq_break_set(&s->bps))
		return mvm_pic_pre_entry(s->pic, vcpu);
	mvm_pic_get_stats(s->pic, &a);
	int rc = mvm_pic_pre_entry(s->pic, vcpu);
	mvm_pic_get_stats(s->pic, &b);
	if (rc || b.injected == a.injected)
		return rc;
	s->bps.irq_vector = -1u;
	if (mvm_vcpu_events_get(vcpu, &ev) == 0 && ev.interrupt.injected)
		s->bps.irq_vector = ev.interrupt.nr;
	int irq = s->bps.irq_vector <= 0xff ? irq_of(s->pic, s->bps.irq_vector)
					    : -1;
	s->bps.irq_line = irq < 0 ? 0 : (unsigned)irq;
	s->bps.irq_handler = 0;
	if (irq >= 0)
		dbg_idt_handler(s, s->bps.irq_vector, &s->bps.irq_handler);
	s->bps.irq_pending = 1;
	/* The KVM_EXIT_INTR the kick makes is the next exit logged. */
	if (irq >= 0)
		snprintf(note, sizeof(note),
			 "kick by mvmdbg: IRQ %d vector 0x%02x injected", irq,
			 s->bps.irq_vector);
	else
		snprintf(note, sizeof(note),
			 "kick by mvmdbg: an interrupt was injected");
	dbg_note_set(&s->notes, s->exits.seq + 1, note);
	mvm_vcpu_kick(vcpu);
	return 0;
}

int dbg_irq_attach(struct dbg_session *s)
{
	const struct mvm_log *log = mvm_machine_log(s->m);
	int rc;

	if (s->irqchip != MVM_IRQCHIP_USER)
		return 0;
	/* The same two chips `mvm run --irqchip user` attaches. */
	rc = mvm_pic_create(log, &s->pic);
	rc = rc ? rc : mvm_pic_attach(s->pic, s->m);
	rc = rc ? rc : mvm_pit_create(log, &s->pit);
	rc = rc ? rc : mvm_pit_attach(s->pit, s->m);
	if (rc) {
		dbg_status(s, 1, "cannot attach the user-space 8259A/8254: %s",
			   strerror(-rc));
		return rc;
	}
	s->bps.irq_pending = 0;
	mvm_vcpu_set_pre_entry(s->vcpu, pre_entry, s);
	return 0;
}

void dbg_irq_detach(struct dbg_session *s)
{
	mvm_pit_destroy(s->pit);
	s->pit = NULL;
}

void dbg_irq_free(struct dbg_session *s)
{
	mvm_pic_destroy(s->pic);
	s->pic = NULL;
}

int dbg_irq_break_check(struct dbg_session *s)
{
	if (s->irqchip == MVM_IRQCHIP_USER && s->pic)
		return 0;
	if (s->irqchip == MVM_IRQCHIP_KERNEL) {
		dbg_status(s, 1,
			   "break irq: not on this machine: KVM's in-kernel "
			   "chip%s injects inside KVM_RUN, with no exit to "
			   "mvmdbg; break on the handler instead: `break "
			   "ADDR` (a hardware breakpoint, gdb's hbreak)",
			   s->irq_flags & MVM_MIRQ_IRQFD ? " (with irqfd)"
							 : "");
		return -EINVAL;
	}
	dbg_status(s, 1,
		   "break irq: %s; start mvmdbg with --irqchip user (the VMM "
		   "injects) to stop on injections",
		   s->vm ? "this machine has no interrupt controller"
			 : "replay: no machine to inject into");
	return -EINVAL;
}

/* The kvm_run fields KVM sets on every exit (api.rst, "kvm_run"). */
static void read_run(struct dbg_session *s, struct dbg_irqview *v)
{
	struct kvm_run *run = mvm_vcpu_kvm_run(s->vcpu);

	v->have_run = 1;
	v->ready = run->ready_for_interrupt_injection;
	v->window = run->request_interrupt_window;
}

void dbg_irq_view(struct dbg_session *s, struct dbg_irqview *v)
{
	memset(v, 0, sizeof(*v));
	v->chip = s->irqchip;
	v->irqfd = !!(s->irq_flags & MVM_MIRQ_IRQFD);
	v->rflags = s->cur.regs.rflags;
	if (!s->vm)
		return; /* replay: registers only */
	read_run(s, v);
	for (unsigned i = 0; i < 256; i++)
		if (dbg_idt_handler(s, i, &v->handler[i]))
			v->handler[i] = 0;
	v->have_events = mvm_vcpu_events_get(s->vcpu, &v->ev) == 0;
	if (s->pic) {
		v->have_upic = 1;
		mvm_pic_get_regs(s->pic, 0, &v->upic[0]);
		mvm_pic_get_regs(s->pic, 1, &v->upic[1]);
		mvm_pic_get_stats(s->pic, &v->ustats);
	}
	if (s->irqchip == MVM_IRQCHIP_KERNEL) {
		struct mvm_vm *vm = s->vm;

		v->have_kchip =
			!mvm_vm_irqchip_get(vm, KVM_IRQCHIP_PIC_MASTER,
					    &v->kpic[0]) &&
			!mvm_vm_irqchip_get(vm, KVM_IRQCHIP_PIC_SLAVE,
					    &v->kpic[1]) &&
			!mvm_vm_irqchip_get(vm, KVM_IRQCHIP_IOAPIC, &v->ioapic);
		v->have_lapic = !mvm_vcpu_lapic_get(s->vcpu, &v->lapic);
	}
}

int cmd_irq(struct dbg_session *s, struct dbg_cmdline *c)
{
	(void)c;
	s->focus = DBG_P_IRQ;
	dbg_render_pane(s, DBG_P_IRQ, 0, &s->result);
	return 0;
}
