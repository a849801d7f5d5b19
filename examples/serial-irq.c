/*
 * serial-irq.c - the UART interrupts the guest instead of being polled
 * (COM1 on IRQ 4; compare echo.c, which polls LSR).
 *
 * The guest enables the 8250's "received data available" and "THR
 * empty" interrupts (IER), opens the PC's OUT2 gate (MCR) and unmasks
 * IRQ 4 at the 8259A, then sleeps in HLT. Its IRQ 4 handler reads IIR to
 * learn why (8250 data sheet, Table IV: RDA 0x04, THRE 0x02, none 0x01)
 * and drains RBR while LSR says data ready. It reports:
 *
 *   SYNC {1}                          set up: the host may type now
 *   SYNC {2, bytes, thre, rda}, text  the first RX_WANT bytes received
 *
 * Runs wherever IRQ 4 reaches the guest: the user-space 8259A
 * (pic.h) and KVM's in-kernel PIC.
 */
#include "irq.h"

#define COM1	    MVM_PORT_COM1
#define RX_WANT	    4
#define IER_ERBFI   0x01
#define IER_ETBEI   0x02
#define IIR_NONE    0x01
#define IIR_ID_MASK 0x06
#define IIR_THRE    0x02
#define IIR_RDA	    0x04
#define LSR_DR	    0x01
#define MCR_OUT2    0x08

static volatile char rx[RX_WANT + 1];
static volatile uint64_t nrx, nthre, nrda;

/* IRQ 4: every reason IIR gives, until it says none; then EOI. */
__attribute__((interrupt)) static void on_com1(struct interrupt_frame *f)
{
	uint8_t iir;

	(void)f;
	while (!((iir = inb(COM1 + 2)) & IIR_NONE)) {
		if ((iir & IIR_ID_MASK) == IIR_THRE) {
			nthre++; /* reading IIR cleared it */
		} else if ((iir & IIR_ID_MASK) == IIR_RDA) {
			nrda++;
			while (inb(COM1 + 5) & LSR_DR) {
				char c = (char)inb(COM1);

				if (nrx < RX_WANT)
					rx[nrx++] = c;
			}
		} else {
			inb(COM1 + 5); /* line status: reading LSR clears */
			inb(COM1 + 6); /* modem status: reading MSR clears */
		}
	}
	outb(MVM_PORT_PIC_MASTER, GUEST_PIC_EOI);
}

int main(void)
{
	guest_idt_load();
	guest_idt_set(GUEST_VEC_PIC0 + MVM_IRQ_COM1, on_com1);
	guest_pic_init((uint8_t) ~(1u << MVM_IRQ_COM1), 0xff);
	outb(COM1 + 4, MCR_OUT2);
	outb(COM1 + 1, IER_ERBFI | IER_ETBEI);
	guest_ucall(MVM_UCALL_SYNC, "type now", 1, 0, 0, 0);
	while (nrx < RX_WANT)
		guest_sti_hlt_cli();
	outb(COM1 + 1, 0);
	rx[RX_WANT] = 0;
	guest_ucall(MVM_UCALL_SYNC, (const char *)rx, 2, nrx, nthre, nrda);
	return 0;
}
