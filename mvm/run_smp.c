/*
 * run_smp.c - `mvm run --cpus N`: every vCPU on its own thread.
 *
 * With one vCPU `mvm run` steps the guest itself, one exit at a time
 * (cmd_run.c). With several, the machine layer starts one thread per
 * vCPU (machine.h, mvm_machine_start()) and this thread only waits: for
 * every vCPU to finish, for the console's quit key, or for a signal.
 * Then it stops the threads and reports each vCPU's verdict, the same
 * verdicts a single-vCPU run prints. Try it with the guest made for it:
 *
 *   mvm run --cpus 2 build/examples/smp-count.elf
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"
#include "run_report.h"

#define CMD	    "mvm run"
#define POLL_MS	    100 /* how often the waiting thread looks at the console */
#define MIG_POLL_MS 5	/* and at a migration (--migrate-to) */

/* --trace from several threads: one locked line per exit, tagged with
 * the vCPU, so lines of two vCPUs never mix. */
static void trace_exit(void *ctx, struct mvm_vcpu *vcpu,
		       const struct mvm_exit *e)
{
	flockfile(stderr);
	fprintf(stderr, "[vCPU %d] ", mvm_vcpu_index(vcpu));
	report_trace(ctx, e);
	funlockfile(stderr);
}

/* Each vCPU's verdict; 1 when all of them are DONE. A run limit that
 * fired says which one and how to change it, as the one-vCPU loop does. */
static int report_all(struct mvm_machine *m, int trace, unsigned timeout_ms)
{
	enum mvm_verdict v;
	struct mvm_exit e;
	int ok = 1, timed_out = 0;

	for (int i = 0; i < mvm_machine_ncpus(m); i++) {
		if (mvm_machine_result(m, i, &v, &e) < 0)
			v = MVM_FAILED;
		fprintf(stderr, "%s: vCPU %d: %s\n", CMD, i,
			mvm_verdict_name(v));
		report_verdict_of(m, i, v, &e, trace);
		ok &= v == MVM_DONE;
		timed_out |= v == MVM_TIMED_OUT;
	}
	if (timed_out)
		cli_error(CMD,
			  "the run limit of %.3g s stopped it; -T SEC sets "
			  "another, -T 0 none",
			  timeout_ms / 1000.0);
	return ok;
}

int run_smp(struct mvm_machine *m, unsigned timeout_ms, int trace,
	    struct console *con)
{
	int rc = mvm_machine_start(m, timeout_ms, trace ? trace_exit : NULL,
				   mvm_machine_vm(m));

	if (rc < 0) {
		cli_error(CMD, "cannot start the vCPU threads: %s",
			  strerror(-rc));
		return MVM_EXIT_FAIL;
	}
	while (mvm_machine_wait(m, migcli_enabled() ? MIG_POLL_MS : POLL_MS) ==
		       -ETIMEDOUT &&
	       !console_quit(con))
		if (migcli_poll(m, con)) { /* the guest runs in the target */
			mvm_machine_stop(m);
			return MVM_EXIT_OK;
		}
	mvm_machine_stop(m);
	if (console_quit(con))
		return -1; /* the caller says how it was stopped */
	return report_all(m, trace, timeout_ms) ? MVM_EXIT_OK : MVM_EXIT_FAIL;
}
