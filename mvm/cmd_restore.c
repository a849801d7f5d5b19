/*
 * cmd_restore.c - `mvm restore FILE`: a machine back from a snapshot,
 * running on from where it was saved.
 *
 *   mvm run --snapshot-at-exit 300 --snapshot-on-exit s.snap guest.elf
 *   mvm restore s.snap          (the guest prints the rest of its run)
 *
 * The machine is built from the snapshot's own config (snapshot.h): no
 * image, no --mem, no --mode, all of that is in the file. RAM is mapped
 * from the file, copy-on-write, so a restore costs what the guest then
 * touches, not the size of its RAM; --copy reads it all instead (to
 * compare), --verify checks RAM's checksum too (every other section is
 * always checked). The run loop is `mvm run`'s: the same steps, the same
 * verdicts, the same console and snapshot keys.
 *
 * Exit status as for `mvm run`: 0 DONE/HLT or Ctrl-A x, 1 the guest
 * failed or the snapshot was refused, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"
#include "run_report.h"
#include "snapshot_cli.h"

#define CMD "mvm restore"

struct restore_opts {
	unsigned flags;	     /* MVM_SNAP_VERIFY, MVM_SNAP_COPY */
	int trace;	     /* --trace: print every exit */
	int verbose;	     /* -v: the library's debug messages */
	int raw;	     /* --raw: guest output untouched */
	unsigned timeout_ms; /* 0 = until the guest stops */
	const char *file;    /* the snapshot */
	const char *listen;  /* --listen: a migration instead */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mvm restore [options] FILE\n"
		   "       mvm restore [options] --listen [HOST:]PORT\n\n"
		   "Restore the machine saved in FILE (mvm run "
		   "--snapshot-on-exit, Ctrl-A s)\nand run it on from where "
		   "it was saved.\n\n"
		   "      --verify        check guest RAM's checksum too "
		   "(reads all of it)\n"
		   "      --copy          read RAM into memory instead of "
		   "mapping the file\n"
		   "      --listen [HOST:]PORT  receive a live migration "
		   "(mvm run --migrate-to)\n"
		   "                      instead of FILE (HOST default "
		   "127.0.0.1; PORT 0: any, printed)\n"
		   "  -t, --trace         print every exit to stderr\n"
		   "  -T, --timeout SEC   stop the guest after SEC seconds "
		   "(as in mvm run;\n"
		   "                      default: none; -T 0: no limit)\n"
		   "  -r, --raw           guest output untouched\n"
		   "  -v, --verbose       show the library's debug messages\n");
	snapcli_usage(f);
	fprintf(f, "  -h, --help          this text\n\n"
		   "Exit status: 0 halted/DONE or Ctrl-A x, 1 guest failed "
		   "or FILE refused,\n2 usage error.\n");
}

static int parse_args(int argc, char **argv, struct restore_opts *o)
{
	static const struct option opts[] = {
		{"verify", no_argument, NULL, 'V'},
		{"copy", no_argument, NULL, 'C'},
		{"listen", required_argument, NULL, MIGCLI_OPT_LISTEN},
		{"trace", no_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{"raw", no_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		SNAPCLI_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":tT:rvh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MVM_EXIT_OK;
		} else if (c == MIGCLI_OPT_LISTEN) {
			o->listen = optarg;
		} else if (c == 'V' || c == 'C') {
			o->flags |= c == 'V' ? MVM_SNAP_VERIFY : MVM_SNAP_COPY;
		} else if (c == 't' || c == 'r' || c == 'v') {
			*(c == 't'   ? &o->trace
			  : c == 'r' ? &o->raw
				     : &o->verbose) = 1;
		} else if (c == 'T') {
			if (cli_parse_limit(optarg, &o->timeout_ms) < 0) {
				cli_error(
					CMD,
					"bad --timeout '%s': need seconds %s, "
					"or 0 for no limit",
					optarg, CLI_SECONDS_RANGE);
				return MVM_EXIT_USAGE;
			}
		} else if (SNAPCLI_IS_OPT(c)) {
			if (snapcli_option(CMD, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else {
			return cli_bad_option(CMD, argv, c);
		}
	}
	if (argc - optind != (o->listen ? 0 : 1)) {
		cli_error(CMD, "%s (try '%s --help')",
			  optind < argc ? "too many arguments" : "missing FILE",
			  CMD);
		return MVM_EXIT_USAGE;
	}
	o->file = o->listen ? NULL : argv[optind];
	return snapcli_check(CMD) < 0 ? MVM_EXIT_USAGE : -1;
}

/* The machine, from the file; how long it took goes to stderr. */
static int restore(struct mvm_machine **m, const struct restore_opts *o,
		   struct cli_log_ctx *logctx, struct console *con)
{
	struct mvm_machine_config base = {
		.trace = o->trace,
		.out = console_output,
		.out_ctx = con,
		.log = {cli_log, logctx},
	};
	struct timespec t0, t1;
	char why[256];
	int rc;

	if (o->listen)
		return migcli_receive(CMD, o->listen, &base, m);
	if (cli_check_image(CMD, o->file) == -EINVAL)
		return -EINVAL; /* a FIFO would block the open() */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cli_hold_errors(why, sizeof(why)); /* one line per failure */
	rc = mvm_snapshot_restore(o->file, &base, o->flags, m);
	cli_hold_errors(NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	const char *reason = cli_held_reason(why, o->file);
	if (rc < 0) {
		cli_error(CMD, "cannot restore '%s': %s", o->file,
			  reason ? reason : strerror(-rc));
		return rc;
	}
	if (reason)
		cli_error(CMD, "error: %s", reason);
	fprintf(stderr, "%s: restored '%s' in %.1f ms (%s)\n", CMD, o->file,
		(double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			(double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		o->flags & MVM_SNAP_COPY ? "RAM copied" : "RAM mapped");
	return 0;
}

int cmd_restore(int argc, char **argv)
{
	struct restore_opts o = {0};
	struct cli_log_ctx logctx = {CMD, MVM_LOG_WARN};
	struct mvm_machine *m = NULL;
	struct console con;
	int rc, status = parse_args(argc, argv, &o);

	if (status >= 0)
		return status;
	if (o.verbose)
		logctx.level = MVM_LOG_DEBUG;
	status = MVM_EXIT_FAIL;
	console_init(&con, o.raw);
	if (restore(&m, &o, &logctx, &con) == 0) {
		rc = console_start(&con, m);
		if (rc < 0)
			cli_error(CMD, "cannot start the console: %s",
				  strerror(-rc));
		else if (mvm_machine_ncpus(m) > 1) /* one thread each */
			status = snapcli_finish(
				m, run_smp(m, o.timeout_ms, o.trace, &con));
		else
			status = snapcli_finish(
				m, run_loop(m, o.timeout_ms, o.trace, 0, &con));
		if (status < 0) /* run_smp(): stopped from the console */
			status = console_quit(&con) == CONSOLE_BY_KEY
					 ? MVM_EXIT_OK
					 : MVM_EXIT_FAIL;
	}
	console_stop(&con);
	mvm_machine_destroy(m);
	return status;
}
