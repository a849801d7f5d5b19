/*
 * run_linux.h - `mvm run --kernel`: boot a Linux kernel (run_linux.c).
 */
#ifndef MVM_RUN_LINUX_H
#define MVM_RUN_LINUX_H

#include "run_opts.h"

/* Build the Linux machine, boot o->kernel, run until the guest resets,
 * fails, times out or is stopped. Returns the exit status. */
int run_linux(const struct run_opts *o);

#endif
