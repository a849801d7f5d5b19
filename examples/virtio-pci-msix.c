/*
 * virtio-pci-msix.c - virtio-blk completions as MSI-X messages.
 *
 * The MSI-X counterpart of virtio-pci-irq.c (in-kernel irqchip only).
 * The 8259A pair stays masked: the interrupt comes as a message straight
 * into the local APIC (Intel SDM Vol. 3A, 11.11), so the guest enables
 * its LAPIC, points table entry 0 at IDT vector VEC_BLK, maps queue 0 to
 * entry 0 (virtio 1.2, 4.1.5.3) and enables MSI-X. Its handler knows
 * the cause from the vector: it sends the LAPIC an EOI and never reads
 * the device's ISR. The guest checks, in order:
 *
 *   1. a vector the table does not have is refused (reads NO_VECTOR);
 *   2. REQUESTS reads each arrive as one interrupt;
 *   3. with entry 0 masked a completion raises no interrupt but sets
 *      pending bit 0 in the PBA (PCI Local Bus Spec 3.0, 6.8.2.9);
 *   4. unmasking sends it: one more interrupt, the pending bit clear.
 *
 * It reports SYNC {1, interrupts, refused vector read back, PBA while
 * masked, PBA after unmasking}, then goes on (the host looks at the
 * transport's routes in between):
 *
 *   5. entry 0 rewritten, while masked, to IDT vector VEC_BLK2: the next
 *      completion arrives there;
 *   6. entry 0 pointed outside the MSI window: the completion raises
 *      nothing (the VMM drops and counts the message);
 *   7. entry 0 good again, then MSI-X disabled: a completion raises no
 *      message (INTx, masked in the 8259A here).
 *
 * and reports SYNC {2, interrupts at VEC_BLK, at VEC_BLK2, 0}.
 */
#include "irq.h"
#include "pci.h"
#include "virtio.h"
#include "virtio_msix.h"

#define REQUESTS 3
#define VEC_BLK	 0x41
#define VEC_BLK2 0x42
#define VEC_SPUR 0xff
#define NOT_MSI	 0xfed00000u /* below the MSI window (SDM Vol. 3, 11.11.1) */

static struct vdev blk;
static volatile uint64_t nirq, nirq2;
static uint8_t sector[512];

__attribute__((interrupt)) static void on_blk(struct interrupt_frame *f)
{
	(void)f;
	nirq++;
	msix_lapic_w(MSIX_LAPIC_EOI, 0);
}

__attribute__((interrupt)) static void on_blk2(struct interrupt_frame *f)
{
	(void)f;
	nirq2++;
	msix_lapic_w(MSIX_LAPIC_EOI, 0);
}

/* A spurious APIC interrupt takes no EOI (SDM Vol. 3A, 11.9). */
__attribute__((interrupt)) static void on_spurious(struct interrupt_frame *f)
{
	(void)f;
}

/* Let any interrupt already pending in the LAPIC be taken. */
static void open_window(void)
{
	__asm__ volatile("sti; nop; nop; cli" : : : "memory");
}

int main(void)
{
	struct vmsix x;
	uint16_t refused;
	uint32_t masked_pba, after_pba;

	guest_idt_load();
	guest_idt_set(VEC_BLK, on_blk);
	guest_idt_set(VEC_BLK2, on_blk2);
	guest_idt_set(VEC_SPUR, on_spurious);
	guest_pic_init(0xff, 0xff);
	msix_lapic_w(MSIX_LAPIC_SVR, 0x100 | VEC_SPUR);
	GUEST_ASSERT(vdev_init_pci(&blk, MVM_VIRTIO_ID_BLOCK, 0, 1) == 0);
	GUEST_ASSERT(vdev_msix_enable(MVM_VIRTIO_ID_BLOCK, 0, VEC_BLK, &x) ==
		     0);
	refused = vdev_msix_map(&blk, -1, 7); /* blk has 2 entries */
	GUEST_ASSERT_EQ(vdev_msix_map(&blk, 0, 0), 0);
	for (unsigned i = 0; i < REQUESTS; i++) {
		GUEST_ASSERT_EQ(vblk_rw(&blk, 0, i, sector, 1),
				MVM_VIRTIO_BLK_S_OK);
		while (nirq < i + 1)
			guest_sti_hlt_cli();
	}
	vdev_msix_mask(x.table, 0, 1);
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 0, sector, 1), MVM_VIRTIO_BLK_S_OK);
	open_window();
	GUEST_ASSERT_EQ(nirq, REQUESTS);
	masked_pba = mmio_read32(x.pba);
	vdev_msix_mask(x.table, 0, 0);
	while (nirq < REQUESTS + 1)
		guest_sti_hlt_cli();
	after_pba = mmio_read32(x.pba);
	guest_ucall(MVM_UCALL_SYNC, "msix", 1, nirq, refused,
		    (uint64_t)masked_pba << 32 | after_pba);

	vdev_msix_mask(x.table, 0, 1);
	vdev_msix_set(x.table, 0, 0xfee00000u, VEC_BLK2);
	vdev_msix_mask(x.table, 0, 0);
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 1, sector, 1), MVM_VIRTIO_BLK_S_OK);
	while (nirq2 < 1)
		guest_sti_hlt_cli();
	vdev_msix_mask(x.table, 0, 1);
	vdev_msix_set(x.table, 0, NOT_MSI, VEC_BLK);
	vdev_msix_mask(x.table, 0, 0);
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 2, sector, 1), MVM_VIRTIO_BLK_S_OK);
	open_window();
	vdev_msix_mask(x.table, 0, 1);
	vdev_msix_set(x.table, 0, 0xfee00000u, VEC_BLK);
	vdev_msix_mask(x.table, 0, 0);
	vdev_msix_disable(MVM_VIRTIO_ID_BLOCK);
	GUEST_ASSERT_EQ(vblk_rw(&blk, 0, 0, sector, 1), MVM_VIRTIO_BLK_S_OK);
	open_window();
	guest_ucall(MVM_UCALL_SYNC, "msix", 2, nirq, nirq2, 0);
	return 0;
}
