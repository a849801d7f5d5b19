/*
 * smp-count.c - every vCPU runs this at once: a guest for two (or more)
 * vCPUs, each on its own host thread (machine.h, mvm_machine_start()).
 *
 * Each vCPU finds its index in its APIC ID (guest_cpu()) and counts in
 * its own slot of the scratch page (layout.h, MVM_SCRATCH_ADDR) up to
 * SMP_COUNT_TO. The loop makes no exit at all, so only a kick can get
 * the vCPU out of KVM_RUN: the host can watch the counters move, pause
 * the machine and see them stand still, save and restore each vCPU's
 * state, and resume. A host that set the hold word before the start
 * (a test) decides when the guest ends: each vCPU then waits for the
 * release word before it says DONE through its own ucall mailbox. Under
 * `mvm run` nobody holds it, and it simply counts and finishes.
 *
 * The slots (8 bytes each, from MVM_SCRATCH_ADDR): counter i in slot i,
 * hold and release in SMP_HOLD_SLOT and SMP_RELEASE_SLOT (demo.h).
 */
#include "demo.h"
#include "guest.h"

int main(void)
{
	volatile uint64_t *slot = (volatile uint64_t *)MVM_SCRATCH_ADDR;
	unsigned cpu = guest_cpu();
	struct guest_buf b = GUEST_BUF_INIT;

	GUEST_ASSERT(cpu < SMP_HOLD_SLOT);
	while (slot[cpu] < SMP_COUNT_TO)
		slot[cpu]++;
	while (slot[SMP_HOLD_SLOT] && !slot[SMP_RELEASE_SLOT])
		__asm__ volatile("pause");
	gbuf_str(&b, "vCPU ");
	gbuf_dec(&b, cpu);
	gbuf_str(&b, " counted to ");
	gbuf_dec(&b, slot[cpu]);
	gbuf_str(&b, "\n");
	/* One PRINT ucall per line: the line arrives whole through this
	 * vCPU's own mailbox. (Byte by byte to the debug port, two vCPUs'
	 * lines would interleave, as on a shared serial port.) */
	GUEST_PRINT(b.s);
	return slot[cpu] == SMP_COUNT_TO ? 0 : 1;
}
