/*
 * hello-long.c - a 64-bit long-mode guest in C using the guest runtime.
 *
 * What it teaches: the VMM did the boot sequence for us (GDT, identity
 * page tables, CR4.PAE, EFER.LME, CR0.PG; Intel SDM Vol. 3A 9.8.5), so
 * main() runs in 64-bit mode from its first instruction. Printing goes
 * byte by byte to the debug console port (one exit per byte); main()
 * returning makes crt0 send a DONE ucall and execute HLT.
 *
 *   mvm run build/examples/hello-long.elf
 */
#include "guest.h"

int main(void)
{
	guest_print("Hello from 64-bit long mode\n");
	return 0;
}
