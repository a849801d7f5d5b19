/*
 * virtio-irq.c - virtio-blk completions as interrupts, not just polled.
 *
 * The runtime's driver polls the used ring (runtime/virtio.h); a real
 * driver sleeps and lets the device interrupt it. This guest does the
 * interrupt side once per request: after each read it sleeps in HLT
 * until IRQ 5 (the disk's virtio-mmio slot, layout.h) arrives; its
 * handler reads InterruptStatus, acknowledges it with InterruptACK
 * (virtio 1.2, 4.2.2: the device keeps the interrupt asserted until
 * then) and sends the 8259A its EOI. It reports SYNC {1, interrupts,
 * last InterruptStatus} at the end.
 *
 * On the fast path the interrupt is an irqfd (KVM injects it with no
 * exit to user space); on the plain path the VMM raises and lowers the
 * line with KVM_IRQ_LINE. The guest cannot tell: that is the point.
 */
#include "irq.h"
#include "virtio.h"

#define REQUESTS 3
#define IRQ	 MVM_VIRTIO_MMIO_GSI(MVM_VIRTIO_SLOT_BLK)

static struct vdev blk;
static volatile uint64_t nirq, last_isr;
static uint8_t sector[512];

__attribute__((interrupt)) static void on_blk(struct interrupt_frame *f)
{
	uint32_t isr = mmio_read32(blk.base + MVM_VMMIO_INT_STATUS);

	(void)f;
	mmio_write32(blk.base + MVM_VMMIO_INT_ACK, isr);
	last_isr = isr;
	nirq++;
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

int main(void)
{
	guest_idt_load();
	guest_idt_set(GUEST_VEC_PIC0 + IRQ, on_blk);
	guest_pic_init((uint8_t) ~(1u << IRQ), 0xff);
	GUEST_ASSERT(vdev_init(&blk, MVM_VIRTIO_SLOT_BLK, MVM_VIRTIO_ID_BLOCK,
			       0, 1) == 0);
	for (unsigned i = 0; i < REQUESTS; i++) {
		GUEST_ASSERT_EQ(vblk_rw(&blk, 0, i, sector, 1),
				MVM_VIRTIO_BLK_S_OK);
		while (nirq < i + 1)
			guest_sti_hlt_cli();
	}
	guest_ucall(MVM_UCALL_SYNC, "interrupts", 1, nirq, last_isr, 0);
	return 0;
}
