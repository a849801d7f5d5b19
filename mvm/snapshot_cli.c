/*
 * snapshot_cli.c - when `mvm run` and `mvm restore` take snapshots.
 *
 *   --snapshot-on-exit FILE  when the run ends, whatever the verdict
 *                            (DONE, failure, timeout, Ctrl-A x, a
 *                            signal), the machine is saved to FILE. A
 *                            guest that said DONE restores to a guest
 *                            that has finished: useful to inspect it,
 *                            not to continue it; to continue, stop early:
 *   --snapshot-at-exit N     end the run after its N-th exit (exit
 *                            status 0) and save there; needs
 *                            --snapshot-on-exit.
 *   Ctrl-A s, SIGUSR1        save while the guest runs, which then goes
 *                            on: to FILE, or to mvm-PID.snap without
 *                            --snapshot-on-exit.
 *   --snapshot-diff          the first snapshot of the run (key, signal
 *                            or the end) is a full one, to FILE, and
 *                            starts a diff chain (snapshot.h); each later
 *                            one writes FILE.1, FILE.2, ... with only the
 *                            pages written since the one before. `mvm
 *                            restore FILE.2` follows the chain back to
 *                            FILE; keep the files together.
 *
 * Every snapshot is taken by the thread that steps the vCPU, between
 * two steps (snapcli_poll()): the machine is not started with threads
 * (cmd_run.c steps it itself), so between steps nothing runs and
 * mvm_snapshot_save() may read everything. The console's input thread
 * only raises a flag and kicks the vCPU (console.c).
 *
 * One run per process: the state below is the process's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "minivmm/minivmm.h"
#include "snapshot_cli.h"

static const char *on_exit_file;     /* --snapshot-on-exit */
static unsigned long at_exit;	     /* --snapshot-at-exit (0: none) */
static unsigned long steps;	     /* steps taken so far */
static int stopped_at_exit;	     /* the run ended at at_exit */
static int diff;		     /* --snapshot-diff */
static struct mvm_snap_chain *chain; /* its chain, once begun */
static char *chain_file;	     /* the chain's base file */

int snapcli_option(const char *cmd, int c, const char *arg)
{
	char *end;

	if (c == SNAPCLI_OPT_ON_EXIT) {
		on_exit_file = arg;
		return 0;
	}
	if (c == SNAPCLI_OPT_DIFF) {
		diff = 1;
		return 0;
	}
	errno = 0;
	at_exit = strtoul(arg, &end, 10);
	if (errno || *end || !*arg || at_exit == 0 || arg[0] == '-') {
		cli_error(cmd,
			  "bad --snapshot-at-exit '%s': need an exit "
			  "number >= 1",
			  arg);
		return -EINVAL;
	}
	return 0;
}

int snapcli_check(const char *cmd)
{
	if (at_exit && !on_exit_file) {
		cli_error(cmd, "--snapshot-at-exit needs --snapshot-on-exit "
			       "FILE");
		return -EINVAL;
	}
	return 0;
}

void snapcli_usage(FILE *f)
{
	fprintf(f, "      --snapshot-on-exit FILE  save the machine to FILE "
		   "when the run ends\n"
		   "                      (whatever the verdict); Ctrl-A s "
		   "and SIGUSR1 save\n"
		   "                      there too (else to mvm-PID.snap) "
		   "and the guest goes on\n"
		   "      --snapshot-at-exit N  end the run after exit N and "
		   "save it (status 0)\n"
		   "      --snapshot-diff  the first snapshot is full, each "
		   "later one a diff\n"
		   "                      (FILE.1, FILE.2, ...: only the pages "
		   "written since the\n"
		   "                      one before; mvm restore FILE.N "
		   "follows the chain)\n");
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* With --snapshot-diff: the chain's base, or its next diff. */
static int save_diff(struct mvm_machine *m, const char *file, char **name)
{
	unsigned seq = mvm_snapshot_chain_seq(chain) + 1;

	if (!chain) {
		free(chain_file);
		chain_file = strdup(file);
		return chain_file ? mvm_snapshot_chain_begin(m, file, &chain)
				  : -ENOMEM;
	}
	if (asprintf(name, "%s.%u", chain_file, seq) < 0)
		return -ENOMEM;
	return mvm_snapshot_chain_next(chain, *name);
}

/* Save and say so on stderr: 0 or -errno (the library logged why). */
static int save(struct mvm_machine *m, const char *file)
{
	struct timespec t0;
	char *name = NULL;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = diff ? save_diff(m, file, &name) : mvm_snapshot_save(m, file);
	if (name)
		file = name;
	if (rc < 0)
		fprintf(stderr, "mvm: snapshot to '%s' failed: %s\n", file,
			strerror(-rc));
	else
		fprintf(stderr,
			"mvm: snapshot after exit %lu written to '%s' "
			"(%.1f ms%s)\n",
			steps, file, ms_since(&t0), name ? ", a diff" : "");
	free(name);
	return rc;
}

int snapcli_poll(struct mvm_machine *m, struct console *con)
{
	if (console_snapshot_requested(con)) {
		char name[64];
		const char *file = on_exit_file;

		if (!file) {
			snprintf(name, sizeof(name), "mvm-%d.snap",
				 (int)getpid());
			file = name;
		}
		console_end_line(con);
		save(m, file);
	}
	if (at_exit && steps == at_exit) {
		stopped_at_exit = 1;
		return 1;
	}
	steps++;
	return 0;
}

/* The chain's logging off (the run is over: nothing runs). */
static void end_chain(void)
{
	mvm_snapshot_chain_end(chain);
	chain = NULL;
	free(chain_file);
	chain_file = NULL;
}

int snapcli_finish(struct mvm_machine *m, int status)
{
	int rc;

	if (!m || !on_exit_file) {
		end_chain();
		return status;
	}
	if (stopped_at_exit)
		fprintf(stderr,
			"mvm: stopped after exit %lu "
			"(--snapshot-at-exit)\n",
			at_exit);
	rc = save(m, on_exit_file);
	end_chain();
	if (rc < 0)
		return MVM_EXIT_FAIL;
	return stopped_at_exit ? MVM_EXIT_OK : status;
}
