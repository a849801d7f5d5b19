/*
 * irq-latency.c - the guest side of `make bench`'s interrupt latency
 * (bench/bench_irq.c): how long from the host raising IRQ 5 to the
 * guest's handler running, on each of Lab 3's three paths.
 *
 * The guest unmasks only IRQ 5 on the 8259A (vector 0x25), says it is
 * ready with OUT MVM_PORT_MEASURE 0, and idles in `sti; hlt`. The handler's
 * first instruction after the entry is OUT MVM_PORT_MEASURE 1: an exit the
 * host timestamps, so the guest needs no clock. Then EOI and back to HLT.
 * The host stops the machine when it has its samples.
 */
#include "irq.h"

#define IRQ 5

__attribute__((interrupt)) static void on_irq5(struct interrupt_frame *f)
{
	(void)f;
	outb(MVM_PORT_MEASURE, 1);
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

int main(void)
{
	guest_idt_load();
	guest_idt_set(GUEST_VEC_PIC0 + IRQ, on_irq5);
	guest_pic_init((uint8_t) ~(1u << IRQ), 0xff);
	outb(MVM_PORT_MEASURE, 0);
	for (;;)
		guest_sti_hlt_cli();
	return 0;
}
