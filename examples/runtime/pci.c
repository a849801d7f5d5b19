/*
 * pci.c - guest side of PCI configuration mechanism #1 (see pci.h).
 */
#include "pci.h"

#define CONFIG_ADDRESS (MVM_PORT_PCI_CONFIG + MVM_PCI_CONFIG_ADDRESS)
#define CONFIG_DATA    (MVM_PORT_PCI_CONFIG + MVM_PCI_CONFIG_DATA)

/* Select bus 0, device dev, function 0, the dword holding reg. */
static void select(unsigned dev, unsigned reg)
{
	outl(CONFIG_ADDRESS,
	     MVM_PCI_ADDR_ENABLE | (dev & 0x1f) << 11 | (reg & 0xfc));
}

uint32_t pci_read32(unsigned dev, unsigned reg)
{
	select(dev, reg);
	return inl(CONFIG_DATA);
}

uint16_t pci_read16(unsigned dev, unsigned reg)
{
	select(dev, reg);
	return inw((uint16_t)(CONFIG_DATA + (reg & 2)));
}

uint8_t pci_read8(unsigned dev, unsigned reg)
{
	select(dev, reg);
	return inb((uint16_t)(CONFIG_DATA + (reg & 3)));
}

void pci_write32(unsigned dev, unsigned reg, uint32_t v)
{
	select(dev, reg);
	outl(CONFIG_DATA, v);
}

void pci_write16(unsigned dev, unsigned reg, uint16_t v)
{
	select(dev, reg);
	outw((uint16_t)(CONFIG_DATA + (reg & 2)), v);
}

/* Spec 6.2.5.1: write all ones, read back; the writable address bits
 * read as ones and the rest as zero, so the size is ~mask + 1. */
int pci_bar_probe(unsigned dev, int i, struct pci_bar *b)
{
	unsigned reg = MVM_PCI_BAR0 + 4 * (unsigned)i;
	uint16_t cmd = pci_read16(dev, MVM_PCI_COMMAND);
	uint32_t lo = pci_read32(dev, reg), mlo, hi = 0, mhi = 0xffffffffu;
	uint64_t mask;

	b->io = lo & MVM_PCI_BAR_IO;
	b->is64 = !b->io && (lo & 6) == MVM_PCI_BAR_MEM64;
	pci_write16(dev, MVM_PCI_COMMAND,
		    cmd & ~(MVM_PCI_CMD_IO | MVM_PCI_CMD_MEM));
	pci_write32(dev, reg, 0xffffffffu);
	mlo = pci_read32(dev, reg);
	pci_write32(dev, reg, lo);
	if (b->is64) {
		hi = pci_read32(dev, reg + 4);
		pci_write32(dev, reg + 4, 0xffffffffu);
		mhi = pci_read32(dev, reg + 4);
		pci_write32(dev, reg + 4, hi);
	}
	pci_write16(dev, MVM_PCI_COMMAND, cmd);
	mask = (uint64_t)mhi << 32 | (mlo & (b->io ? ~3u : ~0xfu));
	if (b->io)
		mask |= 0xffff0000u; /* x86 I/O BARs may leave 31:16 zero */
	b->size = (uint32_t)mlo ? ~mask + 1 : 0;
	b->addr = (uint64_t)hi << 32 | (lo & (b->io ? ~3u : ~0xfu));
	return b->is64 ? 2 : 1;
}

int pci_find(uint16_t vendor, uint16_t device)
{
	for (unsigned dev = 0; dev < 32; dev++)
		if (pci_read32(dev, MVM_PCI_VENDOR_ID) ==
		    ((uint32_t)device << 16 | vendor))
			return (int)dev;
	return -1;
}

unsigned pci_cap_find(unsigned dev, uint8_t id, unsigned after)
{
	unsigned at;

	if (!(pci_read16(dev, MVM_PCI_STATUS) & MVM_PCI_STATUS_CAP_LIST))
		return 0;
	at = after ? pci_read8(dev, after + 1)
		   : pci_read8(dev, MVM_PCI_CAP_PTR);
	for (int n = 0; n < 48 && at >= MVM_PCI_CAP_START; n++) {
		at &= 0xfc; /* the bottom two bits are reserved (6.7) */
		if (pci_read8(dev, at) == id)
			return at;
		at = pci_read8(dev, at + 1);
	}
	return 0;
}
