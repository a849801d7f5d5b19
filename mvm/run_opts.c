/*
 * run_opts.c - `mvm run`'s options: the help text and a parser that
 * checks every value before anything is built (run_opts.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "console.h"
#include "migrate_cli.h"
#include "minivmm/minivmm.h"
#include "run_irq.h"
#include "run_opts.h"
#include "snapshot_cli.h"
#include "walk_cli.h"

#define CMD "mvm run"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mvm run [options] IMAGE\n\n"
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
		"(default 10; none\n"
		"                      with --gdb; -T 0: no limit)\n"
		"  -f, --flat          IMAGE is a flat binary whatever its "
		"name\n"
		"  -c, --cpus N        N vCPUs (1-8), each on its own thread "
		"(default 1)\n"
		"  -r, --raw           pass guest output to the terminal "
		"untouched (default:\n"
		"                      control characters are shown "
		"escaped, ESC as \\x1b)\n"
		"  -g, --gdb [HOST:]PORT  wait for gdb on HOST (default "
		"127.0.0.1) and PORT\n"
		"                      (0: any free one, printed) before "
		"the first instruction;\n"
		"      --gdb unix:PATH  the same on a Unix socket (one vCPU)\n"
		"      --disk FILE[,ro]  a virtio-blk disk on FILE (read-only "
		"with ,ro), with\n"
		"                      virtio-rng and virtio-console\n"
		"      --virtio mmio|pci  their transport (default mmio)\n"
		"      --virtio-plain  every queue kick exits (no "
		"ioeventfd/irqfd)\n"
		"      --console uart|virtio  where stdin goes: COM1 "
		"(default) or virtio-console\n"
		"      --balloon PAGES  a virtio-balloon asking the guest "
		"for PAGES 4 KiB pages\n"
		"  -E, --emulate       interpret the guest in software "
		"(real mode; emu.h)\n"
		"                      instead of KVM_RUN, and print "
		"instructions/s\n"
		"  -v, --verbose       show the library's debug messages\n");
	runirq_usage(f);
	fprintf(f, "      --kernel FILE   boot a Linux bzImage or vmlinux "
		   "instead of IMAGE\n"
		   "      --initrd FILE   its initramfs; --append ARGS: more "
		   "kernel command line\n");
	snapcli_usage(f);
	walkcli_usage(f);
	migcli_usage(f);
	fprintf(f, "  -h, --help          this text\n\n"
		   "IMAGE is an ELF executable, or a flat binary when its name "
		   "ends in .bin\n(or with --flat); a file that starts with "
		   "0x7f is always taken as ELF.\n"
		   "Flat images load at 0x7c00 in real mode, else at 1 MiB. "
		   "Guest output\n(debug port, UART, ucall PRINT) goes to "
		   "stdout; everything else to stderr.\n"
		   "Console: stdin goes to the guest's serial port (COM1), "
		   "Ctrl-C included\n(a terminal is put in raw mode). Escape "
		   "keys:\n");
	console_print_keys(f, "  ");
	fprintf(f, "From a pipe, EOF stops input (the guest runs on) and "
		   "SIGINT stops the VM.\n"
		   "Exit status: 0 halted/DONE, Ctrl-A x or migrated, 1 guest "
		   "failed, timed\nout or was stopped by a signal, 2 usage "
		   "error.\n");
}

/* --gdb [HOST:]PORT: an IPv4 address and a port (0 = any free one);
 * --gdb unix:PATH: a Unix socket at PATH. */
static int parse_gdb(struct run_opts *o, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	const char *port = colon ? colon + 1 : arg;
	size_t hlen = colon ? (size_t)(colon - arg) : 0;
	struct in_addr addr;
	char *end;
	long p;

	if (strncmp(arg, "unix:", 5) == 0 && arg[5]) {
		o->gdb_unix = arg + 5;
		o->gdb_host = "unix";
		return 0;
	}
	if (hlen >= sizeof(o->gdb_buf) || !*port)
		return -EINVAL;
	p = strtol(port, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -EINVAL;
	memcpy(o->gdb_buf, arg, hlen);
	o->gdb_buf[hlen] = '\0';
	o->gdb_host = hlen ? o->gdb_buf : "127.0.0.1";
	if (inet_pton(AF_INET, o->gdb_host, &addr) != 1)
		return -EINVAL; /* an IPv4 address, not a name */
	o->gdb_port = (int)p;
	return 0;
}

/* Long-only options of the virtio devices. */
enum {
	OPT_DISK = 0x200,
	OPT_VIRTIO,
	OPT_VIRTIO_PLAIN,
	OPT_CONSOLE,
	OPT_BALLOON
};

/* --console uart|virtio, --balloon PAGES. */
static int parse_virtio_dev(struct run_opts *o, int c, const char *arg)
{
	char *end;
	unsigned long v;

	if (c == OPT_CONSOLE) {
		if (strcmp(arg, "uart") && strcmp(arg, "virtio")) {
			cli_error(CMD, "bad --console '%s': use uart or virtio",
				  arg);
			return -EINVAL;
		}
		o->console_virtio = strcmp(arg, "virtio") == 0;
		o->vio.on |= o->console_virtio; /* the device must exist */
		return 0;
	}
	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || v > 0xffffffffUL) {
		cli_error(CMD, "bad --balloon '%s': a number of 4 KiB pages",
			  arg);
		return -EINVAL;
	}
	o->balloon = 1;
	o->balloon_pages = (unsigned)v;
	return 0;
}

/* --disk FILE[,ro], --virtio mmio|pci, --virtio-plain (virtio_opts.h:
 * the same words as mvmdbg's). */
static int parse_virtio(struct run_opts *o, int c, const char *arg)
{
	char err[160];
	const char *name = c == OPT_DISK     ? "disk"
			   : c == OPT_VIRTIO ? "virtio"
					     : "virtio-plain";
	int rc;

	if (c == OPT_CONSOLE || c == OPT_BALLOON)
		return parse_virtio_dev(o, c, arg);
	rc = mvm_virtio_opts_parse(&o->vio, name, arg, err, sizeof(err));
	if (rc < 0)
		cli_error(CMD, "%s", err);
	return rc;
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
		bad = cli_parse_limit(arg, &o->timeout_ms) < 0,
		o->timeout_set = 1;
	else if (c == 'c')
		bad = sscanf(arg, "%d%c", &o->cpus, &(char){0}) != 1 ||
		      o->cpus < 1 || o->cpus > MVM_MAX_VCPUS;
	else if (c == 'g')
		bad = parse_gdb(o, arg) < 0;
	if (!bad)
		return 0;
	if (c == 'c') {
		cli_error(CMD, "bad --cpus '%s': need 1 to %d", arg,
			  MVM_MAX_VCPUS);
		return -EINVAL;
	}
	if (c == 'm')
		cli_error(CMD, "bad --mode '%s': use real, prot or long", arg);
	else if (c == 'M')
		cli_error(CMD,
			  "bad --mem '%s': need a multiple of 4K between "
			  "%lluM and %lluM",
			  arg, MVM_RAM_MIN >> 20, MVM_RAM_MAX >> 20);
	else if (c == 'g')
		cli_error(CMD,
			  "bad --gdb '%s': use [HOST:]PORT (HOST an IPv4 "
			  "address, PORT 0-65535) or unix:PATH",
			  arg);
	else
		cli_error(CMD,
			  "bad --timeout '%s': need seconds %s, or 0 for no "
			  "limit",
			  arg, CLI_SECONDS_RANGE);
	return -EINVAL;
}

/* --kernel takes the place of IMAGE; --initrd and --append need it.
 * The Linux machine has one vCPU: Linux learns of more CPUs only from
 * ACPI (MADT) or MP tables, which mvm does not write, so more vCPU
 * threads would sit unused. Its run loop (run_linux.c) does not hand the
 * machine to the gdb stub. Both are refused, saying why. */
static int run_linux_check(int operands, const struct run_opts *o)
{
	const char *bad = !o->kernel ? "--initrd/--append need --kernel"
			  : operands ? "give --kernel or IMAGE, not both"
			  : o->cpus > 1
				  ? "--kernel boots one vCPU (Linux would "
				    "find more only in ACPI or MP tables, "
				    "which mvm does not write)"
			  : o->gdb_host ? "--kernel cannot use --gdb yet (the "
					  "Linux run loop has no gdb stub; "
					  "--stats shows its exits)"
			  : o->mode_set ? "--kernel starts in long mode"
					: NULL;

	if (!bad)
		return -1;
	cli_error(CMD, "%s (try '%s --help')", bad, CMD);
	return MVM_EXIT_USAGE;
}

/*
 * A guest that never exits and never finishes (`jmp $`) would keep `mvm
 * run` busy forever, with nothing on the screen to say why; so a plain
 * image gets a limit unless -T says otherwise, and the message when it
 * fires names -T (cmd_run.c). Waiting for gdb is interactive: no limit.
 */
unsigned run_default_limit_ms(const struct run_opts *o)
{
	if (o->gdb_host || o->kernel)
		return 0; /* a Linux boot takes minutes where it is emulated */
	return RUN_IMAGE_LIMIT_MS;
}

/*
 * getopt_long() with opterr = 0 and a leading ':' in the option string,
 * so every error message is ours, one line, naming the culprit.
 * Returns -1 to go on, else the exit status to return right away.
 */
int run_parse_args(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"cpus", required_argument, NULL, 'c'},
		{"mem", required_argument, NULL, 'M'},
		{"trace", no_argument, NULL, 't'},
		{"stats", no_argument, NULL, 's'},
		{"timeout", required_argument, NULL, 'T'},
		{"verbose", no_argument, NULL, 'v'},
		{"flat", no_argument, NULL, 'f'},
		{"raw", no_argument, NULL, 'r'},
		{"gdb", required_argument, NULL, 'g'},
		{"emulate", no_argument, NULL, 'E'},
		{"help", no_argument, NULL, 'h'},
		{"disk", required_argument, NULL, OPT_DISK},
		{"virtio", required_argument, NULL, OPT_VIRTIO},
		{"virtio-plain", no_argument, NULL, OPT_VIRTIO_PLAIN},
		{"console", required_argument, NULL, OPT_CONSOLE},
		{"balloon", required_argument, NULL, OPT_BALLOON},
		SNAPCLI_LONGOPTS,
		RUNIRQ_LONGOPTS,
		WALKCLI_LONGOPTS,
		MIGCLI_LONGOPTS,
		{"kernel", required_argument, NULL, RUN_OPT_KERNEL},
		{"initrd", required_argument, NULL, RUN_OPT_INITRD},
		{"append", required_argument, NULL, RUN_OPT_APPEND},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:M:c:tsT:g:vfrEh", opts,
				NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MVM_EXIT_OK;
		} else if (c == 't' || c == 's' || c == 'v' || c == 'f' ||
			   c == 'r' || c == 'E') {
			*(c == 'E'   ? &o->emulate
			  : c == 't' ? &o->trace
			  : c == 's' ? &o->stats
			  : c == 'f' ? &o->flat
			  : c == 'r' ? &o->raw
				     : &o->verbose) = 1;
		} else if (c == 'm' || c == 'M' || c == 'T' || c == 'c' ||
			   c == 'g') {
			if (parse_value(o, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else if (c == OPT_DISK || c == OPT_VIRTIO ||
			   c == OPT_VIRTIO_PLAIN || c == OPT_CONSOLE ||
			   c == OPT_BALLOON) {
			if (parse_virtio(o, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else if (c == RUN_OPT_KERNEL || c == RUN_OPT_INITRD ||
			   c == RUN_OPT_APPEND) {
			*(c == RUN_OPT_KERNEL	? &o->kernel
			  : c == RUN_OPT_INITRD ? &o->initrd
						: &o->append) = optarg;
		} else if (SNAPCLI_IS_OPT(c)) {
			if (snapcli_option(CMD, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else if (c == RUNIRQ_OPT_IRQCHIP || c == RUNIRQ_OPT_IRQFD) {
			if (runirq_option(CMD, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else if (c == WALKCLI_OPT) {
			if (walkcli_option(CMD, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else if (MIGCLI_IS_OPT(c)) {
			if (migcli_option(CMD, c, optarg) < 0)
				return MVM_EXIT_USAGE;
		} else {
			return cli_bad_option(CMD, argv, c);
		}
	}
	if (o->kernel || o->initrd || o->append)
		return run_linux_check(argc - optind, o);
	if (argc - optind != 1) {
		cli_error(CMD, "%s (try '%s --help')",
			  optind < argc ? "too many arguments"
					: "missing IMAGE",
			  CMD);
		return MVM_EXIT_USAGE;
	}
	o->image = argv[optind];
	if (!o->timeout_set)
		o->timeout_ms = run_default_limit_ms(o);
	if (snapcli_check(CMD) < 0 || runirq_check(CMD) < 0)
		return MVM_EXIT_USAGE;
	return -1; /* the loader refuses FIFOs, devices and empty files */
}
