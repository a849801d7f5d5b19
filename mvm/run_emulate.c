/*
 * run_emulate.c - `mvm run --emulate`: the same machine, the same run
 * loop, but the guest's instructions are interpreted by the library's
 * real-mode interpreter (minivmm/emu.h) instead of being run by KVM.
 *
 * Nothing else in `mvm run` changes: the interpreter stands in for
 * KVM_RUN inside the run step, so the devices, the trace, the verdict
 * and the guest's output are the ones KVM gives. At the end it says how
 * many instructions it interpreted and how fast, and on which KVM
 * backend the comparison would run (quirks.h): on VT-x/AMD-V KVM runs
 * real-mode code natively, far faster than any interpreter; on a
 * software backend (MVM_QUIRK_RING0_EMULATED) KVM interprets it too, at
 * about a microsecond per instruction.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "minivmm/minivmm.h"
#include "run_emulate.h"

#define CMD "mvm run"

int emulate_begin(struct mvm_machine *m, const struct run_opts *o,
		  struct mvm_emu **emu)
{
	int rc;

	*emu = NULL;
	if (o->cpus > 1 || o->gdb_host) {
		cli_error(CMD, "--emulate interprets one vCPU: leave out "
			       "--cpus and --gdb");
		return -1;
	}
	if (mvm_machine_mode(m) != MVM_MODE_REAL) {
		cli_error(CMD,
			  "--emulate runs real-mode guests only (this one "
			  "starts in %s mode)",
			  mvm_mode_name(mvm_machine_mode(m)));
		return -1;
	}
	rc = mvm_emu_attach(m, 0, emu);
	if (rc < 0)
		cli_error(CMD, "cannot attach the interpreter: %s",
			  strerror(-rc));
	return rc < 0 ? -1 : 0;
}

void emulate_end(struct mvm_machine *m, struct mvm_emu *emu)
{
	const struct mvm_backend *b = mvm_vm_backend(mvm_machine_vm(m));
	uint64_t n = mvm_emu_insns(emu), ns = mvm_emu_ns(emu);

	fprintf(stderr,
		"%s: interpreted %llu instructions in %.3f ms (%.2f M "
		"instructions/s); KVM backend here: %s%s\n",
		CMD, (unsigned long long)n, ns / 1e6,
		ns ? (double)n * 1e3 / (double)ns : 0.0, b->name,
		(b->quirks & MVM_QUIRK_RING0_EMULATED)
			? " (KVM interprets real mode too)"
			: "");
	mvm_emu_destroy(emu);
}
