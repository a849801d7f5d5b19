/*
 * echo.c - a guest that reads its serial console: what you type comes
 * back.
 *
 * What it teaches: input is the mirror image of output. `mvm run` owns
 * the terminal and puts every byte you type into the receive FIFO of
 * the guest's COM1 UART (mvm/console.c). This guest has no interrupts
 * yet, so it *polls*: it reads the line status register until bit 0,
 * Data Ready, says a byte is waiting, then reads it from the receiver
 * buffer register (PC16550D datasheet, Table II: LSR at base + 5, RBR at
 * base + 0). Each poll is a port read, so a VM exit: watch them with
 * --trace. Each byte goes back out through the debug console port.
 *
 * A terminal sends CR for Enter, as a serial line does; the guest turns
 * it into a newline. A '.' ends the run (DONE).
 *
 *   mvm run build/examples/echo.elf            type, then '.'
 *   printf 'hi.' | mvm run build/examples/echo.elf
 */
#include "guest.h"

#define UART_RBR 0    /* receiver buffer (read) */
#define UART_LSR 5    /* line status */
#define LSR_DR	 0x01 /* data ready */

/* Wait for one byte from COM1. */
static char uart_getc(void)
{
	while (!(inb(MVM_PORT_COM1 + UART_LSR) & LSR_DR))
		;
	return (char)inb(MVM_PORT_COM1 + UART_RBR);
}

int main(void)
{
	char c;

	guest_print("echo: type something, '.' ends\n");
	while ((c = uart_getc()) != '.')
		outb(MVM_PORT_DEBUGCON, (uint8_t)(c == '\r' ? '\n' : c));
	guest_print("\necho: bye\n");
	return 0;
}
