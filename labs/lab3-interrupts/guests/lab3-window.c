/*
 * lab3-window.c - an interrupt that arrives while the guest cannot take
 * it (Lab 3, task 5: the interrupt window).
 *
 *   1. IDT and 8259A set up, only IRQ 1 unmasked; CLI.
 *   2. SYNC {1}: the host raises IRQ 1 now, while RFLAGS.IF = 0, so its
 *      pre-entry hook cannot inject and must ask for a window.
 *   3. STI, then a loop that makes no exits at all: the only way the
 *      interrupt gets in is a KVM_EXIT_IRQ_WINDOW_OPEN right after STI.
 *   4. SYNC {2, got, spins}: got = 1 if the handler ran, spins = loop
 *      iterations before it did (SPINS if never).
 */
#include "irq.h"

#define SPINS 20000 /* ~0.1-0.3 s of emulated ring-0 code */

static volatile uint64_t got;

__attribute__((interrupt)) static void on_irq1(struct interrupt_frame *f)
{
	(void)f;
	got = 1;
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

int main(void)
{
	uint64_t n;

	guest_idt_load();
	guest_idt_set(GUEST_VEC_PIC0 + 1, on_irq1);
	guest_pic_init(0xfd, 0xff);
	__asm__ volatile("cli");
	guest_ucall(MVM_UCALL_SYNC, "raise IRQ 1 now", 1, 0, 0, 0);
	GUEST_ASSERT_EQ(got, 0); /* IF = 0: nothing may arrive yet */
	__asm__ volatile("sti" ::: "memory");
	for (n = 0; n < SPINS && !got; n++)
		__asm__ volatile("" ::: "memory");
	__asm__ volatile("cli");
	guest_ucall(MVM_UCALL_SYNC, "window", 2, got, n, 0);
	return 0;
}
