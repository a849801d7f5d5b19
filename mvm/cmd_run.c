/*
 * cmd_run.c - `mvm run IMAGE`: load a guest, run it, say why it stopped.
 *
 * This is the whole life of a VM in one function each:
 *   create the VM (RAM, one vCPU)  -> mvm_vm_create()
 *   attach devices                 -> mvm_std_devices_attach() + demo
 *   load the image                 -> mvm_load_elf() / mvm_load_flat()
 *   set the CPU mode               -> mvm_vcpu_setup_mode()
 *   run, one exit at a time        -> mvm_vcpu_run_once()
 *   explain the last exit          -> mvm_exit_explain()
 * The loop drives the library's single run step (STYLE.md 6), so what
 * --trace prints is exactly what the debugger and the tests see.
 *
 * Exit status: 0 when the guest halted or said DONE, 1 when it failed
 * (assertion, triple fault, emulation error, timeout), 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "demo_dev.h"
#include "minivmm/minivmm.h"
#include "run_report.h"
#include "../examples/runtime/demo.h"

#define CMD "mvm run"

struct run_opts {
	int mode_set;		/* --mode given */
	enum mvm_cpu_mode mode; /* CPU mode to start in */
	uint64_t mem;		/* bytes of guest RAM */
	int trace;		/* --trace: print every exit */
	int stats;		/* --stats: table at the end */
	int verbose;		/* -v: show the library's debug messages */
	unsigned timeout_ms;	/* 0 = run until the guest stops */
	const char *image;	/* path */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mvm run [options] IMAGE\n\n"
		   "Run a guest image (ELF or flat binary) until it halts, "
		   "says DONE, or fails.\n\n"
		   "  -m, --mode MODE     real | prot | long (default: ELF64 "
		   "long, ELF32 prot,\n"
		   "                      flat binary real)\n"
		   "  -M, --mem SIZE      guest RAM, e.g. 64M, 1G (default "
		   "64M)\n"
		   "  -t, --trace         print every exit to stderr as it "
		   "happens\n"
		   "  -s, --stats         print exit counts and handler times "
		   "at the end\n"
		   "  -T, --timeout SEC   stop the guest after SEC seconds "
		   "(default: none)\n"
		   "  -v, --verbose       show the library's debug messages\n"
		   "  -h, --help          this text\n\n"
		   "Flat images load at 0x7c00 in real mode, else at 1 MiB. "
		   "Guest output\n(debug port, UART, ucall PRINT) goes to "
		   "stdout; everything else to stderr.\n"
		   "Exit status: 0 halted/DONE, 1 guest failed or timed out, "
		   "2 usage error.\n");
}

/*
 * Check one option value. RAM must be whole 4 KiB pages (memory slots
 * are page-granular, api.rst "KVM_SET_USER_MEMORY_REGION") and end
 * below the MMIO window (layout.h), so the limits come from there.
 */
static int parse_value(struct run_opts *o, int c, const char *arg)
{
	int bad = 0;

	if (c == 'm')
		bad = mvm_mode_parse(arg, &o->mode) < 0, o->mode_set = 1;
	else if (c == 'M')
		bad = cli_parse_size(arg, &o->mem) < 0 ||
		      o->mem < MVM_RAM_MIN || o->mem > MVM_RAM_MAX ||
		      o->mem % 4096;
	else if (c == 'T')
		bad = cli_parse_seconds(arg, &o->timeout_ms) < 0;
	if (!bad)
		return 0;
	if (c == 'm')
		cli_error(CMD, "bad --mode '%s': use real, prot or long", arg);
	else if (c == 'M')
		cli_error(CMD,
			  "bad --mem '%s': need a multiple of 4K between "
			  "%lluM and %lluM",
			  arg, MVM_RAM_MIN >> 20, MVM_RAM_MAX >> 20);
	else
		cli_error(CMD, "bad --timeout '%s': need seconds > 0", arg);
	return -EINVAL;
}

/*
 * getopt_long() with opterr = 0 and a leading ':' in the option string,
 * so every error message is ours, one line, naming the culprit.
 * Returns -1 to go on, else the exit status to return right away.
 */
static int parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"mem", required_argument, NULL, 'M'},
		{"trace", no_argument, NULL, 't'},
		{"stats", no_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:M:tsT:vh", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MVM_EXIT_OK;
		} else if (c == 't' || c == 's' || c == 'v') {
			*(c == 't'   ? &o->trace
			  : c == 's' ? &o->stats
				     : &o->verbose) = 1;
		} else if (c == 'm' || c == 'M' || c == 'T') {
			if (parse_value(o, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else {
			return cli_bad_option(CMD, argv, c);
		}
	}
	if (argc - optind != 1) {
		cli_error(CMD, "%s (try '%s --help')",
			  optind < argc ? "too many arguments"
					: "missing IMAGE",
			  CMD);
		return MVM_EXIT_USAGE;
	}
	o->image = argv[optind];
	return -1;
}

/* Everything one run owns; machine_destroy() accepts a partial one. */
struct machine {
	struct cli_log_ctx logctx;   /* prefix and verbosity for cli_log */
	struct mvm_vm *vm;	     /* NULL until created */
	struct mvm_vcpu *vcpu;	     /* vCPU 0 */
	struct mvm_std_devices devs; /* debugcon, ucall, UART */
	struct demo_dev demo;	     /* demo port/MMIO/MSR answers */
	struct mvm_image_info img;   /* what the loader placed where */
};

/* Guest output goes straight to stdout, unbuffered, so it interleaves
 * correctly with --trace lines on stderr. */
static void out_stdout(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	fwrite(buf, 1, len, stdout);
	fflush(stdout);
}

/*
 * The demo device answers the exit tour's port, MMIO and MSR accesses.
 * The MSR needs more than a bus entry: KVM handles RDMSR in the kernel,
 * so we must ask it to send this one index to user space. A filter
 * (api.rst, "KVM_X86_SET_MSR_FILTER") does that even for an MSR KVM
 * might know; KVM_CAP_X86_USER_SPACE_MSR (api.rst, same name) turns the
 * filtered access into KVM_EXIT_X86_RDMSR instead of a #GP.
 */
static int attach_demo(struct machine *m)
{
	static const uint32_t msr = MVM_DEMO_MSR;
	int rc;

	demo_dev_init(&m->demo, stderr);
	rc = mvm_bus_register(mvm_vm_pio_bus(m->vm), MVM_PORT_DEMO, 1,
			      &demo_dev_ops, &m->demo);
	if (!rc)
		rc = mvm_bus_register(mvm_vm_mmio_bus(m->vm),
				      MVM_MMIO_DEMO_ADDR, 8, &demo_dev_ops,
				      &m->demo);
	if (rc < 0)
		return rc;
	/* Without user-space MSR exits the tour's RDMSR would #GP. */
	if (mvm_vm_enable_user_msr(m->vm, &msr, 1, demo_dev_msr, &m->demo) < 0)
		cli_error(CMD, "note: user-space MSR exits unavailable; "
			       "RDMSR of unknown MSRs will fault");
	return 0;
}

/* One VM with one vCPU (examples are single-threaded), the standard
 * devices writing to stdout, and the demo device. */
static int machine_create(struct machine *m, const struct run_opts *o)
{
	struct mvm_vm_config cfg = {
		.ram_size = o->mem,
		.ncpus = 1,
		.log = {cli_log, &m->logctx},
	};
	int rc = mvm_vm_create(&cfg, &m->vm);

	if (rc < 0) {
		cli_error(CMD, "cannot create a VM: %s (try 'mvm doctor')",
			  strerror(-rc));
		return rc;
	}
	m->vcpu = mvm_vm_vcpu(m->vm, 0);
	rc = mvm_std_devices_attach(m->vm, out_stdout, NULL, &m->devs);
	if (!rc)
		rc = attach_demo(m);
	if (rc < 0)
		cli_error(CMD, "cannot attach devices: %s", strerror(-rc));
	/* Handler times need timestamps, which only tracing takes. */
	if (o->trace || o->stats)
		mvm_trace_enable(mvm_vcpu_trace(m->vcpu), 1);
	return rc;
}

static void machine_destroy(struct machine *m)
{
	if (!m->vm)
		return;
	mvm_std_devices_detach(m->vm, &m->devs);
	mvm_vm_destroy(m->vm);
}

/* An ELF's class says which mode its code was compiled for. --mode may
 * override (to watch what goes wrong), but say that it will. */
static void pick_elf_mode(struct machine *m, struct run_opts *o)
{
	enum mvm_cpu_mode want = m->img.kind == MVM_IMAGE_ELF32
					 ? MVM_MODE_PROT32
					 : MVM_MODE_LONG64;

	if (!o->mode_set)
		o->mode = want;
	else if (o->mode != want)
		cli_error(CMD,
			  "warning: %s is ELF%s, built for %s mode, but "
			  "runs in %s mode as asked",
			  o->image, want == MVM_MODE_PROT32 ? "32" : "64",
			  mvm_mode_name(want), mvm_mode_name(o->mode));
}

/* ELF: addresses from its program headers, mode from its class. Flat:
 * real mode at MVM_REAL_LOAD_ADDR unless --mode says otherwise. */
static int load_image(struct machine *m, struct run_opts *o)
{
	const struct mvm_log *log = mvm_vm_log(m->vm);
	void *buf;
	size_t len;
	int rc = mvm_file_read(o->image, o->mem, &buf, &len, log);

	if (rc < 0) {
		cli_error(CMD, "cannot read '%s': %s", o->image, strerror(-rc));
		return rc;
	}
	if (mvm_image_is_elf(buf, len)) {
		rc = mvm_load_elf(mvm_vm_mem(m->vm), buf, len, &m->img, log);
		if (!rc)
			pick_elf_mode(m, o);
	} else {
		if (!o->mode_set)
			o->mode = MVM_MODE_REAL;
		rc = mvm_load_flat(mvm_vm_mem(m->vm),
				   o->mode == MVM_MODE_REAL ? MVM_REAL_LOAD_ADDR
							    : MVM_LOAD_ADDR,
				   buf, len, &m->img, log);
	}
	free(buf);
	if (rc < 0)
		cli_error(CMD, "cannot load '%s': %s", o->image, strerror(-rc));
	return rc;
}

/* The VMM plays boot loader: GDT, page tables and control registers
 * for the chosen mode are written directly (see modes.h). */
static int setup_cpu(struct machine *m, const struct run_opts *o)
{
	struct mvm_mode_config cfg = {.mode = o->mode, .entry = m->img.entry};
	int rc = mvm_vcpu_setup_mode(m->vcpu, &cfg);

	if (rc < 0)
		cli_error(CMD, "cannot set up %s mode at entry %#llx: %s",
			  mvm_mode_name(o->mode),
			  (unsigned long long)m->img.entry, strerror(-rc));
	return rc;
}

/*
 * Decide after each exit whether the run is over and how it went. Order
 * matters: a ucall (DONE, ASSERT, SYNC) is an I/O exit that the ucall
 * device marks `stop`, so it is looked at before the generic `stop` test;
 * SYNC is a test's checkpoint, and the CLI simply carries on.
 */
static int classify(struct machine *m, const struct mvm_exit *e,
		    const struct run_opts *o)
{
	if (e->reason == KVM_EXIT_IO && e->u.io.port == MVM_PORT_UCALL)
		return report_ucall(m->devs.ucall, o->trace);
	if (e->reason == KVM_EXIT_HLT) {
		fprintf(stderr, "%s: guest halted (HLT, RIP %#llx)\n", CMD,
			(unsigned long long)e->rip);
		return RUN_OK;
	}
	if (m->demo.stopped) {
		fprintf(stderr, "%s: guest wrote the STOP marker\n", CMD);
		return RUN_OK;
	}
	if (!e->stop)
		return RUN_CONTINUE;
	report_stop(e);
	return RUN_FAIL;
}

/*
 * The run loop. A guest that never exits (`jmp $`) would keep KVM_RUN
 * busy forever, so --timeout arms the vCPU's deadline: a timer signal
 * interrupts KVM_RUN, and the run step returns -ETIMEDOUT.
 */
/* [slide:mvm-run-loop] */
static int run_guest(struct machine *m, const struct run_opts *o)
{
	struct mvm_exit e = {0};
	int verdict = RUN_CONTINUE, rc = 0;

	if (o->timeout_ms)
		mvm_vcpu_set_deadline(m->vcpu, o->timeout_ms);
	while (verdict == RUN_CONTINUE) {
		rc = mvm_vcpu_run_once(m->vcpu, &e); /* one exit */
		if (rc < 0)
			break;
		if (o->trace)
			report_trace(m->vm, &e);
		verdict = classify(m, &e, o);
	}
	mvm_vcpu_set_deadline(m->vcpu, 0);
	/* [/slide:mvm-run-loop] */
	if (rc == -ETIMEDOUT)
		cli_error(CMD, "timed out after %.3g s (guest RIP %#llx)",
			  o->timeout_ms / 1000.0, (unsigned long long)e.rip);
	else if (rc < 0)
		cli_error(CMD, "KVM_RUN failed: %s", strerror(-rc));
	demo_dev_report(&m->demo);
	if (o->stats)
		report_stats(m->vcpu);
	return rc == 0 && verdict == RUN_OK ? MVM_EXIT_OK : MVM_EXIT_FAIL;
}

/* Parse, build the machine, load, set up the CPU, run; each step prints
 * its own error, and machine_destroy() cleans up whatever was built. */
int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.mem = MVM_RAM_DEFAULT};
	struct machine m = {.logctx = {CMD, MVM_LOG_WARN}};
	int status = parse_args(argc, argv, &o);

	if (status >= 0)
		return status;
	if (o.verbose)
		m.logctx.level = MVM_LOG_DEBUG;
	status = MVM_EXIT_FAIL;
	if (machine_create(&m, &o) == 0 && load_image(&m, &o) == 0 &&
	    setup_cpu(&m, &o) == 0)
		status = run_guest(&m, &o);
	machine_destroy(&m);
	return status;
}
