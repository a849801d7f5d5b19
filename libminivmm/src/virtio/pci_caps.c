/*
 * pci_caps.c - a virtio device's place on the PCI bus: the function's
 * identity (4.1.2), the vendor capabilities that lead a driver to the
 * regions of BAR 0 (4.1.4), the PCI_CFG window into them (4.1.4.9), and
 * plugging it into the bridge. The registers themselves are pci.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/layout.h"
#include "vpci.h"

/* --- the PCI_CFG window (4.1.4.9) ----------------------------------------- */

/* The access the window describes now: 0 and *off, *len, or -EINVAL
 * (another BAR, a length other than 1, 2, 4, unaligned, outside). */
static int window(struct mvm_virtio_pci *t, uint32_t *off, uint32_t *len)
{
	uint8_t cap[MVM_VPCI_CAP_DATA_OFF];

	mvm_pci_cfg_get(t->func, t->pcicfg, cap, sizeof(cap));
	memcpy(off, cap + MVM_VPCI_CAP_OFFSET_OFF, 4);
	memcpy(len, cap + MVM_VPCI_CAP_LENGTH_OFF, 4);
	if (cap[MVM_VPCI_CAP_BAR_OFF] != MVM_VPCI_BAR ||
	    (*len != 1 && *len != 2 && *len != 4) || *off % *len ||
	    *off >= MVM_VPCI_BAR_SIZE)
		return -EINVAL;
	return 0;
}

/* Does [off, off + len) touch pci_cfg_data? */
static int touches_data(struct mvm_virtio_pci *t, uint32_t off, uint32_t len)
{
	uint32_t data = t->pcicfg + MVM_VPCI_CAP_DATA_OFF;

	return t->pcicfg && off < data + 4 && off + len > data;
}

static void pcicfg_read(void *ctx, struct mvm_pci_dev *d, uint32_t off,
			uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint32_t o, n;
	uint8_t v[4] = {0};

	if (!touches_data(t, off, len) || window(t, &o, &n) < 0)
		return;
	mvm_vpci_bar_ops.read(t, NULL, o, v, n);
	mvm_pci_cfg_put(d, t->pcicfg + MVM_VPCI_CAP_DATA_OFF, v, sizeof(v));
}

static void pcicfg_write(void *ctx, struct mvm_pci_dev *d, uint32_t off,
			 uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint32_t o, n;
	uint8_t v[4];

	mvm_vpci_msix_cfg_write(t, off, len); /* MSI-X Message Control */
	if (!touches_data(t, off, len) || window(t, &o, &n) < 0)
		return;
	mvm_pci_cfg_get(d, t->pcicfg + MVM_VPCI_CAP_DATA_OFF, v, sizeof(v));
	mvm_vpci_bar_ops.write(t, NULL, o, v, n);
}

/* --- capabilities, create, destroy ----------------------------------------- */

/* struct virtio_pci_cap (4.1.4) for one region of BAR 0, plus `extra`
 * trailing bytes (notify multiplier, pci_cfg data). */
static int add_cap(struct mvm_virtio_pci *t, uint8_t type, uint32_t offset,
		   uint32_t length, uint32_t extra, const uint8_t *wmask)
{
	uint8_t cap[MVM_VPCI_CAP_DATA_OFF + 4] = {0};
	uint32_t len = MVM_VPCI_CAP_DATA_OFF + (extra ? 4 : 0);

	cap[0] = 0x09; /* vendor-specific (PCI spec 6.7, Appendix H) */
	cap[MVM_VPCI_CAP_LEN_OFF] = (uint8_t)len;
	cap[MVM_VPCI_CAP_TYPE_OFF] = type;
	cap[MVM_VPCI_CAP_BAR_OFF] = MVM_VPCI_BAR;
	vpci_put32(cap + MVM_VPCI_CAP_OFFSET_OFF, offset);
	vpci_put32(cap + MVM_VPCI_CAP_LENGTH_OFF, length);
	if (type == MVM_VPCI_CAP_NOTIFY)
		vpci_put32(cap + MVM_VPCI_CAP_MULT_OFF, MVM_VPCI_NOTIFY_MULT);
	return mvm_pci_add_cap(t->func, cap, len, wmask);
}

static int add_caps(struct mvm_virtio_pci *t)
{
	/* pci_cfg: the driver writes bar, offset, length and data. */
	uint8_t wm[MVM_VPCI_CAP_DATA_OFF + 4] = {0};
	unsigned nq = t->dev->ops->nqueues;
	int rc;

	wm[MVM_VPCI_CAP_BAR_OFF] = 0xff;
	memset(wm + MVM_VPCI_CAP_OFFSET_OFF, 0xff, 4);
	memset(wm + MVM_VPCI_CAP_LENGTH_OFF, 0xff, 4);
	memset(wm + MVM_VPCI_CAP_DATA_OFF, 0xff, 4);

	rc = add_cap(t, MVM_VPCI_CAP_COMMON, MVM_VPCI_COMMON,
		     MVM_VPCI_COMMON_LEN, 0, NULL);
	if (rc >= 0)
		rc = add_cap(t, MVM_VPCI_CAP_NOTIFY, MVM_VPCI_NOTIFY,
			     nq * MVM_VPCI_NOTIFY_MULT, 4, NULL);
	if (rc >= 0)
		rc = add_cap(t, MVM_VPCI_CAP_ISR, MVM_VPCI_ISR, 1, 0, NULL);
	/* Only a device with configuration fields has the capability. */
	if (rc >= 0 && t->dev->ops->config_len)
		rc = add_cap(t, MVM_VPCI_CAP_DEVICE, MVM_VPCI_DEVICE,
			     t->dev->ops->config_len, 0, NULL);
	if (rc >= 0)
		rc = add_cap(t, MVM_VPCI_CAP_PCI, 0, 0, 4, wm);
	if (rc >= 0)
		t->pcicfg = (uint8_t)rc;
	return rc < 0 ? rc : 0;
}

/* The device wants an interrupt (dev->lock held): a message if the
 * driver enabled MSI-X, else assert INTx until the driver reads the ISR. */
static void raise_irq(void *ctx, struct mvm_virtio_dev *dev, unsigned cause)
{
	struct mvm_virtio_pci *t = ctx;

	(void)dev;
	if (!mvm_vpci_msix_irq(t, cause))
		mvm_pci_set_intx(t->func, 1);
}

static void bar_map(void *ctx, int bar, uint64_t addr)
{
	struct mvm_virtio_pci *t = ctx;

	if (bar == MVM_VPCI_BAR)
		mvm_vpci_fast_map(t, addr);
}

/* PCI class by device type (PCI spec Appendix D); informational. */
static uint32_t class_of(uint32_t id)
{
	switch (id) {
	case MVM_VIRTIO_ID_BLOCK:
		return 0x018000; /* mass storage, other */
	case MVM_VIRTIO_ID_CONSOLE:
		return 0x078000; /* communication, other */
	case MVM_VIRTIO_ID_NET:
		return 0x020000; /* network, Ethernet */
	default:
		return 0xff0000; /* no defined class */
	}
}

int mvm_virtio_pci_create(struct mvm_pci *pci, struct mvm_machine *m,
			  struct mvm_virtio_dev *dev, unsigned flags,
			  struct mvm_virtio_pci **out)
{
	struct mvm_pci_info in = {0};
	struct mvm_virtio_pci *t;
	int rc;

	*out = NULL;
	if (!pci || !dev || !dev->ops)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->msix.lock, NULL);
	mvm_vgate_init(&t->gate);
	t->dev = dev;
	t->m = m;
	t->stop = -1;
	for (unsigned q = 0; q < MVM_VIRTIO_MAX_QUEUES; q++)
		t->kick[q] = -1;
	in.name = dev->ops->name;
	in.vendor = MVM_VPCI_VENDOR;
	in.device = (uint16_t)(MVM_VPCI_DEVICE_BASE + dev->ops->device_id);
	in.revision = 1; /* modern-only devices: 1 or higher (4.1.2.1) */
	in.class_code = class_of(dev->ops->device_id);
	in.subsys_vendor = MVM_PCI_VENDOR_MINIVMM;
	in.subsys = MVM_PCI_DEVICE_HOST;
	in.intx = 1;
	in.bar[MVM_VPCI_BAR] = (struct mvm_pci_bar){MVM_VPCI_BAR_SIZE, 0,
						    &mvm_vpci_bar_ops, t};
	if (flags & MVM_VIRTIO_PCI_MSIX)
		in.bar[MVM_VPCI_MSIX_BAR] = (struct mvm_pci_bar){
			MVM_VPCI_MSIX_BAR_SIZE, 0, &mvm_vpci_msix_ops, t};
	in.cfg_read = pcicfg_read;
	in.cfg_write = pcicfg_write;
	in.map = bar_map;
	in.ctx = t;
	rc = mvm_pci_add(pci, &in, &t->func);
	if (!rc)
		rc = add_caps(t);
	if (!rc && (flags & MVM_VIRTIO_PCI_MSIX))
		rc = mvm_vpci_msix_add(t);
	if (!rc && m && (flags & MVM_VIRTIO_PCI_MSIX) &&
	    (flags & MVM_VIRTIO_PCI_MSI_IRQFD))
		mvm_vpci_msifd_start(t); /* falls back to KVM_SIGNAL_MSI */
	/* A device that wants its kicks on the vCPU thread keeps them. */
	if (!rc && m && (flags & MVM_VIRTIO_PCI_FAST) &&
	    !dev->ops->notify_on_vcpu)
		mvm_vpci_fast_start(t); /* falls back to plain, logged */
	if (rc) {
		mvm_pci_unplug(t->func); /* nothing may route to t now */
		mvm_virtio_pci_destroy(t);
		return rc;
	}
	pthread_mutex_lock(&dev->lock);
	dev->irq = raise_irq;
	dev->irq_ctx = t;
	pthread_mutex_unlock(&dev->lock);
	*out = t;
	return 0;
}

void mvm_virtio_pci_destroy(struct mvm_virtio_pci *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->dev->lock);
	if (t->dev->irq_ctx == t)
		t->dev->irq = NULL;
	pthread_mutex_unlock(&t->dev->lock);
	mvm_vpci_fast_stop(t);
	mvm_vpci_msifd_stop(t);
	mvm_vgate_fini(&t->gate);
	pthread_mutex_destroy(&t->msix.lock);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct mvm_pci_dev *mvm_virtio_pci_func(struct mvm_virtio_pci *t)
{
	return t->func;
}

int mvm_virtio_pci_fast(const struct mvm_virtio_pci *t)
{
	return t->fast;
}
