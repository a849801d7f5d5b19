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
 * Interrupts are INTx: the device's INTA# through the bridge to the
 * machine's line (pci.h). No MSI-X: the msix_vector fields read
 * VIRTIO_MSI_NO_VECTOR (0xffff) and ignore writes.
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

/* mvm_virtio_pci_create() flags. */
#define MVM_VIRTIO_PCI_FAST (1u << 0) /* ioeventfd kicks */

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

#pragma GCC visibility pop

#endif
