/*
 * hello-prot.c - a 32-bit protected-mode guest in C.
 *
 * What it teaches: the same freestanding C runtime works in 32-bit
 * protected mode. The VMM built a flat GDT (base 0, limit 4 GiB) and set
 * CR0.PE with paging off (Intel SDM Vol. 3A 9.9), so addresses are
 * physical and the ELF is loaded at MVM_LOAD_ADDR as linked. It is built
 * with `gcc -m32` and `ld -m elf_i386`; no 32-bit libc is needed.
 *
 *   mvm run build/examples/hello-prot.elf
 *   (ELF32 images run in protected mode by default)
 */
#include "guest.h"

int main(void)
{
	guest_print("Hello from 32-bit protected mode\n");
	return 0;
}
