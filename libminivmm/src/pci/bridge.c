/*
 * bridge.c - building the PCI bus: the bridge object, plugging devices
 * in, placing their BARs, attaching to a machine.
 *
 * A PC's firmware enumerates the bus before the OS boots, gives every
 * BAR an address and writes each device's Interrupt Line register; the
 * OS then keeps or moves them. minivmm has no firmware, so this file
 * plays its part: BARs are packed into the windows of layout.h in the
 * order devices are plugged in, each aligned to its own size (the BAR's
 * low address bits are read-only, spec 6.2.5.1) and memory BARs to at
 * least a page, so no two devices share a page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/machine.h"
#include "pci_internal.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Give every BAR of d an address ("firmware" placement); all or none.
 * -ENOSPC when a window is full. */
static int place_bars(struct mvm_pci *pci, struct mvm_pci_dev *d)
{
	uint64_t mmio = pci->mmio_next, io = pci->io_next;

	for (int i = 0; i < MVM_PCI_NBARS; i++) {
		const struct mvm_pci_bar *b = &d->info.bar[i];
		uint64_t at;

		if (!b->size)
			continue;
		if (b->flags & MVM_PCI_BAR_IO) {
			at = align_up(io, b->size);
			if (at + b->size > MVM_PCI_IO_BASE + MVM_PCI_IO_SIZE)
				return -ENOSPC;
			io = at + b->size;
			d->home[i] = (uint32_t)at | MVM_PCI_BAR_IO;
			continue;
		}
		at = align_up(mmio, b->size > MVM_PAGE_SIZE ? b->size
							    : MVM_PAGE_SIZE);
		if (at + b->size > MVM_PCI_MMIO_BASE + MVM_PCI_MMIO_SIZE)
			return -ENOSPC;
		mmio = align_up(at + b->size, MVM_PAGE_SIZE);
		/* The window is below 4 GiB: a 64-bit BAR's upper half is 0. */
		d->home[i] =
			(uint32_t)at |
			(b->flags & (MVM_PCI_BAR_MEM64 | MVM_PCI_BAR_PREFETCH));
	}
	pci->mmio_next = mmio;
	pci->io_next = io;
	return 0;
}

static void set_int_line(struct mvm_pci *pci, struct mvm_pci_dev *d)
{
	if (d->info.intx && pci->line[d->slot % 4])
		d->cfg[MVM_PCI_INT_LINE] =
			(uint8_t)mvm_irq_gsi(pci->line[d->slot % 4]);
}

int mvm_pci_add(struct mvm_pci *pci, const struct mvm_pci_info *info,
		struct mvm_pci_dev **out)
{
	struct mvm_pci_dev *d;
	int rc;

	if (out)
		*out = NULL;
	if (!info || info->vendor == 0xffff)
		return -EINVAL;
	for (int i = 0; i < MVM_PCI_NBARS; i++)
		if (mvm_pci_bar_valid(info, i) < 0)
			return -EINVAL;
	if (pci->ndevs > MVM_PCI_MAX_DEVS)
		return -ENOSPC;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pci = pci;
	d->info = *info;
	pthread_mutex_lock(&pci->lock);
	d->slot = pci->ndevs;
	rc = place_bars(pci, d);
	if (rc == 0) {
		mvm_pci_cfg_init(d);
		set_int_line(pci, d);
		pci->dev[pci->ndevs++] = d;
	}
	pthread_mutex_unlock(&pci->lock);
	if (rc < 0) {
		mvm_logf(pci->log, MVM_LOG_ERROR,
			 "pci: no room for %s's BARs in the windows",
			 info->name ? info->name : "a device");
		free(d);
		return rc;
	}
	if (out)
		*out = d;
	return 0;
}

void mvm_pci_unplug(struct mvm_pci_dev *d)
{
	struct mvm_pci *pci;

	if (!d)
		return;
	pci = d->pci;
	pthread_mutex_lock(&pci->lock);
	d->intx = 0;
	mvm_pci_intx_update(pci, d);
	pci->dev[d->slot] = NULL;
	pthread_mutex_unlock(&pci->lock);
	free(d);
}

int mvm_pci_create(const struct mvm_log *log, struct mvm_pci **out)
{
	/* The host bridge: class 06h (bridge), subclass 00h (host), spec
	 * Appendix D; no BARs, no interrupt. */
	static const struct mvm_pci_info host = {
		.name = "host-bridge",
		.vendor = MVM_PCI_VENDOR_MINIVMM,
		.device = MVM_PCI_DEVICE_HOST,
		.class_code = 0x060000,
	};
	struct mvm_pci *pci = calloc(1, sizeof(*pci));
	int rc;

	*out = NULL;
	if (!pci)
		return -ENOMEM;
	pthread_mutex_init(&pci->lock, NULL);
	pci->log = log;
	pci->mmio_next = MVM_PCI_MMIO_BASE;
	pci->io_next = MVM_PCI_IO_BASE;
	rc = mvm_pci_add(pci, &host, NULL);
	if (rc < 0) {
		mvm_pci_destroy(pci);
		return rc;
	}
	*out = pci;
	return 0;
}

void mvm_pci_destroy(struct mvm_pci *pci)
{
	if (!pci)
		return;
	for (int s = 0; s < pci->ndevs; s++)
		free(pci->dev[s]); /* NULL once unplugged */
	pthread_mutex_destroy(&pci->lock);
	free(pci);
}

/* The four INTx lines; a machine without interrupts has none. */
static int get_lines(struct mvm_pci *pci, struct mvm_machine *m)
{
	for (unsigned p = 0; p < 4; p++) {
		int rc = mvm_machine_irq_line(m, MVM_PCI_INTX_GSI(p),
					      &pci->line[p]);

		if (rc == -ENODEV)
			return 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int mvm_pci_attach(struct mvm_pci *pci, struct mvm_machine *m)
{
	int rc;

	if (pci->attached)
		return -EBUSY;
	rc = mvm_machine_add_device(m, 0, MVM_PORT_PCI_CONFIG,
				    MVM_PORT_PCI_CONFIG_LEN,
				    &mvm_pci_config_ops, pci);
	if (!rc)
		rc = mvm_machine_add_device(m, 1, MVM_PCI_MMIO_BASE,
					    MVM_PCI_MMIO_SIZE,
					    &mvm_pci_mmio_ops, pci);
	if (!rc)
		rc = mvm_machine_add_device(m, 0, MVM_PCI_IO_BASE,
					    MVM_PCI_IO_SIZE, &mvm_pci_io_ops,
					    pci);
	if (!rc)
		rc = get_lines(pci, m);
	if (rc < 0) {
		mvm_logf(pci->log, MVM_LOG_ERROR,
			 "pci: cannot attach the host bridge: %s",
			 strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&pci->lock);
	pci->attached = 1;
	for (int s = 0; s < pci->ndevs; s++)
		if (pci->dev[s])
			set_int_line(pci, pci->dev[s]);
	pthread_mutex_unlock(&pci->lock);
	return 0;
}

uint64_t mvm_pci_bar_addr(struct mvm_pci_dev *d, int bar)
{
	uint64_t a;

	if (bar < 0 || bar >= MVM_PCI_NBARS)
		return 0;
	pthread_mutex_lock(&d->pci->lock);
	a = mvm_pci_bar_decode(d, bar);
	pthread_mutex_unlock(&d->pci->lock);
	return a;
}

int mvm_pci_slot(const struct mvm_pci_dev *d)
{
	return d->slot;
}
