/*
 * main.c - the `mvm` program: find the subcommand and call it.
 *
 *   mvm run IMAGE       run a guest image, report why it stopped
 *   mvm restore FILE    run a snapshot on from where it was saved
 *   mvm doctor          check that this machine can run minivmm
 *   mvm <cmd> --help    options of one subcommand
 *
 * The dispatcher is one table. A subcommand gets argc/argv with argv[0]
 * set to its own name and returns the process exit status (commands.h):
 * 0 success, 1 the guest or a check failed, 2 the command line was wrong.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;		  /* what the user types */
	int (*fn)(int argc, char **argv); /* cmd_<name> */
	const char *summary;		  /* one line for `mvm --help` */
};

static const struct command commands[] = {
	{"run", cmd_run, "run a guest image and report why it stopped"},
	{"restore", cmd_restore,
	 "run a snapshot (mvm run --snapshot-on-exit) on"},
	{"doctor", cmd_doctor, "check /dev/kvm, capabilities and the CPU"},
	{"ctr", cmd_ctr,
	 "run a command in a container (OS-level virtualization)"},
	{"compare", cmd_compare,
	 "start-up time and memory: process, container, VM"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: mvm <command> [options] [args]\n\n"
		   "minivmm's command-line VMM. Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\nRun 'mvm <command> --help' for its options.\n"
		   "Exit status: 0 ok, 1 guest or check failed, "
		   "2 usage error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return MVM_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h") ||
	    !strcmp(name, "help")) {
		usage(stdout);
		return MVM_EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mvm: unknown command '%s' (try 'mvm --help')\n", name);
	return MVM_EXIT_USAGE;
}
