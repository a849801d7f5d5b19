/*
 * run_emulate.h - `mvm run --emulate` (run_emulate.c).
 */
#ifndef MVM_RUN_EMULATE_H
#define MVM_RUN_EMULATE_H

#include "run_opts.h"

struct mvm_machine;
struct mvm_emu;

/* Put the interpreter in place of KVM_RUN on vCPU 0 of m (loaded, real
 * mode). 0, or -1 after printing why not. */
int emulate_begin(struct mvm_machine *m, const struct run_opts *o,
		  struct mvm_emu **emu);
/* Print the instruction count and rate, then free the interpreter. */
void emulate_end(struct mvm_machine *m, struct mvm_emu *emu);

#endif
