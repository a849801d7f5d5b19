/*
 * pci-enum.c - what a driver sees of PCI before it talks to a device:
 * the guest walks bus 0 through configuration mechanism #1 (ports 0xCF8
 * and 0xCFC), sizes every BAR, follows each capabilities list, then
 * turns decoding on and reads the first dword of every BAR.
 *
 * One line per finding, e.g.
 *
 *   pci 0x0 id 0x1234:0x1 class 0x60000 pin 0x0 line 0xff
 *   pci 0x1 id 0x1af4:0x1042 class 0x18000 pin 0x1 line 0xb
 *     bar 0x0 mem 0xe0000000 size 0x1000 reads 0xa5a50000
 *     cap 0x9 at 0x40
 *
 * and a final SYNC {devices found}. Each configuration access costs two
 * exits (address, data): count them with `--stats`. The machine needs
 * the PCI host bridge (pci.h); tests/kvm/test_pci.c runs it.
 */
#include "pci.h"

static void show_bars(unsigned dev)
{
	uint16_t cmd = pci_read16(dev, MVM_PCI_COMMAND);

	pci_write16(dev, MVM_PCI_COMMAND,
		    cmd | MVM_PCI_CMD_IO | MVM_PCI_CMD_MEM);
	for (int i = 0; i < MVM_PCI_NBARS;) {
		struct pci_bar b;
		struct guest_buf g = GUEST_BUF_INIT;
		int used = pci_bar_probe(dev, i, &b);

		if (b.size) {
			uint32_t v = b.io ? inl((uint16_t)b.addr)
					  : mmio_read32(b.addr);

			gbuf_str(&g, "  bar ");
			gbuf_hex(&g, (uint64_t)i);
			gbuf_str(&g, b.io     ? " io "
				     : b.is64 ? " mem64 "
					      : " mem ");
			gbuf_hex(&g, b.addr);
			gbuf_str(&g, " size ");
			gbuf_hex(&g, b.size);
			gbuf_str(&g, " reads ");
			gbuf_hex(&g, v);
			gbuf_str(&g, "\n");
			GUEST_PRINT(g.s);
		}
		i += used;
	}
}

static void show_caps(unsigned dev)
{
	unsigned at = 0;

	while (1) {
		struct guest_buf g = GUEST_BUF_INIT;
		uint8_t id;

		at = at ? pci_read8(dev, at + 1)
		     : (pci_read16(dev, MVM_PCI_STATUS) &
			MVM_PCI_STATUS_CAP_LIST)
			     ? pci_read8(dev, MVM_PCI_CAP_PTR)
			     : 0;
		if (at < MVM_PCI_CAP_START)
			return;
		id = pci_read8(dev, at);
		gbuf_str(&g, "  cap ");
		gbuf_hex(&g, id);
		gbuf_str(&g, " at ");
		gbuf_hex(&g, at);
		gbuf_str(&g, "\n");
		GUEST_PRINT(g.s);
	}
}

int main(void)
{
	uint64_t found = 0;

	for (unsigned dev = 0; dev < 32; dev++) {
		uint32_t id = pci_read32(dev, MVM_PCI_VENDOR_ID);
		struct guest_buf g = GUEST_BUF_INIT;

		if ((id & 0xffff) == PCI_NO_DEVICE)
			continue;
		found++;
		gbuf_str(&g, "pci ");
		gbuf_hex(&g, dev);
		gbuf_str(&g, " id ");
		gbuf_hex(&g, id & 0xffff);
		gbuf_str(&g, ":");
		gbuf_hex(&g, id >> 16);
		gbuf_str(&g, " class ");
		gbuf_hex(&g, pci_read32(dev, MVM_PCI_REVISION) >> 8);
		gbuf_str(&g, " pin ");
		gbuf_hex(&g, pci_read8(dev, MVM_PCI_INT_PIN));
		gbuf_str(&g, " line ");
		gbuf_hex(&g, pci_read8(dev, MVM_PCI_INT_LINE));
		gbuf_str(&g, "\n");
		GUEST_PRINT(g.s);
		show_bars(dev);
		show_caps(dev);
	}
	GUEST_SYNC(found);
	return 0;
}
