/*
 * host.c - the PCI host bridge: configuration mechanism #1, the BAR
 * windows, INTx.
 *
 * A PC reaches PCI configuration space through two 32-bit I/O registers
 * (PCI Local Bus Spec 3.0, 3.2.2.3.2): software writes CONFIG_ADDRESS
 * (0xCF8) with the enable bit, bus, device, function and dword register,
 * then moves 1, 2 or 4 bytes through CONFIG_DATA (0xCFC-0xCFF). Only a
 * whole-dword access at 0xCF8 is a CONFIG_ADDRESS access; anything else
 * there reads all ones and is dropped, like I/O no device decodes.
 *
 * BARs are not put on the machine's buses one by one: the bridge claims
 * two fixed windows (MMIO and I/O, layout.h) once, at attach time, and
 * routes each access inside them to whichever BAR decodes it now. So a
 * guest that moves a BAR or flips the Command register's decode bits
 * changes nothing but bytes in configuration space; no bus is edited
 * while vCPUs run, and a BAR the guest puts outside the windows simply
 * decodes nothing.
 *
 * Every access, however odd (a non-existent slot, an unaligned width,
 * a BAR full of garbage), ends in a configuration byte or all ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/machine.h"
#include "pci_internal.h"

/* Which BARs changed where they decode, for map() calls after unlock. */
struct remap {
	int n;
	int bar[MVM_PCI_NBARS];
	uint64_t addr[MVM_PCI_NBARS];
};

/* --- INTx --------------------------------------------------------------- */

/* The device's INTx reaches its line when it asks for it and Command's
 * Interrupt Disable is clear (spec 6.2.2); Status bit 3 shows the request
 * either way (6.2.3). The line is the OR of its devices. Lock held. */
int mvm_pci_intx_update(struct mvm_pci *pci, struct mvm_pci_dev *d)
{
	uint16_t cmd = mvm_pci_cfg16(d, MVM_PCI_COMMAND);
	int on = d->info.intx && d->intx && !(cmd & MVM_PCI_CMD_INTX_DISABLE);
	int p = d->slot % 4, rc = 0;

	if (d->intx)
		d->cfg[MVM_PCI_STATUS] |= MVM_PCI_STATUS_INTX;
	else
		d->cfg[MVM_PCI_STATUS] &= (uint8_t)~MVM_PCI_STATUS_INTX;
	if (on == d->intx_on)
		return 0;
	d->intx_on = on;
	pci->asserted[p] += on ? 1 : -1;
	if (pci->line[p] && on && pci->asserted[p] == 1)
		rc = mvm_irq_raise(pci->line[p]);
	else if (pci->line[p] && !on && pci->asserted[p] == 0)
		rc = mvm_irq_lower(pci->line[p]);
	return rc;
}

int mvm_pci_set_intx(struct mvm_pci_dev *d, int level)
{
	int rc;

	pthread_mutex_lock(&d->pci->lock);
	d->intx = !!level;
	rc = mvm_pci_intx_update(d->pci, d);
	pthread_mutex_unlock(&d->pci->lock);
	return rc;
}

/* --- configuration mechanism #1 ---------------------------------------- */

/* The device CONFIG_ADDRESS selects, or NULL: enable bit clear, another
 * bus, a function other than 0, an empty slot (spec 3.2.2.3.2). */
static struct mvm_pci_dev *selected(const struct mvm_pci *pci)
{
	uint32_t a = pci->addr, bus = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f;

	if (!(a & MVM_PCI_ADDR_ENABLE) || bus || (a >> 8) & 7)
		return NULL;
	return slot < (uint32_t)pci->ndevs ? pci->dev[slot] : NULL;
}

/* What a config write changed: INTx (Command bit 10) and BAR decoding
 * (Command bits 0-1, the BARs). Lock held. */
static void after_write(struct mvm_pci *pci, struct mvm_pci_dev *d,
			struct remap *r)
{
	mvm_pci_intx_update(pci, d);
	for (int i = 0; i < MVM_PCI_NBARS; i++) {
		uint64_t a = mvm_pci_bar_decode(d, i);

		if (a == d->mapped[i])
			continue;
		d->mapped[i] = a;
		r->bar[r->n] = i;
		r->addr[r->n++] = a;
	}
}

static int config_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       void *data, uint32_t len)
{
	struct mvm_pci *pci = dev;
	struct mvm_pci_dev *d;
	uint32_t v = 0xffffffffu;

	(void)vcpu;
	if (off > MVM_PORT_PCI_CONFIG_LEN || len > 4 ||
	    len > MVM_PORT_PCI_CONFIG_LEN - off) {
		memset(data, 0xff, len);
		return 0;
	}
	pthread_mutex_lock(&pci->lock);
	if (off == MVM_PCI_CONFIG_ADDRESS && len == 4) {
		v = pci->addr;
	} else if (off >= MVM_PCI_CONFIG_DATA && (d = selected(pci))) {
		uint32_t reg = (pci->addr & 0xfc) + (uint32_t)off - 4;

		if (reg >= MVM_PCI_CAP_START && d->info.cfg_read) {
			/* The device refreshes its bytes without our lock. */
			pthread_mutex_unlock(&pci->lock);
			d->info.cfg_read(d->info.ctx, d, reg, len);
			pthread_mutex_lock(&pci->lock);
		}
		v = mvm_pci_cfg_read(d, reg, len);
	}
	pthread_mutex_unlock(&pci->lock);
	memcpy(data, &v, len); /* x86: little-endian */
	return 0;
}

static int config_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
			const void *data, uint32_t len)
{
	struct mvm_pci *pci = dev;
	struct mvm_pci_dev *d = NULL;
	struct remap r = {0};
	uint32_t v = 0, reg = 0;

	(void)vcpu;
	if (off > MVM_PORT_PCI_CONFIG_LEN || len > 4 ||
	    len > MVM_PORT_PCI_CONFIG_LEN - off)
		return 0;
	memcpy(&v, data, len);
	pthread_mutex_lock(&pci->lock);
	if (off == MVM_PCI_CONFIG_ADDRESS && len == 4) {
		/* Bits 30:24 are reserved and 1:0 read as 0 (3.2.2.3.2). */
		pci->addr = v & 0x80fffffcu;
	} else if (off >= MVM_PCI_CONFIG_DATA && (d = selected(pci))) {
		reg = (pci->addr & 0xfc) + (uint32_t)off - 4;
		mvm_pci_cfg_write(d, reg, v, len);
		after_write(pci, d, &r);
	}
	pthread_mutex_unlock(&pci->lock);
	if (!d)
		return 0;
	for (int i = 0; i < r.n; i++)
		if (d->info.map)
			d->info.map(d->info.ctx, r.bar[i], r.addr[i]);
	if (reg >= MVM_PCI_CAP_START && d->info.cfg_write)
		d->info.cfg_write(d->info.ctx, d, reg, len);
	return 0;
}

/* RST#: every device back to power-on configuration, lines low, and
 * the models behind the BARs reset. */
static void config_reset(void *dev)
{
	struct mvm_pci *pci = dev;

	pthread_mutex_lock(&pci->lock);
	for (int s = 0; s < pci->ndevs; s++) {
		struct mvm_pci_dev *d = pci->dev[s];

		if (!d)
			continue;
		d->intx = 0;
		mvm_pci_intx_update(pci, d);
		mvm_pci_cfg_reset(d);
		memset(d->mapped, 0, sizeof(d->mapped));
	}
	pthread_mutex_unlock(&pci->lock);
	for (int s = 0; s < pci->ndevs; s++) {
		const struct mvm_pci_bar *b;

		if (!pci->dev[s])
			continue;
		b = pci->dev[s]->info.bar;

		for (int i = 0; i < MVM_PCI_NBARS; i++)
			if (b[i].size && b[i].ops->reset &&
			    (i == 0 || b[i].dev != b[i - 1].dev))
				b[i].ops->reset(b[i].dev);
	}
}

const struct mvm_dev_ops mvm_pci_config_ops = {
	.name = "pci-config",
	.read = config_read,
	.write = config_write,
	.reset = config_reset,
	.save = mvm_pci_state_save, /* pci_state.c */
	.load = mvm_pci_state_load,
};

/* --- the BAR windows ------------------------------------------------------ */

/* The BAR of the given kind that decodes all of [addr, addr + len). */
static const struct mvm_pci_bar *
route(struct mvm_pci *pci, int io, uint64_t addr, uint32_t len, uint64_t *off)
{
	const struct mvm_pci_bar *hit = NULL;

	pthread_mutex_lock(&pci->lock);
	for (int s = 1; s < pci->ndevs && !hit; s++) {
		struct mvm_pci_dev *d = pci->dev[s];

		for (int i = 0; d && i < MVM_PCI_NBARS && !hit; i++) {
			const struct mvm_pci_bar *b = &d->info.bar[i];
			uint64_t base = mvm_pci_bar_decode(d, i);

			if (!base || !(b->flags & MVM_PCI_BAR_IO) != !io ||
			    addr < base || addr - base >= b->size ||
			    len > b->size - (addr - base))
				continue;
			hit = b;
			*off = addr - base;
		}
	}
	pthread_mutex_unlock(&pci->lock);
	return hit;
}

/* Device models are called without the bridge's lock: they guard their
 * own state (machine.h, "Threads"). */
static int window_read(struct mvm_pci *pci, int io, uint64_t addr, void *data,
		       uint32_t len, struct mvm_vcpu *vcpu)
{
	uint64_t off;
	const struct mvm_pci_bar *b = route(pci, io, addr, len, &off);

	if (!b || !b->ops->read) {
		memset(data, 0xff, len); /* master abort: all ones */
		return 0;
	}
	return b->ops->read(b->dev, vcpu, off, data, len);
}

static int window_write(struct mvm_pci *pci, int io, uint64_t addr,
			const void *data, uint32_t len, struct mvm_vcpu *vcpu)
{
	uint64_t off;
	const struct mvm_pci_bar *b = route(pci, io, addr, len, &off);

	if (!b || !b->ops->write)
		return 0; /* nobody decodes it: dropped */
	return b->ops->write(b->dev, vcpu, off, data, len);
}

static int mmio_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	return window_read(dev, 0, MVM_PCI_MMIO_BASE + off, data, len, vcpu);
}

static int mmio_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	return window_write(dev, 0, MVM_PCI_MMIO_BASE + off, data, len, vcpu);
}

static int io_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		   uint32_t len)
{
	return window_read(dev, 1, MVM_PCI_IO_BASE + off, data, len, vcpu);
}

static int io_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		    const void *data, uint32_t len)
{
	return window_write(dev, 1, MVM_PCI_IO_BASE + off, data, len, vcpu);
}

const struct mvm_dev_ops mvm_pci_mmio_ops = {
	.name = "pci-mmio",
	.read = mmio_read,
	.write = mmio_write,
};

const struct mvm_dev_ops mvm_pci_io_ops = {
	.name = "pci-io",
	.read = io_read,
	.write = io_write,
};
