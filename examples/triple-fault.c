/*
 * triple-fault.c - a guest that dies on purpose.
 *
 * What it teaches: what happens when an exception cannot be delivered.
 * UD2 raises #UD (vector 6). With an IDT of limit 0 the CPU cannot find
 * a handler, which raises #GP; that cannot be delivered either, which
 * makes a double fault (#DF), and failing to deliver #DF is a triple
 * fault (Intel SDM Vol. 3A 6.15, "Interrupt 8 - Double Fault
 * Exception"). A real PC resets; KVM stops the vCPU and reports
 * KVM_EXIT_SHUTDOWN, and `mvm run` explains it.
 *
 *   mvm run build/examples/triple-fault.elf   (exit status 1)
 */
#include "guest.h"

/* IDTR image for LIDT: 16-bit limit, then the base (SDM Vol. 3A 6.10). */
struct __attribute__((packed)) idtr {
	uint16_t limit;
	uint64_t base;
};

int main(void)
{
	static const struct idtr empty = {0, 0};

	GUEST_PRINT("loading an empty IDT, then executing UD2\n");
	/* Limit 0 means not even vector 0 fits: every vector is "outside
	 * the IDT", so delivering any exception fails. */
	__asm__ volatile("lidt %0" : : "m"(empty));
	__asm__ volatile("ud2");
	GUEST_PRINT("unreachable: UD2 returned\n");
	return 1;
}
