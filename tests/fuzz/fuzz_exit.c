/*
 * fuzz_exit.c - exit decode and dispatch from forged kvm_run pages.
 *
 * KVM writes kvm_run, but what it says (ports, sizes, counts, the data
 * offset, MMIO lengths, MSR numbers) is what the guest did, so the run
 * step must check every field before it uses it (test_exit_guard.c has
 * the known cases). Input: one byte of options, one byte choosing the
 * exit reason, then the bytes of the kvm_run page and its PIO data page.
 * Each input is decoded, dispatched to the machine's devices
 * (fakevm.c), and described and explained as `mvm run` would print it.
 */
#include "fakevm.h"
#include "fuzz.h"

static struct fakevm fake;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_run *run;
	struct mvm_exit e;
	char buf[512];
	unsigned opt, reason;

	if (!ready) {
		fakevm_init(&fake);
		ready = 1;
	}
	if (size < 2)
		return 0;
	fakevm_reset(&fake);
	run = fake.run;
	opt = data[0];
	reason = data[1];
	data += 2;
	size -= 2;
	memcpy(run, data, size < FAKEVM_RUN ? size : FAKEVM_RUN);
	/* Reasons past the known ones are tried too (MVM_EXIT_REASONS + 2
	 * values), so an unknown exit is covered. */
	run->exit_reason = reason % (MVM_EXIT_REASONS + 2);
	/* Bit 0: an I/O data offset inside the mapping (the common case,
	 * which reaches the devices); else the raw fuzzed one. */
	if (opt & 1)
		run->io.data_offset %= FAKEVM_RUN;
	/* Bit 1: a backend whose ring-0 int3 / int n exits need the
	 * fix-up (quirks.h); bit 2: the vCPU is being debugged. */
	fake.vm.backend.quirks = (opt & 2) ? MVM_QUIRK_SOFT_INT_EMULATION : 0;
	fake.vcpu.debug_flags = (opt & 4) ? 1 : 0;

	memset(&e, 0, sizeof(e));
	mvm_exit_decode(&fake.vcpu, &e);
	mvm_exit_dispatch(&fake.vcpu, &e);
	mvm_exit_describe(&e, buf, sizeof(buf));
	mvm_exit_explain(&e, buf, sizeof(buf));
	(void)mvm_exit_reason_name(e.reason);
	return 0;
}
