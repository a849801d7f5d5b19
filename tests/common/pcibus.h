/*
 * pcibus.h - a unit test as the guest of a PCI host bridge (pci.h),
 * without a VM: configuration mechanism #1 (a CONFIG_ADDRESS write, then
 * CONFIG_DATA at the byte offset within the dword; PCI Local Bus Spec
 * 3.0, 3.2.2.3.2) and accesses to the bridge's MMIO window at a
 * guest-physical address, each through the bridge's own ops.
 */
#ifndef MINIVMM_TEST_PCIBUS_H
#define MINIVMM_TEST_PCIBUS_H

#include <stdint.h>

#include "minivmm/minivmm.h"

/* len (1, 2, 4) bytes of register reg of bus 0 device slot, function 0. */
uint32_t pcibus_cfg_read(struct mvm_pci *pci, unsigned slot, unsigned reg,
			 uint32_t len);
void pcibus_cfg_write(struct mvm_pci *pci, unsigned slot, unsigned reg,
		      uint32_t v, uint32_t len);

/* len bytes at gpa inside MVM_PCI_MMIO_BASE's window; what the bridge's
 * op returned in *rc (may be NULL). */
uint64_t pcibus_mmio_read(struct mvm_pci *pci, uint64_t gpa, uint32_t len,
			  int *rc);
void pcibus_mmio_write(struct mvm_pci *pci, uint64_t gpa, uint64_t v,
		       uint32_t len, int *rc);

#endif
