/*
 * pci_msix.c - MSI-X for the virtio-pci transport: message-signalled
 * interrupts instead of the shared INTx line.
 *
 * With INTx every event of a device (and of every device on the same
 * line) is one level interrupt; the driver reads the ISR to learn why and
 * to lower it, one more exit. MSI-X (PCI Local Bus Spec 3.0, 6.8.2) gives
 * each event its own vector: the device "writes" a message the driver
 * chose (an address in the x86 MSI window 0xFEExxxxx naming the
 * destination APIC, and data naming the IDT vector, Intel SDM Vol. 3,
 * 11.11) and the guest's handler already knows which queue it is for.
 * virtio maps its events onto the table with two common-configuration
 * fields (virtio 1.2, 4.1.5.3): config_msix_vector and each queue's
 * queue_msix_vector.
 *
 * What the guest programs, and what this file checks:
 *
 *   capability  Message Control: Enable (bit 15), Function Mask (14);
 *               Table Size, Table and PBA offsets are read-only
 *   BAR 1       table entries (aligned 4- or 8-byte accesses only;
 *               address bits 1:0 and vector-control bits 31:1 are
 *               reserved and read 0); the PBA is read-only
 *   vectors     a number the table does not have is refused: the field
 *               reads NO_VECTOR afterwards, which is how a driver learns
 *               the mapping failed (4.1.5.1.2)
 *
 * An event whose vector is masked (entry or function) sets its pending
 * bit and is sent when the mask clears (6.8.2.9). A message whose address
 * is not an x86 MSI is counted and dropped, never handed to KVM. Delivery
 * is a write to the vector's irqfd when it has a route (the fast path,
 * pci_msifd.c: KVM sends the message itself), else one KVM_SIGNAL_MSI
 * (api.rst 4.71); either way from whichever thread completed the buffer,
 * so with ioeventfd kicks and the I/O thread an interrupt costs no exit.
 */
#include <errno.h>
#include <string.h>

#include "minivmm/gsiroute.h"
#include "minivmm/irq.h"
#include "minivmm/machine.h"
#include "vpci.h"

/* --- sending (msix.lock held) ---------------------------------------------- */

static void send(struct mvm_virtio_pci *t, unsigned v)
{
	struct vpci_msix *x = &t->msix;
	const struct vpci_msix_entry *e = &x->table[v];
	uint64_t addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;

	if (!mvm_msi_addr_valid(addr)) {
		if (!x->stats.refused++)
			mvm_logf(t->dev->ctx.log, MVM_LOG_WARN,
				 "%s: MSI-X vector %u: address 0x%llx is not "
				 "an MSI address; message dropped",
				 t->dev->ops->name, v,
				 (unsigned long long)addr);
		return;
	}
	if (mvm_vpci_msifd_send(t, v))
		; /* KVM sends it: counted there */
	else if (t->m &&
		 !mvm_vm_signal_msi(mvm_machine_vm(t->m), addr, e->data))
		x->stats.signalled++;
	x->stats.messages++;
	x->stats.last_addr = addr;
	x->stats.last_data = e->data;
}

static int masked(const struct vpci_msix *x, unsigned v)
{
	return (x->ctrl & MVM_PCI_MSIX_FMASK) ||
	       (x->table[v].ctrl & MVM_PCI_MSIX_ENTRY_MASKED);
}

/* An event for vector v: send it, hold it pending, or drop it. */
static void event(struct mvm_virtio_pci *t, uint16_t v)
{
	struct vpci_msix *x = &t->msix;

	if (v >= x->nvec) { /* NO_VECTOR: the driver wants none (4.1.5.3) */
		x->stats.unrouted++;
		return;
	}
	if (masked(x, v)) {
		x->pending |= 1u << v;
		x->stats.held++;
		return;
	}
	send(t, v);
}

/* Send what is pending and no longer masked. */
static void flush(struct mvm_virtio_pci *t)
{
	struct vpci_msix *x = &t->msix;

	if (!(x->ctrl & MVM_PCI_MSIX_ENABLE))
		return;
	for (unsigned v = 0; v < x->nvec; v++) {
		if (!(x->pending & (1u << v)) || masked(x, v))
			continue;
		x->pending &= ~(1u << v);
		send(t, v);
	}
}

/* --- the transport's hooks ------------------------------------------------- */

/*
 * The device calls its transport with a cause only (virtio.h), but MSI-X
 * needs the queue. Every queue interrupt bumps that queue's irqs counter
 * just before the call (ring.c, under dev->lock, which we hold), so the
 * queue whose counter moved since we last looked is the one.
 */
int mvm_vpci_msix_irq(struct mvm_virtio_pci *t, unsigned cause)
{
	struct vpci_msix *x = &t->msix;
	struct mvm_virtio_dev *d = t->dev;
	int on;

	if (!x->on)
		return 0;
	pthread_mutex_lock(&x->lock);
	on = !!(x->ctrl & MVM_PCI_MSIX_ENABLE);
	if (on && (cause & MVM_VIRTIO_INT_CONFIG))
		event(t, x->config_vec);
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		if (d->vq[q].irqs == x->seen[q])
			continue;
		x->seen[q] = d->vq[q].irqs;
		if (on && (cause & MVM_VIRTIO_INT_VRING))
			event(t, x->queue_vec[q]);
	}
	pthread_mutex_unlock(&x->lock);
	return on;
}

uint16_t mvm_vpci_msix_get(struct mvm_virtio_pci *t, int queue)
{
	struct vpci_msix *x = &t->msix;
	uint16_t v = MVM_VPCI_NO_VECTOR;

	if (!x->on)
		return v;
	pthread_mutex_lock(&x->lock);
	if (queue < 0)
		v = x->config_vec;
	else if ((unsigned)queue < t->dev->ops->nqueues)
		v = x->queue_vec[queue];
	pthread_mutex_unlock(&x->lock);
	return v;
}

void mvm_vpci_msix_set(struct mvm_virtio_pci *t, int queue, uint16_t vec)
{
	struct vpci_msix *x = &t->msix;

	if (!x->on)
		return;
	if (vec >= x->nvec) {
		if (vec != MVM_VPCI_NO_VECTOR)
			mvm_logf(t->dev->ctx.log, MVM_LOG_DEBUG,
				 "%s: MSI-X vector %u refused (table has %u)",
				 t->dev->ops->name, vec, x->nvec);
		vec = MVM_VPCI_NO_VECTOR;
	}
	pthread_mutex_lock(&x->lock);
	if (queue < 0)
		x->config_vec = vec;
	else if ((unsigned)queue < t->dev->ops->nqueues)
		x->queue_vec[queue] = vec;
	pthread_mutex_unlock(&x->lock);
}

/* A device reset unmaps every event; the table is the function's and
 * stays (only a PCI reset would clear it). */
void mvm_vpci_msix_reset(struct mvm_virtio_pci *t)
{
	struct vpci_msix *x = &t->msix;

	pthread_mutex_lock(&x->lock);
	x->config_vec = MVM_VPCI_NO_VECTOR;
	for (unsigned q = 0; q < MVM_VIRTIO_MAX_QUEUES; q++)
		x->queue_vec[q] = MVM_VPCI_NO_VECTOR;
	pthread_mutex_unlock(&x->lock);
}

void mvm_vpci_msix_cfg_write(struct mvm_virtio_pci *t, uint32_t off,
			     uint32_t len)
{
	struct vpci_msix *x = &t->msix;
	uint32_t at = x->cap + MVM_PCI_MSIX_CTRL;
	uint16_t ctrl;
	int enabled;

	if (!x->on || off >= at + 2 || off + len <= at)
		return;
	mvm_pci_cfg_get(t->func, at, &ctrl, sizeof(ctrl));
	pthread_mutex_lock(&x->lock);
	x->ctrl = ctrl;
	mvm_vpci_msifd_sync(t); /* routes follow Enable and Function Mask */
	flush(t);
	enabled = !!(ctrl & MVM_PCI_MSIX_ENABLE);
	pthread_mutex_unlock(&x->lock);
	/* With MSI-X on the function must not use INTx (6.8.2). */
	if (enabled)
		mvm_pci_set_intx(t->func, 0);
}

int mvm_vpci_msix_add(struct mvm_virtio_pci *t)
{
	struct vpci_msix *x = &t->msix;
	uint8_t cap[MVM_PCI_MSIX_CAP_LEN] = {0}, wm[MVM_PCI_MSIX_CAP_LEN] = {0};
	int at;

	x->nvec = (uint16_t)(t->dev->ops->nqueues + 1);
	cap[0] = MVM_PCI_CAP_ID_MSIX;
	vpci_put16(cap + MVM_PCI_MSIX_CTRL, (uint16_t)(x->nvec - 1));
	vpci_put32(cap + MVM_PCI_MSIX_TABLE,
		   MVM_VPCI_MSIX_TABLE | MVM_VPCI_MSIX_BAR);
	vpci_put32(cap + MVM_PCI_MSIX_PBA,
		   MVM_VPCI_MSIX_PBA | MVM_VPCI_MSIX_BAR);
	vpci_put16(wm + MVM_PCI_MSIX_CTRL,
		   MVM_PCI_MSIX_ENABLE | MVM_PCI_MSIX_FMASK);
	at = mvm_pci_add_cap(t->func, cap, sizeof(cap), wm);
	if (at < 0)
		return at;
	x->cap = (uint8_t)at;
	/* Every entry starts masked (6.8.2.9), every event unmapped. */
	for (unsigned v = 0; v < x->nvec; v++)
		x->table[v].ctrl = MVM_PCI_MSIX_ENTRY_MASKED;
	x->stats.vectors = x->nvec;
	x->on = 1;
	mvm_vpci_msix_reset(t);
	return 0;
}

int mvm_virtio_pci_msix_info(struct mvm_virtio_pci *t,
			     struct mvm_virtio_pci_msix *out)
{
	struct vpci_msix *x = &t->msix;

	memset(out, 0, sizeof(*out));
	if (!x->on)
		return -ENODEV;
	pthread_mutex_lock(&x->lock);
	*out = x->stats;
	out->enabled = !!(x->ctrl & MVM_PCI_MSIX_ENABLE);
	out->masked = !!(x->ctrl & MVM_PCI_MSIX_FMASK);
	pthread_mutex_unlock(&x->lock);
	return 0;
}

/* --- BAR 1: the table and the PBA ------------------------------------------ */

/* The dword at table offset off, or NULL outside the table. */
static uint32_t *entry_word(struct vpci_msix *x, uint64_t off)
{
	struct vpci_msix_entry *e;

	if (off >= (uint64_t)x->nvec * MVM_PCI_MSIX_ENTRY)
		return NULL;
	e = &x->table[off / MVM_PCI_MSIX_ENTRY];
	switch (off % MVM_PCI_MSIX_ENTRY) {
	case 0:
		return &e->addr_lo;
	case 4:
		return &e->addr_hi;
	case MVM_PCI_MSIX_ENTRY_DATA:
		return &e->data;
	default:
		return &e->ctrl;
	}
}

static uint32_t read32(struct vpci_msix *x, uint64_t off)
{
	uint32_t *w;

	if (off >= MVM_VPCI_MSIX_PBA)
		return off == MVM_VPCI_MSIX_PBA ? x->pending : 0;
	w = entry_word(x, off - MVM_VPCI_MSIX_TABLE);
	return w ? *w : 0;
}

static void write32(struct mvm_virtio_pci *t, uint64_t off, uint32_t v)
{
	struct vpci_msix *x = &t->msix;
	uint64_t o = off - MVM_VPCI_MSIX_TABLE;
	uint32_t *w = off < MVM_VPCI_MSIX_PBA ? entry_word(x, o) : NULL;

	if (!w) /* the PBA, or past the table: read-only (6.8.2.10) */
		return;
	if (o % MVM_PCI_MSIX_ENTRY == 0)
		v &= ~3u; /* DWORD-aligned address (6.8.2.5) */
	else if (o % MVM_PCI_MSIX_ENTRY == MVM_PCI_MSIX_ENTRY_CTRL)
		v &= MVM_PCI_MSIX_ENTRY_MASKED; /* the rest is reserved */
	*w = v;
	mvm_vpci_msifd_sync(t); /* the route follows the entry */
	flush(t);		/* an unmask sends what waited */
}

/* Software uses aligned DWORD or QWORD accesses only (6.8.2): others
 * read 0 and are dropped. */
static int access_ok(uint64_t off, uint32_t len)
{
	return (len == 4 || len == 8) && off % len == 0 &&
	       off + len <= MVM_VPCI_MSIX_BAR_SIZE;
}

static int msix_read(void *ctx, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint32_t w[2] = {0, 0};

	(void)vcpu;
	memset(data, 0, len);
	if (!access_ok(off, len))
		return 0;
	pthread_mutex_lock(&t->msix.lock);
	for (uint32_t i = 0; i < len / 4; i++)
		w[i] = read32(&t->msix, off + 4 * i);
	pthread_mutex_unlock(&t->msix.lock);
	memcpy(data, w, len);
	return 0;
}

static int msix_write(void *ctx, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	struct mvm_virtio_pci *t = ctx;
	uint32_t w[2];

	(void)vcpu;
	if (!access_ok(off, len))
		return 0;
	memcpy(w, data, len);
	pthread_mutex_lock(&t->msix.lock);
	for (uint32_t i = 0; i < len / 4; i++)
		write32(t, off + 4 * i, w[i]);
	pthread_mutex_unlock(&t->msix.lock);
	return 0;
}

const struct mvm_dev_ops mvm_vpci_msix_ops = {
	.name = "virtio-pci msix",
	.read = msix_read,
	.write = msix_write,
};
