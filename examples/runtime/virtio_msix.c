/*
 * virtio_msix.c - MSI-X for the guest's virtio-pci driver
 * (virtio_msix.h). The capability (ID 0x11) says how many entries the
 * table has and in which BAR, at which offset, the table lives (the BIR
 * in the low 3 bits of the offset register); each entry is four dwords:
 * message address low and high, data, vector control (bit 0: masked).
 */
#include "virtio_msix.h"

#include "pci.h"

#define MSI_ADDR_APIC0 0xfee00000u /* destination APIC ID 0 in 19:12 */

/* The address a Table or PBA offset register names: BAR BIR + offset. */
static uint64_t place(unsigned d, uint32_t where)
{
	struct pci_bar b;

	pci_bar_probe(d, (int)(where & MVM_PCI_MSIX_BIR), &b);
	return b.addr + (where & ~(uint32_t)MVM_PCI_MSIX_BIR);
}

int vdev_msix_enable(uint32_t device_id, unsigned entry, uint8_t vector,
		     struct vmsix *x)
{
	int dev = pci_find(MVM_VPCI_VENDOR,
			   (uint16_t)(MVM_VPCI_DEVICE_BASE + device_id));
	unsigned cap, d;
	uint64_t e;

	if (dev < 0)
		return -1;
	d = (unsigned)dev;
	cap = pci_cap_find(d, MVM_PCI_CAP_ID_MSIX, 0);
	if (!cap || entry > (pci_read16(d, cap + MVM_PCI_MSIX_CTRL) &
			     MVM_PCI_MSIX_QSIZE))
		return -1;
	x->table = place(d, pci_read32(d, cap + MVM_PCI_MSIX_TABLE));
	x->pba = place(d, pci_read32(d, cap + MVM_PCI_MSIX_PBA));
	pci_write16(d, MVM_PCI_COMMAND,
		    pci_read16(d, MVM_PCI_COMMAND) | MVM_PCI_CMD_MEM);
	e = x->table + entry * MVM_PCI_MSIX_ENTRY;
	mmio_write32(e, MSI_ADDR_APIC0);
	mmio_write32(e + 4, 0);
	mmio_write32(e + MVM_PCI_MSIX_ENTRY_DATA, vector);
	mmio_write32(e + MVM_PCI_MSIX_ENTRY_CTRL, 0);
	pci_write16(d, cap + MVM_PCI_MSIX_CTRL, MVM_PCI_MSIX_ENABLE);
	return 0;
}

uint16_t vdev_msix_map(struct vdev *d, int q, uint16_t entry)
{
	uint64_t c = d->pci.common;

	if (q < 0) {
		mmio_write16(c + MVM_VPCI_MSIX_CONFIG, entry);
		return mmio_read16(c + MVM_VPCI_MSIX_CONFIG);
	}
	mmio_write16(c + MVM_VPCI_Q_SELECT, (uint16_t)q);
	mmio_write16(c + MVM_VPCI_Q_MSIX, entry);
	return mmio_read16(c + MVM_VPCI_Q_MSIX);
}

void vdev_msix_set(uint64_t table, unsigned entry, uint32_t addr, uint32_t data)
{
	uint64_t e = table + entry * MVM_PCI_MSIX_ENTRY;

	mmio_write32(e, addr);
	mmio_write32(e + MVM_PCI_MSIX_ENTRY_DATA, data);
}

void vdev_msix_disable(uint32_t device_id)
{
	int dev = pci_find(MVM_VPCI_VENDOR,
			   (uint16_t)(MVM_VPCI_DEVICE_BASE + device_id));
	unsigned cap;

	if (dev < 0)
		return;
	cap = pci_cap_find((unsigned)dev, MVM_PCI_CAP_ID_MSIX, 0);
	if (cap)
		pci_write16((unsigned)dev, cap + MVM_PCI_MSIX_CTRL, 0);
}

void vdev_msix_mask(uint64_t table, unsigned entry, int mask)
{
	mmio_write32(table + entry * MVM_PCI_MSIX_ENTRY +
			     MVM_PCI_MSIX_ENTRY_CTRL,
		     mask ? MVM_PCI_MSIX_ENTRY_MASKED : 0);
}
