/*
 * lab1-measure.c - the guest half of Lab 1's measurements (task 6).
 *
 * Four loops of the same length, each bracketed by a ucall SYNC that the
 * host timestamps (the guest needs no clock of its own):
 *   stage 1..2  an empty loop: what one iteration costs without any exit
 *   stage 2..3  CPUID: an exit that KVM handles in the kernel
 *   stage 3..4  OUT to the doorbell port: with an ioeventfd registered,
 *               KVM signals an eventfd in the kernel and resumes the
 *               guest at once (api.rst, KVM_IOEVENTFD)
 *   stage 4..5  OUT to the measure port: an exit all the way to the VMM
 * The iteration count comes from the host: an IN from the measure port.
 */
#include "guest.h"

int main(void)
{
	uint32_t n = inl(MVM_PORT_MEASURE);

	GUEST_SYNC(1);
	for (uint32_t i = 0; i < n; i++)
		__asm__ volatile("" : : : "memory"); /* keep the loop */
	GUEST_SYNC(2);
	for (uint32_t i = 0; i < n; i++)
		cpuid(0, 0);
	GUEST_SYNC(3);
	for (uint32_t i = 0; i < n; i++)
		outl(MVM_PORT_DOORBELL, i);
	GUEST_SYNC(4);
	for (uint32_t i = 0; i < n; i++)
		outb(MVM_PORT_MEASURE, 0);
	GUEST_SYNC(5);
	return 0;
}
