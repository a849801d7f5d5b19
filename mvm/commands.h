/*
 * commands.h - the subcommands of the `mvm` program.
 *
 * Each subcommand lives in its own file mvm/cmd_<name>.c and exports one
 * entry point with main()'s signature; argv[0] is the subcommand's name,
 * so it can parse its options with getopt_long() like a program of its
 * own. It returns the process exit status (see MVM_EXIT_* below).
 *
 * To add a subcommand: write mvm/cmd_<name>.c, declare it here, add one
 * line to the table in mvm/main.c and the file to MVM_SRCS in
 * mvm/build.mk.
 */
#ifndef MVM_COMMANDS_H
#define MVM_COMMANDS_H

/* Exit statuses shared by every subcommand. */
#define MVM_EXIT_OK    0 /* the guest halted or said DONE; check passed */
#define MVM_EXIT_FAIL  1 /* the guest failed, timed out, or a check failed */
#define MVM_EXIT_USAGE 2 /* bad command line: unknown option, bad value */

int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_ctr(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
