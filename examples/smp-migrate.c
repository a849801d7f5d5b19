/*
 * smp-migrate.c - the live-migration witness for several vCPUs
 * (`mvm run --cpus N --migrate-to`): every vCPU runs this at once, each
 * on its own host thread.
 *
 * Each vCPU finds its index in its APIC ID (guest_cpu()) and counts in
 * its own slot of the scratch page (layout.h, MVM_SCRATCH_ADDR) to
 * SMP_MIG_COUNT_TO, printing "vCPU i at N" every SMP_MIG_EVERY and
 * "vCPU i counted to N" at the end, one PRINT ucall per line through its
 * own mailbox. A migration that loses a vCPU's registers or its slot
 * makes that vCPU skip, repeat or never reach a line: the source's
 * lines followed by the target's must hold every line of every vCPU
 * exactly once (tests/kvm/test_migrate_cli.c checks it). The count is
 * long enough (about 2 s where ring-0 code is emulated, on a quiet
 * host) that a migration started 0.3 s in always finds the guest still
 * running.
 *
 *   mvm run --cpus 2 build/examples/smp-migrate.elf
 */
#include "demo.h"
#include "guest.h"

#define SMP_MIG_COUNT_TO 200000
#define SMP_MIG_EVERY	 10000

static void say(unsigned cpu, const char *what, uint64_t n)
{
	struct guest_buf b = GUEST_BUF_INIT;

	gbuf_str(&b, "vCPU ");
	gbuf_dec(&b, cpu);
	gbuf_str(&b, what);
	gbuf_dec(&b, n);
	gbuf_str(&b, "\n");
	GUEST_PRINT(b.s);
}

int main(void)
{
	volatile uint64_t *slot = (volatile uint64_t *)MVM_SCRATCH_ADDR;
	unsigned cpu = guest_cpu();

	GUEST_ASSERT(cpu < SMP_HOLD_SLOT);
	while (slot[cpu] < SMP_MIG_COUNT_TO) {
		uint64_t n = slot[cpu] + 1;

		slot[cpu] = n;
		if (n % SMP_MIG_EVERY == 0)
			say(cpu, " at ", n);
	}
	say(cpu, " counted to ", slot[cpu]);
	return slot[cpu] == SMP_MIG_COUNT_TO ? 0 : 1;
}
