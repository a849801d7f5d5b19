/*
 * cmd_run.c - `mvm run IMAGE`: load a guest, run it, say why it stopped.
 *
 * This is the whole life of a VM in one function each:
 *   build the machine (VM, RAM, devices)  -> mvm_machine_create()
 *   load the image, set the CPU mode      -> mvm_machine_load()
 *   run, one exit at a time               -> mvm_machine_step()
 *   explain the last exit                 -> mvm_exit_explain()
 * The machine is the one the debugger and the tests build (machine.h)
 * and the loop drives the library's single run step (STYLE.md 6), so
 * what --trace prints is exactly what the debugger and the tests see.
 *
 * With --gdb the machine is first handed to the gdb stub (gdbstub.h),
 * which runs it for gdb until gdb detaches; the loop here then runs on.
 *
 * The terminal belongs to the console (console.c): stdin goes to the
 * guest's UART, Ctrl-A starts a VMM command (Ctrl-A x quits), and guest
 * output is escaped so it cannot drive the terminal.
 *
 * Exit status: 0 when the guest halted or said DONE, or the user quit
 * with Ctrl-A x; 1 when it failed (assertion, triple fault, emulation
 * error, timeout) or a signal (SIGINT, SIGTERM) stopped it; 2 on usage
 * errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"
#include "run_irq.h"
#include "run_emulate.h"
#include "run_linux.h"
#include "run_opts.h"
#include "run_report.h"
#include "snapshot_cli.h"
#include "walk_cli.h"

#define CMD "mvm run"

/* The demo device timed a marker interval (cpl-compute's loops). */
static void on_mark(void *ctx, unsigned id, uint64_t ns)
{
	(void)ctx;
	fprintf(stderr, "%s: marker %u: %.3f ms\n", CMD, id, ns / 1e6);
}

/*
 * The machine: the same one the debugger and the tests build for this
 * image (machine.h), with guest output on stdout. Created first and
 * loaded second, so that "cannot create a VM" and "cannot load" are
 * told apart.
 */
static int machine_build(struct mvm_machine **m, const struct run_opts *o,
			 struct cli_log_ctx *logctx, struct console *con)
{
	struct mvm_machine_config cfg = {
		.ram_size = o->mem,
		.ncpus = o->cpus,
		/* Handler times need timestamps, which only tracing takes. */
		.trace = o->trace || o->stats,
		.load_flags = o->flat ? MVM_LOAD_FLAT : 0,
		.out = console_output,
		.out_ctx = con,
		.mark = on_mark,
		.log = {cli_log, logctx},
	};
	int rc;

	mvm_virtio_opts_config(&o->vio, &cfg); /* --disk, --virtio */
	if (o->balloon)
		cfg.virtio |= MVM_VIRTIO_DEV_BALLOON;
	runirq_config(&cfg);
	/* One line: the library's reason (a disk that is missing, say), or
	 * KVM's errno and where to look. */
	char held[256];
	cli_hold_errors(held, sizeof(held));
	rc = mvm_machine_create(&cfg, m);
	cli_hold_errors(NULL, 0);
	if (rc < 0) {
		const char *why = cli_held_reason(held, "");

		if (why)
			cli_error(CMD, "cannot create a VM: %s", why);
		else
			cli_error(CMD,
				  "cannot create a VM: %s (try 'mvm doctor')",
				  strerror(-rc));
		return rc;
	}
	rc = runirq_attach(CMD, *m);
	if (rc < 0)
		return rc;
	if (o->balloon) /* the guest's driver reads it at start */
		mvm_virtio_balloon_set_target(mvm_machine_virtio(*m)->balloon,
					      o->balloon_pages);
	/* One line per error: the loader's reason, not it and then ours. */
	char why[256];
	cli_hold_errors(why, sizeof(why));
	rc = mvm_machine_load(*m, o->image,
			      o->mode_set ? (int)o->mode : MVM_MODE_AUTO);
	cli_hold_errors(NULL, 0);
	const char *reason = cli_held_reason(why, o->image);
	if (rc < 0)
		cli_error(CMD, "cannot load '%s': %s", o->image,
			  reason ? reason : strerror(-rc));
	else if (reason) /* an error the loader got over */
		cli_error(CMD, "error: %s", reason);
	return rc;
}

/* Two intervals (cpl-compute: the same loop at CPL 0 and CPL 3): their
 * ratio is the point of the exercise. */
static void report_markers(struct mvm_machine *m)
{
	struct mvm_demo *d = mvm_machine_demo(m);
	uint64_t a = d ? mvm_demo_took_ns(d, 0) : 0;
	uint64_t b = d ? mvm_demo_took_ns(d, 1) : 0;

	if (a && b)
		fprintf(stderr, "%s: marker 0 took %.1fx as long as marker 1\n",
			CMD, (double)a / (double)b);
}

/* The user stopped the VM (console.c): Ctrl-A x is a normal way out,
 * a signal is not (the guest did not finish). */
static int report_quit(struct console *con)
{
	if (console_quit(con) == CONSOLE_BY_KEY) {
		fprintf(stderr, "%s: stopped with Ctrl-A x\n", CMD);
		return MVM_EXIT_OK;
	}
	fprintf(stderr, "%s: stopped by SIG%s\n", CMD,
		sigabbrev_np(con->signo));
	return MVM_EXIT_FAIL;
}

/* cmd_run() sets this when no -T was given, so the message can say
 * where the limit came from. */
static int limit_is_default;

/*
 * The run loop. A guest that never exits (`jmp $`) would keep KVM_RUN
 * busy forever, so --timeout arms the vCPU's deadline: a timer signal
 * interrupts KVM_RUN, and the run step returns -ETIMEDOUT. When the run
 * is over is the machine's verdict, the same in every tool. `mvm restore`
 * runs a restored machine with the same loop.
 */
/* [slide:mvm-run-loop] */
int run_loop(struct mvm_machine *m, unsigned timeout_ms, int trace, int stats,
	     struct console *con)
{
	struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, 0);
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e = {0};
	int rc = 0;

	if (timeout_ms)
		mvm_vcpu_set_deadline(vcpu, timeout_ms);
	while ((v == MVM_GO_ON || v == MVM_SYNC) && !console_quit(con) &&
	       !snapcli_poll(m, con) && !migcli_poll(m, con)) {
		rc = mvm_machine_step(m, 0, &e, &v); /* one exit */
		if (trace && rc == 0)
			report_trace(mvm_machine_vm(m), &e);
		if (v != MVM_GO_ON && (v != MVM_SYNC || trace))
			console_end_line(con); /* our words on their own line */
		report_verdict(m, v, &e, trace);
	}
	mvm_vcpu_set_deadline(vcpu, 0);
	/* [/slide:mvm-run-loop] */
	console_stop(con);
	if (console_quit(con))
		return report_quit(con);
	if (rc == -ETIMEDOUT) /* say which limit, and how to change it */
		cli_error(CMD,
			  "timed out after %.3g s (guest RIP %#llx): %s; -T "
			  "SEC sets another, -T 0 none",
			  timeout_ms / 1000.0, (unsigned long long)e.rip,
			  limit_is_default
				  ? "the default run limit for an image"
				  : "the run limit (-T)");
	else if (rc < 0)
		cli_error(CMD, "KVM_RUN failed: %s", strerror(-rc));
	report_markers(m);
	if (stats) {
		char vio[1024];

		report_stats(vcpu);
		if (mvm_machine_virtio_stats(m, vio, sizeof(vio)) > 0)
			fputs(vio, stderr); /* per virtio queue */
	}
	return v == MVM_DONE ? MVM_EXIT_OK : MVM_EXIT_FAIL;
}

/* The gdb stub asks when a wait is interrupted: a stop signal or
 * Ctrl-A x ends the session. */
static int gdb_should_stop(void *ctx)
{
	return console_quit(ctx) != 0;
}

/*
 * --gdb: hand the machine to the gdb stub (gdbstub.h) before its first
 * instruction; no --timeout applies while gdb has it. When gdb detaches
 * the guest runs on here; 1 = the guest's run is over (*status set).
 */
static int run_gdb(struct mvm_machine *m, const struct run_opts *o,
		   struct cli_log_ctx *logctx, struct console *con, int *status)
{
	struct mvm_gdb_config cfg = {
		.machine = m,
		.log = {cli_log, logctx},
		.should_stop = gdb_should_stop,
		.ctx = con,
	};
	struct mvm_gdb *g = NULL;
	int rc = mvm_gdb_create(&cfg, &g);

	if (rc == 0 && o->gdb_unix)
		rc = mvm_gdb_listen_unix(g, o->gdb_unix);
	else if (rc == 0)
		rc = mvm_gdb_listen_tcp(g, o->gdb_host, o->gdb_port);
	if (rc >= 0) {
		if (o->gdb_unix)
			fprintf(stderr, "%s: waiting for gdb on %s\n", CMD,
				o->gdb_unix);
		else
			fprintf(stderr, "%s: waiting for gdb on %s:%d\n", CMD,
				o->gdb_host, rc);
		rc = mvm_gdb_accept(g);
	}
	if (rc == 0)
		rc = mvm_gdb_serve(g);
	mvm_gdb_destroy(g);
	*status = MVM_EXIT_FAIL;
	if (rc == -EINTR) { /* a stop signal or Ctrl-A x */
		*status = report_quit(con);
		return 1;
	}
	if (rc < 0) {
		cli_error(CMD, "gdb stub: %s", strerror(-rc));
		return 1;
	}
	if (rc == MVM_GDB_GUEST_DONE)
		*status = MVM_EXIT_OK;
	if (rc == MVM_GDB_KILLED)
		fprintf(stderr, "%s: killed by gdb\n", CMD);
	return rc != MVM_GDB_DETACHED && rc != MVM_GDB_DISCONNECTED;
}

/* Parse, build the machine (which loads the image and sets up the CPU),
 * run; each step prints its own error, and mvm_machine_destroy() cleans
 * up whatever was built. */
int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.mem = MVM_RAM_DEFAULT, .cpus = 1};
	struct cli_log_ctx logctx = {CMD, MVM_LOG_WARN};
	struct mvm_machine *m = NULL;
	struct mvm_emu *emu = NULL;
	struct console con;
	int rc, status = run_parse_args(argc, argv, &o);

	if (status >= 0)
		return status;
	if (o.kernel)
		return run_linux(&o);
	if (o.gdb_host && o.cpus > 1) {
		cli_error(CMD, "--gdb drives one vCPU: leave out --cpus");
		return MVM_EXIT_USAGE;
	}
	if (migcli_enabled() && o.gdb_host) {
		cli_error(CMD, "--migrate-to migrates without gdb: leave out "
			       "--gdb");
		return MVM_EXIT_USAGE;
	}
	if (o.verbose)
		logctx.level = MVM_LOG_DEBUG;
	limit_is_default = !o.timeout_set;
	status = MVM_EXIT_FAIL;
	console_init(&con, o.raw);
	con.to_virtio = o.console_virtio;
	if (machine_build(&m, &o, &logctx, &con) == 0 &&
	    (!o.emulate || emulate_begin(m, &o, &emu) == 0)) {
		rc = console_start(&con, m);
		if (rc < 0)
			cli_error(CMD, "cannot start the console: %s",
				  strerror(-rc));
		else if (o.gdb_host && run_gdb(m, &o, &logctx, &con, &status))
			; /* the guest's run ended under gdb */
		else
			status = o.cpus > 1 ? run_smp(m, o.timeout_ms, o.trace,
						      &con)
					    : run_loop(m, o.timeout_ms, o.trace,
						       o.stats, &con);
		if (status < 0) {
			console_stop(&con);
			status = report_quit(&con);
		}
		status = walkcli_finish(m, status);
		status = migcli_finish(m, status);
		status = snapcli_finish(m, status);
		if (o.stats)
			runirq_report(stderr, m);
		if (emu)
			emulate_end(m, emu);
	}
	console_stop(&con);
	if (m)
		mvm_machine_stop(m);
	runirq_detach();
	mvm_machine_destroy(m);
	runirq_free();
	return status;
}
