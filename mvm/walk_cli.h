/*
 * walk_cli.h - `mvm run --walk GVA[:4k|2m|1g]`: after the guest stops,
 * show how the MMU would translate GVA with EPT - the guest walk, the
 * EPT walk, the 2D grid of numbered references, slot and host address
 * (walk_cli.c; the walk itself is the library's, ept.h).
 */
#ifndef MVM_WALK_CLI_H
#define MVM_WALK_CLI_H

#include <stdio.h>

struct mvm_machine;

#define WALKCLI_OPT 0x1111 /* getopt_long() code of --walk */
#define WALKCLI_LONGOPTS                                     \
	{                                                    \
		"walk", required_argument, NULL, WALKCLI_OPT \
	}

/* Take --walk's value: 0, or -EINVAL after saying why. */
int walkcli_option(const char *cmd, const char *arg);
/* Its help lines. */
void walkcli_usage(FILE *f);
/* The run is over: print the walk if --walk asked for one (stdout).
 * Returns status, or MVM_EXIT_FAIL if the walk could not be made. */
int walkcli_finish(struct mvm_machine *m, int status);

#endif
