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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/layout.h"
#include "vpci.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

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
	put32(c + MVM_VPCI_DFSELECT, t->dfselect);
	put32(c + MVM_VPCI_DF, mvm_virtio_get_features(d, t->dfselect));
	put32(c + MVM_VPCI_GFSELECT, t->gfselect);
	put32(c + MVM_VPCI_GF, (uint32_t)drv);
	put16(c + MVM_VPCI_MSIX_CONFIG, MVM_VPCI_NO_VECTOR);
	put16(c + MVM_VPCI_NUM_QUEUES, (uint16_t)nq);
	c[MVM_VPCI_STATUS] = mvm_virtio_get_status(d);
	put16(c + MVM_VPCI_Q_SELECT, t->qsel);
	/* A queue's size reads as the maximum until the driver picks one;
	 * a queue that does not exist has size 0 (4.1.4.3). */
	if (!size)
		size = mvm_virtio_queue_get(d, q, MVM_VIRTQ_MAX);
	put16(c + MVM_VPCI_Q_SIZE, (uint16_t)size);
	put16(c + MVM_VPCI_Q_MSIX, MVM_VPCI_NO_VECTOR);
	put16(c + MVM_VPCI_Q_ENABLE,
	      (uint16_t)mvm_virtio_queue_get(d, q, MVM_VIRTQ_READY));
	put16(c + MVM_VPCI_Q_NOFF, (uint16_t)(q < nq ? q : 0));
	put64(c + MVM_VPCI_Q_DESC, mvm_virtio_queue_get(d, q, MVM_VIRTQ_DESC));
	put64(c + MVM_VPCI_Q_DRIVER,
	      mvm_virtio_queue_get(d, q, MVM_VIRTQ_AVAIL));
	put64(c + MVM_VPCI_Q_DEVICE,
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

/* A reset drops a pending interrupt too (the ISR is the device's). */
static void drop_irq(struct mvm_virtio_pci *t)
{
	pthread_mutex_lock(&t->dev->lock);
	t->dev->isr = 0;
	mvm_pci_set_intx(t->func, 0);
	pthread_mutex_unlock(&t->dev->lock);
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
	default: /* the MSI-X vectors: no MSI-X here */
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

static const struct mvm_dev_ops bar_ops = {
	.name = "virtio-pci",
	.read = bar_read,
	.write = bar_write,
};

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
	bar_read(t, NULL, o, v, n);
	mvm_pci_cfg_put(d, t->pcicfg + MVM_VPCI_CAP_DATA_OFF, v, sizeof(v));
}

static void pcicfg_write(void *ctx, struct mvm_pci_dev *d, uint32_t off,
			 uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint32_t o, n;
	uint8_t v[4];

	if (!touches_data(t, off, len) || window(t, &o, &n) < 0)
		return;
	mvm_pci_cfg_get(d, t->pcicfg + MVM_VPCI_CAP_DATA_OFF, v, sizeof(v));
	bar_write(t, NULL, o, v, n);
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
	put32(cap + MVM_VPCI_CAP_OFFSET_OFF, offset);
	put32(cap + MVM_VPCI_CAP_LENGTH_OFF, length);
	if (type == MVM_VPCI_CAP_NOTIFY)
		put32(cap + MVM_VPCI_CAP_MULT_OFF, MVM_VPCI_NOTIFY_MULT);
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

/* The device wants an interrupt (dev->lock held): assert INTx until the
 * driver reads the ISR. */
static void raise_irq(void *ctx, struct mvm_virtio_dev *dev, unsigned cause)
{
	struct mvm_virtio_pci *t = ctx;

	(void)dev, (void)cause;
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
	in.bar[MVM_VPCI_BAR] =
		(struct mvm_pci_bar){MVM_VPCI_BAR_SIZE, 0, &bar_ops, t};
	in.cfg_read = pcicfg_read;
	in.cfg_write = pcicfg_write;
	in.map = bar_map;
	in.ctx = t;
	rc = mvm_pci_add(pci, &in, &t->func);
	if (!rc)
		rc = add_caps(t);
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
	mvm_vgate_fini(&t->gate);
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
