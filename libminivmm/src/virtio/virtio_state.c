/*
 * virtio_state.c - a virtio device's state in a snapshot, and back
 * (snapshot.h: a DEVICE section per device, by name and slot).
 *
 * What a device is, to a driver that comes back after a restore, is
 * what it could read and what it left there (virtio 1.2, chapter 2):
 * the accepted features, the status byte, the interrupt status,
 * ConfigGeneration, each queue's size, areas and ready bit, and the
 * device's private side of each split ring (2.7): the next avail slot
 * it pops, the used->idx it last published and the used_idx of its
 * last interrupt (EVENT_IDX, 2.7.10). The transport adds its selector
 * registers; the model (blk, balloon) its own state through
 * ops->save/load. virtio-console keeps nothing: keystrokes not yet
 * delivered to the guest (up to 256 bytes) are not saved.
 *
 * In-flight requests. A request is "in flight" from the pop to the
 * push. A snapshot is taken of a quiet machine: the machine's pause
 * closes the gate of every device thread (gate.c), and a thread leaves
 * its gate only after pushing every chain it popped, so no chain is
 * ever half-served in a snapshot. What the guest made available but the
 * device has not popped yet is still in the guest's avail ring (RAM)
 * and after last_avail: the device finds it again. Only the kick that
 * announced it may be lost (an ioeventfd count in the old process), so
 * a load ends by notifying every live queue once: a spurious kick pops
 * nothing (2.7.13.3 lets the device look at any time).
 *
 * The file is input (STYLE.md 5). A load does not copy the registers
 * in: it replays them through the same calls a driver's writes take
 * (virtio.c), so a size that is not a power of two, features never
 * offered, or ring areas outside guest RAM or misaligned are refused
 * exactly as they would be from a guest, and named in the log.
 */
#include <errno.h>
#include <string.h>

#include "machine/machine_internal.h"
#include "minivmm/state.h"
#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_mmio.h"
#include "virtio_internal.h"
#include "vpci.h"

#define VSTATE_MAGIC   0x54534956u /* "VIST" */
#define VSTATE_VERSION 1

/* One queue, as struct mvm_virtq holds it (counters left out). */
struct vq_saved {
	uint16_t size;		    /* QueueNum, 0: never set */
	uint16_t last_avail;	    /* next avail slot to pop */
	uint16_t used_idx;	    /* used->idx last published */
	uint16_t signalled;	    /* used_idx at the last interrupt */
	uint32_t ready;		    /* QueueReady */
	uint32_t pad;		    /* 0 */
	uint64_t desc, avail, used; /* the three areas' GPAs */
};

/* The blob after its struct mvm_devstate_hdr (state.h). */
struct vsaved {
	uint32_t device_id;  /* the model saved: must be the model here */
	uint32_t nqueues;    /* its queues */
	uint32_t transport;  /* MVM_VIRTIO_TRANSPORT_* */
	uint32_t sel[3];     /* device/driver feature select, queue select */
	uint64_t accepted;   /* driver features */
	uint32_t status;     /* MVM_VIRTIO_S_* */
	uint32_t isr;	     /* MVM_VIRTIO_INT_* pending */
	uint32_t config_gen; /* ConfigGeneration */
	uint32_t model_len;  /* bytes of model[] used */
	struct vq_saved q[MVM_VIRTIO_MAX_QUEUES];
	uint8_t model[MVM_VIRTIO_STATE_MAX]; /* ops->save's blob */
};

#define S_DRIVER_SIDE                                        \
	(MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER |    \
	 MVM_VIRTIO_S_FEATURES_OK | MVM_VIRTIO_S_DRIVER_OK | \
	 MVM_VIRTIO_S_FAILED)

static void save_dev(struct mvm_virtio_dev *d, struct vsaved *s, int *rc)
{
	pthread_mutex_lock(&d->lock);
	s->device_id = d->ops->device_id;
	s->nqueues = d->ops->nqueues;
	s->accepted = d->accepted;
	s->status = d->status;
	s->isr = d->isr;
	s->config_gen = d->config_gen;
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		const struct mvm_virtq *vq = &d->vq[q];

		s->q[q] = (struct vq_saved){
			vq->size,      vq->last_avail,	    vq->used_idx,
			vq->signalled, (uint32_t)vq->ready, 0,
			vq->desc,      vq->avail,	    vq->used};
	}
	*rc = d->ops->save ? d->ops->save(d, s->model, sizeof(s->model)) : 0;
	pthread_mutex_unlock(&d->lock);
	if (*rc >= 0) {
		s->model_len = (uint32_t)*rc;
		*rc = 0;
	}
}

/* Replay the driver's side of initialisation (3.1.1): features, status
 * up to FEATURES_OK, the queues, then DRIVER_OK, each through the call
 * a register write takes; a value that call refuses fails the load. */
static int replay(struct mvm_virtio_dev *d, const struct vsaved *s,
		  const struct mvm_log *log)
{
	uint8_t pre =
		(uint8_t)(s->status & S_DRIVER_SIDE & ~MVM_VIRTIO_S_DRIVER_OK);
	const char *name = d->ops->name;

	mvm_virtio_reset(d);
	mvm_virtio_set_features(d, 0, (uint32_t)s->accepted);
	mvm_virtio_set_features(d, 1, (uint32_t)(s->accepted >> 32));
	if (pre)
		mvm_virtio_set_status(d, pre);
	if (mvm_virtio_get_status(d) != pre) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "%s: status %#x with features %#llx refused (3.1.1)",
			 name, s->status, (unsigned long long)s->accepted);
		return -EINVAL;
	}
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		const struct vq_saved *v = &s->q[q];

		if ((v->size &&
		     mvm_virtio_queue_set(d, q, MVM_VIRTQ_SIZE, v->size)) ||
		    (v->ready && !v->size)) {
			mvm_logf(log, MVM_LOG_ERROR,
				 "%s: queue %u: size %u refused (a power of 2 "
				 "up to %u, 2.6)",
				 name, q, v->size, (unsigned)d->vq[q].max_size);
			return -EINVAL;
		}
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_DESC, v->desc);
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_AVAIL, v->avail);
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_USED, v->used);
		mvm_virtio_queue_set(d, q, MVM_VIRTQ_READY, v->ready ? 1 : 0);
	}
	if (s->status & MVM_VIRTIO_S_DRIVER_OK) {
		/* DRIVER_OK checks every ready queue's areas (virtio.c). */
		mvm_virtio_set_status(d, pre | MVM_VIRTIO_S_DRIVER_OK);
		if (mvm_virtio_get_status(d) !=
		    (pre | MVM_VIRTIO_S_DRIVER_OK)) {
			mvm_logf(log, MVM_LOG_ERROR,
				 "%s: a ready queue's areas are misaligned "
				 "or outside guest RAM (2.7)",
				 name);
			return -EINVAL;
		}
	}
	return 0;
}

/* The device's side: ring indices, ISR, generation, the model. */
static int load_dev(struct mvm_virtio_dev *d, const struct vsaved *s,
		    const struct mvm_log *log)
{
	int rc = 0;

	if (s->device_id != d->ops->device_id ||
	    s->nqueues != d->ops->nqueues || s->model_len > sizeof(s->model) ||
	    (s->status & ~(S_DRIVER_SIDE | MVM_VIRTIO_S_NEEDS_RESET)) ||
	    (s->isr & ~(MVM_VIRTIO_INT_VRING | MVM_VIRTIO_INT_CONFIG))) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "%s: the state is of another device (ID %u, %u "
			 "queues) or has unknown status/ISR bits (%#x/%#x)",
			 d->ops->name, s->device_id, s->nqueues, s->status,
			 s->isr);
		return -EINVAL;
	}
	rc = replay(d, s, log);
	if (rc)
		return rc;
	pthread_mutex_lock(&d->lock);
	for (unsigned q = 0; q < d->ops->nqueues; q++) {
		d->vq[q].last_avail = s->q[q].last_avail;
		d->vq[q].used_idx = s->q[q].used_idx;
		d->vq[q].signalled = s->q[q].signalled;
	}
	d->isr = s->isr;
	d->config_gen = s->config_gen;
	d->status |= (uint8_t)(s->status & MVM_VIRTIO_S_NEEDS_RESET);
	if (d->ops->load)
		rc = d->ops->load(d, s->model, s->model_len);
	else if (s->model_len)
		rc = -EINVAL;
	pthread_mutex_unlock(&d->lock);
	if (rc)
		mvm_logf(log, MVM_LOG_ERROR,
			 "%s: its own state (%u bytes) "
			 "refused",
			 d->ops->name, s->model_len);
	return rc;
}

/* Kicks the old process may have held: each live queue once. */
static void rekick(struct mvm_virtio_dev *d)
{
	for (unsigned q = 0; q < d->ops->nqueues; q++)
		if (mvm_virtio_queue_get(d, q, MVM_VIRTQ_READY))
			mvm_virtio_notify(d, q);
}

/* The device in slot, by layout.h's fixed assignment. */
static struct mvm_virtio_dev *slot_dev(const struct mvm_machine_virtio *v,
				       unsigned slot)
{
	if (!v)
		return NULL;
	switch (slot) {
	case MVM_VIRTIO_SLOT_BLK:
		return v->blk ? mvm_virtio_blk_dev(v->blk) : NULL;
	case MVM_VIRTIO_SLOT_RNG:
		return v->rng ? mvm_virtio_rng_dev(v->rng) : NULL;
	case MVM_VIRTIO_SLOT_CONSOLE:
		return v->console ? mvm_virtio_console_dev(v->console) : NULL;
	case MVM_VIRTIO_SLOT_BALLOON:
		return v->balloon ? mvm_virtio_balloon_dev(v->balloon) : NULL;
	}
	return NULL;
}

/* The transport's selectors out (load 0) or in (load 1). */
static void transport_regs(struct mvm_machine_virtio *v, unsigned slot,
			   uint32_t sel[3], int load)
{
	struct mvm_virtio_pci *t = v->vpci[slot];

	if (v->mmio[slot]) {
		mvm_virtio_mmio_regs(v->mmio[slot], sel, load);
		return;
	}
	pthread_mutex_lock(&t->lock);
	if (load) {
		t->dfselect = sel[0], t->gfselect = sel[1];
		t->qsel = (uint16_t)sel[2];
	} else {
		sel[0] = t->dfselect, sel[1] = t->gfselect, sel[2] = t->qsel;
	}
	pthread_mutex_unlock(&t->lock);
}

int mvm_machine_virtio_save_slot(struct mvm_machine *m, unsigned slot,
				 const char **name, void *buf, size_t len)
{
	struct mvm_machine_virtio *v = m->virtio;
	struct mvm_virtio_dev *d =
		slot < MVM_VIRTIO_MMIO_SLOTS ? slot_dev(v, slot) : NULL;
	struct vsaved s = {0};
	int rc;

	struct mvm_virtio_pci_msix mx;

	if (!d || (!v->mmio[slot] && !v->vpci[slot]))
		return 0;
	/* The MSI-X table (pci_msix.c) is not in the saved state yet: a
	 * restore would leave the driver's vectors unprogrammed, so refuse
	 * rather than resume a guest that waits for interrupts forever. */
	if (v->vpci[slot] &&
	    mvm_virtio_pci_msix_info(v->vpci[slot], &mx) == 0 && mx.enabled) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "%s: the driver enabled MSI-X, whose table snapshots "
			 "do not save yet: not saved",
			 d->ops->name);
		return -EOPNOTSUPP;
	}
	*name = d->ops->name;
	s.transport =
		v->pci ? MVM_VIRTIO_TRANSPORT_PCI : MVM_VIRTIO_TRANSPORT_MMIO;
	transport_regs(v, slot, s.sel, 0);
	save_dev(d, &s, &rc);
	if (rc < 0) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "%s: cannot save its state: %s", d->ops->name,
			 strerror(-rc));
		return rc;
	}
	return mvm_devstate_put(buf, len, VSTATE_MAGIC, VSTATE_VERSION, &s,
				sizeof(s));
}

int mvm_machine_virtio_load_slot(struct mvm_machine *m, unsigned slot,
				 const char *name, const void *buf, size_t len)
{
	struct mvm_machine_virtio *v = m->virtio;
	struct mvm_virtio_dev *d =
		slot < MVM_VIRTIO_MMIO_SLOTS ? slot_dev(v, slot) : NULL;
	struct vsaved s;
	int rc;

	if (!d || strcmp(d->ops->name, name)) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "virtio: the file has %s in slot %u, this machine %s",
			 name, slot, d ? d->ops->name : "nothing");
		return -ENOENT;
	}
	if (mvm_devstate_take(buf, len, VSTATE_MAGIC, VSTATE_VERSION, &s,
			      sizeof(s))) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "%s: a state blob of %zu bytes that is not this "
			 "build's (magic, version or size)",
			 name, len);
		return -EINVAL;
	}
	if (s.transport !=
	    (v->pci ? MVM_VIRTIO_TRANSPORT_PCI : MVM_VIRTIO_TRANSPORT_MMIO)) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "%s: saved on transport %u, restored on another", name,
			 s.transport);
		return -EINVAL;
	}
	rc = load_dev(d, &s, &m->log);
	if (rc)
		return rc;
	transport_regs(v, slot, s.sel, 1);
	if ((s.status & MVM_VIRTIO_S_DRIVER_OK) &&
	    !(s.status & MVM_VIRTIO_S_NEEDS_RESET))
		rekick(d);
	return 0;
}
