/*
 * disk-bench.c - the same job on every disk minivmm has: `rounds`
 * sequential 4 KiB reads, for `make bench` (bench/bench_disk.c).
 *
 * The host picks the disk and the count before the run, in the scratch
 * page (MVM_SCRATCH_ADDR): word 0 the mode, word 1 the rounds.
 *
 *   0  emulated disk, one 4-byte IN per dword  (runtime/edisk.c)
 *   1  emulated disk, one `rep insl` per sector
 *   2  virtio-blk over virtio-pci              (runtime/virtio_pci.c)
 *   3  virtio-blk over virtio-mmio             (runtime/virtio.c)
 *   4  calibration: `rounds` reads of the emulated disk's STATUS port
 *      (an exit and a few instructions each), then SYNC {3} after
 *      `rounds` * 64 turns of an empty loop (instructions, no exit)
 *   5  virtio-pci, and after each read the guest sleeps until its MSI-X
 *      interrupt (queue 0 on table entry 0; the handler only EOIs the
 *      local APIC): the cost of a completion interrupt by message
 *   6  the same with INTx: the handler reads the ISR (which lowers the
 *      line, virtio 1.2 4.1.4.5) and EOIs both 8259As
 *
 * SYNC {1} after setup and SYNC {2, rounds} after the reads bracket what
 * the host times and counts; nothing else happens in between.
 */
#include "edisk.h"
#include "guest.h"
#include "irq.h"
#include "pci.h"
#include "virtio.h"
#include "virtio_msix.h"

#define SECTORS	 8 /* 4 KiB */
#define VEC_MSIX 0x41
#define VEC_SPUR 0xff

static uint8_t buf[4096] __attribute__((aligned(4096)));
static struct vdev blk;
static volatile uint64_t nirq;

__attribute__((interrupt)) static void on_msix(struct interrupt_frame *f)
{
	(void)f;
	nirq++;
	msix_lapic_w(MSIX_LAPIC_EOI, 0);
}

__attribute__((interrupt)) static void on_intx(struct interrupt_frame *f)
{
	(void)f;
	(void)mmio_read8(blk.pci.isr);
	nirq++;
	outb(MVM_PORT_PIC_SLAVE, GUEST_PIC_EOI);
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

/* A spurious APIC interrupt takes no EOI (SDM Vol. 3A, 11.9). */
__attribute__((interrupt)) static void on_spurious(struct interrupt_frame *f)
{
	(void)f;
}

/* Modes 5 and 6: the device's interrupt, by message or by INTx (as in
 * virtio-pci-msix.c and virtio-pci-irq.c). */
static void irq_setup(uint64_t mode)
{
	struct vmsix x;
	int dev = pci_find(MVM_VPCI_VENDOR,
			   MVM_VPCI_DEVICE_BASE + MVM_VIRTIO_ID_BLOCK);
	unsigned line;

	GUEST_ASSERT(dev >= 0);
	guest_idt_load();
	if (mode == 5) {
		guest_idt_set(VEC_MSIX, on_msix);
		guest_idt_set(VEC_SPUR, on_spurious);
		guest_pic_init(0xff, 0xff);
		msix_lapic_w(MSIX_LAPIC_SVR, 0x100 | VEC_SPUR);
		GUEST_ASSERT(vdev_msix_enable(MVM_VIRTIO_ID_BLOCK, 0, VEC_MSIX,
					      &x) == 0);
		GUEST_ASSERT_EQ(vdev_msix_map(&blk, 0, 0), 0);
		return;
	}
	line = pci_read8((unsigned)dev, MVM_PCI_INT_LINE);
	GUEST_ASSERT(line >= 8 && line < 16);
	guest_idt_set(GUEST_VEC_PIC1 + line - 8, on_intx);
	guest_pic_init((uint8_t) ~(1u << 2), (uint8_t) ~(1u << (line - 8)));
}

/* Mode 4: what one exit and one guest instruction cost, apart. */
static void calibrate(uint64_t rounds)
{
	guest_ucall(MVM_UCALL_SYNC, "start", 1, 0, 0, 0);
	for (uint64_t r = 0; r < rounds; r++)
		inb(MVM_PORT_EDISK + MVM_EDISK_STATUS);
	guest_ucall(MVM_UCALL_SYNC, "exits", 2, rounds, 0, 0);
	for (uint64_t r = 0; r < rounds * 64; r++)
		__asm__ volatile("" : : : "memory"); /* keep the loop */
	guest_ucall(MVM_UCALL_SYNC, "instructions", 3, rounds * 64, 0, 0);
}

int main(void)
{
	volatile uint64_t *arg =
		(volatile uint64_t *)(uintptr_t)MVM_SCRATCH_ADDR;
	uint64_t mode = arg[0], rounds = arg[1], cap;

	if (mode == 4) {
		calibrate(rounds);
		return 0;
	}
	if (mode == 2 || mode == 5 || mode == 6)
		GUEST_ASSERT(vdev_init_pci(&blk, MVM_VIRTIO_ID_BLOCK, 0, 1) ==
			     0);
	if (mode == 5 || mode == 6)
		irq_setup(mode);
	if (mode == 3)
		GUEST_ASSERT(vdev_init(&blk, MVM_VIRTIO_SLOT_BLK,
				       MVM_VIRTIO_ID_BLOCK, 0, 1) == 0);
	cap = mode >= 2 ? vdev_config32(&blk, 0) : edisk_capacity();
	GUEST_ASSERT(cap >= SECTORS);
	guest_ucall(MVM_UCALL_SYNC, "start", 1, 0, 0, 0);
	for (uint64_t r = 0, lba = 0; r < rounds; r++) {
		if (lba + SECTORS > cap)
			lba = 0;
		if (mode >= 2)
			GUEST_ASSERT_EQ(vblk_rw(&blk, 0, lba, buf, SECTORS),
					MVM_VIRTIO_BLK_S_OK);
		else
			GUEST_ASSERT_EQ(edisk_read((uint32_t)lba, SECTORS, buf,
						   mode ? EDISK_PIO_REP
							: EDISK_PIO_DWORD),
					0);
		while (mode >= 5 && nirq < r + 1)
			guest_sti_hlt_cli();
		lba += SECTORS;
	}
	guest_ucall(MVM_UCALL_SYNC, "done", 2, rounds, 0, 0);
	return 0;
}
