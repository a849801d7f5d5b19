/*
 * virtio-pci-irq.c - virtio-blk completions as PCI INTx interrupts.
 *
 * The PCI counterpart of virtio-irq.c. A PCI driver does not take its
 * IRQ from a table: it reads the Interrupt Line register the firmware
 * wrote into the function's configuration space (PCI Local Bus Spec 3.0,
 * 6.2.4; minivmm's bridge plays the firmware, layout.h's
 * MVM_PCI_INTX_GSI). Lines 8-15 sit on the slave 8259A, so the guest
 * unmasks the cascade (IRQ 2) too and sends both chips an EOI.
 *
 * After each read the guest sleeps in HLT until the interrupt arrives.
 * Its handler reads the ISR status byte: that returns the cause and
 * deasserts INTx (virtio 1.2, 4.1.4.5), the whole acknowledgement on PCI.
 * It reports SYNC {1, interrupts, last ISR, Interrupt Line}.
 */
#include "irq.h"
#include "pci.h"
#include "virtio.h"

#define REQUESTS 3

static struct vdev blk;
static volatile uint64_t nirq, last_isr;
static uint8_t sector[512];

__attribute__((interrupt)) static void on_blk(struct interrupt_frame *f)
{
	(void)f;
	last_isr = mmio_read8(blk.pci.isr);
	nirq++;
	outb(MVM_PORT_PIC_SLAVE, GUEST_PIC_EOI);
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

int main(void)
{
	int dev = pci_find(MVM_VPCI_VENDOR,
			   MVM_VPCI_DEVICE_BASE + MVM_VIRTIO_ID_BLOCK);
	unsigned line;

	GUEST_ASSERT(dev >= 0);
	line = pci_read8((unsigned)dev, MVM_PCI_INT_LINE);
	GUEST_ASSERT(line >= 8 && line < 16); /* on the slave 8259A */
	guest_idt_load();
	guest_idt_set(GUEST_VEC_PIC1 + line - 8, on_blk);
	guest_pic_init((uint8_t) ~(1u << 2), (uint8_t) ~(1u << (line - 8)));
	GUEST_ASSERT(vdev_init_pci(&blk, MVM_VIRTIO_ID_BLOCK, 0, 1) == 0);
	for (unsigned i = 0; i < REQUESTS; i++) {
		GUEST_ASSERT_EQ(vblk_rw(&blk, 0, i, sector, 1),
				MVM_VIRTIO_BLK_S_OK);
		while (nirq < i + 1)
			guest_sti_hlt_cli();
	}
	guest_ucall(MVM_UCALL_SYNC, "interrupts", 1, nirq, last_isr, line);
	return 0;
}
