/*
 * run_irq.c - `mvm run --irqchip none|user|kernel [--irqfd]`: Lab 3's
 * three delivery paths from the command line (machine.h):
 *
 *   --irqchip user          the library's 8259A and 8254 in user space;
 *                           every interrupt is injected by mvm
 *                           (KVM_INTERRUPT from the pre-entry hook)
 *   --irqchip kernel        KVM's PIC, I/O APIC, LAPICs and PIT; device
 *                           lines with KVM_IRQ_LINE
 *   --irqchip kernel --irqfd  the same chip, device lines as irqfds:
 *                           the UART's interrupt never passes through
 *                           mvm's code
 *
 * --stats then adds what the user-space PIC counted (interrupts
 * injected, interrupt windows asked for, spurious acks, kicks) or which
 * lines are irqfds. The default is no controller (the first labs'
 * guests need none).
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "minivmm/minivmm.h"
#include "run_irq.h"

static enum mvm_irqchip chip = MVM_IRQCHIP_NONE;
static int irqfd;
static struct mvm_pic *pic;
static struct mvm_pit *pit;

int runirq_option(const char *cmd, int c, const char *arg)
{
	if (c == RUNIRQ_OPT_IRQFD) {
		irqfd = 1;
		return 0;
	}
	if (!strcmp(arg, "none"))
		chip = MVM_IRQCHIP_NONE;
	else if (!strcmp(arg, "user"))
		chip = MVM_IRQCHIP_USER;
	else if (!strcmp(arg, "kernel"))
		chip = MVM_IRQCHIP_KERNEL;
	else {
		cli_error(cmd, "bad --irqchip '%s': use none, user or kernel",
			  arg);
		return -EINVAL;
	}
	return 0;
}

int runirq_check(const char *cmd)
{
	if (irqfd && chip == MVM_IRQCHIP_NONE)
		chip = MVM_IRQCHIP_KERNEL; /* --irqfd alone: KVM's chip */
	if (irqfd && chip != MVM_IRQCHIP_KERNEL) {
		cli_error(cmd, "--irqfd needs --irqchip kernel: an irqfd is "
			       "KVM's way into its own interrupt controller");
		return -EINVAL;
	}
	return 0;
}

void runirq_usage(FILE *f)
{
	fprintf(f,
		"      --irqchip CHIP  none (default), user (mvm's 8259A + "
		"8254, each\n"
		"                      interrupt injected by mvm) or kernel "
		"(KVM's PIC,\n"
		"                      IOAPIC, LAPIC, PIT)\n"
		"      --irqfd         device lines as irqfds into KVM's chip "
		"(implies\n"
		"                      --irqchip kernel)\n");
}

void runirq_config(struct mvm_machine_config *cfg)
{
	cfg->irqchip = chip;
	cfg->irq_flags = irqfd ? MVM_MIRQ_IRQFD : 0;
	/* HLT waits for the next interrupt where mvm delivers them (KVM
	 * keeps HLT in the kernel with its own chip). */
	if (chip == MVM_IRQCHIP_USER)
		cfg->hlt = MVM_HLT_WAIT;
}

int runirq_attach(const char *cmd, struct mvm_machine *m)
{
	int rc;

	if (chip != MVM_IRQCHIP_USER)
		return 0;
	rc = mvm_pic_create(mvm_machine_log(m), &pic);
	rc = rc ? rc : mvm_pic_attach(pic, m);
	rc = rc ? rc : mvm_pit_create(mvm_machine_log(m), &pit);
	rc = rc ? rc : mvm_pit_attach(pit, m);
	if (rc < 0)
		cli_error(cmd, "cannot attach the user-space 8259A/8254: %s",
			  strerror(-rc));
	return rc;
}

void runirq_report(FILE *f, struct mvm_machine *m)
{
	struct mvm_pic_stats st;
	struct mvm_irq_line *line;

	if (pic) {
		mvm_pic_get_stats(pic, &st);
		fprintf(f,
			"interrupts (user-space 8259A): %llu injected, %llu "
			"interrupt windows, %llu spurious, %llu kicks, %llu "
			"merged\n",
			(unsigned long long)st.injected,
			(unsigned long long)st.windows,
			(unsigned long long)st.spurious,
			(unsigned long long)st.kicks,
			(unsigned long long)st.merged);
	}
	if (pit)
		fprintf(f,
			"timer (user-space 8254): %llu ticks delivered of "
			"%llu periods\n",
			(unsigned long long)mvm_pit_ticks(pit),
			(unsigned long long)mvm_pit_expirations(pit));
	if (chip == MVM_IRQCHIP_KERNEL)
		fprintf(f,
			"interrupts: KVM's in-kernel chip%s (delivered "
			"inside KVM: no exits to count here)\n",
			irqfd ? ", device lines as irqfds" : "");
	if (irqfd && mvm_machine_irq_line(m, MVM_IRQ_COM1, &line) == 0)
		fprintf(f, "  COM1 (GSI %u): irqfd %d\n", mvm_irq_gsi(line),
			mvm_irq_eventfd(line));
}

void runirq_detach(void)
{
	mvm_pit_destroy(pit);
	pit = NULL;
}

void runirq_free(void)
{
	mvm_pic_destroy(pic);
	pic = NULL;
}
