/*
 * virtio_pci.h - the virtio-pci transport, modern interface (virtio 1.2,
 * 4.1), on minivmm's PCI host bridge (pci.h).
 *
 * A virtio device (virtio.h) becomes a PCI function with vendor 0x1AF4
 * and device ID 0x1040 + its virtio device ID (4.1.2.1). Its registers
 * sit in one 16 KiB memory BAR, and vendor-specific capabilities (ID
 * 0x09, 4.1.4) in configuration space tell the driver where:
 *
 *   BAR 0 + 0x0000  common configuration (4.1.4.3): features, status,
 *                   queue select, size, enable, areas
 *   BAR 0 + 0x1000  ISR status, one byte; reading it clears it and
 *                   deasserts INTx (4.1.4.5)
 *   BAR 0 + 0x2000  device-specific configuration (4.1.4.6)
 *   BAR 0 + 0x3000  notifications: queue q at 0x3000 + 4 q (queue_notify_off
 *                   q, notify_off_multiplier 4; 4.1.4.4); the driver
 *                   writes the queue index there
 *
 * (the register numbers, which the guest's driver shares, are in
 * virtio_spec.h) plus a VIRTIO_PCI_CAP_PCI_CFG capability, the window into the BAR
 * through configuration space alone that the spec requires (4.1.4.9).
 * Each region has its own page so a guest maps them apart, and the
 * notify page can be handed to KVM alone.
 *
 * Interrupts are INTx by default: the device's INTA# through the bridge
 * to the machine's line (pci.h). With MVM_VIRTIO_PCI_MSIX (a machine with
 * the in-kernel irqchip) the function also has an MSI-X capability (PCI
 * Local Bus Spec 3.0, 6.8.2) whose table and pending-bit array live in
 * BAR 1:
 *
 *   BAR 1 + 0x000  MSI-X table: one 16-byte entry per vector; vector q
 *                  is meant for queue q, vector nqueues for config
 *   BAR 1 + 0x800  pending bits (PBA), read-only
 *
 * Once the driver sets MSI-X Enable, INTx is off and each event goes to
 * the vector the driver mapped it to (config_msix_vector, a queue's
 * queue_msix_vector, 4.1.5.3): with MVM_VIRTIO_PCI_MSI_IRQFD through an
 * irqfd bound to a GSI routed to the vector's message (KVM sends it,
 * no ioctl on the way; the machine's routing table, gsiroute.h), else
 * as a KVM_SIGNAL_MSI from the VMM. Without MSI-X enabled, or with the
 * flag absent, the vector fields read VIRTIO_MSI_NO_VECTOR (0xffff) and
 * INTx is used (4.1.5.4).
 *
 * Kicks, like virtio-mmio's (virtio_mmio.h): plain, every notify write
 * exits to user space and the vCPU thread calls the device; or fast
 * (MVM_VIRTIO_PCI_FAST), an ioeventfd per queue on its notify address
 * (re-registered when the guest moves the BAR or turns decoding off)
 * and a transport thread that calls the device.
 */
#ifndef MINIVMM_VIRTIO_PCI_H
#define MINIVMM_VIRTIO_PCI_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

#include "pci.h"
#include "virtio.h"
#include "virtio_spec.h"

/* Where our device puts each region (BAR 0). */
#define MVM_VPCI_BAR	     0
#define MVM_VPCI_BAR_SIZE    0x4000
#define MVM_VPCI_COMMON	     0x0000
#define MVM_VPCI_ISR	     0x1000
#define MVM_VPCI_DEVICE	     0x2000
#define MVM_VPCI_NOTIFY	     0x3000
#define MVM_VPCI_REGION	     0x1000
#define MVM_VPCI_NOTIFY_MULT 4

/* Where the MSI-X table and PBA are (BAR 1, pci_msix.c). */
#define MVM_VPCI_MSIX_BAR      1
#define MVM_VPCI_MSIX_BAR_SIZE 0x1000
#define MVM_VPCI_MSIX_TABLE    0x000
#define MVM_VPCI_MSIX_PBA      0x800
#define MVM_VPCI_MSIX_VECTORS  (MVM_VIRTIO_MAX_QUEUES + 1) /* at most */

/* mvm_virtio_pci_create() flags. */
#define MVM_VIRTIO_PCI_FAST (1u << 0) /* ioeventfd kicks */
#define MVM_VIRTIO_PCI_MSIX (1u << 1) /* offer MSI-X (in-kernel irqchip) */
#define MVM_VIRTIO_PCI_MSI_IRQFD \
	(1u << 2) /* MSI-X messages through irqfd routes, not KVM_SIGNAL_MSI \
		     (with MVM_VIRTIO_PCI_MSIX and a machine) */

struct mvm_virtio_pci;

/*
 * Plug dev into the bridge pci as a new slot (while no vCPU runs). m is
 * the machine the bridge is on, for the fast path's ioeventfds; NULL in
 * unit tests (plain kicks). The fast path falls back to plain, logged,
 * when KVM cannot do it. 0 or -errno.
 */
int mvm_virtio_pci_create(struct mvm_pci *pci, struct mvm_machine *m,
			  struct mvm_virtio_dev *dev, unsigned flags,
			  struct mvm_virtio_pci **out);
/* Stop the thread and the ioeventfds, free; accepts NULL. The PCI slot
 * stays (the bridge has no hot-unplug), so destroy the bridge's machine
 * or never run it again. */
void mvm_virtio_pci_destroy(struct mvm_virtio_pci *t);

/* The PCI function, and whether kicks take the fast path. */
struct mvm_pci_dev *mvm_virtio_pci_func(struct mvm_virtio_pci *t);
int mvm_virtio_pci_fast(const struct mvm_virtio_pci *t);

/* MSI-X as the driver left it, for --stats, tests and the debugger. */
struct mvm_virtio_pci_msix {
	int enabled;	    /* MSI-X Enable set (INTx is off) */
	int masked;	    /* Function Mask set */
	unsigned vectors;   /* table size */
	int irqfd;	    /* irqfd routes in use (MVM_VIRTIO_PCI_MSI_IRQFD) */
	unsigned routes;    /* vectors that have a route now */
	uint64_t messages;  /* MSIs delivered, both ways: */
	uint64_t routed;    /*   by a write to the vector's irqfd */
	uint64_t signalled; /*   by KVM_SIGNAL_MSI from the VMM */
	uint64_t held;	    /* events that found their vector masked */
	uint64_t unrouted;  /* events with NO_VECTOR: no interrupt */
	uint64_t refused;   /* entries whose address is not an x86 MSI */
	uint64_t last_addr; /* the last message sent */
	uint32_t last_data;
};
/* 0 and *out, or -ENODEV when the function has no MSI-X. */
int mvm_virtio_pci_msix_info(struct mvm_virtio_pci *t,
			     struct mvm_virtio_pci_msix *out);

#pragma GCC visibility pop

#endif
