/*
 * pci_kick.c - virtio-pci's fast path: kicks through ioeventfd.
 *
 * Plain virtio-pci costs one exit to user space per notification: the
 * guest's 16-bit write to the queue's notify address leaves the guest,
 * the bridge routes it to the transport, the vCPU thread calls the
 * device. With KVM_IOEVENTFD (api.rst 4.59) KVM itself recognises the
 * write, signals an eventfd and resumes the guest at once; a transport
 * thread wakes on the eventfd and calls the device.
 *
 * Unlike virtio-mmio's fixed block, a BAR moves: the guest may program
 * it anywhere and turn decoding on and off. The bridge tells us through
 * map() (pci.h) and the ioeventfds follow; while decoding is off, or the
 * BAR is outside the bridge's window, there are none.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "minivmm/layout.h"
#include "vpci.h"

static void *kick_thread(void *arg)
{
	struct mvm_virtio_pci *t = arg;

	mvm_virtio_serve_kicks(t->dev, t->kick, t->dev->ops->nqueues, t->stop,
			       &t->gate);
	return NULL;
}

/* (De)assign queue q's ioeventfd at notify base `at`: a 2-byte write of
 * any value (the driver writes the queue index, 4.1.5.2). */
static int kick_fd(struct mvm_virtio_pci *t, unsigned q, uint64_t at,
		   int deassign)
{
	return mvm_vm_ioeventfd(mvm_machine_vm(t->m),
				at + (uint64_t)q * MVM_VPCI_NOTIFY_MULT, 2, 0,
				NULL, t->kick[q], deassign);
}

/* Lock held. */
static void unmap_kicks(struct mvm_virtio_pci *t)
{
	if (!t->kick_at)
		return;
	for (unsigned q = 0; q < t->dev->ops->nqueues; q++)
		kick_fd(t, q, t->kick_at, 1);
	t->kick_at = 0;
}

void mvm_vpci_fast_map(struct mvm_virtio_pci *t, uint64_t addr)
{
	uint64_t at = addr + MVM_VPCI_NOTIFY;
	unsigned q;

	pthread_mutex_lock(&t->lock);
	if (!t->fast) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	unmap_kicks(t);
	/* Only where the bridge decodes: inside its MMIO window. */
	if (addr < MVM_PCI_MMIO_BASE ||
	    addr + MVM_VPCI_BAR_SIZE > MVM_PCI_MMIO_BASE + MVM_PCI_MMIO_SIZE) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	for (q = 0; q < t->dev->ops->nqueues; q++)
		if (kick_fd(t, q, at, 0) < 0)
			break;
	if (q < t->dev->ops->nqueues) {
		while (q--)
			kick_fd(t, q, at, 1);
		mvm_logf(t->dev->ctx.log, MVM_LOG_WARN,
			 "%s: no ioeventfd at 0x%llx: kicks exit",
			 t->dev->ops->name, (unsigned long long)at);
	} else {
		t->kick_at = at;
	}
	pthread_mutex_unlock(&t->lock);
}

int mvm_vpci_fast_start(struct mvm_virtio_pci *t)
{
	sigset_t all, old;
	int rc = 0;

	for (unsigned q = 0; q < t->dev->ops->nqueues && !rc; q++) {
		t->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->kick[q] < 0)
			rc = -errno;
	}
	if (!rc && (t->stop = eventfd(0, EFD_CLOEXEC)) < 0)
		rc = -errno;
	if (!rc) {
		/* The thread takes no signals: vCPU threads get the kicks. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = -pthread_create(&t->thread, NULL, kick_thread, t);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		t->have_thread = rc == 0;
	}
	if (rc) {
		mvm_logf(t->dev->ctx.log, MVM_LOG_INFO,
			 "%s: no ioeventfd fast path (%s): kicks exit",
			 t->dev->ops->name, strerror(-rc));
		mvm_vpci_fast_stop(t);
		return rc;
	}
	t->fast = 1;
	return 0;
}

void mvm_vpci_fast_stop(struct mvm_virtio_pci *t)
{
	uint64_t one = 1;

	pthread_mutex_lock(&t->lock);
	unmap_kicks(t);
	t->fast = 0;
	pthread_mutex_unlock(&t->lock);
	if (t->have_thread) {
		if (write(t->stop, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(t->thread);
		pthread_join(t->thread, NULL);
		t->have_thread = 0;
	}
	for (unsigned q = 0; q < MVM_VIRTIO_MAX_QUEUES; q++) {
		if (t->kick[q] >= 0)
			close(t->kick[q]);
		t->kick[q] = -1;
	}
	if (t->stop >= 0)
		close(t->stop);
	t->stop = -1;
}

struct vgate *mvm_vpci_gate(struct mvm_virtio_pci *t)
{
	return &t->gate;
}
