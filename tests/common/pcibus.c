/*
 * pcibus.c - configuration and MMIO-window accesses for unit tests
 * (pcibus.h).
 */
#include "pcibus.h"

static void select_reg(struct mvm_pci *pci, unsigned slot, unsigned reg)
{
	uint32_t a = MVM_PCI_ADDR_ENABLE | slot << 11 | (reg & 0xfc);

	mvm_pci_config_ops.write(pci, NULL, MVM_PCI_CONFIG_ADDRESS, &a, 4);
}

uint32_t pcibus_cfg_read(struct mvm_pci *pci, unsigned slot, unsigned reg,
			 uint32_t len)
{
	uint32_t v = 0;

	select_reg(pci, slot, reg);
	mvm_pci_config_ops.read(pci, NULL, MVM_PCI_CONFIG_DATA + (reg & 3), &v,
				len);
	return v;
}

void pcibus_cfg_write(struct mvm_pci *pci, unsigned slot, unsigned reg,
		      uint32_t v, uint32_t len)
{
	select_reg(pci, slot, reg);
	mvm_pci_config_ops.write(pci, NULL, MVM_PCI_CONFIG_DATA + (reg & 3), &v,
				 len);
}

uint64_t pcibus_mmio_read(struct mvm_pci *pci, uint64_t gpa, uint32_t len,
			  int *rc)
{
	uint64_t v = 0;
	int r = mvm_pci_mmio_ops.read(pci, NULL, gpa - MVM_PCI_MMIO_BASE, &v,
				      len);

	if (rc)
		*rc = r;
	return v;
}

void pcibus_mmio_write(struct mvm_pci *pci, uint64_t gpa, uint64_t v,
		       uint32_t len, int *rc)
{
	int r = mvm_pci_mmio_ops.write(pci, NULL, gpa - MVM_PCI_MMIO_BASE, &v,
				       len);

	if (rc)
		*rc = r;
}
