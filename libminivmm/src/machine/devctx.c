/*
 * devctx.c - what a device gets from the machine it is plugged into:
 * the guest-memory accessor and an interrupt line.
 *
 * A device model is written once and must work whatever interrupt
 * controller the machine has. So it never calls KVM_IRQ_LINE itself: it
 * asks the machine for a line on its GSI and raises, lowers or pulses it
 * (irq.h), and the line carries the level to KVM's in-kernel irqchip
 * (MVM_IRQCHIP_KERNEL), or to the user-space controller installed with
 * mvm_machine_set_irq_sink() (MVM_IRQCHIP_USER, Lab 3's 8259A). A machine
 * without interrupts (MVM_IRQCHIP_NONE) has no lines to give: -ENODEV.
 *
 * Guest memory is reached only through the memory map (memory.h): every
 * guest-physical address is checked against the slots, and writes the
 * VMM makes are recorded for dirty logging (live migration needs them).
 *
 * The machine owns the lines and destroys them before its VM.
 */
#include <errno.h>
#include <string.h>

#include "machine_internal.h"
#include "minivmm/gsiroute.h"

int mvm_machine_set_irq_sink(struct mvm_machine *m,
			     const struct mvm_irq_sink *sink)
{
	if (m->cfg.irqchip != MVM_IRQCHIP_USER || !sink || !sink->set_level)
		return -EINVAL;
	if (m->nlines)
		return -EBUSY; /* lines already point at the old sink */
	m->sink = *sink;
	m->have_sink = 1;
	/* The UART was made before there was a controller: wire it now. */
	if (m->devs.uart) {
		void *ctx;
		mvm_irq_fn *fn = mvm_machine_uart_irq(m, &ctx);

		if (fn)
			mvm_uart_set_irq(m->devs.uart, fn, ctx);
	}
	return 0;
}

/* The line for gsi, made on first use: one line per GSI, shared by the
 * devices on it (an ISA IRQ is one wire). */
int mvm_machine_irq_line(struct mvm_machine *m, unsigned gsi,
			 struct mvm_irq_line **out)
{
	enum mvm_irq_kind kind = MVM_IRQ_KERNEL;
	int rc;

	*out = NULL;
	if (m->cfg.irqchip == MVM_IRQCHIP_NONE)
		return -ENODEV;
	if (gsi >= MVM_MACHINE_GSIS)
		return -EINVAL;
	if (m->line[gsi]) {
		*out = m->line[gsi];
		return 0;
	}
	if (m->cfg.irqchip == MVM_IRQCHIP_USER) {
		if (!m->have_sink) {
			mvm_logf(&m->log, MVM_LOG_ERROR,
				 "GSI %u: no user-space interrupt controller "
				 "installed (mvm_machine_set_irq_sink)",
				 gsi);
			return -ENODEV;
		}
		kind = MVM_IRQ_USER;
	} else if (m->cfg.irq_flags & MVM_MIRQ_IRQFD) {
		kind = MVM_IRQ_IRQFD;
	}
	rc = mvm_irq_line_create(m->vm, kind, gsi, &m->sink, &m->line[gsi]);
	if (rc == 0) {
		m->nlines++;
		*out = m->line[gsi];
	}
	return rc;
}

int mvm_machine_dev_ctx(struct mvm_machine *m, int gsi, struct mvm_dev_ctx *ctx)
{
	int rc = 0;

	memset(ctx, 0, sizeof(*ctx));
	ctx->machine = m;
	ctx->mem = mvm_vm_mem(m->vm);
	ctx->log = &m->log;
	if (gsi >= 0)
		rc = mvm_machine_irq_line(m, (unsigned)gsi, &ctx->irq);
	return rc;
}

/* The UART's interrupt output, wired to COM1's line (uart.c calls this
 * when its IIR says an interrupt is pending or no longer is). */
static void uart_irq(void *ctx, int level)
{
	struct mvm_irq_line *line = ctx;

	if (level)
		mvm_irq_raise(line);
	else
		mvm_irq_lower(line);
}

mvm_irq_fn *mvm_machine_uart_irq(struct mvm_machine *m, void **ctx)
{
	struct mvm_irq_line *line;

	*ctx = NULL;
	if (m->cfg.irqchip == MVM_IRQCHIP_NONE ||
	    (m->cfg.irqchip == MVM_IRQCHIP_USER && !m->have_sink))
		return NULL;
	if (mvm_machine_irq_line(m, MVM_IRQ_COM1, &line) < 0)
		return NULL;
	*ctx = line;
	return uart_irq;
}

int mvm_machine_gsi_routes(struct mvm_machine *m, struct mvm_gsi_routes **out)
{
	int rc = 0;

	*out = NULL;
	if (m->cfg.irqchip != MVM_IRQCHIP_KERNEL)
		return -ENODEV;
	if (!m->routes)
		rc = mvm_gsi_routes_create(m->vm, &m->routes);
	*out = m->routes;
	return rc;
}

void mvm_machine_lines_destroy(struct mvm_machine *m)
{
	mvm_gsi_routes_destroy(m->routes);
	m->routes = NULL;
	for (unsigned i = 0; i < MVM_MACHINE_GSIS; i++) {
		mvm_irq_line_destroy(m->line[i]);
		m->line[i] = NULL;
	}
	m->nlines = 0;
}
