/*
 * snapshot_cli.h - snapshots from the command line: the options `mvm
 * run` and `mvm restore` share, and the hooks their run loops call
 * (snapshot_cli.c explains when a snapshot is taken).
 */
#ifndef MVM_SNAPSHOT_CLI_H
#define MVM_SNAPSHOT_CLI_H

#include <stdio.h>

struct console;
struct mvm_machine;

/* getopt_long() codes of the shared options (no short forms). */
#define SNAPCLI_OPT_ON_EXIT 0x1001 /* --snapshot-on-exit FILE */
#define SNAPCLI_OPT_AT_EXIT 0x1002 /* --snapshot-at-exit N */
#define SNAPCLI_OPT_DIFF    0x1003 /* --snapshot-diff */
/* Is c one of them? */
#define SNAPCLI_IS_OPT(c) \
	((c) >= SNAPCLI_OPT_ON_EXIT && (c) <= SNAPCLI_OPT_DIFF)

/* Their rows for a getopt_long() table. */
#define SNAPCLI_LONGOPTS                                                    \
	{"snapshot-on-exit", required_argument, NULL, SNAPCLI_OPT_ON_EXIT}, \
		{"snapshot-at-exit", required_argument, NULL,               \
		 SNAPCLI_OPT_AT_EXIT},                                      \
	{                                                                   \
		"snapshot-diff", no_argument, NULL, SNAPCLI_OPT_DIFF        \
	}

/* Take one option: 0, or -EINVAL after saying why. */
int snapcli_option(const char *cmd, int c, const char *arg);
/* After parsing: -EINVAL if the options do not fit together. */
int snapcli_check(const char *cmd);
/* The options' help lines. */
void snapcli_usage(FILE *f);

/* Between two exits of vCPU 0 (before each step): take a snapshot the
 * console asked for; 1 when --snapshot-at-exit's exit has been reached
 * and the run must end. */
int snapcli_poll(struct mvm_machine *m, struct console *con);

/* The run is over: write --snapshot-on-exit's file (with
 * --snapshot-diff, the chain's next diff) and end the chain. Returns the exit
 * status: status, MVM_EXIT_OK when --snapshot-at-exit ended the run and
 * the file is written, MVM_EXIT_FAIL when writing failed. */
int snapcli_finish(struct mvm_machine *m, int status);

#endif
