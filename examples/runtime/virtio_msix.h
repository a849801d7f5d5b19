/*
 * virtio_msix.h - the guest's side of MSI-X on a virtio-pci device
 * (PCI Local Bus Spec 3.0, 6.8.2; virtio 1.2, 4.1.5.3): program a table
 * entry with a message for the boot CPU's local APIC, enable MSI-X, and
 * map a virtio event onto the entry. The handler of an MSI-X vector
 * acknowledges the local APIC only (EOI), never the device's ISR.
 *
 * The local APIC must be enabled (spurious-vector register bit 8, as in
 * examples/apic-ticks.c) for the message to be accepted.
 */
#ifndef MVM_GUEST_VIRTIO_MSIX_H
#define MVM_GUEST_VIRTIO_MSIX_H

#include "guest.h"
#include "virtio.h"

#define MSIX_LAPIC_EOI 0x0b0 /* SDM Vol. 3A, 11.8.5 */
#define MSIX_LAPIC_SVR 0x0f0 /* spurious vector; bit 8 enables */

static inline void msix_lapic_w(unsigned reg, uint32_t v)
{
	mmio_write32(MVM_LAPIC_ADDR + reg, v);
}

/* Where the capability says the table and the pending bits are. */
struct vmsix {
	uint64_t table; /* entry i at table + 16 i */
	uint64_t pba;	/* pending bit i in bit i % 64 of qword i / 64 */
};

/* The device_id function's MSI-X table: entry `entry` sends IDT vector
 * `vector` to APIC 0 (fixed delivery, SDM Vol. 3A 11.11.1-2) and is
 * unmasked; then MSI-X is enabled. 0 and *x, or -1 (no such function,
 * no capability, entry beyond the table). */
int vdev_msix_enable(uint32_t device_id, unsigned entry, uint8_t vector,
		     struct vmsix *x);

/* Map queue q (-1: configuration changes) to table entry `entry`
 * (MVM_VPCI_NO_VECTOR: none) and return what the device kept: the entry,
 * or NO_VECTOR when it refused it (4.1.5.1.2). */
uint16_t vdev_msix_map(struct vdev *d, int q, uint16_t entry);

/* Mask (1) or unmask (0) table entry `entry` of the table at `table`. */
void vdev_msix_mask(uint64_t table, unsigned entry, int mask);

/* Write table entry `entry`'s message: address (low dword) and data.
 * Mask the entry around it (6.8.2.9: changing an unmasked entry is
 * undefined). */
void vdev_msix_set(uint64_t table, unsigned entry, uint32_t addr,
		   uint32_t data);

/* Clear MSI-X Enable of the device_id function: INTx again. */
void vdev_msix_disable(uint32_t device_id);

#endif
