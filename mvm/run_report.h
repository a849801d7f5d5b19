/*
 * run_report.h - what `mvm run` prints about exits: the --trace line, the
 * explanation of a fatal exit, ucall results and the --stats table.
 */
#ifndef MVM_RUN_REPORT_H
#define MVM_RUN_REPORT_H

#include "minivmm/devices.h"
#include "minivmm/exit.h"
#include "minivmm/machine.h"

struct mvm_vcpu;

struct mvm_vm;

/* "   12  rip 0x00100034     830 ns  IO out port 0x00e9 ..." (stderr).
 * A ucall exit also shows the call, read from guest memory in vm. */
void report_trace(struct mvm_vm *vm, const struct mvm_exit *e);

/* Say how the run ended: DONE, HLT, STOP marker, an assertion (with its
 * values), a fatal exit explained; SYNC stages only with trace. */
void report_verdict(struct mvm_machine *m, enum mvm_verdict v,
		    const struct mvm_exit *e, int trace);
/* The same for vCPU `vcpu` (its own ucall mailbox). */
void report_verdict_of(struct mvm_machine *m, int vcpu, enum mvm_verdict v,
		       const struct mvm_exit *e, int trace);

struct console;

/* `mvm run`'s loop for vCPU 0 (cmd_run.c), also `mvm restore`'s: step
 * until the verdict ends the run, the console quits or a snapshot is due;
 * report it; the exit status. */
int run_loop(struct mvm_machine *m, unsigned timeout_ms, int trace, int stats,
	     struct console *con);

/* `mvm run --cpus N` (run_smp.c): a thread per vCPU; the exit status,
 * or -1 when the console or a signal stopped it. */
int run_smp(struct mvm_machine *m, unsigned timeout_ms, int trace,
	    struct console *con);

/* Print mvm_exit_explain() for an exit that stopped the guest. */
void report_stop(const struct mvm_exit *e);
/* The same with vCPU `vcpu` of machine m at hand: the explanation looks
 * at its registers and page tables (which page is unmapped, whether RIP
 * is in RAM). m may be NULL. */
void report_stop_in(struct mvm_machine *m, int vcpu, const struct mvm_exit *e);

/* Exits by reason (count, mean handler time) and KVM's own counters. */
void report_stats(struct mvm_vcpu *vcpu);

#endif
