/*
 * pci.c - the virtio-pci transport, modern interface (virtio 1.2, 4.1):
 * a virtio device (virtio.h) as a function on the PCI host bridge
 * (pci.h), its registers in BAR 0, found through vendor capabilities.
 *
 * The transport keeps only the three selector registers and the PCI_CFG
 * window; every other field reads from and writes to the device, as in
 * virtio-mmio. The common configuration structure is a packed C struct of
 * 8-, 16-, 32- and 64-bit fields (4.1.4.3) which drivers access at their
 * natural width, 64-bit ones often as two 32-bit halves (4.1.3.1). So a
 * write is handled per field: the bytes written are merged into the
 * field's current value and the whole value is set; an access that
 * spans two fields is dropped (reads of it give what the fields hold).
 * pci_caps.c puts the function on the bus and describes these regions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/layout.h"
#include "vpci.h"

/* --- common configuration (4.1.4.3) --------------------------------------- */

/* The whole structure as the driver would read it now. */
static void common_image(struct mvm_virtio_pci *t, uint8_t c[])
{
	struct mvm_virtio_dev *d = t->dev;
	unsigned q = t->qsel, nq = d->ops->nqueues;
	uint64_t size = mvm_virtio_queue_get(d, q, MVM_VIRTQ_SIZE);
	uint64_t drv;

	pthread_mutex_lock(&d->lock);
	drv = t->gfselect < 2 ? d->accepted >> (32 * t->gfselect) : 0;
	c[MVM_VPCI_CFG_GEN] = (uint8_t)d->config_gen;
	pthread_mutex_unlock(&d->lock);
	vpci_put32(c + MVM_VPCI_DFSELECT, t->dfselect);
	vpci_put32(c + MVM_VPCI_DF, mvm_virtio_get_features(d, t->dfselect));
	vpci_put32(c + MVM_VPCI_GFSELECT, t->gfselect);
	vpci_put32(c + MVM_VPCI_GF, (uint32_t)drv);
	vpci_put16(c + MVM_VPCI_MSIX_CONFIG, mvm_vpci_msix_get(t, -1));
	vpci_put16(c + MVM_VPCI_NUM_QUEUES, (uint16_t)nq);
	c[MVM_VPCI_STATUS] = mvm_virtio_get_status(d);
	vpci_put16(c + MVM_VPCI_Q_SELECT, t->qsel);
	/* A queue's size reads as the maximum until the driver picks one;
	 * a queue that does not exist has size 0 (4.1.4.3). */
	if (!size)
		size = mvm_virtio_queue_get(d, q, MVM_VIRTQ_MAX);
	vpci_put16(c + MVM_VPCI_Q_SIZE, (uint16_t)size);
	vpci_put16(c + MVM_VPCI_Q_MSIX, mvm_vpci_msix_get(t, (int)q));
	vpci_put16(c + MVM_VPCI_Q_ENABLE,
		   (uint16_t)mvm_virtio_queue_get(d, q, MVM_VIRTQ_READY));
	vpci_put16(c + MVM_VPCI_Q_NOFF, (uint16_t)(q < nq ? q : 0));
	vpci_put64(c + MVM_VPCI_Q_DESC,
		   mvm_virtio_queue_get(d, q, MVM_VIRTQ_DESC));
	vpci_put64(c + MVM_VPCI_Q_DRIVER,
		   mvm_virtio_queue_get(d, q, MVM_VIRTQ_AVAIL));
	vpci_put64(c + MVM_VPCI_Q_DEVICE,
		   mvm_virtio_queue_get(d, q, MVM_VIRTQ_USED));
}

/* The writable fields: offset and width. */
static const struct {
	uint8_t off, size;
} fields[] = {
	{MVM_VPCI_DFSELECT, 4}, {MVM_VPCI_GFSELECT, 4},
	{MVM_VPCI_GF, 4},	{MVM_VPCI_MSIX_CONFIG, 2},
	{MVM_VPCI_STATUS, 1},	{MVM_VPCI_Q_SELECT, 2},
	{MVM_VPCI_Q_SIZE, 2},	{MVM_VPCI_Q_MSIX, 2},
	{MVM_VPCI_Q_ENABLE, 2}, {MVM_VPCI_Q_DESC, 8},
	{MVM_VPCI_Q_DRIVER, 8}, {MVM_VPCI_Q_DEVICE, 8},
};

/* A reset drops a pending interrupt too (the ISR is the device's), and
 * unmaps the MSI-X vectors. */
static void drop_irq(struct mvm_virtio_pci *t)
{
	pthread_mutex_lock(&t->dev->lock);
	t->dev->isr = 0;
	mvm_pci_set_intx(t->func, 0);
	pthread_mutex_unlock(&t->dev->lock);
	mvm_vpci_msix_reset(t);
}

/* Set field `off` to v (lock held). */
static void common_set(struct mvm_virtio_pci *t, unsigned off, uint64_t v)
{
	struct mvm_virtio_dev *d = t->dev;
	unsigned q = t->qsel;

	switch (off) {
	case MVM_VPCI_DFSELECT:
		t->dfselect = (uint32_t)v;
		break;
	case MVM_VPCI_GFSELECT:
		t->gfselect = (uint32_t)v;
		break;
	case MVM_VPCI_GF:
		mvm_virtio_set_features(d, t->gfselect, (uint32_t)v);
		break;
	case MVM_VPCI_STATUS:
		mvm_virtio_set_status(d, (uint8_t)v);
		if (!v)
			drop_irq(t);
		break;
	case MVM_VPCI_Q_SELECT:
		t->qsel = (uint16_t)v;
		break;
	case MVM_VPCI_Q_SIZE:
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_SIZE, v);
		break;
	case MVM_VPCI_Q_ENABLE:
		/* A driver that kept the offered size never wrote it. */
		if ((v & 1) && !mvm_virtio_queue_get(d, q, MVM_VIRTQ_SIZE))
			mvm_virtio_queue_set(
				d, q, MVM_VIRTQ_SIZE,
				mvm_virtio_queue_get(d, q, MVM_VIRTQ_MAX));
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_READY, v & 1);
		break;
	case MVM_VPCI_Q_DESC:
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_DESC, v);
		break;
	case MVM_VPCI_Q_DRIVER:
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_AVAIL, v);
		break;
	case MVM_VPCI_Q_DEVICE:
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_USED, v);
		break;
	case MVM_VPCI_MSIX_CONFIG: /* checked against the table */
		mvm_vpci_msix_set(t, -1, (uint16_t)v);
		break;
	case MVM_VPCI_Q_MSIX:
		mvm_vpci_msix_set(t, (int)q, (uint16_t)v);
		break;
	default:
		break;
	}
}

static void common_write(struct mvm_virtio_pci *t, uint64_t off,
			 const uint8_t *data, uint32_t len)
{
	uint8_t c[MVM_VPCI_COMMON_LEN];

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t v = 0;

		if (off < fields[i].off ||
		    off + len > (uint64_t)fields[i].off + fields[i].size)
			continue;
		pthread_mutex_lock(&t->lock);
		common_image(t, c);
		memcpy(c + off, data, len);
		for (unsigned b = 0; b < fields[i].size; b++)
			v |= (uint64_t)c[fields[i].off + b] << (8 * b);
		common_set(t, fields[i].off, v);
		pthread_mutex_unlock(&t->lock);
		return;
	}
}

/* --- BAR 0 ---------------------------------------------------------------- */

/* ISR status (4.1.4.5): reading returns the cause bits and clears them,
 * which deasserts INTx. */
static uint8_t isr_read(struct mvm_virtio_pci *t)
{
	uint8_t v;

	pthread_mutex_lock(&t->dev->lock);
	v = (uint8_t)t->dev->isr;
	t->dev->isr = 0;
	mvm_pci_set_intx(t->func, 0);
	pthread_mutex_unlock(&t->dev->lock);
	return v;
}

static int bar_read(void *ctx, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		    uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint64_t o = off % MVM_VPCI_REGION;
	uint8_t c[MVM_VPCI_COMMON_LEN];

	(void)vcpu;
	memset(data, 0, len);
	switch (off - o) {
	case MVM_VPCI_COMMON:
		if (o + len > sizeof(c))
			return 0;
		pthread_mutex_lock(&t->lock);
		common_image(t, c);
		pthread_mutex_unlock(&t->lock);
		memcpy(data, c + o, len);
		return 0;
	case MVM_VPCI_ISR:
		if (o == 0)
			*(uint8_t *)data = isr_read(t);
		return 0;
	case MVM_VPCI_DEVICE:
		mvm_virtio_config_read(t->dev, (uint32_t)o, data, len);
		return 0;
	default: /* notify: write-only */
		return 0;
	}
}

static int bar_write(void *ctx, struct mvm_vcpu *vcpu, uint64_t off,
		     const void *data, uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint64_t o = off % MVM_VPCI_REGION;

	(void)vcpu;
	switch (off - o) {
	case MVM_VPCI_COMMON:
		if (o + len <= MVM_VPCI_COMMON_LEN)
			common_write(t, o, data, len);
		return 0;
	case MVM_VPCI_DEVICE:
		mvm_virtio_config_write(t->dev, (uint32_t)o, data, len);
		return 0;
	case MVM_VPCI_NOTIFY:
		/* The address says which queue (queue_notify_off = q). */
		if (o % MVM_VPCI_NOTIFY_MULT == 0)
			mvm_virtio_notify(t->dev,
					  (unsigned)(o / MVM_VPCI_NOTIFY_MULT));
		return 0;
	default: /* ISR: read-only */
		return 0;
	}
}

const struct mvm_dev_ops mvm_vpci_bar_ops = {
	.name = "virtio-pci",
	.read = bar_read,
	.write = bar_write,
};
