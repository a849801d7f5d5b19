/*
 * vmachine.c - a machine's virtio devices, made from its config
 * (machine.h: config.virtio, disk, disk_ro, virtio_transport,
 * virtio_plain).
 *
 * Each device goes to its own virtio-mmio slot (layout.h), so a guest
 * and the Linux command line find it at a fixed address and IRQ; with
 * the PCI transport, each is a function on the machine's PCI host bridge
 * (pci.h), in the same order, found by enumeration. The
 * devices' threads (the transports' ioeventfd threads, virtio-blk's I/O
 * thread) pause with the machine through one pause hook.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_internal.h"
#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_mmio.h"
#include "minivmm/virtio_pci.h"
#include "virtio_internal.h"
#include "vpci.h"

static void vpause(void *ctx)
{
	struct mvm_machine_virtio *v = ctx;

	for (int i = 0; i < MVM_VIRTIO_MMIO_SLOTS; i++) {
		if (v->mmio[i])
			mvm_vgate_pause(mvm_virtio_mmio_gate(v->mmio[i]));
		if (v->vpci[i])
			mvm_vgate_pause(mvm_vpci_gate(v->vpci[i]));
	}
	if (v->blk)
		mvm_vgate_pause(mvm_virtio_blk_gate(v->blk));
	if (v->console)
		mvm_vgate_pause(mvm_virtio_console_gate(v->console));
}

static void vresume(void *ctx)
{
	struct mvm_machine_virtio *v = ctx;

	if (v->console)
		mvm_vgate_resume(mvm_virtio_console_gate(v->console));
	if (v->blk)
		mvm_vgate_resume(mvm_virtio_blk_gate(v->blk));
	for (int i = 0; i < MVM_VIRTIO_MMIO_SLOTS; i++) {
		if (v->mmio[i])
			mvm_vgate_resume(mvm_virtio_mmio_gate(v->mmio[i]));
		if (v->vpci[i])
			mvm_vgate_resume(mvm_vpci_gate(v->vpci[i]));
	}
}

/* Put dev on slot's transport. */
static int plug(struct mvm_machine *m, struct mvm_virtio_dev *dev,
		unsigned slot)
{
	struct mvm_machine_virtio *v = m->virtio;
	unsigned flags = m->cfg.virtio_plain ? 0 : MVM_VIRTIO_MMIO_FAST;
	int rc;

	if (v->pci) {
		flags = m->cfg.virtio_plain ? 0 : MVM_VIRTIO_PCI_FAST;
		/* MSI-X needs a LAPIC to receive the messages. */
		if (m->cfg.irqchip == MVM_IRQCHIP_KERNEL)
			flags |= MVM_VIRTIO_PCI_MSIX;
		/* The fast path for completions too: irqfd MSI routes. */
		if (m->cfg.irqchip == MVM_IRQCHIP_KERNEL &&
		    !m->cfg.virtio_plain)
			flags |= MVM_VIRTIO_PCI_MSI_IRQFD;
		rc = mvm_virtio_pci_create(v->pci, m, dev, flags,
					   &v->vpci[slot]);
		if (!rc && mvm_virtio_pci_fast(v->vpci[slot]))
			v->fast = 1;
		return rc;
	}
	rc = mvm_virtio_mmio_create(m, dev, slot, flags, &v->mmio[slot]);
	if (!rc && mvm_virtio_mmio_fast(v->mmio[slot]))
		v->fast = 1;
	return rc;
}

int mvm_machine_virtio_attach(struct mvm_machine *m)
{
	const struct mvm_machine_config *c = &m->cfg;
	struct mvm_machine_virtio *v;
	struct mvm_dev_ctx ctx;
	int rc = 0;

	if (c->virtio_transport != MVM_VIRTIO_TRANSPORT_MMIO &&
	    c->virtio_transport != MVM_VIRTIO_TRANSPORT_PCI) {
		mvm_logf(&m->log, MVM_LOG_ERROR, "virtio: no transport %d",
			 c->virtio_transport);
		return -EINVAL;
	}
	if ((c->virtio & MVM_VIRTIO_DEV_BLK) && !c->disk) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "virtio-blk needs a disk file");
		return -EINVAL;
	}
	v = m->virtio = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	mvm_machine_dev_ctx(m, -1, &ctx);
	if (c->virtio_transport == MVM_VIRTIO_TRANSPORT_PCI)
		rc = mvm_pci_create(&m->log, &v->pci);
	if (!rc && (c->virtio & MVM_VIRTIO_DEV_BLK)) {
		rc = mvm_virtio_blk_create(&ctx, c->disk, c->disk_ro, &v->blk);
		if (!rc)
			rc = plug(m, mvm_virtio_blk_dev(v->blk),
				  MVM_VIRTIO_SLOT_BLK);
	}
	if (!rc && (c->virtio & MVM_VIRTIO_DEV_RNG)) {
		rc = mvm_virtio_rng_create(&ctx, &v->rng);
		if (!rc)
			rc = plug(m, mvm_virtio_rng_dev(v->rng),
				  MVM_VIRTIO_SLOT_RNG);
	}
	if (!rc && (c->virtio & MVM_VIRTIO_DEV_CONSOLE)) {
		rc = mvm_virtio_console_create(&ctx, c->out, c->out_ctx,
					       &v->console);
		if (!rc)
			rc = plug(m, mvm_virtio_console_dev(v->console),
				  MVM_VIRTIO_SLOT_CONSOLE);
	}
	if (!rc && (c->virtio & MVM_VIRTIO_DEV_BALLOON)) {
		rc = mvm_virtio_balloon_create(&ctx, &v->balloon);
		if (!rc)
			rc = plug(m, mvm_virtio_balloon_dev(v->balloon),
				  MVM_VIRTIO_SLOT_BALLOON);
	}
	if (!rc && v->pci)
		rc = mvm_pci_attach(v->pci, m);
	if (!rc)
		rc = mvm_machine_add_pause_hook(m, vpause, vresume, v);
	return rc; /* on failure mvm_machine_destroy() detaches */
}

void mvm_machine_virtio_detach(struct mvm_machine *m)
{
	struct mvm_machine_virtio *v = m->virtio;

	if (!v)
		return;
	/* Transports first: no kick reaches a device after this. */
	for (int i = 0; i < MVM_VIRTIO_MMIO_SLOTS; i++) {
		mvm_virtio_mmio_destroy(v->mmio[i]);
		mvm_virtio_pci_destroy(v->vpci[i]);
	}
	mvm_virtio_blk_destroy(v->blk);
	mvm_virtio_rng_destroy(v->rng);
	mvm_virtio_console_destroy(v->console);
	mvm_virtio_balloon_destroy(v->balloon);
	/* No vCPU runs again: the bus entries that name it go unused. */
	mvm_pci_destroy(v->pci);
	free(v);
	m->virtio = NULL;
}

const struct mvm_machine_virtio *mvm_machine_virtio(struct mvm_machine *m)
{
	return m->virtio;
}

int mvm_machine_virtio_cmdline(struct mvm_machine *m, char *buf, size_t size)
{
	size_t used = 0;
	int n;

	if (size)
		buf[0] = 0;
	for (unsigned i = 0; m->virtio && i < MVM_VIRTIO_MMIO_SLOTS; i++) {
		if (!m->virtio->mmio[i])
			continue;
		n = snprintf(buf + (used < size ? used : size),
			     used < size ? size - used : 0, "%s",
			     used ? " " : "");
		used += (size_t)n;
		n = mvm_virtio_mmio_cmdline(buf + (used < size ? used : size),
					    used < size ? size - used : 0, i);
		used += (size_t)n;
	}
	return (int)used;
}

/* The counters of one device's queues, appended to buf at *used. */
static void dev_stats(struct mvm_virtio_dev *d, char *buf, size_t size,
		      size_t *used)
{
	pthread_mutex_lock(&d->lock);
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		const struct mvm_virtq *vq = &d->vq[q];
		int n = snprintf(buf + (*used < size ? *used : size),
				 *used < size ? size - *used : 0,
				 "%s q%u: %llu kicks, %llu requests, %llu "
				 "interrupts\n",
				 d->ops->name, q, (unsigned long long)vq->kicks,
				 (unsigned long long)vq->pushes,
				 (unsigned long long)vq->irqs);

		*used += n > 0 ? (size_t)n : 0;
	}
	pthread_mutex_unlock(&d->lock);
}

/* The balloon's pages: what the host asked for, what the guest holds,
 * and how many went each way. */
static void balloon_stats(struct mvm_virtio_balloon *b, char *buf, size_t size,
			  size_t *used)
{
	struct mvm_virtio_balloon_info i;
	int n;

	mvm_virtio_balloon_info(b, &i);
	n = snprintf(buf + (*used < size ? *used : size),
		     *used < size ? size - *used : 0,
		     "virtio-balloon: target %u pages, actual %u, %llu "
		     "inflated, %llu deflated\n",
		     i.target, i.actual, (unsigned long long)i.inflated,
		     (unsigned long long)i.deflated);
	*used += n > 0 ? (size_t)n : 0;
}

/* One line per virtio-pci function that has MSI-X. */
static void msix_stats(const struct mvm_machine_virtio *v, char *buf,
		       size_t size, size_t *used)
{
	struct mvm_virtio_pci_msix x;

	for (int i = 0; i < MVM_VIRTIO_MMIO_SLOTS; i++) {
		int n;

		if (!v->vpci[i] || mvm_virtio_pci_msix_info(v->vpci[i], &x))
			continue;
		n = snprintf(buf + (*used < size ? *used : size),
			     *used < size ? size - *used : 0,
			     "%s msix: %s, %llu messages, %llu held while "
			     "masked, %llu unrouted, %llu refused; delivery "
			     "%s: %llu by irqfd route, %llu by "
			     "KVM_SIGNAL_MSI\n",
			     v->vpci[i]->dev->ops->name,
			     x.enabled ? "enabled" : "off",
			     (unsigned long long)x.messages,
			     (unsigned long long)x.held,
			     (unsigned long long)x.unrouted,
			     (unsigned long long)x.refused,
			     x.irqfd ? "irqfd routes" : "KVM_SIGNAL_MSI",
			     (unsigned long long)x.routed,
			     (unsigned long long)x.signalled);
		*used += n > 0 ? (size_t)n : 0;
	}
}

int mvm_machine_virtio_stats(struct mvm_machine *m, char *buf, size_t size)
{
	const struct mvm_machine_virtio *v = m->virtio;
	size_t used = 0;

	if (size)
		buf[0] = 0;
	if (v && v->blk)
		dev_stats(mvm_virtio_blk_dev(v->blk), buf, size, &used);
	if (v && v->rng)
		dev_stats(mvm_virtio_rng_dev(v->rng), buf, size, &used);
	if (v && v->console)
		dev_stats(mvm_virtio_console_dev(v->console), buf, size, &used);
	if (v && v->balloon)
		dev_stats(mvm_virtio_balloon_dev(v->balloon), buf, size, &used);
	if (v && v->balloon)
		balloon_stats(v->balloon, buf, size, &used);
	if (v)
		msix_stats(v, buf, size, &used);
	return (int)used;
}
