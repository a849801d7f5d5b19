/*
 * pci_msifd.c - MSI-X messages through irqfd routes: the virtio-pci
 * fast path for completions (MVM_VIRTIO_PCI_MSI_IRQFD).
 *
 * Without it each message is one KVM_SIGNAL_MSI ioctl (api.rst 4.71)
 * from the thread that completed the buffer. With it, each vector that
 * can fire owns a GSI whose routing entry is the vector's message
 * (KVM_IRQ_ROUTING_MSI, api.rst 4.52) and an eventfd bound to that GSI
 * with KVM_IRQFD (4.75): the device thread's completion is an eventfd
 * write, and KVM delivers the message to the local APIC from the
 * eventfd's wake-up, as it would for a vhost worker or an assigned
 * device. The GSIs come from the machine's routing table (gsiroute.h),
 * which keeps the whole table since KVM_SET_GSI_ROUTING replaces it.
 *
 * When a vector has a route. PCI Local Bus Spec 3.0, 6.8.2.9: while a
 * vector is masked (its Mask bit, or Function Mask) the function must
 * not send its message; it sets the vector's Pending bit and sends the
 * message once the vector is unmasked. An irqfd cannot do that: KVM
 * delivers every write (api.rst 4.75 has no notion of a mask), and a
 * write to an irqfd whose GSI has no route is simply lost, Pending bit
 * and all. So removing the route while masked would be wrong, not just
 * slow. The design here:
 *
 *   - masking is decided where the event is, by the writer: the
 *     transport checks the mask bits under msix.lock before it writes
 *     the eventfd (pci_msix.c, event()); a masked vector's event sets
 *     its Pending bit, and the unmask sends it, through the route. The
 *     guest's mask write takes the same lock, so once it has completed
 *     no write for that vector happens until the unmask. A write made
 *     just before the mask may still be delivered after it, as a posted
 *     message already on its way would be on real hardware.
 *   - a route is made when MSI-X is enabled and the vector is unmasked
 *     with an MSI address (the first moment its message may be sent);
 *     it stays while the vector is masked (one KVM_SET_GSI_ROUTING per
 *     mask and unmask would cost far more than the messages);
 *   - a changed address or data is picked up when the vector is next
 *     unmasked (software changes an entry only while it is masked,
 *     6.8.2.9, else the result is undefined; the route is updated at
 *     once if it is changed unmasked anyway);
 *   - the route goes when MSI-X is disabled, the address stops being an
 *     MSI address (the event then takes the old path, which counts and
 *     drops it), or the transport is destroyed.
 *
 * A route that KVM refuses (no capability, no free GSI) leaves that
 * vector on KVM_SIGNAL_MSI, logged once.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "minivmm/gsiroute.h"
#include "minivmm/irq.h"
#include "minivmm/machine.h"
#include "vpci.h"

int mvm_vpci_msifd_start(struct mvm_virtio_pci *t)
{
	int rc;

	if (!t->m)
		return -EINVAL;
	rc = mvm_machine_gsi_routes(t->m, &t->msix.routes);
	if (rc < 0) {
		t->msix.routes = NULL;
		mvm_logf(t->dev->ctx.log, MVM_LOG_INFO,
			 "%s: no irqfd routes for MSI-X (%s): messages by "
			 "KVM_SIGNAL_MSI",
			 t->dev->ops->name, strerror(-rc));
	}
	t->msix.stats.irqfd = rc == 0;
	return rc;
}

static struct mvm_vm *vm_of(struct mvm_virtio_pci *t)
{
	return mvm_machine_vm(t->m);
}

/* Unbind, unroute, close: the vector goes back to KVM_SIGNAL_MSI. */
static void unroute(struct mvm_virtio_pci *t, unsigned v)
{
	struct vpci_msifd *f = &t->msix.fd[v];

	if (!f->routed)
		return;
	mvm_vm_irqfd(vm_of(t), f->gsi, f->efd, -1, 1);
	mvm_gsi_route_msi_del(t->msix.routes, f->gsi);
	close(f->efd);
	f->routed = 0;
	t->msix.stats.routes--;
}

/* Route vector v to (addr, data) with a new irqfd; 0 or -errno with
 * nothing left behind. The route comes before the binding, so the
 * irqfd never points at a GSI without a route. */
static int route(struct mvm_virtio_pci *t, unsigned v, uint64_t addr,
		 uint32_t data)
{
	struct vpci_msifd *f = &t->msix.fd[v];
	int rc;

	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->efd < 0)
		return -errno;
	rc = mvm_gsi_route_msi_add(t->msix.routes, addr, data, &f->gsi);
	if (rc == 0) {
		rc = mvm_vm_irqfd(vm_of(t), f->gsi, f->efd, -1, 0);
		if (rc < 0)
			mvm_gsi_route_msi_del(t->msix.routes, f->gsi);
	}
	if (rc < 0) {
		close(f->efd);
		return rc;
	}
	f->routed = 1;
	f->addr = addr;
	f->data = data;
	t->msix.stats.routes++;
	return 0;
}

/* Make vector v's route agree with its entry (msix.lock held). */
static void sync_one(struct mvm_virtio_pci *t, unsigned v)
{
	struct vpci_msix *x = &t->msix;
	const struct vpci_msix_entry *e = &x->table[v];
	struct vpci_msifd *f = &x->fd[v];
	uint64_t addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
	int rc = 0;

	if (!(x->ctrl & MVM_PCI_MSIX_ENABLE) || !mvm_msi_addr_valid(addr)) {
		unroute(t, v);
		return;
	}
	if ((x->ctrl & MVM_PCI_MSIX_FMASK) ||
	    (e->ctrl & MVM_PCI_MSIX_ENTRY_MASKED))
		return; /* nothing is sent: keep the route as it is */
	if (!f->routed)
		rc = route(t, v, addr, e->data);
	else if (f->addr != addr || f->data != e->data)
		rc = mvm_gsi_route_msi_set(x->routes, f->gsi, addr, e->data);
	if (rc == 0 && f->routed) {
		f->addr = addr;
		f->data = e->data;
	} else if (rc < 0) {
		unroute(t, v); /* a stale route must not fire */
		if (!x->route_warned++)
			mvm_logf(t->dev->ctx.log, MVM_LOG_WARN,
				 "%s: MSI-X vector %u: no irqfd route (%s): "
				 "sent by KVM_SIGNAL_MSI",
				 t->dev->ops->name, v, strerror(-rc));
	}
}

void mvm_vpci_msifd_sync(struct mvm_virtio_pci *t)
{
	if (!t->msix.routes)
		return;
	for (unsigned v = 0; v < t->msix.nvec; v++)
		sync_one(t, v);
}

int mvm_vpci_msifd_send(struct mvm_virtio_pci *t, unsigned v)
{
	struct vpci_msifd *f = &t->msix.fd[v];

	if (!t->msix.routes || !f->routed || eventfd_write(f->efd, 1) < 0)
		return 0;
	t->msix.stats.routed++;
	return 1;
}

void mvm_vpci_msifd_stop(struct mvm_virtio_pci *t)
{
	if (!t->msix.routes)
		return;
	pthread_mutex_lock(&t->msix.lock);
	for (unsigned v = 0; v < t->msix.nvec; v++)
		unroute(t, v);
	pthread_mutex_unlock(&t->msix.lock);
	t->msix.routes = NULL;
}
