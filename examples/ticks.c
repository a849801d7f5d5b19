/*
 * ticks.c - count timer interrupts: the PIT ticks, the 8259A delivers,
 * an IDT entry counts (Lab 3's guest).
 *
 * The same image runs on both interrupt paths of Lab 3 and cannot tell
 * them apart: on MVM_IRQCHIP_USER the 8259A and the 8254 are the
 * library's user-space models (pic.h, pit.h) and every tick is injected
 * with KVM_INTERRUPT; on MVM_IRQCHIP_KERNEL they are KVM's own, and
 * reach vCPU 0 through its local APIC's LINT0 in ExtINT mode (the
 * power-on state KVM gives the boot CPU). The guest:
 *
 *   1. builds a 64-bit IDT (runtime/irq.h): vector 0x20 = IRQ 0 counts
 *      ticks, 0x27 = the master's spurious IR7, exceptions report and
 *      stop;
 *   2. remaps the 8259A pair to vectors 0x20-0x2f (ICW1-ICW4), masks
 *      everything but IRQ 0;
 *   3. programs PIT channel 0 for TICKS_HZ in mode 2;
 *   4. idles with `sti; hlt` and reports over ucall:
 *        SYNC args {1, ticks}            at the first tick
 *        SYNC args {2, ticks, hlts}      TICKS_N ticks later
 *      so the host can time the TICKS_N ticks with its own clock.
 *
 * Every HLT here sleeps: the VMM waits (MVM_HLT_WAIT) or KVM does.
 */
#include "irq.h"

#define TICKS_HZ 100
#define TICKS_N	 50
#define PIT_DIV	 (1193182 / TICKS_HZ) /* 11931: 100.007 Hz */

static volatile uint64_t ticks;

/* IRQ 0: count, then a non-specific EOI to the master. */
__attribute__((interrupt)) static void on_irq0(struct interrupt_frame *f)
{
	(void)f;
	ticks++;
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

/* Control word 0x34: counter 0, LSB then MSB, mode 2, binary. */
static void pit_init(void)
{
	outb(MVM_PORT_PIT + 3, 0x34);
	outb(MVM_PORT_PIT + 0, PIT_DIV & 0xff);
	outb(MVM_PORT_PIT + 0, PIT_DIV >> 8);
}

int main(void)
{
	uint64_t hlts = 0;

	guest_idt_load();
	guest_idt_set(GUEST_VEC_PIC0 + 0, on_irq0);
	guest_pic_init(0xfe, 0xff); /* IRQ 0 only */
	pit_init();
	while (ticks == 0)
		guest_sti_hlt_cli();
	guest_ucall(MVM_UCALL_SYNC, "first tick", 1, ticks, 0, 0);
	while (ticks < 1 + TICKS_N) {
		guest_sti_hlt_cli();
		hlts++;
	}
	guest_ucall(MVM_UCALL_SYNC, "ticks", 2, ticks, hlts, 0);
	outb(MVM_PORT_PIC_MASTER + 1, 0xff); /* quiet before DONE */
	return 0;
}
