/*
 * pci.h - guest side of PCI: configuration mechanism #1 on bus 0, BAR
 * sizing, the capabilities list. What a driver does before it can talk
 * to a PCI device (the virtio-pci transport and examples/pci-enum.c use
 * it); the VMM's side is libminivmm/src/pci/.
 *
 * Every configuration access is two port accesses, so two exits: the
 * OUT of CONFIG_ADDRESS (0xCF8) and the IN or OUT of CONFIG_DATA
 * (0xCFC + the byte offset within the dword). PCI Local Bus Spec 3.0,
 * 3.2.2.3.2; registers in 6.1; BAR sizing in 6.2.5.1; capabilities 6.7.
 */
#ifndef MVM_GUEST_PCI_H
#define MVM_GUEST_PCI_H

#include "guest.h"
#include "minivmm/pci.h"

#define PCI_NO_DEVICE 0xffff /* Vendor ID of an empty slot */

/* Register reg of function 0 of device dev on bus 0. */
uint32_t pci_read32(unsigned dev, unsigned reg);
uint16_t pci_read16(unsigned dev, unsigned reg);
uint8_t pci_read8(unsigned dev, unsigned reg);
void pci_write32(unsigned dev, unsigned reg, uint32_t v);
void pci_write16(unsigned dev, unsigned reg, uint16_t v);

struct pci_bar {
	uint64_t addr; /* where it is programmed (type bits cleared) */
	uint64_t size; /* bytes; 0 = not implemented */
	int io;	       /* 1: I/O space */
	int is64;      /* 1: 64-bit memory BAR (takes the next slot too) */
};

/* Size BAR i (decoding off while the BAR holds all ones, then both put
 * back). Returns the BAR slots it used: 1, 2 for a 64-bit BAR. */
int pci_bar_probe(unsigned dev, int i, struct pci_bar *b);

/* The first device with this vendor and device ID, or -1. */
int pci_find(uint16_t vendor, uint16_t device);

/* The offset of the next capability with ID id after offset `after`
 * (0: from the start of the list), or 0. At most 48 links are followed,
 * so a looping list cannot hang the guest. */
unsigned pci_cap_find(unsigned dev, uint8_t id, unsigned after);

#endif
